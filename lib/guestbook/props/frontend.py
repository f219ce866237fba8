"""Props of the PHP guestbook frontend: its Deployment, Service and autoscaler."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, model_validator

from guestbook.props.base import (
    INT32_MAX,
    Annotations,
    Image,
    Model,
    Port,
    Replicas,
    Resources,
    ServiceType,
    _checked,
)
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


_GO_DURATION = re.compile(r"^(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|ms|s|m|h))+$")
"""A non-negative Go duration (``time.ParseDuration``): ``30s``, ``5m``, ``1h30m``."""


def _duration_problem(value: int | str) -> str | None:
    # As Argo Rollouts reads it (RolloutPause.DurationSeconds): seconds, or a Go duration.
    if isinstance(value, int):
        return None if 0 <= value <= INT32_MAX else f"must be 0 to {INT32_MAX} seconds"
    if (value.isascii() and value.isdigit()) or _GO_DURATION.match(value):
        return None
    return "must be a number of seconds or a duration such as 30s, 5m or 1h"


Duration = Annotated[int | str, _checked(_duration_problem)]


class RolloutPause(Model):
    """A ``pause`` step of an Argo Rollouts canary."""

    duration: Duration | None = None
    """How long to wait: seconds, or a string such as ``30s``, ``5m``, ``1h``. Default: unset,
    waiting until ``kubectl argo rollouts promote`` (the Rollout shows as paused)."""


class RolloutStep(Model):
    """One step of an Argo Rollouts canary: exactly one of ``setWeight`` and ``pause``."""

    set_weight: int | None = Field(default=None, ge=0, le=100)
    """Percent of the pods on the new template (without a traffic router, of the replicas).
    Default: unset."""
    pause: RolloutPause | None = None
    """Wait, for a duration or until promoted. Default: unset."""

    @model_validator(mode="after")
    def _one_action(self) -> RolloutStep:
        if (self.set_weight is None) == (self.pause is None):
            raise ValueError("a step has exactly one of setWeight and pause")
        return self

    def to_k8s(self) -> dict[str, object]:
        """The step as Argo Rollouts' ``spec.strategy.canary.steps`` item."""
        if self.pause is not None:
            duration = self.pause.duration
            return {"pause": {} if duration is None else {"duration": duration}}
        return {"setWeight": self.set_weight}


class CanaryProps(Model):
    """A canary release, in one of two forms.

    With ``image``: a second Deployment, ``frontend-canary``, beside the stable one. Its pods
    carry ``track: canary`` and the stable pods ``track: stable``; the frontend Service
    selects both, so the canary's share of requests is its share of the pods. It has a fixed
    replica count, never an autoscaler, and no disruption budget of its own (the stable one
    covers every frontend pod). Promote by setting ``frontend.image`` to the canary's image
    and removing ``canary``.

    With ``steps``: the frontend becomes an Argo Rollouts ``Rollout`` named ``frontend``
    (the cluster needs the Argo Rollouts controller and CRDs). A change of ``frontend.image``
    is rolled out by the steps: ``setWeight`` moves a share of the pods to the new template,
    ``pause`` waits for a duration or until promoted.
    """

    image: Image | None = None
    """Image under test, other than ``frontend.image``. Required without ``steps``."""
    replicas: Replicas = Field(default=1, ge=0)
    """Canary pods (0 stops them, keeping the Deployment). Default: 1."""
    steps: list[RolloutStep] | None = Field(default=None, min_length=1)
    """Argo Rollouts steps instead (the frontend becomes a Rollout). Default: unset."""

    @model_validator(mode="after")
    def _one_form(self) -> CanaryProps:
        if self.steps is None and self.image is None:
            raise ValueError(
                "set image (a second Deployment, frontend-canary) or steps (an Argo Rollouts "
                "Rollout)"
            )
        if self.steps is not None and {"image", "replicas"} & self.model_fields_set:
            given = [k for k in ("image", "replicas") if k in self.model_fields_set]
            verb = "belong" if len(given) > 1 else "belongs"
            raise ValueError(
                f"{' and '.join(given)} {verb} to the two-Deployments canary and steps to the "
                "Argo Rollouts one; set either image (and replicas) or steps"
            )
        return self

    @property
    def rollout(self) -> bool:
        """Whether this is the Argo Rollouts form."""
        return self.steps is not None


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
    """A canary: a Deployment on another image beside the stable one, or Argo Rollouts steps.
    Default: none."""

    @model_validator(mode="after")
    def _canary_differs(self) -> FrontendProps:
        if self.canary is not None and self.canary.image == self.image:
            raise ValueError(
                f"canary.image is the stable image ({self.image}); to promote the canary, "
                "set image to its image and remove canary"
            )
        return self
