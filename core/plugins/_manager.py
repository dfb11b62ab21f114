"""The adapter registry: one pluggy ``PluginManager`` per process.

Adapters are found through the ``spyglass`` entry-point group, the built-in ones
exactly like a third-party package's::

    [project.entry-points.spyglass]
    toy = "spyglass_toyframework.spyglass_plugin"

On first use, :func:`get_plugin_manager` imports every entry point and admits it
only if it is sound:

- it imports, implements ``spyglass_adapter_info`` and every hookimpl matches a
  spec — otherwise one :class:`SpyglassPluginWarning` naming the entry point, its
  distribution and the reason, and the plugin is skipped;
- every distribution in ``AdapterInfo.requires`` is installed (else the adapter is
  inactive, logged at DEBUG: not having LangChain is not a problem) and inside its
  range (else one warning naming adapter, distribution, installed version and range,
  and the adapter is skipped); an ``optional`` distribution outside its range gives
  one warning but the adapter stays active;
- it is not turned off by ``SPYGLASS_DISABLE_ADAPTERS`` (``"langchain,llamaindex"``
  or ``"all"``; read when the manager is created).

The core never calls a hook directly: :func:`call_first` and :func:`call_all` call
each implementation in pluggy's order, and an implementation that raises is logged
once (naming plugin and hook) and treated as if it had answered ``None``, so an
adapter's bug never breaks the user's app.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import logging
import sys
import threading
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import pluggy

from .._redact import guard
from ..errors import PluginError, SelectorError
from ..schema._measures import Cost
from ..serial._encoders import register_encoder
from . import hookspecs
from ._loading import (
    DISABLE_ENV,
    Registry,
    adapter_info,
    check_requirements,
    load_entry_point,
    on_plugins_changed,
    plugins_changed,
    read_disabled,
    unknown_hooks,
)
from ._specs import AdapterInfo, InstrumentSpec

if TYPE_CHECKING:
    from ..recording._app import App

__all__ = [
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "SpyglassPluginWarning",
    "active_adapters",
    "call_all",
    "call_first",
    "call_first_named",
    "get_plugin_manager",
    "instrument_specs",
    "invalidate_instrument_specs",
    "on_plugins_changed",
    "register_plugin",
    "report_fault",
    "reset_plugin_manager",
    "unregister_plugin",
    "wrap_app",
]

logger = guard(logging.getLogger(__name__))  # secrets redacted in its lines

ENTRY_POINT_GROUP = "spyglass"

# Extras of the `spyglass` distribution that bring an adapter's framework along;
# quoted in the error of `wrap_app` when no adapter recognises an app.
_EXTRAS = {"langchain": "langchain", "llamaindex": "llamaindex"}


class SpyglassPluginWarning(RuntimeWarning):
    """An adapter plugin is broken or incompatible and was skipped (or runs degraded)."""


_lock = threading.RLock()
_registry: Registry | None = None
_loading = False  # entry points are being imported (on the thread holding _lock)
# (plugin name, hook name) pairs whose failure was already logged at WARNING
_failures_logged: set[tuple[str, str]] = set()


# ------------------------------------------------------------------------ the manager


def _warn(message: str) -> None:
    """Warn, attributing the warning to the first frame outside spyglass (the user's code)."""
    level, frame = 1, sys._getframe(0)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("spyglass."):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, SpyglassPluginWarning, stacklevel=level)


def get_plugin_manager() -> pluggy.PluginManager:
    """Return the process's plugin manager, loading the entry points on first use.

    Thread-safe; the entry points are imported once per process (or once after
    :func:`reset_plugin_manager`). Warnings about broken plugins are issued after the
    manager is complete, so a warnings filter that turns them into errors cannot
    leave it half-built.

    Returns:
        The ``pluggy.PluginManager`` of project ``"spyglass"``.
    """
    return _get_registry().pm


def _get_registry() -> Registry:
    registry = _registry
    if registry is not None:
        return registry
    return _create_registry()


def _create_registry() -> Registry:
    global _registry, _loading
    problems: list[str] = []
    with _lock:
        if _registry is not None:
            return _registry
        if _loading:  # the lock is re-entrant: only a plugin's own import gets here
            raise PluginError(
                "a spyglass plugin used the plugin manager while it was being imported; "
                "call spyglass hooks or get_plugin_manager() from functions, not at import time"
            )
        _loading = True
        try:
            registry = _load_registry(problems)
        finally:
            _loading = False
        _registry = registry
    for problem in problems:
        _warn(problem)
    return registry


def _load_registry(problems: list[str]) -> Registry:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    registry = Registry(pm)
    disabled = read_disabled()
    for ep in _entry_points():
        problem = load_entry_point(registry, ep, disabled)
        if problem:
            problems.append(problem)
    for name in list(registry.adapters):
        _register_encoders(registry, name)
    return registry


