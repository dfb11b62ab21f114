"""The first schema: apps, feedback definitions, records, their calls, feedback results.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ID = sa.String(256)


def upgrade() -> None:
    """Create the five tables with the session's prefix."""
    p = context.config.attributes["prefix"]
    op.create_table(
        f"{p}apps",
        sa.Column("app_id", ID, primary_key=True),
        sa.Column("app_name", sa.String(256), nullable=False),
        sa.Column("app_version", sa.String(256), nullable=False),
        sa.Column("app_json", JSON, nullable=False),
    )
    op.create_table(
        f"{p}feedback_defs",
        sa.Column("feedback_definition_id", ID, primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("feedback_json", JSON, nullable=False),
        sa.Column("run_location", sa.String(32)),
    )
    op.create_table(
        f"{p}records",
        sa.Column("record_id", ID, primary_key=True),
        sa.Column(
            "app_id", ID, sa.ForeignKey(f"{p}apps.app_id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("input", sa.Text),
        sa.Column("output", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("tags", sa.Text),
        sa.Column("ts", sa.DateTime, nullable=False),
        sa.Column("latency", sa.Float),
        sa.Column("total_tokens", sa.Integer),
        sa.Column("total_cost", sa.Float),
        sa.Column("cost_currency", sa.String(16)),
        sa.Column("record_json", JSON, nullable=False),
    )
    op.create_index(f"{p}ix_records_app_ts", f"{p}records", ["app_id", "ts"])
    op.create_index(f"{p}ix_records_ts", f"{p}records", ["ts"])
    op.create_index(f"{p}ix_records_stats", f"{p}records", ["app_id", "latency", "total_cost"])
    op.create_table(
        f"{p}calls",
        sa.Column(
            "record_id",
            ID,
            sa.ForeignKey(f"{p}records.record_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("method", sa.String(256), nullable=False),
        sa.Column("start_time", sa.DateTime),
        sa.Column("end_time", sa.DateTime),
        sa.Column("error", sa.Text),
    )
    op.create_index(f"{p}ix_calls_path", f"{p}calls", ["path", "method"])
    op.create_table(
        f"{p}feedbacks",
        sa.Column("feedback_result_id", ID, primary_key=True),
        sa.Column(
            "record_id",
            ID,
            sa.ForeignKey(f"{p}records.record_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("feedback_definition_id", ID),
        sa.Column("app_id", ID),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.Float),
        sa.Column("multi_result", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("calls_json", JSON),
        sa.Column("cost_json", JSON),
        sa.Column("last_ts", sa.DateTime, nullable=False),
        sa.Column("worker", sa.String(256)),
        sa.Column("lease_until", sa.DateTime),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index(f"{p}ix_feedbacks_record", f"{p}feedbacks", ["record_id", "name", "result"])
    op.create_index(f"{p}ix_feedbacks_status", f"{p}feedbacks", ["status", "lease_until"])
    op.create_index(f"{p}ix_feedbacks_name", f"{p}feedbacks", ["name"])
    op.create_index(
        f"{p}ix_feedbacks_board", f"{p}feedbacks", ["app_id", "name", "record_id", "result"]
    )


def downgrade() -> None:
    """spyglass never downgrades a database; this exists for Alembic's own tooling."""
    p = context.config.attributes["prefix"]
    for name in ("feedbacks", "calls", "records", "feedback_defs", "apps"):
        op.drop_table(f"{p}{name}")
