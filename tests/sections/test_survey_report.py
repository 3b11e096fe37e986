"""Unit tests of perfeval.sections.survey on tiny hand-made survey frames (results checkable by
hand)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from perfeval.core.exceptions import AnalysisError
from perfeval.data.loader import load_dataset
from perfeval.present import charts, charts_survey
from perfeval.sections import survey as sr
from perfeval.stats.intervals import newcombe_difference

QUESTIONS = pd.DataFrame(
    {
        "question": ["Q1"],
        "wording": ["Satisfied?"],
        "positive": [[1, 2]],
        "excluded": [[9]],
        "positive_labels": ["Very or fairly"],
    }
)


def six() -> pd.DataFrame:
    """Six respondents: weights 1,1,2,1,1,1; Q1 answers 1,2,3 (group A) and 1, don't know,
    blank (B).

    Valid answers are r1-r4 (weights 1+1+2+1 = 5), positive r1, r2, r4 (weight 3): share 0.6.
    Group A: 2 of weight 4 = 0.5 (base 3); group B: 1 of 1 (base 1).
    """
    return pd.DataFrame(
        {
            "weight": [1.0, 1, 2, 1, 1, 1],
            "final_weight": [1.0, 1, 2, 1, 1, 1],
            "grp": list("AAABBB"),
            "Q1": [1, 2, 3, 1, 9, np.nan],
        }
    )


def sized(n_a: int, n_b: int, n_c: int, positive_share: float = 0.5) -> pd.DataFrame:
    """Equal-weight respondents in groups A, B, C; the first ``positive_share`` of each answer 1."""
    rows = []
    for group, n in (("A", n_a), ("B", n_b), ("C", n_c)):
        k = round(n * positive_share)
        rows += [{"grp": group, "Q1": 1 if i < k else 4} for i in range(n)]
    frame = pd.DataFrame(rows)
    return frame.assign(weight=1.0, final_weight=1.0)


def tiny_data(*, synthetic: bool = False) -> SimpleNamespace:
    """Council E1's survey "s" (8 respondents, waves 2024 and 2022) and council E2's survey "s"
    (wave 2024 only, every answer positive): E1's report must never see E2's rows."""
    responses = pd.DataFrame(
        {
            "authority": "E1",
            "survey": "s",
            "wave": ["2024"] * 4 + ["2022"] * 4,
            "respondent_id": [str(i) for i in range(8)],
            "weight": 1.0,
            "sex": ["F", "F", "F", "M", "F", "M", "M", "M"],
            "Q1": [1, 4, 1, 1, 4, 4, 1, 9],
            "synthetic": synthetic,
        }
    )
    other = pd.DataFrame(
        {
            "authority": "E2",
            "survey": "s",
            "wave": "2024",
            "respondent_id": [f"x{i}" for i in range(4)],
            "weight": 1.0,
            "sex": ["F", "M", "F", "M"],
            "Q1": 1,
            "synthetic": synthetic,
        }
    )
    codebook = pd.DataFrame(
        {
            "authority": "E1",
            "survey": "s",
            "question": "Q1",
            "wording": "Satisfied?",
            "code": [1, 4, 9],
            "label": ["Yes", "No", "Don't know"],
            "positive": [True, False, False],
            "excluded": [False, False, True],
        }
    )
    other_book = codebook.assign(authority="E2", wording="Someone else's question?")
    margins = pd.DataFrame(
        {
            "authority": "E1",
            "survey": "s",
            "variable": "sex",
            "category": ["F", "M"],
            "share": [0.5, 0.5],
        }
    )
    other_margins = margins.assign(authority="E2", share=[0.9, 0.1])
    authorities = pd.DataFrame({"code": ["E1", "E2"], "name": ["Testshire", "Otherton"]})
    return SimpleNamespace(
        root=Path("tiny"),
        origins={},
        survey_responses=pd.concat([responses, other], ignore_index=True),
        survey_codebook=pd.concat([codebook, other_book], ignore_index=True),
        survey_population_margins=pd.concat([margins, other_margins], ignore_index=True),
        authorities=authorities,
    )


# --------------------------------------------------------------------------- data
def test_survey_questions_reads_positive_and_excluded_codes():
    table = sr.survey_questions(tiny_data(), "s", "E1")
    row = table.iloc[0]
    assert (row["question"], row["positive"], row["excluded"], row["positive_labels"]) == (
        "Q1",
        [1],
        [9],
        "Yes",
    )
    assert row["wording"] == "Satisfied?" and len(table) == 1  # not E2's codebook


def test_wave_responses_selects_the_councils_wave_and_names_its_waves_when_missing():
    assert len(sr.wave_responses(tiny_data(), "s", "2022", "E1")) == 4
    assert set(sr.wave_responses(tiny_data(), "s", "2024", "E1")["respondent_id"]) == {
        "0",
        "1",
        "2",
        "3",
    }
    with pytest.raises(AnalysisError, match=r"\['2022', '2024'\]"):
        sr.wave_responses(tiny_data(), "s", "2019", "E1")
    with pytest.raises(AnalysisError, match=r"its waves are \['2024'\]"):
        sr.wave_responses(tiny_data(), "s", "2022", "E2")
    with pytest.raises(AnalysisError, match=r"its waves are \[\]"):
        sr.wave_responses(tiny_data(), "s", "2024", "E3")  # a council with no survey


def test_survey_tables_without_an_authority_column_belong_to_no_council():
    data = tiny_data()
    data.survey_responses = data.survey_responses.drop(columns="authority")
    assert sr.survey_waves(data, "s", "E1") == []


def test_survey_kind_and_data_note_come_from_the_synthetic_column():
    assert sr.survey_kind(tiny_data(), tiny_data().survey_responses) == ""
    made_up = tiny_data(synthetic=True)
    assert sr.survey_kind(made_up, made_up.survey_responses) == sr.SYNTHETIC_SURVEY
    assert sr.survey_data_note(made_up, "E1", "s").startswith(
        "SYNTHETIC: the s survey of Testshire"
    )
    real = sr.survey_data_note(tiny_data(), "E1", "s")
    assert "SYNTHETIC" not in real and "8 respondents over 2 wave(s)" in real


def test_resident_views_without_a_wave_is_one_sentence_saying_why():
    none = sr.resident_views(tiny_data(), council="E3", survey="s", wave="", previous_wave="2022")
    assert none["sentence"] == (
        "No resident survey results are in the data folder for E3, so "
        "this report has no Resident views."
    )
    assert none["figure"] is None and none["display"] is None and none["table"].empty
    chosen = sr.resident_views(tiny_data(), council="E1", survey="s", wave="", previous_wave="")
    assert chosen["sentence"].startswith(
        "No resident survey wave was chosen (survey_wave is empty)"
    )
    assert "waves 2022, 2024" in chosen["sentence"]


def test_recode_positive_gives_one_zero_and_missing_for_dont_know_and_blank():
    recoded = sr.recode_positive(six(), QUESTIONS)
    assert recoded["Q1"].tolist()[:4] == [1.0, 1.0, 0.0, 1.0]
    assert recoded["Q1"].iloc[4:].isna().all()
    assert recoded["grp"].tolist() == list("AAABBB")


# --------------------------------------------------------------------------- weighting
def test_weight_wave_rakes_to_the_margins_and_reports_the_design_effect():
    responses = pd.DataFrame({"weight": [1.0] * 4, "sex": ["F", "F", "F", "M"]})
    margins = pd.DataFrame({"variable": "sex", "category": ["F", "M"], "share": [0.5, 0.5]})
    weighted, report = sr.weight_wave(responses, margins, rake=True)
    # F: 3 respondents share 2 of the 4 weight units, M: 1 respondent gets 2.
    assert weighted["final_weight"].tolist() == pytest.approx([2 / 3] * 3 + [2.0])
    assert report.converged
    summary = sr.weighting_summary({"w": weighted}, {"w": report})
    # Kish: n * sum(w^2) / (sum w)^2 = 4 * (3 * 4/9 + 4) / 16 = 4/3.
    assert summary.loc[0, "design_effect"] == pytest.approx(4 / 3)
    assert summary.loc[0, "effective_base"] == pytest.approx(3.0)
    said = sr.describe_weighting(summary)  # the raking's convergence is a method detail
    assert "raked to the population margins." in said and "iteration" not in said


def test_weight_wave_without_raking_keeps_the_supplied_weights():
    responses = pd.DataFrame({"weight": [1.0, 3.0], "sex": ["F", "M"]})
    weighted, report = sr.weight_wave(responses, pd.DataFrame(), rake=False)
    assert report is None and weighted["final_weight"].tolist() == [1.0, 3.0]
    summary = sr.weighting_summary({"w": weighted}, {"w": None})
    assert "not re-raked" in sr.describe_weighting(summary)


def test_margin_table_and_its_disclosure_control():
    responses = pd.DataFrame({"sex": ["F", "F", "F", "M"], "final_weight": [1.0, 1.0, 1.0, 3.0]})
    margins = pd.DataFrame({"variable": "sex", "category": ["F", "M"], "share": [0.4, 0.6]})
    table = sr.margin_table(responses, margins)
    assert table["base"].tolist() == [3, 1]
    assert table["sample_share"].tolist() == [0.75, 0.25]
    assert table["weighted_share"].tolist() == [0.5, 0.5]
    controlled = sr.control_margins(table, min_cell=2)
    # M has 1 respondent: [c]; F then is the only open category of the pair, so it is hidden too.
    assert controlled["symbol"].tolist() == ["[c]", "[c]"]
    assert controlled["sample_share"].isna().all() and controlled["base"].isna().all()
    assert controlled["target_share"].tolist() == [0.4, 0.6]
    display = sr.margins_display(controlled)
    assert display["Sample, unweighted"].tolist() == ["[c]", "[c]"]
    assert display["Population target"].tolist() == ["40.0%", "60.0%"]
    assert "suppressed" in sr.describe_margins(controlled, "2024")


def test_describe_margins_names_the_most_under_represented_group():
    table = pd.DataFrame(
        {
            "variable": "age_band",
            "category": ["young", "old"],
            "target_share": [0.5, 0.5],
            "base": [20, 80],
            "sample_share": [0.2, 0.8],
            "weighted_share": [0.5, 0.5],
            "symbol": "",
        }
    )
    text = sr.describe_margins(table, "2024")
    assert "under-represents young (age band): 20.0% of respondents against 50.0%" in text
    assert "matches its target" in text
    assert isinstance(charts_survey.plot_margins(table, "2024"), Figure)


def test_weigh_survey_weights_each_wave_and_gives_margins_of_the_reported_wave():
    weighting = sr.weigh_survey(
        tiny_data(),
        council="E1",
        survey_name="s",
        wave="2024",
        comparison_wave="2022",
        rake=True,
        min_cell=1,
    )
    assert list(weighting.responses) == ["2024", "2022"] and weighting.wave == "2024"
    assert weighting.summary["wave"].tolist() == ["2024", "2022"]
    assert weighting.margins["base"].tolist() == [3, 1]  # 2024: three F, one M
    assert weighting.margins["target_share"].tolist() == [0.5, 0.5]  # E1's margins, not E2's
    assert weighting.kind == "" and sr.margins_caption("2024", weighting.kind).endswith(
        "before and after weighting."
    )
    assert sr.weighting_display(weighting.summary)["Converged"].str.startswith("yes").all()
    only = sr.weigh_survey(
        tiny_data(),
        council="E1",
        survey_name="s",
        wave="2024",
        comparison_wave="",
        rake=False,
        min_cell=1,
    )
    assert list(only.responses) == ["2024"]
    assert sr.weighting_display(only.summary)["Converged"].tolist() == ["not raked"]


def survey_params(**overrides):
    return {
        "council": "E1",
        "survey": "s",
        "wave": "2024",
        "comparison_wave": "2022",
        "rake": True,
        "level": 0.95,
        "min_base": 1,
        "min_cell": 1,
        "breakdowns": [],
        **overrides,
    }


def texts(section):
    return [b.text for b in section.blocks if b.kind == "text"]


def test_prepare_survey_and_about_survey_on_a_tiny_council_survey():
    report = sr.prepare_survey(tiny_data(), survey_params())
    assert report.questions["question"].tolist() == ["Q1"]
    assert report.data_note.startswith("Data: the s survey of Testshire")
    opening = sr.survey_opening(report)
    assert [b.css_class for b in opening.blocks] == ["subtitle", "data-note"]
    assert opening.blocks[0].text == "Testshire (E1): s survey, wave 2024, compared with 2022."
    about = sr.about_survey(report)
    assert [b.kind for b in about.blocks] == ["text", "table", "text", "chart", "table"]
    assert texts(about) == [
        sr.describe_weighting(report.weighting.summary),
        sr.describe_margins(report.weighting.margins, "2024"),
    ]
    assert about.blocks[3].alt == texts(about)[1]
    assert about.blocks[1].row_header == "Wave" and about.blocks[4].row_header == "Category"
    assert about.blocks[3].caption == about.blocks[4].caption == sr.margins_caption("2024")
    margins, description = about.figures["margins"]
    assert margins.columns.tolist() == sr.MARGIN_COLUMNS and margins["base"].tolist() == [3, 1]
    assert description.endswith("wave 2024 ([c] = suppressed)")
    assert about.figures["weighting"][0]["wave"].tolist() == ["2024", "2022"]


def test_report_subtitle_names_council_survey_and_waves():
    params = {"council": "E1", "survey": "s", "wave": "2024", "comparison_wave": ""}
    assert sr.report_subtitle(tiny_data(), params) == "Testshire (E1): s survey, wave 2024."


# --------------------------------------------------------------------------- estimates
def test_share_positive_is_weighted_excludes_dont_know_and_uses_wilson_on_effective_base():
    table = sr.share_positive(six(), QUESTIONS)
    row = table.iloc[0]
    assert row["estimate"] == pytest.approx(0.6) and row["base"] == 4 and row["count"] == 3
    n_eff = 25 / 7  # (1+1+2+1)^2 / (1+1+4+1)
    assert row["effective_base"] == pytest.approx(n_eff)
    # The interval is R svyciprop's Wilson on n* = p(1-p)/var: var = 6/5 x sum w^2 (y - p)^2 /
    # (sum w)^2 over the six respondents (a domain of valid answers), t on 4 PSUs - 1 = 3 df.
    n_star = 0.24 / (6 / 5 * (3 * 0.4**2 + 1.2**2) / 25)
    t = 3.182446305284263  # t quantile (0.975, 3 df)
    low, high = (
        (0.6 + t**2 / (2 * n_star) + s * t / (2 * n_star) * np.sqrt(4 * n_star * 0.24 + t**2))
        / (1 + t**2 / n_star)
        for s in (-1, 1)
    )
    assert row["design_effective_base"] == pytest.approx(n_star)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    by = sr.share_positive(six(), QUESTIONS, by="grp")
    assert by["estimate"].tolist() == pytest.approx([0.5, 1.0])
    assert by["base"].tolist() == [3, 1]
    assert by.attrs == {"group_columns": ["grp"], "table_columns": ["question"]}


def test_control_disclosure_suppresses_small_counts_of_answers_and_marks_low_bases():
    frame = sized(30, 30, 0, positive_share=0.1)  # 3 positive answers in each group
    table = sr.share_positive(frame, QUESTIONS, by="grp")
    controlled = sr.control_disclosure(table, min_base=50, min_cell=5)
    assert controlled["symbol"].tolist() == ["[c]", "[c]"]
    assert controlled["estimate"].isna().all()
    overall = sr.control_disclosure(sr.share_positive(frame, QUESTIONS), min_base=100, min_cell=5)
    assert overall["symbol"].tolist() == ["[low]"] and overall["base"].tolist() == [60]
    assert sr.result_texts(overall) == ["[low] (base 60)"]
    assert sr.interval_texts(overall) == ["[low]"]


def test_result_and_interval_texts_never_give_a_percentage_without_its_base():
    table = pd.DataFrame(
        {
            "estimate": [0.855, np.nan],
            "base": [928, np.nan],
            "ci_low": [0.82, np.nan],
            "ci_high": [0.871, np.nan],
            "symbol": ["", "[c]"],
        }
    )
    assert sr.result_texts(table) == ["86% (base 928)", "[c]"]
    assert sr.interval_texts(table) == ["82% to 87%", "[c]"]


def test_plot_intervals_labels_the_level_in_the_legend():
    frame = pd.DataFrame({"label": ["Q1"], "value": [0.5], "low": [0.4], "high": [0.6]})
    fig = charts.plot_intervals(
        frame, title="t", xlabel="x", level=0.9, reference=0.0, reference_label="zero"
    )
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "Estimate with 90% interval" in labels and "zero" in labels


def tiny_report(responses, questions=QUESTIONS, *, kind="", **params):
    """A :class:`~perfeval.sections.survey.SurveyReport` of already weighted respondents (the
    sections tested with it read neither the data nor the weighting summary)."""
    weighting = sr.Weighting(
        responses=responses, summary=pd.DataFrame(), margins=pd.DataFrame(), kind=kind, wave="2024"
    )
    settings = survey_params(**{"min_base": 50, "min_cell": 5, **params})
    return sr.SurveyReport(
        data=None, params=settings, questions=questions, data_note="", weighting=weighting
    )


def test_headline_measures_publish_only_controlled_values():
    frame = sized(60, 0, 0, positive_share=0.5)
    questions = pd.concat([QUESTIONS, QUESTIONS.assign(question="Q2")], ignore_index=True)
    frame["Q2"] = [1] * 3 + [4] * 57  # only 3 positive answers
    section = sr.headline_measures(tiny_report({"2024": frame}, questions, kind=sr.SAMPLE_SURVEY))
    table, description = section.figures["headline_shares"]
    assert table.columns.tolist() == sr.HEADLINE_COLUMNS
    assert table["symbol"].tolist() == ["", "[c]"]
    assert table.loc[1, ["estimate", "base"]].isna().all()
    assert description == "Weighted share positive per question, wave 2024, disclosure-controlled"
    sentence = (
        "In the 2024 survey the most positive result was for \u201cSatisfied?\u201d (50% of 60 "
        "respondents answering) and the least positive for \u201cSatisfied?\u201d (50% of 60). "
        "1 result is not published ([c] or [low])."
    )
    assert texts(section) == [sentence]
    chart, shown = section.blocks[1], section.blocks[2]
    assert (
        chart.alt == sentence + " \u201cSatisfied?\u201d 50% (base 60)." and "Q2" not in chart.alt
    )
    assert (
        chart.caption
        == shown.caption
        == (
            "Resident survey 2024: weighted share giving a positive answer, with 95% Wilson "
            "intervals. Synthetic sample survey."
        )
    )
    assert [row[2] for row in shown.rows] == ["50% (base 60)", "[c]"]
    assert shown.row_header == "Question" and shown.note == sr.disclosure_note(50, 5)


def test_describe_headline_when_nothing_is_published():
    table = pd.DataFrame(
        {"question": ["Q1"], "estimate": [np.nan], "base": [np.nan], "published": [False]}
    )
    assert "No result of the 2024 survey" in sr.describe_headline(table, "2024")


# --------------------------------------------------------------------------- change
def controlled_wave(share: float, n: int = 200, min_cell: int = 5) -> pd.DataFrame:
    return sr.controlled_shares(
        sized(n, 0, 0, positive_share=share), QUESTIONS, level=0.95, min_base=50, min_cell=min_cell
    )


def test_change_between_waves_tests_only_results_published_in_both():
    change = sr.change_between_waves(controlled_wave(0.3), controlled_wave(0.6), level=0.95)
    row = change.iloc[0]
    assert row["difference"] == pytest.approx(0.3) and row["finding"] == "significant increase"
    hidden = controlled_wave(0.01)  # 2 positive answers: [c]
    change = sr.change_between_waves(hidden, controlled_wave(0.6), level=0.95)
    assert change.loc[0, "finding"] == "not tested: not published in both waves"
    assert np.isnan(change.loc[0, "difference"])
    assert "No result is published in both" in sr.describe_change(change, "2024", "2022")


def test_change_between_waves_is_newcombe_on_the_effective_bases():
    before, after = controlled_wave(0.3), controlled_wave(0.6)
    row = sr.change_between_waves(before, after, level=0.95).iloc[0]
    expected = newcombe_difference(
        0.6 * after.loc[0, "effective_base"],
        after.loc[0, "effective_base"],
        0.3 * before.loc[0, "effective_base"],
        before.loc[0, "effective_base"],
    )
    assert [row["ci_low"], row["ci_high"]] == pytest.approx([expected.low, expected.high])
    assert row["ci_level"] == 0.95 and row["significant"] == (row["ci_low"] > 0)


def test_change_display_gives_each_interval_with_its_holm_adjusted_level():
    change = pd.DataFrame(
        {"ci_low": [0.021, np.nan], "ci_high": [0.098, np.nan], "ci_level": [1 - 0.05 / 3, np.nan]}
    )
    assert sr.interval_with_level_texts(change) == ["+2.1 to +9.8 (98.3%)", ""]


def test_describe_change_gives_the_bases():
    change = sr.change_between_waves(controlled_wave(0.3), controlled_wave(0.6), level=0.95)
    assert sr.describe_change(change, "2024", "2022") == (
        "1 of 1 results changed significantly between 2022 and 2024 (Holm-adjusted): Q1 increase "
        "of 30.0 points (30% of 200 to 60% of 200)."
    )


def test_change_since_last_wave_controls_both_waves_before_comparing():
    responses = {"2022": sized(200, 0, 0, 0.5), "2024": sized(200, 0, 0, 0.5)}
    section = sr.change_since_last_wave(tiny_report(responses))
    change, description = section.figures["change_since_comparison_wave"]
    assert change.loc[0, "finding"] == "no significant change"
    assert description == "Change in share positive, 2022 to 2024, Holm-adjusted"
    table = section.blocks[2]
    assert list(table.columns[:3]) == ["Question", "2022", "2024"]
    assert table.rows[0][3] == "+0.0" and table.note == sr.CHANGE_TABLE_NOTE
    assert texts(section)[0].startswith("None of the 1 results")
    assert section.blocks[1].alt == texts(section)[0] + " \u201cSatisfied?\u201d +0.0 points."


def test_change_since_last_wave_without_a_comparison_wave_says_so_and_offers_nothing():
    section = sr.change_since_last_wave(
        tiny_report({"2024": sized(200, 0, 0, 0.5)}, comparison_wave="")
    )
    assert texts(section) == [
        "No comparison wave was chosen (comparison_wave is empty), so no change is tested."
    ]
    assert section.figures == {}


# --------------------------------------------------------------------------- breakdowns
def test_breakdown_label():
    assert sr.breakdown_label("age_band") == "Age band"


def test_groups_against_rest_holm_adjusts_across_groups():
    frame = sized(100, 100, 100, 0.5)
    frame.loc[frame["grp"] == "C", "Q1"] = 1  # C: everyone positive
    table = sr.groups_against_rest(frame, QUESTIONS, "grp", level=0.95)
    assert table.set_index("grp").loc["C", "finding"] == "significantly higher"
    assert table.set_index("grp").loc["C", "difference"] == pytest.approx(0.5)
    assert (table["p_adjusted"] >= 0).all()


def test_breakdown_table_hides_every_figure_of_a_suppressed_group_and_its_partner():
    frame = sized(100, 60, 4, 0.5)  # C has 4 respondents: [c]
    table = sr.breakdown_table(frame, QUESTIONS, "grp", level=0.95, min_base=50, min_cell=10)
    rows = table.set_index("group")
    assert rows.loc["C", "symbol"] == "[c]"
    assert rows.loc["B", "symbol"] == "[c]"  # secondary: smallest other group
    assert rows.loc["A", "symbol"] == "" and rows.loc[sr.TOTAL_LABEL, "symbol"] == ""
    hidden = rows.loc[
        ["B", "C"],
        [
            "estimate",
            "ci_low",
            "ci_high",
            "base",
            "difference",
            "difference_ci_low",
            "difference_ci_high",
            "p_adjusted",
        ],
    ]
    assert hidden.isna().all().all()
    assert rows.loc["C", "finding"] == "[c]" and rows.loc[sr.TOTAL_LABEL, "finding"] == ""
    assert rows.loc["A", "finding"] == "no significant difference"
    display = sr.breakdown_display(table)
    assert display.columns.tolist() == ["Grp", "Q1"]
    assert display["Grp"].tolist() == ["A", "B", "C", sr.TOTAL_LABEL]
    assert display["Q1"].tolist() == ["50% (base 100)", "[c]", "[c]", "50% (base 164)"]


def test_breakdown_display_marks_significant_groups_and_sentence_names_them():
    frame = sized(100, 100, 100, 0.5)
    frame.loc[frame["grp"] == "C", "Q1"] = 1
    table = sr.breakdown_table(frame, QUESTIONS, "grp", level=0.95, min_base=50, min_cell=10)
    # C is everyone positive, so its complement count (0) is fine but A, B, C are all published.
    display = sr.breakdown_display(table).set_index("Grp")
    assert display.loc["C", "Q1"] == "100% (base 100) ▲"
    assert display.loc["A", "Q1"].endswith("▼")
    text = sr.describe_breakdown(table)
    assert text.startswith("By grp, 3 of 3 group results differ significantly")
    assert "C higher on Q1 (100% of 100; +50 points)" in text  # against the rest: 50%


def test_describe_breakdown_counts_suppressed_and_low_results():
    table = sr.breakdown_table(
        sized(100, 60, 4, 0.5), QUESTIONS, "grp", level=0.95, min_base=80, min_cell=10
    )
    text = sr.describe_breakdown(table, sr.question_wordings(QUESTIONS))
    # C (4 respondents) is too small; B (60) is hidden only so that C cannot be worked out
    assert "1 result is suppressed ([c]: too few respondents), for C." in text
    assert (
        "B is also suppressed ([c]) on \u201cSatisfied?\u201d, so that the suppressed results "
        "cannot be worked out from the total (secondary suppression)." in text
    )
    assert "Q1" not in text
    table = sr.breakdown_table(
        sized(100, 60, 40, 0.5), QUESTIONS, "grp", level=0.95, min_base=80, min_cell=10
    )
    assert (
        "2 results are not published: base too small ([low]), for B, C."
        in sr.describe_breakdown(table)
    )


def test_group_differences_stack_tables_and_leave_hidden_groups_out_of_the_chart():
    frame = sized(100, 60, 4, 0.5)
    section = sr.group_differences(tiny_report({"2024": frame}, min_cell=10, breakdowns=["grp"]))
    assert [b.kind for b in section.blocks] == ["text", "chart", "table"]
    table, description = section.figures["breakdowns"]
    assert len(table) == 4 and "published" not in table
    assert description == (
        "Share positive by group against the rest, wave 2024, disclosure-controlled"
    )
    shown = section.blocks[2]
    assert shown.row_header == "Grp" and "[low]" in shown.note and "▲" in shown.note
    assert shown.caption == "Share giving a positive answer by grp, 2024 (weighted)."
    assert section.blocks[1].alt == texts(section)[0]
    frame_of = sr.breakdown_table(frame, QUESTIONS, "grp", level=0.95, min_base=50, min_cell=10)
    ax = charts_survey.plot_breakdown(frame_of, level=0.95).axes[0]
    assert len(ax.lines[0].get_xdata()) == 1  # only group A is plotted
    empty = sr.group_differences(tiny_report({"2024": frame}, min_cell=10))
    assert empty.blocks == [] and empty.figures["breakdowns"][0].empty


# --------------------------------------------------------------------------- method
def test_method_and_caveats_state_thresholds_and_synthetic_data():
    summary = pd.DataFrame({"wave": ["2024"], "respondents": [986], "effective_base": [810.3]})
    params = {"rake": False, "level": 0.9, "min_base": 40, "min_cell": 7}
    weighting = sr.Weighting(
        responses={}, summary=summary, margins=pd.DataFrame(), kind="", wave="2024"
    )
    report = sr.SurveyReport(
        data=None,
        params=params,
        questions=QUESTIONS,
        data_note=sr.SYNTHETIC_NOTE,
        weighting=weighting,
    )
    section = sr.method_and_caveats(report)
    notes, warnings, chart, parameters = section.blocks
    assert notes.heading == "Method" and warnings.heading == "Caveats"
    text = " ".join(notes.items)
    assert (
        "not re-raked" in text
        and "90% Wilson" in text
        and "fewer than 7" in text
        and "under 40" in text
    )
    assert warnings.items[0] == sr.SYNTHETIC_NOTE
    assert not any("SYNTHETIC" in c for c in sr.caveats())
    assert chart.alt == (
        "Respondents and effective base by wave: 2024: 986 respondents, effective base 810."
    )
    assert [row[1] for row in parameters.rows] == ["no", "0.9", "40", "7"]
    assert "Deming and Stephan 1940" in " ".join(
        sr.method_notes(rake=True, level=0.95, min_base=1, min_cell=1)
    )
    assert "[c]" in sr.disclosure_note(50, 10) and "10 respondents" in sr.disclosure_note(50, 10)


# --------------------------------------------------------------------------- State of the Nation
def test_state_of_the_nation_resident_views_publish_the_survey_report_figures():
    data = load_dataset()
    views = sr.resident_views(
        data, council="E06000017", survey="residents", wave="2024", previous_wave="2022"
    )
    params = survey_params(
        council="E06000017", survey="residents", min_base=50, min_cell=10, breakdowns=["sex"]
    )
    report = sr.prepare_survey(data, params)
    head = sr.headline_measures(report).figures["headline_shares"][0]
    assert report.weighting.kind == sr.SAMPLE_SURVEY and views["caption"].endswith(sr.SAMPLE_SURVEY)
    assert views["table"]["estimate"].tolist() == head["estimate"].tolist()
    assert views["table"]["finding"].notna().all()
    assert "Change since 2022 (points)" in views["display"].columns


@pytest.mark.parametrize(
    "wave, previous, year, expected",
    [
        # latest at or before the year: a 2024 wave counts for 2024/25, not for 2023/24
        ("latest", "previous", "2024/25", ("2024", "2022", [])),
        ("latest", "previous", "2023/24", ("2022", "2019", [])),
        ("latest", "previous", "2020/21", ("2019", None, [])),
        ("latest", "", "2024/25", ("2024", None, [])),
        ("latest", "2019", "2024/25", ("2024", "2019", [])),
        ("", "previous", "2024/25", (None, None, [])),
        # a chosen wave after the report year, or not the latest, is said
        (
            "2024",
            "2022",
            "2023/24",
            (
                "2024",
                "2022",
                ["The 2024 wave was carried out after 2023/24, the year of this report."],
            ),
        ),
        (
            "2022",
            "previous",
            "2024/25",
            (
                "2022",
                "2019",
                [
                    "This report quotes the 2022 wave, not the latest wave before the end of "
                    "2024/25 (2024)."
                ],
            ),
        ),
    ],
)
def test_choose_waves(wave, previous, year, expected):
    assert (
        sr.choose_waves(["2022", "2019", "2024"], wave=wave, previous_wave=previous, year=year)
        == expected
    )


def test_choose_waves_when_every_wave_is_after_the_report_year():
    chosen = sr.choose_waves(
        ["2022", "2024"], wave="latest", previous_wave="previous", year="2020/21"
    )
    assert chosen == (
        None,
        None,
        [
            "Every wave of the survey (2022, 2024) was carried out after "
            "2020/21, the year of this report."
        ],
    )
    assert sr.choose_waves([], wave="latest", previous_wave="previous", year="2024/25") == (
        None,
        None,
        [],
    )


def test_resident_views_take_the_latest_wave_and_say_when_there_is_none_by_the_year():
    latest = sr.resident_views(
        tiny_data(),
        council="E1",
        survey="s",
        wave="latest",
        previous_wave="previous",
        year="2024/25",
    )
    assert not latest["table"].empty
    early = sr.resident_views(
        tiny_data(),
        council="E1",
        survey="s",
        wave="latest",
        previous_wave="previous",
        year="2000/01",
    )
    assert early["table"].empty and early["sentence"].endswith(
        "This report therefore has no Resident views."
    )
