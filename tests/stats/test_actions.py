"""Tests for perfeval.stats.actions: hand-made action tables whose answers can be checked by eye.

The report date in most tests is 15 February 2025, in 2024/25 Q4 (January-March 2025).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from perfeval.core.exceptions import AnalysisError, ParameterError, PerfevalError
from perfeval.core.periods import parse_period
from perfeval.stats import actions as ac

ON = date(2025, 2, 15)


def action(action_id: str, status: str, due: str, **more: object) -> dict[str, object]:
    """One row of actions.csv with the columns a test does not care about filled in."""
    return {
        "authority": "E07000001",
        "action_id": action_id,
        "title": f"Action {action_id}",
        "owner": "Head of Waste",
        "service": "Waste",
        "status": status,
        "start": "2024-04-01",
        "due": due,
        "revised_due": None,
        "completed": None,
        "linked_pis": None,
        **more,
    }


def frame(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


# --- ids and quarters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell, codes",
    [
        ("NI192", ("NI192",)),
        (" NI192 ;NI191 ; ", ("NI192", "NI191")),
        ("NI192; NI192", ("NI192",)),
        ("", ()),
        (None, ()),
        (float("nan"), ()),
    ],
)
def test_split_ids_strips_spaces_and_drops_blanks(cell, codes):
    assert ac.split_ids(cell) == codes


@pytest.mark.parametrize(
    "day, label",
    [
        (date(2025, 3, 31), "2024/25 Q4"),
        (date(2025, 4, 1), "2025/26 Q1"),
        (date(2024, 6, 30), "2024/25 Q1"),
        (date(2024, 7, 1), "2024/25 Q2"),
        (date(2024, 12, 31), "2024/25 Q3"),
        (date(2025, 1, 1), "2024/25 Q4"),
    ],
)
def test_financial_quarter_of_a_date(day, label):
    assert ac.financial_quarter(day).label == label


def test_period_end_is_the_last_day():
    assert ac.period_end(parse_period("2024/25 Q4")) == date(2025, 3, 31)
    assert ac.period_end(parse_period("2024/25")) == date(2025, 3, 31)
    assert ac.period_end(parse_period("2024-02")) == date(2024, 2, 29)


# --- open, overdue, due this quarter -----------------------------------------------------------


def test_effective_due_is_the_revised_date_when_given():
    table = frame(
        action("A01", "on track", "2025-01-31", revised_due="2025-03-31"),
        action("A02", "on track", "2025-01-31"),
    )
    assert ac.effective_due(table).tolist() == [
        pd.Timestamp("2025-03-31"),
        pd.Timestamp("2025-01-31"),
    ]


def test_dates_may_be_date_objects_or_timestamps():
    table = frame(
        action("A01", "on track", date(2025, 2, 14)),
        action("A02", "on track", pd.Timestamp("2025-02-16")),
    )
    assert ac.overdue(table, pd.Timestamp("2025-02-15")).tolist() == [True, False]


def test_is_open_unless_complete_or_cancelled():
    table = frame(
        *[action(f"A0{i}", s, "2025-03-01") for i, s in enumerate(ac.STATUSES)],
        action("A09", " Complete ", "2025-03-01"),
    )
    assert ac.is_open(table).tolist() == [True, True, True, True, False, False, False]


def test_overdue_rule_on_the_report_date():
    table = frame(
        action("A01", "on track", "2025-02-15"),  # due on the report date: not overdue
        action("A02", "on track", "2025-02-14"),  # a day late: overdue whatever the status says
        action("A03", "cancelled", "2024-06-30"),  # cancelled: never overdue
        action("A04", "complete", "2024-06-30", completed="2024-07-10"),
        action("A05", "overdue", "2025-03-31"),  # recorded overdue: counted
        action("A06", "at risk", "2025-01-31", revised_due="2025-03-31"),  # revised: not late
        action("A07", "on track", "2025-03-31", revised_due="2025-02-01"),  # revised earlier: late
    )
    assert ac.overdue(table, ON).tolist() == [False, True, False, False, True, False, True]


def test_overdue_takes_the_report_date_as_text():
    table = frame(action("A01", "on track", "2025-02-14"))
    assert ac.overdue(table, "2025-02-14").tolist() == [False]
    assert ac.overdue(table, "2025-02-15").tolist() == [True]


@pytest.mark.parametrize("bad", [None, "", "next Tuesday", pd.NaT])
def test_a_report_date_that_is_not_a_date_is_refused(bad):
    table = frame(action("A01", "on track", "2025-02-14"))
    with pytest.raises(ParameterError, match="report date"):
        ac.overdue(table, bad)


def test_a_due_date_that_is_not_a_date_names_the_action():
    table = frame(action("A01", "on track", "2025-02-14"), action("A02", "on track", "soon"))
    with pytest.raises(AnalysisError, match=r"'due'.*'A02'.*YYYY-MM-DD"):
        ac.overdue(table, ON)


def test_due_this_quarter_at_the_31_march_and_1_april_boundary():
    table = frame(
        action("A01", "on track", "2025-03-31"),  # last day of Q4
        action("A02", "on track", "2025-04-01"),  # first day of next year's Q1
        action("A03", "on track", "2025-02-15"),  # the report date itself
        action("A04", "on track", "2025-02-14"),  # before: overdue, not due
        action("A05", "complete", "2025-03-01", completed="2025-02-01"),
        action("A06", "on track", "2025-04-30", revised_due="2025-03-20"),
    )
    assert ac.due_this_quarter(table, ON).tolist() == [True, False, True, False, False, True]
    # On 31 March the quarter is the same; on 1 April it is 2025/26 Q1.
    assert ac.due_this_quarter(table, date(2025, 3, 31)).tolist() == [
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    assert ac.due_this_quarter(table, date(2025, 4, 1)).tolist() == [
        False,
        True,
        False,
        False,
        False,
        False,
    ]


def test_status_disagreements_both_ways():
    table = frame(
        action("A01", "on track", "2025-02-01"),  # late but recorded on track
        action("A02", "overdue", "2025-03-31"),  # recorded overdue but not yet due
        action("A03", "overdue", "2025-01-31"),  # agrees
        action("A04", "on track", "2025-03-31"),  # agrees
        action("A05", "cancelled", "2024-12-31"),  # closed: no disagreement
    )
    found = ac.status_disagreements(table, ON)
    assert found["action_id"].tolist() == ["A01", "A02"]
    assert found["rule_status"].tolist() == ["overdue", "not overdue"]
    assert found["disagreement"].tolist() == [
        "past its due date of 1 February 2025 but recorded as 'on track'",
        "recorded as 'overdue' but due 31 March 2025",
    ]


def test_action_summary_by_service_and_owner():
    table = frame(
        action("A01", "on track", "2025-02-01"),  # overdue
        action("A02", "on track", "2025-03-15"),  # due this quarter
        action("A03", "complete", "2025-01-01", completed="2024-12-20"),
        action("A04", "cancelled", "2025-01-01"),
        action("A05", "not started", "2025-06-30", service="Parks", owner="Parks Manager"),
        action("A06", "at risk", "2025-03-31", service=None, owner=""),
    )
    summary = ac.action_summary(table, ON)
    assert summary.columns.tolist() == [
        "service",
        "owner",
        "total",
        "complete",
        "open",
        "overdue",
        "due_this_quarter",
        "cancelled",
    ]
    rows = {(r.service, r.owner): r for r in summary.itertuples()}
    waste = rows[("Waste", "Head of Waste")]
    assert (waste.total, waste.complete, waste.open, waste.overdue) == (4, 1, 2, 1)
    assert (waste.due_this_quarter, waste.cancelled) == (1, 1)
    parks = rows[("Parks", "Parks Manager")]
    assert (parks.total, parks.open, parks.overdue, parks.due_this_quarter) == (1, 1, 0, 0)
    blank = rows[(ac.NOT_STATED, ac.NOT_STATED)]
    assert (blank.total, blank.due_this_quarter) == (1, 1)
    totals = ac.action_summary(table, ON, by=())
    assert totals.iloc[0].to_dict() == {
        "total": 6,
        "complete": 1,
        "open": 4,
        "overdue": 1,
        "due_this_quarter": 2,
        "cancelled": 1,
    }


def test_a_blank_service_is_that_of_the_first_linked_pi():
    register = pd.DataFrame({"code": ["NI192", "PK1"], "service": ["Waste", "Parks"]})
    table = frame(
        action("A01", "on track", "2025-03-01", service=None, linked_pis="PK1; NI192"),
        action("A02", "on track", "2025-03-01", service="Housing", linked_pis="PK1"),
        action("A03", "on track", "2025-03-01", service="", linked_pis=None),
    )
    filled = ac.fill_services(table, register)
    assert filled["service"].tolist()[:2] == ["Parks", "Housing"]
    assert pd.isna(filled["service"].iloc[2])
    summary = ac.action_summary(table, ON, by=("service",), register=register)
    assert summary["service"].tolist() == ["Housing", "Parks", ac.NOT_STATED]


# --- links -------------------------------------------------------------------------------------


def test_actions_for_pis_follow_linked_pis():
    table = frame(
        action("A01", "on track", "2025-03-01", linked_pis="NI192; NI191"),
        action("A02", "complete", "2025-03-01", linked_pis="NI191"),
        action("A03", "on track", "2025-03-01", linked_pis=None),
    )
    links = ac.actions_for_pis(table, ["NI191", "NI192", "PK1"])
    assert list(zip(links["indicator"], links["action_id"])) == [
        ("NI191", "A01"),
        ("NI191", "A02"),
        ("NI192", "A01"),
    ]
    assert ac.pis_without_actions(table, ["NI191", "NI192", "PK1"]) == ["PK1"]


def test_actions_for_pis_with_no_links_is_empty_with_the_columns():
    table = frame(action("A01", "on track", "2025-03-01"))
    links = ac.actions_for_pis(table, ["NI192"])
    assert len(links) == 0 and links.columns[:2].tolist() == ["indicator", "authority"]


# --- the PI responded rule ---------------------------------------------------------------------


def register_of(polarity: str = "higher", tolerance: float | None = None, kind: str | None = None):
    return pd.DataFrame(
        {
            "code": ["PI1"],
            "polarity": [polarity],
            "tolerance": [tolerance],
            "tolerance_type": [kind],
        }
    )


def values_of(pairs: dict[str, float], authority: str = "E07000001") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "authority": authority,
            "indicator": "PI1",
            "period": list(pairs),
            "value": list(pairs.values()),
        }
    )


def completed_on(day: str, pis: str = "PI1") -> pd.Series:
    return pd.Series(action("A01", "complete", "2024-09-30", completed=day, linked_pis=pis))


QUARTERS = {"2024/25 Q1": 40.0, "2024/25 Q2": 42.0, "2024/25 Q3": 45.0}


@pytest.mark.parametrize(
    "after, polarity, tolerance, kind, expected",
    [
        (45.0, "higher", None, None, ac.RESPONDED),  # better by any amount
        (42.0, "higher", None, None, ac.NO_CHANGE),
        (41.0, "higher", None, None, ac.WORSE),
        (43.0, "higher", 2.0, "absolute", ac.NO_CHANGE),  # +1, within an absolute 2
        (44.0, "higher", 2.0, "absolute", ac.NO_CHANGE),  # +2 exactly: within
        (44.5, "higher", 2.0, "absolute", ac.RESPONDED),
        (43.0, "higher", 0.05, "relative", ac.NO_CHANGE),  # 5 % of 42 = 2.1
        (44.5, "higher", 0.05, None, ac.RESPONDED),  # a blank type is relative
        (39.0, "higher", 2.0, "absolute", ac.WORSE),
        (39.0, "lower", None, None, ac.RESPONDED),  # lower is better: a fall responded
        (45.0, "lower", None, None, ac.WORSE),
        (45.0, "lower", 5.0, "absolute", ac.NO_CHANGE),
        (45.0, "neutral", None, None, ac.NEUTRAL),
    ],
)
def test_pi_response_rule(after, polarity, tolerance, kind, expected):
    # Completed 30 September 2024: Q2 ended that day (before), Q3 starts after it.
    values = values_of({"2024/25 Q1": 40.0, "2024/25 Q2": 42.0, "2024/25 Q3": after})
    result = ac.pi_response(
        completed_on("2024-09-30"), values, register_of(polarity, tolerance, kind)
    )
    row = result.iloc[0]
    assert row["response"] == expected
    assert (row["before_period"], row["after_period"]) == ("2024/25 Q2", "2024/25 Q3")
    assert row["change"] == pytest.approx(after - 42.0)


def test_pi_response_period_starting_on_the_completion_day_is_not_after():
    # Completed 1 October 2024, the first day of Q3: Q3 does not start after completion, and
    # there is no Q4 value yet.
    result = ac.pi_response(completed_on("2024-10-01"), values_of(QUARTERS), register_of())
    assert result["response"].tolist() == [ac.TOO_EARLY]


def test_pi_response_skips_the_period_the_action_was_completed_in():
    # Completed 15 August 2024, inside Q2: Q1 is before, Q3 after; Q2 is neither.
    result = ac.pi_response(completed_on("2024-08-15"), values_of(QUARTERS), register_of())
    row = result.iloc[0]
    assert (row["before_period"], row["before_value"]) == ("2024/25 Q1", 40.0)
    assert (row["after_period"], row["after_value"]) == ("2024/25 Q3", 45.0)


def test_pi_response_too_early_without_a_value_after_completion():
    result = ac.pi_response(completed_on("2024-12-20"), values_of(QUARTERS), register_of())
    assert result["response"].tolist() == [ac.TOO_EARLY]


def test_pi_response_without_a_value_before_completion():
    result = ac.pi_response(completed_on("2024-05-01"), values_of(QUARTERS), register_of())
    assert result["response"].tolist() == [ac.NO_BASELINE]


def test_pi_response_compares_annual_with_annual():
    # An annual PI: 2023/24 ended before completion in June 2024, 2025/26 starts after it;
    # 2024/25 contains the completion date and is neither.
    values = values_of({"2023/24": 50.0, "2024/25": 10.0, "2025/26": 55.0})
    row = ac.pi_response(completed_on("2024-06-30"), values, register_of()).iloc[0]
    assert (row["frequency"], row["before_value"], row["after_value"]) == ("year", 50.0, 55.0)
    assert row["response"] == ac.RESPONDED


def test_pi_response_uses_the_finest_frequency_with_values_on_both_sides():
    values = pd.concat(
        [
            values_of({"2023/24": 50.0, "2024/25": 30.0}),
            values_of({"2024/25 Q1": 40.0, "2024/25 Q3": 38.0}),
        ]
    )
    row = ac.pi_response(completed_on("2024-07-15"), values, register_of()).iloc[0]
    assert (row["frequency"], row["response"]) == ("quarter", ac.WORSE)


def test_pi_response_reads_only_the_actions_council_and_skips_missing_values():
    values = pd.concat(
        [
            values_of({"2024/25 Q2": 42.0, "2024/25 Q3": float("nan"), "2024/25 Q4": 41.0}),
            values_of({"2024/25 Q3": 99.0}, authority="E07000002"),
        ]
    )
    row = ac.pi_response(completed_on("2024-09-30"), values, register_of()).iloc[0]
    assert (row["after_period"], row["response"]) == ("2024/25 Q4", ac.WORSE)


def test_pi_response_of_an_open_action_is_not_judged():
    row = pd.Series(action("A01", "on track", "2025-03-31", linked_pis="PI1"))
    result = ac.pi_response(row, values_of(QUARTERS), register_of())
    assert result["response"].tolist() == [ac.NOT_COMPLETED]


def test_pi_response_one_row_per_linked_pi_and_unknown_pi_refused():
    register = pd.concat([register_of(), register_of("lower").assign(code="PI2")])
    values = pd.concat([values_of(QUARTERS), values_of(QUARTERS).assign(indicator="PI2")])
    result = ac.pi_response(completed_on("2024-09-30", "PI1; PI2"), values, register)
    assert result[["indicator", "response"]].values.tolist() == [
        ["PI1", ac.RESPONDED],
        ["PI2", ac.WORSE],
    ]
    with pytest.raises(AnalysisError, match=r"'PI9'.*not in the indicator register"):
        ac.pi_response(completed_on("2024-09-30", "PI9"), values, register)


def test_a_complete_action_without_a_completion_date_is_refused():
    row = pd.Series(action("A07", "complete", "2024-09-30", linked_pis="PI1"))
    with pytest.raises(AnalysisError, match=r"'A07' is complete but has no completion date"):
        ac.pi_response(row, values_of(QUARTERS), register_of())


def test_pi_responses_for_a_table():
    table = frame(
        action("A01", "complete", "2024-09-30", completed="2024-09-30", linked_pis="PI1"),
        action("A02", "on track", "2025-03-31", linked_pis=None),
        action("A03", "on track", "2025-03-31", linked_pis="PI1"),
    )
    result = ac.pi_responses(table, values_of(QUARTERS), register_of())
    assert result[["action_id", "response"]].values.tolist() == [
        ["A01", ac.RESPONDED],
        ["A03", ac.NOT_COMPLETED],
    ]


def test_the_response_method_states_the_rule():
    for words in (
        "starts after the completion date",
        "ended on or before",
        "polarity",
        "tolerance",
    ):
        assert words in ac.RESPONSE_METHOD


# --- completion over time ----------------------------------------------------------------------


def test_completion_over_time_by_quarter_end():
    table = frame(
        action("A01", "complete", "2024-06-30", completed="2024-06-30"),  # counts at Q1's end
        action("A02", "complete", "2024-09-30", completed="2024-07-01"),  # Q2
        action("A03", "complete", "2024-12-31", completed="2025-01-10"),  # Q4
        action("A04", "on track", "2025-03-31"),
        action("A05", "cancelled", "2025-03-31"),  # not counted at all
    )
    quarters = ["2024/25 Q1", "2024/25 Q2", "2024/25 Q3", "2024/25 Q4"]
    result = ac.completion_over_time(table, quarters)
    assert result["completed"].tolist() == [1, 2, 2, 3]
    assert result["total"].tolist() == [4, 4, 4, 4]
    assert result["percent"].tolist() == [25.0, 50.0, 50.0, 75.0]
    assert result["end"].iloc[0] == pd.Timestamp("2024-06-30")


def test_completion_over_time_by_month_and_with_no_actions():
    table = frame(action("A01", "complete", "2024-06-30", completed="2024-05-31"))
    result = ac.completion_over_time(table, [parse_period("2024-04"), "2024-05"])
    assert result["percent"].tolist() == [0.0, 100.0]
    empty = ac.completion_over_time(frame(action("A01", "cancelled", "2024-06-30")), ["2024-04"])
    assert np.isnan(empty["percent"].iloc[0])


def test_completion_over_time_refuses_an_undated_complete_action():
    table = frame(action("A01", "complete", "2024-06-30"))
    with pytest.raises(PerfevalError, match=r"'A01'.*no completion date"):
        ac.completion_over_time(table, ["2024/25 Q1"])


# --- performance clinics -----------------------------------------------------------------------


def card_row(code: str, rag: str, dot: str, value: float, target: float, polarity="higher"):
    return {
        "indicator": code,
        "rag": rag,
        "dot": dot,
        "value": value,
        "target": target,
        "polarity": polarity,
    }


def clinic_card() -> pd.DataFrame:
    # Relative tolerance 10 % of a target of 100: the band is 10.
    return pd.DataFrame(
        [
            card_row("P01", "Green", "Improved", 105, 100),  # not listed
            card_row("P02", "Red", "Improved", 85, 100),  # red, missed by 15 = 1.5 bands
            card_row("P03", "Red", "Worse", 88, 100),  # red and worsening, 1.2 bands
            card_row("P04", "Green", "Worse", 101, 100),  # worsening, -0.1 bands
            card_row("P05", "Red", "Worse", 70, 100),  # red and worsening, 3 bands
            card_row("P06", "Red", "No change", 89, 100),  # red, 1.1 bands
            card_row("P07", "Amber", "Worse", 95, 100),  # worsening, 0.5 bands
            card_row("P08", "Red", "Worse", 130, 100, "lower"),  # lower is better: 3 bands
            card_row("P09", "No target", "Worse", 10, float("nan")),  # worsening, no share
            card_row("P10", "Amber", "Not comparable", 95, 100),  # not listed
        ]
    )


def clinic_register() -> pd.DataFrame:
    codes = [f"P{i:02d}" for i in range(1, 11)]
    return pd.DataFrame(
        {
            "code": codes,
            "polarity": ["lower" if c == "P08" else "higher" for c in codes],
            "tolerance": 0.10,
            "tolerance_type": "relative",
        }
    )


def test_clinic_list_groups_then_share_of_tolerance_missed_then_code():
    clinic = ac.clinic_list(clinic_card(), clinic_register())
    assert clinic["indicator"].tolist() == ["P05", "P08", "P03", "P02", "P06", "P07", "P04", "P09"]
    assert (
        clinic["clinic_group"].tolist()
        == [ac.RED_AND_WORSENING] * 3 + [ac.RED_ONLY] * 2 + [ac.WORSENING] * 3
    )
    assert clinic["tolerance_missed"].tolist()[:7] == pytest.approx(
        [3.0, 3.0, 1.2, 1.5, 1.1, 0.5, -0.1]
    )
    assert np.isnan(clinic["tolerance_missed"].iloc[7])
    assert clinic["clinic_rank"].tolist() == list(range(1, 9))


def test_clinic_list_uses_a_tolerance_band_the_card_carries():
    card = clinic_card().assign(tolerance_band=10.0)
    clinic = ac.clinic_list(card)
    assert clinic["indicator"].tolist() == ["P05", "P08", "P03", "P02", "P06", "P07", "P04", "P09"]


def test_clinic_list_without_a_band_ranks_by_code_within_each_group():
    clinic = ac.clinic_list(clinic_card())
    assert clinic["indicator"].tolist() == ["P03", "P05", "P08", "P02", "P06", "P04", "P07", "P09"]
    assert clinic["tolerance_missed"].isna().all()
    assert "ranked by code within each group" in ac.CLINIC_METHOD


def test_clinic_list_zero_band_shortfall_ranks_first_in_its_group():
    card = pd.DataFrame(
        [card_row("Z1", "Red", "No change", 5, 10), card_row("Z2", "Red", "No change", -1, 0)]
    ).assign(tolerance_band=[1.0, 0.0])
    clinic = ac.clinic_list(card)
    assert clinic["indicator"].tolist() == ["Z2", "Z1"]
    assert clinic["tolerance_missed"].tolist() == [np.inf, 5.0]


def test_clinic_list_of_a_scorecard_with_nothing_to_list_is_empty():
    card = pd.DataFrame([card_row("P01", "Green", "Improved", 105, 100)])
    clinic = ac.clinic_list(card, clinic_register())
    assert len(clinic) == 0 and "clinic_rank" in clinic.columns


# --- robustness to how the loader types the columns --------------------------------------------


def test_a_report_date_with_a_time_of_day_counts_as_that_day():
    table = frame(action("A01", "on track", "2025-02-15"))
    assert ac.overdue(table, pd.Timestamp("2025-02-15 17:30")).tolist() == [False]


def test_rules_accept_datetime_and_string_dtype_columns():
    table = frame(
        action("A01", "on track", "2025-02-14"),
        action("A02", "Overdue", "2025-03-31", revised_due="2025-03-31"),
        action("A03", "complete", "2025-01-31", completed="2025-01-20"),
    )
    typed = table.assign(
        due=pd.to_datetime(table["due"]),
        revised_due=pd.to_datetime(table["revised_due"]),
        completed=pd.to_datetime(table["completed"]),
        status=table["status"].astype("string"),
    )
    assert ac.overdue(typed, ON).tolist() == [True, True, False]
    assert ac.due_this_quarter(typed, ON).tolist() == [False, True, False]
    assert ac.completion_over_time(typed, ["2024/25 Q4"])["completed"].tolist() == [1]


def test_no_rule_reads_the_clock():
    import inspect

    from perfeval.stats import registers, risks

    for module in (ac, risks, registers):
        source = inspect.getsource(module)
        for call in ("today(", ".now(", "time.time(", "utcnow("):
            assert call not in source, (module.__name__, call)
