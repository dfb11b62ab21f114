"""Descriptions of modules and classes (`Module`, `Class`): how stored data names code.

``Class.name`` is the class's ``__qualname__`` (its ``__name__`` for top-level classes,
as in TruLens; ``Outer.Inner`` for nested ones, so that they can be loaded back).
Loading one imports only allowed modules (see :mod:`._safe_load`). `jsonify` uses
`Class` for the class information of components; the models of objects and callables
built on these are in :mod:`._pyschema`.
"""

from __future__ import annotations

import sys
import types
import weakref
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from ._safe_load import _import_allowed, _lookup

__all__ = ["CLASS_INFO", "Class", "Module"]

CLASS_INFO = "tru_class_info"


class Module(BaseModel):
    """A Python module.

    Attributes:
        package_name: the module's ``__package__`` (``None`` if unknown or a script).
        module_name: the dotted module name.
    """

    model_config = ConfigDict(frozen=True)

    package_name: str | None = None
    module_name: str

    @classmethod
    def of_module_name(cls, module_name: str) -> Module:
        """Describe the module named `module_name` (not imported if it is not yet)."""
        module = sys.modules.get(module_name)
        package = getattr(module, "__package__", None) if module is not None else None
        return cls(
            package_name=package if isinstance(package, str) else None, module_name=module_name
        )

    @classmethod
    def of_module(cls, module: types.ModuleType) -> Module:
        """Describe a module object."""
        return cls.of_module_name(module.__name__)

    def load(self, *, allowed_modules: Iterable[str] | str = ()) -> types.ModuleType:
        """Import the module, if allowed (see the module docstring).

        Raises:
            UnsafeLoadError: the module is not under ``spyglass`` or `allowed_modules`.
        """
        return _import_allowed(self.module_name, allowed_modules, f"module {self.module_name!r}")  # type: ignore[no-any-return]


# Class descriptions by class, without and with bases; weak so that classes created
# at run time can still be collected.
_CLASSES: weakref.WeakKeyDictionary[type, Class] = weakref.WeakKeyDictionary()
_CLASSES_WITH_BASES: weakref.WeakKeyDictionary[type, Class] = weakref.WeakKeyDictionary()


class Class(BaseModel):
    """A Python class.

    ``repr`` is ``module.Name`` and ``str`` is ``Name(module)``.

    Attributes:
        name: the class's ``__qualname__``.
        module: its module.
        bases: its whole ``__mro__`` (itself first), each without bases; ``None``
            unless asked for.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    module: Module
    bases: list[Class] | None = None

    def __repr__(self) -> str:
        return f"{self.module.module_name}.{self.name}"

    def __str__(self) -> str:
        return f"{self.name}({self.module.module_name})"

    @classmethod
    def of_class(cls, obj_class: type, with_bases: bool = False) -> Class:
        """Describe a class.

        Args:
            obj_class: the class.
            with_bases: also describe every class of its ``__mro__``.
        """
        cache = _CLASSES_WITH_BASES if with_bases else _CLASSES
        try:
            return cache[obj_class]
        except (KeyError, TypeError):
            pass
        bases = None
        if with_bases:
            bases = [cls.of_class(base) for base in getattr(obj_class, "__mro__", (obj_class,))]
        name = str(getattr(obj_class, "__qualname__", None) or getattr(obj_class, "__name__", "?"))
        described = cls(
            name=name,
            module=Module.of_module_name(getattr(obj_class, "__module__", None) or "builtins"),
            bases=bases,
        )
        try:
            cache[obj_class] = described
        except TypeError:  # not weak-referenceable or unhashable: just don't cache
            pass
        return described

    @classmethod
    def of_object(cls, obj: object, with_bases: bool = False) -> Class:
        """Describe the class of `obj` (``type(obj)``, never a proxy's ``__class__``)."""
        return cls.of_class(type(obj), with_bases=with_bases)

    def load(self, *, allowed_modules: Iterable[str] | str = ()) -> type:
        """Import and return the class, if its module is allowed.

        Args:
            allowed_modules: module prefixes allowed besides ``spyglass``.

        Raises:
            UnsafeLoadError: the module is not allowed (the message names it).
            ImportError: the class cannot be found (e.g. it was defined in a function).
        """
        what = f"class {self!r}"
        module = _import_allowed(self.module.module_name, allowed_modules, what)
        loaded = _lookup(module, self.name, what, allowed_modules)
        if not isinstance(loaded, type):
            raise TypeError(f"Cannot load {what}: {loaded!r} is not a class.")
        return loaded


# The pydantic mypy plugin gives __init__ a `kwargs` field argument beside its own `**kwargs`.
