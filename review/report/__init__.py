"""The PRISMA 2020 report: HTML, Markdown, JSON, the flow diagram, the reading list, exports.

`write_report(report_input, out_dir)` derives everything once (`build_report`,
which checks the PRISMA arithmetic), renders each file in turn into a staging
folder and only then moves them into place, so a report that cannot be built
(e.g. PRISMA arithmetic that does not add up, or an export that fails) leaves
the folder as it was. One file is in memory at a time, written in pieces. The files:

    report.html         self-contained page: flow diagram linked to its records,
                        searches (PRISMA-S), included / excluded / awaiting records;
                        each list shows its first records (`Paging.preview`)
    records/<list>-NNN.html   the rest of each long list, in pages (review.report.pages)
    report.md           the same content as Markdown
    report.json         everything report.html shows, as data (docs/report-json-schema.md)
    prisma.svg          the flow diagram on its own; numbers link into report.html
    prisma.png, prisma.pdf   the same diagram for a manuscript (CairoSVG)
    records-per-year.svg
    reading-list.md, reading-list.html
    included.<fmt>, screened.<fmt>   one per format in the protocol's [exports];
                        screened.<fmt> unless `[exports] screened = false`
    reading-list.bib, reading-list.ris   when [exports] names those formats
"""

from __future__ import annotations

import gc
import shutil
import tempfile
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from review.errors import ReportError, ReviewError, os_error_advice
from review.formats import write_records
from review.prisma import Removal
from review.records import Record
from review.report.figures import svg_to_pdf, svg_to_png
from review.report.html import iter_report_html
from review.report.json_report import iter_report_json
from review.report.markdown import report_markdown
from review.report.model import OtherSource, Report, ReportInput, build_report
from review.report.pages import RECORDS_DIR, Paging, html_lists, iter_pages
from review.report.reading_list import (
    reading_list_html,
    reading_list_markdown,
    reading_list_record_ids,
)
from review.report.svg import prisma_svg, update_svg, year_chart_svg
from review.report.templating import environment

__all__ = [
    "OtherSource",
    "Paging",
    "Removal",
    "Report",
    "ReportInput",
    "build_report",
    "write_report",
]

PAGING = Paging()
# Reference-manager formats a student can import the reading list from.
READING_LIST_FORMATS = ("bib", "ris")


def write_report(
    report_input: ReportInput, out_dir: Path, paging: Paging = PAGING
) -> tuple[Path, ...]:
    """Write every report file into `out_dir` (created if needed); returns their paths,
    report.html's pages of records (records/…) last."""
    # Building the report makes a few hundred thousand small objects and no cycles;
    # each of the collector's full passes would walk all of them, for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _write_report(report_input, out_dir, paging)
    finally:
        if collecting:
            gc.enable()


def _write_report(report_input: ReportInput, out_dir: Path, paging: Paging) -> tuple[Path, ...]:
    report = build_report(report_input)
    exports = _exports(report, report_input)
    export_names = list(exports)
    files = [
        "report.html",
        "report.md",
        "report.json",
        "prisma.svg",
        "prisma.png",
        "prisma.pdf",
        "records-per-year.svg",
        "reading-list.html",
        "reading-list.md",
        *export_names,
    ]
    reading_exports = [name for name in export_names if name.startswith("reading-list.")]
    # One environment per kind for the whole report: each template compiles once.
    html, markdown = environment(html=True), environment(html=False)
    lists = html_lists(report, paging)
    texts: dict[str, Callable[[], Iterable[str]]] = {
        "report.html": partial(iter_report_html, report, files, html, lists),
        "report.md": _whole(report_markdown, report, files, markdown),
        "report.json": partial(iter_report_json, report, files),
        "prisma.svg": _whole(prisma_svg, report, link_prefix="report.html#box-"),
        "records-per-year.svg": _whole(year_chart_svg, report),
        "reading-list.html": _whole(reading_list_html, report, reading_exports, html),
        "reading-list.md": _whole(reading_list_markdown, report, reading_exports, markdown),
    }
    if report.update is not None:
        # PRISMA 2020's diagram for updated reviews, when `review update` made the report.
        files.insert(4, "prisma-update.svg")
        texts["prisma-update.svg"] = _whole(update_svg, report)
    assert html.loader is not None
    css = html.loader.get_source(html, "report.css")[0]
    pages = dict(iter_pages(report, lists, css))
    figure = prisma_svg(report, link_prefix=None)
    pictures = {"prisma.png": svg_to_png(figure), "prisma.pdf": svg_to_pdf(figure)}
    _write_all(out_dir, texts | pages, exports, pictures)
    return tuple(out_dir / name for name in (*files, *pages))


