"""Unit tests for perfeval.sections.monitoring on tiny hand-made frames (expected values worked
by hand)."""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from perfeval.core.exceptions import AnalysisError
from perfeval.present import charts_monitoring
from perfeval.sections import monitoring as m

YEAR = "2024/25"


def test_describe_symbol():
    assert m.describe_symbol("[low]") == "[low] base too small to publish"
    assert m.describe_symbol("[q]") == "value missing ([q])"
    assert m.describe_symbol(None) == "value missing"


# --------------------------------------------------------------------------- quarters


def test_quarter_label_and_as_at_sentence():
    assert m.quarter_label(YEAR, 3) == "2024/25 Q3"
    assert m.describe_as_at(YEAR, 3) == (
        "Position at the end of 2024/25 Q3 (April to December 2024)."
    )
    assert m.describe_as_at(YEAR, 4).endswith("(April to March 2025).")
    with pytest.raises(AnalysisError, match="quarter must be a whole number from 1 to 4; got 5"):
        m.quarter_label(YEAR, 5)


def test_periods_to_quarter():
    assert m.periods_to_quarter(YEAR, "quarterly", 2) == ["2024/25 Q1", "2024/25 Q2"]
    assert m.periods_to_quarter(YEAR, "monthly", 1) == ["2024-04", "2024-05", "2024-06"]
    with pytest.raises(AnalysisError, match="frequency"):
        m.periods_to_quarter(YEAR, "annual", 1)


# --------------------------------------------------------------------------- in-year position


def history(rows):
    return pd.DataFrame(rows, columns=["period", "value"])


def test_infer_measure_kind_from_sum_or_mean():
    quarters = [("2022/23 Q1", 2), ("2022/23 Q2", 3), ("2022/23 Q3", 2), ("2022/23 Q4", 3)]
    assert m.infer_measure_kind(history(quarters + [("2022/23", 10)]), "quarterly") == "cumulative"
    assert m.infer_measure_kind(history(quarters + [("2022/23", 2.5)]), "quarterly") == "average"
    # an incomplete year is no evidence: the default
    assert (
        m.infer_measure_kind(history(quarters[:3] + [("2022/23", 7)]), "quarterly")
        == m.DEFAULT_MEASURE_KIND
    )


def test_infer_a_snapshot_whose_year_is_its_last_period():
    # year = Q4 (3.4); mean 2.6 and sum 10.4 are further: a snapshot; quarters out of order
    year = [
        ("2022/23 Q4", 3.4),
        ("2022/23 Q1", 2),
        ("2022/23 Q2", 2.5),
        ("2022/23 Q3", 2.5),
        ("2022/23", 3.4),
    ]
    assert m.infer_measure_kind(history(year), "quarterly") == "snapshot"
    # every quarter equal: mean and last agree, so the year votes for neither -> default
    flat = [(f"2022/23 Q{q}", 2) for q in range(1, 5)] + [("2022/23", 2)]
    assert m.infer_measure_kind(history(flat), "quarterly") == m.DEFAULT_MEASURE_KIND
    # one snapshot year and one average year: a tie -> default
    other = [
        ("2021/22 Q1", 1),
        ("2021/22 Q2", 2),
        ("2021/22 Q3", 3),
        ("2021/22 Q4", 4),
        ("2021/22", 2.5),
    ]
    assert m.infer_measure_kind(history(year + other), "quarterly") == m.DEFAULT_MEASURE_KIND


def test_the_registers_measure_column_decides_the_kind():
    data = tiny_dataset()
    data.indicators = data.indicators.assign(measure=[None, "snapshot", ""])
    position = m.assess_in_year(data, "K", YEAR, 2, method="seasonal")
    qtr, mon = position.iloc[0], position.iloc[1]
    # QTR's past years add up (cumulative) but the register says snapshot: the latest value 14
    # against the year-end target 40, lower is better
    assert qtr["kind"] == "snapshot" and qtr["ytd_value"] == 14 and qtr["ytd_target"] == 40
    assert qtr["profile"] == "year-end target (snapshot)" and qtr["forecast"] == 14
    assert mon["kind"] == "average", "a blank measure is inferred"


def test_percent_better_than_target():
    assert m.percent_better_than_target(110, 100, "higher") == pytest.approx(10)
    assert m.percent_better_than_target(110, 100, "lower") == pytest.approx(-10)
    assert m.percent_better_than_target(-40, -50, "higher") == pytest.approx(20)
    assert math.isnan(m.percent_better_than_target(5, 0, "higher"))
    assert math.isnan(m.percent_better_than_target(5, 4, "neutral"))
    assert math.isnan(m.percent_better_than_target(np.nan, 4, "higher"))


AVERAGE_PAST = [
    ("2023/24 Q1", 80),
    ("2023/24 Q2", 80),
    ("2023/24 Q3", 80),
    ("2023/24 Q4", 80),
    ("2023/24", 80),
]


