"""Statistical process control: NHS "Making Data Count" XmR charts.

An XmR (individuals and moving range) chart separates common-cause variation (the noise every
process has) from special causes (signals worth investigating). The method follows NHS England's
Making Data Count guidance as implemented by the NHSRplotthedots R package (``ptd_spc``), so a chart
drawn here flags the same points as the NHS tools do:

* centre line: the mean of the baseline points of each period;
* moving ranges ``|x[i] - x[i-1]|`` within a period; moving ranges of 3.267 x their mean or more are
  screened out before the mean moving range is recomputed (on by default);
* process limits: mean +/- 2.66 x mean moving range; "near" limits at two thirds of that distance;
* four special-cause rules, named in the ``rule`` column, in order of precedence:

  ``outside_limits``  a point above the upper or below the lower process limit;
  ``trend``           7 or more consecutive points each higher (or each lower) than the one before;
                      an equal pair of values breaks a trend;
  ``two_in_three``    2 or 3 of 3 consecutive points between a near limit and its process limit,
                      all 3 points on the same side of the mean; only the points beyond the near
                      limit are flagged (a point outside the limits does not count towards it);
  ``shift``           7 or more consecutive points on the same side of the mean; a point exactly on
                      the mean breaks the run.

When a point triggers several rules, the first rule in that list decides whether it is "high" or
"low" and so whether it is an improvement or a concern (NHSRplotthedots' precedence).

Missing values (NaN, None, ``pd.NA``) keep their row, with ``point_type`` ``"missing"``, but take no
part in any calculation: the chart is computed as if the missing points were not there, so a gap
neither breaks nor extends a run, and the moving range after a gap is taken from the last observed
point.

The summaries follow the Making Data Count icons: *variation* is judged from the latest observed
point, *assurance* compares a target with the process limits of the latest period.

A measure that cannot go below 0 (a count, days, a rate) or above 100 (a percentage) may still
get calculated limits beyond that range (mean +/- 2.66 x mean moving range knows nothing of
the measure). :func:`truncate_limits` gives the limits as Making Data Count charts draw them,
cut at the measure's bound for the chart and the table, while every rule and the assurance
still use the calculated limits (kept in ``lpl_calculated`` and ``upl_calculated``).

References
----------
NHS England (2019). *Making Data Count: getting started* and *Making Data Count: strengthening your
decisions*. https://www.england.nhs.uk/publication/making-data-count/
NHSRplotthedots (NHS-R Community), R/ptd_spc_standard.R, R/ptd_calculate_point_type.R,
R/ptd_calculate_assurance_type.R. https://github.com/nhs-r-community/NHSRplotthedots
Wheeler, D. J. (2000). *Understanding Variation*, 2nd ed., SPC Press (2.66 and 3.267 constants).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError
from perfeval.core.formatting import format_number

LIMIT_FACTOR = 2.66
"""Process limits lie this many mean moving ranges from the mean (3 sigma: 3 / d2 = 2.66)."""
NEAR_LIMIT_FACTOR = 2 * (LIMIT_FACTOR / 3)
"""Near limits (2 sigma) lie this many mean moving ranges from the mean."""
SCREEN_FACTOR = 3.267
"""Moving ranges of this many mean moving ranges or more are screened out (upper range limit)."""
RUN_LENGTH = 7
"""Points needed for a trend or a shift."""
MIN_POINTS_FOR_LIMITS = 13
"""Limits resting on fewer observed points than this are provisional (as NHSRplotthedots)."""

IMPROVEMENTS = ("increase", "decrease", "neutral")
RULES = ("outside_limits", "trend", "two_in_three", "shift")
POINT_TYPES = (
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neutral",
    "missing",
)

_SIGN = {"increase": 1, "decrease": -1, "neutral": 0}


class ProvisionalLimitsWarning(UserWarning):
    """Warned when process limits rest on fewer than 13 points and so are provisional."""


# --------------------------------------------------------------------------- argument checks


def _coerce_values(values: Any) -> pd.Series:
    """Return ``values`` as a float Series (NaN for missing), keeping a Series' index."""
    if np.ndim(values) != 1:
        raise AnalysisError(
            f"xmr(): values must be a one-dimensional sequence of numbers; got "
            f"{type(values).__name__} with {np.ndim(values)} dimension(s). Pass a "
            "list, 1-D array or pandas Series."
        )
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    try:
        numbers = pd.to_numeric(series.astype(object).where(series.notna(), np.nan))
    except (TypeError, ValueError) as err:
        raise AnalysisError(
            f"xmr(): values must be numbers or missing (NaN/None); {err}. Convert "
            "the column to numbers before charting it."
        ) from err
    floats = pd.Series(np.asarray(numbers, dtype="float64"), index=series.index)
    if floats.empty or floats.isna().all():
        raise AnalysisError(
            "xmr(): values contain no observed numbers; an XmR chart needs at "
            "least one value (and 13 or more for firm limits)."
        )
    if np.isinf(floats).any():
        where = list(floats.index[np.isinf(floats)])
        raise AnalysisError(
            f"xmr(): values contain infinite numbers at {where!r}; replace them "
            "with NaN (missing) or a real value."
        )
    return floats


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _rebase_problems(rebase_at: Any, n: int) -> list[str]:
    if rebase_at is None:
        return []
    if isinstance(rebase_at, (str, bytes)) or not isinstance(rebase_at, (Sequence, np.ndarray)):
        return [f"rebase_at must be a list of 0-based row positions, e.g. [12]; got {rebase_at!r}"]
    positions = list(rebase_at)
    problems = [
        f"rebase_at position {p!r} is not a whole number" for p in positions if not _is_int(p)
    ]
    if problems:
        return problems
    problems = [
        f"rebase_at position {p} is outside 1..{n - 1} (0 is already the start of the "
        f"series; the last row is {n - 1})"
        for p in positions
        if not 0 < p < n
    ]
    if any(b <= a for a, b in zip(positions, positions[1:])):
        problems.append(f"rebase_at must be strictly increasing without repeats; got {positions!r}")
    return problems


