"""Tests of perfeval.stats.trend: the Mann-Kendall test and Sen's slope.

Reference values: pyMannKendall's expected results for its original test on the Bogra rainfall
series (tests/data/trend/SOURCES.md); exact p-values checked against a full enumeration of the
permutations, computed here independently of scipy.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from perfeval.core.exceptions import AnalysisError
from perfeval.stats.trend import (
    FALLING,
    IMPROVING,
    NO_CLEAR_TREND,
    TOO_FEW_VALUES,
    WORSENING,
    judge_trend,
    mann_kendall,
    smallest_p_value,
)

RAINFALL = (
    Path(__file__).resolve().parents[1] / "data" / "trend" / "monthly_rainfall_pymannkendall.csv"
)


def test_matches_pymannkendall_on_the_bogra_rainfall_series():
    values = pd.read_csv(RAINFALL)["Bogra"].to_numpy(dtype=float)
    trend = mann_kendall(values)
    assert trend.n == 353 and not trend.exact, "360 months, 7 missing"
    assert trend.s == -1959
    assert trend.var_s == pytest.approx(4889800.333333333, rel=1e-12)
    assert trend.z == pytest.approx(-0.8854562842589916, rel=1e-12)
    assert trend.p_value == pytest.approx(0.37591058740506833, rel=1e-10)
    assert trend.tau == pytest.approx(-0.03153167653875869, rel=1e-12)
    assert trend.direction == "no trend"
    # pyMannKendall numbers the values again after dropping the missing ones; perfeval keeps
    # each value's place in time, so the reference slope is that of the series without gaps
    assert mann_kendall(values[~np.isnan(values)]).slope == pytest.approx(
        -0.0064516129032258064, rel=1e-12
    )
    where = np.flatnonzero(~np.isnan(values))
    i, j = np.triu_indices(len(where), k=1)
    pairwise = (values[where][j] - values[where][i]) / (where[j] - where[i])
    assert trend.slope == pytest.approx(float(np.median(pairwise)), rel=1e-12)


def _exact_two_sided_p(values: list[float]) -> float:
    """P(|S| >= |s|) over all orderings of the values, by enumeration."""

    def s_of(xs):
        return sum(np.sign(xs[j] - xs[i]) for i in range(len(xs)) for j in range(i + 1, len(xs)))

    observed = abs(s_of(values))
    orderings = list(itertools.permutations(values))
    return sum(abs(s_of(p)) >= observed for p in orderings) / len(orderings)


@pytest.mark.parametrize(
    "values",
    [
        [38.0, 39.5, 41.2, 40.8, 43.0, 44.1],
        [12.0, 11.0, 13.5, 10.0, 9.0, 9.5],
        [5.0, 7.0, 6.0, 8.0, 4.0, 9.0, 10.0],
    ],
)
def test_short_series_without_ties_get_the_exact_p_value(values):
    trend = mann_kendall(values)
    assert trend.exact
    assert trend.p_value == pytest.approx(_exact_two_sided_p(values), rel=1e-9)


def test_a_steady_six_year_rise_is_a_trend_and_its_slope_is_the_median_yearly_change():
    # 38.0 .. 44.1: 14 pairs up, 1 down (41.2 -> 40.8), S = 13, exact p = 2 x 6/720 = 0.0167
    trend = mann_kendall([38.0, 39.5, 41.2, 40.8, 43.0, 44.1])
    assert trend.s == 13 and trend.var_s == pytest.approx(6 * 5 * 17 / 18)
    assert trend.p_value == pytest.approx(12 / 720)
    assert trend.direction == "increasing" and trend.tau == pytest.approx(13 / 15)
    pairwise = [
        (b - a) / (j - i)
        for (i, a), (j, b) in itertools.combinations(
            enumerate([38.0, 39.5, 41.2, 40.8, 43.0, 44.1]), 2
        )
    ]
    assert trend.slope == pytest.approx(float(np.median(pairwise)))
    assert judge_trend(trend, "higher") == IMPROVING
    assert judge_trend(trend, "lower") == WORSENING


def test_ties_use_the_normal_approximation_with_the_tie_corrected_variance():
    # 1, 2, 2, 3, 3, 3: S = 11; Var = [6*5*17 - (2*1*9 + 3*2*11)] / 18 = (510 - 84) / 18
    trend = mann_kendall([1, 2, 2, 3, 3, 3])
    assert not trend.exact and trend.s == 11
    assert trend.var_s == pytest.approx(426 / 18)
    assert trend.z == pytest.approx(10 / math.sqrt(426 / 18))
    assert trend.p_value == pytest.approx(math.erfc(trend.z / math.sqrt(2)))


def test_a_missing_year_is_left_out_but_keeps_the_spacing_of_the_slope():
    trend = mann_kendall([10.0, 12.0, np.nan, 16.0, 18.0])
    assert trend.n == 4 and trend.s == 6
    assert trend.slope == pytest.approx(2.0), "2 a year, the gap counted as a year"


def test_too_few_values_and_flat_series():
    few = mann_kendall([1.0, np.nan, 2.0, 3.0])
    assert few.direction == "too few values" and judge_trend(few, "higher") == TOO_FEW_VALUES
    flat = mann_kendall([5.0] * 6)
    assert flat.s == 0 and flat.direction == "no trend"
    assert judge_trend(flat, "higher") == NO_CLEAR_TREND


def test_a_neutral_indicator_rises_or_falls_but_is_never_judged():
    falling = mann_kendall([9.0, 8.0, 7.5, 6.0, 5.5, 4.0])
    assert judge_trend(falling, "neutral") == FALLING


def test_alpha_is_checked():
    with pytest.raises(AnalysisError, match="alpha must be between 0 and 1"):
        mann_kendall([1, 2, 3, 4], alpha=5)


@pytest.mark.parametrize("n", [3, 4, 5, 6, 7])
def test_smallest_p_value_is_that_of_a_strictly_rising_series_by_enumeration(n):
    # Kendall (1975): the exact distribution of S puts 1/n! on each extreme, so 2/n! two-sided;
    # checked against a full enumeration of the orderings
    rising = [float(v) for v in range(n)]
    assert smallest_p_value(n) == pytest.approx(_exact_two_sided_p(rising), rel=1e-12)
    assert smallest_p_value(n) == pytest.approx(2 / math.factorial(n))


def test_four_values_cannot_show_a_trend_at_5_percent_so_they_are_too_few_not_no_trend():
    # issue #15: Mann-Kendall at n = 4 can never reach p < 0.05 (smallest p = 2/24 = 0.083)
    trend = mann_kendall([10.0, 11.0, 12.5, 14.0])
    assert trend.s == 6 and trend.p_value == pytest.approx(2 / 24) and trend.exact
    assert trend.min_p_value == pytest.approx(0.0833, abs=5e-5)
    assert trend.direction == "too few values"
    assert judge_trend(trend, "higher") == TOO_FEW_VALUES != NO_CLEAR_TREND
    # pairwise slopes 1, 1.25, 4/3, 1.5, 1.5, 1.5: the statistics are still reported
    assert trend.slope == pytest.approx((4 / 3 + 1.5) / 2) and trend.tau == 1
    wobbly = mann_kendall([10.0, 12.0, 11.0, 10.5])
    assert judge_trend(wobbly, "lower") == TOO_FEW_VALUES


def test_five_values_can_show_a_trend_at_5_percent_but_not_at_1_percent():
    rising = [1.0, 2.0, 3.5, 4.0, 6.0]
    assert mann_kendall(rising).direction == "increasing"  # p = 2/120 = 0.017
    assert mann_kendall(rising, alpha=0.01).direction == "too few values"
    six = mann_kendall(rising + [7.5], alpha=0.01)  # p = 2/720 = 0.0028
    assert six.direction == "increasing" and six.min_p_value == pytest.approx(2 / 720)


def test_smallest_p_value_beyond_the_exact_range_uses_the_normal_approximation():
    # 11 values: S = 55, Var S = 11 x 10 x 27 / 18 = 165, z = 54 / sqrt(165)
    assert smallest_p_value(11) == pytest.approx(math.erfc(54 / math.sqrt(165) / math.sqrt(2)))
    assert smallest_p_value(2) == 1.0
    with pytest.raises(AnalysisError, match="at least 2 values"):
        smallest_p_value(1)
    assert math.isnan(mann_kendall([1.0, 2.0, 3.0]).min_p_value)
