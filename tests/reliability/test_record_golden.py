"""A recorded app call gives exactly the pinned record, whatever shortcuts the build takes.

The record builder caches, shares and skips validation to be cheap
(`spyglass.core.recording._build`, `spyglass.core.serial`); none of that may change a
record. Each case records one call of a real app (the LangChain RAG chain, invoked; the LlamaIndex query engine, queried and streamed; a custom app that meets
most of `jsonify`'s forms, errors and secrets) and compares the record's
``model_dump()`` with the one pinned in ``golden/<case>.json``, made by the builder
before it was optimised.

What differs from run to run is replaced before comparing: ids (record, call, app,
object, process, thread), times and random UUIDs become numbered placeholders, numbered
in order of first appearance (calls taken in an order of their content, as threads
make their end order vary), so that what is one value in a record stays one value
(two calls sharing a frame, a document met twice) and what is two stays two.

To pin the records again after a deliberate change of the record's form:
``SPYGLASS_PIN_GOLDEN=1 .venv/bin/python -m pytest tests/reliability/test_record_golden.py``
(each test then writes its files and fails, so that a pinned run never passes silently).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import os
import re
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from spyglass.adapters.custom import TruApp, instrument
from spyglass.core import Record

_TESTS = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
PIN = os.environ.get("SPYGLASS_PIN_GOLDEN") == "1"

for _folder in ("langchain", "llamaindex"):
    if str(_TESTS / "adapters" / _folder) not in sys.path:
        sys.path.append(str(_TESTS / "adapters" / _folder))

# Keys whose values change from run to run, and the placeholder family of each.
_VARYING = {
    "record_id": "record",
    "call_id": "call",
    "app_id": "app",
    "pid": "pid",
    "tid": "tid",
    "start_time": "time",
    "end_time": "time",
    "ts": "time",
    "id": "obj",  # Obj.id, non-serialised objects, circular references: id(obj)
    "__tru_circular_reference": "obj",
}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ADDRESS = re.compile(r"0x[0-9a-f]{6,}")


class _Placeholders:
    """Numbers each varying value by first appearance, per family."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, Any], str] = {}

    def __call__(self, family: str, value: Any) -> str:
        if family in ("time", "tid"):
            # Not compared: times, and which pool thread ran which call (it varies).
            return f"<{family}>"
        key = (family, value)
        if key not in self.seen:
            count = sum(1 for f, _ in self.seen if f == family)
            self.seen[key] = f"<{family}#{count}>"
        return self.seen[key]


def normalised(record: Record) -> Any:
    """``record.model_dump()`` with its run-dependent values replaced (module doc)."""
    name = _Placeholders()

    def walk(value: Any, key: str | None) -> Any:
        family = _VARYING.get(key) if key is not None else None
        if family is not None and value is not None and not isinstance(value, (dict, list)):
            if key == "id" and isinstance(value, str) and not _UUID.fullmatch(value):
                pass  # an `id` that is data (a document's own, non-UUID id)
            else:
                return name(family, value if not isinstance(value, dt.datetime) else "t")
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v, None) for v in value]
        if isinstance(value, str):
            value = _UUID.sub(lambda m: name("uuid", m.group()), value)
            return _ADDRESS.sub(lambda m: name("address", m.group()), value)
        if isinstance(value, enum.Enum):
            return value.value
        assert value is None or isinstance(value, (bool, int, float)), (key, type(value))
        return value

    dump = record.model_dump()
    # Calls are in end order, which threads (LangChain's RunnableParallel) make vary:
    # compared in an order of their content instead.
    dump["calls"].sort(key=_call_key)
    return walk(dump, None)


def _call_key(call: dict[str, Any]) -> str:
    frames = [(str(f["path"]), f["method"]["name"]) for f in call["stack"]]
    return json.dumps([frames, call["args"], call["rets"]], default=str)


def check(case: str, record: Record) -> None:
    """The record of ``case`` is the pinned one (or pin it, see the module docstring)."""
    actual = normalised(record)
    path = GOLDEN / f"{case}.json"
    if PIN:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert expected == json.loads(json.dumps(actual))


@pytest.fixture(autouse=True)
def _pinning_fails() -> Iterator[None]:
    yield
    if PIN:
        pytest.fail("records pinned; run again without SPYGLASS_PIN_GOLDEN to check them")


# ----------------------------------------------------------------- LangChain


