"""The README and every page in docs/ are correct: examples run, links resolve.

- Every ```python block runs. The blocks of one page run in order, in one namespace, in
  a fresh interpreter. A ```text block right after a python block is that block's
  expected output, compared as a doctest (``...`` matches anything; hex addresses are
  normalised).
- Every relative link points to a file of the repository, and to a heading of the page
  it names when it has a ``#anchor``.
- docs/index.md links every page in docs/.
- No page refers to design notes that live outside the repository.

Pages are found by glob, so a new page in docs/ is covered without editing this file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
INDEX = DOCS / "index.md"
TEST_PLUGINS = ROOT / "build" / "test-plugins"

_FENCE = re.compile(r"^```(\S*)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# [text](target) or [text](target "title"), not an image
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# Languages that hold Python but would not run under the tag `python`.
_PYTHON_ALIASES = {"py", "py3", "python3", "pycon", "ipython", "pyi"}

# Runs in the child interpreter: the page's blocks arrive as JSON on stdin.
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


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _code_blocks(page: Path) -> Iterator[tuple[int, int, str]]:
    """Each fenced block of the page: (opening fence, closing fence, language); lines 0-based."""
    lines = page.read_text().split("\n")
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if fence:
            end = i + 1
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            assert end < len(lines), f"{_name(page)}:{i + 1}: the code block is never closed"
            yield i, end, fence.group(1)
            i = end
        i += 1


def _unquote(code: re.Match[str]) -> str:
    """Inline code as plain text, without the brackets that could read as a link."""
    return code.group(2).replace("[", "").replace("]", "")


def _prose(page: Path) -> Iterator[tuple[int, str]]:
    """(1-based line number, line) for every line outside code blocks, inline code unquoted."""
    lines = page.read_text().split("\n")
    in_code = {n for start, end, _ in _code_blocks(page) for n in range(start, end + 1)}
    for n, line in enumerate(lines):
        if n not in in_code:
            yield n + 1, _INLINE_CODE.sub(_unquote, line)


def _python_blocks(page: Path) -> list[dict[str, object]]:
    """The page's python blocks in order, each with the text block that follows it, if any."""
    lines = page.read_text().split("\n")
    blocks: list[dict[str, object]] = []
    last: dict[str, object] | None = None  # the python block a text block may follow
    previous_end = -1
    for start, end, language in _code_blocks(page):
        if any(line.strip() for line in lines[previous_end + 1 : start]):
            last = None  # prose between a python block and a text block breaks the pair
        body = "\n".join(lines[start + 1 : end]) + "\n"
        if language == "python":
            last = {"where": f"{_name(page)}:{start + 2}", "code": body, "expected": None}
            blocks.append(last)
        elif language == "text" and last is not None and last["expected"] is None:
            last["expected"] = body
            last = None
        else:
            last = None
        previous_end = end
    return blocks


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to `-`."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts as its text
    text = text.replace("`", "").replace("*", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    """The anchors of the page's headings; a repeated heading gets `-1`, `-2`, … as on GitHub."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in _prose(page):
        heading = _HEADING.match(line)
        if heading is None:
            continue
        slug = _slug(heading.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _relative_links(page: Path) -> Iterator[tuple[str, str]]:
    """(`page:line`, target) for every link that is not a URL."""
    for number, line in _prose(page):
        for target in _LINK.findall(line):
            if not _SCHEME.match(target):
                yield f"{_name(page)}:{number}", target


def _target(page: Path, link: str) -> tuple[Path, str]:
    """The file a relative link points to, and its anchor ('' if none)."""
    path, _, anchor = link.partition("#")
    return (page.parent / path).resolve() if path else page, anchor


PAGES_WITH_PYTHON = [page for page in PAGES if _python_blocks(page)]


@pytest.mark.parametrize("page", PAGES_WITH_PYTHON, ids=_name)
def test_examples_run_as_documented(page: Path, tmp_path: Path) -> None:
    """The page's examples run without error and print what the page shows."""
    env = dict(
        os.environ,
        # The toy third-party adapter is the guide's worked example; the deliberately
        # broken test plugins beside it are turned off the way a user would.
        PYTHONPATH=str(TEST_PLUGINS),
        SPYGLASS_DISABLE_ADAPTERS="broken_import,broken_version",
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", _RUNNER],
        input=json.dumps(_python_blocks(page)),
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,  # the assertion below shows the example's stderr
    )
    assert 0 == result.returncode, result.stderr[-6000:]


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_code_blocks_say_their_language(page: Path) -> None:
    """Every code block is tagged, and Python is tagged `python`, so that it runs above."""
    wrong = [
        f"{_name(page)}:{start + 1}: ```{language}"
        for start, _, language in _code_blocks(page)
        if not language or language.lower() in _PYTHON_ALIASES
    ]
    assert [] == wrong, "tag each code block; tag Python code `python` so that it is tested"


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_relative_links_resolve(page: Path) -> None:
    """Each relative link names a file in the repository, and an existing heading if it
    has an anchor."""
    broken = []
    for where, link in _relative_links(page):
        target, anchor = _target(page, link)
        if not target.is_relative_to(ROOT):
            broken.append(f"{where}: {link} points outside the repository")
        elif not target.exists():
            broken.append(f"{where}: {link}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
            broken.append(f"{where}: {link}: {_name(target)} has no heading #{anchor}")
    assert [] == broken


def test_index_links_every_page() -> None:
    """docs/index.md links every other page in docs/, and the README links the index."""
    linked = {_target(INDEX, link)[0] for _, link in _relative_links(INDEX)}
    pages = [page for page in sorted(DOCS.glob("*.md")) if page != INDEX]
    missing = [_name(page) for page in pages if page not in linked]
    assert [] == missing, "add each page to the table of contents in docs/index.md"
    readme = ROOT / "README.md"
    assert INDEX in {_target(readme, link)[0] for _, link in _relative_links(readme)}


# Files beside the repository (its design notes), which a reader of the docs does not have.
# Written as patterns so that this test file does not itself name them as paths.
_OUTSIDE_REFERENCES = [
    re.compile(p) for p in (r"semantics\.md", r"\.\./shared", r"DESIGN\.md", r"STYLE\.md")
]


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_pages_stand_alone(page: Path) -> None:
    """No page refers to files outside the repository: it says what it means instead."""
    found = [
        f"{_name(page)}:{number}: {reference.pattern}"
        for number, line in enumerate(page.read_text().split("\n"), start=1)
        for reference in _OUTSIDE_REFERENCES
        if reference.search(line)
    ]
    assert [] == found
