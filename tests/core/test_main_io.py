"""Main input and output: the TruLens table (as TruLens 1.x), total, adapters first."""

from __future__ import annotations

import inspect
from typing import Any

import pydantic
import pytest
from _engine_fixtures import engine_plugin

from spyglass.core.plugins._main_io import (
    default_main_input,
    default_main_output,
    main_input,
    main_output,
)
from spyglass.core.plugins.hookspecs import hookimpl


class Msg(pydantic.BaseModel):
    content: str


class App:
    def f(self, *args: Any, **kwargs: Any) -> Any:
        return None

    def dict_in(self, d: dict[str, Any]) -> Any:
        return None


def bind(func: Any, *args: Any, **kwargs: Any) -> inspect.BoundArguments:
    return inspect.signature(func).bind(App(), *args, **kwargs)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("hi",), "hi"),
        (
            ({"question": "hi"},),
            "spyglass: Could not determine main input from [({'question': 'hi'},)]",
        ),
        (([{"role": "user", "content": "c1"}],), "c1"),
        ((Msg(content="pyd content"),), "pyd content"),
        ((42,), "42"),
        ((None,), "None"),
        (("a", "b"), "a"),
    ],
)
def test_default_main_input_follows_the_trulens_table(args: tuple[Any, ...], expected: str) -> None:
    """Each verified example of §3.3 gives the same main input."""
    assert expected == default_main_input(App.f, bind(App.f, *args))


def test_default_main_input_reads_the_input_key_of_a_single_dict() -> None:
    """dict_in({"input": ..., "x": 2}) gives the input value."""
    assert "hello dict" == default_main_input(
        App.dict_in, bind(App.dict_in, {"input": "hello dict", "x": 2})
    )


@pytest.mark.parametrize(
    ("ret", "expected"),
    [
        ("hi", "hi"),
        ({"output": "dict out", "other": 1}, "dict out"),
        ({"a": 1, "b": 2}, "1"),
        ({}, ""),
        (3.5, "3.5"),
        (None, "None"),
        ([{"x": 1}], "{'x': 1}"),
        (["a", "b"], "ab"),
        ([], ""),
        (Msg(content="pyd content"), "pyd content"),
    ],
)
def test_default_main_output_follows_the_trulens_table(ret: Any, expected: str) -> None:
    """Each verified example of §3.3 gives the same main output."""
    assert expected == default_main_output(App.f, ret)


class Hostile:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class BadSeq(list):  # type: ignore[type-arg]
    def __len__(self) -> int:
        raise RuntimeError("no len")


@pytest.mark.parametrize(
    "value",
    [
        Hostile(),
        [Hostile()],
        {"k": Hostile()},
        BadSeq([1]),
        b"bytes",
        "x" * 100_000,
        object(),
        (Hostile(),),
    ],
)
def test_main_input_and_output_never_raise(value: Any) -> None:
    """Whatever the app passes or returns, the rules give a string."""
    assert isinstance(default_main_input(App.f, bind(App.f, value)), str)
    assert isinstance(default_main_output(App.f, value), str)


def test_messages_quote_at_most_a_bounded_text() -> None:
    """A huge unexplainable value is quoted shortened, with its length."""
    text = default_main_input(App.f, bind(App.f, {"q": "y" * 50_000}))
    assert len(text) < 3_000
    assert "..." in text  # shortened where it is cut


def test_a_runnable_parallel_style_dict_output() -> None:
    """A dict of outputs gives its first value as text."""
    assert "['d1', 'd2']" == default_main_output(App.f, {"context": ["d1", "d2"], "question": "q"})


class IOPlugin:
    @hookimpl
    def spyglass_main_input(self, app: Any, func: Any, bindings: Any) -> Any:
        return "from adapter" if isinstance(app, App) else None

    @hookimpl
    def spyglass_main_output(
        self, app: Any, func: Any, bindings: Any, ret: Any, streamed: bool
    ) -> Any:
        return f"streamed={streamed}" if isinstance(app, App) else None


class RaisingPlugin:
    @hookimpl
    def spyglass_main_input(self, app: Any, func: Any, bindings: Any) -> Any:
        raise RuntimeError("adapter bug")


def test_adapters_answer_first() -> None:
    """main_input/main_output ask the hooks before the default rules."""
    with engine_plugin([], IOPlugin()):
        assert "from adapter" == main_input(App(), App.f, bind(App.f, "hi"))
        assert "streamed=True" == main_output(App(), App.f, bind(App.f), ["a"], streamed=True)
    assert "hi" == main_input(object(), App.f, bind(App.f, "hi"))


def test_an_adapter_that_raises_falls_back_to_the_default() -> None:
    """A failing main_input hook is skipped; the default rule answers."""
    with engine_plugin([], RaisingPlugin()):
        assert "hi" == main_input(App(), App.f, bind(App.f, "hi"))
