"""Layer ``server``: ask a real API server about every object (``guestbook validate --server``).

Each document is sent as a server-side apply with ``dryRun=All`` and strict field
validation, exactly what ``kubectl apply --server-side --dry-run=server`` sends: the API
server runs defaulting, validation and admission (webhooks included) and persists nothing.
What it refuses becomes a finding with rule id ``server``, at the field the server names
when it names one; its ``Warning`` headers (deprecated APIs, for instance) become warnings.

The edge is :class:`ApiServer` (HTTP, standard library only); turning a response into
findings is pure (:func:`rejection_findings`, :func:`field_path`).
"""

from __future__ import annotations

import json
import re
import ssl
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guestbook.errors import GuestbookError
from guestbook.validate.kubeconfig import Credentials
from guestbook.validate.model import Document, Finding, Severity

RULE = "server"
FIELD_MANAGER = "guestbook-validate"
HINT = "the API server refuses this object as written; a sync of it would fail"


@dataclass(frozen=True)
class Response:
    """An API server's answer: status code, parsed JSON body and Warning headers."""

    status: int
    body: Mapping[str, Any]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resource:
    """Where a kind lives in the API."""

    plural: str
    namespaced: bool


@dataclass
class ApiServer:
    """A minimal API client: discovery and dry-run applies (the network edge)."""

    credentials: Credentials
    timeout: float = 30.0
    _resources: dict[str, dict[str, Resource] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._context = self._ssl_context()

    def _ssl_context(self) -> ssl.SSLContext | None:
        creds = self.credentials
        if not creds.server.startswith("https://"):
            return None
        context = ssl.create_default_context()
        if creds.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif creds.ca:
            context.load_verify_locations(cadata=creds.ca.decode())
        if creds.client_cert and creds.client_key:
            # ssl wants files; they live only as long as loading them takes.
            with tempfile.TemporaryDirectory(prefix="guestbook-kube-") as tmp:
                cert, key = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
                cert.write_bytes(creds.client_cert)
                key.touch(mode=0o600)
                key.write_bytes(creds.client_key)
                context.load_cert_chain(cert, key)
        return context

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> Response:
        """One request; connection problems and rejected credentials raise GuestbookError."""
        req = urllib.request.Request(self.credentials.server + path, data=body, method=method)
        req.add_header("Accept", "application/json")
        if content_type:
            req.add_header("Content-Type", content_type)
        if self.credentials.token:
            req.add_header("Authorization", f"Bearer {self.credentials.token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self._context) as resp:
                status, raw, headers = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as err:
            status, raw, headers = err.code, err.read(), err.headers
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise GuestbookError(
                f"cannot reach the API server {self.credentials.server}: {reason}"
            ) from None
        if status == 401:
            raise GuestbookError(
                f"the API server {self.credentials.server} refused the credentials"
            )
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"message": raw.decode(errors="replace").strip()}
        warnings = tuple(_warning_text(w) for w in headers.get_all("Warning") or ())
        return Response(status, parsed if isinstance(parsed, Mapping) else {}, warnings)

    def resources(self, api_version: str) -> dict[str, Resource] | None:
        """Kind -> resource for one group/version, or None when the server does not serve it."""
        if api_version not in self._resources:
            prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            response = self.request("GET", prefix)
            if response.status == 404:
                self._resources[api_version] = None
            elif response.status != 200:
                raise GuestbookError(
                    f"API discovery of {api_version} failed ({response.status}): "
                    f"{response.body.get('message', '')}"
                )
            else:
                self._resources[api_version] = {
                    str(r["kind"]): Resource(str(r["name"]), bool(r.get("namespaced")))
                    for r in response.body.get("resources", ())
                    if "/" not in str(r.get("name", ""))  # not subresources
                }
        return self._resources[api_version]

    def dry_run_apply(self, path: str, obj: Mapping[str, Any]) -> Response:
        """Server-side apply of ``obj`` at ``path`` with dryRun=All and strict fields."""
        query = urllib.parse.urlencode(
            {
                "dryRun": "All",
                "fieldManager": FIELD_MANAGER,
                "fieldValidation": "Strict",
                "force": "true",
            }
        )
        body = json.dumps(obj, default=str).encode()
        return self.request("PATCH", f"{path}?{query}", body, "application/apply-patch+yaml")


def _warning_text(header: str) -> str:
    """The text of an RFC 7234 Warning header (``299 - "text"``)."""
    match = re.match(r'^\d{3} \S+ "(.*)"', header)
    return match.group(1).replace('\\"', '"') if match else header


def object_path(doc: Document, resource: Resource, api_version: str, default_namespace: str) -> str:
    """The URL path of the object ``doc`` describes."""
    prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    name = urllib.parse.quote(doc.ref.name, safe="")
    if resource.namespaced:
        namespace = urllib.parse.quote(doc.ref.namespace or default_namespace, safe="")
        return f"{prefix}/namespaces/{namespace}/{resource.plural}/{name}"
    return f"{prefix}/{resource.plural}/{name}"


_FIELD_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]|\[([^\]]*)\]")


