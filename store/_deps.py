"""The one place the store imports its optional dependencies: SQLAlchemy, Alembic, orjson,
pandas.

orjson decodes the records' JSON when reading (about twice as fast as ``json``: the
first page of records is mostly that). Importing this module imports SQLAlchemy,
Alembic and orjson (pandas on first use, through
:func:`pandas`), or raises
:class:`~spyglass.core.MissingDependencyError` with the ``pip install`` line. The
PostgreSQL driver (psycopg 3) is imported by SQLAlchemy itself when a
``postgresql+psycopg://`` URL is used; :func:`check_driver` turns its absence into the
same kind of error.
"""

from __future__ import annotations

from typing import Any

from spyglass.core import MissingDependencyError

try:
    import alembic
    import alembic.command
    import alembic.config
    import alembic.migration
    import alembic.script
    import orjson
    import sqlalchemy
    import sqlalchemy.dialects.postgresql
    import sqlalchemy.dialects.sqlite
    import sqlalchemy.exc
    import sqlalchemy.pool
except ImportError as exc:  # pragma: no cover - the store's tests need the extra
    raise MissingDependencyError(
        f"spyglass.store needs SQLAlchemy, Alembic, orjson and pandas ({exc.name} is missing): "
        "pip install 'spyglass[store]' (and 'spyglass[postgres]' for PostgreSQL)"
    ) from exc

__all__ = ["alembic", "check_driver", "orjson", "pandas", "sqlalchemy", "upsert_insert"]


def upsert_insert(conn: sqlalchemy.engine.Connection) -> Any:
    """The dialect's ``insert`` (with ``on_conflict_do_update`` / ``excluded``) for
    ``conn``: PostgreSQL's or SQLite's, the two engines the store runs on."""
    if conn.dialect.name == "postgresql":
        return sqlalchemy.dialects.postgresql.insert
    return sqlalchemy.dialects.sqlite.insert


def pandas() -> Any:
    """The ``pandas`` module, imported on first use (only reading needs it, and it takes
    a second to import: evaluator workers and recording processes never pay for it)."""
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - the store's tests need the extra
        raise MissingDependencyError(
            "Reading spyglass.store results as DataFrames needs pandas: "
            "pip install 'spyglass[store]'"
        ) from exc
    return pd


def check_driver(url: sqlalchemy.engine.URL) -> None:
    """Raise ``MissingDependencyError`` if the URL's PostgreSQL driver is not installed."""
    if url.get_backend_name() != "postgresql":
        return
    try:
        url.get_dialect().import_dbapi()
    except ImportError as exc:
        raise MissingDependencyError(
            f"The database URL {url.render_as_string(hide_password=True)} needs the "
            f"PostgreSQL driver {url.get_driver_name()!r}, which is not installed: "
            "pip install 'spyglass[postgres]' (psycopg 3; use postgresql+psycopg:// URLs)"
        ) from exc
