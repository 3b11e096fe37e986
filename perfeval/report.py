"""Report sections that combine several domains: context, resident views, money.

Each function returns the pieces a notebook section shows (a table for the record, a display
table, a figure, a sentence, a caption), so the notebook stays a thin narrative and every number
in its text is computed here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from perfeval import budget as money
from perfeval import charts, indicators as engine, narrative
from perfeval.data import Dataset, authority_names, council_name
from perfeval.exceptions import AnalysisError
from perfeval.periods import parse_period, period_sort_key
from perfeval.scorecard import group_members
# The resident views section lives in perfeval.survey_report; re-exported for State of the Nation.
from perfeval.survey_report import resident_views  # noqa: F401
from perfeval.tables import format_number, parameters_table

REAL_OR_SYNTHETIC = {True: "Synthetic sample data (generated, not real performance)",
                     False: "Real published figures"}


def sources_table(data: Dataset) -> pd.DataFrame:
    """Indicators grouped by source, saying which are real and which are synthetic."""
    register = data.indicators
    synthetic = register["synthetic"].fillna(False).astype(bool)
    rows = (register.assign(kind=synthetic.map(REAL_OR_SYNTHETIC))
            .groupby(["kind", "source"], sort=True)["code"].agg(", ".join).reset_index())
    return pd.DataFrame({"Indicators": rows["code"], "Source": rows["source"],
                         "Kind": rows["kind"]})


def report_context(data: Dataset, params: dict[str, Any]) -> dict[str, Any]:
    """Title block, data-honesty note, comparator description, method notes and parameters."""
    council, group = params["council"], params["comparator_group"]
    name = council_name(data, council)
    members = group_members(data, group)
    groups = data.comparator_groups
    method = groups.loc[groups["group"] == group, "method"].iloc[0]
    others = [council_name(data, m) for m in members if m != council]
    synthetic = data.indicators["synthetic"].fillna(False).astype(bool)
    note = (f"Data honesty: {int((~synthetic).sum())} of {len(synthetic)} indicators are real "
            f"published figures (NI 192 recycling, Oflog adult social care); the other "
            f"{int(synthetic.sum())} indicators, all targets, the budget and the resident survey "
            "are SYNTHETIC sample data generated for demonstration, not the council's real "
            "performance." if synthetic.any() else
            "All indicator values are published figures; see the sources table.")
    return {
        "council_name": name,
        "subtitle": f"{name} ({council}), financial year {params['year']}.",
        "data_note": note,
        "group_sentence": (f"Comparator group '{group}': {len(others)} councils. {method}. "
                           f"Members: {', '.join(others)}."),
        "method_notes": [engine.RAG_METHOD, engine.DOT_METHOD, engine.QUARTILE_METHOD,
                         "Latest available: each indicator uses the council's latest annual "
                         f"value in or before {params['year']}; its period is shown beside it.",
                         "Headline shares count only indicators with a value for "
                         f"{params['year']} itself.",
                         f"Comparator group: {method}."],
        "sources": sources_table(data),
        "source_counts": synthetic.map(REAL_OR_SYNTHETIC).value_counts().sort_index(),
        "parameters": parameters_table(params),
    }


# --------------------------------------------------------------------------- money
def spend_per_head_comparison(data: Dataset, council: str, group: str,
                              service: str = money.NET_SPEND) -> tuple[pd.DataFrame, str]:
    """Net spend per head of each group member in the latest year with data, and that year.

    A council with no figure that year (e.g. one created after it) is left out of the comparison
    rather than stopping the report; the sentence then says it has no value.
    """
    net = data.net_expenditure
    members = group_members(data, group)
    rows = net[(net["service"] == service) & net["authority"].isin(members)]
    if rows.empty:
        raise AnalysisError(f"no net_expenditure rows for service {service!r} in group {group!r}")
    latest = max(rows["period"], key=period_sort_key)
    per_head = money.compute_spend_per_head(rows[rows["period"] == latest], data.population)
    has_value = council in set(per_head.dropna(subset=["spend_per_head"])["authority"])
    compared = money.compare_with_group(per_head, members, home=council if has_value else None)
    extra = per_head.set_index("authority")[["net_current_expenditure", "population"]]
    compared = compared.join(extra, on="authority")
    compared = compared.assign(name=compared["authority"].map(authority_names(data)))
    return compared, latest


def money_summary(data: Dataset, *, council: str, year: str, group: str) -> dict[str, Any]:
    """Net spend per head against comparators, and the year's budget against forecast outturn."""
    spend, spend_year = spend_per_head_comparison(data, council, group)
    bars = pd.DataFrame({"code": spend["authority"], "name": spend["name"],
                         "value": spend["spend_per_head"]})
    spend_sentence = narrative.describe_comparison(
        "Net current expenditure per head", "£", spend_year, bars, council, decimals=0,
        higher_is="highest")
    spend_display = pd.DataFrame({
        "Council": [f"{n} (this council)" if c == council else n
                    for c, n in zip(spend["authority"], spend["name"])],
        "Net current expenditure (£000)": [format_number(v, 0) for v in spend["net_current_expenditure"]],
        "Population": [format_number(v, 0) for v in spend["population"]],
        "Spend per head (£)": [format_number(v, 0, "£") for v in spend["spend_per_head"]],
    })
    as_at = f"{year} Q4"
    own = data.budget[data.budget["authority"] == council]
    in_year = [parse_period(p).fy == parse_period(year).fy for p in own["period"]]
    monitoring = (money.monitor_budget(own, as_at, budget_basis="annual") if any(in_year)
                  else pd.DataFrame())  # no budget rows for the year: the section says so
    return {
        "spend_table": spend[["authority", "spend_per_head", "rank", "difference_from_median"]],
        "spend_display": spend_display,
        "spend_sentence": spend_sentence,
        "spend_caption": (f"Net current expenditure per head, {spend_year} (latest year in the "
                          "Revenue Outturn data bundled; population mid-2020). Source: MHCLG "
                          "Revenue Outturn Summary (RS), ONS."),
        "spend_figure": charts.plot_comparator_bars(
            bars, home=council, title=f"Net current expenditure per head, {spend_year}",
            unit="£", value_label="Net current expenditure per head"),
        **budget_section(monitoring, as_at),
    }


