"""guestbook-reader (the Go fast path) gives exactly what read_documents gives, or falls back."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from guestbook.errors import GuestbookError
from guestbook.validate import validate
from guestbook.validate.documents import find_files, read_documents
from guestbook.validate.kubeconform import Kubeconform, Run
from guestbook.validate.reader import FieldLines, Reader, _lines
from guestbook.validate.settings import ValidateSettings
from guestbook.validate.tools import reader_binary, tools_dir
from tests.conftest import FIXTURES, ROOT

sys.path.insert(0, str(ROOT / "bench"))
import fleet_overlays

READER_FIXTURES = FIXTURES / "validate" / "reader"
GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))


@pytest.fixture(scope="module")
def reader() -> Reader:
    """The reader `make setup` builds; these tests are about it, so it must be there."""
    binary = reader_binary()
    assert binary.is_file(), f"{binary} is missing: run `make setup`"
    return Reader(binary)


def strict(value: Any) -> Any:
    """``value`` with types and key order made visible (1 == 1.0 == True in Python)."""
    if type(value) is dict:
        return ("dict", [(strict(k), strict(v)) for k, v in value.items()])
    if type(value) is list:
        return ("list", [strict(v) for v in value])
    return (type(value).__name__, repr(value))


def outcome(result: tuple[list[Any], list[Any]]) -> Any:
    """Documents (file, line, object, field lines) and findings, comparable exactly."""
    documents, findings = result
    return (
        [
            (d.path, d.line, strict(d.obj), sorted(dict(d.lines).items(), key=repr))
            for d in documents
        ],
        findings,
    )


def reasons(reader: Reader, files: Sequence[Path]) -> list[str | None]:
    """For each file, why the Go reader left it to Python (None: it read it)."""
    names = b"".join(bytes(f) + b"\0" for f in files)
    run = subprocess.run([str(reader.binary)], input=names, capture_output=True, check=True)
    return [entry.get("fallback") for entry in json.loads(run.stdout)]


def assert_same_as_read_documents(reader: Reader, files: Sequence[Path]) -> None:
    merged = reader.read(files)
    for path, result in zip(files, merged, strict=True):
        assert outcome(result) == outcome(read_documents(path)), path


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rendered fleet of 12 environments (every combination of the bench options)."""
    return fleet_overlays.render_fleet(tmp_path_factory.mktemp("fleet"), 12)


@pytest.mark.parametrize("folder", ["tests", "dist", "environments", "fleet"])
def test_every_file_reads_the_same_as_in_python(reader: Reader, folder: str, fleet: Path) -> None:
    # Given every manifest file of the folder (fixtures include broken ones on purpose)
    files = find_files([fleet if folder == "fleet" else ROOT / folder])
    assert files
    # When the Go reader reads them, falling back to Python per file
    # Then each file's documents, objects, lines and findings are read_documents'
    assert_same_as_read_documents(reader, files)


def test_each_entry_comes_with_the_json_the_reader_printed_for_it(reader: Reader) -> None:
    # Given files the reader reads and one it leaves to Python
    files = [*find_files([ROOT / "dist"])[:5], FIXTURES / "reader" / "anchors_and_aliases.yaml"]
    # When they are read
    found = reader.start(files).entries_and_json()
    # Then each entry read in Go comes with the JSON of its whole entry, the others with None
    for entry, printed in found[:-1]:
        assert printed is not None and json.loads(printed) == {"documents": entry}
    entry, printed = found[-1]
    assert entry is None and printed is not None and "fallback" in json.loads(printed)


def test_output_without_one_entry_per_line_gives_no_json_per_entry() -> None:
    # Given a reader's output with its entries on one line (as a reader built before)
    out = b'[{"documents":[]},{"fallback":"x"}]\n'
    # Then the entries' own JSON is not told apart, rather than told wrong
    assert _lines(out, 2) == [None, None]
    assert _lines(b'[{"documents":[]},\n{"fallback":"x"}]\n', 2) == [
        b'{"documents":[]}',
        b'{"fallback":"x"}',
    ]


