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
import itertools
import logging
import reprlib
from collections.abc import Callable, Sequence
from typing import Any

from .._redact import guard
from ..serial._jsonify import REDACTED, is_secret_key
from ..serial._secrets import redact_text
from ..serial._types import _safe_text
from ._manager import call_first

__all__ = ["default_main_input", "default_main_output", "main_input", "main_output"]

logger = guard(logging.getLogger(__name__))  # secrets redacted in its lines

# Values TruLens calls "JSON bases": returned as str() once reached.
_BASES = (str, int, float, bytes, type(None))
# The longest text a "could not determine" message quotes from the app's values.
_MAX_QUOTE = 2_000
# How deep the main-input rule looks into nested single values.
_MAX_STEPS = 100


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
    return "spyglass: Could not determine main input from " + _quote(all_args)


_NOTHING = object()


def _narrow(all_args: list[Any], keys: tuple[str, ...], *, exactly_one: bool) -> Any:
    """Look into single (or first) values until a plain value is reached.

    Only the element looked into is extracted (a list's content is its elements'
    content, element by element), so a huge argument costs one element's work. A
    sequence met again (one that contains itself) or a chain deeper than
    ``_MAX_STEPS`` ends the search: the rule never loops.
    """
    focus: Any = all_args
    seen: set[int] = set()
    for _ in range(_MAX_STEPS):
        if isinstance(focus, _BASES) or id(focus) in seen:
            break
        seen.add(id(focus))
        size = len(focus)
        if size != 1 if exactly_one else size < 1:
            break
        focus = _content(focus[0], keys)
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
        content = _content(ret, ("content", "output"))
        if isinstance(content, str):
            return content
        if isinstance(content, float):
            return str(content)
        if isinstance(content, dict):
            key, first = next(iter(content.items()), ("", ""))
            if isinstance(key, str) and is_secret_key(key):
                return REDACTED  # TruLens's rule would make a secret the main output
            return _safe_str(_content(first, ("content",)))
        if isinstance(content, Sequence):
            if len(content) > 0:
                return _safe_str(content[0])
            return (
                f"spyglass: Could not determine main output of {_name(func)} from "
                f"{type(content).__name__} value {_quote(content)}."
            )
        if content is None:
            return f"spyglass: Could not determine main output of {_name(func)} from None."
        return redact_text(_safe_str(content))  # str() of an object may quote anything
    except Exception:
        logger.debug("main output rule failed on %s", _name(func), exc_info=True)
        return (
            f"spyglass: Could not determine main output of {_name(func)} from a value of "
            f"type {type(ret).__name__}."
        )


def _content(value: Any, keys: Sequence[str] = ("content",)) -> Any:
    """TruLens's ``_extract_content``, one level at a time: the content of a message or dict.

    A pydantic model's ``content`` (or its choices' messages); a dict's first ``keys``
    entry. Anything else, including lists and dicts without those keys, is returned as
    it is: TruLens extracted every element of a list and every value of a dict, but its
    rules only ever read one of them, which the caller extracts when it gets there.
    """
    model_dump = getattr(type(value), "model_dump", None)
    if model_dump is not None and hasattr(type(value), "model_fields"):
        content = getattr(value, "content", None)
        if content is not None:
            return content
        choices = getattr(value, "choices", None)
        if choices is not None:
            return _Messages(choices)
        try:
            return model_dump(value)
        except Exception as exc:  # noqa: BLE001 - spyglass never raises into the app
            return _safe_str(exc)
    if isinstance(value, dict):
        for key in keys:
            content = value.get(key)
            if content is not None:
                return content
    return value


class _Messages(Sequence[Any]):
    """The content of each choice's message, read only for the choices asked for."""

    def __init__(self, choices: Sequence[Any]) -> None:
        self._choices = choices

    def __len__(self) -> int:
        return len(self._choices)

    def __getitem__(self, index: Any) -> Any:
        return _content(getattr(self._choices[index], "message", None))


def _quote(value: Any) -> str:
    """``str(value)`` for a message: bounded, with secrets redacted.

    Written as Python writes it, but a few items per container and short strings, so
    quoting a huge value costs what is quoted; the values of secret-named keys and
    registered secrets inside texts read ``__tru_redacted`` as in a record.
    """
    try:
        text = _QUOTER.repr(value)
    except Exception:  # noqa: BLE001 - a value whose repr raises
        text = f"<{type(value).__name__}>"
    text = redact_text(text)
    return text if len(text) <= _MAX_QUOTE else text[:_MAX_QUOTE] + "..."


class _Quoter(reprlib.Repr):
    """`reprlib.Repr` that reads only the items it shows (reprlib sorts every dict and
    set first) and leaves out the values of secret-named keys."""

    def repr_dict(self, x: dict[Any, Any], level: int) -> str:
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        shown = [
            f"{self.repr1(k, level - 1)}: "
            + (
                repr(REDACTED)
                if isinstance(k, str) and is_secret_key(k)
                else self.repr1(v, level - 1)
            )
            for k, v in itertools.islice(x.items(), self.maxdict)
        ]
        more = ", ..." if len(x) > self.maxdict else ""
        return "{" + ", ".join(shown) + more + "}"

    def repr_set(self, x: Any, level: int) -> str:
        if not x:
            return f"{type(x).__name__}()"
        if level <= 0:
            return "{...}"
        shown = [self.repr1(v, level - 1) for v in itertools.islice(x, self.maxset)]
        more = ", ..." if len(x) > self.maxset else ""
        text = "{" + ", ".join(shown) + more + "}"
        return text if type(x) is set else f"{type(x).__name__}({text})"

    repr_frozenset = repr_set


_QUOTER = _Quoter()
_QUOTER.maxstring = _QUOTER.maxother = 200
_QUOTER.maxlevel = 4


def _safe_str(value: Any) -> str:
    """``str(value)`` (else its repr, else a text that cannot fail), bounded in length."""
    text = _safe_text(value)
    if len(text) > _MAX_QUOTE and not isinstance(value, str):
        return text[:_MAX_QUOTE] + f"... ({len(text)} characters)"
    return text


def _name(func: Any) -> str:
    return str(getattr(func, "__name__", None) or type(func).__name__)
