"""Props of the PHP guestbook frontend: its Deployment, Service and autoscaler."""

from __future__ import annotations

from pydantic import Field, model_validator

from guestbook.props.base import Annotations, Image, Model, Port, Replicas, Resources, ServiceType
from guestbook.tutorial import FRONTEND_IMAGE


class FrontendServiceProps(Model):
    """How the frontend is exposed."""

    type: ServiceType = "ClusterIP"
    """ClusterIP, NodePort or LoadBalancer. Default: ClusterIP (as upstream)."""
    port: Port = 80
    """Service port. Default: 80."""
    node_port: int | None = Field(default=None, ge=30000, le=32767)
    """Fixed node port for NodePort or LoadBalancer; unset lets Kubernetes pick. Default: unset."""
    annotations: Annotations = Field(default_factory=dict)
    """Annotations on the Service only (e.g. for a cloud load balancer). Default: none."""

    @model_validator(mode="after")
    def _node_port_needs_node_type(self) -> FrontendServiceProps:
        if self.node_port is not None and self.type == "ClusterIP":
            raise ValueError("nodePort is only allowed with type NodePort or LoadBalancer")
        return self


class AutoscalingProps(Model):
    """A HorizontalPodAutoscaler (autoscaling/v2) on CPU utilisation.

    While it is on, the Deployment leaves ``replicas`` out, so Argo CD and the
    autoscaler never fight over it.
    """

    enabled: bool = False
    """Scale the frontend with an HPA instead of a fixed replica count. Default: false."""
    min_replicas: Replicas = Field(default=2, ge=1)
    """Fewest pods. Default: 2."""
    max_replicas: Replicas = Field(default=10, ge=1)
    """Most pods. Default: 10."""
    cpu_utilization: int = Field(default=70, ge=1, le=100)
    """Target average CPU use, in percent of the CPU request. Default: 70."""

    @model_validator(mode="after")
    def _min_below_max(self) -> AutoscalingProps:
        if self.min_replicas > self.max_replicas:
            low, high = self.min_replicas, self.max_replicas
            raise ValueError(f"minReplicas ({low}) must not exceed maxReplicas ({high})")
        return self


class CanaryProps(Model):
    """A canary release: a second Deployment, ``frontend-canary``, beside the stable one.

    Its pods carry ``track: canary`` and the stable pods ``track: stable``; the frontend
    Service selects both, so the canary's share of requests is its share of the pods. It has
    a fixed replica count, never an autoscaler, and no disruption budget of its own (the
    stable one covers every frontend pod). Promote by setting ``frontend.image`` to the
    canary's image and removing ``canary``.
    """

    image: Image
    """Image under test, other than ``frontend.image``. Required."""
    replicas: Replicas = Field(default=1, ge=0)
    """Canary pods (0 stops them, keeping the Deployment). Default: 1."""


class FrontendProps(Model):
    """The PHP guestbook frontend."""

    replicas: Replicas = Field(default=3, ge=0)
    """Number of frontend pods (ignored while autoscaling is on). Default: 3."""
    autoscaling: AutoscalingProps = AutoscalingProps()
    """Horizontal autoscaling. Default: off."""
    image: Image = FRONTEND_IMAGE
    """Container image. Default: the tutorial's gb-frontend:v5."""
    resources: Resources = Resources()
    """Container resources. Default: requests 100m / 100Mi."""
    service: FrontendServiceProps = FrontendServiceProps()
    """The frontend Service. Default: ClusterIP on port 80."""
    canary: CanaryProps | None = None
    """A canary Deployment on another image, beside the stable one
    (docs/production.md). Default: none."""

    @model_validator(mode="after")
    def _canary_differs(self) -> FrontendProps:
        if self.canary is not None and self.canary.image == self.image:
            raise ValueError(
                f"canary.image is the stable image ({self.image}); to promote the canary, "
                "set image to its image and remove canary"
            )
        return self
