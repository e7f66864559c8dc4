"""Bad bytes in ingest files, through the real CLI into embedded PostgreSQL: a UTF-8 BOM, lines
that are not UTF-8, NUL characters (raw and as JSON escapes) and a repeated ListingKey, in JSON
Lines and CSV. Each bad line is rejected with its number and reason, every good line lands
(0 rows lost), the duplicate is a warning naming both lines, and the report is printed."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests.faults.conftest import FaultReport
from tests.integration.listings.test_ingest import cli, keys_in, row


def _jsonl(*lines: bytes) -> bytes:
    return b"\n".join(lines) + b"\n"


def _line(key: str, **fields: object) -> bytes:
    return json.dumps(row(key, **fields)).encode()


JSONL = _jsonl(
    b"\xef\xbb\xbf" + _line("J1"),  # BOM before the first (valid) row
    _line("J2", PublicRemarks="caf\u00e9").replace(b"\\u00e9", b"\xe9"),  # Latin-1
    _line("J3"),
    _line("J4", PublicRemarks="nul \u0000 inside"),  # \u0000 escape
    _line("J5", **{"Note\u0000": "x"}),  # NUL in a field name
    _line("J3", ListPrice=260000),  # duplicate of line 3: this one wins
    _line("J7"),
)
JSONL_GOOD = ["J1", "J3", "J7"]
JSONL_WINNER = ("J3", "260000")

CSV = (
    b"\xef\xbb\xbfListingKey,City,ListPrice,StandardStatus,PublicRemarks\r\n"
    b"C1,Ames,250000,Active,Fine\r\n"
    b"C2,Ames,250000,Active,caf\xe9 au lait\r\n"
    b'C3,Ames,250000,Active,"multi\nline"\r\n'
    b"C4,Ames,250000,Active,nul \x00 byte\r\n"
    b"C1,Ames,275000,Active,Second copy\r\n"
    b"C6,Ames,250000,Active,Fine\r\n"
)
CSV_GOOD = ["C1", "C3", "C6"]
CSV_WINNER = ("C1", "275000")


@pytest.mark.parametrize(
    ("name", "content", "good", "winner", "expected_lines"),
    [
        (
            "feed.jsonl",
            JSONL,
            JSONL_GOOD,
            JSONL_WINNER,
            [
                "line 2: not valid UTF-8: byte 0xe9",
                "line 4 (J4): PublicRemarks contains a NUL character (U+0000), which PostgreSQL "
                "cannot store",
                "line 5 (J5): field name 'Note\\\\u0000' contains a NUL character",
                "line 6 (J3): warning: same ListingKey as line 3; line 6 is the one kept",
            ],
        ),
        (
            "feed.csv",
            CSV,
            CSV_GOOD,
            CSV_WINNER,
            [
                "line 3: not valid UTF-8: byte 0xe9 in column PublicRemarks",
                "line 6 (C4): PublicRemarks contains a NUL character (U+0000)",
                "line 7 (C1): warning: same ListingKey as line 2; line 7 is the one kept",
            ],
        ),
    ],
)
def test_bad_bytes_reject_only_their_line(
    name: str,
    content: bytes,
    good: list[str],
    winner: tuple[str, str],
    expected_lines: list[str],
    database_url: str,
    tmp_path: Path,
    fault_report: FaultReport,
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    result = cli(database_url, "ingest", str(path), "--no-progress", "--batch-size", "2")

    stored = keys_in(database_url)
    fault_report.record(
        f"bad ingest bytes ({path.suffix[1:]}): BOM, non-UTF-8, NUL, duplicate key",
        time_to_503_s=None,
        time_to_recovery_s=None,
        requests_failed=0,
        rows_lost=len(set(good) - set(stored)),
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr  # some rows were rejected
    assert stored == good
    for expected in expected_lines:
        assert expected in result.stderr, result.stderr
    # The duplicate's second row updates the first: last wins.
    rejected = sum(1 for line in expected_lines if "warning" not in line)
    assert result.stdout.startswith(
        f"inserted 3, updated 1, unchanged 0, rejected {rejected}, 1 duplicate"
    )
    key, later_price = winner
    with psycopg.connect(database_url) as connection:
        price = connection.execute(
            "SELECT data->>'ListPrice' FROM listings WHERE listing_key = %s", (key,)
        ).fetchone()
    assert price == (later_price,)
