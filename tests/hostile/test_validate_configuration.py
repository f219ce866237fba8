"""Hostile and careless validate configuration: one clear message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from guestbook.errors import GuestbookError
from guestbook.validate.config_file import CONFIG_FILE, find_config
from guestbook.validate.configuration import load_config
from guestbook.validate.model import Document
from guestbook.validate.rules import run
from guestbook.validate.rules.exceptions import ANNOTATION, MAX_INVALID_REPORTED


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (CONFIG_FILE, b"\xff\xfe not text", "not UTF-8 text"),
        (CONFIG_FILE, b"complete: [a\n", "invalid YAML"),
        (CONFIG_FILE, b"complete: dist\n", "complete: found 'dist' (string), expected a list"),
        (CONFIG_FILE, b"severity: {image-tag: fatal}\n", "severity.image-tag: found 'fatal'"),
        (CONFIG_FILE, b"disable: [1]\n", "disable.0: found 1 (number), expected a string"),
        ("pyproject.toml", b"[tool.guestbook\n", "invalid TOML"),
        ("pyproject.toml", b"[tool.guestbook]\nvalidate = 3\n", "must be a table"),
    ],
)
def test_broken_configuration_is_one_clear_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    # Given a configuration file that is broken in one careless way
    path = tmp_path / name
    path.write_bytes(content)
    # When it is read, Then one GuestbookError names the file and the problem
    with pytest.raises(GuestbookError) as caught:
        load_config(find_config(tmp_path) or path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize("line", ["rule-{}", "unknown-rule-{}: a reason"])
def test_a_huge_skip_annotation_costs_a_bounded_report(line: str) -> None:
    # Given an object whose skip annotation has 100,000 invalid lines
    value = "\n".join(line.format(i) for i in range(100_000))
    doc = Document(
        path=Path("huge.yaml"),
        line=1,
        obj={
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"annotations": {ANNOTATION: value}},
        },
    )
    # When the rules run, Then the first ten lines are reported and the rest counted
    findings = [f for f in run([doc]) if f.rule == "exception-invalid"]
    assert len(findings) == MAX_INVALID_REPORTED + 1
    assert any(f.message.endswith("99990 more invalid lines") for f in findings)
