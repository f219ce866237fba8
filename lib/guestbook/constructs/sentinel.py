"""Automatic Redis failover: Sentinel, HAProxy behind ``redis-leader``, and what the Redis
pods need for it (see :mod:`guestbook.constructs.failover` for the design).

The images stay as they are. The leader's pod starts Redis through ``start-node.sh``
(inline in its command; the leader image's own ``sh`` and ``redis-cli``); the followers keep
``redis-server --replicaof redis-leader 6379`` and announce their own address.
"""

from __future__ import annotations

import cdk8s
from constructs import Construct

from guestbook.constructs import security
from guestbook.constructs.failover import (
    CONFIG_MAP,
    CONFIG_PATH,
    HAPROXY_CFG,
    LEADER_NODE_SERVICE,
    NODES_SERVICE,
    PROXY_NAME,
    SENTINEL_CONF,
    SENTINEL_SERVICE,
    START_NODE,
    haproxy_cfg,
    sentinel_conf,
    start_node_sh,
)
from guestbook.constructs.labels import Identity
from guestbook.constructs.redis import RedisFollowers, RedisLeader, every_redis_pod
from guestbook.constructs.values import int_or_string, quantity
from guestbook.constructs.workload import (
    Probes,
    Workload,
    WorkloadPolicy,
    WorkloadProps,
    metadata,
    service,
)
from guestbook.kubernetes import k8s
from guestbook.props.failover import RedisHighAvailabilityProps
from guestbook.tutorial import REDIS_PORT, SENTINEL_PORT

HAPROXY = security.ImageContract(run_as_user=99, read_only_root_filesystem=True)
"""The official HAProxy image (2.4 and later): runs as user ``haproxy`` (99), writes nothing."""
HAPROXY_CONFIG_DIR = "/usr/local/etc/haproxy"
POD_IP_ENV = {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}
"""The pod's address, which a Redis replica announces to its master."""


def _tcp_probes(port: int, ready: list[str]) -> Probes:
    tcp = k8s.TcpSocketAction(port=int_or_string(port))
    return Probes(
        startup=k8s.Probe(tcp_socket=tcp, period_seconds=2, failure_threshold=30),
        readiness=k8s.Probe(exec=k8s.ExecAction(command=ready), period_seconds=5, timeout_seconds=2)
        if ready
        else k8s.Probe(tcp_socket=tcp, period_seconds=5),
        liveness=k8s.Probe(tcp_socket=tcp, period_seconds=10, failure_threshold=3),
    )


def _small() -> k8s.ResourceRequirements:
    return k8s.ResourceRequirements(
        requests={"cpu": quantity("50m"), "memory": quantity("32Mi")},
        limits={"cpu": quantity("200m"), "memory": quantity("64Mi")},
    )


