"""A small, fixed review for the report tests: every PRISMA box has at least one record.

Hand-built records (invented titles, real-looking identifiers) so the golden
files never change unless the report code does. Shared by test_report*.py.
"""

from __future__ import annotations

from pathlib import Path

from review.dedup import CandidatePair, DedupResult, DuplicateLink, RelatedLink
from review.prisma import Removal
from review.protocol import parse_protocol
from review.records import Author, Record, Source
from review.report import OtherSource, ReportInput
from review.screen import Decision
from review.search import SearchLogEntry

PROTOCOL_TOML = """
schema_version = 1
name = "example"
title = "Kratom withdrawal: a worked example"
question = "What is known about kratom withdrawal and its treatment?"

[[searches]]
name = "kratom"
query = "kratom[Title/Abstract] OR mitragyn*[Title/Abstract]"

[[searches]]
name = "withdrawal"
query = "kratom[Title/Abstract] AND withdraw*[Title/Abstract]"
mindate = "2000"
maxdate = "2026"

[criteria]
languages = ["eng"]
rules_include = true

[[criteria.concepts]]
name = "kratom"
reason = "not-kratom"
terms = ["kratom", "mitragyn*"]

[criteria.reasons]
not-kratom = "Not about kratom or its alkaloids"
wrong-outcome = "No withdrawal or dependence outcome"

[exports]
formats = ["ris", "bib", "csv"]
screened = true
"""


def _record(
    record_id: str,
    title: str,
    year: int | None,
    database: str = "PubMed",
    *,
    search: str = "",
    file: str = "",
    pmid: str = "",
    doi: str = "",
    pmcid: str = "",
    authors: tuple[str, ...] = ("Smith J", "Lee K"),
    journal: str = "Journal of Examples",
) -> Record:
    return Record(
        id=record_id,
        source=Source(database, file=file, search=search),
        title=title,
        authors=tuple(Author(family=a.split()[0], initials=a.split()[1]) for a in authors),
        journal=journal,
        year=year,
        pmid=pmid,
        doi=doi,
        pmcid=pmcid,
    )


def _pubmed(pmid: str, title: str, year: int | None, search: str, **kw: object) -> Record:
    return _record(pmid, title, year, search=search, pmid=pmid, **kw)  # type: ignore[arg-type]


def _embase(n: int, title: str, year: int | None, **kw: object) -> Record:
    return _record(f"embase:{n}", title, year, "Embase", file="embase.ris", **kw)  # type: ignore[arg-type]


RECORDS = (
    _pubmed("1001", "Kratom withdrawal in a US cohort", 2021, "kratom",
            doi="10.1000/kw.1", pmcid="PMC1001", authors=("Smith J", "Lee K", "Ng P", "Ott R")),
    _pubmed("1002", "Buprenorphine for kratom use disorder: a case series", 2019, "kratom",
            doi="10.1000/kw.2"),
    _pubmed("1003", "Mitragynine binding at mu-opioid receptors", 2018, "kratom"),
    _pubmed("1004", "Kratom <script>alert('x')</script> & withdrawal *symptoms*", 2020, "kratom"),
    _pubmed("1005", "Coffee drinking and sleep", 2015, "kratom"),
    _pubmed("1006", "Kratom dependence among Malaysian farmers", 2016, "withdrawal",
            doi="10.1000/kw.6"),
    _pubmed("1007", "Kratom withdrawal managed with CBT", None, "withdrawal"),
    _pubmed("1008", "Kratom and mood: an online survey", 2022, "withdrawal"),
    _pubmed("1009", "Kratom use patterns in Thailand", 2017, "withdrawal"),
    _pubmed("1010", "A retracted kratom trial", 2014, "withdrawal"),
    _embase(1, "Kratom withdrawal in a U.S. cohort.", 2021, doi="10.1000/KW.1"),
    _embase(2, "Kratom dependence among Malaysian farmers", 2016),
    _embase(3, "Kratom tea and pain self-treatment", 2023, journal="Pain Reports"),
    _embase(4, "Kratom overdose deaths: a registry study", 2024),
)  # fmt: skip

