"""`guestbook pin` against a real registry on loopback, and the overlay rewrite it does."""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from guestbook.environments import load_environments
from guestbook.errors import GuestbookError
from guestbook.images import ImageReference
from guestbook.pin import (
    IMAGE_KEYS,
    Resolver,
    check_keys,
    images_in_use,
    plan_pins,
    report,
    rewrite_overlay,
)
from tests.conftest import FIXTURES, ROOT
from tests.oci_registry import LoopbackRegistry, running_registry

GUESTBOOK = str(Path(sys.executable).with_name("guestbook"))
PIN_FIXTURES = FIXTURES / "pin"
PLACEHOLDER = "LOOPBACK_REGISTRY"
A, B, C = (f"sha256:{c * 64}" for c in "abc")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackRegistry]:
    """A registry on loopback that wants bearer tokens (as public registries do), with the
    guestbook's four images pushed under the tags the defaults use."""
    with running_registry(tmp_path_factory.mktemp("registry"), "-token-auth") as running:
        running.push_image("guestbook/gb-frontend", "v5", "frontend v5")
        running.push_image("guestbook/redis", "6.0.5", "redis 6.0.5")
        running.push_image("guestbook/gb-redis-follower", "v2", "follower v2")
        running.push_image("guestbook/redis_exporter", "v1.87.0", "exporter v1.87.0")
        yield running


def _overlay(tmp_path: Path, fixture: str, registry: LoopbackRegistry, name: str = "test") -> Path:
    """Copy a fixture into an environments folder as ``<name>.yaml``, pointing at ``registry``."""
    environments = tmp_path / "environments"
    environments.mkdir(parents=True, exist_ok=True)
    path = environments / f"{name}.yaml"
    text = (PIN_FIXTURES / fixture).read_text().replace(PLACEHOLDER, registry.host)
    path.write_text(text)
    return path


def _pin(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GUESTBOOK, "pin", *args],
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if k != "GUESTBOOK_ENVIRONMENTS_DIR"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    removed = [line[2:] for line in diff if line.startswith("- ")]
    added = [line[2:] for line in diff if line.startswith("+ ")]
    return removed, added


# --- against the registry ----------------------------------------------------


def test_pin_writes_the_digests_the_registry_serves(
    tmp_path: Path, registry: LoopbackRegistry
) -> None:
    # Given an overlay whose four images (monitoring is on) are tags in the loopback registry
    overlay = _overlay(tmp_path, "loopback_images.yaml", registry)
    before = overlay.read_text()
    # When pin runs
    result = _pin("test", cwd=tmp_path)
    # Then it succeeds, and each image is now tag@digest with crane's digest for that tag
    assert result.returncode == 0, result.stderr
    [env] = load_environments(tmp_path / "environments")
    images = env.props.model_dump(by_alias=True)
    expected = {
        "frontend.image": ("guestbook/gb-frontend", "v5"),
        "redis.leader.image": ("guestbook/redis", "6.0.5"),
        "redis.followers.image": ("guestbook/gb-redis-follower", "v2"),
        "monitoring.exporterImage": ("guestbook/redis_exporter", "v1.87.0"),
    }
    for key, (repository, tag) in expected.items():
        section, *rest = key.split(".")
        value = images[section]
        for part in rest:
            value = value[part]
        assert value == f"{registry.ref(repository, tag)}@{registry.digest(repository, tag)}"
    # And it printed old -> new for each, and a summary
    frontend = registry.ref("guestbook/gb-frontend", "v5")
    assert f"frontend.image: {frontend} -> {frontend}@sha256:" in result.stdout
    assert result.stdout.rstrip().endswith("environments/test.yaml: pinned 4 image(s)")
    # And only the four image lines changed: comments, quotes and layout stayed
    removed, added = _changed_lines(before, overlay.read_text())
    assert len(removed) == len(added) == 4
    assert all(re.match(r"\s*(image|exporterImage): ", line) for line in removed + added)
    assert "  image: '" in overlay.read_text()  # the follower kept its single quotes
    assert "# followers replicate from redis-leader" in overlay.read_text()


