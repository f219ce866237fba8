"""The Kubernetes release this project targets, written down in one place.

The cdk8s-plus package is chosen to match (``cdk8s-plus-34`` for 1.34); every
construct imports the L1 API objects through :data:`k8s` so that moving to the
next minor is a change to this file and ``pyproject.toml`` only.

:data:`k8s` is imported on first use: loading cdk8s-plus starts the jsii
runtime, which tools that only need the version numbers (``guestbook
validate``) should not pay for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cdk8s_plus_34 import k8s

KUBERNETES_VERSION = "1.34.3"
"""The Kubernetes version rendered manifests are written for and validated against."""

KUBERNETES_MINOR = ".".join(KUBERNETES_VERSION.split(".")[:2])

SUPPORTED_KUBERNETES_VERSIONS = ("1.33.13", "1.34.3", "1.35.4")
"""Versions ``guestbook validate`` has schemas for: one minor older, the target, one newer.

Each must be a ``k8s.io/kubernetes`` release the Go module proxy serves (its
OpenAPI spec is the schema source). CI validates ``dist/`` against all three
so that removals show up before an upgrade.
"""


def __getattr__(name: str) -> Any:
    if name == "k8s":
        return importlib.import_module("cdk8s_plus_34").k8s
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "KUBERNETES_MINOR",
    "KUBERNETES_VERSION",
    "SUPPORTED_KUBERNETES_VERSIONS",
    "k8s",
]
