"""The ``spyglass`` command: the commands, each a thin layer over a public API.

Exit codes: 0 success; 1 the work failed (the database could not be opened, an export
could not be written, ...); 2 a wrong command line (Click's usage errors); 3 what was
asked for does not exist (an unknown record id, app id or attribute); 130 interrupted.
Every command reads ``--database-url`` (default: ``SPYGLASS_DATABASE_URL``, else
``TruSession``'s own default, ``sqlite:///default.sqlite``) and writes tables for people
or, with ``--json``, JSON for scripts, on standard output; messages go to standard error.
"""

from __future__ import annotations

import importlib
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from ._deps import rich_console, rich_progress, rich_table, typer

__all__ = ["app"]

NOT_FOUND = 3
FAILED = 1

app = typer.Typer(
    name="spyglass",
    help="Look at what spyglass recorded: records, leaderboard, dashboard, evaluation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
records_app = typer.Typer(help="List records, or show one.", no_args_is_help=False)
db_app = typer.Typer(help="The database: upgrade its schema, describe it, reset it.")
app.add_typer(records_app, name="records")
app.add_typer(db_app, name="db")

out = rich_console.Console(soft_wrap=True)
err = rich_console.Console(stderr=True)

DatabaseUrl = typer.Option(
    None,
    "--database-url",
    envvar="SPYGLASS_DATABASE_URL",
    help="SQLAlchemy URL of the database (default: sqlite:///default.sqlite).",
    show_default=False,
)
AsJson = typer.Option(False, "--json", help="Write JSON (for scripts) instead of a table.")
AllowModule = typer.Option(
    None, "--allow-module", help="Module prefix stored feedbacks may be loaded from (repeat)."
)
OutputFile = typer.Option(
    None, "--output", "-o", help="File to write (default: standard output, jsonl only)."
)


def _fail(message: str, code: int = FAILED) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def _session(database_url: str | None) -> Any:
    """The ``TruSession`` of ``database_url``; a failure to open it exits with code 1."""
    try:
        from spyglass.store import TruSession

        return TruSession(database_url=database_url)
    except Exception as exc:  # noqa: BLE001 - the store's errors name the problem and fix
        _fail(f"cannot open the database: {exc}")


def _source(session: Any) -> Any:
    """The session's read-only queries (``spyglass.store.Reader``)."""
    return session.reader()


def _emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, default=str, ensure_ascii=False) + "\n")


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _short(value: Any, n: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= n else text[: n - 1] + "…"


# -- dashboard ----------------------------------------------------------------------


@app.command()
def dashboard(
    database_url: str | None = DatabaseUrl,
    port: int = typer.Option(8484, "--port", min=0, max=65535, help="TCP port (0: any)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    token: str | None = typer.Option(
        None,
        "--token",
        envvar="SPYGLASS_DASHBOARD_TOKEN",
        help="Access token every request must carry (?token=, cookie, or Bearer).",
    ),
) -> None:
    """Serve the dashboard until interrupted."""
    from spyglass.dashboard import serve

    session = _session(database_url)
    if port == 0:
        import socket

        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
    url = f"http://{host}:{port}/" + (f"?token={token}" if token else "")
    err.print(f"Dashboard at {url} (Ctrl-C stops it)", highlight=False)
    serve(session, port=port, address=host, token=token)


# -- evaluate -----------------------------------------------------------------------


@app.command()
def evaluate(
    database_url: str | None = DatabaseUrl,
    workers: int = typer.Option(1, "--workers", min=1, help="Worker threads."),
    allow_module: list[str] | None = AllowModule,
    lease_seconds: float = typer.Option(60.0, "--lease-seconds", min=1.0),
    until_done: bool = typer.Option(
        False, "--until-done", help="Stop when nothing is pending instead of waiting for more."
    ),
    as_json: bool = AsJson,
) -> None:
    """Evaluate deferred feedback: run workers until stopped, showing progress."""
    session = _session(database_url)
    source = _source(session)
    if until_done:
        with err.status("evaluating pending feedback…"):
            session.start_evaluator(
                lease_seconds,
                workers=workers,
                allowed_modules=allow_module or (),
                return_when_done=True,
            )
        counts = source.evaluation(limit=0)["counts"]
        if as_json:
            _emit_json(counts)
        else:
            out.print(_counts_text(counts), highlight=False)
        if counts.get("failed"):
            raise typer.Exit(FAILED)
        return
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    session.start_evaluator(lease_seconds, workers=workers, allowed_modules=allow_module or ())
    err.print(f"{workers} evaluator worker(s) running; Ctrl-C stops them.", highlight=False)
    try:
        with err.status("") as status:
            while not stopping:
                counts = source.evaluation(limit=0)["counts"]
                status.update(_counts_text(counts))
                if as_json:
                    _emit_json(counts)
                time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        session.stop_evaluator()
    err.print("evaluator stopped")


def _counts_text(counts: dict[str, int]) -> str:
    names = {"none": "pending", "running": "running", "done": "done", "failed": "failed"}
    return " · ".join(f"{label} {counts.get(key, 0)}" for key, label in names.items())


# -- records ------------------------------------------------------------------------


@records_app.callback(invoke_without_command=True)
def records(
    ctx: typer.Context,
    database_url: str | None = DatabaseUrl,
    app_id: str | None = typer.Option(None, "--app-id"),
    app_name: str | None = typer.Option(None, "--app-name"),
    app_version: str | None = typer.Option(None, "--app-version"),
    status: str | None = typer.Option(None, "--status", help="ok or error"),
    text: str | None = typer.Option(None, "--text", help="Text in input or output."),
    tag: str | None = typer.Option(None, "--tag"),
    sort: str = typer.Option("ts", "--sort", help="ts, latency, total_cost, total_tokens."),
    ascending: bool = typer.Option(False, "--ascending"),
    limit: int = typer.Option(20, "--limit", min=1, max=500),
    offset: int = typer.Option(0, "--offset", min=0),
    as_json: bool = AsJson,
) -> None:
    """List records, newest first (filters as on the dashboard's Records page)."""
    ctx.obj = {"database_url": database_url, "as_json": as_json}
    if ctx.invoked_subcommand is not None:
        return
    if status not in (None, "ok", "error"):
        raise typer.BadParameter("must be 'ok' or 'error'", param_hint="--status")
    from spyglass.store import RecordFilter

    flt = RecordFilter(
        app_id=app_id,
        app_name=app_name,
        app_version=app_version,
        status=status,
        text=text,
        tag=tag,
        sort=sort,
        descending=not ascending,
        offset=offset,
        limit=limit,
    )
    rows, total = _source(_session(database_url)).records(flt)
    if as_json:
        _emit_json({"total": total, "records": rows})
        return
    table = rich_table.Table(title=f"{total} records", title_justify="left")
    for col in ("record_id", "ts", "app", "input", "output", "latency", "feedback"):
        table.add_column(col, overflow="fold")
    for r in rows:
        scores = ", ".join(f"{n}={_fmt(v['result'])}" for n, v in sorted(r["feedbacks"].items()))
        table.add_row(
            r["record_id"],
            r["ts"],
            f"{r['app_name']} {r['app_version']}",
            _short(r["input"]),
            "[red]" + _short(r["error"]) if r["error"] else _short(r["output"]),
            _fmt(r["latency"]),
            scores,
        )
    out.print(table)


@records_app.command("show")
def records_show(
    ctx: typer.Context,
    record_id: str = typer.Argument(..., help="The record's id (see `spyglass records`)."),
    database_url: str | None = DatabaseUrl,
    as_json: bool = AsJson,
) -> None:
    """Show one record: input, output, calls and every feedback with its reasons."""
    parent = ctx.obj or {}
    database_url = database_url or parent.get("database_url")
    as_json = as_json or parent.get("as_json", False)
    rec = _source(_session(database_url)).record(record_id)
    if rec is None:
        _fail(f"no record {record_id!r} in this database (`spyglass records` lists them)", 3)
    if as_json:
        _emit_json(rec)
        return
    out.print(f"[bold]{rec['record_id']}[/]  {rec['app_name']} {rec['app_version']}  {rec['ts']}")
    grid = rich_table.Table.grid(padding=(0, 2))
    grid.add_row("input", _short(rec["input"], 2000))
    grid.add_row("output", _short(rec["output"], 2000))
    if rec["error"]:
        grid.add_row("[red]error", _short(rec["error"], 2000))
    grid.add_row("latency", f"{_fmt(rec['latency'])} s")
    grid.add_row("tokens / cost", f"{rec['total_tokens']} / {_fmt(rec['total_cost'], 4)}")
    grid.add_row("calls", str(len((rec["record_json"] or {}).get("calls") or [])))
    out.print(grid, highlight=False)
    for f in rec["feedbacks"]:
        out.print(f"[bold]{f['name']}[/]: {_fmt(f['result'])} ({f['status']})", highlight=False)
        for call in f["calls"]:
            for key, value in (call.get("meta") or {}).items():
                out.print(f"    {key}: {_short(value, 2000)}", highlight=False, markup=False)


# -- leaderboard --------------------------------------------------------------------


@app.command()
def leaderboard(
    database_url: str | None = DatabaseUrl,
    as_json: bool = AsJson,
) -> None:
    """One row per app version: feedback means (95 % interval), latency, cost."""
    rows = _source(_session(database_url)).leaderboard()
    if as_json:
        _emit_json(rows)
        return
    names = sorted({n for r in rows for n in r["feedbacks"]})
    table = rich_table.Table(title="Leaderboard", title_justify="left")
    for col in ("app", "version", "records", *names, "p50 s", "p95 s", "tokens", "cost"):
        table.add_column(col)
    for r in rows:
        cells = []
        for n in names:
            s = r["feedbacks"].get(n)
            cells.append(
                "–" if s is None else _fmt(s["mean"]) + (f" ± {_fmt(s['ci'])}" if s["ci"] else "")
            )
        table.add_row(
            r["app_name"],
            r["app_version"],
            str(r["records"]),
            *cells,
            _fmt(r["p50"]),
            _fmt(r["p95"]),
            str(r.get("total_tokens", 0)),
            _fmt(r.get("total_cost", 0.0), 4),
        )
    out.print(table)


# -- db -----------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(
    database_url: str | None = DatabaseUrl,
    as_json: bool = AsJson,
) -> None:
    """Migrate the database to this spyglass's schema (never downgrades)."""
    session = _session(database_url)
    try:
        session.migrate_database()
    except Exception as exc:  # noqa: BLE001 - the store's message says what to do
        _fail(str(exc))
    info = _info(session)
    if as_json:
        _emit_json(info)
    else:
        out.print(f"database at revision {info['revision']}", highlight=False)


