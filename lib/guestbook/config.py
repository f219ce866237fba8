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
from collections.abc import Iterable, Mapping
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

REDIS_IMAGE = "docker.io/redis:6.0.5"
FOLLOWER_IMAGE = "us-docker.pkg.dev/google-samples/containers/gke/gb-redis-follower:v2"
FRONTEND_IMAGE = "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5"


# --- value types -------------------------------------------------------------


def _check(problem: str | None) -> None:
    if problem:
        raise ValueError(problem)


def _quantity_to_str(value: object) -> object:
    # YAML reads `cpu: 1` as an int; Kubernetes accepts both forms.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _valid_quantity(value: str) -> str:
    _check(names.quantity_error(value))
    return value


def _valid_dns_label(value: str) -> str:
    _check(names.dns1123_label_error(value))
    return value


def _valid_image(value: str) -> str:
    if not value or any(c.isspace() for c in value):
        raise ValueError("must be a non-empty image reference without spaces")
    return value


def _valid_labels(value: dict[str, str]) -> dict[str, str]:
    for key, label in value.items():
        _check(_prefixed(f"key {key!r}", names.qualified_name_error(key)))
        _check(_prefixed(f"value {label!r} of {key!r}", names.label_value_error(label)))
    return value


def _valid_annotations(value: dict[str, str]) -> dict[str, str]:
    for key in value:
        _check(_prefixed(f"key {key!r}", names.qualified_name_error(key)))
    return value


def _prefixed(what: str, problem: str | None) -> str | None:
    return f"{what} {problem}" if problem else None


Quantity = Annotated[str, BeforeValidator(_quantity_to_str), AfterValidator(_valid_quantity)]
DnsLabel = Annotated[str, AfterValidator(_valid_dns_label)]
Image = Annotated[str, AfterValidator(_valid_image)]
Labels = Annotated[dict[str, str], AfterValidator(_valid_labels)]
Annotations = Annotated[dict[str, str], AfterValidator(_valid_annotations)]
Port = Annotated[int, Field(ge=1, le=65535)]
ServiceType = Literal["ClusterIP", "NodePort", "LoadBalancer"]
AccessMode = Literal["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany"]


def _read_write_once() -> list[AccessMode]:
    return ["ReadWriteOnce"]


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
    access_modes: list[AccessMode] = Field(default_factory=_read_write_once, min_length=1)
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


class FrontendProps(Model):
    """The PHP guestbook frontend."""

    replicas: int = Field(default=3, ge=0)
    """Number of frontend pods. Default: 3."""
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


# --- environments ------------------------------------------------------------


@dataclass(frozen=True)
class Environment:
    """One deployable environment: its name (the overlay's file name) and its settings."""

    name: str
    source: Path
    props: GuestbookProps

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
    return GuestbookProps().model_dump(by_alias=True, mode="python")


def parse_environment(path: Path) -> Environment:
    """Load, merge and validate one overlay file into an :class:`Environment`."""
    overlay, node = load_yaml_mapping(path)
    try:
        props = GuestbookProps.model_validate(deep_merge(_defaults(), overlay))
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
    schema = GuestbookProps.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "guestbook-gitops environment overlay"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


# --- error messages ----------------------------------------------------------


def _describe_type(value: object) -> str:  # noqa: PLR0911 (one return per type)
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


def _describe_error(error: Mapping[str, Any]) -> str:  # noqa: PLR0911 (one per error kind)
    kind = error["type"]
    value = error.get("input")
    loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        known = _known_keys(GuestbookProps, loc[:-1])
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
