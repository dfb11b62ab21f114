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
from ._rows import RESULT_COLUMNS, decode_record, result_row
from ._tables import Tables

__all__ = ["BATCH", "MAX_ATTEMPTS", "Worker", "WorkerPool"]

logger = logging.getLogger("spyglass.store.evaluator")

MAX_ATTEMPTS = 3
"""Claims of one result (each ended by an expired lease) before it is ``failed``."""
BATCH = 4
"""Results a worker claims in one transaction."""

RUNNING = FeedbackResultStatus.RUNNING.value
PENDING = FeedbackResultStatus.NONE.value
FAILED = FeedbackResultStatus.FAILED.value


# The columns a finished evaluation writes.
_FINISHED = (
    "status",
    "result",
    "multi_result",
    "error",
    "calls_json",
    "cost_json",
    "last_ts",
    "lease_until",
)
_UNREAD = object()


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
        batch: results claimed at a time. A worker that dies loses the claims on those
            it had not finished until their leases expire; only the one it was
            evaluating can have been judged twice.
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
        batch: int = BATCH,
    ) -> None:
        self.batch = batch
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
        self._statements()

    # ------------------------------------------------------------ statements

    def _statements(self) -> None:
        """Build the statements once: they run per result, and SQLAlchemy reuses the
        compiled form of a statement object it has seen (bound values change only)."""
        f, r = self.t.feedbacks, self.t.records
        now = sa.bindparam("now", type_=sa.DateTime)
        # The predicate of the partial index ix_feedbacks_status, as literal text: a
        # query whose WHERE holds it, term for term, can use the index (SQLite's rule).
        self._live = live = f.c.status.in_(
            [sa.literal_column(f"'{PENDING}'"), sa.literal_column(f"'{RUNNING}'")]
        )
        expired = sa.and_(f.c.status == RUNNING, f.c.lease_until < now)
        self._give_up = (
            sa.update(f)
            .where(live, expired, f.c.attempts >= self.max_attempts)
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
            .where(live, sa.or_(f.c.status == PENDING, expired))
            .limit(sa.bindparam("limit", type_=sa.Integer, literal_execute=True))
        )
        if self._postgres:
            candidates = candidates.with_for_update(skip_locked=True)
        self._claim = (
            sa.update(f)
            .where(f.c.feedback_result_id.in_(candidates.scalar_subquery()))
            .values(
                status=RUNNING,
                worker=self.name,
                lease_until=sa.bindparam("until", type_=sa.DateTime),
                attempts=f.c.attempts + 1,
                last_ts=now,
            )
            .returning(f.c.feedback_result_id, f.c.record_id, f.c.feedback_definition_id, f.c.name)
        )
        self._renew = (
            sa.update(f)
            .where(live, f.c.worker == self.name, f.c.status == RUNNING)
            .values(lease_until=sa.bindparam("until", type_=sa.DateTime))
        )
        self._records = sa.select(r.c.record_id, r.c.record_json, r.c.app_id).where(
            r.c.record_id.in_(sa.bindparam("ids", expanding=True))
        )
        self._finish_stmt = (
            sa.update(f)
            .where(
                f.c.feedback_result_id == sa.bindparam("id"),
                f.c.worker == self.name,
                f.c.status == RUNNING,
            )
            .values({c: sa.bindparam(f"v_{c}") for c in _FINISHED})
        )

    # ------------------------------------------------------------ claiming

    def claim(self, limit: int = 1) -> list[Any]:
        """Claim up to ``limit`` pending results (and expired claims); return their rows.

        Results whose lease expired :attr:`max_attempts` times are failed first.
        """
        now = _now()
        with write_transaction(self.engine) as conn:
            conn.execute(self._give_up, {"now": now})
            claimed = conn.execute(
                self._claim, {"now": now, "until": now + self.lease, "limit": limit}
            )
            return list(claimed.mappings().all())

    def renew(self) -> None:
        """Extend the leases of every result this worker holds."""
        with write_transaction(self.engine) as conn:
            conn.execute(self._renew, {"until": _now() + self.lease})

    # ------------------------------------------------------------ evaluating

    def evaluate(self, row: Mapping[str, Any], record: Any = _UNREAD, app_json: Any = None) -> bool:
        """Evaluate one claimed row and store its result; ``False`` if the claim was lost.

        Args:
            row: a row :meth:`claim` returned.
            record: its record, if already read (else it is read here).
            app_json: its app's JSON, with ``record``.
        """
        if record is _UNREAD:
            record, app_json = self.read_records([row["record_id"]]).get(
                row["record_id"], (None, None)
            )
        feedback = self._feedback(row["feedback_definition_id"])
        if record is None:
            return self._finish(row, None, "The record no longer exists.")
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
        if result is not None:
            # Only the _FINISHED columns are written.
            values = dict(zip(RESULT_COLUMNS, result_row(result, None, sqlite=False)))
        else:
            values = {"status": FAILED, "error": error, "last_ts": _now(), "result": None}
            values.update(calls_json=[], cost_json={}, multi_result=None)
        params = {f"v_{c}": values.get(c) for c in _FINISHED}
        params["v_lease_until"] = None
        params["id"] = row["feedback_result_id"]
        with write_transaction(self.engine) as conn:
            return bool(conn.execute(self._finish_stmt, params).rowcount)

    def _feedback(self, definition_id: str | None) -> Any:
        if definition_id is not None and definition_id in self.local:
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

    def read_records(self, record_ids: list[str]) -> dict[str, tuple[Record, Any]]:
        """The records (and their apps' JSON) of claimed rows, read in one query."""
        a = self.t.apps
        out: dict[str, tuple[Record, Any]] = {}
        with self.engine.connect() as conn:
            for found in conn.execute(self._records, {"ids": list(set(record_ids))}):
                if found.app_id not in self._apps:
                    self._apps[found.app_id] = conn.execute(
                        sa.select(a.c.app_json).where(a.c.app_id == found.app_id)
                    ).scalar()
                out[found.record_id] = (
                    Record.model_validate(decode_record(found.record_json)),
                    self._apps[found.app_id],
                )
        return out

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
                rows = self.claim(self.batch)
            except Exception:
                logger.exception("spyglass evaluator %s: claiming failed; retrying", self.name)
                stop.wait(poll_interval)
                continue
            if not rows:
                if exit_when_idle and not self._pending():
                    return
                stop.wait(poll_interval)
                continue
            try:
                records = self.read_records([row["record_id"] for row in rows])
            except Exception:
                logger.exception("spyglass evaluator %s: reading records failed", self.name)
                stop.wait(poll_interval)
                continue
            for row in rows:
                record, app_json = records.get(row["record_id"], (None, None))
                try:
                    self.evaluate(row, record, app_json)
                except Exception:
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
                conn.execute(sa.select(f.c.feedback_result_id).where(self._live).limit(1)).first()
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
