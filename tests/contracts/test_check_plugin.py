"""`check_plugin` / `plugin_problems`: a plugin's mistakes, found before spyglass calls it."""

from __future__ import annotations

from typing import Any

import pytest

from spyglass.core import AdapterInfo, InstrumentSpec, hookimpl
from spyglass.testing import check_plugin, find_plugin, plugin_problems


class Framework:
    def generate(self, prompt: str) -> str:
        return prompt


class Good:
    @hookimpl
    def spyglass_adapter_info(self) -> AdapterInfo:
        return AdapterInfo(name="good", requires=("pluggy>=1",))

    @hookimpl
    def spyglass_instrument_specs(self) -> list[InstrumentSpec]:
        return [InstrumentSpec(Framework, ("generate",))]

    @hookimpl
    def spyglass_main_output(self, app: Any, ret: Any) -> Any:
        return None


def problems_of(**hooks: Any) -> list[str]:
    """The problems of `Good` with some hooks replaced (None removes one)."""
    namespace = {k: v for k, v in vars(Good).items() if not k.startswith("__")}
    namespace.update(hooks)
    plugin = type("Plugin", (), {k: v for k, v in namespace.items() if v is not None})()
    return plugin_problems(plugin, "plugin")


@pytest.mark.parametrize("name", ["custom", "langchain", "llamaindex"])
def test_built_in_plugins_have_no_problem(name: str) -> None:
    """The built-in adapters pass, as a third-party one must."""
    assert [] == plugin_problems(find_plugin(name), name)


def test_a_correct_plugin_passes() -> None:
    assert [] == problems_of()
    check_plugin(Good())


def test_misspelt_hook_is_named_with_the_likely_one() -> None:
    @hookimpl
    def spyglass_main_inptu(self: Any, app: Any) -> Any:
        return None

    (problem,) = problems_of(spyglass_main_inptu=spyglass_main_inptu)
    assert "implements spyglass_main_inptu, which is not a spyglass hook (did you mean " in problem
    assert "spyglass_main_input?)" in problem


def test_hook_without_hookimpl_is_never_called() -> None:
    def spyglass_main_output(self: Any, app: Any, ret: Any) -> Any:
        return None

    assert [
        (
            "spyglass plugin 'plugin' defines spyglass_main_output without @hookimpl: spyglass "
            "never calls it (decorate it with spyglass.core.hookimpl)"
        )
    ] == problems_of(spyglass_main_output=spyglass_main_output)


def test_argument_the_hook_does_not_pass() -> None:
    @hookimpl
    def spyglass_main_output(self: Any, app: Any, result: Any) -> Any:
        return None

    assert [
        (
            "spyglass plugin 'plugin': spyglass_main_output takes 'result', which the hook does "
            "not pass (it passes app, func, bindings, ret, streamed)"
        )
    ] == problems_of(spyglass_main_output=spyglass_main_output)


def test_argument_with_a_default_is_never_passed() -> None:
    @hookimpl
    def spyglass_main_output(self: Any, app: Any, ret: Any, streamed: bool = False) -> Any:
        return None

    (problem,) = problems_of(spyglass_main_output=spyglass_main_output)
    assert "gives 'streamed' a default, so pluggy never passes it" in problem


def test_hook_wrapper_is_ignored_by_spyglass() -> None:
    @hookimpl(wrapper=True)
    def spyglass_main_output(self: Any, app: Any, ret: Any) -> Any:
        return (yield)

    assert any(
        "is a hook wrapper" in p for p in problems_of(spyglass_main_output=spyglass_main_output)
    )


def test_missing_or_wrong_adapter_info() -> None:
    assert [
        (
            "spyglass plugin 'plugin' does not implement spyglass_adapter_info: every adapter must "
            "say who it is (return spyglass.core.AdapterInfo(name=...))"
        )
    ] == problems_of(spyglass_adapter_info=None)

    @hookimpl
    def as_dict(self: Any) -> Any:
        return {"name": "x"}

    assert [
        (
            "spyglass plugin 'plugin': spyglass_adapter_info() returned {'name': 'x'}; return a "
            "spyglass.core.AdapterInfo"
        )
    ] == problems_of(spyglass_adapter_info=as_dict)


@pytest.mark.parametrize(
    ("info", "says"),
    [
        (AdapterInfo(name="a,b"), "contains a comma or a space"),
        (
            AdapterInfo(name="x", requires="pluggy>=1"),
            "AdapterInfo.requires is 'pluggy>=1'; give a tuple",
        ),  # type: ignore[arg-type]
        (AdapterInfo(name="x", optional=("pluggy >= one",)), "is not a PEP 508 requirement"),
    ],
)
def test_adapter_info_fields(info: AdapterInfo, says: str) -> None:
    @hookimpl
    def spyglass_adapter_info(self: Any) -> AdapterInfo:
        return info

    (problem,) = problems_of(spyglass_adapter_info=spyglass_adapter_info)
    assert says in problem


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        (
            InstrumentSpec(Framework, "generate"),  # type: ignore[arg-type]
            (
                "methods is the string 'generate', so each letter would be a method name; write "
                "a tuple: ('generate',)"
            ),
        ),
        (
            InstrumentSpec(Framework, ("genrate",)),
            (
                "lists method 'genrate', which neither Framework nor any of its imported "
                "subclasses has"
            ),
        ),
        (
            InstrumentSpec("no_such_framework.models:Model", ("run",)),
            "the class cannot be found: its module cannot be imported",
        ),
        (
            InstrumentSpec(f"{__name__}:Frame", ("generate",)),
            f"the class cannot be found: module {__name__} has no class Frame",
        ),
        ("not a spec", "item 0 is 'not a spec', not a spyglass.core.InstrumentSpec"),
    ],
)
def test_instrument_specs(spec: Any, says: str) -> None:
    @hookimpl
    def spyglass_instrument_specs(self: Any) -> list[Any]:
        return [spec]

    (problem,) = problems_of(spyglass_instrument_specs=spyglass_instrument_specs)
    assert says in problem


def test_check_plugin_lists_every_problem() -> None:
    class Bad:
        @hookimpl
        def spyglass_main_output(self, app: Any, result: Any) -> Any:
            return None

    with pytest.raises(AssertionError) as caught:
        check_plugin(Bad(), "bad")
    lines = str(caught.value).splitlines()
    assert "2 problem(s) with the plugin:" == lines[0]
    assert lines[1].startswith("  - spyglass plugin 'bad': spyglass_main_output takes 'result'")
    assert lines[2].startswith("  - spyglass plugin 'bad' does not implement spyglass_adapter_info")


def test_find_plugin_by_adapter_or_registration_name() -> None:
    assert find_plugin("custom") is find_plugin("custom")
    with pytest.raises(
        LookupError, match="no registered spyglass plugin is named 'nope'.*'custom'"
    ):
        find_plugin("nope")


def test_the_broken_echo_adapter_has_its_default_argument_found() -> None:
    """The one mistake of _broken_echo.py that check_plugin can see without running it."""
    from _broken_echo import BrokenEchoAdapter

    assert [
        (
            "spyglass plugin 'brokenecho': spyglass_main_output gives 'streamed' a default, so "
            "pluggy never passes it (it stays the default); remove the default"
        )
    ] == plugin_problems(BrokenEchoAdapter(), "brokenecho")