def test_repin_updates_the_digest_when_the_tag_moved(
    tmp_path: Path, registry: LoopbackRegistry
) -> None:
    # Given an overlay pinned to what a tag pointed at, and then the tag moved
    overlay = _overlay(tmp_path, "loopback_images.yaml", registry)
    registry.push_image("guestbook/app", "1.0", "first build")
    old = registry.ref("guestbook/app", "1.0") + "@" + registry.digest("guestbook/app", "1.0")
    overlay.write_text(overlay.read_text().replace(registry.ref("guestbook/redis", "6.0.5"), old))
    moved = registry.push_image("guestbook/app", "1.0", "rebuilt, same tag")
    # When pin runs for that image
    result = _pin("test", "--image-key", "redis.leader.image", cwd=tmp_path)
    # Then the overlay has the new digest, and the output shows old -> new
    assert result.returncode == 0, result.stderr
    new = f"{registry.ref('guestbook/app', '1.0')}@{moved}"
    assert f'image: "{new}"' in overlay.read_text()
    assert f"redis.leader.image: {old} -> {new}" in result.stdout


def test_pinning_a_pinned_overlay_changes_nothing(
    tmp_path: Path, registry: LoopbackRegistry
) -> None:
    # Given an overlay pinned once
    overlay = _overlay(tmp_path, "loopback_images.yaml", registry)
    assert _pin("test", cwd=tmp_path).returncode == 0
    pinned = overlay.read_bytes()
    # When pin runs again
    result = _pin("test", cwd=tmp_path)
    # Then nothing is written and it says so
    assert result.returncode == 0, result.stderr
    assert overlay.read_bytes() == pinned
    assert result.stdout.count(": unchanged, ") == 4
    assert "already pinned, nothing to change" in result.stdout


