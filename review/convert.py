"""Converting bibliographic files between formats: `review convert INPUT... -o OUTPUT`.

Records from several inputs are written together, each keeping its source
(database, file, position), so a converted file still tells PRISMA where every
record came from, in every output format that has room for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from review.errors import InputError
from review.formats import WRITE_FORMATS, read_records, write_records
from review.records import ImportProblem, Record

__all__ = ["Conversion", "convert"]


@dataclass(frozen=True, slots=True)
class Conversion:
    """What one conversion did: records written, entries skipped or doubtful, deletions."""

    output: Path
    written: int
    problems: tuple[ImportProblem, ...] = ()
    deleted_pmids: tuple[str, ...] = ()  # PubMed DeleteCitation entries, not written
    per_database: tuple[tuple[str, int], ...] = ()  # records written, by source database

    @property
    def summary(self) -> str:
        plural = "s" if self.written != 1 else ""
        written = f"{self.written} record{plural} written to {self.output}"
        if len(self.per_database) > 1:
            written += " (" + ", ".join(f"{name} {n}" for name, n in self.per_database) + ")"
        parts = [written]
        count = len(self.problems)
        parts.append(f"{count} problem{'s' if count != 1 else ''}")
        if self.deleted_pmids:
            parts.append(f"{len(self.deleted_pmids)} PubMed deletions not written")
        return "; ".join(parts)


def convert(inputs: Sequence[Path], output: Path, *, database: str | None = None) -> Conversion:
    """Read every input (any supported format) and write all records to `output`.

    `database` names the source of every input (e.g. "Embase"); without it each
    file's own database field, or its name, is kept. Raises InputError before
    reading anything when the output format is unknown or an input is the output.
    """
    if not inputs:
        raise InputError("no input files; name one or more files to convert")
    if output.suffix.lower() not in WRITE_FORMATS:
        raise InputError(
            f"{output}: cannot tell which format to write; end the name with one of "
            f"{', '.join(WRITE_FORMATS)}"
        )
    for path in inputs:
        if path.resolve() == output.resolve():
            raise InputError(f"{output}: is also an input; write the output to another file")
    records: list[Record] = []
    problems: list[ImportProblem] = []
    deleted: list[str] = []
    for path in inputs:
        result = read_records(path, database=database)
        records.extend(result.records)
        problems.extend(result.problems)
        deleted.extend(result.deleted_pmids)
    written = write_records(records, output)
    per_database = Counter(record.source.database for record in records)
    return Conversion(output, written, tuple(problems), tuple(deleted), tuple(per_database.items()))
