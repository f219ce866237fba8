"""The rendered objects, indexed once for all rules: pod templates, namespaces, objects by name.

Pods are the pod templates of workloads (and bare Pods): Services, PDBs and
NetworkPolicies are checked against the pods those templates will create.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guestbook.kubernetes import KUBERNETES_VERSION
from guestbook.manifests.api_groups import group_of
from guestbook.manifests.fields import as_int, get, is_kind, maps, str_map
from guestbook.validate.model import Document, FieldPath, Finding, ObjectRef

WORKLOAD_KINDS: Mapping[str, tuple[FieldPath, tuple[str, ...]]] = {
    "Pod": ((), ("",)),
    "Deployment": (("spec", "template"), ("apps", "extensions")),
    "ReplicaSet": (("spec", "template"), ("apps", "extensions")),
    "DaemonSet": (("spec", "template"), ("apps", "extensions")),
    "StatefulSet": (("spec", "template"), ("apps",)),
    "ReplicationController": (("spec", "template"), ("",)),
    "Job": (("spec", "template"), ("batch",)),
    "CronJob": (("spec", "jobTemplate", "spec", "template"), ("batch",)),
    # Argo Rollouts; one with spec.workloadRef instead of a template takes its Deployment's.
    "Rollout": (("spec", "template"), ("argoproj.io",)),
}
"""Kinds that create pods: where their pod template is, and the API groups they live in."""

REPLICATED_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController", "Rollout")
"""Workloads with ``spec.replicas`` (default 1)."""

SERVING_KINDS = (*REPLICATED_KINDS, "DaemonSet", "Pod")
"""Workloads whose pods keep running (Jobs and CronJobs finish)."""

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "PriorityClass",
        "IngressClass",
        "APIService",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "RuntimeClass",
        "CSIDriver",
        "CSINode",
        "VolumeAttachment",
    }
)
"""Built-in kinds without a namespace: a ``metadata.namespace`` on them is ignored."""


@dataclass(frozen=True)
class PodTemplate:
    """The pods one workload creates."""

    doc: Document
    path: FieldPath
    """Where the template (``metadata`` and ``spec``) is inside the workload; ``()`` for a Pod."""
    labels: Mapping[str, str]
    spec: Mapping[str, Any]
    ref: ObjectRef
    """The workload's kind, namespace and name (read once)."""

    @property
    def kind(self) -> str:
        """The workload's kind."""
        return self.ref.kind

    @property
    def namespace(self) -> str:
        """The workload's namespace (empty when not set)."""
        return self.ref.namespace

    @property
    def name(self) -> str:
        """``Kind/name`` of the workload, for messages."""
        return f"{self.kind}/{self.ref.name}"

    @property
    def spec_path(self) -> FieldPath:
        """Where the pod spec is inside the workload."""
        return (*self.path, "spec")

    @property
    def labels_path(self) -> FieldPath:
        """Where the pod labels are inside the workload."""
        return (*self.path, "metadata", "labels")

    @property
    def replicas(self) -> int:
        """How many pods run (1 for DaemonSets, bare Pods, Jobs; ``spec.replicas`` otherwise)."""
        if self.kind in REPLICATED_KINDS:
            value = get(self.doc.obj, "spec", "replicas")
            return 1 if value is None else (as_int(value) or 0)
        return 1

    @property
    def label_sets(self) -> tuple[Mapping[str, str], ...]:
        """The labels its pods carry: the template's, and for a Rollout also those of the pods
        its experiment steps run from the template (their ``metadata.labels`` over it)."""
        sets: list[Mapping[str, str]] = [self.labels]
        if self.kind == "Rollout":
            for _, step in maps(self.doc.obj, "spec", "strategy", "canary", "steps"):
                for _, template in maps(step, "experiment", "templates"):
                    labels = str_map(get(template, "metadata", "labels"))
                    if labels:
                        sets.append({**self.labels, **labels})
        return tuple(sets)

    @property
    def serving(self) -> bool:
        """Whether the pods keep running and at least one is wanted (can be ready for a Service)."""
        return self.kind in SERVING_KINDS and self.replicas >= 1


