"""Importable feedback functions for the stored-feedback tests (a stored feedback names
its implementation by module and name, so it must live in a real module)."""

from __future__ import annotations


def overlap(question: str, answer: str) -> float:
    """Share of the question's words found in the answer."""
    q = set(question.lower().split())
    return len(q & set(answer.lower().split())) / max(len(q), 1)


def lowest(values: list[float]) -> float:
    """An aggregator: the smallest value."""
    return min(values)
