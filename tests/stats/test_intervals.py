"""Tests of perfeval.stats.intervals against published values.

References (tests/data/reference/README.md says where each file comes from and its licence):
Newcombe (1998) Stat Med 17:873-890, Table II, method 10 (newcombe_1998_independent.csv);
Newcombe (1998) Stat Med 17:2635-2650, method 10 (newcombe_1998_paired.csv); PHEindicatormethods'
testthat expected values for Byar's, Wilson's and the exact Poisson intervals (phe_*.csv);
Newcombe (1998) Stat Med 17:857-872 for single Wilson intervals (as quoted in ratesci's tests).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from perfeval.core.exceptions import AnalysisError
from perfeval.stats.intervals import (
    SMALL_COUNT,
    byar_interval,
    count_interval,
    exact_poisson_interval,
    is_small_count,
    newcombe_difference,
    newcombe_paired_difference,
    significant_difference,
    wilson_interval,
)

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"
INDEPENDENT = pd.read_csv(REFERENCE / "newcombe_1998_independent.csv")
PAIRED = pd.read_csv(REFERENCE / "newcombe_1998_paired.csv")
BYARS_WILSON = pd.read_csv(REFERENCE / "phe_byars_wilson.csv")
PHE_RATES = pd.read_csv(REFERENCE / "phe_rate_intervals.csv")
PHE_PROPORTIONS = pd.read_csv(REFERENCE / "phe_proportion_intervals.csv")


def _level(text: str) -> float:
    return float(text.rstrip("%")) / 100


# --- Wilson --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, n, low, high", [(15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)]
)
def test_wilson_matches_newcombe_1998_single_proportion_examples(x, n, low, high):
    # Newcombe (1998) Stat Med 17:857-872, examples for method 3 (score without continuity
    # correction), as ratesci's tests/testthat/test3.R quotes them ("Single proportion, Newcombe
    # examples")
    got = wilson_interval(x, n)
    assert (round(got.low, 4), round(got.high, 4)) == (low, high)


@pytest.mark.parametrize(
    "row",
    list(BYARS_WILSON[BYARS_WILSON.method == "Wilson"].itertuples()),
    ids=lambda r: f"{r.x}/{r.n} at {r.confidence}",
)
def test_wilson_matches_phe_wilson_lower_and_upper(row):
    # PHEindicatormethods wilson_lower/wilson_upper, testdata_Byars_Wilson.xlsx; includes a
    # non-integer count, 0.445 of 1
    got = wilson_interval(row.x, row.n, _level(row.confidence))
    assert got.low == pytest.approx(row.lowercl, rel=1e-12)
    assert got.high == pytest.approx(row.uppercl, rel=1e-12)


def test_wilson_matches_phe_proportion_at_95_and_99_8_percent_vectorised():
    # PHEindicatormethods phe_proportion, testdata_Proportion.xlsx (counts up to 7.8 million)
    for level, low, high in [
        (0.95, "lower95_0cl", "upper95_0cl"),
        (0.998, "lower99_8cl", "upper99_8cl"),
    ]:
        got = wilson_interval(PHE_PROPORTIONS.Numerator, PHE_PROPORTIONS.Denominator, level)
        np.testing.assert_allclose(got.low, PHE_PROPORTIONS[low], rtol=1e-10)
        np.testing.assert_allclose(got.high, PHE_PROPORTIONS[high], rtol=1e-10)


def test_wilson_at_the_edges_keeps_a_width_and_stays_in_zero_to_one():
    none, everyone = wilson_interval(0, 10), wilson_interval(10, 10)
    assert none.low == 0.0 and none.high == pytest.approx(0.2775, abs=5e-5)
    assert everyone.high == 1.0 and everyone.low == pytest.approx(1 - 0.2775, abs=5e-5)
    tiny = wilson_interval([0, 1], [1, 1])
    assert tiny.low[0] == 0 and tiny.high[1] == 1 and 0 < tiny.high[0] < 1
    for level in (0.95, 0.99, 0.998):
        widths = [wilson_interval(x, 7, level) for x in range(8)]
        assert all(0 <= w.low < w.high <= 1 for w in widths)
    assert (
        wilson_interval(3, 10, 0.998).high
        > wilson_interval(3, 10, 0.99).high
        > wilson_interval(3, 10, 0.95).high
    )


def test_wilson_with_a_zero_base_or_missing_count_is_missing_not_an_error():
    got = wilson_interval([0, np.nan, 4], [0, 10, 10])
    assert np.isnan(got.low[:2]).all() and np.isnan(got.high[:2]).all()
    assert not np.isnan(got.low[2])


def test_wilson_takes_effective_counts_and_bases():
    # a weighted wave: p = 0.35 on an effective base of 120.5 is the count 42.175
    got = wilson_interval(0.35 * 120.5, 120.5)
    unweighted = wilson_interval(42, 120)
    assert got.low == pytest.approx(unweighted.low, abs=0.002)
    assert wilson_interval(3.0000000000000004, 3.0).high == 1.0, "p * n_eff rounded above n_eff"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"x": -1, "n": 10}, "x must be zero or more"),
        ({"x": 11, "n": 10}, "x cannot be larger than n"),
        ({"x": 1, "n": -10}, "n must be zero or more"),
        ({"x": 1, "n": 10, "level": 95}, "given as 0.95"),
        ({"x": 1, "n": 10, "level": 1.0}, "between 0 and 1"),
        ({"x": "many", "n": 10}, "x must be numbers"),
        ({"x": 1, "n": np.inf}, "finite"),
    ],
)
def test_wilson_refuses_impossible_counts_and_levels(kwargs, message):
    with pytest.raises(AnalysisError, match=message):
        wilson_interval(**kwargs)


# --- Newcombe, independent samples ---------------------------------------------------------------


@pytest.mark.parametrize("row", list(INDEPENDENT.itertuples()), ids=lambda r: f"({r.example})")
def test_newcombe_difference_reproduces_newcombe_1998_table_ii(row):
    got = newcombe_difference(row.x1, row.n1, row.x2, row.n2)
    assert got.difference == pytest.approx(row.x1 / row.n1 - row.x2 / row.n2)
    assert (round(got.low, 4), round(got.high, 4)) == (row.low, row.high)
    assert got.low <= got.difference <= got.high and -1 <= got.low and got.high <= 1


@pytest.mark.parametrize("row", list(INDEPENDENT.itertuples()), ids=lambda r: f"({r.example})")
def test_statsmodels_newcomb_reproduces_the_same_table(row):
    # perfeval builds on statsmodels; both are held to the published table
    low, high = confint_proportions_2indep(row.x1, row.n1, row.x2, row.n2, method="newcomb")
    assert (round(low, 4), round(high, 4)) == (row.low, row.high)


def test_newcombe_is_vectorised_over_the_whole_table():
    got = newcombe_difference(INDEPENDENT.x1, INDEPENDENT.n1, INDEPENDENT.x2, INDEPENDENT.n2)
    np.testing.assert_allclose(got.low, INDEPENDENT.low, atol=5e-5)
    np.testing.assert_allclose(got.high, INDEPENDENT.high, atol=5e-5)


def test_the_reviews_wald_failures_are_gone():
    # issue #15: Wald gave 0.114 to 1.029 for 6/7 - 2/7, [1, 1] with p = 0 for 10/10 - 0/20, and
    # called 5/56 - 0/29 a significant increase
    assert newcombe_difference(6, 7, 2, 7).high < 1
    full = newcombe_difference(10, 10, 0, 20)
    assert full.high - full.low > 0.3 and full.significant
    assert not newcombe_difference(5, 56, 0, 29).significant
    assert not significant_difference(5, 56, 0, 29)


def test_significance_is_exactly_the_interval_excluding_zero():
    x1, n1 = np.arange(0, 21), 20
    got = newcombe_difference(x1, n1, 8, 20)
    np.testing.assert_array_equal(got.significant, (got.low > 0) | (got.high < 0))
    np.testing.assert_array_equal(significant_difference(x1, n1, 8, 20), got.significant)
    assert not got.significant[8], "equal proportions never differ"
    assert got.significant[0] and got.significant[20]


def test_newcombe_swapping_the_samples_negates_the_interval():
    forward, back = newcombe_difference(9, 10, 3, 10), newcombe_difference(3, 10, 9, 10)
    assert back.low == pytest.approx(-forward.high) and back.high == pytest.approx(-forward.low)


def test_newcombe_on_effective_bases_of_a_weighted_survey():
    # two waves of a weighted survey: 38% on an effective base of 412.3, 33% on 398.7
    got = newcombe_difference(0.38 * 412.3, 412.3, 0.33 * 398.7, 398.7)
    assert got.difference == pytest.approx(0.05)
    close = newcombe_difference(157, 412, 132, 399)  # the nearest whole counts
    assert got.low == pytest.approx(close.low, abs=0.003)
    assert got.level == 0.95 and got.method == "newcombe"


def test_newcombe_edges_tiny_bases_and_levels():
    assert newcombe_difference(0, 1, 1, 1).low >= -1
    both_empty = newcombe_difference(0, 10, 0, 20)
    assert both_empty.low < 0 < both_empty.high and not both_empty.significant
    for level in (0.95, 0.99, 0.998):
        got = newcombe_difference(10, 10, 0, 10, level)
        assert got.high == 1.0 and 0 < got.low < 1
    assert newcombe_difference(10, 10, 0, 10, 0.998).low < newcombe_difference(10, 10, 0, 10).low
    missing = newcombe_difference([5, 0], [10, 0], 3, 10)
    assert np.isnan(missing.low[1]) and not missing.significant[1]
    with pytest.raises(AnalysisError, match="x2 cannot be larger than n2"):
        newcombe_difference(1, 10, 11, 10)


# --- Newcombe, paired ----------------------------------------------------------------------------


@pytest.mark.parametrize("row", list(PAIRED.itertuples()), ids=lambda r: r.example)
def test_newcombe_paired_reproduces_the_published_examples(row):
    got = newcombe_paired_difference(row.a, row.b, row.c, row.d)
    n = row.a + row.b + row.c + row.d
    assert got.difference == pytest.approx((row.b - row.c) / n)
    assert (round(got.low, row.decimals), round(got.high, row.decimals)) == (row.low, row.high)
    assert got.method == "newcombe-paired"


def test_paired_phi_correction_matters():
    # 36/12/2/0 has ad < bc (phi negative, used as is): dropping phi would give another interval
    with_phi = newcombe_paired_difference(36, 12, 2, 0)
    independent_like = newcombe_difference(48, 50, 38, 50)
    assert with_phi.low != pytest.approx(independent_like.low, abs=1e-3)
    # a table with an empty margin has phi = 0 and still an interval inside [-1, 1]
    assert newcombe_paired_difference(0, 30, 0, 0).high == 1.0


def test_paired_edges_and_vectorised():
    got = newcombe_paired_difference([36, 0, 0], [12, 0, 5], [2, 0, 0], [0, 0, 0])
    assert got.low[0] == pytest.approx(0.0569, abs=5e-5)
    assert np.isnan(got.low[1]) and not got.significant[1], "an empty table has no interval"
    assert got.low[2] > 0 and got.high[2] == 1.0
    no_change = newcombe_paired_difference(20, 0, 0, 30)
    assert no_change.difference == 0 and no_change.low < 0 < no_change.high
    with pytest.raises(AnalysisError, match="b must be zero or more"):
        newcombe_paired_difference(1, -1, 0, 0)


# --- counts: exact Poisson and Byar --------------------------------------------------------------


@pytest.mark.parametrize(
    "row",
    list(BYARS_WILSON[BYARS_WILSON.method == "Byars"].itertuples()),
    ids=lambda r: f"{r.x} at {r.confidence}",
)
def test_byar_matches_phe_byars_lower_and_upper(row):
    got = byar_interval(row.x, _level(row.confidence))
    assert got.high == pytest.approx(row.uppercl, rel=1e-12)
    if np.isnan(row.lowercl):  # 1 event at 99.8%: the formula goes below 0, PHE gives NA
        assert math.isnan(got.low)
    else:
        assert got.low == pytest.approx(row.lowercl, rel=1e-12)


def test_byar_has_no_lower_limit_for_zero_events():
    got = byar_interval([0, 10])
    assert np.isnan(got.low[0]) and got.high[0] > 0 and got.low[1] > 0


def test_exact_and_byar_match_phe_rate_per_100():
    # PHEindicatormethods phe_rate, testdata_Rate.xlsx: exact below 10 events, Byar's from 10
    rows = PHE_RATES
    for level, low, high in [
        (0.95, "lower95_0cl", "upper95_0cl"),
        (0.998, "lower99_8cl", "upper99_8cl"),
    ]:
        got = count_interval(rows.Numerator, level)
        scale = 100 / rows.Denominator.to_numpy()
        np.testing.assert_allclose(got.ci_low * scale, rows[low], rtol=1e-9)
        np.testing.assert_allclose(got.ci_high * scale, rows[high], rtol=1e-9)
        assert list(got.ci_method) == ["exact" if m == "Exact" else "byar" for m in rows.method]


def test_exact_poisson_matches_the_chi_square_form_and_phe_funnel_limits():
    # PHEindicatormethods calculate_funnel_limits(statistic = "ratio"): the expected counts at
    # which each observed count sits on a limit are the count's exact limits, found there by
    # bisection to 1e-7 on a transformed scale (about 5e-5 relative at worst; the exact values in
    # phe_rate_intervals.csv agree to 1e-9)
    limits = pd.read_csv(REFERENCE / "phe_funnel_ratio_limits.csv")
    observed = limits.observed_events.to_numpy()
    for level, low, high in [
        (0.95, "upper_2s_exp_events", "lower_2s_exp_events"),
        (0.998, "upper_3s_exp_events", "lower_3s_exp_events"),
    ]:
        got = exact_poisson_interval(observed, level)
        np.testing.assert_allclose(got.low, limits[low], rtol=1e-4)
        np.testing.assert_allclose(got.high, limits[high], rtol=1e-5)


def test_exact_poisson_at_zero_and_small_counts():
    zero = exact_poisson_interval(0)
    assert zero.low == 0 and zero.high == pytest.approx(-math.log(0.025))  # 3.689
    assert exact_poisson_interval(0, 0.998).high == pytest.approx(-math.log(0.001))
    got = exact_poisson_interval(np.arange(11), 0.99)
    assert (np.diff(got.low) > 0).all() and (np.diff(got.high) > 0).all()
    with pytest.raises(AnalysisError, match="count must be zero or more"):
        exact_poisson_interval(-2)


def test_count_interval_switches_at_ten_events_and_flags_small_counts():
    got = count_interval([0, 1, 9, 10, 11, np.nan])
    assert list(got.ci_method[:5]) == ["exact"] * 3 + ["byar"] * 2
    assert list(got.small_count[:5]) == [True, True, True, False, False]
    assert pd.isna(got.small_count[5]) and pd.isna(got.ci_method[5])
    assert got.ci_low[0] == 0
    assert SMALL_COUNT == 10 and is_small_count(9) and not is_small_count(10)
    np.testing.assert_array_equal(is_small_count([0, 10, 250]), [True, False, False])
