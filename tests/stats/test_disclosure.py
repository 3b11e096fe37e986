"""Tests for perfeval.stats.disclosure: suppression, secondary suppression, ``[low]`` and ``[c]``.

Small hand-made tables whose protected cells a reader can work out, and a property test that no
breakdown ever lets a small group be recovered by subtraction from its total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfeval.core.exceptions import AnalysisError
from perfeval.stats.disclosure import (
    apply_disclosure_control,
    format_percent,
    format_percentage_with_base,
    format_publication_table,
)


def breakdown_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ethnicity": ["Asian", "Black", "Mixed", "Other", "White"],
            "estimate": [0.61, 0.52, 0.75, 0.58, 0.66],
            "se": [0.04, 0.05, 0.2, 0.07, 0.01],
            "base": [140, 35, 4, 60, 1761],
            "count": [85, 18, 3, 35, 1160],
        }
    )


def test_small_group_is_never_published_even_through_the_total():
    table = breakdown_table()
    total_base = int(table.base.sum())
    controlled = apply_disclosure_control(table, group_columns=["ethnicity"]).set_index("ethnicity")
    # primary: Mixed (4 respondents); secondary: the next smallest, Black (35)
    assert controlled.loc["Mixed", "symbol"] == "[c]" and controlled.loc["Black", "symbol"] == "[c]"
    assert (
        controlled.loc[["Mixed", "Black"]]
        .drop(columns=["symbol", "suppression", "published"])
        .isna()
        .all()
        .all()
    )
    assert controlled.loc[["Mixed", "Black"], "suppression"].tolist() == ["primary", "secondary"]
    # The overall base minus the published bases reveals only Black + Mixed together (39).
    published = controlled.loc[controlled.published, "base"]
    assert total_base - published.sum() == 39
    # No published number equals any figure of the small group.
    numbers = controlled.select_dtypes("number").to_numpy().ravel()
    assert not np.isin([4, 3, 0.75, 0.2], numbers[~np.isnan(numbers)]).any()


def test_total_row_reveals_only_the_combined_suppressed_cells():
    table = pd.DataFrame(
        {"tenure": ["Owner", "Renter", "All"], "estimate": [0.7, 0.4, 0.68], "base": [400, 6, 406]}
    )
    controlled = apply_disclosure_control(table, group_columns=["tenure"], total_label="All")
    assert controlled.symbol.tolist() == ["[c]", "[c]", ""]  # 406 = Owner + Renter, not Renter
    assert controlled.base.tolist()[:2] == [pytest.approx(np.nan, nan_ok=True)] * 2


def test_total_row_is_suppressed_when_nothing_else_can_protect_the_small_cells():
    # A and B (4 and 3 respondents) are both suppressed but hold only 7 between them; the total
    # (12, including 5 with no tenure recorded) would reveal that, so it is suppressed too.
    table = pd.DataFrame(
        {"tenure": ["A", "B", "All"], "estimate": [0.5, 0.3, 0.4], "base": [4, 3, 12]}
    )
    controlled = apply_disclosure_control(table, group_columns=["tenure"], total_label="All")
    assert controlled.symbol.tolist() == ["[c]", "[c]", "[c]"]
    assert controlled.base.isna().all() and controlled.estimate.isna().all()


def test_low_base_hides_estimate_but_shows_base():
    table = breakdown_table().assign(base=[140, 35, 40, 60, 1761])
    controlled = apply_disclosure_control(table, group_columns=["ethnicity"]).set_index("ethnicity")
    assert controlled.loc["Black", "symbol"] == "[low]" and controlled.loc["Black", "base"] == 35
    assert np.isnan(controlled.loc["Black", "estimate"]) and np.isnan(
        controlled.loc["Black", "count"]
    )
    assert controlled.loc["White", "published"]


def test_small_count_or_complement_is_suppressed_with_count_column():
    table = pd.DataFrame(
        {
            "ward": ["A", "B", "C"],
            "estimate": [0.95, 0.5, 0.5],
            "base": [100, 120, 130],
            "count": [95, 60, 65],
        }
    )
    controlled = apply_disclosure_control(table, group_columns=["ward"], count_column="count")
    # ward A: only 5 respondents did not answer positively -> [c]; secondary: B (next smallest)
    assert controlled.symbol.tolist() == ["[c]", "[c]", ""]


def test_two_way_table_is_protected_along_both_breakdowns():
    table = pd.DataFrame(
        {
            "area": ["N", "N", "N", "S", "S", "S"],
            "age": ["16-34", "35-64", "65+", "16-34", "35-64", "65+"],
            "estimate": [0.5] * 6,
            "base": [3, 200, 150, 180, 220, 160],
        }
    )
    controlled = apply_disclosure_control(table, group_columns=["area", "age"])
    hidden = (
        controlled.loc[controlled.symbol == "[c]", ["area", "age"]].apply(tuple, axis=1).tolist()
    )
    assert ("N", "16-34") in hidden
    for column in ["area", "age"]:  # every line of the table hides none or at least two cells
        counts = (
            controlled.assign(h=controlled.symbol == "[c]")
            .groupby("age" if column == "area" else "area")["h"]
            .sum()
        )
        assert set(counts) <= {0, 2, 3}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=8))
def test_no_breakdown_ever_reveals_a_small_group(bases):
    table = pd.DataFrame(
        {"group": [f"g{i}" for i in range(len(bases))], "estimate": 0.5, "base": bases}
    )
    controlled = apply_disclosure_control(table, group_columns=["group"], min_cell=10, min_base=30)
    suppressed = controlled.symbol == "[c]"
    hidden_total = sum(b for b, s in zip(bases, suppressed) if s)
    assert not any(s == "" and 0 < b < 10 for b, s in zip(bases, controlled.symbol))
    nonempty = np.array(bases) > 0
    if hidden_total:  # what subtraction from the total can reveal is >= 2 groups and >= 10 people,
        # unless every non-empty group is hidden: then the total is the hidden sum, itself < 10 or
        # made of >= 2 groups, and a total under 10 is suppressed wherever it is published
        assert (suppressed.sum() >= 2 and hidden_total >= 10) or suppressed[nonempty].all()
    assert controlled.loc[suppressed, "base"].isna().all()


def test_format_percentage_with_base():
    assert format_percentage_with_base(0.4512, 312) == "45% (base 312)"
    assert format_percentage_with_base(0.4512, 1312, decimals=1) == "45.1% (base 1,312)"
    assert format_percentage_with_base(None, 32, symbol="[low]") == "[low] (base 32)"
    assert format_percentage_with_base(0.9, None, symbol="[c]") == "[c]"
    with pytest.raises(AnalysisError, match="must be shown with its base"):
        format_percentage_with_base(0.45, None)
    with pytest.raises(AnalysisError, match="between 0 and 1"):
        format_percentage_with_base(45.0, 312)


def disability(bases: list[int], counts: list[int]) -> pd.DataFrame:
    """One question by disability: No, Prefer not to say, Yes and the total row."""
    return pd.DataFrame(
        {
            "disability": ["No", "Prefer not to say", "Yes", "All"],
            "estimate": [c / b for c, b in zip(counts, bases)],
            "base": bases,
            "count": counts,
        }
    )


def test_secondary_suppression_takes_prefer_not_to_say_before_a_smaller_substantive_answer():
    # Yes: 6 of 30 do not give a positive answer -> primary. The complementary cell must be
    # Prefer not to say (150), although "No" (100) is smaller: hiding a substantive answer
    # would lose a result a reader would quote.
    table = disability([100, 150, 30, 280], [80, 100, 24, 204])
    controlled = apply_disclosure_control(
        table, group_columns=["disability"], count_column="count", total_label="All"
    ).set_index("disability")
    assert controlled["suppression"].tolist() == ["", "secondary", "primary", ""]
    assert controlled.loc["No", "published"] and controlled.loc["All", "published"]


def test_without_a_non_substantive_answer_the_smallest_substantive_one_is_taken():
    table = disability([100, 150, 30, 280], [80, 100, 24, 204])
    controlled = apply_disclosure_control(
        table,
        group_columns=["disability"],
        count_column="count",
        total_label="All",
        non_substantive=(),
    ).set_index("disability")
    # every answer counts as substantive: the smallest open cell (No, 100) is taken
    assert controlled["suppression"].tolist() == ["secondary", "", "primary", ""]
    table = disability([400, 500, 30, 930], [300, 250, 24, 574]).assign(
        disability=["No", "Other", "Yes", "All"]
    )
    controlled = apply_disclosure_control(
        table, group_columns=["disability"], count_column="count", total_label="All"
    ).set_index("disability")
    assert controlled["suppression"].tolist() == ["secondary", "", "primary", ""]  # 400 < 500


def test_a_small_non_substantive_cell_costs_the_smallest_substantive_one():
    # Prefer not to say (43, 7 not positive) is primary; no other non-substantive cell is left,
    # so the smaller of the substantive answers is hidden, and the table says which is which.
    table = disability([702, 43, 183, 928], [612, 36, 154, 802])
    controlled = apply_disclosure_control(
        table, group_columns=["disability"], count_column="count", total_label="All"
    ).set_index("disability")
    assert controlled["suppression"].tolist() == ["", "primary", "secondary", ""]


def test_percentages_are_rounded_half_up_on_their_decimal_value():
    # 0.285 is 0.28499999999999998 in binary: format() gives 28%, people (and sentences) 29%
    assert format(100 * 0.285, ".0f") == "28"
    assert format_percent(0.285) == "29%" and format_percent(0.0125, 1) == "1.3%"
    assert format_percentage_with_base(0.285, 200) == "29% (base 200)"
    controlled = apply_disclosure_control(
        pd.DataFrame(
            {"g": ["a"], "estimate": [0.285], "ci_low": [0.225], "ci_high": [0.345], "base": [200]}
        ),
        group_columns=["g"],
    )
    shown = format_publication_table(controlled)
    assert shown.loc[0, "result"] == "29% (base 200)"
    assert shown.loc[0, "confidence_interval"] == "23% to 35%"
