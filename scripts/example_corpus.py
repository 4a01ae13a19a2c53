"""The example corpus behind the bundled snapshot in cache/example/, built from ../shared.

Two kinds of real data go in:

* `../shared/data/pubmed/*_records_from_pubmed21n1298.xml`: 20 PubmedArticle
  elements cut from an NLM update file; they are kept byte for byte.
* `../shared/data/kratom-sample/records.jsonl`: 284 rows of citation metadata, one
  per source appearance (see its SOURCES.md). For every PMID in it, one row (the one
  showing the most fields) stands in PubMed as a PubmedArticle built from that row's
  metadata only; a GeneralNote in each such article names the row and its URL, so a
  stand-in can never pass for NLM data. Every other row is an import from another
  source, grouped by the kind of source that showed it.

Which PMIDs each protocol search "returns" is decided by `evaluate_query`: the
protocol's query, evaluated on the corpus the way PubMed reads it ([tiab] = title,
abstract and keywords; [Supplementary Concept] = the substances the article names;
[MeSH Terms] = its MeSH headings, exploded as PubMed does, see NARROWER_MESH).
Nothing is chosen by hand.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from review.records import Author, MeshHeading, MeshQualifier, Record, Source

SAMPLE_NAME = "kratom-sample"

# Databases the other-source rows are grouped into, in the order PRISMA lists them.
OTHER_DATABASES = (
    "PMC",
    "OUCI",
    "Publisher websites",
    "Other websites",
    "Citation searching",
)

_LANGUAGES = {"german": "ger", "spanish": "spa", "english": "eng", "thai": "tha"}

# PubMed's "X"[MeSH Terms] also finds articles indexed with any descriptor below X
# in the MeSH tree (explosion). Not whole trees: for each descriptor the protocol's
# queries name, the narrower descriptors that records of this corpus carry (from
# the MeSH tree, e.g. Substance-Related Disorders > Substance Withdrawal Syndrome >
# Neonatal Abstinence Syndrome). Every other descriptor of the corpus is listed in
# OUTSIDE_QUERY_TREES, checked to be under none of them; `check_mesh_tables`
# refuses a query descriptor or a corpus descriptor these tables do not classify.
NARROWER_MESH: dict[str, frozenset[str]] = {
    "mitragyna": frozenset(),
    "substance-related disorders": frozenset(
        {"substance withdrawal syndrome", "neonatal abstinence syndrome", "marijuana abuse"}
    ),
    "substance withdrawal syndrome": frozenset({"neonatal abstinence syndrome"}),
    "cognitive behavioral therapy": frozenset(),
    "opioid-related disorders": frozenset(),
}
OUTSIDE_QUERY_TREES = frozenset(
    {
        "adult", "analysis of variance", "antidepressive agents", "combined modality therapy",
        "counseling", "data collection", "depressive disorder", "diagnosis, dual (psychiatry)",
        "fatal outcome", "female", "forensic toxicology", "gas chromatography-mass spectrometry",
        "global health", "guideline adherence", "humans", "incidence", "infant, newborn", "male",
        "middle aged", "mitragynine", "patient acceptance of health care", "patient satisfaction",
        "patient selection", "pregnancy", "prenatal exposure delayed effects",
        "psychiatric status rating scales", "psychotherapy, group",
        "secologanin tryptamine alkaloids", "socioeconomic factors", "treatment outcome",
    }
)  # fmt: skip


# --------------------------------------------------------------------------- sample rows


def load_sample(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def _filled(row: Mapping[str, Any]) -> int:
    keys = ("title", "authors", "journal", "year", "volume", "issue", "pages", "doi", "pmcid")
    return sum(1 for key in keys if row.get(key))


def choose_stand_ins(rows: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """One row per PMID: the one showing the most fields, then the first in the file."""
    by_pmid: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        if row.get("pmid"):
            by_pmid[str(row["pmid"])].append(row)
    # max() keeps the first of equal rows, and rows are in file order.
    return {pmid: max(group, key=_filled) for pmid, group in by_pmid.items()}


def other_database(row: Mapping[str, Any]) -> str:
    """The group an other-source row is counted under in PRISMA's identification box."""
    kind = str(row["source_kind"])
    if "OUCI" in kind or "ouci.dntb.gov.ua" in str(row["source_url"]):
        return "OUCI"
    if kind.startswith("cited reference"):
        return "Citation searching"
    if "(PMC)" in kind:
        return "PMC"
    if kind.startswith("article") and "publisher" in kind:
        return "Publisher websites"
    return "Other websites"


