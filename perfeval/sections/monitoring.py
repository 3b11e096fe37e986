"""The quarterly monitoring report: integrated finance and performance, quarter by quarter.

Quarterly and monthly PIs year to date against targets profiled from the annual target
(:func:`perfeval.stats.profiling.profile_annual_target`; a rate with numerators and denominators
as their ratio of sums), better or worse than profile in percentage points for a percentage
(:func:`better_than_target`), year-end forecasts with a 95% prediction interval rated
"On track / At risk / Off track", Making Data Count XmR charts (:mod:`perfeval.stats.spc`) with
their limits shown within the measure's :func:`natural_range`, and the integrated finance
section (:func:`perfeval.stats.budget.monitor_budget` beside each service's PI RAG).

The report's sections (:func:`quarterly_opening`, :func:`forecast_section`,
:func:`year_to_date_section`, :func:`spc_section`, :func:`finance_section`,
:func:`quarterly_method_section`) each return a :class:`~perfeval.present.section.Section` built
from the state :func:`prepare_quarterly` makes once; a notebook cell records a section's key
figures and displays it. The other functions return plain frames or sentences; the charts are in
:mod:`perfeval.present.charts_monitoring`.

The end-of-year review's pieces (exceptions, commentary, data-quality register) moved to
:mod:`perfeval.sections.review`; their old names here still work, with a
:class:`DeprecationWarning`, until perfeval 0.3 (:func:`__getattr__`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError
from perfeval.core.formatting import format_number, join_words, label_with_unit, plural
from perfeval.core.periods import Period, months_of, parse_period, quarters_of
from perfeval.data import notes
from perfeval.data.loader import Dataset, council_name
from perfeval.present import charts, charts_monitoring, narrative
from perfeval.present.section import Section
from perfeval.sections import delivery
from perfeval.sections.annual import budget_display_columns, budget_section, report_context
from perfeval.sections.common import opening_section
from perfeval.stats import budget as money
from perfeval.stats import profiling, scorecard, spc
from perfeval.stats import rag as rag_rule
from perfeval.stats.indicator_table import IN_YEAR_DESCRIPTION, in_year_indicator_table
from perfeval.stats.indicators import describe_symbol

# --------------------------------------------------------------------------- vocabularies

#: Forecast states in report order, for counts and charts.
FORECAST_ORDER = (
    profiling.ON_TRACK,
    profiling.AT_RISK,
    profiling.OFF_TRACK,
    rag_rule.NO_DATA,
    rag_rule.NO_TARGET,
    rag_rule.NOT_APPLICABLE,
)
#: Measure kind used when no past year shows whether the annual value is a total or an average.
DEFAULT_MEASURE_KIND = "average"
#: Polarity -> Making Data Count improvement direction.
IMPROVEMENT = {"higher": "increase", "lower": "decrease", "neutral": "neutral"}
VARIATION_WORDS = {code: name for code, (_, _, name) in charts.POINT_STYLES.items()}
ASSURANCE_WORDS = {
    "consistent_pass": "Target consistently met",
    "consistent_fail": "Target consistently missed",
    "inconsistent": "Target met inconsistently (hit and miss)",
    None: "No assurance (no target or limits)",
}

#: Bar colours for forecast states (the state's word is always on the bar's label too).
FORECAST_COLOURS = {
    profiling.ON_TRACK: charts.RAG_STYLE["Green"][0],
    profiling.AT_RISK: charts.RAG_STYLE["Amber"][0],
    profiling.OFF_TRACK: charts.RAG_STYLE["Red"][0],
}

FINANCE_NOTE = (
    f"{money.describe_variance_rule()} PI counts are each service's quarterly and monthly PIs by "
    "their RAG against the profiled target to date; 'other' = no data or no target."
)

KIND_METHOD = (
    "Measure kind: as the indicator register's measure column says; where it is blank, inferred "
    "from past years with an annual value and a complete set of quarterly (monthly) values: the "
    "kind whose rule gives the annual value most closely in most of those years, a cumulative "
    "measure's year being the sum of its periods (year to date = running total), an average "
    "measure's their mean (year to date = mean of the periods so far) and a snapshot's its last "
    "period (a position at a date; year to date = the latest position). With no such past year, "
    "or a tie, it is taken as an average measure."
)
PROFILE_METHOD_TEXT = {
    "even": (
        "Profiled targets: the annual target is split evenly across the quarters (months); "
        "a snapshot (a position at a date) has its year-end target at every period end."
    ),
    "seasonal": (
        "Profiled targets: the annual target is split by each period's average share of "
        "the year in the complete years before the report year (seasonal profile); a "
        "percentage's profiled target never passes 100% (the other periods take up the "
        "difference); an indicator without a complete past year is profiled evenly, "
        "and the table says so; a snapshot (a position at a date) has its year-end "
        "target at every period end."
    ),
}
#: The largest value a unit allows, for profiling (a seasonal target above it is impossible).
UPPER_BOUNDS = {"%": 100.0}
#: Units of a percentage or a rate per 100, whose differences are in percentage points.
POINTS_UNITS = re.compile(r"%|percent(age)?|(rate )?per 100", re.IGNORECASE)
#: Units that can never be negative (counts, durations, rates), lower-case.
NON_NEGATIVE_UNITS = frozenset({"number", "count", "days", "weeks", "hours", "rate"})
GAP_METHOD = (
    "Better or worse than profile: for a percentage (or a rate per 100) the difference from the "
    "profiled target in percentage points; for other measures the difference as a % of the "
    "profiled target; + is better, - worse, whichever direction is better for the indicator."
)
SPC_METHOD = (
    "SPC: XmR charts after NHS England's Making Data Count (as NHSRplotthedots): mean of all "
    "points shown, process limits at mean +/- 2.66 x mean moving range (moving ranges of 3.267 x "
    "their mean or more screened out), special causes for a point outside the limits, a run of 7 "
    "rising or falling points, 7 on one side of the mean, or 2 of 3 near a limit. Variation is "
    "judged at the latest point; assurance compares the target with the latest limits. The target "
    "used is the annual target for an average measure and the annual target divided by the number "
    "of periods in the year for a cumulative one. Limits on fewer than 13 points are provisional. "
    "As Making Data Count draws them, a limit beyond the values a measure can take (below 0, or "
    "above 100% for a percentage) is shown at that bound in the charts, sentences and table; the "
    "rules and the assurance use the limits as calculated."
)


def quarter_label(year: str, quarter: int) -> str:
    """``"2024/25 Q3"`` from ``"2024/25"`` and 3."""
    _check_quarter(quarter)
    return quarters_of(year)[quarter - 1]


def _check_quarter(quarter: int) -> None:
    if (
        not isinstance(quarter, (int, np.integer))
        or isinstance(quarter, bool)
        or not 1 <= quarter <= 4
    ):
        raise AnalysisError(f"quarter must be a whole number from 1 to 4; got {quarter!r}")


def describe_as_at(year: str, quarter: int) -> str:
    """ "Position at the end of 2024/25 Q3 (April to December 2024)."""
    end = Period("month", parse_period(year).fy, 3 * quarter)
    start = parse_period(year).start
    month_name = pd.Timestamp(year=end.calendar_month[0], month=end.calendar_month[1], day=1)
    return (
        f"Position at the end of {quarter_label(year, quarter)} ({start:%B} to {month_name:%B %Y})."
    )


