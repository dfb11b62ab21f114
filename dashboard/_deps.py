"""The one place the dashboard imports its optional dependencies: FastAPI, uvicorn, Jinja2,
SQLAlchemy (to read the store) and pandas (for the notebook helpers).

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
    import pandas
    import sqlalchemy
    import sqlalchemy.exc
    import uvicorn
except ImportError as exc:  # pragma: no cover - the dashboard's tests need the extra
    raise MissingDependencyError(
        f"spyglass.dashboard needs FastAPI, uvicorn, Jinja2, SQLAlchemy and pandas ({exc.name} is missing): "
        "pip install 'spyglass[dashboard]'"
    ) from exc

__all__ = ["fastapi", "jinja2", "pandas", "sqlalchemy", "uvicorn"]
