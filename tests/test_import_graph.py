"""The import graph: core knows no adapter or framework, adapters know no other adapter.

These tests read the source with :mod:`ast` instead of importing it, so they see every
import statement, including those inside functions that a run might never reach.
Imports under ``if TYPE_CHECKING:`` are ignored: they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Top-level names of the optional frameworks the core must never import.
FRAMEWORKS = ("langchain", "langchain_core", "langgraph", "llama_index", "numpy")


def _package_of(path: Path) -> str:
    """The dotted package that a repository file belongs to, under its installed name."""
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[0] in ("core", "adapters"):
        parts = ["spyglass", *parts]
    # A module's package drops the module name; a package's __init__ is the package itself.
    return ".".join(parts[:-1])


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line, absolute dotted name)`` for every import in a file that can run."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _package_of(path)

    def visit(node: ast.AST) -> Iterator[tuple[int, str]]:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from (x for child in node.orelse for x in visit(child))
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield node.lineno, module
            # `from pkg import submodule` imports the submodule too.
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"
        for child in ast.iter_child_nodes(node):
            yield from visit(child)

    yield from visit(tree)


def _python_files(*folders: str) -> list[Path]:
    files: list[Path] = []
    for folder in folders:
        base = ROOT / folder
        if base.is_dir():
            files.extend(p for p in sorted(base.rglob("*.py")) if ".venv" not in p.parts)
    return files


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _top(name: str) -> str:
    return name.split(".", 1)[0]


CORE_FILES = _python_files("core")
ADAPTER_FILES = _python_files("adapters")
ALL_FILES = _python_files("core", "adapters", "tests", "bench", "examples")


def test_source_folders_are_found() -> None:
    """The graph checks below look at real files (guards against a wrong ROOT)."""
    assert (ROOT / "core" / "__init__.py") in CORE_FILES
    assert (ROOT / "adapters" / "__init__.py") in ADAPTER_FILES


@pytest.mark.parametrize("path", CORE_FILES, ids=_rel)
def test_core_imports_no_adapter(path: Path) -> None:
    """A core module never imports spyglass.adapters (adapters depend on core, not back)."""
    bad = [(line, name) for line, name in _imports(path) if name.startswith("spyglass.adapters")]
    assert [] == bad


@pytest.mark.parametrize("path", CORE_FILES, ids=_rel)
def test_core_imports_no_framework(path: Path) -> None:
    """A core module never imports langchain, langgraph, llama_index or numpy, anywhere."""
    bad = [(line, name) for line, name in _imports(path) if _top(name) in FRAMEWORKS]
    assert [] == bad


@pytest.mark.parametrize("path", ADAPTER_FILES, ids=_rel)
def test_adapter_imports_no_other_adapter(path: Path) -> None:
    """An adapter imports only itself and core, never another adapter."""
    parts = path.relative_to(ROOT).parts
    own = f"spyglass.adapters.{parts[1]}" if len(parts) > 2 else "spyglass.adapters"
    bad = [
        (line, name)
        for line, name in _imports(path)
        if name.startswith("spyglass.adapters.") and not (name == own or name.startswith(own + "."))
        # `from spyglass.adapters import x` names a sibling adapter as `spyglass.adapters.x`.
    ]
    assert [] == bad


@pytest.mark.parametrize("path", [p for p in ADAPTER_FILES if p.name != "_framework.py"], ids=_rel)
def test_framework_imported_only_in_framework_module(path: Path) -> None:
    """An adapter imports its framework in exactly one module, `_framework.py`."""
    bad = [(line, name) for line, name in _imports(path) if _top(name) in FRAMEWORKS]
    assert [] == bad


@pytest.mark.parametrize("path", ALL_FILES, ids=_rel)
def test_nothing_imports_top_level_core_or_adapters(path: Path) -> None:
    """Code imports `spyglass.core` / `spyglass.adapters`, never top-level `core` / `adapters`."""
    bad = [(line, name) for line, name in _imports(path) if _top(name) in ("core", "adapters")]
    assert [] == bad


def test_relative_imports_resolve_to_installed_names() -> None:
    """Relative imports are resolved under `spyglass.` (so the checks above can see them)."""
    sample = ROOT / "adapters" / "custom" / "_x.py"
    assert "spyglass.adapters.custom" == _package_of(sample)
    assert "spyglass.core" == _package_of(ROOT / "core" / "record.py")
