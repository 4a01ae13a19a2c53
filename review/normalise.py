"""Pure normalisers that make two spellings of one bibliographic field compare equal.

Every function takes text as a database exported it and returns a canonical form
(lower case ASCII, no punctuation, no markup), or "" when nothing usable is left.
They are the vocabulary of the deduplication rules in `review.dedup`, so each
one is small and tested on real examples: DOIs with resolver prefixes, titles
with JATS tags and Greek letters, authors written "Przyklenk K.Kloner R. A.",
journal abbreviations, page ranges "139-54" and the ones spreadsheets turned
into dates ("01-Oct" for pages 1-10).
"""

from __future__ import annotations

import contextlib
import html
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import unquote

from review.records import Author

__all__ = [
    "author_families",
    "author_given_names",
    "citation_in_journal",
    "doi",
    "first_page",
    "is_subsequence",
    "is_translation",
    "issns",
    "issue",
    "journal",
    "journals_match",
    "meetings_match",
    "notice_kind",
    "original_title",
    "page_range",
    "pmid_from_url",
    "repair",
    "spreadsheet_error",
    "strip_notice_prefix",
    "supplement",
    "text",
    "title",
    "title_language",
    "title_numbers",
    "us_spelling",
    "volume",
]

GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "ζ": "zeta",
    "η": "eta",
    "θ": "theta",
    "ι": "iota",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "µ": "mu",  # the micro sign, a different code point from Greek mu
    "ν": "nu",
    "ξ": "xi",
    "ο": "omicron",
    "π": "pi",
    "ρ": "rho",
    "σ": "sigma",
    "ς": "sigma",
    "τ": "tau",
    "υ": "upsilon",
    "φ": "phi",
    "χ": "chi",
    "ψ": "psi",
    "ω": "omega",
}
_GREEK_TABLE = str.maketrans(
    {**GREEK, **{k.upper(): v for k, v in GREEK.items() if k.upper() != k}}
)
_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
# Inline markup sits inside words ("Ca<sup>2+</sup>", "K<inf>Ca</inf>3.1"): it
# goes without a trace; any other tag separates words.
_INLINE_TAG = re.compile(
    r"</?(?:sup|sub|inf|i|b|em|strong|u|sc|italic|bold|underline|span)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")


_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _fold(value: str) -> str:
    """Decompose accents away: "Gödel" -> "Godel", "ﬁ" -> "fi"."""
    if value.isascii():
        return value
    return _COMBINING.sub("", unicodedata.normalize("NFKD", value))


_ESCAPED = re.compile(r"<U\+([0-9A-Fa-f]{4,6})>")
_MOJIBAKE = re.compile(
    "[\u00c2\u00c3\u00e2][\u0080-\u00bf\u20ac\u201a-\u203a\u2122\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc]"
)


def repair(value: str) -> str:
    """Undo two export accidents: R's "<U+0391>" escapes and UTF-8 read as Windows-1252.

    "CastaÃ±eda" -> "Castañeda", "2014â€“2017" -> "2014–2017", "2<U+0391>" -> "2Α".
    """
    if "<U+" in value:
        value = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)
    if _MOJIBAKE.search(value):
        with contextlib.suppress(UnicodeError):
            value = value.encode("cp1252").decode("utf-8")
    return value


def text(value: str) -> str:
    """Lower-case ASCII words separated by single spaces; markup, accents, punctuation gone.

    HTML entities and JATS/HTML tags are removed first, Greek letters become their
    names (so "β-blocker" equals "beta-blocker"), apostrophes vanish ("Crohn's" ->
    "crohns") and every other run of non-alphanumerics becomes one space.
    """
    if not value:
        return ""
    if not value.isascii() or "<U+" in value:
        value = repair(value)
    if "&" in value:
        value = html.unescape(value)
    if "<" in value:
        value = _TAG.sub(" ", _INLINE_TAG.sub("", value))
    if not value.isascii():
        value = _fold(value.translate(_GREEK_TABLE))
    value = value.lower().replace("'", "").replace("’", "")
    return _NON_ALNUM.sub(" ", value).strip()


# --------------------------------------------------------------------------- spreadsheet errors

# What a spreadsheet writes in a cell whose formula failed: a title that began with
# "=" or "-" was read as a formula ("#NAME?"), a page range or a DOI as arithmetic
# ("#VALUE!", "#DIV/0!"); also in German and French ("#WERT!", "#NOM?"). The cell
# then says nothing about the record. Only a whole cell is an error: an Ovid DOI
# field "#N/A [pii];10.1186/..." still holds its DOI.
_SPREADSHEET_ERROR = re.compile(
    r"#(?:NAME\?|VALUE!|REF!|N/A|DIV/0!|NUM!|NULL!|SPILL!|CALC!|FIELD!|BLOCKED!|CONNECT!|"
    r"BUSY!|UNKNOWN!|GETTING_DATA|WERT!|BEZUG!|NV|ZAHL!|NOM\?|VALEUR!|NOMBRE!|NUL!)"
)


