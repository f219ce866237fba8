"""The ``guestbook`` command line.

Exit codes: 0 success, 1 findings (validation, differences), 2 usage or
configuration errors. User errors print one message and no traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from guestbook.errors import GuestbookError

app = typer.Typer(
    name="guestbook",
    help="Render the Kubernetes guestbook into GitOps-ready manifests, one folder per environment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_FINDINGS = 1
EXIT_USAGE = 2

EnvironmentsDir = Annotated[
    Path,
    typer.Option(
        "--environments-dir",
        "-e",
        help="Folder with one <name>.yaml overlay per environment.",
        envvar="GUESTBOOK_ENVIRONMENTS_DIR",
    ),
]


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a :class:`GuestbookError` into one message on stderr and exit code 2."""
    try:
        yield
    except GuestbookError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


@app.command()
def synth(
    env: Annotated[
        list[str] | None,
        typer.Option(
            "--env",
            help="Render only this environment (repeatable); its folder is replaced, "
            "the rest of the output is kept. Default: all environments, output replaced whole.",
        ),
    ] = None,
    environments_dir: EnvironmentsDir = Path("environments"),
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Output folder.", envvar="CDK8S_OUTDIR", show_envvar=True
        ),
    ] = Path("dist"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    """Render environments into OUTPUT/<env>/, one file per object.

    Nothing in OUTPUT changes unless every environment renders.
    """
    with user_errors():
        # Imported here: loading cdk8s (jsii, Node) is slow, and only synth needs it.
        from guestbook.config import load_environments  # noqa: PLC0415
        from guestbook.render import synth as render  # noqa: PLC0415

        environments = load_environments(environments_dir, env or ())
        count = render(environments, output, partial=bool(env))
    if not quiet:
        names = ", ".join(e.name for e in environments)
        print(
            f"rendered {count} files for {len(environments)} environments ({names}) into {output}/"
        )


@app.command()
def schema(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here instead of standard output."),
    ] = None,
) -> None:
    """Print the JSON Schema of an environment overlay file (for editors)."""
    from guestbook.config import overlay_json_schema  # noqa: PLC0415

    text = overlay_json_schema()
    if output is None:
        sys.stdout.write(text)
    else:
        with user_errors():
            try:
                output.write_text(text, encoding="utf-8")
            except OSError as err:
                raise GuestbookError(f"{output}: cannot write: {err.strerror}") from None


def main() -> None:
    """Entry point of the ``guestbook`` console script."""
    app()