@db_app.command("info")
def db_info(
    database_url: str | None = DatabaseUrl,
    as_json: bool = AsJson,
) -> None:
    """Describe the database: URL (password masked), schema revision, counts."""
    info = _info(_session(database_url))
    if as_json:
        _emit_json(info)
        return
    grid = rich_table.Table.grid(padding=(0, 2))
    for key, value in info.items():
        grid.add_row(key, str(value))
    out.print(grid, highlight=False)


def _info(session: Any) -> dict[str, Any]:
    source = _source(session)
    ev = source.evaluation(limit=0)["counts"]
    return {
        "database_url": session.database_url,
        "prefix": source.prefix,
        "revision": source.revision(),
        "apps": len(source.apps()),
        "records": source.count_records(),
        "feedback_results": sum(ev.values()),
        "pending": ev.get("none", 0),
        "failed": ev.get("failed", 0),
    }


@db_app.command("reset")
def db_reset(
    database_url: str | None = DatabaseUrl,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_json: bool = AsJson,
) -> None:
    """Delete every app, record and feedback result (other tools' tables are kept)."""
    session = _session(database_url)
    if not yes:
        if not sys.stdin.isatty():
            _fail("db reset deletes every record: pass --yes to confirm", 2)
        typer.confirm(f"Delete every record in {session.database_url}?", abort=True)
    session.reset_database()
    if as_json:
        _emit_json({"reset": True, "database_url": session.database_url})
    else:
        out.print("database reset", highlight=False)


