"""Reading a kubeconfig for ``guestbook validate --server``."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from guestbook.errors import GuestbookError
from guestbook.validate.kubeconfig import from_config, load


def kubeconfig(
    cluster: dict[str, Any], user: dict[str, Any], namespace: str = ""
) -> dict[str, Any]:
    context: dict[str, Any] = {"cluster": "k", "user": "u"}
    if namespace:
        context["namespace"] = namespace
    return {
        "current-context": "c",
        "contexts": [{"name": "c", "context": context}],
        "clusters": [{"name": "k", "cluster": cluster}],
        "users": [{"name": "u", "user": user}],
    }


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_inline_data_and_context_namespace(tmp_path: Path) -> None:
    config = kubeconfig(
        {"server": "https://10.0.0.1:6443/", "certificate-authority-data": b64(b"CA")},
        {"client-certificate-data": b64(b"CERT"), "client-key-data": b64(b"KEY")},
        namespace="shop",
    )
    creds = from_config(config, tmp_path)
    assert creds.server == "https://10.0.0.1:6443"
    assert (creds.ca, creds.client_cert, creds.client_key) == (b"CA", b"CERT", b"KEY")
    assert creds.namespace == "shop"


def test_files_are_relative_to_the_kubeconfig_and_namespace_defaults(tmp_path: Path) -> None:
    # Given a kubeconfig naming files next to it, as kwokctl and kind write them
    (tmp_path / "pki").mkdir()
    for name, data in (("ca.crt", b"CA"), ("admin.crt", b"CERT"), ("admin.key", b"KEY")):
        (tmp_path / "pki" / name).write_bytes(data)
    (tmp_path / "token").write_text("s3cret\n")
    config = kubeconfig(
        {"server": "https://127.0.0.1:443", "certificate-authority": "pki/ca.crt"},
        {
            "client-certificate": "pki/admin.crt",
            "client-key": str(tmp_path / "pki" / "admin.key"),
            "tokenFile": "token",
        },
    )
    path = tmp_path / "kubeconfig.yaml"
    path.write_text(json.dumps(config))
    # When loaded
    creds = load(path)
    # Then relative and absolute names both resolve
    assert (creds.ca, creds.client_cert, creds.client_key) == (b"CA", b"CERT", b"KEY")
    assert creds.token == "s3cret"
    assert creds.namespace == "default"


def test_exec_plugin_supplies_the_token(tmp_path: Path) -> None:
    # Given a credential plugin that echoes the requested apiVersion into its token
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "import json, os, sys\n"
        "info = json.loads(os.environ['KUBERNETES_EXEC_INFO'])\n"
        "print(json.dumps({'status': {'token': os.environ['PREFIX'] + info['apiVersion']}}))\n"
    )
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": [str(plugin)],
            "env": [{"name": "PREFIX", "value": "tok-"}],
        }
    }
    creds = from_config(kubeconfig({"server": "https://h"}, user), tmp_path)
    assert creds.token == "tok-client.authentication.k8s.io/v1"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"contexts": []}, "no current-context"),
        (kubeconfig({"server": "h:443"}, {}), "is not an http(s) URL"),
        (kubeconfig({"server": "https://h"}, {"auth-provider": {"name": "gcp"}}), "not supported"),
        (
            kubeconfig({"server": "https://h", "tls-server-name": "x"}, {}),
            "tls-server-name is not supported",
        ),
        (kubeconfig({"server": "https://h"}, {"client-key": "missing.key"}), "cannot read"),
        (
            kubeconfig({"server": "https://h"}, {"exec": {"command": "false"}}),
            "exec plugin 'false' failed",
        ),
    ],
)
def test_unusable_kubeconfigs_say_why(tmp_path: Path, config: dict[str, Any], message: str) -> None:
    with pytest.raises(GuestbookError, match=message.replace("(", r"\(").replace(")", r"\)")):
        from_config(config, tmp_path)


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(GuestbookError, match="cannot read kubeconfig"):
        load(tmp_path / "nope")
