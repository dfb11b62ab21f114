"""Recording: one record per root call, right nesting everywhere, streams, errors, isolation."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from _engine_fixtures import (
    LLM,
    RAG,
    RAG_SPECS,
    Helper,
    Retriever,
    call_paths,
    engine_plugin,
    make_recorder,
)

from spyglass.core._log_once import LogOnce
from spyglass.core.executor import ContextThreadPoolExecutor
from spyglass.core.plugins._specs import InstrumentSpec
from spyglass.core.plugins.hookspecs import hookimpl
from spyglass.core.recording import _build as _record_build, _calls as recording
from spyglass.core.schema._measures import Cost


@pytest.fixture
def rag() -> Iterator[Any]:
    with engine_plugin(RAG_SPECS):
        yield make_recorder()


# ---------------------------------------------------------------- sync


def test_a_sync_root_gives_one_record_with_its_nested_calls(rag: Any) -> None:
    """The root and its nested calls are recorded with paths, args by name and rets."""
    with rag as recording:
        answer = rag.app.respond("q")
    record = recording.get()
    assert ["app.retriever.retrieve", "app.llm.generate", "app.respond"] == call_paths(record)
    retrieve, _generate, root = record.calls
    assert {"query": "q"} == retrieve.args
    assert ["q-doc0", "q-doc1"] == retrieve.rets
    assert ["app.respond", "app.retriever.retrieve"] == [str(f) for f in retrieve.stack]
    assert answer == root.rets
    assert "q" == record.main_input
    assert answer == record.main_output
    assert record.main_error is None
    assert rag.app_id == record.app_id


def test_each_root_call_gives_its_own_record(rag: Any) -> None:
    """Two top-level calls inside one block give two records."""
    with rag as recording:
        rag.app.respond("a")
        rag.app.respond("b")
    assert ["a", "b"] == [r.main_input for r in recording.records]
    assert 2 == len(recording)
    assert ["a", "b"] == [r.main_input for r in recording]
    assert "b" == recording[1].main_input


def test_nested_with_blocks_give_the_inner_call_to_both(rag: Any) -> None:
    """TruLens rule: len(r1.records) == 2 and len(r2.records) == 1."""
    with rag as r1:
        rag.app.respond("outer")
        with rag as r2:
            rag.app.respond("inner")
    assert (2, 1) == (len(r1.records), len(r2.records))
    assert "inner" == r2.get().main_input


def test_calls_outside_a_recording_are_not_recorded(rag: Any) -> None:
    """Without `with recorder`, instrumented methods record nothing."""
    rag.app.respond("x")
    with rag as recording:
        pass
    assert 0 == len(recording.records)


def test_a_call_on_an_object_outside_the_app_is_not_a_root(rag: Any) -> None:
    """A top-level call on an instance the walk did not reach belongs to no record."""
    with rag as recording:
        Retriever().retrieve("elsewhere")
    assert [] == recording.records


def test_a_per_call_object_is_recorded_under_its_caller(rag: Any) -> None:
    """An unreached instance's call sits at the caller's path plus its class name."""
    with rag as recording:
        assert "X" == rag.app.with_helper("x")
    assert ["app.Helper.help", "app.with_helper"] == call_paths(recording.get())


def test_record_metadata_becomes_meta(rag: Any) -> None:
    """recording.record_metadata is attached as the record's meta."""
    with rag as recording:
        recording.record_metadata = {"user": "u1"}
        rag.app.respond("q")
    assert {"user": "u1"} == recording.get().meta


def test_get_raises_with_no_record_or_several(rag: Any) -> None:
    """Recording.get() names the problem: none, or more than one."""
    with rag as recording:
        pass
    with pytest.raises(RuntimeError, match="did not record any records"):
        recording.get()
    with rag as recording:
        rag.app.respond("a")
        rag.app.respond("b")
    with pytest.raises(RuntimeError, match="more than 1 record"):
        recording.get()


def test_suspended_recording_records_nothing(rag: Any) -> None:
    """Calls inside recording_suspended() are not recorded."""
    with rag as recording, recording_suspended():
        rag.app.respond("q")
    assert [] == recording.records


def recording_suspended() -> Any:
    return recording.recording_suspended()


# ---------------------------------------------------------------- errors


def test_an_error_in_the_root_keeps_the_record_and_propagates_the_same_exception(rag: Any) -> None:
    """The record has main_error; the app sees its own exception object."""
    with rag as recording, pytest.raises(ValueError) as info:
        rag.app.fail("boom")
    record = recording.get()
    assert record.main_error is not None
    assert "boom" in str(record.main_error)
    assert record.main_output is None
    assert "boom" == record.calls[-1].error
    assert ["app.retriever.retrieve", "app.fail"] == call_paths(record)
    assert info.value.__traceback__ is not None


