"""How a feedback evaluates: selected values in, checked numbers out.

The pieces of :meth:`spyglass.core.Feedback.run` that do not depend on the builder:
reading an implementation's parameters, explaining a selector that selected nothing,
checking what an implementation returned, and aggregating. Private; the public names
live in :mod:`spyglass.core.feedback._feedback`.
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import logging
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import SelectorError
from ..lens._lens import Lens
from ..lens._select import Select
from ..schema._enums import (
    FeedbackCombinations,
    FeedbackOnMissingParameters,
    FeedbackResultStatus,
)
from ..serial._jsonify import jsonify
from ..serial._pyschema import FunctionOrMethod

__all__ = [
    "Outcome",
    "aggregate",
    "app_json",
    "as_lens",
    "callable_schema",
    "combine",
    "failed",
    "interpret",
    "parameters",
    "render",
    "select_values",
    "skipped",
    "why_nothing_selected",
]

logger = logging.getLogger("spyglass.core.feedback._feedback")


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How an evaluation ended: its status, and its value or why there is none.

    Every step of an evaluation returns its value or an `Outcome` that ends it (a
    selector that selected nothing, a return value that is not a score, ...);
    statuses travel as values, never as exceptions.

    Attributes:
        status: ``done``, ``failed`` or ``skipped``.
        result: the aggregate (``done`` only; ``NaN`` with a ``multi_result``).
        multi_result: the JSON of the per-key aggregates of dict-valued scores.
        error: why the evaluation did not complete (``failed``, ``skipped``).
    """

    status: FeedbackResultStatus
    result: float | None = None
    multi_result: str | None = None
    error: str | None = None


def failed(message: str) -> Outcome:
    """An outcome with status ``failed`` that says why."""
    return Outcome(FeedbackResultStatus.FAILED, error=message)


def skipped(message: str) -> Outcome:
    """An outcome with status ``skipped`` that says why."""
    return Outcome(FeedbackResultStatus.SKIPPED, error=message)


def describe(value: Any) -> str:
    """A short description of a value met by a selector, for error messages."""
    if value is None:
        return "None"
    if isinstance(value, Mapping):
        keys = list(value)
        if not keys:
            return "an empty dict"
        shown = ", ".join(f"`{k}`" for k in keys[:12])
        more = f" (and {len(keys) - 12} more)" if len(keys) > 12 else ""
        return f"a dict with keys {shown}{more}"
    if isinstance(value, (list, tuple)):
        return "an empty list" if not value else f"a list of {len(value)} items"
    if isinstance(value, str):
        return "an empty string" if not value else f"a string of {len(value)} characters"
    return f"a value of type `{type(value).__name__}`"


def render(lens: Lens) -> str:
    """The ``Select.…`` form of a lens, falling back to its string form."""
    try:
        return str(Select.render_for_dashboard(lens))
    except Exception:  # noqa: BLE001 - a rendering problem must not hide the real message
        return str(lens)


def why_nothing_selected(lens: Lens, source: Any) -> str:
    """Say which step of ``lens`` came up empty on ``source``, and why.

    Only used on the failure path: it re-evaluates prefixes of the lens.
    """
    try:
        values = list(lens.get(source))
    except Exception as exc:  # noqa: BLE001 - the lens error names the step and what exists there
        return str(exc)
    if values:
        return f"`{lens}` selects {len(values)} value(s)"
    path = tuple(lens.path)
    before: list[Any] = [source]
    for i, step in enumerate(path):
        prefix = Lens(path=path[: i + 1])
        try:
            now = list(prefix.get(source))
        except Exception as exc:  # noqa: BLE001 - any failure is the answer
            return str(exc)
        if not now:
            met = "; ".join(describe(v) for v in before[:3])
            if len(before) > 3:
                met += f"; … ({len(before)} values in all)"
            return (
                f"step `{step!r}` of `{lens}` selected nothing: `{Lens(path=path[:i])}` gave {met}"
            )
        before = now
    return f"`{lens}` selected nothing"


def parameters(imp: Callable[..., Any]) -> tuple[list[str], bool, set[str]]:
    """Names of the parameters a selector can fill, whether ``**kwargs`` is
    accepted, and which names are required (no default)."""
    try:
        sig = inspect.signature(imp)
    except (TypeError, ValueError):
        return [], True, set()
    names: list[str] = []
    required: set[str] = set()
    var_kw = False
    for p in sig.parameters.values():
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            var_kw = True
        elif p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
            names.append(p.name)
            if p.default is inspect.Parameter.empty:
                required.add(p.name)
    return names, var_kw, required


def as_lens(value: Any, param: str) -> Lens:
    if isinstance(value, Lens):
        return value
    if isinstance(value, str):
        return Lens.of_string(value)
    raise SelectorError(
        f"Expected a Lens (e.g. `Select.RecordOutput`) or its string form for argument "
        f"`{param}`, but got `{value!r}` of type `{type(value).__name__}`."
    )


def callable_schema(func: Callable[..., Any] | None) -> Any:
    """Serialise a callable for the definition; ``None`` if it cannot be."""
    if func is None:
        return None

    try:
        return _loadable_if_safe(func)
    except Exception as exc:  # noqa: BLE001 - optional: the definition omits it
        logger.warning(
            "Could not serialise %r for a feedback definition (%s); the definition will not "
            "name it and cannot be reloaded to run later.",
            func,
            exc,
        )
        return None


