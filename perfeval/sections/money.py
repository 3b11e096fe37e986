"""Report sections of the value-for-money and programme-evaluation notebooks.

Each report has one ``prepare_*`` function that computes what several sections share (the
comparison set and the fit, or the programme's funding, outcomes and survey) into a frozen
dataclass, and one function per report section returning a
:class:`~perfeval.present.section.Section` that offers the section's key figures::

    report = money.prepare_value_for_money(data, params)
    s = money.performance_against_spend(report)
    s.record("vfm_table", "vfm_slope_points_per_pound", "vfm_r_squared", "vfm_councils")
    display(s)

Every number in the sections' text is computed here from the data; the sentence builders
(``describe_*``) and display tables (``*_display``) are small pure functions.

Value for money (``notebooks/value_for_money.ipynb``)
    Each council's average performance score (mean polarity-aligned percentile rank over a set of
    indicators, :func:`perfeval.stats.indicators.average_performance_score`) against its net current
    expenditure per head, with quadrants, a fitted line and residuals
    (:func:`perfeval.stats.budget.value_for_money`); and spend per head in real terms
    (:func:`perfeval.stats.budget.compute_real_terms`).

Programme evaluation (``notebooks/programme_evaluation.ipynb``)
    Spend against allocation by strand (:func:`perfeval.stats.evaluation.summarise_funding`),
    difference-in-differences on indicators (:func:`perfeval.stats.evaluation.estimate_did`), a
    paired participant survey (:func:`perfeval.stats.evaluation.compare_paired_survey`) and an
    evaluation framework whose rules come from the parameter file (:func:`framework_items`,
    :func:`perfeval.stats.evaluation.evaluate_framework`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.core.formatting import format_number
from perfeval.core.periods import financial_year_label, parse_period, period_sort_key
from perfeval.data import notes
from perfeval.data.loader import Dataset, authority_names, council_name
from perfeval.present import charts, narrative
from perfeval.present.charts_money import plot_real_terms
from perfeval.present.html import parameters_table
from perfeval.present.section import Section
from perfeval.sections.common import opening_section
from perfeval.stats import budget as money
from perfeval.stats import evaluation
from perfeval.stats import indicators as engine
from perfeval.stats.budget import NET_SPEND
from perfeval.stats.scorecard import MIN_COMPARATORS, group_members

#: Answers at or above this point of a 1-5 scale count as positive ("agree", "confident").
POSITIVE_SCALE_MIN = 4
SYNTHETIC_NOTE = (
    "SYNTHETIC: the programme, its spend, participants and participant survey are "
    "generated sample data for demonstration, not a real programme; the outcome "
    "indicators are real published figures, so the estimated 'effect' is "
    "illustrative only."
)


def deflator_source(data: Dataset) -> str:
    """Where the GDP deflators come from, for a note or caption: their ``source`` and, when the
    data folder has none, that they are perfeval's national reference copy."""
    if data.deflators.empty:
        return "none (no deflators.csv in the data folder or perfeval's reference data)"
    source = notes.table_source(data, "deflators")
    if notes.table_origin(data, "deflators") == notes.REFERENCE:
        return (
            f"{source} (perfeval's national reference data, as {notes.folder_words(data)} "
            "has no deflators.csv)"
        )
    return source


def spend_sources(data: Dataset) -> str:
    """Sentence: where spend, population and the real-terms deflators come from."""
    return (
        f"Spend: {notes.table_source(data, 'net_expenditure')}, net current expenditure, "
        f"£000, cash; population: {notes.table_source(data, 'population')}; real terms: GDP "
        f"deflators from {deflator_source(data)}."
    )


def vfm_data_note(data: Dataset, indicators: Sequence[str]) -> str:
    """Data-honesty note: which indicators of the score are real and which are synthetic, and
    where spend, population and deflators come from (all from the tables loaded)."""
    register = data.indicators.assign(synthetic=notes.synthetic_flags(data.indicators)).set_index(
        "code"
    )
    synthetic = [
        c for c in indicators if c in register.index and bool(register.loc[c, "synthetic"])
    ]
    kind = "SYNTHETIC sample data" if notes.is_sample_data(data) else "SYNTHETIC"
    if synthetic:
        return (
            f"Data honesty: indicator(s) {', '.join(synthetic)} are {kind} (generated, not "
            f"real performance), so the scores are illustrative. " + spend_sources(data)
        )
    known = [c for c in indicators if c in register.index]
    return (
        f"Data: real published figures only (indicators {', '.join(indicators)}: "
        f"{'; '.join(sorted(set(register.loc[known, 'source'])))}). " + spend_sources(data)
    )


DID_NOTE = evaluation.DID_METHOD + (
    " Standard errors are clustered by council; the interval and p-value assume parallel trends."
)


def programme_subtitle(data: Dataset, programme: str, council: str, start: str, year: str) -> str:
    """Subtitle: programme, councils taking part and compared, period covered."""
    treated, comparison = programme_councils(data, programme)
    names = authority_names(data)
    return (
        f"Programme '{programme}', starting {start}: {len(treated)} participating councils "
        f"({', '.join(str(names.get(c, c)) for c in treated)}) compared with "
        f"{len(comparison)} comparison councils; outcome data to {year}. Home council: "
        f"{names.get(council, council)} ({council})."
    )


# ============================================================================ value for money
def comparison_set(data: Dataset, council: str, comparison: str) -> tuple[list[str], str]:
    """The councils compared with the home council, and a sentence saying how they were chosen.

    Parameters
    ----------
    data : Dataset
    council : str
        Home council code.
    comparison : str
        ``"type"``: every current council of the same type as the home council (authorities.csv
        ``type``; ``current`` = true when that column is present). Otherwise the name of a group
        in comparator_groups.csv.

    Returns
    -------
    (list of str, str)
        Member codes (the home council included) and the description.
    """
    authorities = data.authorities.set_index("code")
    if council not in authorities.index:
        raise AnalysisError(f"council {council!r} is not in authorities.csv")
    if comparison != "type":
        members = group_members(data, comparison)
        return sorted(set(members) | {council}), f"comparator group '{comparison}'"
    kind = authorities.loc[council, "type"]
    same = authorities["type"] == kind
    if "current" in authorities.columns:
        same &= authorities["current"].fillna(False).astype(bool)
    lookup = (
        "perfeval's national authority lookup"
        if notes.table_origin(data, "authorities") == notes.REFERENCE
        else "authorities.csv"
    )
    return sorted(authorities.index[same]), f"all current {kind} councils in {lookup}"


def performance_scores(
    data: Dataset, members: Sequence[str], indicators: Sequence[str], year: str
) -> pd.DataFrame:
    """Average performance score of each council scored on every indicator of the set.

    Percentile ranks are computed among ``members`` with a value, per indicator, polarity aligned
    (100 = best; :func:`perfeval.stats.indicators.benchmark`); a council's score is their mean
    (:func:`perfeval.stats.indicators.average_performance_score`). Neutral indicators carry no
    rank and are refused, and only councils with a value for every indicator keep a score, so
    every score averages the same indicators.

    Returns
    -------
    DataFrame
        authority, n_indicators, score; one row per council scored.

    Raises
    ------
    ParameterError
        If an indicator is neutral or unknown.
    AnalysisError
        If fewer than three councils have a value for every indicator.
    """
    scores = scored_councils(data, members, indicators, year)
    if len(scores) < MIN_COMPARATORS:
        raise AnalysisError(
            f"only {len(scores)} councils have a {year} value for every indicator "
            f"{list(indicators)}; choose indicators or a year with more data"
        )
    return scores


