"""Is a record whole? The checks one record must pass, as messages for adapter authors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._outcome import Outcome, error_text, short

if TYPE_CHECKING:
    from spyglass.core import Record

__all__ = ["call_shape", "record_problems"]

# What spyglass's default rules give when the adapters leave main input or output to
# them and the value has no obvious text (core's `_main_io`).
_FALLBACK = "spyglass: Could not determine"


def _read(record: Any, field: str, label: str, problems: list[str]) -> Any:
    try:
        return getattr(record, field)
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        problems.append(f"{label}: reading record.{field} raised {error_text(exc)}")
        return None


def _json_problem(label: str, field: str, value: Any) -> str | None:
    try:
        json.dumps(value, allow_nan=False)
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        return f"{label}: {field} {short(value)} is not plain JSON ({error_text(exc)})"
    return None


def record_problems(
    record: Record,
    *,
    outcome: Outcome,
    label: str = "record 0",
    call: str = "the call",
    expect_input: Any = None,
    expect_output: Any = None,
    app_id: str | None = None,
) -> list[str]:
    """Everything that makes ``record`` less than one whole record of ``call``.

    Args:
        record: the record the call gave.
        outcome: what the call did (returned, raised, streamed).
        label: how messages name the record (``"record 0"``).
        call: how messages name the call (``"call(app, 'hi')"``).
        expect_input: the ``main_input`` the record must have; ``None`` checks only that
            there is one.
        expect_output: the ``main_output`` it must have when the call did not raise;
            ``None`` checks only that there is one.
        app_id: the recorder's ``app_id``, which the record must carry.

    Returns:
        One message per problem; empty for a whole record.
    """
    problems: list[str] = []
    main_input = _read(record, "main_input", label, problems)
    main_output = _read(record, "main_output", label, problems)
    main_error = _read(record, "main_error", label, problems)
    calls = _read(record, "calls", label, problems) or []
    for field, value in (("main_input", main_input), ("main_output", main_output)):
        bad = _json_problem(label, field, value)
        if bad:
            problems.append(bad)
    problems.extend(_input_problems(label, call, main_input, expect_input))
    if outcome.error is None:
        problems.extend(_output_problems(label, call, outcome, main_output, expect_output))
        if main_error is not None:
            problems.append(
                f"{label} has main_error {short(main_error)}, but {call} {outcome.describe()} "
                "without raising"
            )
    else:
        problems.extend(_error_problems(label, call, outcome.error, main_output, main_error))
    if app_id is not None and getattr(record, "app_id", None) != app_id:
        problems.append(
            f"{label} has app_id {short(record.app_id)}, not its recorder's {short(app_id)}"
        )
    problems.extend(_perf_problems(label, record))
    problems.extend(_call_problems(label, calls))
    return problems


def _input_problems(label: str, call: str, main_input: Any, expect: Any) -> list[str]:
    hook = "the adapter's spyglass_main_input hook"
    if main_input is None:
        return [f"{label} has no main_input: {hook} returned None for {call}"]
    if isinstance(main_input, str) and main_input.startswith(_FALLBACK):
        return [
            (
                f"{label} main_input is spyglass's fallback text {short(main_input)}: "
                f"{hook} returned None (or raised) for {call}"
            )
        ]
    if expect is not None and main_input != expect:
        return [
            (
                f"{label} main_input is {short(main_input)}, expected {short(expect)} "
                f"(expected_main_input()): {hook} gives the wrong value for {call}"
            )
        ]
    return []


def _output_problems(
    label: str, call: str, outcome: Outcome, main_output: Any, expect: Any
) -> list[str]:
    hook = "the adapter's spyglass_main_output hook"
    if main_output is None:
        return [
            (
                f"{label} has no main_output: {hook} returned None for a call that "
                f"{outcome.describe()} ({call})"
            )
        ]
    if isinstance(main_output, str) and main_output.startswith(_FALLBACK):
        return [
            (
                f"{label} main_output is spyglass's fallback text {short(main_output)}: {hook} "
                f"returned None (or raised) for a call that {outcome.describe()} ({call})"
            )
        ]
    if expect is not None and main_output != expect:
        return [
            (
                f"{label} main_output is {short(main_output)}, but {call} {outcome.describe()} "
                f"(expected main_output {short(expect)}): {hook} gives the wrong value"
            )
        ]
    return []


def _error_problems(
    label: str, call: str, error: BaseException, main_output: Any, main_error: Any
) -> list[str]:
    problems: list[str] = []
    if main_error is None:
        problems.append(f"{label} has no main_error, but {call} raised {error_text(error)}")
    else:
        try:
            text = json.dumps(main_error)
        except Exception:  # noqa: BLE001 - reported above as not JSON
            text = str(main_error)
        if type(error).__name__ not in text:
            problems.append(
                f"{label} has main_error {short(main_error)}, which does not name the "
                f"exception {call} raised ({error_text(error)})"
            )
    if main_output is not None:
        problems.append(
            f"{label} has main_output {short(main_output)}, but {call} raised "
            f"{error_text(error)}: a failed call has no main output"
        )
    return problems


def _perf_problems(label: str, record: Any) -> list[str]:
    perf = getattr(record, "perf", None)
    if perf is None:
        return [f"{label} has no perf (start and end time of the root call)"]
    if perf.start_time > perf.end_time:
        return [f"{label} ends before it starts: perf {perf.start_time} > {perf.end_time}"]
    return []


def _in_app(path: str) -> bool:
    return path == "app" or path.startswith(("app.", "app["))


def _call_problems(label: str, calls: Sequence[Any]) -> list[str]:
    if not calls:
        return [
            (
                f"{label} has no calls: no instrumented method of the app ran (or none was "
                "reached by the recorder's walk); check the adapter's spyglass_instrument_specs"
            )
        ]
    problems: list[str] = []
    root = calls[-1]
    if not root.stack:
        return [f"{label}: its last call (the root) has an empty stack"]
    root_frame = str(root.stack[0])
    if len(root.stack) != 1:
        problems.append(
            f"{label}: its last call is {' -> '.join(map(str, root.stack))}, not the root "
            "call: the root call must end last (and a record holds one root)"
        )
    for i, call in enumerate(calls):
        name = " -> ".join(map(str, call.stack)) or "(empty stack)"
        if not call.stack:
            problems.append(f"{label} call {i} has an empty stack")
            continue
        if str(call.stack[0]) != root_frame:
            problems.append(
                f"{label} call {i} ({name}) does not start at the record's root call "
                f"{root_frame}: it belongs to another root"
            )
        outside = [str(f.path) for f in call.stack if not _in_app(str(f.path))]
        if outside:
            problems.append(
                f"{label} call {i} ({name}) has frames outside the app: {outside} "
                "(every path starts at `app`)"
            )
        perf = call.perf
        if perf is not None and perf.start_time > perf.end_time:
            problems.append(f"{label} call {i} ({name}) ends before it starts")
    return problems


def call_shape(record: Any) -> list[str]:
    """The record's calls as sorted ``path.method -> ...`` stacks (order-free)."""
    return sorted(" -> ".join(map(str, call.stack)) for call in record.calls)
