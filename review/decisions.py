"""Durable human screening decisions: an SQLite file in the review's own folder.

Decisions are user data. They live beside the protocol
(`<protocol dir>/<protocol name>.decisions.sqlite`), never in `cache/` or
`reports/`, which are disposable. Every decision is its own transaction in a
WAL database with synchronous=FULL, so a crash, Ctrl-C or a closed terminal
loses nothing that was already acknowledged.

Rows are only ever added: an undo marks a row undone, and a second reviewer
or a resolution adds rows beside the first. A reviewer's current decision on a
record is their latest row by its time (`at`) that is not undone, so an older
sheet imported later adds to the history without taking anything back; the
final decision on a record is a resolution if there is one, else the
reviewers' common answer once
`reviewers_required` of them gave it (the protocol's `[screening]` setting; until
then it is awaiting more votes, needs-human), else a conflict (needs-human).

One rule says when two decisions agree, for conflicts and for kappa alike
(`AGREEMENT_RULE`): the same outcome and, for exclusions, the same reason.
Unsure is an answer of its own, so unsure against include or exclude is a
conflict, and two different exclusion reasons are a conflict too: the PRISMA
report counts each excluded record under one reason, so a person must choose it.

A reviewer's title/abstract decision is always stored, also when it disagrees
with the others after someone decided the record's full text: the record then
stands as a conflict like any other, and its full-text decision is kept but not
counted until the conflict is resolved as include (`review.screen.held_full_text`),
so the PRISMA counts (full-text reports only among those sought) always add up.
A new full-text decision on a record people do not include at title/abstract is
refused, and so is an undo that would leave a decided full text with no person's
word at title/abstract; neither message names another reviewer's answer.
"""

from __future__ import annotations

import csv
import sqlite3
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, cast

from review.errors import DecisionError
from review.formats import write_replacing
from review.formats.table import neutralise, unneutralise
from review.formats.textfile import unreadable_file
from review.protocol import Protocol
from review.screen import STAGES, Decision, Outcome, Stage
from review.sqlite_wal import connect_in_wal_mode

__all__ = [
    "AGREEMENT_RULE",
    "CSV_COLUMNS",
    "OUTCOMES",
    "RESERVED_NAMES",
    "Agreement",
    "Conflict",
    "DecisionStore",
    "cohens_kappa",
    "decisions_path",
    "now",
    "shared_decision",
]

OUTCOMES: tuple[Outcome, ...] = ("include", "exclude", "needs-human", "not-retrieved")
CSV_COLUMNS = ("record_id", "stage", "outcome", "reason", "reviewer", "at", "note", "kind")
Kind = Literal["decision", "resolution"]
KINDS: tuple[Kind, ...] = ("decision", "resolution")
SCHEMA_VERSION = 1
_ROW_COLUMNS = "record_id, stage, outcome, reason, reviewer, at, note, kind"
# How long a write waits for another process (a second screener, an import) to finish.
BUSY_TIMEOUT_S = 30.0
# Names the store uses for what no reviewer said: the rules, a conflict, a record
# still awaiting the votes `reviewers_required` asks for.
RESERVED_NAMES = ("rules", "conflict", "awaiting")
AGREEMENT_RULE = (
    "Two reviewers agree on a record when they give the same outcome and, for an "
    "exclusion, the same reason. Unsure is an answer of its own: unsure against include "
    "or exclude is a disagreement, and so are two different exclusion reasons. The same "
    "rule makes conflicts and counts agreement for Cohen's kappa, whose categories are "
    "therefore include, unsure, not retrieved and one per exclusion reason."
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('title-abstract', 'full-text')),
    outcome TEXT NOT NULL
        CHECK (outcome IN ('include', 'exclude', 'needs-human', 'not-retrieved')),
    reason TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT 'decision' CHECK (kind IN ('decision', 'resolution')),
    undone_at TEXT
);
CREATE INDEX IF NOT EXISTS decisions_by_record ON decisions (record_id, stage);
"""


def decisions_path(protocol: Protocol) -> Path:
    """Where a review's decisions live: beside its protocol file."""
    return protocol.path.parent / f"{protocol.name}.decisions.sqlite"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Conflict:
    """Reviewers disagree on a record at a stage; `decisions` has one per reviewer."""

    record_id: str
    stage: Stage
    decisions: tuple[Decision, ...]


