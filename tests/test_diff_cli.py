"""`guestbook diff` end to end, on real git repositories in a temp folder."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from guestbook.cli import app
from guestbook.diff.compare import compare
from guestbook.diff.output import format_report
from tests.conftest import ROOT, cache_entries
from tests.diff_repos import Repo, project_repo, static_repo

GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run `guestbook diff ARGS` in a folder, in-process."""

    def run(cwd: Path, *args: str) -> Result:
        monkeypatch.chdir(cwd)
        return CliRunner().invoke(app, ["diff", *args])

    return run


def as_json(result: Result) -> dict[str, Any]:
    assert result.exit_code in (0, 1), result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def objects(data: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Environment → [(status, "Kind/name")] of the objects that differ."""
    return {
        env["name"]: [(o["status"], f"{o['kind']}/{o['name']}") for o in env["objects"]]
        for env in data["environments"]
    }


# --- the project itself --------------------------------------------------------


def test_no_change_is_empty_and_exits_0_even_with_exit_code(tmp_path: Path, run: Any) -> None:
    # Given a copy of the project with nothing changed since the last commit
    repo = project_repo(tmp_path / "repo")
    # When diffing with --exit-code
    result = run(repo.root, "--exit-code", "--format", "json")
    # Then every environment is compared and none changed
    data = as_json(result)
    assert result.exit_code == 0
    assert data["has_changes"] is False
    assert {env["name"]: env["status"] for env in data["environments"]} == {
        "argocd": "unchanged",
        "dev": "unchanged",
        "prod": "unchanged",
        "prod.logging": "unchanged",  # prod's log collector, compared like an environment
        "staging": "unchanged",
        "tutorial": "unchanged",
    }


def test_a_one_field_overlay_change_changes_one_object_in_one_environment(
    tmp_path: Path, run: Any
) -> None:
    # Given prod's frontend replicas raised from 5 to 12, not committed
    repo = project_repo(tmp_path / "repo")
    repo.write("environments/prod.yaml", repo.read("environments/prod.yaml").replace(
        "replicas: 5", "replicas: 12"
    ))  # fmt: skip
    # When diffing
    result = run(repo.root, "--format", "json", "--exit-code")
    # Then exactly prod's frontend Deployment changed, in that one field, and the exit code is 1
    data = as_json(result)
    assert result.exit_code == 1
    assert data["totals"] == {"added": 0, "changed": 1, "removed": 0}
    [env] = [env for env in data["environments"] if env["objects"]]
    [obj] = env["objects"]
    assert (env["name"], obj["kind"], obj["name"]) == ("prod", "Deployment", "frontend")
    assert [(c["path"], c["before"], c["after"]) for c in obj["changes"]] == [
        ("spec.replicas", 5, 12)
    ]
    # And the text format says it the way a reviewer reads it
    text = run(repo.root).stdout
    assert "prod: 1 changed\n  ~ Deployment.apps/guestbook-prod/frontend\n" in text
    assert "      ~ spec.replicas: 5 → 12\n" in text


def test_an_added_and_a_removed_environment(tmp_path: Path, run: Any) -> None:
    # Given dev's overlay renamed to qa, not committed
    repo = project_repo(tmp_path / "repo")
    (repo.root / "environments" / "dev.yaml").rename(repo.root / "environments" / "qa.yaml")
    # When diffing
    data = as_json(run(repo.root, "--format", "json"))
    # Then qa is new with all its objects added, and dev is gone with all its objects
    by_name = {env["name"]: env for env in data["environments"]}
    dev_objects = len(list((repo.root / "dist" / "dev").glob("*.yaml")))
    assert (by_name["qa"]["status"], by_name["dev"]["status"]) == ("added", "removed")
    assert by_name["qa"]["totals"] == {"added": dev_objects, "changed": 0, "removed": 0}
    assert by_name["dev"]["totals"] == {"added": 0, "changed": 0, "removed": dev_objects}
    assert by_name["prod"]["status"] == "unchanged"
    # And Argo CD's Application and project for dev are replaced by those for qa
    assert sorted(objects(data)["argocd"]) == [
        ("added", "AppProject/guestbook-qa"),
        ("added", "Application/guestbook-qa"),
        ("removed", "AppProject/guestbook-dev"),
        ("removed", "Application/guestbook-dev"),
    ]


def test_the_base_is_rendered_by_its_own_code(tmp_path: Path, run: Any) -> None:
    # Given a commit that changed the frontend image in the library code,
    # and a working tree that puts the old code back
    repo = project_repo(tmp_path / "repo")
    config = "lib/guestbook/tutorial.py"
    original = repo.read(config)
    repo.write(config, original.replace("gb-frontend:v5", "gb-frontend:v6"))
    repo.commit("frontend v6")
    repo.write(config, original)
    # When diffing against that commit
    data = as_json(run(repo.root, "--base", "HEAD", "--format", "json"))
    # Then every environment's frontend goes from v6 (the base's code) back to v5
    for name in ("dev", "prod", "staging", "tutorial"):
        assert objects(data)[name] == [("changed", "Deployment/frontend")]
    change = data["environments"][1]["objects"][0]["changes"][0]
    assert change["path"] == "spec.template.spec.containers[name=php-redis].image"
    assert (change["before"], change["after"]) == (
        "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v6",
        "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5",
    )


def test_the_users_tree_index_and_dist_are_untouched(
    tmp_path: Path, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given uncommitted, staged and untracked changes, an edited dist/, and a temp folder to watch
    repo = project_repo(tmp_path / "repo")
    repo.write("environments/prod.yaml", repo.read("environments/prod.yaml") + "\n# edited\n")
    repo.write("environments/staging.yaml", repo.read("environments/staging.yaml") + "# staged\n")
    repo.git("add", "environments/staging.yaml")
    repo.write("notes.txt", "untracked\n")
    repo.write("dist/dev/service-frontend.yaml", "# hand-edited\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)  # the diff must not rely on it
    before = repo.snapshot()
    status = repo.git("status", "--porcelain")
    # When diffing
    result = run(repo.root)
    assert result.exit_code == 0, result.output
    # Then every file, the index and the worktree list are byte for byte as they were
    assert repo.snapshot() == before
    assert repo.git("status", "--porcelain") == status
    assert len(repo.worktrees()) == 1
    # And no temp folder is left behind
    assert list(scratch.iterdir()) == []


def test_only_the_named_environments(tmp_path: Path, run: Any) -> None:
    # Given changes in dev and prod / When diffing --env prod / Then only prod is compared
    repo = project_repo(tmp_path / "repo")
    for name in ("dev", "prod"):
        repo.write(
            f"environments/{name}.yaml",
            repo.read(f"environments/{name}.yaml") + "labels: {team: a}\n",
        )
    data = as_json(run(repo.root, "--env", "prod", "--format", "json"))
    assert [env["name"] for env in data["environments"]] == ["prod"]


def test_a_broken_overlay_is_a_render_error_with_exit_2(tmp_path: Path, run: Any) -> None:
    # Given an overlay with a negative replica count
    repo = project_repo(tmp_path / "repo")
    repo.write("environments/dev.yaml", "frontend:\n  replicas: -1\n")
    # When diffing / Then the render error is shown once, with the overlay's message
    result = run(repo.root)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot render the working tree: main.py exited with 2")
    assert "environments/dev.yaml:2: frontend.replicas" in result.stderr
    assert "Traceback" not in result.output


# --- a monorepo: the project in a subfolder of the git repository -------------------


def test_a_project_in_a_subfolder_of_a_monorepo_is_diffed_from_inside_it(
    tmp_path: Path, run: Any
) -> None:
    # Given a monorepo with the project in deploy/guestbook/ and another app beside it
    repo = project_repo(tmp_path / "repo", "deploy/guestbook")
    repo.write("services/api/main.py", "raise SystemExit('not the project')\n")
    repo.commit("another app")
    # And prod's replicas raised, not committed
    prod = "deploy/guestbook/environments/prod.yaml"
    repo.write(prod, repo.read(prod).replace("replicas: 5", "replicas: 12"))
    # When diffing from the project's environments/ folder
    result = run(repo.root / "deploy" / "guestbook" / "environments", "--format", "json")
    # Then the project (in the working tree and in the base) is what is compared
    data = as_json(result)
    assert data["totals"] == {"added": 0, "changed": 1, "removed": 0}
    assert objects(data)["prod"] == [("changed", "Deployment/frontend")]


def test_outside_the_project_in_a_monorepo_says_where_to_run(tmp_path: Path, run: Any) -> None:
    # Given a monorepo with the project in deploy/guestbook/
    repo = project_repo(tmp_path / "repo", "deploy/guestbook")
    # When diffing from the repository's root / Then it says where the diff must run
    result = run(repo.root)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: no guestbook project at or above {repo.root}: run guestbook diff in the "
        "project's folder (the one with main.py and environments/ or a pyproject.toml "
        "with [tool.guestbook])\n"
    )


def test_a_project_that_the_base_does_not_have_is_named(tmp_path: Path, run: Any) -> None:
    # Given a monorepo whose project was moved to deploy/guestbook/, not committed yet
    repo = project_repo(tmp_path / "repo", "guestbook")
    (repo.root / "deploy").mkdir()
    (repo.root / "guestbook").rename(repo.root / "deploy" / "guestbook")
    # When diffing from the moved project / Then it says the base has no such folder
    result = run(repo.root / "deploy" / "guestbook")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot render base ")
    assert result.stderr.endswith(": it has no deploy/guestbook/main.py\n")


# --- small repositories (a stand-in main.py that publishes fixed manifests) --------

CONFIG_MAP = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: shop}\ndata: {k: v}\n"
)

SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
data:
  password: %s
stringData:
  dsn: postgres://app:%s@db/app
"""


def test_added_removed_and_moved_objects(tmp_path: Path, run: Any) -> None:
    # Given dev with objects a (alone in a file) and b
    repo = static_repo(
        tmp_path / "repo",
        {"dev/a.yaml": CONFIG_MAP % "a", "dev/b.yaml": CONFIG_MAP % "b"},
    )
    # When a moves into another file, b is deleted and c is added
    (repo.root / "manifests/dev/a.yaml").unlink()
    (repo.root / "manifests/dev/b.yaml").unlink()
    repo.write("manifests/dev/all.yaml", CONFIG_MAP % "a" + "---\n" + CONFIG_MAP % "c")
    data = as_json(run(repo.root, "--format", "json"))
    # Then b is removed and c added; a, which only moved, is no change
    assert objects(data) == {"dev": [("removed", "ConfigMap/b"), ("added", "ConfigMap/c")]}


def test_reordered_containers_are_no_change_but_one_env_var_is(tmp_path: Path, run: Any) -> None:
    # Given a Deployment fixture, committed, then the same pod reordered with one env var changed
    fixtures = Path(__file__).parent / "fixtures" / "diff"
    base, head = (fixtures / "one_env_var_changed.yaml").read_text().split("---\n")
    repo = static_repo(tmp_path / "repo", {"dev/deployment.yaml": base})
    repo.write("manifests/dev/deployment.yaml", head)
    # When diffing / Then the one env var is the only change
    data = as_json(run(repo.root, "--format", "json"))
    [obj] = data["environments"][0]["objects"]
    assert [c["path"] for c in obj["changes"]] == [
        "spec.template.spec.containers[name=web].env[name=B].value"
    ]


@pytest.mark.parametrize("output_format", ["text", "markdown", "json"])
def test_secret_values_never_appear_in_any_format(
    tmp_path: Path, run: Any, output_format: str
) -> None:
    # Given a Secret whose password (and the DSN holding it) is rotated
    repo = static_repo(tmp_path / "repo", {"dev/secret.yaml": SECRET % ("b2xkcGFzcw==", "oldpass")})
    repo.write("manifests/dev/secret.yaml", SECRET % ("bmV3cGFzcw==", "newpass"))
    # When diffing in this format
    result = run(repo.root, "--format", output_format)
    # Then the changed keys show, the values (encoded or not) never do
    assert result.exit_code == 0, result.output
    assert "data.password" in result.stdout and "stringData.dsn" in result.stdout
    for secret in ("b2xkcGFzcw", "bmV3cGFzcw", "oldpass", "newpass"):
        assert secret not in result.output


def test_an_unknown_environment_exits_2(tmp_path: Path, run: Any) -> None:
    # Given a repository with dev only / When diffing --env nope / Then it says what exists
    repo = static_repo(tmp_path / "repo", {"dev/a.yaml": CONFIG_MAP % "a"})
    result = run(repo.root, "--env", "nope")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: no environment 'nope' in the base or the working tree; expected one of: dev\n"
    )


