"""Admitting one entry point into the adapter registry (see :mod:`spyglass.core.plugins._manager`).

Imports the entry point, checks that it is a sound adapter (it imports, implements
``spyglass_adapter_info``, every hookimpl matches a spec, its name is free) and that
its ``requires``/``optional`` distributions are installed and in range, and honours
``SPYGLASS_DISABLE_ADAPTERS``. Each check either admits the adapter, marks it inactive
quietly, or returns the text of one warning, which the registry issues once it is
complete.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import logging
import os
from collections.abc import Callable
from typing import Any

import pluggy
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from ._specs import AdapterInfo, InstrumentSpec

__all__ = [
    "DISABLE_ENV",
    "Registry",
    "adapter_info",
    "check_requirements",
    "load_entry_point",
    "read_disabled",
    "unknown_hooks",
]

# The registry's logger: a user configures one logger for all of plugin loading.
logger = logging.getLogger("spyglass.core.plugins._manager")

DISABLE_ENV = "SPYGLASS_DISABLE_ADAPTERS"


@dataclasses.dataclass
class Registry:
    """Everything known about the plugins of one manager."""

    pm: pluggy.PluginManager
    # plugin name -> AdapterInfo, in registration order
    adapters: dict[str, AdapterInfo] = dataclasses.field(default_factory=dict)
    # adapter name -> why it is not active (missing distribution, disabled, ...). An
    # entry point turned off before its import is listed under its own name, which
    # is its adapter's name by convention (`langchain = "spyglass.adapters.langchain._plugin"`).
    inactive: dict[str, str] = dataclasses.field(default_factory=dict)
    # adapter names (keys of `inactive`) turned off by SPYGLASS_DISABLE_ADAPTERS
    disabled: set[str] = dataclasses.field(default_factory=set)
    # hook name -> implementations as (plugin name, function, argnames), in call order
    impls: dict[str, tuple[tuple[str, Callable[..., Any], tuple[str, ...]], ...]] = (
        dataclasses.field(default_factory=dict)
    )
    # plugin name -> its checked `spyglass_instrument_specs` answer (see instrument_specs)
    specs: dict[str, tuple[InstrumentSpec, ...]] = dataclasses.field(default_factory=dict)

    def changed(self) -> None:
        self.impls.clear()
        self.specs.clear()
        plugins_changed()


# Called whenever the set of plugins changes: caches of answers elsewhere (which
# stream wrapper a return type gets) start over. See `on_plugins_changed`.
_listeners: list[Callable[[], None]] = []


def on_plugins_changed(listener: Callable[[], None]) -> None:
    """Call ``listener()`` (which must not raise) whenever plugins are added or removed."""
    _listeners.append(listener)


def plugins_changed() -> None:
    """Tell every listener that the plugins changed."""
    for listener in _listeners:
        listener()


def read_disabled() -> frozenset[str]:
    """The lower-cased names listed in ``SPYGLASS_DISABLE_ADAPTERS`` (``"all"`` included)."""
    raw = os.environ.get(DISABLE_ENV, "")
    return frozenset(part.strip().lower() for part in raw.split(",") if part.strip())


def _disable(registry: Registry, name: str) -> None:
    registry.inactive[name] = f"disabled by {DISABLE_ENV}"
    registry.disabled.add(name)


def _dist_name(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    name = dist.metadata["Name"] if dist is not None else None
    return str(name) if name else "<unknown distribution>"


def _is_disabled(disabled: frozenset[str], *names: str) -> bool:
    return "all" in disabled or any(n.lower() in disabled for n in names)


def load_entry_point(
    registry: Registry, ep: importlib.metadata.EntryPoint, disabled: frozenset[str]
) -> str | None:
    """Import and admit one entry point; return a warning text, or None."""
    where = f"plugin {ep.name!r} ({ep.value}) from distribution {_dist_name(ep)!r}"
    if _is_disabled(disabled, ep.name):
        # Checked before importing, so a disabled plugin cannot break anything.
        _disable(registry, ep.name)
        logger.debug("spyglass %s is disabled by %s", where, DISABLE_ENV)
        return None
    try:
        plugin = ep.load()
    except Exception as exc:  # noqa: BLE001 - a plugin's import error is its own, never ours
        return f"spyglass {where} failed to import and is skipped: {type(exc).__name__}: {exc}"
    pm = registry.pm
    if pm.has_plugin(ep.name) or pm.is_registered(plugin):
        return f"spyglass {where} is registered twice; the second one is skipped"
    try:
        pm.register(plugin, name=ep.name)
    except pluggy.PluginValidationError as exc:
        mismatch = str(exc).replace("\n", "; ")
        return f"spyglass {where} does not match the spyglass hookspecs and is skipped: {mismatch}"
    reason = unknown_hooks(pm, plugin)
    if reason is None:
        try:
            info = adapter_info(pm, plugin)
        except Exception as exc:  # noqa: BLE001 - a plugin's failure is logged, not raised
            info, reason = None, f"raised in spyglass_adapter_info: {type(exc).__name__}: {exc}"
        else:
            if info is None:
                reason = "does not implement spyglass_adapter_info"
            elif not isinstance(info, AdapterInfo):
                reason = f"returned {info!r} from spyglass_adapter_info, not an AdapterInfo"
    if reason is not None:
        pm.unregister(plugin)
        return f"spyglass {where} {reason}; it is skipped"
    assert isinstance(info, AdapterInfo)
    if _is_disabled(disabled, info.name):
        pm.unregister(plugin)
        _disable(registry, info.name)
        logger.debug("spyglass adapter %r is disabled by %s", info.name, DISABLE_ENV)
        return None
    if any(existing.name == info.name for existing in registry.adapters.values()):
        pm.unregister(plugin)
        return f"spyglass {where} declares adapter name {info.name!r}, already taken; skipped"
    verdict = check_requirements(registry, info, where)
    if verdict.active:
        registry.adapters[ep.name] = info
    else:
        pm.unregister(plugin)
    return verdict.warning


def unknown_hooks(pm: pluggy.PluginManager, plugin: object) -> str | None:
    """Name the hookimpls of ``plugin`` that match no spec (pluggy only checks known ones)."""
    unknown = sorted(
        hc.name
        for hc in pm.get_hookcallers(plugin) or ()
        if not hc.has_spec()
        and any(i.plugin is plugin and not i.optionalhook for i in hc.get_hookimpls())
    )
    if not unknown:
        return None
    return f"implements hooks that spyglass does not define: {', '.join(unknown)}"


def adapter_info(pm: pluggy.PluginManager, plugin: object) -> Any:
    """What ``plugin``'s own ``spyglass_adapter_info`` returns, or ``None`` without one."""
    for impl in pm.hook.spyglass_adapter_info.get_hookimpls():
        if impl.plugin is plugin:
            return impl.function()
    return None


