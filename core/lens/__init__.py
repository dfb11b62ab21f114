"""Lenses: paths into records, apps and JSON, and `Select`, the lenses feedback uses.

A `Lens` is a tuple of steps built with attribute and item syntax
(``Select.RecordCalls.retriever.retrieve.rets[:]``); `Lens.of_string` parses the
printed form back. Lenses read (`Lens.get`) and update (`Lens.set`) nested data, and
their errors name the failing step and what exists there.
"""

from __future__ import annotations

from ._lens import APP_KEY, RECORD_KEY, Lens, all_objects, all_queries
from ._select import Select
from ._steps import (
    Collect,
    GetAttribute,
    GetIndex,
    GetIndices,
    GetItem,
    GetItemOrAttribute,
    GetItems,
    GetSlice,
    Step,
    StepItemOrAttribute,
)

__all__ = [
    "APP_KEY",
    "RECORD_KEY",
    "Collect",
    "GetAttribute",
    "GetIndex",
    "GetIndices",
    "GetItem",
    "GetItemOrAttribute",
    "GetItems",
    "GetSlice",
    "Lens",
    "Select",
    "Step",
    "StepItemOrAttribute",
    "all_objects",
    "all_queries",
]
