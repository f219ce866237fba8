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
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

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
from guestbook.errors import GuestbookError
from guestbook.yamlio import UniqueKeyLoader, field_lines

OVERLAY_SUFFIXES = (".yaml", ".yml")
SCHEMA_FILE = "overlay.schema.json"
ARGOCD_FOLDER = "argocd"
"""Output folder of the Argo CD objects."""
RESERVED_NAMES = frozenset({ARGOCD_FOLDER})
"""Output folders that are not environments."""

REDIS_IMAGE = "docker.io/redis:6.0.5"
FOLLOWER_IMAGE = "us-docker.pkg.dev/google-samples/containers/gke/gb-redis-follower:v2"
FRONTEND_IMAGE = "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5"


# --- value types -------------------------------------------------------------


def _checked(problem_of: Callable[[str], str | None]) -> AfterValidator:
    """A pydantic validator that rejects a string when ``problem_of`` names a problem."""

    def check(value: str) -> str:
        problem = problem_of(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def _quantity_to_str(value: object) -> object:
    # YAML reads `cpu: 1` as an int; Kubernetes accepts both forms.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _image_problem(value: str) -> str | None:
    if not value or any(c.isspace() for c in value):
        return "must be a non-empty image reference without spaces"
    return None


Quantity = Annotated[str, BeforeValidator(_quantity_to_str), _checked(names.quantity_error)]
DnsLabel = Annotated[str, _checked(names.dns1123_label_error)]
Image = Annotated[str, _checked(_image_problem)]
LabelKey = Annotated[str, _checked(names.qualified_name_error)]
Labels = dict[LabelKey, Annotated[str, _checked(names.label_value_error)]]
Annotations = dict[LabelKey, str]
Port = Annotated[int, Field(ge=1, le=65535)]
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

    cpu: Quantity | None = None
    """CPU, e.g. ``100m``. Default: unset."""
    memory: Quantity | None = None
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
    size: Quantity = "1Gi"
    """Requested storage. Default: 1Gi."""
    storage_class: str | None = None
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

    replicas: int = Field(default=2, ge=0)
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
    min_replicas: int = Field(default=2, ge=1)
    """Fewest pods. Default: 2."""
    max_replicas: int = Field(default=10, ge=1)
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

    replicas: int = Field(default=3, ge=0)
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
    client_cidrs: list[str] = Field(default_factory=list)
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
    replication_lag_seconds: int = Field(default=30, ge=1)
    """Alert when a follower lags the leader by more than this. Default: 30."""
    dashboard: bool = True
    """A ConfigMap with a Grafana dashboard, labelled for Grafana's sidecar. Default: true."""


class GuestbookProps(Model):
    """Everything one guestbook installation needs; also the shape of an overlay file."""

    namespace: DnsLabel | None = None
    """Namespace of every object. Default: ``guestbook-<environment>``."""
    labels: Labels = Field(default_factory=dict)
    """Extra labels on every object and pod. Default: none."""
    annotations: Annotations = Field(default_factory=dict)
    """Extra annotations on every object. Default: none."""
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


# --- environments ------------------------------------------------------------


@dataclass(frozen=True)
class Environment:
    """One deployable environment: its name (the overlay's file name) and its settings."""

    name: str
    source: Path
    props: OverlayProps

    @property
    def namespace(self) -> str:
        """The namespace objects render into."""
        return self.props.namespace or f"guestbook-{self.name}"


def load_yaml_mapping(path: Path) -> tuple[dict[str, Any], yaml.Node | None]:
    """Read one YAML document that must be a mapping; also return its node tree for line lookup."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise GuestbookError(f"{path}: cannot read: {err.strerror}") from None
    except UnicodeDecodeError:
        raise GuestbookError(f"{path}: not UTF-8 text") from None
    try:
        node = yaml.compose(text, Loader=UniqueKeyLoader)
        data = yaml.load(text, Loader=UniqueKeyLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise GuestbookError(f"{where}: invalid YAML: {err.problem or err}") from None
    except yaml.YAMLError as err:
        raise GuestbookError(f"{path}: invalid YAML: {err}") from None
    if data is None:
        return {}, node
    if not isinstance(data, dict):
        raise GuestbookError(
            f"{path}:1: found a {_describe_type(data)} at the top level, expected a mapping of keys"
        )
    return data, node


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
    overlay, node = load_yaml_mapping(path)
    try:
        props = OverlayProps.model_validate(deep_merge(_defaults(), overlay))
    except ValidationError as err:
        raise GuestbookError(_format_validation_error(path, err, node)) from None
    return Environment(name=path.stem, source=path, props=props)


def discover_overlays(directory: Path) -> dict[str, Path]:
    """Map environment name to overlay file, rejecting a name defined twice."""
    if not directory.is_dir():
        raise GuestbookError(
            f"{directory}: environments folder not found; expected one <name>.yaml per environment"
        )
    found: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix not in OVERLAY_SUFFIXES or not path.is_file():
            continue
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
    """Load every overlay in ``directory`` (or just those named in ``only``), sorted by name."""
    overlays = discover_overlays(directory)
    wanted = list(dict.fromkeys(only)) or list(overlays)
    for name in wanted:
        if name not in overlays:
            raise GuestbookError(
                f"{directory / (name + '.yaml')}: no overlay for environment {name!r}; "
                f"expected one of: {', '.join(overlays)}"
            )
    environments = [parse_environment(overlays[name]) for name in sorted(wanted)]
    _check_unique_namespaces(environments)
    return environments


def _check_unique_namespaces(environments: list[Environment]) -> None:
    owners: dict[str, Environment] = {}
    for env in environments:
        other = owners.setdefault(env.namespace, env)
        if other is not env:
            raise GuestbookError(
                f"{env.source}: namespace {env.namespace!r} is already used by environment "
                f"{other.name!r} ({other.source}); each environment needs its own namespace"
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


def _found(value: object) -> str:
    if isinstance(value, dict | list):
        return f"a {_describe_type(value)}"
    return f"{value!r} ({_describe_type(value)})"


_EXPECTED = {
    "int_type": "an integer",
    "bool_type": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping",
    "list_type": "a list",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _line_of(node: yaml.Node | None, path: tuple[str | int, ...]) -> int | None:
    """The 1-based line of ``path`` in the overlay, or of its deepest existing parent."""
    if node is None:
        return None
    lines = field_lines(node)
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return node.start_mark.line + 1


def _known_keys(model: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    current: Any = model
    for part in path:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = next((f for n, f in current.model_fields.items() if part in (f.alias, n)), None)
        if field is None:
            return []
        current = field.annotation
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
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"found {_found(value)}: {message}"


def _format_validation_error(path: Path, err: ValidationError, node: yaml.Node | None) -> str:
    lines = []
    for error in err.errors():
        # Literal unions report one error per choice; keep the first (they say the same).
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        key = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(node, loc)
        where = f"{path}:{line}" if line else str(path)
        lines.append(f"{where}: {key}: {_describe_error({**error, 'loc': loc})}")
    return "\n".join(dict.fromkeys(lines))


def load_argocd_settings(project_file: Path = Path("pyproject.toml")) -> ArgoCdSettings:
    """Read ``[tool.guestbook.argocd]``; ``GUESTBOOK_REPO_URL``/``GUESTBOOK_REVISION`` override.

    A missing file or section means the defaults.
    """
    table: dict[str, Any] = {}
    if project_file.is_file():
        try:
            data = tomllib.loads(project_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise GuestbookError(f"{project_file}: invalid TOML: {err}") from None
        table = dict(data.get("tool", {}).get("guestbook", {}).get("argocd", {}))
    overrides = {"repoURL": "GUESTBOOK_REPO_URL", "revision": "GUESTBOOK_REVISION"}
    for key, variable in overrides.items():
        if os.environ.get(variable):
            table[key] = os.environ[variable]
    try:
        return ArgoCdSettings.model_validate(table)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {_describe_error(e)}" for e in err.errors()
        )
        raise GuestbookError(f"{project_file}: [tool.guestbook.argocd]: {problems}") from None
