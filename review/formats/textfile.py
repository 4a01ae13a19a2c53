"""Reading an import file's text: gzip or plain, UTF-8 or not, with problems named by line.

Exports from databases are not always UTF-8 (older EndNote and Ovid files are
often Windows-1252, Windows exports of Web of Science UTF-16), and files glued
together by hand can mix encodings. A file with a UTF-16 byte-order mark is read
as UTF-16, any other as UTF-8 (a byte-order mark is dropped). When that fails,
each line that is not UTF-8 is decoded as Windows-1252 (Latin-1 for the five
bytes Windows-1252 leaves undefined) and reported, so the reviewer can check
those entries while every entry is still imported.
"""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from review.errors import InputError
from review.records import ImportProblem, ImportResult, Record

__all__ = [
    "GZIP_MAGIC",
    "DecodedText",
    "damaged_gzip",
    "display_name",
    "file_stem",
    "read_text",
    "text_lines",
    "unreadable_file",
]

GZIP_MAGIC = b"\x1f\x8b"
# Past this many undecodable lines, one summary problem stands for the rest.
MAX_REPORTED_ENCODING_LINES = 10
COMPRESSION_SUFFIXES = (".gz",)


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    problems: tuple[ImportProblem, ...] = ()


def text_lines(text: str) -> list[str]:
    """Lines split at line ends only: str.splitlines also splits at U+0085, U+2028 and
    form feeds, which can be part of a title or abstract."""
    lines = LINE_END.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


LINE_END = re.compile(r"\r\n|\n|\r")


def display_name(path: Path) -> str:
    """The name problems and sources use for a file: its name, not its full path."""
    return path.name


def file_stem(path: Path) -> str:
    """'records' for records.csv.gz: the name without compression and format suffixes."""
    name = path.name
    for suffix in COMPRESSION_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return Path(name).stem or name


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is gzip whatever its name."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise unreadable_file(path, exc) from None
    if raw.startswith(GZIP_MAGIC):
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise damaged_gzip(path, exc) from None
    return raw


def unreadable_file(path: Path, exc: OSError) -> InputError:
    """The one-line error for an import file that cannot be opened or read."""
    if isinstance(exc, FileNotFoundError):
        return InputError(f"{path}: no such file; check the path")
    if isinstance(exc, IsADirectoryError):
        return InputError(f"{path}: is a folder, not a file; name the file to import")
    return InputError(f"{path}: cannot be read ({exc.strerror or exc})")


def damaged_gzip(path: Path, exc: Exception) -> InputError:
    """The one-line error for a file that starts as gzip but does not unpack."""
    return InputError(f"{path}: is not a readable gzip file ({exc}); re-download or unpack it")


def read_text(path: Path) -> DecodedText:
    """The whole file as text, with one problem per line that was not UTF-8."""
    return decode(read_bytes(path), display_name(path))


def decode(raw: bytes, file: str) -> DecodedText:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Windows tools (Web of Science "Win" exports, EndNote) write UTF-16.
        try:
            return DecodedText(raw.decode("utf-16"))
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{file}: starts as UTF-16 but byte {exc.start} is not; re-export it as UTF-8"
            ) from None
    try:
        return DecodedText(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    parts: list[str] = []
    problems: list[ImportProblem] = []
    bad_lines: list[int] = []
    for number, line in enumerate(raw.splitlines(keepends=True), start=1):
        try:
            parts.append(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            parts.append(decode_legacy(line))
            bad_lines.append(number)
            if len(bad_lines) <= MAX_REPORTED_ENCODING_LINES:
                message = (
                    f"not UTF-8 (byte 0x{line[exc.start]:02x} at column {exc.start + 1}); "
                    "read as Windows-1252, check this entry's accents"
                )
                problems.append(ImportProblem(file, number, message))
    if len(bad_lines) > MAX_REPORTED_ENCODING_LINES:
        rest = len(bad_lines) - MAX_REPORTED_ENCODING_LINES
        problems.append(
            ImportProblem(
                file,
                bad_lines[MAX_REPORTED_ENCODING_LINES],
                f"{rest} more lines are not UTF-8; re-export the file as UTF-8 if you can",
            )
        )
    return DecodedText("".join(parts), tuple(problems))


# Windows-1252 leaves these five bytes undefined; Latin-1 maps every byte, so
# they become C1 controls rather than stopping the import.
UNDEFINED_CP1252 = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})


def decode_legacy(line: bytes) -> str:
    return "".join(chr(b) if b in UNDEFINED_CP1252 else bytes([b]).decode("cp1252") for b in line)


def gather(decoded: DecodedText, items: Iterable[Record | ImportProblem]) -> ImportResult:
    """A reader's stream as one result: its records, and every problem in file order."""
    records: list[Record] = []
    problems = list(decoded.problems)
    for item in items:
        if isinstance(item, Record):
            records.append(item)
        else:
            problems.append(item)
    return ImportResult(tuple(records), tuple(sorted(problems, key=lambda p: p.position)))
