"""Feedback: selectors, combinations, aggregation, results (as TruLens 1.x, with fixes)."""

from __future__ import annotations

import json
import logging
import math
import statistics

import _stored_feedbacks as stored
import pytest
from _feedback_fixtures import DOCS, one_retrieval, overlap, rag_record, three_retrievals

from spyglass.core.errors import SelectorError
from spyglass.core.feedback import _eval
from spyglass.core.feedback._feedback import Feedback, SkipEval
from spyglass.core.lens._lens import Lens
from spyglass.core.lens._select import Select
from spyglass.core.schema._enums import (
    FeedbackCombinations,
    FeedbackOnMissingParameters,
    FeedbackResultStatus,
)
from spyglass.core.schema._feedback import FeedbackDefinition

DONE = FeedbackResultStatus.DONE
FAILED = FeedbackResultStatus.FAILED
SKIPPED = FeedbackResultStatus.SKIPPED


def args_of(result):
    return [c.args for c in result.calls]


def rets_of(result):
    return [c.ret for c in result.calls]


# ------------------------------------------------------------ the seed page's shapes


def test_context_relevance_seed_shape_evaluates_once_per_retrieve_call():
    """`.on(retrieve.args.query).on(retrieve.rets)` gives one evaluation per call: `rets` is the whole list."""
    seen = []

    def relevance(question: str, context: list) -> float:
        seen.append((question, context))
        return 0.5

    f = (
        Feedback(relevance, name="Context Relevance")
        .on(Select.RecordCalls.retrieve.args.query)
        .on(Select.RecordCalls.retrieve.rets)
        .aggregate(statistics.fmean)
    )
    result = f.run(record=one_retrieval())
    assert DONE == result.status
    assert [("Where is Paris?", DOCS)] == seen
    assert 0.5 == result.result
    assert "Context Relevance" == result.name


def test_context_relevance_per_document_with_numpy_mean():
    """`.on(retrieve.args.query).on(retrieve.rets[:]).aggregate(np.mean)`: one evaluation per document, mean aggregate."""
    np = pytest.importorskip("numpy")
    f = (
        Feedback(overlap, name="Context Relevance")
        .on(Select.RecordCalls.retrieve.args.query)
        .on(Select.RecordCalls.retrieve.rets[:])
        .aggregate(np.mean)
    )
    result = f.run(record=one_retrieval())
    expected_rets = [overlap("Where is Paris?", d) for d in DOCS]
    assert DONE == result.status
    assert [{"question": "Where is Paris?", "context": d} for d in DOCS] == args_of(result)
    assert expected_rets == rets_of(result)
    assert pytest.approx(sum(expected_rets) / 3) == result.result
    assert "mean" == f.aggregator.name


def test_groundedness_seed_shape_collects_into_one_argument():
    """`.on(retrieve.rets.collect()).on_output()` evaluates once, with every call's rets gathered in a list."""
    seen = []

    def groundedness(source: list, statement: str) -> float:
        seen.append((source, statement))
        return 1.0

    f = (
        Feedback(groundedness, name="Groundedness")
        .on(Select.RecordCalls.retrieve.rets.collect())
        .on_output()
    )
    result = f.run(record=one_retrieval())
    assert DONE == result.status
    assert [([DOCS], "Paris is in France.")] == seen
    assert 1 == len(result.calls)
    assert 1.0 == result.result


def test_collect_after_slice_gathers_flat_list():
    """`rets[:].collect()` gives one argument: the flat list of every document of every call."""
    f = Feedback(lambda docs: float(len(docs))).on(Select.RecordCalls.retrieve.rets[:].collect())
    result = f.run(record=three_retrievals())
    assert [{"docs": ["d0", "d1", "d2", "d3", "d4", "d5"]}] == args_of(result)
    assert 6.0 == result.result


# --------------------------------------------------------- multiple invocations (§1.7)


def test_all_invocations_all_documents():
    """`retrieve[:].rets[:]` selects every document of every invocation, in order."""
    f = Feedback(lambda doc: 1.0).on(Select.RecordCalls.retrieve[:].rets[:])
    result = f.run(record=three_retrievals())
    assert [{"doc": d} for d in ["d0", "d1", "d2", "d3", "d4", "d5"]] == args_of(result)


def test_rets_slice_flattens_over_invocations():
    """`retrieve.rets[:]` also flattens over invocations and documents."""
    f = Feedback(lambda doc: 1.0).on(Select.RecordCalls.retrieve.rets[:])
    result = f.run(record=three_retrievals())
    assert ["d0", "d1", "d2", "d3", "d4", "d5"] == [a["doc"] for a in args_of(result)]


