"""The normalisers behind deduplication, on spellings taken from the benchmark sets."""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from review import normalise
from review.records import Author

# --------------------------------------------------------------------------- text and titles


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Effects of GLP-1 on Ca<sup>2+</sup> handling", "effects of glp 1 on ca2 handling"),
        ("K<inf>Ca</inf>3.1 channels", "kca3 1 channels"),
        ("β-blockers in Crohn's disease", "beta blockers in crohns disease"),
        ("&quot;Quoted&quot; &amp; escaped", "quoted escaped"),
        ("Castañeda Gödel", "castaneda godel"),
        ("Greenfield J. P.CastaÃ±eda Heredia A.", "greenfield j p castaneda heredia a"),
        ("NN-dimethyl-2-(2<U+0391>-amino", "nn dimethyl 2 2alpha amino"),
    ],
)
def test_text_removes_markup_case_accents_and_punctuation(raw: str, expected: str) -> None:
    assert normalise.text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # stroke id_0000272
        (
            "Robot-assisted modifications of gait in healthy individuals.[Erratum appears in "
            "Exp Brain Res. 2010 May;202(4):1001]",
            "robot assisted modifications of gait in healthy individuals",
        ),
        # cytology_screening id_0001159
        (
            "Colposcopy to evaluate abnormal cervical cytology in 2008. [Review] [57 refs]",
            "colposcopy to evaluate abnormal cervical cytology in 2008",
        ),
        # cardiac id_0008979
        (
            "Myocardial metabolism during ischemia. Czech\nMetabolismus myokardu pri ischemii",
            "myocardial metabolism during ischemia",
        ),
        (
            "[Insomnia after an infarction? A Quebec team contributes]",
            "insomnia after an infarction a quebec team contributes",
        ),
        ("RETRACTED: Effect of X on Y", "effect of x on y"),
        ("#NAME?", ""),
        # MEDLINE's mark of an author's English title (depression id_0009970)
        (
            "[Central depressive action of propranolol (author's transl)]",
            "central depressive action of propranolol",
        ),
        ("Toxicity of hydrogen sulfide (authors' transl).", "toxicity of hydrogen sulfide"),
        # an editor's insertion in a quoted title is no note (depression id_0036809)
        (
            '"I am not [just] a rabbit who has a bunch of children!": Agency',
            "i am not just a rabbit who has a bunch of children agency",
        ),
        ("Kratom use in Malaysia [German]", "kratom use in malaysia"),
    ],
)
def test_title_drops_database_notes_and_translation_marks(raw: str, expected: str) -> None:
    assert normalise.title(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # digital_work id_2005871 and id_0001748: titles in other scripts keep their letters
        (
            "Гендер как дискриминирующий признак профессиональной успешности",
            "гендер как дискриминирующии признак профессиональнои успешности",
        ),
        (
            "零工工作者感知算法控制： 概念化、测量与服务绩效影响验证.",
            "零工工作者感知算法控制 概念化 测量与服务绩效影响验证",
        ),
        # mostly Latin: Greek letters become their names as before
        (
            "Effect of β-blockers on μ-opioid receptors",
            "effect of beta blockers on mu opioid receptors",
        ),
    ],
)
def test_title_in_another_script_keeps_its_letters(raw: str, expected: str) -> None:
    assert normalise.title(raw) == expected


@pytest.mark.parametrize(
    ("raw", "numbers"),
    [
        ("Symposium part II: the Bethesda system", "2"),
        ("Type 2 diabetes", "2"),
        ("Type II diabetes", "2"),
        ("Mecp2 1lox mice", "21"),
        ("Mecp21lox mice", "21"),
        ("Review of the literature (2014-2017)", "20142017"),
        ("No numbers here", ""),
    ],
)
def test_title_numbers(raw: str, numbers: str) -> None:
    assert normalise.title_numbers(normalise.title(raw)) == numbers


