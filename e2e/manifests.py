"""What manifest files name that a cluster must have before it can judge them.

A file checked on its own (as CI checks a pull request's files) may put its objects in a
namespace it does not create, and its pods may run as a service account it does not define;
in the cluster the file is written for, both exist. The tests create them first, so the API
server's verdict is about the file itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


def objects_in(path: Path) -> Iterator[dict[str, Any]]:
    """The mappings of a YAML file, the items of a list kind included; nothing if unreadable."""
    try:
        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, UnicodeDecodeError):
        return
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        items = doc.get("items")
        if str(doc.get("kind", "")).endswith("List") and isinstance(items, list):
            yield from (item for item in items if isinstance(item, dict))
        else:
            yield doc


def _metadata(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def namespaces_named(paths: Iterable[Path]) -> set[str]:
    """Every valid namespace name the files' objects live in or create."""
    names: set[str] = set()
    for path in paths:
        for obj in objects_in(path):
            meta = _metadata(obj)
            names.add(str(meta.get("namespace") or ""))
            if obj.get("kind") == "Namespace":
                names.add(str(meta.get("name") or ""))
    return {n for n in names if DNS_LABEL.fullmatch(n)}


def service_accounts_named(paths: Iterable[Path]) -> set[tuple[str, str]]:
    """(namespace, name) of every service account a Pod of the files runs as ("" namespace:
    the default one); the API server's ServiceAccount admission refuses a Pod whose account
    does not exist."""
    found: set[tuple[str, str]] = set()
    for path in paths:
        for obj in objects_in(path):
            spec = obj.get("spec")
            if obj.get("kind") != "Pod" or not isinstance(spec, dict):
                continue
            name = str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "")
            namespace = str(_metadata(obj).get("namespace") or "")
            if DNS_SUBDOMAIN.fullmatch(name) and (not namespace or DNS_LABEL.fullmatch(namespace)):
                found.add((namespace, name))
    return found
