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
from perfeval.core.formatting import format_number, format_value
from perfeval.core.periods import parse_period, period_sort_key
from perfeval.data.loader import Dataset
from perfeval.data.notes import council_rows, optional_column, synthetic_flags
from perfeval.stats import indicators as engine
from perfeval.stats import trend as trend_test
from perfeval.stats.comparators import MIN_COMPARATORS, summarise_groups
from perfeval.stats.rag import AMBER, GREEN, NO_DATA, NO_TARGET, NOT_APPLICABLE, RAG_STATES, RED

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
    "top_two_quartiles",
    "percentile_rank",
    "comparator_median",
    "source",
    "synthetic",
]
#: What each state against target means, in the words every report uses for it: headline
#: sentences, headline tables and the quarterly headline count the same states with the same
#: words (:func:`target_counts`). A count of each adds up to the indicators counted.
TARGET_WORDS = {
    GREEN: "on target",
    AMBER: "within tolerance",
    RED: "beyond tolerance",
    NO_TARGET: "no target",
    NO_DATA: "no data",
    NOT_APPLICABLE: "not rated (no better direction)",
}
#: What each direction of travel means in a headline, in the same way.
DIRECTION_WORDS = {
    engine.IMPROVED: "improved",
    engine.NO_CHANGE: "unchanged",
    engine.WORSE: "worse",
}
#: The measure of the quartile headline.
TOP_TWO_QUARTILES = "in top two quartiles"
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


def build_scorecard(
    data: Dataset,
    council: str,
    year: str,
    group: str,
    *,
    quartile_method: str = "inclusive",
    ties: str = "competition",
) -> pd.DataFrame:
    """One row per indicator of the council's latest annual outturn with its full assessment.

    Parameters
    ----------
    data : Dataset
        From :func:`perfeval.data.loader.load_dataset`.
    council, year, group : str
        Home council code, financial year (``2024/25``) and comparator group.
    quartile_method, ties : str
        The quartile convention and tie rule of the ranking
        (:func:`perfeval.stats.indicators.benchmark`).

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
        engine.benchmark(
            annual[annual["authority"].isin(members)],
            register,
            group=members,
            quartile_method=quartile_method,
            ties=ties,
        )
    )
    bench_cols = [
        "authority",
        "indicator",
        "period",
        "rank",
        "n_ranked",
        "quartile",
        "top_two_quartiles",
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
    for column in ("rank", "quartile", "top_two_quartiles", "percentile_rank"):
        if column not in out.columns:  # a table from before top_two_quartiles
            continue
        out[column] = out[column].mask(few)
    return out


def comparator_medians(values: pd.DataFrame, *, minimum: int = MIN_COMPARATORS) -> pd.DataFrame:
    """Median value per indicator and period across authorities (NaN with fewer than ``minimum``).

    A "median" of one council is just that council, and of two their mean, so it is not reported
    (:func:`perfeval.stats.comparators.summarise_values` enforces it).
    """
    stats = summarise_groups(values, ["indicator", "period"], minimum=minimum)
    return stats[["indicator", "period", "median"]].rename(columns={"median": "comparator_median"})


def add_commentary(card: pd.DataFrame, data: Dataset, council: str) -> pd.DataFrame:
    """The scorecard with the owner's commentary for the same indicator and period, if any."""
    written = council_rows(data.commentary, council)[["indicator", "period", "commentary"]]
    return card.merge(written, on=["indicator", "period"], how="left")


