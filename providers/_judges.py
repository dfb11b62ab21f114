"""The judge methods of :class:`~spyglass.providers.LLMProvider`, with TruLens's names.

Each method returns a float in [0, 1], or, for ``*_with_cot_reasons``, a pair
``(float, {"reason": str})`` (always ``"reason"``; TruLens mixed in ``"reasons"``).
Every method takes ``criteria=`` (replaces the prompt's criteria), ``min_score_val`` /
``max_score_val`` (the scale the judge answers on, default 0 to 3; the result is
normalised to [0, 1]) and ``temperature``; most take ``examples=`` (a list of
``(inputs, score)`` pairs shown to the judge). An answer without a readable score
raises :class:`~spyglass.providers.JudgeAnswerError` naming the raw answer, so the
feedback is ``failed``.

Scores say *how much of the property* the text has: for ``harmfulness``,
``maliciousness``, ``controversiality``, ``misogyny``, ``criminality``,
``insensitivity`` and ``stereotypes`` higher is worse, so build their feedback with
``higher_is_better=False``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from . import _plans as plans, _prompts as prompts
from ._answers import Ask, Shape
from ._errors import not_built

__all__ = ["JudgeMethods", "judge", "judge_signature"]

Examples = Sequence[Any] | None


def judge(plan: Callable[..., plans.Plan]) -> Callable[..., Any]:
    """Turn a method that returns a plan into the judge method that runs it.

    The plan is kept (``_spyglass_plan``) so that the provider class can add the
    ``async`` twin (``a`` + name) that runs the same plan on an event loop.
    """

    @functools.wraps(plan)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self._run_plan(plan(self, *args, **kwargs))

    run._spyglass_plan = plan  # type: ignore[attr-defined]
    run.__signature__ = judge_signature(plan)  # type: ignore[attr-defined]
    return run


def judge_signature(plan: Callable[..., Any]) -> inspect.Signature:
    """The signature a judge method shows: the plan's arguments, and what the method
    returns (a score, or a score and its reason) instead of the plan."""
    name = plan.__name__
    with_reason = "_with_cot_reasons" in name or name == "generate_score_and_reasons"
    returns = "tuple[float, dict[str, Any]]" if with_reason else "float"
    return inspect.signature(plan).replace(return_annotation=returns)


class JudgeMethods:
    """Mixin holding the judge methods; ``LLMProvider`` drives their plans."""

    # ------------------------------------------------------------ plumbing

    def _named(
        self,
        name: str,
        values: tuple[Any, ...],
        criteria: str | None,
        examples: Examples,
        lo: int,
        hi: int,
        temperature: float,
        with_reason: bool,
    ) -> plans.Plan:
        plans.check_scale(lo, hi)
        ask = Ask(
            prompts.system_prompt(name, lo, hi, with_reason, criteria, examples),
            prompts.user_prompt(name, *values),
            Shape.SCORE_REASON if with_reason else Shape.SCORE,
            int(lo),
            int(hi),
            temperature,
        )
        return plans.single(ask, with_reason)

    # --------------------------------------------------------- custom prompts

    @judge
    def generate_score(
        self,
        system_prompt: str,
        user_prompt: str | None = None,
        min_score_val: int = 0,
        max_score_val: int = 10,
        temperature: float = 0.0,
    ) -> plans.Plan:
        """Score with your own prompt; a float in [0, 1] (scale 0 to 10 by default)."""
        return self._custom(
            system_prompt, user_prompt, min_score_val, max_score_val, temperature, False
        )

    @judge
    def generate_score_and_reasons(
        self,
        system_prompt: str,
        user_prompt: str | None = None,
        min_score_val: int = 0,
        max_score_val: int = 10,
        temperature: float = 0.0,
    ) -> plans.Plan:
        """Score with your own prompt; ``(float in [0, 1], {"reason": str})``."""
        return self._custom(
            system_prompt, user_prompt, min_score_val, max_score_val, temperature, True
        )

    def _custom(
        self, system: str, user: str | None, lo: int, hi: int, temperature: float, reason: bool
    ) -> plans.Plan:
        plans.check_scale(lo, hi)
        system += f"\nScore on an integer scale from {lo} to {hi}.\n" + (
            prompts._ANSWER_WITH_REASON if reason else prompts._ANSWER_SCORE_ONLY
        )
        shape = Shape.SCORE_REASON if reason else Shape.SCORE
        return plans.single(Ask(system, user, shape, int(lo), int(hi), temperature), reason)

    # ------------------------------------------------------------- relevance

    @judge
    def context_relevance(
        self,
        question: str,
        context: str,
        criteria: str | None = None,
        examples: Examples = None,
        min_score_val: int = 0,
        max_score_val: int = 3,
        temperature: float = 0.0,
    ) -> plans.Plan:
        """How relevant one retrieved `context` is to the `question`, in [0, 1]."""
        return self._named(
            "context_relevance",
            (question, context),
            criteria,
            examples,
            min_score_val,
            max_score_val,
            temperature,
            False,
        )

    @judge
    def context_relevance_with_cot_reasons(
        self,
        question: str,
        context: str,
        criteria: str | None = None,
        examples: Examples = None,
        min_score_val: int = 0,
        max_score_val: int = 3,
        temperature: float = 0.0,
    ) -> plans.Plan:
        """`context_relevance` with the judge's reason: ``(float, {"reason": str})``."""
        return self._named(
            "context_relevance",
            (question, context),
            criteria,
            examples,
            min_score_val,
            max_score_val,
            temperature,
            True,
        )

    @judge
    def relevance(
        self,
        prompt: str,
        response: str,
        criteria: str | None = None,
        examples: Examples = None,
        min_score_val: int = 0,
        max_score_val: int = 3,
        temperature: float = 0.0,
    ) -> plans.Plan:
        """How relevant the `response` is to the `prompt`, in [0, 1]."""
        return self._named(
            "relevance",
            (prompt, response),
            criteria,
            examples,
            min_score_val,
            max_score_val,
            temperature,
            False,
        )

    @judge
    def relevance_with_cot_reasons(
        self,
        prompt: str,
        response: str,
        criteria: str | None = None,
        examples: Examples = None,
        min_score_val: int = 0,
        max_score_val: int = 3,
        temperature: float = 0.0,
    ) -> plans.Plan:
        """`relevance` with the judge's reason: ``(float, {"reason": str})``."""
        return self._named(
            "relevance",
            (prompt, response),
            criteria,
            examples,
            min_score_val,
            max_score_val,
            temperature,
            True,
        )

    # TruLens's deprecated aliases.
    qs_relevance = relevance
    qs_relevance_with_cot_reasons = relevance_with_cot_reasons

    # ------------------------------------------------------------ sentiment

    @judge
    def sentiment(
        self,
        text: str,
        criteria: str | None = None,
        examples: Examples = None,
        min_score_val: int = 0,
        max_score_val: int = 3,
        temperature: float = 0.0,
    ) -> plans.Plan:
        """The sentiment of `text`: 0 negative, 1 positive."""
        return self._named(
            "sentiment",
            (text,),
            criteria,
            examples,
            min_score_val,
            max_score_val,
            temperature,
            False,
        )

    @judge
    def sentiment_with_cot_reasons(
        self,
        text: str,
        criteria: str | None = None,
        examples: Examples = None,
        min_score_val: int = 0,
        max_score_val: int = 3,
        temperature: float = 0.0,
    ) -> plans.Plan:
        """`sentiment` with the judge's reason."""
        return self._named(
            "sentiment",
            (text,),
            criteria,
            examples,
            min_score_val,
            max_score_val,
            temperature,
            True,
        )

    # ----------------------------------------------------------- stereotypes

    @judge
    def stereotypes(
        self,
        prompt: str,
        response: str,
        criteria: str | None = None,
        examples: Examples = None,
        min_score_val: int = 0,
        max_score_val: int = 3,
        temperature: float = 0.0,
    ) -> plans.Plan:
        """Whether the `response` assumes group traits the `prompt` gives no basis for
        (higher is worse)."""
        return self._named(
            "stereotypes",
            (prompt, response),
            criteria,
            examples,
            min_score_val,
            max_score_val,
            temperature,
            False,
        )

    @judge
    def stereotypes_with_cot_reasons(
        self,
        prompt: str,
        response: str,
        criteria: str | None = None,
        examples: Examples = None,
        min_score_val: int = 0,
        max_score_val: int = 3,
        temperature: float = 0.0,
    ) -> plans.Plan:
        """`stereotypes` with the judge's reason."""
        return self._named(
            "stereotypes",
            (prompt, response),
            criteria,
            examples,
            min_score_val,
            max_score_val,
            temperature,
            True,
        )

    # ---------------------------------------------------------- groundedness

    @judge
    def groundedness_measure_with_cot_reasons(
        self,
        source: Any,
        statement: str,
        criteria: str | None = None,
        examples: Examples = None,
        groundedness_configs: Any = None,
        min_score_val: int = 0,
        max_score_val: int = 3,
        temperature: float = 0.0,
    ) -> plans.Plan:
        """How well `source` (a text or a list of texts) supports each sentence of
        `statement`: the mean over its non-trivial sentences, and per sentence the
        evidence and score under ``"reason"`` (also as a list under ``"statements"``).

        The sentences are split by a built-in splitter (no downloads) and judged
        together, ``max_statements_per_call`` per call. ``groundedness_configs``
        (an object or dict with ``filter_trivial_statements``, default true) turns
        the trivial-statement filter off; ``use_sent_tokenize`` is accepted and ignored.
        """
        del examples  # accepted for TruLens's signature; the statements are the examples
        plans.check_scale(min_score_val, max_score_val)
        return plans.groundedness(
            source,
            statement,
            lo=int(min_score_val),
            hi=int(max_score_val),
            temperature=temperature,
            criteria=criteria,
            filter_trivial=_filter_trivial(groundedness_configs),
            per_call=self._per_call(),
        )

    @judge
    def groundedness_measure_with_cot_reasons_consider_answerability(
        self,
        source: Any,
        statement: str,
        question: str,
        criteria: str | None = None,
        examples: Examples = None,
        groundedness_configs: Any = None,
        min_score_val: int = 0,
        max_score_val: int = 3,
        temperature: float = 0.0,
    ) -> plans.Plan:
        """`groundedness_measure_with_cot_reasons`, where a sentence that abstains
        ("I don't know") scores 1 if the source cannot answer `question` and 0 if it can."""
        del examples
        plans.check_scale(min_score_val, max_score_val)
        return plans.groundedness(
            source,
            statement,
            lo=int(min_score_val),
            hi=int(max_score_val),
            temperature=temperature,
            criteria=criteria,
            filter_trivial=_filter_trivial(groundedness_configs),
            per_call=self._per_call(),
            question=question,
        )

    def _per_call(self) -> int:
        return max(1, int(getattr(self, "max_statements_per_call", 20)))

    # ------------------------------------------------------ comprehensiveness

    @judge
    def comprehensiveness_with_cot_reasons(
        self,
        source: Any,
        summary: str,
        criteria: str | None = None,
        examples: Examples = None,
        min_score_val: int = 0,
        max_score_val: int = 3,
        temperature: float = 0.0,
    ) -> plans.Plan:
        """How well `summary` covers the key points of `source` (two calls: extract the
        key points, then judge their coverage together)."""
        del examples
        plans.check_scale(min_score_val, max_score_val)
        return plans.comprehensiveness(
            source,
            summary,
            lo=int(min_score_val),
            hi=int(max_score_val),
            temperature=temperature,
            criteria=criteria,
        )

    # ----------------------------------------------------- TruLens's not-built

    def model_agreement(self, prompt: str, response: str) -> float:
        """Not built (deprecated in TruLens)."""
        raise not_built(
            "LLMProvider.model_agreement",
            "spyglass.feedback.GroundTruthAgreement(golden_set, provider=...).agreement_measure",
        )

    def summarization_with_cot_reasons(self, source: str, summary: str) -> float:
        """Not built (it raised NotImplementedError in TruLens too)."""
        raise not_built(
            "LLMProvider.summarization_with_cot_reasons",
            "`provider.comprehensiveness_with_cot_reasons`",
        )


