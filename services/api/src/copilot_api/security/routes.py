"""Admin endpoints for API keys (scope `admin`): list, create, revoke.

The same operations as `copilot keys …`; each change is logged as a security event naming the
acting key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import Meta

from copilot_api.errors import ApiError
from copilot_api.observability.security_events import log_security_event
from copilot_api.security import store
from copilot_api.security.client_ip import client_ip
from copilot_api.security.keys import NAME_RULE, PREFIX_PATTERN, check_name
from copilot_api.security.middleware import current_api_key
from copilot_api.security.openapi import error_response
from copilot_api.security.scopes import Scope
from copilot_api.security.service import SecurityService
from copilot_api.security.strict import StrictStruct
from copilot_api.state import SECURITY
from copilot_api.storage.database import Database

KeyName = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._:@/+-]*$",
        description=NAME_RULE,
    ),
]
RateLimitOverride = Annotated[int, Meta(ge=1, le=1_000_000)]


class CreateApiKey(StrictStruct):
    name: KeyName
    scopes: Annotated[list[Scope], Meta(min_length=1, max_length=3)]
    rate_limit_per_minute: RateLimitOverride | None = None
    rate_limit_per_hour: RateLimitOverride | None = None


class ApiKeyView(msgspec.Struct):
    prefix: str
    name: str
    scopes: list[Scope]
    rate_limit_per_minute: int | None
    rate_limit_per_hour: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: store.ApiKey) -> ApiKeyView:
        return cls(
            prefix=key.prefix,
            name=key.name,
            scopes=list(key.scopes),
            rate_limit_per_minute=key.rate_limit_per_minute,
            rate_limit_per_hour=key.rate_limit_per_hour,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )


class CreatedApiKey(msgspec.Struct):
    key: ApiKeyView
    api_key: str  # the secret itself; only its digest is stored


def _audit(
    request: Request[Any, Any, Any], event: str, description: str, key: store.ApiKey
) -> None:
    service: SecurityService = request.app.state[SECURITY]
    log_security_event(
        event,
        "high" if Scope.ADMIN in key.scopes else "medium",
        description,
        user_id=current_api_key(request.scope).prefix,
        ip_address=client_ip(request.scope, service.policy.trusted_proxies),
        key_prefix=key.prefix,
        key_name=key.name,
        scopes=[scope.value for scope in key.scopes],
        via="api",
    )


class ApiKeysController(Controller):
    path = "/api/admin/keys"
    opt: Mapping[str, Any] | None = MappingProxyType({"scope": Scope.ADMIN.value})
    tags: Sequence[str] | None = ("admin",)

    @get("/", summary="List API keys (revoked ones included)")
    async def list_api_keys(self, database: NamedDependency[Database]) -> list[ApiKeyView]:
        async with database.pool.connection() as connection:
            keys = await store.list_keys(connection)
        return [ApiKeyView.of(key) for key in keys]

    @post(
        "/",
        summary="Create an API key; the response carries the key itself, shown this once",
        responses={409: error_response("A live key already has this name (api_key_name_taken).")},
    )
    async def create_api_key(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[CreateApiKey],
        database: NamedDependency[Database],
    ) -> CreatedApiKey:
        try:
            check_name(data.name)  # the schema's `$` would let a trailing newline through
        except ValueError as error:
            raise ApiError(400, "invalid_key_name", str(error)) from None
        async with database.pool.connection() as connection:
            try:
                key, generated = await store.create_key(
                    connection,
                    name=data.name,
                    scopes=tuple(scope for scope in Scope if scope in data.scopes),
                    rate_limit_per_minute=data.rate_limit_per_minute,
                    rate_limit_per_hour=data.rate_limit_per_hour,
                )
            except store.KeyNameTakenError:
                raise ApiError(
                    409,
                    "api_key_name_taken",
                    f"A live API key is already named {data.name!r}; revoke it or pick another.",
                ) from None
        _audit(request, "api_key_created", f"API key {key.prefix} created", key)
        return CreatedApiKey(key=ApiKeyView.of(key), api_key=generated.secret)

    @delete(
        "/{prefix:str}",
        status_code=200,
        summary="Revoke an API key (idempotent)",
        responses={404: error_response("No API key has this prefix (api_key_not_found).")},
    )
    async def revoke_api_key(
        self,
        request: Request[Any, Any, Any],
        prefix: FromPath[str],
        database: NamedDependency[Database],
    ) -> ApiKeyView:
        key = None
        if PREFIX_PATTERN.fullmatch(prefix):
            async with database.pool.connection() as connection:
                key = await store.revoke_key(connection, prefix)
        if key is None:
            raise ApiError(404, "api_key_not_found", "No API key has this prefix.")
        _audit(request, "api_key_revoked", f"API key {key.prefix} revoked", key)
        return ApiKeyView.of(key)
