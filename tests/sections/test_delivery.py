"""Unit tests for the actions and risks sections (#17): perfeval.sections.delivery and the
end-of-year review's improvement actions and clinic list, on tiny hand-made registers in a copy
of tests/data/minimal (expected values worked by hand)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from folders import minimal_folder
from perfeval.core.exceptions import ParameterError
from perfeval.data.loader import load_dataset
from perfeval.sections import delivery, review
from perfeval.stats.actions import CLINIC_METHOD, OVERDUE_METHOD, RESPONSE_METHOD

COUNCIL = "E06000017"  # Rutland in tests/data/minimal
QUARTER_PARAMS = {"council": COUNCIL, "year": "2024/25", "quarter": 3}  # 31 December 2024
YEAR_PARAMS = {"council": COUNCIL, "year": "2024/25"}  # 31 March 2025

ACTIONS_HEAD = (
    "authority,action_id,title,how,owner,service,priority,start,due,revised_due,status,"
    "percent_complete,completed,last_update,last_update_date,linked_pis,linked_risks,plan,"
    "synthetic\n"
)
ACTIONS = ACTIONS_HEAD + (
    # on track but past its due date: overdue by the rule (the table says they disagree)
    f"{COUNCIL},B1,Clear the backlog,Overtime,Head of Planning,,M,2024-04-01,2024-11-30,,"
    "on track,50,,,,PL01,,Plan,true\n"
    f"{COUNCIL},B2,Route review,Study,Head of Waste,Waste,H,2024-04-01,2024-10-31,,"
    "overdue,20,,,,NI192,,Plan,true\n"
    # due on the report date itself: due this quarter, not overdue
    f"{COUNCIL},B3,New form,Online form,Head of Planning,Planning,L,2024-04-01,2024-12-31,,"
    "at risk,80,,,,PL01,,Plan,true\n"
    f"{COUNCIL},B4,Pre-application advice,Charged service,Head of Planning,,H,2024-04-01,"
    "2024-09-30,,complete,100,2024-08-15,,,PL01,,Plan,true\n"
    # revised to a later quarter: open, neither overdue nor due this quarter
    f"{COUNCIL},B5,Data feed,Workshops,Head of Benefits,Benefits,M,2024-04-01,2024-10-31,"
    "2025-02-28,on track,30,,,,HB01,,Plan,true\n"
    f"{COUNCIL},B6,Dropped idea,None,Head of Waste,Waste,L,2024-04-01,2024-06-30,,"
    "cancelled,,,,,NI192,,Plan,true\n"
    # another council's action never appears in Rutland's report
    "E06000005,Z1,Darlington's action,How,Head,Waste,H,2024-04-01,2024-06-30,,on track,,,,,"
    "NI192,,Plan,true\n"
)
RISKS = (
    "authority,risk_id,title,owner,category,register,service,cause,consequence,"
    "inherent_likelihood,inherent_impact,controls,residual_likelihood,residual_impact,"
    "target_score,direction,review_date,next_review,linked_pis,linked_actions,synthetic\n"
    # 4 x 5 = 20 high, above its target of 10, rose, next review before 31 December
    f"{COUNCIL},C1,Planning appeals lost,Head of Planning,Compliance,corporate,,x,y,5,5,z,"
    "4,5,10,risen,2024-09-01,2024-12-01,PL01,,true\n"
    # 2 x 3 = 6 medium, exactly at target (not above), reviewed in time
    f"{COUNCIL},C2,Recycling rate falls,Head of Waste,Operational,,Waste,x,y,3,3,z,"
    "2,3,6,unchanged,2024-12-01,2025-01-31,NI192,,true\n"
    # a service register's risk: not in the corporate summary
    f"{COUNCIL},C3,Form outage,Head of Benefits,Operational,service,Benefits,x,y,2,2,z,"
    "1,2,,fallen,2024-12-01,2025-01-31,HB01,,true\n"
)


def report(tmp_path, params=QUARTER_PARAMS, **tables):
    """A stand-in for a prepared report: the data folder and the parameters."""
    data = load_dataset(minimal_folder(tmp_path, **tables))
    return SimpleNamespace(data=data, params=params)


@pytest.fixture
def quarterly(tmp_path):
    return report(tmp_path, actions=ACTIONS, risks=RISKS)


@pytest.fixture
def bare(tmp_path):
    return report(tmp_path)


def texts(section):
    return [b.text for b in section.blocks if b.kind == "text"]


def kinds(section):
    return [b.kind for b in section.blocks]


def table_of(section, index=0):
    table = [b for b in section.blocks if b.kind == "table"][index]
    return pd.DataFrame(list(table.rows), columns=list(table.columns)).set_index(table.row_header)


def test_report_date_is_the_last_day_of_the_quarter_or_year():
    assert delivery.report_date(QUARTER_PARAMS) == pd.Timestamp("2024-12-31")
    assert delivery.report_date({"year": "2024/25", "quarter": 4}) == pd.Timestamp("2025-03-31")
    assert delivery.report_date(YEAR_PARAMS) == pd.Timestamp("2025-03-31")
    assert delivery.describe_day(pd.Timestamp("2024-12-01")) == "1 December 2024"
    assert delivery.count_words(1, "action") == "1 action"
    assert delivery.count_words(2, "action") == "2 actions"
    assert delivery.count_words(1_200, "risk") == "1,200 risks"


def test_actions_due_counts_overdue_and_due_this_quarter_of_the_open_actions(quarterly):
    section = delivery.actions_due(quarterly)
    # open: B1, B2, B3, B5; overdue: B1 (past 30 Nov), B2 (recorded); due: B3 (31 Dec)
    assert texts(section) == [
        "At 31 December 2024, 2 of 4 open actions are overdue and 1 is due by the end of "
        "2024/25 Q3; the register holds 6 actions in all, 1 complete and 1 cancelled."
    ]
    assert kinds(section) == ["text", "table", "table"]
    by_service = section.figures["actions_by_service"][0].set_index(["service", "owner"])
    # B1's blank service is its first linked PI's (PL01: Planning)
    planning = by_service.loc[("Planning", "Head of Planning")]
    assert (planning["open"], planning["overdue"], planning["due_this_quarter"]) == (2, 1, 1)
    assert by_service.loc[("Waste", "Head of Waste"), "cancelled"] == 1
    listed = table_of(section, 1)
    assert listed.index.tolist() == [
        "Route review (B2)",  # overdue first, earliest due date first
        "Clear the backlog (B1)",
        "New form (B3)",
    ]
    assert listed.loc["Clear the backlog (B1)", "Note"] == (
        "past its due date of 30 November 2024 but recorded as 'on track'"
    )
    assert listed.loc["New form (B3)", "On the report date"] == "due this quarter"
    assert listed.loc["Route review (B2)", "Priority"] == "High"
    figure = section.figures["actions_overdue"][0]
    assert figure["action_id"].tolist() == ["B2", "B1", "B3"]
    assert figure["overdue"].tolist() == [True, True, False]
    caption = [b for b in section.blocks if b.kind == "table"][0]
    assert caption.caption.endswith("(synthetic data)") and OVERDUE_METHOD in caption.note


def test_a_revised_due_date_is_shown_with_the_original(quarterly):
    actions = delivery.council_register(quarterly.data, "actions", COUNCIL)
    words = delivery.due_words(actions[actions["action_id"] == "B5"])
    assert words == ["28 February 2025 (revised from 31 October 2024)"]


def test_risk_register_has_the_heat_map_chart_and_its_counts_as_a_table(quarterly):
    section = delivery.risk_register(quarterly)
    assert kinds(section) == ["text", "chart", "table", "table"]
    assert texts(section) == [
        "At 31 December 2024 the corporate risk register holds 2 risks: 1 high, 1 medium and "
        "0 low by residual score; 1 rose since the last review, 1 is past its review date "
        "and 1 is above its target score."
    ]
    chart = section.blocks[1]
    assert chart.alt.startswith(
        "Heat map of 2 corporate risks by residual impact (rows) and likelihood (columns): "
        "1 high, 1 medium and 0 low."
    )
    assert "Impact 5 severe and likelihood 4 likely: 1 risk (high)" in chart.alt
    assert "Impact 3 moderate and likelihood 2 unlikely: 1 risk (medium)" in chart.alt
    grid = table_of(section)
    assert grid.index.tolist() == ["5 severe", "4 major", "3 moderate", "2 minor", "1 negligible"]
    assert grid.loc["5 severe", "Likelihood 4 likely"] == "1 (high)"
    assert grid.loc["3 moderate", "Likelihood 2 unlikely"] == "1 (medium)"
    assert grid.loc["1 negligible", "Likelihood 1 rare"] == "0 (low)"
    cells = section.figures["risk_heat_map"][0]
    assert len(cells) == 25 and cells["count"].sum() == 2  # C3 is a service risk
    summary = section.figures["risk_summary"][0].set_index("measure")["count"]
    assert summary["risks"] == 2 and summary["high residual score"] == 1


def test_risks_to_watch_lists_rose_or_past_review_and_above_target(quarterly):
    section = delivery.risks_to_watch(quarterly)
    assert texts(section) == [
        "Of 2 corporate risks, 1 rose since the last review or is past its review date at "
        "31 December 2024, and 1 is above its target score."
    ]
    watched = table_of(section)
    assert watched.loc["Planning appeals lost (C1)", "Why listed"] == (
        "rose since the last review; past its review date (1 December 2024)"
    )
    assert watched.loc["Planning appeals lost (C1)", "Residual score"] == "20 (high)"
    above = table_of(section, 1)
    # C2 is exactly at its target: not above it
    assert above.index.tolist() == ["Planning appeals lost (C1)"]
    assert above.loc["Planning appeals lost (C1)", "Above target by"] == "10"
    assert section.figures["risks_above_target"][0]["risk_id"].tolist() == ["C1"]


def test_service_table_puts_open_actions_and_top_risks_beside_the_budget(quarterly):
    found = delivery.service_delivery(quarterly.data, COUNCIL, pd.Timestamp("2024-12-31"))
    by_service = found.set_index("service")
    assert by_service.loc["Planning", "open_actions"] == 2
    assert by_service.loc["Planning", "top_risks"] == "Planning appeals lost (C1), 20 high"
    assert by_service.loc["Waste", "overdue_actions"] == 1
    assert by_service.loc["Benefits", "risks"] == 0  # C3 is not a corporate risk
    joined = pd.DataFrame(
        {
            "service": ["Planning", "Roads"],
            "forecast_direction": ["Overspend", "Underspend"],
            "forecast_rag": ["Red", "Green"],
            "pis_red": [1, 0],
        }
    )
    table = delivery.service_table(joined, found).set_index("Service")
    assert table.loc["Planning", "Budget status"] == "Overspend: Red"
    assert table.loc["Planning", "Open actions"] == 2
    assert (
        table.loc["Roads", "Open actions"] == 0
        and table.loc["Roads", "Top risks (residual score)"] == ""
    )
    assert table.loc["Waste", "Budget status"] == ""  # no budget row, still listed


def test_without_registers_each_section_says_so_in_one_sentence(bare):
    for build, figures in (
        (delivery.actions_due, ["actions_by_service", "actions_overdue"]),
        (delivery.risk_register, ["risk_heat_map", "risk_summary"]),
        (delivery.risks_to_watch, ["risks_rose_or_overdue", "risks_above_target"]),
        (delivery.summary, ["delivery_summary"]),
    ):
        section = build(bare)
        assert kinds(section) == ["text"], build
        assert "Rutland" in texts(section)[0] and ".csv)" in texts(section)[0]
        assert list(section.figures) == figures  # recorded empty, so the manifest keeps them
        assert all(section.figures[name][0].empty for name in figures)
    assert texts(delivery.actions_due(bare))[0] == (
        "No actions register (actions.csv) is in the data folder for Rutland, so this report "
        "cannot say which actions are overdue or due this quarter."
    )
    assert delivery.service_delivery(bare.data, COUNCIL, pd.Timestamp("2024-12-31")).empty
    assert delivery.method_notes(bare.data, COUNCIL) == []


def test_state_of_the_nation_delivery_paragraph(tmp_path):
    section = delivery.summary(report(tmp_path, YEAR_PARAMS, actions=ACTIONS, risks=RISKS))
    # at 31 March 2025 B5 (revised to 28 February 2025) is late too: 4 of 4 open
    assert texts(section) == [
        "Of 6 improvement actions in the register, 1 is complete and 4 of the 4 still open are "
        "late (past their due date) at 31 March 2025. 1 of the 2 corporate risks has a high "
        "residual score: Planning appeals lost (C1)."
    ]
    figures = section.figures["delivery_summary"][0].set_index("measure")["count"]
    assert figures["actions overdue"] == 4 and figures["high residual score"] == 1


def test_delivery_paragraph_with_actions_only_says_the_risk_register_is_absent(tmp_path):
    section = delivery.summary(report(tmp_path, YEAR_PARAMS, actions=ACTIONS))
    assert texts(section)[0].endswith(
        "No risk register (risks.csv) is in the data folder for Rutland, so this report "
        "cannot name the high risks."
    )


# --------------------------------------------------------------------------- end-of-year review


VALUES = pd.DataFrame(
    {
        "authority": [COUNCIL] * 3,
        "indicator": ["PL01"] * 3,
        "period": ["2024/25 Q1", "2024/25 Q3", "2025/26 Q1"],
        "value": [20.0, 15.0, 10.0],
    }
)


def test_exception_actions_say_whether_the_pi_responded(quarterly):
    data = quarterly.data
    found = pd.DataFrame(
        {
            "indicator": ["PL01", "NI192", "HB01"],
            "exception": ["Red", "Worse", "Worse"],
            "decimals": [0, 1, 0],
            "unit": ["days", "%", "number"],
        }
    )
    actions = delivery.council_register(data, "actions", COUNCIL)
    known = review.values_to(VALUES, COUNCIL, pd.Timestamp("2025-03-31"))
    assert known["period"].tolist() == ["2024/25 Q1", "2024/25 Q3"]  # 2025/26 not yet known
    rows = review.exception_actions(
        found, actions.drop(index=[4, 5]), known, data.indicators, pd.Timestamp("2025-03-31")
    )
    # PL01 (lower is better, 5 % relative tolerance = 1 day of 20): B4 completed 15 August
    # 2024; Q1 (ended 30 June) 20 days, then Q3 (the first quarter starting after) 15 days
    b4 = rows[rows["action_id"] == "B4"].iloc[0]
    assert (b4["before_period"], b4["after_period"], b4["response"]) == (
        "2024/25 Q1",
        "2024/25 Q3",
        "responded",
    )
    table = review.exception_actions_table(rows, data.indicators)
    assert table["Action"].tolist()[-1] == "no action recorded"  # HB01: B5 left out
    b4_row = table[table["Action"] == "Pre-application advice (B4)"].iloc[0]
    assert b4_row["Indicator"] == "Days to determine a planning application (PL01)"
    assert b4_row["Status"] == "complete (15 August 2024)"
    assert b4_row["Did the PI respond?"].startswith("responded: 20")
    b1_row = table[table["Action"] == "Clear the backlog (B1)"].iloc[0]
    assert b1_row["Status"] == "on track, due 30 November 2024; overdue"
    assert review.describe_exception_actions(rows) == (
        "2 of 3 exceptions have improvement actions recorded (4 actions, 1 complete); 1 has no "
        "action recorded. How the PI moved after the 1 completed action: 1 responded."
    )


def test_improvement_actions_and_clinic_on_the_minimal_folder(tmp_path):
    params = {**YEAR_PARAMS, "year": "2023/24", "comparator_group": "test_group", "services": []}
    with_actions = load_dataset(minimal_folder(tmp_path / "a", actions=ACTIONS, risks=RISKS))
    prepared = review.prepare(with_actions, params)
    assert RESPONSE_METHOD in prepared.method_notes and CLINIC_METHOD in prepared.method_notes
    section = review.improvement_actions(prepared)
    assert list(section.figures) == ["exception_actions"]
    clinic = review.clinic(prepared)
    assert [b.note for b in clinic.blocks if b.kind == "table"] == [CLINIC_METHOD]
    listed = clinic.figures["performance_clinic"][0]
    assert listed["clinic_rank"].tolist() == list(range(1, len(listed) + 1))
    without = review.prepare(load_dataset(minimal_folder(tmp_path / "b")), params)
    assert RESPONSE_METHOD not in without.method_notes
    absent = review.improvement_actions(without)
    assert kinds(absent) == ["text"] and texts(absent)[0].startswith(
        "No actions register (actions.csv) is in the data folder for Rutland, so this report "
        "cannot say what is being done about the "
    )
    assert absent.figures["exception_actions"][0].empty


# --------------------------------------------------------------------------- council's bands

#: A council's own bands: a score of 6 (C2, 2 x 3) is low here, medium by default.
COUNCIL_BANDS = ["low: 1-6", "medium: 8-12", "high: 15-25"]


def test_a_councils_bands_change_every_band_word_of_the_risk_register(tmp_path):
    params = {**QUARTER_PARAMS, "risk_bands": COUNCIL_BANDS}
    section = delivery.risk_register(report(tmp_path, params, risks=RISKS))
    assert texts(section)[0].startswith(
        "At 31 December 2024 the corporate risk register holds 2 risks: 1 high, 0 medium and "
        "1 low by residual score;"
    )
    assert "Impact 3 moderate and likelihood 2 unlikely: 1 risk (low)" in section.blocks[1].alt
    grid = table_of(section)
    assert grid.loc["3 moderate", "Likelihood 2 unlikely"] == "1 (low)"
    assert grid.loc["2 minor", "Likelihood 3 possible"] == "0 (low)"  # 6: medium by default
    assert "1-6 low, 8-12 medium and 15-25 high" in section.blocks[2].note
    summary = section.figures["risk_summary"][0].set_index("measure")["count"]
    assert summary["low residual score"] == 1 and summary["medium residual score"] == 0
    cells = section.figures["risk_heat_map"][0].set_index(["impact", "likelihood"])["band"]
    assert cells[(3, 2)] == "low" and cells[(4, 2)] == "medium"


def test_the_delivery_paragraph_names_the_councils_top_band(tmp_path):
    params = {**YEAR_PARAMS, "risk_bands": ["minor: 1-9", "critical: 10-25"]}
    section = delivery.summary(report(tmp_path, params, actions=ACTIONS, risks=RISKS))
    assert texts(section)[0].endswith(
        "1 of the 2 corporate risks has a critical residual score: Planning appeals lost (C1)."
    )
    figures = section.figures["delivery_summary"][0].set_index("measure")["count"]
    assert figures["critical residual score"] == 1 and "high residual score" not in figures
    watch = delivery.risks_to_watch(report(tmp_path / "w", params, risks=RISKS))
    assert table_of(watch).loc["Planning appeals lost (C1)", "Residual score"] == "20 (critical)"


def test_report_bands_default_without_the_parameter_and_refuse_a_gap():
    assert delivery.report_bands(QUARTER_PARAMS) == delivery.rk.DEFAULT_BANDS
    assert delivery.report_bands({"risk_bands": COUNCIL_BANDS})[0] == ("low", 1, 6)
    with pytest.raises(ParameterError, match=r"score\(s\) \[5\] fall in no band"):
        delivery.report_bands({"risk_bands": ["low: 1-4", "medium: 6-12", "high: 15-25"]})
