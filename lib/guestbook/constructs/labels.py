"""The labels every guestbook object carries.

The tutorial's own labels (``app``, ``role``, ``tier``) stay exactly as
upstream so that its label-selector cleanup keeps working; the recommended
``app.kubernetes.io/*`` labels are added on top for tooling and pruning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MANAGED_BY = "guestbook-gitops"
PART_OF = "guestbook"

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
"""The Argo CD sync-wave annotation, set on every object when sync waves are on."""
VALIDATE_SKIP = "guestbook.validate/skip"
"""The annotation naming the validator rules an object skips, one ``rule-id: reason`` a line
(read by ``guestbook validate``)."""
TUTORIAL_LABEL_KEYS = ("app", "role", "tier")
"""The upstream tutorial's labels, which Services, NetworkPolicies and budgets select pods by."""
RECOMMENDED_LABEL_KEYS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/component",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
)
"""The recommended labels; ``app.kubernetes.io/instance`` is how Argo CD tracks objects."""
TRACK_LABEL = "track"
"""Tells the stable frontend pods from the canary's (``stable``, ``canary``), as in the
Kubernetes docs' canary example; no Service selects by it."""
DASHBOARD_LABEL = "grafana_dashboard"
"""The label Grafana's sidecar finds dashboard ConfigMaps by."""
RESERVED_LABEL_KEYS = frozenset(
    {*TUTORIAL_LABEL_KEYS, TRACK_LABEL, *RECOMMENDED_LABEL_KEYS, DASHBOARD_LABEL}
)
"""Every label key the constructs set themselves: an overlay may not set these."""


@dataclass(frozen=True, kw_only=True)
class Identity:
    """Who a set of objects belongs to: fed into every construct's labels."""

    instance: str = "guestbook"
    """``app.kubernetes.io/instance``: the environment name when rendered from an overlay."""
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    """Labels added to every object's metadata and pod template."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Annotations added to every object's metadata."""
    sync_wave: int | None = None
    """Argo CD sync wave of the objects (``argocd.argoproj.io/sync-wave``), set last so it
    wins over other annotations; None leaves it out. Default: None."""

    def labels(self, *, name: str, component: str, selector: Mapping[str, str]) -> dict[str, str]:
        """Metadata labels: the tutorial selector labels, the recommended ones, then extras."""
        recommended = (name, component, self.instance, PART_OF, MANAGED_BY)
        return {
            **self.extra_labels,
            **selector,
            **dict(zip(RECOMMENDED_LABEL_KEYS, recommended, strict=True)),
        }

    def object_annotations(self) -> dict[str, str] | None:
        """Annotations for object metadata, or None to leave the field out."""
        return dict(self.annotations) or None
