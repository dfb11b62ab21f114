"""The read side: leaderboard means with repeated results, the reader's queries, and
the migrations upgrading a database of revision 0001 in place — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from spyglass.adapters.custom import TruApp, instrument
from spyglass.core import AppDefinition, Class, FeedbackResult, FeedbackResultStatus, Record
from spyglass.core.sinks import set_current_store
from spyglass.store import DatabaseVersionError, RecordFilter, TruSession
from spyglass.store._migrate import _config, head_revision
from spyglass.store._tables import tables

T0 = datetime(2026, 3, 1, 12, 0, 0)
ROOT_CLASS = Class.of_class(dict)


def _app(version: str) -> AppDefinition:
    return AppDefinition(app_name="reads", app_version=version, root_class=ROOT_CLASS)


def _records(app: AppDefinition, n: int) -> list[Record]:
    return [
        Record(
            record_id=f"rec_{app.app_version}_{i}",
            app_id=app.app_id,
            main_input=f"q{i}",
            main_output=f"a{i}",
            ts=T0 + timedelta(seconds=i),
        )
        for i in range(n)
    ]


def _result(record_id: str, name: str, score: float | None, rid: str) -> FeedbackResult:
    status = FeedbackResultStatus.DONE if score is not None else FeedbackResultStatus.NONE
    return FeedbackResult(
        feedback_result_id=rid,
        feedback_definition_id=name,
        record_id=record_id,
        name=name,
        status=status,
        result=score,
    )


def _fill(session: TruSession) -> dict[str, str]:
    """Two versions. v1: three records scored 0.2, 0.4, 1.0 on "q", where the last record
    was scored twice more by hand (1.0, 0.0, 0.5: its score is their mean, 0.5); v2: two
    records scored 0.8 and one pending result."""
    v1, v2 = _app("v1"), _app("v2")
    session.add_app(v1)
    session.add_app(v2)
    r1, r2 = _records(v1, 3), _records(v2, 2)
    session.add_records(r1 + r2)
    session.add_feedbacks(
        [
            _result(r1[0].record_id, "q", 0.2, "f1"),
            _result(r1[1].record_id, "q", 0.4, "f2"),
            _result(r1[2].record_id, "q", 1.0, "f3"),
            _result(r2[0].record_id, "q", 0.8, "f4"),
            _result(r2[1].record_id, "q", 0.8, "f5"),
            _result(r2[1].record_id, "other", None, "f6"),
        ]
    )
    # Human feedback, one at a time (the trigger marks the repeats whichever path inserts).
    session.add_feedback(name="q", record_id=r1[2].record_id, result=0.0)
    session.add_feedback(name="q", record_id=r1[2].record_id, result=0.5)
    return {"v1": v1.app_id, "v2": v2.app_id}


V1_MEAN = (0.2 + 0.4 + 0.5) / 3  # the third record's score is the mean of 1.0, 0.0, 0.5


def test_leaderboard_averages_each_records_mean(session: TruSession) -> None:
    """A record scored several times counts once, with the mean of its scores — the
    same as get_records_and_feedback's column, averaged."""
    _fill(session)
    board = session.get_leaderboard()
    assert V1_MEAN == pytest.approx(board.loc[("reads", "v1"), "q"])
    assert 0.8 == pytest.approx(board.loc[("reads", "v2"), "q"])
    assert [3, 2] == list(board.sort_index()["records"])
    frame, names = session.get_records_and_feedback()
    assert ["other", "q"] == names  # "other" is pending: a column of NaN
    by_app = frame.groupby("app_version")["q"].mean()
    assert by_app["v1"] == pytest.approx(board.loc[("reads", "v1"), "q"])
    # The slow path (grouped per record in SQL) agrees.
    paged = session.get_leaderboard(limit=100)
    assert V1_MEAN == pytest.approx(paged.loc[("reads", "v1"), "q"])


