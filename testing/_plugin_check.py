"""Check an adapter plugin against spyglass's hookspecs, before spyglass ever calls it.

spyglass itself is forgiving at run time: a hook that raises is logged and skipped, a
misspelt hook is refused by ``register_plugin`` but only warned about for an entry
point, and a hook argument with a default is silently never passed. These checks say
all of that up front, in one list.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Sequence
from typing import Any

import pluggy
from packaging.requirements import InvalidRequirement, Requirement

from spyglass.core import AdapterInfo, InstrumentSpec, get_plugin_manager

from ._outcome import error_text, short

__all__ = ["check_plugin", "find_plugin", "plugin_problems"]

_NOT_FOUND: Any = object()


def _specs(pm: pluggy.PluginManager) -> dict[str, Any]:
    """Hook name -> its ``HookSpec``, from the process's plugin manager (public pluggy API)."""
    found: dict[str, Any] = {}
    for name in dir(pm.hook):
        caller = getattr(pm.hook, name, None)
        spec = getattr(caller, "spec", None)
        if not name.startswith("_") and spec is not None:
            found[name] = spec
    return found


def _label(plugin: object, name: str | None) -> str:
    if name:
        return repr(name)
    return repr(getattr(plugin, "__name__", None) or type(plugin).__name__)


def find_plugin(adapter: str) -> object:
    """The registered plugin of the adapter named ``adapter``.

    Args:
        adapter: the ``AdapterInfo.name`` (e.g. ``"toy"``), or the name the plugin was
            registered under (its entry-point name, or ``register_plugin``'s ``name``).

    Raises:
        LookupError: no registered plugin has that name; the message lists those that are.
    """
    pm = get_plugin_manager()
    names: list[str] = []
    for plugin in pm.get_plugins():
        registered = pm.get_name(plugin) or ""
        info_hook = getattr(plugin, "spyglass_adapter_info", None)
        try:
            info = info_hook() if callable(info_hook) else None
        except Exception:  # noqa: BLE001 - such a plugin is reported by check_plugin
            info = None
        info_name = info.name if isinstance(info, AdapterInfo) else None
        if adapter in (registered, info_name):
            return plugin
        names.append(info_name or registered)
    raise LookupError(
        f"no registered spyglass plugin is named {adapter!r} (registered: "
        f"{', '.join(sorted(map(repr, names))) or 'none'}); is its distribution installed "
        "with its `spyglass` entry point, or did the test call register_plugin()?"
    )


def plugin_problems(plugin: object, name: str | None = None) -> list[str]:
    """Everything wrong with ``plugin`` as a spyglass adapter, as messages.

    Checks that each ``@hookimpl`` names a hook of spyglass and takes only arguments
    that hook passes (without defaults, which pluggy never fills), that no
    ``spyglass_*`` hook lacks its ``@hookimpl``, that ``spyglass_adapter_info`` returns
    a valid :class:`~spyglass.core.AdapterInfo`, and that ``spyglass_instrument_specs``
    returns :class:`~spyglass.core.InstrumentSpec` entries whose classes exist and
    have the listed methods. Resolving a spec's class imports its module.

    Args:
        plugin: the plugin: a module, class or object with ``@hookimpl`` functions.
        name: how messages name it; defaults to its module or type name.

    Returns:
        One message per problem; empty for a valid plugin.
    """
    reference = get_plugin_manager()
    specs = _specs(reference)
    who = f"spyglass plugin {_label(plugin, name)}"
    marker = pluggy.PluginManager(reference.project_name)
    problems: list[str] = []
    impls: set[str] = set()
    for attr in sorted(dir(plugin)):
        try:
            opts = marker.parse_hookimpl_opts(plugin, attr)
        except Exception:  # noqa: BLE001 - an attribute that cannot be read is no hookimpl
            opts = None
        if opts is None:
            if attr in specs and callable(getattr(plugin, attr, None)):
                problems.append(
                    f"{who} defines {attr} without @hookimpl: spyglass never calls it "
                    "(decorate it with spyglass.core.hookimpl)"
                )
            continue
        impls.add(attr)
        problems.extend(_impl_problems(who, plugin, attr, dict(opts), specs))
    if "spyglass_adapter_info" not in impls:
        problems.append(
            f"{who} does not implement spyglass_adapter_info: every adapter must say who it "
            "is (return spyglass.core.AdapterInfo(name=...))"
        )
    else:
        problems.extend(_info_problems(who, plugin))
    if "spyglass_instrument_specs" in impls:
        problems.extend(_spec_problems(who, plugin))
    if not problems:
        problems.extend(_pluggy_problems(who, plugin, reference, specs))
    return problems


