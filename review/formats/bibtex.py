"""BibTeX import and export, with bibtexparser 2.

bibtexparser splits the file into blocks (each knows its first line, and an
entry it cannot parse becomes a failed block that we report), resolves @string
macros, splits author lists on "and" and decodes LaTeX ({\\"u} → ü). Names are
split here: "{World Health Organization}" in braces is a group, "Family, Given"
and "Given von Family" are people as BibTeX reads them, and MEDLINE's
"Family KE" (common in exports) keeps its initials.

    title, abstract, doi, isbn, url, volume → the same field
    author → authors          year → year          date (biblatex) → pub_date
    journal, journaltitle, booktitle → journal
    shortjournal, Journal-ISO (Web of Science), abbrev_source_title (Scopus) → abbreviation
    number, issue → issue     pages "1--9" → "1-9"
    keywords, author_keywords (Scopus) → keywords (split on ; or ,)
    document_type (Scopus) → publication types
    language → languages      pmid, pmcid → the same field
    database, source (Scopus) → the source's database, unless one is given
Any other field (month, issn, publisher, note, ...) stays in `Record.extra`.
The export writes UTF-8 (as biber, Zotero and JabRef read it), escaping only the
characters that BibTeX treats specially.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bibtexparser import middlewares
from bibtexparser.entrypoint import parse_string, write_string
from bibtexparser.library import Library
from bibtexparser.middlewares.middleware import LibraryMiddleware
from bibtexparser.middlewares.names import parse_single_name_into_parts
from bibtexparser.model import (
    Block,
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    Field,
    ParsingFailedBlock,
    String,
)
from pylatexenc.latex2text import LatexNodes2Text  # type: ignore[import-untyped]

from review.formats.fields import format_person, parse_person, parse_year, person
from review.formats.textfile import display_name, file_stem, gather, read_text
from review.records import AbstractSection, Author, ImportProblem, ImportResult, Record, Source

__all__ = ["iter_bibtex", "read_bibtex", "resolve_value", "stream_bibtex", "write_bibtex"]

HANDLED = {
    "title", "abstract", "doi", "isbn", "url", "volume", "author", "year", "date", "journal",
    "journaltitle", "booktitle", "shortjournal", "number", "issue", "pages", "keywords",
    "language", "pmid", "pmcid", "database", "journal-iso", "document_type", "author_keywords",
    "source", "abbrev_source_title",
}  # fmt: skip
CONTAINER_IS_BOOKTITLE = {"inproceedings", "inbook", "incollection", "conference"}
# Fields whose text is not LaTeX: "%" and "&" in a URL are meant literally.
VERBATIM = {"url", "doi", "file", "eprint", "pmid", "pmcid", "isbn", "issn"}
# ... but a brace would end the field, and bibtexparser reads "\\}" as an escaped
# brace, so braces and backslashes are escaped there (both are rare in URLs and DOIs).
VERBATIM_SPECIAL = re.compile(r"[{}\\]")
VERBATIM_ESCAPES = {"{": r"\{", "}": r"\}", "\\": r"\textbackslash{}"}
VERBATIM_ESCAPED = re.compile(r"\\textbackslash\{\}|\\[{}]")
# What pylatexenc would change when decoding.
LATEX_MARKUP = re.compile(r"[\\{}$~%^]|--|``|''|!`|\?`")
SIMPLE_ESCAPE = re.compile(
    r"\\[%&$#_{}]|\\textbackslash\{\}|\\textasciitilde\{\}|\\textasciicircum\{\}"
)
LATEX_SPECIAL = re.compile(r"[\\{}%&$#_~^]")
ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
UNESCAPES = {escape: char for char, escape in ESCAPES.items()}
GUARDS = {escape: chr(0xE000 + index) for index, escape in enumerate(UNESCAPES)}
UNGUARD = {guard: UNESCAPES[escape] for escape, guard in GUARDS.items()}
GUARDED = re.compile("[" + "".join(GUARDS.values()) + "]")
LIGATURE_START = re.compile(r"-(?=-)|`(?=`)|'(?=')|[!?](?=`)")
LIGATURE_PAIRS = ("--", "``", "''", "!`", "?`")
ENTRY_TYPE = re.compile(r"[A-Za-z]+")
LINE_BREAKS = re.compile(r"[\r\n]+")
ASCII_SPACES = re.compile(r"[ \t\r\n]+")
KEY_UNSAFE = re.compile(r"[\s,{}()=#%\"'\\~]")


def read_bibtex(path: Path, *, database: str | None = None) -> ImportResult:
    """Every entry of a BibTeX file; entries bibtexparser cannot parse become problems."""
    return gather(stream_bibtex(path, database=database))


def stream_bibtex(path: Path, *, database: str | None = None) -> Iterator[Record | ImportProblem]:
    """`read_bibtex` entry by entry (bibtexparser needs the whole text in memory)."""
    decoded = read_text(path)
    yield from iter_bibtex(decoded.text, database=database, file=display_name(path))
    yield from decoded.problems


def iter_bibtex(text: str, *, database: str | None, file: str) -> Iterator[Record | ImportProblem]:
    # LaTeX is decoded field by field below, so that URLs and DOIs stay verbatim.
    with reported_here():
        library = parse_string(
            text,
            parse_stack=[
                ResolveConcatenation(),
                middlewares.RemoveEnclosingMiddleware(),
                middlewares.SeparateCoAuthors(),
            ],
        )
    strings = string_values(library)
    decoder = LatexNodes2Text()
    stem = file_stem(Path(file))
    position = 0
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            position += 1
            entry = block.ignore_error_block
            new_id = f"{stem}:{position}"
            yield ImportProblem(
                file,
                line,
                f"duplicate key '{block.key}'; entry kept as '{new_id}'",
                block.key,
                kept=True,
            )
            if isinstance(entry, Entry):
                entry = first_of_each_field(entry, library, strings)
                yield from undefined_macros(entry, file)
                yield record_from_entry(entry, decoder, file, position, database, new_id)
        elif isinstance(block, DuplicateFieldKeyBlock) and isinstance(
            block.ignore_error_block, Entry
        ):
            position += 1
            entry = first_of_each_field(block.ignore_error_block, library, strings)
            fields = ", ".join(sorted(block.duplicate_keys))
            yield ImportProblem(
                file,
                line,
                f"field {fields} given twice; the first value is kept",
                entry.key,
                kept=True,
            )
            yield from undefined_macros(entry, file)
            yield record_from_entry(entry, decoder, file, position, database, entry.key)
        elif isinstance(block, ParsingFailedBlock):
            position += 1
            reason = getattr(block.error, "abort_reason", "") or str(block.error)
            message = " ".join(reason.split())
            yield ImportProblem(file, line, f"entry cannot be read: {message}; skipped")
        elif isinstance(block, Entry):
            position += 1
            yield from undefined_macros(block, file)
            yield record_from_entry(block, decoder, file, position, database, block.key)


# BibTeX's standard styles define the months; no @string is needed for them.
MONTH_MACROS = frozenset(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
)
UNDEFINED_KEY = "undefined_macros"


def split_concatenation(value: str) -> list[str] | None:
    """'"A " # {B} # name' → ['"A "', '{B}', 'name']; None when braces or quotes do not
    close (bibtexparser has then already refused the entry)."""
    parts: list[str] = []
    depth, quoted, start = 0, False, 0
    for index, char in enumerate(value):
        if char == "{" and (index == 0 or value[index - 1] != "\\"):
            depth += 1
        elif char == "}" and (index == 0 or value[index - 1] != "\\"):
            depth -= 1
            if depth < 0:
                return None
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted:
            parts.append(value[start:index].strip())
            start = index + 1
    if depth or quoted:
        return None
    parts.append(value[start:].strip())
    return parts


def resolve_value(value: str, strings: dict[str, str]) -> tuple[str, list[str]]:
    """A field's value as BibTeX reads it: its parts joined, each {braced} or "quoted"
    text, number or @string name; and the names no @string defines (kept as written,
    so nothing is lost)."""
    parts = split_concatenation(value)
    if parts is None or (len(parts) == 1 and parts[0][:1] in ("{", '"')):
        return value, []
    texts: list[str] = []
    undefined: list[str] = []
    for part in parts:
        if len(part) >= 2 and (part[0], part[-1]) in (("{", "}"), ('"', '"')):
            texts.append(part[1:-1])
        elif part.isdigit() or part.lower() in MONTH_MACROS:
            texts.append(part)
        elif part.lower() in strings:
            texts.append(strings[part.lower()])
        else:
            undefined.append(part)
            texts.append(part)
    return "{" + "".join(texts) + "}", undefined


def string_values(library: Library) -> dict[str, str]:
    """Each @string's text (names are case-insensitive; a later definition wins)."""
    resolved: dict[str, str] = {}
    for block in library.blocks:
        if isinstance(block, String):
            value, _ = resolve_value(str(block.value), resolved)
            parts = split_concatenation(value)
            if (
                parts
                and len(parts) == 1
                and parts[0][:1] in ("{", '"')
                and parts[0][-1:]
                in (
                    "}",
                    '"',
                )
            ):
                value = parts[0][1:-1]
            resolved[block.key.lower()] = value
    return resolved


