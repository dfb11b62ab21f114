"""Serialisable feedback schemas: what a feedback is, one call of it, and its result.

`FeedbackDefinition` is the stored form of a feedback function (the runnable
``Feedback`` in :mod:`spyglass.core.feedback._feedback` subclasses it). `FeedbackCall` is one
evaluation of the implementation on one combination of inputs; `FeedbackResult` holds
every call of one feedback on one record and their aggregate.

Fixes against TruLens (as TruLens 1.x):

- `FeedbackDefinition.feedback_definition_id` follows the definition: it is recomputed
  whenever a field that defines the feedback changes (selectors, aggregator,
  combinations, ...), so two feedbacks with different selectors never share an id.
- ``str(FeedbackResult)`` prints the status by value (``ctxlen (done) = 0.2``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pprint import pformat
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from ..lens._lens import Lens
from ..serial._classes import CLASS_INFO
from ..serial._pyschema import Function, Method, WithClassInfo
from ._enums import (
    FeedbackCombinations,
    FeedbackOnMissingParameters,
    FeedbackResultStatus,
    FeedbackRunLocation,
)
from ._ids import recursive_hash
from ._measures import Cost, _naive_iso

__all__ = ["FeedbackCall", "FeedbackDefinition", "FeedbackResult"]

ANONYMOUS_FEEDBACK_DEFINITION_ID = "anonymous_feedback_definition"

# Fields that are not part of what a feedback *is*: the id itself and the class info
# (a `Feedback` and the `FeedbackDefinition` it stores are the same feedback).
_NOT_IDENTITY = frozenset({"feedback_definition_id", CLASS_INFO})


class FeedbackDefinition(WithClassInfo):
    """The serialisable definition of a feedback function.

    Attributes:
        implementation: the function or method that computes the feedback.
        aggregator: the function or method that combines the values of several calls.
        combinations: how the values of several selectors are combined into calls
            (``product`` or ``zip``).
        feedback_definition_id: a content hash of every other field (see below).
        if_exists: evaluate only if this lens selects something; otherwise skip.
        if_missing: what to do when a selector selects nothing.
        run_location: where the feedback runs; ``None`` means in the app's process.
        selectors: implementation parameter name -> the lens that supplies it.
        supplied_name: the name given by the user (constructor argument ``name``).
        higher_is_better: whether a higher result is better (``None`` is read as ``True``).

    The id is ``"feedback_definition_hash_" + recursive_hash(dump)`` over every field
    except the id, ``tru_class_info`` and the ``id()`` of a method's object (so the
    same definition has the same id in every process) (``"anonymous_feedback_definition"`` when there
    is no implementation). It is recomputed on assignment of any such field and by
    ``model_copy(update=...)``. Code that mutates a field in place (e.g.
    ``self.selectors["x"] = lens``) must call `_update_id` afterwards.

    Definitions are hashable by id, so they can key a dict (see
    `Record.wait_for_feedback_results`). Subclasses that define ``__eq__`` must also
    define ``__hash__`` (Python drops an inherited ``__hash__`` then).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    implementation: Function | Method | None = None
    aggregator: Function | Method | None = None
    combinations: FeedbackCombinations | None = FeedbackCombinations.PRODUCT
    feedback_definition_id: str = ANONYMOUS_FEEDBACK_DEFINITION_ID
    if_exists: Lens | None = None
    if_missing: FeedbackOnMissingParameters = FeedbackOnMissingParameters.ERROR
    run_location: FeedbackRunLocation | None = None
    selectors: dict[str, Lens] = Field(default_factory=dict)
    supplied_name: str | None = None
    higher_is_better: bool | None = True

    @model_validator(mode="before")
    @classmethod
    def _name_is_supplied_name(cls, data: Any) -> Any:
        # TruLens takes the name as constructor argument `name` and stores `supplied_name`.
        if isinstance(data, dict) and "name" in data:
            data = dict(data)
            name = data.pop("name")
            data.setdefault("supplied_name", name)
        return data

    @field_validator("higher_is_better", mode="before")
    @classmethod
    def _higher_is_better_default(cls, value: Any) -> Any:
        return True if value is None else value

    def model_post_init(self, context: Any, /) -> None:
        """Compute the id after construction unless it was given (e.g. loaded from storage)."""
        super().model_post_init(context)
        if "feedback_definition_id" not in self.model_fields_set:
            self._update_id()

    @property
    def name(self) -> str:
        """The supplied name, else the implementation's name, else ``"anonymous"``."""
        if self.supplied_name is not None:
            return self.supplied_name
        if self.implementation is not None:
            name: str = self.implementation.name
            return name
        return "anonymous"

    def compute_id(self) -> str:
        """Compute the id this definition should have from its current fields."""
        if self.implementation is None:
            return ANONYMOUS_FEEDBACK_DEFINITION_ID
        dump = self.model_dump(mode="json", exclude=set(_NOT_IDENTITY))
        dump["feedback_definition_id"] = "temporary"
        for part in ("implementation", "aggregator"):
            obj = (dump.get(part) or {}).get("obj")
            if isinstance(obj, dict):
                # The instance's id() differs per process; its class and init bindings
                # say which object it is, so the same definition keeps its id.
                obj["id"] = None
        digest: str = recursive_hash(dump)
        return "feedback_definition_hash_" + digest

    def _update_id(self) -> None:
        """Recompute `feedback_definition_id` in place (for in-place mutations of fields)."""
        # Writing __dict__ skips our __setattr__ (no recursion) and pydantic's fields-set
        # bookkeeping: the id is derived, so it must not count as explicitly set.
        self.__dict__["feedback_definition_id"] = self.compute_id()

    def _with_updated_id(self) -> FeedbackDefinition:
        """Return this definition after recomputing its id (for fluent builders)."""
        self._update_id()
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in type(self).model_fields and name not in _NOT_IDENTITY:
            self._update_id()

    def model_copy(self, *, update: Any = None, deep: bool = False) -> Any:
        """Copy this definition; if `update` changes defining fields, the id follows."""
        copy = super().model_copy(update=update, deep=deep)
        if update and any(k not in _NOT_IDENTITY for k in update):
            copy._update_id()
        return copy

    def __hash__(self) -> int:
        return hash(self.feedback_definition_id)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FeedbackDefinition):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __str__(self) -> str:
        return (
            f"{type(self).__name__}({self.name},\n"
            f"\tselectors={self.selectors},\n"
            f"\tif_exists={self.if_exists}\n)"
        )

    __repr__ = __str__


