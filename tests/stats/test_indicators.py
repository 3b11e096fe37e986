"""Tests for perfeval.stats.indicators: tiny hand-made frames whose answers can be checked by
hand."""

from __future__ import annotations

import math
import runpy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfeval.core.exceptions import AnalysisError, PerfevalError
from perfeval.stats.indicators import (
    DEFAULT_TOLERANCE,
    RAG_STATES,
    assess_against_target,
    assess_forecast,
    assess_year_to_date,
    average_performance_score,
    benchmark,
    bounded_period_targets,
    comparison_period,
    count_share,
    describe_share,
    direction_of_travel,
    estimate_seasonal_shares,
    forecast_year_end,
    indicator_settings,
    percentile_rank,
    profile_annual_target,
    quartile_position,
    share_in_top_two_quartiles,
    summarise_headlines,
    year_to_date_values,
)


def make_register(*rows: dict) -> pd.DataFrame:
    """A register from partial rows; unspecified settings are blank (NaN)."""
    columns = ["code", "polarity", "tolerance", "tolerance_type", "no_change_threshold"]
    return pd.DataFrame([{c: row.get(c, np.nan) for c in columns} for row in rows])


HIGHER_REL = {
    "code": "H",
    "polarity": "higher",
    "tolerance": 0.05,
    "tolerance_type": "relative",
    "no_change_threshold": 0.5,
}
LOWER_ABS = {
    "code": "L",
    "polarity": "lower",
    "tolerance": 2.0,
    "tolerance_type": "absolute",
    "no_change_threshold": 0.0,
}
NEUTRAL = {"code": "N", "polarity": "neutral"}
REGISTER = make_register(HIGHER_REL, LOWER_ABS, NEUTRAL)


def rag_of(
    values: list[float],
    targets: list[float],
    indicator: str = "H",
    register: pd.DataFrame = REGISTER,
) -> list[str]:
    """RAG of each value against its target, one authority per value, one period."""
    authorities = [f"E{i}" for i in range(len(values))]
    frame = pd.DataFrame(
        {"authority": authorities, "indicator": indicator, "period": "2023/24", "value": values}
    )
    target = pd.DataFrame(
        {"authority": authorities, "indicator": indicator, "period": "2023/24", "target": targets}
    )
    return list(assess_against_target(frame, target, register)["rag"])


# --- RAG against target ------------------------------------------------------------------------


def test_higher_is_better_relative_tolerance_boundaries():
    # target 80, 5 % relative -> band 4: 80 on target, 76 exactly on the band edge
    assert rag_of([80, 81, 79, 76, 75.9], [80] * 5) == ["Green", "Green", "Amber", "Amber", "Red"]


def test_lower_is_better_absolute_tolerance_boundaries():
    # target 10, 2 units absolute: 12 is exactly on the edge, 12.1 beyond
    assert rag_of([10, 9, 11, 12, 12.1], [10] * 5, "L") == [
        "Green",
        "Green",
        "Amber",
        "Amber",
        "Red",
    ]


def test_printed_boundaries_survive_floating_point():
    # 0.99 - 1.1 is -0.1100000000000001 in binary: more than the band 0.1 x 1.1 =
    # 0.11000000000000001, yet printed it is exactly on the band's edge
    register = make_register(
        {"code": "H", "polarity": "higher", "tolerance": 0.1, "tolerance_type": "relative"},
        {"code": "L", "polarity": "lower", "tolerance": 0.0, "tolerance_type": "absolute"},
    )
    assert rag_of([0.99, 0.98], [1.1, 1.1], register=register) == ["Amber", "Red"]
    # 0.1 + 0.2 is 0.30000000000000004: still exactly on a target of 0.3 (lower is better)
    assert rag_of([0.1 + 0.2, 0.31], [0.3, 0.3], "L", register) == ["Green", "Red"]


def test_no_change_threshold_survives_floating_point():
    # 51.1 - 50.5 is 0.6000000000000014: a printed change of exactly the threshold 0.6
    register = make_register({"code": "H", "polarity": "higher", "no_change_threshold": 0.6})
    values = pd.DataFrame(
        {
            "authority": "E1",
            "indicator": "H",
            "period": ["2021/22", "2022/23", "2023/24"],
            "value": [50.5, 51.1, 51.8],
        }
    )
    assert list(direction_of_travel(values, register)["dot"]) == [
        "Not comparable",
        "No change",
        "Improved",
    ]


def test_zero_target_with_relative_tolerance_has_no_amber_band():
    out = rag_of([0.0, -0.1, 0.1], [0.0] * 3)
    assert out == ["Green", "Red", "Green"]


