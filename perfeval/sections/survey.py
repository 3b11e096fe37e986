"""Report sections for the resident survey report and the State of the Nation "Resident views".

The survey report's sections each return a :class:`~perfeval.present.section.Section` built
from the state :func:`prepare_survey` makes once (the questions, the data note and the weighted
waves); a notebook cell records a section's key figures and displays it. The small pure
functions they are built from (a table, a display table, a sentence, a caption) are public, so
that every number in the text is computed here and tested; the charts are in
:mod:`perfeval.present.charts_survey`.

Survey report (``notebooks/survey_report.ipynb``)
    :func:`survey_opening`; :func:`about_survey` weights each wave (:func:`weigh_survey`: raking
    to the population margins with :func:`perfeval.stats.survey.rake_weights`, or the supplied
    weights) and reports convergence, the design effect due to weighting and the margins
    achieved; :func:`headline_measures` gives the weighted share positive per question (Wilson
    intervals on the effective base); :func:`change_since_last_wave` tests the change since an
    earlier wave (Holm across questions); :func:`group_differences` compares each group with
    the rest of the sample (Holm across the groups of a breakdown, per question);
    :func:`method_and_caveats` states method and caveats.

State of the Nation
    :func:`resident_views` builds its "Resident views" from the same pieces.

Disclosure control
    Every published estimate goes through :func:`control_disclosure`
    (:func:`perfeval.stats.survey.apply_disclosure_control` with ``count_column="count"``): fewer
    than ``min_cell`` respondents in a group, or giving (or not giving) a positive answer, is
    ``[c]``, with secondary suppression so no ``[c]`` figure can be worked out from a published
    total; a base under ``min_base`` is ``[low]``. Tables for the record keep only the controlled
    values, and anything derived from a hidden estimate (difference from the rest, change,
    finding) is blanked too, so a suppressed value reaches neither the HTML nor the manifest.

Answers coded as ``excluded`` in the codebook ("don't know") are removed from the base; a share
is always published with its unweighted base.

One council's survey
    Every survey table carries the ``authority`` it belongs to, and every read here is of the
    report's council only (:func:`council_survey`), so one council's report never shows another
    council's survey. Whether a survey is synthetic comes from its respondents' ``synthetic``
    column (:func:`survey_kind`), never from an assumption about the data folder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError
from perfeval.core.formatting import format_number, plural
from perfeval.core.periods import LATEST_WAVE, PREVIOUS_WAVE
from perfeval.data import notes
from perfeval.data.loader import Dataset, council_name
from perfeval.present import charts_survey, narrative
from perfeval.present.charts_survey import SIGNIFICANCE_MARKS, TOTAL_LABEL, breakdown_label
from perfeval.present.html import parameters_table
from perfeval.present.section import Section
from perfeval.sections.common import opening_section
from perfeval.stats import disclosure, survey, weighting

FINAL_WEIGHT = "final_weight"
#: How a change between waves is judged, for the change table's note and the method notes.
CHANGE_NOTE = (
    "Change between waves: Newcombe's hybrid score interval (Newcombe 1998, Stat Med 17:873, "
    "method 10) for the difference of the two waves' shares, treating the waves as independent "
    "samples, on their effective bases (Wald's difference +/- z x se is not used: it leaves "
    "[-1, 1] and has no width at 0% or 100%). A change is significant when its interval "
    "excludes zero. Holm's adjustment across the questions is applied to the intervals' level: "
    "the change with the k-th smallest of m p-values has a 1 - alpha/(m - k + 1) interval, up "
    "to the first that is not significant, whose level the rest share; the p-value shown is "
    "the one that matches the interval (1 minus the level at which it just reaches zero), "
    "Holm-adjusted."
)

SYNTHETIC_NOTE = (
    "SYNTHETIC: this resident survey is generated sample data (a Place-Survey-style "
    "survey with made-up respondents, answers, weights and population margins) for "
    "demonstration only. It is not a real survey and says nothing about what the "
    "council's residents think."
)
#: Caption sentences for a survey's kind (:func:`survey_kind`).
SAMPLE_SURVEY, SYNTHETIC_SURVEY = "Synthetic sample survey.", "Synthetic survey data."


# --------------------------------------------------------------------------- data
def council_survey(frame: pd.DataFrame, survey_name: str, council: str) -> pd.DataFrame:
    """The rows of a survey table for one survey of one council (``survey``, ``authority``)."""
    rows = notes.council_rows(frame, council)
    return rows[rows["survey"] == survey_name]


def survey_waves(data: Dataset, survey_name: str, council: str) -> list[str]:
    """The waves of a council's survey that have respondents, sorted."""
    return sorted(set(council_survey(data.survey_responses, survey_name, council)["wave"]))


def survey_kind(data: Dataset, responses: pd.DataFrame) -> str:
    """The caption sentence for what a survey's respondents are: :data:`SAMPLE_SURVEY` (perfeval's
    synthetic sample), :data:`SYNTHETIC_SURVEY` (labelled synthetic in a council's folder), or
    ``""`` when no respondent is labelled synthetic."""
    label = notes.synthetic_label(data, responses)
    return {"synthetic sample data": SAMPLE_SURVEY, "": ""}.get(label, SYNTHETIC_SURVEY)


def survey_data_note(data: Dataset, council: str, survey_name: str) -> str:
    """The survey report's data-honesty note: :data:`SYNTHETIC_NOTE` for perfeval's synthetic
    sample, else what the council's own survey table says it is."""
    responses = council_survey(data.survey_responses, survey_name, council)
    kind = survey_kind(data, responses)
    if kind == SAMPLE_SURVEY:
        return SYNTHETIC_NOTE
    name = council_name(data, council)
    if kind:
        return (
            f"SYNTHETIC: the {survey_name} survey of {name} in survey_responses.csv is labelled "
            "synthetic (generated respondents and answers), so it says nothing about what "
            "residents think."
        )
    return (
        f"Data: the {survey_name} survey of {name}, as supplied in survey_responses.csv "
        f"({len(responses):,} respondents over {len(set(responses['wave']))} wave(s)), with "
        "its codebook and population margins."
    )


def survey_questions(data: Dataset, survey_name: str, council: str) -> pd.DataFrame:
    """One row per question of a council's survey: wording, positive and excluded codes from
    the codebook."""
    book = council_survey(data.survey_codebook, survey_name, council)
    rows = []
    for question, items in book.groupby("question", sort=True):
        rows.append(
            {
                "question": question,
                "wording": items["wording"].iloc[0],
                "positive": items.loc[items["positive"], "code"].astype(int).tolist(),
                "excluded": items.loc[items["excluded"], "code"].astype(int).tolist(),
                "positive_labels": " or ".join(items.loc[items["positive"], "label"]),
            }
        )
    return pd.DataFrame(rows)


