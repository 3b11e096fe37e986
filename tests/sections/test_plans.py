"""Unit tests for perfeval.sections.plans (the action plan review), on a tiny hand-made plan.

The plan "P" of council A, reviewed on 31 December 2024 (2024/25 Q3):

- X1 complete (due 30 Jun 2024, completed 15 Jun 2024)
- X2 on track, due 30 Nov 2024: overdue by the rule (31 days), though not recorded so
- X3 at risk, due 31 Dec 2024 revised to 31 Mar 2025: slipped (revised), not overdue
- X4 recorded overdue, due 28 Feb 2025: counted overdue, and the rule disagrees (not yet due)
- X5 cancelled
- X6 not started, due 30 Jun 2025, no update

plus an action of council B in a plan of the same name and one of A in another plan, which the
review leaves out.
"""

from __future__ import annotations

import pandas as pd
import pytest

from money_data import AUTHORITIES, REGISTER, charts, column, dataset, tables, texts
from perfeval.core.exceptions import AnalysisError
from perfeval.sections import plans

ON = pd.Timestamp("2024-12-31")
COLUMNS = [
    "authority",
    "action_id",
    "title",
    "how",
    "owner",
    "priority",
    "start",
    "due",
    "revised_due",
    "status",
    "percent_complete",
    "completed",
    "last_update",
    "last_update_date",
    "plan",
    "synthetic",
]
ROWS = [
    ("A", "X1", "First", "h1", "Head 1", "H", "2024-04-01", "2024-06-30", None, "complete",
     100, "2024-06-15", "Done", "2024-06-15", "P", False),
    ("A", "X2", "Second", "h2", "Head 2", "M", "2024-05-01", "2024-11-30", None, "on track",
     75, None, "Nearly there", "2024-11-22", "P", False),
    ("A", "X3", "Third", "h3", "Head 3", "L", "2024-07-01", "2024-12-31", "2025-03-31",
     "at risk", 50, None, "Supplier late", "2024-12-02", "P", False),
    ("A", "X4", "Fourth", "h4", "Head 4", "H", "2024-09-01", "2025-02-28", None, "overdue",
     10, None, "", None, "P", False),
    ("A", "X5", "Fifth", "h5", "Head 5", "M", "2024-04-01", "2024-07-31", None, "cancelled",
     None, None, "Withdrawn", "2024-05-01", "P", False),
    ("A", "X6", "Sixth", "h6", "Head 6", "L", "2024-10-01", "2025-06-30", None, "not started",
     0, None, "", None, "P", False),
    ("B", "Y1", "Other council", "h", "Head", "H", "2023-01-01", "2023-03-31", None, "overdue",
     0, None, "", None, "P", False),
    ("A", "Z1", "Other plan", "h", "Head", "H", "2023-01-01", "2023-03-31", None, "overdue",
     0, None, "", None, "Q", False),
]  # fmt: skip


def actions_table() -> pd.DataFrame:
    frame = pd.DataFrame(ROWS, columns=COLUMNS)
    for name in ("start", "due", "revised_due", "completed", "last_update_date"):
        frame[name] = pd.to_datetime(frame[name])
    return frame


@pytest.fixture
def report() -> plans.PlanReport:
    data = dataset(authorities=AUTHORITIES, indicators=REGISTER, actions=actions_table())
    return plans.prepare_plan_review(
        data, {"council": "A", "plan": " P ", "as_at": "2024-12-31", "data_dir": ""}
    )


# ------------------------------------------------------------------------------ selection
def test_the_review_takes_the_councils_actions_of_the_plan_only(report):
    assert report.actions["action_id"].tolist() == ["X1", "X2", "X3", "X4", "X5", "X6"]
    assert report.plan == "P" and report.name == "Ayton" and report.as_at == ON


