"""`spyglass.core` is mypy-clean in strict mode (STYLE.md item 9)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_core_is_mypy_strict_clean(tmp_path: Path) -> None:
    """mypy --strict finds no error in core/, checked as the package spyglass.core."""
    pytest.importorskip("mypy")
    package = tmp_path / "spyglass"
    package.mkdir()
    os.symlink(ROOT / "core", package / "core")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "-p",
            "spyglass.core",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,  # the assertion below shows mypy's report
    )
    assert result.returncode == 0, result.stdout + result.stderr
