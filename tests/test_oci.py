"""Resolving tags to digests over the OCI distribution API, against a real registry on loopback."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from guestbook.errors import GuestbookError
from guestbook.images import parse_image
from guestbook.oci import RegistryClient, is_loopback, parse_challenge
from tests.oci_registry import LoopbackRegistry, running_registry


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackRegistry]:
    """A registry that answers anyone, like a private mirror inside a cluster."""
    with running_registry(tmp_path_factory.mktemp("plain")) as registry:
        yield registry


@pytest.fixture(scope="module")
def token_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackRegistry]:
    """A registry that wants anonymous bearer tokens, like Docker Hub and Artifact Registry."""
    with running_registry(tmp_path_factory.mktemp("token"), "-token-auth") as registry:
        yield registry


@pytest.fixture(scope="module")
def head_without_digest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackRegistry]:
    """A registry whose HEAD answers lack Docker-Content-Digest."""
    with running_registry(tmp_path_factory.mktemp("nohead"), "-head-without-digest") as registry:
        yield registry


def _head(url: str) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, dict(reply.headers)
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers)


def test_resolves_a_tag_to_the_digest_the_registry_serves(plain: LoopbackRegistry) -> None:
    # Given an image pushed as guestbook/redis:6.0.5
    pushed = plain.push_image("guestbook/redis", "6.0.5", "redis 6.0.5")
    # When the client resolves that tag
    digest = RegistryClient().resolve(parse_image(plain.ref("guestbook/redis", "6.0.5")), "6.0.5")
    # Then it is the digest crane reports
    assert digest == pushed


def test_resolves_a_multi_platform_index_to_the_index_digest(plain: LoopbackRegistry) -> None:
    # Given a tag that points at an image index over two images
    first = plain.push_image("guestbook/frontend", "amd64", "frontend for amd64")
    second = plain.push_image("guestbook/frontend", "arm64", "frontend for arm64")
    index = plain.push_index("guestbook/frontend", "v5", "amd64", "arm64")
    # When it is resolved
    digest = RegistryClient().resolve(parse_image(plain.ref("guestbook/frontend", "v5")), "v5")
    # Then the pin is the index (every platform pulls by it), not one of its images
    assert digest == index
    assert digest not in (first, second)


def test_anonymous_bearer_token_flow(token_auth: LoopbackRegistry) -> None:
    # Given a registry that answers 401 with a Bearer challenge to requests without a token
    pushed = token_auth.push_image("guestbook/redis", "6.0.5", "redis behind tokens")
    url = f"http://{token_auth.host}/v2/guestbook/redis/manifests/6.0.5"
    status, headers = _head(url)
    assert status == 401
    assert headers["Www-Authenticate"].startswith("Bearer realm=")
    # When the client resolves a tag there
    ref = parse_image(token_auth.ref("guestbook/redis", "6.0.5"))
    digest = RegistryClient().resolve(ref, "6.0.5")
    # Then it fetched a token for the repository's pull scope and got the digest
    assert digest == pushed


def test_one_client_resolves_in_repositories_with_separately_scoped_tokens(
    token_auth: LoopbackRegistry,
) -> None:
    # Given two repositories behind tokens scoped per repository, and one client
    redis = token_auth.push_image("guestbook/redis", "7", "redis 7")
    frontend = token_auth.push_image("guestbook/frontend", "v5", "frontend v5")
    client = RegistryClient()
    # When it resolves in both
    got = [
        client.resolve(parse_image(token_auth.ref("guestbook/redis", "7")), "7"),
        client.resolve(parse_image(token_auth.ref("guestbook/frontend", "v5")), "v5"),
    ]
    # Then each got its digest, though a token only opens the repository it was issued for
    assert got == [redis, frontend]


def test_falls_back_to_get_and_hashes_the_manifest(head_without_digest: LoopbackRegistry) -> None:
    # Given a registry whose HEAD carries no digest header
    pushed = head_without_digest.push_image("guestbook/redis", "6.0.5", "redis, no digest on HEAD")
    url = f"http://{head_without_digest.host}/v2/guestbook/redis/manifests/6.0.5"
    status, headers = _head(url)
    assert status == 200
    assert "Docker-Content-Digest" not in headers
    # When the client resolves the tag
    ref = parse_image(head_without_digest.ref("guestbook/redis", "6.0.5"))
    # Then the digest comes from hashing the manifest body, and equals the registry's
    assert RegistryClient().resolve(ref, "6.0.5") == pushed


def test_unknown_tag_is_a_clear_error(plain: LoopbackRegistry) -> None:
    plain.push_image("guestbook/redis", "6.0.5", "redis 6.0.5")
    ref = parse_image(plain.ref("guestbook/redis", "9.9.9"))
    with pytest.raises(GuestbookError) as caught:
        RegistryClient().resolve(ref, "9.9.9")
    assert str(caught.value) == (
        f"{plain.host}/guestbook/redis: tag '9.9.9' not found (MANIFEST_UNKNOWN)"
    )


def test_unknown_repository_is_a_clear_error(plain: LoopbackRegistry) -> None:
    ref = parse_image(plain.ref("guestbook/nothing-here", "1"))
    with pytest.raises(GuestbookError) as caught:
        RegistryClient().resolve(ref, "1")
    assert str(caught.value) == (
        f"{plain.host}/guestbook/nothing-here: no such repository (NAME_UNKNOWN)"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_registry_that_is_not_running_is_unreachable() -> None:
    # Given a loopback port nobody listens on
    port = _free_port()
    ref = parse_image(f"127.0.0.1:{port}/guestbook/redis:6.0.5")
    # Then resolving says so, naming the address
    with pytest.raises(GuestbookError) as caught:
        RegistryClient().resolve(ref, "6.0.5")
    assert str(caught.value) == (
        f"cannot reach http://127.0.0.1:{port}: connection refused (is the registry running?)"
    )


def test_registry_that_never_answers_times_out() -> None:
    # Given a loopback socket that accepts connections (in its backlog) but never answers
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        ref = parse_image(f"127.0.0.1:{port}/guestbook/redis:6.0.5")
        # When the client waits at most 0.3 s
        with pytest.raises(GuestbookError) as caught:
            RegistryClient(timeout=0.3).resolve(ref, "6.0.5")
    # Then it gives up with that number in the message
    assert str(caught.value) == f"cannot reach http://127.0.0.1:{port}: no answer within 0.3 s"


@pytest.mark.parametrize(
    ("image", "insecure", "url"),
    [
        ("redis:6.0.5", (), "https://registry-1.docker.io"),
        ("us-docker.pkg.dev/google-samples/x:v5", (), "https://us-docker.pkg.dev"),
        ("127.0.0.1:5000/x:1", (), "http://127.0.0.1:5000"),
        ("localhost:5000/x:1", (), "http://localhost:5000"),
        ("[::1]:5000/x:1", (), "http://[::1]:5000"),
        ("registry.lan:5000/x:1", (), "https://registry.lan:5000"),
        ("registry.lan:5000/x:1", ("registry.lan:5000",), "http://registry.lan:5000"),
        ("registry.lan:5000/x:1", ("registry.lan",), "http://registry.lan:5000"),
        ("registry.lan:5000/x:1", ("other.lan",), "https://registry.lan:5000"),
    ],
)
def test_plain_http_only_for_loopback_and_named_insecure_registries(
    image: str, insecure: tuple[str, ...], url: str
) -> None:
    assert RegistryClient(insecure_registries=insecure).base_url(parse_image(image)) == url


def test_parses_docker_hub_style_bearer_challenge() -> None:
    challenge = parse_challenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/redis:pull"'
    )
    assert challenge.scheme == "bearer"
    assert dict(challenge.params) == {
        "realm": "https://auth.docker.io/token",
        "service": "registry.docker.io",
        "scope": "repository:library/redis:pull",
    }


def test_parses_escaped_quotes_in_a_quoted_value() -> None:
    challenge = parse_challenge(r'Bearer realm="https://auth.example/token",error="a \"b\""')
    assert challenge.params["error"] == 'a "b"'


def test_parses_basic_challenge_and_unquoted_values() -> None:
    challenge = parse_challenge("Basic realm=Registry, charset=UTF-8")
    assert challenge.scheme == "basic"
    assert dict(challenge.params) == {"realm": "Registry", "charset": "UTF-8"}


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("registry.localhost", True),
        ("10.0.0.1", False),
        ("registry-1.docker.io", False),
        ("localhost.example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://auth.example/token", None),
        ("http://127.0.0.1:5000/token", None),
        ("http://localhost/token", None),
        ("http://registry.lan:5000/token", None),  # named with --insecure-registry
        ("http://auth.example/token", "plain HTTP is only for loopback"),
        ("ftp://auth.example/token", "not an http(s) URL"),
        ("/token", "not an http(s) URL"),
        ("https:///token", "names no host"),
        ("https://[::1/token", "not a valid URL"),
        ("https://auth.example:70000/token", "not a valid URL"),
        ("https://auth.example/a b", "spaces or control characters"),
        ("https://auth.example/\x00", "spaces or control characters"),
    ],
)
def test_url_problem_says_where_the_client_will_not_go(url: str, problem: str | None) -> None:
    # Given a client that may speak plain HTTP to registry.lan:5000
    client = RegistryClient(insecure_registries=["registry.lan:5000"])
    # Then a token realm or redirect target is refused for the reason given, or allowed
    found = client.url_problem(url)
    assert found == problem if problem is None else problem in (found or "")
