"""TruLens's OTEL-mode attribute names: ``trulens.otel.semconv.trace`` under spyglass's name.

Every name is under `BASE_SCOPE` (``ai.observability``). spyglass writes these next to
the OpenInference and GenAI attributes, so that code and back-ends reading TruLens
spans find what they expect::

    from spyglass.otel.semconv.trace import BASE_SCOPE, SpanAttributes, SpanType

    SpanAttributes.RETRIEVAL.RETRIEVED_CONTEXTS  # "ai.observability.retrieval.retrieved_contexts"
    SpanType.RETRIEVAL                           # the span type of a retriever's call
"""

from __future__ import annotations

import enum

from spyglass.core import CallKind

__all__ = ["BASE_SCOPE", "ResourceAttributes", "SpanAttributes", "SpanType", "span_type_of"]

BASE_SCOPE = "ai.observability"
"""The prefix of every TruLens attribute name."""


class SpanType(str, enum.Enum):
    """TruLens's span types; ``@instrument(span_type=...)`` takes them (and ``CallKind``s)."""

    UNKNOWN = "unknown"
    RECORD_ROOT = "record_root"
    EVAL_ROOT = "eval_root"
    EVAL = "eval"
    RETRIEVAL = "retrieval"
    RERANKING = "reranking"
    GENERATION = "generation"
    EMBEDDING = "embedding"
    TOOL = "tool"
    AGENT = "agent"
    GRAPH_NODE = "graph_node"
    WORKFLOW_STEP = "workflow_step"

    def __str__(self) -> str:
        return self.value


_BY_KIND: dict[CallKind, SpanType] = {
    CallKind.LLM: SpanType.GENERATION,
    CallKind.CHAT_MODEL: SpanType.GENERATION,
    CallKind.RETRIEVER: SpanType.RETRIEVAL,
    CallKind.VECTOR_STORE: SpanType.RETRIEVAL,
    CallKind.RERANKER: SpanType.RERANKING,
    CallKind.EMBEDDING: SpanType.EMBEDDING,
    CallKind.TOOL: SpanType.TOOL,
    CallKind.AGENT: SpanType.AGENT,
    CallKind.GRAPH_NODE: SpanType.GRAPH_NODE,
    CallKind.WORKFLOW_STEP: SpanType.WORKFLOW_STEP,
}


def span_type_of(kind: CallKind) -> SpanType:
    """The TruLens span type of a call of ``kind`` (``UNKNOWN`` when none fits)."""
    return _BY_KIND.get(kind, SpanType.UNKNOWN)


def _scoped(*parts: str) -> str:
    return ".".join((BASE_SCOPE, *parts))


class ResourceAttributes:
    """Attributes of the resource (the app) every span of a record carries."""

    APP_ID = _scoped("app_id")
    APP_NAME = _scoped("app_name")
    APP_VERSION = _scoped("app_version")


class SpanAttributes:
    """TruLens's span attribute names, grouped as TruLens groups them."""

    BASE = BASE_SCOPE + "."
    SPAN_TYPE = _scoped("span_type")
    RECORD_ID = _scoped("record_id")
    APP_ID = _scoped("app_id")
    APP_NAME = _scoped("app_name")
    APP_VERSION = _scoped("app_version")
    RUN_NAME = _scoped("run", "name")
    INPUT_ID = _scoped("input_id")
    SPAN_GROUPS = _scoped("span_groups")

    class RECORD_ROOT:
        base = _scoped("record_root")
        INPUT = _scoped("record_root", "input")
        OUTPUT = _scoped("record_root", "output")
        ERROR = _scoped("record_root", "error")
        GROUND_TRUTH_OUTPUT = _scoped("record_root", "ground_truth_output")

    class EVAL_ROOT:
        base = _scoped("eval_root")
        METRIC_NAME = _scoped("eval_root", "metric_name")
        SPAN_GROUP = _scoped("eval_root", "span_group")
        ARGS_SPAN_ID = _scoped("eval_root", "args_span_id")
        ARGS_SPAN_ATTRIBUTE = _scoped("eval_root", "args_span_attribute")
        ERROR = _scoped("eval_root", "error")
        SCORE = _scoped("eval_root", "score")
        HIGHER_IS_BETTER = _scoped("eval_root", "higher_is_better")
        EXPLANATION = _scoped("eval_root", "explanation")
        METADATA = _scoped("eval_root", "metadata")

    class EVAL:
        base = _scoped("eval")
        TARGET_RECORD_ID = _scoped("eval", "target_record_id")
        EVAL_ROOT_ID = _scoped("eval", "eval_root_id")
        METRIC_NAME = _scoped("eval", "metric_name")
        CRITERIA = _scoped("eval", "criteria")
        EXPLANATION = _scoped("eval", "explanation")
        METADATA = _scoped("eval", "metadata")
        SCORE = _scoped("eval", "score")
        ERROR = _scoped("eval", "error")

    class COST:
        base = _scoped("cost")
        COST = _scoped("cost", "cost")
        CURRENCY = _scoped("cost", "cost_currency")
        MODEL = _scoped("cost", "model")
        NUM_TOKENS = _scoped("cost", "num_tokens")
        NUM_PROMPT_TOKENS = _scoped("cost", "num_prompt_tokens")
        NUM_COMPLETION_TOKENS = _scoped("cost", "num_completion_tokens")

    class CALL:
        base = _scoped("call")
        FUNCTION = _scoped("call", "function")
        KWARGS = _scoped("call", "kwargs")
        RETURN = _scoped("call", "return")
        ERROR = _scoped("call", "error")

    class RETRIEVAL:
        base = _scoped("retrieval")
        QUERY_TEXT = _scoped("retrieval", "query_text")
        NUM_CONTEXTS = _scoped("retrieval", "num_contexts")
        RETRIEVED_CONTEXTS = _scoped("retrieval", "retrieved_contexts")

    class GENERATION:
        base = _scoped("generation")
