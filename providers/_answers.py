"""What a judge is asked, what it answers, and how an answer is read.

A judge method sends :class:`Ask` requests; a backend answers each with a
:class:`Completion`: the text, the structured data when the model answered in the
requested JSON schema (structured output or a tool call), and what the call cost.

Reading an answer never guesses. In order:

1. structured data (a schema answer or a tool call's arguments);
2. a JSON object in the text (also inside a fenced code block);
3. a labelled score in the text: ``Score: 2``, ``score = 2``, ``2/3``, ``2 out of 3``
   (the last label wins: models restate their final score at the end);
4. the text is a bare number.

A score outside the scale, several different unlabelled numbers, or none at all
raise :class:`~spyglass.providers.JudgeAnswerError` with the raw answer: the feedback
is ``failed``, never given a made-up number (TruLens took the smallest number in the
text and stored ``-1`` when it found none).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from typing import Any

from spyglass.core import Cost

from ._errors import JudgeAnswerError

__all__ = [
    "Ask",
    "Completion",
    "Shape",
    "in_scale",
    "json_in",
    "read_items",
    "read_score",
    "schema_for",
]


class Shape:
    """The kinds of structured answer a judge asks for (``Ask.shape``)."""

    SCORE = "score"  # {"score"}
    SCORE_REASON = "score_reason"  # {"reason", "score"}
    STATEMENTS = "statements"  # {"statements": [{"index", "evidence", "score", ...}]}
    KEY_POINTS = "key_points"  # {"key_points": [str]}


@dataclasses.dataclass(frozen=True)
class Ask:
    """One request to the judge model.

    Attributes:
        system: the system prompt.
        user: the user message (``None`` for a system prompt alone).
        shape: the structured answer wanted (a :class:`Shape` value).
        min_score: the lowest score of the scale.
        max_score: the highest score of the scale.
        temperature: sampling temperature.
        items: how many items a list answer must have (statements), else 0.
        extra: extra per-item fields of a ``statements`` answer (name -> JSON type).
    """

    system: str
    user: str | None
    shape: str
    min_score: int = 0
    max_score: int = 3
    temperature: float = 0.0
    items: int = 0
    extra: tuple[tuple[str, str], ...] = ()

    def messages(self) -> list[dict[str, str]]:
        """The chat messages: the system prompt, then the user message if any."""
        out = [{"role": "system", "content": self.system}]
        if self.user is not None:
            out.append({"role": "user", "content": self.user})
        return out


@dataclasses.dataclass(frozen=True)
class Completion:
    """A judge model's answer to one :class:`Ask`.

    Attributes:
        text: the answer's text ("" when the model only called the tool).
        data: the structured answer (schema content or tool-call arguments), if any.
        cost: tokens (and USD when known) of the call.
    """

    text: str
    data: dict[str, Any] | None = None
    cost: Cost = dataclasses.field(default_factory=Cost)

    @property
    def raw(self) -> str:
        """The answer as received, for error messages."""
        if self.data is not None and not self.text:
            return json.dumps(self.data)
        return self.text


def schema_for(ask: Ask) -> dict[str, Any]:
    """The JSON schema (strict-mode compatible) of the answer `ask` wants."""
    score = {
        "type": "integer",
        "description": f"from {ask.min_score} (lowest) to {ask.max_score} (highest)",
    }
    if ask.shape == Shape.SCORE:
        props: dict[str, Any] = {"score": score}
    elif ask.shape == Shape.SCORE_REASON:
        props = {"reason": {"type": "string"}, "score": score}
    elif ask.shape == Shape.STATEMENTS:
        item_props: dict[str, Any] = {
            "index": {"type": "integer"},
            "evidence": {"type": "string"},
            "score": score,
        }
        item_props.update({name: {"type": kind} for name, kind in ask.extra})
        props = {
            "statements": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": item_props,
                    "required": list(item_props),
                    "additionalProperties": False,
                },
            }
        }
    elif ask.shape == Shape.KEY_POINTS:
        props = {"key_points": {"type": "array", "items": {"type": "string"}}}
    else:  # pragma: no cover - shapes are ours
        raise ValueError(f"unknown answer shape {ask.shape!r}")
    return {
        "type": "object",
        "properties": props,
        "required": list(props),
        "additionalProperties": False,
    }


# ------------------------------------------------------------------ reading

_FENCED = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.DOTALL)
_NUMBER = r"[-+]?\d+(?:\.\d+)?"
_LABELLED = re.compile(
    rf"(?:\bscore\b|\brating\b|\bgrade\b)\s*(?:\*\*)?\s*[:=]?\s*(?:\*\*)?\s*({_NUMBER})",
    re.IGNORECASE,
)
_OUT_OF = re.compile(rf"({_NUMBER})\s*(?:/|out of)\s*({_NUMBER})", re.IGNORECASE)
_ANY_NUMBER = re.compile(rf"(?<![\w.]){_NUMBER}(?![\w.]*\w)")


def json_in(text: str) -> dict[str, Any] | None:
    """The JSON object in `text`: the whole text, a fenced block, or the outermost
    ``{...}``; ``None`` if there is none."""
    text = text.strip()
    candidates = [text]
    candidates += _FENCED.findall(text)
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def in_scale(value: Any, ask: Ask, raw: str) -> float:
    try:
        score = float(value)
    except (TypeError, ValueError):
        raise JudgeAnswerError(f"The judge's score {value!r} is not a number.", raw) from None
    if math.isnan(score) or not ask.min_score <= score <= ask.max_score:
        raise JudgeAnswerError(
            f"The judge's score {value!r} is outside the scale {ask.min_score}..{ask.max_score}.",
            raw,
        )
    return score


def _text_score(text: str, ask: Ask) -> tuple[float, str]:
    """A score found in free text, and the text without the score's line."""
    labelled = _LABELLED.findall(text)
    if labelled:
        value = labelled[-1]
    else:
        out_of = [(v, m) for v, m in _OUT_OF.findall(text) if float(m) == ask.max_score]
        if out_of:
            value = out_of[-1][0]
        else:
            numbers = {float(n) for n in _ANY_NUMBER.findall(text)}
            if not numbers:
                raise JudgeAnswerError("The judge's answer holds no score.", text)
            if len(numbers) > 1:
                raise JudgeAnswerError(
                    "The judge's answer holds several numbers and none is labelled as the score.",
                    text,
                )
            value = str(numbers.pop())
    lines = [ln for ln in text.strip().splitlines() if not _LABELLED.search(ln)]
    return in_scale(value, ask, text), "\n".join(lines).strip()


def read_score(answer: Completion, ask: Ask) -> tuple[float, str]:
    """The raw score (on the ask's scale) and the reason in `answer`.

    Raises:
        JudgeAnswerError: no readable score (the message holds the raw answer).
    """
    data = answer.data if answer.data is not None else json_in(answer.text)
    if data is not None and "score" in data:
        reason = data.get("reason", data.get("reasons", ""))
        return in_scale(data["score"], ask, answer.raw), str(reason or "")
    return _text_score(answer.text, ask)


def read_items(answer: Completion, ask: Ask, key: str) -> list[Any]:
    """The list under `key` of a structured answer (statements, key points).

    Raises:
        JudgeAnswerError: the answer has no such list (the message holds the raw answer).
    """
    data = answer.data if answer.data is not None else json_in(answer.text)
    items = data.get(key) if data is not None else None
    if not isinstance(items, list):
        raise JudgeAnswerError(f"The judge's answer has no `{key}` list.", answer.raw)
    return items
