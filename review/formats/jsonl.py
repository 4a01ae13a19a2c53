"""JSON Lines: every field of every record, one JSON object a line, lossless.

The object's keys are `Record`'s field names; nested values (source, authors,
abstract sections, MeSH headings, relations) are objects with their own field
names, and `extra` is a list of [name, value] pairs. A missing key takes the
field's default, so hand-written files need only "id" and "source".

A flat object without a "source" object (one value or list of values a key,
as in ../shared/data/kratom-sample/records.jsonl) is read like a CSV row: the
same column names, lists joined, other keys kept in `extra`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from review.formats.fields import names_for_message
from review.formats.table import COLUMN_FIELD, column_key, record_from_row
from review.formats.textfile import display_name, file_stem, gather, lines_of, read_lines
from review.records import (
    AbstractSection,
    Author,
    ImportProblem,
    ImportResult,
    MeshHeading,
    MeshQualifier,
    Record,
    Relation,
    Source,
)

__all__ = [
    "iter_jsonl",
    "read_jsonl",
    "record_from_json",
    "record_to_json",
    "stream_jsonl",
    "write_jsonl",
]

T = TypeVar("T")


class EntryError(ValueError):
    """One line's object does not describe a record."""


def record_to_json(record: Record) -> dict[str, Any]:
    """The record as plain JSON values: objects, lists, text, numbers, booleans, null."""
    data: dict[str, Any] = as_json(dataclasses.asdict(record))
    return data


def as_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [as_json(item) for item in value]
    return value


def write_jsonl(records: Iterable[Record], path: Path) -> int:
    """Write records as JSON Lines (UTF-8); returns how many were written."""
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in records:
            out.write(json.dumps(record_to_json(record), ensure_ascii=False) + "\n")
            count += 1
    return count


def read_jsonl(path: Path, *, database: str | None = None) -> ImportResult:
    """Records from JSON Lines; `database`, when given, replaces each record's own."""
    return gather(stream_jsonl(path, database=database))


def stream_jsonl(path: Path, *, database: str | None = None) -> Iterator[Record | ImportProblem]:
    """`read_jsonl` one line at a time; decoding problems last."""
    problems: list[ImportProblem] = []
    for item in iter_jsonl(read_lines(path, problems), file=display_name(path)):
        if isinstance(item, Record) and database is not None:
            source = dataclasses.replace(item.source, database=database)
            yield dataclasses.replace(item, source=source)
        else:
            yield item
    yield from problems


def iter_jsonl(text: str | Iterable[str], *, file: str) -> Iterator[Record | ImportProblem]:
    position = 0
    for number, line in enumerate(lines_of(text), start=1):
        if not line.strip():
            continue
        position += 1
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield ImportProblem(file, number, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        try:
            if isinstance(data, dict) and not isinstance(data.get("source"), dict):
                yield record_from_flat(data, file, position)
            else:
                yield record_from_json(data)
        except EntryError as exc:
            record_id = data.get("id", "") if isinstance(data, dict) else ""
            yield ImportProblem(file, number, str(exc), record_id=str(record_id))


def record_from_json(data: Any) -> Record:
    """A record from the object `record_to_json` makes; EntryError says what is wrong."""
    if not isinstance(data, dict):
        raise EntryError("line is not a JSON object")
    if not isinstance(data.get("id"), str) or not data["id"]:
        raise EntryError("record has no 'id' text")
    values = dict(data)
    values["source"] = build(Source, required(values, "source"), "source")
    for name, kind in NESTED_LISTS.items():
        values[name] = tuple(build(kind, item, name) for item in as_list(values.get(name), name))
    for name in TEXT_LISTS:
        values[name] = tuple(check_text(item, name) for item in as_list(values.get(name), name))
    values["extra"] = tuple(pair_of(item) for item in as_list(values.get("extra"), "extra"))
    return build(Record, values, "record")


def record_from_flat(data: dict[str, Any], file: str, position: int) -> Record:
    """A flat object, one value or list of values a key, read like a CSV row."""
    header = list(data)
    cells = [flat_cell(data[key], key) for key in header]
    fields = [COLUMN_FIELD.get(column_key(key), "") for key in header]
    if "id" not in fields and "title" not in fields:
        raise EntryError(f"object has neither an id nor a title among {names_for_message(header)}")
    source = Source(database=file_stem(Path(file)), file=file, position=position)
    return record_from_row(header, fields, cells, source, use_database_column=True)


def flat_cell(value: Any, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(flat_cell(item, key) for item in value)
    if isinstance(value, dict):
        raise EntryError(f"'{key}' holds an object; expected text, a number or a list")
    return str(value)


NESTED_LISTS: dict[str, Callable[..., Any]] = {
    "abstract": AbstractSection,
    "authors": Author,
    "mesh": MeshHeading,
    "relations": Relation,
}
TEXT_LISTS = ("publication_types", "keywords", "languages")


def required(values: dict[str, Any], name: str) -> Any:
    if name not in values:
        raise EntryError(f"record has no '{name}'")
    return values[name]


def as_list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise EntryError(f"'{name}' must be a list")
    return value


def check_text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise EntryError(f"'{name}' must hold text")
    return value


def pair_of(value: Any) -> tuple[str, str]:
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise EntryError("each 'extra' item must be [name, value]")
    return value[0], value[1]


def build(kind: Callable[..., T], value: Any, name: str) -> T:
    if not isinstance(value, dict):
        raise EntryError(f"'{name}' must be an object")
    if kind is MeshHeading:
        value = dict(value)
        value["qualifiers"] = tuple(
            build(MeshQualifier, q, "qualifiers") for q in as_list(value.get("qualifiers"), name)
        )
    fields = {f.name: f for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise EntryError(f"'{name}' has unknown keys: {names_for_message(unknown)}")
    for key, item in value.items():
        check_type(key, item, fields[key].type)
    try:
        return kind(**value)
    except TypeError as exc:
        raise EntryError(f"'{name}' cannot be built ({exc})") from None


def check_type(key: str, value: Any, annotation: Any) -> None:
    # Annotations are strings (from __future__ import annotations); only the plain
    # scalar ones need checking here, the nested ones were built above.
    scalar_types: dict[str, tuple[type, ...]] = {
        "str": (str,),
        "int": (int,),
        "bool": (bool,),
        "int | None": (int, type(None)),
    }
    expected = scalar_types.get(str(annotation))
    if expected is None:
        return
    if isinstance(value, bool) and annotation != "bool":
        raise EntryError(f"'{key}' must be {annotation}, not {type(value).__name__}")
    if not isinstance(value, expected):
        raise EntryError(f"'{key}' must be {annotation}, not {type(value).__name__}")
