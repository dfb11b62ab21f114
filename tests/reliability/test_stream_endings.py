"""Any stream ended in any way gives one whole record and no error logs: async and sync
generators exhausted, closed early, abandoned mid-iteration (LangChain's `astream` style),
failing; and recording blocks left out of order."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from _engine_fixtures import RAG, RAG_SPECS, engine_plugin, make_recorder

pytest.importorskip("langchain_core")
from langchain_core.language_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from spyglass.adapters.langchain import TruChain


def _spyglass_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Warnings and errors spyglass logged (asyncio's debug mode warns of slow steps)."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and not r.getMessage().startswith("Executing <Task")
    ]


def _run(coro: Any) -> list[dict[str, Any]]:
    """Run ``coro`` in debug mode; return what reached the loop's exception handler."""
    reported: list[dict[str, Any]] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: reported.append(ctx))
        await coro
        gc.collect()
        for _ in range(10):
            await asyncio.sleep(0)

    asyncio.run(main(), debug=True)
    return reported


async def _abandon(stream: AsyncIterator[Any]) -> None:
    async for _ in stream:
        break  # the stream is left to the garbage collector


async def _aclose(stream: Any) -> None:
    await stream.__anext__()
    await stream.aclose()


async def _exhaust(stream: AsyncIterator[Any]) -> None:
    async for _ in stream:
        pass


def _chain() -> tuple[Any, TruChain]:
    chain = (
        ChatPromptTemplate.from_template("q {x}")
        | FakeListChatModel(responses=["hello there world again"])
        | StrOutputParser()
    )
    return chain, TruChain(chain, app_name="streams")


@pytest.mark.parametrize("ending", [_exhaust, _abandon, _aclose])
def test_langchain_astream_ended_any_way_gives_one_record_and_no_errors(
    ending: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """`chain.astream` exhausted, abandoned after one chunk, or aclose()d: one record."""
    chain, recorder = _chain()
    with caplog.at_level(logging.WARNING), recorder as recording:
        reported = _run(ending(chain.astream({"x": 1})))
    assert reported == []
    assert _spyglass_warnings(caplog) == []
    record = recording.get()
    assert record.main_output in ("h", "hello there world again")
    assert all(call.perf is not None for call in record.calls)


@pytest.mark.parametrize("early", [False, True])
def test_langchain_sync_stream_ended_early_or_not_gives_one_record(
    early: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """`chain.stream` read to the end, or left after one chunk: one record, no warnings."""
    chain, recorder = _chain()
    with caplog.at_level(logging.WARNING), recorder as recording:
        for _ in chain.stream({"x": 1}):
            if early:
                break
        gc.collect()
    assert _spyglass_warnings(caplog) == []
    assert recording.get().main_output == ("h" if early else "hello there world again")


class Racing:
    """The proxy's source closes itself while the proxy is being closed."""

    async def stream(self) -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            await asyncio.sleep(0)


def test_engine_async_streams_closed_or_abandoned_give_one_record_each() -> None:
    """Our own tiny RAG's async stream: aclose() and abandonment each end one record."""
    with engine_plugin(RAG_SPECS):
        recorder = make_recorder()
        with recorder as recording:
            reported = _run(_aclose(recorder.app.arespond_stream("a b c")))
            reported += _run(_abandon(recorder.app.arespond_stream("a b c")))
        assert reported == []
        records = recording.records
    assert len(records) == 2
    assert all("closed early" in (r.calls[-1].error or "") or r.calls for r in records)


def test_blocks_left_out_of_order_never_hand_records_to_a_closed_block() -> None:
    """Outer block left first: the inner keeps recording, the outer gets nothing more."""
    with engine_plugin(RAG_SPECS):
        app = RAG()
        outer, inner = make_recorder(app), make_recorder(app)  # two recorders, one app
        stack = contextlib.ExitStack()
        outer_rec = stack.enter_context(outer)
        with inner as inner_rec:
            outer.app.respond("both")
            outer.__exit__(None, None, None)  # left out of order
            outer.app.respond("inner only")
        outer.app.respond("neither")
        assert [r.main_input for r in outer_rec.records] == ["both"]
        assert [r.main_input for r in inner_rec.records] == ["both", "inner only"]


@pytest.mark.parametrize("ending", ["exhaust", "close", "abandon", "throw"])
def test_engine_sync_streams_ended_any_way_give_one_record(
    ending: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A sync generator read to the end, closed, dropped or failed: one record each."""
    with engine_plugin(RAG_SPECS):
        recorder = make_recorder()
        with caplog.at_level(logging.WARNING), recorder as recording:
            stream = recorder.app.respond_stream("a b c")
            first = next(stream)
            if ending == "exhaust":
                rest = list(stream)
                assert [first, *rest][:3] == ["a", "b", "c"]
            elif ending == "close":
                stream.close()
            elif ending == "throw":
                with pytest.raises(KeyError):
                    stream.throw(KeyError("reader gave up"))
            del stream
            gc.collect()
        assert _spyglass_warnings(caplog) == []
        record = recording.get()
    root = record.calls[-1]
    assert root.rets[0] == "a"
    if ending in ("close", "abandon"):
        assert "after 1 item" in (root.error or "")
    elif ending == "throw":
        assert "reader gave up" in (root.error or "")
