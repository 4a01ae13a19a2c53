"""The review protocol: `queries/*.toml` parsed once into frozen, typed models.

A protocol names the review, its PubMed searches, other sources (export files
from other databases), the screening criteria and the exports. Every mistake is
one `ProtocolError` line naming the file, the key (and line where TOML gives
one) and what was expected, so a reviewer can fix it without reading Python.
"""

from __future__ import annotations

import calendar
import datetime
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from review.errors import ProtocolError

__all__ = [
    "OTHER_METHODS",
    "SCHEMA_VERSION",
    "SOURCE_METHODS",
    "Concept",
    "Criteria",
    "Exports",
    "ImportSource",
    "Protocol",
    "Screening",
    "Search",
    "SourceMethod",
    "YearRange",
    "load_protocol",
    "parse_protocol",
]

SCHEMA_VERSION = 1

Species = Literal["any", "humans", "not-animal-only"]
ConceptRole = Literal["require", "exclude"]
WhenAbsent = Literal["exclude", "needs-human"]
DateType = Literal["pdat", "edat", "mdat"]
# How a source was searched, as PRISMA 2020 sorts them: databases and registers in the
# diagram's first column, the other methods in its second.
SourceMethod = Literal["database", "register", "website", "organisation", "citation-searching"]
SOURCE_METHODS: tuple[SourceMethod, ...] = (
    "database",
    "register",
    "website",
    "organisation",
    "citation-searching",
)
OTHER_METHODS: tuple[SourceMethod, ...] = ("website", "organisation", "citation-searching")
SearchField = Literal["title", "abstract", "mesh", "keywords", "publication_types"]

