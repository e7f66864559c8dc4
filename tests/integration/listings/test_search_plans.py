"""The plan switch on both sides of its threshold, explicit sorts on both plans, and the
per-process caches of query understanding: against the sample listings in PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from copilot_api.ai.embeddings import LocalEmbeddingProvider
from copilot_api.listings.fields import Op
from copilot_api.listings.filters import Filter
from copilot_api.listings.parsing.model import ParsedQuery
from copilot_api.listings.parsing.rules import RuleParser
from copilot_api.listings.ranking import PlanSwitch, Ranker
from copilot_api.listings.search import SearchResult, SearchService
from copilot_api.listings.sorting import Sort
from copilot_api.listings.vocabulary import Vocabulary, VocabularyCache
from copilot_api.storage.database import Database
from tests.integration.listings.conftest import DIMENSIONS

ACTIVE_HOUSES = [Filter("PropertyType", Op.EQ, "Residential")]


class CountingParser:
    """The rule parser, counting how often it really runs."""

    name = "rules"

    def __init__(self) -> None:
        self.calls = 0
        self._rules = RuleParser()

    async def parse(self, query: str, vocabulary: Vocabulary) -> ParsedQuery:
        self.calls += 1
        return await self._rules.parse(query, vocabulary)

    async def aclose(self) -> None:
        return None


@dataclass
class Searcher:
    runner: asyncio.Runner
    database: Database
    vocabulary: VocabularyCache
    url: str

    def service(self, switch: PlanSwitch | None = None) -> SearchService:
        provider = LocalEmbeddingProvider(DIMENSIONS)
        return SearchService(
            self.database, provider, CountingParser(), self.vocabulary, switch=switch
        )

    def search(self, service: SearchService, *args: Any, **kwargs: Any) -> SearchResult:
        return self.runner.run(service.search(*args, **kwargs))

    def matching(self, sql: str) -> int:
        with psycopg.connect(self.url) as connection:
            row = connection.execute(sql).fetchone()
        assert row is not None
        return int(row[0])


@pytest.fixture(scope="module")
def searcher(sample_db_url: str) -> Iterator[Searcher]:
    with asyncio.Runner() as runner:
        database = Database(sample_db_url, min_size=1, max_size=2)
        runner.run(database.open())
        vocabulary = VocabularyCache(database)
        runner.run(vocabulary.load())
        yield Searcher(runner, database, vocabulary, sample_db_url)
        runner.run(vocabulary.close())
        runner.run(database.close())


def fixed_threshold(rows: int) -> PlanSwitch:
    return PlanSwitch(candidate_pool=100, min_exact_rows=rows, max_exact_rows=rows)


def test_the_plan_switches_exactly_at_the_threshold(searcher: Searcher) -> None:
    matches = searcher.matching(
        "SELECT count(*) FROM listings WHERE lower(property_type) = 'residential'"
        " AND lower(standard_status) = 'active'"
    )
    assert 100 < matches <= 3_000  # a tier that fits under the count cap
    at = searcher.search(searcher.service(fixed_threshold(matches)), "quiet street", ACTIVE_HOUSES)
    below = searcher.search(
        searcher.service(fixed_threshold(matches - 1)), "quiet street", ACTIVE_HOUSES
    )
    assert (at.plan, below.plan) == ("exact", "index")
    for result in (at, below):
        assert (result.total, result.total_relation) == (matches, "eq")
        assert len(result.hits) == 10
        assert all(c["status"] == "met" for hit in result.hits for c in hit.criteria)
    # The index plan ranks the nearest candidates only; its best match is still the closest.
    best = max(hit.ranking["similarity"] for hit in at.hits)
    assert max(hit.ranking["similarity"] for hit in below.hits) == best


def test_a_search_in_a_city_ranks_its_pool_from_the_city_index(searcher: Searcher) -> None:
    """In a city the exact plan applies up to `max_city_exact_rows` matches, whatever the
    table-wide threshold, and its pool (the nearest by the index's half-precision copy) holds
    the true nearest matches."""
    in_ames = [*ACTIVE_HOUSES, Filter("City", Op.EQ, "Ames")]
    where = (
        "lower(property_type) = 'residential' AND lower(standard_status) = 'active'"
        " AND lower(city) = 'ames'"
    )
    matches = searcher.matching(f"SELECT count(*) FROM listings WHERE {where}")
    assert matches > 20  # more than the pool below
    narrow = PlanSwitch(candidate_pool=20, min_exact_rows=1, max_exact_rows=1)
    result = searcher.search(searcher.service(narrow), "quiet street", in_ames)
    assert (result.plan, result.total, result.total_relation) == ("exact", matches, "eq")
    vector = LocalEmbeddingProvider(DIMENSIONS).embed_sync([result.semantic_query])[0]
    literal = "[" + ",".join(str(float(x)) for x in vector) + "]"
    with psycopg.connect(searcher.url) as connection:
        row = connection.execute(
            f"SELECT max(1 - (embedding <=> '{literal}')) FROM listings WHERE {where}"
        ).fetchone()
    assert row is not None
    nearest = float(row[0])
    best = max(hit.ranking["similarity"] for hit in result.hits)
    assert best == pytest.approx(nearest, abs=1e-4)
    assert all(hit.ranking["vector_rank"] <= 20 for hit in result.hits)
    # Past the city limit, the index plan.
    small_city = PlanSwitch(candidate_pool=20, max_city_exact_rows=matches - 1)
    assert searcher.search(searcher.service(small_city), "quiet street", in_ames).plan == "index"
    # A subtype without a city is a skip scan of the same index, under the table's threshold.
    condos = [Filter("PropertySubType", Op.EQ, "Condominium")]
    result = searcher.search(
        searcher.service(PlanSwitch(candidate_pool=20)), "quiet street", condos
    )
    where = "lower(property_sub_type) = 'condominium' AND lower(standard_status) = 'active'"
    assert result.plan == "exact"
    assert result.total == searcher.matching(f"SELECT count(*) FROM listings WHERE {where}") > 20
    with psycopg.connect(searcher.url) as connection:
        row = connection.execute(
            f"SELECT max(1 - (embedding <=> '{literal}')) FROM listings WHERE {where}"
        ).fetchone()
    assert row is not None
    assert max(hit.ranking["similarity"] for hit in result.hits) == pytest.approx(row[0], abs=1e-4)


def test_the_threshold_grows_with_the_square_root_of_the_table() -> None:
    switch = PlanSwitch(candidate_pool=400, min_exact_rows=3_000, max_exact_rows=20_000)
    assert switch.threshold(2_400) == 3_000
    assert switch.threshold(100_000) == 10_000
    assert switch.threshold(1_000_000) == 20_000


def test_the_sql_threshold_is_the_python_formula(searcher: Searcher) -> None:
    switch = PlanSwitch()
    rows = searcher.matching("SELECT reltuples::bigint FROM pg_class WHERE relname = 'listings'")
    with psycopg.connect(searcher.url) as connection:
        row = connection.execute(psycopg.sql.SQL("SELECT {}").format(switch.threshold_sql()))
        threshold = row.fetchone()
    assert threshold is not None
    assert threshold[0] == switch.threshold(rows)


@pytest.mark.parametrize("plan", ["exact", "index"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_a_sort_orders_the_matches_by_its_field(
    searcher: Searcher, plan: Any, direction: Any
) -> None:
    service = searcher.service()
    sort = Sort("ListPrice", direction)
    result = searcher.search(service, "sunny kitchen", ACTIVE_HOUSES, 20, plan=plan, sort=sort)
    prices = [hit.listing["ListPrice"] for hit in result.hits]
    assert prices == sorted(prices, reverse=direction == "desc")
    extreme = "min" if direction == "asc" else "max"
    assert prices[0] == searcher.matching(
        f"SELECT {extreme}(list_price) FROM listings WHERE lower(property_type) = 'residential'"
        " AND lower(standard_status) = 'active'"
    )
    # The next page continues where this one stopped.
    following = searcher.search(
        service, "sunny kitchen", ACTIVE_HOUSES, 5, 20, plan=plan, sort=sort
    )
    more = [hit.listing["ListPrice"] for hit in following.hits]
    assert more == sorted(more, reverse=direction == "desc")
    assert (more[0] >= prices[-1]) if direction == "asc" else (more[0] <= prices[-1])


def test_equal_sort_values_keep_relevance_order(searcher: Searcher) -> None:
    result = searcher.search(
        searcher.service(), "sunny kitchen", ACTIVE_HOUSES, 50, sort=Sort("BedroomsTotal", "desc")
    )
    beds = [int(hit.listing["BedroomsTotal"]) for hit in result.hits]
    assert beds == sorted(beds, reverse=True)
    for previous, current in zip(result.hits, result.hits[1:], strict=False):
        if previous.listing["BedroomsTotal"] == current.listing["BedroomsTotal"]:
            assert previous.score >= current.score


class SwitchableVocabulary(VocabularyCache):
    """The loaded vocabulary under a version the test chooses (as after a catalogue write)."""

    version = 1

    @property
    def current(self) -> Vocabulary:
        loaded = super().current
        return Vocabulary(loaded.values, self.version)


def test_a_query_is_understood_once_per_vocabulary_version(searcher: Searcher) -> None:
    vocabulary = SwitchableVocabulary(searcher.database)
    searcher.runner.run(vocabulary.load())
    parser = CountingParser()
    service = SearchService(
        searcher.database, LocalEmbeddingProvider(DIMENSIONS), parser, vocabulary
    )
    first = searcher.runner.run(service.parse("3 bed in Ames  under $300k"))
    again = searcher.runner.run(service.parse("3 Bed in AMES under $300k"))
    assert parser.calls == 1
    assert again == first
    assert [f.field for f in first.filters] == ["BedroomsTotal", "City", "ListPrice"]
    vocabulary.version = 2  # new places may parse differently: understood again
    searcher.runner.run(service.parse("3 bed in Ames under $300k"))
    assert parser.calls == 2
    searcher.runner.run(vocabulary.close())


def test_unknowns_counted_past_the_cap_are_ranked_on_the_index(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No sample listing states its basement, so all are "unknown" for a basement filter; they
    are counted only up to the cap, and a count past it must not be taken for a tier small
    enough to rank exactly (that ranked every listing of the table)."""
    plans: list[str] = []
    rank = Ranker.rank

    async def recording(self: Ranker, *args: Any) -> Any:  # connection, where, limit, offset, plan
        plans.append(args[4])
        return await rank(self, *args)

    monkeypatch.setattr(Ranker, "rank", recording)
    switch = PlanSwitch(
        candidate_pool=100, min_exact_rows=3_000, max_exact_rows=3_000, count_cap=50
    )
    basement = [Filter("Basement", Op.CONTAINS, "finished")]

    result = searcher.search(searcher.service(switch), "quiet street", basement)

    assert (result.total, result.total_relation) == (50, "gte")
    assert len(result.hits) == 10
    assert all(hit.criteria[0]["status"] == "unknown" for hit in result.hits)
    assert plans == ["index"]


def test_filters_broader_than_the_threshold_are_counted_once_per_catalogue_version(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[int] = []
    count_and_rank = Ranker.count_and_rank

    async def counting(self: Ranker, *args: Any, **kwargs: Any) -> Any:
        counted.append(1)
        return await count_and_rank(self, *args, **kwargs)

    monkeypatch.setattr(Ranker, "count_and_rank", counting)
    switch = PlanSwitch(candidate_pool=100, min_exact_rows=100, max_exact_rows=100, count_cap=50)
    service = searcher.service(switch)
    first = searcher.search(service, "quiet street", ACTIVE_HOUSES)
    again = searcher.search(service, "sunny kitchen", ACTIVE_HOUSES)
    assert len(counted) == 1  # the second search knew the filters were broad
    for result in (first, again):
        assert (result.plan, result.total, result.total_relation) == ("index", 50, "gte")
        assert len(result.hits) == 10
        assert all(c["status"] == "met" for hit in result.hits for c in hit.criteria)
    # Narrower filters are counted every time (their count is their total).
    narrow = [*ACTIVE_HOUSES, Filter("City", Op.EQ, "Ames"), Filter("BedroomsTotal", Op.GTE, 5)]
    matches = searcher.matching(
        "SELECT count(*) FROM listings WHERE lower(property_type) = 'residential'"
        " AND lower(standard_status) = 'active' AND lower(city) = 'ames' AND bedrooms_total >= 5"
    )
    assert 0 < matches <= 50
    searcher.search(service, "quiet street", narrow)
    searcher.search(service, "quiet street", narrow)
    assert len(counted) == 3
    # A write bumps the catalogue version: broad filters are counted again.
    with psycopg.connect(searcher.url) as connection:
        connection.execute("UPDATE listings_meta SET catalog_version = catalog_version + 1")
    searcher.runner.run(searcher.vocabulary.load())
    searcher.search(service, "quiet street", ACTIVE_HOUSES)
    assert len(counted) == 4
