"""A database of many records, filled fast through the store's public API.

A custom RAG app is recorded for real, once per version, with two feedbacks run on the
record; then each recorded record is copied (new id, input, output, time and latency)
and the copies go in with ``session.add_records`` and their results with
``session.add_feedbacks``, a few thousand per transaction: each record has a ``length``
result, one in four a ``grounded`` result too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from spyglass.adapters.custom import TruApp, instrument
from spyglass.core import Feedback, FeedbackResult, FeedbackResultStatus, Record
from spyglass.store import TruSession

VERSIONS = ("v1", "v2", "v3", "v4")
FEEDBACKS = ("grounded", "length")  # the second on every record, the first on 1 in 4
CHUNK = 5_000


class RAG:
    """Retrieve, then generate: three recorded calls per question."""

    @instrument
    def retrieve(self, query: str) -> list[str]:
        return [f"context for {query}", "Paris is the capital of France."]

    @instrument
    def generate(self, query: str, context: list[str]) -> str:
        return f"{query} -> {context[-1]}"

    @instrument
    def respond(self, query: str) -> str:
        return self.generate(query, self.retrieve(query))


def length(response: str) -> float:
    """A real feedback function: the answer's length, scaled into [0, 1]."""
    return min(1.0, len(response) / 100)


def grounded(response: str) -> float:
    """Another: 1 when the answer quotes the context."""
    return 1.0 if "Paris" in response else 0.0


@dataclass
class Filled:
    """What :func:`fill` stored: app ids by version, the record count (templates
    included) and the expected mean scores."""

    app_ids: dict[str, str]
    records: int
    scores: dict[tuple[str, str], float]  # (app_id, feedback) -> mean score
    results: int  # feedback results stored, all done


def _template(version: str) -> tuple[Record, Any]:
    rag = RAG()
    recorder = TruApp(
        rag,
        app_name="bulk rag",
        app_version=version,
        feedbacks=[Feedback(length).on_output(), Feedback(grounded).on_output()],
    )
    with recorder as recording:
        rag.respond("template question")
    record = recording.get()
    record.wait_for_feedback_results(feedback_timeout=30)
    return record, recorder


def fill(session: TruSession, n: int, seed: int = 7) -> Filled:
    """Store ``n`` records (spread over :data:`VERSIONS`) with two results each."""
    rng = random.Random(seed)
    results_stored = 0
    app_ids: dict[str, str] = {}
    sums: dict[tuple[str, str], float] = {}
    templates = {}
    for version in VERSIONS:
        record, recorder = _template(version)  # stored too, by the session's sink
        templates[version] = record
        app_ids[version] = recorder.app_id
        for definition, future in record.feedback_and_future_results or []:
            key = (recorder.app_id, definition.name)
            sums[key] = sums.get(key, 0.0) + future.result().result
            results_stored += 1
    assert session.flush(60)
    # The copies are newer than the templates, the newest being v4's last.
    t0 = max(t.ts for t in templates.values()) + timedelta(seconds=1)
    per = n // len(VERSIONS)
    for version, template in templates.items():
        perf = template.perf
        assert perf is not None
        for start in range(0, per, CHUNK):
            records: list[Record] = []
            results: list[FeedbackResult] = []
            for i in range(start, min(per, start + CHUNK)):
                ts = t0 + timedelta(seconds=i * 4 + VERSIONS.index(version), microseconds=i)
                latency = rng.lognormvariate(-2.0, 0.6)
                record = template.model_copy(
                    update={
                        "record_id": f"record_{version}_{i:07d}",
                        "main_input": f"question {i} of {version}",
                        "main_output": f"answer {i} of {version}",
                        "ts": ts,
                        "perf": perf.model_copy(
                            update={"start_time": ts, "end_time": ts + timedelta(seconds=latency)}
                        ),
                    }
                )
                records.append(record)
                # Every record has a "length" result; one in four a "grounded" one too.
                for name in FEEDBACKS if i % 4 == 0 else FEEDBACKS[1:]:
                    score = rng.random()
                    key = (app_ids[version], name)
                    sums[key] = sums.get(key, 0.0) + score
                    results.append(
                        FeedbackResult(
                            feedback_result_id=f"result_{name}_{version}_{i:07d}",
                            feedback_definition_id=name,
                            record_id=record.record_id,
                            name=name,
                            status=FeedbackResultStatus.DONE,
                            result=score,
                        )
                    )
            session.add_records(records)
            session.add_feedbacks(results)
            results_stored += len(results)
    # Each version: ``per`` copies and the recorded template, scored on both.
    scored = {"length": per + 1, "grounded": len(range(0, per, 4)) + 1}
    scores = {k: v / scored[k[1]] for k, v in sums.items()}
    return Filled(app_ids, (per + 1) * len(VERSIONS), scores, results_stored)
