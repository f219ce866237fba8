"""Value types and the base model shared by every props model.

Each type checks what the API server (or guestbook itself) would reject, so an
overlay fails when it is loaded, not when it is applied.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from guestbook import names
from guestbook.constructs.labels import RESERVED_LABEL_KEYS

INT32_MAX = 2**31 - 1
"""The largest replica count, port or number the API server stores (int32)."""
MAX_ENTRIES = 256
"""Most labels or annotations one mapping may hold: every object carries them, and
rendering time grows with their square (in cdk8s), so the bound keeps synth fast."""
ANNOTATIONS_MAX_BYTES = 256 * 1024
"""The API server's limit on the total size of an object's annotation keys and values."""
_FLOAT_EXACT_MAX = 2**53

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
