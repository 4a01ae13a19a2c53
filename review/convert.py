"""Converting bibliographic files between formats: `review convert INPUT... -o OUTPUT`.

Records from several inputs are written together, each keeping its source
(database, file, position), so a converted file still tells PRISMA where every
record came from, in every output format that has room for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from review.errors import InputError
from review.formats import WRITE_FORMATS, iter_records, write_records
from review.records import DatabaseNames, ImportProblem, Record

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


def convert(
    inputs: Sequence[Path],
    output: Path,
    *,
    database: str | None = None,
    keep_going: bool = False,
) -> Conversion:
    """Read every input (any supported format) and write all records to `output`.

    `database` names the source of every input (e.g. "Embase"); without it each
    file's own database field, or its name, is kept; one database is spelled one
    way throughout (`DatabaseNames`). Records stream from the inputs into the
    output, so memory does not grow with the number of records. Raises InputError
    before reading anything when the output format is unknown or an input is the
    output, and when an input yields no record at all unless `keep_going`; the
    earlier output, if any, is then left as it was.
    """
    if not inputs:
        raise InputError("no input files; name one or more files to convert")
    if output.suffix.lower() not in WRITE_FORMATS:
        raise InputError(
            f"{output}: cannot tell which format to write; end the name with one of "
            f"{', '.join(WRITE_FORMATS)}"
        )
    for path in inputs:
        if same_file(path, output):
            raise InputError(f"{output}: is also an input; write the output to another file")
    problems: list[ImportProblem] = []
    deleted: list[str] = []
    per_database: Counter[str] = Counter()
    names = DatabaseNames()

    def records() -> Iterator[Record]:
        for path in inputs:
            found: list[ImportProblem] = []
            for item in iter_records(path, database=database, keep_going=keep_going):
                if isinstance(item, Record):
                    name = names(item.source.database)
                    if name != item.source.database:
                        item = replace(item, source=replace(item.source, database=name))
                    per_database[name] += 1
                    yield item
                elif isinstance(item, ImportProblem):
                    found.append(item)
                else:
                    deleted.append(item.pmid)
            problems.extend(sorted(found, key=lambda p: p.position))

    written = write_records(records(), output)
    return Conversion(output, written, tuple(problems), tuple(deleted), tuple(per_database.items()))


def same_file(path: Path, output: Path) -> bool:
    """Whether `path` is `output`, through any links; a path that cannot be followed
    (a loop of links) is not, and its reader then says what is wrong with it."""
    try:
        return path.resolve() == output.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop before Python 3.13
        return False
