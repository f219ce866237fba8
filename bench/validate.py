"""Benchmark (not a test): ``guestbook validate`` against kubeconform alone, cold and warm.

For each fleet size, renders the generated environments into a temporary folder,
then times, as cold processes on the same files, interleaved:

- ``kubeconform``: kubeconform alone with the pipeline's flags at its own default
  concurrency (``-n 4``), the baseline;
- ``ours_validate``: ``guestbook validate`` with an empty verdict cache (a fresh
  tools folder each run): a first run;
- ``ours_validate_one_changed``: ``guestbook validate`` after one environment changed
  (its frontend Deployment's replicas, a new value each run), the other verdicts
  cached by the run before, as in CI or an editor after one overlay was edited.

Besides the wall time, each measure's CPU time (user and system, with children) is kept:
on a machine shared with other work it moves much less than the wall time. In the
one-changed measure, the untimed run before is not counted.

Prints the medians and the ratios to kubeconform per size (targets: at most 2x
cold, at most 1x with one environment changed), and adds them to
``bench/results.json`` under ``validate`` (other keys are kept, in their order).

    .venv/bin/python bench/validate.py [--sizes 3,30,100,300,1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fleet import machine, timings
from fleet_overlays import environment_name, render_fleet

from guestbook.kubernetes import KUBERNETES_VERSION
from guestbook.validate.kubeconform import KUBECONFORM_DEFAULT_WORKERS, Kubeconform
from guestbook.validate.schemas import SchemaStore
from guestbook.validate.tools import TOOLS_DIR_ENV, kubeconform_binary, schemas_root, tools_dir

BENCH = Path(__file__).parent
GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))
TARGETS = {"ours_validate/kubeconform": 2.0, "ours_validate_one_changed/kubeconform": 1.0}
MEASURES = ("kubeconform", "ours_validate", "ours_validate_one_changed")
_REPLICAS = re.compile(r"^(  replicas: )\d+$", re.MULTILINE)


Timing = tuple[float, float]
"""Wall seconds, and CPU seconds (user and system, with the command's own children)."""


def run(command: list[str], env: dict[str, str] | None = None) -> Timing:
    """Wall and CPU seconds of one command; exit codes 0 and 1 (findings) are both fine."""
    cpu = _children_cpu()
    start = time.perf_counter()
    process = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    if process.returncode not in (0, 1):
        sys.exit(f"{command[0]} exited {process.returncode}:\n{process.stdout}{process.stderr}")
    return elapsed, _children_cpu() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Fleet:
    """One rendered fleet, its own tools folder (so its own cache), and the timed commands."""

    def __init__(self, scratch: Path, size: int) -> None:
        self.root = scratch / f"fleet-{size}"
        self.size = size
        self.dist = render_fleet(self.root, size)
        self.files = sorted(str(p) for p in self.dist.rglob("*.yaml"))
        self.tools = self.root / "tools"
        self.tools.mkdir()
        for name in ("bin", "schemas"):
            (self.tools / name).symlink_to(tools_dir() / name)
        self.env = {**os.environ, TOOLS_DIR_ENV: str(self.tools)}
        self.changed = self.dist / environment_name(0) / "deployment-frontend.yaml"
        self.edits = 0
        store = SchemaStore(schemas_root(), KUBERNETES_VERSION)
        self.alone = Kubeconform(kubeconform_binary(), store, KUBECONFORM_DEFAULT_WORKERS)

    def kubeconform(self) -> Timing:
        return run(self.alone.command(self.files))

    def ours_validate(self) -> Timing:
        shutil.rmtree(self.tools / "cache", ignore_errors=True)
        return run([GUESTBOOK, "validate", "--quiet", str(self.dist)], self.env)

    def ours_validate_one_changed(self) -> Timing:
        run([GUESTBOOK, "validate", "--quiet", str(self.dist)], self.env)  # the run before
        self.edits += 1
        text = self.changed.read_text(encoding="utf-8")
        edited = _REPLICAS.sub(lambda m: f"{m.group(1)}{10 + self.edits}", text, count=1)
        if edited == text:
            sys.exit(f"{self.changed}: no replicas to change")
        self.changed.write_text(edited, encoding="utf-8")
        return run([GUESTBOOK, "validate", "--quiet", str(self.dist)], self.env)


def measure(fleet: Fleet, runs: int) -> dict[str, Any]:
    """Every measure ``runs`` times, interleaved, after one untimed round."""
    actions: dict[str, Callable[[], Timing]] = {name: getattr(fleet, name) for name in MEASURES}
    for action in actions.values():
        action()
    seconds: dict[str, list[float]] = {name: [] for name in MEASURES}
    cpu: dict[str, list[float]] = {name: [] for name in MEASURES}
    for _ in range(runs):
        for name, action in actions.items():
            wall, used = action()
            seconds[name].append(wall)
            cpu[name].append(used)
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    return {
        "environments": fleet.size,
        "files": len(fleet.files),
        "runs": runs,
        **timings(seconds),
        "cpu_seconds": {name: round(statistics.median(v), 4) for name, v in cpu.items()},
        "ratios": {
            ratio: round(medians[ratio.split("/")[0]] / medians["kubeconform"], 3)
            for ratio in TARGETS
        },
        "load_average_1min_after": round(os.getloadavg()[0], 2),
    }


def table(results: list[dict[str, Any]]) -> str:
    """The results as a Markdown table (medians, min in parentheses)."""
    header = ["environments", "files", *MEASURES, *TARGETS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
    for row in results:
        cells = [str(row["environments"]), str(row["files"])]
        cells += [f"{row['seconds'][m]:.2f} ({row['min_seconds'][m]:.2f})" for m in MEASURES]
        cells += [f"{row['ratios'][r]:.2f}" for r in TARGETS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def save(path: Path, results: list[dict[str, Any]], load_before: float) -> None:
    """Put the figures under ``validate`` in ``path``, keeping every other key in its place."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        report = {}
    report["validate"] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": machine(),
        "load_average_1min_before": round(load_before, 2),
        "targets": TARGETS,
        "fleets": results,
    }
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    """Render each fleet, time the commands, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3,30,100,300,1000", help="comma-separated sizes")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--results", type=Path, default=BENCH / "results.json")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    load_before = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load_before:.2f}; {args.runs} runs per measure")
    results = []
    with tempfile.TemporaryDirectory(prefix="guestbook-bench-") as scratch:
        for size in sizes:
            started = time.perf_counter()
            fleet = Fleet(Path(scratch), size)
            print(
                f"fleet of {size}: {len(fleet.files)} files, "
                f"rendered in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            row = measure(fleet, args.runs)
            results.append(row)
            for name in MEASURES:
                print(
                    f"  {name:28} median {row['seconds'][name]:7.3f} s, "
                    f"CPU {row['cpu_seconds'][name]:7.3f} s"
                )
            for ratio, target in TARGETS.items():
                value = row["ratios"][ratio]
                verdict = "within" if value <= target else "OVER"
                print(f"  {ratio:40} {value:5.2f} ({verdict} the target of {target})")
            shutil.rmtree(fleet.root)
    print()
    print(table(results))
    if not args.no_save:
        save(args.results, results, load_before)
        print(f"\nadded `validate` to {args.results}")


if __name__ == "__main__":
    main()
