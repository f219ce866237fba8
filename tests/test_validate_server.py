"""The ``server`` layer: responses into findings, and the client against a stand-in server.

The real API server is exercised by the end-to-end test (``make e2e``); here a small HTTP
server on loopback plays its part so that the client's requests can be checked exactly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from guestbook.validate.documents import read_documents
from guestbook.validate.kubeconfig import Credentials
from guestbook.validate.model import Document, Severity
from guestbook.validate.server import (
    ApiServer,
    Resource,
    Response,
    field_path,
    object_path,
    rejection_findings,
    server_findings,
)

GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: web
          image: ""
"""


def documents(tmp_path: Path, text: str) -> list[Document]:
    path = tmp_path / "manifest.yaml"
    path.write_text(text)
    docs, problems = read_documents(path)
    assert not problems
    return docs


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("spec.containers[0].image", ("spec", "containers", 0, "image")),
        (".spec.ports[1].nodePortt", ("spec", "ports", 1, "nodePortt")),
        ("metadata.labels[example.com/name]", ("metadata", "labels", "example.com/name")),
        ("", ()),
    ],
)  # fmt: skip
def test_field_path_reads_the_servers_field_notation(text: str, path: tuple[Any, ...]) -> None:
    assert field_path(text) == path


def test_each_cause_becomes_a_finding_at_its_field(tmp_path: Path) -> None:
    # Given a 422 naming the container image
    [doc] = documents(tmp_path, DEPLOYMENT)
    body = {
        "message": 'Deployment.apps "web" is invalid: [...]',
        "details": {
            "causes": [
                {"field": "spec.template.spec.containers[0].image", "message": "Required value"},
                {"field": "spec.selector", "message": "Required value"},
            ]
        },
    }
    # When it becomes findings
    findings = rejection_findings(doc, Response(422, body))
    # Then one error per cause, at the named field (spec.selector is absent: its parent)
    assert [(f.rule, f.severity, f.line) for f in findings] == [
        ("server", Severity.ERROR, 11),
        ("server", Severity.ERROR, 6),
    ]
    assert findings[0].message == (
        "API server: spec.template.spec.containers[0].image: Required value"
    )


def test_a_status_without_causes_is_one_finding_and_warnings_are_warnings(tmp_path: Path) -> None:
    [doc] = documents(tmp_path, DEPLOYMENT)
    findings = rejection_findings(
        doc, Response(400, {"message": "strict decoding error"}, ("apps/v1beta1 is deprecated",))
    )
    assert [(f.severity, f.message) for f in findings] == [
        (Severity.WARNING, "API server warning: apps/v1beta1 is deprecated"),
        (Severity.ERROR, "API server: strict decoding error"),
    ]
    assert rejection_findings(doc, Response(200, {})) == []


