"""Lens: steps, building, string forms, parsing, get/set and errors (as TruLens 1.x)."""

from __future__ import annotations

import copy
import inspect
import pickle
import types
from dataclasses import dataclass, field
from typing import Any

import munch
import pytest
from pydantic import BaseModel

from spyglass.core.errors import (
    LensError,
    LensIndexError,
    LensKeyError,
    LensParseError,
    LensValueError,
)
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
    StepItemOrAttribute,
    all_objects,
    all_queries,
)
from spyglass.core.lens._select import Select

L = Lens()


def obj() -> dict[str, Any]:
    """The example object of the lens examples."""
    return {
        "a": [{"x": 1, "y": 2}, {"x": 3}],
        "b": {"c": [10, 20, 30]},
        "one": [{"x": 7}],
        "empty": [],
        "s": "str",
    }


# ---------------------------------------------------------------------------- §1.1 steps


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"item_or_attribute": "x"}, GetItemOrAttribute(item_or_attribute="x")),
        ({"item": "k"}, GetItem(item="k")),
        ({"attribute": "a"}, GetAttribute(attribute="a")),
        ({"index": 3}, GetIndex(index=3)),
        ({"start": 1, "stop": None, "step": None}, GetSlice(start=1)),
        ({"stop": 3}, GetSlice(stop=3)),
        ({"step": 2}, GetSlice(step=2)),
        ({"indices": [1, 3]}, GetIndices(indices=(1, 3))),
        ({"items": ["a", "b"]}, GetItems(items=("a", "b"))),
        ({"collect": None}, Collect()),
    ],
)
def test_step_model_validate_dispatches_on_first_key(data: dict[str, Any], expected: Step) -> None:
    """Step.model_validate builds the step its dict form names, by the dict's first key."""
    assert expected == Step.model_validate(data)
    assert type(expected) is type(Step.model_validate(data))


def test_step_dump_reads_back() -> None:
    """A step's model_dump is its dict form."""
    for step in (GetSlice(start=-2), GetIndices(indices=(1,)), Collect(), GetItem(item="k")):
        assert step == Step.model_validate(step.model_dump())


def test_step_model_validate_rejects_unknown_dicts() -> None:
    """A dict naming no step is a LensValueError listing the step keys."""
    with pytest.raises(LensValueError, match="item_or_attribute"):
        Step.model_validate({"nope": 1})


def test_steps_compare_by_type_and_fields() -> None:
    """GetItem('a') differs from GetItemOrAttribute('a'); equal steps hash alike."""
    assert GetItem(item="a") != GetItemOrAttribute(item_or_attribute="a")
    assert hash(GetIndex(index=1)) == hash(GetIndex(index=1))
    assert {Lens.of_string("a.b[0]"): 1}[L.a.b[0]] == 1


def test_name_steps_share_a_marker_base() -> None:
    """GetItem, GetAttribute and GetItemOrAttribute answer get_item_or_attribute()."""
    steps = [
        GetItem(item="n"),
        GetAttribute(attribute="n"),
        GetItemOrAttribute(item_or_attribute="n"),
    ]
    assert all(isinstance(s, StepItemOrAttribute) for s in steps)
    assert ["n", "n", "n"] == [s.get_item_or_attribute() for s in steps]


def test_get_items_needs_a_key() -> None:
    """An empty GetItems would print like an empty GetIndices; it is refused."""
    with pytest.raises(ValueError, match="at least 1"):
        GetItems(items=())


# ---------------------------------------------------------------------------- §1.2 building


