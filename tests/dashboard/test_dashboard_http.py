"""The dashboard over HTTP: guards (token, same-origin writes, no CORS), the JSON API,
start/stop, a database written by another process, and the notebook helper."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _dash_data
import pytest

from spyglass.adapters.custom import TruApp
from spyglass.core import Feedback, Record
from spyglass.core.sinks import set_current_store
from spyglass.dashboard import run_dashboard, stop_dashboard
from spyglass.dashboard.display import get_feedback_result, record_html
from spyglass.store import TruSession

PAGES = ["/", "/leaderboard", "/records", "/compare", "/evaluation", "/apps"]


def http(
    url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read().decode()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TruSession, Any, Path]]:
    """A session holding two records of the custom app (v1), and the recording."""
    path = tmp_path_factory.mktemp("http") / "http.sqlite"
    session = TruSession(database_url=f"sqlite:///{path}")
    try:
        rag = _dash_data.RAG("short")
        recorder = TruApp(
            rag,
            app_name="custom rag",
            app_version="v1",
            feedbacks=[Feedback(_dash_data.make_grounded("why"), name="grounded").on_output()],
        )
        with recorder as recording:
            for q in _dash_data.QUESTIONS:
                rag.respond(q)
        assert session.flush(30)
        yield session, recording, path
    finally:
        session.close()
        set_current_store(None)


def test_start_dashboard_serves_and_stops(small: tuple[TruSession, Any, Path]) -> None:
    """session.start_dashboard() returns the URL (the same one again while it runs);
    stop_dashboard stops it."""
    session = small[0]
    url = session.start_dashboard()
    try:
        assert url.startswith("http://127.0.0.1:")
        assert url == session.start_dashboard()
        for path in PAGES:
            status, headers, _ = http(url.rstrip("/") + path)
            assert 200 == status, path
            assert "script-src 'self'" in headers["content-security-policy"]
    finally:
        session.stop_dashboard()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=5)
    with pytest.raises(RuntimeError, match="No dashboard"):
        stop_dashboard(session)


def test_other_addresses_warn(small: tuple[TruSession, Any, Path]) -> None:
    """Listening beyond loopback must be asked for, and gives a warning."""
    with pytest.warns(UserWarning, match="reachable from other machines"):
        url = run_dashboard(small[0], address="0.0.0.0")
    stop_dashboard(small[0])
    assert url.startswith("http://0.0.0.0:")


def test_access_token_guards_every_route(small: tuple[TruSession, Any, Path]) -> None:
    """With a token, a request without it gets 401; ?token= once sets a cookie; a Bearer
    header works too."""
    url = run_dashboard(small[0], token="s3cret").split("?")[0].rstrip("/")
    try:
        for path in [*PAGES, "/api/records", "/api/openapi.json", "/static/app.js"]:
            assert 401 == http(url + path)[0], path
        assert 401 == http(url + "/records?token=wrong")[0]
        status, headers, _ = http(url + "/records?token=s3cret")
        assert 200 == status
        cookie = headers["set-cookie"].split(";")[0]
        assert "HttpOnly" in headers["set-cookie"]
        assert 200 == http(url + "/api/records", headers={"Cookie": cookie})[0]
        assert 200 == http(url + "/api/apps", headers={"Authorization": "Bearer s3cret"})[0]
    finally:
        stop_dashboard(small[0])


def test_writes_need_a_same_origin_request(small: tuple[TruSession, Any, Path]) -> None:
    """Human feedback from another origin (or with no origin at all) is refused; from the
    dashboard's own origin it is stored. No CORS header is ever sent."""
    session, recording, _ = small
    url = run_dashboard(session).rstrip("/")
    record_id = recording.records[0].record_id
    post = f"{url}/api/records/{record_id}/feedback"
    body = {"name": "reviewer", "score": 0.75}
    try:
        assert 403 == http(post, "POST", body)[0]
        assert 403 == http(post, "POST", body, {"Origin": "http://evil.example"})[0]
        status, headers, _ = http(url + "/api/apps", headers={"Origin": "http://evil.example"})
        assert 200 == status
        assert not any(h.lower().startswith("access-control-") for h in headers)
        status, headers, _ = http(post, "OPTIONS", headers={"Origin": "http://evil.example"})
        assert not any(h.lower().startswith("access-control-") for h in headers)
        assert [] == [
            r for r in session.get_feedback_results(record_id=record_id) if r.name == "reviewer"
        ]
        origin = {"Origin": url}
        assert 422 == http(post, "POST", {"name": "reviewer", "score": 7}, origin)[0]
        status, _, text = http(post, "POST", body, origin)
        assert 200 == status, text
        stored = [
            r for r in session.get_feedback_results(record_id=record_id) if r.name == "reviewer"
        ]
        assert [0.75] == [r.result for r in stored]
        assert 404 == http(f"{url}/api/records/record_nope/feedback", "POST", body, origin)[0]
    finally:
        stop_dashboard(session)


