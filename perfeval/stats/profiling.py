"""Target profiling and year-end forecasts for in-year monitoring of indicators.

* :func:`profile_annual_target` - an annual target split into quarterly or monthly targets, evenly
  or by seasonal shares estimated from past years (:func:`estimate_seasonal_shares`), with
  :func:`bounded_period_targets` keeping a percentage's period targets within 100.
* :func:`assess_year_to_date` - the year to date (:func:`year_to_date_values`) against the
  year-to-date profiled target, rated by the RAG rule of :mod:`perfeval.stats.rag`.
* :func:`forecast_year_end` and :func:`assess_forecast` - the year-end outturn forecast from the
  periods reported so far, and On track / At risk / Off track against the annual target
  (:data:`FORECAST_METHOD`); :func:`forecast_interval` puts a prediction interval around it from
  how much of the year past years had reached by the same period (:func:`reached_shares`,
  :func:`profile_reached_share`, :data:`INTERVAL_METHOD`).
* :func:`implied_multiplier`, :func:`ratio_of_sums` and :func:`weighted_target` - the year to
  date of a rate or percentage as the sum of its numerators over the sum of its denominators
  (:data:`RATIO_METHOD`), where the data has them.

How a measure adds up over a year is its kind (:data:`perfeval.data.loader.MEASURE_KINDS`):
``cumulative`` (a count or spend: the year is the total), ``average`` (a rate or percentage: the
year is the mean) or ``snapshot`` (a position at a date: the year is the year-end position).
"""

from __future__ import annotations

import math
from typing import TypedDict

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from perfeval.core.exceptions import AnalysisError, PeriodError
from perfeval.core.periods import Period, parse_period
from perfeval.data.loader import MEASURE_KINDS, require_columns
from perfeval.stats.rag import (
    AMBER,
    GREEN,
    NO_DATA,
    NO_TARGET,
    NOT_APPLICABLE,
    RAG_SYMBOLS,
    RED,
    rag_state,
    require_choice,
)

__all__ = [
    "AT_RISK",
    "FORECAST_METHOD",
    "FORECAST_STATES",
    "FREQUENCIES",
    "INTERVAL_LEVEL",
    "INTERVAL_METHOD",
    "MIN_INTERVAL_YEARS",
    "OFF_TRACK",
    "ON_TRACK",
    "PROFILE_METHODS",
    "RATIO_METHOD",
    "YearEndForecast",
    "assess_forecast",
    "assess_year_to_date",
    "bounded_period_targets",
    "estimate_seasonal_shares",
    "forecast_interval",
    "forecast_year_end",
    "implied_multiplier",
    "profile_annual_target",
    "profile_reached_share",
    "ratio_of_sums",
    "reached_shares",
    "weighted_target",
    "year_to_date_values",
]

#: How an annual target is spread over the year.
PROFILE_METHODS = ("even", "seasonal")
#: Sub-annual frequencies: the period kind and how many periods make a year.
FREQUENCIES = {"quarterly": ("quarter", 4), "monthly": ("month", 12)}

