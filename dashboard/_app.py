"""The dashboard's ASGI app: server-rendered pages, the JSON API and the guards.

Every page is a Jinja2 template rendered with autoescaping on, so every value a user
put in the database (app names, inputs, outputs, reasons) reaches the browser as text.
The Content-Security-Policy allows scripts from this server only, a second guard.

Guards, in :class:`_Guard`:

- an optional access token: given once as ``?token=`` (then kept in an HttpOnly
  cookie) or as ``Authorization: Bearer``; without it every route answers 401;
- the only two writes (human feedback, retry of a failed evaluation) need a JSON body
  and a same-origin request (``Origin`` equal to the server's, or
  ``Sec-Fetch-Site: same-origin``); no CORS header is ever sent.
"""

from __future__ import annotations

import hmac
import math
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, Field

from spyglass.store import SORTS, Reader, RecordFilter

from ._calltree import call_tree, fold
from ._deps import fastapi, jinja2

__all__ = ["create_app"]

HERE = Path(__file__).resolve().parent
TOKEN_COOKIE = "spyglass_token"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
NAV = [
    ("Leaderboard", "/leaderboard"),
    ("Records", "/records"),
    ("Compare", "/compare"),
    ("Evaluation", "/evaluation"),
    ("Apps", "/apps"),
]

Request = fastapi.Request
HTMLResponse = fastapi.responses.HTMLResponse
JSONResponse = fastapi.responses.JSONResponse


class HumanFeedback(BaseModel):
    """A score a person gives a record (thumbs up is 1, thumbs down 0)."""

    name: str = Field(min_length=1, max_length=256)
    score: float = Field(ge=0.0, le=1.0)


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _text(value: Any) -> str:
    return fold(value)[0] if value is not None else ""


def _short(value: Any, n: int = 120) -> str:
    text = _text(value)
    return text if len(text) <= n else text[: n - 1] + "…"


