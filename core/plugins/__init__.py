"""The adapter SDK: everything an adapter may import, and the plugin manager that loads adapters.

An adapter is a pluggy plugin registered under the ``spyglass`` entry-point group. It
answers the hooks in :mod:`spyglass.core.plugins.hookspecs` (mark each answer with
`hookimpl`) with plain data: an `AdapterInfo`, `InstrumentSpec` entries whose `kind` is a
`CallKind`, the children of framework objects, main input and output, cost. The helpers
here (`walk`, `default_children`, `default_main_input`, class paths) are the same the
built-in adapters use. ``docs/adapters.md`` shows how to write and ship one;
:mod:`spyglass.testing` checks it.
"""

from __future__ import annotations

from .._classpath import ClassCache, class_path, mro_match, resolve_class
from .._lazy import lazy_exports
from ._main_io import default_main_input, default_main_output
from ._manager import (
    DISABLE_ENV,
    ENTRY_POINT_GROUP,
    SpyglassPluginWarning,
    active_adapters,
    call_all,
    call_first,
    get_plugin_manager,
    instrument_specs,
    invalidate_instrument_specs,
    register_plugin,
    reset_plugin_manager,
    unregister_plugin,
    wrap_app,
)
from ._specs import OMIT, AdapterInfo, CallKind, InstrumentSpec
from ._walk import (
    MAX_CHILDREN,
    MAX_DEPTH,
    MAX_NODES,
    Walk,
    default_children,
    instance_attributes,
    walk,
)
from .hookspecs import PROJECT, hookimpl, hookspec

__all__ = [
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "MAX_CHILDREN",
    "MAX_DEPTH",
    "MAX_NODES",
    "OMIT",
    "PROJECT",
    "AdapterInfo",
    "CallKind",
    "ClassCache",
    "InstrumentSpec",
    "SpyglassPluginWarning",
    "Walk",
    "active_adapters",
    "call_all",
    "call_first",
    "class_path",
    "default_children",
    "default_main_input",
    "default_main_output",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "instance_attributes",
    "instrument_specs",
    "invalidate_instrument_specs",
    "lazy_exports",
    "mro_match",
    "register_plugin",
    "reset_plugin_manager",
    "resolve_class",
    "unregister_plugin",
    "walk",
    "wrap_app",
]