ON_TRACK, AT_RISK, OFF_TRACK = "On track", "At risk", "Off track"
#: Year-end forecast states, matching Green / Amber / Red.
FORECAST_STATES = {
    GREEN: ON_TRACK,
    AMBER: AT_RISK,
    RED: OFF_TRACK,
    NO_DATA: NO_DATA,
    NO_TARGET: NO_TARGET,
    NOT_APPLICABLE: NOT_APPLICABLE,
}
#: How a year-end forecast is made and rated, in words a report can quote.
FORECAST_METHOD = (
    "Cumulative measures (counts, spend): year-end forecast = year-to-date total / share of the "
    "year's profile elapsed (the even profile gives ytd x periods in year / periods so far). "
    "Average measures (rates, percentages): forecast = mean of the periods so far / mean of their "
    "seasonal indices (the plain mean for an even profile). Snapshot measures (positions at a "
    "date, e.g. households in temporary accommodation): the latest position is carried forward. "
    "The forecast is On track when on or "
    "better than the annual target, At risk when worse but within tolerance, Off track beyond it."
)
#: Confidence level of the year-end forecast's prediction interval.
INTERVAL_LEVEL = 0.95
#: Complete past years needed for a forecast interval (two give a t quantile of 12.7).
MIN_INTERVAL_YEARS = 3
#: How the forecast interval is made, in one sentence a report can quote.
INTERVAL_METHOD = (
    "The 95% interval of each year-end forecast shows how far the outturn may fall from it, "
    "judged by how much the share of the year reached by this quarter (month) varied in the "
    "complete past years (a normal prediction interval: the expected share plus or minus t x "
    "their standard deviation x the square root of 1 + 1 / the number of years; none with "
    f"fewer than {MIN_INTERVAL_YEARS} past years)."
)
#: How the year to date of a rate or percentage is made from numerators and denominators.
RATIO_METHOD = (
    "Year to date of a rate or percentage whose numerators and denominators are in the data for "
    "every period so far: the sum of the numerators over the sum of the denominators (so a "
    "quarter with more cases counts for more), with the profiled target to date weighted by the "
    "same denominators; otherwise the mean of the period values. The table says which was used."
)


def _periods_in_year(year: str, frequency: str) -> list[Period]:
    """The quarters or months of a financial year, in order."""
    require_choice(frequency, tuple(FREQUENCIES), "frequency")
    kind, count = FREQUENCIES[frequency]
    try:
        fy = parse_period(year).fy
    except PeriodError as err:
        raise AnalysisError(f"year {year!r} is not a financial year label like '2024/25'") from err
    return [Period(kind, fy, i) for i in range(1, count + 1)]


def _parse_history_periods(labels: pd.Index) -> dict[str, Period]:
    """Each distinct period label of a history, parsed once; AnalysisError naming the bad ones."""
    parsed, bad = {}, []
    for label in labels:
        try:
            parsed[label] = parse_period(str(label))
        except PeriodError:
            bad.append(str(label))
    if bad:
        raise AnalysisError(
            f"history: period label(s) {bad[:10]} not understood: use '2023/24', "
            f"'2023/24 Q1' or '2023-04'"
        )
    return parsed


def estimate_seasonal_shares(history: pd.DataFrame, *, frequency: str = "quarterly") -> np.ndarray:
    """Seasonal share of the year in each quarter (or month), from past complete years.

    Method: for each past financial year with a value for every quarter (month) and a positive
    total, share_q = value_q / year total; the seasonal share is the mean of share_q over those
    years (the shares therefore sum to 1).

    Parameters
    ----------
    history : pandas.DataFrame
        Columns ``period`` and ``value`` for one authority and indicator; rows of other period
        kinds (e.g. annual outturns) are ignored.
    frequency : {"quarterly", "monthly"}

    Returns
    -------
    numpy.ndarray
        One share per quarter (Q1 first) or month (April first).

    Raises
    ------
    AnalysisError
        When no complete year with a positive total is in ``history``.
    """
    require_choice(frequency, tuple(FREQUENCIES), "frequency")
    require_columns(history, ("period", "value"), "history")
    table = _year_values(history, frequency)
    table = table[table.sum(axis=1) > 0]
    if table.empty:
        raise AnalysisError(
            f"history has no complete financial year of {frequency} values with "
            f"a positive total; give at least one full year or use method='even'"
        )
    return table.div(table.sum(axis=1), axis=0).mean(axis=0).to_numpy(dtype=float)


