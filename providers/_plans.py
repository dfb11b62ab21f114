"""How each judge reaches its verdict, written once for sync and async callers.

A *plan* is a generator: it yields a list of :class:`~spyglass.providers._answers.Ask`
requests, receives the list of answers, and finally returns the judge's value. The
provider drives it (:meth:`LLMProvider._run_plan` with threads,
:meth:`LLMProvider._arun_plan` with ``asyncio.gather``), so the prompts, the reading of
answers and the arithmetic exist once, and the requests of one step go out together.
"""

from __future__ import annotations

import statistics
from collections.abc import Generator, Sequence
from typing import Any

from . import _prompts as prompts
from ._answers import Ask, Completion, Shape, in_scale, read_items, read_score
from ._errors import JudgeAnswerError
from ._sentences import split_sentences

__all__ = ["Plan", "comprehensiveness", "groundedness", "single"]

Plan = Generator[list[Ask], list[Completion], Any]


def check_scale(lo: int, hi: int) -> None:
    """Raise `ValueError` unless ``lo < hi`` are whole numbers."""
    if int(lo) != lo or int(hi) != hi or lo >= hi:
        raise ValueError(
            f"Invalid score range [{lo}, {hi}]: min_score_val and max_score_val must be "
            "whole numbers with min_score_val < max_score_val (e.g. 0 and 3)."
        )


def normalise(score: float, ask: Ask) -> float:
    """`score` on the ask's scale, mapped to [0, 1]."""
    return (score - ask.min_score) / (ask.max_score - ask.min_score)


def single(ask: Ask, with_reason: bool) -> Plan:
    """One request, one score in [0, 1] (and ``{"reason": ...}`` if `with_reason`)."""
    [answer] = yield [ask]
    raw, reason = read_score(answer, ask)
    score = normalise(raw, ask)
    return (score, {"reason": reason}) if with_reason else score


def _as_text(source: Any) -> str:
    if isinstance(source, (list, tuple)):
        return "\n\n".join(str(s) for s in source)
    return str(source)


def _numbered(label: str, items: Sequence[str]) -> str:
    return "\n".join(f"{label} {i}: {text}" for i, text in enumerate(items, 1))


def _verdicts(answer: Completion, ask: Ask, count: int) -> dict[int, dict[str, Any]]:
    """Index (1-based) -> the judge's entry, checking every item got exactly one."""
    entries = read_items(answer, ask, "statements")
    found: dict[int, dict[str, Any]] = {}
    for entry in entries:
        if not isinstance(entry, dict) or "index" not in entry or "score" not in entry:
            raise JudgeAnswerError(
                "An entry of the judge's answer lacks an index or a score.", answer.raw
            )
        try:
            found[int(entry["index"])] = entry
        except (TypeError, ValueError):
            raise JudgeAnswerError(
                f"The judge's index {entry['index']!r} is not a number.", answer.raw
            ) from None
    missing = [i for i in range(1, count + 1) if i not in found]
    if missing:
        raise JudgeAnswerError(
            f"The judge's answer has no verdict for item(s) {missing} of {count}.", answer.raw
        )
    return found


