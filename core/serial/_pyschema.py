"""Serialisable descriptions of Python entities: modules, classes, objects, callables.

These models name code in stored data (as TruLens 1.x): the class of a recorded
component, the method a call went through, the function a feedback runs. Their JSON
is TruLens's::

    Module   {package_name, module_name}
    Class    {name, module: Module, bases: [Class] | null}
    Obj      {cls: Class, id, init_bindings: {args, kwargs} | null}
    Method   {obj: Obj, name}
    Function {module: Module, cls: Class | null, name}

``Class.name`` is the class's ``__qualname__`` (its ``__name__`` for top-level classes,
as in TruLens; ``Outer.Inner`` for nested ones, so that they can be loaded back).

**Loading is safe by default.** Stored data names modules; loading imports them,
which runs their code. `Class.load`, `Function.load`, `Method.load`, `Obj.load` and
`WithClassInfo` validation import only modules under ``spyglass.`` and those the
caller lists in ``allowed_modules`` (dotted prefixes: ``"myapp"`` allows ``myapp``
and ``myapp.feedbacks``); any other raises `UnsafeLoadError` naming the module and
the argument to pass. Pickled data (`SerialBytes`, e.g. an app's
``initial_app_loader_dump``) is only unpickled by `load_pickled` with ``trust=True``.
"""

from __future__ import annotations

import functools
import inspect
import logging
import types
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import (
    BaseModel,
    ValidationInfo,
    model_validator,
)

from ..errors import UnsafeLoadError
from ._classes import CLASS_INFO, Class, Module
from ._jsonify import jsonify
from ._safe_load import (
    SerialBytes,
    _import_allowed,
    _lookup,
    _prefixes,
    defined_attribute,
    load_pickled,
    module_allowed,
)

__all__ = [
    "Bindings",
    "Class",
    "Function",
    "FunctionOrMethod",
    "Method",
    "Module",
    "Obj",
    "SerialBytes",
    "WithClassInfo",
    "load_pickled",
    "module_allowed",
]

logger = logging.getLogger(__name__)


# Context key set by `WithClassInfo.model_validate`: nested models are loaded as
# their recorded classes only during such a validation, never in `__init__`.
_LOADING = "spyglass_loading"


# ------------------------------------------------------------------------ models


class Bindings(BaseModel):  # type: ignore[no-redef]
    """The arguments an object was constructed with.

    Attributes:
        args: positional arguments.
        kwargs: keyword arguments.
    """

    args: list[Any] = []
    kwargs: dict[str, Any] = {}


def _bindings_of(obj: object) -> Bindings:
    """Record how to construct `obj` again, or raise `RuntimeError` if we cannot."""
    obj_class = type(obj)
    qualname = getattr(obj_class, "__qualname__", "")
    if "<locals>" in qualname or obj_class.__module__ == "__main__":
        raise RuntimeError(
            f"Objects of class {qualname} cannot be made loadable: the class is defined in "
            f"{'a function' if '<locals>' in qualname else '__main__'}, so it cannot be imported "
            "elsewhere. Define it in an importable module."
        )
    if isinstance(obj, BaseModel):
        return Bindings(kwargs=jsonify(obj.model_dump(), redact=False))
    if isinstance(obj, BaseException):
        return Bindings(args=jsonify(list(obj.args), redact=False))
    try:
        inspect.signature(obj_class).bind()
    except (TypeError, ValueError):
        raise RuntimeError(
            f"Cannot record how to construct {qualname}: it is not a pydantic model and its "
            "constructor needs arguments."
        ) from None
    return Bindings()


class Obj(BaseModel):
    """A Python object, by class and ``id``.

    Attributes:
        cls: its class.
        id: its ``id()`` when it was described.
        init_bindings: the constructor arguments, when described with ``loadable=True``.
    """

    cls: Class
    id: int
    init_bindings: Bindings | None = None

    @classmethod
    def of_object(model, obj: object, cls: type | None = None, loadable: bool = False) -> Obj:
        """Describe an object.

        Args:
            obj: the object.
            cls: the class to record (default ``type(obj)``).
            loadable: also record constructor arguments so that `load` can rebuild
                it: a pydantic model's fields, an exception's args, or nothing for a
                class whose constructor takes no arguments.

        Raises:
            RuntimeError: `loadable` is set and the object cannot be rebuilt.
        """
        return model(
            cls=Class.of_class(cls if cls is not None else type(obj)),
            id=id(obj),
            init_bindings=_bindings_of(obj) if loadable else None,
        )

    def load(self, *, allowed_modules: Iterable[str] | str = ()) -> Any:
        """Construct a new object like the described one (see `Class.load` for safety).

        Raises:
            RuntimeError: the object was described without ``loadable=True``.
            UnsafeLoadError: its class's module is not allowed.
        """
        if self.init_bindings is None:
            raise RuntimeError(
                f"Cannot load an object of class {self.cls!r}: it was described without its "
                "constructor arguments. Describe it with `loadable=True`."
            )
        obj_class = self.cls.load(allowed_modules=allowed_modules)
        bindings = self.init_bindings
        if issubclass(obj_class, BaseModel) and not bindings.args:
            context = {"allowed_modules": _prefixes(allowed_modules)}
            return obj_class.model_validate(bindings.kwargs, context=context)
        return obj_class(*bindings.args, **bindings.kwargs)