def test_average_measure_year_to_date_and_forecast():
    # mean of 70 and 80 = 75 against 80; absolute tolerance 5 -> exactly on the band edge: Amber
    got = m.assess_indicator_in_year(
        history(AVERAGE_PAST + [("2024/25 Q1", 70), ("2024/25 Q2", 80), ("2024/25 Q3", 99)]),
        80.0,
        YEAR,
        2,
        frequency="quarterly",
        polarity="higher",
        tolerance=5.0,
        tolerance_type="absolute",
        method="even",
    )
    assert got["kind"] == "average" and got["profile"] == "even"
    assert (got["periods_reported"], got["last_period"]) == (2, "2024/25 Q2")
    assert got["ytd_value"] == pytest.approx(75) and got["ytd_target"] == pytest.approx(80)
    assert got["rag"] == "Amber" and got["gap"] == pytest.approx(-6.25) and got["gap_unit"] == "%"
    assert got["forecast"] == pytest.approx(75) and got["forecast_state"] == "At risk"
    assert got["note"] == "" and got["ytd_rule"] == "mean of the quarters"
    # one complete past year: no interval, and the reason
    assert math.isnan(got["forecast_lower"]) and math.isnan(got["forecast_upper"])
    assert got["interval_note"] == "no interval: 1 complete past year, fewer than 3"


def test_a_percentage_is_better_or_worse_in_percentage_points():
    # 75% against 80%: 5 percentage points worse (6.25% of the target, as the relative rule says)
    got = m.assess_indicator_in_year(
        history(AVERAGE_PAST + [("2024/25 Q1", 70), ("2024/25 Q2", 80)]),
        80.0,
        YEAR,
        2,
        frequency="quarterly",
        polarity="higher",
        unit="%",
    )
    assert got["gap"] == pytest.approx(-5) and got["gap_unit"] == "percentage points"
    assert m.format_gap(got["gap"], "%") == "-5.0 percentage points"


def test_units_in_points_and_natural_ranges():
    assert [m.in_points(u) for u in ("%", "percentage", "per 100", "rate per 100")] == [True] * 4
    assert [m.in_points(u) for u in ("days", "per 100,000", "rate", "£", "")] == [False] * 5
    assert m.better_than_target(75, 80, "higher", "%") == pytest.approx(-5)
    assert m.better_than_target(75, 80, "higher", "days") == pytest.approx(-6.25)
    assert m.better_than_target(4, 5, "lower", "per 100") == pytest.approx(1)
    assert math.isnan(m.points_better_than_target(4, 5, "neutral"))
    assert math.isnan(m.points_better_than_target(np.nan, 5, "higher"))
    assert m.format_gap(0.04, "%") == "0.0 percentage points"
    assert m.format_gap(6.0, "days") == "+6.0%" and m.format_gap(np.nan, "%") == ""
    assert m.natural_range("%") == (0, 100)
    assert m.natural_range("score (out of 12)") == (0, 12)
    assert m.natural_range("days") == m.natural_range("per 100,000") == m.natural_range("rate")
    assert m.natural_range("rate") == (0, None)
    assert m.natural_range("£") == m.natural_range("index") == (None, None)


def numerated(rows):
    """``period, value, numerator, denominator`` rows."""
    return pd.DataFrame(rows, columns=["period", "value", "numerator", "denominator"])


def test_a_rate_with_numerators_and_denominators_is_a_ratio_of_sums():
    # Q1 45 of 50 (90%), Q2 10 of 20 (50%): year to date 55 of 70 = 78.6%, not the mean 70%;
    # the target to date, 80% both quarters, weighted alike is 80%; 1.4 points worse, within an
    # absolute tolerance of 2: Amber; forecast (even profile) 78.6%
    frame = numerated(
        [
            ("2023/24 Q1", 80, 40, 50),
            ("2023/24 Q2", 80, 40, 50),
            ("2023/24 Q3", 80, 40, 50),
            ("2023/24 Q4", 80, 40, 50),
            ("2024/25 Q1", 90, 45, 50),
            ("2024/25 Q2", 50, 10, 20),
        ]
    )
    kwargs = dict(frequency="quarterly", polarity="higher", tolerance=2.0, unit="%")
    got = m.assess_indicator_in_year(frame, 80.0, YEAR, 2, tolerance_type="absolute", **kwargs)
    assert got["ytd_rule"] == "sum of numerators / sum of denominators"
    assert got["ytd_value"] == pytest.approx(100 * 55 / 70)
    assert got["ytd_target"] == pytest.approx(80)
    assert got["gap"] == pytest.approx(100 * 55 / 70 - 80) and got["rag"] == "Amber"
    assert got["forecast"] == pytest.approx(100 * 55 / 70)
    # a missing denominator: the mean of the quarters, and the note says why
    gappy = frame.assign(denominator=[50, 50, 50, 50, 50, np.nan])
    got = m.assess_indicator_in_year(gappy, 80.0, YEAR, 2, tolerance_type="absolute", **kwargs)
    assert got["ytd_rule"] == "mean of the quarters" and got["ytd_value"] == pytest.approx(70)
    assert got["note"] == (
        "no numerator or denominator for 2024/25 Q2, so the year to date is the mean of the periods"
    )
    # numerators that do not give the values are not used either
    wrong = frame.assign(numerator=[40, 40, 40, 40, 45, 19])
    got = m.assess_indicator_in_year(wrong, 80.0, YEAR, 2, tolerance_type="absolute", **kwargs)
    assert got["ytd_rule"] == "mean of the quarters"
    assert got["note"].startswith("the numerators and denominators do not give the values")


