"""Lens steps: the pieces a `Lens` is made of, and how each reads and updates a value.

The public names are re-exported by :mod:`spyglass.core.lens`.
Each step's ``get`` yields what it selects and raises a `LensError` (built only on
failure) naming what exists where it failed; `Lens` adds the full lens to the message.
"""

from __future__ import annotations

import copy
import difflib
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ..errors import LensIndexError, LensKeyError, LensValueError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "Collect",
    "GetAttribute",
    "GetIndex",
    "GetIndices",
    "GetItem",
    "GetItemOrAttribute",
    "GetItems",
    "GetSlice",
    "Step",
    "StepItemOrAttribute",
]

logger = logging.getLogger("spyglass.core.lens._lens")  # one logger for lenses

MISSING: Any = object()
_LISTED = 12  # how many keys / attributes an error message lists


# ---------------------------------------------------------------------------- messages
# Built only when a step fails.


def kind_of(obj: Any) -> str:
    name = type(obj).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _listing(names: Sequence[str]) -> str:
    shown = ", ".join(f"`{n}`" for n in names[:_LISTED])
    return shown + (f" and {len(names) - _LISTED} more" if len(names) > _LISTED else "")


def _attribute_names(obj: Any) -> list[str]:
    fields = getattr(type(obj), "model_fields", None)
    if isinstance(fields, dict):  # a pydantic model: its fields, not its many methods
        return list(fields)
    try:
        return [n for n in dir(obj) if not n.startswith("_")]
    except Exception:  # noqa: BLE001 - a broken __dir__ only costs the hint
        return []


def _did_you_mean(name: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, names, n=3)
    return f" Did you mean {' or '.join(f'`{c}`' for c in close)}?" if close else ""


def no_key_error(step: Step, name: str, obj: dict[Any, Any]) -> LensKeyError:
    keys = [str(k) for k in obj]
    where = (
        f"{kind_of(obj)} with keys {_listing(keys)}" if keys else f"an empty {type(obj).__name__}"
    )
    return LensKeyError(
        f"no key `{name}` in {where}.{_did_you_mean(name, keys)}", step=step, available=tuple(keys)
    )


def _no_attribute(step: Step, name: str, obj: Any) -> LensValueError:
    names = _attribute_names(obj)
    has = f" with attributes {_listing(names)}" if names else ""
    return LensValueError(
        f"no attribute `{name}` on {kind_of(obj)}{has}.{_did_you_mean(name, names)}",
        step=step,
        available=tuple(names),
    )


def _not_a(step: Step, obj: Any, what: str) -> LensValueError:
    if isinstance(obj, dict):
        available = tuple(str(k) for k in obj)
        has = f" with keys {_listing(available)}" if available else ""
    elif isinstance(obj, Sequence) and not isinstance(obj, str):
        available, has = tuple(str(i) for i in range(len(obj))), f" of length {len(obj)}"
    else:
        available, has = (), ""
    return LensValueError(
        f"expected {what} but found {kind_of(obj)}{has}", step=step, available=available
    )


def _out_of_range(step: Step, index: int, obj: Sequence[Any]) -> LensIndexError:
    n = len(obj)
    return LensIndexError(
        f"index `{index}` is out of range for {kind_of(obj)} of length {n}",
        step=step,
        available=tuple(str(i) for i in range(n)),
    )


def _is_sequence(obj: Any) -> bool:
    return isinstance(obj, Sequence) and not isinstance(obj, str)


def quote_name(name: str) -> str:
    """A name as a string literal for ``."x y"``; double quotes read best there."""
    text = repr(name)
    if text[0] == "'" and '"' not in name and "'" not in name:
        text = f'"{text[1:-1]}"'
    return text


