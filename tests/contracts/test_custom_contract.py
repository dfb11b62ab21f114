"""The contract suite on the custom adapter: a small RAG made of `@instrument`-ed classes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

from spyglass.adapters.custom import TruApp, instrument
from spyglass.testing import AdapterContract

DOCS = ["Paris is the capital of France.", "Berlin is the capital of Germany."]


def words(text: str) -> set[str]:
    return {w.strip("?.").lower() for w in text.split()}


class Retriever:
    @instrument(retriever=True)
    def retrieve(self, query: str) -> list[str]:
        return sorted(DOCS, key=lambda doc: -len(words(query) & words(doc)))[:1]


class Writer:
    @instrument
    def write(self, question: str, context: list[str]) -> str:
        if "explode" in question:
            raise RuntimeError("the writer exploded")
        return f"{context[0]} (asked: {question})"


class RAG:
    def __init__(self) -> None:
        self.retriever = Retriever()
        self.writer = Writer()

    @instrument
    def respond(self, question: str) -> str:
        return self.writer.write(question, self.retriever.retrieve(question))

    @instrument
    async def arespond(self, question: str) -> str:
        await asyncio.sleep(0)
        return self.respond(question)

    @instrument
    def stream(self, question: str) -> Iterator[str]:
        context = self.retriever.retrieve(question)
        for word in context[0].split(" "):
            yield word + " "
            if "explode" in question:
                self.writer.write(question, context)

    @instrument
    async def astream(self, question: str) -> AsyncIterator[str]:
        for word in self.respond(question).split(" "):
            await asyncio.sleep(0)
            yield word + " "


class TestCustomAdapter(AdapterContract):
    example_inputs = ("What is the capital of France?", "What is the capital of Germany?")
    recorder_class = TruApp
    instrumented_methods = (
        (RAG, "respond"),
        (RAG, "arespond"),
        (RAG, "stream"),
        (RAG, "astream"),
        (Retriever, "retrieve"),
        (Writer, "write"),
    )

    def make_app(self) -> Any:
        return RAG()

    def call(self, app: Any, input: Any) -> Any:
        return app.respond(input)

    def acall(self, app: Any, input: Any) -> Any:
        return app.arespond(input)

    def stream(self, app: Any, input: Any) -> Any:
        return app.stream(input)

    def astream(self, app: Any, input: Any) -> Any:
        return app.astream(input)

    def failing_input(self) -> Any:
        return "Please explode."

    def failing_stream_input(self) -> Any:
        return "Paris, then explode"
