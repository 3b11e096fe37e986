"""State of the Nation's funnel plots: councils compared when their denominators differ.

:func:`funnel` is one Section: for each indicator whose values carry numerators and
denominators (``indicator_values.csv``) for the report year, a funnel plot of the councils
(Spiegelhalter 2005) with 95% and 99.8% limits around the benchmark, and the home council's
comparison with the comparator group's value and England's, as Fingertips shows it ("Better",
"Similar", "Worse", with the indicator's polarity). Rates carry exact Poisson (fewer than 10
events) or Byar intervals, proportions Wilson intervals, and values from fewer than 10 events
are flagged. When no indicator has numerators and denominators the section is one sentence
saying so.

The councils on the funnel are every current council of the home council's type in England
(``authorities.csv``) when the data covers at least :data:`ENGLAND_COVERAGE` of them, else the
comparator group; the benchmark is the councils' pooled value (their total numerator over their
total denominator), as England's value is. The statistics are :mod:`perfeval.stats.funnel` and
:mod:`perfeval.stats.intervals`; the chart is :mod:`perfeval.present.charts_funnel`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from perfeval.core.formatting import format_number, join_words, plural
from perfeval.data.loader import Dataset, authority_names
from perfeval.present.charts_funnel import (
    funnel_alt_text,
    funnel_chart,
    limits_outside,
    verdict,
)
from perfeval.present.section import Section
from perfeval.sections.annual import AnnualReport
from perfeval.stats import funnel as funnels
from perfeval.stats.comparators import MIN_COMPARATORS
from perfeval.stats.funnel import BETTER, HIGHER, LOWER, SIMILAR, WORSE
from perfeval.stats.intervals import SMALL_COUNT, count_interval, wilson_interval
from perfeval.stats.scorecard import group_members

__all__ = [
    "ENGLAND_COVERAGE",
    "FunnelIndicator",
    "comparison_table",
    "counted_rows",
    "describe_indicator",
    "funnel",
    "funnel_indicators",
    "home_comparison",
    "no_funnel_sentence",
    "pooled_value",
    "same_type_councils",
    "value_scale",
]

#: Share of the current councils of the home council's type that must have a numerator and a
#: denominator for the funnel to show England (all of them) rather than the comparator group.
ENGLAND_COVERAGE = 0.9
#: Columns of the recorded comparison table.
COMPARISON_COLUMNS = [
    "indicator",
    "value",
    "ci_low",
    "ci_high",
    "ci_method",
    "numerator",
    "denominator",
    "small_count",
    "comparator_value",
    "vs_comparator",
    "england_value",
    "vs_england",
    "funnel_benchmark",
    "funnel_councils",
    "funnel_position",
    "funnel_comparison",
    "overdispersion_phi",
]
NOT_COMPARED_SMALL = f"Not compared (fewer than {SMALL_COUNT} events)"


@dataclass(frozen=True, eq=False)
class FunnelIndicator:
    """One indicator's rows for the funnel and what they are.

    Attributes
    ----------
    code, title, unit, polarity : str
        From the indicator register.
    decimals : int
        Decimal places of the indicator.
    statistic : str
        ``"proportion"`` (a percentage) or ``"rate"`` (per ``scale`` people).
    scale : float
        Value = ``scale`` x numerator / denominator (100 for a percentage).
    rows : DataFrame
        ``authority``, ``numerator``, ``denominator``, ``value`` for the year, councils with both
        counts only.
    """

    code: str
    title: str
    unit: str
    polarity: str
    decimals: int
    statistic: str
    scale: float
    rows: pd.DataFrame


def counted_rows(values: pd.DataFrame, year: str) -> pd.DataFrame:
    """The rows of ``indicator_values`` for ``year`` with a numeric numerator and a positive
    denominator (empty, with those columns, when the table has no such columns)."""
    columns = ["authority", "indicator", "numerator", "denominator", "value"]
    if not {"numerator", "denominator"} <= set(values.columns):
        return pd.DataFrame(columns=columns)
    rows = values[values["period"] == year]
    numerator = pd.to_numeric(rows["numerator"], errors="coerce")
    denominator = pd.to_numeric(rows["denominator"], errors="coerce")
    keep = numerator.notna() & denominator.gt(0)
    return pd.DataFrame(
        {
            "authority": rows["authority"].astype(str)[keep].to_numpy(),
            "indicator": rows["indicator"].astype(str)[keep].to_numpy(),
            "numerator": numerator[keep].to_numpy(dtype=float),
            "denominator": denominator[keep].to_numpy(dtype=float),
            "value": pd.to_numeric(rows["value"], errors="coerce")[keep].to_numpy(dtype=float),
        }
    )


def value_scale(unit: str, rows: pd.DataFrame) -> float:
    """What a value is per unit of numerator / denominator: 100 for ``%``, the number in
    ``per 1,000 ...`` or ``per 100,000``, else the power of ten the data show (median of
    value x denominator / numerator), else 1."""
    text = str(unit).strip().lower()
    if text == "%":
        return 100.0
    found = re.search(r"per\s+([\d,]+)", text)
    if found:
        return float(found.group(1).replace(",", ""))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = rows["value"] * rows["denominator"] / rows["numerator"]
    ratio = ratio[np.isfinite(ratio) & (ratio > 0)]
    if ratio.empty:
        return 1.0
    return float(10 ** round(math.log10(float(ratio.median()))))


def funnel_indicators(data: Dataset, year: str, council: str) -> list[FunnelIndicator]:
    """The indicators with a numerator and a denominator for the home council in ``year``, in
    register order; a ``%`` indicator is a proportion, any other a rate (:func:`value_scale`)."""
    rows = counted_rows(data.indicator_values, year)
    if rows.empty:
        return []
    register = data.indicators.set_index("code")
    found = []
    for code in [c for c in register.index if c in set(rows["indicator"])]:
        own = rows[rows["indicator"] == code].reset_index(drop=True)
        if council not in set(own["authority"]):
            continue
        unit = str(register.loc[code, "unit"])
        found.append(
            FunnelIndicator(
                code=str(code),
                title=str(register.loc[code, "title"]),
                unit=unit,
                polarity=str(register.loc[code, "polarity"]).strip().lower(),
                decimals=int(register.loc[code, "decimals"]),
                statistic="proportion" if unit.strip() == "%" else "rate",
                scale=value_scale(unit, own),
                rows=own,
            )
        )
    return found


def same_type_councils(data: Dataset, council: str) -> tuple[list[str], str]:
    """The current councils of the home council's type (``authorities.csv``), and the type."""
    authorities = data.authorities.set_index("code")
    if council not in authorities.index or "type" not in authorities.columns:
        return [], ""
    kind = str(authorities.loc[council, "type"])
    same = authorities["type"].astype(str) == kind
    if "current" in authorities.columns:
        current = authorities["current"].astype(str).str.strip().str.lower()
        same &= current.isin(["true", "1", "yes"]) | authorities.index.isin([council])
    return sorted(map(str, authorities.index[same])), kind


