"""FeedbackDefinition, FeedbackCall, FeedbackResult: ids, names, printed forms, serialisation."""

from __future__ import annotations

import re

from spyglass.core import (
    FeedbackCall,
    FeedbackCombinations,
    FeedbackDefinition,
    FeedbackResult,
    FeedbackResultStatus,
    Select,
)
from spyglass.core.serial._pyschema import Function, Module

IMPL = Function(module=Module(module_name="my_feedbacks"), cls=None, name="relevance")
AGG = Function(module=Module(module_name="statistics"), cls=None, name="fmean")


def _definition(**fields) -> FeedbackDefinition:
    fields.setdefault("implementation", IMPL)
    return FeedbackDefinition(**fields)


# -------------------------------------------------------------------------- id


def test_id_is_content_hash() -> None:
    """The id is `feedback_definition_hash_` + an md5 of the definition."""
    assert re.fullmatch(
        r"feedback_definition_hash_[0-9a-f]{32}", _definition().feedback_definition_id
    )


def test_id_without_implementation_is_anonymous() -> None:
    """A definition without implementation has id `anonymous_feedback_definition`."""
    assert "anonymous_feedback_definition" == FeedbackDefinition().feedback_definition_id


def test_equal_definitions_share_id() -> None:
    """Two definitions with the same fields have the same id."""
    a = _definition(selectors={"x": Select.RecordOutput})
    b = _definition(selectors={"x": Select.RecordOutput})
    assert a.feedback_definition_id == b.feedback_definition_id


def test_id_depends_on_selectors_aggregator_combinations() -> None:
    """Selectors, aggregator and combinations are part of the id (TruLens ignored them)."""
    ids = {
        _definition().feedback_definition_id,
        _definition(selectors={"x": Select.RecordOutput}).feedback_definition_id,
        _definition(aggregator=AGG).feedback_definition_id,
        _definition(combinations=FeedbackCombinations.ZIP).feedback_definition_id,
    }
    assert 4 == len(ids)


def test_id_follows_assignment() -> None:
    """Assigning a defining field recomputes the id."""
    definition = _definition()
    definition.selectors = {"x": Select.RecordInput}
    assert _definition(selectors={"x": Select.RecordInput}).feedback_definition_id == (
        definition.feedback_definition_id
    )


def test_id_follows_model_copy_update() -> None:
    """model_copy(update=...) of a defining field gives the copy its own id."""
    original = _definition()
    copy = original.model_copy(update={"aggregator": AGG})
    assert _definition(aggregator=AGG).feedback_definition_id == copy.feedback_definition_id
    assert original.feedback_definition_id != copy.feedback_definition_id


def test_update_id_after_in_place_mutation() -> None:
    """After mutating a field in place, _update_id() brings the id up to date."""
    definition = _definition()
    definition.selectors["x"] = Select.RecordOutput
    definition._update_id()
    assert _definition(selectors={"x": Select.RecordOutput}).feedback_definition_id == (
        definition.feedback_definition_id
    )


def test_with_updated_id_returns_self() -> None:
    """_with_updated_id() recomputes in place and returns the definition (for builders)."""
    definition = _definition()
    assert definition is definition._with_updated_id()


def test_stored_id_is_kept_on_load() -> None:
    """An id given explicitly (as when loading stored data) is kept."""
    assert "stored" == _definition(feedback_definition_id="stored").feedback_definition_id


def test_id_ignores_class_info() -> None:
    """The id does not depend on the concrete class (a subclass stores the same feedback)."""

    class Sub(FeedbackDefinition):
        """A subclass, as `Feedback` is."""

    assert _definition().feedback_definition_id == Sub(implementation=IMPL).feedback_definition_id


def test_hashable_by_id() -> None:
    """A definition is a dict key, hashed by its id."""
    definition = _definition()
    assert (hash(definition.feedback_definition_id), 1) == (
        hash(definition),
        {definition: 1}[_definition()],
    )


# ------------------------------------------------------------- name, defaults


def test_name_is_supplied_name_then_implementation() -> None:
    """`name` is the supplied name, else the implementation's name."""
    assert ("Context Relevance", "relevance") == (
        _definition(supplied_name="Context Relevance").name,
        _definition().name,
    )


