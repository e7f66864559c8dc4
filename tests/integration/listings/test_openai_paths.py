"""The OpenAI query parser and embedding provider, with the real `openai` client talking to a
local OpenAI-compatible server: structured output validated, every failure falls back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np
import pytest
from openai import AsyncOpenAI

from copilot_api.ai.embeddings import EmbeddingError, OpenAIEmbeddingProvider
from copilot_api.listings.parsing import OpenAIQueryParser, create_query_parser
from copilot_api.listings.parsing.model import ParsedQuery
from copilot_api.listings.parsing.openai_parser import RESPONSE_SCHEMA
from copilot_api.listings.vocabulary import Vocabulary, vocabulary_from
from copilot_config import Settings
from tests.integration.ai.fake_openai import FakeOpenAI, Reply, completion, error_body

VOCABULARY: Vocabulary = vocabulary_from(
    [{"City": "Ames", "StateOrProvince": "IA", "PropertySubType": "Condominium"}]
)
QUERY = "3 bed condo in ames under 300k, sunny"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI().running() as server:
        yield server


def parse(fake: FakeOpenAI, query: str = QUERY, timeout: float = 5.0) -> ParsedQuery:
    async def run() -> ParsedQuery:
        client = AsyncOpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0)
        parser = OpenAIQueryParser(client, "gpt-test", timeout=timeout, today=date(2025, 6, 1))
        try:
            return await parser.parse(query, VOCABULARY)
        finally:
            await parser.aclose()

    return asyncio.run(run())


def answer(filters: list[dict[str, Any]], semantic: str = "sunny") -> Reply:
    return Reply(body=completion(json.dumps({"filters": filters, "semantic_query": semantic})))


def as_tuples(parsed: ParsedQuery) -> list[tuple[str, str, Any]]:
    return [(f.field, f.op.value, f.value) for f in parsed.filters]


def test_structured_output_is_validated_and_mapped_to_the_data(fake: FakeOpenAI) -> None:
    fake.queue(
        answer(
            [
                {"field": "BedroomsTotal", "op": "gte", "value": 3},
                {"field": "PropertySubType", "op": "eq", "value": "condominium"},
                {"field": "City", "op": "eq", "value": "ames"},
                {"field": "StateOrProvince", "op": "eq", "value": "Iowa"},
                {"field": "ListPrice", "op": "lte", "value": 300000},
            ]
        )
    )
    parsed = parse(fake)
    assert parsed.parser == "openai"
    assert as_tuples(parsed) == [
        ("BedroomsTotal", "gte", 3),
        ("PropertySubType", "eq", "Condominium"),
        ("City", "eq", "Ames"),
        ("StateOrProvince", "eq", "IA"),
        ("ListPrice", "lte", 300000),
    ]
    assert parsed.semantic_text == "sunny"
    sent = fake.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["json"]["model"] == "gpt-test"
    assert sent["json"]["response_format"]["type"] == "json_schema"
    assert sent["json"]["response_format"]["json_schema"]["strict"] is True
    assert sent["json"]["response_format"]["json_schema"]["schema"] == RESPONSE_SCHEMA
    assert "City: Ames" in sent["json"]["messages"][0]["content"]  # grounded in the data
    assert sent["json"]["messages"][1] == {"role": "user", "content": QUERY}


def test_negations_sorts_and_ignored_words_come_through(fake: FakeOpenAI) -> None:
    content = {
        "filters": [
            {"field": "PropertySubType", "op": "ne", "value": "condominium"},
            {"field": "Cooling", "op": "not_contains", "value": "Central Air"},
            {"field": "City", "op": "in", "value": ["ames"]},
        ],
        "sort": {"field": "ListPrice", "direction": "asc"},
        "semantic_query": "",
        "ignored_words": ["show", "me"],
    }
    fake.queue(Reply(body=completion(json.dumps(content))))
    parsed = parse(fake, "show me the cheapest non-condo without central air in ames")
    assert parsed.parser == "openai"
    assert as_tuples(parsed) == [
        ("PropertySubType", "ne", "Condominium"),
        ("Cooling", "not_contains", "Central Air"),
        ("City", "in", ["Ames"]),
    ]
    assert parsed.sort is not None
    assert parsed.sort.as_dict() == {"field": "ListPrice", "direction": "asc"}
    assert parsed.ignored_words == ["show", "me"]


RULES = [
    ("BedroomsTotal", "gte", 3),
    ("PropertySubType", "eq", "Condominium"),
    ("City", "eq", "Ames"),
    ("ListPrice", "lte", 300000),
]


@pytest.mark.parametrize(
    "reply",
    [
        answer([{"field": "Colour", "op": "eq", "value": "red"}]),
        answer([{"field": "ListPrice", "op": "lte", "value": "cheap"}]),
        answer([{"field": "GarageYN", "op": "gte", "value": True}]),
        Reply(body=completion("not json at all")),
        Reply(body=completion(json.dumps({"semantic_query": "x"}))),
        Reply(status=500, body=error_body("boom", "server_error")),
        Reply(status=429, body=error_body("slow down", "rate_limit_exceeded")),
        Reply(body=b"{broken"),
        Reply(
            body=completion(
                json.dumps({"filters": [], "semantic_query": "", "sort": {"field": "City"}})
            )
        ),
    ],
    ids=[
        "unknown-field",
        "bad-value",
        "bad-op",
        "not-json",
        "no-filters",
        "500",
        "429",
        "garbage",
        "bad-sort",
    ],
)
def test_any_failure_falls_back_to_the_rules(fake: FakeOpenAI, reply: Reply) -> None:
    fake.queue(reply)
    parsed = parse(fake)
    assert parsed.parser == "rules"
    assert as_tuples(parsed) == RULES
    assert len(fake.requests) == 1  # no retries: the rules are the fallback


def test_a_slow_model_falls_back_within_the_timeout(fake: FakeOpenAI) -> None:
    fake.queue(Reply(body=completion("{}"), delay=5))
    parsed = parse(fake, timeout=0.3)
    assert parsed.parser == "rules"
    assert as_tuples(parsed) == RULES


def test_settings_choose_the_parser(make_settings: Any) -> None:
    def name(**overrides: Any) -> str:
        settings: Settings = make_settings(**overrides)
        return create_query_parser(settings.listings, settings.openai).name

    assert name() == "rules"
    assert name(openai_api_key="sk-test") == "openai"
    assert name(openai_api_key="sk-test", query_parser="rules") == "rules"


def embeddings_reply(vectors: list[list[float]], order: list[int]) -> Reply:
    return Reply(
        body={
            "object": "list",
            "model": "text-embedding-3-small",
            "data": [{"object": "embedding", "index": i, "embedding": vectors[i]} for i in order],
            "usage": {"prompt_tokens": 5, "total_tokens": 5},
        }
    )


def test_openai_embeddings_are_ordered_normalised_and_errors_wrapped(fake: FakeOpenAI) -> None:
    fake.queue(
        embeddings_reply([[3.0, 4.0, 0.0], [0.0, 0.0, 2.0]], order=[1, 0]),
        Reply(status=400, body=error_body("bad input", "invalid_request_error")),
        embeddings_reply([[1.0, 0.0]], order=[0]),
    )

    async def run() -> None:
        client = AsyncOpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0)
        provider = OpenAIEmbeddingProvider(client, "text-embedding-3-small", 3)
        try:
            vectors = await provider.embed(["garage", ""])
            np.testing.assert_allclose(vectors, [[0.6, 0.8, 0.0], [0.0, 0.0, 1.0]], atol=1e-6)
            with pytest.raises(EmbeddingError, match="BadRequestError"):
                await provider.embed(["x"])
            with pytest.raises(EmbeddingError, match="dimensions"):
                await provider.embed(["y"])  # 2 numbers for a 3-dimension space
        finally:
            await provider.aclose()

    asyncio.run(run())
    first = fake.requests[0]
    assert first["path"] == "/v1/embeddings"
    assert first["json"]["input"] == ["garage", " "]  # the API refuses empty strings
    assert first["json"]["dimensions"] == 3