def profile_annual_target(
    annual_target: float,
    year: str,
    *,
    frequency: str = "quarterly",
    method: str = "even",
    kind: str = "cumulative",
    history: pd.DataFrame | None = None,
    upper_bound: float | None = None,
) -> pd.DataFrame:
    """Split an annual target into quarterly or monthly profiled targets.

    Method: each period gets a share of the year (``even``: 1/k for k periods; ``seasonal``:
    :func:`estimate_seasonal_shares` of ``history``). For a ``cumulative`` measure (a count or
    sum whose annual target is the year's total) period target = annual x share and the
    year-to-date target is their running sum. For an ``average`` measure (a rate or percentage
    whose annual target is the level for the year) period target = annual x share x k (annual x
    seasonal index; the even profile gives the annual target every period) and the
    year-to-date target is the mean of the period targets so far (periods weighted equally).
    With an ``upper_bound`` (100 for a percentage) no period target of an average measure
    passes it: see :func:`bounded_period_targets`. For a ``snapshot`` measure (a position at a
    date, whose annual value is the year-end position) the annual target is the target at every
    period end, whatever the method (the shares are still given, for reference).

    Parameters
    ----------
    annual_target : float
    year : str
        Financial year label, e.g. ``"2024/25"``.
    frequency : {"quarterly", "monthly"}
    method : {"even", "seasonal"}
    kind : {"cumulative", "average", "snapshot"}
    history : pandas.DataFrame, optional
        ``period, value`` of past years; required for ``method="seasonal"``.
    upper_bound : float, optional
        The largest value the measure can take (100 for a percentage); average measures only.

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period``, ``kind``, ``share``, ``ytd_share`` (share of the year
        elapsed), ``period_target`` and ``ytd_target``.
    """
    require_choice(method, PROFILE_METHODS, "method")
    require_choice(kind, MEASURE_KINDS, "kind")
    periods = _periods_in_year(year, frequency)
    k = len(periods)
    if method == "seasonal":
        if history is None:
            raise AnalysisError(
                "method='seasonal' needs history (past values with period and "
                "value columns); pass history=... or use method='even'"
            )
        share = estimate_seasonal_shares(history, frequency=frequency)
    else:
        share = np.full(k, 1.0 / k)
    ytd_share = np.cumsum(share)
    if kind == "cumulative":
        period_target, ytd_target = annual_target * share, annual_target * ytd_share
    elif kind == "snapshot":
        period_target = ytd_target = np.full(k, float(annual_target))
    elif upper_bound is None:
        period_target = annual_target * share * k
        ytd_target = np.cumsum(period_target) / np.arange(1, k + 1)
    else:
        period_target = bounded_period_targets(annual_target, share * k, upper_bound)
        ytd_target = np.cumsum(period_target) / np.arange(1, k + 1)
    return pd.DataFrame(
        {
            "period": [p.label for p in periods],
            "kind": kind,
            "share": share,
            "ytd_share": ytd_share,
            "period_target": period_target,
            "ytd_target": ytd_target,
        }
    )


def bounded_period_targets(
    annual_target: float, index: np.ndarray, upper_bound: float
) -> np.ndarray:
    """Period targets of an average measure: annual x seasonal index, none above a bound, mean
    still the annual target.

    Method: a period whose target annual x index would pass ``upper_bound`` gets the bound, and
    the rest share what remains of k x annual in proportion to their seasonal index; repeated
    until no target passes the bound (at most k rounds). So a 98% annual target with a Q4 index
    of 1.04 gives Q4 100% (not 101.9%) and slightly more to the other quarters; a 100% target
    gives 100% every period.

    Parameters
    ----------
    annual_target : float
        The level for the year; must not exceed ``upper_bound``.
    index : numpy.ndarray
        Seasonal index of each period (share x k; mean 1).
    upper_bound : float
        The largest value the measure can take, e.g. 100 for a percentage.

    Returns
    -------
    numpy.ndarray
        One target per period.

    Raises
    ------
    AnalysisError
        If the annual target is above the bound.
    """
    if annual_target > upper_bound:
        raise AnalysisError(
            f"the annual target {annual_target} is above the largest possible "
            f"value {upper_bound}; correct the target in targets.csv"
        )
    index = np.asarray(index, dtype=float)
    k = len(index)
    target = annual_target * index
    capped = np.zeros(k, dtype=bool)
    while (over := ~capped & (target > upper_bound)).any():
        capped |= over
        target[capped] = upper_bound
        free = ~capped
        remaining = k * annual_target - capped.sum() * upper_bound
        weights = index[free] if index[free].sum() > 0 else np.ones(free.sum())
        target[free] = weights * remaining / weights.sum()
    return target


