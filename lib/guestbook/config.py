"""Typed environment configuration: shared defaults plus one overlay file per environment.

The defaults are the upstream tutorial. ``environments/<name>.yaml`` overrides
them by deep merge (mappings merge key by key; lists and scalars replace), and
the merged result is validated by the pydantic models below. Those models are
also the props of the constructs, so a field is documented once and shows up
in the constructs, the overlay files and the generated JSON Schema alike.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import stat
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

from guestbook import names
from guestbook.constructs.labels import RESERVED_LABEL_KEYS, SYNC_WAVE
from guestbook.errors import GuestbookError
from guestbook.yamlio import (
    UniqueKeyLoader,
    YamlLimits,
    check_limits,
    construct_with_lines,
)

OVERLAY_SUFFIXES = (".yaml", ".yml")
SCHEMA_FILE = "overlay.schema.json"
ARGOCD_FOLDER = "argocd"
"""Output folder of the Argo CD objects."""
RESERVED_NAMES = frozenset({ARGOCD_FOLDER})
"""Output folders that are not environments."""

INT32_MAX = 2**31 - 1
"""The largest replica count, port or number the API server stores (int32)."""
MAX_ENTRIES = 256
"""Most labels or annotations one mapping may hold: every object carries them, and
rendering time grows with their square (in cdk8s), so the bound keeps synth fast."""
ANNOTATIONS_MAX_BYTES = 256 * 1024
"""The API server's limit on the total size of an object's annotation keys and values."""
OVERLAY_LIMITS = YamlLimits()
"""Size, nesting and alias-expansion bounds of an overlay file."""
PROJECT_FILE_MAX_BYTES = 1 << 20
"""Size bound of pyproject.toml, read for ``[tool.guestbook.argocd]``."""
_FLOAT_EXACT_MAX = 2**53

REDIS_IMAGE = "docker.io/redis:6.0.5"
FOLLOWER_IMAGE = "us-docker.pkg.dev/google-samples/containers/gke/gb-redis-follower:v2"
FRONTEND_IMAGE = "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5"


# --- value types -------------------------------------------------------------

T = TypeVar("T")


def _checked(problem_of: Callable[[T], str | None]) -> AfterValidator:
    """A pydantic validator that rejects a value when ``problem_of`` names a problem."""

    def check(value: T) -> T:
        problem = problem_of(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def _quantity_to_str(value: object) -> object:
    # YAML reads `cpu: 1` as an int and `cpu: 0.5` as a float; Kubernetes accepts both forms.
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Integers are exact in a float only below 2**53: 1.0e+29 is 99999999999999991433150857216.
        if not math.isfinite(value) or abs(value) >= _FLOAT_EXACT_MAX:
            raise ValueError("write a large quantity as a string with a suffix, such as '100Gi'")
        return repr(value)
    return value


def _quantity_problem(value: str) -> str | None:
    amount = names.quantity_value(value)
    if amount is None:
        return names.quantity_error(value)
    if abs(amount) > names.QUANTITY_MAX:
        return "is beyond the largest quantity the API server stores (2^63-1)"
    return None


def _negative_problem(value: str) -> str | None:
    amount = names.quantity_value(value)
    return "must not be negative" if amount is not None and amount < 0 else None


def _not_positive_problem(value: str) -> str | None:
    amount = names.quantity_value(value)
    return "must be greater than zero" if amount is not None and amount <= 0 else None


def _reserved_label_problem(key: str) -> str | None:
    if key in RESERVED_LABEL_KEYS:
        return (
            "is set by guestbook itself (selectors and Argo CD tracking depend on it); "
            f"the reserved label keys are: {', '.join(sorted(RESERVED_LABEL_KEYS))}"
        )
    return None


def annotations_size(annotations: Mapping[str, str]) -> int:
    """Bytes of keys and values, as the API server counts them against its 256 KiB limit."""
    return sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())


def _annotations_size_problem(value: dict[str, str]) -> str | None:
    size = annotations_size(value)
    if size > ANNOTATIONS_MAX_BYTES:
        return (
            f"keys and values total {size} bytes; the API server allows at most "
            f"{ANNOTATIONS_MAX_BYTES} (256 KiB)"
        )
    return None


def _image_problem(value: str) -> str | None:
    if not value or any(c.isspace() for c in value):
        return "must be a non-empty image reference without spaces"
    return None


Quantity = Annotated[str, BeforeValidator(_quantity_to_str), _checked(_quantity_problem)]
ResourceQuantity = Annotated[Quantity, _checked(_negative_problem)]
StorageQuantity = Annotated[Quantity, _checked(_not_positive_problem)]
DnsLabel = Annotated[str, _checked(names.dns1123_label_error)]
DnsSubdomain = Annotated[str, _checked(names.dns1123_subdomain_error)]
Cidr = Annotated[str, _checked(names.cidr_error)]
Image = Annotated[str, _checked(_image_problem)]
LabelKey = Annotated[str, _checked(names.qualified_name_error)]
UserLabelKey = Annotated[LabelKey, _checked(_reserved_label_problem)]
Labels = Annotated[
    dict[UserLabelKey, Annotated[str, _checked(names.label_value_error)]],
    Field(max_length=MAX_ENTRIES),
]
Annotations = Annotated[
    dict[LabelKey, str], Field(max_length=MAX_ENTRIES), _checked(_annotations_size_problem)
]
Port = Annotated[int, Field(ge=1, le=65535)]
Replicas = Annotated[int, Field(le=INT32_MAX)]
ServiceType = Literal["ClusterIP", "NodePort", "LoadBalancer"]
AccessMode = Literal["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany"]


class Model(BaseModel):
    """Base for every config and props model: immutable, strict, camelCase in YAML."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        strict=True,
        alias_generator=to_camel,
        populate_by_name=True,
        use_attribute_docstrings=True,
    )


