"""A hook that raises or answers the wrong type: logged once naming the plugin, ignored;
the record is always produced and the app's result is unchanged. Real pluggy plugins."""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from _engine_fixtures import RAG_SPECS, engine_plugin, make_recorder

from spyglass.core.plugins import _manager as plugins
from spyglass.core.plugins._specs import InstrumentSpec
from spyglass.core.plugins.hookspecs import hookimpl
from spyglass.core.schema._measures import Cost

_names = itertools.count()


@contextlib.contextmanager
def faulty(plugin: Any) -> Iterator[str]:
    """Register ``plugin`` under a fresh name for a block; yields the name."""
    name = plugins.register_plugin(plugin, name=f"faulty-plugin-{next(_names)}")
    try:
        yield name
    finally:
        plugins.unregister_plugin(name)


class RaisingCost:
    @hookimpl
    def spyglass_call_cost(self, obj: Any, method_name: str, ret: Any) -> Any:
        raise RuntimeError("cost plugin broke")


class WrongCost:
    @hookimpl
    def spyglass_call_cost(self, obj: Any, method_name: str, ret: Any) -> Any:
        return {"n_tokens": 3}  # a dict, not a Cost


class RaisingMainIO:
    @hookimpl
    def spyglass_main_input(self, app: Any, func: Any, bindings: Any) -> Any:
        raise RuntimeError("main input plugin broke")

    @hookimpl
    def spyglass_main_output(
        self, app: Any, func: Any, bindings: Any, ret: Any, streamed: Any
    ) -> Any:
        raise RuntimeError("main output plugin broke")


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    __repr__ = __str__


class WrongMainIO:
    @hookimpl
    def spyglass_main_input(self, app: Any, func: Any, bindings: Any) -> Any:
        return Unprintable()


class WrongChildren:
    @hookimpl
    def spyglass_component_children(self, obj: Any) -> Any:
        return 42  # not an iterable of (Lens, child)


@pytest.mark.parametrize(
    ("plugin", "hook"),
    [
        (RaisingCost(), "spyglass_call_cost"),
        (WrongCost(), "spyglass_call_cost"),
        (RaisingMainIO(), "spyglass_main_input"),
        (WrongMainIO(), None),
        (WrongChildren(), "spyglass_component_children"),
    ],
    ids=["cost-raises", "cost-wrong-type", "main-io-raises", "main-io-unprintable", "children"],
)
def test_a_faulty_hook_is_logged_once_and_the_record_is_produced(
    plugin: Any, hook: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    """Twice through the app: two records, the right answers, one warning naming the plugin."""
    with engine_plugin(RAG_SPECS), faulty(plugin) as name:
        recorder = make_recorder()
        with caplog.at_level(logging.DEBUG, logger="spyglass"), recorder as rec:
            assert recorder.app.respond("q1") == recorder.app.respond("q1")
            recorder.app.respond("q2")
        records = rec.records
    assert len(records) == 3
    assert all(r.cost == Cost() for r in records)
    assert all(r.main_output is not None for r in records)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    if hook is None:
        assert warnings == []
    else:  # once per faulty hook (main input and output are two), each naming the plugin
        assert all(name in w for w in warnings)
        assert sorted(warnings) == sorted(set(warnings)) and any(hook in w for w in warnings)
        assert len(warnings) == (2 if "main_input" in hook else 1)


class RaisingStreamWrapper:
    @hookimpl
    def spyglass_stream_wrapper(self, ret_type: type) -> Any:
        if ret_type is not Carrier:
            return None

        def wrap(ret: Any, finish: Any) -> Any:
            raise RuntimeError("stream wrapper broke")

        return wrap


class NotCallableStreamWrapper:
    @hookimpl
    def spyglass_stream_wrapper(self, ret_type: type) -> Any:
        return "not a function" if ret_type is Carrier else None


class Carrier:
    def __init__(self, words: list[str]) -> None:
        self.gen = iter(words)


class Asker:
    def ask(self, q: str) -> Carrier:
        return Carrier(q.split())


@pytest.mark.parametrize("plugin", [RaisingStreamWrapper(), NotCallableStreamWrapper()])
def test_a_faulty_stream_wrapper_leaves_the_app_and_the_record_whole(
    plugin: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The app gets the object it returned; the call ends with it; one warning names the plugin."""
    with engine_plugin([InstrumentSpec(Asker, ("ask",))]), faulty(plugin) as name:
        recorder = make_recorder(Asker())
        with caplog.at_level(logging.DEBUG, logger="spyglass"), recorder as rec:
            first = recorder.app.ask("a b")
            second = recorder.app.ask("c")
        assert list(first.gen) == ["a", "b"] and list(second.gen) == ["c"]
        records = rec.records
    assert len(records) == 2
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and name in warnings[0].getMessage()
