"""The interactive terminal screener: one record at a time, one key per decision.

The screener reads keys from a `KeySource` and draws on a rich `Console`, both
handed in: the command gives it the terminal (`TerminalKeys`, cbreak mode),
tests give it a list of keys (`ScriptedKeys`) and a console writing to a
string or a pseudo-terminal. Every decision goes to the `DecisionStore` in its
own transaction before the next record is drawn, so quitting, Ctrl-C, a
closed terminal or a crash lose nothing; the next session starts with the
records this reviewer has not decided yet.

Keys: i include · e exclude (then a reason; > pages on when a protocol has
more reasons than keys) · u unsure · s skip (for now: `review.screen.SKIP_HELP`) · z undo · q
quit; at the full-text stage also n not retrieved. Space (or j) pages the
abstract on, k pages it back, c shows the criteria in full.

On a terminal every record is drawn to fit the window: the record's title and
authors at the top, one page of the abstract (with the rules' evidence after
it) below, the keys at the bottom, so nothing scrolls off however small the
terminal or long the abstract. The criteria are one line with the first record
and in full on c, not under every record; the stopping rule is a line under the
progress. Output that is not a terminal gets each record whole.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Literal
from typing import Protocol as Interface

from rich.console import Console, Group, RenderableType
from rich.rule import Rule
from rich.segment import Segment, Segments
from rich.text import Text

from review.decisions import DecisionStore
from review.errors import DecisionError
from review.protocol import Criteria, Protocol, SearchField
from review.rank import RecordRanker
from review.records import Record
from review.screen import (
    Decision,
    Outcome,
    Stage,
    effective_decisions,
    match_spans,
    skipped_text,
)
from review.stopping import (
    DEFAULT_RULE,
    StopRule,
    StopStatus,
    StopTracker,
    people_screen,
    people_tracker,
)
from review.terminal import console as printable_console

if TYPE_CHECKING:
    from review.identity import Groups

__all__ = [
    "QUEUE_ORDERS",
    "KeySource",
    "QueueOrder",
    "ScreenerResult",
    "ScriptedKeys",
    "TerminalKeys",
    "people_decisions",
    "people_pool",
    "people_ranker",
    "queue_ranker",
    "run_screener",
    "screening_queue",
    "stop_status",
]

QueueOrder = Literal["ranked", "input"]
QUEUE_ORDERS: tuple[QueueOrder, ...] = ("ranked", "input")

REASON_KEYS = "123456789abcdefghijklmnoprstuvwxyz"  # no q: q always cancels
CANCEL_KEYS = ("q", "\x1b")
MORE_REASONS_KEY = ">"
NEXT_PAGE_KEYS = (" ", "j")
PREVIOUS_PAGE_KEY = "k"
CRITERIA_KEY = "c"
AUTHORS_SHOWN = 6
# How often the screener looks, while waiting for a key, whether the model refit in the
# background has finished, to redraw the record on screen with the new ranking.
REFIT_POLL_SECONDS = 0.2
# One highlight colour per concept, cycled; exclusion concepts get red.
CONCEPT_STYLES = ("bold black on yellow", "bold black on cyan", "bold black on green")
EXCLUDE_STYLE = "bold white on red"


class KeySource(Interface):
    def read_key(self) -> str:
        """The next key pressed; "" when input has ended (treated as quit)."""
        ...

    def ready(self, timeout: float) -> bool:
        """Whether a key (or the end of input) is waiting, after waiting up to `timeout`
        seconds: the screener redraws the record meanwhile when the model is refit."""
        ...


class ScriptedKeys:
    """Keys from a list, for tests; "" once they run out."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys: Iterator[str] = iter(keys)

    def read_key(self) -> str:
        return next(self._keys, "")

    def ready(self, timeout: float) -> bool:
        return True


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

    def ready(self, timeout: float) -> bool:
        import select

        try:
            return bool(select.select([self._fd], [], [], timeout)[0])
        except (OSError, ValueError):
            return True  # let read_key find out (and end the session)

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
    order: QueueOrder = "ranked",
    ranker: RecordRanker | None = None,
    protocol: Protocol | None = None,
    groups: Groups | None = None,
) -> list[Record]:
    """The records this reviewer still has to decide at this stage: the one queue order.

    Title/abstract: the records people screen (`people_pool`: what the rules
    left to people, or a person decided otherwise; every record with
    `everything`), most likely relevant first (`order="ranked"`, the default):
    ranked by the protocol's question and concepts until people have included
    and excluded a record each, then by a model learned from their decisions
    (`review.rank`). Pass the `ranker` of `queue_ranker` to reuse it, or the
    `protocol` to have one built. `order="input"` keeps the records' own order.
    Full text: what stands as included at title/abstract, ordered the same way
    (the model learns from title/abstract decisions only).
    `unsure_again` brings back the records this reviewer marked unsure.
    With the run's duplicate `groups`, decisions count per group, as in the
    report: a record is decided when this reviewer decided any copy of it, or
    decided it under an ID it no longer has.
    """
    current = store.current(stage, reviewer)
    mine = {
        d.record_id
        for d in (groups.named_by_group(current) if groups else current)
        if not (unsure_again and d.outcome == "needs-human")
    }
    if stage == "title-abstract":
        wanted = (
            {r.id for r in records}
            if everything
            else set(people_pool(records, rule_decisions, people_decisions(store, groups)))
        )
    else:
        people = people_decisions(store, groups)
        wanted = {
            d.record_id
            for d in effective_decisions(rule_decisions, people)
            if d.stage == "title-abstract" and d.outcome == "include"
        }
    queue = [r for r in records if r.id in wanted and r.id not in mine]
    if order == "input" or not queue:
        return queue
    if ranker is None:
        ranker = queue_ranker(records, store, protocol)
    return ranker.order(queue)