# --- props -------------------------------------------------------------------


class ResourceList(Model):
    """Amounts of CPU and memory, as in a container's ``requests`` or ``limits``."""

    cpu: ResourceQuantity | None = None
    """CPU, e.g. ``100m``. Default: unset."""
    memory: ResourceQuantity | None = None
    """Memory, e.g. ``100Mi``. Default: unset."""

    def to_k8s(self) -> dict[str, str]:
        """The non-empty entries, as Kubernetes expects them."""
        return {k: v for k, v in (("cpu", self.cpu), ("memory", self.memory)) if v is not None}


class Resources(Model):
    """Container resource requests and limits."""

    requests: ResourceList = ResourceList(cpu="100m", memory="100Mi")
    """Requests. Default: cpu 100m, memory 100Mi (the tutorial's)."""
    limits: ResourceList = ResourceList()
    """Limits. Default: none (the tutorial sets none)."""


class Persistence(Model):
    """A PersistentVolumeClaim for the Redis leader's data at ``/data``."""

    enabled: bool = False
    """Keep the leader's data on a PVC, with append-only persistence. Default: false."""
    size: StorageQuantity = "1Gi"
    """Requested storage. Default: 1Gi."""
    storage_class: DnsSubdomain | None = None
    """StorageClass name; unset uses the cluster's default class. Default: unset."""
    access_modes: list[AccessMode] = Field(
        default_factory=lambda: list[AccessMode](["ReadWriteOnce"]), min_length=1
    )
    """PVC access modes. Default: [ReadWriteOnce]."""


class RedisLeaderProps(Model):
    """The single Redis leader (primary)."""

    image: Image = REDIS_IMAGE
    """Container image. Default: the tutorial's docker.io/redis:6.0.5."""
    resources: Resources = Resources()
    """Container resources. Default: requests 100m / 100Mi."""
    persistence: Persistence = Persistence()
    """Data persistence. Default: off (the tutorial keeps data in the pod)."""


