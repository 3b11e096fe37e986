"""Report parameter schemas: data-aware checks name the parameter, the bad value and the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from perfeval.core.exceptions import ParameterError
from perfeval.run.parameters import (
    parameters_cell,
    validate_notebook_namespace,
    validate_parameters,
)
from perfeval.run.schemas import DEFAULT_FRAMEWORK, framework_item_from_line

MINIMAL = Path(__file__).parents[1] / "data" / "minimal"


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
    text = problems(
        {
            "data_dir": str(data),
            "council": "E10000018",
            "year": "2023/24",
            "comparator_group": "test_group",
            "key_indicators": ["NI192"],
            "survey_wave": "",
            "previous_wave": "",
        }
    )
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
    assert (
        check_year_among("2030/31", {}, years, "has no rows in x.csv; years", shown=2)
        == "'2030/31' has no rows in x.csv; years: 2020/21, 2021/22"
    )
    assert "write it as '2024/25'" in check_year_among("2030", {}, years, "x")


# --------------------------------------------------------------------------- survey waves
MINIMAL_SOTN = {
    "data_dir": str(MINIMAL),
    "year": "2023/24",
    "comparator_group": "test_group",
    "key_indicators": ["NI192"],
}


def test_an_empty_survey_wave_means_no_survey_and_the_previous_wave_is_then_not_checked():
    # Darlington has no survey: '' is accepted and previous_wave's default ('2022') ignored
    resolved = validate_parameters(
        "state_of_the_nation", {**MINIMAL_SOTN, "council": "E06000005", "survey_wave": ""}
    )
    assert resolved["survey_wave"] == "" and resolved["survey"] == "residents"


def test_a_wave_of_another_councils_survey_is_refused():
    # the minimal survey is Rutland's (authority E06000017); Darlington has none
    text = problems(
        {**MINIMAL_SOTN, "council": "E06000005", "survey_wave": "2024", "previous_wave": ""}
    )
    assert (
        "survey_wave = '2024': '2024' is not a wave: survey_responses.csv has no respondents "
        "of survey 'residents' for E06000005; give '' for no survey results"
    ) in text
    # previous_wave is not reported too: survey_wave's problem is the one to fix
    text = problems({**MINIMAL_SOTN, "council": "E06000005", "survey_wave": "2024"})
    assert "previous_wave" not in text
    assert (
        validate_parameters(
            "state_of_the_nation", {**MINIMAL_SOTN, "survey_wave": "2024", "previous_wave": ""}
        )["council"]
        == "E06000017"
    )


def test_previous_wave_must_be_another_wave_of_the_councils_survey():
    text = problems({**MINIMAL_SOTN, "survey_wave": "2024", "previous_wave": "2024"})
    assert "'2024' is the wave reported (survey_wave)" in text
    text = problems({**MINIMAL_SOTN, "survey_wave": "2024", "previous_wave": "2019"})
    assert "'2019' is not a wave of survey 'residents' for E06000017" in text and "['2024']" in text
    text = problems({**MINIMAL_SOTN, "survey": "staff", "survey_wave": "2024", "previous_wave": ""})
    assert "no respondents of survey 'staff' for E06000017" in text


def test_the_survey_report_refuses_a_survey_of_another_council():
    with pytest.raises(ParameterError) as info:
        validate_parameters(
            "survey_report",
            {
                "data_dir": str(MINIMAL),
                "council": "E06000005",
                "year": "2023/24",
                "comparator_group": "test_group",
                "wave": "2024",
                "comparison_wave": "",
                "breakdowns": ["age_band"],
            },
        )
    text = str(info.value)
    assert "'residents' is not a survey of E06000005 with respondents and a codebook" in text
    assert "its surveys: []" in text


def test_authority_is_a_survey_design_column_not_a_breakdown():
    from perfeval.run.schemas import SURVEY_DESIGN_COLUMNS

    assert "authority" in SURVEY_DESIGN_COLUMNS


# ------------------------------------------------------------------- the evaluation framework
#: The framework as bundled parameter files wrote it before it was typed YAML (one line each).
LEGACY_FRAMEWORK = [
    "Did the programme spend within its allocation? | funding_total.spend_pct_of_allocation | <= "
    "| 100",
    "Did the programme reach at least 300 participant places? | funding_total.participants | >= "
    "| 300",
    "Was the cost per participant place under £1,500? | funding_total.cost_per_participant | < "
    "| 1500",
    "Did participants' confidence rise significantly? | survey_confidence.significant_increase "
    "| == | true",
    "Did more participants use performance data after the programme? | "
    "survey_uses_performance_data.significant_increase | == | true",
    "Did the recycling rate (NI 192) rise more in participating than in comparison councils? | "
    "did_NI192.significant_increase | == | true",
    "Is it evidenced that participating and comparison councils were on parallel trends before "
    "the programme? | did_NI192.pre_trends_evidenced | == | true",
]


def framework(items) -> dict:
    return validate_parameters(
        "programme_evaluation", {"evaluation_framework": items}, data_checks=False
    )


def framework_problems(items) -> list[str]:
    with pytest.raises(ParameterError) as info:
        framework(items)
    return info.value.problems


def test_the_default_framework_is_a_list_of_typed_questions():
    first = DEFAULT_FRAMEWORK[0]
    assert first == {
        "question": "Did the programme spend within its allocation?",
        "evidence": "funding_total.spend_pct_of_allocation",
        "operator": "<=",
        "threshold": 100,
    }
    assert all(
        list(item) == ["question", "evidence", "operator", "threshold"]
        for item in DEFAULT_FRAMEWORK
    )


def test_the_legacy_one_line_questions_are_read_as_the_same_mappings():
    assert framework(LEGACY_FRAMEWORK)["evaluation_framework"] == DEFAULT_FRAMEWORK


def test_legacy_and_mapping_items_may_be_mixed_and_always_arrive_as_mappings():
    items = framework([LEGACY_FRAMEWORK[2], DEFAULT_FRAMEWORK[3]])["evaluation_framework"]
    assert items == [DEFAULT_FRAMEWORK[2], DEFAULT_FRAMEWORK[3]]


@pytest.mark.parametrize(
    "text, threshold",
    [("1,500", 1500), ("0.05", 0.05), ("TRUE", True), ("false", False), ("improving", "improving")],
)
def test_a_legacy_threshold_is_true_false_a_number_or_text(text, threshold):
    item = framework_item_from_line(f"Q? | trend.direction | == | {text}")
    assert item["threshold"] == threshold and type(item["threshold"]) is type(threshold)


def test_every_wrong_question_is_named_with_its_field_at_once():
    found = framework_problems(
        [
            {
                "question": "Spend?",
                "evidence": "funding_total.spend",
                "operator": "=<",
                "threshold": 100,
            },
            {
                "question": "Reach?",
                "evidence": "funding_total.participants",
                "operator": ">=",
                "threshold": [1, 2],
            },
            "Cost? | funding_total.cost_per_participant | <",
            "Range? | did_NI192.estimate | between | 1 and 2",
        ]
    )
    assert found == [
        "evaluation_framework (list[dict]): item 1 ('Spend?'): operator: '=<' is not allowed; "
        "choose one of '==', '!=', '<', '<=', '>', '>='",
        "evaluation_framework (list[dict]): item 2 ('Reach?'): threshold: expected a number, "
        "text or true/false, got list [1, 2]",
        "evaluation_framework (list[dict]): item 3: expected 'question | evidence | operator | "
        "threshold', got 'Cost? | funding_total.cost_per_participant | <'; or write the item as "
        "a mapping with question, evidence, operator, threshold",
        "evaluation_framework (list[dict]): item 4: operator 'between' in 'Range? | "
        "did_NI192.estimate | between | 1 and 2' is no longer available; write two questions "
        "instead, one with '>=' the low end and one with '<=' the high end",
    ]


def test_a_question_missing_a_field_says_which_and_what_it_holds():
    assert framework_problems([{"question": "Q?", "evidence": "x.y", "threshold": 1}]) == [
        "evaluation_framework (list[dict]): item 1 ('Q?'): 'operator' is missing (operator (one "
        "of '==', '!=', '<', '<=', '>', '>='))"
    ]


def test_papermill_injects_the_structured_default_as_a_python_literal():
    from papermill.translators import translate_parameters

    source = translate_parameters(
        "python3", "python", {"evaluation_framework": DEFAULT_FRAMEWORK}, "Parameters"
    )
    namespace: dict = {}
    for cell in (parameters_cell("programme_evaluation"), source):  # as papermill runs them
        exec(compile(cell, "<cell>", "exec"), namespace)  # noqa: S102 - our own and papermill's
    assert namespace["evaluation_framework"] == DEFAULT_FRAMEWORK
    resolved = validate_notebook_namespace("programme_evaluation", namespace)
    assert resolved["evaluation_framework"] == DEFAULT_FRAMEWORK


RISK_REPORTS = ("quarterly_monitoring", "end_of_year_review", "state_of_the_nation")


@pytest.mark.parametrize("stem", RISK_REPORTS)
def test_risk_bands_default_to_the_standard_bands_and_accept_a_councils_own(stem):
    assert validate_parameters(stem, {})["risk_bands"] == [
        "low: 1-4",
        "medium: 5-12",
        "high: 15-25",
    ]
    own = ["low: 1-6", "medium: 8-12", "high: 15-25"]  # 7 cannot occur on the 5 x 5 grid
    assert validate_parameters(stem, {"risk_bands": own})["risk_bands"] == own
    assert 'risk_bands = ["low: 1-4", "medium: 5-12", "high: 15-25"]' in parameters_cell(stem)


@pytest.mark.parametrize(
    ("bands", "expected"),
    [
        (["low: 1-4", "medium: 6-12", "high: 15-25"], r"score\(s\) \[5\] fall in no band"),
        (["low: 1-5", "medium: 5-12", "high: 15-25"], r"score 5 falls in more than one band"),
        (["low 1-4", "medium: 5-12", "high: 15-25"], r"band 'low 1-4' is not written"),
    ],
)
@pytest.mark.parametrize("stem", RISK_REPORTS)
def test_gapped_overlapping_or_unreadable_risk_bands_are_refused_at_validation(
    stem, bands, expected
):
    with pytest.raises(ParameterError, match=expected) as info:
        validate_parameters(stem, {"risk_bands": bands})
    message = str(info.value)
    assert "risk_bands" in message and "not usable risk bands" in message
    assert "e.g. ['low: 1-4', 'medium: 5-12', 'high: 15-25']" in message


def test_value_for_money_year_needs_total_service_expenditure():
    # the bundled Revenue Outturn has TOTAL SERVICE EXPENDITURE in 2010/11-2014/15 and
    # 2017/18-2024/25 (upper-tier councils from 2018/19): 2024/25 is accepted, and 2016/17
    # (no return bundled) is refused, naming the years it has
    assert validate_parameters("value_for_money", {"year": "2024/25"})["year"] == "2024/25"
    with pytest.raises(ParameterError) as info:
        validate_parameters("value_for_money", {"year": "2016/17"})
    message = str(info.value)
    assert "'2016/17' has no TOTAL SERVICE EXPENDITURE figures in net_expenditure.csv" in message
    assert (
        "years with them: 2010/11, 2011/12, 2012/13, 2013/14, 2014/15, 2017/18, 2018/19, "
        "2019/20, 2020/21, 2021/22, 2022/23, 2023/24, 2024/25" in message
    )


def test_value_for_money_year_of_a_folder_with_net_current_expenditure_only(tmp_path):
    # a council's own older extract has the NET CURRENT EXPENDITURE total and no total service
    # expenditure: its years are checked on that line (the report says which line it compares)
    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data)
    (data / "net_expenditure.csv").write_text(
        "authority,period,service,net_current_expenditure\n"
        "E06000017,2022/23,NET CURRENT EXPENDITURE,41000\n"
        "E06000017,2023/24,Environmental and regulatory services,5311\n"
    )
    params = {"data_dir": str(data), "council": "E06000017", "vfm_indicators": ["NI192"]}
    checked = validate_parameters("value_for_money", {**params, "year": "2022/23"})
    assert checked["year"] == "2022/23"
    with pytest.raises(ParameterError) as info:
        validate_parameters("value_for_money", {**params, "year": "2023/24"})
    message = str(info.value)
    assert "'2023/24' has no NET CURRENT EXPENDITURE figures in net_expenditure.csv" in message