def spreadsheet_error(value: str) -> bool:
    """The whole value is a spreadsheet's error ("#NAME?", "#VALUE!", "#REF!", "#N/A",
    ...): a missing field, not text."""
    return "#" in value and bool(_SPREADSHEET_ERROR.fullmatch(value.strip()))


# --------------------------------------------------------------------------- titles

# Each pattern needs the separator that makes the title a notice: "Correction of
# scoliosis" and "Response to treatment" are articles, "Correction to: ..." is not.
_NOTICE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"(?:published\s+)?errat(?:um|a)\b(?:\s+(?:to|for|in|on)\b)?", "erratum"),
    (r"corrigend(?:um|a)\b(?:\s+(?:to|for)\b)?", "erratum"),
    (r"corrections?(?:\s+notice)?(?:\s*:|\s+to\b|\s*$)", "erratum"),
    (
        r"(?:notice\s+of\s+)?retraction(?:\s+(?:note|notice))?(?:\s*:|\s+(?:to|for)\b|\s*$)",
        "retraction",
    ),
    (r"expression\s+of\s+concern\b", "expression of concern"),
    (r"comment(?:s|ary)?\s+(?:on|to)\b", "comment"),
    (
        r"(?:(?:the\s+)?authors?'?\s+)?(?:reply|response)(?:\s*:|\s*$|\s+to\s+(?:the\s+)?"
        r"(?:letter|comments?|correspondence|editorial|commentary|critique|authors?)\b)",
        "reply",
    ),
)
_NOTICE = re.compile(
    r"^\s*(?:" + "|".join(f"(?P<k{i}>{p})" for i, (p, _) in enumerate(_NOTICE_PATTERNS)) + r")",
    re.IGNORECASE,
)
# Elsevier and others keep the article and mark it "RETRACTED: <title>": that is
# the article itself (a version), not the notice, so the mark is dropped.
_RETRACTED_MARK = re.compile(r"^(?:retracted|withdrawn)(?: article)? ")


def _plain(value: str) -> str:
    return _TAG.sub(" ", _INLINE_TAG.sub("", html.unescape(value))).strip().lstrip("[")


# "<title>; author response" and "<title>: reply" are replies to the article.
_REPLY_SUFFIX = re.compile(
    r"(?:[;:.]|\s-)\s*(?:(?:the\s+)?authors?'?\s+)?(?:reply|response|replies)\s*\.?\s*$",
    re.IGNORECASE,
)


def notice_kind(value: str) -> str:
    """The kind of notice a title announces ("erratum", "retraction", "reply", ...), or ""."""
    plain = _plain(value)
    match = _NOTICE.match(plain)
    if not match or not match.lastgroup:
        return "reply" if _REPLY_SUFFIX.search(plain) else ""
    return _NOTICE_PATTERNS[int(match.lastgroup[1:])][1]


def strip_notice_prefix(value: str) -> str:
    """The normalised title a notice is about: "Erratum to: Foo [Bar]" -> "foo bar"."""
    plain = _plain(value)
    match = _NOTICE.match(plain)
    return title(plain[match.end() :] if match else plain)


# Ovid/MEDLINE append notes to titles: ". [Review] [57 refs]", "[Erratum appears in
# ...]", "[Article in Spanish]", "[Comment in ...]". They describe the record,
# not the paper's title.
# A note runs to the end of the title (its "]" may be cut off); a single bracketed
# word ("[German]") must end the title, or "I am not [just] a rabbit ..." would
# lose everything after "I am not".
_TITLE_NOTE = re.compile(
    r"\s*\.?\s*(?:\[(?:(?:review|\d+ refs?|errat|corrected|retract|comment|reprint|article in|"
    r"see |summary for patients|update|published erratum|english abstract)"
    r"(?:[^\[\]]|\[[^\[\]]*\])*\]?"  # "[Erratum ... Note: Small, Sarah K [added]]"
    r"|[A-Z][a-z]+\])"
    # the CRD databases (DARE, NHS EED) mark their own summaries; MEDLINE marked an
    # author's English title of a paper in another language "(author's transl)"
    r"|\((?:(?:structured|provisional) abstract|authors?'?s?'? transl(?:ation)?\.?)\))\s*\.?\s*$",
    re.IGNORECASE,
)


