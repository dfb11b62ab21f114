"""A recorder's sink is shut down when the last recorder using it goes, not only at exit.

Recorders and apps are freed as soon as the user drops them (nothing of spyglass keeps
them in a reference cycle), so a recorder's own sink must not depend on the recorder
living until exit to be flushed and shut down.
"""

from __future__ import annotations

import gc
import threading
from typing import Any

from spyglass.adapters.custom import TruApp, instrument
from spyglass.core import RecordSink, add_sink, remove_sink, sinks as sinks_module


class Echo:
    @instrument
    def reply(self, text: str) -> str:
        return text.upper()


class Collecting(RecordSink):
    def __init__(self) -> None:
        self.outputs: list[str] = []
        self.shut = threading.Event()
        self.shutdowns = 0

    def on_record(self, record: Any, app: Any) -> None:
        self.outputs.append(record.main_output)

    def shutdown(self) -> None:
        self.shutdowns += 1
        self.shut.set()


def test_a_recorders_sink_is_shut_down_after_its_records_when_the_recorder_goes() -> None:
    """Every record reaches the sink, then shutdown() runs once, when the recorder is gone."""
    sink = Collecting()
    app = Echo()
    recorder = TruApp(app, sinks=[sink])
    with recorder:
        for i in range(5):
            app.reply(f"hi {i}")
    assert sinks_module.flush(10)
    assert not sink.shut.is_set()
    del recorder
    gc.collect()
    assert sink.shut.wait(10)
    assert [f"HI {i}" for i in range(5)] == sink.outputs
    assert 1 == sink.shutdowns


def test_a_removed_process_sink_is_not_shut_down() -> None:
    """remove_sink stops delivery without shutting the sink down, as documented."""
    sink = Collecting()
    add_sink(sink)
    remove_sink(sink)
    gc.collect()
    assert sinks_module.flush(10)
    assert not sink.shut.wait(0.2)
    assert 0 == sink.shutdowns
