"""Fellegi–Sunter record linkage: comparison levels, log-likelihood weights, EM.

Each candidate pair is compared field by field; each comparison gives a level
(for the title: "exact", "0.97", ... "lower") or None when either record lacks
the field. A level carries two probabilities: m, how often duplicates show it,
and u, how often different papers that share a blocking key show it. Its
weight is log2(m/u) bits: positive evidence for a duplicate, negative against,
and a missing field adds nothing. A pair's match weight is the prior log-odds
plus the sum of its comparisons' weights; the match probability follows.

The model is data (`Model`, stored as JSON in `review/data/dedup_model.json`):
priors learned from labelled sets (`learn`), then fitted to the file at hand
by expectation–maximisation (`fit`) over its own candidate pairs, the priors
acting as pseudo-counts. A field that disagrees among this file's obvious
duplicates (an "issue" column holding a database's running number) thus ends
up weighing almost nothing. Unlike Splink, which fixes u from random pairs, u
is estimated among the candidate pairs too: they are the only pairs scored, and
among them "same journal, same year" is common for different papers.

Everything here is pure and works on level vectors, so it knows nothing of
bibliographic records; `review.dedup` defines the comparisons.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = [
    "Comparison",
    "Model",
    "Pattern",
    "Scored",
    "fit",
    "learn",
    "load_model",
    "save_model",
]

Pattern = tuple[int | None, ...]  # one level index per comparison, None when missing

# How many duplicate pairs the prior's m counts as when fitting a file: a small
# file keeps close to the shared sets' weights, a large one speaks for itself.
PRIOR_MATCHES = 200.0
PRIOR_PAIRS = 1000.0  # how many candidate pairs the prior's match rate counts as
OBVIOUS = 20.0  # match weight (bits) from which the prior alone is sure of a duplicate
_FLOOR = 1e-6  # no level is impossible: a weight stays finite


@dataclass(frozen=True, slots=True)
class Comparison:
    """One field's comparison and its levels, strongest agreement first."""

    name: str
    levels: tuple[str, ...]
    # For a comparison of several fields at once (authors × year × journal):
    # per level, the index of each field's own level. Learning then smooths a
    # rarely seen combination toward the product of the fields' frequencies
    # rather than toward "every level equally likely".
    factors: tuple[tuple[int, ...], ...] = ()
    # Levels for a pair of which one part is unknown (an issue column ignored
    # as a running number): (name, the ordinary levels it may be). They come
    # after `levels` in a pattern and carry no m or u of their own: theirs are
    # the sums of their parts', so such a pair weighs what its known parts
    # weigh. A missing field is not the same: that a database leaves the issue
    # out says something about the pair; a column nobody can read does not.
    partial: tuple[tuple[str, tuple[int, ...]], ...] = ()
    # u per level given rather than learned, for an identifier that names one
    # paper (a PMID): different papers share it only by a database's slip. The
    # labelled sets hold almost no different papers that both carry one, so
    # learning would leave u at "every level equally likely" and a shared PMID
    # would weigh about one bit.
    u_known: tuple[float, ...] = ()

    def level_name(self, level: int) -> str:
        if level < len(self.levels):
            return self.levels[level]
        return self.partial[level - len(self.levels)][0]

    def parts(self, level: int) -> tuple[int, ...]:
        """The ordinary levels that `level` stands for (itself when it is one)."""
        if level < len(self.levels):
            return (level,)
        return self.partial[level - len(self.levels)][1]


@dataclass(frozen=True, slots=True)
class Model:
    comparisons: tuple[Comparison, ...]
    m: tuple[tuple[float, ...], ...]  # per comparison, per level
    u: tuple[tuple[float, ...], ...]
    match_rate: float  # share of candidate pairs that are duplicates
    duplicate_at: float  # match probability from which a pair is a duplicate
    person_at: float  # ... from which it goes to a person

    def weight(self, comparison: int, level: int) -> float:
        m, u = self.m[comparison], self.u[comparison]
        if level < len(m):
            return math.log2(m[level] / u[level])
        parts = self.comparisons[comparison].parts(level)
        return math.log2(sum(m[i] for i in parts) / sum(u[i] for i in parts))

    def prior_weight(self) -> float:
        return math.log2(self.match_rate / (1.0 - self.match_rate))

    def score(self, pattern: Pattern) -> Scored:
        weights = tuple(
            None if level is None else self.weight(c, level) for c, level in enumerate(pattern)
        )
        total = self.prior_weight() + sum(w for w in weights if w is not None)
        return Scored(pattern, weights, total)

    def describe(self, scored: Scored) -> str:
        """Every field's level and weight: "title=exact(+11.2) doi=-(0) ..."."""
        parts = []
        for comparison, level, weight in zip(
            self.comparisons, scored.pattern, scored.weights, strict=True
        ):
            if level is None or weight is None:
                parts.append(f"{comparison.name}=missing(0)")
            else:
                parts.append(f"{comparison.name}={comparison.level_name(level)}({weight:+.1f})")
        return f"weight {scored.total:+.1f} (prior {self.prior_weight():+.1f}): " + " ".join(parts)


