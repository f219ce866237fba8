"""guestbook.warm: when ``guestbook synth`` starts Node early, and the marks it leaves.

Starting early is a guess about speed only; these tests pin down the guess (a
spy on the thread's target records whether it started) and that a wrong guess
changes nothing but time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from guestbook import warm
from guestbook.environments import load_environments
from guestbook.render import render_folders
from guestbook.render_cache import MARKS_MAX, RenderCache
from guestbook.settings import ArgoCdSettings
from tests.conftest import ROOT, cache_entries, read_tree

GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One item per early start (the thread's target replaced by a recorder)."""
    calls: list[str] = []

    def record() -> None:
        calls.append(threading.current_thread().name)
        warm._jsii_imported.set()  # as the real one does once jsii is imported

    monkeypatch.setattr(warm, "_load_constructs", record)
    return calls


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (the current one) with two overlays and its own cache folder."""
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "dev.yaml").write_text("frontend:\n  replicas: 1\n")
    (tmp_path / "environments" / "prod.yaml").write_text("frontend:\n  replicas: 3\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GUESTBOOK_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    return tmp_path


def start(arguments: list[str]) -> None:
    warm.start_early(warm.environments_option(arguments), arguments)
    for thread in threading.enumerate():
        if thread.name == "guestbook-jsii-start":
            thread.join(timeout=30)


def test_new_inputs_start_node_early(project: Path, started: list[str]) -> None:
    # Given a project no synth has finished with
    # When synth starts
    start(["-q"])
    # Then Node is started in a thread of its own
    assert started == ["guestbook-jsii-start"]


def test_the_inputs_of_a_finished_synth_start_nothing_early(
    project: Path, started: list[str]
) -> None:
    # Given a synth that finished with these inputs
    start(["-q"])
    warm.remember()
    started.clear()
    # When the same synth starts again
    start(["-q"])
    # Then nothing is started early (everything is likely cached)
    assert started == []


@pytest.mark.parametrize(
    "change",
    [
        lambda p, _: (p / "environments" / "dev.yaml").write_text("frontend:\n  replicas: 2\n"),
        lambda p, _: (p / "environments" / "qa.yaml").write_text("{}\n"),
        lambda p, _: (p / "environments" / "prod.yaml").unlink(),
        lambda p, _: (p / "pyproject.toml").write_text("[tool.guestbook.argocd]\n"),
        lambda _, env: env.setenv("GUESTBOOK_REVISION", "release"),
    ],
    ids=["overlay edited", "overlay added", "overlay removed", "settings", "revision"],
)
def test_a_changed_input_starts_node_early_again(
    project: Path,
    started: list[str],
    change: Callable[[Path, pytest.MonkeyPatch], object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a synth that finished with these inputs
    monkeypatch.delenv("GUESTBOOK_REVISION", raising=False)
    start(["-q"])
    warm.remember()
    started.clear()
    # When one input changes and synth starts again
    change(project, monkeypatch)
    start(["-q"])
    # Then Node starts early
    assert started == ["guestbook-jsii-start"]


def test_another_command_line_is_other_inputs(project: Path, started: list[str]) -> None:
    start(["-q"])
    warm.remember()
    started.clear()
    start(["-q", "--env", "dev"])
    assert started == ["guestbook-jsii-start"]


def test_no_cache_always_starts_early_and_leaves_no_mark(project: Path, started: list[str]) -> None:
    # Given synth --no-cache, twice, each finished
    for _ in range(2):
        start(["--no-cache"])
        warm.remember()
    # Then each started Node early (everything renders), and no mark was left
    assert len(started) == 2
    assert list((project / "cache").iterdir()) == []


def test_help_starts_nothing(project: Path, started: list[str]) -> None:
    start(["--help"])
    assert started == []


def test_an_unreadable_environments_folder_starts_early_and_marks_nothing(
    project: Path, started: list[str]
) -> None:
    # Given an environments folder that does not exist
    start(["-e", "missing"])
    warm.remember()
    # Then the guess is "render", and there is nothing to remember
    assert started == ["guestbook-jsii-start"]
    assert list((project / "cache").iterdir()) == []


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ([], "environments"),
        (["-e", "envs"], "envs"),
        (["-eenvs"], "envs"),
        (["--environments-dir", "a/b"], "a/b"),
        (["--environments-dir=a/b", "-q"], "a/b"),
        (["-q", "--", "-e", "x"], "environments"),
    ],
)
def test_the_environments_folder_is_read_from_the_command_line(
    arguments: list[str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GUESTBOOK_ENVIRONMENTS_DIR", raising=False)
    assert warm.environments_option(arguments) == Path(expected)


def test_the_environments_folder_variable_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUESTBOOK_ENVIRONMENTS_DIR", "from-env")
    assert warm.environments_option(["-q"]) == Path("from-env")
    assert warm.environments_option(["-e", "flag"]) == Path("flag")


def test_marks_are_bounded_newest_first(project: Path) -> None:
    # Given more marks than the bound, each older than the next
    cache = project / "cache"
    for number in range(MARKS_MAX + 5):
        mark = cache / f"{warm.HINT_PREFIX}{number:064x}"
        mark.touch()
        os.utime(mark, (1000 + number, 1000 + number))
    # When a render writes to the cache (which bounds it)
    render_folders(load_environments(project / "environments"), cache=RenderCache(cache))
    # Then the newest MARKS_MAX marks are kept, and the entries too
    marks = sorted(p.name for p in cache.iterdir() if p.name.startswith(warm.HINT_PREFIX))
    assert marks == [f"{warm.HINT_PREFIX}{n:064x}" for n in range(5, MARKS_MAX + 5)]
    assert len(cache_entries(cache)) == 2


def synth(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GUESTBOOK, "synth", "-q", *args],
        cwd=cwd,
        env={**os.environ, "GUESTBOOK_CACHE_DIR": str(cwd / "cache")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_synth_marks_its_inputs_and_renders_the_same_either_way(tmp_path: Path) -> None:
    # Given this repository's environments, copied
    (tmp_path / "environments").mkdir()
    for overlay in (ROOT / "environments").glob("*.yaml"):
        (tmp_path / "environments" / overlay.name).write_bytes(overlay.read_bytes())
    (tmp_path / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    # When synth runs cold (Node started early), then again (not started early)
    first = synth(tmp_path, "-o", "first")
    second = synth(tmp_path, "-o", "second")
    # Then both succeed silently with the same files (the environments' are the committed
    # ones; argocd/ differs only by the repository it names), and one mark was left
    for done in (first, second):
        assert (done.returncode, done.stderr) == (0, "")
    assert read_tree(tmp_path / "second") == read_tree(tmp_path / "first")
    assert read_tree(tmp_path / "first" / "dev") == read_tree(ROOT / "dist" / "dev")
    marks = [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(warm.HINT_PREFIX)]
    assert len(marks) == 1


@pytest.mark.parametrize(
    ("overlay", "message"),
    [
        (None, "environments folder not found"),
        ("frontend:\n  replicas: many\n", "expected an integer"),
    ],
    ids=["no environments folder", "bad overlay"],
)
def test_a_synth_that_fails_while_node_starts_prints_one_message(
    tmp_path: Path, overlay: str | None, message: str
) -> None:
    # Given inputs that fail to load while Node is starting in its thread
    if overlay is not None:
        (tmp_path / "environments").mkdir()
        (tmp_path / "environments" / "dev.yaml").write_text(overlay)
    # When synth runs
    done = synth(tmp_path)
    # Then it exits 2 with the one message, nothing from the thread, and no mark
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_a_thread_that_cannot_import_jsii_lets_the_command_go_on_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given jsii cannot be imported (None in sys.modules makes the import fail)
    monkeypatch.setitem(sys.modules, "jsii", None)
    warm._jsii_imported.clear()
    # When the thread's work runs / Then it raises nothing and releases the waiting command
    warm._load_constructs()
    assert warm._jsii_imported.is_set()


@pytest.mark.parametrize("render", ["environment", "collector", "argocd"])
def test_a_render_waits_for_the_thread_before_it_imports_the_constructs(
    project: Path, monkeypatch: pytest.MonkeyPatch, render: str
) -> None:
    # Given the thread is still importing (cdk8s-plus's module is published before it is
    # complete, so a second importer could see it half made)
    import guestbook.charts  # noqa: F401  (imported already: the render starts at once)
    from guestbook import render as rendering

    events: list[str] = []

    def slow() -> None:
        warm._jsii_imported.set()
        time.sleep(0.5)
        events.append("thread done")

    monkeypatch.setattr(warm, "_load_constructs", slow)
    real = {
        "environment": rendering.render_environment,
        "collector": rendering.render_collector,
    }
    environment = load_environments(project / "environments")[0]
    warm.start_early(project / "environments", ["-q"])
    # When a render starts in this thread
    with monkeypatch.context() as patch:
        patch.setattr("cdk8s.App", lambda *a, **k: events.append("render") or _stop())
        with pytest.raises(_StopError):
            if render == "argocd":
                rendering.render_argocd(ArgoCdSettings(), [environment], [])
            else:
                real[render](environment)
    # Then it began only once the thread was done
    assert events == ["thread done", "render"]


class _StopError(Exception):
    pass


def _stop() -> None:
    raise _StopError


EXIT_WHILE_STARTING = """\
import atexit, sys, threading, time
from pathlib import Path
from guestbook import warm

done = []

def slow():
    warm._jsii_imported.set()
    time.sleep(0.5)  # Node still starting
    done.append(True)

warm._load_constructs = slow
warm.start_early(Path("missing"), [])
# Runs at exit like jsii's own stop(), which closes Node's pipe (Node, cut off while it
# starts, prints 'Error on jsii API channel to child process: read ECONNRESET').
atexit.register(lambda: print("finished" if done else "still starting"))
sys.exit(2)  # a usage error, found while the thread runs
"""


def test_an_early_exit_lets_the_thread_finish_before_jsii_is_stopped(tmp_path: Path) -> None:
    # Given a command that fails while the thread is still starting Node
    done = subprocess.run(
        [sys.executable, "-c", EXIT_WHILE_STARTING],
        cwd=tmp_path,
        env={**os.environ, "GUESTBOOK_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # When it exits / Then the thread had finished before the exit handlers ran
    assert (done.returncode, done.stdout, done.stderr) == (2, "finished\n", "")
