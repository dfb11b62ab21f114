"""What to use instead of a TruLens name that a spyglass package does not have.

A TruLens user changes ``trulens.core`` to ``spyglass.core`` (and ``trulens.apps.*`` to
``spyglass.adapters.*``). A name the package lacks then fails with advice rather than
a bare "cannot import name": the lazy ``__getattr__`` of every package built with
:func:`spyglass.core._lazy.lazy_exports` asks :func:`advice` before giving up.

The tables are data. A name that a package *does* export is never looked up here (the
export wins), so a name another part of spyglass adds later simply stops being advised.
``HOMES`` names the spyglass module that provides a name: the advice says to import it
from there when that module is installed and lists the name; otherwise ``ADVICE`` says
what to use instead, or the error says where the name belongs.
"""

from __future__ import annotations

import dis
import importlib
import importlib.util
import sys
from types import FrameType

__all__ = ["ADVICE", "HOMES", "advice", "missing_name_error"]

# name -> the spyglass module that provides it (where a TruLens user might look elsewhere).
HOMES: dict[str, str] = {
    # recorders and their helpers
    "TruApp": "spyglass.adapters.custom",
    "TruCustomApp": "spyglass.adapters.custom",
    "TruBasicApp": "spyglass.adapters.custom",
    "TruWrapperApp": "spyglass.adapters.custom",
    "TruVirtual": "spyglass.adapters.custom",
    "VirtualApp": "spyglass.adapters.custom",
    "VirtualRecord": "spyglass.adapters.custom",
    "instrument": "spyglass.adapters.custom",
    "TruChain": "spyglass.adapters.langchain",
    "WithFeedbackFilterDocuments": "spyglass.adapters.langchain",
    "TruLlama": "spyglass.adapters.llamaindex",
    "WithFeedbackFilterNodes": "spyglass.adapters.llamaindex",
    # core names a user may look for in an adapter
    "Feedback": "spyglass.core",
    "Select": "spyglass.core",
    "Lens": "spyglass.core",
    "Record": "spyglass.core",
    "FeedbackMode": "spyglass.core",
    "context_filter": "spyglass.core.guardrails",
    "block_input": "spyglass.core.guardrails",
    "block_output": "spyglass.core.guardrails",
    # other parts of spyglass (installed with their branch of the project)
    "TruSession": "spyglass.core",
    "run_dashboard": "spyglass.dashboard",
    "stop_dashboard": "spyglass.dashboard",
    "get_feedback_result": "spyglass.dashboard.display",
    "SpanAttributes": "spyglass.otel.semconv.trace",
    "SpanType": "spyglass.otel.semconv.trace",
    "ResourceAttributes": "spyglass.otel.semconv.trace",
    "OpenAI": "spyglass.providers.openai",
    "AzureOpenAI": "spyglass.providers.openai",
    "Langchain": "spyglass.providers.langchain",
    "Provider": "spyglass.providers",
    "LLMProvider": "spyglass.providers",
    "GroundTruthAgreement": "spyglass.feedback",
    "GroundTruthAggregator": "spyglass.feedback",
    "Embeddings": "spyglass.feedback",
}