class FunctionOrMethod(BaseModel):
    """Base of `Function` and `Method`: something a feedback or a call can name.

    ``FunctionOrMethod.model_validate(data)`` gives a `Method` for data with an
    ``obj`` key and a `Function` for data with a ``cls`` key.
    """

    name: str

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Validate `obj`; on `FunctionOrMethod` itself, pick the subclass by its keys."""
        if cls is FunctionOrMethod and isinstance(obj, dict):
            if "obj" in obj:
                return Method.model_validate(obj, *args, **kwargs)
            if "cls" in obj:
                return Function.model_validate(obj, *args, **kwargs)
            raise ValueError(
                f"Cannot tell a Method from a Function in {obj!r}: a Method has an `obj` key "
                "and a Function a `cls` key."
            )
        return super().model_validate(obj, *args, **kwargs)

    @staticmethod
    def of_callable(c: Callable[..., Any], loadable: bool = False) -> Function | Method:
        """Describe a callable: a bound method as a `Method`, anything else as a `Function`.

        A classmethod is a `Function` with its class; a ``functools.partial`` is
        described by its function (its bound arguments are not recorded); an object
        with ``__call__`` is the `Method` ``__call__`` of that object.

        Args:
            c: the callable.
            loadable: for a method, record how to rebuild its object (`Obj.of_object`).
        """
        while isinstance(c, functools.partial):
            c = c.func
        owner = getattr(c, "__self__", None)
        if inspect.ismethod(c) or (
            isinstance(c, types.BuiltinMethodType)
            and owner is not None
            and not inspect.ismodule(owner)
        ):
            if isinstance(owner, type):  # a classmethod
                func = getattr(c, "__func__", c)
                return Function.of_function(
                    func, module=owner.__module__, cls=owner, loadable=loadable
                )
            return Method.of_method(c, loadable=loadable)
        if inspect.isroutine(c) or isinstance(c, type):
            return Function.of_function(c, loadable=loadable)
        return Method.of_method(type(c).__call__, obj=c, loadable=loadable)

    def load(self, *, allowed_modules: Iterable[str] | str = ()) -> Callable[..., Any]:
        """Load the callable (implemented by the subclasses)."""
        raise NotImplementedError


class Method(FunctionOrMethod):
    """A method of an object.

    Attributes:
        obj: the object.
        name: the method's name.
    """

    obj: Obj
    name: str

    @classmethod
    def of_method(
        model,
        method: Callable[..., Any],
        cls: type | None = None,
        obj: object | None = None,
        loadable: bool = False,
    ) -> Method:
        """Describe a bound method (or `method` of `obj`).

        Args:
            method: the method, normally bound.
            cls: the class to record for the object (default its type).
            obj: the object (default ``method.__self__``).
            loadable: record how to rebuild the object (see `Obj.of_object`).
        """
        if obj is None:
            obj = method.__self__  # type: ignore[attr-defined]
        name = str(
            getattr(method, "__name__", None)
            or getattr(getattr(method, "__func__", None), "__name__", "?")
        )
        return model(obj=Obj.of_object(obj, cls=cls, loadable=loadable), name=name)

    def load(self, *, allowed_modules: Iterable[str] | str = ()) -> Callable[..., Any]:
        """Rebuild the object (`Obj.load`) and return its bound method."""
        obj = self.obj.load(allowed_modules=allowed_modules)
        return defined_attribute(obj, self.name, allowed_modules, f"method {self.name!r}")  # type: ignore[no-any-return]


class Function(FunctionOrMethod):
    """A function, optionally found on a class (classmethods).

    Attributes:
        module: the module that defines it.
        cls: the class it is looked up on, if any.
        name: the function's ``__name__``.
    """

    module: Module
    cls: Class | None = None
    name: str

    @classmethod
    def of_function(
        model,
        func: Callable[..., Any],
        module: str | types.ModuleType | None = None,
        cls: type | None = None,
        loadable: bool = False,
    ) -> Function:
        """Describe a function.

        Args:
            func: the function (a ``functools.partial`` is described by its function).
            module: its module (default ``func.__module__``).
            cls: the class it is looked up on (for classmethods).
            loadable: check that it can be loaded back (module level, not ``__main__``).

        Raises:
            RuntimeError: `loadable` is set and the function cannot be imported.
        """
        owner = cls
        while isinstance(func, functools.partial):
            func = func.func
        if module is None:
            module = getattr(func, "__module__", None) or "builtins"
        module_name = module if isinstance(module, str) else module.__name__
        name = getattr(func, "__name__", None) or type(func).__name__
        if loadable and owner is None:
            qualname = getattr(func, "__qualname__", name)
            if "<locals>" in qualname or module_name == "__main__":
                raise RuntimeError(
                    f"Function {qualname} cannot be made loadable: it is defined in "
                    f"{'a function' if '<locals>' in qualname else '__main__'}. Define it at module "
                    "level in an importable module."
                )
        return model(
            module=Module.of_module_name(module_name),
            cls=Class.of_class(owner) if owner is not None else None,
            name=name,
        )

    def load(self, *, allowed_modules: Iterable[str] | str = ()) -> Callable[..., Any]:
        """Import and return the function, if its module is allowed (see `Class.load`)."""
        what = f"function {self.module.module_name}.{self.name}"
        if self.cls is not None:
            owner = self.cls.load(allowed_modules=allowed_modules)
            return defined_attribute(owner, self.name, allowed_modules, what)  # type: ignore[no-any-return]
        module = _import_allowed(self.module.module_name, allowed_modules, what)
        loaded = _lookup(module, self.name, what, allowed_modules)
        if not callable(loaded):
            raise TypeError(f"Cannot load {what}: {loaded!r} is not callable.")
        return loaded  # type: ignore[no-any-return]


# ------------------------------------------------------------------ class info


def _recorded_class(
    cls: type[WithClassInfo], recorded: Any, allowed_modules: Iterable[str] | str
) -> type[WithClassInfo]:
    """The subclass of `cls` named by `recorded` (a `Class` or its JSON), else `cls`.

    Raises `UnsafeLoadError` if the recorded module is not allowed; a class that
    cannot be found, or is not a subclass of `cls`, gives `cls` (TruLens does the same).
    """
    try:
        info = recorded if isinstance(recorded, Class) else Class.model_validate(recorded)
    except ValueError:
        return cls
    if info.module.module_name == cls.__module__ and info.name == cls.__qualname__:
        return cls
    try:
        loaded = info.load(allowed_modules=allowed_modules)
    except UnsafeLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - an unloadable class loads as `cls`
        logger.warning("Loading %s as %s: %s", info, cls.__qualname__, exc)
        return cls
    if issubclass(loaded, cls):
        return loaded
    logger.warning("Loading %s as %s: it is not a subclass of it.", info, cls.__qualname__)
    return cls


class WithClassInfo(BaseModel):
    """Mixin for models stored with their class, so that they load back as that class.

    A new instance gets ``tru_class_info`` (its class, with bases) automatically.
    ``Base.model_validate(data)`` and `WithClassInfo.load` return an instance of the
    class recorded in ``data["tru_class_info"]`` if it is a subclass of ``Base``, and
    load nested `WithClassInfo` fields the same way. Recorded classes are imported
    only from ``spyglass.*`` and the prefixes in ``allowed_modules`` (argument of
    `load`, or ``context={"allowed_modules": [...]}`` for ``model_validate``); any
    other module raises `UnsafeLoadError` (wrapped in a ``ValidationError`` when it is
    a nested field). A recorded class that cannot be found loads as ``Base``.

    Attributes:
        tru_class_info: the class of this object, with bases.
    """

    tru_class_info: Class

    @model_validator(mode="wrap")
    @classmethod
    def _class_info(cls, data: Any, handler: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict):
            recorded = data.get(CLASS_INFO)
            if recorded is None:
                data = {**data, CLASS_INFO: Class.of_class(cls, with_bases=True)}
            elif info.context and info.context.get(_LOADING):
                target = _recorded_class(cls, recorded, info.context.get("allowed_modules", ()))
                if target is not cls:
                    return target.model_validate(data, context=info.context)
        return handler(data)

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        **kwargs: Any,
    ) -> Any:
        """Validate `obj` as the class recorded in its ``tru_class_info`` (see class doc)."""
        ctx = {**(context or {}), _LOADING: True}
        if isinstance(obj, dict) and obj.get(CLASS_INFO) is not None:
            target = _recorded_class(cls, obj[CLASS_INFO], ctx.get("allowed_modules", ()))
            if target is not cls:
                return target.model_validate(
                    obj, strict=strict, from_attributes=from_attributes, context=ctx, **kwargs
                )
        return super().model_validate(
            obj, strict=strict, from_attributes=from_attributes, context=ctx, **kwargs
        )

    @classmethod
    def load(cls, obj: Any, *, allowed_modules: Iterable[str] | str = ()) -> Any:
        """Load stored JSON as the class recorded in it.

        Args:
            obj: the JSON (a dict with ``tru_class_info``).
            allowed_modules: module prefixes, besides ``spyglass``, that may be imported.

        Raises:
            UnsafeLoadError: the recorded class is in a module that is not allowed.
        """
        return cls.model_validate(obj, context={"allowed_modules": _prefixes(allowed_modules)})