def pooled_value(rows: pd.DataFrame) -> float:
    """Total numerator over total denominator (NaN when the total denominator is 0)."""
    total = float(rows["denominator"].sum())
    return float(rows["numerator"].sum()) / total if total > 0 else math.nan


def _type_words(kind: str) -> str:
    """``"unitary"`` -> ``"unitary councils"``, ``"london_borough"`` -> ``"London boroughs"``."""
    return {
        "london_borough": "London boroughs",
        "metropolitan": "metropolitan districts",
        "district": "shire districts",
        "county": "county councils",
        "unitary": "unitary councils",
    }.get(kind, f"{kind.replace('_', ' ')} councils")


def home_interval(indicator: FunnelIndicator, numerator: float, denominator: float) -> dict:
    """The home council's 95% interval on the value's scale: Wilson for a proportion, exact
    Poisson below 10 events and Byar from 10 for a rate (:func:`count_interval`)."""
    if indicator.statistic == "proportion":
        low, high = wilson_interval(numerator, denominator)
        method = "Wilson"
    else:
        counts = count_interval(numerator).iloc[0]
        low, high = counts["ci_low"] / denominator, counts["ci_high"] / denominator
        method = "exact Poisson" if counts["ci_method"] == "exact" else "Byar"
    return {
        "ci_low": float(low) * indicator.scale,
        "ci_high": float(high) * indicator.scale,
        "ci_method": method,
    }


def _versus(indicator: FunnelIndicator, interval: dict, benchmark: float, small: bool) -> str:
    """Better / Similar / Worse (or Higher / Lower) of the home interval against a benchmark
    on the value's scale; not compared for a rate from fewer than 10 events or no benchmark."""
    if math.isnan(benchmark):
        return "No benchmark"
    if small and indicator.statistic == "rate":
        return NOT_COMPARED_SMALL
    words = funnels.compare_interval_with_benchmark(
        interval["ci_low"], interval["ci_high"], benchmark, indicator.polarity
    )
    return str(words[0])


