"""No registered secret value or URL password appears in a record, app definition or log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from spyglass.adapters.custom import TruApp, instrument
from spyglass.core import register_secret
from spyglass.core.plugins import _manager as plugins
from spyglass.core.plugins.hookspecs import hookimpl
from spyglass.core.serial import unregister_secret

SECRET = "sk-live-5ecret-d0nt-leak"
PASSWORD = "hunter2pw"
DSN = f"postgresql://alice:{PASSWORD}@db.internal:5432/prod"


class Config:
    def __str__(self) -> str:
        return f"Config(dsn={DSN}, key={SECRET})"


class Store:
    def __init__(self) -> None:
        self.dsn = DSN  # a component attribute: in the app definition


class App:
    def __init__(self) -> None:
        self.store = Store()

    @instrument
    def respond(self, question: Any) -> str:
        return f"connected to {DSN}"

    @instrument
    def settings(self) -> dict[str, str]:
        return {"api_key": SECRET, "answer": "42"}  # TruLens: the first value is the output

    @instrument
    def config(self) -> Config:
        return Config()

    @instrument
    def fail(self, question: str) -> str:
        raise RuntimeError(f"auth failed with key {SECRET} on {DSN}")


@pytest.fixture()
def secret() -> Iterator[None]:
    register_secret(SECRET)
    yield
    unregister_secret(SECRET)


def _assert_clean(text: str) -> None:
    assert SECRET not in text
    assert PASSWORD not in text


def test_url_passwords_and_secrets_never_reach_a_record(secret: None) -> None:
    """Arguments, returns, main input/output, errors and the app definition are clean."""
    app = App()
    recorder = TruApp(app, app_name="secrets")
    with recorder as recording:
        app.respond({"dsn": DSN, "note": f"use {DSN} now"})
        with pytest.raises(RuntimeError) as raised:
            app.fail(f"why does {DSN} fail")
    assert SECRET in str(raised.value)  # the app's own exception is untouched
    for record in recording.records:
        _assert_clean(record.model_dump_json())
    _assert_clean(recorder.model_dump_json())
    assert "alice:__tru_redacted@db.internal" in recording.records[0].model_dump_json()


def test_key_named_values_never_reach_the_main_input_fallback_text() -> None:
    """ "Could not determine main input from ..." quotes redacted, bounded values."""
    app = App()
    recorder = TruApp(app, app_name="fallback")
    with recorder as recording:
        app.respond({"question": "q", "api_key": SECRET, "password": PASSWORD})
    record = recording.get()
    assert "Could not determine main input" in str(record.main_input)
    _assert_clean(record.model_dump_json())


class LeakyPlugin:
    """A plugin whose hook fails with a message that quotes a secret and a DSN."""

    @hookimpl
    def spyglass_main_output(
        self, app: Any, func: Any, bindings: Any, ret: Any, streamed: Any
    ) -> Any:
        raise ValueError(f"cannot parse {ret!r} with {SECRET} at {DSN}")


def test_secrets_never_reach_a_log_line(secret: None, caplog: pytest.LogCaptureFixture) -> None:
    """A hook failing with a secret in its message is logged with the secret redacted."""
    app = App()
    recorder = TruApp(app, app_name="logs")
    name = plugins.register_plugin(LeakyPlugin(), name="leaky-test-plugin")
    try:
        with caplog.at_level(logging.DEBUG, logger="spyglass"), recorder as recording:
            app.respond("hello")
        record = recording.get()
    finally:
        plugins.unregister_plugin(name)
    assert record.main_output == f"connected to {DSN.replace(PASSWORD, '__tru_redacted')}"
    logged = [r for r in caplog.records if "leaky" in r.getMessage()]
    assert logged, "the faulty hook is logged, naming the plugin"
    handler_text = "\n".join(logging.Formatter("%(message)s").format(r) for r in caplog.records)
    _assert_clean(handler_text)
    _assert_clean(caplog.text)


def test_key_named_values_never_reach_the_main_output_fallback(secret: None) -> None:
    """The main output rule never makes a secret-named value or a quoted secret the output."""
    app = App()
    recorder = TruApp(app, app_name="leaky")
    with recorder as recording:
        app.settings()
        app.config()
    for record in recording.records:
        _assert_clean(record.model_dump_json())
    assert recording.records[0].main_output == "__tru_redacted"
