"""Resource quantities and container requests and limits."""

from __future__ import annotations

import re
from collections.abc import Iterator

from guestbook.manifests.fields import as_map, dotted, get, is_kind, maps
from guestbook.manifests.inventory import Check, Inventory, pod_template
from guestbook.manifests.podspec import containers
from guestbook.manifests.quantity import parse_quantity, quantity_text
from guestbook.validate.model import Document, FieldPath, Finding
from guestbook.validate.rules.registry import Layer, error

RESOURCE_QUANTITY = error(
    "resource-quantity",
    Layer.API_SERVER,
    "malformed or negative quantity (container resources, emptyDir sizeLimit, PVC storage)",
)
RESOURCE_NAME = error(
    "resource-name",
    Layer.API_SERVER,
    "container resource name neither standard (cpu, memory, ephemeral-storage, hugepages-*) "
    "nor a qualified extended resource",
)
REQUESTS_EXCEED_LIMITS = error(
    "requests-exceed-limits", Layer.API_SERVER, "a resource request above its limit"
)
RULES = (RESOURCE_QUANTITY, RESOURCE_NAME, REQUESTS_EXCEED_LIMITS)

STANDARD_RESOURCES = ("cpu", "memory", "ephemeral-storage")
_HUGEPAGES = re.compile(r"^hugepages-[0-9]+(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")


def _resource_blocks(doc: Document) -> Iterator[tuple[FieldPath, str]]:
    """Paths of ``{requests, limits}`` blocks in ``doc``, and who they belong to."""
    pod = pod_template(doc)
    if pod is not None:
        for container in containers(pod):
            yield (*container.path, "resources"), container.label
        yield (*pod.spec_path, "resources"), "the pod"
    if is_kind(doc, "PersistentVolumeClaim", ""):
        yield ("spec", "resources"), "the claim"
    if is_kind(doc, "StatefulSet", "apps"):
        for path, _ in maps(doc.obj, "spec", "volumeClaimTemplates"):
            yield (*path, "spec", "resources"), "the claim template"


def _quantities(doc: Document) -> Iterator[tuple[FieldPath, object]]:
    for block, _ in _resource_blocks(doc):
        for part in ("requests", "limits"):
            for name, value in as_map(get(doc.obj, *block, part)).items():
                yield (*block, part, str(name)), value
    pod = pod_template(doc)
    if pod is not None:
        for path, volume in maps(doc.obj, *pod.spec_path, "volumes"):
            if "sizeLimit" in as_map(volume.get("emptyDir")):
                yield (*path, "emptyDir", "sizeLimit"), get(volume, "emptyDir", "sizeLimit")


def check_quantities(inventory: Inventory) -> Iterator[Finding]:
    """``resource-quantity``."""
    for doc in inventory.documents:
        for path, value in _quantities(doc):
            text = quantity_text(value)
            if text is None:
                continue  # not a string or number: the schema layer reports it
            amount = parse_quantity(value)
            if amount is None or amount < 0:
                problem = "is not a quantity" if amount is None else "is negative"
                yield RESOURCE_QUANTITY.at(
                    doc,
                    f"{dotted(path)}: {text!r} {problem}",
                    field_path=path,
                    hint="write quantities like 100m, 0.5, 128Mi or 1Gi",
                )


def check_requests_and_limits(inventory: Inventory) -> Iterator[Finding]:
    """``resource-name`` and ``requests-exceed-limits`` for containers and pods."""
    for pod in inventory.pods:
        doc = pod.doc
        for block, owner in _resource_blocks(doc):
            if owner.startswith("the claim"):
                continue
            requests = as_map(get(doc.obj, *block, "requests"))
            limits = as_map(get(doc.obj, *block, "limits"))
            for part, values in (("requests", requests), ("limits", limits)):
                for name in values:
                    if not _is_resource_name(str(name)):
                        yield RESOURCE_NAME.at(
                            doc,
                            f"{owner} {part} unknown resource {name!r}",
                            field_path=(*block, part, str(name)),
                            hint="use cpu, memory, ephemeral-storage, hugepages-<size> or a "
                            "domain-prefixed extended resource (example.com/gpu)",
                        )
            for name, value in requests.items():
                request, limit = parse_quantity(value), parse_quantity(limits.get(name))
                if request is not None and limit is not None and request > limit:
                    yield REQUESTS_EXCEED_LIMITS.at(
                        doc,
                        f"{owner} requests {name} {value} but is limited to {limits[name]}",
                        field_path=(*block, "requests", str(name)),
                        hint=f"lower the {name} request or raise the limit",
                    )


def _is_resource_name(name: str) -> bool:
    return name in STANDARD_RESOURCES or bool(_HUGEPAGES.match(name)) or "/" in name


CHECKS: tuple[Check, ...] = (check_quantities, check_requests_and_limits)
