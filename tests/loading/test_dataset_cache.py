"""The dataset a run loaded once, handed on to its kernel (``write_dataset_cache``).

``load_dataset`` uses the saved dataset only when it was read from exactly the files the folder
holds now (same folder, every file's size and modification time) with the same limits; any other
change and it reads the folder itself.
"""

from __future__ import annotations

import os
import stat
from dataclasses import replace

import pytest

from folders import minimal_folder
from perfeval.data import loader
from perfeval.data.loader import (
    DATASET_CACHE_ENV,
    DEFAULT_LIMITS,
    load_dataset,
    write_dataset_cache,
)


@pytest.fixture
def cached(tmp_path, monkeypatch):
    """A minimal folder, its dataset saved with a marker table, and the variable naming it."""
    root = minimal_folder(tmp_path)
    data = load_dataset(root)
    data.tables["marker"] = data.tables["indicators"].head(1)
    file = tmp_path / "private" / "dataset.pickle"
    file.parent.mkdir(mode=0o700)
    write_dataset_cache(data, file)
    monkeypatch.setenv(DATASET_CACHE_ENV, str(file))
    return root, file


def _from_cache(data) -> bool:
    return "marker" in data.tables


def test_the_saved_dataset_is_used_while_the_files_are_unchanged(cached, monkeypatch):
    root, _ = cached
    parsed = []
    read = loader.read_dataset
    monkeypatch.setattr(loader, "read_dataset", lambda *a, **k: parsed.append(a) or read(*a, **k))
    assert _from_cache(load_dataset(root)) and _from_cache(load_dataset(str(root)))
    assert parsed == [], "no CSV file was parsed"


def test_the_cache_file_is_private_to_its_owner(cached):
    _, file = cached
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):  # never written over (nor through a planted link)
        write_dataset_cache(load_dataset(cached[0]), file)


def test_a_file_changed_in_size_or_time_means_the_folder_is_read_again(cached):
    root, _ = cached
    values = root / "indicator_values.csv"
    info = values.stat()
    os.utime(values, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
    assert not _from_cache(load_dataset(root))
    os.utime(values, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert _from_cache(load_dataset(root)), "the same stamp again: the cache holds"
    with values.open("a", encoding="utf-8") as handle:
        handle.write("\n")
    os.utime(values, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert not _from_cache(load_dataset(root)), "same time, another size"


def test_a_file_added_or_removed_means_the_folder_is_read_again(cached):
    root, _ = cached
    (root / "extra.csv").write_text("a\n1\n", encoding="utf-8")
    assert not _from_cache(load_dataset(root))
    (root / "extra.csv").unlink()
    assert _from_cache(load_dataset(root))
    (root / "budget.csv").unlink()
    assert not _from_cache(load_dataset(root))


def test_another_folder_other_limits_or_no_cache_read_the_folder(cached, tmp_path, monkeypatch):
    root, file = cached
    other = minimal_folder(tmp_path / "other")
    assert not _from_cache(load_dataset(other)), "same files, another folder"
    stricter = replace(DEFAULT_LIMITS, max_cell_chars=DEFAULT_LIMITS.max_cell_chars - 1)
    assert not _from_cache(load_dataset(root, limits=stricter))
    file.write_bytes(b"not a pickle")
    assert not _from_cache(load_dataset(root)), "an unreadable cache is ignored"
    file.unlink()
    assert not _from_cache(load_dataset(root)), "a cache that is gone is ignored"
    monkeypatch.delenv(DATASET_CACHE_ENV)
    assert not _from_cache(load_dataset(root))


def test_a_cache_other_users_could_have_written_is_ignored(cached):
    root, file = cached
    file.parent.chmod(0o755)
    assert not _from_cache(load_dataset(root)), "a folder others may read"
    file.parent.chmod(0o700)
    file.chmod(0o666)
    assert not _from_cache(load_dataset(root)), "a file others may write"
    file.chmod(0o600)
    assert _from_cache(load_dataset(root))
