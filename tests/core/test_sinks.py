"""Record sinks: every record and feedback result leaves a recorder through them, and no
sink can slow the app or another sink."""

from __future__ import annotations

import gc
import logging
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import spyglass.core
from spyglass.core import sinks
from spyglass.core.feedback._feedback import Feedback
from spyglass.core.feedback._runner import FeedbackRunner
from spyglass.core.recording import _build
from spyglass.core.schema._enums import FeedbackMode, FeedbackResultStatus
from spyglass.core.sinks import RecordSink, _queues

custom = pytest.importorskip("spyglass.adapters.custom")


# ------------------------------------------------------------------ an app and sinks


class Retriever:
    @custom.instrument
    def retrieve(self, query: str) -> list[str]:
        return ["Paris is the capital of France.", "France is in Europe."]


class RAG:
    def __init__(self) -> None:
        self.retriever = Retriever()

    @custom.instrument
    def respond(self, question: str) -> str:
        return self.retriever.retrieve(question)[0]


def length(text: str) -> float:
    return len(text) / 100


class Counting(RecordSink):
    """Counts what it receives, by record id; says when it has seen enough."""

    def __init__(self) -> None:
        self.records: list[Any] = []
        self.results: list[Any] = []
        self.threads: set[str] = set()
        self.order: list[tuple[str, str]] = []  # ("record" | "result", record_id)
        self._changed = threading.Condition()

    def on_record(self, record: Any, app: Any) -> None:
        with self._changed:
            self.records.append(record)
            self.order.append(("record", record.record_id))
            self.threads.add(threading.current_thread().name)
            self._changed.notify_all()

    def on_feedback_result(self, result: Any) -> None:
        with self._changed:
            self.results.append(result)
            self.order.append(("result", result.record_id))
            self._changed.notify_all()

    def wait_for(self, records: int, results: int = 0, timeout: float = 10) -> bool:
        with self._changed:
            return self._changed.wait_for(
                lambda: len(self.records) >= records and len(self.results) >= results, timeout
            )


class Blocking(RecordSink):
    """Blocks in its first on_record until released (at most `hold` seconds)."""

    def __init__(self, hold: float = 10) -> None:
        self.hold = hold
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def on_record(self, record: Any, app: Any) -> None:
        self.calls += 1
        self.entered.set()
        self.release.wait(self.hold)