def _argument_problems(
    n: int, improvement: Any, target: Any, baseline: Any, rebase_at: Any, screen_outliers: Any
) -> list[str]:
    problems = []
    if improvement not in IMPROVEMENTS:
        problems.append(
            f"improvement must be one of {IMPROVEMENTS!r}; got {improvement!r} (use "
            "'increase' when higher is better, 'decrease' when lower is better)"
        )
    if target is not None and (
        not isinstance(target, Real) or isinstance(target, bool) or not math.isfinite(target)
    ):
        problems.append(f"target must be a finite number or None; got {target!r}")
    if baseline is not None and (not _is_int(baseline) or baseline < 2):
        problems.append(
            f"baseline must be a whole number of points, at least 2, or None for all "
            f"points; got {baseline!r}"
        )
    if not isinstance(screen_outliers, (bool, np.bool_)):
        problems.append(f"screen_outliers must be True or False; got {screen_outliers!r}")
    return problems + _rebase_problems(rebase_at, n)


# --------------------------------------------------------------------------- limits


def _moving_ranges(observed: np.ndarray) -> np.ndarray:
    """Moving ranges ``|x[i] - x[i-1]|`` of consecutive observed points; NaN for the first."""
    return np.concatenate([[np.nan], np.abs(np.diff(observed))])


def _mean_moving_range(
    moving_ranges: np.ndarray, screen_outliers: bool
) -> tuple[float, np.ndarray]:
    """Mean moving range and a mask of the moving ranges it used.

    Method: with screening, moving ranges >= 3.267 x the mean moving range (Wheeler's upper range
    limit) are excluded and the mean recomputed once, as NHSRplotthedots does. When every moving
    range is zero there is nothing to screen and the mean moving range is 0.
    """
    used = ~np.isnan(moving_ranges)
    if not used.any():
        return math.nan, used
    first = float(np.mean(moving_ranges[used]))
    if screen_outliers and first > 0:
        used &= moving_ranges < SCREEN_FACTOR * first
    return float(np.mean(moving_ranges[used])), used


def _warn_if_provisional(n_points: int, period: int, first_row: int, last_row: int) -> None:
    if n_points < MIN_POINTS_FOR_LIMITS:
        warnings.warn(
            f"XmR limits for period {period} (rows {first_row}-{last_row}) rest on "
            f"{n_points} observed point(s), fewer than {MIN_POINTS_FOR_LIMITS}: treat "
            "them as provisional; they will change as data are added.",
            ProvisionalLimitsWarning,
            stacklevel=4,
        )


# --------------------------------------------------------------------------- rules


