"""Reading JSON Lines and CSV: line numbers, renamed columns, unreadable lines as errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot_api.listings.sources import (
    SourceError,
    detect_format,
    parse_column_map,
    read_records,
)


def test_jsonl_keeps_line_numbers_and_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"ListingKey": "a"}\n\n{not json}\n[1, 2]\n{"ListingKey": "b"}\n')
    records = list(read_records(path, "jsonl"))
    assert [(r.line, r.fields, r.error is not None) for r in records] == [
        (1, {"ListingKey": "a"}, False),
        (3, None, True),
        (4, None, True),
        (5, {"ListingKey": "b"}, False),
    ]
    assert records[1].error is not None
    assert records[1].error.startswith("invalid JSON")
    assert records[2].error == "expected a JSON object"


def test_csv_maps_columns_and_counts_multiline_cells(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(
        'id,price,PublicRemarks,City\nA1,250000,"Two lines\nof remarks",Ames\nA2,,,Ames\nA3,1,2\n'
    )
    mapping = parse_column_map(["id=ListingKey", "price=ListPrice"])
    records = list(read_records(path, "csv", mapping))
    assert records[0].line == 2
    assert records[0].fields == {
        "ListingKey": "A1",
        "ListPrice": "250000",
        "PublicRemarks": "Two lines\nof remarks",
        "City": "Ames",
    }
    assert (records[1].line, records[1].fields) == (4, {"ListingKey": "A2", "City": "Ames"})
    assert (records[2].line, records[2].error) == (5, "expected 4 columns, found 3")


@pytest.mark.parametrize(
    ("pairs", "message"),
    [(["price"], "expects column=Field"), (["a=X", "a=Y"], "names column 'a' twice")],
)
def test_bad_column_maps(pairs: list[str], message: str) -> None:
    with pytest.raises(SourceError, match=message):
        parse_column_map(pairs)


def test_a_map_must_name_real_columns_and_not_collide(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_text("id,ListingKey\n1,2\n")
    with pytest.raises(SourceError, match="not in the header: nope"):
        list(read_records(path, "csv", {"nope": "ListPrice"}))
    with pytest.raises(SourceError, match="more than one column maps to: ListingKey"):
        list(read_records(path, "csv", {"id": "ListingKey"}))


def test_format_comes_from_the_extension(tmp_path: Path) -> None:
    assert detect_format(tmp_path / "a.ndjson") == "jsonl"
    assert detect_format(tmp_path / "a.CSV") == "csv"
    with pytest.raises(SourceError, match="use --format"):
        detect_format(tmp_path / "a.xlsx")
