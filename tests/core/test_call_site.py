"""CallSite.arguments: the same as Signature.bind (instance left out), fast or not."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from spyglass.core.instrument._wrap import CallSite


class Methods:
    def plain(self, a, b=2):  # type: ignore[no-untyped-def]
        return a

    def lc_invoke(self, input, config=None, **kwargs):  # type: ignore[no-untyped-def]
        return input

    def keyword_only(self, query, *, run_manager, k=4):  # type: ignore[no-untyped-def]
        return query

    def star_args(self, a, *more, flag=False, **extra):  # type: ignore[no-untyped-def]
        return a

    def positional_only(self, a, /, b=1):  # type: ignore[no-untyped-def]
        return a

    def many(self, a, b=1, c=2, *, d=3, e=4, **rest):  # type: ignore[no-untyped-def]
        return a


CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("plain", (1,), {}),
    ("plain", (1, 3), {}),
    ("plain", (), {"b": 3, "a": 1}),
    ("plain", (1,), {"b": 5}),
    ("plain", (), {}),  # missing a: the call raised
    ("plain", (1,), {"a": 2}),  # a twice
    ("plain", (1,), {"c": 2}),  # unexpected keyword
    ("plain", (1, 2, 3), {}),  # too many
    ("lc_invoke", ("q",), {}),
    ("lc_invoke", ("q", {"tags": []}), {}),
    ("lc_invoke", ("q",), {"config": {}, "stop": ["x"], "other": 1}),
    ("lc_invoke", (), {"stop": 1, "input": "q"}),
    ("keyword_only", ("q",), {"run_manager": None}),
    ("keyword_only", ("q",), {"k": 2, "run_manager": None}),
    ("keyword_only", ("q",), {}),  # run_manager missing
    ("star_args", (1, 2, 3), {"flag": True, "z": 0}),
    ("positional_only", (1,), {"b": 2}),
    # keywords out of parameter order, extras among them: ordered as bind orders them
    ("lc_invoke", (), {"other": 1, "config": {}, "input": "q"}),
    ("many", (0,), {"e": 1, "x": 0, "c": 5, "d": 2}),
    ("many", (0, 1), {"c": 5, "d": 2, "e": 1}),
    ("many", (0, 1), {"b": 5}),  # b twice
    ("many", (), {"e": 1, "a": 0}),
]


def _bound(func: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        bound = inspect.signature(func).bind(instance, *args, **kwargs).arguments
    except TypeError:
        return {"args": args, "kwargs": kwargs}
    return {k: v for k, v in bound.items() if k != "self"}


@pytest.mark.parametrize(("name", "args", "kwargs"), CALLS)
def test_arguments_equal_signature_bind_in_order(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    """Names, values and order match Signature.bind; unbindable calls give args/kwargs."""
    func = Methods.__dict__[name]
    instance = Methods()
    site = CallSite(Methods, name, func)
    expected = _bound(func, instance, args, kwargs)
    actual = site.arguments(instance, args, kwargs)
    assert list(expected.items()) == list(actual.items())