def home_comparison(
    indicator: FunnelIndicator,
    council: str,
    group: Sequence[str],
    england: Sequence[str],
) -> tuple[dict, pd.DataFrame, pd.DataFrame, str]:
    """The home council's comparisons for one indicator, and its funnel.

    Parameters
    ----------
    indicator : FunnelIndicator
    council : str
        The home council.
    group : sequence of str
        The comparator group's members.
    england : sequence of str
        The current councils of the home council's type.

    Returns
    -------
    (dict, DataFrame, DataFrame, str)
        One row of :data:`COMPARISON_COLUMNS`; the councils on the funnel
        (:func:`perfeval.stats.funnel.assess_units`, empty when fewer than 3 councils); the
        limits on a grid of denominators; and which councils the funnel shows
        (``"england"``, ``"group"`` or ``""``).
    """
    rows = indicator.rows
    home = rows[rows["authority"] == council].iloc[0]
    small = bool(home["numerator"] < SMALL_COUNT)
    interval = home_interval(indicator, float(home["numerator"]), float(home["denominator"]))
    in_group = rows[rows["authority"].isin(set(group) | {council})]
    in_england = rows[rows["authority"].isin(set(england))]
    comparator = (
        pooled_value(in_group) * indicator.scale if len(in_group) >= MIN_COMPARATORS else math.nan
    )
    covered = bool(england) and len(in_england) >= ENGLAND_COVERAGE * len(england)
    england_value = pooled_value(in_england) * indicator.scale if covered else math.nan
    shown, which = (in_england, "england") if covered else (in_group, "group")
    row = {
        "indicator": indicator.code,
        "value": float(home["numerator"] / home["denominator"] * indicator.scale),
        **interval,
        "numerator": float(home["numerator"]),
        "denominator": float(home["denominator"]),
        "small_count": small,
        "comparator_value": comparator,
        "vs_comparator": _versus(indicator, interval, comparator, small),
        "england_value": england_value,
        "vs_england": _versus(indicator, interval, england_value, small),
        "funnel_benchmark": math.nan,
        "funnel_councils": 0,
        "funnel_position": "not drawn",
        "funnel_comparison": "Not compared",
        "overdispersion_phi": math.nan,
    }
    if len(shown) < MIN_COMPARATORS:
        return row, pd.DataFrame(), pd.DataFrame(), ""
    target = pooled_value(shown)
    if indicator.statistic == "proportion" and not 0 < target < 1:
        return row, pd.DataFrame(), pd.DataFrame(), ""
    whole = bool((shown["denominator"] == shown["denominator"].round()).all())
    method = "exact" if whole else "normal"
    dispersion = funnels.estimate_overdispersion(
        shown["numerator"], shown["denominator"], target, statistic=indicator.statistic
    )
    units = funnels.assess_units(
        shown.reset_index(drop=True),
        target,
        statistic=indicator.statistic,
        polarity=indicator.polarity,
        method=method,
        overdispersion=dispersion,
    )
    low, high = float(shown["denominator"].min()), float(shown["denominator"].max())
    grid = np.geomspace(max(low * 0.8, 1.0), high * 1.2, 200)
    if method == "exact" and indicator.statistic == "proportion":
        grid = np.unique(np.round(grid))
    limits = funnels.funnel_limits(
        grid, target, statistic=indicator.statistic, method=method, overdispersion=dispersion
    )
    mine = units[units["authority"] == council].iloc[0]
    row.update(
        funnel_benchmark=target * indicator.scale,
        funnel_councils=len(units),
        funnel_position=str(mine["position_95"]),
        funnel_comparison=str(mine["comparison"]),
        overdispersion_phi=dispersion.phi,
    )
    return row, units, limits, which