@dataclass(frozen=True, slots=True)
class Scored:
    pattern: Pattern
    weights: tuple[float | None, ...]
    total: float  # match weight in bits

    @property
    def probability(self) -> float:
        return _probability(self.total)


def _normalised(counts: Sequence[float]) -> tuple[float, ...]:
    total = sum(counts)
    size = len(counts)
    if total <= 0:
        return tuple(1.0 / size for _ in counts)
    return tuple(max(c / total, _FLOOR) for c in counts)


def _tally(
    comparisons: Sequence[Comparison],
    patterns: Iterable[tuple[Pattern, float]],
) -> list[list[float]]:
    """How often each level occurs; a partial level's pairs are shared among its parts
    in proportion to how often the parts occur among the other pairs."""
    counts = [[0.0] * len(c.levels) for c in comparisons]
    partial: list[tuple[int, int, float]] = []
    for pattern, weight in patterns:
        for c, level in enumerate(pattern):
            if level is None:
                continue
            if level < len(counts[c]):
                counts[c][level] += weight
            else:
                partial.append((c, level, weight))
    shares = [list(row) for row in counts]
    for c, level, weight in partial:
        _share(counts[c], comparisons[c].parts(level), [n + 1.0 for n in shares[c]], weight)
    return counts


def _share(counts: list[float], parts: Sequence[int], by: Sequence[float], weight: float) -> None:
    """Add `weight` to the `parts` of `counts`, in proportion to `by`."""
    total = sum(by[i] for i in parts)
    for i in parts:
        counts[i] += weight * by[i] / total


def learn(
    comparisons: Sequence[Comparison],
    labelled: Mapping[Pattern, tuple[int, int]],
    *,
    duplicate_at: float,
    person_at: float,
    unlike: Mapping[int, Mapping[Pattern, int]] | None = None,
) -> Model:
    """m and u from labelled candidate pairs: pattern -> (duplicates, non-duplicates).

    `unlike`: per comparison, non-duplicates left out of its u, by pattern: pairs
    that are candidates only because a blocking key made of that comparison's
    own fields brought them together (two papers on the same first page of one
    volume), which agree on it by construction, not by chance.
    """
    m = _tally(comparisons, ((p, float(d)) for p, (d, _) in labelled.items()))
    u = _tally(comparisons, ((p, float(n)) for p, (_, n) in labelled.items()))
    for c, excluded in (unlike or {}).items():
        u[c] = _tally(
            comparisons,
            ((p, float(n - excluded.get(p, 0))) for p, (_, n) in labelled.items()),
        )[c]
    # Add-one smoothing: a level never seen among the labels is rare, not
    # impossible. For a joint comparison the same pseudo-counts (one per
    # level) are spread by the product of its fields' own frequencies: a
    # combination seen in few labelled pairs ("same authors, a year apart, no
    # journal") then weighs about what its parts weigh, not what "unseen" does.
    m = [_smoothed(row, c.factors) for row, c in zip(m, comparisons, strict=True)]
    u = [
        list(c.u_known) if c.u_known else _smoothed(row, c.factors)
        for row, c in zip(u, comparisons, strict=True)
    ]
    duplicates = sum(d for d, _ in labelled.values())
    total = sum(d + n for d, n in labelled.values())
    return Model(
        comparisons=tuple(comparisons),
        m=tuple(_normalised(row) for row in m),
        u=tuple(_normalised(row) for row in u),
        match_rate=min(max(duplicates / total if total else 0.01, 1e-4), 0.5),
        duplicate_at=duplicate_at,
        person_at=person_at,
    )


def _smoothed(counts: Sequence[float], factors: Sequence[tuple[int, ...]]) -> list[float]:
    if not factors:
        return [c + 1.0 for c in counts]
    shares: list[dict[int, float]] = []
    for f in range(len(factors[0])):
        marginal: dict[int, float] = {}
        for count, levels in zip(counts, factors, strict=True):
            marginal[levels[f]] = marginal.get(levels[f], 1.0) + count
        total = sum(marginal.values())
        shares.append({value: n / total for value, n in marginal.items()})
    backoff = [
        math.prod(share[v] for share, v in zip(shares, levels, strict=True)) for levels in factors
    ]
    scale = len(counts) / sum(backoff)
    return [c + scale * b for c, b in zip(counts, backoff, strict=True)]


