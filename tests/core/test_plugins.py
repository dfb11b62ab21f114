"""The plugin registry: entry-point loading, checks, the disable switch, hook calls, wrap_app.

Relies on the two test distributions in ``tests/plugins/`` being installed (``make
test`` does it): ``spyglass-toyframework`` (a working third-party adapter, ``toy``) and
``spyglass-brokenplugin`` (entry points ``broken_import`` and ``broken_version``).
"""

from __future__ import annotations

import logging
import threading
import warnings
from types import SimpleNamespace
from typing import Any

import pytest

from spyglass.core import AdapterInfo, InstrumentSpec, hookimpl
from spyglass.core.errors import PluginError, SelectorError
from spyglass.core.plugins import _manager as plugins
from spyglass.core.plugins._manager import SpyglassPluginWarning

toy = pytest.importorskip(
    "spyglass_toyframework", reason="run `make test` to install tests/plugins/*"
)
pytest.importorskip("spyglass_brokenplugin", reason="run `make test` to install tests/plugins/*")


def load_with_warnings() -> list[str]:
    """Create the manager and return the SpyglassPluginWarning texts of the load."""
    with pytest.warns(SpyglassPluginWarning) as caught:
        plugins.get_plugin_manager()
    return [str(w.message) for w in caught if issubclass(w.category, SpyglassPluginWarning)]


def load_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plugins.get_plugin_manager()


def names_of_active() -> list[str]:
    return [info.name for info in plugins.active_adapters()]


def pipeline() -> Any:
    return toy.ToyPipeline(
        toy.ToyRetriever(["cats purr softly", "dogs bark loudly", "cats sleep a lot"]), toy.ToyLLM()
    )


# --------------------------------------------------------------------------- loading


def test_third_party_adapter_is_loaded_from_its_entry_point(fresh_plugins: object) -> None:
    """An installed distribution's `spyglass` entry point becomes an active adapter."""
    load_with_warnings()  # the broken plugins warn; asserted below
    info = next(info for info in plugins.active_adapters() if info.name == "toy")
    assert ("spyglass-toyframework>=0.1,<1",) == info.requires
    assert plugins.get_plugin_manager().has_plugin("toy")


def test_plugin_that_fails_to_import_warns_once_naming_it(fresh_plugins: object) -> None:
    """A plugin whose import raises gives exactly one warning naming it, its distribution and why."""
    texts = [t for t in load_with_warnings() if "broken_import" in t]
    assert 1 == len(texts)
    assert "spyglass-brokenplugin" in texts[0]
    assert "needs a framework that is not installed" in texts[0]
    assert not plugins.get_plugin_manager().has_plugin("broken_import")


def test_plugin_requiring_impossible_version_warns_once_and_is_skipped(
    fresh_plugins: object,
) -> None:
    """An adapter whose required distribution is out of range: one warning, adapter skipped."""
    texts = [t for t in load_with_warnings() if "'impossible'" in t]
    assert 1 == len(texts)
    assert "packaging<1" in texts[0] and "is installed" in texts[0]
    assert "impossible" not in names_of_active()
    assert not plugins.get_plugin_manager().has_plugin("broken_version")


def test_load_warnings_are_issued_after_the_manager_is_complete(fresh_plugins: object) -> None:
    """A warnings filter set to `error` cannot leave the manager half-built."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", SpyglassPluginWarning)
        with pytest.raises(SpyglassPluginWarning):
            plugins.get_plugin_manager()
    assert "toy" in names_of_active()


def test_disable_adapters_by_name(fresh_plugins: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """SPYGLASS_DISABLE_ADAPTERS=toy turns the toy adapter off and leaves the others on."""
    monkeypatch.setenv("SPYGLASS_DISABLE_ADAPTERS", "toy, broken_import,broken_version")
    with warnings.catch_warnings():
        # built-in adapters still in development may warn; only the toy adapter matters here
        warnings.simplefilter("ignore", SpyglassPluginWarning)
        plugins.get_plugin_manager()
    assert "toy" not in names_of_active()
    assert not plugins.get_plugin_manager().has_plugin("toy")


def test_disable_all_adapters_imports_and_warns_nothing(
    fresh_plugins: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SPYGLASS_DISABLE_ADAPTERS=all: no adapter is active and no plugin is even imported."""
    monkeypatch.setenv("SPYGLASS_DISABLE_ADAPTERS", "all")
    load_without_warnings()
    assert [] == names_of_active()


