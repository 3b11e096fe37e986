"""Confidence intervals that hold at the edges: proportions, differences of proportions, counts.

A council report compares small numbers: 6 of 7 respondents against 2 of 7, a ward with 0
complaints, a wave in which everyone agreed. The textbook ``estimate +/- z * se`` (Wald) interval
breaks there: it leaves [0, 1] or [-1, 1], shrinks to zero width at 0% and 100%, and calls noise
a change. The methods here keep their coverage in those cases and are the ones UK public-health
and survey statisticians use (Newcombe 1998; PHE/OHID Fingertips technical guidance):

:func:`wilson_interval`
    Wilson (1927) score interval for one proportion.
:func:`newcombe_difference`
    Newcombe's (1998a) hybrid score interval (his method 10) for the difference of two
    independent proportions, with :func:`significant_difference`, the test that matches it.
:func:`newcombe_paired_difference`
    Newcombe's (1998b) method 10 for the difference of two proportions measured on the same
    people (a panel answering two waves), with the published correction to phi.
:func:`exact_poisson_interval`, :func:`byar_interval`, :func:`count_interval`
    Garwood's (1936) exact interval and Byar's approximation (Breslow & Day 1987) for a count of
    events; :func:`count_interval` chooses between them as PHE does (exact below 10 events) and
    flags the small counts. Each returns counts: divide by the person-years or population for a
    rate.

Every function takes scalars or arrays (NumPy, pandas) and broadcasts them; scalars in, floats
out. Counts and bases may be non-integer: for weighted survey data pass the effective base
``n_eff`` (Kish 1965) and the effective count ``p * n_eff``, the approach of
:func:`perfeval.stats.survey.estimate`. A base of 0 gives a missing (NaN) interval, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from perfeval.core.exceptions import AnalysisError

__all__ = [
    "Interval",
    "DifferenceInterval",
    "wilson_interval",
    "newcombe_difference",
    "significant_difference",
    "newcombe_paired_difference",
    "exact_poisson_interval",
    "byar_interval",
    "count_interval",
    "is_small_count",
    "none_where",
    "SMALL_COUNT",
    "INTERVALS_METHOD",
]

#: Fewer events than this are a small count: PHE uses the exact interval below it and Fingertips
#: flags the value (Byar's approximation is not used, and a rate is not compared below it).
SMALL_COUNT = 10

#: None as a 0-d object array: ``np.where(missing, _NONE, values)`` is numpy's
#: ``np.where(missing, None, values)`` in a form its type hints accept.
_NONE = np.array(None, dtype=object)


def none_where(missing: ArrayLike, values: ArrayLike) -> np.ndarray:
    """``values`` as an object array holding None where ``missing`` is true.

    Parameters
    ----------
    missing : array of bool
    values : array-like
        Broadcast against ``missing``.

    Returns
    -------
    numpy.ndarray
        Object dtype, for a pandas ``string`` or ``boolean`` array (None becomes ``<NA>``).
    """
    return np.where(missing, _NONE, values)


INTERVALS_METHOD = (
    "Confidence intervals: a proportion's is the Wilson score interval (Wilson 1927); a change "
    "between two independent samples is Newcombe's hybrid score interval (Newcombe 1998, method "
    "10), and between two answers of the same people Newcombe's paired method 10; for weighted "
    "data both use effective bases. A change is significant when its interval excludes zero. A "
    f"count of events has the exact Poisson interval (Garwood 1936) below {SMALL_COUNT} events "
    "and Byar's approximation from there, as PHE's Fingertips does."
)

Number = float | np.ndarray


class Interval(NamedTuple):
    """Lower and upper confidence limits (floats for scalar input, arrays otherwise)."""

    low: Number
    high: Number


@dataclass(frozen=True)
class DifferenceInterval:
    """A difference of two proportions with its confidence interval.

    Attributes
    ----------
    difference : float or ndarray
        First proportion minus second (e.g. this wave minus last).
    low, high : float or ndarray
        Confidence limits of ``difference``, always within [-1, 1].
    level : float
        Confidence level, e.g. 0.95.
    method : str
        ``"newcombe"`` (independent samples) or ``"newcombe-paired"``.
    """

    difference: Number
    low: Number
    high: Number
    level: float
    method: str

    @property
    def significant(self) -> bool | np.ndarray:
        """Whether the interval excludes zero: a significant difference at ``1 - level``."""
        return _excludes_zero(self.low, self.high)


def _check_level(level: float) -> float:
    """The confidence level as a float strictly between 0 and 1, or an AnalysisError."""
    if (
        isinstance(level, bool)
        or not isinstance(level, (int, float, np.floating))
        or not 0 < float(level) < 1
    ):
        raise AnalysisError(
            f"level must be a confidence level between 0 and 1, e.g. 0.95 or "
            f"0.998; got {level!r}. A percentage such as 95 must be given as 0.95"
        )
    return float(level)


def _as_float_array(name: str, values: ArrayLike) -> np.ndarray:
    """``values`` as a float array; an AnalysisError naming ``name`` if they are not numbers."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise AnalysisError(
            f"{name} must be numbers (a count, a base, or arrays of them); got {values!r}"
        ) from err
    return array


