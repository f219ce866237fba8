"""The console script's fast ``validate`` path behaves exactly like the Typer command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from guestbook.entry import parse_validate

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "validate"
GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))


def _run(command: list[str]) -> tuple[int, str, str]:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--quiet", "dist/dev", "dist/prod"],
        ["dist/prod", "--format", "json", "--fail-on", "warning"],
        ["--kubernetes-version=1.33.13", "-q", "dist/argocd"],
        ["--complete", "-q", "tests/fixtures/rules/service_selecting_no_pod.yaml"],
        ["--no-cache", "--format", "json", "dist/prod"],
        ["--config", "no-such-config.yaml", "dist/dev"],
        [str(FIXTURES)],
        ["--kubernetes-version", "1.20.0", "dist"],
        ["no/such/folder"],
        ["--format", "nope", "dist"],
        ["--format"],
        ["--unknown", "dist"],
        ["--help"],
        ["--", "dist"],
    ],
)
def test_console_script_and_typer_command_agree(args: list[str], tmp_path: Path) -> None:
    # Given a script that runs the Typer app alone, under the same program name
    typer_only = tmp_path / "guestbook"
    typer_only.write_text("from guestbook.cli import main\n\nmain()\n")
    # When a validate call is run by the console script and by that script
    fast = _run([GUESTBOOK, "validate", *args])
    typer = _run([sys.executable, str(typer_only), "validate", *args])
    # Then exit code, report and messages are the same
    assert fast == typer


def test_plain_calls_are_parsed_and_anything_unusual_is_left_to_typer() -> None:
    # Given paths and documented options, Then they are parsed, last value winning
    args = ["a", "--format=json", "-q", "b", "--format", "text", "--complete", "--no-cache"]
    call = parse_validate([*args, "--config", "c.yaml"])
    assert call is not None
    assert call.paths == [Path("a"), Path("b")]
    assert call.values == {"--format": "text", "--config": "c.yaml"}
    assert call.quiet
    assert call.complete
    assert call.no_cache
    # Given help, unknown options, a missing value or "--", Then nothing is parsed
    for args in (["--help"], ["-x"], ["--fail-on"], ["--format", "--quiet"], ["--", "a"]):
        assert parse_validate(args) is None


def test_sigterm_unwinds_and_exits_143_without_a_traceback(tmp_path: Path) -> None:
    # Given a guestbook command that is stopped by SIGTERM while it runs
    script = tmp_path / "stopped.py"
    script.write_text(
        "import os, signal, sys\n"
        "from guestbook import entry\n"
        "def run(args):\n"
        "    try:\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "    finally:\n"
        "        print('cleaned up')\n"
        "entry._main = run\n"
        "entry.main()\n"
    )
    # When it runs
    code, out, err = _run([sys.executable, str(script)])
    # Then its finally blocks ran, it exits 128 + 15 and says why, with no traceback
    assert code == 143
    assert out == "cleaned up\n"
    assert "interrupted by SIGTERM" in err
    assert "Traceback" not in err


def test_repeated_crd_options_take_the_fast_path() -> None:
    # Given --crd twice, in both spellings (Typer's start-up would cost more than the CRDs)
    call = parse_validate(["--crd", "crds", "dist", "--crd=more.yaml"])
    # Then the fast path keeps both, in order
    assert call is not None
    assert call.crds == [Path("crds"), Path("more.yaml")]
    assert call.paths == [Path("dist")]


RECORD_RENDERERS = """\
import atexit, os, sys
def _record():
    with open(os.environ["RENDERERS_RECORD"], "a") as record:
        record.write(f"{'guestbook.render' in sys.modules} {sys.flags.optimize}\\n")
atexit.register(_record)
"""


def test_the_cli_renders_with_jsii_argument_checks_compiled_out(tmp_path: Path) -> None:
    # Given every Python process records, on exit, whether it rendered and under which -O
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(RECORD_RENDERERS)
    record = tmp_path / "record"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(ROOT / "lib")]),
        "RENDERERS_RECORD": str(record),
    }
    env.pop("PYTHONOPTIMIZE", None)
    # When the console script renders (started without -O, as a user starts it)
    subprocess.run(
        [GUESTBOOK, "synth", "--quiet", "--env", "dev", "--output", str(tmp_path / "out")],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    # Then the process that rendered ran under -O: jsii's generated argument checks are
    # guarded by __debug__, and repeat at run time what mypy --strict proves (~40 % of a render)
    renderers = [line.split()[1] for line in record.read_text().splitlines() if "True" in line]
    assert renderers == ["1"], record.read_text()
