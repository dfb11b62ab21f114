"""Lenses: paths into nested data (records, apps, JSON), that read and update it.

A `Lens` is a tuple of steps. Build one with attribute and item syntax, starting from
``Lens()`` or a `Select` constant::

    Lens().app.retriever.retrieve.rets[:].page_content.collect()

Steps and how they print (``str(lens)``; a lens's first name step prints bare)::

    GetItemOrAttribute  .name   ."x y"      key of a dict, else attribute of an object
    GetItem             ['k']               key of a dict only
    GetAttribute        .attr('a')          attribute only            (spyglass extension)
    GetIndex            [3]  [-1]           element of a sequence
    GetSlice            [1:3:]  [:]  [::2]  elements of a slice
    GetIndices          [1,3]  [1,]  []     several elements
    GetItems            ['a','b']  ['a',]   several keys
    Collect             .collect()          everything selected so far, as one list

``Lens.of_string(str(lens)) == lens`` holds for every lens, and
``str(Lens.of_string(s)) == s`` for every string that ``str`` prints. TruLens printed
``GetAttribute`` steps, names that are not identifiers and a leading ``GetItem`` in
forms that read back as something else; spyglass adds the quoted and ``.attr(...)`` forms
above for them, and reads every string TruLens printed the way TruLens meant it (the
grammar is in :mod:`spyglass.core.lens._parse`).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    ClassVar,
    Concatenate,
    Generic,
    ParamSpec,
    TypeVar,
    cast,
    overload,
)

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ModelWrapValidatorHandler,
    model_serializer,
    model_validator,
)

from ..errors import LensError, LensValueError
from ._parse import parse
from ._steps import (
    MISSING,
    Collect,
    GetAttribute,
    GetIndex,
    GetIndices,
    GetItem,
    GetItemOrAttribute,
    GetItems,
    GetSlice,
    Step,
    StepItemOrAttribute,
    Update,
    kind_of,
    no_key_error,
    to_step,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["APP_KEY", "RECORD_KEY", "Lens", "all_objects", "all_queries"]

# How a lens is shown in error messages. `Select` (defined on top of `Lens`, in
# `._select`) installs its rendering (``Select.RecordCalls.retriever...``) here when the
# package is imported; until then a lens shows as its string.
_renderer: Callable[[Lens], str] = str


def render_lens(lens: Lens) -> str:
    """``lens`` as the user would write it, for error messages."""
    return _renderer(lens)


# ---------------------------------------------------------------------------- evaluation


def _walk(path: tuple[Step, ...], i: int, obj: Any) -> Iterator[Any]:
    """Values of ``path[i:]`` on ``obj``, depth-first, in document order."""
    n = len(path)
    while i < n:  # single-valued steps loop here; only fan-outs recurse
        step = path[i]
        cls = step.__class__
        if cls is GetItemOrAttribute and isinstance(obj, dict):
            name = step.item_or_attribute  # type: ignore[attr-defined]
            value = obj.get(name, MISSING)
            if value is MISSING:
                raise no_key_error(step, name, obj)
            obj = value
        elif cls is GetIndex or cls is GetItem or cls is GetAttribute:
            (obj,) = step.get(obj)  # exactly one value
        else:
            for value in step.get(obj):
                yield from _walk(path, i + 1, value)
            return
        i += 1
    yield obj


def _select(path: tuple[Step, ...], obj: Any) -> Iterator[Any]:
    for j in range(len(path) - 1, -1, -1):
        if path[j].__class__ is Collect:
            return _walk(path, j + 1, list(_select(path[:j], obj)))
    return _walk(path, 0, obj)


def _modify(path: tuple[Step, ...], i: int, obj: Any, update: Update) -> Any:
    if i == len(path):
        return update(obj)
    return path[i]._modify(obj, lambda value: _modify(path, i + 1, value, update))


def _append(val: Any) -> Update:
    def update(existing: Any) -> Any:
        if isinstance(existing, (list, tuple)):
            return [*existing, val]
        return [val]

    return update


# ---------------------------------------------------------------------------- methods

_P = ParamSpec("_P")
_R = TypeVar("_R")


class _LensMethod(Generic[_P, _R]):
    """A `Lens` method whose name users may also want as a step (``get``, ``json``, ...).

    Bound, it behaves as the method; asked for an attribute it explains that the
    name is a method and how to write the step instead (``lens["get"].rets``).
    """

    def __init__(self, func: Callable[Concatenate[Lens, _P], _R]) -> None:
        self.func = func
        functools.update_wrapper(cast(Any, self), func)

    @overload
    def __get__(
        self, instance: None, owner: type | None = None
    ) -> Callable[Concatenate[Lens, _P], _R]: ...

    @overload
    def __get__(self, instance: Lens, owner: type | None = None) -> Callable[_P, _R]: ...

    def __get__(self, instance: Lens | None, owner: type | None = None) -> Callable[..., _R]:
        if instance is None:
            return self.func
        return cast(Callable[_P, _R], _BoundLensMethod(self.func, instance))


class _BoundLensMethod:
    __slots__ = ("__func__", "__self__")

    def __init__(self, func: Callable[..., Any], lens: Lens) -> None:
        self.__func__ = func
        self.__self__ = lens

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__func__(self.__self__, *args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:
        signature = inspect.signature(self.__func__)
        return signature.replace(parameters=list(signature.parameters.values())[1:])

    def _hint(self, then: str, written: str) -> str:
        name = self.__func__.__name__
        receiver = render_lens(self.__self__)
        return (
            f"`{name}` is a method of Lens, so `{receiver}.{name}` is not a lens step and has "
            f"no {then}. To select a key or attribute named `{name}`, write "
            f"`{receiver}[{name!r}]{written}`."
        )

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            return getattr(self.__func__, name)
        raise AttributeError(self._hint(f"attribute `{name}`", f".{name}"))

    def __getitem__(self, item: Any) -> Any:
        raise TypeError(self._hint(f"item `[{item!r}]`", f"[{item!r}]"))

    def __repr__(self) -> str:
        return f"<bound method Lens.{self.__func__.__name__} of {self.__self__!r}>"


# ---------------------------------------------------------------------------- Lens

# The string form of recent paths, by id of the path tuple: (the tuple, its text). A
# lens and its steps are immutable, so a path's text never changes; the entry holds
# the tuple, so its id cannot be reused while the entry lives. Bounded (cleared when
# full); the tuples hold steps only (names and indexes), never the app's objects.
# Record stacks share their frames' lenses across records, so printing and dumping
# them (``RecordAppCallMethod.path``) builds each text once.
_texts: dict[int, tuple[tuple[Step, ...], str]] = {}
_TEXTS_LIMIT = 4096


def _text(path: tuple[Step, ...]) -> str:
    """The string form of a lens with steps ``path`` (see the module docstring)."""
    if not path:
        return ""
    first, *rest = path
    head = repr(first)
    if first.__class__ is GetItemOrAttribute and head[1:].isidentifier():
        head = head[1:]  # a leading name prints bare: `__record__.app`
    return head + "".join(map(repr, rest))


# The two roots of the data a feedback selects from (as TruLens 1.x): the record laid
# out as the app, and the app's JSON.
RECORD_KEY = "__record__"
APP_KEY = "__app__"

# Dunder names that build steps; any other ``__x__`` is a Python protocol probe
# (pickle, copy, numpy, rich) and must get an AttributeError, not a lens.
_DUNDER_STEPS = frozenset({RECORD_KEY, APP_KEY})
_IPYTHON_CANARY = "_ipython_canary_method_should_not_exist_"


class Lens(BaseModel):
    """A path into nested data: a tuple of steps, read with `get` and updated with `set`.

    Build lenses from ``Lens()`` (or a `Select` constant) with attribute and item
    syntax; every builder returns a new lens::

        lens.name            GetItemOrAttribute("name")
        lens["my-key"]       GetItemOrAttribute("my-key")  (a str is never a GetItem)
        lens[0], lens[-1]    GetIndex
        lens[1:3]            GetSlice
        lens[0, 2]           GetIndices;  lens["a", "b"]  GetItems
        lens.collect()       Collect
        lens + other         concatenation (a Lens or a Step)

    **Names that are methods.** Attribute syntax cannot reach a name that `Lens` or
    pydantic already defines: ``get``, ``set``, ``set_or_append``, ``exists``,
    ``existing_prefix``, ``get_sole_item``, ``is_prefix_of``, ``path``, ``copy``,
    ``dict``, ``json``, ``of_string``, ``schema``, ``validate``, ``construct`` and the
    ``model_*`` names. Write those with item syntax: ``Select.RecordCalls.ret["get"].rets``
    gives the step ``.get`` would. For the methods of this class and ``copy``, ``dict``
    and ``json``, a slip like ``lens.get.rets`` raises an error that says exactly this.

    **Dunder names.** ``lens.__record__`` and ``lens.__app__`` build steps; any other
    ``__name__`` is treated as a Python protocol probe; write ``lens["__name__"]``.

    A lens is immutable and hashable, and can be a pydantic field: it is stored as its
    string form (``model_dump()`` gives ``str(lens)``) and read back from that string,
    from ``{"path": [step dicts]}`` or from a Lens.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ignored_types=(_LensMethod,))

    path: tuple[Annotated[Step, BeforeValidator(to_step)], ...] = ()

    # ------------------------------------------------------------------ pydantic

    @model_validator(mode="wrap")
    @classmethod
    def _validate(cls, value: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            return cast("Self", cls.of_string(value))
        if isinstance(value, dict):
            return handler(value)
        raise ValueError(
            f"Expected a lens, its string form or {{'path': [...]}}; got {kind_of(value)}: "
            f"{value!r:.80}"
        )

    @model_serializer
    def _serialize(self) -> str:
        return str(self)

    @classmethod
    def _of(cls, path: tuple[Step, ...]) -> Lens:
        return cls.model_construct(path=path)

    @classmethod
    def of_string(cls, s: str) -> Lens:
        """The lens ``s`` writes (``"__record__.app.retrieve.rets[:]"``); ``""`` is ``Lens()``.

        Raises:
            LensParseError: ``s`` is not a lens; the message shows where.
            TypeError: ``s`` calls a method other than ``collect`` (or ``attr``).
        """
        return cls._of(parse(s))

    # ------------------------------------------------------------------ building

    def __getattr__(self, name: str) -> Lens:
        if name.startswith("__") and name.endswith("__") and name not in _DUNDER_STEPS:
            raise AttributeError(name)
        if name.startswith("__pydantic"):
            raise AttributeError(name)
        if name == _IPYTHON_CANARY:
            # IPython asks for this to detect objects that answer every attribute;
            # a non-None answer makes it skip its rich display hooks.
            return 0xDEAD  # type: ignore[return-value]
        return self._of((*self.path, GetItemOrAttribute(item_or_attribute=name)))

    def __getitem__(self, item: int | str | slice | Sequence[int] | Sequence[str]) -> Lens:
        step: Step
        if isinstance(item, int):
            step = GetIndex(index=int(item))
        elif isinstance(item, str):
            step = GetItemOrAttribute(item_or_attribute=item)
        elif isinstance(item, slice):
            step = GetSlice(start=item.start, stop=item.stop, step=item.step)
        elif isinstance(item, Sequence):
            if all(isinstance(i, int) for i in item):
                step = GetIndices(indices=tuple(int(i) for i in item))
            elif all(isinstance(i, str) for i in item):
                step = GetItems(items=tuple(item))
            else:
                kinds = sorted({type(i).__name__ for i in item})
                raise TypeError(
                    f"Unhandled sequence item types: {', '.join(kinds)}. A lens selects "
                    "several indexes (lens[0, 2]) or several keys (lens['a', 'b']); "
                    "mixing int and str is not allowed."
                )
        else:
            raise TypeError(
                f"Cannot build a lens step from {kind_of(item)}: {item!r:.80}. Use an int, a "
                "str, a slice, or a tuple of ints or of strs."
            )
        return self._of((*self.path, step))

    def __call__(self, *args: Any, **kwargs: Any) -> Lens:
        last = self.path[-1] if self.path else None
        if not (
            isinstance(last, StepItemOrAttribute) and last.get_item_or_attribute() == "collect"
        ):
            if isinstance(last, StepItemOrAttribute):
                name = last.get_item_or_attribute()
                hint = (
                    f" `{name}` names a method of your app? Select its calls without calling "
                    f"it: `{self}`."
                )
            else:
                name, hint = (repr(last) if last else "an empty lens"), ""
            raise TypeError(
                "Only `collect` is a valid function name in python call syntax when building "
                f"lenses; `{self}()` calls `{name}`.{hint}"
            )
        if args or kwargs:
            warnings.warn("Arguments to `.collect()` are ignored.", UserWarning, stacklevel=2)
        return self._of((*self.path[:-1], Collect()))

    def __add__(self, other: Lens | Step) -> Lens:
        if isinstance(other, Lens):
            return self._of(self.path + other.path)
        if isinstance(other, Step):
            return self._of((*self.path, other))
        return NotImplemented

    def __len__(self) -> int:
        return len(self.path)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lens) and self.path == other.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        return "Lens()" + "".join(map(repr, self.path))

    def __str__(self) -> str:
        path = self.path
        known = _texts.get(id(path))
        if known is not None and known[0] is path:
            return known[1]
        text = _text(path)
        if type(path) is tuple:  # not a list given to model_construct: it could change
            if len(_texts) >= _TEXTS_LIMIT:
                _texts.clear()
            _texts[id(path)] = (path, text)
        return text

    # ------------------------------------------------------------------ reading

    @_LensMethod
    def get(self, obj: Any) -> Iterator[Any]:
        """Yield every value this lens selects from ``obj``, in document order.

        Raises:
            LensKeyError, LensIndexError, LensValueError: a step found nothing to
                select; the message names the lens, the step and what exists there.
        """
        with self._errors_located():
            yield from _select(self.path, obj)

    @contextlib.contextmanager
    def _errors_located(self) -> Iterator[None]:
        """Re-raise a step's `LensError` with this lens in it; one that names a lens already passes."""
        try:
            yield
        except LensError as e:
            if e.lens is not None:
                raise
            raise self._located(e) from None

    def _located(self, e: LensError) -> LensError:
        new = type(e)(
            f"Lens `{self}` failed at step `{e.step!r}`: {e}",
            lens=self,
            step=e.step,
            available=e.available,
        )
        return new.with_traceback(e.__traceback__)

    @_LensMethod
    def get_sole_item(self, obj: Any) -> Any:
        """The one value this lens selects from ``obj``.

        Raises:
            LensValueError: it selects none or several (TruLens raised
                ``AssertionError``); lookup errors as in `get`.
        """
        values = list(self.get(obj))
        if len(values) == 1:
            return values[0]
        what = "nothing" if not values else f"{len(values)} values"
        hint = (
            ""
            if not values
            else " Select one with an index (`[0]`) or gather them with `.collect()`."
        )
        raise LensValueError(
            f"Lens `{self}` selected {what} where exactly one value was expected.{hint}",
            lens=self,
        )

    @_LensMethod
    def exists(self, obj: Any) -> bool:
        """Whether this lens selects at least one value from ``obj`` without an error."""
        found = False
        try:
            for _ in _select(self.path, obj):
                found = True
        except (KeyError, IndexError, ValueError):
            return False
        return found

    @_LensMethod
    def existing_prefix(self, obj: Any) -> Lens:
        """The longest prefix of this lens that `exists` in ``obj`` (``Lens()`` at least)."""
        for n in range(len(self.path), 0, -1):
            prefix = self._of(self.path[:n])
            if prefix.exists(obj):
                return prefix
        return self._of(())

    @_LensMethod
    def is_prefix_of(self, other: Lens) -> bool:
        """Whether ``other`` starts with every step of this lens (itself included)."""
        n = len(self.path)
        return len(other.path) >= n and other.path[:n] == self.path

    @_LensMethod
    def is_immediate_prefix_of(self, other: Lens) -> bool:
        """Whether ``other`` is this lens plus exactly one step."""
        return len(other.path) == len(self.path) + 1 and self.is_prefix_of(other)

    # ------------------------------------------------------------------ writing

    @_LensMethod
    def set(self, obj: Any, val: Any) -> Any:
        """A copy of ``obj`` with every value this lens selects replaced by ``val``.

        ``obj`` is not changed: each container on the way is shallow-copied. Missing
        keys, attributes and indexes are created (dicts for names, lists padded with
        ``None`` for indexes). Through a step that selects several values, each one is
        updated from its own value: ``Lens().a[:].x.set({"a": [{"x": 1, "y": 2},
        {"x": 3}]}, 0)`` gives ``{"a": [{"x": 0, "y": 2}, {"x": 0}]}``.
        """
        with self._errors_located():
            return _modify(self.path, 0, obj, lambda _old: val)

    @_LensMethod
    def set_or_append(self, obj: Any, val: Any) -> Any:
        """A copy of ``obj`` with ``val`` appended to the list this lens selects.

        A missing value, ``None`` or any value that is not a list or tuple becomes
        ``[val]`` (as in TruLens).
        """
        with self._errors_located():
            return _modify(self.path, 0, obj, _append(val))

    # pydantic's deprecated methods that are also plausible attribute names
    copy: ClassVar[Any] = _LensMethod(BaseModel.copy)
    dict: ClassVar[Any] = _LensMethod(BaseModel.dict)
    json: ClassVar[Any] = _LensMethod(BaseModel.json)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- walking


