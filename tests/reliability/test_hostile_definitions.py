"""Loading stored FeedbackDefinitions resolves only functions and classes DEFINED in
allowed modules: a corpus of hostile definitions never reaches os.system, subprocess,
builtins, importlib or pickle, and never runs anything but the resolved constructor."""

from __future__ import annotations

import copy
import os
import subprocess
from typing import Any

import _allowed_feedbacks as allowed
import pytest

from spyglass.core import Feedback, FeedbackDefinition, FeedbackResultStatus

MODULE = allowed.__name__
SOURCE = {"__record__": {"main_input": "a b", "main_output": "a"}}


def _function(module: str, name: str, cls: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"module": {"module_name": module}, "cls": cls, "name": name}


def _class(module: str, name: str) -> dict[str, Any]:
    return {"name": name, "module": {"module_name": module}}


def _method(
    cls: dict[str, Any], name: str, args: list[Any], kwargs: dict[str, Any]
) -> dict[str, Any]:
    return {
        "obj": {"cls": cls, "id": 0, "init_bindings": {"args": args, "kwargs": kwargs}},
        "name": name,
    }


GOOD = Feedback(allowed.overlap).on_input().on_output().model_dump()

HOSTILE_IMPLEMENTATIONS = {
    # walking attributes of the allowed module into what it imported
    "module.os.system": _function(MODULE, "os.system"),
    "re-exported system": _function(MODULE, "system"),
    "module.subprocess.run": _function(MODULE, "subprocess.run"),
    "re-exported Popen": _function(MODULE, "Popen"),
    "module.builtins.eval": _function(MODULE, "builtins.eval"),
    "module.importlib.import_module": _function(MODULE, "importlib.import_module"),
    "module.pickle.loads": _function(MODULE, "pickle.loads"),
    "an instance's attribute": _function(MODULE, "logger.manager"),
    "a function's globals": _function(MODULE, "overlap.__globals__"),
    "a class's dunder": _function(MODULE, "Judge.__subclasses__"),
    # the same walks through spyglass itself (always allowed)
    "spyglass.importlib": _function("spyglass.core.serial._safe_load", "importlib.import_module"),
    "spyglass.pickle.loads": _function("spyglass.core.serial._safe_load", "pickle.loads"),
    # naming a dangerous module directly
    "os.system": _function("os", "system"),
    "builtins.exec": _function("builtins", "exec"),
    # a method looked up on an allowed class, by a name the class does not define
    "class method __subclasses__": _function(MODULE, "__subclasses__", _class(MODULE, "Judge")),
    "class attr __init_subclass__": _function(MODULE, "__init_subclass__", _class(MODULE, "Judge")),
    "class attr mro": _function(MODULE, "mro", _class(MODULE, "Judge")),
    # a bound method of an object rebuilt from an allowed class
    "method __class__": _method(_class(MODULE, "Judge"), "__class__", [], {}),
    "method __reduce_ex__": _method(_class(MODULE, "Judge"), "__reduce_ex__", [], {}),
    "method __init__": _method(_class(MODULE, "Judge"), "__init__", [], {}),
    # an object whose class is a re-exported dangerous class
    "Popen object": _method(_class(MODULE, "Popen"), "wait", [["touch", "/tmp/pwned"]], {}),
    "os module as a class": _method(_class(MODULE, "os"), "system", ["true"], {}),
}


@pytest.fixture()
def tripwires(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail loudly if anything dangerous is called while loading or running."""
    called: list[str] = []

    def trip(name: str) -> Any:
        def tripped(*args: Any, **kwargs: Any) -> Any:
            called.append(name)
            raise AssertionError(f"{name} was called")

        return tripped

    monkeypatch.setattr(os, "system", trip("os.system"))
    monkeypatch.setattr(allowed, "system", trip("re-exported system"))
    monkeypatch.setattr(subprocess, "run", trip("subprocess.run"))
    monkeypatch.setattr(subprocess.Popen, "__init__", trip("Popen"))
    return called


@pytest.mark.parametrize("name", sorted(HOSTILE_IMPLEMENTATIONS))
@pytest.mark.parametrize("field", ["implementation", "aggregator"])
def test_a_hostile_definition_loads_nothing_dangerous(
    name: str, field: str, tripwires: list[str]
) -> None:
    """Loading gives a feedback that fails with a result naming why; nothing is called."""
    data = copy.deepcopy(GOOD)
    data[field] = HOSTILE_IMPLEMENTATIONS[name]
    loaded = FeedbackDefinition.load(data, allowed_modules=[MODULE])
    assert loaded._imp is None and loaded._agg is None  # neither half is loaded
    result = loaded.run(source_data=SOURCE)
    assert result.status == FeedbackResultStatus.FAILED
    assert "Loading it failed" in (result.error or "")
    assert tripwires == []


@pytest.mark.parametrize(
    "implementation",
    [
        _function(MODULE, "overlap"),
        _method(_class(MODULE, "Judge"), "score", [], {"weight": 2.0}),
        _function(MODULE, "make", _class(MODULE, "Judge")),
    ],
    ids=["function", "method of a rebuilt object", "classmethod"],
)
def test_what_the_allowed_module_defines_still_loads(implementation: dict[str, Any]) -> None:
    """Functions, methods and classmethods the allowed module defines load as before."""
    data = copy.deepcopy(GOOD)
    data["implementation"] = implementation
    loaded = FeedbackDefinition.load(data, allowed_modules=[MODULE])
    assert loaded._imp is not None, loaded._load_error
