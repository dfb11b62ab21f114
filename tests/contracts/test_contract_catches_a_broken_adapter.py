"""The contract suite fails a broken adapter, and says what is wrong in adapter-author terms.

``_broken_echo.py`` holds a deliberately broken adapter and its contract test class.
It runs in a pytest subprocess (pytester), with ``filterwarnings = error`` as here, so
that its plugin and its patches never reach this session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

BROKEN = Path(__file__).with_name("_broken_echo.py")

# One pattern per mistake of the broken adapter (see _broken_echo.py's docstring); `*`
# matches anything within one line of the output.
SAYS_WHY = {
    "main_input hook raises (logged, so reported)": (
        "*spyglass logged WARNING (spyglass.*): spyglass plugin 'brokenecho' raised in hook "
        "spyglass_main_input*KeyError: 'question'"
    ),
    "main_output hook gives the wrong value": (
        "*record 0 main_output is '!EREHT OLLEH', but call(app, 'hello there') returned "
        "'HELLO THERE!'*the adapter's spyglass_main_output hook gives the wrong value"
    ),
    "its patch changes what the app returns": (
        "*with recording, call(app, 'hello there') returned 'HELLO THERE!' instead of "
        "'HELLO THERE'*spyglass must never change what the app returns or raises"
    ),
    "its patch survives uninstrument()": (
        "*after uninstrument(), Shouter.shout is still a wrapper*around the original*"
    ),
    "its stream wrapper drops a chunk": (
        "*with recording, the stream of stream(app, 'hello there') yielded ['HELLO*'] instead "
        "of ['HELLO ', 'THERE ']*"
    ),
    "its stream wrapper does not end the call on close": (
        "*1 stream call(s) in one `with recorder` block gave 2 record(s)*roots: "
        "app.shouter.shout, app.shouter.shout"
    ),
    "Echo.areply is not instrumented": (
        "*recorder.instrumented() does not list Echo.areply, which "
        "TestBrokenEcho.instrumented_methods claims*"
    ),
    "calls of the uninstrumented areply become their own roots": (
        "*record 0's root call is app.shouter.shout, not a method of the app at `app`*"
    ),
    "a hook argument with a default is never passed": (
        "*spyglass_main_output gives 'streamed' a default, so pluggy never passes it*"
    ),
}


def test_contract_suite_fails_a_broken_adapter_saying_why(pytester: pytest.Pytester) -> None:
    """Every rule the broken adapter breaks fails its test with a message naming the mistake."""
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(test_broken_echo=BROKEN.read_text(encoding="utf-8"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rfs")
    text = result.stdout.str()
    missing = [rule for rule, pattern in SAYS_WHY.items() if not _matches(text, pattern)]
    assert [] == missing, f"no line says why for: {missing}\n{text}"
    failed = {
        line.split("::")[-1].split(" ")[0]
        for line in result.outlines
        if line.startswith("FAILED test_broken_echo.py::TestBrokenEcho::")
    }
    # wrap_app still picks the adapter's recorder; the async stream is not provided.
    assert {
        "test_sync_calls_give_one_whole_record_each",
        "test_async_calls_give_one_whole_record_each",
        "test_failing_call_gives_one_record_with_main_error",
        "test_failing_async_call_gives_one_record_with_main_error",
        "test_stream_read_to_the_end_gives_one_whole_record",
        "test_stream_closed_early_gives_one_record",
        "test_stream_failing_midway_gives_one_record_with_main_error",
        "test_threads_with_their_own_recorders_each_get_their_record",
        "test_thread_pool_calls_in_one_recording_give_one_record_each",
        "test_print_instrumented_lists_the_claimed_methods",
        "test_uninstrument_restores_every_original",
        "test_plugin_passes_check_plugin",
    } == failed, text
    result.assert_outcomes(failed=12, passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["*does not define astream(): the app has no async stream to check*"]
    )


def _matches(text: str, pattern: str) -> bool:
    """Whether one line holds the pattern's ``*``-separated pieces, in order (no other
    wildcards: brackets are literal, unlike fnmatch)."""
    pieces = [p for p in pattern.split("*") if p]
    for line in text.splitlines():
        at = 0
        for piece in pieces:
            at = line.find(piece, at)
            if at < 0:
                break
            at += len(piece)
        else:
            return True
    return False
