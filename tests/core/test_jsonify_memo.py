"""jsonify's memo: each object serialised once across calls sharing it, same forms as without."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from spyglass.core.serial._encoders import register_encoder, unregister_encoder
from spyglass.core.serial._jsonify import CIRCULAR, TRUNCATED, jsonify


class Box:
    """Serialised by a counting encoder."""

    def __init__(self, value: Any) -> None:
        self.value = value


@pytest.fixture
def encoded() -> Iterator[list[int]]:
    """Registers an encoder for Box that counts its calls (ids of the boxes)."""
    seen: list[int] = []

    def encode(box: Box) -> dict[str, Any]:
        seen.append(id(box))
        return {"value": box.value}

    register_encoder(Box, encode)
    try:
        yield seen
    finally:
        unregister_encoder(Box)


def test_an_object_is_encoded_once_across_calls_sharing_a_memo(encoded: list[int]) -> None:
    """With one memo, the same object met in two calls is encoded once, to the same form."""
    box = Box([1, 2])
    memo: dict[int, Any] = {}
    first = jsonify({"a": box}, memo=memo)
    second = jsonify([box, box], memo=memo)
    assert [id(box)] == encoded
    assert {"a": {"value": [1, 2]}} == first
    assert [{"value": [1, 2]}, {"value": [1, 2]}] == second


def test_without_a_memo_each_occurrence_is_encoded(encoded: list[int]) -> None:
    """Without a memo, a shared object is encoded where it occurs."""
    box = Box("x")
    jsonify([box, box])
    jsonify(box)
    assert 3 == len(encoded)


def test_a_form_with_a_circular_marker_is_not_reused() -> None:
    """An object inside a cycle gets the form it would get without the memo."""
    inner: list[Any] = []
    outer = {"inner": inner}
    inner.append(outer)
    memo: dict[int, Any] = {}
    assert [{"inner": {CIRCULAR: id(inner)}}] == jsonify(inner, memo=memo)
    assert jsonify(outer) == jsonify(outer, memo=memo)
    assert {"inner": [{CIRCULAR: id(outer)}]} == jsonify(outer, memo=memo)


def test_a_form_made_shallow_is_truncated_when_met_deeper() -> None:
    """Depth truncation is as without the memo when an object is met again deeper."""
    value = {"a": {"b": [1]}}
    memo: dict[int, Any] = {}
    jsonify(value, memo=memo, max_depth=3)
    deep = [[value]]
    assert jsonify(deep, max_depth=3) == jsonify(deep, memo=memo, max_depth=3)
    assert {TRUNCATED: {"max_depth": 3}} == jsonify(deep, memo=memo, max_depth=3)[0][0]["a"]["b"]


def test_a_reused_form_spends_the_node_budget() -> None:
    """A reused form counts its containers against max_nodes as if made again."""
    shared = [[1], [2], [3]]
    memo: dict[int, Any] = {}
    jsonify(shared, memo=memo)
    value = [shared, [4]]
    assert jsonify(value, max_nodes=5) == jsonify(value, memo=memo, max_nodes=5)
    assert {TRUNCATED: {"max_nodes": "exceeded"}} == jsonify(value, memo=memo, max_nodes=5)[1]


def test_objects_an_encoder_creates_never_take_each_others_forms() -> None:
    """Temporary objects made while encoding are held, so a freed id is never reused."""
    memo: dict[int, Any] = {}
    register_encoder(Box, lambda box: {"fresh": [box.value]})
    try:
        forms = [jsonify(Box(i), memo=memo) for i in range(200)]
    finally:
        unregister_encoder(Box)
    assert [{"fresh": [i]} for i in range(200)] == forms
