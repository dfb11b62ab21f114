"""An adapter written against spyglass's public names type-checks under ``mypy --strict``.

Found while writing ``spyglass.testing`` (which may only use public names): mypy in
strict mode (``no_implicit_reexport``) does not see the names ``spyglass.core``
exports, because its ``__init__`` imports them under ``TYPE_CHECKING`` without
``import X as X`` and computes ``__all__`` at run time. So every ``from spyglass.core
import App`` in a strictly typed adapter is an error ("Module "spyglass.core" does not
explicitly export attribute "App""). The fix is in ``core/__init__.py`` (re-export as
``from spyglass.core.app import App as App``, or a literal ``__all__``), not here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ADAPTER = """
from __future__ import annotations

from typing import Any

from spyglass.core import AdapterInfo, App, InstrumentSpec, hookimpl, wrap_app


class Recorder(App):
    pass


@hookimpl
def spyglass_adapter_info() -> AdapterInfo:
    return AdapterInfo(name="typed")


@hookimpl
def spyglass_instrument_specs() -> list[InstrumentSpec]:
    return [InstrumentSpec("typed_framework:Model", ("run",))]


def record(app: Any) -> App:
    return wrap_app(app)
"""


def test_adapter_using_public_names_is_mypy_strict_clean(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    package = tmp_path / "spyglass"
    package.mkdir()
    os.symlink(ROOT / "core", package / "core")
    (tmp_path / "typed_adapter.py").write_text(ADAPTER, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "typed_adapter.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,  # the assertion below shows mypy's report
    )
    assert result.returncode == 0, result.stdout + result.stderr
