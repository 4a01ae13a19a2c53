"""The flow diagram draws the same in two renderers, and as PNG and PDF for manuscripts."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from report_example import example_input

from review.report import build_report, write_report
from review.report.figures import svg_to_pdf, svg_to_png
from review.report.svg import prisma_svg


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
