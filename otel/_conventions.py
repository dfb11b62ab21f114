"""Attribute names spyglass writes and reads, and how a call's kind maps to each convention.

One vocabulary for the whole package (no hand-spelled keys elsewhere):

- OpenInference (read by Arize Phoenix and others): ``openinference.span.kind`` and
  ``input.value`` / ``output.value`` with their mime types, ``llm.*``,
  ``retrieval.documents.N.document.*``, ``session.id``, ``user.id``.
- OpenTelemetry's GenAI semantic conventions: ``gen_ai.operation.name``,
  ``gen_ai.provider.name``, ``gen_ai.request.model``, ``gen_ai.usage.*``, and the
  ``gen_ai.evaluation.result`` event.
- spyglass's own (``spyglass.*``): what is needed to read a record back exactly.
"""

from __future__ import annotations

from spyglass.core import CallKind

# ------------------------------------------------------------------ OpenInference
OI_KIND = "openinference.span.kind"
INPUT_VALUE = "input.value"
INPUT_MIME = "input.mime_type"
OUTPUT_VALUE = "output.value"
OUTPUT_MIME = "output.mime_type"
JSON_MIME = "application/json"
TEXT_MIME = "text/plain"
LLM_MODEL = "llm.model_name"
LLM_PROMPT_TOKENS = "llm.token_count.prompt"
LLM_COMPLETION_TOKENS = "llm.token_count.completion"
LLM_TOTAL_TOKENS = "llm.token_count.total"
RETRIEVAL_DOCUMENTS = "retrieval.documents"  # .N.document.content|id|score
SESSION_ID = "session.id"
USER_ID = "user.id"
TOOL_NAME = "tool.name"
PROJECT_NAME = "openinference.project.name"  # resource: Phoenix files the trace under it

# ------------------------------------------------------------------ GenAI
GEN_AI_OPERATION = "gen_ai.operation.name"
GEN_AI_PROVIDER = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
GEN_AI_AGENT_NAME = "gen_ai.agent.name"
EVALUATION_EVENT = "gen_ai.evaluation.result"
EVALUATION_NAME = "gen_ai.evaluation.name"
EVALUATION_SCORE = "gen_ai.evaluation.score.value"
EVALUATION_LABEL = "gen_ai.evaluation.score.label"
EVALUATION_EXPLANATION = "gen_ai.evaluation.explanation"

# ------------------------------------------------------------------ spyglass
APP_ID = "spyglass.app.id"
APP_NAME = "spyglass.app.name"
APP_VERSION = "spyglass.app.version"
RECORD_ID = "spyglass.record.id"
CALL_ID = "spyglass.call.id"
CALL_PATH = "spyglass.call.path"
CALL_METHOD = "spyglass.call.method"
CALL_CLASS = "spyglass.call.class"
CALL_KIND = "spyglass.call.kind"
CALL_ARG = "spyglass.call.arg"  # the one parameter whose value input.value holds
META_KINDS = "call_kinds"  # key of Record.meta where to_record keeps each call's kind
META_TRACE = "trace_id"  # key of Record.meta where to_record keeps the trace id
SPAN_ROLE = "spyglass.span"  # "record" (the app call), "call", "feedback"
FEEDBACK_STATUS = "spyglass.feedback.status"
FEEDBACK_RESULT_ID = "spyglass.feedback.result_id"
SERVICE_NAME = "service.name"
SERVICE_VERSION = "service.version"
TRUNCATED_MARKER = "...[spyglass: truncated {n} characters]"

# ------------------------------------------------------------------ kinds

# CallKind -> (OpenInference span kind, GenAI operation or None)
_BY_KIND: dict[CallKind, tuple[str, str | None]] = {
    CallKind.LLM: ("LLM", "text_completion"),
    CallKind.CHAT_MODEL: ("LLM", "chat"),
    CallKind.RETRIEVER: ("RETRIEVER", "retrieval"),
    CallKind.VECTOR_STORE: ("RETRIEVER", "retrieval"),
    CallKind.EMBEDDING: ("EMBEDDING", "embeddings"),
    CallKind.RERANKER: ("RERANKER", None),
    CallKind.TOOL: ("TOOL", "execute_tool"),
    CallKind.AGENT: ("AGENT", "invoke_agent"),
    CallKind.WORKFLOW: ("CHAIN", "invoke_workflow"),
    CallKind.GRAPH: ("CHAIN", "invoke_workflow"),
}


def conventions_of(kind: CallKind) -> tuple[str, str | None]:
    """``(OpenInference span kind, GenAI operation name or None)`` for a call of ``kind``."""
    return _BY_KIND.get(kind, ("CHAIN", None))


# Reading foreign spans: OpenInference kind / GenAI operation -> CallKind
KIND_OF_OPENINFERENCE: dict[str, CallKind] = {
    "LLM": CallKind.LLM,
    "RETRIEVER": CallKind.RETRIEVER,
    "EMBEDDING": CallKind.EMBEDDING,
    "RERANKER": CallKind.RERANKER,
    "TOOL": CallKind.TOOL,
    "AGENT": CallKind.AGENT,
    "CHAIN": CallKind.CHAIN,
    "PROMPT": CallKind.PROMPT,
}
KIND_OF_OPERATION: dict[str, CallKind] = {
    "chat": CallKind.CHAT_MODEL,
    "text_completion": CallKind.LLM,
    "generate_content": CallKind.LLM,
    "embeddings": CallKind.EMBEDDING,
    "retrieval": CallKind.RETRIEVER,
    "execute_tool": CallKind.TOOL,
    "invoke_agent": CallKind.AGENT,
    "create_agent": CallKind.AGENT,
    "invoke_workflow": CallKind.WORKFLOW,
}

# Module prefixes of LLM client libraries -> gen_ai.provider.name
PROVIDERS: tuple[tuple[str, str], ...] = (
    ("langchain_openai", "openai"),
    ("openai", "openai"),
    ("llama_index.llms.openai", "openai"),
    ("langchain_anthropic", "anthropic"),
    ("anthropic", "anthropic"),
    ("llama_index.llms.anthropic", "anthropic"),
    ("langchain_google_vertexai", "gcp.vertex_ai"),
    ("langchain_google_genai", "gcp.gemini"),
    ("langchain_aws", "aws.bedrock"),
    ("langchain_mistralai", "mistral_ai"),
    ("langchain_cohere", "cohere"),
    ("langchain_groq", "groq"),
    ("langchain_ollama", "ollama"),
)