class RedisFollowersProps(Model):
    """Redis followers (replicas) that replicate from ``redis-leader``."""

    replicas: Replicas = Field(default=2, ge=0)
    """Number of follower pods. Default: 2."""
    image: Image = FOLLOWER_IMAGE
    """Container image; it must run ``redis-server --replicaof redis-leader 6379``."""
    resources: Resources = Resources()
    """Container resources. Default: requests 100m / 100Mi."""


class RedisProps(Model):
    """The Redis backend."""

    leader: RedisLeaderProps = RedisLeaderProps()
    """The leader. Default: the tutorial's."""
    followers: RedisFollowersProps = RedisFollowersProps()
    """The followers. Default: the tutorial's two."""


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


class NetworkPolicyProps(Model):
    """Default-deny in the namespace plus exactly the flows the guestbook needs."""

    enabled: bool = False
    """Render the NetworkPolicies. Default: false."""
    client_cidrs: list[Cidr] = Field(default_factory=list)
    """CIDRs allowed to reach the frontend on its port; empty allows every client. Default: []."""
    dns_namespace: DnsLabel = "kube-system"
    """Namespace of the cluster DNS that frontend and followers may query on port 53."""


class SecurityProps(Model):
    """Pod and container hardening (see README, "Security")."""

    hardened: bool = True
    """seccomp RuntimeDefault, no privilege escalation, every capability dropped except those
    the image needs, non-root and a read-only root filesystem where the image allows, and a
    ServiceAccount per workload with no API token mounted. Default: true."""


class ProbesProps(Model):
    """Health probes fitted to each image."""

    enabled: bool = True
    """Startup, readiness and liveness probes: Redis by TCP and ``redis-cli ping``, the
    frontend by HTTP on ``/``. Default: true."""


class AvailabilityProps(Model):
    """Keeping replicated workloads up through node loss and voluntary disruptions."""

    disruption_budgets: bool = False
    """A PodDisruptionBudget (maxUnavailable 1) for every workload that runs, or may
    autoscale to, more than one pod. Default: false."""
    spread_across_nodes: bool = False
    """Topology spread constraints that spread each workload's pods across nodes. Default: false."""
    zone_key: LabelKey | None = None
    """Node label of the zone (e.g. ``topology.kubernetes.io/zone``) to spread across zones
    too; needs ``spreadAcrossNodes``. Default: unset."""

    @model_validator(mode="after")
    def _zone_needs_spread(self) -> AvailabilityProps:
        if self.zone_key is not None and not self.spread_across_nodes:
            raise ValueError("zoneKey needs spreadAcrossNodes: true")
        return self


EXPORTER_IMAGE = "docker.io/oliver006/redis_exporter:v1.87.0"
# v1.87.0: the release the prometheus-community chart prometheus-redis-exporter-6.27.0 ships.


class MonitoringProps(Model):
    """Prometheus Operator monitoring of Redis (see README, "Monitoring")."""

    enabled: bool = False
    """A redis_exporter sidecar on leader and followers, a ServiceMonitor, a PrometheusRule
    and a Grafana dashboard. Needs the Prometheus Operator CRDs. Default: false."""
    exporter_image: Image = EXPORTER_IMAGE
    """redis_exporter image. Default: docker.io/oliver006/redis_exporter:v1.87.0."""
    service_monitor_labels: Labels = Field(default_factory=dict)
    """Labels your Prometheus selects ServiceMonitors and rules by (e.g. release: prometheus)."""
    prometheus_namespace: DnsLabel = "monitoring"
    """Namespace Prometheus scrapes from; NetworkPolicies let it reach the exporters."""
    replication_lag_seconds: int = Field(default=30, ge=1, le=INT32_MAX)
    """Alert when a follower lags the leader by more than this. Default: 30."""
    dashboard: bool = True
    """A ConfigMap with a Grafana dashboard, labelled for Grafana's sidecar. Default: true."""


