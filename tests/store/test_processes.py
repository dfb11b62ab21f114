"""Several processes on one database: crash safety, concurrent SQLite writers."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from spyglass.store import TruSession

CHILD = Path(__file__).with_name("_child.py")


def _start(url: str, mode: str, count: int, log: Path) -> subprocess.Popen[str]:
    with open(log, "w") as err:
        return subprocess.Popen(
            [sys.executable, str(CHILD), url, mode, str(count)],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )


def _stored(session: TruSession) -> dict[str, tuple[int, int]]:
    """record id -> (calls in its JSON, rows in the calls table)."""
    import sqlalchemy as sa

    from spyglass.store._tables import tables

    t = tables(session.database_prefix)
    with session.engine.connect() as conn:
        records = conn.execute(sa.select(t.records.c.record_id, t.records.c.record_json)).all()
        counts = dict(
            conn.execute(
                sa.select(t.calls.c.record_id, sa.func.count()).group_by(t.calls.c.record_id)
            ).all()
        )
    out = {}
    for record_id, record_json in records:
        data = json.loads(record_json) if isinstance(record_json, str) else record_json
        out[record_id] = (len(data["calls"]), counts.get(record_id, 0))
    return out


def test_acknowledged_records_survive_sigkill(database_url: str, tmp_path: Path) -> None:
    """A child recording in immediate mode is killed with SIGKILL at random points: every
    record whose call returned is stored, and no stored record is half-written."""
    rng = random.Random(13)
    acknowledged: list[str] = []
    for run in range(2):
        log = tmp_path / f"child{run}.log"
        child = _start(database_url, "immediate", 0, log)
        assert child.stdout is not None
        try:
            for _ in range(rng.randint(5, 40)):
                line = child.stdout.readline()
                assert line, log.read_text()
                acknowledged.append(line.strip())
            time.sleep(rng.random() * 0.05)  # the kill lands anywhere in a later call
            os.kill(child.pid, signal.SIGKILL)
            rest, _ = child.communicate(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        acknowledged += rest.split()  # printed, so acknowledged, before the kill

    session = TruSession(database_url=database_url)
    try:
        stored = _stored(session)
    finally:
        session.close()
    assert [] == [r for r in acknowledged if r not in stored]
    assert {(3, 3)} == set(stored.values())  # respond + two steps, all or nothing


def test_eight_sqlite_writer_processes_lose_nothing(sqlite_url: str, tmp_path: Path) -> None:
    """8 processes open a new SQLite file and write into it at once: the schema is made
    once, no "database is locked", nothing lost."""
    per_child = 25
    children = [_start(sqlite_url, "buffered", per_child, tmp_path / f"w{n}.log") for n in range(8)]
    outputs = []
    for n, child in enumerate(children):
        out, _ = child.communicate(timeout=120)
        log = (tmp_path / f"w{n}.log").read_text()
        assert 0 == child.returncode, log
        assert "locked" not in log
        outputs.append(out.strip())
    assert [f"done {per_child} flushed=True dropped=0"] * 8 == outputs
    session = TruSession(database_url=sqlite_url)
    try:
        stored = _stored(session)
        assert 8 * per_child == len(stored)
        assert 8 * per_child == session.get_leaderboard().loc[("child", "base"), "records"]
    finally:
        session.close()