@pytest.mark.parametrize(
    ("lens", "path"),
    [
        (L.name, (GetItemOrAttribute(item_or_attribute="name"),)),
        (L["k"], (GetItemOrAttribute(item_or_attribute="k"),)),
        (L[0], (GetIndex(index=0),)),
        (L[-1], (GetIndex(index=-1),)),
        (L[True], (GetIndex(index=1),)),
        (L[1:3], (GetSlice(start=1, stop=3),)),
        (L[::2], (GetSlice(step=2),)),
        (L[1, 3], (GetIndices(indices=(1, 3)),)),
        (L[[1, 3]], (GetIndices(indices=(1, 3)),)),
        (L[()], (GetIndices(indices=()),)),
        (L["a", "b"], (GetItems(items=("a", "b")),)),
        (L.a.collect(), (GetItemOrAttribute(item_or_attribute="a"), Collect())),
        (L.__record__.__app__, (GetItemOrAttribute(item_or_attribute="__record__"),
                                GetItemOrAttribute(item_or_attribute="__app__"))),
    ],
)  # fmt: skip
def test_building(lens: Lens, path: tuple[Step, ...]) -> None:
    """Attribute, item and call syntax build the steps TruLens 1.x has."""
    assert path == lens.path


def test_builders_return_new_lenses() -> None:
    """Building never changes the lens built on."""
    base = L.a
    base.b[0].collect()
    assert (GetItemOrAttribute(item_or_attribute="a"),) == base.path


def test_lens_is_immutable() -> None:
    """A lens's path cannot be assigned."""
    with pytest.raises(ValueError, match="frozen"):
        L.a.path = ()  # type: ignore[misc]


def test_mixed_sequence_is_a_type_error() -> None:
    """lens[0, 'a'] mixes int and str, which is not allowed."""
    with pytest.raises(TypeError, match="mixing int and str is not allowed"):
        L[0, "a"]  # type: ignore[index]


def test_unhandled_item_is_a_type_error() -> None:
    """lens[1.5] names the problem."""
    with pytest.raises(TypeError, match="float"):
        L[1.5]  # type: ignore[index]


def test_only_collect_can_be_called() -> None:
    """Calling any name but `collect` is a TypeError naming the call."""
    with pytest.raises(TypeError, match="Only `collect` is a valid function name.*`retrieve`"):
        L.app.retrieve()
    with pytest.raises(TypeError, match="Only `collect`"):
        L()


def test_collect_arguments_are_ignored_with_a_warning() -> None:
    """lens.collect(1) warns and builds Collect, like the string form."""
    with pytest.warns(UserWarning, match="ignored"):
        assert L.a.collect() == L.a.collect(1)


def test_concatenation_and_length() -> None:
    """lens + lens and lens + step concatenate; len counts steps."""
    assert L.a.b.c == L.a + L.b.c
    assert L.a[0] == L.a + GetIndex(index=0)
    assert 3 == len(L.a.b.c)
    assert 0 == len(L)


def test_ipython_canary() -> None:
    """IPython's probe attribute gets a non-lens answer so IPython knows not to trust getattr."""
    assert 0xDEAD == L._ipython_canary_method_should_not_exist_


def test_protocol_dunders_are_not_steps() -> None:
    """Dunder probes (pickle, numpy) get AttributeError; only __record__/__app__ build steps."""
    assert not hasattr(L, "__array_interface__")
    assert L["__weird__"].path == (GetItemOrAttribute(item_or_attribute="__weird__"),)


def test_lens_pickles_and_copies() -> None:
    """Lenses survive pickle and deepcopy (protocol probes do not become steps)."""
    lens = Select.RecordCalls.retriever.retrieve.rets[:].collect()
    assert lens == pickle.loads(pickle.dumps(lens))
    assert lens == copy.deepcopy(lens)


# ---------------------------------------------------------------------------- method names


def test_method_names_are_written_with_item_syntax() -> None:
    """lens['get'] is the step `.get` would be; the method still works."""
    assert (GetItemOrAttribute(item_or_attribute="get"),) == L["get"].path
    assert [{"get": 1}] == list(L.get({"get": 1}))
    assert [1] == list(L["get"].get({"get": 1}))


@pytest.mark.parametrize("name", ["get", "set", "exists", "json", "copy", "dict"])
def test_method_name_used_as_a_step_explains_itself(name: str) -> None:
    """`Select.RecordCalls.ret.get.rets` says `get` is a method and how to write the step."""
    with pytest.raises(AttributeError) as info:
        _ = getattr(Select.RecordCalls.ret, name).rets
    expected = (
        f"`{name}` is a method of Lens, so `Select.RecordCalls.ret.{name}` is not a lens step "
        f"and has no attribute `rets`. To select a key or attribute named `{name}`, write "
        f"`Select.RecordCalls.ret['{name}'].rets`."
    )
    assert expected == str(info.value)


