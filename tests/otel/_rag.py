"""A custom RAG app marked with TruLens's OTEL-mode ``@instrument`` arguments."""

from __future__ import annotations

import time
from collections.abc import Iterator

from spyglass.adapters.custom import instrument
from spyglass.otel.semconv.trace import SpanAttributes, SpanType

DOCS = ["Paris is the capital of France.", "Berlin is the capital of Germany."]


class Retriever:
    def __init__(self, docs: list[str]) -> None:
        self.docs = docs

    @instrument(
        span_type=SpanType.RETRIEVAL,
        attributes=lambda ret, exception, *args, **kwargs: {
            SpanAttributes.RETRIEVAL.QUERY_TEXT: kwargs["query"],
            "custom.hits": len(ret),
        },
    )
    def retrieve(self, query: str) -> list[str]:
        words = set(query.lower().strip("?").split())
        return [d for d in self.docs if words & set(d.lower().strip(".").split())]


class Generator:
    @instrument(span_type=SpanType.GENERATION, attributes={"custom.prompt": "prompt"})
    def generate(self, prompt: str) -> str:
        if "fail" in prompt:
            raise ValueError("the model refused")
        return "Paris."

    @instrument(span_type=SpanType.GENERATION)
    def stream(self, prompt: str, pause: float = 0.02) -> Iterator[str]:
        for word in ["Par", "is", "."]:
            time.sleep(pause)
            yield word


class RAG:
    def __init__(self) -> None:
        self.retriever = Retriever(DOCS)
        self.generator = Generator()

    @instrument
    def query(self, question: str) -> str:
        context = self.retriever.retrieve(question)
        return self.generator.generate(f"{context} {question}")

    @instrument
    def query_stream(self, question: str) -> Iterator[str]:
        self.retriever.retrieve(question)
        yield from self.generator.stream(question)
