"""The reading queries: records with their feedback as a DataFrame, and the leaderboard in SQL.

Shapes and column names are TruLens 1.x's (``get_records_and_feedback`` returns
``(DataFrame, feedback column names)``; the leaderboard is indexed by
``(app_name, app_version)``), with two differences said in the docs: the feedback names
come back sorted, and the leaderboard has a ``records`` column (the count) and is
aggregated by the database, not in pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ._deps import pandas, sqlalchemy as sa
from ._rows import decode_record, loads_json
from ._tables import Tables

__all__ = [
    "feedback_calls_frame",
    "leaderboard",
    "record_stats",
    "records_and_feedback",
    "score_sums",
]

APP_COLUMNS = ["app_name", "app_version", "app_id", "app_json", "type"]
RECORD_COLUMNS = ["record_id", "input", "output", "tags", "record_json", "cost_json", "perf_json"]
RECORD_COLUMNS += ["ts"]
TAIL_COLUMNS = ["latency", "total_tokens", "total_cost", "cost_currency"]


def _as_text(column: Any, conn: sa.engine.Connection) -> Any:
    """A JSON column read as its text, decoded by :func:`~spyglass.store._rows.loads_json` (orjson) rather than by
    SQLAlchemy's or the driver's ``json.loads``."""
    if conn.dialect.name == "postgresql":
        return sa.cast(column, sa.Text).label(column.name)
    return sa.type_coerce(column, sa.Text).label(column.name)


def _type(app_json: dict[str, Any]) -> str:
    root = app_json.get("root_class") or {}
    module = (root.get("module") or {}).get("module_name", "")
    return f"{root.get('name', '?')}({module})"


def _filters(
    t: Tables, app_ids: Sequence[str] | None, app_name: str | None, app_version: str | None
) -> list[Any]:
    where: list[Any] = []
    if app_ids is not None:
        where.append(t.records.c.app_id.in_(list(app_ids)))
    if app_name is not None:
        where.append(t.apps.c.app_name == app_name)
    if app_version is not None:
        where.append(t.apps.c.app_version == app_version)
    return where


def records_and_feedback(
    conn: sa.engine.Connection,
    t: Tables,
    *,
    app_ids: Sequence[str] | None = None,
    app_name: str | None = None,
    app_version: str | None = None,
    offset: int | None = None,
    limit: int | None = None,
) -> tuple[Any, list[str]]:
    """Records, newest first, with one column per feedback name (the mean of its results),
    ``<name>_calls`` and ``<name> feedback cost in <currency>``; see ``TruSession``."""
    r, a, f = t.records, t.apps, t.feedbacks
    query = (
        sa.select(
            a.c.app_name,
            a.c.app_version,
            a.c.app_id,
            r.c.record_id,
            r.c.input,
            r.c.output,
            r.c.tags,
            _as_text(r.c.record_json, conn),
            r.c.ts,
            r.c.latency,
            r.c.total_tokens,
            r.c.total_cost,
            r.c.cost_currency,
        )
        .select_from(r.join(a, r.c.app_id == a.c.app_id))
        .where(*_filters(t, app_ids, app_name, app_version))
        .order_by(r.c.ts.desc(), r.c.record_id)
    )
    if limit is not None:
        query = query.limit(limit)
    if offset is not None:
        query = query.offset(offset)
    rows = conn.execute(query).mappings().all()
    ids = [row["record_id"] for row in rows]
    results: dict[str, list[Any]] = {}
    if ids:
        fb_query = sa.select(
            f.c.record_id, f.c.name, f.c.result, f.c.calls_json, f.c.cost_json, f.c.multi_result
        ).where(f.c.record_id.in_(ids))
        for fb in conn.execute(fb_query).mappings():
            results.setdefault(fb["record_id"], []).append(fb)

    app_cache: dict[str, tuple[Any, str]] = {}
    app_ids_found = sorted({row["app_id"] for row in rows})
    if app_ids_found:  # each app's JSON once, not once per record
        for app_id, app_json in conn.execute(
            sa.select(a.c.app_id, a.c.app_json).where(a.c.app_id.in_(app_ids_found))
        ):
            app_json = loads_json(app_json)
            app_cache[app_id] = (app_json, _type(app_json))
    out: list[dict[str, Any]] = []
    names: set[str] = set()
    for row in rows:
        app_id = row["app_id"]
        app_json, type_ = app_cache[app_id]
        record_json = decode_record(row["record_json"])
        item: dict[str, Any] = {
            "app_name": row["app_name"],
            "app_version": row["app_version"],
            "app_id": app_id,
            "app_json": app_json,
            "type": type_,
            "record_id": row["record_id"],
            "input": loads_json(row["input"]),
            "output": loads_json(row["output"]),
            "tags": row["tags"],
            "record_json": record_json,
            "cost_json": record_json.get("cost"),
            "perf_json": record_json.get("perf"),
            "ts": row["ts"].isoformat() if isinstance(row["ts"], datetime) else row["ts"],
        }
        values: dict[str, list[float]] = {}
        for fb in results.get(row["record_id"], ()):
            name = fb["name"]
            names.add(name)
            calls = loads_json(fb["calls_json"]) or []
            item.setdefault(f"{name}_calls", []).extend(calls)
            cost = loads_json(fb["cost_json"]) or {}
            currency = cost.get("cost_currency", "USD")
            key = f"{name} feedback cost in {currency}"
            item[key] = item.get(key, 0.0) + float(cost.get("cost", 0.0))
            multi = loads_json(fb["multi_result"])
            if isinstance(multi, dict):
                for sub, value in multi.items():
                    sub_name = f"{name}:::{sub}"
                    names.add(sub_name)
                    values.setdefault(sub_name, []).append(float(value))
            elif fb["result"] is not None:
                values.setdefault(name, []).append(fb["result"])
        for name, found in values.items():
            item[name] = sum(found) / len(found)
        item["latency"] = row["latency"]
        item["total_tokens"] = row["total_tokens"]
        item["total_cost"] = row["total_cost"]
        item["cost_currency"] = row["cost_currency"]
        out.append(item)

    # A feedback that returned a dict has ``name:::key`` columns instead of ``name``.
    feedback_names = sorted(
        n for n in names if ":::" in n or not any(m.startswith(n + ":::") for m in names)
    )
    extra = feedback_names + [f"{n}_calls" for n in sorted(names) if ":::" not in n]
    cost_cols = sorted({k for item in out for k in item if " feedback cost in " in k})
    columns = APP_COLUMNS + RECORD_COLUMNS + extra + cost_cols + TAIL_COLUMNS
    pd = pandas()
    frame = pd.DataFrame(out, columns=columns)
    for name in feedback_names:
        frame[name] = frame[name].astype("float64")
    for name in sorted(n for n in names if ":::" not in n):
        frame[f"{name}_calls"] = frame[f"{name}_calls"].apply(
            lambda v: v if isinstance(v, list) else []
        )
    for col in cost_cols:
        frame[col] = frame[col].fillna(0.0)
    return frame, feedback_names


def leaderboard(
    conn: sa.engine.Connection,
    t: Tables,
    *,
    app_ids: Sequence[str] | None = None,
    group_by_metadata_key: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """One row per ``(app_name, app_version[, metadata value])``: the mean of each feedback
    (per record first, as TruLens), mean latency, mean total cost, and the record count."""
    if group_by_metadata_key is None and limit is None and offset is None:
        return _leaderboard_by_app(conn, t, app_ids)
    r, a, f = t.records, t.apps, t.feedbacks
    keys: list[Any] = [a.c.app_name, a.c.app_version]
    index = ["app_name", "app_version"]
    if group_by_metadata_key is not None:
        meta = r.c.record_json["meta"][group_by_metadata_key].as_string()
        keys.append(meta.label(group_by_metadata_key))
        index.append(group_by_metadata_key)
    where = _filters(t, app_ids, None, None)

    base = sa.select(r.c.record_id, r.c.app_id, r.c.latency, r.c.total_cost).where(*where)
    if group_by_metadata_key is not None:
        base = base.add_columns(meta.label("meta_key"))
    if limit is not None or offset is not None:
        base = base.order_by(r.c.ts.desc(), r.c.record_id).limit(limit).offset(offset)
    recs = base.subquery("recs")
    group: list[Any] = [a.c.app_name, a.c.app_version]
    labels: list[Any] = [a.c.app_name, a.c.app_version]
    if group_by_metadata_key is not None:
        group.append(recs.c.meta_key)
        labels.append(recs.c.meta_key.label(group_by_metadata_key))
    join = recs.join(a, recs.c.app_id == a.c.app_id)
    stats = conn.execute(
        sa.select(
            *labels,
            sa.func.avg(recs.c.latency).label("latency"),
            sa.func.avg(recs.c.total_cost).label("total_cost"),
            sa.func.count().label("records"),
        )
        .select_from(join)
        .group_by(*group)
    ).all()

    per_record = (
        sa.select(f.c.record_id, f.c.name, sa.func.avg(f.c.result).label("value"))
        .where(f.c.result.is_not(None))
        .group_by(f.c.record_id, f.c.name)
        .subquery("per_record")
    )
    means = conn.execute(
        sa.select(*labels, per_record.c.name, sa.func.avg(per_record.c.value))
        .select_from(join.join(per_record, per_record.c.record_id == recs.c.record_id))
        .group_by(*group, per_record.c.name)
    ).all()

    width = len(index)
    return _frame(
        index,
        {tuple(row[:width]): tuple(row[width:]) for row in stats},
        [(tuple(row[:width]), row[width], row[width + 1]) for row in means],
    )


def score_sums(
    conn: sa.engine.Connection, t: Tables, app_ids: Sequence[str] | None = None
) -> dict[tuple[str, str], tuple[int, float, float]]:
    """Per ``(app_id, feedback name)``: ``(n, sum, sum of squares)`` of the records'
    scores, a record's score being the mean of its done results of that feedback.

    One flat grouped scan of ``ix_feedbacks_scores`` sums every result as if each record
    had one; the few ``(record, name)`` with several results (``feedback_repeats``,
    marked by a trigger on insert) are then replaced by their mean. Grouping every
    result by record instead costs a temporary B-tree over all of them (0.5 s at
    200,000 results on SQLite).
    """
    f, m = t.feedbacks, t.feedback_repeats
    flat = sa.select(
        f.c.app_id,
        f.c.name,
        sa.func.count(f.c.result),
        sa.func.sum(f.c.result),
        sa.func.sum(f.c.result * f.c.result),
    ).group_by(f.c.app_id, f.c.name)
    repeated = (
        sa.select(
            f.c.app_id,
            f.c.name,
            sa.func.count(f.c.result),
            sa.func.sum(f.c.result),
            sa.func.sum(f.c.result * f.c.result),
        )
        # IN, not a join: the planner then walks the few marks and looks each up in
        # ix_feedbacks_record, instead of probing the marks for every result.
        .where(
            sa.tuple_(f.c.record_id, f.c.name).in_(sa.select(m.c.record_id, m.c.name)),
            f.c.result.is_not(None),
        )
        .group_by(f.c.app_id, f.c.name, f.c.record_id)
    )
    if app_ids is not None:
        flat = flat.where(f.c.app_id.in_(list(app_ids)))
        repeated = repeated.where(f.c.app_id.in_(list(app_ids)))
    sums: dict[tuple[str, str], list[float]] = {}
    for app_id, name, n, total, squares in conn.execute(flat):
        if app_id is not None and n:
            sums[(app_id, name)] = [n, float(total), float(squares)]
    for app_id, name, n, total, squares in conn.execute(repeated):
        found = sums.get((app_id, name))
        if found is None or n < 2:
            continue
        mean = float(total) / n
        found[0] -= n - 1
        found[1] += mean - float(total)
        found[2] += mean * mean - float(squares)
    return {key: (int(n), total, squares) for key, (n, total, squares) in sums.items()}


def record_stats(
    conn: sa.engine.Connection, t: Tables, app_ids: Sequence[str] | None = None
) -> dict[str, tuple[int, Any, Any, Any, int]]:
    """Per app: ``(records, mean latency, mean total cost, total tokens, records with a
    latency)``, from one grouped scan of the covering index ``ix_records_stats``."""
    r = t.records
    query = sa.select(
        r.c.app_id,
        sa.func.count(),
        sa.func.avg(r.c.latency),
        sa.func.avg(r.c.total_cost),
        sa.func.sum(r.c.total_tokens),
        sa.func.count(r.c.latency),
    ).group_by(r.c.app_id)
    if app_ids is not None:
        query = query.where(r.c.app_id.in_(list(app_ids)))
    return {
        row[0]: (int(row[1]), row[2], row[3], row[4], int(row[5])) for row in conn.execute(query)
    }


def _leaderboard_by_app(
    conn: sa.engine.Connection, t: Tables, app_ids: Sequence[str] | None
) -> Any:
    """The whole leaderboard from two flat grouped scans of covering indexes, no join:
    :func:`record_stats` and :func:`score_sums`."""
    a = t.apps
    apps = conn.execute(sa.select(a.c.app_id, a.c.app_name, a.c.app_version))
    names = {row.app_id: (row.app_name, row.app_version) for row in apps}
    stats = {
        names[app_id]: (latency, cost, count)
        for app_id, (count, latency, cost, _, _) in record_stats(conn, t, app_ids).items()
        if app_id in names
    }
    means = [
        (names[app_id], name, total / n)
        for (app_id, name), (n, total, _) in score_sums(conn, t, app_ids).items()
        if app_id in names and n
    ]
    return _frame(["app_name", "app_version"], stats, means)


def _frame(
    index: list[str],
    stats: dict[tuple[Any, ...], tuple[Any, ...]],
    means: list[tuple[tuple[Any, ...], str, Any]],
) -> Any:
    """The leaderboard frame: ``stats`` key -> (latency, total_cost, records); ``means``
    (key, feedback name, mean)."""
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for key, (latency, total_cost, count) in stats.items():
        rows[key] = {"latency": latency, "total_cost": total_cost, "records": count}
    names: set[str] = set()
    for key, name, value in means:
        if key not in rows:
            continue
        names.add(name)
        rows[key][name] = float(value)
    feedback_cols = sorted(names)
    columns = [*feedback_cols, "latency", "total_cost", "records"]
    pd = pandas()
    frame = pd.DataFrame(
        [[values.get(c) for c in columns] for values in rows.values()],
        columns=columns,
        index=pd.MultiIndex.from_tuples(list(rows), names=index)
        if rows
        else pd.MultiIndex.from_tuples([], names=index),
    )
    for col in [*feedback_cols, "latency", "total_cost"]:
        frame[col] = frame[col].astype("float64")
    frame["records"] = frame["records"].astype("int64")
    if feedback_cols:
        frame = frame.sort_values(by=feedback_cols, ascending=False)
    return frame


def feedback_calls_frame(result: Any) -> Any:
    """The evaluations of one ``FeedbackResult`` as a ``pandas.DataFrame`` (the "why" of
    its score): one row per evaluated combination, a column per argument of the
    feedback function, then ``score``, then one column per explanation key (e.g.
    ``reason``)."""
    rows = []
    for call in result.calls:
        row: dict[str, Any] = dict(call.args)
        row["score"] = call.ret
        row.update(call.meta or {})
        rows.append(row)
    return pandas().DataFrame(rows)
