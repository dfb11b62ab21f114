"""The schema enums: TruLens's names and values, printed by value (as TruLens 1.x)."""

from __future__ import annotations

import json
from enum import Enum

import pytest

from spyglass.core.schema._enums import (
    FeedbackCombinations,
    FeedbackMode,
    FeedbackOnMissingParameters,
    FeedbackResultStatus,
    FeedbackRunLocation,
    RecordIngestMode,
)
from spyglass.core.serial._jsonify import jsonify

EXPECTED = {
    FeedbackMode: {
        "NONE": "none",
        "WITH_APP": "with_app",
        "WITH_APP_THREAD": "with_app_thread",
        "DEFERRED": "deferred",
    },
    RecordIngestMode: {"IMMEDIATE": "immediate", "BUFFERED": "buffered"},
    FeedbackRunLocation: {"IN_APP": "in_app", "SNOWFLAKE": "snowflake"},
    FeedbackResultStatus: {
        "NONE": "none",
        "RUNNING": "running",
        "FAILED": "failed",
        "DONE": "done",
        "SKIPPED": "skipped",
    },
    FeedbackOnMissingParameters: {"ERROR": "error", "WARN": "warn", "IGNORE": "ignore"},
    FeedbackCombinations: {"ZIP": "zip", "PRODUCT": "product"},
}


@pytest.mark.parametrize("enum", list(EXPECTED), ids=lambda e: e.__name__)
def test_members_and_values(enum: type[Enum]) -> None:
    """Each enum has exactly TruLens's members, with TruLens's values."""
    assert EXPECTED[enum] == {member.name: member.value for member in enum}


@pytest.mark.parametrize("enum", list(EXPECTED), ids=lambda e: e.__name__)
def test_members_are_strings(enum: type[Enum]) -> None:
    """Every member is a str equal to its value, so it compares with plain strings."""
    assert all(isinstance(m, str) and m == m.value for m in enum)


def test_str_and_format_give_the_value() -> None:
    """str() and f-strings print the value, not `Class.MEMBER` (fix of §8.12)."""
    status = FeedbackResultStatus.DONE
    assert ("done", "done", "[done ]") == (str(status), f"{status}", f"[{status:<5}]")


def test_lookup_by_value() -> None:
    """Members are found by their stored value."""
    assert FeedbackMode.DEFERRED == FeedbackMode("deferred")


def test_json_carries_the_value() -> None:
    """JSON (json.dumps and jsonify) carries the value."""
    data = {"mode": FeedbackMode.WITH_APP_THREAD, "status": FeedbackResultStatus.DONE}
    expected = {"mode": "with_app_thread", "status": "done"}
    assert (expected, json.dumps(expected)) == (jsonify(data), json.dumps(data))


def test_wrong_value_lists_the_valid_values() -> None:
    """A mistyped value raises ValueError naming it and every valid value."""
    with pytest.raises(ValueError) as info:
        FeedbackMode("with_ap")
    expected = (
        "'with_ap' is not a valid FeedbackMode; valid values: "
        "'none', 'with_app', 'with_app_thread', 'deferred'"
    )
    assert expected == str(info.value)


def test_pydantic_field_still_validates_the_enum() -> None:
    """A pydantic field of an enum type still rejects a wrong value with its own enum error."""
    from pydantic import BaseModel, ValidationError

    class Settings(BaseModel):
        mode: FeedbackMode

    with pytest.raises(ValidationError) as info:
        Settings(mode="with_ap")
    assert (["enum"], FeedbackMode.WITH_APP) == (
        [error["type"] for error in info.value.errors()],
        Settings(mode="with_app").mode,
    )
