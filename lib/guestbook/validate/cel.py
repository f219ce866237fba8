"""Custom resources as the API server checks them beyond the OpenAPI schema (an edge module).

kubeconform validates a custom resource against its CRD's OpenAPI schema but
skips the CEL rules (``x-kubernetes-validations``, kubeconform issue #236) and
the ``x-kubernetes-list-type`` invariants. guestbook-cel (``go-cel/``, built by
``guestbook tools install``) evaluates both with k8s.io/apiextensions-apiserver's own code,
after pruning and defaulting the object as the API server does; this module
sends it the CRDs and the objects they define and turns its answer into findings.

Rule ids:

* ``cel`` - a CEL rule rejects the object; the message is the rule's own;
* ``list-type`` - a duplicate in a list of type ``set`` or ``map``;
* ``crd`` - a CRD the API server would refuse (one among the manifests);
* ``cel-transition`` (warning) - a transition rule (one reading ``oldSelf``)
  was not evaluated: it compares an update with the previous object, which
  offline validation does not have.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from guestbook.errors import GuestbookError
from guestbook.validate.model import Document, FieldPath, Finding, Severity
from guestbook.validate.tools import INSTALL_HINT, tools_dir
from guestbook.validate.user_crds import Crd

_SEGMENT = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")


def cel_binary(tools: Path | None = None) -> Path:
    """guestbook-cel, which ``guestbook tools install`` builds into the tools folder."""
    return (tools or tools_dir()) / "bin" / "guestbook-cel"


def cel_findings(crds: Sequence[Crd], objects: Sequence[Document], binary: Path) -> list[Finding]:
    """Findings for ``objects``, custom resources that ``crds`` define."""
    if not objects:
        return []
    answer = _ask(binary, crds, objects)
    findings: list[Finding] = []
    used = {(doc.ref.kind, doc.api_version.rpartition("/")[2]) for doc in objects}
    for crd, result in zip(crds, answer["crds"], strict=True):
        for message in result["errors"]:
            findings.append(
                Finding.at(
                    crd.doc,
                    "crd",
                    f"CustomResourceDefinition {crd.name}: {message}",
                    hint="the API server refuses this CRD; fix it before the resources it defines",
                )
            )
        for skipped in result["skipped"]:
            kind, _, version = str(skipped["kind"]).partition(" ")
            if (kind, version) not in used:
                continue
            where = f" at {skipped['field']}" if skipped["field"] else ""
            findings.append(
                Finding.at(
                    crd.doc,
                    "cel-transition",
                    f"{kind} {version}: transition rule{where} not evaluated: {skipped['rule']}",
                    hint="it compares an update with the previous object, which only the API "
                    "server has",
                    severity=Severity.WARNING,
                )
            )
    for doc, result in zip(objects, answer["objects"], strict=True):
        for error in result["errors"]:
            path = field_path(str(error["field"]))
            where = str(error["field"]) or "the object"
            findings.append(
                Finding.at(
                    doc, str(error["check"]), f"{where}: {error['message']}", field_path=path
                )
            )
    return findings


def field_path(text: str) -> FieldPath:
    """The API server's field path (``spec.rules[0].matches``) as a :data:`FieldPath`."""
    path: list[str | int] = []
    for name, index in _SEGMENT.findall(text):
        if name:
            path.append(name)
        else:
            path.append(int(index) if index.isdigit() else index)
    return tuple(path)


def _ask(binary: Path, crds: Sequence[Crd], objects: Sequence[Document]) -> Mapping[str, Any]:
    if not binary.is_file():
        raise GuestbookError(
            f"guestbook-cel not found at {binary}; {INSTALL_HINT} "
            "(it evaluates the CEL rules of the CRDs given with --crd)"
        )
    request = {
        "crds": [{"source": str(n), "crd": crd.doc.obj} for n, crd in enumerate(crds)],
        "objects": [{"id": n, "object": doc.obj} for n, doc in enumerate(objects)],
    }
    try:
        proc = subprocess.run(
            [str(binary)],
            input=json.dumps(request, default=str),
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as err:
        raise GuestbookError(f"cannot run {binary}: {err}; {INSTALL_HINT}") from None
    try:
        answer = json.loads(proc.stdout)
        if len(answer["crds"]) != len(crds) or len(answer["objects"]) != len(objects):
            raise ValueError("incomplete answer")
    except (ValueError, KeyError, TypeError):
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise GuestbookError(
            f"guestbook-cel failed (exit {proc.returncode}): "
            f"{detail[0] if detail else 'no output'}; {INSTALL_HINT}"
        ) from None
    if not isinstance(answer, Mapping):
        raise GuestbookError(f"guestbook-cel failed: unexpected output; {INSTALL_HINT}")
    return answer
