"""The console script's fast ``validate`` path behaves exactly like the Typer command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

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
    assert call.values == {
        "output_format": "text",
        "config": Path("c.yaml"),
        "quiet": True,
        "complete": True,
        "no_cache": True,
    }
    # Given help, unknown options, a missing value, an invalid choice, an option the fast path
    # leaves to Typer, or "--", Then nothing is parsed
    for args in (
        ["--help"],
        ["-x"],
        ["--fail-on"],
        ["--format", "--quiet"],
        ["--format", "nope"],
        ["--explain", "probe"],
        ["--", "a"],
    ):
        assert parse_validate(args) is None


def test_the_fast_path_reads_the_options_the_typer_command_declares() -> None:
    # Given the validate command as Typer builds it (Click's, vendored), and the option table
    import typer.main

    from guestbook.cli import app
    from guestbook.validate.cli_options import OPTIONS

    command = typer.main.get_command(app).commands["validate"]  # type: ignore[attr-defined]

    def declared(p: Any) -> tuple[object, ...]:
        choices = tuple(p.type_descriptor.choices or ())
        return (p.name, tuple(p.opts), p.is_flag, p.multiple, p.help, p.metavar, choices)

    options = [p for p in command.params if p.param_type_name == "option"]
    # Then every option Typer parses is the table's, with its names, kind, help and choices
    assert [declared(p) for p in options] == [
        (
            o.param,
            o.names,
            o.kind == "flag",
            o.kind == "repeated",
            o.help,
            o.metavar,
            o.choices,
        )
        for o in OPTIONS
    ]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_unwinds_and_exits_128_plus_it_without_a_traceback(
    stop: signal.Signals, tmp_path: Path
) -> None:
    # Given a guestbook command stopped by SIGTERM (CI, timeout) or SIGHUP (a closed terminal)
    script = tmp_path / "stopped.py"
    script.write_text(
        "import os, signal, sys\n"
        "from guestbook import entry\n"
        "def run(args):\n"
        "    try:\n"
        f"        os.kill(os.getpid(), signal.{stop.name})\n"
        "    finally:\n"
        "        print('cleaned up')\n"
        "entry._main = run\n"
        "entry.main()\n"
    )
    # When it runs
    code, out, err = _run([sys.executable, str(script)])
    # Then its finally blocks ran, it exits 128 + the signal and says why, with no traceback
    assert code == 128 + stop
    assert out == "cleaned up\n"
    assert f"interrupted by {stop.name}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--format", "json", "dist"],  # the fast path, output larger than a pipe
        ["validate", "--format", "json", "--", "dist"],  # the same through Typer (Click)
        ["validate", "--quiet", "dist"],  # one line: still buffered when the process ends
        ["--version"],
    ],
)
def test_a_reader_that_goes_away_ends_the_command_quietly_with_141(args: list[str]) -> None:
    # Given a guestbook command whose stdout is a pipe nobody reads (`guestbook ... | true`)
    with subprocess.Popen(
        [GUESTBOOK, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        # When it writes its output
        err = process.stderr.read().decode()
        code = process.wait(timeout=120)
    # Then it ends as a pipeline's writer conventionally does: 128 + SIGPIPE, nothing said
    assert (code, err) == (128 + signal.SIGPIPE, "")


def test_repeated_crd_options_take_the_fast_path() -> None:
    # Given --crd twice, in both spellings (Typer's start-up would cost more than the CRDs)
    call = parse_validate(["--crd", "crds", "dist", "--crd=more.yaml"])
    # Then the fast path keeps both, in order
    assert call is not None
    assert call.values == {"crd": [Path("crds"), Path("more.yaml")]}
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
