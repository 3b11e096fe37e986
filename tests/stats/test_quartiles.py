"""Quartile conventions and tie rules of the benchmarking (#15 item 5).

Every expected value is worked by hand from the definitions (Hyndman & Fan 1996 types 7 and 6,
Excel QUARTILE.INC / QUARTILE.EXC, RANK.EQ / RANK.AVG), not produced by the code under test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from perfeval.core.exceptions import AnalysisError
from perfeval.stats.indicators import (
    at_median,
    benchmark,
    in_top_two_quartiles,
    percentile_rank,
    quartile_method_note,
    quartile_position,
    rank_within_groups,
    share_in_top_two_quartiles,
)

REGISTER = pd.DataFrame({"code": ["H", "L"], "polarity": ["higher", "lower"]})


def bench_of(values, indicator="H", **kwargs) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "authority": [f"E{i}" for i in range(len(values))],
            "indicator": indicator,
            "period": "2024/25",
            "value": [float(v) for v in values],
        }
    )
    return benchmark(frame, REGISTER, **kwargs)


def ranks(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(1, n + 1), np.full(n, n)


# --- ties ---------------------------------------------------------------------------------------


def test_competition_and_mid_rank_ties_by_hand():
    scores = np.array([10.0, 10.0, 5.0, 1.0, 1.0, 1.0])
    groups = np.zeros(6, dtype=np.int64)
    competition, size = rank_within_groups(groups, scores)
    assert competition.tolist() == [1, 1, 3, 4, 4, 4] and size.tolist() == [6] * 6
    mid, _ = rank_within_groups(groups, scores, ties="mid-rank")
    # 10, 10 span ranks 1-2 -> 1.5; 5 is 3; the three 1s span 4-6 -> 5
    assert mid.tolist() == [1.5, 1.5, 3.0, 5.0, 5.0, 5.0]
    assert mid.sum() == 6 * 7 / 2


def test_mid_rank_within_several_groups():
    groups = np.array([0, 0, 0, 1, 1, 1, 1])
    scores = np.array([3.0, 3.0, 1.0, 7.0, 7.0, 7.0, 7.0])
    mid, size = rank_within_groups(groups, scores, ties="mid-rank")
    assert mid.tolist() == [1.5, 1.5, 3.0, 2.5, 2.5, 2.5, 2.5]
    assert size.tolist() == [3, 3, 3, 4, 4, 4, 4]


def test_unknown_options_are_refused_with_the_choices():
    with pytest.raises(AnalysisError, match=r"ties must be one of \['competition', 'mid-rank'\]"):
        rank_within_groups(np.zeros(2, dtype=np.int64), np.ones(2), ties="dense")
    with pytest.raises(AnalysisError, match="quartile_method must be one of"):
        quartile_position(np.array([1]), np.array([4]), method="type 5")
    with pytest.raises(AnalysisError, match="quartile_method"):
        bench_of([1, 2, 3], quartile_method="INC")


# --- hand-computed quartiles --------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, inclusive, exclusive",
    [
        # n = 4: inclusive p = 0, 1/3, 2/3, 1 -> 1, 2, 3, 4; exclusive p = 1/5 .. 4/5 -> 1, 2, 3, 4
        (4, [1, 2, 3, 4], [1, 2, 3, 4]),
        # n = 5: inclusive p = 0, .25, .5, .75, 1 -> 1, 1, 2, 3, 4 (boundaries count better);
        # exclusive p = 1/6, 2/6, 3/6, 4/6, 5/6 -> 1, 2, 2, 3, 4
        (5, [1, 1, 2, 3, 4], [1, 2, 2, 3, 4]),
        # n = 15: inclusive p = (r-1)/14, quartile 1 for r <= 4.5, 2 for r <= 8, 3 for r <= 11.5;
        # exclusive p = r/16, quartile 1 for r <= 4, 2 for r <= 8, 3 for r <= 12
        (15, [1] * 4 + [2] * 4 + [3] * 3 + [4] * 4, [1] * 4 + [2] * 4 + [3] * 4 + [4] * 3),
    ],
)
def test_quartiles_by_hand(n, inclusive, exclusive):
    rank, size = ranks(n)
    assert quartile_position(rank, size).tolist() == inclusive
    assert quartile_position(rank, size, method="exclusive").tolist() == exclusive


def test_exclusive_quartiles_match_excel_quartile_exc_boundaries():
    # QUARTILE.EXC of 50, 40, 30, 20, 10 (ascending 10..50, position (n + 1) k / 4): Q1 = 15,
    # median = 30, Q3 = 45. Higher is better: 50 >= 45 -> 1; 40 in [30, 45) -> 2; 30 on the
    # median -> 2 (boundary counts better); 20 in [15, 30) -> 3; 10 -> 4.
    out = bench_of([50, 40, 30, 20, 10], quartile_method="exclusive")
    assert out["quartile"].tolist() == [1, 2, 2, 3, 4]


def test_percentile_ranks_by_hand():
    rank, size = ranks(5)
    assert percentile_rank(rank, size).tolist() == [100.0, 75.0, 50.0, 25.0, 0.0]
    # exclusive: 100 (1 - r / 6)
    assert np.allclose(
        percentile_rank(rank, size, method="exclusive"), [500 / 6, 400 / 6, 50, 200 / 6, 100 / 6]
    )
    assert np.isnan(percentile_rank(np.array([1]), np.array([1]))).all()


def test_ties_by_hand_under_both_conventions():
    # 40, 30, 30, 10 (higher better). Competition ranks 1, 2, 2, 4; mid-rank 1, 2.5, 2.5, 4.
    competition = bench_of([40, 30, 30, 10])
    assert competition["rank"].tolist() == [1, 2, 2, 4]
    assert competition["quartile"].tolist() == [1, 2, 2, 4]  # p = 0, 1/3, 1/3, 1
    assert competition["top_two_quartiles"].tolist() == [True, True, True, False]
    mid = bench_of([40, 30, 30, 10], ties="mid-rank", quartile_method="exclusive")
    assert mid["rank"].tolist() == [1.0, 2.5, 2.5, 4.0]
    # exclusive p = 1/5, 2.5/5 = 1/2 (the median: counted in neither half), 4/5
    assert mid["quartile"].tolist() == [1, 2, 2, 4]
    assert mid["top_two_quartiles"].tolist() == [True, pd.NA, pd.NA, False]
    mid_inclusive = bench_of([40, 30, 30, 10], ties="mid-rank")
    # inclusive p = (2.5 - 1) / 3 = 1/2: on the median boundary, counts in quartile 2
    assert mid_inclusive["quartile"].tolist() == [1, 2, 2, 4]
    assert mid_inclusive["top_two_quartiles"].tolist() == [True, True, True, False]


def test_at_median_only_for_the_middle_rank():
    rank, size = ranks(5)
    assert at_median(rank, size).tolist() == [False, False, True, False, False]
    rank, size = ranks(4)
    assert not at_median(rank, size).any()
    assert at_median(np.array([2.5]), np.array([4]), method="exclusive").tolist() == [True]


# --- the expected share in the top two quartiles ------------------------------------------------


@pytest.mark.parametrize("n", [3, 4, 5, 6, 7, 15, 16, 33])
def test_random_ranks_expected_share_is_half_under_the_exclusive_rule(n):
    # With random ranks (no ties) each rank is equally likely, so the expected share of counted
    # indicators in the top two quartiles is (ranks counted in the top two) / (ranks counted).
    rank, size = ranks(n)
    weight = in_top_two_quartiles(rank, size, method="exclusive")
    counted = weight[~np.isnan(weight)]
    assert counted.sum() / len(counted) == 0.5


@pytest.mark.parametrize("n, expected", [(4, 0.5), (5, 0.6), (15, 8 / 15), (16, 0.5)])
def test_inclusive_rule_leans_upward_at_odd_n_as_documented(n, expected):
    # The boundary rule puts the median council in quartile 2: 3 of 5, 8 of 15 (the reviewer's
    # 60 % and 53 %); with an even number it is 50 %.
    rank, size = ranks(n)
    weight = in_top_two_quartiles(rank, size)
    assert not np.isnan(weight).any()
    assert weight.mean() == pytest.approx(expected)


def test_simulated_shares_agree_with_the_expectations():
    # 4,000 indicators, each with the home council at a random rank among 5
    rng = np.random.default_rng(15)
    rank = rng.integers(1, 6, size=4000)
    size = np.full(4000, 5)
    inclusive = in_top_two_quartiles(rank, size)
    exclusive = in_top_two_quartiles(rank, size, method="exclusive")
    assert inclusive.mean() == pytest.approx(0.6, abs=0.03)
    assert np.nanmean(exclusive) == pytest.approx(0.5, abs=0.03)


def test_share_in_top_two_quartiles_leaves_the_median_council_out_under_exclusive():
    # E2 is the median of 5 on H (30) and best on L (lowest value 1)
    frame = pd.DataFrame(
        {
            "authority": [f"E{i}" for i in range(5)] * 2,
            "indicator": ["H"] * 5 + ["L"] * 5,
            "period": "2024/25",
            "value": [50.0, 40.0, 30.0, 20.0, 10.0, 5.0, 4.0, 1.0, 3.0, 2.0],
        }
    )
    inclusive = benchmark(frame, REGISTER)
    assert share_in_top_two_quartiles(inclusive, "E2", "2024/25") == {
        "numerator": 2,
        "denominator": 2,
        "share": 1.0,
    }
    exclusive = benchmark(frame, REGISTER, quartile_method="exclusive")
    assert share_in_top_two_quartiles(exclusive, "E2", "2024/25") == {
        "numerator": 1,
        "denominator": 1,
        "share": 1.0,
    }
    # E4: worst on H, second on L (value 2): 1 of 2 under both
    assert share_in_top_two_quartiles(exclusive, "E4", "2024/25")["numerator"] == 1


def test_method_note_says_how_the_median_council_counts():
    inclusive = quartile_method_note()
    assert "QUARTILE.INC" in inclusive and "3 of 5" in inclusive and "60 %" in inclusive
    assert "competition ranking" in inclusive
    exclusive = quartile_method_note("exclusive", "mid-rank")
    assert "QUARTILE.EXC" in exclusive and "neither" in exclusive and "half the time" in exclusive
    assert "RANK.AVG" in exclusive


# --- the scorecard and its headline follow the convention ---------------------------------------


def test_headline_share_leaves_out_the_median_council_under_exclusive():
    from perfeval.stats import scorecard

    card = pd.DataFrame(
        {
            "rag": ["Green"] * 3,
            "dot": ["Improved"] * 3,
            "quartile": pd.array([1, 2, 3], dtype="Int64"),
            "top_two_quartiles": pd.array([True, pd.NA, False], dtype="boolean"),
        }
    )
    shares = scorecard.headline_shares(card).set_index("measure")
    row = shares.loc[scorecard.TOP_TWO_QUARTILES]
    assert (row["numerator"], row["denominator"], row["share"]) == (1, 2, 0.5)
    inclusive = scorecard.headline_shares(card.drop(columns=["top_two_quartiles"]))
    row = inclusive.set_index("measure").loc[scorecard.TOP_TWO_QUARTILES]
    assert (row["numerator"], row["denominator"]) == (2, 3)


def test_build_scorecard_passes_the_convention_to_the_ranking():
    from perfeval.data.loader import load_dataset
    from perfeval.stats import scorecard

    data = load_dataset()
    args = (data, "E06000017", "2024/25", "rutland_nearest_15")
    inclusive = scorecard.build_scorecard(*args)
    exclusive = scorecard.build_scorecard(*args, quartile_method="exclusive", ties="mid-rank")
    ranked = inclusive["n_ranked"].notna() & inclusive["rank"].notna()
    # inclusive: counted exactly when ranked, quartile 1-2 -> True
    assert (
        inclusive.loc[ranked, "top_two_quartiles"].astype(bool)
        == (inclusive.loc[ranked, "quartile"] <= 2)
    ).all()
    # exclusive, mid-rank: percentile ranks are 100 (1 - rank / (n + 1))
    rows = exclusive[exclusive["rank"].notna()]
    expected = 100 * (1 - rows["rank"].astype(float) / (rows["n_ranked"].astype(float) + 1))
    assert np.allclose(rows["percentile_rank"].astype(float), expected)
    middle = rows["rank"].astype(float) * 2 == rows["n_ranked"].astype(float) + 1
    assert rows.loc[middle, "top_two_quartiles"].isna().all()


def test_headline_sentence_says_the_median_council_is_counted_in_neither_half():
    from perfeval.sections.annual import describe_headlines

    card = pd.DataFrame(
        {
            "indicator": ["P", "Q", "R"],
            "period": ["2024/25"] * 3,
            "rag": ["Green"] * 3,
            "dot": ["Improved"] * 3,
            "quartile": pd.array([1, 2, 3], dtype="Int64"),
            "top_two_quartiles": pd.array([True, pd.NA, False], dtype="boolean"),
        }
    )
    sentence = describe_headlines(card, council="Ayton", year="2024/25")
    assert sentence.endswith(
        "Of 3 indicators ranked among the comparator group, 1 is in the top two quartiles "
        "(1 indicator at the group's median is counted in neither half)."
    )
    inclusive = describe_headlines(
        card.drop(columns=["top_two_quartiles"]), council="Ayton", year="2024/25"
    )
    assert inclusive.endswith(
        "Of 3 indicators ranked among the comparator group, 2 are in the top two quartiles."
    )


def test_a_mid_rank_tie_is_shown_as_a_half():
    from perfeval.data.loader import load_dataset
    from perfeval.stats import scorecard

    # NI192 2023/24 (real Defra figures): Rutland's 55.7 % is tied with another council of its
    # group; the expected mid-rank is counted from the values themselves.
    data = load_dataset()
    values = data.indicator_values
    members = data.comparator_groups.query("group == 'rutland_nearest_15'")["authority"]
    year = values[
        (values["indicator"] == "NI192")
        & (values["period"] == "2023/24")
        & values["authority"].isin(set(members))
    ]
    home = float(year.loc[year["authority"] == "E06000017", "value"].iloc[0])
    better, tied = int((year["value"] > home).sum()), int((year["value"] == home).sum())
    assert tied >= 2  # the case is a tie
    expected = better + (1 + tied) / 2  # the mean of ranks better + 1 ... better + tied
    card = scorecard.build_scorecard(
        data, "E06000017", "2024/25", "rutland_nearest_15", ties="mid-rank"
    )
    row = card[card["indicator"] == "NI192"].iloc[0]
    assert row["period"] == "2023/24" and float(row["rank"]) == expected
    shown = scorecard.benchmark_table(card)
    assert shown["Rank (1 = best)"].iloc[0] == f"{expected:g} of {len(year)}"
