"""Report sections for the value-for-money and programme-evaluation notebooks.

Each ``*_section`` function returns the pieces a notebook section shows (a table for the record,
a display table, a figure, its text alternative, a sentence, a caption), so the notebooks stay
thin narratives and every number in their text is computed here from the data.

Value for money (``notebooks/value_for_money.ipynb``)
    Each council's average performance score (mean polarity-aligned percentile rank over a set of
    indicators, :func:`perfeval.stats.indicators.average_performance_score`) against its net current
    expenditure per head, with quadrants, a fitted line and residuals
    (:func:`perfeval.stats.budget.value_for_money`); and spend per head in real terms
    (:func:`perfeval.stats.budget.compute_real_terms`).

Programme evaluation (``notebooks/programme_evaluation.ipynb``)
    Spend against allocation by strand (:func:`perfeval.stats.evaluation.summarise_funding`),
    difference-in-differences on indicators (:func:`perfeval.stats.evaluation.estimate_did`), a paired
    participant survey (:func:`perfeval.stats.evaluation.compare_paired_survey`) and an evaluation
    framework whose rules come from the parameter file (:func:`parse_framework`,
    :func:`perfeval.stats.evaluation.evaluate_framework`).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from perfeval.stats import budget as money
from perfeval.present import charts
from perfeval.stats import evaluation
from perfeval.stats import indicators as engine
from perfeval.present import narrative
from perfeval.data import notes
from perfeval.stats.budget import NET_SPEND
from perfeval.data.loader import Dataset, authority_names, council_name
from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.core.periods import financial_year_label, parse_period, period_sort_key
from perfeval.stats.scorecard import MIN_COMPARATORS, group_members
from perfeval.core.formatting import format_number

#: Answers at or above this point of a 1-5 scale count as positive ("agree", "confident").
POSITIVE_SCALE_MIN = 4
SYNTHETIC_NOTE = ("SYNTHETIC: the programme, its spend, participants and participant survey are "
                  "generated sample data for demonstration, not a real programme; the outcome "
                  "indicators are real published figures, so the estimated 'effect' is "
                  "illustrative only.")


def deflator_source(data: Dataset) -> str:
    """Where the GDP deflators come from, for a note or caption: their ``source`` and, when the
    data folder has none, that they are perfeval's national reference copy."""
    if data.deflators.empty:
        return "none (no deflators.csv in the data folder or perfeval's reference data)"
    source = notes.table_source(data, "deflators")
    if notes.table_origin(data, "deflators") == notes.REFERENCE:
        return (f"{source} (perfeval's national reference data, as {notes.folder_words(data)} "
                "has no deflators.csv)")
    return source


def spend_sources(data: Dataset) -> str:
    """Sentence: where spend, population and the real-terms deflators come from."""
    return (f"Spend: {notes.table_source(data, 'net_expenditure')}, net current expenditure, "
            f"£000, cash; population: {notes.table_source(data, 'population')}; real terms: GDP "
            f"deflators from {deflator_source(data)}.")


def vfm_data_note(data: Dataset, indicators: Sequence[str]) -> str:
    """Data-honesty note: which indicators of the score are real and which are synthetic, and
    where spend, population and deflators come from (all from the tables loaded)."""
    register = data.indicators.assign(synthetic=notes.synthetic_flags(data.indicators)) \
        .set_index("code")
    synthetic = [c for c in indicators if c in register.index
                 and bool(register.loc[c, "synthetic"])]
    kind = "SYNTHETIC sample data" if notes.is_sample_data(data) else "SYNTHETIC"
    if synthetic:
        return (f"Data honesty: indicator(s) {', '.join(synthetic)} are {kind} (generated, not "
                f"real performance), so the scores are illustrative. " + spend_sources(data))
    known = [c for c in indicators if c in register.index]
    return (f"Data: real published figures only (indicators {', '.join(indicators)}: "
            f"{'; '.join(sorted(set(register.loc[known, 'source'])))}). " + spend_sources(data))


DID_NOTE = evaluation.DID_METHOD + (" Standard errors are clustered by council; the interval "
                                    "and p-value assume parallel trends.")


def programme_subtitle(data: Dataset, programme: str, council: str, start: str,
                       year: str) -> str:
    """Subtitle: programme, councils taking part and compared, period covered."""
    treated, comparison = programme_councils(data, programme)
    names = authority_names(data)
    return (f"Programme '{programme}', starting {start}: {len(treated)} participating councils "
            f"({', '.join(str(names.get(c, c)) for c in treated)}) compared with "
            f"{len(comparison)} comparison councils; outcome data to {year}. Home council: "
            f"{names.get(council, council)} ({council}).")


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
    lookup = ("perfeval's national authority lookup"
              if notes.table_origin(data, "authorities") == notes.REFERENCE else "authorities.csv")
    return sorted(authorities.index[same]), f"all current {kind} councils in {lookup}"


