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
    assess_forecast,
    assess_year_to_date,
    bounded_period_targets,
    estimate_seasonal_shares,
    forecast_year_end,
    profile_annual_target,
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
