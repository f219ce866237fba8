"""Resolve an image tag to its manifest digest over the OCI distribution API (the network edge).

One question, asked the way ``docker pull`` and ``crane digest`` ask it: ``HEAD
/v2/<repository>/manifests/<tag>`` with every manifest type in ``Accept``, and the
answer in ``Docker-Content-Digest``. When a registry leaves that header out of
HEAD, a GET fetches the manifest and its sha256 is the digest (checked against
the header when one is sent). Public images need no credentials, but most public
registries still want an anonymous bearer token: a 401 names the token service in
``WWW-Authenticate``, and one GET there returns the token.

Standard library only (urllib): the protocol is four requests, and the project
has no other HTTP needs that would justify a client dependency.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import Message

from guestbook.errors import GuestbookError
from guestbook.images import DIGEST, ImageReference

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
"""What we accept, multi-platform indexes first: the digest we pin is the one every
platform pulls by."""

DEFAULT_TIMEOUT = 10.0
"""Seconds to wait for each connection or read."""
_MAX_MANIFEST = 4 * 1024 * 1024  # containerd's limit; real manifests are a few KiB
_MAX_ERROR_BODY = 64 * 1024
_USER_AGENT = "guestbook-gitops-pin"
_CHALLENGE_PARAM = re.compile(r'([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')


@dataclass(frozen=True)
class Challenge:
    """A parsed ``WWW-Authenticate`` header."""

    scheme: str
    """Lower-case auth scheme, e.g. ``bearer`` or ``basic``."""
    params: Mapping[str, str]
    """Its parameters (``realm``, ``service``, ``scope``), keys lower-cased."""


def parse_challenge(header: str) -> Challenge:
    """Parse ``Bearer realm="...",service="...",scope="..."`` (one challenge)."""
    scheme, _, rest = header.strip().partition(" ")
    params = {}
    for match in _CHALLENGE_PARAM.finditer(rest):
        key, quoted, bare = match.groups()
        params[key.lower()] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
    return Challenge(scheme=scheme.lower(), params=params)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (no port) is this machine: ``localhost`` or a loopback address."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class _Response:
    status: int
    headers: Message
    body: bytes


class RegistryClient:
    """Anonymous, read-only access to OCI registries, enough to resolve tags.

    Registries on loopback addresses, and those named in ``insecure_registries``
    (``host`` or ``host:port``), are spoken to over plain HTTP; all others over HTTPS.
    Tokens are kept for the life of the client, per registry and scope.
    """

    def __init__(
        self, *, timeout: float = DEFAULT_TIMEOUT, insecure_registries: Iterable[str] = ()
    ) -> None:
        self.timeout = timeout
        self.insecure_registries = frozenset(insecure_registries)
        self._tokens: dict[tuple[str, str], str] = {}

    def resolve(self, ref: ImageReference, tag: str) -> str:
        """The ``sha256:...`` digest that ``ref``'s repository serves for ``tag``."""
        url = f"{self.base_url(ref)}/v2/{ref.repository}/manifests/{urllib.parse.quote(tag)}"
        head = self._request("HEAD", url, ref)
        header = head.headers.get("Docker-Content-Digest", "").strip()
        if head.status == 200 and DIGEST.fullmatch(header):
            return header
        # No usable digest from HEAD (some registries omit the header, or answer
        # HEAD with an error but GET with a body that says why): fetch the manifest.
        got = self._request("GET", url, ref)
        if got.status != 200:
            raise GuestbookError(_describe_failure(ref, tag, got))
        digest = "sha256:" + hashlib.sha256(got.body).hexdigest()
        claimed = got.headers.get("Docker-Content-Digest", "").strip()
        if claimed.startswith("sha256:") and claimed != digest:
            raise GuestbookError(
                f"{ref.api_host}/{ref.repository}:{tag}: the registry says the manifest's digest "
                f"is {claimed}, but its content hashes to {digest}; not pinning"
            )
        return digest

    # --- HTTP ----------------------------------------------------------------

    def _is_insecure(self, ref: ImageReference) -> bool:
        return (
            is_loopback(ref.host)
            or ref.api_host in self.insecure_registries
            or ref.host in self.insecure_registries
        )

    def base_url(self, ref: ImageReference) -> str:
        """Where the registry of ``ref`` serves its API: http for loopback and insecure hosts."""
        scheme = "http" if self._is_insecure(ref) else "https"
        return f"{scheme}://{ref.api_host}"

    def _request(self, method: str, url: str, ref: ImageReference) -> _Response:
        scope = f"repository:{ref.repository}:pull"
        key = (ref.api_host, scope)
        response = self._send(method, url, ref, token=self._tokens.get(key))
        if response.status != 401:
            return response
        # First contact, or the token expired: ask the token service once, then retry.
        challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if challenge.scheme != "bearer" or "realm" not in challenge.params:
            raise GuestbookError(
                f"{ref.api_host}: the registry wants credentials for {ref.name} "
                f"({challenge.scheme or 'no'} authentication); guestbook pin pulls anonymously, "
                "so only public images can be pinned"
            )
        self._tokens[key] = self._fetch_token(ref, challenge, scope)
        return self._send(method, url, ref, token=self._tokens[key])

    def _fetch_token(self, ref: ImageReference, challenge: Challenge, scope: str) -> str:
        realm = urllib.parse.urlsplit(challenge.params["realm"])
        realm_host = realm.hostname or ""
        if realm.scheme != "https" and not (
            realm.scheme == "http"
            and (is_loopback(realm_host) or realm_host in self.insecure_registries)
        ):
            raise GuestbookError(
                f"{ref.api_host}: refusing to fetch a token from {challenge.params['realm']!r}: "
                "token services must use https (or be a loopback or --insecure-registry host)"
            )
        query = {"scope": challenge.params.get("scope", scope)}
        if "service" in challenge.params:
            query["service"] = challenge.params["service"]
        separator = "&" if realm.query else "?"
        url = challenge.params["realm"] + separator + urllib.parse.urlencode(query)
        response = self._send("GET", url, ref, accept="application/json")
        if response.status != 200:
            raise GuestbookError(
                f"{realm_host}: the token service refused anonymous access to "
                f"{ref.repository} (HTTP {response.status}); is the image private?"
            )
        try:
            document = json.loads(response.body)
            token = document.get("token") or document.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise GuestbookError(f"{realm_host}: the token service answered without a token")
        return token

    def _send(
        self,
        method: str,
        url: str,
        ref: ImageReference,
        *,
        token: str | None = None,
        accept: str = ", ".join(MANIFEST_TYPES),
    ) -> _Response:
        request = urllib.request.Request(
            url, method=method, headers={"Accept": accept, "User-Agent": _USER_AGENT}
        )
        if token:
            # Unredirected: a redirect to another host must not carry our token along.
            request.add_unredirected_header("Authorization", f"Bearer {token}")
        host = urllib.parse.urlsplit(url).hostname or ""
        # Proxies from the environment apply to remote registries, never to this machine.
        proxies = urllib.request.ProxyHandler({} if is_loopback(host) else None)
        opener = urllib.request.build_opener(proxies)
        try:
            with opener.open(request, timeout=self.timeout) as reply:
                body = reply.read(_MAX_MANIFEST + 1) if method != "HEAD" else b""
                if len(body) > _MAX_MANIFEST:
                    raise GuestbookError(f"{host}: the manifest at {url} is larger than 4 MiB")
                return _Response(status=reply.status, headers=reply.headers, body=body)
        except urllib.error.HTTPError as err:
            body = err.read(_MAX_ERROR_BODY) if method != "HEAD" else b""
            return _Response(status=err.code, headers=err.headers, body=body)
        except urllib.error.URLError as err:
            raise GuestbookError(
                _describe_unreachable(ref, url, err.reason, self.timeout)
            ) from None
        except (TimeoutError, ConnectionError) as err:
            raise GuestbookError(_describe_unreachable(ref, url, err, self.timeout)) from None


