"""The LLM plugin in the app: prompts validated at startup, the provider cached and reported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from copilot_api.ai.llm import CachedLLM
from copilot_api.ai.prompts import PromptError, PromptRegistry
from copilot_api.app import create_app
from copilot_api.state import LLM, PROMPTS
from copilot_config import Settings
from tests.integration.ai.fake_openai import FakeOpenAI, Reply, completion
from tests.unit.ai.listings import SUBJECT


def test_local_provider_serves_and_caches_without_a_key(
    client: TestClient[Litestar], app: Litestar
) -> None:
    llm: CachedLLM = app.state[LLM]
    prompts: PromptRegistry = app.state[PROMPTS]
    request = prompts.render(
        "listing_description", {"listing": SUBJECT, "max_chars": 400}
    ).request()
    first = client.blocking_portal.call(llm.generate, request)
    second = client.blocking_portal.call(llm.generate, request)
    assert (first.provider, first.cached, second.cached) == ("local", False, True)
    detail = client.get("/health/detailed").json()["services"]
    assert detail["llm"]["status"] == "healthy"
    assert detail["llm"]["provider"] == "local"
    assert detail["llm"]["fallback_provider"] is None
    assert detail["llm"]["responses"] == {"local": 1}
    assert detail["llm"]["prompts"]["listing_description"] == {
        "version": 1,
        "variants": ["narrative", "highlights"],
    }
    assert detail["caches"]["caches"]["prompt"]["hits"] == 1
    metrics = client.get("/metrics").text
    assert 'copilot_cache_hits_total{cache="prompt"} 1.0' in metrics
    assert 'copilot_cache_misses_total{cache="prompt"} 1.0' in metrics
    assert (
        'copilot_llm_calls_total{model="local-templates-v1",provider="local",status="ok"} 1.0'
        in (metrics)
    )


def test_openai_is_used_when_keyed_and_reported(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    with FakeOpenAI().running() as fake:
        fake.queue(Reply(body=completion("Sunny home.")))
        settings = make_settings(
            database_url=database_url,
            openai_api_key="sk-test",
            openai_base_url=fake.base_url,
            llm_circuit_failure_threshold=3,
        )
        app = create_app(settings)
        with TestClient(app) as client:
            request = (
                app.state[PROMPTS]
                .render("listing_description", {"listing": SUBJECT, "max_chars": 400})
                .request()
            )
            answer = client.blocking_portal.call(app.state[LLM].generate, request)
            llm = client.get("/health/detailed").json()["services"]["llm"]
            metrics = client.get("/metrics").text
    assert (answer.provider, answer.text) == ("openai", "Sunny home.")
    assert llm["provider"] == "openai"
    assert llm["model"] == "gpt-4o-mini"
    assert llm["fallback_provider"] == "local"
    assert llm["circuit_breaker"]["state"] == "closed"
    assert llm["circuit_breaker"]["failure_threshold"] == 3
    # Tokens as the API reported them (42 in, 17 out), by provider and answering model.
    assert (
        'copilot_llm_tokens_total{model="gpt-test-2025",provider="openai",token_type="input"} 42.0'
        in metrics
    )


def test_a_broken_prompt_stops_the_service(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    (tmp_path / "listing_description.yaml").write_text(
        "id: listing_description\nversion: 1\nvariables: [listing]\n"
        "variants:\n  a:\n    user: 'Describe {{ listng }}'\n",
        encoding="utf-8",
    )
    with pytest.raises(
        PromptError, match=r"listing_description.yaml: variant 'a': uses \{\{ listng \}\}"
    ):
        create_app(make_settings(prompts_dir=tmp_path))
    with pytest.raises(PromptError, match="PROMPTS_DIR is not a folder"):
        create_app(make_settings(prompts_dir=tmp_path / "missing"))
