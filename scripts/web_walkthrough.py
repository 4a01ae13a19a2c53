"""The web app as a new user meets it, end to end, with screenshots for docs/.

Copies queries/kratom.toml to a temporary folder (so no decision lands in the
repository), starts `review serve` on it, and in headless Chromium (Debian's
`chromium`, driven by Playwright) lets two reviewers screen twenty records each,
blind, with the keyboard only; then one resolves the conflicts, and `review run`
reports the decisions. Screenshots of the screening, conflicts and dashboard pages
go to docs/ (or --out).

    python scripts/web_walkthrough.py [--out docs]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parent.parent
# Twenty keys per reviewer: i include, u unsure, a digit excludes with that reason
# (6 not-kratom, 7 no-relevant-outcome, 8 in-vitro-or-analytical). They differ on a few.
ANN = "i7ii8u7i6i7iu8iii7i6"
BOB = "i7i78i7i6i7ii8iu77i6"


def sign_in(page: Page, url: str, name: str) -> None:
    # Into the name box itself: on a loaded machine autofocus lands after the load event.
    page.goto(f"{url}/login")
    box = page.locator("input[name=name]")
    box.fill(name)
    with page.expect_navigation():
        box.press("Enter")


def screen(page: Page, url: str, keys: str) -> float:
    page.goto(f"{url}/screen/title-abstract")
    started = time.perf_counter()
    for key in keys:
        with page.expect_navigation():
            page.keyboard.press(key)
    return time.perf_counter() - started


def start(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "review", "serve", *args, "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    first = server.stdout.readline()
    print(first.strip())
    return server, first.split(" at ", 1)[1].split(" ", 1)[0].rstrip("/")


def stop(server: subprocess.Popen[str]) -> None:
    server.send_signal(signal.SIGINT)
    server.wait(timeout=30)
    if server.stdout is not None:
        server.stdout.close()


def screening_shot(chromium: str, protocol: Path, shot: Path) -> None:
    """The screening page on real PubMed records with abstracts (the example's have none)."""
    records = REPO / "tests" / "fixtures" / "screening" / "kratom_records_from_pubmed21n1298.xml"
    server, url = start([str(protocol), "--records", str(records)])
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_context(viewport={"width": 1100, "height": 820}).new_page()
            sign_in(page, url, "ann")
            screen(page, url, "i")
            # A record the rules settled, with its abstract, opened to check the rules.
            page.goto(f"{url}/screen/title-abstract?record=34091497")
            page.screenshot(path=str(shot))
            browser.close()
    finally:
        stop(server)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    options = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("needs Chromium (Debian: apt-get install chromium)", file=sys.stderr)
        return 1
    options.out.mkdir(parents=True, exist_ok=True)
    shots = {
        name: options.out / f"web-{name}.png" for name in ("screening", "conflicts", "dashboard")
    }
    for path in shots.values():
        path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        queries = Path(folder) / "queries"
        shutil.copytree(REPO / "queries", queries, ignore=shutil.ignore_patterns("*.sqlite*"))
        protocol = queries / "kratom.toml"
        screening_shot(chromium, protocol, shots["screening"])
        (queries / "kratom.decisions.sqlite").unlink()
        for leftover in queries.glob("kratom.decisions.sqlite-*"):
            leftover.unlink()
        server, url = start([str(protocol)])
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
                size = {"width": 1100, "height": 820}
                ann = browser.new_context(viewport=size).new_page()
                bob = browser.new_context(viewport=size).new_page()
                sign_in(ann, url, "ann")
                sign_in(bob, url, "bob")
                took = screen(ann, url, ANN)
                print(f"ann: 20 decisions by keyboard in {took:.1f} s")
                took = screen(bob, url, BOB)
                print(f"bob: 20 decisions by keyboard in {took:.1f} s, blind")
                ann.goto(f"{url}/conflicts")
                conflicts = ann.locator("section.conflict").count()
                print(f"conflicts: {conflicts}")
                ann.screenshot(path=str(shots["conflicts"]))
                while ann.locator("section.conflict").count():
                    first_conflict = ann.locator("section.conflict").first
                    first_conflict.locator("input[name=note]").fill("discussed: ann and bob")
                    with ann.expect_navigation():  # settled as included, for full text
                        first_conflict.locator("button[value=include]").click()
                ann.goto(f"{url}/dashboard")
                ann.screenshot(path=str(shots["dashboard"]), full_page=True)
                browser.close()
        finally:
            stop(server)
        report = Path(folder) / "report"
        run = subprocess.run(
            [sys.executable, "-m", "review", "run", str(protocol), "--out", str(report)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        print(run.stdout.strip())
        data = json.loads((report / "report.json").read_text(encoding="utf-8"))
        print("report.json prisma:", json.dumps(data.get("prisma", data.get("flow", {})))[:600])
    for path in shots.values():
        print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