def _describe_unreachable(ref: ImageReference, url: str, reason: object, timeout: float) -> str:
    where = urllib.parse.urlsplit(url)
    what = f"cannot reach {where.scheme}://{where.netloc}"
    if isinstance(reason, TimeoutError):
        return f"{what}: no answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return f"{what}: connection refused (is the registry running?)"
    if isinstance(reason, socket.gaierror):
        return f"{what}: unknown host {where.hostname!r}"
    if isinstance(reason, ssl.SSLError):
        hint = ""
        if where.scheme == "https" and not is_loopback(ref.host):
            hint = f"; if {ref.api_host} serves plain HTTP, pass --insecure-registry {ref.api_host}"
        return f"{what}: TLS failed ({getattr(reason, 'reason', None) or reason}){hint}"
    return f"{what}: {reason}"


def _error_codes(body: bytes) -> list[str]:
    """The ``code`` of each error in a distribution API error body, if it is one."""
    try:
        errors = json.loads(body).get("errors", [])
        return [str(e.get("code")) for e in errors if isinstance(e, dict) and e.get("code")]
    except (ValueError, AttributeError):
        return []


def _describe_failure(ref: ImageReference, tag: str, response: _Response) -> str:
    image = f"{ref.api_host}/{ref.repository}"
    codes = _error_codes(response.body)
    detail = f" ({', '.join(codes)})" if codes else ""
    status = response.status
    if status == 404 and "NAME_UNKNOWN" in codes:
        return f"{image}: no such repository{detail}"
    if status == 404:
        return f"{image}: tag {tag!r} not found{detail}"
    if status in (401, 403):
        return f"{image}: access denied to anonymous pulls (HTTP {status}){detail}; is it private?"
    if status == 429:
        return f"{image}: the registry is rate-limiting us (HTTP 429); try again later"
    return f"{image}:{tag}: the registry answered HTTP {status}{detail}"
