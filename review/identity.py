"""Stable record identity: a decision belongs to its record's duplicate group.

People decide on the copy of a record the screener shows them (a group's main
copy), but what they decide about is the study's record, whichever copy
deduplication names main later. Three pure steps keep their work counted when a
review grows (sources added, searches refreshed, deduplication settings changed):

* `keep_main_copies` keeps the main copy a group had before (the run history,
  `review.history`, lists earlier main copies, a person's choice first) whatever
  records join the group; a new group gets deduplication's choice.
* `follow_records` finds the record a decision names when its ID has gone, e.g.
  an export file re-exported with more entries renumbers its "<file>:<n>" IDs:
  the record with the same fingerprint (PMID, DOI, or title + year + first author)
  takes the decision.
* `group_decisions` gives each group one decision per stage from its members'
  decisions. Members decided alike count once; members decided differently (two
  groups that merged) are a conflict that a person resolves; a decision still
  follows its own record when a group splits, because it names that record.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from review import normalise
from review.decisions import shared_decision
from review.dedup import DedupResult, DuplicateLink
from review.records import Record
from review.screen import Decision, Stage

__all__ = [
    "CONFLICT",
    "Groups",
    "earlier_mains",
    "fingerprint",
    "follow_records",
    "group_decisions",
    "keep_main_copies",
    "main_of",
    "paper_of",
]

CONFLICT = "conflict"  # the `by` of a decision that stands for a clash between people


def fingerprint(record: Record) -> str:
    """What identifies one copy across runs when its ID changes; "" when nothing does.

    "<database>|<paper>": the paper part (`paper_of`) is its PMID, DOI, or title,
    year and first author; the database tells copies of one paper apart.
    """
    paper = ""
    if record.pmid:
        paper = f"pmid:{record.pmid.strip()}"
    elif doi := normalise.doi(record.doi):
        paper = f"doi:{doi}"
    elif title := normalise.title(record.title):
        families = normalise.author_families(record.authors)
        paper = f"title:{title}|{record.year or ''}|{families[0] if families else ''}"
    return f"{record.source.database}|{paper}" if paper else ""


def paper_of(key: str) -> str:
    """The paper part of a fingerprint: the same for every copy of one paper."""
    return key.split("|", 1)[1] if "|" in key else key


def main_of(dedup: DedupResult) -> dict[str, str]:
    """Every record ID of a run -> the ID of its group's main copy."""
    mains = {r.id: r.id for r in dedup.canonical}
    mains.update((link.record_id, link.canonical_id) for link in dedup.links)
    return mains


def keep_main_copies(dedup: DedupResult, earlier: Sequence[str]) -> DedupResult:
    """The same groups, each with the first of `earlier` among its members as main copy.

    `earlier` lists main copies of earlier runs in order of preference (a
    person's choice, then the oldest). The new main copy takes deduplication's
    merged fields for whatever it lacks, so nothing the group knew is lost, and
    every link is re-pointed to it.
    """
    rank = {record_id: n for n, record_id in enumerate(earlier)}
    if not rank:
        return dedup
    by_id = {r.id: r for r in dedup.records}
    members: dict[str, list[str]] = {r.id: [r.id] for r in dedup.canonical}
    link_of = {link.record_id: link for link in dedup.links}
    for link in dedup.links:
        members[link.canonical_id].append(link.record_id)
    canonical: list[Record] = []
    links: list[DuplicateLink] = []
    changed = False
    for merged in dedup.canonical:
        group = members[merged.id]
        known = [m for m in group if m in rank]
        chosen = min(known, key=rank.__getitem__) if known else merged.id
        if chosen == merged.id:
            canonical.append(merged)
            links.extend(link_of[m] for m in group if m != merged.id)
            continue
        changed = True
        canonical.append(_filled(by_id[chosen], merged))
        via = link_of[chosen]  # how the chosen copy joined the group
        for member in group:
            if member == chosen:
                continue
            old = link_of.get(member) or _repointed(via, member, chosen)
            links.append(dataclasses.replace(old, record_id=member, canonical_id=chosen))
    if not changed:
        return dedup
    order = {link.record_id: n for n, link in enumerate(dedup.links)}
    links.sort(key=lambda link: order.get(link.record_id, -1))
    return dataclasses.replace(dedup, canonical=tuple(canonical), links=tuple(links))


