"""Fixtures of the provider tests: the OpenAI-compatible judge server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _judge_server import JudgeServer


@pytest.fixture(scope="session")
def judge_server_session() -> Iterator[JudgeServer]:
    server = JudgeServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def judge_server(judge_server_session: JudgeServer) -> JudgeServer:
    """The running server, reset to answer as asked with score 2."""
    judge_server_session.reset()
    return judge_server_session
