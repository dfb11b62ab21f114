"""The `spyglass` command, run through its installed entry point in a subprocess."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _dash_data
import pytest

from spyglass.adapters.custom import TruApp
from spyglass.core import Feedback
from spyglass.core.sinks import set_current_store
from spyglass.store import TruSession

SPYGLASS = shutil.which("spyglass", path=str(Path(sys.executable).parent))


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Any:
    assert SPYGLASS, "the spyglass console script is not installed next to this Python"
    return subprocess.run(
        [SPYGLASS, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        check=False,
    )


def run_json(*args: str, **kw: Any) -> Any:
    done = run(*args, "--json", **kw)
    assert 0 == done.returncode, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """A database file holding the example apps' records (the session closed again)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.sqlite'}"
    session = TruSession(database_url=url)
    try:
        ids = _dash_data.fill(session)
    finally:
        session.close()
        set_current_store(None)
    yield url, ids


def test_records_lists_filters_and_shows(db: tuple[str, dict[str, list[str]]]) -> None:
    """`records --json` pages and filters; `records show ID --json` has the feedback reasons."""
    url, ids = db
    listed = run_json("records", "--database-url", url, "--limit", "5")
    assert 12 == listed["total"] and 5 == len(listed["records"])
    by_app = run_json("records", "--database-url", url, "--app-name", "langchain")
    assert {"langchain"} == {r["app_name"] for r in by_app["records"]}
    assert 4 == by_app["total"]
    text = run_json("records", "--database-url", url, "--text", "Seine")
    # six questions about the Seine, and langchain v2's answer to the other question
    assert 7 == text["total"]
    record_id = ids[next(iter(ids))][0]
    shown = run_json("records", "show", record_id, "--database-url", url)
    assert record_id == shown["record_id"]
    grounded = next(f for f in shown["feedbacks"] if f["name"] == "grounded")
    assert _dash_data.REASON in grounded["calls"][0]["meta"]["reason"]
    table = run("records", "--database-url", url)
    assert 0 == table.returncode and "12 records" in table.stdout


def test_leaderboard_json_agrees_with_records(db: tuple[str, dict[str, list[str]]]) -> None:
    """`leaderboard --json`: one row per version; its counts are the records' counts."""
    url, ids = db
    board = run_json("leaderboard", "--database-url", url)
    assert set(ids) == {r["app_id"] for r in board}
    for row in board:
        assert len(ids[row["app_id"]]) == row["records"]
        assert {"grounded", "length"} == set(row["feedbacks"])
        assert row["p50"] is not None and row["p95"] >= row["p50"]
    assert "Leaderboard" in run("leaderboard", "--database-url", url).stdout


def test_export_jsonl_and_parquet(db: tuple[str, dict[str, list[str]]], tmp_path: Path) -> None:
    """`export` writes every record as JSON lines (stdout or a file) or as Parquet."""
    url, ids = db
    done = run("export", "--database-url", url)
    assert 0 == done.returncode, done.stderr
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    assert {r for v in ids.values() for r in v} == {x["record_id"] for x in lines}
    assert all({"grounded", "length"} <= set(x["feedbacks"]) for x in lines)
    target = tmp_path / "records.parquet"
    done = run("export", "--database-url", url, "--format", "parquet", "-o", str(target))
    assert 0 == done.returncode, done.stderr
    import pyarrow.parquet as pq

    assert 12 == pq.read_table(target).num_rows


