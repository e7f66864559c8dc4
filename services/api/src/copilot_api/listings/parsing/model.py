"""What a query parser returns, and the interface both parsers implement."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from copilot_api.listings.filters import Filter, parse_filters
from copilot_api.listings.sorting import Sort, parse_sort
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

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ParsedQuery:
        """The inverse of `as_dict` (workflow steps pass it on as JSON); raises FilterError or
        SortError for values `as_dict` cannot have written."""
        sort = raw.get("sort")
        return cls(
            filters=parse_filters(raw.get("filters") or []),
            semantic_text=str(raw.get("semantic_query") or ""),
            parser=str(raw.get("parser") or ""),
            sort=parse_sort(sort) if isinstance(sort, Mapping) else None,
            ignored_words=[str(word) for word in raw.get("ignored_words") or []],
        )


class QueryParser(Protocol):
    @property
    def name(self) -> str: ...

    async def parse(self, query: str, vocabulary: Vocabulary) -> ParsedQuery: ...

    async def aclose(self) -> None: ...
