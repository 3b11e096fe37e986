"""The money side: budget monitoring, spend per head, real terms, value for money.

Sign convention
---------------
A variance is *spend minus budget*: ``forecast_outturn - budget`` for the full-year forecast and
``actual - profiled budget`` for the year to date. **Positive is an overspend** ("Overspend"),
negative an underspend ("Underspend"), exactly zero "On budget". Percentages are of the absolute
budget, so a service with a net income budget (a negative budget) keeps the same sign convention.

Variance RAG rule
-----------------
Two thresholds are set in :class:`VarianceThresholds`: an amount in £ and a percentage of budget.
A variance *exceeds* a threshold only when it is strictly greater than it (a variance exactly at a
threshold is within it).

* **Red**: an overspend that exceeds both thresholds, i.e. ``variance > max(£ threshold,
  % threshold x |budget|)``.
* **Amber**: an overspend that exceeds one threshold but not the other; or, when
  ``flag_underspend`` is true (the default), an underspend that exceeds both thresholds (a large
  underspend often means slipped delivery and is worth explaining).
* **Green**: every other variance (within both thresholds, or an underspend not flagged).
* **Not rated**: the variance or budget is missing.

Data
----
The tables follow ``docs/data-model.md``: ``budget`` holds quarterly rows (``budget`` and
``actual`` are the figures for that quarter, ``forecast_outturn`` the full-year forecast made at
that quarter); ``net_expenditure`` is in £ thousands; ``population`` and ``deflators`` are keyed by
financial year. Budget files that instead repeat the full-year budget on every quarter's row are
read with ``budget_basis="annual"`` (see :func:`profile_year_to_date`); the two layouts cannot be
told apart from the numbers when a budget is profiled evenly, so the choice is explicit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.core.periods import parse_period, quarters_of
from perfeval.data.loader import require_columns

#: The one measure of spend the reports compare: the Revenue Outturn (RS) line, in
#: net_expenditure.csv's ``service``, that every bundled year has (2010/11-2014/15 and
#: 2017/18-2024/25), with its title (headings, axes) and its words in a sentence.
SPEND_LINE = "TOTAL SERVICE EXPENDITURE"
SPEND_TITLE = "Total service expenditure"
SPEND_WORDS = (
    "total service expenditure (net current expenditure on services, MHCLG Revenue Outturn)"
)
#: The older RS total (total service expenditure plus levies and other items), which the bundled
#: Revenue Outturn has only to 2017/18. A folder whose net_expenditure.csv has no
#: :data:`SPEND_LINE` is compared on this line instead, and the reports say so.
NET_SPEND = "NET CURRENT EXPENDITURE"
NET_SPEND_TITLE = "Net current expenditure"
NET_SPEND_WORDS = (
    "net current expenditure (total service expenditure plus levies and other items, MHCLG "
    "Revenue Outturn)"
)
SIGN_CONVENTION = (
    "Variance = spend (forecast outturn or actual) minus budget; "
    "positive = overspend, negative = underspend."
)


@dataclass(frozen=True)
class SpendMeasure:
    """A line of net_expenditure.csv compared as a council's spend, with its words.

    Attributes
    ----------
    line : str
        The ``service`` value, e.g. ``"TOTAL SERVICE EXPENDITURE"``.
    title : str
        As a heading, axis or table header starts it ("Total service expenditure").
    words : str
        As a sentence names it, with what it is and where it is from.
    fallback : bool
        True when the folder has no :data:`SPEND_LINE`, so this line stands in for it.
    """

    line: str
    title: str
    words: str
    fallback: bool = False

    @property
    def lower(self) -> str:
        """The title as a sentence uses it after its first word ("total service expenditure")."""
        return self.title[0].lower() + self.title[1:]

    def fallback_note(self) -> str:
        """Sentence saying the folder's spend is the older line and how to add the usual one
        ("" when this is the usual measure)."""
        if not self.fallback:
            return ""
        return (
            f"The data folder's net_expenditure.csv has no {SPEND_LINE} line, so spend here is "
            f"{self.words}, not {SPEND_TITLE.lower()}; to compare {SPEND_TITLE.lower()}, add "
            f"rows with service '{SPEND_LINE}' (£000, per council and year)."
        )


#: The measure the reports use when the folder has :data:`SPEND_LINE` figures.
SPEND = SpendMeasure(SPEND_LINE, SPEND_TITLE, SPEND_WORDS)
#: The measure used for a folder with no :data:`SPEND_LINE` figures but :data:`NET_SPEND` ones.
NET_SPEND_MEASURE = SpendMeasure(NET_SPEND, NET_SPEND_TITLE, NET_SPEND_WORDS, fallback=True)


def choose_spend_measure(net_expenditure: pd.DataFrame) -> SpendMeasure:
    """The spend measure a data folder is compared on.

    :data:`SPEND` (total service expenditure) when net_expenditure.csv has any figure on that
    line; else :data:`NET_SPEND_MEASURE` when it has net current expenditure figures (a
    council's own older extract); else :data:`SPEND`, and the reports say it has no figures.

    Parameters
    ----------
    net_expenditure : DataFrame
        The ``net_expenditure`` table (service, net_current_expenditure).

    Returns
    -------
    SpendMeasure
    """
    if not {"service", "net_current_expenditure"} <= set(net_expenditure.columns):
        return SPEND
    lines = set(net_expenditure.loc[net_expenditure["net_current_expenditure"].notna(), "service"])
    if SPEND_LINE not in lines and NET_SPEND in lines:
        return NET_SPEND_MEASURE
    return SPEND


def years_without_deflator(periods: Iterable[str], deflators: pd.DataFrame) -> list[str]:
    """The financial years of ``periods`` with no GDP deflator in ``deflators``, earliest first
    (e.g. ``["2024/25"]`` while the published series ends at 2023/24).

    Parameters
    ----------
    periods : iterable of str
        Years, quarters or months; each counts as its financial year.
    deflators : DataFrame
        The ``deflators`` table: year, deflator.

    Returns
    -------
    list of str
        Financial-year labels, each once.
    """
    have = {
        parse_period(str(y)).label
        for y, d in zip(deflators["year"], deflators["deflator"])
        if pd.notna(d)
    }
    years = {
        parse_period(str(p)).financial_year.fy: parse_period(str(p)).financial_year.label
        for p in periods
    }
    return [years[fy] for fy in sorted(years) if years[fy] not in have]


RAG_WORDS = ("Red", "Amber", "Green")
NOT_RATED = "Not rated"
FORECAST_METHODS = ("straight_line", "budget_profile")
BUDGET_BASES = ("quarter", "annual")

_MONITORING_COLUMNS = [
    "authority",
    "service",
    "as_at",
    "quarters_elapsed",
    "annual_budget",
    "forecast_outturn",
    "forecast_variance",
    "forecast_variance_pct",
    "forecast_direction",
    "forecast_rag",
    "ytd_budget",
    "ytd_actual",
    "ytd_variance",
    "ytd_variance_pct",
    "ytd_direction",
    "ytd_rag",
]


@dataclass(frozen=True)
class VarianceThresholds:
    """Thresholds for the variance RAG (see the module docstring for the rule).

    Attributes
    ----------
    amount : float
        Threshold in £ (pounds). Default £50,000.
    percent : float
        Threshold as a percentage of the absolute budget. Default 5 (%).
    flag_underspend : bool
        When true, an underspend beyond both thresholds is rated Amber.
    """

    amount: float = 50_000.0
    percent: float = 5.0
    flag_underspend: bool = True

    def __post_init__(self) -> None:
        problems = [
            f"variance threshold {name!r} must be a number >= 0, got {value!r}"
            for name, value in (("amount", self.amount), ("percent", self.percent))
            if not isinstance(value, (int, float)) or not value >= 0
        ]
        if problems:
            raise ParameterError(problems)


# --------------------------------------------------------------------------------------------
# Variance arithmetic
# --------------------------------------------------------------------------------------------


def describe_variance_rule(thresholds: VarianceThresholds | None = None) -> str:
    """The sign convention and the variance RAG rule in words, with the thresholds used.

    The one wording of the rule in the module docstring, for report notes.
    """
    t = thresholds or VarianceThresholds()
    limit = f"£{t.amount:,.0f} and {t.percent:g}% of budget"
    underspend = ", or an underspend above both" if t.flag_underspend else ""
    return (
        f"{SIGN_CONVENTION} Red: an overspend above both {limit}; Amber: an overspend above "
        f"one of them{underspend}; Green: otherwise."
    )


def compute_variance_pct(
    variance: pd.Series | float, budget: pd.Series | float
) -> pd.Series | float:
    """Variance as a percentage of the absolute budget.

    ``100 x variance / |budget|``; missing (NaN) when the budget is zero or missing.

    Parameters
    ----------
    variance, budget : Series or float
        Variance and budget in £.

    Returns
    -------
    Series or float
    """
    base = np.abs(pd.to_numeric(budget)) if isinstance(budget, pd.Series) else abs(budget)
    if isinstance(base, pd.Series):
        return 100.0 * variance / base.where(base != 0)
    return 100.0 * variance / base if base else float("nan")


def describe_variances(variance: pd.Series) -> pd.Series:
    """Label each variance "Overspend" (> 0), "Underspend" (< 0) or "On budget" (0).

    Variances are rounded to the penny first, so floating-point dust reads as "On budget".
    A missing variance is labelled ``"Not known"``.

    Parameters
    ----------
    variance : Series
        Variance in £ (positive = overspend).

    Returns
    -------
    Series of str
    """
    pennies = pd.to_numeric(variance).astype("float64").round(2)
    labels = np.select(
        [pennies > 0, pennies < 0, pennies == 0],
        ["Overspend", "Underspend", "On budget"],
        default="Not known",
    )
    return pd.Series(labels, index=variance.index, dtype=object)


def describe_variance(variance: float) -> str:
    """Label one variance: "Overspend", "Underspend", "On budget" (or "Not known" if missing)."""
    return describe_variances(pd.Series([variance], dtype="float64")).iloc[0]


def rate_variances(
    variance: pd.Series, budget: pd.Series, thresholds: VarianceThresholds | None = None
) -> pd.Series:
    """Rate each variance Red, Amber or Green by the rule in the module docstring.

    Parameters
    ----------
    variance : Series
        Variance in £ (positive = overspend).
    budget : Series
        The budget the variance is measured against, in £ (same index).
    thresholds : VarianceThresholds, optional
        £ and % thresholds; the defaults are £50,000 and 5 %.

    Returns
    -------
    Series of str
        "Red", "Amber", "Green" or "Not rated" (missing variance or budget).
    """
    t = thresholds or VarianceThresholds()
    v = pd.to_numeric(variance).astype("float64").to_numpy()
    pct_limit = t.percent / 100.0 * np.abs(pd.to_numeric(budget).astype("float64").to_numpy())
    over_amount, over_pct = v > t.amount, v > pct_limit
    under_both = (-v > t.amount) & (-v > pct_limit)
    missing = np.isnan(v) | np.isnan(pct_limit)
    labels = np.select(
        [missing, over_amount & over_pct, over_amount | over_pct, under_both & t.flag_underspend],
        [NOT_RATED, "Red", "Amber", "Amber"],
        default="Green",
    )
    return pd.Series(labels, index=variance.index, dtype=object)


def rate_variance(
    variance: float, budget: float, thresholds: VarianceThresholds | None = None
) -> str:
    """Rate one variance Red, Amber or Green (see :func:`rate_variances`)."""
    return rate_variances(
        pd.Series([variance], dtype="float64"), pd.Series([budget], dtype="float64"), thresholds
    ).iloc[0]


# --------------------------------------------------------------------------------------------
# Budget monitoring
# --------------------------------------------------------------------------------------------


def _parse_as_at(as_at: str) -> tuple[str, int]:
    period = parse_period(as_at)
    if period.kind != "quarter":
        raise ParameterError([f"as_at must be a quarter label such as '2023/24 Q2', got {as_at!r}"])
    return period.financial_year.label, period.index


def _sum_or_nan(values: pd.Series) -> float:
    return float(values.sum()) if values.notna().all() and len(values) else float("nan")


def profile_year_to_date(
    budget: pd.DataFrame, as_at: str, *, budget_basis: str = "quarter"
) -> pd.DataFrame:
    """Annual budget, budget and actual to date, and the forecast made at a quarter.

    Two layouts of the ``budget`` column are understood (``actual`` is always the spend in that
    quarter and ``forecast_outturn`` the full-year forecast made at that quarter):

    * ``budget_basis="quarter"`` (docs/data-model.md): ``budget`` is the budget profiled for
      that quarter. ``annual_budget`` = sum of the four quarters; ``ytd_budget`` = sum of
      quarters 1 to ``as_at`` (so a seasonal profile is respected). Every (authority, service)
      needs a row for all four quarters; actual and forecast may be blank for future quarters.
    * ``budget_basis="annual"``: ``budget`` is the full-year (current, possibly revised) budget,
      repeated on each quarter's row. ``annual_budget`` = the budget in the ``as_at`` row;
      ``ytd_budget`` = annual_budget x quarters elapsed / 4 (even profile). Rows are needed up
      to ``as_at``.

    Parameters
    ----------
    budget : DataFrame
        The ``budget`` table: authority, service, period (quarter), budget, forecast_outturn,
        actual.
    as_at : str
        The latest quarter reported, e.g. ``"2023/24 Q2"``.
    budget_basis : {"quarter", "annual"}
        What the ``budget`` column holds (see above).

    Returns
    -------
    DataFrame
        One row per authority and service: authority, service, as_at, quarters_elapsed,
        annual_budget, ytd_budget, ytd_actual (missing if any quarter to date lacks an actual),
        forecast_outturn (the full-year forecast in the ``as_at`` row).

    Raises
    ------
    AnalysisError
        If columns are missing, there are no rows for the year, or quarters are missing or
        duplicated.
    """
    if budget_basis not in BUDGET_BASES:
        raise ParameterError(
            [f"budget_basis must be one of {list(BUDGET_BASES)}, got {budget_basis!r}"]
        )
    require_columns(
        budget,
        ["authority", "service", "period", "budget", "forecast_outturn", "actual"],
        "the budget table",
    )
    year, quarter = _parse_as_at(as_at)
    rows = budget[budget["period"].astype(str).isin(quarters_of(year))].copy()
    if rows.empty:
        raise AnalysisError(
            f"the budget table has no rows for {year} (as_at={as_at!r}); "
            f"check the period labels, e.g. '{year} Q1'."
        )
    rows["_q"] = [parse_period(p).index for p in rows["period"].astype(str)]
    needed = 4 if budget_basis == "quarter" else quarter
    _check_quarters(rows[rows["_q"] <= needed], year, needed, budget_basis)
    keys = ["authority", "service"]
    to_date = rows[rows["_q"] <= quarter].groupby(keys)
    latest = rows[rows["_q"] == quarter].set_index(keys)
    out = to_date["actual"].agg(_sum_or_nan).rename("ytd_actual").to_frame()
    if budget_basis == "quarter":
        out["annual_budget"] = rows.groupby(keys)["budget"].agg(_sum_or_nan)
        out["ytd_budget"] = to_date["budget"].agg(_sum_or_nan)
    else:
        out["annual_budget"] = latest["budget"].astype("float64")
        out["ytd_budget"] = out["annual_budget"] * quarter / 4
    out["forecast_outturn"] = latest["forecast_outturn"].astype("float64")
    out = out.reset_index()
    out.insert(2, "as_at", parse_period(as_at).label)
    out.insert(3, "quarters_elapsed", quarter)
    return out[
        [
            "authority",
            "service",
            "as_at",
            "quarters_elapsed",
            "annual_budget",
            "ytd_budget",
            "ytd_actual",
            "forecast_outturn",
        ]
    ]


def _check_quarters(rows: pd.DataFrame, year: str, needed: int, basis: str) -> None:
    counts = rows.groupby(["authority", "service"])["_q"].nunique()
    short = counts[counts < needed]
    duplicated = rows.duplicated(["authority", "service", "_q"])
    problems = [
        f"{a} / {s}: budget rows for {n} of the {needed} quarter(s) of {year} needed"
        for (a, s), n in short.items()
    ]
    problems += [
        f"{r.authority} / {r.service}: more than one row for {r.period}"
        for r in rows[duplicated].itertuples()
    ]
    if problems:
        how = (
            "one row per authority, service and quarter, all four quarters (the budget "
            "profiled for each quarter; leave actual blank for future quarters)"
            if basis == "quarter"
            else "one row per authority, service and quarter up to the quarter reported"
        )
        raise AnalysisError(
            "the budget table cannot give the budget position:\n  - "
            + "\n  - ".join(problems)
            + f"\nGive {how}."
        )


def _add_variance_columns(
    frame: pd.DataFrame, prefix: str, spend: str, base: str, thresholds: VarianceThresholds | None
) -> pd.DataFrame:
    out = frame.copy()
    out[f"{prefix}_variance"] = out[spend] - out[base]
    out[f"{prefix}_variance_pct"] = compute_variance_pct(out[f"{prefix}_variance"], out[base])
    out[f"{prefix}_direction"] = describe_variances(out[f"{prefix}_variance"])
    out[f"{prefix}_rag"] = rate_variances(out[f"{prefix}_variance"], out[base], thresholds)
    return out


def monitor_budget(
    budget: pd.DataFrame,
    as_at: str,
    thresholds: VarianceThresholds | None = None,
    *,
    budget_basis: str = "quarter",
) -> pd.DataFrame:
    """Budget monitoring at a quarter: forecast and year-to-date variances with RAG.

    ``forecast_variance = forecast_outturn - annual_budget`` and ``ytd_variance = ytd_actual -
    ytd_budget`` (profiled budget to date); positive = overspend. Percentages are of the absolute
    budget compared with; the RAG follows the rule in the module docstring.

    Parameters
    ----------
    budget : DataFrame
        The ``budget`` table (see :func:`profile_year_to_date`).
    as_at : str
        Quarter reported, e.g. ``"2023/24 Q2"``.
    thresholds : VarianceThresholds, optional
        £ and % thresholds for the RAG.
    budget_basis : {"quarter", "annual"}
        Whether ``budget`` holds each quarter's profiled budget (the data model) or the
        full-year budget repeated on each row; see :func:`profile_year_to_date`.

    Returns
    -------
    DataFrame
        One row per authority and service with columns authority, service, as_at,
        quarters_elapsed, annual_budget, forecast_outturn, forecast_variance,
        forecast_variance_pct, forecast_direction, forecast_rag, ytd_budget, ytd_actual,
        ytd_variance, ytd_variance_pct, ytd_direction, ytd_rag. £ columns in pounds.
    """
    profile = profile_year_to_date(budget, as_at, budget_basis=budget_basis)
    out = _add_variance_columns(
        profile, "forecast", "forecast_outturn", "annual_budget", thresholds
    )
    out = _add_variance_columns(out, "ytd", "ytd_actual", "ytd_budget", thresholds)
    return out[_MONITORING_COLUMNS]


def summarise_budget(
    monitoring: pd.DataFrame, *, by: str = "authority", thresholds: VarianceThresholds | None = None
) -> pd.DataFrame:
    """Total a monitoring table for the council (``by="authority"``) or by service.

    £ columns are summed (a total is missing if any part is missing, so a gap is never hidden);
    percentages, directions and RAGs are recomputed from the totals, not averaged.

    Parameters
    ----------
    monitoring : DataFrame
        Output of :func:`monitor_budget`.
    by : {"authority", "service"}
        ``"authority"`` gives one council-wide row per authority (service = "All services");
        ``"service"`` totals each service across authorities (authority = "All authorities").
    thresholds : VarianceThresholds, optional
        Thresholds for the recomputed RAG (use the same as for the service rows).

    Returns
    -------
    DataFrame
        The columns of :func:`monitor_budget`, one row per group.
    """
    if by not in ("authority", "service"):
        raise ParameterError([f"by must be 'authority' or 'service', got {by!r}"])
    require_columns(monitoring, _MONITORING_COLUMNS, "the monitoring table")
    money = ["annual_budget", "forecast_outturn", "ytd_budget", "ytd_actual"]
    grouped = monitoring.groupby([by, "as_at", "quarters_elapsed"], sort=True)
    totals = grouped[money].agg(lambda s: s.sum(skipna=False)).reset_index()
    other = "service" if by == "authority" else "authority"
    totals[other] = "All services" if by == "authority" else "All authorities"
    out = _add_variance_columns(totals, "forecast", "forecast_outturn", "annual_budget", thresholds)
    out = _add_variance_columns(out, "ytd", "ytd_actual", "ytd_budget", thresholds)
    return out[_MONITORING_COLUMNS]


def forecast_full_year(
    budget: pd.DataFrame,
    as_at: str,
    *,
    method: str = "straight_line",
    thresholds: VarianceThresholds | None = None,
    budget_basis: str = "quarter",
) -> pd.DataFrame:
    """Project the full-year outturn from spend to date.

    * ``"straight_line"``: ``projected = ytd_actual / quarters_elapsed x 4``.
    * ``"budget_profile"`` (seasonal): ``projected = ytd_actual x annual_budget / ytd_budget``,
      i.e. spend to date divided by the share of the year's budget profiled to date; missing when
      the profiled budget to date is zero.

    Parameters
    ----------
    budget : DataFrame
        The ``budget`` table.
    as_at : str
        Quarter reached, e.g. ``"2023/24 Q2"``.
    method : {"straight_line", "budget_profile"}
    thresholds : VarianceThresholds, optional
        Thresholds for the RAG of the projected variance.
    budget_basis : {"quarter", "annual"}
        See :func:`profile_year_to_date`. With ``"annual"`` the budget is profiled evenly, so
        ``"budget_profile"`` gives the same projection as ``"straight_line"``.

    Returns
    -------
    DataFrame
        authority, service, as_at, quarters_elapsed, method, ytd_actual, annual_budget,
        projected_outturn, projected_variance, projected_variance_pct, projected_direction,
        projected_rag (variance = projected outturn - annual budget; positive = overspend).
    """
    if method not in FORECAST_METHODS:
        raise ParameterError([f"method must be one of {list(FORECAST_METHODS)}, got {method!r}"])
    out = profile_year_to_date(budget, as_at, budget_basis=budget_basis)
    if method == "straight_line":
        out["projected_outturn"] = out["ytd_actual"] / out["quarters_elapsed"] * 4
    else:
        share = out["ytd_budget"] / out["annual_budget"]
        out["projected_outturn"] = out["ytd_actual"] / share.where(share != 0)
    out["method"] = method
    out = _add_variance_columns(out, "projected", "projected_outturn", "annual_budget", thresholds)
    return out[
        [
            "authority",
            "service",
            "as_at",
            "quarters_elapsed",
            "method",
            "ytd_actual",
            "annual_budget",
            "projected_outturn",
            "projected_variance",
            "projected_variance_pct",
            "projected_direction",
            "projected_rag",
        ]
    ]


# --------------------------------------------------------------------------------------------
# Spend per head, unit costs, real terms, comparators
# --------------------------------------------------------------------------------------------


def attach_population(
    frame: pd.DataFrame,
    population: pd.DataFrame,
    *,
    period_column: str = "period",
    max_gap_years: int | None = None,
) -> pd.DataFrame:
    """Add each row's population, from the nearest financial year available.

    Nearest-year rule: for each authority and period, the population row of the same authority
    whose financial year is closest to the period's financial year (a quarter or month counts as
    its financial year); when two years are equally close the earlier is used. The year used and
    the gap in years are returned so a reader can see when the match is not exact.

    Parameters
    ----------
    frame : DataFrame
        Has ``authority`` and ``period_column`` (period labels).
    population : DataFrame
        The ``population`` table: authority, year, population (source optional).
    period_column : str
        Column of ``frame`` holding the period.
    max_gap_years : int, optional
        Largest gap allowed between the period and the population year; no limit when None.

    Returns
    -------
    DataFrame
        ``frame`` plus population, population_year, population_gap_years.

    Raises
    ------
    AnalysisError
        If an authority has no population, or the nearest year is more than ``max_gap_years``
        away.
    """
    require_columns(frame, ["authority", period_column], "the table to attach population to")
    require_columns(population, ["authority", "year", "population"], "the population table")
    wanted = frame[["authority", period_column]].drop_duplicates().astype(str)
    wanted["_fy"] = [parse_period(p).fy for p in wanted[period_column]]
    pop = population[["authority", "year", "population"]].dropna(subset=["population"]).copy()
    pop["authority"] = pop["authority"].astype(str)
    pop["_pop_fy"] = [parse_period(y).fy for y in pop["year"].astype(str)]
    pairs = wanted.merge(pop, on="authority", how="left")
    pairs["population_gap_years"] = (pairs["_pop_fy"] - pairs["_fy"]).abs()
    best = pairs.sort_values(["population_gap_years", "_pop_fy"], kind="mergesort").drop_duplicates(
        ["authority", period_column], keep="first"
    )
    _check_population_match(best, period_column, max_gap_years)
    best = best.rename(columns={"year": "population_year"})
    best["population_gap_years"] = best["population_gap_years"].astype("int64")
    best = best[
        ["authority", period_column, "population", "population_year", "population_gap_years"]
    ]
    keyed = frame.assign(_a=frame["authority"].astype(str), _p=frame[period_column].astype(str))
    out = keyed.merge(
        best.rename(columns={"authority": "_a", period_column: "_p"}), on=["_a", "_p"], how="left"
    )
    return out.drop(columns=["_a", "_p"])


def _check_population_match(
    best: pd.DataFrame, period_column: str, max_gap_years: int | None
) -> None:
    problems = [
        f"no population for authority {a!r}"
        for a in best.loc[best["population"].isna(), "authority"].unique()
    ]
    if max_gap_years is not None:
        far = best[best["population_gap_years"] > max_gap_years]
        problems += [
            f"{r['authority']} {r[period_column]}: nearest population year is "
            f"{r['year']}, {int(r['population_gap_years'])} years away "
            f"(max_gap_years={max_gap_years})"
            for _, r in far.iterrows()
        ]
    if problems:
        raise AnalysisError(
            "cannot match population to spend:\n  - "
            + "\n  - ".join(problems)
            + "\nAdd the missing rows to population.csv or raise max_gap_years."
        )


def compute_spend_per_head(
    net_expenditure: pd.DataFrame, population: pd.DataFrame, *, max_gap_years: int | None = None
) -> pd.DataFrame:
    """Spend per head of population, in £, of the net_expenditure rows given (one line, e.g.
    :data:`SPEND_LINE`).

    ``spend_per_head = net_current_expenditure (£ thousands) x 1000 / population``, with the
    population of the nearest year (see :func:`attach_population`).

    Parameters
    ----------
    net_expenditure : DataFrame
        The ``net_expenditure`` table: authority, period (year), service,
        net_current_expenditure (£ thousands).
    population : DataFrame
        The ``population`` table.
    max_gap_years : int, optional
        Passed to :func:`attach_population`.

    Returns
    -------
    DataFrame
        ``net_expenditure`` plus population, population_year, population_gap_years,
        spend_per_head (£).
    """
    require_columns(
        net_expenditure,
        ["authority", "period", "service", "net_current_expenditure"],
        "the net_expenditure table",
    )
    out = attach_population(net_expenditure, population, max_gap_years=max_gap_years)
    pop = out["population"].astype("float64")
    out["spend_per_head"] = out["net_current_expenditure"] * 1000.0 / pop.where(pop > 0)
    return out


def compute_unit_cost(
    spend: pd.DataFrame,
    activity: pd.DataFrame,
    *,
    activity_column: str,
    spend_column: str = "net_current_expenditure",
    spend_scale: float = 1000.0,
) -> pd.DataFrame:
    """Unit cost: spend divided by an activity measure (e.g. cost per household for waste).

    ``unit_cost = spend_column x spend_scale / activity_column``; missing where the activity is
    zero or missing (a cost per nothing is undefined, not infinite). The default scale turns
    £ thousands into £.

    Parameters
    ----------
    spend : DataFrame
        Spend rows keyed by authority and period (and service, if the activity has it).
    activity : DataFrame
        Activity rows with the same key columns and ``activity_column``.
    activity_column : str
        Name of the activity measure, e.g. ``"households"``.
    spend_column : str
        Name of the spend column.
    spend_scale : float
        Multiplier turning spend into £ (1000 for £ thousands, 1 for £).

    Returns
    -------
    DataFrame
        ``spend`` plus ``activity_column`` and ``unit_cost`` (£ per unit of activity).
    """
    require_columns(spend, ["authority", "period", spend_column], "the spend table")
    require_columns(activity, ["authority", "period", activity_column], "the activity table")
    keys = [
        k
        for k in ("authority", "period", "service")
        if k in activity.columns and k in spend.columns
    ]
    if activity.duplicated(keys).any():
        raise AnalysisError(
            f"the activity table has more than one row for some {keys}; "
            f"give one {activity_column!r} value per {keys}."
        )
    out = spend.merge(activity[keys + [activity_column]], on=keys, how="left")
    units = out[activity_column].astype("float64")
    out["unit_cost"] = out[spend_column] * spend_scale / units.where(units != 0)
    return out


def compute_real_terms(
    frame: pd.DataFrame,
    deflators: pd.DataFrame,
    *,
    base_year: str,
    columns: Sequence[str],
    period_column: str = "period",
) -> pd.DataFrame:
    """Convert nominal £ columns to real terms at the prices of a base year.

    ``real = nominal x deflator[base_year] / deflator[year]`` (GDP deflator method; HM Treasury
    GDP deflators are the usual source). A quarter or month uses its financial year's deflator.

    Parameters
    ----------
    frame : DataFrame
        Has ``period_column`` and the £ ``columns``.
    deflators : DataFrame
        The ``deflators`` table: year (financial year), deflator (index, any base).
    base_year : str
        Financial year whose prices to express figures in, e.g. ``"2023/24"``.
    columns : sequence of str
        Nominal £ columns to convert; each gets a ``<column>_real`` companion.
    period_column : str

    Returns
    -------
    DataFrame
        ``frame`` plus ``<column>_real`` columns and ``price_base`` (e.g. "2023/24 prices").

    Raises
    ------
    AnalysisError
        If a needed year (or the base year) has no deflator.
    """
    require_columns(frame, [period_column, *columns], "the table to deflate")
    require_columns(deflators, ["year", "deflator"], "the deflators table")
    index = {
        parse_period(str(y)).label: float(d)
        for y, d in zip(deflators["year"], deflators["deflator"])
        if pd.notna(d)
    }
    base = parse_period(base_year).financial_year.label
    years = [parse_period(str(p)).financial_year.label for p in frame[period_column]]
    missing = sorted({y for y in years + [base] if y not in index})
    if missing:
        raise AnalysisError(
            f"no GDP deflator for year(s) {missing}; add them to deflators.csv "
            f"(it has {sorted(index)})."
        )
    factor = pd.Series([index[base] / index[y] for y in years], index=frame.index)
    out = frame.copy()
    for column in columns:
        out[f"{column}_real"] = out[column] * factor
    out["price_base"] = f"{base} prices"
    return out


def compare_with_group(
    frame: pd.DataFrame,
    group: Iterable[str],
    *,
    value: str = "spend_per_head",
    home: str | None = None,
    descending: bool = True,
) -> pd.DataFrame:
    """Rank councils in a comparator group and compare each with the group median.

    Ranks use the "min" method (ties share the better rank); rank 1 is the highest value when
    ``descending`` (the highest spender), the lowest otherwise. The median is over the members
    with a value; members without one are left out and ``n_in_group`` says how many were used.

    Parameters
    ----------
    frame : DataFrame
        One row per authority (filter to one period and service first) with ``authority`` and
        ``value``.
    group : iterable of str
        Authority codes in the comparator group (the home council may be in it or not; it is
        always included).
    value : str
        Column to compare.
    home : str, optional
        Home council code, flagged in ``is_home``.
    descending : bool
        Rank 1 = highest value when true.

    Returns
    -------
    DataFrame
        authority, <value>, rank, n_in_group, group_median, difference_from_median,
        difference_from_median_pct, is_home; sorted by rank.
    """
    require_columns(frame, ["authority", value], "the table to compare")
    members = set(map(str, group)) | ({home} if home else set())
    rows = frame[frame["authority"].astype(str).isin(members)]
    if rows["authority"].duplicated().any():
        raise AnalysisError(
            "the table has more than one row per authority; filter it to one "
            "period and one service before comparing with the group."
        )
    rows = rows[["authority", value]].dropna(subset=[value]).copy()
    if home and home not in set(rows["authority"].astype(str)):
        raise AnalysisError(f"home council {home!r} has no {value!r} in the table.")
    if rows.empty:
        raise AnalysisError(f"no member of the comparator group has a {value!r} value.")
    median = float(rows[value].median())
    rows["rank"] = rows[value].rank(method="min", ascending=not descending).astype("int64")
    rows["n_in_group"] = len(rows)
    rows["group_median"] = median
    rows["difference_from_median"] = rows[value] - median
    rows["difference_from_median_pct"] = (
        100.0 * rows["difference_from_median"] / abs(median) if median else float("nan")
    )
    rows["is_home"] = rows["authority"].astype(str) == (home or "")
    return rows.sort_values(["rank", "authority"], kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Service-level join of budget and PI RAG
# --------------------------------------------------------------------------------------------


def count_pi_rag_by_service(pi_rag: pd.DataFrame) -> pd.DataFrame:
    """Count PIs rated Green, Amber, Red and anything else, per service.

    Parameters
    ----------
    pi_rag : DataFrame
        One row per PI result with ``service`` and ``rag`` columns (``rag`` values other than
        "Green", "Amber", "Red", including missing, are counted as other).

    Returns
    -------
    DataFrame
        service, pis_green, pis_amber, pis_red, pis_other, pis (total).
    """
    require_columns(pi_rag, ["service", "rag"], "the PI RAG table")
    rag = pi_rag["rag"].astype(object).where(pi_rag["rag"].isin(RAG_WORDS), "Other")
    counts = pd.crosstab(pi_rag["service"].astype(object), rag)
    counts = counts.reindex(columns=["Green", "Amber", "Red", "Other"], fill_value=0)
    counts.columns = ["pis_green", "pis_amber", "pis_red", "pis_other"]
    counts["pis"] = counts.sum(axis=1)
    counts.index.name = "service"
    return counts.astype("int64").reset_index()


def join_variance_with_pi_rag(monitoring: pd.DataFrame, pi_rag: pd.DataFrame) -> pd.DataFrame:
    """Put each service's budget variance next to the RAG counts of its PIs.

    An outer join on ``service`` (and ``authority`` when both tables have it), so a service with
    a budget but no PIs shows zero counts, and a service with PIs but no budget row shows
    missing variance: nothing is silently dropped.

    Parameters
    ----------
    monitoring : DataFrame
        Output of :func:`monitor_budget` (one authority, or with ``pi_rag`` also by authority).
    pi_rag : DataFrame
        PI RAG results with ``service`` and ``rag`` (and optionally ``authority``).

    Returns
    -------
    DataFrame
        [authority,] service, annual_budget, forecast_outturn, forecast_variance,
        forecast_variance_pct, forecast_direction, forecast_rag, pis_green, pis_amber, pis_red,
        pis_other, pis.
    """
    by_authority = "authority" in pi_rag.columns and "authority" in monitoring.columns
    keys = ["authority", "service"] if by_authority else ["service"]
    if not by_authority and monitoring["authority"].nunique() > 1:
        raise AnalysisError(
            "the monitoring table has several authorities but the PI RAG table "
            "has no 'authority' column; filter monitoring to one authority."
        )
    parts = (
        [count_pi_rag_by_service(g).assign(authority=a) for a, g in pi_rag.groupby("authority")]
        if by_authority
        else [count_pi_rag_by_service(pi_rag)]
    )
    counts = pd.concat(parts, ignore_index=True) if parts else count_pi_rag_by_service(pi_rag)
    money = monitoring[
        keys
        + [
            "annual_budget",
            "forecast_outturn",
            "forecast_variance",
            "forecast_variance_pct",
            "forecast_direction",
            "forecast_rag",
        ]
    ]
    out = money.merge(counts, on=keys, how="outer")
    count_cols = ["pis_green", "pis_amber", "pis_red", "pis_other", "pis"]
    out[count_cols] = out[count_cols].fillna(0).astype("int64")
    out["forecast_direction"] = out["forecast_direction"].astype(object).fillna("No budget row")
    out["forecast_rag"] = out["forecast_rag"].astype(object).fillna(NOT_RATED)
    return out.sort_values(keys, kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Value for money
# --------------------------------------------------------------------------------------------

QUADRANTS = (
    "Higher performance, lower spend",
    "Higher performance, higher spend",
    "Lower performance, lower spend",
    "Lower performance, higher spend",
)

VFM_CAVEATS = (
    "Spend per head does not allow for need: deprivation, age profile, rurality and tier of "
    "council all drive spend, so lower spend is not in itself efficiency.",
    "The average performance score depends on which indicators are included and how they are "
    "scored; a different set can move councils between quadrants.",
    "The fitted line shows association, not cause: spending more does not by itself predict "
    "better performance for any one council.",
    "A residual is called unusual only when it lies outside the range the other councils' line "
    "would expect (its externally studentised residual beyond Student's t at the report's "
    "confidence level); a residual within that range should not be read as a real difference.",
    "Quadrants are split at the group medians, so half the councils are always 'higher' and half "
    "'lower', however close together they are.",
)


@dataclass(frozen=True)
class VfmResult:
    """Value-for-money analysis: performance score against net spend per head.

    Attributes
    ----------
    table : DataFrame
        One row per council: authority, score, spend_per_head, quadrant, fitted, residual,
        studentised_residual, expected_lower, expected_upper, unusual, finding, is_home
        (:func:`studentised_residuals`; the studentised columns are missing, and ``unusual``
        is ``<NA>``, with fewer than 4 councils).
    line : DataFrame
        The fitted line on a grid of spend: spend_per_head, fitted, ci_lower, ci_upper.
    median_score, median_spend : float
        The median lines dividing the quadrants.
    intercept, slope, slope_se, slope_p_value, r_squared : float
        OLS fit of score on spend per head (slope in score points per £ per head).
    n : int
        Councils used.
    level : float
        Confidence level of the band and of the judgement of the residuals.
    home : str or None
    caveats : tuple of str
    """

    table: pd.DataFrame
    line: pd.DataFrame
    median_score: float
    median_spend: float
    intercept: float
    slope: float
    slope_se: float
    slope_p_value: float
    r_squared: float
    n: int
    level: float
    home: str | None = None
    caveats: tuple[str, ...] = field(default=VFM_CAVEATS)

    @property
    def critical_t(self) -> float | None:
        """Student's t at ``level`` with n - 3 degrees of freedom, beyond which a studentised
        residual is unusual; None with fewer than :data:`MIN_STUDENTISED` councils."""
        from scipy import stats as scipy_stats

        if self.n < MIN_STUDENTISED:
            return None
        return float(scipy_stats.t.ppf((1 + self.level) / 2, self.n - 3))

    def home_finding(self) -> str | None:
        """One sentence on the home council's position, or None if no home council."""
        if self.home is None:
            return None
        row = self.table.loc[self.table["authority"] == self.home].iloc[0]
        return f"{self.home}: {row['quadrant'].lower()}; {row['finding']}."


