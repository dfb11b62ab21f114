"""What the dashboard's tests share besides fixtures: the served database and the page.

A module of its own, not ``conftest``: test files import these, and ``conftest`` is a
module name every test folder has.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spyglass.store import TruSession

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "dashboard-screenshots"


class Served:
    """A session on a recorded database and its dashboard's URL."""

    def __init__(self, session: TruSession, url: str, ids: dict[str, list[str]]) -> None:
        self.session = session
        self.url = url.rstrip("/")
        self.ids = ids

    def record_id(self) -> str:
        return next(iter(self.ids.values()))[0]


class Page:
    """A browser page that collects console errors and uncaught exceptions."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path
