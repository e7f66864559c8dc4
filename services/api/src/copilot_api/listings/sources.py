"""Reading listing files: JSON Lines and CSV with RESO field names (CSV columns may be renamed).

Each record carries the line it starts on, so a rejected row can be found in the file. A line
that cannot be decoded (bad JSON, bytes that are not UTF-8) becomes a record with an error
instead of stopping the whole file. A UTF-8 byte-order mark at the start is skipped.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import msgspec

SourceFormat = Literal["jsonl", "csv"]

_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
_DECODER = msgspec.json.Decoder()
_BOM = b"\xef\xbb\xbf"


class SourceError(ValueError):
    """The file as a whole cannot be read (missing, unknown format, bad column mapping)."""


@dataclass(frozen=True, slots=True)
class SourceRecord:
    line: int  # 1-based line the record starts on (for HTTP bodies: the item's index)
    fields: dict[str, Any] | None
    error: str | None = None


def detect_format(path: Path) -> SourceFormat:
    suffix = path.suffix.lower()
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise SourceError(f"{path}: cannot tell the format from the extension; use --format")


def parse_column_map(pairs: list[str]) -> dict[str, str]:
    """`["list_price=ListPrice", ...]` -> `{"list_price": "ListPrice"}`."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, separator, field = pair.partition("=")
        if not separator or not column.strip() or not field.strip():
            raise SourceError(f"--map expects column=Field, got {pair!r}")
        if column.strip() in mapping:
            raise SourceError(f"--map names column {column.strip()!r} twice")
        mapping[column.strip()] = field.strip()
    return mapping


def read_records(
    path: Path, source_format: SourceFormat, column_map: Mapping[str, str] | None = None
) -> Iterator[SourceRecord]:
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    if source_format == "jsonl":
        if column_map:
            raise SourceError("--map applies to CSV files only")
        return read_jsonl(path)
    return read_csv(path, column_map or {})


def read_jsonl(path: Path) -> Iterator[SourceRecord]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.removeprefix(_BOM) if number == 1 else raw
            if not line.strip():
                continue
            try:
                value = _DECODER.decode(line)
            except UnicodeDecodeError as error:
                yield SourceRecord(number, None, _not_utf8(error.object, error.start))
                continue
            except msgspec.DecodeError as error:
                yield SourceRecord(number, None, f"invalid JSON: {error}")
                continue
            if not isinstance(value, dict):
                yield SourceRecord(number, None, "expected a JSON object")
                continue
            yield SourceRecord(number, value)


def read_csv(path: Path, column_map: Mapping[str, str]) -> Iterator[SourceRecord]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long remarks
    # surrogateescape: bytes that are not UTF-8 reach the row as lone surrogates, so that row
    # alone is rejected (by `_undecodable_cell`) instead of the decoder stopping the file.
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            return
        names = _mapped_header(header, column_map)
        line = reader.line_num + 1
        for row in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                yield SourceRecord(start, None, f"expected {len(names)} columns, found {len(row)}")
                continue
            if bad := _undecodable_cell(names, row):
                yield SourceRecord(start, None, bad)
                continue
            # CSV has no null: an empty cell means the field is absent.
            yield SourceRecord(start, {n: v for n, v in zip(names, row, strict=True) if v != ""})


def _not_utf8(data: bytes, position: int) -> str:
    return f"not valid UTF-8: byte 0x{data[position]:02x} at byte {position + 1} of the line"


def _undecodable_cell(names: list[str], row: list[str]) -> str | None:
    for name, cell in zip(names, row, strict=True):
        if not cell.isascii():
            try:
                cell.encode("utf-8")
            except UnicodeEncodeError as error:
                raw = cell.encode("utf-8", "surrogateescape")
                byte = raw[len(cell[: error.start].encode("utf-8", "surrogateescape"))]
                return f"not valid UTF-8: byte 0x{byte:02x} in column {name}"
    return None


def _mapped_header(header: list[str], column_map: Mapping[str, str]) -> list[str]:
    columns = [name.strip() for name in header]
    missing = sorted(set(column_map) - set(columns))
    if missing:
        raise SourceError(f"--map names columns that are not in the header: {', '.join(missing)}")
    names = [column_map.get(column, column) for column in columns]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SourceError(f"more than one column maps to: {', '.join(duplicates)}")
    return names


def count_lines(path: Path) -> int:
    """Fast upper bound on the records in a file (for the progress bar and the load plan)."""
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return count