def test_method_name_subscripted_explains_itself() -> None:
    """`lens.get[0]` is a TypeError with the same hint."""
    with pytest.raises(TypeError, match=r"write `Select.RecordCalls\['get'\]\[0\]`"):
        Select.RecordCalls.get[0]


def test_lens_methods_keep_their_names() -> None:
    """Lens.get is the plain function (for docs and introspection)."""
    assert "get" == Lens.get.__name__
    assert ["obj"] == list(inspect.signature(L.get).parameters)
    assert isinstance(Lens.get(L, 1), types.GeneratorType)


# ---------------------------------------------------------------------------- §1.3 strings


@pytest.mark.parametrize(
    ("lens", "text", "rep"),
    [
        (Select.RecordCalls.retrieve.args.query, "__record__.app.retrieve.args.query",
         "Lens().__record__.app.retrieve.args.query"),
        (Select.RecordCalls.retrieve.rets[:].collect(), "__record__.app.retrieve.rets[:].collect()",
         "Lens().__record__.app.retrieve.rets[:].collect()"),
        (Select.RecordCall, "__record__.calls[-1]", "Lens().__record__.calls[-1]"),
        (Lens(), "", "Lens()"),
        (Select.Tru, "", "Lens()"),
        (L[0].a, "[0].a", "Lens()[0].a"),
        (L["a", "b"], "['a','b']", "Lens()['a','b']"),
        (L.a[1:3], "a[1:3:]", "Lens().a[1:3:]"),
        (L.a[-2:], "a[-2::]", "Lens().a[-2::]"),
        (L.a[:], "a[:]", "Lens().a[:]"),
        (L.a[::2], "a[::2]", "Lens().a[::2]"),
        (L.a[1, 3], "a[1,3]", "Lens().a[1,3]"),
        # [bug] fixed: forms TruLens printed lossily now read back as the same lens
        (Lens(path=(GetItem(item="k"), GetItem(item="z"))), "['k']['z']", "Lens()['k']['z']"),
        (L["x y"], '."x y"', 'Lens()."x y"'),
        (L.a["my-key"], 'a."my-key"', 'Lens().a."my-key"'),
        (L + GetAttribute(attribute="a"), ".attr('a')", "Lens().attr('a')"),
        (L.a[(1,)], "a[1,]", "Lens().a[1,]"),
        (L.a[("k",)], "a['k',]", "Lens().a['k',]"),
        (L.a[()], "a[]", "Lens().a[]"),
        (L.a[0]["0"], 'a[0]."0"', 'Lens().a[0]."0"'),
    ],
)  # fmt: skip
def test_string_forms(lens: Lens, text: str, rep: str) -> None:
    """str and repr are as in TruLens 1.x, and every str reads back as the same lens."""
    assert text == str(lens)
    assert rep == repr(lens)
    assert lens == Lens.of_string(text)
    assert text == str(Lens.of_string(text))


def test_quoted_names_escape_like_python() -> None:
    """Names with quotes, backslashes and newlines print as Python literals and read back."""
    for name in ["it's", 'say "hi"', "both ' \"", "back\\slash", "new\nline", "", "é", "\x00"]:
        lens = L.a[name]
        assert lens == Lens.of_string(str(lens)), name


# ---------------------------------------------------------------------------- §1.4 parsing


