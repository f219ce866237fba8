"""The cluster side of centralised logging: :class:`LogCollector`, the cluster's Fluent Bit.

A DaemonSet that tails ``/var/log/containers`` on every node, enriches the records through
the API server, parses them with the parser each pod names, and ships them to Elasticsearch
or OpenSearch. Its configuration is one YAML file in a ConfigMap (:func:`fluent_bit_config`),
which also defines the parsers of :data:`guestbook.constructs.log_formats.PARSERS`. The
application side, the pods' parser annotations, is :mod:`guestbook.constructs.log_formats`.
"""

from __future__ import annotations

from typing import Any

import cdk8s
import yaml
from constructs import Construct

from guestbook.constructs.labels import Identity
from guestbook.constructs.log_formats import PARSERS
from guestbook.constructs.network import dns_egress
from guestbook.constructs.values import int_or_string
from guestbook.constructs.workload import metadata
from guestbook.kubernetes import k8s
from guestbook.props.logging import CollectorProps
from guestbook.validate.rules.exceptions import ANNOTATION as SKIP_ANNOTATION

# Where things are inside the collector's pod.
CONFIG_DIR = "/fluent-bit/etc/guestbook"
CONFIG_FILE = "fluent-bit.yaml"
STATE_DIR = "/var/fluent-bit/state"
HOST_LOGS = "/var/log"
HTTP_PORT = 2020
USERNAME_ENV = "LOG_ENDPOINT_USERNAME"
PASSWORD_ENV = "LOG_ENDPOINT_PASSWORD"
API_SERVER = "https://kubernetes.default.svc:443"
API_SERVER_PORTS = (443, 6443)
NAMESPACE = "logging"
"""The collector's namespace (Argo CD creates it)."""


def fluent_bit_config(props: CollectorProps) -> str:
    """Fluent Bit's configuration (its YAML format): tail, kubernetes filter, es/opensearch."""
    output: dict[str, Any] = {
        "name": props.output,
        "match": "kube.*",
        "host": props.host,
        "port": props.port,
        "index": props.index,
        "suppress_type_name": "on",
        # Label keys such as app.kubernetes.io/name would be object paths in the index.
        "replace_dots": "on",
        "trace_error": "on",
        "retry_limit": 10,
        "tls": "on" if props.tls else "off",
    }
    if props.tls:
        output["tls.verify"] = "on"
    if props.credentials_secret is not None:
        output["http_user"] = "${" + USERNAME_ENV + "}"
        output["http_passwd"] = "${" + PASSWORD_ENV + "}"
    config = {
        "service": {
            "flush": 1,
            "log_level": "info",
            "http_server": "on",
            "http_listen": "0.0.0.0",
            "http_port": HTTP_PORT,
            "health_check": "on",
        },
        "parsers": [
            {
                "name": parser.name,
                "format": "regex",
                "regex": parser.regex,
                "time_key": parser.time_key,
                "time_format": parser.time_format,
                "types": " ".join(f"{k}:{v}" for k, v in parser.types.items()),
            }
            for parser in PARSERS
        ],
        "pipeline": {
            "inputs": [
                {
                    "name": "tail",
                    "tag": "kube.*",
                    "path": f"{HOST_LOGS}/containers/*.log",
                    # The container runtime's own line format (CRI, or Docker's JSON).
                    "multiline.parser": "cri, docker",
                    "db": f"{STATE_DIR}/tail.db",
                    "mem_buf_limit": "16MB",
                    "skip_long_lines": "on",
                    "refresh_interval": 10,
                }
            ],
            "filters": [
                {
                    "name": "kubernetes",
                    "match": "kube.*",
                    "kube_url": API_SERVER,
                    "merge_log": "on",
                    "keep_log": "off",
                    "k8s-logging.parser": "on",
                    "k8s-logging.exclude": "on",
                    "labels": "on",
                    "annotations": "off",
                }
            ],
            "outputs": [output],
        },
    }
    return yaml.safe_dump(config, sort_keys=False, width=4096)


