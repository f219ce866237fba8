"""The PHP guestbook frontend (Apache with the guestbook page, image gb-frontend)."""

from __future__ import annotations

from constructs import Construct

from guestbook.constructs import security
from guestbook.constructs.labels import Identity
from guestbook.constructs.values import int_or_string
from guestbook.constructs.workload import (
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


class Frontend(Construct):
    """The frontend Deployment and its Service.

    The image finds Redis through the DNS names ``redis-leader`` and
    ``redis-follower`` in its own namespace (``GET_HOSTS_FROM=dns``), so it
    must render into the same namespace as :class:`RedisLeader` and
    :class:`RedisFollowers`.
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
        self.service_name = FRONTEND_SERVICE
        """Name of the frontend Service."""
        self.port = props.service.port
        """The Service port clients connect to."""
        self.container_port = FRONTEND_PORT
        """The port Apache listens on inside the pod."""
        self.pod_labels = {"app": "guestbook", "tier": "frontend"}
        """Labels on the frontend pods; the Deployment and Service select by exactly these."""
        labels = identity.labels(name="guestbook", component="frontend", selector=self.pod_labels)
        scaling = props.autoscaling
        self.workload = Workload(
            self,
            "Workload",
            identity=identity,
            props=WorkloadProps(
                policy=policy,
                name=FRONTEND_SERVICE,
                labels=labels,
                selector=self.pod_labels,
                pod_labels=self.pod_labels,
                # An HPA owns the replica count; pinning it here would make Argo CD undo scaling.
                replicas=None if scaling.enabled else props.replicas,
                max_replicas=scaling.max_replicas if scaling.enabled else props.replicas,
                container=k8s.Container(
                    name="php-redis",
                    image=props.image,
                    env=[k8s.EnvVar(name="GET_HOSTS_FROM", value="dns")],
                    resources=resource_requirements(props.resources),
                    ports=[k8s.ContainerPort(container_port=FRONTEND_PORT)],
                ),
                contract=security.FRONTEND,
                probes=frontend_probes(),
            ),
        )
        """The Deployment and what hardening adds to it."""
        self.deployment = self.workload.deployment
        """The frontend Deployment."""
        self.autoscaler: k8s.KubeHorizontalPodAutoscalerV2 | None = None
        """The HPA, when autoscaling is on."""
        if scaling.enabled:
            self.autoscaler = k8s.KubeHorizontalPodAutoscalerV2(
                self,
                "Autoscaler",
                metadata=metadata(identity, name=FRONTEND_SERVICE, labels=labels),
                spec=k8s.HorizontalPodAutoscalerSpecV2(
                    scale_target_ref=k8s.CrossVersionObjectReferenceV2(
                        api_version="apps/v1", kind="Deployment", name=FRONTEND_SERVICE
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