@pytest.mark.parametrize(
    ("text", "lens"),
    [
        ("a.b[-1]", L.a.b[-1]),  # [bug] fixed: TruLens could not read negative indexes
        ("__record__.calls[-1].args", Select.RecordArgs),
        ("a[-1,2]", L.a[-1, 2]),
        ("a[-2:]", L.a[-2:]),
        ("a[1:3]", L.a[1:3]),
        ("a[1:3:]", L.a[1:3]),
        ("a[::]", L.a[:]),
        ("a[ 1 : -1 : 2 ]", L.a[1:-1:2]),
        ("a[1,3]", L.a[1, 3]),
        ("a['x','y']", L.a["x", "y"]),
        ('a["x", "y",]', L.a["x", "y"]),
        ("a['k']", Lens(path=(GetItemOrAttribute(item_or_attribute="a"), GetItem(item="k")))),
        ("[0].a", L[0].a),
        ("['k']", Lens(path=(GetItem(item="k"),))),
        ("[1,2]", L[1, 2]),
        ("['a','b']", L["a", "b"]),
        ("[]", L[()]),
        ("a[True]", L.a[1]),
        ("a[False]", L.a[0]),
        (".a.b", L.a.b),
        ("a.collect()", L.a.collect()),
        ("a . b [ 0 ]", L.a.b[0]),
        ("a.attr('b')", L.a + GetAttribute(attribute="b")),
        ("a.attr", L.a.attr),
        ("a.collect", L.a.collect),
        ("a[1_000]", L.a[1000]),
        ("a['\\x41\\u00e9\\N{BULLET}\\101']", Lens(path=(L.a.path[0], GetItem(item="Aé•A")))),
        ("", L),
    ],
)
def test_parsing(text: str, lens: Lens) -> None:
    """Lens.of_string reads the §1.4 grammar, negative indexes and spyglass's extensions."""
    assert lens == Lens.of_string(text)


def test_collect_arguments_in_strings_are_ignored_with_a_warning() -> None:
    """`.collect(...)` with arguments is Collect, with a warning."""
    with pytest.warns(UserWarning, match="ignored"):
        assert L.a.collect() == Lens.of_string("a.collect(1, 'x)')")


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("a[x]", 2),
        ("a[1.5]", 3),
        ("a.0", 2),
        ("x[[1]]", 2),
        ("a + b", 2),
        ("a(1)", 0),
        ("collect()", 0),
        ("a.b-c", 2),
        ("a[0, 'k']", 1),
        ("a['k'", 5),
        ("a['k]", 2),
        ("a[1:2:3:4]", 7),
        ("a.attr(1)", 7),
        ("a.collect(", 10),
        ("a..b", 2),
        ("a[", 2),
        ("a['\\x4']", 3),
        ("a['\\N{NO SUCH NAME}']", 3),
    ],
)
def test_parse_errors_name_the_string_and_position(text: str, position: int) -> None:
    """A string that is not a lens raises LensParseError naming it and where it failed."""
    with pytest.raises(LensParseError) as info:
        Lens.of_string(text)
    message = str(info.value)
    assert f"Failed to parse expression `{text}` as a `Lens` at position {position}:" in message
    assert isinstance(info.value, ValueError)


def test_calls_other_than_collect_are_type_errors() -> None:
    """`.foo()` in a lens string is a TypeError naming the call."""
    with pytest.raises(TypeError, match="`foo` is not a handled call for paths"):
        Lens.of_string("a.foo()")


def test_non_identifier_hint() -> None:
    """A name that is not an identifier gets told how to quote it."""
    with pytest.raises(LensParseError, match=r'quote such a name: \."my-key"'):
        Lens.of_string("a.my-key")


# ---------------------------------------------------------------------------- §1.5 get


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("a.x", [1, 3]),
        ("a.y", [2]),
        ("one.x", [7]),
        ("a[:].x.collect()", [[1, 3]]),
        ("a.collect()", [[[{"x": 1, "y": 2}, {"x": 3}]]]),
        ("a[:].collect()[0]", [{"x": 1, "y": 2}]),
        ("b.c[-1]", [30]),
        ("b.c[0,2]", [10, 30]),
        ("['a','s']", [[{"x": 1, "y": 2}, {"x": 3}], "str"]),
        ("s[0]", ["s"]),
        ("b.c[1:]", [20, 30]),
        ("b.c[::-1]", [30, 20, 10]),
        ("b['c'][0]", [10]),
        ("", [obj()]),
    ],
)
def test_get(text: str, values: list[Any]) -> None:
    """get yields the values TruLens 1.x has, in document order."""
    assert values == list(Lens.of_string(text).get(obj()))