def test_reader_leaderboard_and_records(session: TruSession) -> None:
    """The dashboard's reader: means with intervals over records' scores, counts, sorting
    by a score (a record placed once, by its highest), feedback names."""
    ids = _fill(session)
    reader = session.reader()
    rows = {r["app_version"]: r for r in reader.leaderboard()}
    q1 = rows["v1"]["feedbacks"]["q"]
    assert (3, pytest.approx(V1_MEAN)) == (q1["n"], q1["mean"])
    scores = [0.2, 0.4, 0.5]
    sd = (sum((x - V1_MEAN) ** 2 for x in scores) / 2) ** 0.5
    assert 1.96 * sd / 3**0.5 == pytest.approx(q1["ci"])
    assert 3 == rows["v1"]["records"] and 2 == rows["v2"]["records"]
    assert ["other", "q"] == reader.feedback_names()

    page, total = reader.records(RecordFilter(sort="q", limit=10))
    assert 5 == total
    order = [p["record_id"] for p in page]
    assert "rec_v1_2" == order[0]  # its highest score, 1.0
    assert len(set(order)) == len(order) == 5
    asc, total = reader.records(RecordFilter(sort="q", descending=False, app_id=ids["v1"]))
    assert 3 == total
    assert ["rec_v1_0", "rec_v1_1", "rec_v1_2"] == [p["record_id"] for p in asc]
    newest, total = reader.records(RecordFilter(limit=2))
    assert 5 == total and ["rec_v1_2", "rec_v1_1"] == [p["record_id"] for p in newest]
    assert 2 == sum(reader.distributions(ids["v2"])["q"])
    assert {"done": 7, "none": 1} == reader.evaluation(limit=0)["counts"]


def test_retry_puts_a_failed_result_back(session: TruSession) -> None:
    """retry_feedback_result: only a failed result goes back to pending."""
    _fill(session)
    failed = _result("rec_v2_0", "judge", None, "f_failed").model_copy(
        update={"status": FeedbackResultStatus.FAILED, "error": "boom"}
    )
    session.add_feedbacks([failed])
    assert session.retry_feedback_result("f_failed")
    assert not session.retry_feedback_result("f_failed")  # pending now, not failed
    assert not session.retry_feedback_result("f1")  # done
    (result,) = [r for r in session.get_feedback_results() if r.feedback_result_id == "f_failed"]
    assert FeedbackResultStatus.NONE == result.status and result.error is None


class _Tool:
    @instrument
    def run(self, n: int) -> int:
        if n == 2:
            raise ValueError("two")
        return n


class _Old:
    """An app whose record has calls at two depths, one failing."""

    def __init__(self) -> None:
        self.tool = _Tool()

    @instrument
    def respond(self, n: int) -> int:
        total = 0
        for i in range(n):
            try:
                total += self.tool.run(i)
            except ValueError:
                pass
        return total


def _old_record() -> Record:
    """A record with its calls, stored below as spyglass did before revision 0003: its
    JSON in full (stack frames in place) and a row per call in the calls table."""
    app = _Old()
    with TruApp(app, app_name="old") as recording:
        app.respond(3)
    record = recording.get()
    return record.model_copy(update={"record_id": "r0", "app_id": "a1", "ts": T0})


OLD = _old_record()


@pytest.fixture
def old_database(database_url: str) -> Iterator[str]:
    """A database at revision 0001 holding rows (repeated results included; record r0
    in full with its calls' rows)."""
    engine = sa.create_engine(database_url)
    config = _config("spyglass_")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    t = tables("spyglass_")
    with engine.begin() as conn:
        conn.execute(
            sa.insert(t.apps),
            [{"app_id": "a1", "app_name": "old", "app_version": "v1", "app_json": {}}],
        )
        conn.execute(
            sa.insert(t.records),
            [
                {
                    "record_id": f"r{i}",
                    "app_id": "a1",
                    "ts": T0,
                    "latency": 0.1 * i,
                    "total_tokens": 10,
                    "total_cost": 0.0,
                    "record_json": OLD.model_dump(mode="json") if i == 0 else {},
                }
                for i in range(3)
            ],
        )
        conn.execute(
            sa.text(
                "INSERT INTO spyglass_calls (record_id, idx, path, method, start_time, "
                "end_time, error) VALUES (:record_id, :idx, :path, :method, :start, :end, :error)"
            ),
            [
                {
                    "record_id": "r0",
                    "idx": idx,
                    "path": str(call.top.path),
                    "method": call.top.method.name,
                    "start": call.perf.start_time,
                    "end": call.perf.end_time,
                    "error": call.error,
                }
                for idx, call in enumerate(OLD.calls)
            ],
        )
        conn.execute(
            sa.insert(t.feedbacks),
            [
                {
                    "feedback_result_id": f"f{i}",
                    "record_id": rid,
                    "app_id": "a1",
                    "name": "q",
                    "status": "done",
                    "result": score,
                    "last_ts": T0,
                }
                for i, (rid, score) in enumerate(
                    [("r0", 1.0), ("r1", 0.0), ("r1", 1.0), ("r2", 0.5)]
                )
            ],
        )
    engine.dispose()
    yield database_url


