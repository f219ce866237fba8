"""Edges to the peers (Helm, Kustomize) and the check that they render what we render.

Equivalence is judged on a normalized form: every YAML document parsed (so our
header comment, key order and quoting do not matter), dumped as JSON with
sorted keys, and the objects of one environment compared as a multiset.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

BENCH = Path(__file__).resolve().parent
HELM_CHART = BENCH / "peers" / "helm"
KUSTOMIZE_PEER = BENCH / "peers" / "kustomize"


def namespace(environment: str) -> str:
    """Our default namespace of an environment."""
    return f"guestbook-{environment}"


def helm_command(helm: Path, environment: str, values: Path) -> list[str]:
    """``helm template`` of one environment: release = environment, its overlay as values."""
    return [
        str(helm),
        "template",
        environment,
        str(HELM_CHART),
        "--namespace",
        namespace(environment),
        "--values",
        str(values),
    ]


def kustomize_command(kustomize: Path, overlay: Path) -> list[str]:
    """``kustomize build`` of one generated overlay folder."""
    return [str(kustomize), "build", str(overlay)]


def documents(text: str) -> list[dict[str, Any]]:
    """The non-empty YAML documents of a stream."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def run_documents(command: list[str]) -> list[dict[str, Any]]:
    """Run a renderer and parse what it prints."""
    process = subprocess.run(command, capture_output=True, text=True, check=False)
    if process.returncode:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}:\n{process.stderr}")
    return documents(process.stdout)


def our_documents(folder: Path) -> list[dict[str, Any]]:
    """Our objects of one environment, from its ``dist/<env>/`` folder."""
    objects: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.yaml")):
        objects += documents(path.read_text(encoding="utf-8"))
    return objects


def normalized(objects: Iterable[dict[str, Any]]) -> Counter[str]:
    """Objects as sorted-key JSON, counted."""
    return Counter(json.dumps(obj, sort_keys=True) for obj in objects)


def _identity(text: str) -> str:
    obj = json.loads(text)
    meta = obj.get("metadata", {})
    return f"{obj.get('kind')}/{meta.get('namespace')}/{meta.get('name')}"


def differences(
    peer: str, environment: str, ours: list[dict[str, Any]], theirs: list[dict[str, Any]]
) -> list[str]:
    """Why ``theirs`` is not the same set of objects as ``ours`` (empty when it is)."""
    mine, other = normalized(ours), normalized(theirs)
    if mine == other:
        return []
    problems = [f"{peer} {environment}: {len(theirs)} objects, ours {len(ours)}"]
    for text in sorted((mine - other).elements()):
        problems.append(f"  only ours or different: {_identity(text)}\n    ours:   {text}")
        match = next((t for t in other - mine if _identity(t) == _identity(text)), None)
        if match:
            problems.append(f"    {peer}: {match}")
    problems += [f"  only {peer}: {_identity(t)}" for t in sorted((other - mine).elements())]
    return problems