@pytest.mark.parametrize("folder", ["dist", "fleet"])
def test_rendered_files_never_fall_back(reader: Reader, folder: str, fleet: Path) -> None:
    # Given files rendered by guestbook synth
    files = find_files([fleet if folder == "fleet" else ROOT / "dist"])
    # Then the Go reader reads every one of them itself
    assert set(reasons(reader, files)) == {None}


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("reader/anchors_and_aliases.yaml", "anchor"),
        ("reader/merge_key.yaml", "merge key"),
        ("reader/explicit_tag.yaml", "tag"),
        ("reader/non_specific_tag.yaml", "tag"),
        ("duplicate_key.yaml", "duplicate key"),
        ("syntax_error.yaml", "YAML error"),
        ("reader/non_mapping_document.yaml", "document is not a mapping"),
        ("reader/non_string_key.yaml", "int key"),
        ("reader/boolean_key.yaml", "bool key"),
        ("reader/timestamp_value.yaml", "timestamp value"),
        ("reader/octal_int.yaml", "int other than decimal"),
        ("reader/hex_int.yaml", "int other than decimal"),
        ("reader/sexagesimal_int.yaml", "int other than decimal"),
        ("reader/infinity_float.yaml", "float other than decimal"),
        ("reader/tab_in_indentation.yaml", "tab in indentation"),
        (
            "reader/colon_before_flow_indicator.yaml",
            "flow scalar ending in ':'",
        ),
        ("reader/directive.yaml", "directive"),
        ("reader/byte_order_mark.yaml", "byte order mark"),
        ("reader/invalid_utf8.yaml", "not valid UTF-8"),
        ("reader/deep_nesting.yaml", "deep nesting"),
    ],
)
def test_unusual_files_fall_back_to_python(reader: Reader, fixture: str, reason: str) -> None:
    # Given a file the Go reader cannot read exactly like PyYAML
    path = FIXTURES / "validate" / fixture
    # Then it says why and leaves the file to Python, whose result is used as it is
    assert reasons(reader, [path]) == [reason]
    assert_same_as_read_documents(reader, [path])


def test_a_duplicate_key_is_the_same_finding_with_file_and_line(reader: Reader) -> None:
    path = FIXTURES / "validate" / "duplicate_key.yaml"
    [(documents, findings)] = reader.read([path])
    assert [d.ref.name for d in documents] == ["after-the-duplicate"]
    assert [(f.rule, f.path, f.line, f.message) for f in findings] == [
        ("yaml", path, 5, "invalid YAML: duplicate key 'name' (first on line 4)")
    ]


@pytest.mark.parametrize(
    "fixture",
    [
        "scalars_of_every_kind.yaml",
        "empty_documents_and_comments.yaml",
        "windows_line_endings.yaml",
        "escaped_single_quote.yaml",
    ],
)
def test_ordinary_yaml_is_read_in_go(reader: Reader, fixture: str) -> None:
    path = READER_FIXTURES / fixture
    assert reasons(reader, [path]) == [None]
    assert_same_as_read_documents(reader, [path])


