"""What a recorder wrapped, as ``(class, method)`` pairs, and whether un-instrumenting undid it.

The public view of the wrap table is ``recorder.instrumented()``, which names classes
by their qualified name (``"module.QualName"``) only. The classes are found again
among the MROs of the app's components (reached through their paths, with public
`Lens`) and of the classes the test claims; failing that, in modules already imported.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import sys
from collections.abc import Iterable
from typing import Any

from spyglass.core import App, Lens

from ._outcome import short

__all__ = [
    "MISSING",
    "Snapshot",
    "component_objects",
    "defining_class",
    "printed_instrumentation",
    "qualified_name",
    "restore_problems",
    "snapshot",
    "wrapped_pairs",
]

MISSING: Any = object()
"""Stands for an attribute a class does not have (in snapshots)."""

Snapshot = dict[type, dict[str, Any]]
"""``class -> a copy of its __dict__``."""


def qualified_name(cls: type) -> str:
    """``module.QualName``, as ``recorder.instrumented()`` names classes."""
    return f"{cls.__module__}.{cls.__qualname__}"


def defining_class(cls: type, name: str) -> type | None:
    """The first class in ``cls``'s MRO whose own ``__dict__`` has ``name``."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass
    return None


def component_objects(recorder: App) -> list[Any]:
    """The app's components, found from ``recorder.instrumented()`` paths (public `Lens`)."""
    found: list[Any] = []
    for component in recorder.instrumented()["components"]:
        # A path the lens cannot follow is only a hint lost.
        with contextlib.suppress(Exception):
            found.append(Lens.of_string(component["path"]).get_sole_item({"app": recorder.app}))
    return found


def _resolve(name: str, hints: Iterable[type]) -> type | None:
    for hint in hints:
        for klass in getattr(hint, "__mro__", ()):
            if qualified_name(klass) == name:
                return klass  # type: ignore[no-any-return]
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        obj: Any = module
        for part in parts[cut:]:
            obj = getattr(obj, part, None)
        if isinstance(obj, type) and qualified_name(obj) == name:
            return obj
    return None


def wrapped_pairs(recorder: App, hints: Iterable[type]) -> tuple[list[tuple[type, str]], list[str]]:
    """The ``(defining class, method)`` pairs ``recorder.instrumented()`` lists.

    Args:
        recorder: a recorder.
        hints: classes among whose MROs the listed classes are looked for first.

    Returns:
        The pairs found, and the ``Class.method`` names whose class could not be found.
    """
    hint_list = [*hints, *(type(obj) for obj in component_objects(recorder))]
    pairs: list[tuple[type, str]] = []
    unresolved: list[str] = []
    for method in recorder.instrumented()["methods"]:
        cls = _resolve(method["class"], hint_list)
        if cls is None:
            unresolved.append(f"{method['class']}.{method['name']}")
        elif (cls, method["name"]) not in pairs:
            pairs.append((cls, method["name"]))
    return pairs, unresolved


def snapshot(classes: Iterable[type]) -> Snapshot:
    """A copy of each class's ``__dict__`` (the objects themselves, not copies of them)."""
    return {cls: dict(vars(cls)) for cls in classes}


def _is_wrapper_of(value: Any, original: Any) -> bool:
    seen = 0
    while seen < 100:
        try:
            value = getattr(value, "__wrapped__", MISSING)
        except Exception:  # noqa: BLE001 - a proxy that refuses the attribute
            return False
        if value is MISSING:
            return False
        if value is original:
            return True
        seen += 1
    return False


def restore_problems(before: Snapshot, methods: Iterable[tuple[type, str]]) -> list[str]:
    """What is not back as it was in ``before``, after ``uninstrument()``.

    Every wrapped method must be the identical object again, and no other entry of
    those classes' ``__dict__`` may have changed (dunder caches aside).

    Args:
        before: the classes' dicts before the recorder was built.
        methods: the pairs the recorder wrapped (their messages come first).
    """
    problems: list[str] = []
    wrapped = list(methods)
    ordered = [*wrapped, *((c, n) for c in before for n in sorted(set(before[c]) | set(vars(c))))]
    seen: set[tuple[type, str]] = set()
    for cls, name in ordered:
        if (cls, name) in seen or cls not in before:
            continue
        seen.add((cls, name))
        if (name.startswith("__") and name.endswith("__")) or name.startswith("_abc_"):
            continue
        was = before[cls].get(name, MISSING)
        now = vars(cls).get(name, MISSING)
        if now is was:
            continue
        where = f"{cls.__qualname__}.{name}"
        if was is MISSING:
            problems.append(
                f"after uninstrument(), {where} exists ({short(now)}), but it did not before "
                "the recorder was built"
            )
        elif now is MISSING:
            problems.append(f"after uninstrument(), {where} is gone; it was {short(was)}")
        elif _is_wrapper_of(now, was):
            problems.append(
                f"after uninstrument(), {where} is still a wrapper ({short(now)}) around the "
                "original: something patched it outside spyglass's wrap table, so "
                "uninstrument() cannot undo it (an adapter must wrap only through "
                "InstrumentSpec)"
            )
        else:
            problems.append(
                f"after uninstrument(), {where} is {short(now)}, not the object it was "
                f"before the recorder was built ({short(was)})"
            )
    return problems


def printed_instrumentation(recorder: App) -> tuple[str, str | None]:
    """What ``recorder.print_instrumented()`` prints, or the error it raised."""
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            recorder.print_instrumented()
    except Exception as exc:  # noqa: BLE001 - reported by the caller
        return out.getvalue(), f"{type(exc).__name__}: {exc}"
    return out.getvalue(), None


def function_label(cls: type, name: str) -> str:
    """``Class.method`` as ``print_instrumented`` shows the function (its ``__qualname__``)."""
    function = vars(cls).get(name)
    qualname = getattr(inspect.unwrap(function), "__qualname__", None) if function else None
    return qualname if isinstance(qualname, str) else f"{cls.__qualname__}.{name}"
