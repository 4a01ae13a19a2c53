"""SVG drawings: the PRISMA 2020 flow diagram and the records-per-year chart.

Both are built with ElementTree, so every text from a record or protocol is
escaped by the serialiser and the output is always well-formed XML. There are
no font files to measure text with, so widths come from Helvetica's published
advance widths (Arial and Liberation Sans share them), with room to spare for
DejaVu Sans, the usual fallback on Linux; the drawing names those fonts first.

Every line that shows a count carries `data-box` (the box's key) and
`data-count`, so tests and scripts can read the numbers back.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from review.errors import ReportError
from review.prisma import Box, Column
from review.report.model import STATUSES, Report, Status, YearBar, box_label

__all__ = ["prisma_svg", "room_for", "text_width", "update_svg", "year_chart_svg"]

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "Helvetica, Arial, 'Liberation Sans', sans-serif"
FONT_SIZE = 13
LINE_HEIGHT = 17
PADDING = 9
MAX_BOX_WIDTH = 330
ROW_GAP = 34
COLUMN_GAP = 56
MARGIN = 12
TICK_SIZE = 10  # the year chart's axis labels
TICK_GAP = 4  # the least space between two of them

# Helvetica advance widths in 1/1000 em for printable ASCII (from its AFM file).
_WIDTHS = dict(
    zip(
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
        "abcdefghijklmnopqrstuvwxyz{|}~",
        (
            278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
            556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
            1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
            667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
            333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
            556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
        ),
        strict=True,
    )
)  # fmt: skip
# Characters XML 1.0 forbids; ElementTree would write them and break the file.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_WIDE = 1000  # anything outside ASCII: assume a full em rather than overflow the box


def text_width(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    """Width in px of `text` set in Helvetica at `size` px."""
    units = sum(_WIDTHS.get(c, _WIDE if ord(c) > 0x2FFF else 600) for c in text)
    return units * size / 1000 * (1.08 if bold else 1.0)


def room_for(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    """The width to leave for `text`: enough for the widest likely fallback font.

    A reader without Helvetica, Arial or Liberation Sans gets DejaVu Sans on
    most Linux systems; measured in Chromium it sets this report's lines about
    15% wider than Helvetica, and its bold about 20% wider than Helvetica Bold.
    """
    return text_width(text, size, bold) * (1.22 if bold else 1.15)


def _wrap(text: str, width: float, bold: bool = False, size: float = FONT_SIZE) -> list[str]:
    """Words in lines no wider than `width`; "(n = 12)" is never split."""
    words = text.split()
    if len(words) >= 3 and words[-3] == "(n" and words[-2] == "=":
        words[-3:] = [" ".join(words[-3:])]
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if current and room_for(candidate, size, bold) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current else lines


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a box: its words, and the box key and count it stands for."""

    text: str
    key: str = ""
    count: int | None = None
    bold: bool = False
    indent: int = 0

    @property
    def words(self) -> str:
        return f"{self.text} (n = {self.count})" if self.count is not None else self.text


@dataclass(frozen=True, slots=True)
class Panel:
    """A box of the diagram: its lines and the key its outline links to."""

    key: str
    lines: tuple[Line, ...]