def _repointed(via: DuplicateLink, member: str, chosen: str) -> DuplicateLink:
    """The link of deduplication's former main copy: the evidence by which the chosen copy
    joined it, which names the copy matched ("via <member>: ...") and now must name the
    chosen one, as seen from the former main copy."""
    prefix = f"via {member}: "
    if via.detail.startswith(prefix):
        return dataclasses.replace(via, detail=f"via {chosen}: {via.detail[len(prefix) :]}")
    return via


_OWN = {"id", "source", "entry_type", "is_book", "extra", "relations"}


def _filled(chosen: Record, merged: Record) -> Record:
    """`chosen` with its empty fields taken from the group's merged record."""
    filled = {
        f.name: getattr(merged, f.name)
        for f in dataclasses.fields(Record)
        if f.name not in _OWN and getattr(chosen, f.name) in ("", (), None)
    }
    return dataclasses.replace(chosen, **filled)


def follow_records(
    decisions: Iterable[Decision],
    known: Mapping[str, str],
    fingerprints: Mapping[str, str],
    records: Iterable[Record],
) -> tuple[tuple[Decision, ...], tuple[Decision, ...]]:
    """(decisions renamed to the record they were made on, decisions whose record is gone).

    `known` maps this run's record IDs to their main copies; `fingerprints`
    holds the fingerprint of each record an earlier run saw. A decision follows
    its record's fingerprint when its ID is gone or now names another record (a
    re-exported file renumbers "<file>:<n>" IDs). When that fingerprint is a
    PMID or DOI and no record has it, the record is gone; a title fingerprint
    that changed may be the same record corrected, so the ID is trusted.
    """
    pending = list(decisions)
    now: dict[str, set[str]] = {}
    papers: dict[str, set[str]] = {}
    fingerprint_of: dict[str, str] = {}
    for record in records:
        key = fingerprint(record)
        fingerprint_of[record.id] = key
        if key:
            now.setdefault(key, set()).add(known.get(record.id, record.id))
            papers.setdefault(paper_of(key), set()).add(known.get(record.id, record.id))
    followed: list[Decision] = []
    lost: list[Decision] = []
    for d in pending:
        then = fingerprints.get(d.record_id, "")
        here = d.record_id in known
        if not then or (here and fingerprint_of.get(d.record_id) in (then, "")):
            followed.append(d)
            continue
        mains = now.get(then) or papers.get(paper_of(then), set())
        if len(mains) == 1:
            (target,) = mains
            if target == known.get(d.record_id):
                followed.append(d)
                continue
            note = f"{d.note}; " if d.note else ""
            followed.append(
                dataclasses.replace(
                    d, record_id=target, note=f"{note}made on {d.record_id}, now {target}"
                )
            )
        elif here and not paper_of(then).startswith(("pmid:", "doi:")):
            followed.append(d)
        else:
            lost.append(d)
    return tuple(followed), tuple(lost)


def earlier_mains(
    mains: Sequence[str], fingerprints: Mapping[str, str], records: Iterable[Record]
) -> tuple[str, ...]:
    """The IDs in this run of earlier main copies, followed by fingerprint as decisions are.

    An earlier main ID that now names another record (a renumbered file) is
    replaced by the record that has its fingerprint, or dropped when none has.
    """
    ids: dict[str, str] = {}
    owners: dict[str, list[str]] = {}
    for record in records:
        key = fingerprint(record)
        ids[record.id] = key
        if key:
            owners.setdefault(key, []).append(record.id)
    result: list[str] = []
    for main in mains:
        then = fingerprints.get(main, "")
        if main in ids and (not then or ids[main] in (then, "")):
            result.append(main)
        elif then and len(owners.get(then, ())) >= 1:
            result.append(owners[then][0])
    return tuple(dict.fromkeys(result))


