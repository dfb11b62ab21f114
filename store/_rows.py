"""Records, apps and feedback results as table rows, and back.

A record is serialised once into ``record_json``; the columns the reading queries
filter, sort and aggregate on (``ts``, ``latency``, ``total_cost``, ...) are copied out
beside it. Its calls are read from that JSON too, through the ``<prefix>calls`` view.

**The stored form of a record** is its JSON (``Record.model_dump_json()``) with one
change: the frames of the call stacks (component path and method), which repeat in
every call below a component, are written once, in a top-level ``"frames"`` list, and
each call's ``"stack"`` lists their positions in it. For a 10-call record this halves
the text (6.3 kB to 3.2 kB), and with it what the database parses, compresses and
writes. :func:`decode_record` gives the record's JSON back (frames in place); every
reader goes through it, and a record stored in full (by an older spyglass, or by hand)
decodes as it is.

The record is encoded with orjson from the model's fields rather than by pydantic's
``model_dump_json`` (which calls back into Python for every timestamp and lens of the
record): the same JSON, several times faster; a record whose values orjson does not
take as they are (an integer beyond 64 bits, a set) is encoded by pydantic.
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
    RecordAppCall,
)

from ._deps import orjson
from ._engine import RawJSON
from ._tables import tables

__all__ = [
    "RESULT_COLUMNS",
    "app_row",
    "decode_record",
    "encode_record",
    "feedback_def_row",
    "loads_json",
    "pending_row",
    "record_row",
    "result_from_row",
    "result_row",
]


class _NotPlain(Exception):
    """A value orjson does not encode as pydantic would: encode the record by pydantic."""


def _refuse(value: Any) -> Any:
    raise _NotPlain(type(value).__name__)


def encode_record(record: Record) -> RawJSON:
    """The record's stored JSON text: its JSON with the stack frames written once."""
    try:
        return RawJSON(_encode_fast(record).decode())
    except (_NotPlain, orjson.JSONEncodeError):
        pass  # a value orjson does not take as pydantic does: pydantic encodes it all
    return RawJSON(orjson.dumps(_compact(orjson.loads(record.model_dump_json()))).decode())


FRAME_CACHE = 4096
"""Stack frames whose JSON is kept, by object, for the records that follow."""

# id() of a frame -> (the frame, its JSON). A recorder makes each frame (a component path
# and method) once and puts the same object in every record's stacks: its JSON is made
# once too. The frame is held, so its id() is not reused while the entry lives; frames
# are data (no user objects), and one changed after it was stored is not seen again here.
_frame_json: dict[int, tuple[Any, bytes]] = {}


def _frame_text(frame: Any) -> bytes:
    known = _frame_json.get(id(frame))
    if known is not None and known[0] is frame:
        return known[1]
    text: bytes = frame.model_dump_json().encode()
    if len(_frame_json) >= FRAME_CACHE:
        _frame_json.clear()
    _frame_json[id(frame)] = (frame, text)
    return text


def _encode_fast(record: Record) -> bytes:
    head = record.model_dump(mode="json", exclude={"calls"})
    frames: list[Any] = []
    by_id: dict[int, int] = {}  # id() of a frame object of this record -> its position
    by_text: dict[bytes, int] = {}  # a frame's JSON -> its position (equal frames, other objects)
    calls: list[dict[str, Any]] = []
    append = calls.append
    for call in record.calls:
        if type(call) is not RecordAppCall:
            raise _NotPlain(type(call).__name__)  # a subclass may hold more fields
        stack = []
        for frame in call.stack:
            at = by_id.get(id(frame))
            if at is None:
                text = _frame_text(frame)
                at = by_text.get(text)
                if at is None:
                    at = by_text[text] = len(frames)
                    frames.append(orjson.Fragment(text))
                by_id[id(frame)] = at
            stack.append(at)
        perf = call.perf
        if perf is None:
            times = None
        else:
            start, end = perf.start_time, perf.end_time
            if start.tzinfo is not None or end.tzinfo is not None:
                raise _NotPlain("aware datetime")  # pydantic writes local time: let it
            times = {"start_time": start, "end_time": end}  # orjson writes what pydantic does
        append(  # every field of RecordAppCall, in its order (a test holds it to that)
            {
                "call_id": call.call_id,
                "stack": stack,
                "args": call.args,
                "rets": call.rets,
                "error": call.error,
                "perf": times,
                "pid": call.pid,
                "tid": call.tid,
            }
        )
    head["calls"] = calls
    head["frames"] = frames
    return orjson.dumps(head, default=_refuse, option=_OPTIONS)


# Datetimes as pydantic writes them ("Z" for UTC); dataclasses go to _refuse, and with
# them the record to pydantic, which writes them its own way.
_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_PASSTHROUGH_DATACLASS


