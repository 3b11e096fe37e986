"""Report parameter schemas: data-aware checks name the parameter, the bad value and the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from perfeval.core.exceptions import ParameterError
from perfeval.run.parameters import validate_parameters

MINIMAL = Path(__file__).parent / "data" / "minimal"


def problems(values: dict) -> str:
    with pytest.raises(ParameterError) as info:
        validate_parameters("state_of_the_nation", values)
    return str(info.value)


def test_defaults_are_valid_on_the_bundled_data():
    resolved = validate_parameters("state_of_the_nation", {})
    assert resolved["council"] == "E06000017" and resolved["year"] == "2024/25"


def test_a_council_absent_from_the_data_is_refused():
    text = problems({"council": "E06999999"})
    assert "council" in text and "'E06999999' is not an authority code" in text


def test_a_year_without_data_lists_the_years_that_have_data():
    text = problems({"year": "2030/31"})
    assert "'2030/31' has no indicator values for E06000017" in text and "2024/25" in text


def test_a_year_that_is_not_a_financial_year_is_refused():
    assert "write it as '2024/25'" in problems({"year": "2024"})


def test_a_group_without_the_council_is_refused(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data)
    text = problems({"data_dir": str(data), "council": "E10000018", "year": "2023/24",
                     "comparator_group": "test_group", "key_indicators": ["NI192"],
                     "survey_wave": "", "previous_wave": ""})
    assert "group 'test_group' does not include the council 'E10000018'" in text


def test_unknown_indicator_codes_and_waves_are_named():
    text = problems({"key_indicators": ["NI192", "XX9"], "survey_wave": "1999"})
    assert "unknown indicator code(s) ['XX9']" in text
    assert "'1999' is not a wave" in text


def test_an_empty_list_of_indicators_is_refused_before_the_run():
    text = problems({"key_indicators": []})
    assert "key_indicators = []: give at least one indicator code" in text


def test_a_missing_data_folder_is_reported_not_crashed(tmp_path):
    text = problems({"data_dir": str(tmp_path / "nowhere")})
    assert "data_dir" in text and "is not a folder" in text


def test_invalid_data_is_reported_as_a_parameter_problem(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data)
    (data / "indicators.csv").write_text("code,title\nX,Y\n", encoding="utf-8")
    text = problems({"data_dir": str(data), "year": "2023/24", "comparator_group": "test_group"})
    assert "cannot be used" in text and "indicators.csv" in text


def test_an_older_year_with_data_is_accepted_though_only_the_latest_are_listed():
    assert validate_parameters("state_of_the_nation", {"year": "2016/17"})["year"] == "2016/17"


def test_check_year_among_names_the_table_and_lists_the_latest_years():
    from perfeval.run.schemas import check_year_among
    years = ["2019/20", "2020/21", "2021/22"]
    assert check_year_among("2020/21", {}, years, "has no rows in x.csv; years") is None
    assert check_year_among("2030/31", {}, years, "has no rows in x.csv; years", shown=2) == \
        "'2030/31' has no rows in x.csv; years: 2020/21, 2021/22"
    assert "write it as '2024/25'" in check_year_among("2030", {}, years, "x")


# --------------------------------------------------------------------------- survey waves
MINIMAL_SOTN = {"data_dir": str(MINIMAL), "year": "2023/24", "comparator_group": "test_group",
                "key_indicators": ["NI192"]}


def test_an_empty_survey_wave_means_no_survey_and_the_previous_wave_is_then_not_checked():
    # Darlington has no survey: '' is accepted and previous_wave's default ('2022') ignored
    resolved = validate_parameters("state_of_the_nation", {
        **MINIMAL_SOTN, "council": "E06000005", "survey_wave": ""})
    assert resolved["survey_wave"] == "" and resolved["survey"] == "residents"


def test_a_wave_of_another_councils_survey_is_refused():
    # the minimal survey is Rutland's (authority E06000017); Darlington has none
    text = problems({**MINIMAL_SOTN, "council": "E06000005", "survey_wave": "2024",
                     "previous_wave": ""})
    assert ("survey_wave = '2024': '2024' is not a wave: survey_responses.csv has no respondents "
            "of survey 'residents' for E06000005; give '' for no survey results") in text
    # previous_wave is not reported too: survey_wave's problem is the one to fix
    text = problems({**MINIMAL_SOTN, "council": "E06000005", "survey_wave": "2024"})
    assert "previous_wave" not in text
    assert validate_parameters("state_of_the_nation", {**MINIMAL_SOTN, "survey_wave": "2024",
                                                       "previous_wave": ""})["council"] == "E06000017"


def test_previous_wave_must_be_another_wave_of_the_councils_survey():
    text = problems({**MINIMAL_SOTN, "survey_wave": "2024", "previous_wave": "2024"})
    assert "'2024' is the wave reported (survey_wave)" in text
    text = problems({**MINIMAL_SOTN, "survey_wave": "2024", "previous_wave": "2019"})
    assert "'2019' is not a wave of survey 'residents' for E06000017" in text and "['2024']" in text
    text = problems({**MINIMAL_SOTN, "survey": "staff", "survey_wave": "2024", "previous_wave": ""})
    assert "no respondents of survey 'staff' for E06000017" in text


def test_the_survey_report_refuses_a_survey_of_another_council():
    with pytest.raises(ParameterError) as info:
        validate_parameters("survey_report", {"data_dir": str(MINIMAL), "council": "E06000005",
                                              "year": "2023/24", "comparator_group": "test_group",
                                              "wave": "2024", "comparison_wave": "",
                                              "breakdowns": ["age_band"]})
    text = str(info.value)
    assert "'residents' is not a survey of E06000005 with respondents and a codebook" in text
    assert "its surveys: []" in text


def test_authority_is_a_survey_design_column_not_a_breakdown():
    from perfeval.run.schemas import SURVEY_DESIGN_COLUMNS
    assert "authority" in SURVEY_DESIGN_COLUMNS
