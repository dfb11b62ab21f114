"""Check feedback selectors against an app before any record exists.

When a recorder is built, :func:`check_selectors` looks at every selector of every
feedback against the app's *dry-run layout* (``App.dry_run_layout()``: each
instrumented method holds one call whose ``args`` are its parameters and whose
``rets`` is unknown) and the app's JSON. A selector passes when it selects
something there, or when it is cut short only by what cannot be known before the
app runs: return values (``….rets…``), argument values (``….args.<param>…``), which
invocation of a method (``retrieve[1]``), and record fields other than the calls
(``Select.Record.meta``, ``Select.RecordInput``).

A selector that cannot match raises :class:`~spyglass.core.SelectorError` (a
``ValueError``), or warns with ``selector_check_warning=True``; the check is skipped
with ``selector_nocheck=True``. The message says which step failed, what exists
at that point, and the closest names::

    Feedback `Context Relevance`, argument `context`: `Select.RecordCalls.retriever.get_context.rets`
    cannot match this app: `app.retriever` has no instrumented method `get_context`;
    instrumented: `retrieve`, `aretrieve`. Did you mean `retrieve`?
"""

from __future__ import annotations

import difflib
import logging
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..errors import SelectorError
from ..lens import APP_KEY, RECORD_KEY, Lens, StepItemOrAttribute
from ..schema._record import Record, RecordAppCall
from ._eval import render, why_nothing_selected

__all__ = ["SelectorWarning", "check_selectors", "explain_selector"]

logger = logging.getLogger(__name__)

# Fields of a recorded call and of a record (as TruLens 1.x), read from the models so
# a new field is known here too; a record's unserialised fields are not in its layout.
# Values of these are only known once the app ran, so a selector that reaches one passes.
CALL_FIELDS = tuple(RecordAppCall.model_fields)
RECORD_FIELDS = tuple(name for name, field in Record.model_fields.items() if not field.exclude)

_HINT = (
    "To only warn, build the recorder with selector_check_warning=True; "
    "to skip this check, selector_nocheck=True."
)


class SelectorWarning(UserWarning):
    """A feedback selector cannot match the app (with ``selector_check_warning=True``)."""


def _name(step: Any) -> str | None:
    """The name of an item-or-attribute step, else ``None``."""
    return step.get_item_or_attribute() if isinstance(step, StepItemOrAttribute) else None


def _kind(step: Any) -> str:
    return type(step).__name__


def _is_call(value: Any) -> bool:
    if isinstance(value, Mapping):
        return "args" in value and "stack" in value
    return hasattr(value, "args") and hasattr(value, "stack") and hasattr(value, "rets")


def _is_calls(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_call(c) for c in value)


def _field(value: Any, name: str) -> Any:
    return value[name] if isinstance(value, Mapping) else getattr(value, name)


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"`{n}`" for n in names) if names else "(none)"


