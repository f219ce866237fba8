"""How far each image can be hardened, and the security settings that follow from it
(each image's contract also names the parsers of its log lines, for centralised logging).

What cannot be hardened, and why (also in the README):
- Redis (leader ``docker.io/redis``, follower ``gb-redis-follower``, built on it): runs fine
  as an unprivileged high UID (10001, clear of host users) with no capabilities and a
  read-only root filesystem, as long as ``/data`` (its working directory) is writable: a PVC
  or an emptyDir, owned through ``fsGroup`` 10001. The entrypoint only chowns and drops
  privileges when started as root, so it runs ``redis-server`` directly. Nothing is left
  unhardened.
- Frontend (``gb-frontend``, Apache with mod_php): Apache must start as root to bind port 80
  and then switches its workers to ``www-data``. So it cannot run as non-root, it keeps
  NET_BIND_SERVICE (bind 80), SETUID and SETGID (switch user) and KILL (the root parent
  signals its www-data workers), and it writes its lock and pid files under ``/var``, so its
  root filesystem stays writable. Privilege escalation and every other capability are off.
"""

from __future__ import annotations

from dataclasses import dataclass

from guestbook.constructs import log_formats
from guestbook.constructs.log_formats import LogParser
from guestbook.kubernetes import k8s


@dataclass(frozen=True, kw_only=True)
class ImageContract:
    """What an image needs at run time, which bounds how far it can be hardened."""

    run_as_user: int | None
    """UID the image can run as from the start; None when it must start as root."""
    fs_group: int | None = None
    """Group that must own writable volumes."""
    read_only_root_filesystem: bool = False
    """Whether the image runs with a read-only root filesystem."""
    capabilities: tuple[str, ...] = ()
    """Linux capabilities added back after dropping ALL."""
    writable_paths: tuple[str, ...] = ()
    """Paths that must be writable (volumes) when the root filesystem is read-only."""
    log_parsers: tuple[tuple[str, LogParser], ...] = ()
    """How its log lines are parsed: ``(stream, parser)``, stream ``""`` for both."""


REDIS = ImageContract(
    run_as_user=10001,
    fs_group=10001,
    read_only_root_filesystem=True,
    writable_paths=("/data",),
    log_parsers=(("", log_formats.REDIS),),
)
"""The official Redis image and the follower image built on it."""

FRONTEND = ImageContract(
    run_as_user=None,
    capabilities=("NET_BIND_SERVICE", "SETUID", "SETGID", "KILL"),
    log_parsers=(("stdout", log_formats.APACHE_ACCESS), ("stderr", log_formats.APACHE_ERROR)),
)
"""The gb-frontend image: Apache binding port 80 as root, workers as www-data."""


def pod_security_context(contract: ImageContract) -> k8s.PodSecurityContext:
    """Pod-level settings: seccomp RuntimeDefault, and the image's user and volume group."""
    non_root = contract.run_as_user is not None
    return k8s.PodSecurityContext(
        seccomp_profile=k8s.SeccompProfile(type="RuntimeDefault"),
        run_as_non_root=True if non_root else None,
        run_as_user=contract.run_as_user,
        run_as_group=contract.run_as_user,
        fs_group=contract.fs_group,
    )


def container_security_context(contract: ImageContract) -> k8s.SecurityContext:
    """Container-level settings: no escalation, ALL capabilities dropped but the needed ones."""
    return k8s.SecurityContext(
        allow_privilege_escalation=False,
        privileged=False,
        read_only_root_filesystem=contract.read_only_root_filesystem,
        capabilities=k8s.Capabilities(drop=["ALL"], add=list(contract.capabilities) or None),
    )
