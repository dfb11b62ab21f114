"""Feedback functions: what they select from a record, how they are evaluated, and when.

A `Feedback` wraps an implementation and the lenses (selectors) that feed its
arguments. Evaluating it on a record gives a `~spyglass.core.FeedbackResult`. The
`FeedbackRunner` is the sink that evaluates a recorder's feedbacks on each record
it receives, in the recorder's feedback mode. An implementation reports what its calls
cost with `report_cost`; the sum is the result's ``cost``.
"""

from __future__ import annotations

from ._cost import CostTally, cost_tally, report_cost
from ._feedback import Feedback, SkipEval
from ._runner import FeedbackRunner, feedback_pool
from ._selector_check import SelectorWarning, check_selectors, explain_selector

__all__ = [
    "CostTally",
    "Feedback",
    "FeedbackRunner",
    "SelectorWarning",
    "SkipEval",
    "check_selectors",
    "cost_tally",
    "explain_selector",
    "feedback_pool",
    "report_cost",
]
