"""print_instrumented() of a custom app, in the format TruLens 1.x prints.

Expected shape (addresses vary)::

    Components:
    \tTruCustomApp (recorder) at 0x7f99f25180f0 with path __app__
    \tBot (custom) at 0x7f99e4a21d90 with path __app__.app
    \tBotRetriever (retriever) at 0x7f99e4a8dd50 with path __app__.app.retriever
    \tBotLLM (custom) at 0x7f99e4a8cb50 with path __app__.app.llm

    Methods:
    Object at 0x7f99e4a21d90:
    \t<function Bot.respond at 0x7f99e4c9bf60> with path __app__.app
    ...
"""

from __future__ import annotations

import re

import pytest

from spyglass.adapters.custom import TruApp, instrument


class BotRetriever:
    @instrument(retriever=True)
    def retrieve(self, query: str) -> list[str]:
        return [query]


class BotLLM:
    @instrument
    def generate(self, prompt: str) -> str:
        return prompt


class Bot:
    def __init__(self) -> None:
        self.retriever = BotRetriever()
        self.llm = BotLLM()

    @instrument
    def respond(self, query: str) -> str:
        return self.llm.generate(self.retriever.retrieve(query)[0])

    @instrument
    async def arespond(self, query: str) -> str:
        return self.respond(query)


COMPONENT = re.compile(
    r"\t(?P<cls>\w+) \((?P<view>[\w ]+)\) at 0x(?P<addr>[0-9a-f]+) with path (?P<path>__app__\S*)"
)
OWNER = re.compile(r"Object at 0x(?P<addr>[0-9a-f]+):")
METHOD = re.compile(r"\t<function (?P<qual>[\w.]+) at 0x[0-9a-f]+> with path (?P<path>__app__\S*)")


@pytest.fixture
def bot_and_output(capsys: pytest.CaptureFixture[str]) -> tuple[Bot, TruApp, str]:
    bot = Bot()
    recorder = TruApp(bot)
    capsys.readouterr()
    recorder.print_instrumented()
    return bot, recorder, capsys.readouterr().out


def blocks(out: str) -> tuple[list[str], list[str]]:
    _, _, rest = out.partition("Components:\n")
    components, _, methods = rest.partition("\n\nMethods:\n")
    return components.splitlines(), methods.splitlines()


def test_output_has_the_two_blocks_in_order(bot_and_output: tuple[Bot, TruApp, str]) -> None:
    """The output is `Components:` lines, a blank line, then `Methods:` lines."""
    _, _, out = bot_and_output
    assert out.startswith("Components:\n")
    assert 1 == out.count("\n\nMethods:\n")


def test_every_component_line_matches_the_format(
    bot_and_output: tuple[Bot, TruApp, str],
) -> None:
    """Each component line is `\\t<Class> (<view>) at 0x<addr> with path __app__...`."""
    _, _, out = bot_and_output
    components, _ = blocks(out)
    assert components
    assert [] == [line for line in components if not COMPONENT.fullmatch(line)]


def test_components_are_listed_at_their_paths_with_their_addresses(
    bot_and_output: tuple[Bot, TruApp, str],
) -> None:
    """The recorder is at __app__, the app at __app__.app, components below it, at their ids."""
    bot, recorder, out = bot_and_output
    components, _ = blocks(out)
    found = {
        m["path"]: (m["cls"], int(m["addr"], 16)) for m in map(COMPONENT.fullmatch, components)
    }
    assert {
        "__app__": ("TruApp", id(recorder)),
        "__app__.app": ("Bot", id(bot)),
        "__app__.app.retriever": ("BotRetriever", id(bot.retriever)),
        "__app__.app.llm": ("BotLLM", id(bot.llm)),
    } == found


def test_methods_are_grouped_by_their_object(bot_and_output: tuple[Bot, TruApp, str]) -> None:
    """`Object at 0x<id>:` heads each object's methods, each `\\t<function ...> with path`."""
    bot, _, out = bot_and_output
    _, methods = blocks(out)
    grouped: dict[int, set[tuple[str, str]]] = {}
    owner = None
    for line in methods:
        head, method = OWNER.fullmatch(line), METHOD.fullmatch(line)
        assert head or method, f"unexpected line {line!r}"
        if head:
            owner = int(head["addr"], 16)
            grouped[owner] = set()
        else:
            assert owner is not None
            grouped[owner].add((method["qual"], method["path"]))
    assert {
        id(bot): {("Bot.respond", "__app__.app"), ("Bot.arespond", "__app__.app")},
        id(bot.retriever): {("BotRetriever.retrieve", "__app__.app.retriever")},
        id(bot.llm): {("BotLLM.generate", "__app__.app.llm")},
    } == grouped


def test_components_and_methods_print_separately(capsys: pytest.CaptureFixture[str]) -> None:
    """print_instrumented_components/_methods print exactly the two blocks."""
    recorder = TruApp(Bot())
    capsys.readouterr()
    recorder.print_instrumented()
    components, methods = blocks(capsys.readouterr().out)
    recorder.print_instrumented_components()
    assert components == capsys.readouterr().out.splitlines()
    recorder.print_instrumented_methods()
    assert methods == capsys.readouterr().out.splitlines()


def test_instrumented_gives_the_same_as_data() -> None:
    """instrumented() lists components with kind and adapter, and methods with paths."""
    data = TruApp(Bot()).instrumented()
    kinds = {c["path"]: (c["kind"], c["adapter"]) for c in data["components"]}
    assert ("retriever", "custom") == kinds["app.retriever"]
    assert ("custom", "custom") == kinds["app.llm"]
    methods = {(m["name"], m["path"]) for m in data["methods"]}
    assert {
        ("respond", "app"),
        ("arespond", "app"),
        ("retrieve", "app.retriever"),
        ("generate", "app.llm"),
    } == methods
