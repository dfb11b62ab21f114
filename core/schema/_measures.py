"""Timing (`Perf`) and cost (`Cost`) of a call or a record.

Both are plain pydantic models whose ``model_dump()`` is already JSON: datetimes are
ISO strings without a timezone (``"2026-11-24T02:22:36.359786"``), as TruLens stores
them. A timezone-aware datetime is converted to local time first, so every stored
time is on the same (local, naive) clock as ``datetime.now()``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, field_serializer

__all__ = ["Cost", "Perf"]

_MICROSECOND = timedelta(microseconds=1)


def _naive_iso(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone().replace(tzinfo=None)
    return value.isoformat()


class Perf(BaseModel):
    """When a call started and ended.

    Attributes:
        start_time: when the call started (local time, no timezone).
        end_time: when the call ended.
    """

    model_config = ConfigDict(extra="forbid")

    start_time: datetime
    end_time: datetime

    @field_serializer("start_time", "end_time")
    def _iso(self, value: datetime) -> str:
        return _naive_iso(value)

    @property
    def latency(self) -> timedelta:
        """``end_time - start_time``."""
        return self.end_time - self.start_time

    @classmethod
    def now(cls, latency: timedelta | float | None = None) -> Perf:
        """A `Perf` starting now and lasting `latency` (default: one microsecond).

        Args:
            latency: the duration, as a `timedelta` or in seconds.
        """
        start = datetime.now()
        if latency is None:
            duration = _MICROSECOND
        elif isinstance(latency, timedelta):
            duration = latency
        else:
            duration = timedelta(seconds=latency)
        return cls(start_time=start, end_time=start + duration)

    @classmethod
    def min(cls) -> Perf:
        """A `Perf` at the earliest representable time (a placeholder)."""
        return cls(start_time=datetime.min, end_time=datetime.min)


class Cost(BaseModel):
    """Requests, tokens and money spent by a call or a record.

    Costs add up: ``a + b`` adds every numeric field and keeps ``b.cost_currency``, and
    ``0 + cost`` is ``cost``, so ``sum(costs)`` works.

    Attributes:
        n_requests: requests made.
        n_successful_requests: requests that succeeded.
        n_completion_requests: completion requests.
        n_classification_requests: classification requests.
        n_classes: classes scored by classification requests.
        n_embedding_requests: embedding requests.
        n_embeddings: embeddings computed.
        n_tokens: tokens, prompt and completion.
        n_stream_chunks: chunks received from streamed responses.
        n_prompt_tokens: prompt tokens.
        n_completion_tokens: completion tokens.
        n_cortex_guardrails_tokens: Snowflake Cortex guardrail tokens (TruLens compatibility).
        cost: money spent, in `cost_currency`.
        cost_currency: currency of `cost`; default ``"USD"``.
    """

    model_config = ConfigDict(extra="forbid")

    n_requests: int = 0
    n_successful_requests: int = 0
    n_completion_requests: int = 0
    n_classification_requests: int = 0
    n_classes: int = 0
    n_embedding_requests: int = 0
    n_embeddings: int = 0
    n_tokens: int = 0
    n_stream_chunks: int = 0
    n_prompt_tokens: int = 0
    n_completion_tokens: int = 0
    n_cortex_guardrails_tokens: int = 0
    cost: float = 0.0
    cost_currency: str = "USD"

    @classmethod
    def one_completion(
        cls, prompt_tokens: int, completion_tokens: int, total_tokens: int, stream_chunks: int = 0
    ) -> Cost:
        """The cost of one successful completion request that reported its token usage.

        Args:
            prompt_tokens: prompt tokens the request used.
            completion_tokens: completion tokens it produced.
            total_tokens: all its tokens, as the provider reported them.
            stream_chunks: chunks received when the response was streamed (0 otherwise).
        """
        return cls(
            n_requests=1,
            n_successful_requests=1,
            n_completion_requests=1,
            n_prompt_tokens=prompt_tokens,
            n_completion_tokens=completion_tokens,
            n_tokens=total_tokens,
            n_stream_chunks=stream_chunks,
        )

    def __add__(self, other: Any) -> Cost:
        if isinstance(other, Cost):
            sums = {name: getattr(self, name) + getattr(other, name) for name in _NUMERIC_FIELDS}
            return Cost(**sums, cost_currency=other.cost_currency)
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self.model_copy()
        return NotImplemented

    def __radd__(self, other: Any) -> Cost:
        # `sum(costs)` starts from 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self.model_copy()
        return NotImplemented


# Every field but the currency adds up; read from the model so a new counter is summed too.
_NUMERIC_FIELDS = tuple(name for name in Cost.model_fields if name != "cost_currency")
