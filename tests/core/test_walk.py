"""The object walk: paths for every component, safe on any object graph."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pydantic
import pytest
from _engine_fixtures import engine_plugin

from spyglass.core.lens._lens import Lens
from spyglass.core.plugins import _walk
from spyglass.core.plugins._walk import default_children, walk
from spyglass.core.plugins.hookspecs import hookimpl


class Leaf:
    def __init__(self, name: str = "leaf") -> None:
        self.name = name


class Node:
    def __init__(self, **children: Any) -> None:
        self.__dict__.update(children)


def paths_of(root: Any) -> dict[str, Any]:
    """str(path) -> object for every object the walk visited."""
    return {str(path): obj for path, obj in walk(root).found.values()}


def test_attributes_lists_and_dicts_get_lens_paths() -> None:
    """Attributes are .name, list elements [i], dict values under str keys [key]."""
    a, b, c = Leaf("a"), Leaf("b"), Leaf("c")
    root = Node(first=a, steps=[b], by_name={"third": c})
    found = paths_of(root)
    assert {
        "app",
        "app.first",
        "app.steps",
        "app.steps[0]",
        "app.by_name",
        "app.by_name.third",
    } == set(found)
    assert (a, b, c) == (found["app.first"], found["app.steps[0]"], found["app.by_name.third"])


def test_a_dict_inside_a_list_is_walked() -> None:
    """Components nested as dict-inside-list are found (TruLens missed them)."""
    tool = Leaf("tool")
    found = paths_of(Node(tools=[{"search": tool}]))
    assert found["app.tools[0].search"] is tool


def test_pydantic_fields_and_private_attributes_are_walked() -> None:
    """Fields come from __dict__ in declaration order, private attrs from __pydantic_private__."""

    class Engine(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)
        llm: Any = None
        _retriever: Any = pydantic.PrivateAttr(default=None)

    engine = Engine(llm=Leaf("llm"))
    engine._retriever = Leaf("retriever")
    found = paths_of(engine)
    assert found["app.llm"] is engine.llm
    assert found["app._retriever"] is engine._retriever


def test_cycles_are_visited_once_and_keep_the_first_path() -> None:
    """An object reached twice keeps its first path; the second is an alias."""
    shared = Leaf("shared")
    root = Node(a=shared, b=shared)
    root.self_ref = root
    result = walk(root)
    assert ["app", "app.a"] == [str(p) for p, _ in result.found.values()]
    assert ["app.b"] == [str(p) for p in result.aliases[id(shared)]]
    assert ["app.self_ref"] == [str(p) for p in result.aliases[id(root)]]


def test_properties_and_getattr_are_never_evaluated() -> None:
    """The walk reads __dict__ only: no property, no __getattr__ runs."""
    calls: list[str] = []

    class Sneaky:
        def __init__(self) -> None:
            self.child = Leaf()

        @property
        def boom(self) -> Any:
            calls.append("property")
            raise RuntimeError("property evaluated")

        def __getattr__(self, name: str) -> Any:
            calls.append(name)
            raise AttributeError(name)

    found = paths_of(Node(s=Sneaky()))
    assert "app.s.child" in found
    assert [] == calls


def test_data_is_not_followed() -> None:
    """Strings, numbers, modules, classes, functions, locks and loggers are leaves."""
    root = Node(
        text="x",
        number=3,
        module=logging,
        cls=Leaf,
        func=paths_of,
        lock=threading.Lock(),
        logger=logging.getLogger("x"),
        nums=[1, 2, 3],
    )
    assert {"app", "app.nums"} == set(paths_of(root))


def test_numpy_arrays_are_leaves() -> None:
    """numpy arrays (found by module name) are never walked into."""
    np = pytest.importorskip("numpy")
    assert _walk.is_leaf(np.zeros(3))
    assert {"app"} == set(paths_of(Node(vectors=np.zeros((10, 10)))))


def test_depth_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Objects deeper than MAX_DEPTH are not visited, and the walk says so."""
    monkeypatch.setattr(_walk, "MAX_DEPTH", 3)
    root = Node(a=Node(b=Node(c=Node(d=Node()))))
    result = walk(root)
    assert ["app", "app.a", "app.a.b", "app.a.b.c"] == [str(p) for p, _ in result.found.values()]
    assert result.truncated is not None and "MAX_DEPTH" in result.truncated


def test_node_count_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """At most MAX_NODES objects are visited."""
    monkeypatch.setattr(_walk, "MAX_NODES", 5)
    result = walk(Node(items=[Leaf() for _ in range(100)]))
    assert 5 == len(result.found)
    assert result.truncated is not None and "MAX_NODES" in result.truncated


def test_default_children_lists_relative_lenses() -> None:
    """default_children gives (relative lens, child) pairs, leaves left out."""
    a = Leaf()
    pairs = default_children(Node(a=a, n=1, items=[a]))
    assert [(Lens().a, a), (Lens().items, [a])] == pairs


class ChildrenPlugin:
    @hookimpl
    def spyglass_component_children(self, obj: Any) -> Any:
        if isinstance(obj, Node) and "hidden" in vars(obj):
            return [(Lens().visible, vars(obj)["hidden"])]
        if isinstance(obj, Leaf) and obj.name == "stop":
            return []
        return None


def test_the_adapters_children_hook_is_asked_first() -> None:
    """An adapter's answer replaces the default children; [] stops the walk there."""
    secret = Leaf("inner")
    stop = Leaf("stop")
    stop.child = Leaf("never")  # type: ignore[attr-defined]
    with engine_plugin([], ChildrenPlugin()):
        found = paths_of(Node(hidden=secret, other=stop))
        found_stop = paths_of(Node(x=stop))
    assert {"app", "app.visible"} == set(found)
    assert found["app.visible"] is secret
    assert {"app", "app.x"} == set(found_stop)


class StringPathPlugin:
    @hookimpl
    def spyglass_component_children(self, obj: Any) -> Any:
        if isinstance(obj, Node) and "strpath" in vars(obj):
            return [("visible", Leaf("dropped")), (Lens().kept, vars(obj)["strpath"])]
        return None


def test_a_child_whose_path_is_not_a_lens_is_dropped_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An adapter's child at a non-Lens path is left out, with one warning per class."""
    kept = Leaf("kept")
    with caplog.at_level(logging.DEBUG, logger="spyglass"), engine_plugin([], StringPathPlugin()):
        found = paths_of(Node(strpath=kept))
        paths_of(Node(strpath=kept))
    warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and "not a Lens" in r.getMessage()
    ]
    assert ({"app", "app.kept"}, 1) == (set(found), len(warnings))


def test_a_hostile_object_does_not_break_the_walk() -> None:
    """Objects whose __dict__ access or iteration fails are skipped quietly."""

    class NoDict:
        __slots__ = ("x",)

    class BadList(list):  # type: ignore[type-arg]
        def __iter__(self) -> Any:
            raise RuntimeError("no iterating")

    found = paths_of(Node(a=NoDict(), b=BadList([Leaf()])))
    assert {"app", "app.a", "app.b"} <= set(found)
