"""Reading manifests: one broken document does not hide the others."""

from __future__ import annotations

import os
from pathlib import Path

from guestbook.validate.documents import find_files, read_documents
from guestbook.validate.limits import MAX_DEPTH, MAX_FILE_BYTES

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


def test_a_recursive_alias_is_a_finding_as_kubectl_rejects_it(tmp_path: Path) -> None:
    # Given an anchor whose value holds an alias to itself (go-yaml: "value contains itself")
    path = tmp_path / "recursive.yaml"
    path.write_text("kind: ConfigMap\ndata: &loop [*loop]\n---\nkind: Secret\n")
    # When it is read, Then that document is a finding at the anchor, the next one is read
    documents, findings = read_documents(path)
    assert [(f.rule, f.line) for f in findings] == [("yaml", 2)]
    assert "itself" in findings[0].message
    assert [d.ref.kind for d in documents] == ["Secret"]


def test_a_complex_key_is_a_finding_with_its_line_not_a_crash() -> None:
    # Given a mapping key that is itself a list (``? [a, b]``), which no Kubernetes object has
    documents, findings = read_documents(FIXTURES / "complex_key.yaml")
    # Then that document is one yaml finding at the key, and the next document is still read
    assert [(f.rule, f.line, f.message) for f in findings] == [
        ("yaml", 6, "invalid YAML: found unhashable key")
    ]
    assert "plain string key" in findings[0].hint
    assert [d.ref.name for d in documents] == ["after-the-complex-key"]


def test_the_same_file_named_twice_is_found_once_under_its_first_name(tmp_path: Path) -> None:
    # Given a folder, the same folder by its absolute path, a symbolic and a hard link to its files
    folder = tmp_path / "dist"
    folder.mkdir()
    (folder / "a.yaml").write_text("kind: ConfigMap\n")
    (folder / "b.yaml").write_text("kind: Secret\n")
    (tmp_path / "link.yaml").symlink_to(folder / "b.yaml")
    (tmp_path / "hard.yaml").hardlink_to(folder / "a.yaml")
    relative = Path(os.path.relpath(folder))
    # When the files are listed
    files = find_files([relative, folder.resolve(), tmp_path / "link.yaml", tmp_path / "hard.yaml"])
    # Then each file comes once, spelled as first given
    assert files == [relative / "a.yaml", relative / "b.yaml"]


def test_a_folder_is_expanded_as_rglob_finds_its_manifests(tmp_path: Path) -> None:
    # Given hidden files, odd names, a folder named like a manifest, nesting, and a link to a
    # folder (not entered, as rglob does not enter it)
    for name in ("a.yaml", ".hidden.yml", "..yaml", ".yaml", "b.json", "c.txt", "d.", "e.YAML"):
        (tmp_path / name).write_text("kind: ConfigMap\n")
    (tmp_path / "dir.yaml").mkdir()
    (tmp_path / "dir.yaml" / "inner.yaml").write_text("kind: Secret\n")
    deep = tmp_path / "x" / ".y" / "z"
    deep.mkdir(parents=True)
    (deep / "deep.yml").write_text("kind: Secret\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "out.yaml").write_text("kind: Secret\n")
    (tmp_path / "linked").symlink_to(outside)
    (tmp_path / "linked.yaml").symlink_to(outside / "out.yaml")
    # When the folder is expanded, Then it gives what rglob gives, less the folders
    expected = sorted(
        p for p in tmp_path.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and not p.is_dir()
    )
    assert find_files([tmp_path]) == expected
    assert tmp_path / "dir.yaml" / "inner.yaml" in expected
    assert tmp_path / "linked" / "out.yaml" not in expected


def test_a_fifo_and_a_dangling_symlink_in_a_folder_are_found(tmp_path: Path) -> None:
    # Given a folder holding a FIFO and a symlink to nothing, both named like manifests
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "deleted.yaml")
    # When the files are listed, Then both are there (to be reported), not skipped
    assert find_files([tmp_path]) == [tmp_path / "gone.yaml", tmp_path / "pipe.yaml"]


def test_a_fifo_is_a_finding_naming_what_it_is_without_waiting_for_a_writer(
    tmp_path: Path,
) -> None:
    # Given a FIFO that nobody writes to
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    # When it is read
    documents, findings = read_documents(fifo)
    # Then it is one finding saying what it is (reading would block forever)
    assert documents == []
    assert [(f.rule, f.path, f.line) for f in findings] == [("yaml", fifo, 1)]
    assert "FIFO" in findings[0].message
    assert "regular file" in findings[0].message


def test_a_dangling_symlink_is_a_finding_naming_its_target(tmp_path: Path) -> None:
    # Given a symlink whose target was deleted
    link = tmp_path / "gone.yaml"
    link.symlink_to(tmp_path / "deleted.yaml")
    # When it is read
    _, findings = read_documents(link)
    # Then the finding says it is a dangling link to that target
    [finding] = findings
    assert "symbolic link" in finding.message
    assert "deleted.yaml" in finding.message


def test_the_items_of_a_list_are_read_as_objects_with_their_own_lines() -> None:
    # Given a v1 List of a ConfigMap and a Deployment, as kubectl writes it
    documents, findings = read_documents(FIXTURES / "list_with_a_broken_deployment.yaml")
    # When it is read, Then its items are the documents, each at its own line
    assert findings == []
    assert [(d.ref.kind, d.ref.name, d.line) for d in documents] == [
        ("ConfigMap", "settings", 7),
        ("Deployment", "web", 14),
    ]
    # And their fields keep their lines, relative to the item
    assert documents[1].line_of("spec", "replicas") == 20
    assert documents[1].line_of("spec", "template", "spec", "containers", 0, "image") == 31


