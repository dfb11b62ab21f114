"""``TruBasicApp``: record a plain text-to-text function.

The function is held by a :class:`TruWrapperApp`, whose ``_call`` method is what gets
instrumented; each call of the wrapper becomes a record whose main input is read
from the *function's* own parameters (as TruLens 1.x).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from spyglass.core import App
from spyglass.core.plugins import default_main_input, invalidate_instrument_specs

__all__ = ["TruBasicApp", "TruWrapperApp"]

logger = logging.getLogger(__name__)


class TruWrapperApp:
    """Holds a callable so that its calls can be recorded.

    Calling the wrapper calls ``_call``, the instrumented method, which calls the
    function with the same arguments and returns what it returns.

    Args:
        text_to_text: the function to record.
    """

    def __init__(self, text_to_text: Callable[..., Any]) -> None:
        self._call_fn = text_to_text

    def _call(self, *args: Any, **kwargs: Any) -> Any:
        return self._call_fn(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)

    def __repr__(self) -> str:
        return f"TruWrapperApp({self._call_fn!r})"


# This module defines what the custom adapter's `spyglass_instrument_specs` adds for
# TruWrapperApp; a cached answer from before the import lacks it.
invalidate_instrument_specs()


def main_input_of_wrapped(app: TruWrapperApp, bindings: inspect.BoundArguments) -> Any:
    """The main input of ``app._call(*args, **kwargs)``, read against the wrapped function.

    Returns ``None`` (fall back to the default rules) when the arguments do not bind
    to the function's signature.
    """
    args = bindings.arguments.get("args", ())
    kwargs = bindings.arguments.get("kwargs", {})
    function = app._call_fn
    try:
        rebound = inspect.signature(function).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return None
    return default_main_input(function, rebound)


def _check_text_to_text(fn: Any, argument: str) -> None:
    """Raise ``TypeError`` unless ``fn`` can be called with one text, as ``fn("...")``.

    A callable whose signature cannot be read (some builtins) is given the benefit of
    the doubt.
    """
    if not callable(fn):
        raise TypeError(
            f"TruBasicApp({argument}=...) records a function from text to text, e.g. "
            f"TruBasicApp(lambda prompt: prompt.upper()); got {type(fn).__name__} {fn!r}"
        )
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    try:
        signature.bind("text")
    except TypeError as exc:
        raise TypeError(
            f"TruBasicApp({argument}=...) records a function from text to text, but "
            f"{getattr(fn, '__qualname__', fn)!r}{signature} cannot be called with one "
            f"positional argument ({exc}); wrap it, e.g. lambda prompt: fn(prompt, ...)"
        ) from None


class TruBasicApp(App):
    """Records a plain function, e.g. ``str -> str`` (TruLens's ``TruBasicApp``).

    Usage::

        tb = TruBasicApp(lambda prompt: prompt.upper(), app_name="upper")
        with tb as recording:
            tb.app("hello")
        recording.get().main_input    # "hello"
        recording.get().main_output   # "HELLO"

        answer, record = tb.with_record(tb.app, "hello")

    Call the function through ``tb.app`` (the :class:`TruWrapperApp`); calling the
    original function directly is not recorded.

    Args:
        text_to_text: the function to record.
        app: an existing :class:`TruWrapperApp` instead (give one of the two).
        **kwargs: recorder options (``app_name``, ``feedbacks``, ...; see ``App``).

    Raises:
        TypeError: neither or both of ``text_to_text`` and ``app`` were given, or the
            one given is not a ``TruWrapperApp`` nor a callable that takes one
            positional argument (the text).
    """

    def __init__(
        self,
        text_to_text: Callable[..., Any] | None = None,
        app: TruWrapperApp | None = None,
        **kwargs: Any,
    ) -> None:
        if (text_to_text is None) == (app is None):
            raise TypeError(
                "TruBasicApp needs exactly one of `text_to_text` (a function) or `app` "
                "(a TruWrapperApp), e.g. TruBasicApp(my_function, app_name='my app')"
            )
        wrapped: Any = text_to_text if text_to_text is not None else app
        if not isinstance(wrapped, TruWrapperApp):
            _check_text_to_text(wrapped, "text_to_text" if app is None else "app")
            wrapped = TruWrapperApp(wrapped)
        super().__init__(wrapped, **kwargs)

    def default_main_method(self) -> Any:
        """``app._call``: the wrapper's instrumented method."""
        return self.app._call