def test_zero_target_with_absolute_tolerance_keeps_its_band():
    assert rag_of([0.0, 1.5, 2.5], [0.0] * 3, "L") == ["Green", "Amber", "Red"]


def test_relative_band_uses_absolute_value_of_a_negative_target():
    # target -10, 5 % -> band 0.5; higher is better
    assert rag_of([-10.5, -10.6], [-10.0, -10.0]) == ["Amber", "Red"]


def test_blank_tolerance_means_default_relative_even_if_type_says_absolute():
    register = make_register({"code": "H", "polarity": "higher", "tolerance_type": "absolute"})
    settings_row = indicator_settings(register).loc["H"]
    assert settings_row["tolerance"] == DEFAULT_TOLERANCE == 0.05
    assert settings_row["tolerance_type"] == "relative"
    assert rag_of([95, 94.9], [100, 100], register=register) == ["Amber", "Red"]


def test_non_rag_states_and_reasons():
    values = pd.DataFrame(
        {
            "authority": ["E1", "E1", "E1", "E1", "E1"],
            "indicator": ["H", "H", "L", "N", "H"],
            "period": ["2023/24", "2022/23", "2023/24", "2023/24", "2021/22"],
            "value": [np.nan, 50.0, np.nan, 7.0, np.nan],
            "value_symbol": ["[x]", None, None, None, None],
        }
    )
    targets = pd.DataFrame(
        {
            "authority": "E1",
            "indicator": ["H", "L", "N", "H"],
            "period": ["2023/24", "2023/24", "2023/24", "2021/22"],
            "target": [60.0, 5.0, 7.0, np.nan],
        }
    )
    out = assess_against_target(values, targets, REGISTER)
    assert list(out["rag"]) == ["No data", "No target", "No data", "Not applicable", "No target"]
    assert list(out["rag_reason"]) == [
        "[x] not available",
        "no target for this period",
        "value missing",
        "neutral polarity: a change is neither better nor worse",
        "no target for this period",
    ]
    assert list(out["rag_label"]) == [
        "? No data",
        "– No target",
        "? No data",
        "○ Not applicable",
        "– No target",
    ]


def test_rag_output_columns_labels_and_order():
    values = pd.DataFrame(
        {
            "authority": ["E2", "E1"],
            "indicator": "H",
            "period": "2023/24",
            "value": [70.0, 90.0],
            "note": ["b", "a"],
        }
    )
    targets = pd.DataFrame(
        {
            "authority": ["E1", "E2", "E9"],
            "indicator": "H",
            "period": "2023/24",
            "target": [80.0, 80.0, 1.0],
        }
    )
    out = assess_against_target(values, targets, REGISTER)
    assert list(out["authority"]) == ["E2", "E1"] and list(out["note"]) == ["b", "a"]
    assert list(out["target"]) == [80.0, 80.0]
    assert list(out["difference"]) == [-10.0, 10.0]
    assert list(out["tolerance_band"]) == [4.0, 4.0]
    assert list(out["rag_label"]) == ["✖ Red", "✔ Green"]
    assert out["rag_reason"].isna().all()
    assert list(out["rag"].cat.categories) == list(RAG_STATES)
    assert "rag" not in values.columns  # input untouched


def test_without_targets_everything_is_no_target():
    values = pd.DataFrame(
        {"authority": ["E1"], "indicator": ["H"], "period": ["2023/24"], "value": [1.0]}
    )
    assert list(assess_against_target(values, None, REGISTER)["rag"]) == ["No target"]


def test_categorical_keys_give_the_same_result_as_strings():
    values = pd.DataFrame(
        {
            "authority": ["E1", "E2", "E3"],
            "indicator": ["H", "H", "L"],
            "period": ["2023/24"] * 3,
            "value": [80.0, 77.0, 13.0],
        }
    )
    targets = values.rename(columns={"value": "target"}).assign(target=[80.0, 80.0, 10.0])
    plain = assess_against_target(values, targets, REGISTER)
    as_category = assess_against_target(
        values.astype({"authority": "category", "indicator": "category", "period": "category"}),
        targets.astype({"authority": "category"}),
        REGISTER,
    )
    assert list(plain["rag"]) == list(as_category["rag"]) == ["Green", "Amber", "Red"]


def test_unused_categories_are_not_checked():
    # a filtered categorical table may carry categories for indicators and periods not in it
    values = pd.DataFrame(
        {
            "authority": ["E1", "E1"],
            "indicator": pd.Categorical(["H", "H"], categories=["H", "OLD1"]),
            "period": pd.Categorical(
                ["2022/23", "2023/24"], categories=["2022/23", "2023/24", "x"]
            ),
            "value": [1.0, 2.0],
        }
    )
    assert list(direction_of_travel(values, REGISTER)["dot"]) == ["Not comparable", "Improved"]
    assert list(benchmark(values, REGISTER)["rank"]) == [1, 1]
    assert list(assess_against_target(values, None, REGISTER)["rag"]) == ["No target"] * 2