def _copy_with(obj: Any, key: str, value: Any) -> Any:
    """A shallow copy of a dict or object with ``key`` set to ``value``."""
    if type(obj) is dict:
        new = dict(obj)
        new[key] = value
        return new
    if isinstance(obj, dict):  # Munch and other dict subclasses keep their type
        new = copy.copy(obj)
        new[key] = value
        return new
    if isinstance(obj, BaseModel):  # frozen models too
        return obj.model_copy(update={key: value})
    new = copy.copy(obj)
    setattr(new, key, value)
    return new


# ---------------------------------------------------------------------------- steps

Update = Callable[[Any], Any]


class Step(BaseModel):
    """One step of a lens: selects zero or more values from an object.

    ``Step.model_validate(d)`` builds the step a dict form names, dispatching on the
    dict's first key (``{"item": "k"}`` is a `GetItem`; ``start``/``stop``/``step`` are
    all `GetSlice`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    _by_key: ClassVar[dict[str, type[Step]]] = {}

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        if cls is Step:
            if isinstance(obj, Step):
                return obj  # type: ignore[return-value]
            if isinstance(obj, dict) and obj:
                kind = Step._by_key.get(next(iter(obj)))
                if kind is not None:
                    return kind.model_validate(obj, *args, **kwargs)  # type: ignore[return-value]
            raise LensValueError(
                f"Not a lens step: {obj!r}. A step is a dict with one of the keys "
                f"{_listing(sorted(Step._by_key))}, e.g. {{'item': 'k'}} or {{'index': 0}}."
            )
        return super().model_validate(obj, *args, **kwargs)

    def get(self, obj: Any) -> Iterator[Any]:
        """Yield the values this step selects from ``obj``.

        Raises:
            LensKeyError, LensIndexError, LensValueError: the value is not there.
        """
        raise NotImplementedError

    def _modify(self, obj: Any, update: Update) -> Any:
        """A copy of ``obj`` with every selected value ``v`` replaced by ``update(v)``.

        Missing slots are created (``update(None)``) where the step can create them.
        """
        raise NotImplementedError

    def set(self, obj: Any, val: Any) -> Any:
        """A copy of ``obj`` with every value this step selects replaced by ``val``."""
        return self._modify(obj, lambda _old: val)

    def __str__(self) -> str:
        return self.__repr__()


class StepItemOrAttribute(Step):
    """Marker base of the steps that name a key or an attribute."""

    def get_item_or_attribute(self) -> str:
        """The key or attribute name this step looks up."""
        raise NotImplementedError


class GetItemOrAttribute(StepItemOrAttribute):
    """``.name``: the key of a dict, else the attribute of an object.

    On a sequence (not a string) it looks inside: a one-element sequence is stepped
    into; on a longer one it is applied to every element, skipping the elements
    that lack the name (TruLens calls this ambiguous; it is how ``.rets`` reaches
    every invocation of a method); an empty sequence is an error. Setting through it
    sets the name on every element.
    """

    item_or_attribute: str

    def get_item_or_attribute(self) -> str:
        return self.item_or_attribute

    def get(self, obj: Any) -> Iterator[Any]:
        name = self.item_or_attribute
        if isinstance(obj, dict):
            if name not in obj:
                raise no_key_error(self, name, obj)
            yield obj[name]
        elif _is_sequence(obj):
            if len(obj) == 1:
                yield from self.get(obj[0])
            elif not obj:
                raise LensValueError(
                    f"cannot look up `{name}` in an empty {type(obj).__name__}", step=self
                )
            else:
                logger.debug(
                    "Lookup of `%s` in a %s of %d elements applies to each element; use an "
                    "index or slice first (`[0]`, `[:]`) to say which.",
                    name, type(obj).__name__, len(obj),
                )  # fmt: skip
                for element in obj:
                    if self._present(element):
                        yield from self.get(element)
        else:
            value = getattr(obj, name, MISSING)
            if value is MISSING:
                raise _no_attribute(self, name, obj)
            yield value

    def _present(self, obj: Any) -> bool:
        """Whether `get` on ``obj`` yields without an error (fan-out skips the rest)."""
        if isinstance(obj, dict):
            return self.item_or_attribute in obj
        if _is_sequence(obj):  # longer sequences fan out, which never fails
            return len(obj) > 1 or (len(obj) == 1 and self._present(obj[0]))
        return hasattr(obj, self.item_or_attribute)

    def _modify(self, obj: Any, update: Update) -> Any:
        name = self.item_or_attribute
        if obj is None:
            return {name: update(None)}
        if isinstance(obj, dict):
            return _copy_with(obj, name, update(obj.get(name)))
        if _is_sequence(obj):  # like `get`, looks inside: every element is updated
            new = [self._modify(e, update) for e in obj]
            return tuple(new) if isinstance(obj, tuple) else new
        return _copy_with(obj, name, update(getattr(obj, name, None)))

    def __repr__(self) -> str:
        name = self.item_or_attribute
        return f".{name}" if name.isidentifier() else f".{quote_name(name)}"


class GetItem(StepItemOrAttribute):
    """``['k']``: the key of a dict (never an attribute)."""

    item: str

    def get_item_or_attribute(self) -> str:
        return self.item

    def get(self, obj: Any) -> Iterator[Any]:
        if not isinstance(obj, dict):
            raise _not_a(self, obj, f"a dict to look up key `{self.item}` in")
        if self.item not in obj:
            raise no_key_error(self, self.item, obj)
        yield obj[self.item]

    def _modify(self, obj: Any, update: Update) -> Any:
        if obj is None:
            return {self.item: update(None)}
        if not isinstance(obj, dict):
            raise _not_a(self, obj, f"a dict to set key `{self.item}` in")
        return _copy_with(obj, self.item, update(obj.get(self.item)))

    def __repr__(self) -> str:
        return f"[{self.item!r}]"


class GetAttribute(StepItemOrAttribute):
    """``.attr('a')``: the attribute of an object (never a dict key)."""

    attribute: str

    def get_item_or_attribute(self) -> str:
        return self.attribute

    def get(self, obj: Any) -> Iterator[Any]:
        value = getattr(obj, self.attribute, MISSING)
        if value is MISSING:
            raise _no_attribute(self, self.attribute, obj)
        yield value

    def _modify(self, obj: Any, update: Update) -> Any:
        if obj is None:
            import munch  # a Munch takes attributes and still serialises as a dict

            obj = munch.Munch()
        value = update(getattr(obj, self.attribute, None))
        if isinstance(obj, BaseModel):
            return obj.model_copy(update={self.attribute: value})
        new = copy.copy(obj)
        setattr(new, self.attribute, value)
        return new

    def __repr__(self) -> str:
        return f".attr({self.attribute!r})"


def _padded(obj: Any, step: Step, indices: Sequence[int]) -> list[Any]:
    """``obj`` as a new list, padded with ``None`` so every index exists."""
    if obj is None:
        obj = []
    elif not _is_sequence(obj):
        raise _not_a(step, obj, "a sequence to set elements of")
    new = list(obj)
    for i in indices:
        if i >= len(new):
            new.extend([None] * (i + 1 - len(new)))
        elif i < -len(new):
            raise _out_of_range(step, i, new)
    return new


class GetIndex(Step):
    """``[i]``: one element of a sequence; negative indexes count from the end."""

    index: int

    def get(self, obj: Any) -> Iterator[Any]:
        if not isinstance(obj, Sequence):
            raise _not_a(self, obj, f"a sequence to take element `[{self.index}]` of")
        i = self.index
        if not -len(obj) <= i < len(obj):
            raise _out_of_range(self, i, obj)
        yield obj[i]

    def _modify(self, obj: Any, update: Update) -> Any:
        new = _padded(obj, self, (self.index,))
        new[self.index] = update(new[self.index])
        return new

    def __repr__(self) -> str:
        return f"[{self.index}]"


class GetSlice(Step):
    """``[start:stop:step]``: the elements of a slice of a sequence."""

    start: int | None = None
    stop: int | None = None
    step: int | None = None

    def _positions(self, obj: Any) -> range:
        if not _is_sequence(obj):
            raise _not_a(self, obj, f"a sequence to slice with `{self!r}`")
        if self.step == 0:
            raise LensValueError("a slice step cannot be zero", step=self)
        return range(*slice(self.start, self.stop, self.step).indices(len(obj)))

    def get(self, obj: Any) -> Iterator[Any]:
        for i in self._positions(obj):
            yield obj[i]

    def _modify(self, obj: Any, update: Update) -> Any:
        if obj is None:
            return []  # a slice of nothing is empty; slices never pad
        positions = self._positions(obj)
        new = list(obj)
        for i in positions:
            new[i] = update(new[i])
        return new

    def __repr__(self) -> str:
        parts = ":".join("" if p is None else str(p) for p in (self.start, self.stop, self.step))
        return "[:]" if parts == "::" else f"[{parts}]"


class GetIndices(Step):
    """``[i,j,...]``: several elements of a sequence (``[i,]`` for one, ``[]`` for none)."""

    indices: tuple[int, ...]

    def get(self, obj: Any) -> Iterator[Any]:
        if not _is_sequence(obj):
            raise _not_a(self, obj, f"a sequence to take elements `{self!r}` of")
        n = len(obj)
        for i in self.indices:
            if not -n <= i < n:
                raise _out_of_range(self, i, obj)
            yield obj[i]

    def _modify(self, obj: Any, update: Update) -> Any:
        new = _padded(obj, self, self.indices)
        for i in self.indices:
            new[i] = update(new[i])
        return new

    def __repr__(self) -> str:
        if len(self.indices) == 1:
            return f"[{self.indices[0]},]"
        return f"[{','.join(map(str, self.indices))}]"


class GetItems(Step):
    """``['a','b']``: several keys of a dict (``['a',]`` for one)."""

    items: tuple[str, ...] = Field(min_length=1)

    def get(self, obj: Any) -> Iterator[Any]:
        if not isinstance(obj, dict):
            raise _not_a(self, obj, f"a dict to look up keys `{self!r}` in")
        for k in self.items:
            if k not in obj:
                raise no_key_error(self, k, obj)
            yield obj[k]

    def _modify(self, obj: Any, update: Update) -> Any:
        if obj is None:
            obj = {}
        elif not isinstance(obj, dict):
            raise _not_a(self, obj, f"a dict to set keys `{self!r}` in")
        for k in self.items:
            obj = _copy_with(obj, k, update(obj.get(k)))
        return obj

    def __repr__(self) -> str:
        inner = ",".join(map(repr, self.items))
        return f"[{inner},]" if len(self.items) == 1 else f"[{inner}]"


class Collect(Step):
    """``.collect()``: gathers every value selected so far into one list.

    Steps after it act on that list: ``.rets[:].collect()[0]``.
    """

    collect: None = None

    def get(self, obj: Any) -> Iterator[Any]:
        raise NotImplementedError("`.collect()` gathers the values of a whole lens; use Lens.get.")

    def _modify(self, obj: Any, update: Update) -> Any:
        raise NotImplementedError(
            "A lens with `.collect()` cannot set values; select the positions with `[:]` instead."
        )

    def __repr__(self) -> str:
        return ".collect()"


Step._by_key.update(
    item_or_attribute=GetItemOrAttribute,
    item=GetItem,
    attribute=GetAttribute,
    index=GetIndex,
    start=GetSlice,
    stop=GetSlice,
    step=GetSlice,
    indices=GetIndices,
    items=GetItems,
    collect=Collect,
)


def to_step(value: Any) -> Any:
    return value if isinstance(value, Step) else Step.model_validate(value)
