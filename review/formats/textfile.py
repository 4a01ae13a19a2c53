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
import errno
import gzip
import re
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from review.errors import InputError
from review.records import ImportProblem, ImportResult, Record

__all__ = [
    "GZIP_MAGIC",
    "DecodedText",
    "damaged_gzip",
    "decode_head",
    "detect_encoding",
    "display_name",
    "file_stem",
    "gather",
    "lines_of",
    "nested_gzip",
    "open_binary",
    "read_lines",
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


def lines_of(text: str | Iterable[str]) -> Iterator[str]:
    """Lines without their ends, from a whole text or from `read_lines`."""
    if isinstance(text, str):
        yield from text_lines(text)
        return
    for line in text:
        yield line.rstrip("\r\n")


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


def unreadable_file(path: Path, exc: OSError) -> InputError:
    """The one-line error for an import file that cannot be opened or read."""
    if isinstance(exc, FileNotFoundError):
        return InputError(f"{path}: no such file; check the path")
    if isinstance(exc, IsADirectoryError):
        return InputError(f"{path}: is a folder, not a file; name the file to import")
    if exc.errno == errno.ELOOP:
        return InputError(f"{path}: is a loop of symbolic links; point it at a real file")
    return InputError(f"{path}: cannot be read ({exc.strerror or exc})")


def damaged_gzip(path: Path, exc: Exception) -> InputError:
    """The one-line error for a file that starts as gzip but does not unpack."""
    return InputError(f"{path}: is not a readable gzip file ({exc}); re-download or unpack it")


def nested_gzip(path: Path) -> InputError:
    """A file gzipped twice: one unpacking leaves another gzip file, no text."""
    return InputError(
        f"{path}: is gzip inside gzip (compressed twice); unpack it once with gunzip and "
        "import the result"
    )


def detect_encoding(head: bytes) -> str:
    """The encoding of a file from its first bytes: "utf-16" (with a byte-order mark),
    "utf-16-le" or "utf-16-be" (without one, told by the zero bytes that UTF-16 puts
    beside every ASCII character), else "utf-8"."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[: len(head) - len(head) % 2]
    if len(sample) >= UTF16_MIN_SAMPLE and not utf8_with_multibyte(head):
        pairs = len(sample) // 2
        even_zeros, odd_zeros = sample[0::2].count(0), sample[1::2].count(0)
        # Text in UTF-16 without a BOM: a zero byte in (nearly) every pair, always on
        # the same side; any other file has few zero bytes, on both sides alike.
        if odd_zeros >= UTF16_ZERO_SHARE * pairs and even_zeros <= pairs // 20:
            return "utf-16-le"
        if even_zeros >= UTF16_ZERO_SHARE * pairs and odd_zeros <= pairs // 20:
            return "utf-16-be"
    return "utf-8"


def utf8_with_multibyte(head: bytes) -> bool:
    """The bytes are UTF-8 (a character cut at the end aside) holding a character of more
    than one byte: UTF-16 text that has zero bytes beside its letters is never that, so
    zero bytes in such text are characters of their own."""
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return len(text.encode("utf-8")) > len(text)


def decode_head(head: bytes) -> str:
    """The first bytes of a file as text, for telling its format (never fails)."""
    encoding = detect_encoding(head)
    return head.decode(encoding, errors="replace").lstrip("\ufeff")


UTF16_MIN_SAMPLE = 8
UTF16_ZERO_SHARE = 0.3
HEAD_BYTES = 4096
CHUNK_BYTES = 1 << 16


@contextmanager
def open_binary(path: Path) -> Iterator[BinaryIO]:
    """The file's bytes, gunzipped when it is gzip whatever its name; errors in one line."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise unreadable_file(path, exc) from None
    with handle:
        try:
            compressed = handle.read(2) == GZIP_MAGIC
            handle.seek(0)
        except OSError as exc:
            raise unreadable_file(path, exc) from None
        if not compressed:
            yield handle
            return
        with gzip.GzipFile(fileobj=handle) as unzipped:
            yield cast(BinaryIO, unzipped)


def read_lines(path: Path, problems: list[ImportProblem]) -> Iterator[str]:
    """The file's lines one at a time, each with its line end, in constant memory.

    A line that is not UTF-8 is read as Windows-1252 and reported in `problems`
    (see the module's docstring); a UTF-16 file, with or without a byte-order
    mark, is read as UTF-16. A line ends at CR LF, LF or a lone CR.
    """
    file = display_name(path)
    with open_binary(path) as stream:
        try:
            head = stream.read(HEAD_BYTES)
            if head.startswith(GZIP_MAGIC) and isinstance(stream, gzip.GzipFile):
                raise nested_gzip(path)
            stream.seek(0)
            encoding = detect_encoding(head)
            if encoding.startswith("utf-16"):
                yield from utf16_lines(stream, encoding, file)
            else:
                yield from utf8_lines(stream, file, problems)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:  # BadGzipFile is an OSError
            raise damaged_gzip(path, exc) from None
        except OSError as exc:
            raise unreadable_file(path, exc) from None


def utf8_lines(stream: BinaryIO, file: str, problems: list[ImportProblem]) -> Iterator[str]:
    number = bad_lines = 0
    first = True
    for raw in stream:  # split at LF only: a lone CR is split below, after decoding
        if first:
            raw, first = raw.removeprefix(codecs.BOM_UTF8), False
        try:
            text, bad_at = raw.decode("utf-8"), -1
        except UnicodeDecodeError as exc:
            text, bad_at = decode_legacy(raw), exc.start
        for line in split_lone_cr(text):
            number += 1
            if bad_at >= 0:
                bad_lines += 1
                if bad_lines <= MAX_REPORTED_ENCODING_LINES:
                    message = (
                        f"not UTF-8 (byte 0x{raw[bad_at]:02x} at column {bad_at + 1}); "
                        "read as Windows-1252, check this entry's accents"
                    )
                    problems.append(ImportProblem(file, number, message, kept=True))
                elif bad_lines == MAX_REPORTED_ENCODING_LINES + 1:
                    first_unreported = number
                bad_at = -1
            yield line
    if bad_lines > MAX_REPORTED_ENCODING_LINES:
        rest = bad_lines - MAX_REPORTED_ENCODING_LINES
        problems.append(
            ImportProblem(
                file,
                first_unreported,
                f"{rest} more lines are not UTF-8; re-export the file as UTF-8 if you can",
                kept=True,
            )
        )


LONE_CR = re.compile(r"(?<=\r)(?!\n)")


def split_lone_cr(text: str) -> list[str]:
    """ "a\rb\n" → ["a\r", "b\n"]: a lone CR (old Mac files) ends a line too."""
    if "\r" not in text:
        return [text]
    return [part for part in LONE_CR.split(text) if part]


def utf16_lines(stream: BinaryIO, encoding: str, file: str) -> Iterator[str]:
    """Windows tools (Web of Science "Win" exports, EndNote) write UTF-16, some without
    a byte-order mark."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0  # bytes handed to the decoder so far
    pending = ""
    while True:
        chunk = stream.read(CHUNK_BYTES)
        held = len(decoder.getstate()[0])  # bytes of a character cut by the last chunk
        try:
            pending += decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            kind = "starts as UTF-16" if encoding == "utf-16" else "reads as UTF-16"
            raise InputError(
                f"{file}: {kind} but byte {offset - held + exc.start} is not; re-export it as UTF-8"
            ) from None
        offset += len(chunk)
        # A CR at the end of a chunk may be the first half of a CR LF.
        cut = len(pending) - 1 if chunk and pending.endswith("\r") else len(pending)
        parts = LINE_END_SPLIT.split(pending[:cut])
        for index in range(0, len(parts) - 1, 2):
            yield parts[index] + parts[index + 1]
        pending = parts[-1] + pending[cut:]
        if not chunk:
            if pending:
                yield pending
            return


LINE_END_SPLIT = re.compile(r"(\r\n|\n|\r)")


def read_text(path: Path) -> DecodedText:
    """The whole file as text, for readers that need all of it at once (BibTeX)."""
    problems: list[ImportProblem] = []
    text = "".join(read_lines(path, problems))
    return DecodedText(text, tuple(problems))


# Windows-1252 leaves these five bytes undefined; Latin-1 maps every byte, so
# they become C1 controls rather than stopping the import.
UNDEFINED_CP1252 = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})


def decode_legacy(line: bytes) -> str:
    return "".join(chr(b) if b in UNDEFINED_CP1252 else bytes([b]).decode("cp1252") for b in line)


def gather(items: Iterable[object]) -> ImportResult:
    """A reader's stream as one result: its records, every problem in file order, and
    PubMed's deletions (any other item carries a deleted `pmid`)."""
    records: list[Record] = []
    problems: list[ImportProblem] = []
    deleted: list[str] = []
    for item in items:
        if isinstance(item, Record):
            records.append(item)
        elif isinstance(item, ImportProblem):
            problems.append(item)
        else:
            deleted.append(str(getattr(item, "pmid")))  # noqa: B009 (pubmed_xml.Deletion)
    return ImportResult(
        tuple(records), tuple(sorted(problems, key=lambda p: p.position)), tuple(deleted)
    )
