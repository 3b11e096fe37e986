"""The council's annual scorecard: every PI's outturn, target, RAG, direction and quartile.

This module joins the data layer to the indicator engine (:mod:`perfeval.stats.indicators`) for one
council, one financial year and one comparator group. The State of the Nation report and the
end-of-year review both read it, so the two always agree.

"Latest available" rule: published national data lag (Oflog metrics appear a year or more after
the year ends), so for each indicator the scorecard uses the council's latest *annual* value in or
before the report year, and says which year that is in the ``period`` column.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError
from perfeval.core.formatting import format_number
from perfeval.core.periods import parse_period, period_sort_key
from perfeval.data.loader import Dataset
from perfeval.data.notes import council_rows, optional_column, synthetic_flags
from perfeval.stats import indicators as engine
from perfeval.stats import trend as trend_test
from perfeval.stats.rag import RED

SCORECARD_COLUMNS = [
    "indicator",
    "title",
    "unit",
    "polarity",
    "service",
    "decimals",
    "period",
    "value",
    "value_symbol",
    "status",
    "note",
    "target",
    "rag",
    "rag_label",
    "rag_reason",
    "comparison_period",
    "comparison_value",
    "change",
    "dot",
    "dot_label",
    "rank",
    "n_ranked",
    "quartile",
    "percentile_rank",
    "comparator_median",
    "source",
    "synthetic",
]
#: Fewest councils with a value from which a median, rank or quartile is drawn or quoted: a
#: "median" of one council is that council, and of two their mean.
MIN_COMPARATORS = 3
#: Optional columns of ``indicator_values`` the scorecard carries, and what an absent one means.
OPTIONAL_VALUE_COLUMNS = {"value_symbol": None, "status": "final", "note": ""}


def annual_rows(values: pd.DataFrame) -> pd.DataFrame:
    """The rows of a long values table whose period is a financial year."""
    labels = pd.Series(values["period"].unique())
    yearly = {label for label in labels if parse_period(label).kind == "year"}
    return values[values["period"].isin(yearly)]


def group_members(data: Dataset, group: str) -> list[str]:
    """Authority codes of a comparator group, in file order.

    Raises
    ------
    AnalysisError
        If the group is not in comparator_groups.csv.
    """
    groups = data.comparator_groups
    members = groups.loc[groups["group"] == group, "authority"].tolist()
    if not members:
        raise AnalysisError(
            f"comparator group {group!r} is not in comparator_groups.csv; "
            f"groups: {sorted(set(groups['group']))}"
        )
    return members


def latest_rows(values: pd.DataFrame, authority: str, year: str) -> pd.DataFrame:
    """For each indicator, the authority's latest annual row in or before ``year``."""
    fy = parse_period(year).fy
    mine = annual_rows(values[values["authority"] == authority])
    mine = mine[[parse_period(p).fy <= fy for p in mine["period"]]]
    order = mine.assign(_key=[period_sort_key(p) for p in mine["period"]])
    latest = order.sort_values(["indicator", "_key"]).groupby("indicator").tail(1)
    return latest.drop(columns="_key")


def build_scorecard(data: Dataset, council: str, year: str, group: str) -> pd.DataFrame:
    """One row per indicator of the council's latest annual outturn with its full assessment.

    Parameters
    ----------
    data : Dataset
        From :func:`perfeval.data.loader.load_dataset`.
    council, year, group : str
        Home council code, financial year (``2024/25``) and comparator group.

    Returns
    -------
    DataFrame
        Columns :data:`SCORECARD_COLUMNS`, in register order. ``comparator_median`` is the median
        of the group's values for the same indicator and period.
    """
    register = data.indicators.assign(synthetic=synthetic_flags(data.indicators))
    members = group_members(data, group)
    annual = with_optional_columns(annual_rows(data.indicator_values))
    home_all = annual[annual["authority"] == council]
    assessed = engine.assess_against_target(home_all, data.targets, register)
    assessed = engine.direction_of_travel(assessed, register, compare="previous")
    bench = too_few_ranked(
        engine.benchmark(annual[annual["authority"].isin(members)], register, group=members)
    )
    bench_cols = [
        "authority",
        "indicator",
        "period",
        "rank",
        "n_ranked",
        "quartile",
        "percentile_rank",
    ]
    medians = comparator_medians(bench)
    chosen = latest_rows(data.indicator_values, council, year)[["indicator", "period"]]
    card = chosen.merge(assessed, on=["indicator", "period"], how="left")
    card = card.merge(bench[bench_cols], on=["authority", "indicator", "period"], how="left")
    card = card.merge(medians, on=["indicator", "period"], how="left")
    card = card.merge(
        register.rename(columns={"code": "indicator"})[
            ["indicator", "title", "unit", "polarity", "service", "decimals", "source", "synthetic"]
        ],
        on="indicator",
        how="left",
    )
    order = {code: i for i, code in enumerate(register["code"])}
    card = card.sort_values("indicator", key=lambda s: s.map(order)).reset_index(drop=True)
    for column in ("rag", "dot", "rag_label", "dot_label", "rag_reason", "comparison_period"):
        card[column] = card[column].astype(object)
    return card[SCORECARD_COLUMNS]


