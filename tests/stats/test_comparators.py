"""Tests for perfeval.stats.comparators: z-scores and nearest neighbours, worked by hand.

The five-council table below is built so that every distance is a whole number:

======  =========  ===  ===  ======================  ========
label   code        a    b   z = (a, b) standardised  distance
======  =========  ===  ===  ======================  ========
home    E06000005   2   20   (0, 0)                   0
P       E06000009   1   30   (-1/sqrt2, +1/sqrt2)     1
Q       E06000002   3   10   (+1/sqrt2, -1/sqrt2)     1
R       E06000007   0   40   (-sqrt2, +sqrt2)         2
S       E06000001   4    0   (+sqrt2, -sqrt2)         2
======  =========  ===  ===  ======================  ========

a: mean 2, population sd sqrt((4+1+0+1+4)/5) = sqrt2.
b: mean 20, population sd sqrt((0+100+100+400+400)/5) = sqrt200 = 10*sqrt2.
So P and Q tie at 1 and R and S tie at 2; ties go to the lower code.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import zscore

from perfeval.core.exceptions import AnalysisError
from perfeval.stats.comparators import (
    SUMMARY_COLUMNS,
    nearest_neighbours,
    standardise_measures,
    summarise_groups,
    summarise_values,
)

HOME = "E06000005"


def five_councils() -> pd.DataFrame:
    """The table in the module docstring, deliberately not in code order."""
    return pd.DataFrame(
        {
            "code": ["E06000007", HOME, "E06000009", "E06000001", "E06000002"],
            "a": [0.0, 2.0, 1.0, 4.0, 3.0],
            "b": [40.0, 20.0, 30.0, 0.0, 10.0],
        }
    )


# --------------------------------------------------------------------------- standardise_measures
def test_z_scores_match_a_hand_computation():
    # 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population sd 2 (sum of squared deviations 32, / 8 = 4).
    frame = pd.DataFrame(
        {"x": [2, 4, 4, 4, 5, 5, 7, 9], "label": list("abcdefgh")}, index=list("abcdefgh")
    )
    z = standardise_measures(frame, ["x"])
    assert list(z.columns) == ["x"] and list(z.index) == list("abcdefgh")
    assert z["x"].tolist() == [-1.5, -0.5, -0.5, -0.5, 0.0, 0.0, 1.0, 2.0]


def test_z_scores_of_logged_measure():
    # ln 1000, ln 10000, ln 100000 are equally spaced (step d = ln 10): deviations -d, 0, d,
    # population sd d*sqrt(2/3), so z = -sqrt(3/2), 0, sqrt(3/2).
    frame = pd.DataFrame({"population": [1000.0, 10000.0, 100000.0]})
    z = standardise_measures(frame, ["population"], log_measures=["population"])
    assert z["population"].tolist() == pytest.approx([-math.sqrt(1.5), 0.0, math.sqrt(1.5)])


def test_a_constant_measure_scores_zero_not_nan():
    z = standardise_measures(pd.DataFrame({"x": [3.0, 3.0, 3.0]}), ["x"])
    assert z["x"].tolist() == [0.0, 0.0, 0.0]


def test_standardising_does_not_change_the_input():
    frame = pd.DataFrame({"population": [1000.0, 10000.0, 100000.0], "x": [1, 2, 3]})
    before = frame.copy()
    standardise_measures(frame, ["population", "x"], log_measures=["population"])
    pd.testing.assert_frame_equal(frame, before)


def test_unknown_measure_is_named():
    with pytest.raises(AnalysisError, match=r"\['density'\] are not columns"):
        standardise_measures(five_councils(), ["a", "density"])


@pytest.mark.parametrize("bad", [0.0, -5.0])
def test_logging_a_non_positive_value_is_refused(bad):
    frame = pd.DataFrame({"x": [10.0, bad, 30.0]})
    with pytest.raises(AnalysisError, match="'x' has values <= 0 and cannot be logged"):
        standardise_measures(frame, ["x"], log_measures=["x"])


def test_a_log_measure_outside_the_measures_is_an_analysis_error():
    with pytest.raises(AnalysisError):
        standardise_measures(five_councils(), ["a"], log_measures=["b"])


# --------------------------------------------------------------------------- nearest_neighbours
def test_nearest_neighbours_by_hand():
    result = nearest_neighbours(five_councils(), HOME, ["a", "b"], k=4)
    assert list(result.columns) == ["code", "distance"]
    assert result["code"].tolist() == ["E06000002", "E06000009", "E06000001", "E06000007"]
    assert result["distance"].tolist() == pytest.approx([1.0, 1.0, 2.0, 2.0])
    assert list(result.index) == [0, 1, 2, 3]


def test_k_cuts_the_list_and_the_home_authority_is_never_its_own_neighbour():
    result = nearest_neighbours(five_councils(), HOME, ["a", "b"], k=3)
    assert result["code"].tolist() == ["E06000002", "E06000009", "E06000001"]
    everyone = nearest_neighbours(five_councils(), HOME, ["a", "b"], k=15)
    assert len(everyone) == 4 and HOME not in set(everyone["code"])


def test_other_home_and_one_measure():
    # On a alone (z = (a - 2)/sqrt2), from R (a = 0): P 1/sqrt2, home sqrt2, Q 3/sqrt2, S 4/sqrt2.
    result = nearest_neighbours(five_councils(), "E06000007", ["a"], k=4)
    assert result["code"].tolist() == ["E06000009", HOME, "E06000002", "E06000001"]
    assert result["distance"].tolist() == pytest.approx(
        [1 / math.sqrt(2), math.sqrt(2), 3 / math.sqrt(2), 4 / math.sqrt(2)]
    )


def test_candidates_missing_a_measure_are_left_out_of_the_pool():
    # A sixth council without b is dropped before standardising, so the distances are unchanged.
    frame = pd.concat(
        [five_councils(), pd.DataFrame({"code": ["E06000099"], "a": [2.0], "b": [np.nan]})]
    )
    result = nearest_neighbours(frame, HOME, ["a", "b"], k=10)
    pd.testing.assert_frame_equal(
        result, nearest_neighbours(five_councils(), HOME, ["a", "b"], k=10)
    )


def test_code_column_can_be_named():
    frame = five_councils().rename(columns={"code": "gss"})
    result = nearest_neighbours(frame, HOME, ["a", "b"], k=2, code_column="gss")
    assert result["code"].tolist() == ["E06000002", "E06000009"]


def test_distances_agree_with_scipy():
    """Independent check: scipy's zscore (ddof=0) and cdist (Euclidean) on the same pool."""
    frame = pd.DataFrame(
        {
            "code": [f"E0700000{i}" for i in range(1, 9)],
            "population": [41e3, 98e3, 108e3, 730e3, 8.6e3, 150e3, 62e3, 310e3],
            "density": [107.0, 166.0, 548.0, 350.0, 2970.0, 410.0, 95.0, 1220.0],
        }
    )
    home = "E07000003"
    result = nearest_neighbours(
        frame, home, ["population", "density"], k=7, log_measures=["population"]
    )
    z = np.column_stack([zscore(np.log(frame["population"])), zscore(frame["density"])])
    home_row = frame.index[frame["code"] == home][0]
    expected = pd.Series(cdist(z, z[[home_row]]).ravel(), index=frame["code"]).drop(home)
    got = result.set_index("code")["distance"]
    assert got.sort_values().index.tolist() == expected.sort_values().index.tolist()
    assert got.to_numpy() == pytest.approx(expected[got.index].to_numpy())


