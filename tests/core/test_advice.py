"""A TruLens name spyglass lacks fails with advice, not a bare "cannot import name"."""

from __future__ import annotations

import importlib

import pytest

from spyglass.core import _advice


@pytest.mark.parametrize(
    ("package", "name", "says"),
    [
        ("spyglass.core", "TruGraph", "TruChain"),
        ("spyglass.core", "Metric", "Feedback"),
        ("spyglass.core", "Selector", "Select.RecordInput"),
        ("spyglass.core", "TruChain", "from spyglass.adapters.langchain import TruChain"),
        ("spyglass.adapters.langchain", "TruGraph", "records LangGraph compiled graphs"),
        ("spyglass.adapters.langchain", "context_filter", "spyglass.core.guardrails"),
        ("spyglass.adapters.custom", "Tru", "TruSession"),
        ("spyglass.adapters.llamaindex", "TruRails", "NeMo Guardrails"),
    ],
)
def test_from_import_of_a_known_name_says_what_to_use(package: str, name: str, says: str) -> None:
    """`from <package> import <TruLens name>` raises ImportError carrying the advice."""
    with pytest.raises(ImportError) as caught:
        exec(f"from {package} import {name}", {})  # noqa: S102 - the statement under test
    assert says in str(caught.value)
    assert "cannot import name" not in str(caught.value)


def test_attribute_lookup_gives_attribute_error_with_advice() -> None:
    """`package.Name` raises AttributeError with the advice, so hasattr/getattr still work."""
    core = importlib.import_module("spyglass.core")
    with pytest.raises(AttributeError, match="TruLens 2.x's `Metric` is `Feedback`"):
        core.Metric  # noqa: B018
    assert not hasattr(core, "TruGraph")
    assert getattr(core, "TruRails", None) is None


def test_unknown_names_keep_pythons_message() -> None:
    """A name that is no TruLens name gets Python's usual errors."""
    with pytest.raises(ImportError, match="cannot import name 'NoSuchThing'"):
        exec("from spyglass.core import NoSuchThing", {})  # noqa: S102 - the statement under test
    core = importlib.import_module("spyglass.core")
    with pytest.raises(AttributeError, match="has no attribute 'no_such_thing'"):
        core.no_such_thing  # noqa: B018


def test_a_name_another_package_provides_is_served_not_advised() -> None:
    """Exports win over the table: names that exist are never advised."""
    from spyglass.adapters.custom import TruApp
    from spyglass.core import Feedback

    assert TruApp.__name__ == "TruApp" and Feedback.__name__ == "Feedback"
    for package in ("spyglass.core", "spyglass.adapters.custom"):
        module = importlib.import_module(package)
        advised = set(_advice.ADVICE) & set(module.__all__)
        assert set() == advised, f"{package} exports names its advice table covers: {advised}"


def test_a_home_outside_this_installation_is_named() -> None:
    """A name whose spyglass home is missing says where it belongs."""
    message = _advice.advice("spyglass.core", "run_dashboard")
    assert message is not None and "spyglass.dashboard" in message
    assert _advice.advice("spyglass.core", "NoSuchThing") is None
