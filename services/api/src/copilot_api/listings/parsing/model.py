"""What a query parser returns, and the interface both parsers implement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from copilot_api.listings.filters import Filter
from copilot_api.listings.sorting import Sort
from copilot_api.listings.vocabulary import Vocabulary


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    filters: list[Filter]
    semantic_text: str  # the words that are not filters: ranked by similarity, never filtered
    parser: str  # "rules" or "openai"
    sort: Sort | None = None  # "cheapest", "newest first": the order the query asks for
    # Words dropped as carrying no meaning ("show", "me", "homes"): shown, so nothing the
    # agent typed disappears without a trace.
    ignored_words: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "filters": [item.as_dict() for item in self.filters],
            "sort": self.sort.as_dict() if self.sort else None,
            "semantic_query": self.semantic_text,
            "ignored_words": self.ignored_words,
            "parser": self.parser,
        }


class QueryParser(Protocol):
    @property
    def name(self) -> str: ...

    async def parse(self, query: str, vocabulary: Vocabulary) -> ParsedQuery: ...

    async def aclose(self) -> None: ...
