"""Feedback modes: when feedback runs, where its results go, and that it never breaks the app."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from _feedback_fixtures import one_retrieval

from spyglass.core.feedback._feedback import Feedback
from spyglass.core.feedback._runner import DEFERRED_UNAVAILABLE, FeedbackRunner
from spyglass.core.lens._select import Select
from spyglass.core.schema._enums import FeedbackMode, FeedbackResultStatus

DONE = FeedbackResultStatus.DONE
FAILED = FeedbackResultStatus.FAILED


class FakeApp:
    """The two attributes of a recorder the runner reads."""

    def __init__(self, feedbacks, mode):
        self.feedbacks = feedbacks
        self.feedback_mode = mode


_alive: list = []  # the runner holds its app weakly, as a recorder holds its runner


def runner_for(feedbacks, mode) -> FeedbackRunner:
    app = FakeApp(feedbacks, mode)
    _alive.append(app)
    return FeedbackRunner(app)


def gated(gate: threading.Event, started: threading.Event | None = None) -> Feedback:
    """A feedback that returns 1.0 once `gate` is set."""

    def wait_for_gate(text: str) -> float:
        if started is not None:
            started.set()
        assert gate.wait(5), "test gate never opened"
        return 1.0

    return Feedback(wait_for_gate).on_output()


def counting(calls: list) -> Feedback:
    def count(text: str) -> float:
        calls.append(text)
        return 1.0

    return Feedback(count).on_output()


# ------------------------------------------------------------------ the runner


def test_with_app_runs_before_on_record_returns():
    """WITH_APP: every feedback result is ready when on_record returns."""
    record = one_retrieval()
    fbs = [counting([]), Feedback(lambda text: 0.5, name="half").on_output()]
    runner_for(fbs, FeedbackMode.WITH_APP).on_record(record)
    assert [True, True] == [f.done() for f in record.feedback_results]
    assert [DONE, DONE] == [r.status for r in record.wait_for_feedback_results(0).values()]


def test_with_app_thread_does_not_block():
    """WITH_APP_THREAD: on_record returns while the feedback is still running."""
    gate, started = threading.Event(), threading.Event()
    record = one_retrieval()
    runner = runner_for([gated(gate, started)], FeedbackMode.WITH_APP_THREAD)
    runner.on_record(record)
    assert started.wait(5)
    assert [False] == [f.done() for f in record.feedback_results]
    gate.set()
    assert [DONE] == [r.status for r in record.wait_for_feedback_results(5).values()]


def test_none_runs_nothing():
    """NONE: no feedback is evaluated and the record has no futures."""
    calls: list = []
    record = one_retrieval()
    runner_for([counting(calls)], FeedbackMode.NONE).on_record(record)
    assert ([], [], {}) == (calls, record.feedback_results, record.wait_for_feedback_results(0))


@pytest.mark.parametrize("mode", list(FeedbackMode))
def test_without_feedbacks_a_record_gets_empty_fields_once(mode):
    """An app without feedbacks (the usual case): the record gets empty lists, in every
    mode, and a record that already has its futures keeps them."""
    record = one_retrieval()
    runner_for([], mode).on_record(record)
    assert ([], [], {}) == (
        record.feedback_results,
        record.feedback_and_future_results,
        record.wait_for_feedback_results(0),
    )
    pairs = record.feedback_and_future_results
    runner_for([], mode).on_record(record)
    assert record.feedback_and_future_results is pairs


def test_per_record_mode_overrides_app_mode():
    """on_record(record, feedback_mode=...) overrides the app's mode for that record."""
    calls: list = []
    record = one_retrieval()
    runner_for([counting(calls)], FeedbackMode.NONE).on_record(
        record, feedback_mode=FeedbackMode.WITH_APP
    )
    assert ["Paris is in France."] == calls


def test_both_record_fields_are_filled():
    """feedback_and_future_results pairs each definition with its future; feedback_results has the futures."""
    record = one_retrieval()
    f = Feedback(lambda text: 1.0).on_output()
    runner_for([f], FeedbackMode.WITH_APP).on_record(record)
    [(definition, future)] = record.feedback_and_future_results
    assert (f, [future]) == (definition, record.feedback_results)


