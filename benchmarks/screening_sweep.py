"""Model selection for `review.rank.Ranker`: candidate settings, leave-one-set-out.

Replays every Cohen 2006 set (../shared/data/screening/cohen2006/) through the
same loop as `review.simulate.simulate` (same priors per seed) for several
candidate `ModelSettings`, each also with the keywords (MeSH) blanked, reading
only until the last relevant record (enough for WSS@95 and recall@10 %). Writes
one JSON line per (candidate, keywords, set, seed) to the output file, so an
interrupted sweep resumes where it stopped.

Choose settings on seeds the benchmark does not use (it uses 1-5):

    nice python benchmarks/screening_sweep.py --seeds 6,7,8 --output sweep.jsonl
    python benchmarks/screening_sweep.py --report sweep.jsonl

`--report` prints each candidate's mean WSS@95 with and without keywords and
the leave-one-set-out figure: for every set, the candidate best on the other
nine (mean of with and without keywords) is scored on the held-out set.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from review.rank import Candidate, ModelSettings, Ranker
from review.simulate import Dataset, choose_priors, metrics, read_dataset

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "screening" / "cohen2006"

EVERY = 10**9  # retrain after every decision
# The model of the previous session: logistic regression, classes balanced, MeSH at 1.0.
LR = ModelSettings(
    max_df=1.0,
    stop_words=True,
    subject_weight=1.0,
    classifier="logistic",
    c=1.0,
    relevant_weight=1.0,
    pseudo_negatives=0,
)
# ASReview 3.0.8's elas_u4 as near as our features allow (it retrains after every decision).
ASR = ModelSettings(
    stop_words=False,
    max_df=0.95,
    classifier="svm",
    c=0.11,
    relevant_weight=9.8,
    subject_weight=0.0,
    type_weight=0.0,
    pseudo_negatives=0,
    retrain_all_until=EVERY,
)
ASR_CADENCE = dataclasses.replace(ASR, retrain_all_until=100)  # our cadence
CANDIDATES: dict[str, ModelSettings] = {
    "chosen": ModelSettings(),  # = asr-kw0.5-pn100 (type_weight only acts on PubMed types)
    "default": LR,  # the previous session's default, kept under its sweep name
    "asr-every": ASR,
    "asr": ASR_CADENCE,
    "asr-kw0.25": dataclasses.replace(ASR_CADENCE, subject_weight=0.25),
    "asr-kw0.5": dataclasses.replace(ASR_CADENCE, subject_weight=0.5),
    "asr-kw1": dataclasses.replace(ASR_CADENCE, subject_weight=1.0),
    "lr-kw0.5": dataclasses.replace(LR, subject_weight=0.5),
    "lr-kw0.25": dataclasses.replace(LR, subject_weight=0.25),
    "lr-every-kw0.5": dataclasses.replace(LR, subject_weight=0.5, retrain_all_until=EVERY),
    "asr-kw0.5-text0.5": dataclasses.replace(ASR_CADENCE, subject_weight=0.5, text_share=0.5),
    "asr-kw1-text0.5": dataclasses.replace(ASR_CADENCE, subject_weight=1.0, text_share=0.5),
    "asr-kw0.5-pn100": dataclasses.replace(ASR_CADENCE, subject_weight=0.5, pseudo_negatives=100),
    "svm-rw3-kw0.5": dataclasses.replace(ASR_CADENCE, subject_weight=0.5, relevant_weight=3.0),
    "lr-rw9.8-kw0.5": dataclasses.replace(LR, subject_weight=0.5, relevant_weight=9.8),
    "asr-kw0.25-pn100": dataclasses.replace(ASR_CADENCE, subject_weight=0.25, pseudo_negatives=100),
    "asr-kw0.5-pn50": dataclasses.replace(ASR_CADENCE, subject_weight=0.5, pseudo_negatives=50),
    "asr-kw0.5-pn200": dataclasses.replace(ASR_CADENCE, subject_weight=0.5, pseudo_negatives=200),
}
KW3 = (Candidate(0.5), Candidate(0.0), Candidate(1.0))
LR1 = {"classifier": "logistic", "c": 1.0, "relevant_weight": 1.0}
CANDIDATES |= {
    "ch-kw": dataclasses.replace(ModelSettings(), choose=KW3),
    "ch-kw-lr": dataclasses.replace(
        ModelSettings(),
        choose=KW3 + tuple(dataclasses.replace(c, **LR1) for c in KW3),  # type: ignore[arg-type]
    ),
    "ch-kw-rw": dataclasses.replace(
        ModelSettings(),
        choose=KW3 + tuple(dataclasses.replace(c, relevant_weight=3.0) for c in KW3),
    ),
    "ch-kw-m": dataclasses.replace(ModelSettings(), choose=KW3, choose_margin=0.02),
    "us30": dataclasses.replace(ModelSettings(), undersample_from=30),
    "us10": dataclasses.replace(ModelSettings(), undersample_from=10),
    "nb0.3": dataclasses.replace(ModelSettings(), nb_share=0.3),
    "split": dataclasses.replace(ModelSettings(), tokens="split"),
    "split-topup": dataclasses.replace(ModelSettings(), tokens="split", pseudo_mode="top-up"),
    "pn-topup": dataclasses.replace(ModelSettings(), pseudo_mode="top-up"),
}


def without_subjects(settings: ModelSettings) -> ModelSettings:
    """The settings as they act on records with no subject terms (twins run once)."""
    choose = tuple(
        dict.fromkeys(dataclasses.replace(c, subject_weight=0.0) for c in settings.choose)
    )
    return dataclasses.replace(
        settings,
        subject_weight=0.0,
        text_share=0.0,
        choose=choose if len(choose) > 1 else (),
    )


def until_last_relevant(dataset: Dataset, seed: int, settings: ModelSettings) -> list[int]:
    priors = choose_priors(dataset.labels, seed)
    ranker = Ranker(dataset.documents, seed=seed, settings=settings)
    labels = dataset.labels
    remaining = sum(labels)
    order: list[int] = []
    unread = np.ones(len(ranker), dtype=bool)
    for index in priors:
        order.append(index)
        unread[index] = False
        remaining -= labels[index]
        ranker.label(index, labels[index] == 1)
    while remaining > 0:
        ranking = ranker.ranking()
        candidates = np.flatnonzero(unread)
        batch = ranker.retrain_every()
        best = candidates[np.argsort(-ranking.scores[candidates], kind="stable")[:batch]]
        for index in best.tolist():
            order.append(index)
            unread[index] = False
            remaining -= labels[index]
            ranker.label(index, labels[index] == 1)
    seen = set(order)
    return order + [i for i in range(len(labels)) if i not in seen]


def blank(dataset: Dataset) -> Dataset:
    return dataclasses.replace(
        dataset,
        documents=tuple(dataclasses.replace(d, subjects=()) for d in dataset.documents),
    )


def sweep(options: argparse.Namespace) -> None:
    out = Path(options.output)
    done = set()
    if out.is_file():
        for line in out.read_text().splitlines():
            r = json.loads(line)
            done.add((r["candidate"], r["keywords"], r["set"], r["seed"]))
    names = options.candidates.split(",") if options.candidates else list(CANDIDATES)
    seeds = [int(s) for s in options.seeds.split(",")]
    paths = sorted(DATA.glob("*.csv.gz"))
    if options.sets:
        paths = [p for p in paths if p.name.removesuffix(".csv.gz") in options.sets.split(",")]
    with out.open("a") as handle:
        for path in paths:
            name = path.name.removesuffix(".csv.gz")
            full = read_dataset(path)
            for keywords in (True, False)[: 1 if options.keywords_only else 2]:
                dataset = full if keywords else blank(full)
                # Without keywords the subject weight changes nothing: run such twins once.
                memo: dict[tuple[ModelSettings, int], tuple[list[int], float]] = {}
                for candidate in names:
                    settings = CANDIDATES[candidate]
                    if not keywords:
                        settings = without_subjects(settings)
                    for seed in seeds:
                        if (candidate, keywords, name, seed) in done:
                            continue
                        started = time.perf_counter()
                        if (settings, seed) not in memo:
                            order = until_last_relevant(dataset, seed, settings)
                            memo[(settings, seed)] = (order, time.perf_counter() - started)
                        order, seconds = memo[(settings, seed)]
                        m = metrics(full.labels, order)
                        row = {
                            "candidate": candidate,
                            "keywords": keywords,
                            "set": name,
                            "seed": seed,
                            "wss95": round(m.wss95, 4),
                            "recall10": round(m.recall_at_10, 4),
                            "seconds": round(seconds, 2),
                        }
                        handle.write(json.dumps(row) + "\n")
                        handle.flush()


def report(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    table: dict[tuple[str, bool, str], list[float]] = {}
    for r in rows:
        table.setdefault((r["candidate"], r["keywords"], r["set"]), []).append(r["wss95"])
    sets = sorted({r["set"] for r in rows})
    names = sorted({r["candidate"] for r in rows})
    mean = {k: sum(v) / len(v) for k, v in table.items()}
    complete = [c for c in names if all((c, k, s) in mean for s in sets for k in (True, False))]
    print(f"{'candidate':28} {'kw':>6} {'no kw':>6} {'both':>6}  per set (kw/no kw)")
    for c in complete:
        kw = np.mean([mean[(c, True, s)] for s in sets])
        nokw = np.mean([mean[(c, False, s)] for s in sets])
        per = " ".join(f"{mean[(c, True, s)]:.2f}/{mean[(c, False, s)]:.2f}" for s in sets)
        print(f"{c:28} {kw:6.3f} {nokw:6.3f} {(kw + nokw) / 2:6.3f}  {per}")
    print("sets:", " ".join(s[:10] for s in sets))
    # Leave one set out: choose on nine (mean of kw and no kw), score on the tenth.
    held: dict[bool, list[float]] = {True: [], False: []}
    picks = []
    for s in sets:
        others = [o for o in sets if o != s]

        def score(c: str, others: list[str] = others) -> float:
            return float(np.mean([(mean[(c, True, o)] + mean[(c, False, o)]) / 2 for o in others]))

        best = max(complete, key=score)
        picks.append(best)
        for k in (True, False):
            held[k].append(mean[(best, k, s)])
    print(
        f"LOSO (chosen on 9 sets, kw+no kw): kw {np.mean(held[True]):.3f}, "
        f"no kw {np.mean(held[False]):.3f}; picks: {picks}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="6,7,8")
    parser.add_argument("--sets", default="")
    parser.add_argument("--candidates", default="")
    parser.add_argument("--output", default="sweep.jsonl")
    parser.add_argument("--report", default="")
    parser.add_argument(
        "--keywords-only",
        action="store_true",
        help="skip the blanked runs (for candidates that only differ in the subject weight)",
    )
    options = parser.parse_args()
    if options.report:
        report(Path(options.report))
        return 0
    sweep(options)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
