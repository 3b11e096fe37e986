"""Unit tests for perfeval.sections.programme (programme evaluation) and the programme table
specs, on tiny hand-made data."""

from __future__ import annotations

import dataclasses
import importlib
import math
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from folders import minimal_folder
from money_data import AUTHORITIES, REGISTER, charts, column, dataset, tables, texts, values
from perfeval.core.exceptions import AnalysisError, DataValidationError, ParameterError
from perfeval.data.loader import Dataset, load_dataset
from perfeval.sections import programme


# --------------------------------------------------------------------------- programme
def programme_data() -> Dataset:
    strands = pd.DataFrame(
        {
            "programme": ["p", "p"],
            "strand": ["One", "Two"],
            "allocation": [1000.0, 3000.0],
            "spend": [1200.0, 2000.0],
            "participants": [4.0, 0.0],
            "sessions": [2.0, 1.0],
            "synthetic": [True, True],
        }
    )
    members = pd.DataFrame(
        {
            "programme": ["p"] * 4,
            "authority": ["A", "B", "C", "D"],
            "role": ["participating", "participating", "comparison", "comparison"],
            "synthetic": [True] * 4,
        }
    )
    survey = pd.DataFrame(
        {
            "programme": ["p"] * 6,
            "respondent_id": ["1", "2", "3", "1", "2", "3"],
            "wave": ["before"] * 3 + ["after"] * 3,
            "score": [2.0, 3.0, 4.0, 4.0, 5.0, np.nan],
            "yesno": ["no", "no", "yes", "yes", "", "yes"],
            "synthetic": [True] * 6,
        }
    )
    # Participating A, B rise by 4 after 2019/20; comparison C, D rise by 1: effect 3.
    rows = [
        (a, "UP", y, base + (rise if y >= "2019/20" else 0) + i)
        for a, base, rise in (("A", 10, 4), ("B", 12, 4), ("C", 11, 1), ("D", 13, 1))
        for i, y in enumerate(["2017/18", "2018/19", "2019/20", "2020/21"])
    ]
    return dataset(
        programme_strands=strands,
        programme_members=members,
        programme_participant_survey=survey,
        indicators=REGISTER,
        indicator_values=values(rows),
        authorities=AUTHORITIES,
    )


FRAMEWORK = [
    "Within? | funding_total.spend_pct_of_allocation | <= | 100",
    "Effect above 5? | did_UP.estimate | > | 5",
    "Significant? | did_UP.p_value | < | 0.05",
]


def programme_report(framework: list | None = None) -> programme.ProgrammeReport:
    return programme.prepare_programme(
        programme_data(),
        {
            "council": "A",
            "year": "2020/21",
            "programme": "p",
            "programme_start": "2019/20",
            "did_indicators": ["UP"],
            "scale_questions": ["score"],
            "binary_questions": ["yesno"],
            "confidence_level": 0.95,
            "evaluation_framework": framework or FRAMEWORK,
        },
    )


def test_funding_section_totals_spend_and_cost_per_participant():
    summary, synthetic = programme.summarise_programme_funding(programme_data(), "p")
    total = summary.iloc[-1]
    assert total["spend"] == 3200.0 and total["spend_pct_of_allocation"] == pytest.approx(80.0)
    assert total["cost_per_participant"] == pytest.approx(800.0)
    assert synthetic is True
    s = programme.funding(programme_report())
    (sentence,) = texts(s)
    assert sentence == (
        "The programme spent £3,200 of its £4,000 allocation (80.0%), on 4 "
        "participant places in 3 sessions: £800 per participant place. The "
        "largest underspend was Two (£1,000)."
    )
    (chart,) = charts(s)
    (display,) = tables(s)
    assert (
        chart.caption
        == display.caption
        == ("Allocation and spend by strand, programme 'p'. Synthetic sample data.")
    )
    assert column(display, "Spend minus allocation") == ["£200", "-£1,000", "-£800"]
    assert list(s.figures) == [
        "funding_by_strand",
        "spend_pct_of_allocation",
        "cost_per_participant",
    ]
    assert s.figures["spend_pct_of_allocation"] == (pytest.approx(80.0), None)