def _keywords_are_mesh(row: Mapping[str, Any]) -> bool:
    return "keywords are mesh terms" in str(row.get("notes") or "").lower()


def parse_author(name: str) -> Author | None:
    """'Samuel Obeng', 'Garcia-Romeu, Albert', 'Singh D' as the sources wrote them."""
    name = re.sub(r"\s*\((?:editor|ed\.?)\)\s*$", "", name.strip(), flags=re.IGNORECASE)
    name = re.sub(r",?\s*et al\.?$", "", name).strip().rstrip(",")
    if not name:
        return None
    if "," in name:
        family, given = (part.strip() for part in name.split(",", 1))
    else:
        parts = name.split()
        if len(parts) > 1 and re.fullmatch(r"[A-Z]{1,3}", parts[-1]):
            # Vancouver style: "Singh D", "Müller CP".
            return Author(family=" ".join(parts[:-1]), initials=parts[-1])
        family, given = parts[-1], " ".join(parts[:-1])
    initials = "".join(p[0] for p in re.split(r"[\s.\-]+", given) if p[:1].isalpha())
    return Author(family=family, given=given, initials=initials.upper())


def row_authors(row: Mapping[str, Any]) -> tuple[Author, ...]:
    authors = (parse_author(str(name)) for name in row.get("authors") or ())
    return tuple(a for a in authors if a is not None)


def row_provenance(row: Mapping[str, Any]) -> str:
    return f"{SAMPLE_NAME} row {row['record_id']}: {row['source_kind']}, {row['source_url']}"


def _pages(row: Mapping[str, Any]) -> str:
    return str(row.get("pages") or "").replace("–", "-")


def _language(row: Mapping[str, Any]) -> str:
    language = str(row.get("language") or "english").lower()
    return _LANGUAGES.get(language, language[:3])


def row_record(row: Mapping[str, Any], file: str, position: int) -> Record:
    """An other-source row as the Record its import file must give back."""
    keywords = tuple(str(k) for k in row.get("keywords") or ())
    mesh = tuple(_mesh_heading(k) for k in keywords) if _keywords_are_mesh(row) else ()
    year = row.get("year")
    return Record(
        id=str(row["record_id"]),
        source=Source(database=other_database(row), file=file, position=position),
        title=str(row.get("title") or ""),
        authors=row_authors(row),
        journal=str(row.get("journal") or ""),
        volume=str(row.get("volume") or ""),
        issue=str(row.get("issue") or ""),
        pages=_pages(row),
        year=int(year) if year else None,
        pmid=str(row.get("pmid") or ""),
        doi=str(row.get("doi") or ""),
        pmcid=str(row.get("pmcid") or ""),
        url=str(row["source_url"]),
        mesh=mesh,
        keywords=() if mesh else keywords,
        languages=(_language(row),),
        extra=(("note", row_provenance(row)),),
    )


def _mesh_heading(term: str) -> MeshHeading:
    descriptor, _, qualifier = (part.strip() for part in term.partition("/"))
    qualifiers = (MeshQualifier(qualifier),) if qualifier else ()
    return MeshHeading(descriptor=descriptor, qualifiers=qualifiers)


# --------------------------------------------------------------------------- PubMed XML


def real_articles(paths: Iterable[Path]) -> dict[str, bytes]:
    """PMID -> the PubmedArticle element exactly as the NLM file has it."""
    articles: dict[str, bytes] = {}
    for path in paths:
        data = path.read_bytes()
        for match in re.finditer(rb"<PubmedArticle>.*?</PubmedArticle>", data, re.DOTALL):
            pmid = re.search(rb"<PMID[^>]*>(\d+)</PMID>", match.group(0))
            assert pmid is not None, f"{path}: a PubmedArticle without a PMID"
            articles[pmid.group(1).decode()] = match.group(0)
    return articles


def _element(tag: str, text: str, **attributes: str) -> str:
    attrs = "".join(f' {k}="{escape(v, {chr(34): "&quot;"})}"' for k, v in attributes.items())
    return f"<{tag}{attrs}>{escape(text)}</{tag}>"


