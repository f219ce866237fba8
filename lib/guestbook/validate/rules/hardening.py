"""Layer 5, part one: container securityContext hardening (the restricted Pod Security level).

A container setting overrides the pod's where both exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from guestbook.manifests.fields import as_int, as_list, get
from guestbook.manifests.inventory import Check, Inventory, PodTemplate
from guestbook.manifests.podspec import Container, containers
from guestbook.validate.model import Finding
from guestbook.validate.rules.registry import Layer, Rule, warning

RUN_AS_NON_ROOT = warning(
    "run-as-non-root",
    Layer.POLICY,
    "container may run as root (no runAsNonRoot: true)",
    reason="it works, but exceeds least privilege",
    fix="set securityContext.runAsNonRoot: true (and a non-zero runAsUser if the image has none)",
)
ALLOW_PRIVILEGE_ESCALATION = warning(
    "allow-privilege-escalation",
    Layer.POLICY,
    "container does not set allowPrivilegeEscalation: false",
    reason="it works, but exceeds least privilege",
    fix="set securityContext.allowPrivilegeEscalation: false",
)
CAPABILITIES_DROP_ALL = warning(
    "capabilities-drop-all",
    Layer.POLICY,
    "container does not drop ALL capabilities",
    reason="it works, but exceeds least privilege",
    fix="set securityContext.capabilities.drop: [ALL] and add back only what is needed",
)
SECCOMP_PROFILE = warning(
    "seccomp-profile",
    Layer.POLICY,
    "no seccompProfile RuntimeDefault (or Localhost) on the container or pod",
    reason="it works, but exceeds least privilege",
    fix="set securityContext.seccompProfile.type: RuntimeDefault on the pod or container",
)
READ_ONLY_ROOT_FILESYSTEM = warning(
    "read-only-root-filesystem",
    Layer.POLICY,
    "container root filesystem is writable (no readOnlyRootFilesystem: true)",
    reason="it works, but exceeds least privilege",
    fix="set securityContext.readOnlyRootFilesystem: true; mount emptyDir where it writes",
)
RULES = (
    RUN_AS_NON_ROOT,
    ALLOW_PRIVILEGE_ESCALATION,
    CAPABILITIES_DROP_ALL,
    SECCOMP_PROFILE,
    READ_ONLY_ROOT_FILESYSTEM,
)


def _effective(pod: PodTemplate, container: Container, field: str) -> object:
    value = get(container.obj, "securityContext", field)
    return get(pod.spec, "securityContext", field) if value is None else value


def _non_root(pod: PodTemplate, container: Container) -> bool:
    if _effective(pod, container, "runAsNonRoot") is True:
        return True
    user = as_int(_effective(pod, container, "runAsUser"))
    return user is not None and user > 0


def _no_escalation(_: PodTemplate, container: Container) -> bool:
    return get(container.obj, "securityContext", "allowPrivilegeEscalation") is False


def _drops_all(_: PodTemplate, container: Container) -> bool:
    return "ALL" in as_list(get(container.obj, "securityContext", "capabilities", "drop"))


def _seccomp(pod: PodTemplate, container: Container) -> bool:
    profile = _effective(pod, container, "seccompProfile")
    return get(profile, "type") in ("RuntimeDefault", "Localhost")


def _read_only_root(_: PodTemplate, container: Container) -> bool:
    return get(container.obj, "securityContext", "readOnlyRootFilesystem") is True


_CHECKS: tuple[tuple[Rule, Callable[[PodTemplate, Container], bool], str, str], ...] = (
    (
        RUN_AS_NON_ROOT,
        _non_root,
        "may run as root (runAsNonRoot is not true)",
        "set securityContext.runAsNonRoot: true (and a non-zero runAsUser if the image's "
        "user is root)",
    ),
    (
        ALLOW_PRIVILEGE_ESCALATION,
        _no_escalation,
        "does not set allowPrivilegeEscalation: false",
        "set securityContext.allowPrivilegeEscalation: false",
    ),
    (
        CAPABILITIES_DROP_ALL,
        _drops_all,
        "does not drop ALL capabilities",
        "set securityContext.capabilities.drop: [ALL]",
    ),
    (
        SECCOMP_PROFILE,
        _seccomp,
        "has no seccompProfile RuntimeDefault or Localhost (on itself or the pod)",
        "set securityContext.seccompProfile.type: RuntimeDefault on the pod or container",
    ),
    (
        READ_ONLY_ROOT_FILESYSTEM,
        _read_only_root,
        "has a writable root filesystem (readOnlyRootFilesystem is not true)",
        "set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where "
        "the app writes",
    ),
)


def check_security_context(inventory: Inventory) -> Iterator[Finding]:
    """Every hardening rule for every init and app container."""
    for pod in inventory.pods:
        for container in containers(pod, ("initContainers", "containers")):
            where = (
                (*container.path, "securityContext")
                if "securityContext" in container.obj
                else container.path
            )
            for rule, satisfied, problem, hint in _CHECKS:
                if not satisfied(pod, container):
                    yield rule.at(
                        pod.doc,
                        f"{container.label} of {pod.name} {problem}",
                        field_path=where,
                        hint=hint,
                    )


CHECKS: tuple[Check, ...] = (check_security_context,)