def test_rets_without_slice_gives_one_list_per_invocation():
    """`retrieve.rets` selects each invocation's list: one evaluation per invocation."""
    f = Feedback(lambda docs: float(len(docs))).on(Select.RecordCalls.retrieve.rets)
    result = f.run(record=three_retrievals())
    assert [2.0, 1.0, 3.0] == rets_of(result)
    assert 2.0 == result.result


def test_index_selects_one_invocation():
    """`retrieve[1].args` selects the arguments of the second invocation only."""
    f = Feedback(lambda a: 1.0).on(Select.RecordCalls.retrieve[1].args)
    result = f.run(record=three_retrievals())
    assert [{"a": {"query": "What is X?", "k": 1}}] == args_of(result)


def test_product_of_three_queries_and_six_documents():
    """Product combinations: every query with every document (3 x 6 = 18 evaluations), last parameter fastest."""
    f = (
        Feedback(overlap)
        .on(Select.RecordCalls.retrieve.args.query)
        .on(Select.RecordCalls.retrieve.rets[:])
    )
    result = f.run(record=three_retrievals())
    assert 18 == len(result.calls)
    assert {"question": "Where is Paris?", "context": "d1"} == result.calls[1].args
    assert {"question": "What is X?", "context": "d0"} == result.calls[6].args


def test_zip_pairs_values_in_order():
    """Zip combinations pair the n-th value of each argument."""
    f = (
        Feedback(lambda q, docs: float(len(docs)))
        .on(Select.RecordCalls.retrieve.args.query)
        .on(Select.RecordCalls.retrieve.rets)
        .aggregate(combinations=FeedbackCombinations.ZIP)
    )
    result = f.run(record=three_retrievals())
    assert ["Where is Paris?", "What is X?", "And Y?"] == [a["q"] for a in args_of(result)]
    assert [2.0, 1.0, 3.0] == rets_of(result)


def test_mistyped_combinations_lists_the_valid_values():
    """A mistyped combinations value raises ValueError listing the valid values."""
    with pytest.raises(
        ValueError, match=r"'zipp' is not a valid FeedbackCombinations; valid values: .*'zip'"
    ):
        Feedback(overlap).aggregate(combinations="zipp")


def test_zip_of_unequal_lengths_fails_instead_of_truncating():
    """Zip over value lists of different lengths fails, naming the lengths (TruLens dropped values)."""
    f = (
        Feedback(overlap)
        .on(Select.RecordCalls.retrieve.args.query)
        .on(Select.RecordCalls.retrieve.rets[:])
        .aggregate(combinations="zip")
    )
    result = f.run(record=three_retrievals())
    assert FAILED == result.status
    assert "`question`: 3, `context`: 6" in result.error


# -------------------------------------------------------------------- identity


def test_id_reflects_selectors():
    """Two feedbacks that differ only in selectors have different ids; equal ones share it."""
    base = Feedback(overlap)
    a = base.on(Select.RecordInput, Select.RecordOutput)
    b = base.on(Select.RecordOutput, Select.RecordInput)
    a2 = Feedback(overlap).on(Select.RecordInput, Select.RecordOutput)
    assert a.feedback_definition_id != b.feedback_definition_id
    assert a.feedback_definition_id == a2.feedback_definition_id
    assert base.feedback_definition_id not in {a.feedback_definition_id, b.feedback_definition_id}


def test_id_reflects_aggregator_and_combinations():
    """The aggregator and the combinations are part of the id."""
    f = Feedback(overlap).on_input_output()
    ids = {
        f.feedback_definition_id,
        f.aggregate(statistics.median).feedback_definition_id,
        f.aggregate(combinations="zip").feedback_definition_id,
    }
    assert 3 == len(ids)


def test_builders_return_new_feedbacks():
    """`.on()` and `.aggregate()` leave the original feedback unchanged."""
    f = Feedback(overlap)
    g = f.on_input()
    h = g.aggregate(statistics.median)
    assert {} == f.selectors
    assert ["question"] == list(g.selectors)
    assert g.aggregator is None
    assert "median" == h.aggregator.name


def test_aggregator_is_serialised():
    """`aggregate(func)` stores the aggregator in the definition's JSON."""
    f = Feedback(overlap).on_input_output().aggregate(statistics.median)
    dump = f.model_dump()
    assert "median" == dump["aggregator"]["name"]
    assert {"question": "__record__.main_input", "context": "__record__.main_output"} == dump[
        "selectors"
    ]


