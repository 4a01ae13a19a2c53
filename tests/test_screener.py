"""The terminal screener: driven through its key source, and once through a real terminal."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.console import Console

from review.decisions import DecisionStore
from review.errors import DecisionError
from review.protocol import Concept, Criteria, YearRange, load_protocol
from review.rank import Ranking, RecordRanker
from review.records import AbstractSection, Author, MeshHeading, Record, Source
from review.screen import Decision, screen_records
from review.screener import ScriptedKeys, run_screener, screening_queue

REPO = Path(__file__).resolve().parent.parent
TOPIC = Concept("kratom", "not-kratom", ("kratom", "mitragyn*"), ("title", "abstract"))
# rules_include false: the rules leave every record below to people.
CRITERIA = Criteria(
    concepts=(TOPIC,),
    reasons=(("not-kratom", "Not about kratom"),),
    rules_include=False,
    exclude_retracted=False,
)


def record(rid: str, title: str, text: str = "") -> Record:
    return Record(
        id=rid,
        source=Source("PubMed"),
        title=title,
        abstract=(AbstractSection(text),) if text else (),
        authors=(Author("Grundmann", "Oliver", "O"), Author("Smith", "Kirsten E", "KE")),
        journal="Drug and alcohol dependence",
        year=2017,
        pmid=rid,
        mesh=(MeshHeading("Humans"),),
    )


# Titles in the style of real kratom records.
RECORDS = [
    record("28476432", "Internet survey of kratom use, motives and withdrawal"),
    record("31040193", "Kratom use and mental health: a systematic review"),
    record("32156632", "Mitragynine pharmacokinetics in humans"),
    record("33342583", "Management of Kratom Withdrawal With Gabapentin"),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DecisionStore]:
    with DecisionStore(tmp_path / "t.decisions.sqlite", ["not-kratom"]) as opened:
        yield opened


def session(
    store: DecisionStore,
    keys: str,
    reviewer: str = "ann",
    stage: str = "title-abstract",
    records: tuple[Record, ...] = (),
) -> tuple[str, list[Record]]:
    rules = screen_records(RECORDS, CRITERIA)
    queue = screening_queue(RECORDS, rules, store, reviewer, stage)  # type: ignore[arg-type]
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False, color_system=None)
    run_screener(
        queue,
        rules,
        CRITERIA,
        store,
        reviewer,
        stage,  # type: ignore[arg-type]
        ScriptedKeys(keys),
        console,
        records,
    )
    return out.getvalue(), queue


def outcomes(store: DecisionStore) -> list[tuple[str, str, str]]:
    return [(d.record_id, d.outcome, d.reason) for d in store.current()]


def test_keys_include_exclude_with_reason_unsure_skip_and_quit(store: DecisionStore) -> None:
    text, queue = session(store, "ie1sq")
    assert len(queue) == 4
    assert outcomes(store) == [("28476432", "include", ""), ("31040193", "exclude", "not-kratom")]
    assert "Saved: 28476432 include." in text
    assert "[1] not-kratom: Not about kratom" in text
    assert "Skipped 32156632; it comes back after the rest of your queue (not saved)." in text
    assert "record 1 of 4 · 0 decided, 4 to go" in text
    assert "record 3 of 4 · 2 decided, 2 to go" in text
    assert "Grundmann O, Smith KE · Drug and alcohol dependence · 2017 · PMID 28476432" in text
    assert "2 decided this session, 2 left for ann at title-abstract" in text


def test_resume_shows_only_undecided_records_and_skipped_ones_come_back(
    store: DecisionStore,
) -> None:
    session(store, "iesu")  # s and u are no reasons; the keys run out, so e is cancelled
    assert outcomes(store) == [("28476432", "include", "")]
    _, queue = session(store, "q")
    assert [r.id for r in queue] == ["31040193", "32156632", "33342583"]
    session(store, "u")
    rules = screen_records(RECORDS, CRITERIA)
    again = screening_queue(RECORDS, rules, store, "ann", "title-abstract", unsure_again=True)
    assert [r.id for r in again] == ["31040193", "32156632", "33342583"]
    later = screening_queue(RECORDS, rules, store, "ann", "title-abstract")
    assert [r.id for r in later] == ["32156632", "33342583"]


def test_undo_goes_back_and_redecides(store: DecisionStore) -> None:
    text, _ = session(store, "iuzzie1q")
    assert "Undone: 31040193 needs-human." in text
    assert "Undone: 28476432 include." in text
    assert outcomes(store) == [("28476432", "include", ""), ("31040193", "exclude", "not-kratom")]
    # Undo in a new session takes back the last stored decision and shows its record again.
    text, _ = session(store, "zi", records=tuple(RECORDS))
    assert "Undone: 31040193 exclude." in text
    assert outcomes(store) == [("28476432", "include", ""), ("31040193", "include", "")]
    text, _ = session(store, "z")  # without the records the undone one cannot be shown
    assert "31040193 is not among the records screened now." in text


def test_cancelled_exclusion_and_unknown_keys_store_nothing(store: DecisionStore) -> None:
    text, _ = session(store, "e9qxq")
    assert "Key '9' is not a reason" in text
    assert "Exclusion cancelled." in text
    assert "Key 'x' does nothing here; press one of the keys listed above." in text
    assert outcomes(store) == []


def test_two_reviewers_each_see_their_own_queue(store: DecisionStore) -> None:
    session(store, "ii", reviewer="ann")
    _, queue = session(store, "e1", reviewer="bob")
    assert len(queue) == 4
    assert [c.record_id for c in store.conflicts()] == ["28476432"]


def fill_the_disk(store: DecisionStore) -> int:
    """Let the file grow no more and fill its last free space, as a full disk leaves it."""
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")
    for filled in range(10_000):  # a page holds at most a few hundred of these rows
        try:
            store.add(Decision("x", "title-abstract", "include", by="b"))  # the smallest row
        except DecisionError:
            return filled
    raise AssertionError("the disk never filled up")


def test_a_full_disk_or_a_long_lock_at_the_first_key_is_said_and_nothing_is_lost(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.decisions.sqlite"
    with DecisionStore(path, ["not-kratom"], timeout_s=0.05) as store:
        other = sqlite3.connect(path, isolation_level=None)  # another screener, mid-write
        other.execute("BEGIN IMMEDIATE")
        shown = " ".join(session(store, "iq")[0].split())  # as one line, unwrapped
        assert "Not saved: " in shown and "(database is locked); try again when" in shown
        other.execute("ROLLBACK")
        other.close()
        assert outcomes(store) == []
        filled = fill_the_disk(store)
        shown = " ".join(session(store, "iq")[0].split())
        assert "Not saved: " in shown and "is the disk full? Free some space" in shown
        assert outcomes(store) == [("x", "include", "")]
        assert len(store._db.execute("SELECT * FROM decisions").fetchall()) == filled
        store._db.execute("PRAGMA max_page_count = 1000000")  # space freed
        session(store, "iq")
        assert outcomes(store) == [("x", "include", ""), ("28476432", "include", "")]


def test_no_reviewer_is_refused(store: DecisionStore) -> None:
    with pytest.raises(DecisionError, match="no reviewer name"):
        session(store, "i", reviewer="")


def test_full_text_stage_screens_title_abstract_inclusions(store: DecisionStore) -> None:
    session(store, "ie1iu")
    text, queue = session(store, "nq", stage="full-text")
    assert sorted(r.id for r in queue) == ["28476432", "32156632"]  # ranked: see test_rank*
    assert "[n] not retrieved" in text
    assert [(d.record_id, d.outcome) for d in store.current("full-text")] == [
        (queue[0].id, "not-retrieved")
    ]


def test_undo_that_would_orphan_a_full_text_decision_is_refused_on_screen(
    store: DecisionStore,
) -> None:
    session(store, "i")
    session(store, "e1", stage="full-text")
    text, _ = session(store, "zq", records=tuple(RECORDS))
    assert "Not undone: 28476432: after this undo no reviewer's title/abstract" in text
    assert "undo the full-text decision first" in text
    assert [(d.record_id, d.stage, d.outcome) for d in store.current()] == [
        ("28476432", "title-abstract", "include"),
        ("28476432", "full-text", "exclude"),
    ]


def test_every_reason_can_be_chosen_when_there_are_more_than_keys(tmp_path: Path) -> None:
    codes = [f"reason-{n:02d}" for n in range(40)]
    many = Criteria(
        concepts=(TOPIC,),
        reasons=tuple((code, f"Text of {code}") for code in codes),
        rules_include=False,
        exclude_retracted=False,
    )
    menu = [code for code, _ in many.reason_codes()]  # the topic's not-kratom comes first
    assert len(menu) == 41
    out = io.StringIO()
    with DecisionStore(tmp_path / "many.sqlite", menu) as store:
        run_screener(
            RECORDS[:2],
            (),
            many,
            store,
            "ann",
            "title-abstract",
            ScriptedKeys("e>2e>>1"),
            Console(file=out, width=100, color_system=None),
        )
        chosen = [d.reason for d in store.current()]
    text = out.getvalue()
    assert "[>] more reasons (page 1 of 2)" in text
    assert f"[5] {menu[38]}: Text of {menu[38]}" in text
    assert chosen == [menu[35], menu[0]]


def test_matched_terms_are_highlighted(store: DecisionStore) -> None:
    rules = screen_records(RECORDS, CRITERIA)
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=True, color_system="standard")
    run_screener(
        RECORDS[:1], rules, CRITERIA, store, "ann", "title-abstract", ScriptedKeys("q"), console
    )
    styled = out.getvalue()
    # "kratom" carries a background colour; the words around it do not.
    assert re.search(r"\x1b\[[0-9;]*4[0-7][0-9;]*mkratom\x1b\[0m", styled)
    assert not re.search(r"\x1b\[[0-9;]*4[0-7][0-9;]*mInternet", styled)


# --- through a real pseudo-terminal --------------------------------------------------

FIXTURES = REPO / "tests" / "fixtures" / "screening"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def _own_terminal() -> None:
    """In the child: a new session whose controlling terminal is the pty (so ^C is SIGINT).

    SIGINT gets its default action back, as a shell gives a job it runs in the foreground:
    a test run started in the background by a shell without job control ignores SIGINT,
    every child inherits that, and the Ctrl-C test would wait for an interrupt that never
    comes (it did, five times in five, when several test runs were started with `&`).
    """
    import fcntl
    import termios

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Terminal:
    """`review screen` in a child process whose terminal is a pseudo-terminal."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        import pty

        self.master, slave = pty.openpty()
        env = {**os.environ, "COLUMNS": "100", "LINES": "60", "TERM": "xterm"}
        env.pop("REVIEW_REVIEWER", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "review", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=env,
            preexec_fn=_own_terminal,
        )
        os.close(slave)
        self.seen = ""
        self.closed = False

    def expect(self, text: str, wait: float = 60.0) -> None:
        """Read output until `text` appears; a hang fails the test instead of blocking it."""
        while text not in self.seen:
            ready, _, _ = select.select([self.master], [], [], wait)
            if not ready:
                pytest.fail(f"no {text!r} from the screener; it printed:\n{self.seen[-2000:]}")
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                pytest.fail(f"the screener ended before {text!r}; it printed:\n{self.seen[-2000:]}")
            self.seen += ANSI.sub("", chunk.decode("utf-8", "replace"))

    def press(self, key: str) -> None:
        os.write(self.master, key.encode())

    def close(self) -> int:
        import termios

        code = self.process.wait(timeout=60)
        # Line mode again (cbreak undone)? The pty's settings are readable from its master.
        self.canonical = bool(termios.tcgetattr(self.master)[3] & termios.ICANON)
        os.close(self.master)
        self.closed = True
        return code


