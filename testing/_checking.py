"""The checking machinery behind `AdapterContract`: records counted, paired and judged.

`ContractChecks` holds what every contract test shares: the baseline (the app without
recording), pairing records with the calls that made them, the per-record checks and
the failure report. The tests themselves are in :mod:`._contract`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from spyglass.core import App

from ._hooks import AdapterHooks, Baseline, Skip
from ._outcome import Outcome, call_outcome, error_text, outcome_problems, short
from ._records import call_shape, record_problems

if TYPE_CHECKING:
    from spyglass.core import Record, Recording

__all__ = ["BASELINES", "ContractChecks", "root_of"]

BASELINES: dict[type, Baseline] = {}
"""Test class -> what its app does without recording (filled before its first test)."""


def root_of(record: Record) -> str:
    """The record's root frame (``app.invoke``), for messages."""
    calls = record.calls
    return str(calls[-1].stack[0]) if calls and calls[-1].stack else "(no calls)"


class ContractChecks(AdapterHooks):
    """The helpers of the contract tests (see :class:`~spyglass.testing.AdapterContract`)."""

    def _baseline(self) -> Baseline:
        found = BASELINES.get(type(self))
        if found is None:  # run outside pytest's fixtures (a direct call)
            found = BASELINES[type(self)] = self.compute_baseline()
        return found

    @staticmethod
    def _need(value: Any) -> Any:
        if isinstance(value, Skip):
            pytest.skip(value.reason)
        return value

    def _report(self, what: str, problems: Sequence[str]) -> None:
        if problems:
            lines = "\n".join(f"  - {p}" for p in problems)
            pytest.fail(
                f"{type(self).__name__}: {what}: {len(problems)} problem(s):\n{lines}",
                pytrace=False,
            )

    @staticmethod
    def _records(recording: Recording, problems: list[str]) -> list[Record]:
        try:
            return list(recording.records)
        except Exception as exc:  # noqa: BLE001 - reported
            problems.append(f"reading the recording's records raised {error_text(exc)}")
            return []

    def _baseline_problems(
        self, kind: str, inputs: Sequence[Any], plain: Sequence[Outcome]
    ) -> list[str]:
        return [
            f"without recording, {kind}(app, {short(x)}) {o.describe()}: example_inputs must "
            "be inputs the app answers"
            for x, o in zip(inputs, plain)
            if o.error is not None
        ]

    def _expected_output(self, x: Any, outcome: Outcome) -> Any:
        if outcome.error is not None:
            return None
        if outcome.chunks is not None:
            return self.expected_stream_output(x, list(outcome.chunks))
        return self.expected_main_output(x, outcome.value)

    def _check(
        self,
        recorder: App,
        records: Sequence[Record],
        calls: Sequence[tuple[Any, Outcome]],
        kind: str,
        *,
        ordered: bool = True,
        no_record_hint: str = "",
    ) -> list[str]:
        """Count the records (one per call), pair them with the calls, check each."""
        if len(records) != len(calls):
            if not records:
                hint = no_record_hint or (
                    "no instrumented method ran as a root call: check that the adapter's "
                    "spyglass_instrument_specs covers the app's entry point and that the "
                    "recorder's walk reaches the app"
                )
            else:
                hint = (
                    "each top-level call must give exactly one record (a call recorded as "
                    "several roots, or calls merged into one root?); the records' roots: "
                    f"{', '.join(root_of(r) for r in records)}"
                )
            return [
                (
                    f"{len(calls)} {kind} call(s) in one `with recorder` block gave "
                    f"{len(records)} record(s): {hint}"
                )
            ] + self._root_problems(records)
        pairs = list(zip(records, calls)) if ordered else self._match(records, calls)
        problems = self._root_problems(records)
        for i, (record, (x, outcome)) in enumerate(pairs):
            problems.extend(
                record_problems(
                    record,
                    outcome=outcome,
                    label=f"record {i}",
                    call=f"{kind}(app, {short(x)})",
                    expect_input=self.expected_main_input(x),
                    expect_output=self._expected_output(x, outcome),
                    app_id=recorder.app_id,
                )
            )
        return problems

    def _root_problems(self, records: Sequence[Record]) -> list[str]:
        if self.root_path is None:
            return []
        problems = []
        for i, record in enumerate(records):
            calls = record.calls
            if calls and calls[-1].stack and str(calls[-1].stack[0].path) != self.root_path:
                problems.append(
                    f"record {i}'s root call is {root_of(record)}, not a method of the app at "
                    f"`{self.root_path}`: a component was called outside the app's entry-point "
                    "call (is the entry point instrumented? did its call end before its "
                    "stream was read?)"
                )
        return problems

    def _match(
        self, records: Sequence[Record], calls: Sequence[tuple[Any, Outcome]]
    ) -> list[tuple[Record, tuple[Any, Outcome]]]:
        """Pair records with concurrent calls by main input (in order where it cannot tell)."""
        left = list(calls)
        pairs: list[tuple[Record, tuple[Any, Outcome]]] = []
        for record in records:
            index = next(
                (
                    i
                    for i, (x, _) in enumerate(left)
                    if self.expected_main_input(x) is not None
                    and self.expected_main_input(x) == record.main_input
                ),
                0,
            )
            pairs.append((record, left.pop(index)))
        return pairs

    def _compare(self, kind: str, pairs: Sequence[tuple[Any, Outcome, Outcome]]) -> list[str]:
        return [
            p
            for x, plain, recorded in pairs
            for p in outcome_problems(
                f"{kind}(app, {short(x)})", plain, recorded, self.normalise, self.normalise_chunk
            )
        ]

    def _shape_problems(self, records: Sequence[Record], inputs: Sequence[Any]) -> list[str]:
        """Records of concurrent calls hold the same calls as each call made alone."""
        if not self.deterministic_calls:
            return []
        alone: dict[int, list[str]] = {}
        problems: list[str] = []
        for i, x in enumerate(inputs):
            key = next(j for j, y in enumerate(inputs) if y == x)
            if key not in alone:
                app = self.make_app()
                with self.make_recorder(app) as recording:
                    call_outcome(partial(self.call, app, x))
                got = self._records(recording, problems)
                alone[key] = call_shape(got[0]) if got else []
            shape = call_shape(records[i])
            if alone[key] and shape != alone[key]:
                problems.append(
                    f"the record of concurrent call(app, {short(x)}) holds {len(shape)} calls, "
                    f"but the same call made alone records {len(alone[key])}: calls of "
                    "concurrent calls leaked into it or were lost (set deterministic_calls = "
                    "False if the app's calls vary from run to run)"
                )
        return problems