@pytest.fixture
def _no_langsmith(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGSMITH_API_KEY"):
        monkeypatch.delenv(variable, raising=False)


@pytest.mark.usefixtures("_no_langsmith")
def test_langchain_rag_chain_records_are_the_pinned_ones() -> None:
    """The RAG chain's invoke gives the pinned record."""
    pytest.importorskip("langchain_core")
    from _lc_apps import QUESTION, rag_chain

    from spyglass.adapters.langchain import TruChain

    chain = rag_chain()
    recorder = TruChain(chain)
    with recorder as recording:
        chain.invoke(QUESTION)
    check("langchain_invoke", recording.get())
    # (Not streamed: its RunnableParallel yields its branches' chunks in the order its
    # threads finish, so the app's own stream differs from run to run.)


# ----------------------------------------------------------------- LlamaIndex


def test_llamaindex_query_engine_records_are_the_pinned_ones() -> None:
    """The query engine's query and streamed query give the pinned records."""
    pytest.importorskip("llama_index.core")
    from _li_apps import QUESTION, build_index
    from llama_index.core.llms import MockLLM

    from spyglass.adapters.llamaindex import TruLlama

    index = build_index()
    engine = index.as_query_engine(llm=MockLLM(max_tokens=4), similarity_top_k=2)
    recorder = TruLlama(engine)
    with recorder as recording:
        engine.query(QUESTION)
    check("llamaindex_query", recording.get())

    streaming = index.as_query_engine(llm=MockLLM(max_tokens=4), similarity_top_k=2, streaming=True)
    recorder = TruLlama(streaming)
    with recorder as recording:
        "".join(streaming.query(QUESTION).response_gen)
    check("llamaindex_stream", recording.get())


# ----------------------------------------------------------------- a custom app


class Color(enum.Enum):
    RED = "red"
    BLUE = 2


@dataclasses.dataclass
class Hit:
    text: str
    score: float
    tags: frozenset[str]


class Settings(BaseModel):
    model: str
    temperature: float
    api_key: SecretStr
    extra: dict[str, Any] = {}


class Memo:
    """A plain object that is not a component: written as non-serialised."""


class Tool:
    """A component with a property, a raising property and a secret attribute."""

    def __init__(self) -> None:
        self.name = "search"
        self.auth_token = "tok-123"
        self._private = 3

    @property
    def label(self) -> str:
        return self.name.upper()

    @property
    def broken(self) -> str:
        raise RuntimeError("no label here")

    @instrument
    def run(self, query: str, *, limit: int = 2, **options: Any) -> list[Hit]:
        shared = frozenset({"b", "a"})
        return [Hit(f"{query} {i}", i / 3, shared) for i in range(limit)]

    @instrument
    def fail(self, reason: str) -> None:
        raise ValueError(f"failed because {reason}; password=hunter2")


class Agent:
    def __init__(self) -> None:
        self.tool = Tool()
        self.settings = Settings(model="m", temperature=0.5, api_key=SecretStr("sk-abc"))
        self.history: list[dict[str, Any]] = []

    @instrument
    def plan(self, question: str, context: dict[Any, Any], *steps: str) -> dict[str, Any]:
        return {"question": question, "steps": list(steps), "context": context}

    @instrument
    def words(self, text: str) -> Iterator[str]:
        yield from text.split()

    @instrument
    def respond(
        self, question: str, api_key: str = "k-1", callback: Callable[..., Any] = len
    ) -> Any:
        shared = {"k": [1, 2.5, float("nan"), float("inf")], "when": dt.date(2024, 5, 6)}
        nested: list[Any] = [1, 2]
        nested.append(nested)  # a cycle
        context = {
            1: "one",
            Color.RED: shared,
            ("t", 1): b"\xff\x00",
            "bytes": b"plain",
            "set": {"z", "y"},
            "amount": Decimal("1.25"),
            "delta": dt.timedelta(seconds=90),
            "uuid": uuid.UUID(int=7),
            "path": Path("/tmp/x"),
            "memo": Memo(),
            "cycle": nested,
            "email": "someone@example.com",
            "url": "postgresql://user:pw@host/db",
            "complex": 1 + 2j,
            "color": Color.BLUE,
            "huge": 10**5000,
            "again": shared,
        }
        plan = self.plan(question, context, "look", "answer")
        hits = self.tool.run(question, limit=3, mode="fast", password="p")
        try:
            self.tool.fail("testing")
        except ValueError:
            pass
        streamed = list(self.words("one two three"))
        self.history.append({"q": question})
        return {
            "plan": plan,
            "hits": hits,
            "words": streamed,
            "settings": self.settings,
            "tool": self.tool,
            "callback": callback,
            "history": self.history,
        }


def test_custom_app_record_is_the_pinned_one() -> None:
    """A custom app meeting most JSON forms, errors and secrets gives the pinned record."""
    agent = Agent()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        recorder = TruApp(agent, app_name="golden")
    with recorder as recording:
        agent.respond("what now?", api_key="k-2")
    check("custom", recording.get())
