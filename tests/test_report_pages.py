"""report.html at scale: long lists go on in pages of records/, every record reachable once.

The example review is written with tiny pages (2 records on report.html, 3 per
page) so that every list of any length is paged; the sizes and opening times of
a 50,000-record report are measured in benchmarks/report.py, not here.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from urllib.parse import urldefrag

import lxml.html
import pytest
from report_example import PROTOCOL_TOML, example_input

from review.errors import ProtocolError
from review.protocol import parse_protocol
from review.report import Paging, build_report, write_report
from review.report.model import Report

SMALL = Paging(preview=2, page_size=3)


@pytest.fixture(scope="module")
def paged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("paged")
    write_report(example_input(), out, SMALL)
    return out


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report(example_input())


def _page(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_text(encoding="utf-8"))


def _follow(out: Path, section_id: str) -> tuple[list[str], list[Path]]:
    """Record IDs of one list: its section of report.html, then page after page by "next"."""
    main = _page(out / "report.html")
    section = main.get_element_by_id(section_id)
    ids = [code.text for code in section.xpath(".//ul/li/code[@class='id'][1]")]
    visited = []
    nexts = section.xpath(".//nav[@class='pages'][1]//a[@rel='next']/@href")
    current = out / "report.html"
    while nexts:
        current = (current.parent / nexts[0]).resolve()
        assert current not in visited, f"{current} reached twice"
        visited.append(current)
        page = _page(current)
        lists = page.xpath("//main/ul")
        assert len(lists) == 1
        ids += [code.text for code in lists[0].xpath("./li/code[@class='id'][1]")]
        nexts = page.xpath("//nav[@class='pages'][1]//a[@rel='next']/@href")
    return ids, visited


def test_every_box_list_reaches_each_of_its_records_exactly_once(
    paged: Path, report: Report
) -> None:
    every_page: set[Path] = set()
    shown = {view.key: [r.id for r in view.records] for view in report.boxes}
    for box in report.flow.boxes():
        ids, visited = _follow(paged, f"box-{box.key}")
        expected = shown[box.key]  # the flow's order; awaiting a person: most relevant first
        assert ids == expected and sorted(ids) == sorted(box.record_ids), box.key
        every_page.update(visited)
        # report.html shows the first records only; pages hold at most 3.
        assert len(visited) == max(0, -(-(len(expected) - 2) // 3)), box.key
    written = {p.resolve() for p in (paged / "records").glob("*.html")}
    assert every_page <= written


def test_every_page_is_linked_from_report_html(paged: Path) -> None:
    main = _page(paged / "report.html")
    linked = {
        (paged / urldefrag(href)[0]).resolve()
        for href in main.xpath("//nav[@class='pages']//a/@href")
        if href.startswith("records/")
    }
    assert linked == {p.resolve() for p in (paged / "records").glob("*.html")}
    assert len(linked) > 10


def test_included_studies_and_reasons_are_paged_too(paged: Path, report: Report) -> None:
    main = _page(paged / "report.html")
    rows = main.xpath("//section[@id='included']//tr[@class='included-study']")
    assert len(rows) == 2 == SMALL.preview < len(report.included)
    page = _page(paged / "records" / "included-studies-002.html")
    assert len(page.xpath("//tr[@class='included-study']")) == len(report.included) - 2
    # Each reason for exclusion is a list of its own, with its own pages when long.
    headings = main.xpath("//section[@id='excluded']//h4")
    assert headings and all(h.get("id", "").startswith("list-excluded-") for h in headings)


def test_every_link_of_report_html_and_its_pages_has_a_target(paged: Path) -> None:
    pages = [paged / "report.html", *sorted((paged / "records").glob("*.html"))]
    ids = {p.resolve(): set(_page(p).xpath("//@id")) for p in pages}
    checked = 0
    for page in pages:
        for href in _page(page).xpath("//@href"):
            if href.startswith(("http://", "https://")):
                continue
            file, anchor = urldefrag(href)
            target = (page.parent / file).resolve() if file else page.resolve()
            assert target.is_file(), f"{page.name}: {href}"
            if anchor and target.suffix == ".html":
                assert anchor in ids[target], f"{page.name}: {href}"
            checked += 1
    assert checked > 100


def test_a_duplicate_links_to_its_main_copy_on_whichever_page_it_is(
    paged: Path, report: Report
) -> None:
    main = _page(paged / "report.html")
    for href in main.get_element_by_id("box-duplicates").xpath(".//a[code]/@href"):
        file, anchor = urldefrag(href)
        assert anchor.startswith("rec-")
        target = paged / file if file else paged / "report.html"
        assert anchor in _page(target).xpath("//@id")


def test_paging_changes_no_number(paged: Path, tmp_path: Path) -> None:
    write_report(example_input(), tmp_path)
    assert not (tmp_path / "records").exists(), "the example fits on report.html"
    for name in ("report.json", "report.md", "prisma.svg"):
        assert (paged / name).read_text(encoding="utf-8") == (tmp_path / name).read_text(
            encoding="utf-8"
        ), name
    headings = "//h2|//h3|//h4|//ul[@class='summary']"
    full = [h.text_content() for h in _page(tmp_path / "report.html").xpath(headings)]
    cut = [h.text_content() for h in _page(paged / "report.html").xpath(headings)]
    assert full == cut


def test_a_shorter_report_leaves_no_page_of_the_longer_one(tmp_path: Path) -> None:
    write_report(example_input(), tmp_path, SMALL)
    assert len(list((tmp_path / "records").glob("*.html"))) > 10
    write_report(example_input(), tmp_path, Paging(preview=2, page_size=100))
    kept = sorted(p.name for p in (tmp_path / "records").glob("*.html"))
    assert kept and all(name.endswith("-002.html") for name in kept)
    write_report(example_input(), tmp_path)
    assert not (tmp_path / "records").exists()
    main = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "records/" not in main.split('<section id="files">')[0].split("<main>")[1]


def test_page_files_are_returned_after_the_report_files(tmp_path: Path) -> None:
    files = write_report(example_input(), tmp_path, SMALL)
    names = [p.relative_to(tmp_path).as_posix() for p in files]
    first_page = next(i for i, n in enumerate(names) if n.startswith("records/"))
    assert all(n.startswith("records/") for n in names[first_page:])
    listed = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["files"]
    assert listed == names[:first_page]
    assert all(p.is_file() for p in files)


def _with_exports(extra: str) -> str:
    return PROTOCOL_TOML.replace(
        '[exports]\nformats = ["ris", "bib", "csv"]\nscreened = true\n',
        f'[exports]\nformats = ["ris", "bib", "csv"]\n{extra}',
    )


def test_full_exports_of_the_screened_records_can_be_turned_off(tmp_path: Path) -> None:
    protocol = parse_protocol(_with_exports("screened = false\n"), Path("example.toml"))
    assert protocol.exports.screened is False
    files = write_report(dataclasses.replace(example_input(), protocol=protocol), tmp_path)
    names = {p.name for p in files}
    assert {"included.ris", "included.bib", "included.csv"} <= names
    assert not {n for n in names if n.startswith("screened.")}
    assert not list(tmp_path.glob("screened.*"))
    # Off unless the protocol asks: the included records are what a reviewer takes on.
    assert parse_protocol(_with_exports(""), Path("example.toml")).exports.screened is False


def test_a_bad_exports_setting_is_one_line_naming_file_and_key() -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(_with_exports('screened = "no"\n'), Path("example.toml"))
    message = str(caught.value)
    assert "\n" not in message
    assert "example.toml:" in message and "exports.screened" in message
    assert "true or false" in message


def test_no_staging_folder_is_left_behind(paged: Path) -> None:
    assert not [p for p in paged.parent.iterdir() if p.name.startswith(f".{paged.name}-")]