def test_the_ratio_target_is_weighted_by_the_same_denominators():
    # seasonal profile from one past year of 60, 100 (index 0.75, 1.25 over Q1-Q2 of a flat
    # second half): targets 80 x index; Q1 target 60 over 30 cases, Q2 100 over 10 cases:
    # weighted (1800 + 1000) / 40 = 70, where the plain mean is 80
    frame = numerated(
        [
            ("2023/24 Q1", 60, 30, 50),
            ("2023/24 Q2", 100, 50, 50),
            ("2023/24 Q3", 80, 40, 50),
            ("2023/24 Q4", 80, 40, 50),
            ("2024/25 Q1", 60, 18, 30),
            ("2024/25 Q2", 100, 10, 10),
        ]
    )
    got = m.assess_indicator_in_year(
        frame, 80.0, YEAR, 2, frequency="quarterly", polarity="higher", method="seasonal"
    )
    assert got["profile"] == "seasonal" and got["ytd_value"] == pytest.approx(70)
    assert got["ytd_target"] == pytest.approx(70) and got["rag"] == "Green"


def test_the_forecast_interval_from_past_years_cut_at_the_possible_range():
    # cumulative counts, four past years whose Q1 held 24, 26, 25 and 25 of 100: shares 0.24,
    # 0.26, 0.25, 0.25 (mean 0.25, s 0.0081650); t(0.975, 3) = 3.182446; half = 3.182446 x
    # 0.0081650 x sqrt(1.25) = 0.0290515. Q1 = 30: forecast 120 (even profile, 30 / 0.25),
    # interval 30 / 0.2790515 = 107.51 to 30 / 0.2209485 = 135.78
    past = [
        (f"{y}/{(y + 1) % 100:02d} Q{q}", v)
        for y, q1 in zip(range(2020, 2024), (24, 26, 25, 25))
        for q, v in zip(range(1, 5), (q1, 25, 25, 50 - q1))
    ]
    got = m.assess_indicator_in_year(
        history(past + [("2024/25 Q1", 30)]),
        100.0,
        YEAR,
        1,
        frequency="quarterly",
        polarity="lower",
        kind="cumulative",
        unit="number",
    )
    assert got["forecast"] == pytest.approx(120)
    assert got["forecast_lower"] == pytest.approx(30 / 0.2790515, rel=1e-5)
    assert got["forecast_upper"] == pytest.approx(30 / 0.2209485, rel=1e-5)
    assert got["interval_note"] == ""
    # a percentage whose interval would pass 100: the upper end is cut there, and said
    pct = [(p, 96 + (v - 25) * 2) for p, v in past]  # 94, 98, 96, 96 ... around 96
    got = m.assess_indicator_in_year(
        history(pct + [("2024/25 Q1", 99)]),
        95.0,
        YEAR,
        1,
        frequency="quarterly",
        polarity="higher",
        kind="average",
        unit="%",
    )
    assert got["forecast_upper"] == 100 and got["interval_note"] == (
        "upper end cut at the possible range"
    )
    table = m.in_year_table(
        pd.DataFrame(
            [
                {
                    **got,
                    "indicator": "P",
                    "title": "Pct",
                    "unit": "%",
                    "polarity": "higher",
                    "service": "S",
                    "decimals": 1,
                    "frequency": "quarterly",
                    "annual_target": 95.0,
                }
            ]
        )
    )
    assert (
        table["95% interval of the forecast"]
        .iloc[0]
        .endswith("to 100.0% (upper end cut at the possible range)")
    )


CUMULATIVE_PAST = [
    ("2023/24 Q1", 5),
    ("2023/24 Q2", 15),
    ("2023/24 Q3", 10),
    ("2023/24 Q4", 10),
    ("2023/24", 40),
]


def test_cumulative_measure_even_profile():
    # running total 26 against 40 x 2/4 = 20, lower is better, band 10 % of 20 = 2 -> Red;
    # forecast 26 / 0.5 = 52 against 40 (band 4) -> Off track
    got = m.assess_indicator_in_year(
        history(CUMULATIVE_PAST + [("2024/25 Q1", 12), ("2024/25 Q2", 14)]),
        40.0,
        YEAR,
        2,
        frequency="quarterly",
        polarity="lower",
        tolerance=0.1,
        tolerance_type="relative",
    )
    assert got["kind"] == "cumulative"
    assert (got["ytd_value"], got["ytd_target"]) == (pytest.approx(26), pytest.approx(20))
    assert got["rag"] == "Red" and got["gap"] == pytest.approx(-30)
    assert got["forecast"] == pytest.approx(52) and got["forecast_state"] == "Off track"


def test_cumulative_measure_seasonal_profile_from_past_years():
    # past shares 5/40 = 0.125 for Q1: Q1 target 40 x 0.125 = 5; forecast 12 / 0.125 = 96
    got = m.assess_indicator_in_year(
        history(CUMULATIVE_PAST + [("2024/25 Q1", 12)]),
        40.0,
        YEAR,
        1,
        frequency="quarterly",
        polarity="lower",
        tolerance=0.1,
        tolerance_type="relative",
        method="seasonal",
    )
    assert got["profile"] == "seasonal"
    assert got["ytd_target"] == pytest.approx(5) and got["forecast"] == pytest.approx(96)


