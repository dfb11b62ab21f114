"""Records, apps and feedback results as table rows, and back.

A record is serialised once (``model_dump_json``, pydantic's encoder) into
``record_json``; the columns the reading queries filter, sort and aggregate on
(``ts``, ``latency``, ``total_cost``, ...) are copied out beside it, and each call
becomes a row of the calls table (path, method, start, end, error).
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import datetime
from typing import Any

from spyglass.core import (
    AppDefinition,
    FeedbackDefinition,
    FeedbackResult,
    FeedbackResultStatus,
    Record,
)

from ._engine import RawJSON

__all__ = [
    "app_row",
    "feedback_def_row",
    "pending_row",
    "record_rows",
    "result_from_row",
    "result_row",
]


def _json_text(value: Any) -> str:
    if type(value) is str:  # the usual main input/output: the same text json.dumps makes
        return _dump_str(value)
    return json.dumps(value, default=str)


_dump_str = json.encoder.encode_basestring_ascii  # what json.dumps does with a str


def _iso(value: datetime | None) -> str | None:
    # The text SQLAlchemy's SQLite DateTime stores, reads back and sorts by.
    return None if value is None else value.isoformat(" ", "microseconds")


def record_rows(record: Record, *, sqlite: bool) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """The record's row and its calls' rows, as tuples in the tables' column order.

    Made on the sink's thread, ready for the driver's ``executemany``: times are text on
    SQLite (``sqlite=True``), ``datetime`` for the other engines' drivers. This runs
    once per record on the way to the database, so it does per call only what must
    be done per call.
    """
    perf = record.perf
    cost = record.cost
    latency = (perf.end_time - perf.start_time).total_seconds() if perf is not None else None
    error = record.main_error
    time = _iso if sqlite else _same
    record_id = record.record_id
    row = (
        record_id,
        record.app_id,
        _json_text(record.main_input),
        _json_text(record.main_output),
        None if error is None else str(error),
        record.tags,
        time(record.ts),
        latency,
        cost.n_tokens if cost is not None else 0,
        cost.cost if cost is not None else 0.0,
        cost.cost_currency if cost is not None else "USD",
        RawJSON(record.model_dump_json()),
    )
    calls: list[tuple[Any, ...]] = []
    append = calls.append
    for idx, call in enumerate(record.calls):
        stack = call.stack
        top = stack[-1] if stack else None
        call_perf = call.perf
        start: Any
        end: Any
        if call_perf is None:
            start = end = None
        elif sqlite:
            start = call_perf.start_time.isoformat(" ", "microseconds")
            end = call_perf.end_time.isoformat(" ", "microseconds")
        else:
            start, end = call_perf.start_time, call_perf.end_time
        append(
            (
                record_id,
                idx,
                "" if top is None else str(top.path),
                "" if top is None else top.method.name,
                start,
                end,
                call.error,
            )
        )
    return row, calls


def _same(value: Any) -> Any:
    return value


def app_row(app: AppDefinition) -> dict[str, Any]:
    """The app definition's row."""
    return {
        "app_id": app.app_id,
        "app_name": app.app_name,
        "app_version": app.app_version,
        "app_json": RawJSON(app.model_dump_json()),
    }


def feedback_def_row(definition: FeedbackDefinition) -> dict[str, Any]:
    """The feedback definition's row (stored as a plain ``FeedbackDefinition``)."""
    run_location = definition.run_location
    return {
        "feedback_definition_id": definition.feedback_definition_id,
        "name": definition.name,
        "feedback_json": RawJSON(definition.model_dump_json()),
        "run_location": None if run_location is None else str(run_location.value),
    }


def _result(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def result_row(result: FeedbackResult, app_id: str | None) -> dict[str, Any]:
    """The feedback result's row (no claim: ``worker`` and ``lease_until`` empty);
    ``app_id`` is its record's app."""
    return {
        "feedback_result_id": result.feedback_result_id,
        "record_id": result.record_id,
        "feedback_definition_id": result.feedback_definition_id,
        "app_id": app_id,
        "name": result.name,
        "status": FeedbackResultStatus(result.status).value,
        "result": _result(result.result),
        "multi_result": result.multi_result,
        "error": result.error,
        # Encoded here, by pydantic, once: the writer passes the text on as it is.
        "calls_json": RawJSON("[" + ",".join([c.model_dump_json() for c in result.calls]) + "]"),
        "cost_json": RawJSON(result.cost.model_dump_json()),
        "last_ts": result.last_ts,
        "worker": None,
        "lease_until": None,
        "attempts": 0,
    }


def pending_row(record: Record, definition: FeedbackDefinition) -> dict[str, Any]:
    """A pending (``none``) result of ``definition`` on a record, for deferred evaluation."""
    return {
        "feedback_result_id": "feedback_result_" + uuid.uuid4().hex,
        "record_id": record.record_id,
        "feedback_definition_id": definition.feedback_definition_id,
        "app_id": record.app_id,
        "name": definition.name,
        "status": FeedbackResultStatus.NONE.value,
        "result": None,
        "multi_result": None,
        "error": None,
        "calls_json": [],
        "cost_json": {},
        "last_ts": datetime.now(),
        "worker": None,
        "lease_until": None,
        "attempts": 0,
    }


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def result_from_row(row: Any) -> FeedbackResult:
    """A stored feedback result (a row mapping) as a ``FeedbackResult``."""
    return FeedbackResult(
        feedback_result_id=row["feedback_result_id"],
        record_id=row["record_id"],
        feedback_definition_id=row["feedback_definition_id"],
        name=row["name"],
        status=FeedbackResultStatus(row["status"]),
        result=row["result"],
        multi_result=row["multi_result"],
        error=row["error"],
        calls=_loads(row["calls_json"]) or [],
        cost=_loads(row["cost_json"]) or {},
        last_ts=row["last_ts"],
    )
