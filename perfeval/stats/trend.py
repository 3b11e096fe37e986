"""Long-run trend of a series of annual values: the Mann-Kendall test and Sen's slope.

A State of the Nation report asks of each key indicator whether it has really been rising or
falling over the years shown, or only moving about. Two lines on a chart cannot say; the
Mann-Kendall test can, without assuming a straight line or normal errors, and Sen's slope gives
the typical change a year. Both are the standard non-parametric pair for short environmental and
social series (Helsel & Hirsch, *Statistical Methods in Water Resources*, USGS 2020, ch. 12).

:func:`mann_kendall` computes the test statistic, its tie-corrected variance and p-value (exact
for short series without ties, through :func:`scipy.stats.kendalltau`), Kendall's tau and Sen's
slope (:func:`scipy.stats.theilslopes`); :func:`judge_trend` turns the direction into improving or
worsening with the indicator's polarity. ``TREND_METHOD`` is the sentence a report prints.

A series can be too short for the test ever to find a trend: with 4 values the smallest
two-sided p-value the exact distribution of S allows is 2/4! = 0.083, so even four values in a
row rising cannot reach p < 0.05. Such a series is not called "no clear trend" (which would say
the values were tested and did not move) but "too few values", like a series of 3
(:func:`smallest_p_value`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from perfeval.core.exceptions import AnalysisError

__all__ = [
    "Trend",
    "mann_kendall",
    "judge_trend",
    "smallest_p_value",
    "TREND_METHOD",
    "MIN_VALUES",
    "EXACT_UP_TO",
    "IMPROVING",
    "WORSENING",
    "RISING",
    "FALLING",
    "NO_CLEAR_TREND",
    "TOO_FEW_VALUES",
]

#: Fewest values whose statistics are computed: with 3 no two-sided p-value can fall below 0.33.
#: Whether a trend can be found also depends on the level: at 0.05 it needs 5 values, since with 4
#: the smallest p-value is 0.083 (:func:`smallest_p_value`).
MIN_VALUES = 4
#: Longest series without ties whose p-value is exact (the normal approximation beyond).
EXACT_UP_TO = 10
IMPROVING, WORSENING, NO_CLEAR_TREND = "Improving", "Worsening", "No clear trend"
RISING, FALLING = "Rising", "Falling"  # for an indicator where neither direction is better
TOO_FEW_VALUES = "Too few values"

TREND_METHOD = (
    "Trend: the Mann-Kendall test (Mann 1945; Kendall 1975) of whether the values rise or fall "
    "steadily over the years shown, rather than move about. S counts the pairs of years in which "
    "the later value is higher minus those in which it is lower; the two-sided p-value is exact "
    f"for up to {EXACT_UP_TO} values without ties, otherwise from the normal approximation with a "
    "tie-corrected variance and a continuity correction. A trend is reported when p < 0.05, as "
    "improving or worsening according to whether higher is better; Sen's slope (Sen 1968), the "
    "median of the changes a year between every pair of years, says how fast. A missing year "
    f"is left out; fewer than {MIN_VALUES} values are not tested, and a series too short for "
    "p < 0.05 to be possible at all (4 values: the smallest two-sided p-value is 0.083) is "
    "reported as too few values to detect a trend, not as no clear trend."
)


@dataclass(frozen=True)
class Trend:
    """The result of :func:`mann_kendall`.

    Attributes
    ----------
    n : int
        Values tested (missing ones left out).
    s : float
        Mann-Kendall S: pairs rising minus pairs falling.
    var_s : float
        Variance of S under no trend, corrected for ties.
    z : float
        (S - sign(S)) / sqrt(var_s): the continuity-corrected normal score.
    p_value : float
        Two-sided p-value (exact when ``exact``).
    exact : bool
        Whether ``p_value`` comes from the exact distribution of S.
    tau : float
        Kendall's tau-a, S / (n (n - 1) / 2).
    slope : float
        Sen's slope: median change per step of the time index (a year for annual values).
    direction : str
        ``"increasing"``, ``"decreasing"`` or ``"no trend"`` at the test's level, or
        ``"too few values"`` when there are fewer than :data:`MIN_VALUES` values or too few for
        any p-value below the level (``min_p_value >= alpha``); the statistics are then still
        given from 4 values on.
    min_p_value : float
        The smallest two-sided p-value the test could give for this many values
        (:func:`smallest_p_value`); NaN below :data:`MIN_VALUES`.
    """

    n: int
    s: float
    var_s: float
    z: float
    p_value: float
    exact: bool
    tau: float
    slope: float
    direction: str
    min_p_value: float = math.nan


def _tie_corrected_variance(values: np.ndarray) -> float:
    """Var(S) = [n(n-1)(2n+5) - sum over tie groups t(t-1)(2t+5)] / 18 (Kendall 1975)."""
    n = len(values)
    _, counts = np.unique(values, return_counts=True)
    ties = sum(t * (t - 1) * (2 * t + 5) for t in counts if t > 1)
    return (n * (n - 1) * (2 * n + 5) - ties) / 18.0


def _s_statistic(values: np.ndarray) -> float:
    """S = sum over pairs i < j of sign(x_j - x_i) (one row of pairs at a time: memory O(n))."""
    return float(sum(np.sign(values[i + 1 :] - values[i]).sum() for i in range(len(values) - 1)))


def smallest_p_value(n: int) -> float:
    """The smallest two-sided Mann-Kendall p-value that ``n`` values can give.

    Reached when the values are all different and strictly rising (or falling), S = n(n-1)/2.
    For up to :data:`EXACT_UP_TO` values it is from the exact permutation distribution of S,
    which puts 1/n! on each extreme: 2/n! (Kendall 1975, *Rank Correlation Methods*, ch. 4):
    0.33 for 3 values, 0.083 for 4, 0.017 for 5. Beyond that it is from the normal
    approximation :func:`mann_kendall` uses, 2 (1 - Phi((S - 1)/sqrt(Var S))). If it is not below
    the test's level, no series of that length can show a trend.

    Parameters
    ----------
    n : int
        Number of values (2 or more).

    Returns
    -------
    float

    Raises
    ------
    AnalysisError
        If ``n`` is below 2.
    """
    if n < 2:
        raise AnalysisError(f"a trend needs at least 2 values to compare; got n = {n!r}")
    if n <= EXACT_UP_TO:
        return 2 / math.factorial(n)
    s_max = n * (n - 1) / 2
    return float(2 * stats.norm.sf((s_max - 1) / math.sqrt(n * (n - 1) * (2 * n + 5) / 18)))


def mann_kendall(values: Sequence[float], *, alpha: float = 0.05) -> Trend:
    """Mann-Kendall test of a monotonic trend, with Kendall's tau and Sen's slope.

    Method: ``TREND_METHOD``. S = sum over pairs i < j of sign(x_j - x_i); Var(S) with the tie
    correction of Kendall (1975); Z = (S - sign(S)) / sqrt(Var(S)). For at most
    :data:`EXACT_UP_TO` values without ties the two-sided p-value is exact (the permutation
    distribution of S, via :func:`scipy.stats.kendalltau` with ``method="exact"``); otherwise it
    is 2 (1 - Phi(|Z|)). Sen's slope is the median of (x_j - x_i) / (j - i) over all pairs
    (:func:`scipy.stats.theilslopes`), with positions counted across missing values. Where no
    series of this length could reach p < ``alpha`` (:func:`smallest_p_value`; 4 values at
    0.05) the direction is ``"too few values"`` rather than ``"no trend"``.

    Parameters
    ----------
    values : sequence of float
        The series in time order, one value per equally spaced period; NaN for a missing one.
        Meant for indicator series (tens to a few thousand values): Sen's slope looks at every
        pair, so time and memory grow with the square of the length.
    alpha : float
        Two-sided significance level for ``direction`` (default 0.05).

    Returns
    -------
    Trend

    Raises
    ------
    AnalysisError
        If ``alpha`` is not between 0 and 1.
    """
    if not 0 < alpha < 1:
        raise AnalysisError(f"alpha must be between 0 and 1, e.g. 0.05; got {alpha!r}")
    series = np.asarray(values, dtype=float)
    position = np.flatnonzero(~np.isnan(series)).astype(float)
    present = series[~np.isnan(series)]
    n = len(present)
    if n < MIN_VALUES:
        return Trend(
            n, math.nan, math.nan, math.nan, math.nan, False, math.nan, math.nan, "too few values"
        )
    s = _s_statistic(present)
    var_s = _tie_corrected_variance(present)
    z = (s - np.sign(s)) / math.sqrt(var_s) if var_s > 0 else 0.0
    exact = n <= EXACT_UP_TO and len(np.unique(present)) == n
    if exact:
        p_value = float(stats.kendalltau(position, present, method="exact").pvalue)
    else:
        p_value = float(2 * stats.norm.sf(abs(z)))
    slope = float(stats.theilslopes(present, position).slope)
    min_p = smallest_p_value(n)
    if min_p >= alpha:
        direction = "too few values"
    elif p_value >= alpha or s == 0:
        direction = "no trend"
    else:
        direction = "increasing" if s > 0 else "decreasing"
    return Trend(
        n, s, var_s, float(z), p_value, exact, s / (n * (n - 1) / 2), slope, direction, min_p
    )


def judge_trend(trend: Trend, polarity: str) -> str:
    """Improving, Worsening, No clear trend or Too few values: a trend's direction read with the
    indicator's polarity (``higher`` or ``lower`` is better); a ``neutral`` indicator's trend is
    Rising or Falling. Too few values covers both a series too short to test and one too short
    for any trend to reach significance (4 values at the 5% level): word it "too few values to
    detect a trend"."""
    if trend.direction == "too few values":
        return TOO_FEW_VALUES
    if trend.direction == "no trend":
        return NO_CLEAR_TREND
    if polarity not in ("higher", "lower"):
        return RISING if trend.direction == "increasing" else FALLING
    rising_is_good = polarity == "higher"
    return IMPROVING if (trend.direction == "increasing") == rising_is_good else WORSENING
