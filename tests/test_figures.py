"""The flow diagram draws the same in two renderers, and as PNG and PDF for manuscripts."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from report_example import example_input

from review.report import build_report, write_report
from review.report.figures import svg_to_pdf, svg_to_png
from review.report.model import PreviousVersion
from review.report.svg import prisma_svg, update_svg, year_chart_svg


def differing(a: Image.Image, b: Image.Image) -> float:
    """Share of 4x4-pixel cells whose grey level differs by more than 48 of 255."""
    small = [im.resize((im.width // 4, im.height // 4), Image.Resampling.BOX) for im in (a, b)]
    histogram = ImageChops.difference(*small).histogram()
    return sum(histogram[49:]) / sum(histogram)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_chromium_and_cairo_draw_the_diagram_alike(tmp_path: Path) -> None:
    svg = prisma_svg(build_report(example_input()), link_prefix=None)
    width, height = (
        round(float(v))
        for v in re.search(r'width="([\d.]+)" height="([\d.]+)"', svg).groups()  # type: ignore[union-attr]
    )
    (tmp_path / "prisma.svg").write_text(svg, encoding="utf-8")
    shot = tmp_path / "chromium.png"
    subprocess.run(
        [
            "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--window-size={width},{height}", f"--screenshot={shot}",
            (tmp_path / "prisma.svg").as_uri(),
        ],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    cairo = Image.open(io.BytesIO(svg_to_png(svg, scale=1.0))).convert("L")
    with Image.open(shot) as picture:
        chromium = picture.convert("L").crop((0, 0, cairo.width, cairo.height))
    # Text is hinted a little differently; boxes, arrows and words land in the same places.
    assert differing(cairo, chromium) < 0.01
    # The comparison does see a drawing: a blank page differs in far more places.
    assert differing(cairo, Image.new("L", cairo.size, 255)) > 0.05


def test_the_report_writes_the_diagram_as_png_and_pdf(tmp_path: Path) -> None:
    files = write_report(example_input(), tmp_path)
    names = [f.name for f in files]
    assert "prisma.png" in names and "prisma.pdf" in names
    with Image.open(tmp_path / "prisma.png") as png:
        assert png.format == "PNG" and png.width > 1000
    assert (tmp_path / "prisma.pdf").read_bytes().startswith(b"%PDF")
    assert (
        svg_to_pdf("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>")[:4]
        == b"%PDF"
    )


# --- the same drawing in Chromium, librsvg and ImageMagick ------------------------------

# What one of the three renderers drops or draws differently: markers and transforms
# (ImageMagick's own renderer), CSS, references, clipping and filters.
UNSUPPORTED_ELEMENTS = {
    "marker", "use", "symbol", "defs", "style", "foreignObject", "textPath", "tspan",
    "clipPath", "mask", "filter", "pattern", "linearGradient", "radialGradient", "image",
}  # fmt: skip
UNSUPPORTED_ATTRIBUTES = {
    "transform", "style", "class-style", "marker-start", "marker-mid", "marker-end",
    "clip-path", "mask", "filter", "dominant-baseline", "alignment-baseline",
    "baseline-shift", "writing-mode", "textLength", "lengthAdjust", "href",
}  # fmt: skip


def drawings() -> dict[str, str]:
    report_input = example_input()
    report = build_report(report_input)
    # The same review as an update: half its records were seen by the previous version.
    ids = [r.id for r in report_input.dedup.records]
    previous = PreviousVersion("2026-11-01", (ids[0],), frozenset(ids[: len(ids) // 2]))
    updated = build_report(dataclasses.replace(report_input, previous=previous))
    return {
        "prisma": prisma_svg(report, link_prefix=None),
        "records-per-year": year_chart_svg(report),
        "prisma-update": update_svg(updated),
    }


def _size(svg: str) -> tuple[int, int]:
    found = re.search(r'width="([\d.]+)" height="([\d.]+)"', svg)
    assert found is not None
    return round(float(found[1])), round(float(found[2]))


def _chromium(svg: Path, out: Path) -> None:
    if shutil.which("chromium") is None:
        pytest.skip("needs Debian's chromium")
    width, height = _size(svg.read_text(encoding="utf-8"))
    subprocess.run(
        [
            "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--window-size={width},{height}", f"--screenshot={out}", svg.as_uri(),
        ],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def _rsvg(svg: Path, out: Path) -> None:
    if shutil.which("rsvg-convert") is None:
        pytest.skip("needs rsvg-convert (Debian: librsvg2-bin)")
    subprocess.run(
        ["rsvg-convert", "--background-color=white", "-o", str(out), str(svg)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def _imagemagick(svg: Path, out: Path) -> None:
    if shutil.which("convert") is None:
        pytest.skip("needs ImageMagick's convert (Debian: imagemagick)")
    formats = subprocess.run(
        ["convert", "-list", "format"], capture_output=True, text=True, timeout=60
    ).stdout
    if not re.search(r"^\s*MSVG\b", formats, re.MULTILINE):
        pytest.skip(
            "ImageMagick has no SVG renderer of its own here (Debian: "
            "libmagickcore-6.q16-6-extra); it would hand the file to rsvg-convert"
        )
    # msvg: asks for ImageMagick's own renderer, never a delegate such as librsvg.
    done = subprocess.run(
        ["convert", "-background", "white", f"msvg:{svg}", "-flatten", str(out)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if "unable to read font" in done.stderr:
        pytest.skip(f"ImageMagick lacks its default font (Debian: gsfonts): {done.stderr}")
    assert done.returncode == 0 and done.stderr == "", done.stderr


RENDERERS = {"chromium": _chromium, "rsvg-convert": _rsvg, "imagemagick": _imagemagick}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Each drawing written once; each renderer draws it when a test first asks."""
    folder = tmp_path_factory.mktemp("renderers")
    for name, svg in drawings().items():
        (folder / f"{name}.svg").write_text(svg, encoding="utf-8")
    return {(name, renderer): folder / f"{name}.{renderer}.png" for name in drawings()
            for renderer in RENDERERS}  # fmt: skip


