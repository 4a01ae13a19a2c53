"""PubMed XML parsing benchmark: ours against the bare parser loop and Entrez.read.

Parses the NLM update file ../shared/data/pubmed/pubmed21n1298.xml.gz (20,788
PubmedArticle records and one DeleteCitation) with

- `bare`: lxml's pull parser (`record_events`) over the same record tags with the
  same options and the same clearing as ours, doing nothing with the records: the floor;
- `ours`: `review.formats.pubmed_xml.iter_pubmed_xml`, every record built and
  dropped (streaming, as a pipeline consumes it);
- `ours x2`: ours on the file's records twice over in one document, to show that
  peak memory does not grow with the size of the file;
- `ours, collected`: `read_pubmed_xml`, which keeps every Record (what `review
  convert` does): memory grows with the records kept, not with the XML;
- `Entrez.read`: Biopython's parser (`validate=False`) on the same file handle.
  It builds the whole document in memory. Biopython 1.88 ships pubmed_190101.dtd,
  the DTD this file names, so it needs no download; the worker replaces urlopen
  with a function that fails, so any attempt to fetch a DTD would stop the run.

Every parser runs in its own fresh interpreter (a subprocess) so that one
cannot count against another's memory. Time: from opening the file to the last
record, gzip decompression included (all parsers pay it alike); with
--uncompressed the file is also unpacked into memory first and parsing alone is
timed. Wall and CPU seconds are both shown; ratios and records per second use
CPU seconds, because the machine is shared and wall time there measures the
neighbours as much as the parser. `--runs N` keeps the run with the least CPU
time of N per parser (`--entrez-runs` for Entrez.read, 1 by default), and the
runs are interleaved (bare, ours, ..., bare, ours, ...). Memory: the worker's peak RSS
(VmHWM, reset just before parsing, after imports and input preparation) and
its growth over the RSS at that moment.

    python benchmarks/parse.py                      # ~2 minutes
    python benchmarks/parse.py --runs 3 --entrez-runs 2 --uncompressed   # ~10 minutes
    python benchmarks/parse.py --entrez-records 2000   # Entrez.read on a prefix only
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_FILE = REPO.parent / "shared" / "data" / "pubmed" / "pubmed21n1298.xml.gz"
ROOT_OPEN = b"<PubmedArticleSet>"
ROOT_CLOSE = b"</PubmedArticleSet>"
CHUNK = 1 << 16


# --------------------------------------------------------------------------- inputs


class ChainedStream(io.RawIOBase):
    """A read-only byte stream made of pieces produced one after another, lazily."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buffer:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._buffer = piece
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def _document_parts(path: Path) -> tuple[bytes, int, bytes]:
    """The bytes up to and including <PubmedArticleSet>, the body length, the closing tail."""
    with gzip.open(path, "rb") as stream:
        head = stream.read(CHUNK)
        start = head.index(ROOT_OPEN) + len(ROOT_OPEN)
        total = len(head)
        tail = head
        while chunk := stream.read(CHUNK):
            total += len(chunk)
            tail = (tail + chunk)[-CHUNK:]
    end_in_tail = tail.rindex(ROOT_CLOSE)
    body_length = total - start - (len(tail) - end_in_tail)
    return head[:start], body_length, tail[end_in_tail:]


def repeated_document(path: Path, times: int) -> io.BufferedReader:
    """The file's document with its records `times` over, streamed, never held whole."""
    header, body_length, footer = _document_parts(path)

    def pieces() -> Iterator[bytes]:
        yield header
        for _ in range(times):
            with gzip.open(path, "rb") as stream:
                stream.read(len(header))
                left = body_length
                while left:
                    chunk = stream.read(min(CHUNK, left))
                    left -= len(chunk)
                    yield chunk
        yield footer

    return io.BufferedReader(ChainedStream(pieces()), CHUNK)


def first_records(path: Path, count: int) -> bytes:
    """A valid document holding only the first `count` PubmedArticles of the file."""
    data = gzip.decompress(path.read_bytes())
    end = 0
    for _ in range(count):
        end = data.index(b"</PubmedArticle>", end) + len(b"</PubmedArticle>")
    return data[:end] + b"\n" + ROOT_CLOSE + b"\n"