def test_a_plan_the_council_does_not_have_is_refused_naming_it():
    data = dataset(authorities=AUTHORITIES, indicators=REGISTER, actions=actions_table())
    with pytest.raises(AnalysisError, match="no action of B in the plan 'Q'"):
        plans.prepare_plan_review(data, {"council": "B", "plan": "Q", "as_at": "2024-12-31"})


# ------------------------------------------------------------------------------ summary
def test_positions_partition_the_plan_and_the_rule_overrides_a_recorded_status(report):
    positions = plans.action_positions(report.actions, ON).tolist()
    assert positions == ["complete", "overdue", "at risk", "overdue", "cancelled", "not started"]
    counts = plans.position_counts(report.actions, ON)
    assert counts == {
        "total": 6,
        "complete": 1,
        "on track": 0,
        "at risk": 1,
        "overdue": 2,
        "not started": 1,
        "cancelled": 1,
    }
    assert sum(counts[p] for p in plans.POSITIONS) == counts["total"]


def test_the_summary_sentence_gives_every_count_and_its_base(report):
    section = plans.plan_summary(report)
    [sentence] = texts(section)
    assert sentence == (
        "P has 6 actions: 1 complete, 0 on track, 1 at risk, 2 overdue on 31 December 2024, "
        "1 not started and 1 cancelled. 1 of the 5 not cancelled (20%) are complete (base: "
        "every action of the plan in actions.csv, 6)."
    )
    [table] = tables(section)
    assert column(table, "Actions") == ["1", "0", "1", "2", "1", "1", "6"]
    assert column(table, "Share of all actions")[3] == "33%"
    assert section.figures["plan_summary_counts"][0]["overdue"] == 2


def test_a_due_date_on_the_report_date_is_not_overdue(report):
    assert plans.position_counts(report.actions, "2024-11-30")["overdue"] == 1  # X4 only
    assert plans.position_counts(report.actions, "2024-12-01")["overdue"] == 2


# ------------------------------------------------------------------------------ the plan
def test_when_shows_the_revised_date_and_the_original():
    assert (
        plans.when_text(pd.Timestamp("2024-12-31"), pd.Timestamp("2025-03-31"))
        == "31 Mar 2025 (revised from 31 Dec 2024)"
    )
    assert plans.when_text(pd.Timestamp("2024-12-31"), pd.NaT) == "31 Dec 2024"


def test_the_plan_table_has_the_councils_columns_and_words_for_priority(report):
    [table] = tables(plans.plan_table(report))
    assert table.columns == (
        "No",
        "Action",
        "How",
        "Who",
        "When",
        "Priority",
        "Status",
        "% complete",
        "Latest update",
    )
    assert table.row_header == "No"
    assert column(table, "Priority") == ["High", "Medium", "Low", "High", "Medium", "Low"]
    assert column(table, "When")[2] == "31 Mar 2025 (revised from 31 Dec 2024)"
    assert column(table, "% complete") == ["100%", "75%", "50%", "10%", "", "0%"]
    assert column(table, "Latest update")[3] == "no update recorded"


def test_status_is_as_recorded_with_the_rules_verdict_where_they_disagree(report):
    [table] = tables(plans.plan_table(report))
    assert column(table, "Status") == [
        "Complete",
        "On track (overdue by the rule)",
        "At risk",
        "Overdue (due date not yet passed)",
        "Cancelled",
        "Not started",
    ]
    assert "disagrees for 2 actions" in table.note
    assert "X2: past its due date of 30 November 2024 but recorded as 'on track'" in table.note
    assert "X4: recorded as 'overdue' but due 28 February 2025" in table.note


def test_the_recorded_plan_keeps_status_and_position_apart(report):
    record = plans.plan_table(report).figures["plan_table"][0]
    row = record.set_index("action_id").loc["X2"]
    assert (row["status"], row["position"], row["rule_disagrees"]) == (
        "on track",
        "overdue",
        True,
    )
    assert row["effective_due"] == "2024-11-30"
    assert record.set_index("action_id").loc["X3", "effective_due"] == "2025-03-31"