def test_outcomes_section_recovers_a_hand_made_effect():
    out = programme.estimate_outcomes(
        programme_data(),
        programme="p",
        indicators=["UP"],
        start="2019/20",
        year="2020/21",
        level=0.95,
    )
    row = out.table.iloc[0]
    assert row["estimate"] == pytest.approx(3.0)
    assert row["n_treated"] == 2 and row["n_comparison"] == 2
    assert out.evidence["did_UP"]["estimate"] == pytest.approx(3.0)
    assert row["finding"] == (
        "Up is good (UP): after the programme started, it changed by 3.0 percentage points more "
        "in the 2 participating councils than in the 2 comparison councils (no interval can be "
        "given from so few participating councils; randomisation inference over councils, "
        "p = 0.333): not a statistically significant difference."
    )
    assert (row["ci_lower"], row["ci_upper"]) == (-math.inf, math.inf)
    # 2 of 4 councils: 6 possible pairs, so p can never be below 1/6
    assert row["p_value"] >= 1 / 6 and row["draws"] == 6
    assert any("smallest p-value this test can give is 0.167" in c for c in out.caveats)
    s = programme.outcomes(programme_report())
    assert texts(s) == [row["finding"], row["pre_trend_finding"]]
    kinds = ["text", "text", "chart", "chart", "table", "table", "bullets"]
    assert [b.kind for b in s.blocks] == kinds
    display, study = tables(s)
    assert column(display, "Estimated effect") == ["+3.0 percentage points"]
    assert "randomisation inference over councils" in display.note
    assert "6 choices of 2 of the 4 councils (seed 20240401)" in display.note
    assert display.caption == (
        "Difference-in-differences: participating minus comparison councils, change after 2019/20"
    )
    assert column(study, "Year") == ["2017/18", "2018/19", "2019/20", "2020/21"]
    assert column(study, "Difference against the reference year")[1] == "0 (reference)"
    assert s.figures["did_results"][1] == (
        "Difference-in-differences, start 2019/20, data to 2020/21"
    )
    assert list(s.figures) == ["did_results", "event_study"]


def test_did_sentence_says_more_or_less_and_an_unbounded_interval():
    did = evaluation_result(estimate=-1.76, lower=-3.32, upper=-0.14, p=0.035)
    assert programme.describe_did(did, "Recycling (NI192)", "%", 1) == (
        "Recycling (NI192): after the programme started, it changed by 1.8 percentage points "
        "less in the 9 participating councils than in the 24 comparison councils (95% interval "
        "-3.3 to -0.1 percentage points; randomisation inference over councils, p = 0.035): a "
        "statistically significant difference."
    )
    wide = evaluation_result(estimate=2.0, lower=-math.inf, upper=math.inf, p=0.5)
    sentence = programme.describe_did(wide, "Days (D1)", "days", 0)
    assert "changed by 2 days more" in sentence
    assert "no interval can be given from so few participating councils" in sentence
    assert "not a statistically significant difference" in sentence


def evaluation_result(estimate, lower, upper, p):
    from perfeval.stats import evaluation

    return evaluation.DidResult(
        estimate=estimate,
        se=0.7,
        ci_lower=lower,
        ci_upper=upper,
        p_value=p,
        level=0.95,
        n_obs=297,
        n_treated=9,
        n_comparison=24,
        means=pd.DataFrame(),
        inference="randomisation",
    )


def test_pre_trend_sentence_says_evidenced_or_not_with_the_margin():
    from perfeval.stats import evaluation

    pre = evaluation.PreTrendResult(
        evidenced=False,
        margin=0.25,
        margin_units=2.5,
        spread=10.0,
        reference="2018/19",
        n_pre_periods=4,
        lowest=-1.61,
        highest=6.73,
        largest_difference=4.17,
        level=0.95,
    )
    assert programme.describe_pre_trends(pre, "Recycling (NI192)", "%", 1) == (
        "Recycling (NI192): before the programme, the gap between participating and comparison "
        "councils moved by up to +4.2 percentage points against 2018/19, with 90% intervals "
        "from -1.6 to +6.7 percentage points. Parallel trends count as evidenced only if every "
        "interval lies within ±2.5 percentage points (0.25 standard deviations of the indicator "
        "across councils in 2018/19), so parallel trends are not evidenced."
    )
    one = dataclasses.replace(pre, evidenced=None, n_pre_periods=1)
    assert "cannot be checked, so parallel trends are not evidenced" in (
        programme.describe_pre_trends(one, "Recycling (NI192)", "%", 1)
    )
    assert (
        programme.did_evidence(evaluation_result(1.0, 0.5, 1.5, 0.01), one)["pre_trends_evidenced"]
        is False
    )