def _panels(
    report: Report, column: Column, last: bool
) -> list[tuple[str, Panel, tuple[Panel, ...]]]:
    """One column's rows: (phase, main box, boxes to its right).

    The included box closes the first column only; the other column's
    assessed box leads into it.
    """
    label = {box.key: box.label for box in report.boxes}

    def counted(box: Box, text: str = "", **kw: object) -> Line:
        words = text or label.get(box.key) or box_label(box, report.protocol)
        return Line(words, box.key, box.count, **kw)  # type: ignore[arg-type]

    def total(key: str, text: str, boxes: Sequence[Box], **kw: object) -> Line:
        return Line(text, key, sum(b.count for b in boxes), **kw)  # type: ignore[arg-type]

    prefix = f"{column.key}." if len(report.flow.columns) > 1 or column.key == "new" else ""
    identified = Panel(
        f"{prefix}identified",
        (
            Line("Records identified from:", bold=True),
            *(counted(b, indent=1) for b in column.identified),
        ),
    )
    removed_lines = [
        Line("Records removed before screening:", bold=True),
        counted(column.duplicates, indent=1),
    ]
    if column.automation:
        removed_lines.append(
            total(
                f"{prefix}automation",
                "Records marked as ineligible by automation tools (the protocol's rules)",
                column.automation,
                indent=1,
            )
        )
        removed_lines.extend(counted(b, indent=2) for b in column.automation)
    removed_lines.append(
        total(
            f"{prefix}removed", "Records removed for other reasons", column.removed_other, indent=1
        )
    )
    removed_lines.extend(counted(b, indent=2) for b in column.removed_other)
    removed = Panel(f"{prefix}duplicates", tuple(removed_lines))
    excluded = Panel(
        f"{prefix}records-excluded",
        (
            total(
                f"{prefix}records-excluded", "Records excluded", column.records_excluded, bold=True
            ),
            *(counted(b, indent=1) for b in column.records_excluded),
        ),
    )
    reports_excluded = Panel(
        f"{prefix}reports-excluded",
        (
            total(
                f"{prefix}reports-excluded", "Reports excluded", column.reports_excluded, bold=True
            ),
            *(counted(b, indent=1) for b in column.reports_excluded),
        ),
    )
    sought_lines = [counted(column.sought, bold=True)]
    if column.rules_included.count:
        sought_lines.append(counted(column.rules_included, indent=1))
    rows = [
        ("Identification", identified, (removed,)),
        (
            "Screening",
            _single(counted(column.screened, bold=True)),
            (excluded, _single(counted(column.awaiting_screening, bold=True))),
        ),
        (
            "Screening",
            Panel(column.sought.key, tuple(sought_lines)),
            (
                _single(counted(column.not_retrieved, bold=True)),
                _single(counted(column.awaiting_assessment, bold=True)),
            ),
        ),
        ("Screening", _single(counted(column.assessed, bold=True)), (reports_excluded,)),
    ]
    if last:
        flow = report.flow
        included = Panel(
            "included",
            (
                counted(flow.included, bold=True),
                counted(flow.included_reports, bold=True),
            ),
        )
        rows.append(("Included", included, ()))
    return rows


def _single(line: Line) -> Panel:
    return Panel(line.key, (line,))


@dataclass(frozen=True, slots=True)
class _Placed:
    panel: Panel
    x: float
    y: float
    width: float
    lines: tuple[tuple[Line, str], ...]  # each wrapped piece with the line it came from

    @property
    def height(self) -> float:
        return len(self.lines) * LINE_HEIGHT + 2 * PADDING


def _layout(panel: Panel, width: float, x: float, y: float) -> _Placed:
    pieces: list[tuple[Line, str]] = []
    for line in panel.lines:
        indent = line.indent * 12
        for piece in _wrap(line.words, width - 2 * PADDING - indent, line.bold):
            pieces.append((line, piece))
    return _Placed(panel, x, y, width, tuple(pieces))


def _natural_width(panels: Sequence[Panel]) -> float:
    widest = max(
        (
            room_for(line.words, bold=line.bold) + line.indent * 12
            for panel in panels
            for line in panel.lines
        ),
        default=0.0,
    )
    return min(MAX_BOX_WIDTH, widest + 2 * PADDING + 2)


@dataclass(frozen=True, slots=True)
class _Block:
    """One column of the template: its heading, rows, and where its two box columns sit."""

    column: Column
    rows: list[tuple[str, Panel, tuple[Panel, ...]]]
    x: float
    main_w: float
    side_w: float

    @property
    def width(self) -> float:
        return self.main_w + COLUMN_GAP + self.side_w


