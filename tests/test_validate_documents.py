"""Reading manifests: one broken document does not hide the others."""

from __future__ import annotations

from pathlib import Path

from guestbook.validate.documents import read_documents

FIXTURES = Path(__file__).parent / "fixtures" / "validate"


def test_documents_after_a_duplicate_key_are_still_read() -> None:
    documents, findings = read_documents(FIXTURES / "duplicate_key.yaml")
    assert [d.ref.name for d in documents] == ["after-the-duplicate"]
    assert [(f.rule, f.line) for f in findings] == [("yaml", 5)]
    assert documents[0].line_of("spec", "ports", 0, "portt") == 16


def test_a_document_that_is_not_a_mapping_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    documents, findings = read_documents(path)
    assert [d.ref.kind for d in documents] == ["Namespace"]
    assert [(f.rule, f.line) for f in findings] == [("yaml", 1)]


def test_a_recursive_alias_is_read_without_hanging(tmp_path: Path) -> None:
    path = tmp_path / "recursive.yaml"
    path.write_text("kind: ConfigMap\ndata: &loop [*loop]\n")
    documents, findings = read_documents(path)
    assert findings == []
    assert documents[0].line_of("data", 0) == 2


def test_a_complex_key_is_a_finding_with_its_line_not_a_crash() -> None:
    # Given a mapping key that is itself a list (``? [a, b]``), which no Kubernetes object has
    documents, findings = read_documents(FIXTURES / "complex_key.yaml")
    # Then that document is one yaml finding at the key, and the next document is still read
    assert [(f.rule, f.line, f.message) for f in findings] == [
        ("yaml", 6, "invalid YAML: found unhashable key")
    ]
    assert "plain string key" in findings[0].hint
    assert [d.ref.name for d in documents] == ["after-the-complex-key"]
