"""Wave and group comparisons on the same variance as their standard errors (issue #15).

References: Newcombe (1998) Stat Med 17:873-890, Table II, method 10
(``tests/data/reference/newcombe_1998_independent.csv``; tests/data/reference/README.md says where
it comes from and its licence) for the proportions; scipy's Welch t-test
(``scipy.stats.ttest_ind(equal_var=False)``) and a hand computation of Satterthwaite's (1946)
degrees of freedom for the means. The designed cases check a property instead: the interval's
implied standard error (half its width over z) is the table's SE column.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from perfeval.stats import weighting
from perfeval.stats.intervals import newcombe_difference
from perfeval.stats.survey import (
    compare_groups_with_rest,
    compare_waves,
    estimate,
    satterthwaite_df,
)

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"
TABLE_II = pd.read_csv(REFERENCE / "newcombe_1998_independent.csv")
Z = stats.norm.ppf(0.975)


def _answers(positive: int, base: int) -> list[int]:
    return [1] * positive + [0] * (base - positive)


def _srs_wave(positive: int, base: int) -> pd.DataFrame:
    """One wave's estimate() table for a simple random sample with unit weights."""
    data = pd.DataFrame({"q": _answers(positive, base), "w": 1.0})
    return estimate(data, "q", statistic="proportion", weight="w")


@pytest.mark.parametrize("case", list(TABLE_II.itertuples()), ids=list(TABLE_II["example"]))
def test_simple_random_samples_give_newcombes_table_ii(case):
    # later = x1/n1, earlier = x2/n2; the design effective base of an SRS is n exactly.
    row = compare_waves(_srs_wave(case.x2, case.n2), _srs_wave(case.x1, case.n1), adjust=None)
    row = row.iloc[0]
    assert [row.ci_low, row.ci_high] == pytest.approx([case.low, case.high], abs=5e-5)
    assert (row.n_eff_later, row.n_eff_earlier) == pytest.approx((case.n1, case.n2), rel=1e-12)
    for positive, base, source in (
        (case.x1, case.n1, row.n_eff_source_later),
        (case.x2, case.n2, row.n_eff_source_earlier),
    ):
        assert source == ("kish" if positive in (0, base) else "design")
    assert row.ci_method == "newcombe" and np.isnan(row.df)


def _clustered_wave(seed: int, share: float, *, rake: bool = False) -> pd.DataFrame:
    """60 clusters of 20 with a strong cluster effect and unequal weights (design effect ~3)."""
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(60), 20)
    logit = math.log(share / (1 - share)) + rng.normal(0, 1.2, 60)[cluster]
    data = pd.DataFrame(
        {
            "q": (rng.uniform(size=cluster.size) < 1 / (1 + np.exp(-logit))).astype(int),
            "psu": cluster,
            "w": rng.uniform(0.5, 2.5, cluster.size),
            "sex": rng.choice(["f", "m"], cluster.size),
        }
    )
    if not rake:
        return estimate(data, "q", statistic="proportion", weight="w", cluster="psu")
    margins = pd.DataFrame({"variable": "sex", "category": ["f", "m"], "share": [0.52, 0.48]})
    weights, report = weighting.rake_weights(data, margins, weight="w")
    data["raked"] = weights
    return estimate(
        data,
        "q",
        statistic="proportion",
        weight="raked",
        cluster="psu",
        calibration=report.calibration,
    )


@pytest.mark.parametrize("rake", [False, True], ids=["clustered", "clustered-and-raked"])
def test_the_interval_and_the_se_column_come_from_the_same_variance(rake):
    earlier, later = _clustered_wave(1, 0.45, rake=rake), _clustered_wave(2, 0.55, rake=rake)
    row = compare_waves(earlier, later, adjust=None).iloc[0]
    implied_se = (row.ci_high - row.ci_low) / (2 * Z)
    # Within 1.5%: the gap (0.9% here, n_eff ~ 250) is the Wilson limits' own shrinkage towards
    # 1/2, about z^2 / (2 n_eff); on the Kish bases the gap is over 20%.
    assert implied_se == pytest.approx(row.se, rel=0.015)
    assert row.se == pytest.approx(math.hypot(earlier.se[0], later.se[0]))
    # Each wave's base is its respondents over its design effect, from that wave's SE column.
    for wave, table in (("earlier", earlier), ("later", later)):
        p, n, se = table.estimate[0], table.base[0], table.se[0]
        assert row[f"n_eff_{wave}"] == pytest.approx(n / (n - 1) * p * (1 - p) / se**2)
        assert row[f"n_eff_source_{wave}"] == "design"
        # The clustering makes it well below the Kish base, which ignores clusters ...
        assert row[f"n_eff_{wave}"] < 0.6 * table.effective_base[0]
    # ... so an interval on the Kish bases would be too narrow for the SE shown.
    kish = newcombe_difference(
        later.estimate[0] * later.effective_base[0],
        later.effective_base[0],
        earlier.estimate[0] * earlier.effective_base[0],
        earlier.effective_base[0],
    )
    assert (kish.high - kish.low) / (2 * Z) < 0.8 * row.se