def test_a_seasonal_percentage_target_never_passes_100():
    # past quarters 96, 100, 100, 104 of a % (index 0.96, 1, 1, 1.04): unbounded, a 100% target
    # profiles to 96, 100, 100, 104 (Q4 impossible), so the target to Q3 is 98.67; bounded it is
    # 100 every quarter
    past = [
        ("2023/24 Q1", 96),
        ("2023/24 Q2", 100),
        ("2023/24 Q3", 100),
        ("2023/24 Q4", 104),
        ("2023/24", 100),
    ]
    frame = history(past + [(f"2024/25 Q{q}", 100) for q in range(1, 4)])
    kwargs = dict(frequency="quarterly", polarity="higher", method="seasonal")
    bounded = m.assess_indicator_in_year(frame, 100.0, YEAR, 3, upper_bound=100.0, **kwargs)
    assert bounded["kind"] == "average" and bounded["profile"] == "seasonal"
    assert bounded["ytd_target"] == pytest.approx(100)
    unbounded = m.assess_indicator_in_year(frame, 100.0, YEAR, 3, **kwargs)
    assert unbounded["ytd_target"] == pytest.approx(296 / 3)
    assert m.UPPER_BOUNDS["%"] == 100.0


def test_seasonal_profile_without_a_complete_past_year_falls_back_to_even_and_says_so():
    got = m.assess_indicator_in_year(
        history([("2024/25 Q1", 12)]),
        40.0,
        YEAR,
        1,
        frequency="quarterly",
        polarity="lower",
        method="seasonal",
    )
    # no past year either: an average measure, so the even profile keeps the annual level
    assert got["profile"] == "even (no complete past year)" and got["kind"] == "average"
    assert got["ytd_target"] == pytest.approx(40)


def test_no_value_in_the_year_gives_no_data_with_the_symbol_reason():
    frame = history(AVERAGE_PAST + [("2024/25 Q1", np.nan)]).assign(
        value_symbol=[None] * 5 + ["[x]"]
    )
    got = m.assess_indicator_in_year(frame, 80.0, YEAR, 1, frequency="quarterly", polarity="higher")
    assert got["rag"] == "No data" and got["forecast_state"] == "No data"
    assert got["note"] == "no value to 2024/25 Q1 ([x] not available)"


def test_gap_before_the_latest_value_gives_no_data_naming_the_gap():
    got = m.assess_indicator_in_year(
        history(AVERAGE_PAST + [("2024/25 Q1", np.nan), ("2024/25 Q2", 80)]),
        80.0,
        YEAR,
        2,
        frequency="quarterly",
        polarity="higher",
    )
    assert got["rag"] == "No data" and got["note"] == "no value for 2024/25 Q1"
    assert math.isnan(got["forecast"])


def test_latest_value_before_the_quarter_is_used_and_noted():
    got = m.assess_indicator_in_year(
        history(AVERAGE_PAST + [("2024/25 Q1", 84)]),
        80.0,
        YEAR,
        2,
        frequency="quarterly",
        polarity="higher",
    )
    assert got["last_period"] == "2024/25 Q1" and got["rag"] == "Green"
    assert got["note"] == "latest value is for 2024/25 Q1"
    assert got["forecast"] == pytest.approx(84) and got["forecast_state"] == "On track"


def test_no_target_still_forecasts():
    got = m.assess_indicator_in_year(
        history(AVERAGE_PAST + [("2024/25 Q1", 84)]),
        np.nan,
        YEAR,
        1,
        frequency="quarterly",
        polarity="higher",
    )
    assert got["rag"] == "No target" and got["forecast_state"] == "No target"
    assert got["forecast"] == pytest.approx(84)


def tiny_dataset():
    register = pd.DataFrame(
        {
            "code": ["ANN", "QTR", "MON"],
            "title": ["Annual", "Quarterly", "Monthly"],
            "unit": ["%", "days", "%"],
            "polarity": ["higher", "lower", "higher"],
            "frequency": ["annual", "quarterly", "monthly"],
            "service": ["S1", "S1", "S3"],
            "tolerance": [0.05, 0.1, np.nan],
            "tolerance_type": ["relative", "relative", None],
            "decimals": [1, 1, 0],
        }
    )
    this_year = [("2024/25 Q1", 12), ("2024/25 Q2", 14)]
    quarterly = [("QTR", p, v) for p, v in CUMULATIVE_PAST + this_year]
    monthly = [("MON", f"2024-{mm:02d}", v) for mm, v in ((4, 50), (5, 60), (6, 70))]
    rows = [("K", i, p, v) for i, p, v in quarterly + monthly + [("ANN", YEAR, 1.0)]]
    values = pd.DataFrame(rows, columns=["authority", "indicator", "period", "value"])
    targets = pd.DataFrame(
        {
            "authority": ["K", "K", "K"],
            "indicator": ["QTR", "MON", "ANN"],
            "period": [YEAR, YEAR, YEAR],
            "target": [40.0, 50.0, 2.0],
        }
    )
    return SimpleNamespace(indicators=register, indicator_values=values, targets=targets)


def test_assess_in_year_covers_every_quarterly_and_monthly_pi():
    position = m.assess_in_year(tiny_dataset(), "K", YEAR, 2, method="even")
    assert position["indicator"].tolist() == ["QTR", "MON"]
    qtr, mon = position.iloc[0], position.iloc[1]
    assert qtr["rag"] == "Red" and qtr["forecast_state"] == "Off track"
    # monthly: no past year -> average; mean of April-June 60 against 50, higher is better
    assert mon["kind"] == "average" and mon["ytd_value"] == pytest.approx(60)
    assert mon["rag"] == "Green" and mon["note"] == "latest value is for 2024-06"
    table = m.in_year_table(position)
    # a unit in words (days) is in the indicator's name, not after the number
    assert table["Year to date (to)"].tolist() == ["26.0 (2024/25 Q2)", "60% (2024-06)"]
    assert table["Against profile"].tolist() == ["✖ Red", "✔ Green"]