@pytest.mark.parametrize(
    ("raw", "kind", "about"),
    [
        ("Erratum: Foo bar", "erratum", "foo bar"),
        ("[Erratum to: Foo bar]", "erratum", "foo bar"),
        ("Correction to: Foo bar", "erratum", "foo bar"),
        ("Notice of Retraction: Foo bar", "retraction", "foo bar"),
        ("Comment on: Foo bar", "comment", "foo bar"),
        ("Reply to the letter by Smith", "reply", "by smith"),
        # depression id_0004544
        (
            "Antidepressant effects of botulinum toxin A: scientific rationale; author response",
            "reply",
            "",
        ),
        ("Correction of scoliosis in adolescents", "", ""),
        ("Retraction of the gingiva after surgery", "", ""),
        ("Response to treatment in depression", "", ""),
    ],
)
def test_notice_kind_needs_the_separator_that_makes_a_notice(
    raw: str, kind: str, about: str
) -> None:
    assert normalise.notice_kind(raw) == kind
    if kind and about:
        assert normalise.strip_notice_prefix(raw) == about


# --------------------------------------------------------------------------- identifiers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://dx.doi.org/10.1097/MOL.0b013e3282ffaf82", "10.1097/mol.0b013e3282ffaf82"),
        ("https://doi.org/10.1038%2fonc.2016.199", "10.1038/onc.2016.199"),
        ("doi:10.1000/ABC.", "10.1000/abc"),
        (
            "S0278-5846(09)00007-4 [pii];10.1016/j.pnpbp.2009.01.006 [doi]",
            "10.1016/j.pnpbp.2009.01.006",
        ),
        (
            "10.1002/(SICI)1096-8628(19970221)74:1&lt;73::AID-AJMG15&gt;3.0.CO;2-P",
            "10.1002/(sici)1096-8628(19970221)74:1<73::aid-ajmg15>3.0.co;2-p",
        ),
        ("S0006-8993(97)00738-5 [pii]", ""),
        ("", ""),
    ],
)
def test_doi(raw: str, expected: str) -> None:
    assert normalise.doi(raw) == expected


_DOI_SUFFIX = st.builds(
    str.__add__,
    st.sampled_from(string.ascii_letters + string.digits),
    st.text(alphabet=string.ascii_letters + string.digits + "./-_()"),
)


@given(registrant=st.integers(1000, 99999), suffix=_DOI_SUFFIX)
def test_doi_ignores_resolver_prefix_case_and_trailing_punctuation(
    registrant: int, suffix: str
) -> None:
    bare = normalise.doi(f"10.{registrant}/{suffix}")
    for dressed in (
        f"https://doi.org/10.{registrant}/{suffix}",
        f"doi:10.{registrant}/{suffix.upper()}.",
        f"DOI: 10.{registrant}/{suffix},",
    ):
        assert normalise.doi(dressed) == bare.rstrip(".,;:)]}>'\"")
    assert normalise.doi(bare) == bare


def test_pmid_from_url() -> None:
    assert normalise.pmid_from_url("https://www.ncbi.nlm.nih.gov/pubmed/18460911") == "18460911"
    assert normalise.pmid_from_url("https://insights.ovid.com/pubmed?pmid=20838208") == "20838208"
    assert normalise.pmid_from_url("http://ovidsp.ovid.com/ovidweb.cgi?T=JS") == ""


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("139-54", ("139", "154")),
        ("139-154", ("139", "154")),
        ("221-8", ("221", "228")),
        ("295--313", ("295", "313")),
        ("01-Oct", ("1", "10")),  # a spreadsheet's date for pages 1-10
        ("Oct-17", ("10", "17")),
        ("S12-S13", ("s12", "s13")),
        ("C151-6", ("c151", "c156")),  # lettered pages abbreviated (cardiac id_0002794)
        ("S12-14", ("s12", "s14")),
        ("C151-12", ("", "")),  # inverted
        ("S4-76-S4-101", ("s76", "s101")),  # supplement 4's pages S76-S101 (cardiac id_0006712)
        ("II-387-II-390", ("ii387", "ii390")),
        ("e1234", ("e1234", "")),
        ("iii--xi", ("iii", "xi")),
        ("43\u201058", ("43", "58")),  # U+2010 HYPHEN, as Cochrane's CENTRAL writes it
        ("43\u221258", ("43", "58")),  # U+2212 MINUS SIGN
        ("1279\u20131297", ("1279", "1297")),  # en dash
        ("December", ("", "")),
        ("May", ("", "")),  # the month of publication, not page 5
        ("20100529/0604", ("", "")),
        ("215 p", ("", "")),  # a thesis's extent (stroke id_0000010), not its first page
        ("xii, 215 pp.", ("", "")),
        ("215", ("215", "")),
        ("360P", ("360p", "")),
        ("362-265", ("", "")),  # inverted: one page is mistyped (depression id_0076656)
        ("88-7", ("", "")),  # a proceedings page (Br J Pharmacol), not an extent
        ("", ("", "")),
    ],
)
def test_page_range(raw: str, expected: tuple[str, str]) -> None:
    assert normalise.page_range(raw) == expected


