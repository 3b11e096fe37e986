"""Unit tests for perfeval.sections.monitoring on tiny hand-made frames (expected values worked
by hand)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from perfeval.core.exceptions import AnalysisError
from perfeval.present import charts_monitoring
from perfeval.sections import monitoring as m

YEAR = "2024/25"


def test_describe_symbol():
    assert m.describe_symbol("[low]") == "[low] base too small to publish"
    assert m.describe_symbol("[q]") == "value missing ([q])"
    assert m.describe_symbol(None) == "value missing"


# --------------------------------------------------------------------------- quarters


def test_quarter_label_and_as_at_sentence():
    assert m.quarter_label(YEAR, 3) == "2024/25 Q3"
    assert m.describe_as_at(YEAR, 3) == (
        "Position at the end of 2024/25 Q3 (April to December 2024)."
    )
    assert m.describe_as_at(YEAR, 4).endswith("(April to March 2025).")
    with pytest.raises(AnalysisError, match="quarter must be a whole number from 1 to 4; got 5"):
        m.quarter_label(YEAR, 5)


def test_periods_to_quarter():
    assert m.periods_to_quarter(YEAR, "quarterly", 2) == ["2024/25 Q1", "2024/25 Q2"]
    assert m.periods_to_quarter(YEAR, "monthly", 1) == ["2024-04", "2024-05", "2024-06"]
    with pytest.raises(AnalysisError, match="frequency"):
        m.periods_to_quarter(YEAR, "annual", 1)


# --------------------------------------------------------------------------- in-year position


def history(rows):
    return pd.DataFrame(rows, columns=["period", "value"])


def test_infer_measure_kind_from_sum_or_mean():
    quarters = [("2022/23 Q1", 2), ("2022/23 Q2", 3), ("2022/23 Q3", 2), ("2022/23 Q4", 3)]
    assert m.infer_measure_kind(history(quarters + [("2022/23", 10)]), "quarterly") == "cumulative"
    assert m.infer_measure_kind(history(quarters + [("2022/23", 2.5)]), "quarterly") == "average"
    # an incomplete year is no evidence: the default
    assert (
        m.infer_measure_kind(history(quarters[:3] + [("2022/23", 7)]), "quarterly")
        == m.DEFAULT_MEASURE_KIND
    )


def test_infer_a_snapshot_whose_year_is_its_last_period():
    # year = Q4 (3.4); mean 2.6 and sum 10.4 are further: a snapshot; quarters out of order
    year = [
        ("2022/23 Q4", 3.4),
        ("2022/23 Q1", 2),
        ("2022/23 Q2", 2.5),
        ("2022/23 Q3", 2.5),
        ("2022/23", 3.4),
    ]
    assert m.infer_measure_kind(history(year), "quarterly") == "snapshot"
    # every quarter equal: mean and last agree, so the year votes for neither -> default
    flat = [(f"2022/23 Q{q}", 2) for q in range(1, 5)] + [("2022/23", 2)]
    assert m.infer_measure_kind(history(flat), "quarterly") == m.DEFAULT_MEASURE_KIND
    # one snapshot year and one average year: a tie -> default
    other = [
        ("2021/22 Q1", 1),
        ("2021/22 Q2", 2),
        ("2021/22 Q3", 3),
        ("2021/22 Q4", 4),
        ("2021/22", 2.5),
    ]
    assert m.infer_measure_kind(history(year + other), "quarterly") == m.DEFAULT_MEASURE_KIND


def test_the_registers_measure_column_decides_the_kind():
    data = tiny_dataset()
    data.indicators = data.indicators.assign(measure=[None, "snapshot", ""])
    position = m.assess_in_year(data, "K", YEAR, 2, method="seasonal")
    qtr, mon = position.iloc[0], position.iloc[1]
    # QTR's past years add up (cumulative) but the register says snapshot: the latest value 14
    # against the year-end target 40, lower is better
    assert qtr["kind"] == "snapshot" and qtr["ytd_value"] == 14 and qtr["ytd_target"] == 40
    assert qtr["profile"] == "year-end target (snapshot)" and qtr["forecast"] == 14
    assert mon["kind"] == "average", "a blank measure is inferred"


def test_percent_better_than_target():
    assert m.percent_better_than_target(110, 100, "higher") == pytest.approx(10)
    assert m.percent_better_than_target(110, 100, "lower") == pytest.approx(-10)
    assert m.percent_better_than_target(-40, -50, "higher") == pytest.approx(20)
    assert math.isnan(m.percent_better_than_target(5, 0, "higher"))
    assert math.isnan(m.percent_better_than_target(5, 4, "neutral"))
    assert math.isnan(m.percent_better_than_target(np.nan, 4, "higher"))


AVERAGE_PAST = [
    ("2023/24 Q1", 80),
    ("2023/24 Q2", 80),
    ("2023/24 Q3", 80),
    ("2023/24 Q4", 80),
    ("2023/24", 80),
]


def test_average_measure_year_to_date_and_forecast():
    # mean of 70 and 80 = 75 against 80; absolute tolerance 5 -> exactly on the band edge: Amber
    got = m.assess_indicator_in_year(
        history(AVERAGE_PAST + [("2024/25 Q1", 70), ("2024/25 Q2", 80), ("2024/25 Q3", 99)]),
        80.0,
        YEAR,
        2,
        frequency="quarterly",
        polarity="higher",
        tolerance=5.0,
        tolerance_type="absolute",
        method="even",
    )
    assert got["kind"] == "average" and got["profile"] == "even"
    assert (got["periods_reported"], got["last_period"]) == (2, "2024/25 Q2")
    assert got["ytd_value"] == pytest.approx(75) and got["ytd_target"] == pytest.approx(80)
    assert got["rag"] == "Amber" and got["gap_pct"] == pytest.approx(-6.25)
    assert got["forecast"] == pytest.approx(75) and got["forecast_state"] == "At risk"
    assert got["note"] == ""


CUMULATIVE_PAST = [
    ("2023/24 Q1", 5),
    ("2023/24 Q2", 15),
    ("2023/24 Q3", 10),
    ("2023/24 Q4", 10),
    ("2023/24", 40),
]


def test_cumulative_measure_even_profile():
    # running total 26 against 40 x 2/4 = 20, lower is better, band 10 % of 20 = 2 -> Red;
    # forecast 26 / 0.5 = 52 against 40 (band 4) -> Off track
    got = m.assess_indicator_in_year(
        history(CUMULATIVE_PAST + [("2024/25 Q1", 12), ("2024/25 Q2", 14)]),
        40.0,
        YEAR,
        2,
        frequency="quarterly",
        polarity="lower",
        tolerance=0.1,
        tolerance_type="relative",
    )
    assert got["kind"] == "cumulative"
    assert (got["ytd_value"], got["ytd_target"]) == (pytest.approx(26), pytest.approx(20))
    assert got["rag"] == "Red" and got["gap_pct"] == pytest.approx(-30)
    assert got["forecast"] == pytest.approx(52) and got["forecast_state"] == "Off track"


def test_cumulative_measure_seasonal_profile_from_past_years():
    # past shares 5/40 = 0.125 for Q1: Q1 target 40 x 0.125 = 5; forecast 12 / 0.125 = 96
    got = m.assess_indicator_in_year(
        history(CUMULATIVE_PAST + [("2024/25 Q1", 12)]),
        40.0,
        YEAR,
        1,
        frequency="quarterly",
        polarity="lower",
        tolerance=0.1,
        tolerance_type="relative",
        method="seasonal",
    )
    assert got["profile"] == "seasonal"
    assert got["ytd_target"] == pytest.approx(5) and got["forecast"] == pytest.approx(96)


def test_a_seasonal_percentage_target_never_passes_100():
    # past quarters 96, 100, 100, 104 of a % (index 0.96, 1, 1, 1.04): unbounded, a 100% target
    # profiles to 96, 100, 100, 104 (Q4 impossible), so the target to Q3 is 98.67; bounded it is
    # 100 every quarter
    past = [
        ("2023/24 Q1", 96),
        ("2023/24 Q2", 100),
        ("2023/24 Q3", 100),
        ("2023/24 Q4", 104),
        ("2023/24", 100),
    ]
    frame = history(past + [(f"2024/25 Q{q}", 100) for q in range(1, 4)])
    kwargs = dict(frequency="quarterly", polarity="higher", method="seasonal")
    bounded = m.assess_indicator_in_year(frame, 100.0, YEAR, 3, upper_bound=100.0, **kwargs)
    assert bounded["kind"] == "average" and bounded["profile"] == "seasonal"
    assert bounded["ytd_target"] == pytest.approx(100)
    unbounded = m.assess_indicator_in_year(frame, 100.0, YEAR, 3, **kwargs)
    assert unbounded["ytd_target"] == pytest.approx(296 / 3)
    assert m.UPPER_BOUNDS["%"] == 100.0


def test_seasonal_profile_without_a_complete_past_year_falls_back_to_even_and_says_so():
    got = m.assess_indicator_in_year(
        history([("2024/25 Q1", 12)]),
        40.0,
        YEAR,
        1,
        frequency="quarterly",
        polarity="lower",
        method="seasonal",
    )
    # no past year either: an average measure, so the even profile keeps the annual level
    assert got["profile"] == "even (no complete past year)" and got["kind"] == "average"
    assert got["ytd_target"] == pytest.approx(40)


def test_no_value_in_the_year_gives_no_data_with_the_symbol_reason():
    frame = history(AVERAGE_PAST + [("2024/25 Q1", np.nan)]).assign(
        value_symbol=[None] * 5 + ["[x]"]
    )
    got = m.assess_indicator_in_year(frame, 80.0, YEAR, 1, frequency="quarterly", polarity="higher")
    assert got["rag"] == "No data" and got["forecast_state"] == "No data"
    assert got["note"] == "no value to 2024/25 Q1 ([x] not available)"


def test_gap_before_the_latest_value_gives_no_data_naming_the_gap():
    got = m.assess_indicator_in_year(
        history(AVERAGE_PAST + [("2024/25 Q1", np.nan), ("2024/25 Q2", 80)]),
        80.0,
        YEAR,
        2,
        frequency="quarterly",
        polarity="higher",
    )
    assert got["rag"] == "No data" and got["note"] == "no value for 2024/25 Q1"
    assert math.isnan(got["forecast"])


def test_latest_value_before_the_quarter_is_used_and_noted():
    got = m.assess_indicator_in_year(
        history(AVERAGE_PAST + [("2024/25 Q1", 84)]),
        80.0,
        YEAR,
        2,
        frequency="quarterly",
        polarity="higher",
    )
    assert got["last_period"] == "2024/25 Q1" and got["rag"] == "Green"
    assert got["note"] == "latest value is for 2024/25 Q1"
    assert got["forecast"] == pytest.approx(84) and got["forecast_state"] == "On track"


def test_no_target_still_forecasts():
    got = m.assess_indicator_in_year(
        history(AVERAGE_PAST + [("2024/25 Q1", 84)]),
        np.nan,
        YEAR,
        1,
        frequency="quarterly",
        polarity="higher",
    )
    assert got["rag"] == "No target" and got["forecast_state"] == "No target"
    assert got["forecast"] == pytest.approx(84)


def tiny_dataset():
    register = pd.DataFrame(
        {
            "code": ["ANN", "QTR", "MON"],
            "title": ["Annual", "Quarterly", "Monthly"],
            "unit": ["%", "days", "%"],
            "polarity": ["higher", "lower", "higher"],
            "frequency": ["annual", "quarterly", "monthly"],
            "service": ["S1", "S1", "S3"],
            "tolerance": [0.05, 0.1, np.nan],
            "tolerance_type": ["relative", "relative", None],
            "decimals": [1, 1, 0],
        }
    )
    this_year = [("2024/25 Q1", 12), ("2024/25 Q2", 14)]
    quarterly = [("QTR", p, v) for p, v in CUMULATIVE_PAST + this_year]
    monthly = [("MON", f"2024-{mm:02d}", v) for mm, v in ((4, 50), (5, 60), (6, 70))]
    rows = [("K", i, p, v) for i, p, v in quarterly + monthly + [("ANN", YEAR, 1.0)]]
    values = pd.DataFrame(rows, columns=["authority", "indicator", "period", "value"])
    targets = pd.DataFrame(
        {
            "authority": ["K", "K", "K"],
            "indicator": ["QTR", "MON", "ANN"],
            "period": [YEAR, YEAR, YEAR],
            "target": [40.0, 50.0, 2.0],
        }
    )
    return SimpleNamespace(indicators=register, indicator_values=values, targets=targets)


def test_assess_in_year_covers_every_quarterly_and_monthly_pi():
    position = m.assess_in_year(tiny_dataset(), "K", YEAR, 2, method="even")
    assert position["indicator"].tolist() == ["QTR", "MON"]
    qtr, mon = position.iloc[0], position.iloc[1]
    assert qtr["rag"] == "Red" and qtr["forecast_state"] == "Off track"
    # monthly: no past year -> average; mean of April-June 60 against 50, higher is better
    assert mon["kind"] == "average" and mon["ytd_value"] == pytest.approx(60)
    assert mon["rag"] == "Green" and mon["note"] == "latest value is for 2024-06"
    table = m.in_year_table(position)
    # a unit in words (days) is in the indicator's name, not after the number
    assert table["Year to date (to)"].tolist() == ["26.0 (2024/25 Q2)", "60% (2024-06)"]
    assert table["Against profile"].tolist() == ["✖ Red", "✔ Green"]


def test_forecast_counts_exceptions_and_sentences():
    position = pd.DataFrame(
        {
            "indicator": ["A", "B", "C", "D"],
            "title": ["Ay", "Bee", "See", "Dee"],
            "forecast_state": ["At risk", "Off track", "On track", "No target"],
            "rag": ["Amber", "Red", "Green", "No target"],
            "gap_pct": [-2.0, -10.0, 4.0, np.nan],
        }
    )
    counts = m.count_forecast_states(position)
    assert counts[["On track", "At risk", "Off track", "No target"]].tolist() == [1, 1, 1, 1]
    exceptions = m.forecast_exceptions(position)
    assert exceptions["indicator"].tolist() == ["B", "A"]
    assert m.describe_in_year(position, "2024/25 Q2") == (
        "At 2024/25 Q2, of 3 quarterly and monthly indicators with a year-end forecast and "
        "target, 1 are on track, 1 at risk and 1 off track; 1 of 3 are red against their "
        "profiled target to date."
    )
    assert m.describe_forecast_exceptions(exceptions, "2024/25 Q2") == (
        "At 2024/25 Q2, 2 indicators may miss their year-end target (off track: Bee; at risk: Ay)."
    )
    assert m.describe_forecast_exceptions(exceptions.iloc[0:0], "Q").endswith("year-end target.")
    assert m.describe_ytd_gap(position) == (
        "Of 3 indicators with a year-to-date value and target, 1 are on or better than their "
        "profiled target. Furthest behind: Bee (-10.0%); furthest ahead: See (+4.0%)."
    )


def quarterly_report(data, position, *, council="K", quarter=2, method="even", spc_indicators=()):
    """A :class:`~perfeval.sections.monitoring.QuarterlyReport` without a report context (the
    sections tested here do not read it)."""
    params = {
        "council": council,
        "year": YEAR,
        "quarter": quarter,
        "profile_method": method,
        "spc_indicators": list(spc_indicators),
    }
    return m.QuarterlyReport(
        data=data,
        params=params,
        context={},
        as_at=m.quarter_label(YEAR, quarter),
        position=position,
    )


def test_forecast_section_names_the_exceptions_and_offers_the_counts():
    position = m.assess_in_year(tiny_dataset(), "K", YEAR, 2, method="even")
    section = m.forecast_section(quarterly_report(tiny_dataset(), position))
    assert texts(section) == [
        "At 2024/25 Q2, 1 indicators may miss their year-end target (off track: Quarterly)."
    ]
    chart, table = section.blocks[1], section.blocks[2]
    assert chart.alt.startswith("Of 2 quarterly and monthly indicators")
    assert table.caption == (
        "Indicators forecast off track or at risk at 2024/25 Q2, off track first"
    )
    assert table.row_header == "Indicator" and [r[0] for r in table.rows] == ["Quarterly (days)"]
    counts, description = section.figures["forecast_states"]
    assert dict(zip(counts["forecast"], counts["indicators"]))["Off track"] == 1
    assert description.endswith("against the annual target, at 2024/25 Q2")


def test_year_to_date_section_computes_its_sentence_once_and_notes_the_profile_method():
    position = m.assess_in_year(tiny_dataset(), "K", YEAR, 2, method="even")
    section = m.year_to_date_section(quarterly_report(tiny_dataset(), position))
    assert texts(section) == [m.describe_in_year(position, "2024/25 Q2")]
    assert section.blocks[1].alt == m.describe_ytd_gap(position)
    table = section.blocks[2]
    assert table.note == m.PROFILE_METHOD_TEXT["even"] + " " + m.KIND_METHOD
    assert [r[0] for r in table.rows] == ["Quarterly (days)", "Monthly (%)"]
    offered = section.figures["in_year_position"][0]
    assert offered.columns.tolist() == m.IN_YEAR_FIGURE_COLUMNS and len(offered) == 2


def test_plot_ytd_gap_draws_one_labelled_bar_per_assessed_pi():
    position = pd.DataFrame(
        {
            "indicator": ["A", "B", "C"],
            "title": ["Ay", "Bee", "See"],
            "rag": ["Amber", "Red", "No data"],
            "gap_pct": [-2.0, -10.0, np.nan],
        }
    )
    fig = charts_monitoring.plot_ytd_gap(position, title="t")
    ax = fig.axes[0]
    assert len(ax.patches) == 2
    texts = [t.get_text() for t in ax.texts]
    assert " ▲ Amber (-2.0%) " in texts and " ✖ Red (-10.0%) " in texts


# --------------------------------------------------------------------------- SPC


def test_spc_series_takes_one_kind_up_to_the_quarter_in_time_order():
    values = pd.DataFrame(
        {
            "indicator": ["Q", "Q", "Q", "Q", "Q", "M"],
            "period": [
                "2024/25 Q2",
                "2023/24 Q4",
                "2024/25 Q3",
                "2024/25",
                "2024/25 Q1",
                "2024-05",
            ],
            "value": [2.0, 0.0, 3.0, 9.0, 1.0, 5.0],
        }
    )
    series = m.spc_series(values, "Q", "quarterly", YEAR, 2)
    assert series.index.tolist() == ["2023/24 Q4", "2024/25 Q1", "2024/25 Q2"]
    assert series.tolist() == [0.0, 1.0, 2.0]
    assert m.spc_series(values, "M", "monthly", YEAR, 1).tolist() == [5.0]


def test_spc_target_per_period():
    assert m.spc_target(40.0, "cumulative", "quarterly") == pytest.approx(10)
    assert m.spc_target(40.0, "average", "monthly") == pytest.approx(40)
    assert m.spc_target(np.nan, "average", "monthly") is None


def spc_position(target=20.0):
    return pd.DataFrame(
        {
            "indicator": ["Q"],
            "title": ["Queue"],
            "unit": ["%"],
            "decimals": [1],
            "polarity": ["higher"],
            "frequency": ["quarterly"],
            "annual_target": [target],
            "kind": ["average"],
        }
    )


def spc_data():
    periods = [f"{2021 + i // 4}/{(22 + i // 4) % 100:02d} Q{i % 4 + 1}" for i in range(14)]
    values = pd.DataFrame(
        {"authority": "K", "indicator": "Q", "period": periods, "value": [10.0, 12.0] * 7}
    )
    return SimpleNamespace(indicator_values=values)


def test_spc_overview_limits_variation_and_assurance():
    # 13 points to 2024/25 Q1 alternating 10, 12 (seven 10s, six 12s): mean 142 / 13; every
    # moving range 2, limits mean +/- 2.66 x 2 = mean +/- 5.32; a target of 20 lies above the
    # upper limit and higher is better -> consistently missed
    overview = m.spc_overview(spc_data(), "K", ["Q"], YEAR, 1, spc_position())
    row = overview["summary"].iloc[0]
    assert row["points"] == 13 and row["last_period"] == "2024/25 Q1"
    assert row["mean"] == pytest.approx(142 / 13)
    assert row["lpl"] == pytest.approx(142 / 13 - 5.32)
    assert row["upl"] == pytest.approx(142 / 13 + 5.32)
    assert row["variation"] == "Common cause"
    assert row["assurance"] == "Target consistently missed"
    assert not row["provisional_limits"]
    assert "consistently be missed" in row["sentence"]
    table = m.spc_table(overview["summary"])
    assert table["Points"].iloc[0] == "13 (2021/22 Q1 to 2024/25 Q1)"
    assert table["Limits"].iloc[0] == "firm"
    fig = charts_monitoring.plot_xmr_panels(overview)
    assert len(fig.axes) == 1 and "consistently missed" in fig.axes[0].get_title()


def test_spc_section_lists_what_the_charts_say_and_offers_the_summary():
    section = m.spc_section(
        quarterly_report(spc_data(), spc_position(), council="K", quarter=1, spc_indicators=["Q"])
    )
    assert [b.kind for b in section.blocks] == ["bullets", "chart", "table"]
    assert section.blocks[0].heading == "What the charts say"
    assert section.blocks[0].items[0].startswith("Queue (Q): ")
    assert section.blocks[1].alt == section.blocks[0].items[0]
    assert section.blocks[2].rows[0][1] == "13 (2021/22 Q1 to 2024/25 Q1)"
    summary, description = section.figures["spc_summary"]
    assert summary.columns.tolist() == m.SPC_FIGURE_COLUMNS and summary["points"].tolist() == [13]
    assert description == (
        "XmR chart mean, process limits, variation and assurance, all points to 2024/25 Q1"
    )


def test_spc_overview_leaves_out_an_indicator_the_council_does_not_report_and_says_so():
    # another council ("L") has no values for Q: nothing to chart, one sentence says why
    overview = m.spc_overview(spc_data(), "L", ["Q"], YEAR, 1, spc_position())
    assert overview["charts"] == {} and overview["summary"].empty
    assert list(overview["summary"].columns) == m.SPC_SUMMARY_COLUMNS
    assert overview["not_charted"] == ["Queue (Q)"]
    assert overview["sentences"] == [
        "Not charted, as this council has no value for them to 2024/25 Q1: Queue (Q)."
    ]
    assert charts_monitoring.plot_xmr_panels(overview) is None


def test_spc_overview_rejects_annual_indicators():
    with pytest.raises(AnalysisError, match=r"\['ANN'\] are not"):
        m.spc_overview(spc_data(), "K", ["ANN"], YEAR, 1, spc_position())


# --------------------------------------------------------------------------- finance


def finance_data(periods=("2024/25 Q1", "2024/25 Q2")):
    rows = []
    for service, forecast in (("S1", 1_100_000.0), ("S2", 990_000.0)):
        for period in periods:
            rows.append(("K", service, period, 1_000_000.0, forecast, 250_000.0))
    budget = pd.DataFrame(
        rows, columns=["authority", "service", "period", "budget", "forecast_outturn", "actual"]
    )
    return SimpleNamespace(budget=budget)


FINANCE_POSITION = pd.DataFrame({"service": ["S1", "S3", "S3"], "rag": ["Red", "Green", "Amber"]})


def texts(section):
    return [b.text for b in section.blocks if b.kind == "text"]


def table_of(section, index=0):
    """The ``index``-th table of a section as a frame of its cell texts, by its row header."""
    table = [b for b in section.blocks if b.kind == "table"][index]
    return pd.DataFrame(list(table.rows), columns=list(table.columns)).set_index(table.row_header)


def test_finance_section_joins_variance_and_pi_rag_by_service():
    # S1: 1,100,000 - 1,000,000 = +100,000 (10 %): beyond £50,000 and 5 % -> Red
    # S2: -10,000 (-1 %) -> Green; S3 has PIs but no budget row
    section = m.finance_section(
        quarterly_report(finance_data(), FINANCE_POSITION, council="K", quarter=2)
    )
    joined = section.figures["finance_and_pi_rag"][0].set_index("service")
    assert joined.loc["S1", "forecast_variance"] == pytest.approx(100_000)
    assert joined.loc["S1", "forecast_rag"] == "Red" and joined.loc["S1", "pis_red"] == 1
    assert joined.loc["S2", "forecast_rag"] == "Green" and joined.loc["S2", "pis"] == 0
    assert joined.loc["S3", "forecast_rag"] == "Not rated" and joined.loc["S3", "pis"] == 2
    budget_sentence, joined_sentence = texts(section)
    assert "forecast overspend" in budget_sentence
    assert joined_sentence == (
        "At 2024/25 Q2, 1 of 2 services with a budget have a forecast variance rated Red: S1. "
        "Of these, 1 also have PIs red against profile: S1."
    )
    assert [b.kind for b in section.blocks] == ["text", "text", "chart", "table"]
    assert section.blocks[2].alt == budget_sentence
    display = table_of(section)
    assert display.loc["S1", "Variance (£000)"] == "100"
    assert display.loc["S1", "Variance (%)"] == "10.0%"
    assert display.loc["S1", "Budget status"] == "Overspend: Red"
    assert display.loc["S3", "Budget status"] == "No budget row: Not rated"
    budget, description = section.figures["budget_position"]
    assert budget["service"].tolist() == ["S1", "S2"]
    assert description == "Budget, forecast outturn and variance by service at 2024/25 Q2 (£)"


def test_finance_without_budget_rows_for_the_year_still_shows_the_pis():
    section = m.finance_section(
        quarterly_report(finance_data(("2023/24 Q1",)), FINANCE_POSITION, council="K", quarter=1)
    )
    assert section.figures["budget_position"][0].empty
    assert section.figures["finance_and_pi_rag"][0]["service"].tolist() == ["S1", "S3"]
    budget_sentence, joined_sentence = texts(section)
    assert budget_sentence == "No budget monitoring data for 2024/25 Q1."
    assert joined_sentence.startswith("At 2024/25 Q1 no service's forecast variance")
    assert "chart" not in [b.kind for b in section.blocks]
    assert table_of(section).index.tolist() == ["S1", "S3"]


def test_finance_section_says_when_the_folder_has_no_budget_of_the_council():
    # Chelmsford (E07000070) has no row in the bundled budget.csv
    from perfeval.data.loader import load_dataset

    data = load_dataset("")
    assert m.quarter_budget_monitoring(data, "E07000070", YEAR, 3).empty
    section = m.finance_section(
        quarterly_report(data, FINANCE_POSITION, council="E07000070", quarter=3)
    )
    assert texts(section)[0] == (
        "No budget monitoring figures are in the bundled sample data for Chelmsford, so this "
        "report has no budget against forecast outturn."
    )


def test_quarterly_method_notes():
    notes = m.quarterly_method_notes("even")
    assert notes[0] == m.PROFILE_METHOD_TEXT["even"] and any("£50,000" in n for n in notes)
    with pytest.raises(AnalysisError, match="method must be one of"):
        m.quarterly_method_notes("flat")


# --------------------------------------------------------------------------- parameter checks


def test_schema_rejects_unknown_services_and_annual_spc_indicators():
    from perfeval.core.exceptions import ParameterError
    from perfeval.run.parameters import validate_parameters

    with pytest.raises(ParameterError, match=r"services.*unknown service\(s\) \['Wast'\]"):
        validate_parameters("end_of_year_review", {"services": ["Wast"]})
    assert validate_parameters("end_of_year_review", {"services": ["Planning"]})["services"] == [
        "Planning"
    ]
    with pytest.raises(ParameterError, match=r"\['NI192'\] are not quarterly or monthly"):
        validate_parameters("quarterly_monitoring", {"spc_indicators": ["HB01", "NI192"]})
    with pytest.raises(ParameterError, match="at least one"):
        validate_parameters("quarterly_monitoring", {"spc_indicators": []})


def test_quarter_check_needs_quarterly_or_monthly_values_for_the_council():
    from perfeval.run.schemas import check_quarter_has_data

    values = {"council": "E06000017", "year": YEAR, "data_dir": ""}
    assert check_quarter_has_data(4, values) is None
    # Oxfordshire County Council (E10000025) has only annual adult social care values in the
    # bundled data (counties are not housing authorities, so it has no H-CLIC HO01 quarters)
    problem = check_quarter_has_data(1, {**values, "council": "E10000025"})
    assert "no quarterly or monthly values for E10000025 in 2024/25" in problem
