"""AppDefinition: ids, defaults, safe loading, sessions, selector shortcuts."""

from __future__ import annotations

import pickle
import warnings

import pydantic
import pytest

from spyglass.core import AppDefinition, FeedbackMode, RecordIngestMode, Select, UnsafeLoadError
from spyglass.core.serial._pyschema import Class

ROOT_CLASS = Class.of_class(dict)


def _definition(**fields) -> AppDefinition:
    fields.setdefault("root_class", ROOT_CLASS)
    return AppDefinition(**fields)


class MyAppDefinition(AppDefinition):
    """A subclass defined outside spyglass, to test the module allow-list."""


def fresh_app() -> dict:
    """A picklable app loader (module-level, so pickle stores it by reference)."""
    return {"fresh": True}


# -------------------------------------------------------------------------- ids


def test_default_app_id_matches_trulens() -> None:
    """("default_app", "base") gives TruLens's id app_hash_baf7b2cb…."""
    assert "app_hash_baf7b2cb6402e84fa3b0b3a028d4bf65" == _definition().app_id


def test_app_id_follows_name_and_version() -> None:
    """The id is computed from app_name and app_version."""
    ids = {_definition(app_name=n, app_version=v).app_id for n in ("a", "b") for v in ("1", "2")}
    assert 4 == len(ids)


def test_explicit_other_app_id_warns_and_is_kept() -> None:
    """An app_id that differs from the computed one is kept, with a DeprecationWarning."""
    with pytest.warns(DeprecationWarning, match="app_name"):
        definition = _definition(app_name="a", app_id="legacy")
    assert "legacy" == definition.app_id


def test_explicit_matching_app_id_does_not_warn() -> None:
    """Passing the id that would be computed anyway (stored data) does not warn."""
    stored = _definition(app_name="a").model_dump(mode="json")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert stored["app_id"] == AppDefinition.model_validate(stored).app_id


def test_app_id_is_read_only() -> None:
    """app_id cannot be assigned after creation."""
    definition = _definition()
    with pytest.raises(pydantic.ValidationError):
        definition.app_id = "other"


# ---------------------------------------------------------------- defaults


def test_defaults_like_trulens() -> None:
    """Defaults: default_app/base, tags "-", with_app_thread, immediate, selector check on."""
    d = _definition(tags=None)
    actual = (
        d.app_name,
        d.app_version,
        d.tags,
        d.metadata,
        d.feedback_definitions,
        d.feedback_mode,
        d.record_ingest_mode,
        d.app_extra_json,
        d.initial_app_loader_dump,
        d.selector_check_warning,
        d.selector_nocheck,
    )
    expected = (
        "default_app",
        "base",
        "-",
        {},
        [],
        FeedbackMode.WITH_APP_THREAD,
        RecordIngestMode.IMMEDIATE,
        {},
        None,
        False,
        False,
    )
    assert expected == actual


def test_dump_has_trulens_top_level_keys() -> None:
    """The JSON has TruLens's AppDefinition keys, including tru_class_info."""
    keys = set(_definition().model_dump(mode="json"))
    expected = {
        "app",
        "app_extra_json",
        "app_id",
        "app_name",
        "app_version",
        "feedback_definitions",
        "feedback_mode",
        "initial_app_loader_dump",
        "metadata",
        "record_ingest_mode",
        "root_class",
        "selector_check_warning",
        "selector_nocheck",
        "tags",
        "tru_class_info",
    }
    assert expected == keys


def test_jsonify_extra_merges_app_extra_json() -> None:
    """jsonify_extra merges app_extra_json into the serialised app."""
    definition = _definition(app_extra_json={"note": 1})
    assert {"app": {"x": 2, "note": 1}} == definition.jsonify_extra({"app": {"x": 2}})


SEED_APP_NAMES = (
    "tru_class_info",
    "app_id",
    "app_name",
    "app_version",
    "tags",
    "metadata",
    "feedback_definitions",
    "feedback_mode",
    "record_ingest_mode",
    "root_class",
    "root_callable",
    "app",
    "initial_app_loader_dump",
    "app_extra_json",
    "__rich_repr__",
    "load",
    "model_validate",
    "continue_session",
    "new_session",
    "get_loadable_apps",
    "select_inputs",
    "select_outputs",
)


def test_app_definition_has_every_seed_page_name() -> None:
    """Every field and method the seed page lists for AppDefinition exists."""
    definition = _definition()
    assert [] == [name for name in SEED_APP_NAMES if not hasattr(definition, name)]


