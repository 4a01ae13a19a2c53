"""The flow diagram as PNG and PDF for a manuscript, drawn by CairoSVG from prisma.svg.

The SVG uses only rectangles, lines, polygons and horizontal text (no markers,
no transforms), so CairoSVG (cairo), librsvg, ImageMagick and Chromium draw it
alike; tests/test_figures.py compares CairoSVG's picture with Chromium's.
CairoSVG is imported only when a figure is made.
"""

from __future__ import annotations

__all__ = ["PNG_SCALE", "svg_to_pdf", "svg_to_png"]

PNG_SCALE = 2.0  # twice the SVG's size: about 190 dpi at print width, sharp on screens


def svg_to_png(svg: str, scale: float = PNG_SCALE) -> bytes:
    """The SVG drawn on a white background, as PNG bytes."""
    import cairosvg

    png: bytes = cairosvg.svg2png(
        bytestring=svg.encode("utf-8"), scale=scale, background_color="white"
    )
    return png


def svg_to_pdf(svg: str) -> bytes:
    """The SVG as a one-page vector PDF (text stays text)."""
    import cairosvg

    pdf: bytes = cairosvg.svg2pdf(bytestring=svg.encode("utf-8"))
    return pdf
