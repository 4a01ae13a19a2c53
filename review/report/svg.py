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

from review.report.model import STATUSES, Report, Status, YearBar

__all__ = ["prisma_svg", "room_for", "text_width", "year_chart_svg"]

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "Helvetica, Arial, 'Liberation Sans', sans-serif"
FONT_SIZE = 13
LINE_HEIGHT = 17
PADDING = 9
MAX_BOX_WIDTH = 330
ROW_GAP = 34
COLUMN_GAP = 56
PHASE_WIDTH = 26
MARGIN = 12

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


def _panels(report: Report) -> list[tuple[str, Panel, tuple[Panel, ...]]]:
    """The diagram's rows: (phase, main box, boxes to its right)."""
    flow = report.flow
    label = {box.key: box.label for box in report.boxes}

    def counted(key: str, count: int, text: str = "", **kw: object) -> Line:
        return Line(text or label[key], key, count, **kw)  # type: ignore[arg-type]

    identified = Panel(
        "identified",
        (
            Line("Records identified from:", bold=True),
            *(counted(b.key, b.count, indent=1) for b in flow.identified),
        ),
    )
    removed = Panel(
        "duplicates",
        (
            Line("Records removed before screening:", bold=True),
            counted("duplicates", flow.duplicates.count, indent=1),
            Line(
                "Records removed for other reasons",
                "removed",
                sum(b.count for b in flow.removed_other),
                indent=1,
            ),
            *(counted(b.key, b.count, indent=2) for b in flow.removed_other),
        ),
    )
    excluded = Panel(
        "records-excluded",
        (
            Line(
                "Records excluded",
                "records-excluded",
                sum(b.count for b in flow.records_excluded),
                bold=True,
            ),
            # PRISMA 2020 asks how many the automation excluded; set apart from the
            # reasons so that nobody adds it to them.
            counted("records-excluded-by-rules", flow.records_excluded_by_rules.count, indent=1),
            *([Line("Reasons:", indent=1)] if flow.records_excluded else []),
            *(counted(b.key, b.count, indent=2) for b in flow.records_excluded),
        ),
    )
    reports_excluded = Panel(
        "reports-excluded",
        (
            Line(
                "Reports excluded",
                "reports-excluded",
                sum(b.count for b in flow.reports_excluded),
                bold=True,
            ),
            *(counted(b.key, b.count, indent=1) for b in flow.reports_excluded),
        ),
    )

    def single(key: str, count: int) -> Panel:
        return Panel(key, (counted(key, count, bold=True),))

    return [
        ("Identification", identified, (removed,)),
        (
            "Screening",
            single("screened", flow.screened.count),
            (excluded, single("awaiting-screening", flow.awaiting_screening.count)),
        ),
        (
            "Screening",
            single("sought", flow.sought.count),
            (single("not-retrieved", flow.not_retrieved.count),),
        ),
        (
            "Screening",
            single("assessed", flow.assessed.count),
            (reports_excluded, single("awaiting-assessment", flow.awaiting_assessment.count)),
        ),
        ("Included", single("included", flow.included.count), ()),
    ]


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


def prisma_svg(report: Report, link_prefix: str | None = "#box-") -> str:
    """The flow diagram as a standalone SVG document.

    `link_prefix` + a box key is where each box and counted line links to
    ("#box-" inside the HTML report, "report.html#box-" beside it); None draws
    no links. The counts are checked first: an inconsistent flow is a ReportError.
    """
    report.counts.check()
    rows = _panels(report)
    left_w = _natural_width([main for _, main, _ in rows])
    right_w = _natural_width([p for _, _, side in rows for p in side])
    left_x = MARGIN + PHASE_WIDTH + 10
    heading = _heading(report)
    # The heading band spans both columns; widen the right one if the heading needs it.
    right_w = max(right_w, room_for(heading, bold=True) + 2 * PADDING - left_w - COLUMN_GAP)
    width = left_x + left_w + COLUMN_GAP + right_w + MARGIN

    title = "PRISMA 2020 flow diagram"
    svg = _svg_root(width, 0, title, role="img" if link_prefix is None else "group")
    _arrow_marker(svg)
    y = _heading_band(svg, left_x, width, heading)
    phases: list[tuple[str, float, float]] = []
    previous: _Placed | None = None
    for n, (phase, main, side) in enumerate(rows):
        left = _layout(main, left_w, left_x, y)
        row_h = _draw_row(svg, left, side, right_w, link_prefix)
        if all(other != phase for other, _, _ in rows[n - 1 : n] + rows[n + 1 : n + 2]):
            # A phase of one row must still fit its rotated name.
            row_h = max(row_h, room_for(phase, bold=True) + 16)
        if previous is not None:
            mid = previous.x + previous.width / 2
            _arrow(svg, [(mid, previous.y + previous.height), (mid, left.y)])
        if phases and phases[-1][0] == phase:
            phases[-1] = (phase, phases[-1][1], y + row_h)
        else:
            phases.append((phase, y, y + row_h))
        previous = left
        y += row_h + ROW_GAP
    _phase_bands(svg, phases)

    y = _snapshot_note(svg, report, left_x, y - ROW_GAP + 8, width - left_x - MARGIN)
    height = y + MARGIN
    svg.set("height", _n(height))
    svg.set("viewBox", f"0 0 {_n(width)} {_n(height)}")
    return _serialise(svg)


