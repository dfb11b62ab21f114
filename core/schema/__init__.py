"""The data spyglass produces: records, app and feedback definitions, results, measures, ids.

Plain pydantic models with TruLens 1.x's field names: a `Record` holds one app call with
its component calls (`RecordAppCall`), cost (`Cost`) and timing (`Perf`); an
`AppDefinition` describes a recorded app; a `FeedbackDefinition` describes a feedback
function and a `FeedbackResult` one evaluation of it on a record.
"""

from __future__ import annotations

from ._app_definition import AppDefinition
from ._enums import (
    FeedbackCombinations,
    FeedbackMode,
    FeedbackOnMissingParameters,
    FeedbackResultStatus,
    FeedbackRunLocation,
    RecordIngestMode,
)
from ._feedback import FeedbackCall, FeedbackDefinition, FeedbackResult
from ._ids import app_id_of, obj_id_of_obj, recursive_hash
from ._measures import Cost, Perf
from ._record import Record, RecordAppCall, RecordAppCallMethod

__all__ = [
    "AppDefinition",
    "Cost",
    "FeedbackCall",
    "FeedbackCombinations",
    "FeedbackDefinition",
    "FeedbackMode",
    "FeedbackOnMissingParameters",
    "FeedbackResult",
    "FeedbackResultStatus",
    "FeedbackRunLocation",
    "Perf",
    "Record",
    "RecordAppCall",
    "RecordAppCallMethod",
    "RecordIngestMode",
    "app_id_of",
    "obj_id_of_obj",
    "recursive_hash",
]