def _check_nonnegative(name: str, array: np.ndarray) -> None:
    """Raise if any present value of ``array`` is negative or infinite."""
    bad = ~np.isnan(array) & ((array < 0) | np.isinf(array))
    if bad.any():
        raise AnalysisError(
            f"{name} must be zero or more and finite; got "
            f"{array[bad].ravel()[:3].tolist()}. Check the counts passed in"
        )


def _counts_and_bases(pairs: list[tuple[str, ArrayLike, str, ArrayLike]]) -> list[np.ndarray]:
    """Validated float arrays for (count name, count, base name, base) pairs, broadcast together.

    A count may exceed its base by a relative rounding error (an effective count ``p * n_eff``);
    beyond that it is an error.
    """
    arrays = []
    for count_name, count, base_name, base in pairs:
        x, n = _as_float_array(count_name, count), _as_float_array(base_name, base)
        _check_nonnegative(count_name, x)
        _check_nonnegative(base_name, n)
        with np.errstate(invalid="ignore"):
            over = x > n * (1 + 1e-9)
        if over.any():
            raise AnalysisError(
                f"{count_name} cannot be larger than {base_name}: got "
                f"{np.broadcast_to(x, over.shape)[over][:3].tolist()} against "
                f"{np.broadcast_to(n, over.shape)[over][:3].tolist()}. A count "
                "is the number of the base who gave the answer"
            )
        arrays += [x, n]
    return [np.array(a) for a in np.broadcast_arrays(*arrays)]


def _output(array: np.ndarray) -> Number:
    """A float for a 0-d result, the array otherwise."""
    array = np.asarray(array)
    return float(array) if array.ndim == 0 else array


def _excludes_zero(low: ArrayLike, high: ArrayLike) -> bool | np.ndarray:
    """True where an interval lies wholly above or below zero (False where it is missing)."""
    with np.errstate(invalid="ignore"):
        result = (np.asarray(low) > 0) | (np.asarray(high) < 0)
    return bool(result) if result.ndim == 0 else result


