"""The caches that make building and dumping records cheap never change an answer."""

from __future__ import annotations

import copy
import inspect
import pickle
import uuid
from typing import Any

import pytest

from spyglass.core.instrument._call_site import CallSite
from spyglass.core.lens import _lens
from spyglass.core.lens._lens import GetIndex, GetItemOrAttribute, Lens
from spyglass.core.recording._build import _no_cost
from spyglass.core.schema._measures import Cost
from spyglass.core.schema._record import Record, _new_record_id
from spyglass.core.serial._jsonify import TRUNCATED, Jsonifier, jsonify


def test_lens_text_is_cached_per_path_and_stays_right() -> None:
    lens = Lens().app.retriever[0].retrieve
    assert str(lens) == "app.retriever[0].retrieve"
    assert _lens._texts[id(lens.path)] == (lens.path, "app.retriever[0].retrieve")
    assert str(lens) == "app.retriever[0].retrieve"  # from the cache
    assert lens.model_dump() == "app.retriever[0].retrieve"


def test_lens_text_of_copies_with_another_path() -> None:
    lens = Lens().app.first
    assert str(lens) == "app.first"
    other = lens.model_copy(update={"path": (GetItemOrAttribute(item_or_attribute="x"),)})
    assert str(other) == "x"
    assert str(copy.deepcopy(lens)) == "app.first"
    assert str(pickle.loads(pickle.dumps(lens))) == "app.first"


def test_lens_text_of_a_list_path_is_not_cached() -> None:
    steps = [GetItemOrAttribute(item_or_attribute="a")]
    lens = Lens.model_construct(path=steps)  # a mutable path: never cached
    assert str(lens) == "a"
    steps.append(GetIndex(index=2))
    assert str(lens) == "a[2]"


def test_lens_text_cache_is_bounded() -> None:
    for i in range(_lens._TEXTS_LIMIT + 10):
        str(Lens()[f"k{i}"])
    assert len(_lens._texts) <= _lens._TEXTS_LIMIT
    assert str(Lens()["k0"]) == "k0"


def test_jsonifier_is_jsonify_with_a_shared_memo() -> None:
    shared = {"k": [1, 2.5, "x"], "api_key": "secret"}
    values = [shared, [shared, shared], ("a", 1), "plain", None, float("nan")]
    memo_a: dict[int, Any] = {}
    memo_b: dict[int, Any] = {}
    encode = Jsonifier(memo=memo_b).value
    assert [jsonify(v, memo=memo_a) for v in values] == [encode(v) for v in values]


def test_jsonifier_gives_each_value_its_own_node_budget() -> None:
    encode = Jsonifier(max_nodes=2).value
    value = [[1], [2], [3]]
    assert encode(value) == jsonify(value, max_nodes=2)
    assert encode(value) == jsonify(value, max_nodes=2)  # not the budget the first call left


@pytest.mark.parametrize("max_nodes", [0, 1, 2, 3, 100])
@pytest.mark.parametrize("max_depth", [-1, 0, 1, 64])
def test_jsonifier_new_dict_is_value(max_nodes: int, max_depth: int) -> None:
    """A new dict of arguments gets the form `value` gives it, memo or not."""
    shared = ["doc", {"password": "p"}]
    settings: dict[str, Any] = {"max_nodes": max_nodes, "max_depth": max_depth}
    first, second = Jsonifier(memo={}, **settings), Jsonifier(memo={}, **settings)
    for args in ({"a": shared, "b": shared, "api_key": "k"}, {"x": 1}, {}, {"c": shared}):
        assert first.value(dict(args)) == second.new_dict(dict(args))


def test_leaf_kinds_keep_their_node_and_depth_bounds() -> None:
    class Text(str):
        pass

    value = [Text("a"), Text("b"), Text("c")]
    over = {TRUNCATED: {"max_nodes": "exceeded"}}
    assert [over, [over] * 3, ["a", over, over], ["a", "b", over], ["a", "b", "c"]] == [
        jsonify(value, max_nodes=nodes) for nodes in range(5)
    ]
    assert jsonify({"a": Text("x")}, max_depth=0) == {"a": {TRUNCATED: {"max_depth": 0}}}


class _Methods:
    def lc_invoke(self, input, config=None, **kwargs):  # type: ignore[no-untyped-def]
        return input

    def keyword_only(self, query, *, run_manager, k=4):  # type: ignore[no-untyped-def]
        return query


@pytest.mark.parametrize(
    ("name", "args", "kwargs"),
    [
        ("lc_invoke", ("q",), {}),
        ("lc_invoke", ("q", {"tags": []}), {}),
        ("lc_invoke", ("q",), {"config": {}, "stop": ["x"], "other": 1}),
        ("lc_invoke", (), {"stop": 1, "input": "q"}),
        ("lc_invoke", (), {}),
        ("keyword_only", ("q",), {"k": 2, "run_manager": None}),
        ("keyword_only", ("q",), {}),
    ],
)
def test_call_site_bind_is_signature_bind(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """Bound without Signature.bind when the plan can: the same BoundArguments."""
    func = _Methods.__dict__[name]
    instance = _Methods()
    site = CallSite(_Methods, name, func)
    bound = site.bind(instance, args, kwargs)
    try:
        expected = inspect.signature(func).bind(instance, *args, **kwargs)
    except TypeError:
        assert bound.arguments == {"args": args, "kwargs": kwargs}
        return
    assert list(expected.arguments.items()) == list(bound.arguments.items())
    assert (expected.args, expected.kwargs) == (bound.args, bound.kwargs)


def test_record_ids_are_uuid4_hex() -> None:
    for _ in range(200):
        record_id = _new_record_id()
        value = uuid.UUID(record_id.removeprefix("record_"))
        assert (record_id[:7], value.version, value.variant, value.hex) == (
            "record_",
            4,
            uuid.RFC_4122,
            record_id[7:],
        )


def test_records_from_parts_do_not_share_private_state() -> None:
    first = Record._from_parts(app_id="a", calls=[])
    second = Record._from_parts(app_id="a", calls=[])
    assert first.__pydantic_private__ == second.__pydantic_private__
    assert first.__pydantic_private__ is not second.__pydantic_private__
    assert first.record_id != second.record_id


def test_no_cost_is_cost() -> None:
    made, expected = _no_cost(), Cost()
    assert (made, made.model_fields_set, made.model_dump(exclude_unset=True)) == (
        expected,
        expected.model_fields_set,
        expected.model_dump(exclude_unset=True),
    )
    made.n_tokens = 3  # its own fields-set and values
    assert (_no_cost().model_fields_set, _no_cost().n_tokens) == (set(), 0)
