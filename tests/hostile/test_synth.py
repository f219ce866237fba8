"""`guestbook synth` (and main.py) against careless and hostile output folders, kills and races.

Each test runs the real command in a small copy of the project that is a git
repository, as a user's clone is.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from guestbook.environments import load_environments
from guestbook.errors import GuestbookError
from guestbook.output import MARKER, RenderedFile, write_output
from guestbook.render import render_files
from tests.conftest import ROOT, as_a_user, read_tree

GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))
ENV = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
TIMEOUT_S = 180


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A git repository holding the project's environments/, dist/, pyproject.toml and main.py."""
    repo = tmp_path / "clone"
    repo.mkdir()
    for name in ("environments", "dist"):
        subprocess.run(["cp", "-a", str(ROOT / name), str(repo / name)], check=True)
    for name in ("pyproject.toml", "main.py"):
        (repo / name).write_bytes((ROOT / name).read_bytes())
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (.git included) and every folder, so a loss shows."""
    tree = read_tree(folder)
    tree.update({f"{p.relative_to(folder)}/": b"" for p in folder.rglob("*") if p.is_dir()})
    return tree


def assert_own_files(out: Path) -> None:
    """Every file under ``out`` is a regular file with no other name (not shared with anything)."""
    for path in out.rglob("*"):
        assert not path.is_symlink(), path
        assert path.is_dir() or path.lstat().st_nlink == 1, path


def synth(
    cwd: Path, *args: str, user: bool = False, **env: str
) -> subprocess.CompletedProcess[str]:
    """``guestbook synth -q`` in ``cwd``; with ``user``, with file permissions applying to it
    (see :func:`~tests.conftest.as_a_user`)."""
    command = [GUESTBOOK, "synth", "-q", *args]
    return subprocess.run(
        as_a_user(command) if user else command,
        cwd=cwd,
        env={**ENV, **env},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def assert_refused(done: subprocess.CompletedProcess[str], why: str) -> None:
    assert done.returncode == 2, done.stderr
    assert why in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr


@pytest.mark.parametrize(
    ("args", "env", "why"),
    [
        (["-o", "."], {}, "it is the working directory"),
        ([], {"CDK8S_OUTDIR": "."}, "it is the working directory"),
        (["-o", ""], {}, "it is the working directory"),
        (["-o", str(Path.cwd().anchor)], {}, "it holds the working directory"),
        (["-o", ".."], {}, "it holds the working directory"),
        (["--env", "dev", "-o", "."], {}, "it is the working directory"),
        (["-o", "environments"], {}, "it is the environments folder"),
        (["--env", "dev", "-o", "environments"], {}, "it is the environments folder"),
        (["-o", "environments/out"], {}, "it is inside the environments folder"),
        (["-o", ".git"], {}, "it is inside a .git folder"),
        (["-o", "dist/dev/deployment-frontend.yaml"], {}, "it is inside the output folder"),
        (["-o", "pyproject.toml"], {}, "it is a file, not a folder"),
        (["-o", "dist/dev"], {}, "it is inside the output folder"),
        (["-o", "dist/more"], {}, "it is inside the output folder"),
        (["-o", "/dev/null"], {}, "it is a file, not a folder"),
    ],
)
def test_an_output_folder_that_holds_the_project_is_refused_and_nothing_changes(
    clone: Path, args: list[str], env: dict[str, str], why: str
) -> None:
    # Given a fresh clone
    before = snapshot(clone.parent)
    # When synth is pointed at the clone itself, a folder above it, its environments or a file
    done = synth(clone, *args, **env)
    # Then it exits 2 with one line saying why, and not one file or folder changed
    assert_refused(done, why)
    assert snapshot(clone.parent) == before


def test_main_py_refuses_the_working_directory_too(clone: Path) -> None:
    # Given a clone, When `python main.py` (what `cdk8s synth` runs) gets CDK8S_OUTDIR=.
    before = snapshot(clone)
    done = subprocess.run(
        [sys.executable, "main.py"],
        cwd=clone,
        env={**ENV, "CDK8S_OUTDIR": "."},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    # Then it refuses like the CLI and the clone is intact
    assert_refused(done, "it is the working directory")
    assert snapshot(clone) == before


def test_a_folder_holding_an_environments_folder_is_refused(clone: Path) -> None:
    # Given environments kept in a sub-folder of the output the user names
    (clone / "deploy").mkdir()
    (clone / "environments").rename(clone / "deploy" / "environments")
    before = snapshot(clone)
    # When the output is that sub-folder
    done = synth(clone, "-e", "deploy/environments", "-o", "deploy")
    # Then it is refused
    assert_refused(done, "it holds the environments folder")
    assert snapshot(clone) == before


def test_another_git_repository_is_refused(clone: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    done = synth(clone, "-o", str(other))
    assert_refused(done, "it is the root of a git repository")
    assert sorted(p.name for p in other.iterdir()) == [".git"]


def test_a_folder_with_files_synth_did_not_write_is_refused(clone: Path) -> None:
    # Given a folder of the user's own notes (and dist/ with a hand-written file, no marker)
    (clone / "docs").mkdir()
    (clone / "docs" / "notes.md").write_text("mine\n")
    (clone / "dist" / MARKER).unlink()
    (clone / "dist" / "dev" / "extra.yaml").write_text("kind: ConfigMap\n")
    before = snapshot(clone)
    # When synth is pointed at either
    # Then both are refused, naming what is not ours
    assert_refused(synth(clone, "-o", "docs"), "it holds notes.md, which guestbook synth")
    assert_refused(synth(clone, "-o", "dist"), "it holds dev/extra.yaml")
    assert_refused(synth(clone, "--env", "dev"), "it holds dev/extra.yaml")
    assert_refused(synth(clone, "-o", "dist/dev"), "it holds deployment-frontend.yaml")
    assert snapshot(clone) == before


def test_a_dist_from_before_the_marker_is_replaced_and_marked(clone: Path) -> None:
    # Given dist/ as earlier versions wrote it: only rendered files, no marker
    (clone / "dist" / MARKER).unlink()
    # When synth runs
    done = synth(clone)
    # Then it is accepted and gets the marker: dist/ is the committed one again
    assert done.returncode == 0, done.stderr
    assert read_tree(clone / "dist") == read_tree(ROOT / "dist")


def test_an_empty_existing_folder_is_used(clone: Path) -> None:
    # Given an empty folder (what `cdk8s synth` leaves before it runs main.py)
    (clone / "out").mkdir()
    done = synth(clone, "-o", "out")
    assert done.returncode == 0, done.stderr
    assert read_tree(clone / "out") == read_tree(ROOT / "dist")


def test_an_unwritable_place_is_a_message_not_a_traceback(clone: Path) -> None:
    # Given a place nobody may create folders in, not even root
    done = synth(clone, "-o", "/sys/guestbook-out")
    # Then one message naming the output folder, exit 2
    assert_refused(done, "cannot write output folder /sys/guestbook-out")


def test_a_read_only_parent_is_a_message_and_the_output_stays(clone: Path) -> None:
    # Given dist/ in a folder the user cannot write
    before = read_tree(clone / "dist")
    clone.chmod(0o555)
    try:
        done = synth(clone, user=True)
    finally:
        clone.chmod(0o755)
    assert_refused(done, "Permission denied")
    assert read_tree(clone / "dist") == before


def test_a_path_below_a_file_is_a_message(clone: Path) -> None:
    done = synth(clone, "-o", "pyproject.toml/out")
    assert_refused(done, "cannot write output folder pyproject.toml/out")


def test_output_through_a_symlink_replaces_the_folder_it_points_to(clone: Path) -> None:
    # Given a link to dist/ with a stale file in dist/, and a link to the clone itself
    (clone / "dist" / "dev" / "stale.yaml").write_bytes(b"# Generated by guestbook-gitops\n")
    (clone / "out").symlink_to("dist")
    (clone / "here").symlink_to(".")
    before = snapshot(clone)
    # When synth writes through the link to the clone, Then it is refused
    assert_refused(synth(clone, "-o", "here"), "it is the working directory")
    assert snapshot(clone) == before
    # When synth writes through the link to dist/
    done = synth(clone, "-o", "out")
    # Then dist/ is replaced and the link still points at it
    assert done.returncode == 0, done.stderr
    assert (clone / "out").is_symlink()
    assert read_tree(clone / "dist") == read_tree(ROOT / "dist")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: room for one small environment, not for a whole render."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_full_disk_is_a_message_and_the_output_stays(clone: Path, small_disk: Path) -> None:
    # Given an output on a nearly full disk
    out = small_disk / "out"
    assert synth(clone, "--env", "tutorial", "-o", str(out)).returncode == 0
    before = snapshot(small_disk)
    # When a whole render does not fit
    done = synth(clone, "-o", str(out))
    # Then one message, exit 2, and the disk holds what it held
    assert_refused(done, f"cannot write output folder {out}: No space left on device")
    assert snapshot(small_disk) == before


def test_a_symlink_loop_is_a_message(clone: Path) -> None:
    (clone / "loop").symlink_to("loop")
    assert_refused(synth(clone, "-o", "loop"), "output folder loop: ")


@pytest.mark.parametrize("args", [[], ["--env", "dev"]])
def test_a_symlink_inside_the_output_is_replaced_not_followed(clone: Path, args: list[str]) -> None:
    # Given dist/dev replaced by a link to the environments folder
    shutil.rmtree(clone / "dist" / "dev")
    (clone / "dist" / "dev").symlink_to("../environments")
    overlays = read_tree(clone / "environments")
    # When synth replaces dist/ (or only dev)
    done = synth(clone, *args)
    # Then the link is gone, not what it pointed to
    assert done.returncode == 0, done.stderr
    assert read_tree(clone / "environments") == overlays
    assert read_tree(clone / "dist") == read_tree(ROOT / "dist")


def test_a_link_at_the_lock_name_is_not_followed(clone: Path) -> None:
    # Given .dist.lock planted as a link to a file that does not exist yet
    (clone / ".dist.lock").symlink_to(clone / "created-by-synth")
    before = snapshot(clone)
    # When synth runs, Then it stops with a message and creates nothing through the link
    assert_refused(synth(clone), "cannot write output folder dist")
    assert not (clone / "created-by-synth").exists()
    assert snapshot(clone) == before


def test_leftovers_of_killed_runs_are_removed_and_only_those(clone: Path) -> None:
    # Given what killed runs leave beside dist/: a staging folder with a file cut short,
    # the previous output moved aside (unmarked, as earlier versions left it), a lock file;
    # and a look-alike that holds a user's file
    staging = clone / ".dist.new-a1b2c3d4"
    subprocess.run(["cp", "-a", str(clone / "dist"), str(staging)], check=True)
    (staging / "dev" / "service-frontend.yaml").write_bytes(b"# Generated by guest")
    old = clone / ".dist.old-k2m_x9qz"
    subprocess.run(["cp", "-a", str(clone / "dist"), str(old)], check=True)
    (old / MARKER).unlink()
    (clone / ".dist.lock").touch()
    foreign = clone / ".dist.old-00000000"
    foreign.mkdir()
    (foreign / "notes.md").write_text("mine\n")
    # When synth runs again
    done = synth(clone)
    # Then our leftovers are gone and the user's folder is kept
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in clone.iterdir() if p.name.startswith(".dist")) == [
        ".dist.old-00000000"
    ]
    assert (foreign / "notes.md").read_text() == "mine\n"


def test_an_environment_moved_aside_by_an_earlier_version_is_removed(clone: Path) -> None:
    # Given dist/.dev.old-<random>: dev's previous files, as a killed `--env dev` run left them
    aside = clone / "dist" / ".dev.old-q1w2e3r4"
    subprocess.run(["cp", "-a", str(clone / "dist" / "dev"), str(aside)], check=True)
    # When `synth --env dev` runs, Then it is removed and dist/ is the committed one
    done = synth(clone, "--env", "dev")
    assert done.returncode == 0, done.stderr
    assert read_tree(clone / "dist") == read_tree(ROOT / "dist")


def test_a_file_edited_by_hand_in_dist_is_restored(clone: Path) -> None:
    # Given dist/ with one file edited in place and another replaced by an editor's save
    with (clone / "dist" / "dev" / "deployment-frontend.yaml").open("ab") as handle:
        handle.write(b"# tuned by hand\n")
    service = clone / "dist" / "dev" / "service-frontend.yaml"
    edited = service.read_bytes().replace(b"port: 80", b"port: 81")
    service.unlink()
    service.write_bytes(edited)
    # When synth runs (the render cache serves dev unchanged)
    done = synth(clone)
    # Then dist/ is the rendered one again, each file its own
    assert done.returncode == 0, done.stderr
    assert read_tree(clone / "dist") == read_tree(ROOT / "dist")
    assert_own_files(clone / "dist")


def test_leftover_names_beside_dist_are_ignored_by_git() -> None:
    names = [".dist.new-a1b2c3d4", ".dist.old-k2m_x9qz", ".dist.lock"]
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", *names],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.split() == names


def write_fleet(folder: Path, count: int) -> Path:
    """``count`` environments with default settings: about 9 files each."""
    folder.mkdir()
    for number in range(count):
        (folder / f"env-{number:03d}.yaml").write_text("{}\n")
    return folder


def kill_when_seen(clone: Path, signum: int, scratch: str = "new") -> tuple[int, str]:
    """Start synth of a large fleet into ``out``; send ``signum`` once ``.out.<scratch>-*`` exists.

    ``new`` is the staging folder (files being written), ``old`` the previous output
    (being removed after the swap). Returns the exit status and stderr. A run that
    finishes before the folder is seen (a busy machine can miss the window) is retried.
    """
    for _ in range(5):
        with subprocess.Popen(
            [GUESTBOOK, "synth", "-q", "-e", "fleet", "-o", "out"],
            cwd=clone,
            env=ENV,
            stderr=subprocess.PIPE,
            text=True,
        ) as proc:
            try:
                while proc.poll() is None and not any(clone.glob(f".out.{scratch}-*")):
                    time.sleep(0.001)
                if proc.poll() is None:
                    proc.send_signal(signum)
                    _, stderr = proc.communicate(timeout=TIMEOUT_S)
                    return proc.returncode, stderr
                proc.communicate(timeout=TIMEOUT_S)
            finally:
                proc.kill()
    raise AssertionError(f"synth ended before .out.{scratch}-* was seen, five times")


@pytest.fixture
def fleet_clone(clone: Path) -> Iterator[Path]:
    """A clone with 150 environments in fleet/ already rendered once into out/."""
    write_fleet(clone / "fleet", 150)
    done = synth(clone, "-e", "fleet", "-o", "out")
    assert done.returncode == 0, done.stderr
    yield clone


@pytest.mark.parametrize("scratch", ["new", "old"])
def test_sigterm_while_writing_leaves_no_scratch_folder(fleet_clone: Path, scratch: str) -> None:
    # Given out/ from an earlier render
    before = read_tree(fleet_clone / "out")
    # When SIGTERM arrives while the new files are written, or the old ones removed
    code, stderr = kill_when_seen(fleet_clone, signal.SIGTERM, scratch)
    # Then the process unwinds: exit 143, no scratch folder or lock left, out/ complete
    assert code == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    assert not list(fleet_clone.glob(".out.*"))
    assert read_tree(fleet_clone / "out") == before
    assert_own_files(fleet_clone / "out")


def test_sigkill_leftovers_are_removed_by_the_next_run(fleet_clone: Path) -> None:
    # Given a synth killed with SIGKILL while writing (it cannot clean up)
    before = read_tree(fleet_clone / "out")
    code, _ = kill_when_seen(fleet_clone, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert list(fleet_clone.glob(".out.new-*"))
    assert read_tree(fleet_clone / "out") == before
    # When synth runs again
    again = synth(fleet_clone, "-e", "fleet", "-o", "out")
    # Then nothing of the killed run is left, and no output file has a name in it
    assert again.returncode == 0, again.stderr
    assert not list(fleet_clone.glob(".out.*"))
    assert read_tree(fleet_clone / "out") == before
    assert_own_files(fleet_clone / "out")


# Renders once, then writes the output many times in a row: two of these race on every swap.
WRITE_LOOP = """
import sys
from pathlib import Path
from guestbook.environments import load_environments
from guestbook.output import write_output
from guestbook.render import render_files
files = render_files(load_environments(Path("environments"), ["dev"]))
for _ in range(int(sys.argv[1])):
    write_output(files, Path("out"))
