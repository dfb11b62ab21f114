"""The dashboard in a real browser, on a database filled by recording the example apps."""

from __future__ import annotations

import os
import shutil

import _dash_data
from _dash_page import ROOT, Page, Served

PAGES = ["/leaderboard", "/records", "/compare", "/evaluation", "/apps"]


def test_walk_from_leaderboard_to_a_reason_and_human_feedback(recorded: Served, page: Page) -> None:
    """Leaderboard → records → a record → a call expanded → a feedback's reason → compare
    two versions → human feedback stored; screenshots of each step, no console error."""
    p = page.page
    p.goto(recorded.url + "/")
    assert p.url.endswith("/leaderboard")
    rows = p.locator("#leaderboard tbody tr")
    assert 6 == rows.count()  # three apps, two versions each
    assert {"custom rag", "langchain", "llamaindex"} == set(
        p.locator("#leaderboard td.app-name").all_inner_texts()
    )
    header = p.locator("#leaderboard thead").inner_text()
    assert "grounded" in header and "p95 latency" in header
    page.shot("1-leaderboard")

    custom = p.locator("#leaderboard tbody tr", has_text="custom rag").first
    custom.locator("td:nth-child(4) a").click()
    p.wait_for_url("**/records?app_id=*")
    assert "2 records" in p.locator("#count").inner_text()
    page.shot("2-records")

    p.locator("a.record-link").first.click()
    p.wait_for_url("**/records/record_*")
    assert "custom rag" == p.locator("#record-app").inner_text()
    call = p.locator("details.call", has_text="RAG.retrieve").first
    call.locator("summary").click()
    body = call.locator(".call-body")
    assert body.is_visible()
    assert "Paris is the capital of France." in body.inner_text()

    grounded = p.locator("details.feedback[data-name=grounded]")
    grounded.locator("summary").click()
    reason = grounded.locator("td.reasons").first
    assert reason.is_visible()
    assert _dash_data.REASON in reason.inner_text()
    record_shot = page.shot("3-record")
    # The README's screenshot is this one; it is refreshed on request only (every run
    # would change it: new ids and times), or made when missing.
    docs_image = ROOT / "docs" / "images" / "dashboard-record.png"
    if os.environ.get("SPYGLASS_UPDATE_DOCS_IMAGES") or not docs_image.exists():
        docs_image.parent.mkdir(exist_ok=True)
        shutil.copyfile(record_shot, docs_image)

    record_id = p.locator("#record-id").inner_text()
    p.locator("#human-feedback button.thumb[data-score='1']").click()
    p.locator("#human-feedback-status", has_text="saved").wait_for()
    stored = [
        r for r in recorded.session.get_feedback_results(record_id=record_id) if r.name == "human"
    ]
    assert [1.0] == [r.result for r in stored]
    page.shot("4-human-feedback")
    p.goto(recorded.url + "/leaderboard")
    assert "human" in p.locator("#leaderboard thead").inner_text()

    p.goto(recorded.url + "/compare")
    left, right = [a for a in recorded.ids][:2]  # custom rag v1 and v2: the same questions
    p.locator("select[name=left]").select_option(left)
    p.locator("select[name=right]").select_option(right)
    p.locator("form.filters button").click()
    p.wait_for_url("**/compare?left=*")
    assert 2 == p.locator("#compare .side h2").count()
    assert 2 == p.locator("#shared tbody tr").count()
    assert p.locator(".dist[data-feedback=grounded] .hist").count() == 2
    page.shot("5-compare")


def test_every_page_opens_from_the_navigation_bar(recorded: Served, page: Page) -> None:
    """Each page named in the navigation bar opens on the recorded database."""
    p = page.page
    p.goto(recorded.url + "/leaderboard")
    for name, path in zip(["Leaderboard", "Records", "Compare", "Evaluation", "Apps"], PAGES):
        p.locator("nav a", has_text=name).click()
        p.wait_for_url(f"**{path}*")
        assert name == p.locator("h1").inner_text()
    p.locator("#app-list a").first.click()
    assert p.locator("#app-tree details.component").count() > 0
    page.shot("6-app")


def test_leaderboard_sorts_and_pins(recorded: Served, page: Page) -> None:
    """Clicking a column sorts the versions; a pinned version stays on top after reload."""
    p = page.page
    p.goto(recorded.url + "/leaderboard")
    p.locator("#leaderboard thead th", has_text="app").first.click()
    names = p.locator("#leaderboard td.app-name").all_inner_texts()
    assert sorted(names, reverse=True) == names
    last = p.locator("#leaderboard tbody tr").last
    app_id = last.get_attribute("data-app-id")
    last.locator("button.pin").click()
    p.reload()
    assert app_id == p.locator("#leaderboard tbody tr").first.get_attribute("data-app-id")


def test_evaluation_page_is_live(recorded: Served, page: Page) -> None:
    """The Evaluation page counts the stored results and refreshes from the API."""
    p = page.page
    p.goto(recorded.url + "/evaluation")
    done = p.locator("#eval-counts [data-status=done]")
    assert int(done.inner_text()) >= 24  # 12 records, 2 feedbacks each
    recorded.session.add_feedback(name="late", record_id=recorded.record_id(), result=0.5)
    p.locator("#evaluation tbody tr", has_text="late").first.wait_for(timeout=10_000)


def test_hostile_values_render_as_text_on_every_page(hostile: Served, page: Page) -> None:
    """<script> and onerror payloads in app names, inputs, outputs and reasons are shown as
    text on every page and never run."""
    p = page.page
    record_id = hostile.record_id()
    app_id = next(iter(hostile.ids))
    paths = [*PAGES, f"/records/{record_id}", f"/apps/{app_id}", "/records?text=capital"]
    for path in paths:
        p.goto(hostile.url + path)
        for d in p.locator("details").all():
            d.evaluate("el => { el.open = true; }")
        p.wait_for_timeout(50)
        assert p.evaluate("window.__xss") is None, path
        assert 0 == p.locator("img").count(), path
        assert 0 == p.locator("main script").count(), path
        if path not in ("/evaluation",):
            assert _dash_data.XSS_SCRIPT in p.locator("main").inner_text(), path
    p.goto(hostile.url + f"/records/{record_id}")
    assert _dash_data.XSS_IMG in (p.locator("td.reasons").first.text_content() or "")
    page.shot("7-xss-record")


def test_empty_database_says_how_to_record(empty: Served, page: Page) -> None:
    """On an empty database every page opens; the start page says how to record a run."""
    p = page.page
    for path in ["/", *PAGES]:
        response = p.goto(empty.url + path)
        assert response is not None and 200 == response.status, path
    p.goto(empty.url + "/")
    assert "Record a first run" in p.locator("#empty").inner_text()
    page.shot("0-empty")
