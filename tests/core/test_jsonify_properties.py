"""Property tests: jsonify is total and its output is always strict JSON."""

from __future__ import annotations

import enum
import json
import math
from typing import Any

from hypothesis import given, settings, strategies as st

from spyglass.core.serial._jsonify import jsonify

SETTINGS = settings(max_examples=300, deadline=None, derandomize=True)


class Mood(enum.Enum):
    HAPPY = 1


class Kind(str, enum.Enum):
    A = "a"


class BadRepr:
    """repr, str and every attribute read raise."""

    def __repr__(self) -> str:
        raise RuntimeError("repr")

    __str__ = __repr__

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


class BadProperty:
    """A component-like object whose property raises."""

    def __init__(self) -> None:
        self.value = 1

    @property
    def broken(self) -> int:
        raise ValueError("property")


class BadLen(list):  # type: ignore[type-arg]
    """A list whose __len__ raises."""

    def __len__(self) -> int:
        raise RuntimeError("len")


odd_keys = st.one_of(
    st.text(max_size=8),
    st.integers(),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True),
    st.tuples(st.integers(), st.text(max_size=3)),
    st.just(Mood.HAPPY),
    st.just(Kind.A),
    st.builds(BadRepr),
    st.sampled_from(["api_key", "PASSWORD", "access_token", "token", "key"]),
)

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.complex_numbers(allow_nan=True),
    st.just(Mood.HAPPY),
    st.just(Kind.A),
    st.builds(BadRepr),
    st.builds(BadProperty),
    st.builds(object),
    st.just(ValueError("boom")),
)


def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=5),
        st.lists(children, max_size=5).map(tuple),
        st.lists(children, max_size=5).map(BadLen),
        st.dictionaries(odd_keys, children, max_size=5),
        st.frozensets(st.one_of(st.integers(), st.text(max_size=4)), max_size=5),
    )


values = st.recursive(leaves, containers, max_leaves=30)


def mutable_parts(obj: Any, found: list[Any]) -> list[Any]:
    """Every list and dict inside obj (before cycles are added)."""
    if isinstance(obj, (list, dict)):
        found.append(obj)
    children = (
        obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else ()
    )
    for child in list.__iter__(children) if isinstance(children, list) else children:
        mutable_parts(child, found)
    return found


@st.composite
def with_cycles(draw: st.DrawFn) -> Any:
    """A nested value in which some containers were made to contain others (or themselves)."""
    root = draw(st.lists(values, min_size=1, max_size=4))
    parts = mutable_parts(root, [])
    for _ in range(draw(st.integers(0, 4))):
        holder = draw(st.sampled_from(parts))
        target = draw(st.sampled_from(parts))
        if isinstance(holder, dict):
            holder[draw(odd_keys)] = target
        else:
            list.append(holder, target)
    return root


def is_plain_json(value: Any) -> bool:
    """Only dict (str keys), list, str, int, finite float, bool and None."""
    t = type(value)
    if t in (str, int, bool) or value is None:
        return True
    if t is float:
        return math.isfinite(value)
    if t is list:
        return all(is_plain_json(v) for v in value)
    if t is dict:
        return all(type(k) is str and is_plain_json(v) for k, v in value.items())
    return False


@SETTINGS
@given(with_cycles(), st.booleans(), st.booleans())
def test_total_and_strict_json(value: Any, redact: bool, skip_specials: bool) -> None:
    """jsonify never raises, and its output is plain, strict JSON."""
    out = jsonify(
        value,
        redact=redact,
        skip_specials=skip_specials,
        is_component=lambda o: isinstance(o, BadProperty),
    )
    assert (True, out) == (is_plain_json(out), json.loads(json.dumps(out, allow_nan=False)))


@SETTINGS
@given(with_cycles(), st.integers(0, 4), st.integers(0, 4))
def test_bounds_hold(value: Any, max_depth: int, max_items: int) -> None:
    """No list in the output has more than max_items entries plus one truncation marker,
    and nothing is nested deeper than the bound allows."""

    def check(v: Any, depth: int) -> bool:
        if isinstance(v, list):
            return len(v) <= max_items + 1 and all(check(x, depth + 1) for x in v)
        if isinstance(v, dict):
            return all(check(x, depth + 1) for x in v.values())
        return True

    def depth_of(v: Any) -> int:
        children = v if isinstance(v, list) else v.values() if isinstance(v, dict) else []
        return 1 + max((depth_of(c) for c in children), default=0)

    out = jsonify(value, max_depth=max_depth, max_items=max_items)
    # Each container level adds one; markers and exception forms add at most 3 more.
    assert (True, True) == (check(out, 0), depth_of(out) <= max_depth + 5)


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=10),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(
            st.text(max_size=6).filter(lambda k: not k.startswith("__tru")), children, max_size=5
        ),
    ),
    max_leaves=40,
)


@SETTINGS
@given(json_values)
def test_json_data_is_unchanged(value: Any) -> None:
    """Data that is already JSON comes back equal (without redaction)."""
    assert value == jsonify(value, redact=False)