def reset_plugin_manager() -> None:
    """Forget the plugin manager; the next use loads the entry points again.

    For tests, and after changing ``SPYGLASS_DISABLE_ADAPTERS``. Encoders already
    registered with the serialiser stay registered.
    """
    global _registry
    with _lock:
        _registry = None
        _failures_logged.clear()
    plugins_changed()


def register_plugin(plugin: object, name: str | None = None) -> str:
    """Register an adapter plugin programmatically (tests, apps that ship their own).

    The plugin goes through the same checks as an entry point, but a broken plugin
    raises instead of warning, because the caller can fix it. ``spyglass_adapter_info``
    is optional here: without it the adapter is named ``name``.
    ``SPYGLASS_DISABLE_ADAPTERS`` does not apply to plugins registered in code.

    Args:
        plugin: a module, class or object with :data:`~spyglass.core.hookimpl` functions.
        name: the plugin's name; defaults to pluggy's canonical name for ``plugin``.

    Returns:
        The name it was registered under (pass it to :func:`unregister_plugin`). An
        adapter whose required distribution is not installed is not registered
        (quietly, as for entry points); one outside its range is not registered, with
        a :class:`SpyglassPluginWarning`.

    Raises:
        PluginError: the plugin's hookimpls do not match the specs, its adapter info is
            not an ``AdapterInfo``, or the name is taken.
    """
    registry = _get_registry()
    with _lock:
        pm = registry.pm
        try:
            plugin_name = pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise PluginError(f"spyglass cannot register plugin {name or plugin!r}: {exc}") from exc
        if plugin_name is None:  # pragma: no cover - only with pm.set_blocked
            raise PluginError(f"plugin name {name!r} is blocked in the spyglass plugin manager")
        registry.changed()
        try:
            reason = unknown_hooks(pm, plugin)
            if reason:
                raise PluginError(f"spyglass plugin {plugin_name!r} {reason}")
            info = adapter_info(pm, plugin)
            if info is None:
                info = AdapterInfo(name=plugin_name)
            elif not isinstance(info, AdapterInfo):
                raise PluginError(
                    f"spyglass plugin {plugin_name!r}: spyglass_adapter_info() returned "
                    f"{info!r}; return a spyglass.core.AdapterInfo"
                )
        except Exception:
            pm.unregister(plugin)
            registry.changed()
            raise
        verdict = check_requirements(registry, info, f"plugin {plugin_name!r}")
        if verdict.active:
            registry.adapters[plugin_name] = info
            _register_encoders(registry, plugin_name)
        else:
            pm.unregister(plugin)
        registry.changed()
    if verdict.warning:
        _warn(verdict.warning)
    return plugin_name


def unregister_plugin(name: str) -> None:
    """Remove a plugin registered under ``name``; unknown names are ignored."""
    registry = _get_registry()
    with _lock:
        plugin = registry.pm.get_plugin(name)
        if plugin is not None:
            registry.pm.unregister(plugin, name=name)
        registry.adapters.pop(name, None)
        registry.changed()


def active_adapters() -> list[AdapterInfo]:
    """Return the ``AdapterInfo`` of every active adapter, in registration order."""
    return list(_get_registry().adapters.values())


def invalidate_instrument_specs() -> None:
    """Tell the registry that an adapter's ``spyglass_instrument_specs`` answer changed.

    :func:`instrument_specs` caches the joined answer; an adapter whose specs grow at
    run time (the custom adapter's ``@instrument`` registry) calls this after a change.
    """
    registry = _registry
    if registry is not None:
        registry.specs.clear()


# ------------------------------------------------------------------------ loading


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    seen: set[tuple[str, str]] = set()
    found = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        # An editable install next to a stale dist-info can list one entry point twice.
        if (ep.name, ep.value) not in seen:
            seen.add((ep.name, ep.value))
            found.append(ep)
    return found


def _register_encoders(registry: Registry, plugin_name: str) -> None:
    encoders = _call_one(registry, plugin_name, "spyglass_json_encoders", {})
    if not encoders:
        return
    try:
        for path, encoder in dict(encoders).items():
            register_encoder(path, encoder)
    except Exception as exc:  # noqa: BLE001 - a plugin's failure is logged, not raised
        _log_failure(plugin_name, "spyglass_json_encoders", exc)


# ------------------------------------------------------------------------ calling hooks


