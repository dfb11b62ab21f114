"""The dashboard reads and writes the store through its public API only.

Every module of ``dashboard/`` may import from spyglass only ``spyglass.core`` and
``spyglass.store`` (names in their ``__all__``), and never the libraries the store is
built on (SQLAlchemy, Alembic, pandas, the PostgreSQL driver): the queries live in the
store (``session.reader()``), so a change of tables or indexes is the store's alone.
The source is read with :mod:`ast`, so imports inside functions count too.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "dashboard").rglob("*.py"))
PUBLIC = ("spyglass.core", "spyglass.store")
FORBIDDEN = ("sqlalchemy", "alembic", "pandas", "psycopg", "psycopg2", "sqlite3")


def _problems(path: Path) -> list[str]:
    """What ``path`` imports that the rule forbids, each with its line and the fix."""
    text = path.read_text(encoding="utf-8")
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    public = {name: set(importlib.import_module(name).__all__) for name in PUBLIC}
    problems = []
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            modules = [(node.module, tuple(alias.name for alias in node.names))]
        else:
            continue  # relative imports stay inside the dashboard
        source = ast.get_source_segment(text, node)
        for module, names in modules:
            top = module.split(".")[0]
            if top in FORBIDDEN:
                problems.append(
                    f"{where}:{node.lineno}: `{source}` imports {top}; the dashboard reads "
                    "through the store's public API (session.reader(), spyglass.store)"
                )
            elif top == "spyglass" and module not in PUBLIC:
                problems.append(
                    f"{where}:{node.lineno}: `{source}` imports {module}; import public "
                    f"names from {' or '.join(PUBLIC)} only"
                )
            elif module in public:
                for name in names:
                    if name not in public[module]:
                        problems.append(
                            f"{where}:{node.lineno}: `{source}`: {name} is not in "
                            f"{module}.__all__; use the public API (or make it public there)"
                        )
    return problems


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_dashboard_uses_only_the_public_store_api(path: Path) -> None:
    """No SQLAlchemy, Alembic, pandas or driver import; from spyglass, only public names
    of spyglass.core and spyglass.store. A failure names the file, line and import."""
    problems = _problems(path)
    assert not problems, "\n".join(problems)


def test_the_rule_reports_offending_imports(tmp_path: Path) -> None:
    """The check above can fail, and names each offending import with its line."""
    probe = tmp_path / "_import_probe.py"
    probe.write_text(
        "import sqlalchemy as sa\n"
        "from spyglass.store._tables import tables\n"
        "from spyglass.store import TruSession, _read\n"
        "from pandas import DataFrame\n"
        "from spyglass.core import Record\n"
        "from ._app import create_app\n",
        encoding="utf-8",
    )
    problems = _problems(probe)
    assert 4 == len(problems), problems
    assert problems[0].startswith("_import_probe.py:1: `import sqlalchemy as sa`")
    assert "imports spyglass.store._tables" in problems[1]
    assert "_read is not in spyglass.store.__all__" in problems[2]
    assert "_import_probe.py:4:" in problems[3] and "imports pandas" in problems[3]
    assert len(FILES) >= 6  # the parametrised test above sees the real modules
