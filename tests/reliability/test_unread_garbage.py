"""A recording dropped unread frees what its calls held by reference counting alone."""

from __future__ import annotations

import gc
import weakref

from spyglass.adapters.custom import TruApp, instrument


class Payload:
    """An argument or a result whose end the test watches."""


class Retriever:
    @instrument
    def retrieve(self, payload: Payload) -> list[Payload]:
        return [payload, Payload()]


class Service:
    def __init__(self) -> None:
        self.retriever = Retriever()

    @instrument
    def handle(self, payload: Payload) -> Payload:
        self.retriever.retrieve(payload)
        return Payload()


def test_unread_recordings_leave_nothing_for_the_cycle_collector() -> None:
    """Records nobody reads are never built; their calls, arguments and results go as
    soon as the recording does, and nothing is left for the cycle collector, whose
    passes would otherwise grow with every unread recorded call."""
    service = Service()
    recorder = TruApp(service, app_name="unread")
    with recorder:
        service.handle(Payload())  # the first call fills the caches
    gc.collect()
    gc.disable()
    try:
        seen: list[weakref.ref[Payload]] = []
        for _ in range(20):
            payload = Payload()
            seen.append(weakref.ref(payload))
            with recorder:
                seen.append(weakref.ref(service.handle(payload)))
            del payload
        assert [] == [ref for ref in seen if ref() is not None]
        assert 0 == gc.collect()
    finally:
        gc.enable()
