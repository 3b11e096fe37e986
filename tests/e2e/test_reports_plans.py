"""End-to-end: the action plan review (#17) with its default parameters, and its refusals.

One module-scoped run (with the Word document); the assertions read the published HTML, the
manifest and the .docx. The parameter tests need no kernel.
"""

from __future__ import annotations

import pytest

from folders import minimal_folder
from perfeval.core.exceptions import ParameterError
from perfeval.core.paths import BUNDLED_NOTEBOOKS_DIR, BUNDLED_PARAMS_DIR
from perfeval.run.parameters import check_against_data, load_parameter_file, validate_parameters
from perfeval.run.runner import run_report
from report_pages import check_clean_page, check_sections, sections, text_of

STEM = "action_plan_review"
SECTIONS = [
    "Summary",
    "The plan",
    "What slipped and why",
    "Completion over time",
    "Method and provenance",
]


@pytest.fixture(scope="module")
def review(tmp_path_factory):
    return run_report(
        BUNDLED_NOTEBOOKS_DIR / f"{STEM}.ipynb",
        load_parameter_file(BUNDLED_PARAMS_DIR / f"{STEM}.yaml"),
        outputs_root=tmp_path_factory.mktemp("outputs"),
        progress=False,
        docx=True,
    )


@pytest.mark.notebook
def test_the_sections_come_in_order_and_the_completion_chart_has_alt_text(review):
    page = review.html.read_text(encoding="utf-8")
    check_sections(page, ["Completion over time"], min_alt=60)
    found = list(sections(page))
    assert [name for name in found if name in SECTIONS] == SECTIONS
    check_clean_page(page)


@pytest.mark.notebook
def test_the_page_gives_the_plan_the_counts_and_the_slipped_actions(review):
    page = text_of(review.html.read_text(encoding="utf-8"))
    assert "Corporate plan 2024-27: Rutland (E06000017), as at 31 December 2024." in page
    assert "SYNTHETIC sample data" in page
    assert (
        "Corporate plan 2024-27 has 8 actions: 3 complete, 1 on track, 1 at risk, 1 overdue on "
        "31 December 2024, 1 not started and 1 cancelled." in page
    )
    assert "31 Mar 2025 (revised from 30 Sep 2024)" in page
    assert "Overdue: 61 days past 31 Oct 2024" in page
    assert "The supplier's start slipped to January (2 Dec 2024)" in page


@pytest.mark.notebook
def test_the_key_figures_agree_with_the_text(review):
    figures = review.key_figures
    assert list(figures) == [
        "plan_summary_counts",
        "plan_table",
        "slipped_actions",
        "completion_series",
    ]
    counts = figures["plan_summary_counts"]["value"]
    assert counts["total"] == 8 and counts["overdue"] == 1 and counts["complete"] == 3
    plan = figures["plan_table"]["value"]
    assert [row[0] for row in plan["data"]] == [f"A0{n}" for n in range(1, 9)]
    slipped = figures["slipped_actions"]["value"]
    assert [row[0] for row in slipped["data"]] == ["A05", "A06"]
    series = figures["completion_series"]["value"]
    percent = series["columns"].index("percent")
    assert [round(row[percent]) for row in series["data"]] == [0, 14, 43, 43]


@pytest.mark.notebook
def test_the_run_writes_the_spreadsheets_and_the_word_document(review):
    for path in (review.ods, review.docx):
        assert path is not None and path.is_file() and path.stat().st_size > 1000
    assert review.manifest["report"]["title"] == "Action plan review"


# ------------------------------------------------------------------------------ refusals
def test_a_folder_without_actions_csv_is_refused_naming_the_table(tmp_path):
    folder = minimal_folder(tmp_path)
    resolved = validate_parameters(STEM, {"data_dir": str(folder)}, data_checks=False)
    with pytest.raises(ParameterError) as info:
        check_against_data(STEM, resolved)  # as the runner does, before starting a kernel
    [problem] = info.value.problems
    assert "Action plan review cannot run on this data folder (no actions.csv)" in problem


@pytest.mark.parametrize(
    "values, message",
    [
        (
            {"plan": "Corporate plan"},
            "'Corporate plan' is not a plan of E06000017 in actions.csv (the 'plan' column); "
            "plans: ['Corporate plan 2024-27', 'HR01 sickness absence improvement plan 2024/25', "
            "'Revenues and benefits service plan 2024/25']",
        ),
        ({"as_at": "31/12/2024"}, "write the report date as YYYY-MM-DD"),
        ({"as_at": "2024-02-30"}, "'2024-02-30' is not a date"),
        ({"as_at": "2023-12-31"}, "is before the plan's first start (2024-01-08)"),
        (
            {"as_at": "2024-09-01"},
            "is before action A01's completion on 2024-09-20: actions.csv records the plan after "
            "that date",
        ),
        ({"council": "E06000005"}, "actions.csv has no actions of E06000005"),
    ],
)
def test_each_parameter_is_checked_against_the_plan(values, message):
    with pytest.raises(ParameterError) as info:
        validate_parameters(STEM, values)
    assert any(message in problem for problem in info.value.problems), info.value.problems


def test_the_defaults_pass_and_another_plan_is_accepted():
    assert validate_parameters(STEM, {})["plan"] == "Corporate plan 2024-27"
    other = "HR01 sickness absence improvement plan 2024/25"
    assert validate_parameters(STEM, {"plan": other})["plan"] == other