def performance_scores(data: Dataset, members: Sequence[str], indicators: Sequence[str],
                       year: str) -> pd.DataFrame:
    """Average performance score of each council scored on every indicator of the set.

    Percentile ranks are computed among ``members`` with a value, per indicator, polarity aligned
    (100 = best; :func:`perfeval.stats.indicators.benchmark`); a council's score is their mean
    (:func:`perfeval.stats.indicators.average_performance_score`). Neutral indicators carry no rank and
    are refused, and only councils with a value for every indicator keep a score, so every score
    averages the same indicators.

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
        raise AnalysisError(f"only {len(scores)} councils have a {year} value for every indicator "
                            f"{list(indicators)}; choose indicators or a year with more data")
    return scores


def scored_councils(data: Dataset, members: Sequence[str], indicators: Sequence[str],
                    year: str) -> pd.DataFrame:
    """:func:`performance_scores` of however many councils have a value for every indicator
    (none, one or two included): the sections say so when too few are scored.

    Raises
    ------
    ParameterError
        If an indicator is neutral or unknown.
    """
    register = data.indicators.set_index("code")
    unknown = [c for c in indicators if c not in register.index]
    neutral = [c for c in indicators if c in register.index
               and register.loc[c, "polarity"] == "neutral"]
    if unknown or neutral:
        raise ParameterError([f"indicator {c!r} is not in indicators.csv" for c in unknown]
                             + [f"indicator {c!r} is neutral (no better direction), so it cannot "
                                f"be scored; leave it out" for c in neutral])
    values = data.indicator_values
    rows = values[values["indicator"].isin(indicators) & (values["period"] == year)
                  & values["authority"].isin(members)]
    bench = engine.benchmark(rows, data.indicators, group=list(members))
    scores = engine.average_performance_score(bench, period=year)
    scores = scores[scores["n_indicators"] == len(indicators)]
    return (scores.rename(columns={"average_performance_score": "score"})
            [["authority", "n_indicators", "score"]].reset_index(drop=True))


def spend_per_head(data: Dataset, members: Sequence[str], years: Sequence[str] | None = None,
                   service: str = NET_SPEND) -> pd.DataFrame:
    """Net current expenditure per head (£) of the members, for the given years (all if None)."""
    net = data.net_expenditure
    rows = net[(net["service"] == service) & net["authority"].isin(members)
               & net["net_current_expenditure"].notna()]
    if years is not None:
        rows = rows[rows["period"].isin(years)]
    if rows.empty:
        raise AnalysisError(f"net_expenditure.csv has no {service!r} rows for these councils"
                            + (f" in {list(years)}" if years is not None else ""))
    return money.compute_spend_per_head(rows, data.population).reset_index(drop=True)


def spend_in_year(data: Dataset, members: Sequence[str], year: str) -> pd.DataFrame:
    """:func:`spend_per_head` of the members in ``year``; an empty frame when none has one."""
    try:
        return spend_per_head(data, members, [year])
    except AnalysisError:
        return pd.DataFrame(columns=["authority", "spend_per_head"])


def councils_with_values(data: Dataset, members: Sequence[str], indicators: Sequence[str],
                         year: str) -> set[str]:
    """The members with a ``year`` value (not a symbol) for every one of the indicators."""
    values = data.indicator_values
    rows = values[values["indicator"].isin(indicators) & (values["period"] == year)
                  & values["authority"].isin(members) & values["value"].notna()]
    counts = rows.groupby("authority")["indicator"].nunique()
    return set(counts.index[counts == len(set(indicators))])


def describe_too_few(data: Dataset, *, council: str, members: Sequence[str], year: str,
                     indicators: Sequence[str], spend: pd.DataFrame | None = None) -> str:
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
        return (f"{name} has no {year} value for every indicator of the score ({codes}), so it "
                "has no average performance score to show.")
    if spend is not None and council not in valued:
        return (f"{name} has no net spend per head for {year}, so its performance cannot be set "
                "against its spend.")
    if len(valued) < MIN_COMPARATORS:
        what = " and a net spend per head" if spend is not None else ""
        return (f"Fewer than {MIN_COMPARATORS} councils of the comparison set have a {year} value "
                f"for every indicator ({codes}){what} ({len(valued)} "
                f"{'does' if len(valued) == 1 else 'do'}), so no score is ranked or compared.")
    return ""


def vfm_display(result: money.VfmResult, names: pd.Series) -> pd.DataFrame:
    """Display table: one row per council, ordered by residual (furthest above the line first)."""
    table = result.table.sort_values("residual", ascending=False, kind="mergesort")
    return pd.DataFrame({
        "Council": [f"{names.get(a, a)} (this council)" if h else names.get(a, a)
                    for a, h in zip(table["authority"], table["is_home"])],
        "Average performance score": [format_number(v, 1) for v in table["score"]],
        "Net spend per head (£)": [format_number(v, 0, "£") for v in table["spend_per_head"]],
        "Score predicted from spend": [format_number(v, 1) for v in table["fitted"]],
        "Above (+) or below (-) prediction": [f"{v:+.1f}" for v in table["residual"]],
        "Within the range expected": np.where(table["within_prediction_interval"], "Yes", "No"),
        "Quadrant": table["quadrant"].to_numpy(),
    })


def describe_vfm(result: money.VfmResult, council_name: str, year: str) -> str:
    """Sentence: the home council's quadrant and residual, and the strength of the association."""
    row = result.table.loc[result.table["is_home"]].iloc[0]
    rank = int((result.table["residual"] > row["residual"]).sum()) + 1
    strength = ("no statistically significant association" if result.slope_p_value >= 0.05 else
                "a statistically significant association")
    return (f"In {year}, {council_name} had an average performance score of "
            f"{row['score']:.1f} and net spend of {format_number(row['spend_per_head'], 0, '£')} "
            f"per head ({row['quadrant'].lower()} than the medians of {result.n} councils); its "
            f"{row['finding']}, {narrative.ordinal(rank)} of {result.n} on this measure. Across "
            f"the councils there is {strength} between spend and score (slope "
            f"{result.slope * 100:+.2f} points per £100 per head, "
            f"{evaluation.format_p_value(result.slope_p_value)}, R² {result.r_squared:.2f}).")


