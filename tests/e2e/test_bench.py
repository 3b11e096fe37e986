"""The benchmark suite's quick mode runs end to end, so the bench code cannot rot.

It checks that the outputs are written and that every benchmark's own check passed (the same key
figures as the floor, the same estimates), never the times: speed is judged by ``make bench``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.notebook
def test_quick_benchmark_suite_writes_results_and_its_checks_pass(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run_benchmarks.py"),
            "--quick",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "bench.json").read_text())
    assert report["quick"] is True and report["machine"]["cpus"] >= 1
    names = [b["name"] for b in report["benchmarks"]]
    assert names == [
        "single_report",
        "batch",
        "national_assess",
        "survey_estimates",
        "site_full",
        "site_update",
    ]
    for bench in report["benchmarks"]:
        assert bench["check_passed"], bench
        assert bench["seconds"] > 0 and bench["floor_seconds"] > 0 and bench["peak_memory_mb"] > 0
    table = (tmp_path / "bench.md").read_text()
    assert all(f"| {name} |" in table for name in names)
