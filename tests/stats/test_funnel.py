"""Tests of perfeval.stats.funnel: funnel plot limits, over-dispersion and benchmark comparisons.

References (tests/data/reference/README.md gives each file's source and licence):
PHEindicatormethods' testthat expected values for calculate_funnel_limits and
assign_funnel_significance (phe_funnel_*.csv); FunnelPlotR's Poisson limits test and its own
over-dispersion functions run on its own example data (funnelplotr_*.csv); a binomial funnel
worked by hand from the formula of Spiegelhalter (2005) Stat Med 24:1185-1202, Appendix A.1.1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from perfeval.core.exceptions import AnalysisError
from perfeval.stats.funnel import (
    BETTER,
    HIGHER,
    LOWER,
    NOT_COMPARED,
    SIMILAR,
    WORSE,
    Overdispersion,
    assess_units,
    compare_interval_with_benchmark,
    estimate_overdispersion,
    funnel_limits,
    funnel_zscores,
    judge_position,
    limit_columns,
    position_against_limits,
    position_of_interval,
    winsorise,
)
from perfeval.stats.intervals import count_interval

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"
PHE_PROPORTION_UNITS = pd.read_csv(REFERENCE / "phe_funnel_proportion_units.csv")
PHE_PROPORTION_LIMITS = pd.read_csv(REFERENCE / "phe_funnel_proportion_limits.csv")
PHE_RATIO_UNITS = pd.read_csv(REFERENCE / "phe_funnel_ratio_units.csv")
PHE_RATE_UNITS = pd.read_csv(REFERENCE / "phe_funnel_rate_units.csv")
FUNNELPLOTR_POISSON = pd.read_csv(REFERENCE / "funnelplotr_poisson_limits.csv")
FUNNELPLOTR_OD = pd.read_csv(REFERENCE / "funnelplotr_overdispersion.csv")


def _phe_labels(position_95, position_998) -> np.ndarray:
    """PHEindicatormethods' significance labels from perfeval's positions at 95% and 99.8%."""
    p95, p998 = np.asarray(position_95), np.asarray(position_998)
    return np.select(
        [p998 == "above", p95 == "above", p998 == "below", p95 == "below"],
        ["High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)"],
        "Not significant",
    )


# --- limits against PHE and FunnelPlotR ----------------------------------------------------------


def test_normal_proportion_limits_match_phe_calculate_funnel_limits():
    units = PHE_PROPORTION_UNITS
    target = units.numerator.sum() / units.denominator.sum()
    assert target * 100 == pytest.approx(PHE_PROPORTION_LIMITS.baseline[0], abs=5e-7)
    got = funnel_limits(PHE_PROPORTION_LIMITS.population, target, method="normal")
    for column in ("lower_95", "upper_95", "lower_998", "upper_998"):
        np.testing.assert_allclose(
            got[column] * 100, PHE_PROPORTION_LIMITS[column], atol=5e-6, err_msg=column
        )


def test_proportion_significance_matches_phe_assign_funnel_significance_for_303_pcts():
    units = PHE_PROPORTION_UNITS
    target = units.numerator.sum() / units.denominator.sum()
    got = assess_units(units, target, method="normal")
    np.testing.assert_array_equal(
        _phe_labels(got.position_95, got.position_998), units.significance
    )
    assert set(units.significance) >= {"High (0.001)", "Low (0.025)", "Not significant"}


def test_ratio_significance_matches_phe_from_each_units_exact_or_byar_interval():
    # PHE assign_funnel_significance(statistic = "ratio"): 1 against O/E's interval, exact below
    # 10 events and Byar's from 10 (perfeval.stats.intervals.count_interval)
    units = PHE_RATIO_UNITS
    positions = []
    for level in (0.95, 0.998):
        ci = count_interval(units.obs, level)
        positions.append(
            position_of_interval(ci.ci_low / units.expected, ci.ci_high / units.expected, 1.0)
        )
    np.testing.assert_array_equal(_phe_labels(*positions), units.significance)


def test_crude_rate_significance_matches_phe_including_zero_counts():
    units = PHE_RATE_UNITS
    assert (units["count"] == 0).any()
    average = units["count"].sum() / units["pop"].sum()
    positions = []
    for level in (0.95, 0.998):
        ci = count_interval(units["count"], level)
        positions.append(
            position_of_interval(ci.ci_low / units["pop"], ci.ci_high / units["pop"], average)
        )
    np.testing.assert_array_equal(_phe_labels(*positions), units.crude_per_100000_with_0)


def test_exact_ratio_limits_match_funnelplotr_poisson_limits():
    got = funnel_limits(FUNNELPLOTR_POISSON.expected, 1.0, statistic="ratio")
    for column, decimals in [("lower_95", 7), ("upper_95", 6), ("lower_998", 7), ("upper_998", 6)]:
        np.testing.assert_array_equal(got[column].round(decimals), FUNNELPLOTR_POISSON[column])


def test_rate_limits_are_ratio_limits_times_the_target_rate():
    # a rate of 50 per 100,000 on populations of 20,000 and 200,000: 10 and 100 expected events
    rate = funnel_limits([20_000, 200_000], 50e-5, statistic="rate")
    ratio = funnel_limits([10, 100], 1.0, statistic="ratio")
    for column in limit_columns():
        np.testing.assert_allclose(rate[column], ratio[column] * 50e-5, rtol=1e-12)


# --- exact binomial limits (Spiegelhalter 2005) --------------------------------------------------


def test_exact_binomial_limits_worked_by_hand():
    # Binomial(10, 0.5): F(1) = 11/1024, F(2) = 56/1024, F(7) = 968/1024, F(8) = 1013/1024.
    # Lower 2.5%: r = 2, a = (56/1024 - 0.025) / (45/1024) = 30.4/45, limit (2 - a)/10.
    # Upper 97.5%: r = 8, a = (1013/1024 - 0.975) / (45/1024) = 14.6/45, limit (8 - a)/10.
    got = funnel_limits([10], 0.5, levels=(0.95,))
    assert got.lower_95[0] == pytest.approx((2 - 30.4 / 45) / 10, rel=1e-12)
    assert got.upper_95[0] == pytest.approx((8 - 14.6 / 45) / 10, rel=1e-12)


def test_exact_binomial_limits_approach_the_normal_ones_and_narrow_with_size():
    sizes = np.array([50, 200, 1000, 5000, 100_000])
    exact = funnel_limits(sizes, 0.3)
    normal = funnel_limits(sizes, 0.3, method="normal")
    assert (np.diff(exact.upper_998) < 0).all() and (np.diff(exact.lower_998) > 0).all()
    assert exact.upper_95.iloc[-1] == pytest.approx(normal.upper_95.iloc[-1], abs=2e-5)
    assert (exact.lower_998 < exact.lower_95).all() and (exact.upper_95 < exact.upper_998).all()


def test_exact_binomial_limits_at_the_edges():
    got = funnel_limits([1, 2, 5], 0.02)
    assert (got.lower_95 == 0).all() and (got.upper_998 <= 1).all()
    assert funnel_limits([0, -3], 0.5).lower_95.isna().all(), "no limits at a denominator of 0"
    with pytest.raises(AnalysisError, match="whole-number denominators"):
        funnel_limits([10.5], 0.5)
    with pytest.raises(AnalysisError, match="target must be a proportion between 0 and 1"):
        funnel_limits([10], 35)
    with pytest.raises(AnalysisError, match="statistic must be one of"):
        funnel_limits([10], 0.3, statistic="mean")
    with pytest.raises(AnalysisError, match="levels must be confidence levels"):
        funnel_limits([10], 0.3, levels=(95,))
    assert limit_columns((0.95, 0.99, 0.998)) == [
        "lower_95",
        "upper_95",
        "lower_99",
        "upper_99",
        "lower_998",
        "upper_998",
    ]


# --- over-dispersion against FunnelPlotR ---------------------------------------------------------


@pytest.mark.parametrize(
    "example, statistic", [("workingout_binom", "proportion"), ("test_funnel_plot", "ratio")]
)
def test_zscores_winsorisation_phi_and_tau2_match_funnelplotr(example, statistic):
    rows = FUNNELPLOTR_OD[FUNNELPLOTR_OD.example == example]
    target = rows.target.iloc[0]
    z = funnel_zscores(rows.numerator, rows.denominator, target, statistic=statistic)
    np.testing.assert_allclose(z, rows.zscore, rtol=1e-12)
    np.testing.assert_allclose(winsorise(z, 0.1), rows.winsorised_zscore, rtol=1e-12)
    got = estimate_overdispersion(rows.numerator, rows.denominator, target, statistic=statistic)
    assert got.phi == pytest.approx(rows.phi.iloc[0], rel=1e-12)
    assert got.tau2 == pytest.approx(rows.tau2.iloc[0], rel=1e-12)
    assert got.units == len(rows) and got.adjusted and got.adjustment == "additive"


def test_additive_adjusted_proportion_limits_match_funnelplotr():
    rows = FUNNELPLOTR_OD[FUNNELPLOTR_OD.example == "workingout_binom"]
    target = rows.target.iloc[0]
    od = estimate_overdispersion(rows.numerator, rows.denominator, target)
    got = funnel_limits(rows.denominator, target, overdispersion=od)
    for column in limit_columns():
        np.testing.assert_allclose(
            got[column], rows[f"od_{column}"], rtol=0, atol=2e-7, err_msg=column
        )
    # (FunnelPlotR rounds z to 1.959964 and 3.090232: limits agree to 2e-7); with tau2 = 0 the same
    # construction gives FunnelPlotR's unadjusted arcsine limits
    plain = funnel_limits(
        rows.denominator, target, overdispersion=Overdispersion(2.0, 0.0, 10, 0.1, "proportion")
    )
    for column in limit_columns():
        np.testing.assert_allclose(plain[column], rows[column], rtol=0, atol=2e-7, err_msg=column)


def test_unadjusted_ratio_limits_at_the_units_match_funnelplotr():
    rows = FUNNELPLOTR_OD[FUNNELPLOTR_OD.example == "test_funnel_plot"]
    got = funnel_limits(rows.denominator, 1.0, statistic="ratio")
    for column in limit_columns():
        np.testing.assert_allclose(got[column], rows[column], rtol=1e-10, err_msg=column)


def test_adjusted_ratio_limits_are_squared_back_from_the_root_scale():
    # Spiegelhalter (2005, QSHC): sqrt(O/E) has s = 1/(2 sqrt(E)); limits (1 +/- z sqrt(s^2 +
    # tau2))^2. With tau2 = 0 they are close to the exact Poisson limits (the root is a
    # variance-stabilising transformation), and tau2 > 0 widens them
    flat = funnel_limits(
        [400], 1.0, statistic="ratio", overdispersion=Overdispersion(1.5, 0.0, 5, 0.1, "ratio")
    )
    exact = funnel_limits([400], 1.0, statistic="ratio")
    assert flat.lower_95[0] == pytest.approx((1 - 1.959964 * 0.025) ** 2, rel=1e-6)
    assert flat.upper_95[0] == pytest.approx(exact.upper_95[0], abs=0.01)
    wide = funnel_limits(
        [400], 1.0, statistic="ratio", overdispersion=Overdispersion(1.5, 0.01, 5, 0.1, "ratio")
    )
    assert wide.upper_95[0] > flat.upper_95[0] and wide.lower_95[0] < flat.lower_95[0]


def test_multiplicative_adjustment_scales_the_standard_error_by_root_phi():
    od = Overdispersion(4.0, 0.5, 10, 0.1, "proportion", "multiplicative")
    got = funnel_limits([100], 0.25, overdispersion=od, levels=(0.95,))
    half = 1.959963984540054 * 2 * (1 / (2 * np.sqrt(100)))
    assert got.upper_95[0] == pytest.approx(np.sin(np.arcsin(0.5) + half) ** 2, rel=1e-12)


def test_no_overdispersion_means_no_adjustment():
    # identical proportions: every z-score is 0, phi = 0, the limits stay exact binomial
    od = estimate_overdispersion([20, 40, 60], [100, 200, 300], 0.2)
    assert od.phi == 0 and od.tau2 == 0 and not od.adjusted
    np.testing.assert_array_equal(
        funnel_limits([100], 0.2, overdispersion=od).upper_95, funnel_limits([100], 0.2).upper_95
    )
    with pytest.raises(AnalysisError, match="at least 2 units"):
        estimate_overdispersion([1], [10], 0.2)
    with pytest.raises(AnalysisError, match="estimate is for a proportion"):
        funnel_limits([10], 1.0, statistic="ratio", overdispersion=od)
    with pytest.raises(AnalysisError, match="trim must be"):
        winsorise([1.0, 2.0], 0.5)


# --- positions and Fingertips words --------------------------------------------------------------


def test_positions_and_words_with_polarity():
    position = position_against_limits([0.1, 0.5, 0.9, np.nan, 0.5], 0.3, 0.7)
    assert list(position) == ["below", "within", "above", "not assessed", "within"]
    assert list(judge_position(position, "higher")) == [
        WORSE,
        SIMILAR,
        BETTER,
        NOT_COMPARED,
        SIMILAR,
    ]
    assert list(judge_position(position, "lower")) == [
        BETTER,
        SIMILAR,
        WORSE,
        NOT_COMPARED,
        SIMILAR,
    ]
    assert list(judge_position(position, "neutral"))[:3] == [LOWER, SIMILAR, HIGHER]
    assert list(position_against_limits([0.3, 0.7], 0.3, 0.7)) == ["within", "within"]
    with pytest.raises(AnalysisError, match="polarity must be one of"):
        judge_position(position, "up")


def test_compare_interval_with_benchmark_as_fingertips():
    got = compare_interval_with_benchmark(
        [0.40, 0.20, 0.25, np.nan], [0.50, 0.28, 0.35, 0.3], 0.30, "higher"
    )
    assert list(got) == [BETTER, WORSE, SIMILAR, NOT_COMPARED]


def test_assess_units_judges_each_council_and_flags_small_counts():
    units = pd.DataFrame(
        {
            "council": ["A", "B", "C", "D", "E"],
            "events": [3, 60, 150, 0, 80],
            "population": [10_000, 100_000, 200_000, 0, 160_000],
        }
    )
    got = assess_units(
        units,
        50e-5,
        statistic="rate",
        polarity="lower",
        numerator="events",
        denominator="population",
    )
    assert list(got.council) == list("ABCDE"), "the units' own columns are kept"
    assert list(got.comparison) == [SIMILAR, SIMILAR, WORSE, NOT_COMPARED, SIMILAR]
    assert list(got.comparison_998) == [SIMILAR, SIMILAR, WORSE, NOT_COMPARED, SIMILAR]
    assert list(got.small_count) == [True, False, False, True, False]
    assert got.value[2] == pytest.approx(75e-5) and np.isnan(got.value[3])
    assert got.position_95[3] == "not assessed"
    assert {
        "lower_95",
        "upper_95",
        "lower_998",
        "upper_998",
        "position_95",
        "comparison_95",
    } <= set(got.columns)


def test_assess_units_uses_overdispersion_when_given():
    rows = FUNNELPLOTR_OD[FUNNELPLOTR_OD.example == "workingout_binom"]
    units = rows[["numerator", "denominator"]].reset_index(drop=True)
    target = rows.target.iloc[0]
    plain = assess_units(units, target)
    od = estimate_overdispersion(units.numerator, units.denominator, target)
    adjusted = assess_units(units, target, overdispersion=od)
    outside = lambda frame: int((frame.position_95 != "within").sum())  # noqa: E731
    assert outside(adjusted) < outside(plain), "wider limits flag fewer councils"


def test_assess_units_refuses_bad_tables():
    with pytest.raises(AnalysisError, match="missing column"):
        assess_units(pd.DataFrame({"numerator": [1]}), 0.5)
    with pytest.raises(AnalysisError, match="larger than 'denominator'"):
        assess_units(pd.DataFrame({"numerator": [11], "denominator": [10]}), 0.5)
    with pytest.raises(AnalysisError, match="negative counts"):
        assess_units(pd.DataFrame({"numerator": [-1], "denominator": [10]}), 0.5)