class ResolveConcatenation(LibraryMiddleware):
    """Joins "A" # "B" and replaces @string names, as BibTeX does; the names no @string
    defines are noted on the entry for `undefined_macros`. bibtexparser's own
    ResolveStringReferencesMiddleware only replaces a value that is one name."""

    def __init__(self) -> None:
        super().__init__(allow_inplace_modification=True)

    def transform(self, library: Library) -> Library:
        strings = string_values(library)
        for entry in library.entries:
            resolve_entry(entry, strings)
        return library


def resolve_entry(entry: Entry, strings: dict[str, str]) -> None:
    undefined: list[tuple[str, str, int]] = []
    for field in entry.fields:
        if isinstance(field.value, str):
            field.value, names = resolve_value(field.value, strings)
            line = (field.start_line if field.start_line is not None else entry.start_line) or 0
            undefined.extend((field.key, name, line + 1) for name in names)
    entry.parser_metadata[UNDEFINED_KEY] = undefined


def undefined_macros(entry: Entry, file: str) -> Iterator[ImportProblem]:
    for field, name, line in entry.parser_metadata.get(UNDEFINED_KEY, []):
        yield ImportProblem(
            file,
            line,
            f"field {field}: no @string defines {name!r}; read as the text {name!r}, "
            "add the @string or put the text in braces",
            entry.key,
            kept=True,
        )