def test_forecast_counts_exceptions_and_sentences():
    position = pd.DataFrame(
        {
            "indicator": ["A", "B", "C", "D"],
            "title": ["Ay", "Bee", "See", "Dee"],
            "forecast_state": ["At risk", "Off track", "On track", "No target"],
            "rag": ["Amber", "Red", "Green", "No target"],
            "unit": ["days", "days", "days", "%"],
            "gap": [-2.0, -10.0, 4.0, np.nan],
        }
    )
    counts = m.count_forecast_states(position)
    assert counts[["On track", "At risk", "Off track", "No target"]].tolist() == [1, 1, 1, 1]
    exceptions = m.forecast_exceptions(position)
    assert exceptions["indicator"].tolist() == ["B", "A"]
    assert m.describe_in_year(position, "2024/25 Q2") == (
        "At 2024/25 Q2, of 3 quarterly and monthly indicators with a year-end forecast and "
        "target: 1 on track, 1 at risk and 1 off track. "
        "Of 4 quarterly and monthly indicators against their profiled target to 2024/25 Q2: "
        "1 on target (Green), 1 within tolerance (Amber), 1 beyond tolerance (Red), 0 no data "
        "and 1 no target."
    )
    assert m.describe_forecast_exceptions(exceptions, "2024/25 Q2") == (
        "At 2024/25 Q2, 2 indicators may miss their year-end target (off track: Bee; at risk: Ay)."
    )
    assert m.describe_forecast_exceptions(exceptions.iloc[0:0], "Q").endswith("year-end target.")
    assert m.describe_ytd_gap(position) == (
        "Of 3 indicators with a year-to-date value and target, 1 is on or better than their "
        "profiled target. In % of the target, furthest behind: Bee (-10.0%); furthest ahead: "
        "See (+4.0%)."
    )
    # percentages are compared in points, apart from the rest; one of a kind is named alone
    mixed = position.assign(unit=["%", "days", "days", "%"])
    assert m.describe_ytd_gap(mixed) == (
        "Of 3 indicators with a year-to-date value and target, 1 is on or better than their "
        "profiled target. In percentage points: Ay (-2.0 percentage points). In % of the target, "
        "furthest behind: Bee (-10.0%); furthest ahead: See (+4.0%)."
    )


def quarterly_report(data, position, *, council="K", quarter=2, method="even", spc_indicators=()):
    """A :class:`~perfeval.sections.monitoring.QuarterlyReport` without a report context (the
    sections tested here do not read it)."""
    params = {
        "council": council,
        "year": YEAR,
        "quarter": quarter,
        "profile_method": method,
        "spc_indicators": list(spc_indicators),
    }
    return m.QuarterlyReport(
        data=data,
        params=params,
        context={},
        as_at=m.quarter_label(YEAR, quarter),
        position=position,
    )


def test_forecast_section_names_the_exceptions_and_offers_the_counts():
    position = m.assess_in_year(tiny_dataset(), "K", YEAR, 2, method="even")
    section = m.forecast_section(quarterly_report(tiny_dataset(), position))
    assert texts(section) == [
        "At 2024/25 Q2, 1 indicator may miss its year-end target (off track: Quarterly)."
    ]
    chart, table = section.blocks[1], section.blocks[2]
    assert chart.alt.startswith("Of 2 quarterly and monthly indicators")
    assert table.caption == (
        "Indicators forecast off track or at risk at 2024/25 Q2, off track first"
    )
    assert table.row_header == "Indicator" and [r[0] for r in table.rows] == ["Quarterly (days)"]
    counts, description = section.figures["forecast_states"]
    assert dict(zip(counts["forecast"], counts["indicators"]))["Off track"] == 1
    assert description.endswith("against the annual target, at 2024/25 Q2")


def test_year_to_date_section_computes_its_sentence_once_and_notes_the_profile_method():
    position = m.assess_in_year(tiny_dataset(), "K", YEAR, 2, method="even")
    section = m.year_to_date_section(quarterly_report(tiny_dataset(), position))
    assert texts(section) == [m.describe_in_year(position, "2024/25 Q2")]
    assert section.blocks[1].alt == m.describe_ytd_gap(position)
    table = section.blocks[2]
    assert table.note == " ".join(
        [m.PROFILE_METHOD_TEXT["even"], m.KIND_METHOD, m.profiling.RATIO_METHOD, m.GAP_METHOD]
    )
    assert [r[0] for r in table.rows] == ["Quarterly (days)", "Monthly (%)"]
    offered = section.figures["in_year_position"][0]
    assert offered.columns.tolist() == m.IN_YEAR_FIGURE_COLUMNS and len(offered) == 2


