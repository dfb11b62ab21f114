"""VirtualApp, VirtualRecord and TruVirtual (as TruLens 1.x)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from spyglass.adapters.custom import TruVirtual, VirtualApp, VirtualRecord
from spyglass.core import Cost, Feedback, FeedbackMode, FeedbackResultStatus, Lens, Perf, Select
from spyglass.core.plugins._manager import wrap_app

CONTEXT = Select.RecordCalls.retriever.get_context


def record_with_context() -> VirtualRecord:
    return VirtualRecord(
        main_input="Where is Germany?",
        main_output="Germany is in Europe.",
        calls={
            CONTEXT: {
                "args": ["Where is Germany?"],
                "rets": ["Germany is a country in Europe.", "It borders France."],
            },
            Select.RecordCalls.llm.generate: [
                {"args": ["first"], "rets": "one"},
                {"args": ["second"], "rets": "two"},
            ],
        },
    )


# --------------------------------------------------------------------------- VirtualApp


def test_virtual_app_lens_key_sets_nested_value_without_record_and_app() -> None:
    """`va[Select.RecordCalls.llm.maxtokens] = 1024` gives {'llm': {'maxtokens': 1024}}."""
    va = VirtualApp()
    va[Select.RecordCalls.llm.maxtokens] = 1024
    assert {"llm": {"maxtokens": 1024}} == dict(va)


def test_virtual_app_plain_keys_and_lens_reads() -> None:
    """Plain keys work as in a dict; a lens key reads the value back."""
    va = VirtualApp(name="offline")
    va[Select.App.app.llm.model] = "m1"
    assert "offline" == va["name"]
    assert "m1" == va[Select.RecordCalls.llm.model]


def test_virtual_app_select_context() -> None:
    """VirtualApp.select_context() is Select.RecordCalls.retriever.get_context.rets[:]."""
    assert CONTEXT.rets[:] == VirtualApp().select_context()


# --------------------------------------------------------------------------- VirtualRecord


def test_virtual_record_defaults() -> None:
    """Without fields, a virtual record has TruLens's placeholder texts and a zero Cost."""
    record = VirtualRecord(calls={})
    assert "No main_input provided." == record.main_input
    assert "No main_output provided." == record.main_output
    assert "No app_id provided." == record.app_id
    assert Cost() == record.cost


def test_virtual_record_lays_calls_out_at_their_paths() -> None:
    """Each call is selectable at its path; the root call is last and at top-level `root`."""
    record = record_with_context()
    assert ["Germany is a country in Europe.", "It borders France."] == record.get(CONTEXT.rets)
    assert ["one", "two"] == list(
        Select.RecordCalls.llm.generate.rets.get({"__record__": record.layout_calls_as_app()})
    )
    root = record.calls[-1]
    assert ["Where is Germany?"] == root.args
    assert ["Germany is in Europe."] == root.rets
    assert Lens() == root.top.path
    assert "root" == root.top.method.name
    assert [root] == record.layout_calls_as_app()["root"]


def test_virtual_call_stack_is_root_then_the_method() -> None:
    """A virtual call's stack is [root, (app.<path>, <method>)]."""
    record = record_with_context()
    call = next(c for c in record.calls if c.top.method.name == "get_context")
    assert ["root", "get_context"] == [frame.method.name for frame in call.stack]
    assert Lens().app.retriever == call.top.path


def test_virtual_calls_end_in_order_inside_the_record_perf() -> None:
    """Generated call times are ordered, inside the record's perf, with the root ending last."""
    start = datetime(2024, 1, 1, 12, 0, 0)
    perf = Perf(start_time=start, end_time=start + timedelta(seconds=1))
    record = VirtualRecord(
        calls={CONTEXT: [{"rets": ["a"]}, {"rets": ["b"]}]}, perf=perf, main_input="q"
    )
    ends = [call.perf.end_time for call in record.calls]
    assert sorted(ends) == ends
    assert record.calls[-1].perf == record.perf
    assert all(start <= end <= perf.end_time for end in ends)


def test_virtual_record_accepts_string_lenses_and_explicit_fields() -> None:
    """A string key parses as a lens; explicit fields are kept."""
    record = VirtualRecord(
        calls={"__record__.app.retriever.get_context": {"rets": ["x"]}},
        main_input="q",
        cost=Cost(n_requests=2),
        meta={"source": "log"},
    )
    assert ["x"] == record.get(CONTEXT.rets)
    assert 2 == record.cost.n_requests
    assert {"source": "log"} == record.meta