# PMIDs each search returned; 1001 and 1006 were found by both searches.
SEARCHES = (
    SearchLogEntry(
        name="kratom",
        database="PubMed",
        query="kratom[Title/Abstract] OR mitragyn*[Title/Abstract]",
        query_translation='"kratom"[Title/Abstract] OR "mitragyn*"[Title/Abstract]',
        mindate="",
        maxdate="",
        datetype="pdat",
        count=6,
        pmids=("1001", "1002", "1003", "1004", "1005", "1006"),
        warnings=(),
        searched_at="2026-11-26T09:00:00Z",
        tool_version="0.1.0",
        replayed=True,
    ),
    SearchLogEntry(
        name="withdrawal",
        database="PubMed",
        query="kratom[Title/Abstract] AND withdraw*[Title/Abstract]",
        query_translation='"kratom"[Title/Abstract] AND "withdraw*"[Title/Abstract]',
        mindate="2000",
        maxdate="2026",
        datetype="pdat",
        count=6,
        pmids=("1001", "1006", "1007", "1008", "1009", "1010"),
        warnings=("Quoted phrase not found: kratom withdrawl",),
        searched_at="2026-11-26T09:00:05Z",
        tool_version="0.1.0",
        replayed=True,
    ),
)

LINKS = (
    DuplicateLink("embase:1", "1001", rule="doi", score=1.0, detail="DOI 10.1000/kw.1"),
    DuplicateLink("embase:2", "1006", rule="title-year-authors", score=0.97),
)


def _canonical() -> tuple[Record, ...]:
    duplicates = {link.record_id for link in LINKS}
    return tuple(r for r in RECORDS if r.id not in duplicates)


DECISIONS = (
    # title/abstract
    Decision("1001", "title-abstract", "include", matched=("kratom: 'kratom' in title",)),
    Decision("1002", "title-abstract", "include", by="Ana"),
    Decision("1003", "title-abstract", "include", by="Ana"),
    Decision("1004", "title-abstract", "include", by="Ana"),
    Decision("1005", "title-abstract", "exclude", reason="not-kratom",
             unmatched=("kratom: no term in title, abstract, MeSH or keywords",)),
    Decision("1006", "title-abstract", "include", by="Ana"),
    Decision("1007", "title-abstract", "needs-human", unmatched=("no abstract",)),
    Decision("1008", "title-abstract", "include", by="Ana"),
    Decision("1009", "title-abstract", "exclude", reason="wrong-outcome", by="Ana",
             at="2026-11-26T10:00:00Z", note="use patterns only"),
    Decision("embase:3", "title-abstract", "include", by="Ana"),
    # 1010 removed before screening; embase:4 has no decision yet
    # full text
    Decision("1001", "full-text", "include", by="Ana"),
    Decision("1002", "full-text", "include", by="Ana"),
    Decision("1003", "full-text", "exclude", reason="wrong-outcome", by="Ana"),
    Decision("1004", "full-text", "include", by="Ana"),
    Decision("1006", "full-text", "not-retrieved", by="Ana"),
    Decision("embase:3", "full-text", "needs-human", by="Ana"),
    # 1008: sought, no full-text decision yet
)  # fmt: skip

REMOVALS = (Removal("1010", "Deleted from PubMed by NLM"),)


def example_input(
    snapshot: str | None = "bundled example snapshot taken 2026-11-26",
) -> ReportInput:
    protocol = parse_protocol(PROTOCOL_TOML, Path("queries/example.toml"))
    return ReportInput(
        protocol=protocol,
        searches=SEARCHES,
        dedup=DedupResult(
            records=RECORDS,
            canonical=_canonical(),
            links=LINKS,
            related=(RelatedLink("1010", "1004", "RetractionIn"),),
            undecided=(CandidatePair("1008", "embase:3", 0.81, "titles 81% alike"),),
        ),
        decisions=DECISIONS,
        generated_at="2026-11-26T12:00:00Z",
        tool_version="0.1.0",
        dedup_software="review 0.1.0 (review.dedup: identifiers, then fuzzy title matching)",
        other_sources=(OtherSource("Embase", "embase.ris", exported_on="2026-11-20", problems=1),),
        removals=REMOVALS,
        snapshot=snapshot,
        search_notes=(("withdrawal", "The <example> corpus holds few withdrawal reports."),),
        stand_ins=frozenset({"1002"}),
        uncounted_decisions=(
            Decision("embase:1", "title-abstract", "include", by="Ana", at="2026-11-20T09:00:00Z"),
        ),
        # As `review run` ranks the records awaiting a person (review.report_stage).
        relevance={"embase:3": 0.8712, "1008": 0.553, "1007": 0.4204, "embase:4": 0.1093},
        ranked_by="ranked by a model learned from 6 decisions",
    )