"""


def test_two_processes_writing_the_same_output_both_succeed(clone: Path) -> None:
    # Given two processes that each write out/ 200 times
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITE_LOOP, "200"],
            cwd=clone,
            env=ENV,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        results = [(p.wait(timeout=TIMEOUT_S), p.communicate()[1]) for p in procs]
    finally:
        for proc in procs:
            proc.kill()
    # Then neither fails, out/ is complete and nothing is left beside it
    for code, stderr in results:
        assert code == 0, stderr
    expected = render_files(load_environments(clone / "environments", ["dev"]))
    assert sorted(read_tree(clone / "out")) == sorted([MARKER, *(f.path for f in expected)])
    assert sorted(p.name for p in clone.iterdir() if p.name.startswith(".out")) == []


# Holds the lock of out/ until a line arrives on stdin.
HOLD_LOCK = """
import sys
from pathlib import Path
from guestbook.output import output_lock
with output_lock(Path("out").resolve()):
    print("locked", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def lock_holder(clone: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock of ``clone/out`` until told (a line on its stdin)."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK],
        cwd=clone,
        env=ENV,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline() == "locked\n"
            yield holder
        finally:
            holder.kill()


def test_a_second_synth_waits_for_the_lock(clone: Path, lock_holder: subprocess.Popen[str]) -> None:
    # Given another process holding out/'s lock, When synth starts
    with subprocess.Popen(
        [GUESTBOOK, "synth", "-q", "-o", "out"], cwd=clone, env=ENV, stderr=subprocess.PIPE
    ) as waiting:
        # Then it does not write while the lock is held (the render alone takes ~1 s)
        time.sleep(3)
        assert waiting.poll() is None
        assert not (clone / "out").exists()
        # And once the holder lets go, it finishes
        assert lock_holder.stdin is not None
        lock_holder.stdin.write("done\n")
        lock_holder.stdin.flush()
        assert waiting.wait(timeout=TIMEOUT_S) == 0
    assert read_tree(clone / "out") == read_tree(ROOT / "dist")
    assert not (clone / ".out.lock").exists()


def test_a_writer_gives_up_with_a_message_when_the_lock_stays_held(
    clone: Path, lock_holder: subprocess.Popen[str]
) -> None:
    # Given another process holding out/'s lock, When a write may wait only briefly
    file = RenderedFile("dev/x.yaml", b"# Generated by guestbook-gitops\n")
    with pytest.raises(GuestbookError, match=r"another guestbook synth is writing .*out"):
        write_output([file], clone / "out", lock_timeout=0.2)
    # Then nothing was written
    assert not (clone / "out").exists()


# --- files kept from the output being replaced --------------------------------------

KEPT = [
    RenderedFile("dev/service-frontend.yaml", b"# Generated by guestbook-gitops\nkind: Service\n"),
    RenderedFile("argocd/project-dev.yaml", b"# Generated by guestbook-gitops\nkind: AppProject\n"),
]


def test_a_file_also_linked_outside_the_output_is_written_not_shared(tmp_path: Path) -> None:
    # Given an output folder one file of which has a second name outside it, same bytes
    out = tmp_path / "out"
    write_output(KEPT, out)
    outside = tmp_path / "outside.yaml"
    os.link(out / KEPT[0].path, outside)
    # When the output is written again
    write_output(KEPT, out)
    # Then the output's file is a file of its own: an edit outside does not reach it
    assert_own_files(out)
    assert (out / KEPT[0].path).stat().st_ino != outside.stat().st_ino
    outside.write_bytes(b"edited outside\n")
    assert (out / KEPT[0].path).read_bytes() == KEPT[0].content


def test_a_file_replaced_by_a_link_with_the_same_bytes_is_written_not_linked(
    tmp_path: Path,
) -> None:
    # Given a marked output folder in which a file is a symlink to a file with the same bytes
    out = tmp_path / "out"
    write_output(KEPT, out)
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_bytes(KEPT[0].content)
    (out / KEPT[0].path).unlink()
    (out / KEPT[0].path).symlink_to(elsewhere)
    # When the output is written again
    write_output(KEPT, out)
    # Then the output holds a file of its own, and the link's target is untouched
    assert_own_files(out)
    assert (out / KEPT[0].path).read_bytes() == KEPT[0].content
    assert elsewhere.read_bytes() == KEPT[0].content
    assert elsewhere.stat().st_nlink == 1


def test_a_folder_replaced_by_a_link_is_not_looked_into(tmp_path: Path) -> None:
    # Given a marked output folder whose argocd/ is a symlink to a folder with the same files
    out = tmp_path / "out"
    write_output(KEPT, out)
    elsewhere = tmp_path / "elsewhere"
    shutil.move(out / "argocd", elsewhere)
    (out / "argocd").symlink_to(elsewhere)
    # When the output is written again
    write_output(KEPT, out)
    # Then argocd/ is a folder of files of the output's own; the linked folder is untouched
    assert_own_files(out)
    assert read_tree(out / "argocd") == read_tree(elsewhere)
    assert all(p.stat().st_nlink == 1 for p in elsewhere.iterdir())
