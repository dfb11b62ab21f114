"""Indexes for the reading queries at 100,000 records, and the repeated-feedback marks.

- ``ix_records_stats`` covers ``total_tokens`` too (the dashboard's leaderboard sums it):
  ``(app_id, latency, total_cost, total_tokens)``.
- ``ix_feedbacks_scores`` ``(app_id, name, result)`` replaces ``ix_feedbacks_board``
  (which also held the record id): the leaderboard's means are one flat, grouped scan
  of it.
- ``ix_feedbacks_name`` becomes ``(name, result, record_id)``: the records page sorted
  by a feedback's score reads it in order; the list of feedback names skips along it.
- ``<prefix>feedback_repeats``: one row per ``(record_id, name)`` that has more than one
  feedback result (human feedback given twice, a feedback run again), marked by the
  writer in the transaction that inserts the second one
  (:func:`spyglass.store._tables.mark_repeats`). A record's score is the mean of its
  results, and the leaderboard averages those per-record scores: it sums the flat scan
  and corrects it for these few records only, instead of grouping every result by
  record. Existing repeats are marked here.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(256)


def upgrade() -> None:
    """Swap the indexes, create the repeats table, mark the existing repeats."""
    p = context.config.attributes["prefix"]
    records, feedbacks, repeats = f"{p}records", f"{p}feedbacks", f"{p}feedback_repeats"
    op.drop_index(f"{p}ix_records_stats", table_name=records)
    op.create_index(
        f"{p}ix_records_stats", records, ["app_id", "latency", "total_cost", "total_tokens"]
    )
    op.drop_index(f"{p}ix_feedbacks_board", table_name=feedbacks)
    op.create_index(f"{p}ix_feedbacks_scores", feedbacks, ["app_id", "name", "result"])
    op.drop_index(f"{p}ix_feedbacks_name", table_name=feedbacks)
    op.create_index(f"{p}ix_feedbacks_name", feedbacks, ["name", "result", "record_id"])
    op.create_table(
        repeats,
        sa.Column("record_id", ID, primary_key=True),
        sa.Column("name", sa.String(256), primary_key=True),
    )
    op.execute(
        f"INSERT INTO {repeats} (record_id, name) SELECT record_id, name FROM {feedbacks} "
        "GROUP BY record_id, name HAVING count(*) > 1"
    )


def downgrade() -> None:
    """spyglass never downgrades a database; this exists for Alembic's own tooling."""
    p = context.config.attributes["prefix"]
    records, feedbacks = f"{p}records", f"{p}feedbacks"
    op.drop_table(f"{p}feedback_repeats")
    op.drop_index(f"{p}ix_feedbacks_name", table_name=feedbacks)
    op.create_index(f"{p}ix_feedbacks_name", feedbacks, ["name"])
    op.drop_index(f"{p}ix_feedbacks_scores", table_name=feedbacks)
    op.create_index(f"{p}ix_feedbacks_board", feedbacks, ["app_id", "name", "record_id", "result"])
    op.drop_index(f"{p}ix_records_stats", table_name=records)
    op.create_index(f"{p}ix_records_stats", records, ["app_id", "latency", "total_cost"])