def test_outcome_values_stop_at_the_report_year():
    rows = programme.outcome_values(programme_data(), "UP", "2018/19")
    assert set(rows["period"]) == {"2017/18", "2018/19"}


def test_survey_section_pairs_participants_and_treats_blanks_as_missing():
    out = programme.compare_participants(
        programme_data(), programme="p", scale_questions=["score"], binary_questions=["yesno"]
    )
    table = out.table.set_index("question")
    assert table.loc["score", "n"] == 2  # respondent 3 has no after score
    assert table.loc["yesno", "n"] == 2  # respondent 2 left the after answer blank
    # positive = 4 or 5 on the scale: before 1 of 3 pairs (4), after 2 of 2 answers
    assert table.loc["score", "Before"] == pytest.approx(100 / 3)
    assert table.loc["score", "After"] == pytest.approx(100.0)
    # The yes/no question's change has Newcombe's paired interval, in the table and the display.
    yesno = table.loc["yesno"]
    assert yesno["ci_lower"] <= yesno["estimate"] <= yesno["ci_upper"]
    assert math.isnan(table.loc["score", "ci_lower"])
    assert out.pairs == 3 and out.evidence["survey_yesno"]["ci_upper"] <= 1
    s = programme.participant_survey(programme_report())
    (display,) = tables(s)
    cells = column(display, "Change in yes (points, 95% interval)")
    assert cells[0] == "[z]" and " to " in cells[1]  # score (not applicable), yesno
    assert column(display, "Positive before (%)") == ["33", "33"]
    assert "Newcombe" in display.caption and display.caption.endswith("Synthetic sample survey.")
    assert texts(s) == [" ".join(out.table["finding"])]


def test_paired_change_cells_give_the_change_with_its_interval():
    results = pd.DataFrame(
        {"estimate": [0.28, 0.5], "ci_lower": [0.049, np.nan], "ci_upper": [0.466, np.nan]}
    )
    assert programme.paired_change_cells(results) == ["+28.0 (+4.9 to +46.6)", "[z]"]


def test_survey_section_refuses_scale_answers_above_five():
    data = programme_data()
    data.programme_participant_survey.loc[0, "score"] = 7
    with pytest.raises(AnalysisError, match="above 5"):
        programme.compare_participants(
            data, programme="p", scale_questions=["score"], binary_questions=[]
        )


def test_positive_share_counts_yes_and_top_two_scale_points():
    assert programme.positive_share(pd.Series([1.0, 4.0, 5.0, np.nan])) == pytest.approx(2 / 3)
    assert programme.positive_share(pd.Series(["yes", "no", "Yes", np.nan])) == pytest.approx(2 / 3)
    assert math.isnan(programme.positive_share(pd.Series([np.nan])))


# --------------------------------------------------------------------------- framework
def test_parse_framework_reads_operator_and_threshold():
    items = programme.parse_framework(
        [
            "Spent within? | funding_total.spend_pct_of_allocation | <= | 100",
            "Went up? | did_UP.significant_increase | == | true",
            "In range? | x.estimate | between | 1 and 2.5",
        ]
    )
    assert items[0]["rule"] == {"op": "<=", "value": 100.0}
    assert items[0]["label"] == "Programme total: spend as % of allocation"
    assert items[1]["rule"]["value"] is True
    assert items[2]["rule"] == {"op": "between", "value": [1.0, 2.5]}


def test_parse_framework_reports_every_bad_line():
    with pytest.raises(ParameterError) as info:
        programme.parse_framework(["no separators", "Q? | key | =~ | 1", "Q? | key | > | lots"])
    problems = info.value.problems
    assert len(problems) == 3
    assert "line 1" in problems[0] and "'=~'" in problems[1] and "'lots'" in problems[2]