def check_plugin(plugin: object, name: str | None = None) -> None:
    """Assert that ``plugin`` is a valid spyglass adapter (see `plugin_problems`).

    Args:
        plugin: the plugin: a module, class or object with ``@hookimpl`` functions.
        name: how the message names it.

    Raises:
        AssertionError: listing every problem found.
    """
    problems = plugin_problems(plugin, name)
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise AssertionError(f"{len(problems)} problem(s) with the plugin:\n{lines}")


def _impl_problems(
    who: str, plugin: object, attr: str, opts: dict[str, Any], specs: dict[str, Any]
) -> list[str]:
    spec = specs.get(attr)
    if spec is None:
        close = difflib.get_close_matches(attr, list(specs), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return [
            (
                f"{who} implements {attr}, which is not a spyglass hook{hint}; the hooks are: "
                f"{', '.join(sorted(specs))}"
            )
        ]
    problems: list[str] = []
    if opts.get("wrapper") or opts.get("hookwrapper"):
        problems.append(
            f"{who}: {attr} is a hook wrapper; spyglass calls plain implementations only "
            "and ignores wrappers"
        )
    try:
        signature = inspect.signature(getattr(plugin, attr))
    except (TypeError, ValueError):
        return problems
    passed = tuple(spec.argnames)
    offered = ", ".join(passed) or "no arguments"
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            problems.append(
                f"{who}: {attr} takes {'*' if param.kind is param.VAR_POSITIONAL else '**'}"
                f"{param.name}; hooks get only the arguments they name (this one passes "
                f"{offered})"
            )
        elif param.default is not param.empty:
            if param.name in passed:
                problems.append(
                    f"{who}: {attr} gives '{param.name}' a default, so pluggy never passes it "
                    "(it stays the default); remove the default"
                )
        elif param.name not in passed and param.name != "self":
            problems.append(
                f"{who}: {attr} takes '{param.name}', which the hook does not pass (it "
                f"passes {offered})"
            )
    return problems


def _requirement_problems(who: str, field: str, value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [
            (
                f"{who}: AdapterInfo.{field} is {short(value)}; give a tuple of requirement "
                f"strings, e.g. ('framework>=1,<2',)"
            )
        ]
    problems: list[str] = []
    for i, text in enumerate(value):
        try:
            Requirement(text)
        except (InvalidRequirement, TypeError) as exc:
            problems.append(
                f"{who}: AdapterInfo.{field}[{i}] {short(text)} is not a PEP 508 "
                f"requirement ({exc})"
            )
    return problems


def _info_problems(who: str, plugin: object) -> list[str]:
    try:
        info = plugin.spyglass_adapter_info()  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - reported
        return [f"{who}: spyglass_adapter_info() raised {error_text(exc)}"]
    if not isinstance(info, AdapterInfo):
        return [
            (
                f"{who}: spyglass_adapter_info() returned {short(info)}; return a "
                "spyglass.core.AdapterInfo"
            )
        ]
    problems: list[str] = []
    if not isinstance(info.name, str) or not info.name.strip():
        problems.append(f"{who}: AdapterInfo.name is {short(info.name)}; give a short name")
    elif any(c in info.name for c in ", \t\n"):
        problems.append(
            f"{who}: AdapterInfo.name {info.name!r} contains a comma or a space; "
            "SPYGLASS_DISABLE_ADAPTERS could not name it"
        )
    problems.extend(_requirement_problems(who, "requires", info.requires))
    problems.extend(_requirement_problems(who, "optional", info.optional))
    if not isinstance(info.description, str):
        problems.append(f"{who}: AdapterInfo.description is {short(info.description)}, not text")
    return problems


def _resolve_path(path: str) -> tuple[type | None, str | None]:
    """The class a spec's path names (importing its module), or why it cannot be found."""
    if ":" in path:
        module_name, _, qualname = path.partition(":")
        candidates = [(module_name, qualname)]
    else:
        parts = path.split(".")
        candidates = [
            (".".join(parts[:i]), ".".join(parts[i:])) for i in range(len(parts) - 1, 0, -1)
        ]
    last_error = f"no module in {path!r} could be imported"
    for module_name, qualname in candidates:
        try:
            obj: Any = importlib.import_module(module_name)
        except ImportError as exc:
            last_error = f"its module cannot be imported ({error_text(exc)})"
            continue
        for part in qualname.split("."):
            obj = getattr(obj, part, _NOT_FOUND)
        if isinstance(obj, type):
            return obj, None
        last_error = f"module {module_name} has no class {qualname}"
    return None, last_error


def _spec_problems(who: str, plugin: object) -> list[str]:
    try:
        answer = plugin.spyglass_instrument_specs()  # type: ignore[attr-defined]
        specs = list(answer)
    except Exception as exc:  # noqa: BLE001 - reported
        return [f"{who}: spyglass_instrument_specs() raised {error_text(exc)}"]
    problems: list[str] = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, InstrumentSpec):
            problems.append(
                f"{who}: spyglass_instrument_specs() item {i} is {short(spec)}, not a "
                "spyglass.core.InstrumentSpec"
            )
            continue
        path = spec.class_path
        label = path if isinstance(path, str) else getattr(path, "__qualname__", repr(path))
        where = f"{who}: InstrumentSpec({label!r})"
        methods: Any = spec.methods
        if isinstance(methods, str):
            problems.append(
                f"{where}.methods is the string {methods!r}, so each letter would be a method "
                f"name; write a tuple: ({methods!r},)"
            )
            continue
        if not all(isinstance(m, str) for m in methods):
            problems.append(f"{where}.methods is {short(methods)}; give a tuple of method names")
            continue
        if not spec.methods:
            problems.append(f"{where} lists no methods")
        cls: type | None
        if isinstance(path, type):
            cls = path
        elif isinstance(path, str):
            cls, why = _resolve_path(path)
            if cls is None:
                problems.append(f"{where}: the class cannot be found: {why}")
                continue
        else:
            problems.append(f"{where}: class_path must be a 'module:QualName' string or a class")
            continue
        for method in spec.methods:
            if not _has_method(cls, method):
                problems.append(
                    f"{where} lists method {method!r}, which neither {cls.__qualname__} nor any "
                    "of its imported subclasses has"
                )
    return problems


def _has_method(cls: type, name: str) -> bool:
    """Whether ``cls`` or a subclass imported so far has ``name`` (specs may name a method
    only the concrete subclasses define)."""
    if getattr(cls, name, _NOT_FOUND) is not _NOT_FOUND:
        return True
    seen: set[type] = set()
    todo = [cls]
    while todo:
        klass = todo.pop()
        try:
            subclasses: list[type] = klass.__subclasses__()
        except TypeError:  # `type` itself
            continue
        for sub in subclasses:
            if sub not in seen:
                if name in vars(sub):
                    return True
                seen.add(sub)
                todo.append(sub)
    return False


def _pluggy_problems(
    who: str, plugin: object, reference: pluggy.PluginManager, specs: dict[str, Any]
) -> list[str]:
    """Let pluggy itself register the plugin against the same specs, in a scratch manager."""
    scratch = pluggy.PluginManager(reference.project_name)
    for namespace in {id(spec.namespace): spec.namespace for spec in specs.values()}.values():
        scratch.add_hookspecs(namespace)
    try:
        scratch.register(plugin, name="plugin-under-check")
        scratch.check_pending()
    except (pluggy.PluginValidationError, ValueError) as exc:
        return [f"{who}: pluggy refuses it: {exc}"]
    return []
