"""When Kubernetes deprecates and stops serving each beta or alpha API (pure, from a table).

The table, ``api_lifecycle.json`` beside this file, is generated from
``k8s.io/api``'s ``zz_generated.prerelease-lifecycle.go`` files (the API
server's own source for deprecation warnings) by ``python -m
guestbook.validate.api_lifecycle``; see CONTRIBUTING.md, "A Kubernetes version".
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from guestbook.kubernetes import minor_of

TABLE = Path(__file__).with_name("api_lifecycle.json")
"""The committed table: ``{"sources": [...], "apis": [{apiVersion, kind, deprecated, ...}]}``."""


@dataclass(frozen=True)
class ApiLifecycle:
    """One kind at one apiVersion: the releases that deprecate it and stop serving it."""

    api_version: str
    kind: str
    deprecated: str | None
    """The release (``"1.22"``) from which the API server warns about it; None: never."""
    removed: str | None
    """The release from which it is no longer served; None: not planned."""
    replacement: str | None
    """What to use instead, ``"<apiVersion> <kind>"``; None when upstream names nothing."""

    def deprecated_in(self, kubernetes_version: str) -> bool:
        """Whether ``kubernetes_version`` still serves it, with a deprecation warning."""
        target = minor_of(kubernetes_version)
        if self.deprecated is None or target < minor_of(self.deprecated):
            return False
        return self.removed is None or target < minor_of(self.removed)


@functools.cache
def _table() -> dict[tuple[str, str], ApiLifecycle]:
    document = json.loads(TABLE.read_text(encoding="utf-8"))
    return {
        (api["apiVersion"], api["kind"]): ApiLifecycle(
            api["apiVersion"], api["kind"], api["deprecated"], api["removed"], api["replacement"]
        )
        for api in document["apis"]
    }


def lifecycle_of(api_version: str, kind: str) -> ApiLifecycle | None:
    """The lifecycle of ``kind`` at ``api_version``, or None for a GA or unknown API."""
    return _table().get((api_version, kind))
