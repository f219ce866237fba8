"""Small builders shared by the component constructs: one Deployment, one Service.

They write the typed L1 objects directly, so the output is exactly what we
chose: the tutorial's plain selectors, no hashed labels, no default resources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from constructs import Construct

from guestbook.config import Resources
from guestbook.constructs.labels import Identity
from guestbook.kubernetes import k8s


def resource_requirements(resources: Resources) -> k8s.ResourceRequirements:
    """Typed requests and limits, leaving out what is unset."""

    def quantities(values: Mapping[str, str]) -> dict[str, k8s.Quantity] | None:
        return {k: k8s.Quantity.from_string(v) for k, v in values.items()} or None

    return k8s.ResourceRequirements(
        requests=quantities(resources.requests.to_k8s()),
        limits=quantities(resources.limits.to_k8s()),
    )


def metadata(
    identity: Identity, *, name: str, labels: Mapping[str, str], annotations: Mapping[str, str] = {}
) -> k8s.ObjectMeta:
    """Object metadata with the identity's extra annotations merged in."""
    merged = {**identity.annotations, **annotations}
    return k8s.ObjectMeta(name=name, labels=dict(labels), annotations=merged or None)


def deployment(
    scope: Construct,
    *,
    identity: Identity,
    name: str,
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    pod_labels: Mapping[str, str],
    replicas: int,
    containers: Sequence[k8s.Container],
    volumes: Sequence[k8s.Volume] = (),
    recreate: bool = False,
) -> k8s.KubeDeployment:
    """A Deployment whose selector is exactly ``selector`` and whose pods carry ``pod_labels``."""
    return k8s.KubeDeployment(
        scope,
        "Deployment",
        metadata=metadata(identity, name=name, labels=labels),
        spec=k8s.DeploymentSpec(
            replicas=replicas,
            selector=k8s.LabelSelector(match_labels=dict(selector)),
            strategy=k8s.DeploymentStrategy(type="Recreate") if recreate else None,
            template=k8s.PodTemplateSpec(
                metadata=k8s.ObjectMeta(labels={**identity.extra_labels, **pod_labels}),
                spec=k8s.PodSpec(containers=list(containers), volumes=list(volumes) or None),
            ),
        ),
    )


def service(
    scope: Construct,
    *,
    identity: Identity,
    name: str,
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    port: int,
    target_port: int,
    service_type: str | None = None,
    node_port: int | None = None,
    annotations: Mapping[str, str] = {},
) -> k8s.KubeService:
    """A Service with one TCP port, selecting pods by the tutorial's labels."""
    return k8s.KubeService(
        scope,
        "Service",
        metadata=metadata(identity, name=name, labels=labels, annotations=annotations),
        spec=k8s.ServiceSpec(
            type=service_type,
            selector=dict(selector),
            ports=[
                k8s.ServicePort(
                    port=port,
                    target_port=k8s.IntOrString.from_number(target_port),
                    node_port=node_port,
                )
            ],
        ),
    )
