"""The installed package: public surface, import cost, and how it installs.

The wheel test builds and installs a wheel into a temporary folder; it takes one to ten
seconds depending on the machine, most of it in setuptools. Everything runs offline.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

import spyglass.core

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("langchain", "langchain_core", "langgraph", "llama_index", "numpy")

# Imports everything named in spyglass.core.__all__ that exists, then reports which
# framework modules got imported along the way.
_IMPORT_PROBE = """
import json, sys, importlib.util
import spyglass.core
before = sorted(m for m in sys.modules if m.split(".")[0] in {frameworks!r})
for name in spyglass.core.__all__:
    try:
        getattr(spyglass.core, name)
    except Exception:
        pass  # a missing module is reported by test_public_name_importable
after = sorted(m for m in sys.modules if m.split(".")[0] in {frameworks!r})
print(json.dumps({{"before": before, "after": after}}))
"""


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert 0 == proc.returncode, f"{args} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _module_file(module: str) -> Path:
    """The repository file for a `spyglass.core.x` module name."""
    path = ROOT / "core" / Path(*module.split(".")[2:])
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def test_all_is_sorted_and_unique() -> None:
    """`spyglass.core.__all__` is sorted and has no duplicates."""
    names = list(spyglass.core.__all__)
    assert sorted(set(names)) == names


# The public names of spyglass.core before the restructure into concept subpackages:
# user code written against them keeps working.
NAMES_BEFORE_THE_RESTRUCTURE = [
    "AdapterInfo",
    "App",
    "AppDefinition",
    "ContextThreadPoolExecutor",
    "Cost",
    "Feedback",
    "FeedbackCall",
    "FeedbackCombinations",
    "FeedbackDefinition",
    "FeedbackMode",
    "FeedbackOnMissingParameters",
    "FeedbackResult",
    "FeedbackResultStatus",
    "FeedbackRunLocation",
    "InstrumentSpec",
    "Lens",
    "LensError",
    "LensIndexError",
    "LensKeyError",
    "LensParseError",
    "LensValueError",
    "MissingDependencyError",
    "Perf",
    "PluginError",
    "Record",
    "RecordAppCall",
    "RecordAppCallMethod",
    "RecordIngestMode",
    "Recording",
    "RecordingError",
    "Select",
    "SelectorError",
    "SkipEval",
    "SpyglassError",
    "SpyglassPluginWarning",
    "UnsafeLoadError",
    "active_adapters",
    "default_children",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "jsonify",
    "recording_suspended",
    "register_encoder",
    "register_plugin",
    "register_secret",
    "uninstrument",
    "unregister_plugin",
    "wrap_app",
]


def test_all_keeps_every_earlier_public_name() -> None:
    """`spyglass.core.__all__` is a superset of the names it had before the restructure."""
    assert [] == sorted(set(NAMES_BEFORE_THE_RESTRUCTURE) - set(spyglass.core.__all__))


@pytest.mark.parametrize("name", spyglass.core.__all__)
def test_public_name_importable(name: str) -> None:
    """Every name in `spyglass.core.__all__` imports from `spyglass.core`."""
    obj = getattr(spyglass.core, name)
    assert name == getattr(obj, "__name__", name)


PUBLIC_DEFINITIONS = [
    name
    for name in spyglass.core.__all__
    if inspect.isclass(getattr(spyglass.core, name))
    or inspect.isfunction(getattr(spyglass.core, name))
]


@pytest.mark.parametrize("name", PUBLIC_DEFINITIONS)
def test_public_name_has_docstring(name: str) -> None:
    """Every public class and function of `spyglass.core` has its own docstring."""
    obj = getattr(spyglass.core, name)
    # A class's own docstring, not one inherited from a base.
    doc = vars(obj).get("__doc__") if inspect.isclass(obj) else obj.__doc__
    assert doc and doc.strip(), f"{name} has no docstring"


def test_import_imports_no_framework() -> None:
    """`import spyglass.core`, and using every public name, imports no framework."""
    probe = _IMPORT_PROBE.format(frameworks=FRAMEWORKS)
    out = _run([sys.executable, "-c", probe], cwd=ROOT)
    assert {"before": [], "after": []} == json.loads(out)


def test_editable_install_imports_only_under_spyglass(tmp_path: Path) -> None:
    """From outside the repo, `spyglass.core` imports and `core` / `adapters` do not."""
    code = (
        "import importlib.util as u, spyglass.core as c;"
        "print(c.__file__);"
        "print(u.find_spec('core'), u.find_spec('adapters'))"
    )
    out = _run([sys.executable, "-c", code], cwd=tmp_path).splitlines()
    assert str(ROOT / "core" / "__init__.py") == out[0]
    assert "None None" == out[1]


def _copy_sources(dest: Path) -> None:
    """Copy what the build needs, so building never writes into the shared work tree."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    # Every top-level folder the install maps (`[tool.setuptools.package-dir]`).
    with (ROOT / "pyproject.toml").open("rb") as f:
        folders = set(tomllib.load(f)["tool"]["setuptools"]["package-dir"].values())
    for folder in sorted(folders):
        shutil.copytree(ROOT / folder, dest / folder, ignore=ignore)