def test_framework_section_judges_each_question_from_the_evidence():
    report = programme_report()
    # spend 80% of the allocation; effect 3; randomisation over the 6 pairs of 4 councils gives
    # p = 2/6 (the actual pair and its mirror image are equally extreme)
    assert report.outcomes.evidence["did_UP"]["p_value"] == pytest.approx(1 / 3)
    s = programme.framework(report)
    assert texts(s) == ["Of 3 evaluation questions: 1 Met, 2 Not met."]
    record, description = s.figures["evaluation_framework"]
    assert list(record["judgement"]) == ["Met", "Not met", "Not met"]
    assert record["value"].iloc[0] == "80.0"  # values recorded as text
    assert description == "Each evaluation question's evidence, finding and judgement"
    (display,) = tables(s)
    assert column(display, "Judgement") == ["Met", "Not met", "Not met"]
    assert display.row_header == "Question"
    (chart,) = charts(s)
    assert chart.alt.endswith("Within?: Met. Effect above 5?: Not met. Significant?: Not met.")


TYPED = [
    {
        "question": "Within?",
        "evidence": "funding_total.spend_pct_of_allocation",
        "operator": "<=",
        "threshold": 100,
    },
    {
        "question": "Went up?",
        "evidence": "did_UP.significant_increase",
        "operator": "==",
        "threshold": True,
    },
    {
        "question": "In range?",
        "evidence": "x.estimate",
        "operator": "between",
        "threshold": "1 and 2.5",
    },
    {"question": "Small?", "evidence": "x.estimate", "operator": "<", "threshold": "1,500"},
]


def test_typed_framework_items_read_as_the_legacy_lines_do():
    typed = programme.framework_items(TYPED)
    legacy = programme.parse_framework(
        [
            "Within? | funding_total.spend_pct_of_allocation | <= | 100",
            "Went up? | did_UP.significant_increase | == | true",
            "In range? | x.estimate | between | 1 and 2.5",
            "Small? | x.estimate | < | 1,500",
        ]
    )
    assert typed == legacy
    assert typed[0]["rule"] == {"op": "<=", "value": 100.0}
    assert isinstance(typed[0]["rule"]["value"], float) and typed[1]["rule"]["value"] is True
    assert programme.framework_items([{**TYPED[2], "threshold": [1, 2.5]}])[0]["rule"]["value"] == [
        1.0,
        2.5,
    ]
    # text that is not a number stays text for == and != (as the typed parameter allows)
    text = {"question": "Rated?", "evidence": "x.rating", "operator": "!=", "threshold": " poor "}
    assert programme.framework_items([text])[0]["rule"] == {"op": "!=", "value": "poor"}
    # legacy lines and typed items may be mixed; the lines keep their place in the numbering
    mixed = programme.framework_items(
        [TYPED[0], "Went up? | did_UP.significant_increase | == | true"]
    )
    assert mixed == typed[:2]


def test_typed_framework_items_report_every_problem_at_once():
    with pytest.raises(ParameterError) as info:
        programme.framework_items(
            [
                {"question": "Q?", "evidence": "k", "operator": "=~", "threshold": 1},
                {"question": "Q?", "operator": ">", "threshold": 1, "rule": "x"},
                {"question": "Q?", "evidence": "k", "operator": ">", "threshold": "lots"},
                {"question": "Q?", "evidence": "k", "operator": "between", "threshold": 3},
                "Q? | key | =~ | 1",
                42,
            ]
        )
    problems = info.value.problems
    assert len(problems) == 6, problems
    assert problems[0] == (
        "evaluation_framework item 1: operator '=~' is not one of "
        "['>', '>=', '<', '<=', '==', '!=', 'between']"
    )
    assert problems[1].startswith(
        "evaluation_framework item 2: expected the keys question, "
        "evidence, operator, threshold; missing or empty: evidence; "
        "not allowed: rule"
    )
    assert problems[2] == (
        "evaluation_framework item 3: threshold 'lots' is not a number or "
        "true/false; text can only be compared with == or !="
    )
    assert problems[3] == (
        "evaluation_framework item 4: threshold must be 'low and high' or [low, high], got 3"
    )
    assert problems[4].startswith("evaluation_framework line 5: operator '=~'")
    assert problems[5].startswith("evaluation_framework item 6: expected a mapping")