def with_optional_columns(values: pd.DataFrame) -> pd.DataFrame:
    """``indicator_values`` rows with every column of :data:`OPTIONAL_VALUE_COLUMNS`, an absent
    one filled with what its absence means (status ``final``, no note, no symbol)."""
    return values.assign(
        **{
            column: optional_column(values, column, default)
            for column, default in OPTIONAL_VALUE_COLUMNS.items()
        }
    )


def too_few_ranked(bench: pd.DataFrame, *, minimum: int = MIN_COMPARATORS) -> pd.DataFrame:
    """:func:`perfeval.stats.indicators.benchmark` rows with rank, percentile rank and quartile
    blanked where fewer than ``minimum`` councils are ranked (``n_ranked`` is kept, to say why)."""
    few = (bench["n_ranked"].fillna(0) < minimum).to_numpy()
    out = bench.copy()
    for column in ("rank", "quartile", "percentile_rank"):
        out[column] = out[column].mask(few)
    return out


def comparator_medians(values: pd.DataFrame, *, minimum: int = MIN_COMPARATORS) -> pd.DataFrame:
    """Median value per indicator and period across authorities (NaN with fewer than ``minimum``).

    A "median" of one council is just that council, and of two their mean, so it is not reported.
    """
    stats = values.groupby(["indicator", "period"], observed=True)["value"].agg(["median", "count"])
    stats["median"] = stats["median"].where(stats["count"] >= minimum)
    return stats["median"].rename("comparator_median").reset_index()


def add_commentary(card: pd.DataFrame, data: Dataset, council: str) -> pd.DataFrame:
    """The scorecard with the owner's commentary for the same indicator and period, if any."""
    written = council_rows(data.commentary, council)[["indicator", "period", "commentary"]]
    return card.merge(written, on=["indicator", "period"], how="left")


def headline_shares(card: pd.DataFrame, year: str) -> pd.DataFrame:
    """Headline shares for the indicators whose outturn is for the report year itself.

    Shares quoted for "this year" count only indicators with a value for ``year``; older
    "latest available" values are reported but not counted. Uses
    :func:`perfeval.stats.indicators.summarise_headlines`.
    """
    current = card[card["period"] == year]
    table = engine.summarise_headlines(current)
    return table[
        table["measure"].isin(
            ["on target", "improved", "in top two quartiles", "off target", "worse"]
        )
    ].reset_index(drop=True)


