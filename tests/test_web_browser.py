"""`review serve` in a real browser: Playwright driving Debian's Chromium.

The server runs in its own process on a free port of 127.0.0.1 (so kill -9 is
real); each test checks what the decisions store holds afterwards, not only what
the page says. Skipped, saying why, when Chromium or Playwright is missing
(Debian: `apt-get install chromium`; Playwright's own browser download is not used).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_support import HOSTILE_TITLE, Review, Server, make_review

from review.decisions import DecisionStore
from review.protocol import load_protocol

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="needs Playwright for Python (pip install -e '.[dev]')"
)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="needs Chromium (Debian package 'chromium'), which is not installed",
)

Page = playwright_api.Page
expect = playwright_api.expect
Browser = playwright_api.Browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


@pytest.fixture
def review(tmp_path: Path) -> Review:
    return make_review(tmp_path / "data")


def serve(review: Review, tmp_path: Path) -> Server:
    return Server(review, cwd=tmp_path)


def sign_in(page: Page, url: str, name: str) -> None:
    """Waits for the name box itself: typing before autofocus lands (a loaded machine
    runs it after the load event) would lose the keys."""
    page.goto(f"{url}/login")
    box = page.locator("input[name=name]")
    box.fill(name)
    with page.expect_navigation():
        box.press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def key(page: Page, name: str) -> None:
    """Press a key that submits a decision and wait for the page the server answers with."""
    with page.expect_navigation():
        page.keyboard.press(name)


def shown_record(page: Page) -> str:
    return page.get_attribute("article.record", "data-record-id") or ""


def decisions(review: Review, reviewer: str | None = None) -> dict[str, str]:
    with DecisionStore.for_protocol(load_protocol(review.protocol)) as store:
        return {
            d.record_id: d.outcome + (f":{d.reason}" if d.reason else "")
            for d in store.current("title-abstract", reviewer)
        }


def test_ten_records_screened_with_the_keyboard_only(
    browser: Browser, review: Review, tmp_path: Path
) -> None:
    server = serve(review, tmp_path)
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "ann")
        page.goto(f"{server.url}/screen/title-abstract")
        assert shown_record(page) == "r0"
        key(page, "i")  # r0 include
        assert "Saved r0" in page.inner_text("#said")
        key(page, "u")  # r1 unsure
        key(page, "1")  # r2 exclude, first reason
        page.keyboard.press("e")  # r3: the reason picker, then its second reason
        key(page, "2")
        page.keyboard.press("n")  # r4: a note, then leave the box and include
        page.keyboard.type("dose in abstract only")
        page.keyboard.press("Escape")
        key(page, "i")
        key(page, "i")  # r5
        key(page, "b")  # back to r5 ...
        assert shown_record(page) == "r5"
        assert "Your decision: include" in page.inner_text("#mine")
        key(page, "1")  # ... and exclude it instead; then the queue goes on at r6
        assert shown_record(page) == "r6"
        key(page, "i")  # r6
        key(page, "i")  # r7, then undo it: r7 comes back
        key(page, "z")
        assert shown_record(page) == "r7"
        assert "Undone" in page.inner_text("#said")
        for _ in range(3):  # r7, r8, r9
            key(page, "u")
        assert page.inner_text("#done-count") == "10"
        assert shown_record(page) == "r10"
    finally:
        context.close()
        server.stop()
    stored = decisions(review, "ann")
    assert stored == {
        "r0": "include",
        "r1": "needs-human",
        "r2": "exclude:not-kratom",
        "r3": "exclude:wrong-design",
        "r4": "include",
        "r5": "exclude:not-kratom",
        "r6": "include",
        "r7": "needs-human",
        "r8": "needs-human",
        "r9": "needs-human",
    }
    with DecisionStore.for_protocol(load_protocol(review.protocol)) as store:
        notes = {d.record_id: d.note for d in store.current("title-abstract", "ann")}
    assert notes["r4"] == "dose in abstract only"


def test_two_blind_reviewers_make_a_conflict_and_one_resolves_it(
    browser: Browser, tmp_path: Path
) -> None:
    """Every step waits on what the page shows (Playwright's expect), never on time."""
    review = make_review(tmp_path / "data", count=4, required=2)
    server = serve(review, tmp_path)
    ann_context, bob_context = browser.new_context(), browser.new_context()
    try:
        ann, bob = ann_context.new_page(), bob_context.new_page()
        sign_in(ann, server.url, "ann")
        sign_in(bob, server.url, "bob")
        for page in (ann, bob):
            page.goto(f"{server.url}/screen/title-abstract")
        decide(ann, "r0", "i")  # r0: ann includes ...
        decide(ann, "r1", "i")
        decide(bob, "r0", "i")  # r0: bob too: agreed by the two required
        decide(bob, "r1", "1")  # r1: bob excludes: a conflict
        # Blind: neither screening page says what the other decided.
        bob.goto(f"{server.url}/screen/title-abstract?record=r1")
        expect(bob.locator("article.record")).to_have_attribute("data-record-id", "r1")
        expect(bob.locator("main")).not_to_contain_text("ann")
        ann.goto(f"{server.url}/dashboard")
        expect(ann.locator("#counts-title-abstract")).to_contain_text("for people to decide")
        ann.goto(f"{server.url}/conflicts")
        conflict = ann.locator("section.conflict")
        expect(conflict).to_have_count(1)
        expect(conflict).to_contain_text("Kratom study number 1")
        expect(conflict).to_contain_text("include")
        expect(conflict).to_contain_text("exclude — not-kratom")
        conflict.locator("input[name=note]").fill("abstract names kratom use")
        with ann.expect_navigation():
            conflict.locator("button[value=include]").click()
        expect(ann.locator("#said")).to_contain_text("Resolved r1")
        expect(ann.locator("section.conflict")).to_have_count(0)
        ann.goto(f"{server.url}/agreement")
        expect(ann.locator("#agreement-rule")).to_contain_text(re.compile("unsure", re.I))
    finally:
        ann_context.close()
        bob_context.close()
        server.stop()
    with DecisionStore.for_protocol(load_protocol(review.protocol)) as store:
        final = {d.record_id: d for d in store.final_decisions()}
    assert (final["r0"].outcome, final["r1"].outcome, final["r1"].by) == (
        "include",
        "include",
        "ann",
    )


def decide(page: Page, record_id: str, name: str) -> None:
    """Once the page shows this record, press the key and wait for the answer saying so."""
    expect(page.locator("article.record")).to_have_attribute("data-record-id", record_id)
    key(page, name)
    expect(page.locator("#said")).to_contain_text(f"Saved {record_id}")


def test_the_terminal_screener_and_the_browser_write_at_the_same_time(
    browser: Browser, review: Review, tmp_path: Path
) -> None:
    server = serve(review, tmp_path)
    terminal = subprocess.Popen(
        [sys.executable, "-m", "review", "screen", *review.serve_args(), "--reviewer", "cara"],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert terminal.stdin is not None
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "ann")
        page.goto(f"{server.url}/screen/title-abstract")
        for _ in range(5):  # one key here, one key there
            key(page, "i")
            terminal.stdin.write("u")
            terminal.stdin.flush()
        terminal.stdin.write("q")
        terminal.stdin.close()
        assert terminal.wait(timeout=60) == 0
        page.goto(f"{server.url}/dashboard")
        rows = page.inner_text("#reviewers")
        assert "ann\t5" in rows
        assert "cara\t5" in rows
    finally:
        context.close()
        server.stop()
        if terminal.poll() is None:
            terminal.kill()
            terminal.wait(timeout=10)
        if terminal.stderr is not None:
            terminal.stderr.close()
    assert set(decisions(review, "ann").values()) == {"include"}
    assert list(decisions(review, "cara").values()) == ["needs-human"] * 5


def test_a_killed_server_loses_nothing_and_a_restart_resumes(
    browser: Browser, review: Review, tmp_path: Path
) -> None:
    server = serve(review, tmp_path)
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "ann")
        page.goto(f"{server.url}/screen/title-abstract")
        for _ in range(3):
            key(page, "i")
        server.kill_9()
        assert decisions(review, "ann") == {"r0": "include", "r1": "include", "r2": "include"}
        # A key pressed while the server is down stores nothing (and nothing says saved).
        with contextlib.suppress(playwright_api.Error):  # the browser says it was refused
            key(page, "i")
        page.wait_for_load_state()
        assert "saved=r3" not in page.url
        assert decisions(review, "ann") == {"r0": "include", "r1": "include", "r2": "include"}
        server = serve(review, tmp_path)
        page.goto(f"{server.url}/screen/title-abstract")  # the same browser: still signed in
        assert shown_record(page) == "r3"
        assert page.inner_text("#done-count") == "3"
        key(page, "i")
    finally:
        context.close()
        server.stop()
    assert decisions(review, "ann")["r3"] == "include"