_LANGUAGES = (
    "Afrikaans|Arabic|Bulgarian|Chinese|Croatian|Czech|Danish|Dutch|Estonian|Finnish|French|"
    "German|Greek|Hebrew|Hungarian|Icelandic|Italian|Japanese|Korean|Latvian|Lithuanian|"
    "Norwegian|Persian|Polish|Portuguese|Romanian|Russian|Serbian|Slovak|Slovenian|Spanish|"
    "Swedish|Turkish|Ukrainian"
)
# Embase writes "English title. Polish\nOriginal title" or "English title. Chinese".
_LANGUAGE_TAIL = re.compile(rf"\.\s*(?:{_LANGUAGES})\s*(?:\n.*)?$", re.DOTALL)


def _english_title(value: str) -> str:
    value = _LANGUAGE_TAIL.sub("", value.strip())
    return value.split("\n", 1)[0]


def original_title(value: str) -> str:
    """The title in its own language where a database gives it after the English one
    (Embase: "English title. German\nOriginal title"), normalised; else ""."""
    match = _LANGUAGE_TAIL.search(value.strip())
    if not match or "\n" not in match.group():
        return ""
    return title(match.group().split("\n", 1)[1])


def is_translation(value: str) -> bool:
    """The title is a database's translation: MEDLINE's "[Title in English]" (wholly
    in square brackets) or Embase's "Title in English. German" (the original's language
    named after it). Two databases translate a title in their own words."""
    stripped = _drop_title_notes(value.strip())
    return bool(_LANGUAGE_TAIL.search(stripped)) or _unwrapped(stripped) != stripped


# Function words that tell English titles from titles in other European languages;
# words that several languages share ("in", "a", "de" ...) are left out of English.
_ENGLISH_WORDS = (
    "the of and for with on to by from is are at or its their after between during "
    "without among versus via into than"
)
_ENGLISH = frozenset(_ENGLISH_WORDS.split())
_OTHER_WORDS = (
    # German
    "der die das und mit von bei zur zum fur den dem des ein eine einer eines im auf "
    "nach uber aus ist sind wie oder zwischen unter durch beim vom als zu einem "
    # French
    "le la les du et une dans sur pour par avec chez au aux ou est sont entre "
    # Spanish, Portuguese, Italian
    "el los las del y con para por una sobre al se o os do dos das e em com "
    "uma no na nos nas il lo gli della delle dei degli nel nella per sulla alla di da "
    # Dutch
    "het van een met voor bij naar"
)
_OTHER = frozenset(_OTHER_WORDS.split()) - _ENGLISH


def title_language(normal_title: str) -> str:
    """ "en" or "other" when a normalised title's function words say so clearly, else "".

    Two records whose titles are in different languages are one paper under its
    original and its translated title as often as two papers; their wording is no
    evidence either way.
    """
    words = normal_title.split()
    english = sum(1 for w in words if w in _ENGLISH)
    other = sum(1 for w in words if w in _OTHER)
    if english >= 2 and other == 0:
        return "en"
    if other >= 2 and english == 0:
        return "other"
    return ""


def _drop_title_notes(value: str) -> str:
    while True:
        match = _TITLE_NOTE.search(value)
        if not match or match.start() < 10:
            return value
        value = value[: match.start()]


def title(value: str) -> str:
    """A title as words: markup, case, accents, punctuation and translation brackets gone.

    MEDLINE writes translated titles in square brackets ("[Effect of ...]"); the
    brackets go and the words stay, so the same translation from two databases
    matches. A leading "RETRACTED:" mark and trailing notes ("[Review] [57 refs]",
    "[Erratum appears in ...]") go too, and so do labels in square brackets
    ("[3H]imipramine", "[(18)F]FDG"), which Embase drops with their brackets.
    A title written mostly in another script (Cyrillic, Chinese, Korean) keeps
    its letters, lower-cased, rather than shrinking to the few Latin words in it.
    """
    if spreadsheet_error(value):
        return ""  # a spreadsheet's error in place of the title
    plain = _LABEL.sub(" ", _drop_title_notes(_unwrapped(_english_title(value))))
    plain = _THOUSANDS.sub(lambda m: re.sub(r"\D", "", m.group()), plain)
    if not plain.isascii() and _mostly_other_script(plain):
        words = " ".join(_UNICODE_WORD.findall(_fold(repair(plain)).casefold()))
    else:
        words = _RETRACTED_MARK.sub("", text(plain))
    # Once more on the words: "1:000" gives "1 000", which, read again, is 1000.
    return _SPACED_THOUSANDS.sub(lambda m: m.group().replace(" ", ""), words)


