"""Externally studentised residuals of the value-for-money line (#15 item 6).

Reference values are worked by hand from Cook & Weisberg (1982, section 2.2), the formula R's
``rstudent`` uses, and checked against an independent leave-one-out refit with numpy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from perfeval.stats import budget as bd

# The five councils of tests/stats/test_budget.py: slope 0.22, intercept 27.2, residuals
# 2.8, -3.6, 2.0, -4.4, 3.2 (SSE 54.4); leverage 1/5 + (x - 140)^2 / 4000 = .6, .3, .2, .3, .6.
SPEND = np.array([100.0, 120.0, 140.0, 160.0, 180.0])
SCORE = np.array([52.0, 50.0, 60.0, 58.0, 70.0])


def leave_one_out(x: np.ndarray, y: np.ndarray, level: float) -> pd.DataFrame:
    """Independent method: refit without each council and judge its score against the
    prediction interval of that fit (ordinary least squares by numpy)."""
    rows = []
    for i in range(len(x)):
        keep = np.arange(len(x)) != i
        design = np.column_stack([np.ones(keep.sum()), x[keep]])
        coef, *_ = np.linalg.lstsq(design, y[keep], rcond=None)
        resid = y[keep] - design @ coef
        s2 = resid @ resid / (keep.sum() - 2)
        point = np.array([1.0, x[i]])
        se = np.sqrt(s2 * (1 + point @ np.linalg.inv(design.T @ design) @ point))
        t_crit = stats.t.ppf((1 + level) / 2, keep.sum() - 2)
        predicted = point @ coef
        rows.append(
            {
                "t": (y[i] - predicted) / se,
                "low": predicted - t_crit * se,
                "high": predicted + t_crit * se,
            }
        )
    return pd.DataFrame(rows)


def test_studentised_residuals_by_hand():
    out = bd.studentised_residuals(SPEND, SCORE)
    t = out["studentised_residual"].to_numpy()
    # E: s_(i)^2 = (54.4 - 3.2^2 / 0.4) / 2 = 14.4; t = 3.2 / sqrt(14.4 x 0.4) = 3.2 / 2.4
    assert t[4] == pytest.approx(4 / 3, abs=1e-12)
    # A: s_(i)^2 = (54.4 - 2.8^2 / 0.4) / 2 = 17.4; t = 2.8 / sqrt(17.4 x 0.4)
    assert t[0] == pytest.approx(2.8 / np.sqrt(6.96), abs=1e-12)
    # C: s_(i)^2 = (54.4 - 4 / 0.8) / 2 = 24.7; t = 2 / sqrt(24.7 x 0.8)
    assert t[2] == pytest.approx(2 / np.sqrt(19.76), abs=1e-12)
    assert out["leverage"].to_numpy() == pytest.approx([0.6, 0.3, 0.2, 0.3, 0.6])
    # t(0.975, 2 df) = 4.302653 (any t table)
    assert out["critical_t"].iloc[0] == pytest.approx(4.302653, abs=1e-6)
    assert not out["unusual"].any()


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_studentised_residuals_equal_the_leave_one_out_prediction(level):
    rng = np.random.default_rng(6)
    x = rng.uniform(200, 900, size=12)
    y = 40 + 0.02 * x + rng.normal(0, 6, size=12)
    y[5] += 35  # one council far above its line
    out = bd.studentised_residuals(x, y, level=level)
    reference = leave_one_out(x, y, level)
    assert out["studentised_residual"].to_numpy() == pytest.approx(reference["t"], rel=1e-10)
    assert out["expected_lower"].to_numpy() == pytest.approx(reference["low"], rel=1e-10)
    assert out["expected_upper"].to_numpy() == pytest.approx(reference["high"], rel=1e-10)
    outside = (y < reference["low"]) | (y > reference["high"])
    assert out["unusual"].tolist() == outside.tolist()
    assert bool(out["unusual"].iloc[5])


def test_the_judgement_uses_the_chosen_level():
    # one council 0.8 above a line of slope 1 with small fixed noise: t = 3.02 with 7 df, beyond
    # t(0.95, 7) = 1.89 (90 % two-sided) and within t(0.999, 7) = 4.79 (99.8 %)
    x = np.arange(1.0, 11.0)
    y = x + np.array([0.3, -0.2, 0.1, -0.3, 0.0, 0.2, -0.1, 0.3, -0.2, 0.1])
    y[4] += 0.8
    t4 = bd.studentised_residuals(x, y)["studentised_residual"].iloc[4]
    assert t4 == pytest.approx(leave_one_out(x, y, 0.95)["t"].iloc[4], rel=1e-10)
    assert stats.t.ppf(0.95, 7) < abs(t4) < stats.t.ppf(0.999, 7)
    assert bool(bd.studentised_residuals(x, y, level=0.9)["unusual"].iloc[4])
    assert not bool(bd.studentised_residuals(x, y, level=0.998)["unusual"].iloc[4])


def test_fewer_than_four_councils_are_not_judged():
    out = bd.studentised_residuals(SPEND[:3], SCORE[:3])
    assert out["studentised_residual"].isna().all() and out["unusual"].isna().all()
    result = bd.value_for_money(
        pd.Series(SCORE[:3], index=list("ABC")), pd.Series(SPEND[:3], index=list("ABC"))
    )
    assert result.critical_t is None
    assert "too few councils to judge" in result.table["finding"].iloc[0]


def test_value_for_money_table_carries_the_judgement():
    score = pd.Series(SCORE, index=list("ABCDE"))
    spend = pd.Series(SPEND, index=list("ABCDE"))
    result = bd.value_for_money(score, spend, home="B")
    table = result.table.set_index("authority")
    assert table.loc["E", "studentised_residual"] == pytest.approx(4 / 3)
    assert table.loc["B", "finding"] == (
        "performance 3.6 score points below what its spend would predict (within the range "
        "the other councils would predict)"
    )
    assert result.critical_t == pytest.approx(4.302653, abs=1e-6)
    assert "prediction_lower" not in table.columns