def test_framework_section_accepts_typed_items():
    typed = [
        {
            "question": "Within?",
            "evidence": "funding_total.spend_pct_of_allocation",
            "operator": "<=",
            "threshold": 100,
        },
        {
            "question": "Effect above 5?",
            "evidence": "did_UP.estimate",
            "operator": ">",
            "threshold": 5,
        },
        {
            "question": "Significant?",
            "evidence": "did_UP.p_value",
            "operator": "<",
            "threshold": "0.05",
        },
    ]
    assert (
        programme.framework(programme_report(typed)).to_json()
        == programme.framework(programme_report(FRAMEWORK)).to_json()
    )


def test_describe_evidence_key():
    assert (
        programme.describe_evidence_key("did_NI192.p_value")
        == "NI192 difference-in-differences: p-value"
    )
    assert (
        programme.describe_evidence_key("survey_uses_data.n")
        == "Participant survey, uses data: pairs"
    )


# --------------------------------------------------------------------------- loader specs
data_dir_with = minimal_folder


GOOD = {
    "programme_strands": "programme,strand,allocation,spend,participants,sessions,synthetic\n"
    "p,One,1000,900,4,2,true\n",
    "programme_members": "programme,authority,role,synthetic\np,E06000017,participating,true\n"
    "p,E06000005,comparison,true\n",
    "programme_participant_survey": "programme,respondent_id,wave,confidence,understanding,"
    "uses_performance_data,has_development_plan,synthetic\n"
    "p,1,before,3,4,no,yes,true\np,1,after,,5,yes,,true\n",
}


def test_programme_tables_load_and_are_typed(tmp_path):
    data = load_dataset(data_dir_with(tmp_path, **GOOD))
    assert data.programme_strands["allocation"].tolist() == [1000.0]
    assert data.programme_members["role"].tolist() == ["participating", "comparison"]
    survey = data.programme_participant_survey
    assert survey["confidence"].isna().tolist() == [False, True]
    assert survey["synthetic"].tolist() == [True, True]


@pytest.mark.parametrize(
    "table, bad, expected",
    [
        ("programme_strands", "p,One,-5,900,4,2,true\n", "must be at least 0"),
        ("programme_members", "p,E06000017,treated,true\n", "'treated' is not allowed"),
        (
            "programme_participant_survey",
            "p,1,before,3,4,maybe,yes,true\n",
            "'maybe' is not allowed",
        ),
    ],
)
def test_programme_tables_reject_bad_values(tmp_path, table, bad, expected):
    header = GOOD[table].splitlines()[0] + "\n"
    root = data_dir_with(tmp_path, **{**GOOD, table: header + bad})
    with pytest.raises(DataValidationError) as info:
        load_dataset(root)
    messages = [str(p) for p in info.value.problems]
    assert any(expected in m and f"{table}.csv" in m for m in messages), messages


def test_programme_members_must_be_known_authorities(tmp_path):
    root = data_dir_with(
        tmp_path,
        **{
            **GOOD,
            "programme_members": "programme,authority,role,synthetic\np,X99,comparison,true\n",
        },
    )
    with pytest.raises(DataValidationError, match="'X99' is not a code in authorities.csv"):
        load_dataset(root)


