"""Any string given to `Lens.of_string` gives a Lens or a `LensParseError` (fuzzed)."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given, settings, strategies as st

from spyglass.core import Lens
from spyglass.core.errors import LensParseError

# Fragments of the grammar, so that the fuzzer reaches deep into it, and anything at all.
_PIECES = st.sampled_from(
    [
        ".",
        "[",
        "]",
        "(",
        ")",
        ",",
        ":",
        "-",
        "'",
        '"',
        "\\",
        "\\x4",
        "\\N{",
        "}",
        "collect",
        "attr",
        "foo",
        "True",
        "0",
        "9" * 50,
        "_",
        " ",
        "\n",
        "app",
        "\\u12",
        "\\777",
        "é",
    ]
)
lens_like = st.lists(_PIECES, max_size=20).map("".join)


def _of_string(s: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # `.collect(x)` warns that x is ignored
        try:
            assert isinstance(Lens.of_string(s), Lens)
        except LensParseError:
            pass


@settings(max_examples=400, deadline=None)
@given(st.one_of(lens_like, st.text(max_size=40)))
def test_any_string_is_a_lens_or_a_parse_error(s: str) -> None:
    """Whatever the string, the parser answers a Lens or raises LensParseError."""
    _of_string(s)


@pytest.mark.parametrize(
    "s",
    [
        "app[" + "9" * 5000 + "]",
        "app[-" + "1" * 10_000 + "]",
        "app[1:" + "2" * 5000 + "]",
        "app[1, " + "3" * 5000 + "]",
        "app.retrieve()",
        "app" + "[0]" * 50_000,
    ],
)
def test_hostile_strings(s: str) -> None:
    """Huge indexes, calls of unknown methods and very long lenses: a Lens or LensParseError."""
    _of_string(s)


def test_unknown_call_is_still_a_type_error() -> None:
    """`.foo()` stays catchable as TypeError (as before) while being a LensParseError."""
    with pytest.raises(TypeError, match="`foo` is not a handled call"):
        Lens.of_string("app.foo()")
