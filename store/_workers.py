"""Deferred evaluation: workers claim pending feedback results, evaluate them once, store them.

A worker claims results atomically, with a lease: on PostgreSQL the candidates are
selected ``FOR UPDATE SKIP LOCKED`` inside the claiming ``UPDATE``, so concurrent
workers skip each other's rows instead of waiting or taking them twice; on SQLite one
``UPDATE … RETURNING`` runs in a ``BEGIN IMMEDIATE`` transaction, which holds the
write lock. A claimed row is ``running`` with the worker's name and ``lease_until``;
the worker renews its leases while it evaluates (a heartbeat thread), so a slow
feedback is never claimed twice. A lease that expires (its worker died) is claimed
again, by anyone; the claim counts attempts, and a row whose lease expired after
:data:`MAX_ATTEMPTS` attempts becomes ``failed`` with an error saying so. The result
is written only while the row is still this worker's claim, so a worker that lost its
lease cannot overwrite another's result.

Implementations come from the feedbacks of recorders made in this process, matched by
definition id, or else from the stored definition through the safe loader (only
modules under ``spyglass`` and those in ``allowed_modules`` are imported). One that
cannot be loaded gives a ``failed`` result whose error says why.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from spyglass.core import Feedback, FeedbackResultStatus, Record

from ._deps import sqlalchemy as sa
from ._engine import write_transaction
from ._rows import result_row
from ._tables import Tables

__all__ = ["MAX_ATTEMPTS", "Worker", "WorkerPool"]

logger = logging.getLogger("spyglass.store.evaluator")

MAX_ATTEMPTS = 3
"""Claims of one result (each ended by an expired lease) before it is ``failed``."""

RUNNING = FeedbackResultStatus.RUNNING.value
PENDING = FeedbackResultStatus.NONE.value
FAILED = FeedbackResultStatus.FAILED.value


def _now() -> datetime:
    # Naive UTC: leases are compared across processes and machines (clocks in sync).
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Worker:
    """Claims and evaluates pending feedback results, one at a time.

    Args:
        engine: the database.
        tables: its tables.
        lease_seconds: how long a claim lasts unless renewed.
        allowed_modules: module prefixes stored feedback implementations may come from.
        feedbacks: definition id -> ``Feedback`` (those of this process's recorders).
        name: the worker's name, stored with its claims (default: host, pid, thread).
        max_attempts: see :data:`MAX_ATTEMPTS`.
    """

    def __init__(
        self,
        engine: sa.engine.Engine,
        tables: Tables,
        *,
        lease_seconds: float = 60.0,
        allowed_modules: Iterable[str] = (),
        feedbacks: Mapping[str, Any] | None = None,
        name: str | None = None,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.engine = engine
        self.t = tables
        self.lease = timedelta(seconds=lease_seconds)
        self.allowed = list(allowed_modules)
        self.local = feedbacks if feedbacks is not None else {}
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.max_attempts = max_attempts
        self.evaluated = 0
        self._loaded: dict[str, Any] = {}
        self._apps: dict[str, Any] = {}
        self._postgres = engine.dialect.name == "postgresql"

    # ------------------------------------------------------------ claiming

    def claim(self, limit: int = 1) -> list[Any]:
        """Claim up to ``limit`` pending results (and expired claims); return their rows."""
        f = self.t.feedbacks
        now = _now()
        expired = sa.and_(f.c.status == RUNNING, f.c.lease_until < now)
        with write_transaction(self.engine) as conn:
            conn.execute(
                sa.update(f)
                .where(expired, f.c.attempts >= self.max_attempts)
                .values(
                    status=FAILED,
                    lease_until=None,
                    last_ts=now,
                    error=(
                        f"Evaluation did not finish in {self.max_attempts} attempts: each time "
                        "the worker's lease expired (the worker died or stalled). Look at the "
                        "worker logs; the feedback may crash its process."
                    ),
                )
            )
            candidates = (
                sa.select(f.c.feedback_result_id)
                .where(sa.or_(f.c.status == PENDING, expired))
                .limit(limit)
            )
            if self._postgres:
                candidates = candidates.with_for_update(skip_locked=True)
            claimed = conn.execute(
                sa.update(f)
                .where(f.c.feedback_result_id.in_(candidates.scalar_subquery()))
                .values(
                    status=RUNNING,
                    worker=self.name,
                    lease_until=now + self.lease,
                    attempts=f.c.attempts + 1,
                    last_ts=now,
                )
                .returning(
                    f.c.feedback_result_id,
                    f.c.record_id,
                    f.c.feedback_definition_id,
                    f.c.name,
                )
            )
            return list(claimed.mappings().all())

    def renew(self) -> None:
        """Extend the leases of every result this worker holds."""
        f = self.t.feedbacks
        with write_transaction(self.engine) as conn:
            conn.execute(
                sa.update(f)
                .where(f.c.worker == self.name, f.c.status == RUNNING)
                .values(lease_until=_now() + self.lease)
            )

    # ------------------------------------------------------------ evaluating

    def evaluate(self, row: Mapping[str, Any]) -> bool:
        """Evaluate one claimed row and store its result; ``False`` if the claim was lost."""
        feedback = self._feedback(row["feedback_definition_id"])
        record, app_json = self._record(row["record_id"])
        if record is None:
            return self._finish(row, None, "the record no longer exists")
        if feedback is None:
            return self._finish(
                row,
                None,
                f"Feedback definition {row['feedback_definition_id']!r} is not in the database.",
            )
        result = feedback.run(app=app_json, record=record)
        self.evaluated += 1
        return self._finish(row, result, None)

    def _finish(self, row: Mapping[str, Any], result: Any, error: str | None) -> bool:
        f = self.t.feedbacks
        if result is not None:
            values = result_row(result)
            for key in ("feedback_result_id", "record_id", "worker", "attempts"):
                values.pop(key)
            values["feedback_definition_id"] = row["feedback_definition_id"]
            values["name"] = row["name"]
        else:
            values = {"status": FAILED, "error": error, "last_ts": _now()}
        values["lease_until"] = None
        with write_transaction(self.engine) as conn:
            done = conn.execute(
                sa.update(f)
                .where(
                    f.c.feedback_result_id == row["feedback_result_id"],
                    f.c.worker == self.name,
                    f.c.status == RUNNING,
                )
                .values(**values)
            )
            return bool(done.rowcount)

    def _feedback(self, definition_id: str | None) -> Any:
        if definition_id in self.local:
            return self.local[definition_id]
        if definition_id not in self._loaded:
            d = self.t.feedback_defs
            with self.engine.connect() as conn:
                stored = conn.execute(
                    sa.select(d.c.feedback_json).where(d.c.feedback_definition_id == definition_id)
                ).scalar()
            self._loaded[str(definition_id)] = (
                None
                if stored is None
                else Feedback.model_validate(stored, context={"allowed_modules": self.allowed})
            )
        return self._loaded[str(definition_id)]

    def _record(self, record_id: str) -> tuple[Record | None, Any]:
        r, a = self.t.records, self.t.apps
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(r.c.record_json, r.c.app_id).where(r.c.record_id == record_id)
            ).first()
            if found is None:
                return None, None
            app_id = found.app_id
            if app_id not in self._apps:
                self._apps[app_id] = conn.execute(
                    sa.select(a.c.app_json).where(a.c.app_id == app_id)
                ).scalar()
        return Record.model_validate(found.record_json), self._apps[app_id]

    # ------------------------------------------------------------ the loop

    def run(
        self,
        stop: threading.Event,
        *,
        poll_interval: float = 0.5,
        exit_when_idle: bool = False,
    ) -> None:
        """Claim and evaluate until ``stop`` is set (or, with ``exit_when_idle``, until
        nothing is pending). Errors are logged; the loop goes on."""
        while not stop.is_set():
            try:
                rows = self.claim(1)
            except Exception:  # noqa: BLE001 - a worker outlives a failing database
                logger.exception("spyglass evaluator %s: claiming failed; retrying", self.name)
                stop.wait(poll_interval)
                continue
            if not rows:
                if exit_when_idle and not self._pending():
                    return
                stop.wait(poll_interval)
                continue
            for row in rows:
                try:
                    self.evaluate(row)
                except Exception:  # noqa: BLE001 - logged; the lease lets another retry
                    logger.exception(
                        "spyglass evaluator %s: evaluating %s failed",
                        self.name,
                        row["feedback_result_id"],
                    )

    def _pending(self) -> bool:
        """Whether any result is pending or held by a live claim (someone may still fail)."""
        f = self.t.feedbacks
        with self.engine.connect() as conn:
            return bool(
                conn.execute(
                    sa.select(f.c.feedback_result_id)
                    .where(f.c.status.in_([PENDING, RUNNING]))
                    .limit(1)
                ).first()
            )


class WorkerPool:
    """``count`` worker threads and one heartbeat thread that renews their leases."""

    def __init__(self, workers: list[Worker], *, exit_when_idle: bool = False) -> None:
        self.workers = workers
        self.stop = threading.Event()
        self._threads = [
            threading.Thread(
                target=w.run,
                args=(self.stop,),
                kwargs={"exit_when_idle": exit_when_idle},
                name=f"spyglass-evaluator-{i}",
                daemon=True,
            )
            for i, w in enumerate(workers)
        ]
        self._heartbeat = threading.Thread(
            target=self._beat, name="spyglass-evaluator-heartbeat", daemon=True
        )

    def start(self) -> WorkerPool:
        """Start the workers and the heartbeat."""
        for thread in self._threads:
            thread.start()
        self._heartbeat.start()
        return self

    def _beat(self) -> None:
        interval = max(0.1, min(w.lease.total_seconds() for w in self.workers) / 3)
        while not self.stop.wait(interval):
            for worker in self.workers:
                try:
                    worker.renew()
                except Exception:  # noqa: BLE001 - the next beat tries again
                    logger.warning("spyglass evaluator %s: renewing leases failed", worker.name)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the workers to end; ``True`` if they all did."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        done = not any(t.is_alive() for t in self._threads)
        if done:
            self.stop.set()
        return done

    def close(self, timeout: float | None = 10.0) -> bool:
        """Stop the workers (each finishes the result it is evaluating) and the heartbeat."""
        self.stop.set()
        done = self.join(timeout)
        self._heartbeat.join(timeout)
        return done