def test_a_bad_ref_exits_2_with_one_message(tmp_path: Path) -> None:
    # Given a repository / When the real command gets a ref that does not exist
    repo = static_repo(tmp_path / "repo", {"dev/a.yaml": CONFIG_MAP % "a"})
    done = subprocess.run(
        [GUESTBOOK, "diff", "--base", "no-such-branch"],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=False,
    )
    # Then it exits 2 with one line and no traceback
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: unknown git revision 'no-such-branch'")
    assert len(done.stderr.splitlines()) == 1


def test_outside_a_git_repository_exits_2(tmp_path: Path, run: Any) -> None:
    # Given a folder outside any repository / When diffing / Then it says so, exit 2
    result = run(tmp_path)
    assert result.exit_code == 2
    assert "not inside a git working tree" in result.stderr


def test_a_base_that_fails_to_render_leaves_no_worktree(tmp_path: Path, run: Any) -> None:
    # Given a base commit whose main.py fails, fixed in the working tree
    repo = static_repo(tmp_path / "repo", {"dev/a.yaml": CONFIG_MAP % "a"})
    good_main = repo.read("main.py")
    repo.write("main.py", "raise SystemExit('boom')\n")
    repo.commit("broken")
    repo.write("main.py", good_main)
    # When diffing against it
    result = run(repo.root, "--base", "HEAD")
    # Then the error names the base, and the temporary worktree is gone
    assert result.exit_code == 2
    assert "error: cannot render base HEAD (" in result.stderr and "boom" in result.stderr
    assert len(Repo(repo.root).worktrees()) == 1


DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: %d}\n"


def test_a_shallow_ci_checkout_exits_2_instead_of_reporting_no_changes(tmp_path: Path) -> None:
    # Given a feature branch that changes prod's replicas, one commit ahead of main
    origin = static_repo(tmp_path / "origin", {"prod/web.yaml": DEPLOYMENT % 5})
    origin.git("switch", "--quiet", "-c", "feature")
    origin.write("manifests/prod/web.yaml", DEPLOYMENT % 12)
    origin.commit("prod: 12 replicas")
    origin.git("switch", "--quiet", "main")
    # And CI's shallow checkout of it, with main's tip fetched one commit deep
    clone = origin.clone(tmp_path / "clone", "--depth", "1", "--branch", "feature")
    clone.git("fetch", "--quiet", "--depth", "1", "origin", "main:refs/remotes/origin/main")

    def diff(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [GUESTBOOK, "diff", "--exit-code", *args],
            cwd=clone.root,
            capture_output=True,
            text=True,
            check=False,
        )

    # When diffing against the default base
    done = diff()
    # Then it exits 2 with one message that says how to fetch enough history, and no report
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("error: cannot find where HEAD forked from origin/main: ")
    assert "fetch-depth: 0" in done.stderr and len(done.stderr.splitlines()) == 1
    # And an explicit base that the clone has shows the change
    done = diff("--base", "origin/main")
    assert done.returncode == 1, done.stderr
    assert "~ spec.replicas: 5 → 12" in done.stdout