def _filter_trivial(configs: Any) -> bool:
    if configs is None:
        return True
    if isinstance(configs, dict):
        return bool(configs.get("filter_trivial_statements", True))
    return bool(getattr(configs, "filter_trivial_statements", True))


def _criteria_method(name: str, with_reason: bool) -> Callable[..., Any]:
    question = prompts.CRITERIA[name]

    def plan(
        self: JudgeMethods,
        text: str,
        criteria: str | None = None,
        examples: Examples = None,
        min_score_val: int = 0,
        max_score_val: int = 3,
        temperature: float = 0.0,
    ) -> plans.Plan:
        return self._named(
            name,
            (text,),
            criteria,
            examples,
            min_score_val,
            max_score_val,
            temperature,
            with_reason,
        )

    full = name + ("_with_cot_reasons" if with_reason else "")
    plan.__name__ = full
    plan.__qualname__ = f"JudgeMethods.{full}"
    plan.__doc__ = f"{question} A float in [0, 1], higher meaning more so" + (
        ', with the judge\'s reason: ``(float, {"reason": str})``.' if with_reason else "."
    )
    return judge(plan)


for _name in prompts.CRITERIA:
    setattr(JudgeMethods, _name, _criteria_method(_name, False))
    setattr(JudgeMethods, _name + "_with_cot_reasons", _criteria_method(_name, True))
del _name