def test_get_is_a_generator() -> None:
    """get is lazy: values already selected come out before a later failure."""
    gen = Lens.of_string("a[:].y").get(obj())
    assert isinstance(gen, types.GeneratorType)
    assert 2 == next(gen)
    with pytest.raises(LensKeyError):
        next(gen)


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("a[:].y", LensKeyError, "Lens `a[:].y` failed at step `.y`: no key `y` in a dict with keys `x`."),
        ("empty.x", LensValueError, "Lens `empty.x` failed at step `.x`: cannot look up `x` in an empty list"),
        ("b.c[5]", LensIndexError,
         "Lens `b.c[5]` failed at step `[5]`: index `5` is out of range for a list of length 3"),
        ("b.c[-5]", LensIndexError,
         "Lens `b.c[-5]` failed at step `[-5]`: index `-5` is out of range for a list of length 3"),
        ("b.c[0,7]", LensIndexError,
         "Lens `b.c[0,7]` failed at step `[0,7]`: index `7` is out of range for a list of length 3"),
        ("b.d", LensKeyError, "Lens `b.d` failed at step `.d`: no key `d` in a dict with keys `c`."),
        ("b['d']", LensKeyError, "Lens `b['d']` failed at step `['d']`: no key `d` in a dict with keys `c`."),
        ("b[0]", LensValueError,
         ("Lens `b[0]` failed at step `[0]`: expected a sequence to take element `[0]` of but "
          "found a dict with keys `c`")),
        ("a['k']", LensValueError,
         ("Lens `a['k']` failed at step `['k']`: expected a dict to look up key `k` in but found "
          "a list of length 2")),
        ("b['c','z']", LensKeyError,
         "Lens `b['c','z']` failed at step `['c','z']`: no key `z` in a dict with keys `c`."),
        ("s[:]", LensValueError,
         "Lens `s[:]` failed at step `[:]`: expected a sequence to slice with `[:]` but found a str"),
        ("b.c[::0]", LensValueError, "Lens `b.c[::0]` failed at step `[::0]`: a slice step cannot be zero"),
    ],
)  # fmt: skip
def test_lookup_errors(text: str, error: type[LensError], message: str) -> None:
    """Failures raise the LensError subclass of the builtin TruLens raised, naming lens and step."""
    with pytest.raises(error) as info:
        list(Lens.of_string(text).get(obj()))
    assert message == str(info.value)
    assert Lens.of_string(text) == info.value.lens
    assert info.value.step is not None


def test_lookup_errors_subclass_builtins() -> None:
    """Code that catches KeyError / IndexError / ValueError keeps working."""
    with pytest.raises(KeyError):
        list(L.b.d.get(obj()))
    with pytest.raises(IndexError):
        list(L.b.c[9].get(obj()))
    with pytest.raises(ValueError):
        list(L.empty.x.get(obj()))


def test_did_you_mean() -> None:
    """A misspelt key names the close matches and lists what exists."""
    data = {"__record__": {"app": {"retriever": {}, "llm": {}}}}
    with pytest.raises(LensKeyError) as info:
        list(Select.RecordCalls.retriver.retrieve.get(data))
    assert (
        "Lens `__record__.app.retriver.retrieve` failed at step `.retriver`: no key `retriver` "
        "in a dict with keys `retriever`, `llm`. Did you mean `retriever`?"
    ) == str(info.value)
    assert ("retriever", "llm") == info.value.available


@dataclass
class Component:
    """A plain object with attributes, as apps have."""

    retriever: Any = None
    temperature: float = 0.0


def test_missing_attribute_lists_attributes() -> None:
    """A missing attribute is a ValueError (as in TruLens) listing the object's attributes."""
    with pytest.raises(LensValueError) as info:
        list(L.app.retriver.get({"app": Component()}))
    assert (
        "Lens `app.retriver` failed at step `.retriver`: no attribute `retriver` on a Component "
        "with attributes `retriever`, `temperature`. Did you mean `retriever`?"
    ) == str(info.value)