def test_ties_after_logging_are_broken_by_code():
    # ln 1000, ln 10000, ln 100000 are equally spaced: from the middle both ends are sqrt(3/2)
    # away, so E1 (lower code) must come first.
    frame = pd.DataFrame({"code": ["E1", "E2", "E3"], "population": [1e3, 1e4, 1e5]})
    result = nearest_neighbours(frame, "E2", ["population"], k=2, log_measures=["population"])
    assert result["code"].tolist() == ["E1", "E3"]


@pytest.mark.parametrize("k", [0, -1])
def test_k_must_be_positive(k):
    with pytest.raises(AnalysisError, match=f"k must be a positive number of neighbours, got {k}"):
        nearest_neighbours(five_councils(), HOME, ["a", "b"], k=k)


def test_home_not_among_candidates():
    with pytest.raises(AnalysisError, match="home authority 'E09999999' is not among"):
        nearest_neighbours(five_councils(), "E09999999", ["a", "b"])


def test_home_missing_a_measure_is_not_a_candidate():
    frame = five_councils()
    frame.loc[frame["code"] == HOME, "b"] = np.nan
    with pytest.raises(AnalysisError, match=f"home authority '{HOME}' is not among"):
        nearest_neighbours(frame, HOME, ["a", "b"])


def test_non_positive_value_with_logs():
    # S has b = 0, so b cannot be logged.
    with pytest.raises(AnalysisError, match="'b' has values <= 0"):
        nearest_neighbours(five_councils(), HOME, ["a", "b"], log_measures=["b"])


