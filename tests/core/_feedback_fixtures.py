"""Hand-built records for the feedback tests (no recorder needed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from spyglass.core.lens._lens import Lens
from spyglass.core.schema._measures import Perf
from spyglass.core.schema._record import Record, RecordAppCall, RecordAppCallMethod
from spyglass.core.serial._pyschema import Class, Method, Module, Obj

T0 = datetime(2024, 1, 1, 12, 0, 0)


def frame(path: str, method: str) -> RecordAppCallMethod:
    """A stack frame for `method` on the component at `path`."""
    cls = Class(name="App", module=Module(package_name=None, module_name="tests"), bases=None)
    return RecordAppCallMethod(
        path=Lens.of_string(path), method=Method(obj=Obj(cls=cls, id=1), name=method)
    )


def call(stack: list[tuple[str, str]], args: dict[str, Any], rets: Any, end: int) -> RecordAppCall:
    """A call whose stack is `[(path, method), ...]`, ending `end` ms after T0."""
    return RecordAppCall(
        stack=[frame(p, m) for p, m in stack],
        args=args,
        rets=rets,
        perf=Perf(start_time=T0, end_time=T0 + timedelta(milliseconds=end)),
    )


ROOT = ("app", "respond")


def rag_record(
    retrievals: list[tuple[str, list[str]]], answer: str = "Paris is in France."
) -> Record:
    """A record of `app.respond(question)` that called `app.retrieve(query)` once per
    entry of `retrievals` (query, documents returned)."""
    calls = [
        call([ROOT, ("app", "retrieve")], {"query": q, "k": len(docs)}, docs, end=i + 1)
        for i, (q, docs) in enumerate(retrievals)
    ]
    question = retrievals[0][0] if retrievals else "?"
    calls.append(call([ROOT], {"question": question}, answer, end=100))
    return Record(app_id="app_test", main_input=question, main_output=answer, calls=calls)


DOCS = ["Paris is the capital of France.", "Berlin is in Germany.", "France borders Spain."]


def one_retrieval() -> Record:
    return rag_record([("Where is Paris?", DOCS)])


def three_retrievals() -> Record:
    return rag_record(
        [
            ("Where is Paris?", ["d0", "d1"]),
            ("What is X?", ["d2"]),
            ("And Y?", ["d3", "d4", "d5"]),
        ]
    )


def overlap(question: str, context: str) -> float:
    """Word-overlap relevance: share of the question's words found in the context."""
    q = {w.strip("?.,").lower() for w in question.split()}
    c = {w.strip("?.,").lower() for w in context.split()}
    return len(q & c) / len(q) if q else 0.0
