"""A report runs with no network at all: only the loopback interface exists (Linux namespaces).

The kernel talks to perfeval over loopback; nothing else is reachable, so any attempt to fetch a
font, script or data set from the internet would fail the run. Skipped where the test cannot
create a network namespace (not root, or no `unshare`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from perfeval.core.paths import BUNDLED_NOTEBOOKS_DIR, BUNDLED_PARAMS_DIR

pytestmark = pytest.mark.notebook


def can_isolate() -> bool:
    if not shutil.which("unshare") or not shutil.which("ip"):
        return False
    probe = subprocess.run(
        ["unshare", "-n", "ip", "link", "set", "lo", "up"], capture_output=True, timeout=30
    )
    return probe.returncode == 0


@pytest.mark.skipif(not can_isolate(), reason="cannot create a network namespace here")
def test_state_of_the_nation_runs_without_network(tmp_path):
    perfeval = [sys.executable, "-m", "perfeval.run.cli"]
    command = " ".join(
        [
            "ip link set lo up &&",
            *perfeval,
            "run",
            str(BUNDLED_NOTEBOOKS_DIR / "state_of_the_nation.ipynb"),
            "--params",
            str(BUNDLED_PARAMS_DIR / "state_of_the_nation.yaml"),
            "--outputs-root",
            str(tmp_path),
            "--no-progress",
        ]
    )
    result = subprocess.run(
        ["unshare", "-n", "sh", "-c", command], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (
        tmp_path / "state_of_the_nation" / "E06000017_2024-25" / "state_of_the_nation.html"
    ).exists()
    assert Path(tmp_path / "index.html").exists()
