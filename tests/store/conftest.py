"""Fixtures of the store's tests: a SQLite file per test, a PostgreSQL database per test."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from _postgres import PostgresServer, find_bin

from spyglass.core.sinks import set_current_store
from spyglass.store import TruSession

REQUIRE = "SPYGLASS_REQUIRE_POSTGRES"

# The LangChain adapter's offline RAG chain, shared with its tests.
_LANGCHAIN_TESTS = str(Path(__file__).resolve().parents[1] / "adapters" / "langchain")
if _LANGCHAIN_TESTS not in sys.path:
    sys.path.append(_LANGCHAIN_TESTS)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the test session (skips without binaries,
    unless SPYGLASS_REQUIRE_POSTGRES is set: then it fails)."""
    bindir = find_bin()
    if bindir is None:
        if os.environ.get(REQUIRE):
            pytest.fail(f"{REQUIRE} is set but no PostgreSQL server binaries (initdb) were found")
        pytest.skip(f"no PostgreSQL server binaries (initdb); set {REQUIRE}=1 to require them")
    server = PostgresServer(bindir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A fresh SQLite file."""
    return f"sqlite:///{tmp_path / 'store.sqlite'}"


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh PostgreSQL database."""
    return postgres_server.create_database("t_" + uuid.uuid4().hex[:12])


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """Each test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def session(database_url: str) -> Iterator[TruSession]:
    """A session on a fresh database, closed after the test."""
    opened = TruSession(database_url=database_url)
    try:
        yield opened
    finally:
        opened.close()
        set_current_store(None)