def test_object_path_uses_the_context_namespace_only_for_namespaced_kinds(tmp_path: Path) -> None:
    [doc] = documents(tmp_path, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n")
    assert object_path(doc, Resource("namespaces", False), "v1", "dev") == "/api/v1/namespaces/shop"
    [doc] = documents(tmp_path, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n")
    assert (
        object_path(doc, Resource("deployments", True), "apps/v1", "dev")
        == "/apis/apps/v1/namespaces/dev/deployments/web"
    )


class StandIn(BaseHTTPRequestHandler):
    """Serves apps/v1 discovery; refuses Deployments named 'bad'; records every request."""

    requests: ClassVar[list[tuple[str, str, str, Any]]] = []

    def _reply(self, status: int, body: dict[str, Any], warning: str = "") -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if warning:
            self.send_header("Warning", f'299 - "{warning}"')
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.requests.append(("GET", self.path, "", None))
        if self.path == "/apis/apps/v1":
            resources = [
                {"name": "deployments", "kind": "Deployment", "namespaced": True},
                {"name": "deployments/scale", "kind": "Scale", "namespaced": True},
            ]
            self._reply(200, {"resources": resources})
        else:
            self._reply(404, {"message": "not found"})

    def do_PATCH(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(("PATCH", self.path, self.headers["Content-Type"], body))
        if body["metadata"]["name"] == "bad":
            causes = [{"field": "spec.replicas", "message": "must be greater than or equal to 0"}]
            self._reply(422, {"message": "invalid", "details": {"causes": causes}})
        else:
            self._reply(200, body, warning="a friendly warning")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[str]:
    StandIn.requests = []
    server = HTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: good
spec:
  replicas: 1
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bad
spec:
  replicas: -1
---
apiVersion: apps/v1
kind: Deploymnet
metadata:
  name: typo
---
apiVersion: apps/v2
kind: Deployment
metadata:
  name: future
"""


def test_every_object_is_a_strict_dry_run_apply_and_refusals_are_findings(
    tmp_path: Path, stand_in: str
) -> None:
    # Given four objects: accepted, refused, an unknown kind, an unserved apiVersion
    docs = documents(tmp_path, MANIFESTS)
    api = ApiServer(Credentials(server=stand_in, namespace="shop", token="t0ken"))
    # When the server layer runs
    findings = server_findings(docs, api)
    # Then each gets its verdict, at the right line
    assert [(f.ref.name, f.severity, f.line, f.message) for f in findings] == [
        ("good", Severity.WARNING, 1, "API server warning: a friendly warning"),
        ("bad", Severity.ERROR, 13, "API server: spec.replicas: must be greater than or equal to 0"),  # noqa: E501
        ("typo", Severity.ERROR, 16, "API server serves no kind Deploymnet in apps/v1"),
        ("future", Severity.ERROR, 20, "API server does not serve apps/v2"),
    ]  # fmt: skip
    # And the applies were dry runs with strict field validation, one discovery per group
    patches = [r for r in StandIn.requests if r[0] == "PATCH"]
    assert [p[1].split("?")[0] for p in patches] == [
        "/apis/apps/v1/namespaces/shop/deployments/good",
        "/apis/apps/v1/namespaces/shop/deployments/bad",
    ]
    query = patches[0][1].split("?")[1]
    assert set(query.split("&")) == {
        "dryRun=All",
        "fieldManager=guestbook-validate",
        "fieldValidation=Strict",
        "force=true",
    }
    assert patches[0][2] == "application/apply-patch+yaml"
    assert patches[0][3]["spec"] == {"replicas": 1}
    gets = [r[1] for r in StandIn.requests if r[0] == "GET"]
    assert gets == ["/apis/apps/v1", "/apis/apps/v2"]


def test_cli_server_option_reports_server_findings(tmp_path: Path, stand_in: str) -> None:
    # Given a kubeconfig for the stand-in and a manifest it refuses
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "current-context": "c",
                "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
                "clusters": [{"name": "k", "cluster": {"server": stand_in}}],
                "users": [{"name": "u", "user": {"token": "t0ken"}}],
            }
        )
    )
    manifest = tmp_path / "bad.yaml"
    manifest.write_text(MANIFESTS.split("---\n")[1])
    # When validating with --server
    run = subprocess.run(
        [GUESTBOOK, "validate", "--server", str(kubeconfig), str(manifest)],
        capture_output=True,
        text=True,
        check=False,
    )
    # Then exit 1 with the server's finding next to the offline ones
    assert run.returncode == 1, run.stderr
    assert "bad.yaml:6: error [server] Deployment/bad: API server: spec.replicas:" in run.stdout


def test_cli_server_option_unreachable_exits_2(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
        "clusters: [{name: k, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {}}]\n"
    )
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    run = subprocess.run(
        [GUESTBOOK, "validate", "--server", str(kubeconfig), str(manifest)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert "error: cannot reach the API server http://127.0.0.1:9" in run.stderr
    assert "Traceback" not in run.stderr