def _impls(
    registry: Registry, hook_name: str
) -> tuple[tuple[str, Callable[..., Any], tuple[str, ...]], ...]:
    found = registry.impls.get(hook_name)
    if found is None:
        caller = getattr(registry.pm.hook, hook_name, None)
        if caller is None:
            raise PluginError(
                f"spyglass has no hook named {hook_name!r}; see spyglass.core.plugins.hookspecs"
            )
        found = tuple(
            (impl.plugin_name, impl.function, tuple(impl.argnames))
            # pluggy calls the last registered first; wrappers are not supported here
            for impl in reversed(caller.get_hookimpls())
            if not (impl.wrapper or impl.hookwrapper)
        )
        registry.impls[hook_name] = found
    return found


def _log_failure(plugin_name: str, hook_name: str, exc: BaseException) -> None:
    key = (plugin_name, hook_name)
    if key in _failures_logged:
        logger.debug("spyglass plugin %r failed again in %s: %r", plugin_name, hook_name, exc)
        return
    _failures_logged.add(key)
    logger.warning(
        "spyglass plugin %r raised in hook %s and is ignored for this call (reported once; "
        "update or disable it with %s=%s): %s: %s",
        plugin_name,
        hook_name,
        DISABLE_ENV,
        plugin_name,
        type(exc).__name__,
        exc,
        exc_info=exc,
    )


def _call_one(registry: Registry, plugin_name: str, hook_name: str, kwargs: dict[str, Any]) -> Any:
    for name, function, argnames in _impls(registry, hook_name):
        if name == plugin_name:
            try:
                return function(*[kwargs[a] for a in argnames])
            except Exception as exc:  # noqa: BLE001 - a plugin's failure is logged, not raised
                _log_failure(name, hook_name, exc)
                return None
    return None


def call_first(hook_name: str, /, **kwargs: Any) -> Any:
    """Call a ``firstresult`` hook: the first non-None answer wins.

    Implementations are tried in pluggy's order (last registered first, ``tryfirst``/
    ``trylast`` honoured). One that raises, or answers something of the wrong type
    (a ``spyglass_call_cost`` answer that is not a ``Cost``, a stream wrapper that is
    not callable; see `_ANSWERS`), is logged once naming the plugin and skipped, and
    the next is tried. :class:`~spyglass.core.SelectorError` is the exception: it is
    the answer ``spyglass_select_context`` gives for an ambiguous app, so it propagates.

    Args:
        hook_name: a hook of :mod:`spyglass.core.plugins.hookspecs`, e.g. ``"spyglass_main_input"``.
        **kwargs: the hook's arguments, by name.

    Returns:
        The first non-None answer, or ``None``.
    """
    return call_first_named(hook_name, **kwargs)[1]


def call_first_named(hook_name: str, /, **kwargs: Any) -> tuple[str | None, Any]:
    """`call_first`, also naming the plugin that answered: ``(plugin name, answer)``,
    ``(None, None)`` when none did. For callers that report a later fault of the answer
    (`report_fault`)."""
    registry = _get_registry()
    check = _ANSWERS.get(hook_name)
    arg = kwargs.__getitem__
    for plugin_name, function, argnames in _impls(registry, hook_name):
        try:
            result = function(*map(arg, argnames))  # a C loop: called per record build
        except SelectorError:
            raise
        except Exception as exc:  # noqa: BLE001 - a plugin's failure is logged, not raised
            _log_failure(plugin_name, hook_name, exc)
            continue
        if result is not None:
            if check is not None and not check[0](result):
                _log_wrong_answer(plugin_name, hook_name, result, check[1])
                continue
            return plugin_name, result
    return None, None


def report_fault(plugin_name: str | None, hook_name: str, exc: BaseException) -> None:
    """Log, once per plugin and hook, that what ``plugin_name`` answered to ``hook_name``
    failed when used (a stream wrapper that raised); the caller goes on without it."""
    _log_failure(plugin_name or "?", hook_name, exc)


# hook -> (whether an answer is acceptable, what it should be): answers that fail the
# check are logged and ignored, as if the plugin had not answered.
_ANSWERS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "spyglass_call_cost": (lambda a: isinstance(a, Cost), "a Cost"),
    "spyglass_stream_wrapper": (callable, "a callable wrap(ret, finish)"),
    "spyglass_recorder_class": (lambda a: isinstance(a, type), "a class"),
}


def _log_wrong_answer(plugin_name: str, hook_name: str, answer: Any, expected: str) -> None:
    key = (plugin_name, hook_name + "/answer")
    if key in _failures_logged:
        logger.debug("spyglass plugin %r answered %s wrongly again", plugin_name, hook_name)
        return
    _failures_logged.add(key)
    logger.warning(
        "spyglass plugin %r answered hook %s with a %s, not %s; the answer is ignored "
        "(reported once; update or disable it with %s=%s)",
        plugin_name,
        hook_name,
        type(answer).__name__,
        expected,
        DISABLE_ENV,
        plugin_name,
    )