def all_objects(obj: Any, prefix: Lens | None = None) -> Iterator[tuple[Lens, Any]]:
    """Every ``(lens, value)`` inside ``obj``, pre-order, starting with ``(prefix, obj)``.

    Descends into dicts (by key), lists and tuples (by index) and pydantic models
    (by field); cycles are not followed.
    """
    stack: list[tuple[tuple[Step, ...], Any]] = [(prefix.path if prefix else (), obj)]
    seen: set[int] = set()
    while stack:
        path, value = stack.pop()
        yield Lens._of(path), value
        if isinstance(value, (dict, list, tuple, BaseModel)):
            if id(value) in seen:
                continue
            seen.add(id(value))
        children: list[tuple[Step, Any]]
        if isinstance(value, dict):
            children = [(GetItemOrAttribute(item_or_attribute=str(k)), v) for k, v in value.items()]
        elif isinstance(value, (list, tuple)):
            children = [(GetIndex(index=i), v) for i, v in enumerate(value)]
        elif isinstance(value, BaseModel):
            children = [
                (GetItemOrAttribute(item_or_attribute=k), getattr(value, k))
                for k in type(value).model_fields
            ]
        else:
            continue
        stack.extend((path + (step,), v) for step, v in reversed(children))


def all_queries(obj: Any, prefix: Lens | None = None) -> Iterator[Lens]:
    """Every lens into ``obj`` (see `all_objects`), pre-order."""
    for lens, _ in all_objects(obj, prefix):
        yield lens
