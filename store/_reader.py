"""`Reader`: what the dashboard and the command line show, read in SQL, page by page.

``session.reader()`` hands one out. It reads only: every query is paged, filtered and
aggregated in the database, over the indexes the migrations made, so a page of
100,000 records reads a page of rows, not 100,000. Values come back as plain
``dict``/``list`` data (JSON columns decoded, times as text), ready for a template, a
JSON response or a table.

Scores are summarised per app version as a mean with a 95 % confidence interval
(normal approximation, ``1.96 * sd / sqrt(n)``) over the records' scores (a record's
score being the mean of its results of that feedback, as ``get_leaderboard``);
latency as p50 and p95, read with ``ORDER BY latency LIMIT 1 OFFSET k`` along the
``(app_id, latency, ...)`` index, which SQLite and PostgreSQL answer without a sort.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from ._deps import sqlalchemy as sa
from ._migrate import current_revision
from ._read import record_stats, score_sums
from ._rows import decode_record, loads_json
from ._tables import Tables

__all__ = ["SORTS", "Reader", "RecordFilter"]

SORTS = ("ts", "latency", "total_cost", "total_tokens")
"""Record columns the records page sorts by (besides a feedback's score)."""

OPEN_STATUSES = ("none", "running", "failed")


@dataclass
class RecordFilter:
    """Which records :meth:`Reader.records` returns, in which order; ``None`` means "any".

    Attributes:
        app_id, app_name, app_version: the app version.
        status: ``"ok"`` (no error) or ``"error"``.
        tag: text within the record's tags.
        text: text within the main input or output.
        feedback, min_score, max_score: records with a result of ``feedback`` in range.
        sort: a column of :data:`SORTS`, or a feedback's name (then only the records
            with a score of that feedback are listed, placed by their highest score).
        descending: the order of ``sort``.
        offset, limit: the page (``limit`` at most 500).
    """

    app_id: str | None = None
    app_name: str | None = None
    app_version: str | None = None
    status: str | None = None
    tag: str | None = None
    text: str | None = None
    feedback: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    sort: str = "ts"
    descending: bool = True
    offset: int = 0
    limit: int = 25

    def query_string(self, **changes: Any) -> str:
        """This filter as URL query parameters, with ``changes`` applied."""
        values = {**self.__dict__, **changes}
        values["descending"] = int(bool(values["descending"]))
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def _ts(value: Any) -> str:
    return value.isoformat(sep=" ", timespec="seconds") if isinstance(value, datetime) else ""


class Reader:
    """Read-only queries over one session's tables (see the module's docstring).

    Made by ``TruSession.reader()``; safe to share between threads (each call takes a
    connection from the session's pool).
    """

    def __init__(self, engine: sa.engine.Engine, tables: Tables) -> None:
        self._engine = engine
        self._t = tables

    @property
    def prefix(self) -> str:
        """The prefix of the session's tables."""
        return self._t.prefix

    # -- the database -------------------------------------------------------------

    def is_empty(self) -> bool:
        """True when no record has been stored yet."""
        r = self._t.records
        with self._engine.connect() as c:
            return c.execute(sa.select(r.c.record_id).limit(1)).first() is None

    def revision(self) -> str | None:
        """The database's schema revision (``None``: never migrated)."""
        return current_revision(self._engine, self.prefix)

    def count_records(self, app_id: str | None = None) -> int:
        """How many records are stored (of one app version, if given)."""
        r = self._t.records
        q = sa.select(sa.func.count()).select_from(r)
        if app_id:
            q = q.where(r.c.app_id == app_id)
        with self._engine.connect() as c:
            return int(c.execute(q).scalar() or 0)

    # -- apps ---------------------------------------------------------------------

    def apps(self, with_counts: bool = True) -> list[dict[str, Any]]:
        """Every app version: ``app_id, app_name, app_version`` and (``with_counts``)
        ``records``, by name then version."""
        a = self._t.apps
        q = sa.select(a.c.app_id, a.c.app_name, a.c.app_version).order_by(
            a.c.app_name, a.c.app_version
        )
        with self._engine.connect() as c:
            rows = [{"app_id": i, "app_name": n, "app_version": v} for i, n, v in c.execute(q)]
            counts = record_stats(c, self._t) if with_counts else {}
        if with_counts:
            for row in rows:
                row["records"] = counts[row["app_id"]][0] if row["app_id"] in counts else 0
        return rows

    def app(self, app_id: str) -> dict[str, Any] | None:
        """One app: ``app_id, app_name, app_version`` and ``app_json`` (its stored
        definition), or ``None``."""
        a = self._t.apps
        with self._engine.connect() as c:
            row = c.execute(sa.select(a).where(a.c.app_id == app_id)).mappings().first()
        if row is None:
            return None
        return {**dict(row), "app_json": loads_json(row["app_json"])}

    def feedback_names(self) -> list[str]:
        """The names of every feedback with a result, sorted.

        A loose index scan: each name is found with one ``min(name) WHERE name > prev``
        along ``ix_feedbacks_name`` (a recursive query), instead of a ``DISTINCT`` that
        reads every result.
        """
        f = self._t.feedbacks
        first = sa.select(sa.func.min(f.c.name).label("name")).cte("names", recursive=True)
        after = sa.select(sa.func.min(f.c.name)).where(f.c.name > first.c.name)
        names = first.union_all(sa.select(after.scalar_subquery()).where(first.c.name.is_not(None)))
        with self._engine.connect() as c:
            return [n for n in c.scalars(sa.select(names.c.name)) if n is not None]

    # -- leaderboard --------------------------------------------------------------

    def leaderboard(self, app_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """One row per app version (of ``app_ids``, or all): ``app_id, app_name,
        app_version, records, latency_mean, p50, p95, total_tokens, total_cost`` and
        ``feedbacks``: per name ``{"mean", "ci", "n"}`` (``n`` records scored; ``ci``
        the half-width of the 95 % interval, ``None`` for one record).

        Two grouped scans of covering indexes for every app at once, then two index
        steps per app for the latency percentiles.
        """
        apps = [
            a for a in self.apps(with_counts=False) if app_ids is None or a["app_id"] in app_ids
        ]
        ids = [a["app_id"] for a in apps]
        with self._engine.connect() as c:
            stats = record_stats(c, self._t, ids)
            sums = score_sums(c, self._t, ids)
            rows = []
            for app in apps:
                n, latency, cost, tokens, timed = stats.get(app["app_id"], (0, None, None, None, 0))
                p50, p95 = self._percentiles(c, app["app_id"], timed)
                rows.append(
                    {
                        **app,
                        "records": n,
                        "latency_mean": latency,
                        "p50": p50,
                        "p95": p95,
                        "total_tokens": int(tokens or 0),
                        "total_cost": float(cost or 0.0) * n,
                        "feedbacks": {},
                    }
                )
        by_id = {row["app_id"]: row for row in rows}
        for (app_id, name), (n, total, squares) in sorted(sums.items()):
            mean = total / n
            var = max(0.0, squares / n - mean * mean) * n / max(1, n - 1)
            half = 1.96 * math.sqrt(var / n) if n > 1 else None
            by_id[app_id]["feedbacks"][name] = {"mean": mean, "ci": half, "n": n}
        return rows

    def _percentiles(self, c: sa.Connection, app_id: str, n: int) -> tuple[Any, Any]:
        """p50 and p95 of the ``n`` latencies of an app: the k-th along the index, walked
        from whichever end is nearer (p95 is 5 % from the top, not 95 % from the bottom)."""
        if not n:
            return None, None
        r = self._t.records
        out = []
        for q in (0.5, 0.95):
            k = min(n - 1, max(0, math.ceil(q * n) - 1))
            order = r.c.latency.asc()
            if k > n // 2:
                k, order = n - 1 - k, r.c.latency.desc()
            sel = (
                sa.select(r.c.latency)
                .where(r.c.app_id == app_id, r.c.latency.is_not(None))
                .order_by(order)
                .offset(k)
                .limit(1)
            )
            out.append(c.execute(sel).scalar())
        return out[0], out[1]

    # -- records ------------------------------------------------------------------

    def _where(self, flt: RecordFilter, app_id: bool = True) -> list[Any]:
        r, a, f = self._t.records, self._t.apps, self._t.feedbacks
        where: list[Any] = []
        if flt.app_id and app_id:
            where.append(r.c.app_id == flt.app_id)
        if flt.app_name or flt.app_version:
            ids = sa.select(a.c.app_id)
            if flt.app_name:
                ids = ids.where(a.c.app_name == flt.app_name)
            if flt.app_version:
                ids = ids.where(a.c.app_version == flt.app_version)
            where.append(r.c.app_id.in_(ids))
        if flt.status == "error":
            where.append(r.c.error.is_not(None))
        elif flt.status == "ok":
            where.append(r.c.error.is_(None))
        if flt.tag:
            where.append(r.c.tags.contains(flt.tag, autoescape=True))
        if flt.text:
            where.append(
                sa.or_(
                    r.c.input.contains(flt.text, autoescape=True),
                    r.c.output.contains(flt.text, autoescape=True),
                )
            )
        if flt.feedback and (flt.min_score is not None or flt.max_score is not None):
            cond = [f.c.record_id == r.c.record_id, f.c.name == flt.feedback]
            if flt.min_score is not None:
                cond.append(f.c.result >= flt.min_score)
            if flt.max_score is not None:
                cond.append(f.c.result <= flt.max_score)
            where.append(sa.exists(sa.select(1).where(*cond)))
        return where

    def records(self, flt: RecordFilter) -> tuple[list[dict[str, Any]], int]:
        """One page of records matching ``flt``, and how many match in all.

        Each record: ``record_id, app_id, app_name, app_version, input, output, error,
        tags, ts, latency, total_tokens, total_cost`` and ``feedbacks`` (name ->
        ``{"status", "result"}``).
        """
        r, a = self._t.records, self._t.apps
        cols = [r.c[n] for n in ("record_id", "app_id", "input", "output", "error", "tags")]
        cols += [r.c[n] for n in ("ts", "latency", "total_tokens", "total_cost")]
        cols += [a.c.app_name, a.c.app_version]
        offset, limit = max(0, flt.offset), max(1, min(flt.limit, 500))
        if flt.sort in SORTS:
            where = self._where(flt)
            key = r.c[flt.sort]
            q = (
                sa.select(*cols)
                .join(a, a.c.app_id == r.c.app_id)
                .where(*where)
                .order_by(key.desc() if flt.descending else key.asc(), r.c.record_id)
            )
            count = sa.select(sa.func.count()).select_from(r).where(*where)
        else:
            q, count = self._by_score(flt, cols)
        with self._engine.connect() as c:
            page = [dict(m) for m in c.execute(q.offset(offset).limit(limit)).mappings()]
            total = c.execute(count).scalar() or 0
            scores = self._scores(c, [p["record_id"] for p in page])
        for p in page:
            p["input"], p["output"] = loads_json(p["input"]), loads_json(p["output"])
            p["ts"] = _ts(p["ts"])
            p["feedbacks"] = scores.get(p["record_id"], {})
        return page, int(total)

    def _by_score(self, flt: RecordFilter, cols: list[Any]) -> tuple[Any, Any]:
        """The page and count queries of records sorted by their score of ``flt.sort``.

        The page walks ``ix_feedbacks_name`` (name, result, record_id) in order, or
        ``ix_feedbacks_scores`` (app, name, result) for one app (a result carries its
        record's app), and stops after the page; a record with several results of the
        feedback is placed by its highest (the others are skipped:
        ``ix_feedbacks_record`` answers whether a higher one exists). Without filters
        on the records themselves the count is read from the same index range, less
        the repeated results (``feedback_repeats``).
        """
        r, a, f, m = self._t.records, self._t.apps, self._t.feedbacks, self._t.feedback_repeats
        name, descending = flt.sort, flt.descending
        where = self._where(flt, app_id=False)
        g = f.alias("g")
        higher = sa.exists(
            sa.select(1).where(
                g.c.record_id == f.c.record_id,
                g.c.name == f.c.name,
                sa.or_(
                    g.c.result > f.c.result,
                    sa.and_(
                        g.c.result == f.c.result,
                        g.c.feedback_result_id < f.c.feedback_result_id,
                    ),
                ),
            )
        )
        scored = [f.c.name == name, f.c.result.is_not(None)]
        if flt.app_id:
            scored.append(f.c.app_id == flt.app_id)
        order = f.c.result.desc() if descending else f.c.result.asc()
        q = (
            sa.select(*cols)
            .select_from(
                f.join(r, r.c.record_id == f.c.record_id).join(a, a.c.app_id == r.c.app_id)
            )
            .where(*scored, *where, ~higher)
            .order_by(order, f.c.record_id)
        )
        if where:
            count = (
                sa.select(sa.func.count())
                .select_from(r)
                .where(
                    *where, sa.exists(sa.select(1).where(f.c.record_id == r.c.record_id, *scored))
                )
            )
        else:
            # A (record, feedback) with c results counts c times in the index range:
            # take c - 1 off for each repeated pair (few), counted from the marks.
            c = (
                sa.select(sa.func.count())
                .where(f.c.record_id == m.c.record_id, *scored)
                .scalar_subquery()
            )
            per_pair = sa.select(c.label("c")).where(m.c.name == name).subquery()
            extra = sa.select(sa.func.coalesce(sa.func.sum(per_pair.c.c - 1), 0)).where(
                per_pair.c.c > 0
            )
            count = (
                sa.select(sa.func.count() - extra.scalar_subquery()).select_from(f).where(*scored)
            )
        return q, count

    def _scores(self, c: sa.Connection, record_ids: list[str]) -> dict[str, dict[str, Any]]:
        if not record_ids:
            return {}
        f = self._t.feedbacks
        q = sa.select(f.c.record_id, f.c.name, f.c.status, f.c.result).where(
            f.c.record_id.in_(record_ids)
        )
        out: dict[str, dict[str, Any]] = {}
        for rid, name, status, result in c.execute(q):
            out.setdefault(rid, {})[name] = {"status": status, "result": result}
        return out

    def record(self, record_id: str) -> dict[str, Any] | None:
        """One record in full, or ``None``: its columns, ``record_json`` (the stored
        ``Record``), app names and ``feedbacks`` (every result, ``calls`` and ``cost``
        decoded)."""
        r, a, f = self._t.records, self._t.apps, self._t.feedbacks
        q = (
            sa.select(r, a.c.app_name, a.c.app_version)
            .join(a, a.c.app_id == r.c.app_id)
            .where(r.c.record_id == record_id)
        )
        with self._engine.connect() as c:
            row = c.execute(q).mappings().first()
            if row is None:
                return None
            results = [
                dict(m)
                for m in c.execute(
                    sa.select(f).where(f.c.record_id == record_id).order_by(f.c.name)
                ).mappings()
            ]
        out = dict(row)
        out["record_json"] = decode_record(out["record_json"])
        out["input"], out["output"] = loads_json(out["input"]), loads_json(out["output"])
        out["ts"] = _ts(out["ts"])
        for res in results:
            res["calls"] = loads_json(res.pop("calls_json", None)) or []
            res["cost"] = loads_json(res.pop("cost_json", None))
            res["last_ts"] = _ts(res["last_ts"])
            res["lease_until"] = _ts(res.get("lease_until"))
        out["feedbacks"] = results
        return out

    def export_rows(
        self, app_id: str | None = None, batch: int = 1000
    ) -> Iterator[list[dict[str, Any]]]:
        """Every record (in time order) with its app's names and its feedback scores
        (``feedbacks``: name -> result), in batches read page by page on
        ``(ts, record_id)`` so memory stays flat."""
        r, a = self._t.records, self._t.apps
        after: tuple[Any, Any] | None = None
        while True:
            q = (
                sa.select(r, a.c.app_name, a.c.app_version)
                .join(a, a.c.app_id == r.c.app_id)
                .order_by(r.c.ts, r.c.record_id)
                .limit(batch)
            )
            if app_id:
                q = q.where(r.c.app_id == app_id)
            if after is not None:
                q = q.where(sa.tuple_(r.c.ts, r.c.record_id) > sa.tuple_(*after))
            with self._engine.connect() as c:
                rows = [dict(m) for m in c.execute(q).mappings()]
                scores = self._scores(c, [x["record_id"] for x in rows])
            if not rows:
                return
            after = (rows[-1]["ts"], rows[-1]["record_id"])
            for x in rows:
                x["record_json"] = decode_record(x["record_json"])
                x["input"], x["output"] = loads_json(x["input"]), loads_json(x["output"])
                x["feedbacks"] = {n: v["result"] for n, v in scores.get(x["record_id"], {}).items()}
            yield rows

    # -- compare ------------------------------------------------------------------

    def distributions(self, app_id: str, bins: int = 10) -> dict[str, list[int]]:
        """Per feedback, the count of done scores of one app version in ``bins`` equal
        bins over [0, 1] (scores outside are clamped into the end bins); a range scan
        of ``ix_feedbacks_scores``."""
        f = self._t.feedbacks
        bucket: Any = sa.func.min(bins - 1, sa.func.max(0, sa.cast(f.c.result * bins, sa.Integer)))
        if self._engine.dialect.name == "postgresql":
            bucket = sa.func.least(bins - 1, sa.func.greatest(0, sa.func.floor(f.c.result * bins)))
        q = (
            sa.select(f.c.name, bucket.label("b"), sa.func.count())
            .where(f.c.app_id == app_id, f.c.result.is_not(None))
            .group_by(f.c.name, "b")
        )
        out: dict[str, list[int]] = {}
        with self._engine.connect() as c:
            for name, b, n in c.execute(q):
                out.setdefault(name, [0] * bins)[int(b)] += n
        return out

    def shared_inputs(self, left: str, right: str, limit: int = 50) -> list[dict[str, Any]]:
        """Records of two app versions with the same main input, side by side: the
        newest ``limit`` inputs of ``left`` that ``right`` also has. Inputs are not
        indexed (they can be long), so this reads a window of the newest 500 of
        ``left`` and looks for those in ``right`` with one ``IN``."""
        r = self._t.records
        cols = (r.c.input, r.c.record_id, r.c.output)
        window = sa.select(*cols).where(r.c.app_id == left).order_by(r.c.ts.desc()).limit(500)
        with self._engine.connect() as c:
            lefts: dict[str, tuple[str, Any]] = {}
            for text, rid, output in c.execute(window):
                lefts.setdefault(text, (rid, output))
            rights: dict[str, tuple[str, Any]] = {}
            if lefts:
                found = sa.select(*cols).where(r.c.app_id == right, r.c.input.in_(list(lefts)))
                for text, rid, output in c.execute(found):
                    rights.setdefault(text, (rid, output))
            shared = [text for text in lefts if text in rights][:limit]
            ids = [lefts[x][0] for x in shared] + [rights[x][0] for x in shared]
            scores = self._scores(c, ids)
        return [
            {
                "input": loads_json(text),
                "left_id": lefts[text][0],
                "left_output": loads_json(lefts[text][1]),
                "right_id": rights[text][0],
                "right_output": loads_json(rights[text][1]),
                "left_scores": scores.get(lefts[text][0], {}),
                "right_scores": scores.get(rights[text][0], {}),
            }
            for text in shared
        ]

    # -- evaluation ---------------------------------------------------------------

    def evaluation(self, limit: int = 50) -> dict[str, Any]:
        """Feedback results by status: ``counts`` (status -> n) and ``latest``, the
        ``limit`` latest results (those still in play first: pending, running, failed)."""
        f = self._t.feedbacks
        with self._engine.connect() as c:
            counts = {
                s: n
                for s, n in c.execute(sa.select(f.c.status, sa.func.count()).group_by(f.c.status))
            }
            if not limit:
                return {"counts": counts, "latest": []}
            cols = [f.c[n] for n in ("feedback_result_id", "record_id", "name", "status")]
            cols += [f.c[n] for n in ("result", "error", "last_ts", "worker", "attempts")]
            # The results still in play (few, found by the status index) come first, then
            # the latest finished ones. On SQLite "latest" is the newest rows (rowid), as
            # last_ts has no index and a sort would read every result.
            open_ = (
                sa.select(*cols)
                .where(f.c.status.in_(OPEN_STATUSES))
                .order_by(f.c.last_ts.desc())
                .limit(limit)
            )
            newest = f.c.last_ts.desc()
            if self._engine.dialect.name == "sqlite":
                newest = sa.literal_column("rowid").desc()
            done = (
                sa.select(*cols)
                .where(f.c.status.not_in(OPEN_STATUSES))
                .order_by(newest)
                .limit(limit)
            )
            latest = [dict(m) for m in c.execute(open_).mappings()]
            latest += [dict(m) for m in c.execute(done).mappings()]
        latest = sorted(latest, key=lambda x: x["last_ts"], reverse=True)[:limit]
        for x in latest:
            x["last_ts"] = _ts(x["last_ts"])
        return {"counts": counts, "latest": latest}