def budget_display_columns(monitoring: pd.DataFrame) -> dict[str, list[str]]:
    """Budget, forecast outturn and variance (£000) and variance (%) as display text.

    Parameters
    ----------
    monitoring : DataFrame
        With ``annual_budget``, ``forecast_outturn``, ``forecast_variance`` (£) and
        ``forecast_variance_pct``, as :func:`perfeval.budget.monitor_budget` returns them.

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


def budget_section(monitoring: pd.DataFrame, as_at: str) -> dict[str, Any]:
    """Budget against forecast outturn by service at a quarter: table, chart and sentence."""
    if monitoring.empty:  # no chart to draw: figure None shows nothing (tables.figure_html)
        return {"budget_table": pd.DataFrame(), "budget_display": pd.DataFrame(),
                "budget_sentence": f"No budget monitoring data for {as_at}.",
                "budget_caption": f"Budget and forecast outturn by service as at {as_at}",
                "budget_note": "",
                "budget_figure": None}
    total_budget = float(monitoring["annual_budget"].sum())
    total_forecast = float(monitoring["forecast_outturn"].sum())
    variance = total_forecast - total_budget
    direction = "overspend" if variance > 0 else "underspend" if variance < 0 else "on budget"
    over = monitoring.sort_values("forecast_variance", ascending=False).iloc[0]
    sentence = (f"At {as_at} the forecast outturn is {format_number(total_forecast / 1e6, 2, '£')}m "
                f"against a budget of {format_number(total_budget / 1e6, 2, '£')}m, a forecast "
                f"{direction} of {format_number(abs(variance) / 1e6, 2, '£')}m "
                f"({abs(variance) / total_budget * 100:.1f}%). The largest variance is in "
                f"{over['service']} ({format_number(over['forecast_variance'] / 1e3, 0, '£')}k).")
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
        "budget_caption": f"Budget and forecast outturn by service as at {as_at} (synthetic sample data).",
        "budget_note": money.describe_variance_rule(),
        "budget_figure": charts.plot_grouped_bars(
            chart_data, category="service", series=["Budget (£m)", "Forecast outturn (£m)"],
            title=f"Budget and forecast outturn by service, {as_at}", ylabel="£ million"),
    }