def group_decisions(
    decisions: Iterable[Decision],
    mains: Mapping[str, str],
    resolutions: Iterable[Decision] = (),
) -> tuple[tuple[Decision, ...], tuple[Decision, ...]]:
    """(one decision per group and stage, named by its main copy; decisions on no record).

    `decisions` are each record's final human decisions (`DecisionStore.final_decisions`);
    `resolutions` the stored resolutions, so that a person who settled a
    group's clash on its main copy settles it for the group.

    Copies decided differently at title/abstract are a conflict also when someone
    has decided the group's full text, as two reviewers' answers on one record are
    (`review.decisions`): the full-text decision is kept but not counted until a
    person resolves the conflict (`review.screen.held_full_text`), so the PRISMA
    counts are the same whichever copy each reviewer was shown.
    """
    settled = {(d.record_id, d.stage, d.by, d.at) for d in resolutions}
    grouped: dict[tuple[str, Stage], list[Decision]] = {}
    orphans: list[Decision] = []
    for d in decisions:
        main = mains.get(d.record_id)
        if main is None:
            orphans.append(d)
        else:
            grouped.setdefault((main, d.stage), []).append(d)
    result = [_one(main, group, settled) for (main, _), group in grouped.items()]
    return tuple(result), tuple(orphans)


def _answer(d: Decision) -> str:
    return f"exclude ({d.reason})" if d.outcome == "exclude" else d.outcome


def _one(
    main: str, group: Sequence[Decision], settled: Collection[tuple[str, str, str, str]]
) -> Decision:
    """The group's decision: a resolution, the members' common answer, or a conflict."""
    if len(group) == 1:
        return dataclasses.replace(group[0], record_id=main)
    resolved = [d for d in group if (d.record_id, d.stage, d.by, d.at) in settled]
    if resolved:
        return dataclasses.replace(max(resolved, key=lambda d: d.at), record_id=main)
    latest = max(group, key=lambda d: d.at)
    if len({_answer(d) for d in group}) == 1:  # credited to each person who decided a copy
        return dataclasses.replace(shared_decision(group), record_id=main)
    answers = "; ".join(f"{d.record_id} ({d.by}): {_answer(d)}" for d in group)
    return Decision(
        main,
        latest.stage,
        "needs-human",
        by=CONFLICT,
        at=latest.at,
        note=f"copies of one record were decided differently: {answers}",
    )


@dataclass(frozen=True, slots=True)
class Groups:
    """The duplicate groups of one run, as people's decisions see them.

    `mains` maps every record ID of the run to its group's main copy;
    `screened` is the part of it whose groups are screened (not removed before
    screening); `fingerprints` and `records` let a decision follow a record whose
    ID changed (`follow_records`). The screener, `review decisions` and the report
    all count people's decisions through one `Groups`, so they agree.
    """

    mains: Mapping[str, str]
    records: Sequence[Record] = ()
    fingerprints: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    screened: Mapping[str, str] | None = None  # None: every group is screened

    def settle(
        self, people: Iterable[Decision], resolutions: Iterable[Decision] = ()
    ) -> tuple[tuple[Decision, ...], tuple[Decision, ...]]:
        """(people's decisions per group, named by main copy; decisions on no record now)."""
        followed, gone = follow_records(people, self.mains, self.fingerprints, self.records)
        screened = self.mains if self.screened is None else self.screened
        human, orphans = group_decisions(followed, screened, resolutions)
        return human, (*gone, *orphans)

    def named_by_group(self, decisions: Iterable[Decision]) -> tuple[Decision, ...]:
        """Each decision followed to its record and named by its group's main copy;
        decisions on no record of the run are left out."""
        followed, _ = follow_records(decisions, self.mains, self.fingerprints, self.records)
        return tuple(
            dataclasses.replace(d, record_id=self.mains[d.record_id])
            for d in followed
            if d.record_id in self.mains
        )

    def copies(self, record_id: str) -> tuple[str, ...]:
        """Every record ID in `record_id`'s group, its main copy first."""
        main = self.mains.get(record_id, record_id)
        return (main, *(r for r, m in self.mains.items() if m == main and r != main))