def test_plot_ytd_gap_draws_one_labelled_bar_per_assessed_pi():
    position = pd.DataFrame(
        {
            "indicator": ["A", "B", "C"],
            "title": ["Ay", "Bee", "See"],
            "rag": ["Amber", "Red", "No data"],
            "gap": [-2.0, -10.0, np.nan],
            "gap_unit": ["percentage points", "%", "%"],
        }
    )
    fig = charts_monitoring.plot_ytd_gap(position, title="t")
    # two panels, as percentage points and % of the target share no axis
    points, percent = fig.axes
    assert len(points.patches) == 1 and len(percent.patches) == 1
    assert [t.get_text() for t in points.texts] == [" ▲ Amber (-2.0 points) "]
    assert [t.get_text() for t in percent.texts] == [" ✖ Red (-10.0%) "]
    assert points.get_xlabel().startswith("Percentages: percentage points")
    assert [t.get_text() for t in points.get_yticklabels()] == ["Ay"]
    # one kind only: one panel
    assert len(charts_monitoring.plot_ytd_gap(position.iloc[1:], title="t").axes) == 1


# --------------------------------------------------------------------------- SPC


def test_spc_series_takes_one_kind_up_to_the_quarter_in_time_order():
    values = pd.DataFrame(
        {
            "indicator": ["Q", "Q", "Q", "Q", "Q", "M"],
            "period": [
                "2024/25 Q2",
                "2023/24 Q4",
                "2024/25 Q3",
                "2024/25",
                "2024/25 Q1",
                "2024-05",
            ],
            "value": [2.0, 0.0, 3.0, 9.0, 1.0, 5.0],
        }
    )
    series = m.spc_series(values, "Q", "quarterly", YEAR, 2)
    assert series.index.tolist() == ["2023/24 Q4", "2024/25 Q1", "2024/25 Q2"]
    assert series.tolist() == [0.0, 1.0, 2.0]
    assert m.spc_series(values, "M", "monthly", YEAR, 1).tolist() == [5.0]


def test_spc_target_per_period():
    assert m.spc_target(40.0, "cumulative", "quarterly") == pytest.approx(10)
    assert m.spc_target(40.0, "average", "monthly") == pytest.approx(40)
    assert m.spc_target(np.nan, "average", "monthly") is None


def spc_position(target=20.0):
    return pd.DataFrame(
        {
            "indicator": ["Q"],
            "title": ["Queue"],
            "unit": ["%"],
            "decimals": [1],
            "polarity": ["higher"],
            "frequency": ["quarterly"],
            "annual_target": [target],
            "kind": ["average"],
        }
    )


def spc_data():
    periods = [f"{2021 + i // 4}/{(22 + i // 4) % 100:02d} Q{i % 4 + 1}" for i in range(14)]
    values = pd.DataFrame(
        {"authority": "K", "indicator": "Q", "period": periods, "value": [10.0, 12.0] * 7}
    )
    return SimpleNamespace(indicator_values=values)


def test_spc_overview_limits_variation_and_assurance():
    # 13 points to 2024/25 Q1 alternating 10, 12 (seven 10s, six 12s): mean 142 / 13; every
    # moving range 2, limits mean +/- 2.66 x 2 = mean +/- 5.32; a target of 20 lies above the
    # upper limit and higher is better -> consistently missed
    overview = m.spc_overview(spc_data(), "K", ["Q"], YEAR, 1, spc_position())
    row = overview["summary"].iloc[0]
    assert row["points"] == 13 and row["last_period"] == "2024/25 Q1"
    assert row["mean"] == pytest.approx(142 / 13)
    assert row["lpl"] == pytest.approx(142 / 13 - 5.32)
    assert row["upl"] == pytest.approx(142 / 13 + 5.32)
    assert row["variation"] == "Common cause"
    assert row["assurance"] == "Target consistently missed"
    assert not row["provisional_limits"]
    assert row["sentence"].startswith("Queue: the latest value shows only common-cause")
    assert "the target of 20% lies above" not in row["sentence"]
    assert row["sentence"].endswith(
        "worse side of the target of 20%, so it will be missed consistently."
    )
    assert row["limits_cut"] == "" and row["upl"] == row["upl_calculated"]
    table = m.spc_table(overview["summary"])
    assert table["Points"].iloc[0] == "13 (2021/22 Q1 to 2024/25 Q1)"
    assert table["Limits"].iloc[0] == "firm"
    fig = charts_monitoring.plot_xmr_panels(overview)
    assert len(fig.axes) == 1 and "consistently missed" in fig.axes[0].get_title()


def test_spc_section_lists_what_the_charts_say_and_offers_the_summary():
    section = m.spc_section(
        quarterly_report(spc_data(), spc_position(), council="K", quarter=1, spc_indicators=["Q"])
    )
    assert [b.kind for b in section.blocks] == ["bullets", "chart", "table"]
    assert section.blocks[0].heading == "What the charts say"
    assert section.blocks[0].items[0].startswith("Queue: ")
    assert section.blocks[1].alt == section.blocks[0].items[0]
    assert section.blocks[2].rows[0][1] == "13 (2021/22 Q1 to 2024/25 Q1)"
    summary, description = section.figures["spc_summary"]
    assert summary.columns.tolist() == m.SPC_FIGURE_COLUMNS and summary["points"].tolist() == [13]
    assert description == (
        "XmR chart mean, process limits (as shown, within the measure's range, and as "
        "calculated), targets, variation and assurance, all points to 2024/25 Q1"
    )


