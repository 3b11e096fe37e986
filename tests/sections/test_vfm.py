"""Unit tests for perfeval.sections.vfm (value for money), on tiny hand-made data."""

from __future__ import annotations

import pandas as pd
import pytest

from money_data import AUTHORITIES, REGISTER, charts, column, dataset, tables, texts, values
from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.data.loader import Dataset, load_dataset
from perfeval.present.charts_money import plot_real_terms
from perfeval.sections import vfm
from perfeval.stats.budget import NET_SPEND, SPEND_LINE


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
            "service": [SPEND_LINE] * 6,
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


def vfm_report(
    data: Dataset,
    *,
    council: str = "A",
    comparison: str = "type",
    indicators: tuple[str, ...] = ("UP", "DOWN"),
) -> vfm.VfmReport:
    return vfm.prepare_value_for_money(
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
    members, how = vfm.comparison_set(vfm_data(), "A", "type")
    assert members == ["A", "B", "C"]  # D is not current, E is a district
    assert "unitary" in how


def test_comparison_set_by_group_adds_the_home_council():
    members, how = vfm.comparison_set(vfm_data(), "C", "g")
    assert members == ["A", "B", "C"] and "'g'" in how


def test_performance_score_is_the_mean_polarity_aligned_percentile_rank():
    scores = vfm.performance_scores(vfm_data(), ["A", "B", "C"], ["UP", "DOWN"], "2017/18")
    assert dict(zip(scores["authority"], scores["score"])) == {"A": 50.0, "B": 75.0, "C": 25.0}
    assert set(scores["n_indicators"]) == {2}


def test_performance_score_refuses_neutral_indicators_and_too_few_councils():
    with pytest.raises(ParameterError, match="neutral"):
        vfm.performance_scores(vfm_data(), ["A", "B", "C"], ["UP", "FLAT"], "2017/18")
    with pytest.raises(AnalysisError, match="only 2 councils"):
        vfm.performance_scores(vfm_data(), ["A", "B"], ["UP"], "2017/18")


def test_value_for_money_section_fits_score_on_spend_per_head():
    report = vfm_report(vfm_data())
    table = report.result.table.set_index("authority")
    # spend per head = £000 x 1000 / population: A 100, B 300, C 200
    assert table["spend_per_head"].to_dict() == {"A": 100.0, "B": 300.0, "C": 200.0}
    # OLS through (100, 50), (200, 25), (300, 75): slope 0.125, fitted A = 37.5, residual +12.5
    assert report.result.slope == pytest.approx(0.125)
    assert table.loc["A", "residual"] == pytest.approx(12.5)
    s = vfm.performance_against_spend(report)
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
    parts = vfm.score_components(report)
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
    one = vfm.score_components(vfm_report(vfm_data(), indicators=("UP",)))
    assert "(100 = best) on 1 indicator among the 3 councils" in texts(one)[0]
    table, description = parts.figures["home_score_components"]
    assert list(table["percentile_rank"]) == [0.0, 100.0]
    assert description == "Home council's percentile rank per indicator, 2017/18"
    residuals = vfm.residuals(report)
    assert residuals.figures["home_residual"][0] == pytest.approx(12.5)
    (display,) = tables(residuals)
    assert column(display, "Residual (score points)")[0] == "+12.5"  # furthest above first
    assert texts(residuals)[0] == vfm.describe_residuals(
        report.result, report.names, "A", "2017/18"
    )


def test_real_terms_trend_rebases_to_the_base_year_with_home_and_median():
    trend = vfm.real_terms_trend(
        vfm_data(), council="A", members=["A", "B", "C"], base_year="2017/18"
    )
    assert list(trend["period"]) == ["2010/11", "2017/18"]
    first = trend.iloc[0]
    assert first["home_nominal"] == pytest.approx(110.0)
    assert first["home_real"] == pytest.approx(110.0 * 100 / 80)  # 137.5
    assert first["median_real"] == pytest.approx(220.0 * 100 / 80)  # 275
    text = vfm.describe_real_terms(trend, "Ayton", "2017/18")
    assert "£138 in 2010/11 to £100 in 2017/18 (-27.3%)" in text
    assert "2011/12" in text and "2016/17" in text  # missing years are named


def with_a_year_without_deflator() -> Dataset:
    # spend for 2018/19, one year after the deflators end (as the bundled Revenue Outturn runs to
    # 2024/25 and the GDP deflators to 2023/24)
    data = vfm_data()
    later = pd.DataFrame(
        {
            "authority": ["A", "B", "C"],
            "period": ["2018/19"] * 3,
            "service": [SPEND_LINE] * 3,
            "net_current_expenditure": [120.0, 240.0, 360.0],
        }
    )
    data.tables["net_expenditure"] = pd.concat([data.net_expenditure, later], ignore_index=True)
    return data


def test_a_year_with_spend_but_no_deflator_is_shown_in_cash_only():
    data = with_a_year_without_deflator()
    trend = vfm.real_terms_trend(data, council="A", members=["A", "B", "C"], base_year="2017/18")
    assert list(trend["period"]) == ["2010/11", "2017/18", "2018/19"]  # never dropped
    assert trend["cash_only"].tolist() == [False, False, True]
    last = trend.iloc[-1]
    assert last["home_nominal"] == pytest.approx(120.0) and pd.isna(last["home_real"])
    assert last["median_nominal"] == pytest.approx(240.0) and pd.isna(last["median_real"])
    text = vfm.describe_real_terms(trend, "Ayton", "2017/18")
    # the real change runs to the last year with a deflator
    assert "£138 in 2010/11 to £100 in 2017/18 (-27.3%)" in text
    assert text.endswith(
        "There is no GDP deflator for 2018/19 in the data yet, so that year is shown in cash "
        "only (2018/19: Ayton £120 per head, comparison median £240)."
    )
    real = vfm.real_terms(vfm_report(data))
    assert texts(real)[0] == text
    (display,) = tables(real)
    assert column(display, "Ayton, cash (£ per head)") == ["£110", "£100", "£120"]
    assert column(display, "Ayton, 2017/18 prices") == ["£138", "£100", "no deflator yet"]
    assert column(display, "Comparison median, 2017/18 prices")[-1] == "no deflator yet"
    (chart,) = charts(real)
    assert "2018/19 (no GDP deflator yet) is in the table in cash only." in chart.caption
    assert real.figures["real_terms_spend_per_head"][0]["cash_only"].tolist() == [
        False,
        False,
        True,
    ]


def test_the_real_terms_chart_draws_only_the_years_with_a_deflator():
    trend = vfm.real_terms_trend(
        with_a_year_without_deflator(), council="A", members=["A", "B", "C"], base_year="2017/18"
    )
    figure = plot_real_terms(trend, council_name="Ayton", base_year="2017/18")
    (ax,) = figure.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2010/11", "2017/18"]
    assert ax.get_title(loc="left") == (
        "Total service expenditure per head in real terms (2017/18 prices)"
    )


def test_every_year_in_cash_only_when_no_year_has_a_deflator_but_the_base():
    data = vfm_data()
    data.tables["deflators"] = pd.DataFrame({"year": ["2016/17"], "deflator": [100.0]})
    trend = vfm.real_terms_trend(data, council="A", members=["A", "B", "C"], base_year="2016/17")
    assert trend["cash_only"].all()
    assert vfm.describe_real_terms(trend, "Ayton", "2016/17") == (
        "No year of Ayton's spend per head has a GDP deflator. There are no total service "
        "expenditure figures for 2011/12, 2012/13, 2013/14, 2014/15, 2015/16, 2016/17. There is "
        "no GDP deflator for 2010/11 and 2017/18 in the data yet, so those years are shown in "
        "cash only (2010/11: Ayton £110 per head, comparison median £220; 2017/18: Ayton £100 "
        "per head, comparison median £200)."
    )


def test_real_terms_need_a_deflator_for_the_base_year():
    with pytest.raises(AnalysisError, match="2018/19"):
        vfm.real_terms_trend(
            with_a_year_without_deflator(), council="A", members=["A", "B"], base_year="2018/19"
        )


def test_data_note_names_synthetic_indicators():
    assert "SYNTHETIC" in vfm.vfm_data_note(vfm_data(), ["UP", "DOWN"])
    assert "real published figures only" in vfm.vfm_data_note(vfm_data(), ["UP"])


def test_data_note_and_captions_say_where_spend_population_and_deflators_come_from():
    data = vfm_data()
    note = vfm.vfm_data_note(data, ["UP"])
    assert (
        "Spend: net_expenditure.csv in the data folder, total service expenditure (net current "
        "expenditure on services, MHCLG Revenue Outturn), £000, cash; population: population.csv "
        "in the data folder; real terms: GDP deflators from deflators.csv in the data folder."
    ) in note
    assert "has no TOTAL SERVICE EXPENDITURE line" not in note
    data.origins["deflators"] = "reference"
    data.tables["deflators"] = data.deflators.assign(source="HM Treasury GDP deflators")
    assert vfm.deflator_source(data) == (
        "HM Treasury GDP deflators (perfeval's national reference "
        "data, as the data folder has no deflators.csv)"
    )
    real = vfm.real_terms(vfm_report(data))
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
    fit = vfm.performance_against_spend(report)
    assert texts(fit) == [
        "Comparison set: comparator group 'g': 2 councils, of which 2 have a 2017/18 value for "
        "every indicator (UP) and a net spend per head.",
        "Fewer than 3 councils of the comparison set have a 2017/18 value for every indicator "
        "(UP) and a net spend per head (2 do), so no score is ranked or compared.",
    ]
    assert not charts(fit) and not tables(fit)
    assert [b.kind for b in fit.blocks] == ["text", "text", "bullets"]  # the caveats stay
    assert [
        fit.figures[k][0] for k in ("vfm_slope_points_per_pound", "vfm_r_squared", "vfm_councils")
    ] == [None, None, 2]
    assert fit.figures["vfm_table"][0].empty
    parts = vfm.score_components(report)
    assert texts(parts)[0].startswith(
        "Fewer than 3 councils of the comparison set have a "
        "2017/18 value for every indicator (UP) (2 do)"
    )
    assert [b.kind for b in parts.blocks] == ["text"]
    assert parts.figures["home_score_components"][0].empty
    residuals = vfm.residuals(report)
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
    parts = vfm.score_components(vfm_report(data, indicators=("UP",)))
    assert texts(parts)[0] == (
        "Ayton has no 2017/18 value for every indicator of the score "
        "(UP), so it has no average performance score to show."
    )
    with pytest.raises(AnalysisError, match="only 2 councils"):  # the statistics still refuse
        vfm.performance_scores(data, ["A", "B", "C"], ["UP", "DOWN"], "2017/18")


def test_real_terms_without_any_deflators_is_one_sentence():
    data = vfm_data()
    data.tables["deflators"] = data.deflators.iloc[0:0]
    real = vfm.real_terms(vfm_report(data))
    assert texts(real) == [
        "No GDP deflators are in the data folder or perfeval's national "
        "reference data, so spend per head is not shown in real terms."
    ]
    assert [b.kind for b in real.blocks] == ["text"]
    assert real.figures["real_terms_spend_per_head"][0].empty


def test_real_terms_median_needs_three_councils():
    trend = vfm.real_terms_trend(vfm_data(), council="A", members=["A", "B"], base_year="2017/18")
    assert trend["median_real"].isna().all() and trend["councils"].tolist() == [2, 2]
    text = vfm.describe_real_terms(trend, "Ayton", "2017/18")
    assert "comparison median went" not in text
    assert (
        "No comparison median is quoted for 2010/11 to 2017/18: a median needs at least 3 "
        "councils with figures in both years."
    ) in text
    assert "There are no total service expenditure figures for 2011/12" in text


def test_a_folder_with_net_current_expenditure_only_is_compared_on_it_and_says_so():
    # a council's own older extract: the NET CURRENT EXPENDITURE total, no total service
    # expenditure line; the report compares it and says which line is missing and how to add it
    data = vfm_data()
    data.tables["net_expenditure"] = data.net_expenditure.assign(service=NET_SPEND)
    report = vfm_report(data)
    assert report.result is not None and report.measure.line == NET_SPEND
    note = texts(vfm.vfm_opening(report))[0]
    assert (
        "Spend: net_expenditure.csv in the data folder, net current expenditure (total service "
        "expenditure plus levies and other items, MHCLG Revenue Outturn), £000, cash;"
    ) in note
    assert note.endswith(
        "The data folder's net_expenditure.csv has no TOTAL SERVICE EXPENDITURE line, so spend "
        "here is net current expenditure (total service expenditure plus levies and other items, "
        "MHCLG Revenue Outturn), not total service expenditure; to compare total service "
        "expenditure, add rows with service 'TOTAL SERVICE EXPENDITURE' (£000, per council and "
        "year)."
    )
    fit = vfm.performance_against_spend(report)
    (chart,) = charts(fit)
    assert "against net current expenditure per head, 2017/18." in chart.caption
    real = vfm.real_terms(report)
    assert "Ayton's net current expenditure per head went from £138" in texts(real)[0]
    assert tables(real)[0].caption == "Net current expenditure per head, cash and 2017/18 prices"


def test_a_folder_with_neither_total_is_told_which_line_to_add():
    data = vfm_data()
    data.tables["net_expenditure"] = data.net_expenditure.assign(service="Central services")
    with pytest.raises(AnalysisError, match="'TOTAL SERVICE EXPENDITURE' rows"):
        vfm.real_terms_trend(data, council="A", members=["A", "B", "C"], base_year="2017/18")


def test_the_comparison_set_names_the_reference_authority_lookup():
    data = vfm_data()
    assert vfm.comparison_set(data, "A", "type")[1] == (
        "all current unitary councils in authorities.csv"
    )
    data.origins["authorities"] = "reference"
    assert vfm.comparison_set(data, "A", "type")[1] == (
        "all current unitary councils in perfeval's national authority lookup"
    )


def test_bundled_deflators_cite_hm_treasury_and_are_real():
    data = load_dataset()
    deflators = data.deflators.set_index("year")
    assert deflators.loc["2023/24", "deflator"] == pytest.approx(0.75 * 96.2507 + 0.25 * 100)
    assert deflators["source"].str.contains("HM Treasury").all()
    assert (deflators["synthetic"] == "false").all()


# --------------------------------------------------------------------------- studentised residuals
def five_council_result(home: str = "B") -> tuple:
    from perfeval.stats import budget as money

    score = pd.Series({"A": 52.0, "B": 50.0, "C": 60.0, "D": 58.0, "E": 70.0})
    spend = pd.Series({"A": 100.0, "B": 120.0, "C": 140.0, "D": 160.0, "E": 180.0})
    names = pd.Series({"A": "Ayton", "B": "Beeby", "C": "Ceeford", "D": "Deeham", "E": "Eston"})
    return money.value_for_money(score, spend, home=home, level=0.95), names


def test_residuals_are_judged_by_studentised_residuals_at_the_chosen_level():
    result, names = five_council_result()
    assert vfm.describe_judgement(result, names) == (
        "0 of 5 councils are outside the range the other councils would predict, judged by "
        "whether a council's studentised residual is beyond ±4.30, Student's t for 95 % "
        "confidence with 2 degrees of freedom."
    )
    display = vfm.residual_display(result, names)
    assert list(display.columns) == [
        "Council",
        "Residual (score points)",
        "Studentised residual",
        "Score expected from the other councils (95 % range)",
        "Finding",
    ]
    row = display.set_index("Council").loc["Eston"]
    # E: t = 3.2 / 2.4 (hand-worked in tests/stats/test_vfm_residuals.py)
    assert row["Studentised residual"] == "+1.33"
    assert row["Residual (score points)"] == "+3.2"
    shown = vfm.vfm_display(result, names)
    assert set(shown["Within the range expected"]) == {"Yes"}


def test_an_unusual_residual_is_named():
    from perfeval.stats import budget as money

    x = pd.Series({c: float(i) for i, c in enumerate("ABCDEFGHIJ", start=1)})
    noise = [0.3, -0.2, 0.1, -0.3, 0.0, 0.2, -0.1, 0.3, -0.2, 0.1]
    score = x + pd.Series(noise, index=x.index)
    score["E"] += 0.8  # studentised residual 3.02 with 7 degrees of freedom
    names = pd.Series({c: f"Council {c}" for c in x.index})
    loose = money.value_for_money(score, x, level=0.9)
    assert vfm.describe_judgement(loose, names).startswith(
        "1 of 10 councils is outside the range the other councils would predict (Council E), "
        "judged by whether a council's studentised residual is beyond ±1.89, Student's t for 90 % "
        "confidence with 7 degrees of freedom."
    )
    strict = money.value_for_money(score, x, level=0.998)
    assert vfm.describe_judgement(strict, names).startswith("0 of 10 councils are outside")


def test_three_councils_are_not_judged():
    report = vfm_report(vfm_data())
    assert vfm.describe_judgement(report.result, report.names) == (
        "With 3 councils no residual is judged: a studentised residual needs at least 4 councils."
    )
    assert set(vfm.vfm_display(report.result, report.names)["Within the range expected"]) == {
        "Not judged"
    }
    residuals = vfm.residuals(report)
    (display,) = tables(residuals)
    assert display.note.startswith("Each council's residual is judged by its externally")
    assert "Cook and Weisberg 1982" in display.note