def periods_to_quarter(year: str, frequency: str, quarter: int) -> list[str]:
    """Labels of the quarters (or months) of ``year`` from its start to the end of ``quarter``."""
    _check_quarter(quarter)
    if frequency not in profiling.FREQUENCIES:
        raise AnalysisError(
            f"frequency must be one of {list(profiling.FREQUENCIES)}; got {frequency!r}"
        )
    if frequency == "quarterly":
        return quarters_of(year)[:quarter]
    return months_of(year)[: 3 * quarter]


# --------------------------------------------------------------------------- in-year position


def infer_measure_kind(history: pd.DataFrame, frequency: str) -> str:
    """Whether an indicator's annual value is a total ("cumulative"), a level ("average") or the
    year-end position ("snapshot").

    Method: :data:`KIND_METHOD`. ``history`` holds ``period, value`` rows of one authority and
    indicator, annual and sub-annual; a year counts when it has an annual value and a value for
    every quarter (month). In each such year the kind whose rule (sum, mean, last value) comes
    closest to the annual value gets a vote; a year where two rules come equally close votes
    for neither. Most votes wins; a tie and no evidence give :data:`DEFAULT_MEASURE_KIND`.
    """
    kind, count = profiling.FREQUENCIES[frequency]
    parsed = [
        (parse_period(p), v)
        for p, v in zip(history["period"].astype(str), pd.to_numeric(history["value"]))
    ]
    annual = {p.fy: v for p, v in parsed if p.kind == "year" and pd.notna(v)}
    parts: dict[int, list[tuple[int, float]]] = {}
    for p, v in parsed:
        if p.kind == kind and pd.notna(v):
            parts.setdefault(p.fy, []).append((p.index, float(v)))
    votes = {"cumulative": 0, "average": 0, "snapshot": 0}
    for fy, found in parts.items():
        if fy not in annual or len(found) != count:
            continue
        values = [v for _, v in sorted(found)]
        gaps = {
            "cumulative": abs(annual[fy] - sum(values)),
            "average": abs(annual[fy] - sum(values) / count),
            "snapshot": abs(annual[fy] - values[-1]),
        }
        closest = min(gaps.values())
        winners = [k for k, gap in gaps.items() if gap == closest]
        if len(winners) == 1:
            votes[winners[0]] += 1
    most = max(votes.values())
    leaders = [k for k, n in votes.items() if n == most]
    return leaders[0] if most and len(leaders) == 1 else DEFAULT_MEASURE_KIND


def natural_range(unit: str) -> tuple[float | None, float | None]:
    """The smallest and largest value a PI's unit allows, ``(lower, upper)`` with None for no
    bound: 0 to 100 for a percentage; 0 to N for a score "out of N"; 0 or more for a count,
    days, a rate or an amount per something (``per 100,000``); no bound for anything else
    (£, which may be a net figure, or a unit it does not know)."""
    text = str(unit or "").strip().lower()
    if text in ("%", "percent", "percentage"):
        return 0.0, 100.0
    out_of = re.search(r"out of ([\d,.]+)", text)
    if out_of:
        return 0.0, float(out_of.group(1).replace(",", ""))
    if text in NON_NEGATIVE_UNITS or text.startswith("per ") or text.startswith("rate"):
        return 0.0, None
    return None, None


def in_points(unit: str) -> bool:
    """Whether differences of a PI are in percentage points: its unit is a percentage or a rate
    per 100 (:data:`POINTS_UNITS`)."""
    return bool(POINTS_UNITS.fullmatch(str(unit or "").strip()))


def points_better_than_target(value: float, target: float, polarity: str) -> float:
    """How far a value is better (+) or worse (-) than its target in the PI's own units
    (percentage points for a percentage): ``(value - target) x sign``, sign +1 when higher is
    better and -1 when lower is better; NaN for neutral polarity or a missing value or target."""
    sign = {"higher": 1.0, "lower": -1.0}.get(polarity)
    if sign is None or pd.isna(value) or pd.isna(target):
        return float("nan")
    return (value - target) * sign


def better_than_target(value: float, target: float, polarity: str, unit: str) -> float:
    """Better (+) or worse (-) than target as :data:`GAP_METHOD` says: percentage points for a
    percentage or rate per 100 (:func:`points_better_than_target`), % of the target otherwise
    (:func:`percent_better_than_target`)."""
    if in_points(unit):
        return points_better_than_target(value, target, polarity)
    return percent_better_than_target(value, target, polarity)


def gap_unit(unit: str) -> str:
    """The unit of :func:`better_than_target`: ``"percentage points"`` or ``"%"``."""
    return charts_monitoring.POINTS if in_points(unit) else "%"


def format_gap(gap: float, unit: str) -> str:
    """``"+1.2 percentage points"`` for a percentage, ``"-14.2%"`` otherwise
    (:func:`perfeval.present.charts_monitoring.format_gap` with :func:`gap_unit`)."""
    return charts_monitoring.format_gap(gap, gap_unit(unit))


def percent_better_than_target(value: float, target: float, polarity: str) -> float:
    """How far a value is better (+) or worse (-) than its target, in % of the target.

    ``100 x (value - target) x sign / |target|`` with sign +1 when higher is better and -1 when
    lower is better; NaN for neutral polarity, a missing value or a zero or missing target.
    """
    sign = {"higher": 1.0, "lower": -1.0}.get(polarity)
    if sign is None or pd.isna(value) or pd.isna(target) or target == 0:
        return float("nan")
    return 100.0 * (value - target) * sign / abs(target)


def _profile(
    annual_target: float,
    year: str,
    frequency: str,
    method: str,
    kind: str,
    past: pd.DataFrame,
    upper_bound: float | None,
) -> tuple[pd.DataFrame, str]:
    """Profiled targets and the profile actually used (seasonal falls back to even; a snapshot
    has its year-end target at every period end)."""
    if kind == "snapshot":
        return (
            profiling.profile_annual_target(annual_target, year, frequency=frequency, kind=kind),
            "year-end target (snapshot)",
        )
    if method == "seasonal":
        bound = None  # only a level can be bounded; a target past the bound is left as it is
        if kind == "average" and upper_bound is not None and annual_target <= upper_bound:
            bound = upper_bound
        try:
            return (
                profiling.profile_annual_target(
                    annual_target,
                    year,
                    frequency=frequency,
                    method="seasonal",
                    kind=kind,
                    history=past,
                    upper_bound=bound,
                ),
                "seasonal",
            )
        except AnalysisError:
            pass
    profile = profiling.profile_annual_target(
        annual_target, year, frequency=frequency, method="even", kind=kind
    )
    return profile, "even" if method == "even" else "even (no complete past year)"


