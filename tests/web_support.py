"""A small review to serve in tests: a protocol and a JSON Lines file of records.

Every record is left to people (the rules only exclude, and an absent concept is
needs-human), so the screening queue is every record in file order. One title is
hostile markup, to check it stays text.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from review.formats import write_records
from review.records import AbstractSection, Author, Record, Source

HOSTILE_TITLE = (
    '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> kratom & co'
)

PROTOCOL = """
schema_version = 1
name = "webtest"
title = "Kratom <b>web</b> test"
question = "Q?"

[[searches]]
name = "a"
query = "kratom[tiab]"

[screening]
reviewers_required = {required}

[criteria]
rules_include = false
exclude_retracted = false

[[criteria.concepts]]
name = "kratom"
reason = "not-kratom"
terms = ["kratom", "mitragyn*"]
fields = ["title", "abstract"]
when_absent = "needs-human"

[criteria.reasons]
not-kratom = "Not about kratom"
wrong-design = "Not a study design the review includes"
"""


@dataclass(frozen=True)
class Review:
    protocol: Path
    records: Path
    ids: tuple[str, ...]
    folder: Path

    def serve_args(self) -> list[str]:
        return [str(self.protocol), "--records", str(self.records)]


def make_review(folder: Path, count: int = 12, required: int = 1) -> Review:
    folder.mkdir(parents=True, exist_ok=True)
    protocol = folder / "webtest.toml"
    protocol.write_text(PROTOCOL.replace("{required}", str(required)), encoding="utf-8")
    records = []
    for n in range(count):
        title = HOSTILE_TITLE if n == count - 1 else f"Kratom study number {n}"
        records.append(
            Record(
                id=f"r{n}",
                source=Source("test", file="records.jsonl", position=n),
                title=title,
                abstract=(AbstractSection(f"Mitragynine and withdrawal, abstract {n}. " * 40),),
                authors=(Author(family="Doe", initials="J"), Author(family=f"Roe{n}")),
                journal="Journal of Tests",
                year=2020,
                pmid=str(1000 + n),
                url="javascript:alert(1)" if n == count - 1 else "",
            )
        )
    path = folder / "records.jsonl"
    write_records(records, path)
    return Review(protocol, path, tuple(r.id for r in records), folder)


class Server:
    """`review serve` in its own process (so kill -9 is real), on a free port."""

    def __init__(self, review: Review, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "review", "serve", *review.serve_args(), "--port", "0"],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        if not first.startswith("Serving"):
            self.process.kill()
            _, errors = self.process.communicate(timeout=10)
            raise AssertionError(f"review serve did not start: {first}{errors}")
        self.url = first.split(" at ", 1)[1].split(" ", 1)[0].rstrip("/")

    def kill_9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.close_pipes()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.close_pipes()

    def close_pipes(self) -> None:
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
