"""Log a repeated problem in full once, then quietly.

A failure inside spyglass that happens on every call or record (a broken hook, a bad
record) would otherwise fill the user's log with the same traceback. The first time a
place fails it is logged at the given level (with the traceback when inside ``except``);
later failures there go to ``debug``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ._redact import guard

__all__ = ["LogOnce"]


class LogOnce:
    """Remembers which places already logged; one per owner (module, app or runner).

    Usage::

        _once = LogOnce(logger)
        try:
            ...
        except Exception:
            _once.log("scheduling feedback", "spyglass could not schedule feedback for %s", rid)
    """

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = guard(logger)  # no secret reaches a log through it
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def log(
        self,
        place: str,
        message: str,
        *args: Any,
        level: int = logging.ERROR,
        exc_info: bool = True,
    ) -> None:
        """Log `message % args` in full the first time `place` fails, at debug level after.

        Args:
            place: what failed; the once-only key.
            message: the log message, with ``%`` placeholders for `args`.
            *args: values for the placeholders.
            level: the level of the first message (default ``ERROR``).
            exc_info: whether the first message carries the exception being handled.
        """
        with self._lock:
            first = place not in self._seen
            self._seen.add(place)
        if first:
            self._logger.log(level, message, *args, exc_info=exc_info)
        else:
            self._logger.debug(message, *args)