def stand_in_article(row: Mapping[str, Any]) -> bytes:
    """A PubmedArticle holding only what the sample row showed, and saying so."""
    pmid = str(row["pmid"])
    year = str(row.get("year") or "")
    issue = [_element("Volume", str(row["volume"]))] if row.get("volume") else []
    issue += [_element("Issue", str(row["issue"]))] if row.get("issue") else []
    issue.append(f"<PubDate>{_element('Year', year) if year else ''}</PubDate>")
    authors = "".join(_author_xml(a) for a in row_authors(row))
    complete = "N" if any("et al" in str(a) for a in row.get("authors") or ()) else "Y"
    parts = [
        '<PubmedArticle><MedlineCitation Status="Publisher" Owner="NOTNLM">',
        _element("PMID", pmid, Version="1"),
        '<Article PubModel="Print"><Journal>',
        f'<JournalIssue CitedMedium="Print">{"".join(issue)}</JournalIssue>',
        _element("Title", str(row.get("journal") or "")),
        "</Journal>",
        _element("ArticleTitle", str(row.get("title") or "")),
    ]
    if _pages(row):
        parts.append(f"<Pagination>{_element('MedlinePgn', _pages(row))}</Pagination>")
    if row.get("doi"):
        parts.append(_element("ELocationID", str(row["doi"]), EIdType="doi", ValidYN="Y"))
    if authors:
        parts.append(f'<AuthorList CompleteYN="{complete}">{authors}</AuthorList>')
    parts.append(_element("Language", _language(row)))
    parts.append("<PublicationTypeList>")
    parts.append(_element("PublicationType", "Journal Article", UI="D016428"))
    parts.append("</PublicationTypeList></Article>")
    keywords = [str(k) for k in row.get("keywords") or ()]
    if keywords and _keywords_are_mesh(row):
        parts.append("<MeshHeadingList>")
        parts.extend(_mesh_xml(_mesh_heading(k)) for k in keywords)
        parts.append("</MeshHeadingList>")
    elif keywords:
        parts.append('<KeywordList Owner="NOTNLM">')
        parts.extend(_element("Keyword", k, MajorTopicYN="N") for k in keywords)
        parts.append("</KeywordList>")
    note = f"Example stand-in built by review's scripts/build_example.py from {row_provenance(row)}"
    parts.append(_element("GeneralNote", note + "; not NLM data.", Owner="NOTNLM"))
    parts.append("</MedlineCitation><PubmedData><ArticleIdList>")
    parts.append(_element("ArticleId", pmid, IdType="pubmed"))
    if row.get("doi"):
        parts.append(_element("ArticleId", str(row["doi"]), IdType="doi"))
    if row.get("pmcid"):
        parts.append(_element("ArticleId", str(row["pmcid"]), IdType="pmc"))
    parts.append("</ArticleIdList></PubmedData></PubmedArticle>")
    return "".join(parts).encode("utf-8")


def _author_xml(author: Author) -> str:
    names = _element("LastName", author.family)
    if author.given:
        names += _element("ForeName", author.given)
    if author.initials:
        names += _element("Initials", author.initials)
    return f'<Author ValidYN="Y">{names}</Author>'


def _mesh_xml(heading: MeshHeading) -> str:
    qualifiers = "".join(
        _element("QualifierName", q.name, MajorTopicYN="N") for q in heading.qualifiers
    )
    descriptor = _element("DescriptorName", heading.descriptor, MajorTopicYN="N")
    return f"<MeshHeading>{descriptor}{qualifiers}</MeshHeading>"


# --------------------------------------------------------------------------- query evaluation


@dataclass(frozen=True, slots=True)
class Indexed:
    """What PubMed's field tags look at in one article, as word lists."""

    tiab: tuple[str, ...]  # title, abstract and keywords, as PubMed's [tiab] index
    mesh: tuple[str, ...]  # MeSH descriptors, lower case
    supplementary: tuple[str, ...]  # supplementary concepts and chemicals, lower case


def words(text: str) -> list[str]:
    return re.findall(r"[0-9a-z]+", text.lower())


def index_article(article: bytes) -> Indexed:
    root = etree.fromstring(article)
    # .//AbstractText also finds the AbstractText of OtherAbstract, as [tiab] does.
    text = [
        "".join(str(t) for t in node.itertext())
        for path in (".//ArticleTitle", ".//AbstractText", ".//Keyword")
        for node in root.iterfind(path)
    ]
    flat: list[str] = []
    for chunk in text:
        flat.extend(words(chunk))
        flat.append("")  # a phrase never spans two fields
    return Indexed(
        tiab=tuple(flat),
        mesh=tuple((d.text or "").lower() for d in root.iterfind(".//DescriptorName")),
        supplementary=tuple(
            (s.text or "").lower()
            for path in (".//SupplMeshName", ".//NameOfSubstance")
            for s in root.iterfind(path)
        ),
    )


