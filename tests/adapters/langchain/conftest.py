"""Set-up for the LangChain adapter tests: no tracing to LangSmith, ever.

LangChain sends traces to LangSmith when ``LANGSMITH_TRACING`` or
``LANGCHAIN_TRACING_V2`` is set; these tests are offline, so the variables are
removed before any LangChain code runs (at import, because LangSmith caches what
it read) and again around each test.
"""

from __future__ import annotations

import os

import pytest

_TRACING_VARIABLES = (
    "LANGSMITH_TRACING",
    "LANGSMITH_TRACING_V2",
    "LANGCHAIN_TRACING",
    "LANGCHAIN_TRACING_V2",
    "LANGSMITH_API_KEY",
    "LANGCHAIN_API_KEY",
)

for _name in _TRACING_VARIABLES:
    os.environ.pop(_name, None)


@pytest.fixture(autouse=True)
def _no_langsmith(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _TRACING_VARIABLES:
        monkeypatch.delenv(name, raising=False)