EXPORT_FORMATS = ("ris", "bib", "csv", "nbib", "jsonl")
SEARCH_FIELDS: tuple[SearchField, ...] = (
    "title",
    "abstract",
    "mesh",
    "keywords",
    "publication_types",
)
_DATE = re.compile(r"^(\d{4})(?:/(\d{2})(?:/(\d{2}))?)?$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True, slots=True)
class Search:
    """One named PubMed search, exactly as it will be sent to esearch."""

    name: str
    query: str
    database: str = "PubMed"
    mindate: str = ""  # YYYY, YYYY/MM or YYYY/MM/DD; "" = no limit
    maxdate: str = ""
    datetype: DateType = "pdat"


@dataclass(frozen=True, slots=True)
class ImportSource:
    """An export file from another database that joins the PubMed records."""

    path: Path
    database: str
    exported_on: str = ""  # YYYY-MM-DD the export or collection was made (PRISMA-S item 9)
    note: str = ""  # how the file was made, for the report's sources section
    method: SourceMethod = "database"


@dataclass(frozen=True, slots=True)
class YearRange:
    first: int | None = None
    last: int | None = None


@dataclass(frozen=True, slots=True)
class Concept:
    """A group of terms; a record matches when any term occurs in any chosen field.

    Terms are case-insensitive and matched on word boundaries; a trailing `*`
    truncates (`mitragyn*`), and a term of several words is a phrase.
    """

    name: str
    reason: str
    terms: tuple[str, ...]
    fields: tuple[SearchField, ...]
    role: ConceptRole = "require"
    description: str = ""
    # What a required concept's absence means: "exclude" (with `reason`), or
    # "needs-human" when absence alone is not enough to exclude (e.g. study
    # design words an abstract may leave out); either way the rules cannot include.
    when_absent: WhenAbsent = "exclude"


@dataclass(frozen=True, slots=True)
class Criteria:
    """Eligibility rules; each carries a reason code that the report prints."""

    years: YearRange = YearRange()
    languages: tuple[str, ...] = ()  # MEDLINE codes, e.g. "eng"; () = any
    include_publication_types: tuple[str, ...] = ()  # () = any
    exclude_publication_types: tuple[str, ...] = ()
    species: Species = "any"
    exclude_retracted: bool = True
    concepts: tuple[Concept, ...] = ()
    reasons: tuple[tuple[str, str], ...] = ()  # reason code -> text for the report
    # Reason codes of the built-in criteria ([criteria.reason_codes] overrides them).
    years_reason: str = "out-of-years"
    language_reason: str = "language"
    publication_type_reason: str = "publication-type"
    species_reason: str = "animal-only"
    retracted_reason: str = "retracted"
    # False (the default): rules only exclude and people make every inclusion (a rule
    # that would include answers needs-human instead). True lets the rules include a
    # record with no person involved; the report says how many they did.
    rules_include: bool = False

    def reason_text(self, code: str) -> str:
        return dict(self.reasons).get(code) or _BUILTIN_REASON_TEXTS.get(code, code)

    def reason_codes(self) -> tuple[tuple[str, str], ...]:
        """The reason codes of the criteria in use and the protocol's own, with their texts."""
        active = [
            (self.years_reason, self.years != YearRange()),
            (self.language_reason, bool(self.languages)),
            (
                self.publication_type_reason,
                bool(self.include_publication_types or self.exclude_publication_types),
            ),
            (self.species_reason, self.species != "any"),
            (self.retracted_reason, self.exclude_retracted),
        ]
        codes = [
            *(code for code, used in active if used),
            *(c.reason for c in self.concepts),
            *(code for code, _ in self.reasons),
        ]
        unique = dict.fromkeys(codes)
        return tuple((code, self.reason_text(code)) for code in unique)


_BUILTIN_REASON_TEXTS = {
    "out-of-years": "Published outside the review's years",
    "language": "Not in a language the review includes",
    "publication-type": "Publication type the review excludes",
    "animal-only": "Animal-only study",
    "retracted": "Retracted publication or retraction notice",
}


@dataclass(frozen=True, slots=True)
class Screening:
    """How people screen: `reviewers_required` reviewers must agree on each record.

    As Covidence's "reviewers required" setting (its default is two): until that
    many reviewers give the same answer, a record is undecided (awaiting more
    votes); any disagreement is a conflict for a person to resolve.
    """

    reviewers_required: int = 1
    # The stopping rule (review.stopping): the recall it must assure, at what confidence.
    stop_recall: float = 0.95
    stop_confidence: float = 0.95


@dataclass(frozen=True, slots=True)
class Exports:
    """The record files a report writes, one per format: the included records always;
    every screened record (`screened.<fmt>`) only when `screened = true`. Off by default
    because at tens of thousands of records those files are most of the report's
    writing time (1.4x deduplication at 50,000 records with them, 0.4x without)."""

    formats: tuple[str, ...] = ("ris", "bib", "csv")
    screened: bool = False


@dataclass(frozen=True, slots=True)
class Protocol:
    path: Path
    name: str
    title: str
    question: str
    searches: tuple[Search, ...]
    sources: tuple[ImportSource, ...] = ()
    criteria: Criteria = Criteria()
    exports: Exports = Exports()
    screening: Screening = Screening()
    schema_version: int = SCHEMA_VERSION

    def search(self, name: str) -> Search:
        for search in self.searches:
            if search.name == name:
                return search
        raise ProtocolError(
            f"{self.path}: no search named {name!r}; the protocol has "
            f"{', '.join(s.name for s in self.searches)}."
        )


def load_protocol(path: Path | str) -> Protocol:
    """Read and validate a protocol file; every problem is one ProtocolError line."""
    path = Path(path)
    try:
        # utf-8-sig: Windows editors (Notepad) save UTF-8 with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ProtocolError(f"{path}: no such protocol file; check the path.") from None
    except UnicodeDecodeError as exc:
        raise ProtocolError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8."
        ) from None
    except OSError as exc:
        raise ProtocolError(f"{path}: cannot read the protocol: {exc.strerror}.") from None
    return parse_protocol(text, path)


def parse_protocol(text: str, path: Path) -> Protocol:
    text = text.removeprefix("\ufeff")  # a byte-order mark is no TOML syntax error
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"{path}: TOML syntax error: {exc}.") from None
    return _Reader(path, text).protocol(data)


T = TypeVar("T")


