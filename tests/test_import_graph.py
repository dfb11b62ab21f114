"""The import graph: core knows no adapter or framework, adapters know no other adapter.

These tests read the source with :mod:`ast` instead of importing it, so they see every
import statement, including those inside functions that a run might never reach.
Imports under ``if TYPE_CHECKING:`` are ignored: they never run.
"""

from __future__ import annotations

import ast
import functools
import importlib
import re
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


# ---------------------------------------------------------------- adapters use the SDK only

# The published surface an adapter builds on: these modules, and only the names in their
# `__all__`. Everything else under `spyglass.core` is private and may change.
SDK_MODULES = ("spyglass.core", "spyglass.core.plugins", "spyglass.core.plugins.hookspecs")
SDK_FILES = [
    *ADAPTER_FILES,
    *(p for p in _python_files("tests/plugins") if "build" not in p.relative_to(ROOT).parts),
]


@functools.cache
def _sdk_names() -> dict[str, frozenset[str]]:
    """``module -> its __all__`` for each SDK module."""
    return {name: frozenset(importlib.import_module(name).__all__) for name in SDK_MODULES}


def _core_imports(path: Path) -> Iterator[tuple[int, str, tuple[str, ...], str]]:
    """``(line, module, names, source)`` for each absolute import of ``spyglass.core...``.

    ``names`` is empty for ``import spyglass.core.x``. Imports under ``if TYPE_CHECKING:``
    count too: a type annotation that names a private class couples as much as a call.
    """
    text = path.read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("spyglass.core"):
                    yield node.lineno, alias.name, (), ast.get_source_segment(text, node) or ""
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            module = node.module
            if module == "spyglass" or module.startswith("spyglass.core"):
                names = tuple(alias.name for alias in node.names)
                yield node.lineno, module, names, ast.get_source_segment(text, node) or ""


def _instead(name: str, sdk: dict[str, frozenset[str]]) -> str:
    for module in ("spyglass.core", "spyglass.core.plugins"):
        if name in sdk[module]:
            return f"`from {module} import {name}`"
    return f"nothing: `{name}` is not public; add it to the SDK (spyglass.core.plugins) first"


def _private_uses(path: Path, sdk: dict[str, frozenset[str]]) -> list[str]:
    """What ``path`` imports from spyglass.core that is not published, and what to use."""
    problems = []
    where = _rel(path)
    for line, module, names, source in _core_imports(path):
        if module == "spyglass":  # `from spyglass import core`: the package itself
            continue
        if module not in sdk:
            if not names:
                problems.append(
                    f"{where}:{line}: `{source}` imports the private module {module}; "
                    "import public names from spyglass.core or spyglass.core.plugins"
                )
                continue
            for name in names:
                problems.append(
                    f"{where}:{line}: `{source}` reaches into {module} for {name}; "
                    f"import instead: {_instead(name, sdk)}"
                )
            continue
        for name in names:
            if name not in sdk[module] and f"{module}.{name}" not in sdk:
                problems.append(
                    f"{where}:{line}: `{source}`: {name} is not in {module}.__all__; "
                    f"import instead: {_instead(name, sdk)}"
                )
    return problems


@pytest.mark.parametrize("path", SDK_FILES, ids=_rel)
def test_adapters_import_only_public_core_names(path: Path) -> None:
    """An adapter (built-in, or the toy third-party one) uses only the published SDK.

    It imports from spyglass only `spyglass.core`, `spyglass.core.plugins` and
    `spyglass.core.plugins.hookspecs`, and from them only names in their `__all__`;
    a failure names the file, the line, the import and what to import instead.
    """
    problems = _private_uses(path, _sdk_names())
    assert not problems, "\n".join(problems)


def test_private_core_imports_are_reported() -> None:
    """The check above can fail, and says what to import instead."""
    sdk = _sdk_names()
    sample = ROOT / "build" / "_sdk_probe.py"
    sample.parent.mkdir(exist_ok=True)
    sample.write_text(
        "from spyglass.core.lens._lens import Lens\n"
        "from spyglass.core.plugins import _walk\n"
        "import spyglass.core.recording._calls\n"
        "from spyglass.core import App, Lens\n",
        encoding="utf-8",
    )
    try:
        problems = _private_uses(sample, sdk)
    finally:
        sample.unlink()
    assert 3 == len(problems), problems
    assert "build/_sdk_probe.py:1:" in problems[0]
    assert "`from spyglass.core import Lens`" in problems[0]
    assert "_walk is not in spyglass.core.plugins.__all__" in problems[1]
    assert "private module spyglass.core.recording._calls" in problems[2]


def test_the_adapter_guide_lists_every_sdk_name() -> None:
    """docs/adapters.md's table of `spyglass.core.plugins` names each of its `__all__`, once."""
    page = (ROOT / "docs" / "adapters.md").read_text(encoding="utf-8")
    section = page.split("## The SDK: `spyglass.core.plugins`", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    listed = [name for row in rows for name in re.findall(r"`(\w+)`", row.split(" | ")[0])]
    assert sorted(listed) == sorted(set(listed)), "a name is in the table twice"
    assert sorted(_sdk_names()["spyglass.core.plugins"]) == sorted(listed)
