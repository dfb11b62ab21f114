"""The custom adapter: the `instrument` registry and TruApp (as TruLens 1.x).

Every class with `@instrument` in this module is reachable from `Assistant`, so
constructing its recorder never warns; the tests that need other app shapes define
their classes with their own `__module__` (the unreachable-method warning is scoped
to the modules of the app's classes).
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from spyglass.adapters.custom import TruApp, instrument
from spyglass.adapters.custom._instrument import marked_methods
from spyglass.core import Select
from spyglass.core.errors import SelectorError
from spyglass.core.plugins._manager import wrap_app


class Retriever:
    def __init__(self, documents: list[str]) -> None:
        self.documents = documents

    @instrument(retriever=True)
    def retrieve(self, query: str) -> list[str]:
        return [d for d in self.documents if set(query.split()) & set(d.split())]


class KeywordRetriever(Retriever):
    """A subclass: its instances are recorded through the base class's mark."""


class LLM:
    @instrument
    def generate(self, prompt: str) -> str:
        return f"answer to {prompt!r}"


class Tool:
    def __init__(self, name: str) -> None:
        self.name = name

    @instrument
    def run(self, text: str) -> str:
        return f"{self.name}({text})"


class Assistant:
    def __init__(self) -> None:
        self.retriever = KeywordRetriever(["cats purr", "dogs bark", "cats sleep"])
        self.llm = LLM()
        self.tools = [Tool("upper"), Tool("lower")]

    @instrument
    def respond(self, question: str) -> str:
        context = self.retriever.retrieve(question)
        used = self.tools[1].run(question)
        return self.llm.generate(f"{used}: {' '.join(context)}")

    @instrument
    async def arespond(self, question: str) -> str:
        await asyncio.sleep(0)
        return self.respond(question)

    @instrument
    def stream(self, question: str) -> Iterator[str]:
        yield from self.respond(question).split(" ")


def recorder_for(app: Any = None, **kwargs: Any) -> TruApp:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no unreachable-method warning for this module
        return TruApp(app if app is not None else Assistant(), **kwargs)


# --------------------------------------------------------------------------- instrument


def test_decorated_method_stays_the_users_function_and_is_registered() -> None:
    """@instrument leaves the plain function on the class and registers (class, name)."""

    class Plain:
        __module__ = "spyglass_test_plain"

        @instrument
        def act(self) -> int:
            return 1

    assert "function" == type(Plain.__dict__["act"]).__name__
    assert 1 == Plain().act()
    assert any(m.cls is Plain and m.name == "act" and m.decorated for m in marked_methods())


def test_instrument_method_is_idempotent() -> None:
    """Registering the same (class, method) twice keeps one mark."""

    class ThirdParty:
        __module__ = "spyglass_test_thirdparty"

        def call(self) -> None: ...

    instrument.method(ThirdParty, "call")
    instrument.method(ThirdParty, "call")
    assert 1 == sum(1 for m in marked_methods() if m.cls is ThirdParty)


def test_instrument_methods_registers_each_name() -> None:
    """instrument.methods(cls, names) marks every name, not decorated."""

    class ThirdParty:
        __module__ = "spyglass_test_thirdparty"

        def a(self) -> None: ...

        def b(self) -> None: ...

    instrument.methods(ThirdParty, ["a", "b"])
    marks = sorted((m.name, m.decorated) for m in marked_methods() if m.cls is ThirdParty)
    assert [("a", False), ("b", False)] == marks


def test_instrument_method_errors_name_the_fix() -> None:
    """Bad arguments to instrument.method(s) raise errors that say what to pass."""
    with pytest.raises(TypeError, match="pass the class itself"):
        instrument.method(LLM(), "generate")  # type: ignore[arg-type]
    with pytest.raises(AttributeError, match="generate"):
        instrument.method(LLM, "generat")
    with pytest.raises(TypeError, match="instrument.method"):
        instrument.methods(LLM, "generate")


def test_instrument_on_a_plain_function_keeps_it_working() -> None:
    """@instrument outside a class body leaves a callable that behaves like the function."""

    @instrument
    def add(a: int, b: int) -> int:
        return a + b

    assert 3 == add(1, 2)


