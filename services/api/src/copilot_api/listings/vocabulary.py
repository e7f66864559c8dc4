"""The place names and subtypes present in the data, for matching words in a query.

Loaded once per catalog version: every write bumps `listings_meta.catalog_version`, and each
process polls it every few seconds, reloading in the background when it changed (also after a
`copilot listings ingest` run by another process). Searches never wait for a reload.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from psycopg import AsyncConnection

from copilot_api.listings import store
from copilot_api.storage.database import Database

logger = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS: Final = 5.0

US_STATES: Final[Mapping[str, str]] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA",
    "kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD",
    "massachusetts": "MA", "michigan": "MI", "minnesota": "MN", "mississippi": "MS",
    "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
    "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK",
    "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC",
    "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
    "virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI",
    "wyoming": "WY", "district of columbia": "DC",
}  # fmt: skip

_COLUMNS: Final = {
    "city": "City",
    "state_or_province": "StateOrProvince",
    "postal_code": "PostalCode",
    "subdivision_name": "SubdivisionName",
    "county_or_parish": "CountyOrParish",
    "property_sub_type": "PropertySubType",
}


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """RESO field -> {lower-case value: value as most often written in the data}."""

    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    version: int = -1

    def canonical(self, field_name: str, value: str) -> str | None:
        return self.values.get(field_name, {}).get(value.strip().lower())

    def known(self, field_name: str) -> Mapping[str, str]:
        return self.values.get(field_name, {})

    def state_code(self, name_or_code: str) -> str:
        """ "Iowa" or "ia" -> the spelling the data uses ("IA"), else the US code."""
        lowered = name_or_code.strip().lower()
        code = US_STATES.get(lowered, lowered.upper())
        return self.canonical("StateOrProvince", code) or code


def vocabulary_from(listings: Iterable[Mapping[str, Any]], version: int = 0) -> Vocabulary:
    """The vocabulary of listings held in memory (the same rules as `load_vocabulary`)."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for listing in listings:
        for name in _COLUMNS.values():
            value = listing.get(name)
            if isinstance(value, str) and value.strip():
                counts[name][value] += 1
    return Vocabulary(_by_lower(counts), version)


def _by_lower(counts: Mapping[str, Counter[str]]) -> dict[str, dict[str, str]]:
    values: dict[str, dict[str, str]] = {}
    for name, counter in counts.items():
        by_lower: dict[str, str] = {}
        for value, _ in counter.most_common():  # the most common spelling wins
            by_lower.setdefault(value.strip().lower(), value.strip())
        values[name] = by_lower
    return values


async def load_vocabulary(connection: AsyncConnection[Any]) -> Vocabulary:
    version = await store.catalog_version(connection)
    sets = ", ".join(f"({column})" for column in _COLUMNS)
    cursor = await connection.execute(
        f"SELECT {', '.join(_COLUMNS)}, count(*) FROM listings GROUP BY GROUPING SETS ({sets})"  # noqa: S608 - constant column names
    )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in await cursor.fetchall():
        *values, count = row
        for name, value in zip(_COLUMNS.values(), values, strict=True):
            if value is not None:
                counts[name][str(value)] += int(count)
    return Vocabulary(_by_lower(counts), version)


class VocabularyCache:
    """The current vocabulary of this process; refreshed in the background."""

    def __init__(self, database: Database, interval: float = CHECK_INTERVAL_SECONDS) -> None:
        self._database = database
        self._interval = interval
        self._current = Vocabulary()
        self._checked_at = 0.0
        self._refresh: asyncio.Task[None] | None = None

    @property
    def current(self) -> Vocabulary:
        """Never blocks: schedules a version check when one is due."""
        if time.monotonic() - self._checked_at >= self._interval and self._refresh is None:
            self._checked_at = time.monotonic()
            self._refresh = asyncio.get_running_loop().create_task(self._check())
        return self._current

    async def load(self) -> Vocabulary:
        """Load now (startup, and after this process wrote listings)."""
        async with self._database.pool.connection() as connection:
            self._current = await load_vocabulary(connection)
        self._checked_at = time.monotonic()
        return self._current

    def invalidate(self) -> None:
        self._checked_at = 0.0

    async def close(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
            await asyncio.gather(self._refresh, return_exceptions=True)

    async def _check(self) -> None:
        try:
            async with self._database.pool.connection() as connection:
                if await store.catalog_version(connection) != self._current.version:
                    self._current = await load_vocabulary(connection)
                    logger.info("place vocabulary reloaded (version %d)", self._current.version)
        except Exception as error:  # a later check retries; searches keep the old vocabulary
            logger.warning("could not refresh the place vocabulary: %s", type(error).__name__)
        finally:
            self._refresh = None
