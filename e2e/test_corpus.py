"""The real-world corpus's verdicts against the real API server, file by file.

Every file of ``tests/corpus/sources.toml`` is sent as ``kubectl apply --server-side
--dry-run=server`` (``kubectl create`` for objects named by ``generateName``, which apply
cannot take), with the namespaces and service accounts the files name created first (see
:mod:`e2e.manifests`). A file listed under ``[source.invalid]`` must be refused, every other
one accepted. With ``GUESTBOOK_CORPUS_VERDICTS=FILE`` the test records the server's verdicts
into FILE (JSON) instead of asserting them: how a new source's verdicts are established.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest

from e2e.harness import Harness
from e2e.manifests import namespaces_named, service_accounts_named
from tests.corpus import CorpusFile, corpus

FILES = corpus() or []
RECORD = os.environ.get("GUESTBOOK_CORPUS_VERDICTS", "")
KUBECTLS = 4

pytestmark = pytest.mark.skipif(not FILES, reason="the corpus is not downloaded: run `make corpus`")


@pytest.fixture(scope="module")
def named_objects(harness: Harness) -> None:
    """The namespaces and service accounts the files name exist."""
    paths = [f.file for f in FILES]
    existing = {n["metadata"]["name"] for n in harness.kubectl.items("namespaces")}
    for name in sorted(namespaces_named(paths) - existing):
        harness.kubectl("create", "namespace", name)
    for namespace, name in sorted(service_accounts_named(paths)):
        where = ["-n", namespace] if namespace else []
        harness.kubectl.result("create", "serviceaccount", name, *where)  # may exist


def server_verdict(harness: Harness, item: CorpusFile) -> tuple[bool, str]:
    """Whether the API server accepts the file, and what kubectl said."""
    code, said = harness.kubectl.result(
        "apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", str(item.file)
    )
    if code != 0 and "cannot use generate name with apply" in said:
        code, said = harness.kubectl.result("create", "--dry-run=server", "-f", str(item.file))
    return code == 0, said


@pytest.fixture(scope="module")
def verdicts(harness: Harness, named_objects: None) -> dict[str, tuple[bool, str]]:
    """The server's verdict on every file, four kubectl at a time (each waits on the server);
    written to GUESTBOOK_CORPUS_VERDICTS when set."""
    with ThreadPoolExecutor(KUBECTLS) as pool:
        found = dict(
            zip(
                (f.id for f in FILES),
                pool.map(partial(server_verdict, harness), FILES),
                strict=True,
            )
        )
    if RECORD:
        record = {k: {"accepted": ok, "kubectl": said} for k, (ok, said) in found.items()}
        Path(RECORD).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return found


@pytest.mark.parametrize("item", FILES, ids=[f.id for f in FILES])
def test_corpus_verdict_is_the_api_servers(
    item: CorpusFile, verdicts: dict[str, tuple[bool, str]]
) -> None:
    # Given a corpus file and its committed verdict
    # When the API server judges it
    accepted, said = verdicts[item.id]
    if RECORD:
        pytest.skip(f"recorded into {RECORD}")
    # Then it agrees with the verdict in sources.toml
    if item.valid:
        assert accepted, f"{item.id} is listed valid, but the API server refuses it:\n{said}"
    else:
        assert not accepted, f"{item.id} is listed invalid ({item.reason}), but it is accepted"
