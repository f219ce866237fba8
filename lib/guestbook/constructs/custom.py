"""Objects of custom kinds (Argo CD, Prometheus Operator) as plain ``ApiObject``s.

Their schemas are checked by the validation layer against the upstream CRDs,
so the constructs stay small and the output stays exactly what we write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cdk8s
from constructs import Construct


def custom_object(
    scope: Construct,
    id: str,
    *,
    api_version: str,
    kind: str,
    name: str,
    labels: Mapping[str, str],
    spec: Mapping[str, Any],
    annotations: Mapping[str, str] | None = None,
) -> cdk8s.ApiObject:
    """An object of a custom kind with ``metadata`` and a ``spec``."""
    obj = cdk8s.ApiObject(
        scope,
        id,
        api_version=api_version,
        kind=kind,
        metadata=cdk8s.ApiObjectMetadata(
            name=name, labels=dict(labels), annotations=dict(annotations or {}) or None
        ),
    )
    obj.add_json_patch(cdk8s.JsonPatch.add("/spec", dict(spec)))
    return obj
