"""The `copilot` command line: serve, db, config (capabilities add their own command groups).

Errors a user can fix (a bad setting, a bad file) print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from copilot_api.listings.cli import register_listings_commands
from copilot_api.observability.logging import configure_logging
from copilot_api.observability.multiprocess import prepare_directory, remove_abandoned_directories
from copilot_api.security.cli import add_key_commands
from copilot_api.security.dev_key import announce_development_key
from copilot_api.storage.migrations import apply_migrations
from copilot_api.storage.target import DatabaseTargetError, database_target
from copilot_config import Environment, Settings, SettingsError, load_settings

EXIT_USAGE = 2

Command = Callable[[argparse.Namespace, Settings], int]


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    command: Command | None = getattr(args, "command", None)
    if command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return command(args, load_settings())
    except (SettingsError, CliError, DatabaseTargetError) as error:
        print(f"copilot: error: {error}", file=sys.stderr)
        return EXIT_USAGE


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="copilot", description="Realtor AI Copilot service")
    groups = parser.add_subparsers(title="commands")

    serve = groups.add_parser("serve", help="run the HTTP API (HOST, PORT, WORKERS)")
    serve.add_argument(
        "--reload", action="store_true", help="restart on code changes (development)"
    )
    serve.set_defaults(command=_serve)

    db = groups.add_parser("db", help="database maintenance").add_subparsers(title="db commands")
    db.add_parser("migrate", help="apply pending migrations").set_defaults(command=_db_migrate)

    config = groups.add_parser("config", help="inspect settings").add_subparsers(
        title="config commands"
    )
    config.add_parser("show", help="print the effective settings, secrets masked").set_defaults(
        command=_config_show
    )
    config.add_parser("check", help="validate the settings and exit 0 or 2").set_defaults(
        command=_config_check
    )
    add_key_commands(groups)
    register_listings_commands(groups)
    return parser


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    check_definitions(settings)
    configure_logging(settings)
    # An embedded server is started once here and owned by this process; every worker's
    # `database_target` finds it running and shares it.
    with database_target(
        settings.database, environment=settings.app.environment, data_dir=settings.app.data_dir
    ) as database:
        if settings.app.environment is Environment.DEVELOPMENT:  # prints the development API key
            announce_development_key(settings, database.url)
        _run_uvicorn(args, settings)
    return 0


def _run_uvicorn(args: argparse.Namespace, settings: Settings) -> None:
    from copilot_api.app import create_app_from_environment
    from copilot_api.serving import run_server

    metrics_dir = _prepare_metrics_directory(settings)
    # uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown; a no-op handler lets us
    # continue to stop the embedded PostgreSQL and exit 0.
    previous = {sig: signal.signal(sig, _ignore_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        run_server(
            "copilot_api.app:create_app_from_environment"
            if settings.server.workers > 1 or args.reload
            else create_app_from_environment,
            factory=True,
            host=settings.server.host,
            port=settings.server.port,
            workers=None if args.reload else settings.server.workers,
            reload=args.reload,
            log_config=None,
            proxy_headers=False,
            server_header=False,
            access_log=False,  # the observability middleware logs each request
            timeout_graceful_shutdown=30,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if metrics_dir is not None and settings.observability.metrics_multiprocess_dir is None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def check_definitions(settings: Settings) -> None:
    """Build the app once, without I/O, so a bad workflow, prompt or experiment file is one
    line naming the file (exit 2) instead of a traceback from every worker."""
    from copilot_api.app import DEFINITION_ERRORS, create_app

    try:
        create_app(settings)
    except DEFINITION_ERRORS as error:
        raise CliError(str(error)) from None


def _prepare_metrics_directory(settings: Settings) -> Path | None:
    """Every worker writes its metrics here so /metrics can sum them; emptied before workers
    start. Unset METRICS_MULTIPROCESS_DIR: a directory of this supervisor's own under DATA_DIR
    (left-overs of supervisors that died are removed), passed to the workers by environment."""
    if not settings.observability.metrics_enabled:
        return None
    directory = settings.observability.metrics_multiprocess_dir
    if directory is None:
        parent = settings.app.data_dir.resolve() / "metrics"
        remove_abandoned_directories(parent)
        directory = parent / str(os.getpid())
        os.environ["METRICS_MULTIPROCESS_DIR"] = str(directory)
    prepare_directory(directory)
    return directory


def _ignore_signal(signum: int, frame: FrameType | None) -> None:
    """Swallow the signal uvicorn re-raises once it has shut down."""


def _db_migrate(_: argparse.Namespace, settings: Settings) -> int:
    with database_target(
        settings.database, environment=settings.app.environment, data_dir=settings.app.data_dir
    ) as database:
        applied = apply_migrations(database.url)
    names = ", ".join(f"{m.version:04d}_{m.name}" for m in applied) or "none (up to date)"
    print(f"applied migrations: {names}")
    return 0


def _config_show(_: argparse.Namespace, settings: Settings) -> int:
    print(json.dumps(settings.by_variable(), indent=2))
    return 0


def _config_check(_: argparse.Namespace, settings: Settings) -> int:
    check_definitions(settings)
    print(f"configuration is valid for ENVIRONMENT={settings.app.environment.value}")
    return 0