class GuestbookProps(Model):
    """Everything one guestbook installation needs; also the shape of an overlay file."""

    namespace: DnsLabel | None = None
    """Namespace of every object. Default: ``guestbook-<environment>``."""
    labels: Labels = Field(default_factory=dict)
    """Extra labels on every object and pod, at most 256; not the keys guestbook sets itself
    (app, role, tier, app.kubernetes.io/*, grafana_dashboard). Default: none."""
    annotations: Annotations = Field(default_factory=dict)
    """Extra annotations on every object, at most 256 and 256 KiB; not
    argocd.argoproj.io/sync-wave while argocd.syncWaves is on. Default: none."""
    frontend: FrontendProps = FrontendProps()
    """The frontend. Default: the tutorial's."""
    redis: RedisProps = RedisProps()
    """The Redis leader and followers. Default: the tutorial's."""
    network_policy: NetworkPolicyProps = NetworkPolicyProps()
    """NetworkPolicies. Default: none."""
    security: SecurityProps = SecurityProps()
    """Hardening. Default: on (the tutorial overlay turns it off to match upstream)."""
    probes: ProbesProps = ProbesProps()
    """Health probes. Default: on (the tutorial overlay turns them off to match upstream)."""
    availability: AvailabilityProps = AvailabilityProps()
    """Disruption budgets and topology spread. Default: off."""
    monitoring: MonitoringProps = MonitoringProps()
    """Prometheus monitoring. Default: off."""


class DestinationProps(Model):
    """The cluster an environment's Application deploys to: by API server URL or by name."""

    server: str | None = None
    """API server URL as registered in Argo CD. Default: the cluster Argo CD runs in
    (``https://kubernetes.default.svc``) when ``name`` is unset too."""
    name: str | None = None
    """Cluster name as registered in Argo CD (multi-cluster). Default: unset."""

    @model_validator(mode="after")
    def _server_or_name(self) -> DestinationProps:
        if self.server is not None and self.name is not None:
            raise ValueError("set either server or name, not both")
        return self


class ArgoCdProps(Model):
    """How Argo CD syncs this environment."""

    enabled: bool = True
    """Render an Argo CD Application for this environment. Default: true."""
    destination: DestinationProps = DestinationProps()
    """Target cluster. Default: the cluster Argo CD runs in."""
    automated: bool = True
    """Sync automatically when git changes. Default: true."""
    prune: bool = True
    """With automated sync, delete objects removed from git. Default: true."""
    self_heal: bool = True
    """With automated sync, revert changes made in the cluster by hand. Default: true."""
    sync_waves: bool = True
    """Annotate objects so Argo CD applies the leader, then followers, then the frontend."""


class OverlayProps(GuestbookProps):
    """One environment overlay file: the guestbook's props plus how Argo CD syncs it."""

    argocd: ArgoCdProps = ArgoCdProps()
    """Argo CD settings. Default: automated sync with prune and self-heal, in-cluster."""


class ArgoCdSettings(Model):
    """Repository-wide Argo CD settings, from ``[tool.guestbook.argocd]`` in pyproject.toml."""

    repo_url: str = Field(
        default="https://github.com/example/guestbook-gitops.git", alias="repoURL"
    )
    """Git URL Argo CD pulls ``dist/`` from (env ``GUESTBOOK_REPO_URL`` overrides)."""
    revision: str = "main"
    """Branch, tag or commit to sync (env ``GUESTBOOK_REVISION`` overrides). Default: main."""
    namespace: DnsLabel = "argocd"
    """Namespace Argo CD runs in; Applications and the AppProject go there."""
    project: DnsLabel = "guestbook"
    """Name of the AppProject that fences the environments' Applications."""
    dist_path: str = "dist"
    """Path of the rendered output inside the repository. Default: dist."""
    mode: Literal["applications", "applicationset"] = "applications"
    """How environments become Applications: ``applications`` renders one Application per
    environment; ``applicationset`` renders one ApplicationSet whose git files generator
    reads one parameter ConfigMap per environment from ``dist/argocd/``. Default:
    applications."""


