"""The PHP guestbook frontend (Apache with the guestbook page, image gb-frontend)."""

from __future__ import annotations

from constructs import Construct

from guestbook.config import FrontendProps
from guestbook.constructs.labels import Identity
from guestbook.constructs.workload import deployment, resource_requirements, service
from guestbook.kubernetes import k8s

FRONTEND_SERVICE = "frontend"
HTTP_PORT = 80


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
    ) -> None:
        super().__init__(scope, id)
        props = props or FrontendProps()
        identity = identity or Identity()
        self.service_name = FRONTEND_SERVICE
        """Name of the frontend Service."""
        self.port = props.service.port
        """The Service port clients connect to."""
        self.container_port = HTTP_PORT
        """The port Apache listens on inside the pod."""
        self.pod_labels = {"app": "guestbook", "tier": "frontend"}
        """Labels on the frontend pods; the Deployment and Service select by exactly these."""
        labels = identity.labels(name="guestbook", component="frontend", selector=self.pod_labels)
        self.deployment = deployment(
            self,
            identity=identity,
            name=FRONTEND_SERVICE,
            labels=labels,
            selector=self.pod_labels,
            pod_labels=self.pod_labels,
            replicas=props.replicas,
            containers=[
                k8s.Container(
                    name="php-redis",
                    image=props.image,
                    env=[k8s.EnvVar(name="GET_HOSTS_FROM", value="dns")],
                    resources=resource_requirements(props.resources),
                    ports=[k8s.ContainerPort(container_port=HTTP_PORT)],
                )
            ],
        )
        self.service = service(
            self,
            identity=identity,
            name=FRONTEND_SERVICE,
            labels=labels,
            selector=self.pod_labels,
            port=props.service.port,
            target_port=HTTP_PORT,
            service_type=props.service.type,
            node_port=props.service.node_port,
            annotations=props.service.annotations,
        )