@pytest.mark.parametrize("repeat", [1, 2], ids=["home-twice", "neighbour-twice"])
def test_repeated_codes_are_refused(repeat):
    frame = pd.concat([five_councils(), five_councils().iloc[[repeat]]])
    with pytest.raises(AnalysisError):
        nearest_neighbours(frame, HOME, ["a", "b"], k=2)


# --- the one rule for a group's median and quartiles (#14 item 3) ---------------------------

REFERENCE = Path(__file__).parents[1] / "data" / "reference" / "quartile_inc_examples.csv"


@pytest.mark.parametrize(
    "row", pd.read_csv(REFERENCE).to_dict("records"), ids=lambda r: r["example"]
)
def test_quartiles_match_published_quartile_inc_examples(row):
    # Microsoft's and MESCIUS's worked QUARTILE.INC examples (tests/data/reference/README.md)
    values = [float(v) for v in row["values"].split(";")]
    assert row["quart"] == 1
    assert summarise_values(values)["lower_quartile"] == pytest.approx(row["expected"])


def test_summary_of_eight_values_by_hand():
    # 1 2 4 7 | 8 9 10 12: median (7 + 8) / 2; Q3 at position 7 x 0.75 = 5.25, 9 + 0.25 x 1
    summary = summarise_values([12, 1, 10, 2, 9, 4, 8, 7])
    assert summary == {"median": 7.5, "lower_quartile": 3.5, "upper_quartile": 9.25, "n": 8}


def test_no_median_or_quartile_from_fewer_than_three_councils():
    for values in ([], [41.0], [41.0, 38.0], [41.0, float("nan"), 38.0]):
        summary = summarise_values(values)
        assert summary["n"] == len([v for v in values if v == v])
        assert all(math.isnan(summary[k]) for k in ("median", "lower_quartile", "upper_quartile"))
    three = summarise_values([41.0, 38.0, 0.0])  # a real zero counts
    assert three["n"] == 3 and three["median"] == 38.0
    assert three["lower_quartile"] == 19.0 and three["upper_quartile"] == 39.5


def test_minimum_is_checked_and_can_be_raised():
    assert math.isnan(summarise_values([1, 2, 3, 4], minimum=5)["median"])
    with pytest.raises(AnalysisError, match="minimum must be at least 1 council; got 0"):
        summarise_values([1, 2, 3], minimum=0)


def test_summarise_groups_applies_the_rule_to_each_group():
    values = pd.DataFrame(
        {
            "indicator": ["A", "A", "A", "B", "B"],
            "period": ["2023/24"] * 5,
            "value": [1.0, 2.0, 3.0, 5.0, 6.0],
        }
    )
    out = summarise_groups(values, ["indicator", "period"]).set_index("indicator")
    assert list(out.columns) == ["period", *SUMMARY_COLUMNS]
    assert out.loc["A", "median"] == 2.0 and out.loc["A", "n"] == 3
    assert math.isnan(out.loc["B", "median"]) and out.loc["B", "n"] == 2
