"""Difference-in-differences with council and year fixed effects (#15 item 4): the estimate and
its cluster-robust standard error against statsmodels, randomisation inference and the wild
cluster restricted bootstrap checked by hand and against wildboottest, test inversion for the
interval, the caveats keyed to the number of participating councils, the event study and the
equivalence check of pre-programme trends."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.stats import evaluation as ev

REFERENCE = Path(__file__).parents[1] / "data" / "reference"
TREATED = ["E00", "E01", "E02", "E03"]


def panel(seed: int = 3, effect: float = 2.5, drop: int = 0, councils: int = 10) -> pd.DataFrame:
    """councils x 8 years (2014/15 to 2021/22), the first four councils treated from 2018/19."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(councils):
        for year in range(2014, 2022):
            value = 40 + 2 * u + 0.7 * (year - 2014) + rng.normal(0, 1.5)
            value += effect if (u < 4 and year >= 2018) else 0.0
            rows.append(
                {
                    "authority": f"E{u:02d}",
                    "period": f"{year}/{(year + 1) % 100:02d}",
                    "value": value,
                }
            )
    frame = pd.DataFrame(rows)
    return frame.drop(frame.sample(drop, random_state=seed).index) if drop else frame


def with_dummies(data: pd.DataFrame) -> pd.DataFrame:
    return data.assign(
        d=(data["authority"].isin(TREATED) & (data["period"] >= "2018/19")).astype(float)
    )


@pytest.mark.parametrize("drop", [0, 7])
def test_two_way_fixed_effects_match_statsmodels_with_dummies(drop):
    data = with_dummies(panel(drop=drop))
    r = ev.estimate_did(data, treated=TREATED, start="2018/19", inference="cluster")
    ref = smf.ols("value ~ d + C(authority) + C(period)", data=data).fit(
        cov_type="cluster",
        cov_kwds={"groups": data["authority"].astype("category").cat.codes},
        use_t=True,
    )
    assert r.estimate == pytest.approx(ref.params["d"])
    assert r.se == pytest.approx(ref.bse["d"])
    assert r.p_value == pytest.approx(ref.pvalues["d"])
    assert (r.ci_lower, r.ci_upper) == pytest.approx(tuple(ref.conf_int().loc["d"]))
    assert (r.n_treated, r.n_comparison, r.n_obs) == (4, 6, 80 - drop)


def test_balanced_estimate_is_the_difference_of_changes_in_group_means():
    data = with_dummies(panel())
    r = ev.estimate_did(data, treated=TREATED, start="2018/19", inference="cluster")
    m = data.assign(t=data["authority"].isin(TREATED), post=data["period"] >= "2018/19")
    m = m.groupby(["t", "post"])["value"].mean()
    assert r.estimate == pytest.approx(
        (m[True, True] - m[True, False]) - (m[False, True] - m[False, False])
    )
    assert r.means.loc["Participating", "Change"] == pytest.approx(m[True, True] - m[True, False])


def cluster_t_by_statsmodels(data: pd.DataFrame, treated: list[str]) -> float:
    d = (data["authority"].isin(treated) & (data["period"] >= "2018/19")).astype(float)
    fit = smf.ols("value ~ d + C(authority) + C(period)", data=data.assign(d=d)).fit(
        cov_type="cluster", cov_kwds={"groups": data["authority"].astype("category").cat.codes}
    )
    return float(fit.tvalues["d"])


def test_randomisation_p_value_is_the_rank_of_the_actual_t_among_every_assignment():
    # 6 councils, 1 participating: 6 possible assignments; by hand with statsmodels
    data = panel(councils=6)
    r = ev.estimate_did(data, treated=["E00"], start="2018/19")
    ts = [abs(cluster_t_by_statsmodels(data, [f"E{u:02d}"])) for u in range(6)]
    expected = sum(t >= ts[0] * (1 - 1e-9) for t in ts) / 6
    assert r.p_value == pytest.approx(expected)
    assert r.exact and r.draws == 6 and r.smallest_p == pytest.approx(1 / 6)
    assert any("with every other choice of 1 of the 6 councils" in c for c in r.caveats)
    # 1/6 > 0.05: no result can be significant, and the report says so
    assert any("smallest p-value this test can give is 0.167" in c for c in r.caveats)
    assert any("no result can be significant at the 5% level" in c for c in r.caveats)
    assert not r.significant


def test_randomisation_with_two_of_seven_enumerates_every_pair():
    data = panel(councils=7)
    r = ev.estimate_did(data, treated=["E00", "E01"], start="2018/19")
    pairs = [list(p) for p in itertools.combinations([f"E{u:02d}" for u in range(7)], 2)]
    ts = np.abs([cluster_t_by_statsmodels(data, p) for p in pairs])
    assert r.draws == 21 and r.exact
    assert r.p_value == pytest.approx(np.mean(ts >= ts[0] * (1 - 1e-9)))