def prisma_svg(report: Report, link_prefix: str | None = "#box-") -> str:
    """The flow diagram as a standalone SVG document, in the PRISMA 2020 template's layout.

    The template's columns side by side (databases and registers; other
    methods, when the review used any), each under its own heading, the
    included box closing the first. Drawn with plain rectangles, lines,
    polygons and horizontal text only (no markers, no transforms), so that
    Chromium, librsvg and ImageMagick draw it alike.

    `link_prefix` + a box key is where each box and counted line links to
    ("#box-" inside the HTML report, "report.html#box-" beside it); None draws
    no links. The counts are checked first: an inconsistent flow is a ReportError.
    """
    report.counts.check()
    columns = report.flow.columns
    phase_w = max(room_for(phase, bold=True) for phase in PHASES) + 2 * PADDING
    x = MARGIN + phase_w + 10
    blocks: list[_Block] = []
    for n, column in enumerate(columns):
        rows = _panels(report, column, last=n == 0)
        main_w = _natural_width([main for _, main, _ in rows])
        side_w = _natural_width([p for _, _, side in rows for p in side])
        side_w = max(
            side_w, room_for(column.heading, bold=True) + 2 * PADDING - main_w - COLUMN_GAP
        )
        blocks.append(_Block(column, rows, x, main_w, side_w))
        x += blocks[-1].width + BLOCK_GAP
    width = x - BLOCK_GAP + MARGIN

    title = "PRISMA 2020 flow diagram"
    svg = _svg_root(width, 0, title, role="img" if link_prefix is None else "group")
    header_h = 2 * LINE_HEIGHT
    for n, block in enumerate(blocks):
        _heading_band(svg, block.x, block.width, header_h, block.column.heading, HEADINGS[n])
    y = MARGIN + header_h + ROW_GAP / 2
    # Rows line up across the columns: each takes the height of its tallest.
    row_count = max(len(b.rows) for b in blocks)
    phases: list[tuple[str, float, float]] = []
    previous: dict[int, _Placed] = {}
    included: _Placed | None = None
    for r in range(row_count):
        phase = blocks[0].rows[r][0]
        row_h = 0.0
        placed_mains: dict[int, _Placed] = {}
        for n, block in enumerate(blocks):
            if r >= len(block.rows):
                continue
            _, main, side = block.rows[r]
            left = _layout(main, block.main_w, block.x, y)
            row_h = max(row_h, _draw_row(svg, left, side, block.side_w, link_prefix))
            if n in previous:
                above = previous[n]
                mid = above.x + above.width / 2
                _arrow(svg, [(mid, above.y + above.height), (mid, left.y)])
            placed_mains[n] = left
        if phase == "Included":
            included = placed_mains.get(0)
        row_h = max(row_h, LINE_HEIGHT + 2 * PADDING)
        if phases and phases[-1][0] == phase:
            phases[-1] = (phase, phases[-1][1], y + row_h)
        else:
            phases.append((phase, y, y + row_h))
        previous.update(placed_mains)
        y += row_h + ROW_GAP
    if included is not None:
        # The other columns' assessed reports lead into the one included box.
        for n in range(1, len(blocks)):
            above = previous[n]
            mid = above.x + above.width / 2
            level = included.y + included.height / 2
            _arrow(
                svg,
                [
                    (mid, above.y + above.height),
                    (mid, level),
                    (included.x + included.width, level),
                ],
            )
    return _finish_diagram(svg, report, phases, phase_w, y, width)


def update_svg(report: Report) -> str:
    """PRISMA 2020's flow diagram for updated reviews, without links.

    The studies of the previous version on the left; the new records' own
    flow (identified since the previous version's searches) in the middle,
    ending in the new studies; both lead into the total. Same drawing rules
    as `prisma_svg`: no markers, no transforms.
    """
    update = report.update
    if update is None:
        raise ReportError("This report is not of an updated review; run `review update`.")
    update.new.counts().check()
    new = update.new
    rows = _panels(report, new, last=False)
    rows.append(
        (
            "Included",
            Panel(
                "new-included",
                (
                    Line("New studies included in review", "", new.included.count, bold=True),
                    Line("Reports of new included studies", "", new.included.count, bold=True),
                ),
            ),
            (),
        )
    )
    rows.append(
        (
            "Included",
            Panel(
                "total",
                (
                    Line("Total studies included in review", "", update.total_studies, bold=True),
                    Line("Reports of total included studies", "", update.total_studies, bold=True),
                ),
            ),
            (),
        )
    )
    previous_lines: list[Line] = [
        Line("Studies included in previous version of review", "", update.previous_studies),
        Line("Reports of studies included in previous version", "", update.previous_studies),
    ]
    if update.still_included != update.previous_studies:
        previous_lines.append(Line("of these, still included", "", update.still_included, indent=1))
    if update.included_since:
        previous_lines.append(
            Line(
                "Studies from earlier records included since the previous version",
                "",
                update.included_since,
            )
        )
    previous = Panel("previous", tuple(previous_lines))
    phase_w = max(room_for(phase, bold=True) for phase in PHASES) + 2 * PADDING
    previous_w = _natural_width([previous])
    x = MARGIN + phase_w + 10
    main_x = x + previous_w + BLOCK_GAP
    main_w = _natural_width([main for _, main, _ in rows])
    side_w = _natural_width([p for _, _, side in rows for p in side])
    heading = f"Identification of new studies (records first found after {update.since})"
    side_w = max(side_w, room_for(heading, bold=True) + 2 * PADDING - main_w - COLUMN_GAP)
    width = main_x + main_w + COLUMN_GAP + side_w + MARGIN
    svg = _svg_root(width, 0, "PRISMA 2020 flow diagram for updated reviews")
    header_h = 2 * LINE_HEIGHT
    _heading_band(svg, x, previous_w, header_h, "Previous studies", HEADINGS[1])
    _heading_band(svg, main_x, main_w + COLUMN_GAP + side_w, header_h, heading, HEADINGS[0])
    y = MARGIN + header_h + ROW_GAP / 2
    placed_previous = _layout(previous, previous_w, x, y)
    _box(svg, placed_previous, None)
    phases: list[tuple[str, float, float]] = []
    above: _Placed | None = None
    last_main: _Placed | None = None
    for phase, main, side in rows:
        left = _layout(main, main_w, main_x, y)
        row_h = max(_draw_row(svg, left, side, side_w, None), LINE_HEIGHT + 2 * PADDING)
        if above is not None:
            mid = above.x + above.width / 2
            _arrow(svg, [(mid, above.y + above.height), (mid, left.y)])
        if phases and phases[-1][0] == phase:
            phases[-1] = (phase, phases[-1][1], y + row_h)
        else:
            phases.append((phase, y, y + row_h))
        above = last_main = left
        y += row_h + ROW_GAP
    assert last_main is not None
    mid = placed_previous.x + placed_previous.width / 2
    level = last_main.y + last_main.height / 2
    _arrow(
        svg,
        [(mid, placed_previous.y + placed_previous.height), (mid, level), (last_main.x, level)],
    )
    return _finish_diagram(svg, report, phases, phase_w, y, width)


