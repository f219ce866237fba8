"""Benchmark (not a test): a generated fleet rendered by us, Helm and Kustomize; validate; diff.

For each fleet size, as cold processes with several repetitions (min and median):

- ``ours_render``: one cold ``guestbook synth --no-cache --jobs 1`` of the whole fleet (and
  ``argocd/``), one process;
- ``helm_render``: ``helm template`` once per environment (bench/peers/helm, the
  overlay file as the values file), output written to one file per environment;
- ``kustomize_render``: ``kustomize build`` once per generated overlay (bench/peers/kustomize);
- ``ours_render_parallel``, ``helm_render_parallel``, ``kustomize_render_parallel``: the same
  cold renders with as many processes as the cores available (``guestbook synth --no-cache``
  with its default ``--jobs``; the peers' processes started ``xargs -P`` style);
- ``ours_synth_one_changed``: ``guestbook synth`` with a warm render cache after one overlay
  changed (a new value each run, so exactly one environment is rendered);
- ``kubeconform``: kubeconform alone on our rendered files, with the pipeline's flags but
  kubeconform's own default concurrency (``-n 4``): what a user running it would see;
- ``kubeconform_pipeline``: the exact kubeconform command ``guestbook validate`` starts
  (fewer workers, leaving a core to the Python side), alone;
- ``ours_validate``: ``guestbook validate`` on the same files;
- ``ours_diff``: ``guestbook diff --base HEAD`` in a temporary git repository with the
  fleet committed and one overlay changed in the working tree, with an empty render cache
  (two cold renders of the fleet);
- ``ours_diff_one_changed``: the same diff with a warm render cache and the overlay changed to
  a new value each run (the base all cached, the head one environment to render).

Then every environment's Helm and Kustomize output is checked against ours
(same objects, normalized); any difference fails the run. Writes a table,
``bench/results.json`` and ``bench/fleet.png``; ``bench/figures.py`` (run next by
``make bench``) puts the figures into docs/benchmarks.md.

    .venv/bin/python bench/fleet.py --helm PATH --kustomize PATH [--sizes 3,30] [--runs 5]
    .venv/bin/python bench/fleet.py --helm PATH --kustomize PATH --smoke
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import peer_tools
import yaml
from figures import tables
from fleet_overlays import write_overlays
from peers.kustomize.overlays import write_overlays as write_kustomize_overlays

from guestbook.kubernetes import KUBERNETES_VERSION
from guestbook.tools import CACHE_DIR_ENV as CACHE_ENV
from guestbook.validate.kubeconform import DEFAULT_WORKERS, KUBECONFORM_DEFAULT_WORKERS, Kubeconform
from guestbook.validate.schemas import SchemaStore
from guestbook.validate.tools import kubeconform_binary, schemas_root

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))
MEASURES = (
    "ours_render",
    "helm_render",
    "kustomize_render",
    "ours_render_parallel",
    "helm_render_parallel",
    "kustomize_render_parallel",
    "ours_synth_one_changed",
    "ours_diff_one_changed",
    "ours_diff",
    "kubeconform",
    "kubeconform_pipeline",
    "ours_validate",
)
"""Every measure, in table order (bench/figures.py puts the cold renders in a table apart)."""
RATIOS = (
    ("ours_render", "helm_render"),
    ("ours_render", "kustomize_render"),
    ("ours_render_parallel", "helm_render_parallel"),
    ("ours_render_parallel", "kustomize_render_parallel"),
    ("ours_synth_one_changed", "kustomize_render"),
    ("ours_validate", "kubeconform"),
    ("ours_validate", "kubeconform_pipeline"),
)
JOBS = len(os.sched_getaffinity(0))
"""Processes of the parallel measures: the cores this process may run on (synth's default)."""
ENV = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
CHANGED = "env-000"
"""The environment whose overlay the one-changed measures edit."""


def run(
    command: list[str],
    *,
    cwd: Path | None = None,
    stdout: Any = subprocess.DEVNULL,
    env: dict[str, str] | None = None,
) -> None:
    """Run one command; stop the benchmark with its output when it fails."""
    process = subprocess.run(
        command,
        cwd=cwd,
        env={**ENV, **(env or {})},
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if process.returncode:
        sys.exit(f"{' '.join(command[:4])} ... exited {process.returncode}:\n{process.stderr}")


def run_parallel(commands: list[tuple[list[str], Path]], jobs: int) -> None:
    """Run each command with its stdout to its file, at most ``jobs`` at once (``xargs -P``)."""
    running: list[tuple[subprocess.Popen[bytes], Any]] = []
    pending = list(commands)
    while pending or running:
        while pending and len(running) < jobs:
            command, output = pending.pop(0)
            out = output.open("wb")
            running.append((subprocess.Popen(command, env=ENV, stdout=out), out))
        process, out = running.pop(0)
        code = process.wait()
        out.close()
        if code:
            sys.exit(f"{' '.join(process.args[:4])} ... exited {code}")  # type: ignore[index]


def timed(action: Callable[[int], None], runs: int) -> list[float]:
    """Wall seconds of ``action(run_number)`` for each run, after one untimed warm-up."""
    action(-1)
    times = []
    for number in range(runs):
        start = time.perf_counter()
        action(number)
        times.append(time.perf_counter() - start)
    return times


class Fleet:
    """One generated fleet in a scratch folder, and the commands that render and check it."""

    def __init__(self, scratch: Path, size: int, helm: Path, kustomize: Path) -> None:
        self.root = scratch / f"fleet-{size}"
        self.size = size
        self.helm, self.kustomize = helm, kustomize
        self.overlays = write_overlays(self.root / "environments", size)
        self.kustomize_dirs = write_kustomize_overlays(self.root / "kustomize", self.overlays)
        self.dist = self.root / "dist"
        run(
            [GUESTBOOK, "synth", "--quiet", "--no-cache", "--output", str(self.dist)], cwd=self.root
        )
        self.files = sorted(str(p) for p in self.dist.rglob("*.yaml"))
        self.cache = self.root / "render-cache"
        # The one-changed synth edits a copy: the peers are checked against environments/.
        self.incremental = self.root / "incremental-environments"
        shutil.copytree(self.root / "environments", self.incremental)
        self.edits = 0
        self.diff_repo = self.root / "repo"

    def _ours_cold(self, number: int, *jobs: str) -> None:
        output = self.root / f"ours-{number}"
        command = [GUESTBOOK, "synth", "--quiet", "--no-cache", *jobs, "--output", str(output)]
        run(command, cwd=self.root)
        shutil.rmtree(output)

    def ours_render(self, number: int) -> None:
        self._ours_cold(number, "--jobs", "1")

    def ours_render_parallel(self, number: int) -> None:
        self._ours_cold(number)

    def _edit(self, environments: Path) -> None:
        """Give the changed environment's frontend a replica count no earlier run used."""
        self.edits += 1
        overlay = environments / f"{CHANGED}.yaml"
        data = yaml.safe_load(overlay.read_text())
        data["frontend"]["replicas"] = 100 + self.edits
        overlay.write_text(yaml.safe_dump(data, sort_keys=False))

    def ours_synth_one_changed(self, number: int) -> None:
        if number == -1:  # the warm-up fills the cache with the committed fleet first
            self._synth_cached()
        self._edit(self.incremental)
        self._synth_cached()

    def _synth_cached(self) -> None:
        command = [GUESTBOOK, "synth", "--quiet", "-e", str(self.incremental)]
        command += ["--output", str(self.root / "incremental-dist")]
        run(command, cwd=self.root, env={CACHE_ENV: str(self.cache)})

    def helm_render(self, number: int) -> None:
        output = self.root / f"helm-{number}"
        output.mkdir()
        for name in self.overlays:
            values = self.root / "environments" / f"{name}.yaml"
            with (output / f"{name}.yaml").open("w") as out:
                run(peer_tools.helm_command(self.helm, name, values), stdout=out)
        shutil.rmtree(output)

    def kustomize_render(self, number: int) -> None:
        output = self.root / f"kustomize-{number}"
        output.mkdir()
        for name, folder in self.kustomize_dirs.items():
            with (output / f"{name}.yaml").open("w") as out:
                run(peer_tools.kustomize_command(self.kustomize, folder), stdout=out)
        shutil.rmtree(output)

    def helm_render_parallel(self, number: int) -> None:
        output = self.root / f"helm-parallel-{number}"
        output.mkdir()
        commands = [
            (
                peer_tools.helm_command(
                    self.helm, name, self.root / "environments" / f"{name}.yaml"
                ),
                output / f"{name}.yaml",
            )
            for name in self.overlays
        ]
        run_parallel(commands, JOBS)
        shutil.rmtree(output)

    def kustomize_render_parallel(self, number: int) -> None:
        output = self.root / f"kustomize-parallel-{number}"
        output.mkdir()
        commands = [
            (peer_tools.kustomize_command(self.kustomize, folder), output / f"{name}.yaml")
            for name, folder in self.kustomize_dirs.items()
        ]
        run_parallel(commands, JOBS)
        shutil.rmtree(output)

    def kubeconform(self, number: int) -> None:
        self._kubeconform(KUBECONFORM_DEFAULT_WORKERS)

    def kubeconform_pipeline(self, number: int) -> None:
        self._kubeconform(DEFAULT_WORKERS)

    def _kubeconform(self, workers: int) -> None:
        store = SchemaStore(schemas_root(), KUBERNETES_VERSION)
        run(Kubeconform(kubeconform_binary(), store, workers).command(self.files))

    def ours_validate(self, number: int) -> None:
        run([GUESTBOOK, "validate", "--quiet", str(self.dist)])

    def prepare_diff(self) -> Path:
        """A git repository with this project's code and the fleet, one overlay changed."""
        repo = self.root / "repo"
        ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
        shutil.copytree(ROOT / "lib", repo / "lib", ignore=ignore)
        shutil.copytree(self.root / "environments", repo / "environments")
        for name in ("main.py", "pyproject.toml"):
            shutil.copy2(ROOT / name, repo / name)
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
        run([*git, "init", "--quiet", "--initial-branch=main"], cwd=repo)
        run([*git, "add", "."], cwd=repo)
        run([*git, "commit", "--quiet", "-m", "fleet"], cwd=repo)
        changed = repo / "environments" / f"{CHANGED}.yaml"
        changed.write_text(changed.read_text().replace("replicas: 1", "replicas: 4", 1))
        return repo

    def ours_diff(self, number: int) -> None:
        with tempfile.TemporaryDirectory(prefix="cold-cache-") as cache:
            run(
                [GUESTBOOK, "diff", "--base", "HEAD", "--format", "json"],
                cwd=self.diff_repo,
                env={CACHE_ENV: cache},
            )

    def ours_diff_one_changed(self, number: int) -> None:
        # The cache warmed by ours_synth_one_changed holds the committed fleet (the base);
        # only the head's changed environment is new.
        self._edit(self.diff_repo / "environments")
        run(
            [GUESTBOOK, "diff", "--base", "HEAD", "--format", "json"],
            cwd=self.diff_repo,
            env={CACHE_ENV: str(self.cache)},
        )

    def check_equivalence(self) -> list[str]:
        """Differences between each peer's objects and ours, per environment."""
        problems: list[str] = []
        for name in self.overlays:
            ours = peer_tools.our_documents(self.dist / name)
            values = self.root / "environments" / f"{name}.yaml"
            helm = peer_tools.run_documents(peer_tools.helm_command(self.helm, name, values))
            command = peer_tools.kustomize_command(self.kustomize, self.kustomize_dirs[name])
            kustomize = peer_tools.run_documents(command)
            problems += peer_tools.differences("helm", name, ours, helm)
            problems += peer_tools.differences("kustomize", name, ours, kustomize)
        return problems


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "scratch": f"{tempfile.gettempdir()} ({_filesystem(Path(tempfile.gettempdir()))})",
    }


def _filesystem(path: Path) -> str:
    """The type of the file system ``path`` is on, from /proc/mounts (longest mount point)."""
    best, kind = "", "unknown"
    for line in Path("/proc/mounts").read_text().splitlines():
        fields = line.split()
        point = fields[1]
        inside = path.as_posix() == point or path.as_posix().startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, fields[2]
    return kind


def tool_versions(helm: Path, kustomize: Path) -> dict[str, str]:
    """Module versions from the binaries' Go build info (helm's own `version` omits the patch)."""

    def module_version(binary: Path) -> str:
        command = ["go", "version", "-m", str(binary)]
        info = subprocess.run(command, capture_output=True, text=True, check=False)
        for line in info.stdout.splitlines():
            fields = line.split()
            if fields[:1] == ["mod"] and len(fields) >= 3:
                return f"{fields[1]} {fields[2]}"
        return "unknown"

    return {
        "helm": module_version(helm),
        "kustomize": module_version(kustomize),
        "kubeconform": module_version(kubeconform_binary()),
    }


def measure(fleet: Fleet, runs: int) -> dict[str, Any]:
    """Time every measure on one fleet; the equivalence check comes last."""
    seconds: dict[str, list[float]] = {}
    fleet.diff_repo = fleet.prepare_diff()
    for name in MEASURES:
        seconds[name] = timed(getattr(fleet, name), runs)
        print(f"  {name:20} median {statistics.median(seconds[name]):7.3f} s", flush=True)
    problems = fleet.check_equivalence()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(f"fleet of {fleet.size}: the peers do not render the same objects as we do")
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    return {
        "environments": fleet.size,
        "files": len(fleet.files),
        "runs": runs,
        **timings(seconds),
        "ratios": {f"{a}/{b}": round(medians[a] / medians[b], 3) for a, b in RATIOS},
        "parallel_jobs": JOBS,
        "peers_equivalent": True,
        "load_average_1min_after": round(os.getloadavg()[0], 2),
    }


def timings(seconds: dict[str, list[float]]) -> dict[str, Any]:
    """The median and the minimum of each measure, rounded as ``results.json`` keeps them."""
    return {
        "seconds": {name: round(statistics.median(v), 4) for name, v in seconds.items()},
        "min_seconds": {name: round(min(v), 4) for name, v in seconds.items()},
    }


def plot(results: list[dict[str, Any]], description: str, path: Path) -> None:
    """Median render time against fleet size for the three renderers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [row["environments"] for row in results]
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=110)
    labels = {
        "ours_render": "guestbook synth (one process)",
        "helm_render": "helm template (one per environment)",
        "kustomize_render": "kustomize build (one per overlay)",
        "ours_render_parallel": f"guestbook synth, {JOBS} processes",
        "helm_render_parallel": f"helm template, {JOBS} at once",
        "kustomize_render_parallel": f"kustomize build, {JOBS} at once",
        "ours_synth_one_changed": "guestbook synth, one overlay changed (cache)",
    }
    for key, label in labels.items():
        style = "--" if key.endswith("_parallel") else ":" if "changed" in key else "-"
        values = [row["seconds"][key] for row in results]
        axes.plot(sizes, values, marker="o", linestyle=style, label=label)
    axes.set_xlabel("environments in the fleet")
    axes.set_ylabel("wall seconds (median, cold processes)")
    axes.set_title("Rendering a fleet", fontsize=11)
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.text(0.01, 0.01, description, fontsize=7, color="gray")
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    figure.savefig(path)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--helm", type=Path, required=True)
    parser.add_argument("--kustomize", type=Path, required=True)
    parser.add_argument("--sizes", default="3,30,100,300", help="comma-separated fleet sizes")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="a fleet of 3, one run, no files")
    parser.add_argument("--results", type=Path, default=BENCH / "results.json")
    parser.add_argument("--plot", type=Path, default=BENCH / "fleet.png")
    args = parser.parse_args()
    sizes = [3] if args.smoke else [int(s) for s in args.sizes.split(",")]
    runs = 1 if args.smoke else args.runs
    for tool in (args.helm, args.kustomize):
        if not os.access(tool, os.X_OK):
            sys.exit(f"{tool}: not installed; run `make bench-tools`")

    host = machine()
    description = (
        f"{host['cpu']}, {host['cores']} cores, {host['memory_gib']} GiB; "
        f"load average before {os.getloadavg()[0]:.2f}"
    )
    print(f"fleet benchmark on {description}; {runs} runs per measure")
    results = []
    with tempfile.TemporaryDirectory(prefix="guestbook-fleet-") as scratch:
        for size in sizes:
            print(f"fleet of {size} environments:", flush=True)
            fleet = Fleet(Path(scratch), size, args.helm, args.kustomize)
            results.append(measure(fleet, runs))
            print(f"  peers: all {size} environments render the same objects as ours")
    print()
    print(tables(results))
    if args.smoke:
        return
    report = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "machine": host,
        "load_average_1min_before": float(description.rsplit(" ", 1)[1]),
        "tools": tool_versions(args.helm, args.kustomize),
        "fleets": results,
    }
    try:  # other bench scripts add their own keys: keep them, in their place
        kept = json.loads(args.results.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        kept = {}
    kept.update(report)
    args.results.write_text(json.dumps(kept, indent=2) + "\n", encoding="utf-8")
    plot(results, description, args.plot)
    print(f"\nwrote {args.results} and {args.plot}")


if __name__ == "__main__":
    main()
