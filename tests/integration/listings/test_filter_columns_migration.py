"""Migration 0050 gives Basement and AssociationYN typed columns (in the covering index) without
losing or changing a stored listing, and the filters on them keep their answers; 0070 copies
every vector into the city covering index, and rebinding the embedding space keeps it."""

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


def _plan(
    connection: psycopg.Connection[Any], query: str | psycopg.sql.Composable, params: Any = None
) -> str:
    """EXPLAIN with sequential scans off, as searches run."""
    connection.execute("SET enable_seqscan = off")
    body = psycopg.sql.SQL(query) if isinstance(query, str) else query
    statement = psycopg.sql.SQL("EXPLAIN ") + body
    return "\n".join(str(row[0]) for row in connection.execute(statement, params))


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

    assert [m.version for m in applied] == [50, 60, 70, 80, 90]
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
        # read of all of it.
        subtype_plan = _plan(
            connection,
            "SELECT listing_key FROM listings WHERE lower(property_sub_type) = 'condominium'"
            " AND bedrooms_total >= 2 AND lower(standard_status) = 'active'",
        )
    assert cover is not None
    assert "basement" in cover[0]
    assert "association_yn" in cover[0]
    assert "Index Only Scan using listings_filter_cover" in subtype_plan
    assert "Index Cond: ((lower(property_sub_type)) = 'condominium'::text)" in subtype_plan
    assert vacuumed == (True,)
    assert nulls == (60, 80)  # a quarter without Basement, a third without AssociationYN


def test_0070_copies_every_vector_into_the_city_covering_index(before_0050_url: str) -> None:
    apply_migrations(before_0050_url)
    with psycopg.connect(before_0050_url) as connection:
        copies = connection.execute(
            "SELECT count(*), count(*) FILTER (WHERE embedding_half IS NOT NULL"
            " AND embedding_half::vector <=> embedding < 1e-5) FROM listings"
        ).fetchone()
        storage: dict[str, str] = dict(
            connection.execute(
                "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'listings'::regclass"
                " AND attname IN ('embedding', 'embedding_half')"
            ).fetchall()
        )
        # A search in a city takes its filters and distances from the index alone.
        city_plan = _plan(
            connection,
            "SELECT listing_key, embedding_half <=> embedding_half FROM listings l"
            " WHERE lower(city) = 'ames' AND bedrooms_total >= 2"
            " ORDER BY lower(l.city), lower(l.property_sub_type)",
        )
    assert copies == (240, 240)
    # The vector stays in the row; the copy, read only by the index, goes out of line first.
    assert storage == {"embedding": "m", "embedding_half": "e"}
    assert "Index Only Scan using listings_city_vector_cover" in city_plan


def test_0090_a_rare_basement_contains_filter_reads_the_trigram_index(
    before_0050_url: str,
) -> None:
    apply_migrations(before_0050_url)
    active = Filter("StandardStatus", Op.EQ, "Active")

    def plan_of(basement: Filter) -> str:
        condition, params = met_condition([basement, active])
        with psycopg.connect(before_0050_url) as connection:
            connection.execute("ANALYZE listings")
            query = psycopg.sql.SQL("SELECT count(*) FROM listings WHERE ") + condition
            return _plan(connection, query, params)

    # The search's own condition (filters.py), so the index expression is checked against it.
    # Few listings have a walkout basement: the trigram index finds them. "Finished" is on 96
    # of 240: checking it on the covering index is cheaper, and the planner keeps that scan.
    rare = plan_of(Filter("Basement", Op.CONTAINS, "walkout"))
    common = plan_of(Filter("Basement", Op.CONTAINS, "finished"))
    assert "Bitmap Index Scan on listings_basement_trigrams" in rare
    assert "listings_basement_trigrams" not in common


def test_rebinding_the_embedding_space_keeps_the_copy_and_its_index(before_0050_url: str) -> None:
    apply_migrations(before_0050_url)

    async def rebind() -> None:
        async with await psycopg.AsyncConnection.connect(
            before_0050_url, autocommit=True
        ) as connection:
            provider = LocalEmbeddingProvider(64)
            await store.rebind_for_reembed(connection, provider.space)
            cursor = await connection.execute("SELECT min(listing_key) FROM listings")
            first = await cursor.fetchone()
            assert first is not None
            await store.store_embeddings(connection, [first[0]], provider.embed_sync(["porch"]))

    asyncio.run(rebind())
    with psycopg.connect(before_0050_url) as connection:
        vectors = connection.execute(
            "SELECT count(embedding), count(embedding_half) FROM listings"
        ).fetchone()
        index = connection.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s", [store.CITY_COVER_INDEX]
        ).fetchone()
        storage = connection.execute(
            "SELECT attstorage FROM pg_attribute WHERE attrelid = 'listings'::regclass"
            " AND attname = 'embedding'"
        ).fetchone()
    assert vectors == (1, 1)  # every vector cleared with its copy; a new vector gets one
    assert index is not None
    assert "embedding_half" in index[0]
    assert storage == ("m",)
