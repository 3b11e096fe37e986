"""The printed report names its data and code, so a paper copy can be matched to its manifest."""

from __future__ import annotations

from perfeval.run.provenance import describe_provenance, fingerprint_inputs


def test_fingerprint_ignores_order_but_not_content():
    a = {"data_dir/a.csv": "11", "data_dir/b.csv": "22"}
    assert fingerprint_inputs(a) == fingerprint_inputs(dict(reversed(list(a.items()))))
    assert fingerprint_inputs(a) != fingerprint_inputs({**a, "data_dir/b.csv": "23"})
    assert fingerprint_inputs(a) != fingerprint_inputs({"data_dir/a.csv": "11"})


def test_provenance_lines_name_files_fingerprint_and_commit():
    lines = describe_provenance({"x": "1"}, {"commit": "0123456789abcdef", "dirty": True})
    assert lines["Input data"] == f"1 files, fingerprint {fingerprint_inputs({'x': '1'})[:16]}"
    assert lines["Code version"] == "git commit 0123456789ab with uncommitted changes"
    assert "Code version" not in describe_provenance({}, None)