# A journal section's name as a whole title ("Editorial", "Editor's Comments",
# "Guest Editorial Introduction", "From the Editor", "In this issue"): the words
# such a title may be made of, and the words of which it needs one.
_SECTION_NAME_WORDS = (
    "editorial editorials editor editors comment comments commentary note notes "
    "introduction preface foreword news letter letters correspondence announcement "
    "announcements column perspective perspectives message overview welcome "
    "acknowledgement acknowledgements acknowledgment reviewers remarks"
)
_SECTION_OTHER_WORDS = (
    "guest senior president presidents chair chairs opening closing invited special "
    "section focus issue this from the to in of a an and"
)
_SECTION_NAMES = frozenset(_SECTION_NAME_WORDS.split())
_SECTION_WORDS = _SECTION_NAMES | frozenset(_SECTION_OTHER_WORDS.split())


def is_section_title(normal_title: str) -> bool:
    """A normalised title that only names a journal's section ("editorial notes",
    "editors comments", "in this issue"), not a paper: every word a section's and
    one of them a section's name."""
    words = normal_title.split()
    return (
        bool(words)
        and _SECTION_NAMES.intersection(words) != set()
        and all(word in _SECTION_WORDS for word in words)
    )


# A label in square brackets inside a title: an isotope ("[3H]", "[(18)F]", "[11C]"),
# a ring position ("hetero[2,1]benzothiazepine"), a peptide's sequence: one "word"
# with a digit in it. Embase drops these with their brackets ("brainepibatidine"
# for "brain [3H]epibatidine"). Notes ("[57 refs]") and translations have spaces.
_LABEL = re.compile(r"\[[^\[\]\s]{0,40}\d[^\[\]\s]{0,40}\]")

# "10 000 women" and "10,000 women" are "10000 women".
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:[,\u00a0\u2009]\d{3})+(?![\d]|[.,]\d)")
_SPACED_THOUSANDS = re.compile(r"(?<!\S)\d{1,3}(?: \d{3})+(?!\S)")


def _unwrapped(value: str) -> str:
    """A title wholly in square brackets without them: "[Title. [Review] [42 refs]]." -> "Title.
    [Review] [42 refs]", so that the notes inside can go too. "[A] and [B]" stays."""
    stripped = value.strip().rstrip(".").rstrip()
    if not (stripped.startswith("[") and stripped.endswith("]")):
        return value
    depth = 0
    for i, char in enumerate(stripped):
        depth += 1 if char == "[" else -1 if char == "]" else 0
        if depth == 0 and i < len(stripped) - 1:
            return value
    return stripped[1:-1]


_UNICODE_WORD = re.compile(r"[^\W_]+")


def _mostly_other_script(value: str) -> bool:
    """More letters outside the Latin alphabet (after removing accents) than in it."""
    letters = [c for c in _fold(value) if c.isalpha()]
    return sum(1 for c in letters if not c.isascii()) > len(letters) / 2


# British spellings and their American forms, for words of a normalised title: one
# database translates a title into British English, another into American ("Tumour
# behaviour in paediatric oedema" and "Tumor behavior in pediatric edema"), and an
# author's conference paper and its journal version follow different house styles.
# Both titles go through the same rules, so a rule only has to be consistent: that
# it also changes a word no American writes differently ("exercise") does no harm.
_SPELLING_WORDS = {
    "programme": "program",
    "programmes": "programs",
    "ageing": "aging",
    "grey": "gray",
    "defence": "defense",
    "licence": "license",
    "offence": "offense",
    "aluminium": "aluminum",
    "manoeuvre": "maneuver",
    "mould": "mold",
}
_SPELLING_RULES = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"ae", "e"),  # haematology, paediatric, anaesthesia, ischaemia, aetiology
        (r"^oe", "e"),  # oedema, oesophagus, oestrogen
        (r"rrhoea", "rrhea"),  # diarrhoea
        (r"^foet", "fet"),  # foetal
        (r"^amoeb", "ameb"),
        (r"^sulph", "sulf"),
        (r"dgement", "dgment"),  # judgement
        (r"(?<=[a-z]{3})our(?=(?:s|al|ally|ed|ing|able|ably|ite|ites|ism|less)?$)", "or"),
        (r"(?<=[a-z]{2})is(?=(?:e|es|ed|ing|er|ers|ation|ations|ational)$)", "iz"),
        (r"(?<=[a-z])ys(?=(?:e|ed|es|ing|er|ers)$)", "yz"),  # analyse, paralysed
        (r"(?<=[a-z]{2})([tb])re(?=s?$)", r"\1er"),  # centre, fibre, litre
        (r"(?<=[a-z]{4})ogue(?=s?$)", "og"),  # catalogue, analogue
        (r"(?<=[a-z]{3}[aeiou])ll(?=(?:ing|ed|er|ers)$)", "l"),  # modelling, labelled
    )
)


@lru_cache(maxsize=65536)
def _us_word(word: str) -> str:
    if word in _SPELLING_WORDS:
        return _SPELLING_WORDS[word]
    for pattern, replacement in _SPELLING_RULES:
        word = pattern.sub(replacement, word)
    return word


