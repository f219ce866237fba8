"""kubeconform's verdicts kept between runs: the same report, kubeconform only on what changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guestbook.validate import Report, validate
from guestbook.validate.kubeconform import Kubeconform, Run
from guestbook.validate.settings import ValidateSettings
from guestbook.validate.tools import tools_dir
from guestbook.validate.verdicts import FORMAT, VerdictCache, _suffix

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))
NO_CACHE = ValidateSettings(cache=False)
# Files with schema findings of every kind, and a valid one.
MANIFESTS = (
    "argocd_application_valid.yaml",
    "unknown_field.yaml",
    "wrong_type.yaml",
    "missing_required_field.yaml",
    "several_errors_in_one_object.yaml",
    "removed_api_version.yaml",
    "unknown_kind.yaml",
    "multiple_objects_with_the_same_name.yaml",
)


def tools_folder(root: Path) -> Path:
    """A tools folder of its own (so its own cache) with the project's binaries and schemas."""
    tools = root / "tools"
    tools.mkdir()
    for name in ("bin", "schemas"):
        (tools / name).symlink_to(tools_dir() / name)
    return tools


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    return tools_folder(tmp_path)


def fixture_copies(folder: Path, names: Sequence[str]) -> Path:
    """``folder``, made, holding copies of the validate fixtures ``names``."""
    folder.mkdir()
    for name in names:
        shutil.copy(FIXTURES / name, folder / name)
    return folder


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    return fixture_copies(tmp_path / "manifests", MANIFESTS)


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The file lists kubeconform is started on (it still runs)."""
    calls: list[list[str]] = []
    start = Kubeconform.start

    def recording(self: Kubeconform, files: Sequence[str]) -> Run:
        calls.append([Path(f).name for f in files])
        return start(self, files)

    monkeypatch.setattr(Kubeconform, "start", recording)
    return calls


def packs(tools: Path) -> list[Path]:
    return sorted((tools / "cache" / "kubeconform").glob("*/*/*.json"))


def same(cached: Report, cold: Report) -> None:
    assert cached.findings == cold.findings
    assert (cached.files, cached.documents) == (cold.files, cold.documents)


def test_a_second_run_reuses_every_verdict_and_reports_the_same(
    tools: Path, manifests: Path, checked: list[list[str]]
) -> None:
    # Given a folder with schema findings of every kind, validated once
    first = validate([manifests], tools=tools)
    assert checked == [sorted(MANIFESTS)]
    assert any(f.rule == "schema" for f in first.findings)
    # When it is validated again
    second = validate([manifests], tools=tools)
    # Then kubeconform is not started, and the report is the one without a cache
    assert checked == [sorted(MANIFESTS)]
    same(second, first)
    same(second, validate([manifests], tools=tools, settings=NO_CACHE))


def test_only_a_changed_file_goes_to_kubeconform(
    tools: Path, manifests: Path, checked: list[list[str]]
) -> None:
    # Given a validated folder, with a schema finding in wrong_type.yaml
    changed = manifests / "wrong_type.yaml"
    first = validate([manifests], tools=tools)
    assert any(f.path == changed and f.rule == "schema" for f in first.findings)
    # When that file changes (the string where an integer belongs is fixed)
    changed.write_text(changed.read_text().replace('replicas: "3"', "replicas: 3"))
    report = validate([manifests], tools=tools)
    # Then kubeconform checks that file only, and its finding is gone as without the cache
    assert checked[1:] == [["wrong_type.yaml"]]
    assert not any(f.path == changed and f.rule == "schema" for f in report.findings)
    same(report, validate([manifests], tools=tools, settings=NO_CACHE))


def test_a_file_with_the_content_of_another_reuses_its_verdict_under_its_own_name(
    tools: Path, manifests: Path, checked: list[list[str]]
) -> None:
    # Given a validated folder
    validate([manifests], tools=tools)
    # When a copy of a file with findings joins it
    copy = manifests / "copy_of_unknown_field.yaml"
    shutil.copy(manifests / "unknown_field.yaml", copy)
    report = validate([manifests], tools=tools)
    # Then kubeconform is not started, and the copy has its own findings
    assert len(checked) == 1
    assert any(f.path == copy and f.rule == "schema" for f in report.findings)
    same(report, validate([manifests], tools=tools, settings=NO_CACHE))


def test_another_kubernetes_version_does_not_reuse_verdicts(
    tools: Path, manifests: Path, checked: list[list[str]]
) -> None:
    # Given a folder validated against 1.37
    validate([manifests], tools=tools, kubernetes_version="1.37.2")
    # When it is validated against 1.35
    report = validate([manifests], tools=tools, kubernetes_version="1.35.4")
    # Then kubeconform checks every file again
    assert checked[1] == sorted(MANIFESTS)
    same(
        report,
        validate([manifests], tools=tools, kubernetes_version="1.35.4", settings=NO_CACHE),
    )


def test_another_crd_does_not_reuse_verdicts(tmp_path: Path, tools: Path) -> None:
    # Given a custom resource validated with its CRD
    crd, widget = widget_crd(tmp_path, "string"), tmp_path / "widget.yaml"
    widget.write_text("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nsize: 3\n")
    assert [f.rule for f in validate([widget], crds=[crd], tools=tools).findings] == ["schema"]
    # When the CRD changes so that the resource is valid
    widget_crd(tmp_path, "integer")
    report = validate([widget], crds=[crd], tools=tools)
    # Then the verdict follows the new CRD
    assert [f.rule for f in report.findings] == []


def widget_crd(folder: Path, size_type: str) -> Path:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "size": {"type": size_type},
                            },
                        }
                    },
                }
            ],
        },
    }
    path = folder / "widget-crd.yaml"
    path.write_text(json.dumps(crd))
    return path


def own_binaries(tools: Path) -> Path:
    """``tools``, made, with its own copies of kubeconform and guestbook-reader."""
    (tools / "bin").mkdir(parents=True)
    (tools / "schemas").symlink_to(tools_dir() / "schemas")
    for name in ("kubeconform", "guestbook-reader"):
        shutil.copy2(tools_dir() / "bin" / name, tools / "bin" / name)
    return tools


def test_another_kubeconform_binary_does_not_reuse_verdicts(
    tmp_path: Path, manifests: Path, checked: list[list[str]]
) -> None:
    # Given a tools folder with its own copy of kubeconform, and a validated folder
    tools = own_binaries(tmp_path / "own-tools")
    validate([manifests], tools=tools)
    # When kubeconform is installed again
    binary = tools / "bin" / "kubeconform"
    shutil.copy(binary, tools / "new")
    os.replace(tools / "new", binary)
    validate([manifests], tools=tools)
    # Then its verdicts are its own
    assert checked[1] == sorted(MANIFESTS)


def test_kubeconform_written_over_in_place_does_not_reuse_verdicts(
    tmp_path: Path, manifests: Path, checked: list[list[str]]
) -> None:
    # Given a tools folder with its own copy of kubeconform, and a validated folder
    tools = own_binaries(tmp_path / "own-tools")
    validate([manifests], tools=tools)
    # When the binary is written over in place (same inode and size), its time put back
    binary = tools / "bin" / "kubeconform"
    before = binary.stat()
    binary.write_bytes(binary.read_bytes())
    os.utime(binary, ns=(before.st_atime_ns, before.st_mtime_ns))
    validate([manifests], tools=tools)
    # Then its verdicts are its own (its change time tells)
    assert binary.stat().st_ino == before.st_ino
    assert checked[1] == sorted(MANIFESTS)


def test_no_cache_neither_reads_nor_writes_it(
    tools: Path, manifests: Path, checked: list[list[str]]
) -> None:
    # Given the cache turned off
    validate([manifests], tools=tools, settings=NO_CACHE)
    validate([manifests], tools=tools, settings=NO_CACHE)
    # Then kubeconform checks everything each time, and nothing is kept
    assert len(checked) == 2
    assert not (tools / "cache").exists()


def test_the_cli_no_cache_flag_and_the_config_key_turn_it_off(
    tmp_path: Path, tools: Path, manifests: Path
) -> None:
    env = {**os.environ, "GUESTBOOK_TOOLS_DIR": str(tools)}

    def run(*args: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        command = [GUESTBOOK, "validate", "--format", "json", *args, str(manifests)]
        return subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, text=True, check=False
        )

    # Given --no-cache on the command line (fast path and Typer path)
    assert run("--no-cache").returncode == 1
    assert run("--no-cache", "--server=").returncode == 2  # goes to Typer, which checks
    assert not (tools / "cache").exists()
    # and `cache = false` in [tool.guestbook.validate]
    (tmp_path / "pyproject.toml").write_text("[tool.guestbook.validate]\ncache = false\n")
    off = run()
    assert not (tools / "cache").exists()
    # When neither is given, the cache is used, with the same report
    (tmp_path / "pyproject.toml").unlink()
    assert run().stdout == run().stdout == off.stdout
    assert packs(tools)


def test_every_verdict_of_a_file_changed_many_times_is_kept(tmp_path: Path, tools: Path) -> None:
    # Given a file changed between runs, more often than a shard keeps packs
    manifest = tmp_path / "deployment.yaml"
    text = (FIXTURES / "wrong_type.yaml").read_text()
    for replicas in range(12):
        manifest.write_text(text.replace('"3"', f'"{replicas}"'))
        validate([manifest], tools=tools, rules=False)
    # Then every verdict is still there, in at most 8 packs per shard
    kept = packs(tools)
    assert max(Counter(p.parent for p in kept).values()) <= 8
    entries = {k for p in kept for k in json.loads(p.read_bytes())["entries"]}
    assert len(entries) == 12


def test_the_cache_stays_within_its_bound(tmp_path: Path, manifests: Path) -> None:
    # Given a cache bounded to a few hundred bytes
    cache = VerdictCache(tmp_path / "cache", max_bytes=600)
    binary, schemas = tools_dir() / "bin" / "kubeconform", tools_dir() / "schemas"
    from guestbook.validate.schemas import SchemaStore

    kubeconform = Kubeconform(binary, SchemaStore(schemas, "1.37.2"))
    # When several runs each add a pack
    for name in MANIFESTS:
        cache.start(kubeconform, [str(manifests / name)]).results()
    # Then the oldest packs went, and what is left is within the bound
    kept = list((tmp_path / "cache").glob("*/*/*.json"))
    assert 0 < len(kept) < len(MANIFESTS)
    assert sum(p.stat().st_size for p in kept) <= 600


def test_two_processes_sharing_a_cold_cache_report_what_one_alone_reports(
    tools: Path, manifests: Path
) -> None:
    env = {**os.environ, "GUESTBOOK_TOOLS_DIR": str(tools)}
    command = [GUESTBOOK, "validate", "--format", "json", str(manifests)]
    cold = [*command[:2], "--no-cache", *command[2:]]
    alone = subprocess.run(cold, env=env, capture_output=True, check=False)
    # Given an empty cache, when two processes validate the same files at once, twice
    for _ in range(2):
        both = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE) for _ in range(2)]
        outputs = [p.communicate(timeout=60)[0] for p in both]
        # Then each reports what a process without the cache reports
        assert outputs == [alone.stdout, alone.stdout]
    # and the cache holds whole packs only
    for pack in packs(tools):
        assert json.loads(pack.read_bytes())["format"] == FORMAT


EDITS = {
    "valid": "",
    "fix-type": 'replicas: "3"=>replicas: 3',
    "unknown-field": "spec:=>spec:\n  replica: 2",
    "wrong-type": "name: =>name: 7 #",
    "unknown-kind": "kind: =>kind: Deployent #",
    "second-document": "=>\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n",
    # for the rules' kept findings: one-file findings that come and go
    "bad-label": "metadata:=>metadata:\n  labels: {-bad: x}",
    "image-latest": "image: =>image: nginx:latest #",
    # for what the reader read: a file it leaves to Python
    "anchor": "=>\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
    'data: {x: &v "1", y: *v}\n',
    "node-port": "=>\n---\napiVersion: v1\nkind: Service\nmetadata: {name: np}\nspec:\n"
    "  type: NodePort\n  selector: {app: x}\n  ports: [{port: 80, nodePort: 30080}]\n",
}


@pytest.fixture(scope="module")
def edit_tools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tools_folder(tmp_path_factory.mktemp("edits"))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(MANIFESTS[:4]), st.sampled_from(sorted(EDITS)), st.booleans()),
        min_size=1,
        max_size=4,
    )
)
def test_after_any_sequence_of_edits_the_cached_report_is_the_cold_one(
    tmp_path_factory: pytest.TempPathFactory,
    edit_tools: Path,
    edits: list[tuple[str, str, bool]],
) -> None:
    # Given a small set of manifests, validated once with the (shared) cache
    folder = tmp_path_factory.mktemp("set")
    for name in MANIFESTS[:4]:
        shutil.copy(FIXTURES / name, folder / name)
    validate([folder], tools=edit_tools)
    # When files are edited, removed or restored one after another, validating after each
    for name, edit, remove in edits:
        target = folder / name
        if remove and target.exists():
            target.unlink()
        else:
            old, _, new = EDITS[edit].partition("=>")
            text = (FIXTURES / name).read_text()
            target.write_text(text.replace(old, new, 1) if old else text + new)
        # Then the report is the one of a run without the cache
        same(
            validate([folder], tools=edit_tools),
            validate([folder], tools=edit_tools, settings=NO_CACHE),
        )


@given(
    name=st.lists(
        st.text(st.sampled_from("ab.-_ /"), min_size=1, max_size=6), min_size=1, max_size=3
    ).map("/".join)
)
def test_a_file_key_names_the_suffix_pathlib_names(name: str) -> None:
    # Given any file name as the pipeline passes it (a path made text)
    normalized = str(Path(name))
    # Then the suffix in its key is the one pathlib gives (kubeconform reads .json as JSON)
    assert _suffix(normalized) == Path(normalized).suffix
