"""The one place the command line imports its optional dependencies: Typer and Rich.

Importing this module imports them, or raises
:class:`~spyglass.core.MissingDependencyError` with the ``pip install`` line to run.
"""

from __future__ import annotations

from spyglass.core import MissingDependencyError

try:
    import rich.console as rich_console
    import rich.progress as rich_progress
    import rich.table as rich_table
    import typer
except ImportError as exc:  # pragma: no cover - the command's tests need the extra
    raise MissingDependencyError(
        f"the spyglass command needs Typer and Rich ({exc.name} is missing): "
        "pip install 'spyglass[dashboard]'"
    ) from exc

__all__ = ["rich_console", "rich_progress", "rich_table", "typer"]
