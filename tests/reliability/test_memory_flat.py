"""Memory stays flat over 10,000 records of an app that creates classes per call: no
cache keeps a class (or what hangs off it) alive once the app drops it."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from spyglass.adapters.custom import TruApp, instrument

N = 10_000


class Helper:
    @instrument
    def help(self, value: Any) -> Any:
        return value


class ClassFactoryApp:
    """Makes two classes per call: a plain one (an argument and a return value) and a
    subclass of an instrumented class (its method is recorded under the caller)."""

    def __init__(self) -> None:
        self.helper = Helper()
        self.made: weakref.WeakSet[type] = weakref.WeakSet()

    @instrument
    def respond(self, question: str) -> Any:
        made = type("Made", (), {"question": question})
        sub = type("SubHelper", (Helper,), {})
        self.made.add(made)
        self.made.add(sub)
        return sub().help(made())


def _objects() -> int:
    gc.collect()
    return len(gc.get_objects())


def test_classes_made_per_call_do_not_accumulate_over_10000_records() -> None:
    """After 10,000 records no class the app made is alive, and the number of live
    objects is flat (a few hundred at most: weak-reference bookkeeping)."""
    app = ClassFactoryApp()
    recorder = TruApp(app, app_name="class-factory")

    def run(n: int) -> None:
        for _ in range(n):
            with recorder as recording:
                app.respond("q")
            assert len(recording.get().calls) == 2

    run(1_000)  # warm up: fills the bounded caches (lens texts, key decisions)
    before = _objects()
    run(N - 1_000)
    after = _objects()
    assert len(app.made) == 0
    assert after - before < 500, (before, after)