# --------------------------------------------------------------------------- recording


def test_records_calls_at_component_paths() -> None:
    """A root call records its components' calls at their paths, root last."""
    app = Assistant()
    recorder = recorder_for(app)
    with recorder as recording:
        ret = app.respond("cats")
    record = recording.get()
    assert ret == record.main_output
    assert "cats" == record.main_input
    assert [
        "app.respond -> app.retriever.retrieve",
        "app.respond -> app.tools[1].run",
        "app.respond -> app.llm.generate",
        "app.respond",
    ] == [" -> ".join(map(str, call.stack)) for call in record.calls]


def test_lens_selects_retriever_results() -> None:
    """Select.RecordCalls.retriever.retrieve.rets gives what the retriever returned."""
    app = Assistant()
    _, record = recorder_for(app).with_record(app.respond, "cats")
    assert ["cats purr", "cats sleep"] == record.get(Select.RecordCalls.retriever.retrieve.rets)
    assert "cats" == record.get(Select.RecordCalls.retriever.retrieve.args.query)


def test_app_result_is_unchanged_and_nothing_recorded_outside() -> None:
    """Instrumented methods return the same outside a recording, and nothing is recorded."""
    app = Assistant()
    plain = app.respond("dogs")
    recorder = recorder_for(app)
    assert plain == app.respond("dogs")
    with recorder as recording:
        pass
    assert 0 == len(recording.records)


def test_async_root_is_recorded() -> None:
    """An async instrumented method's root call is recorded with its real result."""
    app = Assistant()
    recorder = recorder_for(app)

    async def run() -> str:
        async with recorder as recording:
            ret = await app.arespond("dogs")
        assert ret == recording.get().main_output
        return ret

    assert "answer to" in asyncio.run(run())


def test_streamed_root_main_output_joins_the_chunks() -> None:
    """A generator root's main_output is the concatenation of what it yielded."""
    app = Assistant()
    recorder = recorder_for(app)
    with recorder as recording:
        chunks = list(app.stream("cats"))
    assert "".join(chunks) == recording.get().main_output


def test_with_record_on_the_app_object_calls_main_method() -> None:
    """with_record(app, ...) calls the `main_method` given to TruApp."""
    app = Assistant()
    recorder = recorder_for(app, main_method=app.respond)
    ret, record = recorder.with_record(app, "cats")
    assert app.respond("cats") == ret
    assert "app.respond" == str(record.calls[-1].top)


def test_wrap_app_picks_truecustomapp_for_an_instrumented_object() -> None:
    """wrap_app(obj with @instrument methods) gives a TruApp."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(wrap_app(Assistant()), TruApp)


# --------------------------------------------------------------------------- unreachable


def test_unreachable_decorated_method_warns_naming_it() -> None:
    """A decorated method of the app's module that the walk cannot reach is named in a warning."""

    class Reranker:
        __module__ = "spyglass_test_unreached"

        @instrument
        def rerank(self, docs: list[str]) -> list[str]:
            return docs

    class Shop:
        __module__ = "spyglass_test_unreached"

        @instrument
        def respond(self, q: str) -> str:
            return Reranker().rerank([q])[0]  # made per call: not reachable

    with pytest.warns(UserWarning, match=r"Reranker\.rerank.*methods_to_instrument"):
        TruApp(Shop())


def test_object_made_per_call_is_recorded_under_its_caller() -> None:
    """A marked method of an object the app creates per call is recorded at caller path + class."""

    class PerCallReranker:
        __module__ = "spyglass_test_per_call"

        @instrument
        def rerank(self, docs: list[str]) -> list[str]:
            return sorted(docs)

    class Shop:
        __module__ = "spyglass_test_per_call"

        @instrument
        def respond(self, q: str) -> str:
            return PerCallReranker().rerank([q, "b", "a"])[0]

    shop = Shop()
    with pytest.warns(UserWarning, match="PerCallReranker.rerank"):
        recorder = TruApp(shop)
    _, record = recorder.with_record(shop.respond, "c")

    layout = record.layout_calls_as_app()
    assert [["a", "b", "c"]] == [call.rets for call in layout["app"]["PerCallReranker"]["rerank"]]
    assert ["app.respond", "app.PerCallReranker.rerank"] == [
        str(frame) for frame in record.calls[0].stack
    ]


