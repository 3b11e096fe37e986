"""Report-section helpers on the hand-made minimal data set."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from perfeval.sections import annual as report
from perfeval.stats.budget import NET_SPEND, VarianceThresholds, describe_variance_rule
from perfeval.data.loader import Dataset, load_dataset

MINIMAL = Path(__file__).parent / "data" / "minimal"


@pytest.fixture(scope="module")
def data():
    return load_dataset(MINIMAL)


def test_report_context_names_the_council_group_and_synthetic_data(data):
    params = {"council": "E06000017", "year": "2023/24", "comparator_group": "test_group",
              "data_dir": str(MINIMAL)}
    context = report.report_context(data, params)
    assert context["subtitle"] == "Rutland (E06000017), financial year 2023/24."
    # every indicator of the minimal register is labelled synthetic; its targets, budget and
    # survey carry no synthetic column, so the note calls nothing else synthetic
    assert context["data_note"] == ("Data honesty: All 3 indicators (NI192, PL01, HB01) are "
                                    "SYNTHETIC (generated), not Rutland's real performance.")
    assert context["group_sentence"].startswith("Comparator group 'test_group': 2 councils.")
    assert "Darlington, Harborough" in context["group_sentence"]
    assert context["parameters"]["Parameter"].tolist() == list(params)


def test_sources_table_says_which_indicators_are_synthetic(data):
    table = report.sources_table(data)
    assert table["Indicators"].tolist() == ["NI192, PL01, HB01"]
    assert table["Kind"].tolist() == [report.REAL_OR_SYNTHETIC[True]]


def test_council_name_falls_back_to_the_code(data):
    assert report.council_name(data, "E06000005") == "Darlington"
    assert report.council_name(data, "X1") == "X1"


def test_variance_rule_note_states_thresholds():
    note = describe_variance_rule(VarianceThresholds(amount=10_000, percent=2, flag_underspend=False))
    assert "above both £10,000 and 2% of budget" in note
    assert "underspend above both" not in note


def test_money_section_copes_with_a_council_that_has_no_spend_figure():
    # Westmorland and Furness was created in 2023, so it has no 2017/18 Revenue Outturn.
    money = report.money_summary(load_dataset(), council="E06000064", year="2024/25",
                                 group="rutland_nearest_15")
    assert money["spend_sentence"] == ("Net current expenditure per head, 2017/18: no value for "
                                       "this council; 15 comparators shown.")
    assert "E06000064" not in set(money["spend_table"]["authority"])


def test_money_section_says_so_when_the_year_has_no_budget_rows():
    # the bundled budget monitoring starts in 2022/23; a 2019/20 report has none to show
    money = report.money_summary(load_dataset(), council="E06000017", year="2019/20",
                                 group="rutland_nearest_15")
    assert money["budget_sentence"] == "No budget monitoring data for 2019/20 Q4."
    assert money["budget_figure"] is None and money["budget_table"].empty


# --------------------------------------------------------------------------- absent sections
def test_report_context_of_the_end_of_year_review_names_its_own_tables(data):
    params = {"council": "E06000017", "year": "2023/24", "comparator_group": "test_group",
              "data_dir": str(MINIMAL)}
    context = report.report_context(data, params, report="end_of_year_review")
    assert context["tables"]["Table"].tolist() == ["targets.csv", "commentary.csv",
                                                   "authorities.csv", "comparator_groups.csv"]
    assert "survey" not in context["data_note"] and "budget" not in context["data_note"]


def test_tables_used_leaves_out_a_survey_only_when_the_council_has_one_and_no_wave_is_given(data):
    sotn = {"council": "E06000017", "survey_wave": "2024"}
    assert "survey_responses" in report.tables_used(data, "state_of_the_nation", sotn)
    unused = report.tables_used(data, "state_of_the_nation", {**sotn, "survey_wave": ""})
    assert "survey_responses" not in unused  # Rutland has a survey; the report does not use it
    nobody = {"council": "E06000005", "survey_wave": ""}  # Darlington has no survey: say so
    assert "survey_responses" in report.tables_used(data, "state_of_the_nation", nobody)


def test_a_group_without_a_method_is_described_without_one(data):
    groups = data.comparator_groups.drop(columns="method")
    plain = Dataset(root=data.root, tables={**data.tables, "comparator_groups": groups},
                    origins=data.origins)
    params = {"council": "E06000017", "year": "2023/24", "comparator_group": "test_group"}
    context = report.report_context(plain, params)
    assert context["group_sentence"].startswith("Comparator group 'test_group': 2 councils. "
                                                "Members: ")
    assert ("Comparator group: comparator_groups.csv does not say how it was chosen."
            in context["method_notes"])


def card_of(n_ranked: list, values: list | None = None) -> pd.DataFrame:
    n = len(n_ranked)
    return pd.DataFrame({"title": [f"PI {i}" for i in range(n)], "unit": ["%"] * n,
                         "period": ["2024/25"] * n, "decimals": [1] * n,
                         "value": values or [50.0] * n, "value_symbol": [None] * n,
                         "polarity": ["higher"] * n, "n_ranked": n_ranked,
                         "rank": [1 if k and k >= 3 else None for k in n_ranked],
                         "percentile_rank": [80.0 if k and k >= 3 else None for k in n_ranked],
                         "quartile": [1 if k and k >= 3 else None for k in n_ranked],
                         "comparator_median": [40.0 if k and k >= 3 else None for k in n_ranked]})


def test_benchmark_section_says_which_indicators_have_too_few_councils_to_rank():
    some = report.benchmark_section(card_of([16, 2]), council_name="Ayton", group="g")
    assert some["sentence"] == ("1 of 2 indicators are not ranked because fewer than 3 councils of "
                                "the group have a value for the same year: PI 1.")
    assert some["figure"] is not None and some["table"]["Indicator"].tolist() == ["PI 0 (%)"]
    assert report.benchmark_section(card_of([16, 15]), council_name="A", group="g")["sentence"] == ""
    none = report.benchmark_section(card_of([1, 2]), council_name="Ayton", group="g")
    assert none["sentence"] == ("Fewer than 3 councils of the comparator group have a value for "
                                "any indicator, so no rank, quartile or median is shown.")
    assert none["figure"] is None and none["table"] is None


def test_missing_trend_medians_are_named_with_their_years():
    trends = pd.DataFrame({"label": ["A (%)", "A (%)", "B (%)"],
                           "period": ["2023/24", "2024/25", "2024/25"],
                           "median": [None, 40.0, None]})
    assert report.describe_missing_medians(trends) == (
        "No comparator median is drawn where fewer than 3 councils of the group have a value: "
        "A (%) (2023/24); B (%) (2024/25).")
    assert report.describe_missing_medians(trends.assign(median=1.0)) == ""


def test_trends_section_caption_says_why_a_median_is_missing(data):
    # 2022/23: only Rutland has an NI192 value (Darlington is [x])
    section = report.trends_section(data, council="E06000017", group="test_group",
                                    indicators=["NI192"], year="2023/24", years=2)
    assert "No comparator median is drawn" in section["caption"] and "(2022/23)" in section["caption"]
    assert section["table"]["Comparator median"].tolist() == ["", "38.0"]


def test_spend_section_without_net_expenditure_is_one_sentence(data):
    empty = Dataset(root=data.root, tables={**data.tables,
                                            "net_expenditure": data.net_expenditure.iloc[0:0]},
                    origins=data.origins)
    money = report.spend_section(empty, council="E06000017", group="test_group")
    assert money["spend_sentence"] == ("No total net current expenditure figures are in the data "
                                       "folder for the councils of the comparator group, so this "
                                       "report has no spend per head.")
    assert money["spend_figure"] is None and money["spend_display"] is None
    assert money["spend_table"].empty


def test_spend_comparison_of_two_councils_quotes_and_draws_no_median(data):
    two = pd.DataFrame({"authority": ["E06000017", "E06000005"], "period": ["2017/18"] * 2,
                        "service": [NET_SPEND] * 2, "net_current_expenditure": [30000.0, 95000.0]})
    plain = Dataset(root=data.root, tables={**data.tables, "net_expenditure": two},
                    origins=data.origins)
    money = report.spend_section(plain, council="E06000017", group="test_group")
    assert "no median is quoted from fewer than 3 councils" in money["spend_sentence"]
    assert money["spend_table"]["difference_from_median"].isna().all()
    assert not money["spend_figure"].axes[0].lines  # no median line


def test_money_summary_uses_only_the_councils_own_budget(data):
    others = data.budget.assign(authority="E06000005")  # Darlington's budget, not Rutland's
    plain = Dataset(root=data.root, tables={**data.tables, "budget": others},
                    origins=data.origins)
    money = report.money_summary(plain, council="E06000017", year="2023/24", group="test_group")
    assert money["budget_sentence"] == ("No budget monitoring figures are in the data folder for "
                                        "Rutland, so this report has no budget against forecast "
                                        "outturn.")
    assert money["budget_figure"] is None and money["budget_display"] is None


def test_budget_caption_says_synthetic_only_when_the_rows_are():
    monitoring = pd.DataFrame({"service": ["Waste"], "annual_budget": [1e6],
                               "forecast_outturn": [1.1e6], "forecast_variance": [1e5],
                               "forecast_variance_pct": [10.0], "forecast_direction": ["Overspend"],
                               "forecast_rag": ["Red"]})
    assert report.budget_section(monitoring, "2024/25 Q4")["budget_caption"] == \
        "Budget and forecast outturn by service as at 2024/25 Q4."
    assert report.budget_section(monitoring, "2024/25 Q4", synthetic="synthetic data")[
        "budget_caption"].endswith("as at 2024/25 Q4 (synthetic data).")


def test_trends_section_without_any_value_in_the_years_shown_is_one_sentence(data):
    section = report.trends_section(data, council="E06000017", group="test_group",
                                    indicators=["NI192"], year="2016/17", years=2)
    assert section["tests_sentence"] == ("None of the key indicators (NI192) has a value for "
                                         "Rutland or its comparator group in the 2 years to "
                                         "2016/17, so there are no trends to show.")
    assert section["figure"] is None and section["table"] is None and section["tests"].empty
    some = report.trends_section(data, council="E06000017", group="test_group",
                                 indicators=["NI192", "PL01"], year="2023/24", years=2)
    assert set(some["trends"]["indicator"]) == {"NI192"}  # PL01 is quarterly: no annual values
    assert some["caption"].endswith("No values in the years shown for: PL01.")


def test_the_largest_variance_is_the_largest_by_size_and_says_over_or_underspend():
    monitoring = pd.DataFrame({"service": ["Adult social care", "Education", "Waste"],
                               "forecast_variance": [25_000.0, -345_000.0, 0.0]})
    assert report.describe_largest_variance(monitoring) == (
        " The largest variance is in Education: a forecast underspend of £345k.")
    over = monitoring.assign(forecast_variance=[25_000.0, -5_000.0, 0.0])
    assert report.describe_largest_variance(over) == (
        " The largest variance is in Adult social care: a forecast overspend of £25k.")
    assert report.describe_largest_variance(monitoring.assign(forecast_variance=0.0)) == ""
    assert report.variance_direction(0.0) == "on budget"