def test_same_seed_same_p_value_and_interval():
    data = panel(councils=12)  # C(12, 4) = 495 sets; 199 drawn at random
    first = ev.estimate_did(data, treated=TREATED, start="2018/19", draws=199, seed=5)
    again = ev.estimate_did(data, treated=TREATED, start="2018/19", draws=199, seed=5)
    assert not first.exact and first.draws == 199
    assert any(
        "198 other choices, drawn at random, of 4 of the 12 councils" in c for c in first.caveats
    )
    assert (first.p_value, first.ci_lower, first.ci_upper) == (
        again.p_value,
        again.ci_lower,
        again.ci_upper,
    )
    boot = [
        ev.estimate_did(
            data, treated=TREATED, start="2018/19", inference="wild_bootstrap", draws=199, seed=5
        )
        for _ in range(2)
    ]
    assert boot[0].p_value == boot[1].p_value and boot[0].ci_upper == boot[1].ci_upper


@pytest.mark.parametrize("inference", ["randomisation", "wild_bootstrap"])
def test_interval_is_the_set_of_effects_the_test_does_not_reject(inference):
    data = with_dummies(panel())
    r = ev.estimate_did(data, treated=TREATED, start="2018/19", inference=inference, draws=999)
    assert r.ci_lower < 2.5 < r.ci_upper  # the effect built into the data
    assert r.p_value < 0.05

    def p_at(b: float) -> float:
        shifted = data.assign(value=data["value"] - b * data["d"])
        kw = dict(treated=TREATED, start="2018/19", inference=inference, draws=999, interval=False)
        return ev.estimate_did(shifted, **kw).p_value

    width = r.ci_upper - r.ci_lower
    for end, outward in ((r.ci_lower, -1), (r.ci_upper, 1)):
        assert p_at(end - outward * 0.01 * width) >= 0.05
        assert p_at(end + outward * 0.01 * width) < 0.05


