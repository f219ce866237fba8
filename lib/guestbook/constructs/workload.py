"""Building blocks shared by the component constructs: a workload (Deployment and what
hardening and availability add to it) and a Service.

They write the typed L1 objects directly, so the output is exactly what we
chose: the tutorial's plain selectors, no hashed labels, no default resources.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import cdk8s
from constructs import Construct

from guestbook.constructs.custom import custom_object
from guestbook.constructs.labels import SYNC_WAVE, Identity
from guestbook.constructs.log_formats import parser_annotations
from guestbook.constructs.security import (
    ImageContract,
    container_security_context,
    pod_security_context,
)
from guestbook.constructs.values import int_or_string, quantity
from guestbook.kubernetes import k8s
from guestbook.props.base import Resources
from guestbook.props.workload import AvailabilityProps, ProbesProps, SecurityProps


@dataclass(frozen=True, kw_only=True)
class WorkloadPolicy:
    """The cross-cutting settings every workload follows: hardening, probes, availability."""

    security: SecurityProps = field(default_factory=SecurityProps)
    """Hardening. Default: on."""
    probes: ProbesProps = field(default_factory=ProbesProps)
    """Health probes. Default: on."""
    availability: AvailabilityProps = field(default_factory=AvailabilityProps)
    """PodDisruptionBudgets and topology spread. Default: off."""
    log_parsers: bool = False
    """Annotate pods with their main container's log parsers (``fluentbit.io/parser...``,
    from the image contract). Default: off."""


@dataclass(frozen=True, kw_only=True)
class Probes:
    """The probes an image answers, used when probes are on."""

    startup: k8s.Probe
    readiness: k8s.Probe
    liveness: k8s.Probe


def resource_requirements(resources: Resources) -> k8s.ResourceRequirements:
    """Typed requests and limits, leaving out what is unset."""

    def quantities(values: Mapping[str, str]) -> dict[str, k8s.Quantity] | None:
        return {k: quantity(v) for k, v in values.items()} or None

    return k8s.ResourceRequirements(
        requests=quantities(resources.requests.to_k8s()),
        limits=quantities(resources.limits.to_k8s()),
    )


def metadata(
    identity: Identity, *, name: str, labels: Mapping[str, str], annotations: Mapping[str, str] = {}
) -> k8s.ObjectMeta:
    """Object metadata with the identity's extra annotations (and sync wave) merged in."""
    merged = {**identity.annotations, **annotations}
    if identity.sync_wave is not None:
        merged[SYNC_WAVE] = str(identity.sync_wave)
    return k8s.ObjectMeta(name=name, labels=dict(labels), annotations=merged or None)


@dataclass(frozen=True, kw_only=True)
class WorkloadProps:
    """What one workload runs and how it is labelled."""

    name: str
    """Name of the Deployment, and of its ServiceAccount and PodDisruptionBudget."""
    labels: Mapping[str, str]
    """Metadata labels of the Deployment and its companions."""
    selector: Mapping[str, str]
    """The Deployment's selector (also the spread and disruption-budget selector)."""
    pod_labels: Mapping[str, str]
    """Labels of the pod template (the identity's extra labels are added)."""
    container: k8s.Container
    """The main container. Every field is kept; hardening adds its security context and
    scratch mounts, and probes (when on) replace the container's own."""
    contract: ImageContract
    """What the image needs to run hardened (user, writable paths, capabilities)."""
    probes: Probes
    """The probes the image answers."""
    replicas: int | None = None
    """Pods to run; None leaves the count to an autoscaler. Default: None."""
    max_replicas: int = 1
    """The most pods that may run; a disruption budget needs more than one. Default: 1."""
    volumes: Sequence[k8s.Volume] = ()
    """Pod volumes. Default: none."""
    sidecars: Sequence[k8s.Container] = ()
    """Containers beside the main one, kept as given. Default: none."""
    recreate: bool = False
    """Replace pods with the Recreate strategy (a ReadWriteOnce volume). Default: rolling."""
    policy: WorkloadPolicy = field(default_factory=WorkloadPolicy)
    """Hardening, probes and availability. Default: hardened, probes on, no availability."""
    deployment_annotations: Mapping[str, str] = field(default_factory=dict)
    """Annotations on the Deployment only, not its companions. Default: none."""
    rollout_steps: Sequence[Mapping[str, object]] | None = None
    """Render an Argo Rollouts ``Rollout`` with these canary steps instead of the Deployment
    (same name, metadata, selector, replicas and pod template; ``recreate`` does not apply, a
    Rollout has no Recreate strategy). Default: None, a Deployment."""


