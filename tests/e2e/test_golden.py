"""Back-tests of every report: the key figures of each built-in report on the bundled data equal
the committed ``tests/expected/<report>.json``.

A change in a published number must be a decision, not an accident (a refactoring, such as the
Sections of #16, must leave them all unchanged). To accept new figures on purpose:
``PERFEVAL_UPDATE_EXPECTED=1 pytest tests/e2e/test_golden.py`` and commit the changed files with the
reason in the message. State of the Nation's figures are checked in tests/e2e/test_reports.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from report_pages import figure_differences, run_default

pytestmark = pytest.mark.notebook

EXPECTED = Path(__file__).parents[1] / "expected"
REPORTS = (
    "end_of_year_review",
    "quarterly_monitoring",
    "survey_report",
    "value_for_money",
    "programme_evaluation",
    "action_plan_review",
)


@pytest.mark.parametrize("stem", REPORTS)
def test_key_figures_equal_the_committed_expected_values(stem, tmp_path):
    result = run_default(stem, tmp_path / "out")
    figures = {name: figure["value"] for name, figure in result.key_figures.items()}
    expected_file = EXPECTED / f"{stem}.json"
    if os.environ.get("PERFEVAL_UPDATE_EXPECTED"):
        expected_file.write_text(
            json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    assert list(figures) == list(expected), "key figures recorded, in order"
    for name, value in expected.items():
        changed = figure_differences(figures[name], value)
        assert not changed, f"{stem}: key figure {name!r} changed: {changed[:5]}"
