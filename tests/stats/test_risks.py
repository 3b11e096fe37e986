"""Tests for perfeval.stats.risks: scores, bands, the heat map and the report-date rules, on
hand-made risk registers a reader can check by multiplying two numbers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.stats import risks as rk

ON = date(2025, 2, 15)


def risk(risk_id: str, inherent: tuple[int, int], residual: tuple[int, int], **more: object):
    """One row of risks.csv: (likelihood, impact) before and after controls."""
    return {
        "authority": "E07000001",
        "risk_id": risk_id,
        "title": f"Risk {risk_id}",
        "owner": "Chief Executive",
        "category": "Operational",
        "inherent_likelihood": inherent[0],
        "inherent_impact": inherent[1],
        "residual_likelihood": residual[0],
        "residual_impact": residual[1],
        "target_score": None,
        "direction": None,
        "review_date": "2025-01-10",
        "next_review": None,
        **more,
    }


def register(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


# --- scores ------------------------------------------------------------------------------------


def test_scores_run_from_1_to_25():
    assert rk.score(1, 1) == 1
    assert rk.score(5, 5) == 25
    assert rk.score(3, 4) == 12
    assert rk.score([1, 5], [2, 5]).tolist() == [2, 25]


@pytest.mark.parametrize("likelihood", [6, 0, 2.5, None, "high"])
def test_likelihood_outside_1_to_5_is_refused(likelihood):
    with pytest.raises(AnalysisError, match=r"likelihood must be a whole number from 1 \(rare\)"):
        rk.score(likelihood, 3)


def test_impact_6_is_refused():
    with pytest.raises(AnalysisError, match=r"impact .* 5 \(severe\); got \[6\]"):
        rk.score(3, 6)


def test_possible_scores_leave_out_those_the_grid_cannot_give():
    assert 13 not in rk.POSSIBLE_SCORES and 14 not in rk.POSSIBLE_SCORES
    assert len(rk.POSSIBLE_SCORES) == 14
    assert rk.POSSIBLE_SCORES[0] == 1 and rk.POSSIBLE_SCORES[-1] == 25


# --- bands -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, band",
    [(1, "low"), (4, "low"), (5, "medium"), (12, "medium"), (15, "high"), (25, "high")],
)
def test_default_bands(value, band):
    assert rk.band_of(value) == band


def test_default_bands_pass_the_check_though_13_and_14_are_in_none():
    assert rk.check_bands(rk.DEFAULT_BANDS) == rk.DEFAULT_BANDS


def test_bands_are_returned_lowest_first():
    shuffled = (("high", 15, 25), ("low", 1, 4), ("medium", 5, 12))
    assert [name for name, _, _ in rk.check_bands(shuffled)] == ["low", "medium", "high"]


def test_a_score_the_grid_cannot_give_has_no_band():
    with pytest.raises(AnalysisError, match="score 13 falls in no band"):
        rk.band_of(13)


def test_a_band_gap_is_refused_naming_the_scores():
    gap = (("low", 1, 4), ("medium", 6, 12), ("high", 15, 25))
    with pytest.raises(ParameterError, match=r"score\(s\) \[5\] fall in no band"):
        rk.check_bands(gap)


def test_a_band_overlap_is_refused_naming_the_score_and_bands():
    overlap = (("low", 1, 5), ("medium", 5, 12), ("high", 12, 25))
    with pytest.raises(ParameterError) as caught:
        rk.check_bands(overlap)
    assert len(caught.value.problems) == 2
    assert "score 5 falls in more than one band (['low', 'medium']" in caught.value.problems[0]
    assert "score 12" in caught.value.problems[1]


@pytest.mark.parametrize(
    "bands, words",
    [
        ((), "non-empty list"),
        ("low", "non-empty list"),
        ((("low", 1),), "must be (name, lowest score, highest score)"),
        ((("", 1, 25),), "needs a name"),
        ((("all", 1.5, 25),), "whole numbers"),
        ((("all", 25, 1),), "swap them"),
        ((("all", 1, 12), ("all", 13, 25)), "used more than once"),
    ],
)
def test_malformed_bands_are_refused(bands, words):
    with pytest.raises(ParameterError, match=words.replace("(", r"\(").replace(")", r"\)")):
        rk.check_bands(bands)


def test_custom_bands_are_used_and_described():
    four = (("low", 1, 3), ("medium", 4, 9), ("high", 10, 16), ("very high", 20, 25))
    assert rk.band_of(16, four) == "high"
    assert rk.band_of(20, four) == "very high"
    assert rk.describe_bands(four) == "1-3 low, 4-9 medium, 10-16 high and 20-25 very high"
    assert "1-4 low, 5-12 medium and 15-25 high" in rk.score_method()


# --- the scored register -----------------------------------------------------------------------


def test_scored_register_adds_scores_bands_and_above_target():
    table = register(
        risk("R01", (5, 5), (4, 4), target_score=12),  # residual 16 > 12: above
        risk("R02", (4, 3), (3, 4), target_score=12),  # residual 12 exactly at target: not above
        risk("R03", (2, 2), (1, 1)),  # no target: never above
        risk("R04", (3, 2), (2, 2), target_score=2),  # 4 > 2: above
    )
    scored = rk.scored_register(table)
    assert scored["inherent_score"].tolist() == [25, 12, 4, 6]
    assert scored["residual_score"].tolist() == [16, 12, 1, 4]
    assert scored["inherent_band"].tolist() == ["high", "medium", "low", "medium"]
    assert scored["residual_band"].tolist() == ["high", "medium", "low", "low"]
    assert scored["above_target"].tolist() == [True, False, False, True]
    assert rk.above_target(table).tolist() == [True, False, False, True]


def test_scored_register_lists_every_bad_value_by_risk():
    table = register(
        risk("R01", (6, 3), (2, 2)),
        risk("R02", (3, 3), (2, 0)),
        risk("R03", (3, 3), (2, 2)),
    )
    with pytest.raises(AnalysisError) as caught:
        rk.scored_register(table)
    text = str(caught.value)
    assert "inherent_likelihood must be a whole number 1-5" in text and "'R01'" in text
    assert "residual_impact" in text and "'R02'" in text and "'R03'" not in text


def test_scored_register_names_missing_columns():
    table = register(risk("R01", (3, 3), (2, 2))).drop(columns="residual_impact")
    with pytest.raises(AnalysisError, match=r"missing column\(s\) \['residual_impact'\]"):
        rk.scored_register(table)


# --- the heat map ------------------------------------------------------------------------------


def test_heat_map_counts_is_impact_rows_5_to_1_by_likelihood_columns_1_to_5():
    table = register(
        risk("R01", (5, 5), (4, 5)),
        risk("R02", (5, 5), (4, 5)),
        risk("R03", (3, 3), (1, 1)),
        risk("R04", (3, 3), (5, 1)),
    )
    counts = rk.heat_map_counts(table)
    assert counts.index.tolist() == [5, 4, 3, 2, 1] and counts.index.name == "impact"
    assert counts.columns.tolist() == [1, 2, 3, 4, 5] and counts.columns.name == "likelihood"
    assert counts.loc[5, 4] == 2 and counts.loc[1, 1] == 1 and counts.loc[1, 5] == 1
    assert int(counts.to_numpy().sum()) == 4
    inherent = rk.heat_map_counts(table, "inherent")
    assert inherent.loc[5, 5] == 2 and inherent.loc[3, 3] == 2


def test_heat_map_counts_of_an_empty_register_is_all_zero():
    empty = register(risk("R01", (1, 1), (1, 1))).iloc[0:0]
    assert rk.heat_map_counts(empty).to_numpy().sum() == 0


def test_heat_map_of_an_unknown_score_kind_is_refused():
    with pytest.raises(ParameterError, match="which must be one of"):
        rk.heat_map_counts(register(risk("R01", (1, 1), (1, 1))), "target")


def test_heat_map_cells_name_each_cells_score_and_band():
    counts = rk.heat_map_counts(register(risk("R01", (5, 5), (4, 5))))
    cells = rk.heat_map_cells(counts)
    assert len(cells) == 25
    first = cells.iloc[0].to_dict()
    assert first == {"impact": 5, "likelihood": 5, "score": 25, "band": "high", "count": 0}
    found = cells[(cells["impact"] == 5) & (cells["likelihood"] == 4)].iloc[0]
    assert (found["score"], found["band"], found["count"]) == (20, "high", 1)
    assert cells["band"].iloc[-1] == "low"


# --- report-date rules -------------------------------------------------------------------------


def test_past_review_is_next_review_before_the_report_date():
    table = register(
        risk("R01", (3, 3), (2, 2), next_review="2025-02-14"),  # past
        risk("R02", (3, 3), (2, 2), next_review="2025-02-15"),  # due today: not past
        risk("R03", (3, 3), (2, 2), next_review=None),  # no date: not past
        risk("R04", (3, 3), (2, 2), next_review=date(2024, 12, 31)),  # a date object: past
    )
    assert rk.past_review(table, ON).tolist() == [True, False, False, True]


def test_rose_is_direction_risen():
    table = register(
        risk("R01", (3, 3), (2, 2), direction="risen"),
        risk("R02", (3, 3), (2, 2), direction=" Risen "),
        risk("R03", (3, 3), (2, 2), direction="fallen"),
        risk("R04", (3, 3), (2, 2), direction=None),
    )
    assert rk.rose(table).tolist() == [True, True, False, False]


def test_in_register_treats_a_blank_register_as_corporate():
    table = register(
        risk("R01", (3, 3), (2, 2), register="corporate"),
        risk("R02", (3, 3), (2, 2), register=None),
        risk("R03", (3, 3), (2, 2), register="service"),
    )
    assert rk.in_register(table)["risk_id"].tolist() == ["R01", "R02"]
    assert rk.in_register(table, "service")["risk_id"].tolist() == ["R03"]


def test_top_risks_highest_residual_first_ties_by_id():
    table = register(
        risk("R03", (5, 5), (4, 4)),
        risk("R01", (5, 5), (2, 2)),
        risk("R02", (5, 5), (4, 4)),
        risk("R04", (5, 5), (5, 5)),
    )
    assert rk.top_risks(table, 3)["risk_id"].tolist() == ["R04", "R02", "R03"]
    assert rk.top_risks(table, 0).empty
    assert len(rk.top_risks(table, 10)) == 4
    with pytest.raises(ParameterError, match="whole number >= 0"):
        rk.top_risks(table, -1)


def test_risk_summary_counts_on_the_report_date():
    table = register(
        risk("R01", (5, 5), (4, 4), target_score=12, direction="risen", next_review="2025-01-31"),
        risk("R02", (4, 4), (3, 4), target_score=12, direction="unchanged"),
        risk("R03", (2, 2), (1, 2), direction="new", next_review="2025-03-31"),
    )
    summary = rk.risk_summary(table, ON)
    assert dict(zip(summary["measure"], summary["count"])) == {
        "risks": 3,
        "high residual score": 1,
        "medium residual score": 1,
        "low residual score": 1,
        "rose since the last review": 1,
        "past their review date": 1,
        "above their target score": 1,
    }
    assert summary["measure"].tolist()[1] == "high residual score"


def test_risk_summary_with_custom_bands():
    two = (("acceptable", 1, 9), ("not acceptable", 10, 25))
    table = register(risk("R01", (5, 5), (4, 4)), risk("R02", (2, 2), (3, 3)))
    summary = rk.risk_summary(table, ON, two).set_index("measure")["count"]
    assert (summary["not acceptable residual score"], summary["acceptable residual score"]) == (
        1,
        1,
    )


def test_the_score_method_states_the_convention():
    text = rk.score_method()
    for words in ("likelihood x impact", "5 x 5", "exactly at target is not", "before the report"):
        assert words in text
    assert np.all(np.isin(rk.SCALE, list(rk.LIKELIHOOD_WORDS)))


def test_nullable_integer_columns_from_a_loader_are_scored():
    table = register(
        risk("R01", (5, 5), (4, 4), target_score=12), risk("R02", (2, 2), (3, 3))
    ).astype({"residual_likelihood": "Int64", "residual_impact": "Int64", "target_score": "Int64"})
    scored = rk.scored_register(table)
    assert scored["residual_score"].tolist() == [16, 9]
    assert scored["above_target"].tolist() == [True, False]
    assert int(rk.heat_map_counts(table).to_numpy().sum()) == 2


def test_a_blank_likelihood_is_refused():
    table = register(risk("R01", (5, 5), (4, 4))).astype({"residual_likelihood": "Int64"})
    table.loc[0, "residual_likelihood"] = pd.NA
    with pytest.raises(AnalysisError, match=r"residual_likelihood .* 'R01'"):
        rk.heat_map_counts(table)


# --- bands as a council writes them (the risk_bands report parameter) -----------------------------

COUNCIL_BANDS = ["low: 1-6", "medium: 8-12", "high: 15-25"]


def test_parse_bands_reads_name_and_scores_ignoring_spaces_and_orders_them():
    assert rk.parse_bands(["high : 15 - 25", " low:1-6", "medium: 8-12"]) == (
        ("low", 1, 6),
        ("medium", 8, 12),
        ("high", 15, 25),
    )
    assert rk.parse_bands(rk.DEFAULT_BAND_ITEMS) == rk.DEFAULT_BANDS
    assert rk.band_items(rk.DEFAULT_BANDS) == ["low: 1-4", "medium: 5-12", "high: 15-25"]


def test_a_councils_bands_change_the_band_of_a_score():
    bands = rk.parse_bands(COUNCIL_BANDS)
    assert rk.band_of(6) == "medium" and rk.band_of(6, bands) == "low"
    assert rk.top_band(bands) == "high"
    assert rk.top_band(rk.parse_bands(["minor: 1-9", "critical: 10-25"])) == "critical"
    frame = pd.DataFrame([risk("R1", (3, 3), (2, 3)), risk("R2", (5, 5), (3, 4))])
    scored = rk.scored_register(frame, bands)
    assert scored["residual_band"].tolist() == ["low", "medium"]
    assert scored["inherent_band"].tolist() == ["medium", "high"]
    assert "1-6 low, 8-12 medium and 15-25 high" in rk.score_method(bands)


def test_parse_bands_names_every_item_not_written_name_colon_range():
    with pytest.raises(ParameterError) as caught:
        rk.parse_bands(["low 1-4", "medium: 5-12", ": 15-25", "high: fifteen"])
    problems = caught.value.problems
    assert len(problems) == 3
    assert problems[0].startswith("band 'low 1-4' is not written 'name: lowest-highest'")
    assert "band ': 15-25'" in problems[1] and "band 'high: fifteen'" in problems[2]
    assert all("like 'high: 15-25'" in p for p in problems)


def test_parse_bands_refuses_a_gap_an_overlap_text_and_no_bands():
    with pytest.raises(ParameterError, match=r"score\(s\) \[5\] fall in no band"):
        rk.parse_bands(["low: 1-4", "medium: 6-12", "high: 15-25"])
    with pytest.raises(ParameterError, match=r"score 12 falls in more than one band"):
        rk.parse_bands(["low: 1-4", "medium: 5-12", "high: 12-25"])
    with pytest.raises(ParameterError, match="band 'high' starts at 25, after it ends at 15"):
        rk.parse_bands(["low: 1-4", "medium: 5-12", "high: 25-15"])
    with pytest.raises(ParameterError, match="must be a list of items"):
        rk.parse_bands("low: 1-25")
    with pytest.raises(ParameterError, match="give at least one risk band"):
        rk.parse_bands([])
