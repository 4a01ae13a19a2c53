"""The interactive terminal screener: one record at a time, one key per decision.

The screener reads keys from a `KeySource` and draws on a rich `Console`, both
handed in: the command gives it the terminal (`TerminalKeys`, cbreak mode),
tests give it a list of keys (`ScriptedKeys`) and a console writing to a
string or a pseudo-terminal. Every decision goes to the `DecisionStore` in its
own transaction before the next record is drawn, so quitting, Ctrl-C, a
closed terminal or a crash lose nothing; the next session starts with the
records this reviewer has not decided yet.

Keys: i include · e exclude (then a reason; > pages on when a protocol has
more reasons than keys) · u unsure · s skip · z undo · q quit; at the
full-text stage also n not retrieved.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from review.decisions import DecisionStore
from review.errors import DecisionError
from review.protocol import Criteria, SearchField
from review.records import Record
from review.screen import Decision, Outcome, Stage, effective_decisions, match_spans
from review.terminal import console as printable_console

__all__ = [
    "KeySource",
    "ScreenerResult",
    "ScriptedKeys",
    "TerminalKeys",
    "run_screener",
    "screening_queue",
]

REASON_KEYS = "123456789abcdefghijklmnoprstuvwxyz"  # no q: q always cancels
CANCEL_KEYS = ("q", "\x1b")
MORE_REASONS_KEY = ">"
AUTHORS_SHOWN = 6
# One highlight colour per concept, cycled; exclusion concepts get red.
CONCEPT_STYLES = ("bold black on yellow", "bold black on cyan", "bold black on green")
EXCLUDE_STYLE = "bold white on red"


class KeySource(Protocol):
    def read_key(self) -> str:
        """The next key pressed; "" when input has ended (treated as quit)."""
        ...


class ScriptedKeys:
    """Keys from a list, for tests; "" once they run out."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys: Iterator[str] = iter(keys)

    def read_key(self) -> str:
        return next(self._keys, "")


class TerminalKeys:
    """Single keys from a terminal in cbreak mode (Ctrl-C still interrupts).

    Use as a context manager so the terminal's mode is restored however the
    session ends.
    """

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._fd = (stream or sys.stdin).fileno()
        self._saved: list[Any] | None = None

    def __enter__(self) -> TerminalKeys:
        import termios
        import tty

        if os.isatty(self._fd):
            self._saved = termios.tcgetattr(self._fd)
            tty.setcbreak(self._fd)
        return self

    def __exit__(self, *exc: object) -> None:
        import termios

        if self._saved is not None:
            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)

    def read_key(self) -> str:
        try:
            data = os.read(self._fd, 1)
        except OSError:
            return ""
        return data.decode("utf-8", "replace")


@dataclass
class ScreenerResult:
    decided: int = 0  # decisions stored in this session (undone ones subtracted)
    skipped: int = 0
    remaining: int = 0  # records of the queue still without this reviewer's decision
    quit: bool = False
    undone: list[str] = field(default_factory=list)


def screening_queue(
    records: Sequence[Record],
    rule_decisions: Sequence[Decision],
    store: DecisionStore,
    reviewer: str,
    stage: Stage,
    *,
    everything: bool = False,
    unsure_again: bool = False,
) -> list[Record]:
    """The records this reviewer still has to decide at this stage, in input order.

    Title/abstract: what the rules left to people (every record with
    `everything`). Full text: what stands as included at title/abstract.
    `unsure_again` brings back the records this reviewer marked unsure.
    """
    mine = {
        d.record_id
        for d in store.current(stage, reviewer)
        if not (unsure_again and d.outcome == "needs-human")
    }
    if stage == "title-abstract":
        rules = {d.record_id: d for d in rule_decisions}
        wanted = {
            r.id
            for r in records
            if everything or rules.get(r.id) is None or rules[r.id].outcome == "needs-human"
        }
    else:
        people = store.final_decisions("title-abstract")
        wanted = {
            d.record_id
            for d in effective_decisions(rule_decisions, people)
            if d.stage == "title-abstract" and d.outcome == "include"
        }
    return [r for r in records if r.id in wanted and r.id not in mine]


def run_screener(
    queue: Sequence[Record],
    rule_decisions: Sequence[Decision],
    criteria: Criteria,
    store: DecisionStore,
    reviewer: str,
    stage: Stage,
    keys: KeySource,
    console: Console,
    records: Sequence[Record] = (),
) -> ScreenerResult:
    """Show each record of `queue` and store the reviewer's decision the moment it is made.

    `records` (every record of the review) lets undo bring back a record
    decided in an earlier session, which is not in `queue`.
    """
    session = _Session(queue, rule_decisions, criteria, store, reviewer, stage, keys, console)
    session.known.update((r.id, r) for r in records)
    return session.run()