def us_spelling(normal_title: str) -> str:
    """A normalised title with British spellings in their American form ("tumour
    behaviour" -> "tumor behavior", "paediatric oedema" -> "pediatric edema")."""
    return " ".join(_us_word(word) for word in normal_title.split())


_ROMAN = {
    "i": 1,
    "ii": 2,
    "iii": 3,
    "iv": 4,
    "v": 5,
    "vi": 6,
    "vii": 7,
    "viii": 8,
    "ix": 9,
    "x": 10,
}


_TITLE_NUMBER = re.compile(
    r"\b(?:part|phase|type|study|series|grade) (i|ii|iii|iv|v|vi|vii|viii|ix|x)\b|(\d+)"
)


def title_numbers(normal_title: str) -> str:
    """The digits of a normalised title's numbers in order; "part ii" and "part 2" give "2".

    Two titles that differ only in these are usually parts of a series or
    different years of a report, so they are never the same paper. The digits
    are joined, so a space that one database put inside a name ("Mecp2 1lox",
    "Mecp21lox") does not matter.
    """
    found = []
    for roman, digits in _TITLE_NUMBER.findall(normal_title):
        found.append(str(_ROMAN[roman]) if roman else digits.lstrip("0") or "0")
    return "".join(found)


# --------------------------------------------------------------------------- identifiers

_DOI = re.compile(r"10\.\d{4,9}/\S+")


def doi(value: str) -> str:
    """The bare DOI in lower case, or "" when the text holds none.

    Accepts "https://doi.org/10.1/X", "http://dx.doi.org/...", "doi:10.1/x.",
    URL-escaped forms; drops trailing punctuation and PII junk like "[doi]".
    """
    if not value:
        return ""
    match = _DOI.search(html.unescape(unquote(value)).lower())
    if not match:
        return ""
    found = match.group(0)
    found = re.sub(r"\[(?:doi|pii)\]$", "", found)
    return found.rstrip(".,;:)]}>'\"")


_PMID_URL = re.compile(
    r"(?:ncbi\.nlm\.nih\.gov/pubmed/|pubmed\.ncbi\.nlm\.nih\.gov/|[?&]pmid=)(\d{1,9})"
)


def pmid_from_url(value: str) -> str:
    """The PMID in a PubMed link ("https://www.ncbi.nlm.nih.gov/pubmed/18460911"), else ""."""
    match = _PMID_URL.search(value)
    return match.group(1) if match else ""


_ISSN = re.compile(r"(?<![\d-])(\d{4})-?(\d{3}[\dXx])(?![\d-])")