class _Reader:
    """Validates the parsed TOML table by table; knows the file for its messages."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, key: str, problem: str) -> ProtocolError:
        line = self._line_of(key)
        where = f"{self.path}:{line}" if line else str(self.path)
        return ProtocolError(f"{where}: {key}: {problem}")

    def _line_of(self, key: str) -> int:
        """The line where the key's last part is assigned, when it appears exactly once."""
        leaf = re.sub(r"\[\d+\]", "", key.rsplit(".", 1)[-1])
        pattern = re.compile(rf"^\s*{re.escape(leaf)}\s*=")
        hits = [n for n, line in enumerate(self.lines, 1) if pattern.match(line)]
        return hits[0] if len(hits) == 1 else 0

    def table(self, data: Mapping[str, Any], key: str, allowed: set[str]) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            where = f"{key}." if key else ""
            raise self.fail(
                f"{where}{unknown[0]}",
                f"unknown key; expected one of {', '.join(sorted(allowed))}.",
            )

    def get(
        self,
        data: Mapping[str, Any],
        key: str,
        kind: type[T],
        default: T | None = None,
        *,
        prefix: str = "",
    ) -> T:
        full = f"{prefix}{key}"
        if key not in data:
            if default is None:
                raise self.fail(full, f"missing; expected {_kind_name(kind)}.")
            return default
        value = data[key]
        if kind is int and isinstance(value, bool):
            raise self.fail(full, "expected a whole number, got true/false.")
        if not isinstance(value, kind):
            raise self.fail(full, f"expected {_kind_name(kind)}, got {_kind_name(type(value))}.")
        if isinstance(value, str) and not value.strip() and default is None:
            raise self.fail(full, "is empty; expected some text.")
        return value

    def strings(
        self, data: Mapping[str, Any], key: str, *, prefix: str = "", required: bool = False
    ) -> tuple[str, ...]:
        full = f"{prefix}{key}"
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(full, "expected a list of strings.")
        cleaned = tuple(v.strip() for v in value)
        if any(not v for v in cleaned):
            raise self.fail(full, "contains an empty string.")
        if required and not cleaned:
            raise self.fail(full, "is empty; expected at least one entry.")
        return cleaned

    def choice(self, value: str, allowed: tuple[str, ...], key: str) -> str:
        if value not in allowed:
            raise self.fail(key, f"{value!r} is not one of {', '.join(allowed)}.")
        return value

    def protocol(self, data: Mapping[str, Any]) -> Protocol:
        self.table(
            data,
            "",
            {
                "schema_version",
                "name",
                "title",
                "question",
                "searches",
                "sources",
                "criteria",
                "exports",
                "screening",
            },
        )
        version = self.get(data, "schema_version", int)
        if version != SCHEMA_VERSION:
            raise self.fail(
                "schema_version",
                f"{version} is not supported; this version of review reads {SCHEMA_VERSION}.",
            )
        name = self.get(data, "name", str).strip()
        if not _NAME.match(name):
            raise self.fail(
                "name", "use letters, digits, '-', '_' or '.' (it names the report folder)."
            )
        searches = self.searches(data.get("searches"))
        return Protocol(
            path=self.path,
            name=name,
            title=self.get(data, "title", str).strip(),
            question=self.get(data, "question", str).strip(),
            searches=searches,
            sources=self.sources(data.get("sources", [])),
            criteria=self.criteria(self.get(data, "criteria", dict, {})),
            exports=self.exports(self.get(data, "exports", dict, {})),
            screening=self.screening(self.get(data, "screening", dict, {})),
            schema_version=version,
        )

    def searches(self, value: Any) -> tuple[Search, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail("searches", "missing; expected at least one [[searches]] table.")
        result: list[Search] = []
        seen: set[str] = set()
        for n, item in enumerate(value):
            prefix = f"searches[{n}]."
            if not isinstance(item, dict):
                raise self.fail(f"searches[{n}]", "expected a [[searches]] table.")
            self.table(
                item,
                f"searches[{n}]",
                {"name", "query", "database", "mindate", "maxdate", "datetype"},
            )
            name = self.get(item, "name", str, prefix=prefix).strip()
            if not _NAME.match(name):
                raise self.fail(f"{prefix}name", "use letters, digits, '-', '_' or '.'.")
            if name in seen:
                raise self.fail(
                    f"{prefix}name", f"duplicate search name {name!r}; names must differ."
                )
            seen.add(name)
            query = " ".join(self.get(item, "query", str, prefix=prefix).split())
            database = self.get(item, "database", str, "PubMed", prefix=prefix)
            if database.lower() != "pubmed":
                raise self.fail(
                    f"{prefix}database",
                    "only PubMed can be searched; add other databases' exports as [[sources]].",
                )
            dates = {
                k: self.get(item, k, str, "", prefix=prefix).strip() for k in ("mindate", "maxdate")
            }
            spans = {k: self.search_date(v, f"{prefix}{k}") for k, v in dates.items() if v}
            if bool(dates["mindate"]) != bool(dates["maxdate"]):
                # E-utilities ignores a lone mindate or maxdate; say so rather than
                # silently running an unlimited search.
                raise self.fail(f"{prefix}mindate", "give both mindate and maxdate, or neither.")
            if spans and spans["mindate"][0] > spans["maxdate"][1]:
                # PubMed answers a reversed range with 0 records and no warning.
                raise self.fail(
                    f"{prefix}maxdate",
                    f"{dates['maxdate']!r} is before mindate {dates['mindate']!r}; "
                    "swap them or fix the dates.",
                )
            datetype = self.choice(
                self.get(item, "datetype", str, "pdat", prefix=prefix),
                ("pdat", "edat", "mdat"),
                f"{prefix}datetype",
            )
            result.append(
                Search(
                    name,
                    query,
                    "PubMed",
                    dates["mindate"],
                    dates["maxdate"],
                    cast(DateType, datetype),
                )
            )
        return tuple(result)

    def sources(self, value: Any) -> tuple[ImportSource, ...]:
        if not isinstance(value, list):
            raise self.fail("sources", "expected [[sources]] tables.")
        result = []
        for n, item in enumerate(value):
            prefix = f"sources[{n}]."
            if not isinstance(item, dict):
                raise self.fail(f"sources[{n}]", "expected a [[sources]] table.")
            self.table(item, f"sources[{n}]", {"file", "database", "exported_on", "note", "method"})
            file = Path(self.get(item, "file", str, prefix=prefix))
            resolved = file if file.is_absolute() else self.path.parent / file
            result.append(
                ImportSource(
                    resolved,
                    self.get(item, "database", str, prefix=prefix),
                    self.day(item, "exported_on", prefix=prefix),
                    self.get(item, "note", str, "", prefix=prefix).strip(),
                    cast(
                        SourceMethod,
                        self.choice(
                            self.get(item, "method", str, "database", prefix=prefix),
                            SOURCE_METHODS,
                            f"{prefix}method",
                        ),
                    ),
                )
            )
        return tuple(result)

    def search_date(self, value: str, key: str) -> tuple[datetime.date, datetime.date]:
        """The first and last day a YYYY, YYYY/MM or YYYY/MM/DD date covers; it must exist."""
        match = _DATE.match(value)
        if not match:
            raise self.fail(key, f"{value!r} is not YYYY, YYYY/MM or YYYY/MM/DD.")
        year, month, day = (int(part) if part else None for part in match.groups())
        assert year is not None
        try:
            if day is not None and month is not None:
                first = last = datetime.date(year, month, day)
            elif month is not None:
                first = datetime.date(year, month, 1)
                last = datetime.date(year, month, calendar.monthrange(year, month)[1])
            else:
                first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        except ValueError as exc:  # month 13, 45 May, 29 February 2021, year 0
            raise self.fail(key, f"{value!r} is not a real date ({exc}).") from None
        return first, last

    def day(self, data: Mapping[str, Any], key: str, *, prefix: str = "") -> str:
        """A calendar day written as a TOML date (2026-11-26) or as that text; "" if absent."""
        value = data.get(key, "")
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value.isoformat()
        if isinstance(value, str) and (not value or _DAY.match(value)):
            return value
        raise self.fail(f"{prefix}{key}", f"{value!r} is not a day written YYYY-MM-DD.")

    def criteria(self, data: Mapping[str, Any]) -> Criteria:
        self.table(
            data,
            "criteria",
            {
                "years",
                "languages",
                "include_publication_types",
                "exclude_publication_types",
                "species",
                "exclude_retracted",
                "concepts",
                "reasons",
                "reason_codes",
                "rules_include",
            },
        )
        p = "criteria."
        years = self.get(data, "years", dict, {}, prefix=p)
        self.table(years, "criteria.years", {"first", "last"})
        first = self.get(years, "first", int, -1, prefix=f"{p}years.")
        last = self.get(years, "last", int, -1, prefix=f"{p}years.")
        if first >= 0 and last >= 0 and first > last:
            raise self.fail(f"{p}years", f"first ({first}) is after last ({last}).")
        reasons = self.get(data, "reasons", dict, {}, prefix=p)
        for code, text in reasons.items():
            if not isinstance(text, str):
                raise self.fail(f"{p}reasons.{code}", "expected a string explaining the reason.")
        species = self.choice(
            self.get(data, "species", str, "any", prefix=p),
            ("any", "humans", "not-animal-only"),
            f"{p}species",
        )
        codes = self.get(data, "reason_codes", dict, {}, prefix=p)
        self.table(codes, "criteria.reason_codes", set(_REASON_CODE_KEYS))
        for key, code in codes.items():
            if not isinstance(code, str) or not _NAME.match(code):
                raise self.fail(
                    f"{p}reason_codes.{key}", "expected a code of letters, digits, '-' or '_'."
                )
        overrides = {_REASON_CODE_KEYS[key]: code for key, code in codes.items()}
        return Criteria(
            **overrides,
            years=YearRange(first if first >= 0 else None, last if last >= 0 else None),
            languages=tuple(v.lower() for v in self.strings(data, "languages", prefix=p)),
            include_publication_types=self.strings(data, "include_publication_types", prefix=p),
            exclude_publication_types=self.strings(data, "exclude_publication_types", prefix=p),
            species=species,  # type: ignore[arg-type]
            exclude_retracted=self.get(data, "exclude_retracted", bool, True, prefix=p),
            rules_include=self.get(data, "rules_include", bool, False, prefix=p),
            concepts=self.concepts(data.get("concepts", [])),
            reasons=tuple(reasons.items()),
        )

    def concepts(self, value: Any) -> tuple[Concept, ...]:
        if not isinstance(value, list):
            raise self.fail("criteria.concepts", "expected [[criteria.concepts]] tables.")
        result = []
        seen: set[str] = set()
        for n, item in enumerate(value):
            prefix = f"criteria.concepts[{n}]."
            if not isinstance(item, dict):
                raise self.fail(f"criteria.concepts[{n}]", "expected a table.")
            self.table(
                item,
                f"criteria.concepts[{n}]",
                {"name", "reason", "terms", "fields", "role", "description", "when_absent"},
            )
            name = self.get(item, "name", str, prefix=prefix).strip()
            if name in seen:
                raise self.fail(f"{prefix}name", f"duplicate concept name {name!r}.")
            seen.add(name)
            fields = self.strings(item, "fields", prefix=prefix) or SEARCH_FIELDS[:4]
            for f in fields:
                self.choice(f, SEARCH_FIELDS, f"{prefix}fields")
            result.append(
                Concept(
                    name=name,
                    reason=self.get(item, "reason", str, prefix=prefix).strip(),
                    terms=self.strings(item, "terms", prefix=prefix, required=True),
                    fields=fields,  # type: ignore[arg-type]
                    role=self.choice(
                        self.get(item, "role", str, "require", prefix=prefix),
                        ("require", "exclude"),
                        f"{prefix}role",
                    ),  # type: ignore[arg-type]
                    description=self.get(item, "description", str, "", prefix=prefix),
                    when_absent=self.choice(
                        self.get(item, "when_absent", str, "exclude", prefix=prefix),
                        ("exclude", "needs-human"),
                        f"{prefix}when_absent",
                    ),  # type: ignore[arg-type]
                )
            )
        return tuple(result)

    def screening(self, data: Mapping[str, Any]) -> Screening:
        self.table(data, "screening", {"reviewers_required", "stop_recall", "stop_confidence"})
        required = self.get(data, "reviewers_required", int, 1, prefix="screening.")
        if not 1 <= required <= 10:
            raise self.fail(
                "screening.reviewers_required",
                f"{required} is not a number of reviewers from 1 to 10.",
            )
        return Screening(
            required, self.fraction(data, "stop_recall"), self.fraction(data, "stop_confidence")
        )

    def fraction(self, data: Mapping[str, Any], key: str) -> float:
        """A [screening] share strictly between 0 and 1 (default 0.95)."""
        value = data.get(key, 0.95)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            raise self.fail(
                f"screening.{key}",
                f"{value!r} is not a fraction between 0 and 1; write e.g. 0.95 for 95 %.",
            )
        return float(value)

    def exports(self, data: Mapping[str, Any]) -> Exports:
        self.table(data, "exports", {"formats", "screened"})
        formats = self.strings(data, "formats", prefix="exports.")
        for f in formats:
            self.choice(f, EXPORT_FORMATS, "exports.formats")
        screened = self.get(data, "screened", bool, False, prefix="exports.")
        return Exports(formats or Exports().formats, screened)


# [criteria.reason_codes] key -> Criteria field it sets.
_REASON_CODE_KEYS = {
    "years": "years_reason",
    "languages": "language_reason",
    "publication_types": "publication_type_reason",
    "species": "species_reason",
    "retracted": "retracted_reason",
}


def _kind_name(kind: type) -> str:
    names: dict[type, str] = {
        str: "a string",
        int: "a whole number",
        bool: "true or false",
        dict: "a table",
        list: "a list",
        float: "a number",
    }
    return names.get(kind, kind.__name__)
