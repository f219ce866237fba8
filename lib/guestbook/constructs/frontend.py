"""The PHP guestbook frontend (Apache with the guestbook page, image gb-frontend)."""

from __future__ import annotations

from dataclasses import replace

from constructs import Construct

from guestbook.constructs import security
from guestbook.constructs.labels import TRACK_LABEL, VALIDATE_SKIP, Identity
from guestbook.constructs.values import int_or_string
from guestbook.constructs.workload import (
    ROLLOUT_API_VERSION,
    Probes,
    Workload,
    WorkloadPolicy,
    WorkloadProps,
    metadata,
    resource_requirements,
    service,
)
from guestbook.kubernetes import k8s
from guestbook.props.frontend import FrontendProps
from guestbook.tutorial import FRONTEND_PORT, FRONTEND_SERVICE


def frontend_probes() -> Probes:
    """HTTP GET / on Apache: the static page, which does not depend on Redis."""
    http = k8s.HttpGetAction(path="/", port=int_or_string(FRONTEND_PORT))
    return Probes(
        startup=k8s.Probe(http_get=http, period_seconds=2, failure_threshold=30),
        readiness=k8s.Probe(http_get=http, period_seconds=5, timeout_seconds=2),
        liveness=k8s.Probe(http_get=http, period_seconds=10, failure_threshold=3),
    )


CANARY_NAME = f"{FRONTEND_SERVICE}-canary"
"""Name of the canary Deployment (and its ServiceAccount)."""
CANARY_OVERLAP = (
    "deployment-selector-overlap: the stable selector (app, tier) also matches the canary's "
    "pods, which the canary's own ReplicaSets own; adding track to it would mean recreating "
    "the Deployment (a selector is immutable), see docs/production.md\n"
)
"""Why the stable Deployment skips the overlap rule beside a canary (a validator exception)."""