def target_counts(states: Sequence[object] | pd.Series) -> pd.DataFrame:
    """How many indicators are in each state against target, in :data:`TARGET_WORDS`.

    Every indicator counts once, in exactly one state, so the counts add up to the indicators
    counted: on target (Green), within tolerance (Amber), beyond tolerance (Red), no target and
    no data; "not rated" (neutral polarity) only when there is one. The State of the Nation, the
    end-of-year review and the quarterly report all count this way.

    Parameters
    ----------
    states : sequence of str
        One state of :data:`perfeval.stats.rag.RAG_STATES` per indicator (the scorecard's
        ``rag`` column, or the quarterly position's).

    Returns
    -------
    DataFrame
        Columns ``state``, ``measure`` (the words), ``numerator`` (indicators in the state),
        ``denominator`` (indicators counted) and ``share`` (0-1, NaN when none is counted).

    Raises
    ------
    AnalysisError
        If a state is not one of :data:`perfeval.stats.rag.RAG_STATES`.
    """
    listed = pd.Series(states, dtype=object).reset_index(drop=True)
    unknown = sorted(set(listed.astype(str)) - set(RAG_STATES))
    if unknown:
        raise AnalysisError(
            f"states {unknown} are not states against target; use one of {list(RAG_STATES)} "
            "(perfeval.stats.rag.RAG_STATES)"
        )
    total = len(listed)
    shown = [s for s in RAG_STATES if s != NOT_APPLICABLE or listed.eq(s).any()]
    rows = [
        {
            "state": s,
            "measure": TARGET_WORDS[s],
            **engine.count_share(int(listed.eq(s).sum()), total),
        }
        for s in shown
    ]
    return pd.DataFrame(rows, columns=["state", "measure", "numerator", "denominator", "share"])


def direction_counts(directions: Sequence[object] | pd.Series) -> pd.DataFrame:
    """How many indicators improved, did not change or got worse, of those that can be compared
    with the previous year (``Not comparable`` is left out of the base, and said so).

    Returns
    -------
    DataFrame
        As :func:`target_counts`, the base being the indicators with a direction.
    """
    listed = pd.Series(directions, dtype=object)
    comparable = int(listed.isin(list(DIRECTION_WORDS)).sum())
    rows = [
        {"state": d, "measure": w, **engine.count_share(int(listed.eq(d).sum()), comparable)}
        for d, w in DIRECTION_WORDS.items()
    ]
    return pd.DataFrame(rows, columns=["state", "measure", "numerator", "denominator", "share"])


def headline_shares(card: pd.DataFrame) -> pd.DataFrame:
    """The headline counts of a scorecard, each with its base, for the same indicators and
    years as the table of indicators against target (each indicator's latest value up to the
    report year, :func:`build_scorecard`).

    Rows: every state against target out of all the indicators (:func:`target_counts`); improved,
    no change and worse out of those with a previous value to compare (:func:`direction_counts`);
    in the top two quartiles out of those ranked among at least :data:`MIN_COMPARATORS`
    councils.

    Returns
    -------
    DataFrame
        Columns ``measure``, ``numerator``, ``denominator`` and ``share`` (0-1).
    """
    if "top_two_quartiles" in card.columns:  # the median council may count in neither half
        counted = card["top_two_quartiles"].dropna().astype(bool)
        top, among = int(counted.sum()), len(counted)
    else:
        quartile = card["quartile"].dropna()
        top, among = int((quartile <= 2).sum()), len(quartile)
    ranked = pd.DataFrame([{"measure": TOP_TWO_QUARTILES, **engine.count_share(top, among)}])
    table = pd.concat(
        [target_counts(card["rag"]), direction_counts(card["dot"]), ranked], ignore_index=True
    )
    return table[["measure", "numerator", "denominator", "share"]]


def periods_counted(card: pd.DataFrame) -> pd.Series:
    """How many of the scorecard's indicators have their latest value in each year, latest year
    first (the base of :func:`headline_shares`, said in its sentence)."""
    counts = card["period"].value_counts()
    order = sorted(counts.index, key=period_sort_key, reverse=True)
    return pd.Series([int(counts[p]) for p in order], index=order, dtype=int)


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


#: Columns of :func:`comparator_trends`.
TREND_COLUMNS = [
    "indicator",
    "label",
    "period",
    "home",
    "median",
    "n_comparators",
    "england_median",
    "england_lower_quartile",
    "england_upper_quartile",
    "n_england",
]
#: Share of England's current authorities of the council's type that must have a value for a
#: year before the data is taken to cover the type (NI 192 covers every collection authority; a
#: PI held only for the comparator group does not) and the England median and band are drawn.
ENGLAND_COVERAGE = 0.5
#: The words for each type of authority of ``authorities.csv``, as "the England ... median".
AUTHORITY_TYPE_WORDS = {
    "unitary": "unitary",
    "district": "district",
    "county": "county",
    "london_borough": "London borough",
    "metropolitan": "metropolitan district",
}