def scored_councils(
    data: Dataset, members: Sequence[str], indicators: Sequence[str], year: str
) -> pd.DataFrame:
    """:func:`performance_scores` of however many councils have a value for every indicator
    (none, one or two included): the sections say so when too few are scored.

    Raises
    ------
    ParameterError
        If an indicator is neutral or unknown.
    """
    register = data.indicators.set_index("code")
    unknown = [c for c in indicators if c not in register.index]
    neutral = [
        c for c in indicators if c in register.index and register.loc[c, "polarity"] == "neutral"
    ]
    if unknown or neutral:
        raise ParameterError(
            [f"indicator {c!r} is not in indicators.csv" for c in unknown]
            + [
                f"indicator {c!r} is neutral (no better direction), so it cannot "
                f"be scored; leave it out"
                for c in neutral
            ]
        )
    values = data.indicator_values
    rows = values[
        values["indicator"].isin(indicators)
        & (values["period"] == year)
        & values["authority"].isin(members)
    ]
    bench = engine.benchmark(rows, data.indicators, group=list(members))
    scores = engine.average_performance_score(bench, period=year)
    scores = scores[scores["n_indicators"] == len(indicators)]
    return scores.rename(columns={"average_performance_score": "score"})[
        ["authority", "n_indicators", "score"]
    ].reset_index(drop=True)


def spend_per_head(
    data: Dataset,
    members: Sequence[str],
    years: Sequence[str] | None = None,
    service: str = NET_SPEND,
) -> pd.DataFrame:
    """Net current expenditure per head (£) of the members, for the given years (all if None)."""
    net = data.net_expenditure
    rows = net[
        (net["service"] == service)
        & net["authority"].isin(members)
        & net["net_current_expenditure"].notna()
    ]
    if years is not None:
        rows = rows[rows["period"].isin(years)]
    if rows.empty:
        raise AnalysisError(
            f"net_expenditure.csv has no {service!r} rows for these councils"
            + (f" in {list(years)}" if years is not None else "")
        )
    return money.compute_spend_per_head(rows, data.population).reset_index(drop=True)


def spend_in_year(data: Dataset, members: Sequence[str], year: str) -> pd.DataFrame:
    """:func:`spend_per_head` of the members in ``year``; an empty frame when none has one."""
    try:
        return spend_per_head(data, members, [year])
    except AnalysisError:
        return pd.DataFrame(columns=["authority", "spend_per_head"])


def councils_with_values(
    data: Dataset, members: Sequence[str], indicators: Sequence[str], year: str
) -> set[str]:
    """The members with a ``year`` value (not a symbol) for every one of the indicators."""
    values = data.indicator_values
    rows = values[
        values["indicator"].isin(indicators)
        & (values["period"] == year)
        & values["authority"].isin(members)
        & values["value"].notna()
    ]
    counts = rows.groupby("authority")["indicator"].nunique()
    return set(counts.index[counts == len(set(indicators))])


def describe_too_few(
    data: Dataset,
    *,
    council: str,
    members: Sequence[str],
    year: str,
    indicators: Sequence[str],
    spend: pd.DataFrame | None = None,
) -> str:
    """Why a value-for-money section has nothing to show ("" when it has).

    The home council needs a ``year`` value for every indicator and, when ``spend`` is given, a
    net spend per head; and at least :data:`~perfeval.stats.scorecard.MIN_COMPARATORS` members need
    the same, since ranks (the score) and a fitted line from fewer mean nothing.
    """
    name, codes = council_name(data, council), ", ".join(indicators)
    valued = councils_with_values(data, members, indicators, year)
    if spend is not None:
        valued &= set(spend.dropna(subset=["spend_per_head"])["authority"])
    if council not in councils_with_values(data, [council], indicators, year):
        return (
            f"{name} has no {year} value for every indicator of the score ({codes}), so it "
            "has no average performance score to show."
        )
    if spend is not None and council not in valued:
        return (
            f"{name} has no net spend per head for {year}, so its performance cannot be set "
            "against its spend."
        )
    if len(valued) < MIN_COMPARATORS:
        what = " and a net spend per head" if spend is not None else ""
        return (
            f"Fewer than {MIN_COMPARATORS} councils of the comparison set have a {year} value "
            f"for every indicator ({codes}){what} ({len(valued)} "
            f"{'does' if len(valued) == 1 else 'do'}), so no score is ranked or compared."
        )
    return ""


def vfm_display(result: money.VfmResult, names: pd.Series) -> pd.DataFrame:
    """Display table: one row per council, ordered by residual (furthest above the line first)."""
    table = result.table.sort_values("residual", ascending=False, kind="mergesort")
    return pd.DataFrame(
        {
            "Council": [
                f"{names.get(a, a)} (this council)" if h else names.get(a, a)
                for a, h in zip(table["authority"], table["is_home"])
            ],
            "Average performance score": [format_number(v, 1) for v in table["score"]],
            "Net spend per head (£)": [format_number(v, 0, "£") for v in table["spend_per_head"]],
            "Score predicted from spend": [format_number(v, 1) for v in table["fitted"]],
            "Above (+) or below (-) prediction": [f"{v:+.1f}" for v in table["residual"]],
            "Within the range expected": np.where(table["within_prediction_interval"], "Yes", "No"),
            "Quadrant": table["quadrant"].to_numpy(),
        }
    )


def describe_vfm(result: money.VfmResult, council_name: str, year: str) -> str:
    """Sentence: the home council's quadrant and residual, and the strength of the association."""
    row = result.table.loc[result.table["is_home"]].iloc[0]
    rank = int((result.table["residual"] > row["residual"]).sum()) + 1
    strength = (
        "no statistically significant association"
        if result.slope_p_value >= 0.05
        else "a statistically significant association"
    )
    return (
        f"In {year}, {council_name} had an average performance score of "
        f"{row['score']:.1f} and net spend of {format_number(row['spend_per_head'], 0, '£')} "
        f"per head ({row['quadrant'].lower()} than the medians of {result.n} councils); its "
        f"{row['finding']}, {narrative.ordinal(rank)} of {result.n} on this measure. Across "
        f"the councils there is {strength} between spend and score (slope "
        f"{result.slope * 100:+.2f} points per £100 per head, "
        f"{evaluation.format_p_value(result.slope_p_value)}, R² {result.r_squared:.2f})."
    )


# ----------------------------------------------------------------------------- the report
@dataclass(frozen=True)
class VfmReport:
    """What the value-for-money sections share: the data, the run's parameters, the comparison
    set and the fit of score on spend (``result`` None, and ``why`` saying why, when too few
    councils have a score and a spend per head)."""

    data: Dataset
    params: Mapping[str, Any]
    council: str
    year: str
    indicators: tuple[str, ...]
    level: float
    base_year: str
    members: tuple[str, ...]
    how: str
    names: pd.Series
    result: money.VfmResult | None
    why: str


def prepare_value_for_money(data: Dataset, params: Mapping[str, Any]) -> VfmReport:
    """The comparison set and the fit of score on spend, computed once for every section.

    Parameters
    ----------
    data : Dataset
    params : mapping
        The validated parameters: ``council``, ``year``, ``comparison``, ``vfm_indicators``,
        ``price_base_year``, ``confidence_level``.

    Returns
    -------
    VfmReport

    Raises
    ------
    AnalysisError
        If the council is not in authorities.csv (see :func:`comparison_set`).
    """
    council, year = params["council"], params["year"]
    indicators = tuple(params["vfm_indicators"])
    level = float(params["confidence_level"])
    members, how = comparison_set(data, council, params["comparison"])
    spend = spend_in_year(data, members, year)
    why = describe_too_few(
        data, council=council, members=members, year=year, indicators=indicators, spend=spend
    )
    result = None
    if not why:
        scores = scored_councils(data, members, indicators, year)
        result = money.value_for_money(
            scores[["authority", "score"]],
            spend[["authority", "spend_per_head"]],
            home=council,
            level=level,
        )
    return VfmReport(
        data=data,
        params=params,
        council=council,
        year=year,
        indicators=indicators,
        level=level,
        base_year=params["price_base_year"],
        members=tuple(members),
        how=how,
        names=authority_names(data),
        result=result,
        why=why,
    )