# -- export -------------------------------------------------------------------------


@app.command()
def export(
    database_url: str | None = DatabaseUrl,
    fmt: str = typer.Option("jsonl", "--format", "-f", help="jsonl or parquet."),
    output: Path | None = OutputFile,
    app_id: str | None = typer.Option(None, "--app-id"),
) -> None:
    """Export records with their feedback scores as JSON lines or Parquet."""
    if fmt not in ("jsonl", "parquet"):
        raise typer.BadParameter(f"{fmt!r} is not jsonl or parquet", param_hint="--format")
    if fmt == "parquet" and output is None:
        raise typer.BadParameter("parquet needs a file: add -o FILE", param_hint="--output")
    source = _source(_session(database_url))
    total = source.count_records(app_id)
    progress = rich_progress.Progress(console=err, transient=True, disable=output is None)
    with progress:
        task = progress.add_task("exporting", total=total)
        batches = source.export_rows(app_id=app_id)
        if fmt == "jsonl":
            stream = output.open("w", encoding="utf-8") if output else sys.stdout
            try:
                for batch in batches:
                    for row in batch:
                        stream.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
                    progress.advance(task, len(batch))
            finally:
                if output:
                    stream.close()
        else:
            assert output is not None
            _write_parquet(batches, output, lambda n: progress.advance(task, n))
    if output:
        err.print(f"{total} records written to {output}", highlight=False)