def authority_type(data: Dataset, council: str) -> str | None:
    """The council's type in ``authorities.csv`` (``unitary``, ``district``, ...), or None."""
    rows = data.authorities.loc[data.authorities["code"] == council, "type"].dropna()
    return str(rows.iloc[0]) if not rows.empty else None


def england_summaries(
    annual: pd.DataFrame, authorities: pd.DataFrame, kind: str | None
) -> pd.DataFrame:
    """Median and quartiles of every English authority of one type, by indicator and period,
    where the data covers the type (:data:`ENGLAND_COVERAGE`), as LG Inform shows "all English
    unitary authorities" beside a council's own group.

    Parameters
    ----------
    annual : DataFrame
        Annual rows of ``indicator_values`` (``authority``, ``indicator``, ``period``, ``value``).
    authorities : DataFrame
        ``authorities.csv`` (``code``, ``type`` and, when present, ``current``).
    kind : str or None
        The type; None gives an empty table.

    Returns
    -------
    DataFrame
        ``indicator``, ``period``, ``england_median``, ``england_lower_quartile``,
        ``england_upper_quartile`` and ``n_england``; blank where fewer than
        :data:`MIN_COMPARATORS` authorities have a value or the data does not cover the type.
    """
    columns = ["indicator", "period", *TREND_COLUMNS[6:]]
    of_type = authorities[(authorities["type"] == kind) & authorities["code"].str.startswith("E")]
    if kind is None or of_type.empty:
        return pd.DataFrame(columns=columns)
    current = optional_column(of_type, "current", True).astype(str).str.lower().isin(["true", "1"])
    size = int(current.sum()) or len(of_type)
    rows = annual[annual["authority"].isin(set(of_type["code"])) & annual["value"].notna()]
    stats = summarise_groups(rows, ["indicator", "period"])
    covered = stats["n"] >= ENGLAND_COVERAGE * size
    for column in ("median", "lower_quartile", "upper_quartile"):
        stats[column] = stats[column].where(covered)
    stats["n"] = stats["n"].where(covered, 0).astype(int)
    return stats.rename(
        columns={
            "median": "england_median",
            "lower_quartile": "england_lower_quartile",
            "upper_quartile": "england_upper_quartile",
            "n": "n_england",
        }
    )[columns]


def comparator_trends(
    data: Dataset, council: str, group: str, indicators: Sequence[str], year: str, years: int
) -> pd.DataFrame:
    """Annual values of the council, the comparator median and the England median and
    interquartile range (authorities of the council's type) for the last ``years`` years.

    Returns
    -------
    DataFrame
        Columns :data:`TREND_COLUMNS`: ``label`` is the title with its unit, ``n_comparators``
        the group's authorities with a value, ``n_england`` those of England's authorities of
        the council's type (0 where the data does not cover the type, :func:`england_summaries`);
        periods in time order. Medians and quartiles are missing where fewer than
        :data:`MIN_COMPARATORS` councils have a value
        (:func:`perfeval.stats.comparators.summarise_values`).
    """
    register = data.indicators.set_index("code")
    unknown = [code for code in indicators if code not in register.index]
    if unknown:
        raise AnalysisError(f"indicators {unknown} are not in indicators.csv")
    last = parse_period(year).fy
    wanted = {parse_period(year).shift(-k).label for k in range(years)}
    members = group_members(data, group)
    annual = annual_rows(data.indicator_values)
    shown = annual[annual["indicator"].isin(indicators) & annual["period"].isin(wanted)]
    rows = shown[shown["authority"].isin(members)]
    median = summarise_groups(rows, ["indicator", "period"])[["indicator", "period", "median", "n"]]
    home = rows[rows["authority"] == council][["indicator", "period", "value"]]
    table = median.merge(
        home.rename(columns={"value": "home"}), on=["indicator", "period"], how="left"
    )
    table = table.rename(columns={"n": "n_comparators"})
    england = england_summaries(shown, data.authorities, authority_type(data, council))
    table = table.merge(england, on=["indicator", "period"], how="left")
    table["n_england"] = table["n_england"].fillna(0).astype(int)
    table["label"] = [
        f"{register.loc[c, 'title']} ({register.loc[c, 'unit']})" for c in table["indicator"]
    ]
    table["_key"] = [parse_period(p).fy for p in table["period"]]
    order = {code: i for i, code in enumerate(indicators)}
    table = table.assign(_order=table["indicator"].map(order))
    table = table[table["_key"] <= last].sort_values(["_order", "_key"])
    return table[TREND_COLUMNS].reset_index(drop=True)


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


