"""Query parsing with OpenAI structured outputs, validated, falling back to the rule parser.

The model answers in a strict JSON schema (the DESIGN.md filter list plus the semantic rest).
Its answer goes through the same validation as a client's filters; place names are mapped to
the spelling in the data. Any failure (network, timeout, refusal, invalid JSON, an unknown field
or a wrongly typed value) is logged and the rule parser answers instead, so search never fails
because of the model.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any, Final

import msgspec
from openai import AsyncOpenAI

from copilot_api.listings.fields import FILTERABLE_FIELDS, Op
from copilot_api.listings.filters import Filter, FilterError, parse_filter
from copilot_api.listings.parsing.model import ParsedQuery
from copilot_api.listings.parsing.rules import RuleParser
from copilot_api.listings.sorting import SORT_DIRECTIONS, SORTABLE_FIELDS, SortError, parse_sort
from copilot_api.listings.vocabulary import Vocabulary

logger = logging.getLogger(__name__)

_PLACES_IN_PROMPT: Final = 60  # per field: enough to ground the model, short enough to be cheap
_MAX_SEMANTIC: Final = 500

RESPONSE_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "filters": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string", "enum": list(FILTERABLE_FIELDS)},
                    "op": {"type": "string", "enum": [op.value for op in Op]},
                    "value": {
                        "anyOf": [
                            {"type": "number"},
                            {"type": "string"},
                            {"type": "boolean"},
                            {
                                "type": "array",
                                "items": {"anyOf": [{"type": "number"}, {"type": "string"}]},
                            },
                        ]
                    },
                },
                "required": ["field", "op", "value"],
                "additionalProperties": False,
            },
        },
        "sort": {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "properties": {
                        "field": {"type": "string", "enum": list(SORTABLE_FIELDS)},
                        "direction": {"type": "string", "enum": list(SORT_DIRECTIONS)},
                    },
                    "required": ["field", "direction"],
                    "additionalProperties": False,
                },
            ]
        },
        "semantic_query": {"type": "string"},
        "ignored_words": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["filters", "sort", "semantic_query", "ignored_words"],
    "additionalProperties": False,
}

_INSTRUCTIONS: Final = """\
You turn a real-estate agent's property search into hard filters over RESO Data Dictionary
fields. Return only constraints the text states; never invent any. Conventions:
- "3 bed", "three bedroom" mean at least 3: BedroomsTotal gte 3. "exactly 3" is eq. "3-4" gives
  gte 3 and lte 4. "more than 2" is gte 3; "fewer than 3" is lte 2. "studio" is BedroomsTotal eq 0.
  "3 or 4 bedrooms" is BedroomsTotal in [3, 4].
- Baths: "2 baths" and "2 full baths" are BathroomsFull gte 2; "2.5 baths" is
  BathroomsFullAndHalf gte 2.5 (full + half/2); "a half bath" is BathroomsHalf gte 1.
- Prices in dollars: "under $450k" is ListPrice lte 450000 (caps inclusive); "$1.2M" is 1200000;
  "between 300k and 400k" gives gte 300000 and lte 400000; a lone amount is a maximum;
  "around X" is X +/- 10%.
- "over 2,000 sq ft" is LivingArea gte 2000; "at least an acre" is LotSizeAcres gte 1.
- "built after 2000" is YearBuilt gte 2001; "built 2000 or later" is YearBuilt gte 2000;
  "1990s"/"90s" is YearBuilt gte 1990 and lte 1999; "pre-war" is YearBuilt lte 1938;
  "new construction" is NewConstructionYN eq true.
- Places: City, StateOrProvince (two-letter code), PostalCode, SubdivisionName, CountyOrParish;
  several cities use "in" ("Ames or Grinnell"); "Ames' Old Town" and "Old Town, Ames" are the
  SubdivisionName and the City; "not in Ames" is City ne "Ames", "outside Ames or Gilbert" is
  City not_in [...].
- PropertySubType values: "Single Family Residence" (house), "Condominium" (condo, apartment),
  "Townhouse", "Duplex", "Manufactured Home". "home" alone is not a subtype.
  "duplex or townhouse" is PropertySubType in [...]; "not a townhouse" is PropertySubType
  not_in ["Townhouse"]. Stories may be fractional: "single-story" is Stories eq 1,
  "1.5 story"/"one and a half story" is Stories eq 1.5, "two-story" is Stories eq 2.
- Features: garage is GarageYN eq true; "2-car garage" is GarageSpaces gte 2; pool is
  PoolPrivateYN eq true (not a community pool); waterfront is WaterfrontYN eq true; fireplace is
  FireplacesTotal gte 1; central air is Cooling contains "Central Air". Negations are filters too:
  "no pool" is PoolPrivateYN eq false, "without central air" is Cooling not_contains
  "Central Air", "no HOA"/"HOA-free" is AssociationYN eq false, "without a basement" is Basement
  contains "None", "no fireplace" is FireplacesTotal eq 0.
- Status only when asked: sold is StandardStatus eq "Closed"; pending is StandardStatus in
  ["Pending", "Active Under Contract"].