def test_root_callable_is_a_class_attribute() -> None:
    """root_callable exists (TruLens API) and is None until a subclass sets it."""
    assert None is AppDefinition.root_callable


def test_select_inputs_and_outputs() -> None:
    """select_inputs/select_outputs are Select.RecordCall.args / .rets."""
    assert (Select.RecordCall.args, Select.RecordCall.rets) == (
        AppDefinition.select_inputs(),
        AppDefinition.select_outputs(),
    )
    assert "__record__.calls[-1].args" == str(AppDefinition.select_inputs())


# ------------------------------------------------------------------- loading


def test_load_round_trip() -> None:
    """load(model_dump) gives back an equal definition."""
    definition = _definition(app_name="a", metadata={"k": "v"}, app={"llm": {"model": "m"}})
    assert definition == AppDefinition.load(definition.model_dump(mode="json"))


def test_load_refuses_class_from_unlisted_module() -> None:
    """A tru_class_info naming a module outside spyglass.* is refused unless allowed."""
    dump = MyAppDefinition(root_class=ROOT_CLASS).model_dump(mode="json")
    with pytest.raises(UnsafeLoadError, match="allowed_modules"):
        AppDefinition.load(dump)


def test_load_accepts_allowed_module() -> None:
    """With the module allowed, load() builds the recorded subclass."""
    dump = MyAppDefinition(root_class=ROOT_CLASS).model_dump(mode="json")
    loaded = AppDefinition.load(dump, allowed_modules=[MyAppDefinition.__module__])
    assert MyAppDefinition is type(loaded)


def test_load_runs_pickled_loader_only_when_trusted() -> None:
    """load() leaves a pickled loader alone unless trust_pickle=True, then uses its app."""
    dump = AppDefinition.new_session(_definition().model_dump(mode="json"), fresh_app).model_dump(
        mode="json"
    )
    dump["app"] = {"stored": 1}
    untrusted = AppDefinition.load(dump)
    trusted = AppDefinition.load(dump, trust_pickle=True)
    assert ({"stored": 1}, {"fresh": True}) == (untrusted.app, trusted.app)


def test_new_session_with_loader_runs_it_and_stores_it() -> None:
    """new_session(json, loader) uses loader() as the app and stores the pickled loader."""
    session = AppDefinition.new_session(_definition().model_dump(mode="json"), fresh_app)
    assert {"fresh": True} == session.app
    assert fresh_app is pickle.loads(session.initial_app_loader_dump.data)


def test_new_session_refuses_stored_pickle_without_trust() -> None:
    """A stored pickled loader is refused with UnsafeLoadError naming trust_pickle."""
    stored = AppDefinition.new_session(_definition().model_dump(mode="json"), fresh_app)
    with pytest.raises(UnsafeLoadError, match="trust_pickle=True"):
        AppDefinition.new_session(stored.model_dump(mode="json"))


def test_new_session_runs_stored_pickle_when_trusted() -> None:
    """With trust_pickle=True the stored loader is unpickled and called."""
    stored = AppDefinition.new_session(_definition().model_dump(mode="json"), fresh_app)
    session = AppDefinition.new_session(stored.model_dump(mode="json"), trust_pickle=True)
    assert {"fresh": True} == session.app


def test_new_session_without_any_loader_is_an_error() -> None:
    """Neither a loader nor a stored dump: ValueError saying what is missing."""
    with pytest.raises(ValueError, match="initial_app_loader"):
        AppDefinition.new_session(_definition().model_dump(mode="json"))


def test_continue_session_puts_app_in_place() -> None:
    """continue_session(json, app) returns the definition with `app` replaced."""
    session = AppDefinition.continue_session(
        _definition(app_name="a").model_dump(mode="json"), {"x": 1}
    )
    assert ({"x": 1}, "a") == (session.app, session.app_name)


def test_get_loadable_apps_lists_live_definitions_with_loader() -> None:
    """get_loadable_apps lists this process's live definitions that carry a loader."""
    plain = _definition(app_name="plain")
    loadable = AppDefinition.new_session(
        _definition(app_name="loadable").model_dump(mode="json"), fresh_app
    )
    names = {d["app_name"] for d in AppDefinition.get_loadable_apps()}
    assert "loadable" in names and plain.app_name not in names
    del loadable
    assert "loadable" not in {d["app_name"] for d in AppDefinition.get_loadable_apps()}
