"""Every schema model survives a JSON round trip: model_dump_json then model_validate_json."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from hypothesis import given, settings, strategies as st

from spyglass.core import (
    AppDefinition,
    Cost,
    FeedbackCall,
    FeedbackCombinations,
    FeedbackDefinition,
    FeedbackMode,
    FeedbackOnMissingParameters,
    FeedbackResult,
    FeedbackResultStatus,
    FeedbackRunLocation,
    Lens,
    Perf,
    Record,
    RecordAppCall,
    RecordAppCallMethod,
    RecordIngestMode,
)
from spyglass.core.serial._pyschema import Class, Function, Method, Module, Obj

# JSON values as stored: no NaN/inf (JSON has none), ints within the exact float range.
text = st.text(max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | text
    | st.floats(allow_nan=False, allow_infinity=False)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)
json_dicts = st.dictionaries(text, json_values, max_size=4)
# Microsecond datetimes without timezone, as spyglass writes them.
times = st.datetimes(min_value=datetime(1971, 1, 2), max_value=datetime(2100, 1, 1))
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)


@st.composite
def lenses(draw: st.DrawFn) -> Lens:
    """Lenses made of names, item keys, indexes (negative too) and slices."""
    lens = Lens()
    for kind in draw(st.lists(st.sampled_from(["name", "item", "index", "slice"]), max_size=5)):
        if kind == "name":
            lens = lens[draw(names)]
        elif kind == "item":
            lens = lens[draw(text)]
        elif kind == "index":
            lens = lens[draw(st.integers(-5, 5))]
        else:
            lens = lens[draw(st.integers(-3, 3)) : draw(st.integers(-3, 3) | st.none())]
    return lens


modules = st.builds(Module, package_name=st.none() | names, module_name=names)
classes = st.builds(Class, name=names, module=modules, bases=st.none())
objs = st.builds(Obj, cls=classes, id=st.integers(0, 2**62), init_bindings=st.none())
methods = st.builds(Method, obj=objs, name=names)
functions = st.builds(Function, module=modules, cls=st.none() | classes, name=names)
perfs = st.builds(Perf, start_time=times, end_time=times)
costs = st.builds(
    Cost,
    n_requests=st.integers(0, 10**6),
    n_tokens=st.integers(0, 10**9),
    cost=st.floats(0, 1e6, allow_nan=False),
    cost_currency=st.sampled_from(["USD", "EUR"]),
)
frames = st.builds(RecordAppCallMethod, path=lenses(), method=methods)
calls = st.builds(
    RecordAppCall,
    stack=st.lists(frames, min_size=1, max_size=3),
    args=json_dicts,
    rets=json_values,
    error=st.none() | text,
    perf=st.none() | perfs,
    pid=st.integers(0, 2**31),
    tid=st.integers(0, 2**31),
)
records = st.builds(
    Record,
    app_id=text,
    cost=st.none() | costs,
    perf=st.none() | perfs,
    ts=times,
    tags=st.none() | text,
    meta=json_values,
    main_input=json_values,
    main_output=json_values,
    main_error=json_values,
    calls=st.lists(calls, max_size=4),
)
definitions = st.builds(
    FeedbackDefinition,
    implementation=st.none() | functions | methods,
    aggregator=st.none() | functions,
    combinations=st.sampled_from(list(FeedbackCombinations)),
    if_exists=st.none() | lenses(),
    if_missing=st.sampled_from(list(FeedbackOnMissingParameters)),
    run_location=st.none() | st.sampled_from(list(FeedbackRunLocation)),
    selectors=st.dictionaries(names, lenses(), max_size=3),
    supplied_name=st.none() | text,
    higher_is_better=st.booleans(),
)
feedback_calls = st.builds(FeedbackCall, args=json_dicts, ret=json_values, meta=json_dicts)
feedback_results = st.builds(
    FeedbackResult,
    record_id=text,
    feedback_definition_id=st.none() | text,
    last_ts=times,
    status=st.sampled_from(list(FeedbackResultStatus)),
    cost=costs,
    name=text,
    calls=st.lists(feedback_calls, max_size=3),
    result=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    error=st.none() | text,
    multi_result=st.none() | text,
)
app_definitions = st.builds(
    AppDefinition,
    app_id=st.none(),
    app_name=names,
    app_version=names,
    tags=text,
    metadata=json_dicts,
    feedback_definitions=st.lists(text, max_size=3),
    feedback_mode=st.sampled_from(list(FeedbackMode)),
    record_ingest_mode=st.sampled_from(list(RecordIngestMode)),
    root_class=classes,
    app=json_values,
    app_extra_json=json_values,
    selector_check_warning=st.booleans(),
    selector_nocheck=st.booleans(),
)


def _round_trip(model: Any) -> Any:
    return type(model).model_validate_json(model.model_dump_json())


@settings(max_examples=60, deadline=None)
@given(records)
def test_record_round_trip(record: Record) -> None:
    """A Record (with calls, stacks, lenses, perf, cost) reads back equal from its JSON."""
    assert record == _round_trip(record)


@settings(max_examples=60, deadline=None)
@given(calls)
def test_record_app_call_round_trip(call: RecordAppCall) -> None:
    """A RecordAppCall reads back equal from its JSON."""
    assert call == _round_trip(call)


@settings(max_examples=60, deadline=None)
@given(definitions)
def test_feedback_definition_round_trip(definition: FeedbackDefinition) -> None:
    """A FeedbackDefinition reads back equal, with the same id, from its JSON."""
    loaded = _round_trip(definition)
    assert (definition, hash(definition)) == (loaded, hash(loaded))


@settings(max_examples=60, deadline=None)
@given(feedback_results)
def test_feedback_result_round_trip(result: FeedbackResult) -> None:
    """A FeedbackResult (with its calls) reads back equal from its JSON."""
    assert result == _round_trip(result)


@settings(max_examples=60, deadline=None)
@given(app_definitions)
def test_app_definition_round_trip(definition: AppDefinition) -> None:
    """An AppDefinition reads back equal from its JSON (no deprecation warning on load)."""
    assert definition == _round_trip(definition)


@settings(max_examples=60, deadline=None)
@given(perfs, costs)
def test_measures_round_trip(perf: Perf, cost: Cost) -> None:
    """Perf and Cost, as used in records, read back equal from their JSON."""
    assert (perf, cost) == (_round_trip(perf), _round_trip(cost))


@settings(max_examples=60, deadline=None)
@given(records)
def test_record_dump_is_plain_json(record: Record) -> None:
    """model_dump() of a record is already JSON data (no datetimes, lenses or models)."""

    def plain(value: Any) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(map(plain, value))
        if isinstance(value, float):
            return math.isfinite(value)
        return value is None or isinstance(value, (str, int, bool))

    assert plain(record.model_dump())