def test_long_listings_are_cut() -> None:
    """Error messages list at most a dozen keys."""
    with pytest.raises(LensKeyError, match="`k11` and 8 more"):
        list(L.zz.get({f"k{i}": i for i in range(20)}))


def test_get_reads_attributes_and_keys() -> None:
    """A name step reads dict keys (incl. Munch) and object attributes."""
    data = munch.Munch(app=Component(retriever={"k": 1}))
    assert [1] == list(L.app.retriever.k.get(data))
    assert [1] == list((L.app + GetAttribute(attribute="retriever") + GetItem(item="k")).get(data))


def test_attribute_step_does_not_read_keys() -> None:
    """GetAttribute reads attributes only; GetItem reads keys only."""
    with pytest.raises(LensValueError, match="no attribute `k`"):
        list((L + GetAttribute(attribute="k")).get({"k": 1}))
    with pytest.raises(LensValueError, match="expected a dict"):
        list((L + GetItem(item="retriever")).get(Component()))


def test_fan_out_logs_at_debug_not_warning(caplog: pytest.LogCaptureFixture) -> None:
    """The ambiguous look-up over several elements logs at DEBUG only."""
    caplog.set_level("DEBUG", logger="spyglass.core.lens._lens")
    assert [1, 3] == list(L.a.x.get(obj()))
    assert ["DEBUG"] == [r.levelname for r in caplog.records]


def test_fan_out_over_nested_one_element_lists() -> None:
    """A one-element sequence is stepped into, however deep."""
    assert [5] == list(L.x.get([[{"x": 5}]]))


def test_get_sole_item() -> None:
    """get_sole_item gives the one value; none or several is a LensValueError saying how many."""
    assert 30 == L.b.c[-1].get_sole_item(obj())
    with pytest.raises(LensValueError, match="`a.x` selected 2 values where exactly one"):
        L.a.x.get_sole_item(obj())
    with pytest.raises(LensValueError, match="`a.z` selected nothing"):
        L.a.z.get_sole_item(obj())
    with pytest.raises(LensKeyError):
        L.zz.get_sole_item(obj())


@pytest.mark.parametrize(
    ("text", "exists"),
    [("a.x", True), ("b.c.zzz", False), ("a.z", False), ("a[:].y", False), ("zz", False),
     ("b.c[3]", False), ("empty.x", False), ("", True), ("a[]", False)],
)  # fmt: skip
def test_exists(text: str, exists: bool) -> None:
    """exists is True only when the lens selects something without an error ([bug] fixed)."""
    assert exists == Lens.of_string(text).exists(obj())


def test_existing_prefix() -> None:
    """existing_prefix is the longest prefix that exists."""
    assert L.b.c == L.b.c.zzz.q.existing_prefix(obj())
    assert L.b.c[0] == L.b.c[0].existing_prefix(obj())
    assert L == L.zz.existing_prefix(obj())


def test_prefixes() -> None:
    """is_prefix_of is stepwise; is_immediate_prefix_of is one step shorter."""
    assert L.is_prefix_of(L.a)
    assert L.a.is_prefix_of(L.a)
    assert L.a.is_prefix_of(L.a.b.c)
    assert not L.a.b.is_prefix_of(L.a)
    assert not L.a.is_prefix_of(L["a", "b"])
    assert L.a.is_immediate_prefix_of(L.a.b)
    assert not L.a.is_immediate_prefix_of(L.a.b.c)
    assert not L.a.is_immediate_prefix_of(L.a)


# ---------------------------------------------------------------------------- §1.6 set


def test_set_is_not_mutating() -> None:
    """set returns an updated copy and leaves the object alone."""
    original = obj()
    updated = L.b.c[0].set(original, 99)
    assert [99, 20, 30] == updated["b"]["c"]
    assert obj() == original