class FeedbackCall(BaseModel):
    """One evaluation of a feedback implementation on one combination of inputs.

    Attributes:
        args: implementation parameter name -> the value it was called with.
        ret: what the call returned (a number, or a list for multi-valued feedbacks).
        meta: extra information the implementation returned, e.g. ``{"reason": ...}``.
    """

    args: dict[str, Any] = Field(default_factory=dict)
    ret: Any = 0.0
    meta: dict[str, Any] = Field(default_factory=dict)

    def __str__(self) -> str:
        tab = "  "
        out = "".join(f"{tab}{k} = {v}\n" for k, v in self.args.items())
        out += f"{tab}ret = {self.ret}\n"
        if self.meta:
            meta = "\n".join(tab * 2 + line for line in pformat(self.meta).splitlines())
            out += f"{tab}meta = \n{meta}\n"
        return out


def _new_feedback_result_id() -> str:
    return "feedback_result_" + uuid.uuid4().hex


class FeedbackResult(BaseModel):
    """The result of one feedback evaluated on one record.

    Attributes:
        feedback_result_id: unique id. TruLens hashed the whole result; spyglass uses
            ``"feedback_result_" + uuid4().hex`` (results carry a timestamp, so the hash
            was unique anyway, and hashing is not free).
        record_id: the record evaluated.
        feedback_definition_id: the definition evaluated.
        last_ts: when this result last changed.
        status: ``none``, ``running``, ``failed``, ``done`` or ``skipped``.
        cost: what evaluating the feedback cost.
        name: the feedback's name.
        calls: every call of the implementation.
        result: the aggregate; ``None`` until done, NaN when there were no inputs.
            (JSON has no NaN: it is written as ``null`` and reads back as ``None``.)
        error: the error text (with traceback) when the status is ``failed``.
        multi_result: JSON text of a dict aggregate, else ``"null"`` or ``None``.
    """

    feedback_result_id: str = Field(default_factory=_new_feedback_result_id)
    record_id: str
    feedback_definition_id: str | None = None
    last_ts: datetime = Field(default_factory=datetime.now)
    status: FeedbackResultStatus = FeedbackResultStatus.NONE
    cost: Cost = Field(default_factory=Cost)
    name: str
    calls: list[FeedbackCall] = Field(default_factory=list)
    result: float | None = None
    error: str | None = None
    multi_result: str | None = None

    @field_serializer("last_ts")
    def _ts_iso(self, value: datetime) -> str:
        return _naive_iso(value)  # as Perf: ISO text without timezone, in every dump mode

    def __str__(self) -> str:
        # `.value`: TruLens printed `FeedbackResultStatus.DONE` here (as TruLens 1.x).
        status = getattr(self.status, "value", self.status)
        return f"{self.name} ({status}) = {self.result}\n" + "".join(map(str, self.calls))
