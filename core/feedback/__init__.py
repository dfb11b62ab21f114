"""Feedback functions: what they select from a record, how they are evaluated, and when.

A `Feedback` wraps an implementation and the lenses (selectors) that feed its
arguments. Evaluating it on a record gives a `~spyglass.core.FeedbackResult`. The
`FeedbackRunner` is the sink that evaluates a recorder's feedbacks on each record
it receives, in the recorder's feedback mode.
"""

from __future__ import annotations

from ._feedback import Feedback, SkipEval
from ._pool import set_exit_grace
from ._runner import FeedbackRunner, feedback_pool
from ._selector_check import SelectorWarning, check_selectors, explain_selector

__all__ = [
    "Feedback",
    "FeedbackRunner",
    "SelectorWarning",
    "SkipEval",
    "check_selectors",
    "explain_selector",
    "feedback_pool",
    "set_exit_grace",
]
