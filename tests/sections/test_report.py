"""Annual report sections (State of the Nation, end-of-year review) on the hand-made minimal data
set: the sentences, tables and key figures each Section holds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from perfeval.data.loader import Dataset, load_dataset
from perfeval.present.section import Section
from perfeval.sections import annual as report
from perfeval.sections import review
from perfeval.stats.actions import CLINIC_METHOD
from perfeval.stats.budget import NET_SPEND, SPEND_LINE, VarianceThresholds, describe_variance_rule

MINIMAL = Path(__file__).parents[1] / "data" / "minimal"


PARAMS = {
    "council": "E06000017",
    "year": "2023/24",
    "comparator_group": "test_group",
    "data_dir": str(MINIMAL),
}


@pytest.fixture(scope="module")
def data():
    return load_dataset(MINIMAL)


def texts(section: Section) -> list[str]:
    return [b.text for b in section.blocks if b.kind == "text"]


def kinds(section: Section) -> list[str]:
    return [b.kind for b in section.blocks]


def table_column(section: Section, caption: str, column: str) -> list[str]:
    table = next(b for b in section.blocks if b.kind == "table" and b.caption == caption)
    return [row[table.columns.index(column)] for row in table.rows]


def figure(section: Section, name: str):
    return section.figures[name][0]


def test_report_context_names_the_council_group_and_synthetic_data(data):
    params = {
        "council": "E06000017",
        "year": "2023/24",
        "comparator_group": "test_group",
        "data_dir": str(MINIMAL),
    }
    context = report.report_context(data, params)
    assert context["subtitle"] == "Rutland (E06000017), financial year 2023/24."
    # every indicator of the minimal register is labelled synthetic; its targets, budget and
    # survey carry no synthetic column, so the note calls nothing else synthetic
    assert context["data_note"] == (
        "Data honesty: All 3 indicators (NI192, PL01, HB01) are "
        "SYNTHETIC (generated), not Rutland's real performance. Not in the data folder for "
        "Rutland: improvement actions and the risk register; the report says so where they "
        "would be."
    )
    assert context["group_sentence"].startswith("Comparator group 'test_group': 2 councils.")
    assert "Darlington, Harborough" in context["group_sentence"]
    assert context["parameters"]["Parameter"].tolist() == list(params)


def test_sources_table_says_which_indicators_are_synthetic(data):
    table = report.sources_table(data)
    assert table["Indicators"].tolist() == ["NI192, PL01, HB01"]
    assert table["Kind"].tolist() == [report.REAL_OR_SYNTHETIC[True]]


def test_council_name_falls_back_to_the_code(data):
    assert report.council_name(data, "E06000005") == "Darlington"
    assert report.council_name(data, "X1") == "X1"


def test_variance_rule_note_states_thresholds():
    note = describe_variance_rule(
        VarianceThresholds(amount=10_000, percent=2, flag_underspend=False)
    )
    assert "above both £10,000 and 2% of budget" in note
    assert "underspend above both" not in note


def test_money_section_copes_with_a_council_that_has_no_spend_figure():
    # Westmorland and Furness was created in 2023, so it has no 2017/18 Revenue Outturn.
    money = report.spend_section(
        load_dataset(), council="E06000064", group="rutland_nearest_15", year="2017/18"
    )
    assert texts(money) == [
        "Total service expenditure per head, 2017/18: no value for this "
        "council; 15 comparators shown. These figures are for 2017/18, the report year; spend "
        "per head uses population for 2020/21. Left out of the comparison: Westmorland and "
        "Furness (no figures for 2017/18)."
    ]
    assert "E06000064" not in set(figure(money, "net_spend_per_head")["authority"])
    chart = next(b for b in money.blocks if b.kind == "chart")
    assert chart.alt == texts(money)[0]  # the sentence is the chart's text alternative


def test_money_section_says_so_when_the_year_has_no_budget_rows():
    # the bundled budget monitoring starts in 2022/23; a 2019/20 report has none to show
    money = report.budget_outturn(load_dataset(), council="E06000017", year="2019/20")
    assert texts(money) == ["No budget monitoring data for 2019/20 Q4."]
    assert kinds(money) == ["text"] and figure(money, "budget_outturn").empty


# --------------------------------------------------------------------------- absent sections
def test_report_context_of_the_end_of_year_review_names_its_own_tables(data):
    params = {
        "council": "E06000017",
        "year": "2023/24",
        "comparator_group": "test_group",
        "data_dir": str(MINIMAL),
    }
    context = report.report_context(data, params, report="end_of_year_review")
    assert context["tables"]["Table"].tolist() == [
        "targets.csv",
        "commentary.csv",
        "actions.csv",
        "authorities.csv",
        "comparator_groups.csv",
    ]
    assert "survey" not in context["data_note"] and "budget" not in context["data_note"]


def test_tables_used_leaves_out_a_survey_only_when_the_council_has_one_and_no_wave_is_given(data):
    sotn = {"council": "E06000017", "survey_wave": "2024"}
    assert "survey_responses" in report.tables_used(data, "state_of_the_nation", sotn)
    unused = report.tables_used(data, "state_of_the_nation", {**sotn, "survey_wave": ""})
    assert "survey_responses" not in unused  # Rutland has a survey; the report does not use it
    nobody = {"council": "E06000005", "survey_wave": ""}  # Darlington has no survey: say so
    assert "survey_responses" in report.tables_used(data, "state_of_the_nation", nobody)


def test_a_group_without_a_method_is_described_without_one(data):
    groups = data.comparator_groups.drop(columns="method")
    plain = Dataset(
        root=data.root, tables={**data.tables, "comparator_groups": groups}, origins=data.origins
    )
    params = {"council": "E06000017", "year": "2023/24", "comparator_group": "test_group"}
    context = report.report_context(plain, params)
    assert context["group_sentence"].startswith(
        "Comparator group 'test_group': 2 councils. Members: "
    )
    assert (
        "Comparator group: comparator_groups.csv does not say how it was chosen."
        in context["method_notes"]
    )


def card_of(n_ranked: list, values: list | None = None) -> pd.DataFrame:
    n = len(n_ranked)
    return pd.DataFrame(
        {
            "title": [f"PI {i}" for i in range(n)],
            "unit": ["%"] * n,
            "period": ["2024/25"] * n,
            "decimals": [1] * n,
            "value": values or [50.0] * n,
            "value_symbol": [None] * n,
            "polarity": ["higher"] * n,
            "n_ranked": n_ranked,
            "rank": [1 if k and k >= 3 else None for k in n_ranked],
            "percentile_rank": [80.0 if k and k >= 3 else None for k in n_ranked],
            "quartile": [1 if k and k >= 3 else None for k in n_ranked],
            "comparator_median": [40.0 if k and k >= 3 else None for k in n_ranked],
        }
    )


def report_of(card: pd.DataFrame, shares: pd.DataFrame | None = None) -> report.AnnualReport:
    shares = (
        shares
        if shares is not None
        else pd.DataFrame(
            {
                "measure": ["on target", "in top two quartiles"],
                "numerator": [1, 1],
                "denominator": [2, 4],
                "share": [0.5, 0.25],
            }
        )
    )
    return report.AnnualReport(
        data=None,
        params={
            "council": "A1",
            "year": "2024/25",  # type: ignore[arg-type]
            "comparator_group": "g",
        },
        context={"council_name": "Ayton", "group_sentence": "Group g."},
        card=card,
        shares=shares,
        method_notes=(),
    )


def test_benchmark_section_says_which_indicators_have_too_few_councils_to_rank():
    some = report.benchmarking(report_of(card_of([16, 2])))
    assert texts(some) == [
        "Group g.",
        "1 of 2 indicators are not ranked because fewer than 3 "
        "councils of the group have a value for the same year: PI 1.",
    ]
    assert kinds(some) == ["text", "text", "chart", "table"]
    assert table_column(some, "Rank and quartile among the comparator group (g)", "Indicator") == [
        "PI 0 (%)"
    ]
    assert texts(report.benchmarking(report_of(card_of([16, 15])))) == ["Group g."]
    none = report.benchmarking(report_of(card_of([1, 2])))
    assert texts(none)[1] == (
        "Fewer than 3 councils of the comparator group have a value for "
        "any indicator, so no rank, quartile or median is shown."
    )
    assert kinds(none) == ["text", "text"]


def test_benchmarking_offers_positions_and_the_top_two_quartiles_share():
    section = report.benchmarking(report_of(card_of([16, 2])))
    assert list(section.figures) == ["percentile_positions", "share_top_two_quartiles"]
    assert section.figures["share_top_two_quartiles"] == (0.25, None)
    assert figure(section, "percentile_positions")["percentile_rank"].tolist() == [80.0]
    no_measure = pd.DataFrame({"measure": ["on target"], "share": [0.5]})
    assert report.top_two_quartiles_share(no_measure) is None


def test_missing_trend_medians_are_named_with_their_years():
    trends = pd.DataFrame(
        {
            "label": ["A (%)", "A (%)", "B (%)"],
            "period": ["2023/24", "2024/25", "2024/25"],
            "median": [None, 40.0, None],
        }
    )
    assert report.describe_missing_medians(trends) == (
        "No comparator median is drawn where fewer than 3 councils of the group have a value: "
        "A (%) (2023/24); B (%) (2024/25)."
    )
    assert report.describe_missing_medians(trends.assign(median=1.0)) == ""


def test_trends_section_caption_says_why_a_median_is_missing(data):
    # 2022/23: only Rutland has an NI192 value (Darlington is [x])
    section = report.trends_section(
        data, council="E06000017", group="test_group", indicators=["NI192"], year="2023/24", years=2
    )
    caption = next(b.caption for b in section.blocks if b.kind == "chart")
    assert "No comparator median is drawn" in caption and "(2022/23)" in caption
    assert table_column(section, "Values behind the trend charts", "Comparator median") == [
        "",
        "38.0",
    ]
    # two unitaries in the folder: too few for an England median, and the sentence says why
    assert texts(section)[0] == (
        "No England unitary median is shown: in no year does the data hold a key indicator's "
        "values for at least half of England's current unitary authorities and at least 3 of "
        "them."
    )
    assert kinds(section) == ["text", "chart", "table", "text", "table"]
    assert list(section.figures) == ["key_indicator_trends", "key_indicator_trend_tests"]


def test_spend_section_without_net_expenditure_is_one_sentence(data):
    empty = Dataset(
        root=data.root,
        tables={**data.tables, "net_expenditure": data.net_expenditure.iloc[0:0]},
        origins=data.origins,
    )
    money = report.spend_section(empty, council="E06000017", group="test_group", year="2023/24")
    assert texts(money) == [
        "No total service expenditure figures (the TOTAL SERVICE EXPENDITURE line of "
        "net_expenditure.csv, or the older NET CURRENT EXPENDITURE) are in the data folder for "
        "the councils of the comparator group, so this report has no spend per head."
    ]
    assert kinds(money) == ["text"]
    assert figure(money, "net_spend_per_head").empty


def test_spend_comparison_of_two_councils_quotes_no_median(data):
    two = pd.DataFrame(
        {
            "authority": ["E06000017", "E06000005"],
            "period": ["2017/18"] * 2,
            "service": [SPEND_LINE] * 2,
            "net_current_expenditure": [30000.0, 95000.0],
        }
    )
    plain = Dataset(
        root=data.root, tables={**data.tables, "net_expenditure": two}, origins=data.origins
    )
    money = report.spend_section(plain, council="E06000017", group="test_group", year="2017/18")
    assert "no median is quoted from fewer than 3 councils" in texts(money)[0]
    assert figure(money, "net_spend_per_head")["difference_from_median"].isna().all()
    assert table_column(
        money, next(b.caption for b in money.blocks if b.kind == "table"), "Council"
    ) == ["Darlington", "Rutland (this council)"]


def test_money_summary_uses_only_the_councils_own_budget(data):
    others = data.budget.assign(authority="E06000005")  # Darlington's budget, not Rutland's
    plain = Dataset(root=data.root, tables={**data.tables, "budget": others}, origins=data.origins)
    money = report.budget_outturn(plain, council="E06000017", year="2023/24")
    assert texts(money) == [
        "No budget monitoring figures are in the data folder for Rutland, so "
        "this report has no budget against forecast outturn."
    ]
    assert kinds(money) == ["text"]


def test_budget_caption_says_synthetic_only_when_the_rows_are():
    monitoring = pd.DataFrame(
        {
            "service": ["Waste"],
            "annual_budget": [1e6],
            "forecast_outturn": [1.1e6],
            "forecast_variance": [1e5],
            "forecast_variance_pct": [10.0],
            "forecast_direction": ["Overspend"],
            "forecast_rag": ["Red"],
        }
    )
    assert (
        report.budget_section(monitoring, "2024/25 Q4")["budget_caption"]
        == "Budget and forecast outturn by service as at 2024/25 Q4."
    )
    assert report.budget_section(monitoring, "2024/25 Q4", synthetic="synthetic data")[
        "budget_caption"
    ].endswith("as at 2024/25 Q4 (synthetic data).")


def test_trends_section_without_any_value_in_the_years_shown_is_one_sentence(data):
    section = report.trends_section(
        data, council="E06000017", group="test_group", indicators=["NI192"], year="2016/17", years=2
    )
    assert texts(section) == [
        "None of the key indicators (NI192) has a value for Rutland or its "
        "comparator group in the 2 years to 2016/17, so there are no "
        "trends to show."
    ]
    assert kinds(section) == ["text"] and figure(section, "key_indicator_trend_tests").empty
    assert list(figure(section, "key_indicator_trend_tests").columns) == report.TREND_TEST_COLUMNS
    some = report.trends_section(
        data,
        council="E06000017",
        group="test_group",
        indicators=["NI192", "PL01"],
        year="2023/24",
        years=2,
    )
    # PL01 is quarterly: no annual values
    assert set(figure(some, "key_indicator_trends")["indicator"]) == {"NI192"}
    chart = next(b for b in some.blocks if b.kind == "chart")
    assert chart.caption.endswith("No values in the years shown for: PL01.")
    assert chart.alt.endswith("No values in the years shown for: PL01.")


def test_the_largest_variance_is_the_largest_by_size_and_says_over_or_underspend():
    monitoring = pd.DataFrame(
        {
            "service": ["Adult social care", "Education", "Waste"],
            "forecast_variance": [25_000.0, -345_000.0, 0.0],
        }
    )
    assert report.describe_largest_variance(monitoring) == (
        " The largest variance is in Education: a forecast underspend of £345k."
    )
    over = monitoring.assign(forecast_variance=[25_000.0, -5_000.0, 0.0])
    assert report.describe_largest_variance(over) == (
        " The largest variance is in Adult social care: a forecast overspend of £25k."
    )
    assert report.describe_largest_variance(monitoring.assign(forecast_variance=0.0)) == ""
    assert report.variance_direction(0.0) == "on budget"


# --------------------------------------------------------------------------- whole sections
def test_prepared_report_carries_the_scorecard_shares_and_method_notes(data):
    prepared = report.prepare(data, PARAMS)
    assert (prepared.council, prepared.year, prepared.group) == (
        "E06000017",
        "2023/24",
        "test_group",
    )
    assert prepared.council_name == "Rutland" and not prepared.commentary
    assert prepared.method_notes == tuple(prepared.context["method_notes"])
    assert prepared.card["indicator"].tolist() == ["NI192"]  # PL01 and HB01 are quarterly


def test_headlines_sentence_is_the_text_and_the_charts_alternative(data):
    section = report.headlines(report.prepare(data, PARAMS))
    # NI192 2023/24: 41.2 [p] against 45.0 with 2 points' tolerance (Red), +0.7 on 40.5
    # (Improved), rank 1 of 3 (quartile 1): every count has its base and adds up to it
    sentence = (
        "Of Rutland's 1 indicator, each with a value for 2023/24: 0 on target (Green), 0 "
        "within tolerance (Amber), 1 beyond tolerance (Red), 0 no data and 0 no target. Of 1 "
        "indicator with a previous year's value to compare, 1 improved, 0 unchanged and 0 "
        "worse. Of 1 indicator ranked among the comparator group, 1 is in the top two "
        "quartiles."
    )
    assert texts(section) == [sentence]
    assert kinds(section) == ["text", "table", "chart"]
    assert next(b.alt for b in section.blocks if b.kind == "chart") == sentence
    caption = "Headline measures, Rutland: each indicator's latest value up to 2023/24"
    assert table_column(section, caption, "Measure") == [
        "on target (Green)",
        "within tolerance (Amber)",
        "beyond tolerance (Red)",
        "no data",
        "no target",
        "improved",
        "unchanged",
        "worse",
        "in the top two quartiles",
    ]
    assert table_column(section, caption, "Indicators") == [
        "0",
        "0",
        "1",
        "0",
        "0",
        "1",
        "0",
        "0",
        "1",
    ]
    assert table_column(section, caption, "Out of") == ["1"] * 9
    assert section.figures["headline_shares"][1] == (
        "Headline counts of every PI's latest value up to 2023/24, each with its base"
    )


def test_performance_counts_every_rag_state(data):
    section = report.performance(report.prepare(data, PARAMS))
    # the headline's count against target, word for word
    assert texts(section) == [
        "Of Rutland's 1 indicator, each with a value for 2023/24: 0 on target (Green), 0 "
        "within tolerance (Amber), 1 beyond tolerance (Red), 0 no data and 0 no target."
    ]
    assert texts(report.headlines(report.prepare(data, PARAMS)))[0].startswith(texts(section)[0])
    counts = figure(section, "rag_counts")
    assert list(counts.columns) == ["rag", "indicators"] and counts["indicators"].sum() == 1
    table = next(b for b in section.blocks if b.kind == "table")
    assert table.row_header == "Indicator" and table.note == report.rag_note()
    assert "[p] provisional" in report.rag_note()


def test_issues_list_each_indicator_with_its_reasons(data):
    issues = pd.DataFrame(
        {
            "title": ["Waste", "Homes"],
            "period": ["2023/24", "2022/23"],
            "reasons": ["red against target", "bottom quartile"],
        }
    )
    assert report.issue_items(issues) == [
        "Waste (2023/24): red against target.",
        "Homes (2022/23): bottom quartile.",
    ]
    section = report.issues(report.prepare(data, PARAMS))
    assert kinds(section) == ["text", "chart", "bullets", "table"]
    assert list(figure(section, "issues_to_consider").columns) == ["indicator", "period", "reasons"]


def test_headline_table_shows_shares_as_percentages():
    shares = pd.DataFrame(
        {"measure": ["on target"], "numerator": [3], "denominator": [4], "share": [0.75]}
    )
    assert report.headline_table(shares).to_dict("records") == [
        {"Measure": "on target (Green)", "Indicators": 3, "Out of": 4, "Share": "75%"}
    ]


def test_end_of_year_review_sections_offer_their_figures_with_descriptions(data):
    prepared = review.prepare(data, {**PARAMS, "services": []})
    assert prepared.commentary  # the minimal folder has commentary for Rutland
    # the minimal folder has no actions register: the clinic rule, not the response rule
    assert prepared.method_notes[-3:] == (
        review.EXCEPTIONS_METHOD,
        CLINIC_METHOD,
        review.DATA_QUALITY_METHOD,
    )
    outturns = review.outturns(prepared)
    assert list(outturns.figures) == [
        "rag_counts",
        "headline_shares",
        "outturns",
        "indicator_table",
    ]
    assert outturns.figures["headline_shares"][1] == (
        "Headline counts of every PI's latest outturn up to 2023/24, each with its base"
    )
    assert texts(outturns) == texts(report.headlines(prepared))  # the same headline sentence
    exceptions = review.exceptions(prepared)
    assert texts(exceptions)[0] == (
        "1 of 1 indicators reviewed for 2023/24 are exceptions: 0 red "
        "and worse than the year before, 1 red only and 0 worse only."
    )
    assert list(figure(exceptions, "exceptions").columns) == [
        "indicator",
        "period",
        "rag",
        "dot",
        "exception",
    ]
    quality = review.data_quality(prepared)
    assert texts(quality) == [
        "1 values this review relies on for 2023/24 need care (1 "
        "provisional); 1 of them are outturns shown in the review."
    ]
    assert kinds(quality) == ["text", "chart", "table"]
    assert quality.figures["data_quality"][1].startswith("Values relied on for 2023/24")


def test_a_review_of_some_services_keeps_only_their_indicators(data):
    prepared = review.prepare(data, {**PARAMS, "services": ["Waste"]})
    assert prepared.card["indicator"].tolist() == ["NI192"]
    assert set(prepared.shares["denominator"]) <= {0, 1}


# --- money: the spend year against the report year, and who is left out (#14 item 2) -------


def with_spend(
    data: Dataset, rows: list[tuple[str, str, float]], line: str = SPEND_LINE
) -> Dataset:
    """The minimal folder with hand-made spend on one line (authority, period, £000)."""
    net = pd.DataFrame(rows, columns=["authority", "period", "net_current_expenditure"])
    net = net.assign(service=line)
    return Dataset(
        root=data.root, tables={**data.tables, "net_expenditure": net}, origins=data.origins
    )


def test_spend_from_an_older_year_says_how_old_it_is_and_who_is_left_out(data):
    # 2021/22 is the latest year with figures; Harborough has none that year (only 2019/20)
    plain = with_spend(
        data,
        [
            ("E06000017", "2021/22", 41_000.0),
            ("E06000005", "2021/22", 216_000.0),
            ("E07000131", "2019/20", 9_800.0),
            ("E06000017", "2025/26", 50_000.0),  # after the report year: never used
        ],
    )
    money = report.spend_section(plain, council="E06000017", group="test_group", year="2023/24")
    # £41m / 41,000 = £1,000 a head; £216m / 108,000 = £2,000 (population 2023/24)
    assert texts(money) == [
        "Total service expenditure per head, 2021/22: Rutland £1,000, 2nd highest of 2 councils; "
        "no median is quoted from fewer than 3 councils. These figures are for 2021/22, the "
        "latest year in the data, two years before this report (2023/24); spend per head uses "
        "population for 2023/24. Left out of the comparison: Harborough (no figures for "
        "2021/22)."
    ]
    assert next(b.alt for b in money.blocks if b.kind == "chart") == texts(money)[0]


def test_spend_from_the_report_year_says_so(data):
    plain = with_spend(
        data,
        [
            ("E06000017", "2023/24", 41_000.0),
            ("E06000005", "2023/24", 216_000.0),
            ("E07000131", "2023/24", 9_800.0),
        ],
    )
    text = texts(
        report.spend_section(plain, council="E06000017", group="test_group", year="2023/24")
    )[0]
    assert "These figures are for 2023/24, the report year; spend per head uses population " in text
    assert "Left out" not in text and "years before" not in text
    assert report.years_apart(1) == "one year" and report.years_apart(12) == "12 years"


def test_the_bundled_money_section_compares_the_report_years_total_service_expenditure():
    # the Revenue Outturn to 2024/25 has TOTAL SERVICE EXPENDITURE for every upper-tier council;
    # Rutland 2024/25: £70,706k / 40,476 (mid-2020) = £1,746.86 a head
    money = report.spend_section(
        load_dataset(), council="E06000017", group="rutland_nearest_15", year="2024/25"
    )
    text = texts(money)[0]
    assert text.startswith("Total service expenditure per head, 2024/25: Rutland £1,747, ")
    assert "These figures are for 2024/25, the report year" in text
    spend = figure(money, "net_spend_per_head")
    assert len(spend) == 16 and spend["spend_per_head"].notna().all()
    caption = next(b.caption for b in money.blocks if b.kind == "table")
    assert "Spend is total service expenditure (net current expenditure on services, " in caption
    assert table_column(money, caption, "Total service expenditure (£000)")


def test_a_folder_with_net_current_expenditure_only_is_compared_on_it_and_says_so(data):
    plain = with_spend(
        data,
        [("E06000017", "2023/24", 41_000.0), ("E06000005", "2023/24", 216_000.0)],
        line=NET_SPEND,
    )
    money = report.spend_section(plain, council="E06000017", group="test_group", year="2023/24")
    text = texts(money)[0]
    assert text.startswith("Net current expenditure per head, 2023/24: Rutland £1,000")
    assert text.endswith(
        "The data folder's net_expenditure.csv has no TOTAL SERVICE EXPENDITURE line, so spend "
        "here is net current expenditure (total service expenditure plus levies and other items, "
        "MHCLG Revenue Outturn), not total service expenditure; to compare total service "
        "expenditure, add rows with service 'TOTAL SERVICE EXPENDITURE' (£000, per council and "
        "year)."
    )
    caption = next(b.caption for b in money.blocks if b.kind == "table")
    assert table_column(money, caption, "Net current expenditure (£000)") == ["216,000", "41,000"]


def test_total_service_expenditure_wins_over_net_current_expenditure_in_a_folder_with_both(data):
    both = with_spend(data, [("E06000017", "2017/18", 41_000.0)], line=SPEND_LINE)
    net = pd.concat(
        [
            both.net_expenditure,
            both.net_expenditure.assign(service=NET_SPEND, net_current_expenditure=99_000.0),
        ]
    )
    both.tables["net_expenditure"] = net
    money = report.spend_section(both, council="E06000017", group="test_group", year="2017/18")
    assert texts(money)[0].startswith("Total service expenditure per head, 2017/18: Rutland £1,000")
    assert "has no TOTAL SERVICE EXPENDITURE line" not in texts(money)[0]
