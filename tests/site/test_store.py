"""The site folder's store: input hashes, atomic writes, unchanged files and pruning."""

from __future__ import annotations

import pandas as pd

from perfeval.site import store


def test_the_input_hash_changes_with_a_value_and_a_parameter_and_only_then():
    frame = pd.DataFrame({"indicator": ["HB01"], "value": [15.3]})
    base = store.input_hash({"rows": frame}, {"council": "E06000017"})
    assert base == store.input_hash({"rows": frame.copy()}, {"council": "E06000017"})
    assert base != store.input_hash({"rows": frame.assign(value=15.4)}, {"council": "E06000017"})
    assert base != store.input_hash({"rows": frame}, {"council": "E07000133"})
    # a missing value is an input too
    assert base != store.input_hash(
        {"rows": frame.assign(value=float("nan"))}, {"council": "E06000017"}
    )


def test_a_file_is_unchanged_only_with_the_same_inputs_and_the_recorded_bytes(tmp_path):
    store.write_bytes_atomically(tmp_path / "pi" / "HB01.html", b"<p>page</p>")
    manifest = {"pi/HB01.html": {"inputs": "abc", "bytes": store.bytes_hash(b"<p>page</p>")}}
    assert store.unchanged(tmp_path, "pi/HB01.html", "abc", manifest)
    assert not store.unchanged(tmp_path, "pi/HB01.html", "abd", manifest)
    (tmp_path / "pi" / "HB01.html").write_bytes(b"<p>edited by hand</p>")
    assert not store.unchanged(tmp_path, "pi/HB01.html", "abc", manifest)
    assert not store.unchanged(tmp_path, "pi/NEW.html", "abc", manifest)
    assert [p.name for p in (tmp_path / "pi").iterdir()] == ["HB01.html"], "no temporary file left"


def test_prune_removes_only_the_files_the_new_build_no_longer_has(tmp_path):
    for name in ("a.html", "b.html", "img/b.png"):
        store.write_bytes_atomically(tmp_path / name, b"x")
    removed = store.prune(tmp_path, ["a.html", "b.html", "img/b.png", "gone.html"], ["a.html"])
    assert removed == ["b.html", "img/b.png"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["a.html"]


def test_the_manifest_reads_back_and_an_unreadable_one_rebuilds_everything(tmp_path):
    files = {"index.html": {"inputs": "1", "bytes": "2", "page": "index.html"}}
    store.write_manifest(tmp_path, files, {"council": "E06000017"})
    assert store.read_manifest(tmp_path) == files
    (tmp_path / store.MANIFEST_NAME).write_text("{not json", encoding="utf-8")
    assert store.read_manifest(tmp_path) == {}
