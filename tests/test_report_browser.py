"""Open report.html in headless Chromium and check what a reader actually sees.

A copy of the report gets a small script appended that measures, after
layout, every numbered line of the flow diagram and every included study, and
lists the resources the page loaded; Chromium's --dump-dom hands the result
back. Skipped when Chromium is not installed (Debian: `apt-get install chromium`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from report_example import example_input

from review.report import Paging, build_report, write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="needs headless Chromium (Debian package 'chromium'), which is not installed",
)

MEASURE = """
<script>
(function () {
  function shown(el) {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
  }
  const boxes = Array.from(document.querySelectorAll("#flow text[data-box]")).map((t) => {
    const outline = t.closest("g.prisma-box").querySelector("rect").getBoundingClientRect();
    const r = t.getBoundingClientRect();
    return {key: t.dataset.box, count: Number(t.dataset.count), text: t.textContent,
            shown: shown(t),
            inside: r.left >= outline.left && r.right <= outline.right + 0.5 &&
                    r.top >= outline.top && r.bottom <= outline.bottom + 0.5};
  });
  const studies = Array.from(document.querySelectorAll("tr.included-study")).map(
    (tr) => ({text: tr.textContent, shown: shown(tr)}));
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({
    boxes: boxes, studies: studies,
    resources: performance.getEntriesByType("resource").map((e) => e.name),
  });
  document.body.appendChild(out);
})();
</script>
"""


def _dump_dom(page: Path, profile: Path) -> str:
    assert CHROMIUM is not None
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--window-size=1100,900",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


# As shipped (Helvetica, Arial or Liberation Sans), and DejaVu Sans, the usual
# Linux fallback for a reader who has none of those; its text is wider.
FONTS = ("as shipped", "DejaVu Sans")


@pytest.fixture(scope="module", params=FONTS)
def measured(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("browser")
    write_report(example_input(), out / "report")
    html = (out / "report" / "report.html").read_text(encoding="utf-8")
    if request.param != "as shipped":
        html = re.sub(r'font-family="[^"]*"', f'font-family="{request.param}"', html)
    probe = out / "report" / "probe.html"
    probe.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = lxml.html.fromstring(_dump_dom(probe, out / "profile"))
    data: dict[str, Any] = json.loads(dom.get_element_by_id("measured").text_content())
    return data


def test_every_prisma_number_is_visible_inside_its_box(measured: dict[str, Any]) -> None:
    flow = build_report(example_input()).flow
    drawn = {box["key"]: box for box in measured["boxes"]}
    for box in flow.boxes():
        line = drawn[box.key]
        assert line["shown"], box.key
        assert line["inside"], f"{line['text']!r} overflows its box"
        assert line["count"] == box.count
        assert f"(n = {box.count})" in line["text"]


def test_included_studies_are_visible(measured: dict[str, Any]) -> None:
    studies = measured["studies"]
    assert len(studies) == 3
    assert all(study["shown"] for study in studies)
    assert any("Kratom <script>alert('x')</script>" in study["text"] for study in studies)


def test_the_page_loads_nothing_from_outside(measured: dict[str, Any]) -> None:
    assert measured["resources"] == []


def test_a_reader_pages_through_a_long_list_and_back(tmp_path: Path) -> None:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="needs Playwright for Python (pip install -e '.[dev]')"
    )
    # Tiny pages, so that the example's lists run over several.
    write_report(example_input(), tmp_path, Paging(preview=2, page_size=3))
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.goto((tmp_path / "report.html").as_uri() + "#box-screened")
        section = page.locator("#box-screened")
        assert section.locator("ul > li").count() == 2
        assert section.locator("nav.pages").inner_text().startswith("Records 1–2 of 10.")
        section.locator("nav.pages a[rel=next]").click()
        assert page.url.endswith("/records/screened-002.html")
        assert page.locator("main > ul > li").count() == 3
        assert "Records 3–5 of 10." in page.locator("nav.pages").first.inner_text()
        page.locator("nav.pages").first.locator("a[rel=next]").click()
        assert page.url.endswith("/records/screened-003.html")
        page.locator("nav.pages").first.get_by_role("link", name="9–10").click()
        assert page.url.endswith("/records/screened-004.html")
        assert page.locator("main > ul > li").count() == 2
        assert page.locator("a[rel=next]").count() == 0
        page.locator("nav.pages").first.locator("a[rel=prev]").click()
        page.locator("nav.pages").first.locator("a[rel=prev]").click()
        page.locator("nav.pages").first.locator("a[rel=prev]").click()
        assert page.url.endswith("/report.html#box-screened")
        browser.close()
