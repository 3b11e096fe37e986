"""Scorecard and headline figures on the hand-made minimal data set (tests/data/minimal).

Expected values are worked by hand from the fixture files:
NI192 (higher is better, amber tolerance 2 points absolute, no-change threshold 0.5):
Rutland 2022/23 40.5, 2023/24 41.2 [p]; target 2023/24 45.0; Darlington 2023/24 38.0;
Harborough 2023/24 0 (a real zero).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from perfeval.core.exceptions import AnalysisError
from perfeval.data.loader import Dataset, load_dataset
from perfeval.stats import scorecard

MINIMAL = Path(__file__).parents[1] / "data" / "minimal"


@pytest.fixture(scope="module")
def data():
    return load_dataset(MINIMAL)


@pytest.fixture(scope="module")
def card(data):
    return scorecard.build_scorecard(data, "E06000017", "2023/24", "test_group")


def test_scorecard_has_one_row_per_indicator_with_an_annual_value(card):
    # PL01 (quarterly) and HB01 (monthly) have no annual rows, so only NI192 is scored.
    assert card["indicator"].tolist() == ["NI192"]


def test_scorecard_assesses_target_direction_and_benchmark(card):
    row = card.iloc[0]
    assert row["period"] == "2023/24"
    assert row["value"] == pytest.approx(41.2)
    assert row["status"] == "provisional"
    assert row["target"] == 45.0
    assert row["rag"] == "Red"  # 41.2 < 45.0 - 2.0
    assert row["dot"] == "Improved"  # +0.7 > 0.5 threshold
    assert row["comparison_value"] == pytest.approx(40.5)
    assert row["rank"] == 1 and row["n_ranked"] == 3 and row["quartile"] == 1
    assert row["comparator_median"] == 38.0  # median of 41.2, 38.0 and the real zero


def test_latest_available_year_is_used_when_the_report_year_has_no_value(data):
    card = scorecard.build_scorecard(data, "E06000017", "2024/25", "test_group")
    assert card.loc[0, "period"] == "2023/24"


def test_headline_shares_count_the_scorecards_indicators_and_years(data, card):
    shares = scorecard.headline_shares(card).set_index("measure")
    assert shares.loc["beyond tolerance", ["numerator", "denominator"]].tolist() == [1, 1]
    assert shares.loc["on target", ["numerator", "denominator"]].tolist() == [0, 1]
    assert shares.loc["improved", ["numerator", "denominator"]].tolist() == [1, 1]
    assert shares.loc["in top two quartiles", ["numerator", "denominator"]].tolist() == [1, 1]
    # a 2024/25 report counts the same 2023/24 value the table against target shows (#14 item 1)
    later = scorecard.build_scorecard(data, "E06000017", "2024/25", "test_group")
    assert scorecard.headline_shares(later).equals(scorecard.headline_shares(card))
    assert scorecard.periods_counted(later).to_dict() == {"2023/24": 1}


def test_target_counts_give_every_state_its_words_and_add_up_to_the_base():
    states = ["Green", "Green", "Amber", "Red", "No data", "No target", "Amber"]
    counts = scorecard.target_counts(states)
    assert counts["measure"].tolist() == [
        "on target",
        "within tolerance",
        "beyond tolerance",
        "no data",
        "no target",
    ]  # "not rated" only when a neutral PI is counted
    assert counts["numerator"].tolist() == [2, 2, 1, 1, 1]
    assert counts["numerator"].sum() == 7 and set(counts["denominator"]) == {7}
    rated = scorecard.target_counts([*states, "Not applicable"])
    assert rated["measure"].iloc[-1] == scorecard.TARGET_WORDS["Not applicable"]
    assert rated["numerator"].sum() == 8 == rated["denominator"].iloc[0]
    empty = scorecard.target_counts([])
    assert empty["numerator"].sum() == 0 and empty["share"].isna().all()


def test_target_counts_refuse_a_state_that_is_not_a_rag_state():
    with pytest.raises(AnalysisError, match=r"states \['Amber '\] are not states against"):
        scorecard.target_counts(["Green", "Amber "])


def test_direction_counts_leave_what_cannot_be_compared_out_of_the_base():
    counts = scorecard.direction_counts(
        ["Improved", "Worse", "No change", "Not comparable", "Improved"]
    )
    assert counts["measure"].tolist() == ["improved", "unchanged", "worse"]
    assert counts["numerator"].tolist() == [2, 1, 1] and set(counts["denominator"]) == {4}


def test_periods_counted_says_how_many_values_come_from_each_year_latest_first():
    card = pd.DataFrame({"period": ["2022/23", "2024/25", "2024/25", "2021/22"]})
    assert scorecard.periods_counted(card).to_dict() == {"2024/25": 2, "2022/23": 1, "2021/22": 1}
    assert list(scorecard.periods_counted(card).index) == ["2024/25", "2022/23", "2021/22"]


def test_issues_to_consider_lists_red_worse_and_bottom_quartile_with_reasons():
    card = pd.DataFrame(
        {
            "indicator": ["A", "B", "C", "D"],
            "rag": ["Red", "Green", "Green", "Red"],
            "dot": ["Worse", "Improved", "Worse", "No change"],
            "quartile": pd.array([4, 1, pd.NA, 2], dtype="Int64"),
        }
    )
    issues = scorecard.issues_to_consider(card)
    assert issues["indicator"].tolist() == ["A", "C", "D"]
    assert issues["reasons"].tolist() == ["red, worse, bottom quartile", "worse", "red"]
    assert scorecard.count_reasons(issues).tolist() == [2, 2, 1]


def test_comparator_trends_give_home_value_and_group_median(data):
    trends = scorecard.comparator_trends(data, "E06000017", "test_group", ["NI192"], "2023/24", 2)
    assert trends["period"].tolist() == ["2022/23", "2023/24"]
    assert trends["home"].tolist() == [40.5, pytest.approx(41.2)]
    # 2022/23: Darlington is [x] (missing), so only Rutland has a value: a "median" of one
    # council is that council, so none is given
    assert pd.isna(trends["median"].iloc[0]) and trends["median"].iloc[1] == 38.0
    assert trends["n_comparators"].tolist() == [1, 3]


def test_comparator_medians_need_three_values():
    values = pd.DataFrame(
        {
            "indicator": ["A", "A", "A", "B", "B"],
            "period": ["2023/24"] * 5,
            "value": [1.0, 3.0, 8.0, 5.0, 7.0],
        }
    )
    medians = scorecard.comparator_medians(values).set_index("indicator")["comparator_median"]
    assert medians["A"] == 3.0 and pd.isna(medians["B"])  # B: two councils, no median


def test_ranks_and_quartiles_need_three_councils():
    bench = pd.DataFrame(
        {
            "indicator": ["A"] * 3 + ["B"] * 2,
            "n_ranked": [3, 3, 3, 2, 2],
            "rank": [1, 2, 3, 1, 2],
            "quartile": [1, 3, 4, 1, 4],
            "percentile_rank": [100.0, 50.0, 0.0, 100.0, 0.0],
        }
    )
    out = scorecard.too_few_ranked(bench)
    assert out["quartile"].tolist()[:3] == [1, 3, 4] and out["quartile"].iloc[3:].isna().all()
    assert out["rank"].iloc[3:].isna().all() and out["percentile_rank"].iloc[3:].isna().all()
    assert out["n_ranked"].tolist() == [3, 3, 3, 2, 2]  # kept, to say why


def test_scorecard_reads_values_without_the_optional_columns(data):
    """A folder's indicator_values.csv may hold only authority, indicator, period and value."""
    bare = data.indicator_values[["authority", "indicator", "period", "value"]]
    register = data.indicators.drop(columns=["synthetic"])
    plain = Dataset(
        root=data.root,
        tables={**data.tables, "indicator_values": bare, "indicators": register},
        origins=data.origins,
    )
    card = scorecard.build_scorecard(plain, "E06000017", "2023/24", "test_group")
    assert card["status"].eq("final").all() and card["note"].eq("").all()
    assert card["value_symbol"].isna().all() and not card["synthetic"].any()
    assert "note" in scorecard.SCORECARD_COLUMNS


