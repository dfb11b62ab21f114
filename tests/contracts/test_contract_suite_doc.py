"""The example of docs/contract-suite.md is a test module that passes the contract suite.

Its ```python blocks, joined, are run as a test module in a pytest subprocess, and the
summary the page shows is checked against the run's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

PAGE = Path(__file__).resolve().parents[2] / "docs" / "contract-suite.md"


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)


def test_doc_example_passes_the_contract_suite(pytester: pytest.Pytester) -> None:
    """The page's Bot adapter passes every test it provides; the rest skip, as shown."""
    text = PAGE.read_text(encoding="utf-8")
    blocks = _python_blocks(text)
    assert blocks, "docs/contract-suite.md has no python block"
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(test_bot_contract="\n".join(blocks))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=12, skipped=2)
    assert "12 passed, 2 skipped" in text
    for reason in re.findall(r"^SKIPPED \[1\] \.\.\.: (.*)$", text, flags=re.MULTILINE):
        result.stdout.fnmatch_lines([f"SKIPPED [[]1[]] *: {reason}"])
