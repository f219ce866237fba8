"""Benchmark (not a test): ``guestbook validate --crd`` with a folder of 20 real CRDs.

Renders the generated fleet, fetches 20 CRDs from pinned Go module releases
(with ``go mod download``, as the bundled schemas are), then times, as cold
processes on the same files: the plain ``guestbook validate``, the same with
``--crd`` and an empty CRD schema cache (cold), and with the cache filled by the
previous run (warm). Prints the medians side by side, wall and CPU seconds (the
CPU figure is steadier on a busy machine); the target is a warm run at most 10 %
slower than the plain one. Records the figures, with the machine and
the date, under the key ``crds`` of ``bench/results.json`` (``make bench``).

    .venv/bin/python bench/crds.py [--environments 100] [--runs 5] [--results PATH]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fleet import machine
from fleet_overlays import render_fleet

from guestbook.validate.schemas.gomod import download
from guestbook.validate.tools import tools_dir
from guestbook.validate.user_crds import CACHE_FOLDER

TARGET_RATIO = 1.10
RESULTS = Path(__file__).resolve().parent / "results.json"
KEY = "crds"
"""This benchmark's key in the results file (the other keys belong to bench/fleet.py)."""

CRD_FILES = {
    ("sigs.k8s.io/gateway-api", "v1.4.0"): (
        "config/crd/standard/gateway.networking.k8s.io_backendtlspolicies.yaml",
        "config/crd/standard/gateway.networking.k8s.io_gatewayclasses.yaml",
        "config/crd/standard/gateway.networking.k8s.io_gateways.yaml",
        "config/crd/standard/gateway.networking.k8s.io_grpcroutes.yaml",
        "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml",
        "config/crd/standard/gateway.networking.k8s.io_referencegrants.yaml",
        "config/crd/experimental/gateway.networking.k8s.io_tcproutes.yaml",
        "config/crd/experimental/gateway.networking.k8s.io_tlsroutes.yaml",
        "config/crd/experimental/gateway.networking.k8s.io_udproutes.yaml",
    ),
    ("github.com/cert-manager/cert-manager", "v1.19.1"): (
        "deploy/crds/acme.cert-manager.io_challenges.yaml",
        "deploy/crds/acme.cert-manager.io_orders.yaml",
        "deploy/crds/cert-manager.io_certificaterequests.yaml",
        "deploy/crds/cert-manager.io_certificates.yaml",
        "deploy/crds/cert-manager.io_clusterissuers.yaml",
        "deploy/crds/cert-manager.io_issuers.yaml",
    ),
    ("github.com/argoproj/argo-rollouts", "v1.8.3"): (
        "manifests/crds/analysis-run-crd.yaml",
        "manifests/crds/analysis-template-crd.yaml",
        "manifests/crds/cluster-analysis-template-crd.yaml",
        "manifests/crds/experiment-crd.yaml",
        "manifests/crds/rollout-crd.yaml",
    ),
}
"""20 CRDs: Gateway API (with CEL rules), cert-manager and Argo Rollouts, 2.7 MB of YAML."""


def children_cpu() -> float:
    """CPU seconds (user and system) of every child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str], before: object = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds of one run (the CPU figure is steadier on a busy machine)."""
    if callable(before):
        before()
    start, cpu = time.perf_counter(), children_cpu()
    process = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        sys.exit(f"{command[0]} exited {process.returncode}:\n{process.stdout}{process.stderr}")
    return elapsed, children_cpu() - cpu


def private_tools(scratch: Path) -> Path:
    """A tools folder with the project's binaries and schemas, and a CRD cache of its own."""
    tools = scratch / "tools"
    (tools / "schemas").mkdir(parents=True)
    (tools / "bin").symlink_to(tools_dir() / "bin")
    for version in (tools_dir() / "schemas").glob("*-standalone-strict"):
        (tools / "schemas" / version.name).symlink_to(version)
    return tools


def record(results: Path, entry: dict[str, object]) -> None:
    """Write ``entry`` under :data:`KEY` of the results file, keeping every other key."""
    report = json.loads(results.read_text(encoding="utf-8")) if results.exists() else {}
    report[KEY] = entry
    results.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    """Render the fleet, fetch the CRDs, time the three runs, print and record the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environments", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="guestbook-bench-crds-") as tmp:
        scratch = Path(tmp)
        output = render_fleet(scratch, args.environments)
        crds = scratch / "crds"
        crds.mkdir()
        modules = download(list(CRD_FILES))
        for key, paths in CRD_FILES.items():
            for path in paths:
                shutil.copyfile(modules[key].dir / path, crds / Path(path).name)
        size = sum(p.stat().st_size for p in crds.iterdir())
        files = len(list(output.rglob("*.yaml")))
        crd_count = len(list(crds.iterdir()))
        print(
            f"{args.environments} environments ({files} files); "
            f"{crd_count} CRDs ({size / 1e6:.1f} MB)"
        )

        tools = private_tools(scratch)
        env = {**os.environ, "GUESTBOOK_TOOLS_DIR": str(tools)}
        guestbook = [str(Path(sys.executable).with_name("guestbook")), "validate", "--quiet"]
        cache = tools / "schemas" / CACHE_FOLDER
        runs = {
            "plain": ([*guestbook, str(output)], None),
            "crd_cold": (
                [*guestbook, "--crd", str(crds), str(output)],
                lambda: shutil.rmtree(cache, ignore_errors=True),
            ),
            "crd_warm": ([*guestbook, "--crd", str(crds), str(output)], None),
        }
        timed(runs["plain"][0], env)  # warm the file system cache
        times: dict[str, list[float]] = {name: [] for name in runs}
        cpu: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.runs):
            for name, (command, before) in runs.items():
                wall, used = timed(command, env, before)
                times[name].append(wall)
                cpu[name].append(used)

    medians = {name: statistics.median(values) for name, values in times.items()}
    labels = {"plain": "plain", "crd_cold": "--crd, cold cache", "crd_warm": "--crd, warm cache"}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    for name, median in medians.items():
        fastest = min(times[name])
        print(
            f"{labels[name] + ':':20} {median:.3f} s median, {fastest:.3f} s min, "
            f"{cpu_medians[name]:.3f} CPU-s median ({args.runs} runs)"
        )
    ratio = medians["crd_warm"] / medians["plain"]
    cpu_ratio = cpu_medians["crd_warm"] / cpu_medians["plain"]
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(f"warm / plain: {ratio:.3f}, CPU {cpu_ratio:.3f} (target <= {TARGET_RATIO}: {verdict})")
    record(
        args.results,
        {
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "load_average_1min_before": round(load_before, 2),
            "load_average_1min_after": round(os.getloadavg()[0], 2),
            "environments": args.environments,
            "files": files,
            "crds": crd_count,
            "crd_megabytes": round(size / 1e6, 1),
            "runs": args.runs,
            "seconds": {name: round(value, 4) for name, value in medians.items()},
            "min_seconds": {name: round(min(values), 4) for name, values in times.items()},
            "cpu_seconds": {name: round(value, 4) for name, value in cpu_medians.items()},
            "ratios": {
                "crd_warm/plain": round(ratio, 3),
                "crd_cold/plain": round(medians["crd_cold"] / medians["plain"], 3),
                "crd_warm/plain (cpu)": round(cpu_ratio, 3),
                "crd_cold/plain (cpu)": round(cpu_medians["crd_cold"] / cpu_medians["plain"], 3),
            },
            "target_ratio": TARGET_RATIO,
        },
    )
    print(f"wrote {args.results} ({KEY})")


if __name__ == "__main__":
    main()
