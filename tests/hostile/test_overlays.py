"""Hostile and careless overlays and pyproject settings: each fails with exit 2 naming the file
(and line), or loads as meant; none is skipped, none hangs, none expands without bound."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from guestbook.environments import load_environments
from guestbook.errors import GuestbookError
from guestbook.settings import load_argocd_settings
from tests.conftest import read_tree

GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))

# Nine levels of nine aliases: 2 KB of YAML that expands to 9**9 (387 million) values.
ALIAS_BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9 if prev else ['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def _synth(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GUESTBOOK, "synth", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _envs(tmp_path: Path, **overlays: bytes) -> Path:
    envs = tmp_path / "environments"
    envs.mkdir(exist_ok=True)
    for name, data in overlays.items():
        (envs / f"{name}.yaml").write_bytes(data)
    return envs


def _error(envs: Path) -> str:
    with pytest.raises(GuestbookError) as caught:
        load_environments(envs)
    return str(caught.value)


# --- entries in environments/ that are not overlay files ---------------------------------


def _dangling_link(path: Path) -> None:
    path.symlink_to("/nonexistent")


def _link_loop(path: Path) -> None:
    path.symlink_to(path.name)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_dangling_link, "dev.yaml: cannot read (a symbolic link to /nonexistent): No such file"),
        (_link_loop, "dev.yaml: cannot read (a symbolic link to dev.yaml): Too many levels"),
        (_fifo, "dev.yaml: is not a regular file (a FIFO, socket or device)"),
        (_folder, "dev.yaml: is a folder; expected an overlay file"),
    ],
    ids=["dangling-link", "link-loop", "fifo", "folder"],
)
def test_unreadable_overlay_stops_synth_and_keeps_the_deployed_environment(
    project: Path, make: object, expected: str
) -> None:
    # Given a rendered project whose dev.yaml is replaced by something that is not a file
    before = read_tree(project / "dist")
    (project / "environments" / "dev.yaml").unlink()
    make(project / "environments" / "dev.yaml")  # type: ignore[operator]
    # When synth runs (a FIFO must not be opened for a blocking read: it would hang)
    result = _synth(project)
    # Then it exits 2 naming the file, and dist/dev/ and dev's Application are still there
    assert result.returncode == 2, result.stdout
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert read_tree(project / "dist") == before


def test_unreadable_other_overlay_stops_a_partial_synth_too(project: Path) -> None:
    # Given a dangling prod.yaml, When only dev is rendered, Then prod.yaml is still an error
    (project / "environments" / "prod.yaml").unlink()
    _dangling_link(project / "environments" / "prod.yaml")
    result = _synth(project, "--env", "dev")
    assert result.returncode == 2
    assert "prod.yaml: cannot read" in result.stderr


def test_namespace_collision_stops_a_partial_synth(project: Path) -> None:
    # Given dev.yaml moved into prod's namespace, When only dev is rendered
    before = read_tree(project / "dist")
    dev = project / "environments" / "dev.yaml"
    dev.write_text(dev.read_text() + "namespace: guestbook-prod\n")
    result = _synth(project, "--env", "dev")
    # Then it is refused as a full synth refuses it, naming dev.yaml and its last line
    line = len(dev.read_text().splitlines())
    assert result.returncode == 2
    assert f"environments/dev.yaml:{line}: namespace 'guestbook-prod' is already used" in (
        result.stderr
    )
    assert read_tree(project / "dist") == before


def test_overlay_linked_to_a_device_is_refused_unread(tmp_path: Path) -> None:
    # Given dev.yaml linking to /dev/zero (endless), Then it is refused, not read
    envs = _envs(tmp_path)
    (envs / "dev.yaml").symlink_to("/dev/zero")
    assert "dev.yaml: is not a regular file (a FIFO, socket or device)" in _error(envs)


@pytest.mark.parametrize("name", ["dev.YAML", "dev.Yml", ".yaml"])
def test_overlay_with_an_odd_suffix_is_named_not_skipped(tmp_path: Path, name: str) -> None:
    envs = _envs(tmp_path, prod=b"{}\n")
    (envs / name).write_text("{}\n")
    assert f"{envs / name}: not an overlay name; expected <name>.yaml" in _error(envs)


def test_schema_file_beside_the_overlays_is_not_an_overlay(tmp_path: Path) -> None:
    envs = _envs(tmp_path, dev=b"{}\n")
    (envs / "overlay.schema.json").write_text("{}\n")
    assert [env.name for env in load_environments(envs)] == ["dev"]


# --- bounded parsing ------------------------------------------------------------------------


def test_alias_bomb_is_refused_at_the_line_that_explodes(tmp_path: Path) -> None:
    # Given a 2 KB overlay whose aliases expand to 387 million values
    assert len(ALIAS_BOMB) < 2048
    envs = _envs(tmp_path, dev=ALIAS_BOMB.encode())
    # Then it is refused before anything is built, at the first line past the bound
    assert f"{envs / 'dev.yaml'}:6: invalid YAML: expands to more than 100000 values" in (
        _error(envs)
    )


def test_alias_bomb_stops_synth_with_exit_2(project: Path) -> None:
    (project / "environments" / "dev.yaml").write_text(ALIAS_BOMB)
    result = _synth(project)
    assert result.returncode == 2
    assert "dev.yaml:6: invalid YAML: expands to more than 100000 values" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("labels: " + "{a: " * 100 + "x" + "}" * 100, "dev.yaml:1: invalid YAML: nested deeper"),
        ("a:\n" + "".join(f"{'  ' * i}k:\n" for i in range(1, 80)), "dev.yaml:65: invalid YAML"),
        ("labels: " + "[" * 100_000 + "]" * 100_000, "dev.yaml:1: invalid YAML"),
    ],
    ids=["flow-mappings", "block-mappings", "flow-sequences"],
)
def test_deep_nesting_is_refused(tmp_path: Path, text: str, expected: str) -> None:
    envs = _envs(tmp_path, dev=text.encode())
    assert expected in _error(envs)


def test_huge_overlay_is_refused_unparsed(tmp_path: Path) -> None:
    # Given a 2 MiB overlay (a comment: valid YAML, just too large)
    envs = _envs(tmp_path, dev=b"labels: {}\n# " + b"x" * (2 << 20) + b"\n")
    assert f"{envs / 'dev.yaml'}:2: file is larger than 1048576 bytes" in _error(envs)


def test_long_value_is_shortened_in_the_message(tmp_path: Path) -> None:
    envs = _envs(tmp_path, dev=b"namespace: " + b"a" * 500_000 + b"\n")
    message = _error(envs)
    assert "(500000 characters) (string): must be at most 63 characters" in message
    assert len(message) < 500


# --- encodings, line ends and documents ------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "\ufefffrontend:\n  replicas: 2\n".encode(),
        b"frontend:\r\n  replicas: 2\r\n",
        b"---\nfrontend:\n  replicas: 2\n...\n",
        b"# two replicas\nfrontend: {replicas: 2}\n",
    ],
    ids=["byte-order-mark", "crlf", "explicit-document", "flow"],
)
def test_overlay_in_any_usual_spelling_loads(tmp_path: Path, data: bytes) -> None:
    [env] = load_environments(_envs(tmp_path, dev=data))
    assert env.props.frontend.replicas == 2


@pytest.mark.parametrize("data", [b"", b"\n\n", b"# only a comment\n", b"---\n", b"~\n"])
def test_empty_overlay_means_the_defaults(tmp_path: Path, data: bytes) -> None:
    [env] = load_environments(_envs(tmp_path, dev=data))
    assert env.props.frontend.replicas == 3


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"frontend:\n  replicas: 2\n---\nfrontend:\n  replicas: 3\n", "dev.yaml:3: invalid YAML"),
        ("labels:\n  team: caf\xe9\n".encode("latin-1"), "dev.yaml:2: not UTF-8 text (byte 0xe9)"),
        (bytes(range(256)), "dev.yaml:2: not UTF-8 text (byte 0x80)"),
        (b"frontend:\n  replicas: 2\x00\n", "dev.yaml:2: invalid YAML: character '\\x00'"),
        (b"frontend:\n\treplicas: 2\n", "dev.yaml:2: invalid YAML"),
        (b"- 1\n- 2\n", "dev.yaml:1: found a list at the top level"),
        (b"just text\n", "dev.yaml:1: found a string at the top level"),
    ],
    ids=["two-documents", "latin-1", "binary", "nul", "tab-indent", "list", "scalar"],
)
def test_unreadable_text_names_file_and_line(tmp_path: Path, data: bytes, expected: str) -> None:
    assert expected in _error(_envs(tmp_path, dev=data))


# --- keys and tags ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1: x\n", "dev.yaml:1: 1: found 1 (number): Keys should be strings"),
        ("~: x\n", "dev.yaml:1: None: found None (null): Keys should be strings"),
        ("labels:\n  1: x\n", "dev.yaml:1: labels.1: found 1 (number), expected a string"),
        ("labels:\n  since: 2024-01-01\n", "dev.yaml:2: labels.since: found datetime.date"),
        (
            "frontend: !!python/object/apply:os.system ['echo pwned']\n",
            "dev.yaml:1: invalid YAML: could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/object/apply:os.system'",
        ),
        ("frontend: !custom {replicas: 2}\n", "dev.yaml:1: invalid YAML: could not determine"),
        ("&a {frontend: *a}\n", "dev.yaml:1: invalid YAML: found unconstructable recursive"),
        ("frontend: *nowhere\n", "dev.yaml:1: invalid YAML: found undefined alias"),
    ],
    ids=[
        "number-key",
        "null-key",
        "number-label-key",
        "date-value",
        "python-tag",
        "custom-tag",
        "recursive-alias",
        "undefined-alias",
    ],
)
def test_keys_and_tags_yaml_allows_but_overlays_do_not(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert expected in _error(_envs(tmp_path, dev=text.encode()))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9" * 5000, "dev.yaml:2: invalid YAML: a number of 5000 characters"),
        ("0x" + "f" * 5000, "dev.yaml:2: invalid YAML: a number of 5002 characters"),
    ],
    ids=["decimal", "hexadecimal"],
)
def test_number_too_long_to_convert_is_an_error_not_a_crash(
    tmp_path: Path, value: str, expected: str
) -> None:
    # Given a number past Python's 4,300-digit conversion limit (a ValueError traceback before)
    envs = _envs(tmp_path, dev=f"frontend:\n  replicas: {value}\n".encode())
    assert expected in _error(envs)


def test_merge_key_is_named(tmp_path: Path) -> None:
    envs = _envs(tmp_path, dev=b"base: &b {replicas: 2}\nfrontend:\n  <<: *b\n")
    assert "dev.yaml:3: invalid YAML: merge keys (<<) are not supported" in _error(envs)


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1.0e+300"])
def test_float_quantities_that_are_not_exact_are_refused(tmp_path: Path, value: str) -> None:
    envs = _envs(
        tmp_path, dev=f"frontend:\n  resources:\n    limits:\n      cpu: {value}\n".encode()
    )
    assert "dev.yaml:4: frontend.resources.limits.cpu: found" in _error(envs)


# --- pyproject.toml ([tool.guestbook.argocd]) ------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n", "invalid TOML: arrays or tables nested"),
        (b"# " + b"x" * (2 << 20) + b"\n", "pyproject.toml:1: file is larger than 1048576 bytes"),
        ('[tool.guestbook.argocd]\nrevision = "caf\xe9"\n'.encode("latin-1"), ":2: not UTF-8"),
        (b"[tool.guestbook.argocd\n", "invalid TOML"),
        (b"[tool.other]\nn = " + b"9" * 5000 + b"\n", "invalid TOML: a number too long to read"),
        (b'[tool.guestbook]\nargocd = "x"\n', "[tool.guestbook.argocd]: found 'x' (string)"),
    ],
    ids=["deep-nesting", "huge", "latin-1", "malformed", "long-number", "not-a-table"],
)
def test_hostile_pyproject_is_a_clear_error(tmp_path: Path, data: bytes, expected: str) -> None:
    project = tmp_path / "pyproject.toml"
    project.write_bytes(data)
    with pytest.raises(GuestbookError) as caught:
        load_argocd_settings(project)
    assert str(project) in str(caught.value)
    assert expected in str(caught.value)


def test_pyproject_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    project = tmp_path / "pyproject.toml"
    os.mkfifo(project)
    with pytest.raises(GuestbookError, match="is not a regular file"):
        load_argocd_settings(project)


def test_missing_pyproject_means_the_defaults(tmp_path: Path) -> None:
    assert load_argocd_settings(tmp_path / "pyproject.toml").revision == "main"
