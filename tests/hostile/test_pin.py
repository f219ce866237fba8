"""`guestbook pin` against registries that lie, stall or are not registries at all.

Each server here is a small socket server on loopback, scripted per test: it answers
what a captive portal, a broken proxy or a hostile registry would. Every case must end
with exit code 2, one message and no traceback, and the overlay untouched; or, where
the registry's answer is sound after all, with the right digest.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.oci_registry import running_registry

GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))
REPOSITORY = "guestbook/web"
TAG = "v1"
MANIFEST_PATH = f"/v2/{REPOSITORY}/manifests/{TAG}"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + "0" * 64,
            "size": 2,
        },
        "layers": [],
    }
).encode()
MANIFEST_DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
STOP_TIMEOUT = 5.0
"""How long a stopping server waits for each of its threads."""
RUN_TIMEOUT = 30.0
"""Bound on one `guestbook pin` run; the cases set --timeout far below it."""


# --- a scripted server on loopback ----------------------------------------------------


@dataclass
class Exchange:
    """One connection to the server: the request read from it, and ways to answer."""

    sock: socket.socket
    stopping: threading.Event
    gone: threading.Event
    """Set when the client hung up while this server was still sending."""
    method: str = ""
    path: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def send(self, data: bytes) -> bool:
        """Send ``data``; False once the client has gone."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            self.gone.set()
            return False

    def reply(
        self,
        status: int,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        *,
        length: int | None = None,
    ) -> None:
        """An HTTP/1.1 answer; ``length`` overrides the Content-Length that ``body`` has."""
        lines = [f"HTTP/1.1 {status} Scripted", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        lines.append(f"Content-Length: {len(body) if length is None else length}")
        head = "\r\n".join(lines).encode() + b"\r\n\r\n"
        self.send(head + (b"" if self.method == "HEAD" else body))

    def drip(self, data: bytes, every: float) -> bool:
        """Send ``data`` a byte at a time, ``every`` seconds apart; False once the client
        has gone (or the server stops) before the end."""
        for i in range(len(data)):
            if self.stopping.wait(every) or not self.send(data[i : i + 1]):
                return False
        return True


Handler = Callable[[Exchange], None]


@dataclass
class ScriptedServer:
    """A loopback TCP server: ``host`` is its ``127.0.0.1:PORT``; ``requests`` what it was asked."""

    host: str
    requests: list[str]
    gone: threading.Event
    """Set when a client hung up while the server was still sending."""


def _read_request(exchange: Exchange) -> None:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = exchange.sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, _ = data.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    exchange.method, exchange.path, *_ = [*request_line.split(" "), "", ""]
    for line in header_lines:
        name, _, value = line.partition(":")
        exchange.headers[name.strip().lower()] = value.strip()


@contextmanager
def serving(handler: Handler, *, raw: bool = False) -> Iterator[ScriptedServer]:
    """Serve ``handler`` on 127.0.0.1 (one thread per connection) until the block ends.

    Unless ``raw``, the request head is read first. Every thread is joined on exit."""
    stopping = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    server = ScriptedServer(
        host=f"127.0.0.1:{listener.getsockname()[1]}", requests=[], gone=threading.Event()
    )
    threads: list[threading.Thread] = []
    connections: list[socket.socket] = []

    def handle(conn: socket.socket) -> None:
        exchange = Exchange(conn, stopping, server.gone)
        try:
            if not raw:
                _read_request(exchange)
                server.requests.append(f"{exchange.method} {exchange.path}")
            handler(exchange)
        except OSError:
            pass  # the client hung up while the request was read, or the server stopped
        finally:
            conn.close()  # every answer ends with the connection, as "Connection: close" says

    def accept() -> None:
        while not stopping.is_set() and len(threads) < 64:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(STOP_TIMEOUT)
            connections.append(conn)
            thread = threading.Thread(target=handle, args=(conn,), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        stopping.set()
        acceptor.join(STOP_TIMEOUT)
        for conn in connections:
            conn.close()  # wakes a handler blocked in recv
        for thread in threads:
            thread.join(STOP_TIMEOUT)
        listener.close()
        assert not acceptor.is_alive() and not any(t.is_alive() for t in threads)


def registry(head: Handler | None = None, get: Handler | None = None, **paths: Handler) -> Handler:
    """A handler that routes the manifest's HEAD and GET, and other paths by name
    (``token=`` serves ``/token``); anything else gets 404."""

    def route(exchange: Exchange) -> None:
        path = exchange.path.split("?", 1)[0]
        if path == MANIFEST_PATH and exchange.method == "HEAD" and head:
            head(exchange)
        elif path == MANIFEST_PATH and exchange.method == "GET" and get:
            get(exchange)
        elif path.strip("/") in paths:
            paths[path.strip("/")](exchange)
        else:
            exchange.reply(404, {"Content-Type": "application/json"}, b'{"errors":[]}')

    return route


def answer(
    status: int, headers: Mapping[str, str] | None = None, body: bytes = b"", **kw: int
) -> Handler:
    """A handler that always gives the same answer."""
    return lambda exchange: exchange.reply(status, headers, body, **kw)


def manifest(body: bytes = MANIFEST, media_type: str = OCI_MANIFEST, **headers: str) -> Handler:
    """A handler serving ``body`` as a manifest of ``media_type``, with extra headers."""
    return answer(200, {"Content-Type": media_type, **headers}, body)


NO_DIGEST_HEAD = manifest(MANIFEST)
"""HEAD 200 with a Content-Type but without Docker-Content-Digest (the GET must decide)."""


# --- running pin -----------------------------------------------------------------------


@dataclass
class Project:
    """A folder with environments/test.yaml pinning one image at ``host``."""

    root: Path
    overlay: Path
    before: bytes

    def pin(self, *args: str, timeout: float = 10) -> subprocess.CompletedProcess[str]:
        command = [GUESTBOOK, "pin", "test", "--image-key", "frontend.image"]
        return subprocess.run(
            [*command, "--timeout", f"{timeout:g}", *args],
            cwd=self.root,
            env={k: v for k, v in os.environ.items() if k != "GUESTBOOK_ENVIRONMENTS_DIR"},
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )

    def assert_refused(self, result: subprocess.CompletedProcess[str], *fragments: str) -> None:
        """Exit 2, one error message holding every fragment, no traceback, nothing written."""
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("error: environments/test.yaml: frontend.image: "), (
            result.stderr
        )
        assert result.stderr.count("\n") == 1, result.stderr
        for fragment in fragments:
            assert fragment in result.stderr
        assert result.stdout == ""
        assert self.overlay.read_bytes() == self.before


def project(tmp_path: Path, host: str) -> Project:
    environments = tmp_path / "environments"
    environments.mkdir(parents=True)
    overlay = environments / "test.yaml"
    overlay.write_text(f"frontend:\n  image: {host}/{REPOSITORY}:{TAG}  # the web tier\n")
    return Project(tmp_path, overlay, overlay.read_bytes())


# --- the cases ---------------------------------------------------------------------------


def _json(document: object) -> bytes:
    return json.dumps(document).encode()


def _portal(exchange: Exchange) -> None:
    page = b"<html><body>Please log in to the hotel wifi</body></html>"
    exchange.reply(200, {"Content-Type": "text/html; charset=utf-8"}, page)


def _self_url(exchange: Exchange, path: str) -> str:
    return f"http://{exchange.headers['host']}{path}"


def _redirect_to_itself(exchange: Exchange) -> None:
    exchange.reply(302, {"Location": _self_url(exchange, exchange.path)})


def _challenge(value: str) -> Handler:
    return answer(401, {"WWW-Authenticate": value, "Content-Type": "application/json"}, b"{}")


def _challenge_here(exchange: Exchange) -> None:
    realm = _self_url(exchange, "/token")
    _challenge(f'Bearer realm="{realm}",service="scripted"')(exchange)


def _raw(data: bytes) -> Handler:
    return lambda exchange: exchange.send(data)


def _hang_up(exchange: Exchange) -> None:
    exchange.sock.shutdown(socket.SHUT_RDWR)


def _endless_headers(exchange: Exchange) -> None:
    # a valid status line, then header bytes one at a time, never finishing
    exchange.send(b"HTTP/1.1 200 OK\r\n")
    exchange.drip(b"X-Slow: " + b"z" * 10_000, every=0.5)


def _slow_body(exchange: Exchange) -> None:
    exchange.send(
        f"HTTP/1.1 200 OK\r\nContent-Type: {OCI_MANIFEST}\r\n"
        f"Content-Length: {len(MANIFEST)}\r\n\r\n".encode()
    )
    exchange.drip(MANIFEST, every=0.5)


def _endless_body(exchange: Exchange) -> None:
    # no Content-Length: the body runs until the server closes, here after 64 MiB
    exchange.send(f"HTTP/1.1 200 OK\r\nContent-Type: {OCI_MANIFEST}\r\n\r\n".encode())
    block = b" " * 65536
    for _ in range(1024):
        if exchange.stopping.is_set() or not exchange.send(block):
            return


def _endless_redirect(exchange: Exchange) -> None:
    # a redirect whose body (no Content-Length) runs until the client hangs up
    exchange.send(b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n\r\n")
    while not exchange.stopping.is_set() and exchange.send(b" " * 65536):
        pass


def _endless_continue(exchange: Exchange) -> None:
    # interim 100 Continue answers, never a final one, until the client hangs up (or 30 s)
    block = b"HTTP/1.1 100 Continue\r\n\r\n" * 1000
    stop = time.monotonic() + 30
    while time.monotonic() < stop and not exchange.stopping.is_set():
        if not exchange.send(block):
            return


def _manifest_written_as(rest: bytes) -> Handler:
    """A registry whose GET answer is a 200 with a manifest Content-Type, then ``rest``
    (the other headers and the body) as raw bytes."""
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {OCI_MANIFEST}\r\n".encode()
    return registry(head=NO_DIGEST_HEAD, get=_raw(head + rest))


def _many_headers(exchange: Exchange) -> None:
    headers = "".join(f"X-Header-{i}: {i}\r\n" for i in range(200))
    exchange.send(f"HTTP/1.1 200 OK\r\n{headers}Content-Length: 0\r\n\r\n".encode())


def _long_header(exchange: Exchange) -> None:
    exchange.send(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")


MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_BODY = json.loads(MANIFEST)

REFUSED: dict[str, tuple[Handler, tuple[str, ...]]] = {
    "captive portal": (
        registry(head=answer(200, {"Content-Type": "text/html"}), get=_portal),
        ("text/html", "not a manifest"),
    ),
    "truncated body": (
        registry(
            head=NO_DIGEST_HEAD,
            get=answer(200, {"Content-Type": OCI_MANIFEST}, MANIFEST[:5], length=1000),
        ),
        ("ended after 5 of 1000 bytes",),
    ),
    "no Content-Type": (
        registry(head=answer(200), get=answer(200, {}, MANIFEST)),
        ("no Content-Type", "not a manifest"),
    ),
    "schema 1 manifest": (
        registry(
            head=answer(200),
            get=manifest(media_type="application/vnd.docker.distribution.manifest.v1+prettyjws"),
        ),
        ("manifest.v1+prettyjws", "not a manifest"),
    ),
    "body not JSON": (
        registry(head=NO_DIGEST_HEAD, get=manifest(b"<html>surprise</html>")),
        ("not JSON",),
    ),
    "body a JSON list": (
        registry(head=NO_DIGEST_HEAD, get=manifest(b"[]")),
        ("not a JSON object",),
    ),
    "wrong schemaVersion": (
        registry(head=NO_DIGEST_HEAD, get=manifest(_json({**OCI_BODY, "schemaVersion": 1}))),
        ("schemaVersion 1", "expected 2"),
    ),
    "body mediaType differs from Content-Type": (
        registry(head=NO_DIGEST_HEAD, get=manifest(_json({**OCI_BODY, "mediaType": OCI_INDEX}))),
        (f"mediaType {OCI_INDEX!r}", OCI_MANIFEST),
    ),
    "Docker manifest without mediaType": (
        registry(
            head=NO_DIGEST_HEAD,
            get=manifest(
                _json({k: v for k, v in OCI_BODY.items() if k != "mediaType"}), DOCKER_MANIFEST
            ),
        ),
        ("no mediaType",),
    ),
    "index without manifests": (
        registry(
            head=NO_DIGEST_HEAD,
            get=manifest(_json({"schemaVersion": 2, "mediaType": MANIFEST_LIST}), MANIFEST_LIST),
        ),
        ("'manifests'",),
    ),
    "manifest without layers": (
        registry(
            head=NO_DIGEST_HEAD,
            get=manifest(_json({k: v for k, v in OCI_BODY.items() if k != "layers"})),
        ),
        ("'layers'",),
    ),
    "digest header of other bytes": (
        registry(
            head=NO_DIGEST_HEAD,
            get=manifest(**{"Docker-Content-Digest": "sha256:" + "0" * 64}),
        ),
        ("sha256:" + "0" * 64, f"hashes to {MANIFEST_DIGEST}"),
    ),
    "digest header in sha512 of other bytes": (
        registry(
            head=NO_DIGEST_HEAD,
            get=manifest(**{"Docker-Content-Digest": "sha512:" + "0" * 128}),
        ),
        ("sha512:" + "0" * 128, "not pinning"),
    ),
    "digest header of an unknown algorithm": (
        registry(
            head=manifest(**{"Docker-Content-Digest": "md5:" + "0" * 32}),
            get=manifest(**{"Docker-Content-Digest": "md5:" + "0" * 32}),
        ),
        ("Docker-Content-Digest", "'md5:" + "0" * 32 + "'"),
    ),
    "digest header with malformed hex": (
        registry(
            head=manifest(**{"Docker-Content-Digest": "sha256:" + "G" * 64}),
            get=manifest(**{"Docker-Content-Digest": "sha256:" + "G" * 64}),
        ),
        ("Docker-Content-Digest", "'sha256:" + "G" * 64 + "'"),
    ),
    "gigantic Content-Length": (
        registry(
            head=NO_DIGEST_HEAD, get=answer(200, {"Content-Type": OCI_MANIFEST}, length=10**12)
        ),
        ("larger than 4 MiB",),
    ),
    "endless body": (
        registry(head=NO_DIGEST_HEAD, get=_endless_body),
        ("larger than 4 MiB",),
    ),
    "not HTTP": (_raw(b"SSH-2.0-OpenSSH_9.6\r\n"), ("did not answer in HTTP", "SSH-2.0")),
    "hangs up at once": (_hang_up, ("closed the connection without answering",)),
    "a header line too long": (_long_header, ("over-long line", "header line")),
    "too many headers": (_many_headers, ("more than 100 headers",)),
    "a body that trickles": (
        registry(head=NO_DIGEST_HEAD, get=_slow_body),
        ("no answer within 1 s",),
    ),
    "endless 100 Continue": (
        _endless_continue,
        ("no answer within 1 s",),
    ),
    "malformed Content-Length": (
        _manifest_written_as(b"Content-Length: lots\r\n\r\n" + MANIFEST),
        ("malformed Content-Length 'lots'",),
    ),
    "chunked body with a bad chunk size": (
        _manifest_written_as(b'Transfer-Encoding: chunked\r\n\r\n4\r\n{"sc\r\nzz\r\n'),
        ("ended early",),
    ),
    "token with a line break (header injection)": (
        registry(head=_challenge_here, token=answer(200, {}, b'{"token": "t\\r\\nX-Evil: 1"}')),
        ("malformed token",),
    ),
    "token with non-ASCII characters": (
        registry(head=_challenge_here, token=answer(200, {}, _json({"token": "t\u2603"}))),
        ("malformed token",),
    ),
    "redirect loop through a non-ASCII URL": (
        _raw(b"HTTP/1.1 302 Found\r\nLocation: /v2/caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n"),
        ("redirected more than 5 times",),
    ),
    "redirect loop": (_redirect_to_itself, ("redirect",)),
    "redirect to plain HTTP off this machine": (
        answer(307, {"Location": f"http://registry.example/v2/{REPOSITORY}/manifests/{TAG}"}),
        ("http://registry.example/", "plain HTTP"),
    ),
    "redirect to another scheme": (
        answer(302, {"Location": "file:///etc/passwd"}),
        ("redirect",),
    ),
    "401 after every token": (
        registry(
            head=_challenge_here,
            get=_challenge_here,
            token=answer(200, {"Content-Type": "application/json"}, b'{"token": "t"}'),
        ),
        ("access denied", "HTTP 401"),
    ),
    "token endpoint answers HTML": (
        registry(head=_challenge_here, token=_portal),
        ("answered without a token",),
    ),
    "token endpoint answers a JSON list": (
        registry(head=_challenge_here, token=answer(200, {}, b"[1, 2]")),
        ("answered without a token",),
    ),
    "token endpoint refuses": (
        registry(head=_challenge_here, token=answer(403)),
        ("refused anonymous access", "HTTP 403"),
    ),
    "Basic challenge": (
        _challenge('Basic realm="registry"'),
        ("wants credentials", "basic"),
    ),
    "Bearer challenge without realm": (
        _challenge('Bearer service="registry"'),
        ("names no token service",),
    ),
    "realm not a URL": (_challenge('Bearer realm="somewhere"'), ("'somewhere'", "token")),
    "realm of another scheme": (
        _challenge('Bearer realm="file:///etc/passwd"'),
        ("'file:///etc/passwd'", "token"),
    ),
    "realm without a host": (_challenge('Bearer realm="https:///token"'), ("no host",)),
    "realm with a broken IPv6 host": (
        _challenge('Bearer realm="http://[::1/token"'),
        ("'http://[::1/token'",),
    ),
    "realm with a port out of range": (
        _challenge('Bearer realm="http://127.0.0.1:99999/token"'),
        ("'http://127.0.0.1:99999/token'",),
    ),
    "realm with a space": (
        _challenge('Bearer realm="http://127.0.0.1/to ken"'),
        ("spaces or control characters",),
    ),
    "realm on plain HTTP off this machine": (
        _challenge('Bearer realm="http://auth.example/token"'),
        ("'http://auth.example/token'", "https"),
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_answers_that_are_not_a_sound_manifest_are_refused(tmp_path: Path, case: str) -> None:
    # Given a server on loopback that answers the way the case says
    handler, fragments = REFUSED[case]
    with serving(handler) as server:
        pinning = project(tmp_path, server.host)
        # When pin asks it for the image's digest (with a one-second deadline where the case
        # is about the deadline; the others are over long before theirs)
        deadline = any("no answer within 1 s" in fragment for fragment in fragments)
        result = pinning.pin(timeout=1 if deadline else 10)
    # Then pin exits 2 with one message saying what was wrong, and the overlay is untouched
    pinning.assert_refused(result, *fragments)


def test_deadline_covers_the_whole_request(tmp_path: Path) -> None:
    # Given a server that sends a byte every half second and would take over an hour
    with serving(_endless_headers) as server:
        pinning = project(tmp_path, server.host)
        # When pin runs with a one-second deadline
        result = pinning.pin(timeout=1)
        # Then it hung up on the server (which saw it go) and said why
        assert server.gone.wait(STOP_TIMEOUT)
    pinning.assert_refused(result, f"cannot reach http://{server.host}: no answer within 1 s")


# --- sound answers that look odd -----------------------------------------------------------

GOOD: dict[str, Handler] = {
    "HEAD digest malformed, GET sound": registry(
        head=manifest(**{"Docker-Content-Digest": "sha256:nothex"}), get=manifest()
    ),
    "HEAD digest without a manifest Content-Type": registry(
        head=answer(200, {"Docker-Content-Digest": "sha256:" + "0" * 64}), get=manifest()
    ),
    "GET digest header in sha512": registry(
        head=NO_DIGEST_HEAD,
        get=manifest(**{"Docker-Content-Digest": "sha512:" + hashlib.sha512(MANIFEST).hexdigest()}),
    ),
    "Content-Type with parameters": registry(
        head=NO_DIGEST_HEAD, get=manifest(media_type=f"{OCI_MANIFEST}; charset=utf-8")
    ),
    "redirect whose body never ends": registry(
        head=NO_DIGEST_HEAD, get=_endless_redirect, elsewhere=manifest()
    ),
    "redirect to another path on the same server": registry(
        head=answer(307, {"Location": "/elsewhere"}),
        get=answer(307, {"Location": "/elsewhere"}),
        elsewhere=manifest(),
    ),
}


@pytest.mark.parametrize("case", GOOD)
def test_sound_answers_are_pinned_to_the_digest_of_the_manifest(tmp_path: Path, case: str) -> None:
    # Given a server whose answer is unusual but carries a sound manifest
    with serving(GOOD[case]) as server:
        pinning = project(tmp_path, server.host)
        # When pin runs
        result = pinning.pin()
    # Then the overlay has the manifest's sha256, and the comment stayed
    assert result.returncode == 0, result.stderr
    assert pinning.overlay.read_text() == (
        f"frontend:\n  image: {server.host}/{REPOSITORY}:{TAG}@{MANIFEST_DIGEST} # the web tier\n"
    )


def test_manifests_as_go_containerregistry_serves_them_are_pinned(tmp_path: Path) -> None:
    # Given an image and an index as the real registry serves them (crane builds both)
    with running_registry(tmp_path / "registry") as real:
        real.push_image("guestbook/web", "amd64", "web for amd64")
        real.push_image("guestbook/web", "arm64", "web for arm64")
        real.push_index("guestbook/web", "v1", "amd64", "arm64")
        served: dict[str, tuple[bytes, str]] = {}
        for tag in ("amd64", "v1"):
            served[tag] = (real.manifest("guestbook/web", tag), real.digest("guestbook/web", tag))
    for tag, (body, digest) in served.items():
        # When a registry without digest headers serves those bytes for the tag
        media_type = json.loads(body)["mediaType"]
        with serving(registry(head=answer(200), get=manifest(body, media_type))) as server:
            pinning = project(tmp_path / tag, server.host)
            result = pinning.pin()
        # Then each passes the manifest checks and is pinned to the real registry's digest
        assert result.returncode == 0, result.stderr
        assert f"@{digest} " in pinning.overlay.read_text()


# --- TLS -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tls_server", "fragments"),
    [
        (_raw(b"HTTP/1.1 400 Bad Request\r\n\r\nthis is plain text, not TLS\r\n"), ("TLS",)),
        (_hang_up, ("TLS",)),
        (lambda exchange: exchange.stopping.wait(RUN_TIMEOUT), ("no answer within 3 s",)),
    ],
    ids=["plain text to a TLS client", "closes during the handshake", "silent in the handshake"],
)
def test_token_service_whose_tls_fails(
    tmp_path: Path, tls_server: Handler, fragments: tuple[str, ...]
) -> None:
    # Given a registry whose token service is https on loopback, where TLS cannot succeed
    with serving(tls_server, raw=True) as tls:
        challenge = _challenge(f'Bearer realm="https://{tls.host}/token",service="scripted"')
        with serving(challenge) as server:
            pinning = project(tmp_path, server.host)
            # When pin asks for a token there
            result = pinning.pin(timeout=3)
    # Then it says TLS failed, and names where
    pinning.assert_refused(result, f"cannot reach https://{tls.host}", *fragments)


@pytest.mark.parametrize("timeout", ["inf", "1e300", "nan", "0", "-1", "soon"])
def test_timeouts_that_are_no_deadline_are_usage_errors(tmp_path: Path, timeout: str) -> None:
    # Given an overlay (no registry needed: the value is refused first)
    pinning = project(tmp_path, "127.0.0.1:9")
    # When --timeout is not a number of seconds from 0.1 to an hour
    result = subprocess.run(
        [GUESTBOOK, "pin", "test", "--timeout", timeout],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "GUESTBOOK_ENVIRONMENTS_DIR"},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    # Then it is a usage error naming the option, and nothing is written
    assert result.returncode == 2, result.stderr
    assert "--timeout" in result.stderr
    assert "Traceback" not in result.stderr
    assert pinning.overlay.read_bytes() == pinning.before