def _whole(render: Callable[..., str], *args: Any, **kwargs: Any) -> Callable[[], list[str]]:
    """A writer of one piece, the whole text, for files small enough to hold at once."""
    return lambda: [render(*args, **kwargs)]


def _write_all(
    out_dir: Path,
    texts: dict[str, Callable[[], Iterable[str]]],
    exports: dict[str, tuple[Record, ...]],
    pictures: dict[str, bytes] | None = None,
) -> None:
    """Write into a staging folder beside `out_dir`, then move the files in.

    A failure part-way (a full disk, an export format with no writer) leaves
    the previous report intact instead of half replaced. The records/ folder of
    pages is replaced whole, so no page of an earlier, longer report is left behind.
    """
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    except OSError as exc:
        advice = os_error_advice(exc, "check the path")
        raise ReportError(
            f"{out_dir}: cannot create the report folder ({exc.strerror or exc}); "
            f"{advice} or choose another folder with --out."
        ) from None
    try:
        (staging / RECORDS_DIR).mkdir()
        for name, render in texts.items():
            with (staging / name).open("w", encoding="utf-8") as stream:
                stream.writelines(render())
        for name, records in exports.items():
            try:
                write_records(records, staging / name)
            except ReviewError as exc:
                message = str(exc).replace(str(staging), str(out_dir))
                raise ReportError(f"{message} Nothing in {out_dir} was changed.") from None
        for name, data in (pictures or {}).items():
            (staging / name).write_bytes(data)
        out_dir.mkdir(exist_ok=True)
        for name in (*texts, *exports, *(pictures or {})):
            if not name.startswith(f"{RECORDS_DIR}/"):
                (staging / name).replace(out_dir / name)
        # The old pages go into the staging folder, which is removed below.
        if (out_dir / RECORDS_DIR).is_dir():
            (out_dir / RECORDS_DIR).replace(staging / f"old-{RECORDS_DIR}")
        if any((staging / RECORDS_DIR).iterdir()):
            (staging / RECORDS_DIR).replace(out_dir / RECORDS_DIR)
    except OSError as exc:
        advice = os_error_advice(exc, "check the folder")
        raise ReportError(
            f"{out_dir}: cannot write the report ({exc.strerror or exc}); "
            f"{advice} or choose another folder with --out."
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _exports(report: Report, report_input: ReportInput) -> dict[str, tuple[Record, ...]]:
    """File name -> records, for the included, screened and reading-list exports."""
    canonical = {r.id: r for r in report_input.dedup.canonical}
    included = tuple(canonical[i] for i in report.included_records)
    screened = tuple(canonical[i] for i in report.screened_records)
    reading = tuple(canonical[i] for i in reading_list_record_ids(report))
    exports: dict[str, tuple[Record, ...]] = {}
    for fmt in report_input.protocol.exports.formats:
        exports[f"included.{fmt}"] = included
        if report_input.protocol.exports.screened:
            exports[f"screened.{fmt}"] = screened
    for fmt in report_input.protocol.exports.formats:
        if fmt in READING_LIST_FORMATS:
            exports[f"reading-list.{fmt}"] = reading
    return exports