@dataclasses.dataclass(frozen=True)
class _Verdict:
    """What the requirement check decided about an adapter."""

    active: bool
    warning: str | None = None  # one warning to issue (skipped or degraded adapter)


def check_requirements(registry: Registry, info: AdapterInfo, where: str) -> _Verdict:
    """Check an adapter's ``requires`` (all must be in range) and ``optional`` ranges."""
    for text in info.requires:
        found = _installed(text)
        if isinstance(found, str):
            return _Verdict(
                False, f"spyglass adapter {info.name!r} ({where}) {found}; it is skipped"
            )
        req, version = found
        if version is None:
            # Not having a framework installed is normal: inactive, quietly.
            registry.inactive[info.name] = f"{req.name} is not installed"
            logger.debug(
                "spyglass adapter %r is inactive: %s is not installed", info.name, req.name
            )
            return _Verdict(False)
        if not _in_range(req, version):
            return _Verdict(
                False,
                f"spyglass adapter {info.name!r} ({where}) supports {req.name}{req.specifier}, "
                f"but {req.name} {version} is installed; the adapter is skipped",
            )
    notes = []
    for text in info.optional:
        found = _installed(text)
        if isinstance(found, str):
            notes.append(f"spyglass adapter {info.name!r} ({where}) {found}")
            continue
        req, version = found
        if version is not None and not _in_range(req, version):
            notes.append(
                f"spyglass adapter {info.name!r} ({where}) supports {req.name}{req.specifier}, "
                f"but {req.name} {version} is installed; the adapter stays active but its "
                f"{req.name} support may not work"
            )
    return _Verdict(True, "\n".join(notes) or None)


def _installed(text: str) -> tuple[Requirement, str | None] | str:
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        return f"declares an invalid requirement {text!r}: {exc}"
    try:
        return req, importlib.metadata.version(req.name)
    except importlib.metadata.PackageNotFoundError:
        return req, None


def _in_range(req: Requirement, version: str) -> bool:
    try:
        return req.specifier.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return True  # a version we cannot parse is not a reason to switch an adapter off
