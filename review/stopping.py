"""When it is reasonably safe to stop screening: Callaghan & Müller-Hansen (2020).

The hypergeometric stopping rule ("buscar"): treat the last k records screened,
for every k, as a sample drawn from themselves plus the records nobody has
screened yet. If fewer than `target` of all relevant records had been found,
that pool would hold at least K relevant records, and a sample of k holding as
few relevant ones as it did would be unlikely. The p-value is the smallest such
probability over all k; when it is below 1 - confidence, the reviewer may stop
and say: "we reject, at 95 % confidence, that recall is below 95 %".

Callaghan, M. W. & Müller-Hansen, F. (2020). Statistical stopping criteria for
automated screening in systematic reviews. Systematic Reviews 9, 273.
https://doi.org/10.1186/s13643-020-01521-4

Records are assumed to have been screened in ranked order (most likely relevant
first): the test then errs on the safe side, since the sample is richer in
relevant records than a random one would be.

How many relevant records may remain (`remaining_bound`) comes from the same
test, asked of every count m instead of the one the recall target implies:
"at least m relevant records are still unscreened" is rejected at the rule's
confidence for every m above the bound. The rule says stop exactly when that
bound is below the count at which recall would miss the target.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from review.protocol import Protocol
from review.screen import Decision

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_RULE",
    "DEFAULT_TARGET",
    "StopRule",
    "StopStatus",
    "StopTracker",
    "first_stop",
    "p_value",
    "people_screen",
    "people_tracker",
    "protocol_rule",
    "remaining_bound",
    "screening_stop",
    "stop_status",
    "unscreened_statement",
]

DEFAULT_TARGET = 0.95
DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True, slots=True)
class StopRule:
    target: float = DEFAULT_TARGET  # recall the reviewer wants
    confidence: float = DEFAULT_CONFIDENCE

    def describe(self) -> str:
        return (
            f"hypergeometric stopping rule (Callaghan & Müller-Hansen 2020), recall target "
            f"{self.target:.0%}, confidence {self.confidence:.0%}"
        )


DEFAULT_RULE = StopRule()


def protocol_rule(protocol: Protocol) -> StopRule:
    """The rule as the protocol sets it ([screening] stop_recall, stop_confidence)."""
    return StopRule(protocol.screening.stop_recall, protocol.screening.stop_confidence)


@dataclass(frozen=True, slots=True)
class StopStatus:
    rule: StopRule
    screened: int  # records decided, in order
    total: int  # records in the pool being screened (decided + not yet)
    relevant: int  # relevant records found so far
    p: float  # p-value of "recall is below the target"
    fired_at: int | None  # records screened when the rule first said stop (None: not yet)
    # at most this many relevant records are still unscreened, with the rule's confidence
    # (`remaining_bound`: the same hypergeometric test)
    remaining_at_most: int
    fired_when: str = ""  # time of the decision at which the rule first said stop

    @property
    def safe_to_stop(self) -> bool:
        return self.fired_at is not None

    def describe(self) -> str:
        left = self.total - self.screened
        if not self.screened:
            return (
                f"Nothing screened yet: {left} record{' awaits' if left == 1 else 's await'} "
                f"a person. The stopping rule (recall target {self.rule.target:.0%}, "
                f"confidence {self.rule.confidence:.0%}) does not apply yet: it judges from "
                "the records people have screened in ranked order."
            )
        if self.safe_to_stop:
            when = f" ({self.fired_when[:16].replace('T', ' ')})" if self.fired_when else ""
            head = (
                f"Stopping rule met after {self.fired_at} of {self.total} records{when} "
                f"(p = {self.p:.3f}): recall is at least {self.rule.target:.0%} with "
                f"{self.rule.confidence:.0%} confidence; "
                f"{left} record{'' if left == 1 else 's'} may stay unscreened."
            )
        else:
            head = (
                f"Stopping rule not met (p = {self.p:.3f} ≥ {1 - self.rule.confidence:.2f} "
                f"for {self.rule.target:.0%} recall): keep screening."
            )
        if not left:
            return f"{head} Found {self.relevant} relevant."
        return (
            f"{head} Found {self.relevant} relevant; at most {self.remaining_at_most} more "
            f"among the {left} unscreened ({self.rule.confidence:.0%} upper bound)."
        )

    def brief(self) -> str:
        """`describe` in about a line of 80 characters, for the terminal screener's
        header: whether the rule is met, what was found and the bound on what is left.
        (The p-value and the unscreened count are in `describe`, said when it closes.)"""
        if not self.screened:
            return "stopping rule: nothing screened yet"
        state = (
            f"stopping rule met at record {self.fired_at}"
            if self.safe_to_stop
            else "stopping rule not met"
        )
        if self.total == self.screened:
            return f"{state}: {self.relevant} relevant found, none left unscreened"
        return (
            f"{state}: {self.relevant} relevant found, at most {self.remaining_at_most} "
            f"more ({self.rule.confidence:.0%} bound)"
        )


def p_value(labels: Sequence[int], total: int, target: float = DEFAULT_TARGET) -> float:
    """P-value of H0 "recall < target" after screening `labels` (1 relevant) in order."""
    samples = _samples(labels, total)
    if samples is None:
        return 1.0
    found, sample_relevant, sizes, pools = samples
    # Smallest number of relevant records the pool (sample + unscreened) holds under H0.
    k_hat = np.floor(found / target - (found - sample_relevant) + 1)
    if (k_hat > pools).any():
        # Even if every record of that pool were relevant, recall would reach the target.
        return 0.0
    return _smallest_p(sample_relevant, pools, k_hat, sizes)


def remaining_bound(
    labels: Sequence[int],
    total: int,
    confidence: float = DEFAULT_CONFIDENCE,
    *,
    near: int | None = None,
) -> int:
    """At most how many relevant records the `total - len(labels)` unscreened hold, with
    `confidence`: the largest m for which the test of "at least m remain" is not rejected.

    The test is `p_value`'s with m in place of the count the recall target implies:
    for the last k records screened, holding r relevant, the k and the unscreened
    would hold at least r + m relevant, and a sample of k holding r or fewer has
    probability `hypergeom.cdf(r, pool, r + m, k)`, the smallest over k.

    That probability falls as m grows, so the bound is found by bisection; `near`
    (the bound one decision ago, which a decision moves little) starts the search
    there, so a screening session asks the test a few times per decision, not ~log2(left).
    """
    left = total - len(labels)
    samples = _samples(labels, total)
    if samples is None or left <= 0:
        return max(left, 0)
    _found, sample_relevant, sizes, pools = samples
    alpha = 1 - confidence

    def rejected(m: int) -> bool:
        return _smallest_p(sample_relevant, pools, sample_relevant + m, sizes) < alpha

    # The largest m not rejected lies in [low, high): low is not rejected (m = 0 never
    # is: p = 1), high is, or high = left + 1.
    low, high = 0, left + 1
    if near is not None:
        near = min(max(near, 0), left)
        step = 1
        if rejected(near):
            high = near
            while high - step > 0 and rejected(high - step):
                high -= step
                step *= 2
            low = max(0, high - step)
        else:
            low = near
            while low + step <= left and not rejected(low + step):
                low += step
                step *= 2
            high = min(left + 1, low + step)
    elif not rejected(left):
        return left
    else:
        high = left
    return _first_true(rejected, low, high) - 1


def _first_true(predicate: Callable[[int], bool], low: int, high: int) -> int:
    """The smallest n in (low, high] for which `predicate` holds, by bisection: it must
    hold at `high`, not at `low`, and flip once between them."""
    while high - low > 1:
        middle = (low + high) // 2
        if predicate(middle):
            high = middle
        else:
            low = middle
    return high


FloatArray = npt.NDArray[np.float64]


def _samples(
    labels: Sequence[int], total: int
) -> tuple[int, FloatArray, FloatArray, FloatArray] | None:
    """(relevant found, and for each sample of the last k screened that the test needs:
    relevant in it, k, and k plus the unscreened); None before any decision."""
    seen = np.asarray(labels, dtype=np.int64)
    n = len(seen)
    if n == 0 or total <= 0:
        return None
    sample_relevant = np.cumsum(seen[::-1]).astype(np.float64)  # among the last k, k = 1..n
    sizes = np.arange(1, n + 1, dtype=np.float64)
    # Within a run of irrelevant records the sample's relevant count, and so K below,
    # stay the same while the sample grows, and the p-value can only fall; the
    # smallest p is at the end of a run: just before an older relevant record, or k = n.
    ends = np.flatnonzero(np.append(seen[::-1][1:] == 1, True))
    sample_relevant, sizes = sample_relevant[ends], sizes[ends]
    return int(seen.sum()), sample_relevant, sizes, total - n + sizes


def _smallest_p(
    sample_relevant: FloatArray, pools: FloatArray, pool_relevant: FloatArray, sizes: FloatArray
) -> float:
    from scipy.stats import hypergeom

    return float(np.min(hypergeom.cdf(sample_relevant, pools, pool_relevant, sizes)))


def first_stop(labels: Sequence[int], total: int, rule: StopRule = DEFAULT_RULE) -> int | None:
    """How many records had been screened when the rule first said stop (None: never).

    Replaying the test after every decision costs minutes once thousands are decided,
    but an irrelevant record never raises the p-value: each sample of the last k is
    then the former sample of the last k - 1 grown by one record, with the same pool
    and the same relevant count, so it is no likelier to hold so few relevant. The
    p-value is thus non-increasing from a relevant record to the next, and the test is
    asked at the end of each such stretch, and by bisection within the one where it
    first falls below the level.
    """
    seen = [int(label) for label in labels]
    alpha = 1 - rule.confidence

    def stops(n: int) -> bool:
        return p_value(seen[:n], total, rule.target) < alpha

    # Prefix lengths that end in a relevant record; before the first, nothing relevant
    # has been found and there is no recall to estimate.
    starts = [n for n, label in enumerate(seen, start=1) if label == 1]
    ends = [s - 1 for s in starts[1:]] + [len(seen)] * bool(starts)
    for start, end in zip(starts, ends, strict=True):
        if not stops(end):
            continue
        # start - 1 ended the stretch before (no stop there) or precedes the first relevant
        return _first_true(stops, start - 1, end)
    return None


def stop_status(
    labels: Sequence[int],
    total: int,
    rule: StopRule = DEFAULT_RULE,
    *,
    fired_at: int | Literal["replay"] | None = "replay",
    bound_near: int | None = None,
    p: float | None = None,
) -> StopStatus:
    """Where screening `labels` (in the order decided) of `total` records stands.

    `fired_at` when already known (a `StopTracker`), else the history is replayed;
    `bound_near` where to start looking for the bound on what remains (`remaining_bound`);
    `p` the p-value when already computed for these labels.
    """
    seen = list(labels)
    return StopStatus(
        rule,
        len(seen),
        total,
        sum(seen),
        p_value(seen, total, rule.target) if p is None else p,
        first_stop(seen, total, rule) if fired_at == "replay" else fired_at,
        remaining_bound(seen, total, rule.confidence, near=bound_near),
    )


class StopTracker:
    """The rule followed decision by decision, as a screening session needs it.

    Checking costs one p-value per decision, so the screener stays quick however
    many records have been decided; `first_stop` replays the whole history once.
    """

    def __init__(
        self,
        total: int,
        rule: StopRule = DEFAULT_RULE,
        labels: Sequence[bool] = (),
        times: Sequence[str] = (),
        *,
        record_ids: Sequence[str] = (),
    ) -> None:
        self.total = total
        self.rule = rule
        self.labels = [int(v) for v in labels]
        self.times = list(times) or [""] * len(self.labels)
        # the records labelled so far: a second decision on one is no new record screened
        self.record_ids = set(record_ids)
        self.fired_at = first_stop(self.labels, total, rule)
        self._status: StopStatus | None = None  # for the labels as they are now
        self._bound: int | None = None  # the last bound on what remains: the next is near
        self._p: float | None = None  # the p-value for the labels now, once computed

    def add(self, relevant: bool, at: str = "", record_id: str = "") -> None:
        """A record decided for the first time (`counts`)."""
        if record_id:
            self.record_ids.add(record_id)
        self.labels.append(int(relevant))
        self.times.append(at)
        self._status = None
        self._p = None
        if self.fired_at is None and sum(self.labels) > 0:
            self._p = p_value(self.labels, self.total, self.rule.target)
            if self._p < 1 - self.rule.confidence:
                self.fired_at = len(self.labels)

    def counts(self, record_id: str) -> bool:
        """Whether a decision on this record is a new record screened, for `add`; if not,
        the tracker is rebuilt from the store (`people_tracker`)."""
        return record_id not in self.record_ids

    def status(self) -> StopStatus:
        """Computed once per decision (a screen redrawn without one reuses it)."""
        if self._status is None:
            status = stop_status(
                self.labels,
                self.total,
                self.rule,
                fired_at=self.fired_at,
                bound_near=self._bound,
                p=self._p,
            )
            if status.fired_at is not None and status.fired_at <= len(self.times):
                status = replace(status, fired_when=self.times[status.fired_at - 1])
            self._status, self._bound = status, status.remaining_at_most
        return self._status


def screening_stop(
    rule_decisions: Sequence[Decision],
    people: Sequence[Decision],
    rule: StopRule = DEFAULT_RULE,
) -> StopStatus | None:
    """The rule over the records people screen (`people_screen`), from people's decisions
    in time order; None when there are none."""
    pool = people_screen(rule_decisions, people)
    if not pool:
        return None
    return people_tracker(pool, people, rule).status()


def people_screen(rule_decisions: Iterable[Decision], people: Iterable[Decision]) -> list[str]:
    """IDs of the records people screen at title/abstract, in the rules' order.

    Those the rules left to people (needs-human), and those whose decision by a
    person differs from what the rules say now: a person's decision outranks the
    rules' (`review.screen.effective_decisions`), so a record a person included
    stays theirs when more data (a copy's abstract merged in, changed criteria)
    makes the rules exclude it. A person who agrees with the rules (checking
    them with `review screen --all`) does not add the record.
    """
    said = {d.record_id: d.outcome for d in people if d.stage == "title-abstract"}
    return [
        d.record_id
        for d in rule_decisions
        if d.stage == "title-abstract"
        and (d.outcome == "needs-human" or said.get(d.record_id, d.outcome) != d.outcome)
    ]


def people_tracker(
    pool: Collection[str], people: Iterable[Decision], rule: StopRule = DEFAULT_RULE
) -> StopTracker:
    """The rule over `pool`, taught people's title/abstract includes and excludes on it:
    one label per record, at the time a person first decided it, relevant when any
    reviewer includes it.

    With two reviewers per record, counting each reviewer's decision would screen the
    pool twice over ("-10 records may stay unscreened"). Counting a record relevant
    when either reviewer includes it (a conflict among them) lets the rule fire no
    sooner than the stricter reading would.
    """
    wanted = set(pool)
    first: dict[str, str] = {}
    relevant: dict[str, bool] = {}
    for d in people:
        if d.stage != "title-abstract" or d.record_id not in wanted:
            continue
        if d.outcome not in ("include", "exclude"):
            continue
        first[d.record_id] = min(first.get(d.record_id, d.at), d.at)
        relevant[d.record_id] = relevant.get(d.record_id, False) or d.outcome == "include"
    order = sorted(first, key=first.__getitem__)  # stable: as given when times tie
    return StopTracker(
        len(wanted),
        rule,
        [relevant[record_id] for record_id in order],
        [first[record_id] for record_id in order],
        record_ids=order,
    )


def unscreened_statement(status: StopStatus | None) -> str:
    """What a report says of the records nobody screened once the rule was met ("" if not)."""
    if status is None or not status.safe_to_stop or status.screened >= status.total:
        return ""
    when = f" on {status.fired_when[:10]}" if status.fired_when else ""
    return (
        f"{status.rule.describe()}: met after {status.fired_at} of {status.total} records "
        f"left to people had been screened{when}; the rest were not screened"
    )
