"""A real back-end: Arize Phoenix, started on loopback, receives the LangChain example's records.

Phoenix runs from its own virtual environment (``make test`` installs it in build/phoenix
and sets ``SPYGLASS_PHOENIX`` to its ``phoenix`` command): it needs SQLAlchemy 2.1, which
spyglass's store does not allow. The test skips only when ``SPYGLASS_REQUIRE_PHOENIX`` is
unset and no Phoenix is found.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

STARTUP_TIMEOUT = 300  # seconds; Phoenix migrates its SQLite database on first start


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _phoenix_command() -> str | None:
    given = os.environ.get("SPYGLASS_PHOENIX")
    if given:  # absolute: the server runs in its own working directory
        return str(Path(given).resolve()) if Path(given).exists() else None
    return shutil.which("phoenix")


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a Phoenix server started for these tests (stopped after them)."""
    command = _phoenix_command()
    if command is None:
        if os.environ.get("SPYGLASS_REQUIRE_PHOENIX"):
            pytest.fail(
                "SPYGLASS_REQUIRE_PHOENIX is set but no Phoenix was found: run `make test` "
                "(it installs Phoenix in build/phoenix) or set SPYGLASS_PHOENIX to its `phoenix`"
            )
        pytest.skip("Arize Phoenix is not installed (make test installs it)")
    port, grpc_port = _free_port(), _free_port()
    workdir = tmp_path_factory.mktemp("phoenix")
    env = dict(
        os.environ,
        PHOENIX_HOST="127.0.0.1",
        PHOENIX_PORT=str(port),
        PHOENIX_GRPC_PORT=str(grpc_port),
        PHOENIX_WORKING_DIR=str(workdir),
        PHOENIX_TELEMETRY_ENABLED="false",
    )
    log = (workdir / "phoenix.log").open("wb")
    process = subprocess.Popen(
        [command, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"Phoenix exited ({process.returncode}); see {workdir}/phoenix.log")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Phoenix did not start in {STARTUP_TIMEOUT} s; see {workdir}")
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(15)
        log.close()


def _flat(attributes: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Phoenix returns attributes nested by dots; flatten them back."""
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, name + "."))
        else:
            out[name] = value
    return out


def test_phoenix_receives_the_langchain_records(phoenix: str) -> None:
    """Phoenix's own API returns the spans: kinds, inputs, outputs and the feedback scores."""
    pytest.importorskip("langchain_core")
    from _lc_apps import QUESTION, UsageFakeChatModel, rag_chain

    from spyglass.adapters.langchain import TruChain
    from spyglass.core import Feedback, sinks
    from spyglass.otel import OTLPSink

    def brevity(answer: str) -> float:
        return 0.5

    sink = OTLPSink(f"{phoenix}/v1/traces", schedule_delay=0.05)
    chain = rag_chain(llm=UsageFakeChatModel())
    recorder = TruChain(
        chain, app_name="spyglass-lc", sinks=[sink], feedbacks=[Feedback(brevity).on_output()]
    )
    with recorder as recording:
        chain.invoke(QUESTION)
        chain.invoke("Where does the Seine flow?")
    for record in recording.records:
        record.wait_for_feedback_results()
    assert sinks.flush(timeout=60) and sink.flush(timeout=60)
    expected = sum(len(r.calls) + 2 for r in recording.records)  # + root + evaluation
    assert expected == sink.exported
    sink.shutdown()

    deadline = time.monotonic() + 60
    while True:  # Phoenix inserts what it receives in the background
        try:
            spans = _get(f"{phoenix}/v1/projects/spyglass-lc/spans?limit=1000")["data"]
        except OSError:
            spans = []
        if len(spans) >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert expected == len(spans)

    by_trace: dict[str, list[dict[str, Any]]] = {}
    for span in spans:
        span["attributes"] = _flat(span["attributes"])
        by_trace.setdefault(span["context"]["trace_id"], []).append(span)
    assert {r.record_id[-32:] for r in recording.records} == set(by_trace)
    for record in recording.records:
        trace = by_trace[record.record_id[-32:]]
        (root,) = [s for s in trace if s["parent_id"] is None]
        assert "spyglass-lc" == root["name"]
        assert record.main_input == root["attributes"]["input.value"]
        assert record.main_output == root["attributes"]["output.value"]
        assert {"CHAIN", "RETRIEVER", "EMBEDDING", "LLM", "EVALUATOR"} <= {
            s["span_kind"] for s in trace
        }
        chats = [s for s in trace if s["name"] == "chat UsageFakeChatModel"]
        assert ["LLM", "LLM"] == [chat["span_kind"] for chat in chats]  # invoke, _generate
        assert 0 < max(chat["attributes"].get("llm.token_count.prompt", 0) for chat in chats)
        retriever = next(s for s in trace if s["name"] == "retrieval VectorStoreRetriever")
        assert record.main_input == retriever["attributes"]["input.value"]
        (evaluation,) = [s for s in trace if s["name"] == "evaluation brevity"]
        assert root["context"]["span_id"] == evaluation["parent_id"]
        (event,) = evaluation["events"]
        assert "gen_ai.evaluation.result" == event["name"]
        assert 0.5 == event["attributes"]["gen_ai.evaluation.score.value"]
