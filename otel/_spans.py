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
A record is over when it reaches a sink, so its spans are made finished: each is the
SDK's ``ReadableSpan`` (what a tracer's span becomes when it ends), built with its
final attributes, times, status and events and handed to the span processor, which
batches and exports it as usual. Going through a live tracer instead would redo, per
span, what is the same for every record (validating each attribute value, sampling,
context and lock handling) and cost several times as much. What the tracer would
apply is applied here: the sampler the environment configures
(``OTEL_TRACES_SAMPLER``, decided once per record), the attribute length limit (with
a marker) and the attribute count limit (``OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT``; the
first ones are kept). Every value is one the OTLP encoder takes: a string, bool,
int, float or a tuple of strings.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import OrderedDict
from types import MappingProxyType
from typing import Any, NamedTuple

from spyglass.core import CallKind

from . import _conventions as C
from ._sdk import (
    ALWAYS_ON_SAMPLERS,
    BatchSpanProcessor,
    BoundedAttributes,
    Context,
    Event,
    InstrumentationScope,
    RandomIdGenerator,
    ReadableSpan,
    Resource,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TracerProvider,
)
from ._tree import (
    Kinds,
    call_times,
    ended,
    ingested_kinds,
    marked_kind,
    ns,
    parents,
    root_span_id,
    swap_halves,
    trace_id_of,
)
from ._values import documents, model_name, text_of, truncate, usage
from .semconv import trace as tl

__all__ = ["SpanWriter"]

SCOPE = "spyglass.otel"
_CUSTOM = "spyglass.adapters.custom"
_MAX_DOCUMENTS = 32  # retrieval.documents.N.* beyond this would crowd out other attributes


_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_OK = Status(StatusCode.OK)
_UNSET = Status(StatusCode.UNSET)
_MODEL_KINDS = frozenset({CallKind.LLM, CallKind.CHAT_MODEL, CallKind.EMBEDDING})
_DOCUMENT_KINDS = frozenset({CallKind.RETRIEVER, CallKind.VECTOR_STORE, CallKind.RERANKER})
_CLIENT_OPERATIONS = frozenset({"chat", "text_completion", "embeddings"})
_MAX_COMPONENTS = 4096  # (component, method, kind) descriptions kept; then start afresh


class _Resource(Resource):
    """A resource that is hashed once.

    The OTLP encoder groups every span by its resource, hashing it per span, and the
    SDK's hash serialises all the resource's attributes to JSON each time; a resource
    never changes once made, so its hash is kept.
    """

    def __init__(self, resource: Resource) -> None:
        super().__init__(dict(resource.attributes), resource.schema_url)
        self._hash = super().__hash__()

    def __hash__(self) -> int:
        return self._hash


class _App(NamedTuple):
    """What every span of one app's records shares."""

    resource: Resource
    name: str  # the root span's name
    common: dict[str, str]  # spyglass.app.id / name / version


class _Component(NamedTuple):
    """What is the same for every call of one method of one component, of one kind."""

    kind: CallKind
    operation: str | None  # the GenAI operation name
    name: str  # the span name, unless the call names its model
    span_kind: SpanKind
    attributes: dict[str, Any]