def question_wordings(questions: pd.DataFrame) -> dict[str, str]:
    """Each question code's wording from the codebook (:func:`survey_questions`)."""
    return dict(zip(questions["question"], questions["wording"]))


def quote_question(code: str, wording: Mapping[str, str] | None = None) -> str:
    """The question as a reader knows it, in quotation marks: its codebook wording
    (``"Q01"`` -> ``'"Overall, how satisfied ... to live?"'``); the code only when the codebook
    gives no wording."""
    text = (wording or {}).get(code)
    return f"“{text}”" if isinstance(text, str) and text.strip() else str(code)


def wave_responses(data: Dataset, survey_name: str, wave: str, council: str) -> pd.DataFrame:
    """The respondents of one wave of one council's survey.

    Raises
    ------
    AnalysisError
        If the council's survey has no respondents in that wave (the message lists the waves it
        has).
    """
    responses = council_survey(data.survey_responses, survey_name, council)
    rows = responses[responses["wave"] == wave]
    if rows.empty:
        raise AnalysisError(
            f"Survey {survey_name!r} of {council!r} has no respondents in wave "
            f"{wave!r} in survey_responses.csv; its waves are "
            f"{survey_waves(data, survey_name, council)}."
        )
    return rows.reset_index(drop=True)


def recode_positive(responses: pd.DataFrame, questions: pd.DataFrame) -> pd.DataFrame:
    """Each question's answers as 1 (positive), 0 (other valid answer) or missing.

    Missing answers and the codebook's excluded codes (don't know) become missing, so they are
    left out of the base; other columns are unchanged.
    """
    recoded = responses.copy()
    for item in questions.itertuples():
        answers = responses[item.question]
        valid = answers.notna() & ~answers.isin(item.excluded)
        recoded[item.question] = np.where(valid, answers.isin(item.positive).astype(float), np.nan)
    return recoded


# --------------------------------------------------------------------------- weighting
def weight_wave(
    responses: pd.DataFrame, margins: pd.DataFrame, *, rake: bool
) -> tuple[pd.DataFrame, weighting.RakingReport | None]:
    """The wave's respondents with a ``final_weight`` column, and the raking report if raked.

    With ``rake`` the supplied weights are the starting weights, raked to every margin in
    ``margins`` (:func:`perfeval.stats.survey.rake_weights`, which raises if it does not converge);
    otherwise the supplied weights are used as they are.
    """
    if not rake:
        return responses.assign(**{FINAL_WEIGHT: responses["weight"]}), None
    weights, report = weighting.rake_weights(
        responses, margins[["variable", "category", "share"]], weight="weight"
    )
    weighted = responses.assign(**{FINAL_WEIGHT: weights})
    weighted.attrs["calibration"] = report.calibration  # so the SEs allow for the raking
    return weighted, report


def margin_table(responses: pd.DataFrame, margins: pd.DataFrame) -> pd.DataFrame:
    """Population target, unweighted sample and weighted shares of each margin category.

    Returns columns ``variable``, ``category``, ``target_share``, ``base`` (respondents in the
    category), ``sample_share`` and ``weighted_share`` (shares are fractions 0-1).
    """
    rows = []
    total = responses[FINAL_WEIGHT].sum()
    for item in margins.itertuples():
        members = responses[item.variable].astype(str) == str(item.category)
        rows.append(
            {
                "variable": item.variable,
                "category": item.category,
                "target_share": float(item.share),
                "base": int(members.sum()),
                "sample_share": members.mean(),
                "weighted_share": responses.loc[members, FINAL_WEIGHT].sum() / total,
            }
        )
    return pd.DataFrame(rows)


