"""The session fixture: one test bed for the whole scenario, always torn down.

Teardown runs on success, on failure, on Ctrl-C (pytest finishes the session's fixtures
after KeyboardInterrupt) and on SIGTERM (turned into KeyboardInterrupt here). After it,
the fixture fails the run if anything it started was still running or listening.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from types import FrameType

import pytest

from e2e.harness import Harness

NUMBERS = pytest.StashKey[dict[str, float]]()
LOGS = pytest.StashKey[str]()
REVIVED = pytest.StashKey[list[str]]()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    """Git repository, cluster and Argo CD, started; ``dist/argocd/`` applied."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    bed = Harness()
    request.config.stash[NUMBERS] = bed.numbers
    request.config.stash[LOGS] = str(bed.log_dir)
    request.config.stash[REVIVED] = bed.cluster.revived
    try:
        bed.start()
        yield bed
    finally:
        leftovers = bed.stop()
        signal.signal(signal.SIGTERM, previous)
        assert not leftovers, "left running after teardown:\n" + "\n".join(leftovers)


SCENARIO = "test_sync.py"
"""The scenario's tests. They run first: their "bootstrap to ..." figures count from the
bootstrap, which the shared harness does before the first test of the run, and the corpus and
agreement checks (which need only the cluster) would otherwise be timed with them."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the scenario's tests first, keeping every file's own order."""
    items.sort(key=lambda item: item.path.name != SCENARIO)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print the benchmark figures (not assertions: numbers to watch)."""
    numbers = config.stash.get(NUMBERS, {})
    if numbers:
        terminalreporter.section("e2e numbers (this machine)")
        for name, seconds in numbers.items():
            terminalreporter.write_line(f"{name}: {seconds:.1f} s")
    revived = config.stash.get(REVIVED, [])
    if revived:
        terminalreporter.write_line(
            f"started again after exiting at start-up: {', '.join(revived)} "
            "(see logs/cluster/<component>.log)"
        )
    if LOGS in config.stash:
        terminalreporter.write_line(f"e2e logs: {config.stash[LOGS]}")
