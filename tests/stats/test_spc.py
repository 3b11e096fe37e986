"""Tests for perfeval.stats.spc: XmR charts with NHS Making Data Count rules.

Most tests use one hand-worked series, ``BASE = [10, 12] * 7`` (14 points), with the limits fixed on
those 14 points (``baseline=14``) so that points added after them do not move the limits:

    mean            = (7 x 10 + 7 x 12) / 14                = 11
    moving ranges   = 13 x |12 - 10|                        = 2 each, mean 2 (none >= 3.267 x 2)
    process limits  = 11 -/+ 2.66 x 2                       = 5.68 and 16.32
    near limits     = 11 -/+ (2/3 x 2.66) x 2 = 11 -/+ 3.5467 = 7.4533 and 14.5467

The last point of BASE (row 13) is 12, above the mean, which matters for runs that follow it.
Reference values from NHSRplotthedots' own test suite are cited where used.
"""

from __future__ import annotations

import math
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from perfeval.core.exceptions import AnalysisError
from perfeval.present.charts import plot_xmr
from perfeval.stats.spc import (
    ProvisionalLimitsWarning,
    _format_number,
    classify_assurance,
    classify_variation,
    describe_variation_and_assurance,
    explain_point,
    truncate_limits,
    xmr,
)

matplotlib.use("Agg")

BASE = [10.0, 12.0] * 7
MEAN, LPL, UPL = 11.0, 11 - 2.66 * 2, 11 + 2.66 * 2
NEAR_LPL, NEAR_UPL = 11 - 2 * 2.66 / 3 * 2, 11 + 2 * 2.66 / 3 * 2