def value_for_money_section(data: Dataset, *, council: str, year: str, comparison: str,
                            indicators: Sequence[str], level: float = 0.95) -> dict[str, Any]:
    """Average performance score against net spend per head for the comparison set.

    Returns
    -------
    dict
        result (VfmResult, None when there are too few councils to compare), slope, r_squared
        and n (for the record; None without a result), table (per council, for the record),
        display, figure, alt, sentence, caption, caveats, set_sentence, excluded (councils
        without a score or spend). With too few councils the sentence says why
        (:func:`describe_too_few`) and figure and display are None.
    """
    members, how = comparison_set(data, council, comparison)
    scores = scored_councils(data, members, indicators, year)
    spend = spend_in_year(data, members, year)
    why = describe_too_few(data, council=council, members=members, year=year,
                           indicators=indicators, spend=spend)
    if why:
        both = (councils_with_values(data, members, indicators, year)
                & set(spend.dropna(subset=["spend_per_head"])["authority"]))
        return {"result": None, "slope": None, "r_squared": None, "n": len(both),
                "table": pd.DataFrame(columns=["authority", "score", "spend_per_head"]),
                "display": None, "figure": None, "alt": "", "sentence": why, "caption": "",
                "set_sentence": (f"Comparison set: {how}: {len(members)} councils, of which "
                                 f"{len(both)} {'has' if len(both) == 1 else 'have'} a {year} "
                                 f"value for every indicator "
                                 f"({', '.join(indicators)}) and a net spend per head."),
                "caveats": list(money.VFM_CAVEATS), "excluded": sorted(set(members) - both)}
    result = money.value_for_money(scores[["authority", "score"]],
                                   spend[["authority", "spend_per_head"]], home=council,
                                   level=level)
    names = authority_names(data)
    name = str(names.get(council, council))
    fig, ax = charts.new_figure(8, 6.5)
    charts.plot_value_for_money(result, title=f"Performance against spend per head, {year}",
                               names=names.to_dict(), ax=ax,
                               spend_label=f"Net current expenditure per head, {year} (£)")
    sentence = describe_vfm(result, name, year)
    excluded = sorted(set(members) - set(result.table["authority"]))
    set_sentence = (f"Comparison set: {how}: {len(members)} councils, of which {result.n} have "
                    f"a {year} value for every indicator ({', '.join(indicators)}) and a net "
                    f"spend per head; {len(excluded)} are left out for missing data.")
    record = result.table.assign(name=result.table["authority"].map(names))
    return {"result": result, "slope": result.slope, "r_squared": result.r_squared,
            "n": result.n, "table": record, "display": vfm_display(result, names),
            "figure": fig, "sentence": sentence, "set_sentence": set_sentence,
            "alt": (f"Scatter chart of {result.n} councils' average performance score against net "
                    f"spend per head, {year}, with dashed median lines making four quadrants and "
                    f"a fitted line with its {level:.0%} confidence band. " + sentence),
            "caption": (f"Average performance score ({', '.join(indicators)}, percentile ranks "
                        f"among the comparison set, 100 = best) against net current expenditure "
                        f"per head, {year}. Sources: {score_sources(data, indicators)}."),
            "caveats": list(money.VFM_CAVEATS), "excluded": excluded}


def score_sources(data: Dataset, indicators: Sequence[str]) -> str:
    """The sources of a value-for-money chart: the score's indicators (the register's ``source``),
    spend and population, each once."""
    register = data.indicators.set_index("code")
    named = [str(register.loc[c, "source"]) for c in indicators if c in register.index]
    named += [notes.table_source(data, "net_expenditure"), notes.table_source(data, "population")]
    return "; ".join(s for s in dict.fromkeys(named) if s.strip())


