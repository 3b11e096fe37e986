"""Report sections that combine several domains: context, benchmarking, trends, money.

Each function returns the pieces a notebook section shows (a table for the record, a display
table, a figure, a sentence, a caption), so the notebook stays a thin narrative and every number
in its text is computed here. Every word about the data (the data-honesty note, captions, sources)
comes from the tables actually loaded (:mod:`perfeval.data.notes`); a section whose data are
absent returns one plain sentence saying so, no figure (``None``) and no table (``None``), and the
report goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from perfeval.stats import budget as money
from perfeval.present import charts
from perfeval.stats import indicators as engine
from perfeval.present import narrative
from perfeval.stats import scorecard
from perfeval.data import notes
from perfeval.data.loader import Dataset, authority_names, council_name
from perfeval.core.periods import parse_period, period_sort_key
from perfeval.stats.scorecard import MIN_COMPARATORS, group_members
# The resident views section lives in perfeval.sections.survey; re-exported for State of the Nation.
from perfeval.sections.survey import resident_views  # noqa: F401
from perfeval.present.html import format_number, parameters_table

REAL_OR_SYNTHETIC = {True: "Synthetic (generated, not real performance)",
                     False: "Real published figures"}
#: The tables each report draws on beyond the indicator register, in the order its data note
#: and tables table name them (the survey only when a wave is reported).
REPORT_TABLES = {
    "state_of_the_nation": ("targets", "survey_responses", "budget", "net_expenditure",
                            "population", "authorities", "comparator_groups"),
    "end_of_year_review": ("targets", "commentary", "authorities", "comparator_groups"),
}


def sources_table(data: Dataset) -> pd.DataFrame:
    """Indicators grouped by source, saying which are real and which are synthetic."""
    register = data.indicators
    synthetic = notes.synthetic_flags(register)
    rows = (register.assign(kind=synthetic.map(REAL_OR_SYNTHETIC))
            .groupby(["kind", "source"], sort=True)["code"].agg(", ".join).reset_index())
    return pd.DataFrame({"Indicators": rows["code"], "Source": rows["source"],
                         "Kind": rows["kind"]})


def group_method(data: Dataset, group: str) -> str:
    """How a comparator group was chosen (its ``method`` column), or "" when not stated."""
    rows = data.comparator_groups[data.comparator_groups["group"] == group]
    stated = [m for m in notes.optional_column(rows, "method", "").fillna("").astype(str)
              if m.strip()]
    return stated[0].strip().rstrip(".") if stated else ""


def tables_used(data: Dataset, report: str, params: dict[str, Any]) -> list[str]:
    """The tables a report draws on with these parameters (:data:`REPORT_TABLES`).

    The resident survey is left out when the council has one but no wave is reported
    (``survey_wave = ""``): the report does not use it. A council with no survey keeps it, so the
    note says that it is absent.
    """
    tables = list(REPORT_TABLES[report])
    survey = notes.council_rows(data.survey_responses, params["council"])
    if not params.get("survey_wave") and not survey.empty:
        return [t for t in tables if t != "survey_responses"]
    return tables


def report_context(data: Dataset, params: dict[str, Any], *,
                   report: str = "state_of_the_nation") -> dict[str, Any]:
    """Title block, data-honesty note, comparator description, method notes, sources, parameters.

    Parameters
    ----------
    data : Dataset
    params : dict
        The run's parameters (``council``, ``year``, ``comparator_group``, ...).
    report : str
        The report (a key of :data:`REPORT_TABLES`): which tables its note and tables table name.
    """
    council, group = params["council"], params["comparator_group"]
    name = council_name(data, council)
    members = group_members(data, group)
    method = group_method(data, group)
    others = [council_name(data, m) for m in members if m != council]
    synthetic = notes.synthetic_flags(data.indicators)
    uses = tables_used(data, report, params)
    chosen = f" {method}." if method else ""
    return {
        "council_name": name,
        "subtitle": f"{name} ({council}), financial year {params['year']}.",
        "data_note": notes.data_honesty_note(data, council, uses),
        "group_sentence": (f"Comparator group '{group}': {len(others)} councils.{chosen} "
                           f"Members: {', '.join(others)}."),
        "method_notes": [engine.RAG_METHOD, engine.DOT_METHOD, engine.QUARTILE_METHOD,
                         "Latest available: each indicator uses the council's latest annual "
                         f"value in or before {params['year']}; its period is shown beside it.",
                         "Headline shares count only indicators with a value for "
                         f"{params['year']} itself.",
                         f"Medians, ranks and quartiles are drawn only from at least "
                         f"{MIN_COMPARATORS} councils with a value.",
                         f"Comparator group: {method}." if method else
                         "Comparator group: comparator_groups.csv does not say how it was chosen."],
        "sources": sources_table(data),
        "source_counts": synthetic.map(REAL_OR_SYNTHETIC).value_counts().sort_index(),
        "tables": notes.tables_table(data, council, uses),
        "tables_caption": (f"Tables this report uses: where each came from and what kind of data "
                           f"it holds; for a table of councils' own data, Rows counts {name}'s "
                           "rows"),
        "parameters": parameters_table(params),
    }


# --------------------------------------------------------------------------- benchmarking
def describe_unranked(card: pd.DataFrame) -> str:
    """Sentence on the indicators with too few councils to rank ("" when every one is ranked).

    Neutral indicators (no better direction) and indicators without a value are not counted:
    they have no rank whatever the group.
    """
    valued = card[card["value"].notna() & card["polarity"].ne("neutral")]
    few = valued[valued["n_ranked"].fillna(0) < MIN_COMPARATORS]
    if valued.empty or len(few) == len(valued):
        return (f"Fewer than {MIN_COMPARATORS} councils of the comparator group have a value for "
                "any indicator, so no rank, quartile or median is shown.")
    if few.empty:
        return ""
    return (f"{len(few)} of {len(valued)} indicators are not ranked because fewer than "
            f"{MIN_COMPARATORS} councils of the group have a value for the same year: "
            f"{'; '.join(few['title'])}.")


def benchmark_section(card: pd.DataFrame, *, council_name: str, group: str) -> dict[str, Any]:
    """Position among the comparator group: percentile ranks (chart), ranks and quartiles (table).

    Returns
    -------
    dict
        positions (for the record), sentence (why some or all indicators are not ranked; "" when
        all are), figure (None when nothing is ranked), alt, caption, table (None when nothing is
        ranked) and note.
    """
    positions = scorecard.home_positions(card)
    table = scorecard.benchmark_table(card)
    return {
        "positions": positions, "sentence": describe_unranked(card),
        "figure": (charts.plot_percentile_positions(
            positions, title="Position among comparator councils (100 = best)")
            if not positions.empty else None),
        "alt": narrative.describe_positions(positions),
        "caption": (f"Percentile rank of {council_name} among {group} for each indicator "
                    "(latest year)."),
        "table": table if not table.empty else None,
        "table_caption": f"Rank and quartile among the comparator group ({group})",
        "note": engine.QUARTILE_METHOD,
    }


# --------------------------------------------------------------------------- trends
def describe_missing_medians(trends: pd.DataFrame) -> str:
    """Sentence naming the years whose comparator median is not drawn ("" when none is missing)."""
    missing = trends[trends["median"].isna()]
    if missing.empty:
        return ""
    where = "; ".join(f"{label} ({', '.join(group['period'])})"
                      for label, group in missing.groupby("label", sort=False))
    return (f"No comparator median is drawn where fewer than {MIN_COMPARATORS} councils of the "
            f"group have a value: {where}.")


def trends_section(data: Dataset, *, council: str, group: str, indicators: Sequence[str],
                   year: str, years: int) -> dict[str, Any]:
    """Key indicators over time against the comparator median, and their trend tests.

    Returns
    -------
    dict
        trends (for the record), figure, alt, caption, table, tests (for the record),
        tests_sentence, tests_table. A key indicator without a value in the years shown is
        named in the caption; when none has one, the sentence says so and figure and tables
        are None.
    """
    trends = scorecard.comparator_trends(data, council, group, indicators, year, years)
    shown = set(trends["indicator"])
    silent = [code for code in indicators if code not in shown]
    if not shown:
        return {"trends": trends, "figure": None, "alt": "", "caption": "", "table": None,
                "tests": pd.DataFrame(columns=["indicator", "n", "s", "p_value", "slope",
                                               "judgement"]),
                "tests_sentence": (f"None of the key indicators ({', '.join(indicators)}) has a "
                                   f"value for {council_name(data, council)} or its comparator "
                                   f"group in the {years} years to {year}, so there are no trends "
                                   "to show."),
                "tests_table": None}
    missing_values = (f"No values in the years shown for: {', '.join(silent)}." if silent else "")
    alt = " ".join(narrative.describe_trend(label, "", list(g["period"]), list(g["home"]),
                                            list(g["median"]))
                   for label, g in trends.groupby("label", sort=False))
    missing = f"{describe_missing_medians(trends)} {missing_values}".strip()
    tests = scorecard.trend_tests(data, trends)
    return {
        "trends": trends,
        "figure": charts.plot_small_multiples(
            trends, title="Key indicators: this council against the comparator median"),
        "alt": f"{alt} {missing}".strip(),
        "caption": (f"Key indicators over the last {years} years: this council (solid line, "
                    f"circles) and the comparator median (dashed line, squares). {missing}").strip(),
        "table": scorecard.trend_table(trends),
        "tests": tests,
        "tests_sentence": narrative.describe_trend_tests(tests),
        "tests_table": scorecard.trend_tests_table(tests),
    }


# --------------------------------------------------------------------------- money
def spend_per_head_comparison(data: Dataset, council: str, group: str,
                              service: str = money.NET_SPEND) -> tuple[pd.DataFrame, str | None]:
    """Net spend per head of each group member in the latest year with data, and that year.

    A council with no figure that year (e.g. one created after it) is left out of the comparison
    rather than stopping the report; the sentence then says it has no value. With fewer than
    :data:`~perfeval.stats.scorecard.MIN_COMPARATORS` councils with a value, the median and each
    council's difference from it are left blank. No rows for the group at all give an empty
    table and ``None`` for the year.
    """
    net = data.net_expenditure
    members = group_members(data, group)
    rows = net[(net["service"] == service) & net["authority"].isin(members)
               & net["net_current_expenditure"].notna()]
    if rows.empty:
        return pd.DataFrame(), None
    latest = max(rows["period"], key=period_sort_key)
    per_head = money.compute_spend_per_head(rows[rows["period"] == latest], data.population)
    has_value = council in set(per_head.dropna(subset=["spend_per_head"])["authority"])
    compared = money.compare_with_group(per_head, members, home=council if has_value else None)
    if len(compared) < MIN_COMPARATORS:
        compared = compared.assign(**{c: float("nan") for c in (
            "group_median", "difference_from_median", "difference_from_median_pct")})
    extra = per_head.set_index("authority")[["net_current_expenditure", "population",
                                             "population_year"]]
    compared = compared.join(extra, on="authority")
    compared = compared.assign(name=compared["authority"].map(authority_names(data)))
    return compared, latest


def spend_caption(data: Dataset, spend: pd.DataFrame, year: str) -> str:
    """Caption of the spend per head comparison: year, population year and sources, as used."""
    years = sorted(set(spend["population_year"].dropna().astype(str)), key=period_sort_key)
    used = data.population[data.population["authority"].isin(spend["authority"])
                           & data.population["year"].isin(years)]
    return (f"Net current expenditure per head, {year} (the latest year with figures for the "
            f"group in {notes.folder_words(data)}; population {', '.join(years)}). Sources: "
            f"{notes.table_source(data, 'net_expenditure')}; "
            f"{notes.table_source(data, 'population', used)}.")


def spend_section(data: Dataset, *, council: str, group: str) -> dict[str, Any]:
    """Net spend per head of the council against its comparator group: table, chart, sentence."""
    spend, spend_year = spend_per_head_comparison(data, council, group)
    if spend_year is None:
        sentence = (f"No total net current expenditure figures are in {notes.folder_words(data)} "
                    "for the councils of the comparator group, so this report has no spend per "
                    "head.")
        return {"spend_table": pd.DataFrame(columns=["authority", "spend_per_head", "rank",
                                                     "difference_from_median"]),
                "spend_display": None, "spend_sentence": sentence, "spend_caption": "",
                "spend_figure": None}
    bars = pd.DataFrame({"code": spend["authority"], "name": spend["name"],
                         "value": spend["spend_per_head"]})
    return {
        "spend_table": spend[["authority", "spend_per_head", "rank", "difference_from_median"]],
        "spend_display": pd.DataFrame({
            "Council": [f"{n} (this council)" if c == council else n
                        for c, n in zip(spend["authority"], spend["name"])],
            "Net current expenditure (£000)": [format_number(v, 0)
                                               for v in spend["net_current_expenditure"]],
            "Population": [format_number(v, 0) for v in spend["population"]],
            "Spend per head (£)": [format_number(v, 0, "£") for v in spend["spend_per_head"]],
        }),
        "spend_sentence": narrative.describe_comparison(
            "Net current expenditure per head", "£", spend_year, bars, council, decimals=0,
            higher_is="highest"),
        "spend_caption": spend_caption(data, spend, spend_year),
        "spend_figure": charts.plot_comparator_bars(
            bars, home=council, title=f"Net current expenditure per head, {spend_year}",
            unit="£", value_label="Net current expenditure per head"),
    }


def money_summary(data: Dataset, *, council: str, year: str, group: str) -> dict[str, Any]:
    """Net spend per head against comparators, and the year's budget against forecast outturn.

    Either part may be absent from the data folder: its sentence then says so, and its figure
    and display table are ``None``.
    """
    as_at = f"{year} Q4"
    own = notes.council_rows(data.budget, council)
    in_year = [parse_period(p).fy == parse_period(year).fy for p in own["period"]]
    monitoring = (money.monitor_budget(own, as_at, budget_basis="annual") if any(in_year)
                  else pd.DataFrame())  # no budget rows for the year: the section says so
    absent = (None if not own.empty else
              f"No budget monitoring figures are in {notes.folder_words(data)} for "
              f"{council_name(data, council)}, so this report has no budget against forecast "
              "outturn.")
    return {**spend_section(data, council=council, group=group),
            **budget_section(monitoring, as_at, synthetic=notes.synthetic_label(data, own),
                             absent=absent)}


def budget_display_columns(monitoring: pd.DataFrame) -> dict[str, list[str]]:
    """Budget, forecast outturn and variance (£000) and variance (%) as display text.

    Parameters
    ----------
    monitoring : DataFrame
        With ``annual_budget``, ``forecast_outturn``, ``forecast_variance`` (£) and
        ``forecast_variance_pct``, as :func:`perfeval.stats.budget.monitor_budget` returns them.

    Returns
    -------
    dict
        Column heading -> formatted cells, blank where a value is missing.
    """
    def text(column: str, scale: float, decimals: int, unit: str = "") -> list[str]:
        return [format_number(v / scale, decimals, unit) if pd.notna(v) else ""
                for v in monitoring[column]]
    return {"Budget (£000)": text("annual_budget", 1e3, 0),
            "Forecast outturn (£000)": text("forecast_outturn", 1e3, 0),
            "Variance (£000)": text("forecast_variance", 1e3, 0),
            "Variance (%)": text("forecast_variance_pct", 1, 1, "%")}


def variance_direction(variance: float) -> str:
    """``overspend`` for a forecast above budget, ``underspend`` below it, ``on budget`` at it."""
    return "overspend" if variance > 0 else "underspend" if variance < 0 else "on budget"


def describe_largest_variance(monitoring: pd.DataFrame) -> str:
    """Sentence naming the service whose forecast is furthest from its budget, by size (an
    underspend of £345k is larger than an overspend of £25k), and whether it is an over- or
    underspend; ``""`` when every service is on budget or no variance is known.

    Parameters
    ----------
    monitoring : DataFrame
        From :func:`perfeval.stats.budget.monitor_budget` (``service``, ``forecast_variance``).

    Returns
    -------
    str
        E.g. ``" The largest variance is in Education services: a forecast underspend of
        £345k."`` (with a leading space, to follow the totals sentence).
    """
    variances = monitoring["forecast_variance"].astype(float)
    if variances.isna().all() or (variances.fillna(0) == 0).all():
        return ""
    largest = monitoring.loc[variances.abs().idxmax()]
    amount = float(largest["forecast_variance"])
    return (f" The largest variance is in {largest['service']}: a forecast "
            f"{variance_direction(amount)} of {format_number(abs(amount) / 1e3, 0, '£')}k.")


def budget_section(monitoring: pd.DataFrame, as_at: str, *, synthetic: str = "",
                   absent: str | None = None) -> dict[str, Any]:
    """Budget against forecast outturn by service at a quarter: table, chart and sentence.

    Parameters
    ----------
    monitoring : DataFrame
        From :func:`perfeval.stats.budget.monitor_budget`; empty when there is nothing to show.
    as_at : str
        The quarter, e.g. ``2024/25 Q4``.
    synthetic : str
        What kind of data the budget rows are, for the caption (e.g. ``"synthetic sample
        data"``, from :func:`perfeval.data.notes.synthetic_label`); ``""`` says nothing.
    absent : str, optional
        The sentence when the data folder has no budget rows for the council at all (else an
        empty ``monitoring`` means none for the quarter's year).
    """
    if monitoring.empty:  # no chart to draw: figure None shows nothing (tables.figure_html)
        return {"budget_table": pd.DataFrame(), "budget_display": None,
                "budget_sentence": absent or f"No budget monitoring data for {as_at}.",
                "budget_caption": f"Budget and forecast outturn by service as at {as_at}",
                "budget_note": "",
                "budget_figure": None}
    total_budget = float(monitoring["annual_budget"].sum())
    total_forecast = float(monitoring["forecast_outturn"].sum())
    variance = total_forecast - total_budget
    share = format_number(abs(variance) / total_budget * 100, 1, "%")
    sentence = (f"At {as_at} the forecast outturn is {format_number(total_forecast / 1e6, 2, '£')}m "
                f"against a budget of {format_number(total_budget / 1e6, 2, '£')}m, "
                + ("on budget." if variance == 0 else
                   f"a forecast {variance_direction(variance)} of "
                   f"{format_number(abs(variance) / 1e6, 2, '£')}m ({share} of the budget).")
                + describe_largest_variance(monitoring))
    display = pd.DataFrame({
        "Service": monitoring["service"].to_numpy(),
        **budget_display_columns(monitoring),
        "Status": [f"{d}: {r}" for d, r in zip(monitoring["forecast_direction"],
                                                monitoring["forecast_rag"])],
    })
    chart_data = monitoring.assign(**{"Budget (£m)": monitoring["annual_budget"] / 1e6,
                                      "Forecast outturn (£m)": monitoring["forecast_outturn"] / 1e6})
    return {
        "budget_table": monitoring[["service", "annual_budget", "forecast_outturn",
                                    "forecast_variance", "forecast_rag"]],
        "budget_display": display,
        "budget_sentence": sentence,
        "budget_caption": (f"Budget and forecast outturn by service as at {as_at}"
                           + (f" ({synthetic})." if synthetic else ".")),
        "budget_note": money.describe_variance_rule(),
        "budget_figure": charts.plot_grouped_bars(
            chart_data, category="service", series=["Budget (£m)", "Forecast outturn (£m)"],
            title=f"Budget and forecast outturn by service, {as_at}", ylabel="£ million"),
    }
