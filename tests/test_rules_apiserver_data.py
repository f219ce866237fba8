"""Layer 2, ConfigMap and Secret data (guestbook.validate.rules.apiserver.data)."""

from __future__ import annotations

import pytest

from guestbook.validate.rules import run
from guestbook.validate.rules.apiserver import data
from tests.rules_fixtures import document, fired, fixtures_for, only


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
