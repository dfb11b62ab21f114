"""App, the recorder base: construction, definition, with_record, inspection, dry run."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest
from _engine_fixtures import (
    LLM,
    RAG,
    RAG_SPECS,
    Retriever,
    call_paths,
    engine_plugin,
    make_recorder,
)

from spyglass.core.errors import RecordingError, SelectorError
from spyglass.core.instrument import _wrap as instrument
from spyglass.core.lens._lens import Lens
from spyglass.core.plugins._specs import InstrumentSpec
from spyglass.core.plugins.hookspecs import hookimpl
from spyglass.core.recording._app import App
from spyglass.core.schema._enums import FeedbackMode


@pytest.fixture
def rag() -> Iterator[Any]:
    with engine_plugin(RAG_SPECS):
        yield make_recorder(app_name="rag", app_version="v1", tags="t", metadata={"m": 1})


def test_unknown_keyword_arguments_are_named_with_the_valid_ones() -> None:
    """A typo in an option raises TypeError naming it and listing the valid options."""
    with pytest.raises(TypeError, match=r"'app_nmae'.*valid options: .*app_name"):
        App(RAG(), app_nmae="x")


def test_deferred_feedback_mode_is_refused() -> None:
    """FeedbackMode.DEFERRED needs a database: ValueError at construction."""
    with pytest.raises(ValueError, match="database"):
        App(RAG(), feedback_mode=FeedbackMode.DEFERRED)


def test_mistyped_feedback_mode_lists_the_valid_modes() -> None:
    """A mistyped feedback_mode raises ValueError listing the valid modes."""
    with pytest.raises(
        ValueError, match=r"'with_ap' is not a valid FeedbackMode; valid values: .*'with_app'"
    ):
        App(RAG(), feedback_mode="with_ap")


def test_the_definition_fields_are_delegated(rag: Any) -> None:
    """app_id, app_name, app_version, tags, metadata, feedback_mode read the definition."""
    d = rag.definition
    assert ("rag", "v1", "t", {"m": 1}) == (rag.app_name, rag.app_version, rag.tags, rag.metadata)
    assert d.app_id == rag.app_id
    assert FeedbackMode.WITH_APP_THREAD == rag.feedback_mode
    assert d.model_dump() == rag.model_dump()
    assert "RAG" == rag.root_class.name
    assert rag.model_dump_json().startswith("{")


def test_with_record_returns_the_result_and_its_record(rag: Any) -> None:
    """with_record(func, *args) -> (what func returned, the record)."""
    ret, record = rag.with_record(rag.app.respond, "q", record_metadata={"k": 1})
    assert ret == record.main_output
    assert {"k": 1} == record.meta
    assert "app.respond" == call_paths(record)[-1]


def test_with_record_on_the_app_object_calls_its_main_method() -> None:
    """with_record(recorder.app, ...) calls main_method()."""
    with engine_plugin(RAG_SPECS):
        app = RAG()
        recorder = make_recorder(app, main_method=app.respond)
        ret, record = recorder.with_record(app, "q")
        unbound = make_recorder(app, main_method=RAG.respond)
        ret2, _ = unbound.with_record(app, "q")
    assert ret == ret2 == record.main_output


class _RespondingRecorder(App):
    """A recorder that names its app's main method the public way."""

    def default_main_method(self) -> Any:
        return self.app.respond


class _OldStyleRecorder(App):
    """A recorder written for the private name, before `default_main_method`."""

    def _default_main_method(self) -> Any:
        return self.app.respond


@pytest.mark.parametrize("recorder_class", [_RespondingRecorder, _OldStyleRecorder])
def test_a_recorder_subclass_names_the_main_method(recorder_class: type[App]) -> None:
    """with_record(recorder.app, ...) calls the subclass's default_main_method (the
    overridden private `_default_main_method` of older recorders is still honoured)."""
    with engine_plugin(RAG_SPECS):
        app = RAG()
        recorder = recorder_class(app, selector_nocheck=True)
        assert recorder.default_main_method() == app.respond
        ret, record = recorder.with_record(app, "q")
    assert ret == record.main_output
    assert "app.respond" == call_paths(record)[-1]


def test_the_default_main_method_is_the_apps_call() -> None:
    """Without a main method named anywhere, the app's own ``__call__`` is called;
    an app that is not callable gets a TypeError saying what to pass."""
    with engine_plugin(RAG_SPECS):
        recorder = make_recorder(RAG())
        with pytest.raises(TypeError, match="main_method="):
            recorder.default_main_method()


def test_with_record_without_any_instrumented_call_says_so(rag: Any) -> None:
    """A function that calls nothing instrumented gives RecordingError."""
    with pytest.raises(RecordingError, match="Did not create any records"):
        rag.with_record(lambda: 1)


def test_with_record_of_a_stream_explains_how_to_record_it(rag: Any) -> None:
    """A stream's record is made on consumption; with_record says to use `with`."""
    with pytest.raises(RecordingError, match="stream"):
        rag.with_record(rag.app.respond_stream, "q")


def test_awith_record_awaits_and_returns_the_record(rag: Any) -> None:
    """awith_record is the async twin of with_record."""
    ret, record = asyncio.run(rag.awith_record(rag.app.arespond, "q"))
    assert ret == record.main_output


