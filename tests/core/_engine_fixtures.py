"""A tiny local adapter and app for the engine tests (instrument, recording, app).

``engine_plugin(specs)`` registers a plugin that answers ``spyglass_instrument_specs``
with ``specs`` (plus optional extra hookimpls) for the duration of a ``with`` block,
then unregisters it and un-wraps every method of the test classes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Any

from spyglass.core.instrument import _wrap as instrument
from spyglass.core.plugins import _manager as plugins
from spyglass.core.plugins._specs import InstrumentSpec
from spyglass.core.plugins.hookspecs import hookimpl
from spyglass.core.recording._app import App

_names = itertools.count()


class SpecPlugin:
    """A test adapter: instrument specs, and any other hooks given as functions."""

    def __init__(self, specs: list[InstrumentSpec]) -> None:
        self.specs = specs

    @hookimpl
    def spyglass_instrument_specs(self) -> list[InstrumentSpec]:
        return self.specs


@contextlib.contextmanager
def engine_plugin(specs: list[InstrumentSpec], plugin: Any = None) -> Iterator[Any]:
    """Register ``plugin`` (default: a :class:`SpecPlugin` of ``specs``) for a block."""
    plugin = plugin if plugin is not None else SpecPlugin(specs)
    name = plugins.register_plugin(plugin, name=f"engine-test-{next(_names)}")
    try:
        yield plugin
    finally:
        plugins.unregister_plugin(name)
        classes = {s.class_path for s in specs if isinstance(s.class_path, type)}
        for entry in instrument.wrapped_methods():
            if entry.cls.__module__.rpartition(".")[2].startswith(("test_", "_engine")) or any(
                issubclass(entry.cls, c) for c in classes
            ):
                instrument.unwrap(entry.cls, entry.name)


# ---------------------------------------------------------------- a tiny app


class Retriever:
    """Returns fake documents."""

    def __init__(self, n: int = 2) -> None:
        self.n = n

    def retrieve(self, query: str, k: int = 2) -> list[str]:
        return [f"{query}-doc{i}" for i in range(k)]

    async def aretrieve(self, query: str) -> list[str]:
        await asyncio.sleep(0)
        return [f"{query}-adoc"]


class LLM:
    """Echoes prompts; streams words."""

    def generate(self, prompt: str) -> str:
        return f"answer({prompt})"

    def stream(self, prompt: str) -> Iterator[str]:
        yield from prompt.split()

    async def astream(self, prompt: str) -> AsyncIterator[str]:
        for word in prompt.split():
            await asyncio.sleep(0)
            yield word


class Helper:
    """Created per call (the walk never sees it)."""

    def help(self, x: str) -> str:
        return x.upper()


class RAG:
    """Retriever + LLM, sync, async and streaming entry points."""

    def __init__(self) -> None:
        self.retriever = Retriever()
        self.llm = LLM()

    def respond(self, question: str) -> str:
        docs = self.retriever.retrieve(question)
        return self.llm.generate(question + " " + " ".join(docs))

    async def arespond(self, question: str) -> str:
        docs = await self.retriever.aretrieve(question)
        return self.llm.generate(question + " " + " ".join(docs))

    def respond_stream(self, question: str) -> Iterator[str]:
        docs = self.retriever.retrieve(question)
        yield from self.llm.stream(question + " " + " ".join(docs))

    async def arespond_stream(self, question: str) -> AsyncIterator[str]:
        docs = await self.retriever.aretrieve(question)
        async for word in self.llm.astream(question + " " + " ".join(docs)):
            yield word

    def fail(self, message: str) -> str:
        self.retriever.retrieve(message)
        raise ValueError(message)

    def with_helper(self, x: str) -> str:
        return Helper().help(x)


RAG_SPECS = [
    InstrumentSpec(
        RAG,
        ("respond", "arespond", "respond_stream", "arespond_stream", "fail", "with_helper"),
        kind="custom",
    ),
    InstrumentSpec(Retriever, ("retrieve", "aretrieve"), kind="retriever"),
    InstrumentSpec(LLM, ("generate", "stream", "astream"), kind="llm", reports_cost=True),
    InstrumentSpec(Helper, ("help",), kind="tool", eager=True),
]


def make_recorder(app: Any = None, **kwargs: Any) -> App:
    """An ``App`` over ``app`` (default: a fresh ``RAG``), no selector check."""
    kwargs.setdefault("selector_nocheck", True)
    return App(app if app is not None else RAG(), **kwargs)


def call_paths(record: Any) -> list[str]:
    """``"path.method"`` of the top frame of each call, in record order."""
    return [str(call.stack[-1]) for call in record.calls]
