"""The Kubernetes release this project targets, written down in one place.

The cdk8s-plus package is chosen to match (``cdk8s-plus-34`` for 1.34); every
construct imports the L1 API objects through :data:`k8s` so that moving to the
next minor is a change to this file and ``pyproject.toml`` only.
"""

from __future__ import annotations

from cdk8s_plus_34 import k8s

KUBERNETES_VERSION = "1.34.3"
"""The Kubernetes version rendered manifests are written for and validated against."""

KUBERNETES_MINOR = ".".join(KUBERNETES_VERSION.split(".")[:2])

__all__ = ["KUBERNETES_MINOR", "KUBERNETES_VERSION", "k8s"]
