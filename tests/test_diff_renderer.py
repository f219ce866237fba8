"""The render edge: a tree's own main.py and lib/ render it, into a temp folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from guestbook.diff.renderer import ParsedFiles, read_rendered, render_tree
from guestbook.errors import GuestbookError
from tests.conftest import ROOT
from tests.diff_repos import static_repo

CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: %s, namespace: shop}
data: {color: blue}
"""

STAMPED_MAIN = """\
import os, pathlib
from stamp import STAMP  # from the tree's own lib/, through PYTHONPATH
out = pathlib.Path(os.environ["CDK8S_OUTDIR"], "dev")
out.mkdir(parents=True)
(out / "configmap-stamp.yaml").write_text(
    "apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: stamp}\\ndata: {stamp: %s}\\n" % STAMP
)
"""


def test_every_environment_folder_is_read_with_all_its_documents(tmp_path: Path) -> None:
    # Given a tree that renders two environments, one file holding two objects
    repo = static_repo(
        tmp_path / "repo",
        {
            "dev/configmap-a.yaml": CONFIG_MAP % "a",
            "prod/both.yaml": CONFIG_MAP % "a" + "---\n" + CONFIG_MAP % "b",
        },
    )
    # When rendering it
    rendered = render_tree(repo.root, "the working tree")
    # Then each environment has its objects
    assert {env: [m["metadata"]["name"] for m in objs] for env, objs in rendered.items()} == {
        "dev": ["a"],
        "prod": ["a", "b"],
    }


def test_a_tree_is_rendered_by_its_own_lib(tmp_path: Path) -> None:
    # Given two trees whose lib/stamp.py differ
    stamps = {}
    for name in ("one", "two"):
        tree = tmp_path / name
        (tree / "lib").mkdir(parents=True)
        (tree / "main.py").write_text(STAMPED_MAIN)
        (tree / "lib" / "stamp.py").write_text(f"STAMP = {name!r}\n")
        # When rendering each
        [obj] = render_tree(tree, name)["dev"]
        stamps[name] = obj["data"]["stamp"]
    # Then each used its own code
    assert stamps == {"one": "one", "two": "two"}


def test_a_failing_render_is_a_user_error_with_its_message(tmp_path: Path) -> None:
    # Given a tree whose main.py fails the way ours does on a bad overlay
    repo = static_repo(tmp_path / "repo", {})
    (repo.root / "main.py").write_text(
        "import sys\nprint('error: environments/dev.yaml:3: frontend.replicas', file=sys.stderr)"
        "\nsys.exit(2)\n"
    )
    # When rendering it / Then the error names the side and carries main.py's message
    with pytest.raises(GuestbookError) as caught:
        render_tree(repo.root, "base main (abc123)")
    assert str(caught.value) == (
        "cannot render base main (abc123): main.py exited with 2:\n"
        "  error: environments/dev.yaml:3: frontend.replicas"
    )


def test_a_tree_without_main_py_cannot_be_rendered(tmp_path: Path) -> None:
    # Given an empty folder / When rendering it / Then the message says what is missing
    with pytest.raises(GuestbookError, match=r"^cannot render base x: it has no main\.py$"):
        render_tree(tmp_path, "base x")


def test_output_that_is_not_kubernetes_objects_is_a_user_error(tmp_path: Path) -> None:
    # Given a tree that renders a YAML list instead of an object
    repo = static_repo(tmp_path / "repo", {"dev/list.yaml": "- a\n- b\n"})
    # When rendering / Then the file is named
    with pytest.raises(GuestbookError, match=r"dev/list.yaml: a document is not a Kubernetes"):
        render_tree(repo.root, "the working tree")


def test_rendering_the_working_tree_writes_no_bytecode_into_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a tree whose main.py imports a module from lib/, and Python free to write bytecode
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    tree = tmp_path / "tree"
    (tree / "lib").mkdir(parents=True)
    (tree / "main.py").write_text(STAMPED_MAIN)
    (tree / "lib" / "stamp.py").write_text("STAMP = 'x'\n")
    # When rendering it as the working tree
    render_tree(tree, "the working tree", write_bytecode=False)
    # Then no __pycache__ appeared in it
    assert not (tree / "lib" / "__pycache__").exists()


def test_a_tree_renders_with_assertions_and_jsii_checks_compiled_out(tmp_path: Path) -> None:
    # Given a tree whose main.py records the optimization level it runs at
    tree = tmp_path / "tree"
    (tree / "lib").mkdir(parents=True)
    (tree / "main.py").write_text(STAMPED_MAIN)
    (tree / "lib" / "stamp.py").write_text("import sys\nSTAMP = sys.flags.optimize\n")
    # When rendering it
    [obj] = render_tree(tree, "the working tree")["dev"]
    # Then it ran under `python -O`, as jsii documents for skipping its generated checks
    assert obj["data"]["stamp"] == 1


def test_a_file_the_same_on_both_sides_is_parsed_once(tmp_path: Path) -> None:
    # Given two outputs that differ in one file only
    base, head = tmp_path / "base", tmp_path / "head"
    shutil.copytree(ROOT / "dist", base)
    shutil.copytree(ROOT / "dist", head)
    changed = head / "dev" / "deployment-frontend.yaml"
    changed.write_text(changed.read_text().replace("replicas: 1", "replicas: 9"))
    # When both are read with one record of parsed files
    parsed: ParsedFiles = {}
    before, after = read_rendered(base, "base", parsed), read_rendered(head, "head", parsed)
    # Then the objects are those of separate reads, and the unchanged files' objects are shared
    assert before == read_rendered(base, "base")
    assert after == read_rendered(head, "head")
    assert before["prod"][0] is after["prod"][0]
    assert before["dev"] != after["dev"]