def issns(value: str) -> frozenset[str]:
    """The ISSNs in a text ("0300-8428 (Print)\\n1524-4571 (Electronic)"), as "03008428",
    each with a valid check digit; ISBNs and other numbers give none."""
    found = set()
    for first, last in _ISSN.findall(value):
        digits = (first + last).upper()
        total = sum(int(d) * w for d, w in zip(digits[:7], range(8, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if digits[7] == ("X" if check == 10 else str(check)):
            found.add(digits)
    return frozenset(found)


# --------------------------------------------------------------------------- numbers

_MONTHS = {
    m: str(i)
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}


def _undate(part: str) -> str:
    """Undo a spreadsheet's date conversion of one side of a range: "Oct" -> "10"."""
    return _MONTHS.get(part.lower(), part) if len(part) == 3 and part.isalpha() else part


_ROMAN_PAGE = re.compile(r"^[ivxlc]+$")
_LETTERED = re.compile(r"^([a-z]{1,3})(\d+)$")
# Pages numbered within a part or a numbered supplement: "II-387-II-390",
# "S4-76-S4-101" (Arch Cardiol Mex: supplement 4, pages S76-S101).
_PART_PAGES = re.compile(r"^([A-Za-z]{1,3})(\d*)-(\d+)-\1\2-(\d+)$")
# A thesis's or book's extent, "215 p." or "xii, 215 pp": how many pages, not
# which. Proceedings pages ("360P", Br J Pharmacol) have no space and a capital.
_PAGE_COUNT = re.compile(r"^(?:[ivxlc]+,\s*)?\d+\s+(?:p|pp|pages)\.?$")


_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")


def page_range(value: str) -> tuple[str, str]:
    """(first, last) page, lower case, leading zeros gone; "139-54" -> ("139", "154").

    Spreadsheet damage is undone: "01-Oct" -> ("1", "10"), "Oct-17" -> ("10", "17").
    What cannot be a page gives ("", ""): a month ("December", "May"), a date
    ("20100529/0604"), a note ("var.pagings"), a thesis's extent ("215 p").
    """
    # Dashes and hyphens of every kind: Cochrane writes "43\u201058" (U+2010 HYPHEN).
    value = _DASHES.sub("-", value.strip())
    if not value or "/" in value or _PAGE_COUNT.match(value):
        return "", ""
    in_part = _PART_PAGES.match(value)
    if in_part:  # "S4-76-S4-101" -> ("s76", "s101")
        prefix, first, last = in_part.group(1).lower(), in_part.group(3), in_part.group(4)
        return prefix + first.lstrip("0"), prefix + last.lstrip("0")
    parts = [p.strip() for p in re.split(r"-+", value, maxsplit=1)]
    if len(parts) == 1 and value.lower() in _MONTHS:
        return "", ""  # a month of publication ("May"), not page 5
    first = _undate(parts[0]).lower().lstrip("0")
    last = _undate(parts[1]).lower() if len(parts) > 1 else ""
    last = last.lstrip("0") or last[-1:]  # "1870-0" keeps its "0"
    first = re.sub(r"[^a-z0-9.]", "", first)
    last = re.sub(r"[^a-z0-9.]", "", last)
    if not re.search(r"\d", first) and not _ROMAN_PAGE.match(first):
        return "", ""
    if len(re.sub(r"\D", "", first)) > 6:
        return "", ""
    if first.isdigit() and last.isdigit() and len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    lettered = _LETTERED.match(first)
    if lettered and last.isdigit():
        # "C151-6" and "S12-14": the last page is numbered like the first, "c156", "s14".
        prefix, digits = lettered.groups()
        full = digits[: max(len(digits) - len(last), 0)] + last
        if int(full) < int(digits):
            return "", ""
        last = prefix + full
    if first.isdigit() and last.isdigit() and int(last) < int(first):
        return "", ""  # "362-265": one of the two is mistyped, and which is unknown
    return first, last


def is_page_count(value: str) -> bool:
    """ "215 p": the number of pages of a whole thesis or book, not a place in a serial."""
    return bool(_PAGE_COUNT.match(value.strip()))


def first_page(value: str) -> str:
    return page_range(value)[0]


def volume(value: str) -> str:
    """The volume's number ("24 Suppl 1" -> "24", "vol. 7" -> "7"), or "" when unusable.

    When a journal's subtitle spilled into the field the volume is the number
    at its end ("Sechenova / Rossiiskaia akademiia nauk. 95" -> "95"); other
    text ("Ph.D.", "(Jul)") and a lone "1)", the remnant of "(Supplement 1)",
    give "".
    """
    value = value.strip().lower()
    match = re.match(r"(?:vol(?:ume)?\.?\s*|v\.\s*)?0*(\d+)(.*)$", value)
    if match:
        return "" if match.group(2).startswith(")") else match.group(1)
    # The journal's subtitle spilled into the field: "Sechenova / ... nauk. 95".
    tail = re.search(r"[a-z][.:]\s*0*(\d+)$", value)
    return tail.group(1) if tail else ""


_SUPPLEMENT = re.compile(r"\bs(?:upp?l?(?:ement)?)?\.?\s*0*(\d+)\b", re.IGNORECASE)


def supplement(value: str) -> str:
    """The supplement's number in a volume or issue field: "SUPPL. 3", "S3", "76 Suppl 4".

    Embase sometimes exports that number as the volume ("3" for volume 30,
    supplement 3), so the rules need it to see that "3" is no other volume.
    """
    match = _SUPPLEMENT.search(value)
    return match.group(1) if match else ""


def issue(value: str) -> str:
    """An issue number; "01-Feb" (a spreadsheet's "1-2") -> "1-2", "4" -> "4".

    Only numbers and number ranges count; "Suppl 2", "pp S434-S435" and
    "var.pagings" say nothing comparable and give "".
    """
    value = value.strip()
    parts = [_undate(p.strip()).lstrip("0") or "0" for p in re.split(r"[-/]", value)]
    if not value or not all(p.isdigit() for p in parts):
        return ""
    return "-".join(parts)


# --------------------------------------------------------------------------- journals

_JOURNAL_STOP = frozenset(
    {"of", "the", "and", "in", "for", "on", "to", "a", "an", "et", "de", "du", "des", "la", "le"}
    | {"der", "die", "und", "fur", "i"}
    # A supplement is part of its journal: "Atherosclerosis Supplements".
    | {"suppl", "supplement", "supplements", "supplementum"}
)
# Embase appends the citation to the journal: "Equine veterinary journal.24 (4) ()(pp 300-304)".
# Without a volume it starts with the date: "Frontiers in Behavioral Neuroscience.(MARCH 2012)".
_JOURNAL_TAIL = re.compile(
    r"(?:\.\s*\d|\.\s*\(|\.\s*conference\b|\s\(\d|\s\d{4}\b).*$", re.IGNORECASE
)


_EMBASE_CITATION = re.compile(
    r"\.\s*(\d+)?\s*\(([^)]*)\)\s*(?:(?:\([^)]*\)\s*)?\(pp\s*([^)]*)\)|\(no pagination\))",
    re.IGNORECASE,
)


def citation_in_journal(value: str) -> tuple[str, str, str]:
    """(volume, issue, pages) from a journal field that carries the citation.

    Embase writes "Behavioral Neuroscience.124 (2) ()(pp 211-224) 2010.Date of
    Publication: April 2010" and leaves the volume, issue and pages fields empty.
    A conference abstract's citation ("...Conference Publication: (var.pagings).21
    ()(pp S190)") names the journal's volume but not which of its supplements,
    so it is not read: two meetings' abstracts would look like one volume.
    """
    match = _EMBASE_CITATION.search(value)
    if not match or ".Conference:" in value:
        return "", "", ""
    return match.group(1) or "", match.group(2).strip(), (match.group(3) or "").strip()


def journal(value: str) -> str:
    """A journal name as words without stop words: "J. of the Am. Coll." -> "j am coll".

    What follows " : " is a subtitle ("Epilepsy and behavior : E&B").
    """
    value = _JOURNAL_TAIL.sub("", value.replace("&", " and ")).split(" : ")[0]
    value = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", " ", value)  # "BMJ (Clinical research ed.)"
    return " ".join(w for w in text(value).split() if w not in _JOURNAL_STOP)


def _abbreviates(short: str, full: str) -> bool:
    """True when `short` is an abbreviation of `full`: same first letter, letters in order."""
    return short[0] == full[0] and is_subsequence(short, full)


def is_subsequence(short: str, full: str) -> bool:
    """Every character of `short` appears in `full`, in the same order (gaps allowed)."""
    position = 0
    for character in short:
        position = full.find(character, position) + 1
        if position == 0:
            return False
    return True


@lru_cache(maxsize=65536)
def journals_match(a: str, b: str) -> bool:
    """Two normalised journal names name the same journal, abbreviated or not.

    "curr opin lipidol" matches "current opinion lipidology": each word of the
    abbreviation abbreviates (same first letter, letters in order) one or more
    consecutive words of the longer ("neuropsychopharmacol" stands for "neuro
    psychopharmacology"), and every word of the longer is accounted for. Once
    two words of at least 10 letters match, either name may go on ("nippon
    rinsho" for "nippon rinsho japanese journal clinical medicine";
    "psychiatr res rep am psychiatr assoc" for "psychiatric research reports").
    Transliterations from Cyrillic compare alike ("biull eksp biol med" and
    "byulleten eksperimentalnoi biologii i meditsiny"; "ekonomiky", "economy").
    """
    if a == b:
        return bool(a)
    if not a or not b:
        return False
    for x, y in ((a, b), (_transliterated(a), _transliterated(b))):
        first, second = tuple(x.split()), tuple(y.split())
        if _cover(first, second, ()) or _cover(second, first, ()):
            return True
    return False


_MEETING_WORDS = frozenset(
    {"conference", "congress", "symposium", "workshop", "meeting", "colloquium"}
)
# What tells one meeting of a series from the next: its number ("50th", "thirty
# first", "sixteenth"), its year, "annual", "proceedings".
_EDITION = re.compile(
    r"^(?:\d+(?:st|nd|rd|th)?|annual|proceedings|proc|first|second|third|fourth|fifth"
    r"|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|\w+teenth|\w+tieth|hundredth"
    r"|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)$"
)
_FEWEST_MEETING_WORDS = 3


def _meeting_name(name: str) -> tuple[str, ...]:
    """A meeting's normalised name without what changes from one meeting to the next
    (its number, year, "annual", "proceedings"); () when the name is not a meeting's."""
    words = name.split()
    if not _MEETING_WORDS.intersection(words):
        return ()
    return tuple(w for w in words if not _EDITION.match(w))


@lru_cache(maxsize=65536)
def meetings_match(a: str, b: str) -> bool:
    """Two normalised venue names name one meeting, however each database writes it.

    "icis thirty first international conference information systems" and
    "international conference information systems"; "50th annual hawaii
    international conference system sciences" and "hawaii international
    conference system sciences": without the meeting's number, year and
    "proceedings", the shorter name (of at least three words, one of them
    "conference", "symposium", ...) is found word for word in the longer.
    """
    first, second = sorted((_meeting_name(a), _meeting_name(b)), key=len)
    if len(first) < _FEWEST_MEETING_WORDS or not _MEETING_WORDS.intersection(first):
        return False
    size = len(first)
    return any(second[i : i + size] == first for i in range(len(second) - size + 1))


_TRANSLITERATION = (
    (re.compile(r"ph"), "f"),
    (re.compile(r"kh"), "h"),
    (re.compile(r"[cq]"), "k"),
    (re.compile(r"[yj]"), "i"),
    (re.compile(r"x"), "ks"),
    (re.compile(r"(.)\1"), r"\1"),
)


def _transliterated(name: str) -> str:
    """One spelling for the ways of writing a name from another alphabet: "ph" and
    "f", "c" and "k", "y", "j" and "i", "x" and "ks", doubled letters ("Byulleten",
    "Biull."; "Eksp. Klin. Farmakol." for "Experimental and Clinical Pharmacology")."""
    words = []
    for word in name.split():
        for pattern, replacement in _TRANSLITERATION:
            word = pattern.sub(replacement, word)
        words.append(word)
    return " ".join(words)


def _cover(short: tuple[str, ...], full: tuple[str, ...], matched: tuple[str, ...]) -> bool:
    """Each word of `short` abbreviates the next word(s) of `full`, to the end of both,
    or of either once `matched` (the words of `short` used) holds two words of 10 letters."""
    if not short or not full:
        if not short and not full:
            return True
        return len(matched) >= 2 and len("".join(matched)) >= 10
    for taken in range(1, len(full) + 1):
        if _abbreviates_words(short[0], full[:taken]) and _cover(
            short[1:], full[taken:], (*matched, short[0])
        ):
            return True
    return False


def _abbreviates_words(short: str, words: tuple[str, ...]) -> bool:
    """`short` abbreviates each of `words` in turn: "neuropsychopharmacol" for
    "neuro psychopharmacology", but "toxicology" not for "toxicology letters"."""
    if len(words) == 1:
        return _abbreviates(short, words[0])
    return any(
        _abbreviates(short[:cut], words[0]) and _abbreviates_words(short[cut:], words[1:])
        for cut in range(1, len(short) - len(words) + 2)
    )


# --------------------------------------------------------------------------- authors

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_INITIALS = re.compile(r"^(?:[A-Z]{1,3}|[A-Z]\.?(?:-?[A-Z]\.?)*)$")
_AUTHOR_SEPARATOR = re.compile(r"\s+and\s+|;|\|")
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def _families_from_blob(value: str) -> list[str]:
    """Family names from one author string in any of the common exports.

    "Adeli K.Lewis G. F." (Ovid/EndNote), "FolzS.D.HansonB.J." (Embase without
    spaces), "Mithas, Sunil and Krishnan, M. S." (BibTeX) and "Smith J; Doe A"
    all give the family names in order. Initials are dropped; given names are
    dropped when the form shows which part is the family name.
    """
    parts = [p.strip() for p in _AUTHOR_SEPARATOR.split(value) if p.strip()]
    if len(parts) > 1 or "," in value:
        families = []
        for part in parts:
            if "," in part:
                families.append(part.split(",", 1)[0])
            else:
                words = [w for w in part.split() if not _INITIALS.match(w)]
                families.append(
                    words[-1] if words and len(words) > 1 and "." not in part else " ".join(words)
                )
        return [f for f in (text(f) for f in families) if f]
    # "Adeli K.Lewis G. F." and "FolzS.D.HansonB.J.": after splitting glued
    # capitals off, every word that is not an initial is part of a family name.
    all_caps = value.upper() == value
    words = re.split(r"[\s.,]+", _CAMEL.sub(" ", value))
    families = [w for w in words if len(w) > 1 and (all_caps or not _INITIALS.match(w))]
    names = [text(f) for f in families]
    return [n for n in names if n and n not in _NAME_SUFFIXES]


def author_families(authors: Sequence[Author]) -> tuple[str, ...]:
    """Normalised family names (group names for collectives), in order.

    Works for well-parsed authors and for importers that left a whole author
    list in one field.
    """
    found: list[str] = []
    for author in authors:
        name = author.collective or author.family
        # An importer that could not split "Adeli K.Lewis G. F." keeps it whole,
        # as a group name; real group names have no full stops.
        if "." in name or (author.collective and _CAMEL.search(name) and " " not in name):
            found.extend(_families_from_blob(name))
        elif name:
            found.append(text(name))
    return tuple(f for f in found if f)


def author_given_names(authors: Sequence[Author]) -> tuple[str, ...]:
    """The first given name (or initial) of each person, normalised; () when any is missing.

    Lets the rules notice a database that swapped given and family names
    ("Andrea, C." for "Carignani, Andrea"): one record's family names are
    then the other's given names.
    """
    found = []
    for author in authors:
        words = text(author.given).split()
        if author.collective or not words:
            return ()
        found.append(words[0])
    return tuple(found)
