"""docker-compose.yml: valid per the compose spec, and wired to the files it mounts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from copilot_config import env_var
from tests.contracts.delivery import COMPOSE_FILE, load_yaml, require_tool, run_tool
from tests.harness import REPO_ROOT

COMPOSE: dict[str, Any] = load_yaml(COMPOSE_FILE)
SERVICES: dict[str, Any] = COMPOSE["services"]


def bind_mounts(service: str) -> list[tuple[Path, str]]:
    """(host path, container path) of each bind mount of `service` (named volumes skipped)."""
    mounts = []
    for volume in SERVICES[service].get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts.append(((REPO_ROOT / source).resolve(), target))
    return mounts


def container_path(service: str, host_path: Path) -> str:
    """Where `host_path` appears inside `service`'s container, through its bind mounts."""
    for source, target in bind_mounts(service):
        if host_path == source or source in host_path.parents:
            return target + "/" + host_path.relative_to(source).as_posix().removeprefix(".")
    raise AssertionError(f"{host_path} is not mounted into {service}")


def test_valid_per_the_compose_spec() -> None:
    result = run_tool(
        [
            require_tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE_FILE),
        ]
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_default_stack_is_db_redis_and_app() -> None:
    default = {name for name, service in SERVICES.items() if not service.get("profiles")}
    assert default == {"db", "redis", "app"}
    assert SERVICES["db"]["image"].startswith("pgvector/pgvector:pg1")
    assert SERVICES["redis"]["image"].startswith("redis:7")


def test_profiles_hold_monitoring_and_the_reverse_proxy() -> None:
    def in_profile(name: str) -> set[str]:
        return {s for s, service in SERVICES.items() if name in service.get("profiles", [])}

    assert {"prometheus", "grafana"} <= in_profile("monitoring")
    assert in_profile("production") == {"nginx"}


def test_app_builds_the_dockerfile_and_waits_for_healthy_dependencies() -> None:
    app = SERVICES["app"]
    assert (REPO_ROOT / app["build"]["context"] / app["build"]["dockerfile"]).is_file()
    for dependency in ("db", "redis"):
        assert app["depends_on"][dependency]["condition"] == "service_healthy"
        assert SERVICES[dependency]["healthcheck"]["test"]
    assert SERVICES["nginx"]["depends_on"]["app"]["condition"] == "service_healthy"


def test_app_hot_reloads_the_mounted_code_and_definitions() -> None:
    app = SERVICES["app"]
    assert app["command"] == ["serve", "--reload"]
    targets = {target for _, target in bind_mounts("app")}
    pythonpath = app["environment"]["PYTHONPATH"]
    assert f"{pythonpath}/copilot_api" in targets  # shadows the installed copy
    assert f"{pythonpath}/copilot_config" in targets
    assert "/app/definitions" in targets
    # The relative defaults (resolved against /app) point into the mounted folder.
    for name in ("PROMPTS_DIR", "WORKFLOWS_DIR", "EXPERIMENTS_FILE"):
        assert (env_var(name).default or "").startswith("definitions/"), name


def test_every_bind_mount_source_exists() -> None:
    for service in SERVICES:
        for source, _ in bind_mounts(service):
            assert source.exists(), f"{service} mounts {source}, which does not exist"


def test_app_reaches_db_and_redis_by_service_name() -> None:
    environment = SERVICES["app"]["environment"]
    assert urlsplit(environment["DATABASE_URL"]).hostname == "db"
    assert urlsplit(environment["REDIS_URL"]).hostname == "redis"
    assert environment["HOST"] == "0.0.0.0"


def test_grafana_admin_password_comes_from_the_environment() -> None:
    environment = SERVICES["grafana"]["environment"]
    assert environment["GF_SECURITY_ADMIN_PASSWORD"] == "${GRAFANA_ADMIN_PASSWORD:-admin}"
    assert environment["GF_USERS_ALLOW_SIGN_UP"] == "false"


def test_no_literal_secrets_only_local_defaults() -> None:
    """Every password-like value is an interpolation whose default is a local-only one."""
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    keys = re.finditer(
        r"^\s+[A-Z_]*(?:PASSWORD|SECRET|API_KEY|TOKEN)[A-Z_]*:\s*(\S+)$", text, re.MULTILINE
    )
    values = [match.group(1) for match in keys]
    assert values, "the check found no password settings at all"
    for value in values:
        assert value.startswith("${"), value
    assert "OPENAI_API_KEY" not in SERVICES["app"]["environment"]  # from .env, never here


def test_local_only_ports_bind_to_loopback() -> None:
    for name in ("db", "redis", "app", "prometheus", "grafana"):
        for port in SERVICES[name].get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


def test_prometheus_finds_its_rules_and_scrapes_compose_services() -> None:
    config_host, config_target = next(
        (s, t) for s, t in bind_mounts("prometheus") if s.name == "prometheus.yml"
    )
    assert config_target in " ".join(SERVICES["prometheus"]["command"])
    config = yaml.safe_load(config_host.read_text(encoding="utf-8"))
    config_dir = Path(config_target).parent
    for pattern in config.get("rule_files", []):
        # A relative rule path is relative to the config file, inside the container.
        in_container = Path(pattern) if pattern.startswith("/") else config_dir / pattern
        host_matches = list(config_host.parent.glob(pattern)) if not pattern.startswith("/") else []
        assert host_matches, f"rule_files {pattern!r} matches no file in monitoring/"
        for rule_file in host_matches:
            assert container_path("prometheus", rule_file) == str(
                in_container.parent / rule_file.name
            )
    for job in config["scrape_configs"]:
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, _ = target.split(":")
                assert host in SERVICES, f"job {job['job_name']} scrapes {target}: no such service"
                assert "monitoring" in SERVICES[host].get("profiles", ["monitoring"])


@pytest.mark.parametrize(
    "provisioning", sorted((REPO_ROOT / "monitoring/grafana/provisioning").rglob("*.yml"))
)
def test_grafana_provisioning_points_at_mounted_paths_and_services(provisioning: Path) -> None:
    document = yaml.safe_load(provisioning.read_text(encoding="utf-8"))
    container_path("grafana", provisioning)  # the file itself is mounted
    for source in document.get("datasources", []):
        assert urlsplit(source["url"]).hostname in SERVICES
    for provider in document.get("providers", []):
        dashboards = provider["options"]["path"]
        assert dashboards in {target for _, target in bind_mounts("grafana")}
