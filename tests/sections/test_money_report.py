"""Unit tests for perfeval.sections.money and the programme table specs, on tiny hand-made data."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from folders import minimal_folder
from perfeval.core.exceptions import AnalysisError, DataValidationError, ParameterError
from perfeval.data.loader import Dataset, load_dataset
from perfeval.present.section import Chart, Section, Table
from perfeval.sections import money as mr


# --------------------------------------------------------------------------- tiny datasets
def dataset(**tables: pd.DataFrame) -> Dataset:
    return Dataset(root=Path("."), tables=tables)


AUTHORITIES = pd.DataFrame(
    {
        "code": ["A", "B", "C", "D", "E"],
        "name": ["Ayton", "Beeby", "Ceeford", "Deeham", "Eston"],
        "type": ["unitary", "unitary", "unitary", "unitary", "district"],
        "region": ["R"] * 5,
        "current": [True, True, True, False, True],
    }
)
REGISTER = pd.DataFrame(
    {
        "code": ["UP", "DOWN", "FLAT"],
        "title": ["Up is good", "Down is good", "Neutral"],
        "unit": ["%", "days", "%"],
        "polarity": ["higher", "lower", "neutral"],
        "frequency": ["annual"] * 3,
        "tolerance": [0.0] * 3,
        "tolerance_type": ["absolute"] * 3,
        "no_change_threshold": [0.0] * 3,
        "decimals": [1, 1, 1],
        "source": ["s"] * 3,
        "synthetic": [False, True, False],
    }
)


def values(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["authority", "indicator", "period", "value"])


def vfm_data() -> Dataset:
    # UP: A 30, B 20, C 10 -> percentile ranks 100, 50, 0; DOWN: A 5, B 1, C 3 -> 0, 100, 50.
    iv = values(
        [
            ("A", "UP", "2017/18", 30),
            ("B", "UP", "2017/18", 20),
            ("C", "UP", "2017/18", 10),
            ("A", "DOWN", "2017/18", 5),
            ("B", "DOWN", "2017/18", 1),
            ("C", "DOWN", "2017/18", 3),
            ("D", "UP", "2017/18", 99),
        ]
    )
    net = pd.DataFrame(
        {
            "authority": ["A", "B", "C", "A", "B", "C"],
            "period": ["2017/18"] * 3 + ["2010/11"] * 3,
            "service": [mr.NET_SPEND] * 6,
            "net_current_expenditure": [100.0, 300.0, 200.0, 110.0, 220.0, 330.0],
        }
    )
    population = pd.DataFrame(
        {
            "authority": ["A", "B", "C"],
            "year": ["2020/21"] * 3,
            "population": [1000.0, 1000.0, 1000.0],
        }
    )
    deflators = pd.DataFrame({"year": ["2010/11", "2017/18"], "deflator": [80.0, 100.0]})
    groups = pd.DataFrame({"group": ["g", "g"], "authority": ["A", "B"], "method": ["m", "m"]})
    return dataset(
        authorities=AUTHORITIES,
        indicators=REGISTER,
        indicator_values=iv,
        net_expenditure=net,
        population=population,
        deflators=deflators,
        comparator_groups=groups,
    )


# --------------------------------------------------------------------------- section helpers
def texts(section: Section) -> list[str]:
    return [b.text for b in section.blocks if b.kind == "text"]


def tables(section: Section) -> list[Table]:
    return [b for b in section.blocks if isinstance(b, Table)]


def charts(section: Section) -> list[Chart]:
    return [b for b in section.blocks if isinstance(b, Chart)]


def column(table: Table, name: str) -> list[str]:
    return [row[table.columns.index(name)] for row in table.rows]


def vfm_report(
    data: Dataset,
    *,
    council: str = "A",
    comparison: str = "type",
    indicators: tuple[str, ...] = ("UP", "DOWN"),
) -> mr.VfmReport:
    return mr.prepare_value_for_money(
        data,
        {
            "council": council,
            "year": "2017/18",
            "comparison": comparison,
            "vfm_indicators": list(indicators),
            "price_base_year": "2017/18",
            "confidence_level": 0.95,
        },
    )


# --------------------------------------------------------------------------- value for money
def test_comparison_set_by_type_keeps_current_councils_of_the_same_type():
    members, how = mr.comparison_set(vfm_data(), "A", "type")
    assert members == ["A", "B", "C"]  # D is not current, E is a district
    assert "unitary" in how


def test_comparison_set_by_group_adds_the_home_council():
    members, how = mr.comparison_set(vfm_data(), "C", "g")
    assert members == ["A", "B", "C"] and "'g'" in how


def test_performance_score_is_the_mean_polarity_aligned_percentile_rank():
    scores = mr.performance_scores(vfm_data(), ["A", "B", "C"], ["UP", "DOWN"], "2017/18")
    assert dict(zip(scores["authority"], scores["score"])) == {"A": 50.0, "B": 75.0, "C": 25.0}
    assert set(scores["n_indicators"]) == {2}


def test_performance_score_refuses_neutral_indicators_and_too_few_councils():
    with pytest.raises(ParameterError, match="neutral"):
        mr.performance_scores(vfm_data(), ["A", "B", "C"], ["UP", "FLAT"], "2017/18")
    with pytest.raises(AnalysisError, match="only 2 councils"):
        mr.performance_scores(vfm_data(), ["A", "B"], ["UP"], "2017/18")


def test_value_for_money_section_fits_score_on_spend_per_head():
    report = vfm_report(vfm_data())
    table = report.result.table.set_index("authority")
    # spend per head = £000 x 1000 / population: A 100, B 300, C 200
    assert table["spend_per_head"].to_dict() == {"A": 100.0, "B": 300.0, "C": 200.0}
    # OLS through (100, 50), (200, 25), (300, 75): slope 0.125, fitted A = 37.5, residual +12.5
    assert report.result.slope == pytest.approx(0.125)
    assert table.loc["A", "residual"] == pytest.approx(12.5)
    s = mr.performance_against_spend(report)
    set_sentence, sentence = texts(s)
    assert set_sentence == (
        "Comparison set: all current unitary councils in authorities.csv: 3 "
        "councils, of which 3 have a 2017/18 value for every indicator (UP, "
        "DOWN) and a net spend per head; 0 are left out for missing data."
    )
    assert "Ayton" in sentence and "12.5 score points above" in sentence
    (chart,) = charts(s)
    assert chart.alt.endswith(sentence) and chart.caption.startswith("Average performance score")
    (display,) = tables(s)
    assert display.row_header == "Council"
    assert column(display, "Council")[0] == "Ayton (this council)"
    assert s.figures["vfm_slope_points_per_pound"][0] == pytest.approx(0.125)
    assert s.figures["vfm_councils"] == (3, "Councils with a score and a spend per head")
    assert list(s.figures) == [
        "vfm_table",
        "vfm_slope_points_per_pound",
        "vfm_r_squared",
        "vfm_councils",
    ]
    assert s.figures["vfm_r_squared"][1] is None
    assert [b.kind for b in s.blocks] == ["text", "text", "chart", "table", "bullets"]


def test_score_components_and_residuals_are_sections_with_their_key_figures():
    report = vfm_report(vfm_data())
    parts = mr.score_components(report)
    (sentence,) = texts(parts)
    # A: UP rank 1 of 3 (percentile 100), DOWN rank 3 of 3 (0): score 50
    assert sentence.startswith(
        "Ayton's average performance score in 2017/18 is 50.0: the mean "
        "of its percentile ranks (100 = best) on 2 indicators among the 3 "
        "councils"
    )
    (display,) = tables(parts)
    assert column(display, "Rank (1 = best)") == ["3 of 3", "1 of 3"]  # DOWN, UP
    assert column(display, "Percentile rank") == ["0.0", "100.0"]
    assert display.caption == "Ayton: the indicators of the score, 2017/18"
    one = mr.score_components(vfm_report(vfm_data(), indicators=("UP",)))
    assert "(100 = best) on 1 indicator among the 3 councils" in texts(one)[0]
    table, description = parts.figures["home_score_components"]
    assert list(table["percentile_rank"]) == [0.0, 100.0]
    assert description == "Home council's percentile rank per indicator, 2017/18"
    residuals = mr.residuals(report)
    assert residuals.figures["home_residual"][0] == pytest.approx(12.5)
    (display,) = tables(residuals)
    assert column(display, "Residual (score points)")[0] == "+12.5"  # furthest above first
    assert texts(residuals)[0] == mr.describe_residuals(report.result, report.names, "A", "2017/18")


def test_real_terms_trend_rebases_to_the_base_year_with_home_and_median():
    trend = mr.real_terms_trend(
        vfm_data(), council="A", members=["A", "B", "C"], base_year="2017/18"
    )
    assert list(trend["period"]) == ["2010/11", "2017/18"]
    first = trend.iloc[0]
    assert first["home_nominal"] == pytest.approx(110.0)
    assert first["home_real"] == pytest.approx(110.0 * 100 / 80)  # 137.5
    assert first["median_real"] == pytest.approx(220.0 * 100 / 80)  # 275
    text = mr.describe_real_terms(trend, "Ayton", "2017/18")
    assert "£138 in 2010/11 to £100 in 2017/18 (-27.3%)" in text
    assert "2011/12" in text and "2016/17" in text  # missing years are named


def test_real_terms_needs_a_deflator_for_every_year():
    data = vfm_data()
    data.tables["deflators"] = data.deflators.iloc[1:]
    with pytest.raises(AnalysisError, match="2010/11"):
        mr.real_terms_trend(data, council="A", members=["A", "B", "C"], base_year="2017/18")


def test_data_note_names_synthetic_indicators():
    assert "SYNTHETIC" in mr.vfm_data_note(vfm_data(), ["UP", "DOWN"])
    assert "real published figures only" in mr.vfm_data_note(vfm_data(), ["UP"])


def test_data_note_and_captions_say_where_spend_population_and_deflators_come_from():
    data = vfm_data()
    note = mr.vfm_data_note(data, ["UP"])
    assert (
        "Spend: net_expenditure.csv in the data folder, net current expenditure, £000, cash; "
        "population: population.csv in the data folder; real terms: GDP deflators from "
        "deflators.csv in the data folder."
    ) in note
    data.origins["deflators"] = "reference"
    data.tables["deflators"] = data.deflators.assign(source="HM Treasury GDP deflators")
    assert mr.deflator_source(data) == (
        "HM Treasury GDP deflators (perfeval's national reference "
        "data, as the data folder has no deflators.csv)"
    )
    real = mr.real_terms(vfm_report(data))
    (chart,) = charts(real)
    assert "Population: the 2020/21 estimate for every year." in chart.caption
    assert chart.caption.endswith(
        "deflators: HM Treasury GDP deflators (perfeval's national "
        "reference data, as the data folder has no deflators.csv)."
    )
    assert "bundled" not in chart.caption + texts(real)[0] + note
    (display,) = tables(real)
    assert display.row_header == "Year" and display.note.startswith("Real terms: cash spend x")
    assert column(display, "Ayton, 2017/18 prices") == ["£138", "£100"]


def test_value_for_money_sections_with_fewer_than_three_councils_say_so():
    report = vfm_report(vfm_data(), comparison="g", indicators=("UP",))  # g holds A and B only
    assert report.result is None
    vfm = mr.performance_against_spend(report)
    assert texts(vfm) == [
        "Comparison set: comparator group 'g': 2 councils, of which 2 have a 2017/18 value for "
        "every indicator (UP) and a net spend per head.",
        "Fewer than 3 councils of the comparison set have a 2017/18 value for every indicator "
        "(UP) and a net spend per head (2 do), so no score is ranked or compared.",
    ]
    assert not charts(vfm) and not tables(vfm)
    assert [b.kind for b in vfm.blocks] == ["text", "text", "bullets"]  # the caveats stay
    assert [
        vfm.figures[k][0] for k in ("vfm_slope_points_per_pound", "vfm_r_squared", "vfm_councils")
    ] == [None, None, 2]
    assert vfm.figures["vfm_table"][0].empty
    parts = mr.score_components(report)
    assert texts(parts)[0].startswith(
        "Fewer than 3 councils of the comparison set have a "
        "2017/18 value for every indicator (UP) (2 do)"
    )
    assert [b.kind for b in parts.blocks] == ["text"]
    assert parts.figures["home_score_components"][0].empty
    residuals = mr.residuals(report)
    assert residuals.figures["home_residual"][0] is None and not charts(residuals)
    assert "no council has a residual" in texts(residuals)[0]


def test_a_home_council_without_a_score_is_told_not_crashed():
    data = vfm_data()
    data.tables["indicator_values"] = data.indicator_values[
        ~(
            (data.indicator_values["authority"] == "A")
            & (data.indicator_values["indicator"] == "UP")
        )
    ]
    parts = mr.score_components(vfm_report(data, indicators=("UP",)))
    assert texts(parts)[0] == (
        "Ayton has no 2017/18 value for every indicator of the score "
        "(UP), so it has no average performance score to show."
    )
    with pytest.raises(AnalysisError, match="only 2 councils"):  # the statistics still refuse
        mr.performance_scores(data, ["A", "B", "C"], ["UP", "DOWN"], "2017/18")


def test_real_terms_without_any_deflators_is_one_sentence():
    data = vfm_data()
    data.tables["deflators"] = data.deflators.iloc[0:0]
    real = mr.real_terms(vfm_report(data))
    assert texts(real) == [
        "No GDP deflators are in the data folder or perfeval's national "
        "reference data, so spend per head is not shown in real terms."
    ]
    assert [b.kind for b in real.blocks] == ["text"]
    assert real.figures["real_terms_spend_per_head"][0].empty


def test_real_terms_median_needs_three_councils():
    trend = mr.real_terms_trend(vfm_data(), council="A", members=["A", "B"], base_year="2017/18")
    assert trend["median_real"].isna().all() and trend["councils"].tolist() == [2, 2]
    text = mr.describe_real_terms(trend, "Ayton", "2017/18")
    assert "comparison median went" not in text
    assert (
        "No comparison median is quoted for 2010/11 to 2017/18: a median needs at least 3 "
        "councils with figures in both years."
    ) in text
    assert "There are no net expenditure figures for 2011/12" in text


def test_the_comparison_set_names_the_reference_authority_lookup():
    data = vfm_data()
    assert mr.comparison_set(data, "A", "type")[1] == (
        "all current unitary councils in authorities.csv"
    )
    data.origins["authorities"] = "reference"
    assert mr.comparison_set(data, "A", "type")[1] == (
        "all current unitary councils in perfeval's national authority lookup"
    )


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


def programme_report(framework: list | None = None) -> mr.ProgrammeReport:
    return mr.prepare_programme(
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
    summary, synthetic = mr.summarise_programme_funding(programme_data(), "p")
    total = summary.iloc[-1]
    assert total["spend"] == 3200.0 and total["spend_pct_of_allocation"] == pytest.approx(80.0)
    assert total["cost_per_participant"] == pytest.approx(800.0)
    assert synthetic is True
    s = mr.funding(programme_report())
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
    out = mr.estimate_outcomes(
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
    s = mr.outcomes(programme_report())
    assert texts(s) == [row["finding"]]
    assert [b.kind for b in s.blocks] == ["text", "chart", "table", "bullets"]
    (display,) = tables(s)
    assert column(display, "Estimated effect") == ["+3.00"] and display.note == mr.DID_NOTE
    assert display.caption == (
        "Difference-in-differences: participating minus comparison councils, change after 2019/20"
    )
    assert s.figures["did_results"][1] == (
        "Difference-in-differences, start 2019/20, data to 2020/21"
    )


def test_outcome_values_stop_at_the_report_year():
    rows = mr.outcome_values(programme_data(), "UP", "2018/19")
    assert set(rows["period"]) == {"2017/18", "2018/19"}


def test_survey_section_pairs_participants_and_treats_blanks_as_missing():
    out = mr.compare_participants(
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
    s = mr.participant_survey(programme_report())
    (display,) = tables(s)
    cells = column(display, "Change in yes (points, 95% interval)")
    assert cells[0] == "" and " to " in cells[1]  # score, yesno
    assert column(display, "Positive before (%)") == ["33", "33"]
    assert "Newcombe" in display.caption and display.caption.endswith("Synthetic sample survey.")
    assert texts(s) == [" ".join(out.table["finding"])]


def test_paired_change_cells_give_the_change_with_its_interval():
    results = pd.DataFrame(
        {"estimate": [0.28, 0.5], "ci_lower": [0.049, np.nan], "ci_upper": [0.466, np.nan]}
    )
    assert mr.paired_change_cells(results) == ["+28.0 (+4.9 to +46.6)", ""]


def test_survey_section_refuses_scale_answers_above_five():
    data = programme_data()
    data.programme_participant_survey.loc[0, "score"] = 7
    with pytest.raises(AnalysisError, match="above 5"):
        mr.compare_participants(data, programme="p", scale_questions=["score"], binary_questions=[])


def test_positive_share_counts_yes_and_top_two_scale_points():
    assert mr.positive_share(pd.Series([1.0, 4.0, 5.0, np.nan])) == pytest.approx(2 / 3)
    assert mr.positive_share(pd.Series(["yes", "no", "Yes", np.nan])) == pytest.approx(2 / 3)
    assert math.isnan(mr.positive_share(pd.Series([np.nan])))


# --------------------------------------------------------------------------- framework
def test_parse_framework_reads_operator_and_threshold():
    items = mr.parse_framework(
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
        mr.parse_framework(["no separators", "Q? | key | =~ | 1", "Q? | key | > | lots"])
    problems = info.value.problems
    assert len(problems) == 3
    assert "line 1" in problems[0] and "'=~'" in problems[1] and "'lots'" in problems[2]


def test_framework_section_judges_each_question_from_the_evidence():
    report = programme_report()
    # spend 80% of the allocation; effect 3; no p-value from 2 + 2 councils
    assert math.isnan(report.outcomes.evidence["did_UP"]["p_value"])
    s = mr.framework(report)
    assert texts(s) == ["Of 3 evaluation questions: 1 Met, 1 Not met, 1 Not assessed."]
    record, description = s.figures["evaluation_framework"]
    assert list(record["judgement"]) == ["Met", "Not met", "Not assessed"]
    assert record["value"].iloc[0] == "80.0"  # values recorded as text
    assert description == "Each evaluation question's evidence, finding and judgement"
    (display,) = tables(s)
    assert column(display, "Judgement") == ["Met", "Not met", "Not assessed"]
    assert display.row_header == "Question"
    (chart,) = charts(s)
    assert chart.alt.endswith("Within?: Met. Effect above 5?: Not met. Significant?: Not assessed.")


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
    typed = mr.framework_items(TYPED)
    legacy = mr.parse_framework(
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
    assert mr.framework_items([{**TYPED[2], "threshold": [1, 2.5]}])[0]["rule"]["value"] == [
        1.0,
        2.5,
    ]
    # text that is not a number stays text for == and != (as the typed parameter allows)
    text = {"question": "Rated?", "evidence": "x.rating", "operator": "!=", "threshold": " poor "}
    assert mr.framework_items([text])[0]["rule"] == {"op": "!=", "value": "poor"}
    # legacy lines and typed items may be mixed; the lines keep their place in the numbering
    mixed = mr.framework_items([TYPED[0], "Went up? | did_UP.significant_increase | == | true"])
    assert mixed == typed[:2]


def test_typed_framework_items_report_every_problem_at_once():
    with pytest.raises(ParameterError) as info:
        mr.framework_items(
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
        mr.framework(programme_report(typed)).to_json()
        == mr.framework(programme_report(FRAMEWORK)).to_json()
    )


def test_describe_evidence_key():
    assert (
        mr.describe_evidence_key("did_NI192.p_value") == "NI192 difference-in-differences: p-value"
    )
    assert mr.describe_evidence_key("survey_uses_data.n") == "Participant survey, uses data: pairs"


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


def test_bundled_deflators_cite_hm_treasury_and_are_real():
    data = load_dataset()
    deflators = data.deflators.set_index("year")
    assert deflators.loc["2023/24", "deflator"] == pytest.approx(0.75 * 96.2507 + 0.25 * 100)
    assert deflators["source"].str.contains("HM Treasury").all()
    assert (deflators["synthetic"] == "false").all()
