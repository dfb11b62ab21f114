"""A module a user allows for stored feedbacks: it imports dangerous modules, as real ones
do, and defines one function and one class of its own (the only things loadable)."""

from __future__ import annotations

import builtins  # noqa: F401 - reachable attributes are the point of the test
import importlib  # noqa: F401
import logging
import os  # noqa: F401
import pickle  # noqa: F401
import subprocess  # noqa: F401
from os import system  # noqa: F401 - a re-exported function
from subprocess import Popen  # noqa: F401 - a re-exported class

logger = logging.getLogger(__name__)  # an instance


def overlap(question: str, answer: str) -> float:
    """Share of the question's words found in the answer."""
    q = set(question.lower().split())
    return len(q & set(answer.lower().split())) / max(len(q), 1)


class Judge:
    """A class-based feedback: built from stored arguments, its method is the feedback."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def score(self, answer: str) -> float:
        return self.weight * min(1.0, len(answer) / 10)

    @classmethod
    def make(cls) -> Judge:
        return cls()