def test_waves_at_0_and_100_percent_use_the_kish_base_and_keep_a_width():
    # A weighted wave where nobody (then everybody) answered positively: no design effect.
    weights = np.r_[np.full(10, 1.0), np.full(10, 3.0)]
    none = estimate(pd.DataFrame({"q": 0, "w": weights}), "q", statistic="proportion", weight="w")
    everyone = estimate(
        pd.DataFrame({"q": 1, "w": weights}), "q", statistic="proportion", weight="w"
    )
    kish = weights.sum() ** 2 / (weights**2).sum()
    assert none.se[0] == 0 and kish == pytest.approx(16.0)
    middle = _srs_wave(12, 30)  # 12/30, design base 30
    row = compare_waves(none, middle, adjust=None).iloc[0]
    expected = newcombe_difference(12, 30, 0, kish)
    assert [row.ci_low, row.ci_high] == pytest.approx([expected.low, expected.high])
    assert (row.n_eff_source_earlier, row.n_eff_source_later) == ("kish", "design")
    assert row.n_eff_earlier == pytest.approx(kish) and row.finding == "significant increase"
    row = compare_waves(middle, everyone, adjust=None).iloc[0]
    expected = newcombe_difference(kish, kish, 12, 30)
    assert [row.ci_low, row.ci_high] == pytest.approx([expected.low, expected.high])
    assert row.n_eff_source_later == "kish" and row.ci_low < row.ci_high <= 1
    # 0% against 0%: no change, with an interval of positive width around it (Table II (e)-(f)).
    row = compare_waves(none, none, adjust=None).iloc[0]
    assert row.difference == 0 and row.ci_low < 0 < row.ci_high
    assert row.finding == "no significant change" and row.p_value == 1


def test_difference_of_means_is_welchs_t_test_for_simple_random_samples():
    earlier_values, later_values = [3.0, 5.0, 7.0, 9.0], [6.0, 8.0, 10.0, 12.0, 14.0, 19.0]
    earlier, later = (estimate(pd.DataFrame({"y": v}), "y") for v in (earlier_values, later_values))
    row = compare_waves(earlier, later, adjust=None).iloc[0]
    welch = stats.ttest_ind(later_values, earlier_values, equal_var=False)
    # By hand: se^2 = s^2 / n = 6.667 / 4 and 23.867 / 6; df = (v1 + v2)^2 / (v1^2/3 + v2^2/5).
    v1, v2 = np.var(earlier_values, ddof=1) / 4, np.var(later_values, ddof=1) / 6
    df = (v1 + v2) ** 2 / (v1**2 / 3 + v2**2 / 5)
    assert row.df == pytest.approx(df) and row.df == pytest.approx(welch.df)
    assert row.z == pytest.approx(welch.statistic) and row.p_value == pytest.approx(welch.pvalue)
    interval = welch.confidence_interval(0.95)
    assert [row.ci_low, row.ci_high] == pytest.approx([interval.low, interval.high])
    assert row.ci_method == "t" and row.n_eff_source_later is None


def test_difference_of_design_means_uses_t_on_the_satterthwaite_df_of_the_waves():
    rng = np.random.default_rng(5)
    tables = []
    for clusters, shift in ((8, 0.0), (30, 1.5)):  # 7 and 29 design degrees of freedom
        psu = np.repeat(np.arange(clusters), 10)
        y = 10 + shift + rng.normal(0, 2, clusters)[psu] + rng.normal(0, 1, psu.size)
        tables.append(estimate(pd.DataFrame({"y": y, "psu": psu}), "y", cluster="psu"))
    earlier, later = tables
    assert (earlier.df[0], later.df[0]) == (7, 29)
    row = compare_waves(earlier, later, adjust=None).iloc[0]
    v1, v2 = earlier.se[0] ** 2, later.se[0] ** 2
    df = (v1 + v2) ** 2 / (v1**2 / 7 + v2**2 / 29)
    se = math.sqrt(v1 + v2)
    difference = later.estimate[0] - earlier.estimate[0]
    t = stats.t.ppf(0.975, df)
    assert row.df == pytest.approx(df) and 7 <= row.df <= 36
    assert [row.ci_low, row.ci_high] == pytest.approx([difference - t * se, difference + t * se])
    assert row.p_value == pytest.approx(2 * stats.t.sf(abs(difference) / se, df))
    # z would give a narrower interval than the one shown.
    assert row.ci_high - row.ci_low > 2 * Z * se