@dataclass(frozen=True, slots=True)
class Agreement:
    """Cohen's kappa between two reviewers over the records both decided."""

    first: str
    second: str
    stage: Stage
    records: int
    observed: float  # proportion of records with the same outcome
    expected: float  # agreement expected by chance from each reviewer's rates
    kappa: float | None  # None when chance agreement is 1 (kappa is undefined)


def cohens_kappa(pairs: Sequence[tuple[str, str]]) -> tuple[float, float, float | None]:
    """(observed, expected, kappa) for paired ratings; kappa None when undefined."""
    if not pairs:
        return 0.0, 0.0, None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in first) / (n * n)
    if expected >= 1.0:
        return observed, expected, None
    return observed, expected, (observed - expected) / (1.0 - expected)


class DecisionStore:
    """Human decisions for one review; use as a context manager or call `close`.

    `reason_codes`, when given, are the only exclusion reasons accepted (the
    protocol's `Criteria.reason_codes()`), so a typo cannot create a new reason.
    `reviewers_required` reviewers must agree before a record is decided.
    """

    def __init__(
        self,
        path: Path,
        reason_codes: Collection[str] = (),
        reviewers_required: int = 1,
        *,
        timeout_s: float = BUSY_TIMEOUT_S,
    ) -> None:
        self.path = path
        self.reason_codes = frozenset(reason_codes)
        self.reviewers_required = reviewers_required
        self.timeout_s = timeout_s
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # FULL: a decision acknowledged on screen survives even a power cut.
            self._db = connect_in_wal_mode(path, timeout_s=timeout_s, synchronous="FULL")
        except (OSError, sqlite3.DatabaseError) as exc:
            raise self._cannot_open(exc) from None
        try:
            self._db.executescript(_SCHEMA)
            self._check_version()
        except BaseException as exc:
            self._db.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise self._cannot_open(exc) from None
            raise

    def _cannot_open(self, exc: OSError | sqlite3.DatabaseError) -> DecisionError:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        code = getattr(exc, "sqlite_errorname", "")
        # A full disk shows as SQLITE_FULL, or as an I/O error making the -shm file.
        if code.startswith(("SQLITE_FULL", "SQLITE_IOERR")):
            advice = "is the disk full? Free some space, check the folder is writable"
        else:
            advice = "check the file is a review decisions file and the folder is writable"
        return DecisionError(
            f"{self.path}: cannot open the decisions database ({detail}); {advice}; "
            "nothing stored in it was changed."
        )

    @classmethod
    def for_protocol(cls, protocol: Protocol) -> DecisionStore:
        codes = [code for code, _ in protocol.criteria.reason_codes()]
        return cls(decisions_path(protocol), codes, protocol.screening.reviewers_required)

    def _check_version(self) -> None:
        with self._transaction():
            row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
            elif row[0] != str(SCHEMA_VERSION):
                raise DecisionError(
                    f"{self.path}: decisions schema {row[0]} is not {SCHEMA_VERSION}; "
                    "use the version of review that wrote it."
                )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> DecisionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT, all or nothing; SQLite's errors as DecisionError."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._rollback()
                raise
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self._rollback()
            raise self._cannot_save(exc) from None

    def _rollback(self) -> None:
        # After some errors (SQLITE_FULL among them) SQLite has rolled back already, and
        # a second ROLLBACK would raise instead of the error that says what to do.
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def _cannot_save(self, exc: sqlite3.DatabaseError) -> DecisionError:
        code = getattr(exc, "sqlite_errorname", "")
        if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            advice = (
                f"another program is writing to this decisions file and did not finish "
                f"within {self.timeout_s:g} s ({exc}); try again when it has (another "
                "screener or `review decisions import`?)"
            )
        elif code.startswith("SQLITE_FULL"):
            advice = (
                f"cannot save decisions ({exc}); is the disk full? Free some space and try again"
            )
        else:
            advice = f"cannot save decisions ({exc}); check the disk and that the file is writable"
        return DecisionError(f"{self.path}: {advice}; nothing of this change was stored.")

    # --- writing ---------------------------------------------------------------------

    def validate(self, decision: Decision) -> str:
        """Why the decision cannot be stored, or "" when it can."""
        if not decision.record_id.strip():
            return "the record ID is empty"
        if decision.stage not in STAGES:
            return f"stage {decision.stage!r} is not one of {', '.join(STAGES)}"
        if decision.outcome not in OUTCOMES:
            return f"outcome {decision.outcome!r} is not one of {', '.join(OUTCOMES)}"
        if decision.outcome == "not-retrieved" and decision.stage != "full-text":
            return "not-retrieved is a full-text outcome"
        if not decision.by.strip() or decision.by in RESERVED_NAMES:
            return f"give the reviewer's name ({', '.join(RESERVED_NAMES)} are reserved)"
        if decision.outcome == "exclude" and not decision.reason:
            return "an exclusion needs a reason code"
        if decision.outcome != "exclude" and decision.reason:
            return f"a reason ({decision.reason!r}) belongs only to an exclusion"
        if decision.reason and self.reason_codes and decision.reason not in self.reason_codes:
            return (
                f"reason {decision.reason!r} is not one of the protocol's codes "
                f"({', '.join(sorted(self.reason_codes))})"
            )
        return ""

    def add(self, decision: Decision, kind: Kind = "decision") -> Decision:
        """Store one decision in its own transaction; returns it with its time set."""
        problem = self.validate(decision)
        if problem:
            raise DecisionError(f"{decision.record_id}: {problem}; nothing was stored.")
        stored = _with_time(decision)
        with self._transaction():
            self._insert(stored, kind)
            if stored.stage == "full-text":
                self._refuse_full_text_not_sought({stored.record_id}, "decision")
        return stored

    def _insert(self, d: Decision, kind: Kind) -> None:
        self._db.execute(
            "INSERT INTO decisions (record_id, stage, outcome, reason, reviewer, at, note, kind)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (d.record_id, d.stage, d.outcome, d.reason, d.by, d.at, d.note, kind),
        )

    def resolve(self, decision: Decision, copies: Collection[str] = ()) -> Decision:
        """Record how a conflict was settled; `decision.by` is who settled it.

        Only a record whose reviewers disagree at that stage can be resolved (again,
        if an earlier resolution was wrong), so a mistyped ID or an agreed record is
        refused rather than stored. `copies` are the other copies of the record (its
        duplicate group, `review.identity`): decisions on them count as on it, so a
        clash between copies is resolved on the group's main copy.
        """
        by_record = self._by_record(decision.stage)
        ids = dict.fromkeys([decision.record_id, *copies])
        found = [d for rid in ids for d in by_record.get((rid, decision.stage), ())]
        group = found or None
        if group is None:
            raise DecisionError(
                f"{decision.record_id}: no reviewer has decided it at {decision.stage}, so "
                "there is nothing to resolve; check the ID (`review decisions conflicts` "
                "lists the conflicts); nothing was stored."
            )
        if not _disagree(group):
            who = _names([d.by for d in group])
            verb = "alone decided it" if len(group) == 1 else "agree"
            raise DecisionError(
                f"{decision.record_id}: {who} {verb} at {decision.stage} ({_answer(group[0])}), "
                "so there is no conflict to resolve; to change a decision, screen it again "
                "or undo it (`review decisions undo`); nothing was stored."
            )
        return self.add(decision, "resolution")

    def undo_last(self, reviewer: str, stage: Stage) -> Decision | None:
        """Mark the reviewer's latest decision at this stage undone; returns it."""
        return self._undo(reviewer, stage, None)

    def undo_record(self, record_id: str, reviewer: str, stage: Stage) -> Decision | None:
        """Mark the reviewer's current decision on one record undone; returns it."""
        return self._undo(reviewer, stage, record_id)

    def _undo(self, reviewer: str, stage: Stage, record_id: str | None) -> Decision | None:
        with self._transaction():
            mine = self._current_rows(stage, reviewer, "decision", record_id)
            if not mine:
                return None
            row_id, undone = mine[-1]  # of the current decisions, the one stored last
            self._db.execute("UPDATE decisions SET undone_at=? WHERE id=?", (now(), row_id))
            if stage == "title-abstract":
                self._refuse_undo_under_full_text(undone.record_id)
        return undone

    def _refuse_full_text_not_sought(
        self, record_ids: Collection[str], change: Literal["decision", "import"]
    ) -> None:
        """Raise (rolling the open transaction back) when a new full-text decision names
        a record people do not include at title/abstract: it has no full text to decide.

        With no person's word at title/abstract the rules may have included it, so the
        decision is taken. The message names no reviewer and no answer: a reviewer
        screening blind learns nothing of the others.
        """
        if not record_ids:
            return
        standing = {d.record_id: d for d in self.final_decisions("title-abstract")}
        for record_id in sorted(record_ids):
            now_stands = standing.get(record_id)
            if now_stands is None or now_stands.outcome == "include":
                continue
            if now_stands.outcome == "exclude":
                state, advice = "excluded", "change its title/abstract decision first"
            elif now_stands.by == "conflict":
                state = "a conflict between reviewers"
                advice = "resolve the conflict first (`review decisions conflicts` lists it)"
            elif now_stands.by == "awaiting":
                state = "waiting for more reviewers"
                advice = "it needs more reviewers at title/abstract first"
            else:
                state, advice = "unsure", "decide its title/abstract first"
            raise DecisionError(
                f"{record_id}: it stands at title/abstract as {state}, and only a record "
                f"included there has a full text to decide; {advice}; this {change} was "
                "not stored."
            )

    def _refuse_undo_under_full_text(self, record_id: str) -> None:
        """Raise (rolling back) when an undo would leave no person's word at
        title/abstract on a record whose full text someone decided.

        A full-text decision keeps its record included when no person has decided
        the title/abstract (`review.screen.effective_decisions`), so such an undo
        would change nothing that counts. Any other undo is taken: a full-text
        decision on a record that no longer stands as included waits, kept in the
        store but not counted (`review.screen.held_full_text`).
        """
        if any(d.record_id == record_id for d in self.final_decisions("title-abstract")):
            return
        full_text = self._current_rows("full-text", None, "decision", record_id)
        if not full_text:
            return
        by = full_text[-1][1].by
        raise DecisionError(
            f"{record_id}: after this undo no reviewer's title/abstract decision would "
            f"remain, yet {by} decided its full text, which keeps it included; undo the "
            f"full-text decision first (review decisions undo PROTOCOL {record_id} --stage "
            f"full-text --reviewer {by}); nothing was changed."
        )

    # --- reading ---------------------------------------------------------------------

    def current(
        self, stage: Stage | None = None, reviewer: str | None = None, kind: Kind = "decision"
    ) -> tuple[Decision, ...]:
        """Each reviewer's latest decision per record (and stage), undone ones left out."""
        return tuple(d for _, d in self._current_rows(stage, reviewer, kind))

    def _current_rows(
        self,
        stage: Stage | None = None,
        reviewer: str | None = None,
        kind: Kind = "decision",
        record_id: str | None = None,
    ) -> list[tuple[int, Decision]]:
        """(row id, decision) of each current decision, in the order they were stored.

        Latest means latest by its time `at`, not the row stored last: importing an
        older sheet adds to the history without taking back a newer decision. Of two
        decisions at the same time, the one stored last counts.
        """
        query = (
            "SELECT id, record_id, stage, outcome, reason, reviewer, at, note FROM decisions"
            " WHERE undone_at IS NULL AND kind=?"
        )
        params: list[str] = [kind]
        for column, value in (("stage", stage), ("reviewer", reviewer), ("record_id", record_id)):
            if value is not None:
                query += f" AND {column}=?"
                params.append(value)
        latest: dict[tuple[str, str, str], tuple[datetime, int, Decision]] = {}
        for row in self._db.execute(query + " ORDER BY id", params):
            d = _decision(row[1:])
            when = _instant(d.at)
            key = (d.record_id, d.stage, d.by)
            held = latest.get(key)
            if held is None or when >= held[0]:
                latest[key] = (when, row[0], d)
        return sorted(((row_id, d) for _, row_id, d in latest.values()), key=lambda t: t[0])

    def reviewers(self, stage: Stage | None = None) -> tuple[str, ...]:
        return tuple(sorted({d.by for d in self.current(stage)}))

    def _by_record(self, stage: Stage | None) -> dict[tuple[str, Stage], list[Decision]]:
        grouped: dict[tuple[str, Stage], list[Decision]] = {}
        for d in self.current(stage):
            grouped.setdefault((d.record_id, d.stage), []).append(d)
        return grouped

    def conflicts(self, stage: Stage | None = None) -> tuple[Conflict, ...]:
        """Records whose reviewers disagree (outcome or exclusion reason), unresolved."""
        resolved = {(d.record_id, d.stage) for d in self.current(stage, kind="resolution")}
        return tuple(
            Conflict(record_id, st, tuple(group))
            for (record_id, st), group in self._by_record(stage).items()
            if (record_id, st) not in resolved and _disagree(group)
        )

    def final_decisions(self, stage: Stage | None = None) -> tuple[Decision, ...]:
        """One human decision per record and stage: resolution, agreement, or conflict.

        A conflict comes back as needs-human by "conflict" with a note naming each
        reviewer's answer, so it can neither include nor exclude until someone
        resolves it; an agreement of fewer than `reviewers_required` reviewers comes
        back as needs-human by "awaiting", its note saying who answered what.
        """
        resolutions = {(d.record_id, d.stage): d for d in self.current(stage, kind="resolution")}
        final = []
        for key, group in self._by_record(stage).items():
            if key in resolutions:
                final.append(resolutions.pop(key))
            elif _disagree(group):
                answers = "; ".join(f"{d.by}: {_answer(d)}" for d in group)
                latest = max(d.at for d in group)
                final.append(
                    Decision(key[0], key[1], "needs-human", by="conflict", at=latest, note=answers)
                )
            elif len(group) < self.reviewers_required:
                answers = "; ".join(f"{d.by}: {_answer(d)}" for d in group)
                latest = max(d.at for d in group)
                note = f"{answers}; {len(group)} of {self.reviewers_required} reviewers"
                final.append(
                    Decision(key[0], key[1], "needs-human", by="awaiting", at=latest, note=note)
                )
            else:
                final.append(shared_decision(group))
        final.extend(resolutions.values())
        return tuple(final)

    def agreement(self, first: str, second: str, stage: Stage) -> Agreement:
        """Cohen's kappa over the answers to records both reviewers decided.

        Answers are compared by `AGREEMENT_RULE`, the rule that makes conflicts.
        """
        mine = {d.record_id: _answer(d) for d in self.current(stage, first)}
        theirs = {d.record_id: _answer(d) for d in self.current(stage, second)}
        pairs = [(mine[r], theirs[r]) for r in mine if r in theirs]
        if not pairs:
            raise DecisionError(
                f"{self.path}: {first} and {second} have no {stage} decisions on the same "
                "records; kappa needs both to screen some of the same records."
            )
        observed, expected, kappa = cohens_kappa(pairs)
        return Agreement(first, second, stage, len(pairs), observed, expected, kappa)

    # --- CSV -------------------------------------------------------------------------

    def export_csv(self, path: Path) -> int:
        """Write current decisions and resolutions; returns how many rows."""
        rows = [(d, "decision") for d in self.current()]
        rows += [(d, "resolution") for d in self.current(kind="resolution")]

        def write(partial: Path) -> int:
            with partial.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(CSV_COLUMNS)
                for d, kind in rows:
                    cells = (d.record_id, d.stage, d.outcome, d.reason, d.by, d.at, d.note, kind)
                    writer.writerow([neutralise(cell) for cell in cells])
            return len(rows)

        # Replaced whole or not at all, as record exports are; cells a spreadsheet
        # would run as formulas are neutralised as in record exports (import undoes it).
        return write_replacing(path, write)

    def import_csv(self, path: Path, known_ids: Collection[str]) -> int:
        """Add the rows of a decisions CSV, all or none; returns how many were new.

        Rows with an empty outcome are undecided and skipped. A row identical to one
        already stored (or to an earlier line) is skipped, so importing twice adds
        nothing. A row with a time joins the history at that time, so an older sheet
        never takes back a newer decision; a row without one is decided now, and is
        skipped when it says what the reviewer's decision already says.
        Unknown record IDs and invalid values refuse the whole file, naming lines.
        """
        parsed = _read_csv(path)
        stamp = now()
        problems = []
        accepted: list[tuple[Decision, Kind]] = []
        for line, row in parsed:
            decision, kind, problem = self._row_decision(row, known_ids, stamp)
            if problem:
                problems.append(f"line {line}: {problem}")
            elif decision is not None:
                accepted.append((decision, kind))
        if problems:
            shown = "; ".join(problems[:10])
            more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
            raise DecisionError(
                f"{path}: {shown}{more}; nothing was imported — fix these lines and import again."
            )
        stored = set(self._db.execute("SELECT " + _ROW_COLUMNS + " FROM decisions"))
        standing = {
            (d.record_id, d.stage, d.by, kind): d for kind in KINDS for d in self.current(kind=kind)
        }
        new = []
        for d, kind in accepted:
            cells = (d.record_id, d.stage, d.outcome, d.reason, d.by, d.at, d.note, kind)
            key = (d.record_id, d.stage, d.by, kind)
            if cells in stored or (d.at == stamp and _same(standing.get(key), d)):
                continue
            stored.add(cells)
            held = standing.get(key)
            if held is None or _instant(d.at) >= _instant(held.at):
                standing[key] = d
            new.append((d, kind))
        with self._transaction():
            for d, kind in new:
                self._insert(d, kind)
            try:
                self._refuse_full_text_not_sought(
                    {d.record_id for d, _ in new if d.stage == "full-text"}, "import"
                )
            except DecisionError as exc:
                raise DecisionError(f"{path}: {exc}") from None
        return len(new)

    def _row_decision(
        self, row: dict[str, str], known_ids: Collection[str], stamp: str
    ) -> tuple[Decision | None, Kind, str]:
        get = {k: unneutralise((row.get(k) or "").strip()) for k in CSV_COLUMNS}
        kind = get["kind"] or "decision"
        if kind not in ("decision", "resolution"):
            return None, "decision", f"kind {kind!r} is not decision or resolution"
        if get["record_id"] not in known_ids:
            return None, "decision", f"unknown record ID {get['record_id']!r}"
        if not get["outcome"]:
            return None, "decision", ""
        decision = Decision(
            record_id=get["record_id"],
            stage=cast(Stage, get["stage"] or "title-abstract"),
            outcome=cast(Outcome, get["outcome"]),
            reason=get["reason"],
            by=get["reviewer"],
            at=get["at"] or stamp,
            note=unneutralise(row.get("note") or ""),  # a note is kept exactly as written
        )
        if get["at"] and not _is_iso_time(get["at"]):
            return None, "decision", f"at {get['at']!r} is not an ISO 8601 time"
        return decision, cast(Kind, kind), self.validate(decision)


