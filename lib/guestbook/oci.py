"""Resolve an image tag to its manifest digest over the OCI distribution API (the network edge).

One question, asked the way ``docker pull`` and ``crane digest`` ask it: ``HEAD
/v2/<repository>/manifests/<tag>`` with every manifest type in ``Accept``, and the
answer in ``Docker-Content-Digest``. When a registry leaves that header out of
HEAD, a GET fetches the manifest and its sha256 is the digest, but only of an answer
that is a whole manifest of an accepted type (checked against the header when one is
sent): a captive portal's page or a cut-off download is refused, never pinned. Public
images need no credentials, but most public registries still want an anonymous bearer
token: a 401 names the token service in ``WWW-Authenticate``, and one GET there
returns the token.

Standard library only (urllib, with a deadline per request that http.client lacks):
the protocol is four requests, and the project has no other HTTP needs that would
justify a client dependency. Whatever a server sends, the result is a digest or a
:class:`GuestbookError`.
"""

from __future__ import annotations

import functools
import hashlib
import http.client
import io
import ipaddress
import json
import re
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import IO, Any

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
"""Seconds by which each request (connection, redirects, whole answer) must be done."""
_INDEX_TYPES = frozenset(MANIFEST_TYPES[0::2])
_TOKEN = re.compile(r"[\x21-\x7e]+")
_DIGEST_HEADER = re.compile(r"sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}")
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
    Redirects and token services are held to the same rule. Each request (with its
    redirects) must be answered in full within ``timeout`` seconds. Tokens are kept for
    the life of the client, per registry and scope.
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
        if head.status == 200 and DIGEST.fullmatch(header) and _media_type(head) in MANIFEST_TYPES:
            return header
        # No usable digest from HEAD (some registries omit the header, or answer
        # HEAD with an error but GET with a body that says why): fetch the manifest.
        got = self._request("GET", url, ref)
        if got.status != 200:
            raise GuestbookError(_describe_failure(ref, tag, got))
        return manifest_digest(f"{ref.api_host}/{ref.repository}:{tag}", got)

    # --- HTTP ----------------------------------------------------------------

    def _plain_http_allowed(self, host: str, address: str) -> bool:
        """Whether ``host`` (``address`` with its port) may be spoken to over plain HTTP."""
        return (
            is_loopback(host)
            or host in self.insecure_registries
            or address in self.insecure_registries
        )

    def base_url(self, ref: ImageReference) -> str:
        """Where the registry of ``ref`` serves its API: http for loopback and insecure hosts."""
        scheme = "http" if self._plain_http_allowed(ref.host, ref.api_host) else "https"
        return f"{scheme}://{ref.api_host}"

    def url_problem(self, url: str) -> str | None:
        """Why the client will not follow ``url`` (to a token service or a redirect), or None.

        It must be an http(s) URL with a host; plain HTTP only to loopback and insecure hosts.
        """
        if any(c.isspace() or not c.isprintable() for c in url):
            return "it has spaces or control characters"
        try:
            parts = urllib.parse.urlsplit(url)
            host, _ = parts.hostname or "", parts.port
        except ValueError as err:
            return f"it is not a valid URL ({err})"
        if parts.scheme not in ("http", "https"):
            return "it is not an http(s) URL"
        if not host:
            return "it names no host"
        address = parts.netloc.rpartition("@")[2]
        if parts.scheme == "http" and not self._plain_http_allowed(host, address):
            return "plain HTTP is only for loopback and --insecure-registry hosts; use https"
        return None

    def _request(self, method: str, url: str, ref: ImageReference) -> _Response:
        scope = f"repository:{ref.repository}:pull"
        key = (ref.api_host, scope)
        response = self._send(method, url, ref, token=self._tokens.get(key))
        if response.status != 401:
            return response
        # First contact, or the token expired: ask the token service once, then retry.
        challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if challenge.scheme != "bearer":
            raise GuestbookError(
                f"{ref.api_host}: the registry wants credentials for {ref.name} "
                f"({challenge.scheme or 'no'} authentication); guestbook pin pulls anonymously, "
                "so only public images can be pinned"
            )
        self._tokens[key] = self._fetch_token(ref, challenge, scope)
        return self._send(method, url, ref, token=self._tokens[key])

    def _fetch_token(self, ref: ImageReference, challenge: Challenge, scope: str) -> str:
        realm = challenge.params.get("realm", "")
        if not realm:
            raise GuestbookError(
                f"{ref.api_host}: the registry asks for a bearer token but names no token "
                "service (no realm in its WWW-Authenticate header)"
            )
        problem = self.url_problem(realm)
        if problem:
            raise GuestbookError(
                f"{ref.api_host}: refusing to fetch a token from {realm!r}: {problem}"
            )
        realm_host = urllib.parse.urlsplit(realm).hostname
        query = {"scope": challenge.params.get("scope", scope)}
        if "service" in challenge.params:
            query["service"] = challenge.params["service"]
        separator = "&" if urllib.parse.urlsplit(realm).query else "?"
        url = realm + separator + urllib.parse.urlencode(query)
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
        if not _TOKEN.fullmatch(token):
            # It goes into a header: a line break there would inject headers of its own.
            raise GuestbookError(
                f"{realm_host}: the token service answered with a malformed token "
                "(expected visible ASCII characters only)"
            )
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
        deadline = _Deadline(self.timeout)
        opener = urllib.request.build_opener(
            # Proxies from the environment apply to remote registries, never to this machine.
            urllib.request.ProxyHandler({} if is_loopback(host) else None),
            _DeadlineHTTPHandler(deadline),
            _DeadlineHTTPSHandler(deadline),
            _RedirectPolicy(self.url_problem),
        )
        try:
            with opener.open(request, timeout=deadline.remaining()) as reply:
                return _Response(reply.status, reply.headers, _read_body(url, method, reply))
        except urllib.error.HTTPError as err:
            if 300 <= err.code < 400:
                raise GuestbookError(
                    f"{_origin(url)} redirected more than {_RedirectPolicy.max_redirections} "
                    f"times, in a loop, or without a Location (HTTP {err.code})"
                ) from None
            try:
                body = err.read(_MAX_ERROR_BODY) if method != "HEAD" else b""
            except (OSError, http.client.HTTPException):
                body = b""  # an error answer's body only adds detail
            return _Response(status=err.code, headers=err.headers, body=body)
        except urllib.error.URLError as err:
            reason = err.reason
            raise GuestbookError(_describe_unreachable(ref, url, reason, self.timeout)) from None
        except (OSError, http.client.HTTPException, ValueError) as err:
            # ValueError: http.client's word for a URL or header it cannot send or parse
            raise GuestbookError(_describe_unreachable(ref, url, err, self.timeout)) from None