def test_rag_errors_say_what_is_wrong():
    values = pd.DataFrame(
        {"authority": ["E1"], "indicator": ["ZZ9"], "period": ["2023/24"], "value": [1.0]}
    )
    with pytest.raises(AnalysisError, match="ZZ9.*not in the indicator register"):
        assess_against_target(values, None, REGISTER)
    duplicated = pd.DataFrame(
        {"authority": ["E1", "E1"], "indicator": "H", "period": "2023/24", "target": [1.0, 2.0]}
    )
    with pytest.raises(AnalysisError, match="targets: 2 rows share"):
        assess_against_target(values.assign(indicator="H"), duplicated, REGISTER)
    with pytest.raises(AnalysisError, match="missing column"):
        assess_against_target(values.drop(columns="value"), None, REGISTER)


def test_register_problems_are_reported_together():
    bad = make_register(
        {"code": "A", "polarity": "up"},
        {"code": "B", "polarity": "higher", "tolerance": -1},
        {"code": "B", "polarity": "lower", "tolerance_type": "percent"},
    )
    with pytest.raises(PerfevalError) as info:
        indicator_settings(bad)
    message = str(info.value)
    for fragment in (
        "'up'",
        "tolerance must be a number >= 0",
        "'percent'",
        "'B' appears more than once",
    ):
        assert fragment in message


@settings(max_examples=60, deadline=None)
@given(
    target=st.floats(-1e4, 1e4),
    tolerance=st.floats(0, 1),
    relative=st.booleans(),
    polarity=st.sampled_from(["higher", "lower"]),
    low=st.floats(-1e4, 1e4),
    high=st.floats(-1e4, 1e4),
)
def test_rag_is_monotonic_in_value(target, tolerance, relative, polarity, low, high):
    low, high = sorted([low, high])
    register = make_register(
        {
            "code": "X",
            "polarity": polarity,
            "tolerance": tolerance,
            "tolerance_type": "relative" if relative else "absolute",
        }
    )
    order = {"Green": 0, "Amber": 1, "Red": 2}
    rag_low, rag_high = rag_of([low, high], [target, target], "X", register)
    better, worse = (rag_high, rag_low) if polarity == "higher" else (rag_low, rag_high)
    assert order[better] <= order[worse]


# --- direction of travel -----------------------------------------------------------------------


def test_annual_direction_of_travel_with_threshold_and_polarity():
    values = pd.DataFrame(
        {
            "authority": "E1",
            "indicator": ["H", "H", "H", "H", "L", "L"],
            "period": ["2020/21", "2021/22", "2022/23", "2023/24", "2022/23", "2023/24"],
            "value": [50.0, 50.5, 51.1, 49.0, 10.0, 9.0],
        }
    )
    out = direction_of_travel(values, REGISTER)
    assert list(out["comparison_period"]) == [
        "2019/20",
        "2020/21",
        "2021/22",
        "2022/23",
        "2021/22",
        "2022/23",
    ]
    # +0.5 is exactly the threshold (No change); +0.6 Improved; -2.1 Worse; lower: -1 Improved
    assert list(out["dot"]) == [
        "Not comparable",
        "No change",
        "Improved",
        "Worse",
        "Not comparable",
        "Improved",
    ]
    assert list(out["dot_label"])[2:4] == ["↑ Improved", "↓ Worse"]
    assert out["change"].round(6).tolist()[1:4] == [0.5, 0.6, -2.1]
    assert out["dot_reason"].iloc[0] == "comparison period not in the data"
    assert out["dot_reason"].iloc[1:4].isna().all()


def test_quarters_previous_and_same_period_last_year():
    values = pd.DataFrame(
        {
            "authority": "E1",
            "indicator": "H",
            "period": ["2022/23 Q1", "2022/23 Q4", "2023/24 Q1"],
            "value": [40.0, 60.0, 50.0],
        }
    )
    previous = direction_of_travel(values, REGISTER, compare="previous").iloc[2]
    assert previous["comparison_period"] == "2022/23 Q4"
    assert previous["change"] == -10.0 and previous["dot"] == "Worse"
    last_year = direction_of_travel(values, REGISTER, compare="same_period_last_year").iloc[2]
    assert last_year["comparison_period"] == "2022/23 Q1"
    assert last_year["change"] == 10.0 and last_year["dot"] == "Improved"


