"""Records and feedback results → OpenTelemetry spans, written to a span processor.

A record becomes one trace: a root span for the app call (the record: main input,
output and error, its whole duration) and, under it, a span per recorded call, nested
as the calls were, with the recorded start and end times. The trace id is the record
id's (``record_<32 hex>`` → those 128 bits), and the root span's id derives from it,
so a feedback result that finishes later joins the same trace without any lookup: it
is a short ``evaluation <name>`` span under the root, carrying a
``gen_ai.evaluation.result`` event.

A call's attributes follow its kind (`spyglass.core.CallKind`): the adapter that
instrumented the component says what it is (``recorder.instrumented()``); a call on an
object the walk did not reach takes the kind its wrapped method was declared with.
Spans are made with the SDK's own tracer (explicit times, ids from `_RecordIds`), so
every limit, processor and exporter of the SDK applies as usual.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import weakref
from collections import OrderedDict
from datetime import datetime
from typing import Any

from spyglass.core import CallKind
from spyglass.core.instrument import wrapped_methods

from . import _conventions as C
from ._sdk import (
    BatchSpanProcessor,
    Context,
    NonRecordingSpan,
    RandomIdGenerator,
    Resource,
    SpanContext,
    SpanKind,
    SpanLimits,
    Status,
    StatusCode,
    TraceFlags,
    TracerProvider,
    trace,
)
from ._values import documents, model_name, text_of, truncate, usage
from .semconv import trace as tl

__all__ = ["SpanWriter", "root_span_id", "trace_id_of"]

SCOPE = "spyglass.otel"
_CUSTOM = "spyglass.adapters.custom"
_MAX_DOCUMENTS = 32  # retrieval.documents.N.* beyond this would crowd out other attributes


def trace_id_of(record_id: str) -> int:
    """The trace id of a record: its uuid4 bits for ``record_<32 hex>``, else a hash."""
    tail = record_id.rsplit("_", 1)[-1]
    if len(tail) == 32:
        try:
            value = int(tail, 16)
        except ValueError:
            value = 0
        if value:
            return value
    return int.from_bytes(hashlib.blake2b(record_id.encode(), digest_size=16).digest(), "big") or 1


def root_span_id(record_id: str) -> int:
    """The span id of a record's root span (derived from the record id)."""
    digest = hashlib.blake2b(b"root:" + record_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") or 1


def _ns(moment: datetime | None) -> int | None:
    """A recorded (naive, local) datetime as nanoseconds since the epoch, exactly to the µs."""
    if moment is None:
        return None
    # Whole microseconds: a float of epoch seconds holds them exactly enough to round.
    return round(moment.timestamp() * 1_000_000) * 1000


class _RecordIds(RandomIdGenerator):
    """Random ids, except the next trace and span id when the writer sets them (root spans)."""

    def __init__(self) -> None:
        self.trace_id: int | None = None
        self.span_id: int | None = None

    def generate_trace_id(self) -> int:
        value, self.trace_id = self.trace_id, None
        return value if value is not None else super().generate_trace_id()

    def generate_span_id(self) -> int:
        value, self.span_id = self.span_id, None
        return value if value is not None else super().generate_span_id()


def _kind(value: object) -> CallKind:
    try:
        return CallKind(value)
    except ValueError:
        return CallKind.CUSTOM


class _Kinds:
    """What kind each call of a record is: by its component's path, else by its method."""

    def __init__(self) -> None:
        self._apps: weakref.WeakKeyDictionary[Any, dict[str, CallKind]] = (
            weakref.WeakKeyDictionary()
        )
        self._methods: dict[tuple[str, str, str], CallKind] = {}

    def of_app(self, app: Any) -> dict[str, CallKind]:
        try:
            found = self._apps.get(app)
        except TypeError:  # an unhashable or non-weakref-able recorder: no cache
            found = None
        if found is None:
            found = {}
            instrumented = getattr(app, "instrumented", None)
            if callable(instrumented):
                for c in instrumented().get("components", []):
                    if c.get("kind") != "app":
                        found[c["path"]] = _kind(c["kind"])
            try:
                self._apps[app] = found
            except TypeError:
                pass
        return found

    def of_method(self, module: str, qualname: str, name: str) -> CallKind:
        key = (module, qualname, name)
        kind = self._methods.get(key)
        if kind is None:
            for entry in wrapped_methods():
                cls = entry.cls
                if cls is not None:
                    self._methods[(cls.__module__, cls.__qualname__, entry.name)] = _kind(
                        entry.kind
                    )
            kind = self._methods.setdefault(key, CallKind.CUSTOM)
        return kind


def _frame_key(frame: Any) -> tuple[str, str, int]:
    method = frame.method
    return (str(frame.path), method.name, method.obj.id)


def parents(calls: list[Any], times: list[tuple[int, int | None]]) -> list[int | None]:
    """For each call, the index of the call it was made in (``None``: made by the app call).

    A call's parent has the call's stack less its last frame and encloses it in time;
    of several such calls (a component called repeatedly, or from several threads),
    the one that started last.
    """
    # Calls share frame objects: describe each frame once.
    seen: dict[int, tuple[str, str, int]] = {}
    keys = [
        tuple(seen.get(id(f)) or seen.setdefault(id(f), _frame_key(f)) for f in call.stack)
        for call in calls
    ]
    by_stack: dict[tuple[Any, ...], list[int]] = {}
    for i, key in enumerate(keys):
        by_stack.setdefault(key, []).append(i)
    out: list[int | None] = []
    for i, call in enumerate(calls):
        found: int | None = None
        candidates = by_stack.get(keys[i][:-1], ()) if len(keys[i]) > 1 else ()
        start, end = times[i]
        best = None
        for j in candidates:
            s, e = times[j]
            if s <= start and (end is None or e is None or e >= end) and (best is None or s > best):
                found, best = j, s
        if found is None and candidates:
            found = candidates[-1]
        out.append(found)
    return out


def _times(call: Any) -> tuple[int, int | None]:
    perf = call.perf
    if perf is None:
        return 0, None
    return _ns(perf.start_time) or 0, _ns(perf.end_time)


class SpanWriter:
    """Writes records and feedback results as spans to one span processor.

    Used from one thread at a time (a sink's worker). Tracer providers are made per
    app (name, version, id), because the app is the span's *resource*
    (``service.name``, ``service.version``).

    Args:
        processor: where finished spans go (a ``BatchSpanProcessor`` in the sink).
        max_length: the longest attribute string; longer ones are cut with a marker.
    """

    def __init__(self, processor: BatchSpanProcessor, max_length: int) -> None:
        self.processor = processor
        self.max_length = max_length
        self._ids = _RecordIds()
        # A record's call carries ~20 attributes plus 3 per document: more than the SDK's
        # default of 128 would evict the first (the app's and record's ids).
        count = os.environ.get("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "").strip()
        self._limits = SpanLimits(
            max_span_attributes=int(count) if count.isdigit() else 512,
            max_span_attribute_length=max_length,
        )
        self._tracers: dict[tuple[str, str, str], Any] = {}
        self._providers: list[TracerProvider] = []
        self._kinds = _Kinds()
        # record id -> the tracer of its app, for feedback results arriving later
        self._record_apps: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------ providers

    def _tracer(self, app_name: str, app_version: str, app_id: str) -> Any:
        key = (app_name, app_version, app_id)
        tracer = self._tracers.get(key)
        if tracer is None:
            resource = Resource.create(
                {
                    C.SERVICE_NAME: app_name,
                    C.SERVICE_VERSION: app_version,
                    C.PROJECT_NAME: app_name or "default",
                    C.APP_ID: app_id,
                    tl.ResourceAttributes.APP_NAME: app_name,
                    tl.ResourceAttributes.APP_VERSION: app_version,
                    tl.ResourceAttributes.APP_ID: app_id,
                }
            )
            # shutdown_on_exit=False: spyglass's sink flushes at exit within its own
            # bound; the SDK's atexit hook would wait for the exporter's full timeout.
            provider = TracerProvider(
                resource=resource,
                id_generator=self._ids,
                span_limits=self._limits,
                shutdown_on_exit=False,
            )
            provider.add_span_processor(self.processor)
            self._providers.append(provider)
            tracer = self._tracers[key] = provider.get_tracer(SCOPE)
        return tracer

    # ------------------------------------------------------------ records

    def write_record(self, record: Any, app: Any) -> int:
        """Write ``record`` (made by recorder ``app``) as one trace; returns the span count."""
        app_name = str(getattr(app, "app_name", "") or "")
        app_version = str(getattr(app, "app_version", "") or "")
        app_id = str(record.app_id)
        tracer = self._tracer(app_name, app_version, app_id)
        self._remember(record.record_id, tracer)
        common = {
            C.APP_ID: app_id,
            C.APP_NAME: app_name,
            C.APP_VERSION: app_version,
            C.RECORD_ID: record.record_id,
            tl.SpanAttributes.RECORD_ID: record.record_id,
        }  # TruLens's app name, version and id are resource attributes
        perf = record.perf
        start = _ns(perf.start_time) if perf is not None else None
        end = _ns(perf.end_time) if perf is not None else None
        attributes = dict(common)
        attributes[C.SPAN_ROLE] = "record"
        attributes[C.OI_KIND] = "CHAIN"
        attributes[tl.SpanAttributes.SPAN_TYPE] = tl.SpanType.RECORD_ROOT.value
        self._io(attributes, record.main_input, record.main_output)
        if record.main_input is not None:
            attributes[tl.SpanAttributes.RECORD_ROOT.INPUT] = attributes[C.INPUT_VALUE]
        if record.main_output is not None:
            attributes[tl.SpanAttributes.RECORD_ROOT.OUTPUT] = attributes[C.OUTPUT_VALUE]
        cost = record.cost
        if cost is not None and cost.n_tokens:
            attributes[tl.SpanAttributes.COST.NUM_TOKENS] = cost.n_tokens
            attributes[tl.SpanAttributes.COST.NUM_PROMPT_TOKENS] = cost.n_prompt_tokens
            attributes[tl.SpanAttributes.COST.NUM_COMPLETION_TOKENS] = cost.n_completion_tokens
            attributes[tl.SpanAttributes.COST.COST] = float(cost.cost)
            attributes[tl.SpanAttributes.COST.CURRENCY] = cost.cost_currency
        meta = record.meta
        if isinstance(meta, dict):
            for key, name in (("session_id", C.SESSION_ID), ("user_id", C.USER_ID)):
                if isinstance(meta.get(key), (str, int)):
                    attributes[name] = str(meta[key])
        self._ids.trace_id = trace_id_of(record.record_id)
        self._ids.span_id = root_span_id(record.record_id)
        root = tracer.start_span(
            app_name or "app",
            context=Context(),  # a new trace, whatever span is current on this thread
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            start_time=start,
        )
        self._ids.trace_id = self._ids.span_id = None
        self._error(root, record.main_error)

        calls = record.calls
        kinds = self._kinds.of_app(app)
        ingested = _ingested_kinds(meta)
        times = [_times(call) for call in calls]
        up = parents(calls, times)
        spans: list[Any] = [None] * len(calls)
        # Parents start before their children: open spans in start order.
        order = sorted(range(len(calls)), key=lambda i: (times[i][0], len(calls[i].stack)))
        for i in order:
            above = up[i]
            parent = spans[above] if above is not None else root
            spans[i] = self._call_span(
                tracer, calls[i], times[i][0], parent, kinds, ingested, common
            )
        for i in order:
            spans[i].end(end_time=times[i][1])
        root.end(end_time=end)
        return len(calls) + 1

    def _call_span(
        self,
        tracer: Any,
        call: Any,
        start: int,
        parent: Any,
        kinds: dict[str, CallKind],
        ingested: dict[str, CallKind],
        common: dict[str, Any],
    ) -> Any:
        frame = call.stack[-1]
        method = frame.method
        cls = method.obj.cls
        path = str(frame.path)
        module = cls.module.module_name
        kind = (
            _marked_kind(module, cls.name, method.name)
            or kinds.get(path)
            or ingested.get(call.call_id)
            or self._kinds.of_method(module, cls.name, method.name)
        )
        oi_kind, operation = C.conventions_of(kind)
        attributes = dict(common)
        attributes.update(
            {
                C.SPAN_ROLE: "call",
                C.CALL_ID: call.call_id,
                C.CALL_PATH: path,
                C.CALL_METHOD: method.name,
                C.CALL_CLASS: f"{cls.module.module_name}:{cls.name}",
                C.CALL_KIND: kind.value,
                C.OI_KIND: oi_kind,
                tl.SpanAttributes.SPAN_TYPE: tl.span_type_of(kind).value,
                tl.SpanAttributes.CALL.FUNCTION: f"{cls.module.module_name}.{cls.name}.{method.name}",
            }
        )
        args, rets = call.args, call.rets
        given = _single(args)
        if given is not args and isinstance(args, dict):
            attributes[C.CALL_ARG] = next(iter(args))  # input.value holds its value alone
        self._io(attributes, given, rets)
        name = f"{cls.name}.{method.name}"
        if operation is not None:
            attributes[C.GEN_AI_OPERATION] = operation
            name = f"{operation} {cls.name}"
        if kind in (CallKind.LLM, CallKind.CHAT_MODEL, CallKind.EMBEDDING):
            model = model_name(args, rets)
            if model:
                attributes[C.LLM_MODEL] = attributes[C.GEN_AI_REQUEST_MODEL] = model
                name = f"{operation} {model}"
            provider = _provider(cls.module.module_name)
            if provider:
                attributes[C.GEN_AI_PROVIDER] = provider
            tokens = usage(rets)
            if tokens is not None:
                attributes[C.LLM_PROMPT_TOKENS] = attributes[C.GEN_AI_INPUT_TOKENS] = tokens[0]
                attributes[C.LLM_COMPLETION_TOKENS] = attributes[C.GEN_AI_OUTPUT_TOKENS] = tokens[1]
                attributes[C.LLM_TOTAL_TOKENS] = tokens[0] + tokens[1]
        elif kind in (CallKind.RETRIEVER, CallKind.VECTOR_STORE, CallKind.RERANKER):
            self._documents(attributes, args, rets)
        elif kind is CallKind.TOOL:
            attributes[C.TOOL_NAME] = attributes[C.GEN_AI_TOOL_NAME] = cls.name
            name = f"{operation} {cls.name}"
        elif kind is CallKind.AGENT:
            attributes[C.GEN_AI_AGENT_NAME] = cls.name
            name = f"{operation} {cls.name}"
        extra = _user_attributes(call, cls, method.name)
        if extra:
            attributes.update(self._clean(extra))
        span = tracer.start_span(
            name,
            context=trace.set_span_in_context(parent),
            kind=SpanKind.CLIENT
            if operation in ("chat", "text_completion", "embeddings")
            else SpanKind.INTERNAL,
            attributes=attributes,
            start_time=start or None,
        )
        self._error(span, call.error)
        return span

    def _documents(self, attributes: dict[str, Any], args: Any, rets: Any) -> None:
        docs = documents(rets)
        contexts: list[str] = []
        for n, (content, doc_id, score) in enumerate(docs[:_MAX_DOCUMENTS]):
            prefix = f"{C.RETRIEVAL_DOCUMENTS}.{n}.document."
            attributes[prefix + "content"] = truncate(content, self.max_length)
            contexts.append(attributes[prefix + "content"])
            if doc_id is not None:
                attributes[prefix + "id"] = doc_id
            if score is not None:
                attributes[prefix + "score"] = score
        attributes[tl.SpanAttributes.RETRIEVAL.RETRIEVED_CONTEXTS] = contexts
        attributes[tl.SpanAttributes.RETRIEVAL.NUM_CONTEXTS] = len(docs)
        query = _single(args)
        if isinstance(query, str):
            attributes[tl.SpanAttributes.RETRIEVAL.QUERY_TEXT] = truncate(query, self.max_length)

    def _io(self, attributes: dict[str, Any], given: Any, returned: Any) -> None:
        if given is not None:
            attributes[C.INPUT_VALUE], attributes[C.INPUT_MIME] = text_of(given, self.max_length)
        if returned is not None:
            attributes[C.OUTPUT_VALUE], attributes[C.OUTPUT_MIME] = text_of(
                returned, self.max_length
            )

    def _clean(self, extra: dict[str, Any]) -> dict[str, Any]:
        """User attributes as OpenTelemetry values: scalars, lists of scalars, else JSON text."""
        out: dict[str, Any] = {}
        for key, value in extra.items():
            if isinstance(value, str):
                out[str(key)] = truncate(value, self.max_length)
            elif isinstance(value, (bool, int, float)):
                out[str(key)] = value
            elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                out[str(key)] = [truncate(v, self.max_length) for v in value]
            elif value is not None:
                out[str(key)] = text_of(value, self.max_length)[0]
        return out

    @staticmethod
    def _error(span: Any, error: Any) -> None:
        if error is None:
            span.set_status(Status(StatusCode.OK))
            return
        event: dict[str, str] = {}
        detail = error.get("__tru_exception") if isinstance(error, dict) else None
        if isinstance(detail, dict):  # a record's main_error: the exception, serialised
            message = str(detail.get("message", ""))
            kind, module = detail.get("type"), detail.get("module")
            if isinstance(kind, str):
                event["exception.type"] = (
                    kind if module in (None, "builtins") else f"{module}.{kind}"
                )
        else:
            message = error if isinstance(error, str) else str(error)
        event["exception.message"] = message
        span.set_status(Status(StatusCode.ERROR, message))
        span.add_event("exception", event)

    # ------------------------------------------------------------ feedback

    def _remember(self, record_id: str, tracer: Any) -> None:
        with self._lock:
            self._record_apps[record_id] = tracer
            while len(self._record_apps) > 10_000:
                self._record_apps.popitem(last=False)

    def write_feedback(self, result: Any) -> None:
        """Write a feedback result as an evaluation span in its record's trace."""
        with self._lock:
            tracer = self._record_apps.get(result.record_id)
        if tracer is None:
            tracer = self._tracer("", "", "")
        parent = NonRecordingSpan(
            SpanContext(
                trace_id=trace_id_of(result.record_id),
                span_id=root_span_id(result.record_id),
                is_remote=False,
                trace_flags=TraceFlags(TraceFlags.SAMPLED),
            )
        )
        status = str(getattr(result.status, "value", result.status))
        explanation = _explanation(result)
        when = _ns(result.last_ts)
        attributes: dict[str, Any] = {
            C.SPAN_ROLE: "feedback",
            C.RECORD_ID: result.record_id,
            C.FEEDBACK_STATUS: status,
            C.FEEDBACK_RESULT_ID: result.feedback_result_id,
            tl.SpanAttributes.SPAN_TYPE: tl.SpanType.EVAL_ROOT.value,
            tl.SpanAttributes.EVAL_ROOT.METRIC_NAME: result.name,
            C.OI_KIND: "EVALUATOR",
        }
        event: dict[str, Any] = {C.EVALUATION_NAME: result.name, C.FEEDBACK_STATUS: status}
        if result.result is not None:
            event[C.EVALUATION_SCORE] = float(result.result)
            attributes[tl.SpanAttributes.EVAL_ROOT.SCORE] = float(result.result)
        if explanation:
            event[C.EVALUATION_EXPLANATION] = truncate(explanation, self.max_length)
            attributes[tl.SpanAttributes.EVAL_ROOT.EXPLANATION] = event[C.EVALUATION_EXPLANATION]
        if result.error:
            attributes[tl.SpanAttributes.EVAL_ROOT.ERROR] = truncate(result.error, self.max_length)
        span = tracer.start_span(
            f"evaluation {result.name}",
            context=trace.set_span_in_context(parent),
            attributes=attributes,
            start_time=when,
        )
        span.add_event(C.EVALUATION_EVENT, event, timestamp=when)
        if result.error:
            span.set_status(Status(StatusCode.ERROR, truncate(result.error, 1024)))
        span.end(end_time=when)


def _ingested_kinds(meta: Any) -> dict[str, CallKind]:
    """The kinds `to_record` kept in the meta of a record read from spans (call id -> kind)."""
    found = meta.get(C.META_KINDS) if isinstance(meta, dict) else None
    return {k: _kind(v) for k, v in found.items()} if isinstance(found, dict) else {}


def _single(args: Any) -> Any:
    """A call's arguments as its input: the one argument's value when there is one."""
    if isinstance(args, dict) and len(args) == 1:
        return next(iter(args.values()))
    return args if args else None


def _provider(module: str) -> str | None:
    for prefix, name in C.PROVIDERS:
        if module == prefix or module.startswith(prefix + "."):
            return name
    return None


def _explanation(result: Any) -> str | None:
    for call in getattr(result, "calls", None) or ():
        meta = getattr(call, "meta", None) or {}
        for key in ("reason", "reasons", "explanation"):
            if isinstance(meta.get(key), str):
                return str(meta[key])
    return None


def _marked_kind(module: str, qualname: str, method: str) -> CallKind | None:
    """The kind ``@instrument(span_type=...)`` gave this very method, if any."""
    custom = sys.modules.get(_CUSTOM)
    if custom is None:
        return None
    kind: CallKind | None = custom.span_type_kind(module, qualname, method)
    return kind


def _user_attributes(call: Any, cls: Any, method: str) -> dict[str, Any] | None:
    """What an ``@instrument(attributes=...)`` callable says about this call, if any."""
    custom = sys.modules.get(_CUSTOM)  # marks exist only once the custom adapter is imported
    if custom is None:
        return None
    result: dict[str, Any] | None = custom.span_attributes(
        cls.module.module_name, cls.name, method, call.args, call.rets, call.error
    )
    return result
