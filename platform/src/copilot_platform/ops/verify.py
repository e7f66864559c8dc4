"""Post-deploy verification: the ECS service is stable and `/health/readiness` answers "ready".

Readiness (not plain /health) is the smoke check: it answers 200 only when the new tasks reach
the database, so a deploy with a bad `DATABASE_URL` secret fails here and is rolled back.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from copilot_config.health import READINESS_PATH
from copilot_platform.ops.errors import OpsError

_USER_AGENT = "copilot-deploy-smoke/1"


@dataclass(frozen=True, slots=True)
class Readiness:
    url: str
    status: int
    body: str
    attempts: int
    seconds: float


def wait_until_ready(
    base_url: str, *, timeout: float = 300.0, poll_interval: float = 5.0
) -> Readiness:
    """Poll `{base_url}/health/readiness` until it answers 200 with status "ready"."""
    url = _readiness_url(base_url)
    started = time.monotonic()
    attempts = 0
    last = "no answer"
    while True:
        attempts += 1
        status, body = _get(url, timeout=min(10.0, max(1.0, timeout)))
        if status == 200 and _is_ready(body):
            return Readiness(url, status, body, attempts, time.monotonic() - started)
        last = f"HTTP {status}: {body[:200]}" if status else body
        if time.monotonic() - started + poll_interval > timeout:
            raise OpsError(
                f"{url} was not ready within {timeout:g}s after {attempts} attempt(s); last: {last}"
            )
        time.sleep(poll_interval)


def _readiness_url(base_url: str) -> str:
    parsed = urllib.parse.urlsplit(base_url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise OpsError(f"the service URL must be http(s)://host[:port], got {base_url!r}")
    return base_url.rstrip("/") + READINESS_PATH


def _get(url: str, timeout: float) -> tuple[int, str]:
    """(status, body); status 0 with the reason when there was no HTTP answer at all."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
            return response.status, response.read(65_536).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(65_536).decode("utf-8", "replace")
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        return 0, f"no HTTP answer ({reason})"


def _is_ready(body: str) -> bool:
    try:
        document = json.loads(body)
    except json.JSONDecodeError:
        return False
    return isinstance(document, dict) and document.get("status") == "ready"
