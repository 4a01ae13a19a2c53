"""MEDLINE text (PubMed's "nbib" / rettype=medline) import and export.

Parsing of each entry is Biopython's `Bio.Medline`; this module splits the file
into entries first so that a problem is reported with its line number, and maps
the MEDLINE tags onto `Record`.
"""

from __future__ import annotations

from review.records import MeshHeading, MeshQualifier

__all__ = ["format_mesh_heading", "parse_mesh_heading"]


def parse_mesh_heading(text: str) -> MeshHeading:
    """MEDLINE's MH form: "Analgesics, Opioid/*therapeutic use/adverse effects", "*Humans"."""
    descriptor, *qualifiers = text.strip().split("/")
    return MeshHeading(
        descriptor=descriptor.removeprefix("*").strip(),
        major=descriptor.startswith("*"),
        qualifiers=tuple(
            MeshQualifier(name=q.removeprefix("*").strip(), major=q.startswith("*"))
            for q in qualifiers
            if q.strip()
        ),
    )


def format_mesh_heading(heading: MeshHeading) -> str:
    parts = [("*" if heading.major else "") + heading.descriptor]
    parts.extend(("*" if q.major else "") + q.name for q in heading.qualifiers)
    return "/".join(parts)