@given(first=st.integers(1, 99999), length=st.integers(0, 500))
def test_abbreviated_last_page_equals_full(first: int, length: int) -> None:
    """ "139-54" is "139-154": the last page may drop the digits it shares with the first."""
    full_first, full_last = str(first), str(first + length)
    assume(len(full_first) == len(full_last))
    shared = len(full_first) - len(full_first.lstrip("0"))  # no leading zeros; stays 0
    while shared < len(full_first) - 1 and full_first[shared] == full_last[shared]:
        shared += 1
    abbreviated = f"{full_first}-{full_last[shared:]}"
    assert normalise.page_range(abbreviated) == (full_first, full_last)
    assert normalise.page_range(f"{full_first}-{full_last}") == (full_first, full_last)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("24", "24"),
        ("24 Suppl 1", "24"),
        ("vol. 7", "7"),
        ("1)", ""),  # the remnant of "(Supplement 1)"
        ("A)", ""),
        ("Ph.D.", ""),
        ("(Jul)", ""),
        ("Sechenova / Rossiiskaia akademiia nauk. 95", "95"),
    ],
)
def test_volume(raw: str, expected: str) -> None:
    assert normalise.volume(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("4", "4"), ("01-Feb", "1-2"), ("Suppl 2", ""), ("var.pagings", ""), ("", "")],
)
def test_issue(raw: str, expected: str) -> None:
    assert normalise.issue(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SUPPL. 3", "3"),  # real issue fields (diabetes set, Embase)
        ("S3", "3"),
        ("76 Suppl 4", "4"),
        ("Supplement 01", "1"),
        ("3", ""),
        ("Sep", ""),
        ("", ""),
    ],
)
def test_supplement(raw: str, expected: str) -> None:
    assert normalise.supplement(raw) == expected


def test_citation_in_journal_reads_embase_style() -> None:
    cited = normalise.citation_in_journal(
        "Behavioral Neuroscience.124 (2) ()(pp 211-224) 2010.Date of Publication: April 2010"
    )
    assert cited == ("124", "2", "211-224")
    assert normalise.citation_in_journal("Brain Res.") == ("", "", "")
    # depression id_0079437: an online journal without pages
    no_pages = "DARU Journal of Pharmaceutical Sciences.21 (1) (no pagination) 2013."
    assert normalise.citation_in_journal(no_pages) == ("21", "1", "")
    # depression id_0045496: no issue
    no_issue = "Journal of Affective Disorders.190 ()(pp 241-248) 2016.Date of Publication: 2016"
    assert normalise.citation_in_journal(no_issue) == ("190", "", "241-248")
    # depression id_0032983: a meeting's abstract; the supplement is not named
    meeting = (
        "European Neuropsychopharmacology.Conference: 24th Congress of the European College"
        " of Neuropsychopharmacology ECNP 2011 Paris France.Conference Start: 20110903"
        " Conference End: 20110907.Conference Publication: (var.pagings).21 ()(pp S190) 2011."
    )
    assert normalise.citation_in_journal(meeting) == ("", "", "")


