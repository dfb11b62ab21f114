"""Huge values: each serialised once, within the size limits, in time proportional to
what is kept (checked by counting the elements read, not by timing)."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from spyglass.adapters.custom import TruApp, instrument
from spyglass.core.serial._jsonify import DEFAULT_MAX_ITEMS, DEFAULT_MAX_STR, TRUNCATED

N = 1_000_000


class CountingList(list[int]):
    """A list that counts how many of its elements anybody reads."""

    reads = 0

    def __iter__(self) -> Iterator[int]:
        for x in super().__iter__():
            CountingList.reads += 1
            yield x

    def __getitem__(self, index: Any) -> Any:
        CountingList.reads += 1
        return super().__getitem__(index)


class App:
    @instrument
    def respond(self, value: Any) -> int:
        return 1

    @instrument
    def fail(self, depth: int) -> None:
        if depth:
            self.fail(depth - 1)
        raise ValueError("m" * 5_000_000)


@pytest.fixture()
def app() -> Iterator[tuple[App, TruApp]]:
    a = App()
    recorder = TruApp(a, app_name="huge")
    yield a, recorder


def _record(recorder: TruApp, call: Any) -> Any:
    with recorder as recording:
        try:
            call()
        except ValueError:
            pass
    return recording.get()


def test_a_million_element_argument_is_read_only_as_far_as_it_is_kept(app: Any) -> None:
    """Building the record reads at most max_items (+ a few) elements of the argument."""
    a, recorder = app
    value = CountingList(range(N))
    with recorder as recording:
        a.respond(value)
    CountingList.reads = 0
    record = recording.get()
    assert CountingList.reads <= DEFAULT_MAX_ITEMS + 10
    args = record.calls[-1].args["value"]
    assert len(args) == DEFAULT_MAX_ITEMS + 1
    assert args[-1] == {TRUNCATED: {"len": N, "kept": DEFAULT_MAX_ITEMS}}


@pytest.mark.parametrize(
    "value",
    [
        {i: i for i in range(N)},
        {f"k{i}": i for i in range(N)},
        set(range(N)),
        frozenset(str(i) for i in range(200_000)),
    ],
    ids=["int-keys", "str-keys", "set", "frozenset"],
)
def test_huge_containers_are_kept_within_the_item_limit(app: Any, value: Any) -> None:
    """A million-key dict or million-element set keeps max_items entries and a marker."""
    a, recorder = app
    record = _record(recorder, lambda: a.respond(value))
    form = record.calls[-1].args["value"]
    assert len(form) == DEFAULT_MAX_ITEMS + 1
    assert len(record.model_dump_json()) < 40 * DEFAULT_MAX_ITEMS
    assert (
        "could not determine" not in str(record.main_input).lower()
        or len(record.main_input) < 3_000
    )


def test_a_huge_exception_message_is_kept_once_and_bounded(app: Any) -> None:
    """A 5 MB message: the record keeps at most max_str of it once; other calls refer to it."""
    a, recorder = app
    record = _record(recorder, lambda: a.fail(5))
    errors = [call.error for call in record.calls]
    assert len(errors) == 6
    assert sum(len(e) for e in errors if e) < DEFAULT_MAX_STR + 6 * 2_000
    assert max(len(e) for e in errors if e) <= DEFAULT_MAX_STR + 100
    assert all(f"{TRUNCATED}" in e for e in errors if e)
    dumped = record.model_dump_json()
    assert len(dumped) < 2 * DEFAULT_MAX_STR + 20_000  # main_error and one call: one copy each


def test_an_integer_too_large_for_text_becomes_a_readable_marker(app: Any) -> None:
    """`10**5000` (more digits than Python will write) gives JSON that loads."""
    a, recorder = app
    big = 10**5000
    record = _record(recorder, lambda: a.respond({"n": big, "xs": [big], "neg": -big}))
    loaded = json.loads(record.model_dump_json())
    args = loaded["calls"][-1]["args"]["value"]
    assert args["n"] == f"...[{TRUNCATED}: an integer of about 5001 digits]"
    assert args["xs"][0] == args["n"]
    assert args["neg"].startswith("-...")
    bare = _record(recorder, lambda: a.respond(big))
    assert TRUNCATED in json.loads(bare.model_dump_json())["main_input"]


def test_the_app_thread_copies_only_what_a_record_keeps(app: Any) -> None:
    """A plain million-element list argument: the call allocates far less than a copy of
    it (the record keeps 10,000 items), yet the record shows the list as it was passed."""
    a, recorder = app
    value = list(range(N))
    with recorder as recording:
        tracemalloc.start()
        try:
            a.respond(value)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        value.clear()  # the app changes its list after the call
    assert peak < N  # bytes: a copy of the whole list would take 8 MB
    form = recording.get().calls[-1].args["value"]
    assert form[:3] == [0, 1, 2]
    assert form[-1] == {TRUNCATED: {"len": N, "kept": DEFAULT_MAX_ITEMS}}