def test_spc_overview_leaves_out_an_indicator_the_council_does_not_report_and_says_so():
    # another council ("L") has no values for Q: nothing to chart, one sentence says why
    overview = m.spc_overview(spc_data(), "L", ["Q"], YEAR, 1, spc_position())
    assert overview["charts"] == {} and overview["summary"].empty
    assert list(overview["summary"].columns) == m.SPC_SUMMARY_COLUMNS
    assert overview["not_charted"] == ["Queue"]
    assert overview["sentences"] == [
        "Not charted, as this council has no value for it to 2024/25 Q1: Queue."
    ]
    assert charts_monitoring.plot_xmr_panels(overview) is None


def test_spc_limits_beyond_100_percent_are_shown_at_100_and_said():
    # 14 quarters alternating 96, 99: mean 97.5, limits 97.5 +/- 2.66 x 3 = 89.52 to 105.48
    periods = [f"{2021 + i // 4}/{(22 + i // 4) % 100:02d} Q{i % 4 + 1}" for i in range(14)]
    values = pd.DataFrame(
        {"authority": "K", "indicator": "Q", "period": periods, "value": [96.0, 99.0] * 7}
    )
    data = SimpleNamespace(indicator_values=values)
    overview = m.spc_overview(data, "K", ["Q"], "2024/25", 2, spc_position(target=98.0))
    row = overview["summary"].iloc[0]
    assert row["upl"] == 100 and row["upl_calculated"] == pytest.approx(105.48)
    assert (
        row["limits_cut"] == "upper"
        and row["assurance"] == "Target met inconsistently (hit and miss)"
    )
    assert "lies within the process limits (89.5% to 100%)" in row["sentence"]
    assert m.spc_table(overview["summary"])["Process limits"].iloc[0] == "89.5% to 100.0%"
    assert m.describe_cut_limits(overview["summary"]) == (
        "Limits cut at the measure's possible range: Queue: upper limit shown at 100.0% "
        "(calculated 105.5%)."
    )
    assert m.describe_cut_limits(overview["summary"].assign(limits_cut="")) == ""
    # the chart draws the limit at 100
    ax = charts_monitoring.plot_xmr_panels(overview).axes[0]
    assert max(max(ln.get_ydata()) for ln in ax.lines if ln.get_linestyle() == "--") == 100


def test_every_target_an_spc_sentence_quotes_is_in_the_spc_table():
    # a cumulative PI: the quarterly target 2.24 is the annual 8.97 over 4 quarters; both in the
    # table of the same section
    position = spc_position(target=8.97).assign(
        unit=["days"], decimals=[2], polarity=["lower"], kind=["cumulative"]
    )
    data = spc_data()
    data.indicator_values["value"] = [2.0, 2.5] * 7
    section = m.spc_section(
        quarterly_report(data, position, council="K", quarter=1, spc_indicators=["Q"])
    )
    sentence = section.blocks[0].items[0]
    assert "the quarterly target of 2.24 (the annual target of 8.97 over 4 quarters)" in sentence
    table = table_of(section, 0)
    assert table["Annual target"].iloc[0] == "8.97"
    assert table["Target per quarter or month"].iloc[0] == "2.24"
    assert table.index.tolist() == ["Queue (days)"], "titles from the register, not codes"
    for number in re.findall(r"target of ([\d.]+)", sentence):
        assert number in table.iloc[0].tolist()
    assert m.spc_target_words(None, position.iloc[0], "", 2) is None
    average = position.iloc[0].copy()
    average["kind"] = "average"
    assert m.spc_target_words(8.97, average, "", 2) == "the target of 8.97"


def test_spc_overview_rejects_annual_indicators():
    with pytest.raises(AnalysisError, match=r"\['ANN'\] are not"):
        m.spc_overview(spc_data(), "K", ["ANN"], YEAR, 1, spc_position())


# --------------------------------------------------------------------------- finance


def finance_data(periods=("2024/25 Q1", "2024/25 Q2")):
    rows = []
    for service, forecast in (("S1", 1_100_000.0), ("S2", 990_000.0)):
        for period in periods:
            rows.append(("K", service, period, 1_000_000.0, forecast, 250_000.0))
    budget = pd.DataFrame(
        rows, columns=["authority", "service", "period", "budget", "forecast_outturn", "actual"]
    )
    return SimpleNamespace(budget=budget)


FINANCE_POSITION = pd.DataFrame({"service": ["S1", "S3", "S3"], "rag": ["Red", "Green", "Amber"]})


def texts(section):
    return [b.text for b in section.blocks if b.kind == "text"]


def table_of(section, index=0):
    """The ``index``-th table of a section as a frame of its cell texts, by its row header."""
    table = [b for b in section.blocks if b.kind == "table"][index]
    return pd.DataFrame(list(table.rows), columns=list(table.columns)).set_index(table.row_header)