def _wilson_arrays(x: np.ndarray, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson limits for validated arrays; NaN where the base is 0, exact 0 and 1 at the edges."""
    base = np.where(n > 0, n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = proportion_confint(x, base, alpha=1 - level, method="wilson")
    low = np.where(x == 0, 0.0, np.asarray(low, dtype=float))
    high = np.where(np.isclose(x, n, rtol=1e-12, atol=0), 1.0, np.asarray(high, dtype=float))
    missing = np.isnan(base) | np.isnan(x)
    return np.where(missing, np.nan, low), np.where(missing, np.nan, high)


def wilson_interval(x: ArrayLike, n: ArrayLike, level: float = 0.95) -> Interval:
    """Wilson score interval for a proportion ``x / n``.

    Method: Wilson, E. B. (1927) "Probable inference, the law of succession, and statistical
    inference", JASA 22, 209-212: the proportions p0 whose score test ``|x/n - p0| <= z
    sqrt(p0 (1 - p0) / n)`` does not reject, computed by
    :func:`statsmodels.stats.proportion.proportion_confint` (``method="wilson"``). Newcombe
    (1998, Stat Med 17:857-872, method 3) recommends it: it stays inside [0, 1] and keeps a
    width at 0% and 100% (0 of 10 gives 0 to 0.2775). For weighted data ``n`` is the Kish (1965)
    effective base and ``x = p * n`` (Dean & Pagano 2015, J. Surv. Stat. Methodol. 3:484-503).

    Parameters
    ----------
    x : array_like
        Count with the answer (may be non-integer for an effective count).
    n : array_like
        Base (respondents, or the effective base); 0 gives a missing interval.
    level : float
        Confidence level, e.g. 0.95 (default), 0.99 or 0.998.

    Returns
    -------
    Interval
        ``(low, high)``: floats for scalar input, arrays otherwise; 0 exactly when ``x = 0``
        and 1 when ``x = n``.

    Raises
    ------
    AnalysisError
        If ``level`` is not between 0 and 1, or a count or base is negative or infinite, or a
        count is larger than its base.
    """
    level = _check_level(level)
    x, n = _counts_and_bases([("x", x, "n", n)])
    low, high = _wilson_arrays(x, n, level)
    return Interval(_output(low), _output(high))


def newcombe_difference(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike, level: float = 0.95
) -> DifferenceInterval:
    """Newcombe's hybrid score interval for ``x1/n1 - x2/n2``, two independent samples.

    Method 10 of Newcombe, R. G. (1998) "Interval estimation for the difference between
    independent proportions: comparison of eleven methods", Stat Med 17:873-890: with each
    sample's Wilson interval (l1, u1) and (l2, u2),
    ``low = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)`` and ``high = d + sqrt((u1 - p1)^2 +
    (p2 - l2)^2)``. Computed by :func:`statsmodels.stats.proportion.confint_proportions_2indep`
    (``method="newcomb"``), which reproduces Newcombe's Table II. Unlike ``d +/- z se`` it stays
    within [-1, 1] and keeps a width when a sample is at 0% or 100% (10/10 against 0/20 gives
    0.6791 to 1). For weighted surveys pass each wave's effective base as ``n`` and
    ``p * n_eff`` as ``x``.

    The matching test: the difference is significant at ``1 - level`` when the interval excludes
    zero (:attr:`DifferenceInterval.significant`, :func:`significant_difference`). Newcombe's
    interval is not the inversion of one test statistic, so no p-value goes with it; the rule
    "excludes zero" is the test that always agrees with the interval shown.

    Parameters
    ----------
    x1, n1 : array_like
        Count and base of the first sample (e.g. this wave).
    x2, n2 : array_like
        Count and base of the second sample (e.g. the previous wave).
    level : float
        Confidence level (default 0.95).

    Returns
    -------
    DifferenceInterval
        NaN limits where either base is 0.

    Raises
    ------
    AnalysisError
        As :func:`wilson_interval`, for either sample.
    """
    level = _check_level(level)
    x1, n1, x2, n2 = _counts_and_bases([("x1", x1, "n1", n1), ("x2", x2, "n2", n2)])
    base1, base2 = np.where(n1 > 0, n1, np.nan), np.where(n2 > 0, n2, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = confint_proportions_2indep(
            x1, base1, x2, base2, method="newcomb", compare="diff", alpha=1 - level
        )
        difference = x1 / base1 - x2 / base2
    low, high = np.clip(low, -1.0, 1.0), np.clip(high, -1.0, 1.0)
    return DifferenceInterval(_output(difference), _output(low), _output(high), level, "newcombe")


def significant_difference(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike, level: float = 0.95
) -> bool | np.ndarray:
    """Whether ``x1/n1`` and ``x2/n2`` differ significantly: Newcombe's interval excludes 0.

    The test that matches :func:`newcombe_difference` (Newcombe 1998, Stat Med 17:873-890,
    method 10): "no difference" is rejected at ``1 - level`` exactly when the interval for the
    difference lies wholly above or wholly below zero, so a report never calls a change
    significant while printing an interval that contains no change. False where a base is 0.
    """
    return newcombe_difference(x1, n1, x2, n2, level).significant


def _paired_phi(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Newcombe's (1998b) corrected phi for a paired 2 x 2 table; 0 where a margin is empty.

    phi = C / sqrt((a+b)(c+d)(a+c)(b+d)) with C = max(ad - bc - n/2, 0) when ad > bc and
    C = ad - bc otherwise.
    """
    n = a + b + c + d
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    cross = a * d - b * c
    numerator = np.where(cross > 0, np.maximum(cross - n / 2, 0.0), cross)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = numerator / np.sqrt(margins)
    return np.where(margins > 0, phi, 0.0)


