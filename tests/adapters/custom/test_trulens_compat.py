"""TruLens 1.x names and behaviours of the custom adapter that quickstarts and TruLens's tests use.

TruApp (TruCustomApp deprecated), dict access on the layout, VirtualApp.select_context on
the class, @instrument on plain functions, and the record/lens bugs TruLens's own tests
show. Every class with `@instrument` here is reachable from `Shop`.
"""

from __future__ import annotations

import functools
import gc
import inspect
import random
import time
import typing
import warnings
import weakref
from typing import Any

import pytest

from spyglass.adapters.custom import (
    TruApp,
    TruBasicApp,
    TruCustomApp,
    TruVirtual,
    VirtualApp,
    VirtualRecord,
    instrument,
)
from spyglass.core import Feedback, FeedbackDefinition, Record, Select, sinks


class Opaque:
    """A wrapper the walk reaches but that has no instrumented method."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.token_count = 7


class Catalog:
    """A plain object on the way to an instrumented one (kept in the app's JSON)."""

    def __init__(self) -> None:
        self.region = "eu"
        self.search = Search()


class Search:
    @instrument
    def find(self, query: str) -> list[str]:
        return [query + "!"]


class BaseShop:
    @instrument
    def ask(self, query: str) -> str:
        return self.catalog.search.find(query)[0]  # type: ignore[attr-defined]


class Shop(BaseShop):
    def __init__(self) -> None:
        self.name = "shop"
        self.limits = {"max": 3}
        self.rng = random.Random(7)
        self.client = Opaque({"api_base": "http://x", "state": list(range(5))})
        self.catalog = Catalog()


# ------------------------------------------------------------------ 1. TruApp


def test_truapp_is_the_documented_name() -> None:
    """TruApp records a custom app; TruCustomApp is the same recorder, deprecated."""
    shop = Shop()
    recorder = TruApp(shop, app_name="shop")
    with recorder as recording:
        shop.ask("tea")
    assert "tea!" == recording.get().main_output
    assert issubclass(TruCustomApp, TruApp)


def test_trucustomapp_warns_deprecation_and_still_works() -> None:
    """TruCustomApp warns DeprecationWarning naming TruApp, and records as TruApp does."""
    shop = Shop()
    with pytest.warns(DeprecationWarning, match="TruCustomApp is deprecated; use TruApp"):
        recorder = TruCustomApp(shop, app_name="shop")
    with recorder as recording:
        shop.ask("tea")
    assert "tea!" == recording.get().main_output


# ------------------------------------------------------------------ 3. layout as dicts


def test_layout_calls_index_like_dicts() -> None:
    """Quickstarts read the layout with keys: call["stack"], step["path"], call["rets"];
    attribute access keeps working and `in` answers for fields."""
    shop = Shop()
    recorder = TruApp(shop)
    with recorder as recording:
        shop.ask("tea")
    layout = recording.get().layout_calls_as_app()
    find = layout["app"]["catalog"]["search"]["find"][0]
    assert ["tea!"] == find["rets"] == find.rets
    assert {"query": "tea"} == find["args"]
    steps = [str(step["path"]) for step in find["stack"]]
    assert ["app", "app.catalog.search"] == steps
    assert "find" == find["stack"][-1]["method"].name
    assert "expanded" not in find["stack"][0]
    assert "path" in find["stack"][0]
    for call in layout["calls"]:
        assert call["stack"][-1]["path"] == call.stack[-1].path
    with pytest.raises(KeyError):
        find["no_such_field"]


# ------------------------------------------------------------------ 4. VirtualApp.select_context


def test_virtual_app_select_context_on_the_class_and_an_instance() -> None:
    """VirtualApp.select_context() works on the class (TruLens) and on an instance."""
    expected = "__record__.app.retriever.get_context.rets[:]"
    assert expected == str(VirtualApp.select_context())
    assert expected == str(VirtualApp({"llm": "x"}).select_context())
    context = VirtualApp.select_context()
    record = VirtualRecord(
        calls={Select.RecordCalls.retriever.get_context: {"args": ["q"], "rets": ["c1", "c2"]}},
        main_input="q",
        main_output="a",
    )
    stored = TruVirtual(VirtualApp()).add_record(record)
    assert ["c1", "c2"] == stored.get(context.collect())


# ------------------------------------------------------------------ 5. @instrument on functions


@instrument
def plain(state: dict[str, int], extra: int = 1) -> dict[str, int]:
    """Doubles x."""
    return {"x": state["x"] * 2 + extra}


def test_instrument_on_a_plain_function_returns_the_function() -> None:
    """Outside a class body @instrument returns the very function: inspect, typing and
    functools see it as written."""
    assert inspect.isfunction(plain)
    assert "plain" == plain.__name__ and "Doubles x." == plain.__doc__
    assert {"state": dict[str, int], "extra": int, "return": dict[str, int]} == (
        typing.get_type_hints(plain)
    )
    assert ["state", "extra"] == list(inspect.signature(plain).parameters)
    assert {"x": 5} == functools.partial(plain, extra=1)({"x": 2})
    decorated = instrument(retriever=True)(len)
    assert decorated is len


# ------------------------------------------------------------------ 7. TruLens's own tests


def _length(text: str) -> float:
    return float(len(text))


def test_recorder_and_app_go_when_dropped_even_without_the_cycle_collector() -> None:
    """After a recorded call (records read or not), dropping the app and its recorder
    frees both by reference counting alone; the records live on without them."""
    gc.collect()
    gc.disable()
    try:
        for read in (True, False):
            shop = Shop()
            recorder = TruApp(shop, feedbacks=[Feedback(_length, name="length").on_output()])
            with recorder as recording:
                shop.ask("tea")
            record = recording.get() if read else None
            refs = weakref.ref(shop), weakref.ref(recorder)
            del shop, recorder
            del recording
            if read:
                assert record is not None
                record.wait_for_feedback_results()
            else:
                # The unread record is built, and its feedback run, off this thread.
                assert sinks.flush(timeout=10)
            # The worker threads let go of their last item right after finishing it.
            deadline = time.monotonic() + 5
            while any(ref() is not None for ref in refs) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert [None, None] == [ref() for ref in refs]
    finally:
        gc.enable()


def test_call_stack_names_the_instance_class() -> None:
    """A method inherited from BaseShop, called on a Shop, is recorded as Shop's."""
    shop = Shop()
    with TruApp(shop) as recording:
        shop.ask("tea")
    frame = recording.get().calls[-1].stack[-1]
    assert "Shop" == frame.method.obj.cls.name
    assert "ask" == frame.method.name


class Judge:
    """A judge whose bound method is a feedback implementation."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def score(self, text: str) -> float:
        return self.scale * len(text) / 10


def test_stored_bound_method_feedback_loads_again() -> None:
    """A FeedbackDefinition whose implementation is a bound method loads from storage when
    its module is allowed, and runs."""
    feedback = Feedback(Judge().score, name="judge").on_output()
    stored = feedback.model_dump(mode="json")
    loaded = FeedbackDefinition.load(stored, allowed_modules=[Judge.__module__])
    assert isinstance(loaded, Feedback)
    assert loaded.imp is not None
    assert 0.5 == loaded("abcde")


def test_app_json_keeps_plain_values_and_instrumented_components_only() -> None:
    """The app definition holds plain values and the objects on the way to instrumented
    components, not a Random's state nor an uninstrumented wrapper's contents."""
    recorder = TruApp(Shop())
    app = recorder.definition.app
    assert "shop" == app["name"] and {"max": 3} == app["limits"]
    assert "eu" == app["catalog"]["region"]
    assert "Search" == app["catalog"]["search"]["tru_class_info"]["name"]
    assert "rng" not in app and "client" not in app
    assert "eu" == recorder.definition.model_dump()["app"]["catalog"]["region"]


def test_truapp_rejects_none() -> None:
    """TruApp(None) (and the deprecated TruCustomApp(None)) raise naming the problem."""
    with pytest.raises(TypeError, match="needs the app object"):
        TruApp(None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(TypeError, match="TruCustomApp needs the app object"):
            TruCustomApp(None)


@pytest.mark.parametrize(
    "app",
    [42, "hello", lambda: "no argument", lambda a, b: a + b],
    ids=["int", "str", "no-argument", "two-arguments"],
)
def test_trubasicapp_rejects_what_is_not_a_text_function(app: Any) -> None:
    """TruBasicApp(app=...) and TruBasicApp(text_to_text) need a callable of one text."""
    with pytest.raises(TypeError, match="records a function from text to text"):
        TruBasicApp(app=app)
    with pytest.raises(TypeError, match="records a function from text to text"):
        TruBasicApp(app)


def test_trubasicapp_takes_functions_with_defaults_and_varargs() -> None:
    """A function callable with one text is accepted (extra defaults, *args)."""
    for fn in (lambda prompt, n=1: prompt * n, lambda *parts: "".join(parts), str.upper):
        recorder = TruBasicApp(fn)
        assert recorder.with_record(recorder.app, "ab")[0] in ("ab", "AB")


def test_repr_of_records_that_refer_to_each_other_does_not_recurse() -> None:
    """Two records holding each other in meta print, the second time round as Record(...)."""
    first = Record(app_id="a", main_input="one")
    second = Record(app_id="b", main_input="two", meta=first)
    first.meta = second
    text = repr(first)
    assert "main_input='one'" in text and "main_input='two'" in text
    assert "Record(...)" in text