PHASES = ("Identification", "Screening", "Included")
HEADINGS = ("#f0c808", "#d9d9d9")  # the template's colours: databases yellow, other grey
BLOCK_GAP = 30


def _heading_band(
    svg: ET.Element, x: float, width: float, height: float, heading: str, colour: str
) -> None:
    """A column's heading band, as the template colours it."""
    ET.SubElement(
        svg, "rect", x=_n(x), y=_n(MARGIN), width=_n(width), height=_n(height), rx="4",
        fill=colour, stroke="#333",
    )  # fmt: skip
    _text(svg, x + width / 2, MARGIN + height / 2 + 5, heading, bold=True, anchor="middle")


def _draw_row(
    svg: ET.Element,
    left: _Placed,
    side: Sequence[Panel],
    right_w: float,
    link_prefix: str | None,
) -> float:
    """One main box, the boxes to its right stacked, arrows between; returns its height."""
    _box(svg, left, link_prefix)
    right_x = left.x + left.width + COLUMN_GAP
    # Arrows leave the main box level with its first line (its middle when short).
    start_y = left.y + min(left.height / 2, PADDING + LINE_HEIGHT)
    elbow_x = left.x + left.width + COLUMN_GAP / 2
    side_y = left.y
    for panel in side:
        placed = _layout(panel, right_w, right_x, side_y)
        _box(svg, placed, link_prefix)
        end_y = placed.y + min(placed.height / 2, PADDING + LINE_HEIGHT)
        points = [(left.x + left.width, start_y), (elbow_x, start_y)]
        if end_y != start_y:
            points.append((elbow_x, end_y))
        _arrow(svg, [*points, (placed.x, end_y)])
        side_y += placed.height + 10
    return max(left.height, side_y - left.y - 10 if side else 0)


def _phase_bands(svg: ET.Element, phases: Sequence[tuple[str, float, float]], width: float) -> None:
    """The blue bands on the left naming each phase, in horizontal text."""
    for phase, top, bottom in phases:
        ET.SubElement(
            svg, "rect", x=_n(MARGIN), y=_n(top), width=_n(width), height=_n(bottom - top),
            rx="4", fill="#a7c7e7", stroke="#333",
        )  # fmt: skip
        _text(svg, MARGIN + width / 2, (top + bottom) / 2 + 5, phase, bold=True, anchor="middle")


def _box(svg: ET.Element, placed: _Placed, link_prefix: str | None) -> None:
    group = ET.SubElement(svg, "g", {"class": "prisma-box", "data-panel": placed.panel.key})
    outline = ET.SubElement(
        group, "rect", x=_n(placed.x), y=_n(placed.y), width=_n(placed.width),
        height=_n(placed.height), rx="3", fill="#ffffff", stroke="#333",
    )  # fmt: skip
    outline.set("stroke-width", "1.2")
    baseline = placed.y + PADDING + FONT_SIZE
    for line, piece in placed.lines:
        parent = group
        if link_prefix is not None and line.key:
            parent = ET.SubElement(group, "a", href=f"{link_prefix}{line.key}")
        text = _text(parent, placed.x + PADDING + line.indent * 12, baseline, piece, line.bold)
        if line.key and line.count is not None and piece.endswith(f"(n = {line.count})"):
            # The piece that shows the number carries it (the last of a wrapped line).
            text.set("data-box", line.key)
            text.set("data-count", str(line.count))
        baseline += LINE_HEIGHT


