"""Reading recorded (JSON) values for span attributes: text, documents, usage, model names.

Everything here works on the JSON forms a record holds (never on live objects), so it
runs on any record: built by a recorder, loaded from a store, or ingested from spans.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ._conventions import JSON_MIME, TEXT_MIME, TRUNCATED_MARKER

__all__ = ["documents", "model_name", "text_of", "truncate", "usage"]

# One encoder for every value: json.dumps with options makes a new one per call.
_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with a marker saying how much went."""
    if len(text) <= limit:
        return text
    cut = max(0, limit - len(TRUNCATED_MARKER) - 12)
    return text[:cut] + TRUNCATED_MARKER.format(n=len(text) - cut)


def text_of(value: Any, limit: int) -> tuple[str, str]:
    """A recorded value as an attribute string and its mime type (a str stays plain text)."""
    if isinstance(value, str):
        return truncate(value, limit), TEXT_MIME
    try:
        text = _JSON.encode(value)
    except (TypeError, ValueError):  # a cycle cannot be in a record; be total anyway
        text = repr(value)
    return truncate(text, limit), JSON_MIME


def _walk(value: Any, depth: int = 4) -> Iterator[dict[str, Any]]:
    """Every dict in ``value``, outermost first, down to ``depth`` levels."""
    if depth < 0:
        return
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item, depth - 1)
    elif isinstance(value, list):
        for item in value[:16]:
            yield from _walk(item, depth - 1)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def usage(rets: Any) -> tuple[int, int] | None:
    """``(input tokens, output tokens)`` reported in a call's return value, if any.

    Knows LangChain's ``usage_metadata`` (``input_tokens``/``output_tokens``) and the
    OpenAI-style ``usage`` / ``token_usage`` (``prompt_tokens``/``completion_tokens``).
    """
    for d in _walk(rets):
        i, o = _int(d.get("input_tokens")), _int(d.get("output_tokens"))
        if i is not None and o is not None:
            return i, o
        i, o = _int(d.get("prompt_tokens")), _int(d.get("completion_tokens"))
        if i is not None and o is not None:
            return i, o
    return None


def model_name(args: Any, rets: Any) -> str | None:
    """The model a call used, as its arguments or its response name it."""
    for value in (args, rets):
        for d in _walk(value, 3):
            for key in ("model_name", "model"):
                name = d.get(key)
                if isinstance(name, str) and name:
                    return name
    return None


def documents(rets: Any) -> list[tuple[str, str | None, float | None]]:
    """The ``(content, id, score)`` of each document a retrieval call returned.

    Reads plain strings, LangChain ``Document`` forms (``page_content``, ``id``), LlamaIndex
    ``NodeWithScore`` forms (``node.text``, ``node.id_``, ``score``) and
    ``(document, score)`` pairs.
    """
    if isinstance(rets, dict):
        for key in ("source_nodes", "documents", "nodes", "context"):
            if isinstance(rets.get(key), list):
                return documents(rets[key])
        return []
    if not isinstance(rets, list):
        return []
    out: list[tuple[str, str | None, float | None]] = []
    for item in rets:
        score: float | None = None
        if isinstance(item, list) and len(item) == 2 and isinstance(item[1], (int, float)):
            item, score = item[0], float(item[1])
        if isinstance(item, str):
            out.append((item, None, score))
            continue
        if not isinstance(item, dict):
            continue
        inner = item.get("node")
        node: dict[str, Any] = inner if isinstance(inner, dict) else item
        if isinstance(item.get("score"), (int, float)):
            score = float(item["score"])
        content = node.get("page_content", node.get("text", node.get("content")))
        if not isinstance(content, str):
            continue
        doc_id = node.get("id", node.get("id_"))
        out.append((content, doc_id if isinstance(doc_id, str) else None, score))
    return out