def test_print_instrumented_matches_the_reference_format(
    rag: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Components and Methods blocks as in TruLens 1.x, with each component's kind."""
    rag.print_instrumented()
    out = re.sub(r"0x[0-9a-f]+", "0x?", capsys.readouterr().out)
    function = re.sub(r"0x[0-9a-f]+", "0x?", repr(Retriever.__dict__["retrieve"].__wrapped__))
    assert out.startswith("Components:\n\tApp (recorder) at 0x? with path __app__\n")
    assert "\tRAG (custom) at 0x? with path __app__.app\n" in out
    assert "\tRetriever (retriever) at 0x? with path __app__.app.retriever\n" in out
    assert "\tLLM (llm) at 0x? with path __app__.app.llm\n" in out
    assert "\nMethods:\nObject at 0x?:\n" in out
    assert f"\t{function} with path __app__.app.retriever\n" in out


def test_instrumented_returns_components_methods_and_skipped(rag: Any) -> None:
    """instrumented() gives the same information as data, with kinds and adapters."""
    data = rag.instrumented()
    assert {
        "path": "app.retriever",
        "class": f"{Retriever.__module__}.Retriever",
        "kind": "retriever",
        "adapter": data["components"][1]["adapter"],
    } == data["components"][1]
    assert {"class": f"{LLM.__module__}.LLM", "name": "generate", "path": "app.llm"} in data[
        "methods"
    ]
    assert [] == data["skipped"]


class Base:
    def stub(self) -> str:
        return "base"


class Concrete(Base):
    def stub(self) -> str:
        return "concrete"

    @staticmethod
    def static() -> int:
        return 1


class Holder:
    def __init__(self) -> None:
        self.base = Base()
        self.concrete = Concrete()


def test_skip_defined_on_is_never_wrapped_and_reported() -> None:
    """A method defined on a skip_defined_on class is skipped with the reason; overrides are wrapped."""
    spec = InstrumentSpec(
        Base,
        ("stub", "static"),
        skip_defined_on=(f"{Base.__module__}:Base",),
        reason="compared by identity",
    )
    original = Base.__dict__["stub"]
    with engine_plugin([spec]):
        recorder = make_recorder(Holder())
        assert Base.__dict__["stub"] is original
        assert instrument.is_wrapped(Concrete, "stub")
        skipped = recorder.instrumented()["skipped"]
    assert {
        "class": f"{Base.__module__}.Base",
        "name": "stub",
        "reason": "compared by identity",
    } in skipped
    assert any(s["name"] == "static" and "staticmethod" in s["reason"] for s in skipped)


def test_a_class_path_string_is_resolved_only_when_its_module_is_imported() -> None:
    """Specs name classes by path; an unimported module is never imported."""
    import sys

    spec_missing = InstrumentSpec("not_a_real_module_xyz:Thing", ("run",))
    spec_dotted = InstrumentSpec(f"{Retriever.__module__}.Retriever", ("retrieve",))
    with engine_plugin([spec_missing, spec_dotted]):
        recorder = make_recorder(RAG())
    assert "not_a_real_module_xyz" not in sys.modules
    assert ["app.retriever"] == [m["path"] for m in recorder.instrumented()["methods"]]


def test_dry_run_layout_has_every_instrumented_method_with_its_parameters(rag: Any) -> None:
    """Each (path, method) holds one call: args = {param: default or None}, rets None."""
    layout = rag.dry_run_layout()
    (retrieve,) = layout["app"]["retriever"]["retrieve"]
    assert {"query": None, "k": 2} == retrieve.args
    assert retrieve.rets is None
    assert "respond" in layout["app"]
    assert "main_input" in layout and "main_output" in layout
    assert Lens.of_string("app.llm.generate").exists(layout)


class ContextPlugin:
    @hookimpl
    def spyglass_select_context(self, app: Any) -> Any:
        return Lens().answer if isinstance(app, RAG) else None


def test_select_context_asks_the_adapters(rag: Any) -> None:
    """select_context works on the class with an app, and on a recorder."""
    with engine_plugin([], ContextPlugin()):
        assert Lens().answer == App.select_context(RAG())
        assert Lens().answer == rag.select_context()


def test_select_context_without_an_answer_names_the_app_type(rag: Any) -> None:
    """No adapter knows the app: SelectorError naming its type."""
    with pytest.raises(SelectorError, match="Holder"):
        App.select_context(Holder())
    with pytest.raises(SelectorError, match="needs the app"):
        App.select_context()


def test_select_inputs_and_outputs_are_the_root_call_lenses() -> None:
    """App.select_inputs()/select_outputs() are Select.RecordCall.args / .rets."""
    assert "__record__.calls[-1].args" == str(App.select_inputs())
    assert "__record__.calls[-1].rets" == str(App.select_outputs())


def test_wait_for_feedback_results_returns_the_records(rag: Any) -> None:
    """With no feedbacks there is nothing to wait for; the call returns promptly."""
    with rag:
        rag.app.respond("q")
    assert isinstance(rag.wait_for_feedback_results(feedback_timeout=1), list)


def test_old_trulens_entry_points_explain_the_migration(rag: Any) -> None:
    """call_with_record and friends raise AttributeError saying what to use."""
    with pytest.raises(AttributeError, match="with_record"):
        rag.call_with_record  # noqa: B018


def test_constructing_a_recorder_changes_no_global_default() -> None:
    """Only the (shared, idempotent) class patches change; building twice adds nothing."""
    with engine_plugin(RAG_SPECS):
        make_recorder()
        before = [(e.cls, e.name, e.wrapper) for e in instrument.wrapped_methods()]
        make_recorder()
        after = [(e.cls, e.name, e.wrapper) for e in instrument.wrapped_methods()]
    assert before == after