def _read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c for c in ("record_id", "outcome", "reviewer") if c not in header]
            if missing:
                raise DecisionError(
                    f"{path}: line 1: missing column(s) {', '.join(missing)}; "
                    f"expected {', '.join(CSV_COLUMNS)}; nothing was imported."
                )
            rows = []
            ended = reader.line_num  # a quoted cell may span lines: name the row's first
            for row in reader:
                rows.append((ended + 1, row))
                ended = reader.line_num
            return rows
    except OSError as exc:
        raise unreadable_file(path, exc) from None
    except UnicodeDecodeError as exc:
        raise DecisionError(f"{path}: not UTF-8 (byte {exc.start}); save it as UTF-8.") from None
    except csv.Error as exc:
        raise DecisionError(f"{path}: not a readable CSV ({exc}); nothing was imported.") from None


def _instant(at: str) -> datetime:
    """An ISO 8601 time as an instant to compare; a time without an offset is UTC."""
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)  # never stored: import checks times
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _is_iso_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _decision(row: Sequence[str]) -> Decision:
    record_id, stage, outcome, reason, reviewer, at, note = row
    return Decision(
        record_id, cast(Stage, stage), cast(Outcome, outcome), reason, reviewer, at=at, note=note
    )


def _with_time(decision: Decision) -> Decision:
    if decision.at:
        return decision
    return Decision(
        decision.record_id,
        decision.stage,
        decision.outcome,
        decision.reason,
        decision.by,
        decision.matched,
        decision.unmatched,
        now(),
        decision.note,
    )


