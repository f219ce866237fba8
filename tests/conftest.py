"""Shared test helpers: the project root, and rendering environments from overlay text."""

from __future__ import annotations

import atexit
import multiprocessing
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Tests run the CLI in temporary copies of the project, which have no .tools/ of their own.
os.environ.setdefault("GUESTBOOK_TOOLS_DIR", str(ROOT / ".tools"))
# The renders tests start (the CLI, main.py, diff) share a render cache of this session's own,
# never the project's .tools/cache (set here, before modules copy os.environ at import).
if "GUESTBOOK_CACHE_DIR" not in os.environ:
    _SESSION_CACHE = tempfile.mkdtemp(prefix="guestbook-test-render-cache-")
    os.environ["GUESTBOOK_CACHE_DIR"] = _SESSION_CACHE
    atexit.register(shutil.rmtree, _SESSION_CACHE, True)

CORPUS_SUMMARY = pytest.StashKey[list[str]]()
"""Lines tests/test_corpus.py prints at the end of the run (figures, not assertions)."""


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    lines = config.stash.get(CORPUS_SUMMARY, [])
    if lines:
        terminalreporter.section("real-world corpus (tests/test_corpus.py)")
        for line in lines:
            terminalreporter.write_line(line)


def by_kind_name(manifests: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Index manifests by (kind, name)."""
    return {(m["kind"], m["metadata"]["name"]): m for m in manifests}


def as_a_user(command: list[str]) -> list[str]:
    """``command`` with file permissions applying to it: as root, under ``setpriv`` (util-linux)
    without the two capabilities that let root read, write and enter any folder."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is needed to drop root's right to any folder")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]


def read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def load_file(path: Path) -> list[dict[str, Any]]:
    """The non-empty YAML documents of one file."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def load_folder(folder: Path) -> list[dict[str, Any]]:
    """All YAML documents in a folder of manifests."""
    return [doc for path in sorted(folder.glob("*.yaml")) for doc in load_file(path)]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's environments/ and dist/ in a temp folder."""
    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    shutil.copytree(ROOT / "dist", tmp_path / "dist")
    return tmp_path


@pytest.fixture
def render_overlay(tmp_path: Path) -> Callable[..., dict[tuple[str, str], dict[str, Any]]]:
    """Render one environment from overlay text; return its objects by (kind, name)."""
    from guestbook.environments import load_environments
    from guestbook.render import render_manifests

    def render(text: str, name: str = "test") -> dict[tuple[str, str], dict[str, Any]]:
        envs = tmp_path / f"envs-{name}"
        envs.mkdir(exist_ok=True)
        (envs / f"{name}.yaml").write_text(text)
        [env] = load_environments(envs)
        return by_kind_name(render_manifests([env])[name])

    return render


def cache_entries(folder: Path) -> list[str]:
    """The names of a render cache folder's entries (not its temporary files nor marks)."""
    return sorted(p.name for p in folder.iterdir() if re.fullmatch(r"[0-9a-f]{64}", p.name))


def dist_folders() -> list[Path]:
    """The committed render's folders (environments, log collectors, argocd): one cache
    entry each."""
    return [p for p in (ROOT / "dist").iterdir() if p.is_dir()]


def in_fresh_interpreter(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a new interpreter whose only thread runs it (errors come back):
    where :func:`guestbook.validate.forked.in_two` forks, whatever threads earlier tests left
    (the jsii kernel's stays once started)."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: in_two computes both halves in the process")
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        return pool.submit(function, *args).result(timeout=300)


_TESTING_OUTDIR: list[str] = []


def cdk8s_app() -> Any:
    """``cdk8s.Testing.app()`` with one output folder for the session: without one, each call
    makes a ``cdk8s.outdir.*`` folder in the system's temporary folder and leaves it there."""
    import cdk8s

    if not _TESTING_OUTDIR:
        _TESTING_OUTDIR.append(tempfile.mkdtemp(prefix="guestbook-test-cdk8s-"))
        atexit.register(shutil.rmtree, _TESTING_OUTDIR[0], ignore_errors=True)
    return cdk8s.Testing.app(outdir=_TESTING_OUTDIR[0])