# --------------------------------------------------------------------------- journals


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Curr Opin Lipidol", "Current Opinion in Lipidology"),
        ("J Am Coll Cardiol", "Journal of the American College of Cardiology"),
        (
            "Proc Natl Acad Sci U S A",
            "Proceedings of the National Academy of Sciences of the United States of America",
        ),
        (
            "Prog.Neuropsychopharmacol.Biol.Psychiatr",
            "Progress in Neuro-Psychopharmacology and Biological Psychiatry",
        ),
        ("BMJ", "BMJ (Clinical research ed.)"),
        ("Epilepsy and behavior : E&B.34 ()(pp 9-14) 2014", "Epilepsy and Behavior"),
        # Embase's citation without a volume starts with the date (depression id_0030061)
        (
            "Frontiers in Behavioral Neuroscience.(MARCH 2012) (no pagination) 2012",
            "Frontiers in Behavioral Neuroscience.(FEBRUARY 2012) (no pagination) 2012",
        ),
    ],
)
def test_journals_match_abbreviations(a: str, b: str) -> None:
    na, nb = normalise.journal(a), normalise.journal(b)
    assert normalise.journals_match(na, nb)
    assert normalise.journals_match(nb, na)


@pytest.mark.parametrize(
    ("a", "b"),
    [("Circulation", "J Am Heart Assoc"), ("Heart", "Stroke"), ("Lancet", "")],
)
def test_journals_that_differ(a: str, b: str) -> None:
    assert not normalise.journals_match(normalise.journal(a), normalise.journal(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "ICIS - Thirty First International Conference on Information Systems",
            "International Conference on Information Systems",
        ),
        (
            "50Th Annual Hawaii International Conference On System Sciences",
            "Hawaii International Conference on System Sciences",
        ),
        (
            "PROCEEDINGS OF THE SIXTEENTH SYMPOSIUM ON USABLE PRIVACY AND SECURITY",
            "Symposium on Usable Privacy and Security, SOUPS",
        ),
        (
            "2007 International Conference on Service Systems and Service Management",
            "INTERNATIONAL CONFERENCE ON SERVICE SYSTEMS AND SERVICE MANAGEMENT",
        ),
    ],
)
def test_one_meeting_named_by_two_databases(a: str, b: str) -> None:
    na, nb = normalise.journal(a), normalise.journal(b)
    assert not normalise.journals_match(na, nb)
    assert normalise.meetings_match(na, nb)
    assert normalise.meetings_match(nb, na)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # another meeting
        (
            "European Conference on Information Systems",
            "International Conference on Information Systems",
        ),
        # too little of a name to tell one meeting from another
        ("Annual Conference", "50th Annual Conference of the Society for Neuroscience"),
        # journals, not meetings
        ("Information Systems", "Journal of Information Systems Research"),
    ],
)
def test_other_meetings_and_journals_are_not_one_meeting(a: str, b: str) -> None:
    assert not normalise.meetings_match(normalise.journal(a), normalise.journal(b))


# --------------------------------------------------------------------------- authors


@pytest.mark.parametrize(
    ("authors", "families"),
    [
        ((Author(collective="Przyklenk K.Kloner R. A."),), ("przyklenk", "kloner")),
        ((Author(collective="Adeli K.Lewis G. F."),), ("adeli", "lewis")),
        ((Author(collective="FolzS.D.HansonB.J.GriffinA.K."),), ("folz", "hanson", "griffin")),
        (
            (Author(family="Mithas", given="Sunil"), Author(family="Krishnan", initials="MS")),
            ("mithas", "krishnan"),
        ),
        ((Author(family="Müller", initials="K"),), ("muller",)),
        ((Author(collective="ALTS Group"),), ("alts group",)),
    ],
)
def test_author_families(authors: tuple[Author, ...], families: tuple[str, ...]) -> None:
    assert normalise.author_families(authors) == families