def score_components_section(data: Dataset, *, council: str, year: str, comparison: str,
                             indicators: Sequence[str]) -> dict[str, Any]:
    """The home council's percentile rank on each indicator of the score, among scored councils.

    Ranks are among the councils that have a value for every indicator (the same councils as in
    :func:`value_for_money_section`), so the score is the mean of the ranks shown. When the home
    council has no score, or fewer than three councils have one, the sentence says why
    (:func:`describe_too_few`) and figure and display are None.
    """
    members, how = comparison_set(data, council, comparison)
    scored = scored_councils(data, members, indicators, year)
    why = describe_too_few(data, council=council, members=members, year=year,
                           indicators=indicators)
    if why:
        return {"table": pd.DataFrame(columns=["indicator", "label", "value", "rank", "n_ranked",
                                               "percentile_rank"]),
                "display": None, "score": None, "sentence": why, "figure": None, "alt": "",
                "caption": ""}
    values = data.indicator_values
    rows = values[values["indicator"].isin(indicators) & (values["period"] == year)
                  & values["authority"].isin(scored["authority"])]
    bench = engine.benchmark(rows, data.indicators, group=list(scored["authority"]))
    register = data.indicators.set_index("code")
    home = bench[bench["authority"] == council].sort_values("indicator")
    table = pd.DataFrame({
        "indicator": home["indicator"].to_numpy(),
        "label": [f"{c}: {register.loc[c, 'title']}" for c in home["indicator"]],
        "value": home["value"].to_numpy(), "rank": home["rank"].astype(int).to_numpy(),
        "n_ranked": home["n_ranked"].astype(int).to_numpy(),
        "percentile_rank": home["percentile_rank"].to_numpy()})
    score = float(scored.loc[scored["authority"] == council, "score"].iloc[0])
    name = council_name(data, council)
    sentence = (f"{name}'s average performance score in {year} is {score:.1f}: the mean of its "
                f"percentile ranks (100 = best) on {len(table)} indicators among the "
                f"{len(scored)} councils of the comparison set ({how}) with a value for each. "
                + narrative.describe_positions(table))
    display = pd.DataFrame({
        "Indicator": table["label"],
        "Value": [format_number(v, int(register.loc[c, "decimals"]), register.loc[c, "unit"])
                  for c, v in zip(table["indicator"], table["value"])],
        "Rank (1 = best)": [f"{r} of {n}" for r, n in zip(table["rank"], table["n_ranked"])],
        "Percentile rank": [format_number(v, 1) for v in table["percentile_rank"]]})
    return {"table": table, "display": display, "score": score, "sentence": sentence,
            "figure": charts.plot_percentile_positions(
                table, title=f"{name}: percentile rank on each indicator of the score, {year}"),
            "alt": "Dot chart of the council's percentile rank on each indicator. " + sentence,
            "caption": (f"Percentile rank among the comparison set, {year}, polarity aligned "
                        f"(100 = best). {engine.QUARTILE_METHOD}")}


def residual_section(vfm: dict[str, Any], names: pd.Series, *, council: str,
                     year: str) -> dict[str, Any]:
    """Bars of each council's residual (score minus the score its spend predicts); one sentence
    when :func:`value_for_money_section` had too few councils to fit a line."""
    result = vfm["result"]
    if result is None:
        return {"display": None, "figure": None, "alt": "", "caption": "", "home_residual": None,
                "sentence": "With no line fitted to score and spend (see above), no council has "
                            "a residual to show."}
    table = result.table
    bars = pd.DataFrame({"code": table["authority"], "name": table["authority"].map(names),
                         "value": table["residual"]})
    home = table.loc[table["is_home"]].iloc[0]
    outside = table[~table["within_prediction_interval"]]
    sentence = (narrative.describe_comparison(
        "Performance above (+) or below (-) what spend per head would predict", "", year, bars,
        council, decimals=1, higher_is="furthest above") + f" {len(outside)} of {result.n} "
        f"councils lie outside the {result.level:.0%} prediction interval"
        + (f" ({', '.join(str(names.get(a, a)) for a in outside['authority'])})."
           if len(outside) else "."))
    display = pd.DataFrame({
        "Council": bars["name"], "Residual (score points)": [f"{v:+.1f}" for v in bars["value"]],
        f"{result.level:.0%} prediction interval for the score": [
            f"{a:.1f} to {b:.1f}" for a, b in zip(table["prediction_lower"],
                                                 table["prediction_upper"])],
        "Finding": table["finding"]}).iloc[np.argsort(-bars["value"].to_numpy(), kind="stable")]
    return {"display": display, "sentence": sentence, "home_residual": float(home["residual"]),
            "figure": charts.plot_comparator_bars(
                bars, home=council, title=f"Performance above or below what spend predicts, {year}",
                value_label="Residual (score points)"),
            "alt": "Bar chart of each council's residual, sorted. " + sentence,
            "caption": ("Residual = average performance score minus the score the fitted line "
                        "predicts from net spend per head. The dashed line is the median.")}


