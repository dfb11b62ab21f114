"""Set-up for the contract-suite runs: the adapters' offline example apps, and no tracing.

The example apps live with each adapter's own tests (``tests/adapters/*/_*_apps.py``);
their folders are put on ``sys.path`` here so that the contract modules import them
whichever tests run. LangChain sends traces to LangSmith when its tracing variables
are set; they are removed before any LangChain code runs, as in
``tests/adapters/langchain/conftest.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ADAPTER_TESTS = Path(__file__).resolve().parents[1] / "adapters"
for _folder in ("langchain", "llamaindex"):
    _path = str(ADAPTER_TESTS / _folder)
    if _path not in sys.path:
        sys.path.insert(0, _path)

for _name in (
    "LANGSMITH_TRACING",
    "LANGSMITH_TRACING_V2",
    "LANGCHAIN_TRACING",
    "LANGCHAIN_TRACING_V2",
    "LANGSMITH_API_KEY",
    "LANGCHAIN_API_KEY",
):
    os.environ.pop(_name, None)
