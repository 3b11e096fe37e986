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
from perfeval.stats import indicators, profiling, rag
from perfeval.stats.indicators import (
    assess_against_target,
    average_performance_score,
    benchmark,
    comparison_period,
    count_share,
    describe_share,
    direction_of_travel,
    indicator_settings,
    percentile_rank,
    quartile_position,
    share_in_top_two_quartiles,
    summarise_headlines,
)
from perfeval.stats.rag import DEFAULT_TOLERANCE, RAG_STATES


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


def test_moved_names_are_still_importable_from_indicators_until_0_3():
    # profiling and the RAG rule moved out of indicators (#16); old imports keep working
    for module in (profiling, rag):
        for name in set(module.__all__) & set(indicators.__all__):
            assert getattr(indicators, name) is getattr(module, name), name
    # the names profiling held when it moved (#16); names added to it since are its own
    moved = {
        "AT_RISK",
        "FORECAST_METHOD",
        "FORECAST_STATES",
        "FREQUENCIES",
        "OFF_TRACK",
        "ON_TRACK",
        "PROFILE_METHODS",
        "YearEndForecast",
        "assess_forecast",
        "assess_year_to_date",
        "bounded_period_targets",
        "estimate_seasonal_shares",
        "forecast_year_end",
        "profile_annual_target",
        "year_to_date_values",
    }
    assert moved <= set(profiling.__all__) and moved <= set(indicators.__all__)
