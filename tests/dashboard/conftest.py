"""Fixtures of the dashboard's tests: recorded databases, a served dashboard, Chromium.

The browser is the Chromium of the OS packages, driven by Playwright through
``executable_path`` (never a downloaded browser build). Browser tests skip when it is
missing, unless ``SPYGLASS_REQUIRE_BROWSER`` is set (``make test`` sets it): then they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _dash_data
import pytest
from _dash_page import Page, Served

from spyglass.core.sinks import set_current_store
from spyglass.dashboard import run_dashboard, stop_dashboard
from spyglass.store import TruSession

REQUIRE = "SPYGLASS_REQUIRE_BROWSER"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _served(tmp: Path, fill: Any) -> Iterator[Served]:
    session = TruSession(database_url=f"sqlite:///{tmp / 'dash.sqlite'}")
    try:
        ids = fill(session) if fill else {}
        url = run_dashboard(session)
        try:
            yield Served(session, url, ids)
        finally:
            stop_dashboard(session)
    finally:
        session.close()
        set_current_store(None)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The example apps recorded (two versions each), served."""
    yield from _served(tmp_path_factory.mktemp("recorded"), _dash_data.fill)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The example apps recorded with XSS payloads in names, inputs, outputs, reasons."""
    yield from _served(tmp_path_factory.mktemp("hostile"), lambda s: _dash_data.fill(s, xss=True))


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A database with no record, served."""
    yield from _served(tmp_path_factory.mktemp("empty"), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (the OS package) through Playwright.

    Per module, not per session: Playwright's sync API keeps an event loop running on
    this thread while it is open, and later tests' ``asyncio.run`` would refuse to start.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get(REQUIRE):
            pytest.fail(f"{REQUIRE} is set but playwright is not installed (make test does)")
        pytest.skip(f"playwright is not installed; set {REQUIRE}=1 to require it")
    if not shutil.which(CHROMIUM):
        if os.environ.get(REQUIRE):
            pytest.fail(f"{REQUIRE} is set but {CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is missing; set {REQUIRE}=1 to require it")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    """A fresh browser context and page; the test fails on any console error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        wrapped = Page(context.new_page())
        yield wrapped
        assert [] == wrapped.errors
    finally:
        context.close()
