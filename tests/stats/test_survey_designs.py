"""Survey errors after weighting, design degrees of freedom, svyciprop intervals, two-stage and
replicate-weight designs (perfeval.stats.survey with perfeval.stats.weighting).

Reference values are R ``survey``'s saved outputs on the California API samples, copied into
tests/data/reference/r_survey_api_designs.csv and svyciprop_api.csv (see the README there for the
repository, commit and licence); each is compared at the precision R printed it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.stats import survey, weighting
from perfeval.stats.survey import estimate

TESTS = Path(__file__).parents[1]
API = TESTS / "data" / "survey_api"
REFERENCE = TESTS / "data" / "reference"
DESIGNS = pd.read_csv(REFERENCE / "r_survey_api_designs.csv")
CIPROP = pd.read_csv(REFERENCE / "svyciprop_api.csv")
CLUSTER = dict(cluster="dnum", fpc="fpc")
SCHOOL_TYPES = pd.DataFrame({"stype": ["E", "H", "M"], "count": [4421, 755, 1018]})
RAKING_MARGINS = pd.DataFrame(
    {
        "variable": ["stype"] * 3 + ["sch.wide"] * 2,
        "category": ["E", "H", "M", "No", "Yes"],
        "count": [4421, 755, 1018, 1072, 5122],
    }
)


@pytest.fixture(scope="module")
def apiclus1() -> pd.DataFrame:
    return pd.read_csv(API / "apiclus1.csv")


@pytest.fixture(scope="module")
def apiclus2() -> pd.DataFrame:
    return pd.read_csv(API / "apiclus2.csv")


def r_design_estimate(case: pd.Series, apiclus1: pd.DataFrame, apiclus2: pd.DataFrame):
    """``estimate`` for one row of r_survey_api_designs.csv, built as R built the design."""
    statistic = dict(statistic=case.statistic)
    if case.data == "apiclus2":
        design = (
            dict(cluster=["dnum", "snum"], fpc=["fpc1", "fpc2"])
            if "fpc" in case.design
            else dict(cluster=["dnum", "snum"], weight="pw")
        )
        return estimate(apiclus2, case.variable, **statistic, **design)
    if isinstance(case.replicates, str):
        table, replicates = survey.jk1_replicate_weights(
            apiclus1, cluster="dnum", weight="pw", fpc="fpc", mse="TRUE" in case.replicates
        )
        return estimate(
            apiclus1.join(table), case.variable, weight="pw", replicates=replicates, **statistic
        )
    if case.calibration.startswith("postStratify"):
        weights, calibration = weighting.post_stratify_weights(
            apiclus1, SCHOOL_TYPES, "stype", weight="pw"
        )
    else:
        weights, report = weighting.rake_weights(
            apiclus1, RAKING_MARGINS, weight="pw", tol=1e-12, max_iter=200
        )
        calibration = report.calibration
    return estimate(
        apiclus1.assign(calibrated=weights),
        case.variable,
        weight="calibrated",
        calibration=calibration,
        **CLUSTER,
        **statistic,
    )


@pytest.mark.parametrize("case", [row for _, row in DESIGNS.iterrows()], ids=list(DESIGNS.case))
def test_estimates_and_standard_errors_match_r_survey(case, apiclus1, apiclus2):
    # within half a unit of R's last printed digit (plus 1e-6 relative: the CSV copies of the
    # data hold the weights to 14 digits, and R's post-stratified SE 23.921 is 23.92049 here,
    # on the rounding boundary; svy 0.35.0 also gives 23.920486)
    row = r_design_estimate(case, apiclus1, apiclus2).iloc[0]
    for value, printed, decimals in (
        (row.estimate, case.estimate, case.estimate_decimals),
        (row.se, case.se, case.se_decimals),
    ):
        assert value == pytest.approx(printed, abs=0.5 * 10.0**-decimals + 1e-6 * printed)


def test_raked_weights_without_their_calibration_are_treated_as_fixed_and_say_so(apiclus1):
    weights, calibration = weighting.post_stratify_weights(
        apiclus1, SCHOOL_TYPES, "stype", weight="pw"
    )
    data = apiclus1.assign(calibrated=weights)
    fixed = estimate(data, "enroll", statistic="total", weight="calibrated", **CLUSTER)
    # the figure: 1,021,788 with the weights treated as fixed, against R's 406,293
    assert round(fixed.iloc[0].se) == 1021788
    assert "weights are treated as fixed" in fixed.attrs["variance"]
    allowed = estimate(
        data, "enroll", statistic="total", weight="calibrated", calibration=calibration, **CLUSTER
    )
    assert (
        "allowing for the calibration (post-stratification on stype)" in (allowed.attrs["variance"])
    )
    assert "fixed" not in allowed.attrs["variance"]


def test_a_post_stratum_total_is_known_exactly_after_post_stratifying_to_counts(apiclus1):
    weights, calibration = weighting.post_stratify_weights(
        apiclus1, SCHOOL_TYPES, "stype", weight="pw"
    )
    data = apiclus1.assign(calibrated=weights, elementary=(apiclus1.stype == "E").astype(float))
    row = estimate(
        data,
        "elementary",
        statistic="total",
        weight="calibrated",
        calibration=calibration,
        **CLUSTER,
    ).iloc[0]
    assert row.estimate == pytest.approx(4421) and row.se == pytest.approx(0, abs=1e-6)


def test_calibrating_to_shares_leaves_a_mean_unchanged_and_adds_the_total_variance(apiclus1):
    counts = weighting.post_stratify_weights(apiclus1, SCHOOL_TYPES, "stype", weight="pw")
    shares_table = SCHOOL_TYPES.assign(share=SCHOOL_TYPES["count"] / 6194).drop(columns="count")
    shares = weighting.post_stratify_weights(apiclus1, shares_table, "stype", weight="pw")
    assert not shares[1].fixed_total and counts[1].fixed_total
    results = {}
    for name, (weights, calibration) in {"counts": counts, "shares": shares}.items():
        data = apiclus1.assign(calibrated=weights)
        results[name] = [
            estimate(
                data, "api00", statistic=s, weight="calibrated", calibration=calibration, **CLUSTER
            ).iloc[0]
            for s in ("mean", "total")
        ]
    assert results["shares"][0].se == pytest.approx(results["counts"][0].se)
    # to shares the total is N0 x the calibrated mean, N0 = sum of the design weights, estimated
    n0 = apiclus1.pw.sum()
    mean_se, n0_se = (
        results["counts"][0].se,
        estimate(apiclus1.assign(one=1.0), "one", statistic="total", weight="pw", **CLUSTER)
        .iloc[0]
        .se,
    )
    bound = math.hypot(n0 * mean_se, results["shares"][0].estimate * n0_se)
    assert results["shares"][1].se > n0 * mean_se and results["shares"][1].se <= bound * 1.01


def test_raking_report_carries_the_calibration_design_matrix(apiclus1):
    weights, report = weighting.rake_weights(apiclus1, RAKING_MARGINS, weight="pw", tol=1e-10)
    calibration = report.calibration
    assert calibration is not None and calibration.method == "raking"
    assert calibration.model_matrix.shape == (183, 5)
    assert calibration.model_matrix.sum(axis=1).tolist() == [2.0] * 183
    assert calibration.weights == pytest.approx(weights.to_numpy())
    assert calibration.design_weights == pytest.approx(apiclus1.pw.to_numpy())
    assert calibration.describe() == "raking to 2 margins (stype, sch.wide)"


def test_calibration_of_other_rows_or_weights_is_refused(apiclus1):
    weights, calibration = weighting.post_stratify_weights(
        apiclus1, SCHOOL_TYPES, "stype", weight="pw"
    )
    with pytest.raises(AnalysisError, match="not the calibrated weights"):
        estimate(apiclus1, "api00", weight="pw", calibration=calibration, **CLUSTER)
    with pytest.raises(AnalysisError, match="made for 183 respondents but the data has 100"):
        estimate(
            apiclus1.assign(calibrated=weights).head(100),
            "api00",
            weight="calibrated",
            calibration=calibration,
        )


def test_calibration_residuals_are_orthogonal_to_the_margins(apiclus1):
    _, report = weighting.rake_weights(apiclus1, RAKING_MARGINS, weight="pw", tol=1e-10)
    calibration = report.calibration
    u = apiclus1.api00.to_numpy(dtype=float)
    e = weighting.calibration_residuals(calibration, u)
    products = calibration.model_matrix.T @ (calibration.design_weights * e)
    assert products == pytest.approx(np.zeros(5), abs=1e-6 * np.abs(u).sum())
    both = weighting.calibration_residuals(calibration, np.column_stack([u, 2 * u]))
    assert both[:, 0] == pytest.approx(e) and both[:, 1] == pytest.approx(2 * e)


def test_group_comparison_allows_for_the_calibration(apiclus1):
    weights, calibration = weighting.post_stratify_weights(
        apiclus1, SCHOOL_TYPES, "stype", weight="pw"
    )
    data = apiclus1.assign(calibrated=weights)
    common = dict(by="sch.wide", weight="calibrated", **CLUSTER)
    fixed = survey.compare_groups_with_rest(data, "api00", **common)
    allowed = survey.compare_groups_with_rest(data, "api00", calibration=calibration, **common)
    assert allowed.difference.tolist() == pytest.approx(fixed.difference.tolist())
    assert not np.allclose(allowed.se, fixed.se)
    # the difference's linearised values are the domain means' difference, so its calibrated
    # variance is that of the two domain estimates' difference computed from residuals by hand
    w, y = weights.to_numpy(), data.api00.to_numpy(dtype=float)
    yes = (data["sch.wide"] == "Yes").to_numpy()
    z = np.where(
        yes,
        (y - y[yes] @ w[yes] / w[yes].sum()) / w[yes].sum(),
        -(y - y[~yes] @ w[~yes] / w[~yes].sum()) / w[~yes].sum(),
    )
    e = w * weighting.calibration_residuals(calibration, z)
    totals = pd.Series(e).groupby(data.dnum.to_numpy()).sum().to_numpy()
    variance = (1 - 15 / 757) * 15 / 14 * ((totals - totals.mean()) ** 2).sum()
    row = allowed.set_index("sch.wide").loc["Yes"]
    assert row.se == pytest.approx(math.sqrt(variance))


# ---------------------------------------------------------------------------- intervals
@pytest.mark.parametrize("case", [row for _, row in CIPROP.iterrows()], ids=list(CIPROP.case))
def test_proportion_intervals_match_svyciprop(case, apiclus1):
    data = apiclus1.assign(ell0=(apiclus1.ell == 0).astype(float))
    row = estimate(
        data, "ell0", statistic="proportion", weight="pw", ci_method=case.method, **CLUSTER
    ).iloc[0]
    assert (round(row.estimate, 6), round(row.se, 6), row.df) == (case.estimate, case.se, case.df)
    assert (round(row.ci_low, 6), round(row.ci_high, 6)) == (case.ci_low, case.ci_high)
    assert row.ci_method == case.method


def test_wilson_is_svyciprop_wilson_by_hand(apiclus1):
    # R/svyttest.R: n.eff = m(1-m)/var; t = qt(0.975, degf); limits
    # (m + t^2/(2 n.eff) -/+ t/(2 n.eff) sqrt(4 n.eff m (1-m) + t^2)) / (1 + t^2/n.eff)
    data = apiclus1.assign(ell0=(apiclus1.ell == 0).astype(float))
    row = estimate(data, "ell0", statistic="proportion", weight="pw", **CLUSTER).iloc[0]
    m, n_eff, t = (
        row.estimate,
        row.estimate * (1 - row.estimate) / row.se**2,
        stats.t.ppf(0.975, 14),
    )
    root = math.sqrt(4 * n_eff * m * (1 - m) + t * t)
    low, high = (
        (m + t * t / (2 * n_eff) + s * t / (2 * n_eff) * root) / (1 + t * t / n_eff)
        for s in (-1, 1)
    )
    assert (row.ci_low, row.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert row.design_effective_base == pytest.approx(n_eff)


def test_interval_and_se_come_from_the_same_variance(apiclus1):
    data = apiclus1.assign(ell0=(apiclus1.ell == 0).astype(float))
    row = estimate(data, "ell0", statistic="proportion", weight="pw", ci_method="t", **CLUSTER)
    row = row.iloc[0]
    t = stats.t.ppf(0.975, 14)
    assert row.ci_high == pytest.approx(row.estimate + t * row.se)
    assert row.ci_low == 0.0  # clipped at zero, as svyciprop(method="mean") is not


def test_design_degrees_of_freedom_are_psus_minus_strata(apiclus1):
    strat = pd.read_csv(API / "apistrat.csv")
    srs = pd.read_csv(API / "apisrs.csv")
    assert estimate(apiclus1, "api00", weight="pw", **CLUSTER).df.tolist() == [14]
    assert estimate(strat, "api00", weight="pw", strata="stype", fpc="fpc").df.tolist() == [197]
    assert estimate(srs, "api00", weight="pw").df.tolist() == [199]
    # a domain counts only its own PSUs and strata (R's degf of the subset design)
    by = estimate(strat, "api00", weight="pw", strata="stype", by="stype")
    assert by.df.tolist() == [99, 49, 49]


def test_mean_interval_uses_t_on_the_design_df_so_is_about_9_percent_wider(apiclus1):
    row = estimate(apiclus1, "api00", weight="pw", **CLUSTER).iloc[0]
    half = (row.ci_high - row.ci_low) / 2
    assert half == pytest.approx(stats.t.ppf(0.975, 14) * row.se)
    assert half / (stats.norm.ppf(0.975) * row.se) == pytest.approx(1.0943, abs=1e-4)
    assert row.ci_method == "t"


# ---------------------------------------------------------------------------- edge cases
def edge_data() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 60
    return pd.DataFrame(
        {
            "psu": np.repeat(np.arange(6), 10),
            "w": rng.uniform(1, 3, n),
            "none": np.zeros(n),
            "all": np.ones(n),
            "group": ["solo"] + ["many"] * (n - 1),
            "mixed": rng.integers(0, 2, n).astype(float),
        }
    )


@pytest.mark.parametrize("method", survey.CI_METHODS)
def test_zero_and_hundred_percent_have_intervals_on_the_kish_base(method):
    data = edge_data()
    kish = data.w.sum() ** 2 / (data.w**2).sum()
    zero = estimate(data, "none", statistic="proportion", weight="w", ci_method=method).iloc[0]
    full = estimate(data, "all", statistic="proportion", weight="w", ci_method=method).iloc[0]
    assert zero.se == 0 and full.se == 0
    assert zero.design_effective_base == pytest.approx(kish)
    if method == "t":
        assert (zero.ci_low, zero.ci_high, full.ci_low, full.ci_high) == (0, 0, 1, 1)
        return
    assert zero.ci_low == pytest.approx(0, abs=1e-12) and 0 < zero.ci_high < 0.1
    assert full.ci_high == pytest.approx(1) and 0.9 < full.ci_low < 1
    assert zero.ci_high == pytest.approx(1 - full.ci_low)
    if method in ("logit", "beta"):
        # logit is undefined at 0 and 1: the Korn-Graubard interval, which is Clopper-Pearson
        # on the Kish base there (df = n - 1, so the t ratio is 1)
        assert zero.ci_method == "beta"
        assert zero.ci_high == pytest.approx(stats.beta.ppf(0.975, 1, kish))


def test_one_respondent_has_no_interval_and_few_clusters_give_wide_ones():
    data = edge_data()
    tiny = estimate(data, "mixed", statistic="proportion", weight="w", by="group")
    solo = tiny.set_index("group").loc["solo"]
    assert solo.base == 1 and solo.df == 0 and np.isnan(solo.ci_low) and np.isnan(solo.ci_high)
    two = data[data.psu < 2]
    few = estimate(two, "mixed", weight="w", cluster="psu").iloc[0]
    assert few.df == 1
    assert (few.ci_high - few.estimate) == pytest.approx(stats.t.ppf(0.975, 1) * few.se)


def test_single_psu_stratum_rule_still_applies():
    data = edge_data().assign(stratum=lambda d: np.where(d.psu == 0, "A", "B"))
    with pytest.raises(AnalysisError, match="only one sampled PSU"):
        estimate(data, "mixed", weight="w", strata="stratum", cluster="psu")
    certain = estimate(
        data, "mixed", weight="w", strata="stratum", cluster="psu", single_psu="certainty"
    )
    assert certain.df.tolist() == [4]  # 6 PSUs - 2 strata


# ---------------------------------------------------------------------------- two stages
def test_second_stage_lonely_unit_fails_unless_told(apiclus2):
    one_school = apiclus2.drop_duplicates("dnum")  # one sampled school per district
    with pytest.raises(AnalysisError, match="only one sampled second-stage unit"):
        estimate(one_school, "api00", cluster=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    stage_one = estimate(one_school, "api00", cluster="dnum", fpc="fpc1", weight="pw")
    certain = estimate(
        one_school,
        "api00",
        cluster=["dnum", "snum"],
        fpc=["fpc1", "fpc2"],
        weight="pw",
        single_psu="certainty",
    )
    assert certain.iloc[0].se == pytest.approx(stage_one.iloc[0].se)


def test_second_stage_term_is_the_sampling_fraction_times_within_psu_variance(apiclus2):
    two = estimate(
        apiclus2, "enroll", statistic="total", cluster=["dnum", "snum"], fpc=["fpc1", "fpc2"]
    )
    one = estimate(apiclus2, "enroll", statistic="total", cluster="dnum", fpc="fpc1", weight="pw")
    # Cochran (1977) eq. 11.24 by hand: sum_j (n/N) (1 - m_j/M_j) m_j/(m_j-1) s2_j-term
    within = 0.0
    data = apiclus2.assign(z=apiclus2.pw * apiclus2.enroll.fillna(0))
    for _, psu in data.groupby("dnum"):
        m, big_m = len(psu), psu.fpc2.iloc[0]
        if m > 1:
            within += (1 - m / big_m) * m / (m - 1) * ((psu.z - psu.z.mean()) ** 2).sum()
    within *= 40 / 757
    assert two.iloc[0].se ** 2 == pytest.approx(one.iloc[0].se ** 2 + within)


def test_more_than_two_stages_and_stage_mismatches_are_refused(apiclus2):
    with pytest.raises(ParameterError, match="three or more stages are not supported"):
        estimate(apiclus2, "api00", cluster=["dnum", "snum", "cds"], weight="pw")
    with pytest.raises(ParameterError, match="give one fpc per stage"):
        estimate(apiclus2, "api00", cluster="dnum", fpc=["fpc1", "fpc2"])


def test_second_stage_without_first_stage_fpc_is_the_ultimate_cluster_and_says_so(apiclus2):
    result = estimate(apiclus2, "api00", cluster=["dnum", "snum"], weight="pw")
    assert "ultimate-cluster" in result.attrs["variance"]


# ---------------------------------------------------------------------------- replicates
def test_bootstrap_replicate_variance_is_the_spread_of_the_replicates():
    rng = np.random.default_rng(11)
    n, r = 80, 50
    data = pd.DataFrame({"y": rng.normal(10, 2, n), "w": rng.uniform(1, 2, n)})
    counts = rng.multinomial(n, np.full(n, 1 / n), size=r).T  # bootstrap resampling counts
    for k in range(r):
        data[f"b{k}"] = data.w * counts[:, k]
    design = survey.replicate_weights([f"b{k}" for k in range(r)], "bootstrap")
    row = estimate(data, "y", weight="w", replicates=design).iloc[0]
    thetas = [np.average(data.y, weights=data[f"b{k}"]) for k in range(r)]
    assert row.se == pytest.approx(np.std(thetas, ddof=1))
    assert row.df == r - 1
    assert (
        "bootstrap with 50 replicate weights"
        in survey.estimate(data, "y", weight="w", replicates=design).attrs["variance"]
    )


def test_unsupported_replicate_designs_are_refused_with_what_to_do(apiclus1):
    with pytest.raises(ParameterError, match="'BRR' is not supported"):
        survey.replicate_weights(["a", "b"], "BRR")
    table, design = survey.jk1_replicate_weights(apiclus1, cluster="dnum", weight="pw")
    data = apiclus1.join(table)
    with pytest.raises(ParameterError, match="do not also give strata, cluster or fpc"):
        estimate(data, "api00", weight="pw", replicates=design, cluster="dnum")
    _, calibration = weighting.post_stratify_weights(apiclus1, SCHOOL_TYPES, "stype", weight="pw")
    with pytest.raises(ParameterError, match="each replicate would have to be re-raked"):
        estimate(data, "api00", weight="pw", replicates=design, calibration=calibration)
    with pytest.raises(ParameterError, match="ci_method must be one of"):
        estimate(apiclus1, "api00", ci_method="score")


def test_calibrated_groups_in_chunks_give_the_same_standard_errors(apiclus1, monkeypatch):
    _, report = weighting.rake_weights(apiclus1, RAKING_MARGINS, weight="pw", tol=1e-10)
    data = apiclus1.assign(raked=report.calibration.weights)
    common = dict(by="cname", weight="raked", calibration=report.calibration, **CLUSTER)
    whole = estimate(data, "api00", **common)
    monkeypatch.setattr(survey, "_DENSE_KEY_LIMIT", 4 * len(data) * 3)  # three groups a chunk
    chunked = estimate(data, "api00", **common)
    assert len(whole) > 3
    assert chunked.se.tolist() == pytest.approx(whole.se.tolist(), rel=1e-12)
