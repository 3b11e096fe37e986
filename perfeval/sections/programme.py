"""Report sections of the programme-evaluation notebook (``notebooks/programme_evaluation.ipynb``).

Spend against allocation by strand (:func:`perfeval.stats.evaluation.summarise_funding`),
difference-in-differences on indicators (:func:`perfeval.stats.evaluation.estimate_did`), a paired
participant survey (:func:`perfeval.stats.evaluation.compare_paired_survey`) and an evaluation
framework whose rules come from the parameter file (:func:`framework_items`,
:func:`perfeval.stats.evaluation.evaluate_framework`).

:func:`prepare_programme` computes the funding, outcomes and survey once into a frozen
:class:`ProgrammeReport`, which the framework judges; each report section is one function
returning a :class:`~perfeval.present.section.Section` that offers the section's key figures::

    from perfeval.sections import programme as evaluation

    report = evaluation.prepare_programme(data, params)
    s = evaluation.funding(report)
    s.record("funding_by_strand", "spend_pct_of_allocation", "cost_per_participant")
    display(s)

The notebook imports this module as ``evaluation`` because ``programme`` is one of its
parameters (the programme's name), which would otherwise replace the module.

Every number in the sections' text is computed here from the data; the sentence builders
(``describe_*``) and display tables (``*_display``) are small pure functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.core.formatting import format_number, join_words, label_with_unit, plural
from perfeval.core.periods import parse_period
from perfeval.data.loader import Dataset, authority_names
from perfeval.present import charts, charts_evaluation, narrative
from perfeval.present.section import Section
from perfeval.sections.common import opening_section
from perfeval.stats import evaluation

__all__ = [
    "POSITIVE_SCALE_MIN",
    "SYNTHETIC_NOTE",
    "DID_NOTE",
    "PAIRED_NOTE",
    "FRAMEWORK_KEYS",
    "programme_subtitle",
    "programme_councils",
    "is_synthetic",
    "Outcomes",
    "ParticipantComparison",
    "ProgrammeReport",
    "prepare_programme",
    "programme_opening",
    "summarise_programme_funding",
    "describe_funding",
    "funding_display",
    "funding",
    "outcome_values",
    "did_evidence",
    "effect_unit",
    "indicator_name",
    "describe_did",
    "describe_pre_trends",
    "did_method_note",
    "event_study_caveat",
    "event_study_display",
    "estimate_outcomes",
    "outcomes",
    "p_value_cells",
    "did_display",
    "survey_pairs",
    "positive_share",
    "paired_change_cells",
    "question_labels",
    "direction_cells",
    "compare_participants",
    "survey_display",
    "survey_caption",
    "participant_survey",
    "parse_framework",
    "describe_evidence_key",
    "framework_item",
    "framework_items",
    "programme_evidence",
    "evidence_names",
    "pre_trend_finding",
    "framework_counts",
    "framework",
]

#: Answers at or above this point of a 1-5 scale count as positive ("agree", "confident").
POSITIVE_SCALE_MIN = 4
SYNTHETIC_NOTE = (
    "SYNTHETIC: the programme, its spend, participants and participant survey are "
    "generated sample data for demonstration, not a real programme; the outcome "
    "indicators are real published figures, so the estimated 'effect' is "
    "illustrative only."
)


#: The model, for readers of the old module (the note under the table says more).
DID_NOTE = evaluation.DID_METHOD + (
    " P-values and intervals are computed to hold with few participating councils "
    "(randomisation inference over councils by default)."
)


# ----------------------------------------------------------------------------- the report
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
    (``did_<code>``), the caveats of the estimates (each once), each indicator's event study and
    its sentence on pre-programme trends."""

    table: pd.DataFrame
    evidence: dict[str, Any]
    caveats: tuple[str, ...]
    event_studies: dict[str, evaluation.EventStudy] = field(default_factory=dict)
    pre_trend_findings: dict[str, str] = field(default_factory=dict)


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
        ``did_indicators``, ``scale_questions``, ``binary_questions``, ``confidence_level``,
        and optionally ``inference``, ``bootstrap_draws``, ``seed``, ``equivalence_margin`` and
        ``survey_question_labels`` (their declared defaults when absent).

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
            inference=params.get("inference", "randomisation"),
            draws=int(params.get("bootstrap_draws", 9999)),
            seed=int(params.get("seed", 20240401)),
            margin=float(params.get("equivalence_margin", 0.25)),
        ),
        survey=compare_participants(
            data,
            programme=programme,
            scale_questions=params["scale_questions"],
            binary_questions=params["binary_questions"],
            level=level,
            labels=question_labels(params.get("survey_question_labels", [])),
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
    figure = charts_evaluation.plot_funding_by_strand(
        summary.iloc[:-1], title="Spend against allocation by strand"
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


def effect_unit(unit: str) -> str:
    """The unit of a change in an indicator: percentage points for a percentage."""
    return "percentage points" if str(unit).strip() == "%" else str(unit or "").strip()


def _amount(value: float, decimals: int, unit: str, *, signed: bool = False) -> str:
    text = format_number(abs(value) if not signed else value, decimals, unit)
    return f"+{text}" if signed and value > 0 else text


def indicator_name(register: pd.DataFrame, code: str) -> str:
    """``"Household waste sent for reuse, recycling or composting (NI192)"``."""
    return f"{register.loc[code, 'title']} ({code})" if code in register.index else code


def inference_words(did: evaluation.DidResult) -> str:
    """How the p-value was computed, in a few words for a sentence."""
    return {
        "randomisation": "randomisation inference over councils",
        "wild_bootstrap": "wild cluster bootstrap",
        "cluster": "cluster-robust t test",
    }[did.inference]


def describe_did(did: evaluation.DidResult, name: str, unit: str, decimals: int) -> str:
    """Sentence: how much more or less the indicator changed in participating councils, with
    the interval, the method and whether it is significant."""
    unit = effect_unit(unit)
    more = "more" if did.estimate > 0 else "less"
    if math.isfinite(did.ci_lower) and math.isfinite(did.ci_upper):
        interval = (
            f"{format_number(100 * did.level, 0)}% interval "
            f"{_amount(did.ci_lower, decimals, '', signed=True)} to "
            f"{_amount(did.ci_upper, decimals, unit, signed=True)}"
        )
    else:
        interval = "no interval can be given from so few participating councils"
    verdict = (
        "a statistically significant difference"
        if did.significant
        else "not a statistically significant difference"
    )
    return (
        f"{name}: after the programme started, it changed by "
        f"{_amount(did.estimate, decimals, unit)} {more} in the "
        f"{plural(did.n_treated, 'participating council')} than in the "
        f"{plural(did.n_comparison, 'comparison council')} ({interval}; "
        f"{inference_words(did)}, {evaluation.format_p_value(did.p_value)}): {verdict}."
    )


def describe_pre_trends(pre: evaluation.PreTrendResult, name: str, unit: str, decimals: int) -> str:
    """Sentence: whether parallel pre-programme trends are evidenced, with the margin."""
    unit = effect_unit(unit)
    margin = (
        f"±{format_number(pre.margin_units, decimals, unit)} "
        f"({format_number(pre.margin, 2, trim_zeros=True)} standard deviations of the indicator "
        f"across councils in {pre.reference})"
    )
    if pre.evidenced is None:
        return (
            f"{name}: with only one year before the programme, whether the groups were on "
            f"parallel trends cannot be checked, so parallel trends are not evidenced "
            f"(the margin would be {margin})."
        )
    return (
        f"{name}: before the programme, the gap between participating and comparison councils "
        f"moved by up to {_amount(pre.largest_difference, decimals, unit, signed=True)} against "
        f"{pre.reference}, with {format_number(100 * pre.tost_level, 0)}% intervals from "
        f"{_amount(pre.lowest, decimals, '', signed=True)} to "
        f"{_amount(pre.highest, decimals, unit, signed=True)}. Parallel trends count as evidenced "
        f"only if every interval lies within {margin}, so parallel trends are "
        f"{'evidenced' if pre.evidenced else 'not evidenced'}."
    )


def did_evidence(did: evaluation.DidResult, pre: evaluation.PreTrendResult) -> dict[str, Any]:
    """Evidence entries for the framework from a difference-in-differences and pre-trend check.

    ``pre_trends_evidenced`` is the equivalence judgement (:func:`perfeval.stats.evaluation.
    check_pre_trends`), False when it cannot be checked; ``pre_trends_parallel`` is the same
    value under the name older parameter files use."""
    evidenced = bool(pre.evidenced)
    return {
        "estimate": did.estimate,
        "se": did.se,
        "ci_lower": did.ci_lower,
        "ci_upper": did.ci_upper,
        "p_value": did.p_value,
        "significant_increase": bool(did.significant and did.estimate > 0),
        "pre_trends_evidenced": evidenced,
        "pre_trends_parallel": evidenced,
        "pre_trend_margin": pre.margin_units,
    }


def estimate_outcomes(
    data: Dataset,
    *,
    programme: str,
    indicators: Sequence[str],
    start: str,
    year: str,
    level: float = 0.95,
    inference: str = "randomisation",
    draws: int = 9999,
    seed: int = 20240401,
    margin: float = 0.25,
) -> Outcomes:
    """Difference-in-differences with council and year effects, an event study and the
    equivalence check of pre-programme trends for each indicator
    (:func:`perfeval.stats.evaluation.estimate_did`, :func:`~perfeval.stats.evaluation.
    estimate_event_study`, :func:`~perfeval.stats.evaluation.check_pre_trends`), participating
    against comparison councils, values up to ``year``."""
    treated, comparison = programme_councils(data, programme)
    register = data.indicators.set_index("code")
    rows, evidence, caveats, studies, sentences = [], {}, [], {}, {}
    for code in indicators:
        values = outcome_values(data, code, year)
        did = evaluation.estimate_did(
            values,
            treated=treated,
            comparison=comparison,
            start=start,
            level=level,
            inference=inference,
            draws=draws,
            seed=seed,
        )
        study = evaluation.estimate_event_study(
            values, treated=treated, comparison=comparison, start=start, level=level
        )
        pre = evaluation.check_pre_trends(study, values, margin=margin)
        evidence[f"did_{code}"] = did_evidence(did, pre)
        name, unit = indicator_name(register, code), str(register.loc[code, "unit"])
        decimals = max(1, int(register.loc[code, "decimals"]))
        finding = describe_did(did, name, unit, decimals)
        trend = describe_pre_trends(pre, name, unit, decimals)
        studies[code], sentences[code] = study, trend
        rows.append(
            {
                "indicator": code,
                "title": register.loc[code, "title"],
                "unit": effect_unit(unit),
                "decimals": decimals,
                "estimate": did.estimate,
                "se": did.se,
                "ci_lower": did.ci_lower,
                "ci_upper": did.ci_upper,
                "p_value": did.p_value,
                "inference": did.inference,
                "draws": did.draws,
                "n_obs": did.n_obs,
                "n_treated": did.n_treated,
                "n_comparison": did.n_comparison,
                "pre_trends": ("evidenced" if pre.evidenced else "not evidenced"),
                "pre_trend_margin": pre.margin_units,
                "pre_trend_lowest": pre.lowest,
                "pre_trend_highest": pre.highest,
                "finding": finding,
                "pre_trend_finding": trend,
            }
        )
        caveats += [c for c in (*did.caveats, event_study_caveat(did.n_treated)) if c]
    caveats = list(dict.fromkeys(caveats))
    return Outcomes(
        table=pd.DataFrame(rows),
        evidence=evidence,
        caveats=tuple(caveats),
        event_studies=studies,
        pre_trend_findings=sentences,
    )


def event_study_caveat(n_treated: int) -> str:
    """The caveat on the event study's intervals with few participating councils (empty from
    :data:`perfeval.stats.evaluation.FEW_TREATED` on): they are cluster-robust, so too narrow,
    which makes parallel trends easier to call evidenced than they should be."""
    if n_treated >= evaluation.FEW_TREATED:
        return ""
    return (
        f"The year-by-year intervals of the event study, and so the check of pre-programme "
        f"trends, use cluster-robust standard errors, which are too narrow with only "
        f"{plural(n_treated, 'participating council')}: treat 'evidenced' with caution."
    )


def did_method_note(table: pd.DataFrame, seed: int, level: float) -> str:
    """The method note under the difference-in-differences table: the model, how the p-values
    and intervals were computed (with the draws and seed), and the pre-trend rule."""
    head = table.iloc[0]
    councils = int(head["n_treated"]) + int(head["n_comparison"])
    how = {
        "randomisation": (
            f"P-values by randomisation inference over councils (MacKinnon & Webb 2020): the "
            f"t statistic of the actual participating councils is compared with that of "
            f"{format_number(int(head['draws']), 0)} choices of {int(head['n_treated'])} of the "
            f"{councils} councils (seed {seed}); intervals are the effects this test does not "
            "reject."
        ),
        "wild_bootstrap": (
            f"P-values by the wild cluster restricted bootstrap (Rademacher weights by council, "
            f"{format_number(int(head['draws']), 0)} samples, seed {seed}; Roodman et al. 2019); "
            "intervals are the effects this test does not reject."
        ),
        "cluster": "P-values and intervals from cluster-robust standard errors (t, councils - 1).",
    }[head["inference"]]
    tost = format_number(100 * (1 - 2 * (1 - level)), 0)
    return (
        f"{evaluation.DID_METHOD} {how} Parallel trends before the programme are evidenced "
        f"only if every yearly difference before it (against the last year before) has a "
        f"{tost}% interval inside the equivalence margin (two one-sided tests; Hartman & "
        "Hidalgo 2018); a difference that is merely not significant is not enough."
    )


def outcomes(report: ProgrammeReport) -> Section:
    """Did outcomes move: the findings, the parallel-trends chart and the event-study chart of
    the first indicator, the difference-in-differences table, the event study table and the
    caveats. Offers ``did_results`` and ``event_study``."""
    data, table = report.data, report.outcomes.table
    treated, comparison = programme_councils(data, report.programme)
    register = data.indicators.set_index("code")
    first, head, start = table["indicator"].iloc[0], table.iloc[0], report.start
    name = indicator_name(register, first)
    fig, ax = charts.new_figure(8, 5)
    charts.plot_parallel_trends(
        outcome_values(data, first, report.year),
        treated=treated,
        comparison=comparison,
        start=start,
        ax=ax,
        title=charts.wrap_title(f"{name}: participating and comparison councils", 70),
        outcome_label=charts.axis_label(register.loc[first, "title"], register.loc[first, "unit"]),
    )
    alt = (
        f"Line chart of the mean {name} of {len(treated)} participating councils (solid "
        f"line, circles) and {len(comparison)} comparison councils (dashed line, squares) by "
        f"year, with the programme start {start} marked. " + head["finding"]
    )
    study = report.outcomes.event_studies[first]
    decimals = max(1, int(register.loc[first, "decimals"]))
    event_fig = charts_evaluation.plot_event_study(
        study.table,
        title=charts.wrap_title(f"{name}: difference from comparison councils, year by year", 70),
        ylabel=label_with_unit("Difference", head["unit"]),
        level=report.level,
        start=start,
    )
    points = join_words(
        f"{p} {_amount(e, decimals, '', signed=True)}"
        for p, e, r in zip(study.table["period"], study.table["estimate"], study.table["reference"])
        if not r
    )
    event_alt = (
        f"Chart of the difference between participating and comparison councils in {name} in "
        f"each year, measured against {study.reference} (shown at 0), with "
        f"{format_number(100 * report.level, 0)}% intervals: {points} "
        f"({head['unit']}). " + report.outcomes.pre_trend_findings[first]
    )
    return (
        Section()
        .text(" ".join(table["finding"]))
        .text(" ".join(table["pre_trend_finding"]))
        .figure(
            fig,
            alt=alt,
            caption=(
                f"{name}: mean by year, participating and comparison councils (group means "
                "of real published values). The programme itself is synthetic."
            ),
        )
        .figure(
            event_fig,
            alt=event_alt,
            caption=(
                f"Event study of {name}: participating minus comparison councils in each year, "
                f"less the same difference in {study.reference}, with council and year effects."
            ),
        )
        .table(
            did_display(table, report.level),
            row_header="Indicator",
            note=did_method_note(table, int(report.params.get("seed", 20240401)), report.level),
            caption=(
                "Difference-in-differences: participating minus comparison "
                f"councils, change after {start}"
            ),
        )
        .table(
            event_study_display(study, decimals),
            row_header="Year",
            caption=f"Event study of {name}, against {study.reference}",
        )
        .bullets(list(report.outcomes.caveats), heading="Read with care")
        .offer(
            "did_results", table, f"Difference-in-differences, start {start}, data to {report.year}"
        )
        .offer("event_study", study.table, f"Event study of {first}, against {study.reference}")
    )


def p_value_cells(p_values: Sequence[float]) -> list[str]:
    """Each p-value as a table shows it (``p = 0.031``, ``p < 0.001``); ``[x]`` when not
    computed."""
    return [evaluation.format_p_value(p) if math.isfinite(p) else "[x]" for p in p_values]


def _signed_cell(value: float, decimals: int) -> str:
    if math.isinf(value):
        return "unbounded"
    return "[x]" if not math.isfinite(value) else _amount(value, decimals, "", signed=True)


def did_display(table: pd.DataFrame, level: float) -> pd.DataFrame:
    """Display table of difference-in-differences results, each indicator's figures to the
    decimals its sentences use (``decimals`` column)."""
    places = [int(d) for d in table["decimals"]]
    return pd.DataFrame(
        {
            "Indicator": [f"{t} ({c})" for c, t in zip(table["indicator"], table["title"])],
            "Estimated effect": [
                f"{_signed_cell(v, d)} {u}".strip()
                for v, u, d in zip(table["estimate"], table["unit"], places)
            ],
            f"{format_number(100 * level, 0)}% interval": [
                f"{_signed_cell(a, d)} to {_signed_cell(b, d)}"
                for a, b, d in zip(table["ci_lower"], table["ci_upper"], places)
            ],
            "p-value": p_value_cells(table["p_value"]),
            "Councils (participating / comparison)": [
                f"{a} / {b}" for a, b in zip(table["n_treated"], table["n_comparison"])
            ],
            "Parallel trends before": [
                f"{j.capitalize()} (margin ±{format_number(m, d)})"
                for j, m, d in zip(table["pre_trends"], table["pre_trend_margin"], places)
            ],
        }
    )


def event_study_display(study: evaluation.EventStudy, decimals: int) -> pd.DataFrame:
    """Display table of an event study: each year's difference with its interval."""
    t = study.table
    level = format_number(100 * study.level, 0)
    return pd.DataFrame(
        {
            "Year": t["period"],
            "Before or after": ["After" if p else "Before" for p in t["post"]],
            "Difference against the reference year": [
                "0 (reference)" if r else _signed_cell(e, decimals)
                for e, r in zip(t["estimate"], t["reference"])
            ],
            f"{level}% interval": [
                "[z]" if r else f"{_signed_cell(a, decimals)} to {_signed_cell(b, decimals)}"
                for a, b, r in zip(t["ci_lower"], t["ci_upper"], t["reference"])
            ],
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
    "Scales: the participants who gave a higher, the same and a lower answer after the "
    "programme, with the Wilcoxon signed-rank test, unchanged answers handled by Pratt's method "
    "(Pratt 1959). Yes/no questions: McNemar's test, and for the change in the share answering "
    "yes Newcombe's interval for paired proportions (Newcombe 1998, method 10), which stays "
    "within -100 to +100 points and keeps a width when few change their answer."
)


def question_labels(items: Sequence[str]) -> dict[str, str]:
    """The ``survey_question_labels`` parameter (``"question: wording"`` items) as a mapping."""
    labels = {}
    for item in items:
        question, _, wording = str(item).partition(":")
        if wording.strip():
            labels[question.strip()] = wording.strip()
    return labels


def paired_change_cells(results: pd.DataFrame) -> list[str]:
    """A yes/no question's change in points with its interval ("+28.0 (+4.9 to +46.6)"); ``[z]``
    (not applicable) for a scale question."""
    return [
        "[z]"
        if pd.isna(lo)
        else f"{_amount(100 * d, 1, '', signed=True)} ({_amount(100 * lo, 1, '', signed=True)} "
        f"to {_amount(100 * hi, 1, '', signed=True)})"
        for d, lo, hi in zip(results["estimate"], results["ci_lower"], results["ci_upper"])
    ]


def direction_cells(results: pd.DataFrame, column: str) -> list[str]:
    """``"36 (61%)"``: how many participants moved that way, with the share of the pairs."""
    return [
        f"{k} ({format_number(100 * k / n, 0, '%')})" for k, n in zip(results[column], results["n"])
    ]


def compare_participants(
    data: Dataset,
    *,
    programme: str,
    scale_questions: Sequence[str],
    binary_questions: Sequence[str],
    level: float = 0.95,
    labels: Mapping[str, str] | None = None,
) -> ParticipantComparison:
    """Paired before/after comparison: who answered higher, the same and lower, with Wilcoxon
    (Pratt's zeros) for scales and McNemar for yes/no questions, significant at ``1 - level``
    (the same level as the outcome estimates). A yes/no question's change in the share
    answering yes has Newcombe's paired interval at ``level`` (Newcombe 1998, Stat Med
    17:2635, method 10; :func:`perfeval.stats.evaluation.compare_paired_binary`). Findings name
    each question by ``labels`` (its wording), else by its column.

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
        labels=labels,
    )
    results["label"] = [(labels or {}).get(q, q) for q in results["question"]]
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
    """Display table of :class:`ParticipantComparison` ``table``: per question, the pairs who
    answered higher (or changed to yes), the same and lower (or changed to no), the shares
    positive before and after, the change in the share answering yes and the test."""
    return pd.DataFrame(
        {
            "Question": table["label"],
            "Pairs": table["n"],
            "Higher after (or no to yes)": direction_cells(table, "n_higher"),
            "The same": direction_cells(table, "n_same"),
            "Lower after (or yes to no)": direction_cells(table, "n_lower"),
            "Positive before (%)": [format_number(v, 0) for v in table["Before"]],
            "Positive after (%)": [format_number(v, 0) for v in table["After"]],
            f"Change in yes (points, {format_number(100 * level, 0)}% interval)": (
                paired_change_cells(table)
            ),
            "Test": table["test"],
            "p-value": p_value_cells(table["p_value"]),
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
    """What participants said: the findings, the shares who answered higher, the same and lower
    (chart), the tests (table). Offers ``participant_survey``."""
    survey = report.survey
    table = survey.table
    sentence = " ".join(table["finding"])
    caption = survey_caption(survey)
    shares = pd.DataFrame(
        {
            "label": [charts.wrap_title(str(v), 28) for v in table["label"]],
            **{
                key: 100 * table[column] / table["n"]
                for key, column in (
                    ("lower", "n_lower"),
                    ("same", "n_same"),
                    ("higher", "n_higher"),
                )
            },
        }
    )
    figure = charts_evaluation.plot_paired_changes(
        shares, title="Participants whose answer was higher, the same or lower after"
    )
    return (
        Section()
        .text(sentence)
        .figure(
            figure,
            caption=caption,
            alt=(
                f"Stacked bar chart, one bar per question, of the share of {survey.pairs} paired "
                "participants whose answer was lower (hatched), the same (dotted) and higher "
                "(plain) after the programme; for yes/no questions higher is a change from no "
                "to yes. " + sentence
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
    "pre_trends_parallel": "parallel trends before the programme evidenced",
    "pre_trends_evidenced": "parallel trends before the programme evidenced",
    "pre_trend_margin": "equivalence margin",
    "ci_lower": "lower end of interval",
    "ci_upper": "upper end of interval",
    "n": "pairs",
}


#: Decimals of the funding figures in framework findings, as the funding table shows them.
_FIELD_DECIMALS = {
    "spend_pct_of_allocation": 1,
    "spend": 0,
    "allocation": 0,
    "participants": 0,
    "sessions": 0,
    "cost_per_participant": 0,
    "cost_per_session": 0,
}


def describe_evidence_key(key: str, names: Mapping[str, str] | None = None) -> str:
    """Plain words for an evidence key, e.g. ``did_NI192.p_value`` -> "NI192 difference-in-
    differences: p-value"; ``names`` gives an indicator's title or a question's wording by the
    key's first part (``did_NI192``, ``survey_confidence``)."""
    head, _, field = key.partition(".")
    named = (names or {}).get(head)
    if head == "funding_total":
        what = "Programme total"
    elif head.startswith("did_"):
        what = f"{named or head[4:]} difference-in-differences"
    elif head.startswith("survey_"):
        what = f"Participant survey, {named or head[7:].replace('_', ' ')}"
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


def evidence_names(report: ProgrammeReport) -> dict[str, str]:
    """How the framework names each indicator (its title and code) and survey question (its
    wording), by evidence key (``did_NI192``, ``survey_confidence``)."""
    register = report.data.indicators.set_index("code")
    names = {f"did_{c}": indicator_name(register, c) for c in report.outcomes.table["indicator"]}
    survey = report.survey.table
    names |= {f"survey_{q}": str(w) for q, w in zip(survey["question"], survey["label"])}
    return names


def pre_trend_finding(report: ProgrammeReport, key: str) -> str | None:
    """The pre-trend sentence (evidenced or not, with the margin) for a framework item whose
    evidence is an indicator's ``pre_trends_evidenced`` (or ``pre_trends_parallel``)."""
    head, _, field = key.partition(".")
    if field not in ("pre_trends_evidenced", "pre_trends_parallel") or not head.startswith("did_"):
        return None
    return report.outcomes.pre_trend_findings.get(head[4:])


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
    items = framework_items(report.params["evaluation_framework"])
    names = evidence_names(report)
    for item in items:
        item["label"] = describe_evidence_key(item["evidence"], names)
        field = item["evidence"].partition(".")[2]
        if field in _FIELD_DECIMALS:
            item["decimals"] = _FIELD_DECIMALS[field]
    result = evaluation.evaluate_framework(items, programme_evidence(report))
    result["finding"] = [
        pre_trend_finding(report, item["evidence"]) or finding
        for item, finding in zip(items, result["finding"])
    ]
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