def _origin(url: str) -> str:
    where = urllib.parse.urlsplit(url)
    return f"{where.scheme}://{where.netloc}"


def _read_body(url: str, method: str, reply: http.client.HTTPResponse) -> bytes:
    """The whole body of a successful answer, at most 4 MiB, and all that was announced."""
    if method == "HEAD":
        return b""
    declared = reply.headers.get("Content-Length")
    chunked = "chunked" in reply.headers.get("Transfer-Encoding", "").lower()
    size = int(declared) if declared and declared.strip().isdigit() and not chunked else None
    if declared is not None and size is None and not chunked:
        raise GuestbookError(
            f"{_origin(url)} answered with a malformed Content-Length {declared!r}"
        )
    if (size or 0) > _MAX_MANIFEST:
        raise GuestbookError(
            f"{_origin(url)}: the answer at {url} is larger than 4 MiB ({size} bytes)"
        )
    body = reply.read(_MAX_MANIFEST + 1)
    if len(body) > _MAX_MANIFEST:
        raise GuestbookError(f"{_origin(url)}: the answer at {url} is larger than 4 MiB")
    if size is not None and len(body) != size:
        raise GuestbookError(
            f"{_origin(url)}: the answer ended after {len(body)} of {size} bytes "
            "(the connection closed early)"
        )
    return body


def _media_type(response: _Response) -> str:
    """The response's Content-Type without parameters, lower-cased."""
    return response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def manifest_digest(image: str, response: _Response) -> str:
    """The ``sha256:...`` digest of the manifest in ``response``, after checking it is one.

    The Content-Type must be a manifest type we accept, the body a JSON manifest of that
    type (schemaVersion 2, a matching mediaType, its list of manifests or its config and
    layers), and a ``Docker-Content-Digest`` header, when sent, must be a digest of it.
    """
    media_type = _media_type(response)
    if media_type not in MANIFEST_TYPES:
        got = f"Content-Type {media_type!r}" if media_type else "no Content-Type"
        raise GuestbookError(
            f"{image}: the registry answered with {got}, "
            f"not a manifest (expected one of: {', '.join(MANIFEST_TYPES)}); "
            "is a proxy or captive portal in the way?"
        )
    problem = _manifest_problem(media_type, response.body)
    if problem:
        raise GuestbookError(f"{image}: the registry's {media_type} answer {problem}; not pinning")
    digest = "sha256:" + hashlib.sha256(response.body).hexdigest()
    claimed = response.headers.get("Docker-Content-Digest", "").strip()
    if claimed:
        algorithm, _, value = claimed.partition(":")
        if not _DIGEST_HEADER.fullmatch(claimed):
            raise GuestbookError(
                f"{image}: the registry's Docker-Content-Digest {claimed!r} is not a sha256 or "
                "sha512 digest; not pinning"
            )
        if hashlib.new(algorithm, response.body).hexdigest() != value:
            raise GuestbookError(
                f"{image}: the registry says the manifest's digest is {claimed}, but its "
                f"content hashes to {digest}; not pinning"
            )
    return digest