#: The flag after a value of each status (final values have none).
STATUS_MARKS = {"provisional": "p", "estimated": "e", "revised": "r"}


def value_flags(card: pd.DataFrame) -> list[str | None]:
    """Each row's flag letter from its ``status`` (``p``, ``e``, ``r``; None when final)."""
    statuses = card["status"] if "status" in card.columns else pd.Series([None] * len(card))
    return [STATUS_MARKS.get(s) if isinstance(s, str) else None for s in statuses]


def _formatted(card: pd.DataFrame, column: str, *, flagged: bool = False) -> list[str]:
    """Values of ``column`` as every table shows them (:func:`perfeval.core.formatting.
    format_value`): each indicator's own decimals, its unit once and, when ``flagged``, the
    value's [p]/[e]/[r] flag; a missing value shows its statistical symbol (or nothing)."""
    flags = value_flags(card) if flagged else [None] * len(card)
    symbols = card["value_symbol"] if "value_symbol" in card.columns else [None] * len(card)
    out = []
    for value, unit, decimals, symbol, flag in zip(
        card[column], card["unit"], card["decimals"], symbols, flags
    ):
        if pd.isna(value):
            out.append(symbol if column == "value" and isinstance(symbol, str) else "")
        else:
            out.append(format_value(float(value), int(decimals), unit_symbol(unit), flag))
    return out


def unit_symbol(unit: str) -> str:
    """The unit as attached to a number (``%`` and ``£`` kept, others in words)."""
    return unit if unit in ("%", "£") else ""


def performance_table(card: pd.DataFrame) -> pd.DataFrame:
    """The scorecard as a display table: indicator, period, value, target, RAG and direction."""
    return pd.DataFrame(
        {
            "Indicator": [f"{t} ({u})" for t, u in zip(card["title"], card["unit"])],
            "Period": card["period"].to_numpy(),
            "Value": _formatted(card, "value", flagged=True),
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
            "Value": _formatted(ranked, "value", flagged=True),
            "Comparator median": _formatted(ranked, "comparator_median"),
            "Rank (1 = best)": [
                f"{format_number(r, 1, trim_zeros=True)} of {int(n)}"  # 2.5 under mid-rank
                for r, n in zip(ranked["rank"], ranked["n_ranked"])
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
            "Value": _formatted(issues, "value", flagged=True),
            "Why it is listed": issues["reasons"].to_numpy(),
            "Service": issues["service"].to_numpy(),
        }
    )


def trend_table(trends: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    """The data behind the trend small multiples, one row per indicator and period, each value
    with its indicator's decimals; the England median, interquartile range and councils where
    the data has them for any key indicator.

    Parameters
    ----------
    trends : DataFrame
        From :func:`comparator_trends`.
    register : DataFrame
        ``indicators.csv`` (``code``, ``decimals``).
    """
    decimals = trends["indicator"].map(register.set_index("code")["decimals"]).astype(int)

    def shown(column: str) -> list[str]:
        return [format_number(v, d) for v, d in zip(trends[column], decimals)]

    table = pd.DataFrame(
        {
            "Indicator": trends["label"].to_numpy(),
            "Period": trends["period"].to_numpy(),
            "This council": shown("home"),
            "Comparator median": shown("median"),
            "Councils with data": trends["n_comparators"].astype(int).to_numpy(),
        }
    )
    if "england_median" not in trends or trends["england_median"].isna().all():
        return table
    return table.assign(
        **{
            "England median": shown("england_median"),
            "England interquartile range": [
                f"{lo} to {hi}" if lo else ""
                for lo, hi in zip(shown("england_lower_quartile"), shown("england_upper_quartile"))
            ],
            "England councils with data": [str(int(n)) if n else "" for n in trends["n_england"]],
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
