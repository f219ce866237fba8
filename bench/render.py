"""Benchmark (not a test): cold-process wall time of rendering every environment.

Cold: ``--no-cache``, so every environment is rendered (see bench/fleet.py for the cache).

Target: at most 1.0 s on the project's 2-core machine. Run with `make bench`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUESTBOOK = Path(sys.executable).with_name("guestbook")
REPEAT = 7
TARGET_SECONDS = 1.0


def time_once(outdir: Path) -> float:
    """Seconds for one `guestbook synth` in a fresh process."""
    start = time.perf_counter()
    subprocess.run(
        [str(GUESTBOOK), "synth", "--quiet", "--no-cache", "--output", str(outdir)],
        cwd=ROOT,
        check=True,
        env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"},
    )
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        time_once(Path(tmp) / "warmup")  # fill the OS file cache once
        runs = [time_once(Path(tmp) / f"run{i}") for i in range(REPEAT)]
    envs = len(list((ROOT / "environments").glob("*.yaml")))
    best, median = min(runs), statistics.median(runs)
    verdict = "ok" if median <= TARGET_SECONDS else "OVER TARGET"
    print(f"render all {envs} environments, cold process, {REPEAT} runs:")
    print(
        f"  min {best:.3f} s   median {median:.3f} s   target <= {TARGET_SECONDS:.1f} s ({verdict})"
    )


if __name__ == "__main__":
    main()
