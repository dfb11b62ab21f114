"""Watch what spyglass logs while the app runs: an adapter's failure shows up there.

spyglass never raises into the app. When an adapter's hook raises, the plugin
registry logs it (once per plugin and hook, at WARNING; later at DEBUG) and goes on
as if the hook had answered ``None``. The contract suite treats every such message
as a broken rule, so a hook that raises cannot hide behind the fallback.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["watch_spyglass_logs"]

_ROOT = "spyglass"
# The registry's messages about a plugin's hook start so (the first at WARNING, the
# repeats at DEBUG); the repeats count too.
_PLUGIN_MESSAGE = "spyglass plugin"


class _Watch(logging.Handler):
    """Collects spyglass's warnings and plugin failures; forwards what the user would see."""

    def __init__(self, parent: logging.Logger | None, visible_from: int) -> None:
        super().__init__(logging.DEBUG)
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._parent = parent
        self._visible_from = visible_from

    def emit(self, record: logging.LogRecord) -> None:
        template = record.msg if isinstance(record.msg, str) else ""
        if record.levelno >= logging.WARNING or template.startswith(_PLUGIN_MESSAGE):
            try:
                text = record.getMessage()
            except Exception:  # noqa: BLE001 - a bad log call is still a finding
                text = template
            line = f"spyglass logged {record.levelname} ({record.name}): {text.splitlines()[0]}"
            with self._lock:
                self._counts[line] = self._counts.get(line, 0) + 1
        # Only what the user's configuration lets through goes on to their handlers.
        if self._parent is not None and record.levelno >= self._visible_from:
            self._parent.handle(record)

    def problems(self) -> list[str]:
        """One message per distinct log line, with how often it came."""
        with self._lock:
            counts = dict(self._counts)
        return [line if n == 1 else f"{line} ({n} times)" for line, n in counts.items()]


@contextmanager
def watch_spyglass_logs() -> Iterator[list[str]]:
    """Collect spyglass's warnings (and repeated plugin failures) made in the block.

    The ``spyglass`` logger is lowered to DEBUG for the block so that repeats of a
    plugin's failure are seen; records below the level the logger had are not passed
    on to other handlers, so the user's logs look as without the watch.

    Yields:
        A list that holds one message per distinct finding once the block has ended.
    """
    logger = logging.getLogger(_ROOT)
    watch = _Watch(logger.parent if logger.propagate else None, logger.getEffectiveLevel())
    level, propagate = logger.level, logger.propagate
    logger.addHandler(watch)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    found: list[str] = []
    try:
        yield found
    finally:
        logger.removeHandler(watch)
        logger.setLevel(level)
        logger.propagate = propagate
        found.extend(watch.problems())