sort: only when the request asks for an order or a superlative: "cheapest", "least expensive",
"most affordable" are ListPrice asc; "most expensive" ListPrice desc; "largest", "biggest" are
LivingArea desc; "biggest lot" LotSizeAcres desc; "newest" YearBuilt desc; "oldest" YearBuilt
asc; "most bedrooms" BedroomsTotal desc. Otherwise null.
ignored_words: words you dropped as meaningless (for example "show", "me", "homes").
semantic_query: the words of the request that are not filters (style, condition, amenities,
location hints), or "" when nothing is left.
Today is {today}. Places present in the data:
{places}"""


class OpenAIQueryParser:
    """Structured outputs with a short timeout and no retries: the rules are the retry."""

    name = "openai"

    def __init__(
        self,
        client: AsyncOpenAI,
        model: str,
        *,
        timeout: float,
        fallback: RuleParser | None = None,
        today: date | None = None,
    ) -> None:
        self._client = client
        self._model = model
        self._timeout = timeout
        self._fallback = fallback or RuleParser(today)
        self._today = today

    async def parse(self, query: str, vocabulary: Vocabulary) -> ParsedQuery:
        try:
            content = await self._complete(query, vocabulary)
            return _validated(content, vocabulary)
        except Exception as error:  # any failure at all: the rules answer instead
            logger.warning(
                "OpenAI query parsing failed (%s); using the rule parser",
                _describe(error),
            )
            return await self._fallback.parse(query, vocabulary)

    async def aclose(self) -> None:
        await self._client.close()

    async def _complete(self, query: str, vocabulary: Vocabulary) -> str:
        today = self._today or datetime.now(UTC).date()
        response = await self._client.chat.completions.create(
            model=self._model,
            messages=[
                {
                    "role": "system",
                    "content": _INSTRUCTIONS.format(
                        today=today.isoformat(), places=_places(vocabulary)
                    ),
                },
                {"role": "user", "content": query},
            ],
            response_format={
                "type": "json_schema",
                "json_schema": {
                    "name": "property_search",
                    "strict": True,
                    "schema": RESPONSE_SCHEMA,
                },
            },
            temperature=0,
            timeout=self._timeout,
        )
        if not response.choices:
            raise ParserOutputError("no choices in the response")
        message = response.choices[0].message
        if message.refusal:
            raise ParserOutputError("the model refused")
        if not message.content:
            raise ParserOutputError("empty content")
        return message.content


class ParserOutputError(ValueError):
    """The model's answer is not a valid filter list."""


def _validated(content: str, vocabulary: Vocabulary) -> ParsedQuery:
    try:
        answer = msgspec.json.decode(content)
    except msgspec.DecodeError as error:
        raise ParserOutputError(f"not JSON: {error}") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("filters"), list):
        raise ParserOutputError("missing the filters list")
    semantic = answer.get("semantic_query", "")
    if not isinstance(semantic, str):
        raise ParserOutputError("semantic_query is not text")
    filters: list[Filter] = []
    for index, raw in enumerate(answer["filters"]):
        if not isinstance(raw, dict):
            raise ParserOutputError(f"filter {index} is not an object")
        try:
            filters.append(_canonical(parse_filter(raw, index), vocabulary))
        except FilterError as error:
            raise ParserOutputError(f"filter {index}: {error}") from None
    sort = None
    if isinstance(answer.get("sort"), dict):
        try:
            sort = parse_sort(answer["sort"])
        except SortError as error:
            raise ParserOutputError(f"sort: {error}") from None
    ignored = answer.get("ignored_words", [])
    if not isinstance(ignored, list) or not all(isinstance(word, str) for word in ignored):
        raise ParserOutputError("ignored_words is not a list of words")
    return ParsedQuery(filters, semantic.strip()[:_MAX_SEMANTIC], "openai", sort, ignored)


def _canonical(item: Filter, vocabulary: Vocabulary) -> Filter:
    """Map text values to the data's spelling ("ames" -> "Ames", "iowa" -> "IA")."""
    if (
        item.op not in (Op.EQ, Op.NE, Op.IN, Op.NOT_IN)
        or item.spec.is_numeric
        or isinstance(item.value, bool)
    ):
        return item

    def canonical(value: str) -> str:
        if item.field == "StateOrProvince":
            return vocabulary.state_code(value)
        return vocabulary.canonical(item.field, value) or value

    if isinstance(item.value, list):
        return Filter(item.field, item.op, [canonical(str(v)) for v in item.value])
    return Filter(item.field, item.op, canonical(str(item.value)))


def _places(vocabulary: Vocabulary) -> str:
    lines = []
    for field_name in ("City", "StateOrProvince", "SubdivisionName", "CountyOrParish"):
        values = sorted(vocabulary.known(field_name).values())[:_PLACES_IN_PROMPT]
        if values:
            lines.append(f"- {field_name}: {', '.join(values)}")
    return "\n".join(lines) or "- (none loaded)"


def _describe(error: Exception) -> str:
    if isinstance(error, ParserOutputError):
        return f"invalid output: {error}"
    return type(error).__name__