# name -> what to use instead, for TruLens names spyglass has no equivalent of by that name.
ADVICE: dict[str, str] = {
    "Tru": "TruLens 0.x's `Tru` is `TruSession` (from spyglass.core import TruSession)",
    "TruGraph": (
        "TruLens 2.x's `TruGraph` is not needed: `TruChain` records LangGraph compiled graphs "
        "(from spyglass.adapters.langchain import TruChain; nodes at app.nodes.<name>)"
    ),
    "TruRails": "NeMo Guardrails apps are not supported; record your own classes with TruApp",
    "RailsActionSelect": "NeMo Guardrails apps are not supported",
    "FeedbackActions": "NeMo Guardrails apps are not supported",
    "Metric": (
        "TruLens 2.x's `Metric` is `Feedback` here: Feedback(imp, name=...).on_input()"
        ".on_output() (from spyglass.core import Feedback)"
    ),
    "Selector": (
        "TruLens 2.x's OTEL `Selector` is a lens here: Select.RecordInput, Select.RecordOutput, "
        "Select.RecordCalls.<component>.<method>.rets (from spyglass.core import Select)"
    ),
    "SpanAttributes": (
        "spyglass records calls, not OpenTelemetry spans; spyglass.otel (when installed) "
        "exports records as spans with these attribute names"
    ),
    "SpanType": (
        "spyglass records calls, not OpenTelemetry spans; mark retrievers with "
        "@instrument(retriever=True) instead of span_type=RETRIEVAL"
    ),
    "RecordingContext": (
        "`with recorder as recording:` gives a `Recording` (from spyglass.core import Recording)"
    ),
    "Groundedness": (
        "TruLens 0.x's `Groundedness` class is a provider method now: "
        "provider.groundedness_measure_with_cot_reasons"
    ),
    "Huggingface": "Hugging Face judges are not provided; use an LLM judge (spyglass.providers)",
    "HuggingfaceLocal": "Hugging Face judges are not provided; use an LLM judge (spyglass.providers)",
    "LiteLLM": "use spyglass.providers.openai.OpenAI(base_url=<your LiteLLM proxy>)",
    "Bedrock": "use spyglass.providers.langchain.Langchain(chain=ChatBedrock(...))",
    "Cortex": "use spyglass.providers.langchain.Langchain(chain=<a Snowflake chat model>)",
    "run_dashboard_sis": "Snowflake's dashboard is not provided; use run_dashboard",
}


def _provides(module: str, name: str) -> bool:
    """Whether ``module`` is installed and lists ``name`` among its public names.

    Reads ``__all__`` so that a lazy package does not import what it would export.
    """
    try:
        if module not in sys.modules and importlib.util.find_spec(module) is None:
            return False
        found = importlib.import_module(module)
    except Exception:  # noqa: BLE001 - a broken optional part only changes the advice
        return False
    return name in getattr(found, "__all__", ())


def advice(package: str, name: str) -> str | None:
    """Why ``name`` is missing from ``package`` and what to use, or ``None`` if unknown.

    The name's spyglass home when that is installed and has it; else the advice for
    the TruLens name, if any; else where the name would belong.
    """
    home = HOMES.get(name)
    if home is not None and home != package and _provides(home, name):
        return f"{package} has no {name!r}; import it from {home}: from {home} import {name}"
    hint = ADVICE.get(name)
    if hint is not None:
        return f"{package} has no {name!r} (a TruLens name): {hint}"
    if home is None:
        return None
    if home == package:
        return f"{package} has no {name!r}: it is not part of this installation of spyglass"
    return f"{package} has no {name!r}; it belongs to {home}, which lacks it in this installation"


def _importing(frame: FrameType | None) -> bool:
    """Whether ``frame`` is executing ``from package import name`` (CPython bytecode)."""
    if frame is None:
        return False
    # An attribute lookup runs LOAD_ATTR or a call of getattr/hasattr instead.
    try:
        return frame.f_code.co_code[frame.f_lasti] == dis.opmap["IMPORT_FROM"]
    except (IndexError, AttributeError):
        return False


def missing_name_error(package: str, name: str, frame: FrameType | None) -> Exception:
    """The error for ``package.name`` missing: with advice when the name is known.

    ``from package import name`` gets an ``ImportError`` (Python would replace an
    ``AttributeError`` by a bare "cannot import name"); an attribute lookup gets an
    ``AttributeError``, so that ``hasattr`` and ``getattr(..., default)`` keep working.
    """
    message = advice(package, name)
    if message is None:
        return AttributeError(f"module {package!r} has no attribute {name!r}")
    if _importing(frame):
        return ImportError(message, name=package)
    return AttributeError(message)