def first_of_each_field(entry: Entry, library: Library, strings: dict[str, str]) -> Entry:
    """An entry bibtexparser set aside (a duplicate key or field), with one value a field,
    as the parse stack would have given it."""
    seen: set[str] = set()
    fields = []
    for field in entry.fields:
        if field.key.lower() not in seen:
            seen.add(field.key.lower())
            fields.append(field)
    copy = Entry(entry.entry_type, entry.key, fields, entry.start_line, entry.raw)
    resolve_entry(copy, strings)
    block: Block = copy
    for middleware in (middlewares.RemoveEnclosingMiddleware(), middlewares.SeparateCoAuthors()):
        transformed = middleware.transform_block(block, library)
        if isinstance(transformed, Block):
            block = transformed
    return block if isinstance(block, Entry) else entry


@contextmanager
def reported_here() -> Iterator[None]:
    """Silence bibtexparser's log warnings about failed blocks: we report those as
    problems with their line. Without any handler, Python's logging would print
    them to stderr a second time, in bibtexparser's multi-line wording."""
    logger = logging.getLogger("bibtexparser")
    handler = logging.NullHandler()
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def text_field(fields: dict[str, str], *names: str) -> str:
    for name in names:
        value = fields.get(name, "")
        if value:
            return value
    return ""


