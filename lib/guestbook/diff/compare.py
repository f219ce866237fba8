"""Wire the edges to the differ: resolve the base, render both sides, compare.

The head (the working tree, uncommitted changes included) and the base (a
temporary worktree) are rendered at the same time, each by its own code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from guestbook.diff.differ import diff_environments
from guestbook.diff.model import DiffReport, Manifest, Revision
from guestbook.diff.renderer import render_tree
from guestbook.diff.worktree import checkout, default_base, find_repository, resolve
from guestbook.errors import GuestbookError

WORKING_TREE = Revision("working tree")


def compare(cwd: Path, base: str | None = None, environments: Sequence[str] = ()) -> DiffReport:
    """Diff the rendered manifests of the working tree at ``cwd`` against ``base``.

    ``base`` is any git revision; by default the merge base with the default
    branch (see :func:`~guestbook.diff.worktree.default_base`). ``environments``
    limits the comparison to those names (default: every environment on either side).
    """
    repo = find_repository(cwd)
    revision = resolve(repo, base) if base is not None else default_base(repo)
    if revision.commit is None:  # resolve() and default_base() always name a commit
        raise GuestbookError(f"cannot diff against {revision}: it names no commit")
    with ThreadPoolExecutor(max_workers=1) as pool:
        head_job = pool.submit(render_tree, repo.root, "the working tree", write_bytecode=False)
        with checkout(repo, revision.commit) as tree:
            base_objects = render_tree(tree, f"base {revision}")
        head_objects = head_job.result()
    wanted = _select(environments, base_objects, head_objects)
    return DiffReport(
        base=revision,
        head=WORKING_TREE,
        environments=diff_environments(
            {name: base_objects[name] for name in wanted if name in base_objects},
            {name: head_objects[name] for name in wanted if name in head_objects},
        ),
    )


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