# --- environments ------------------------------------------------------------


Lines = Mapping[tuple[str | int, ...], int]
"""1-based line of each key path an overlay sets (camelCase keys, list items by index)."""


@dataclass(frozen=True)
class Environment:
    """One deployable environment: its name (the overlay's file name) and its settings."""

    name: str
    source: Path
    props: OverlayProps
    lines: Lines = field(default_factory=dict, compare=False, repr=False)
    """Where the overlay sets each key; empty for an environment built in code."""

    @property
    def namespace(self) -> str:
        """The namespace objects render into."""
        return self.props.namespace or f"guestbook-{self.name}"

    def where(self, *path: str | int) -> str:
        """``file:line`` of ``path`` in the overlay (or of its nearest parent it sets)."""
        line = _line_of(self.lines, path)
        return f"{self.source}:{line}" if line else str(self.source)


def read_limited_text(path: Path, max_bytes: int, expected: str) -> str:
    """The UTF-8 text of a regular file of at most ``max_bytes``, or a GuestbookError.

    Anything else (a dangling or looping symbolic link, a folder, a FIFO, a device)
    is refused by name. The file is opened without blocking and checked before it
    is read, so a FIFO never hangs the reader.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        link = f" (a symbolic link to {os.readlink(path)})" if path.is_symlink() else ""
        raise GuestbookError(
            f"{path}: cannot read{link}: {err.strerror}; expected {expected}"
        ) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = (
                "is a folder"
                if stat.S_ISDIR(mode)
                else "is not a regular file (a FIFO, socket or device)"
            )
            raise GuestbookError(f"{path}: {kind}; expected {expected}")
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(max_bytes + 1)
    except OSError as err:
        raise GuestbookError(f"{path}: cannot read: {err.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        line = data[:max_bytes].count(b"\n") + 1
        raise GuestbookError(
            f"{path}:{line}: file is larger than {max_bytes} bytes, the limit for {expected}"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise GuestbookError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[err.start]:02x}); "
            f"expected {expected} in UTF-8"
        ) from None


_MERGE_TAG = "tag:yaml.org,2002:merge"


def load_yaml_mapping(
    path: Path, limits: YamlLimits = OVERLAY_LIMITS
) -> tuple[dict[str, Any], Lines]:
    """Read one YAML document that must be a mapping, within ``limits``; also its key lines."""
    text = read_limited_text(path, limits.max_bytes, "an overlay file (one YAML mapping)")
    try:
        check_limits(text, limits, UniqueKeyLoader)
        loader = UniqueKeyLoader(text)
        try:
            node = loader.get_single_node()
            data, lines = construct_with_lines(loader, node) if node is not None else (None, {})
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as err:
        line = text[: err.position].count("\n") + 1
        raise GuestbookError(
            f"{path}:{line}: invalid YAML: character {chr(err.character)!r} is not allowed in YAML"
        ) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = err.problem or str(err)
        if _MERGE_TAG in problem:
            problem = "merge keys (<<) are not supported in overlays; write the keys out"
        raise GuestbookError(f"{where}: invalid YAML: {problem}") from None
    except yaml.YAMLError as err:
        raise GuestbookError(f"{path}: invalid YAML: {err}") from None
    if data is None:
        return {}, lines
    if not isinstance(data, dict):
        raise GuestbookError(
            f"{path}:1: found a {_describe_type(data)} at the top level, expected a mapping of keys"
        )
    return data, lines


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``overlay`` onto ``base``: mappings merge recursively, anything else replaces."""
    merged = dict(base)
    for key, value in overlay.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def _defaults() -> dict[str, Any]:
    return OverlayProps().model_dump(by_alias=True, mode="python")


