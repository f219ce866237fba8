"""Container image references: parse them, tell what pinning needs, and format them.

Pure functions over strings. The grammar is the one Docker and containerd use
(``[registry/]repository[:tag][@digest]``): the first path component names a
registry only when it looks like a host (has a ``.`` or a ``:``, or is
``localhost``); otherwise the image is on Docker Hub, whose single-name images
live under ``library/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from guestbook.errors import GuestbookError

DOCKER_HUB = "docker.io"
"""The registry of a reference that names none."""
DOCKER_HUB_API = "registry-1.docker.io"
"""Where Docker Hub serves the distribution API."""
_DOCKER_HUB_ALIASES = frozenset({DOCKER_HUB, "index.docker.io", DOCKER_HUB_API})

_HOST_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_REGISTRY = re.compile(rf"(?:{_HOST_PART}(?:\.{_HOST_PART})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?")
_PATH_PART = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[\w][\w.-]{0,127}")
DIGEST = re.compile(r"sha256:[a-f0-9]{64}")
"""A sha256 content digest, the only kind ``guestbook pin`` writes."""
_MAX_NAME = 255


@dataclass(frozen=True)
class ImageReference:
    """One parsed image reference."""

    name: str
    """The name as written, without tag or digest (``redis``, ``127.0.0.1:5000/app/web``)."""
    registry: str
    """Registry host and port; ``docker.io`` when the name has none."""
    repository: str
    """Repository path in the registry's API (``library/redis`` on Docker Hub)."""
    tag: str | None = None
    """Tag, if written."""
    digest: str | None = None
    """Digest (``sha256:<64 hex>``), if written."""

    @property
    def api_host(self) -> str:
        """Host (and port) that serves the registry's ``/v2/`` API."""
        return DOCKER_HUB_API if self.registry in _DOCKER_HUB_ALIASES else self.registry

    @property
    def host(self) -> str:
        """The API host without its port (and without brackets for IPv6)."""
        host = self.api_host
        if host.startswith("["):
            return host[1 : host.index("]")]
        return host.rsplit(":", 1)[0]

    def with_digest(self, digest: str) -> ImageReference:
        """The same reference pinned to ``digest`` (the tag is kept, for readers)."""
        if not DIGEST.fullmatch(digest):
            raise GuestbookError(f"{digest!r} is not a sha256 digest (sha256:<64 hex digits>)")
        return replace(self, digest=digest)

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return f"{self.name}{tag}{digest}"


def split_image(text: str) -> tuple[str, str | None, str | None]:
    """``(name, tag, digest)`` of ``name[:tag][@digest]``, as written and unchecked.

    A ``:`` after the last ``/`` starts the tag (``127.0.0.1:5000/web`` has none). A
    part that is absent is None; one that is present but empty (``redis:``) is ``""``.
    :func:`parse_image` checks the parts; the validation rules look at any manifest's
    images through this split alone.
    """
    rest, at, digest = text.partition("@")
    name, tag = rest, None
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        name, tag = rest[:colon], rest[colon + 1 :]
    return name, tag, digest if at else None


@dataclass(frozen=True)
class ImageRef:
    """``[registry/][path/]repository[:tag][@digest]``, with the parts rules look at."""

    repository: str
    """The last path component (``gb-frontend`` in ``…/gke/gb-frontend:v5``)."""
    tag: str | None
    digest: str | None


def image_ref(image: str) -> ImageRef:
    """Split an image reference as the rules see it; never fails (rules match by repository)."""
    name, tag, digest = split_image(image)
    return ImageRef(repository=name.rpartition("/")[2], tag=tag or None, digest=digest or None)


def parse_image(text: str) -> ImageReference:
    """Parse ``[registry/]repository[:tag][@sha256:digest]``.

    Raises :class:`GuestbookError` saying what is wrong with ``text``.
    """

    def invalid(why: str) -> GuestbookError:
        return GuestbookError(f"invalid image reference {text!r}: {why}")

    name, tag, digest = split_image(text)
    if digest is not None and not DIGEST.fullmatch(digest):
        raise invalid("the digest must be sha256:<64 lowercase hex digits>")
    if tag is not None and not _TAG.fullmatch(tag):
        raise invalid(f"tag {tag!r} is not a valid tag (letters, digits, '_', '.', '-')")
    if not name:
        raise invalid("the repository name is empty")
    if len(name) > _MAX_NAME:
        raise invalid(f"the name is longer than {_MAX_NAME} characters")

    first, slash, remainder = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        registry, path = first, remainder
        if not _REGISTRY.fullmatch(registry):
            raise invalid(f"{registry!r} is not a valid registry host")
    else:
        registry, path = DOCKER_HUB, name
    for part in path.split("/"):
        if not _PATH_PART.fullmatch(part):
            raise invalid(
                f"repository path component {part!r} must be lowercase letters and digits, "
                "separated by '.', '_', '__' or '-'"
            )
    if registry in _DOCKER_HUB_ALIASES and "/" not in path:
        path = f"library/{path}"
    return ImageReference(
        name=name, registry=registry, repository=path, tag=tag, digest=digest or None
    )


def tag_to_resolve(ref: ImageReference) -> str | None:
    """The tag ``guestbook pin`` resolves for ``ref``, or None when it is pinned by digest alone.

    ``:latest`` and a missing tag (which means ``:latest``) are refused: that tag
    moves, so a digest found for it today says nothing about the version, and a
    reader of the overlay could not tell which release is deployed.
    """
    if ref.tag is None and ref.digest is not None:
        return None
    if ref.tag is None:
        raise GuestbookError(
            f"{ref}: no tag, which means ':latest'; name a version tag "
            f"(e.g. {ref.name}:1.2.3) and pin that"
        )
    if ref.tag == "latest":
        raise GuestbookError(
            f"{ref}: ':latest' is never pinned, since it moves; name a version tag "
            f"(e.g. {ref.name}:1.2.3) and pin that"
        )
    return ref.tag
