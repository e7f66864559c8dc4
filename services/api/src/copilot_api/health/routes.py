"""The health endpoints. Their JSON shapes are a public contract (load balancers, dashboards)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from copilot_api import __version__
from copilot_api.health.registry import HealthRegistry
from copilot_api.state import ENVIRONMENT, HEALTH
from copilot_config import Environment
from copilot_config.health import DETAILED_HEALTH_PATH, HEALTH_PATH, LIVENESS_PATH, READINESS_PATH


def _now() -> str:
    return datetime.now(UTC).isoformat()


@get(HEALTH_PATH, tags=["health"], summary="Basic health", sync_to_thread=False)
def health(state: State) -> dict[str, str]:
    environment: Environment = state[ENVIRONMENT]
    return {"status": "ok", "version": __version__, "environment": environment.value}


@get(LIVENESS_PATH, tags=["health"], summary="Liveness (no I/O)", sync_to_thread=False)
def liveness(state: State) -> Response[dict[str, Any]]:
    registry: HealthRegistry = state[HEALTH]
    failed = registry.liveness()
    if failed:
        # The process cannot recover by itself (e.g. its embedded database cannot be
        # restarted): the orchestrator should replace it.
        body = {"status": "dead", "failed": failed, "timestamp": _now()}
        return Response(body, status_code=HTTP_503_SERVICE_UNAVAILABLE)
    return Response({"status": "alive", "timestamp": _now()}, status_code=HTTP_200_OK)


@get(READINESS_PATH, tags=["health"], summary="Readiness (503 when not ready)")
async def readiness(state: State) -> Response[dict[str, Any]]:
    registry: HealthRegistry = state[HEALTH]
    ready, checks = await registry.readiness()
    body = {"status": "ready" if ready else "not_ready", "checks": checks, "timestamp": _now()}
    return Response(body, status_code=HTTP_200_OK if ready else HTTP_503_SERVICE_UNAVAILABLE)


@get(DETAILED_HEALTH_PATH, tags=["health"], summary="Every component's state")
async def detailed(state: State) -> dict[str, Any]:
    environment: Environment = state[ENVIRONMENT]
    registry: HealthRegistry = state[HEALTH]
    services = await registry.details()
    statuses = {service.get("status") for service in services.values()}
    overall = (
        "unhealthy"
        if "unhealthy" in statuses
        else "degraded"
        if "degraded" in statuses
        else "healthy"
    )
    return {
        "status": overall,
        "timestamp": _now(),
        "version": __version__,
        "environment": environment.value,
        "services": services,
    }


health_handlers = [health, liveness, readiness, detailed]