def pod_template(doc: Document) -> PodTemplate | None:
    """The pod template of a workload document, or None for other kinds."""
    kind = doc.ref.kind
    if kind not in WORKLOAD_KINDS:
        return None
    path, groups = WORKLOAD_KINDS[kind]
    if not is_kind(doc, kind, *groups):
        return None
    spec = get(doc.obj, *path, "spec")
    if not isinstance(spec, Mapping):
        return None
    labels = str_map(get(doc.obj, *path, "metadata", "labels"))
    return PodTemplate(doc=doc, path=path, labels=labels, spec=spec, ref=doc.ref)


ObjectKey = tuple[str, str, str, str]
"""API group, kind, namespace and name of an object."""


def object_key(doc: Document) -> ObjectKey:
    """What makes an object unique in a cluster (cluster-scoped kinds ignore the namespace)."""
    ref = doc.ref
    namespace = "" if ref.kind in CLUSTER_SCOPED_KINDS else ref.namespace
    return (group_of(doc.api_version), ref.kind, namespace, ref.name)


@dataclass(frozen=True)
class Inventory:
    """Every document of one validation run, with the indexes the rules share."""

    documents: tuple[Document, ...]
    complete: Callable[[Path], bool] = field(default=lambda _: False)
    """Whether a file belongs to a set declared complete (its references must all resolve)."""
    kubernetes_version: str = KUBERNETES_VERSION
    """The Kubernetes version the API-server rules judge by (some rules changed between minors)."""
    pods: tuple[PodTemplate, ...] = field(init=False)
    _by_key: Mapping[ObjectKey, Document] = field(init=False, repr=False)
    _by_kind: Mapping[str, list[Document]] = field(init=False, repr=False)
    _pods_by_namespace: Mapping[str, list[PodTemplate]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        pods = tuple(p for p in map(pod_template, self.documents) if p is not None)
        by_key: dict[ObjectKey, Document] = {}
        by_kind: dict[str, list[Document]] = defaultdict(list)
        pods_by_namespace: dict[str, list[PodTemplate]] = defaultdict(list)
        for doc in self.documents:
            key = object_key(doc)
            by_key.setdefault(key, doc)
            by_kind[key[1]].append(doc)
        for pod in pods:
            pods_by_namespace[pod.namespace].append(pod)
        object.__setattr__(self, "pods", pods)
        object.__setattr__(self, "_by_key", by_key)
        object.__setattr__(self, "_by_kind", dict(by_kind))
        object.__setattr__(self, "_pods_by_namespace", dict(pods_by_namespace))

    def is_complete(self, doc: Document) -> bool:
        """Whether ``doc`` is in a set declared complete: what it names must be in the set."""
        return self.complete(doc.path)

    def of_kind(self, kind: str, *groups: str) -> Iterator[Document]:
        """Documents of ``kind`` in one of ``groups``."""
        return (d for d in self._by_kind.get(kind, []) if group_of(d.api_version) in groups)

    def find(self, group: str, kind: str, namespace: str, name: str) -> Document | None:
        """The first rendered object with this group, kind, namespace and name."""
        namespace = "" if kind in CLUSTER_SCOPED_KINDS else namespace
        return self._by_key.get((group, kind, namespace, name))

    def find_any_group(self, kind: str, namespace: str, name: str) -> Document | None:
        """The first rendered object of ``kind`` with this namespace and name, in any API group."""
        for doc in self._by_kind.get(kind, []):
            ref = doc.ref
            if ref.namespace == namespace and ref.name == name:
                return doc
        return None

    def pods_in(self, namespace: str) -> list[PodTemplate]:
        """The pod templates of one namespace."""
        return self._pods_by_namespace.get(namespace, [])

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        """A namespace's labels: its rendered Namespace object's plus the automatic name label."""
        doc = self.find("", "Namespace", "", namespace)
        labels = str_map(get(doc.obj, "metadata", "labels")) if doc else {}
        return {**labels, "kubernetes.io/metadata.name": namespace}


Check = Callable[[Inventory], Iterator[Finding]]
"""A pure function from the rendered objects to the findings of one or more rules."""