def test_months_and_kinds_are_not_mixed():
    values = pd.DataFrame(
        {
            "authority": "E1",
            "indicator": "H",
            "period": ["2023-03", "2023-04", "2022-04", "2022/23", "2023/24"],
            "value": [1.0, 5.0, 9.0, 100.0, 50.0],
        }
    )
    out = direction_of_travel(values, REGISTER)
    assert out["comparison_value"].tolist()[1] == 1.0  # April 2023 against March 2023
    assert out["comparison_value"].tolist()[4] == 100.0  # year against year, not a month
    yearly = direction_of_travel(values, REGISTER, compare="same_period_last_year")
    assert yearly["comparison_value"].tolist()[1] == 9.0  # April 2023 against April 2022


def test_missing_values_are_not_comparable_with_reasons():
    values = pd.DataFrame(
        {
            "authority": "E1",
            "indicator": ["H", "H", "H", "N", "N"],
            "period": ["2021/22", "2022/23", "2023/24", "2022/23", "2023/24"],
            "value": [10.0, np.nan, 12.0, 1.0, 3.0],
            "value_symbol": [None, "[c]", None, None, None],
        }
    )
    out = direction_of_travel(values, REGISTER)
    assert list(out["dot"]) == ["Not comparable"] * 5
    assert list(out["dot_reason"]) == [
        "comparison period not in the data",
        "[c] confidential (suppressed)",
        "comparison period: [c] confidential (suppressed)",
        "neutral polarity: a change is neither better nor worse",
        "neutral polarity: a change is neither better nor worse",
    ]
    assert out["change"].iloc[4] == 2.0  # neutral: the change is still shown


def test_direction_of_travel_rejects_duplicates_and_bad_arguments():
    values = pd.DataFrame(
        {"authority": "E1", "indicator": "H", "period": ["2023/24"] * 2, "value": [1.0, 2.0]}
    )
    with pytest.raises(AnalysisError, match="share an \\(authority, indicator, period\\) key"):
        direction_of_travel(values, REGISTER)
    with pytest.raises(AnalysisError, match="compare must be one of"):
        direction_of_travel(values, REGISTER, compare="last")
    with pytest.raises(AnalysisError, match="2023-24"):
        direction_of_travel(values.assign(period=["2023-24", "2023/24"]), REGISTER)


def test_comparison_period():
    assert comparison_period("2023/24 Q1") == "2022/23 Q4"
    assert comparison_period("2023/24 Q1", "same_period_last_year") == "2022/23 Q1"
    assert comparison_period("2024-01") == "2023-12"
    assert comparison_period("2023/24", "same_period_last_year") == "2022/23"


# --- benchmarking ------------------------------------------------------------------------------


def bench_of(values: list[float], indicator: str = "H", **kwargs) -> pd.DataFrame:
    """Benchmark one indicator and period across authorities E0, E1, ..."""
    frame = pd.DataFrame(
        {
            "authority": [f"E{i}" for i in range(len(values))],
            "indicator": indicator,
            "period": "2023/24",
            "value": values,
        }
    )
    return benchmark(frame, REGISTER, **kwargs)


@pytest.mark.parametrize(
    "values, ranks, quartiles",
    [
        ([40, 30, 20, 10], [1, 2, 3, 4], [1, 2, 3, 4]),
        ([50, 40, 30, 20, 10], [1, 2, 3, 4, 5], [1, 1, 2, 3, 4]),
        ([5, 9], [2, 1], [4, 1]),
        ([10, 10, 5, 1], [1, 1, 3, 4], [1, 1, 3, 4]),
        ([3, 7, 7, 7, 1], [4, 1, 1, 1, 5], [3, 1, 1, 1, 4]),
    ],
)
def test_ranks_and_quartiles_by_hand(values, ranks, quartiles):
    out = bench_of(values)
    assert out["rank"].tolist() == ranks
    assert out["quartile"].tolist() == quartiles


def test_percentile_rank_and_group_size():
    out = bench_of([40, 30, 20, 10])
    assert out["percentile_rank"].round(2).tolist() == [100.0, 66.67, 33.33, 0.0]
    assert out["n_ranked"].tolist() == [4] * 4


def test_single_authority_is_ranked_but_has_no_quartile():
    out = bench_of([42.0])
    assert out["rank"].tolist() == [1] and out["n_ranked"].tolist() == [1]
    assert out["quartile"].isna().all() and out["percentile_rank"].isna().all()


def test_lower_is_better_missing_and_neutral_are_handled():
    lower = bench_of([3.0, np.nan, 1.0, 2.0], "L")
    assert lower["rank"].tolist()[0] == 3 and lower["rank"].tolist()[2:] == [1, 2]
    assert pd.isna(lower["rank"].iloc[1]) and lower["n_ranked"].iloc[0] == 3
    assert lower["quartile"].tolist()[2:] == [1, 2]  # p = 0 and 0.5
    neutral = bench_of([1.0, 2.0], "N")
    assert neutral["rank"].isna().all() and neutral["quartile"].isna().all()


