"""Platform test fixtures: one real program run per stack, shared; Pulumi's globals reset."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pulumi
import pulumi.runtime.settings
import pytest

from tests.platform.harness import STACKS, StackRun, operator_config, run_program


@pytest.fixture(autouse=True)
def _reset_pulumi() -> Iterator[None]:
    """Mocks, config and the root stack are process-global: leave none behind for other tests."""
    yield
    pulumi.runtime.set_all_config({}, [])
    pulumi.runtime.settings.ROOT.set(None)


@pytest.fixture(scope="session")
def stack_run() -> Callable[[str], StackRun]:
    """The program run on a stack file, executed once per session (a run is immutable data)."""
    runs: dict[str, StackRun] = {}

    def get(stack: str) -> StackRun:
        if stack not in runs:
            runs[stack] = run_program(stack, operator_config(stack))
        return runs[stack]

    return get


@pytest.fixture(params=STACKS)
def run(request: pytest.FixtureRequest, stack_run: Callable[[str], StackRun]) -> StackRun:
    return stack_run(request.param)


@pytest.fixture
def staging(stack_run: Callable[[str], StackRun]) -> StackRun:
    return stack_run("staging")


@pytest.fixture
def production(stack_run: Callable[[str], StackRun]) -> StackRun:
    return stack_run("production")