OpenTerminal = Callable[[list[str], Path], Terminal]


@pytest.fixture
def open_terminal() -> Iterator[OpenTerminal]:
    """Start `review` in a pseudo-terminal; whatever a failing test leaves running is killed,
    so it cannot surface later as another test's "subprocess is still running" warning."""
    started: list[Terminal] = []

    def start(args: list[str], cwd: Path) -> Terminal:
        started.append(Terminal(args, cwd))
        return started[-1]

    yield start
    for terminal in started:
        if terminal.process.poll() is None:
            os.killpg(terminal.process.pid, signal.SIGKILL)
            terminal.process.wait(timeout=60)
        if not terminal.closed:
            os.close(terminal.master)


@pytest.fixture
def review_folder(tmp_path: Path) -> Path:
    (tmp_path / "kratom.toml").write_text(
        (REPO / "queries" / "kratom.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return tmp_path


SCREEN = [
    "screen",
    "kratom.toml",
    "--reviewer",
    "ann",
    "--all",
    "--records",
    str(FIXTURES / "kratom_records_from_pubmed21n1298.xml"),
    # These tests are about the terminal; the ranked order has its own (test_rank.py).
    "--order",
    "input",
]


def stored(folder: Path) -> list[tuple[str, str, str]]:
    db = sqlite3.connect(folder / "kratom.decisions.sqlite")
    rows = db.execute("SELECT record_id, outcome, reason FROM decisions ORDER BY id").fetchall()
    db.close()
    return rows


def test_screen_command_in_a_real_terminal(
    review_folder: Path, open_terminal: OpenTerminal
) -> None:
    terminal = open_terminal(SCREEN, review_folder)
    terminal.expect("record 1 of 4")
    terminal.press("i")
    terminal.expect("Saved: 33342583 include.")
    terminal.press("e")
    terminal.expect("Exclude because:")
    reasons = load_protocol(review_folder / "kratom.toml").criteria.reason_codes()
    key = "123456789"[[code for code, _ in reasons].index("not-kratom")]
    terminal.press(key)
    terminal.expect("Saved: 33847849 exclude (not-kratom).")
    terminal.press("q")
    terminal.expect("2 decided this session, 2 left for ann")
    # The rules excluded the other two (not kratom; no relevant outcome).
    # As the report counts: the rules' exclusions are not records screened and excluded.
    terminal.expect("Title/abstract: 2 marked ineligible by the protocol rules;")
    terminal.expect("2 records screened: 1 included, 1")
    terminal.expect(
        "Full text: 1 sought, 0 not retrieved, 1 awaiting assessment, 0 assessed: 0 included"
    )
    assert terminal.close() == 0
    assert stored(review_folder) == [
        ("33342583", "include", ""),
        ("33847849", "exclude", "not-kratom"),
    ]


def test_kill_9_during_screening_loses_no_saved_decision(
    review_folder: Path, open_terminal: OpenTerminal
) -> None:
    terminal = open_terminal(SCREEN, review_folder)
    terminal.expect("record 1 of 4")
    terminal.press("i")
    terminal.expect("Saved: 33342583 include.")
    terminal.press("u")
    terminal.expect("Saved: 33847849 unsure.")
    os.killpg(terminal.process.pid, signal.SIGKILL)
    assert terminal.close() == -signal.SIGKILL
    assert not terminal.canonical  # nothing can restore a terminal after kill -9
    assert stored(review_folder) == [("33342583", "include", ""), ("33847849", "needs-human", "")]
    # The next session resumes with the two records not yet decided.
    again = open_terminal(SCREEN, review_folder)
    again.expect("record 1 of 2")
    again.press("q")
    assert again.close() == 0


def test_ctrl_c_keeps_what_was_saved_and_restores_the_terminal(
    review_folder: Path, open_terminal: OpenTerminal
) -> None:
    terminal = open_terminal(SCREEN, review_folder)
    terminal.expect("record 1 of 4")
    terminal.press("i")
    terminal.expect("Saved: 33342583 include.")
    terminal.press("\x03")  # Ctrl-C: the terminal sends SIGINT to the screener
    terminal.expect("Interrupted; everything already stored is kept.")
    assert terminal.close() == 130
    assert terminal.canonical
    assert stored(review_folder) == [("33342583", "include", "")]


def test_the_summary_counts_only_the_records_screened_now(review_folder: Path) -> None:
    with DecisionStore(review_folder / "kratom.decisions.sqlite") as store:
        store.add(Decision("12345678", "title-abstract", "include", by="ann"))
    # No terminal: the screener reads end of input at once and quits.
    done = subprocess.run(
        [sys.executable, "-m", "review", *SCREEN],
        cwd=review_folder,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (
        "Title/abstract: 3 marked ineligible by the protocol rules; 1 record screened: "
        "0 included, 0 excluded, 1 for people to decide." in done.stdout
    )
    assert "Full text: 0 sought" in done.stdout


def test_the_criteria_and_the_rules_evidence_are_on_screen(tmp_path: Path) -> None:
    criteria = dataclasses.replace(
        CRITERIA,
        years=YearRange(first=1990),
        languages=("eng",),
        species="humans",
        exclude_publication_types=("Comment", "Editorial"),
        exclude_retracted=True,
    )
    out = io.StringIO()
    with DecisionStore(tmp_path / "c.sqlite", ["not-kratom"]) as store:
        run_screener(
            RECORDS[:1],
            screen_records(RECORDS[:1], criteria),
            criteria,
            store,
            "ann",
            "title-abstract",
            ScriptedKeys("q"),
            Console(file=out, width=200, color_system=None),
        )
    text = " ".join(out.getvalue().split())
    assert (
        "Criteria: years 1990–; languages eng; species humans; not Comment, Editorial; "
        "not retracted; needs kratom (not-kratom)"
    ) in text
    assert "Rules: needs-human" in text
    assert "✓ kratom: 'kratom' in title" in text
    assert "✗ language: the record gives none" in text


@pytest.mark.parametrize(("width", "height"), [(80, 24), (100, 30)])
def test_a_long_abstract_is_paged_under_a_title_that_stays(
    tmp_path: Path, width: int, height: int
) -> None:
    words = "Kratom use and withdrawal in people who self-treat. "
    text = (words * 60)[:3000] + " The final sentence."
    long = record("40000001", "A survey of kratom withdrawal among daily users", text)
    queue = [long, RECORDS[1]]
    out = io.StringIO()
    console = Console(file=out, width=width, height=height, force_terminal=True, color_system=None)
    with DecisionStore(tmp_path / "p.sqlite", ["not-kratom"]) as store:
        rules = screen_records(queue, CRITERIA)
        keys = ScriptedKeys([" ", " ", " ", " ", " ", " ", "k", "i", "c", "q"])
        run_screener(queue, rules, CRITERIA, store, "ann", "title-abstract", keys, console)
    screens = [ANSI.sub("", s) for s in out.getvalue().split("\x1b[2J")[1:]]
    assert len(screens) == 10  # a draw per key but the last (q), plus the first
    for screen in screens:
        lines = screen.rstrip("\n").split("\n")
        assert len(lines) < height, screen  # never scrolls: the title cannot scroll away
        assert "A survey of kratom withdrawal" in lines[1] or "Kratom use and mental" in lines[1]
        assert "Grundmann O, Smith KE" in screen
    whole = "".join(screens)
    assert "The final sentence." in whole  # paging reaches the end of the abstract
    assert "lines 1–" in screens[0]
    # The rule under the page names only the page keys that do something there.
    pages = re.compile(r"lines (\d+)–(\d+) of (\d+) · (.*)$", re.MULTILINE)
    turns = [found for screen in screens for found in pages.findall(screen)]
    assert len(turns) >= 3
    for a, b, n, keys in turns:
        first, last = a == "1", b == n
        assert ("[space] next page" in keys) is not last, keys
        assert ("[k] previous" in keys) is not first, keys
    # The criteria come with the first record (a line), and again only on c (in full).
    with_criteria = [n for n, screen in enumerate(screens) if "Criteria" in screen]
    # On the first page of the first record (and back there with k), then only on c.
    assert {0, 9} <= set(with_criteria)
    assert 8 not in with_criteria
    assert "Criteria ([c] in full): needs kratom" in screens[0]
    assert "Criteria: needs kratom (not-kratom)" in screens[9]


def test_a_persons_decision_stays_theirs_when_the_rules_change_their_mind(
    tmp_path: Path,
) -> None:
    """ann included a record the rules left to people; new data makes the rules exclude it.
    Her include still counts for the stopping rule, and a second reviewer
    still gets the record, which awaits a second answer."""
    from review.screener import people_pool, stop_status
    from review.stopping import screening_stop

    withdrawal = RECORDS[3]
    with DecisionStore(tmp_path / "two.decisions.sqlite", ["not-kratom"], 2) as store:
        store.add(Decision(withdrawal.id, "title-abstract", "include", by="ann"))
        store.add(Decision(RECORDS[0].id, "title-abstract", "exclude", "not-kratom", by="ann"))
        before = screen_records(RECORDS, CRITERIA)
        # The rules now exclude the included record (e.g. a copy's abstract merged in).
        after = tuple(
            dataclasses.replace(d, outcome="exclude", reason="not-kratom")
            if d.record_id == withdrawal.id
            else d
            for d in before
        )
        for rules in (before, after):
            status = stop_status(RECORDS, rules, store)
            assert (status.total, status.screened) == (4, 0)  # both await bob's answer
            queue = screening_queue(RECORDS, rules, store, "bob", "title-abstract")
            assert withdrawal.id in {r.id for r in queue}
        people = store.final_decisions()
        assert people_pool(RECORDS, after, people) == [r.id for r in RECORDS]
        store.add(Decision(withdrawal.id, "title-abstract", "include", by="bob"))
        store.add(Decision(RECORDS[0].id, "title-abstract", "exclude", "not-kratom", by="bob"))
        for rules in (before, after):
            status = stop_status(RECORDS, rules, store)
            assert (status.total, status.screened, status.relevant) == (4, 2, 1)
            stop = screening_stop(rules, store.final_decisions())
            assert stop is not None and (stop.total, stop.relevant) == (4, 1)
        # Agreeing with the rules (checking them with --all) does not make a record people's.
        agreed = tuple(
            dataclasses.replace(d, outcome="exclude", reason="not-kratom")
            if d.record_id == RECORDS[0].id
            else d
            for d in after
        )
        assert RECORDS[0].id not in people_pool(RECORDS, agreed, store.final_decisions())


class _GatedRanker(RecordRanker):
    """A background ranker whose refits wait for the gate: a refit cannot finish before
    the screener has drawn the next record, as on a slow machine."""

    def __init__(self, records: list[Record]) -> None:
        super().__init__(records, background=True)
        self.gate = threading.Event()

    def _timed_ranking(self) -> Ranking:
        if threading.current_thread() is self._worker:
            self.gate.wait()
        return super()._timed_ranking()

    def close(self) -> None:
        self.gate.set()
        super().close()


class _KeysAfterRefit(ScriptedKeys):
    """Keys as a person gives them: a pause before each, in which the refit finishes."""

    def __init__(self, keys: str, ranker: _GatedRanker) -> None:
        super().__init__(keys)
        self.ranker = ranker
        self.paused = False

    def ready(self, timeout: float) -> bool:
        if self.paused:
            self.paused = False
            return True
        self.ranker.gate.set()
        self.ranker.settle()
        self.ranker.gate.clear()
        self.paused = True
        return False


def test_the_record_on_screen_is_redrawn_when_a_background_refit_finishes(
    store: DecisionStore,
) -> None:
    rules = screen_records(RECORDS, CRITERIA)
    out = io.StringIO()
    console = Console(
        file=out, width=80, height=24, force_terminal=True, color_system=None, legacy_windows=False
    )
    with _GatedRanker(RECORDS) as ranker:
        queue = screening_queue(RECORDS, rules, store, "ann", "title-abstract", ranker=ranker)
        run_screener(
            queue,
            rules,
            CRITERIA,
            store,
            "ann",
            "title-abstract",
            _KeysAfterRefit("ie1q", ranker),
            console,
            ranker=ranker,
        )
    screens = [s for s in out.getvalue().split("\x1b[2J") if "Relevance" in s]
    # Record 3 is drawn by the ranking the second decision had not reached yet, then
    # drawn again, still record 3 and still saying what was saved, by the refit model.
    third = [s for s in screens if "record 3 of 4" in s]
    assert len(third) == 2
    before, after = third
    assert "nothing learned yet" in before and "Saved: " in before
    assert "ranked by a model learned from 2 decisions" in after
    assert before.splitlines()[1] == after.splitlines()[1]  # the same record
    assert [line for line in after.splitlines() if "Saved: " in line] == [
        line for line in before.splitlines() if "Saved: " in line
    ]


def test_the_closing_summary_wraps_between_words_at_80_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from review.cli.screen import _fitted

    line = (
        "Full text: 2 sought, 0 not retrieved, 2 awaiting assessment, 0 assessed: "
        "0 included, 0 excluded."
    )
    assert _fitted(line) == line  # not a terminal: whole lines
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")
    assert _fitted(f"Short.\n{line}") == (
        "Short.\nFull text: 2 sought, 0 not retrieved, 2 awaiting assessment, 0 assessed: 0\n"
        "included, 0 excluded."
    )


def test_the_keys_line_breaks_between_keys_at_80_columns() -> None:
    from review.screener import _packed

    keys = (
        "[i] include  [e] exclude  [u] unsure  [n] not retrieved  [s] skip  [z] undo  "
        "[q] quit  [c] criteria"
    )
    assert _packed(keys, 80) == (
        "[i] include  [e] exclude  [u] unsure  [n] not retrieved  [s] skip  [z] undo\n"
        "[q] quit  [c] criteria"
    )
    assert _packed(keys, 200) == keys


def test_the_progress_line_counts_unsure_answers_apart(store: DecisionStore) -> None:
    """Unsure takes a record out of this queue but leaves it unscreened for the stopping
    rule: the progress line says how many, so its counts and the rule's add up."""
    text, _ = session(store, "uiq")
    assert "record 2 of 4 · 1 decided (1 unsure), 3 to go" in text
    assert "record 3 of 4 · 2 decided (1 unsure), 2 to go" in text


def test_at_80_columns_the_progress_and_messages_break_between_parts(
    store: DecisionStore,
) -> None:
    """The progress line broke inside "2 to go" and the message about a key that does
    nothing repeated the keys, broken inside "[z] undo"."""
    rules = screen_records(RECORDS, CRITERIA)
    out = io.StringIO()
    console = Console(
        file=out, width=80, height=24, force_terminal=True, color_system=None, legacy_windows=False
    )
    queue = screening_queue(RECORDS, rules, store, "annabel", "title-abstract")
    keys = ScriptedKeys("uixq")
    run_screener(queue, rules, CRITERIA, store, "annabel", "title-abstract", keys, console)
    screens = [ANSI.sub("", s) for s in out.getvalue().split("\x1b[2J")[1:]]
    third = next(s for s in screens if "record 3 of 4" in s).splitlines()
    assert third[:2] == [
        "title-abstract · annabel · record 3 of 4 · 2 decided (1 unsure), 2 to go",
        "Mitragynine pharmacokinetics in humans",
    ]
    lines = [line for screen in screens for line in screen.splitlines()]
    assert "Key 'x' does nothing here; press one of the keys listed above." in lines
    assert all(len(line) <= 80 and not re.search(r"\[\w\]$", line) for line in lines)


def test_a_record_without_authors_says_so_under_its_title() -> None:
    """The line under the title was empty for a record with no authors, journal or year
    (the web page says "(no authors)")."""
    from review.screener import _byline

    bare = Record(id="ks0083", source=Source("OUCI"), title="The Antidepressant-like Effect")
    assert _byline(bare) == "(no authors) · ID ks0083"
    assert _byline(dataclasses.replace(bare, year=2020)) == "(no authors) · 2020 · ID ks0083"
    assert _byline(RECORDS[0]).startswith("Grundmann O, Smith KE · Drug and alcohol")


def test_full_text_before_any_inclusion_says_to_screen_titles_first(
    review_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "Nothing left for ann to screen at full-text", as if she had finished."""
    from review.cli import main

    monkeypatch.chdir(review_folder)
    records = str(FIXTURES / "kratom_records_from_pubmed21n1298.xml")
    argv = ["screen", "kratom.toml", "--reviewer", "ann", "--stage", "full-text"]
    assert main([*argv, "--records", records]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "No record is included at title/abstract yet, so there is no full text to screen: "
        "`review screen kratom.toml --reviewer ann` screens titles and abstracts first."
    )


def test_screening_an_empty_file_says_it_holds_no_records(
    review_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "Nothing left for ann to screen", as if she had screened them all."""
    from review.cli import main

    monkeypatch.chdir(review_folder)
    (review_folder / "empty.csv").write_text("", encoding="utf-8")
    assert main(["screen", "kratom.toml", "--reviewer", "ann", "--records", "empty.csv"]) == 1
    assert capsys.readouterr().err == (
        "Error: empty.csv: no records in it; --records takes files that hold records (any "
        "format review reads).\n"
    )


def test_without_a_terminal_a_message_is_one_line(store: DecisionStore) -> None:
    """Piped, the closing line broke at 80 columns inside "Saved in <path>"; a script
    reading it got half a path."""
    text, _ = session(store, "q")
    assert f"left for ann at title-abstract. Saved in {store.path}." in text.splitlines()[-1]


def test_a_decision_on_a_record_already_counted_is_no_new_record_for_the_stopping_rule(
    tmp_path: Path,
) -> None:
    """ann and bob excluded a record; dora includes it, a conflict. The session's rule
    counted her decision as one more record screened and one relevant found, while
    the store's count (status, the closing summary) has the record awaiting a person."""
    from review.screener import stop_status

    disputed = RECORDS[3]
    queue = [disputed, RECORDS[0]]
    out = io.StringIO()
    console = Console(file=out, width=80, height=40, force_terminal=True, color_system=None)
    with DecisionStore(tmp_path / "three.decisions.sqlite", ["not-kratom"], 2) as store:
        for reviewer in ("ann", "bob"):
            store.add(Decision(disputed.id, "title-abstract", "exclude", "not-kratom", by=reviewer))
        rules = screen_records(RECORDS, CRITERIA)
        keys = ScriptedKeys(["i", "q"])
        run_screener(
            queue,
            rules,
            CRITERIA,
            store,
            "dora",
            "title-abstract",
            keys,
            console,
            RECORDS,
            stopping=True,
        )
        expected = stop_status(RECORDS, rules, store).brief()
    last = " ".join(ANSI.sub("", out.getvalue().split("\x1b[2J")[-1]).split())
    assert expected in last, (expected, last)


@pytest.mark.parametrize(("width", "height"), [(80, 24), (120, 40)])
def test_the_first_screen_shows_the_start_of_the_abstract(
    tmp_path: Path, width: int, height: int
) -> None:
    """At 80x24 the first record's criteria (6 lines), relevance (2) and stopping rule (3)
    pushed its abstract onto the second page: a reviewer saw no abstract before a key.
    The criteria are one line there (c shows them in full); the stopping rule's state is
    a short line under the progress."""
    criteria = load_protocol(REPO / "queries" / "kratom.toml").criteria
    authors = tuple(Author(f"Author{n}", "A", "A") for n in range(8))
    first = dataclasses.replace(
        record(
            "24698080",
            "Kratom (mitragyna speciosa) dependence, withdrawal symptoms and craving in "
            "regular users of the leaf in northern Malaysia",
            "Background: ABSTRACTSTART kratom is used widely. " * 40,
        ),
        authors=authors,
        doi="10.1016/j.drugalcdep.2014.03.017",
    )
    queue = [first, *RECORDS]
    out = io.StringIO()
    console = Console(file=out, width=width, height=height, force_terminal=True, color_system=None)
    with DecisionStore(tmp_path / "f.sqlite", criteria.reason_codes()) as store:
        rules = screen_records(queue, criteria)
        ranker = RecordRanker(queue, question="kratom dependence", criteria=criteria)
        run_screener(
            queue,
            rules,
            criteria,
            store,
            "ann",
            "title-abstract",
            ScriptedKeys(["i", "c", "q"]),
            console,
            queue,
            ranker=ranker,
            stopping=True,
        )
    screens = [ANSI.sub("", s) for s in out.getvalue().split("\x1b[2J")[1:]]
    opening, second, with_criteria = screens
    for screen in (opening, second):  # (the last one ends in the closing summary)
        assert len(screen.rstrip("\n").split("\n")) < height, screen
    assert "Kratom (mitragyna speciosa) dependence" in opening
    assert "Author0 A, Author1 A" in opening
    assert "Relevance: " in opening
    # Six lines of the abstract or more (a repeat is 49 characters).
    assert opening.count("Background: ABSTRACTSTART") >= 480 // 49, opening
    assert "stopping rule: nothing screened yet" in opening
    assert "Criteria ([c] in full): years 1990–" in opening
    assert "Criteria" not in second  # the next record: the abstract, not the criteria
    assert "stopping rule not met: 1 relevant found, at most " in second
    assert "needs outcome (Mood, depression" in " ".join(with_criteria.split())  # c


@pytest.mark.parametrize("ranked", [False, True])
def test_a_skipped_record_comes_back_after_the_rest_of_the_queue(
    store: DecisionStore, ranked: bool
) -> None:
    """s is "not now", as in `review serve`: the record came back only next session, and
    a reviewer who skipped the last record of a session never saw it again in it."""
    rules = screen_records(RECORDS, CRITERIA)
    ranker = RecordRanker(RECORDS) if ranked else None
    queue = screening_queue(RECORDS, rules, store, "ann", "title-abstract", ranker=ranker)
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False, color_system=None)
    keys = ScriptedKeys(["s", "i", "e", "1", "i", "i", "q"])
    result = run_screener(
        queue, rules, CRITERIA, store, "ann", "title-abstract", keys, console, ranker=ranker
    )
    decided = [d.record_id for d in sorted(store.current(), key=lambda d: d.at)]
    assert decided[-1] == queue[0].id and len(decided) == 4  # the skipped one, last
    assert result.remaining == 0 and result.skipped == 1