def record_from_entry(
    entry: Entry,
    decoder: Any,
    file: str,
    position: int,
    database: str | None,
    record_id: str,
) -> Record:
    entry_type = entry.entry_type.lower()
    fields = {
        field.key.lower(): field_text(field, decoder)
        for field in entry.fields
        if isinstance(field.value, str)
    }
    authors_field = entry.fields_dict.get("author") or entry.fields_dict.get("Author")
    names = authors_field.value if authors_field is not None else []
    if isinstance(names, str):
        names = [names]
    extra = [
        (field.key, fields[field.key.lower()])
        for field in entry.fields
        if field.key.lower() not in HANDLED and fields.get(field.key.lower())
    ]
    abstract = text_field(fields, "abstract")
    return Record(
        id=record_id or f"{file_stem(Path(file))}:{position}",
        source=Source(
            database=database or text_field(fields, "database", "source") or file_stem(Path(file)),
            file=file,
            position=position,
        ),
        title=text_field(fields, "title"),
        abstract=(AbstractSection(abstract),) if abstract else (),
        authors=tuple(parse_bibtex_name(name, decoder) for name in names if name.strip()),
        journal=text_field(fields, "journal", "journaltitle", "booktitle"),
        journal_abbrev=text_field(fields, "shortjournal", "journal-iso", "abbrev_source_title"),
        volume=text_field(fields, "volume"),
        issue=text_field(fields, "number", "issue"),
        # LaTeX decoding has already turned "--" into an en dash.
        pages=re.sub(r"\s*(?:-{1,3}|–|—)\s*", "-", text_field(fields, "pages")),
        year=parse_year(text_field(fields, "year") or text_field(fields, "date")),
        pub_date=text_field(fields, "date"),
        pmid=text_field(fields, "pmid"),
        doi=text_field(fields, "doi"),
        pmcid=text_field(fields, "pmcid"),
        isbn=text_field(fields, "isbn"),
        url=text_field(fields, "url"),
        entry_type=entry_type,
        publication_types=split_keywords(text_field(fields, "document_type")),
        keywords=split_keywords(text_field(fields, "keywords", "author_keywords")),
        languages=tuple(
            part.strip() for part in re.split(r",| and ", text_field(fields, "language")) if part
        ),
        extra=tuple(extra),
    )


def field_text(field: Field, decoder: Any) -> str:
    value = str(field.value)
    text = collapse_spaces(value)
    if field.key.lower() in VERBATIM:
        return VERBATIM_ESCAPED.sub(lambda m: m[0][-1] if len(m[0]) == 2 else "\\", text)
    return decode(value, decoder)


def split_keywords(text: str) -> tuple[str, ...]:
    separator = ";" if ";" in text else ","
    return tuple(part.strip() for part in text.split(separator) if part.strip())


def parse_bibtex_name(name: str, decoder: Any) -> Author:
    """One name of an author list, still LaTeX-encoded."""
    name = " ".join(name.split())
    if name.startswith("{") and name.endswith("}") and is_one_group(name):
        return Author(collective=decode(name[1:-1], decoder))
    if "," not in name:
        # "Smith KE" as MEDLINE writes it is common in exported .bib files.
        medline_style = parse_person(decode(name, decoder))
        if medline_style.initials and not medline_style.given and not medline_style.collective:
            return medline_style
    parts = parse_single_name_into_parts(name, strict=False)
    family = decode(" ".join([*parts.von, *parts.last]), decoder)
    if parts.jr:
        family = f"{family}, {decode(' '.join(parts.jr), decoder)}"
    given = decode(" ".join(parts.first), decoder)
    if not given:
        return Author(family=family)
    return person(family, given)