def test_image_key_pins_only_that_image(tmp_path: Path, registry: LoopbackRegistry) -> None:
    overlay = _overlay(tmp_path, "loopback_images.yaml", registry)
    before = overlay.read_text()
    result = _pin("test", "--image-key", "frontend.image", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    removed, added = _changed_lines(before, overlay.read_text())
    assert [line.split("@")[0] for line in added] == [
        f"  image: {registry.ref('guestbook/gb-frontend', 'v5')}"
    ]
    assert len(removed) == 1
    assert "redis" not in result.stdout


def test_dry_run_prints_the_pins_and_writes_nothing(
    tmp_path: Path, registry: LoopbackRegistry
) -> None:
    overlay = _overlay(tmp_path, "loopback_images.yaml", registry)
    before = overlay.read_bytes()
    result = _pin("test", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert overlay.read_bytes() == before
    digest = registry.digest("guestbook/redis", "6.0.5")
    assert f"-> {registry.ref('guestbook/redis', '6.0.5')}@{digest}" in result.stdout
    assert "would pin 4 image(s) (dry run, nothing written)" in result.stdout


def test_unknown_tag_exits_2_with_one_clear_message_and_writes_nothing(
    tmp_path: Path, registry: LoopbackRegistry
) -> None:
    # Given an overlay whose leader tag does not exist in the registry
    overlay = _overlay(tmp_path, "unknown_tag.yaml", registry)
    before = overlay.read_bytes()
    # When pin runs
    result = _pin("test", cwd=tmp_path)
    # Then it exits 2, names file, key and tag, shows no traceback, and writes nothing
    assert result.returncode == 2
    assert result.stderr == (
        f"error: environments/test.yaml: redis.leader.image: "
        f"{registry.host}/guestbook/redis: tag '9.9.9' not found (MANIFEST_UNKNOWN)\n"
    )
    assert result.stdout == ""
    assert overlay.read_bytes() == before


def test_latest_and_untagged_images_are_refused_before_any_request(tmp_path: Path) -> None:
    # Given an overlay with :latest and an untagged image, and no registry running at all
    environments = tmp_path / "environments"
    environments.mkdir()
    overlay = environments / "test.yaml"
    overlay.write_text(
        (PIN_FIXTURES / "latest_tag.yaml").read_text().replace(PLACEHOLDER, "127.0.0.1:9")
    )
    before = overlay.read_bytes()
    # When pin runs
    result = _pin("test", cwd=tmp_path)
    # Then both are reported together (not a connection error), exit 2, nothing written
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "error: environments/test.yaml: cannot pin:"
    assert lines[1].startswith("  frontend.image: 127.0.0.1:9/guestbook/gb-frontend:latest: ")
    assert "':latest' is never pinned" in lines[1]
    assert lines[2].startswith("  redis.leader.image: 127.0.0.1:9/guestbook/redis: no tag")
    assert len(lines) == 3
    assert overlay.read_bytes() == before


def test_unreachable_registry_exits_2(tmp_path: Path, registry: LoopbackRegistry) -> None:
    # Given an overlay pointing at a loopback port where no registry listens
    overlay = _overlay(tmp_path, "loopback_images.yaml", registry)
    overlay.write_text(overlay.read_text().replace(registry.host, "127.0.0.1:9"))
    result = _pin("test", "--image-key", "frontend.image", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "error: environments/test.yaml: frontend.image: cannot reach http://127.0.0.1:9: "
        "connection refused (is the registry running?)\n"
    )


def test_symlinked_overlay_is_pinned_at_its_target(
    tmp_path: Path, registry: LoopbackRegistry
) -> None:
    # Given environments/test.yaml as a symlink to an overlay kept elsewhere
    shared = _overlay(tmp_path / "shared", "loopback_images.yaml", registry)
    link = tmp_path / "environments" / "test.yaml"
    link.parent.mkdir()
    link.symlink_to(os.path.relpath(shared, link.parent))
    # When pin runs
    result = _pin("test", "--image-key", "frontend.image", cwd=tmp_path)
    # Then the target has the digest, and the link is still the same link
    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert link.readlink() == Path("../shared/environments/test.yaml")
    assert f"@{registry.digest('guestbook/gb-frontend', 'v5')}" in shared.read_text()
    assert sorted(p.name for p in link.parent.iterdir()) == ["test.yaml"]


@pytest.mark.parametrize(
    ("encode", "name"),
    [
        (lambda text: text.replace(b"\n", b"\r\n"), "CRLF line endings"),
        (lambda text: b"\xef\xbb\xbf" + text, "a UTF-8 byte order mark"),
        (lambda text: b"\xef\xbb\xbf" + text.replace(b"\n", b"\r\n"), "both"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_line_endings_and_byte_order_mark_are_kept(
    tmp_path: Path, registry: LoopbackRegistry, encode: Callable[[bytes], bytes], name: str
) -> None:
    # Given the same overlay twice: as usual, and with CRLF line endings or a BOM
    plain = _overlay(tmp_path / "plain", "loopback_images.yaml", registry)
    odd = _overlay(tmp_path / "odd", "loopback_images.yaml", registry)
    odd.write_bytes(encode(plain.read_bytes()))
    # When both are pinned
    for folder in ("plain", "odd"):
        result = _pin("test", cwd=tmp_path / folder)
        assert result.returncode == 0, result.stderr
    # Then the odd one is the usual result with its own line endings and BOM, byte for byte
    assert b"@sha256:" in plain.read_bytes()
    assert odd.read_bytes() == encode(plain.read_bytes())


def test_mixed_line_endings_are_refused_and_the_overlay_kept(
    tmp_path: Path, registry: LoopbackRegistry
) -> None:
    # Given an overlay whose first line ends in CRLF and the others in LF
    overlay = _overlay(tmp_path, "loopback_images.yaml", registry)
    overlay.write_bytes(overlay.read_bytes().replace(b"\n", b"\r\n", 1))
    before = overlay.read_bytes()
    # When pin runs
    result = _pin("test", cwd=tmp_path)
    # Then it says why it will not rewrite the file, and leaves it as it was
    assert result.returncode == 2
    assert result.stderr == (
        "error: environments/test.yaml: mixed line endings (CRLF and LF); "
        "make them the same to pin\n"
    )
    assert overlay.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["test", "--image-key", "backend.image"], "unknown image key 'backend.image'"),
        (["nope"], "no overlay for environment 'nope'"),
    ],
)
def test_bad_arguments_exit_2(
    tmp_path: Path, registry: LoopbackRegistry, args: list[str], message: str
) -> None:
    _overlay(tmp_path, "loopback_images.yaml", registry)
    result = _pin(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# --- the plan (pure) ---------------------------------------------------------


def _resolver(digests: dict[str, str]) -> Resolver:
    def resolve(ref: ImageReference, tag: str) -> str:
        key = f"{ref.repository}:{tag}"
        if key not in digests:
            raise GuestbookError(f"{key}: not found")
        return digests[key]

    return resolve


def test_plan_reports_every_unresolvable_image_at_once(tmp_path: Path) -> None:
    # Given an environment with the default images and a resolver that knows only redis
    (tmp_path / "dev.yaml").write_text("frontend:\n  replicas: 1\n")
    [env] = load_environments(tmp_path)
    resolve = _resolver({"library/redis:6.0.5": A})
    # When planning
    with pytest.raises(GuestbookError) as caught:
        plan_pins(env, images_in_use(env), resolve)
    # Then both missing images are named, with their keys
    lines = str(caught.value).splitlines()
    assert lines[0].endswith("dev.yaml: cannot pin:")
    assert lines[1] == "  frontend.image: google-samples/containers/gke/gb-frontend:v5: not found"
    assert lines[2].startswith("  redis.followers.image: google-samples/")


def test_plan_leaves_an_image_pinned_by_digest_alone(tmp_path: Path) -> None:
    (tmp_path / "dev.yaml").write_text(f"frontend:\n  image: registry.example/web@{A}\n")
    [env] = load_environments(tmp_path)
    [change] = plan_pins(env, ["frontend.image"], _resolver({}))
    assert not change.changed
    assert report([change], env.source) == [
        f"frontend.image: unchanged, registry.example/web@{A} (pinned by digest only, no tag)",
        f"{env.source}: already pinned, nothing to change",
    ]


def test_images_in_use_leave_out_the_exporter_and_canary_while_they_are_off(
    tmp_path: Path,
) -> None:
    # Given one environment without and one with monitoring and a canary
    (tmp_path / "dev.yaml").write_text("frontend:\n  replicas: 1\n")
    (tmp_path / "prod.yaml").write_text(
        "monitoring:\n  enabled: true\nfrontend:\n  canary:\n    image: registry.example/web:v6\n"
    )
    dev, prod = load_environments(tmp_path)
    # Then pin's default keys are the images each deploys
    assert images_in_use(dev) == ["frontend.image", "redis.leader.image", "redis.followers.image"]
    assert images_in_use(prod) == [k for k in IMAGE_KEYS if k != "logging.collector.image"]
    assert "frontend.canary.image" in IMAGE_KEYS


def test_pinning_the_canary_of_an_environment_without_one_is_a_clear_error(
    tmp_path: Path,
) -> None:
    # Given an environment without a canary
    (tmp_path / "dev.yaml").write_text("frontend:\n  replicas: 1\n")
    [env] = load_environments(tmp_path)
    # When its canary image is asked for, Then the error names the key and what is missing
    with pytest.raises(GuestbookError) as caught:
        plan_pins(env, ["frontend.canary.image"], _resolver({}))
    assert str(caught.value) == (
        f"{env.source}: frontend.canary.image: not set (the environment has no frontend.canary)"
    )


def test_a_rollout_frontend_pins_frontend_image_and_has_no_canary_image(
    tmp_path: Path,
) -> None:
    # Given an environment whose frontend is an Argo Rollouts Rollout (canary.steps)
    (tmp_path / "dev.yaml").write_text("frontend:\n  canary:\n    steps: [{pause: {}}]\n")
    [env] = load_environments(tmp_path)
    # Then frontend.image is pinned as always (the Rollout runs it), and there is no canary image
    assert images_in_use(env) == ["frontend.image", "redis.leader.image", "redis.followers.image"]
    with pytest.raises(GuestbookError) as caught:
        plan_pins(env, ["frontend.canary.image"], _resolver({}))
    assert str(caught.value) == (
        f"{env.source}: frontend.canary.image: not set (frontend.canary has steps: the Rollout "
        "runs frontend.image)"
    )


def test_images_in_use_include_the_log_collector_only_where_it_is_rendered(
    tmp_path: Path,
) -> None:
    # Given an environment that renders its cluster's log collector, and one that does not
    shutil.copy(FIXTURES / "logging" / "collector_on.yaml", tmp_path / "ops.yaml")
    (tmp_path / "dev.yaml").write_text("logging:\n  enabled: true\n")
    dev, ops = load_environments(tmp_path)
    # Then only the first pins the collector's image by default
    assert "logging.collector.image" not in images_in_use(dev)
    assert images_in_use(ops)[-1] == "logging.collector.image"
    assert check_keys(["logging.collector.image"]) == ["logging.collector.image"]


def test_check_keys_keeps_overlay_order_and_rejects_unknown_keys() -> None:
    assert check_keys([]) == []
    assert check_keys(["redis.followers.image", "frontend.image"]) == [
        "frontend.image",
        "redis.followers.image",
    ]
    with pytest.raises(GuestbookError, match=r"expected one of: frontend\.image, "):
        check_keys(["redis.image"])


# --- the rewrite (pure) ------------------------------------------------------

PINNED = {
    "frontend.image": f"registry.example/guestbook/gb-frontend:v5@{A}",
    "redis.leader.image": f"registry.example/guestbook/redis:6.0.5@{B}",
    "redis.followers.image": f"registry.example/guestbook/gb-redis-follower:v2@{C}",
}


def test_rewrite_keeps_comments_quotes_flow_style_and_list_indentation() -> None:
    # Given an overlay with comments, quoted and flow values, an indented list, and one
    # image already pinned to an old digest
    text = (PIN_FIXTURES / "commented_overlay.yaml").read_text()
    # When all three images are pinned
    result = rewrite_overlay(text, PINNED)
    # Then the file is exactly the expected one: values replaced in place, the missing
    # followers image added under redis.followers, everything else byte for byte
    assert result == (PIN_FIXTURES / "commented_overlay.pinned.yaml").read_text()


def test_rewrite_adds_images_taken_from_the_defaults_under_their_paths() -> None:
    # Given an overlay of comments only (every image comes from the defaults)
    text = (PIN_FIXTURES / "images_from_defaults.yaml").read_text()
    defaults = {
        "frontend.image": f"us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5@{A}",
        "redis.leader.image": f"docker.io/redis:6.0.5@{B}",
        "redis.followers.image": (
            f"us-docker.pkg.dev/google-samples/containers/gke/gb-redis-follower:v2@{C}"
        ),
    }
    # Then the comments stay on top and the keys are added under frontend and redis
    expected = (PIN_FIXTURES / "images_from_defaults.pinned.yaml").read_text()
    assert rewrite_overlay(text, defaults) == expected


def test_rewrite_keeps_document_markers_and_what_follows_the_end() -> None:
    # Given an overlay that is an explicit document: '---' with a comment, '...', a note after
    text = (PIN_FIXTURES / "document_markers.yaml").read_text()
    # When every image is pinned
    result = rewrite_overlay(text, PINNED)
    # Then the markers and the note stay where they were, and the images go inside
    assert result == (PIN_FIXTURES / "document_markers.pinned.yaml").read_text()


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "environments").glob("*.yaml")))
def test_rewrite_of_each_committed_overlay_only_adds_image_lines(name: str) -> None:
    # Given a committed overlay (none sets an image today)
    before = (ROOT / "environments" / name).read_text()
    # When every image is pinned
    exporter = f"registry.example/redis_exporter:v1.87.0@{A}"
    after = rewrite_overlay(before, {**PINNED, "monitoring.exporterImage": exporter})
    # Then no line is removed or changed, and the added lines are the images and their parents
    removed, added = _changed_lines(before, after)
    assert removed == []
    assert sum(bool(re.match(r"\s*(image|exporterImage): ", line)) for line in added) == 4
    parents = "frontend:|redis:|leader:|followers:|monitoring:"
    assert all(
        re.fullmatch(rf"\s*((image|exporterImage): \S+@sha256:[a-f]{{64}}|{parents})", line)
        for line in added
    )