def parse_environment(path: Path) -> Environment:
    """Load, merge and validate one overlay file into an :class:`Environment`."""
    overlay, lines = load_yaml_mapping(path)
    try:
        props = OverlayProps.model_validate(deep_merge(_defaults(), overlay))
    except ValidationError as err:
        raise GuestbookError(_format_validation_error(path, err, lines)) from None
    environment = Environment(name=path.stem, source=path, props=props, lines=lines)
    problems = [
        f"{environment.where(*loc)}: {'.'.join(map(str, loc))}: found {_found(value)}: {message}"
        for loc, value, message in _cross_field_problems(props)
    ]
    if names.dns1123_label_error(environment.namespace):
        problems.append(
            f"{path}: environment name {environment.name!r} gives the namespace "
            f"{environment.namespace!r} ({len(environment.namespace)} characters), which "
            f"{names.dns1123_label_error(environment.namespace)}; "
            "shorten the file name or set namespace:"
        )
    if problems:
        raise GuestbookError("\n".join(problems))
    return environment


_RESOURCES = (("frontend",), ("redis", "leader"), ("redis", "followers"))


def _cross_field_problems(
    props: OverlayProps,
) -> Iterator[tuple[tuple[str, ...], object, str]]:
    """What the API server (or guestbook itself) would reject across fields: (key, value, why)."""
    for path in _RESOURCES:
        part: Any = props
        for name in path:
            part = getattr(part, name)
        resources: Resources = part.resources
        requests, limits = resources.requests.to_k8s(), resources.limits.to_k8s()
        for kind in sorted(requests.keys() & limits.keys()):
            request, limit = requests[kind], limits[kind]
            if (names.quantity_value(request) or 0) > (names.quantity_value(limit) or 0):
                yield (
                    (*path, "resources", "requests", kind),
                    request,
                    f"must not exceed the limit {limit!r} "
                    f"({'.'.join(path)}.resources.limits.{kind})",
                )
    service = props.frontend.service
    if props.argocd.sync_waves:
        for where, annotations in (
            (("annotations",), props.annotations),
            (("frontend", "service", "annotations"), service.annotations),
        ):
            if SYNC_WAVE in annotations:
                yield (
                    (*where, SYNC_WAVE),
                    annotations[SYNC_WAVE],
                    "guestbook sets this annotation on every object while argocd.syncWaves is "
                    "true; set argocd.syncWaves: false to set your own waves",
                )
    waves = {SYNC_WAVE: "0"} if props.argocd.sync_waves else {}
    size = annotations_size({**props.annotations, **service.annotations, **waves})
    if service.annotations and size > ANNOTATIONS_MAX_BYTES:
        yield (
            ("frontend", "service", "annotations"),
            service.annotations,
            f"with the common annotations the Service's total {size} bytes; the API server "
            f"allows at most {ANNOTATIONS_MAX_BYTES} (256 KiB)",
        )


def discover_overlays(directory: Path) -> dict[str, Path]:
    """Map environment name to overlay file, rejecting a name defined twice.

    Every entry named ``*.yaml`` or ``*.yml`` is an overlay, whatever it is (a
    dangling link or a folder fails when read): none is skipped silently.
    """
    if not directory.is_dir():
        raise GuestbookError(
            f"{directory}: environments folder not found; expected one <name>.yaml per environment"
        )
    try:
        entries = sorted(directory.iterdir())
    except OSError as err:
        raise GuestbookError(
            f"{directory}: cannot list the environments folder: {err.strerror}"
        ) from None
    found: dict[str, Path] = {}
    for path in entries:
        if not path.name.lower().endswith(OVERLAY_SUFFIXES):
            continue
        if path.suffix not in OVERLAY_SUFFIXES or not path.stem:
            raise GuestbookError(
                f"{path}: not an overlay name; expected <name>.yaml or <name>.yml (lower case)"
            )
        if path.stem in found:
            raise GuestbookError(
                f"{path}: duplicate environment name {path.stem!r}, "
                f"already defined by {found[path.stem]}; keep one file per environment"
            )
        if path.stem in RESERVED_NAMES:
            raise GuestbookError(
                f"{path}: {path.stem!r} is reserved for the Argo CD objects in dist/{path.stem}/; "
                "rename the file"
            )
        problem = names.dns1123_label_error(path.stem)
        if problem:
            raise GuestbookError(
                f"{path}: environment name {path.stem!r} (the file name) {problem}"
            )
        found[path.stem] = path
    if not found:
        raise GuestbookError(f"{directory}: no environment overlays (*.yaml) found")
    return found


