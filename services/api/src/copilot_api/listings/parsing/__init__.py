"""Query understanding: natural language to filters (rules, or OpenAI with a rules fallback)."""

from __future__ import annotations

from openai import AsyncOpenAI

from copilot_api.listings.parsing.model import ParsedQuery, QueryParser
from copilot_api.listings.parsing.openai_parser import OpenAIQueryParser
from copilot_api.listings.parsing.rules import RuleParser
from copilot_config import ListingsSection, OpenAISection

__all__ = ["OpenAIQueryParser", "ParsedQuery", "QueryParser", "RuleParser", "create_query_parser"]


def create_query_parser(config: ListingsSection, openai: OpenAISection) -> QueryParser:
    """QUERY_PARSER: auto = OpenAI when OPENAI_API_KEY is set, else the rules."""
    wants_openai = config.query_parser == "openai" or (
        config.query_parser == "auto" and openai.api_key is not None
    )
    if wants_openai and openai.api_key is not None:
        client = AsyncOpenAI(
            api_key=openai.api_key.get_secret_value(),
            base_url=openai.base_url,
            max_retries=0,
        )
        return OpenAIQueryParser(
            client, openai.chat_model, timeout=config.query_parser_timeout_seconds
        )
    return RuleParser()
