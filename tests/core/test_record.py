"""Record, RecordAppCall, RecordAppCallMethod: fields, printed forms, layout, get, feedback waits."""

from __future__ import annotations

import logging
import re
from concurrent.futures import Future
from datetime import datetime, timedelta

import munch
import pytest

from spyglass.core import (
    Cost,
    FeedbackDefinition,
    FeedbackResult,
    FeedbackResultStatus,
    Lens,
    Perf,
    Record,
    RecordAppCall,
    RecordAppCallMethod,
    Select,
)
from spyglass.core.serial._pyschema import Class, Method, Module, Obj

T0 = datetime(2024, 1, 2, 3, 4, 5)


def _method(name: str, cls: str = "App") -> Method:
    return Method(obj=Obj(cls=Class(name=cls, module=Module(module_name="tests")), id=7), name=name)


def _frame(path: str, method: str) -> RecordAppCallMethod:
    return RecordAppCallMethod(path=Lens.of_string(path), method=_method(method))


def _call(*frames: tuple[str, str], end: float | None, args=None, rets=None) -> RecordAppCall:
    perf = None if end is None else Perf(start_time=T0, end_time=T0 + timedelta(seconds=end))
    return RecordAppCall(
        stack=[_frame(p, m) for p, m in frames], args=args or {}, rets=rets, perf=perf, pid=1, tid=2
    )


ROOT = ("app", "respond")
RETRIEVE = ("app.retriever", "retrieve")


def _rag_record(**fields) -> Record:
    """`respond` calls `retrieve` twice (returning ['d0','d1'] and ['d2']) then `generate`."""
    calls = [
        _call(ROOT, end=9, args={"q": "What is X?"}, rets="answer"),
        _call(ROOT, RETRIEVE, end=1, args={"query": "What is X?", "k": 2}, rets=["d0", "d1"]),
        _call(ROOT, RETRIEVE, end=2, args={"query": "What is X?", "k": 1}, rets=["d2"]),
        _call(ROOT, ("app.llm", "generate"), end=3, args={"prompt": "p"}, rets="answer"),
    ]
    return Record(
        app_id="app_1", main_input="What is X?", main_output="answer", calls=calls, **fields
    )


# ------------------------------------------------------------------ printed forms


def test_frame_str_is_path_dot_method() -> None:
    """str(RecordAppCallMethod) is `<path>.<method name>`."""
    assert "app.retriever.retrieve" == str(_frame("app.retriever", "retrieve"))


def test_call_str_joins_stack() -> None:
    """str(RecordAppCall) is `RecordAppCall: ` + the stack frames joined by ` -> `."""
    call = _call(ROOT, RETRIEVE, end=1)
    assert "RecordAppCall: app.respond -> app.retriever.retrieve" == str(call)


def test_call_top_and_method_are_last_frame() -> None:
    """`top` is the last stack frame and `method` its method."""
    call = _call(ROOT, RETRIEVE, end=1)
    assert (call.stack[-1], "retrieve") == (call.top, call.method.name)


def test_call_id_defaults_to_unique_uuid() -> None:
    """Each call gets its own uuid4 string id."""
    a, b = _call(ROOT, end=1), _call(ROOT, end=1)
    assert re.fullmatch(r"[0-9a-f-]{36}", a.call_id) and a.call_id != b.call_id


def test_record_str_lists_calls() -> None:
    """str(Record) is a header with the call count, then one indented line per call."""
    record = _rag_record(record_id="r1")
    expected = (
        "Record(r1) with 4 calls:\n"
        "  RecordAppCall: app.respond -> app.retriever.retrieve\n"
        "  RecordAppCall: app.respond -> app.retriever.retrieve\n"
        "  RecordAppCall: app.respond -> app.llm.generate\n"
        "  RecordAppCall: app.respond\n"
    )
    assert expected == str(record)


# --------------------------------------------------------------------- fields


def test_calls_sorted_by_end_time_none_last() -> None:
    """The constructor orders calls by perf.end_time; calls without one go last."""
    calls = [_call(ROOT, end=None), _call(ROOT, end=5), _call(ROOT, end=1)]
    record = Record(app_id="a", calls=calls)
    assert [calls[2], calls[1], calls[0]] == record.calls


def test_record_id_default_is_unique_and_cheap() -> None:
    """Without an id, a record gets `record_` + 32 hex digits, different per record."""
    a, b = Record(app_id="a"), Record(app_id="a")
    assert re.fullmatch(r"record_[0-9a-f]{32}", a.record_id) and a.record_id != b.record_id