def test_the_same_exception_object_propagates() -> None:
    """`raise` inside the app and `except` outside see one object, with its traceback."""
    boom = LookupError("the one and only")

    class Failing(Retriever):
        def retrieve(self, query: str, k: int = 2) -> list[str]:
            raise boom

    app = RAG()
    app.retriever = Failing()
    specs = [*RAG_SPECS, InstrumentSpec(Failing, ("retrieve",), kind="retriever")]
    with engine_plugin(specs):
        recorder = make_recorder(app)
        with recorder as rec, pytest.raises(LookupError) as info:
            app.respond("q")
    assert info.value is boom
    assert "the one and only" == rec.get().calls[0].error
    assert "app.retriever.retrieve" == call_paths(rec.get())[0]


def test_an_error_inside_spyglass_leaves_the_app_result_unchanged(
    rag: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A failure while building the record is logged once; the app's result is unchanged."""

    def broken(root: Any) -> Any:
        raise RuntimeError("forced failure in spyglass")

    monkeypatch.setattr(_record_build, "build_records", broken)
    monkeypatch.setattr(_record_build, "_once", LogOnce(_record_build.logger))
    expected = RAG().respond("q")
    with caplog.at_level(logging.ERROR, logger="spyglass"), rag as rec:
        first = rag.app.respond("q")
        second = rag.app.respond("q")
    assert (expected, expected) == (first, second)
    assert [] == rec.records
    assert 1 == sum("building a record" in r.getMessage() for r in caplog.records)


def test_an_error_opening_a_call_leaves_the_app_result_unchanged(
    rag: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure on the hot path falls back to a plain call."""

    def broken(*args: Any) -> Any:
        raise RuntimeError("forced failure in spyglass")

    monkeypatch.setattr(recording, "_open", broken)
    monkeypatch.setattr(_record_build, "_once", LogOnce(_record_build.logger))
    with rag as rec:
        assert RAG().respond("q") == rag.app.respond("q")
    assert [] == rec.records


# ---------------------------------------------------------------- async


def test_an_async_root_ends_with_its_real_value(rag: Any) -> None:
    """An awaited root records its return value and its nested async calls."""

    async def main() -> str:
        async with rag as recording:
            answer = await rag.app.arespond("q")
        assert answer == recording.get().main_output
        return answer

    answer = asyncio.run(main())
    assert answer.startswith("answer(q")


def test_gather_of_100_roots_gives_100_records_each_with_its_own_calls(rag: Any) -> None:
    """Concurrent tasks never mix calls."""

    async def main() -> Any:
        async with rag as recording:
            await asyncio.gather(*(rag.app.arespond(f"q{i}") for i in range(100)))
        return recording

    rec = asyncio.run(main())
    assert 100 == len(rec.records)
    assert {f"q{i}" for i in range(100)} == {r.main_input for r in rec.records}
    for record in rec.records:
        question = record.main_input
        assert ["app.retriever.aretrieve", "app.llm.generate", "app.arespond"] == call_paths(record)
        assert {"query": question} == record.calls[0].args
        assert record.calls[1].args["prompt"].startswith(question + " ")
        root = record.calls[-1]
        assert root.perf.end_time >= record.calls[0].perf.end_time


# ---------------------------------------------------------------- threads


def test_16_threads_of_50_roots_never_mix(rag: Any) -> None:
    """Each thread's records hold exactly its own calls."""
    results: dict[int, Any] = {}

    def worker(n: int) -> None:
        with rag as rec:
            for j in range(50):
                rag.app.respond(f"t{n}-{j}")
        results[n] = rec

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(range(16)) == set(results)  # every worker finished its block
    for n, rec in results.items():
        assert [f"t{n}-{j}" for j in range(50)] == [r.main_input for r in rec.records]
        for record in rec.records:
            q = record.main_input
            assert 3 == len(record.calls)
            assert {"query": q} == record.calls[0].args
            assert 1 == len({c.tid for c in record.calls})


def test_a_context_copying_pool_carries_the_recording_to_threads(rag: Any) -> None:
    """Roots submitted to ContextThreadPoolExecutor are recorded, each on its own."""
    with rag as rec, ContextThreadPoolExecutor(16) as pool:
        answers = list(pool.map(rag.app.respond, [f"p{i}" for i in range(800)]))
    assert 800 == len(rec.records)
    by_input = {r.main_input: r for r in rec.records}
    for i, answer in enumerate(answers):
        record = by_input[f"p{i}"]
        assert answer == record.main_output
        assert {"query": f"p{i}"} == record.calls[0].args


def test_threads_inside_a_root_nest_under_it(rag: Any) -> None:
    """A call made in a pool thread started by a recorded call nests under that call."""

    class Fan(RAG):
        def fan(self, qs: list[str]) -> list[list[str]]:
            with ContextThreadPoolExecutor(4) as pool:
                return list(pool.map(self.retriever.retrieve, qs))

    specs = [*RAG_SPECS, InstrumentSpec(Fan, ("fan",))]
    with engine_plugin(specs):
        recorder = make_recorder(Fan())
        with recorder as rec:
            recorder.app.fan(["a", "b", "c"])
    record = rec.get()
    assert 4 == len(record.calls)
    assert ["app.fan"] * 3 == [str(c.stack[0]) for c in record.calls[:3]]
    assert "app.fan" == call_paths(record)[-1]


# ---------------------------------------------------------------- generators


def test_a_generator_root_is_recorded_when_exhausted(rag: Any) -> None:
    """The call stays open while streaming; main_output is the accumulated stream."""
    with rag as rec:
        stream = rag.app.respond_stream("hello world")
        assert [] == rec.records
        items = list(stream)
    record = rec.get()
    assert items == record.calls[-1].rets
    assert "".join(items) == record.main_output
    assert ["app.retriever.retrieve", "app.llm.stream", "app.respond_stream"] == call_paths(record)
    # calls made while producing items nest under the streaming call
    assert ["app.respond_stream", "app.llm.stream"] == [str(f) for f in record.calls[1].stack]
    root = record.calls[-1]
    assert root.perf.end_time >= record.calls[1].perf.end_time
    assert record.perf.end_time == root.perf.end_time


def test_a_generator_closed_early_gives_a_marked_record(rag: Any) -> None:
    """Closing a stream early records what was streamed and says so."""
    with rag as rec:
        stream = rag.app.respond_stream("a b c d")
        first = next(stream)
        stream.close()
    record = rec.get()
    assert [first] == record.calls[-1].rets
    assert "closed early" in record.calls[-1].error
    assert first == record.main_output
    assert record.main_error is None


def test_a_generator_failing_mid_stream_keeps_the_record_and_the_exception(rag: Any) -> None:
    """The stream's exception propagates unchanged; the record has main_error."""
    boom = KeyError("mid-stream")

    class Failing(LLM):
        def stream(self, prompt: str) -> Iterator[str]:
            yield "one"
            raise boom

    app = RAG()
    app.llm = Failing()
    specs = [*RAG_SPECS, InstrumentSpec(Failing, ("stream",), kind="llm")]
    with engine_plugin(specs):
        recorder = make_recorder(app)
        with recorder as rec:
            got: list[str] = []
            with pytest.raises(KeyError) as info:
                got.extend(app.respond_stream("x"))
    assert info.value is boom
    assert ["one"] == got
    record = rec.get()
    assert record.main_error is not None
    assert ["one"] == record.calls[-1].rets


def test_a_generator_collected_unstarted_still_ends_its_call(rag: Any) -> None:
    """A stream dropped before its first item is recorded when collected."""
    with rag as rec:
        stream = rag.app.respond_stream("a b")
        del stream
        gc.collect()
    assert "garbage-collected" in rec.get().calls[-1].error


def test_an_async_generator_fully_consumed(rag: Any) -> None:
    """An async-generator root is recorded when exhausted, with nested calls."""

    async def main() -> Any:
        async with rag as rec:
            items = [w async for w in rag.app.arespond_stream("hi there")]
        return items, rec

    items, rec = asyncio.run(main())
    record = rec.get()
    assert "".join(items) == record.main_output
    assert ["app.retriever.aretrieve", "app.llm.astream", "app.arespond_stream"] == call_paths(
        record
    )


def test_an_async_generator_closed_early(rag: Any) -> None:
    """aclose() after one item gives a record of that item, marked."""

    async def main() -> Any:
        async with rag as rec:
            stream = rag.app.arespond_stream("a b c")
            first = await stream.__anext__()
            await stream.aclose()
        return first, rec

    first, rec = asyncio.run(main())
    record = rec.get()
    assert [first] == record.calls[-1].rets
    assert "closed early" in record.calls[-1].error


def test_an_async_generator_failing_mid_stream(rag: Any) -> None:
    """The same exception object propagates from an async stream; the record is kept."""
    boom = RuntimeError("async mid-stream")

    class Failing(LLM):
        async def astream(self, prompt: str) -> Any:
            yield "one"
            raise boom

    app = RAG()
    app.llm = Failing()
    specs = [*RAG_SPECS, InstrumentSpec(Failing, ("astream",), kind="llm")]

    async def main(recorder: Any) -> Any:
        async with recorder as rec:
            with pytest.raises(RuntimeError) as info:
                async for _ in app.arespond_stream("x"):
                    pass
        return info.value, rec

    with engine_plugin(specs):
        raised, rec = asyncio.run(main(make_recorder(app)))
    assert raised is boom
    assert rec.get().main_error is not None


# ---------------------------------------------------------------- hooks


class CostPlugin:
    @hookimpl
    def spyglass_call_cost(self, obj: Any, method_name: str, ret: Any) -> Any:
        if method_name == "generate":
            return Cost(n_requests=1, n_tokens=7)
        return None


def test_costs_reported_by_adapters_are_summed(rag: Any) -> None:
    """Record.cost is the sum of the spyglass_call_cost answers."""
    with engine_plugin(RAG_SPECS, CostPlugin()):
        with rag as rec:
            rag.app.respond("a")
        cost = rec.get().cost  # built on read: while the plugin is registered
    assert (1, 7) == (cost.n_requests, cost.n_tokens)


def test_no_reported_cost_gives_an_empty_cost(rag: Any) -> None:
    """Without any report the cost is Cost() (n_requests 0)."""
    with rag as rec:
        rag.app.respond("a")
    assert Cost() == rec.get().cost


class Streaming:
    """An object that carries a stream (like LlamaIndex's StreamingResponse)."""

    def __init__(self, words: list[str]) -> None:
        self.gen = iter(words)


class StreamPlugin:
    @hookimpl
    def spyglass_stream_wrapper(self, ret_type: type) -> Any:
        if ret_type is not Streaming:
            return None

        def wrap(ret: Streaming, finish: Any) -> Streaming:
            inner = ret.gen

            def gen() -> Iterator[str]:
                seen = []
                for w in inner:
                    seen.append(w)
                    yield w
                finish(seen)

            ret.gen = gen()
            return ret

        return wrap


def test_an_object_carrying_a_stream_is_kept_open_via_the_hook() -> None:
    """spyglass_stream_wrapper lets an adapter end the call when its stream ends."""

    class App:
        def ask(self, q: str) -> Streaming:
            return Streaming(q.split())

    specs = [InstrumentSpec(App, ("ask",))]
    with engine_plugin(specs), engine_plugin([], StreamPlugin()):
        recorder = make_recorder(App())
        with recorder as rec:
            response = recorder.app.ask("a b")
            assert [] == rec.records
            assert ["a", "b"] == list(response.gen)
    assert ["a", "b"] == rec.get().calls[-1].rets
    assert "ab" == rec.get().main_output


def test_two_recorders_of_different_apps_each_record_their_own(rag: Any) -> None:
    """A recording records only roots on its own app's components."""
    other = make_recorder()
    with rag as r1, other as r2:
        rag.app.respond("mine")
        other.app.respond("theirs")
    assert ["mine"] == [r.main_input for r in r1.records]
    assert ["theirs"] == [r.main_input for r in r2.records]


def test_unused_helper_class_is_wrapped_eagerly(rag: Any) -> None:
    """An eager spec wraps its class even though the walk reached no instance."""
    from spyglass.core.instrument import _wrap as instrument

    assert instrument.is_wrapped(Helper, "help")


def test_each_recorder_computes_its_own_paths() -> None:
    """One call seen by two recorders is placed at each recorder's own path."""
    with engine_plugin(RAG_SPECS):
        whole = make_recorder()
        part = make_recorder(whole.app.retriever)
        with whole as r_whole, part as r_part:
            whole.app.retriever.retrieve("q")
    assert ["app.retriever.retrieve"] == call_paths(r_whole.get())
    assert ["app.retrieve"] == call_paths(r_part.get())
    assert r_whole.get().calls[0].call_id == r_part.get().calls[0].call_id


class Args:
    def call(self, a: int, b: str = "b", *more: int, flag: bool = False, **extra: Any) -> int:
        return a


def test_arguments_are_bound_by_parameter_name_without_self() -> None:
    """args maps parameter names to values: positional, keyword, *args and **kwargs."""
    with engine_plugin([InstrumentSpec(Args, ("call",))]):
        recorder = make_recorder(Args())
        with recorder as rec:
            recorder.app.call(1, "x", 2, 3, flag=True, z="w")
            recorder.app.call(5)
    first, second = (r.calls[0].args for r in rec.records)
    assert {"a": 1, "b": "x", "more": [2, 3], "flag": True, "extra": {"z": "w"}} == first
    assert {"a": 5} == second


def test_a_long_stream_keeps_a_bounded_number_of_items(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_STREAM_ITEMS, items are counted and a truncation marker is recorded."""
    monkeypatch.setattr(recording, "MAX_STREAM_ITEMS", 3)

    class Counter:
        def count(self, n: int) -> Iterator[int]:
            yield from range(n)

    with engine_plugin([InstrumentSpec(Counter, ("count",))]):
        recorder = make_recorder(Counter())
        with recorder as rec:
            assert list(range(10)) == list(recorder.app.count(10))
    rets = rec.get().calls[-1].rets
    assert [0, 1, 2] == rets[:3]
    assert 4 == len(rets)
    assert "7 more items" in str(rets[3])