def _reported_so_far(actuals: pd.DataFrame, profile: pd.DataFrame) -> np.ndarray:
    """Values for the profile's first periods, up to the last period reported in ``actuals``."""
    require_columns(actuals, ("period", "value"), "actuals")
    labels = [parse_period(p).label for p in actuals["period"].astype(str)]
    by_period = dict(zip(labels, pd.to_numeric(actuals["value"], errors="coerce")))
    unknown = sorted(set(labels) - set(profile["period"]))
    if unknown:
        raise AnalysisError(
            f"actuals hold period(s) {unknown} that are not in the profile's "
            f"year {list(profile['period'])}; pass one year's values"
        )
    reported = [i for i, p in enumerate(profile["period"]) if not pd.isna(by_period.get(p))]
    if not reported:
        raise AnalysisError("actuals hold no value for any period of the profile's year")
    return np.array(
        [by_period.get(p, np.nan) for p in profile["period"][: reported[-1] + 1]], dtype=float
    )


def year_to_date_values(values: np.ndarray, kind: str) -> np.ndarray:
    """The year-to-date value after each period: running total (``cumulative``), running mean
    (``average``) or the period's own value (``snapshot``: the position at that date). A missing
    value makes a total or mean missing from there on."""
    require_choice(kind, MEASURE_KINDS, "kind")
    values = np.asarray(values, dtype=float)
    if kind == "snapshot":
        return values.copy()
    total = np.cumsum(values)
    return total if kind == "cumulative" else total / np.arange(1, len(values) + 1)


def assess_year_to_date(
    actuals: pd.DataFrame,
    profile: pd.DataFrame,
    *,
    polarity: str,
    tolerance: float | None = None,
    tolerance_type: str | None = None,
) -> pd.DataFrame:
    """Year-to-date actual against the year-to-date profiled target, with RAG.

    The year-to-date actual is the running sum (cumulative measures) or running mean (average
    measures) of the period values, missing from the first missing period on, or the period's
    own value (snapshot measures: the position at that date); see
    :func:`year_to_date_values`. The RAG rule is :data:`~perfeval.stats.rag.RAG_METHOD` with the
    given tolerance (default 5 % relative).

    Parameters
    ----------
    actuals : pandas.DataFrame
        ``period, value`` for periods of the profile's year (one authority and indicator).
    profile : pandas.DataFrame
        Output of :func:`profile_annual_target`.
    polarity : {"higher", "lower", "neutral"}
    tolerance : float, optional
    tolerance_type : {"relative", "absolute"}, optional

    Returns
    -------
    pandas.DataFrame
        Up to the last period reported: ``period``, ``value``, ``ytd_value``, ``ytd_target``,
        ``rag`` and ``rag_label``.
    """
    value = _reported_so_far(actuals, profile)
    ytd = year_to_date_values(value, str(profile["kind"].iloc[0]))
    ytd_target = profile["ytd_target"].to_numpy()[: len(value)]
    rag = [rag_state(v, t, polarity, tolerance, tolerance_type) for v, t in zip(ytd, ytd_target)]
    return pd.DataFrame(
        {
            "period": profile["period"].to_numpy()[: len(value)],
            "value": value,
            "ytd_value": ytd,
            "ytd_target": ytd_target,
            "rag": rag,
            "rag_label": [f"{RAG_SYMBOLS[r]} {r}" for r in rag],
        }
    )


class YearEndForecast(TypedDict):
    """What :func:`forecast_year_end` returns (a plain dict at run time)."""

    periods_reported: int
    last_period: str
    ytd_value: float
    forecast: float


