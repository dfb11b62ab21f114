"""`CallSite`: what the recorder knows about one wrapped method, and binding its arguments.

One `CallSite` per wrapped ``(class, name)``, made by
:func:`spyglass.core.instrument._wrap.wrap_method`; the record build
(:mod:`spyglass.core.recording._build`) asks it to bind a finished call's arguments to
parameter names. Exported by :mod:`spyglass.core.instrument._wrap`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from ..plugins._specs import OMIT

__all__ = ["CallSite"]

_logger = logging.getLogger(__name__)


class CallSite:
    """What the recording logic needs to know about one wrapped method.

    Created by :func:`spyglass.core.instrument._wrap.wrap_method`, once per
    ``(class, name)``. The signature is read lazily, on first record build.
    """

    __slots__ = (
        "__weakref__",
        "_first",
        "_min_args",
        "_names",
        "_order",
        "_required",
        "_signature",
        "_varkw",
        "cls",
        "enabled",
        "forms",
        "func",
        "name",
        "omit",
        "reports_cost",
    )

    def __init__(self, cls: type, name: str, func: Callable[..., Any]) -> None:
        self.cls = cls
        self.name = name
        self.func = func
        self.enabled = True
        # Parameters left out of recorded args (``InstrumentSpec.omit_args`` of every
        # spec that asked for this method).
        self.omit: frozenset[str] = frozenset()
        # Parameter name -> the function giving its recorded value
        # (``InstrumentSpec.arg_forms``; the first spec to name a parameter wins).
        self.forms: dict[str, Callable[[Any], Any]] = {}
        # Whether the record build asks ``spyglass_call_cost`` about this method's
        # calls (some spec asking for it said ``reports_cost=True``).
        self.reports_cost = False
        self._signature: inspect.Signature | None = None
        # A plan to bind without Signature.bind, when the parameters after self are
        # positional-or-keyword, then keyword-only, then maybe ``**kwargs`` (most
        # methods): the positional names, every name's rank, the names without a
        # default and the ``**`` parameter's name.
        self._names: tuple[str, ...] | None = None
        self._min_args = 0  # positional arguments a call without keywords needs
        self._order: dict[str, int] = {}
        self._required: tuple[str, ...] = ()
        self._varkw: str | None = None
        self._first = "self"  # the name of the instance parameter, whatever it is

    def signature(self) -> inspect.Signature | None:
        """The method's signature (``self`` included), or ``None`` if unknown."""
        sig = self._signature
        if sig is None:
            try:
                sig = inspect.signature(self.func)
            except (TypeError, ValueError):
                return None
            params = list(sig.parameters.values())
            if params and params[0].kind in (
                params[0].POSITIONAL_ONLY,
                params[0].POSITIONAL_OR_KEYWORD,
            ):
                self._first = params[0].name
                self._plan(params[1:])
            self._signature = sig
        return sig

    def _plan(self, params: list[inspect.Parameter]) -> None:
        kinds = [p.kind for p in params]
        varkw = params[-1].name if kinds and kinds[-1] is inspect.Parameter.VAR_KEYWORD else None
        named = params[:-1] if varkw is not None else params
        pos = [p for p in named if p.kind is p.POSITIONAL_OR_KEYWORD]
        if [*pos, *(p for p in named if p.kind is p.KEYWORD_ONLY)] != named or any(
            p.name in ("self", "_self") for p in params
        ):
            return  # *args, positional-only parameters or odd names: Signature.bind
        self._names = tuple(p.name for p in pos)
        self._order = {p.name: i for i, p in enumerate(named)}
        self._required = tuple(p.name for p in named if p.default is p.empty)
        self._varkw = varkw
        # Required positional parameters come first; a required keyword-only one
        # always needs a keyword.
        kw_required = any(p.kind is p.KEYWORD_ONLY for p in named if p.default is p.empty)
        self._min_args = len(pos) + 1 if kw_required else sum(p.default is p.empty for p in pos)

    def bind(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Bind a call's arguments: an ``inspect.BoundArguments`` (``self`` included).

        Falls back to a stand-in holding ``{"args": args, "kwargs": kwargs}`` when
        the arguments do not fit the signature (the call itself then raised).
        """
        sig = self.signature()
        if sig is not None:
            planned = self._planned(args, kwargs)
            if planned is not None:  # what Signature.bind gives, without its cost
                return inspect.BoundArguments(sig, {self._first: instance, **planned})
            try:
                return sig.bind(instance, *args, **kwargs)
            except TypeError:
                pass
        return _LooseBindings(args, kwargs)

    def arguments(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """The call's arguments by parameter name; the instance parameter left out.

        The same as ``bind(...).arguments`` without the instance, in parameter order.
        """
        if self._signature is None:
            self.signature()
        names = self._names
        if names is not None and not kwargs and self._min_args <= len(args) <= len(names):
            out: dict[str, Any] | None = dict(zip(names, args))  # the plan's common case
        else:
            out = self._planned(args, kwargs)
        if out is None:
            bound = self.bind(instance, args, kwargs).arguments
            first = self._first
            out = {k: v for k, v in bound.items() if k != first and k != "self" and k != "_self"}
        if self.omit:
            for name in self.omit:
                out.pop(name, None)
        if self.forms:
            _apply_forms(self.forms, out)
        return out

    def _planned(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any] | None:
        """The arguments by name (a new dict) by the plan; ``None`` when only Signature.bind can tell."""
        names = self._names
        if names is None or len(args) > len(names):
            return None
        if not kwargs:
            return dict(zip(names, args)) if len(args) >= self._min_args else None
        return self._with_keywords(dict(zip(names, args)), kwargs)

    def _with_keywords(self, out: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any] | None:
        """Add keyword arguments by the plan; ``None`` when only Signature.bind can tell."""
        order = self._order
        extra: dict[str, Any] | None = None
        last = -1
        ordered = True  # keywords given in parameter order (usual): no sort needed
        for key, value in kwargs.items():
            rank = order.get(key)
            if rank is None:
                if self._varkw is None:
                    return None  # unexpected keyword: the call raised
                if extra is None:
                    extra = {}
                extra[key] = value
                continue
            if key in out:
                return None  # given twice: the call raised
            out[key] = value
            if rank < last:
                ordered = False
            last = rank
        for name in self._required:
            if name not in out:
                return None  # a missing argument: the call raised
        # The positional arguments come first in parameter order and every keyword
        # ranks after them (an earlier name would be given twice), so only the
        # keywords can be out of order.
        ranked = (
            out if ordered else {name: out[name] for name in sorted(out, key=order.__getitem__)}
        )
        if extra:
            ranked[self._varkw] = extra  # type: ignore[index]
        return ranked


class _LooseBindings:
    """A stand-in for ``inspect.BoundArguments`` when binding failed."""

    __slots__ = ("args", "arguments", "kwargs")

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.args = args
        self.kwargs = kwargs
        self.arguments = {"args": args, "kwargs": kwargs}


def _apply_forms(forms: dict[str, Callable[[Any], Any]], out: dict[str, Any]) -> None:
    """Replace each argument that has a form by its form, or drop it for `OMIT`."""
    for name, form in forms.items():
        if name not in out:
            continue
        try:
            value = form(out[name])
        except Exception as exc:  # noqa: BLE001 - the argument is recorded as it was
            _logger.debug("spyglass: the form of argument %r failed (%r)", name, exc)
            continue
        if value is OMIT:
            del out[name]
        else:
            out[name] = value