# --------------------------------------------------------------------------- workers


def count_bare(stream: io.BufferedIOBase) -> int:
    from review.formats.pubmed_xml import _release, record_events

    records = 0
    events = record_events(stream)
    for element in events:
        if element.tag != "DeleteCitation":
            records += 1
        _release(element)
    return records


def count_ours(stream: io.BufferedIOBase) -> int:
    from review.formats.pubmed_xml import iter_pubmed_xml
    from review.records import Record

    return sum(1 for item in iter_pubmed_xml(stream) if isinstance(item, Record))


def count_entrez(stream: io.BufferedIOBase) -> int:
    from Bio import Entrez
    from Bio.Entrez import Parser

    def no_network(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("Entrez.read tried to download a DTD or schema")

    # The parser module imported urlopen by name; any fetch now stops the run.
    Parser.urlopen = no_network  # type: ignore[attr-defined]
    document = Entrez.read(stream, validate=False)  # type: ignore[no-untyped-call]
    return len(document["PubmedArticle"]) + len(document["PubmedBookArticle"])


def count_collected(path: Path) -> int:
    from review.formats.pubmed_xml import read_pubmed_xml

    return len(read_pubmed_xml(path).records)


PARSERS: dict[str, Callable[[io.BufferedIOBase], int]] = {
    "bare": count_bare,
    "ours": count_ours,
    "entrez": count_entrez,
}


def open_input(options: argparse.Namespace) -> io.BufferedIOBase:
    """The worker's input, prepared before timing starts."""
    path = Path(options.file)
    if options.entrez_records:
        return io.BytesIO(first_records(path, options.entrez_records))
    if options.uncompressed:
        return io.BytesIO(gzip.decompress(path.read_bytes()))
    if options.times != 1:
        return repeated_document(path, options.times)
    return gzip.open(path, "rb")


def rss_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def reset_peak_rss() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0), so
    # that preparing the input (unpacking 233 MB) does not hide the parser's peak.
    Path("/proc/self/clear_refs").write_text("5")


def run_worker(options: argparse.Namespace) -> None:
    stream = open_input(options)
    # Import everything the parser needs before the baseline is taken.
    import lxml.etree  # noqa: F401

    import review.formats.pubmed_xml  # noqa: F401

    if options.worker == "entrez":
        import Bio.Entrez  # noqa: F401

    reset_peak_rss()
    before_kb = rss_kb("VmRSS")
    started, started_cpu = time.perf_counter(), time.process_time()
    if options.worker == "collected":
        records = count_collected(Path(options.file))
    else:
        records = PARSERS[options.worker](stream)
    seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    peak_kb = rss_kb("VmHWM")
    result = {"records": records, "seconds": seconds, "cpu": cpu, "peak_kb": peak_kb}
    print(json.dumps(result | {"growth_kb": peak_kb - before_kb}))


# --------------------------------------------------------------------------- driver


def run_once(options: argparse.Namespace, worker: str, flags: tuple[str, ...]) -> dict[str, float]:
    """One run of one worker in a fresh interpreter."""
    command = [sys.executable, __file__, "--worker", worker, "--file", str(options.file), *flags]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    print(
        f"  {worker} {' '.join(flags)}: {result['seconds']:.2f} s, {result['cpu']:.2f} s CPU",
        file=sys.stderr,
    )
    return result


Spec = tuple[str, tuple[str, ...], int]  # worker, flags, number of runs


def measure(options: argparse.Namespace, specs: list[Spec]) -> list[dict[str, float]]:
    """The least-CPU run of each spec; runs are interleaved so that a busy spell on
    the shared machine falls on all parsers rather than on one."""
    best: list[dict[str, float] | None] = [None] * len(specs)
    for round_number in range(max(runs for _, _, runs in specs)):
        for index, (worker, flags, runs) in enumerate(specs):
            if round_number < runs:
                result = run_once(options, worker, flags)
                current = best[index]
                if current is None or result["cpu"] < current["cpu"]:
                    best[index] = result
    return [result for result in best if result is not None]