def test_author_given_names() -> None:
    # digital_work id_2006605: a database that put the given name in the family field
    swapped = (Author(family="Andrea", given="C."), Author(family="Lorenzo", given="N."))
    assert normalise.author_given_names(swapped) == ("c", "n")
    right = (Author(family="Carignani", given="Andrea"), Author(family="Negri", given="Lorenzo"))
    assert normalise.author_given_names(right) == ("andrea", "lorenzo")
    # one author without a given name, or a group: nothing to compare
    assert normalise.author_given_names((*right, Author(family="Smith"))) == ()
    assert normalise.author_given_names((Author(collective="ALTS Group"),)) == ()


# --------------------------------------------------------------------------- properties

_WORDY = st.text(alphabet=string.ascii_letters + string.digits + " .,:;-()[]'\"?!/", max_size=80)


@given(_WORDY)
def test_text_is_idempotent(value: str) -> None:
    once = normalise.text(value)
    assert normalise.text(once) == once


@given(_WORDY)
def test_text_ignores_case(value: str) -> None:
    assert normalise.text(value.upper()) == normalise.text(value.lower())


@given(st.lists(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8), min_size=1))
def test_text_ignores_punctuation_between_words(words: list[str]) -> None:
    assert normalise.text(" ".join(words)) == normalise.text(": ".join(words) + ".")


@pytest.mark.parametrize("value", ["0:000", "1:000", "0:000a", "a0:000", "10 000 women", "1,000"])
def test_title_of_numbers_is_idempotent(value: str) -> None:
    """ "1:000" gives "1 000", which read again is the thousands "1000"."""
    once = normalise.title(value)
    assert normalise.title(once) == once


@given(_WORDY)
def test_title_is_idempotent(value: str) -> None:
    once = normalise.title(value)
    assert normalise.title(once) == once


@given(st.text(max_size=60))
def test_normalisers_never_fail(value: str) -> None:
    normalise.title(value)
    normalise.journal(value)
    normalise.page_range(value)
    normalise.volume(value)
    normalise.issue(value)
    normalise.supplement(value)
    normalise.doi(value)
    normalise.notice_kind(value)
    normalise.author_families((Author(collective=value),))


@given(st.text(alphabet=string.ascii_lowercase + " ", max_size=40))
def test_journals_match_is_reflexive_and_symmetric(value: str) -> None:
    name = normalise.journal(value)
    other = normalise.journal("journal of " + value)
    if name:
        assert normalise.journals_match(name, name)
    assert normalise.journals_match(name, other) == normalise.journals_match(other, name)


@given(st.text(max_size=30), st.data())
def test_characters_picked_in_order_are_a_subsequence(full: str, data: st.DataObject) -> None:
    keep = data.draw(st.lists(st.booleans(), min_size=len(full), max_size=len(full)))
    picked = "".join(c for c, kept in zip(full, keep, strict=True) if kept)
    assert normalise.is_subsequence(picked, full)
    assert not normalise.is_subsequence(picked + "\x00", full.replace("\x00", ""))


def test_subsequence_respects_order() -> None:
    assert normalise.is_subsequence("jbc", "journal of biological chemistry")
    assert not normalise.is_subsequence("cbj", "journal of biological chemistry")
    assert normalise.is_subsequence("", "")


# Titles of at least 10 characters: a shorter one keeps what follows (see _drop_title_notes).
_TITLE_WORDS = st.lists(
    st.text(alphabet=string.ascii_letters + string.digits + "-'", min_size=4, max_size=10),
    min_size=3,
    max_size=12,
).map(" ".join)


@pytest.mark.parametrize("note", [" (Structured abstract)", ". (Provisional abstract)"])
def test_a_crd_summary_note_is_not_part_of_the_title(note: str) -> None:
    # cytology_screening id_0001166 and id_0001167
    plain = "Posttreatment human papillomavirus testing: a systematic review"
    assert normalise.title(plain + note) == normalise.title(plain)


