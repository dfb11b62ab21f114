"""The store's tables, as SQLAlchemy Core tables named with the session's prefix.

Every name carries the prefix (``spyglass_`` by default), Alembic's version table
included (:func:`version_table`), so that spyglass never reads or writes another
tool's tables in a shared database. The layout is the head of the migrations in
``migrations/versions``; a change here comes with a new revision there.

| table | one row per |
| --- | --- |
| ``<prefix>apps`` | app definition (``AppDefinition`` JSON) |
| ``<prefix>feedback_defs`` | feedback definition |
| ``<prefix>records`` | record: main input/output, cost and latency columns, the full JSON |
| ``<prefix>calls`` | call of a record: path, method, start, end, error (a view over ``record_json``) |
| ``<prefix>feedbacks`` | feedback result, pending ones included, with their claim (worker, lease) |
| ``<prefix>feedback_repeats`` | ``(record_id, name)`` with more than one feedback result |
"""

from __future__ import annotations

import functools
import json
from typing import Any

from ._deps import sqlalchemy as sa

__all__ = ["JSONType", "Tables", "mark_repeats", "tables", "version_table"]

# JSONB where the engine has it; SQLite stores JSON as text.
JSONType: Any = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
ID = sa.String(256)
PENDING = "status IN ('none', 'running')"
"""Which feedback results ``ix_feedbacks_status`` holds."""


def version_table(prefix: str) -> str:
    """The name of Alembic's version table for this prefix."""
    return f"{prefix}alembic_version"


