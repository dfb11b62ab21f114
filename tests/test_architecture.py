"""docs/architecture.md matches the tree: every module it names exists, every module is named."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "architecture.md"
FOLDERS = (
    "core",
    "adapters",
    "testing",
    "providers",
    "feedback",
    "otel",
    "store",
    "dashboard",
    "cli",
)

# A table row whose first cell is one backquoted path: | `core/lens/_lens.py` | ... |
_ROW = re.compile(r"^\| `([\w./]+)` \|", re.MULTILINE)


def _named() -> set[str]:
    return set(_ROW.findall(PAGE.read_text(encoding="utf-8")))


def _modules() -> set[str]:
    return {
        str(p.relative_to(ROOT))
        for folder in FOLDERS
        for p in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in p.parts
    }


def test_every_named_path_exists() -> None:
    """Each module or folder in the page's tables is in the repository."""
    assert [] == sorted(n for n in _named() if not (ROOT / n).exists())


def test_every_module_is_named() -> None:
    """Each module of core/, adapters/, testing/ and store/ has a row in docs/architecture.md."""
    missing = sorted(_modules() - _named())
    assert [] == missing, "describe these modules in docs/architecture.md"


def test_the_page_lists_modules_at_all() -> None:
    """The table reader finds the rows (guards against a changed table format)."""
    assert "core/recording/_calls.py" in _named()
    assert len(_named()) > 40