def groundedness(
    source: Any,
    statement: str,
    *,
    lo: int,
    hi: int,
    temperature: float,
    criteria: str | None,
    filter_trivial: bool,
    per_call: int,
    question: str | None = None,
) -> Plan:
    """Split `statement` into sentences; judge them against `source` in as few calls
    as `per_call` allows (all calls at once); the mean over non-trivial statements."""
    sentences = split_sentences(str(statement))
    if not sentences:
        return 0.0, {"reason": "The answer has no statements to check.", "statements": []}
    system = prompts.GROUNDEDNESS.format(lo=lo, hi=hi)
    if criteria:
        system += f"\nCriteria: {criteria}"
    extra: list[tuple[str, str]] = []
    if filter_trivial:
        system += prompts.GROUNDEDNESS_TRIVIAL
        extra.append(("trivial", "boolean"))
    if question is not None:
        system += prompts.GROUNDEDNESS_ANSWERABILITY
        extra += [("abstains", "boolean"), ("answerable", "boolean")]
    system += prompts.GROUNDEDNESS_ANSWER
    text = _as_text(source)
    batches = [sentences[i : i + per_call] for i in range(0, len(sentences), per_call)]
    asks = []
    for batch in batches:
        user = f"SOURCE:\n{text}\n\n"
        if question is not None:
            user += f"QUESTION:\n{question}\n\n"
        user += "STATEMENTS:\n" + _numbered("STATEMENT", batch)
        asks.append(
            Ask(system, user, Shape.STATEMENTS, lo, hi, temperature, len(batch), tuple(extra))
        )
    answers = yield asks
    statements: list[dict[str, Any]] = []
    for ask, batch, answer in zip(asks, batches, answers):
        found = _verdicts(answer, ask, len(batch))
        for i, sentence in enumerate(batch, 1):
            entry = found[i]
            score = normalise(in_scale(entry["score"], ask, answer.raw), ask)
            note = ""
            if question is not None and entry.get("abstains"):
                # An abstention is right when the source cannot answer, wrong when it can.
                score = 0.0 if entry.get("answerable") else 1.0
                note = (
                    "answerable abstention"
                    if entry.get("answerable")
                    else "unanswerable abstention"
                )
            statements.append(
                {
                    "statement": sentence,
                    "evidence": str(entry.get("evidence", "")),
                    "score": score,
                    "trivial": bool(filter_trivial and entry.get("trivial")),
                    **({"note": note} if note else {}),
                }
            )
    counted = [s["score"] for s in statements if not s["trivial"]]
    lines = []
    for n, s in enumerate(statements, 1):
        tail = " (trivial, not counted)" if s["trivial"] else ""
        tail += f" ({s['note']})" if s.get("note") else ""
        lines.append(
            f"STATEMENT {n}: {s['statement']}\nSupporting Evidence: {s['evidence']}\n"
            f"Score: {s['score']:.2f}{tail}"
        )
    if not counted:
        reason = "No non-trivial statements to evaluate.\n\n" + "\n\n".join(lines)
        return 0.0, {"reason": reason, "statements": statements}
    return statistics.fmean(counted), {"reason": "\n\n".join(lines), "statements": statements}


def comprehensiveness(
    source: Any, summary: str, *, lo: int, hi: int, temperature: float, criteria: str | None
) -> Plan:
    """Extract the source's key points (one call), then judge how well the summary
    covers each (one call); the mean coverage."""
    extract = Ask(
        prompts.KEY_POINTS, f"SOURCE:\n{_as_text(source)}", Shape.KEY_POINTS, lo, hi, temperature
    )
    [answer] = yield [extract]
    points = [str(p).strip() for p in read_items(answer, extract, "key_points") if str(p).strip()]
    if not points:
        raise JudgeAnswerError("The judge found no key points in the source.", answer.raw)
    system = prompts.COVERAGE.format(lo=lo, hi=hi)
    if criteria:
        system += f"\nCriteria: {criteria}"
    cover = Ask(
        system,
        f"SUMMARY:\n{summary}\n\nKEY POINTS:\n" + _numbered("KEY POINT", points),
        Shape.STATEMENTS,
        lo,
        hi,
        temperature,
        len(points),
    )
    [answer] = yield [cover]
    found = _verdicts(answer, cover, len(points))
    scores, lines = [], []
    for i, point in enumerate(points, 1):
        scores.append(normalise(in_scale(found[i]["score"], cover, answer.raw), cover))
        lines.append(
            f"KEY POINT {i}: {point}\nSupporting Evidence: {found[i].get('evidence', '')}\n"
            f"Score: {scores[-1]:.2f}"
        )
    return statistics.fmean(scores), {"reason": "\n\n".join(lines)}