def vfm_opening(report: VfmReport) -> Section:
    """The data note: which indicators of the score are real or synthetic, and where spend,
    population and deflators come from (:func:`vfm_data_note`)."""
    return opening_section({"data_note": vfm_data_note(report.data, report.indicators)})


def parameters_section(params: Mapping[str, Any]) -> Section:
    """The table of the parameters this run used."""
    return Section().table(
        parameters_table(dict(params)), caption="Parameters of this run", row_header="Parameter"
    )


# ----------------------------------------------------------------------------- sections
def compared_councils(report: VfmReport) -> set[str]:
    """The members with a value for every indicator of the score and a net spend per head."""
    if report.result is not None:
        return set(report.result.table["authority"])
    spend = spend_in_year(report.data, report.members, report.year)
    return councils_with_values(report.data, report.members, report.indicators, report.year) & set(
        spend.dropna(subset=["spend_per_head"])["authority"]
    )


def describe_comparison_set(report: VfmReport) -> str:
    """Sentence: how the comparison set was chosen and how many of its councils are compared."""
    year, codes = report.year, ", ".join(report.indicators)
    if report.result is None:
        both = len(compared_councils(report))
        return (
            f"Comparison set: {report.how}: {len(report.members)} councils, of which "
            f"{both} {'has' if both == 1 else 'have'} a {year} value for every indicator "
            f"({codes}) and a net spend per head."
        )
    excluded = set(report.members) - set(report.result.table["authority"])
    return (
        f"Comparison set: {report.how}: {len(report.members)} councils, of which "
        f"{report.result.n} have a {year} value for every indicator ({codes}) and a net "
        f"spend per head; {len(excluded)} are left out for missing data."
    )


def vfm_record(report: VfmReport) -> pd.DataFrame:
    """The per-council table for the record: the fit's table with each council's name (empty
    with authority, score and spend_per_head columns when nothing was fitted)."""
    if report.result is None:
        return pd.DataFrame(columns=["authority", "score", "spend_per_head"])
    table = report.result.table
    return table.assign(name=table["authority"].map(report.names))


def performance_against_spend(report: VfmReport) -> Section:
    """Average performance score against net spend per head for the comparison set: the set,
    the home council's position and the association (:func:`describe_vfm`), the quadrant chart,
    the table by council and the caveats. Offers ``vfm_table``, ``vfm_slope_points_per_pound``,
    ``vfm_r_squared`` and ``vfm_councils``."""
    result, year = report.result, report.year
    section = Section().text(describe_comparison_set(report))
    n = len(compared_councils(report))
    section.offer(
        "vfm_table",
        vfm_record(report),
        f"Score, spend per head, quadrant and residual per council, {year}",
    )
    section.offer(
        "vfm_slope_points_per_pound",
        None if result is None else result.slope,
        "OLS slope of score on spend per head",
    )
    section.offer("vfm_r_squared", None if result is None else result.r_squared)
    section.offer("vfm_councils", n, "Councils with a score and a spend per head")
    if result is None:
        return section.text(report.why).bullets(list(money.VFM_CAVEATS), heading="Read with care")
    sentence = describe_vfm(result, str(report.names.get(report.council, report.council)), year)
    fig, ax = charts.new_figure(8, 6.5)
    charts.plot_value_for_money(
        result,
        title=f"Performance against spend per head, {year}",
        names=report.names.to_dict(),
        ax=ax,
        spend_label=f"Net current expenditure per head, {year} (£)",
    )
    return (
        section.text(sentence)
        .figure(
            fig,
            alt=(
                f"Scatter chart of {result.n} councils' average performance score "
                f"against net spend per head, {year}, with dashed median lines "
                f"making four quadrants and a fitted line with its "
                f"{report.level:.0%} confidence band. " + sentence
            ),
            caption=(
                f"Average performance score ({', '.join(report.indicators)}, "
                f"percentile ranks among the comparison set, 100 = best) against "
                f"net current expenditure per head, {year}. Sources: "
                f"{score_sources(report.data, report.indicators)}."
            ),
        )
        .table(
            vfm_display(result, report.names),
            row_header="Council",
            caption=f"Average performance score and net spend per head by council, {year}",
        )
        .bullets(list(money.VFM_CAVEATS), heading="Read with care")
    )


def score_sources(data: Dataset, indicators: Sequence[str]) -> str:
    """The sources of a value-for-money chart: the score's indicators (the register's ``source``),
    spend and population, each once."""
    register = data.indicators.set_index("code")
    named = [str(register.loc[c, "source"]) for c in indicators if c in register.index]
    named += [notes.table_source(data, "net_expenditure"), notes.table_source(data, "population")]
    return "; ".join(s for s in dict.fromkeys(named) if s.strip())


def score_components_table(
    data: Dataset, scored: pd.DataFrame, council: str, indicators: Sequence[str], year: str
) -> pd.DataFrame:
    """The home council's value, rank and percentile rank on each indicator of the score, ranked
    among the ``scored`` councils (those with a value for every indicator).

    Returns
    -------
    DataFrame
        indicator, label, value, rank, n_ranked, percentile_rank; by indicator code.
    """
    values = data.indicator_values
    rows = values[
        values["indicator"].isin(indicators)
        & (values["period"] == year)
        & values["authority"].isin(scored["authority"])
    ]
    bench = engine.benchmark(rows, data.indicators, group=list(scored["authority"]))
    register = data.indicators.set_index("code")
    home = bench[bench["authority"] == council].sort_values("indicator")
    return pd.DataFrame(
        {
            "indicator": home["indicator"].to_numpy(),
            "label": [f"{c}: {register.loc[c, 'title']}" for c in home["indicator"]],
            "value": home["value"].to_numpy(),
            "rank": home["rank"].astype(int).to_numpy(),
            "n_ranked": home["n_ranked"].astype(int).to_numpy(),
            "percentile_rank": home["percentile_rank"].to_numpy(),
        }
    )