def test_db_info_upgrade_and_reset(tmp_path: Path) -> None:
    """`db upgrade`, `db info` and `db reset --yes`; reset without --yes refuses to run
    when it cannot ask."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgraded = run_json("db", "upgrade", "--database-url", url)
    assert upgraded["revision"]
    session = TruSession(database_url=url)
    try:
        rag = _dash_data.RAG("short")
        feedbacks = [Feedback(_dash_data.answer_length, name="length").on_output()]
        with TruApp(rag, app_name="custom rag", feedbacks=feedbacks) as recording:
            for q in _dash_data.QUESTIONS:
                rag.respond(q)
        for record in recording.records:
            record.wait_for_feedback_results(feedback_timeout=30)
        assert session.flush(30)
    finally:
        session.close()
        set_current_store(None)
    info = run_json("db", "info", "--database-url", url)
    assert (1, 2, 2) == (info["apps"], info["records"], info["feedback_results"])
    refused = run("db", "reset", "--database-url", url)
    assert 2 == refused.returncode and "--yes" in refused.stderr
    assert run_json("db", "reset", "--yes", "--database-url", url)["reset"]
    assert 0 == run_json("db", "info", "--database-url", url)["records"]


def test_evaluate_runs_deferred_feedback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`evaluate --until-done` evaluates the pending feedback of deferred records."""
    (tmp_path / "dash_deferred_fb.py").write_text(
        "def short_answer(response):\n    return 1.0 if len(str(response)) < 80 else 0.0\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("dash_deferred_fb")
    url = f"sqlite:///{tmp_path / 'deferred.sqlite'}"
    session = TruSession(database_url=url)
    try:
        rag = _dash_data.RAG("short")
        feedback = Feedback(module.short_answer, name="short").on_output()
        recorder = TruApp(rag, app_name="deferred", feedbacks=[feedback], feedback_mode="deferred")
        with recorder:
            for q in _dash_data.QUESTIONS:
                rag.respond(q)
        assert session.flush(30)
        assert {"none": 2} == session.reader().evaluation(limit=0)["counts"]
    finally:
        session.close()
        set_current_store(None)
    env = {"PYTHONPATH": str(tmp_path)}
    counts = run_json(
        "evaluate",
        "--database-url",
        url,
        "--until-done",
        "--allow-module",
        "dash_deferred_fb",
        "--workers",
        "2",
        env=env,
    )
    assert {"done": 2} == counts


def test_instrumented_prints_the_app(tmp_path: Path) -> None:
    """`instrumented module:attribute` prints what spyglass instruments in that app."""
    (tmp_path / "dash_cli_app.py").write_text(
        "from spyglass.adapters.custom import instrument\n"
        "class Bot:\n"
        "    @instrument\n"
        "    def answer(self, q):\n"
        "        return q\n"
        "bot = Bot()\n"
    )
    done = run("instrumented", "dash_cli_app:bot", env={"PYTHONPATH": str(tmp_path)})
    assert 0 == done.returncode, done.stderr
    assert "answer" in done.stdout
    missing = run("instrumented", "dash_cli_app:nothing", env={"PYTHONPATH": str(tmp_path)})
    assert 3 == missing.returncode and "no attribute 'nothing'" in missing.stderr


def test_dashboard_command_serves_until_interrupted(db: tuple[str, dict[str, list[str]]]) -> None:
    """`spyglass dashboard` serves the pages; Ctrl-C (SIGINT) stops it cleanly."""
    url, _ = db
    assert SPYGLASS
    proc = subprocess.Popen(
        [SPYGLASS, "dashboard", "--database-url", url, "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        served = line.split("Dashboard at ", 1)[1].split()[0]
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(served + "leaderboard", timeout=5) as resp:
                    assert 200 == resp.status and "langchain" in resp.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        if proc.stderr is not None:
            proc.stderr.close()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["records", "--limit", "0"], 2, "--limit"),
        (["records", "--status", "maybe"], 2, "'ok' or 'error'"),
        (["records", "show", "record_nope"], 3, "no record 'record_nope'"),
        (["export", "--format", "xml"], 2, "not jsonl or parquet"),
        (["export", "--format", "parquet"], 2, "-o FILE"),
        (["instrumented", "no_colon_here"], 2, "module:attribute"),
        (["leaderboard", "--database-url", "nosuchdriver://x"], 1, "cannot open the database"),
        (["bogus"], 2, "No such command"),
    ],
)
def test_wrong_arguments_say_what_is_wrong(
    db: tuple[str, dict[str, list[str]]], args: list[str], code: int, message: str
) -> None:
    """A wrong argument exits non-zero with a message naming the problem."""
    url, _ = db
    if "--database-url" not in args and args[0] != "bogus" and args[0] != "instrumented":
        args = [*args, "--database-url", url]
    done = run(*args)
    assert code == done.returncode, done.stderr
    assert message in done.stderr