def fit(prior: Model, patterns: Mapping[Pattern, int], *, obvious: float = OBVIOUS) -> Model:
    """The prior's m probabilities fitted to one file's candidate pairs (pattern -> how many).

    One expectation–maximisation step from the prior, with a confident
    expectation: the pairs that are overwhelming duplicates count as this
    file's duplicates, and each comparison's m is re-estimated from how often
    each of its levels occurs among them, the prior's m counting as
    PRIOR_MATCHES pairs (a maximum a posteriori estimate). A field that
    disagrees among this file's obvious duplicates (an issue column holding a
    running number, a DOI column with slips) so gets a weight near zero; a
    field that always agrees gets sharper.

    Which pairs are obvious is decided, for each comparison, by the OTHER
    comparisons' weights (at least `obvious` bits without it). Deciding it by
    the total would select the pairs on the very levels being counted: in a
    file without abstracts or DOIs only pairs whose title agrees exactly reach
    the total, so "title 0.97" would look rare among duplicates and lose its
    weight. A comparison whose level no other evidence can vouch for keeps the
    prior's m. Iterating further, or counting doubtful pairs, lets EM drift to
    another latent class (companion papers, which agree on everything but the
    pages, became "duplicates" on the shared sets), so it stops there. u (how
    often different papers that share a blocking key show a level) stays the
    prior's: it was measured on labelled pairs, and a file's own
    non-duplicates cannot be told apart without labels. The share of
    duplicates among the candidate pairs is the mean match probability under
    the fitted weights, the prior's share counting as PRIOR_PAIRS pairs.
    """
    size = sum(patterns.values())
    if size == 0:
        return prior
    counts = [[0.0] * len(c.levels) for c in prior.comparisons]
    for pattern, count in patterns.items():
        scored = prior.score(pattern)
        for c, (level, weight) in enumerate(zip(pattern, scored.weights, strict=True)):
            if level is None or scored.total - (weight or 0.0) < obvious:
                continue
            # A partial level's duplicates are shared among the levels it may be,
            # as the prior expects duplicates to show them (an EM expectation).
            _share(counts[c], prior.comparisons[c].parts(level), prior.m[c], count)
    m = tuple(
        _normalised([c + PRIOR_MATCHES * q for c, q in zip(row, prior_row, strict=True)])
        for row, prior_row in zip(counts, prior.m, strict=True)
    )
    fitted = replace(prior, m=m)
    matches = sum(count * fitted.score(pattern).probability for pattern, count in patterns.items())
    # The prior's rate counts as PRIOR_PAIRS pairs: a file of a few records,
    # all alike, says little about how many of a file's pairs are duplicates.
    rate = (matches + PRIOR_PAIRS * prior.match_rate) / (size + PRIOR_PAIRS)
    return replace(fitted, match_rate=min(max(rate, 1e-4), 0.5))


def _probability(weight: float) -> float:
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    odds: float = 2.0**weight
    return odds / (1.0 + odds)


# --------------------------------------------------------------------------- storage


def save_model(model: Model, path: Path) -> None:
    data = {
        "match_rate": model.match_rate,
        "duplicate_at": model.duplicate_at,
        "person_at": model.person_at,
        "comparisons": [
            {
                "name": c.name,
                "levels": {
                    level: {"m": float(f"{m:.6g}"), "u": float(f"{u:.6g}")}
                    for level, m, u in zip(c.levels, ms, us, strict=True)
                },
            }
            for c, ms, us in zip(model.comparisons, model.m, model.u, strict=True)
        ],
    }
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def load_model(path: Path, comparisons: Sequence[Comparison]) -> Model:
    """A stored model; its comparisons and levels must be the ones given, in order."""
    data = json.loads(path.read_text(encoding="utf-8"))
    stored = {c["name"]: c["levels"] for c in data["comparisons"]}
    m: list[tuple[float, ...]] = []
    u: list[tuple[float, ...]] = []
    for comparison in comparisons:
        levels = stored[comparison.name]
        if list(levels) != list(comparison.levels):
            raise ValueError(f"{path}: comparison {comparison.name!r} has other levels")
        m.append(tuple(float(levels[name]["m"]) for name in comparison.levels))
        u.append(tuple(float(levels[name]["u"]) for name in comparison.levels))
    return Model(
        comparisons=tuple(comparisons),
        m=tuple(m),
        u=tuple(u),
        match_rate=float(data["match_rate"]),
        duplicate_at=float(data["duplicate_at"]),
        person_at=float(data["person_at"]),
    )


def count_patterns(patterns: Iterable[Pattern]) -> dict[Pattern, int]:
    return dict(Counter(patterns))