def test_markup_in_a_title_stays_text(browser: Browser, review: Review, tmp_path: Path) -> None:
    server = serve(review, tmp_path)
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "ann")
        hostile = review.ids[-1]
        page.goto(f"{server.url}/screen/title-abstract?record={hostile}")
        assert page.inner_text("#record-title") == HOSTILE_TITLE
        assert page.evaluate("window.pwned === undefined")
        assert page.locator("article.record img, article.record script").count() == 0
        # The record's javascript: URL is not offered as a link.
        assert page.locator("a[href^=javascript]").count() == 0
        key(page, "i")
        assert HOSTILE_TITLE[:60] in page.inner_text("#said")
        assert page.evaluate("window.pwned === undefined")
    finally:
        context.close()
        server.stop()


def test_the_relevance_line_updates_when_the_background_refit_finishes(
    browser: Browser, review: Review, tmp_path: Path
) -> None:
    # The page was drawn by a ranking one decision behind (data-lag 1, made so here, as a
    # slow refit would leave it); it asks the server again and shows the refit's line.
    server = serve(review, tmp_path)
    context = browser.new_context()
    refit = "Relevance 0.87 (ranked by a model learned from 2 decisions); weighed most: kratom"
    try:
        page = context.new_page()
        sign_in(page, server.url, "ann")

        def one_behind(route: Any) -> None:
            answer = route.fetch()
            route.fulfill(
                response=answer, body=answer.text().replace('data-lag="0"', 'data-lag="1"')
            )

        asked: list[str] = []

        def refitted(route: Any) -> None:
            asked.append(route.request.url)
            route.fulfill(json={"ranking": refit, "lag": 0})

        page.route(re.compile(r"/screen/title-abstract$"), one_behind)
        page.route(re.compile(r"/screen/title-abstract/ranking\?"), refitted)
        page.goto(f"{server.url}/screen/title-abstract")
        expect(page.locator("#ranking")).to_have_text(refit)
        record = shown_record(page)
        assert asked == [f"{server.url}/screen/title-abstract/ranking?record={record}"]
    finally:
        context.close()
        server.stop()