@given(_TITLE_WORDS, st.sampled_from(["", ".", ". [Review] [33 refs]", " [Article in German]"]))
def test_a_title_wholly_in_brackets_equals_the_title(words: str, note: str) -> None:
    # MEDLINE's translated titles "[Title]", also around the record's own notes
    plain = normalise.title(words)
    assert normalise.title(f"[{words}{note}]") == plain
    assert normalise.title(f"[{words}{note}].") == plain
    assert normalise.title(f"{words}{note}") == plain


def test_brackets_inside_a_title_stay_words() -> None:
    assert normalise.title("[A] study of [B] in rats") == "a study of b in rats"
    assert normalise.title("[Effect of X] and [Y]") == "effect of x and y"


@given(st.integers(1000, 999_999_999))
def test_thousands_written_with_spaces_or_commas_are_one_number(n: int) -> None:
    spaced = f"{n:,}".replace(",", " ")
    expected = normalise.title(f"among {n} women")
    assert normalise.title(f"among {spaced} women") == expected
    assert normalise.title(f"among {n:,} women") == expected
    assert normalise.title_numbers(expected) == str(n)


# ------------------------------------------------------------------- labels, ISSNs, languages

_LABELS = st.sampled_from(["[3H]", "[35S]", "[(18)F]", "[11C]", "[125I]", "[2,1]"])


@given(_TITLE_WORDS, st.data())
def test_a_label_in_brackets_counts_as_embases_title_without_it(
    words: str, data: st.DataObject
) -> None:
    """Embase drops "[3H]" with its brackets and the space before it ("brainepibatidine"
    for "brain [3H]epibatidine"): without spaces, the two titles are one."""
    split = words.split(" ")
    at = data.draw(st.integers(1, len(split) - 1))
    label = data.draw(_LABELS)
    labelled = " ".join(split[:at]) + f" {label}" + " ".join(split[at:])
    embase = " ".join(split[:at]) + " ".join(split[at:])
    assert normalise.title(labelled).replace(" ", "") == normalise.title(embase).replace(" ", "")


def test_a_translation_and_words_in_brackets_stay() -> None:
    assert normalise.title("[2 new GABA-ergics]") == "2 new gaba ergics"
    assert normalise.title("The 5-HT[1A] receptor") == "the 5 ht receptor"