def _as_series(data: pd.Series | pd.DataFrame, value: str, what: str) -> pd.Series:
    if isinstance(data, pd.Series):
        series = data.copy()
    else:
        require_columns(data, ["authority", value], what)
        if data["authority"].duplicated().any():
            raise AnalysisError(
                f"{what} has more than one row per authority; give one {value!r} "
                f"per council (filter to one period)."
            )
        series = data.set_index("authority")[value]
    series.index = series.index.astype(str)
    return pd.to_numeric(series).astype("float64").rename(value)


def classify_quadrant(score: float, spend: float, median_score: float, median_spend: float) -> str:
    """Plain-words quadrant of a council relative to the median score and median spend.

    "Higher" and "lower" mean strictly above and below the median; a council exactly on a
    median line is described as "median performance" or "median spend".
    """
    perf = (
        "Higher performance"
        if score > median_score
        else "Lower performance"
        if score < median_score
        else "Median performance"
    )
    cost = (
        "higher spend"
        if spend > median_spend
        else "lower spend"
        if spend < median_spend
        else "median spend"
    )
    return f"{perf}, {cost}"


#: Councils needed to judge a residual: an externally studentised residual of a straight line
#: has n - 3 degrees of freedom.
MIN_STUDENTISED = 4

VFM_RESIDUAL_METHOD = (
    "Each council's residual is judged by its externally studentised residual (Cook and "
    "Weisberg 1982): the residual divided by its standard error estimated from the line fitted "
    "to the other councils. It is unusual when it lies beyond Student's t with n - 3 degrees of "
    "freedom at the report's confidence level, which is the same as the council's score lying "
    "outside the prediction interval of the line fitted without it (the range expected shown in "
    f"the table). At least {MIN_STUDENTISED} councils are needed for this judgement."
)