def chart(extra, **kwargs):
    """BASE followed by ``extra``, limits fixed on BASE; quiet about short charts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalLimitsWarning)
        return xmr(BASE + list(extra), baseline=kwargs.pop("baseline", 14), **kwargs)


def flagged(result):
    """{row position: rule} for every special-cause point (checking flags agree with rules)."""
    assert (result["special_cause"] == (result["rule"] != "")).all()
    assert (result["special_cause"] == (result["direction"] != "")).all()
    return {i: r for i, (s, r) in enumerate(zip(result["special_cause"], result["rule"])) if s}


# --------------------------------------------------------------------------- limits


def test_limits_match_hand_worked_example():
    values = [5, 7, 6, 9, 8, 6, 7, 5, 6, 8, 7, 6, 9]
    mean = 89 / 13  # 5+7+6+9+8+6+7+5+6+8+7+6+9 = 89
    mean_mr = (2 + 1 + 3 + 1 + 2 + 1 + 2 + 1 + 2 + 1 + 1 + 3) / 12  # = 20/12; max 3 < 3.267 x 5/3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 13 points: no provisional-limits warning
        result = xmr(values)
    assert list(result.columns[:11]) == [
        "value",
        "period",
        "in_baseline",
        "moving_range",
        "moving_range_used",
        "mean_moving_range",
        "mean",
        "lpl",
        "upl",
        "near_lpl",
        "near_upl",
    ]
    assert result["mean"].tolist() == pytest.approx([mean] * 13)
    assert result["mean_moving_range"].iloc[0] == pytest.approx(mean_mr)
    assert result["lpl"].iloc[0] == pytest.approx(mean - 2.66 * mean_mr)
    assert result["upl"].iloc[0] == pytest.approx(mean + 2.66 * mean_mr)
    assert result["near_lpl"].iloc[0] == pytest.approx(mean - 2 / 3 * 2.66 * mean_mr)
    assert result["near_upl"].iloc[0] == pytest.approx(mean + 2 / 3 * 2.66 * mean_mr)
    assert result["moving_range"].tolist()[1:] == [2, 1, 3, 1, 2, 1, 2, 1, 2, 1, 1, 3]
    assert math.isnan(result["moving_range"].iloc[0])
    assert not result["special_cause"].any()
    assert set(result["rule"]) == {""} and set(result["point_type"]) == {"common_cause"}


def test_base_series_limits():
    result = chart([])
    assert result[["mean", "lpl", "upl", "near_lpl", "near_upl"]].iloc[0].tolist() == pytest.approx(
        [MEAN, LPL, UPL, NEAR_LPL, NEAR_UPL]
    )
    assert result["mean_moving_range"].iloc[0] == pytest.approx(2)
    assert flagged(result) == {}


def test_reference_values_from_nhsrplotthedots():
    # NHSRplotthedots tests/testthat/test-ptd_spc_standard.R and _snaps/ptd_spc_standard.md:
    # y = R's set.seed(123); rnorm(20). r1: as is; r2, r3: y[15] <- 10, screened and not.
    y = [
        -0.56047565,
        -0.23017749,
        1.55870831,
        0.07050839,
        0.12928774,
        1.71506499,
        0.46091621,
        -1.26506123,
        -0.68685285,
        -0.44566197,
        1.22408180,
        0.35981383,
        0.40077145,
        0.11068272,
        -0.55584113,
        1.78691314,
        0.49785048,
        -1.96661716,
        0.70135590,
        -0.47279141,
    ]
    r1 = xmr(y)
    assert r1[["mean", "lpl", "upl"]].iloc[0].tolist() == pytest.approx(
        [0.1416238, -3.01138, 3.294627], rel=1e-6
    )
    assert set(r1["point_type"]) == {"common_cause"}  # _snaps/ptd_spc.md: 20 common cause
    y[14] = 10
    r2, r3 = xmr(y), xmr(y, screen_outliers=False)
    assert r2[["mean", "lpl", "upl"]].iloc[0].tolist() == pytest.approx(
        [0.6694159, -2.383666, 3.722497], rel=1e-6
    )
    assert r3[["mean", "lpl", "upl"]].iloc[0].tolist() == pytest.approx(
        [0.6694159, -4.596625, 5.935457], rel=1e-6
    )
    # _snaps/ptd_spc.md: two facets of 10 points each, printed to 3 significant figures;
    # separate facets and rebased periods are computed alike.
    y[14] = -0.55584113
    with pytest.warns(ProvisionalLimitsWarning):
        r4 = xmr(y, rebase_at=[10])
    summary = r4.groupby("period")[["mean", "lpl", "upl"]].first()
    printed = [[0.0746, -2.60, 2.75], [0.209, -3.28, 3.70]]
    assert [[float(f"{v:.3g}") for v in row] for row in summary.to_numpy()] == printed


# --------------------------------------------------------------------------- the four rules


@pytest.mark.parametrize(
    "improvement, expected",
    [
        ("increase", "special_cause_improvement"),
        ("decrease", "special_cause_concern"),
        ("neutral", "special_cause_neutral"),
    ],
)
def test_point_above_upper_limit(improvement, expected):
    result = chart([17], improvement=improvement)  # 17 > 16.32
    assert flagged(result) == {14: "outside_limits"}
    assert result["direction"].iloc[14] == "high"
    assert result["point_type"].iloc[14] == expected


@pytest.mark.parametrize(
    "improvement, expected",
    [
        ("increase", "special_cause_concern"),
        ("decrease", "special_cause_improvement"),
        ("neutral", "special_cause_neutral"),
    ],
)
def test_point_below_lower_limit(improvement, expected):
    result = chart([5], improvement=improvement)  # 5 < 5.68
    assert flagged(result) == {14: "outside_limits"}
    assert result["direction"].iloc[14] == "low"
    assert result["point_type"].iloc[14] == expected


def test_point_just_inside_limits_is_common_cause():
    result = chart([16.3, 11, 5.7])  # 16.3 < 16.32 and 5.7 > 5.68; alone near a limit
    assert flagged(result) == {}


def test_shift_needs_seven_points_on_one_side():
    # row 13 (12) is above the mean, so 5 more 12s make a run of 6: no signal
    assert flagged(chart([12] * 5)) == {}
    result = chart([12] * 6, improvement="decrease")  # rows 13-19: a run of 7 above the mean
    assert flagged(result) == {i: "shift" for i in range(13, 20)}
    assert set(result["point_type"].iloc[13:]) == {"special_cause_concern"}
    assert result["in_baseline"].iloc[13] and not result["in_baseline"].iloc[14]


def test_shift_is_broken_by_a_point_on_the_mean():
    assert flagged(chart([12, 12, 12, 11, 12, 12, 12])) == {}  # 11 is the mean


def test_points_on_the_mean_are_not_a_shift():
    assert flagged(chart([11] * 7)) == {}


def test_shift_below_the_mean_longer_than_seven():
    result = chart([10.5] * 8)  # rows 14-21: 8 points below 11
    assert flagged(result) == {i: "shift" for i in range(14, 22)}
    assert set(result["point_type"].iloc[14:]) == {"special_cause_concern"}


@pytest.mark.parametrize(
    "improvement, expected",
    [("increase", "special_cause_improvement"), ("decrease", "special_cause_concern")],
)
def test_rising_trend_of_seven(improvement, expected):
    # rows 14-20 rise strictly (row 13 is 12, so 12 -> 9 falls); 4 below and 3 above the mean,
    # none beyond a near limit: only the trend rule fires
    result = chart([9, 9.5, 10, 10.5, 11.5, 12, 12.5], improvement=improvement)
    assert flagged(result) == {i: "trend" for i in range(14, 21)}
    assert set(result["direction"].iloc[14:]) == {"high"}
    assert set(result["point_type"].iloc[14:]) == {expected}


def test_falling_trend_of_seven_is_a_concern_when_higher_is_better():
    result = chart([13, 12.5, 12, 11.5, 10.5, 10, 9.5])  # row 13 (12) -> 13 rises
    assert flagged(result) == {i: "trend" for i in range(14, 21)}
    assert set(result["point_type"].iloc[14:]) == {"special_cause_concern"}


def test_trend_needs_seven_strictly_moving_points():
    assert flagged(chart([9.5, 10, 10.5, 11.5, 12, 12.5])) == {}  # six rising points
    assert flagged(chart([9, 9.5, 10, 10, 10.5, 11.5, 12, 12.5])) == {}  # a repeat breaks it


def test_two_of_three_near_the_upper_limit():
    # 15 lies between the near limit 14.55 and the limit 16.32; rows 14-16 all above the mean
    result = chart([15, 12, 15])
    assert flagged(result) == {14: "two_in_three", 16: "two_in_three"}  # not the middle point
    assert set(result["point_type"].iloc[[14, 16]]) == {"special_cause_improvement"}
    assert flagged(chart([15, 15])) == {14: "two_in_three", 15: "two_in_three"}


def test_two_of_three_needs_all_three_on_one_side():
    assert flagged(chart([15, 10, 15])) == {}  # the middle point is below the mean
    assert flagged(chart([15, 7])) == {}  # near opposite limits (NHSRplotthedots issue #143)
    assert flagged(chart([15, 11, 15])) == {}  # the middle point is on the mean, on no side


def test_two_of_three_does_not_count_points_outside_the_limits():
    # 17 is outside the limits, so only one point (15) is near a limit (NHSRplotthedots #153)
    assert flagged(chart([17, 15, 12])) == {14: "outside_limits"}


def test_two_of_three_on_opposite_sides_reference_case():
    # NHSRplotthedots test-ptd_spc_standard.R: symmetrical data, two successive points close
    # to the limits on opposite sides of the mean are common cause
    values = [1.0, -1.0] * 8
    values[14], values[15] = 5.5, -5.5
    result = xmr(values)
    assert result["point_type"].iloc[-2:].tolist() == ["common_cause", "common_cause"]


# --------------------------------------------------------------------------- precedence


def test_rule_precedence_decides_improvement_or_concern():
    # Rows 14-20 (5, 6, ..., 10, 10.5) rise strictly from below the lower limit:
    #  row 14: below 5.68 (outside), part of the rising trend and of 7 points below the mean;
    #  rows 15-16 (6, 7): beyond the near limit 7.45 with row 14 (outside, not counted) or each
    #  other: 2 of 3 below the mean; rows 17-20: trend and shift.
    # The first rule in (outside_limits, trend, two_in_three, shift) gives the direction.
    result = chart([5, 6, 7, 8, 9, 10, 10.5])
    assert flagged(result) == {
        14: "outside_limits;trend;shift",
        15: "trend;two_in_three;shift",
        16: "trend;two_in_three;shift",
        17: "trend;shift",
        18: "trend;shift",
        19: "trend;shift",
        20: "trend;shift",
    }
    assert result["direction"].iloc[14:].tolist() == ["low"] + ["high"] * 6
    assert (
        result["point_type"].iloc[14:].tolist()
        == ["special_cause_concern"] + ["special_cause_improvement"] * 6
    )
    reverse = chart([5, 6, 7, 8, 9, 10, 10.5], improvement="decrease")
    assert (
        reverse["point_type"].iloc[14:].tolist()
        == ["special_cause_improvement"] + ["special_cause_concern"] * 6
    )


def test_point_at_the_turn_of_two_trends_takes_the_later_direction():
    # Baseline [0, 10] x 7: mean 5, mean MR 10, limits 5 -/+ 26.6, near limits 5 -/+ 17.73.
    # Then 1..7..1: rows 14-20 rise and rows 20-26 fall; row 20 (the 7) is in both trends.
    # No point is near a limit, and the 5s on the mean break any run on one side.
    values = [0.0, 10.0] * 7 + [1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1]
    result = xmr(values, improvement="neutral", baseline=14)
    assert flagged(result) == {i: "trend" for i in range(14, 27)}
    assert result["direction"].iloc[14:].tolist() == ["high"] * 6 + ["low"] * 7
    assert set(result["point_type"].iloc[14:]) == {"special_cause_neutral"}


# --------------------------------------------------------------------------- edge cases


def test_missing_values_keep_their_row_but_are_left_out():
    values = list(BASE)
    values[3] = np.nan
    # observed: 10,12,10,10,12,10,12,10,12,10,12,10,12 -> sum 142 over 13 points;
    # moving ranges between observed points 2,2,0,2,2,2,2,2,2,2,2,2 -> 22 over 12
    result = xmr(values)
    assert result["mean"].iloc[0] == pytest.approx(142 / 13)
    assert result["mean_moving_range"].iloc[0] == pytest.approx(22 / 12)
    assert result["upl"].iloc[3] == pytest.approx(142 / 13 + 2.66 * 22 / 12)
    row = result.iloc[3]
    assert math.isnan(row["value"]) and math.isnan(row["moving_range"])
    assert (row["point_type"], row["rule"], row["special_cause"]) == ("missing", "", False)
    assert result["moving_range"].iloc[4] == 0  # from row 2, the last observed point


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
def test_missing_markers_are_equivalent(missing):
    values = [*BASE[:3], missing, *BASE[4:]]
    series = pd.Series(values, dtype="Float64") if missing is pd.NA else values
    expected = xmr([*BASE[:3], np.nan, *BASE[4:]])
    pd.testing.assert_frame_equal(xmr(series), expected)


def test_missing_values_do_not_break_runs():
    result = chart([12, 12, np.nan, 12, 12, 12, 12])  # with row 13: 7 observed points above
    assert set(flagged(result)) == {13, 14, 15, 17, 18, 19, 20}
    assert result["point_type"].iloc[16] == "missing"


def test_single_point():
    with pytest.warns(ProvisionalLimitsWarning, match="1 observed point"):
        result = xmr([5.0], target=3.0)
    assert len(result) == 1 and result["mean"].iloc[0] == 5
    assert math.isnan(result["lpl"].iloc[0]) and math.isnan(result["upl"].iloc[0])
    assert result["point_type"].iloc[0] == "common_cause"
    assert result.attrs["spc"]["variation"] == "common_cause"
    assert result.attrs["spc"]["assurance"] is None  # no limits, so no assurance
    assert explain_point(result, 0) == (
        "Point 1 shows common-cause variation: it is not "
        "assessable against limits yet and not part of a run, "
        "trend or 2-of-3 pattern."
    )


def test_constant_series_collapses_limits_onto_the_mean():
    # All moving ranges are 0: nothing to screen, mean MR 0, limits = mean. No point is beyond a
    # limit or off the mean, so none is flagged (as in NHSRplotthedots, whose limits are NaN here).
    result = xmr([7.0] * 15)
    assert result[["mean", "lpl", "upl", "near_lpl", "near_upl"]].iloc[0].tolist() == [7.0] * 5
    assert result["mean_moving_range"].iloc[0] == 0
    assert not result["special_cause"].any()
    assert classify_assurance(result, target=7.0) == "inconsistent"
    assert classify_assurance(result, target=8.0) == "consistent_fail"
    assert classify_assurance(result, target=6.0) == "consistent_pass"
    moved = xmr([7.0] * 14 + [7.5], baseline=14)  # any change is outside collapsed limits
    assert flagged(moved) == {14: "outside_limits"}


def test_screening_of_outlier_moving_ranges():
    # BASE then 30: mean (154 + 30) / 15. Moving ranges: 13 x 2 and |30 - 12| = 18, mean 44/14.
    # 18 >= 3.267 x 44/14 = 10.27 is screened out, leaving 26/13 = 2.
    result = xmr(BASE + [30])
    unscreened = xmr(BASE + [30], screen_outliers=False)
    assert result["mean"].iloc[0] == unscreened["mean"].iloc[0] == pytest.approx(184 / 15)
    assert result["mean_moving_range"].iloc[0] == pytest.approx(2)
    assert unscreened["mean_moving_range"].iloc[0] == pytest.approx(44 / 14)
    assert result["upl"].iloc[0] == pytest.approx(184 / 15 + 2.66 * 2)
    assert unscreened["upl"].iloc[0] == pytest.approx(184 / 15 + 2.66 * 44 / 14)
    assert result["moving_range_used"].tolist() == [False] + [True] * 13 + [False]
    assert unscreened["moving_range_used"].tolist() == [False] + [True] * 14
    assert flagged(result)[14].startswith("outside_limits")


def test_a_moving_range_of_exactly_3267_times_the_mean_is_screened_out():
    # 12 moving ranges of a = (13 - 3.267) / 12 and one of 3.267: total 13, mean exactly 1, so the
    # last moving range equals 3.267 x the mean and is screened (NHSRplotthedots keeps mr < 3.267
    # x mean), leaving mean moving range a.
    a = (13 - 3.267) / 12
    result = xmr([0.0, a] * 6 + [0.0, 3.267])
    assert result["moving_range_used"].tolist() == [False] + [True] * 12 + [False]
    assert result["mean_moving_range"].iloc[0] == pytest.approx(a)


def test_baseline_fixes_limits_on_leading_points():
    result = chart([20, 20, 20])
    assert result["mean"].iloc[-1] == MEAN and result["upl"].iloc[-1] == pytest.approx(UPL)
    assert result["in_baseline"].tolist() == [True] * 14 + [False] * 3
    assert result["moving_range"].iloc[14] == 8 and not result["moving_range_used"].iloc[14]
    assert flagged(result) == {14: "outside_limits", 15: "outside_limits", 16: "outside_limits"}
    everything = xmr(BASE + [20, 20, 20])
    assert everything["mean"].iloc[0] == pytest.approx((154 + 60) / 17)
    pd.testing.assert_frame_equal(
        xmr(BASE, baseline=100).drop(columns="in_baseline"), xmr(BASE).drop(columns="in_baseline")
    )


def test_rebasing_gives_each_period_its_own_limits():
    values = BASE + [20.0, 22.0] * 7
    result = xmr(values, rebase_at=[14], target=14)
    assert result["period"].tolist() == [0] * 14 + [1] * 14
    first, second = result.iloc[0], result.iloc[14]
    assert [first["mean"], first["lpl"], first["upl"]] == pytest.approx([11, 5.68, 16.32])
    assert [second["mean"], second["lpl"], second["upl"]] == pytest.approx([21, 15.68, 26.32])
    assert math.isnan(second["moving_range"])  # no moving range across the rebase point
    assert flagged(result) == {}
    assert result.attrs["spc"]["assurance"] == "consistent_pass"  # 14 < 15.68, latest period
    # Without rebasing: mean 16; moving ranges 26 x 2 and 8 (screened), so limits 16 -/+ 5.32:
    # every point is outside the limits or in a run of 14 on one side of the mean.
    single = xmr(values, target=14)
    assert single["upl"].iloc[0] == pytest.approx(16 + 5.32)
    assert single["special_cause"].all()
    assert single.attrs["spc"]["assurance"] == "inconsistent"


def test_baseline_applies_within_each_period():
    values = BASE + [20.0, 22.0, 20.0, 22.0, 40.0, 40.0]
    with pytest.warns(ProvisionalLimitsWarning):
        result = xmr(values, rebase_at=[14], baseline=4)
    assert result["mean"].iloc[0] == 11 and result["mean"].iloc[-1] == 21
    assert result["in_baseline"].tolist() == [True] * 4 + [False] * 10 + [True] * 4 + [False] * 2


# --------------------------------------------------------------------------- summaries


@pytest.mark.parametrize(
    "target, improvement, expected",
    [
        (5, "increase", "consistent_pass"),
        (20, "increase", "consistent_fail"),
        (11, "increase", "inconsistent"),
        (5, "decrease", "consistent_fail"),
        (20, "decrease", "consistent_pass"),
        (11, "decrease", "inconsistent"),
        (5, "neutral", None),
        (None, "increase", None),
    ],
)
def test_assurance(target, improvement, expected):
    result = chart([], target=target, improvement=improvement)  # limits 5.68 to 16.32
    assert result.attrs["spc"]["assurance"] == expected
    assert classify_assurance(result) == expected
    assert classify_assurance(chart([]), target, improvement) == expected


def test_assurance_target_on_a_limit_is_inconsistent():
    result = chart([])
    assert classify_assurance(result, target=result["upl"].iloc[0]) == "inconsistent"
    assert classify_assurance(result, target=result["lpl"].iloc[0]) == "inconsistent"


def test_variation_is_judged_from_the_latest_observed_point():
    assert chart([]).attrs["spc"]["variation"] == "common_cause"
    assert classify_variation(chart([17])) == "special_cause_improvement"
    assert classify_variation(chart([17, np.nan])) == "special_cause_improvement"
    assert classify_variation(chart([17, 12])) == "common_cause"
    assert classify_variation(chart([5], improvement="neutral")) == "special_cause_neutral"


# --------------------------------------------------------------------------- warnings and errors


def test_fewer_than_thirteen_points_warns_limits_are_provisional():
    with pytest.warns(ProvisionalLimitsWarning, match="12 observed point") as record:
        xmr(BASE[:12])
    assert record[0].filename == __file__  # points at the caller
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xmr(BASE[:13])
    with pytest.warns(ProvisionalLimitsWarning, match="period 0"):
        xmr(BASE + BASE, baseline=12)
    assert issubclass(ProvisionalLimitsWarning, UserWarning)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"improvement": "up"}, "improvement must be one of"),
        ({"baseline": 1}, "baseline must be"),
        ({"baseline": 2.5}, "baseline must be"),
        ({"baseline": True}, "baseline must be"),
        ({"rebase_at": [0]}, "position 0 is outside 1..13"),
        ({"rebase_at": [14]}, "position 14 is outside 1..13"),
        ({"rebase_at": [-1]}, "position -1 is outside"),
        ({"rebase_at": [8, 4]}, "strictly increasing"),
        ({"rebase_at": [4, 4]}, "strictly increasing"),
        ({"rebase_at": 5}, "must be a list of 0-based row positions"),
        ({"rebase_at": ["a"]}, "'a' is not a whole number"),
        ({"target": "40"}, "target must be a finite number"),
        ({"target": float("nan")}, "target must be a finite number"),
        ({"screen_outliers": "yes"}, "screen_outliers must be True or False"),
    ],
)
def test_invalid_arguments_raise_analysis_error(kwargs, fragment):
    with pytest.raises(AnalysisError, match=fragment):
        xmr(BASE, **kwargs)


def test_all_argument_problems_are_reported_together():
    with pytest.raises(AnalysisError) as info:
        xmr(BASE, improvement="higher", baseline=0, rebase_at=[3, 2])
    message = str(info.value)
    assert "'higher'" in message and "baseline" in message and "[3, 2]" in message


@pytest.mark.parametrize(
    "values, fragment",
    [
        ([], "no observed numbers"),
        ([np.nan, None], "no observed numbers"),
        (["a", 1.0], "must be numbers"),
        ([1.0, np.inf], "infinite"),
        (np.ones((3, 3)), "one-dimensional"),
        (5.0, "one-dimensional"),
    ],
)
def test_invalid_values_raise_analysis_error(values, fragment):
    with pytest.raises(AnalysisError, match=fragment):
        xmr(values)


def test_period_without_observed_values_is_an_error():
    with pytest.raises(AnalysisError, match=r"period 1 \(rows 14-15\)"):
        chart([np.nan, np.nan], rebase_at=[14], baseline=None)


# --------------------------------------------------------------------------- report text


def labelled(values, **kwargs):
    index = [f"2023/24 M{i + 1}" for i in range(len(BASE) + len(values))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalLimitsWarning)
        return xmr(pd.Series(BASE + list(values), index=index), baseline=14, **kwargs)


def test_series_index_is_kept():
    result = labelled([17])
    assert result.index[-1] == "2023/24 M15"


def test_explain_point_sentences():
    result = labelled([5, np.nan])
    assert explain_point(result, 14, unit="%", decimals=2) == (
        "2023/24 M15 is a special cause of concern: it is below the lower process limit (5.68%)."
    )
    assert explain_point(result, 0) == (
        "2023/24 M1 shows common-cause variation: it is within the process limits (5.7 to 16.3) "
        "and not part of a run, trend or 2-of-3 pattern."
    )
    assert explain_point(result, -1) == "2023/24 M16 has no value, so it was not assessed."
    assert explain_point(result, 14, label="March 2024").startswith("March 2024 is a special")


def test_spc_sentences_use_the_report_number_format():
    # the house format: rounded half up, % attached, £ in front; trailing zeros dropped
    sentence = describe_variation_and_assurance(chart([], target=20), unit="£", decimals=0)
    assert "side of the target of £20, so" in sentence and "(£6 to £16)" in sentence
    assert _format_number(2.25, "", 1) == "2.3" and _format_number(-0.04, "%", 1) == "0%"


def test_explain_point_lists_every_rule():
    result = labelled([5, 6, 7, 8, 9, 10, 10.5])
    assert explain_point(result, 15) == (
        "2023/24 M16 is a special cause of improvement: it is part of a run of 7 or more points "
        "each higher than the one before; it is one of 2 of 3 consecutive points close to the "
        "lower process limit (beyond 7.5); and it is part of a run of 7 or more points below the "
        "mean (11)."
    )
    falling = labelled([np.nan, 13, 12.5, 12, 11.5, 10.5, 10, 9.5], improvement="neutral")
    assert explain_point(falling, 21) == (
        "2023/24 M22 is a special cause (neither improvement nor concern): it is part of a run of "
        "7 or more points each lower than the one before."
    )


def test_explain_point_rejects_bad_positions():
    for position in (15, -16, 1.5):
        with pytest.raises(AnalysisError, match="position must be a row position"):
            explain_point(labelled([]), position)


def test_describe_variation_and_assurance():
    assert describe_variation_and_assurance(chart([], target=20), unit="%", decimals=2) == (
        "The latest value shows only common-cause variation (no significant change); the process "
        "limits (5.68% to 16.32%) lie entirely on the worse side of the target of 20%, so it will "
        "be missed consistently."
    )
    assert describe_variation_and_assurance(chart([5], improvement="decrease", target=11)) == (
        "The latest value is a special cause of improvement (significantly lower than the usual "
        "variation); the target of 11 lies within the process limits (5.7 to 16.3), so it will be "
        "met in some periods and missed in others."
    )
    assert describe_variation_and_assurance(chart([17])).endswith("; no target is set.")
    assert describe_variation_and_assurance(chart([]), target=5).endswith(
        "the process limits (5.7 to 16.3) lie entirely on the better side of the target of 5, so "
        "it will be met consistently."
    )
    # the report names a derived target and its periods itself
    named = describe_variation_and_assurance(
        chart([]),
        target=11,
        target_words="the quarterly target of 11 (the annual target of 44 over 4 quarters)",
        periods="quarters",
    )
    assert named.endswith(
        "; the quarterly target of 11 (the annual target of 44 over 4 quarters) lies within the "
        "process limits (5.7 to 16.3), so it will be met in some quarters and missed in others."
    )


# --------------------------------------------------------------------------- natural range


NEAR_100 = [96.0, 99.0] * 7  # mean 97.5, every moving range 3: limits 97.5 +/- 7.98


def test_truncate_limits_cuts_the_display_only():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalLimitsWarning)
        result = xmr([*NEAR_100, 104.0], baseline=14, target=100.0)
    shown = truncate_limits(result, lower=0, upper=100)
    # 97.5 + 7.98 = 105.48 is shown at 100; the near limit 97.5 + 5.32 = 102.82 too
    assert shown["upl"].iloc[-1] == 100 and shown["near_upl"].iloc[-1] == 100
    assert shown["upl_calculated"].iloc[-1] == pytest.approx(105.48)
    assert shown["lpl"].iloc[-1] == pytest.approx(89.52) == shown["lpl_calculated"].iloc[-1]
    assert shown.attrs["spc"]["truncated"] == ["upper"]
    assert shown.attrs["spc"]["bounds"] == (0, 100)
    # the points, rules and summaries are those of the calculated limits
    assert shown["point_type"].tolist() == result["point_type"].tolist()
    assert shown["rule"].tolist() == result["rule"].tolist()
    assert classify_assurance(shown) == classify_assurance(result) == "inconsistent"
    assert "(89.5% to 100%)" in describe_variation_and_assurance(shown, unit="%")
    assert result["upl"].iloc[-1] == pytest.approx(105.48), "the input is left as it was"
    # a second truncation keeps the calculated limits
    again = truncate_limits(shown, upper=99)
    assert again["upl_calculated"].iloc[-1] == pytest.approx(105.48)


def test_truncated_limits_never_change_the_assurance():
    # a count, lower is better, limits 2 +/- 5.32 = -3.32 to 7.32, shown from 0. A target of -1
    # lies within the calculated limits (inconsistent); judged on the limits shown it would lie
    # below them and read "consistently missed"
    counts = xmr([1.0, 3.0] * 7, improvement="decrease", target=-1.0)
    shown = truncate_limits(counts, lower=0)
    assert shown["lpl"].iloc[-1] == 0 and shown["lpl_calculated"].iloc[-1] == pytest.approx(-3.32)
    assert shown.attrs["spc"]["truncated"] == ["lower"]
    assert classify_assurance(shown) == "inconsistent" == classify_assurance(counts)
    # no bound passed: nothing cut
    assert truncate_limits(counts).attrs["spc"]["truncated"] == []
    with pytest.raises(AnalysisError, match="lower .* must be below upper"):
        truncate_limits(counts, lower=100, upper=0)


def test_truncated_limits_are_drawn_at_the_bound():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalLimitsWarning)
        shown = truncate_limits(xmr(NEAR_100, baseline=14), upper=100)
    fig = plot_xmr(shown, title="t", unit="%")
    limit_lines = [ln for ln in fig.axes[0].lines if ln.get_linestyle() == "--"]
    assert max(max(ln.get_ydata()) for ln in limit_lines) == 100


# --------------------------------------------------------------------------- chart


def test_plot_xmr_draws_points_lines_and_legend():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    result = chart([5, 6, 7, 8, 9, 10, 10.5], target=5)
    fig = plot_xmr(result, title="Recycling rate rose after the new service began", unit="%")
    assert isinstance(fig, Figure) and plt.get_fignums() == before  # no pyplot state
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "Mean",
        "Process limits",
        "Common cause",
        "Special cause: improvement",
        "Special cause: concern",
        "Target",
    ]
    points = {c.get_label(): c for c in ax.collections}
    assert len(points["Special cause: improvement"].get_offsets()) == 6
    assert len(points["Special cause: concern"].get_offsets()) == 1
    assert (
        matplotlib.colors.to_hex(points["Special cause: concern"].get_facecolor()[0]) == "#e46c0a"
    )
    assert ax.get_title().startswith("Recycling rate") and ax.get_ylabel() == "%"
    lines = {line.get_label(): line for line in ax.lines}
    assert lines["Process limits"].get_linestyle() == "--"
    assert lines["Mean"].get_linestyle() == "-"


def test_plot_xmr_uses_given_axes_and_checks_labels():
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_xmr(chart([]), title="t", ax=ax, labels=[str(i) for i in range(14)]) is fig
    with pytest.raises(AnalysisError, match="labels has 2 item"):
        plot_xmr(chart([]), title="t", labels=["a", "b"])


# --------------------------------------------------------------------------- properties

_values = st.lists(st.integers(0, 20).map(float), min_size=2, max_size=30)


@settings(max_examples=60, deadline=None)
@given(values=_values, gap=st.integers(0, 29))
def test_a_missing_point_is_as_if_it_were_absent(values, gap):
    gap = gap % (len(values) + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalLimitsWarning)
        with_gap = xmr(values[:gap] + [np.nan] + values[gap:])
        without = xmr(values)
    kept = with_gap.drop(index=gap).reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, without)


@settings(max_examples=60, deadline=None)
@given(values=_values)
def test_reversing_the_improvement_direction_swaps_improvement_and_concern(values):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProvisionalLimitsWarning)
        up, down = xmr(values, improvement="increase"), xmr(values, improvement="decrease")
    swap = {
        "special_cause_improvement": "special_cause_concern",
        "special_cause_concern": "special_cause_improvement",
        "common_cause": "common_cause",
    }
    assert down["point_type"].tolist() == [swap[t] for t in up["point_type"]]
    assert (up["special_cause"] == (up["rule"] != "")).all()