def test_timed_out_feedback_is_reported_not_dropped():
    """A feedback still running past the wait's timeout is in the results as `failed`, saying it timed out."""
    record = one_retrieval()
    slow = Feedback(lambda text: time.sleep(0.2) or 1.0, name="slow").on_output()
    runner_for([slow], FeedbackMode.WITH_APP_THREAD).on_record(record)
    [result] = record.wait_for_feedback_results(feedback_timeout=0.05).values()
    assert FAILED == result.status
    assert "did not finish within 0.05 s" in result.error
    assert DONE == record.feedback_results[0].result(5).status


def test_wait_returns_every_scheduled_record_once():
    """wait() waits for every record scheduled since the last wait and returns them, oldest first."""
    gate = threading.Event()
    runner = runner_for([gated(gate)], FeedbackMode.WITH_APP_THREAD)
    records = [one_retrieval(), one_retrieval()]
    for r in records:
        runner.on_record(r)
    assert 2 == runner.pending()
    gate.set()
    assert records == runner.wait(5)
    assert all(f.done() for r in records for f in r.feedback_results)
    assert [] == runner.wait(0)


def test_wait_with_timeout_returns_unfinished_records():
    """wait(timeout) returns when the time is up, with the unfinished records among the returned ones."""
    gate = threading.Event()
    runner = runner_for([gated(gate)], FeedbackMode.WITH_APP_THREAD)
    record = one_retrieval()
    runner.on_record(record)
    assert [record] == runner.wait(0.01)
    gate.set()
    record.feedback_results[0].result(5)


def test_scheduling_failure_is_logged_not_raised(caplog):
    """An error while scheduling (a broken record) is logged; on_record does not raise."""
    runner = runner_for([Feedback(lambda text: 1.0).on_output()], FeedbackMode.WITH_APP)
    runner.on_record(object())  # not a record: cannot hold results
    assert any("could not schedule feedback" in r.getMessage() for r in caplog.records)


def test_repeated_scheduling_failure_shows_one_traceback(caplog):
    """A scheduling error that repeats on every record logs its traceback once, then at debug level."""
    runner = runner_for([Feedback(lambda text: 1.0).on_output()], FeedbackMode.WITH_APP)
    with caplog.at_level(logging.DEBUG, logger="spyglass"):
        runner.on_record(object())
        runner.on_record(object())
    failures = [r for r in caplog.records if "could not schedule feedback" in r.getMessage()]
    assert [(logging.ERROR, True), (logging.DEBUG, False)] == [
        (r.levelno, r.exc_info is not None) for r in failures
    ]


def test_deferred_message_says_why_and_what_to_use():
    """The DEFERRED refusal names the missing database and the modes to use instead."""
    assert "database" in DEFERRED_UNAVAILABLE
    assert "WITH_APP_THREAD" in DEFERRED_UNAVAILABLE and "WITH_APP" in DEFERRED_UNAVAILABLE


# --------------------------------------------------------- through a recorder

custom = pytest.importorskip("spyglass.adapters.custom")


class Retriever:
    def __init__(self):
        self.calls = 0

    @custom.instrument
    def retrieve(self, query: str) -> list[str]:
        self.calls += 1
        return ["Paris is the capital of France.", "France is in Europe."]


class RAG:
    def __init__(self):
        self.retriever = Retriever()

    @custom.instrument
    def respond(self, question: str) -> str:
        docs = self.retriever.retrieve(question)
        return f"{len(docs)} documents say: {docs[0]}"


ANSWER = "2 documents say: Paris is the capital of France."


def record_with(feedbacks, mode, **kwargs):
    rag = RAG()
    recorder = custom.TruCustomApp(rag, feedbacks=feedbacks, feedback_mode=mode, **kwargs)
    with recorder as recording:
        ret = rag.respond("Where is Paris?")
    return ret, recording.get(), recorder, rag


def test_recorder_with_app_blocks_until_feedback_done():
    """WITH_APP through a recorder: the app's call returns with its feedback done, return value unchanged."""
    f = Feedback(lambda text: 1.0, name="one").on_output()
    ret, record, _, _ = record_with([f], FeedbackMode.WITH_APP)
    assert ANSWER == ret
    assert [True] == [fut.done() for fut in record.feedback_results]
    assert {"one": DONE} == {
        d.name: r.status for d, r in record.wait_for_feedback_results(0).items()
    }