def test_unknown_group_and_indicator_are_clear_errors(data):
    with pytest.raises(AnalysisError, match="not in comparator_groups.csv"):
        scorecard.group_members(data, "nope")
    with pytest.raises(AnalysisError, match="not in indicators.csv"):
        scorecard.comparator_trends(data, "E06000017", "test_group", ["ZZ1"], "2023/24", 2)


def test_performance_table_shows_units_symbols_and_status_flags(card):
    table = scorecard.performance_table(card)
    assert table.loc[0, "Value"] == "41.2% [p]"
    assert table.loc[0, "Target"] == "45.0%"
    assert table.loc[0, "Status against target"] == "✖ Red"


# --- England median and band (#14 item 3) --------------------------------------------------

AUTHORITIES = pd.DataFrame(
    {
        "code": ["E06000001", "E06000002", "E06000003", "E06000004", "E07000001", "W06000001"],
        "type": ["unitary", "unitary", "unitary", "unitary", "district", "unitary"],
        "current": [True, True, True, False, True, True],
    }
)


def annual_values(values: dict[str, float], period: str = "2023/24") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "authority": list(values),
            "indicator": "NI192",
            "period": period,
            "value": list(values.values()),
        }
    )


def test_england_summary_covers_every_english_authority_of_the_type():
    # three current English unitaries (E06000004 is not current; W06 is Welsh; E07 a district)
    values = annual_values(
        {"E06000001": 40.0, "E06000002": 50.0, "E06000003": 30.0, "E07000001": 90.0}
    )
    out = scorecard.england_summaries(values, AUTHORITIES, "unitary").iloc[0]
    assert out["england_median"] == 40.0 and out["n_england"] == 3
    assert out["england_lower_quartile"] == 35.0 and out["england_upper_quartile"] == 45.0


