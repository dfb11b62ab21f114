"""The one place the dashboard imports its optional dependencies: FastAPI, uvicorn, Jinja2.

The database is read through ``spyglass.store`` alone (its ``Reader``), never with
SQLAlchemy or pandas here.

Importing this module imports them, or raises
:class:`~spyglass.core.MissingDependencyError` with the ``pip install`` line to run.
"""

from __future__ import annotations

from spyglass.core import MissingDependencyError

try:
    import fastapi
    import fastapi.responses
    import fastapi.staticfiles
    import jinja2
    import uvicorn
except ImportError as exc:  # pragma: no cover - the dashboard's tests need the extra
    raise MissingDependencyError(
        f"spyglass.dashboard needs FastAPI, uvicorn and Jinja2 ({exc.name} is missing): "
        "pip install 'spyglass[dashboard]'"
    ) from exc

__all__ = ["fastapi", "jinja2", "uvicorn"]