def _write_parquet(batches: Any, output: Path, advance: Any) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        _fail("--format parquet needs pyarrow: pip install 'spyglass[parquet]'")
    writer = None
    try:
        for batch in batches:
            rows = [
                {
                    **{k: v for k, v in row.items() if k not in ("record_json", "feedbacks")},
                    "input": json.dumps(row["input"], default=str),
                    "output": json.dumps(row["output"], default=str),
                    "record_json": json.dumps(row["record_json"], default=str),
                    "feedbacks": json.dumps(row["feedbacks"], default=str),
                }
                for row in batch
            ]
            table = pa.Table.from_pylist(rows)
            if writer is None:
                writer = pq.ParquetWriter(str(output), table.schema)
            writer.write_table(table.cast(writer.schema))
            advance(len(batch))
    finally:
        if writer is not None:
            writer.close()
    if writer is None:  # no records: still a valid, empty file
        pq.write_table(pa.table({"record_id": pa.array([], pa.string())}), str(output))


# -- instrumented -------------------------------------------------------------------


@app.command()
def instrumented(
    target: str = typer.Argument(..., help="module:attribute of an app or a recorder."),
) -> None:
    """Print what spyglass instruments in an app object (print_instrumented)."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise typer.BadParameter(f"{target!r} is not module:attribute", param_hint="TARGET")
    sys.path.insert(0, ".")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        _fail(f"cannot import {module_name!r}: {exc}", NOT_FOUND)
    for part in attr.split("."):
        if not hasattr(obj, part):
            _fail(f"{module_name} has no attribute {attr!r}", NOT_FOUND)
        obj = getattr(obj, part)
    if not hasattr(obj, "print_instrumented"):
        from spyglass.core import wrap_app

        try:
            obj = wrap_app(obj)
        except TypeError as exc:
            _fail(str(exc))
    obj.print_instrumented()


def main() -> None:
    """The console script's entry point."""
    try:
        app()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
