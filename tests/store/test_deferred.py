"""Deferred evaluation: pending feedbacks stored with the record, evaluated once by workers."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from spyglass.adapters.custom import TruCustomApp, TruVirtual, VirtualRecord, instrument
from spyglass.core import Feedback, FeedbackMode, FeedbackResultStatus, TruSession

PENDING = 1000

FEEDBACK_MODULE = textwrap.dedent(
    """
    import os

    def counted(response: str) -> float:
        # One line per implementation call, appended atomically (O_APPEND, one write).
        with open(os.environ["SPYGLASS_CALLS_FILE"], "a") as calls:
            calls.write(response + "\\n")
        return 1.0
    """
)


class Echo:
    @instrument
    def answer(self, n: int) -> str:
        return f"answer {n}"


@pytest.fixture
def feedback_module(tmp_path, monkeypatch):
    """An importable module holding the feedback implementation (as a user's package)."""
    (tmp_path / "spy_deferred_fb.py").write_text(FEEDBACK_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    calls = tmp_path / "calls.txt"
    monkeypatch.setenv("SPYGLASS_CALLS_FILE", str(calls))
    import spy_deferred_fb

    return spy_deferred_fb, calls


def _worker(url: str, folder: Path, calls: Path, n: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(folder), "SPYGLASS_CALLS_FILE": str(calls)}
    with open(folder / f"worker{n}.log", "wb") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "spyglass.store.evaluator",
                "--database-url",
                url,
                "--workers",
                "1",
                "--allow-module",
                "spy_deferred_fb",
                "--lease-seconds",
                "3",
                "--exit-when-idle",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_four_workers_one_killed_evaluate_each_pending_feedback_once(
    session: TruSession, database_url: str, feedback_module, tmp_path
) -> None:
    """4 worker processes over 1,000 pending feedbacks, one killed mid-run: 1,000 results,
    each implementation called once (plus at most the killed worker's one call in flight)."""
    module, calls = feedback_module
    feedback = Feedback(module.counted).on_output()
    echo = Echo()
    recorder = TruCustomApp(echo, feedbacks=[feedback], feedback_mode="deferred")
    with recorder:
        for n in range(PENDING):
            echo.answer(n)
    assert session.flush(60)
    pending = session.get_feedback_results()
    assert [FeedbackResultStatus.NONE] * PENDING == [r.status for r in pending]
    assert [] == _lines(calls)  # deferred: nothing ran in the app's process

    workers = [_worker(database_url, tmp_path, calls, n) for n in range(4)]
    try:
        deadline = time.monotonic() + 60
        while len(_lines(calls)) < PENDING // 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        workers[0].send_signal(signal.SIGKILL)
        for n, worker in enumerate(workers[1:], 1):
            worker.wait(timeout=90)
            assert 0 == worker.returncode, (tmp_path / f"worker{n}.log").read_text()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    results = session.get_feedback_results()
    assert PENDING == len(results)
    assert {FeedbackResultStatus.DONE} == {r.status for r in results}
    counts = collections.Counter(_lines(calls))
    assert {f"answer {n}" for n in range(PENDING)} == set(counts)
    assert sum(counts.values()) - PENDING <= 1, counts.most_common(3)


def test_in_process_evaluator_uses_the_recorders_feedbacks(session: TruSession) -> None:
    """start_evaluator() evaluates pending results with this process's feedbacks;
    stop_evaluator() stops it; a second start without restart is an error."""
    feedback = Feedback(_length).on_output()
    echo = Echo()
    recorder = TruCustomApp(echo, feedbacks=[feedback], feedback_mode=FeedbackMode.DEFERRED)
    with recorder as recording:
        echo.answer(7)
    assert [] == recording.get().feedback_and_future_results
    session.flush(10)
    session.start_evaluator(lease_seconds=5)
    with pytest.raises(RuntimeError, match="already running"):
        session.start_evaluator()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        results = session.get_feedback_results()
        if results and results[0].status is FeedbackResultStatus.DONE:
            break
        time.sleep(0.05)
    session.stop_evaluator()
    assert [len("answer 7") / 10] == [r.result for r in session.get_feedback_results()]
    with pytest.raises(RuntimeError, match="No evaluator"):
        session.stop_evaluator()


def _length(response: str) -> float:
    return len(response) / 10


def test_truvirtual_accepts_deferred_mode(session: TruSession) -> None:
    """TruVirtual(feedback_mode="deferred") stores the record with its feedback pending."""
    feedback = Feedback(_length).on_output()
    virtual = TruVirtual(app={}, app_name="virtual", feedbacks=[feedback], feedback_mode="deferred")
    record = virtual.add_record(VirtualRecord(calls={}, main_input="q", main_output="a"))
    session.flush(10)
    stored = session.get_feedback_results(record_id=record.record_id)
    assert [("_length", FeedbackResultStatus.NONE)] == [(r.name, r.status) for r in stored]
    session.start_evaluator(return_when_done=True)
    stored = session.get_feedback_results(record_id=record.record_id)
    assert [(FeedbackResultStatus.DONE, 0.1)] == [(r.status, r.result) for r in stored]


def test_unloadable_implementation_fails_with_the_reason(session: TruSession) -> None:
    """A stored definition whose module is not allowed gives a failed result naming it."""
    feedback = Feedback(_length).on_output()
    echo = Echo()
    TruCustomApp(echo, feedbacks=[feedback], feedback_mode="deferred")
    session._feedbacks.clear()  # as in another process: only the stored definition
    recorder = TruCustomApp(echo, app_name="other", feedbacks=[feedback], feedback_mode="deferred")
    session._feedbacks.clear()
    with recorder:
        echo.answer(1)
    session.flush(10)
    session.start_evaluator(return_when_done=True)
    (result,) = session.get_feedback_results()
    assert FeedbackResultStatus.FAILED == result.status
    assert "allowed_modules" in result.error


def test_expired_leases_end_in_failed_after_capped_attempts(session: TruSession) -> None:
    """A result whose worker dies every time is failed after max_attempts, with why."""
    from spyglass.store import Worker
    from spyglass.store._tables import tables

    feedback = Feedback(_length).on_output()
    echo = Echo()
    recorder = TruCustomApp(echo, feedbacks=[feedback], feedback_mode="deferred")
    with recorder:
        echo.answer(1)
    session.flush(10)
    dying = Worker(
        session.engine, tables(session.database_prefix), lease_seconds=0.01, max_attempts=2
    )
    for _ in range(2):  # claim, then "die" (never finish) and let the lease expire
        assert 1 == len(dying.claim())
        time.sleep(0.05)
    assert [] == dying.claim()
    (result,) = session.get_feedback_results()
    assert FeedbackResultStatus.FAILED == result.status
    assert "2 attempts" in result.error
