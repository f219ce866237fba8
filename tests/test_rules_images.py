"""Image references as the rules see them (guestbook.images.image_ref)."""

from __future__ import annotations

import pytest

from guestbook.images import ImageRef, image_ref


@pytest.mark.parametrize(
    ("image", "ref"),
    [
        ("redis", ImageRef("redis", None, None)),
        ("docker.io/redis:6.0.5", ImageRef("redis", "6.0.5", None)),
        (
            "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5",
            ImageRef("gb-frontend", "v5", None),
        ),
        ("localhost:5000/redis", ImageRef("redis", None, None)),
        ("localhost:5000/redis:7@sha256:abc", ImageRef("redis", "7", "sha256:abc")),
        ("ghcr.io/acme/redis-exporter:latest", ImageRef("redis-exporter", "latest", None)),
    ],
)
def test_parse_image(image: str, ref: ImageRef) -> None:
    assert image_ref(image) == ref