def studentised_residuals(
    spend: np.ndarray, score: np.ndarray, *, level: float = 0.95
) -> pd.DataFrame:
    """Externally studentised residuals of the straight line of score on spend, and the range
    each council's score would be expected in from the line fitted to the others.

    Method (Cook, R. D. & Weisberg, S. (1982) *Residuals and Influence in Regression*, Chapman
    & Hall, section 2.2; R's ``rstudent``; statsmodels' ``OLSInfluence
    .resid_studentized_external``): with residual ``e_i``, leverage ``h_ii`` and the residual
    standard deviation of the fit without council ``i``,
    ``s_(i)^2 = ((n - p) s^2 - e_i^2 / (1 - h_ii)) / (n - p - 1)`` (``p = 2`` parameters),

        ``t_i = e_i / (s_(i) sqrt(1 - h_ii))``,

    which follows Student's t with ``n - p - 1 = n - 3`` degrees of freedom when the council is
    like the others. ``|t_i| > t_{(1 + level)/2, n - 3}`` exactly when the score lies outside
    the prediction interval for a new council at that spend from the fit without council
    ``i``: ``yhat_(i) +/- t s_(i) / sqrt(1 - h_ii)``, with ``yhat_(i) = y_i - e_i / (1 - h_ii)``.

    Parameters
    ----------
    spend, score : array_like
        One value per council, same order; spend must vary.
    level : float
        Confidence level, e.g. 0.95.

    Returns
    -------
    DataFrame
        In input order: ``studentised_residual``, ``leverage``, ``expected_lower``,
        ``expected_upper`` (the prediction interval from the others' line), ``critical_t`` and
        ``unusual`` (nullable boolean). All missing with fewer than :data:`MIN_STUDENTISED`
        councils, and for a council whose leverage is 1.
    """
    import statsmodels.api as sm
    from scipy import stats as scipy_stats
    from statsmodels.stats.outliers_influence import OLSInfluence

    x, y = np.asarray(spend, dtype=float), np.asarray(score, dtype=float)
    n = len(x)
    missing = np.full(n, np.nan)
    if n < MIN_STUDENTISED:
        return pd.DataFrame(
            {
                "studentised_residual": missing,
                "leverage": missing,
                "expected_lower": missing,
                "expected_upper": missing,
                "critical_t": missing,
                "unusual": pd.array([None] * n, dtype="boolean"),
            }
        )
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    influence = OLSInfluence(fit)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_i = np.asarray(influence.resid_studentized_external, dtype=float)
        h = np.asarray(influence.hat_matrix_diag, dtype=float)
        e = np.asarray(fit.resid, dtype=float)
        s_deleted = np.sqrt(np.asarray(influence.sigma2_not_obsi, dtype=float))
        centre = y - e / (1 - h)
        half = s_deleted / np.sqrt(1 - h)
    critical = float(scipy_stats.t.ppf((1 + level) / 2, n - 3))
    t_i = np.where(np.isfinite(t_i), t_i, np.nan)
    with np.errstate(invalid="ignore"):
        unusual = np.abs(t_i) > critical
    return pd.DataFrame(
        {
            "studentised_residual": t_i,
            "leverage": h,
            "expected_lower": centre - critical * half,
            "expected_upper": centre + critical * half,
            "critical_t": np.full(n, critical),
            "unusual": pd.array(
                [None if np.isnan(t) else bool(u) for t, u in zip(t_i, unusual)], dtype="boolean"
            ),
        }
    )