def _issn(seven: str) -> str:
    total = sum(int(d) * w for d, w in zip(seven, range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return seven + ("X" if check == 10 else str(check))


@given(st.text(alphabet=string.digits, min_size=7, max_size=7), st.booleans())
def test_issns_are_found_with_their_check_digit(seven: str, hyphen: bool) -> None:
    issn = _issn(seven)
    written = f"{issn[:4]}-{issn[4:]}" if hyphen else issn
    assert normalise.issns(f"{written} (Print)\n{written} (Linking)") == {issn}
    wrong = issn[:7] + ("0" if issn[7] != "0" else "1")
    assert normalise.issns(wrong) == set()


def test_isbns_and_other_numbers_are_not_issns() -> None:
    assert normalise.issns("978-1-4673-2975-0") == set()
    assert normalise.issns("1524-4571 (Electronic)\n0009-7330 (Linking)") == {
        "15244571",
        "00097330",
    }
    assert normalise.issns("0195-668x") == {"0195668X"}


@pytest.mark.parametrize(
    ("raw", "translation", "original"),
    [
        ("[Use of valpromide in psychiatric therapeutics]", True, ""),
        ("[Title. [Review] [42 refs]]", True, ""),
        (
            "Altitude exposure induces hypoxic preconditioning. German\nHohenexposition induziert",
            True,
            "hohenexposition induziert",
        ),
        ("Are all HMG-CoA reductase inhibitors protective?. Japanese", True, ""),
        ("The use of Valpromide in psychiatry", False, ""),
        ("[A] study of [B] in rats", False, ""),
    ],
)
def test_translations_and_their_originals(raw: str, translation: bool, original: str) -> None:
    assert normalise.is_translation(raw) is translation
    assert normalise.original_title(raw) == original


@pytest.mark.parametrize(
    ("raw", "language"),
    [
        ("Platform economy and crowdworking as challenges for the german model", "en"),
        ("Plattformökonomie und Crowdworking als Herausforderungen für das Modell", "other"),
        ("Review-Artikel: Zum aktuellen Stand des Plattformkapitalismus", "other"),
        ("Étude de la dépression chez les adolescents et les adultes", "other"),
        ("Depression in adolescents", ""),  # too few function words to tell
        ("Crowdwork in der Praxis of the future", ""),  # both kinds: no call
    ],
)
def test_title_language(raw: str, language: str) -> None:
    assert normalise.title_language(normalise.title(raw)) == language


# --------------------------------------------------------------------------- spreadsheet errors

_ERRORS = ("#NAME?", "#VALUE!", "#REF!", "#N/A", "#DIV/0!", "#NUM!", "#NULL!", "#WERT!", "#NOM?")


@pytest.mark.parametrize("value", _ERRORS)
def test_a_spreadsheet_error_is_a_missing_title(value: str) -> None:
    assert normalise.spreadsheet_error(f" {value} ")
    assert normalise.title(value) == ""


@pytest.mark.parametrize(
    "value",
    [
        "#N/A [pii];10.1186/1750-1172-5-1",  # an Ovid DOI field: the DOI is still there
        "#MeToo on Twitter",
        "NAME?",
        "",
    ],
)
def test_text_around_an_error_sign_is_no_error(value: str) -> None:
    assert not normalise.spreadsheet_error(value)


@given(st.text(max_size=40))
def test_only_a_whole_error_value_is_an_error(value: str) -> None:
    """An error value is one short word with "#"; text around one makes it no error."""
    if normalise.spreadsheet_error(value):
        assert value.strip().startswith("#")
        assert " " not in value.strip()
    for error in _ERRORS:
        assert not normalise.spreadsheet_error(error + " x" + value)
        assert not normalise.spreadsheet_error(value + "x " + error)


# --------------------------------------------------------------------------- spelling


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("tumour behaviour in paediatric oedema", "tumor behavior in pediatric edema"),
        (
            "the political gig economy platformed work and labour",
            "the political gig economy platformed work and labor",
        ),
        ("haemorrhage and diarrhoea after anaesthesia", "hemorrhage and diarrhea after anesthesia"),
        ("randomised trial of organisation", "randomized trial of organization"),
        ("modelling labelled signalling", "modeling labeled signaling"),
        ("centre fibre catalogue", "center fiber catalog"),
        ("analysed ageing programme", "analyzed aging program"),
        ("behavioural sulphur foetal oestrogen", "behavioral sulfur fetal estrogen"),
    ],
)
def test_british_and_american_spellings_agree(british: str, american: str) -> None:
    assert normalise.us_spelling(british) == normalise.us_spelling(american)


@pytest.mark.parametrize(("one", "other"), [("four", "for"), ("hour", "her"), ("filled", "filed")])
def test_spelling_keeps_short_words_apart(one: str, other: str) -> None:
    assert normalise.us_spelling(one) != normalise.us_spelling(other)


@given(st.lists(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=12), max_size=8))
def test_spelling_changes_words_not_their_number(words: list[str]) -> None:
    spelled = normalise.us_spelling(" ".join(words)).split()
    assert len(spelled) == len(words)
    assert all(w and w.isascii() and w.isalpha() for w in spelled)


@pytest.mark.parametrize(
    ("raw", "section"),
    [
        ("Editor's Comments", True),
        ("Guest Editorial", True),
        ("Letter to the Editor", True),
        ("From the Editor", True),
        ("Senior Editor Perspectives", True),
        ("Notes on depression in primates", False),
        ("The introduction of a new drug", False),
        ("Special issue", False),
        ("", False),
    ],
)
def test_is_section_title(raw: str, section: bool) -> None:
    assert normalise.is_section_title(normalise.title(raw)) is section
