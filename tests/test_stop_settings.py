"""The stopping rule's recall target and confidence come from the protocol."""

from __future__ import annotations

from pathlib import Path

import pytest

from review.cli import main
from review.decisions import DecisionStore
from review.errors import ProtocolError
from review.protocol import load_protocol, parse_protocol
from review.screen import Decision
from review.stopping import protocol_rule, screening_stop, unscreened_statement

REPO = Path(__file__).resolve().parent.parent

MINIMAL = """
schema_version = 1
name = "t"
title = "T"
question = "Q?"
[[searches]]
name = "a"
query = "kratom[tiab]"
[screening]
"""

RECORDS = """\
record_id,title,abstract,year,languages
k1,Kratom withdrawal in regular users,Withdrawal and dependence after daily kratom use.,2020,eng
k2,Mitragynine pharmacology,How mitragynine acts; dependence in users of kratom.,2019,eng
"""


def test_the_protocol_sets_the_rule_and_defaults_to_95_95() -> None:
    assert protocol_rule(parse_protocol(MINIMAL, Path("p.toml"))).target == 0.95
    protocol = parse_protocol(
        MINIMAL + "stop_recall = 0.8\nstop_confidence = 0.9\n", Path("p.toml")
    )
    rule = protocol_rule(protocol)
    assert (rule.target, rule.confidence) == (0.8, 0.9)
    assert "recall target 80%, confidence 90%" in rule.describe()
    kratom = protocol_rule(load_protocol(REPO / "queries" / "kratom.toml"))
    assert (kratom.target, kratom.confidence) == (0.95, 0.95)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("stop_recall = 1.5", r"p.toml:10: screening.stop_recall: 1.5 is not a fraction"),
        ("stop_recall = 0", r"p.toml:10: screening.stop_recall: 0 is not a fraction"),
        ("stop_confidence = 1", r"p.toml:10: screening.stop_confidence: 1 is not a fraction"),
        ("stop_confidence = '95%'", r"screening.stop_confidence: '95%' is not a fraction"),
        ("stop_recall = true", r"screening.stop_recall: True is not a fraction"),
        ("stop_recal = 0.9", r"screening"),
    ],
)
def test_bad_stopping_settings_name_the_file_line_and_key(line: str, expected: str) -> None:
    with pytest.raises(ProtocolError, match=expected):
        parse_protocol(MINIMAL + line + "\n", Path("p.toml"))


def test_the_report_states_the_protocols_target() -> None:
    protocol = parse_protocol(
        MINIMAL + "stop_recall = 0.8\nstop_confidence = 0.9\n", Path("p.toml")
    )
    rules = [Decision(f"r{i}", "title-abstract", "needs-human", by="rules") for i in range(200)]
    people = [
        Decision(f"r{i}", "title-abstract", "include" if i < 5 else "exclude", by="ann")
        for i in range(150)
    ]
    stop = screening_stop(rules, people, protocol_rule(protocol))
    assert stop is not None and stop.safe_to_stop
    assert "recall target 80%, confidence 90%" in unscreened_statement(stop)


def test_decisions_status_uses_the_protocols_rule_unless_told_otherwise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (REPO / "queries" / "kratom.toml").read_text(encoding="utf-8")
    (tmp_path / "kratom.toml").write_text(
        text.replace("stop_recall = 0.95", "stop_recall = 0.8"), encoding="utf-8"
    )
    (tmp_path / "records.csv").write_text(RECORDS, encoding="utf-8")
    with DecisionStore(tmp_path / "kratom.decisions.sqlite") as store:
        store.add(Decision("k1", "title-abstract", "include", by="ann"))
    argv = ["decisions", "status", str(tmp_path / "kratom.toml")]
    argv += ["--records", str(tmp_path / "records.csv")]
    assert main(argv) == 0
    assert "for 80% recall" in capsys.readouterr().out
    assert main([*argv, "--recall", "0.9"]) == 0
    assert "for 90% recall" in capsys.readouterr().out
