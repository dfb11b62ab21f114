"""Core's folders are layers: each imports only layers below it, and no modules form a cycle.

Read from the source with :mod:`ast`, so every import counts, including those inside
functions that a run might never reach. Imports under ``if TYPE_CHECKING:`` never run and
are ignored. Importing ``a.b.c`` runs ``a.b``'s ``__init__`` first, so that counts as an
import of ``a.b`` too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"

# Bottom up. A module belongs to the first layer whose prefix names it or its package.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "spyglass.core.errors",
            "spyglass.core._advice",
            "spyglass.core._lazy",
            "spyglass.core._redact",
            "spyglass.core._log_once",
            "spyglass.core._classpath",
            "spyglass.core.executor",
        ),
    ),
    ("lens", ("spyglass.core.lens",)),
    ("serial", ("spyglass.core.serial",)),
    ("schema", ("spyglass.core.schema",)),
    ("plugins", ("spyglass.core.plugins",)),
    ("instrument", ("spyglass.core.instrument",)),
    ("sinks", ("spyglass.core.sinks",)),
    ("feedback", ("spyglass.core.feedback",)),
    ("recording", ("spyglass.core.recording",)),
    ("guardrails", ("spyglass.core.guardrails",)),
    ("package", ("spyglass.core",)),  # the lazy `spyglass.core` namespace itself
]

# Imports inside functions that reach another spyglass module, each with why it must wait.
DEFERRED: dict[tuple[str, str], str] = {
    ("spyglass.core.lens._select", "spyglass.core.recording._app"): (
        "Select.context is TruLens's deprecated alias of the recorders' select_context, "
        "two layers up; imported only when called"
    ),
}


@dataclass(frozen=True)
class Edge:
    """One import: ``source`` imports ``target`` at ``line``; ``deferred`` inside a function."""

    source: str
    target: str
    line: int
    deferred: bool


def _module_name(path: Path) -> str:
    parts = ["spyglass", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(CORE.rglob("*.py"))}


def _known(name: str) -> str | None:
    """The core module ``name`` is, or lies in (``a.b.C`` -> ``a.b``), or None."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _edges(module: str, path: Path) -> Iterator[Edge]:
    """Every import of a core module by ``module`` that can run."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST, deferred: bool) -> Iterator[Edge]:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from visit(child, deferred)
            return
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                imported = ".".join([*base, node.module] if node.module else base)
            else:
                imported = node.module or ""
            # `from pkg import submodule` imports the submodule; `from pkg import name`, pkg.
            subs = [f"{imported}.{a.name}" for a in node.names if f"{imported}.{a.name}" in MODULES]
            targets = subs if len(subs) == len(node.names) else [imported, *subs]
        for target in targets:
            known = _known(target)
            if known is not None and known != module:
                yield Edge(module, known, node.lineno, deferred)
        inner = deferred or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for child in ast.iter_child_nodes(node):
            yield from visit(child, inner)

    yield from visit(ast.parse(path.read_text(encoding="utf-8")), False)


EDGES: list[Edge] = [edge for m, p in MODULES.items() for edge in _edges(m, p)]


def _layer(module: str) -> int:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    raise AssertionError(f"{module} is in no layer: add it to LAYERS in {__file__}")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_every_core_module_is_in_a_layer() -> None:
    """Each module of core/ belongs to one of the layers (a new folder must be placed)."""
    for module in MODULES:
        _layer(module)


@pytest.mark.parametrize("module", sorted(MODULES), ids=lambda m: m.removeprefix("spyglass."))
def test_module_imports_only_its_layer_and_below(module: str) -> None:
    """A core module imports modules of its own layer or of layers below it, never above."""
    upward = [
        f"{_rel(MODULES[module])}:{e.line} imports {e.target} "
        f"(layer {LAYERS[_layer(e.target)][0]!r} is above {LAYERS[_layer(module)][0]!r})"
        for e in EDGES
        if e.source == module
        and _layer(e.target) > _layer(module)
        and (e.source, e.target) not in DEFERRED
    ]
    assert [] == upward


def test_no_core_import_waits_inside_a_function() -> None:
    """Core modules import each other at module level; the few deferred imports are listed."""
    deferred = sorted(
        f"{_rel(MODULES[e.source])}:{e.line} imports {e.target} inside a function"
        for e in EDGES
        if e.deferred and (e.source, e.target) not in DEFERRED
    )
    assert [] == deferred
    listed = {(e.source, e.target) for e in EDGES if e.deferred}
    assert set(DEFERRED) == listed, "DEFERRED lists an import that no longer exists"


def _graph() -> dict[str, set[str]]:
    """Module-level imports, plus the package ``__init__`` each import runs first."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for e in EDGES:
        if e.deferred:
            continue
        graph[e.source].add(e.target)
        parent = e.target.rpartition(".")[0]
        while parent in MODULES:
            if not e.source.startswith(parent + "."):  # one's own package is already running
                graph[e.source].add(parent)
            parent = parent.rpartition(".")[0]
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_no_import_cycle_among_core_modules() -> None:
    """No set of core modules imports itself around, directly or through package inits."""
    graph = _graph()
    cycles = [
        " -> ".join(c)
        + "  (edges: "
        + "; ".join(f"{a}->{b}" for a in c for b in graph[a] if b in c)
        + ")"
        for c in _cycles(graph)
    ]
    assert [] == cycles


def test_cycle_finder_finds_a_cycle() -> None:
    """The cycle check can fail: it reports a two-module cycle."""
    assert [["a", "b"]] == _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}})


def test_layer_check_sees_an_upward_import() -> None:
    """The layer check can fail: an import from lens to recording is above it."""
    assert _layer("spyglass.core.recording._app") > _layer("spyglass.core.lens._lens")
    assert any(
        e.target.startswith("spyglass.core.lens")
        for e in EDGES
        if e.source.startswith("spyglass.core.recording")
    )
