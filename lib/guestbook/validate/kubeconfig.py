"""Read a kubeconfig: which API server, and how to authenticate (for ``--server``).

Supported: the current context's cluster (``server``, ``certificate-authority`` or its
``-data``, ``insecure-skip-tls-verify``) and user (client certificate
and key, files or ``-data``; ``token`` or ``tokenFile``; an ``exec`` credential plugin).
Legacy ``auth-provider`` plugins, username/password and ``tls-server-name`` are not.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from guestbook.errors import GuestbookError


@dataclass(frozen=True)
class Credentials:
    """How to reach and authenticate to one API server. PEM bytes, never file names."""

    server: str
    """https://host:port, without a trailing slash."""
    namespace: str = "default"
    """The context's namespace: where objects without one are checked."""
    ca: bytes | None = None
    insecure: bool = False
    client_cert: bytes | None = None
    client_key: bytes | None = None
    token: str = ""


def load(path: Path) -> Credentials:
    """The current context of the kubeconfig at ``path``."""
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise GuestbookError(f"{path}: cannot read kubeconfig: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise GuestbookError(f"{path}: not a kubeconfig (invalid YAML): {err}") from None
    if not isinstance(config, Mapping):
        raise GuestbookError(f"{path}: not a kubeconfig")
    return from_config(config, base=path.parent)


def _named(config: Mapping[str, Any], section: str, name: str, path_hint: str) -> Any:
    for entry in config.get(section) or ():
        if isinstance(entry, Mapping) and entry.get("name") == name:
            return entry.get(section.rstrip("s")) or {}
    raise GuestbookError(f"kubeconfig: no {section.rstrip('s')} named {name!r} ({path_hint})")


def from_config(config: Mapping[str, Any], base: Path) -> Credentials:
    """Credentials of the current context; relative file names are relative to ``base``."""
    current = config.get("current-context")
    if not current:
        raise GuestbookError("kubeconfig: no current-context")
    context = _named(config, "contexts", str(current), "current-context")
    cluster = _named(config, "clusters", str(context.get("cluster", "")), "context's cluster")
    user = _named(config, "users", str(context.get("user", "")), "context's user")
    server = str(cluster.get("server") or "").rstrip("/")
    if not server.startswith(("https://", "http://")):
        raise GuestbookError(f"kubeconfig: cluster server {server!r} is not an http(s) URL")
    if cluster.get("tls-server-name"):
        raise GuestbookError("kubeconfig: tls-server-name is not supported")
    if user.get("auth-provider") or user.get("username"):
        raise GuestbookError(
            "kubeconfig: auth-provider and username/password users are not supported; "
            "use client certificates, a token or an exec plugin"
        )
    cert = _pem(user, "client-certificate", base)
    key = _pem(user, "client-key", base)
    token = str(user.get("token") or "")
    if user.get("tokenFile"):
        token = _read(base / str(user["tokenFile"])).decode().strip()
    if user.get("exec"):
        token, cert, key = _exec_plugin(user["exec"], token, cert, key)
    return Credentials(
        server=server,
        namespace=str(context.get("namespace") or "default"),
        ca=_pem(cluster, "certificate-authority", base),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        client_cert=cert,
        client_key=key,
        token=token,
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise GuestbookError(f"kubeconfig: cannot read {path}: {err.strerror}") from None


def _pem(section: Mapping[str, Any], key: str, base: Path) -> bytes | None:
    """``<key>-data`` (base64) or the file ``<key>`` names."""
    data = section.get(f"{key}-data")
    if data:
        return base64.b64decode(str(data))
    name = section.get(key)
    return _read(base / str(name)) if name else None


def _exec_plugin(
    spec: Mapping[str, Any], token: str, cert: bytes | None, key: bytes | None
) -> tuple[str, bytes | None, bytes | None]:
    """Run a client-go credential plugin and take its token or client certificate."""
    argv = [str(spec.get("command", "")), *(str(a) for a in spec.get("args") or ())]
    env = {**os.environ, **{str(e["name"]): str(e["value"]) for e in spec.get("env") or ()}}
    request = {
        "apiVersion": spec.get("apiVersion", "client.authentication.k8s.io/v1"),
        "kind": "ExecCredential",
        "spec": {"interactive": False},
    }
    env["KUBERNETES_EXEC_INFO"] = json.dumps(request)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    except OSError as err:
        raise GuestbookError(f"kubeconfig: cannot run exec plugin {argv[0]!r}: {err}") from None
    if proc.returncode != 0:
        raise GuestbookError(
            f"kubeconfig: exec plugin {argv[0]!r} failed ({proc.returncode}): {proc.stderr.strip()}"
        )
    try:
        status = json.loads(proc.stdout).get("status") or {}
    except (ValueError, AttributeError):
        raise GuestbookError(f"kubeconfig: exec plugin {argv[0]!r} printed no JSON") from None
    if status.get("token"):
        token = str(status["token"])
    if status.get("clientCertificateData"):
        cert = str(status["clientCertificateData"]).encode()
        key = str(status.get("clientKeyData", "")).encode()
    return token, cert, key