class SpanWriter:
    """Writes records and feedback results as finished spans to one span processor.

    Used from one thread at a time (a sink's worker). An app (name, version, id) is a
    *resource* (``service.name``, ``service.version``), made once; so is what the spans
    of one component's method have in common.

    Args:
        processor: where finished spans go (a ``BatchSpanProcessor`` in the sink).
        max_length: the longest attribute string; longer ones are cut with a marker.
    """

    def __init__(self, processor: BatchSpanProcessor, max_length: int) -> None:
        self.processor = processor
        self.max_length = max_length
        # A record's call carries ~20 attributes plus 3 per document: more than the SDK's
        # default of 128 would crowd out others; past the limit, the first ones are kept.
        count = os.environ.get("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "").strip()
        self.max_attributes = int(count) if count.isdigit() else 512
        # The sampler a tracer provider would use (OTEL_TRACES_SAMPLER, _ARG).
        self._sampler = TracerProvider(shutdown_on_exit=False).sampler
        self._sample_all = any(self._sampler is s for s in ALWAYS_ON_SAMPLERS)
        self._scope = InstrumentationScope(SCOPE)
        self._span_ids = RandomIdGenerator()
        self._apps: dict[tuple[str, str, str], _App] = {}
        self._components: dict[tuple[str, str, str, str, CallKind], _Component] = {}
        self._kinds = Kinds()
        # record id -> its app, for feedback results arriving later
        self._record_apps: OrderedDict[str, _App] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------ what records share

    def _app(self, app_name: str, app_version: str, app_id: str) -> _App:
        key = (app_name, app_version, app_id)
        found = self._apps.get(key)
        if found is None:
            created = Resource.create(
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
            limit = self.max_length
            common = {
                C.APP_ID: truncate(app_id, limit),
                C.APP_NAME: truncate(app_name, limit),
                C.APP_VERSION: truncate(app_version, limit),
            }  # TruLens's app name, version and id are resource attributes
            found = self._apps[key] = _App(_Resource(created), app_name or "app", common)
        return found

    def _component(
        self, path: str, module: str, qualname: str, method: str, kind: CallKind
    ) -> _Component:
        key = (path, module, qualname, method, kind)
        found = self._components.get(key)
        if found is not None:
            return found
        if len(self._components) >= _MAX_COMPONENTS:
            self._components.clear()
        limit = self.max_length
        oi_kind, operation = C.conventions_of(kind)
        attributes: dict[str, Any] = {
            C.SPAN_ROLE: "call",
            C.CALL_PATH: truncate(path, limit),
            C.CALL_METHOD: method,
            C.CALL_CLASS: truncate(f"{module}:{qualname}", limit),
            C.CALL_KIND: kind.value,
            C.OI_KIND: oi_kind,
            tl.SpanAttributes.SPAN_TYPE: tl.span_type_of(kind).value,
            tl.SpanAttributes.CALL.FUNCTION: truncate(f"{module}.{qualname}.{method}", limit),
        }
        name = f"{qualname}.{method}"
        if operation is not None:
            attributes[C.GEN_AI_OPERATION] = operation
            name = f"{operation} {qualname}"
        if kind in _MODEL_KINDS:
            provider = _provider(module)
            if provider:
                attributes[C.GEN_AI_PROVIDER] = provider
        elif kind is CallKind.TOOL:
            attributes[C.TOOL_NAME] = attributes[C.GEN_AI_TOOL_NAME] = qualname
        elif kind is CallKind.AGENT:
            attributes[C.GEN_AI_AGENT_NAME] = qualname
        span_kind = SpanKind.CLIENT if operation in _CLIENT_OPERATIONS else SpanKind.INTERNAL
        found = self._components[key] = _Component(kind, operation, name, span_kind, attributes)
        return found

    def _sampled(self, trace_id: int, name: str, attributes: dict[str, Any]) -> bool:
        """Whether the configured sampler keeps the trace (asked once per record)."""
        if self._sample_all:
            return True
        # The trace is spyglass's alone (no other service shares its id), so the ratio
        # samplers may decide on the id with its random half low: see `swap_halves`.
        result = self._sampler.should_sample(
            Context(), swap_halves(trace_id), name, SpanKind.INTERNAL, attributes
        )
        return bool(result.decision.is_sampled())  # type: ignore[no-untyped-call]

    # ------------------------------------------------------------ records

    def write_record(self, record: Any, app: Any) -> int:
        """Write ``record`` (made by recorder ``app``) as one trace; returns the span count
        (0 when the sampler drops it)."""
        app_name = str(getattr(app, "app_name", "") or "")
        app_version = str(getattr(app, "app_version", "") or "")
        shared = self._app(app_name, app_version, str(record.app_id))
        record_id = record.record_id
        self._remember(record_id, shared)
        common: dict[str, Any] = dict(shared.common)
        common[C.RECORD_ID] = common[tl.SpanAttributes.RECORD_ID] = record_id
        attributes: dict[str, Any] = dict(common)
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
            attributes[tl.SpanAttributes.COST.NUM_TOKENS] = int(cost.n_tokens)
            attributes[tl.SpanAttributes.COST.NUM_PROMPT_TOKENS] = int(cost.n_prompt_tokens or 0)
            attributes[tl.SpanAttributes.COST.NUM_COMPLETION_TOKENS] = int(
                cost.n_completion_tokens or 0
            )
            attributes[tl.SpanAttributes.COST.COST] = float(cost.cost)
            attributes[tl.SpanAttributes.COST.CURRENCY] = str(cost.cost_currency)
        meta = record.meta
        if isinstance(meta, dict):
            for key, name in (("session_id", C.SESSION_ID), ("user_id", C.USER_ID)):
                if isinstance(meta.get(key), (str, int)):
                    attributes[name] = truncate(str(meta[key]), self.max_length)
        trace_id = trace_id_of(record_id)
        if not self._sampled(trace_id, shared.name, attributes):
            return 0
        root = SpanContext(trace_id, root_span_id(record_id), False, _SAMPLED)
        now = time.time_ns()
        perf = record.perf
        start = (ns(perf.start_time) if perf is not None else None) or now
        end = ended(ns(perf.end_time) if perf is not None else None, now)

        calls = record.calls
        kinds = self._kinds.of_app(app)
        ingested = ingested_kinds(meta)
        times = [call_times(call) for call in calls]
        up = parents(calls, times)
        new_id = self._span_ids.generate_span_id
        contexts = [SpanContext(trace_id, new_id(), False, _SAMPLED) for _ in calls]
        spans: list[ReadableSpan] = []
        # In start order (parents before their children), the root last, as a tracer
        # would end them.
        for i in sorted(range(len(calls)), key=lambda i: (times[i][0], len(calls[i].stack))):
            above = up[i]
            spans.append(
                self._call_span(
                    calls[i],
                    contexts[i],
                    contexts[above] if above is not None else root,
                    times[i][0] or now,
                    ended(times[i][1], now),
                    shared,
                    kinds,
                    ingested,
                    common,
                )
            )
        spans.append(
            self._span(
                shared.name,
                root,
                None,
                SpanKind.INTERNAL,
                attributes,
                start,
                end,
                record.main_error,
                shared.resource,
            )
        )
        on_end = self.processor.on_end
        for span in spans:
            on_end(span)
        return len(spans)

    def _call_span(
        self,
        call: Any,
        context: SpanContext,
        parent: SpanContext,
        start: int,
        end: int,
        shared: _App,
        kinds: dict[str, CallKind],
        ingested: dict[str, CallKind],
        common: dict[str, Any],
    ) -> ReadableSpan:
        frame = call.stack[-1]
        method = frame.method
        cls = method.obj.cls
        path = str(frame.path)
        module = cls.module.module_name
        kind = (
            marked_kind(module, cls.name, method.name)
            or kinds.get(path)
            or ingested.get(call.call_id)
            or self._kinds.of_method(module, cls.name, method.name)
        )
        component = self._component(path, module, cls.name, method.name, kind)
        attributes = dict(common)
        attributes.update(component.attributes)
        attributes[C.CALL_ID] = call.call_id
        args, rets = call.args, call.rets
        given = _single(args)
        if given is not args and isinstance(args, dict):
            attributes[C.CALL_ARG] = str(next(iter(args)))  # input.value holds its value alone
        self._io(attributes, given, rets)
        name = component.name
        if kind in _MODEL_KINDS:
            model = model_name(args, rets)
            if model:
                model = truncate(model, self.max_length)
                attributes[C.LLM_MODEL] = attributes[C.GEN_AI_REQUEST_MODEL] = model
                name = f"{component.operation} {model}"
            tokens = usage(rets)
            if tokens is not None:
                attributes[C.LLM_PROMPT_TOKENS] = attributes[C.GEN_AI_INPUT_TOKENS] = tokens[0]
                attributes[C.LLM_COMPLETION_TOKENS] = attributes[C.GEN_AI_OUTPUT_TOKENS] = tokens[1]
                attributes[C.LLM_TOTAL_TOKENS] = tokens[0] + tokens[1]
        elif kind in _DOCUMENT_KINDS:
            self._documents(attributes, args, rets)
        extra = _user_attributes(call, cls, method.name)
        if extra:
            attributes.update(self._clean(extra))
        return self._span(
            name,
            context,
            parent,
            component.span_kind,
            attributes,
            start,
            end,
            call.error,
            shared.resource,
        )

    def _span(
        self,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        kind: SpanKind,
        attributes: dict[str, Any],
        start: int,
        end: int,
        error: Any,
        resource: Resource,
    ) -> ReadableSpan:
        """A finished span: status ``OK``, or ``ERROR`` with an ``exception`` event."""
        status, events = _OK, ()  # type: tuple[Status, tuple[Event, ...]]
        if error is not None:
            status, event = self._failure(error, end)
            events = (event,)
        return ReadableSpan(
            name=name,
            context=context,
            parent=parent,
            resource=resource,
            attributes=self._bounded(attributes),
            events=events,
            kind=kind,
            status=status,
            start_time=start,
            end_time=end,
            instrumentation_scope=self._scope,
        )

    def _bounded(self, attributes: dict[str, Any]) -> Any:
        """``attributes`` within the count limit: the first ones, and how many were dropped."""
        limit = self.max_attributes
        if len(attributes) <= limit:
            return attributes
        kept = dict(list(attributes.items())[:limit])
        bounded = BoundedAttributes(maxlen=limit, attributes=kept, immutable=True)
        bounded.dropped = len(attributes) - limit
        return bounded

    def _documents(self, attributes: dict[str, Any], args: Any, rets: Any) -> None:
        docs = documents(rets)
        contexts: list[str] = []
        for n, (content, doc_id, score) in enumerate(docs[:_MAX_DOCUMENTS]):
            prefix = f"{C.RETRIEVAL_DOCUMENTS}.{n}.document."
            attributes[prefix + "content"] = truncate(content, self.max_length)
            contexts.append(attributes[prefix + "content"])
            if doc_id is not None:
                attributes[prefix + "id"] = truncate(doc_id, self.max_length)
            if score is not None:
                attributes[prefix + "score"] = score
        attributes[tl.SpanAttributes.RETRIEVAL.RETRIEVED_CONTEXTS] = tuple(contexts)
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
        """User attributes as OpenTelemetry values: scalars, tuples of strings, else JSON text."""
        out: dict[str, Any] = {}
        for key, value in extra.items():
            if isinstance(value, str):
                out[str(key)] = truncate(value, self.max_length)
            elif isinstance(value, (bool, int, float)):
                out[str(key)] = value
            elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                out[str(key)] = tuple(truncate(v, self.max_length) for v in value)
            elif value is not None:
                out[str(key)] = text_of(value, self.max_length)[0]
        return out

    def _failure(self, error: Any, when: int) -> tuple[Status, Event]:
        """The ``ERROR`` status and ``exception`` event (at ``when``) of a recorded error."""
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
        message = truncate(message, self.max_length)
        event["exception.message"] = message
        return (
            Status(StatusCode.ERROR, message),
            Event("exception", MappingProxyType(event), timestamp=when),
        )

    # ------------------------------------------------------------ feedback

    def _remember(self, record_id: str, shared: _App) -> None:
        with self._lock:
            self._record_apps[record_id] = shared
            while len(self._record_apps) > 10_000:
                self._record_apps.popitem(last=False)

    def write_feedback(self, result: Any) -> None:
        """Write a feedback result as an evaluation span in its record's trace."""
        with self._lock:
            shared = self._record_apps.get(result.record_id)
        if shared is None:
            shared = self._app("", "", "")
        status = str(getattr(result.status, "value", result.status))
        explanation = _explanation(result)
        name = f"evaluation {result.name}"
        attributes: dict[str, Any] = {
            C.SPAN_ROLE: "feedback",
            C.RECORD_ID: result.record_id,
            C.FEEDBACK_STATUS: status,
            C.FEEDBACK_RESULT_ID: result.feedback_result_id,
            tl.SpanAttributes.SPAN_TYPE: tl.SpanType.EVAL_ROOT.value,
            tl.SpanAttributes.EVAL_ROOT.METRIC_NAME: truncate(str(result.name), self.max_length),
            C.OI_KIND: "EVALUATOR",
        }
        event: dict[str, Any] = {
            C.EVALUATION_NAME: attributes[tl.SpanAttributes.EVAL_ROOT.METRIC_NAME],
            C.FEEDBACK_STATUS: status,
        }
        if result.result is not None:
            event[C.EVALUATION_SCORE] = float(result.result)
            attributes[tl.SpanAttributes.EVAL_ROOT.SCORE] = float(result.result)
        if explanation:
            event[C.EVALUATION_EXPLANATION] = truncate(explanation, self.max_length)
            attributes[tl.SpanAttributes.EVAL_ROOT.EXPLANATION] = event[C.EVALUATION_EXPLANATION]
        if result.error:
            attributes[tl.SpanAttributes.EVAL_ROOT.ERROR] = truncate(result.error, self.max_length)
        trace_id = trace_id_of(result.record_id)
        if not self._sampled(trace_id, name, attributes):
            return
        when = ns(result.last_ts) or time.time_ns()
        span = ReadableSpan(
            name=name,
            context=SpanContext(trace_id, self._span_ids.generate_span_id(), False, _SAMPLED),
            parent=SpanContext(trace_id, root_span_id(result.record_id), False, _SAMPLED),
            resource=shared.resource,
            attributes=self._bounded(attributes),
            events=(Event(C.EVALUATION_EVENT, MappingProxyType(event), timestamp=when),),
            kind=SpanKind.INTERNAL,
            status=Status(StatusCode.ERROR, truncate(result.error, 1024))
            if result.error
            else _UNSET,
            start_time=when,
            end_time=when,
            instrumentation_scope=self._scope,
        )
        self.processor.on_end(span)


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


def _user_attributes(call: Any, cls: Any, method: str) -> dict[str, Any] | None:
    """What an ``@instrument(attributes=...)`` callable says about this call, if any."""
    custom = sys.modules.get(_CUSTOM)  # marks exist only once the custom adapter is imported
    if custom is None:
        return None
    result: dict[str, Any] | None = custom.span_attributes(
        cls.module.module_name, cls.name, method, call.args, call.rets, call.error
    )
    return result
