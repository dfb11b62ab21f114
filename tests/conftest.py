"""Test-suite set-up shared by every test directory.

The plugin manager loads the ``spyglass`` entry points once per process, and the
test environment deliberately installs a broken plugin (``tests/plugins/brokenplugin``,
into ``build/test-plugins``, see the Makefile)
whose warning fires on that first load. With ``filterwarnings = error`` that warning
would fail whichever test happened to trigger the load, so the manager is created
here, at session start, with the warnings recorded instead (and listed in the
terminal summary). ``tests/core/test_plugins.py`` resets the manager and asserts on
those warnings itself, then restores a quietly loaded manager.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

from spyglass.core.plugins import _manager as plugins

# `make test` installs tests/plugins/* here rather than into the venv, so that the broken
# plugin never reaches `make demo` or a user's session. Entry points are read from sys.path.
TEST_PLUGINS = Path(__file__).resolve().parents[1] / "build" / "test-plugins"
if TEST_PLUGINS.is_dir() and str(TEST_PLUGINS) not in sys.path:
    sys.path.insert(0, str(TEST_PLUGINS))

_LOAD_WARNINGS = pytest.StashKey[list[str]]()


def load_plugins_quietly() -> list[str]:
    """Create the plugin manager; return the texts of the warnings its load gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plugins.get_plugin_manager()
    return [str(w.message) for w in caught]


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_LOAD_WARNINGS] = load_plugins_quietly()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    found = config.stash.get(_LOAD_WARNINGS, [])
    if found:
        terminalreporter.section("spyglass plugins skipped at load")
        for text in found:
            terminalreporter.line(text)


@pytest.fixture
def fresh_plugins(monkeypatch: pytest.MonkeyPatch) -> object:
    """Reset the plugin manager for one test; afterwards, undo the test's environment
    changes and restore a quietly loaded manager for the tests that follow."""
    plugins.reset_plugin_manager()
    yield
    monkeypatch.undo()
    plugins.reset_plugin_manager()
    load_plugins_quietly()