def _compact(doc: dict[str, Any]) -> dict[str, Any]:
    """A record's JSON (as data) with its stack frames written once, in ``"frames"``."""
    frames: list[Any] = []
    index: dict[bytes, int] = {}
    for call in doc.get("calls") or ():
        stack = []
        for frame in call.get("stack") or ():
            text = orjson.dumps(frame)
            at = index.get(text)
            if at is None:
                at = index[text] = len(frames)
                frames.append(frame)
            stack.append(at)
        call["stack"] = stack
    doc["frames"] = frames
    return doc


def loads_json(value: Any) -> Any:
    """A JSON column's value as data: engines give text (SQLite) or data (PostgreSQL's
    JSONB). Text that is not JSON is returned as it is."""
    if isinstance(value, (str, bytes)):
        try:
            return orjson.loads(value)
        except ValueError:  # NaN or Infinity, which json writes and orjson refuses
            try:
                return json.loads(value)
            except ValueError:
                return value
    return value


def decode_record(value: Any) -> Any:
    """A stored ``record_json`` (text, bytes, or data as PostgreSQL's driver gives it)
    as the record's JSON data, its stack frames back in place.

    The frames are shared: the calls below one component hold the same dict.
    """
    value = loads_json(value)
    if isinstance(value, dict):
        frames = value.pop("frames", None)
        if frames is not None:
            for call in value.get("calls") or ():
                stack = call.get("stack")
                if stack and type(stack[0]) is int:
                    call["stack"] = [frames[at] for at in stack]
    return value


def _json_text(value: Any) -> str:
    if type(value) is str:  # the usual main input/output: the same text json.dumps makes
        return _dump_str(value)
    return json.dumps(value, default=str)


_dump_str = json.encoder.encode_basestring_ascii  # what json.dumps does with a str


def _iso(value: datetime | None) -> str | None:
    # The text SQLAlchemy's SQLite DateTime stores, reads back and sorts by.
    return None if value is None else value.isoformat(" ", "microseconds")


def record_row(record: Record, *, sqlite: bool) -> tuple[Any, ...]:
    """The record's row, as a tuple in the records table's column order.

    Made on the sink's thread, ready for the driver's ``executemany``: times are text on
    SQLite (``sqlite=True``), ``datetime`` for the other engines' drivers.
    """
    perf = record.perf
    cost = record.cost
    latency = (perf.end_time - perf.start_time).total_seconds() if perf is not None else None
    error = record.main_error
    return (
        record.record_id,
        record.app_id,
        _json_text(record.main_input),
        _json_text(record.main_output),
        None if error is None else str(error),
        record.tags,
        _iso(record.ts) if sqlite else record.ts,
        latency,
        cost.n_tokens if cost is not None else 0,
        cost.cost if cost is not None else 0.0,
        cost.cost_currency if cost is not None else "USD",
        encode_record(record),
    )


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


RESULT_COLUMNS = tuple(column.name for column in tables("").feedbacks.columns)
"""The feedbacks table's columns, in its order: the order of a result row's values."""


def result_row(result: FeedbackResult, app_id: str | None, *, sqlite: bool) -> tuple[Any, ...]:
    """The feedback result's row, a tuple in :data:`RESULT_COLUMNS` order (no claim:
    ``worker`` and ``lease_until`` empty); ``app_id`` is its record's app. Times are
    text on SQLite (``sqlite=True``), as in :func:`record_row`."""
    return (
        result.feedback_result_id,
        result.record_id,
        result.feedback_definition_id,
        app_id,
        result.name,
        FeedbackResultStatus(result.status).value,
        _result(result.result),
        result.multi_result,
        result.error,
        # Encoded here, by pydantic, once: the writer passes the text on as it is.
        RawJSON("[" + ",".join([c.model_dump_json() for c in result.calls]) + "]"),
        RawJSON(result.cost.model_dump_json()),
        _iso(result.last_ts) if sqlite else result.last_ts,
        None,
        None,
        0,
    )


def pending_row(record: Record, definition: FeedbackDefinition, *, sqlite: bool) -> tuple[Any, ...]:
    """A pending (``none``) result of ``definition`` on a record, for deferred
    evaluation: a row as :func:`result_row` makes them."""
    now = datetime.now()
    return (
        "feedback_result_" + uuid.uuid4().hex,
        record.record_id,
        definition.feedback_definition_id,
        record.app_id,
        definition.name,
        FeedbackResultStatus.NONE.value,
        None,
        None,
        None,
        RawJSON("[]"),
        RawJSON("{}"),
        _iso(now) if sqlite else now,
        None,
        None,
        0,
    )


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
        calls=loads_json(row["calls_json"]) or [],
        cost=loads_json(row["cost_json"]) or {},
        last_ts=row["last_ts"],
    )