# Builds a real wheel with setuptools (1-10 s): the one test that shows the wheel
# holds `spyglass/` only and imports from a clean folder.
def test_wheel_holds_only_spyglass_and_imports(tmp_path: Path) -> None:
    """The wheel contains only `spyglass/` and, installed alone, imports `spyglass.core`."""
    src, dist, target, elsewhere = (tmp_path / d for d in ("src", "dist", "target", "cwd"))
    for d in (src, dist, elsewhere):
        d.mkdir()
    _copy_sources(src)
    # -x: `wheel` is not installed in the venv; setuptools >= 70 builds wheels without it.
    _run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "-x", "--outdir", str(dist)],
        cwd=src,
    )
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert {"spyglass", "spyglass-0.1.0.dist-info"} == tops
    assert "spyglass/core/__init__.py" in names
    assert "spyglass/core/py.typed" in names
    assert "spyglass/adapters/custom/__init__.py" in names
    assert "spyglass/testing/__init__.py" in names
    assert "spyglass/providers/huggingface/provider.py" in names
    assert "spyglass/feedback/__init__.py" in names
    # The store's Alembic migrations ship inside the package.
    assert "spyglass/store/migrations/env.py" in names
    assert "spyglass/store/migrations/versions/0001_initial.py" in names
    # The dashboard works offline: its templates and assets ship inside the package.
    assert "spyglass/dashboard/templates/record.html" in names
    assert "spyglass/dashboard/static/app.js" in names
    assert "spyglass/otel/semconv/trace.py" in names
    # Every package of the tree ships (the `packages` list names each one by hand).
    with (ROOT / "pyproject.toml").open("rb") as f:
        mapping = tomllib.load(f)["tool"]["setuptools"]["package-dir"]
    for name, folder in mapping.items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            sub = init.parent.relative_to(ROOT / folder).parts
            shipped = "/".join((*name.split("."), *sub, "__init__.py"))
            assert shipped in names, f"{shipped} is missing: add its package to pyproject.toml"

    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        cwd=elsewhere,
    )
    # -S skips site.py, so the editable install's finder (a .pth file) is not active;
    # site-packages is put on the path as a plain folder for the dependencies.
    site_packages = next(p for p in sys.path if p.endswith("site-packages"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), site_packages])}
    code = (
        "import importlib.util as u, spyglass.core as c, spyglass.core.errors;"
        "print(c.__file__);"
        "print(u.find_spec('core'), u.find_spec('adapters'))"
    )
    out = _run([sys.executable, "-S", "-c", code], cwd=elsewhere, env=env).splitlines()
    assert str(target / "spyglass" / "core" / "__init__.py") == out[0]
    assert "None None" == out[1]


def test_probe_sees_frameworks_when_imported() -> None:
    """The framework probe is not blind: it reports a framework module that was imported."""
    probe = "import json, sys; sys.modules['numpy'] = sys; " + _IMPORT_PROBE.format(
        frameworks=FRAMEWORKS
    )
    out = json.loads(_run([sys.executable, "-c", probe], cwd=ROOT))
    assert ["numpy"] == out["before"]


def test_core_module_names_map_to_files() -> None:
    """Every export points at a `spyglass.core` module that exists in `core/`."""
    modules = set(spyglass.core._EXPORTS.values())
    assert [] == sorted(m for m in modules if not _module_file(m).exists())
    for m in modules:
        importlib.import_module(m)
