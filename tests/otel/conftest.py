"""Fixtures for the spyglass.otel tests: an in-memory exporter, span trees, the RAG apps."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from spyglass.core import sinks
from spyglass.otel import OTLPSink

# The adapters' offline RAG apps (FakeListChatModel, MockLLM, ...) are shared with their tests.
_ADAPTER_TESTS = Path(__file__).resolve().parents[1] / "adapters"
for _folder in ("langchain", "llamaindex"):
    if str(_ADAPTER_TESTS / _folder) not in sys.path:
        sys.path.append(str(_ADAPTER_TESTS / _folder))


@pytest.fixture
def memory() -> InMemorySpanExporter:
    """The SDK's in-memory exporter."""
    return InMemorySpanExporter()


@pytest.fixture
def sink(memory: InMemorySpanExporter) -> Iterator[OTLPSink]:
    """An OTLPSink writing to `memory`; shut down after the test."""
    out = OTLPSink(exporter=memory)
    yield out
    out.shutdown()


def finished(sink: OTLPSink, memory: InMemorySpanExporter) -> list[Any]:
    """Every span exported so far, after delivering what the recorders queued."""
    assert sinks.flush(timeout=30)
    assert sink.flush(timeout=30)
    return list(memory.get_finished_spans())


def tree(spans: list[Any]) -> list[str]:
    """The spans as indented lines ``name [openinference kind]``, children in start order."""
    by_parent: dict[int | None, list[Any]] = {}
    ids = {s.context.span_id for s in spans}
    for s in spans:
        parent = s.parent.span_id if s.parent is not None and s.parent.span_id in ids else None
        by_parent.setdefault(parent, []).append(s)
    lines: list[str] = []

    def visit(span: Any, depth: int) -> None:
        lines.append(
            "  " * depth + f"{span.name} [{span.attributes.get('openinference.span.kind')}]"
        )
        for child in sorted(
            by_parent.get(span.context.span_id, []),
            key=lambda s: (s.start_time, s.attributes.get("spyglass.call.path", "")),
        ):
            visit(child, depth + 1)

    for root in sorted(by_parent.get(None, []), key=lambda s: s.start_time):
        visit(root, 0)
    return lines


def by_path(spans: list[Any], path: str, method: str | None = None) -> list[Any]:
    """The call spans of the component at ``path`` (and ``method``), in start order."""
    return sorted(
        (
            s
            for s in spans
            if s.attributes.get("spyglass.call.path") == path
            and (method is None or s.attributes.get("spyglass.call.method") == method)
        ),
        key=lambda s: s.start_time,
    )


def ns(moment: Any) -> int:
    """A recorded datetime as epoch nanoseconds (what the span times must equal)."""
    return int(moment.replace(microsecond=0).timestamp()) * 10**9 + moment.microsecond * 1000


def assert_matches_record(record: Any, spans: list[Any]) -> None:
    """Each recorded call is one span with its id, path and exact start and end times."""
    calls = [s for s in spans if s.attributes.get("spyglass.span") == "call"]
    assert len(record.calls) == len(calls)
    for call in record.calls:
        (span,) = [s for s in calls if s.attributes["spyglass.call.id"] == call.call_id]
        assert (ns(call.perf.start_time), ns(call.perf.end_time)) == (
            span.start_time,
            span.end_time,
        )
        assert str(call.stack[-1].path) == span.attributes["spyglass.call.path"]
        assert call.stack[-1].method.name == span.attributes["spyglass.call.method"]
