"""Alembic's environment for the store: always run on a connection the store hands in.

``config.attributes`` carries the connection and the table prefix; the version table is
``<prefix>alembic_version``, so another tool's ``alembic_version`` is never read or written.
"""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes["connection"]
prefix = config.attributes["prefix"]

context.configure(
    connection=connection,
    version_table=f"{prefix}alembic_version",
    # Only our tables exist for us: never compare against (or touch) anyone else's.
    include_name=lambda name, type_, parent: type_ != "table" or str(name).startswith(prefix),
    transactional_ddl=True,
)

with context.begin_transaction():
    context.run_migrations()