def test_comparator_group_restricts_the_ranking():
    out = bench_of([50, 40, 30, 20, 10], group=["E1", "E3"])
    assert out["authority"].tolist() == ["E1", "E3"]
    assert out["rank"].tolist() == [1, 2] and out["quartile"].tolist() == [1, 4]
    with pytest.raises(AnalysisError, match="none of the comparator group"):
        bench_of([1, 2], group=["E99"])


def test_groups_are_indicator_and_period():
    frame = pd.DataFrame(
        {
            "authority": ["E1", "E2", "E1", "E2", "E1", "E2"],
            "indicator": ["H", "H", "L", "L", "H", "H"],
            "period": ["2022/23"] * 4 + ["2023/24"] * 2,
            "value": [1.0, 2.0, 1.0, 2.0, 9.0, 3.0],
        }
    )
    out = benchmark(frame, REGISTER)
    assert out["rank"].tolist() == [2, 1, 1, 2, 1, 2]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(-20, 20), min_size=2, max_size=40))
def test_quartile_matches_excel_quartile_inc_boundaries(values):
    # Reference method: a value is in quartile k when it is at least as good as the group's
    # k-th quartile boundary (numpy's default linear percentile = Excel QUARTILE.INC); ties
    # are frequent with values drawn from -20..20.
    out = bench_of([float(v) for v in values])
    boundaries = np.percentile(values, [75, 50, 25, 0])
    expected = [1 + sum(v < b for b in boundaries[:3]) for v in values]
    assert out["quartile"].tolist() == expected
    assert set(out["quartile"]) <= {1, 2, 3, 4}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=2, max_size=30))
def test_quartile_in_range_and_ties_share_quartile(values):
    out = bench_of([float(v) for v in values])
    assert out["quartile"].between(1, 4).all()
    assert out["rank"].between(1, len(values)).all()
    assert (out.groupby("value")["quartile"].nunique() == 1).all()


def test_quartile_and_percentile_helpers():
    assert quartile_position(np.array([1, 2, 3, 4, 5]), np.array([5] * 5)).tolist() == [
        1,
        1,
        2,
        3,
        4,
    ]
    assert quartile_position(np.array([1]), np.array([1])).tolist() == [0]
    assert percentile_rank(np.array([1, 3]), np.array([3, 3])).tolist() == [100.0, 0.0]


def test_average_performance_score_and_top_two_quartiles():
    frame = pd.DataFrame(
        {
            "authority": ["E1", "E2", "E3"] * 3,
            "indicator": ["H"] * 3 + ["L"] * 3 + ["N"] * 3,
            "period": "2023/24",
            "value": [30.0, 20.0, 10.0, 30.0, 20.0, 10.0, 1.0, 2.0, 3.0],
        }
    )
    bench = benchmark(frame, REGISTER)
    score = average_performance_score(bench, period="2023/24")
    # E1: 100 (H best) and 0 (L worst) -> 50; E2: 50 and 50; E3: 0 and 100; N excluded
    assert score["authority"].tolist() == ["E1", "E2", "E3"]
    assert score["n_indicators"].tolist() == [2, 2, 2]
    assert score["average_performance_score"].tolist() == [50.0, 50.0, 50.0]
    # E1: H quartile 1, L quartile 4 -> 1 of 2; E2: 2 and 2 -> 2 of 2
    assert share_in_top_two_quartiles(bench, "E1", "2023/24") == {
        "numerator": 1,
        "denominator": 2,
        "share": 0.5,
    }
    assert share_in_top_two_quartiles(bench, "E2", "2023/24")["numerator"] == 2


# --- headline shares ---------------------------------------------------------------------------


def test_summarise_headlines_counts_each_family():
    assessment = pd.DataFrame(
        {
            "authority": "E1",
            "period": "2023/24",
            "rag": ["Green", "Green", "Amber", "Red", "No data", "No target"],
            "dot": ["Improved", "Worse", "No change", "Improved", "Not comparable", "Improved"],
        }
    )
    out = summarise_headlines(assessment).set_index("measure")
    assert out.loc["on target"].tolist() == [2, 4, 0.5]
    assert out.loc["off target", "numerator"] == 1
    assert out.loc["improved"].tolist() == [3, 5, 0.6]
    assert "in top two quartiles" not in out.index
    other = summarise_headlines(assessment, authority="E2").set_index("measure")
    assert other.loc["on target", "denominator"] == 0
    assert math.isnan(other.loc["on target", "share"])


