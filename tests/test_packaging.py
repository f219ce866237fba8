"""The wheel other projects install: every module of the package, its typing marker, the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from a copy of its packaging inputs (the build writes
    build/ and *.egg-info beside its sources; offline: the build tools are in the dev extra)."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "lib", source / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [
            sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
            "--no-build-isolation", "--wheel-dir", str(tmp_path), str(source),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )  # fmt: skip
    [built] = tmp_path.glob("guestbook_gitops-*.whl")
    return built


def test_wheel_holds_every_module_the_typing_marker_and_the_console_script(wheel: Path) -> None:
    # When the wheel is opened
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = archive.read(entry_points).decode()
    # Then it holds exactly the package's modules (a `packages.find` that leaves out a
    # subpackage, e.g. `include = ["guestbook"]` without "guestbook.*", fails here) and
    # py.typed and the API lifecycle table, and installs the `guestbook` command
    package = ROOT / "lib"
    modules = {p.relative_to(package).as_posix() for p in package.rglob("*.py")}
    assert {n for n in names if n.endswith(".py")} == modules
    assert "guestbook/py.typed" in names
    assert "guestbook/manifests/api_lifecycle.json" in names
    # And the Go helpers' sources that `guestbook tools install` builds, without their tests
    for module in ("go-reader", "go-cel"):
        folder = package / "guestbook" / "validate" / module
        sources = {
            p.relative_to(package).as_posix()
            for p in folder.iterdir()
            if p.name in ("go.mod", "go.sum") or p.name.endswith(".go")
        }
        assert {n for n in names if n.startswith(f"guestbook/validate/{module}/")} == {
            s for s in sources if not s.endswith("_test.go")
        }
    assert "guestbook = guestbook.entry:main" in scripts


def test_importing_the_library_leaves_the_environment_and_the_collector_alone() -> None:
    # Given a program without jsii's Node switch set, that imports the library and its
    # validation pipeline (the CLI sets the switch and pauses the collector itself)
    program = (
        "import gc, os\n"
        "import guestbook, guestbook.constructs, guestbook.validate.pipeline\n"
        "from guestbook import Guestbook\n"
        "print(sorted(k for k in os.environ if k.startswith('JSII')), gc.isenabled())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("JSII")}
    # When it runs
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
    )
    # Then the library set no environment variable and left the collector on
    assert done.stdout == "[] True\n"
    # And no library module but the console script's entry touches the collector
    touching = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "lib" / "guestbook").rglob("*.py"))
        if path.name != "entry.py" and "import gc" in path.read_text(encoding="utf-8")
    ]
    assert touching == []


def _fresh_venv(venv: Path, *install: str) -> str:
    """A new virtual environment with ``pip install *install`` done (by this pip); its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
         "--disable-pip-version-check", *install],
        check=True,
        capture_output=True,
        timeout=300,
    )  # fmt: skip
    return python


TOOLS_DIR = "from guestbook.validate.tools import tools_dir; print(tools_dir())"


def test_an_installed_wheel_finds_the_tools_of_the_project_it_runs_in(
    wheel: Path, tmp_path: Path
) -> None:
    # Given the wheel installed alone into a fresh virtual environment
    python = _fresh_venv(tmp_path / "venv", "--no-deps", "--no-index", str(wheel))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GUESTBOOK_TOOLS_DIR")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    # And a project where `make setup` ran, and a folder in no project
    project = tmp_path / "project"
    (project / ".tools" / "bin").mkdir(parents=True)
    (project / "pyproject.toml").touch()
    (project / "environments").mkdir()
    (tmp_path / "elsewhere").mkdir()

    def tools(cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [python, "-c", TOOLS_DIR], cwd=cwd, env={**env, **extra}, capture_output=True,
            text=True, check=False,
        )  # fmt: skip

    # When the installed package looks for its tools inside the project, Then it finds them
    found = tools(project / "environments")
    assert found.stdout == f"{project / '.tools'}\n", found.stderr
    # And outside any project, the setting is used; without it, the error names the setting
    assert tools(tmp_path / "elsewhere", GUESTBOOK_TOOLS_DIR="/opt/t").stdout == "/opt/t\n"
    missing = tools(tmp_path / "elsewhere")
    assert missing.returncode == 1
    assert "set GUESTBOOK_TOOLS_DIR" in missing.stderr
    # and the command that installs them into the per-user folder
    user = tmp_path / "cache" / "guestbook" / "tools"
    assert f"run `guestbook tools install` to build them into {user}" in missing.stderr
    # Once that folder exists, it is used outside any project
    user.mkdir(parents=True)
    assert tools(tmp_path / "elsewhere").stdout == f"{user}\n"
    # but a project's own tools still come first
    assert tools(project / "environments").stdout == f"{project / '.tools'}\n"