def test_app_json_holds_the_components_attributes() -> None:
    """The app's stored JSON writes each component attribute by attribute (Select.App works)."""
    recorder = recorder_for()

    app_json = recorder.model_dump()["app"]

    assert ["cats purr", "dogs bark", "cats sleep"] == app_json["retriever"]["documents"]
    assert ["upper", "lower"] == [tool["name"] for tool in app_json["tools"]]
    assert "lower" == Select.App.app.tools[1].name.get_sole_item({"__app__": recorder.model_dump()})


def test_methods_to_instrument_records_an_unreachable_object_at_the_given_path() -> None:
    """methods_to_instrument={bound method: path} records that object's calls at that path."""

    class Cache:
        __module__ = "spyglass_test_extra"

        def lookup(self, key: str) -> str:
            return key * 2

    cache = Cache()

    class Service:
        __module__ = "spyglass_test_extra"

        @instrument
        def respond(self, q: str) -> str:
            return cache.lookup(q)

    service = Service()
    recorder = TruApp(service, methods_to_instrument={cache.lookup: Select.App.app.cache})
    _, record = recorder.with_record(service.respond, "ab")
    assert ["abab"] == [c.rets for c in record.calls if c.top.method.name == "lookup"]
    assert "app.cache.lookup" == str(
        next(c for c in record.calls if c.top.method.name == "lookup").top
    )


def test_methods_to_instrument_needs_bound_methods() -> None:
    """A key that is not a bound method is a TypeError saying to pass `obj.method`."""
    with pytest.raises(TypeError, match="bound method"):
        recorder_for(methods_to_instrument={LLM.generate: Select.App.app.llm})


# --------------------------------------------------------------------------- select_context


def two_search_app(module: str) -> Any:
    """An app with two retriever-marked components, `web` and `docs`, its classes in `module`
    (the unreachable-method warning is scoped to the modules of the app's classes)."""

    class Search:
        __module__ = module

        @instrument(retriever=True)
        def search(self, q: str) -> list[str]:
            return [q]

    class Both:
        __module__ = module

        def __init__(self) -> None:
            self.web = Search()
            self.docs = Search()

        @instrument
        def respond(self, q: str) -> str:
            return q

    return Both()


def test_select_context_is_the_retriever_marked_method() -> None:
    """select_context points at the rets of the method marked retriever=True, at its path."""
    assert Select.RecordCalls.retriever.retrieve.rets[:] == TruApp.select_context(Assistant())


def test_select_context_with_two_retrievers_lists_both() -> None:
    """Two retriever-marked components: SelectorError listing both paths."""

    with pytest.raises(SelectorError) as info:
        TruApp.select_context(two_search_app("spyglass_test_two_retrievers"))
    assert "app.web.search" in str(info.value) and "app.docs.search" in str(info.value)


def test_select_context_explicit_retriever_argument() -> None:
    """TruApp(..., retriever=bound method) decides which retriever is the context."""

    app = two_search_app("spyglass_test_explicit_retriever")
    recorder = TruApp(app, retriever=app.docs.search)
    assert Select.RecordCalls.docs.search.rets[:] == recorder.select_context(app)


def test_recorders_see_a_new_mark_through_the_adapters_specs() -> None:
    """A class decorated after the specs were cached appears in them, adapter `custom`."""
    from spyglass.core.plugins._manager import instrument_specs

    instrument_specs()  # cache the current answer

    class Late:
        __module__ = "spyglass_test_late"

        @instrument
        def go(self) -> None: ...

    mine = [s for s in instrument_specs() if s.class_path is Late]
    assert [(("go",), "custom")] == [(s.methods, s.adapter) for s in mine]


def test_wrap_app_finds_marked_components_below_the_root() -> None:
    """An app whose root has no marks but a component does is still a custom app."""

    class Model:
        __module__ = "spyglass_test_holder"

        @instrument
        def predict(self, x: str) -> str:
            return x

    class Holder:
        __module__ = "spyglass_test_holder"

        def __init__(self) -> None:
            self.inner = {"model": Model()}

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(wrap_app(Holder()), TruApp)
