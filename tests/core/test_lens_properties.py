"""Lens round-trips, checked on random lenses (hypothesis)."""

from __future__ import annotations

from hypothesis import given, strategies as st

from spyglass.core.lens import (
    Collect,
    GetAttribute,
    GetIndex,
    GetIndices,
    GetItem,
    GetItemOrAttribute,
    GetItems,
    GetSlice,
    Lens,
    Step,
)

# Names: identifiers, keywords, and anything else (quotes, backslashes, unicode, empty).
names = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True),
    st.sampled_from(
        ["get", "collect", "attr", "True", "class", "__record__", "0", "my-key", "x y"]
    ),
    st.text(),
    st.text(alphabet="'\"\\\n\t []().,:-", max_size=6),
)
ints = st.integers(min_value=-(10**20), max_value=10**20)
optional_ints = st.none() | ints

steps: st.SearchStrategy[Step] = st.one_of(
    names.map(lambda n: GetItemOrAttribute(item_or_attribute=n)),
    names.map(lambda n: GetItem(item=n)),
    names.map(lambda n: GetAttribute(attribute=n)),
    ints.map(lambda i: GetIndex(index=i)),
    st.builds(GetSlice, start=optional_ints, stop=optional_ints, step=optional_ints),
    st.lists(ints, max_size=4).map(lambda xs: GetIndices(indices=tuple(xs))),
    st.lists(names, min_size=1, max_size=4).map(lambda xs: GetItems(items=tuple(xs))),
    st.just(Collect()),
)
lenses = st.lists(steps, max_size=6).map(lambda path: Lens(path=tuple(path)))


@given(lenses)
def test_string_round_trip(lens: Lens) -> None:
    """Lens.of_string(str(lens)) == lens, and str is stable (canonical) through a parse."""
    text = str(lens)
    parsed = Lens.of_string(text)
    assert lens == parsed
    assert text == str(parsed)


@given(lenses)
def test_repr_is_the_string_after_lens(lens: Lens) -> None:
    """repr is `Lens()` followed by each step's form; the steps part parses back too."""
    rep = repr(lens)
    assert rep.startswith("Lens()")
    assert lens == Lens.of_string(rep[len("Lens()") :])


@given(lenses)
def test_json_round_trip(lens: Lens) -> None:
    """model_dump_json / model_validate_json give the lens back."""
    assert lens == Lens.model_validate_json(lens.model_dump_json())


@given(lenses)
def test_dict_form_round_trip(lens: Lens) -> None:
    """{"path": [step.model_dump()]} validates to the same lens."""
    data = {"path": [step.model_dump() for step in lens.path]}
    assert lens == Lens.model_validate(data)


@given(lenses, lenses)
def test_concatenation(a: Lens, b: Lens) -> None:
    """Equal lenses hash alike, and concatenation keeps every step."""
    assert hash(a + b) == hash(Lens.of_string(str(a + b)))
    assert a.path + b.path == (a + b).path
