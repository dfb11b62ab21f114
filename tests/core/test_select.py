"""Select: the named lenses and helpers TruLens 1.x has."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from spyglass.core.lens import GetIndex, Lens
from spyglass.core.lens._select import Select

L = Lens()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Tru", ""),
        ("Record", "__record__"),
        ("App", "__app__"),
        ("RecordInput", "__record__.main_input"),
        ("RecordOutput", "__record__.main_output"),
        ("RecordCalls", "__record__.app"),
        ("RecordCall", "__record__.calls[-1]"),
        ("RecordArgs", "__record__.calls[-1].args"),
        ("RecordRets", "__record__.calls[-1].rets"),
        ("RecordSpans", "__record__.spans"),
    ],
)
def test_constants(name: str, text: str) -> None:
    """Each Select constant is the Lens TruLens 1.x has, and reads back from its string."""
    lens = getattr(Select, name)
    assert isinstance(lens, Lens)
    assert text == str(lens)
    assert lens == Lens.of_string(text)


def test_lens_aliases() -> None:
    """Select.Lens and Select.Query are the Lens class."""
    assert Select.Lens is Lens
    assert Select.Query is Lens
    assert Lens() == Select.Query()


def test_no_record_metadata() -> None:
    """There is no RecordMetadata; metadata is Select.Record.meta."""
    assert not hasattr(Select, "RecordMetadata")
    assert "__record__.meta" == str(Select.Record.meta)


def test_path_and_method() -> None:
    """path_and_method splits the component's lens from the method name."""
    assert (Select.RecordCalls.retriever, "get_context") == Select.path_and_method(
        Select.RecordCalls.retriever.get_context
    )


def test_path_and_method_errors() -> None:
    """An empty lens or one ending in an index names no method."""
    with pytest.raises(ValueError, match="Given selector is empty so does not name a method."):
        Select.path_and_method(L)
    with pytest.raises(ValueError, match="Last part of selector is not an attribute"):
        Select.path_and_method(Select.RecordCall)


def test_dequalify() -> None:
    """dequalify drops a leading __record__ or __app__ only."""
    assert L.app.retriever.get_context == Select.dequalify(Select.RecordCalls.retriever.get_context)
    assert L.app.llm == Select.dequalify(Select.App.app.llm)
    assert L.x.y == Select.dequalify(L.x.y)


def test_for_record_and_for_app() -> None:
    """for_record / for_app prepend __record__ / __app__."""
    assert Select.RecordInput == Select.for_record(L.main_input)
    assert Select.App.app.llm == Select.for_app(L.app.llm)


@pytest.mark.parametrize(
    ("lens", "rendered"),
    [
        (Lens(), "Select.Lens()"),
        (Select.RecordCalls.retriever.get_context.rets[:], "Select.RecordCalls.retriever.get_context.rets[:]"),
        (Select.RecordCall.args.x, "Select.RecordArgs.x"),
        (Select.RecordCall, "Select.RecordCall"),
        (Select.RecordCall[0], "Select.RecordCall[0]"),
        (Select.Record.cost, "Select.Record.cost"),
        (Select.App.app.llm, "Select.App.app.llm"),
        (Select.RecordInput, "Select.RecordInput"),
        (Select.RecordOutput.text, "Select.RecordOutput.text"),
        (Select.RecordRets[0], "Select.RecordRets[0]"),
        (Select.RecordSpans, "Select.RecordSpans"),
        (L.x, ".x"),
        (L[0].x, "[0].x"),
    ],
)  # fmt: skip
def test_render_for_dashboard(lens: Lens, rendered: str) -> None:
    """render_for_dashboard shows the first matching Select prefix and the rest of the steps."""
    assert rendered == Select.render_for_dashboard(lens)


def test_record_call_is_the_last_call() -> None:
    """RecordCall selects the last call of the record, with a negative index."""
    assert GetIndex(index=-1) == Select.RecordCall.path[-1]
    data = {"__record__": {"calls": [{"args": 1}, {"args": 2}]}}
    assert 2 == Select.RecordArgs.get_sole_item(data)


def test_context_delegates_to_app_select_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """Select.context(app) is a deprecated alias of App.select_context(app)."""
    seen: list[Any] = []

    class App:
        @staticmethod
        def select_context(app: Any = None) -> Lens:
            seen.append(app)
            return Select.RecordCalls.retriever.rets

    fake = types.ModuleType("spyglass.core.recording._app")
    fake.App = App  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "spyglass.core.recording._app", fake)
    with pytest.deprecated_call(match="select_context"):
        assert Select.RecordCalls.retriever.rets == Select.context("my app")
    assert ["my app"] == seen