def newcombe_paired_difference(
    a: ArrayLike, b: ArrayLike, c: ArrayLike, d: ArrayLike, level: float = 0.95
) -> DifferenceInterval:
    """Newcombe's interval for the difference of two proportions on the same people.

    Method 10 of Newcombe, R. G. (1998) "Improved confidence intervals for the difference
    between binomial proportions based on paired data", Stat Med 17:2635-2650. The table is

    ============  ==========  ==========
    \\             2nd: yes    2nd: no
    ============  ==========  ==========
    1st: yes      a           b
    1st: no       c           d
    ============  ==========  ==========

    with n = a + b + c + d, p1 = (a + b)/n, p2 = (a + c)/n and difference D = (b - c)/n. With
    the Wilson intervals (l1, u1) of p1 and (l2, u2) of p2 and Newcombe's corrected phi
    (``phi = C / sqrt((a+b)(c+d)(a+c)(b+d))``, ``C = max(ad - bc - n/2, 0)`` if ad > bc, else
    ``ad - bc``; 0 when a margin is empty):
    ``low = D - sqrt((p1-l1)^2 - 2 phi (p1-l1)(u2-p2) + (u2-p2)^2)`` and
    ``high = D + sqrt((u1-p1)^2 - 2 phi (u1-p1)(p2-l2) + (p2-l2)^2)``.
    Significant when the interval excludes zero (:attr:`DifferenceInterval.significant`).

    Parameters
    ----------
    a, b, c, d : array_like
        Cell counts (yes-yes, yes-no, no-yes, no-no); may be non-integer (weighted).
    level : float
        Confidence level (default 0.95).

    Returns
    -------
    DifferenceInterval
        First answer minus second; NaN limits where the table is empty.

    Raises
    ------
    AnalysisError
        If ``level`` is not between 0 and 1 or a cell is negative or infinite.
    """
    level = _check_level(level)
    cells = [_as_float_array(name, value) for name, value in zip("abcd", (a, b, c, d))]
    for name, cell in zip("abcd", cells):
        _check_nonnegative(name, cell)
    a, b, c, d = (np.array(cell) for cell in np.broadcast_arrays(*cells))
    n = a + b + c + d
    base = np.where(n > 0, n, np.nan)
    with np.errstate(invalid="ignore"):
        p1, p2, difference = (a + b) / base, (a + c) / base, (b - c) / base
    l1, u1 = _wilson_arrays(a + b, n, level)
    l2, u2 = _wilson_arrays(a + c, n, level)
    phi = _paired_phi(a, b, c, d)
    below = np.sqrt(
        np.maximum((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0)
    )
    above = np.sqrt(
        np.maximum((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0.0)
    )
    low = np.clip(difference - below, -1.0, 1.0)
    high = np.clip(difference + above, -1.0, 1.0)
    return DifferenceInterval(
        _output(difference), _output(low), _output(high), level, "newcombe-paired"
    )


def _checked_counts(count: ArrayLike) -> np.ndarray:
    """A validated float array of event counts."""
    array = _as_float_array("count", count)
    _check_nonnegative("count", array)
    return array


def exact_poisson_interval(count: ArrayLike, level: float = 0.95) -> Interval:
    """Exact (Garwood) interval for the mean of a Poisson count.

    Method: Garwood, F. (1936) "Fiducial limits for the Poisson distribution", Biometrika 28,
    437-442: ``low = chi2(alpha/2; 2x) / 2`` (0 when x = 0) and ``high = chi2(1 - alpha/2;
    2x + 2) / 2``, with alpha = 1 - level, from :func:`scipy.stats.chi2` quantiles. The limits
    are of the count; divide them by the person-years or population for a rate. This is the
    interval PHE's Fingertips uses for fewer than :data:`SMALL_COUNT` events.

    Parameters
    ----------
    count : array_like
        Events observed (0 or more).
    level : float
        Confidence level (default 0.95).

    Returns
    -------
    Interval

    Raises
    ------
    AnalysisError
        If ``level`` is not between 0 and 1 or a count is negative or infinite.
    """
    level = _check_level(level)
    x = _checked_counts(count)
    alpha = 1 - level
    with np.errstate(invalid="ignore"):
        low = np.where(x > 0, stats.chi2.ppf(alpha / 2, 2 * np.where(x > 0, x, 1)) / 2, 0.0)
        high = stats.chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
    low = np.where(np.isnan(x), np.nan, low)
    return Interval(_output(low), _output(high))


def byar_interval(count: ArrayLike, level: float = 0.95) -> Interval:
    """Byar's approximation to the exact Poisson interval of a count.

    Method: Breslow, N. E. & Day, N. E. (1987) *Statistical Methods in Cancer Research* vol. II,
    IARC, p. 69, as PHEindicatormethods' ``byars_lower`` and ``byars_upper`` compute it:
    ``low = x (1 - 1/(9x) - z/(3 sqrt(x)))^3`` and ``high = (x + 1) (1 - 1/(9(x + 1)) +
    z/(3 sqrt(x + 1)))^3`` with z the normal quantile for ``level``. Good from about 10 events;
    where the lower formula falls below zero (x = 0, or x = 1 at 99.8%) the lower limit is
    missing (NaN), as in PHEindicatormethods. :func:`count_interval` uses the exact interval for
    small counts instead.

    Parameters
    ----------
    count : array_like
        Events observed (0 or more).
    level : float
        Confidence level (default 0.95).

    Returns
    -------
    Interval
        Limits of the count (divide by the denominator for a rate).

    Raises
    ------
    AnalysisError
        If ``level`` is not between 0 and 1 or a count is negative or infinite.
    """
    level = _check_level(level)
    x = _checked_counts(count)
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
        high = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3
    low = np.where((x > 0) & (low >= 0), low, np.nan)
    return Interval(_output(low), _output(high))


def is_small_count(count: ArrayLike) -> bool | np.ndarray:
    """Whether a count of events is below :data:`SMALL_COUNT` (10), where PHE's Fingertips uses
    the exact interval and flags a rate as based on small numbers."""
    with np.errstate(invalid="ignore"):
        result = _checked_counts(count) < SMALL_COUNT
    return bool(result) if result.ndim == 0 else result


def count_interval(count: ArrayLike, level: float = 0.95) -> pd.DataFrame:
    """Confidence interval of each count of events: exact below 10 events, Byar's from 10.

    The rule of PHE's Fingertips and PHEindicatormethods' ``phe_rate`` (OHID, *Public Health
    Profiles technical guidance*): :func:`exact_poisson_interval` (Garwood 1936) for fewer than
    :data:`SMALL_COUNT` events, :func:`byar_interval` (Breslow & Day 1987) otherwise. Divide the
    limits by the denominator (and multiply by e.g. 100,000) for a rate.

    Parameters
    ----------
    count : array_like
        Events observed, one per unit.
    level : float
        Confidence level (default 0.95; Fingertips also shows 0.998).

    Returns
    -------
    DataFrame
        One row per count: ``count``, ``ci_low``, ``ci_high``, ``ci_method`` (``"exact"`` or
        ``"byar"``) and ``small_count`` (fewer than 10 events). A missing count has missing
        limits and method.

    Raises
    ------
    AnalysisError
        If ``level`` is not between 0 and 1 or a count is negative or infinite.
    """
    x = np.atleast_1d(_checked_counts(count)).ravel()
    exact, byar = exact_poisson_interval(x, level), byar_interval(x, level)
    with np.errstate(invalid="ignore"):
        small = x < SMALL_COUNT
    missing = np.isnan(x)
    return pd.DataFrame(
        {
            "count": x,
            "ci_low": np.where(small, exact.low, byar.low),
            "ci_high": np.where(small, exact.high, byar.high),
            "ci_method": pd.array(
                none_where(missing, np.where(small, "exact", "byar")), dtype="string"
            ),
            "small_count": pd.array(none_where(missing, small), dtype="boolean"),
        }
    )
