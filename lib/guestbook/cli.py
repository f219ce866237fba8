"""The ``guestbook`` command line.

Exit codes: 0 success, 1 findings (validation, differences), 2 usage or
configuration errors. User errors print one message and no traceback.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from guestbook.diff.output import FORMATS as DIFF_FORMATS
from guestbook.errors import GuestbookError, user_errors
from guestbook.settings import JOBS_MAX
from guestbook.validate.cli_options import BY_PARAM as VALIDATE_OPTIONS
from guestbook.validate.cli_options import run as run_validate
from guestbook.validate.model import Severity
from guestbook.validate.output import DEFAULT_FORMAT
from guestbook.validate.output import FORMATS as VALIDATE_FORMATS

app = typer.Typer(
    name="guestbook",
    help="Render the Kubernetes guestbook into GitOps-ready manifests, one folder per environment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_FINDINGS = 1


# The --format choices, made from each subsystem's registry of writers (the one list of
# formats); a StrEnum for Typer, plain str for the type checker and the code it calls.
if TYPE_CHECKING:
    ValidateFormat = str
    DiffFormat = str
else:
    ValidateFormat = StrEnum("ValidateFormat", [(name, name) for name in VALIDATE_FORMATS])
    DiffFormat = StrEnum("DiffFormat", [(name, name) for name in DIFF_FORMATS])


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        from guestbook.kubernetes import KUBERNETES_VERSION

        print(f"guestbook {version('guestbook-gitops')} (Kubernetes {KUBERNETES_VERSION})")
        raise typer.Exit()


@app.callback()
def _root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and the targeted Kubernetes version, then exit.",
        ),
    ] = False,
) -> None:
    """Render the Kubernetes guestbook into GitOps-ready manifests, one folder per environment."""


EnvironmentsDir = Annotated[
    Path,
    typer.Option(
        "--environments-dir",
        "-e",
        help="Folder with one <name>.yaml overlay per environment.",
        envvar="GUESTBOOK_ENVIRONMENTS_DIR",
    ),
]


@app.command()
def synth(
    env: Annotated[
        list[str] | None,
        typer.Option(
            "--env",
            help="Render only this environment (repeatable); its folder is replaced, "
            "the rest of the output (argocd/ included) is kept. "
            "Default: all environments and argocd/, output replaced whole.",
        ),
    ] = None,
    environments_dir: EnvironmentsDir = Path("environments"),
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Output folder: new, empty, or one a render wrote (it holds .guestbook-output).",
            envvar="CDK8S_OUTDIR",
            show_envvar=True,
        ),
    ] = Path("dist"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Render every environment; neither read nor write the render cache.",
        ),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            max=JOBS_MAX,
            help="Processes that render at once when many environments must be rendered. "
            "Default: [tool.guestbook.synth] jobs, else the cores available.",
        ),
    ] = None,
) -> None:
    """Render environments into OUTPUT/<env>/ and Argo CD's objects into OUTPUT/argocd/.

    One file per object. Nothing in OUTPUT changes unless every environment renders.
    Environments whose inputs did not change since they were last rendered are taken
    from the render cache in .tools/cache/render (see docs/environments.md).
    Argo CD's repository settings come from [tool.guestbook.argocd] in ./pyproject.toml;
    GUESTBOOK_REPO_URL and GUESTBOOK_REVISION override them.
    """
    with user_errors():
        from guestbook import warm
        from guestbook.environments import load_environments
        from guestbook.render import synth as render
        from guestbook.render_cache import RenderCache
        from guestbook.settings import load_argocd_settings, load_synth_settings

        environments = load_environments(environments_dir, env or ())
        settings = load_argocd_settings()
        count = render(
            environments,
            output,
            settings=settings,
            partial=bool(env),
            cache=None if no_cache else RenderCache.for_project(),
            jobs=load_synth_settings().effective_jobs(jobs),
        )
        warm.remember()
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
    from guestbook.environments import overlay_json_schema

    text = overlay_json_schema()
    if output is None:
        sys.stdout.write(text)
    else:
        with user_errors():
            try:
                output.write_text(text, encoding="utf-8")
            except OSError as err:
                raise GuestbookError(f"{output}: cannot write: {err.strerror}") from None


def _validate_option(param: str) -> Any:
    """A validate option as Typer declares it, from the one table the fast path reads too."""
    option = VALIDATE_OPTIONS[param]
    return typer.Option(*option.names, help=option.help, metavar=option.metavar)


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Manifest files or folders (multi-document YAML). Default: dist/."),
    ] = None,
    kubernetes_version: Annotated[str | None, _validate_option("kubernetes_version")] = None,
    output_format: Annotated[ValidateFormat, _validate_option("output_format")] = DEFAULT_FORMAT,
    fail_on: Annotated[Severity | None, _validate_option("fail_on")] = None,
    quiet: Annotated[bool, _validate_option("quiet")] = False,
    server: Annotated[Path | None, _validate_option("server")] = None,
    complete: Annotated[bool, _validate_option("complete")] = False,
    config: Annotated[Path | None, _validate_option("config")] = None,
    no_cache: Annotated[bool, _validate_option("no_cache")] = False,
    explain: Annotated[str | None, _validate_option("explain")] = None,
    crd: Annotated[list[Path] | None, _validate_option("crd")] = None,
) -> None:
    """Check manifests the way the API server would, offline: kubeconform, then the rules.

    Exit 0 when nothing fails, 1 on findings at or above --fail-on, 2 on usage or setup problems.
    """
    values = {
        "kubernetes_version": kubernetes_version,
        "output_format": output_format,
        "fail_on": fail_on,
        "quiet": quiet,
        "server": server,
        "complete": complete,
        "config": config,
        "no_cache": no_cache,
        "explain": explain,
        "crd": crd,
    }
    with user_errors():
        code = run_validate(paths or [], values)
    raise SystemExit(code)


@app.command()
def pin(
    env: Annotated[
        str, typer.Argument(metavar="ENV", help="Environment whose overlay gets the digests.")
    ],
    image_key: Annotated[
        list[str] | None,
        typer.Option(
            "--image-key",
            metavar="KEY",
            help="Pin only this image (repeatable): frontend.image, redis.leader.image, "
            "redis.followers.image, monitoring.exporterImage, logging.collector.image. "
            "Default: every image the environment deploys.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Resolve and print, write nothing.")
    ] = False,
    insecure_registry: Annotated[
        list[str] | None,
        typer.Option(
            "--insecure-registry",
            metavar="HOST",
            help="Speak plain HTTP to this registry (repeatable); loopback registries always are.",
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=0.1,
            max=3600.0,
            metavar="SECONDS",
            help="Deadline for each request to a registry, from connecting to its last byte.",
        ),
    ] = 10.0,
    environments_dir: EnvironmentsDir = Path("environments"),
) -> None:
    """Pin ENV's images by digest: resolve each tag over the OCI distribution API and write
    image: REPO:TAG@sha256:DIGEST into ENV's overlay, keeping its comments and layout.

    Never pins :latest or an untagged image. Public images only (anonymous pulls).
    """
    with user_errors():
        from guestbook.environments import load_environments
        from guestbook.oci import RegistryClient
        from guestbook.pin import check_keys, images_in_use, pin_environment, report

        requested = check_keys(image_key or ())
        [environment] = load_environments(environments_dir, [env])
        keys = requested or images_in_use(environment)
        client = RegistryClient(timeout=timeout, insecure_registries=insecure_registry or ())
        changes = pin_environment(environment, keys, client.resolve, dry_run=dry_run)
    for line in report(changes, environment.source, dry_run=dry_run):
        print(line)


@app.command()
def graph(
    env: Annotated[str, typer.Argument(help="Environment to draw (a folder of the output).")],
    dist: Annotated[Path, typer.Option("--dist", help="Rendered output folder to read.")] = Path(
        "dist"
    ),
    readme: Annotated[
        Path | None,
        typer.Option(
            "--readme",
            help="Write the diagram into this Markdown file, between its "
            "'guestbook graph ENV' markers, instead of printing it.",
        ),
    ] = None,
) -> None:
    """Print a Mermaid diagram of ENV: workloads, Services, PVCs, and allowed traffic."""
    with user_errors():
        from guestbook.graph import environment_graph, update_readme

        diagram = environment_graph(dist, env)
        if readme is None:
            sys.stdout.write(diagram)
            return
        update_readme(readme, env, diagram)


@app.command()
def diff(
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="Git revision to compare with. Default: the merge base with the default "
            "branch (origin/HEAD, else main or master); HEAD only in a repository without "
            "remotes. A shallow clone needs enough history for the merge base.",
        ),
    ] = None,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", help="Compare only this environment (repeatable). Default: all."),
    ] = None,
    output_format: Annotated[
        DiffFormat,
        typer.Option(
            "--format",
            help="Report format: text is colored on a terminal, markdown suits a PR comment.",
        ),
    ] = "text",
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit with 1 when anything changed, 0 when not.")
    ] = False,
) -> None:
    """Show what the working tree changes in the rendered manifests of each environment.

    The base is rendered by its own code in a temporary git worktree; your
    files, index and dist/ are left alone.
    """
    with user_errors():
        from guestbook.diff.compare import compare
        from guestbook.diff.output import format_report, use_color

        try:
            cwd = Path.cwd()
        except OSError as err:
            raise GuestbookError(
                f"cannot read the current folder ({err.strerror}): was it deleted or moved?"
            ) from None
        report = compare(cwd, base, env or ())
        text = format_report(report, output_format, color=use_color(sys.stdout))
    sys.stdout.write(text)
    if exit_code and report.has_changes:
        raise typer.Exit(EXIT_FINDINGS)


tools_app = typer.Typer(
    help="The validation tools: kubeconform, guestbook's Go helpers, the offline schemas.",
    no_args_is_help=True,
)
app.add_typer(tools_app, name="tools")


@tools_app.command("install")
def tools_install(
    tools_dir: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Install here. Default: $GUESTBOOK_TOOLS_DIR, else the project's .tools/ when "
            "there is one, else the per-user folder ($XDG_CACHE_HOME/guestbook/tools).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild and regenerate even what is current.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    """Build the pinned validation tools with the Go toolchain into the tools folder.

    What `guestbook validate` needs: kubeconform and guestbook's helpers, built from the Go
    module proxy at pinned versions, and the offline schemas. What is current is skipped.
    """
    with user_errors():
        from guestbook.validate.install import install
        from guestbook.validate.tools import install_dir

        target = (tools_dir or install_dir()).absolute()
        log = (lambda _: None) if quiet else (lambda line: print(line, file=sys.stderr))
        done = install(target, force=force, log=log)
        if not quiet:
            print(f"{target}: {'installed ' + ', '.join(done) if done else 'up to date'}")


def main() -> None:
    """Entry point of the ``guestbook`` console script."""
    # Named here: a rendering command runs as `python -O -m guestbook` (see guestbook.entry).
    app(prog_name="guestbook")
