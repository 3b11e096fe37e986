"""Report-section helpers on the hand-made minimal data set."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfeval import report
from perfeval.budget import VarianceThresholds, describe_variance_rule
from perfeval.data import load_dataset

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
