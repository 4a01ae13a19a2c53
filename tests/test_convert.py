"""`review convert`: the library function and the command, run in-process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from review import formats
from review.cli import main
from review.convert import convert
from review.errors import InputError
from review.formats import detect_format, read_records


def test_several_inputs_keep_their_sources(formats_dir: Path, tmp_path: Path) -> None:
    inputs = [
        formats_dir / "ovid_medline.ris",
        formats_dir / "scopus.bib",
        formats_dir / "medline_pubmed_result2.txt",
        formats_dir / "cohen_adhd_sample.csv",
    ]
    output = tmp_path / "all.jsonl"
    result = convert(inputs, output)
    assert result.written == 2 + 2 + 4 + 4
    assert result.problems == ()
    assert result.summary == (
        f"12 records written to {output} (Ovid MEDLINE(R) ALL 2, Scopus 2, PubMed 4, "
        "cohen_adhd_sample 4); 0 problems"
    )
    records = read_records(output).records
    assert [(r.source.database, r.source.file) for r in records[::2]] == [
        ("Ovid MEDLINE(R) ALL", "ovid_medline.ris"),
        ("Scopus", "scopus.bib"),
        ("PubMed", "medline_pubmed_result2.txt"),
        ("PubMed", "medline_pubmed_result2.txt"),
        ("cohen_adhd_sample", "cohen_adhd_sample.csv"),
        ("cohen_adhd_sample", "cohen_adhd_sample.csv"),
    ]


@pytest.mark.parametrize("suffix", [".ris", ".bib", ".csv", ".nbib", ".jsonl"])
def test_every_output_format_keeps_the_database(
    formats_dir: Path, tmp_path: Path, suffix: str
) -> None:
    output = tmp_path / f"out{suffix}"
    convert([formats_dir / "scopus.ris", formats_dir / "embase.ris"], output)
    back = read_records(output).records
    # MEDLINE has no tag for the database: it is written as DB, which PubMed never uses.
    assert [r.source.database for r in back] == ["Scopus", "Scopus", "Embase"]
    assert [r.title[:20] for r in back] == [
        "Metabolism of a Krat",
        "Oxidative Metabolism",
        "Correlations of krat",
    ]


def test_database_option_names_the_source(formats_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    convert([formats_dir / "web_of_science.ris"], output, database="Web of Science")
    assert read_records(output).records[0].source.database == "Web of Science"


def test_command_prints_summary_and_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "export.ris"
    source.write_text(
        "Exported 26 Nov 2026\nTY  - JOUR\nTI  - A\nER  - \nTY  - JOUR\nTI  - B\n"
        "TY  - JOUR\nTI  - C\n",
        encoding="utf-8",
    )
    output = tmp_path / "out.csv"
    assert main(["convert", str(source), "-o", str(output)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"3 records written to {output}; 3 problems\n"
    assert captured.err.splitlines() == [
        "export.ris:1: text outside any entry (no 'TY  - ' line before it); ignored",
        "export.ris:5: entry has no ER line; it was ended at line 6",
        "export.ris:7: entry has no ER line; it was ended at the end of file",
    ]


def test_command_errors_are_one_line(
    formats_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.ris"
    assert main(["convert", str(missing), "-o", str(tmp_path / "out.ris")]) == 1
    assert capsys.readouterr().err == f"Error: {missing}: no such file; check the path\n"

    wrong = tmp_path / "out.txt"
    assert main(["convert", str(formats_dir / "zotero.ris"), "-o", str(wrong)]) == 1
    assert capsys.readouterr().err == (
        f"Error: {wrong}: cannot tell which format to write; end the name with one of "
        ".ris, .bib, .csv, .nbib, .jsonl\n"
    )
    assert not wrong.exists()

    unknown = tmp_path / "notes"
    unknown.write_text("just some words\n", encoding="utf-8")
    assert main(["convert", str(unknown), "-o", str(tmp_path / "out.ris")]) == 1
    assert capsys.readouterr().err == (
        f"Error: {unknown}: cannot tell its format; give it one of the extensions "
        ".bib, .bibtex, .csv, .jsonl, .medline, .nbib, .ris, .xls, .xlsx, .xml\n"
    )


def test_output_that_is_an_input_is_refused(formats_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "zotero.ris"
    shutil.copy(formats_dir / "zotero.ris", path)
    with pytest.raises(InputError, match=r"zotero\.ris: is also an input; write the output"):
        convert([path], path)
    assert path.read_bytes() == (formats_dir / "zotero.ris").read_bytes()


def test_format_is_sniffed_when_the_extension_says_nothing(
    formats_dir: Path, tmp_path: Path
) -> None:
    renamed = {
        "medline_pubmed_result1.txt": ("pubmed-export", "medline"),
        "zotero.ris": ("zotero.txt", "ris"),
        "zotero.bib": ("zotero-bib.txt", "bibtex"),
        "cohen_adhd_sample.csv": ("cohen.txt", "csv"),
        "web_of_science.txt": ("savedrecs.txt", "wos"),
        "medline_pubmed_result2.expected.jsonl": ("golden", "jsonl"),
    }
    for original, (name, format_name) in renamed.items():
        shutil.copy(formats_dir / original, tmp_path / name)
        assert detect_format(tmp_path / name) == format_name
        sniffed = read_records(tmp_path / name).records
        known = read_records(formats_dir / original).records
        assert [r.title for r in sniffed] == [r.title for r in known]
        assert sniffed


@pytest.mark.parametrize(
    ("name", "content", "bad_line"),
    [
        ("legacy.csv", b"ID,title\nA,Plain\nB,Caf\xe9\n", 3),
        ("legacy.ris", b"TY  - JOUR\nTI  - Plain\nER  - \nTY  - JOUR\nTI  - Caf\xe9\nER  - \n", 5),
        ("legacy.nbib", b"PMID- 1\nTI  - Plain\n\nPMID- 2\nTI  - Caf\xe9\n", 5),
        ("legacy.bib", b"@article{a, title={Plain}}\n@article{b,\n  title={Caf\xe9}}\n", 3),
        (
            "legacy.jsonl",
            b'{"id": "a", "title": "Plain"}\n{"id": "b", "title": "Caf\xe9"}\n',
            2,
        ),
    ],
)
def test_non_utf8_lines_are_reported_in_every_format(
    tmp_path: Path, name: str, content: bytes, bad_line: int
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = read_records(path)
    assert [r.title for r in result.records] == ["Plain", "Café"]
    (problem,) = result.problems
    assert (problem.file, problem.position) == (name, bad_line)
    assert problem.message.startswith("not UTF-8 (byte 0xe9 at column ")
    assert problem.message.endswith("read as Windows-1252, check this entry's accents")


@pytest.mark.shared
def test_pubmed_xml_converts_and_deletions_are_counted(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = shared_dir / "data" / "pubmed" / "kratom_records_from_pubmed21n1298.xml"
    output = tmp_path / "kratom.nbib"
    assert main(["convert", str(source), "-o", str(output)]) == 0
    assert capsys.readouterr().out == f"4 records written to {output}; 0 problems\n"
    from_xml = read_records(source).records
    back = read_records(output).records
    assert [r.pmid for r in back] == [r.pmid for r in from_xml]
    assert [r.title for r in back] == [r.title for r in from_xml]
    assert [r.doi for r in back] == [r.doi for r in from_xml]
    assert [r.mesh_descriptors for r in back] == [r.mesh_descriptors for r in from_xml]

    update = tmp_path / "update.xml"
    update.write_text(
        '<?xml version="1.0"?>\n<PubmedArticleSet>\n'
        '<DeleteCitation><PMID Version="1">111</PMID><PMID Version="1">222</PMID>'
        "</DeleteCitation>\n</PubmedArticleSet>\n",
        encoding="utf-8",
    )
    result = convert([update], tmp_path / "none.jsonl")
    assert result.deleted_pmids == ("111", "222")
    assert result.summary == (
        f"0 records written to {tmp_path / 'none.jsonl'}; 0 problems; "
        "2 PubMed deletions not written"
    )


def test_bibtex_problems_are_printed_once_in_our_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "m.bib"
    source.write_text(
        "@article{a, title={A}}\n@article{b,\n title = {Unclosed,\n@article{c, title={C}}\n",
        encoding="utf-8",
    )
    assert main(["convert", str(source), "-o", str(tmp_path / "m.ris")]) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        "m.bib:2: entry cannot be read: Unexpected block start: `@article`. "
        "Was still looking for field-value closing `}`; skipped\n"
    )


def test_output_folder_that_does_not_exist_is_one_line(
    formats_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "missing" / "out.ris"
    assert main(["convert", str(formats_dir / "zotero.ris"), "-o", str(output)]) == 1
    assert capsys.readouterr().err == (
        f"Error: {output}: cannot be written (No such file or directory)\n"
    )


def test_a_write_that_fails_half_way_leaves_the_earlier_output_whole(
    formats_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "out.ris"
    output.write_text("an earlier conversion\n", encoding="utf-8")

    def failing_writer(records: object, path: Path) -> int:
        path.write_text("TY  - JOUR\n", encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(formats, "writer_for", lambda _name: failing_writer)
    with pytest.raises(InputError, match=r"cannot be written \(No space left on device\)"):
        convert([formats_dir / "zotero.ris"], output)
    assert output.read_text(encoding="utf-8") == "an earlier conversion\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ris"]