def _closest(name: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(f"`{c}`" for c in close) + "?"


class _Check:
    """Walks one selector through the dry-run layout; ``None`` means it passes."""

    def __init__(self, source: Mapping[str, Any], app_json: Any) -> None:
        self.source = source
        self.app_json = app_json

    def explain(self, lens: Lens) -> str | None:
        path = tuple(lens.path)
        if not path:
            return None
        head = _name(path[0])
        if head == APP_KEY:
            return self._app(lens)
        if head != RECORD_KEY:
            return (
                f"a selector starts at the record (`__record__`, `Select.Record…`) or the app "
                f"(`__app__`, `Select.App…`), but this one starts with `{path[0]!r}`"
            )
        if len(path) == 1:
            return None
        field = _name(path[1])
        if field != "app":
            if field in RECORD_FIELDS:
                return None  # a record field: its value is known only at run time
            return (
                f"a record has no field `{path[1]!r}`; fields: {_quoted(('app',) + RECORD_FIELDS)}."
                + _closest(field or "", ("app",) + RECORD_FIELDS)
            )
        layout = self.source[RECORD_KEY]
        node = layout.get("app") if isinstance(layout, Mapping) else None
        if node is None:
            return "the app has no instrumented methods at all, so `Select.RecordCalls…` selects nothing"
        return self._component(path, 2, node, "app")

    def _app(self, lens: Lens) -> str | None:
        if self.app_json is None or lens.exists({APP_KEY: self.app_json}):
            return None
        return str(why_nothing_selected(lens, {APP_KEY: self.app_json}))

    def _component(self, path: tuple[Any, ...], i: int, node: Any, where: str) -> str | None:
        while i < len(path):
            step = path[i]
            kind = _kind(step)
            if kind == "Collect":
                return None
            if isinstance(node, list):
                if kind == "GetIndex":
                    idx = step.index
                    if -len(node) <= idx < len(node) and node[idx] is not None:
                        node, where, i = node[idx], f"{where}[{idx}]", i + 1
                        continue
                    return f"`{where}` is a list of {len(node)} components; it has no component [{idx}]"
                if kind in ("GetSlice", "GetIndices"):
                    # Several components at once: check the rest against each.
                    for j, child in enumerate(node):
                        if child is not None:
                            problem = self._component(path, i + 1, child, f"{where}[{j}]")
                            if problem is not None:
                                return problem
                    return None
                return f"`{where}` is a list of {len(node)} components; select one with an index, e.g. `{where}[0]`"
            if not isinstance(node, Mapping):
                return f"`{where}` is not a component"
            name = _name(step)
            if name is None:
                return f"`{where}` is a component; `{step!r}` selects from a list"
            if name in node:
                child = node[name]
                if _is_calls(child):
                    return self._calls(path, i + 1, child, f"{where}.{name}")
                node, where, i = child, f"{where}.{name}", i + 1
                continue
            return self._no_member(path, i, node, where, name)
        return None

    def _no_member(
        self, path: tuple[Any, ...], i: int, node: Mapping[str, Any], where: str, name: str
    ) -> str:
        methods = [k for k, v in node.items() if _is_calls(v)]
        children = [k for k, v in node.items() if not _is_calls(v)]
        nxt = _name(path[i + 1]) if i + 1 < len(path) else None
        wants_method = nxt in CALL_FIELDS or (
            i + 1 < len(path) and _kind(path[i + 1]) in ("GetIndex", "GetSlice", "GetIndices")
        )
        if wants_method:
            msg = f"`{where}` has no instrumented method `{name}`; instrumented: {_quoted(methods)}"
            if children:
                msg += f"; components under it: {_quoted(children)}"
        else:
            msg = f"`{where}` has no component or instrumented method `{name}`; components: {_quoted(children)}; instrumented methods: {_quoted(methods)}"
        msg += "." + _closest(name, methods + children)
        if wants_method and self._in_app(path[1 : i + 1]):
            msg += (
                f" `{where}.{name}` exists in the app but is not instrumented; decorate it with "
                "@instrument or list it in the recorder's methods_to_instrument."
            )
        elif not wants_method and self._in_app(path[1 : i + 1]):
            msg += f" `{where}.{name}` is part of the app, but none of its methods is instrumented."
        return msg

    def _in_app(self, steps: tuple[Any, ...]) -> bool:
        if self.app_json is None:
            return False
        try:
            return bool(Lens(path=steps).exists(self.app_json))
        except Exception:  # noqa: BLE001 - a hint only; never fail the check on it
            return False

    def _calls(self, path: tuple[Any, ...], i: int, calls: list[Any], where: str) -> str | None:
        if i >= len(path):
            return None
        kind = _kind(path[i])
        if kind == "Collect":
            return None
        if kind in ("GetIndex", "GetSlice", "GetIndices"):
            i += 1  # which invocation: known only at run time
            if i >= len(path):
                return None
            if _kind(path[i]) == "Collect":
                return None
        call = calls[0]
        name = _name(path[i])
        if name is None:
            return f"`{path[i]!r}` cannot select from a call of `{where}`; a call has {_quoted(CALL_FIELDS)}"
        if name not in CALL_FIELDS:
            return (
                f"a call of `{where}` has no `{name}`; a call has {_quoted(CALL_FIELDS)}."
                + _closest(name, CALL_FIELDS)
            )
        if name != "args":
            return None  # rets, error, perf, ...: values known only at run time
        i += 1
        if i >= len(path):
            return None
        params = list(_field(call, "args") or {})
        pname = _name(path[i])
        if pname is None:
            if _kind(path[i]) == "Collect":
                return None
            return f"`{where}` arguments are selected by name (`args.<param>`); parameters: {_quoted(params)}"
        if pname in params:
            return None
        return f"`{where}` has no parameter `{pname}`; parameters: {_quoted(params)}." + _closest(
            pname, params
        )


def _selectors(feedback: Any) -> Iterator[tuple[str, Lens]]:
    for param, lens in dict(getattr(feedback, "selectors", None) or {}).items():
        yield f"argument `{param}`", lens
    if_exists = getattr(feedback, "if_exists", None)
    if if_exists is not None:
        yield "if_exists", if_exists


def explain_selector(lens: Lens, layout: Any, app_json: Any = None) -> str | None:
    """Why ``lens`` cannot match an app with this dry-run layout, or ``None``.

    Args:
        lens: a feedback selector.
        layout: the app's dry-run layout (``App.dry_run_layout()``).
        app_json: the app's JSON (``App.model_dump()``), for ``Select.App`` selectors
            and hints.
    """
    source = {RECORD_KEY: layout, APP_KEY: app_json}
    try:
        if lens.exists(source):
            return None
    except Exception:  # noqa: BLE001, S110 - the walk below explains it
        pass
    return _Check(source, app_json).explain(lens)


def _option(app: Any, name: str) -> bool:
    value = getattr(app, name, None)
    if value is None:
        value = getattr(getattr(app, "definition", None), name, False)
    return bool(value)


def check_selectors(app: Any) -> None:
    """Check every feedback selector of ``app`` against its dry-run layout.

    Raises:
        SelectorError: a selector cannot match (unless the app was built with
            ``selector_check_warning=True``, which warns with
            :class:`SelectorWarning` instead, or ``selector_nocheck=True``, which
            skips the check).
    """
    feedbacks = list(getattr(app, "feedbacks", None) or ())
    if not feedbacks or _option(app, "selector_nocheck"):
        return
    try:
        layout = app.dry_run_layout()
    except Exception:
        logger.exception("spyglass could not build the dry-run layout; selectors are not checked")
        return
    app_json: Any = None
    try:
        app_json = app.model_dump()
    except Exception:
        logger.debug("no app JSON for the selector check", exc_info=True)
    problems: list[str] = []
    for fb in feedbacks:
        for what, lens in _selectors(fb):
            try:
                why = explain_selector(lens, layout, app_json)
            except Exception:
                logger.exception("spyglass failed checking selector %s; it is not checked", lens)
                continue
            if why is not None:
                name = getattr(fb, "name", "?")
                problems.append(
                    f"Feedback `{name}`, {what}: `{render(lens)}` cannot match this app: {why}"
                )
    if not problems:
        return
    message = "\n".join(problems) + "\n" + _HINT
    if _option(app, "selector_check_warning"):
        warnings.warn(message, SelectorWarning, stacklevel=3)
        return
    raise SelectorError(message)
