"""Benchmark (not a test): ``guestbook validate`` against kubeconform alone.

Renders a fleet of generated environments into a temporary folder, then times,
as cold processes on the same files: kubeconform alone with the pipeline's flags
at kubeconform's own default concurrency (the baseline of the target), the exact
kubeconform command the pipeline starts (fewer workers), and the full
``guestbook validate``. Prints the medians and both ratios; the target is a ratio
of at most 1.5 against the first.

    .venv/bin/python bench/validate.py [--environments 100] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fleet_overlays import render_fleet

from guestbook.kubernetes import KUBERNETES_VERSION
from guestbook.validate.kubeconform import KUBECONFORM_DEFAULT_WORKERS, Kubeconform
from guestbook.validate.schemas import SchemaStore
from guestbook.validate.tools import kubeconform_binary, schemas_root

TARGET_RATIO = 1.5


def timed(command: list[str], expected: set[int]) -> float:
    start = time.perf_counter()
    process = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if process.returncode not in expected:
        sys.exit(f"{command[0]} exited {process.returncode}:\n{process.stdout}{process.stderr}")
    return elapsed


def main() -> None:
    """Render the fleet, time both commands, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environments", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="guestbook-bench-") as tmp:
        started = time.perf_counter()
        output = render_fleet(Path(tmp), args.environments)
        files = sorted(str(p) for p in output.rglob("*.yaml"))
        print(
            f"rendered {args.environments} environments: {len(files)} files "
            f"in {time.perf_counter() - started:.1f} s"
        )

        store = SchemaStore(schemas_root(), KUBERNETES_VERSION)
        alone = Kubeconform(kubeconform_binary(), store, KUBECONFORM_DEFAULT_WORKERS).command(files)
        pipeline = Kubeconform(kubeconform_binary(), store).command(files)
        guestbook = [str(Path(sys.executable).with_name("guestbook")), "validate"]
        empty = Path(tmp) / "empty"
        empty.mkdir()
        commands = {
            "kubeconform alone": (alone, {0}),
            "kubeconform alone, the pipeline's workers": (pipeline, {0}),
            "guestbook validate": ([*guestbook, str(output)], {0}),
            "guestbook validate, no files (start-up)": ([*guestbook, str(empty)], {0}),
        }
        timed(alone, {0})  # warm the file system cache for both
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (command, expected) in commands.items():
                times[name].append(timed(command, expected))

    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"kubeconform flags: {' '.join(alone[1 : -len(files) - 1])} <{len(files)} files>")
    for name, median in medians.items():
        print(f"{name + ':':45} {median:.3f} s (median of {args.runs})")
    ratio = medians["guestbook validate"] / medians["kubeconform alone"]
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    print(f"ratio: {ratio:.2f} ({verdict} the target of {TARGET_RATIO})")
    own_command = medians["kubeconform alone, the pipeline's workers"]
    pipeline_ratio = medians["guestbook validate"] / own_command
    print(f"ratio to the pipeline's own kubeconform command: {pipeline_ratio:.2f}")


if __name__ == "__main__":
    main()
