"""The session's secret-leak check: the detector itself, then the real plugin in a child pytest."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.harness import REPO_ROOT
from tests.plugins.log_secrets import LeakDetector, secret_parts


def fake_key() -> str:
    # Built at run time so the literal never sits in this file's captured output.
    return "cpk_" + "0a1b2c3d4e" + "_" + "Z" * 43


def test_api_keys_are_found_by_shape_but_prefixes_are_public() -> None:
    detector = LeakDetector()
    detector.add_text("key cpk_0a1b2c3d4e was used", "test_a")
    assert detector.leaks() == []
    detector.add_text(f"header X-API-Key: {fake_key()}", "test_b")
    leaks = detector.leaks()
    assert [(leak.kind, leak.where) for leak in leaks] == [("an API key", "test_b")]
    assert fake_key() not in leaks[0].describe()


def test_registered_secrets_are_found_wherever_they_appear() -> None:
    detector = LeakDetector()
    detector.add_secret("postgresql://app:s3cret-Passw0rd@db:5432/copilot", "database URL")
    detector.add_secret("sk-test-0123456789abcdef", "OpenAI key")
    detector.add_text("connecting to postgresql://app:[REDACTED]@db:5432/copilot", "t1")
    assert detector.leaks() == []
    detector.add_text("retrying with s3cret-Passw0rd", "t2")
    detector.add_text("openai said 401 for sk-test-0123456789abcdef", "t3")
    assert {(leak.kind, leak.where) for leak in detector.leaks()} == {
        ("database URL", "t2"),
        ("OpenAI key", "t3"),
    }


def test_only_the_secret_part_of_a_url_counts_and_short_values_are_ignored() -> None:
    assert secret_parts("redis://:longer-password@cache:6379/0") == ["longer-password"]
    assert secret_parts("postgresql://postgres@127.0.0.1:5432/db") == []
    assert secret_parts("postgresql://u:short@h/db") == []
    assert secret_parts("tiny") == []
    assert secret_parts("sk-proj-abcdefghijkl") == ["sk-proj-abcdefghijkl"]


def test_a_leak_fails_the_session_without_printing_the_secret(tmp_path: Path) -> None:
    (tmp_path / "test_leaky.py").write_text(
        textwrap.dedent(
            """
            import logging
            from pydantic import SecretStr

            def test_logs_a_key():
                key = "cpk_" + "0a1b2c3d4e" + "_" + "Z" * 43
                logging.getLogger("leaky").warning("using %s", key)

            def test_logs_a_settings_secret():
                secret = SecretStr("sk-" + "live-" + "9" * 20)
                logging.getLogger("leaky").warning("key is %s", secret.get_secret_value())

            def test_clean():
                logging.getLogger("leaky").warning("nothing to see")
            """
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.plugins.log_secrets",
            "-p",
            "no:cacheprovider",
            "-q",
            str(tmp_path / "test_leaky.py"),
        ],
        cwd=tmp_path,
        # No third-party plugins (schemathesis, hypothesis...): seconds of start-up for nothing.
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "3 passed" in output
    assert "LEAK: an API key in log output of test_leaky.py::test_logs_a_key" in output
    assert (
        "LEAK: a SecretStr setting (password or key) in log output of "
        "test_leaky.py::test_logs_a_settings_secret" in output
    )
    assert "test_clean" not in output.split("secrets in log output")[1]
    assert "Z" * 43 not in output
    assert "9" * 20 not in output