def test_recorder_with_app_thread_returns_before_feedback():
    """WITH_APP_THREAD through a recorder: the app's call returns while its feedback still runs."""
    gate, started = threading.Event(), threading.Event()
    ret, record, recorder, _ = record_with([gated(gate, started)], FeedbackMode.WITH_APP_THREAD)
    assert ANSWER == ret
    assert started.wait(5)
    assert [False] == [fut.done() for fut in record.feedback_results]
    gate.set()
    assert [record] == list(recorder.wait_for_feedback_results())
    assert [DONE] == [r.status for r in record.wait_for_feedback_results(5).values()]


def test_recorder_none_runs_nothing():
    """NONE through a recorder: the feedback never runs."""
    calls: list = []
    ret, record, _, _ = record_with([counting(calls)], FeedbackMode.NONE)
    assert (ANSWER, [], {}) == (ret, calls, record.wait_for_feedback_results(0))


@pytest.mark.parametrize("mode", [FeedbackMode.WITH_APP, FeedbackMode.WITH_APP_THREAD])
def test_failures_never_reach_the_app(mode):
    """A raising feedback, a slow one and one whose selector selects nothing each get the right status; the app's result is unchanged."""

    def boom(text: str) -> float:
        raise RuntimeError("judge unavailable")

    fbs = [
        Feedback(boom, name="raises").on_output(),
        Feedback(lambda text: time.sleep(0.2) or 1.0, name="slow").on_output(),
        Feedback(lambda doc: 1.0, name="nothing").on(Select.RecordCalls.retriever.retrieve.rets[5]),
    ]
    ret, record, _, _ = record_with(fbs, mode, selector_nocheck=True)
    assert ANSWER == ret
    results = {
        d.name: r for d, r in record.wait_for_feedback_results(feedback_timeout=0.05).items()
    }
    assert FAILED == results["raises"].status
    assert "RuntimeError: judge unavailable" in results["raises"].error
    if mode is FeedbackMode.WITH_APP:
        assert DONE == results["slow"].status  # the call waited for it
    else:
        assert FAILED == results["slow"].status
        assert "did not finish within 0.05 s" in results["slow"].error
    assert FAILED == results["nothing"].status
    assert "selected nothing" in results["nothing"].error
    assert "[5]" in results["nothing"].error


def test_feedback_calls_to_the_app_are_not_recorded():
    """Calls a feedback makes to instrumented components do not become part of the app's records."""
    holder: dict = {}

    def asks_the_retriever(text: str) -> float:
        return float(len(holder["rag"].retriever.retrieve("again")))

    rag = RAG()
    holder["rag"] = rag
    f = Feedback(asks_the_retriever, name="asks").on_output()
    recorder = custom.TruCustomApp(rag, feedbacks=[f], feedback_mode=FeedbackMode.WITH_APP)
    with recorder as recording:
        rag.respond("Where is Paris?")
    record = recording.get()
    assert 1 == len(recording.records)
    assert ["app.respond", "app.retriever.retrieve"] == sorted(
        f"{c.top.path}.{c.top.method.name}" for c in record.calls
    )
    assert 2 == rag.retriever.calls  # the feedback's call did happen
    assert [2.0] == [r.result for r in record.wait_for_feedback_results(0).values()]


def test_deferred_mode_is_refused_at_construction():
    """FeedbackMode.DEFERRED raises when the recorder is built, saying a database is needed."""
    with pytest.raises(ValueError, match="database"):
        custom.TruCustomApp(RAG(), feedback_mode=FeedbackMode.DEFERRED)


def test_virtual_record_feedback_with_per_record_mode():
    """TruVirtual.add_record(record, feedback_mode=WITH_APP) evaluates before returning, on the record's context."""
    context = custom.VirtualApp().select_context()
    f = Feedback(lambda doc: float(len(doc)), name="len").on(context)
    virtual = custom.TruVirtual(feedbacks=[f], feedback_mode=FeedbackMode.NONE)
    record = custom.VirtualRecord(
        main_input="Where is Germany?",
        main_output="In Europe.",
        calls={Select.RecordCalls.retriever.get_context: {"args": ["q"], "rets": ["ab", "cde"]}},
    )
    virtual.add_record(record, feedback_mode=FeedbackMode.WITH_APP)
    [result] = record.wait_for_feedback_results(0).values()
    assert (DONE, [2.0, 3.0]) == (result.status, [c.ret for c in result.calls])