def test_json_api_pages_filters_and_sorts(small: tuple[TruSession, Any, Path]) -> None:
    """/api/records pages, filters and sorts on the server; /api/openapi.json describes it."""
    session, recording, _ = small
    url = run_dashboard(session).rstrip("/")
    try:
        spec = json.loads(http(url + "/api/openapi.json")[2])
        assert {"/api/records", "/api/leaderboard", "/api/apps"} <= set(spec["paths"])
        page = json.loads(http(url + "/api/records?limit=1&sort=ts&descending=0")[2])
        assert 2 == page["total"] and 1 == len(page["records"])
        assert recording.records[0].record_id == page["records"][0]["record_id"]
        seine = json.loads(http(url + "/api/records?text=Seine")[2])
        assert ["Where does the Seine flow?"] == [r["input"] for r in seine["records"]]
        low = json.loads(http(url + "/api/records?feedback=grounded&max_score=0.5")[2])
        assert 0 == low["total"]  # both answers mention Paris: 1.0
        assert 400 == http(url + "/api/records?min_score=high")[0]
        assert 404 == http(url + "/records/record_nope")[0]
    finally:
        stop_dashboard(session)


def test_pages_open_while_another_process_writes(tmp_path: Path) -> None:
    """Every page opens (200) while another process keeps writing into the database."""
    db = tmp_path / "busy.sqlite"
    writer = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import _dash_data
        from spyglass.adapters.custom import TruApp
        from spyglass.store import TruSession
        session = TruSession(database_url={f"sqlite:///{db}"!r})
        rag = _dash_data.RAG("busy")
        recorder = TruApp(rag, app_name="busy", app_version="v1")
        print("ready", flush=True)
        end = time.monotonic() + 6
        while time.monotonic() < end:
            with recorder:
                rag.respond("busy question")
            session.flush(5)
        session.close()
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and "ready" == proc.stdout.readline().strip()
        session = TruSession(database_url=f"sqlite:///{db}")
        url = run_dashboard(session).rstrip("/")
        try:
            seen = []
            while proc.poll() is None:
                for path in PAGES:
                    status, _, text = http(url + path)
                    assert 200 == status, (path, text[:300])
                seen.append(json.loads(http(url + "/api/records?limit=1")[2])["total"])
            assert seen[-1] > seen[0] >= 0
        finally:
            stop_dashboard(session)
            session.close()
            set_current_store(None)
    finally:
        proc.wait(timeout=60)
        if proc.stdout is not None:
            proc.stdout.close()
    assert 0 == proc.returncode


def test_get_feedback_result_is_the_why_of_a_score(small: tuple[TruSession, Any, Path]) -> None:
    """display.get_feedback_result(record, name): one row per evaluation, its arguments,
    score and reasons; an unknown name times out with a message listing the known ones."""
    record = small[1].records[0]
    frame = get_feedback_result(record, "grounded")
    assert ["response", "score", "reason"] == list(frame.columns)
    assert 1.0 == frame["score"][0]
    assert frame["reason"][0].startswith("why: ")
    with pytest.raises(TimeoutError, match="grounded"):
        get_feedback_result(record, "nope", timeout=0.2)


def test_record_html_for_notebooks_escapes_values(small: tuple[TruSession, Any, Path]) -> None:
    """display.record_html shows input, output, scores and calls, every value escaped."""
    html = record_html(small[1].records[0])
    assert "What is the capital of France?" in html and "RAG.retrieve" in html
    assert "grounded" in html and "1.0" in html
    hostile = Record(app_id="app_x", main_input=_dash_data.XSS, main_output=_dash_data.XSS)
    html = record_html(hostile)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in html
