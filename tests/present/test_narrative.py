"""Sentences computed from data: checked word for word on small hand-made inputs."""

from __future__ import annotations

import math

import pandas as pd

from perfeval.present import narrative
from perfeval.present.html import format_number, html_table, parameters_table


def test_percent_rounds_half_up():
    assert narrative.percent(0.665) == "67%"
    assert narrative.percent(0.125, 1) == "12.5%"
    assert narrative.percent(float("nan")) == "n/a"


def test_describe_headlines_quotes_counts_and_shares():
    shares = pd.DataFrame(
        {
            "measure": ["on target", "improved", "in top two quartiles"],
            "numerator": [27, 5, 0],
            "denominator": [41, 10, 0],
            "share": [27 / 41, 0.5, math.nan],
        }
    )
    text = narrative.describe_headlines(shares, council="Rutland", year="2024/25")
    assert text == (
        "In 2024/25, Rutland met 27 of 41 targets (66%); 5 of 10 indicators improved "
        "on the previous year (50%)."
    )


def test_describe_trend_states_first_last_and_median():
    text = narrative.describe_trend(
        "Recycling rate",
        "%",
        ["2019/20", "2020/21", "2024/25"],
        [38.0, math.nan, 44.0],
        [40.0, 40.5, 41.0],
    )
    assert text == (
        "Recycling rate rose from 38.0% in 2019/20 to 44.0% in 2024/25; the "
        "comparator median in 2024/25 was 41.0%."
    )


def test_describe_comparison_ranks_from_highest():
    values = pd.DataFrame(
        {"code": ["A", "B", "C"], "name": ["Ay", "Bee", "Cee"], "value": [10.0, 30.0, 20.0]}
    )
    text = narrative.describe_comparison(
        "Spend", "£", "2017/18", values, "C", decimals=0, higher_is="highest"
    )
    assert text == "Spend, 2017/18: Cee £20, 2nd highest of 3 councils; the median was £20."


def test_ordinals():
    assert [narrative.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "111th",
    ]


def test_describe_positions_counts_quartile_bands():
    positions = pd.DataFrame({"label": ["a", "b", "c"], "percentile_rank": [100.0, 50.0, 0.0]})
    text = narrative.describe_positions(positions)
    assert text.startswith(
        "Of 3 ranked indicators, 1 is in the top quartile band, 1 in the "
        "second, 0 in the third and 1 in the bottom band."
    )


def test_format_number_units_and_negative_pounds():
    assert format_number(1234.5, 1, "£") == "£1,234.5"
    assert format_number(-50, 0, "£") == "-£50"
    assert format_number(45.23, 1, "%") == "45.2%"
    assert format_number(3, 0, "days") == "3 days"
    assert format_number(float("nan")) == ""


def test_html_table_escapes_text_and_marks_headers():
    html = html_table(
        pd.DataFrame({"Name": ["<script>alert(1)</script>"], "Value": [1.5]}),
        "A & B",
        row_header="Name",
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<caption>A &amp; B</caption>" in html
    assert '<th scope="col">Name</th>' in html and '<th scope="row">' in html
    assert '<td class="num">1.5</td>' in html


def test_tables_and_sentences_round_halves_up_the_same_way():
    from perfeval.present.html import round_half_up

    assert format_number(62.5, 0, "%") == "63%" == narrative.percent(0.625)
    assert format_number(2.675, 2) == "2.68"  # binary floating point would give 2.67
    assert narrative.percent(0.285) == "29%"  # 0.285 * 100 is 28.499999... in binary
    assert str(round_half_up(-0.5, 0)) == "-1"


def test_parameters_table_shows_values_as_a_reader_writes_them():
    table = parameters_table(
        {
            "council": "E06000017",
            "year": 2024,
            "data_dir": "",
            "key_indicators": ["NI192", "HB01"],
            "rake": False,
            "comparison_wave": "",
            "services": [],
        }
    )
    assert table.columns.tolist() == ["Parameter", "Value"]
    assert table["Value"].tolist() == [
        "E06000017",
        "2024",
        "(bundled sample data)",
        "NI192 and HB01",
        "no",
        "(none)",
        "(none)",
    ]


def test_an_empty_table_is_a_sentence_and_a_missing_chart_is_nothing():
    from perfeval.present.html import figure_html

    assert (
        html_table(pd.DataFrame({"Service": []}), "Budget by service, 2019/20 Q4.")
        == '<p class="table-empty">Budget by service, 2019/20 Q4: no rows to show.</p>'
    )
    assert (
        html_table(pd.DataFrame(), "Nothing <here>")
        == '<p class="table-empty">Nothing &lt;here&gt;: no rows to show.</p>'
    )
    assert figure_html(None, alt="No budget data for 2019/20 Q4.", caption="x") == ""


def test_an_absent_table_and_an_empty_sentence_show_nothing():
    from perfeval.present.html import show_table, show_text

    assert html_table(None, "Budget by service") == "" and str(show_table(None, "x")) == ""
    assert str(show_text("")) == ""
    assert str(show_text("No budget.")) == '<p class="finding">No budget.</p>'


def test_a_comparison_of_two_councils_quotes_no_median():
    values = pd.DataFrame({"code": ["A", "B"], "name": ["Ay", "Bee"], "value": [10.0, 30.0]})
    text = narrative.describe_comparison(
        "Spend", "£", "2017/18", values, "A", decimals=0, higher_is="highest"
    )
    assert text == (
        "Spend, 2017/18: Ay £10, 2nd highest of 2 councils; no median is quoted from "
        "fewer than 3 councils."
    )


def test_comparator_bars_draw_a_median_line_only_from_three_councils():
    from perfeval.present.charts import plot_comparator_bars

    three = pd.DataFrame(
        {"code": ["A", "B", "C"], "name": ["Ay", "Bee", "Cee"], "value": [10.0, 30.0, 20.0]}
    )
    drawn = plot_comparator_bars(three, home="A", title="t").axes[0]
    assert len(drawn.lines) == 1 and drawn.get_legend().get_texts()[0].get_text() == "Median 20.0"
    two = plot_comparator_bars(three.iloc[:2], home="A", title="t").axes[0]
    assert not two.lines and two.get_legend() is None


def test_describe_trend_tests_says_too_few_years_to_detect_a_trend():
    tests = pd.DataFrame(
        {
            "label": ["Recycling rate (%)", "Carers' quality of life (score)", "Delayed transfers"],
            "judgement": ["Improving", "Too few values", "No clear trend"],
        }
    )
    assert narrative.describe_trend_tests(tests) == (
        "Over the years shown, of 2 key indicators with enough years to test, 1 has improved "
        "steadily (Recycling rate (%)); the other 1 shows no clear trend (Mann-Kendall test, 5% "
        "level). Too few years with a value to detect a trend: Carers' quality of life (score)."
    )
    untested = tests.assign(judgement="Too few values")
    assert narrative.describe_trend_tests(untested) == (
        "No key indicator has enough years with a value to detect a trend."
    )


def test_issue_count_agrees_with_its_number():
    assert narrative.describe_issue_count(1).startswith("1 indicator is red against target")
    assert narrative.describe_issue_count(12).startswith("12 indicators are red against target")
    assert narrative.describe_issue_count(0).startswith("No indicator is red against target")
