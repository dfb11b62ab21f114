"""Every dashboard page on a database of 100,000 records answers, with the right content.

The database is filled once for this module by copying real recorded records through
the store's public API (:mod:`_bulk`); the dashboard is served for real (uvicorn on
loopback) and each page is fetched over HTTP. Figures for the server time of these
pages are in ``bench/bench_dashboard.py``; here only status and content are checked.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _bulk
import pytest

from spyglass.core.sinks import set_current_store
from spyglass.dashboard import run_dashboard, stop_dashboard
from spyglass.store import TruSession

N = 100_000


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, _bulk.Filled]]:
    """100,000 records (and the 4 recorded templates) served by a dashboard."""
    path: Path = tmp_path_factory.mktemp("big") / "big.sqlite"
    session = TruSession(database_url=f"sqlite:///{path}")
    try:
        filled = _bulk.fill(session, N)
        url = run_dashboard(session).rstrip("/")
        try:
            yield url, filled
        finally:
            stop_dashboard(session)
    finally:
        session.close()
        set_current_store(None)


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as resp:
        assert 200 == resp.status, url
        return str(resp.read().decode("utf-8"))


def get_json(url: str) -> Any:
    return json.loads(get(url))


def test_every_page_opens_with_the_right_content(big: tuple[str, _bulk.Filled]) -> None:
    """Leaderboard, records (first page, filtered, sorted by a score, far offset), one
    record, compare, evaluation, apps and one app: 200 and what each must show."""
    url, filled = big
    total = filled.records
    v1, v2 = filled.app_ids["v1"], filled.app_ids["v2"]

    board = get(url + "/leaderboard")
    for app_id in filled.app_ids.values():
        assert f'data-app-id="{app_id}"' in board
    assert board.count(">25001</a>") == 4  # each version's record count, linked
    assert "grounded" in board and "length" in board

    page = get(url + "/records")
    assert f"{total} records; showing 1–25" in page
    assert "question 24999 of v4" in page  # the newest record comes first

    filtered = get(url + f"/records?app_id={v2}&text=question%20123")
    # question 123, 1230-1239, 12300-12399 of v2 (and 123xx under 25,000 only)
    assert "111 records" in filtered
    assert "of v1" not in filtered.split('id="records"')[1]

    by_score = get_json(url + "/api/records?sort=length&limit=10")
    assert total == by_score["total"]
    scores = [r["feedbacks"]["length"]["result"] for r in by_score["records"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0.999
    assert "length" in get(url + "/records?sort=grounded")

    far = get(url + "/records?offset=50000")
    assert f"{total} records; showing 50001–50025" in far

    record_id = by_score["records"][0]["record_id"]
    record = get(url + f"/records/{record_id}")
    assert record_id in record and "retrieve" in record and "generate" in record

    compare = get(url + f"/compare?left={v1}&right={v2}")
    assert "length" in compare and "25001 records" in compare

    evaluation = get(url + "/evaluation")
    done = get_json(url + "/api/evaluation")["counts"]["done"]
    assert done == filled.results
    assert f'data-status="done">{done}</b>' in evaluation

    apps = get(url + "/apps")
    assert apps.count("25001 records") == 4
    assert "bulk rag" in get(url + f"/apps/{v1}")


def test_the_api_agrees_with_what_was_stored(big: tuple[str, _bulk.Filled]) -> None:
    """The leaderboard's means are the stored scores' means, per version and feedback."""
    url, filled = big
    rows = get_json(url + "/api/leaderboard")
    assert {filled.app_ids[v] for v in _bulk.VERSIONS} == {r["app_id"] for r in rows}
    for row in rows:
        assert 25_001 == row["records"]
        assert row["p50"] is not None and row["p50"] <= row["p95"]
        for name in _bulk.FEEDBACKS:
            want = filled.scores[(row["app_id"], name)]
            assert want == pytest.approx(row["feedbacks"][name]["mean"], abs=1e-9)
    listed = get_json(url + "/api/records?limit=3")
    assert filled.records == listed["total"]
    assert re.fullmatch(r"record_v4_0024999", listed["records"][0]["record_id"])