def issues_to_consider(card: pd.DataFrame) -> pd.DataFrame:
    """Indicators that are red, worse than last year, or in the bottom quartile, with reasons."""
    reasons = pd.DataFrame(
        {
            "red": card["rag"].eq(RED),
            "worse": card["dot"].eq(engine.WORSE),
            "bottom quartile": card["quartile"].eq(4).fillna(False).astype(bool),
        }
    )
    flagged = reasons.any(axis=1)
    why = reasons[flagged].apply(lambda r: ", ".join(k for k, v in r.items() if v), axis=1)
    rows = card[flagged].assign(reasons=why, n_reasons=reasons[flagged].sum(axis=1))
    return rows.sort_values(
        ["n_reasons", "indicator"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)


def comparator_trends(
    data: Dataset, council: str, group: str, indicators: Sequence[str], year: str, years: int
) -> pd.DataFrame:
    """Annual values of the council and the comparator median for the last ``years`` years.

    Returns
    -------
    DataFrame
        Columns ``indicator``, ``label`` (title with unit), ``period``, ``home``, ``median``
        and ``n_comparators`` (authorities with a value), periods in time order. ``median`` is
        missing where fewer than :data:`MIN_COMPARATORS` councils have a value.
    """
    register = data.indicators.set_index("code")
    unknown = [code for code in indicators if code not in register.index]
    if unknown:
        raise AnalysisError(f"indicators {unknown} are not in indicators.csv")
    last = parse_period(year).fy
    wanted = {parse_period(year).shift(-k).label for k in range(years)}
    members = group_members(data, group)
    annual = annual_rows(data.indicator_values)
    rows = annual[
        annual["indicator"].isin(indicators)
        & annual["period"].isin(wanted)
        & annual["authority"].isin(members)
    ]
    median = rows.groupby(["indicator", "period"])["value"].agg(["median", "count"])
    median["median"] = median["median"].where(median["count"] >= MIN_COMPARATORS)
    home = rows[rows["authority"] == council].set_index(["indicator", "period"])["value"]
    table = median.join(home.rename("home"), how="left").reset_index()
    table = table.rename(columns={"count": "n_comparators"})
    table["label"] = [
        f"{register.loc[c, 'title']} ({register.loc[c, 'unit']})" for c in table["indicator"]
    ]
    table["_key"] = [parse_period(p).fy for p in table["period"]]
    order = {code: i for i, code in enumerate(indicators)}
    table = table.assign(_order=table["indicator"].map(order))
    table = table[table["_key"] <= last].sort_values(["_order", "_key"])
    return table[["indicator", "label", "period", "home", "median", "n_comparators"]].reset_index(
        drop=True
    )


def home_positions(card: pd.DataFrame) -> pd.DataFrame:
    """Indicators with a percentile rank, labelled for a chart (``title (period)``)."""
    ranked = card[card["percentile_rank"].notna()]
    return pd.DataFrame(
        {
            "label": [f"{t} ({p})" for t, p in zip(ranked["title"], ranked["period"])],
            "percentile_rank": ranked["percentile_rank"].astype(float).to_numpy(),
        }
    )


def count_by_state(card: pd.DataFrame, column: str, states: Sequence[str]) -> pd.Series:
    """How many scorecard rows are in each state (all states listed, zero when none)."""
    counts = card[column].value_counts()
    return pd.Series([int(counts.get(s, 0)) for s in states], index=list(states))


def _formatted(card: pd.DataFrame, column: str) -> list[str]:
    """Values of ``column`` formatted with each indicator's unit and decimals, or the symbol."""
    out = []
    for value, unit, decimals, symbol in zip(
        card[column], card["unit"], card["decimals"], card.get("value_symbol", [None] * len(card))
    ):
        if pd.isna(value):
            out.append(symbol if column == "value" and isinstance(symbol, str) else "")
        else:
            out.append(format_number(float(value), int(decimals), unit_symbol(unit)))
    return out


def unit_symbol(unit: str) -> str:
    """The unit as attached to a number (``%`` and ``£`` kept, others in words)."""
    return unit if unit in ("%", "£") else ""


def performance_table(card: pd.DataFrame) -> pd.DataFrame:
    """The scorecard as a display table: indicator, period, value, target, RAG and direction."""
    flags = card["status"].map({"provisional": " [p]", "estimated": " [e]", "revised": " [r]"})
    return pd.DataFrame(
        {
            "Indicator": [f"{t} ({u})" for t, u in zip(card["title"], card["unit"])],
            "Period": card["period"].to_numpy(),
            "Value": [v + (f or "") for v, f in zip(_formatted(card, "value"), flags.fillna(""))],
            "Target": _formatted(card, "target"),
            "Status against target": card["rag_label"].fillna("").to_numpy(),
            "Direction of travel": card["dot_label"].fillna("").to_numpy(),
        }
    )


def benchmark_table(card: pd.DataFrame) -> pd.DataFrame:
    """Display table of each indicator's position among the comparator group."""
    ranked = card[card["n_ranked"].notna() & (card["n_ranked"].fillna(0) >= MIN_COMPARATORS)]
    return pd.DataFrame(
        {
            "Indicator": [f"{t} ({u})" for t, u in zip(ranked["title"], ranked["unit"])],
            "Period": ranked["period"].to_numpy(),
            "Value": _formatted(ranked, "value"),
            "Comparator median": _formatted(ranked, "comparator_median"),
            "Rank (1 = best)": [
                f"{int(r)} of {int(n)}" for r, n in zip(ranked["rank"], ranked["n_ranked"])
            ],
            "Quartile (1 = best)": quartile_texts(ranked),
        }
    )


def quartile_texts(card: pd.DataFrame) -> list[str]:
    """Each row's quartile as text (``"1"`` = best), blank when it has none."""
    return [str(int(q)) if pd.notna(q) else "" for q in card["quartile"]]


def issues_table(issues: pd.DataFrame) -> pd.DataFrame:
    """Display table of the issues to consider, most reasons first."""
    return pd.DataFrame(
        {
            "Indicator": [f"{t} ({u})" for t, u in zip(issues["title"], issues["unit"])],
            "Period": issues["period"].to_numpy(),
            "Value": _formatted(issues, "value"),
            "Why it is listed": issues["reasons"].to_numpy(),
            "Service": issues["service"].to_numpy(),
        }
    )


def trend_table(trends: pd.DataFrame) -> pd.DataFrame:
    """The data behind the trend small multiples, one row per indicator and period."""
    return pd.DataFrame(
        {
            "Indicator": trends["label"].to_numpy(),
            "Period": trends["period"].to_numpy(),
            "This council": [format_number(v, 1) for v in trends["home"]],
            "Comparator median": [format_number(v, 1) for v in trends["median"]],
            "Councils with data": trends["n_comparators"].astype(int).to_numpy(),
        }
    )


def trend_tests(data: Dataset, trends: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Whether each key indicator has really risen or fallen for this council over the years of
    :func:`comparator_trends`: the Mann-Kendall test and Sen's slope
    (:func:`perfeval.stats.trend.mann_kendall`), judged with the indicator's polarity.

    A year in the range with no value for the council is left out but keeps its place, so the
    slope is a change a year.

    Returns
    -------
    DataFrame
        One row per indicator, in the order of ``trends``: ``indicator``, ``label``,
        ``first_period``, ``last_period``, ``n`` (years with a value), ``s``, ``p_value``,
        ``exact``, ``slope`` (Sen's slope, change a year), ``direction`` and ``judgement``
        (Improving, Worsening, Rising, Falling, No clear trend or Too few values).
    """
    register = data.indicators.set_index("code")
    rows = []
    for code, group in trends.groupby("indicator", sort=False):
        years = [parse_period(p).fy for p in group["period"]]
        by_year = dict(zip(years, group["home"].astype(float)))
        span = range(min(years), max(years) + 1)
        result = trend_test.mann_kendall([by_year.get(fy, np.nan) for fy in span], alpha=alpha)
        ordered = group.assign(_fy=years).sort_values("_fy")
        rows.append(
            {
                "indicator": code,
                "label": group["label"].iloc[0],
                "first_period": ordered["period"].iloc[0],
                "last_period": ordered["period"].iloc[-1],
                "n": result.n,
                "s": result.s,
                "p_value": result.p_value,
                "exact": result.exact,
                "slope": result.slope,
                "direction": result.direction,
                "judgement": trend_test.judge_trend(result, register.loc[code, "polarity"]),
                "decimals": int(register.loc[code, "decimals"]),
                "unit": unit_symbol(register.loc[code, "unit"]),
            }
        )
    return pd.DataFrame(rows)


def trend_tests_table(tests: pd.DataFrame) -> pd.DataFrame:
    """Display table of :func:`trend_tests`: the judgement, Sen's slope a year and the p-value."""

    def slope(value: float, decimals: int, unit: str) -> str:
        if pd.isna(value):
            return ""
        # one decimal more than the indicator's own; a percentage changes by points, not %
        text = format_number(value, decimals + 1, "" if unit == "%" else unit)
        text = text if text.startswith("-") or not text.strip("0.,£") else f"+{text}"
        return f"{text} points" if unit == "%" else text

    return pd.DataFrame(
        {
            "Indicator": tests["label"].to_numpy(),
            "Years": [
                f"{a} to {b} ({n} with a value)"
                for a, b, n in zip(tests["first_period"], tests["last_period"], tests["n"])
            ],
            "Trend": tests["judgement"].to_numpy(),
            "Change a year (Sen's slope)": [
                slope(v, d, u) for v, d, u in zip(tests["slope"], tests["decimals"], tests["unit"])
            ],
            "p-value": [
                "" if pd.isna(p) else f"{format_number(p, 3)}{' (exact)' if e else ''}"
                for p, e in zip(tests["p_value"], tests["exact"])
            ],
        }
    )


def count_reasons(issues: pd.DataFrame) -> pd.Series:
    """How many listed indicators carry each reason (red, worse, bottom quartile)."""
    reasons = ["red", "worse", "bottom quartile"]
    listed = issues["reasons"].str.split(", ").tolist()
    return pd.Series([sum(name in r for r in listed) for name in reasons], index=reasons)