def test_name_argument_is_supplied_name() -> None:
    """The TruLens constructor argument `name` fills `supplied_name`."""
    assert "nice" == _definition(name="nice").supplied_name


def test_defaults_like_trulens() -> None:
    """Defaults: product combinations, if_missing error, no if_exists, higher is better."""
    d = _definition(higher_is_better=None)
    actual = (
        d.combinations.value,
        d.if_missing.value,
        d.if_exists,
        d.run_location,
        d.higher_is_better,
        d.selectors,
    )
    assert ("product", "error", None, None, True, {}) == actual


def test_str_shows_name_selectors_if_exists() -> None:
    """str/repr is `FeedbackDefinition(<name>,\\n\\tselectors=...,\\n\\tif_exists=...\\n)`."""
    definition = _definition(selectors={"x": Select.RecordOutput})
    expected = (
        f"FeedbackDefinition(relevance,\n\tselectors={definition.selectors},\n\tif_exists=None\n)"
    )
    assert (expected, expected) == (str(definition), repr(definition))


# --------------------------------------------------------------- serialisation


def test_selectors_serialise_as_lens_strings() -> None:
    """Selectors and if_exists are stored as lens strings."""
    definition = _definition(
        selectors={"a": Select.RecordCalls.retrieve.rets[:].collect(), "b": Select.RecordOutput},
        if_exists=Select.RecordInput,
    )
    dump = definition.model_dump(mode="json")
    expected = {"a": "__record__.app.retrieve.rets[:].collect()", "b": "__record__.main_output"}
    assert (expected, "__record__.main_input") == (dump["selectors"], dump["if_exists"])


def test_round_trip_with_negative_index_selectors() -> None:
    """Selectors on RecordCall (`calls[-1]`) reload (TruLens could not parse them)."""
    definition = _definition(selectors={"x": Select.RecordArgs, "y": Select.RecordRets})
    loaded = FeedbackDefinition.model_validate_json(definition.model_dump_json())
    assert definition == loaded


def test_selectors_accept_strings() -> None:
    """Selectors given as strings are parsed into lenses."""
    definition = _definition(selectors={"x": "__record__.main_output"})
    assert Select.RecordOutput == definition.selectors["x"]


# ------------------------------------------------------------- call and result


def test_feedback_call_str() -> None:
    """str(FeedbackCall) has one `  k = v` line per arg, then `  ret = r`, then meta."""
    call = FeedbackCall(args={"q": "hi", "c": [1, 2]}, ret=0.5, meta={"reason": "ok"})
    assert "  q = hi\n  c = [1, 2]\n  ret = 0.5\n  meta = \n    {'reason': 'ok'}\n" == str(call)


def test_feedback_call_str_without_meta() -> None:
    """Without meta, str(FeedbackCall) stops after the ret line."""
    assert "  ret = 0.0\n" == str(FeedbackCall())


def test_feedback_result_str_prints_status_value() -> None:
    """str(FeedbackResult) is `name (status value) = result` then each call (fix of §8.12)."""
    result = FeedbackResult(
        record_id="r",
        name="ctxlen",
        status=FeedbackResultStatus.DONE,
        result=0.2,
        calls=[FeedbackCall(args={"contexts": [["a"], ["b"]]}, ret=0.2)],
    )
    assert "ctxlen (done) = 0.2\n  contexts = [['a'], ['b']]\n  ret = 0.2\n" == str(result)


def test_feedback_result_defaults() -> None:
    """A new result: unique id, status none, zero cost, no calls, no result."""
    a, b = FeedbackResult(record_id="r", name="n"), FeedbackResult(record_id="r", name="n")
    assert (
        a.feedback_result_id.startswith("feedback_result_")
        and a.feedback_result_id != b.feedback_result_id
    )
    assert (FeedbackResultStatus.NONE, 0, [], None) == (
        a.status,
        a.cost.n_requests,
        a.calls,
        a.result,
    )


def test_feedback_result_nan_is_null_in_json() -> None:
    """A NaN result is written as JSON null (JSON has no NaN) and reads back as None."""
    result = FeedbackResult(record_id="r", name="n", result=float("nan"))
    assert None is FeedbackResult.model_validate_json(result.model_dump_json()).result