def with_fields(container: k8s.Container, **changes: object) -> k8s.Container:
    """A copy of ``container`` with ``changes``; every other field is kept as it is."""
    names = [n for n in inspect.signature(k8s.Container).parameters if n != "self"]
    values = {name: getattr(container, name) for name in names}
    values.update(changes)
    return k8s.Container(**{k: v for k, v in values.items() if v is not None})


def scratch_mounts(
    contract: ImageContract, mounts: Sequence[k8s.VolumeMount]
) -> tuple[list[k8s.Volume], list[k8s.VolumeMount]]:
    """emptyDir volumes and mounts for the paths a read-only image must write, not yet mounted."""
    mounted = {m.mount_path for m in mounts}
    volumes: list[k8s.Volume] = []
    added: list[k8s.VolumeMount] = []
    for index, path in enumerate(p for p in contract.writable_paths if p not in mounted):
        volume = f"scratch-{index}" if index else "scratch"
        volumes.append(k8s.Volume(name=volume, empty_dir=k8s.EmptyDirVolumeSource()))
        added.append(k8s.VolumeMount(name=volume, mount_path=path))
    return volumes, added


def main_container(props: WorkloadProps) -> tuple[k8s.Container, list[k8s.Volume]]:
    """The main container as the policy wants it, and the pod volumes it needs."""
    policy, contract, container = props.policy, props.contract, props.container
    hardened = policy.security.hardened
    volumes = list(props.volumes)
    mounts = list(container.volume_mounts or [])
    changes: dict[str, object] = {}
    if hardened:
        changes["security_context"] = container_security_context(contract)
        if contract.read_only_root_filesystem:
            scratch, added = scratch_mounts(contract, mounts)
            volumes += scratch
            mounts += added
    if policy.probes.enabled:
        changes.update(
            startup_probe=props.probes.startup,
            readiness_probe=props.probes.readiness,
            liveness_probe=props.probes.liveness,
        )
    return with_fields(container, volume_mounts=mounts or None, **changes), volumes


