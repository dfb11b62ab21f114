"""The main input and main output of a root call (as TruLens 1.x).

Adapters answer first, through the ``spyglass_main_input`` / ``spyglass_main_output``
hooks; without an answer the TruLens default rules apply:

main input
    The bound arguments without ``self``/``_self``. While there is exactly one value,
    look into it (a pydantic model's ``content``; a dict's ``content`` or ``input``
    key; each element of a list) until a plain value (``str``, ``int``, ``float``,
    ``bytes``, ``None``) is reached, and return it as a ``str``. Failing that, take the
    first element at each level. Failing that, a message that names the arguments.

main output
    A plain value as ``str``; a sequence of strings joined (so the chunks of a stream
    concatenate); else the content extracted as above (keys ``content``/``output``):
    a string, a float as ``str``, a dict's first value, a sequence's first element.

Unlike TruLens these functions are total: whatever the app passes or returns
(objects whose ``__str__`` raises, sequences whose ``len`` raises, huge values),
they return a value and never raise. Messages are bounded in length.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from typing import Any

from ..serial._types import _safe_text
from ._manager import call_first

__all__ = ["default_main_input", "default_main_output", "main_input", "main_output"]

logger = logging.getLogger(__name__)

# Values TruLens calls "JSON bases": returned as str() once reached.
_BASES = (str, int, float, bytes, type(None))
# The longest text a "could not determine" message quotes from the app's values.
_MAX_QUOTE = 2_000


def main_input(app: Any, func: Callable[..., Any], bindings: inspect.BoundArguments) -> Any:
    """The main input of a root call: the adapters' answer, else the default rules.

    Args:
        app: the wrapped app object.
        func: the root method (unbound function).
        bindings: its arguments, bound to its signature (``self`` included).

    Returns:
        The main input (JSON-able after serialisation). Never raises.
    """
    answer = _ask("spyglass_main_input", app=app, func=func, bindings=bindings)
    return default_main_input(func, bindings) if answer is None else answer


def main_output(
    app: Any,
    func: Callable[..., Any],
    bindings: inspect.BoundArguments,
    ret: Any,
    streamed: bool = False,
) -> Any:
    """The main output of a root call: the adapters' answer, else the default rules.

    Args:
        app: the wrapped app object.
        func: the root method.
        bindings: its bound arguments.
        ret: its return value; for a streamed root, the list of the items it yielded.
        streamed: whether ``ret`` is the list of a stream's items.

    Returns:
        The main output. Never raises.
    """
    answer = _ask(
        "spyglass_main_output", app=app, func=func, bindings=bindings, ret=ret, streamed=streamed
    )
    return default_main_output(func, ret) if answer is None else answer


def _ask(hook: str, **kwargs: Any) -> Any:
    try:
        return call_first(hook, **kwargs)
    except Exception:  # call_first logs adapter errors itself; this is the last guard
        logger.debug("spyglass could not ask the adapters for %s", hook, exc_info=True)
        return None


# ----------------------------------------------------------------- default rules


def default_main_input(func: Callable[..., Any], bindings: inspect.BoundArguments) -> Any:
    """The TruLens rule for the main input (see the module docstring). Never raises.

    Args:
        func: the root method (only named in messages).
        bindings: its bound arguments.

    Returns:
        A string: the main input, or a message saying it could not be determined.
    """
    try:
        all_args = [v for k, v in bindings.arguments.items() if k not in ("self", "_self")]
    except Exception:  # noqa: BLE001 - spyglass never raises into the app
        return "spyglass: Could not determine main input: the arguments could not be read."
    try:
        found = _narrow(all_args, ("content", "input"), exactly_one=True)
        if found is _NOTHING:
            found = _narrow(all_args, ("content",), exactly_one=False)
        if found is not _NOTHING:
            return _safe_str(found)
    except Exception:
        logger.debug("main input rule failed on %s", _name(func), exc_info=True)
    return "spyglass: Could not determine main input from " + _safe_str(all_args)


_NOTHING = object()


def _narrow(all_args: list[Any], keys: tuple[str, ...], *, exactly_one: bool) -> Any:
    """Look into single (or first) values until a plain value is reached."""
    focus: Any = all_args
    while not isinstance(focus, _BASES):
        size = len(focus)
        if size != 1 if exactly_one else size < 1:
            break
        focus = _extract_content(focus[0], keys)
        if not isinstance(focus, Sequence):
            break
    return focus if isinstance(focus, _BASES) else _NOTHING


def default_main_output(func: Callable[..., Any], ret: Any) -> Any:
    """The TruLens rule for the main output (see the module docstring). Never raises.

    Args:
        func: the root method (only named in messages).
        ret: what it returned (for a stream, the list of its items).

    Returns:
        A string: the main output, or a message saying it could not be determined.
    """
    try:
        if isinstance(ret, _BASES):
            return _safe_str(ret)
        if isinstance(ret, Sequence) and all(isinstance(x, str) for x in ret):
            return "".join(ret)
        content = _extract_content(ret, ("content", "output"))
        if isinstance(content, str):
            return content
        if isinstance(content, float):
            return str(content)
        if isinstance(content, dict):
            return _safe_str(next(iter(content.values()), ""))
        if isinstance(content, Sequence):
            if len(content) > 0:
                return _safe_str(content[0])
            return (
                f"spyglass: Could not determine main output of {_name(func)} from "
                f"{type(content).__name__} value {_safe_str(content)}."
            )
        if content is None:
            return f"spyglass: Could not determine main output of {_name(func)} from None."
        return _safe_str(content)
    except Exception:
        logger.debug("main output rule failed on %s", _name(func), exc_info=True)
        return (
            f"spyglass: Could not determine main output of {_name(func)} from a value of "
            f"type {type(ret).__name__}."
        )


def _extract_content(value: Any, keys: Sequence[str] = ("content",)) -> Any:
    """TruLens's ``_extract_content``: the content inside messages and dicts."""
    model_dump = getattr(type(value), "model_dump", None)
    if model_dump is not None and hasattr(type(value), "model_fields"):
        content = getattr(value, "content", None)
        if content is not None:
            return content
        choices = getattr(value, "choices", None)
        if choices is not None:
            return [_extract_content(getattr(c, "message", None)) for c in choices]
        try:
            return {
                k: _extract_content(v) if isinstance(v, (dict, list)) else v
                for k, v in model_dump(value).items()
            }
        except Exception as exc:  # noqa: BLE001 - spyglass never raises into the app
            return _safe_str(exc)
    if isinstance(value, dict):
        for key in keys:
            content = value.get(key)
            if content is not None:
                return content
        return {
            k: _extract_content(v) if isinstance(v, (dict, list)) else v for k, v in value.items()
        }
    if isinstance(value, list):
        return [_extract_content(item) for item in value]
    return value


def _safe_str(value: Any) -> str:
    """``str(value)`` (else its repr, else a text that cannot fail), bounded in length."""
    text = _safe_text(value)
    if len(text) > _MAX_QUOTE and not isinstance(value, str):
        return text[:_MAX_QUOTE] + f"... ({len(text)} characters)"
    return text


def _name(func: Any) -> str:
    return str(getattr(func, "__name__", None) or type(func).__name__)
