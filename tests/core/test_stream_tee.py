"""StreamTee: an adapter keeps a call open while an object it returned streams.

The adapter answers ``spyglass_stream_wrapper`` with a ``wrap`` that puts
``StreamTee(finish, value).proxy(stream)`` in place of the object's stream: the core's
own proxy, so items pass unchanged, calls made while the stream is read nest under the
call, and the call ends once, with ``value(items)``, however the stream ends.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterator
from typing import Any

from _engine_fixtures import LLM, engine_plugin, make_recorder

from spyglass.core import InstrumentSpec, StreamTee, hookimpl


class Carrier:
    """Carries a stream in an attribute (as LlamaIndex's StreamingResponse does)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream


class Bot:
    """Returns carriers whose streams call the LLM lazily, on first read."""

    def __init__(self) -> None:
        self.llm = LLM()

    def ask(self, words: str) -> Carrier:
        def lazily() -> Iterator[str]:
            yield from self.llm.stream(words)

        return Carrier(lazily())

    def ask_async(self, words: str) -> Carrier:
        async def lazily() -> AsyncIterator[str]:
            async for word in self.llm.astream(words):
                yield word

        return Carrier(lazily())


class CarrierAdapter:
    @hookimpl
    def spyglass_stream_wrapper(self, ret_type: type) -> Any:
        if ret_type is not Carrier:
            return None

        def wrap(ret: Carrier, finish: Any) -> Carrier:
            tee = StreamTee(finish, lambda items: " ".join(items).upper())
            ret.stream = tee.proxy(ret.stream)
            return ret

        return wrap


SPECS = [InstrumentSpec(Bot, ("ask", "ask_async")), InstrumentSpec(LLM, ("stream", "astream"))]


def _paths(record: Any) -> list[str]:
    return [" > ".join(str(frame) for frame in call.stack) for call in record.calls]


def test_a_tee_keeps_the_call_open_and_nests_lazy_calls() -> None:
    """The call ends when the stream does, with value(items); the LLM call the stream
    makes on first read is recorded inside it."""
    with engine_plugin(SPECS), engine_plugin([], CarrierAdapter()):
        recorder = make_recorder(Bot())
        with recorder as recording:
            carrier = recorder.app.ask("a b c")
            assert [] == recording.records  # open until read
            assert ["a", "b", "c"] == list(carrier.stream)
        record = recording.get()
    assert ["app.ask > app.llm.stream", "app.ask"] == _paths(record)
    assert "A B C" == record.calls[-1].rets
    assert record.calls[-1].error is None


def test_an_async_stream_is_teed_the_same_way() -> None:
    """An async stream gets the async proxy: same nesting, same end."""

    async def read(carrier: Carrier) -> list[str]:
        return [word async for word in carrier.stream]

    with engine_plugin(SPECS), engine_plugin([], CarrierAdapter()):
        recorder = make_recorder(Bot())
        with recorder as recording:
            words = asyncio.run(read(recorder.app.ask_async("x y")))
        record = recording.get()
    assert ["x", "y"] == words
    assert ["app.ask_async > app.llm.astream", "app.ask_async"] == _paths(record)
    assert "X Y" == record.calls[-1].rets


def test_a_stream_closed_early_or_never_read_still_ends_its_call() -> None:
    """Closed after one item: the call ends with what was streamed and says so; a
    carrier dropped unread ends its call when collected."""
    with engine_plugin(SPECS), engine_plugin([], CarrierAdapter()):
        recorder = make_recorder(Bot())
        with recorder as recording:
            stream = recorder.app.ask("a b c").stream
            assert "a" == next(stream)
            stream.close()
            recorder.app.ask("never read")
            gc.collect()
        closed, dropped = recording.records
    assert "A" == closed.calls[-1].rets
    assert "the stream was closed early, after 1 item" == closed.calls[-1].error
    assert "" == dropped.calls[-1].rets
    assert "garbage-collected" in str(dropped.calls[-1].error)


def test_a_value_that_fails_falls_back_to_the_items() -> None:
    """A `value` that raises leaves the call's return value as the list of items."""
    finished: list[tuple[Any, ...]] = []
    tee = StreamTee(lambda *args: finished.append(args), lambda items: 1 / 0)
    assert [1, 2] == list(tee.proxy([1, 2]))
    tee.end()  # a second end is ignored
    assert [([1, 2], None, None)] == finished
