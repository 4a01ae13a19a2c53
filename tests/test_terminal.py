"""Text from records, files and servers cannot steer the terminal it is printed on."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review.cli import main
from review.protocol import Criteria
from review.records import AbstractSection, Record, Source
from review.screen import screen_records
from review.screener import ScriptedKeys, console_for_terminal, run_screener
from review.terminal import printable

REPO = Path(__file__).resolve().parent.parent
# Clear the screen, set the window title, turn the text red; an 8-bit CSI; a
# right-to-left override that would show "txt.exe" as "exe.txt".
EVIL = "Kratom \x1b[2J\x1b]0;pwned\x07 withdrawal \x1b[31mred \x9b2J \u202eexe.txt"
STEERING = ("\x1b", "\x07", "\x9b", "\u202e")


def test_printable_keeps_the_text_and_drops_what_steers() -> None:
    assert printable(EVIL) == "Kratom [2J]0;pwned withdrawal [31mred 2J exe.txt"
    assert printable("tab\tnew\nline, café, 日本, ✓") == "tab\tnew\nline, café, 日本, ✓"


@given(st.text())
def test_printable_leaves_no_control_character(text: str) -> None:
    shown = printable(text)
    assert all(c in "\t\n" or (c.isprintable() or not _is_control(c)) for c in shown)
    assert printable(shown) == shown


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0 or 0x202A <= code <= 0x202E


def test_record_text_printed_by_a_command_cannot_steer_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evil = tmp_path / "evil.ris"
    evil.write_text(f"TY  - JOUR\nID  - r1\nTI  - {EVIL}\nPY  - 2020\nER  - \n", encoding="utf-8")
    protocol = REPO / "queries" / "kratom.toml"
    assert main(["explain", str(protocol), "r1", "--records", str(evil)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("r1: Kratom [2J]0;pwned withdrawal [31mred 2J exe.txt\n")
    assert not any(c in out for c in STEERING)


def test_error_messages_cannot_steer_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    named = tmp_path / "p\x1b]0;pwned\x07.toml"
    assert main(["search", str(named)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "no such protocol file" in err
    assert "p]0;pwned.toml" in err
    assert not any(c in err for c in STEERING)


def test_the_screener_shows_record_text_without_its_escape_sequences(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from review.decisions import DecisionStore

    screen = io.StringIO()
    monkeypatch.setattr(sys, "stdout", screen)  # what console_for_terminal draws on
    record = Record(
        id="r\x1b[2J1",
        source=Source("PubMed"),
        title=EVIL,
        abstract=(AbstractSection(EVIL),),
        journal=EVIL,
        year=2020,
    )
    criteria = Criteria(exclude_retracted=False)
    rules = screen_records([record], criteria)
    with DecisionStore(tmp_path / "t.decisions.sqlite", []) as store:
        run_screener(
            [record], rules, criteria, store, "ann", "title-abstract",
            ScriptedKeys("q"), console_for_terminal(),
        )  # fmt: skip
    shown = screen.getvalue()
    assert "Kratom [2J]0;pwned withdrawal [31mred" in shown
    assert not any(c in shown for c in STEERING)


def test_the_progress_bar_keeps_its_own_escape_sequences() -> None:
    """Rich's styling reaches the terminal: a console writes to the stream behind the filter."""
    from review.terminal import PrintableStream, console

    real = io.StringIO()
    made = console(file=PrintableStream(real), force_terminal=True, color_system="standard")  # type: ignore[arg-type]
    made.print(f"[bold]{EVIL}[/bold]")
    shown = real.getvalue()
    assert "\x1b[1m" in shown  # rich's bold
    assert "\x1b[2J" not in shown and "\x07" not in shown and "\u202e" not in shown
