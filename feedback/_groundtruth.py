"""`GroundTruthAgreement`: compare an app's answers with a golden set."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import PrivateAttr

from spyglass.core import SkipEval
from spyglass.providers import LLMProvider, Provider, not_built

__all__ = ["GroundTruthAgreement"]

_AGREEMENT = (
    "You are a careful evaluator. Judge how well a RESPONSE agrees in meaning with the "
    "EXPECTED RESPONSE to the same PROMPT, ignoring wording: 0 means they disagree or "
    "share nothing, 10 means they say the same thing."
)


def _rows(golden_set: Any) -> list[dict[str, Any]]:
    """The golden set as a list of dicts, from a list of mappings or a DataFrame."""
    to_dict = getattr(golden_set, "to_dict", None)
    if callable(to_dict) and hasattr(golden_set, "columns"):  # a pandas DataFrame
        golden_set = to_dict(orient="records")
    if isinstance(golden_set, Mapping) or not isinstance(golden_set, Iterable):
        raise TypeError(
            "GroundTruthAgreement needs the golden set as a list of dicts or a pandas "
            "DataFrame, each row with `query` and `expected_response` (optional "
            f"`expected_score`); got {type(golden_set).__name__}."
        )
    rows = [dict(row) for row in golden_set]
    for i, row in enumerate(rows):
        if "query" not in row:
            raise ValueError(f"Golden set row {i} has no `query`: {row!r}.")
    return rows


class GroundTruthAgreement(Provider):
    """Feedback against a golden set of expected answers (TruLens's names).

    Args:
        ground_truth: the golden set: a list of dicts or a DataFrame with ``query``,
            ``expected_response`` and optionally ``expected_score``.
        provider: the LLM judge used by :meth:`agreement_measure`.

    A prompt with no golden row is skipped (:class:`~spyglass.core.SkipEval`), not
    scored ``NaN`` as in TruLens. The golden set is stored with a feedback definition;
    the provider is not (rebuild it in the evaluating process).
    """

    ground_truth: list[dict[str, Any]]

    _provider: LLMProvider | None = PrivateAttr(default=None)

    def __init__(
        self, ground_truth: Any = None, provider: LLMProvider | None = None, **kwargs: Any
    ) -> None:
        if "bert_scorer" in kwargs and kwargs.pop("bert_scorer") is not None:
            raise not_built("GroundTruthAgreement(bert_scorer=...)", "agreement_measure")
        rows = _rows(ground_truth if ground_truth is not None else [])
        super().__init__(ground_truth=rows, **kwargs)  # type: ignore[call-arg]
        if provider is not None and not isinstance(provider, LLMProvider):
            raise TypeError(
                f"provider= must be an LLMProvider (e.g. spyglass.providers.openai.OpenAI()), "
                f"got {type(provider).__name__}."
            )
        self._provider = provider

    def _row(self, prompt: str, response: str | None = None) -> dict[str, Any] | None:
        for row in self.ground_truth:
            if row.get("query") != prompt:
                continue
            if (
                response is not None
                and "expected_response" in row
                and row["expected_response"] != response
            ):
                continue
            return row
        return None

    def agreement_measure(self, prompt: str, response: str) -> tuple[float, dict[str, Any]]:
        """How well `response` agrees with the golden answer to `prompt`:
        ``(float in [0, 1], {"ground_truth_response": str, "reason": str})``."""
        row = self._row(prompt)
        if row is None or row.get("expected_response") is None:
            raise SkipEval(f"No golden answer for the prompt {prompt!r}.")
        if self._provider is None:
            raise RuntimeError(
                "GroundTruthAgreement.agreement_measure needs an LLM judge: build it with "
                "GroundTruthAgreement(golden_set, provider=OpenAI()) (or any LLMProvider)."
            )
        expected = str(row["expected_response"])
        score, meta = self._provider.generate_score_and_reasons(
            system_prompt=_AGREEMENT,
            user_prompt=f"PROMPT:\n{prompt}\n\nEXPECTED RESPONSE:\n{expected}\n\n"
            f"RESPONSE:\n{response}",
        )
        return score, {"ground_truth_response": expected, "reason": meta.get("reason", "")}

    async def aagreement_measure(self, prompt: str, response: str) -> tuple[float, dict[str, Any]]:
        """The ``async`` form of :meth:`agreement_measure`."""
        row = self._row(prompt)
        if row is None or row.get("expected_response") is None:
            raise SkipEval(f"No golden answer for the prompt {prompt!r}.")
        if self._provider is None:
            raise RuntimeError("GroundTruthAgreement.aagreement_measure needs provider=.")
        expected = str(row["expected_response"])
        score, meta = await self._provider.agenerate_score_and_reasons(  # type: ignore[attr-defined]
            system_prompt=_AGREEMENT,
            user_prompt=f"PROMPT:\n{prompt}\n\nEXPECTED RESPONSE:\n{expected}\n\n"
            f"RESPONSE:\n{response}",
        )
        return score, {"ground_truth_response": expected, "reason": meta.get("reason", "")}

    def absolute_error(
        self, prompt: str, response: str, score: float
    ) -> tuple[float, dict[str, Any]]:
        """``|score - expected_score|`` for the golden row of `prompt` (and `response`),
        with ``{"expected score": "0.8"}``."""
        row = self._row(prompt, response)
        if row is None or row.get("expected_score") is None:
            raise SkipEval(f"No golden expected_score for the prompt {prompt!r}.")
        expected = float(row["expected_score"])
        shown = f"{expected:.6f}".rstrip("0").rstrip(".")
        return abs(float(score) - expected), {"expected score": shown}

    # ---------------------------------------------------- TruLens's not-built

    def _not_built(self, name: str) -> Any:
        raise not_built(
            f"GroundTruthAgreement.{name}", "agreement_measure, or a feedback function of your own"
        )

    def bert_score(self, prompt: str, response: str) -> Any:
        """Not built."""
        return self._not_built("bert_score")

    def bleu(self, prompt: str, response: str) -> Any:
        """Not built."""
        return self._not_built("bleu")

    def rouge(self, prompt: str, response: str) -> Any:
        """Not built."""
        return self._not_built("rouge")

    def precision_at_k(self, *args: Any, **kwargs: Any) -> Any:
        """Not built."""
        return self._not_built("precision_at_k")

    def recall_at_k(self, *args: Any, **kwargs: Any) -> Any:
        """Not built."""
        return self._not_built("recall_at_k")

    def mrr(self, *args: Any, **kwargs: Any) -> Any:
        """Not built."""
        return self._not_built("mrr")

    def ir_hit_rate(self, *args: Any, **kwargs: Any) -> Any:
        """Not built."""
        return self._not_built("ir_hit_rate")

    def ndcg_at_k(self, *args: Any, **kwargs: Any) -> Any:
        """Not built."""
        return self._not_built("ndcg_at_k")
