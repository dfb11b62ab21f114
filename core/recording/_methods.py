"""Method helpers of the recorder: `HybridMethod`, and finding the instrumented method.

Kept apart from :mod:`spyglass.core.recording._app` so that the recorder class stays
about recording.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..instrument import _wrap as instrument

__all__ = ["MOVED", "HybridMethod", "name_of", "qualname", "through_class"]


class HybridMethod:
    """A method that works on the class (``TruChain.select_context(chain)``) and on a
    recorder (``recorder.select_context()``, whose app is then the default).

    The decorated function is called as ``func(cls, app, *args, **kwargs)``; other
    arguments pass through (``TruChain.select_context(chain, retriever=...)``).
    """

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.__doc__ = func.__doc__

    def __get__(self, instance: Any, owner: type | None = None) -> Callable[..., Any]:
        def bound(app: Any = None, *args: Any, **kwargs: Any) -> Any:
            if app is None and instance is not None:
                app = instance.app
            return self.func(owner if owner is not None else type(instance), app, *args, **kwargs)

        bound.__doc__ = self.__doc__
        return bound


MOVED = {
    # TruLens methods that are gone, and what to use instead
    "call_with_record": "use `ret, record = recorder.with_record(func, *args)`.",
    "acall_with_record": "use `ret, record = await recorder.awith_record(func, *args)`.",
    "with_": "use `recorder.with_record(func, *args)` (returns the result and the record).",
    "awith_": "use `await recorder.awith_record(func, *args)`.",
    "_call": "call the app itself inside `with recorder as recording:`.",
}


def through_class(func: Any) -> Any:
    """``obj.method`` looked up again, so that a bound method taken before the recorder
    wrapped its class goes through the wrapper."""
    owner = getattr(func, "__self__", None)
    name = getattr(func, "__name__", None)
    if (
        not inspect.ismethod(func)
        or owner is None
        or isinstance(owner, type)
        or not isinstance(name, str)
    ):
        return func
    defining = instrument.defining_class(type(owner), name)
    if defining is None or not instrument.is_wrapped(defining, name):
        return func
    try:
        return getattr(owner, name)
    except Exception:  # noqa: BLE001 - spyglass never raises into the app
        return func


def qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def name_of(func: Any) -> str:
    return str(getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or func)