def test_feedback_round_trips_as_feedback_definition():
    """A feedback's JSON validates as a FeedbackDefinition with the same selectors and id."""
    f = (
        Feedback(overlap, name="rel")
        .on(Select.RecordCalls.retrieve.args.query)
        .on(Select.RecordCalls.retrieve.rets[:])
    )
    loaded = FeedbackDefinition.model_validate(json.loads(f.model_dump_json()))
    assert f.selectors == loaded.selectors
    assert f.feedback_definition_id == loaded.feedback_definition_id
    assert "rel" == loaded.name


def test_feedback_is_hashable_by_id():
    """A feedback keys a dict; equal definitions find the same entry."""
    f = Feedback(overlap).on_input_output()
    assert {f: 1}[f] == 1
    assert hash(f) == hash(f.feedback_definition_id)


# -------------------------------------------------------------------- builders


def test_on_unknown_name_raises_listing_parameters():
    """`.on(foo=...)` with a name that is not a parameter raises at once, listing the parameters."""
    with pytest.raises(SelectorError) as info:
        Feedback(overlap).on(querry=Select.RecordInput)
    assert isinstance(info.value, ValueError)
    assert "`querry` is not a parameter" in str(info.value)
    assert "`question`, `context`" in str(info.value)


def test_on_accepts_any_name_when_implementation_takes_kwargs():
    """An implementation with `**kwargs` accepts any selector name."""
    f = Feedback(lambda **kw: 1.0).on(anything=Select.RecordInput)
    assert ["anything"] == list(f.selectors)


def test_positional_past_last_parameter_raises_type_error():
    """More positional lenses than parameters raises TypeError (§6.2 message)."""
    with pytest.raises(TypeError) as info:
        Feedback(lambda text: 1.0).on_input_output()
    assert "has no more inputs" in str(info.value)


def test_on_rejects_non_lens():
    """A selector that is neither a Lens nor its string form is refused, naming its type."""
    with pytest.raises(SelectorError, match="of type `int`"):
        Feedback(overlap).on(question=3)


def test_on_accepts_lens_strings():
    """A selector given as a string is parsed as a lens."""
    f = Feedback(overlap).on(question="__record__.main_input")
    assert Select.RecordInput == f.selectors["question"]


def test_announcements_go_to_logger_not_stdout(caplog, capsys):
    """The "✅ In <name>, input <param> will be set to ..." lines are logged at INFO, never printed."""
    with caplog.at_level(logging.INFO, logger="spyglass.core.feedback._feedback"):
        Feedback(overlap, name="rel").on_input()
    assert [
        "✅ In rel, input question will be set to __record__.main_input or `Select.RecordInput` ."
    ] == [r.getMessage() for r in caplog.records]
    assert "" == capsys.readouterr().out


def test_on_default_one_and_two_parameters():
    """on_default: one parameter gets the output; two get input then output."""
    assert {"text": Select.RecordOutput} == Feedback(lambda text: 1.0).on_default().selectors
    assert {"question": Select.RecordInput, "context": Select.RecordOutput} == (
        Feedback(overlap).on_default().selectors
    )


def test_on_default_with_three_parameters_raises():
    """on_default cannot guess three parameters and says what to do."""
    with pytest.raises(SelectorError, match="3 parameters are not selected"):
        Feedback(lambda a, b, c: 1.0).on_default()


def test_aggregate_needs_an_argument():
    """aggregate() with neither a function nor combinations raises ValueError."""
    with pytest.raises(ValueError, match="aggregation function"):
        Feedback(overlap).aggregate()


def test_call_forwards_to_implementation():
    """Calling a feedback calls its implementation."""
    assert 1.0 == Feedback(overlap)("paris", "Paris")


# -------------------------------------------------------------- return values


def test_number_and_meta_pair():
    """An implementation returning (number, dict) keeps the dict as the call's meta."""
    f = Feedback(lambda text: (0.25, {"reason": "short"})).on_output()
    result = f.run(record=one_retrieval())
    assert 0.25 == result.result
    assert {"reason": "short"} == result.calls[0].meta


def test_int_result_becomes_float():
    """An int result is a float in the result."""
    result = Feedback(lambda text: 1).on_output().run(record=one_retrieval())
    assert (DONE, 1.0) == (result.status, result.result)


def test_dict_result_goes_to_multi_result():
    """A dict of numbers is aggregated per key into multi_result; each call's ret is the dict's mean."""
    result = Feedback(lambda text: {"x": 0.1, "y": 0.3}).on_output().run(record=one_retrieval())
    assert DONE == result.status
    assert {"x": 0.1, "y": 0.3} == json.loads(result.multi_result)
    assert pytest.approx(0.2) == result.calls[0].ret
    assert math.isnan(result.result)


