"""The indicator-by-indicator table (perfeval.stats.indicator_table) on hand-made scorecards."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from perfeval.stats import indicator_table as it


def card_row(**overrides):
    """One scorecard row: a 1-decimal % PI with a final value, a target and a rank of 16."""
    row = {
        "indicator": "NI192",
        "title": "Household waste recycled",
        "service": "Environment",
        "unit": "%",
        "polarity": "higher",
        "decimals": 1,
        "period": "2023/24",
        "value": 55.65,
        "value_symbol": None,
        "status": "final",
        "note": "",
        "target": 50.9,
        "rag": "Green",
        "dot": "Improved",
        "rank": 1,
        "n_ranked": 16,
        "quartile": 1,
        "comparator_median": 49.25,
    }
    return {**row, **overrides}


def table(*rows):
    return it.annual_indicator_table(pd.DataFrame(list(rows)))


def test_a_final_value_is_rounded_half_up_to_the_pis_decimals_with_its_assessment():
    (row,) = table(card_row()).to_dict("records")
    assert row == {
        "Code": "NI192",
        "Indicator": "Household waste recycled",
        "Service": "Environment",
        "Unit": "%",
        "Period": "2023/24",
        "Value": 55.7,  # 55.65 half up, where round() gives 55.6
        "Decimal places": 1,
        "Value status": "Final",
        "Why there is no value": "[z]",
        "Target": 50.9,
        "Against target (RAG)": "Green",
        "Direction of travel": "Improved",
        "Rank (1 = best)": 1,
        "Councils ranked": 16,
        "Quartile (1 = best)": 1,
        "Comparator median": 49.3,
    }


def test_a_whole_number_pi_is_stored_as_an_integer_not_a_float():
    (row,) = table(card_row(unit="number", decimals=0, value=6512.5, target=6385.0)).to_dict(
        "records"
    )
    assert row["Value"] == 6513 and isinstance(row["Value"], int)
    assert row["Target"] == 6385 and isinstance(row["Target"], int)


def test_a_missing_value_keeps_its_symbol_and_says_why_never_zero():
    row = table(
        card_row(
            value=math.nan,
            value_symbol="[x]",
            note="Not available: case-management system migration",
            rag="No data",
            dot="Not comparable",
            rank=math.nan,
            n_ranked=math.nan,
            quartile=math.nan,
        )
    ).iloc[0]
    assert row["Value"] == "[x]"
    assert row["Why there is no value"] == "[x] not available: case-management system migration"
    assert row["Value status"] == "[z]"
    assert row["Against target (RAG)"] == "No data"
    assert [row["Rank (1 = best)"], row["Councils ranked"], row["Quartile (1 = best)"]] == [
        "[x]",
        "[x]",
        "[x]",
    ]


def test_a_suppressed_value_keeps_its_own_symbol():
    row = table(card_row(value=math.nan, value_symbol="[c]", note="")).iloc[0]
    assert row["Value"] == "[c]"
    assert row["Why there is no value"].startswith("[c] confidential")


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("provisional", "[p] provisional"),
        ("estimated", "[e] estimated"),
        ("revised", "[r] revised"),
    ],
)
def test_a_flagged_value_carries_its_flag_in_words_and_symbol(status, shown):
    assert table(card_row(status=status)).iloc[0]["Value status"] == shown


def test_a_pi_with_no_target_shows_not_available_and_a_neutral_pi_not_applicable():
    rows = table(
        card_row(target=math.nan, rag="No target"),
        card_row(
            indicator="SC01",
            polarity="neutral",
            target=math.nan,
            rag="Not applicable",
            rank=math.nan,
            n_ranked=math.nan,
            quartile=math.nan,
        ),
    )
    assert rows["Target"].tolist() == ["[x]", "[z]"]
    assert rows["Against target (RAG)"].tolist() == ["No target", "Not applicable"]
    assert rows["Rank (1 = best)"].tolist() == [1, "[z]"]


def test_a_rank_from_fewer_than_three_councils_is_marked_low():
    row = table(
        card_row(rank=math.nan, quartile=math.nan, n_ranked=1, comparator_median=math.nan)
    ).iloc[0]
    assert row["Rank (1 = best)"] == row["Quartile (1 = best)"] == "[low]"
    assert row["Comparator median"] == "[low]"
    assert row["Councils ranked"] == 1


def test_no_cell_is_ever_missing_and_rows_keep_the_scorecard_order():
    rows = table(
        card_row(indicator="B", value=math.nan, target=math.nan, comparator_median=math.nan),
        card_row(indicator="A", title=None, service=None),
    )
    assert rows["Code"].tolist() == ["B", "A"]
    assert not rows.isna().any().any()
    assert rows.loc[1, "Indicator"] == rows.loc[1, "Service"] == "[x]"
    assert list(rows.columns) == it.ANNUAL_COLUMNS


def test_in_year_table_states_year_to_date_profile_and_forecast():
    position = pd.DataFrame(
        [
            {
                "indicator": "HB01",
                "title": "Time to process benefit claims",
                "service": "Revenues",
                "unit": "days",
                "decimals": 1,
                "frequency": "quarterly",
                "kind": "average",
                "last_period": "2024/25 Q3",
                "ytd_value": 15.25,
                "ytd_target": 14.9,
                "rag": "Amber",
                "forecast": 15.04,
                "annual_target": 14.9,
                "forecast_state": "At risk",
                "note": "",
            },
            {
                "indicator": "LIB01",
                "title": "Library visits",
                "service": "Culture",
                "unit": "number",
                "decimals": 0,
                "frequency": "monthly",
                "kind": "cumulative",
                "last_period": "",
                "ytd_value": math.nan,
                "ytd_target": math.nan,
                "rag": "No data",
                "forecast": math.nan,
                "annual_target": 2345.0,
                "forecast_state": "No data",
                "note": "no value to 2024-12 ([x] not available)",
            },
        ]
    )
    rows = it.in_year_indicator_table(position)
    assert list(rows.columns) == it.IN_YEAR_COLUMNS
    first, second = rows.to_dict("records")
    assert first["Value (year to date)"] == 15.3 and first["Year-end forecast"] == 15.0
    assert first["Measured"] == "quarterly, average"
    assert first["Why there is no value"] == "[z]"
    assert second["Value (year to date)"] == "[x]" and second["Annual target"] == 2345
    assert second["Latest period in the year to date"] == "[x]"
    assert second["Why there is no value"] == "no value to 2024-12 ([x] not available)"
    assert not rows.isna().any().any()


def test_stored_value_rounds_half_up_and_marks_a_missing_value():
    assert it.stored_value(2.675, 2) == 2.68
    assert it.stored_value(-0.5, 0) == -1
    assert it.stored_value(None, 1, missing="[c]") == "[c]"