def _picture(rendered: dict[tuple[str, str], Path], drawing: str, renderer: str) -> Image.Image:
    out = rendered[drawing, renderer]
    if not out.is_file():
        RENDERERS[renderer](out.with_name(f"{drawing}.svg"), out)
    with Image.open(out) as picture:
        return picture.convert("L")


def mean_grey_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean grey-level difference (0-255) over 4x4-pixel cells of the common area."""
    width, height = min(a.width, b.width), min(a.height, b.height)
    small = [
        im.crop((0, 0, width, height)).resize((width // 4, height // 4), Image.Resampling.BOX)
        for im in (a, b)
    ]
    histogram = ImageChops.difference(*small).histogram()
    return sum(level * n for level, n in enumerate(histogram)) / sum(histogram)


@pytest.mark.parametrize("drawing", ["prisma", "records-per-year", "prisma-update"])
@pytest.mark.parametrize(
    ("first", "second"),
    [("chromium", "rsvg-convert"), ("chromium", "imagemagick"), ("rsvg-convert", "imagemagick")],
)
def test_three_renderers_draw_each_figure_alike(
    rendered: dict[tuple[str, str], Path], drawing: str, first: str, second: str
) -> None:
    a = _picture(rendered, drawing, first)
    b = _picture(rendered, drawing, second)
    # The same size to a pixel: nothing is cut off or scaled by one of them.
    assert abs(a.width - b.width) <= 1 and abs(a.height - b.height) <= 1
    width, height = min(a.width, b.width), min(a.height, b.height)
    a, b = a.crop((0, 0, width, height)), b.crop((0, 0, width, height))
    # Fonts are hinted and anti-aliased differently; boxes, bars, arrows and words land in
    # the same places. A dropped arrowhead, label or rotated text fails one of these.
    assert mean_grey_difference(a, b) < 4.0
    assert differing(a, b) < 0.01
    # The comparison does see a drawing: a blank page differs in far more places.
    blank = Image.new("L", a.size, 255)
    assert differing(a, blank) > 0.02
    assert mean_grey_difference(a, blank) > 3 * mean_grey_difference(a, b)


@pytest.mark.parametrize("drawing", ["prisma", "records-per-year", "prisma-update"])
def test_the_figures_use_nothing_a_renderer_drops(drawing: str) -> None:
    root = ET.fromstring(drawings()[drawing])
    for element in root.iter():
        tag = element.tag.rpartition("}")[2]
        assert tag not in UNSUPPORTED_ELEMENTS, tag
        assert not UNSUPPORTED_ATTRIBUTES & {a.rpartition("}")[2] for a in element.attrib}
        assert element.get("text-anchor", "start") in {"start", "middle", "end"}
    # One stroke for everything that does not draw its own outline: ImageMagick's own
    # renderer would otherwise outline the text.
    assert root.get("stroke") == "none"