def test_finance_section_joins_variance_and_pi_rag_by_service():
    # S1: 1,100,000 - 1,000,000 = +100,000 (10 %): beyond £50,000 and 5 % -> Red
    # S2: -10,000 (-1 %) -> Green; S3 has PIs but no budget row
    section = m.finance_section(
        quarterly_report(finance_data(), FINANCE_POSITION, council="K", quarter=2)
    )
    joined = section.figures["finance_and_pi_rag"][0].set_index("service")
    assert joined.loc["S1", "forecast_variance"] == pytest.approx(100_000)
    assert joined.loc["S1", "forecast_rag"] == "Red" and joined.loc["S1", "pis_red"] == 1
    assert joined.loc["S2", "forecast_rag"] == "Green" and joined.loc["S2", "pis"] == 0
    assert joined.loc["S3", "forecast_rag"] == "Not rated" and joined.loc["S3", "pis"] == 2
    budget_sentence, joined_sentence = texts(section)
    assert "forecast overspend" in budget_sentence
    assert joined_sentence == (
        "At 2024/25 Q2, 1 of 2 services with a budget has a forecast variance rated Red: S1. "
        "S1 also has quarterly or monthly indicators red against their profiled target to date."
    )
    assert [b.kind for b in section.blocks] == ["text", "text", "chart", "table"]
    assert section.blocks[2].alt == budget_sentence
    display = table_of(section)
    assert display.loc["S1", "Variance (£000)"] == "100"
    assert display.loc["S1", "Variance (%)"] == "10.0%"
    assert display.loc["S1", "Budget status"] == "Overspend: Red"
    assert display.loc["S3", "Budget status"] == "No budget row: Not rated"
    budget, description = section.figures["budget_position"]
    assert budget["service"].tolist() == ["S1", "S2"]
    assert description == "Budget, forecast outturn and variance by service at 2024/25 Q2 (£)"


def test_a_red_service_without_quarterly_pis_is_not_said_to_have_none_red():
    # S1 Red with no quarterly PI at all; S2 Red with PIs none red; S3 Red with a red PI
    joined = pd.DataFrame(
        {
            "service": ["S1", "S2", "S3", "S4"],
            "annual_budget": [1.0, 1.0, 1.0, 1.0],
            "forecast_rag": ["Red", "Red", "Red", "Green"],
            "pis": [0, 2, 1, 0],
            "pis_red": [0, 0, 1, 0],
        }
    )
    assert m.describe_finance_and_performance(joined, "Q2") == (
        "At Q2, 3 of 4 services with a budget have a forecast variance rated Red: S1, S2 and "
        "S3. S3 also has quarterly or monthly indicators red against their profiled target to "
        "date. S2 has quarterly or monthly indicators, none red against its profiled target to "
        "date. S1 has no quarterly or monthly indicator to set beside the budget."
    )
    only = joined.iloc[[0, 3]]
    assert m.describe_finance_and_performance(only, "Q2") == (
        "At Q2, 1 of 2 services with a budget has a forecast variance rated Red: S1. S1 has no "
        "quarterly or monthly indicator to set beside the budget."
    )


def test_finance_without_budget_rows_for_the_year_still_shows_the_pis():
    section = m.finance_section(
        quarterly_report(finance_data(("2023/24 Q1",)), FINANCE_POSITION, council="K", quarter=1)
    )
    assert section.figures["budget_position"][0].empty
    assert section.figures["finance_and_pi_rag"][0]["service"].tolist() == ["S1", "S3"]
    budget_sentence, joined_sentence = texts(section)
    assert budget_sentence == "No budget monitoring data for 2024/25 Q1."
    assert joined_sentence.startswith("At 2024/25 Q1 no service's forecast variance")
    assert "chart" not in [b.kind for b in section.blocks]
    assert table_of(section).index.tolist() == ["S1", "S3"]


def test_finance_section_says_when_the_folder_has_no_budget_of_the_council():
    # Chelmsford (E07000070) has no row in the bundled budget.csv
    from perfeval.data.loader import load_dataset

    data = load_dataset("")
    assert m.quarter_budget_monitoring(data, "E07000070", YEAR, 3).empty
    section = m.finance_section(
        quarterly_report(data, FINANCE_POSITION, council="E07000070", quarter=3)
    )
    assert texts(section)[0] == (
        "No budget monitoring figures are in the bundled sample data for Chelmsford, so this "
        "report has no budget against forecast outturn."
    )


def test_quarterly_method_notes():
    notes = m.quarterly_method_notes("even")
    assert notes[0] == m.PROFILE_METHOD_TEXT["even"] and any("£50,000" in n for n in notes)
    with pytest.raises(AnalysisError, match="method must be one of"):
        m.quarterly_method_notes("flat")


# --------------------------------------------------------------------------- parameter checks


def test_schema_rejects_unknown_services_and_annual_spc_indicators():
    from perfeval.core.exceptions import ParameterError
    from perfeval.run.parameters import validate_parameters

    with pytest.raises(ParameterError, match=r"services.*unknown service\(s\) \['Wast'\]"):
        validate_parameters("end_of_year_review", {"services": ["Wast"]})
    assert validate_parameters("end_of_year_review", {"services": ["Planning"]})["services"] == [
        "Planning"
    ]
    with pytest.raises(ParameterError, match=r"\['NI192'\] are not quarterly or monthly"):
        validate_parameters("quarterly_monitoring", {"spc_indicators": ["HB01", "NI192"]})
    with pytest.raises(ParameterError, match="at least one"):
        validate_parameters("quarterly_monitoring", {"spc_indicators": []})


def test_quarter_check_needs_quarterly_or_monthly_values_for_the_council():
    from perfeval.run.schemas import check_quarter_has_data

    values = {"council": "E06000017", "year": YEAR, "data_dir": ""}
    assert check_quarter_has_data(4, values) is None
    # Oxfordshire County Council (E10000025) has only annual adult social care values in the
    # bundled data (counties are not housing authorities, so it has no H-CLIC HO01 quarters)
    problem = check_quarter_has_data(1, {**values, "council": "E10000025"})
    assert "no quarterly or monthly values for E10000025 in 2024/25" in problem
