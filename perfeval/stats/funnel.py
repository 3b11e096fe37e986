"""Funnel plots: which councils differ from a benchmark by more than chance, for any size.

A league table of rates ranks a district of 40,000 people against a city of 1.1 million as if
their rates were equally precise. A funnel plot (Spiegelhalter 2005, Stat Med 24:1185-1202)
draws each council's value against its denominator, with control limits around the benchmark
(the England value or the comparator average) that narrow as the denominator grows: a council
outside the 95% limits is unusually high or low (about 1 in 20 would be by chance), outside the
99.8% limits very unusually so (about 1 in 500). This module computes the limits and the
judgements; drawing the chart belongs to the presentation layer.

:func:`funnel_limits`
    Control limits at given denominators around a target, for a proportion (exact binomial or
    normal approximation), a standardised ratio O/E, or a rate (Poisson), at 95% and 99.8%.
:func:`estimate_overdispersion`
    Spiegelhalter's (2005, Qual Saf Health Care 14:347-351) check of whether councils vary more
    than chance allows: Winsorised z-scores give phi, and either phi widens the limits
    (multiplicative) or a between-council variance tau^2 is added (additive random effects,
    FunnelPlotR's default). Pass the result to :func:`funnel_limits` or :func:`assess_units`.
:func:`assess_units`
    Each council's value, its limits, whether it is above, within or below them, and the
    Fingertips wording "Better", "Similar", "Worse" (or "Not compared") with the polarity; a
    flag for fewer than 10 events.
:func:`compare_interval_with_benchmark`
    Fingertips' other comparison: the council's own confidence interval against the benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from perfeval.core.exceptions import AnalysisError
from perfeval.data.loader import require_columns
from perfeval.stats.intervals import SMALL_COUNT, none_where
from perfeval.stats.rag import POLARITIES

__all__ = [
    "Overdispersion",
    "funnel_limits",
    "estimate_overdispersion",
    "funnel_zscores",
    "winsorise",
    "assess_units",
    "position_against_limits",
    "position_of_interval",
    "judge_position",
    "compare_interval_with_benchmark",
    "limit_columns",
    "LEVELS",
    "STATISTICS",
    "METHODS",
    "ADJUSTMENTS",
    "BETTER",
    "SIMILAR",
    "WORSE",
    "HIGHER",
    "LOWER",
    "NOT_COMPARED",
    "ABOVE",
    "WITHIN",
    "BELOW",
    "NOT_ASSESSED",
    "FUNNEL_METHOD",
]

#: The two funnels Spiegelhalter (2005) and PHE draw: about 2 and 3 standard errors.
LEVELS = (0.95, 0.998)
STATISTICS = ("proportion", "ratio", "rate")
METHODS = ("exact", "normal")
ADJUSTMENTS = ("additive", "multiplicative")
BETTER, SIMILAR, WORSE, NOT_COMPARED = "Better", "Similar", "Worse", "Not compared"
HIGHER, LOWER = "Higher", "Lower"  # Fingertips' words where neither direction is better
ABOVE, WITHIN, BELOW, NOT_ASSESSED = "above", "within", "below", "not assessed"

FUNNEL_METHOD = (
    "Funnel plot (Spiegelhalter 2005): each council's value against its denominator, with 95% "
    "and 99.8% control limits around the benchmark that narrow as the denominator grows. "
    "Limits for a proportion are exact binomial (or the normal approximation PHE's Fingertips "
    "uses); for a rate or standardised ratio, Poisson. Where councils vary more than chance "
    "allows (over-dispersion, from Winsorised z-scores), the limits are widened by a between-"
    "council variance (Spiegelhalter 2005, additive random effects). A council outside the 95% "
    "limits is significantly better or worse than the benchmark, taking polarity into account; "
    f"values from fewer than {SMALL_COUNT} events are flagged as small numbers."
)


@dataclass(frozen=True)
class Overdispersion:
    """How much more councils vary than chance allows (Spiegelhalter 2005, QSHC 14:347-351).

    Attributes
    ----------
    phi : float
        Dispersion ratio: the mean squared Winsorised z-score (1 if the variation is chance).
    tau2 : float
        Between-council variance on the transformed scale (additive random effects); 0 when
        ``units * phi < units - 1``.
    units : int
        Councils the estimate is from.
    trim : float
        Share Winsorised at each end (0.1: the 10th and 90th percentiles).
    statistic : str
        ``"proportion"``, ``"ratio"`` or ``"rate"``.
    adjustment : str
        ``"additive"`` (limits ``sqrt(s^2 + tau2)``, FunnelPlotR's default) or
        ``"multiplicative"`` (``sqrt(phi) s``).
    """

    phi: float
    tau2: float
    units: int
    trim: float
    statistic: str
    adjustment: str = "additive"

    @property
    def adjusted(self) -> bool:
        """Whether the limits are widened: only when phi > 1 (more variation than chance)."""
        return bool(self.phi > 1)


def _choice(name: str, value: object, allowed: Sequence[str]) -> str:
    """``value`` if it is one of ``allowed``, else an AnalysisError naming ``name``."""
    if value not in allowed:
        raise AnalysisError(f"{name} must be one of {list(allowed)}; got {value!r}")
    return str(value)


def _levels(levels: Sequence[float]) -> tuple[float, ...]:
    """The confidence levels, each strictly between 0 and 1."""
    checked = tuple(float(level) for level in levels)
    if not checked or any(not 0 < level < 1 for level in checked):
        raise AnalysisError(
            f"levels must be confidence levels between 0 and 1, e.g. (0.95, 0.998); got {levels!r}"
        )
    return checked


def _suffix(level: float) -> str:
    """Column suffix of a level: 0.95 -> '95', 0.998 -> '998', 0.99 -> '99'."""
    return f"{level * 100:.10g}".replace(".", "")


def limit_columns(levels: Sequence[float] = LEVELS) -> list[str]:
    """Names of the limit columns for ``levels``: ``lower_95``, ``upper_95``, ``lower_998``..."""
    return [f"{side}_{_suffix(level)}" for level in _levels(levels) for side in ("lower", "upper")]


def _array(name: str, values: ArrayLike) -> np.ndarray:
    """A 1-d float array of ``values``; an AnalysisError naming ``name`` if not numbers."""
    try:
        return np.atleast_1d(np.asarray(values, dtype=float)).ravel()
    except (TypeError, ValueError) as err:
        raise AnalysisError(f"{name} must be numbers; got {values!r}") from err


def _check_target(target: float, statistic: str) -> float:
    """The benchmark: a proportion strictly between 0 and 1, or a positive ratio or rate."""
    value = float(target)
    if statistic == "proportion" and not 0 < value < 1:
        raise AnalysisError(
            f"target must be a proportion between 0 and 1 (e.g. 0.35 for 35%) "
            f"for a proportion funnel; got {target!r}"
        )
    if statistic != "proportion" and not (value > 0 and np.isfinite(value)):
        raise AnalysisError(
            f"target must be a positive {statistic} (e.g. 1 for a standardised "
            f"ratio); got {target!r}"
        )
    return value


def _binomial_limit(n: np.ndarray, target: float, p: float) -> np.ndarray:
    """Spiegelhalter's (2005, Appendix A.1.1) interpolated binomial p-quantile of x / n.

    r = the smallest count with F(r) >= p, a = (F(r) - p) / (F(r) - F(r - 1)), limit (r - a)/n,
    kept within [0, 1] (the same formula as Stata's ``funnelcompar``, Gini & Forni 2009).
    """
    r = stats.binom.ppf(p, n, target)
    upper_cdf, lower_cdf = stats.binom.cdf(r, n, target), stats.binom.cdf(r - 1, n, target)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (upper_cdf - p) / (upper_cdf - lower_cdf)
        limit = (r - share) / n
    return np.clip(limit, 0.0, 1.0)


def _poisson_limit(mean: np.ndarray, p: float) -> np.ndarray:
    """Poisson p-quantile of a count with the given mean, in the continuous chi-square form
    FunnelPlotR uses: ``chi2(p; 2 mean) / 2`` below the mean, ``chi2(p; 2 mean + 2) / 2``
    above it (Spiegelhalter 2005, Appendix A.1.2, with the exact Poisson-gamma relation)."""
    if p < 0.5:
        return stats.chi2.ppf(p, 2 * mean) / 2
    return stats.chi2.ppf(p, 2 * mean + 2) / 2


def _transformed(statistic: str, target: float) -> tuple[float, float]:
    """Target on the variance-stabilised scale (arcsine root, or root) and its upper bound."""
    if statistic == "proportion":
        return float(np.arcsin(np.sqrt(target))), float(np.pi / 2)
    return float(np.sqrt(target if statistic == "ratio" else 1.0)), float(np.inf)


def _back(statistic: str, y: np.ndarray, target: float) -> np.ndarray:
    """Values on the transformed scale back on the scale of the statistic."""
    if statistic == "proportion":
        return np.sin(y) ** 2
    return y**2 * (1.0 if statistic == "ratio" else target)


def _standard_errors(statistic: str, denominator: np.ndarray, target: float) -> np.ndarray:
    """Standard error on the transformed scale: 1 / (2 sqrt(n)) for arcsine root of a
    proportion, 1 / (2 sqrt(E)) for the root of O/E (E = target x population for a rate)."""
    size = denominator if statistic != "rate" else target * denominator
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1 / (2 * np.sqrt(size))


def _unadjusted_limits(
    statistic: str, method: str, n: np.ndarray, target: float, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits without an over-dispersion adjustment."""
    low_p, high_p = (1 - level) / 2, (1 + level) / 2
    z = stats.norm.ppf(high_p)
    if statistic == "proportion":
        if method == "exact":
            return _binomial_limit(n, target, low_p), _binomial_limit(n, target, high_p)
        half = z * np.sqrt(target * (1 - target) / n)
        return np.clip(target - half, 0, 1), np.clip(target + half, 0, 1)
    mean = target * n  # expected events: target ratio x expected count, or rate x population
    scale = target / mean  # back to the ratio or rate scale
    if method == "exact":
        return _poisson_limit(mean, low_p) * scale, _poisson_limit(mean, high_p) * scale
    half = z * np.sqrt(mean) * scale
    return np.maximum(target - half, 0), target + half


def _adjusted_limits(
    statistic: str, n: np.ndarray, target: float, level: float, dispersion: Overdispersion
) -> tuple[np.ndarray, np.ndarray]:
    """Limits widened for over-dispersion on the transformed scale (Spiegelhalter 2005, QSHC):
    centre +/- z sqrt(s^2 + tau2) (additive) or +/- z sqrt(phi) s (multiplicative), kept within
    the scale's range and transformed back."""
    z = stats.norm.ppf((1 + level) / 2)
    centre, top = _transformed(statistic, target)
    s = _standard_errors(statistic, n, target)
    spread = (
        np.sqrt(s**2 + dispersion.tau2)
        if dispersion.adjustment == "additive"
        else np.sqrt(dispersion.phi) * s
    )
    low = np.clip(centre - z * spread, 0, top)
    high = np.clip(centre + z * spread, 0, top)
    return _back(statistic, low, target), _back(statistic, high, target)


def funnel_limits(
    denominator: ArrayLike,
    target: float,
    *,
    statistic: str = "proportion",
    method: str = "exact",
    levels: Sequence[float] = LEVELS,
    overdispersion: Overdispersion | None = None,
) -> pd.DataFrame:
    """Funnel plot control limits around a benchmark at each denominator.

    Methods (Spiegelhalter, D. J. (2005) "Funnel plots for comparing institutional
    performance", Stat Med 24:1185-1202, Appendix A):

    * proportion, ``"exact"``: interpolated binomial quantiles, ``(r_p - a)/n`` with ``r_p``
      the smallest count whose binomial(n, target) CDF reaches p and ``a = (F(r_p) - p) /
      (F(r_p) - F(r_p - 1))``; ``denominator`` must be whole numbers;
    * proportion, ``"normal"``: ``target +/- z sqrt(target (1 - target) / n)`` within [0, 1],
      the limits PHE's Fingertips and PHEindicatormethods' ``calculate_funnel_limits`` draw;
    * ratio (O/E, ``denominator`` = expected events E at a ratio of 1) and rate
      (``denominator`` = population or person-years, ``target`` a rate per person), ``"exact"``:
      Poisson limits of a count with mean ``m = target x denominator`` in the chi-square form
      ``chi2(p; 2m)/2`` and ``chi2(p; 2m + 2)/2`` (FunnelPlotR's unadjusted limits), divided by
      the denominator; ``"normal"``: ``target +/- z sqrt(target / denominator)``.

    With an ``overdispersion`` whose phi exceeds 1 the limits are instead the normal limits on
    the variance-stabilising scale (arcsine square root for a proportion, square root for a
    ratio or rate), widened as :class:`Overdispersion` says (Spiegelhalter 2005, QSHC
    14:347-351) and transformed back.

    Parameters
    ----------
    denominator : array_like
        Denominators at which to compute the limits (people, expected events, person-years).
        A denominator of 0 or less gives missing limits.
    target : float
        The benchmark: England's or the comparator group's proportion, ratio or rate.
    statistic : str
        ``"proportion"``, ``"ratio"`` or ``"rate"``.
    method : str
        ``"exact"`` (default) or ``"normal"``; ignored when an over-dispersion adjustment applies.
    levels : sequence of float
        Confidence levels (default 95% and 99.8%).
    overdispersion : Overdispersion, optional
        From :func:`estimate_overdispersion`.

    Returns
    -------
    DataFrame
        ``denominator``, ``target`` and, for each level, ``lower_<level>`` and
        ``upper_<level>`` (e.g. ``lower_95``, ``upper_998``), on the scale of the statistic.

    Raises
    ------
    AnalysisError
        For an unknown statistic or method, a level outside (0, 1), a target outside its range,
        non-integer denominators for exact proportion limits, or an over-dispersion estimate
        made for another statistic.
    """
    statistic = _choice("statistic", statistic, STATISTICS)
    method = _choice("method", method, METHODS)
    levels = _levels(levels)
    target = _check_target(target, statistic)
    n = _array("denominator", denominator)
    if overdispersion is not None and overdispersion.statistic != statistic:
        raise AnalysisError(
            f"the over-dispersion estimate is for a {overdispersion.statistic}, "
            f"but the limits asked for are for a {statistic}; estimate it from "
            "the same statistic"
        )
    usable = n > 0
    if (
        statistic == "proportion"
        and method == "exact"
        and (overdispersion is None or not overdispersion.adjusted)
    ):
        fractional = usable & (n != np.round(n))
        if fractional.any():
            raise AnalysisError(
                f"exact binomial limits need whole-number denominators; got "
                f"{n[fractional][:3].tolist()}. Use method='normal' for "
                "weighted or effective bases"
            )
    safe = np.where(usable, n, np.nan)
    table = {"denominator": n, "target": np.full(n.shape, target)}
    for level in levels:
        with np.errstate(divide="ignore", invalid="ignore"):
            if overdispersion is not None and overdispersion.adjusted:
                low, high = _adjusted_limits(statistic, safe, target, level, overdispersion)
            else:
                low, high = _unadjusted_limits(statistic, method, safe, target, level)
        table[f"lower_{_suffix(level)}"] = np.where(usable, low, np.nan)
        table[f"upper_{_suffix(level)}"] = np.where(usable, high, np.nan)
    return pd.DataFrame(table)


def _values(statistic: str, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Each unit's value: numerator / denominator (a proportion, O/E, or a rate per person)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def funnel_zscores(
    numerator: ArrayLike, denominator: ArrayLike, target: float, *, statistic: str = "proportion"
) -> np.ndarray:
    """Unadjusted z-scores on the variance-stabilising scale (Spiegelhalter 2005, QSHC).

    ``z = (Y - T) / s`` with, for a proportion, ``Y = asin(sqrt(x/n))``, ``T = asin(sqrt(target))``,
    ``s = 1/(2 sqrt(n))``; for a ratio ``Y = sqrt(O/E)``, ``T = sqrt(target)``,
    ``s = 1/(2 sqrt(E))``; for a rate the same with ``E = target x population`` and ``T = 1``
    (FunnelPlotR's ``transformed_zscore`` for "PR" and for "SR" with ``sr_method="CQC"``).

    Returns
    -------
    ndarray
        One z-score per unit; NaN where the denominator is 0 or a value is missing.
    """
    statistic = _choice("statistic", statistic, STATISTICS)
    target = _check_target(target, statistic)
    x, n = _array("numerator", numerator), _array("denominator", denominator)
    y = _values(statistic, x, n)
    if statistic == "rate":
        y = y / target
    centre, _ = _transformed(statistic, target)
    with np.errstate(invalid="ignore"):
        transformed = np.arcsin(np.sqrt(y)) if statistic == "proportion" else np.sqrt(y)
    return (transformed - centre) / _standard_errors(statistic, np.where(n > 0, n, np.nan), target)


def winsorise(z: ArrayLike, trim: float = 0.1) -> np.ndarray:
    """z-scores pulled in to their ``trim`` and ``1 - trim`` quantiles (Winsorisation).

    Spiegelhalter (2005, QSHC 14:347-351) Winsorises at 10% so that a few genuine outliers do not
    inflate the estimate of over-dispersion; quantiles are linear interpolation (R's type 7, as
    FunnelPlotR's ``winsorisation``). Missing values stay missing.
    """
    if not 0 <= trim < 0.5:
        raise AnalysisError(
            f"trim must be at least 0 and below 0.5 (e.g. 0.1 for 10% at each end); got {trim!r}"
        )
    values = _array("z", z)
    present = values[~np.isnan(values)]
    if present.size == 0:
        return values
    low, high = np.quantile(present, [trim, 1 - trim])
    return np.clip(values, low, high)


def estimate_overdispersion(
    numerator: ArrayLike,
    denominator: ArrayLike,
    target: float,
    *,
    statistic: str = "proportion",
    trim: float = 0.1,
    adjustment: str = "additive",
) -> Overdispersion:
    """Estimate over-dispersion among units (Spiegelhalter 2005, QSHC 14:347-351).

    With I units' Winsorised z-scores (:func:`funnel_zscores`, :func:`winsorise`),
    ``phi = sum(z^2) / I``; with weights ``w = 1/s^2``, the additive random-effects variance
    ``tau2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w)``, or 0 when ``I phi < I - 1``
    (DerSimonian-Laird; FunnelPlotR's ``phi_func`` and ``tau_func``). Units with a missing
    value or a denominator of 0 are left out.

    Parameters
    ----------
    numerator, denominator : array_like
        Each unit's count and denominator (people, expected events, or population).
    target : float
        The benchmark the units are compared with (as in :func:`funnel_limits`).
    statistic : str
        ``"proportion"``, ``"ratio"`` or ``"rate"``.
    trim : float
        Share Winsorised at each end (default 0.1).
    adjustment : str
        ``"additive"`` (default) or ``"multiplicative"``: how :func:`funnel_limits` widens.

    Returns
    -------
    Overdispersion

    Raises
    ------
    AnalysisError
        For an unknown statistic or adjustment, a trim outside [0, 0.5), or fewer than 2
        units with a value.
    """
    adjustment = _choice("adjustment", adjustment, ADJUSTMENTS)
    z = funnel_zscores(numerator, denominator, target, statistic=statistic)
    n = _array("denominator", denominator)
    keep = ~np.isnan(z)
    if keep.sum() < 2:
        raise AnalysisError(
            f"over-dispersion needs at least 2 units with a value; got {int(keep.sum())}"
        )
    wz = winsorise(z[keep], trim)
    units = int(keep.sum())
    phi = float(np.mean(wz**2))
    w = 1 / _standard_errors(statistic, n[keep], target) ** 2
    if units * phi < units - 1:
        tau2 = 0.0
    else:
        tau2 = max(0.0, float((units * phi - (units - 1)) / (w.sum() - (w**2).sum() / w.sum())))
    return Overdispersion(phi, tau2, units, float(trim), statistic, adjustment)


def position_against_limits(value: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> np.ndarray:
    """``"above"``, ``"within"`` or ``"below"`` the limits (a value on a limit is within), or
    ``"not assessed"`` where the value or a limit is missing."""
    v, lo, hi = (np.asarray(a, dtype=float) for a in (value, lower, upper))
    with np.errstate(invalid="ignore"):
        return np.select(
            [np.isnan(v) | np.isnan(lo) | np.isnan(hi), v > hi, v < lo],
            [NOT_ASSESSED, ABOVE, BELOW],
            WITHIN,
        ).astype(object)


def position_of_interval(low: ArrayLike, high: ArrayLike, benchmark: ArrayLike) -> np.ndarray:
    """``"above"`` where a confidence interval lies wholly above the benchmark, ``"below"``
    wholly below, ``"within"`` where it contains it, ``"not assessed"`` where missing."""
    lo, hi, b = (np.asarray(a, dtype=float) for a in (low, high, benchmark))
    with np.errstate(invalid="ignore"):
        return np.select(
            [np.isnan(lo) | np.isnan(hi) | np.isnan(b), lo > b, hi < b],
            [NOT_ASSESSED, ABOVE, BELOW],
            WITHIN,
        ).astype(object)


def judge_position(position: ArrayLike, polarity: str) -> np.ndarray:
    """Fingertips' comparison with the benchmark from a position and the polarity.

    Above/below are "Better"/"Worse" (higher is better) or "Worse"/"Better" (lower is better);
    within is "Similar"; not assessed is "Not compared". A ``neutral`` indicator is "Higher",
    "Similar" or "Lower" (OHID, *Public Health Profiles technical guidance*).
    """
    polarity = _choice("polarity", polarity, POLARITIES)
    above, below = {
        "higher": (BETTER, WORSE),
        "lower": (WORSE, BETTER),
        "neutral": (HIGHER, LOWER),
    }[polarity]
    words = {ABOVE: above, BELOW: below, WITHIN: SIMILAR, NOT_ASSESSED: NOT_COMPARED}
    return np.array([words.get(p, NOT_COMPARED) for p in np.atleast_1d(position)], dtype=object)


def compare_interval_with_benchmark(
    low: ArrayLike, high: ArrayLike, benchmark: ArrayLike, polarity: str
) -> np.ndarray:
    """Better, Similar, Worse or Not compared: a council's confidence interval against the
    benchmark, as Fingertips compares a local value with England (OHID, *Public Health Profiles
    technical guidance*; PHEindicatormethods' ``assign_funnel_significance`` for ratios and
    rates). Use e.g. :func:`perfeval.stats.intervals.wilson_interval` or
    :func:`perfeval.stats.intervals.count_interval` (divided by the denominator) for the
    interval."""
    return judge_position(position_of_interval(low, high, benchmark), polarity)


def assess_units(
    units: pd.DataFrame,
    target: float,
    *,
    statistic: str = "proportion",
    polarity: str = "higher",
    numerator: str = "numerator",
    denominator: str = "denominator",
    method: str = "exact",
    levels: Sequence[float] = LEVELS,
    overdispersion: Overdispersion | None = None,
) -> pd.DataFrame:
    """Place each unit (council) on the funnel and judge it against the benchmark.

    Each unit's value is ``numerator / denominator`` (a proportion, O/E with E as the
    denominator, or a rate per person); its limits are :func:`funnel_limits` at its own
    denominator; its position is :func:`position_against_limits`, and its comparison the
    Fingertips wording from :func:`judge_position` at the first level (95%) and each other
    level.

    Parameters
    ----------
    units : DataFrame
        One row per unit, with the numerator and denominator columns (others are kept).
    target : float
        The benchmark (England or the comparator value) on the scale of the value.
    statistic, method, levels, overdispersion
        As :func:`funnel_limits`.
    polarity : str
        ``"higher"``, ``"lower"`` (is better) or ``"neutral"``.
    numerator, denominator : str
        Column names.

    Returns
    -------
    DataFrame
        ``units`` with ``value``, the limit columns (:func:`limit_columns`), ``position_<level>``
        and ``comparison_<level>`` for each level (e.g. ``position_95``, ``comparison_998``),
        ``comparison`` (the first level's) and ``small_count`` (fewer than 10 events in the
        numerator: a value on small numbers). A unit with a missing value or a denominator of 0
        is "not assessed" and "Not compared".

    Raises
    ------
    AnalysisError
        If a column is missing, a numerator is negative, a proportion's numerator exceeds its
        denominator, or as :func:`funnel_limits` and :func:`judge_position`.
    """
    require_columns(units, (numerator, denominator), "the funnel plot table")
    levels = _levels(levels)
    _choice("polarity", polarity, POLARITIES)
    x, n = _array(numerator, units[numerator]), _array(denominator, units[denominator])
    with np.errstate(invalid="ignore"):
        if (x < 0).any():
            raise AnalysisError(
                f"column {numerator!r} has negative counts; got {x[x < 0][:3].tolist()}"
            )
        if statistic == "proportion" and (x > n).any():
            raise AnalysisError(
                f"column {numerator!r} is larger than {denominator!r} in "
                f"{int((x > n).sum())} row(s); a proportion's numerator is "
                "part of its denominator"
            )
    limits = funnel_limits(
        n, target, statistic=statistic, method=method, levels=levels, overdispersion=overdispersion
    )
    out = units.copy()
    out["value"] = _values(statistic, x, n)
    for level in levels:
        suffix = _suffix(level)
        low, high = limits[f"lower_{suffix}"].to_numpy(), limits[f"upper_{suffix}"].to_numpy()
        out[f"lower_{suffix}"], out[f"upper_{suffix}"] = low, high
        out[f"position_{suffix}"] = position_against_limits(out["value"].to_numpy(), low, high)
        out[f"comparison_{suffix}"] = judge_position(out[f"position_{suffix}"].to_numpy(), polarity)
    out["comparison"] = out[f"comparison_{_suffix(levels[0])}"]
    with np.errstate(invalid="ignore"):
        out["small_count"] = pd.array(none_where(np.isnan(x), x < SMALL_COUNT), dtype="boolean")
    return out
