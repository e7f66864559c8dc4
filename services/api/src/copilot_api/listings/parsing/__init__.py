"""Query understanding: natural language to filters (rules, or OpenAI with a rules fallback)."""

from __future__ import annotations

from openai import AsyncOpenAI

from copilot_api.listings.parsing.model import ParsedQuery, QueryParser
from copilot_api.listings.parsing.openai_parser import OpenAIQueryParser
from copilot_api.listings.parsing.rules import RuleParser
from copilot_config import Settings

__all__ = ["OpenAIQueryParser", "ParsedQuery", "QueryParser", "RuleParser", "create_query_parser"]


def create_query_parser(settings: Settings) -> QueryParser:
    """QUERY_PARSER: auto = OpenAI when OPENAI_API_KEY is set, else the rules."""
    wants_openai = settings.query_parser == "openai" or (
        settings.query_parser == "auto" and settings.openai_api_key is not None
    )
    if wants_openai and settings.openai_api_key is not None:
        client = AsyncOpenAI(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            max_retries=0,
        )
        return OpenAIQueryParser(
            client, settings.openai_chat_model, timeout=settings.query_parser_timeout_seconds
        )
    return RuleParser()
