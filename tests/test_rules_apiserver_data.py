"""Layer 2, ConfigMap and Secret data (guestbook.validate.rules.apiserver.data)."""

from __future__ import annotations

import base64

import pytest

from guestbook.validate.rules import run
from guestbook.validate.rules.apiserver import data
from tests.rules_fixtures import document, fired, fixtures_for, load, only


@pytest.mark.parametrize("fixture", fixtures_for(data.RULES))
def test_broken_manifest_triggers_only_its_rule(fixture: str) -> None:
    # Given a manifest broken in the one way its name says
    # When every rule runs
    got, want = only(fixture)
    # Then exactly the rules its header names fire
    assert got == want


def test_base64_with_line_breaks_is_accepted_like_the_api_server_does() -> None:
    # Given a Secret value wrapped over two lines
    doc = document(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s"},
            "data": {"tls.crt": "aGVsbG8g\nd29ybGQ=\n"},
        }
    )
    # When the rules run, Then nothing fires
    assert fired(run([doc])) == frozenset()


def test_configmap_key_in_data_and_binary_data_is_rejected() -> None:
    doc = document(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "c"},
            "data": {"app.conf": "x"},
            "binaryData": {"app.conf": "eA=="},
        }
    )
    assert fired(run([doc])) == {"data-key"}


def test_configmap_binary_data_that_is_not_base64_is_an_error_at_its_line() -> None:
    # Given a ConfigMap whose binaryData value is not base64 (the API server rejects it)
    docs = load("configmap_binary_data_not_base64")
    # When the rules run
    findings = [f for f in run(docs) if f.rule == "binary-data-base64"]
    # Then one error points at the value's key
    assert [(f.line, f.severity.value) for f in findings] == [(8, "error")]
    assert "logo.png" in findings[0].message


def _configmap(data: dict[str, str], binary: dict[str, str] | None = None) -> dict[str, object]:
    obj: dict[str, object] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": data,
    }
    if binary is not None:
        obj["binaryData"] = binary
    return obj


def test_configmap_data_over_one_mebibyte_is_rejected() -> None:
    # Given a ConfigMap whose values add up to one byte over 1 MiB (data plus decoded binaryData)
    half = data.MAX_DATA_BYTES // 2
    big = _configmap({"a": "x" * half}, {"b": base64.b64encode(b"y" * (half + 1)).decode()})
    # When the rules run, Then data-size fires; at exactly 1 MiB it does not
    assert fired(run([document(big)])) == {"data-size"}
    exact = _configmap({"a": "x" * half}, {"b": base64.b64encode(b"y" * half).decode()})
    assert fired(run([document(exact)])) == frozenset()


def test_secret_data_over_one_mebibyte_counts_decoded_data_and_string_data() -> None:
    # Given a Secret whose decoded data and stringData together exceed 1 MiB
    half = data.MAX_DATA_BYTES // 2
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"a": base64.b64encode(b"x" * half).decode()},
        "stringData": {"b": "y" * (half + 1)},
    }
    # When the rules run, Then data-size fires
    assert fired(run([document(secret)])) == {"data-size"}


def test_object_over_the_request_size_limit_is_rejected() -> None:
    # Given an object whose JSON is over 3 MiB (its data values alone stay under 1 MiB each
    # kind's limit does not apply: a custom resource)
    obj = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"blob": "x" * data.MAX_REQUEST_BYTES},
    }
    # When the rules run, Then object-size fires once, at the object
    findings = [f for f in run([document(obj)]) if f.rule == "object-size"]
    assert len(findings) == 1
    assert "3 MiB" in findings[0].message