ROOT_REASON = "uid 0 without capabilities reads the node's container logs (root-owned, mode 0640)"
SECRET_REASON = "the endpoint's credentials are created in the cluster, never in git"

COLLECTOR_NAME = "fluent-bit"
"""Name of the DaemonSet and of its ServiceAccount, ConfigMap, RBAC and NetworkPolicy."""


class LogCollector(Construct):
    """The cluster's Fluent Bit: RBAC, configuration, DaemonSet and NetworkPolicy.

    Hardened as far as reading the node's logs allows: read-only root filesystem and
    ``/var/log`` (hostPath, read-only), no privilege escalation, every capability dropped,
    seccomp RuntimeDefault. It runs as uid 0, without capabilities, because the container
    runtime writes the log files as root with mode 0640 (see docs/security.md).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        props: CollectorProps,
        identity: Identity,
        dns_namespace: str = "kube-system",
    ) -> None:
        super().__init__(scope, id)
        self.pod_labels = {"app": "log-collector", "tier": "logging"}
        """Labels of the collector's pods."""
        labels = identity.labels(name="fluent-bit", component="log-collector", selector={})
        meta = metadata(identity, name=COLLECTOR_NAME, labels=labels)
        self.service_account = k8s.KubeServiceAccount(self, "ServiceAccount", metadata=meta)
        """The collector's identity towards the API server."""
        self.cluster_role = k8s.KubeClusterRole(
            self,
            "ClusterRole",
            metadata=meta,
            rules=[
                k8s.PolicyRule(
                    api_groups=[""],
                    resources=["pods", "namespaces"],
                    verbs=["get", "list", "watch"],
                )
            ],
        )
        """Read pods and namespaces: the kubernetes filter's metadata, nothing else."""
        self.binding = k8s.KubeClusterRoleBinding(
            self,
            "ClusterRoleBinding",
            metadata=meta,
            role_ref=k8s.RoleRef(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=COLLECTOR_NAME
            ),
            subjects=[k8s.Subject(kind="ServiceAccount", name=COLLECTOR_NAME, namespace=NAMESPACE)],
        )
        for cluster_wide in (self.cluster_role, self.binding):  # not the chart's namespace
            cluster_wide.add_json_patch(cdk8s.JsonPatch.remove("/metadata/namespace"))
        self.config_map = k8s.KubeConfigMap(
            self, "ConfigMap", metadata=meta, data={CONFIG_FILE: fluent_bit_config(props)}
        )
        """The configuration, parsers included."""
        skips = [f"run-as-non-root: {ROOT_REASON}"]
        if props.credentials_secret is not None:
            skips.append(f"env-source-missing: {SECRET_REASON}")
        self.daemon_set = k8s.KubeDaemonSet(
            self,
            "DaemonSet",
            metadata=metadata(
                identity,
                name=COLLECTOR_NAME,
                labels=labels,
                annotations={SKIP_ANNOTATION: "\n".join(skips) + "\n"},
            ),
            spec=k8s.DaemonSetSpec(
                selector=k8s.LabelSelector(match_labels=dict(self.pod_labels)),
                template=k8s.PodTemplateSpec(
                    metadata=k8s.ObjectMeta(labels={**identity.extra_labels, **self.pod_labels}),
                    spec=_pod_spec(props),
                ),
            ),
        )
        """One Fluent Bit pod per node."""
        self.network_policy = k8s.KubeNetworkPolicy(
            self,
            "NetworkPolicy",
            metadata=meta,
            spec=k8s.NetworkPolicySpec(
                pod_selector=k8s.LabelSelector(match_labels=dict(self.pod_labels)),
                policy_types=["Ingress", "Egress"],
                egress=_egress(props, dns_namespace),
            ),
        )
        """Nothing in; out only to the endpoint, the API server and the DNS."""