def test_record_id_given_is_kept() -> None:
    """An explicit record_id is kept."""
    assert "mine" == Record(app_id="a", record_id="mine").record_id


def test_record_hash_is_hash_of_id() -> None:
    """hash(record) == hash(record_id), so records can live in sets."""
    record = Record(app_id="a", record_id="r9")
    assert (hash("r9"), 1) == (hash(record), len({record, record}))


def test_content_hash_id_ignores_record_id() -> None:
    """content_hash_id is the TruLens-style hash of the content, whatever the id."""
    a = Record(app_id="a", record_id="x", ts=T0, main_input="hi")
    b = Record(app_id="a", record_id="y", ts=T0, main_input="hi")
    c = Record(app_id="a", record_id="x", ts=T0, main_input="ho")
    assert a.content_hash_id() == b.content_hash_id() != c.content_hash_id()
    assert a.content_hash_id().startswith("record_hash_")


def test_defaults_match_trulens() -> None:
    """Defaults: tags "", no cost/perf/meta, no calls, empty spans, no feedback futures."""
    record = Record(app_id="a")
    actual = (
        record.tags,
        record.cost,
        record.perf,
        record.meta,
        record.calls,
        record.experimental_otel_spans,
        record.feedback_and_future_results,
        record.feedback_results,
    )
    assert ("", None, None, None, [], [], None, None) == actual


def test_json_round_trip_and_feedback_fields_excluded() -> None:
    """A record survives model_dump_json/model_validate_json; feedback futures are not dumped."""
    record = _rag_record(
        cost=Cost(n_tokens=3), perf=Perf(start_time=T0, end_time=T0), meta={"m": 1}
    )
    record.feedback_results = [Future()]
    dumped = record.model_dump_json()
    assert "feedback_results" not in dumped and "feedback_and_future_results" not in dumped
    loaded = Record.model_validate_json(dumped)
    record.feedback_results = None
    assert record == loaded


def test_unknown_stored_fields_are_ignored() -> None:
    """Stored records with fields of other TruLens versions (conversation_id) still load."""
    record = Record.model_validate({"app_id": "a", "record_id": "r", "conversation_id": "c"})
    assert "r" == record.record_id


SEED_RECORD_NAMES = (
    "record_id",
    "app_id",
    "cost",
    "perf",
    "ts",
    "tags",
    "meta",
    "main_input",
    "main_output",
    "main_error",
    "calls",
    "experimental_otel_spans",
    "feedback_and_future_results",
    "feedback_results",
    "feedback_results_as_completed",
    "__rich_repr__",
    "wait_for_feedback_results",
    "get",
    "layout_calls_as_app",
)


def test_record_has_every_seed_page_name() -> None:
    """Every field and method the seed page lists for Record exists."""
    record = Record(app_id="a")
    assert [] == [name for name in SEED_RECORD_NAMES if not hasattr(record, name)]


def test_rich_repr_exists() -> None:
    """Record and AppDefinition keep TruLens's `__rich_repr__` for rich printing."""
    assert ("record_id", "r") in list(Record(app_id="a", record_id="r").__rich_repr__())


# --------------------------------------------------------------------- layout


def test_layout_is_munch_over_record_fields() -> None:
    """The layout is a Munch with the record's serialised fields (ts as ISO text)."""
    layout = _rag_record(ts=T0, cost=Cost(n_tokens=5)).layout_calls_as_app()
    assert isinstance(layout, munch.Munch)
    assert ("What is X?", "2024-01-02T03:04:05", 5) == (
        layout.main_input,
        layout.ts,
        layout.cost["n_tokens"],
    )


def test_layout_leaves_are_call_lists_in_end_time_order() -> None:
    """Each `<path>.<method>` holds the RecordAppCall objects of every invocation, by end time."""
    record = _rag_record()
    layout = record.layout_calls_as_app()
    assert record.calls[0:2] == layout["app"]["retriever"]["retrieve"]
    assert [record.calls[3]] == layout["app"]["respond"]
    assert all(type(c) is RecordAppCall for c in layout["app"]["retriever"]["retrieve"])


def test_layout_calls_key_holds_the_calls() -> None:
    """`calls` in the layout is the record's calls, so `calls[-1]` is the root call."""
    record = _rag_record()
    assert record.calls == record.layout_calls_as_app()["calls"]


def test_layout_index_steps_create_padded_lists() -> None:
    """A path with `[i]` creates a list padded with None, as Lens.set does."""
    record = Record(app_id="a", calls=[_call(ROOT, ("app.agents[1]", "invoke"), end=1)])
    assert [None, {"invoke": [record.calls[0]]}] == record.layout_calls_as_app()["app"]["agents"]