# --------------------------------------------------------------------------- the old module
def test_the_old_money_module_re_exports_both_reports_with_a_warning():
    """perfeval.sections.money (and its alias perfeval.money_report) served both reports; it
    re-exports the public names of vfm, programme and appendix until 0.3, and says so."""
    from perfeval.sections import appendix, vfm

    sys.modules.pop("perfeval.sections.money", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        money = importlib.import_module("perfeval.sections.money")
    assert any(
        issubclass(w.category, DeprecationWarning)
        and "perfeval.sections.programme" in str(w.message)
        for w in caught
    )
    # the old names only: names added to the new modules since the split are not re-exported
    for name in money.__all__:
        owner = next(m for m in (vfm, programme, appendix) if name in m.__all__)
        assert getattr(money, name) is getattr(owner, name), name
    assert set(money.__all__) <= {*vfm.__all__, *programme.__all__, *appendix.__all__}
    assert {"prepare_programme", "prepare_value_for_money", "parameters_section"} <= set(
        money.__all__
    )


# --------------------------------------------------------------------------- #14 item 5, #15
def test_survey_findings_and_table_name_questions_by_their_wording():
    labels = ["score: How confident are you (1-5)", "yesno: Uses data"]
    report = programme.prepare_programme(
        programme_data(),
        {
            "council": "A",
            "year": "2020/21",
            "programme": "p",
            "programme_start": "2019/20",
            "did_indicators": ["UP"],
            "scale_questions": ["score"],
            "binary_questions": ["yesno"],
            "confidence_level": 0.95,
            "evaluation_framework": ["Up? | survey_yesno.significant_increase | == | true"],
            "survey_question_labels": labels,
        },
    )
    s = programme.participant_survey(report)
    (sentence,) = texts(s)
    assert sentence.startswith(
        "How confident are you (1-5): 2 of 2 participants (100%) gave a higher answer after "
        "the programme, 0 (0%) the same and 0 (0%) a lower one"
    )
    assert "Uses data: 1 of 2 participants changed from no to yes" in sentence
    assert "score:" not in sentence and "yesno" not in sentence
    (display,) = tables(s)
    assert column(display, "Question") == ["How confident are you (1-5)", "Uses data"]
    assert column(display, "Higher after (or no to yes)") == ["2 (100%)", "1 (50%)"]
    framework = programme.framework(report)
    (table,) = tables(framework)
    assert column(table, "Evidence") == ["Participant survey, Uses data: significant increase"]


def test_question_labels_read_question_colon_wording():
    assert programme.question_labels(["a: Wording: with a colon", "b:Two"]) == {
        "a": "Wording: with a colon",
        "b": "Two",
    }


def test_framework_answers_the_pre_trend_question_with_the_margin():
    item = "Parallel? | did_UP.pre_trends_evidenced | == | true"
    report = programme_report([item])
    s = programme.framework(report)
    (table,) = tables(s)
    (finding,) = column(table, "Finding")
    assert finding == report.outcomes.pre_trend_findings["UP"]
    assert "0.25 standard deviations of the indicator across councils in 2018/19" in finding
    assert finding.endswith("so parallel trends are evidenced.")  # no divergence built in


def test_charts_have_labelled_axes_pound_ticks_and_a_reference_line():
    from perfeval.present import charts_evaluation

    report = programme_report()
    study = report.outcomes.event_studies["UP"]
    fig = charts_evaluation.plot_event_study(
        study.table, title="UP by year", ylabel="Difference (points)", level=0.95, start="2019/20"
    )
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Difference (points)"
    assert ax.get_xlabel() == "Year (difference measured against 2018/19, shown at 0)"
    assert any(list(line.get_ydata()) == [0, 0] for line in ax.get_lines())  # no difference
    assert any("Programme starts (2019/20)" in t.get_text() for t in ax.texts)
    assert charts_evaluation.pounds_axis(120000) == "£120,000"
    assert charts_evaluation.pounds_axis(-5000) == "-£5,000"
    funding = charts_evaluation.plot_funding_by_strand(report.funding.iloc[:-1], title="Money")
    assert funding.axes[0].yaxis.get_major_formatter()(3000, 0) == "£3,000"


def test_event_study_caveat_is_keyed_to_participating_councils():
    assert programme.event_study_caveat(12) == ""
    assert programme.event_study_caveat(1) == (
        "The year-by-year intervals of the event study, and so the check of pre-programme "
        "trends, use cluster-robust standard errors, which are too narrow with only 1 "
        "participating council: treat 'evidenced' with caution."
    )
    out = programme.estimate_outcomes(
        programme_data(), programme="p", indicators=["UP"], start="2019/20", year="2020/21"
    )
    assert programme.event_study_caveat(2) in out.caveats