def _pod_spec(props: CollectorProps) -> k8s.PodSpec:
    env: list[k8s.EnvVar] = []
    if props.credentials_secret is not None:
        env = [
            k8s.EnvVar(
                name=variable,
                value_from=k8s.EnvVarSource(
                    secret_key_ref=k8s.SecretKeySelector(name=props.credentials_secret, key=key)
                ),
            )
            for variable, key in ((USERNAME_ENV, "username"), (PASSWORD_ENV, "password"))
        ]
    health = k8s.HttpGetAction(path="/api/v1/health", port=int_or_string(HTTP_PORT))
    container = k8s.Container(
        name=COLLECTOR_NAME,
        image=props.image,
        args=["--config", f"{CONFIG_DIR}/{CONFIG_FILE}"],
        env=env or None,
        ports=[k8s.ContainerPort(name="http", container_port=HTTP_PORT)],
        resources=k8s.ResourceRequirements(
            requests={"cpu": k8s.Quantity.from_string("50m"), "memory": _mi(64)},
            limits={"cpu": k8s.Quantity.from_string("500m"), "memory": _mi(256)},
        ),
        readiness_probe=k8s.Probe(http_get=health, period_seconds=10),
        liveness_probe=k8s.Probe(http_get=health, period_seconds=10, failure_threshold=6),
        security_context=k8s.SecurityContext(
            allow_privilege_escalation=False,
            privileged=False,
            read_only_root_filesystem=True,
            run_as_user=0,
            run_as_non_root=False,
            capabilities=k8s.Capabilities(drop=["ALL"]),
        ),
        volume_mounts=[
            k8s.VolumeMount(name="config", mount_path=CONFIG_DIR, read_only=True),
            k8s.VolumeMount(name="host-logs", mount_path=HOST_LOGS, read_only=True),
            k8s.VolumeMount(name="state", mount_path=STATE_DIR),
        ],
    )
    return k8s.PodSpec(
        service_account_name=COLLECTOR_NAME,
        automount_service_account_token=True,
        security_context=k8s.PodSecurityContext(
            seccomp_profile=k8s.SeccompProfile(type="RuntimeDefault")
        ),
        containers=[container],
        # Every node's logs, tainted nodes included (it evicts nothing and binds no port).
        tolerations=[k8s.Toleration(operator="Exists", effect="NoSchedule")],
        volumes=[
            k8s.Volume(name="config", config_map=k8s.ConfigMapVolumeSource(name=COLLECTOR_NAME)),
            k8s.Volume(
                name="host-logs",
                host_path=k8s.HostPathVolumeSource(path=HOST_LOGS, type="Directory"),
            ),
            # The tail offsets survive container restarts; a new pod starts at each file's end.
            k8s.Volume(name="state", empty_dir=k8s.EmptyDirVolumeSource()),
        ],
    )


def _mi(amount: int) -> k8s.Quantity:
    return k8s.Quantity.from_string(f"{amount}Mi")


def _egress(props: CollectorProps, dns_namespace: str) -> list[k8s.NetworkPolicyEgressRule]:
    def tcp(*numbers: int) -> list[k8s.NetworkPolicyPort]:
        return [k8s.NetworkPolicyPort(protocol="TCP", port=int_or_string(n)) for n in numbers]

    endpoint = [k8s.NetworkPolicyPeer(ip_block=k8s.IpBlock(cidr=c)) for c in props.endpoint_cidrs]
    if props.endpoint_namespace is not None:
        endpoint.append(
            k8s.NetworkPolicyPeer(
                namespace_selector=k8s.LabelSelector(
                    match_labels={"kubernetes.io/metadata.name": props.endpoint_namespace}
                )
            )
        )
    api_server = [
        k8s.NetworkPolicyPeer(ip_block=k8s.IpBlock(cidr=c)) for c in props.api_server_cidrs
    ]
    return [
        k8s.NetworkPolicyEgressRule(to=endpoint, ports=tcp(props.port)),
        # The Service's port is 443; behind it the API server listens on 443 or 6443.
        k8s.NetworkPolicyEgressRule(to=api_server, ports=tcp(*API_SERVER_PORTS)),
        dns_egress(dns_namespace),
    ]
