"""Helpers for the rule tests: load a fixture, list fixtures, name the rules that fired.

Each fixture under ``fixtures/rules/`` starts with a line naming the rule ids
it must trigger, and nothing else::

    # expect: service-port-name

``# expect: nothing`` marks a good manifest. An optional second line,
``# with: other, fixtures``, names fixtures the situation builds on; they are
loaded first.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from guestbook.validate.documents import read_documents
from guestbook.validate.model import Document, Finding
from guestbook.validate.rules import RULES, Layer, Rule, run

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
CORRECTNESS = (Layer.API_SERVER, Layer.REFERENCES, Layer.GUESTBOOK)
"""Layers 2-4. Their fixtures are not hardened, so policy warnings are left out of comparisons."""
ALL_LAYERS = tuple(Layer)


def load(*names: str) -> list[Document]:
    """The documents of one or more fixtures (``name`` without ``.yaml``)."""
    documents: list[Document] = []
    for name in names:
        found, problems = read_documents(FIXTURES / f"{name}.yaml")
        assert not problems, problems
        documents.extend(found)
    return documents


def _header(name: str) -> list[str]:
    return (FIXTURES / f"{name}.yaml").read_text(encoding="utf-8").splitlines()[:2]


def load_situation(name: str) -> list[Document]:
    """A fixture's documents after those of the fixtures its ``# with:`` line names."""
    lines = _header(name)
    parts = []
    if len(lines) > 1 and lines[1].startswith("# with: "):
        parts = [p.strip() for p in lines[1].removeprefix("# with: ").split(",")]
    return load(*parts, name)


def expected(name: str) -> frozenset[str]:
    """The rule ids a fixture's first line says it triggers."""
    first = _header(name)[0]
    assert first.startswith("# expect: "), f"{name}.yaml must start with '# expect: <ids>'"
    ids = first.removeprefix("# expect: ").strip()
    return frozenset() if ids == "nothing" else frozenset(i.strip() for i in ids.split(","))


def fired(findings: Iterable[Finding], layers: Iterable[Layer] = CORRECTNESS) -> frozenset[str]:
    """The ids of the rules in ``layers`` that produced ``findings``."""
    wanted = {rule.id for rule in RULES if rule.layer in set(layers)}
    return frozenset(f.rule for f in findings if f.rule in wanted)


def all_fixtures() -> list[str]:
    """Every fixture name, sorted."""
    return sorted(p.stem for p in FIXTURES.glob("*.yaml"))


def fixtures_for(rules: Iterable[Rule]) -> list[object]:
    """pytest params: the fixtures whose expected ids are all among ``rules``, by name."""
    ids = {rule.id for rule in rules}
    chosen = [name for name in all_fixtures() if expected(name) and expected(name) <= ids]
    return [pytest.param(name, id=name) for name in chosen]


def document(obj: dict[str, object], name: str = "inline.yaml") -> Document:
    """An in-memory document, for cases too small to deserve a fixture file."""
    return Document(path=Path(name), line=1, obj=obj)


def deployment(
    pod_spec: dict[str, object], *, name: str = "web", labels: dict[str, str] | None = None
) -> Document:
    """An in-memory Deployment in namespace shop running ``pod_spec``."""
    labels = labels or {"app": name}
    return document(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": pod_spec},
            },
        }
    )


def only(name: str, layers: Iterable[Layer] = CORRECTNESS) -> tuple[frozenset[str], frozenset[str]]:
    """What fired on a fixture (in ``layers``), and what its header expects."""
    return fired(run(load_situation(name)), layers), expected(name)
