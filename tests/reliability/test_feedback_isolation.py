"""Feedback isolation: recorders share the feedback threads fairly, feedback functions
cannot change the stored record, and a feedback that never returns cannot hold the
interpreter at exit (it gets a bounded grace, then is abandoned with a warning)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

from spyglass.adapters.custom import TruApp, instrument
from spyglass.core import Feedback, FeedbackMode, Select
from spyglass.core.feedback import feedback_pool
from spyglass.core.feedback._pool import FairPool


class Retriever:
    @instrument
    def retrieve(self, query: str) -> list[str]:
        return ["Paris is in France.", "France is in Europe."]


class RAG:
    def __init__(self) -> None:
        self.retriever = Retriever()

    @instrument
    def respond(self, question: str) -> str:
        return " ".join(self.retriever.retrieve(question))


def test_a_recorder_whose_feedback_hangs_does_not_starve_another() -> None:
    """Recorder A fills every worker with blocked feedback; recorder B's still runs."""
    gate = threading.Event()
    blocked = Feedback(lambda text: gate.wait(30) and 1.0, name="blocked").on_output()
    quick = Feedback(lambda text: 1.0, name="quick").on_output()
    app_a, app_b = RAG(), RAG()
    slow = TruApp(app_a, feedbacks=[blocked] * feedback_pool().workers * 2)
    fast = TruApp(app_b, feedbacks=[quick])
    try:
        with slow as rec_a:
            app_a.respond("q")
        rec_a.get()
        with fast as rec_b:
            app_b.respond("q")
        results = rec_b.get().wait_for_feedback_results(feedback_timeout=10)
        assert [r.result for r in results.values()] == [1.0]
        assert not any(f.done() for f in rec_a.get().feedback_results)
    finally:
        gate.set()
    rec_a.get().wait_for_feedback_results(feedback_timeout=10)


def test_an_owner_gets_a_thread_while_another_holds_every_worker() -> None:
    """One worker, held by owner a: owner b's tasks still run; a's queued ones wait."""
    pool = FairPool(1, name="spyglass-test-pool")
    order: list[str] = []
    gate, b_done, a_done = threading.Event(), threading.Event(), threading.Event()
    pool.submit("a", gate.wait, 10)
    pool.submit("a", order.append, "a0")
    for i in range(3):
        pool.submit("b", order.append, f"b{i}")
    pool.submit("b", b_done.set)
    assert b_done.wait(10)
    assert order == ["b0", "b1", "b2"]
    pool.submit("a", a_done.set)
    gate.set()
    assert a_done.wait(10)
    assert order == ["b0", "b1", "b2", "a0"]
    assert pool.close(1) == 0


def test_a_feedback_that_changes_its_arguments_cannot_change_the_record() -> None:
    """The record's calls and JSON are the same after a feedback mutates what it got."""

    def vandal(docs: list[str]) -> float:
        docs.clear()
        docs.append("vandalised")
        return 0.5

    app = RAG()
    context = Select.RecordCalls.retriever.retrieve.rets
    fb = Feedback(vandal, name="vandal").on(docs=context)
    recorder = TruApp(app, feedbacks=[fb], feedback_mode=FeedbackMode.WITH_APP)
    with recorder as recording:
        app.respond("q")
    record = recording.get()
    [result] = record.wait_for_feedback_results(feedback_timeout=10).values()
    assert result.result == 0.5
    assert record.calls[0].rets == ["Paris is in France.", "France is in Europe."]
    assert "vandalised" not in record.model_dump_json()


_HANGING_APP = textwrap.dedent(
    """
    import threading
    from spyglass.adapters.custom import TruApp, instrument
    from spyglass.core import Feedback
    from spyglass.core.feedback import set_exit_grace

    class App:
        @instrument
        def respond(self, q: str) -> str:
            return "answer"

    never = threading.Event()
    fb = Feedback(lambda text: never.wait() and 1.0, name="never").on_output()
    set_exit_grace(0.5)
    app = App()
    with TruApp(app, feedbacks=[fb]) as recording:
        app.respond("q")
    recording.get()  # its feedback is now running, and never returns
    print("app done", flush=True)
    """
)


def test_a_feedback_that_never_returns_does_not_block_exit() -> None:
    """The process exits promptly after the grace, warning that feedback was abandoned."""
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", _HANGING_APP],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    assert "app done" in result.stdout
    assert "abandoned 1 feedback evaluation(s) still pending at exit" in result.stderr
    assert elapsed < 30