tricky_strings = st.sampled_from(
    ["yes", "No", "on", "0777", "0x1F", "1e3", "1_000", "12:30", "2001-12-14", "~", "", "null",
     "<<", "=", "-", "- x", "a: b", "#", "a #b", "é", "日本", "😀", "tab\there", "two\nlines",
     "trailing\n", " lead", "1.5", ".inf", "'q'", '"q"', "\\", "08", "+1", "-0", "[x]", "{x}"]
)  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(),
    st.text(max_size=12),
    tricky_strings,
)
keys = st.one_of(st.text(max_size=8), tricky_strings)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=24,
)
documents = st.dictionaries(keys, values, min_size=1, max_size=5)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["", "# a comment\n", "---\n"]),
    st.lists(
        st.tuples(
            st.sampled_from(["---\n", "--- # started\n", "# a comment\n---\n", "\n---\n"]),
            documents,
            st.sampled_from([False, True, None]),  # block, flow, PyYAML's mix
            st.sampled_from([None, 20, 80]),  # line width: short ones fold long strings
            st.booleans(),  # allow_unicode
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_random_documents_read_the_same(
    reader: Reader, tmp_path_factory: pytest.TempPathFactory, head: str, docs: Any
) -> None:
    # Given several documents dumped by PyYAML in one file, in block or flow style
    text = head
    for index, (separator, data, flow, width, unicode) in enumerate(docs):
        text += (separator if index else "") + yaml.safe_dump(
            data, default_flow_style=flow, width=width, allow_unicode=unicode
        )
    path = tmp_path_factory.mktemp("random") / "documents.yaml"
    path.write_text(text, encoding="utf-8")
    # Then the merged result is read_documents'
    assert_same_as_read_documents(reader, [path])


def test_field_lines_are_built_on_first_use_and_equal_a_dict() -> None:
    # Given the objects and lines the reader sends for "a: [x, {b: 1}]\nc: 2\n" (lines 1-2)
    lines = FieldLines({"a": ["x", {"b": 1}], "c": 2}, [1, 1, 1, 1, 2])
    # Then they are the mapping read_documents builds
    assert lines == {("a",): 1, ("a", 0): 1, ("a", 1): 1, ("a", 1, "b"): 1, ("c",): 2}
    assert lines.get(("c",)) == 2
    assert lines.get(("nope",)) is None
    assert len(lines) == 5


def test_reading_leaves_the_cycle_collector_as_it_was(reader: Reader) -> None:
    files = [ROOT / "dist" / "prod" / "deployment-frontend.yaml"]
    reader.read(files)
    assert gc.isenabled()
    gc.disable()
    try:
        reader.read(files)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_without_the_binary_python_reads_every_file(tmp_path: Path) -> None:
    # Given no reader binary (a library installed without `make setup`)
    files = find_files([FIXTURES / "validate"])
    missing = Reader(tmp_path / "guestbook-reader")
    # Then every file is read by read_documents, silently
    for path, result in zip(files, missing.read(files), strict=True):
        assert outcome(result) == outcome(read_documents(path))


def _tools_without_reader(folder: Path) -> Path:
    """A tools folder with the real kubeconform and schemas but no reader."""
    (folder / "bin").mkdir(parents=True)
    (folder / "bin" / "kubeconform").symlink_to(tools_dir() / "bin" / "kubeconform")
    (folder / "schemas").symlink_to(tools_dir() / "schemas")
    return folder


def test_validation_reports_the_same_without_the_binary(tmp_path: Path) -> None:
    # Given the fixtures of every layer, validated with and without the reader
    paths = [FIXTURES / "validate", FIXTURES / "rules", ROOT / "dist"]
    with_reader = validate(paths)
    without = validate(paths, tools=_tools_without_reader(tmp_path / "tools"))
    # Then the reports are the same
    assert without == with_reader
    assert with_reader.findings


def _schemas_only(tools: Path) -> Path:
    """``tools``, made, with the schemas and no binaries."""
    tools.mkdir(parents=True)
    (tools / "schemas").symlink_to(tools_dir() / "schemas")
    return tools


def _failing_reader(folder: Path, script: str) -> Path:
    binary = folder / "bin" / "guestbook-reader"
    binary.parent.mkdir(parents=True, exist_ok=True)
    binary.write_text(f"#!/bin/sh\n{script}\n")
    binary.chmod(0o755)
    return binary


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("echo 'reader broke' >&2; exit 3", r"guestbook-reader failed \(exit 3\): reader broke"),
        ("echo 'not json'", r"guestbook-reader failed \(exit 0\): no error message"),
        ("cat >/dev/null; echo '[]'", r"guestbook-reader failed \(exit 0\)"),
    ],
)
def test_a_failing_binary_is_a_user_error(tmp_path: Path, script: str, message: str) -> None:
    reader = Reader(_failing_reader(tmp_path, script))
    with pytest.raises(GuestbookError, match=message):
        reader.read([FIXTURES / "validate" / "unknown_field.yaml"])


