"""A TruLens quickstart, run on spyglass's store: SQLite (the default file) and PostgreSQL."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from spyglass.adapters.custom import TruApp, instrument
from spyglass.adapters.langchain import TruChain
from spyglass.core import Feedback, FeedbackResultStatus, TruSession
from spyglass.core.sinks import set_current_store


class RAG:
    """A custom app: retrieve, then answer."""

    @instrument
    def retrieve(self, query: str) -> list[str]:
        return [f"{query} is in the docs", "more context"]

    @instrument
    def respond(self, query: str) -> str:
        context = self.retrieve(query)
        return f"{query}: {len(context)} passages"


def answer_length(response: str) -> float:
    """A cheap feedback: the answer's length over 100, at most 1."""
    return min(1.0, len(response) / 100)


def _quickstart(session: TruSession) -> None:
    session.reset_database()
    length = Feedback(answer_length, name="length").on_output()

    rag = RAG()
    custom = TruApp(rag, app_name="rag", app_version="v1", feedbacks=[length])
    with custom as recording:
        rag.respond("spyglass")
        rag.respond("trulens")
    assert 2 == len(recording.records)

    prompt = ChatPromptTemplate.from_messages([("human", "{question}")])
    chain = prompt | FakeListChatModel(responses=["Paris, of course."]) | StrOutputParser()
    tru_chain = TruChain(chain, app_name="chain", app_version="v1", feedbacks=[length])
    with tru_chain:
        assert "Paris, of course." == chain.invoke({"question": "Capital of France?"})

    assert session.flush(30)
    board = session.get_leaderboard()
    assert {("rag", "v1"), ("chain", "v1")} == set(board.index)
    assert 2 == board.loc[("rag", "v1"), "records"]
    assert 1 == board.loc[("chain", "v1"), "records"]
    assert pytest.approx(len("Paris, of course.") / 100) == board.loc[("chain", "v1"), "length"]
    assert ["length", "latency", "total_cost", "records"] == list(board.columns)

    frame, names = session.get_records_and_feedback()
    assert ["length"] == names
    assert 3 == len(frame)
    by_input = {
        row.input if isinstance(row.input, str) else "chain": row for row in frame.itertuples()
    }
    assert pytest.approx(len("spyglass: 2 passages") / 100) == by_input["spyglass"].length
    for column in (
        "app_id",
        "app_name",
        "app_version",
        "record_id",
        "input",
        "output",
        "tags",
        "record_json",
        "cost_json",
        "perf_json",
        "ts",
        "latency",
        "total_tokens",
        "total_cost",
        "length_calls",
    ):
        assert column in frame.columns

    record_id = by_input["spyglass"].record_id
    session.add_feedback(name="Human", record_id=record_id, app_id=custom.app_id, result=0.5)
    board = session.get_leaderboard()
    assert 0.5 == board.loc[("rag", "v1"), "Human"]
    results = session.get_feedback_results(record_id=record_id)
    assert {("length", FeedbackResultStatus.DONE), ("Human", FeedbackResultStatus.DONE)} == {
        (r.name, r.status) for r in results
    }
    records = session.get_records(app_ids=[custom.app_id])
    assert {"spyglass", "trulens"} == {r.main_input for r in records}
    assert {"rag", "chain"} == {app["app_name"] for app in session.get_apps()}


def test_quickstart_on_the_default_sqlite_file(tmp_path, monkeypatch) -> None:
    """TruSession() opens ./default.sqlite; the whole quickstart works on it."""
    monkeypatch.chdir(tmp_path)
    session = TruSession()
    try:
        _quickstart(session)
        assert (tmp_path / "default.sqlite").exists()
    finally:
        session.close()
        set_current_store(None)


def test_quickstart_on_postgresql(postgres_url: str) -> None:
    """The same quickstart on PostgreSQL."""
    session = TruSession(database_url=postgres_url)
    try:
        _quickstart(session)
    finally:
        session.close()
        set_current_store(None)


def _fails(response: str) -> float:
    raise ValueError("the judge is down")


def test_run_feedback_functions_evaluates_a_stored_record(session: TruSession) -> None:
    """`run_feedback_functions` runs feedbacks on a record: results as they finish with
    `wait=True` (the default), futures without; a failing feedback gives a failed result."""
    rag = RAG()
    with TruApp(rag, app_name="rerun") as recording:
        rag.respond("What is the capital of France?")
    record = recording.get()
    length = Feedback(answer_length, name="length").on_output()
    broken = Feedback(_fails, name="broken").on_output()

    results = {r.name: r for r in session.run_feedback_functions(record, [length, broken])}
    assert {"length", "broken"} == set(results)
    assert FeedbackResultStatus.DONE == results["length"].status
    assert answer_length(record.main_output) == results["length"].result
    assert FeedbackResultStatus.FAILED == results["broken"].status
    assert "the judge is down" in (results["broken"].error or "")

    futures = list(session.run_feedback_functions(record, [length], wait=False))
    assert [answer_length(record.main_output)] == [f.result(timeout=30).result for f in futures]
