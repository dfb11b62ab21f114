"""Fixtures of the provider tests: the OpenAI-compatible judge server on loopback."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable, Iterator
from typing import Any

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


@pytest.fixture
def make_judge(judge_server: JudgeServer) -> Iterator[Callable[..., Any]]:
    """Build ``OpenAI`` providers on the test server; their connections close at teardown."""
    from spyglass.providers.openai import OpenAI

    made: list[OpenAI] = []

    def make(**settings: Any) -> OpenAI:
        settings.setdefault("api_key", "sk-test")
        provider = OpenAI(base_url=judge_server.base_url, **settings)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        provider.close()
    # Requests cut short (timeouts, retried 429s) can leave a pooled socket that only the
    # cycle collector frees; collect it here, in the test that made it, rather than let its
    # ResourceWarning fail whichever later test happens to run the collector.
    made.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
