"""Tests for perfeval.stats.survey.

Reference values come from R's ``survey`` package (T. Lumley) run on the California API samples
that the package distributes (copies in tests/data/survey_api/, see SOURCES.md). Each reference
test cites where its figures were published; they are compared at the precision R printed them.
Other tests compare with an independent computation made in the test itself.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from perfeval.core.exceptions import AnalysisError, ParameterError, PerfevalError
from perfeval.stats import disclosure, survey, weighting
from perfeval.stats.disclosure import apply_disclosure_control, format_publication_table
from perfeval.stats.intervals import newcombe_difference
from perfeval.stats.survey import compare_groups_with_rest, compare_waves, estimate

DATA = Path(__file__).parents[1] / "data" / "survey_api"
# R: svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat)
STRATIFIED = dict(weight="pw", strata="stype", fpc="fpc")
# R: svydesign(id=~dnum, weights=~pw, fpc=~fpc, data=apiclus1)
CLUSTER = dict(weight="pw", cluster="dnum", fpc="fpc")

# Sources of the R reference values:
R_API_TESTS = "cran/survey tests/api.Rout.save (commit 014e4dba41e1a0834234ea502335bb4d5383068f)"
R_VIGNETTE = "cran/survey inst/doc/survey.tex, vignette 'A survey analysis example' (same commit)"
LUMLEY_CH2 = (
    "Lumley (2010) Complex Surveys: A Guide to Analysis Using R, ch. 2 (R output as printed)"
)


@pytest.fixture(scope="module")
def apistrat() -> pd.DataFrame:
    return pd.read_csv(DATA / "apistrat.csv")


@pytest.fixture(scope="module")
def apiclus1() -> pd.DataFrame:
    return pd.read_csv(DATA / "apiclus1.csv")


@pytest.fixture(scope="module")
def apisrs() -> pd.DataFrame:
    return pd.read_csv(DATA / "apisrs.csv")


def as_printed(value: float, decimals: int) -> float:
    return round(float(value), decimals)


# ---------------------------------------------------------------------------------------------
# Agreement with R's survey package
# ---------------------------------------------------------------------------------------------


def test_stratified_mean_and_total_match_r(apistrat):
    # R_API_TESTS: svymean(~api00, dstrat) -> 662.29 (SE 9.4089);
    #              svytotal(~enroll, dstrat, na.rm=TRUE) -> 3687178 (SE 114642)
    mean = estimate(apistrat, "api00", **STRATIFIED).iloc[0]
    assert (as_printed(mean.estimate, 2), as_printed(mean.se, 4)) == (662.29, 9.4089)
    total = estimate(apistrat, "enroll", statistic="total", **STRATIFIED).iloc[0]
    assert (as_printed(total.estimate, 0), as_printed(total.se, 0)) == (3687178, 114642)


def test_cluster_mean_and_total_match_r(apiclus1):
    # R_API_TESTS and R_VIGNETTE: svymean(~api00, dclus1) -> 644.17 (SE 23.542);
    #                             svytotal(~enroll, dclus1) -> 3404940 (SE 932235)
    mean = estimate(apiclus1, "api00", **CLUSTER).iloc[0]
    assert (as_printed(mean.estimate, 2), as_printed(mean.se, 3)) == (644.17, 23.542)
    total = estimate(apiclus1, "enroll", statistic="total", **CLUSTER).iloc[0]
    assert (as_printed(total.estimate, 0), as_printed(total.se, 0)) == (3404940, 932235)


@pytest.mark.parametrize(
    "code, expected_total, expected_se",
    [("E", 4873.97, 1333.32), ("H", 473.86, 158.70), ("M", 846.17, 167.55)],
)
def test_cluster_category_totals_match_r(apiclus1, code, expected_total, expected_se):
    # R_VIGNETTE: svytotal(~stype, dclus1): stypeE 4873.97 (1333.32), stypeH 473.86 (158.70),
    # stypeM 846.17 (167.55): the estimated number of schools giving each "answer".
    row = estimate(apiclus1, "stype", statistic="total", positive=[code], **CLUSTER).iloc[0]
    assert (as_printed(row.estimate, 2), as_printed(row.se, 2)) == (expected_total, expected_se)


def test_by_group_results_are_svyby_domain_estimates(apiclus1):
    # R_VIGNETTE: svyby(~ell+meals, ~stype, design=dclus1, svymean)
    expected = {
        ("ell", "E"): (29.69444, 1.411617),
        ("ell", "H"): (15.00000, 5.347065),
        ("ell", "M"): (22.68000, 2.952862),
        ("meals", "E"): (53.09028, 7.070399),
        ("meals", "H"): (37.57143, 5.912262),
        ("meals", "M"): (43.08000, 6.017110),
    }
    table = estimate(apiclus1, ["ell", "meals"], by="stype", **CLUSTER)
    got = {
        (r.variable, r.stype): (as_printed(r.estimate, 5), as_printed(r.se, 6))
        for r in table.itertuples()
    }
    assert got == expected


def test_domain_estimate_differs_from_subsetting_the_design(apiclus1):
    # Subsetting drops the districts with no high school, understating the PSU-level variance;
    # svyby (and estimate) keep them as zeros. The domain SE is R's 5.347065 (test above).
    domain = estimate(apiclus1, "ell", by="stype", **CLUSTER).set_index("stype").loc["H", "se"]
    subset = estimate(
        apiclus1[apiclus1.stype == "H"], "ell", weight="pw", cluster="dnum", fpc="fpc"
    ).loc[0, "se"]
    assert as_printed(domain, 6) == 5.347065
    assert abs(domain - subset) > 0.1


def test_missing_answers_are_excluded_as_a_domain_like_na_rm(apiclus1):
    # R_VIGNETTE: svymean(make.formula(vars), dclus1, na.rm=TRUE) keeps the 157 schools with no
    # missing value in any of vars: api00 643.203822 (SE 25.4936), sch.wideYes 0.872611 (0.0247).
    columns = list(apiclus1.columns[[i - 1 for i in [12, 13, *range(16, 24), *range(27, 38)]]])
    complete = apiclus1[columns].notna().all(axis=1)
    data = apiclus1.assign(
        api00=apiclus1.api00.where(complete), sch_wide=apiclus1["sch.wide"].where(complete)
    )
    mean = estimate(data, "api00", **CLUSTER).iloc[0]
    assert (mean.base, as_printed(mean.estimate, 6), as_printed(mean.se, 4)) == (
        157,
        643.203822,
        25.4936,
    )
    share = estimate(data, "sch_wide", statistic="proportion", positive=["Yes"], **CLUSTER).iloc[0]
    assert (as_printed(share.estimate, 6), as_printed(share.se, 4)) == (0.872611, 0.0247)
    assert share["count"] == int((data.sch_wide == "Yes").sum())


def test_stratified_domains_match_lumley(apistrat):
    # LUMLEY_CH2: subset(strat_design, emer>20) and subset(strat_design, emer==0):
    # svymean api00 558.52 (21.708) and 749.09 (17.516); svytotal enroll 762132 (128674) and
    # 461690 (75813). Domain estimation gives the same results as R's subset() for these designs.
    data = apistrat.assign(
        emergency=np.select([apistrat.emer > 20, apistrat.emer == 0], ["high", "none"], "some")
    )
    means = estimate(data, "api00", by="emergency", **STRATIFIED).set_index("emergency")
    totals = estimate(data, "enroll", statistic="total", by="emergency", **STRATIFIED).set_index(
        "emergency"
    )
    printed_means = {
        g: (as_printed(r.estimate, 2), as_printed(r.se, 3)) for g, r in means.iterrows()
    }
    printed_totals = {
        g: (as_printed(r.estimate, 0), as_printed(r.se, 0)) for g, r in totals.iterrows()
    }
    assert printed_means["high"] == (558.52, 21.708) and printed_means["none"] == (749.09, 17.516)
    assert printed_totals["high"] == (762132, 128674) and printed_totals["none"] == (461690, 75813)


def test_stratum_totals_are_exact_under_the_fpc(apistrat):
    # LUMLEY_CH2: svytotal(~stype, strat_design) gives 4421, 755, 1018 with SE 0.
    for code, size in {"E": 4421, "H": 755, "M": 1018}.items():
        row = estimate(apistrat, "stype", statistic="total", positive=[code], **STRATIFIED).iloc[0]
        assert as_printed(row.estimate, 2) == size and row.se == 0


def test_simple_random_sample_matches_r_and_the_textbook_formula(apisrs):
    # LUMLEY_CH2: svydesign(id=~1, fpc=~fpc, data=apisrs): svytotal(~enroll) 3621074 (SE 169520),
    # svymean(~enroll) 584.61 (27.368); without fpc (weights=~pw) the total's SE is 172325.
    total = estimate(apisrs, "enroll", statistic="total", fpc="fpc").iloc[0]
    mean = estimate(apisrs, "enroll", fpc="fpc").iloc[0]
    assert (as_printed(total.estimate, 0), as_printed(total.se, 0)) == (3621074, 169520)
    assert (as_printed(mean.estimate, 2), as_printed(mean.se, 3)) == (584.61, 27.368)
    no_fpc = estimate(apisrs, "enroll", statistic="total", weight="pw").iloc[0]
    assert as_printed(no_fpc.se, 0) == 172325
    # Textbook SRS (Cochran 1977, eq. 2.20): var(N ybar) = N^2 (1 - n/N) s^2 / n
    y, big_n = apisrs.enroll.to_numpy(float), 6194
    n = len(y)
    assert total.se == pytest.approx(
        math.sqrt(big_n**2 * (1 - n / big_n) * y.var(ddof=1) / n), rel=1e-12
    )


def test_unweighted_mean_se_is_s_over_root_n():
    scores = [3.0, 5.0, 4.0, 8.0, 1.0, 6.0]
    row = estimate(pd.DataFrame({"score": scores}), "score").iloc[0]
    assert row.estimate == pytest.approx(np.mean(scores))
    assert row.se == pytest.approx(np.std(scores, ddof=1) / math.sqrt(6), rel=1e-12)
    assert (row.base, row.effective_base) == (6, 6)


def test_missing_answer_keeps_the_full_sample_size_like_r_na_rm():
    # R's svymean(..., na.rm=TRUE) subsets the design but keeps the number of sampled units of
    # the full design (fpc$sampsize), so with n = 7 rows and m = 6 answers:
    # var = n/(n-1) * sum_i ((y_i - ybar) / m)^2.
    scores = np.array([3.0, 5.0, 4.0, 8.0, 1.0, 6.0])
    row = estimate(pd.DataFrame({"score": [*scores, np.nan]}), "score").iloc[0]
    expected = math.sqrt(7 / 6 * np.sum(((scores - scores.mean()) / 6) ** 2))
    assert row.base == 6 and row.se == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Confidence intervals, bases and groups
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", [0.95, 0.9])
def test_wilson_interval_is_svyciprop_wilson_on_the_design_effective_base(level):
    # R survey's svyciprop(method="wilson") (R/svyttest.R): Wilson on n* = p(1-p)/var with the
    # t quantile on the design df; for weights only, var is the domain variance
    # n/(n-1) sum z^2 over all n respondents, z = w (y - p) / sum w in the domain, 0 outside,
    # and df = the domain's respondents - 1 (R's degf of the subset design).
    rng = np.random.default_rng(7)
    data = pd.DataFrame(
        {
            "answer": rng.integers(1, 6, 400).astype(float),
            "wt": rng.gamma(3.0, 0.4, 400),
            "area": rng.choice(["North", "South"], 400),
        }
    )
    data.loc[rng.choice(400, 25, replace=False), "answer"] = np.nan
    table = estimate(
        data, "answer", statistic="proportion", positive=[4, 5], weight="wt", by="area", level=level
    )
    for row in table.itertuples():
        member = ((data.area == row.area) & data.answer.notna()).to_numpy()
        w = data.wt.to_numpy()
        y = data.answer.isin([4, 5]).to_numpy(dtype=float)
        share = w[member] @ y[member] / w[member].sum()
        z = np.where(member, w * (y - share) / w[member].sum(), 0.0)
        n_star = share * (1 - share) / (400 / 399 * np.sum(z**2))
        t = stats.t.ppf(0.5 + level / 2, member.sum() - 1)
        root = math.sqrt(4 * n_star * share * (1 - share) + t * t)
        low, high = (
            (share + t * t / (2 * n_star) + s * t / (2 * n_star) * root) / (1 + t * t / n_star)
            for s in (-1, 1)
        )
        assert row.ci_method == "wilson" and row.df == member.sum() - 1
        assert row.base == member.sum()
        assert (row.effective_base, row.estimate) == (
            pytest.approx(w[member].sum() ** 2 / (w[member] ** 2).sum()),
            pytest.approx(share),
        )
        assert row.design_effective_base == pytest.approx(n_star)
        assert row.ci_low == pytest.approx(low, abs=1e-9) and row.ci_high == pytest.approx(
            high, abs=1e-9
        )
        # the statsmodels Wilson interval on the same effective count, with z, is narrower
        z_low, _ = proportion_confint(share * n_star, n_star, alpha=1 - level, method="wilson")
        assert z_low > row.ci_low


def test_design_interval_is_estimate_plus_minus_t_on_the_design_df(apiclus1):
    row = estimate(apiclus1, "api00", level=0.9, **CLUSTER).iloc[0]
    t = stats.t.ppf(0.95, 14)  # 15 PSUs - 1 stratum
    assert (row.ci_low, row.ci_high) == (
        pytest.approx(row.estimate - t * row.se),
        pytest.approx(row.estimate + t * row.se),
    )
    assert row.ci_method == "t" and row.df == 14


def test_two_breakdowns_give_observed_combinations_and_skip_missing_groups():
    data = pd.DataFrame(
        {
            "q": [1, 0, 1, 1, 0, 1, 1],
            "sex": ["F", "F", "M", "M", "M", "F", None],
            "age": ["old", "young", "old", "old", "young", "old", "young"],
        }
    )
    table = estimate(data, "q", statistic="proportion", by=["sex", "age"])
    assert list(table.columns[:2]) == ["sex", "age"]
    assert table[["sex", "age", "base", "count"]].values.tolist() == [
        ["F", "old", 2, 2],
        ["F", "young", 1, 0],
        ["M", "old", 2, 2],
        ["M", "young", 1, 0],
    ]
    assert table.attrs["group_columns"] == ["sex", "age"]


def test_list_of_questions_equals_one_call_per_question(apiclus1):
    together = estimate(apiclus1, ["api00", "api99"], by="stype", **CLUSTER)
    for name in ["api00", "api99"]:
        alone = estimate(apiclus1, name, by="stype", **CLUSTER)
        pd.testing.assert_frame_equal(
            together[together.variable == name].drop(columns="variable").reset_index(drop=True),
            alone,
            check_dtype=False,
        )


def test_effective_base_is_kish():
    data = pd.DataFrame({"q": [1.0, 2.0, 3.0, np.nan], "w": [1.0, 2.0, 3.0, 10.0]})
    row = estimate(data, "q", weight="w").iloc[0]
    assert (row.base, row.weighted_base) == (3, 6.0)
    assert row.effective_base == pytest.approx(36 / 14)


# ---------------------------------------------------------------------------------------------
# Strata with one PSU
# ---------------------------------------------------------------------------------------------


def lonely_design() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stratum": ["A", "A", "A", "B", "B"],
            "psu": [1, 1, 2, 3, 3],
            "y": [2.0, 4.0, 7.0, 5.0, 1.0],
        }
    )


def test_single_psu_stratum_fails_by_default_like_r():
    with pytest.raises(AnalysisError, match=r"only one sampled PSU \('B'\).*single_psu='adjust'"):
        estimate(lonely_design(), "y", statistic="total", strata="stratum", cluster="psu")


def test_single_psu_adjust_and_certainty_by_hand():
    # PSU totals of y: A -> 6, 7; B -> 6. Stratum A: 2/1 * ((6-6.5)^2 + (7-6.5)^2) = 1.
    # R's "adjust" leaves B's only PSU uncentred (centred at zero): 6^2 = 36; "certainty": 0.
    data = lonely_design()
    adjusted = estimate(
        data, "y", statistic="total", strata="stratum", cluster="psu", single_psu="adjust"
    ).iloc[0]
    certain = estimate(
        data, "y", statistic="total", strata="stratum", cluster="psu", single_psu="certainty"
    ).iloc[0]
    assert adjusted.estimate == 19
    assert adjusted.se == pytest.approx(math.sqrt(1 + 36), rel=1e-12)
    assert certain.se == pytest.approx(1.0, rel=1e-12)


def test_single_psu_adjust_for_a_mean_centres_at_the_overall_mean():
    # Mean 19/5 = 3.8; linearised PSU totals z = sum (y - 3.8) / 5: A -> (6-7.6)/5, (7-3.8)/5;
    # B -> (6-7.6)/5. They sum to zero, so centring B at zero is centring at the overall mean.
    data = lonely_design()
    row = estimate(data, "y", strata="stratum", cluster="psu", single_psu="adjust").iloc[0]
    a1, a2, b = -1.6 / 5, 3.2 / 5, -1.6 / 5
    expected = 2 * ((a1 - (a1 + a2) / 2) ** 2 + (a2 - (a1 + a2) / 2) ** 2) + b**2
    assert row.estimate == pytest.approx(3.8)
    assert row.se == pytest.approx(math.sqrt(expected), rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def test_missing_or_non_positive_weights_are_refused_with_counts():
    data = pd.DataFrame({"q": [1.0, 2.0, 3.0, 4.0, 5.0], "wt": [1.0, np.nan, 0.0, -2.0, 1.5]})
    with pytest.raises(AnalysisError, match=r"'wt'.*1 missing and 2 zero, negative or infinite"):
        estimate(data, "q", weight="wt")


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(variable="nope"), AnalysisError, r"variable\[0\]='nope'"),
        (dict(variable="q", weight="missing_w"), AnalysisError, r"weight='missing_w'"),
        (dict(variable="q", statistic="median"), ParameterError, "statistic must be one of"),
        (dict(variable="q", positive=[1]), ParameterError, "statistic='proportion'"),
        (dict(variable="q", statistic="proportion"), AnalysisError, "0/1 or True/False"),
        (
            dict(variable="q", statistic="proportion", positive=["1"]),
            ParameterError,
            "different types",
        ),
        (dict(variable="q", level=95), ParameterError, "level must be"),
        (dict(variable="q", by=["a", "b", "c"]), ParameterError, "up to two"),
        (dict(variable="label"), AnalysisError, "must be numeric"),
    ],
)
def test_bad_arguments_are_explained(kwargs, error, message):
    data = pd.DataFrame(
        {
            "q": [1.0, 2.0, 3.0],
            "label": ["x", "y", "z"],
            "a": [1, 1, 2],
            "b": [1, 2, 2],
            "c": [0, 0, 0],
        }
    )
    with pytest.raises(error, match=message):
        estimate(data, **kwargs)


def test_fpc_must_be_constant_within_strata(apistrat):
    data = apistrat.copy()
    data.loc[0, "fpc"] = 10_000
    with pytest.raises(AnalysisError, match="constant within each stratum"):
        estimate(data, "api00", **STRATIFIED)


# ---------------------------------------------------------------------------------------------
# Comparisons
# ---------------------------------------------------------------------------------------------


def holm_by_hand(p: list[float]) -> list[float]:
    order = np.argsort(p)
    adjusted, running = np.empty(len(p)), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


def test_compare_waves_is_a_z_test_on_independent_estimates():
    earlier = pd.DataFrame(
        {
            "area": ["East", "North", "West"],
            "estimate": [0.50, 0.40, 0.60],
            "se": [0.020, 0.030, 0.025],
            "base": [600, 400, 500],
        }
    )
    later = pd.DataFrame(
        {
            "area": ["East", "North", "West"],
            "estimate": [0.60, 0.32, 0.61],
            "se": [0.020, 0.030, 0.025],
            "base": [610, 380, 520],
        }
    )
    result = compare_waves(earlier, later, on="area").set_index("area")
    se = math.hypot(0.02, 0.02)
    p_raw = [
        2 * stats.norm.sf(abs(d) / s)
        for d, s in [(0.10, se), (-0.08, math.hypot(0.03, 0.03)), (0.01, math.hypot(0.025, 0.025))]
    ]
    assert result.loc["East", "difference"] == pytest.approx(0.10)
    assert result.loc["East", "se"] == pytest.approx(se)
    # Holm: East has the smallest of 3 p-values, so its interval is at 1 - 0.05/3; North (rank
    # 2) is not significant, so it and West share the rank-2 level 1 - 0.05/2.
    assert result["ci_level"].tolist() == pytest.approx([1 - 0.05 / 3, 1 - 0.05 / 2, 1 - 0.05 / 2])
    assert result.loc["East", "ci_low"] == pytest.approx(0.10 - stats.norm.ppf(1 - 0.05 / 6) * se)
    assert result["p_value"].tolist() == pytest.approx(p_raw)
    assert result["p_adjusted"].tolist() == pytest.approx(holm_by_hand(p_raw))
    # North: p = 0.059 alone, so not significant; East: p = 0.0004, still < 0.05 after Holm.
    assert result["finding"].tolist() == [
        "significant increase",
        "no significant change",
        "no significant change",
    ]
    unadjusted = compare_waves(earlier, later, on="area", adjust=None)
    assert unadjusted["p_adjusted"].tolist() == pytest.approx(p_raw)
    assert unadjusted["ci_low"].iloc[0] == pytest.approx(0.10 - stats.norm.ppf(0.975) * se)
    assert (result["ci_method"] == "normal").all()


def test_compare_waves_flags_decrease_and_groups_missing_in_a_wave():
    earlier = pd.DataFrame(
        {"g": ["a", "b"], "estimate": [0.7, 0.5], "se": [0.01, 0.01], "base": [900, 800]}
    )
    later = pd.DataFrame(
        {"g": ["a", "c"], "estimate": [0.6, 0.5], "se": [0.01, 0.01], "base": [900, 800]}
    )
    result = compare_waves(earlier, later, on="g", adjust=None).set_index("g")
    assert result.loc["a", "finding"] == "significant decrease"
    assert (
        result.loc["b", "finding"] == result.loc["c", "finding"] == "not tested: not in both waves"
    )


def test_compare_waves_on_estimate_output(apistrat, apisrs):
    # Two independent samples of the same population: no significant change expected.
    earlier = estimate(apisrs, "api00", fpc="fpc")
    later = estimate(apistrat, "api00", **STRATIFIED)
    row = compare_waves(earlier, later).iloc[0]
    difference = later.estimate[0] - earlier.estimate[0]
    z = difference / math.hypot(later.se[0], earlier.se[0])
    assert row.difference == pytest.approx(difference)
    assert row.p_value == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert row.finding == "no significant change"


def _shares(counts: list[int], bases: list[int]) -> pd.DataFrame:
    """A hand-made unweighted table of proportions, as estimate() would give it."""
    table = pd.DataFrame(
        {
            "q": [f"q{i}" for i in range(len(counts))],
            "estimate": np.divide(counts, bases),
            "se": 0.0,
            "base": bases,
        }
    )
    table.attrs.update(statistic="proportion", group_columns=[], table_columns=["q"])
    return table


def test_compare_waves_of_proportions_uses_newcombe_in_the_issue_cases():
    # Issue #15: Wald gave 0.114 to 1.029 for 6/7 against 2/7, [1, 1] with p = 0 for 10/10
    # against 0/20, and "significant increase" for 5/56 against 0/29.
    later, earlier = _shares([6, 10, 5], [7, 10, 56]), _shares([2, 0, 0], [7, 20, 29])
    result = compare_waves(earlier, later, adjust=None).set_index("q")
    # Newcombe (1998, Stat Med 17:873) Table II, method 10: 5/56 - 0/29 is -0.0381 to +0.1926.
    assert result.loc["q2", ["ci_low", "ci_high"]].tolist() == pytest.approx(
        [-0.0381, 0.1926], abs=5e-5
    )
    assert result.loc["q2", "finding"] == "no significant change"
    assert result.loc["q2", "p_value"] > 0.05
    # 6/7 - 2/7 stays within [-1, 1]; 10/10 - 0/20 keeps a width and is still significant.
    assert -1 <= result.loc["q0", "ci_low"] < result.loc["q0", "ci_high"] <= 1
    assert result.loc["q1", "ci_high"] - result.loc["q1", "ci_low"] > 0.3
    assert result.loc["q1", "finding"] == "significant increase" and result.loc["q1", "p_value"] > 0
    assert (result["ci_method"] == "newcombe").all() and (result["ci_level"] == 0.95).all()


def test_compare_waves_significance_always_matches_the_interval_and_its_p_value():
    later, earlier = (
        _shares([6, 10, 5, 30, 50], [7, 10, 56, 60, 100]),
        _shares([2, 0, 0, 20, 49], [7, 20, 29, 60, 100]),
    )
    for adjust in ("holm", None):
        result = compare_waves(earlier, later, adjust=adjust)
        excludes_zero = (result["ci_low"] > 0) | (result["ci_high"] < 0)
        assert result["significant"].tolist() == excludes_zero.tolist()
        assert result["significant"].tolist() == (result["p_adjusted"] < 0.05).tolist()
    # The p-value is the level at which Newcombe's interval reaches zero.
    p = compare_waves(earlier, later, adjust=None).loc[0, "p_value"]
    assert newcombe_difference(6, 7, 2, 7, level=1 - p).low == pytest.approx(0, abs=1e-7)


def test_holm_adjusted_interval_levels_follow_the_step_down_rule():
    # 10/10 vs 0/20 (p ~ 5e-9) and 6/7 vs 2/7 (p ~ 0.027): Holm tests the first at 0.05/2 and
    # the second at 0.05, so both are significant, with 97.5% and 95% intervals.
    result = compare_waves(_shares([2, 0], [7, 20]), _shares([6, 10], [7, 10]))
    assert result["ci_level"].tolist() == pytest.approx([0.95, 0.975])
    assert result["significant"].tolist() == [True, True]
    # Add 5/56 vs 0/29 (p ~ 0.12): now 6/7 vs 2/7 is tested at 0.05/2 and fails, so it and
    # 5/56 share the 97.5% level and neither is significant.
    result = compare_waves(_shares([2, 0, 0], [7, 20, 29]), _shares([6, 10, 5], [7, 10, 56]))
    assert result["ci_level"].tolist() == pytest.approx([0.975, 1 - 0.05 / 3, 0.975])
    assert result["significant"].tolist() == [False, True, False]


def test_compare_waves_of_weighted_proportions_uses_effective_bases():
    # A weighted wave with effective base 40 of 100 respondents behaves like 40 respondents.
    earlier, later = _shares([30], [100]), _shares([45], [100])
    earlier["effective_base"], later["effective_base"] = 40.0, 40.0
    row = compare_waves(earlier, later, adjust=None).iloc[0]
    expected = newcombe_difference(0.45 * 40, 40, 0.30 * 40, 40)
    assert [row.ci_low, row.ci_high] == pytest.approx([expected.low, expected.high])
    assert row.finding == "no significant change"  # on 100 respondents it would be
    assert compare_waves(_shares([30], [100]), _shares([45], [100])).iloc[0].significant


def test_estimate_records_the_statistic_so_waves_of_shares_use_newcombe():
    data = pd.DataFrame({"q": [1, 0, 1, 1, 0, 1, 0, 1], "w": [1, 2, 1, 1, 2, 1, 1, 1]})
    table = estimate(data, "q", statistic="proportion", weight="w")
    assert table.attrs["statistic"] == "proportion"
    assert compare_waves(table, table).iloc[0].ci_method == "newcombe"
    assert estimate(data, "q", weight="w").attrs["statistic"] == "mean"


def test_compare_waves_leaves_a_missing_share_untested():
    earlier, later = _shares([3, 4], [10, 10]), _shares([5, 6], [10, 10])
    later.loc[1, "estimate"] = np.nan  # e.g. a figure withheld
    result = compare_waves(earlier, later)
    assert result.loc[1, "finding"] == "not tested: not in both waves"
    assert np.isnan(result.loc[1, "p_value"]) and result.loc[0, "ci_level"] == 0.95


def test_compare_waves_rejects_an_unknown_statistic():
    with pytest.raises(ParameterError, match="statistic"):
        compare_waves(_shares([1], [2]), _shares([1], [2]), statistic="share")


def test_group_versus_rest_for_proportions_uses_newcombe_on_effective_bases():
    # 10/10 in A against 0/20 in B: Wald would give a zero-width interval at 1.
    data = pd.DataFrame({"q": [1] * 10 + [0] * 20, "area": ["A"] * 10 + ["B"] * 20})
    result = compare_groups_with_rest(
        data, "q", "area", statistic="proportion", adjust=None
    ).set_index("area")
    assert result.loc["A", ["ci_low", "ci_high"]].tolist() == pytest.approx([0.6791, 1.0], abs=5e-5)
    assert result.loc["A", "finding"] == "significantly higher"
    assert result.loc["B", "finding"] == "significantly lower"
    assert result.loc["A", "effective_base"] == 10 and result.loc["A", "effective_base_rest"] == 20


def test_group_versus_rest_in_srs_equals_independent_difference():
    # Without clusters, group and rest share no PSU, so var(difference) = var(group) + var(rest).
    rng = np.random.default_rng(3)
    data = pd.DataFrame(
        {
            "satisfied": rng.integers(0, 2, 300),
            "ward": rng.choice(["Abbey", "Bridge", "Castle"], 300),
            "w": rng.uniform(0.5, 2.0, 300),
        }
    )
    result = compare_groups_with_rest(data, "satisfied", "ward", weight="w").set_index("ward")
    shares = compare_groups_with_rest(
        data, "satisfied", "ward", statistic="proportion", weight="w", adjust=None
    ).set_index("ward")
    p_raw = []
    for ward in ["Abbey", "Bridge", "Castle"]:
        split = estimate(
            data.assign(is_ward=np.where(data.ward == ward, "in", "out")),
            "satisfied",
            statistic="proportion",
            weight="w",
            by="is_ward",
        ).set_index("is_ward")
        difference = split.loc["in", "estimate"] - split.loc["out", "estimate"]
        se = math.hypot(split.loc["in", "se"], split.loc["out", "se"])
        assert result.loc[ward, "difference"] == pytest.approx(difference)
        assert result.loc[ward, "se"] == pytest.approx(se, rel=1e-10)
        p_raw.append(2 * stats.t.sf(abs(difference / se), 299))  # t on 300 PSUs - 1 stratum
        # As shares: Newcombe's interval on each side's effective base, as estimate() gives it.
        n_in, n_out = split.loc["in", "effective_base"], split.loc["out", "effective_base"]
        newcombe = newcombe_difference(
            split.loc["in", "estimate"] * n_in, n_in, split.loc["out", "estimate"] * n_out, n_out
        )
        assert shares.loc[ward, ["ci_low", "ci_high"]].tolist() == pytest.approx(
            [newcombe.low, newcombe.high]
        )
        assert shares.loc[ward, "se"] == pytest.approx(se, rel=1e-10)
    assert result["p_value"].tolist() == pytest.approx(p_raw)
    assert result["p_adjusted"].tolist() == pytest.approx(holm_by_hand(p_raw))


def test_group_versus_rest_in_cluster_design_uses_linearised_difference(apiclus1):
    result = compare_groups_with_rest(apiclus1, "api00", "stype", **CLUSTER).set_index("stype")
    w, y = apiclus1.pw.to_numpy(), apiclus1.api00.to_numpy(float)
    for school_type in ["E", "H", "M"]:
        mine = (apiclus1.stype == school_type).to_numpy()
        mean_mine = np.average(y[mine], weights=w[mine])
        mean_rest = np.average(y[~mine], weights=w[~mine])
        z = np.where(
            mine, w * (y - mean_mine) / w[mine].sum(), -w * (y - mean_rest) / w[~mine].sum()
        )
        psu_totals = pd.Series(z).groupby(apiclus1.dnum.to_numpy()).sum()
        n, population = len(psu_totals), 757
        variance = (
            (1 - n / population) * n / (n - 1) * ((psu_totals - psu_totals.mean()) ** 2).sum()
        )
        assert result.loc[school_type, "difference"] == pytest.approx(mean_mine - mean_rest)
        assert result.loc[school_type, "se"] == pytest.approx(math.sqrt(variance), rel=1e-10)
    assert set(result.finding) <= {
        "significantly higher",
        "significantly lower",
        "no significant difference",
    }


def test_group_versus_rest_flags_a_clear_difference():
    data = pd.DataFrame(
        {
            "q": [1] * 90 + [0] * 10 + [1] * 40 + [0] * 60 + [1] * 45 + [0] * 55,
            "area": ["A"] * 100 + ["B"] * 100 + ["C"] * 100,
        }
    )
    result = compare_groups_with_rest(data, "q", "area", statistic="proportion").set_index("area")
    assert result.loc["A", "finding"] == "significantly higher"
    assert result.loc["B", "finding"] == "significantly lower"


def test_estimate_output_flows_into_disclosure_and_display(apiclus1):
    table = estimate(
        apiclus1, "sch.wide", statistic="proportion", positive=["Yes"], by="cname", **CLUSTER
    )
    controlled = apply_disclosure_control(table, min_base=20, min_cell=10)
    display = format_publication_table(controlled)
    assert list(display.columns) == ["cname", "result", "confidence_interval"]
    for row, shown in zip(controlled.itertuples(), display.itertuples()):
        if row.symbol == "[c]":
            assert shown.result == "[c]" and shown.confidence_interval == "[c]"
        elif row.symbol == "":
            assert shown.result.endswith(f"(base {int(row.base):,})") and "%" in shown.result


def test_all_errors_are_perfeval_errors():
    assert issubclass(AnalysisError, PerfevalError) and issubclass(ParameterError, PerfevalError)


def test_many_psu_fallback_gives_the_same_standard_errors(apiclus1, monkeypatch):
    dense = estimate(apiclus1, ["api00", "ell"], by="stype", **CLUSTER)
    dense_rest = compare_groups_with_rest(apiclus1, "api00", "stype", **CLUSTER)
    monkeypatch.setattr(survey, "_DENSE_KEY_LIMIT", 1)  # force the sparse (group, PSU) path
    sparse = estimate(apiclus1, ["api00", "ell"], by="stype", **CLUSTER)
    sparse_rest = compare_groups_with_rest(apiclus1, "api00", "stype", **CLUSTER)
    assert sparse.se.tolist() == pytest.approx(dense.se.tolist(), rel=1e-12)
    assert sparse_rest.se.tolist() == pytest.approx(dense_rest.se.tolist(), rel=1e-12)


def test_questions_in_one_table_are_protected_separately_and_compared_by_default():
    # q2 is answered by only 5 people in ward C, so q2's C is [c] and, to protect it, q2's next
    # smallest ward too; q1 (answered by everyone) is untouched.
    ward = np.repeat(["A", "B", "C"], [200, 150, 60])
    q1 = np.tile([1.0, 0.0], 205)
    q2 = np.where((ward == "C") & (np.arange(410) % 12 != 0), np.nan, q1)
    data = pd.DataFrame({"ward": ward, "q1": q1, "q2": q2})
    table = estimate(data, ["q1", "q2"], statistic="proportion", by="ward")
    controlled = apply_disclosure_control(table)
    symbols = controlled.set_index(["variable", "ward"])["symbol"]
    assert table.set_index(["variable", "ward"]).loc[("q2", "C"), "base"] == 5
    assert symbols.to_dict() == {
        ("q1", "A"): "",
        ("q1", "B"): "",
        ("q1", "C"): "",
        ("q2", "A"): "",
        ("q2", "B"): "[c]",
        ("q2", "C"): "[c]",
    }
    assert list(format_publication_table(controlled).columns[:2]) == ["variable", "ward"]
    changes = compare_waves(table, table)
    assert list(changes.columns[:2]) == ["variable", "ward"] and len(changes) == 6
    assert (changes.difference == 0).all()


def test_moved_names_are_still_importable_from_survey_until_0_3():
    # weighting and disclosure control moved out of survey (#16); old imports keep working
    moved = [n for m in (weighting, disclosure) for n in m.__all__ if n in survey.__all__]
    assert {"rake_weights", "apply_disclosure_control", "RakingReport"} <= set(moved)
    for name in moved:  # names added to weighting/disclosure since (e.g. NON_SUBSTANTIVE) are new
        module = weighting if name in weighting.__all__ else disclosure
        assert getattr(survey, name) is getattr(module, name), name