def print_table(rows: list[tuple[str, dict[str, float]]], reference: dict[str, float]) -> None:
    print(
        f"| {'parser':<34} | {'records':>7} | {'wall s':>6} | {'CPU s':>6} | {'records/CPU s':>13} "
        f"| {'peak RSS MB':>11} | {'growth MB':>9} | {'CPU / ours':>10} |"
    )
    widths = (36, 9, 8, 8, 15, 13, 11, 12)
    print("|" + "|".join("-" * (w - 1) + (":" if i else "-") for i, w in enumerate(widths)) + "|")
    for name, row in rows:
        records, wall, cpu = int(row["records"]), row["seconds"], row["cpu"]
        ratio = cpu / reference["cpu"]
        peak, growth = row["peak_kb"] / 1024, row["growth_kb"] / 1024
        print(
            f"| {name:<34} | {records:>7} | {wall:>6.2f} | {cpu:>6.2f} | {records / cpu:>13,.0f} "
            f"| {peak:>11.0f} | {growth:>9.1f} | {ratio:>9.2f}x |"
        )


def rate(row: dict[str, float]) -> float:
    return row["records"] / row["cpu"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--runs", type=int, default=1, help="least-CPU of N runs per parser")
    parser.add_argument("--entrez-runs", type=int, default=1, help="runs of Entrez.read (slow)")
    parser.add_argument("--uncompressed", action="store_true", help="also time in-memory XML")
    parser.add_argument("--entrez-records", type=int, default=0, help="Entrez.read on a prefix")
    parser.add_argument("--skip-entrez", action="store_true")
    parser.add_argument("--worker", choices=[*PARSERS, "collected"], help=argparse.SUPPRESS)
    parser.add_argument("--times", type=int, default=1, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.worker:
        run_worker(options)
        return 0
    if not options.file.is_file():
        print(f"Error: {options.file} not found; this benchmark needs ../shared", file=sys.stderr)
        return 1

    print(f"File: {options.file.name}; Python {sys.version.split()[0]}")
    entrez_label = "Entrez.read (validate=False)"
    entrez_flags: tuple[str, ...] = ()
    if options.entrez_records:
        entrez_label = f"Entrez.read, first {options.entrez_records} records"
        entrez_flags = ("--entrez-records", str(options.entrez_records))
    runs, entrez_runs = options.runs, 0 if options.skip_entrez else options.entrez_runs
    labels = [
        "bare parser loop (floor)",
        "ours: iter_pubmed_xml",
        "ours, records twice over (2x file)",
        "ours, collected (read_pubmed_xml)",
        entrez_label,
    ]
    specs: list[Spec] = [
        ("bare", (), runs),
        ("ours", (), runs),
        ("ours", ("--times", "2"), runs),
        ("collected", (), 1),
        ("entrez", entrez_flags, entrez_runs),
    ]
    print("\nFrom the .gz file (decompression included):")
    report(labels, measure(options, specs))
    if options.uncompressed:
        print("\nFrom the XML already unpacked in memory (parsing alone):")
        unpacked = ("--uncompressed",)
        specs = [("bare", unpacked, runs), ("ours", unpacked, runs)]
        if not options.entrez_records:
            specs.append(("entrez", unpacked, entrez_runs))
        report([labels[0], labels[1], labels[4]], measure(options, specs))
    return 0


def report(labels: list[str], results: list[dict[str, float]]) -> None:
    rows = list(zip(labels, results, strict=False))
    bare, ours = results[0], results[1]
    print_table(rows, ours)
    print(f"\nours / bare: {ours['cpu'] / bare['cpu']:.2f}x the floor's CPU time (target <= 2)")
    entrez = dict(rows).get(labels[-1]) if labels[-1].startswith("Entrez") else None
    if entrez is not None:
        speedup = rate(ours) / rate(entrez)
        print(f"ours / Entrez.read: {speedup:.1f}x as many records per CPU second (target >= 5)")


if __name__ == "__main__":
    sys.exit(main())