class Raising(RecordSink):
    name = "raising-sink"

    def __init__(self) -> None:
        self.calls = 0

    def on_record(self, record: Any, app: Any) -> None:
        self.calls += 1
        raise RuntimeError("this sink is broken")

    def on_feedback_result(self, result: Any) -> None:
        self.calls += 1
        raise RuntimeError("this sink is broken")

    def wait_for(self, calls: int, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while self.calls < calls and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.calls >= calls


@pytest.fixture
def process_sink() -> Iterator[Counting]:
    """A counting sink added process-wide for one test."""
    sink = Counting()
    sinks.add_sink(sink)
    try:
        yield sink
    finally:
        sinks.remove_sink(sink)


def recorder_with(*given: Any, **kwargs: Any) -> tuple[Any, RAG]:
    rag = RAG()
    return custom.TruCustomApp(rag, sinks=list(given), **kwargs), rag


# ------------------------------------------------------------------ the rule


def test_a_raising_a_blocking_and_a_counting_sink_never_slow_the_app_or_each_other(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With a feedback and three sinks on one recorder (one raises, one blocks for 10 s,
    one counts), 20 calls return at once, the counting sink sees every record and every
    feedback result exactly once, and the raising sink is logged once by its name."""
    counting, blocking, raising = Counting(), Blocking(hold=10), Raising()
    feedback = Feedback(length, name="length").on_output()
    recorder, rag = recorder_with(raising, blocking, counting, feedbacks=[feedback])
    try:
        with caplog.at_level(logging.DEBUG, logger="spyglass"), recorder as recording:
            rag.respond("Where is Paris?")
            assert blocking.entered.wait(5)  # the blocking sink now holds its worker
            start = time.monotonic()
            for i in range(20):
                rag.respond(f"question {i}")
            elapsed = time.monotonic() - start
            assert counting.wait_for(records=21, results=21)
            assert raising.wait_for(calls=42)  # its failures are logged while we listen
        assert elapsed < 2, f"20 calls took {elapsed:.2f} s while a sink was blocked"
        assert blocking.calls == 1 and not blocking.release.is_set()  # still holding
        ids = [r.record_id for r in recording.records]
        assert sorted(ids) == sorted(r.record_id for r in counting.records)
        assert sorted(ids) == sorted(r.record_id for r in counting.results)
        assert len(set(ids)) == 21
        assert {"length"} == {r.name for r in counting.results}
        assert all(r.status is FeedbackResultStatus.DONE for r in counting.results)
        # the records the sink got are the recording's own objects
        assert {id(r) for r in recording.records} == {id(r) for r in counting.records}
        broken = [r for r in caplog.records if "sink raising-sink raised" in r.getMessage()]
        assert [logging.ERROR] == [r.levelno for r in broken if r.levelno > logging.DEBUG]
        assert broken[0].exc_info is not None and len(broken) > 1  # later ones at debug
    finally:
        blocking.release.set()


def test_sink_methods_run_on_the_sinks_own_thread_and_records_are_built_off_the_app_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The record a sink needs is built by the dispatcher, not on the app's thread."""
    built_on: list[str] = []
    real = _build.build_records

    def spying(root: Any, metas: Any = None) -> Any:
        built_on.append(threading.current_thread().name)
        return real(root, metas)

    monkeypatch.setattr(_build, "build_records", spying)
    counting = Counting()
    recorder, rag = recorder_with(counting)
    with recorder:
        rag.respond("Where is Paris?")
    assert sinks.flush(10)
    assert ["spyglass-sinks"] == built_on
    assert {"spyglass-sink-Counting"} == counting.threads


def test_without_sinks_or_feedback_nothing_is_queued_or_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fast path: no sink, no feedback, no process sink: the root's end queues
    nothing, and the record waits, unbuilt, for the first read."""
    submitted: list[Any] = []
    monkeypatch.setattr(_queues, "submit", lambda job: submitted.append(job) or True)
    builds: list[Any] = []
    real = _build.build_records
    monkeypatch.setattr(_build, "build_records", lambda *a: builds.append(a) or real(*a))
    recorder, rag = recorder_with()
    recorder_none, rag_none = recorder_with(
        feedbacks=[Feedback(length).on_output()], feedback_mode=FeedbackMode.NONE
    )
    with recorder as recording, recorder_none as recording_none:
        rag.respond("Where is Paris?")
        rag_none.respond("Where is Paris?")
    assert ([], []) == (submitted, builds)
    assert 1 == len(recording) == len(recording_none)


@pytest.mark.parametrize("mode", [FeedbackMode.WITH_APP, FeedbackMode.WITH_APP_THREAD])
def test_a_sink_sees_a_record_before_the_feedback_results_on_it(mode: FeedbackMode) -> None:
    counting = Counting()
    feedbacks = [Feedback(length, name="a").on_output(), Feedback(length, name="b").on_output()]
    recorder, rag = recorder_with(counting, feedbacks=feedbacks, feedback_mode=mode)
    with recorder as recording:
        for i in range(5):
            rag.respond(f"question {i}")
    assert counting.wait_for(records=5, results=10)
    for record in recording.records:
        kinds = [kind for kind, rid in counting.order if rid == record.record_id]
        assert ["record", "result", "result"] == kinds


def test_with_app_feedback_is_done_before_the_call_returns_and_still_reaches_sinks() -> None:
    counting = Counting()
    feedback = Feedback(length, name="length").on_output()
    recorder, rag = recorder_with(counting, feedbacks=[feedback], feedback_mode="with_app")
    with recorder as recording:
        rag.respond("Where is Paris?")
        record = recording.get()
        assert all(f.done() for f in record.feedback_results)
    assert counting.wait_for(records=1, results=1)
    assert [record] == counting.records


def test_feedback_results_can_be_waited_for_before_the_record_is_read() -> None:
    """recorder.wait_for_feedback_results() sees records the dispatcher has not built yet."""
    feedback = Feedback(length, name="length").on_output()
    recorder, rag = recorder_with(feedbacks=[feedback])
    with recorder:
        rag.respond("Where is Paris?")
    [record] = recorder.wait_for_feedback_results(feedback_timeout=10)
    [result] = record.wait_for_feedback_results(0).values()
    assert (FeedbackResultStatus.DONE, 0.31) == (result.status, result.result)


def test_the_feedback_runner_is_the_recorders_first_sink() -> None:
    counting = Counting()
    feedback = Feedback(length).on_output()
    recorder, _ = recorder_with(counting, feedbacks=[feedback])
    runner, given = recorder.sinks
    assert isinstance(runner, FeedbackRunner) and isinstance(runner, RecordSink)
    assert given is counting
    quiet, _ = recorder_with(counting, feedbacks=[feedback], feedback_mode="none")
    assert [counting] == quiet.sinks


def test_records_added_to_a_virtual_recorder_reach_its_sinks() -> None:
    counting = Counting()
    feedback = Feedback(length, name="length").on_output()
    virtual = custom.TruVirtual(feedbacks=[feedback], sinks=[counting])
    record = virtual.add_record(custom.VirtualRecord(main_input="q", main_output="an answer"))
    assert counting.wait_for(records=1, results=1)
    assert [record] == counting.records
    assert [0.09] == [r.result for r in counting.results]


# ------------------------------------------------------------------ the process registry


def test_process_wide_sinks_receive_every_recorders_records_until_removed(
    process_sink: Counting,
) -> None:
    sink = Counting()
    assert spyglass.core.add_sink is sinks.add_sink
    assert spyglass.core.remove_sink is sinks.remove_sink
    assert spyglass.core.RecordSink is RecordSink
    spyglass.core.add_sink(sink)
    spyglass.core.add_sink(sink)  # added once
    assert [process_sink, sink] == sinks.process_sinks()
    first, rag1 = recorder_with()
    second, rag2 = recorder_with()
    with first, second:
        rag1.respond("one")
        rag2.respond("two")
    assert sinks.flush(10)
    assert ["one", "two"] == sorted(r.main_input for r in sink.records)
    spyglass.core.remove_sink(sink)
    spyglass.core.remove_sink(sink)  # removing again does nothing
    with first:
        rag1.respond("three")
    assert sinks.flush(10)
    assert 2 == len(sink.records)
    assert ["one", "three", "two"] == sorted(r.main_input for r in process_sink.records)
    assert [process_sink] == sinks.process_sinks()


def test_a_sink_both_on_a_recorder_and_process_wide_sees_each_record_once(
    process_sink: Counting,
) -> None:
    feedback = Feedback(length).on_output()
    recorder, rag = recorder_with(process_sink, process_sink, feedbacks=[feedback])
    with recorder:
        rag.respond("Where is Paris?")
    assert sinks.flush(10)
    assert (1, 1) == (len(process_sink.records), len(process_sink.results))


def test_only_record_sinks_are_accepted() -> None:
    class NoFlush:
        def on_record(self, record: Any, app: Any) -> None: ...
        def on_feedback_result(self, result: Any) -> None: ...
        def shutdown(self) -> None: ...

    with pytest.raises(TypeError, match="no flush method"):
        sinks.add_sink(NoFlush())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a record sink"):
        recorder_with(object())


# ------------------------------------------------------------------ queues, flush, exit


def test_a_sinks_worker_thread_ends_when_nothing_holds_the_sink_any_more() -> None:
    """One worker per sink, started with it; it ends once its recorder is gone (after
    delivering what was queued), so recorders made and dropped leave no threads."""
    counting = Counting()
    counting.name = "short-lived"  # type: ignore[attr-defined]
    recorder, rag = recorder_with(counting)
    with recorder:
        rag.respond("Where is Paris?")
    del recorder, rag
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        t.name == "spyglass-sink-short-lived" for t in threading.enumerate()
    ):
        gc.collect()  # a recorder is in reference cycles
        time.sleep(0.01)
    assert not any(t.name == "spyglass-sink-short-lived" for t in threading.enumerate())
    assert 1 == len(counting.records)  # delivered before the worker ended


def test_flush_returns_true_when_drained_and_false_on_timeout() -> None:
    counting, blocking = Counting(), Blocking(hold=10)
    recorder, rag = recorder_with(counting)
    with recorder:
        rag.respond("Where is Paris?")
    assert sinks.flush(10)
    assert 1 == len(counting.records)  # delivered when flush returned
    stuck, rag2 = recorder_with(blocking)
    try:
        with stuck:
            rag2.respond("Where is Paris?")
        start = time.monotonic()
        assert not sinks.flush(0.3)
        assert time.monotonic() - start < 3
    finally:
        blocking.release.set()
    assert sinks.flush(10)


def test_a_full_queue_drops_with_a_counted_warning_instead_of_blocking(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_queues, "QUEUE_SIZE", 2)
    monkeypatch.setattr(_queues, "_dropped", 0)  # the count is the process's; restored after
    blocking = Blocking(hold=10)
    blocking.name = "slow-sink"  # type: ignore[attr-defined]
    recorder, rag = recorder_with(blocking)
    try:
        with caplog.at_level(logging.DEBUG, logger="spyglass"), recorder:
            rag.respond("first")
            assert blocking.entered.wait(5)  # its worker holds the first record
            start = time.monotonic()
            for i in range(6):
                rag.respond(f"question {i}")
            assert time.monotonic() - start < 2
            assert _queues.wait_dispatched(10)
    finally:
        blocking.release.set()
    assert 4 == sinks.dropped()  # 2 wait in its queue, 4 dropped
    full = [r for r in caplog.records if "sink slow-sink is full" in r.getMessage()]
    assert [logging.WARNING] == [r.levelno for r in full if r.levelno > logging.DEBUG]
    assert "(2 waiting)" in full[0].getMessage()


def test_shutdown_flushes_then_shuts_each_sink_down_once() -> None:
    calls: list[str] = []

    class Closing(RecordSink):
        def on_record(self, record: Any, app: Any) -> None:
            calls.append("record")

        def flush(self, timeout: float | None = None) -> bool:
            calls.append("flush")
            return True

        def shutdown(self) -> None:
            calls.append("shutdown")

    recorder, rag = recorder_with(Closing())
    with recorder:
        rag.respond("Where is Paris?")
    assert sinks.shutdown(10)
    assert sinks.shutdown(10)  # (and at exit): not shut down twice
    assert ["record", "flush", "shutdown"] == calls


def _run_python(code: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return done, time.monotonic() - start


APP = """
    from spyglass.adapters.custom import TruCustomApp, instrument
    from spyglass.core import RecordSink

    class Bot:
        @instrument
        def reply(self, text):
            return text.upper()
"""


def test_the_interpreter_exits_promptly_with_a_blocked_sink() -> None:
    code = (
        APP
        + """
    import time

    class Stuck(RecordSink):
        def on_record(self, record, app):
            time.sleep(60)

    bot = Bot()
    with TruCustomApp(bot, sinks=[Stuck()]):
        bot.reply("hi")
    print("app done")
    """
    )
    done, elapsed = _run_python(code)
    assert 0 == done.returncode, done.stderr
    assert "app done" in done.stdout
    assert elapsed < sinks.EXIT_TIMEOUT + 7, f"exit took {elapsed:.1f} s"
    assert "did not finish within" in done.stderr


def test_what_is_queued_is_delivered_and_sinks_shut_down_at_exit(tmp_path: Any) -> None:
    out = tmp_path / "out.txt"
    code = (
        APP
        + f"""
    import time

    class Slow(RecordSink):
        def __init__(self):
            self.file = open({str(out)!r}, "w")

        def on_record(self, record, app):
            time.sleep(0.05)
            self.file.write(record.main_output + "\\n")

        def shutdown(self):
            self.file.write("shut down\\n")
            self.file.close()

    bot = Bot()
    with TruCustomApp(bot, sinks=[Slow()]):
        for i in range(10):
            bot.reply(f"hi {{i}}")
    """
    )
    done, _ = _run_python(code)
    assert 0 == done.returncode, done.stderr
    lines = out.read_text().splitlines()
    assert [f"HI {i}" for i in range(10)] + ["shut down"] == lines