class _Guard:
    """ASGI middleware: access token, same-origin writes, security headers."""

    def __init__(self, app: Any, token: str | None) -> None:
        self.app = app
        self.token = token

    def _token_ok(self, headers: dict[str, str], query: str) -> tuple[bool, bool]:
        """(allowed, came in the query string)."""
        if not self.token:
            return True, False
        want = self.token.encode()
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and hmac.compare_digest(auth[7:].encode(), want):
            return True, False
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == TOKEN_COOKIE and hmac.compare_digest(value.encode(), want):
                return True, False
        given = parse_qs(query).get("token", [""])[0]
        if given and hmac.compare_digest(given.encode(), want):
            return True, True
        return False, False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        ok, from_query = self._token_ok(headers, query)
        if not ok:
            resp = JSONResponse(
                {"detail": "This dashboard needs its access token: open it with ?token=..."},
                status_code=401,
            )
            await resp(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD", "OPTIONS") and not _same_origin(headers):
            resp = JSONResponse(
                {"detail": "Writes are accepted from the dashboard's own pages only."},
                status_code=403,
            )
            await resp(scope, receive, send)
            return

        started = time.perf_counter()

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                # Server time up to the first byte: what the bench reads.
                took = (time.perf_counter() - started) * 1000.0
                extra = [
                    (b"server-timing", f"app;dur={took:.2f}".encode()),
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                if from_query:
                    cookie = f"{TOKEN_COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"
                    extra.append((b"set-cookie", cookie.encode()))
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _same_origin(headers: dict[str, str]) -> bool:
    host = headers.get("host", "")
    origin = headers.get("origin")
    if origin:
        return urlsplit(origin).netloc == host
    return headers.get("sec-fetch-site") == "same-origin"


def create_app(session: Any, token: str | None = None) -> Any:
    """The dashboard for ``session`` (a ``TruSession``), as an ASGI app.

    Every page reads through the session's :class:`spyglass.store.Reader`; the two
    writes are ``session.add_feedback`` and ``session.retry_feedback_result``.
    """
    if not callable(getattr(session, "reader", None)):
        raise TypeError(
            f"{type(session).__name__} is not a TruSession (it has no reader()): pass a "
            "spyglass TruSession to run_dashboard(session=...)"
        )
    source: Reader = session.reader()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(fmt=_fmt, text=_text, short=_short, fold=fold)
    env.globals.update(nav=NAV)

    api = fastapi.FastAPI(
        title="spyglass dashboard",
        openapi_url="/api/openapi.json",
        docs_url=None,  # the hosted API explorers load assets from the internet
        redoc_url=None,
    )
    api.mount(
        "/static", fastapi.staticfiles.StaticFiles(directory=str(HERE / "static")), name="static"
    )

    def page(request: Request, name: str, title: str, **ctx: Any) -> HTMLResponse:
        body = env.get_template(name).render(request=request, title=title, **ctx)
        return HTMLResponse(body)

    def empty(request: Request) -> HTMLResponse:
        return page(request, "empty.html", "No records yet", active="")

    def filters(request: Request) -> RecordFilter:
        q = request.query_params

        def num(name: str) -> float | None:
            try:
                return float(q[name]) if q.get(name) not in (None, "") else None
            except ValueError:
                raise fastapi.HTTPException(400, f"{name} must be a number") from None

        def integer(name: str, default: int) -> int:
            try:
                return int(q.get(name) or default)
            except ValueError:
                raise fastapi.HTTPException(400, f"{name} must be a whole number") from None

        sort = q.get("sort") or "ts"
        return RecordFilter(
            app_id=q.get("app_id") or None,
            app_name=q.get("app_name") or None,
            app_version=q.get("app_version") or None,
            status=q.get("status") or None,
            tag=q.get("tag") or None,
            text=q.get("text") or None,
            feedback=q.get("feedback") or None,
            min_score=num("min_score"),
            max_score=num("max_score"),
            sort=sort,
            descending=q.get("descending", "1") not in ("0", "false"),
            offset=max(0, integer("offset", 0)),
            limit=max(1, min(500, integer("limit", 25))),
        )

    # -- pages ------------------------------------------------------------------------

    @api.get("/", include_in_schema=False)
    def home(request: Request) -> Any:
        if source.is_empty():
            return empty(request)
        return fastapi.responses.RedirectResponse("/leaderboard", status_code=303)

    @api.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Any:
        return fastapi.responses.RedirectResponse("/static/favicon.svg", status_code=301)

    @api.get("/leaderboard", response_class=HTMLResponse, include_in_schema=False)
    def leaderboard_page(request: Request) -> Any:
        if source.is_empty():
            return empty(request)
        rows = source.leaderboard()
        names = sorted({n for r in rows for n in r["feedbacks"]})
        return page(request, "leaderboard.html", "Leaderboard", rows=rows, names=names)

    @api.get("/records", response_class=HTMLResponse, include_in_schema=False)
    def records_page(request: Request) -> Any:
        if source.is_empty():
            return empty(request)
        flt = filters(request)
        rows, total = source.records(flt)
        return page(
            request,
            "records.html",
            "Records",
            rows=rows,
            total=total,
            flt=flt,
            apps=source.apps(with_counts=False),
            names=source.feedback_names(),
            sorts=list(SORTS),
        )

    @api.get("/records/{record_id}", response_class=HTMLResponse, include_in_schema=False)
    def record_page(request: Request, record_id: str) -> Any:
        rec = source.record(record_id)
        if rec is None:
            raise fastapi.HTTPException(404, f"No record {record_id!r} in this database")
        tree = call_tree(rec["record_json"] or {})
        nodes = [n for root in tree for n in root.walk()]
        return page(request, "record.html", "Record", rec=rec, nodes=nodes)

    @api.get("/compare", response_class=HTMLResponse, include_in_schema=False)
    def compare_page(request: Request, left: str | None = None, right: str | None = None) -> Any:
        if source.is_empty():
            return empty(request)
        apps = source.apps(with_counts=False)
        ids = [a["app_id"] for a in apps]
        left = left if left in ids else (ids[0] if ids else None)
        right = right if right in ids else (ids[1] if len(ids) > 1 else left)
        board = {r["app_id"]: r for r in source.leaderboard([i for i in (left, right) if i])}
        dists = {i: source.distributions(i) for i in {left, right} if i}
        names = sorted({n for d in dists.values() for n in d})
        shared = source.shared_inputs(left, right) if left and right else []
        return page(
            request,
            "compare.html",
            "Compare",
            apps=apps,
            left=left,
            right=right,
            board=board,
            dists=dists,
            names=names,
            shared=shared,
        )

    @api.get("/evaluation", response_class=HTMLResponse, include_in_schema=False)
    def evaluation_page(request: Request) -> Any:
        return page(request, "evaluation.html", "Evaluation", ev=source.evaluation())

    @api.get("/apps", response_class=HTMLResponse, include_in_schema=False)
    def apps_page(request: Request) -> Any:
        if source.is_empty():
            return empty(request)
        return page(request, "apps.html", "Apps", apps=source.apps(), app=None)

    @api.get("/apps/{app_id}", response_class=HTMLResponse, include_in_schema=False)
    def app_page(request: Request, app_id: str) -> Any:
        app = source.app(app_id)
        if app is None:
            raise fastapi.HTTPException(404, f"No app {app_id!r} in this database")
        return page(request, "apps.html", "Apps", apps=source.apps(), app=app)

    # -- JSON API ---------------------------------------------------------------------

    @api.get("/api/apps", tags=["read"])
    def api_apps() -> list[dict[str, Any]]:
        """Every app version with its record count."""
        return source.apps()

    @api.get("/api/apps/{app_id}", tags=["read"])
    def api_app(app_id: str) -> dict[str, Any]:
        """One app's stored definition."""
        app = source.app(app_id)
        if app is None:
            raise fastapi.HTTPException(404, f"No app {app_id!r}")
        return app

    @api.get("/api/leaderboard", tags=["read"])
    def api_leaderboard() -> list[dict[str, Any]]:
        """One row per app version: scores with 95 % intervals, latency p50/p95, cost."""
        return source.leaderboard()

    @api.get("/api/records", tags=["read"])
    def api_records(request: Request) -> dict[str, Any]:
        """A page of records; the same query parameters as the Records page."""
        rows, total = source.records(filters(request))
        return {"total": total, "records": rows}

    @api.get("/api/records/{record_id}", tags=["read"])
    def api_record(record_id: str) -> dict[str, Any]:
        """One record with its feedback results."""
        rec = source.record(record_id)
        if rec is None:
            raise fastapi.HTTPException(404, f"No record {record_id!r}")
        return rec

    @api.get("/api/evaluation", tags=["read"])
    def api_evaluation() -> dict[str, Any]:
        """Feedback results by status, and the latest of them."""
        return source.evaluation()

    @api.post("/api/records/{record_id}/feedback", tags=["write"])
    def api_human_feedback(record_id: str, body: HumanFeedback) -> dict[str, Any]:
        """Store a person's score for a record (``add_feedback``)."""
        if source.record(record_id) is None:
            raise fastapi.HTTPException(404, f"No record {record_id!r}")
        result_id = session.add_feedback(name=body.name, record_id=record_id, result=body.score)
        return {"feedback_result_id": result_id}

    @api.post("/api/feedback/{feedback_result_id}/retry", tags=["write"])
    def api_retry(feedback_result_id: str) -> dict[str, Any]:
        """Put a failed feedback result back in the queue of the evaluator workers."""
        if not session.retry_feedback_result(feedback_result_id):
            raise fastapi.HTTPException(404, f"No failed feedback result {feedback_result_id!r}")
        return {"feedback_result_id": feedback_result_id, "status": "none"}

    return _Guard(api, token)