# ----------------------------------------------------------------------------- real terms
def real_terms_trend(data: Dataset, *, council: str, members: Sequence[str],
                     base_year: str) -> pd.DataFrame:
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
    real = money.compute_real_terms(spend, data.deflators, base_year=base_year,
                                    columns=["spend_per_head"])
    home = real[real["authority"] == council].set_index("period")
    if home.empty:
        raise AnalysisError(f"council {council!r} has no {NET_SPEND!r} rows in net_expenditure.csv")
    grouped = real.groupby("period")
    councils = grouped["authority"].nunique()
    enough = councils >= MIN_COMPARATORS  # no median of one or two councils
    out = pd.DataFrame({"home_nominal": home["spend_per_head"],
                        "home_real": home["spend_per_head_real"],
                        "median_nominal": grouped["spend_per_head"].median().where(enough),
                        "median_real": grouped["spend_per_head_real"].median().where(enough),
                        "councils": councils,
                        "population_years": grouped["population_year"].agg(
                            lambda years: ", ".join(sorted(set(map(str, years.dropna())))))})
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
    text = (f"In {base_year} prices, {council_name}'s net spend per head went from "
            f"{format_number(first['home_real'], 0, '£')} in {first['period']} to "
            f"{format_number(last['home_real'], 0, '£')} in {last['period']} ({change:+.1f}%)")
    if pd.notna(first["median_real"]) and pd.notna(last["median_real"]):
        median_change = 100 * (last["median_real"] / first["median_real"] - 1)
        text += (f"; the comparison median went from "
                 f"{format_number(first['median_real'], 0, '£')} to "
                 f"{format_number(last['median_real'], 0, '£')} ({median_change:+.1f}%).")
    else:
        text += (f". No comparison median is quoted for {first['period']} to {last['period']}: "
                 f"a median needs at least {MIN_COMPARATORS} councils with figures in both years.")
    if gaps:
        text += f" There are no net expenditure figures for {', '.join(gaps)}."
    return text


def plot_real_terms(trend: pd.DataFrame, *, council_name: str, base_year: str) -> Figure:
    """Line chart: home council solid with circles, comparison median dashed with squares."""
    fig, ax = charts.new_figure(8, 4.5)
    x = np.arange(len(trend))
    ax.plot(x, trend["home_real"], color=charts.HOME_COLOUR, marker="o", linewidth=2,
            label=council_name)
    ax.plot(x, trend["median_real"], color=charts.MEDIAN_COLOUR, linestyle="--", marker="s",
            label="Comparison median")
    ax.set_xticks(x, trend["period"].tolist())
    ax.set_ylabel(f"Net spend per head, {base_year} prices (£)")
    ax.set_title(f"Net current expenditure per head in real terms ({base_year} prices)",
                 loc="left", fontsize=11)
    ax.legend(frameon=False)
    return fig


def real_terms_section(data: Dataset, *, council: str, comparison: str,
                       base_year: str) -> dict[str, Any]:
    """Spend per head in real terms over the years with net expenditure: table, chart, sentence.

    The deflators are the data folder's, or perfeval's national reference copy when it has none
    (the caption and note say which). With no deflators at all the section is one sentence
    saying so (figure and display ``None``).
    """
    members, how = comparison_set(data, council, comparison)
    if data.deflators.empty:
        return {"table": pd.DataFrame(), "display": None, "figure": None, "alt": "",
                "caption": "", "note": "",
                "sentence": (f"No GDP deflators are in {notes.folder_words(data)} or perfeval's "
                             "national reference data, so spend per head is not shown in real "
                             "terms.")}
    trend = real_terms_trend(data, council=council, members=members, base_year=base_year)
    name = council_name(data, council)
    sentence = describe_real_terms(trend, name, base_year)
    display = pd.DataFrame({
        "Year": trend["period"],
        f"{name}, cash (£ per head)": [format_number(v, 0, "£") for v in trend["home_nominal"]],
        f"{name}, {base_year} prices": [format_number(v, 0, "£") for v in trend["home_real"]],
        "Comparison median, cash": [format_number(v, 0, "£") for v in trend["median_nominal"]],
        f"Comparison median, {base_year} prices": [format_number(v, 0, "£")
                                                   for v in trend["median_real"]],
        "Councils with data": trend["councils"].astype(int),
    })
    deflators = data.deflators
    years = sorted(set(", ".join(trend["population_years"]).split(", ")) - {""},
                   key=period_sort_key)
    return {"table": trend.drop(columns="population_years"), "display": display,
            "sentence": sentence,
            "figure": plot_real_terms(trend, council_name=name, base_year=base_year),
            "alt": "Line chart of net spend per head in real terms by year. " + sentence,
            "caption": (f"Net current expenditure per head in {base_year} prices, {name} and the "
                        f"median of {how}. "
                        + (f"Population: the {years[0]} estimate for every year. " if len(years) == 1
                           else f"Population: each year's nearest estimate ({', '.join(years)}). ")
                        + f"Sources: {notes.table_source(data, 'net_expenditure')}; "
                        f"{notes.table_source(data, 'population')}; deflators: "
                        f"{deflator_source(data)}."),
            "note": ("Real terms: cash spend x deflator(base year) / deflator(year), GDP deflator "
                     "at market prices (the HM Treasury measure of general inflation). "
                     + (f"Financial-year deflators: {deflators['method'].iloc[0]}."
                        if "method" in deflators and len(deflators) else ""))}


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


