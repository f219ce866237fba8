"""The on-disk schema cache of one Kubernetes version, as kubeconform reads it.

Layout under ``.tools/schemas``::

    v1.34.3-standalone-strict/
        index.json                  # sources, fingerprint, served kinds
        v1/service_v1.json          # core group
        apps/deployment_v1.json
        argoproj.io/application_v1alpha1.json

kubeconform finds a file with the ``-schema-location`` of :attr:`SchemaStore.location`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guestbook.errors import GuestbookError
from guestbook.validate.schemas.convert import LOCATION_SUFFIX, GroupVersionKind
from guestbook.validate.tools import INSTALL_HINT

INDEX_FILE = "index.json"
SETUP_HINT = f"{INSTALL_HINT} to generate the offline schemas"


@dataclass(frozen=True)
class SchemaIndex:
    """What a version folder holds: where it came from and which kinds it serves."""

    kubernetes_version: str
    fingerprint: str
    sources: tuple[str, ...]
    """``module@version`` of every source, e.g. ``k8s.io/kubernetes@v1.34.3``."""
    kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Kind to the apiVersions that serve it, e.g. ``Deployment: (apps/v1,)``."""

    def to_json(self) -> str:
        """The ``index.json`` text (stable key order)."""
        data = {
            "kubernetesVersion": self.kubernetes_version,
            "fingerprint": self.fingerprint,
            "sources": list(self.sources),
            "kinds": {kind: list(versions) for kind, versions in sorted(self.kinds.items())},
        }
        return json.dumps(data, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SchemaIndex:
        """Read ``index.json`` text."""
        data = json.loads(text)
        return cls(
            kubernetes_version=str(data["kubernetesVersion"]),
            fingerprint=str(data["fingerprint"]),
            sources=tuple(data["sources"]),
            kinds={kind: tuple(versions) for kind, versions in data["kinds"].items()},
        )


@dataclass(frozen=True)
class SchemaStore:
    """Schemas of one Kubernetes version under ``root`` (``.tools/schemas``)."""

    root: Path
    kubernetes_version: str

    @property
    def directory(self) -> Path:
        """The version folder, named the way kubeconform names it in strict mode."""
        return self.root / f"v{self.kubernetes_version}-standalone-strict"

    @property
    def location(self) -> str:
        """kubeconform's ``-schema-location`` template for this cache (absolute path)."""
        version_dir = "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}"
        return f"{self.root.resolve().as_posix()}/{version_dir}/{LOCATION_SUFFIX}"

    def read_index(self) -> SchemaIndex | None:
        """The index, or None when the folder was never (completely) generated."""
        try:
            return SchemaIndex.from_json((self.directory / INDEX_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def index(self) -> SchemaIndex:
        """The index; a :class:`GuestbookError` telling to run setup when it is missing."""
        index = self.read_index()
        if index is None:
            raise GuestbookError(
                f"no schemas for Kubernetes {self.kubernetes_version} in {self.directory}; "
                f"{SETUP_HINT}"
            )
        return index

    def schema_file(self, api_version: str, kind: str) -> Path:
        """Where the schema of ``kind`` in ``api_version`` is (whether or not it exists)."""
        group, _, version = api_version.rpartition("/")
        return self.directory / GroupVersionKind(group, version, kind).schema_file()

    def load(self, api_version: str, kind: str) -> Mapping[str, Any] | None:
        """The schema of ``kind`` in ``api_version``, or None when there is none."""
        try:
            data = json.loads(self.schema_file(api_version, kind).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, Mapping) else None
