"""The wrap table: wrap once on the defining class, keep what frameworks check, undo exactly."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator

import pydantic
import pytest
import wrapt

from spyglass.core.instrument import _wrap as instrument


class Plain:
    def method(self, a: int, b: str = "x", *rest: int, key: bool = False, **extra: str) -> str:
        return f"{a}{b}{rest}{key}{extra}"

    async def coro(self, a: int) -> int:
        return a + 1

    def gen(self, n: int) -> Iterator[int]:
        yield from range(n)

    async def agen(self, n: int) -> AsyncIterator[int]:
        for i in range(n):
            yield i

    @staticmethod
    def static(x: int) -> int:
        return x

    @classmethod
    def klass(cls, x: int) -> int:
        return x

    @property
    def prop(self) -> int:
        return 1


class Child(Plain):
    pass


class Model(pydantic.BaseModel):
    name: str = "m"

    def greet(self, who: str) -> str:
        return f"{self.name} greets {who}"


@pytest.fixture(autouse=True)
def _unwrap() -> Iterator[None]:
    yield
    for cls in (Plain, Child, Model):
        for name in list(vars(cls)):
            instrument.unwrap(cls, name)


def test_wrap_installs_one_wrapt_wrapper_on_the_defining_class() -> None:
    """wrap_method puts a wrapt FunctionWrapper in cls.__dict__[name]."""
    assert instrument.wrap_method(Plain, "method") is True
    assert isinstance(Plain.__dict__["method"], wrapt.FunctionWrapper)
    assert instrument.is_wrapped(Plain, "method") is True


def test_wrapping_twice_keeps_the_first_wrapper() -> None:
    """A second wrap of the same (class, name) is a no-op that reports success."""
    instrument.wrap_method(Plain, "method")
    first = Plain.__dict__["method"]
    assert instrument.wrap_method(Plain, "method") is True
    assert Plain.__dict__["method"] is first
    assert 1 == sum(1 for e in instrument.wrapped_methods() if (e.cls, e.name) == (Plain, "method"))


def test_not_recording_the_wrapped_method_returns_what_the_original_returns() -> None:
    """Outside any recording the wrapper is a pass-through."""
    expected = Plain().method(1, "y", 2, 3, key=True, z="w")
    instrument.wrap_method(Plain, "method")
    assert expected == Plain().method(1, "y", 2, 3, key=True, z="w")
    assert expected == Plain.method(Plain(), 1, "y", 2, 3, key=True, z="w")


def test_wrapped_methods_keep_signature_and_nature() -> None:
    """signature, iscoroutinefunction, isgeneratorfunction, isasyncgenfunction are unchanged."""
    names = ("method", "coro", "gen", "agen")

    def nature() -> dict[str, tuple[object, ...]]:
        return {
            n: (
                inspect.signature(getattr(Plain, n)),
                inspect.signature(getattr(Plain(), n)),
                inspect.iscoroutinefunction(getattr(Plain, n)),
                inspect.isgeneratorfunction(getattr(Plain, n)),
                inspect.isasyncgenfunction(getattr(Plain, n)),
                inspect.iscoroutinefunction(getattr(Plain(), n)),
                inspect.isasyncgenfunction(getattr(Plain(), n)),
            )
            for n in names
        }

    before = nature()
    for n in names:
        instrument.wrap_method(Plain, n)
    assert before == nature()


def test_unwrap_restores_the_identical_original() -> None:
    """unwrap puts the very same function object back."""
    original = Plain.__dict__["method"]
    instrument.wrap_method(Plain, "method")
    assert instrument.unwrap(Plain, "method") is True
    assert Plain.__dict__["method"] is original
    assert instrument.is_wrapped(Plain, "method") is False


def test_uninstrument_restores_every_wrapped_attribute() -> None:
    """uninstrument() restores all wrapped methods of all classes to their originals."""
    originals = {
        (Plain, "method"): Plain.__dict__["method"],
        (Plain, "gen"): Plain.__dict__["gen"],
        (Model, "greet"): Model.__dict__["greet"],
    }
    for cls, name in originals:
        instrument.wrap_method(cls, name)
    restored = instrument.uninstrument()
    assert restored >= 3
    assert {k: k[0].__dict__[k[1]] for k in originals} == originals
    assert all(o is k[0].__dict__[k[1]] for k, o in originals.items())


def test_staticmethod_classmethod_property_are_skipped_with_a_reason() -> None:
    """Descriptors other than plain functions are not wrapped; the reason names them."""
    for name, word in (("static", "staticmethod"), ("klass", "classmethod"), ("prop", "propert")):
        original = Plain.__dict__[name]
        assert instrument.wrap_method(Plain, name) is False
        assert Plain.__dict__[name] is original
        assert word in (instrument.why_not_wrappable(Plain, name) or "")


def test_a_method_not_defined_on_the_class_itself_is_not_wrapped() -> None:
    """Wrapping happens only on the class whose __dict__ defines the method."""
    assert instrument.wrap_method(Child, "method") is False
    assert "method" not in Child.__dict__
    assert "does not define" in (instrument.why_not_wrappable(Child, "method") or "")


def test_pydantic_class_level_patch_works() -> None:
    """A pydantic model's method is wrapped at class level; instances and dumps are unaffected."""
    instrument.wrap_method(Model, "greet")
    m = Model(name="ann")
    assert "ann greets bob" == m.greet("bob")
    assert {"name": "ann"} == m.model_dump()
    assert m == m.model_copy()


def test_someone_elses_later_patch_is_left_in_place_on_unwrap() -> None:
    """If another tool replaced our wrapper, unwrap does not remove theirs."""
    original = Plain.__dict__["method"]
    instrument.wrap_method(Plain, "method")

    def theirs(self: Plain, *a: object, **k: object) -> str:
        return "theirs"

    Plain.method = theirs  # type: ignore[method-assign]
    try:
        assert instrument.unwrap(Plain, "method") is False
        assert Plain.__dict__["method"] is theirs
    finally:
        Plain.method = original  # type: ignore[method-assign]