def load_environments(directory: Path, only: Iterable[str] = ()) -> list[Environment]:
    """Load the environments named in ``only`` (default: all) from ``directory``, sorted by name.

    Every overlay is read and checked even when ``only`` names a few: a namespace
    is known only from its overlay, and a file that cannot be read stops the render
    instead of dropping its environment.
    """
    overlays = discover_overlays(directory)
    wanted = list(dict.fromkeys(only)) or list(overlays)
    for name in wanted:
        if name not in overlays:
            raise GuestbookError(
                f"{directory / (name + '.yaml')}: no overlay for environment {name!r}; "
                f"expected one of: {', '.join(overlays)}"
            )
    environments = [parse_environment(overlays[name]) for name in sorted(overlays)]
    _check_unique_namespaces(environments)
    return [env for env in environments if env.name in wanted]


def _check_unique_namespaces(environments: list[Environment]) -> None:
    owners: dict[str, Environment] = {}
    for env in environments:
        other = owners.setdefault(env.namespace, env)
        if other is env:
            continue
        # Blame the overlay that writes the namespace (the other one takes its default).
        sets_it = ("namespace",) in other.lines and ("namespace",) not in env.lines
        culprit, first = (other, env) if sets_it else (env, other)
        raise GuestbookError(
            f"{culprit.where('namespace')}: namespace {env.namespace!r} is already used by "
            f"environment {first.name!r} ({first.where('namespace')}); "
            "each environment needs its own namespace"
        )


def overlay_json_schema() -> str:
    """The JSON Schema of an overlay file, for editors (yaml-language-server and others)."""
    schema = OverlayProps.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "guestbook-gitops environment overlay"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


# --- error messages ----------------------------------------------------------


def _describe_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    if value is None:
        return "null"
    return type(value).__name__


_FOUND_MAX = 80
"""Longest value an error message repeats in full."""


def _found(value: object) -> str:
    if isinstance(value, dict | list):
        return f"a {_describe_type(value)}"
    shown = repr(value)
    if len(shown) > _FOUND_MAX:
        shown = f"{shown[: _FOUND_MAX - 5]}...{shown[-1]} ({len(str(value))} characters)"
    return f"{shown} ({_describe_type(value)})"