def _arrow_marker(svg: ET.Element) -> None:
    defs = ET.SubElement(svg, "defs")
    marker = ET.SubElement(
        defs,
        "marker",
        id="arrow",
        viewBox="0 0 10 10",
        refX="10",
        refY="5",
        markerWidth="7",
        markerHeight="7",
        orient="auto-start-reverse",
    )
    ET.SubElement(marker, "path", d="M 0 0 L 10 5 L 0 10 z", fill="#333")


def _heading(report: Report) -> str:
    """PRISMA 2020's heading, naming other methods when their records share the flow."""
    if report.sources:
        return "Identification of studies via databases, registers and other methods"
    return "Identification of studies via databases and registers"


def _heading_band(svg: ET.Element, left_x: float, width: float, heading: str) -> float:
    """The yellow band over both columns; returns where the first row starts."""
    header_h = 2 * LINE_HEIGHT
    ET.SubElement(
        svg, "rect", x=_n(left_x), y=_n(MARGIN), width=_n(width - left_x - MARGIN),
        height=_n(header_h), rx="4", fill="#f0c808", stroke="#333",
    )  # fmt: skip
    _text(
        svg,
        (width + left_x - MARGIN) / 2,
        MARGIN + header_h / 2 + 5,
        heading,
        bold=True,
        anchor="middle",
    )
    return MARGIN + header_h + ROW_GAP / 2


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


def _phase_bands(svg: ET.Element, phases: Sequence[tuple[str, float, float]]) -> None:
    """The blue bands on the left naming each phase, text turned to read upwards."""
    for phase, top, bottom in phases:
        ET.SubElement(
            svg, "rect", x=_n(MARGIN), y=_n(top), width=_n(PHASE_WIDTH), height=_n(bottom - top),
            rx="4", fill="#a7c7e7", stroke="#333",
        )  # fmt: skip
        cx, cy = MARGIN + PHASE_WIDTH / 2 + 5, (top + bottom) / 2
        label = _text(svg, cx, cy, phase, bold=True, anchor="middle")
        label.set("transform", f"rotate(-90 {_n(cx)} {_n(cy)})")


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


def _arrow(svg: ET.Element, points: Sequence[tuple[float, float]]) -> None:
    ET.SubElement(
        svg,
        "polyline",
        points=" ".join(f"{_n(x)},{_n(y)}" for x, y in points),
        fill="none",
        stroke="#333",
        attrib={"stroke-width": "1.2", "marker-end": "url(#arrow)"},
    )


COLOURS: dict[Status, str] = {
    "included": "#1b7837",
    "excluded-screening": "#bababa",
    "excluded-full-text": "#6f6f6f",
    "not-retrieved": "#e08214",
    "awaiting": "#2166ac",
}


def year_chart_svg(report: Report) -> str:
    """Screened records per publication year, stacked by their furthest outcome."""
    bars = report.years
    peak = max((bar.total for bar in bars), default=0)
    step = _tick_step(peak)
    top = step * -(-peak // step) if peak else 1
    # Slots shrink as years grow in number, so a long span stays printable.
    slot = min(22.0, max(5.0, 660.0 / max(len(bars), 1)))
    every = next(k for k in (1, 2, 5, 10, 20, 50, 100) if k * slot >= 13)
    plot_h, left, legend_h, bottom_h = 220.0, 52.0, 44.0, 46.0
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
    axis_x, axis_y = MARGIN + 4, base - plot_h / 2
    axis = _text(svg, axis_x, axis_y, "Records", size=11, anchor="middle")
    axis.set("transform", f"rotate(-90 {_n(axis_x)} {_n(axis_y)})")
    for n, bar in enumerate(bars):
        # Records without a year stand one slot apart from the dated ones.
        x = left + (n + (bar.year is None)) * slot + slot * 0.125
        _bar(svg, bar, x, slot * 0.75, base, plot_h / top)
        if bar.year is None or bar.year % every == 0:
            label = str(bar.year) if bar.year is not None else "n.d."
            cx, cy = x + slot * 0.375, base + 8
            tick = _text(svg, cx, cy, label, size=10, anchor="end")
            tick.set("transform", f"rotate(-60 {_n(cx)} {_n(cy)})")
    ET.SubElement(
        svg, "line", x1=_n(left), x2=_n(width - MARGIN), y1=_n(base), y2=_n(base), stroke="#333"
    )
    bottom = _snapshot_note(svg, report, MARGIN, base + bottom_h - 6, width - 2 * MARGIN)
    height = bottom + MARGIN
    svg.set("height", _n(height))
    svg.set("viewBox", f"0 0 {_n(width)} {_n(height)}")
    return _serialise(svg)


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


def _snapshot_note(svg: ET.Element, report: Report, x: float, y: float, width: float) -> float:
    """Say under a drawing that its searches came from a snapshot; returns the new bottom."""
    if not report.snapshot:
        return y
    for line in _wrap(f"Searches from a stored snapshot: {report.snapshot}", width, size=11):
        y += 14
        _text(svg, x, y, line, size=11).set("class", "snapshot-note")
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
        attrib={"font-family": FONT, "font-size": str(FONT_SIZE)},
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