def test_satterthwaite_df_lies_between_the_smaller_and_the_sum():
    assert satterthwaite_df(1.0, 10, 1.0, 10) == pytest.approx(20)
    assert satterthwaite_df(4.0, 5, 0.0, 50) == pytest.approx(5)  # a zero variance adds nothing
    assert 5 < satterthwaite_df(4.0, 5, 1.0, 50) < 55
    assert np.isnan(satterthwaite_df(0.0, 5, 0.0, 5))
    assert np.isnan(satterthwaite_df(np.nan, 5, 1.0, 5))


def test_holm_adjustment_of_wave_changes_is_unchanged_on_design_bases():
    earlier = pd.concat([_srs_wave(2, 7), _srs_wave(0, 20), _srs_wave(0, 29)], ignore_index=True)
    later = pd.concat([_srs_wave(6, 7), _srs_wave(10, 10), _srs_wave(5, 56)], ignore_index=True)
    keys = pd.Series(["c", "g", "d"])
    earlier.insert(0, "example", keys)
    later.insert(0, "example", keys)
    result = compare_waves(earlier, later, on="example").set_index("example")
    # Holm: g (p ~ 5e-9) at 0.05/3; then c (p ~ 0.027) fails at 0.05/2, so c and d share 97.5%.
    assert result.loc[["c", "g", "d"], "ci_level"].tolist() == pytest.approx(
        [0.975, 1 - 0.05 / 3, 0.975]
    )
    assert result.loc[["c", "g", "d"], "significant"].tolist() == [False, True, False]


def test_group_against_rest_uses_each_sides_design_effective_base():
    rng = np.random.default_rng(7)
    psu = np.repeat(np.arange(40), 15)
    area = np.where(rng.uniform(size=psu.size) < 0.3, "A", "B")
    logit = rng.normal(0, 1, 40)[psu] + np.where(area == "A", 0.6, 0.0)
    data = pd.DataFrame(
        {
            "q": (rng.uniform(size=psu.size) < 1 / (1 + np.exp(-logit))).astype(int),
            "area": area,
            "psu": psu,
            "w": rng.uniform(0.5, 2.0, psu.size),
        }
    )
    design = dict(weight="w", cluster="psu")
    result = compare_groups_with_rest(
        data, "q", "area", statistic="proportion", adjust=None, **design
    ).set_index("area")
    # Each side's own SE is its domain SE on the full design, as estimate(by=) gives it.
    split = estimate(data, "q", statistic="proportion", by="area", **design).set_index("area")
    n_eff = {
        g: split.loc[g, "base"]
        / (split.loc[g, "base"] - 1)
        * split.loc[g, "estimate"]
        * (1 - split.loc[g, "estimate"])
        / split.loc[g, "se"] ** 2
        for g in ("A", "B")
    }
    assert result.loc["A", ["n_eff", "n_eff_rest"]].tolist() == pytest.approx(
        [n_eff["A"], n_eff["B"]]
    )
    assert (result["n_eff_source"] == "design").all()
    expected = newcombe_difference(
        split.loc["A", "estimate"] * n_eff["A"],
        n_eff["A"],
        split.loc["B", "estimate"] * n_eff["B"],
        n_eff["B"],
    )
    assert result.loc["A", ["ci_low", "ci_high"]].tolist() == pytest.approx(
        [expected.low, expected.high]
    )


def test_group_against_rest_at_100_percent_uses_the_kish_base():
    data = pd.DataFrame({"q": _answers(10, 10) + _answers(0, 20), "area": ["A"] * 10 + ["B"] * 20})
    result = compare_groups_with_rest(
        data, "q", "area", statistic="proportion", adjust=None
    ).set_index("area")
    # Newcombe's Table II (g): 10/10 against 0/20 is 0.6791 to 1.
    assert result.loc["A", ["ci_low", "ci_high"]].tolist() == pytest.approx([0.6791, 1.0], abs=5e-5)
    assert result.loc["A", ["n_eff_source", "n_eff_source_rest"]].tolist() == ["kish", "kish"]