def _describe_residual(residual: float, unusual: object) -> str:
    """The finding on one council's residual, with the judgement of its studentised residual."""
    if unusual is pd.NA or unusual is None:
        judged = "too few councils to judge whether that is unusual"
    else:
        judged = (
            "outside the range the other councils would predict"
            if unusual
            else "within the range the other councils would predict"
        )
    if round(residual, 1) == 0:
        return f"performance in line with what its spend would predict ({judged})"
    side = "above" if residual > 0 else "below"
    return (
        f"performance {abs(residual):.1f} score points {side} what its spend would predict "
        f"({judged})"
    )


def value_for_money(
    scores: pd.Series | pd.DataFrame,
    spend_per_head: pd.Series | pd.DataFrame,
    *,
    home: str | None = None,
    level: float = 0.95,
) -> VfmResult:
    """Compare councils' average performance score with their net spend per head.

    Method: median lines of score and spend split the councils into four quadrants; an ordinary
    least squares line ``score = a + b x spend_per_head`` (statsmodels OLS) is fitted, with a
    confidence band for the mean line at the given ``level``. Each council's residual (score
    minus fitted score, in score points) says whether its performance is above or below what its
    spend would predict; it is judged unusual when its externally studentised residual lies
    beyond Student's t at ``level`` (:func:`studentised_residuals`, Cook & Weisberg 1982), not
    against a prediction interval for a new council, which would count the council's own score
    in the line it is compared with.

    Parameters
    ----------
    scores : Series or DataFrame
        Average performance score per council: a Series indexed by authority code, or a frame
        with ``authority`` and ``score``.
    spend_per_head : Series or DataFrame
        Net spend per head (£) per council: a Series indexed by authority, or a frame with
        ``authority`` and ``spend_per_head`` (one period and service).
    home : str, optional
        Home council code; must be among the councils.
    level : float
        Confidence level, between 0 and 1.

    Returns
    -------
    VfmResult

    Raises
    ------
    AnalysisError
        If fewer than 3 councils have both a score and a spend, or spend does not vary.
    ParameterError
        If ``level`` is not between 0 and 1.
    """
    import statsmodels.api as sm

    if not 0 < level < 1:
        raise ParameterError([f"level must be between 0 and 1 (e.g. 0.95), got {level!r}"])
    data = pd.concat(
        [
            _as_series(scores, "score", "the scores table"),
            _as_series(spend_per_head, "spend_per_head", "the spend table"),
        ],
        axis=1,
        join="inner",
    ).dropna()
    if len(data) < 3 or data["spend_per_head"].nunique() < 2:
        raise AnalysisError(
            f"value for money needs at least 3 councils with both a score and a "
            f"spend per head, and spend that varies; found {len(data)}."
        )
    if home is not None and home not in data.index:
        raise AnalysisError(
            f"home council {home!r} has no score and spend per head; "
            f"councils available: {sorted(data.index)}"
        )
    fit = sm.OLS(data["score"].to_numpy(), sm.add_constant(data["spend_per_head"].to_numpy())).fit()
    table = _vfm_table(data, fit, level, home)
    grid = np.linspace(data["spend_per_head"].min(), data["spend_per_head"].max(), 50)
    band = fit.get_prediction(sm.add_constant(grid)).summary_frame(alpha=1 - level)
    line = pd.DataFrame(
        {
            "spend_per_head": grid,
            "fitted": band["mean"].to_numpy(),
            "ci_lower": band["mean_ci_lower"].to_numpy(),
            "ci_upper": band["mean_ci_upper"].to_numpy(),
        }
    )
    return VfmResult(
        table=table,
        line=line,
        median_score=float(data["score"].median()),
        median_spend=float(data["spend_per_head"].median()),
        intercept=float(fit.params[0]),
        slope=float(fit.params[1]),
        slope_se=float(fit.bse[1]),
        slope_p_value=float(fit.pvalues[1]),
        r_squared=float(fit.rsquared),
        n=len(data),
        level=level,
        home=home,
    )


def _vfm_table(data: pd.DataFrame, fit, level: float, home: str | None) -> pd.DataFrame:
    import statsmodels.api as sm

    pred = fit.get_prediction(sm.add_constant(data["spend_per_head"].to_numpy())).summary_frame(
        alpha=1 - level
    )
    judged = studentised_residuals(
        data["spend_per_head"].to_numpy(), data["score"].to_numpy(), level=level
    )
    med_score, med_spend = data["score"].median(), data["spend_per_head"].median()
    table = data.reset_index(names="authority")
    table["quadrant"] = [
        classify_quadrant(s, p, med_score, med_spend)
        for s, p in zip(table["score"], table["spend_per_head"])
    ]
    table["fitted"] = pred["mean"].to_numpy()
    table["residual"] = table["score"] - table["fitted"]
    for name in ("studentised_residual", "expected_lower", "expected_upper", "unusual"):
        table[name] = judged[name].to_numpy()
    table["unusual"] = table["unusual"].astype("boolean")
    table["finding"] = [
        _describe_residual(r, u) for r, u in zip(table["residual"], table["unusual"])
    ]
    table["is_home"] = table["authority"] == (home or "")
    return table.sort_values("authority", kind="mergesort").reset_index(drop=True)
