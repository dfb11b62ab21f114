"""The schema's revision: read it, create or migrate the tables with Alembic, refuse a newer one.

Alembic runs on a connection the store opens, with the version table
``<prefix>alembic_version`` (:func:`spyglass.store._tables.version_table`). spyglass
matches that name exactly and never infers a prefix from other tables, so a database
that another tool also migrates with Alembic (its own ``alembic_version``) is shared
safely. spyglass never downgrades.
"""

from __future__ import annotations

from pathlib import Path

from ._deps import alembic, sqlalchemy as sa
from ._engine import masked, write_transaction
from ._errors import DatabaseVersionError
from ._tables import tables, version_table

__all__ = ["current_revision", "ensure_schema", "head_revision", "upgrade", "wipe"]

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(prefix: str) -> alembic.config.Config:
    config = alembic.config.Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["prefix"] = prefix
    return config


def _script(prefix: str) -> alembic.script.ScriptDirectory:
    return alembic.script.ScriptDirectory.from_config(_config(prefix))


def head_revision(prefix: str = "spyglass_") -> str:
    """The newest revision this spyglass knows."""
    head = _script(prefix).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.engine.Engine, prefix: str) -> str | None:
    """The database's revision for ``prefix`` (``None``: no spyglass tables yet)."""
    with engine.connect() as conn:
        context = alembic.migration.MigrationContext.configure(
            conn, opts={"version_table": version_table(prefix)}
        )
        return context.get_current_revision()


def upgrade(engine: sa.engine.Engine, prefix: str) -> None:
    """Create or migrate the tables to the head revision, in one transaction.

    Processes opening a new database at once migrate it once: the transaction holds
    SQLite's write lock (``BEGIN IMMEDIATE``) or a PostgreSQL advisory lock, and Alembic
    reads the revision inside it, so the later ones find the work done.
    """
    config = _config(prefix)
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": prefix})
        config.attributes["connection"] = conn
        alembic.command.upgrade(config, "head")


def ensure_schema(engine: sa.engine.Engine, url: sa.engine.URL, prefix: str) -> None:
    """Make a new database ready; check an existing one is at this spyglass's revision.

    Raises:
        DatabaseVersionError: the database was written by a newer spyglass (upgrade
            spyglass), or by an older one (call ``session.migrate_database()``).
    """
    current = current_revision(engine, prefix)
    head = head_revision(prefix)
    if current == head:
        return
    if current is None:
        upgrade(engine, prefix)
        return
    known = {script.revision for script in _script(prefix).walk_revisions()}
    if current not in known:
        raise DatabaseVersionError(
            f"The database {masked(url)} (tables prefixed {prefix!r}) is at schema revision "
            f"{current!r}, written by a newer spyglass than this one (which knows up to "
            f"{head!r}). Upgrade spyglass: pip install -U spyglass. spyglass never downgrades "
            "a database."
        )
    raise DatabaseVersionError(
        f"The database {masked(url)} (tables prefixed {prefix!r}) is at schema revision "
        f"{current!r}, older than this spyglass's {head!r}. Migrate it (after a backup) with "
        "TruSession(database_url=..., database_check_revision=False).migrate_database()."
    )


def wipe(engine: sa.engine.Engine, prefix: str) -> None:
    """Drop the prefixed tables and version table (only those), then create them afresh."""
    t = tables(prefix)
    with write_transaction(engine) as conn:
        calls = t.calls.name  # a view since 0003, a table before
        if calls in sa.inspect(conn).get_view_names():
            conn.exec_driver_sql(f"DROP VIEW {calls}")
        else:
            t.calls.drop(conn, checkfirst=True)
        for table in reversed(t.all()):
            table.drop(conn, checkfirst=True)
        sa.Table(version_table(prefix), sa.MetaData()).drop(conn, checkfirst=True)
    upgrade(engine, prefix)
