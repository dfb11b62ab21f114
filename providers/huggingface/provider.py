"""``Dummy``: TruLens's offline provider, for trying feedback without keys or network.

Usage::

    from spyglass.providers.huggingface.provider import Dummy

    provider = Dummy()
    provider.relevance_with_cot_reasons("What is 2+2?", "4")   # same inputs, same answer

Every judge method of :class:`~spyglass.providers.LLMProvider` works: the "model"
answers each request in the requested schema with scores derived from a hash of the
prompt, so results are deterministic and vary with the inputs, and go through the
same reading, normalising and cost code as a real judge. Token counts are word
counts. The Hugging Face-style methods (``positive_sentiment``, ``toxic``,
``language_match``, ``pii_detection``, ``groundedness_measure_with_nli``,
``hallucination_evaluator``) return hash-derived floats in [0, 1] the same way.
**None of these numbers judge anything**: use them to try pipelines, not to measure.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from spyglass.core import Cost

from .._answers import Ask, Completion, Shape
from .._llm import LLMProvider
from .._sentences import split_sentences

__all__ = ["Dummy"]


def _unit(*parts: Any) -> float:
    """A deterministic float in [0, 1) from `parts`."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class Dummy(LLMProvider):
    """A deterministic offline judge (see the module docs).

    Args:
        name: TruLens's endpoint name (kept for its signature).
        delay: seconds each request takes (default 0).
        **kwargs: :class:`~spyglass.providers.LLMProvider` settings.
    """

    model_engine: str = "dummymodel"
    name: str = "dummyhugs"
    delay: float = 0.0

    def _complete(self, ask: Ask) -> Completion:
        if self.delay:
            time.sleep(self.delay)
        prompt = ask.system + "\n" + (ask.user or "")
        span = ask.max_score - ask.min_score + 1

        def score(*salt: Any) -> int:
            return ask.min_score + int(_unit(prompt, *salt) * span)

        data: dict[str, Any]
        if ask.shape in (Shape.SCORE, Shape.SCORE_REASON):
            data = {"score": score()}
            if ask.shape == Shape.SCORE_REASON:
                data["reason"] = f"Dummy judgement {int(_unit(prompt) * 1000)}."
        elif ask.shape == Shape.STATEMENTS:
            data = {
                "statements": [
                    {
                        "index": i,
                        "evidence": "Dummy evidence.",
                        "score": score(i),
                        **{name: False for name, _ in ask.extra},
                    }
                    for i in range(1, ask.items + 1)
                ]
            }
        else:  # key points: the first sentences of the source
            source = (ask.user or "").split("\n", 1)[-1]
            data = {"key_points": split_sentences(source)[:3] or ["(empty source)"]}
        prompt_words = len(prompt.split())
        answer_words = sum(len(str(v).split()) for v in data.values())
        cost = Cost.one_completion(prompt_words, answer_words, prompt_words + answer_words)
        return Completion("", data, cost)

    # ------------------------------------------ TruLens's Hugging Face methods

    def positive_sentiment(self, text: str) -> float:
        """A placeholder sentiment in [0, 1] (hash of `text`)."""
        return _unit("positive_sentiment", text)

    def toxic(self, text: str) -> float:
        """A placeholder toxicity in [0, 1] (hash of `text`)."""
        return _unit("toxic", text)

    def language_match(self, text1: str, text2: str) -> tuple[float, dict[str, float]]:
        """A placeholder language match: ``(float, {"text1_score", "text2_score"})``."""
        a, b = _unit("language", text1), _unit("language", text2)
        return 1.0 - abs(a - b), {"text1_score": a, "text2_score": b}

    def pii_detection(self, text: str) -> float:
        """A placeholder PII likelihood in [0, 1] (hash of `text`)."""
        return _unit("pii", text)

    def pii_detection_with_cot_reasons(self, text: str) -> tuple[float, dict[str, str]]:
        """`pii_detection` with a placeholder reason."""
        return self.pii_detection(text), {"reason": "Dummy PII detection."}

    def groundedness_measure_with_nli(
        self, source: str, statement: str
    ) -> tuple[float, dict[str, str]]:
        """A placeholder NLI groundedness: the mean of per-sentence hash scores."""
        sentences = split_sentences(statement) or [statement]
        scores = [_unit("nli", source, s) for s in sentences]
        reason = "\n".join(
            f"STATEMENT {i}: {s}\nScore: {v:.2f}"
            for i, (s, v) in enumerate(zip(sentences, scores), 1)
        )
        return sum(scores) / len(scores), {"reason": reason}

    def hallucination_evaluator(self, model_output: str, retrieved_text_chunks: str) -> float:
        """A placeholder hallucination score in [0, 1]."""
        return _unit("hallucination", model_output, retrieved_text_chunks)
