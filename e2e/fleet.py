"""A fleet of environments for the end-to-end test, and the switch between Argo CD modes.

Pure functions over text: the scenario writes what they return into the working clone,
renders it with ``guestbook synth`` and pushes it, as a developer would.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

SIZE = 20
"""Environments in the fleet the scenario pushes in one commit, per Argo CD mode."""
ARGOCD_TABLE = "[tool.guestbook.argocd]"


def overlay(cluster: str | None) -> str:
    """A small environment (one frontend, one follower) on ``cluster`` (None: in-cluster)."""
    text = "frontend:\n  replicas: 1\nredis:\n  followers:\n    replicas: 1\n"
    if cluster:
        text += f"argocd:\n  destination:\n    name: {cluster}\n"
    return text


def fleet(prefix: str, size: int, clusters: Sequence[str | None]) -> dict[str, str]:
    """``size`` overlays named ``<prefix>-00``..., spread round-robin over ``clusters``."""
    width = len(str(size - 1))
    return {f"{prefix}-{i:0{width}d}": overlay(clusters[i % len(clusters)]) for i in range(size)}


def with_mode(pyproject: str, mode: str) -> str:
    """``pyproject`` (text) with ``mode`` set in ``[tool.guestbook.argocd]``."""
    start = pyproject.index(ARGOCD_TABLE) + len(ARGOCD_TABLE)
    following = re.search(r"^\[", pyproject[start:], flags=re.MULTILINE)
    end = start + following.start() if following else len(pyproject)
    table = re.sub(r'(?m)^mode = "[^"]*"\n', "", pyproject[start:end])
    table = table.rstrip("\n") + f'\nmode = "{mode}"\n' + ("\n" if following else "")
    return pyproject[:start] + table + pyproject[end:]