ARROW_HEAD = 7.0  # length and width of an arrowhead, px


def _arrow(svg: ET.Element, points: Sequence[tuple[float, float]]) -> None:
    """A line with its arrowhead drawn as a polygon (renderers without markers draw it too)."""
    (x0, y0), (x1, y1) = points[-2], points[-1]
    length = max(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, 1e-9)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    bx, by = x1 - ux * ARROW_HEAD, y1 - uy * ARROW_HEAD
    half = ARROW_HEAD / 2
    line = [*points[:-1], (bx, by)]
    ET.SubElement(
        svg,
        "polyline",
        points=" ".join(f"{_n(x)},{_n(y)}" for x, y in line),
        fill="none",
        stroke="#333",
        attrib={"stroke-width": "1.2"},
    )
    head = [(x1, y1), (bx - uy * half, by + ux * half), (bx + uy * half, by - ux * half)]
    ET.SubElement(svg, "polygon", points=" ".join(f"{_n(x)},{_n(y)}" for x, y in head), fill="#333")


COLOURS: dict[Status, str] = {
    "included": "#1b7837",
    "excluded-screening": "#bababa",
    "excluded-full-text": "#6f6f6f",
    "not-retrieved": "#e08214",
    "awaiting": "#2166ac",
}


def year_chart_svg(report: Report) -> str:
    """Screened records per publication year, stacked by their furthest outcome.

    Every label is horizontal text (no transforms), so librsvg and ImageMagick draw
    it as a browser does: years are labelled every k years, k as small as leaves room
    between two labels, and the axis title stands above the axis.
    """
    bars = report.years
    peak = max((bar.total for bar in bars), default=0)
    step = _tick_step(peak)
    top = step * -(-peak // step) if peak else 1
    # Slots shrink as years grow in number, so a long span stays printable.
    slot = min(22.0, max(5.0, 660.0 / max(len(bars), 1)))
    room = room_for("0000", TICK_SIZE) + TICK_GAP
    every = next((k for k in (1, 2, 5, 10, 20, 50, 100) if k * slot >= room), 200)
    plot_h, left, legend_h, bottom_h = 220.0, 52.0, 44.0, 24.0
    width = max(left + (len(bars) + 1) * slot + MARGIN, 560.0)
    svg = _svg_root(width, 0, "Screened records per publication year, by decision")
    base = MARGIN + legend_h + plot_h

    legend_x, legend_y = left, float(MARGIN)
    for status, name in STATUSES:
        item_w = 15 + room_for(name, 11) + 16
        if legend_x + item_w > width - MARGIN and legend_x > left:
            legend_x, legend_y = left, legend_y + 18
        ET.SubElement(
            svg, "rect", x=_n(legend_x), y=_n(legend_y), width="11", height="11",
            fill=COLOURS[status],
        )  # fmt: skip
        _text(svg, legend_x + 15, legend_y + 10, name, size=11)
        legend_x += item_w
    for value in range(0, top + 1, step):
        y = base - plot_h * value / top
        ET.SubElement(
            svg, "line", x1=_n(left), x2=_n(width - MARGIN), y1=_n(y), y2=_n(y), stroke="#ddd"
        )
        _text(svg, left - 6, y + 4, str(value), size=11, anchor="end")
    _text(svg, MARGIN, base - plot_h - 8, "Records", size=11)
    ticks: list[tuple[float, str]] = []
    for n, bar in enumerate(bars):
        # Records without a year stand one slot apart from the dated ones.
        x = left + (n + (bar.year is None)) * slot + slot * 0.125
        _bar(svg, bar, x, slot * 0.75, base, plot_h / top)
        if bar.year is None or bar.year % every == 0:
            ticks.append((x + slot * 0.375, str(bar.year) if bar.year is not None else "n.d."))
    for cx, label in _apart(ticks):
        _text(svg, cx, base + 4 + TICK_SIZE, label, size=TICK_SIZE, anchor="middle")
    ET.SubElement(
        svg, "line", x1=_n(left), x2=_n(width - MARGIN), y1=_n(base), y2=_n(base), stroke="#333"
    )
    bottom = _snapshot_note(
        svg, report, MARGIN, base + bottom_h - 6, width - 2 * MARGIN, stopping=False
    )
    height = bottom + MARGIN
    svg.set("height", _n(height))
    svg.set("viewBox", f"0 0 {_n(width)} {_n(height)}")
    return _serialise(svg)


def _apart(ticks: Sequence[tuple[float, str]]) -> list[tuple[float, str]]:
    """The tick labels that do not touch the last one ("n.d." is kept before any year)."""
    kept: list[tuple[float, str]] = []
    for cx, label in reversed(ticks):
        if all(
            abs(cx - other)
            >= (room_for(label, TICK_SIZE) + room_for(text, TICK_SIZE)) / 2 + TICK_GAP
            for other, text in kept
        ):
            kept.append((cx, label))
    return kept[::-1]


def _bar(svg: ET.Element, bar: YearBar, x: float, width: float, base: float, scale: float) -> None:
    label = str(bar.year) if bar.year is not None else "n.d."
    y = base
    for status, count in bar.counts:
        if not count:
            continue
        height = count * scale
        y -= height
        rect = ET.SubElement(
            svg, "rect", x=_n(x), y=_n(y), width=_n(width), height=_n(height),
            fill=COLOURS[status],
            attrib={"data-year": label, "data-status": status, "data-count": str(count)},
        )  # fmt: skip
        ET.SubElement(rect, "title").text = f"{label}: {count} {dict(STATUSES)[status].lower()}"


def _finish_diagram(
    svg: ET.Element,
    report: Report,
    phases: Sequence[tuple[str, float, float]],
    phase_w: float,
    y: float,
    width: float,
) -> str:
    """The phase bands, the snapshot note under the last row, and the final size."""
    _phase_bands(svg, phases, phase_w)
    y = _snapshot_note(svg, report, MARGIN, y - ROW_GAP + 8, width - 2 * MARGIN)
    height = y + MARGIN
    svg.set("height", _n(height))
    svg.set("viewBox", f"0 0 {_n(width)} {_n(height)}")
    return _serialise(svg)


def _snapshot_note(
    svg: ET.Element, report: Report, x: float, y: float, width: float, *, stopping: bool = True
) -> float:
    """Say under a drawing that its searches came from a snapshot, and which stopping rule
    left records unscreened, when one did (PRISMA 2020 item 8); returns the new bottom."""
    notes = []
    if report.snapshot:
        notes.append(("snapshot-note", f"Searches from a stored snapshot: {report.snapshot}"))
    if stopping and report.stopping:
        notes.append(("stopping-note", f"Records not screened: {report.stopping}."))
    for kind, note in notes:
        for line in _wrap(note, width, size=11):
            y += 14
            _text(svg, x, y, line, size=11).set("class", kind)
    return y


def _tick_step(peak: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if peak / step <= 6:
            return step
    return 10000


def _svg_root(width: float, height: float, title: str, role: str = "img") -> ET.Element:
    """`role` "img" for a picture; "group" when it holds links a screen reader must reach."""
    svg = ET.Element(
        "svg",
        xmlns=SVG_NS,
        width=_n(width),
        height=_n(height),
        viewBox=f"0 0 {_n(width)} {_n(height)}",
        role=role,
        # "none" is SVG's default, but ImageMagick's own renderer outlines every text
        # and shape that does not say so, drawing the words bold.
        attrib={"font-family": FONT, "font-size": str(FONT_SIZE), "stroke": "none"},
    )
    svg.set("aria-label", title)
    ET.SubElement(svg, "title").text = title
    return svg


def _text(
    parent: ET.Element,
    x: float,
    y: float,
    words: str,
    bold: bool = False,
    anchor: str = "start",
    size: int = FONT_SIZE,
) -> ET.Element:
    element = ET.SubElement(parent, "text", x=_n(x), y=_n(y), fill="#111")
    if bold:
        element.set("font-weight", "bold")
    if anchor != "start":
        element.set("text-anchor", anchor)
    if size != FONT_SIZE:
        element.set("font-size", str(size))
    element.text = _XML_INVALID.sub("", words)
    return element


def _n(value: float) -> str:
    """Numbers as short, stable text: golden files must not change with float noise."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _serialise(svg: ET.Element) -> str:
    ET.indent(svg, space=" ")
    return ET.tostring(svg, encoding="unicode") + "\n"
