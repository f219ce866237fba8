"""Image references: how names are split, where they are pulled from, and what pin refuses."""

from __future__ import annotations

import pytest

from guestbook.errors import GuestbookError
from guestbook.images import (
    DOCKER_HUB_API,
    ImageRef,
    ImageReference,
    image_ref,
    parse_image,
    tag_to_resolve,
)

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("text", "registry", "api_host", "repository", "tag"),
    [
        # Docker Hub: no registry written, official images under library/
        ("redis:6.0.5", "docker.io", "registry-1.docker.io", "library/redis", "6.0.5"),
        ("docker.io/redis:6.0.5", "docker.io", "registry-1.docker.io", "library/redis", "6.0.5"),
        ("index.docker.io/redis:7", "index.docker.io", DOCKER_HUB_API, "library/redis", "7"),
        ("bitnami/redis:7.2", "docker.io", "registry-1.docker.io", "bitnami/redis", "7.2"),
        # A host is a first component with a dot, a port, or the name localhost
        (
            "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5",
            "us-docker.pkg.dev",
            "us-docker.pkg.dev",
            "google-samples/containers/gke/gb-frontend",
            "v5",
        ),
        (
            "127.0.0.1:5000/guestbook/redis:6.0.5",
            "127.0.0.1:5000",
            "127.0.0.1:5000",
            "guestbook/redis",
            "6.0.5",
        ),
        ("localhost/app:1", "localhost", "localhost", "app", "1"),
        ("[::1]:5000/app:1", "[::1]:5000", "[::1]:5000", "app", "1"),
        # A port is not a tag
        ("127.0.0.1:5000/app", "127.0.0.1:5000", "127.0.0.1:5000", "app", None),
    ],
)
def test_reference_names_its_registry_repository_and_tag(
    text: str, registry: str, api_host: str, repository: str, tag: str | None
) -> None:
    ref = parse_image(text)
    assert (ref.registry, ref.api_host, ref.repository, ref.tag) == (
        registry,
        api_host,
        repository,
        tag,
    )
    assert ref.digest is None
    assert str(ref) == text


def test_host_drops_port_and_brackets() -> None:
    assert parse_image("127.0.0.1:5000/app:1").host == "127.0.0.1"
    assert parse_image("[::1]:5000/app:1").host == "::1"
    assert parse_image("redis:6").host == "registry-1.docker.io"


def test_pinned_reference_keeps_tag_and_digest() -> None:
    # Given an image pinned by tag and digest
    ref = parse_image(f"us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5@{DIGEST}")
    # Then both parts are read, and it formats back unchanged
    assert (ref.tag, ref.digest) == ("v5", DIGEST)
    assert str(ref) == f"us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5@{DIGEST}"


def test_with_digest_keeps_the_name_as_written() -> None:
    # Given a Docker Hub image written in its short form
    ref = parse_image("redis:6.0.5")
    # When it is pinned
    pinned = ref.with_digest(DIGEST)
    # Then the overlay keeps the short name and the tag, with the digest after them
    assert str(pinned) == f"redis:6.0.5@{DIGEST}"


def test_with_digest_replaces_an_older_digest() -> None:
    old = parse_image(f"redis:6.0.5@sha256:{'1' * 64}")
    assert str(old.with_digest(DIGEST)) == f"redis:6.0.5@{DIGEST}"


@pytest.mark.parametrize("digest", ["sha256:abc", "sha512:" + "a" * 128, "0" * 64, ""])
def test_with_digest_rejects_anything_but_sha256(digest: str) -> None:
    with pytest.raises(GuestbookError, match="not a sha256 digest"):
        parse_image("redis:6.0.5").with_digest(digest)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "repository name is empty"),
        (":6.0.5", "repository name is empty"),
        ("Redis:6", "must be lowercase"),
        ("docker.io/Redis:6", "must be lowercase"),
        ("redis:6.0.5@sha256:abc", "sha256:<64 lowercase hex digits>"),
        (f"redis@md5:{'a' * 32}", "sha256:<64 lowercase hex digits>"),
        ("redis:-bad", "not a valid tag"),
        ("redis:" + "x" * 129, "not a valid tag"),
        ("reg istry.io/app:1", "registry host"),
        ("example.com//app:1", "path component ''"),
        ("app/" + "a" * 260, "longer than 255"),
    ],
)
def test_malformed_reference_is_a_user_error_that_quotes_it(text: str, problem: str) -> None:
    with pytest.raises(GuestbookError, match="invalid image reference") as caught:
        parse_image(text)
    assert problem in str(caught.value)
    assert repr(text) in str(caught.value)


def test_tag_to_resolve_is_the_written_tag() -> None:
    assert tag_to_resolve(parse_image("redis:6.0.5")) == "6.0.5"
    # an already pinned image is resolved again by its tag, so re-pinning updates it
    assert tag_to_resolve(parse_image(f"redis:6.0.5@{DIGEST}")) == "6.0.5"


@pytest.mark.parametrize("text", ["redis:latest", "redis", f"redis:latest@{DIGEST}"])
def test_pin_refuses_latest_written_or_implied(text: str) -> None:
    # Given an image that names :latest, or no tag at all (which means :latest)
    ref = parse_image(text)
    # Then pinning it is refused with a hint to name a version
    with pytest.raises(GuestbookError, match=r"name a version tag \(e\.g\. redis:1\.2\.3\)"):
        tag_to_resolve(ref)


def test_digest_only_reference_has_no_tag_to_resolve() -> None:
    assert tag_to_resolve(parse_image(f"redis@{DIGEST}")) is None


def test_reference_is_a_value() -> None:
    assert parse_image("redis:6.0.5") == ImageReference(
        name="redis", registry="docker.io", repository="library/redis", tag="6.0.5"
    )


@pytest.mark.parametrize(
    "text",
    [
        "redis",
        "redis:6.0.5",
        "gcr.io/google-samples/gb-frontend:v5",
        "127.0.0.1:5000/app/web:1.0",
        "localhost/web@sha256:" + "a" * 64,
        "ghcr.io/o/web:2@sha256:" + "b" * 64,
    ],
)
def test_the_rules_split_a_valid_reference_as_pinning_parses_it(text: str) -> None:
    # Given a valid reference / Then the rules' lenient view agrees with the strict parser
    strict, lenient = parse_image(text), image_ref(text)
    assert (lenient.tag, lenient.digest) == (strict.tag, strict.digest)
    assert lenient.repository == strict.name.rpartition("/")[2]


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
def test_image_ref_is_the_rules_view(image: str, ref: ImageRef) -> None:
    assert image_ref(image) == ref
