"""A deliberately broken adapter, with the contract suite's test class for it.

``test_contract_catches_a_broken_adapter.py`` copies this file into a scratch folder
as ``test_broken_echo.py`` and runs pytest on it in a subprocess (so that its
patches and plugin never touch the main test session), then asserts that the suite
fails it, saying why. It is not collected from here (its name does not start with
``test_``).

The "framework" is `Echo`, which shouts back what it is told through a `Shouter`. The
adapter makes the mistakes an adapter author can make:

1. ``spyglass_main_input`` reads an argument by the wrong name, so it raises;
2. ``spyglass_main_output`` returns the wrong value (the output reversed), and gives
   ``streamed`` a default, so pluggy never passes it;
3. its recorder patches ``Shouter.shout`` itself, outside spyglass's wrap table: the
   patch changes what the app returns and ``uninstrument()`` cannot undo it;
4. its ``spyglass_stream_wrapper`` drops the last chunk, and ends the call only when
   the stream is exhausted (never when it is closed early or fails);
5. its instrument specs forget ``Echo.areply``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from spyglass.core import (
    AdapterInfo,
    App,
    InstrumentSpec,
    hookimpl,
    register_plugin,
    unregister_plugin,
)
from spyglass.testing import AdapterContract

# ---------------------------------------------------------------- the framework


class Shouter:
    """Shouts text back."""

    def shout(self, text: str) -> str:
        if not text:
            raise ValueError("nothing to shout")
        return text.upper()


class EchoStream:
    """What `Echo.stream` returns: an object that carries a stream, in ``chunks``."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self.chunks = chunks


class Echo:
    """The app: replies by shouting, sync, async or word by word."""

    def __init__(self) -> None:
        self.shouter = Shouter()

    def reply(self, text: str) -> str:
        return self.shouter.shout(text)

    async def areply(self, text: str) -> str:
        await asyncio.sleep(0)
        return self.shouter.shout(text)

    def stream(self, text: str) -> EchoStream:
        def chunks() -> Iterator[str]:
            for word in text.split(" "):
                if word == "boom":
                    raise ConnectionError("the echo was cut off")
                yield self.shouter.shout(word) + " "

        return EchoStream(chunks())


# ---------------------------------------------------------------- the broken adapter


class EchoRecorder(App):
    """The adapter's recorder. BUG 3: patches `Shouter.shout` itself, and never undoes it."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        original = vars(Shouter)["shout"]

        @functools.wraps(original)
        def shout(self: Shouter, text: str) -> str:
            return str(original.__get__(self, Shouter)(text)) + "!"

        Shouter.shout = shout  # type: ignore[method-assign]
        super().__init__(app, **kwargs)

    def _default_main_method(self) -> Callable[..., Any]:
        return self.app.reply  # type: ignore[no-any-return]


_MISSING = object()


def _drop_last_chunk(ret: EchoStream, finish: Callable[..., None]) -> EchoStream:
    """BUG 4: hands the app every chunk but the last; ends the call only when exhausted."""
    inner = ret.chunks

    def chunks() -> Iterator[str]:
        kept: list[str] = []
        pending: Any = _MISSING
        for chunk in inner:
            if pending is not _MISSING:
                kept.append(pending)
                yield pending
            pending = chunk
        finish(kept)

    ret.chunks = chunks()
    return ret


class BrokenEchoAdapter:
    """The adapter's hookimpls."""

    @hookimpl
    def spyglass_adapter_info(self) -> AdapterInfo:
        return AdapterInfo(name="brokenecho", description="a deliberately broken adapter")

    @hookimpl
    def spyglass_instrument_specs(self) -> list[InstrumentSpec]:
        return [
            InstrumentSpec(Echo, ("reply", "stream"), kind="custom"),  # BUG 5: no "areply"
            InstrumentSpec(Shouter, ("shout",), kind="llm"),
        ]

    @hookimpl
    def spyglass_recorder_class(self, app: Any) -> type | None:
        return EchoRecorder if isinstance(app, Echo) else None

    @hookimpl
    def spyglass_main_input(self, app: Any, bindings: Any) -> Any:
        if isinstance(app, Echo):
            return bindings.arguments["question"]  # BUG 1: the parameter is `text`
        return None

    @hookimpl
    def spyglass_main_output(self, app: Any, ret: Any, streamed: bool = False) -> Any:
        # BUG 2: the output reversed; and `streamed` has a default, so it is never passed.
        if isinstance(app, Echo) and isinstance(ret, str) and not streamed:
            return ret[::-1]
        return None

    @hookimpl
    def spyglass_stream_wrapper(self, ret_type: type) -> Any:
        return _drop_last_chunk if issubclass(ret_type, EchoStream) else None


@pytest.fixture(scope="module", autouse=True)
def _broken_echo_registered() -> Iterator[None]:
    name = register_plugin(BrokenEchoAdapter(), name="brokenecho")
    yield
    unregister_plugin(name)


# ---------------------------------------------------------------- the contract run


class TestBrokenEcho(AdapterContract):
    example_inputs = ("hello there", "good morning")
    instrumented_methods = (
        (Echo, "reply"),
        (Echo, "areply"),
        (Echo, "stream"),
        (Shouter, "shout"),
    )
    adapter_name = "brokenecho"

    def make_app(self) -> Any:
        return Echo()

    def call(self, app: Any, input: Any) -> Any:
        return app.reply(input)

    def acall(self, app: Any, input: Any) -> Any:
        return app.areply(input)

    def stream(self, app: Any, input: Any) -> Any:
        return app.stream(input).chunks

    def failing_input(self) -> Any:
        return ""

    def failing_stream_input(self) -> Any:
        return "one boom three"