def test_non_number_result_fails_with_message():
    """A result that is not a number, pair or dict fails, naming what was returned."""
    result = Feedback(lambda text: "bad").on_output().run(record=one_retrieval())
    assert FAILED == result.status
    assert "returned `'bad'` of type `str`" in result.error


def test_raising_implementation_fails_with_traceback_and_inputs():
    """An implementation that raises gives `failed` with the traceback and the inputs; run() does not raise."""

    def boom(text: str) -> float:
        raise ZeroDivisionError("no judge today")

    result = Feedback(boom).on_output().run(record=one_retrieval())
    assert FAILED == result.status
    assert "Traceback" in result.error
    assert "ZeroDivisionError: no judge today" in result.error
    assert "Evaluation of boom failed on inputs:\n{'text': 'Paris is in France.'}" in result.error


def test_failing_aggregator_fails():
    """An aggregator that raises gives `failed` naming the values."""

    def agg(values):
        raise RuntimeError("agg broke")

    result = (
        Feedback(lambda doc: 1.0)
        .on(Select.RecordCalls.retrieve.rets[:])
        .aggregate(agg)
        .run(record=one_retrieval())
    )
    assert FAILED == result.status
    assert "agg broke" in result.error


def test_skip_eval_skips_combinations():
    """SkipEval skips one combination; the aggregate is over the rest."""

    def even_only(doc: str) -> float:
        n = int(doc[1:])
        if n % 2:
            raise SkipEval(f"{doc} is odd")
        return float(n)

    result = (
        Feedback(even_only).on(Select.RecordCalls.retrieve.rets[:]).run(record=three_retrievals())
    )
    assert DONE == result.status
    assert [0.0, 2.0, 4.0] == rets_of(result)
    assert 2.0 == result.result


def test_all_skipped_is_skipped_with_reasons():
    """When every combination is skipped the result is `skipped`, with the reasons."""

    def never(doc: str) -> float:
        raise SkipEval("not today")

    result = Feedback(never).on(Select.RecordCalls.retrieve.rets[:]).run(record=one_retrieval())
    assert SKIPPED == result.status
    assert "all 3 evaluation(s) were skipped: not today" in result.error
    assert result.result is None


def test_statuses_travel_as_values_inside_the_evaluation():
    """Each step of an evaluation returns its value or an Outcome that ends it; none raises."""
    assert not hasattr(_eval, "Failed")
    bad = _eval.interpret("bad")
    assert isinstance(bad, _eval.Outcome) and FAILED == bad.status
    assert (2.0, {"why": "x"}) == _eval.interpret((2, {"why": "x"}))
    assert isinstance(_eval.aggregate(lambda v: "nan?", [1.0]), _eval.Outcome)
    never = Feedback(lambda doc: 1.0, if_missing="ignore").on(Select.RecordCalls.nothing.rets)
    missing = _eval.select_values(never, {}, {})
    assert isinstance(missing, _eval.Outcome) and SKIPPED == missing.status
    zipped = Feedback(lambda a, b: 1.0).on(a=Select.RecordInput, b=Select.RecordOutput)
    uneven = _eval.combine(zipped.aggregate(combinations="zip"), {"a": [1, 2], "b": [1]})
    assert isinstance(uneven, _eval.Outcome) and "different numbers" in uneven.error


# ------------------------------------------------------------- missing values


def test_selector_selecting_nothing_fails_naming_the_step():
    """A selector that selects nothing gives `failed` (if_missing=error) naming the empty step."""
    record = rag_record([("q", [])])
    result = Feedback(lambda doc: 1.0).on(Select.RecordCalls.retrieve.rets[:]).run(record=record)
    assert FAILED == result.status
    assert (
        "Selector for argument `doc`, `Select.RecordCalls.retrieve.rets[:]`, selected nothing"
        in result.error
    )
    assert "step `[:]`" in result.error
    assert "an empty list" in result.error


def test_selector_with_wrong_name_fails_with_did_you_mean():
    """A selector naming a missing component fails with the lens error: failing step and closest name."""
    result = (
        Feedback(lambda q: 1.0)
        .on(Select.RecordCalls.retreive.args.query)
        .run(record=one_retrieval())
    )
    assert FAILED == result.status
    assert "retreive" in result.error
    assert "retrieve" in result.error.split("retreive", 1)[1]