def control_margins(table: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """:func:`margin_table` with categories of fewer than ``min_cell`` respondents shown as [c].

    The sample composition is itself a count of respondents, so it is protected like any other
    table (with secondary suppression within each variable); population targets are not survey
    figures and stay.
    """
    controlled = disclosure.apply_disclosure_control(
        table, min_base=1, min_cell=min_cell, group_columns=["category"], table_columns=["variable"]
    )
    return controlled.assign(target_share=table["target_share"])


def weighting_summary(
    weighted: dict[str, pd.DataFrame], reports: dict[str, weighting.RakingReport | None]
) -> pd.DataFrame:
    """One row per wave: respondents, design effect due to weighting, effective base, raking."""
    rows = []
    for wave, responses in weighted.items():
        report = reports[wave]
        deff = weighting.weighting_design_effect(responses[FINAL_WEIGHT])
        rows.append(
            {
                "wave": wave,
                "respondents": len(responses),
                "design_effect": deff,
                "effective_base": len(responses) / deff,
                "raked": report is not None,
                "converged": report.converged if report else None,
                "iterations": report.iterations if report else None,
                "max_margin_error": report.max_margin_error if report else None,
            }
        )
    return pd.DataFrame(rows)


def describe_weighting(summary: pd.DataFrame) -> str:
    """Sentence: respondents, how the weights were made and what weighting cost in precision."""
    parts = []
    for row in summary.itertuples():
        how = (
            "supplied weights used as they are (not re-raked)."
            if not row.raked
            else "weights raked to the population margins."
            if row.converged
            else "weights raked to the population margins, but the raking did not converge: "
            "the weighted sample does not match every margin (see the margins table)."
        )
        parts.append(
            f"Wave {row.wave}: {row.respondents:,} respondents; {how} The design effect "
            f"due to weighting is {row.design_effect:.2f}, so the sample is worth "
            f"{row.effective_base:,.0f} respondents chosen at random."
        )
    return " ".join(parts)


def margins_display(controlled: pd.DataFrame) -> pd.DataFrame:
    """Display table of :func:`control_margins`: percentages, with [c] for protected categories."""

    def pct(values: pd.Series) -> list[str]:
        return [s if s else narrative.percent(v, 1) for v, s in zip(values, controlled["symbol"])]

    return pd.DataFrame(
        {
            "Variable": [breakdown_label(v) for v in controlled["variable"]],
            "Category": controlled["category"].astype(str).to_numpy(),
            "Population target": [narrative.percent(v, 1) for v in controlled["target_share"]],
            "Sample, unweighted": pct(controlled["sample_share"]),
            "Sample, weighted": pct(controlled["weighted_share"]),
            "Respondents": [
                s if s else f"{int(b):,}" for b, s in zip(controlled["base"], controlled["symbol"])
            ],
        }
    )


def describe_margins(controlled: pd.DataFrame, wave: str) -> str:
    """Sentence (and chart text alternative): the most under-represented group and the fit."""
    shown = controlled[controlled["symbol"] == ""]
    if shown.empty:
        return f"Every sample share in wave {wave} is suppressed ([c]); only the targets are shown."
    gap = shown["sample_share"] - shown["target_share"]
    under = shown.loc[gap.idxmin()]
    largest = (shown["weighted_share"] - shown["target_share"]).abs().max()
    hidden = len(controlled) - len(shown)
    return (
        f"Before weighting, the wave {wave} sample under-represents {under['category']} "
        f"({under['variable'].replace('_', ' ')}): {narrative.percent(under['sample_share'], 1)} "
        f"of respondents against {narrative.percent(under['target_share'], 1)} of the "
        f"population. After weighting every shown category "
        + (
            "matches its target to 0.1 percentage points."
            if largest < 0.0005
            else f"is within {largest * 100:.1f} percentage points of its target."
        )
        + (f" {hidden} category share(s) are suppressed ([c])." if hidden else "")
    )


def report_subtitle(data: Dataset, params: dict[str, Any]) -> str:
    """Council, survey, wave and comparison wave in one line."""
    compared = f", compared with {params['comparison_wave']}" if params["comparison_wave"] else ""
    return (
        f"{council_name(data, params['council'])} ({params['council']}): "
        f"{params['survey']} survey, wave {params['wave']}{compared}."
    )


@dataclass(frozen=True, eq=False)
class Weighting:
    """Each wave's respondents weighted to the population, and what the weighting did.

    ``responses`` maps each wave (the reported wave first, then the comparison wave if any) to
    its respondents with their ``final_weight``; ``summary`` is :func:`weighting_summary`;
    ``margins`` the reported wave's margins achieved, disclosure-controlled
    (:func:`control_margins`); ``kind`` the caption sentence saying whether the survey is
    synthetic (:func:`survey_kind`); ``wave`` the reported wave.
    """

    responses: dict[str, pd.DataFrame]
    summary: pd.DataFrame
    margins: pd.DataFrame
    kind: str
    wave: str


#: The columns of the margins achieved published as a key figure.
MARGIN_COLUMNS = [
    "variable",
    "category",
    "target_share",
    "base",
    "sample_share",
    "weighted_share",
    "symbol",
]


def weigh_survey(
    data: Dataset,
    *,
    council: str,
    survey_name: str,
    wave: str,
    comparison_wave: str,
    rake: bool,
    min_cell: int,
) -> Weighting:
    """Weight the reported wave and the comparison wave (when not ``""``) of a council's survey.

    Each wave is weighted on its own (:func:`weight_wave`: raked to the council's population
    margins when ``rake``, else the supplied weights); the margins achieved are those of
    ``wave``, with categories of fewer than ``min_cell`` respondents shown as [c].

    Raises
    ------
    AnalysisError
        If a wave has no respondents (:func:`wave_responses`).
    """
    waves = [wave, comparison_wave] if comparison_wave else [wave]
    margins = council_survey(data.survey_population_margins, survey_name, council)
    weighted, reports = {}, {}
    for each in waves:
        weighted[each], reports[each] = weight_wave(
            wave_responses(data, survey_name, each, council), margins, rake=rake
        )
    return Weighting(
        responses=weighted,
        summary=weighting_summary(weighted, reports),
        margins=control_margins(margin_table(weighted[wave], margins), min_cell),
        kind=survey_kind(data, pd.concat(list(weighted.values()))),
        wave=wave,
    )


def weighting_display(summary: pd.DataFrame) -> pd.DataFrame:
    """Display table of :func:`weighting_summary`: respondents, weights, convergence, design
    effect and effective base per wave."""
    return pd.DataFrame(
        {
            "Wave": summary["wave"],
            "Respondents": [f"{n:,}" for n in summary["respondents"]],
            "Weights": [
                "raked to population margins" if r else "supplied weights" for r in summary["raked"]
            ],
            "Converged": [
                ("yes" if c else "NO") + f" ({i} iterations)" if r else "not raked"
                for r, c, i in zip(summary["raked"], summary["converged"], summary["iterations"])
            ],
            "Design effect due to weighting": [f"{d:.2f}" for d in summary["design_effect"]],
            "Effective base": [f"{e:,.0f}" for e in summary["effective_base"]],
        }
    )


def margins_caption(wave: str, kind: str = "") -> str:
    """Caption of the margins chart and table (``kind`` from :func:`survey_kind` ends it)."""
    return (
        f"Population margins (targets) against the wave {wave} sample before and after "
        f"weighting. {kind}"
    ).strip()


# --------------------------------------------------------------------------- estimates
def share_positive(
    responses: pd.DataFrame,
    questions: pd.DataFrame,
    *,
    by: str | None = None,
    level: float = 0.95,
    weight: str = FINAL_WEIGHT,
) -> pd.DataFrame:
    """Weighted share giving a positive answer to each question, overall or by one breakdown.

    Don't-know answers are excluded from the base (:func:`recode_positive`). Intervals are Wilson
    score intervals on the effective base (:func:`perfeval.stats.survey.estimate`, which uses them
    for a proportion from weighted data without strata or clusters).

    Returns
    -------
    pandas.DataFrame
        ``question``, the breakdown column if any, and the columns of
        :func:`perfeval.stats.survey.estimate` (``estimate``, ``ci_low``, ``ci_high``, ``base``,
        ``effective_base``, ``count``, ...); ``attrs`` name ``question`` as the table column.
    """
    names = list(questions["question"])
    table = survey.estimate(
        recode_positive(responses, questions),
        names,
        statistic="proportion",
        weight=weight,
        by=by,
        level=level,
        calibration=responses.attrs.get("calibration") if weight == FINAL_WEIGHT else None,
    )
    table = table.rename(columns={"variable": "question"})
    table.attrs = {"group_columns": [by] if by else [], "table_columns": ["question"]}
    return table


def control_disclosure(
    table: pd.DataFrame, *, min_base: int, min_cell: int, total_label: str | None = None
) -> pd.DataFrame:
    """Apply :func:`~perfeval.stats.survey.apply_disclosure_control` to small answer counts too.

    A group with fewer than ``min_cell`` respondents, or fewer than ``min_cell`` giving (or not
    giving) a positive answer, is ``[c]``; a base under ``min_base`` is ``[low]``.
    """
    return disclosure.apply_disclosure_control(
        table, count_column="count", min_base=min_base, min_cell=min_cell, total_label=total_label
    )


def result_texts(controlled: pd.DataFrame) -> list[str]:
    """Each row's "85% (base 950)", "[low] (base 32)" or "[c]"."""
    return [
        disclosure.format_percentage_with_base(p, b, symbol=s)
        for p, b, s in zip(controlled["estimate"], controlled["base"], controlled["symbol"])
    ]


def interval_texts(controlled: pd.DataFrame) -> list[str]:
    """Each row's "81% to 88%", or its symbol when not published."""
    return [
        s if s else f"{narrative.percent(lo)} to {narrative.percent(hi)}"
        for lo, hi, s in zip(controlled["ci_low"], controlled["ci_high"], controlled["symbol"])
    ]


def describe_headline(controlled: pd.DataFrame, wave: str) -> str:
    """Sentence: the most and least positive published results, each with its base."""
    shown = controlled[controlled["published"]]
    if shown.empty:
        return f"No result of the {wave} survey has a base large enough to publish."
    top, bottom = shown.loc[shown["estimate"].idxmax()], shown.loc[shown["estimate"].idxmin()]
    hidden = len(controlled) - len(shown)
    wording = question_wordings(controlled) if "wording" in controlled.columns else None
    return (
        f"In the {wave} survey the most positive result was for "
        f"{quote_question(top['question'], wording)} ({narrative.percent(top['estimate'])} of "
        f"{int(top['base']):,} respondents answering) and the least positive for "
        f"{quote_question(bottom['question'], wording)} "
        f"({narrative.percent(bottom['estimate'])} of {int(bottom['base']):,})."
        + (
            f" {plural(hidden, 'result')} {'is' if hidden == 1 else 'are'} not published "
            "([c] or [low])."
            if hidden
            else ""
        )
    )


def controlled_shares(
    responses: pd.DataFrame, questions: pd.DataFrame, *, level: float, min_base: int, min_cell: int
) -> pd.DataFrame:
    """:func:`share_positive` for all respondents after :func:`control_disclosure`."""
    return control_disclosure(
        share_positive(responses, questions, level=level), min_base=min_base, min_cell=min_cell
    )


#: The columns of the headline shares published as a key figure.
HEADLINE_COLUMNS = ["question", "estimate", "ci_low", "ci_high", "base", "effective_base", "symbol"]


def headline_shares(
    responses: pd.DataFrame, questions: pd.DataFrame, *, level: float, min_base: int, min_cell: int
) -> pd.DataFrame:
    """Share positive per question with intervals and bases, disclosure-controlled
    (:func:`controlled_shares`), with each question's wording and positive answers."""
    controlled = controlled_shares(
        responses, questions, level=level, min_base=min_base, min_cell=min_cell
    )
    return controlled.merge(questions[["question", "wording", "positive_labels"]], on="question")


def headline_display(controlled: pd.DataFrame, level: float) -> pd.DataFrame:
    """Display table of :func:`headline_shares`: question, positive answers, share (base),
    interval and effective base, a symbol in place of every hidden figure."""
    return pd.DataFrame(
        {
            "Question": [
                f"{q}: {w}" for q, w in zip(controlled["question"], controlled["wording"])
            ],
            "Positive answers": controlled["positive_labels"].to_numpy(),
            "Share positive (base)": result_texts(controlled),
            f"{level:.0%} interval": interval_texts(controlled),
            "Effective base": [
                s if s else f"{e:,.0f}"
                for e, s in zip(controlled["effective_base"], controlled["symbol"])
            ],
        }
    )


def describe_headline_chart(controlled: pd.DataFrame, sentence: str) -> str:
    """Text alternative of the headline chart: the sentence, then each published share with
    its base."""
    shown = controlled[controlled["published"]]
    wording = question_wordings(controlled) if "wording" in controlled.columns else None
    return (
        sentence
        + " "
        + "; ".join(
            f"{quote_question(q, wording)} {narrative.percent(e)} (base {int(b):,})"
            for q, e, b in zip(shown["question"], shown["estimate"], shown["base"])
        )
        + "."
    )


def headline_caption(wave: str, level: float, kind: str = "") -> str:
    """Caption of the headline chart and table (``kind`` from :func:`survey_kind` ends it)."""
    return (
        f"Resident survey {wave}: weighted share giving a positive answer, with "
        f"{level:.0%} Wilson intervals. {kind}"
    ).strip()


# --------------------------------------------------------------------------- change
def change_between_waves(
    before: pd.DataFrame, after: pd.DataFrame, *, level: float
) -> pd.DataFrame:
    """Change per question between two controlled headline tables, Holm-adjusted.

    Newcombe's interval for each change on the waves' effective bases, significant when it
    excludes zero, with Holm's adjustment applied to the intervals' level
    (:func:`perfeval.stats.survey.compare_waves`,
    :data:`perfeval.stats.survey.COMPARISON_METHOD`). Only questions published in both waves are
    tested (so the Holm family is the published questions); the others get the finding "not
    tested" and no numbers.
    """
    both = set(before.loc[before["published"], "question"]) & set(
        after.loc[after["published"], "question"]
    )
    tested = survey.compare_waves(
        before[before["question"].isin(both)],
        after[after["question"].isin(both)],
        on="question",
        level=level,
        adjust="holm",
        statistic="proportion",
    )
    table = after[["question"]].merge(tested, on="question", how="left")
    table["finding"] = (
        table["finding"].astype(object).fillna("not tested: not published in both waves")
    )
    return table[
        [
            "question",
            "estimate_earlier",
            "estimate_later",
            "base_earlier",
            "base_later",
            "difference",
            "ci_low",
            "ci_high",
            "ci_level",
            "p_adjusted",
            "significant",
            "finding",
        ]
    ]


def interval_with_level_texts(change: pd.DataFrame) -> list[str]:
    """Each change's interval in points with its (Holm-adjusted) level: "+2.1 to +9.8 (98.3%)"."""
    return [
        "" if pd.isna(lo) else f"{lo * 100:+.1f} to {hi * 100:+.1f} ({level:.1%})"
        for lo, hi, level in zip(change["ci_low"], change["ci_high"], change["ci_level"])
    ]


def describe_change(
    change: pd.DataFrame,
    wave: str,
    comparison_wave: str,
    wording: Mapping[str, str] | None = None,
) -> str:
    """Sentence: how many results changed significantly since the comparison wave, and which
    (each question by its ``wording``, :func:`question_wordings`)."""
    tested = change[change["difference"].notna()]
    moved = tested[tested["significant"].astype(bool)]
    if tested.empty:
        return f"No result is published in both {comparison_wave} and {wave}, so none is compared."
    if moved.empty:
        return (
            f"None of the {len(tested)} results compared changed significantly between "
            f"{comparison_wave} and {wave} (Holm-adjusted)."
        )
    parts = [
        f"{quote_question(str(r.question), wording)} {r.finding.replace('significant ', '')} "
        f"of {format_number(abs(r.difference) * 100, 1)} points "
        f"({narrative.percent(r.estimate_earlier)} of {int(r.base_earlier):,} to "
        f"{narrative.percent(r.estimate_later)} of {int(r.base_later):,})"
        for r in moved.itertuples()
    ]
    return (
        f"{len(moved)} of {len(tested)} results changed significantly between "
        f"{comparison_wave} and {wave} (Holm-adjusted): " + "; ".join(parts) + "."
    )


@dataclass(frozen=True, eq=False)
class WaveChange:
    """The change per question between two waves (:func:`change_between_waves`), with each
    wave's controlled shares in the change table's question order."""

    change: pd.DataFrame
    earlier: pd.DataFrame
    later: pd.DataFrame


def wave_change(
    responses: dict[str, pd.DataFrame],
    questions: pd.DataFrame,
    *,
    wave: str,
    comparison_wave: str,
    level: float,
    min_base: int,
    min_cell: int,
) -> WaveChange:
    """Change since the comparison wave, both waves' shares disclosure-controlled first.

    ``responses`` holds each wave's weighted respondents (:attr:`Weighting.responses`).
    """
    before, after = (
        controlled_shares(
            responses[w], questions, level=level, min_base=min_base, min_cell=min_cell
        )
        for w in (comparison_wave, wave)
    )
    change = change_between_waves(before, after, level=level)
    return WaveChange(
        change=change,
        earlier=before.set_index("question").loc[change["question"]].reset_index(),
        later=after.set_index("question").loc[change["question"]].reset_index(),
    )


def points_texts(values: pd.Series) -> list[str]:
    """Each fraction as signed percentage points ("+4.2"), blank when missing."""
    return [signed_points(v) for v in values]


def signed_points(value: float) -> str:
    """A fraction as signed percentage points rounded half up (``0.0425`` -> ``"+4.3"``), blank
    when missing, as :func:`perfeval.core.formatting.format_number` rounds a sentence's."""
    if pd.isna(value):
        return ""
    text = format_number(float(value) * 100, 1)
    return text if text.startswith("-") else f"+{text}"


def change_display(moved: WaveChange, wave: str, comparison_wave: str) -> pd.DataFrame:
    """Display table of :func:`wave_change`: each wave's share (base), the change and its
    interval in points, and the finding."""
    change = moved.change
    return pd.DataFrame(
        {
            "Question": change["question"],
            comparison_wave: result_texts(moved.earlier),
            wave: result_texts(moved.later),
            "Change (points)": points_texts(change["difference"]),
            "Interval (points)": interval_with_level_texts(change),
            "Finding": change["finding"],
        }
    )


def describe_change_chart(
    change: pd.DataFrame, sentence: str, wording: Mapping[str, str] | None = None
) -> str:
    """Text alternative of the change chart: the sentence, then each tested change in points."""
    shown = change[change["difference"].notna()]
    return (
        sentence
        + " "
        + "; ".join(
            f"{quote_question(q, wording)} {d * 100:+.1f} points"
            for q, d in zip(shown["question"], shown["difference"])
        )
        + "."
    )


def change_caption(wave: str, comparison_wave: str, level: float, kind: str = "") -> str:
    """Caption of the change chart and table (``kind`` from :func:`survey_kind` ends it)."""
    return (
        f"Change in the share giving a positive answer between {comparison_wave} and "
        f"{wave}, with Newcombe intervals at {level:.0%} before Holm's adjustment "
        f"(each interval's own level is in the table). {kind}"
    ).strip()


#: The change table's note.
CHANGE_TABLE_NOTE = CHANGE_NOTE + " Only results published in both waves are compared."


# --------------------------------------------------------------------------- breakdowns
def groups_against_rest(
    responses: pd.DataFrame, questions: pd.DataFrame, by: str, *, level: float
) -> pd.DataFrame:
    """Each group against the rest of the sample, per question (Holm across the groups).

    Newcombe's interval for each difference on the effective bases of group and rest,
    significant when it excludes zero, Holm-adjusted levels
    (:func:`perfeval.stats.survey.compare_groups_with_rest`).
    """
    recoded = recode_positive(responses, questions)
    parts = [
        survey.compare_groups_with_rest(
            recoded,
            question,
            by,
            statistic="proportion",
            weight=FINAL_WEIGHT,
            level=level,
            adjust="holm",
            calibration=responses.attrs.get("calibration"),
        ).assign(question=question)
        for question in questions["question"]
    ]
    table = pd.concat(parts, ignore_index=True)
    return table.rename(columns={"ci_low": "difference_ci_low", "ci_high": "difference_ci_high"})[
        [
            "question",
            by,
            "difference",
            "difference_ci_low",
            "difference_ci_high",
            "p_adjusted",
            "significant",
            "finding",
        ]
    ]


def breakdown_table(
    responses: pd.DataFrame,
    questions: pd.DataFrame,
    by: str,
    *,
    level: float,
    min_base: int,
    min_cell: int,
) -> pd.DataFrame:
    """Share positive by group and for all respondents, disclosure-controlled, with comparisons.

    One row per question and group (``group``; the total row is :data:`TOTAL_LABEL`). The
    comparison with the rest is kept only for published rows: a hidden row shows nothing but
    its symbol (and, for ``[low]``, its base).
    """
    overall = share_positive(responses, questions, level=level).assign(**{by: TOTAL_LABEL})
    groups = share_positive(
        responses.assign(**{by: responses[by].astype(str)}), questions, by=by, level=level
    )
    both = pd.concat([groups, overall[groups.columns]], ignore_index=True)
    both.attrs = groups.attrs
    controlled = control_disclosure(
        both, min_base=min_base, min_cell=min_cell, total_label=TOTAL_LABEL
    )
    compared = groups_against_rest(
        responses.assign(**{by: responses[by].astype(str)}), questions, by, level=level
    )
    table = controlled.merge(compared, on=["question", by], how="left")
    hidden = ~table["published"] | (table[by] == TOTAL_LABEL)
    comparison = [
        "difference",
        "difference_ci_low",
        "difference_ci_high",
        "p_adjusted",
        "significant",
    ]
    table[comparison] = table[comparison].astype(float).mask(hidden)
    table["finding"] = np.where(
        table[by] == TOTAL_LABEL, "", np.where(hidden, table["symbol"], table["finding"])
    )
    table = table.rename(columns={by: "group"}).assign(breakdown=by)
    return table[
        [
            "breakdown",
            "group",
            "question",
            "estimate",
            "ci_low",
            "ci_high",
            "base",
            "difference",
            "difference_ci_low",
            "difference_ci_high",
            "p_adjusted",
            "finding",
            "symbol",
            "suppression",
            "published",
        ]
    ]


def breakdown_display(table: pd.DataFrame) -> pd.DataFrame:
    """Wide display: one row per group, one column per question, "72% (base 312) ▲" cells."""
    cells = [
        text + (f" {SIGNIFICANCE_MARKS[f]}" if f in SIGNIFICANCE_MARKS else "")
        for text, f in zip(result_texts(table), table["finding"])
    ]
    wide = table.assign(cell=cells).pivot(index="group", columns="question", values="cell")
    order = [g for g in dict.fromkeys(table["group"]) if g != TOTAL_LABEL] + [TOTAL_LABEL]
    wide = wide.reindex(order)
    wide.columns.name = None
    return wide.reset_index().rename(columns={"group": breakdown_label(table["breakdown"].iloc[0])})


def describe_breakdown(table: pd.DataFrame, wording: Mapping[str, str] | None = None) -> str:
    """Sentence: which groups differ significantly from the rest (each question by its
    ``wording``), and what is not published: the small groups suppressed and the groups hidden
    only to protect them (secondary suppression)."""
    label = breakdown_label(table["breakdown"].iloc[0]).lower()
    groups = table[table["group"] != TOTAL_LABEL]
    tested = groups[groups["difference"].notna()]
    moved = tested[tested["finding"].isin(list(SIGNIFICANCE_MARKS))]
    parts = [
        f"{r.group} {r.finding.replace('significantly ', '')} on "
        f"{quote_question(str(r.question), wording)} ({narrative.percent(r.estimate)} of "
        f"{int(r.base):,}; {r.difference * 100:+.0f} points)"
        for r in moved.itertuples()
    ]
    text = (
        f"By {label}, {len(moved)} of {len(tested)} group results differ significantly from "
        f"the rest of the sample (Holm-adjusted)" + (": " + "; ".join(parts) if parts else "") + "."
    )
    return text + describe_suppressed(groups, wording)


def describe_suppressed(groups: pd.DataFrame, wording: Mapping[str, str] | None = None) -> str:
    """Sentences naming what is not published: each group with too few respondents ([c]), each
    group hidden only so that a small one cannot be worked out from the total (secondary
    suppression, with the questions it applies to), and each base too small ([low])."""
    by_kind = groups.get("suppression", pd.Series("", index=groups.index))
    primary = groups[(groups["symbol"] == disclosure.SUPPRESSED) & (by_kind != "secondary")]
    secondary = groups[(groups["symbol"] == disclosure.SUPPRESSED) & (by_kind == "secondary")]
    low = groups[groups["symbol"] == disclosure.LOW_BASE]
    text = ""
    if not primary.empty:
        text += (
            f" {plural(len(primary), 'result')} {'is' if len(primary) == 1 else 'are'} "
            f"suppressed ([c]: too few "
            f"respondents), for {', '.join(dict.fromkeys(primary['group']))}."
        )
    for group, rows in secondary.groupby("group", sort=False):
        questions = "; ".join(quote_question(str(q), wording) for q in rows["question"])
        text += (
            f" {group} is also suppressed ([c]) on {questions}, so that the suppressed results "
            "cannot be worked out from the total (secondary suppression)."
        )
    if not low.empty:
        text += (
            f" {plural(len(low), 'result')} {'is' if len(low) == 1 else 'are'} not published: "
            "base too small ([low]), "
            f"for {', '.join(dict.fromkeys(low['group']))}."
        )
    return text


def breakdown_caption(by: str, wave: str, kind: str = "") -> str:
    """Caption of one breakdown's chart and table (``kind`` from :func:`survey_kind` ends it)."""
    return (
        f"Share giving a positive answer by {breakdown_label(by).lower()}, {wave} "
        f"(weighted). {kind}"
    ).strip()


def breakdowns_note(min_base: int, min_cell: int) -> str:
    """Footnote for the breakdown tables: marks, symbols and the tests used."""
    return (
        "▲ significantly higher, ▼ significantly lower than the rest of the sample ("
        "Newcombe's hybrid score interval for the difference, on the effective bases of the "
        "group and the rest, excludes zero; Holm-adjusted across the groups of the breakdown "
        "for each question). " + disclosure_note(min_base, min_cell)
    )


def disclosure_note(min_base: int, min_cell: int) -> str:
    """Footnote explaining [low] and [c] with this run's thresholds."""
    return (
        f"[low]: base under {min_base} respondents, not published. [c]: suppressed "
        f"because fewer than {min_cell} respondents are in the group, or give (or do not give) "
        "a positive answer, or to stop a suppressed figure being worked out from the others "
        "(secondary suppression)."
    )


# --------------------------------------------------------------------------- method
def method_notes(*, rake: bool, level: float, min_base: int, min_cell: int) -> list[str]:
    """The method in sentences, with the parameters of this run."""
    weighting = (
        "Weights: the supplied weights are raked (iterative proportional fitting, "
        "Deming and Stephan 1940) to the population margins in "
        "survey_population_margins.csv, each wave separately."
        if rake
        else "Weights: the supplied weights are used as they are (not re-raked)."
    )
    return [
        weighting,
        "Design effect due to weighting: Kish's 1 + CV² of the weights; the effective base is the "
        "number of respondents divided by it.",
        "Share positive: weighted share of respondents giving a positive answer; don't know "
        "answers and non-answers are excluded from the base.",
        f"Intervals: {level:.0%} Wilson score intervals (as R's svyciprop) on the sample size "
        "implied by the standard error, p(1 - p)/SE², with the t quantile on respondents minus "
        "one degrees of freedom; standard errors by Taylor linearisation"
        + (
            ", allowing for the raking (residuals from the margins, Deville and Särndal 1992)."
            if rake
            else ", treating the supplied weights as fixed."
        ),
        CHANGE_NOTE,
        "Groups against the rest: Newcombe's hybrid score interval (Newcombe 1998, method 10) "
        "for the difference between the group and the rest of the sample, on their effective "
        "bases; significant when the interval excludes zero, with Holm's adjustment applied to "
        "the intervals' level across the groups of each breakdown and question.",
        f"Disclosure control: [c] when fewer than {min_cell} respondents are in a cell (group, or "
        "group giving or not giving a positive answer), with secondary suppression; [low] when "
        f"the base is under {min_base}. Hidden figures are also left out of charts, text and the "
        "manifest.",
    ]


def caveats(data_note: str = "") -> list[str]:
    """What a reader must bear in mind, after the survey's data note (:func:`survey_data_note`)
    when given."""
    return [note for note in [data_note] if note] + [
        "A survey estimate has sampling error: read each figure with its interval, and call a "
        "difference a change only when it is significant.",
        "Weighting corrects the sample's profile on the margins used only; it cannot correct "
        "for other ways in which people who answer differ from those who do not.",
        "Many comparisons are made; Holm adjustment keeps the chance of any false finding "
        "within each family of tests at the stated level, not across the whole report.",
    ]


def describe_bases(summary: pd.DataFrame) -> str:
    """Text alternative of the bases chart: respondents and effective base per wave."""
    return (
        "Respondents and effective base by wave: "
        + "; ".join(
            f"{r.wave}: {r.respondents:,} respondents, effective base {r.effective_base:,.0f}"
            for r in summary.itertuples()
        )
        + "."
    )


# --------------------------------------------------------------------------- State of the Nation
def _wave_year(wave: str) -> int | None:
    """The calendar year a wave is labelled with (``"2024"``), or None for another label."""
    return int(wave) if wave.isdigit() and len(wave) == 4 else None


def _at_or_before(wave: str, year: str | None) -> bool:
    """True when a wave labelled with a calendar year Y was surveyed by the report year: Y is at
    most the first calendar year of the financial year (a 2024 wave for 2024/25, not for
    2023/24). A wave with another label, or no report year, always counts."""
    wave_year = _wave_year(wave)
    return year is None or wave_year is None or wave_year <= int(str(year)[:4])


def choose_waves(
    waves: Sequence[str], *, wave: str, previous_wave: str, year: str | None = None
) -> tuple[str | None, str | None, list[str]]:
    """The wave a report quotes, the wave it compares with, and what the reader must be told.

    ``wave`` is ``""`` (no survey results), :data:`~perfeval.run.schemas.LATEST_WAVE` (the
    latest of ``waves`` at or before the report ``year``: a wave labelled 2024 counts for
    2024/25, not for 2023/24) or a wave label. ``previous_wave`` is ``""`` (no comparison),
    :data:`~perfeval.run.schemas.PREVIOUS_WAVE` (the wave before the one quoted, if any) or a
    wave label.

    Returns
    -------
    tuple
        ``(wave or None, previous wave or None, notes)``: notes are sentences for the report when
        no wave is at or before the year, or when a chosen wave is after the report year or is not
        the latest one before it.
    """
    ordered = sorted(waves, key=lambda w: (_wave_year(w) is None, _wave_year(w) or 0, w))
    eligible = [w for w in ordered if _at_or_before(w, year)]
    said: list[str] = []
    if wave == "":
        return None, None, said
    if wave == LATEST_WAVE:
        if not eligible:
            return (
                None,
                None,
                [
                    f"Every wave of the survey ({', '.join(ordered)}) was carried out "
                    f"after {year}, the year of this report."
                ]
                if ordered
                else [],
            )
        wave = eligible[-1]
    elif not _at_or_before(wave, year):
        said.append(f"The {wave} wave was carried out after {year}, the year of this report.")
    elif eligible and eligible[-1] != wave:
        said.append(
            f"This report quotes the {wave} wave, not the latest wave before the end of "
            f"{year} ({eligible[-1]})."
        )
    if previous_wave == PREVIOUS_WAVE:
        earlier = ordered[: ordered.index(wave)] if wave in ordered else []
        previous_wave = earlier[-1] if earlier else ""
    return wave, previous_wave or None, said


def no_resident_views(data: Dataset, *, council: str, survey: str) -> dict[str, Any]:
    """The "Resident views" section when no wave is reported: one sentence saying why.

    The sentence says whether the data folder has no survey for the council at all, or has one
    and the report was run without a wave (``survey_wave = ""``).
    """
    name = council_name(data, council)
    waves = survey_waves(data, survey, council)
    sentence = (
        f"No resident survey wave was chosen (survey_wave is empty), so this report has "
        f"no Resident views; the {survey} survey of {name} has waves "
        f"{', '.join(waves)}."
        if waves
        else f"No resident survey results are in {notes.folder_words(data)} for {name}, so "
        "this report has no Resident views."
    )
    return {
        "table": pd.DataFrame(
            columns=[
                "question",
                "estimate",
                "ci_low",
                "ci_high",
                "base",
                "effective_base",
                "symbol",
            ]
        ),
        "display": None,
        "figure": None,
        "alt": "",
        "sentence": sentence,
        "caption": "",
        "note": "",
    }


def resident_views(
    data: Dataset,
    *,
    council: str,
    survey: str,
    wave: str,
    previous_wave: str | None,
    year: str | None = None,
    level: float = 0.95,
    min_base: int = 50,
    min_cell: int = 10,
    rake: bool = True,
) -> dict[str, Any]:
    """The State of the Nation "Resident views" section, from the survey report's own pieces.

    Uses :func:`weigh_survey`, :func:`headline_shares` and :func:`wave_change` with the survey
    report's default settings, so the two reports publish the same figures, from the council's
    own survey only. The waves are chosen by :func:`choose_waves` (``"latest"``: the latest at or
    before the report ``year``; ``"previous"``: the one before it), and the sentence says when a
    wave is after the report year or not the latest. An empty ``wave``, or no wave at or before
    the year, means no survey is reported: the section is one sentence
    (:func:`no_resident_views`).

    Returns
    -------
    dict
        ``table`` (for the record), ``display``, ``figure``, ``alt``, ``sentence``, ``caption``
        and ``note``.
    """
    chosen, previous_wave, said = choose_waves(
        survey_waves(data, survey, council), wave=wave, previous_wave=previous_wave or "", year=year
    )
    if not chosen:
        views = no_resident_views(data, council=council, survey=survey)
        if said:  # the council has a survey, but only after the report year
            views["sentence"] = f"{said[0]} This report therefore has no Resident views."
        return views
    wave = chosen
    weighting = weigh_survey(
        data,
        council=council,
        survey_name=survey,
        wave=wave,
        comparison_wave=previous_wave or "",
        rake=rake,
        min_cell=min_cell,
    )
    controlled = headline_shares(
        weighting.responses[wave],
        survey_questions(data, survey, council),
        level=level,
        min_base=min_base,
        min_cell=min_cell,
    )
    table, display = controlled[HEADLINE_COLUMNS], headline_display(controlled, level)
    sentence = describe_headline(controlled, wave)
    alt = describe_headline_chart(controlled, sentence)
    if previous_wave:
        moved = wave_change(
            weighting.responses,
            survey_questions(data, survey, council),
            wave=wave,
            comparison_wave=previous_wave,
            level=level,
            min_base=min_base,
            min_cell=min_cell,
        )
        table = table.merge(
            moved.change[["question", "estimate_earlier", "difference", "p_adjusted", "finding"]],
            on="question",
            how="left",
        )
        shown = change_display(moved, wave, previous_wave).set_index("Question")
        display = display.assign(
            **{
                f"Change since {previous_wave} (points)": shown.loc[
                    table["question"], "Change (points)"
                ].to_numpy(),
                "Finding": shown.loc[table["question"], "Finding"].to_numpy(),
            }
        )
        change_sentence = describe_change(
            moved.change,
            wave,
            previous_wave,
            question_wordings(survey_questions(data, survey, council)),
        )
        sentence, alt = f"{sentence} {change_sentence}", f"{alt} {change_sentence}"
    return {
        "table": table,
        "display": display,
        "figure": charts_survey.plot_headline_shares(
            controlled[controlled["published"]], wave=wave, level=level
        ),
        "alt": alt,
        "sentence": " ".join([*said, sentence]),
        "caption": headline_caption(wave, level, weighting.kind),
        "note": (
            f"{describe_weighting(weighting.summary)} Don't know answers are excluded "
            "from the base. " + disclosure_note(min_base, min_cell)
        ),
    }


# --------------------------------------------------------------------------- survey report
@dataclass(frozen=True, eq=False)
class SurveyReport:
    """What every section of the survey report needs, built once by :func:`prepare_survey`: the
    data, the validated parameters, the survey's questions, its data note and the weighted
    waves."""

    data: Dataset
    params: Mapping[str, Any]
    questions: pd.DataFrame
    data_note: str
    weighting: Weighting


def prepare_survey(data: Dataset, params: Mapping[str, Any]) -> SurveyReport:
    """The survey report's shared state from the data and its validated parameters.

    Parameters
    ----------
    data : Dataset
    params : mapping
        The validated parameters (``council``, ``survey``, ``wave``, ``comparison_wave``,
        ``rake``, ``min_cell``, ...).

    Raises
    ------
    AnalysisError
        If the reported or the comparison wave has no respondents.
    """
    council, name = params["council"], params["survey"]
    return SurveyReport(
        data=data,
        params=params,
        questions=survey_questions(data, name, council),
        data_note=survey_data_note(data, council, name),
        weighting=weigh_survey(
            data,
            council=council,
            survey_name=name,
            wave=params["wave"],
            comparison_wave=params["comparison_wave"],
            rake=params["rake"],
            min_cell=params["min_cell"],
        ),
    )


def _thresholds(report: SurveyReport) -> dict[str, Any]:
    """The estimate settings every section passes on: ``level``, ``min_base``, ``min_cell``."""
    return {key: report.params[key] for key in ("level", "min_base", "min_cell")}


def survey_opening(report: SurveyReport) -> Section:
    """The opening: council, survey and waves, then the survey's data note."""
    return opening_section(
        {"data_note": report.data_note}, subtitle=report_subtitle(report.data, dict(report.params))
    )


def about_survey(report: SurveyReport) -> Section:
    """About the survey: respondents and weighting per wave, and the margins achieved.

    Offers ``weighting`` and ``margins``.
    """
    weighting = report.weighting
    margins_sentence = describe_margins(weighting.margins, weighting.wave)
    caption = margins_caption(weighting.wave, weighting.kind)
    return (
        Section()
        .text(describe_weighting(weighting.summary))
        .table(
            weighting_display(weighting.summary),
            caption="Waves, respondents and weighting",
            row_header="Wave",
        )
        .text(margins_sentence)
        .figure(
            charts_survey.plot_margins(weighting.margins, weighting.wave),
            alt=margins_sentence,
            caption=caption,
        )
        .table(margins_display(weighting.margins), caption=caption, row_header="Category")
        .offer(
            "weighting",
            weighting.summary,
            "Respondents, design effect due to weighting and raking convergence per wave",
        )
        .offer(
            "margins",
            weighting.margins[MARGIN_COLUMNS],
            f"Population targets and "
            f"sample shares before and after weighting, wave {weighting.wave} "
            "([c] = suppressed)",
        )
    )


def headline_measures(report: SurveyReport) -> Section:
    """Headline measures: the weighted share positive per question, with its interval and base.

    Offers ``headline_shares``.
    """
    wave, level = report.weighting.wave, report.params["level"]
    controlled = headline_shares(
        report.weighting.responses[wave], report.questions, **_thresholds(report)
    )
    sentence = describe_headline(controlled, wave)
    caption = headline_caption(wave, level, report.weighting.kind)
    return (
        Section()
        .text(sentence)
        .figure(
            charts_survey.plot_headline_shares(
                controlled[controlled["published"]], wave=wave, level=level
            ),
            alt=describe_headline_chart(controlled, sentence),
            caption=caption,
        )
        .table(
            headline_display(controlled, level),
            caption=caption,
            row_header="Question",
            note=disclosure_note(report.params["min_base"], report.params["min_cell"]),
        )
        .offer(
            "headline_shares",
            controlled[HEADLINE_COLUMNS],
            f"Weighted share positive per question, wave {wave}, disclosure-controlled",
        )
    )


def change_since_last_wave(report: SurveyReport) -> Section:
    """Change since the comparison wave, Holm-adjusted across the questions; one sentence when
    no comparison wave was chosen.

    Offers ``change_since_comparison_wave`` (only when there is a comparison wave).
    """
    wave, earlier = report.weighting.wave, report.params["comparison_wave"]
    if not earlier:
        return Section().text(
            "No comparison wave was chosen (comparison_wave is empty), so no change is tested."
        )
    level = report.params["level"]
    moved = wave_change(
        report.weighting.responses,
        report.questions,
        wave=wave,
        comparison_wave=earlier,
        **_thresholds(report),
    )
    wording = question_wordings(report.questions)
    sentence = describe_change(moved.change, wave, earlier, wording)
    caption = change_caption(wave, earlier, level, report.weighting.kind)
    return (
        Section()
        .text(sentence)
        .figure(
            charts_survey.plot_wave_change(
                moved.change[moved.change["difference"].notna()],
                wave=wave,
                comparison_wave=earlier,
                level=level,
            ),
            alt=describe_change_chart(moved.change, sentence, wording),
            caption=caption,
        )
        .table(
            change_display(moved, wave, earlier),
            caption=caption,
            row_header="Question",
            note=CHANGE_TABLE_NOTE,
        )
        .offer(
            "change_since_comparison_wave",
            moved.change,
            f"Change in share positive, {earlier} to {wave}, Holm-adjusted",
        )
    )


def group_differences(report: SurveyReport) -> Section:
    """Differences between groups of residents: per breakdown a sentence, a small-multiple
    chart and a wide table, each group against the rest of the sample.

    Offers ``breakdowns`` (every breakdown's controlled table, stacked).
    """
    wave, kind = report.weighting.wave, report.weighting.kind
    responses, settings = report.weighting.responses[wave], _thresholds(report)
    note = breakdowns_note(settings["min_base"], settings["min_cell"])
    section, tables = Section(), []
    for by in report.params["breakdowns"]:
        table = breakdown_table(responses, report.questions, by, **settings)
        sentence = describe_breakdown(table, question_wordings(report.questions))
        caption = breakdown_caption(by, wave, kind)
        section.text(sentence).figure(
            charts_survey.plot_breakdown(table, level=settings["level"]),
            alt=sentence,
            caption=caption,
        )
        section.table(
            breakdown_display(table), caption=caption, row_header=breakdown_label(by), note=note
        )
        tables.append(table.drop(columns=["published", "suppression"]))
    stacked = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return section.offer(
        "breakdowns",
        stacked,
        f"Share positive by group against the rest, wave {wave}, disclosure-controlled",
    )


def method_and_caveats(report: SurveyReport) -> Section:
    """Method and caveats: the method with this run's settings, the caveats (the survey's data
    note first), what weighting costs in precision, and the parameters of the run."""
    params, summary = report.params, report.weighting.summary
    return (
        Section()
        .bullets(
            method_notes(
                rake=params["rake"],
                level=params["level"],
                min_base=params["min_base"],
                min_cell=params["min_cell"],
            ),
            heading="Method",
        )
        .bullets(caveats(report.data_note), heading="Caveats")
        .figure(
            charts_survey.plot_bases(summary),
            alt=describe_bases(summary),
            caption="What weighting costs in precision: respondents and effective base by wave.",
        )
        .table(
            parameters_table(dict(params)), caption="Parameters of this run", row_header="Parameter"
        )
    )