class Frontend(Construct):
    """The frontend Deployment and its Service, and a canary Deployment when asked for.

    The image finds Redis through the DNS names ``redis-leader`` and
    ``redis-follower`` in its own namespace (``GET_HOSTS_FROM=dns``), so it
    must render into the same namespace as :class:`RedisLeader` and
    :class:`RedisFollowers`.

    With ``props.canary.image`` the stable pods carry ``track: stable`` and a second Deployment,
    ``frontend-canary``, runs the canary image in pods labelled ``track: canary``. The
    stable Deployment's selector stays ``app, tier`` (a selector is immutable), the canary's
    adds ``track: canary`` so it never claims a stable pod; the Service, the disruption
    budget and the NetworkPolicies select ``app, tier`` and so cover both.

    With ``props.canary.steps`` the Deployment is rendered instead as an Argo Rollouts
    ``Rollout`` of the same name, metadata, selector and pod template (no ``track``), whose
    canary strategy runs the steps on each change of the pod template; the autoscaler, when
    on, scales the Rollout.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        props: FrontendProps | None = None,
        identity: Identity | None = None,
        policy: WorkloadPolicy | None = None,
    ) -> None:
        super().__init__(scope, id)
        props = props or FrontendProps()
        identity = identity or Identity()
        policy = policy or WorkloadPolicy()
        # The two forms: a second Deployment on canary.image, or a Rollout with canary.steps.
        rollout = props.canary if props.canary and props.canary.rollout else None
        canary = props.canary if props.canary and not props.canary.rollout else None
        self.service_name = FRONTEND_SERVICE
        """Name of the frontend Service."""
        self.port = props.service.port
        """The Service port clients connect to."""
        self.container_port = FRONTEND_PORT
        """The port Apache listens on inside the pod."""
        self.pod_labels = {"app": "guestbook", "tier": "frontend"}
        """Labels every frontend pod carries, stable or canary: the stable Deployment, the
        Service, the budget and the NetworkPolicies select by exactly these."""
        labels = identity.labels(name="guestbook", component="frontend", selector=self.pod_labels)
        scaling = props.autoscaling
        stable_max = scaling.max_replicas if scaling.enabled else props.replicas
        # track: stable only beside a canary: other renders (and the tutorial's) stay as they were.
        stable_pods = {**self.pod_labels, TRACK_LABEL: "stable"} if canary else self.pod_labels
        self.workload = Workload(
            self,
            "Workload",
            identity=identity,
            props=WorkloadProps(
                policy=policy,
                name=FRONTEND_SERVICE,
                labels=labels,
                selector=self.pod_labels,
                pod_labels=stable_pods,
                # An HPA owns the replica count; pinning it here would make Argo CD undo scaling.
                replicas=None if scaling.enabled else props.replicas,
                # The budget selects the canary's pods too.
                max_replicas=stable_max + (canary.replicas if canary else 0),
                container=self._container(props, props.image),
                contract=security.FRONTEND,
                probes=frontend_probes(),
                deployment_annotations={VALIDATE_SKIP: CANARY_OVERLAP} if canary else {},
                rollout_steps=[s.to_k8s() for s in rollout.steps or ()] if rollout else None,
            ),
        )
        """The Deployment (or Rollout) and what hardening adds to it."""
        self.deployment = self.workload.deployment
        """The frontend Deployment; None when ``canary.steps`` makes it a Rollout."""
        self.rollout = self.workload.rollout
        """The frontend's Argo Rollouts ``Rollout``, when ``canary.steps`` is set."""
        self.canary: Workload | None = None
        """The canary Deployment, when ``props.canary`` has an ``image``."""
        if canary and canary.image:
            canary_pods = {**self.pod_labels, TRACK_LABEL: "canary"}
            self.canary = Workload(
                self,
                "Canary",
                identity=identity,
                props=WorkloadProps(
                    # No budget of its own: a pod that two budgets select cannot be evicted.
                    policy=replace(
                        policy,
                        availability=policy.availability.model_copy(
                            update={"disruption_budgets": False}
                        ),
                    ),
                    name=CANARY_NAME,
                    labels=identity.labels(
                        name="guestbook", component="frontend", selector=canary_pods
                    ),
                    selector=canary_pods,
                    pod_labels=canary_pods,
                    replicas=canary.replicas,
                    max_replicas=canary.replicas,
                    container=self._container(props, canary.image),
                    contract=security.FRONTEND,
                    probes=frontend_probes(),
                ),
            )
        self.autoscaler: k8s.KubeHorizontalPodAutoscalerV2 | None = None
        """The HPA, when autoscaling is on."""
        if scaling.enabled:
            self.autoscaler = k8s.KubeHorizontalPodAutoscalerV2(
                self,
                "Autoscaler",
                metadata=metadata(identity, name=FRONTEND_SERVICE, labels=labels),
                spec=k8s.HorizontalPodAutoscalerSpecV2(
                    # A Rollout has the scale subresource, as a Deployment does.
                    scale_target_ref=k8s.CrossVersionObjectReferenceV2(
                        api_version=ROLLOUT_API_VERSION if rollout else "apps/v1",
                        kind="Rollout" if rollout else "Deployment",
                        name=FRONTEND_SERVICE,
                    ),
                    min_replicas=scaling.min_replicas,
                    max_replicas=scaling.max_replicas,
                    metrics=[
                        k8s.MetricSpecV2(
                            type="Resource",
                            resource=k8s.ResourceMetricSourceV2(
                                name="cpu",
                                target=k8s.MetricTargetV2(
                                    type="Utilization",
                                    average_utilization=scaling.cpu_utilization,
                                ),
                            ),
                        )
                    ],
                ),
            )
        self.service = service(
            self,
            identity=identity,
            name=FRONTEND_SERVICE,
            labels=labels,
            selector=self.pod_labels,
            port=props.service.port,
            target_port=FRONTEND_PORT,
            service_type=props.service.type,
            node_port=props.service.node_port,
            annotations=props.service.annotations,
        )

    @staticmethod
    def _container(props: FrontendProps, image: str) -> k8s.Container:
        return k8s.Container(
            name="php-redis",
            image=image,
            env=[k8s.EnvVar(name="GET_HOSTS_FROM", value="dns")],
            resources=resource_requirements(props.resources),
            ports=[k8s.ContainerPort(container_port=FRONTEND_PORT)],
        )
