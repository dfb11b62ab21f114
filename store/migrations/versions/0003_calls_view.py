"""The calls become a view over the records' JSON; pending results get a partial index.

- ``<prefix>calls`` was a table written beside every record: ten rows, three index
  entries each and a foreign-key check per row for a 10-call record, more than half of
  what storing the record cost. The same columns (``record_id, idx, path, method,
  start_time, end_time, error``) now come from ``record_json`` through a view of that
  name, so existing queries of the calls keep working; the rows of the old table are
  already in the records' JSON, and the table is dropped.
- The view reads both stored forms of a record: stack frames in place (as written
  before this revision) and frames written once in ``"frames"`` with each call's stack
  listing their positions (as written from this revision on).
- ``ix_feedbacks_status`` (the evaluators' claim of pending results) holds only the
  results still pending or running: finished ones, nearly all of them, are no longer
  added to it.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.String(256)
PENDING = "status IN ('none', 'running')"

# One row per call of each record. ``frame`` is the call's own frame (the last of its
# stack): looked up in the record's "frames" when the stack holds positions.
SQLITE_VIEW = """
CREATE VIEW {p}calls AS
SELECT record_id, idx,
       json_extract(frame, '$.path') AS path,
       json_extract(frame, '$.method.name') AS method,
       replace(json_extract(call, '$.perf.start_time'), 'T', ' ') AS start_time,
       replace(json_extract(call, '$.perf.end_time'), 'T', ' ') AS end_time,
       json_extract(call, '$.error') AS error
FROM (
    SELECT r.record_id AS record_id, CAST(c.key AS INTEGER) AS idx, c.value AS call,
           CASE json_type(c.value, '$.stack[#-1]')
               WHEN 'integer' THEN json_extract(
                   r.record_json, '$.frames[' || json_extract(c.value, '$.stack[#-1]') || ']')
               ELSE json_extract(c.value, '$.stack[#-1]')
           END AS frame
    FROM {p}records AS r, json_each(r.record_json, '$.calls') AS c
)
"""

POSTGRES_VIEW = """
CREATE VIEW {p}calls AS
SELECT record_id, idx,
       frame ->> 'path' AS path,
       frame -> 'method' ->> 'name' AS method,
       (call -> 'perf' ->> 'start_time')::timestamp AS start_time,
       (call -> 'perf' ->> 'end_time')::timestamp AS end_time,
       call ->> 'error' AS error
FROM (
    SELECT r.record_id, (c.ord - 1)::integer AS idx, c.call,
           CASE jsonb_typeof(c.call -> 'stack' -> -1)
               WHEN 'number' THEN r.record_json -> 'frames' -> ((c.call -> 'stack' ->> -1)::integer)
               ELSE c.call -> 'stack' -> -1
           END AS frame
    FROM {p}records AS r
    CROSS JOIN LATERAL jsonb_array_elements(r.record_json -> 'calls') WITH ORDINALITY AS c(call, ord)
) AS calls
"""


def upgrade() -> None:
    """Replace the calls table by the view; make the status index partial."""
    p = context.config.attributes["prefix"]
    feedbacks = f"{p}feedbacks"
    op.drop_index(f"{p}ix_calls_path", table_name=f"{p}calls")
    op.drop_table(f"{p}calls")
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute((POSTGRES_VIEW if postgres else SQLITE_VIEW).format(p=p))
    op.drop_index(f"{p}ix_feedbacks_status", table_name=feedbacks)
    op.create_index(
        f"{p}ix_feedbacks_status",
        feedbacks,
        ["status", "lease_until"],
        sqlite_where=sa.text(PENDING),
        postgresql_where=sa.text(PENDING),
    )


def downgrade() -> None:
    """spyglass never downgrades a database; this exists for Alembic's own tooling."""
    p = context.config.attributes["prefix"]
    feedbacks = f"{p}feedbacks"
    op.drop_index(f"{p}ix_feedbacks_status", table_name=feedbacks)
    op.create_index(f"{p}ix_feedbacks_status", feedbacks, ["status", "lease_until"])
    op.execute(f"DROP VIEW {p}calls")
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
