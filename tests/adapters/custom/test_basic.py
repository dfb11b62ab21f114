"""TruBasicApp: recording a plain function (as TruLens 1.x)."""

from __future__ import annotations

import pytest

from spyglass.adapters.custom import TruBasicApp, TruWrapperApp
from spyglass.core.plugins._manager import wrap_app


def upper(prompt: str) -> str:
    return prompt.upper()


def test_positional_call_gives_main_input_and_output() -> None:
    """`tb.app("hello")` records main_input `hello` and main_output `HELLO`."""
    tb = TruBasicApp(upper, app_name="upper")
    with tb as recording:
        ret = tb.app("hello")
    record = recording.get()
    assert "HELLO" == ret
    assert ("hello", "HELLO") == (record.main_input, record.main_output)


def test_keyword_call_rebinds_to_the_functions_signature() -> None:
    """main_input is read from the wrapped function's own parameters, also for keywords."""

    def answer(question: str, *, style: str = "plain") -> str:
        return f"{style}: {question}"

    tb = TruBasicApp(text_to_text=answer)
    ret, record = tb.with_record(tb.app, question="why?", style="short")
    assert "short: why?" == ret
    assert "why?" == record.main_input
    assert "short: why?" == record.main_output


def test_recorded_call_is_the_wrappers_call_at_path_app() -> None:
    """The one recorded call is `app._call`, holding the positional arguments as `args`."""
    tb = TruBasicApp(upper)
    _, record = tb.with_record(tb.app, "hi")
    assert ["app._call"] == [str(call.top) for call in record.calls]
    assert ["hi"] == list(record.calls[0].args["args"])
    assert "HI" == record.calls[0].rets


def test_with_record_on_the_app_object_calls_the_function() -> None:
    """with_record(tb.app, ...) and calling tb.app directly give the same result."""
    tb = TruBasicApp(upper)
    ret, record = tb.with_record(tb.app, "abc")
    assert ("ABC", "ABC") == (ret, record.main_output)


def test_app_argument_takes_an_existing_wrapper() -> None:
    """TruBasicApp(app=TruWrapperApp(f)) records the same as TruBasicApp(f)."""
    wrapper = TruWrapperApp(upper)
    tb = TruBasicApp(app=wrapper)
    assert tb.app is wrapper
    _, record = tb.with_record(tb.app, "x")
    assert "X" == record.main_output


def test_error_in_the_function_is_recorded_and_reraised() -> None:
    """A raising function: same exception object propagates; the record carries main_error."""
    problem = ValueError("bad prompt")

    def fails(prompt: str) -> str:
        raise problem

    tb = TruBasicApp(fails)
    with tb as recording, pytest.raises(ValueError) as info:
        tb.app("p")
    assert info.value is problem
    record = recording.get()
    assert record.main_error is not None
    assert "bad prompt" == record.calls[-1].error


def test_needs_exactly_one_of_function_or_app() -> None:
    """Neither or both of text_to_text/app is a TypeError that says how to call it."""
    with pytest.raises(TypeError, match="exactly one"):
        TruBasicApp()
    with pytest.raises(TypeError, match="exactly one"):
        TruBasicApp(upper, app=TruWrapperApp(upper))


def test_not_callable_is_a_type_error() -> None:
    """A non-callable text_to_text is refused, naming it."""
    with pytest.raises(TypeError, match="42"):
        TruBasicApp(42)  # type: ignore[arg-type]


def test_wrap_app_on_a_function_gives_a_basic_app() -> None:
    """wrap_app(function) picks TruBasicApp through the custom adapter."""
    recorder = wrap_app(upper, app_name="wrapped")
    assert isinstance(recorder, TruBasicApp)
    _, record = recorder.with_record(recorder.app, "q")
    assert "Q" == record.main_output


def test_calling_the_function_outside_a_recording_records_nothing() -> None:
    """No recording active: the wrapper just calls through."""
    tb = TruBasicApp(upper)
    assert "Z" == tb.app("z")
    with tb as recording:
        pass
    assert 0 == len(recording.records)
