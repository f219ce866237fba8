"""One registry of writers per subsystem: registering a format is all it takes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "validate"

REGISTER_VALIDATE = (
    "from guestbook.validate.output import FORMATS\n"
    "FORMATS['probe'] = lambda report, fail_on: f'probe {report.documents} objects\\n'\n"
)
REGISTER_DIFF = (
    "from guestbook.diff.output import FORMATS\n"
    "FORMATS['probe'] = lambda report, *, color: 'probe\\n'\n"
)


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_a_validate_format_registered_once_is_accepted_by_typer_and_the_fast_path() -> None:
    # Given a writer added to the validate registry and nowhere else
    manifest = str(FIXTURES / "unknown_field.yaml")
    for entry in ("guestbook.cli", "guestbook.entry"):
        # When `validate --format probe` runs through the Typer app and the fast path
        run = _python(
            REGISTER_VALIDATE + f"import sys\nfrom {entry} import main\nmain()\n",
            "validate",
            "--format",
            "probe",
            manifest,
        )
        # Then both accept the format and print that writer's output (exit 1: the finding)
        assert (run.returncode, run.stdout, run.stderr) == (1, "probe 1 objects\n", ""), entry


def test_a_diff_format_registered_once_is_a_cli_choice_and_renders() -> None:
    # Given a writer added to the diff registry and nowhere else
    # When diff's help is printed
    run = _python(REGISTER_DIFF + "from guestbook.cli import main\nmain()\n", "diff", "--help")
    # Then the format is one of the --format choices
    assert run.returncode == 0, run.stderr
    assert "probe" in run.stdout
    # And format_report renders through it
    code = (
        REGISTER_DIFF + "from guestbook.diff.output import format_report\n"
        "from guestbook.diff.model import DiffReport, Revision\n"
        "report = DiffReport(Revision('HEAD'), Revision('working tree'), ())\n"
        "print(format_report(report, 'probe'), end='')\n"
    )
    run = _python(code)
    assert (run.returncode, run.stdout) == (0, "probe\n"), run.stderr