class _Session:
    def __init__(
        self,
        queue: Sequence[Record],
        rule_decisions: Sequence[Decision],
        criteria: Criteria,
        store: DecisionStore,
        reviewer: str,
        stage: Stage,
        keys: KeySource,
        console: Console,
    ) -> None:
        if not reviewer.strip() or reviewer == "rules":
            raise DecisionError(
                "no reviewer name; give --reviewer NAME or set REVIEW_REVIEWER, "
                "so every decision says who made it."
            )
        self.queue = list(queue)
        self.known = {r.id: r for r in queue}
        self.rules = {d.record_id: d for d in rule_decisions}
        self.criteria = criteria
        self.store = store
        self.reviewer = reviewer
        self.stage = stage
        self.keys = keys
        self.console = console
        self.decided: set[str] = set()
        self.result = ScreenerResult()
        self.reasons = criteria.reason_codes()
        self.said: list[str] = []

    def run(self) -> ScreenerResult:
        index = 0
        while index < len(self.queue):
            record = self.queue[index]
            self._draw(record, index)
            key = self.keys.read_key().lower()
            if key in ("q", ""):
                self.result.quit = True
                break
            index = self._act(key, record, index)
        self.result.decided = len(self.decided)
        self.result.remaining = sum(1 for r in self.queue if r.id not in self.decided)
        self._say(
            f"{self.result.decided} decided this session, {self.result.remaining} left "
            f"for {self.reviewer} at {self.stage}. Saved in {self.store.path}."
        )
        return self.result

    def _act(self, key: str, record: Record, index: int) -> int:
        """Handle one key; returns the queue position to show next."""
        outcome = self._outcome_of(key)
        if outcome == "exclude":
            reason = self._choose_reason()
            if not reason:
                self._say("Exclusion cancelled.")
                return index
            return self._save(record, index, "exclude", reason)
        if outcome is not None:
            return self._save(record, index, outcome, "")
        if key == "s":
            self.result.skipped += 1
            self._say(f"Skipped {record.id}; it comes back next session.")
            return index + 1
        if key == "z":
            return self._undo(index)
        self._say(f"Key {key!r} does nothing here. {self._keys_help()}")
        return index

    def _outcome_of(self, key: str) -> Outcome | None:
        outcomes: dict[str, Outcome] = {"i": "include", "e": "exclude", "u": "needs-human"}
        if self.stage == "full-text":
            outcomes["n"] = "not-retrieved"
        return outcomes.get(key)

    def _save(self, record: Record, index: int, outcome: Outcome, reason: str) -> int:
        decision = Decision(record.id, self.stage, outcome, reason, self.reviewer)
        try:
            self.store.add(decision)
        except DecisionError as exc:
            self._say(f"Not saved: {exc}")
            return index
        self.decided.add(record.id)
        shown = "unsure" if outcome == "needs-human" else outcome
        self._say(f"Saved: {record.id} {shown}{f' ({reason})' if reason else ''}.")
        return index + 1

    def _undo(self, index: int) -> int:
        try:
            undone = self.store.undo_last(self.reviewer, self.stage)
        except DecisionError as exc:
            self._say(f"Not undone: {exc}")
            return index
        if undone is None:
            self._say("Nothing to undo.")
            return index
        self.decided.discard(undone.record_id)
        self.result.undone.append(undone.record_id)
        self._say(f"Undone: {undone.record_id} {undone.outcome}.")
        record = self.known.get(undone.record_id)
        if record is None:
            self._say(f"{undone.record_id} is not among the records screened now.")
            return index
        if record not in self.queue:
            self.queue.insert(index, record)
        return self.queue.index(record)

    def _choose_reason(self) -> str:
        """One key per reason; a protocol with more reasons than keys gets pages (>)."""
        page_size = len(REASON_KEYS)
        pages = max(1, -(-len(self.reasons) // page_size))
        page = 0
        self._show_reasons(page, pages)
        while True:
            key = self.keys.read_key().lower()
            if key in CANCEL_KEYS or key == "":
                return ""
            if key == MORE_REASONS_KEY and pages > 1:
                page = (page + 1) % pages
                self._show_reasons(page, pages)
                continue
            position = page * page_size + REASON_KEYS.find(key)
            if REASON_KEYS.find(key) >= 0 and position < len(self.reasons):
                return self.reasons[position][0]
            self._say(f"Key {key!r} is not a reason; press one of the keys listed, or q.")

    def _show_reasons(self, page: int, pages: int) -> None:
        shown = self.reasons[page * len(REASON_KEYS) : (page + 1) * len(REASON_KEYS)]
        lines = [f"  [{REASON_KEYS[n]}] {code}: {text}" for n, (code, text) in enumerate(shown)]
        if pages > 1:
            lines.append(f"  [{MORE_REASONS_KEY}] more reasons (page {page + 1} of {pages})")
        self.console.print(Text("Exclude because:\n" + "\n".join(lines) + "\n  [q] cancel"))

    # --- drawing ---------------------------------------------------------------------

    def _say(self, message: str) -> None:
        self.console.print(Text(message, style="bold"))
        # Drawing the next record clears the screen; it shows these again below.
        self.said.append(message)

    def _keys_help(self) -> str:
        keys = "[i] include  [e] exclude  [u] unsure  [s] skip  [z] undo  [q] quit"
        if self.stage == "full-text":
            keys = keys.replace("[u] unsure", "[u] unsure  [n] not retrieved")
        return keys

    def _draw(self, record: Record, index: int) -> None:
        done = len(self.decided)
        progress = (
            f"{self.stage} · {self.reviewer} · record {index + 1} of {len(self.queue)} · "
            f"{done} decided this session · {len(self.queue) - done} to go"
        )
        body = Group(
            self._highlighted(record.title or "(no title)", "title", "bold"),
            Text(_byline(record), style="dim"),
            Text(""),
            self._highlighted(record.abstract_text or "(no abstract)", "abstract", ""),
            *self._listing("MeSH", record.mesh_descriptors, "mesh"),
            *self._listing("Keywords", record.keywords, "keywords"),
            *self._listing("Publication types", record.publication_types, "publication_types"),
            Text(""),
            self._rules_text(record),
            self._criteria_text(),
        )
        if self.console.is_terminal:
            self.console.clear()
        self.console.print(Panel(body, title=Text(record.id), subtitle=Text(progress)))
        self.console.print(Text(self._keys_help(), style="bold"))
        if self.console.is_terminal:
            for message in self.said:
                self.console.print(Text(message, style="bold yellow"))
        self.said.clear()

    def _highlighted(self, text: str, field: SearchField, style: str) -> Text:
        shown = Text(text, style=style)
        excluding = {c.name for c in self.criteria.concepts if c.role == "exclude"}
        names = [c.name for c in self.criteria.concepts]
        for start, end, concept in match_spans(text, self.criteria, field):
            if concept in excluding:
                shown.stylize(EXCLUDE_STYLE, start, end)
            else:
                position = names.index(concept) % len(CONCEPT_STYLES)
                shown.stylize(CONCEPT_STYLES[position], start, end)
        return shown

    def _listing(self, label: str, values: Sequence[str], field: SearchField) -> list[Text]:
        if not values:
            return []
        line = Text(f"{label}: ", style="italic")
        line.append_text(self._highlighted("; ".join(values), field, ""))
        return [line]

    def _rules_text(self, record: Record) -> Text:
        rule = self.rules.get(record.id)
        if rule is None:
            return Text("Rules: not screened by rules", style="dim")
        outcome = rule.outcome + (f" ({rule.reason})" if rule.reason else "")
        text = Text(f"Rules: {outcome}\n", style="bold")
        for evidence in rule.matched:
            text.append(f"  ✓ {evidence}\n", style="green")
        for evidence in rule.unmatched:
            text.append(f"  ✗ {evidence}\n", style="red")
        return text

    def _criteria_text(self) -> Text:
        text = Text("Criteria: ", style="italic")
        parts = []
        c = self.criteria
        if c.years.first or c.years.last:
            parts.append(f"years {c.years.first or ''}–{c.years.last or ''}")
        if c.languages:
            parts.append(f"languages {', '.join(c.languages)}")
        if c.species != "any":
            parts.append(f"species {c.species}")
        if c.include_publication_types:
            parts.append(f"only {', '.join(c.include_publication_types)}")
        if c.exclude_publication_types:
            parts.append(f"not {', '.join(c.exclude_publication_types)}")
        if c.exclude_retracted:
            parts.append("not retracted")
        for concept in c.concepts:
            verb = "excludes" if concept.role == "exclude" else "needs"
            parts.append(f"{verb} {concept.name} ({concept.description or concept.reason})")
        text.append("; ".join(parts))
        return text


def _byline(record: Record) -> str:
    names = [a.display for a in record.authors[:AUTHORS_SHOWN]]
    if len(record.authors) > AUTHORS_SHOWN:
        names.append("et al.")
    parts = [", ".join(names), record.journal or record.journal_abbrev]
    parts.append(str(record.year) if record.year else "")
    if record.pmid:
        parts.append(f"PMID {record.pmid}")
    if record.doi:
        parts.append(f"doi:{record.doi}")
    return " · ".join(p for p in parts if p)


def console_for_terminal() -> Console:
    """The console the command draws on: the real terminal, highlighting on."""
    console = printable_console(highlight=False)  # record text cannot steer the terminal
    with suppress(Exception):
        console.set_window_title("review screen")
    return console
