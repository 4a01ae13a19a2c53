"""The report files: golden Markdown and JSON, the SVGs' numbers, escaping, errors.

The golden files in tests/fixtures/report/ are rewritten only when
REVIEW_UPDATE_GOLDEN=1 is set; read the diff before committing them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_example import example_input

from review.errors import InputError, ReportError
from review.formats import read_records
from review.records import Record
from review.report import build_report, write_report
from review.report.html import report_html
from review.report.json_report import report_data, report_json
from review.report.markdown import report_markdown
from review.report.model import STATUSES, Report, statuses
from review.report.svg import _wrap, prisma_svg, text_width
from review.report.templating import environment
from review.screen import Decision

GOLDEN = Path(__file__).parent / "fixtures" / "report"
REPO = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_report(example_input(), out)
    return out


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report(example_input())


@pytest.mark.parametrize("name", ["report.md", "report.json", "reading-list.md"])
def test_golden_files(written: Path, name: str) -> None:
    actual = (written / name).read_text(encoding="utf-8")
    golden = GOLDEN / name
    if os.environ.get("REVIEW_UPDATE_GOLDEN") == "1":
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8"), (
        f"{name} differs from {golden}; if the change is intended, rerun with "
        "REVIEW_UPDATE_GOLDEN=1 and read the diff"
    )


def test_write_report_writes_every_file_it_names(written: Path) -> None:
    files = write_report(example_input(), written)
    assert [p.name for p in files] == [
        "report.html",
        "report.md",
        "report.json",
        "prisma.svg",
        "prisma.png",
        "prisma.pdf",
        "records-per-year.svg",
        "reading-list.html",
        "reading-list.md",
        "included.ris",
        "screened.ris",
        "included.bib",
        "screened.bib",
        "included.csv",
        "screened.csv",
        "reading-list.ris",
        "reading-list.bib",
    ]
    assert all(p.stat().st_size > 0 for p in files)
    listed = json.loads((written / "report.json").read_text(encoding="utf-8"))["files"]
    assert listed == [p.name for p in files]


def test_exports_hold_the_included_and_the_screened_records(written: Path) -> None:
    included = read_records(written / "included.csv").records
    screened = read_records(written / "screened.ris").records
    assert sorted(r.title for r in included) == sorted(
        r.title for r in example_input().dedup.canonical if r.id in {"1001", "1002", "1004"}
    )
    assert len(screened) == 10
    assert len(read_records(written / "included.bib").records) == 3
    # The reading list adds the two reports still awaiting a full-text decision.
    for name in ("reading-list.ris", "reading-list.bib"):
        assert len(read_records(written / name).records) == 5


def test_exports_of_any_script_log_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A big review once logged thousands of "No known latex representation" lines
    # (a LaTeX encoder met CJK and Thai titles) and spent minutes doing it.
    record = dataclasses.replace(
        example_input().dedup.canonical[0], title="乾杯 กระท่อม kratom — 7‑OH ≥ μ", journal="日本"
    )
    review = dataclasses.replace(
        example_input(),
        dedup=dataclasses.replace(
            example_input().dedup,
            records=(record, *example_input().dedup.records[1:]),
            canonical=(record, *example_input().dedup.canonical[1:]),
        ),
    )
    with caplog.at_level("DEBUG"):
        write_report(review, tmp_path)
    assert [r.getMessage() for r in caplog.records if r.levelname != "DEBUG"] == []
    bib = read_records(tmp_path / "screened.bib").records
    assert record.title in [r.title for r in bib]


def _svg_counts(svg_text: str) -> dict[str, int]:
    root = ET.fromstring(svg_text)
    return {
        element.get("data-box", ""): int(element.get("data-count", "-1"))
        for element in root.iter(f"{SVG}text")
        if element.get("data-box")
    }


def test_every_number_in_the_diagram_is_the_derived_count(written: Path, report: Report) -> None:
    drawn = _svg_counts((written / "prisma.svg").read_text(encoding="utf-8"))
    flow = report.flow
    totals = {
        "automation": report.counts.automation_total,
        "removed": report.counts.removed_other_total,
        "records-excluded": report.counts.records_excluded_total,
        "reports-excluded": report.counts.reports_excluded_total,
    }
    for key, count in drawn.items():
        expected = totals[key] if key in totals else flow.box(key).count
        assert count == expected, key
    # Every box and line of the flow is drawn, each with its number in its text.
    assert set(drawn) == {box.key for box in flow.boxes()} | set(totals)
    root = ET.fromstring((written / "prisma.svg").read_text(encoding="utf-8"))
    for element in root.iter(f"{SVG}text"):
        if element.get("data-box"):
            assert f"(n = {element.get('data-count')})" in (element.text or "")


def test_the_standalone_diagram_links_into_the_html_report(written: Path) -> None:
    root = ET.fromstring((written / "prisma.svg").read_text(encoding="utf-8"))
    hrefs = {a.get("href") for a in root.iter(f"{SVG}a")}
    assert "report.html#box-duplicates" in hrefs
    html = lxml.html.fromstring((written / "report.html").read_text(encoding="utf-8"))
    for href in hrefs:
        assert href is not None
        anchor = href.removeprefix("report.html#")
        assert html.get_element_by_id(anchor) is not None, anchor


def test_each_box_list_in_the_html_holds_the_records_it_counts(
    written: Path, report: Report
) -> None:
    html = lxml.html.fromstring((written / "report.html").read_text(encoding="utf-8"))
    shown = {view.key: [r.id for r in view.records] for view in report.boxes}
    for box in report.flow.boxes():
        section = html.get_element_by_id(f"box-{box.key}")
        ids = [code.text for code in section.xpath(".//code[@class='id']")]
        assert sorted(ids) == sorted(box.record_ids), box.key
        # In the flow's order, but records awaiting a person most likely relevant first.
        assert ids == shown[box.key], box.key
    assert shown["awaiting-assessment"] == ["embase:3", "1008"]


def test_boxes_are_wide_enough_for_their_text(written: Path) -> None:
    root = ET.fromstring((written / "prisma.svg").read_text(encoding="utf-8"))
    for group in root.iter(f"{SVG}g"):
        rect = group.find(f"{SVG}rect")
        assert rect is not None
        right = float(rect.get("x", "0")) + float(rect.get("width", "0"))
        for text in group.iter(f"{SVG}text"):
            bold = text.get("font-weight") == "bold"
            end = float(text.get("x", "0")) + text_width(text.text or "", bold=bold)
            assert end <= right, text.text


def test_year_chart_adds_up_to_the_screened_records(written: Path, report: Report) -> None:
    root = ET.fromstring((written / "records-per-year.svg").read_text(encoding="utf-8"))
    drawn: Counter[str] = Counter()
    for rect in root.iter(f"{SVG}rect"):
        if rect.get("data-status"):
            drawn[rect.get("data-status", "")] += int(rect.get("data-count", "0"))
    expected = Counter(statuses(report.flow).values())
    assert drawn == expected
    # Every main copy that was screened, by a person or marked ineligible by the rules.
    assert sum(drawn.values()) == report.counts.records_screened + report.counts.automation_total
    assert {s for s, _ in STATUSES} >= set(drawn)


def test_automation_exclusions_are_removed_before_screening_and_named(written: Path) -> None:
    lines = [
        " ".join((t.text or "").split())
        for t in ET.parse(written / "prisma.svg").iter(f"{SVG}text")
    ]
    removed = lines.index("Records removed before screening:")
    automation = next(n for n, t in enumerate(lines) if "ineligible by automation" in t)
    screened = next(n for n, t in enumerate(lines) if t.startswith("Records screened"))
    assert removed < automation < screened
    assert "Studies included in review (n = 3)" in lines
    assert "Reports of included studies (n = 3)" in lines


def test_the_summary_counts_the_screened_records_so_they_add_up(written: Path) -> None:
    """The summary said "Records screened by people: 10" when people had decided a few of
    them and the rules had included one: the screened records are every record the rules
    left to people, and the line names all three places they went."""
    doc = lxml.html.fromstring((written / "report.html").read_text(encoding="utf-8"))
    items = [" ".join(li.text_content().split()) for li in doc.xpath('//*[@id="summary"]//li')]
    line = next(t for t in items if t.startswith("Records screened"))
    assert (
        line == "Records screened: 10; passed to full text: 7; excluded: 1; awaiting a reviewer: 2."
    )
    assert "by people" not in line


def other_methods_report() -> Report:
    """The example with its Embase file counted as citation searching."""
    example = example_input()
    other = dataclasses.replace(example.other_sources[0], method="citation-searching")
    return build_report(dataclasses.replace(example, other_sources=(other,)))


def test_other_methods_get_the_templates_second_column() -> None:
    report = other_methods_report()
    svg = prisma_svg(report)
    lines = [" ".join((t.text or "").split()) for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert "Identification of studies via databases and registers" in lines
    assert "Identification of studies via other methods" in lines
    drawn = _svg_counts(svg)
    databases, other = report.flow.columns
    for column in (databases, other):
        for box in column.boxes():
            if box.key in drawn:
                assert drawn[box.key] == box.count, box.key
    assert drawn["other.identified.embase"] == 4
    assert drawn["databases.identified.pubmed"] == 10
    assert drawn["included"] == report.counts.studies_included
    # Each column adds up on its own, and the two add up to the whole.
    assert len(report.counts.columns) == 2
    report.counts.check()
    data = json.loads("".join(report_json(report)))
    assert set(data["prisma"]["columns"]) == {"databases", "other"}
    assert data["prisma"]["columns"]["other"]["identified"] == {"Embase": 4}


def test_every_link_of_a_two_column_report_has_a_target() -> None:
    report = other_methods_report()
    html = lxml.html.fromstring("".join(report_html(report)))
    for href in html.xpath("//a/@href"):
        if href.startswith("#"):
            assert html.get_element_by_id(href[1:]) is not None, href


def test_a_diagram_that_does_not_add_up_is_not_drawn(report: Report) -> None:
    broken = dataclasses.replace(
        report, counts=dataclasses.replace(report.counts, studies_included=99)
    )
    for render in (prisma_svg, report_json, report_markdown, report_html):
        with pytest.raises(ReportError, match="does not add up"):
            render(broken)


def test_inconsistent_input_writes_nothing(tmp_path: Path) -> None:
    bad = dataclasses.replace(
        example_input(),
        decisions=(*example_input().decisions, Decision("embase:1", "title-abstract", "include")),
    )
    with pytest.raises(ReportError, match="duplicate"):
        write_report(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_search_without_a_log_entry_is_a_report_error() -> None:
    report_input = example_input()
    with pytest.raises(ReportError, match="no search-log entry"):
        build_report(dataclasses.replace(report_input, searches=report_input.searches[:1]))


def test_canonical_records_must_match_the_links() -> None:
    report_input = example_input()
    dedup = dataclasses.replace(report_input.dedup, canonical=report_input.dedup.canonical[1:])
    with pytest.raises(ReportError, match="canonical records do not match"):
        build_report(dataclasses.replace(report_input, dedup=dedup))


def test_record_text_is_escaped_in_html(written: Path) -> None:
    text = (written / "report.html").read_text(encoding="utf-8")
    assert "<script" not in text
    assert "Kratom &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; withdrawal" in text
    page = lxml.html.fromstring(text)
    assert not page.xpath("//script")
    titles = [td.text_content() for td in page.xpath("//tr[@class='included-study']/td[3]")]
    assert "Kratom <script>alert('x')</script> & withdrawal *symptoms*" in titles


def test_record_text_is_escaped_in_markdown_and_reading_list(written: Path) -> None:
    for name in ("report.md", "reading-list.md"):
        text = (written / name).read_text(encoding="utf-8")
        assert "<script>" not in text
        assert r"Kratom \<script\>alert('x')\</script\> & withdrawal \*symptoms\*" in text
    html = (written / "reading-list.html").read_text(encoding="utf-8")
    assert "<script" not in html


def test_the_html_needs_no_network(written: Path) -> None:
    for name in ("report.html", "reading-list.html"):
        page = lxml.html.fromstring((written / name).read_text(encoding="utf-8"))
        assert not page.xpath("//script | //link | //img | //iframe | //object | //*[@src]")
        css = " ".join(style.text_content() for style in page.xpath("//style"))
        assert "@import" not in css
        assert "url(" not in css
    svg = (written / "prisma.svg").read_text(encoding="utf-8")
    assert not re.findall(r"url\(([^)]*)\)", svg)  # no markers: arrowheads are polygons


def test_snapshot_is_stated_at_the_top_of_every_report(written: Path) -> None:
    snapshot = "bundled example snapshot taken 2026-11-26"
    md = (written / "report.md").read_text(encoding="utf-8").splitlines()
    assert snapshot in "\n".join(md[:4])
    assert snapshot in (written / "reading-list.md").read_text(encoding="utf-8")[:400]
    page = lxml.html.fromstring((written / "report.html").read_text(encoding="utf-8"))
    header = page.xpath("//header")[0].text_content()
    assert snapshot in header
    assert json.loads((written / "report.json").read_text(encoding="utf-8"))["snapshot"] == snapshot
    for drawing in ("prisma.svg", "records-per-year.svg"):
        root = ET.fromstring((written / drawing).read_text(encoding="utf-8"))
        note = " ".join(t.text or "" for t in root.iter(f"{SVG}text") if t.get("class"))
        assert note == f"Searches from a stored snapshot: {snapshot}", drawing


def test_a_snapshot_search_says_whose_translation_and_count_it_shows(written: Path) -> None:
    html = (written / "report.html").read_text(encoding="utf-8")
    markdown = (written / "report.md").read_text(encoding="utf-8")
    assert "PubMed’s query translation" not in html + markdown
    stand_in = "As the snapshot recorded it, from its stand-in for PubMed"
    assert html.count(stand_in) == 2  # one per search
    assert "(PubMed count)" not in html + markdown
    # A search's note is printed with that search only, escaped like any text.
    withdrawal = html[html.index('id="search-withdrawal"') :]
    withdrawal = withdrawal[: withdrawal.index("</article>")]
    assert "The &lt;example&gt; corpus holds few withdrawal reports." in withdrawal
    assert "About this result" not in html[: html.index('id="search-withdrawal"')]
    assert "- About this result: The" in markdown


def test_stand_ins_are_marked_wherever_they_are_listed(written: Path) -> None:
    html = lxml.html.parse(str(written / "report.html")).getroot()
    marked = {
        item.xpath("string(.//code)")
        for item in html.iter("li")
        if "example stand-in, not NLM data" in item.text_content()
    }
    assert marked == {"1002"}
    reading = (written / "reading-list.md").read_text(encoding="utf-8").splitlines()
    assert [line for line in reading if "example stand-in" in line] == [
        line for line in reading if "Buprenorphine for kratom use disorder" in line
    ]
    records = json.loads((written / "report.json").read_text(encoding="utf-8"))["records"]
    assert [i for i, r in records.items() if r["stand_in"]] == ["1002"]


def test_a_live_run_says_so_instead(tmp_path: Path) -> None:
    write_report(example_input(snapshot=None), tmp_path)
    assert "Searches run against PubMed" in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["snapshot"] is None
    assert "snapshot" not in (tmp_path / "prisma.svg").read_text(encoding="utf-8")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count("PubMed’s query translation") == 2
    assert "(PubMed count)" in html


def test_json_prisma_numbers_match_the_flow(report: Report) -> None:
    data = report_data(report)
    prisma = data["prisma"]
    assert prisma["identified"] == {"PubMed": 10, "Embase": 4}
    assert (
        prisma["identified_total"]
        - prisma["duplicates_removed"]
        - prisma["marked_ineligible_by_automation"]
        - prisma["removed_other_total"]
        == prisma["records_screened"]
    )
    assert prisma["studies_included"] == len(data["included"]) == 3
    boxes = {box["key"]: box for box in data["boxes"]}
    assert boxes["duplicates"]["record_ids"] == ["embase:1", "embase:2"]
    assert set(data["records"]) == {r.id for r in example_input().dedup.records}
    assert [s["name"] for s in data["searches"]] == ["kratom", "withdrawal"]
    assert set(data["searches"][0]) >= {
        "name",
        "query",
        "translation",
        "count",
        "retrieved",
        "date",
    }


def test_json_schema_document_names_every_key(report: Report) -> None:
    doc = (REPO / "docs" / "report-json-schema.md").read_text(encoding="utf-8")
    data = report_data(report)
    keys = set(data) | set(data["prisma"]) | set(data["searches"][0]) | set(data["boxes"][0])
    keys |= set(data["excluded"][0]) | set(data["deduplication"]) | set(data["other_sources"][0])
    keys |= set(next(iter(data["records"].values()))) | set(data["reading_list"][0])
    keys |= set(data["uncounted_decisions"][0]) | set(data["awaiting"][0])
    missing = sorted(k for k in keys if f"`{k}`" not in doc)
    assert not missing, f"docs/report-json-schema.md does not describe {missing}"


def test_reading_list_groups_by_first_search_newest_first(report: Report) -> None:
    groups = {g.key: [(e.record.id, e.provisional) for e in g.entries] for g in report.reading_list}
    assert groups == {
        # 1001 was found by both searches; it goes under the first in protocol order.
        "kratom": [("1001", False), ("1004", False), ("1002", False)],
        "withdrawal": [("1008", True)],
        "other-sources": [("embase:3", True)],
    }


def test_reading_list_links(written: Path) -> None:
    html = lxml.html.fromstring((written / "reading-list.html").read_text(encoding="utf-8"))
    hrefs = [a.get("href") for a in html.xpath("//a")]
    assert "https://pmc.ncbi.nlm.nih.gov/articles/PMC1001/" in hrefs
    assert "https://doi.org/10.1000/kw.1" in hrefs
    assert "https://pubmed.ncbi.nlm.nih.gov/1001/" in hrefs
    assert "reading-list.ris" in hrefs


def test_canonical_record_fields_fill_the_report(report: Report) -> None:
    # embase:1 is a duplicate of 1001; the report shows 1001 as dedup filled it.
    assert report.records["1001"].pmcid == "PMC1001"
    assert [v.id for v, link in report.duplicate_links] == ["embase:1", "embase:2"]


def test_a_failed_export_leaves_the_previous_report_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_report(example_input(), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def fail(records: object, path: Path) -> int:
        raise InputError(f"{path}: cannot be written (disk full)")

    monkeypatch.setattr("review.report.write_records", fail)
    changed = dataclasses.replace(example_input(), generated_at="2027-01-01T00:00:00Z")
    with pytest.raises(ReportError, match=r"out/included\.ris: cannot be written .*Nothing in"):
        write_report(changed, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left


def test_a_count_is_never_split_across_lines() -> None:
    text = "Records awaiting a title/abstract decision (n = 210)"
    for width in range(150, 400, 7):
        lines = _wrap(text, width, bold=True)
        assert lines[-1].endswith("(n = 210)")
        assert all("(n =" not in line or line.endswith("(n = 210)") for line in lines)


def _with_year(record_id: str, year: int | None) -> Report:
    report_input = example_input()
    dedup = report_input.dedup

    def change(records: tuple[Record, ...]) -> tuple[Record, ...]:
        return tuple(dataclasses.replace(r, year=year) if r.id == record_id else r for r in records)

    dedup = dataclasses.replace(
        dedup, records=change(dedup.records), canonical=change(dedup.canonical)
    )
    return build_report(dataclasses.replace(report_input, dedup=dedup))


def test_years_without_records_show_as_empty_bars() -> None:
    years = [bar.year for bar in _with_year("1005", 2005).years]
    assert years == [*range(2005, 2025), None]
    assert all(bar.total == 0 for bar in _with_year("1005", 2005).years if bar.year == 2010)


def test_a_typo_year_does_not_stretch_the_chart_over_centuries() -> None:
    years = [bar.year for bar in _with_year("1005", 1066).years]
    assert years == [1066, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, None]


def test_every_link_inside_the_html_has_a_target(written: Path) -> None:
    page = lxml.html.fromstring((written / "report.html").read_text(encoding="utf-8"))
    ids = set(page.xpath("//@id"))
    internal = {href[1:] for href in page.xpath("//@href") if href.startswith("#")}
    assert internal, "the report should link within itself"
    assert internal <= ids, sorted(internal - ids)


# Compiling the templates once keeps each example to a few milliseconds.
HTML = environment(html=True)


@settings(max_examples=40, deadline=None)
@given(
    title=st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=60),
    database=st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12
    ),
)
def test_any_title_or_database_name_is_shown_as_text(title: str, database: str) -> None:
    report_input = example_input()
    dedup = report_input.dedup

    def change(records: tuple[Record, ...]) -> tuple[Record, ...]:
        return tuple(
            dataclasses.replace(
                r, title=title, source=dataclasses.replace(r.source, database=database)
            )
            if r.id == "1002"
            else r
            for r in records
        )

    dedup = dataclasses.replace(
        dedup, records=change(dedup.records), canonical=change(dedup.canonical)
    )
    report = build_report(dataclasses.replace(report_input, dedup=dedup))
    page = lxml.html.fromstring(report_html(report, env=HTML))
    assert not page.xpath("//script")
    titles = [td.text_content() for td in page.xpath("//tr[@class='included-study']/td[3]")]
    assert " ".join(title.split()) in [" ".join(t.split()) for t in titles]
    ET.fromstring(prisma_svg(report))  # still well-formed XML
    json.loads(report_json(report))


def test_a_file_in_the_way_is_not_advised_as_a_full_disk(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ReportError) as info:
        write_report(example_input(), out)
    message = str(info.value)
    assert message == (
        f"{out}: cannot write the report (File exists); a file of that name is in the way; "
        "move it or choose another folder with --out."
    )
    assert out.read_text(encoding="utf-8") == "not a folder"


def test_a_full_disk_is_advised_as_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    out = tmp_path / "out"
    mkdir = Path.mkdir

    def full(self: Path, *args: Any, **kwargs: Any) -> None:
        if self == out:
            raise OSError(errno.ENOSPC, "No space left on device")
        mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", full)
    with pytest.raises(ReportError, match=r"\(No space left on device\); free some space or"):
        write_report(example_input(), out)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(st.characters(codec="utf-8", exclude_categories=("Cs",))),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES)
def test_report_json_encoder_writes_what_json_dumps_writes(value: object) -> None:
    from review.report.json_report import _encode

    out: list[str] = []
    _encode(value, "", out)
    assert "".join(out) == json.dumps(value, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("empty", [False, True])
def test_report_json_streamed_is_what_json_dumps_writes(report: Report, empty: bool) -> None:
    if empty:  # every long list empty: "[]" and "{}" where the items would be
        report = dataclasses.replace(
            report, excluded=(), awaiting=(), uncounted=(), removals=(), duplicate_links=(),
            records={},
        )  # fmt: skip
    expected = json.dumps(report_data(report), indent=2, ensure_ascii=False) + "\n"
    assert report_json(report) == expected