def test_set_through_multi_valued_step_keeps_each_element() -> None:
    """[bug] fixed: each element is updated from its own value, not from the last one."""
    data = {"a": [{"x": 1, "y": 2}, {"x": 3}]}
    assert {"a": [{"x": 0, "y": 2}, {"x": 0}]} == L.a[:].x.set(data, 0)
    assert {"a": [{"x": 1, "y": 2}, {"x": 3}]} == data


def test_set_creates_missing_slots() -> None:
    """Missing names become dicts and indexes pad lists with None."""
    assert {"q": {"r": [None, None, "v"]}} == L.q.r[2].set({}, "v")
    assert {"a": {"b": 1}} == L.a.b.set(None, 1)
    assert [None, 1] == L[1].set(None, 1)


@pytest.mark.parametrize(
    ("lens", "data", "expected"),
    [
        (L, 1, "v"),
        (L["k"], {"k": 1, "j": 2}, {"k": "v", "j": 2}),
        (Lens(path=(GetItem(item="k"),)), {}, {"k": "v"}),
        (L[-1], (1, 2), [1, "v"]),
        (L[1:], [1, 2, 3], [1, "v", "v"]),
        (L[0, 3], [1], ["v", None, None, "v"]),
        (L["a", "b"], {"a": 1}, {"a": "v", "b": "v"}),
        (L.a.x, {"a": [{"x": 1}, {"y": 2}]}, {"a": [{"x": "v"}, {"y": 2, "x": "v"}]}),
    ],
)
def test_set_steps(lens: Lens, data: Any, expected: Any) -> None:
    """Each step kind sets every position it selects (as TruLens 1.x)."""
    assert expected == lens.set(data, "v")


def test_set_keeps_munch_and_copies_objects() -> None:
    """Munch stays Munch; objects are shallow-copied and their attribute set."""
    data = munch.Munch(app=Component(retriever="r"))
    updated = L.app.retriever.set(data, "new")
    assert isinstance(updated, munch.Munch)
    assert "new" == updated.app.retriever
    assert "r" == data.app.retriever


def test_set_on_frozen_pydantic_model() -> None:
    """A pydantic model (even frozen) is updated through model_copy."""

    class Frozen(BaseModel, frozen=True):
        x: int = 1

    assert 5 == L.x.set(Frozen(), 5).x


def test_set_attribute_step_creates_munch() -> None:
    """GetAttribute on nothing creates a Munch (attributes and keys at once)."""
    created = (L + GetAttribute(attribute="a")).set(None, 1)
    assert isinstance(created, munch.Munch)
    assert 1 == created.a


def test_set_errors() -> None:
    """set through a step that cannot apply names the lens; Collect cannot be set."""
    with pytest.raises(LensValueError, match=r"Lens `\['k'\]` failed at step `\['k'\]`"):
        Lens.of_string("['k']").set([1], "v")
    with pytest.raises(LensIndexError, match="index `-3`"):
        L[-3].set([1], "v")
    with pytest.raises(NotImplementedError, match="collect"):
        L.a.collect().set({}, 1)


def test_set_or_append() -> None:
    """set_or_append appends to a list, and starts one where there is none."""
    assert {"a": [1, 2]} == L.a.set_or_append({"a": [1]}, 2)
    assert {"a": [2]} == L.a.set_or_append({}, 2)
    assert {"a": [2]} == L.a.set_or_append({"a": None}, 2)
    assert {"a": [2]} == L.a.set_or_append({"a": "text"}, 2)
    assert {"a": [{"l": [0, 1]}, {"l": [1]}]} == L.a[:].l.set_or_append({"a": [{"l": [0]}, {}]}, 1)


# ---------------------------------------------------------------------------- §1.7 calls


@dataclass
class Call:
    """A recorded invocation, as `RecordAppCall` has it."""

    args: dict[str, Any] = field(default_factory=dict)
    rets: Any = None


def layout(*calls: Call) -> dict[str, Any]:
    """A record laid out as an app, with `retriever.retrieve` called as given."""
    return {"__record__": {"app": {"retriever": {"retrieve": list(calls)}}}}


