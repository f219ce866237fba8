"""Benchmark (not a test): a generated fleet rendered by us, Helm and Kustomize; validate; diff.

For each fleet size, as cold processes with several repetitions (min and median):

- ``ours_render``: one ``guestbook synth`` of the whole fleet (and ``argocd/``);
- ``helm_render``: ``helm template`` once per environment (bench/peers/helm, the
  overlay file as the values file), output written to one file per environment;
- ``kustomize_render``: ``kustomize build`` once per generated overlay (bench/peers/kustomize);
- ``kubeconform``: kubeconform alone on our rendered files, with the pipeline's flags but
  kubeconform's own default concurrency (``-n 4``): what a user running it would see;
- ``kubeconform_pipeline``: the exact kubeconform command ``guestbook validate`` starts
  (fewer workers, leaving a core to the Python side), alone;
- ``ours_validate``: ``guestbook validate`` on the same files;
- ``ours_diff``: ``guestbook diff --base HEAD`` in a temporary git repository with the
  fleet committed and one overlay changed in the working tree.

Then every environment's Helm and Kustomize output is checked against ours
(same objects, normalized); any difference fails the run. Writes a table,
``bench/results.json`` and ``bench/fleet.png``.

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
from fleet_overlays import write_overlays
from peers.kustomize.overlays import write_overlays as write_kustomize_overlays

from guestbook.kubernetes import KUBERNETES_VERSION
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
    "kubeconform",
    "kubeconform_pipeline",
    "ours_validate",
    "ours_diff",
)
RATIOS = (
    ("ours_render", "helm_render"),
    ("ours_render", "kustomize_render"),
    ("ours_validate", "kubeconform"),
    ("ours_validate", "kubeconform_pipeline"),
)
ENV = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}


def run(command: list[str], *, cwd: Path | None = None, stdout: Any = subprocess.DEVNULL) -> None:
    """Run one command; stop the benchmark with its output when it fails."""
    process = subprocess.run(
        command, cwd=cwd, env=ENV, stdout=stdout, stderr=subprocess.PIPE, text=True, check=False
    )
    if process.returncode:
        sys.exit(f"{' '.join(command[:4])} ... exited {process.returncode}:\n{process.stderr}")


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
        run([GUESTBOOK, "synth", "--quiet", "--output", str(self.dist)], cwd=self.root)
        self.files = sorted(str(p) for p in self.dist.rglob("*.yaml"))

    def ours_render(self, number: int) -> None:
        output = self.root / f"ours-{number}"
        run([GUESTBOOK, "synth", "--quiet", "--output", str(output)], cwd=self.root)
        shutil.rmtree(output)

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
        changed = repo / "environments" / f"{next(iter(self.overlays))}.yaml"
        changed.write_text(changed.read_text().replace("replicas: 1", "replicas: 4", 1))
        return repo

    def ours_diff(self, number: int) -> None:
        run([GUESTBOOK, "diff", "--base", "HEAD", "--format", "json"], cwd=self.diff_repo)

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
    }


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
    for name in MEASURES:
        if name == "ours_diff":
            fleet.diff_repo = fleet.prepare_diff()
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
        "peers_equivalent": True,
        "load_average_1min_after": round(os.getloadavg()[0], 2),
    }


def timings(seconds: dict[str, list[float]]) -> dict[str, Any]:
    """The median and the minimum of each measure, rounded as ``results.json`` keeps them."""
    return {
        "seconds": {name: round(statistics.median(v), 4) for name, v in seconds.items()},
        "min_seconds": {name: round(min(v), 4) for name, v in seconds.items()},
    }


def table(results: list[dict[str, Any]]) -> str:
    """The results as a Markdown table (medians, min in parentheses)."""
    header = ["environments", *MEASURES, *(f"{a}/{b}" for a, b in RATIOS)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
    for row in results:
        cells = [str(row["environments"])]
        cells += [f"{row['seconds'][m]:.2f} ({row['min_seconds'][m]:.2f})" for m in MEASURES]
        cells += [f"{row['ratios'][f'{a}/{b}']:.2f}" for a, b in RATIOS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


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
    }
    for key, label in labels.items():
        axes.plot(sizes, [row["seconds"][key] for row in results], marker="o", label=label)
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
    print(table(results))
    if args.smoke:
        return
    report = {
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
