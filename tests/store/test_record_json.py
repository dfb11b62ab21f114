"""The stored form of a record: its JSON with the stack frames written once.

What :func:`encode_record` writes must decode (:func:`decode_record`) to exactly the JSON
pydantic makes of the record, for recorded records (custom and LangChain, with deep
stacks and failing calls) and for the records orjson cannot take as they are (encoded
by pydantic instead).
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from spyglass.adapters.custom import TruApp, VirtualRecord, instrument
from spyglass.core import Perf, Record, RecordAppCall
from spyglass.store._rows import decode_record, encode_record


class _Leaf:
    @instrument
    def run(self, n: int) -> dict[str, Any]:
        if n == 3:
            raise ValueError("three")
        return {"n": n, "half": n / 2, "text": f"é{n}\n"}


class _Middle:
    def __init__(self) -> None:
        self.leaf = _Leaf()

    @instrument
    def step(self, n: int) -> list[Any]:
        out = []
        for i in range(n):
            try:
                out.append(self.leaf.run(i))
            except ValueError as exc:
                out.append(str(exc))
        return out


class _Top:
    def __init__(self) -> None:
        self.middle = _Middle()
        self.other = _Middle()

    @instrument
    def respond(self, question: str) -> str:
        return f"{question}: {len(self.middle.step(5)) + len(self.other.step(2))}"


def _recorded() -> Record:
    app = _Top()
    with TruApp(app, app_name="json") as recording:
        app.respond("q")
    return recording.get()


def _pydantic(record: Record) -> Any:
    return json.loads(record.model_dump_json())


def _round_trip(record: Record) -> Any:
    return decode_record(str(encode_record(record)))


def test_a_recorded_record_decodes_to_its_json_and_is_stored_smaller() -> None:
    record = _recorded()
    assert 10 == len(record.calls)  # 1 + 2 steps + 7 leaf calls, one of which failed
    assert any(call.error for call in record.calls)
    assert _pydantic(record) == _round_trip(record)
    stored = json.loads(str(encode_record(record)))
    assert 5 == len(stored["frames"])  # respond; the two steps; the two leaves' run
    assert all(all(type(at) is int for at in call["stack"]) for call in stored["calls"])
    assert len(str(encode_record(record))) < 0.6 * len(record.model_dump_json())


def test_the_langchain_rag_record_decodes_to_its_json() -> None:
    pytest.importorskip("langchain_core")
    from _lc_apps import QUESTION, rag_chain

    from spyglass.adapters.langchain import TruChain

    chain = rag_chain()
    with TruChain(chain) as recording:
        chain.invoke(QUESTION)
    record = recording.get()
    assert max(len(call.stack) for call in record.calls) >= 3
    assert _pydantic(record) == _round_trip(record)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"args": {"big": 2**70}}, id="integer beyond 64 bits"),
        pytest.param({"rets": {"when": datetime(2026, 1, 2, tzinfo=timezone.utc)}}, id="aware"),
        pytest.param({"rets": [math.nan, math.inf, -0.0]}, id="nan and inf"),
        pytest.param({"args": ["listed", 1]}, id="list arguments"),
    ],
)
def test_values_orjson_does_not_take_as_pydantic_does_decode_to_its_json(
    change: dict[str, Any],
) -> None:
    record = _recorded()
    calls = list(record.calls)
    calls[0] = calls[0].model_copy(update=change)
    record = record.model_copy(update={"calls": calls})
    assert _pydantic(record) == _round_trip(record)


def test_aware_call_times_are_written_as_pydantic_writes_them() -> None:
    record = _recorded()
    start = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=5)))
    calls = list(record.calls)
    calls[1] = calls[1].model_copy(update={"perf": Perf(start_time=start, end_time=start)})
    record = record.model_copy(update={"calls": calls})
    assert _pydantic(record) == _round_trip(record)


def test_virtual_and_empty_records_decode_to_their_json() -> None:
    virtual = VirtualRecord(
        app_id="a",
        main_input="in",
        main_output="out",
        calls={"retriever.get_context": {"args": ["in"], "rets": ["ctx"]}},
    )
    empty = Record(app_id="a", main_input={"q": 1}, meta={"user": "u"})
    for record in (virtual, empty):
        assert _pydantic(record) == _round_trip(record)


def test_a_record_stored_in_full_decodes_as_it_is() -> None:
    """Records stored before the frames were written once, or by hand."""
    record = _recorded()
    assert _pydantic(record) == decode_record(record.model_dump_json())
    assert _pydantic(record) == decode_record(record.model_dump(mode="json"))  # PostgreSQL


def test_the_encoder_writes_every_field_of_a_call() -> None:
    """A field added to RecordAppCall must be added to the encoder too."""
    (call, *_) = json.loads(str(encode_record(_recorded())))["calls"]
    assert list(RecordAppCall.model_fields) == list(call)


def test_result_rows_have_a_value_for_every_column() -> None:
    """The writer hands result rows to the driver as they are, in column order."""
    from spyglass.core import FeedbackResult
    from spyglass.store._rows import RESULT_COLUMNS, result_row

    result = FeedbackResult(record_id="r", name="n", feedback_definition_id="d", result=0.5)
    row = dict(zip(RESULT_COLUMNS, result_row(result, "a", sqlite=False), strict=True))
    assert ("r", "n", "a", 0.5) == (row["record_id"], row["name"], row["app_id"], row["result"])