def queue_ranker(
    records: Sequence[Record],
    store: DecisionStore,
    protocol: Protocol | None = None,
    seed: int = 0,
    *,
    background: bool = False,
    groups: Groups | None = None,
) -> RecordRanker:
    """A ranker over `records`, taught every person's current title/abstract decision
    (per duplicate group with the run's `groups`: a decision on any copy teaches).

    `background=True` for a person at the keys: the model is refit in a thread
    while the next record is shown (`RecordRanker`); `close()` it when done.
    """
    return people_ranker(
        records, people_decisions(store, groups), protocol, seed, background=background
    )


def people_ranker(
    records: Sequence[Record],
    people: Iterable[Decision],
    protocol: Protocol | None = None,
    seed: int = 0,
    *,
    background: bool = False,
) -> RecordRanker:
    """A ranker over `records` taught people's title/abstract decisions in time order:
    the ranking `review screen`, `review serve` and the report's list of records awaiting
    a person share (`people` as `people_decisions` gives them; other stages are skipped)."""
    ranker = RecordRanker(
        records,
        question=protocol.question if protocol else "",
        criteria=protocol.criteria if protocol else None,
        seed=seed,
        background=background,
    )
    taught = [d for d in people if d.stage == "title-abstract"]
    ranker.learn(sorted(taught, key=lambda d: d.at))
    return ranker


def people_decisions(store: DecisionStore, groups: Groups | None = None) -> tuple[Decision, ...]:
    """People's final title/abstract decisions: one per duplicate group, named by its
    main copy, with the run's `groups` (as `review run` counts them); per record without."""
    people = store.final_decisions("title-abstract")
    if groups is None:
        return people
    return groups.settle(people, store.current("title-abstract", kind="resolution"))[0]


def people_pool(
    records: Sequence[Record], rule_decisions: Sequence[Decision], people: Iterable[Decision] = ()
) -> list[str]:
    """IDs of the records people screen at title/abstract: those the rules left to
    people (or did not screen), and those a person decided otherwise than the rules
    now do (`review.stopping.people_screen`); `people` as `people_decisions` gives them."""
    theirs = set(people_screen(rule_decisions, people))
    ruled = {d.record_id for d in rule_decisions if d.stage == "title-abstract"}
    return [r.id for r in records if r.id in theirs or r.id not in ruled]


