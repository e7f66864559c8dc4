"""What a query parser returns, and the interface both parsers implement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from copilot_api.listings.filters import Filter
from copilot_api.listings.vocabulary import Vocabulary


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    filters: list[Filter]
    semantic_text: str  # the words that are not filters: ranked by similarity, never filtered
    parser: str  # "rules" or "openai"


class QueryParser(Protocol):
    @property
    def name(self) -> str: ...

    async def parse(self, query: str, vocabulary: Vocabulary) -> ParsedQuery: ...

    async def aclose(self) -> None: ...