def test_a_list_whose_items_are_not_objects_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("apiVersion: v1\nkind: List\nitems:\n- just text\n- kind: Namespace\n")
    documents, findings = read_documents(path)
    assert [d.ref.kind for d in documents] == ["Namespace"]
    assert [(f.rule, f.line) for f in findings] == [("yaml", 4)]
    path.write_text("apiVersion: v1\nkind: List\nitems: {a: 1}\n")
    documents, findings = read_documents(path)
    assert documents == []
    assert [(f.rule, f.line) for f in findings] == [("yaml", 3)]


def test_escapes_read_as_kubectl_reads_them() -> None:
    # Given \' in double quotes (go-yaml, kubectl's YAML reader, reads a quote; libyaml
    # rejects it), beside backslashes in single quotes, plain text and an escaped backslash
    documents, findings = read_documents(FIXTURES / "kubectl_escapes.yaml")
    # Then the file reads as kubectl reads it (what sigs.k8s.io/yaml v1.4.0 returned)
    assert findings == []
    assert documents[0].obj["data"] == {
        "double": "it's, and \\' stays a backslash and a quote",
        "single": "it\\'s",
        "plain": "it\\'s",
        "twice": "''",
        "alias": "quotes",
    }
    assert documents[0].line_of("data", "twice") == 10


def test_an_escape_kubectl_rejects_is_a_finding_at_its_line(tmp_path: Path) -> None:
    # Given \/ in double quotes: libyaml reads a slash, go-yaml (kubectl) rejects the file
    path = tmp_path / "slash.yaml"
    path.write_text('kind: ConfigMap\ndata:\n  a: "x/y"\n  b: "a\n    \\/b"\n  c: x\\/y\n')
    # When it is read
    documents, findings = read_documents(path)
    # Then it is a yaml finding at the escape's line, as kubectl would refuse it
    assert documents == []
    assert [(f.rule, f.line) for f in findings] == [("yaml", 5)]
    assert "\\/" in findings[0].message


def alias_bomb(levels: int, width: int) -> str:
    """A ConfigMap whose data nests ``levels`` anchors, each ``width`` aliases of the last."""
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: bomb", "data:"]
    lines.append(f"  a0: &a0 [{', '.join(['lol'] * width)}]")
    for level in range(1, levels + 1):
        lines.append(f"  a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_a_finding_at_the_value_that_expands_too_far(tmp_path: Path) -> None:
    # Given nine levels of nine aliases (387 million values once expanded)
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(9, 9))
    # When it is read
    documents, findings = read_documents(path)
    # Then nothing is expanded: one finding, at the first value over the bound (a6, 5 million)
    assert documents == []
    assert [(f.rule, f.line) for f in findings] == [("yaml", 12)]
    assert "excessive aliasing" in findings[0].message


def test_aliases_within_the_bound_are_read(tmp_path: Path) -> None:
    path = tmp_path / "aliases.yaml"
    path.write_text(alias_bomb(3, 9))
    documents, findings = read_documents(path)
    assert findings == []
    assert len(documents[0].obj["data"]["a3"]) == 9


def test_nesting_deeper_than_the_bound_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    # Given a document nested deeper than the bound, and one at the bound
    deep = tmp_path / "deep.yaml"
    levels = MAX_DEPTH + 1
    deep.write_text("kind: ConfigMap\ndata:\n  a: " + "[" * levels + "]" * levels + "\n")
    # When they are read, Then the first is a finding at its line, the second is read
    documents, findings = read_documents(deep)
    assert documents == []
    assert [(f.rule, f.line) for f in findings] == [("yaml", 3)]
    assert f"more than {MAX_DEPTH} levels" in findings[0].message
    deep.write_text("kind: ConfigMap\ndata: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))
    assert read_documents(deep)[1] == []
    # And with an anchor in the file (the check that also expands aliases), the same
    deep.write_text("kind: &k ConfigMap\ndata:\n  a: " + "[" * levels + "]" * levels + "\n")
    assert [(f.line, f.message) for f in read_documents(deep)[1]] == [(3, findings[0].message)]


def test_a_file_over_the_size_bound_is_a_finding_without_reading_it(tmp_path: Path) -> None:
    # Given a (sparse) file one byte over the bound
    big = tmp_path / "big.yaml"
    with big.open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)
    # When it is read, Then it is one finding saying how large it is and what the bound is
    documents, findings = read_documents(big)
    assert documents == []
    [finding] = findings
    assert (finding.rule, finding.line) == ("yaml", 1)
    assert str(MAX_FILE_BYTES) in finding.message


def test_a_flow_scalar_ending_in_a_colon_reads_as_kubectl_reads_it(tmp_path: Path) -> None:
    # Given "CREATE:" right before "," "]" or "}" in flow collections (libyaml rejects it;
    # go-yaml, kubectl's YAML reader, reads the text with its colon)
    path = tmp_path / "verbs.yaml"
    path.write_text("kind: Rule\nops: [CREATE:, &u UPDATE:]\nmore: {it's:, b: [x:y, *u]}\n")
    # When it is read, Then it reads as sigs.k8s.io/yaml v1.4.0 reads it
    documents, findings = read_documents(path)
    assert findings == []
    assert documents[0].obj == {
        "kind": "Rule",
        "ops": ["CREATE:", "UPDATE:"],
        "more": {"it's:": None, "b": ["x:y", "UPDATE:"]},
    }
    assert documents[0].line_of("more", "b", 0) == 3
