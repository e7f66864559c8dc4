"""What a conversation session holds."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

MAX_TURNS = 50  # older turns are dropped: the context only needs the recent conversation


def new_session_id() -> str:
    # 192 random bits, URL-safe: unguessable, so knowing an id is the only way in.
    return secrets.token_urlsafe(24)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Turn(BaseModel):
    query: str
    filters: list[dict[str, Any]] = Field(default_factory=list)
    semantic_query: str = ""
    result_keys: list[str] = Field(default_factory=list)
    blocked: bool = False
    at: datetime = Field(default_factory=utc_now)


class Session(BaseModel):
    id: str = Field(default_factory=new_session_id)
    user_id: str | None = None
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
    turns: list[Turn] = Field(default_factory=list)
    filters: list[dict[str, Any]] = Field(default_factory=list)
    semantic_query: str = ""
    sort: dict[str, str] | None = None  # the order of the last search ("cheapest first")
    last_results: list[str] = Field(default_factory=list)
    last_prices: list[float] = Field(default_factory=list)
    last_areas: list[float] = Field(default_factory=list)
    chosen: list[str] = Field(default_factory=list)
    client_name: str | None = None

    def add_turn(self, turn: Turn) -> None:
        self.turns = [*self.turns, turn][-MAX_TURNS:]
        self.updated_at = utc_now()

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"user_id", "last_prices", "last_areas"})
