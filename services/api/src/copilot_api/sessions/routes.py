"""HTTP API for conversation sessions. A session is visible only to the API key that created it."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, delete, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from pydantic import BaseModel, ConfigDict, Field

from copilot_api.errors import ApiError
from copilot_api.security.principal import caller_id
from copilot_api.sessions.models import Session
from copilot_api.sessions.store import SessionStore
from copilot_api.state import SESSIONS

SCOPE = {"scope": "search"}
SESSION_ID = r"^[A-Za-z0-9_-]{16,64}$"


class CreateSessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_name: str | None = Field(
        None, min_length=1, max_length=120, description="For follow-up emails"
    )


class ChosenListingsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    listing_keys: list[str] = Field(max_length=20, description="Listings the client liked")


def session_store(state: State) -> SessionStore:
    store: SessionStore = state[SESSIONS]
    return store


async def owned_session(state: State, session_id: str, user_id: str | None) -> Session:
    """The session, or 404 when it does not exist, expired, or belongs to another caller."""
    session = await session_store(state).get(session_id)
    if session is None or session.user_id != user_id:
        raise ApiError(404, "session_not_found", "No such session (it may have expired).")
    return session


@post("/sessions", opt=SCOPE, summary="Start a conversation session", status_code=201)
async def create_session(
    request: Request[Any, Any, Any],
    state: State,
    data: JSONBody[CreateSessionRequest | None] = None,
) -> dict[str, Any]:
    session = Session(user_id=caller_id(request), client_name=data.client_name if data else None)
    await session_store(state).save(session)
    return session.public()


@get("/sessions/{session_id:str}", opt=SCOPE, summary="A session's turns and current filters")
async def get_session(
    request: Request[Any, Any, Any], state: State, session_id: FromPath[str]
) -> dict[str, Any]:
    return (await owned_session(state, session_id, caller_id(request))).public()


@put("/sessions/{session_id:str}/chosen", opt=SCOPE, summary="Record the listings the client chose")
async def choose_listings(
    request: Request[Any, Any, Any],
    state: State,
    session_id: FromPath[str],
    data: JSONBody[ChosenListingsRequest],
) -> dict[str, Any]:
    session = await owned_session(state, session_id, caller_id(request))
    session.chosen = list(dict.fromkeys(data.listing_keys))
    await session_store(state).save(session)
    return session.public()


@delete("/sessions/{session_id:str}", opt=SCOPE, summary="End a session", status_code=204)
async def delete_session(
    request: Request[Any, Any, Any], state: State, session_id: FromPath[str]
) -> None:
    await owned_session(state, session_id, caller_id(request))
    await session_store(state).delete(session_id)


session_router = Router(
    path="/api",
    route_handlers=[create_session, get_session, choose_listings, delete_session],
    tags=["sessions"],
)
