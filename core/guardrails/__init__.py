"""Guardrails: feedback functions that filter contexts and block inputs or outputs as the app runs.

TruLens's ``trulens.core.guardrails`` names, as method (or function) decorators::

    from spyglass.core.guardrails import block_input, block_output, context_filter

- :class:`context_filter` ``(feedback, threshold, keyword_for_prompt=None)``: keeps the
  returned contexts whose score ``feedback(prompt, context)`` is strictly better than
  the threshold; they are scored concurrently and returned in their original order.
- :class:`block_input` ``(feedback, threshold, keyword_for_prompt=None, return_value=None)``:
  returns ``return_value`` without calling the function when ``feedback(prompt)`` is
  strictly worse than the threshold.
- :class:`block_output` ``(feedback, threshold, return_value=None)``: returns
  ``return_value`` instead of an output whose ``feedback(output)`` is strictly worse.

"Better" follows the feedback's ``higher_is_better`` (a plain function: higher is
better). Inside a recording each evaluation is a recorded call (its arguments and its
score) under the guarded call, at ``<component path>.<guard class>.evaluate``. An
evaluation that raises, returns no number or times out never reaches the app: the
guard's ``on_error`` rule applies (``context_filter``: ``"drop"`` by default or
``"keep"``; ``block_*``: ``"block"`` by default or ``"pass"``) and it is logged once.
"""

from __future__ import annotations

from ._guards import block_input, block_output, context_filter
from ._judge import GuardrailError

__all__ = ["GuardrailError", "block_input", "block_output", "context_filter"]
