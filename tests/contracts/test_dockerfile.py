"""services/api/Dockerfile: hadolint-clean, and its runtime stage is what production needs."""

from __future__ import annotations

import json
import re

import pytest

from copilot_config import env_contract
from copilot_config.health import HEALTH_PATH
from tests.contracts.delivery import (
    DOCKERFILE,
    build_context_files,
    dockerfile_stages,
    is_sent_to_builder,
    require_tool,
    run_tool,
    stage,
)
from tests.harness import REPO_ROOT

SECRET_NAMES = {variable.name for variable in env_contract() if variable.secret}


def test_hadolint_finds_nothing() -> None:
    result = run_tool([require_tool("hadolint"), "--format", "json", str(DOCKERFILE)])
    findings = json.loads(result.stdout or "[]")
    assert findings == [], "\n".join(
        f"line {f['line']}: {f['code']} {f['message']}" for f in findings
    )
    assert result.returncode == 0, result.stderr


def test_multi_stage_build_ends_in_a_slim_python_runtime() -> None:
    names = [s.name for s in dockerfile_stages()]
    assert names[-1] == "runtime"
    assert "builder" in names
    assert stage("runtime").base == "python:3.11-slim"
    assert stage("builder").base == "python:3.11-slim"  # same interpreter the venv was built for


def test_builder_installs_only_the_locked_production_dependencies_of_the_api() -> None:
    syncs = [c.value[0] for c in stage("builder").all("RUN") if "uv sync" in c.value[0]]
    assert syncs, "the builder must install with `uv sync`"
    for command in syncs:
        flags = command.split()
        assert {"--frozen", "--no-dev"} <= set(flags), command
        assert flags[flags.index("--package") + 1] == "copilot-api", command
    assert "--no-editable" in syncs[-1].split(), "the runtime must not need the source tree"
    assert not [c for c in stage("builder").all("RUN") if re.search(r"\bpip install\b", c.value[0])]


def test_runtime_holds_only_the_venv_and_the_service_definitions() -> None:
    runtime = stage("runtime")
    from_builder = [c for c in runtime.all("COPY") if "--from=builder" in c.flags]
    assert [c.value for c in from_builder] == [("/app/.venv", "/app/.venv")]
    for sources, _ in runtime.copies_from_context():
        for source in sources:
            assert not source.startswith(("libs", "services", "platform", "tests")), source
    assert not [c for c in runtime.all("RUN") if re.search(r"\b(pip|uv)\b", c.value[0])]
    assert runtime.env()["PATH"].startswith("/app/.venv/bin:")


def test_runtime_runs_as_the_unprivileged_appuser() -> None:
    runtime = stage("runtime")
    user = runtime.last("USER")
    assert user is not None, "no USER: the service would run as root"
    uid = user.value[0].split(":")[0]
    assert uid not in {"0", "root"}
    useradd = next(c.value[0] for c in runtime.all("RUN") if "useradd" in c.value[0])
    assert re.search(rf"--uid {uid}\b", useradd)
    assert useradd.rstrip().endswith("appuser")
    # Nothing runs as root after the switch.
    after_user = runtime.commands[runtime.commands.index(user) :]
    assert not [c for c in after_user if c.cmd.upper() == "RUN"]


def test_healthcheck_probes_health_with_the_standard_library() -> None:
    healthcheck = stage("runtime").last("HEALTHCHECK")
    assert healthcheck is not None
    kind, *program = healthcheck.value
    assert kind == "CMD"
    assert healthcheck.json, "exec form: no shell needed in the image"
    assert program[:2] == ["python", "-c"]
    assert "urllib.request" in program[2]
    assert f"{HEALTH_PATH}'" in program[2]
    assert "curl" not in " ".join(program)
    assert any(flag.startswith("--start-period") for flag in healthcheck.flags)


def test_server_defaults_suit_a_container() -> None:
    env = stage("runtime").env()
    assert env["WORKERS"] == "4"
    assert env["HOST"] == "0.0.0.0"
    assert env["PORT"] == "8000"
    assert env["DATA_DIR"].startswith("/tmp/")  # the only writable path under ECS


def test_entrypoint_is_the_copilot_cli_serving_by_default() -> None:
    runtime = stage("runtime")
    entrypoint, command = runtime.last("ENTRYPOINT"), runtime.last("CMD")
    assert entrypoint is not None
    assert entrypoint.json
    assert entrypoint.value == ("copilot",)
    assert command is not None
    assert command.json
    assert command.value == ("serve",)


def test_no_secret_or_environment_is_baked_into_the_image() -> None:
    for build_stage in dockerfile_stages():
        for command in build_stage.all("ENV") + build_stage.all("ARG"):
            names = {part.split("=")[0] for part in command.value}
            assert not names & (SECRET_NAMES | {"ENVIRONMENT"}), command.original


def test_dockerignore_sends_what_the_build_copies_and_no_local_secrets() -> None:
    for build_stage in dockerfile_stages():
        for sources, _ in build_stage.copies_from_context():
            for source in sources:
                assert (REPO_ROOT / source).exists(), f"COPY {source}: missing from the repo"
                assert build_context_files(source), f"COPY {source}: excluded by .dockerignore"
    assert is_sent_to_builder("services/api/src/copilot_api/app.py")
    for private in (".env", ".env.production", ".git/config", ".venv/pyvenv.cfg", ".data/x"):
        assert not is_sent_to_builder(private), private
    assert not is_sent_to_builder("services/api/src/copilot_api/__pycache__/app.cpython-311.pyc")


@pytest.mark.parametrize("source", ["libs/config/src", "services/api/src"])
def test_code_sent_to_the_builder_has_no_bytecode(source: str) -> None:
    assert not [f for f in build_context_files(source) if f.endswith(".pyc")]