class RedisFailover(Construct):
    """Sentinel and HAProxy for a leader and its followers; ``redis-leader`` then selects HAProxy.

    Objects: ConfigMap ``redis-failover`` (``sentinel.conf``, ``haproxy.cfg``), Services
    ``redis-nodes`` (headless, every Redis pod),
    ``redis-leader-node`` (the leader pod) and ``redis-sentinel``, Deployments
    ``redis-sentinel`` and ``redis-leader-proxy``. The leader's and followers'
    Deployments and the ``redis-leader`` Service are changed in place.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        leader: RedisLeader,
        followers: RedisFollowers,
        followers_count: int,
        props: RedisHighAvailabilityProps,
        identity: Identity,
        policy: WorkloadPolicy,
    ) -> None:
        super().__init__(scope, id)
        namespace = cdk8s.Chart.of(self).namespace or "default"
        start = start_node_sh(leader.service_name, REDIS_PORT)
        labels = identity.labels(name="redis", component="failover", selector={})
        self.config = k8s.KubeConfigMap(
            self,
            "Config",
            metadata=metadata(identity, name=CONFIG_MAP, labels=labels),
            data={
                SENTINEL_CONF: sentinel_conf(props, REDIS_PORT),
                HAPROXY_CFG: haproxy_cfg(
                    props, namespace=namespace, redis_port=REDIS_PORT, nodes=followers_count + 1
                ),
            },
        )
        """The configuration files, as Sentinel, HAProxy and the Redis pods read them."""
        # Every Redis pod: the labels leader and followers have in common.
        nodes = every_redis_pod(leader, followers)
        self.nodes = k8s.KubeService(
            self,
            "Nodes",
            metadata=metadata(
                identity,
                name=NODES_SERVICE,
                labels=identity.labels(name="redis", component="nodes", selector=nodes),
            ),
            spec=k8s.ServiceSpec(
                cluster_ip="None",
                selector=nodes,
                ports=[k8s.ServicePort(port=REDIS_PORT, target_port=int_or_string(REDIS_PORT))],
            ),
        )
        """Headless: its DNS name lists every ready Redis pod, for HAProxy."""
        leader_node = Construct(self, "LeaderNode")
        self.leader_node = service(
            leader_node,
            identity=identity,
            name=LEADER_NODE_SERVICE,
            labels=leader.labels,
            selector=leader.pod_labels,
            port=REDIS_PORT,
            target_port=REDIS_PORT,
        )
        """The leader pod itself, where Sentinel first finds the master."""
        config_volume = k8s.Volume(
            name="failover-config", config_map=k8s.ConfigMapVolumeSource(name=CONFIG_MAP)
        )
        sentinel_pods = {"app": "redis-sentinel", "tier": "backend"}
        self.sentinel_pods = sentinel_pods
        """Labels of the Sentinel pods."""
        sentinel_labels = identity.labels(
            name="redis", component="sentinel", selector=sentinel_pods
        )
        self.sentinel = Workload(
            self,
            "Sentinel",
            identity=identity,
            props=WorkloadProps(
                policy=policy,
                name=SENTINEL_SERVICE,
                labels=sentinel_labels,
                selector=sentinel_pods,
                pod_labels=sentinel_pods,
                replicas=props.sentinels,
                max_replicas=props.sentinels,
                container=k8s.Container(
                    name="sentinel",
                    image=props.sentinel_image,
                    # Sentinel rewrites its file: run a copy in /data (writable, per pod).
                    command=[
                        "sh",
                        "-c",
                        f"cp {CONFIG_PATH}/{SENTINEL_CONF} /data/{SENTINEL_CONF} && "
                        f"exec redis-server /data/{SENTINEL_CONF} --sentinel",
                    ],
                    ports=[k8s.ContainerPort(container_port=SENTINEL_PORT)],
                    resources=_small(),
                    volume_mounts=[k8s.VolumeMount(name="failover-config", mount_path=CONFIG_PATH)],
                ),
                contract=security.REDIS,
                probes=_tcp_probes(
                    SENTINEL_PORT,
                    ["sh", "-c", f"redis-cli -p {SENTINEL_PORT} ping | grep -q PONG"],
                ),
                volumes=[config_volume],
            ),
        )
        """Sentinel: ``sentinels`` pods that agree by ``quorum`` and promote a replica."""
        self.sentinel_service = service(
            Construct(self, "SentinelService"),
            identity=identity,
            name=SENTINEL_SERVICE,
            labels=sentinel_labels,
            selector=sentinel_pods,
            port=SENTINEL_PORT,
            target_port=SENTINEL_PORT,
        )
        """Where people and tools ask Sentinel (``SENTINEL get-master-addr-by-name``)."""
        proxy_pods = {"app": "redis-proxy", "tier": "backend"}
        self.proxy_pods = proxy_pods
        """Labels of the HAProxy pods (``redis-leader`` selects them)."""
        self.proxy = Workload(
            self,
            "Proxy",
            identity=identity,
            props=WorkloadProps(
                policy=policy,
                name=PROXY_NAME,
                labels=identity.labels(name="haproxy", component="proxy", selector=proxy_pods),
                selector=proxy_pods,
                pod_labels=proxy_pods,
                replicas=props.proxy_replicas,
                max_replicas=props.proxy_replicas,
                container=k8s.Container(
                    name="haproxy",
                    image=props.proxy_image,
                    ports=[k8s.ContainerPort(container_port=REDIS_PORT)],
                    resources=_small(),
                    volume_mounts=[
                        k8s.VolumeMount(name="failover-config", mount_path=HAPROXY_CONFIG_DIR)
                    ],
                ),
                contract=HAPROXY,
                probes=_tcp_probes(REDIS_PORT, []),
                volumes=[
                    k8s.Volume(
                        name="failover-config",
                        config_map=k8s.ConfigMapVolumeSource(
                            name=CONFIG_MAP,
                            items=[k8s.KeyToPath(key=HAPROXY_CFG, path=HAPROXY_CFG)],
                        ),
                    )
                ],
            ),
        )
        """HAProxy: forwards ``redis-leader`` to the node that is master."""
        # The fixed images find the master at redis-leader: that name now means HAProxy.
        leader.service.add_json_patch(cdk8s.JsonPatch.replace("/spec/selector", proxy_pods))
        container = "/spec/template/spec/containers/0"
        args = leader.deployment.to_json()["spec"]["template"]["spec"]["containers"][0].get(
            "args", ["redis-server"]
        )
        leader.deployment.add_json_patch(
            cdk8s.JsonPatch.add(f"{container}/command", ["sh", "-c", start, START_NODE]),
            cdk8s.JsonPatch.add(f"{container}/env", [POD_IP_ENV]),
        )
        if args[1:]:
            leader.deployment.add_json_patch(
                cdk8s.JsonPatch.add(f"{container}/args", list(args[1:]))
            )
        followers.deployment.add_json_patch(
            cdk8s.JsonPatch.add(
                f"{container}/args",
                [
                    "redis-server",
                    "--replicaof",
                    leader.service_name,
                    str(REDIS_PORT),
                    "--replica-announce-ip",
                    "$(POD_IP)",
                ],
            ),
            cdk8s.JsonPatch.add(f"{container}/env", [POD_IP_ENV]),
        )
