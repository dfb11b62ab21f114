"""Every Python example in the README and the user guide runs, and prints what the page shows.

The ```python blocks of one ``##`` section run in order, in one namespace, in a fresh
interpreter. A ```text block right after a python block is that block's expected output,
compared as a doctest (``...`` matches anything; hex addresses are normalised).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "docs" / "usage.md"]
TEST_PLUGINS = ROOT / "build" / "test-plugins"

_FENCE = re.compile(r"^```(\S*)\s*$")

# Runs in the child interpreter: the section's blocks arrive as JSON on stdin.
_RUNNER = r"""
import contextlib, doctest, io, json, re, sys, traceback
blocks = json.load(sys.stdin)
namespace = {"__name__": "__main__"}
checker = doctest.OutputChecker()
flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
def normal(text):
    return re.sub(r"0x[0-9a-f]{6,}", "0xADDR", text)
for block in blocks:
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(block["code"], block["where"], "exec"), namespace)
    except BaseException:
        sys.exit(f"{block['where']} raised:\n{out.getvalue()}{traceback.format_exc()}")
    want = block["expected"]
    if want is not None and not checker.check_output(normal(want), normal(out.getvalue()), flags):
        sys.exit(f"{block['where']} printed:\n{out.getvalue()}--- the page shows:\n{want}")
"""


def _sections(page: Path) -> list[tuple[str, list[dict[str, object]]]]:
    """The page's ``##`` sections that hold python blocks, each with its blocks."""
    lines = page.read_text().split("\n")
    sections: list[tuple[str, list[dict[str, object]]]] = [("(top)", [])]
    last: dict[str, object] | None = None  # the python block a text block may follow
    i = 0
    while i < len(lines):
        if lines[i].startswith("## "):
            sections.append((lines[i][3:], []))
            last = None
        fence = _FENCE.match(lines[i])
        if not fence:
            if lines[i].strip():
                last = None  # prose between a python block and a text block breaks the pair
            i += 1
            continue
        end = i + 1
        while not lines[end].startswith("```"):
            end += 1
        body = "\n".join(lines[i + 1 : end]) + "\n"
        if fence.group(1) == "python":
            last = {"where": f"{page.name}:{i + 2}", "code": body, "expected": None}
            sections[-1][1].append(last)
        elif fence.group(1) == "text" and last is not None and last["expected"] is None:
            last["expected"] = body
            last = None
        else:
            last = None
        i = end + 1
    return [(title, blocks) for title, blocks in sections if blocks]


CASES = [
    pytest.param(blocks, id=f"{page.name}: {title}")
    for page in PAGES
    for title, blocks in _sections(page)
]


@pytest.mark.parametrize("blocks", CASES)
def test_examples_run_as_documented(blocks: list[dict[str, object]], tmp_path: Path) -> None:
    """The section's examples run without error and print what the page shows."""
    env = dict(
        os.environ,
        # The toy third-party adapter is the guide's worked example; the deliberately
        # broken test plugins beside it are turned off the way a user would.
        PYTHONPATH=str(TEST_PLUGINS),
        SPYGLASS_DISABLE_ADAPTERS="broken_import,broken_version",
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", _RUNNER],
        input=json.dumps(blocks),
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,  # the assertion below shows the example's stderr
    )
    assert 0 == result.returncode, result.stderr[-6000:]
