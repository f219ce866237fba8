"""The labels every guestbook object carries.

The tutorial's own labels (``app``, ``role``, ``tier``) stay exactly as
upstream so that its label-selector cleanup keeps working; the recommended
``app.kubernetes.io/*`` labels are added on top for tooling and pruning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MANAGED_BY = "guestbook-gitops"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
"""The annotation that orders objects in an Argo CD sync."""
PART_OF = "guestbook"


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
        return {
            **self.extra_labels,
            **selector,
            "app.kubernetes.io/name": name,
            "app.kubernetes.io/component": component,
            "app.kubernetes.io/instance": self.instance,
            "app.kubernetes.io/part-of": PART_OF,
            "app.kubernetes.io/managed-by": MANAGED_BY,
        }

    def object_annotations(self) -> dict[str, str] | None:
        """Annotations for object metadata, or None to leave the field out."""
        return dict(self.annotations) or None
