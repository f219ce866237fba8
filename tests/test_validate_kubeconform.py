"""The kubeconform runner: its command line, and reading what kubeconform prints."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from guestbook.errors import GuestbookError
from guestbook.validate.kubeconform import (
    GO_GC_PERCENT,
    Kubeconform,
    SchemaError,
    argument_budget,
    batches,
    leaf_errors,
    parse_result,
    pointer_tokens,
)
from guestbook.validate.schemas import SchemaStore
from guestbook.validate.tools import kubeconform_binary, schemas_root


def runner(tmp_path: Path, binary: Path | None = None) -> Kubeconform:
    return Kubeconform(binary or tmp_path / "kubeconform", SchemaStore(tmp_path, "1.34.3"))


def test_command_is_strict_offline_and_pinned_to_the_version(tmp_path: Path) -> None:
    # Given a runner for Kubernetes 1.34.3
    command = runner(tmp_path).command(["a.yaml"])
    # Then kubeconform is strict, versioned, and reads schemas only from the local cache
    assert "-strict" in command
    assert command[command.index("-kubernetes-version") + 1] == "1.34.3"
    locations = [command[i + 1] for i, arg in enumerate(command) if arg == "-schema-location"]
    assert locations == [SchemaStore(tmp_path, "1.34.3").location]
    assert locations[0].startswith(tmp_path.resolve().as_posix() + "/")
    assert "-ignore-missing-schemas" not in command
    assert command[-2:] == ["--", "a.yaml"]


def test_missing_binary_asks_for_make_setup(tmp_path: Path) -> None:
    with pytest.raises(GuestbookError, match="guestbook tools install"):
        runner(tmp_path).start(["a.yaml"])


def test_output_that_is_not_json_is_a_setup_error(tmp_path: Path) -> None:
    # Given a "kubeconform" that fails without JSON
    fake = tmp_path / "kubeconform"
    fake.write_text("#!/bin/sh\necho 'flag provided but not defined' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    # When it runs, then the user gets one message, not a traceback
    with pytest.raises(GuestbookError, match="kubeconform failed \\(exit 1\\)"):
        runner(tmp_path, fake).run(["a.yaml"])


@pytest.mark.parametrize(
    ("callers", "seen"), [(None, GO_GC_PERCENT), ("150", "150"), ("off", "off")]
)
def test_kubeconform_collects_garbage_less_often_unless_the_caller_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, callers: str | None, seen: str
) -> None:
    # Given a program in kubeconform's place that notes the GOGC it was started with
    probe = tmp_path / "kubeconform"
    probe.write_text(
        '#!/bin/sh\nprintf %s "${GOGC-unset}" > "$(dirname "$0")/gogc"\necho \'{"resources":[]}\'\n'
    )
    probe.chmod(probe.stat().st_mode | stat.S_IEXEC)
    if callers is None:
        monkeypatch.delenv("GOGC", raising=False)
    else:
        monkeypatch.setenv("GOGC", callers)
    # When it runs, then it had the caller's GOGC, or 400 when the caller set none
    assert runner(tmp_path, probe).run(["a.yaml"]) == []
    assert (tmp_path / "gogc").read_text() == seen


def test_the_argument_budget_counts_the_environment_kubeconform_gets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the environment without GOGC, then with one as long as the one added
    monkeypatch.delenv("GOGC", raising=False)
    added = argument_budget()
    monkeypatch.setenv("GOGC", "x" * len(GO_GC_PERCENT))
    # Then the budget is the same: GOGC=400 is counted when it is added
    assert argument_budget() == added


def test_leaf_errors_come_from_the_innermost_level_of_the_error_tree() -> None:
    # Given kubeconform's one-line rendering of a nested error tree
    message = (
        "problem validating schema. Check JSON formatting: jsonschema validation failed "
        "with 'file:///s.json#' - at '/metadata': additional properties 'labelz' not allowed"
        " - at '/spec': validation failed   - at '/spec/replicas': got string, want integer"
        "   - at '/spec/template/spec/containers/0/ports/0': additional properties "
        "'protocl' not allowed"
    )
    # Then the groups ("validation failed") are dropped and every leaf kept
    assert leaf_errors(message) == (
        SchemaError(("metadata",), "additional properties 'labelz' not allowed"),
        SchemaError(("spec", "replicas"), "got string, want integer"),
        SchemaError(
            ("spec", "template", "spec", "containers", "0", "ports", "0"),
            "additional properties 'protocl' not allowed",
        ),
    )


def test_json_pointer_tokens_are_unescaped() -> None:
    assert pointer_tokens("/metadata/labels/app.kubernetes.io~1name") == (
        "metadata",
        "labels",
        "app.kubernetes.io/name",
    )
    assert pointer_tokens("") == ()


def test_a_result_without_a_tree_falls_back_to_validation_errors() -> None:
    result = parse_result(
        {
            "filename": "a.yaml",
            "kind": "Service",
            "name": "web",
            "version": "v1",
            "status": "statusInvalid",
            "msg": "something else",
            "validationErrors": [{"path": "/spec", "msg": "bad"}],
        }
    )
    assert result.status == "invalid"
    assert result.errors == (SchemaError(("spec",), "bad"),)


def test_a_long_file_list_is_split_but_keeps_its_order() -> None:
    # Given ten names of 25 bytes, each costing its bytes, a NUL and a pointer (34 bytes)
    files = [f"dist/env-{n:03d}/service.yaml" for n in range(10)]
    # When they are cut for command lines of 110 bytes, then three go on each in order
    cut = batches(files, limit=110)
    assert [len(b) for b in cut] == [3, 3, 3, 1]
    assert [name for batch in cut for name in batch] == files


def test_every_batch_is_validated() -> None:
    # Given one valid and one broken file, and room for one name per command line
    fixtures = Path(__file__).parent / "fixtures" / "validate"
    files = [str(fixtures / "argocd_application_valid.yaml"), str(fixtures / "wrong_type.yaml")]
    split = Kubeconform(
        kubeconform_binary(), SchemaStore(schemas_root(), "1.34.3"), max_argument_bytes=1
    )
    # When they are validated
    run = split.start(files)
    # Then two processes ran and the broken file's result is there
    assert len(run.processes) == 2
    assert [r.file for r in run.results()] == [files[1]]


def test_a_fleet_with_long_file_names_is_validated_by_one_process(tmp_path: Path) -> None:
    # Given 2,000 valid files whose names add up to far more than 100,000 characters
    # (each process loads and compiles the schemas again: several cost much more CPU)
    folder = tmp_path / ("a-folder-with-a-rather-long-name-as-in-a-ci-checkout-" * 2)
    folder.mkdir()
    valid = Path(__file__).parent / "fixtures" / "validate" / "argocd_application_valid.yaml"
    files = []
    for number in range(2000):
        file = folder / f"application-guestbook-environment-{number:04d}.yaml"
        file.write_bytes(valid.read_bytes())
        files.append(str(file))
    assert sum(len(name) for name in files) > 300_000
    kubeconform = Kubeconform(kubeconform_binary(), SchemaStore(schemas_root(), "1.34.3"))
    # When they are validated
    run = kubeconform.start(files)
    # Then one kubeconform process took them all, and found nothing
    assert len(run.processes) == 1
    assert run.results() == []