def test_describe_share_rounds_half_up_exactly():
    assert describe_share(27, 41) == "27 of 41 indicators improved (66 %)"
    assert describe_share(1, 8, outcome="were on target") == (
        "1 of 8 indicators were on target (13 %)"
    )
    assert describe_share(1, 8, decimals=1).endswith("(12.5 %)")
    assert describe_share(0, 0) == "no indicators could be assessed"
    assert count_share(3, 4) == {"numerator": 3, "denominator": 4, "share": 0.75}


# --- profiling and forecasting -----------------------------------------------------------------

HISTORY = pd.DataFrame(
    {
        "period": [
            "2021/22 Q1",
            "2021/22 Q2",
            "2021/22 Q3",
            "2021/22 Q4",
            "2022/23 Q1",
            "2022/23 Q2",
            "2022/23 Q3",
            "2022/23 Q4",
            "2023/24 Q1",
            "2022/23",
        ],
        "value": [10, 20, 30, 40, 20, 20, 20, 40, 99, 1000],
    }
)


def test_even_profiles():
    quarterly = profile_annual_target(100.0, "2024/25")
    assert quarterly["period"].tolist() == ["2024/25 Q1", "2024/25 Q2", "2024/25 Q3", "2024/25 Q4"]
    assert quarterly["period_target"].tolist() == [25.0] * 4
    assert quarterly["ytd_target"].tolist() == [25.0, 50.0, 75.0, 100.0]
    monthly = profile_annual_target(120.0, "2024/25", frequency="monthly")
    assert monthly["period"].iloc[0] == "2024-04" and monthly["period"].iloc[-1] == "2025-03"
    assert monthly["period_target"].round(9).tolist() == [10.0] * 12
    average = profile_annual_target(95.0, "2024/25", kind="average")
    assert average["period_target"].tolist() == [95.0] * 4
    assert average["ytd_target"].tolist() == [95.0] * 4


def test_seasonal_shares_from_complete_years_only():
    # 2021/22 shares .1 .2 .3 .4; 2022/23 shares .2 .2 .2 .4; 2023/24 incomplete; annual ignored
    shares = estimate_seasonal_shares(HISTORY)
    assert np.round(shares, 9).tolist() == [0.15, 0.2, 0.25, 0.4]
    profile = profile_annual_target(200.0, "2024/25", method="seasonal", history=HISTORY)
    assert profile["period_target"].round(9).tolist() == [30.0, 40.0, 50.0, 80.0]
    assert profile["ytd_target"].round(9).tolist() == [30.0, 70.0, 120.0, 200.0]
    with pytest.raises(AnalysisError, match="no complete financial year"):
        estimate_seasonal_shares(HISTORY.iloc[[0, 1, 8]])
    with pytest.raises(AnalysisError, match="needs history"):
        profile_annual_target(1.0, "2024/25", method="seasonal")


def test_seasonal_average_profile_keeps_the_annual_level():
    profile = profile_annual_target(
        50.0, "2024/25", method="seasonal", kind="average", history=HISTORY
    )
    # seasonal indices = shares x 4 = .6 .8 1.0 1.6
    assert profile["period_target"].round(9).tolist() == [30.0, 40.0, 50.0, 80.0]
    assert profile["ytd_target"].round(9).tolist() == [30.0, 35.0, 40.0, 50.0]


def test_forecasts_cumulative_and_average():
    so_far = pd.DataFrame({"period": ["2024/25 Q1", "2024/25 Q2"], "value": [20.0, 30.0]})
    even = forecast_year_end(so_far, profile_annual_target(100.0, "2024/25"))
    assert even == {
        "periods_reported": 2,
        "last_period": "2024/25 Q2",
        "ytd_value": 50.0,
        "forecast": 100.0,
    }
    seasonal = forecast_year_end(
        so_far, profile_annual_target(100.0, "2024/25", method="seasonal", history=HISTORY)
    )
    assert seasonal["forecast"] == pytest.approx(50.0 / 0.35)
    rates = pd.DataFrame({"period": ["2024/25 Q1", "2024/25 Q2"], "value": [90.0, 94.0]})
    average = forecast_year_end(rates, profile_annual_target(95.0, "2024/25", kind="average"))
    assert average["ytd_value"] == 92.0 and average["forecast"] == 92.0
    seasonal_rate = forecast_year_end(
        rates,
        profile_annual_target(95.0, "2024/25", kind="average", method="seasonal", history=HISTORY),
    )
    assert seasonal_rate["forecast"] == pytest.approx(92.0 / 0.7)  # mean index so far .7


