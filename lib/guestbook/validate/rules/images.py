"""Container image references, split the way registries read them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageRef:
    """``[registry/][path/]repository[:tag][@digest]``, with the parts rules look at."""

    repository: str
    """The last path component (``gb-frontend`` in ``…/gke/gb-frontend:v5``)."""
    tag: str | None
    digest: str | None


def parse_image(image: str) -> ImageRef:
    """Split an image reference; never fails (rules match by repository name)."""
    name, _, digest = image.partition("@")
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > last_slash:
        name, tag = name[:colon], name[colon + 1 :]
    return ImageRef(
        repository=name.rpartition("/")[2],
        tag=tag or None,
        digest=digest or None,
    )
