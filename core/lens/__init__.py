"""Lenses: paths into records, apps and JSON, and `Select`, the lenses feedback uses.

A `Lens` is a tuple of steps built with attribute and item syntax
(``Select.RecordCalls.retriever.retrieve.rets[:]``); `Lens.of_string` parses the
printed form back. Lenses read (`Lens.get`) and update (`Lens.set`) nested data, and
their errors name the failing step and what exists there.
"""

from __future__ import annotations

from . import _lens, _select, _steps
from ._lens import *
from ._select import *
from ._steps import *

__all__ = sorted([*_lens.__all__, *_select.__all__, *_steps.__all__])
