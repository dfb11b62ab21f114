"""Bad input gives errors that name the problem and the fix; the schema is ours alone."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from spyglass.adapters.custom import TruApp, instrument
from spyglass.core import Record, TruSession
from spyglass.core.sinks import set_current_store
from spyglass.store import (
    DatabaseUnavailableError,
    DatabaseURLError,
    DatabaseVersionError,
    _writer,
)


class Tiny:
    @instrument
    def run(self, text: str) -> str:
        return text.upper()


def test_malformed_url_is_named_with_the_password_masked() -> None:
    """A string that is no URL: DatabaseURLError with an example, no password."""
    with pytest.raises(DatabaseURLError, match="is not a database URL") as caught:
        TruSession(database_url="postgresql+psycopg://me:hunter2@:notaport/db")
    assert "hunter2" not in str(caught.value)


def test_unknown_driver_is_named() -> None:
    """An unknown driver: DatabaseURLError naming it, password masked."""
    with pytest.raises(DatabaseURLError, match="unknown database or driver") as caught:
        TruSession(database_url="postgresql+nodriver://me:hunter2@localhost/db")
    assert "hunter2" not in str(caught.value) and "***" in str(caught.value)


def test_unreachable_server_says_to_check_it_with_the_password_masked() -> None:
    """A server nobody listens on: DatabaseUnavailableError, no password in the text."""
    with pytest.raises(DatabaseUnavailableError, match="server is running") as caught:
        TruSession(database_url="postgresql+psycopg://me:hunter2@127.0.0.1:1/db")
    assert "hunter2" not in str(caught.value)
    assert caught.value.__cause__ is None  # the driver's own text is not chained in


def test_a_file_that_is_not_a_database(tmp_path) -> None:
    """A file holding something else: DatabaseUnavailableError saying so."""
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"these are my notes, not a database" * 100)
    with pytest.raises(DatabaseUnavailableError, match="is not a SQLite database"):
        TruSession(database_url=f"sqlite:///{path}")


def test_a_read_only_database(tmp_path) -> None:
    """A database opened read-only: DatabaseUnavailableError saying it must be writable."""
    path = tmp_path / "ro.sqlite"
    sqlite3.connect(path).close()
    with pytest.raises(DatabaseUnavailableError, match="read-only"):
        TruSession(database_url=f"sqlite:///file:{path}?mode=ro&uri=true")


def test_a_missing_folder(tmp_path) -> None:
    """A SQLite path in a folder that does not exist: the folder is named."""
    with pytest.raises(DatabaseUnavailableError, match="does not exist"):
        TruSession(database_url=f"sqlite:///{tmp_path}/nowhere/x.sqlite")


def test_unknown_argument_and_conflicting_reopen(sqlite_url: str) -> None:
    """An unknown keyword lists the valid ones; the same database with other arguments,
    while open, is an error; with the same arguments it is the same session."""
    with pytest.raises(TypeError, match="database_prefix"):
        TruSession(database_url=sqlite_url, database_file="x")
    session = TruSession(database_url=sqlite_url)
    try:
        assert session is TruSession(database_url=sqlite_url)
        with pytest.raises(
            ValueError, match="already open with other values of database_redact_keys"
        ):
            TruSession(database_url=sqlite_url, database_redact_keys=True)
    finally:
        session.close()
        set_current_store(None)


def test_a_newer_schema_is_refused_with_upgrade_advice(session: TruSession) -> None:
    """A database at a revision this spyglass does not know: upgrade spyglass, no downgrade."""
    url = session.engine.url
    with session.engine.begin() as conn:
        conn.execute(sa.text("UPDATE spyglass_alembic_version SET version_num = '9999'"))
    session.close()
    with pytest.raises(DatabaseVersionError, match="newer spyglass"):
        TruSession(database_url=url.render_as_string(hide_password=False))


def test_records_of_an_unknown_app_are_refused_by_hand(session: TruSession) -> None:
    """add_record for an app the database does not hold: ValueError saying add_app first."""
    with pytest.raises(ValueError, match="add_app"):
        session.add_record(Record(app_id="app_hash_nobody", main_input="x"))


def test_another_tools_tables_are_left_alone(database_url: str) -> None:
    """Another tool's alembic_version and tables in the same database: spyglass migrates
    into its own prefixed tables, works, resets, and leaves the others untouched."""
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('hosts_rev_7')"))
        conn.execute(sa.text("CREATE TABLE apps (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(sa.text("INSERT INTO apps VALUES (1, 'the host app')"))
        conn.execute(sa.text("CREATE TABLE trulens_records (record_id TEXT)"))
    session = TruSession(database_url=database_url)
    try:
        tiny = Tiny()
        with TruApp(tiny, app_name="tiny"):
            tiny.run("hello")
        session.flush(10)
        assert 1 == session.get_leaderboard().loc[("tiny", "base"), "records"]
        session.reset_database()
        assert [] == session.get_apps()
    finally:
        session.close()
        set_current_store(None)
    with engine.connect() as conn:
        assert [("hosts_rev_7",)] == conn.execute(sa.text("SELECT * FROM alembic_version")).all()
        assert [(1, "the host app")] == conn.execute(sa.text("SELECT * FROM apps")).all()
        names = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert {"alembic_version", "apps", "trulens_records", "spyglass_alembic_version"} <= names
    assert "spyglass_records" in names


def test_recording_goes_on_when_the_database_fails(sqlite_url: str, monkeypatch) -> None:
    """The database failing under a session never raises into the app; after the retries
    the loss is counted."""
    monkeypatch.setattr(_writer, "RETRY_FOR", 0.3)
    session = TruSession(database_url=sqlite_url)
    try:
        tiny = Tiny()
        recorder = TruApp(tiny, app_name="tiny")
        with session.engine.begin() as conn:
            conn.execute(sa.text("DROP VIEW spyglass_calls"))  # reads the records table
            conn.execute(sa.text("DROP TABLE spyglass_records"))
        with recorder:
            assert "HELLO" == tiny.run("hello")
        assert not session.flush(10)
        assert 1 == session.dropped
    finally:
        session.close()
        set_current_store(None)
