"""Spans travel over OTLP/HTTP protobuf to a real receiver; a bad back-end never hurts the app."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
from _rag import RAG
from _receiver import Receiver

from spyglass.adapters.custom import TruApp
from spyglass.core import Feedback, sinks
from spyglass.otel import OTLPSink


def _short(text: str) -> float:
    return float(len(text) < 10)


def test_spans_arrive_complete_over_http_protobuf() -> None:
    """Every span of a record, with attributes, events, resource and times, reaches the receiver."""
    with Receiver() as receiver:
        sink = OTLPSink(receiver.endpoint, headers={"x-team": "search"}, schedule_delay=0.05)
        rag = RAG()
        recorder = TruApp(
            rag,
            app_name="rag",
            app_version="v3",
            sinks=[sink],
            feedbacks=[Feedback(_short).on_output()],
        )
        with recorder as recording:
            rag.query("capital of France?")
        record = recording.get()
        record.wait_for_feedback_results()
        assert sinks.flush(timeout=30) and sink.flush(timeout=30)
        assert receiver.wait_for(5)
        sink.shutdown()

    spans = receiver.spans
    assert ["RAG.query", "evaluation _short", "rag", "retrieval Retriever",
            "text_completion Generator"] == sorted(s["name"] for s in spans)  # fmt: skip
    assert {f"{int(record.record_id[-32:], 16):032x}"} == {s["trace_id"] for s in spans}
    root = next(s for s in spans if s["name"] == "rag")
    assert "" == root["parent_span_id"]
    by_id = {s["span_id"]: s for s in spans}
    assert all(by_id[s["parent_span_id"]] for s in spans if s is not root)
    assert "capital of France?" == root["attributes"]["input.value"]
    assert "Paris." == root["attributes"]["output.value"]
    retrieve = next(s for s in spans if s["name"] == "retrieval Retriever")
    assert "RETRIEVER" == retrieve["attributes"]["openinference.span.kind"]
    assert ("Paris is the capital of France.", "Berlin is the capital of Germany.") == retrieve[
        "attributes"
    ]["ai.observability.retrieval.retrieved_contexts"]
    assert {"rag"} == {s["resource"]["service.name"] for s in spans}
    assert {"v3"} == {s["resource"]["service.version"] for s in spans}
    evaluation = next(s for s in spans if s["name"] == "evaluation _short")
    assert root["span_id"] == evaluation["parent_span_id"]
    assert [("gen_ai.evaluation.result", {"gen_ai.evaluation.name": "_short",
             "gen_ai.evaluation.score.value": 1.0, "spyglass.feedback.status": "done"})] == evaluation[
        "events"
    ]  # fmt: skip
    for s in spans:
        assert 0 < s["start"] <= s["end"]
    assert "search" == receiver.headers[0].get("x-team")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_app(sink: OTLPSink, n: int = 5) -> list[str]:
    rag = RAG()
    with TruApp(rag, sinks=[sink]) as recording:
        answers = [rag.query("capital of France?") for _ in range(n)]
    assert n == len(recording.records)
    return answers


def test_a_slow_back_end_does_not_hold_the_app() -> None:
    """While the receiver holds an export unanswered, the app's calls all return at once."""
    with Receiver(hold=True) as receiver:
        sink = OTLPSink(receiver.endpoint, schedule_delay=0.01, timeout=20)
        assert ["Paris."] == _run_app(sink, 1)
        assert receiver.entered.wait(30)  # the exporter is now blocked in the held request
        assert ["Paris."] * 5 == _run_app(sink, 5)  # returned while the export is held
        assert not sink.flush(timeout=0.1)
        assert [] == receiver.spans
        receiver.release.set()
        assert sinks.flush(timeout=30) and sink.flush(timeout=30)
        assert receiver.wait_for(6 * 4)
        sink.shutdown()
    assert 6 * 4 == len(receiver.spans)


@pytest.mark.parametrize("down", [True, False], ids=["down", "answering-500"])
def test_a_failing_back_end_is_logged_once_and_never_raises(
    down: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """No receiver, or one answering 500: nothing raises, one warning names the endpoint."""
    caplog.set_level(logging.DEBUG)
    receiver = Receiver(status=500)
    with receiver:
        endpoint = f"http://127.0.0.1:{_free_port()}/v1/traces" if down else receiver.endpoint
        sink = OTLPSink(endpoint, schedule_delay=0.01, timeout=0.5)
        for _ in range(3):
            assert ["Paris."] * 2 == _run_app(sink, 2)
            sinks.flush(timeout=30)
            sink.flush(timeout=10)
        sink.shutdown()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert 1 == len(warnings), [r.getMessage() for r in warnings]
    assert endpoint in warnings[0].getMessage()
    assert 0 == sink.exported
    if not down:
        assert receiver.requests >= 3


def test_records_flow_to_every_recorder_with_export(monkeypatch: Any) -> None:
    """export() with OTEL_EXPORTER_OTLP_ENDPOINT sends every recorder's records; once added."""
    from spyglass.core import remove_sink
    from spyglass.otel import export

    with Receiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint.rsplit("/v1", 1)[0])
        sink = export(schedule_delay=0.01)
        try:
            assert sink is export(schedule_delay=0.01)
            a, b = RAG(), RAG()
            with TruApp(a, app_name="a"), TruApp(b, app_name="b"):
                a.query("capital of France?")
                b.retriever.retrieve("Germany")
            assert sinks.flush(timeout=30) and sink.flush(timeout=30)
            assert receiver.wait_for(4 + 2)
        finally:
            remove_sink(sink)
            sink.shutdown()
    assert {"a", "b"} == {s["resource"]["service.name"] for s in receiver.spans}
