"""A recording process for the store's multi-process tests (run as a script).

Usage: python _child.py DATABASE_URL MODE COUNT
MODE "immediate": prints each record id once its call returned (committed), forever
or COUNT times. MODE "buffered": records COUNT records, flushes, prints "done N dropped".
"""

from __future__ import annotations

import sys

from spyglass.adapters.custom import TruCustomApp, instrument
from spyglass.store import TruSession


class App:
    @instrument
    def step(self, n: int) -> int:
        return n * 2

    @instrument
    def respond(self, n: int) -> str:
        return f"{self.step(n)} {self.step(n + 1)}"


def main() -> None:
    url, mode, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    session = TruSession(database_url=url)
    app = App()
    recorder = TruCustomApp(app, app_name="child", record_ingest_mode=mode)
    n = 0
    while count <= 0 or n < count:
        with recorder as recording:
            app.respond(n)
        if mode == "immediate":
            print(recording.get().record_id, flush=True)
        n += 1
    if mode == "buffered":
        ok = session.flush(120)
        print(f"done {n} flushed={ok} dropped={session.dropped}", flush=True)


if __name__ == "__main__":
    main()