def funding_section(data: Dataset, programme: str) -> dict[str, Any]:
    """Allocation, spend, participants, sessions and unit costs by strand, with a total."""
    strands = data.programme_strands[data.programme_strands["programme"] == programme]
    if strands.empty:
        raise AnalysisError(f"programme {programme!r} has no rows in programme_strands.csv")
    summary = evaluation.summarise_funding(strands[["strand", "allocation", "spend",
                                                    "participants", "sessions"]])
    total = summary.iloc[-1]
    under = summary.iloc[:-1].sort_values("spend_minus_allocation").iloc[0]
    sentence = (f"The programme spent {format_number(total['spend'], 0, '£')} of its "
                f"{format_number(total['allocation'], 0, '£')} allocation "
                f"({total['spend_pct_of_allocation']:.1f}%), on {int(total['participants'])} "
                f"participant places in {int(total['sessions'])} sessions: "
                f"{format_number(total['cost_per_participant'], 0, '£')} per participant place. "
                f"The largest underspend was {under['strand']} "
                f"({format_number(-under['spend_minus_allocation'], 0, '£')}).")
    chart_data = summary.iloc[:-1].rename(columns={"allocation": "Allocation", "spend": "Spend"})
    figure = charts.plot_grouped_bars(chart_data, category="strand",
                                      series=["Allocation", "Spend"],
                                      title="Spend against allocation by strand",
                                      ylabel="£")
    money_cell = lambda s: [format_number(v, 0, "£") for v in s]  # noqa: E731
    display = pd.DataFrame({
        "Strand": summary["strand"], "Allocation": money_cell(summary["allocation"]),
        "Spend": money_cell(summary["spend"]),
        "Spend minus allocation": money_cell(summary["spend_minus_allocation"]),
        "Spend (% of allocation)": [format_number(v, 1, "%")
                                    for v in summary["spend_pct_of_allocation"]],
        "Participant places": [format_number(v, 0) for v in summary["participants"]],
        "Sessions": [format_number(v, 0) for v in summary["sessions"]],
        "Cost per participant place": money_cell(summary["cost_per_participant"]),
        "Note": summary["note"],
    })
    return {"table": summary, "display": display, "sentence": sentence, "figure": figure,
            "total": total, "synthetic": is_synthetic(strands),
            "alt": ("Grouped bar chart of allocation (plain bars) and spend (hatched bars) for each "
                    "strand. " + sentence),
            "caption": f"Allocation and spend by strand, programme '{programme}'."
                       + (" Synthetic sample data." if is_synthetic(strands) else "")}


def outcome_values(data: Dataset, indicator: str, year: str) -> pd.DataFrame:
    """Annual values of one indicator up to and including ``year``."""
    values = data.indicator_values
    rows = values[(values["indicator"] == indicator) & values["value"].notna()]
    rows = rows[[parse_period(p).kind == "year" and parse_period(p).fy <= parse_period(year).fy
                 for p in rows["period"]]]
    return rows[["authority", "indicator", "period", "value"]]


def did_evidence(did: evaluation.DidResult, pre: evaluation.PreTrendResult) -> dict[str, Any]:
    """Evidence entries for the framework from a difference-in-differences and pre-trend check."""
    significant = math.isfinite(did.p_value) and did.p_value < 1 - did.level
    return {"estimate": did.estimate, "se": did.se, "ci_lower": did.ci_lower,
            "ci_upper": did.ci_upper, "p_value": did.p_value,
            "significant_increase": bool(significant and did.estimate > 0),
            "pre_trend_p_value": pre.p_value,
            "pre_trends_parallel": None if pre.differs is None else not pre.differs}


def outcomes_section(data: Dataset, *, programme: str, indicators: Sequence[str], start: str,
                     year: str, level: float = 0.95) -> dict[str, Any]:
    """Difference-in-differences for each indicator: table, parallel-trends chart, caveats.

    The chart shows the first indicator of ``indicators``.
    """
    treated, comparison = programme_councils(data, programme)
    register = data.indicators.set_index("code")
    rows, evidence, caveats = [], {}, []
    for code in indicators:
        values = outcome_values(data, code, year)
        kwargs = dict(treated=treated, comparison=comparison, start=start, level=level)
        did = evaluation.estimate_did(values, **kwargs)
        pre = evaluation.check_pre_trends(values, **kwargs)
        evidence[f"did_{code}"] = did_evidence(did, pre)
        unit = register.loc[code, "unit"]
        rows.append({"indicator": code, "title": register.loc[code, "title"], "unit": unit,
                     "estimate": did.estimate, "se": did.se, "ci_lower": did.ci_lower,
                     "ci_upper": did.ci_upper, "p_value": did.p_value, "n_obs": did.n_obs,
                     "n_treated": did.n_treated, "n_comparison": did.n_comparison,
                     "pre_trend_p_value": pre.p_value, "finding": did.finding(code),
                     "pre_trend_caveat": pre.caveat})
        caveats += [c for c in (*did.caveats, pre.caveat) if c not in caveats]
    table = pd.DataFrame(rows)
    first = indicators[0]
    fig, ax = charts.new_figure(8, 5)
    charts.plot_parallel_trends(
        outcome_values(data, first, year), treated=treated, comparison=comparison, start=start,
        ax=ax, title=f"{first}: participating and comparison councils, before and after {start}",
        outcome_label=charts.axis_label(register.loc[first, "title"], register.loc[first, "unit"]))
    head = table.iloc[0]
    return {"table": table, "evidence": evidence, "caveats": caveats, "figure": fig,
            "display": did_display(table, level), "sentence": " ".join(table["finding"]),
            "alt": (f"Line chart of the mean {first} of {len(treated)} participating councils "
                    f"(solid line, circles) and {len(comparison)} comparison councils (dashed "
                    f"line, squares) by year, with the programme start {start} marked. "
                    + head["finding"] + " " + head["pre_trend_caveat"]),
            "caption": (f"Mean {first} by year, participating and comparison councils (group "
                        f"means of real published values). The programme itself is synthetic.")}