class Workload(Construct):
    """A Deployment (or an Argo Rollouts Rollout) of one main container, plus what the policy
    asks for around it.

    Hardened: a ServiceAccount of the same name with no API token, the image's
    security contexts, and emptyDir volumes for paths the image must write when its
    root filesystem is read-only. Availability: topology spread across nodes (and
    zones) and a PodDisruptionBudget when more than one pod may run.
    """

    def __init__(self, scope: Construct, id: str, *, identity: Identity, props: WorkloadProps):
        super().__init__(scope, id)
        policy = props.policy
        hardened = policy.security.hardened
        meta = metadata(identity, name=props.name, labels=props.labels)
        self.service_account: k8s.KubeServiceAccount | None = None
        """The workload's own ServiceAccount, when hardened."""
        if hardened:
            self.service_account = k8s.KubeServiceAccount(
                self, "ServiceAccount", metadata=meta, automount_service_account_token=False
            )
        container, volumes = main_container(props)
        selector = k8s.LabelSelector(match_labels=dict(props.selector))
        pod_annotations = (
            parser_annotations(container.name, props.contract.log_parsers)
            if policy.log_parsers
            else {}
        )
        deployment_meta = metadata(
            identity, name=props.name, labels=props.labels, annotations=props.deployment_annotations
        )
        spec = k8s.DeploymentSpec(
            replicas=props.replicas,
            selector=selector,
            strategy=k8s.DeploymentStrategy(type="Recreate") if props.recreate else None,
            template=k8s.PodTemplateSpec(
                metadata=k8s.ObjectMeta(
                    labels={**identity.extra_labels, **props.pod_labels},
                    annotations=pod_annotations or None,
                ),
                spec=k8s.PodSpec(
                    service_account_name=props.name if hardened else None,
                    automount_service_account_token=False if hardened else None,
                    security_context=pod_security_context(props.contract) if hardened else None,
                    containers=[container, *props.sidecars],
                    volumes=volumes or None,
                    topology_spread_constraints=_spread(policy.availability, props.selector),
                ),
            ),
        )
        self.deployment: k8s.KubeDeployment | None = None
        """The Deployment, unless ``props.rollout_steps`` makes it a Rollout."""
        self.rollout: cdk8s.ApiObject | None = None
        """The Argo Rollouts ``Rollout``, when ``props.rollout_steps`` is set."""
        if props.rollout_steps is None:
            self.deployment = k8s.KubeDeployment(
                self, "Deployment", metadata=deployment_meta, spec=spec
            )
            controller: cdk8s.ApiObject = self.deployment
        else:
            self.rollout = controller = _rollout(self, deployment_meta, spec, props.rollout_steps)
        self.controller = controller
        """The object that owns the pods: the Deployment or the Rollout."""
        self.disruption_budget: k8s.KubePodDisruptionBudget | None = None
        """A PodDisruptionBudget, when asked for and more than one pod may run."""
        if policy.availability.disruption_budgets and props.max_replicas > 1:
            self.disruption_budget = k8s.KubePodDisruptionBudget(
                self,
                "DisruptionBudget",
                metadata=meta,
                spec=k8s.PodDisruptionBudgetSpec(
                    max_unavailable=int_or_string(1), selector=selector
                ),
            )


ROLLOUT_API_VERSION = "argoproj.io/v1alpha1"
"""Argo Rollouts' API group and version."""


def _rollout(
    scope: Construct,
    meta: k8s.ObjectMeta,
    spec: k8s.DeploymentSpec,
    steps: Sequence[Mapping[str, object]],
) -> cdk8s.ApiObject:
    """A Rollout with the Deployment's metadata, replicas, selector and pod template."""
    # The typed objects serialise exactly as in a Deployment (manifest() builds no construct).
    rendered = k8s.KubeDeployment.manifest(spec=spec)["spec"]
    rollout_spec = {
        **{k: rendered[k] for k in ("replicas", "selector", "template") if k in rendered},
        "strategy": {"canary": {"steps": [dict(step) for step in steps]}},
    }
    return custom_object(
        scope,
        "Rollout",
        api_version=ROLLOUT_API_VERSION,
        kind="Rollout",
        name=meta.name or "",
        labels=meta.labels or {},
        annotations=meta.annotations,
        spec=rollout_spec,
    )


def _spread(
    availability: AvailabilityProps, selector: Mapping[str, str]
) -> list[k8s.TopologySpreadConstraint] | None:
    """Soft spread (ScheduleAnyway): pods still start when a node or zone is missing."""
    if not availability.spread_across_nodes:
        return None
    keys = ["kubernetes.io/hostname"]
    if availability.zone_key:
        keys.append(availability.zone_key)
    return [
        k8s.TopologySpreadConstraint(
            max_skew=1,
            topology_key=key,
            when_unsatisfiable="ScheduleAnyway",
            label_selector=k8s.LabelSelector(match_labels=dict(selector)),
        )
        for key in keys
    ]


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
                    target_port=int_or_string(target_port),
                    node_port=node_port,
                )
            ],
        ),
    )