def assess_indicator_in_year(
    history: pd.DataFrame,
    annual_target: float,
    year: str,
    quarter: int,
    *,
    frequency: str,
    polarity: str,
    tolerance: float | None = None,
    tolerance_type: str | None = None,
    method: str = "even",
    upper_bound: float | None = None,
    kind: str | None = None,
    unit: str = "",
) -> dict[str, Any]:
    """One indicator's year-to-date position and year-end forecast at the end of a quarter.

    Steps: measure kind as given, else from past years (:func:`infer_measure_kind`); annual
    target profiled (:func:`perfeval.stats.profiling.profile_annual_target`, seasonal shares
    from the years before ``year``); year to date against the profiled target
    (:func:`perfeval.stats.profiling.assess_year_to_date`), as a ratio of sums where the
    history has numerators and denominators for every period so far
    (:func:`year_to_date_ratio`); forecast (:func:`perfeval.stats.profiling.forecast_year_end`)
    with its prediction interval (:func:`perfeval.stats.profiling.forecast_interval`, cut at
    the unit's :func:`natural_range`), rated against the annual target
    (:func:`perfeval.stats.profiling.assess_forecast`).

    Parameters
    ----------
    history : DataFrame
        ``period, value`` (optional ``value_symbol``, ``numerator``, ``denominator``) of one
        authority and indicator, any periods.
    annual_target : float
        NaN when there is none (the RAG is then "No target").
    year : str
    quarter : int
        1-4; values after the end of this quarter are ignored.
    frequency : {"quarterly", "monthly"}
    polarity, tolerance, tolerance_type
        From the register.
    method : {"even", "seasonal"}
    upper_bound : float, optional
        The largest value the measure can take (100 for a percentage): no seasonal period target
        of an average measure passes it (:func:`perfeval.stats.profiling.bounded_period_targets`).
    kind : {"cumulative", "average", "snapshot"}, optional
        The measure kind from the indicator register; inferred from ``history`` when None.
    unit : str, default ""
        The register's unit: the gap is in percentage points for a percentage
        (:func:`better_than_target`), and the forecast interval is cut at its natural range.

    Returns
    -------
    dict
        ``kind``, ``profile``, ``ytd_rule`` (how the year to date was made), ``periods_reported``,
        ``periods_expected``, ``last_period``, ``ytd_value``, ``ytd_target``, ``rag``, ``gap``,
        ``gap_unit``, ``forecast``, ``forecast_lower``, ``forecast_upper``, ``interval_note``,
        ``forecast_state`` and ``note`` (why something could not be assessed, else "").
    """
    wanted = periods_to_quarter(year, frequency, quarter)
    fy = parse_period(year).fy
    labels = history["period"].astype(str)
    past = history[[parse_period(p).fy < fy for p in labels]]
    kind = kind or infer_measure_kind(past, frequency)
    profile, used = _profile(annual_target, year, frequency, method, kind, past, upper_bound)
    actuals = history[labels.isin(wanted)]
    result = {
        "kind": kind,
        "profile": used,
        "ytd_rule": default_ytd_rule(kind, frequency),
        "periods_reported": 0,
        "periods_expected": len(wanted),
        "last_period": "",
        "ytd_value": np.nan,
        "ytd_target": np.nan,
        "rag": rag_rule.NO_DATA,
        "gap": np.nan,
        "gap_unit": gap_unit(unit),
        "forecast": np.nan,
        "forecast_lower": np.nan,
        "forecast_upper": np.nan,
        "interval_note": "no forecast",
        "forecast_state": rag_rule.NO_DATA,
        "note": "",
    }
    if not pd.to_numeric(actuals["value"]).notna().any():
        symbols = actuals.get("value_symbol", pd.Series(dtype=object)).dropna().unique()
        why = "; ".join(describe_symbol(s) for s in symbols)
        return {**result, "note": f"no value to {wanted[-1]}" + (f" ({why})" if why else "")}
    ytd = profiling.assess_year_to_date(
        actuals, profile, polarity=polarity, tolerance=tolerance, tolerance_type=tolerance_type
    ).iloc[-1]
    last_period, ytd_value = str(ytd["period"]), float(ytd["ytd_value"])
    result.update(
        periods_reported=int(actuals["value"].notna().sum()),
        last_period=last_period,
        ytd_value=ytd_value,
        ytd_target=float(ytd["ytd_target"]),
        rag=str(ytd["rag"]),
    )
    if np.isnan(ytd_value):  # a gap before the latest value: no running total
        seen = set(actuals.loc[actuals["value"].notna(), "period"].astype(str))
        gaps = [p for p in wanted[: wanted.index(last_period) + 1] if p not in seen]
        return {**result, "rag": rag_rule.NO_DATA, "note": f"no value for {', '.join(gaps)}"}
    notes_here = [] if last_period == wanted[-1] else [f"latest value is for {last_period}"]
    ratio = None
    if kind == "average":
        ratio, why_not = year_to_date_ratio(actuals, profile, last_period)
        notes_here += [why_not] if why_not else []
    ytd_target = float(ytd["ytd_target"])
    if ratio is not None:
        ytd_value, ytd_target = ratio
        result.update(
            ytd_rule=RATIO_RULE,
            ytd_value=ytd_value,
            ytd_target=ytd_target,
            rag=rag_rule.rag_state(ytd_value, ytd_target, polarity, tolerance, tolerance_type),
        )
    result["gap"] = better_than_target(ytd_value, ytd_target, polarity, unit)
    forecast = profiling.forecast_year_end(
        actuals, profile, year_to_date=None if ratio is None else ratio[0]
    )["forecast"]
    state = profiling.assess_forecast(
        forecast,
        annual_target,
        polarity=polarity,
        tolerance=tolerance,
        tolerance_type=tolerance_type,
    )
    reached = list(profile["period"]).index(last_period) + 1
    lower, upper, why = forecast_range(forecast, profile, past, reached, frequency, unit)
    return {
        **result,
        "forecast": float(forecast),
        "forecast_lower": lower,
        "forecast_upper": upper,
        "interval_note": why,
        "forecast_state": state,
        "note": "; ".join(notes_here),
    }


#: How the year to date of each measure kind is made, in the table's words.
RATIO_RULE = "sum of numerators / sum of denominators"


def default_ytd_rule(kind: str, frequency: str) -> str:
    """How the year to date is made without numerators and denominators: ``running total``
    (cumulative), ``mean of the quarters`` (``months``; average) or ``latest position``
    (snapshot)."""
    periods = "quarters" if frequency == "quarterly" else "months"
    return {
        "cumulative": "running total",
        "average": f"mean of the {periods}",
        "snapshot": "latest position",
    }[kind]