def test_virtual_record_rejects_a_call_that_is_not_a_dict() -> None:
    """A call given as something other than a dict is a TypeError naming the path."""
    with pytest.raises(TypeError, match="get_context"):
        VirtualRecord(calls={CONTEXT: ["just a string"]})


# --------------------------------------------------------------------------- TruVirtual


def test_add_record_sets_the_app_id() -> None:
    """add_record makes the record the recorder's own."""
    recorder = TruVirtual(app=VirtualApp(), app_name="offline", app_version="1")
    record = recorder.add_record(record_with_context())
    assert recorder.app_id == record.app_id


def test_add_record_runs_feedbacks_like_a_recorded_record() -> None:
    """Feedbacks on a virtual record's context run and give one result per feedback."""

    def context_words(question: str, context: str) -> float:
        return 1.0 if set(question.lower().split()) & set(context.lower().split()) else 0.0

    feedback = Feedback(context_words, name="overlap").on_input().on(CONTEXT.rets[:]).aggregate(max)
    recorder = TruVirtual(
        app=VirtualApp(), feedbacks=[feedback], feedback_mode=FeedbackMode.WITH_APP
    )
    record = recorder.add_record(
        VirtualRecord(
            main_input="where is germany",
            main_output="Europe",
            calls={CONTEXT: {"rets": ["Germany is in Europe", "cats"]}},
        )
    )
    results = record.wait_for_feedback_results()
    [(definition, result)] = results.items()
    assert "overlap" == definition.name
    assert FeedbackResultStatus.DONE == result.status
    assert 1.0 == result.result


def test_add_record_feedback_mode_override_none_runs_nothing() -> None:
    """feedback_mode=NONE on add_record runs no feedback for that record."""
    feedback = Feedback(lambda text: 1.0, name="one").on_output()
    recorder = TruVirtual(app=VirtualApp(), feedbacks=[feedback])
    record = recorder.add_record(record_with_context(), feedback_mode=FeedbackMode.NONE)
    assert {} == record.wait_for_feedback_results()


def test_truvirtual_takes_a_dict_and_defaults_to_an_empty_app() -> None:
    """A dict becomes a VirtualApp; no app gives an empty one."""
    assert isinstance(TruVirtual(app={"llm": {"model": "m"}}).app, VirtualApp)
    assert {} == dict(TruVirtual().app)


def test_truvirtual_refuses_selector_checking() -> None:
    """selector_nocheck=False is a ValueError: there is nothing to check selectors against."""
    with pytest.raises(ValueError, match="selector_nocheck"):
        TruVirtual(app=VirtualApp(), selector_nocheck=False)


def test_truvirtual_refuses_an_app_that_is_not_a_dict() -> None:
    """An app that is not a dict or VirtualApp is a TypeError naming its type."""
    with pytest.raises(TypeError, match="list"):
        TruVirtual(app=[1, 2])  # type: ignore[arg-type]


def test_add_dataframe_like_rows_become_records() -> None:
    """Rows with query/response/contexts become records with the contexts as retriever rets."""
    recorder = TruVirtual()
    rows = [
        {"query": "q1", "response": "r1", "contexts": ["c1", "c2"]},
        {"query": "q2", "response": "r2"},
    ]
    records = recorder.add_dataframe(rows)
    assert ["q1", "q2"] == [r.main_input for r in records]
    assert ["c1", "c2"] == records[0].get(CONTEXT.rets)
    assert [recorder.app_id] * 2 == [r.app_id for r in records]


def test_add_dataframe_names_the_missing_columns() -> None:
    """A row without query/response is a ValueError naming the columns."""
    with pytest.raises(ValueError, match="query"):
        TruVirtual().add_dataframe([{"question": "q"}])


def test_wrap_app_on_a_virtual_app_gives_truvirtual() -> None:
    """wrap_app(VirtualApp()) picks TruVirtual."""
    assert isinstance(wrap_app(VirtualApp()), TruVirtual)


def test_select_context_of_a_virtual_app() -> None:
    """TruVirtual.select_context(virtual_app) answers through the custom adapter."""
    assert CONTEXT.rets[:] == TruVirtual.select_context(VirtualApp())