def forecast_year_end(
    actuals: pd.DataFrame, profile: pd.DataFrame, *, year_to_date: float | None = None
) -> YearEndForecast:
    """Forecast the year-end outturn from the periods reported so far (see ``FORECAST_METHOD``).

    Parameters
    ----------
    actuals : pandas.DataFrame
        ``period, value`` for the first periods of the profile's year, without gaps (a
        snapshot measure may have gaps: only its latest value counts).
    profile : pandas.DataFrame
        Output of :func:`profile_annual_target` (its ``kind`` and shares are used).
    year_to_date : float, optional
        An average measure's year to date when it is not the mean of the periods, e.g. a ratio
        of sums (:func:`ratio_of_sums`); projected to the year end by the same rule.

    Returns
    -------
    YearEndForecast
        A dict: ``periods_reported`` (periods up to the last one reported), ``last_period``,
        ``ytd_value`` (running total, mean or latest position) and ``forecast``.

    Raises
    ------
    AnalysisError
        When a period before the last reported one is missing (cumulative and average
        measures), or the profile gives the elapsed periods no share of the year.
    """
    value = _reported_so_far(actuals, profile)
    kind = profile["kind"].iloc[0]
    if kind == "snapshot":  # the latest position is carried forward; earlier gaps do not matter
        return {
            "periods_reported": len(value),
            "last_period": str(profile["period"].iloc[len(value) - 1]),
            "ytd_value": float(value[-1]),
            "forecast": float(value[-1]),
        }
    if np.isnan(value).any():
        gaps = list(profile["period"][: len(value)][np.isnan(value)])
        raise AnalysisError(
            f"cannot forecast: no value for {gaps} before the last reported "
            f"period; fill or estimate them first"
        )
    j, k = len(value), len(profile)
    elapsed = float(profile["ytd_share"].iloc[j - 1])
    if elapsed <= 0:
        raise AnalysisError(
            "cannot forecast: the profile gives the periods so far no share of "
            "the year; use an even profile"
        )
    if kind == "cumulative":
        ytd, forecast = float(value.sum()), float(value.sum()) / elapsed
    else:
        ytd = float(value.mean()) if year_to_date is None else float(year_to_date)
        forecast = ytd * j / (k * elapsed)
    return {
        "periods_reported": j,
        "last_period": str(profile["period"].iloc[j - 1]),
        "ytd_value": ytd,
        "forecast": forecast,
    }


def assess_forecast(
    forecast: float,
    annual_target: float,
    *,
    polarity: str,
    tolerance: float | None = None,
    tolerance_type: str | None = None,
) -> str:
    """On track / At risk / Off track: the year-end forecast against the annual target.

    The RAG rule (:data:`~perfeval.stats.rag.RAG_METHOD`) applied to the forecast: Green ->
    "On track", Amber -> "At risk", Red -> "Off track"; otherwise "No data", "No target" or
    "Not applicable".

    Parameters
    ----------
    forecast : float
        The year-end forecast, e.g. ``forecast_year_end(...)["forecast"]``.
    annual_target : float
        NaN when there is none.
    polarity : {"higher", "lower", "neutral"}
    tolerance : float, optional
        Blank means 5 % relative.
    tolerance_type : {"relative", "absolute"}, optional

    Returns
    -------
    str
        One of the values of :data:`FORECAST_STATES`.

    Raises
    ------
    AnalysisError
        If the polarity or tolerance type is unknown, or the tolerance is negative.
    """
    return FORECAST_STATES[rag_state(forecast, annual_target, polarity, tolerance, tolerance_type)]


# --------------------------------------------------------------------------- forecast interval


def _year_values(history: pd.DataFrame, frequency: str) -> pd.DataFrame:
    """Past values by financial year (rows) and period of the year (columns 1..k), complete
    years only."""
    kind, count = FREQUENCIES[frequency]
    labels = pd.Index(history["period"].astype(str).unique())
    parsed = _parse_history_periods(labels)
    rows = [
        (parsed[p].fy, parsed[p].index, v)
        for p, v in zip(
            history["period"].astype(str), pd.to_numeric(history["value"], errors="coerce")
        )
        if parsed[p].kind == kind
    ]
    table = pd.DataFrame(rows, columns=["fy", "index", "value"])
    table = table.pivot_table(index="fy", columns="index", values="value", aggfunc="first")
    return table.reindex(columns=range(1, count + 1)).dropna()