def test_forecast_refuses_gaps_and_other_years():
    gap = pd.DataFrame({"period": ["2024/25 Q1", "2024/25 Q3"], "value": [1.0, 2.0]})
    with pytest.raises(AnalysisError, match=r"no value for \['2024/25 Q2'\]"):
        forecast_year_end(gap, profile_annual_target(100.0, "2024/25"))
    other = pd.DataFrame({"period": ["2023/24 Q1"], "value": [1.0]})
    with pytest.raises(AnalysisError, match="not in the profile"):
        forecast_year_end(other, profile_annual_target(100.0, "2024/25"))


def test_assess_forecast_states():
    assert assess_forecast(100.0, 100.0, polarity="higher") == "On track"
    assert assess_forecast(95.0, 100.0, polarity="higher") == "At risk"
    assert assess_forecast(94.0, 100.0, polarity="higher") == "Off track"
    assert (
        assess_forecast(12.0, 10.0, polarity="lower", tolerance=2, tolerance_type="absolute")
        == "At risk"
    )
    assert assess_forecast(1.0, 10.0, polarity="neutral") == "Not applicable"
    assert assess_forecast(1.0, float("nan"), polarity="higher") == "No target"
    with pytest.raises(AnalysisError, match="tolerance must be >= 0"):
        assess_forecast(1.0, 2.0, polarity="higher", tolerance=-1)
    with pytest.raises(AnalysisError, match="polarity must be one of"):
        assess_forecast(1.0, 2.0, polarity="up")


def test_year_to_date_against_profile():
    profile = profile_annual_target(100.0, "2024/25")
    actuals = pd.DataFrame({"period": ["2024/25 Q1", "2024/25 Q2"], "value": [20.0, 30.0]})
    out = assess_year_to_date(actuals, profile, polarity="higher")
    assert out["ytd_value"].tolist() == [20.0, 50.0]
    assert out["ytd_target"].tolist() == [25.0, 50.0]
    assert out["rag"].tolist() == ["Red", "Green"]  # 20 < 25 - 5 % of 25
    rates = profile_annual_target(10.0, "2024/25", kind="average")
    waits = pd.DataFrame({"period": ["2024/25 Q1", "2024/25 Q2"], "value": [9.0, 12.0]})
    out = assess_year_to_date(
        waits, rates, polarity="lower", tolerance=1.0, tolerance_type="absolute"
    )
    assert out["ytd_value"].tolist() == [9.0, 10.5]
    assert out["rag_label"].tolist() == ["✔ Green", "▲ Amber"]


# --- the national benchmark's synthetic table, checked against plain per-row rules -------------

BENCH_SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "bench_national_assess.py"


@pytest.fixture(scope="module")
def bench_module():
    """The benchmark script loaded as a module (its table generator is reused here)."""
    return runpy.run_path(str(BENCH_SCRIPT))


def naive_rag(value, target, polarity, tolerance, tolerance_type):
    """The RAG rule written out row by row, independently of the vectorised code."""
    if polarity == "neutral":
        return "Not applicable"
    if math.isnan(target):
        return "No target"
    if math.isnan(value):
        return "No data"
    if pd.isna(tolerance):
        tolerance, tolerance_type = 0.05, "relative"
    band = tolerance * abs(target) if tolerance_type == "relative" else tolerance
    better_by = value - target if polarity == "higher" else target - value
    if better_by >= -1e-9:
        return "Green"
    return "Amber" if better_by >= -band - 1e-9 else "Red"


def test_vectorised_rules_match_row_by_row_rules(bench_module):
    values, targets, register = bench_module["make_tables"](4, 6, 3, "str", seed=7)
    targets = targets.sample(frac=0.8, random_state=1)  # some rows without a target
    settings_by_code = register.set_index("code")
    rag = assess_against_target(values, targets, register)
    target_of = {tuple(r[:3]): r[3] for r in targets.itertuples(index=False)}
    for row in rag.itertuples(index=False):
        s = settings_by_code.loc[row.indicator]
        target = target_of.get((row.authority, row.indicator, row.period), float("nan"))
        assert row.rag == naive_rag(row.value, target, s.polarity, s.tolerance, s.tolerance_type)
    dot = direction_of_travel(values, register, compare="same_period_last_year")
    value_of = {(r.authority, r.indicator, r.period): r.value for r in values.itertuples()}
    for row in dot.itertuples(index=False):
        earlier = comparison_period(row.period, "same_period_last_year")
        before = value_of.get((row.authority, row.indicator, earlier), float("nan"))
        assert row.comparison_period == earlier
        assert (math.isnan(before) and math.isnan(row.comparison_value)) or (
            before == row.comparison_value
        )