def _loadable_if_safe(func: Callable[..., Any]) -> Any:
    """Describe `func`, with its object's constructor arguments when that is possible
    and they hold no secret, so that a stored definition can rebuild the object (a
    provider, say) in another process; else without them."""
    try:
        described = FunctionOrMethod.of_callable(func, loadable=True)
    except RuntimeError:  # the object cannot be rebuilt: describe it by class and id only
        return FunctionOrMethod.of_callable(func)
    bindings = getattr(getattr(described, "obj", None), "init_bindings", None)
    if bindings is not None and jsonify(bindings.model_dump()) != bindings.model_dump():
        # Redaction changed something: the arguments hold a secret, which is never stored.
        return FunctionOrMethod.of_callable(func)
    return described


def interpret(ret: Any) -> tuple[float | dict[str, float], dict[str, Any]] | Outcome:
    """Check what an implementation returned: a number, ``(number, meta)`` or a dict
    of numbers, with its meta dict; else a ``failed`` outcome naming the problem."""
    meta: dict[str, Any] = {}
    if isinstance(ret, tuple) and len(ret) == 2 and isinstance(ret[1], Mapping):
        ret, meta = ret[0], dict(ret[1])
    if isinstance(ret, numbers.Real) and not isinstance(ret, bool):
        return float(ret), meta
    if isinstance(ret, bool):
        return float(ret), meta
    if isinstance(ret, Mapping) and ret:
        out: dict[str, float] = {}
        for k, v in ret.items():
            if not isinstance(v, numbers.Real):
                return failed(
                    f"Feedback implementation returned a dict whose value for `{k}` is "
                    f"`{v!r}` ({type(v).__name__}); every value must be a number."
                )
            out[str(k)] = float(v)
        return out, meta
    return failed(
        "Feedback implementation must return a number, a (number, dict) pair, or a "
        f"non-empty dict of numbers, but returned `{ret!r}` of type `{type(ret).__name__}`."
    )


def aggregate(agg: Callable[..., Any], values: list[float]) -> float | Outcome:
    """``agg(values)`` as a float, or a ``failed`` outcome if it is not a number.

    An exception raised by ``agg`` itself propagates (the caller reports it with the
    values).
    """
    out = agg(values)
    try:
        return float(out)
    except (TypeError, ValueError):
        return failed(
            f"Aggregator `{getattr(agg, '__name__', agg)}` returned `{out!r}`, which is not a "
            "number."
        )


def select_values(
    feedback: Any, source: dict[str, Any], kwargs: dict[str, Any]
) -> dict[str, list[Any]] | Outcome:
    """The list of values of every argument of ``feedback``, in selector order.

    Keyword arguments given to ``run`` override selectors and fill parameters without
    one. A selector that selects nothing ends the evaluation as ``feedback.if_missing``
    says; a required parameter with neither selector nor value fails it.
    """
    values: dict[str, list[Any]] = {}
    problems: list[str] = []
    for param, lens in feedback.selectors.items():
        if param in kwargs:
            values[param] = [kwargs[param]]
            continue
        try:
            selected = list(lens.get(source))
        except Exception:  # noqa: BLE001 - explained below
            selected = []
        if not selected:
            problems.append(
                f"Selector for argument `{param}`, `{render(lens)}`, selected nothing: "
                f"{why_nothing_selected(lens, source)}"
            )
        values[param] = selected
    if problems:
        return _missing(feedback, f"Feedback `{feedback.name}`: " + "\n".join(problems))
    for param, value in kwargs.items():
        values.setdefault(param, [value])
    _, _, required = feedback._parameters()
    unset = sorted(required - set(values))
    if unset:
        return failed(
            f"Feedback `{feedback.name}`: argument(s) "
            + ", ".join(f"`{n}`" for n in unset)
            + f" of {feedback._imp_label()} have no selector; add them with "
            ".on(name=Select...) or pass them to run()."
        )
    return values


def _missing(feedback: Any, message: str) -> Outcome:
    mode = FeedbackOnMissingParameters(feedback.if_missing)
    if mode is FeedbackOnMissingParameters.ERROR:
        return failed(message)
    if mode is FeedbackOnMissingParameters.WARN:
        logger.warning("%s", message)
    return skipped(message)


def combine(feedback: Any, values: dict[str, list[Any]]) -> Iterable[dict[str, Any]] | Outcome:
    """The argument dicts to call the implementation with, per ``feedback.combinations``.

    ``product``: every combination, the last parameter varying fastest. ``zip``: the
    i-th values together; lists of different lengths fail the evaluation.
    """
    names = list(values)
    lists = [values[n] for n in names]
    if FeedbackCombinations(feedback.combinations) is FeedbackCombinations.ZIP:
        lengths = {n: len(v) for n, v in values.items()}
        if len(set(lengths.values())) > 1:
            return failed(
                f"Feedback `{feedback.name}` combines its arguments with zip, but they have "
                "different numbers of values ("
                + ", ".join(f"`{n}`: {k}" for n, k in lengths.items())
                + "); select equally many values or use combinations='product'."
            )
        combos: Iterable[tuple[Any, ...]] = zip(*lists)
    else:
        combos = itertools.product(*lists)
    return (dict(zip(names, combo)) for combo in combos)


def app_json(app: Any) -> Any:
    """The JSON of an app given as a recorder, an AppDefinition or JSON."""
    if app is None or isinstance(app, (Mapping, list, str, int, float)):
        return app
    dump = getattr(app, "model_dump", None)
    if callable(dump):
        return dump()
    return jsonify(app)