def _shift_mask(side: np.ndarray) -> np.ndarray:
    """Points in a run of 7+ on the same side of the mean (``side`` is -1, 0 or +1)."""
    flagged = np.zeros(side.size, dtype=bool)
    for end in range(RUN_LENGTH - 1, side.size):
        window = side[end - RUN_LENGTH + 1 : end + 1]
        if window[-1] != 0 and np.all(window == window[-1]):
            flagged[end - RUN_LENGTH + 1 : end + 1] = True
    return flagged


def _trend_directions(values: np.ndarray) -> np.ndarray:
    """+1/-1 for points in a run of 7+ strictly rising/falling points, 0 otherwise.

    A point at the turn of two trends takes the direction of the later one (NHSRplotthedots).
    """
    direction = np.zeros(values.size, dtype=int)
    for end in range(RUN_LENGTH - 1, values.size):
        steps = np.sign(np.diff(values[end - RUN_LENGTH + 1 : end + 1]))
        if np.all(steps == steps[0]) and steps[0] != 0:
            direction[end - RUN_LENGTH + 1 : end + 1] = steps[0]
    return direction


def _two_in_three_mask(close: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Near-limit points in a window of 3 holding 2+ near-limit points, all 3 on one side."""
    flagged = np.zeros(close.size, dtype=bool)
    for start in range(close.size - 2):
        window = slice(start, start + 3)
        if close[window].sum() >= 2 and abs(side[window].sum()) == 3:
            flagged[window] |= close[window]
    return flagged


def _detect_rules(observed: np.ndarray, limits: dict[str, float]) -> tuple[list[str], np.ndarray]:
    """Rules fired by each observed point ("a;b" or "") and each point's signal direction.

    The direction (+1 high, -1 low, 0 none) comes from the first rule fired, in ``RULES`` order.
    """
    side = np.sign(observed - limits["mean"])
    outside = (observed > limits["upl"]) | (observed < limits["lpl"])
    close = ~outside & ((observed > limits["near_upl"]) | (observed < limits["near_lpl"]))
    trend = _trend_directions(observed)
    fired = {
        "outside_limits": (outside, side),
        "trend": (trend != 0, trend),
        "two_in_three": (_two_in_three_mask(close, side), side),
        "shift": (_shift_mask(side), side),
    }
    rules, direction = [], np.zeros(observed.size, dtype=int)
    for i in range(observed.size):
        names = [name for name in RULES if fired[name][0][i]]
        rules.append(";".join(names))
        direction[i] = fired[names[0]][1][i] if names else 0
    return rules, direction


def _point_types(direction: np.ndarray, improvement: str) -> list[str]:
    sign = _SIGN[improvement]
    if sign == 0:
        return ["special_cause_neutral" if d else "common_cause" for d in direction]
    labels = {1: "special_cause_improvement", -1: "special_cause_concern", 0: "common_cause"}
    return [labels[int(d * sign)] for d in direction]


# --------------------------------------------------------------------------- the chart


def _chart_period(
    values: np.ndarray,
    period: int,
    first_row: int,
    baseline: int | None,
    screen_outliers: bool,
    improvement: str,
) -> pd.DataFrame:
    """XmR columns for the rows of one period (a stretch between rebase points)."""
    n = values.size
    in_baseline = np.arange(n) < (baseline or n)
    observed = ~np.isnan(values)
    if not (observed & in_baseline).any():
        raise AnalysisError(
            f"xmr(): period {period} (rows {first_row}-{first_row + n - 1}) has no "
            "observed value among its baseline points, so it has no mean; move or "
            "remove the rebase point, or enlarge the baseline."
        )
    obs_values = values[observed]
    obs_baseline = in_baseline[observed]
    _warn_if_provisional(int(obs_baseline.sum()), period, first_row, first_row + n - 1)
    moving_range = _moving_ranges(obs_values)
    amr, used = _mean_moving_range(np.where(obs_baseline, moving_range, np.nan), screen_outliers)
    mean = float(np.mean(obs_values[obs_baseline]))
    limits = {
        "mean": mean,
        "lpl": mean - LIMIT_FACTOR * amr,
        "upl": mean + LIMIT_FACTOR * amr,
        "near_lpl": mean - NEAR_LIMIT_FACTOR * amr,
        "near_upl": mean + NEAR_LIMIT_FACTOR * amr,
    }
    rules, direction = _detect_rules(obs_values, limits)
    frame = pd.DataFrame(
        {
            "value": values,
            "period": period,
            "in_baseline": in_baseline,
            "moving_range": np.nan,
            "moving_range_used": False,
            "mean_moving_range": amr,
            **limits,
            "special_cause": False,
            "rule": "",
            "direction": "",
            "point_type": "missing",
        }
    )
    frame.loc[observed, "moving_range"] = moving_range
    frame.loc[observed, "moving_range_used"] = used
    frame.loc[observed, "special_cause"] = direction != 0
    frame.loc[observed, "rule"] = rules
    frame.loc[observed, "direction"] = [{1: "high", -1: "low", 0: ""}[int(d)] for d in direction]
    frame.loc[observed, "point_type"] = _point_types(direction, improvement)
    return frame


def xmr(
    values: Sequence[float] | np.ndarray | pd.Series,
    improvement: str = "increase",
    target: float | None = None,
    baseline: int | None = None,
    rebase_at: Sequence[int] | None = None,
    screen_outliers: bool = True,
) -> pd.DataFrame:
    """Compute an XmR (individuals) chart with Making Data Count special-cause rules.

    Method: NHS England *Making Data Count*, as implemented by NHSRplotthedots ``ptd_spc``: mean of
    the baseline; moving ranges within a period, those >= 3.267 x their mean screened out; limits
    mean +/- 2.66 x mean moving range; near limits at 2/3 of that; rules as in the module docstring.

    Parameters
    ----------
    values : sequence of float, numpy array or pandas Series
        The measurements in time order. NaN/None/``pd.NA`` mark missing points: they keep their row
        but take no part in any calculation. A Series keeps its index (e.g. period labels).
    improvement : {"increase", "decrease", "neutral"}
        Which direction is better; "neutral" labels signals ``special_cause_neutral``.
    target : float, optional
        Target for the assurance summary (stored in ``attrs``); None for no target.
    baseline : int, optional
        Number of leading rows of each period whose observed values fix the mean and limits
        (NHSRplotthedots' ``fix_after_n_points``); default all rows. At least 2.
    rebase_at : sequence of int, optional
        0-based row positions where a new period starts; each period has its own limits and
        moving ranges never span two periods. Never set automatically.
    screen_outliers : bool, default True
        Screen out moving ranges >= 3.267 x their mean before computing the limits.

    Returns
    -------
    pandas.DataFrame
        One row per input value with columns ``value``, ``period`` (0, 1, ...), ``in_baseline``,
        ``moving_range``, ``moving_range_used``, ``mean_moving_range``, ``mean``, ``lpl``, ``upl``,
        ``near_lpl``, ``near_upl``, ``special_cause`` (bool), ``rule`` (e.g.
        ``"outside_limits;shift"`` or ``""``), ``direction`` (``"high"``, ``"low"`` or ``""``) and
        ``point_type`` (one of :data:`POINT_TYPES`). ``attrs["spc"]`` holds the arguments and the
        ``variation`` and ``assurance`` summaries. Limits are NaN when a period has fewer than two
        observed baseline points.

    Raises
    ------
    AnalysisError
        If the values are not numbers, hold no observed value or an infinite one, or an argument
        is invalid (every problem is listed).

    Warns
    -----
    ProvisionalLimitsWarning
        For each period whose limits rest on fewer than 13 observed points.
    """
    series = _coerce_values(values)
    problems = _argument_problems(
        series.size, improvement, target, baseline, rebase_at, screen_outliers
    )
    if problems:
        raise AnalysisError(
            "Invalid arguments to xmr():\n" + "\n".join(f"  - {p}" for p in problems)
        )
    bounds = [0, *(int(p) for p in (rebase_at if rebase_at is not None else [])), series.size]
    array = series.to_numpy()
    frames = []
    for k, (a, b) in enumerate(zip(bounds, bounds[1:])):  # a loop, not a comprehension, so the
        frames.append(  # warning's stacklevel points at the caller on every Python version
            _chart_period(array[a:b], k, a, baseline, bool(screen_outliers), improvement)
        )
    result = pd.concat(frames, ignore_index=True)
    result.index = series.index.copy()
    result.attrs["spc"] = {
        "improvement": improvement,
        "target": target,
        "baseline": baseline,
        "rebase_at": bounds[1:-1],
        "screen_outliers": bool(screen_outliers),
    }
    result.attrs["spc"]["variation"] = classify_variation(result)
    result.attrs["spc"]["assurance"] = classify_assurance(result)
    return result


# --------------------------------------------------------------------------- summaries


def xmr_setting(result: pd.DataFrame, name: str, given: Any) -> Any:
    """An explicit argument, else the value stored by :func:`xmr` in ``attrs``."""
    return given if given is not None else result.attrs.get("spc", {}).get(name)


def classify_variation(result: pd.DataFrame) -> str:
    """Making Data Count variation summary: the point type of the latest observed point.

    Parameters
    ----------
    result : pandas.DataFrame
        The output of :func:`xmr`.

    Returns
    -------
    str
        ``"common_cause"``, ``"special_cause_improvement"``, ``"special_cause_concern"`` or
        ``"special_cause_neutral"``.
    """
    observed = result.loc[result["point_type"] != "missing", "point_type"]
    return str(observed.iloc[-1])


def classify_assurance(
    result: pd.DataFrame, target: float | None = None, improvement: str | None = None
) -> str | None:
    """Making Data Count assurance: can the process be relied on to meet the target?

    Method: NHSRplotthedots ``ptd_calculate_assurance_type``, using the limits of the last row
    (the latest period): a target beyond the upper limit is a consistent fail when higher is better
    (a pass when lower is better); below the lower limit the reverse; otherwise inconsistent.

    Parameters
    ----------
    result : pandas.DataFrame
        The output of :func:`xmr`.
    target : float, optional
        Defaults to the target given to :func:`xmr`.
    improvement : {"increase", "decrease", "neutral"}, optional
        Defaults to the improvement direction given to :func:`xmr`.

    Returns
    -------
    str or None
        ``"consistent_pass"``, ``"consistent_fail"`` or ``"inconsistent"``; None when there is no
        target, improvement is neutral, or the latest limits could not be computed.
    """
    target = xmr_setting(result, "target", target)
    improvement = xmr_setting(result, "improvement", improvement)
    if improvement not in IMPROVEMENTS:
        raise AnalysisError(
            f"classify_assurance(): improvement must be one of {IMPROVEMENTS!r}; "
            f"got {improvement!r}."
        )
    lpl, upl = (float(result[_calculated(result, c)].iloc[-1]) for c in ("lpl", "upl"))
    if target is None or improvement == "neutral" or math.isnan(lpl) or math.isnan(upl):
        return None
    higher_is_better = improvement == "increase"
    if target > upl:
        return "consistent_fail" if higher_is_better else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if higher_is_better else "consistent_fail"
    return "inconsistent"


def _calculated(result: pd.DataFrame, column: str) -> str:
    """The column holding a limit as calculated: ``lpl_calculated`` after
    :func:`truncate_limits`, else the limit itself."""
    calculated = f"{column}_calculated"
    return calculated if calculated in result.columns else column


# --------------------------------------------------------------------------- natural range

#: The limit columns :func:`truncate_limits` cuts at a measure's bounds.
LIMIT_COLUMNS = ("lpl", "upl", "near_lpl", "near_upl")


def truncate_limits(
    result: pd.DataFrame, *, lower: float | None = None, upper: float | None = None
) -> pd.DataFrame:
    """The chart with its limits cut at the measure's natural range, for display.

    Method: NHS England's Making Data Count draws a process limit that passes a value the
    measure cannot take (below 0 for a count, above 100% for a percentage) at that bound; the
    limits are calculated as usual and only their display is cut. So each of ``lpl``, ``upl``,
    ``near_lpl`` and ``near_upl`` is clipped to ``[lower, upper]``, the calculated process limits
    are kept in ``lpl_calculated`` and ``upl_calculated`` (which :func:`classify_assurance`
    uses), and the point types, rules and summaries are those of the calculated limits.

    Parameters
    ----------
    result : pandas.DataFrame
        The output of :func:`xmr`.
    lower, upper : float, optional
        The smallest and largest value the measure can take; None for no bound.

    Returns
    -------
    pandas.DataFrame
        A copy of ``result``; ``attrs["spc"]["truncated"]`` lists which limits were cut in the
        latest period (``"lower"``, ``"upper"``), ``attrs["spc"]["bounds"]`` the bounds.

    Raises
    ------
    AnalysisError
        If ``lower`` is not below ``upper``.
    """
    if lower is not None and upper is not None and not lower < upper:
        raise AnalysisError(
            f"truncate_limits(): lower ({lower!r}) must be below upper ({upper!r}); give the "
            "measure's possible range, e.g. lower=0, upper=100 for a percentage"
        )
    shown = result.copy()
    shown.attrs = {"spc": dict(result.attrs.get("spc", {}))}
    shown["lpl_calculated"] = result[_calculated(result, "lpl")]
    shown["upl_calculated"] = result[_calculated(result, "upl")]
    for column in LIMIT_COLUMNS:
        shown[column] = result[column].clip(lower=lower, upper=upper)
    latest = result.iloc[-1]
    cut = []
    if lower is not None and latest[_calculated(result, "lpl")] < lower:
        cut.append("lower")
    if upper is not None and latest[_calculated(result, "upl")] > upper:
        cut.append("upper")
    shown.attrs["spc"].update(truncated=cut, bounds=(lower, upper))
    return shown


# --------------------------------------------------------------------------- report text


def _format_number(value: float, unit: str = "", decimals: int = 1) -> str:
    """``41.2``, ``40%``, ``£1,250``: the reports' number format
    (:func:`perfeval.present.html.format_number`, rounded half up) with trailing zeros dropped."""
    return format_number(value, decimals, unit, trim_zeros=True)


def point_label(result: pd.DataFrame, position: int) -> str:
    index = result.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return f"Point {position + 1}"
    return str(index[position])


def _rule_reason(
    result: pd.DataFrame, position: int, rule: str, fmt: Callable[[float], str]
) -> str:
    row = result.iloc[position]
    high = row["value"] > row["mean"]
    side = "above" if high else "below"
    if rule == "outside_limits":
        return (
            f"it is above the upper process limit ({fmt(row['upl'])})"
            if high
            else f"it is below the lower process limit ({fmt(row['lpl'])})"
        )
    if rule == "trend":
        values = result["value"].to_numpy()
        rows = np.flatnonzero(result["period"].to_numpy() == row["period"])
        in_period = values[rows]
        before = int(np.sum(~np.isnan(values[rows[0] : position])))
        step = _trend_directions(in_period[~np.isnan(in_period)])[before]
        return (
            f"it is part of a run of {RUN_LENGTH} or more points each "
            f"{'higher' if step > 0 else 'lower'} than the one before"
        )
    if rule == "two_in_three":
        near = fmt(row["near_upl"] if high else row["near_lpl"])
        limit = "upper" if high else "lower"
        return (
            f"it is one of 2 of 3 consecutive points close to the {limit} process limit "
            f"(beyond {near})"
        )
    return (
        f"it is part of a run of {RUN_LENGTH} or more points {side} the mean ({fmt(row['mean'])})"
    )


def explain_point(
    result: pd.DataFrame,
    position: int,
    *,
    label: str | None = None,
    unit: str = "",
    decimals: int = 1,
) -> str:
    """A plain-English sentence saying why a point was, or was not, flagged.

    Parameters
    ----------
    result : pandas.DataFrame
        The output of :func:`xmr`.
    position : int
        0-based row position; negative counts from the end (-1 is the latest row).
    label : str, optional
        How to name the point; defaults to its index label, or "Point n" for a plain index.
    unit : str, default ""
        Unit of the numbers, as :func:`perfeval.present.html.format_number` attaches it ("%" after,
        "£" before).
    decimals : int, default 1
        Decimal places for numbers (rounded half up, trailing zeros dropped).

    Returns
    -------
    str
        E.g. "2024/25 Q3 is a special cause of concern: it is below the lower process limit (41.2)."

    Raises
    ------
    AnalysisError
        If ``position`` is not a row of ``result``.
    """
    if not _is_int(position) or not -len(result) <= position < len(result):
        raise AnalysisError(
            f"explain_point(): position must be a row position between "
            f"{-len(result)} and {len(result) - 1}; got {position!r}."
        )
    position = position % len(result)
    name = label if label is not None else point_label(result, position)
    row = result.iloc[position]
    fmt = partial(_format_number, unit=unit, decimals=decimals)
    if row["point_type"] == "missing":
        return f"{name} has no value, so it was not assessed."
    if row["point_type"] == "common_cause":
        limits = (
            f"within the process limits ({fmt(row['lpl'])} to {fmt(row['upl'])})"
            if not math.isnan(row["lpl"])
            else "not assessable against limits yet"
        )
        return (
            f"{name} shows common-cause variation: it is {limits} and not part of a run, trend "
            "or 2-of-3 pattern."
        )
    kind = {
        "special_cause_improvement": "a special cause of improvement",
        "special_cause_concern": "a special cause of concern",
        "special_cause_neutral": "a special cause (neither improvement nor concern)",
    }
    reasons = [_rule_reason(result, position, rule, fmt) for rule in row["rule"].split(";")]
    because = reasons[0] if len(reasons) == 1 else "; ".join(reasons[:-1]) + "; and " + reasons[-1]
    return f"{name} is {kind[row['point_type']]}: {because}."


_VARIATION_TEXT = {
    "common_cause": "the latest value shows only common-cause variation (no significant change)",
    "special_cause_improvement": "the latest value is a special cause of improvement "
    "(significantly {side} than the usual variation)",
    "special_cause_concern": "the latest value is a special cause of concern (significantly "
    "{side} than the usual variation)",
    "special_cause_neutral": "the latest value is a special cause, neither improvement nor "
    "concern (significantly {side} than the usual variation)",
}


def describe_variation_and_assurance(
    result: pd.DataFrame,
    *,
    target: float | None = None,
    improvement: str | None = None,
    unit: str = "",
    decimals: int = 1,
    target_words: str | None = None,
    periods: str = "periods",
) -> str:
    """One sentence for report text giving the chart's variation and assurance.

    The limits quoted are those in ``result`` (after :func:`truncate_limits`, the limits as
    shown); the assurance is judged on the calculated limits.

    Parameters
    ----------
    result : pandas.DataFrame
        The output of :func:`xmr` (or :func:`truncate_limits`).
    target, improvement : optional
        Default to the values given to :func:`xmr` (see :func:`classify_assurance`).
    unit : str, default ""
        Unit of the numbers, as :func:`perfeval.core.formatting.format_number` attaches it ("%"
        after, "£" before).
    decimals : int, default 1
        Decimal places for numbers (rounded half up, trailing zeros dropped).
    target_words : str, optional
        How to name the target, e.g. "the quarterly target of 2.24 (the annual target of 8.97
        over 4 quarters)"; default "the target of" and the target.
    periods : str, default "periods"
        The plural word for the chart's periods ("quarters", "months").

    Returns
    -------
    str
        E.g. "The latest value shows only common-cause variation (no significant change); the
        target of 40% lies within the process limits (35.1% to 47.3%), so it will be met in some
        periods and missed in others."
    """
    target = xmr_setting(result, "target", target)
    improvement = xmr_setting(result, "improvement", improvement)
    variation = classify_variation(result)
    latest = result[result["point_type"] != "missing"].iloc[-1]
    first = _VARIATION_TEXT[variation].format(
        side="higher" if latest["direction"] == "high" else "lower"
    )
    aim = target_words or (
        f"the target of {_format_number(target, unit, decimals)}" if target is not None else ""
    )
    second = _describe_assurance(result, target, improvement, unit, decimals, aim, periods)
    return f"{first[0].upper()}{first[1:]}; {second}."


def _describe_assurance(
    result: pd.DataFrame,
    target: float | None,
    improvement: str | None,
    unit: str,
    decimals: int,
    aim: str,
    periods: str,
) -> str:
    if target is None:
        return "no target is set"
    if improvement == "neutral":
        return f"{aim} gives no assurance for a measure where neither direction is better"
    assurance = classify_assurance(result, target, improvement)
    if assurance is None:
        return f"{aim} cannot be assessed until the process limits can be calculated"
    limits = (
        f"{_format_number(result['lpl'].iloc[-1], unit, decimals)} to "
        f"{_format_number(result['upl'].iloc[-1], unit, decimals)}"
    )
    return {
        "consistent_pass": f"the process limits ({limits}) lie entirely on the better side of "
        f"{aim}, so it will be met consistently",
        "consistent_fail": f"the process limits ({limits}) lie entirely on the worse side of "
        f"{aim}, so it will be missed consistently",
        "inconsistent": f"{aim} lies within the process limits ({limits}), so it will be met "
        f"in some {periods} and missed in others",
    }[assurance]


# --------------------------------------------------------------------------- chart