def wildboottest_example() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The data of wildboottest's docstring example (numpy's legacy stream, seed 12312312)."""
    rs = np.random.RandomState(12312312)
    n, k, g = 1000, 10, 10
    x = rs.normal(0, 1, n * k).reshape((n, k))
    beta = rs.normal(0, 1, k)
    beta[0] = 0.005
    u = rs.normal(0, 1, n)
    y = 1 + x @ beta + u
    cluster = rs.choice(list(range(g)), n)
    return x, y, cluster


def test_wild_cluster_restricted_bootstrap_reproduces_wildboottest():
    reference = json.loads((REFERENCE / "wildboottest_example.json").read_text(encoding="utf-8"))
    x, y, cluster = wildboottest_example()
    n, k = x.shape
    g = len(np.unique(cluster))
    basis, _ = np.linalg.qr(x[:, 1:])  # every other regressor is a nuisance, as the FE are
    members = np.zeros((n, g))
    members[np.arange(n), cluster] = 1.0
    fe = ev.FixedEffectsPanel(
        y=y,
        d=x[:, 0],
        unit_index=cluster,
        period_index=np.zeros(n, dtype=int),
        units=tuple(str(c) for c in range(g)),
        periods=("all",),
        treated_units=np.zeros(g, dtype=bool),
        post_periods=np.ones(1, dtype=bool),
        basis=basis,
        members=members,
        dof=g / (g - 1) * (n - 1) / (n - k),
    )
    found = ev.did_inference(fe, inference="wild_bootstrap", draws=9999, interval=False)
    assert found["estimate"] / found["se"] == pytest.approx(reference["statistic"], abs=1e-6)
    assert found["exact"] and found["draws"] == reference["draws"]
    assert found["p_value"] == pytest.approx(reference["p_value"])


def test_webb_weights_take_six_values_and_rademacher_is_enumerated_for_few_councils():
    rng = np.random.default_rng(1)
    webb, exact = ev.wild_weights(30, 500, "webb", rng)
    assert not exact and sorted(np.unique(webb.round(6))) == pytest.approx(
        sorted(np.sqrt([1.5, 1, 0.5]) * [-1, -1, -1]) + list(np.sqrt([0.5, 1, 1.5]))
    )
    signs, exact = ev.wild_weights(5, 999, "rademacher", rng)
    assert exact and signs.shape == (5, 32) and len({tuple(c) for c in signs.T}) == 32


def test_caveat_is_keyed_to_the_number_of_participating_councils_not_the_total():
    many = panel(councils=40)
    few = ev.estimate_did(many, treated=["E00", "E01"], start="2018/19", inference="cluster")
    assert any("only 2 participating councils" in c and "too small" in c for c in few.caveats)
    boot = ev.estimate_did(
        many, treated=["E00", "E01"], start="2018/19", inference="wild_bootstrap", draws=199
    )
    assert any("only 2 participating councils" in c and "too large" in c for c in boot.caveats)
    treated = [f"E{u:02d}" for u in range(12)]
    plenty = ev.estimate_did(
        panel(councils=20), treated=treated, start="2018/19", inference="cluster"
    )
    assert not any("participating councils, the" in c for c in plenty.caveats)


def test_did_options_are_checked_and_groups_needed():
    with pytest.raises(ParameterError) as err:
        ev.estimate_did(panel(), treated=TREATED, start="2018/19", inference="bootstrap", draws=5)
    assert "inference must be one of" in str(err.value) and "draws must be at least 99" in str(
        err.value
    )
    with pytest.raises(AnalysisError, match="before and after"):
        ev.estimate_did(panel(), treated=TREATED, start="2024/25")
    small = panel()[lambda f: f["authority"].isin(["E00", "E05"])]
    with pytest.raises(AnalysisError, match="at least 3 councils"):
        ev.estimate_did(small, treated=["E00"], start="2018/19")


# ---- event study and pre-trends --------------------------------------------------------------


def test_event_study_coefficients_are_differences_against_the_last_year_before():
    data = panel()
    study = ev.estimate_event_study(data, treated=TREATED, start="2018/19")
    table = study.table.set_index("period")
    assert study.reference == "2017/18"
    assert table["relative"].tolist() == [-4, -3, -2, -1, 0, 1, 2, 3]
    assert table.loc["2017/18", "estimate"] == 0 and table.loc["2017/18", "reference"]
    gap = data.assign(t=data["authority"].isin(TREATED)).groupby(["period", "t"])["value"].mean()
    gap = gap.xs(True, level="t") - gap.xs(False, level="t")
    for period in table.index:
        assert table.loc[period, "estimate"] == pytest.approx(gap[period] - gap["2017/18"])
    lag = table.loc["2019/20"]
    assert (
        lag["ci_lower"] < lag["tost_lower"] < lag["estimate"] < lag["tost_upper"] < lag["ci_upper"]
    )
    assert table["post"].tolist() == [False] * 4 + [True] * 4


def test_pre_trends_are_evidenced_only_within_the_margin():
    data = panel(councils=30)
    study = ev.estimate_event_study(data, treated=TREATED, start="2018/19")
    wide = ev.check_pre_trends(study, data, margin=1.0)
    spread = data[data["period"] == "2017/18"]["value"].std()
    assert wide.spread == pytest.approx(spread) and wide.margin_units == pytest.approx(spread)
    assert wide.evidenced is True and wide.n_pre_periods == 4
    assert -wide.margin_units < wide.lowest < wide.highest < wide.margin_units
    narrow = ev.check_pre_trends(study, data, margin=0.01)
    assert narrow.evidenced is False  # same data: not shown to be parallel within +-0.01 SD


def test_a_non_significant_difference_is_not_evidence_of_parallel_trends():
    # noisy data, no pre-trend at all: the old slope test passes, equivalence is not shown
    data = panel(councils=8)
    noisy = data.assign(value=data["value"] + np.random.default_rng(0).normal(0, 6, len(data)))
    study = ev.estimate_event_study(noisy, treated=TREATED, start="2018/19")
    leads = study.table[~study.table["post"] & ~study.table["reference"]]
    assert (leads["ci_lower"] < 0).all() and (leads["ci_upper"] > 0).all()  # none significant
    assert ev.check_pre_trends(study, noisy, margin=0.25).evidenced is False


def test_diverging_groups_are_not_evidenced_and_one_year_before_cannot_be_checked():
    data = panel(councils=30)
    years = data["period"].str[:4].astype(int)
    diverging = data.assign(
        value=data["value"] + np.where(data["authority"].isin(TREATED), 3.0 * (years - 2014), 0)
    )
    study = ev.estimate_event_study(diverging, treated=TREATED, start="2018/19")
    judged = ev.check_pre_trends(study, diverging, margin=0.25)
    assert judged.evidenced is False and judged.largest_difference == pytest.approx(-9, abs=2)
    late = data[data["period"] >= "2017/18"]
    one = ev.check_pre_trends(ev.estimate_event_study(late, treated=TREATED, start="2018/19"), late)
    assert one.evidenced is None and one.n_pre_periods == 1


@pytest.mark.parametrize("margin", [0, -0.5, float("nan"), "0.25"])
def test_equivalence_margin_must_be_a_positive_number(margin):
    data = panel()
    study = ev.estimate_event_study(data, treated=TREATED, start="2018/19")
    with pytest.raises(ParameterError, match="positive number of standard deviations"):
        ev.check_pre_trends(study, data, margin=margin)