def call_all(hook_name: str, /, **kwargs: Any) -> list[Any]:
    """Call a hook on every active adapter and collect the non-None answers.

    An implementation that raises is logged once and left out.

    Args:
        hook_name: a hook of :mod:`spyglass.core.plugins.hookspecs`.
        **kwargs: the hook's arguments, by name.

    Returns:
        The answers, in pluggy's call order.
    """
    return [answer for _, answer in _call_all_named(_get_registry(), hook_name, kwargs)]


def _call_all_named(
    registry: Registry, hook_name: str, kwargs: dict[str, Any]
) -> Iterable[tuple[str, Any]]:
    for plugin_name, function, argnames in _impls(registry, hook_name):
        try:
            result = function(*[kwargs[a] for a in argnames])
        except Exception as exc:  # noqa: BLE001 - a plugin's failure is logged, not raised
            _log_failure(plugin_name, hook_name, exc)
            continue
        if result is not None:
            yield plugin_name, result


def instrument_specs() -> tuple[InstrumentSpec, ...]:
    """Return every active adapter's ``InstrumentSpec``, with ``adapter`` filled in.

    Each adapter's answer is cached until plugins change or
    :func:`invalidate_instrument_specs` is called, unless it names a class by the class
    object (the custom adapter's ``@instrument`` marks, workflow classes): the cache must
    not keep a class alive, so such an answer is asked for again each time. An answer
    that is not a sequence of ``InstrumentSpec`` is logged once and dropped from there.
    """
    registry = _get_registry()
    cached = registry.specs
    collected: list[InstrumentSpec] = []
    for plugin_name, function, _ in _impls(registry, "spyglass_instrument_specs"):
        specs = cached.get(plugin_name)
        if specs is None:
            specs = _adapter_specs(registry, plugin_name, function)
            if not any(isinstance(spec.class_path, type) for spec in specs):
                cached[plugin_name] = specs
        collected.extend(specs)
    return tuple(collected)


def _adapter_specs(
    registry: Registry, plugin_name: str, function: Callable[..., Any]
) -> tuple[InstrumentSpec, ...]:
    """One adapter's specs, checked, with ``adapter`` filled in; up to a bad answer."""
    info = registry.adapters.get(plugin_name)
    adapter = info.name if info is not None else plugin_name
    specs: list[InstrumentSpec] = []
    try:
        for spec in function() or ():
            if not isinstance(spec, InstrumentSpec):
                raise TypeError(f"{spec!r} is not an InstrumentSpec")
            specs.append(spec if spec.adapter else dataclasses.replace(spec, adapter=adapter))
    except Exception as exc:  # noqa: BLE001 - a plugin's failure is logged, not raised
        _log_failure(plugin_name, "spyglass_instrument_specs", exc)
    return tuple(specs)


# ------------------------------------------------------------------------ wrap_app


def wrap_app(app: Any, **kwargs: Any) -> App:
    """Wrap any supported app in the recorder that fits it.

    Asks the adapters' ``spyglass_recorder_class`` hook (a LangChain runnable gets
    ``TruChain``, a LlamaIndex engine ``TruLlama``, an object with ``@instrument``-ed
    methods ``TruCustomApp``, a plain function ``TruBasicApp``) and constructs it.

    Args:
        app: the object to record.
        **kwargs: passed to the recorder (``app_name``, ``feedbacks``, ...).

    Returns:
        The recorder, a :class:`spyglass.core.App`.

    Raises:
        TypeError: no active adapter recognises ``app``; the message lists the active
            adapters and the ``pip install`` lines for the others.
    """
    cls = call_first("spyglass_recorder_class", app=app)
    if cls is None:
        registry = _get_registry()
        active = ", ".join(info.name for info in registry.adapters.values()) or "none"
        # Suggest installing only what is really missing, not an adapter turned off.
        missing = [
            f"pip install 'spyglass[{extra}]'"
            for name, extra in _EXTRAS.items()
            if name not in registry.disabled
            and all(info.name != name for info in registry.adapters.values())
        ]
        hint = f" For other frameworks: {'; '.join(missing)}." if missing else ""
        inactive = "".join(
            f" Adapter {name!r} is inactive: {why}." for name, why in registry.inactive.items()
        )
        kind = type(app)
        raise TypeError(
            f"spyglass cannot wrap an object of type {kind.__module__}.{kind.__qualname__}: "
            f"no active adapter recognises it (active adapters: {active}).{inactive}{hint} "
            "For your own classes, mark methods with spyglass.adapters.custom.instrument "
            "and use TruCustomApp."
        )
    recorder: App = cls(app, **kwargs)
    return recorder