def year_to_date_ratio(
    actuals: pd.DataFrame, profile: pd.DataFrame, last_period: str
) -> tuple[tuple[float, float] | None, str]:
    """An average measure's year to date as a ratio of sums, and its matching target.

    Method: :data:`perfeval.stats.profiling.RATIO_METHOD`. Where ``actuals`` has a numerator and
    a denominator for every period from the first of the year to ``last_period``, and they give
    the values (:func:`perfeval.stats.profiling.implied_multiplier`), the year to date is
    :func:`perfeval.stats.profiling.ratio_of_sums` and the target to date
    :func:`perfeval.stats.profiling.weighted_target` of the period targets.

    Returns
    -------
    tuple
        ``((year to date, target to date), "")``, or ``(None, why)`` with why the mean of the
        periods is used instead ("" when the data has no numerators or denominators at all).
    """
    if not {"numerator", "denominator"} <= set(actuals.columns):
        return None, ""
    periods = list(profile["period"])[: list(profile["period"]).index(last_period) + 1]
    rows = actuals.assign(period=actuals["period"].astype(str)).set_index("period")
    rows = rows.reindex(periods)
    num = pd.to_numeric(rows["numerator"], errors="coerce").to_numpy(dtype=float)
    den = pd.to_numeric(rows["denominator"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(num).all() and np.isnan(den).all():
        return None, ""
    missing = [p for p, n, d in zip(periods, num, den) if np.isnan(n) or np.isnan(d)]
    if missing:
        return None, (
            f"no numerator or denominator for {join_words(missing)}, so the year to date is "
            "the mean of the periods"
        )
    values = pd.to_numeric(rows["value"], errors="coerce").to_numpy(dtype=float)
    multiplier = profiling.implied_multiplier(values, num, den)
    if multiplier is None or den.sum() == 0:
        return None, (
            "the numerators and denominators do not give the values, so the year to date is "
            "the mean of the periods"
        )
    targets = profile["period_target"].to_numpy(dtype=float)[: len(periods)]
    return (
        profiling.ratio_of_sums(num, den, multiplier),
        profiling.weighted_target(targets, den),
    ), ""


def forecast_range(
    forecast: float,
    profile: pd.DataFrame,
    past: pd.DataFrame,
    reached: int,
    frequency: str,
    unit: str,
) -> tuple[float, float, str]:
    """The forecast's prediction interval (:func:`perfeval.stats.profiling.forecast_interval`
    from :func:`perfeval.stats.profiling.reached_shares` of the past years), cut at the unit's
    :func:`natural_range`, and a note: ``""``, or why there is no interval, or which end was
    cut."""
    kind = str(profile["kind"].iloc[0])
    shares = profiling.reached_shares(past, kind=kind, periods=reached, frequency=frequency)
    expected = profiling.profile_reached_share(profile, reached)
    if not expected > 0 or not np.isfinite(forecast):
        return np.nan, np.nan, "no interval: the profile expects nothing reached yet"
    lower, upper = profiling.forecast_interval(forecast, expected, shares)
    if np.isnan(lower):
        if len(shares) < profiling.MIN_INTERVAL_YEARS:
            return (
                np.nan,
                np.nan,
                (
                    f"no interval: {plural(len(shares), 'complete past year')}, "
                    f"fewer than {profiling.MIN_INTERVAL_YEARS}"
                ),
            )
        return np.nan, np.nan, "no interval: past years vary too much"
    low_bound, high_bound = natural_range(unit)
    cut: list[str] = []
    if low_bound is not None and lower < low_bound:
        lower, cut = low_bound, [*cut, "lower"]
    if high_bound is not None and upper > high_bound:
        upper, cut = high_bound, [*cut, "upper"]
    return lower, upper, (f"{' and '.join(cut)} end cut at the possible range" if cut else "")


def assess_in_year(
    data: Dataset, council: str, year: str, quarter: int, *, method: str = "even"
) -> pd.DataFrame:
    """Every quarterly and monthly PI's position at the end of a quarter (register order).

    Applies :func:`assess_indicator_in_year` to each indicator of the register whose frequency
    is quarterly or monthly, with its annual target for ``year`` from targets.csv, its measure
    kind from the register's ``measure`` column (inferred where blank), its unit (percentage
    points, the forecast interval's range) and, for a percentage, profiled targets that never
    pass 100; the values' ``numerator`` and ``denominator`` columns, where the data has them,
    make the year to date of a rate a ratio of sums.

    Returns
    -------
    DataFrame
        ``indicator, title, unit, polarity, service, decimals, frequency, annual_target`` and the
        keys of :func:`assess_indicator_in_year`.
    """
    register = data.indicators
    sub_annual = register[register["frequency"].isin(list(profiling.FREQUENCIES))]
    values = data.indicator_values[data.indicator_values["authority"] == council]
    targets = data.targets[
        (data.targets["authority"] == council) & (data.targets["period"] == year)
    ].set_index("indicator")["target"]
    rows = []
    for pi in sub_annual.itertuples(index=False):
        history = values[values["indicator"] == pi.code]
        target = float(targets.get(pi.code, np.nan))
        tolerance = None if pd.isna(pi.tolerance) else float(pi.tolerance)
        tolerance_type = None if pd.isna(pi.tolerance_type) else str(pi.tolerance_type)
        assessed = assess_indicator_in_year(
            history,
            target,
            year,
            quarter,
            frequency=pi.frequency,
            polarity=pi.polarity,
            tolerance=tolerance,
            tolerance_type=tolerance_type,
            method=method,
            upper_bound=UPPER_BOUNDS.get(pi.unit),
            kind=_register_measure(pi),
            unit=pi.unit,
        )
        rows.append(
            {
                "indicator": pi.code,
                "title": pi.title,
                "unit": pi.unit,
                "polarity": pi.polarity,
                "service": pi.service,
                "decimals": int(pi.decimals),
                "frequency": pi.frequency,
                "annual_target": target,
                **assessed,
            }
        )
    return pd.DataFrame(rows)


def _register_measure(pi: Any) -> str | None:
    """The register's measure kind of an indicator (a row of the register), or None when the
    register has no measure column or leaves it blank."""
    measure = getattr(pi, "measure", None)
    return (
        None
        if measure is None or pd.isna(measure) or not str(measure).strip()
        else str(measure).strip()
    )


def _number(value: float, decimals: int, unit: str) -> str:
    return format_number(value, decimals, scorecard.unit_symbol(unit))


def in_year_table(position: pd.DataFrame) -> pd.DataFrame:
    """Display table: year to date against profile and year-end forecast, RAG in words."""
    rag = [f"{rag_rule.RAG_SYMBOLS.get(r, '')} {r}".strip() for r in position["rag"]]
    return pd.DataFrame(
        {
            "Indicator": [
                label_with_unit(t, u) for t, u in zip(position["title"], position["unit"])
            ],
            "Measured": [
                f"{f}, {k}; year to date: {r}"
                for f, k, r in zip(position["frequency"], position["kind"], position["ytd_rule"])
            ],
            "Year to date (to)": [
                f"{_number(v, d, u)} ({p})" if p else ""
                for v, d, u, p in zip(
                    position["ytd_value"],
                    position["decimals"],
                    position["unit"],
                    position["last_period"],
                )
            ],
            "Profiled target to date": [
                _number(v, d, u)
                for v, d, u in zip(position["ytd_target"], position["decimals"], position["unit"])
            ],
            "Against profile": rag,
            "Better (+) or worse (-) than profile": [
                format_gap(g, u) for g, u in zip(position["gap"], position["unit"])
            ],
            "Year-end forecast": [
                _number(v, d, u)
                for v, d, u in zip(position["forecast"], position["decimals"], position["unit"])
            ],
            "95% interval of the forecast": [_interval(row) for row in position.to_dict("records")],
            "Annual target": [
                _number(v, d, u)
                for v, d, u in zip(
                    position["annual_target"], position["decimals"], position["unit"]
                )
            ],
            "Forecast status": position["forecast_state"].to_numpy(),
            "Profile": position["profile"].to_numpy(),
            "Note": position["note"].to_numpy(),
        }
    )


def _interval(pi: Mapping[str, Any]) -> str:
    """``"88.1% to 92.4%"`` (with why an end was cut), or why there is no interval."""
    if pd.isna(pi["forecast_lower"]):
        return str(pi["interval_note"]).removeprefix("no interval: ").join(("none (", ")"))
    decimals, unit = int(pi["decimals"]), pi["unit"]
    text = f"{_number(pi['forecast_lower'], decimals, unit)} to "
    text += _number(pi["forecast_upper"], decimals, unit)
    return f"{text} ({pi['interval_note']})" if pi["interval_note"] else text


def count_forecast_states(position: pd.DataFrame) -> pd.Series:
    """How many PIs are On track, At risk, Off track (and No data / No target / Not applicable)."""
    return scorecard.count_by_state(position, "forecast_state", FORECAST_ORDER)


def forecast_exceptions(position: pd.DataFrame) -> pd.DataFrame:
    """PIs forecast Off track or At risk, Off track first, then register order."""
    order = {profiling.OFF_TRACK: 0, profiling.AT_RISK: 1}
    rows = position[position["forecast_state"].isin(list(order))]
    return (
        rows.assign(_o=rows["forecast_state"].map(order))
        .sort_values("_o", kind="mergesort")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def describe_in_year(position: pd.DataFrame, as_at: str) -> str:
    """One sentence: forecast states and how many PIs are behind profile to date."""
    counts = count_forecast_states(position)
    rated = int(counts[[profiling.ON_TRACK, profiling.AT_RISK, profiling.OFF_TRACK]].sum())
    red = int((position["rag"] == rag_rule.RED).sum())
    with_rag = int(position["rag"].isin([rag_rule.GREEN, rag_rule.AMBER, rag_rule.RED]).sum())
    return (
        f"At {as_at}, of {rated} quarterly and monthly indicators with a year-end forecast "
        f"and target, {counts[profiling.ON_TRACK]} are on track, {counts[profiling.AT_RISK]} at "
        f"risk and {counts[profiling.OFF_TRACK]} off track; {red} of {with_rag} are red against "
        "their profiled target to date."
    )


def describe_forecast_exceptions(exceptions: pd.DataFrame, as_at: str) -> str:
    """One sentence naming the PIs forecast off track, then those at risk."""
    if exceptions.empty:
        return f"At {as_at} no indicator is forecast to miss its year-end target."
    parts = []
    for state in (profiling.OFF_TRACK, profiling.AT_RISK):
        names = exceptions.loc[exceptions["forecast_state"] == state, "title"].tolist()
        if names:
            parts.append(f"{state.lower()}: {'; '.join(names)}")
    return (
        f"At {as_at}, {plural(len(exceptions), 'indicator')} may miss "
        f"{'its' if len(exceptions) == 1 else 'their'} year-end target (" + "; ".join(parts) + ")."
    )


def describe_ytd_gap(position: pd.DataFrame) -> str:
    """Text alternative for :func:`perfeval.present.charts_monitoring.plot_ytd_gap`: how many
    are on profile, then for the percentages (in percentage points) and the other measures (in
    % of the target) apart, which is furthest behind and which furthest ahead."""
    rows = position[position["gap"].notna()]
    if rows.empty:
        return "No indicator has a year-to-date value and a profiled target to compare."
    ahead = int((rows["gap"] >= 0).sum())
    text = (
        f"Of {plural(len(rows), 'indicator')} with a year-to-date value and target, {ahead} "
        f"{'is' if ahead == 1 else 'are'} on or better than {'its' if len(rows) == 1 else 'their'}"
        " profiled target."
    )
    for points, words in ((True, "In percentage points"), (False, "In % of the target")):
        group = rows[[in_points(u) == points for u in rows["unit"]]]
        if group.empty:
            continue
        worst, best = (group.loc[group["gap"].agg(f)] for f in ("idxmin", "idxmax"))
        if len(group) == 1:
            text += f" {words}: {_gap_words(worst)}."
        else:
            text += (
                f" {words}, furthest behind: {_gap_words(worst)}; furthest ahead: "
                f"{_gap_words(best)}."
            )
    return text


def _gap_words(pi: pd.Series) -> str:
    """``"Title (-5.2 percentage points)"``."""
    return f"{pi['title']} ({format_gap(pi['gap'], pi['unit'])})"


# --------------------------------------------------------------------------- SPC


def spc_series(
    values: pd.DataFrame, indicator: str, frequency: str, year: str, quarter: int
) -> pd.Series:
    """An indicator's quarterly (monthly) values up to the end of a quarter, in time order.

    ``values`` holds one authority's rows; the Series is indexed by period label.
    """
    kind = profiling.FREQUENCIES[frequency][0]
    end = Period("quarter", parse_period(year).fy, quarter)
    rows = values[values["indicator"] == indicator]
    parsed = [parse_period(p) for p in rows["period"].astype(str)]
    keep = [p.kind == kind and p <= end for p in parsed]
    chosen = sorted((p, float(v)) for p, v, k in zip(parsed, rows["value"], keep) if k)
    return pd.Series(
        [v for _, v in chosen], index=[p.label for p, _ in chosen], name=indicator, dtype=float
    )


def spc_target(annual_target: float, kind: str, frequency: str) -> float | None:
    """The per-period target for assurance: the annual target (average measures) or the annual
    target / periods in the year (cumulative measures); None when there is no target."""
    if pd.isna(annual_target):
        return None
    return float(annual_target) / (
        profiling.FREQUENCIES[frequency][1] if kind == "cumulative" else 1
    )


def spc_overview(
    data: Dataset,
    council: str,
    indicators: Sequence[str],
    year: str,
    quarter: int,
    position: pd.DataFrame,
) -> dict[str, Any]:
    """XmR charts of the chosen PIs (all points to the end of the quarter) and their summary.

    Parameters
    ----------
    position : DataFrame
        Output of :func:`assess_in_year` (for each PI's measure kind and annual target).

    Returns
    -------
    dict
        ``charts`` (indicator -> :func:`perfeval.stats.spc.xmr` result), ``summary`` (one row per
        charted PI: indicator, title, unit, decimals, points, first_period, last_period,
        latest_value, mean, lpl, upl, target, variation, assurance, provisional_limits,
        sentence), ``not_charted`` (``title (code)`` of the PIs with no value for the council to
        the end of the quarter, e.g. monthly PIs another council does not report) and
        ``sentences`` (the summary's sentences, then one naming the PIs not charted).

    Raises
    ------
    AnalysisError
        If an indicator is not quarterly or monthly.
    """
    by_code = position.set_index("indicator")
    unknown = [code for code in indicators if code not in by_code.index]
    if unknown:
        raise AnalysisError(
            f"SPC needs quarterly or monthly indicators; {unknown} are not "
            f"(choose from {list(by_code.index)})"
        )
    values = data.indicator_values[data.indicator_values["authority"] == council]
    results, rows, not_charted = {}, [], []
    for code in indicators:
        pi = by_code.loc[code]
        series = spc_series(values, code, pi["frequency"], year, quarter)
        if not series.notna().any():
            not_charted.append(str(pi["title"]))
            continue
        target = spc_target(pi["annual_target"], pi["kind"], pi["frequency"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", spc.ProvisionalLimitsWarning)
            result = spc.xmr(series, improvement=IMPROVEMENT[pi["polarity"]], target=target)
        lower, upper = natural_range(pi["unit"])
        shown = spc.truncate_limits(result, lower=lower, upper=upper)
        results[code] = shown
        rows.append(_spc_row(code, pi, shown, target))
    summary = pd.DataFrame(rows, columns=SPC_SUMMARY_COLUMNS)
    sentences = list(summary["sentence"])
    if not_charted:
        sentences.append(
            f"Not charted, as this council has no value for "
            f"{'it' if len(not_charted) == 1 else 'them'} to {year} Q{quarter}: "
            f"{'; '.join(not_charted)}."
        )
    return {
        "charts": results,
        "summary": summary,
        "not_charted": not_charted,
        "sentences": sentences,
    }


SPC_SUMMARY_COLUMNS = [
    "indicator",
    "title",
    "unit",
    "decimals",
    "points",
    "first_period",
    "last_period",
    "latest_value",
    "mean",
    "lpl",
    "upl",
    "lpl_calculated",
    "upl_calculated",
    "limits_cut",
    "annual_target",
    "target",
    "variation",
    "assurance",
    "provisional_limits",
    "sentence",
]


def _spc_row(code: str, pi: pd.Series, result: pd.DataFrame, target: float | None) -> dict:
    observed = result[result["point_type"] != "missing"]
    unit, decimals = scorecard.unit_symbol(pi["unit"]), int(pi["decimals"])
    sentence = spc.describe_variation_and_assurance(
        result,
        unit=unit,
        decimals=decimals,
        target_words=spc_target_words(target, pi, unit, decimals),
        periods="quarters" if pi["frequency"] == "quarterly" else "months",
    )
    return {
        "indicator": code,
        "title": pi["title"],
        "unit": pi["unit"],
        "decimals": decimals,
        "points": len(observed),
        "first_period": str(result.index[0]),
        "last_period": str(observed.index[-1]),
        "latest_value": float(observed["value"].iloc[-1]),
        "mean": float(result["mean"].iloc[-1]),
        "lpl": float(result["lpl"].iloc[-1]),
        "upl": float(result["upl"].iloc[-1]),
        "lpl_calculated": float(result["lpl_calculated"].iloc[-1]),
        "upl_calculated": float(result["upl_calculated"].iloc[-1]),
        "limits_cut": " and ".join(result.attrs["spc"]["truncated"]),
        "annual_target": float(pi["annual_target"]),
        "target": target,
        "variation": VARIATION_WORDS[spc.classify_variation(result)],
        "assurance": ASSURANCE_WORDS[spc.classify_assurance(result)],
        "provisional_limits": len(observed) < spc.MIN_POINTS_FOR_LIMITS,
        "sentence": f"{pi['title']}: {sentence[0].lower()}{sentence[1:]}",
    }


def spc_target_words(target: float | None, pi: pd.Series, unit: str, decimals: int) -> str | None:
    """How the SPC sentence names the target: "the target of 90.6%" for an average or snapshot
    measure; "the quarterly target of 2.24 (the annual target of 8.97 over 4 quarters)" for a
    cumulative one, whose per-period target is derived; None when there is none."""
    if target is None:
        return None
    text = f"the target of {format_number(target, decimals, unit, trim_zeros=True)}"
    if pi["kind"] != "cumulative":
        return text
    word, count = ("quarterly", 4) if pi["frequency"] == "quarterly" else ("monthly", 12)
    annual = format_number(pi["annual_target"], decimals, unit, trim_zeros=True)
    periods = "quarters" if count == 4 else "months"
    per_period = text.removeprefix("the target of ")
    return (
        f"the {word} target of {per_period} (the annual target of {annual} over {count} {periods})"
    )


def spc_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Display table of the SPC summary: points, latest value, limits (as shown, cut at the
    measure's range), the annual target and the target per period, variation, assurance."""
    fmt = [(d, u) for d, u in zip(summary["decimals"], summary["unit"])]
    return pd.DataFrame(
        {
            "Indicator": [label_with_unit(t, u) for t, u in zip(summary["title"], summary["unit"])],
            "Points": [
                f"{n} ({a} to {b})"
                for n, a, b in zip(
                    summary["points"], summary["first_period"], summary["last_period"]
                )
            ],
            "Latest value": [_number(v, d, u) for v, (d, u) in zip(summary["latest_value"], fmt)],
            "Mean": [_number(v, d, u) for v, (d, u) in zip(summary["mean"], fmt)],
            "Process limits": [
                f"{_number(a, d, u)} to {_number(b, d, u)}"
                for a, b, (d, u) in zip(summary["lpl"], summary["upl"], fmt)
            ],
            "Annual target": [
                _number(v, d, u) if pd.notna(v) else "none"
                for v, (d, u) in zip(summary["annual_target"], fmt)
            ],
            "Target per quarter or month": [
                _number(v, d, u) if v is not None and pd.notna(v) else "none"
                for v, (d, u) in zip(summary["target"], fmt)
            ],
            "Variation (latest point)": summary["variation"].to_numpy(),
            "Assurance": summary["assurance"].to_numpy(),
            "Limits": np.where(summary["provisional_limits"], "provisional (< 13 points)", "firm"),
        }
    )


def describe_cut_limits(summary: pd.DataFrame) -> str:
    """The sentence under the SPC table naming each limit shown at the measure's bound, with
    its calculated value ("" when none was cut)."""
    parts = []
    for row in summary[summary["limits_cut"] != ""].to_dict("records"):
        d, u = int(row["decimals"]), scorecard.unit_symbol(row["unit"])
        for end in row["limits_cut"].split(" and "):
            column, word = (
                ("upl_calculated", "upper") if end == "upper" else ("lpl_calculated", "lower")
            )
            shown = row["upl"] if end == "upper" else row["lpl"]
            parts.append(
                f"{row['title']}: {word} limit shown at {_number(shown, d, u)} (calculated "
                f"{_number(row[column], d, u)})"
            )
    if not parts:
        return ""
    return "Limits cut at the measure's possible range: " + "; ".join(parts) + "."


# --------------------------------------------------------------------------- finance

MONITORING_COLUMNS = [
    "authority",
    "service",
    "annual_budget",
    "forecast_outturn",
    "forecast_variance",
    "forecast_variance_pct",
    "forecast_direction",
    "forecast_rag",
]


def quarter_budget_monitoring(data: Dataset, council: str, year: str, quarter: int) -> pd.DataFrame:
    """Budget against forecast outturn by service at the end of a quarter.

    The budget table holds the full-year budget on each quarter's row, so it is read with
    ``budget_basis="annual"`` (:func:`perfeval.stats.budget.monitor_budget`).

    Returns
    -------
    DataFrame
        The monitoring table (:data:`MONITORING_COLUMNS`), empty when the council has no budget
        rows for a quarter of ``year``.
    """
    own = notes.council_rows(data.budget, council)
    if not own["period"].astype(str).isin(quarters_of(year)).any():
        return pd.DataFrame(columns=MONITORING_COLUMNS)
    return money.monitor_budget(own, quarter_label(year, quarter), budget_basis="annual")


def describe_absent_budget(data: Dataset, council: str) -> str | None:
    """The sentence when the data folder has no budget rows of the council at all (None when it
    has some)."""
    if not notes.council_rows(data.budget, council).empty:
        return None
    return (
        f"No budget monitoring figures are in {notes.folder_words(data)} for "
        f"{council_name(data, council)}, so this report has no budget against forecast "
        "outturn."
    )


def joined_display(joined: pd.DataFrame) -> pd.DataFrame:
    """Display table of each service's forecast variance (with RAG word) and its PIs' RAG."""
    return pd.DataFrame(
        {
            "Service": joined["service"].to_numpy(),
            **budget_display_columns(joined),
            "Budget status": [
                f"{d}: {r}" for d, r in zip(joined["forecast_direction"], joined["forecast_rag"])
            ],
            "PIs ✔ Green": joined["pis_green"].to_numpy(),
            "PIs ▲ Amber": joined["pis_amber"].to_numpy(),
            "PIs ✖ Red": joined["pis_red"].to_numpy(),
            "PIs other": joined["pis_other"].to_numpy(),
        }
    )


def describe_finance_and_performance(joined: pd.DataFrame, as_at: str) -> str:
    """Sentences: services with a Red variance, then which of them have PIs red against profile,
    which have PIs none of them red, and which have no quarterly or monthly PI at all."""
    red = joined[joined["forecast_rag"] == "Red"]
    if red.empty:
        return (
            f"At {as_at} no service's forecast variance is rated Red (beyond both the £ and "
            "the % threshold)."
        )
    budgeted = int(joined["annual_budget"].notna().sum())
    text = (
        f"At {as_at}, {len(red)} of {plural(budgeted, 'service')} with a budget "
        f"{_verb(len(red))} a forecast variance rated Red: {join_words(red['service'])}."
    )
    both = red[red["pis_red"] > 0]["service"].tolist()
    clear = red[(red["pis"] > 0) & (red["pis_red"] == 0)]["service"].tolist()
    without = red[red["pis"] == 0]["service"].tolist()
    if both:
        text += (
            f" {join_words(both)} also {_verb(len(both))} quarterly or monthly indicators red "
            "against their profiled target to date."
        )
    if clear:
        text += (
            f" {join_words(clear)} {_verb(len(clear))} quarterly or monthly indicators, none red "
            "against its profiled target to date."
        )
    if without:
        text += (
            f" {join_words(without)} {_verb(len(without))} no quarterly or monthly indicator to "
            "set beside the budget."
        )
    return text


def _verb(n: int) -> str:
    """``has`` for one, ``have`` for more."""
    return "has" if n == 1 else "have"


# --------------------------------------------------------------------------- method notes


def quarterly_method_notes(method: str) -> list[str]:
    """The method notes of the quarterly report, in words a reader can quote."""
    if method not in PROFILE_METHOD_TEXT:
        raise AnalysisError(f"method must be one of {list(PROFILE_METHOD_TEXT)}; got {method!r}")
    return [
        PROFILE_METHOD_TEXT[method],
        KIND_METHOD,
        profiling.RATIO_METHOD,
        rag_rule.RAG_METHOD,
        GAP_METHOD,
        profiling.FORECAST_METHOD,
        profiling.INTERVAL_METHOD,
        SPC_METHOD,
        money.describe_variance_rule() + " The budget is the full-year budget as "
        "at the quarter; the forecast outturn is the full-year forecast made at that quarter.",
    ]


# --------------------------------------------------------------------------- quarterly report


@dataclass(frozen=True, eq=False)
class QuarterlyReport:
    """What every section of the quarterly monitoring report needs, built once by
    :func:`prepare_quarterly`: the data, the validated parameters, the report context
    (:func:`perfeval.sections.annual.report_context`), the quarter's label and every quarterly and
    monthly PI's position (:func:`assess_in_year`)."""

    data: Dataset
    params: Mapping[str, Any]
    context: Mapping[str, Any]
    as_at: str
    position: pd.DataFrame


def prepare_quarterly(data: Dataset, params: Mapping[str, Any]) -> QuarterlyReport:
    """The quarterly report's shared state from the data and its validated parameters.

    Parameters
    ----------
    data : Dataset
    params : mapping
        The validated parameters (``council``, ``year``, ``quarter``, ``profile_method``,
        ``spc_indicators``, ...).

    Raises
    ------
    AnalysisError
        If the quarter is not 1 to 4 or the profile method is unknown.
    """
    year, quarter = params["year"], params["quarter"]
    return QuarterlyReport(
        data=data,
        params=params,
        context=report_context(data, dict(params)),
        as_at=quarter_label(year, quarter),
        position=assess_in_year(
            data, params["council"], year, quarter, method=params["profile_method"]
        ),
    )


def quarterly_opening(report: QuarterlyReport) -> Section:
    """The opening: council, year and the quarter's months, then the data note."""
    subtitle = (
        f"{report.context['subtitle']} "
        f"{describe_as_at(report.params['year'], report.params['quarter'])}"
    )
    return opening_section(report.context, subtitle=subtitle)


def forecast_section(report: QuarterlyReport) -> Section:
    """Exceptions: the PIs forecast to miss their year-end target, off track first.

    Offers ``forecast_states`` (PIs by year-end forecast state).
    """
    as_at, position = report.as_at, report.position
    exceptions = forecast_exceptions(position)
    counts = count_forecast_states(position)
    chart = charts.plot_category_counts(
        counts, title=f"Year-end forecast against target, at {as_at}", colours=FORECAST_COLOURS
    )
    return (
        Section()
        .text(describe_forecast_exceptions(exceptions, as_at))
        .figure(
            chart,
            alt=narrative.describe_counts(counts, what="quarterly and monthly indicators"),
            caption="Indicators by year-end forecast: on track, at risk (within "
            "tolerance) or off track (beyond tolerance).",
        )
        .table(
            in_year_table(exceptions),
            caption=f"Indicators forecast off track or at risk at {as_at}, off track first",
            row_header="Indicator",
            note=f"{profiling.FORECAST_METHOD} {profiling.INTERVAL_METHOD}",
        )
        .offer(
            "forecast_states",
            counts.rename_axis("forecast").reset_index(name="indicators"),
            f"Quarterly and monthly PIs by year-end forecast against the annual target, at {as_at}",
        )
    )


#: The columns of the in-year position published as a key figure.
IN_YEAR_FIGURE_COLUMNS = [
    "indicator",
    "last_period",
    "ytd_value",
    "ytd_target",
    "rag",
    "forecast",
    "forecast_lower",
    "forecast_upper",
    "annual_target",
    "forecast_state",
    "ytd_rule",
]


def year_to_date_section(report: QuarterlyReport) -> Section:
    """Performance against profiled targets, year to date, with the year-end forecast.

    Offers ``in_year_position`` and ``indicator_table``.
    """
    as_at, position = report.as_at, report.position
    method = report.params["profile_method"]
    return (
        Section()
        .text(describe_in_year(position, as_at))
        .figure(
            charts_monitoring.plot_ytd_gap(
                position, title=f"Year to date against profiled target, {as_at}"
            ),
            alt=describe_ytd_gap(position),
            caption="How far each indicator's year to date is better (right) or worse "
            "(left) than its profiled target, with its status in words.",
        )
        .table(
            in_year_table(position),
            caption=f"Quarterly and monthly indicators at "
            f"{as_at}: year to date against profiled target, and year-end forecast",
            row_header="Indicator",
            note=" ".join(
                [PROFILE_METHOD_TEXT[method], KIND_METHOD, profiling.RATIO_METHOD, GAP_METHOD]
            ),
        )
        .offer(
            "in_year_position",
            position[IN_YEAR_FIGURE_COLUMNS],
            f"Year to date against profiled target and year-end forecast, at {as_at}",
        )
        .offer("indicator_table", in_year_indicator_table(position), IN_YEAR_DESCRIPTION)
    )


#: The columns of the SPC summary published as a key figure.
SPC_FIGURE_COLUMNS = [
    "indicator",
    "points",
    "last_period",
    "mean",
    "lpl",
    "upl",
    "lpl_calculated",
    "upl_calculated",
    "annual_target",
    "target",
    "variation",
    "assurance",
]


def spc_section(report: QuarterlyReport) -> Section:
    """Statistical process control: what the XmR charts say, the charts and their summary.

    Offers ``spc_summary``.
    """
    params, as_at = report.params, report.as_at
    overview = spc_overview(
        report.data,
        params["council"],
        params["spc_indicators"],
        params["year"],
        params["quarter"],
        report.position,
    )
    return (
        Section()
        .bullets(overview["sentences"], heading="What the charts say")
        .figure(
            charts_monitoring.plot_xmr_panels(overview),
            alt=" ".join(overview["sentences"]),
            caption=f"XmR charts to {as_at}: grey circles common cause, blue triangles "
            "improvement, orange crosses concern; solid mean, dashed process "
            "limits (shown at 0 or 100% where the calculated limit passes it), dotted target.",
        )
        .table(
            spc_table(overview["summary"]),
            caption=f"SPC summary at {as_at}: variation "
            "at the latest point and assurance against the target",
            row_header="Indicator",
            note=" ".join(filter(None, [SPC_METHOD, describe_cut_limits(overview["summary"])])),
        )
        .offer(
            "spc_summary",
            overview["summary"][SPC_FIGURE_COLUMNS],
            f"XmR chart mean, process limits (as shown, within the measure's range, and as "
            f"calculated), targets, variation and assurance, all points to {as_at}",
        )
    )


def finance_section(report: QuarterlyReport) -> Section:
    """Finance and performance by service: budget against forecast outturn at the quarter,
    beside each service's PIs by RAG against profile.

    The budget sentence, chart and caption come from
    :func:`perfeval.sections.annual.budget_section`; each service's PIs are counted by their RAG
    against the profiled target to date and joined with
    :func:`perfeval.stats.budget.join_variance_with_pi_rag` (outer join: nothing is dropped).
    Beside them, when the folder has an actions or risk register, each service's open and
    overdue actions and top corporate risks (:func:`perfeval.sections.delivery.service_table`).
    Offers ``budget_position``, ``finance_and_pi_rag`` and ``service_actions_and_risks``.
    """
    data, params, as_at = report.data, report.params, report.as_at
    council = params["council"]
    monitored = quarter_budget_monitoring(data, council, params["year"], params["quarter"])
    joined = money.join_variance_with_pi_rag(monitored, report.position[["service", "rag"]])
    delivered = delivery.service_delivery(
        data, council, delivery.report_date(params), delivery.report_bands(params)
    )
    budget = budget_section(
        monitored,
        as_at,
        absent=describe_absent_budget(data, council),
        synthetic=notes.synthetic_label(data, notes.council_rows(data.budget, council)),
    )
    return (
        Section()
        .text(budget["budget_sentence"])
        .text(describe_finance_and_performance(joined, as_at))
        .figure(
            budget["budget_figure"], alt=budget["budget_sentence"], caption=budget["budget_caption"]
        )
        .table(
            joined_display(joined),
            caption=f"Budget against forecast outturn by service "
            f"at {as_at}, beside its indicators' status against profile (synthetic sample "
            "budget)",
            row_header="Service",
            note=FINANCE_NOTE,
        )
        .table(
            delivery.service_table(joined, delivered) if len(delivered) else None,
            caption=f"Each service's budget status and red indicators beside its open and "
            f"overdue actions and top corporate risks, at {as_at}",
            row_header="Service",
            note=delivery.SERVICE_NOTE,
        )
        .offer(
            "budget_position",
            budget["budget_table"],
            f"Budget, forecast outturn and variance by service at {as_at} (£)",
        )
        .offer(
            "finance_and_pi_rag",
            joined,
            f"Forecast variance and PI RAG counts by service at {as_at}",
        )
        .offer(
            "service_actions_and_risks",
            delivered,
            f"Open and overdue actions and top corporate risks by service at {as_at}",
        )
    )


def quarterly_method_section(report: QuarterlyReport) -> Section:
    """Method, data sources and provenance: the method notes, the indicators by kind of data
    (chart and table) and the parameters of the run."""
    context = report.context
    counts = context["source_counts"]
    return (
        Section()
        .bullets(
            [
                *quarterly_method_notes(report.params["profile_method"]),
                *delivery.method_notes(
                    report.data, report.params["council"], delivery.report_bands(report.params)
                ),
            ],
            heading="Method",
        )
        .figure(
            charts.plot_category_counts(counts, title="Indicators by kind of data"),
            alt=narrative.describe_counts(counts, what="indicators"),
            caption="How many indicators are real published figures and how many are "
            "synthetic sample data.",
        )
        .table(
            context["sources"],
            caption="Data sources: real published figures and synthetic sample data",
            row_header="Indicators",
        )
        .table(context["parameters"], caption="Parameters of this run", row_header="Parameter")
    )


#: The end-of-year review's names that lived here until it had its own module; moved to
#: :mod:`perfeval.sections.review`, found through :func:`__getattr__` until perfeval 0.3.
MOVED_TO_REVIEW = frozenset(
    {
        "RED_AND_WORSE",
        "RED_ONLY",
        "WORSE_ONLY",
        "EXCEPTION_CATEGORIES",
        "DATA_QUALITY_ISSUES",
        "OUTTURN",
        "COMPARISON",
        "IN_YEAR",
        "EXCEPTIONS_METHOD",
        "DATA_QUALITY_METHOD",
        "filter_services",
        "attach_commentary",
        "has_commentary",
        "describe_commentary",
        "exceptions_caption",
        "outturn_caption",
        "select_exceptions",
        "count_exceptions",
        "describe_exceptions",
        "exceptions_table",
        "outturn_table",
        "commentary_texts",
        "data_quality_register",
        "count_data_quality",
        "describe_data_quality",
        "data_quality_table",
    }
)


def __getattr__(name: str) -> Any:
    """An end-of-year review name of :data:`MOVED_TO_REVIEW`, from its new module, with a
    :class:`DeprecationWarning` (the old names go in perfeval 0.3)."""
    if name not in MOVED_TO_REVIEW:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"perfeval.sections.monitoring.{name} has moved to perfeval.sections.review.{name}; "
        "the old name goes in perfeval 0.3",
        DeprecationWarning,
        stacklevel=2,
    )
    from perfeval.sections import review

    return getattr(review, name)