TWO_CALLS = layout(
    Call({"query": "What is Y?", "k": 2}, ["d0", "d1"]),
    Call({"query": "What is X?", "k": 1}, ["d2"]),
)


@pytest.mark.parametrize(
    ("lens", "values"),
    [
        (Select.RecordCalls.retriever.retrieve.rets, [["d0", "d1"], ["d2"]]),
        (Select.RecordCalls.retriever.retrieve[:].rets, [["d0", "d1"], ["d2"]]),
        (Select.RecordCalls.retriever.retrieve.rets[:], ["d0", "d1", "d2"]),
        (Select.RecordCalls.retriever.retrieve[1].args, [{"query": "What is X?", "k": 1}]),
        (Select.RecordCalls.retriever.retrieve.rets.collect(), [[["d0", "d1"], ["d2"]]]),
        (Select.RecordCalls.retriever.retrieve.rets[:].collect(), [["d0", "d1", "d2"]]),
    ],
)
def test_calls_of_a_method(lens: Lens, values: list[Any]) -> None:
    """Over several invocations, `.rets` fans out and `[:]` flattens (as TruLens 1.x)."""
    assert values == list(lens.get(TWO_CALLS))


def test_single_call_steps_into_it() -> None:
    """With one invocation, `retrieve.rets` is just its rets."""
    assert [["d0"]] == list(
        Select.RecordCalls.retriever.retrieve.rets.get(layout(Call(rets=["d0"])))
    )


# ---------------------------------------------------------------------------- §1.8 JSON


class Holder(BaseModel):
    """A model with lens fields, as FeedbackDefinition has."""

    selectors: dict[str, Lens]
    if_exists: Lens | None = None


def test_lens_serialises_to_its_string() -> None:
    """model_dump gives str(lens); model_dump_json a JSON string."""
    lens = Select.RecordCalls.retrieve.rets[:].collect()
    assert "__record__.app.retrieve.rets[:].collect()" == lens.model_dump()
    assert '"__record__.calls[-1]"' == Select.RecordCall.model_dump_json()


def test_lens_validates_from_str_dict_and_lens() -> None:
    """A Lens validates from its string, {"path": [step dicts]} or a Lens."""
    lens = L.a[0]
    assert lens == Lens.model_validate("a[0]")
    assert lens == Lens.model_validate({"path": [{"item_or_attribute": "a"}, {"index": 0}]})
    assert lens == Lens.model_validate(lens)
    assert lens == Lens(path=[GetItemOrAttribute(item_or_attribute="a"), {"index": 0}])
    with pytest.raises(ValueError, match="Expected a lens"):
        Lens.model_validate(3)


def test_lens_as_a_pydantic_field() -> None:
    """Lenses in a model store as strings and read back; [bug] fixed for RecordCall selectors."""
    holder = Holder(
        selectors={"a": Select.RecordCalls.retrieve.rets[:].collect(), "b": Select.RecordArgs}
    )
    dumped = holder.model_dump()
    assert {
        "selectors": {
            "a": "__record__.app.retrieve.rets[:].collect()",
            "b": "__record__.calls[-1].args",
        },
        "if_exists": None,
    } == dumped
    assert holder == Holder.model_validate(dumped)
    assert holder == Holder.model_validate_json(holder.model_dump_json())


# ---------------------------------------------------------------------------- helpers


def test_all_queries_pre_order() -> None:
    """all_queries lists every path into dicts, lists and models, parents first."""
    assert [L, L.a, L.a[0], L.a[1], L.b, L.b.c] == list(all_queries({"a": [1, 2], "b": {"c": 3}}))
    assert [L] == list(all_queries(Component()))  # plain objects are leaves


def test_all_objects_on_models() -> None:
    """all_objects walks pydantic fields and pairs each lens with its value."""

    class M(BaseModel):
        x: int = 1
        y: list[int] = [2]

    assert [(L, M()), (L.x, 1), (L.y, [2]), (L.y[0], 2)] == list(all_objects(M()))