def test_layout_item_steps_create_dicts() -> None:
    """A path with item steps (`['my-key']`) creates dicts keyed by the item."""
    call = _call(("app.steps['my-key']", "invoke"), end=1)
    record = Record(app_id="a", calls=[call])
    assert {"my-key": {"invoke": [call]}} == record.layout_calls_as_app()["app"]["steps"]


def test_layout_empty_path_lands_at_top_level() -> None:
    """A call with an empty path (virtual root, method `root`) is at layout["root"]."""
    call = RecordAppCall(
        stack=[RecordAppCallMethod(path=Lens(), method=_method("root"))], pid=0, tid=0
    )
    record = Record(app_id="a", calls=[call])
    assert [call] == record.layout_calls_as_app()["root"]


def test_layout_conflicting_path_loses_only_that_call(caplog: pytest.LogCaptureFixture) -> None:
    """A call whose path runs through another call's list is left out, logged, not raised."""
    first = _call(("app", "x"), end=1)
    clash = _call(("app.x", "y"), end=2)
    with caplog.at_level(logging.WARNING, logger="spyglass.core.schema._record"):
        layout = Record(app_id="a", calls=[first, clash]).layout_calls_as_app()
    assert [first] == layout["app"]["x"]
    assert any("Could not place call" in r.getMessage() for r in caplog.records)


def test_layout_is_cached() -> None:
    """layout_calls_as_app() returns the same object until the record changes."""
    record = _rag_record()
    assert record.layout_calls_as_app() is record.layout_calls_as_app()


def test_layout_follows_appended_calls() -> None:
    """Appending to `calls` invalidates the cached layout."""
    record = _rag_record()
    record.layout_calls_as_app()
    extra = _call(ROOT, RETRIEVE, end=4, rets=["d3"])
    record.calls.append(extra)
    assert extra is record.layout_calls_as_app()["app"]["retriever"]["retrieve"][-1]


def test_layout_follows_replaced_calls_and_fields() -> None:
    """Assigning `calls` or any serialised field rebuilds the layout."""
    record = _rag_record()
    record.layout_calls_as_app()
    record.calls = [_call(("app", "other"), end=1)]
    record.main_output = "changed"
    layout = record.layout_calls_as_app()
    assert (["other"], "changed") == (list(layout["app"]), layout.main_output)


def test_assigning_feedback_fields_keeps_layout() -> None:
    """Filling the feedback futures (done while feedbacks read the layout) keeps the cache."""
    record = _rag_record()
    layout = record.layout_calls_as_app()
    record.feedback_results = []
    assert layout is record.layout_calls_as_app()


# ------------------------------------------------------------------------ get


def test_get_multiple_invocations_like_trulens() -> None:
    """Selectors over repeated calls select as in TruLens 1.x"""
    record = _rag_record()
    retrieve = Select.RecordCalls.retriever.retrieve
    assert [["d0", "d1"], ["d2"]] == record.get(retrieve.rets.collect())
    assert [["d0", "d1"], ["d2"]] == record.get(retrieve[:].rets.collect())
    assert ["d0", "d1", "d2"] == record.get(retrieve.rets[:].collect())
    assert {"query": "What is X?", "k": 1} == record.get(retrieve[1].args)


def test_get_record_shortcuts() -> None:
    """RecordInput/Output and RecordCall (= the root call) read from the record."""
    record = _rag_record()
    assert ("What is X?", "answer") == (
        record.get(Select.RecordInput),
        record.get(Select.RecordOutput),
    )
    assert ({"q": "What is X?"}, "answer") == (
        record.get(Select.RecordArgs),
        record.get(Select.RecordRets),
    )


def test_get_empty_lens_is_layout() -> None:
    """get(Lens()) is the whole layout."""
    record = _rag_record()
    assert record.layout_calls_as_app() is record.get(Lens())


def test_get_without_record_prefix_reads_layout() -> None:
    """A lens without `__record__` is read from the layout as it is."""
    assert "answer" == _rag_record().get(Lens().main_output)


def test_get_app_lens_names_the_fix() -> None:
    """A lens starting at `__app__` is refused with a ValueError that points to Select.Record."""
    with pytest.raises(ValueError, match=r"references an app, not a record.*Select\.Record"):
        _rag_record().get(Select.App.app.llm)


def test_get_several_values_is_an_error() -> None:
    """get() wants exactly one value; several are a ValueError (use .collect())."""
    with pytest.raises(ValueError):
        _rag_record().get(Select.RecordCalls.retriever.retrieve.rets[:])


