"""The `spyglass.testing` package itself: public surface, imports, and no pytest for users."""

from __future__ import annotations

import ast
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import spyglass.testing

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "testing"


def test_all_is_sorted_and_documented() -> None:
    """`__all__` is sorted; each public name has its own docstring."""
    names = list(spyglass.testing.__all__)
    assert sorted(set(names)) == names
    for name in names:
        obj = getattr(spyglass.testing, name)
        doc = vars(obj).get("__doc__") if inspect.isclass(obj) else obj.__doc__
        assert doc and doc.strip(), f"{name} has no docstring"


def _spyglass_imports(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return [(line, name) for line, name in found if name.split(".")[0] in ("spyglass", "core")]


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_uses_only_public_names_of_spyglass(path: Path) -> None:
    """The package imports `spyglass.core` itself, never one of its modules (they move),
    and its own modules relatively."""
    assert [] == [(line, name) for line, name in _spyglass_imports(path) if name != "spyglass.core"]


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_modules_stay_short(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) < 600


def test_spyglass_never_imports_pytest_for_users() -> None:
    """Importing spyglass, its core and its adapters does not import pytest."""
    code = (
        "import sys, spyglass, spyglass.core, spyglass.adapters.custom;"
        "from spyglass.core import wrap_app, App, uninstrument;"
        "print('pytest' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "False" == out.stdout.strip()


def test_without_pytest_the_error_names_the_install_line() -> None:
    """`import spyglass.testing` without pytest raises ImportError with the pip line."""
    code = (
        "import sys; sys.modules['pytest'] = None\n"
        "try:\n    import spyglass.testing\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "pip install 'spyglass[testing]'" in out.stdout


# spyglass.core's public names are not explicit re-exports (see
# test_public_names_typecheck.py), so until that is fixed in core the check tells mypy to
# accept them implicitly: `from spyglass.core import App` is what users write.
_REEXPORT = """
[[tool.mypy.overrides]]
module = ["spyglass.core"]
implicit_reexport = true
"""


def test_package_is_mypy_strict_clean(tmp_path: Path) -> None:
    """mypy --strict finds no error in testing/, checked as the package spyglass.testing."""
    pytest.importorskip("mypy")
    package = tmp_path / "spyglass"
    package.mkdir()
    os.symlink(ROOT / "core", package / "core")
    os.symlink(PACKAGE, package / "testing")
    config = tmp_path / "pyproject.toml"
    config.write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8") + _REEXPORT)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / "cache"),
            "-p",
            "spyglass.testing",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,  # the assertion below shows mypy's report
    )
    assert result.returncode == 0, result.stdout + result.stderr
