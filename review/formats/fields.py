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
    "is_initials",
    "join_authors",
    "join_list",
    "names_for_message",
    "parse_person",
    "parse_year",
    "person",
    "split_authors",
    "split_list",
]

# "Przyklenk K.Kloner R. A.": several names run together by an export; not one person.
RUN_TOGETHER = re.compile(r"[A-Z]\.[A-Z][a-z]")
# "Kirsten E Smith", "Francisco León", "Albert Garcia-Romeu", "Victoria LC Pallares".
GIVEN_FAMILY = re.compile(
    r"[^\W\d_][\w'’-]*\.?(?: [^\W\d_][\w'’-]*\.?){0,2} [^\W\d_][\w'’-]*[^\W\d_]"
)
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
    parts = [part for part in re.split(r"[\s.\-]+", given) if part and part[0].isalpha()]
    # "Victoria LC" → "VLC": a short all-capital part is initials already.
    return "".join(part if part.isupper() and len(part) <= 3 else part[0] for part in parts)


def person(family: str, given: str) -> Author:
    """A person from "Family, Given": the given name as written ("Q. J.", "Kirsten E"),
    except bare initials ("KE"), which are the initials and no given name."""
    if given.isalpha() and is_initials(given):
        return Author(family=family, initials=given)
    initials = compact([given]) if is_initials(given) else initials_of(given)
    return Author(family=family, given=given, initials=initials)


def parse_person(name: str) -> Author:
    """One name as RIS, CSV and BibTeX exports write it.

    "Family, Given" (the RIS and BibTeX convention) and MEDLINE's "Family KE" are
    people; "K E Family" and "Kirsten E Family" too. The given name is kept as
    written ("Q. J."), and its initials as PubMed writes them ("QJ"); "Family, KE"
    gives initials alone. Any other name without a comma, names run together, and
    a name in braces are kept whole as a collective (group) name, so nothing is
    lost and nothing guessed.
    """
    name = " ".join(name.split())
    if not name:
        return Author()
    if name.startswith("{") and name.endswith("}"):
        return Author(collective=name[1:-1].strip())
    if "," in name:
        family, _, given = name.partition(",")
        family, given = family.strip(), given.strip()
        if not family:
            return Author(collective=name)
        return person(family, given)
    words = name.split(" ")
    if RUN_TOGETHER.search(name):
        return Author(collective=name)
    for cut in range(1, len(words)):
        if is_initials(" ".join(words[cut:])):
            return Author(family=" ".join(words[:cut]), initials=compact(words[cut:]))
    for cut in range(len(words) - 1, 0, -1):
        if is_initials(" ".join(words[:cut])):
            return Author(family=" ".join(words[cut:]), initials=compact(words[:cut]))
    if len(words) in (3, 4) and GIVEN_FAMILY.fullmatch(name) and is_initials(words[-2]):
        # "Kirsten E Smith": a middle initial marks a person, given names first.
        given = " ".join(words[:-1])
        return Author(family=words[-1], given=given, initials=initials_of(given))
    return Author(collective=name)


def format_person(author: Author) -> str:
    """ "Family, Given" for people ("Family, KE" when only initials are known), the
    name for groups.

    A group name that would be read back as a person ("Group, The", "Study Group
    KE") is written in braces, as BibTeX does: "{Group, The}".
    """
    if author.collective:
        if "," in author.collective or not parse_person(author.collective).collective:
            return "{" + author.collective + "}"
        return author.collective
    first = author.given or author.initials
    return f"{author.family}, {first}" if first else author.family


def join_authors(authors: tuple[Author, ...]) -> str:
    """One text cell that `split_authors` reads back as the same authors."""
    names = [format_person(a) for a in authors]
    # A cell of groups alone could be read as "Given Family" names; braces keep them groups.
    return "; ".join(
        "{" + name + "}" if a.collective and GIVEN_FAMILY.fullmatch(name) else name
        for a, name in zip(authors, names, strict=True)
    )


def split_authors(cell: str) -> tuple[Author, ...]:
    """Authors from one text cell: "A, B and C, D" (BibTeX style), "A, B; C, D" or
    PubMed's "Smith KE, Dunn KE".

    In a list of several names none of which has a comma, names shaped like
    "Kirsten E Smith" are read given names first (web pages, some CSV exports).
    """
    cell = cell.strip()
    if not cell:
        return ()
    parts = cell.split(";") if ";" in cell else re.split(r"\s+and\s+", cell)
    names = [" ".join(n.split()) for n in parts if n.strip()]
    if len(names) == 1 and ", " in cell:
        # PubMed's CSV: "Smith KE, Dunn KE, Rogers JM."
        medline_style = [parse_person(n) for n in cell.strip().removesuffix(".").split(", ")]
        if all(a.family and a.initials and not a.given for a in medline_style):
            return tuple(medline_style)
    if len(names) > 1 and not any("," in n for n in names):
        return tuple(
            given_first(n) if GIVEN_FAMILY.fullmatch(n) else parse_person(n) for n in names
        )
    return tuple(parse_person(n) for n in names)


def given_first(name: str) -> Author:
    """ "Kirsten E Smith" → Smith, Kirsten E (only for names known to be in this order)."""
    found = parse_person(name)
    if not found.collective:
        return found
    *given, family = name.split(" ")
    given_names = " ".join(given)
    if is_initials(given_names):
        return Author(family=family, initials=compact(given))
    return Author(family=family, given=given_names, initials=initials_of(given_names))


def split_list(cell: str, separator: str = ";") -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(separator) if part.strip())


def names_for_message(names: list[str], limit: int = 200) -> str:
    """Column or key names for a one-line message: whitespace collapsed, cut short."""
    text = ", ".join(" ".join(name.split()) for name in names)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