def test_the_lowest_constraints_pin_every_dependency_to_its_lower_bound() -> None:
    # Given pyproject.toml's dependency ranges and the lowest versions `make test-lowest` runs
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lower_bounds = {}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        [bound] = [s.version for s in requirement.specifier if s.operator == ">="]
        lower_bounds[canonicalize_name(requirement.name)] = bound
    lines = (ROOT / ".ci" / "lowest.txt").read_text(encoding="utf-8").splitlines()
    pins = {}
    for line in lines:
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    # Then each dependency has a lower bound, and the lowest run installs exactly that
    assert pins == lower_bounds


BESIDE_CDK8S_PLUS_37 = """\
import json
import cdk8s, cdk8s_plus_37 as kplus
from guestbook import Guestbook, GuestbookProps
app = cdk8s.App()
chart = cdk8s.Chart(app, "shop", namespace="shop")
Guestbook(chart, "guestbook", props=GuestbookProps())
kplus.Deployment(chart, "cart", containers=[kplus.ContainerProps(image="nginx:1.27.0")])
print(json.dumps(sorted(f"{o['kind']}/{o['metadata']['name']}" for o in chart.to_json())))
"""


@pytest.mark.network
def test_the_wheel_installs_beside_the_newest_cdk8s_and_cdk8s_plus_37(
    wheel: Path, tmp_path: Path
) -> None:
    # Given a fresh virtual environment with our wheel and the newest cdk8s and cdk8s-plus-37
    # from the package index (the network; pip's cache makes a second run quick)
    python = _fresh_venv(tmp_path / "venv", str(wheel), "cdk8s", "cdk8s-plus-37")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # When a chart holds our constructs and a cdk8s-plus-37 Deployment
    done = subprocess.run(
        [python, "-c", BESIDE_CDK8S_PLUS_37], env=env, capture_output=True, text=True,
        check=False, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    # Then both render into the same chart
    assert done.returncode == 0, done.stderr
    kinds = json.loads(done.stdout)
    assert "Deployment/redis-leader" in kinds
    assert any(k.startswith("Deployment/shop-cart") for k in kinds), kinds


@pytest.mark.network
def test_a_pip_user_installs_the_tools_once_and_validates_anywhere(
    wheel: Path, tmp_path: Path
) -> None:
    # Given our wheel and its dependencies from the package index in a fresh virtual
    # environment, used in a folder of no project, with an empty per-user cache
    python = _fresh_venv(tmp_path / "venv", str(wheel))
    guestbook = str(Path(python).with_name("guestbook"))
    go_env = subprocess.run(
        ["go", "env", "GOCACHE", "GOMODCACHE"], capture_output=True, text=True, check=True
    ).stdout.split()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GUESTBOOK_TOOLS_DIR")}
    # (the Go caches stay where they are: XDG_CACHE_HOME would move the build cache too)
    env |= {
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "GOCACHE": go_env[0],
        "GOMODCACHE": go_env[1],
    }
    here = tmp_path / "elsewhere"
    here.mkdir()
    manifest = here / "configmap.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: 1\n")
    gateway = ROOT / "tests" / "fixtures" / "crds" / "gateway-api-v1.4.0"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [guestbook, *args], cwd=here, env=env, capture_output=True, text=True,
            check=False, timeout=1800,
        )  # fmt: skip

    # When it validates before installing the tools, Then exit 2 names the command
    before = run("validate", str(manifest))
    assert before.returncode == 2
    assert "run `guestbook tools install`" in before.stderr
    # When the tools are installed (the Go toolchain builds them from the module proxy)
    installed = run("tools", "install")
    # Then they land in the per-user folder
    user = tmp_path / "cache" / "guestbook" / "tools"
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout.startswith(f"{user}: installed kubeconform, guestbook-reader, ")
    assert {p.name for p in (user / "bin").iterdir() if not p.name.startswith(".")} == {
        "kubeconform",
        "guestbook-reader",
        "guestbook-cel",
    }
    # And validation uses them from then on: the schema layer, and CEL with --crd
    after = run("validate", str(manifest))
    assert after.returncode == 1, after.stderr
    assert "data.a: got number, want string" in after.stdout
    invalid = gateway / "invalid-examples" / "hostname-tcp.yaml"
    cel = run("validate", "--crd", str(gateway / "crds"), str(invalid))
    assert cel.returncode == 1, cel.stderr
    assert "[cel]" in cel.stdout
    # And a second install finds everything current
    again = run("tools", "install")
    assert again.stdout == f"{user}: up to date\n", again.stderr