def field_path(text: str) -> tuple[str | int, ...]:
    """``spec.containers[0].image`` -> ``("spec", "containers", 0, "image")``."""
    parts: list[str | int] = []
    for name, index, key in _FIELD_TOKEN.findall(text.lstrip(".")):
        if index:
            parts.append(int(index))
        else:
            parts.append(name or key)
    return tuple(parts)


def rejection_findings(doc: Document, response: Response) -> list[Finding]:
    """Findings for one answer: one per cause the server names, else one for its message."""
    findings = [
        Finding.at(doc, RULE, f"API server warning: {w}", severity=Severity.WARNING, hint=HINT)
        for w in response.warnings
    ]
    if 200 <= response.status < 300:
        return findings
    body = response.body
    message = str(body.get("message") or f"HTTP {response.status}")
    causes = (body.get("details") or {}).get("causes") or ()
    for cause in causes:
        text = str(cause.get("message") or cause.get("reason") or message)
        where = str(cause.get("field") or "")
        findings.append(
            Finding.at(
                doc,
                RULE,
                f"API server: {where + ': ' if where else ''}{text}",
                field_path=field_path(where),
                hint=HINT,
            )
        )
    if not causes:
        findings.append(Finding.at(doc, RULE, f"API server: {message}", hint=HINT))
    return findings


def server_findings(documents: Iterable[Document], api: ApiServer) -> list[Finding]:
    """Every finding of the server layer over ``documents``."""
    findings: list[Finding] = []
    for doc in documents:
        findings.extend(_check(doc, api))
    return findings


def _check(doc: Document, api: ApiServer) -> Sequence[Finding]:
    api_version, kind = doc.api_version, doc.ref.kind
    if not api_version or not kind:
        return [Finding.at(doc, RULE, "no apiVersion or kind: the API server cannot take it")]
    resources = api.resources(api_version)
    if resources is None:
        return [
            Finding.at(
                doc,
                RULE,
                f"API server does not serve {api_version}",
                field_path=("apiVersion",),
                hint="use an apiVersion this cluster serves, or install its CRD",
            )
        ]
    resource = resources.get(kind)
    if resource is None:
        return [
            Finding.at(
                doc,
                RULE,
                f"API server serves no kind {kind} in {api_version}",
                field_path=("kind",),
                hint="check the kind's spelling and group, or install its CRD",
            )
        ]
    if not doc.ref.name:
        return [
            Finding.at(
                doc, RULE, "no metadata.name: it cannot be applied", field_path=("metadata",)
            )
        ]
    path = object_path(doc, resource, api_version, api.credentials.namespace)
    return rejection_findings(doc, api.dry_run_apply(path, doc.obj))