def is_one_group(text: str) -> bool:
    """True for "{A B}", false for "{A} and {B}" (braces closing before the end)."""
    depth = 0
    for index, char in enumerate(text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0 and index < len(text) - 1:
            return False
    return depth == 0


def collapse_spaces(text: str) -> str:
    """Line breaks and indentation inside a field are layout; no-break spaces are text."""
    return ASCII_SPACES.sub(" ", text).strip(" ")


def decode(text: str, decoder: Any) -> str:
    text = collapse_spaces(text)
    # pylatexenc is slow (minutes for a few thousand abstracts); most fields hold no
    # LaTeX, or only the escapes `encode` writes, which need no parser.
    if not LATEX_MARKUP.search(text):
        return text
    if not LATEX_MARKUP.search(SIMPLE_ESCAPE.sub("", text)):
        return SIMPLE_ESCAPE.sub(lambda m: UNESCAPES[m[0]], text)
    # pylatexenc turns \textasciicircum into "ˆ", not "^": our own escapes are kept
    # out of its way as private-use characters.
    guarded = SIMPLE_ESCAPE.sub(lambda m: GUARDS[m[0]], text)
    decoded = collapse_spaces(str(decoder.latex_to_text(guarded)))
    return GUARDED.sub(lambda m: UNGUARD[m[0]], decoded)


def encode(text: str) -> str:
    """UTF-8 text with BibTeX's special characters escaped, read back exactly by `decode`.

    Line breaks become spaces (reading collapses them anyway): bibtexparser takes an
    "@" at the start of any line, even inside a field, for the start of a new entry.
    """
    if "\n" in text or "\r" in text:
        text = LINE_BREAKS.sub(" ", text)
    text = LATEX_SPECIAL.sub(lambda m: ESCAPES[m[0]], text)
    # "--", "``", "''", "!`" and "?`" are ligatures in LaTeX (a dash, curly quotes, ...).
    # The pattern's lookaheads make it slow on long abstracts; most text has none of them
    # (and the escapes above add none).
    if any(pair in text for pair in LIGATURE_PAIRS):
        text = LIGATURE_START.sub(lambda m: m[0] + "{}", text)
    return text


def bibtex_name(author: Author) -> str:
    if author.collective:
        return "{" + encode(author.collective) + "}"
    return encode(format_person(author))


def entry_key(record: Record, used: set[str]) -> str:
    key = KEY_UNSAFE.sub("_", record.id) or f"record{len(used) + 1}"
    candidate, suffix = key, 1
    while candidate in used:
        suffix += 1
        candidate = f"{key}_{suffix}"
    used.add(candidate)
    return candidate


def fields_of(record: Record) -> list[tuple[str, str]]:
    container = "booktitle" if record.entry_type in CONTAINER_IS_BOOKTITLE else "journal"
    # "963--977": the range's dash is written as BibTeX's en dash, "--", which `encode`
    # would otherwise keep apart ("963-{}-977") as it does any other "--" in text.
    first_page, dash, last_page = record.pages.partition("-")
    pages = f"{encode(first_page)}--{encode(last_page)}" if dash and "-" not in last_page else ""
    plain = [
        ("title", record.title),
        ("year", "" if record.year is None else str(record.year)),
        ("date", record.pub_date),
        (container, record.journal),
        ("shortjournal", record.journal_abbrev),
        ("volume", record.volume),
        ("number", record.issue),
        ("pages", record.pages),
        ("abstract", " ".join(record.abstract_text.split("\n"))),
        ("doi", record.doi),
        ("pmid", record.pmid),
        ("pmcid", record.pmcid),
        ("isbn", record.isbn),
        ("url", record.url),
        ("keywords", "; ".join(record.keywords)),
        ("document_type", "; ".join(record.publication_types)),
        ("language", ", ".join(record.languages)),
        ("database", record.source.database),
    ]
    # BibTeX allows each field once: repeated extras (two ISSNs) share one field.
    repeated: dict[str, list[str]] = {}
    for name, value in record.extra:
        if name.lower() not in HANDLED and is_field_name(name):
            repeated.setdefault(name, []).append(value)
    plain.extend((name, "; ".join(values)) for name, values in repeated.items())
    fields = [
        (
            name,
            VERBATIM_SPECIAL.sub(lambda m: VERBATIM_ESCAPES[m[0]], LINE_BREAKS.sub(" ", value))
            if name in VERBATIM
            else pages
            if name == "pages" and pages
            else encode(value),
        )
        for name, value in plain
        if value
    ]
    if record.authors:
        fields.insert(0, ("author", " and ".join(bibtex_name(a) for a in record.authors)))
    return fields


def is_field_name(name: str) -> bool:
    return re.fullmatch(r"[A-Za-z][A-Za-z0-9_:-]*", name) is not None


def write_bibtex(records: Iterable[Record], path: Path) -> int:
    """Write records as BibTeX (UTF-8), one at a time; returns how many were written."""
    used: set[str] = set()
    count = 0
    # The default unparse stack deep-copies every block first (slow, and it warns).
    unparse_stack = middlewares.default_unparse_stack(allow_inplace_modification=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in records:
            fields = [Field(name, value) for name, value in fields_of(record)]
            entry_type = record.entry_type if ENTRY_TYPE.fullmatch(record.entry_type) else "misc"
            library = Library()
            library.add(Entry(entry_type, entry_key(record, used), fields))
            out.write(
                ("\n\n" if count else "") + write_string(library, unparse_stack=unparse_stack)
            )
            count += 1
    return count