_EXPECTED = {
    "int_type": "an integer",
    "bool_type": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping",
    "list_type": "a list",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _line_of(lines: Lines, path: tuple[str | int, ...]) -> int | None:
    """The 1-based line of ``path`` in the overlay, or of its deepest parent it sets."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return min(lines.values(), default=None)


def _known_keys(model: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    current: Any = model
    for part in path:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        fields = current.model_fields.items()
        model_field = next((f for n, f in fields if part in (f.alias, n)), None)
        if model_field is None:
            return []
        current = model_field.annotation
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _describe_error(error: Mapping[str, Any], model: type[BaseModel] | None = None) -> str:
    kind = error["type"]
    value = error.get("input")
    loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        known = _known_keys(model or OverlayProps, loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        return f"unknown key {loc[-1]!r}{suggestion}; expected one of: {', '.join(known)}"
    if kind == "missing":
        return "required key is missing"
    if kind in _EXPECTED:
        return f"found {_found(value)}, expected {_EXPECTED[kind]}"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"found {_found(value)}, expected one of {expected}"
    if kind in ("greater_than_equal", "less_than_equal"):
        ctx = error.get("ctx", {})
        bound = ctx.get("ge", ctx.get("le"))
        word = "at least" if kind == "greater_than_equal" else "at most"
        return f"found {_found(value)}, expected {word} {bound}"
    if kind == "too_short":
        return f"found {_found(value)}, expected at least one item"
    if kind == "too_long":
        # pydantic stops counting at the limit: the input says how many there are.
        count = len(value) if isinstance(value, dict | list) else "more"
        return f"found {count} entries, expected at most {error.get('ctx', {}).get('max_length')}"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"found {_found(value)}: {message}"


def _format_validation_error(path: Path, err: ValidationError, lines: Lines) -> str:
    messages = []
    for error in err.errors():
        # Literal unions report one error per choice; keep the first (they say the same).
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        key = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(lines, loc)
        where = f"{path}:{line}" if line else str(path)
        messages.append(f"{where}: {key}: {_describe_error({**error, 'loc': loc})}")
    return "\n".join(dict.fromkeys(messages))


ARGOCD_TABLE = ("tool", "guestbook", "argocd")


def load_argocd_settings(project_file: Path = Path("pyproject.toml")) -> ArgoCdSettings:
    """Read ``[tool.guestbook.argocd]``; ``GUESTBOOK_REPO_URL``/``GUESTBOOK_REVISION`` override.

    A missing file or section means the defaults; a file that is there but cannot be
    read (a dangling link, a folder, too large, not TOML) is an error, never the defaults.
    """
    table: dict[str, Any] = {}
    text = ""
    if os.path.lexists(project_file):
        text = read_limited_text(project_file, PROJECT_FILE_MAX_BYTES, "a TOML file")
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise GuestbookError(f"{project_file}: invalid TOML: {err}") from None
        except RecursionError:
            raise GuestbookError(
                f"{project_file}: invalid TOML: arrays or tables nested too deeply"
            ) from None
        except ValueError:  # int() of more than 4,300 digits (TOMLDecodeError is caught above)
            raise GuestbookError(
                f"{project_file}: invalid TOML: a number too long to read (at most 4300 digits)"
            ) from None
        for depth, key in enumerate(ARGOCD_TABLE):
            data = data.get(key, {})
            if not isinstance(data, dict):
                name = ".".join(ARGOCD_TABLE[: depth + 1])
                raise GuestbookError(
                    f"{project_file}:{_toml_line(text, name)}: [{name}]: "
                    f"found {_found(data)}, expected a table"
                )
        table = dict(data)
    overrides = {"repoURL": "GUESTBOOK_REPO_URL", "revision": "GUESTBOOK_REVISION"}
    for key, variable in overrides.items():
        if os.environ.get(variable):
            table[key] = os.environ[variable]
    try:
        return ArgoCdSettings.model_validate(table)
    except ValidationError as err:
        section = ".".join(ARGOCD_TABLE)
        problems = []
        for error in err.errors():
            key = ".".join(map(str, error["loc"]))
            line = _toml_line(text, section, str(error["loc"][0]) if error["loc"] else "")
            problem = _describe_error(error, ArgoCdSettings)
            problems.append(f"{project_file}:{line}: [{section}]: {key}: {problem}")
        raise GuestbookError("\n".join(problems)) from None


def _toml_line(text: str, table: str, key: str = "") -> int:
    """The line of ``key`` in ``[table]`` (or of the table's header) in TOML text; 1 if unknown.

    tomllib keeps no positions; a plain scan finds the usual layout, one key a line.
    """
    header = f"[{table}]"
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == header), None)
    if start is None:
        return 1
    for index in range(start + 1, len(lines)):
        line = lines[index].strip()
        if line.startswith("["):
            break
        if key and line.partition("=")[0].strip().strip("\"'") == key:
            return index + 1
    return start + 1
