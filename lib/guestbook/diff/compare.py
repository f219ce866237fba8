"""Wire the edges to the differ: resolve the base, render both sides, compare.

The head (the working tree, uncommitted changes included) and the base (a
temporary worktree) are rendered at the same time, each by its own code.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from guestbook.diff.differ import diff_environments
from guestbook.diff.model import DiffReport, Manifest, Revision
from guestbook.diff.renderer import ParsedFiles, RenderedFiles, parse_folder, start_render
from guestbook.diff.worktree import (
    checkout,
    default_base,
    find_project,
    find_repository,
    resolve,
    run_folder,
)
from guestbook.errors import GuestbookError
from guestbook.render_cache import RenderCache

WORKING_TREE = Revision("working tree")


def compare(cwd: Path, base: str | None = None, environments: Sequence[str] = ()) -> DiffReport:
    """Diff the rendered manifests of the project at ``cwd`` against ``base``.

    The project is found from ``cwd`` (see :func:`~guestbook.diff.worktree.find_project`);
    the base renders the same folder of its own checkout.

    ``base`` is any git revision; by default the merge base with the default
    branch (see :func:`~guestbook.diff.worktree.default_base`). ``environments``
    limits the comparison to those names (default: every environment on either side).
    """
    repo = find_repository(cwd)
    project = find_project(repo, cwd)
    revision = resolve(repo, base) if base is not None else default_base(repo)
    if revision.commit is None:  # resolve() and default_base() always name a commit
        raise GuestbookError(f"cannot diff against {revision}: it names no commit")
    # One render cache for both sides (the base's checkout has no tools folder of its own):
    # what did not change between them is rendered at most once, and usually not at all.
    cache = RenderCache.for_project()
    cache_dir = cache.folder.absolute() if cache is not None else None
    # Both sides render at once; leaving the block (an error, Ctrl-C, SIGTERM)
    # stops them and removes the worktree and the run's folder.
    parsed: ParsedFiles = {}  # a file the same on both sides is parsed once
    with (
        run_folder() as run,
        start_render(
            repo.root,
            "the working tree",
            run / "head-render",
            project=project,
            write_bytecode=False,
            cache_dir=cache_dir,
        ) as head_render,
    ):
        base_what = f"base {revision}"
        with (
            checkout(repo, revision.commit, run) as tree,
            start_render(
                tree, base_what, run / "base-render", project=project, cache_dir=cache_dir
            ) as base_render,
        ):
            base_files = base_render.files()
        # The base's worktree and files go while the head still renders (it usually has more
        # to render: the base is mostly in the render cache), and the base's folders are
        # parsed until the head is done; then only the folders that differ are.
        shutil.rmtree(run / "base-render", ignore_errors=True)
        for name, files in base_files.items():
            if head_render.finished():
                break
            with contextlib.suppress(GuestbookError):  # reported below if the folder differs
                parse_folder(name, files, base_what, parsed)
        head_files = head_render.files()
    base_objects, head_objects = _parse_differing(
        (base_files, base_what), (head_files, "the working tree"), parsed
    )
    wanted = _select(environments, base_objects, head_objects)
    return DiffReport(
        base=revision,
        head=WORKING_TREE,
        environments=diff_environments(
            {name: base_objects[name] for name in wanted if name in base_objects},
            {name: head_objects[name] for name in wanted if name in head_objects},
        ),
    )


def _parse_differing(
    base: tuple[RenderedFiles, str], head: tuple[RenderedFiles, str], parsed: ParsedFiles
) -> tuple[dict[str, list[Manifest]], dict[str, list[Manifest]]]:
    """Both sides' objects per folder. A folder whose files are the same, byte for byte, on
    both sides has no differences: it is not parsed (its objects are left out on both sides)."""
    (base_files, base_what), (head_files, head_what) = base, head
    base_objects = {
        name: [] if head_files.get(name) == files else parse_folder(name, files, base_what, parsed)
        for name, files in base_files.items()
    }
    head_objects = {
        name: [] if base_files.get(name) == files else parse_folder(name, files, head_what, parsed)
        for name, files in head_files.items()
    }
    return base_objects, head_objects


def _select(
    names: Sequence[str],
    base: Mapping[str, Sequence[Manifest]],
    head: Mapping[str, Sequence[Manifest]],
) -> list[str]:
    known = sorted(base.keys() | head.keys())
    for name in names:
        if name not in known:
            raise GuestbookError(
                f"no environment {name!r} in the base or the working tree; "
                f"expected one of: {', '.join(known) or '(none)'}"
            )
    return list(dict.fromkeys(names)) or known