def test_if_missing_warn_skips_and_logs(caplog):
    """if_missing=warn gives `skipped` and logs the reason at WARNING."""
    record = rag_record([("q", [])])
    f = Feedback(lambda doc: 1.0, if_missing=FeedbackOnMissingParameters.WARN).on(
        Select.RecordCalls.retrieve.rets[:]
    )
    with caplog.at_level(logging.WARNING, logger="spyglass.core.feedback._feedback"):
        result = f.run(record=record)
    assert SKIPPED == result.status
    assert "selected nothing" in result.error
    assert any("selected nothing" in r.getMessage() for r in caplog.records)


def test_if_missing_ignore_skips_quietly(caplog):
    """if_missing=ignore gives `skipped` with the reason and logs nothing."""
    record = rag_record([("q", [])])
    f = Feedback(lambda doc: 1.0, if_missing="ignore").on(Select.RecordCalls.retrieve.rets[:])
    with caplog.at_level(logging.WARNING, logger="spyglass.core.feedback._feedback"):
        result = f.run(record=record)
    assert SKIPPED == result.status
    assert "selected nothing" in result.error
    assert [] == caplog.records


def test_if_exists_selecting_nothing_skips():
    """A feedback whose if_exists lens selects nothing is `skipped`, saying why."""
    f = Feedback(lambda text: 1.0, if_exists=Select.RecordCalls.llm.generate).on_output()
    result = f.run(record=one_retrieval())
    assert SKIPPED == result.status
    assert "if_exists" in result.error


def test_unselected_required_parameter_fails():
    """A required parameter with no selector and no value fails, naming it."""
    result = Feedback(overlap).on_input().run(record=one_retrieval())
    assert FAILED == result.status
    assert "`context`" in result.error and "no selector" in result.error


# ------------------------------------------------------------------ run inputs


def test_kwargs_override_selectors():
    """run(param=value) replaces that parameter's selected values."""
    result = Feedback(overlap).on_input_output().run(record=one_retrieval(), context="where paris")
    assert [{"question": "Where is Paris?", "context": "where paris"}] == args_of(result)


def test_run_with_unknown_kwarg_raises():
    """run() with a keyword that is no parameter raises TypeError naming it."""
    with pytest.raises(TypeError, match="`nope`"):
        Feedback(overlap).on_input_output().run(record=one_retrieval(), nope=1)


def test_app_selectors_read_app_json():
    """Selectors on `Select.App` read the app's JSON."""
    f = Feedback(lambda name: float(len(name))).on(Select.App.app_name)
    result = f.run(app={"app_name": "demo"}, record=one_retrieval())
    assert [{"name": "demo"}] == args_of(result)


def test_source_data_selectors():
    """Selectors on other top-level keys read the given source data."""
    f = Feedback(lambda x: float(x)).on(Lens().extra.value)
    assert 3.0 == f.run(source_data={"extra": {"value": 3}}).result


def test_result_carries_ids():
    """A result names its record, its definition and the feedback."""
    record = one_retrieval()
    f = Feedback(lambda text: 1.0, name="n").on_output()
    result = f.run(record=record)
    assert (record.record_id, f.feedback_definition_id, "n") == (
        result.record_id,
        result.feedback_definition_id,
        result.name,
    )


# ------------------------------------------------------------- stored feedbacks


def test_a_stored_feedback_runs_again_when_its_module_is_allowed() -> None:
    """FeedbackDefinition.load(json, allowed_modules=[module]) gives a Feedback that runs,
    with its stored aggregator."""
    data = Feedback(stored.overlap, agg=stored.lowest).on_input().on_output().model_dump()

    loaded = FeedbackDefinition.load(data, allowed_modules=["_stored_feedbacks"])

    assert isinstance(loaded, Feedback)
    assert (stored.overlap, stored.lowest) == (loaded.imp, loaded.agg)
    assert data["feedback_definition_id"] == loaded.feedback_definition_id
    result = loaded.run(source_data={"__record__": {"main_input": "a b", "main_output": "a"}})
    assert (FeedbackResultStatus.DONE, 0.5) == (result.status, result.result)


def test_a_stored_feedback_whose_module_is_not_allowed_says_how_to_load_it() -> None:
    """Without its module allowed, a stored feedback fails with a result naming the module
    and the argument to pass; it never imports the module."""
    data = Feedback(stored.overlap).on_input().on_output().model_dump()

    loaded = FeedbackDefinition.load(data)

    result = loaded.run(source_data={"__record__": {"main_input": "a", "main_output": "a"}})
    assert FeedbackResultStatus.FAILED == result.status
    assert "allowed_modules" in result.error and "_stored_feedbacks" in result.error