def p_value_cells(p_values: Sequence[float]) -> list[str]:
    """Each p-value as a table shows it (``p = 0.031``, ``p < 0.001``), ``[x]`` when not computed."""
    return [evaluation.format_p_value(p) if math.isfinite(p) else "[x]" for p in p_values]


def did_display(table: pd.DataFrame, level: float) -> pd.DataFrame:
    """Display table of difference-in-differences results."""
    def num(v: float) -> str:
        return "[x]" if not math.isfinite(v) else f"{v:+.2f}"
    return pd.DataFrame({
        "Indicator": [f"{c}: {t} ({u})" for c, t, u in zip(table["indicator"], table["title"],
                                                          table["unit"])],
        "Estimated effect": [num(v) for v in table["estimate"]],
        "Standard error": [num(v).lstrip("+") for v in table["se"]],
        f"{level:.0%} interval": [f"{num(a)} to {num(b)}" for a, b in
                                  zip(table["ci_lower"], table["ci_upper"])],
        "p-value": p_value_cells(table["p_value"]),
        "Councils (participating / comparison)": [f"{a} / {b}" for a, b in
                                                  zip(table["n_treated"], table["n_comparison"])],
        "Pre-programme trends": table["pre_trend_caveat"],
    })


def survey_pairs(data: Dataset, programme: str, questions: Sequence[str]
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Before and after waves of the participant survey, blanks as missing answers."""
    survey = data.programme_participant_survey
    rows = survey[survey["programme"] == programme]
    missing = [q for q in questions if q not in rows.columns]
    if rows.empty or missing:
        raise AnalysisError(f"programme_participant_survey.csv has no rows for {programme!r}"
                            if rows.empty else f"survey question column(s) {missing} not found")
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
PAIRED_NOTE = ("Scales: Wilcoxon signed-rank test. Yes/no questions: McNemar's test, and for the "
               "change in the share answering yes Newcombe's interval for paired proportions "
               "(Newcombe 1998, method 10), which stays within -100 to +100 points and keeps a "
               "width when few change their answer.")


def paired_change_cells(results: pd.DataFrame) -> list[str]:
    """A yes/no question's change in points with its interval ("+28.0 (+4.9 to +46.6)"); blank
    for a scale question (no interval)."""
    return ["" if pd.isna(lo) else f"{100 * d:+.1f} ({100 * lo:+.1f} to {100 * hi:+.1f})"
            for d, lo, hi in zip(results["estimate"], results["ci_lower"], results["ci_upper"])]


def survey_section(data: Dataset, *, programme: str, scale_questions: Sequence[str],
                   binary_questions: Sequence[str], level: float = 0.95) -> dict[str, Any]:
    """Paired before/after comparison: Wilcoxon for scales, McNemar for yes/no questions,
    significant at ``1 - level`` (the same level as the outcome estimates). A yes/no question's
    change in the share answering yes has Newcombe's paired interval at ``level`` (Newcombe
    1998, Stat Med 17:2635, method 10; :func:`perfeval.stats.evaluation.compare_paired_binary`)."""
    questions = [*scale_questions, *binary_questions]
    before, after = survey_pairs(data, programme, questions)
    for question in scale_questions:
        bad = pd.concat([before[question], after[question]]).dropna()
        if (bad > 5).any():
            raise AnalysisError(f"survey question {question!r} has answers above 5; scale answers "
                                f"must be 1 to 5")
    results = evaluation.compare_paired_survey(before, after, scale_questions=scale_questions,
                                               binary_questions=binary_questions, alpha=1 - level)
    paired = before.merge(after, on="respondent_id", suffixes=("_before", "_after"))
    shares = pd.DataFrame({"question": questions,
                           "Before": [100 * positive_share(paired[f"{q}_before"])
                                      for q in questions],
                           "After": [100 * positive_share(paired[f"{q}_after"])
                                     for q in questions]})
    evidence = {f"survey_{r.question}": {
        "estimate": r.estimate, "ci_lower": r.ci_lower, "ci_upper": r.ci_upper,
        "p_value": r.p_value, "n": r.n,
        "significant_increase": bool(math.isfinite(r.p_value) and r.p_value < 1 - level
                                     and r.estimate > 0)} for r in results.itertuples()}
    sentence = " ".join(results["finding"])
    display = pd.DataFrame({
        "Question": results["question"], "Test": results["test"],
        "Positive before (%)": [format_number(v, 0) for v in shares["Before"]],
        "Positive after (%)": [format_number(v, 0) for v in shares["After"]],
        "Pairs": results["n"],
        f"Change in yes (points, {level:.0%} interval)": paired_change_cells(results),
        "p-value": p_value_cells(results["p_value"]),
        "Finding": results["finding"]})
    return {"table": results.merge(shares, on="question"), "display": display,
            "evidence": evidence, "sentence": sentence, "pairs": len(paired),
            "figure": charts.plot_grouped_bars(shares, category="question",
                                               series=["Before", "After"],
                                               title="Participants giving a positive answer, "
                                                     "before and after",
                                               ylabel="Share positive (%)"),
            "alt": (f"Grouped bar chart of the share of {len(paired)} paired participants giving "
                    f"a positive answer before (plain bars) and after (hatched bars) the "
                    f"programme, per question. " + sentence),
            "caption": (f"Participant survey, {len(paired)} participants answering before and "
                        f"after. Positive = {POSITIVE_SCALE_MIN} or 5 on a 1-5 scale, or yes. "
                        + PAIRED_NOTE
                        + (" Synthetic sample survey." if is_synthetic(before) else ""))}


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
            raise ParameterError([f"{where}: threshold {word!r} is not a number or true/false"]
                                 ) from None
    if op == "between":
        parts = text.split(" and ")
        if len(parts) != 2:
            raise ParameterError([f"{where}: a 'between' rule needs 'low and high', got {text!r}"])
        return [number_or_word(p) for p in parts]
    return number_or_word(text)


def parse_framework(lines: Sequence[str]) -> list[dict[str, Any]]:
    """Turn framework lines from the parameter file into :func:`evaluate_framework` items.

    Each line is ``question | evidence key | operator | threshold``, e.g.
    ``"Did the programme spend within its allocation? | funding_total.spend_pct_of_allocation |
    <= | 100"``. Operators: ``> >= < <= == != between`` (``between`` takes ``low and high``);
    a threshold is a number or ``true``/``false``. Every malformed line is reported at once.

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
    for number, line in enumerate(lines, start=1):
        where = f"evaluation_framework line {number}"
        parts = [p.strip() for p in str(line).split("|")]
        if len(parts) != 4 or not all(parts):
            problems.append(f"{where}: expected 'question | evidence | operator | threshold', "
                            f"got {line!r}")
            continue
        question, key, op, value = parts
        if op not in _OPERATORS:
            problems.append(f"{where}: operator {op!r} is not one of {list(_OPERATORS)}")
            continue
        try:
            items.append({"question": question, "evidence": key, "label": describe_evidence_key(key),
                          "rule": {"op": op, "value": _parse_value(value, op, where)}})
        except ParameterError as err:
            problems += err.problems if hasattr(err, "problems") else [str(err)]
    if problems:
        raise ParameterError(problems)
    return items


