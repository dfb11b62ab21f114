"""The store's errors, each a :class:`~spyglass.core.SpyglassError`::

    StoreError(SpyglassError, RuntimeError)    the database could not be used
    ├── DatabaseURLError(ValueError)           the URL is malformed or names an unknown driver
    ├── DatabaseUnavailableError(ConnectionError)  the server cannot be reached or the file opened
    └── DatabaseVersionError                   the schema is older or newer than this spyglass

Messages name the database with any password masked, and say what to do.
"""

from __future__ import annotations

from spyglass.core import SpyglassError

__all__ = ["DatabaseURLError", "DatabaseUnavailableError", "DatabaseVersionError", "StoreError"]


class StoreError(SpyglassError, RuntimeError):
    """The database could not be used; the message says why and what to do."""


class DatabaseURLError(StoreError, ValueError):
    """The database URL is malformed or names a driver SQLAlchemy does not know."""


class DatabaseUnavailableError(StoreError, ConnectionError):
    """The database cannot be reached, opened, written, or is not a database."""


class DatabaseVersionError(StoreError):
    """The database's schema revision is not this spyglass's (older: migrate; newer: upgrade)."""
