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

# "Przyklenk K.Kloner R. A.": several names run together by an export; not one person.
RUN_TOGETHER = re.compile(r"[A-Z]\.[A-Z][a-z]")
YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|2[01]\d\d)(?!\d)")
# A labelled paragraph as `Record.abstract_text` writes it: "METHODS: text".
ABSTRACT_LABEL = re.compile(r"^([A-Z][A-Z0-9 ,/&()'-]{0,60}[A-Z)]): (.*)$", re.DOTALL)


def parse_year(text: str) -> int | None:
    """The first plausible year in a date as sources write it ("1998 Dec-1999 Jan" → 1998)."""
    match = YEAR.search(text)
    return int(match.group(1)) if match else None


def is_initials(text: str) -> bool:
    """ "KE", "K.", "R. A.", "K.E.", "J-P", "Н. А.": what MEDLINE's AU and many exports
    put after the family name; a spelled-out name ("Li", "Kirsten E") is not."""
    letters = re.sub(r"[\s.\-]", "", text)
    if not (1 <= len(letters) <= 4 and letters.isalpha() and letters.isupper()):
        return False
    tokens = [t for t in re.split(r"[\s.\-]+", text) if t]
    return len(tokens) == 1 or all(len(t) == 1 for t in tokens)


def compact(initials: list[str]) -> str:
    """ "K. E." → "KE"."""
    return re.sub(r"[\s.\-]", "", "".join(initials))


def initials_of(given: str) -> str:
    """PubMed-style initials: "Kirsten E." → "KE", "Jean-Paul" → "JP"."""
    return "".join(part[0] for part in re.split(r"[\s.\-]+", given) if part and part[0].isalpha())


def parse_person(name: str) -> Author:
    """One name as RIS, CSV and BibTeX exports write it.

    "Family, Given" (the RIS and BibTeX convention) and MEDLINE's "Family KE" are
    people; "K E Family" too. A given name that is only initials ("Q. J.") is
    kept as initials ("QJ"), the way PubMed keeps them. A name with no comma in
    neither of those shapes, or several names run together, is kept whole as a
    collective (group) name, so nothing is lost and nothing guessed.
    """
    name = " ".join(name.split())
    if not name:
        return Author()
    if "," in name:
        family, _, given = name.partition(",")
        family, given = family.strip(), given.strip()
        if not family:
            return Author(collective=name)
        if is_initials(given):
            return Author(family=family, initials=compact([given]))
        return Author(family=family, given=given, initials=initials_of(given))
    words = name.split(" ")
    if RUN_TOGETHER.search(name):
        return Author(collective=name)
    for cut in range(1, len(words)):
        if is_initials(" ".join(words[cut:])):
            return Author(family=" ".join(words[:cut]), initials=compact(words[cut:]))
    for cut in range(len(words) - 1, 0, -1):
        if is_initials(" ".join(words[:cut])):
            return Author(family=" ".join(words[cut:]), initials=compact(words[:cut]))
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
