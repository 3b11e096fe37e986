"""Same inputs and parameters give the same figures and the same report (issue: auditor-grade
runs)."""

from __future__ import annotations

import re

import pytest

from perfeval.core.paths import BUNDLED_NOTEBOOKS_DIR, BUNDLED_PARAMS_DIR
from perfeval.run.parameters import load_parameter_file
from perfeval.run.runner import run_report

pytestmark = pytest.mark.notebook

DATES = re.compile(r"\d{4}-\d{2}-\d{2}([T ][0-9:.+]+)?|\d{1,2} [A-Z][a-z]+ \d{4}")


def test_two_runs_give_identical_key_figures_and_html_apart_from_dates(tmp_path):
    params = load_parameter_file(BUNDLED_PARAMS_DIR / "state_of_the_nation.yaml")
    notebook = BUNDLED_NOTEBOOKS_DIR / "state_of_the_nation.ipynb"
    first = run_report(notebook, params, outputs_root=tmp_path / "a", progress=False)
    second = run_report(notebook, params, outputs_root=tmp_path / "b", progress=False)
    assert first.key_figures == second.key_figures
    html_a = DATES.sub("DATE", first.html.read_text(encoding="utf-8"))
    html_b = DATES.sub("DATE", second.html.read_text(encoding="utf-8"))
    assert html_a == html_b
    assert first.manifest["input_files"] == second.manifest["input_files"]
