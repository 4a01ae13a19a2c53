"""`review simulate`: the reading order it writes and the numbers it prints."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from review.cli import main
from review.simulate import choose_priors, metrics, read_dataset

# 13 real rows of Cohen's ADHD set, 4 finally included (see fixtures/screening/README.md).
SLICE = Path(__file__).parent / "fixtures" / "screening" / "cohen2006_adhd_slice.csv"


def test_metrics_by_hand() -> None:
    # 10 records read in this order, relevant at positions 1 and 3.
    labels = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    m = metrics(labels, list(range(10)))
    assert m.wss95 == pytest.approx((10 - 3) / 10 - 0.05)  # 95 % of 2 needs both: 3 read
    assert m.recall_at_10 == 0.5  # the first record of ten
    assert m.last_relevant == 3


def test_simulate_writes_every_record_once_priors_first_and_prints_the_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "order.csv"
    assert main(["simulate", str(SLICE), "--seed", "3", "--output", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    dataset = read_dataset(SLICE)
    assert rows[0] == ["record_id"]
    order = [r[0] for r in rows[1:]]
    assert sorted(order) == sorted(dataset.ids)  # every record once
    relevant, irrelevant = choose_priors(dataset.labels, 3)
    assert order[:2] == [dataset.ids[relevant], dataset.ids[irrelevant]]
    assert printed[0] == (
        f"priors (seed 3): relevant {dataset.ids[relevant]}, irrelevant {dataset.ids[irrelevant]}"
    )
    assert printed[1] == "records: 13, relevant: 4"
    assert re.fullmatch(r"WSS@95: -?\d\.\d{3}", printed[2])
    assert re.fullmatch(r"recall@10%: \d\.\d{3}", printed[3])
    assert re.fullmatch(r"last relevant record at position \d+ of 13", printed[4])
    assert re.fullmatch(
        r"stopping rule: never fired \(every record read\)|stopping rule \(recall target 95%, "
        r"confidence 95%\): stops after \d+ of 13 records, recall there \d\.\d{3}",
        printed[5],
    )
    assert printed[6] == f"order written to {out}"


def test_the_same_seed_gives_the_same_order(tmp_path: Path) -> None:
    orders = []
    for name in ("a.csv", "b.csv"):
        assert main(["simulate", str(SLICE), "--seed", "5", "--output", str(tmp_path / name)]) == 0
        orders.append((tmp_path / name).read_text(encoding="utf-8"))
    assert orders[0] == orders[1]


def test_a_missing_label_column_is_one_line_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["simulate", str(SLICE), "--seed", "1", "--output", "o.csv", "--label", "nope"])
    assert code == 1
    assert capsys.readouterr().err == (
        f"Error: {SLICE}: no column 'nope'; name the 0/1 label column with --label COLUMN "
        "(this file's 0/1 columns: label_abstract_screening, label_included).\n"
    )


def test_a_negative_seed_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", str(SLICE), "--seed", "-1", "--output", str(tmp_path / "o.csv")]) == 1
    assert capsys.readouterr().err == "Error: --seed -1: give a whole number, 0 or more.\n"
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        (
            "record_id,title,abstract,keywords,authors,label_included\n"
            "1,Kratom,a,,,1\n1,Other,b,,,0\n3,Third,c,,,0\n",
            "data.csv, line 3: record_id '1' is also on line 2; give every record its own ID",
        ),
        (
            "record_id,title,abstract,keywords,authors,label_included\n1,Kratom,a,,,0\n2,B,b,,,0\n",
            "data.csv: column 'label_included' needs at least one 1 and one 0",
        ),
        (
            "record_id,title,abstract,keywords,authors,label_included\n",
            "data.csv: no records; give a CSV with a header row (record_id, title, abstract, "
            "keywords, authors, label_included) and one row per record.",
        ),
        ("", "data.csv: no records; give a CSV with a header row"),
    ],
)
def test_a_bad_dataset_is_one_line_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: str, said: str
) -> None:
    data = tmp_path / "data.csv"
    data.write_text(rows, encoding="utf-8")
    assert main(["simulate", str(data), "--seed", "1", "--output", str(tmp_path / "o.csv")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Error: {tmp_path}/{said}") and err.count("\n") == 1
    assert not (tmp_path / "o.csv").exists()


def test_an_order_that_cannot_be_written_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = tmp_path / "no-such-folder" / "o.csv"
    assert main(["simulate", str(SLICE), "--seed", "1", "--output", str(where)]) == 1
    assert capsys.readouterr().err == (
        f"Error: {where}: cannot write the order: No such file or directory; give --output "
        "a file in a folder you can write to.\n"
    )
