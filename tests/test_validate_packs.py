"""The packs the validator's caches keep per-file results in: shards and merges."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from guestbook.validate.packs import PackStore

FORMAT = 1


def store(folder: Path) -> PackStore:
    return PackStore(folder, FORMAT, lambda entry: isinstance(entry, str), 1 << 20, 8)


def pack_files(folder: Path, shard: str) -> list[Path]:
    return sorted((folder / "context" / shard).glob("*.json"))


def entries(paths: list[Path]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in paths:
        found.update(json.loads(path.read_bytes())["entries"])
    return found


def test_a_run_over_one_key_reads_only_its_shard(tmp_path: Path) -> None:
    # Given entries kept in two shards, and the pack of shard b damaged
    shelf = store(tmp_path).shelf("context")
    assert shelf is not None
    shelf.put({"a1": "first", "b1": "second"})
    [damaged] = pack_files(tmp_path, "b")
    damaged.write_bytes(damaged.read_bytes()[:-2])
    # When a later run asks for a key of shard a
    later = store(tmp_path).shelf("context")
    assert later is not None
    # Then it finds it, and shard b was not read (its damaged pack would have been removed)
    assert later.get("a1") == "first"
    assert damaged.exists()
    # and asking for a key of shard b reads it: the damaged pack is a miss, and goes
    assert later.get("b1") is None
    assert not damaged.exists()


def test_past_the_bound_of_packs_the_small_ones_merge_and_the_largest_stays(
    tmp_path: Path,
) -> None:
    # Given a shard with one large pack
    large = {f"a{n:03}": "x" * 50 for n in range(200)}
    first = store(tmp_path).shelf("context")
    assert first is not None
    first.put(large)
    [largest] = pack_files(tmp_path, "a")
    written = largest.read_bytes()
    # When twelve runs each add one entry to the shard
    for n in range(12):
        shelf = store(tmp_path).shelf("context")
        assert shelf is not None
        assert shelf.get("a000") == "x" * 50
        shelf.put({f"a-{n}": str(n)})
    # Then the shard holds at most 8 packs, the large one unchanged, and every entry
    kept = pack_files(tmp_path, "a")
    assert len(kept) <= 8
    assert largest in kept and largest.read_bytes() == written
    assert entries(kept) == {**large, **{f"a-{n}": str(n) for n in range(12)}}


def test_the_scope_of_a_run_is_the_folder_its_files_are_in(tmp_path: Path) -> None:
    from guestbook.validate.packs import SeenFiles

    def scope(*names: str) -> str:
        return SeenFiles.now(str(tmp_path / n) for n in names).scope()

    # Given files in sub-folders of one folder, or in one, or one file
    # Then the scope is the deepest folder holding them all, cut at a separator
    assert scope("dist/env-1/a.yaml", "dist/env-2/b.yaml") == str(tmp_path / "dist")
    assert scope("dist/ab/x.yaml", "dist/a/y.yaml") == str(tmp_path / "dist")
    assert scope("dist/env-1/a.yaml") == str(tmp_path / "dist" / "env-1")


def test_the_number_of_packs_is_bounded_least_recently_used_first(tmp_path: Path) -> None:
    # Given a cache of at most three packs, and five runs in five contexts, one after another
    bounded = PackStore(tmp_path, FORMAT, lambda entry: isinstance(entry, str), 1 << 20, 8, 3)
    for number in range(5):
        shelf = bounded.shelf(f"context-{number}")
        assert shelf is not None
        shelf.put({f"a{number}": "kept"})
        for pack in tmp_path.glob(f"context-{number}/*/*.json"):  # distinct times, oldest first
            os.utime(pack, (1_000_000 + number, 1_000_000 + number))
    # Then the three newest packs stay, and the older contexts are gone, folders and all
    assert sorted(p.parent.parent.name for p in tmp_path.glob("*/*/*.json")) == [
        "context-2",
        "context-3",
        "context-4",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["context-2", "context-3", "context-4"]


def test_shards_and_contexts_left_empty_are_removed(tmp_path: Path) -> None:
    # Given a context whose only pack is over the bytes bound, and an empty context and shard
    small = PackStore(tmp_path, FORMAT, lambda entry: isinstance(entry, str), 10, 8)
    (tmp_path / "abandoned" / "a").mkdir(parents=True)
    (tmp_path / "other" / "b").mkdir(parents=True)
    shelf = small.shelf("current")
    assert shelf is not None
    # When a run keeps an entry larger than the whole cache may be
    shelf.put({"a1": "x" * 100})
    # Then no pack stays, and no folder either
    assert list(tmp_path.iterdir()) == []
