"""`review simulate DATASET.csv --seed S --output ORDER.csv`: replay a labelled review."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register"]

HELP = "replay a labelled review through the ranking; print the work it would have saved"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help=HELP,
        description="Screen a labelled CSV (record_id, title, abstract, keywords, authors and "
        "a 0/1 label column; gzip accepted) as a reviewer would in `review screen`: one "
        "relevant and one irrelevant record chosen by the seed first, then always the record "
        "ranked most relevant, its label read from the file. Writes the reading order and "
        "prints WSS@95, recall after 10 %% of the records, the position of the last relevant "
        "record, and where the stopping rule would have stopped.",
    )
    parser.add_argument("dataset", type=Path, metavar="DATASET.csv")
    parser.add_argument(
        "--seed", type=int, required=True, help="picks the two prior records and seeds the model"
    )
    parser.add_argument(
        "--output",
        type=Path,
        required=True,
        metavar="ORDER.csv",
        help="written: a record_id column, every record once, in reading order (priors first)",
    )
    parser.add_argument(
        "--label",
        default="label_included",
        metavar="COLUMN",
        help="the 0/1 label column (default label_included)",
    )
    parser.set_defaults(handler=handle)


def handle(options: argparse.Namespace) -> int:
    from review.errors import InputError
    from review.simulate import read_dataset, simulate, write_order

    if options.seed < 0:
        raise InputError(f"--seed {options.seed}: give a whole number, 0 or more.")
    dataset = read_dataset(options.dataset, options.label)
    result = simulate(dataset, options.seed)
    write_order(options.output, dataset.ids, result.order)
    first, second = (dataset.ids[i] for i in result.priors)
    print(f"priors (seed {options.seed}): relevant {first}, irrelevant {second}")
    for line in result.metrics.lines():
        print(line)
    print(f"order written to {options.output}")
    return 0
