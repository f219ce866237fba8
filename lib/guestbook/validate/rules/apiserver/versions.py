"""API versions: a kind served at an apiVersion the target Kubernetes version deprecates.

A removed apiVersion is the schema layer's ``api-version`` error (the target's
OpenAPI spec no longer has it); this rule warns while the API server still
serves it, as the API server itself does (a ``Warning`` header), using the
lifecycle table generated from k8s.io/api (:mod:`guestbook.manifests.api_lifecycle`).
"""

from __future__ import annotations

from collections.abc import Iterator

from guestbook.manifests.api_groups import group_of
from guestbook.manifests.api_lifecycle import lifecycle_of
from guestbook.manifests.inventory import Check, Inventory
from guestbook.validate.model import Finding
from guestbook.validate.rules.registry import Layer, warning

DEPRECATED_API = warning(
    "deprecated-api",
    Layer.API_SERVER,
    "a kind at an apiVersion the target Kubernetes version deprecates (still served; "
    "removed in a later minor)",
    reason="the API server accepts it with a warning; a later minor stops serving it",
    fix="move to the apiVersion the finding names before upgrading to the release that removes it",
)
RULES = (DEPRECATED_API,)


def check_deprecated(inventory: Inventory) -> Iterator[Finding]:
    """``deprecated-api``."""
    for doc in inventory.documents:
        api = lifecycle_of(doc.api_version, doc.ref.kind)
        if api is None or not api.deprecated_in(inventory.kubernetes_version):
            continue
        message = f"{api.kind} {api.api_version} is deprecated in Kubernetes {api.deprecated}"
        if api.removed:
            message += f", removed in {api.removed}"
        if api.replacement:
            target = api.replacement.split()[0]
            message += f"; use {api.replacement}"
            hint = f"change apiVersion to {target} (check the fields that changed)"
        else:
            group = group_of(api.api_version) or "the core group"
            hint = f"move to an apiVersion of {group} that is not deprecated"
        yield DEPRECATED_API.at(doc, message, field_path=("apiVersion",), hint=hint)


CHECKS: tuple[Check, ...] = (check_deprecated,)