def _value(indicator: FunnelIndicator, value: float) -> str:
    """A value in the indicator's unit and decimals; an en dash when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return format_number(value, indicator.decimals, "%" if indicator.unit == "%" else "")


def _rate_words(indicator: FunnelIndicator) -> str:
    """``""`` for a percentage, ``" per 1,000"`` for a rate."""
    if indicator.statistic == "proportion":
        return ""
    return f" per {format_number(indicator.scale, 0)}"


def describe_indicator(
    indicator: FunnelIndicator, row: dict, *, name: str, year: str, shown: str, kind: str
) -> str:
    """Sentence: the home council's value, interval and events, and how it compares."""
    per = _rate_words(indicator)
    value = f"{_value(indicator, row['value'])}{per}"
    interval = (
        f"95% interval {_value(indicator, row['ci_low'])} to "
        f"{_value(indicator, row['ci_high'])}{per}, {row['ci_method']}"
    )
    events = (
        f"{format_number(row['numerator'], 0)} of {format_number(row['denominator'], 0)}"
        if indicator.statistic == "proportion"
        else f"{plural(int(row['numerator']), 'event')} in a denominator of "
        f"{format_number(row['denominator'], 0)}"
    )
    small = (
        f"; fewer than {SMALL_COUNT} events, so the value rests on small numbers"
        if row["small_count"]
        else ""
    )
    sentence = (
        f"{indicator.title} ({indicator.code}), {year}: {name} {value} ({interval}; "
        f"{events}{small})."
    )
    sentence += interval_comparisons(indicator, row, kind=kind)
    if shown:
        among = (
            f"all {row['funnel_councils']} {_type_words(kind)} in England"
            if shown == "england"
            else f"the {row['funnel_councils']} councils of the comparator group with figures"
        )
        position = {
            "within": "within the 95% limits",
            "above": "above the upper 95% limit",
            "below": "below the lower 95% limit",
        }.get(row["funnel_position"], "not placed")
        widened = row["overdispersion_phi"] > 1
        sentence += (
            f" On the funnel plot of {among}"
            f"{', whose limits allow for councils varying more than chance' if widened else ''}, "
            f"it lies {position} around their value of "
            f"{_value(indicator, row['funnel_benchmark'])}{per}: "
            f"{verdict(row['funnel_comparison'])}."
        )
        interval_verdict = row["vs_england"] if shown == "england" else row["vs_comparator"]
        compared = interval_verdict in (BETTER, WORSE, SIMILAR, HIGHER, LOWER)
        if widened and compared and interval_verdict != row["funnel_comparison"]:
            sentence += (
                " The two judgements differ because the interval allows only for chance, "
                "while the funnel's widened limits also allow for the real differences "
                "between councils."
            )
    else:
        sentence += (
            f" Fewer than {MIN_COMPARATORS} councils have a numerator and a denominator, so no "
            "funnel plot is drawn."
        )
    return sentence


def interval_comparisons(indicator: FunnelIndicator, row: dict, *, kind: str) -> str:
    """Sentence: how the council's interval compares with the group's and England's pooled
    values (Fingertips' Better / Similar / Worse), or ``""`` when neither is compared."""
    per = _rate_words(indicator)
    parts = []
    for label, value, judged in (
        ("the comparator group's", row["comparator_value"], row["vs_comparator"]),
        (f"England's ({_type_words(kind)})", row["england_value"], row["vs_england"]),
    ):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if judged not in (BETTER, WORSE, SIMILAR, HIGHER, LOWER):
            continue
        phrase = verdict(judged).replace(" the benchmark", "")
        parts.append(f"{phrase} {label} {_value(indicator, value)}{per}")
    if not parts:
        return ""
    return f" Judged by its interval, it is {join_words(parts)}."


def comparison_table(
    indicators: Sequence[FunnelIndicator], rows: Sequence[dict], *, kind: str
) -> pd.DataFrame:
    """Display table: one row per indicator, its value and interval, events and the comparisons
    with the comparator group and England."""
    england = f"England ({_type_words(kind)})" if kind else "England"
    return pd.DataFrame(
        {
            "Indicator": [f"{i.code}: {i.title}" for i in indicators],
            "Value": [f"{_value(i, r['value'])}{_rate_words(i)}" for i, r in zip(indicators, rows)],
            "95% interval": [
                f"{_value(i, r['ci_low'])} to {_value(i, r['ci_high'])} ({r['ci_method']})"
                for i, r in zip(indicators, rows)
            ],
            "Events": [
                format_number(r["numerator"], 0) + (" (fewer than 10)" if r["small_count"] else "")
                for r in rows
            ],
            "Comparator group": [
                _value(i, r["comparator_value"]) for i, r in zip(indicators, rows)
            ],
            "Compared with the group": [r["vs_comparator"] for r in rows],
            england: [_value(i, r["england_value"]) for i, r in zip(indicators, rows)],
            "Compared with England": [r["vs_england"] for r in rows],
        }
    )


def among_words(shown: str, kind: str) -> str:
    """Which councils a funnel shows, in words: ``"all unitary councils in England"`` or
    ``"the comparator group"``."""
    return f"all {_type_words(kind)} in England" if shown == "england" else "the comparator group"


def no_funnel_sentence(year: str) -> str:
    """The section when no indicator has numerators and denominators for the year."""
    return (
        f"No indicator in the data folder has a numerator and a denominator for {year} for "
        "this council, so no funnel plot is drawn: a funnel plot compares councils' rates and "
        "percentages taking their different sizes into account, and needs each council's count "
        "and its population or base (the numerator and denominator columns of "
        "indicator_values.csv)."
    )


