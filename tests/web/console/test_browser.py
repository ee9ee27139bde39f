"""The console in a real browser: Debian's chromium, headless, driven by Playwright.

Skipped when the playwright package or /usr/bin/chromium is missing (Playwright's own
browser downloads are never used). Saves queue.png and case.png as test artifacts in
test-artifacts/ (or $SUPPORTFLOW_SCREENSHOTS; docs/screenshots holds the README's copies:
refresh them with SUPPORTFLOW_SCREENSHOTS=docs/screenshots).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import select

from supportflow.config import Settings
from supportflow.store.models import Case, OutboxEntry
from supportflow.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(
    os.environ.get("SUPPORTFLOW_SCREENSHOTS")
    or Path(__file__).resolve().parents[3] / "test-artifacts"
)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Debian chromium at /usr/bin/chromium"),
]


@pytest.fixture
def console_url(demo_db, demo_home, review_cases) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(Settings(home=demo_home), demo_db)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def page(console_url) -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=console_url)
        context.set_default_timeout(15_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def sign_in(page, account) -> None:
    page.goto("/")
    assert "/login" in page.url
    page.fill("input[name=email]", account.email)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def test_reviewer_edits_and_approves_then_rejects_in_the_browser(
    page, accounts, review_cases, demo_db
) -> None:
    sign_in(page, accounts["reviewer"])
    rows = page.locator("#queue tr[data-href]")
    assert rows.count() == len(review_cases)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "queue.png"))

    # Keyboard: j selects the first row, o opens it.
    page.keyboard.press("j")
    first_href = rows.first.get_attribute("data-href")
    page.keyboard.press("o")
    page.wait_for_url(f"**{first_href}")
    first = int(first_href.rsplit("/", 1)[1])
    assert page.locator("#stages tr").count() >= 2  # header and at least one stage
    assert page.locator(".passage.cited mark").count() >= 1
    page.set_viewport_size({"width": 1280, "height": 1150})  # down to the cited passages
    page.screenshot(path=str(SCREENSHOTS / "case.png"))

    page.keyboard.press("e")
    assert page.evaluate("document.activeElement.id") == "editor"
    edited = page.input_value("#editor").replace("Hello", "Hello again", 1)
    page.fill("#editor", edited)
    page.click("#approve-edited")
    page.wait_for_selector(".notice")
    assert f"Case {first} approved" in page.inner_text(".notice")

    page.goto("/")
    assert page.locator(f'#queue tr[data-href="/cases/{first}"]').count() == 0
    with demo_db.session() as session:
        entry = session.scalars(select(OutboxEntry).where(OutboxEntry.case_id == first)).one()
        assert "Hello again" in entry.body_text

    second_href = page.locator("#queue tr[data-href]").first.get_attribute("data-href")
    second = int(second_href.rsplit("/", 1)[1])
    page.goto(second_href)
    page.fill("#reject-reason", "the customer asked about something else")
    page.click("#reject")
    page.wait_for_selector(".notice")
    with demo_db.session() as session:
        case = session.get_one(Case, second)
        assert (case.status, case.status_reason) == (
            "rejected",
            "the customer asked about something else",
        )

    # The overview counts what just happened: every case, one approved unedited of two decided.
    page.goto("/overview")
    assert page.inner_text('[data-metric="cases"]') == str(len(review_cases))
    assert page.inner_text('[data-metric="approved_unedited"]') == "0.0%"  # the one was edited
    assert page.inner_text('[data-metric="edit_rate"]') == "50.0%"


def test_the_pages_work_without_javascript(console_url, accounts, review_cases) -> None:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(java_script_enabled=False, base_url=console_url)
        try:
            page = context.new_page()
            sign_in(page, accounts["reviewer"])
            page.click(f'#queue a[href="/cases/{review_cases[0]}"] >> nth=0')
            page.click("#approve")
            page.wait_for_selector(".notice")
            assert f"Case {review_cases[0]} approved" in page.inner_text(".notice")
        finally:
            context.close()
            browser.close()
