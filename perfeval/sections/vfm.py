"""Report sections of the value-for-money notebook (``notebooks/value_for_money.ipynb``).

Each council's average performance score (mean polarity-aligned percentile rank over a set of
indicators, :func:`perfeval.stats.indicators.average_performance_score`) against its total
service expenditure per head (:data:`perfeval.stats.budget.SPEND`), with quadrants, a fitted line
and residuals (:func:`perfeval.stats.budget.value_for_money`); and spend per head in real terms
(:func:`perfeval.stats.budget.compute_real_terms`).

:func:`prepare_value_for_money` computes what several sections share (the comparison set and the
fit) once into a frozen :class:`VfmReport`; each report section is one function returning a
:class:`~perfeval.present.section.Section` that offers the section's key figures::

    report = vfm.prepare_value_for_money(data, params)
    s = vfm.performance_against_spend(report)
    s.record("vfm_table", "vfm_slope_points_per_pound", "vfm_r_squared", "vfm_councils")
    display(s)

Every number in the sections' text is computed here from the data; the sentence builders
(``describe_*``) and display tables (``*_display``) are small pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.core.formatting import format_number, join_words
from perfeval.core.periods import financial_year_label, parse_period, period_sort_key
from perfeval.data import notes
from perfeval.data.loader import Dataset, authority_names, council_name
from perfeval.present import charts, narrative
from perfeval.present.charts_money import plot_real_terms
from perfeval.present.section import Section
from perfeval.sections.common import opening_section
from perfeval.stats import budget as money
from perfeval.stats import evaluation
from perfeval.stats import indicators as engine
from perfeval.stats.scorecard import MIN_COMPARATORS, group_members

__all__ = [
    "deflator_source",
    "spend_sources",
    "vfm_data_note",
    "comparison_set",
    "performance_scores",
    "scored_councils",
    "spend_per_head",
    "spend_in_year",
    "councils_with_values",
    "describe_too_few",
    "vfm_display",
    "describe_vfm",
    "VfmReport",
    "prepare_value_for_money",
    "vfm_opening",
    "compared_councils",
    "describe_comparison_set",
    "vfm_record",
    "performance_against_spend",
    "score_sources",
    "score_components_table",
    "score_components_display",
    "score_components",
    "describe_residuals",
    "residual_display",
    "residuals",
    "real_terms_trend",
    "describe_cash_only",
    "describe_real_terms",
    "real_terms_display",
    "real_terms_caption",
    "real_terms_note",
    "real_terms",
]


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
    """Sentence: where spend (and which line of it), population and the real-terms deflators
    come from; then, for a folder with no total service expenditure, that its spend is net
    current expenditure (:meth:`perfeval.stats.budget.SpendMeasure.fallback_note`)."""
    measure = money.choose_spend_measure(data.net_expenditure)
    text = (
        f"Spend: {notes.table_source(data, 'net_expenditure')}, {measure.words}, "
        f"£000, cash; population: {notes.table_source(data, 'population')}; real terms: GDP "
        f"deflators from {deflator_source(data)}."
    )
    return " ".join(part for part in (text, measure.fallback_note()) if part)


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


# --------------------------------------------------------------------- comparison and score
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
    service: str | None = None,
) -> pd.DataFrame:
    """Spend per head (£) of the members, for the given years (all if None), on the line
    ``service`` (by default the folder's measure,
    :func:`perfeval.stats.budget.choose_spend_measure`)."""
    net = data.net_expenditure
    service = service or money.choose_spend_measure(net).line
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
            + f"; add their {money.SPEND_LINE} figures (£000, one row per council and year) "
            f"to compare spend per head"
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
            "Within the range expected": [range_word(u) for u in table["unusual"]],
            "Quadrant": table["quadrant"].to_numpy(),
        }
    )


def range_word(unusual: object) -> str:
    """'Yes' (within the range the other councils would predict), 'No', or 'Not judged' (fewer
    than :data:`perfeval.stats.budget.MIN_STUDENTISED` councils)."""
    if unusual is pd.NA or unusual is None:
        return "Not judged"
    return "No" if unusual else "Yes"


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
    measure: money.SpendMeasure = money.SPEND


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
        measure=money.choose_spend_measure(data.net_expenditure),
    )


def vfm_opening(report: VfmReport) -> Section:
    """The data note: which indicators of the score are real or synthetic, and where spend,
    population and deflators come from (:func:`vfm_data_note`)."""
    return opening_section({"data_note": vfm_data_note(report.data, report.indicators)})


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
        spend_label=f"{report.measure.title} per head, {year} (£)",
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
                f"{report.measure.lower} per head, {year}. Sources: "
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


def describe_judgement(result: money.VfmResult, names: pd.Series) -> str:
    """Sentence: how many councils' residuals are unusual (externally studentised residual
    beyond Student's t at the report's level), naming them; or why none is judged."""
    table = result.table
    level = format_number(result.level * 100, 0)
    if table["unusual"].isna().all():
        return (
            f"With {result.n} councils no residual is judged: a studentised residual needs at "
            f"least {money.MIN_STUDENTISED} councils."
        )
    outside = table[table["unusual"].fillna(False).astype(bool)]
    critical = format_number(result.critical_t, 2)
    named = (
        f" ({join_words([str(names.get(a, a)) for a in outside['authority']])})"
        if len(outside)
        else ""
    )
    return (
        f"{len(outside)} of {result.n} councils {'is' if len(outside) == 1 else 'are'} "
        f"outside the range the other councils would predict{named}, judged by whether a "
        f"council's studentised residual is beyond ±{critical}, Student's t for {level} % "
        f"confidence with {result.n - 3} degrees of freedom."
    )


def describe_residuals(result: money.VfmResult, names: pd.Series, council: str, year: str) -> str:
    """Sentence: the home council's residual against the others', and the councils whose
    residual is unusual (:func:`describe_judgement`)."""
    table = result.table
    bars = pd.DataFrame(
        {
            "code": table["authority"],
            "name": table["authority"].map(names),
            "value": table["residual"],
        }
    )
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
        + " "
        + describe_judgement(result, names)
    )


def residual_display(result: money.VfmResult, names: pd.Series) -> pd.DataFrame:
    """Display table of residuals, studentised residuals and the range the other councils'
    line expects, furthest above first."""
    table = result.table
    level = format_number(result.level * 100, 0)
    return pd.DataFrame(
        {
            "Council": table["authority"].map(names),
            "Residual (score points)": [f"{v:+.1f}" for v in table["residual"]],
            "Studentised residual": [
                "not judged" if pd.isna(v) else f"{v:+.2f}" for v in table["studentised_residual"]
            ],
            f"Score expected from the other councils ({level} % range)": [
                "not judged" if pd.isna(a) else f"{format_number(a, 1)} to {format_number(b, 1)}"
                for a, b in zip(table["expected_lower"], table["expected_upper"])
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
            note=money.VFM_RESIDUAL_METHOD,
        )
        .offer("home_residual", home, description)
    )


# ----------------------------------------------------------------------------- real terms
def real_terms_trend(
    data: Dataset, *, council: str, members: Sequence[str], base_year: str
) -> pd.DataFrame:
    """Home council's and comparison median's spend per head by year, nominal and real.

    ``real = nominal x deflator[base_year] / deflator[year]``
    (:func:`perfeval.stats.budget.compute_real_terms`); the median is over the members with a value
    that year. A year with spend but no GDP deflator yet (the published series ends a year or so
    behind the Revenue Outturn) is kept in cash, its real figures missing and ``cash_only`` true,
    never dropped.

    Returns
    -------
    DataFrame
        period, home_nominal, home_real, median_nominal, median_real (missing in a year with
        fewer than :data:`~perfeval.stats.scorecard.MIN_COMPARATORS` councils), councils,
        population_years (the population estimates' years used), cash_only, price_base.
    """
    spend = spend_per_head(data, members)
    uncovered = money.years_without_deflator(spend["period"], data.deflators)
    cash_only = (
        spend["period"].map(lambda p: parse_period(str(p)).financial_year.label).isin(uncovered)
    )
    real = money.compute_real_terms(
        spend[~cash_only], data.deflators, base_year=base_year, columns=["spend_per_head"]
    )
    if cash_only.any():
        real = pd.concat([real, spend[cash_only].assign(spend_per_head_real=np.nan)])
    home = real[real["authority"] == council].set_index("period")
    if home.empty:
        line = money.choose_spend_measure(data.net_expenditure).line
        raise AnalysisError(
            f"council {council!r} has no {line!r} rows in net_expenditure.csv; add its "
            f"{line} figures (£000, per year) to compare its spend per head"
        )
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
    out["cash_only"] = out["period"].isin(uncovered)
    out["price_base"] = f"{parse_period(base_year).label} prices"
    return out


def describe_cash_only(trend: pd.DataFrame, council_name: str) -> str:
    """Sentence for the years of :func:`real_terms_trend` with spend but no GDP deflator: shown
    in cash only, with the home council's (and the median's) cash figure ("" when none is)."""
    rows = trend[trend["cash_only"]]
    if rows.empty:
        return ""
    years = join_words(list(rows["period"]))
    figures = "; ".join(
        f"{r['period']}: {council_name} {format_number(r['home_nominal'], 0, '£')} per head"
        + (
            f", comparison median {format_number(r['median_nominal'], 0, '£')}"
            if pd.notna(r["median_nominal"])
            else ""
        )
        for _, r in rows.iterrows()
    )
    return (
        f"There is no GDP deflator for {years} in the data yet, so "
        f"{'that year is' if len(rows) == 1 else 'those years are'} shown in cash only "
        f"({figures})."
    )


def describe_real_terms(
    trend: pd.DataFrame,
    council_name: str,
    base_year: str,
    measure: money.SpendMeasure = money.SPEND,
) -> str:
    """Sentence: first and last year's real spend per head, home and median, the years with no
    figures and the years in cash only (no deflator yet, :func:`describe_cash_only`)."""
    priced = trend[~trend["cash_only"]] if "cash_only" in trend else trend
    fy = [parse_period(p).fy for p in trend["period"]]
    gaps = [financial_year_label(y) for y in range(fy[0], fy[-1]) if y not in fy]
    tail = " ".join(
        part
        for part in (
            f"There are no {measure.lower} figures for {', '.join(gaps)}." if gaps else "",
            describe_cash_only(trend, council_name) if "cash_only" in trend else "",
        )
        if part
    )
    if priced.empty:
        return " ".join(
            part
            for part in (f"No year of {council_name}'s spend per head has a GDP deflator.", tail)
            if part
        )
    first, last = priced.iloc[0], priced.iloc[-1]
    change = 100 * (last["home_real"] / first["home_real"] - 1)
    text = (
        f"In {base_year} prices, {council_name}'s {measure.lower} per head went from "
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
    return f"{text} {tail}" if tail else text


def real_terms_display(trend: pd.DataFrame, name: str, base_year: str) -> pd.DataFrame:
    """Display table of :func:`real_terms_trend`: cash and real spend per head, home and median."""

    def pounds(values: pd.Series) -> list[str]:
        return [format_number(v, 0, "£") for v in values]

    cash_only = trend["cash_only"] if "cash_only" in trend else pd.Series(False, trend.index)

    def real(values: pd.Series) -> list[str]:
        return [
            "no deflator yet" if c else format_number(v, 0, "£") for v, c in zip(values, cash_only)
        ]

    return pd.DataFrame(
        {
            "Year": trend["period"],
            f"{name}, cash (£ per head)": pounds(trend["home_nominal"]),
            f"{name}, {base_year} prices": real(trend["home_real"]),
            "Comparison median, cash": pounds(trend["median_nominal"]),
            f"Comparison median, {base_year} prices": real(trend["median_real"]),
            "Councils with data": trend["councils"].astype(int),
        }
    )


def real_terms_caption(
    data: Dataset,
    trend: pd.DataFrame,
    *,
    name: str,
    how: str,
    base_year: str,
    measure: money.SpendMeasure = money.SPEND,
) -> str:
    """Caption of the real-terms chart: what is drawn (and the years in the table only, in cash,
    having no deflator), the population years used, the sources."""
    cash = list(trend.loc[trend["cash_only"], "period"]) if "cash_only" in trend else []
    years = sorted(
        set(", ".join(trend["population_years"]).split(", ")) - {""}, key=period_sort_key
    )
    return (
        f"{measure.title} per head in {base_year} prices, {name} and the "
        f"median of {how}. "
        + (
            f"{join_words(cash)} (no GDP deflator yet) {'is' if len(cash) == 1 else 'are'} in "
            "the table in cash only. "
            if cash
            else ""
        )
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
    """Spend per head in real terms over the years with spend: sentence, chart, table.

    A year with spend but no GDP deflator yet is in the table in cash only, and the sentence and
    caption say so (:func:`describe_cash_only`). The deflators are the data folder's, or
    perfeval's national reference copy when it has none (the caption and note say which). With
    no deflators at all the section is one sentence saying so. Offers ``real_terms_spend_per_head``.
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
    measure = report.measure
    sentence = describe_real_terms(trend, name, base_year, measure)
    return (
        Section()
        .text(sentence)
        .figure(
            plot_real_terms(
                trend, council_name=name, base_year=base_year, spend_title=measure.title
            ),
            alt=f"Line chart of {measure.lower} per head in real terms by year. " + sentence,
            caption=real_terms_caption(
                data, trend, name=name, how=report.how, base_year=base_year, measure=measure
            ),
        )
        .table(
            real_terms_display(trend, name, base_year),
            row_header="Year",
            caption=f"{measure.title} per head, cash and {base_year} prices",
            note=real_terms_note(data.deflators),
        )
        .offer("real_terms_spend_per_head", trend.drop(columns="population_years"), description)
    )