def _manifest_problem(media_type: str, body: bytes) -> str | None:
    """What is wrong with ``body`` as a manifest of ``media_type``, or None."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "is not JSON"
    if not isinstance(document, dict):
        return "is not a JSON object"
    version = document.get("schemaVersion")
    if version != 2 or isinstance(version, bool):
        return f"has schemaVersion {version!r}, expected 2"
    declared = document.get("mediaType")
    if declared is None and media_type.startswith("application/vnd.docker."):
        return "has no mediaType (Docker manifests must name theirs)"
    if declared is not None and declared != media_type:
        return f"says it is mediaType {declared!r}, but was served as {media_type}"
    if media_type in _INDEX_TYPES:
        if not isinstance(document.get("manifests"), list):
            return "has no list of 'manifests'"
    elif not isinstance(document.get("config"), dict) or not isinstance(
        document.get("layers"), list
    ):
        return "has no 'config' object and 'layers' list"
    return None


class _Deadline:
    """A point in time by which a request must be answered in full."""

    def __init__(self, seconds: float) -> None:
        self._at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left; TimeoutError once none are."""
        left = self._at - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return left


class _DeadlineReader(io.RawIOBase):
    """A socket's input that waits for each read only as long as the deadline leaves.

    http.client reads through a file whose socket timeout restarts with every read, so
    a server sending a byte at a time would never time out; this one does.
    """

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        self._sock.settimeout(self._deadline.remaining())
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp.close()
        self.fp = io.BufferedReader(_DeadlineReader(sock, deadline))


class _DeadlineConnection(http.client.HTTPConnection):
    """An HTTP connection that connects, and reads its answer, within a deadline."""

    def __init__(self, host: str, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(host, *args, **kwargs)
        self._deadline = deadline
        self.response_class = functools.partial(_DeadlineResponse, deadline=deadline)  # type: ignore[assignment]

    def connect(self) -> None:
        self.timeout = self._deadline.remaining()
        super().connect()


class _DeadlineHTTPSConnection(_DeadlineConnection, http.client.HTTPSConnection):
    """The same over TLS (the handshake is bounded by the time left when it starts)."""


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_DeadlineConnection, req, deadline=self._deadline)  # type: ignore[arg-type]


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline
        self._tls = ssl.create_default_context()

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(
            _DeadlineHTTPSConnection,  # type: ignore[arg-type]
            req,
            context=self._tls,
            deadline=self._deadline,
        )


class _RedirectPolicy(urllib.request.HTTPRedirectHandler):
    """Follow at most five redirects, each only where the client would go by itself."""

    max_redirections = 5

    def __init__(self, url_problem: Callable[[str], str | None]) -> None:
        super().__init__()
        self._url_problem = url_problem

    def http_error_302(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
    ) -> Any:
        fp.close()  # the body of a redirect is never needed, and may be endless
        location = headers.get("Location") or headers.get("URI")
        if location:
            try:
                target = urllib.parse.urljoin(req.full_url, location)
            except ValueError:
                target = location
            problem = self._url_problem(target)
            if problem:
                raise GuestbookError(
                    f"{_origin(req.full_url)} redirected to {target!r}; not following: {problem}"
                )
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _describe_unreachable(ref: ImageReference, url: str, reason: object, timeout: float) -> str:
    """What went wrong below HTTP status codes: no connection, no TLS, or no sound HTTP."""
    where = urllib.parse.urlsplit(url)
    origin = _origin(url)
    what = f"cannot reach {origin}"
    if isinstance(reason, TimeoutError):
        return f"{what}: no answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return f"{what}: connection refused (is the registry running?)"
    if isinstance(reason, socket.gaierror):
        return f"{what}: unknown host {where.hostname!r}"
    if isinstance(reason, ssl.SSLError) or (
        where.scheme == "https" and isinstance(reason, ConnectionError)
    ):
        hint = ""
        if where.scheme == "https" and where.netloc == ref.api_host and not is_loopback(ref.host):
            hint = f"; if {ref.api_host} serves plain HTTP, pass --insecure-registry {ref.api_host}"
        return f"{what}: TLS failed ({getattr(reason, 'reason', None) or reason}){hint}"
    if isinstance(reason, http.client.RemoteDisconnected):
        return f"{origin} closed the connection without answering"
    if isinstance(reason, http.client.LineTooLong):
        return f"{origin} sent an over-long line ({reason})"
    if isinstance(reason, http.client.BadStatusLine):
        return f"{origin} did not answer in HTTP (it sent {str(reason.args[0])[:60]!r})"
    if isinstance(reason, http.client.IncompleteRead):
        return f"{origin}: the answer ended early ({reason})"
    if isinstance(reason, http.client.HTTPException):
        return f"{origin} sent a malformed HTTP answer ({reason})"
    if isinstance(reason, ConnectionError):
        return f"{origin} dropped the connection ({reason.strerror or reason})"
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