def test_a_binary_that_exits_before_taking_the_names_is_an_error(tmp_path: Path) -> None:
    # Given more names than a pipe holds, and a reader that exits without reading them
    reader = Reader(_failing_reader(tmp_path, "echo 'no names read' >&2; exit 1"))
    files = [tmp_path / f"{'long-name-' * 10}{number}.yaml" for number in range(2000)]
    # Then the error is the reader's, and nothing hangs
    with pytest.raises(GuestbookError, match="no names read"):
        reader.read(files)


def test_a_failing_binary_exits_2_from_the_cli(tmp_path: Path) -> None:
    # Given a tools folder whose reader fails
    tools = _tools_without_reader(tmp_path / "tools")
    _failing_reader(tools, "echo 'reader broke' >&2; exit 3")
    # When guestbook validate runs with it
    run = subprocess.run(
        [GUESTBOOK, "validate", str(ROOT / "dist")],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "GUESTBOOK_TOOLS_DIR": str(tools)},
    )
    # Then it exits 2 with the reader's message, and no traceback
    assert run.returncode == 2
    assert "guestbook-reader failed (exit 3): reader broke" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_reader_does_not_outlive_a_failing_setup(tmp_path: Path) -> None:
    # Given a slow reader, and no kubeconform
    tools = _schemas_only(tmp_path / "tools")
    _failing_reader(tools, "exec sleep 60")
    started = []
    original = Reader.start

    def start(self: Reader, files: Sequence[Path]) -> Any:
        started.append(reading := original(self, files))
        return reading

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Reader, "start", start)
        # When validation fails for want of kubeconform
        with pytest.raises(GuestbookError, match="kubeconform not found"):
            validate([ROOT / "dist"], tools=tools)
    # Then no reader is left running (none was started: kubeconform starts first)
    assert all(r.process is None or r.process.poll() is not None for r in started)


def test_kubeconform_does_not_outlive_a_failing_reader(tmp_path: Path) -> None:
    # Given a kubeconform that takes its time, and a reader that fails
    tools = _schemas_only(tmp_path / "tools")
    _failing_reader(tools, "echo 'reader broke' >&2; exit 3")
    slow = tools / "bin" / "kubeconform"
    slow.write_text("#!/bin/sh\nexec sleep 60\n")
    slow.chmod(0o755)
    runs: list[Run] = []
    original = Kubeconform.start

    def start(self: Kubeconform, files: Sequence[str]) -> Run:
        runs.append(run := original(self, files))
        return run

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Kubeconform, "start", start)
        # When validation fails on the reader's error
        with pytest.raises(GuestbookError, match="reader broke"):
            validate([ROOT / "dist"], tools=tools, settings=ValidateSettings(cache=False))
    # Then kubeconform, started first, has been ended
    [run] = runs
    assert all(process.poll() is not None for process in run.processes)


def test_a_large_list_reads_item_by_item_as_in_python(reader: Reader, tmp_path: Path) -> None:
    # Given a List of 6,000 objects of several shapes, with fields before and after its items
    shapes: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1", "b": "two"}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c"}]}}},
        },
        {"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}, {"port": 8}]}},
    ]
    items = [
        {**json.loads(json.dumps(shapes[n % 3])), "metadata": {"name": f"item-{n}"}}
        for n in range(6000)  # copies: shared objects would be dumped as YAML anchors
    ]
    path = tmp_path / "list.yaml"
    listed = {"apiVersion": "v1", "kind": "List", "metadata": {}, "items": items, "z": [{}]}
    path.write_text(yaml.safe_dump(listed, sort_keys=False))
    assert reasons(reader, [path]) == [None]
    # Then each item has the object and field lines read_documents gives it
    assert_same_as_read_documents(reader, [path])