def test_no_england_summary_when_the_data_does_not_cover_the_type_or_has_too_few():
    # one unitary of three is less than half: a group's own PI, not an England figure
    one = annual_values({"E06000001": 40.0, "E07000001": 90.0})
    out = scorecard.england_summaries(one, AUTHORITIES, "unitary").iloc[0]
    assert math.isnan(out["england_median"]) and out["n_england"] == 0
    # two of three is more than half, but a median of two councils is not drawn
    two = annual_values({"E06000001": 40.0, "E06000002": 50.0})
    out = scorecard.england_summaries(two, AUTHORITIES, "unitary").iloc[0]
    assert math.isnan(out["england_median"]) and math.isnan(out["england_upper_quartile"])
    assert scorecard.england_summaries(two, AUTHORITIES, None).empty


def test_comparator_trends_carry_the_england_band_beside_the_group_median(data):
    trends = scorecard.comparator_trends(data, "E06000017", "test_group", ["NI192"], "2023/24", 2)
    assert list(trends.columns) == scorecard.TREND_COLUMNS
    # the minimal folder has two English unitaries: too few for an England median
    assert trends["england_median"].isna().all()
    assert trends["median"].tolist()[-1] == 38.0 and trends["n_comparators"].tolist()[-1] == 3


def test_trend_table_shows_each_pis_decimals_and_the_england_columns_when_there_are_any():
    register = pd.DataFrame({"code": ["NI192", "HB01"], "decimals": [1, 0]})
    trends = pd.DataFrame(
        {
            "indicator": ["NI192", "HB01"],
            "label": ["Recycling (%)", "Days (days)"],
            "period": ["2023/24", "2023/24"],
            "home": [47.14, 15.5],
            "median": [40.25, float("nan")],
            "n_comparators": [16, 2],
            "england_median": [40.2, float("nan")],
            "england_lower_quartile": [35.0, float("nan")],
            "england_upper_quartile": [45.14, float("nan")],
            "n_england": [59, 0],
        }
    )
    table = scorecard.trend_table(trends, register)
    assert table["This council"].tolist() == ["47.1", "16"]  # 15.5 half up, 0 decimals
    assert table["Comparator median"].tolist() == ["40.3", ""]
    assert table["England interquartile range"].tolist() == ["35.0 to 45.1", ""]
    assert table["England councils with data"].tolist() == ["59", ""]
    plain = scorecard.trend_table(trends.assign(england_median=float("nan")), register)
    assert "England median" not in plain.columns


def test_tables_show_each_value_with_its_pis_decimals_and_its_flag_wherever_it_appears():
    card = pd.DataFrame(
        {
            "indicator": ["A", "B", "C"],
            "title": ["Waste", "Days", "Spend"],
            "unit": ["%", "days", "£"],
            "decimals": [1, 0, 0],
            "period": ["2024/25"] * 3,
            "value": [41.25, 15.0, 6513.0],
            "value_symbol": [None, None, None],
            "status": ["provisional", "final", "estimated"],
            "target": [45.0, 14.0, 6000.0],
            "rag_label": ["✖ Red"] * 3,
            "dot_label": ["↑ Improved"] * 3,
            "comparator_median": [40.0, 16.0, 6000.0],
            "n_ranked": [16, 16, 16],
            "rank": [3, 9, 4],
            "quartile": [1, 3, 1],
            "reasons": ["red"] * 3,
            "service": ["Waste", "Benefits", "Finance"],
        }
    )
    values = ["41.3% [p]", "15", "£6,513 [e]"]  # never 15.00 or 6,513.00 (#14 item 6)
    assert scorecard.performance_table(card)["Value"].tolist() == values
    assert scorecard.performance_table(card)["Target"].tolist() == ["45.0%", "14", "£6,000"]
    assert scorecard.benchmark_table(card)["Value"].tolist() == values
    assert scorecard.issues_table(card)["Value"].tolist() == values