def score_components_display(table: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    """Display table of :func:`score_components_table`, values in each indicator's unit."""
    register = register.set_index("code")
    return pd.DataFrame(
        {
            "Indicator": table["label"],
            "Value": [
                format_number(v, int(register.loc[c, "decimals"]), register.loc[c, "unit"])
                for c, v in zip(table["indicator"], table["value"])
            ],
            "Rank (1 = best)": [f"{r} of {n}" for r, n in zip(table["rank"], table["n_ranked"])],
            "Percentile rank": [format_number(v, 1) for v in table["percentile_rank"]],
        }
    )


def score_components(report: VfmReport) -> Section:
    """The home council's percentile rank on each indicator of the score, among scored councils.

    Ranks are among the councils that have a value for every indicator (the councils of
    :func:`performance_against_spend` before spend is asked for), so the score is the mean of
    the ranks shown. When the home council has no score, or fewer than three councils have one,
    the section is one sentence saying why (:func:`describe_too_few`). Offers
    ``home_score_components``.
    """
    data, council, year = report.data, report.council, report.year
    why = describe_too_few(
        data, council=council, members=report.members, year=year, indicators=report.indicators
    )
    description = f"Home council's percentile rank per indicator, {year}"
    if why:
        empty = pd.DataFrame(
            columns=["indicator", "label", "value", "rank", "n_ranked", "percentile_rank"]
        )
        return Section().text(why).offer("home_score_components", empty, description)
    scored = scored_councils(data, report.members, report.indicators, year)
    table = score_components_table(data, scored, council, report.indicators, year)
    score = float(scored.loc[scored["authority"] == council, "score"].iloc[0])
    name = council_name(data, council)
    sentence = (
        f"{name}'s average performance score in {year} is {score:.1f}: the mean of its "
        f"percentile ranks (100 = best) on {len(table)} "
        f"indicator{'' if len(table) == 1 else 's'} among the "
        f"{len(scored)} councils of the comparison set ({report.how}) with a value for "
        "each. " + narrative.describe_positions(table)
    )
    figure = charts.plot_percentile_positions(
        table, title=f"{name}: percentile rank on each indicator of the score, {year}"
    )
    return (
        Section()
        .text(sentence)
        .figure(
            figure,
            alt="Dot chart of the council's percentile rank on each indicator. " + sentence,
            caption=(
                f"Percentile rank among the comparison set, {year}, "
                f"polarity aligned (100 = best). "
                f"{engine.QUARTILE_METHOD}"
            ),
        )
        .table(
            score_components_display(table, data.indicators),
            row_header="Indicator",
            caption=f"{report.names.get(council, council)}: the indicators of the score, {year}",
        )
        .offer("home_score_components", table, description)
    )


def describe_residuals(result: money.VfmResult, names: pd.Series, council: str, year: str) -> str:
    """Sentence: the home council's residual against the others', and the councils outside the
    prediction interval."""
    table = result.table
    bars = pd.DataFrame(
        {
            "code": table["authority"],
            "name": table["authority"].map(names),
            "value": table["residual"],
        }
    )
    outside = table[~table["within_prediction_interval"]]
    return (
        narrative.describe_comparison(
            "Performance above (+) or below (-) what spend per head would predict",
            "",
            year,
            bars,
            council,
            decimals=1,
            higher_is="furthest above",
        )
        + f" {len(outside)} of {result.n} "
        f"councils lie outside the {result.level:.0%} prediction interval"
        + (
            f" ({', '.join(str(names.get(a, a)) for a in outside['authority'])})."
            if len(outside)
            else "."
        )
    )


def residual_display(result: money.VfmResult, names: pd.Series) -> pd.DataFrame:
    """Display table of residuals with prediction intervals, furthest above first."""
    table = result.table
    return pd.DataFrame(
        {
            "Council": table["authority"].map(names),
            "Residual (score points)": [f"{v:+.1f}" for v in table["residual"]],
            f"{result.level:.0%} prediction interval for the score": [
                f"{a:.1f} to {b:.1f}"
                for a, b in zip(table["prediction_lower"], table["prediction_upper"])
            ],
            "Finding": table["finding"],
        }
    ).iloc[np.argsort(-table["residual"].to_numpy(), kind="stable")]


def residuals(report: VfmReport) -> Section:
    """Bars of each council's residual (score minus the score its spend predicts), and their
    table; one sentence when no line was fitted. Offers ``home_residual``."""
    result, council, year = report.result, report.council, report.year
    description = f"Home council's score minus the score predicted from its spend, {year}"
    if result is None:
        return (
            Section()
            .text(
                "With no line fitted to score and spend (see above), no council "
                "has a residual to show."
            )
            .offer("home_residual", None, description)
        )
    table = result.table
    bars = pd.DataFrame(
        {
            "code": table["authority"],
            "name": table["authority"].map(report.names),
            "value": table["residual"],
        }
    )
    sentence = describe_residuals(result, report.names, council, year)
    figure = charts.plot_comparator_bars(
        bars,
        home=council,
        title=f"Performance above or below what spend predicts, {year}",
        value_label="Residual (score points)",
    )
    home = float(table.loc[table["is_home"], "residual"].iloc[0])
    return (
        Section()
        .text(sentence)
        .figure(
            figure,
            alt="Bar chart of each council's residual, sorted. " + sentence,
            caption=(
                "Residual = average performance score minus the score the fitted "
                "line predicts from net spend per head. The dashed line is the "
                "median."
            ),
        )
        .table(
            residual_display(result, report.names),
            row_header="Council",
            caption=f"Residual of each council, {year} (furthest above first)",
        )
        .offer("home_residual", home, description)
    )


# ----------------------------------------------------------------------------- real terms
def real_terms_trend(
    data: Dataset, *, council: str, members: Sequence[str], base_year: str
) -> pd.DataFrame:
    """Home council's and comparison median's net spend per head by year, nominal and real.

    ``real = nominal x deflator[base_year] / deflator[year]``
    (:func:`perfeval.stats.budget.compute_real_terms`); the median is over the members with a value
    that year.

    Returns
    -------
    DataFrame
        period, home_nominal, home_real, median_nominal, median_real (missing in a year with
        fewer than :data:`~perfeval.stats.scorecard.MIN_COMPARATORS` councils), councils,
        population_years (the population estimates' years used), price_base.
    """
    spend = spend_per_head(data, members)
    real = money.compute_real_terms(
        spend, data.deflators, base_year=base_year, columns=["spend_per_head"]
    )
    home = real[real["authority"] == council].set_index("period")
    if home.empty:
        raise AnalysisError(f"council {council!r} has no {NET_SPEND!r} rows in net_expenditure.csv")
    grouped = real.groupby("period")
    councils = grouped["authority"].nunique()
    enough = councils >= MIN_COMPARATORS  # no median of one or two councils
    out = pd.DataFrame(
        {
            "home_nominal": home["spend_per_head"],
            "home_real": home["spend_per_head_real"],
            "median_nominal": grouped["spend_per_head"].median().where(enough),
            "median_real": grouped["spend_per_head_real"].median().where(enough),
            "councils": councils,
            "population_years": grouped["population_year"].agg(
                lambda years: ", ".join(sorted(set(map(str, years.dropna()))))
            ),
        }
    )
    order = sorted(out.index, key=period_sort_key)
    out = out.reindex(order).rename_axis("period").reset_index()
    out["price_base"] = f"{parse_period(base_year).label} prices"
    return out


def describe_real_terms(trend: pd.DataFrame, council_name: str, base_year: str) -> str:
    """Sentence: first and last year's real spend per head, home and median, and missing years."""
    first, last = trend.iloc[0], trend.iloc[-1]
    change = 100 * (last["home_real"] / first["home_real"] - 1)
    fy = [parse_period(p).fy for p in trend["period"]]
    gaps = [financial_year_label(y) for y in range(fy[0], fy[-1]) if y not in fy]
    text = (
        f"In {base_year} prices, {council_name}'s net spend per head went from "
        f"{format_number(first['home_real'], 0, '£')} in {first['period']} to "
        f"{format_number(last['home_real'], 0, '£')} in {last['period']} ({change:+.1f}%)"
    )
    if pd.notna(first["median_real"]) and pd.notna(last["median_real"]):
        median_change = 100 * (last["median_real"] / first["median_real"] - 1)
        text += (
            f"; the comparison median went from "
            f"{format_number(first['median_real'], 0, '£')} to "
            f"{format_number(last['median_real'], 0, '£')} ({median_change:+.1f}%)."
        )
    else:
        text += (
            f". No comparison median is quoted for {first['period']} to {last['period']}: "
            f"a median needs at least {MIN_COMPARATORS} councils with figures in both years."
        )
    if gaps:
        text += f" There are no net expenditure figures for {', '.join(gaps)}."
    return text


def real_terms_display(trend: pd.DataFrame, name: str, base_year: str) -> pd.DataFrame:
    """Display table of :func:`real_terms_trend`: cash and real spend per head, home and median."""

    def pounds(values: pd.Series) -> list[str]:
        return [format_number(v, 0, "£") for v in values]

    return pd.DataFrame(
        {
            "Year": trend["period"],
            f"{name}, cash (£ per head)": pounds(trend["home_nominal"]),
            f"{name}, {base_year} prices": pounds(trend["home_real"]),
            "Comparison median, cash": pounds(trend["median_nominal"]),
            f"Comparison median, {base_year} prices": pounds(trend["median_real"]),
            "Councils with data": trend["councils"].astype(int),
        }
    )


def real_terms_caption(
    data: Dataset, trend: pd.DataFrame, *, name: str, how: str, base_year: str
) -> str:
    """Caption of the real-terms chart: what is drawn, the population years used, the sources."""
    years = sorted(
        set(", ".join(trend["population_years"]).split(", ")) - {""}, key=period_sort_key
    )
    return (
        f"Net current expenditure per head in {base_year} prices, {name} and the "
        f"median of {how}. "
        + (
            f"Population: the {years[0]} estimate for every year. "
            if len(years) == 1
            else f"Population: each year's nearest estimate ({', '.join(years)}). "
        )
        + f"Sources: {notes.table_source(data, 'net_expenditure')}; "
        f"{notes.table_source(data, 'population')}; deflators: {deflator_source(data)}."
    )


def real_terms_note(deflators: pd.DataFrame) -> str:
    """Note under the real-terms table: the formula and the deflators' method."""
    return (
        "Real terms: cash spend x deflator(base year) / deflator(year), GDP deflator "
        "at market prices (the HM Treasury measure of general inflation). "
        + (
            f"Financial-year deflators: {deflators['method'].iloc[0]}."
            if "method" in deflators and len(deflators)
            else ""
        )
    )


def real_terms(report: VfmReport) -> Section:
    """Spend per head in real terms over the years with net expenditure: sentence, chart, table.

    The deflators are the data folder's, or perfeval's national reference copy when it has none
    (the caption and note say which). With no deflators at all the section is one sentence
    saying so. Offers ``real_terms_spend_per_head``.
    """
    data, base_year = report.data, report.base_year
    description = f"Net spend per head, cash and {base_year} prices"
    if data.deflators.empty:
        return (
            Section()
            .text(
                f"No GDP deflators are in {notes.folder_words(data)} or "
                "perfeval's national reference data, so spend per head is not "
                "shown in real terms."
            )
            .offer("real_terms_spend_per_head", pd.DataFrame(), description)
        )
    trend = real_terms_trend(
        data, council=report.council, members=report.members, base_year=base_year
    )
    name = council_name(data, report.council)
    sentence = describe_real_terms(trend, name, base_year)
    return (
        Section()
        .text(sentence)
        .figure(
            plot_real_terms(trend, council_name=name, base_year=base_year),
            alt="Line chart of net spend per head in real terms by year. " + sentence,
            caption=real_terms_caption(data, trend, name=name, how=report.how, base_year=base_year),
        )
        .table(
            real_terms_display(trend, name, base_year),
            row_header="Year",
            caption=f"Net current expenditure per head, cash and {base_year} prices",
            note=real_terms_note(data.deflators),
        )
        .offer("real_terms_spend_per_head", trend.drop(columns="population_years"), description)
    )


# ====================================================================== programme evaluation
def programme_councils(data: Dataset, programme: str) -> tuple[list[str], list[str]]:
    """Codes of the participating and comparison councils of a programme."""
    members = data.programme_members[data.programme_members["programme"] == programme]
    if members.empty:
        raise AnalysisError(f"programme {programme!r} has no rows in programme_members.csv")
    treated = sorted(members.loc[members["role"] == "participating", "authority"])
    comparison = sorted(members.loc[members["role"] == "comparison", "authority"])
    return treated, comparison


def is_synthetic(frame: pd.DataFrame) -> bool:
    """True when any row of a table is labelled synthetic."""
    return "synthetic" in frame and bool(frame["synthetic"].fillna(False).astype(bool).any())


@dataclass(frozen=True)
class Outcomes:
    """Difference-in-differences results: one table row per indicator, the framework's evidence
    (``did_<code>``) and the caveats of the estimates and pre-trend checks, each once."""

    table: pd.DataFrame
    evidence: dict[str, Any]
    caveats: tuple[str, ...]


@dataclass(frozen=True)
class ParticipantComparison:
    """The paired participant survey: per-question tests with the positive shares before and
    after (``table``), the framework's evidence (``survey_<question>``), the number of pairs and
    whether the survey is synthetic."""

    table: pd.DataFrame
    evidence: dict[str, Any]
    pairs: int
    synthetic: bool


@dataclass(frozen=True)
class ProgrammeReport:
    """What the programme-evaluation sections share: the data, the run's parameters, and the
    funding summary, outcome estimates and survey comparison that the framework judges."""

    data: Dataset
    params: Mapping[str, Any]
    programme: str
    start: str
    year: str
    level: float
    funding: pd.DataFrame
    funding_synthetic: bool
    outcomes: Outcomes
    survey: ParticipantComparison


def prepare_programme(data: Dataset, params: Mapping[str, Any]) -> ProgrammeReport:
    """The funding summary, the difference-in-differences and the survey comparison, once.

    Parameters
    ----------
    data : Dataset
    params : mapping
        The validated parameters: ``programme``, ``programme_start``, ``year``,
        ``did_indicators``, ``scale_questions``, ``binary_questions``, ``confidence_level``.

    Returns
    -------
    ProgrammeReport

    Raises
    ------
    AnalysisError
        If the programme has no strands, members or survey rows, or a survey question is missing
        or out of range.
    """
    programme, start, year = params["programme"], params["programme_start"], params["year"]
    level = float(params["confidence_level"])
    funding, synthetic = summarise_programme_funding(data, programme)
    return ProgrammeReport(
        data=data,
        params=params,
        programme=programme,
        start=start,
        year=year,
        level=level,
        funding=funding,
        funding_synthetic=synthetic,
        outcomes=estimate_outcomes(
            data,
            programme=programme,
            indicators=params["did_indicators"],
            start=start,
            year=year,
            level=level,
        ),
        survey=compare_participants(
            data,
            programme=programme,
            scale_questions=params["scale_questions"],
            binary_questions=params["binary_questions"],
            level=level,
        ),
    )


def programme_opening(report: ProgrammeReport) -> Section:
    """The subtitle (programme, councils, period) and the note that the programme is synthetic."""
    params = report.params
    subtitle = programme_subtitle(
        report.data, report.programme, params["council"], report.start, report.year
    )
    return opening_section({"data_note": SYNTHETIC_NOTE}, subtitle=subtitle)


# ----------------------------------------------------------------------------- funding
def summarise_programme_funding(data: Dataset, programme: str) -> tuple[pd.DataFrame, bool]:
    """Allocation, spend, participants, sessions and unit costs by strand, with a total row
    (:func:`perfeval.stats.evaluation.summarise_funding`), and whether the strands are synthetic.

    Raises
    ------
    AnalysisError
        If the programme has no rows in programme_strands.csv.
    """
    strands = data.programme_strands[data.programme_strands["programme"] == programme]
    if strands.empty:
        raise AnalysisError(f"programme {programme!r} has no rows in programme_strands.csv")
    summary = evaluation.summarise_funding(
        strands[["strand", "allocation", "spend", "participants", "sessions"]]
    )
    return summary, is_synthetic(strands)


def describe_funding(summary: pd.DataFrame) -> str:
    """Sentence: spend against allocation, places, sessions, unit cost and largest underspend."""
    total = summary.iloc[-1]
    under = summary.iloc[:-1].sort_values("spend_minus_allocation").iloc[0]
    return (
        f"The programme spent {format_number(total['spend'], 0, '£')} of its "
        f"{format_number(total['allocation'], 0, '£')} allocation "
        f"({total['spend_pct_of_allocation']:.1f}%), on {int(total['participants'])} "
        f"participant places in {int(total['sessions'])} sessions: "
        f"{format_number(total['cost_per_participant'], 0, '£')} per participant place. "
        f"The largest underspend was {under['strand']} "
        f"({format_number(-under['spend_minus_allocation'], 0, '£')})."
    )


def funding_display(summary: pd.DataFrame) -> pd.DataFrame:
    """Display table of the funding summary, money in whole pounds."""

    def pounds(values: pd.Series) -> list[str]:
        return [format_number(v, 0, "£") for v in values]

    return pd.DataFrame(
        {
            "Strand": summary["strand"],
            "Allocation": pounds(summary["allocation"]),
            "Spend": pounds(summary["spend"]),
            "Spend minus allocation": pounds(summary["spend_minus_allocation"]),
            "Spend (% of allocation)": [
                format_number(v, 1, "%") for v in summary["spend_pct_of_allocation"]
            ],
            "Participant places": [format_number(v, 0) for v in summary["participants"]],
            "Sessions": [format_number(v, 0) for v in summary["sessions"]],
            "Cost per participant place": pounds(summary["cost_per_participant"]),
            "Note": summary["note"],
        }
    )


def funding(report: ProgrammeReport) -> Section:
    """What the money bought: sentence, allocation and spend by strand (chart and table).
    Offers ``funding_by_strand``, ``spend_pct_of_allocation`` and ``cost_per_participant``."""
    summary = report.funding
    total = summary.iloc[-1]
    sentence = describe_funding(summary)
    caption = f"Allocation and spend by strand, programme '{report.programme}'." + (
        " Synthetic sample data." if report.funding_synthetic else ""
    )
    chart_data = summary.iloc[:-1].rename(columns={"allocation": "Allocation", "spend": "Spend"})
    figure = charts.plot_grouped_bars(
        chart_data,
        category="strand",
        series=["Allocation", "Spend"],
        title="Spend against allocation by strand",
        ylabel="£",
    )
    return (
        Section()
        .text(sentence)
        .figure(
            figure,
            alt=(
                "Grouped bar chart of allocation (plain bars) and spend "
                "(hatched bars) for each strand. " + sentence
            ),
            caption=caption,
        )
        .table(funding_display(summary), caption=caption, row_header="Strand")
        .offer(
            "funding_by_strand", summary, "Allocation, spend, participants and unit costs by strand"
        )
        .offer("spend_pct_of_allocation", float(total["spend_pct_of_allocation"]))
        .offer("cost_per_participant", float(total["cost_per_participant"]))
    )


# ----------------------------------------------------------------------------- outcomes
def outcome_values(data: Dataset, indicator: str, year: str) -> pd.DataFrame:
    """Annual values of one indicator up to and including ``year``."""
    values = data.indicator_values
    rows = values[(values["indicator"] == indicator) & values["value"].notna()]
    rows = rows[
        [
            parse_period(p).kind == "year" and parse_period(p).fy <= parse_period(year).fy
            for p in rows["period"]
        ]
    ]
    return rows[["authority", "indicator", "period", "value"]]


def did_evidence(did: evaluation.DidResult, pre: evaluation.PreTrendResult) -> dict[str, Any]:
    """Evidence entries for the framework from a difference-in-differences and pre-trend check."""
    significant = math.isfinite(did.p_value) and did.p_value < 1 - did.level
    return {
        "estimate": did.estimate,
        "se": did.se,
        "ci_lower": did.ci_lower,
        "ci_upper": did.ci_upper,
        "p_value": did.p_value,
        "significant_increase": bool(significant and did.estimate > 0),
        "pre_trend_p_value": pre.p_value,
        "pre_trends_parallel": None if pre.differs is None else not pre.differs,
    }


def estimate_outcomes(
    data: Dataset,
    *,
    programme: str,
    indicators: Sequence[str],
    start: str,
    year: str,
    level: float = 0.95,
) -> Outcomes:
    """Difference-in-differences and a pre-trend check for each indicator
    (:func:`perfeval.stats.evaluation.estimate_did`, :func:`~perfeval.stats.evaluation.
    check_pre_trends`), participating against comparison councils, values up to ``year``."""
    treated, comparison = programme_councils(data, programme)
    register = data.indicators.set_index("code")
    rows, evidence, caveats = [], {}, []
    for code in indicators:
        values = outcome_values(data, code, year)
        did = evaluation.estimate_did(
            values, treated=treated, comparison=comparison, start=start, level=level
        )
        pre = evaluation.check_pre_trends(
            values, treated=treated, comparison=comparison, start=start, level=level
        )
        evidence[f"did_{code}"] = did_evidence(did, pre)
        rows.append(
            {
                "indicator": code,
                "title": register.loc[code, "title"],
                "unit": register.loc[code, "unit"],
                "estimate": did.estimate,
                "se": did.se,
                "ci_lower": did.ci_lower,
                "ci_upper": did.ci_upper,
                "p_value": did.p_value,
                "n_obs": did.n_obs,
                "n_treated": did.n_treated,
                "n_comparison": did.n_comparison,
                "pre_trend_p_value": pre.p_value,
                "finding": did.finding(code),
                "pre_trend_caveat": pre.caveat,
            }
        )
        caveats += [c for c in (*did.caveats, pre.caveat) if c not in caveats]
    return Outcomes(table=pd.DataFrame(rows), evidence=evidence, caveats=tuple(caveats))


def outcomes(report: ProgrammeReport) -> Section:
    """Did outcomes move: the findings, the parallel-trends chart of the first indicator, the
    difference-in-differences table and the caveats. Offers ``did_results``."""
    data, table = report.data, report.outcomes.table
    treated, comparison = programme_councils(data, report.programme)
    register = data.indicators.set_index("code")
    first, head, start = table["indicator"].iloc[0], table.iloc[0], report.start
    fig, ax = charts.new_figure(8, 5)
    charts.plot_parallel_trends(
        outcome_values(data, first, report.year),
        treated=treated,
        comparison=comparison,
        start=start,
        ax=ax,
        title=f"{first}: participating and comparison councils, before and after {start}",
        outcome_label=charts.axis_label(register.loc[first, "title"], register.loc[first, "unit"]),
    )
    alt = (
        f"Line chart of the mean {first} of {len(treated)} participating councils (solid "
        f"line, circles) and {len(comparison)} comparison councils (dashed line, squares) by "
        f"year, with the programme start {start} marked. "
        + head["finding"]
        + " "
        + head["pre_trend_caveat"]
    )
    return (
        Section()
        .text(" ".join(table["finding"]))
        .figure(
            fig,
            alt=alt,
            caption=(
                f"Mean {first} by year, participating and comparison "
                "councils (group means of real published values). "
                "The programme itself is synthetic."
            ),
        )
        .table(
            did_display(table, report.level),
            row_header="Indicator",
            note=DID_NOTE,
            caption=(
                "Difference-in-differences: participating minus comparison "
                f"councils, change after {start}"
            ),
        )
        .bullets(list(report.outcomes.caveats), heading="Read with care")
        .offer(
            "did_results", table, f"Difference-in-differences, start {start}, data to {report.year}"
        )
    )


def p_value_cells(p_values: Sequence[float]) -> list[str]:
    """Each p-value as a table shows it (``p = 0.031``, ``p < 0.001``); ``[x]`` when not
    computed."""
    return [evaluation.format_p_value(p) if math.isfinite(p) else "[x]" for p in p_values]


def did_display(table: pd.DataFrame, level: float) -> pd.DataFrame:
    """Display table of difference-in-differences results."""

    def num(v: float) -> str:
        return "[x]" if not math.isfinite(v) else f"{v:+.2f}"

    return pd.DataFrame(
        {
            "Indicator": [
                f"{c}: {t} ({u})"
                for c, t, u in zip(table["indicator"], table["title"], table["unit"])
            ],
            "Estimated effect": [num(v) for v in table["estimate"]],
            "Standard error": [num(v).lstrip("+") for v in table["se"]],
            f"{level:.0%} interval": [
                f"{num(a)} to {num(b)}" for a, b in zip(table["ci_lower"], table["ci_upper"])
            ],
            "p-value": p_value_cells(table["p_value"]),
            "Councils (participating / comparison)": [
                f"{a} / {b}" for a, b in zip(table["n_treated"], table["n_comparison"])
            ],
            "Pre-programme trends": table["pre_trend_caveat"],
        }
    )


def survey_pairs(
    data: Dataset, programme: str, questions: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Before and after waves of the participant survey, blanks as missing answers."""
    survey = data.programme_participant_survey
    rows = survey[survey["programme"] == programme]
    missing = [q for q in questions if q not in rows.columns]
    if rows.empty or missing:
        raise AnalysisError(
            f"programme_participant_survey.csv has no rows for {programme!r}"
            if rows.empty
            else f"survey question column(s) {missing} not found"
        )
    rows = rows.replace({q: {"": np.nan} for q in questions})
    return rows[rows["wave"] == "before"], rows[rows["wave"] == "after"]


def positive_share(answers: pd.Series) -> float:
    """Share of answers that are positive: "yes", or at least POSITIVE_SCALE_MIN on a scale."""
    answers = answers.dropna()
    if answers.empty:
        return float("nan")
    if pd.api.types.is_numeric_dtype(answers):
        return float((answers >= POSITIVE_SCALE_MIN).mean())
    return float((answers.astype(str).str.lower() == "yes").mean())


#: How the participant survey's questions are compared, for the survey caption.
PAIRED_NOTE = (
    "Scales: Wilcoxon signed-rank test. Yes/no questions: McNemar's test, and for the "
    "change in the share answering yes Newcombe's interval for paired proportions "
    "(Newcombe 1998, method 10), which stays within -100 to +100 points and keeps a "
    "width when few change their answer."
)


def paired_change_cells(results: pd.DataFrame) -> list[str]:
    """A yes/no question's change in points with its interval ("+28.0 (+4.9 to +46.6)"); blank
    for a scale question (no interval)."""
    return [
        "" if pd.isna(lo) else f"{100 * d:+.1f} ({100 * lo:+.1f} to {100 * hi:+.1f})"
        for d, lo, hi in zip(results["estimate"], results["ci_lower"], results["ci_upper"])
    ]


def compare_participants(
    data: Dataset,
    *,
    programme: str,
    scale_questions: Sequence[str],
    binary_questions: Sequence[str],
    level: float = 0.95,
) -> ParticipantComparison:
    """Paired before/after comparison: Wilcoxon for scales, McNemar for yes/no questions,
    significant at ``1 - level`` (the same level as the outcome estimates). A yes/no question's
    change in the share answering yes has Newcombe's paired interval at ``level`` (Newcombe
    1998, Stat Med 17:2635, method 10; :func:`perfeval.stats.evaluation.compare_paired_binary`).

    Raises
    ------
    AnalysisError
        If the programme has no survey rows, a question column is missing, or a scale answer is
        above 5.
    """
    questions = [*scale_questions, *binary_questions]
    before, after = survey_pairs(data, programme, questions)
    for question in scale_questions:
        bad = pd.concat([before[question], after[question]]).dropna()
        if (bad > 5).any():
            raise AnalysisError(
                f"survey question {question!r} has answers above 5; scale answers must be 1 to 5"
            )
    results = evaluation.compare_paired_survey(
        before,
        after,
        scale_questions=scale_questions,
        binary_questions=binary_questions,
        alpha=1 - level,
    )
    paired = before.merge(after, on="respondent_id", suffixes=("_before", "_after"))
    shares = pd.DataFrame(
        {
            "question": questions,
            "Before": [100 * positive_share(paired[f"{q}_before"]) for q in questions],
            "After": [100 * positive_share(paired[f"{q}_after"]) for q in questions],
        }
    )
    evidence = {
        f"survey_{r.question}": {
            "estimate": r.estimate,
            "ci_lower": r.ci_lower,
            "ci_upper": r.ci_upper,
            "p_value": r.p_value,
            "n": r.n,
            "significant_increase": bool(
                math.isfinite(r.p_value) and r.p_value < 1 - level and r.estimate > 0
            ),
        }
        for r in results.itertuples()
    }
    return ParticipantComparison(
        table=results.merge(shares, on="question"),
        evidence=evidence,
        pairs=len(paired),
        synthetic=is_synthetic(before),
    )


def survey_display(table: pd.DataFrame, level: float) -> pd.DataFrame:
    """Display table of :class:`ParticipantComparison` ``table``."""
    return pd.DataFrame(
        {
            "Question": table["question"],
            "Test": table["test"],
            "Positive before (%)": [format_number(v, 0) for v in table["Before"]],
            "Positive after (%)": [format_number(v, 0) for v in table["After"]],
            "Pairs": table["n"],
            f"Change in yes (points, {level:.0%} interval)": paired_change_cells(table),
            "p-value": p_value_cells(table["p_value"]),
            "Finding": table["finding"],
        }
    )


def survey_caption(survey: ParticipantComparison) -> str:
    """Caption of the survey chart and table: pairs, what counts as positive, the methods."""
    return (
        f"Participant survey, {survey.pairs} participants answering before and after. "
        f"Positive = {POSITIVE_SCALE_MIN} or 5 on a 1-5 scale, or yes. "
        + PAIRED_NOTE
        + (" Synthetic sample survey." if survey.synthetic else "")
    )


def participant_survey(report: ProgrammeReport) -> Section:
    """What participants said: the findings, shares positive before and after (chart), the
    tests (table). Offers ``participant_survey``."""
    survey = report.survey
    table = survey.table
    sentence = " ".join(table["finding"])
    caption = survey_caption(survey)
    figure = charts.plot_grouped_bars(
        table[["question", "Before", "After"]],
        category="question",
        series=["Before", "After"],
        title="Participants giving a positive answer, before and after",
        ylabel="Share positive (%)",
    )
    return (
        Section()
        .text(sentence)
        .figure(
            figure,
            caption=caption,
            alt=(
                f"Grouped bar chart of the share of {survey.pairs} paired participants "
                "giving a positive answer before (plain bars) and after (hatched bars) "
                "the programme, per question. " + sentence
            ),
        )
        .table(survey_display(table, report.level), caption=caption, row_header="Question")
        .offer("participant_survey", table, "Paired before/after tests per question")
    )


# ---------------------------------------------------------------------------- framework
_OPERATORS = tuple(evaluation.OPERATORS)


def _parse_value(text: str, op: str, where: str) -> Any:
    def number_or_word(part: str) -> Any:
        word = part.strip()
        if word.lower() in ("true", "false"):
            return word.lower() == "true"
        try:
            return float(word.replace(",", "")) if op != "between" else float(word)
        except ValueError:
            raise ParameterError(
                [f"{where}: threshold {word!r} is not a number or true/false"]
            ) from None

    if op == "between":
        parts = text.split(" and ")
        if len(parts) != 2:
            raise ParameterError([f"{where}: a 'between' rule needs 'low and high', got {text!r}"])
        return [number_or_word(p) for p in parts]
    return number_or_word(text)


def parse_framework(lines: Sequence[str], *, first: int = 1) -> list[dict[str, Any]]:
    """Turn legacy framework lines from a parameter file into :func:`evaluate_framework` items.

    Each line is ``question | evidence key | operator | threshold``, e.g.
    ``"Did the programme spend within its allocation? | funding_total.spend_pct_of_allocation |
    <= | 100"``. Operators: ``> >= < <= == != between`` (``between`` takes ``low and high``);
    a threshold is a number or ``true``/``false``. Every malformed line is reported at once,
    numbered from ``first``. Typed items (mappings) are read by :func:`framework_items`.

    Returns
    -------
    list of dict
        question, evidence, rule ({op, value}) and label (see :func:`describe_evidence_key`).

    Raises
    ------
    ParameterError
        Naming each malformed line.
    """
    items, problems = [], []
    for number, line in enumerate(lines, start=first):
        where = f"evaluation_framework line {number}"
        parts = [p.strip() for p in str(line).split("|")]
        if len(parts) != 4 or not all(parts):
            problems.append(
                f"{where}: expected 'question | evidence | operator | threshold', got {line!r}"
            )
            continue
        question, key, op, value = parts
        if op not in _OPERATORS:
            problems.append(f"{where}: operator {op!r} is not one of {list(_OPERATORS)}")
            continue
        try:
            items.append(
                {
                    "question": question,
                    "evidence": key,
                    "label": describe_evidence_key(key),
                    "rule": {"op": op, "value": _parse_value(value, op, where)},
                }
            )
        except ParameterError as err:
            problems += err.problems
    if problems:
        raise ParameterError(problems)
    return items


_FIELD_LABELS = {
    "spend_pct_of_allocation": "spend as % of allocation",
    "spend": "spend (£)",
    "allocation": "allocation (£)",
    "participants": "participant places",
    "sessions": "sessions",
    "cost_per_participant": "cost per participant place (£)",
    "cost_per_session": "cost per session (£)",
    "estimate": "estimate",
    "p_value": "p-value",
    "significant_increase": "significant increase",
    "pre_trend_p_value": "pre-programme trend test p-value",
    "pre_trends_parallel": "pre-programme trends parallel",
    "ci_lower": "lower end of interval",
    "ci_upper": "upper end of interval",
    "n": "pairs",
}


def describe_evidence_key(key: str) -> str:
    """Plain words for an evidence key, e.g. ``did_NI192.p_value`` -> "NI192 difference-in-
    differences: p-value"."""
    head, _, field = key.partition(".")
    if head == "funding_total":
        what = "Programme total"
    elif head.startswith("did_"):
        what = f"{head[4:]} difference-in-differences"
    elif head.startswith("survey_"):
        what = f"Participant survey, {head[7:].replace('_', ' ')}"
    else:
        what = head.replace("_", " ")
    return f"{what}: {_FIELD_LABELS.get(field, field.replace('_', ' '))}" if field else what


#: The keys of a typed framework item (a mapping in the parameter file).
FRAMEWORK_KEYS = ("question", "evidence", "operator", "threshold")


def _typed_threshold(value: Any, op: str, where: str) -> Any:
    """A typed item's threshold as :func:`parse_framework` gives it: numbers as floats,
    true/false as bools, text parsed like a line's threshold, ``between`` as [low, high]. Text
    that is not a number or true/false stays text for ``==`` and ``!=`` (the evidence is then
    compared with it as text); the other operators need a number."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and op != "between":
        return float(value)
    if isinstance(value, str):
        try:
            return _parse_value(value, op, where)
        except ParameterError as err:
            if op in ("==", "!="):
                return value.strip()
            raise ParameterError(
                [f"{problem}; text can only be compared with == or !=" for problem in err.problems]
            ) from None
    if (
        op == "between"
        and isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ):
        return [float(v) for v in value]
    wanted = "'low and high' or [low, high]" if op == "between" else "a number, true/false or text"
    raise ParameterError([f"{where}: threshold must be {wanted}, got {value!r}"])


def framework_item(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    """One typed framework item (question, evidence, operator, threshold) as an
    :func:`~perfeval.stats.evaluation.evaluate_framework` item, checked as
    :func:`parse_framework` checks a line.

    Raises
    ------
    ParameterError
        Listing every problem of the item (missing, empty or unknown keys, an unknown operator,
        a threshold that is not a number, true/false or 'low and high').
    """
    missing = [
        k
        for k in FRAMEWORK_KEYS
        if k not in item or item[k] is None or (isinstance(item[k], str) and not item[k].strip())
    ]
    unknown = sorted(str(k) for k in item if k not in FRAMEWORK_KEYS)
    problems = []
    if missing or unknown:
        problems.append(
            f"{where}: expected the keys {', '.join(FRAMEWORK_KEYS)}"
            + (f"; missing or empty: {', '.join(missing)}" if missing else "")
            + (f"; not allowed: {', '.join(unknown)}" if unknown else "")
            + f"; got {dict(item)!r}"
        )
    op = str(item.get("operator", "")).strip()
    if "operator" not in missing and op not in _OPERATORS:
        problems.append(f"{where}: operator {op!r} is not one of {list(_OPERATORS)}")
    if problems:
        raise ParameterError(problems)
    key = str(item["evidence"]).strip()
    return {
        "question": str(item["question"]).strip(),
        "evidence": key,
        "label": describe_evidence_key(key),
        "rule": {"op": op, "value": _typed_threshold(item["threshold"], op, where)},
    }


def framework_items(framework: Sequence[Any]) -> list[dict[str, Any]]:
    """The evaluation framework parameter as :func:`~perfeval.stats.evaluation.
    evaluate_framework` items.

    Each entry is either a typed mapping ``{question, evidence, operator, threshold}`` (the
    YAML form) or a legacy line ``"question | evidence | operator | threshold"``
    (:func:`parse_framework`, kept for old parameter files); the two may be mixed. Every
    problem of every entry is reported at once.

    Raises
    ------
    ParameterError
        Naming each malformed entry by its position.
    """
    items, problems = [], []
    for number, entry in enumerate(framework, start=1):
        try:
            if isinstance(entry, Mapping):
                items.append(framework_item(entry, f"evaluation_framework item {number}"))
            elif isinstance(entry, str):
                items.extend(parse_framework([entry], first=number))
            else:
                problems.append(
                    f"evaluation_framework item {number}: expected a mapping "
                    f"{{{', '.join(FRAMEWORK_KEYS)}}} or a line 'question | "
                    f"evidence | operator | threshold', got {entry!r}"
                )
        except ParameterError as err:
            problems += err.problems
    if problems:
        raise ParameterError(problems)
    return items


def programme_evidence(report: ProgrammeReport) -> dict[str, Any]:
    """All evidence the framework can use, by key (see :func:`describe_evidence_key`): the
    funding total, the difference-in-differences and the survey comparison."""
    total = report.funding.iloc[-1]
    return {
        "funding_total": {
            k: (float(total[k]) if isinstance(total[k], (int, float, np.number)) else total[k])
            for k in total.index
        },
        **report.outcomes.evidence,
        **report.survey.evidence,
    }


def framework_counts(result: pd.DataFrame) -> pd.Series:
    """How many questions are Met, Not met and Not assessed (absent judgements left out)."""
    return (
        result["judgement"]
        .value_counts()
        .reindex(["Met", "Not met", "Not assessed"])
        .dropna()
        .astype(int)
    )


def framework(report: ProgrammeReport) -> Section:
    """Answer each evaluation question of the ``evaluation_framework`` parameter
    (:func:`framework_items`) from the computed evidence (:func:`programme_evidence`):
    sentence, chart of judgements and table. Offers ``evaluation_framework``.

    Raises
    ------
    ParameterError
        If an item is malformed or names evidence that was not computed.
    """
    result = evaluation.evaluate_framework(
        framework_items(report.params["evaluation_framework"]), programme_evidence(report)
    )
    counts = framework_counts(result)
    sentence = narrative.describe_counts(counts, what="evaluation questions")
    figure = charts.plot_category_counts(
        counts,
        title="Evaluation questions by judgement",
        xlabel="Number of questions",
        colours={
            "Met": charts.PALETTE["turquoise"],
            "Not met": charts.PALETTE["dark_pink"],
            "Not assessed": charts.OTHER_COLOUR,
        },
    )
    display = result[["question", "evidence", "finding", "judgement"]].rename(
        columns={
            "question": "Question",
            "evidence": "Evidence",
            "finding": "Finding",
            "judgement": "Judgement",
        }
    )
    alt = (
        "Bar chart of the number of evaluation questions met, not met and not assessed. "
        + sentence
        + " "
        + " ".join(f"{q}: {j}." for q, j in zip(result["question"], result["judgement"]))
    )
    record = result.drop(columns=["value"]).assign(value=[str(v) for v in result["value"]])
    return (
        Section()
        .text(sentence)
        .figure(
            figure,
            alt=alt,
            caption=(
                "Evaluation framework: each question's rule "
                "(params/programme_evaluation.yaml) applied to the "
                "evidence computed above."
            ),
        )
        .table(
            display, caption="Evaluation questions, evidence and judgements", row_header="Question"
        )
        .offer(
            "evaluation_framework",
            record,
            "Each evaluation question's evidence, finding and judgement",
        )
    )