# --- signals: real processes, stopped while both sides render ----------------------


class BlockedDiff:
    """`guestbook diff` in ``repo`` whose renders wait for a signal; temp files go to scratch/."""

    def __init__(self, repo: Repo, tmp_path: Path, name: str) -> None:
        self.ready = tmp_path / f"{name}-renders"
        self.ready.mkdir()
        self.process = subprocess.Popen(
            [GUESTBOOK, "diff"],
            cwd=repo.root,
            env={
                **os.environ,
                "TMPDIR": str(tmp_path / "scratch"),
                "GUESTBOOK_TEST_BLOCK": str(self.ready),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def render_pids(self) -> list[int]:
        return sorted(int(path.name) for path in self.ready.iterdir())

    def wait_until_both_sides_render(self) -> None:
        deadline = time.monotonic() + 120
        while len(self.render_pids()) < 2:
            assert self.process.poll() is None, self.process.communicate()
            assert time.monotonic() < deadline, "the renders did not start"
            time.sleep(0.05)

    def stop(self, signum: int) -> tuple[int, str]:
        self.process.send_signal(signum)
        _, err = self.process.communicate(timeout=60)
        return self.process.returncode, err

    def kill_renders(self) -> None:
        for pid in self.render_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def blocking_repo(tmp_path: Path) -> Iterator[Repo]:
    repo = static_repo(tmp_path / "repo", {"dev/a.yaml": CONFIG_MAP % "a"}, "blocking_main.py")
    (tmp_path / "scratch").mkdir()
    yield repo


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_the_renders_stops_them_and_removes_the_worktree(
    tmp_path: Path, blocking_repo: Repo, signum: signal.Signals
) -> None:
    # Given a diff caught while both sides render, the base in its temporary worktree
    diff = BlockedDiff(blocking_repo, tmp_path, "run")
    try:
        diff.wait_until_both_sides_render()
        assert len(blocking_repo.worktrees()) == 2
        # When it gets the signal
        code, err = diff.stop(signum)
    finally:
        diff.process.kill()
        diff.kill_renders()
    # Then it exits 128 + signal with one line, no traceback
    assert code == 128 + signum
    assert err == f"guestbook: interrupted by {signum.name}; nothing half-written was kept\n"
    # And both renders are stopped, the worktree is unregistered and no temp folder is left
    assert [pid for pid in diff.render_pids() if _alive(pid)] == []
    assert len(blocking_repo.worktrees()) == 1
    assert list((tmp_path / "scratch").iterdir()) == []


def test_the_next_run_cleans_up_after_a_killed_one_and_nothing_else(
    tmp_path: Path, blocking_repo: Repo
) -> None:
    # Given the user's own worktrees: one in use, one locked whose folder is gone
    blocking_repo.git("worktree", "add", "--quiet", str(tmp_path / "mine"))
    blocking_repo.git("worktree", "add", "--quiet", "--lock", str(tmp_path / "usb"), "HEAD")
    shutil.rmtree(tmp_path / "usb")
    users = blocking_repo.worktrees()
    # And a diff killed with SIGKILL while both sides rendered, its worktree left behind
    killed = BlockedDiff(blocking_repo, tmp_path, "killed")
    try:
        killed.wait_until_both_sides_render()
        killed.stop(signal.SIGKILL)
    finally:
        killed.process.kill()
        killed.kill_renders()
    assert len(blocking_repo.worktrees()) == len(users) + 1
    assert list((tmp_path / "scratch").iterdir()) != []
    # And another diff running at the same time
    running = BlockedDiff(blocking_repo, tmp_path, "running")
    try:
        running.wait_until_both_sides_render()
        # When a diff runs to the end
        done = subprocess.run(
            [GUESTBOOK, "diff"],
            cwd=blocking_repo.root,
            env={**os.environ, "TMPDIR": str(tmp_path / "scratch")},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        # Then the killed run's worktree is gone, the running one's and the user's are kept
        assert len(blocking_repo.worktrees()) == len(users) + 1
        assert set(users) < set(blocking_repo.worktrees())
        assert len(list((tmp_path / "scratch").iterdir())) == 1  # the running diff's
        code, _ = running.stop(signal.SIGTERM)
    finally:
        running.process.kill()
        running.kill_renders()
    assert code == 143
    # And once the running one stopped, only the user's worktrees and no temp folder are left
    assert blocking_repo.worktrees() == users
    assert list((tmp_path / "scratch").iterdir()) == []


def test_the_pull_request_workflow_fetches_the_history_the_diff_needs() -> None:
    # Given the workflow that comments each PR's manifest diff
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pr-diff.yml").read_text())
    steps = workflow["jobs"]["diff"]["steps"]
    # Then its checkout fetches the whole history (a shallow one has no origin/<base>)
    [checkout] = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["fetch-depth"] == 0
    # And the diff names the PR's base branch rather than guessing it
    [run] = [s["run"] for s in steps if "guestbook diff" in s.get("run", "")]
    assert '--base "origin/$BASE_REF"' in run


# --- the render cache both sides share ------------------------------------------


def test_both_sides_share_the_projects_render_cache(
    tmp_path: Path, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a project with a tools folder of its own (no cache named by the environment)
    repo = project_repo(tmp_path / "repo")
    (repo.root / ".tools").mkdir()
    monkeypatch.delenv("GUESTBOOK_CACHE_DIR")
    monkeypatch.delenv("GUESTBOOK_TOOLS_DIR")
    # And one overlay changed
    repo.write("environments/dev.yaml", "frontend:\n  replicas: 7\n")
    # When diffing
    data = as_json(run(repo.root, "--base", "HEAD", "--format", "json"))
    assert data["has_changes"]
    # Then the cache in the project's tools folder holds both sides: every folder of the
    # render (shared where nothing changed), and the base's dev, which the base's checkout,
    # having no tools folder, could only have written there through the diff
    cache = repo.root / ".tools" / "cache" / "render"
    folders = [p for p in (repo.root / "dist").iterdir() if p.is_dir()]
    assert len(cache_entries(cache)) == len(folders) + 1


DIFF_EDITS = st.tuples(
    st.sampled_from(["dev", "prod", "staging", "tutorial"]),
    st.sampled_from(
        [
            "frontend:\n  replicas: 6\n",
            "networkPolicy:\n  enabled: true\n",
            "redis:\n  followers:\n    replicas: 1\n",
            "{}\n",
        ]
    ),
)


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edits=st.lists(DIFF_EDITS, min_size=1, max_size=2))
def test_a_diff_with_a_warm_cache_equals_a_cold_one(
    tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[str, str]]
) -> None:
    # Given the project committed, one cache kept across examples and a fresh one
    root = tmp_path_factory.mktemp("diff-edits")
    repo = project_repo(root / "repo")
    warm, cold = root.parent / "warm-cache", root / "cold-cache"
    # When the working tree is edited and diffed with each cache
    for name, text in edits:
        repo.write(f"environments/{name}.yaml", text)
    reports = []
    for cache in (warm, cold, warm):
        previous = os.environ["GUESTBOOK_CACHE_DIR"]
        os.environ["GUESTBOOK_CACHE_DIR"] = str(cache)
        try:
            report = compare(repo.root, "HEAD")
        finally:
            os.environ["GUESTBOOK_CACHE_DIR"] = previous
        reports.append(format_report(report, "json"))
    # Then the reports are the same, byte for byte
    assert reports[0] == reports[1] == reports[2]


# --- folders the same on both sides -------------------------------------------------

SLOW_MAIN = """\
import os, shutil, time

time.sleep(1.5)  # the base finishes first: its folders are parsed while this one renders
shutil.copytree("manifests", os.environ["CDK8S_OUTDIR"])
"""


@pytest.mark.parametrize("head_slower", [False, True], ids=["at once", "head slower"])
def test_a_folder_the_same_on_both_sides_is_unchanged_even_if_it_cannot_be_parsed(
    tmp_path: Path, run: Any, head_slower: bool
) -> None:
    # Given a folder whose file is not YAML, the same in the base and the working tree,
    # and another folder that changed
    repo = static_repo(
        tmp_path / "repo", {"broken/a.yaml": "key: [unclosed\n", "dev/a.yaml": CONFIG_MAP % "a"}
    )
    repo.write("manifests/dev/a.yaml", CONFIG_MAP % "b")
    if head_slower:
        repo.write("main.py", SLOW_MAIN)
    # When diffing
    data = as_json(run(repo.root, "--format", "json"))
    # Then the broken folder is unchanged (the diff compares renders; validate reads them),
    # whenever the base's folders were parsed, and the change shows
    assert objects(data) == {
        "broken": [],
        "dev": [("removed", "ConfigMap/a"), ("added", "ConfigMap/b")],
    }


@pytest.mark.parametrize("side", ["base", "head"])
def test_a_folder_that_differs_and_cannot_be_parsed_is_an_error(
    tmp_path: Path, run: Any, side: str
) -> None:
    # Given a folder whose file is not YAML on one side only
    good, bad = CONFIG_MAP % "a", "key: [unclosed\n"
    repo = static_repo(tmp_path / "repo", {"dev/a.yaml": bad if side == "base" else good})
    repo.write("manifests/dev/a.yaml", good if side == "base" else bad)
    repo.write("main.py", SLOW_MAIN)
    # When diffing / Then the file is named, as the side's output
    result = run(repo.root)
    assert result.exit_code == 2
    expected = "base " if side == "base" else "the working tree "
    assert f"cannot read {expected}" in result.stderr
    assert "output dev/a.yaml" in result.stderr