def reached_shares(
    history: pd.DataFrame, *, kind: str, periods: int, frequency: str = "quarterly"
) -> np.ndarray:
    """How much of its year each complete past year had reached after its first ``periods``
    periods.

    Method: the year to date after ``periods`` periods (:func:`year_to_date_values`) over the
    year's own outturn by the same rule: for a ``cumulative`` measure the share of the year's
    total (sum of the first j / sum of all k); for an ``average`` measure the mean of the first j
    over the mean of all k (the mean seasonal index so far); for a ``snapshot`` the position
    after j periods over the year-end position. Years whose outturn is not positive are left
    out (a share of nothing is undefined).

    Parameters
    ----------
    history : pandas.DataFrame
        ``period, value`` of past years (one authority and indicator); other period kinds are
        ignored, and so are years without a value for every period.
    kind : {"cumulative", "average", "snapshot"}
    periods : int
        Periods reached, 1 to k.
    frequency : {"quarterly", "monthly"}

    Returns
    -------
    numpy.ndarray
        One share per complete past year, oldest first (empty when there is none).
    """
    require_choice(kind, MEASURE_KINDS, "kind")
    require_choice(frequency, tuple(FREQUENCIES), "frequency")
    require_columns(history, ("period", "value"), "history")
    count = FREQUENCIES[frequency][1]
    if not 1 <= periods <= count:
        raise AnalysisError(f"periods must be 1 to {count} for {frequency} values; got {periods}")
    table = _year_values(history, frequency).to_numpy(dtype=float)
    if kind == "snapshot":
        reached, outturn = table[:, periods - 1], table[:, -1]
    elif kind == "cumulative":
        reached, outturn = table[:, :periods].sum(axis=1), table.sum(axis=1)
    else:
        reached, outturn = table[:, :periods].mean(axis=1), table.mean(axis=1)
    keep = outturn > 0
    return reached[keep] / outturn[keep]


def profile_reached_share(profile: pd.DataFrame, periods: int) -> float:
    """The share of the year a profile expects reached after ``periods`` periods, on the scale of
    :func:`reached_shares`: the profile's elapsed share (``cumulative``), the mean seasonal index
    so far (``average``: elapsed share x k / j) or 1 (``snapshot``: the latest position is the
    forecast). :func:`forecast_year_end` gives year to date / this share."""
    kind, k = str(profile["kind"].iloc[0]), len(profile)
    if kind == "snapshot":
        return 1.0
    elapsed = float(profile["ytd_share"].iloc[periods - 1])
    return elapsed if kind == "cumulative" else elapsed * k / periods


def forecast_interval(
    forecast: float,
    expected_share: float,
    past_shares: np.ndarray,
    *,
    level: float = INTERVAL_LEVEL,
) -> tuple[float, float]:
    """Prediction interval of a year-end forecast made as year to date / expected share.

    Method (:data:`INTERVAL_METHOD`): the share of the year reached by this point varies from
    year to year; with m past shares of standard deviation s, the share this year lies in
    ``expected_share +/- t(m - 1) x s x sqrt(1 + 1/m)`` (the normal-theory prediction interval for
    one new observation: Meeker, Hahn and Escobar 2017, *Statistical Intervals*, 2nd ed., Wiley,
    chapter 4), and the outturn in
    year to date / that range, i.e. ``forecast x expected_share / (expected_share -/+ half)``.
    The interval is asymmetric: a share smaller than expected means a larger outturn.

    Parameters
    ----------
    forecast : float
        The point forecast, year to date / ``expected_share``.
    expected_share : float
        :func:`profile_reached_share`.
    past_shares : numpy.ndarray
        :func:`reached_shares` of the complete past years.
    level : float, default 0.95

    Returns
    -------
    tuple of float
        ``(lower, upper)``; both NaN when there are fewer than :data:`MIN_INTERVAL_YEARS` past
        shares, the forecast is missing, or the shares vary so much that the lower share
        reaches zero (no finite upper limit).

    Raises
    ------
    AnalysisError
        If ``level`` is not between 0 and 1 or ``expected_share`` is not positive.
    """
    if not 0 < level < 1:
        raise AnalysisError(f"level must be between 0 and 1, e.g. 0.95; got {level!r}")
    if not expected_share > 0:
        raise AnalysisError(
            f"expected_share must be positive (the share of the year reached); got "
            f"{expected_share!r}"
        )
    shares = np.asarray(past_shares, dtype=float)
    shares = shares[~np.isnan(shares)]
    m = shares.size
    if m < MIN_INTERVAL_YEARS or not math.isfinite(forecast):
        return math.nan, math.nan
    quantile = float(scipy_stats.t.ppf(0.5 + level / 2, m - 1))
    half = quantile * float(np.std(shares, ddof=1)) * math.sqrt(1 + 1 / m)
    if expected_share - half <= 0:
        return math.nan, math.nan
    ends = sorted(forecast * expected_share / (expected_share + d) for d in (half, -half))
    return float(ends[0]), float(ends[1])