def _calls(session: TruSession, record_id: str) -> list[tuple]:
    c = session._tables.calls
    query = (
        sa.select(c.c.idx, c.c.path, c.c.method, c.c.start_time, c.c.end_time, c.c.error)
        .where(c.c.record_id == record_id)
        .order_by(c.c.idx)
    )
    with session.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def _expected_calls(record: Record) -> list[tuple]:
    return [
        (
            idx,
            str(call.top.path),
            call.top.method.name,
            call.perf.start_time,
            call.perf.end_time,
            call.error,
        )
        for idx, call in enumerate(record.calls)
    ]


def test_migrations_upgrade_a_0001_database_in_place(old_database: str) -> None:
    """Opening a 0001 database says to migrate; migrate_database() brings it to the head
    with its rows: 0002 marks the existing repeats and the leaderboard reads the new
    indexes; 0003 drops the calls table, whose rows the calls view gives back from the
    record's JSON in full, as it does for records stored in the new form."""
    with pytest.raises(DatabaseVersionError, match="older than this spyglass"):
        TruSession(database_url=old_database)
    session = TruSession(database_url=old_database, database_check_revision=False)
    try:
        session.migrate_database()
        assert "0003" == head_revision() == session.reader().revision()
        assert "spyglass_calls" in sa.inspect(session.engine).get_view_names()
        assert 4 == len(OLD.calls) and any(call.error for call in OLD.calls)
        assert _expected_calls(OLD) == _calls(session, "r0")
        stored = session.reader().record("r0")
        assert OLD.model_dump() == Record.model_validate(stored["record_json"]).model_dump()
        inspector = sa.inspect(session.engine)
        indexes = {
            ix["name"]: ix["column_names"] for ix in inspector.get_indexes("spyglass_records")
        }
        assert ["app_id", "latency", "total_cost", "total_tokens"] == indexes[
            "spyglass_ix_records_stats"
        ]
        fb = {ix["name"] for ix in inspector.get_indexes("spyglass_feedbacks")}
        assert "spyglass_ix_feedbacks_scores" in fb and "spyglass_ix_feedbacks_board" not in fb
        with session.engine.connect() as conn:
            marked = conn.execute(sa.text("SELECT record_id, name FROM spyglass_feedback_repeats"))
            assert [("r1", "q")] == marked.all()
        board = session.get_leaderboard()
        assert (1.0 + 0.5 + 0.5) / 3 == pytest.approx(board.loc[("old", "v1"), "q"])
        assert 3 == board.loc[("old", "v1"), "records"]
        (row,) = session.reader().leaderboard()
        assert 30 == row["total_tokens"]
        # New results are marked by the trigger the migration made.
        session.add_feedback(name="q", record_id="r0", result=0.0)
        board = session.get_leaderboard()
        assert (0.5 + 0.5 + 0.5) / 3 == pytest.approx(board.loc[("old", "v1"), "q"])
        session.add_record(OLD.model_copy(update={"record_id": "r_new"}))  # the new form
        assert _expected_calls(OLD) == _calls(session, "r_new")
        with session.engine.connect() as conn:  # the query docs/store.md shows
            failed = conn.exec_driver_sql(
                "SELECT record_id, path, method, error FROM spyglass_calls WHERE error IS NOT NULL"
            ).all()
        assert [("r0", "app.tool", "run", "two"), ("r_new", "app.tool", "run", "two")] == sorted(
            tuple(row) for row in failed
        )
    finally:
        session.close()
        set_current_store(None)
