"""`to_record`: the spans of one trace → a `Record`, to evaluate apps traced by other tools.

Reads spans made by spyglass (exactly: every ``spyglass.*`` attribute is used) and
spans made by other instrumentation following OpenInference (``openinference.span.kind``,
``input.value``, ``output.value``) or the GenAI conventions (``gen_ai.operation.name``,
``gen_ai.input.messages`` / ``gen_ai.output.messages``).

The record's main input and output are those of the trace's root span; every other
span (every span, for a trace not made by spyglass, whose root is the app's own call)
becomes a call, nested as the spans were. A call's path is its ``spyglass.call.path``,
else its parent's path followed by its span name. Each call's kind is kept in
``record.meta["call_kinds"]`` (call id → `CallKind` value) and the trace id in
``record.meta["trace_id"]``, since a `Record` has no field for them; exporting the
record again gives the same kinds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from spyglass.core import (
    CallKind,
    Class,
    Lens,
    Method,
    Obj,
    Perf,
    Record,
    RecordAppCall,
    RecordAppCallMethod,
)

from . import _conventions as C
from ._sdk import ReadableSpan, StatusCode

__all__ = ["to_record"]

_NOT_NAME = re.compile(r"\W+")


def _decode(value: Any, mime: Any) -> Any:
    if isinstance(value, str) and mime == C.JSON_MIME:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _when(ns: int | None) -> datetime | None:
    return None if ns is None else datetime.fromtimestamp(ns / 1e9)


def _kind(attrs: Mapping[str, Any]) -> CallKind:
    for key, table in (
        (C.CALL_KIND, None),
        (C.OI_KIND, C.KIND_OF_OPENINFERENCE),
        (C.GEN_AI_OPERATION, C.KIND_OF_OPERATION),
    ):
        value = attrs.get(key)
        if not isinstance(value, str):
            continue
        if table is None:
            try:
                return CallKind(value)
            except ValueError:
                continue
        if value.upper() in table or value in table:
            return table.get(value, table.get(value.upper(), CallKind.CUSTOM))
    return CallKind.CUSTOM


def _input(attrs: Mapping[str, Any]) -> Any:
    if C.INPUT_VALUE in attrs:
        value = _decode(attrs[C.INPUT_VALUE], attrs.get(C.INPUT_MIME))
        arg = attrs.get(C.CALL_ARG)
        return {arg: value} if isinstance(arg, str) else value
    for key in ("gen_ai.input.messages", "gen_ai.prompt"):
        if key in attrs:
            return _decode(attrs[key], C.JSON_MIME)
    return None


def _output(attrs: Mapping[str, Any]) -> Any:
    if C.OUTPUT_VALUE in attrs:
        return _decode(attrs[C.OUTPUT_VALUE], attrs.get(C.OUTPUT_MIME))
    for key in ("gen_ai.output.messages", "gen_ai.completion"):
        if key in attrs:
            return _decode(attrs[key], C.JSON_MIME)
    return None


def _error(span: ReadableSpan) -> str | None:
    if span.status.status_code is StatusCode.ERROR:
        return span.status.description or "error"
    return None


def _method(span: ReadableSpan, attrs: Mapping[str, Any]) -> Method:
    class_path = attrs.get(C.CALL_CLASS)
    if isinstance(class_path, str) and ":" in class_path:
        module, qualname = class_path.split(":", 1)
    else:
        scope = span.instrumentation_scope
        module = scope.name if scope is not None else "otel"
        qualname = _NOT_NAME.sub("_", span.name).strip("_") or "span"
    name = attrs.get(C.CALL_METHOD)
    return Method(
        obj=Obj(cls=Class(name=qualname, module={"module_name": module}), id=0),
        name=name if isinstance(name, str) else "call",
    )


def to_record(spans: Iterable[ReadableSpan], app_id: str | None = None) -> Record:
    """Build a `Record` from the finished spans of one trace.

    Args:
        spans: the SDK's ``ReadableSpan``s of one trace (e.g. from an
            ``InMemorySpanExporter`` or a ``SpanProcessor``), in any order. spyglass's
            ``evaluation`` spans (feedback results) are skipped.
        app_id: the record's app id; default: the spans' ``spyglass.app.id``, else the
            resource's ``service.name``.

    Returns:
        The record: main input/output/error from the root span, a call per other span.

    Raises:
        ValueError: no span was given, or the spans belong to several traces.
    """
    given = [s for s in spans if (s.attributes or {}).get(C.SPAN_ROLE) != "feedback"]
    if not given:
        raise ValueError("to_record needs the spans of one trace; none were given")
    traces = {s.context.trace_id for s in given if s.context is not None}
    if len(traces) != 1:
        raise ValueError(
            f"to_record takes the spans of one trace; these belong to {len(traces)} traces. "
            "Group them by span.context.trace_id and call it once per trace."
        )
    trace_id = traces.pop()
    by_id = {s.context.span_id: s for s in given if s.context is not None}
    children: dict[int | None, list[ReadableSpan]] = {}
    for span in given:
        parent = span.parent.span_id if span.parent is not None else None
        children.setdefault(parent if parent in by_id else None, []).append(span)
    roots = sorted(children.get(None, []), key=lambda s: s.start_time or 0)
    root = roots[0]
    root_attrs = dict(root.attributes or {})
    made_by_spyglass = root_attrs.get(C.SPAN_ROLE) == "record" and len(roots) == 1

    calls: list[RecordAppCall] = []
    kinds: dict[str, str] = {}

    def visit(span: ReadableSpan, stack: list[RecordAppCallMethod], path: Lens) -> None:
        attrs = dict(span.attributes or {})
        given_path = attrs.get(C.CALL_PATH)
        if isinstance(given_path, str):
            path = Lens.of_string(given_path)
        frame = RecordAppCallMethod(path=path, method=_method(span, attrs))
        stack = [*stack, frame]
        call_id = attrs.get(C.CALL_ID)
        call_id = call_id if isinstance(call_id, str) else f"{span.context.span_id:016x}"
        args = _input(attrs)
        calls.append(
            RecordAppCall(
                call_id=call_id,
                stack=stack,
                args=args
                if isinstance(args, (dict, list))
                else ({} if args is None else {"input": args}),
                rets=_output(attrs),
                error=_error(span),
                perf=Perf(start_time=_when(span.start_time), end_time=_when(span.end_time)),
            )
        )
        kinds[call_id] = _kind(attrs).value
        for child in sorted(
            children.get(span.context.span_id, []), key=lambda s: s.start_time or 0
        ):
            visit(child, stack, path[_NOT_NAME.sub("_", child.name).strip("_") or "span"])

    if made_by_spyglass:
        for child in sorted(
            children.get(root.context.span_id, []), key=lambda s: s.start_time or 0
        ):
            visit(child, [], Lens().app)
    else:
        for top in roots:
            visit(top, [], Lens().app)

    resource = dict(root.resource.attributes) if root.resource is not None else {}
    record_id = root_attrs.get(C.RECORD_ID)
    found_app = root_attrs.get(C.APP_ID, resource.get(C.APP_ID, resource.get(C.SERVICE_NAME)))
    main_error = _error(root)
    return Record(
        record_id=record_id if isinstance(record_id, str) else f"record_{trace_id:032x}",
        app_id=app_id or (str(found_app) if found_app is not None else "otel"),
        main_input=_input({k: v for k, v in root_attrs.items() if k != C.CALL_ARG}),
        main_output=None if main_error is not None else _output(root_attrs),
        main_error=main_error,
        perf=Perf(start_time=_when(root.start_time), end_time=_when(root.end_time)),
        calls=calls,
        meta={C.META_TRACE: f"{trace_id:032x}", C.META_KINDS: kinds},
    )