def test_categorical_and_string_keys_agree_on_the_bench_table(bench_module):
    make = bench_module["make_tables"]
    (v_str, t_str, reg), (v_cat, t_cat, _) = make(5, 4, 3, "str"), make(5, 4, 3, "category")
    for run in (
        lambda v, t: assess_against_target(v, t, reg)["rag"],
        lambda v, t: direction_of_travel(v, reg)["dot"],
        lambda v, t: benchmark(v, reg)["quartile"],
    ):
        assert (
            run(v_str, t_str).astype(object).tolist() == run(v_cat, t_cat).astype(object).tolist()
        )


def test_bench_script_runs_at_tiny_scale(bench_module, capsys):
    bench_module["main"](["--scale", "0.0005", "--years", "2"])
    out = capsys.readouterr().out
    assert "total" in out and "peak memory" in out


def test_bounded_period_targets_keep_the_mean_and_never_pass_the_bound():
    # 98 with indices 0.9, 0.98, 1.08, 1.04: Q3 would be 105.84 and Q4 101.92, so both get 100
    # and Q1, Q2 share 4 x 98 - 200 = 192 in proportion 0.9 : 0.98 -> 91.9149, 100.0851
    # which passes 100 in turn: Q2 is capped too, leaving Q1 = 392 - 300 = 92
    targets = bounded_period_targets(98.0, np.array([0.9, 0.98, 1.08, 1.04]), 100.0)
    assert np.round(targets, 9).tolist() == [92.0, 100.0, 100.0, 100.0]
    # nothing near the bound: unchanged
    assert np.round(
        bounded_period_targets(50.0, np.array([0.8, 1.2, 1.0, 1.0]), 100.0), 9
    ).tolist() == [40.0, 60.0, 50.0, 50.0]
    # one capped: Q2 104 -> 100, the others share 4 x 80 - 100 = 220 in 0.7 : 1.0 : 1.0
    targets = bounded_period_targets(80.0, np.array([0.7, 1.3, 1.0, 1.0]), 100.0)
    assert np.round(targets, 6).tolist() == [57.037037, 100.0, 81.481481, 81.481481]
    assert np.isclose(targets.mean(), 80.0)
    assert (
        bounded_period_targets(100.0, np.array([0.9, 1.1, 1.0, 1.0]), 100.0).tolist() == [100.0] * 4
    )
    with pytest.raises(AnalysisError, match="above the largest possible value 100"):
        bounded_period_targets(101.0, np.ones(4), 100.0)


def test_a_seasonal_percentage_profile_stays_within_100():
    history = pd.DataFrame(
        {"period": [f"2023/24 Q{q}" for q in range(1, 5)], "value": [90.0, 95.0, 100.0, 99.0]}
    )
    free = profile_annual_target(
        99.0, "2024/25", method="seasonal", kind="average", history=history
    )
    assert free["period_target"].max() > 100
    bounded = profile_annual_target(
        99.0, "2024/25", method="seasonal", kind="average", history=history, upper_bound=100.0
    )
    assert bounded["period_target"].max() == 100.0
    assert np.isclose(bounded["ytd_target"].iloc[-1], 99.0)


def test_snapshot_measures_take_the_latest_position_against_the_year_end_target():
    # households in temporary accommodation at each quarter end: 1.2, 1.1, [gap], 1.3
    profile = profile_annual_target(1.0, "2024/25", method="even", kind="snapshot")
    assert profile["period_target"].tolist() == [1.0] * 4
    assert profile["ytd_target"].tolist() == [1.0] * 4
    actuals = pd.DataFrame(
        {
            "period": ["2024/25 Q1", "2024/25 Q2", "2024/25 Q3", "2024/25 Q4"],
            "value": [1.2, 1.1, np.nan, 1.3],
        }
    )
    ytd = assess_year_to_date(
        actuals, profile, polarity="lower", tolerance=0.1, tolerance_type="relative"
    )
    # 1.2 is 20% above 1.0 (Red), 1.1 exactly on the 10% band edge (Amber), Q4 1.3 Red
    assert ytd["ytd_value"].tolist()[:2] == [1.2, 1.1] and ytd["ytd_value"].iloc[3] == 1.3
    assert ytd["rag"].tolist()[:2] == ["Red", "Amber"]
    forecast = forecast_year_end(actuals.iloc[:2], profile)
    assert forecast == {
        "periods_reported": 2,
        "last_period": "2024/25 Q2",
        "ytd_value": 1.1,
        "forecast": 1.1,
    }
    # a gap before the latest position does not stop a snapshot's forecast
    assert forecast_year_end(actuals, profile)["forecast"] == 1.3
    assert year_to_date_values(np.array([2.0, 4.0]), "cumulative").tolist() == [2.0, 6.0]
    assert year_to_date_values(np.array([2.0, 4.0]), "average").tolist() == [2.0, 3.0]
    with pytest.raises(AnalysisError, match="kind"):
        year_to_date_values(np.array([1.0]), "total")