def test_get_plugin_manager_is_one_object_across_threads(fresh_plugins: object) -> None:
    """Threads racing to create the manager all get the same one."""
    seen: list[object] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpyglassPluginWarning)
        threads = [
            threading.Thread(target=lambda: seen.append(plugins.get_plugin_manager()))
            for _ in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert 1 == len({id(pm) for pm in seen})


# --------------------------------------------------------------------------- register_plugin


class Answers:
    """A programmatic plugin answering the first-result hooks with fixed values."""

    def __init__(self, name: str, main_input: Any = None) -> None:
        self.name = name
        self.main_input = main_input

    @hookimpl
    def spyglass_adapter_info(self) -> AdapterInfo:
        return AdapterInfo(name=self.name)

    @hookimpl
    def spyglass_main_input(self, app: Any) -> Any:
        return self.main_input


class Raises:
    """A plugin whose hooks raise, like an adapter with a bug."""

    @hookimpl
    def spyglass_main_input(self, app: Any) -> Any:
        raise RuntimeError("adapter bug")

    @hookimpl
    def spyglass_instrument_specs(self) -> Any:
        raise RuntimeError("adapter bug")

    @hookimpl
    def spyglass_select_context(self, app: Any) -> Any:
        raise SelectorError("two retrievers: app.a, app.b")


@pytest.fixture
def registered() -> Any:
    names: list[str] = []

    def register(plugin: object, name: str) -> str:
        names.append(plugins.register_plugin(plugin, name))
        return names[-1]

    yield register
    for name in names:
        plugins.unregister_plugin(name)


def test_call_first_returns_the_last_registered_non_none_answer(registered: Any) -> None:
    """Like pluggy, the most recently registered implementation answers first."""
    registered(Answers("first", "one"), "first")
    registered(Answers("second", "two"), "second")
    registered(Answers("silent", None), "silent")
    assert "two" == plugins.call_first("spyglass_main_input", app=None, func=None, bindings=None)


def test_call_all_collects_every_non_none_answer(registered: Any) -> None:
    """call_all gathers the answers of all implementations that answered."""
    registered(Answers("a", "one"), "a")
    registered(Answers("b", "two"), "b")
    answers = plugins.call_all("spyglass_main_input", app=None, func=None, bindings=None)
    assert ["two", "one"] == [a for a in answers if a in ("one", "two")]


def test_raising_hook_is_logged_once_and_the_next_answer_used(
    registered: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A hook that raises is logged once naming plugin and hook; the next implementation answers."""
    registered(Answers("good", "fine"), "good")
    registered(Raises(), "buggy")
    with caplog.at_level(logging.WARNING, logger="spyglass.core.plugins._manager"):
        answers = [
            plugins.call_first("spyglass_main_input", app=None, func=None, bindings=None)
            for _ in range(3)
        ]
    assert ["fine"] * 3 == answers
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert 1 == len(logged)
    assert "'buggy'" in logged[0] and "spyglass_main_input" in logged[0]


def test_selector_error_from_select_context_propagates(registered: Any) -> None:
    """SelectorError is an adapter's deliberate answer for an ambiguous app, so it is raised."""
    registered(Raises(), "buggy")
    with pytest.raises(SelectorError, match="two retrievers"):
        plugins.call_first("spyglass_select_context", app=object())


def test_unknown_hook_name_is_an_error_naming_it() -> None:
    """Calling a hook that does not exist raises PluginError naming it."""
    with pytest.raises(PluginError, match="spyglass_no_such_hook"):
        plugins.call_first("spyglass_no_such_hook")


def test_register_plugin_rejects_hookimpl_with_unknown_argument() -> None:
    """A hookimpl asking for an argument the spec does not have is refused with PluginError."""

    class Bad:
        @hookimpl
        def spyglass_main_input(self, app: Any, nonsense: Any) -> Any:
            return None

    with pytest.raises(PluginError, match="nonsense"):
        plugins.register_plugin(Bad(), "bad")
    assert not plugins.get_plugin_manager().has_plugin("bad")


def test_register_plugin_rejects_unknown_hook() -> None:
    """A hookimpl for a hook spyglass does not define is refused, naming the hook."""

    class Typo:
        @hookimpl
        def spyglass_main_inptu(self, app: Any) -> Any:
            return None

    with pytest.raises(PluginError, match="spyglass_main_inptu"):
        plugins.register_plugin(Typo(), "typo")
    assert not plugins.get_plugin_manager().has_plugin("typo")


def requiring(name: str, *, requires: tuple[str, ...] = (), optional: tuple[str, ...] = ()) -> Any:
    class Plugin:
        @hookimpl
        def spyglass_adapter_info(self) -> AdapterInfo:
            return AdapterInfo(name=name, requires=requires, optional=optional)

    return Plugin()


def test_missing_required_distribution_makes_adapter_inactive_quietly(registered: Any) -> None:
    """A required distribution that is not installed: inactive, no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registered(requiring("ghost", requires=("no-such-distribution-xyz>=1",)), "ghost")
    assert "ghost" not in names_of_active()


def test_optional_distribution_out_of_range_warns_but_stays_active(registered: Any) -> None:
    """An optional distribution outside its range: one warning naming it, adapter still active."""
    with pytest.warns(SpyglassPluginWarning, match=r"pluggy<1\.0.*stays active") as caught:
        registered(requiring("opt", requires=("pluggy>=1",), optional=("pluggy<1.0",)), "opt")
    assert 1 == len(caught)
    assert "opt" in names_of_active()


def test_instrument_specs_fill_in_the_adapter_and_drop_a_raising_adapter(registered: Any) -> None:
    """instrument_specs names each spec's adapter and survives an adapter that raises."""

    class Specs:
        @hookimpl
        def spyglass_adapter_info(self) -> AdapterInfo:
            return AdapterInfo(name="speccy")

        @hookimpl
        def spyglass_instrument_specs(self) -> list[InstrumentSpec]:
            return [InstrumentSpec("mod:Cls", ("run",))]

    registered(Raises(), "buggy")
    registered(Specs(), "speccy-plugin")
    mine = [s for s in plugins.instrument_specs() if s.class_path == "mod:Cls"]
    assert ["speccy"] == [s.adapter for s in mine]


def test_instrument_specs_are_cached_until_invalidated(registered: Any) -> None:
    """The joined specs are computed once, and again after invalidate_instrument_specs()."""
    calls = SimpleNamespace(n=0)

    class Counting:
        @hookimpl
        def spyglass_instrument_specs(self) -> list[InstrumentSpec]:
            calls.n += 1
            return []

    registered(Counting(), "counting")
    plugins.instrument_specs()
    plugins.instrument_specs()
    plugins.invalidate_instrument_specs()
    plugins.instrument_specs()
    assert 2 == calls.n


# --------------------------------------------------------------------------- wrap_app


def test_wrap_app_unknown_object_names_type_adapters_and_pip_lines() -> None:
    """wrap_app on an object no adapter knows raises TypeError saying what is active and what to install."""

    class Mystery:
        pass

    with pytest.raises(TypeError) as info:
        plugins.wrap_app(Mystery())
    message = str(info.value)
    assert "Mystery" in message
    assert "toy" in message
    assert "instrument" in message


def test_wrap_app_does_not_suggest_installing_a_disabled_adapter(
    fresh_plugins: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An adapter turned off by SPYGLASS_DISABLE_ADAPTERS is named as disabled, not as to install."""
    monkeypatch.setenv("SPYGLASS_DISABLE_ADAPTERS", "langchain,broken_import,broken_version")
    load_without_warnings()

    with pytest.raises(TypeError) as info:
        plugins.wrap_app(object())

    message = str(info.value)
    assert "'langchain' is inactive: disabled by SPYGLASS_DISABLE_ADAPTERS" in message
    assert "spyglass[langchain]" not in message


def test_wrap_app_records_a_toy_pipeline_through_the_third_party_adapter() -> None:
    """A toy app is wrapped by the toy adapter's recorder and recorded with its components' calls."""
    pytest.importorskip("spyglass.core.recording._app")
    app = pipeline()
    recorder = plugins.wrap_app(app, app_name="toy-app")
    assert "ToyRecorder" == type(recorder).__name__
    with recorder as recording:
        answer = app.run("do cats purr")
    record = recording.get()
    assert answer.answer == record.main_output
    assert "do cats purr" == record.main_input
    methods = sorted(str(call.top) for call in record.calls)
    assert ["app.llm.generate", "app.retriever.retrieve", "app.run"] == methods
    retrieve = next(call for call in record.calls if call.top.method.name == "retrieve")
    # the adapter's JSON encoder shapes its documents
    assert {"text": "cats purr softly", "score": 2.0} == retrieve.rets[0]


def test_recording_survives_an_adapter_whose_hook_raises(registered: Any) -> None:
    """An adapter raising in spyglass_main_input is skipped; the record and the app's result are intact."""
    pytest.importorskip("spyglass.core.recording._app")
    registered(Raises(), "buggy")
    app = pipeline()
    recorder = plugins.wrap_app(app)
    ret, record = recorder.with_record(app.run, "do dogs bark")
    assert "do dogs bark" == record.main_input
    assert ret.answer == record.main_output


def test_plugin_using_the_manager_at_import_is_skipped_with_a_warning(
    fresh_plugins: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin that calls get_plugin_manager() while being imported is skipped, named in a warning."""
    reentrant = SimpleNamespace(
        name="reentrant", value="reentrant_plugin", dist=None, load=plugins.get_plugin_manager
    )
    monkeypatch.setattr(plugins, "_entry_points", lambda: [reentrant])
    texts = load_with_warnings()
    assert 1 == len(texts)
    assert "'reentrant'" in texts[0] and "at import time" in texts[0]
    assert [] == names_of_active()