def _answer(d: Decision) -> str:
    return f"exclude ({d.reason})" if d.outcome == "exclude" else d.outcome


def shared_decision(group: Sequence[Decision]) -> Decision:
    """The one decision people agree on, credited to each of them in the order they
    decided, with each one's note, at the time the last of them decided.

    Used for reviewers of one record and for the copies of one duplicate group.
    """
    if len(group) == 1:
        return group[0]
    in_order = sorted(group, key=lambda d: _instant(d.at))
    notes = [(d.by, d.note) for d in in_order if d.note]
    note = notes[0][1] if len(notes) == 1 else "; ".join(f"{by}: {n}" for by, n in notes)
    names = list(dict.fromkeys(d.by for d in in_order))
    return replace(in_order[-1], by=_names(names), note=note)


def _names(names: Sequence[str]) -> str:
    """'ann', 'ann and bob', 'ann, bob and cara'."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _disagree(group: Iterable[Decision]) -> bool:
    """`AGREEMENT_RULE`: outcome and exclusion reason, unsure an answer of its own."""
    return len({_answer(d) for d in group}) > 1


def _same(old: Decision | None, new: Decision) -> bool:
    return old is not None and (old.outcome, old.reason, old.note) == (
        new.outcome,
        new.reason,
        new.note,
    )