_FIELD_LABELS = {
    "spend_pct_of_allocation": "spend as % of allocation", "spend": "spend (£)",
    "allocation": "allocation (£)", "participants": "participant places",
    "sessions": "sessions", "cost_per_participant": "cost per participant place (£)",
    "cost_per_session": "cost per session (£)", "estimate": "estimate", "p_value": "p-value",
    "significant_increase": "significant increase", "pre_trend_p_value":
        "pre-programme trend test p-value", "pre_trends_parallel": "pre-programme trends parallel",
    "ci_lower": "lower end of interval", "ci_upper": "upper end of interval", "n": "pairs",
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


def framework_section(lines: Sequence[str], evidence: dict[str, Any]) -> dict[str, Any]:
    """Answer each evaluation question from the computed evidence: table, chart and sentence."""
    result = evaluation.evaluate_framework(parse_framework(lines), evidence)
    counts = result["judgement"].value_counts().reindex(
        ["Met", "Not met", "Not assessed"]).dropna().astype(int)
    sentence = narrative.describe_counts(counts, what="evaluation questions")
    figure = charts.plot_category_counts(counts, title="Evaluation questions by judgement",
                                         xlabel="Number of questions",
                                         colours={"Met": charts.PALETTE["turquoise"],
                                                  "Not met": charts.PALETTE["dark_pink"],
                                                  "Not assessed": charts.OTHER_COLOUR})
    display = result[["question", "evidence", "finding", "judgement"]].rename(columns={
        "question": "Question", "evidence": "Evidence", "finding": "Finding",
        "judgement": "Judgement"})
    return {"table": result.drop(columns=["value"]).assign(
                value=[str(v) for v in result["value"]]),
            "display": display, "sentence": sentence, "figure": figure, "counts": counts,
            "alt": "Bar chart of the number of evaluation questions met, not met and not "
                   "assessed. " + sentence + " " + " ".join(
                       f"{q}: {j}." for q, j in zip(result["question"], result["judgement"])),
            "caption": "Evaluation framework: each question's rule (params/programme_evaluation."
                       "yaml) applied to the evidence computed above."}


def programme_evidence(funding: dict[str, Any], outcomes: dict[str, Any],
                       survey: dict[str, Any]) -> dict[str, Any]:
    """All evidence the framework can use, by key (see :func:`describe_evidence_key`)."""
    total = funding["total"]
    return {"funding_total": {k: (float(total[k]) if isinstance(total[k], (int, float, np.number))
                                  else total[k]) for k in total.index},
            **outcomes["evidence"], **survey["evidence"]}