def _dispersion_note(indicator: FunnelIndicator, row: dict) -> str:
    """Whether the limits of one funnel were widened for over-dispersion."""
    phi = row["overdispersion_phi"]
    if math.isnan(phi):
        return ""
    if phi > 1:
        return (
            f"{indicator.code}: the councils vary more than chance allows (dispersion ratio "
            f"{format_number(phi, 2)}), so its limits are widened by a between-council "
            "variance (Spiegelhalter 2005)."
        )
    return (
        f"{indicator.code}: the councils vary no more than chance allows (dispersion ratio "
        f"{format_number(phi, 2)}), so its limits are not widened."
    )


def funnel(report: AnnualReport) -> Section:
    """Funnel plots of the indicators with numerators and denominators, and the home council
    compared with the comparator group and England (Better / Similar / Worse).

    Offers ``funnel_comparisons`` (one row per indicator, :data:`COMPARISON_COLUMNS`).
    """
    data, council, year = report.data, report.council, report.year
    description = (
        f"Home council's value, 95% interval and comparisons with the comparator group and "
        f"England, indicators with numerators and denominators, {year}"
    )
    indicators = funnel_indicators(data, year, council)
    if not indicators:
        empty = pd.DataFrame(columns=COMPARISON_COLUMNS)
        return (
            Section().text(no_funnel_sentence(year)).offer("funnel_comparisons", empty, description)
        )
    group = group_members(data, report.group)
    england, kind = same_type_councils(data, council)
    names = authority_names(data)
    name = report.council_name
    section = Section()
    rows, notes = [], []
    for indicator in indicators:
        row, units, limits, shown = home_comparison(indicator, council, group, england)
        rows.append(row)
        section.text(
            describe_indicator(indicator, row, name=name, year=year, shown=shown, kind=kind)
        )
        notes.append(_dispersion_note(indicator, row))
        if shown:
            units = units.assign(name=units["authority"].map(names).fillna(units["authority"]))
            benchmark = (
                f"England ({_type_words(kind)})" if shown == "england" else "Comparator group"
            )
            per = _rate_words(indicator)
            unit = "%" if indicator.statistic == "proportion" else per.strip()
            figure = funnel_chart(
                units,
                limits,
                title=f"{indicator.title}, {year}",
                unit=unit,
                home=council,
                value_label=indicator.title,
                denominator_label="Denominator (people or cases)",
                scale=indicator.scale,
                decimals=indicator.decimals,
                benchmark_label=benchmark,
            )
            section.figure(
                figure,
                alt=funnel_alt_text(
                    units,
                    what=f"{indicator.title}, {year}",
                    benchmark=f"{among_words(shown, kind)}: "
                    f"{_value(indicator, row['funnel_benchmark'])}{per}",
                    home_name=name,
                    home_value=f"{_value(indicator, row['value'])}{per}",
                    home_comparison=row["funnel_comparison"],
                ),
                caption=_caption(indicator, units, benchmark),
            )
    section.table(
        comparison_table(indicators, rows, kind=kind),
        caption=f"{name} compared with the comparator group and England, {year}",
        row_header="Indicator",
        note=(
            "Better, Similar and Worse as Fingertips shows them: the council's 95% interval "
            "lies wholly on the better side of the benchmark, contains it, or lies wholly on "
            "the worse side, taking polarity into account. Intervals: Wilson for a percentage; "
            f"exact Poisson below {SMALL_COUNT} events and Byar's from {SMALL_COUNT} for a "
            f"rate, which is not compared below {SMALL_COUNT} events. The group's and "
            "England's values are pooled: their total numerator over their total denominator. "
            f"England is every current council of the same type ({_type_words(kind)}) in the "
            f"authority table, shown only where the data has figures for at least "
            f"{format_number(ENGLAND_COVERAGE * 100, 0)}% of them (– otherwise)."
        ),
    )
    section.bullets(
        [funnels.FUNNEL_METHOD, *[n for n in notes if n]], heading="How the funnels are drawn"
    )
    table = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    return section.offer("funnel_comparisons", table, description)


def _caption(indicator: FunnelIndicator, units: pd.DataFrame, benchmark: str) -> str:
    """The funnel's caption: what is plotted, the limits and the counts outside them."""
    counts = limits_outside(units)
    outside = counts["above_95"] + counts["below_95"]
    return (
        f"{indicator.title} ({indicator.code}) against each council's denominator, "
        f"{plural(counts['assessed'], 'council')}, with 95% (dashed) and 99.8% (solid) limits "
        f"around the {benchmark.lower() if benchmark.startswith('Comparator') else benchmark} "
        f"value; {plural(outside, 'council')} outside the 95% limits. The home council is the "
        "star."
    )
