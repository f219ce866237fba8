"""Container image references as the rules see them: the split of :mod:`guestbook.images`."""

from __future__ import annotations

from dataclasses import dataclass

from guestbook.images import split_image


@dataclass(frozen=True)
class ImageRef:
    """``[registry/][path/]repository[:tag][@digest]``, with the parts rules look at."""

    repository: str
    """The last path component (``gb-frontend`` in ``…/gke/gb-frontend:v5``)."""
    tag: str | None
    digest: str | None


def parse_image(image: str) -> ImageRef:
    """Split an image reference; never fails (rules match by repository name)."""
    name, tag, digest = split_image(image)
    return ImageRef(repository=name.rpartition("/")[2], tag=tag or None, digest=digest or None)
