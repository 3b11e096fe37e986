"""Tests for perfeval.stats.profiling: profiled targets, year to date and year-end forecasts.

Small hand examples whose profiled targets and forecasts can be worked out on paper (each test's
comments give the arithmetic).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from perfeval.core.exceptions import AnalysisError
from perfeval.stats.profiling import (
    MIN_INTERVAL_YEARS,
    assess_forecast,
    assess_year_to_date,
    bounded_period_targets,
    estimate_seasonal_shares,
    forecast_interval,
    forecast_year_end,
    implied_multiplier,
    profile_annual_target,
    profile_reached_share,
    ratio_of_sums,
    reached_shares,
    weighted_target,
    year_to_date_values,
)

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


def test_seasonal_history_with_a_bad_period_label_is_named():
    history = pd.DataFrame({"period": ["2023/24 Q1", "Q5 2023"], "value": [1.0, 2.0]})
    with pytest.raises(AnalysisError, match=r"history: period label\(s\) \['Q5 2023'\]"):
        estimate_seasonal_shares(history)


# --------------------------------------------------------------------------- forecast interval


def quarters(years):
    """``period, value`` rows from ``{fy_start: [q1, q2, q3, q4]}``."""
    rows = [
        (f"{y}/{(y + 1) % 100:02d} Q{q}", v)
        for y, values in years.items()
        for q, v in enumerate(values, start=1)
    ]
    return pd.DataFrame(rows, columns=["period", "value"])


FIVE_YEARS = quarters(
    {
        2019: [24, 26, 25, 25],  # Q1 share 24/100 = 0.24; mean of Q1-Q2 25 over the year's 25
        2020: [26, 24, 25, 25],  # 0.26
        2021: [25, 25, 25, 25],  # 0.25
        2022: [25, 25, 20, 30],  # 0.25
        2023: [50, 50, 50, 50],  # 0.25
    }
)


def test_reached_shares_by_measure_kind():
    got = reached_shares(FIVE_YEARS, kind="cumulative", periods=1)
    assert got == pytest.approx([0.24, 0.26, 0.25, 0.25, 0.25])
    # average: mean of Q1-Q3 over the year's mean; 2022: (25+25+20)/3 = 23.33 over 25
    got = reached_shares(FIVE_YEARS, kind="average", periods=3)
    assert got == pytest.approx([1.0, 1.0, 1.0, 70 / 75, 1.0])
    # snapshot: the position after Q3 over the year-end position; 2022: 20 / 30
    got = reached_shares(FIVE_YEARS, kind="snapshot", periods=3)
    assert got == pytest.approx([1.0, 1.0, 1.0, 2 / 3, 1.0])
    # an incomplete year, another kind of period and a year totalling 0 are left out
    extra = pd.concat(
        [
            FIVE_YEARS,
            quarters({2024: [10, 10, 10]}),
            quarters({2017: [0, 0, 0, 0]}),
            pd.DataFrame({"period": ["2023/24"], "value": [200]}),
        ]
    )
    assert len(reached_shares(extra, kind="cumulative", periods=1)) == 5
    assert reached_shares(extra.iloc[0:0], kind="cumulative", periods=1).size == 0
    with pytest.raises(AnalysisError, match="periods must be 1 to 4"):
        reached_shares(FIVE_YEARS, kind="cumulative", periods=5)


def test_forecast_interval_from_the_spread_of_past_shares():
    # shares 0.24, 0.26, 0.25, 0.25, 0.25: mean 0.25, s = sqrt((0.01^2 + 0.01^2) / 4) = 0.0070711;
    # t(0.975, 4) = 2.776445; half = 2.776445 x 0.0070711 x sqrt(1 + 1/5) = 0.0215064.
    # Q1 of a year to date of 10 against an expected share of 0.25: forecast 40, outturn between
    # 10 / 0.2715064 = 36.832 and 10 / 0.2284936 = 43.765
    shares = reached_shares(FIVE_YEARS, kind="cumulative", periods=1)
    lower, upper = forecast_interval(40.0, 0.25, shares)
    assert lower == pytest.approx(10 / 0.2715064, rel=1e-6)
    assert upper == pytest.approx(10 / 0.2284936, rel=1e-6)
    assert lower < 40 < upper and upper - 40 > 40 - lower, "a smaller share means more"
    # a 90% interval is narrower (t(0.95, 4) = 2.131847)
    lower90, upper90 = forecast_interval(40.0, 0.25, shares, level=0.90)
    half90 = 2.131847 * 0.0070711 * (1.2**0.5)
    assert lower90 == pytest.approx(10 / (0.25 + half90), rel=1e-5) and upper90 < upper


def test_forecast_interval_edge_cases():
    assert MIN_INTERVAL_YEARS == 3
    two = np.array([0.24, 0.26])
    assert all(np.isnan(forecast_interval(40.0, 0.25, two)))
    # identical shares: no spread, the interval is the forecast itself
    assert forecast_interval(40.0, 0.25, np.full(4, 0.25)) == (pytest.approx(40), pytest.approx(40))
    # shares so variable the lower share reaches 0: no finite upper end, so no interval
    assert all(np.isnan(forecast_interval(40.0, 0.25, np.array([0.05, 0.45, 0.25]))))
    assert all(np.isnan(forecast_interval(float("nan"), 0.25, np.full(4, 0.25))))
    with pytest.raises(AnalysisError, match="level must be between 0 and 1"):
        forecast_interval(40.0, 0.25, np.full(4, 0.25), level=95)
    with pytest.raises(AnalysisError, match="expected_share must be positive"):
        forecast_interval(40.0, 0.0, np.full(4, 0.25))


def test_profile_reached_share_matches_the_forecast_rule():
    # forecast_year_end gives year to date / profile_reached_share for every kind
    history = quarters({2022: [10, 20, 30, 40], 2023: [20, 20, 20, 40]})
    for kind in ("cumulative", "average", "snapshot"):
        profile = profile_annual_target(
            100.0, "2024/25", method="seasonal", kind=kind, history=history
        )
        actuals = pd.DataFrame({"period": ["2024/25 Q1", "2024/25 Q2"], "value": [12.0, 18.0]})
        got = forecast_year_end(actuals, profile)
        expected = got["ytd_value"] / profile_reached_share(profile, 2)
        assert got["forecast"] == pytest.approx(expected)
    even = profile_annual_target(100.0, "2024/25", kind="cumulative")
    assert profile_reached_share(even, 1) == pytest.approx(0.25)
    average = profile_annual_target(100.0, "2024/25", kind="average")
    assert profile_reached_share(average, 3) == pytest.approx(1)


# --------------------------------------------------------------------------- ratio of sums


def test_ratio_of_sums_is_not_the_mean_of_the_rates():
    # 45 of 50 (90%) and 10 of 20 (50%): 55 of 70 = 78.571%, where the mean of the rates is 70%
    assert ratio_of_sums(np.array([45, 10]), np.array([50, 20]), 100) == pytest.approx(
        100 * 55 / 70
    )
    assert np.isnan(ratio_of_sums(np.array([0, 0]), np.array([0, 0]), 100))
    assert np.isnan(ratio_of_sums(np.array([1, np.nan]), np.array([2, 2]), 100))
    with pytest.raises(AnalysisError, match="one entry per period"):
        ratio_of_sums(np.array([1, 2]), np.array([3]), 100)
    with pytest.raises(AnalysisError, match="must not be negative"):
        ratio_of_sums(np.array([-1]), np.array([3]), 100)


def test_implied_multiplier_from_the_values_themselves():
    num, den = np.array([45.0, 10.0]), np.array([50.0, 20.0])
    assert implied_multiplier(np.array([90.0, 50.0]), num, den) == 100
    assert implied_multiplier(np.array([0.9, 0.5]), num, den) == 1
    # a rate per 1,000 households, published to 2 decimals: 3 of 2,700 = 1.11
    assert implied_multiplier(np.array([1.11]), np.array([3.0]), np.array([2700.0])) == 1000
    # values that the numerators and denominators do not give: not used
    assert implied_multiplier(np.array([90.0, 70.0]), num, den) is None
    assert implied_multiplier(np.array([0.0]), np.array([0.0]), np.array([5.0])) is None


def test_weighted_target_weighs_each_period_by_its_denominator():
    # targets 80 and 90 over denominators 30 and 10: (2400 + 900) / 40 = 82.5
    assert weighted_target(np.array([80.0, 90.0]), np.array([30.0, 10.0])) == pytest.approx(82.5)
    assert np.isnan(weighted_target(np.array([80.0]), np.array([0.0])))


def test_forecast_projects_a_given_year_to_date():
    profile = profile_annual_target(80.0, "2024/25", kind="average")
    actuals = pd.DataFrame({"period": ["2024/25 Q1", "2024/25 Q2"], "value": [90.0, 50.0]})
    assert forecast_year_end(actuals, profile)["forecast"] == pytest.approx(70)
    got = forecast_year_end(actuals, profile, year_to_date=100 * 55 / 70)
    assert got["ytd_value"] == pytest.approx(78.571, abs=1e-3) == got["forecast"]