def test_get_missing_path_raises_lookup_error() -> None:
    """A path that is not in the record raises a KeyError naming it."""
    with pytest.raises(KeyError, match="retriver"):
        _rag_record().get(Select.RecordCalls.retriver.retrieve.rets)


# ---------------------------------------------------------------- feedback


def _definition(name: str) -> FeedbackDefinition:
    return FeedbackDefinition(supplied_name=name, selectors={"x": Select.RecordOutput})


def _done(name: str, value: float) -> Future:
    future: Future = Future()
    future.set_result(
        FeedbackResult(record_id="r", name=name, result=value, status=FeedbackResultStatus.DONE)
    )
    return future


def test_wait_without_feedback_is_empty() -> None:
    """No scheduled feedback: wait_for_feedback_results() is {}."""
    assert {} == Record(app_id="a").wait_for_feedback_results()


def test_wait_maps_definitions_to_results() -> None:
    """Each definition maps to its future's result."""
    f1, f2 = _definition("one"), _definition("two")
    r1, r2 = _done("one", 0.5), _done("two", 1.0)
    record = Record(app_id="a", feedback_and_future_results=[(f1, r1), (f2, r2)])
    assert {f1: r1.result(), f2: r2.result()} == record.wait_for_feedback_results()


def test_wait_reports_failed_future_as_failed_result() -> None:
    """A future that raised becomes a `failed` result carrying the traceback, not an exception."""
    definition = _definition("bad")
    future: Future = Future()
    future.set_exception(RuntimeError("boom"))
    record = Record(app_id="a", record_id="r", feedback_and_future_results=[(definition, future)])
    result = record.wait_for_feedback_results()[definition]
    assert (FeedbackResultStatus.FAILED, "bad", "r") == (
        result.status,
        result.name,
        result.record_id,
    )
    assert "RuntimeError: boom" in result.error


def test_wait_reports_timeout_as_failed_result(caplog: pytest.LogCaptureFixture) -> None:
    """A feedback that does not finish in time is reported as `failed`, saying so, not dropped."""
    definition = _definition("slow")
    record = Record(app_id="a", feedback_and_future_results=[(definition, Future())])
    with caplog.at_level(logging.CRITICAL, logger="spyglass.core.schema._record"):
        result = record.wait_for_feedback_results(feedback_timeout=0.01)[definition]
    assert FeedbackResultStatus.FAILED == result.status
    assert "did not finish within 0.01 s" in result.error
    assert definition.feedback_definition_id == result.feedback_definition_id


def test_results_as_completed_yields_every_result() -> None:
    """feedback_results_as_completed yields each result; a failed future yields `failed`."""
    bad: Future = Future()
    bad.set_exception(ValueError("nope"))
    good = _done("good", 0.25)
    definition = _definition("bad")
    record = Record(
        app_id="a",
        feedback_results=[good, bad],
        feedback_and_future_results=[(_definition("good"), good), (definition, bad)],
    )
    results = sorted(record.feedback_results_as_completed, key=lambda r: r.name)
    assert [("bad", FeedbackResultStatus.FAILED), ("good", FeedbackResultStatus.DONE)] == [
        (r.name, r.status) for r in results
    ]


def test_results_as_completed_falls_back_to_pairs() -> None:
    """With only feedback_and_future_results set, as_completed still yields their results."""
    record = Record(
        app_id="a", feedback_and_future_results=[(_definition("one"), _done("one", 1.0))]
    )
    assert ["one"] == [r.name for r in record.feedback_results_as_completed]


def test_record_is_collectable() -> None:
    """A record with a cached layout is freed by reference counting (no self-cycle)."""
    import weakref

    record = _rag_record()
    record.layout_calls_as_app()
    ref = weakref.ref(record)
    del record
    assert ref() is None


def test_from_parts_equals_the_validated_record() -> None:
    """Record._from_parts (the record build's path) gives what Record(...) gives for valid parts."""
    validated = _rag_record(ts=T0, tags="t", meta={"m": 1}, cost=Cost(n_requests=1))
    parts = {
        "ts": T0,
        "app_id": "app_1",
        "main_input": "What is X?",
        "main_output": "answer",
        "calls": validated.calls,
        "tags": "t",
        "meta": {"m": 1},
        "cost": Cost(n_requests=1),
    }
    fast = Record._from_parts(**parts)
    assert validated.model_fields_set == fast.model_fields_set
    assert validated.model_dump(exclude={"record_id"}) == fast.model_dump(exclude={"record_id"})
    assert fast.record_id.startswith("record_") and fast.record_id != validated.record_id
    validated.record_id = fast.record_id
    assert validated.layout_calls_as_app() == fast.layout_calls_as_app()
