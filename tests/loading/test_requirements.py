"""What each report needs from a data folder, and how a run refuses a folder that cannot feed it.

The shire district's folder (``tests/district.py``: Melton and its 15 nearest districts, no
survey, budget, commentary or deflators) is the folder a council brings on its first day.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from district import GROUP, HOME, build_district_folder
from fakes import NoKernel, use_fake_kernels
from folders import minimal_folder
from perfeval.core.exceptions import DataValidationError, ParameterError
from perfeval.core.paths import BUNDLED_NOTEBOOKS_DIR
from perfeval.data import requirements
from perfeval.data.loader import SPEC_BY_NAME, load_dataset
from perfeval.data.requirements import (
    Need,
    describe_coverage,
    describe_report_coverage,
    missing_requirements,
    missing_sections,
    register_requirements,
    registered_reports,
    requirements_for,
)
from perfeval.run import runner
from perfeval.run.parameters import check_against_data, validate_parameters
from perfeval.run.schemas import check_financial_year, dataset_for

MINIMAL = Path(__file__).parents[1] / "data" / "minimal"
BUILT_IN = sorted(p.stem for p in BUNDLED_NOTEBOOKS_DIR.glob("*.ipynb"))


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> Path:
    return build_district_folder(tmp_path_factory.mktemp("district") / "melton")


@pytest.fixture(scope="module")
def district_data(district):
    return load_dataset(district)


copy_minimal = minimal_folder


def district_values(stem: str, district: Path, **more) -> dict:
    values = {"council": HOME, "data_dir": str(district), "year": "2023/24", **more}
    if stem not in ("value_for_money", "programme_evaluation"):
        values["comparator_group"] = GROUP
    return validate_parameters(stem, values, data_checks=False)


# --------------------------------------------------------------------------- declarations
def test_every_built_in_report_declares_what_it_needs():
    assert set(BUILT_IN) <= set(registered_reports())
    for stem in BUILT_IN:
        report = requirements_for(stem)
        assert report.sections, stem
        needs = list(report.required) + [n for s in report.sections for n in s.needs]
        assert {need.table for need in needs} <= set(SPEC_BY_NAME), stem


def test_the_sample_data_feeds_every_section_of_every_built_in_report():
    data = load_dataset()
    for stem in BUILT_IN:
        assert missing_requirements(stem, data) == [] and missing_sections(stem, data) == [], stem


@pytest.mark.parametrize(
    "stem, missing",
    [
        ("state_of_the_nation", []),
        ("end_of_year_review", []),
        ("value_for_money", []),
        (
            "quarterly_monitoring",
            ["no budget.csv", "no quarterly or monthly values in indicator_values.csv"],
        ),
        ("survey_report", ["no survey_responses.csv", "no survey_codebook.csv"]),
        (
            "programme_evaluation",
            [
                "no programme_strands.csv",
                "no programme_members.csv",
                "no programme_participant_survey.csv",
            ],
        ),
    ],
)
def test_what_the_district_folder_lacks_for_each_report(district_data, stem, missing):
    assert missing_requirements(stem, district_data) == missing


def test_the_district_folder_lacks_sections_of_state_of_the_nation(district_data):
    assert missing_sections("state_of_the_nation", district_data) == [
        ("Resident views", ["no survey_responses.csv", "no survey_codebook.csv"]),
        ("Money: budget", ["no budget.csv"]),
        ("Delivery", ["no actions.csv", "no risks.csv"]),
    ]
    assert missing_sections("value_for_money", district_data) == []  # deflators: reference
    assert district_data.origins["deflators"] == "reference"


def test_a_table_with_a_header_and_no_rows_feeds_nothing(tmp_path):
    data = load_dataset(
        copy_minimal(tmp_path, budget=("authority,service,period,budget,forecast_outturn,actual\n"))
    )
    assert data.origins["budget"] == "folder"
    assert missing_requirements("quarterly_monitoring", data) == ["no rows in budget.csv"]
    assert describe_report_coverage("state_of_the_nation", data) == (
        "State of the Nation: every section but Money: budget (no rows in budget.csv) and "
        "Delivery (no actions or risks registers)"
    )


def test_a_group_of_two_feeds_no_benchmarking(tmp_path):
    data = load_dataset(
        copy_minimal(
            tmp_path,
            comparator_groups=(
                "group,authority,method\ntest_group,E06000017,m\ntest_group,E06000005,m\n"
            ),
        )
    )
    assert (
        "Benchmarking",
        ["no comparator group of at least three councils in comparator_groups.csv"],
    ) in missing_sections("state_of_the_nation", data)


def test_only_one_wave_feeds_no_change_since_the_last_survey():
    data = load_dataset(MINIMAL)  # one wave, 2024
    assert missing_sections("survey_report", data) == [
        ("Change since the last survey", ["no second wave of a survey in survey_responses.csv"])
    ]


def test_a_councils_own_report_declares_tables_columns_and_sections(tmp_path, monkeypatch):
    # the registry is module state: the report registered here is gone after the test
    monkeypatch.setattr(requirements, "_REQUIREMENTS", dict(requirements._REQUIREMENTS))
    register_requirements(
        "t_waste_review",
        title="Waste review",
        required=["targets", Need("budget", columns=("cost_centre", "ledger"))],
        sections={"Benchmarking": ["net_expenditure"], "Notes": []},
    )
    data = load_dataset(MINIMAL)
    assert missing_requirements("t_waste_review", data) == [
        "no columns 'cost_centre', 'ledger' in budget.csv"
    ]
    register_requirements(
        "t_waste_review",
        title="Waste review",
        required=["targets"],
        sections={"Benchmarking": ["net_expenditure"], "Notes": []},
    )
    assert describe_report_coverage("t_waste_review", data) == "Waste review: every section"
    assert describe_coverage(data)[-1] == "Waste review: every section"


def test_a_requirement_on_a_table_perfeval_does_not_read_is_refused():
    with pytest.raises(ParameterError, match=r"\['ledger'\] are not tables perfeval reads"):
        register_requirements("t_bad_needs", required=["ledger"])
    assert requirements_for("t_bad_needs") is None
    assert missing_requirements("t_never_declared", load_dataset(MINIMAL)) == []


# --------------------------------------------------------------------------- refusing a run
@pytest.mark.parametrize(
    "stem, tables",
    [
        ("survey_report", "no survey_responses.csv, survey_codebook.csv"),
        (
            "quarterly_monitoring",
            "no budget.csv; no quarterly or monthly values in indicator_values.csv",
        ),
    ],
)
def test_a_report_the_folder_cannot_feed_is_refused_naming_the_tables(district, stem, tables):
    with pytest.raises(ParameterError) as info:
        check_against_data(stem, district_values(stem, district))
    [problem] = info.value.problems
    assert problem.startswith(f"data_dir = {str(district)!r}: ")
    assert f"cannot run on this data folder ({tables})" in problem
    assert f"perfeval check-data {district}" in problem


def test_reports_the_folder_can_feed_pass_the_check(district):
    check_against_data("end_of_year_review", district_values("end_of_year_review", district))


def test_run_report_refuses_the_folder_before_executing_anything(district, tmp_path, monkeypatch):
    executed = []
    monkeypatch.setattr(runner, "_execute_notebook", lambda *args: executed.append(args))
    kernel = NoKernel()
    with pytest.raises(
        ParameterError,
        match="Survey report cannot run on this data folder "
        r"\(no survey_responses.csv, survey_codebook.csv\)",
    ):
        runner.run_report(
            "survey_report",
            {"council": HOME, "comparator_group": GROUP, "data_dir": str(district)},
            outputs_root=tmp_path / "out",
            kernel=kernel,
        )
    assert executed == [] and kernel.stops == 0
    assert not (tmp_path / "out" / "survey_report").exists()


def test_run_report_refuses_the_folder_before_running_anything(district, tmp_path, monkeypatch):
    # The kernel starts while the data are checked (so a good run waits less); a refused run
    # stops it before any cell runs, and publishes nothing.
    executed = []
    kernels = use_fake_kernels(monkeypatch, lambda *args: executed.append(args))
    with pytest.raises(ParameterError, match="Quarterly monitoring cannot run"):
        runner.run_report(
            "quarterly_monitoring",
            {"council": HOME, "comparator_group": GROUP, "data_dir": str(district)},
            outputs_root=tmp_path / "out",
        )
    assert executed == [] and all(kernel.stops for kernel in kernels)
    assert not (tmp_path / "out" / "quarterly_monitoring").exists()


def test_a_broken_folder_is_one_grouped_error_not_one_per_parameter(tmp_path, monkeypatch):
    values = "authority,indicator,period,value\n" + "".join(
        f"E06000017,NI192,20{y}-{y + 1},40\n" for y in range(12, 22)
    )
    root = copy_minimal(tmp_path, indicator_values=values)
    resolved = validate_parameters(
        "state_of_the_nation",
        {"data_dir": str(root), "comparator_group": "test_group", "key_indicators": ["NI192"]},
        data_checks=False,
    )
    checked = []
    monkeypatch.setattr("perfeval.run.parameters._run_checks", lambda *a: checked.append(a) or [])
    with pytest.raises(DataValidationError) as info:
        check_against_data("state_of_the_nation", resolved)
    assert checked == [], "no parameter's check ran against the broken folder"
    assert len(info.value.problems) == 10
    assert str(info.value).splitlines()[1:-1] == [
        "  - '2012-13', '2013-14', '2014-15' and 7 more values in 10 rows of "
        "indicator_values.csv, column 'period' (lines 2-11): is not a period perfeval "
        "understands; write '2012/13' for '2012-13', and likewise for the others"
    ]


def test_validating_against_a_broken_folder_names_its_problems_once(tmp_path):
    root = copy_minimal(tmp_path, indicators="code,title\nX,Y\n")
    with pytest.raises(ParameterError) as info:
        validate_parameters(
            "state_of_the_nation",
            {"data_dir": str(root), "year": "2023/24", "comparator_group": "test_group"},
        )
    about_data = [p for p in info.value.problems if "cannot be used" in p]
    assert len(about_data) == 1 and about_data[0].startswith("data_dir = ")
    assert "indicators.csv: required columns are missing: 'unit', 'polarity'" in about_data[0]
    assert f"perfeval check-data {root}" in about_data[0]


# --------------------------------------------------------------------------- schemas' data
def test_a_table_that_is_a_symbolic_link_loop_is_reported_not_an_oserror(tmp_path):
    root = copy_minimal(tmp_path, remove=("budget",))
    os.symlink(root / "budget.csv", root / "budget.csv")
    with pytest.raises(DataValidationError) as info:
        dataset_for({"data_dir": str(root)})
    assert [(p.file, p.kind) for p in info.value.problems] == [("budget.csv", "unreachable")]
    assert "symbolic link loop" in info.value.problems[0].message


@pytest.mark.parametrize(
    "year, problem",
    [
        ("2024/25", None),
        ("1990/91", None),
        ("2100/01", None),
        ("1066/67", "'1066/67' is outside the years a data file may hold (1990/91 to 2100/01)"),
        ("2101/02", "'2101/02' is outside the years a data file may hold (1990/91 to 2100/01)"),
        ("2024", "'2024' is not a financial year; write it as '2024/25'"),
        ("2024/25 Q1", "'2024/25 Q1' is not a financial year; write it as '2024/25'"),
    ],
)
def test_a_year_parameter_is_held_to_the_years_a_data_file_may_hold(year, problem):
    assert check_financial_year(year, {}) == problem
