"""Field-level conversions shared by the text formats: names, years, lists, abstracts.

These are format-level only: they split what a format's own convention joins
("Family, Given", "a; b; c"). Cleaning up badly exported values (names run
together, odd page ranges) belongs to deduplication, which sees all sources.
"""

from __future__ import annotations

import re

from review.records import AbstractSection, Author

__all__ = [
    "abstract_sections",
    "format_person",
    "initials_of",
    "join_list",
    "parse_person",
    "parse_year",
    "split_authors",
    "split_list",
]

YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|2[01]\d\d)(?!\d)")
# "KE", "K.", "R. A.", "K.E.", "J-P": what MEDLINE's AU and many exports put after the family name.
INITIALS = re.compile(r"^(?:[A-Z]\.?(?:[- ]?[A-Z]\.?){0,3})$")
# A labelled paragraph as `Record.abstract_text` writes it: "METHODS: text".
ABSTRACT_LABEL = re.compile(r"^([A-Z][A-Z0-9 ,/&()'-]{0,60}[A-Z)]): (.*)$", re.DOTALL)


def parse_year(text: str) -> int | None:
    """The first plausible year in a date as sources write it ("1998 Dec-1999 Jan" → 1998)."""
    match = YEAR.search(text)
    return int(match.group(1)) if match else None


def initials_of(given: str) -> str:
    """PubMed-style initials: "Kirsten E." → "KE", "Jean-Paul" → "JP"."""
    return "".join(part[0] for part in re.split(r"[\s.\-]+", given) if part and part[0].isalpha())


def parse_person(name: str) -> Author:
    """One name as RIS, CSV and BibTeX exports write it.

    "Family, Given" (the RIS and BibTeX convention) and MEDLINE's "Family KE" are
    people; "K E Family" too. A name with no comma in neither of those shapes is
    kept whole as a collective (group) name, so nothing is lost and nothing guessed.
    """
    name = " ".join(name.split())
    if not name:
        return Author()
    if "," in name:
        family, _, given = name.partition(",")
        family, given = family.strip(), given.strip()
        if not family:
            return Author(collective=name)
        return Author(family=family, given=given, initials=initials_of(given))
    words = name.split(" ")
    if len(words) >= 2:
        trailing = " ".join(words[1:])
        if INITIALS.match(trailing):
            return Author(family=words[0], initials=initials_of(trailing))
        leading = " ".join(words[:-1])
        if INITIALS.match(leading):
            return Author(family=words[-1], given=leading, initials=initials_of(leading))
    return Author(collective=name)


def format_person(author: Author) -> str:
    """ "Family, Given" for people (initials when no given name), the name for groups."""
    if author.collective:
        return author.collective
    first = author.given or author.initials
    return f"{author.family}, {first}" if first else author.family


def split_authors(cell: str) -> tuple[Author, ...]:
    """Authors from one text cell: "A, B and C, D" (BibTeX style) or "A, B; C, D"."""
    cell = cell.strip()
    if not cell:
        return ()
    names = cell.split(";") if ";" in cell else re.split(r"\s+and\s+", cell)
    return tuple(parse_person(n) for n in names if n.strip())


def split_list(cell: str, separator: str = ";") -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(separator) if part.strip())


def join_list(items: tuple[str, ...] | list[str], separator: str = "; ") -> str:
    return separator.join(items)


def abstract_sections(text: str) -> tuple[AbstractSection, ...]:
    """Sections back from `Record.abstract_text`: labelled only when every paragraph is."""
    text = text.strip()
    if not text:
        return ()
    paragraphs = [p for p in text.split("\n") if p.strip()]
    matches = [ABSTRACT_LABEL.match(p) for p in paragraphs]
    if len(paragraphs) > 1 and all(matches):
        return tuple(AbstractSection(text=m.group(2), label=m.group(1)) for m in matches if m)
    return (AbstractSection(text=text),)
