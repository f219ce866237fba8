"""Benchmark (not a test): wall time of `guestbook diff` across all environments.

Each run is a cold `guestbook diff --base HEAD` process in this checkout: the
base is checked out into a temporary worktree and rendered by its own code,
the working tree is rendered too, then both are compared, each run with an
empty render cache (both sides rendered in full). Target: at most
3.0 s on the project's 2-core machine. Run with `.venv/bin/python bench/diff.py`.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from guestbook.tools import CACHE_DIR_ENV

ROOT = Path(__file__).resolve().parent.parent
GUESTBOOK = Path(sys.executable).with_name("guestbook")
REPEAT = 5
TARGET_SECONDS = 3.0


def time_once() -> tuple[float, float]:
    """Wall and CPU seconds (this process's children) of one `guestbook diff`."""
    with tempfile.TemporaryDirectory(prefix="guestbook-bench-cache-") as cache:
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [str(GUESTBOOK), "diff", "--base", "HEAD", "--format", "json"],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            env={
                **os.environ,
                "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
                CACHE_DIR_ENV: cache,
            },
        )
        wall = time.perf_counter() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return wall, cpu


def main() -> None:
    time_once()  # fill the OS file cache once
    runs = [time_once() for _ in range(REPEAT)]
    walls = [wall for wall, _ in runs]
    best, median = min(walls), statistics.median(walls)
    cpu = statistics.median(c for _, c in runs)
    envs = len(list((ROOT / "environments").glob("*.yaml")))
    verdict = "ok" if median <= TARGET_SECONDS else "OVER TARGET"
    print(f"guestbook diff, all {envs} environments + argocd, base render included, {REPEAT} runs:")
    print(
        f"  min {best:.3f} s   median {median:.3f} s   target <= {TARGET_SECONDS:.1f} s ({verdict})"
    )
    print(
        f"  CPU (user+sys, all processes) median {cpu:.2f} s; load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
