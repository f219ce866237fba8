"""The Kubernetes release this project targets, written down in one place.

The cdk8s-plus package is chosen to match (``cdk8s-plus-37`` for 1.37); every
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
    from cdk8s_plus_37 import k8s

KUBERNETES_VERSION = "1.37.2"
"""The Kubernetes version rendered manifests are written for and validated against."""

KUBERNETES_MINOR = ".".join(KUBERNETES_VERSION.split(".")[:2])

SUPPORTED_KUBERNETES_VERSIONS = ("1.35.4", "1.36.3", "1.37.2")
"""The minors supported upstream, newest patch the Go module proxy serves: validated in CI.

Each must be a ``k8s.io/kubernetes`` release the Go module proxy serves (its
OpenAPI spec is the schema source). CI validates ``dist/`` against all of them
(``make validate-all-minors``), so a removal shows up before an upgrade. When a
minor leaves upstream support, move it to :data:`OLDER_KUBERNETES_VERSIONS`, add
the new one here, and run ``make schemas``.
"""

OLDER_KUBERNETES_VERSIONS = ("1.33.13", "1.34.3")
"""Minors out of upstream support that ``--kubernetes-version`` still accepts."""

SELECTABLE_KUBERNETES_VERSIONS = OLDER_KUBERNETES_VERSIONS + SUPPORTED_KUBERNETES_VERSIONS
"""Every version ``guestbook validate`` has schemas for (``make schemas`` builds them all)."""


def __getattr__(name: str) -> Any:
    if name == "k8s":
        return importlib.import_module("cdk8s_plus_37").k8s
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "KUBERNETES_MINOR",
    "KUBERNETES_VERSION",
    "OLDER_KUBERNETES_VERSIONS",
    "SELECTABLE_KUBERNETES_VERSIONS",
    "SUPPORTED_KUBERNETES_VERSIONS",
    "k8s",
]