class Tables:
    """The tables of one prefix (``tables.apps``, ``tables.records``, ...)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.metadata = metadata = sa.MetaData()
        p = prefix
        self.apps = sa.Table(
            f"{p}apps",
            metadata,
            sa.Column("app_id", ID, primary_key=True),
            sa.Column("app_name", sa.String(256), nullable=False),
            sa.Column("app_version", sa.String(256), nullable=False),
            sa.Column("app_json", JSONType, nullable=False),
        )
        self.feedback_defs = sa.Table(
            f"{p}feedback_defs",
            metadata,
            sa.Column("feedback_definition_id", ID, primary_key=True),
            sa.Column("name", sa.String(256), nullable=False),
            sa.Column("feedback_json", JSONType, nullable=False),
            sa.Column("run_location", sa.String(32)),
        )
        self.records = sa.Table(
            f"{p}records",
            metadata,
            sa.Column("record_id", ID, primary_key=True),
            sa.Column(
                "app_id",
                ID,
                sa.ForeignKey(f"{p}apps.app_id", ondelete="CASCADE"),
                nullable=False,
            ),
            sa.Column("input", sa.Text),  # JSON text of main_input
            sa.Column("output", sa.Text),  # JSON text of main_output
            sa.Column("error", sa.Text),
            sa.Column("tags", sa.Text),
            sa.Column("ts", sa.DateTime, nullable=False),
            sa.Column("latency", sa.Float),
            sa.Column("total_tokens", sa.Integer),
            sa.Column("total_cost", sa.Float),
            sa.Column("cost_currency", sa.String(16)),
            sa.Column("record_json", JSONType, nullable=False),
            sa.Index(f"{p}ix_records_app_ts", "app_id", "ts"),
            sa.Index(f"{p}ix_records_ts", "ts"),
            # Covers the leaderboards: their scans read this index, not the records' JSON.
            sa.Index(f"{p}ix_records_stats", "app_id", "latency", "total_cost", "total_tokens"),
        )
        # A view (migration 0003 creates it), read from the records' JSON: described
        # here for queries only, in metadata of its own that creates and drops nothing.
        self.calls = sa.Table(
            f"{p}calls",
            sa.MetaData(),
            sa.Column("record_id", ID),
            sa.Column("idx", sa.Integer),
            sa.Column("path", sa.Text),
            sa.Column("method", sa.String(256)),
            sa.Column("start_time", sa.DateTime),
            sa.Column("end_time", sa.DateTime),
            sa.Column("error", sa.Text),
        )
        self.feedbacks = sa.Table(
            f"{p}feedbacks",
            metadata,
            sa.Column("feedback_result_id", ID, primary_key=True),
            sa.Column(
                "record_id",
                ID,
                sa.ForeignKey(f"{p}records.record_id", ondelete="CASCADE"),
                nullable=False,
            ),
            sa.Column("feedback_definition_id", ID),
            # The record's app, copied here so the leaderboard reads this table alone.
            sa.Column("app_id", ID),
            sa.Column("name", sa.String(256), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("result", sa.Float),
            sa.Column("multi_result", sa.Text),
            sa.Column("error", sa.Text),
            sa.Column("calls_json", JSONType),
            sa.Column("cost_json", JSONType),
            sa.Column("last_ts", sa.DateTime, nullable=False),
            sa.Column("worker", sa.String(256)),
            sa.Column("lease_until", sa.DateTime),
            sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
            # Covers the per-record means of the leaderboard and the records' feedback columns.
            sa.Index(f"{p}ix_feedbacks_record", "record_id", "name", "result"),
            # The evaluators' claims: only results still pending or running (0003).
            sa.Index(
                f"{p}ix_feedbacks_status",
                "status",
                "lease_until",
                sqlite_where=sa.text(PENDING),
                postgresql_where=sa.text(PENDING),
            ),
            # Records sorted by a feedback's score; the distinct feedback names.
            sa.Index(f"{p}ix_feedbacks_name", "name", "result", "record_id"),
            # Covers the leaderboards' feedback means: one flat grouped scan.
            sa.Index(f"{p}ix_feedbacks_scores", "app_id", "name", "result"),
        )
        # (record_id, name) pairs with more than one result, marked by the writer
        # (mark_repeats): the leaderboard corrects its flat sums for these records,
        # whose score is the mean of their results.
        self.feedback_repeats = sa.Table(
            f"{p}feedback_repeats",
            metadata,
            sa.Column("record_id", ID, primary_key=True),
            sa.Column("name", sa.String(256), primary_key=True),
        )

    def all(self) -> list[sa.Table]:
        """Every table, parents first (not the calls view)."""
        return [self.apps, self.feedback_defs, self.records, self.feedbacks, self.feedback_repeats]


@functools.cache
def tables(prefix: str) -> Tables:
    """The tables for ``prefix`` (one object per prefix)."""
    return Tables(prefix)


def mark_repeats(conn: sa.engine.Connection, t: Tables, pairs: list[tuple[str, str]]) -> None:
    """Mark those ``(record_id, name)`` pairs, of feedback results just written, that now
    have more than one result in ``feedback_repeats``; called in the transaction that
    wrote the results, after writing.

    One statement per batch: for each distinct pair, the results of that record and
    name are counted in ``ix_feedbacks_record`` (a correlated count on the index's
    leading columns, which every plan makes an index lookup: a set-based ``IN`` over
    the batch's records let PostgreSQL's planner pick, at some table sizes, plans that
    took seconds per batch). The pairs travel as one array per column (PostgreSQL) or
    one JSON array (SQLite): a short statement, the same for every batch. A few
    microseconds per result, where a trigger on every inserted row doubled the cost of
    inserting results on SQLite.

    On PostgreSQL, two transactions that each insert a result of the same record and
    feedback at the same moment do not see each other's row, and the pair stays
    unmarked: the leaderboard then counts that record's two results as two records'.
    Results of one record are otherwise written by one writer (pending results come
    with their record; evaluators update those rows in place).
    """
    if not pairs:
        return
    f, m = t.feedbacks.name, t.feedback_repeats.name
    distinct = sorted(set(pairs))
    counted = (
        f"(SELECT count(*) FROM {f} AS f WHERE f.record_id = b.record_id AND f.name = b.name) > 1"
    )
    if conn.dialect.name == "postgresql":
        sql = (
            f"INSERT INTO {m} (record_id, name) SELECT b.record_id, b.name "
            "FROM unnest(%b::TEXT[], %b::TEXT[]) AS b(record_id, name) "
            f"WHERE {counted} ON CONFLICT DO NOTHING"
        )
        params: Any = ([p[0] for p in distinct], [p[1] for p in distinct])
    else:
        sql = (
            f"INSERT INTO {m} (record_id, name) SELECT b.record_id, b.name FROM ("
            "SELECT json_extract(value, '$[0]') AS record_id, "
            "json_extract(value, '$[1]') AS name FROM json_each(?)) AS b "
            f"WHERE {counted} ON CONFLICT DO NOTHING"
        )
        params = (json.dumps(distinct),)
    conn.exec_driver_sql(sql, params)