_TOKEN = re.compile(r'\s*(\(|\)|AND\b|OR\b|NOT\b|"[^"]*"(?:\[[^\]]*\])?|[^\s()]+(?:\[[^\]]*\])?)')


def _tokens(query: str) -> Iterator[str]:
    position = 0
    query = query.strip()
    while position < len(query):
        match = _TOKEN.match(query, position)
        if not match:
            raise ValueError(f"cannot read the query at {query[position:]!r}")
        yield match.group(1)
        position = match.end()


def _term_matches(term: str, article: Indexed) -> bool:
    match = re.fullmatch(r'"?([^"\[]*)"?(?:\[([^\]]*)\])?', term)
    if not match:
        raise ValueError(f"cannot read the term {term!r}")
    text, field = match.group(1), (match.group(2) or "all fields").lower()
    if field in ("mesh terms", "mesh", "mh"):
        descriptor = text.lower()
        if descriptor not in NARROWER_MESH:
            raise ValueError(f"add {text!r} to NARROWER_MESH to evaluate [MeSH Terms] on it")
        wanted = NARROWER_MESH[descriptor] | {descriptor}
        return any(heading in wanted for heading in article.mesh)
    if field in ("supplementary concept", "nm"):
        return text.lower() in article.supplementary
    if field not in ("title/abstract", "tiab", "all fields"):
        raise ValueError(f"the example corpus cannot evaluate the field [{field}]")
    return _phrase_in(words(text), text.endswith("*"), article.tiab)


def _phrase_in(phrase: list[str], truncated: bool, tokens: tuple[str, ...]) -> bool:
    if not phrase:
        return False
    span = len(phrase)
    for start in range(len(tokens) - span + 1):
        window = tokens[start : start + span]
        if list(window[:-1]) != phrase[:-1]:
            continue
        last = window[-1]
        if last == phrase[-1] or (truncated and last.startswith(phrase[-1]) and last):
            return True
    return False


def evaluate_query(query: str, article: Indexed) -> bool:
    """PubMed's Boolean reading of a query: AND, OR, NOT left to right, brackets first."""
    tokens = list(_tokens(query))
    position = 0

    def expression() -> bool:
        nonlocal position
        value = operand()
        while position < len(tokens) and tokens[position] in ("AND", "OR", "NOT"):
            operator = tokens[position]
            position += 1
            right = operand()
            if operator == "AND":
                value = value and right
            elif operator == "OR":
                value = value or right
            else:
                value = value and not right
        return value

    def operand() -> bool:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "(":
            value = expression()
            if tokens[position] != ")":
                raise ValueError("unbalanced brackets in the query")
            position += 1
            return value
        return _term_matches(token, article)

    result = expression()
    if position != len(tokens):
        raise ValueError(f"unexpected {tokens[position]!r} in the query")
    return result


def check_mesh_tables(corpus: Mapping[str, bytes]) -> None:
    """Every MeSH descriptor of the corpus must be classified for explosion."""
    known = set(NARROWER_MESH) | OUTSIDE_QUERY_TREES
    known |= {narrower for group in NARROWER_MESH.values() for narrower in group}
    for pmid, article in corpus.items():
        for descriptor in index_article(article).mesh:
            if descriptor not in known:
                raise ValueError(
                    f"PMID {pmid}: MeSH {descriptor!r} is in neither NARROWER_MESH nor "
                    "OUTSIDE_QUERY_TREES; look it up in the MeSH tree and add it"
                )


def and_parts(query: str) -> list[str]:
    """The parts of a query joined by top-level ANDs, as written; [query] if none."""
    tokens = list(_tokens(query))
    parts: list[list[str]] = [[]]
    depth = 0
    for token in tokens:
        depth += {"(": 1, ")": -1}.get(token, 0)
        if token == "AND" and depth == 0:
            parts.append([])
        else:
            parts[-1].append(token)
    return [" ".join(part).replace("( ", "(").replace(" )", ")") for part in parts]


def search_results(query: str, corpus: Mapping[str, bytes]) -> tuple[str, ...]:
    """The corpus's PMIDs that match, newest PMID first like PubMed's default order."""
    hits = [
        pmid for pmid, article in corpus.items() if evaluate_query(query, index_article(article))
    ]
    return tuple(sorted(hits, key=int, reverse=True))
