"""How a Runnable's ``config`` argument is recorded: what the user set, not plumbing.

LangChain hands every ``invoke`` (and ``stream``, ``batch``, ...) a full
``RunnableConfig`` it builds per call: empty ``tags`` / ``metadata`` /
``configurable``, ``recursion_limit=25`` and a fresh callback manager; LangGraph adds
its internals to ``configurable`` (``__pregel_send``, ``__pregel_read``, ...). Recorded
as is, that is most of a LangChain record, and none of it is the app's data. So the
recorded ``config`` keeps:

- every key whose value is not empty and not LangChain's default (``tags``,
  ``metadata``, ``run_name``, ``configurable``, ``max_concurrency``, a non-default
  ``recursion_limit``, ``run_id``, ...);
- ``callbacks`` only when it holds handlers (the user's own, inherited by every
  inner call);
- of ``configurable``, the keys that do not start with ``__`` (LangGraph's own).

When nothing is left, ``config`` is left out of the call's ``args``. ``batch`` takes
one config or a list of them: each is condensed (``{}`` when nothing is left), and the
list left out when all are empty. Nothing here
changes the config the Runnable gets: this is the recorded form only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spyglass.core.plugins import OMIT

__all__ = ["recorded_config"]

# langchain_core.runnables.config.DEFAULT_RECURSION_LIMIT, which ensure_config fills in
_DEFAULT_RECURSION_LIMIT = 25


def recorded_config(config: Any) -> Any:
    """The recorded form of a ``config`` argument (see the module docstring)."""
    if type(config) is dict:  # what LangChain passes (a RunnableConfig is a dict)
        return _condensed(config) or OMIT
    if config is None:
        return OMIT
    if isinstance(config, list):  # batch: one config per input
        forms = [_condensed(c) if _is_mapping(c) else c for c in config]
        return forms if any(f != {} for f in forms) else OMIT
    if not isinstance(config, Mapping):
        return config
    return _condensed(config) or OMIT


def _is_mapping(value: Any) -> bool:
    # A dict without asking the Mapping ABC (the slow way, for other mappings).
    return type(value) is dict or isinstance(value, Mapping)


# Containers are left out when empty. The Mapping ABC's isinstance is slow, so the
# plain types are told apart by their type first.
_CONTAINERS = (dict, list, tuple)
_SCALARS = (str, int, float, bool)


def _condensed(config: Mapping[Any, Any]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for key, value in config.items():
        kind = type(value)
        if kind in _CONTAINERS:
            if not value:
                continue  # most of a config LangChain made: empty tags, metadata, ...
            if key == "configurable" and kind is dict:
                value = {k: v for k, v in value.items() if not (type(k) is str and k[:2] == "__")}
                if not value:
                    continue
        elif value is None:
            continue
        elif key == "callbacks":
            if not _has_handlers(value):
                continue
        elif key == "recursion_limit":
            if value == _DEFAULT_RECURSION_LIMIT:
                continue
        elif key == "configurable" and isinstance(value, Mapping):
            value = {k: v for k, v in value.items() if not (isinstance(k, str) and k[:2] == "__")}
            if not value:
                continue
        elif kind not in _SCALARS and isinstance(value, (Mapping, list, tuple)) and not value:
            continue  # an empty container of another type
        out[key] = value
    return out


def _has_handlers(callbacks: Any) -> bool:
    """Whether a ``callbacks`` value (a list of handlers or a manager) holds any."""
    if callbacks is None:
        return False
    if isinstance(callbacks, (list, tuple)):
        return bool(callbacks)
    return bool(getattr(callbacks, "handlers", True))
