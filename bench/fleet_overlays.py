"""The benchmarks' generated fleet: ``count`` environment overlays, shared by every bench script.

Environment ``env-NNN`` turns options on by its number, so a fleet of a dozen
already covers every combination the peers (``bench/peers/``) must reproduce:

- every environment: frontend and follower replicas (1-5 and 1-3);
- odd numbers: the leader's data on a PVC (5-8 Gi);
- multiples of 3: NetworkPolicies;
- multiples of 4 ("production"): resource limits, a LoadBalancer, disruption
  budgets and topology spread across nodes and zones;
- 2 modulo 4 ("staging"): frontend autoscaling and a NodePort.

Monitoring stays off: its Grafana dashboard would make the peers mostly a copy
of one large JSON file, which says nothing about how the tools scale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

Overlay = dict[str, Any]

LIMITS = {"frontend": ("1", "256Mi"), "leader": ("1", "512Mi"), "followers": ("1", "512Mi")}


def environment_name(number: int) -> str:
    """``env-007``: sorts the same way as the numbers."""
    return f"env-{number:03d}"


def overlay(number: int) -> Overlay:
    """The overlay data of environment ``number`` (camelCase, as in an overlay file)."""
    frontend: dict[str, Any] = {"replicas": 1 + number % 5}
    leader: dict[str, Any] = {}
    followers: dict[str, Any] = {"replicas": 1 + number % 3}
    data: Overlay = {"frontend": frontend, "redis": {"followers": followers}}
    if number % 2:
        leader["persistence"] = {"enabled": True, "size": f"{5 + number % 4}Gi"}
    if number % 3 == 0:
        data["networkPolicy"] = {"enabled": True}
    if number % 4 == 0:
        for part, (cpu, memory) in LIMITS.items():
            target = frontend if part == "frontend" else leader if part == "leader" else followers
            target["resources"] = {"limits": {"cpu": cpu, "memory": memory}}
        frontend["service"] = {"type": "LoadBalancer"}
        data["availability"] = {
            "disruptionBudgets": True,
            "spreadAcrossNodes": True,
            "zoneKey": "topology.kubernetes.io/zone",
        }
    if number % 4 == 2:
        frontend["autoscaling"] = {"enabled": True, "minReplicas": 2, "maxReplicas": 4}
        frontend["service"] = {"type": "NodePort"}
    if leader:
        data["redis"]["leader"] = leader
    return data


def fleet(count: int) -> dict[str, Overlay]:
    """Overlay data of a fleet of ``count`` environments, by environment name."""
    return {environment_name(number): overlay(number) for number in range(count)}


def write_overlays(directory: Path, count: int) -> dict[str, Overlay]:
    """Write the fleet's overlay files into ``directory``; return their data."""
    directory.mkdir(parents=True, exist_ok=True)
    overlays = fleet(count)
    for name, data in overlays.items():
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
        (directory / f"{name}.yaml").write_text(text, encoding="utf-8")
    return overlays


def render_fleet(root: Path, count: int) -> Path:
    """Write ``count`` overlays under ``root/environments``, render them in this process into
    ``root/dist`` and return that folder."""
    from guestbook.environments import load_environments
    from guestbook.render import synth

    write_overlays(root / "environments", count)
    output = root / "dist"
    synth(load_environments(root / "environments"), output)
    return output
