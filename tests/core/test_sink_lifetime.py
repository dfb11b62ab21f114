"""A recorder's sink outlives the recorder: kept for later recorders, shut down at exit.

Recorders and apps are freed as soon as the user drops them (nothing of spyglass keeps
them in a reference cycle), so the sinks they were given are kept by spyglass itself:
a sink is flushed and shut down once, at exit (tests/core/test_sinks.py runs that in a
child interpreter), and a later recorder may use it again.
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


def test_a_sink_outlives_its_recorder_and_serves_the_next_one() -> None:
    """Dropping a recorder neither loses its records nor shuts its sink down; a new
    recorder given the same sink delivers to it as before."""
    sink = Collecting()
    app = Echo()
    recorder = TruApp(app, sinks=[sink])
    with recorder:
        for i in range(3):
            app.reply(f"hi {i}")
    del recorder
    gc.collect()
    assert sinks_module.flush(10)
    again = TruApp(app, sinks=[sink])
    with again:
        app.reply("again")
    assert sinks_module.flush(10)
    assert ["HI 0", "HI 1", "HI 2", "AGAIN"] == sink.outputs
    assert 0 == sink.shutdowns


def test_a_removed_process_sink_is_not_shut_down() -> None:
    """remove_sink stops delivery without shutting the sink down, as documented."""
    sink = Collecting()
    add_sink(sink)
    remove_sink(sink)
    gc.collect()
    assert sinks_module.flush(10)
    assert not sink.shut.wait(0.2)
    assert 0 == sink.shutdowns
