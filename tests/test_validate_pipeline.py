"""The library API: guestbook.validate.validate(paths, ...) -> Report, without the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

import guestbook.validate.rules
from guestbook.errors import GuestbookError
from guestbook.kubernetes import SUPPORTED_KUBERNETES_VERSIONS
from guestbook.validate import Document, Finding, Severity, validate
from guestbook.validate.kubeconform import Kubeconform, Run
from guestbook.validate.settings import ValidateSettings

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "validate"


@pytest.mark.parametrize("version", SUPPORTED_KUBERNETES_VERSIONS)
def test_the_projects_dist_validates_clean(version: str) -> None:
    # Given the committed dist/ (every environment)
    # When it is validated with every layer against each supported version
    report = validate([ROOT / "dist"], kubernetes_version=version)
    # Then there is no error, and staging and prod warn only where an image forces it
    # (Apache runs as root with a writable root filesystem) or a digest cannot be verified
    assert report.count(Severity.ERROR) == 0
    production = {f.rule for f in report.findings if f.path.parent.name in ("staging", "prod")}
    assert production <= {"run-as-non-root", "read-only-root-filesystem", "image-digest"}
    # and every file and object was read
    assert report.files == len(list((ROOT / "dist").rglob("*.yaml"))) > 0
    assert report.documents == report.files
    assert report.kubernetes_version == version


def test_findings_come_sorted_by_file_and_line_and_each_once() -> None:
    report = validate(
        [FIXTURES / "several_errors_in_one_object.yaml", FIXTURES / "wrong_type.yaml"],
        rules=False,
    )
    keys = [f.sort_key() for f in report.findings]
    assert keys == sorted(keys)
    assert len(set(report.findings)) == len(report.findings) == 4
    assert report.failed()


def test_rule_layer_findings_join_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a rule layer that flags every object
    def flag_all(documents: Sequence[Document], **_: object) -> list[Finding]:
        return [Finding.at(d, "test-rule", "flagged", severity=Severity.WARNING) for d in documents]

    monkeypatch.setattr(guestbook.validate.rules, "run", flag_all)
    # When a valid file is validated
    report = validate([FIXTURES / "argocd_application_valid.yaml"])
    # Then its findings are in the report, as warnings that do not fail by default
    assert [(f.rule, f.line) for f in report.findings] == [("test-rule", 1)]
    assert not report.failed()
    assert report.failed(Severity.WARNING)


def test_layers_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Given no tools at all
    monkeypatch.setenv("GUESTBOOK_TOOLS_DIR", str(tmp_path))
    # Then the rule layers alone still run (no kubeconform needed)
    report = validate([FIXTURES / "argocd_application_valid.yaml"], schema=False)
    assert report.findings == ()
    assert report.documents == 1


def test_missing_tools_ask_for_make_setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GUESTBOOK_TOOLS_DIR", str(tmp_path))
    with pytest.raises(GuestbookError, match="guestbook tools install"):
        validate([FIXTURES / "unknown_field.yaml"])


def test_an_unsupported_kubernetes_version_is_refused_with_the_choices() -> None:
    with pytest.raises(GuestbookError, match=r"1\.20\.0 is not supported; use one of 1\.33"):
        validate([FIXTURES / "unknown_field.yaml"], kubernetes_version="1.20.0")


def test_a_missing_path_is_a_user_error() -> None:
    with pytest.raises(GuestbookError, match="no such file or folder"):
        validate([FIXTURES / "does-not-exist.yaml"])


def test_an_empty_folder_is_an_empty_report(tmp_path: Path) -> None:
    report = validate([tmp_path])
    assert (report.files, report.documents, report.findings) == (0, 0, ())


def test_kubeconform_does_not_outlive_a_failing_rule_layer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a rule layer with a bug
    started = []
    original = Kubeconform.start

    def start(self: Kubeconform, files: Sequence[str]) -> Run:
        started.append(run := original(self, files))
        return run

    def broken(_documents: Sequence[Document], **_: object) -> list[Finding]:
        raise RuntimeError("bug")

    monkeypatch.setattr(Kubeconform, "start", start)
    monkeypatch.setattr(guestbook.validate.rules, "run", broken)
    # When validation fails with it (kubeconform running: no verdict from the cache),
    # then the traceback is the bug's...
    with pytest.raises(RuntimeError, match="bug"):
        validate([FIXTURES / "unknown_field.yaml"], settings=ValidateSettings(cache=False))
    # ...and no kubeconform process is left behind
    assert [p.poll() is not None for p in started[0].processes] == [True]


def test_the_items_of_a_list_are_validated_by_kubeconform_and_the_rules() -> None:
    # Given a v1 List whose Deployment has a quoted replica count and a selector
    # that does not match its pods
    report = validate([FIXTURES / "list_with_a_broken_deployment.yaml"])
    found = {(f.rule, f.line, str(f.ref)) for f in report.findings if f.severity is Severity.ERROR}
    # Then kubeconform's finding and the rule's point into the item, and the List itself,
    # which needs no name, is no object
    assert ("schema", 20, "Deployment/shop/web") in found
    assert ("selector-matches-template", 21, "Deployment/shop/web") in found
    assert not any("List" in ref for _, _, ref in found)
    assert report.documents == 2


def test_the_items_of_a_typed_list_are_the_objects() -> None:
    # Given a ConfigMapList (a typed list, which kubectl applies item by item), with no name
    # of its own and a second item whose name the API server refuses
    report = validate([FIXTURES / "config_map_list_with_a_bad_item_name.yaml"])
    found = {(f.rule, f.line, str(f.ref)) for f in report.findings if f.severity is Severity.ERROR}
    # Then the list itself is no object (it needs no name), and the items are checked
    assert not any("ConfigMapList" in ref for _, _, ref in found), found
    assert {rule for rule, _, _ in found} == {"object-name"}
    assert report.documents == 2


@pytest.mark.parametrize(
    "name",
    [
        "config_map_with_a_value_left_empty",
        "pod_read_back_without_image_ids",
        "csidriver_without_spec",
    ],
)
def test_what_the_api_server_accepts_though_the_openapi_document_says_otherwise(name: str) -> None:
    # Given a manifest the API server accepts (found in the real-world corpus): a null map
    # value, a status without fields the document marks required, a CSIDriver without spec
    report = validate([FIXTURES / f"{name}.yaml"])
    # Then the validator reports no error on it
    assert [f.message for f in report.findings if f.severity is Severity.ERROR] == []


ROLLOUT_STEPS = """frontend:
  canary:
    steps:
      - setWeight: 25
      - pause: {}
      - setWeight: 50
      - pause: {duration: 30s}
  """


def test_an_environment_with_a_rollout_frontend_validates_without_errors(tmp_path: Path) -> None:
    # Given this project's environments, staging's frontend rolled out by Argo Rollouts steps
    from guestbook.environments import load_environments
    from guestbook.render import synth
    from guestbook.settings import load_argocd_settings

    envs = tmp_path / "environments"
    envs.mkdir()
    for overlay in (ROOT / "environments").glob("*.yaml"):
        (envs / overlay.name).write_text(overlay.read_text())
    staging = (envs / "staging.yaml").read_text()
    (envs / "staging.yaml").write_text(staging.replace("frontend:\n  ", ROLLOUT_STEPS, 1))
    settings = load_argocd_settings(ROOT / "pyproject.toml")
    synth(load_environments(envs), tmp_path / "dist", settings=settings)
    assert (tmp_path / "dist" / "staging" / "rollout-frontend.yaml").is_file()
    # When everything is validated, schemas (Argo Rollouts' CRDs built in) and rules, as a
    # complete set
    report = validate([tmp_path / "dist"], settings=ValidateSettings(complete=True))
    # Then there is no error: the Rollout has a schema and every reference to it resolves
    errors = [
        f"{f.rule}: {f.ref.name}: {f.message}"
        for f in report.findings
        if f.severity is Severity.ERROR
    ]
    assert errors == []
    assert report.documents > 0
