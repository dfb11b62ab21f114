"""Perf and Cost: fields, arithmetic and JSON form (as TruLens 1.x)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pydantic
import pytest

from spyglass.core.schema._measures import Cost, Perf

T0 = datetime(2026, 11, 24, 2, 22, 36, 359786)


def test_perf_dump_is_iso_without_timezone() -> None:
    """model_dump() gives ISO strings without a timezone."""
    perf = Perf(start_time=T0, end_time=T0 + timedelta(seconds=1))
    expected = {
        "start_time": "2026-11-24T02:22:36.359786",
        "end_time": "2026-11-24T02:22:37.359786",
    }
    assert expected == perf.model_dump()


def test_perf_aware_times_are_stored_as_local_naive() -> None:
    """An aware datetime is written as the same instant in naive local time."""
    aware = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    perf = Perf(start_time=aware, end_time=aware)
    expected = aware.astimezone().replace(tzinfo=None).isoformat()
    assert expected == perf.model_dump()["start_time"]


def test_perf_json_round_trip() -> None:
    """A Perf survives model_dump_json / model_validate_json."""
    perf = Perf(start_time=T0, end_time=T0 + timedelta(milliseconds=5))
    assert perf == Perf.model_validate_json(perf.model_dump_json())


def test_perf_dict_round_trip() -> None:
    """A Perf survives json.dumps(model_dump()) / model_validate."""
    perf = Perf(start_time=T0, end_time=T0 + timedelta(milliseconds=5))
    assert perf == Perf.model_validate(json.loads(json.dumps(perf.model_dump())))


def test_latency() -> None:
    """latency is end_time - start_time."""
    assert timedelta(seconds=2) == Perf(start_time=T0, end_time=T0 + timedelta(seconds=2)).latency


def test_now_default_latency_is_one_microsecond() -> None:
    """Perf.now() lasts one microsecond."""
    assert timedelta(microseconds=1) == Perf.now().latency


@pytest.mark.parametrize("latency", [timedelta(seconds=3), 3, 3.0])
def test_now_with_latency(latency: timedelta | float) -> None:
    """Perf.now(latency) lasts `latency` (a timedelta or seconds)."""
    assert timedelta(seconds=3) == Perf.now(latency).latency


def test_min() -> None:
    """Perf.min() starts and ends at datetime.min."""
    assert (datetime.min, datetime.min) == (Perf.min().start_time, Perf.min().end_time)


def test_perf_rejects_unknown_fields() -> None:
    """A misspelt field is an error, not silently dropped."""
    with pytest.raises(pydantic.ValidationError):
        Perf(start_time=T0, end_time=T0, latency=1)  # type: ignore[call-arg]


COST_FIELDS = [
    "n_requests",
    "n_successful_requests",
    "n_completion_requests",
    "n_classification_requests",
    "n_classes",
    "n_embedding_requests",
    "n_embeddings",
    "n_tokens",
    "n_stream_chunks",
    "n_prompt_tokens",
    "n_completion_tokens",
    "n_cortex_guardrails_tokens",
]


def test_cost_defaults() -> None:
    """Every counter defaults to 0, cost to 0.0 and the currency to USD."""
    expected = {**dict.fromkeys(COST_FIELDS, 0), "cost": 0.0, "cost_currency": "USD"}
    assert expected == Cost().model_dump()


def test_cost_addition_adds_every_numeric_field() -> None:
    """a + b adds every counter and the cost, and keeps b's currency."""
    a = Cost(**{name: i + 1 for i, name in enumerate(COST_FIELDS)}, cost=0.25)
    b = Cost(**{name: 10 for name in COST_FIELDS}, cost=0.5, cost_currency="EUR")
    expected = {
        **{name: i + 11 for i, name in enumerate(COST_FIELDS)},
        "cost": 0.75,
        "cost_currency": "EUR",
    }
    assert expected == (a + b).model_dump()


def test_zero_plus_cost() -> None:
    """0 + cost and cost + 0 are the cost."""
    cost = Cost(n_tokens=3, cost=0.5)
    assert (cost, cost) == (0 + cost, cost + 0)


def test_sum_of_costs() -> None:
    """sum() of costs adds them."""
    costs = [Cost(n_tokens=1), Cost(n_tokens=2, n_requests=1), Cost(cost=1.5)]
    assert Cost(n_tokens=3, n_requests=1, cost=1.5) == sum(costs)


def test_cost_plus_other_type_is_a_type_error() -> None:
    """Adding something that is not a Cost (or 0) raises TypeError."""
    with pytest.raises(TypeError):
        Cost() + 1


def test_cost_json_round_trip() -> None:
    """A Cost survives model_dump_json / model_validate_json."""
    cost = Cost(n_tokens=7, n_prompt_tokens=4, cost=0.01, cost_currency="EUR")
    assert cost == Cost.model_validate_json(cost.model_dump_json())


def test_cost_rejects_unknown_fields() -> None:
    """A misspelt counter is an error, not silently dropped."""
    with pytest.raises(pydantic.ValidationError):
        Cost(n_token=3)  # type: ignore[call-arg]