# --------------------------------------------------------------------------- ratio of sums


def implied_multiplier(
    values: np.ndarray, numerators: np.ndarray, denominators: np.ndarray
) -> float | None:
    """The scale that turns numerator / denominator into the published value: 100 for a
    percentage, 1,000 for a rate per 1,000, 1 for a proportion.

    Method: each period's value x denominator / numerator; the power of ten nearest their
    median. None when no period has a positive numerator and denominator, or when a period's
    value differs from multiplier x numerator / denominator by more than 1% of it (plus half a
    unit of the last decimal shown): then the numerators and denominators are not those of the
    values and must not be used.

    Parameters
    ----------
    values, numerators, denominators : numpy.ndarray
        One entry per period, all present.

    Returns
    -------
    float or None
    """
    values, num, den = (np.asarray(a, dtype=float) for a in (values, numerators, denominators))
    usable = (num > 0) & (den > 0) & (values > 0)
    if not usable.any():
        return None
    scale = values[usable] * den[usable] / num[usable]
    multiplier = float(10.0 ** round(math.log10(float(np.median(scale)))))
    implied = multiplier * np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)
    if not np.all(np.abs(implied - values) <= 0.01 * np.abs(values) + 0.05):
        return None
    return multiplier


def ratio_of_sums(numerators: np.ndarray, denominators: np.ndarray, multiplier: float) -> float:
    """A rate or percentage over several periods: multiplier x sum of numerators / sum of
    denominators.

    This is the rate of the periods taken together (each case counts once, so a busy quarter
    weighs more than a quiet one), not the mean of the period rates; e.g. 45 of 50 (90%) and 10
    of 20 (50%) give 55 of 70 = 78.6%, where the mean of the rates is 70%. It is the ratio
    estimator of a combined rate, sum of y over sum of x (Cochran 1977, *Sampling Techniques*,
    3rd ed., Wiley, chapter 6).

    Parameters
    ----------
    numerators, denominators : numpy.ndarray
        One entry per period.
    multiplier : float
        :func:`implied_multiplier` (100 for a percentage).

    Returns
    -------
    float
        NaN when the denominators sum to 0 or any entry is missing.

    Raises
    ------
    AnalysisError
        If the arrays differ in length or hold a negative number.
    """
    num, den = np.asarray(numerators, dtype=float), np.asarray(denominators, dtype=float)
    if num.shape != den.shape:
        raise AnalysisError(
            f"numerators and denominators must have one entry per period; got {num.size} "
            f"and {den.size}"
        )
    if (num < 0).any() or (den < 0).any():
        raise AnalysisError("numerators and denominators must not be negative; check the data")
    if np.isnan(num).any() or np.isnan(den).any() or den.sum() == 0:
        return math.nan
    return float(multiplier * num.sum() / den.sum())


def weighted_target(period_targets: np.ndarray, denominators: np.ndarray) -> float:
    """The profiled target to date matching a ratio of sums: the period targets weighted by
    the periods' denominators (sum of target x denominator / sum of denominators), so the
    target and the year to date weigh each period alike; NaN when the denominators sum to 0."""
    targets, den = np.asarray(period_targets, dtype=float), np.asarray(denominators, dtype=float)
    return float((targets * den).sum() / den.sum()) if den.sum() > 0 else math.nan
