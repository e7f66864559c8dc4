"""Migration 0050 gives Basement and AssociationYN typed columns (in the covering index) without
losing or changing a stored listing, and the filters on them keep their answers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from copilot_api.ai.embeddings import LocalEmbeddingProvider
from copilot_api.listings import store
from copilot_api.listings.fields import Op
from copilot_api.listings.filters import Filter, met_condition, unknown_condition
from copilot_api.listings.loading import ingest_records, sample_records
from copilot_api.listings.sources import SourceRecord
from copilot_api.storage.embedded import EmbeddedPostgres
from copilot_api.storage.migrations import apply_migrations, bundled_migrations
from tests.integration.listings.conftest import DIMENSIONS, scratch_database

FILTERS = [
    [Filter("Basement", Op.CONTAINS, "Finished")],
    [Filter("Basement", Op.NOT_CONTAINS, "Finished")],
    [Filter("AssociationYN", Op.EQ, True)],
    [Filter("AssociationYN", Op.EQ, False), Filter("Basement", Op.CONTAINS, "Unfinished")],
]


def _with_extras(index: int, listing: dict[str, Any]) -> dict[str, Any]:
    """Sample listings with every shape of the two fields: list, string, missing, boolean."""
    basements: list[Any] = [["Finished", "Walk-Out Access"], "Unfinished", None, ["Partial"]]
    associations: list[Any] = [True, False, None]
    extra = {**listing, "Basement": basements[index % 4], "AssociationYN": associations[index % 3]}
    return {name: value for name, value in extra.items() if value is not None}


@pytest.fixture
def before_0050_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    with scratch_database(pg_server, "cover") as url:
        yield from _old_layout(url)


def _old_layout(url: str) -> Iterator[str]:
    apply_migrations(url, [m for m in bundled_migrations() if m.version < 50])

    async def load() -> None:
        records = [
            SourceRecord(r.line, _with_extras(i, r.fields or {}))
            for i, r in enumerate(sample_records(240))
        ]
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
            provider = LocalEmbeddingProvider(DIMENSIONS)
            await store.bind_embedding_space(connection, provider.space, build_index=False)
            await ingest_records(connection, provider, records, batch_size=100)

    asyncio.run(load())
    yield url


def _answers(url: str, expressions: dict[str, str]) -> dict[str, set[str]]:
    """The keys each filter's met and unknown tiers select."""
    answers: dict[str, set[str]] = {}
    with psycopg.connect(url) as connection:
        for number, filters in enumerate(FILTERS):
            for tier, (condition, params) in {
                "met": met_condition(filters),
                "unknown": unknown_condition(filters),
            }.items():
                text = condition.as_string(connection)
                for column, old in expressions.items():
                    text = text.replace(column, old)
                rows = connection.execute(
                    f"SELECT listing_key FROM listings l WHERE {text}".encode(), params
                ).fetchall()
                answers[f"{number}:{tier}"] = {str(row[0]) for row in rows}
    return answers


def _documents(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as connection:
        rows = connection.execute("SELECT listing_key, md5(data::text) FROM listings ORDER BY 1")
        return [(str(key), str(digest)) for key, digest in rows.fetchall()]


def test_0050_adds_the_columns_keeps_every_listing_and_every_answer(before_0050_url: str) -> None:
    # Before 0050 the same filters read the document: their answers are the reference.
    document_reads = {
        "basement": "listing_lookup_text(data->'Basement')",
        "association_yn": "(CASE WHEN jsonb_typeof(data->'AssociationYN') = 'boolean'"
        " THEN (data->>'AssociationYN')::boolean END)",
    }
    expected = _answers(before_0050_url, document_reads)
    documents = _documents(before_0050_url)
    assert len(documents) == 240
    assert all(expected[f"{n}:met"] for n in range(len(FILTERS)))  # the filters select something

    applied = apply_migrations(before_0050_url)

    assert [m.version for m in applied] == [50, 60]
    assert _documents(before_0050_url) == documents
    assert _answers(before_0050_url, {}) == expected
    with psycopg.connect(before_0050_url) as connection:
        cover = connection.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'listings_filter_cover'"
        ).fetchone()
        # The rewritten table was vacuumed (its visibility map serves index-only scans).
        vacuumed = connection.execute(
            "SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'listings'"
        ).fetchone()
        nulls = connection.execute(
            "SELECT count(*) FILTER (WHERE basement IS NULL),"
            " count(*) FILTER (WHERE association_yn IS NULL) FROM listings"
        ).fetchone()
        # Without a city, a subtype filter is a range of the covering index (0060), not a
        # read of all of it; searches turn sequential scans off, as here.
        connection.execute("SET enable_seqscan = off")
        subtype_plan = "\n".join(
            row[0]
            for row in connection.execute(
                "EXPLAIN SELECT listing_key FROM listings WHERE"
                " lower(property_sub_type) = 'condominium' AND bedrooms_total >= 2"
                " AND lower(standard_status) = 'active'"
            )
        )
    assert cover is not None
    assert "basement" in cover[0]
    assert "association_yn" in cover[0]
    assert "Index Only Scan using listings_filter_cover" in subtype_plan
    assert "Index Cond: ((lower(property_sub_type)) = 'condominium'::text)" in subtype_plan
    assert vacuumed == (True,)
    assert nulls == (60, 80)  # a quarter without Basement, a third without AssociationYN
