"""The 10-call app of the store's tests and of ``bench/bench_store.py``: a root call
that makes nine calls of a component."""

from __future__ import annotations

from spyglass.adapters.custom import instrument


class Tool:
    @instrument
    def run(self, n: int) -> int:
        return n + 1


class App:
    def __init__(self) -> None:
        self.tool = Tool()

    @instrument
    def respond(self, question: str) -> str:
        total = sum(self.tool.run(i) for i in range(9))  # 1 root + 9 calls = 10 calls
        return f"{question}: {total}"