def stop_status(
    records: Sequence[Record],
    rule_decisions: Sequence[Decision],
    store: DecisionStore,
    rule: StopRule = DEFAULT_RULE,
    *,
    groups: Groups | None = None,
) -> StopStatus:
    """The stopping rule over the records people screen (`people_pool`), from people's
    title/abstract decisions in time order (per duplicate group with `groups`)."""
    return _stop_tracker(records, rule_decisions, store, rule, groups).status()


def _stop_tracker(
    records: Sequence[Record],
    rule_decisions: Sequence[Decision],
    store: DecisionStore,
    rule: StopRule,
    groups: Groups | None,
) -> StopTracker:
    people = people_decisions(store, groups)
    return people_tracker(people_pool(records, rule_decisions, people), people, rule)


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
    *,
    ranker: RecordRanker | None = None,
    stopping: bool = False,
    rule: StopRule = DEFAULT_RULE,
    groups: Groups | None = None,
) -> ScreenerResult:
    """Show each record of `queue` and store the reviewer's decision the moment it is made.

    `records` (every record of the review) lets undo bring back a record
    decided in an earlier session, which is not in `queue`. With a `ranker`
    (`queue_ranker`), every decision teaches it and the records still to come
    are re-ranked before the next is shown, with its predicted relevance and
    the terms that weighed most. With `stopping`, the stopping rule's state over
    the records people screen (`stop_status`) is shown under each record;
    `groups` as for `screening_queue`.
    """
    session = _Session(queue, rule_decisions, criteria, store, reviewer, stage, keys, console)
    session.known.update((r.id, r) for r in records)
    session.ranker = ranker
    if stopping and stage == "title-abstract":
        session.watch = (tuple(records) or tuple(queue), tuple(rule_decisions), groups)
        session.stop = _stop_tracker(*session.watch[:2], store, rule, groups)
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
        self.skipped: set[str] = set()  # this session's skips: after the rest of the queue
        self.unsure: set[str] = set()  # of those decided, the ones marked unsure (unscreened)
        self.result = ScreenerResult()
        self.reasons = criteria.reason_codes()
        self.said: list[str] = []
        self.shown = ""  # the record on screen, so its abstract's page is kept
        self.page = 0
        self.pages = 1
        self.criteria_on: str | None = None  # the record shown with the criteria in full (c)
        self.first: str | None = None  # the first record shown: a line of criteria with it
        self.ranker: RecordRanker | None = None
        self.drawn_ranking: object = None  # the ranking the record on screen was drawn by
        self.last_said: list[str] = []  # the messages under it, kept for a redraw
        self.stop: StopTracker | None = None
        # what the stopping rule is counted over: records, rules' decisions, groups
        self.watch: tuple[Sequence[Record], Sequence[Decision], Groups | None] = ((), (), None)

    def run(self) -> ScreenerResult:
        index = 0
        while index < len(self.queue):
            record = self.queue[index]
            if record.id in self.skipped:  # only skipped records are left: they come back
                self.skipped.clear()
            self._draw(record, index)
            key = self._next_key(index).lower()
            if key in ("q", ""):
                self.result.quit = True
                break
            if self._turned_page(key):
                continue
            index = self._act(key, record, index)
        self.result.decided = len(self.decided)
        self.result.remaining = sum(1 for r in self.queue if r.id not in self.decided)
        if self.console.is_terminal:  # what the last key did: no drawing follows to show it
            for message in self.said:
                self.console.print(Text(message, style="bold yellow"))
        self._say(
            f"{self.result.decided} decided this session, {self.result.remaining} left "
            f"for {self.reviewer} at {self.stage}. Saved in {self.store.path}.",
            redrawn=False,
        )
        return self.result

    def _next_key(self, index: int) -> str:
        """The next key. While it is awaited, a model refit that finishes in the background
        redraws the record on screen with the ranking it made (its relevance, terms and
        what it learned from) and re-ranks the records after it; the record stays."""
        background = self.ranker is not None and self.ranker.background
        while (
            background
            and self.stage == "title-abstract"
            and not self.keys.ready(REFIT_POLL_SECONDS)
        ):
            assert self.ranker is not None
            if self.ranker.ranking() is not self.drawn_ranking:
                self._rerank(index + 1)
                self.said = list(self.last_said)
                self._draw(self.queue[index], index)
        return self.keys.read_key()

    def _turned_page(self, key: str) -> bool:
        """Page keys move through the abstract (or show the criteria): no decision."""
        if key in NEXT_PAGE_KEYS:
            if self.page + 1 < self.pages:
                self.page += 1
            else:
                self.said.append("That was the last page; decide, or k pages back.")
            return True
        if key == PREVIOUS_PAGE_KEY:
            self.page = max(0, self.page - 1)
            return True
        if key == CRITERIA_KEY:  # in full (or hidden again) over this record's abstract
            self.criteria_on = None if self.criteria_on == self.shown else self.shown
            self.page = 0
            return True
        return False

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
            self.skipped.add(record.id)
            self.queue.append(self.queue.pop(index))
            self._say(skipped_text(record.id))
            return index
        if key == "z":
            return self._undo(index)
        self._say(f"Key {key!r} does nothing here; press one of the keys listed above.")
        return index

    def _outcome_of(self, key: str) -> Outcome | None:
        outcomes: dict[str, Outcome] = {"i": "include", "e": "exclude", "u": "needs-human"}
        if self.stage == "full-text":
            outcomes["n"] = "not-retrieved"
        return outcomes.get(key)

    def _save(self, record: Record, index: int, outcome: Outcome, reason: str) -> int:
        decision = Decision(record.id, self.stage, outcome, reason, self.reviewer)
        try:
            decision = self.store.add(decision)
        except DecisionError as exc:
            self._say(f"Not saved: {exc}")
            return index
        self.decided.add(record.id)
        if outcome == "needs-human":
            self.unsure.add(record.id)
        else:
            self.unsure.discard(record.id)
        shown = "unsure" if outcome == "needs-human" else outcome
        self._say(f"Saved: {record.id} {shown}{f' ({reason})' if reason else ''}.")
        self._learn(record.id, outcome, index + 1)
        if self.stop is not None and outcome in ("include", "exclude"):
            if self.stop.counts(record.id):
                self.stop.add(outcome == "include", decision.at, record.id)
            else:  # decided before, by this or another reviewer: one record, one label
                records, rules, groups = self.watch
                self.stop = _stop_tracker(records, rules, self.store, self.stop.rule, groups)
        return index + 1

    def _learn(self, record_id: str, outcome: str | None, upcoming: int) -> None:
        """Teach the ranker this decision and re-rank the records still to come.

        Full-text decisions teach nothing: the model learns what to read at title/abstract.
        """
        if self.ranker is None or self.stage != "title-abstract":
            return
        self.ranker.teach(record_id, outcome)
        self._rerank(upcoming)

    def _rerank(self, start: int) -> None:
        """The queue from `start` in the ranker's order, the records skipped after the rest."""
        assert self.ranker is not None
        upcoming = self.queue[start:]
        later = [r for r in upcoming if r.id in self.skipped]
        self.queue[start:] = self.ranker.order(
            [r for r in upcoming if r.id not in self.skipped]
        ) + self.ranker.order(later)

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
        self.unsure.discard(undone.record_id)
        self.result.undone.append(undone.record_id)
        if self.ranker is not None and self.stage == "title-abstract":
            self.ranker.teach(undone.record_id, None)
        if self.stop is not None:
            records, rules, groups = self.watch
            self.stop = _stop_tracker(records, rules, self.store, self.stop.rule, groups)
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
            self._say(
                f"Key {key!r} is not a reason; press one of the keys listed, or q.",
                redrawn=False,
            )

    def _show_reasons(self, page: int, pages: int) -> None:
        shown = self.reasons[page * len(REASON_KEYS) : (page + 1) * len(REASON_KEYS)]
        lines = [f"  [{REASON_KEYS[n]}] {code}: {text}" for n, (code, text) in enumerate(shown)]
        if pages > 1:
            lines.append(f"  [{MORE_REASONS_KEY}] more reasons (page {page + 1} of {pages})")
        menu = Text("Exclude because:\n" + "\n".join(lines) + "\n  [q] cancel")
        if not self.console.is_terminal or self.shown not in self.known:
            self.console.print(menu)
            return
        # Over the record's abstract, under its title: the title stays on screen.
        header = self._header_lines(self.known[self.shown])
        room = max(3, self.console.height - len(header) - 1)
        self.console.clear()
        self._emit(header)
        self._emit(self._lines(menu)[:room])

    # --- drawing ---------------------------------------------------------------------

    def _say(self, message: str, *, redrawn: bool = True) -> None:
        """Tell the reviewer; on a terminal the next drawing (`redrawn`) shows it under the
        keys, where it cannot push the record's title off the top."""
        if not (redrawn and self.console.is_terminal):
            # Piped, a message stays one line (a terminal wraps it between words).
            self.console.print(Text(message, style="bold"), soft_wrap=not self.console.is_terminal)
        self.said.append(message)

    def _keys_help(self) -> str:
        keys = "[i] include  [e] exclude  [u] unsure  [s] skip  [z] undo  [q] quit"
        if self.stage == "full-text":
            keys = keys.replace("[u] unsure", "[u] unsure  [n] not retrieved")
        return keys + "  [c] criteria"

    def _draw(self, record: Record, index: int) -> None:
        if record.id != self.shown:
            self.shown, self.page = record.id, 0
        if self.first is None:
            self.first = record.id
        if self.ranker is not None:
            self.drawn_ranking = self.ranker.ranking()
        self.progress = (
            f"{self.stage} · {self.reviewer} · record {index + 1} of "
            f"{len(self.queue)} · {len(self.decided)} decided"
            # Unsure is decided for this queue but not screened for the stopping rule.
            + (f" ({len(self.unsure)} unsure)" if self.unsure else "")
            + f", {len(self.queue) - len(self.decided)} to go"
        )
        terminal = self.console.is_terminal
        body: list[RenderableType] = [
            *self._criteria_lines(record.id, collapsed=terminal),
            *self._ranking_text(record),
        ]
        if self.stop is not None and not terminal:  # a terminal has it in the progress
            body.append(Text(self.stop.status().describe(), style="dim"))
        body += [
            self._highlighted(record.abstract_text or "(no abstract)", "abstract", ""),
            *self._listing("MeSH", record.mesh_descriptors, "mesh"),
            *self._listing("Keywords", record.keywords, "keywords"),
            *self._listing("Publication types", record.publication_types, "publication_types"),
            Text(""),
            self._rules_text(record),
        ]
        if terminal:
            self._draw_to_fit(record, Group(*body))
        else:
            self.console.print(Group(*self._header(record), Rule(), *body, Rule()))
            self.console.print(Text(self._keys_help(), style="bold"))
        self.last_said = list(self.said)
        self.said.clear()

    def _criteria_lines(self, record_id: str, *, collapsed: bool) -> list[Text]:
        """The criteria in full on c; with the first record, one line on a terminal (all
        of them took six lines at 80 columns and pushed the abstract off the screen)."""
        if self.criteria_on == record_id or (record_id == self.first and not collapsed):
            return [self._criteria_text(), Text("")]
        if record_id != self.first:
            return []
        line = Text(f"Criteria ([{CRITERIA_KEY}] in full): ", style="italic")
        line.append(self._criteria_parts())
        line.no_wrap, line.overflow = True, "ellipsis"
        return [line]

    def _header(self, record: Record) -> list[Text]:
        return [
            Text(self.progress, style="dim"),
            self._highlighted(record.title or "(no title)", "title", "bold"),
            Text(_byline(record), style="dim"),
        ]

    def _header_lines(self, record: Record) -> list[list[Segment]]:
        """Progress, title and authors, at most half the window (a title of absurd length
        is cut, never the keys)."""
        header = self._header(record)
        status = (self.stop.status().brief(),) if self.stop is not None else ()
        progress_line = " · ".join((self.progress, *status))
        header[0] = Text(_packed(progress_line, self.console.width, " · "), style="dim")
        progress, title, byline = (self._lines(t) for t in header)
        progress = _cut(progress, 3)  # a long reviewer name takes one more line
        room = max(4, self.console.height // 2)
        title = _cut(title, max(1, room - len(progress) - min(len(byline), 2)))
        byline = _cut(byline, max(1, room - len(progress) - len(title)))
        return [*progress, *title, *byline]

    def _draw_to_fit(self, record: Record, body: Group) -> None:
        """The record on one screen: header, a page of the body, the keys, messages."""
        header = self._header_lines(record)
        keys = self._lines(Text(_packed(self._keys_help(), self.console.width), style="bold"))
        said = [line for m in self.said for line in self._lines(Text(m, style="bold yellow"))]
        lines = self._lines(body)
        # One line for the rule above the page, one below it, one for the cursor.
        room = max(3, self.console.height - len(header) - len(keys) - len(said) - 3)
        self.pages = max(1, -(-len(lines) // room))
        self.page = min(self.page, self.pages - 1)
        first = self.page * room
        shown = lines[first : first + room]
        turns = "  ".join(
            key
            for key, works in (
                ("[space] next page", self.page + 1 < self.pages),
                ("[k] previous", self.page > 0),
            )
            if works
        )
        where = (
            f"lines {first + 1}–{first + len(shown)} of {len(lines)} · {turns}"
            if self.pages > 1
            else ""
        )
        self.console.clear()
        self._emit(header)
        self._emit(self._lines(Rule(style="dim")))
        self._emit(shown)
        self._emit(self._lines(Rule(Text(where), style="dim", align="right")))
        self._emit(keys)
        self._emit(said)

    def _lines(self, renderable: RenderableType) -> list[list[Segment]]:
        options = self.console.options.update(width=self.console.width)
        return self.console.render_lines(renderable, options, pad=False, new_lines=False)

    def _emit(self, lines: Sequence[Sequence[Segment]]) -> None:
        segments = [s for line in lines for s in (*line, Segment.line())]
        self.console.print(Segments(segments), end="")

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

    def _ranking_text(self, record: Record) -> list[Text]:
        lines = []
        if self.ranker is not None:
            relevance = self.ranker.relevance(record.id)
            terms = self.ranker.terms(record.id)
            line = Text("Relevance: ", style="bold")
            line.append(f"{relevance:.2f}" if relevance is not None else "unknown")
            line.append(f" ({self.ranker.describe()})", style="dim")
            if terms:
                line.append("; weighed most: " + ", ".join(terms))
            lines.append(line)
        return lines

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
        text.append(self._criteria_parts())
        return text

    def _criteria_parts(self) -> str:
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
        return "; ".join(parts)


def _packed(keys: str, width: int, between: str = "  ") -> str:
    """The keys line ("[i] include  [e] exclude  …") broken between keys, never inside one
    ("[q]" on one line and "quit" on the next); the progress line ("… · record 3 of 4 ·
    2 decided, 2 to go") between its parts."""
    lines: list[str] = []
    for key in keys.split(between):
        if lines and len(lines[-1]) + len(between) + len(key) <= width:
            lines[-1] += between + key
        else:
            lines.append(key)
    return "\n".join(lines)


def _cut(lines: list[list[Segment]], most: int) -> list[list[Segment]]:
    """At most `most` lines, the last ending in an ellipsis when some were cut."""
    if len(lines) <= most:
        return lines
    kept = lines[:most]
    return [*kept[:-1], [*kept[-1], Segment(" …")]]


def _byline(record: Record) -> str:
    names = [a.display for a in record.authors[:AUTHORS_SHOWN]]
    if len(record.authors) > AUTHORS_SHOWN:
        names.append("et al.")
    parts = [", ".join(names) or "(no authors)", record.journal or record.journal_abbrev]
    parts.append(str(record.year) if record.year else "")
    if record.pmid:
        parts.append(f"PMID {record.pmid}")
    if record.doi:
        parts.append(f"doi:{record.doi}")
    if record.id != record.pmid:  # the ID decisions are stored under, when not the PMID
        parts.append(f"ID {record.id}")
    return " · ".join(p for p in parts if p)


def console_for_terminal() -> Console:
    """The console the command draws on: the real terminal, highlighting on."""
    console = printable_console(highlight=False)  # record text cannot steer the terminal
    with suppress(Exception):
        console.set_window_title("review screen")
    return console
