"""What the pages show, read from the store's tables in SQL.

The dashboard reads only: the session's engine and table prefix are its public way in,
and the tables are reflected from the database itself, so this module follows whatever
the store's migrations made. Every query is paged, filtered and aggregated in the
database (the records page of 100,000 records reads 25 rows, not 100,000).

Scores are summarised per app version as a mean with a 95 % confidence interval
(normal approximation, ``1.96 * sd / sqrt(n)``); latency as p50 and p95, read with
``ORDER BY latency LIMIT 1 OFFSET k`` over the ``(app_id, latency)`` index, which
SQLite and PostgreSQL both answer without a sort.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from ._deps import sqlalchemy as sa

__all__ = ["SORTS", "Filters", "Source"]

SORTS = ("ts", "latency", "total_cost", "total_tokens")
"""Record columns the records page sorts by (besides a feedback's score)."""

_TABLES = ("apps", "feedback_defs", "records", "feedbacks")


@dataclass
class Filters:
    """The records page's filters; each ``None`` means "any"."""

    app_id: str | None = None
    app_name: str | None = None
    app_version: str | None = None
    status: str | None = None  # "ok" or "error"
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
        """This filter set as URL query parameters, with ``changes`` applied."""
        values = {**self.__dict__, **changes}
        values["descending"] = int(bool(values["descending"]))
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def _loads(text: Any) -> Any:
    """A JSON column's value: engines give text (SQLite) or objects (PostgreSQL)."""
    if isinstance(text, str):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _ts(value: Any) -> str:
    return value.isoformat(sep=" ", timespec="seconds") if isinstance(value, datetime) else ""


@dataclass
class Source:
    """The store's tables, read through one SQLAlchemy engine."""

    engine: sa.engine.Engine
    prefix: str = "spyglass_"
    _tables: dict[str, sa.Table] = field(default_factory=dict)

    @classmethod
    def of_session(cls, session: Any) -> Source:
        """The source of a ``TruSession`` (its engine and table prefix)."""
        engine = getattr(session, "engine", None)
        if engine is None:
            raise TypeError(
                f"{type(session).__name__} has no SQLAlchemy `engine`: pass a "
                "spyglass TruSession to run_dashboard(session=...)"
            )
        prefix = getattr(session, "database_prefix", None) or "spyglass_"
        return cls(engine=engine, prefix=prefix)

    # -- tables ---------------------------------------------------------------------

    def tables(self) -> dict[str, sa.Table] | None:
        """The reflected tables, or ``None`` while the database has none yet."""
        if len(self._tables) < len(_TABLES):
            names = [self.prefix + t for t in _TABLES]
            meta = sa.MetaData()
            try:
                meta.reflect(self.engine, only=names)
            except sa.exc.InvalidRequestError:  # some table is missing: not migrated yet
                return None
            self._tables = {t: meta.tables[self.prefix + t] for t in _TABLES}
        return self._tables

    def is_empty(self) -> bool:
        """True when no record has been stored yet."""
        t = self.tables()
        if t is None:
            return True
        with self.engine.connect() as c:
            return c.execute(sa.select(t["records"].c.record_id).limit(1)).first() is None

    def revision(self) -> str | None:
        """The schema revision the store's migrations left (None: never migrated)."""
        table = sa.table(f"{self.prefix}alembic_version", sa.column("version_num"))
        try:
            with self.engine.connect() as c:
                return c.execute(sa.select(table.c.version_num)).scalar()
        except sa.exc.DBAPIError:  # no version table yet
            return None

    # -- apps -----------------------------------------------------------------------

    def apps(self) -> list[dict[str, Any]]:
        """Every app version: id, name, version and record count, by name then version."""
        t = self.tables()
        if t is None:
            return []
        a, r = t["apps"], t["records"]
        counts = sa.select(r.c.app_id, sa.func.count().label("n")).group_by(r.c.app_id).subquery()
        q = (
            sa.select(a.c.app_id, a.c.app_name, a.c.app_version, counts.c.n)
            .outerjoin(counts, counts.c.app_id == a.c.app_id)
            .order_by(a.c.app_name, a.c.app_version)
        )
        with self.engine.connect() as c:
            return [
                {"app_id": i, "app_name": n, "app_version": v, "records": k or 0}
                for i, n, v, k in c.execute(q)
            ]

    def app(self, app_id: str) -> dict[str, Any] | None:
        """One app's definition (the stored ``AppDefinition`` JSON) and names."""
        t = self.tables()
        if t is None:
            return None
        a = t["apps"]
        with self.engine.connect() as c:
            row = c.execute(sa.select(a).where(a.c.app_id == app_id)).mappings().first()
        if row is None:
            return None
        return {**dict(row), "app_json": _loads(row["app_json"])}

    def feedback_names(self) -> list[str]:
        """The names of every feedback with a result, sorted."""
        t = self.tables()
        if t is None:
            return []
        f = t["feedbacks"]
        with self.engine.connect() as c:
            return list(c.scalars(sa.select(f.c.name).distinct().order_by(f.c.name)))

    # -- leaderboard ----------------------------------------------------------------

    def leaderboard(self, app_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """One row per app version (of ``app_ids``, or all): record count, latency
        p50/p95, tokens, cost and, per feedback, the mean score with its 95 % confidence
        interval and count.

        Each aggregate reads only indexable columns of the records (never their JSON), one
        app version at a time, so an index on ``(app_id, record_id, latency, ...)`` serves
        it without touching the rows.
        """
        t = self.tables()
        if t is None:
            return []
        r, f = t["records"], t["feedbacks"]
        rows = {
            a["app_id"]: {**a, "feedbacks": {}}
            for a in self.apps()
            if app_ids is None or a["app_id"] in app_ids
        }
        with self.engine.connect() as c:
            for app_id, row in rows.items():
                stats = sa.select(
                    sa.func.avg(r.c.latency),
                    sa.func.sum(r.c.total_tokens),
                    sa.func.sum(r.c.total_cost),
                ).where(r.c.app_id == app_id)
                latency, tokens, cost = c.execute(stats).one()
                row.update(latency_mean=latency, total_tokens=tokens or 0, total_cost=cost or 0.0)
                # Results not done have no score: count() and avg() skip the NULLs.
                scores = sa.select(
                    f.c.name,
                    sa.func.count(f.c.result),
                    sa.func.avg(f.c.result),
                    sa.func.avg(f.c.result * f.c.result),
                ).group_by(f.c.name)
                if "app_id" in f.c:  # the store copies the record's app: one covering index
                    scores = scores.where(f.c.app_id == app_id)
                else:
                    scores = scores.join(r, r.c.record_id == f.c.record_id).where(
                        r.c.app_id == app_id
                    )
                for name, n, mean, mean_sq in c.execute(scores).all():
                    if n:
                        var = max(0.0, (mean_sq or 0.0) - mean * mean) * n / max(1, n - 1)
                        half = 1.96 * math.sqrt(var / n) if n > 1 else None
                        row["feedbacks"][name] = {"mean": mean, "ci": half, "n": n}
                row["p50"], row["p95"] = self._percentiles(c, app_id, row["records"])
        return list(rows.values())

    def _percentiles(self, c: sa.Connection, app_id: str, n: int) -> tuple[Any, Any]:
        if not n:
            return None, None
        r = self.tables()["records"]  # type: ignore[index]
        out = []
        for q in (0.5, 0.95):
            k = min(n - 1, max(0, math.ceil(q * n) - 1))
            sel = (
                sa.select(r.c.latency)
                .where(r.c.app_id == app_id, r.c.latency.is_not(None))
                .order_by(r.c.latency)
                .offset(k)
                .limit(1)
            )
            out.append(c.execute(sel).scalar())
        return out[0], out[1]

    # -- records --------------------------------------------------------------------

    def records(self, flt: Filters) -> tuple[list[dict[str, Any]], int]:
        """One page of records matching ``flt`` (with their feedback scores), and how
        many match in all."""
        t = self.tables()
        if t is None:
            return [], 0
        r, a, f = t["records"], t["apps"], t["feedbacks"]
        where: list[Any] = []
        if flt.app_id:
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
        if flt.sort in SORTS:
            key: Any = r.c[flt.sort]
        else:  # a feedback's name: its mean score on the record
            key = (
                sa.select(sa.func.avg(f.c.result))
                .where(f.c.record_id == r.c.record_id, f.c.name == flt.sort)
                .scalar_subquery()
            )
        order = key.desc() if flt.descending else key.asc()
        cols = [r.c[n] for n in ("record_id", "app_id", "input", "output", "error", "tags")]
        cols += [r.c[n] for n in ("ts", "latency", "total_tokens", "total_cost")]
        q = (
            sa.select(*cols, a.c.app_name, a.c.app_version)
            .join(a, a.c.app_id == r.c.app_id)
            .where(*where)
            .order_by(order, r.c.record_id)
            .offset(max(0, flt.offset))
            .limit(max(1, min(flt.limit, 500)))
        )
        count = sa.select(sa.func.count()).select_from(r).where(*where)
        with self.engine.connect() as c:
            page = [dict(m) for m in c.execute(q).mappings()]
            total = c.execute(count).scalar() or 0
            scores = self._scores(c, [p["record_id"] for p in page])
        for p in page:
            p["input"], p["output"] = _loads(p["input"]), _loads(p["output"])
            p["ts"] = _ts(p["ts"])
            p["feedbacks"] = scores.get(p["record_id"], {})
        return page, total

    def _scores(self, c: sa.Connection, record_ids: list[str]) -> dict[str, dict[str, Any]]:
        if not record_ids:
            return {}
        f = self.tables()["feedbacks"]  # type: ignore[index]
        q = sa.select(f.c.record_id, f.c.name, f.c.status, f.c.result).where(
            f.c.record_id.in_(record_ids)
        )
        out: dict[str, dict[str, Any]] = {}
        for rid, name, status, result in c.execute(q):
            out.setdefault(rid, {})[name] = {"status": status, "result": result}
        return out

    def record(self, record_id: str) -> dict[str, Any] | None:
        """One record in full: its stored JSON, app names and every feedback result."""
        t = self.tables()
        if t is None:
            return None
        r, a, f = t["records"], t["apps"], t["feedbacks"]
        q = (
            sa.select(r, a.c.app_name, a.c.app_version)
            .join(a, a.c.app_id == r.c.app_id)
            .where(r.c.record_id == record_id)
        )
        with self.engine.connect() as c:
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
        out["record_json"] = _loads(out["record_json"])
        out["input"], out["output"] = _loads(out["input"]), _loads(out["output"])
        out["ts"] = _ts(out["ts"])
        for res in results:
            res["calls"] = _loads(res.pop("calls_json", None)) or []
            res["cost"] = _loads(res.pop("cost_json", None))
            res["last_ts"] = _ts(res["last_ts"])
            res["lease_until"] = _ts(res.get("lease_until"))
        out["feedbacks"] = results
        return out

    def export_rows(
        self, app_id: str | None = None, batch: int = 1000
    ) -> Iterator[list[dict[str, Any]]]:
        """Every record (in time order) with its app's names and its feedback scores, in
        batches, read page by page on ``(ts, record_id)`` so memory stays flat."""
        t = self.tables()
        if t is None:
            return
        r, a = t["records"], t["apps"]
        after: tuple[Any, str] | None = None
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
            with self.engine.connect() as c:
                rows = [dict(m) for m in c.execute(q).mappings()]
                scores = self._scores(c, [x["record_id"] for x in rows])
            if not rows:
                return
            for x in rows:
                after_ts = x["ts"]
                x["record_json"] = _loads(x["record_json"])
                x["input"], x["output"] = _loads(x["input"]), _loads(x["output"])
                x["feedbacks"] = {n: v["result"] for n, v in scores.get(x["record_id"], {}).items()}
            after = (after_ts, rows[-1]["record_id"])
            yield rows

    def count_records(self, app_id: str | None = None) -> int:
        """How many records are stored (of one app version, if given)."""
        t = self.tables()
        if t is None:
            return 0
        r = t["records"]
        q = sa.select(sa.func.count()).select_from(r)
        if app_id:
            q = q.where(r.c.app_id == app_id)
        with self.engine.connect() as c:
            return int(c.execute(q).scalar() or 0)

    # -- compare --------------------------------------------------------------------

    def distributions(self, app_id: str, bins: int = 10) -> dict[str, list[int]]:
        """Per feedback, the count of done scores of one app version in ``bins`` equal
        bins over [0, 1] (scores outside are clamped into the end bins)."""
        t = self.tables()
        if t is None:
            return {}
        r, f = t["records"], t["feedbacks"]
        bucket = sa.func.min(bins - 1, sa.func.max(0, sa.cast(f.c.result * bins, sa.Integer)))
        if self.engine.dialect.name == "postgresql":
            bucket = sa.func.least(bins - 1, sa.func.greatest(0, sa.func.floor(f.c.result * bins)))
        q = (
            sa.select(f.c.name, bucket.label("b"), sa.func.count())
            .where(f.c.result.is_not(None))
            .group_by(f.c.name, "b")
        )
        if "app_id" in f.c:
            q = q.where(f.c.app_id == app_id)
        else:
            q = q.join(r, r.c.record_id == f.c.record_id).where(r.c.app_id == app_id)
        out: dict[str, list[int]] = {}
        with self.engine.connect() as c:
            for name, b, n in c.execute(q):
                out.setdefault(name, [0] * bins)[int(b)] += n
        return out

    def shared_inputs(self, left: str, right: str, limit: int = 50) -> list[dict[str, Any]]:
        """Records of two app versions with the same main input, side by side: the
        newest ``limit`` inputs of ``left`` that ``right`` also has (the inputs are not
        indexed, so this reads a window of ``left`` and looks those up in ``right`` with one
        ``IN``, instead of joining the two versions on text)."""
        t = self.tables()
        if t is None:
            return []
        r = t["records"]
        cols = (r.c.input, r.c.record_id, r.c.output)
        window = sa.select(*cols).where(r.c.app_id == left).order_by(r.c.ts.desc()).limit(500)
        with self.engine.connect() as c:
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
                "input": _loads(text),
                "left_id": lefts[text][0],
                "left_output": _loads(lefts[text][1]),
                "right_id": rights[text][0],
                "right_output": _loads(rights[text][1]),
                "left_scores": scores.get(lefts[text][0], {}),
                "right_scores": scores.get(rights[text][0], {}),
            }
            for text in shared
        ]

    # -- evaluation -----------------------------------------------------------------

    def evaluation(self, limit: int = 50) -> dict[str, Any]:
        """Feedback results by status (counts) and the latest ones of each status."""
        t = self.tables()
        if t is None:
            return {"counts": {}, "latest": []}
        f = t["feedbacks"]
        with self.engine.connect() as c:
            counts = {
                s: n
                for s, n in c.execute(sa.select(f.c.status, sa.func.count()).group_by(f.c.status))
            }
            cols = [f.c[n] for n in ("feedback_result_id", "record_id", "name", "status")]
            cols += [f.c[n] for n in ("result", "error", "last_ts", "worker", "attempts")]
            # The results still in play (few, found by the status index) come first, then
            # the latest finished ones. On SQLite "latest" is the newest rows (rowid), as
            # last_ts has no index and a sort would read every result.
            open_ = (
                sa.select(*cols)
                .where(f.c.status.in_(["none", "running", "failed"]))
                .order_by(f.c.last_ts.desc())
                .limit(limit)
            )
            newest = f.c.last_ts.desc()
            if self.engine.dialect.name == "sqlite":
                newest = sa.literal_column("rowid").desc()
            done = (
                sa.select(*cols)
                .where(f.c.status.not_in(["none", "running", "failed"]))
                .order_by(newest)
                .limit(limit)
            )
            latest = [dict(m) for m in c.execute(open_).mappings()] if limit else []
            if limit:
                latest += [dict(m) for m in c.execute(done).mappings()]
            latest = sorted(latest, key=lambda x: x["last_ts"], reverse=True)[:limit]
        for x in latest:
            x["last_ts"] = _ts(x["last_ts"])
        return {"counts": counts, "latest": latest}

    def retry(self, feedback_result_id: str) -> bool:
        """Put a failed feedback result back to pending (for the evaluator workers to claim
        again); False when there is no such failed result."""
        t = self.tables()
        if t is None:
            return False
        f = t["feedbacks"]
        values: dict[str, Any] = {"status": "none", "error": None, "last_ts": datetime.now()}
        for col in ("worker", "lease_until"):
            if col in f.c:
                values[col] = None
        if "attempts" in f.c:
            values["attempts"] = 0
        q = (
            f.update()
            .where(f.c.feedback_result_id == feedback_result_id, f.c.status == "failed")
            .values(**values)
        )
        with self.engine.begin() as c:
            return c.execute(q).rowcount == 1