# ------------------------------------------------------------------------------ what slipped
def test_what_slipped_lists_revised_and_overdue_actions_with_the_reason(report):
    section = plans.what_slipped(report)
    slipped = section.figures["slipped_actions"][0]
    assert slipped["action_id"].tolist() == ["X2", "X3", "X4"]
    assert slipped["days_overdue"].tolist() == [31, 0, 0]
    [table] = tables(section)
    assert column(table, "Slipped") == [
        "Overdue: 31 days past 30 Nov 2024",
        "Revised from 31 Dec 2024 to 31 Mar 2025",
        "Recorded as overdue",
    ]
    assert column(table, "Why (latest update)") == [
        "Nearly there (22 Nov 2024)",
        "Supplier late (2 Dec 2024)",
        "no update recorded",
    ]
    assert texts(section) == [
        "3 of the plan's 6 actions slipped: 1 had its due date revised and 2 are overdue on "
        "31 December 2024; 1 has no update saying why."
    ]


def test_a_plan_where_nothing_slipped_says_so_without_a_table(report):
    on_time = report.actions[report.actions["action_id"].isin(["X1", "X5", "X6"])]
    section = plans.what_slipped(
        plans.PlanReport(report.data, report.params, "A", "Ayton", "P", report.as_at, on_time)
    )
    assert tables(section) == []
    assert texts(section) == [
        "None of the plan's 3 actions has had its due date revised or is overdue on "
        "31 December 2024."
    ]


# ------------------------------------------------------------------------------ completion
def test_quarters_run_from_the_first_start_to_the_report_dates_quarter(report):
    labels = [q.label for q in plans.plan_quarters(report.actions, ON)]
    assert labels == ["2024/25 Q1", "2024/25 Q2", "2024/25 Q3"]
    with pytest.raises(AnalysisError, match="before the plan's first start"):
        plans.plan_quarters(report.actions, "2024-03-31")


def test_completion_counts_completions_by_quarter_end_out_of_those_not_cancelled(report):
    section = plans.completion(report)
    series = section.figures["completion_series"][0]
    assert series["completed"].tolist() == [1, 1, 1]
    assert series["total"].tolist() == [5, 5, 5]
    assert series["end"].tolist() == ["2024-06-30", "2024-09-30", "2024-12-31"]
    [chart] = charts(section)
    assert "2024/25 Q1 to 2024/25 Q3" in chart.alt
    [table] = tables(section)
    assert column(table, "Share complete") == ["20%", "20%", "20%"]
    assert texts(section) == [
        "By the end of 2024/25 Q3, 1 of the 5 actions not cancelled (20%) were complete, up "
        "from 1 (20%) at the end of 2024/25 Q1."
    ]


# ------------------------------------------------------------------------------ words
def test_the_opening_says_whose_plan_on_which_date_and_what_kind_of_data(report):
    assert texts(plans.plan_opening(report)) == [
        "P: Ayton (A), as at 31 December 2024.",
        "Data: the 6 actions of P are Ayton's register as recorded in actions.csv in the data "
        "folder (not labelled synthetic).",
    ]
    synthetic = report.actions.assign(synthetic=True)
    assert "are SYNTHETIC data" in plans.plan_data_note(report.data, synthetic, "P", "Ayton")


def test_the_method_states_the_rules_and_ends_with_the_parameters(report):
    section = plans.method_and_provenance(report)
    [method] = [b for b in section.blocks if b.kind == "bullets"]
    assert method.items[1].startswith("An action is open unless")
    assert plans.SLIPPED_METHOD in method.items and plans.COMPLETION_METHOD in method.items
    assert texts(section) == [
        "Source: actions.csv in the data folder: 7 actions of Ayton in 2 plans (P; Q), of "
        "which 6 in P."
    ]
    [table] = tables(section)
    assert column(table, "Parameter") == ["council", "plan", "as_at", "data_dir"]
