"""Tests for perfeval.stats.evaluation: hand-worked cases and independent computations."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402
from statsmodels.stats.contingency_tables import mcnemar  # noqa: E402

from perfeval.core.exceptions import AnalysisError, ParameterError  # noqa: E402
from perfeval.present import charts
from perfeval.stats import evaluation as ev  # noqa: E402

# ---- 1. funding ------------------------------------------------------------------------------

STRANDS = [
    {
        "strand": "Communications",
        "allocation": 60_000,
        "spend": 57_000,
        "participants": 0,
        "sessions": 3,
    },
    {
        "strand": "Performance Management",
        "allocation": 108_000,
        "spend": 110_000,
        "participants": 40,
        "sessions": 10,
    },
    {
        "strand": "Middle Management Development",
        "allocation": 140_000,
        "spend": 140_000,
        "participants": 70,
        "sessions": 14,
    },
    {
        "strand": "Member Development",
        "allocation": 125_000,
        "spend": 120_000,
        "participants": 96,
        "sessions": 20,
    },
    {
        "strand": "Learning for the future",
        "allocation": 22_000,
        "spend": 20_000,
        "participants": 25,
        "sessions": 0,
    },
    {"strand": "Contingency", "allocation": 50_000, "spend": 10_000},
]


def test_funding_totals_and_shares():
    out = ev.summarise_funding(STRANDS).set_index("strand")
    assert out.loc["Total", "allocation"] == 505_000
    assert out.loc["Total", "spend"] == 457_000
    assert out.loc["Communications", "allocation_share_pct"] == pytest.approx(100 * 60 / 505)
    assert out.loc["Total", "allocation_share_pct"] == pytest.approx(100.0)
    assert out.loc["Performance Management", "spend_minus_allocation"] == 2_000  # overspent
    assert out.loc["Member Development", "spend_pct_of_allocation"] == pytest.approx(96.0)
    assert out.loc["Member Development", "spend_share_pct"] == pytest.approx(100 * 120 / 457)


def test_funding_unit_costs_and_zero_participants():
    out = ev.summarise_funding(STRANDS).set_index("strand")
    assert out.loc["Member Development", "cost_per_participant"] == pytest.approx(1_250.0)
    assert out.loc["Middle Management Development", "cost_per_session"] == pytest.approx(10_000)
    assert math.isnan(out.loc["Communications", "cost_per_participant"])  # 0 participants
    assert out.loc["Communications", "cost_per_session"] == pytest.approx(19_000)
    assert "no participants" in out.loc["Communications", "note"].lower()
    assert math.isnan(out.loc["Learning for the future", "cost_per_session"])  # 0 sessions
    assert math.isnan(out.loc["Contingency", "cost_per_participant"])  # not given
    assert out.loc["Total", "participants"] == 231
    assert out.loc["Total", "cost_per_participant"] == pytest.approx(457_000 / 231)
    assert (out["cost_basis"] == "spend").all()


def test_funding_without_spend_uses_allocation():
    out = ev.summarise_funding(
        pd.DataFrame({"strand": ["A", "B"], "allocation": [1000, 3000], "participants": [10, 0]})
    ).set_index("strand")
    assert (out["cost_basis"] == "allocation").all()
    assert out.loc["A", "cost_per_participant"] == pytest.approx(100.0)
    assert math.isnan(out.loc["B", "cost_per_participant"])
    assert out.loc["A", "allocation_share_pct"] == pytest.approx(25.0)


def test_funding_problems_reported_together():
    bad = [{"strand": "A", "allocation": -5}, {"strand": "A", "allocation": "lots"}]
    with pytest.raises(ParameterError) as err:
        ev.summarise_funding(bad)
    text = str(err.value)
    assert "must not be negative" in text and "must be a number" in text
    assert "more than once" in text


# ---- 2. difference-in-differences ------------------------------------------------------------


def two_by_two() -> pd.DataFrame:
    """Treated T1, T2 go 10->16 and 12->18 (means 11->17, +6); comparison C1, C2 go 10->12 and
    14->16 (means 12->14, +2). The difference-in-differences is 6 - 2 = 4."""
    rows = [
        ("T1", "2017/18", 10),
        ("T1", "2018/19", 16),
        ("T2", "2017/18", 12),
        ("T2", "2018/19", 18),
        ("C1", "2017/18", 10),
        ("C1", "2018/19", 12),
        ("C2", "2017/18", 14),
        ("C2", "2018/19", 16),
    ]
    return pd.DataFrame(rows, columns=["authority", "period", "value"])


def panel(seed: int = 3, effect: float = 2.5, drop: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(10):
        for year in range(2014, 2022):
            value = 40 + 2 * u + 0.7 * (year - 2014) + rng.normal(0, 1.5)
            value += effect if (u < 4 and year >= 2018) else 0.0
            rows.append(
                {
                    "authority": f"E{u:02d}",
                    "indicator": "NI192",
                    "period": f"{year}/{(year + 1) % 100:02d}",
                    "value": value,
                }
            )
    frame = pd.DataFrame(rows)
    return frame.drop(frame.sample(drop, random_state=seed).index) if drop else frame


TREATED = ["E00", "E01", "E02", "E03"]


def test_plot_parallel_trends():
    fig = charts.plot_parallel_trends(
        panel(),
        treated=TREATED,
        start="2018/19",
        title="Recycling rose faster in participating councils",
    )
    ax = fig.axes[0]
    lines = [
        ln
        for ln in ax.get_lines()
        if ln.get_label() in ("Participating councils", "Comparison councils")
    ]
    assert len(lines) == 2
    assert lines[0].get_linestyle() != lines[1].get_linestyle()
    assert lines[0].get_marker() != lines[1].get_marker()
    assert any("Programme starts (2018/19)" in t.get_text() for t in ax.texts)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0] == "2014/15" and ticks[-1] == "2021/22"
    # the treated line is the mean of the treated councils in each period
    first = panel()
    expected = first[first["authority"].isin(TREATED) & (first["period"] == "2014/15")]
    assert lines[0].get_ydata()[0] == pytest.approx(expected["value"].mean())
    plt.close(fig)


# ---- 3. paired surveys -----------------------------------------------------------------------


def test_paired_scale_counts_higher_same_and_lower_answers():
    before = [1, 2, 3, 4, 5, 3, 2, 4]
    after = [2, 3, 3, 5, 5, 4, 4, 5]  # 6 higher, 2 the same, none lower
    r = ev.compare_paired_scale(before, after, question="Confidence")
    assert r.n == 8
    assert (r.details["n_improved"], r.details["n_same"], r.details["n_worsened"]) == (6, 2, 0)
    assert r.estimate == pytest.approx(6 / 8)
    assert r.finding.startswith(
        "Confidence: 6 of 8 participants (75%) gave a higher answer after the programme, "
        "2 (25%) the same and 0 (0%) a lower one"
    )
    assert "a statistically significant rise" in r.finding


def pratt_normal_p(diff: np.ndarray) -> float:
    """Pratt's signed-rank test by hand (Pratt 1959; Conover 1999 s. 5.7): rank |d| with the
    zeros, drop the zeros' ranks, compare T+ with its null mean and variance (ties corrected)."""
    ranks = stats.rankdata(np.abs(diff))
    n, n0 = len(diff), int((diff == 0).sum())
    t_plus = ranks[diff > 0].sum()
    mean = (n * (n + 1) - n0 * (n0 + 1)) / 4
    _, ties = np.unique(ranks[diff != 0], return_counts=True)
    var = (n * (n + 1) * (2 * n + 1) - n0 * (n0 + 1) * (2 * n0 + 1)) / 24
    var -= (ties**3 - ties).sum() / 48
    return float(2 * stats.norm.sf(abs(t_plus - mean) / np.sqrt(var)))


def test_paired_scale_uses_pratts_zeros_and_matches_the_hand_formula():
    rng = np.random.default_rng(7)
    before = rng.integers(1, 6, 40).astype(float)
    after = np.clip(before + rng.integers(-1, 3, 40), 1, 5)
    before[3] = np.nan
    r = ev.compare_paired_scale(pd.Series(before), pd.Series(after))
    keep = ~np.isnan(before)
    diff = after[keep] - before[keep]
    assert r.n == 39 and (diff == 0).sum() > 5
    assert r.p_value == pytest.approx(pratt_normal_p(diff))
    assert r.test == "Wilcoxon signed-rank (Pratt)"


def test_paired_scale_never_reports_a_zero_median_as_a_rise():
    # the review's case: most answers unchanged, more fell than rose, the median change 0
    before = [3] * 30 + [4] * 15 + [2] * 5
    after = [3] * 30 + [3] * 15 + [3] * 5  # 30 same, 15 lower, 5 higher
    r = ev.compare_paired_scale(before, after, question="Understanding")
    assert np.median(np.subtract(after, before)) == 0
    assert "+0" not in r.finding and "median" not in r.finding
    assert "5 of 50 participants (10%) gave a higher answer" in r.finding
    assert "30 (60%) the same and 15 (30%) a lower one" in r.finding
    assert r.p_value < 0.05 and "a statistically significant fall" in r.finding
    assert r.estimate == pytest.approx((5 - 15) / 50)


def test_wilcoxon_no_change_and_length_mismatch():
    r = ev.compare_paired_scale([3, 4], [3, 4])
    assert math.isnan(r.p_value)
    assert r.finding == (
        "score: every one of the 2 participants gave the same answer before and after, so "
        "there is nothing to test."
    )
    with pytest.raises(AnalysisError, match="equal length"):
        ev.compare_paired_scale([1, 2, 3], [1, 2])


def test_mcnemar_exact_by_hand_and_statsmodels():
    # 10 yes->yes, 2 yes->no, 9 no->yes, 4 no->no
    before = ["yes"] * 12 + ["no"] * 13
    after = ["yes"] * 10 + ["no"] * 2 + ["Yes"] * 9 + ["No"] * 4
    r = ev.compare_paired_binary(before, after, question="Feel confident")
    assert r.details == {"yes_yes": 10, "yes_no": 2, "no_yes": 9, "no_no": 4}
    assert r.test == "McNemar (exact)"
    assert r.p_value == pytest.approx(2 * stats.binom.cdf(2, 11, 0.5))
    assert r.p_value == pytest.approx(mcnemar([[10, 2], [9, 4]], exact=True).pvalue)
    assert r.estimate == pytest.approx((9 - 2) / 25)
    assert "the share answering yes rose by 28.0 percentage points" in r.finding


def test_mcnemar_chi_square_for_many_discordant_pairs():
    before = [1] * 30 + [0] * 12 + [1] * 5
    after = [0] * 30 + [1] * 12 + [1] * 5
    r = ev.compare_paired_binary(before, after)
    assert r.test == "McNemar (chi-square)"
    assert r.statistic == pytest.approx((abs(30 - 12) - 1) ** 2 / 42)
    assert r.p_value == pytest.approx(stats.chi2.sf((abs(30 - 12) - 1) ** 2 / 42, 1))
    assert r.estimate < 0


def test_mcnemar_rejects_unknown_answers_and_handles_no_change():
    with pytest.raises(AnalysisError, match="'maybe'"):
        ev.compare_paired_binary(["yes", "maybe"], ["no", "yes"])
    r = ev.compare_paired_binary([True, False], [True, False])
    assert math.isnan(r.p_value) and "none of the 2 participants changed" in r.finding


def test_paired_yes_no_change_has_newcombes_paired_interval():
    # Newcombe (1998, Stat Med 17:2635, Table II, example b): 18 yes->yes, 12 yes->no,
    # 2 no->yes, 18 no->no; before - after is 0.0562 to 0.3290, so after - before is the mirror.
    before = ["yes"] * 30 + ["no"] * 20
    after = ["yes"] * 18 + ["no"] * 12 + ["yes"] * 2 + ["no"] * 18
    r = ev.compare_paired_binary(before, after, question="Feel confident")
    assert r.estimate == pytest.approx(-0.2)
    assert (round(r.ci_lower, 4), round(r.ci_upper, 4)) == (-0.3290, -0.0562)
    assert "95% interval -32.9 to -5.6 points" in r.finding
    assert r.p_value < 0.05 and "a statistically significant fall" in r.finding


def test_paired_interval_keeps_a_width_when_nobody_changed():
    # Newcombe (1998) example c: 53 yes->yes, 1 no->no: -0.0729 to +0.0729 (Wald: 0 to 0).
    r = ev.compare_paired_binary(["yes"] * 53 + ["no"], ["yes"] * 53 + ["no"])
    assert (round(r.ci_lower, 4), round(r.ci_upper, 4)) == (-0.0729, 0.0729)
    assert math.isnan(r.p_value) and "none of the 54 participants changed" in r.finding


def test_paired_interval_level_follows_alpha_and_scales_have_none():
    before, after = ["yes"] * 12 + ["no"] * 13, ["yes"] * 10 + ["no"] * 2 + ["yes"] * 9 + ["no"] * 4
    wide = ev.compare_paired_binary(before, after, alpha=0.01)
    narrow = ev.compare_paired_binary(before, after, alpha=0.05)
    assert wide.ci_lower < narrow.ci_lower < narrow.estimate < narrow.ci_upper < wide.ci_upper
    assert math.isnan(ev.compare_paired_scale([1, 2, 3], [2, 3, 5]).ci_lower)


def test_compare_paired_survey_pairs_by_id():
    before = pd.DataFrame(
        {
            "respondent_id": [1, 2, 3, 4, 5, 6, 9],
            "skill": [1, 2, 2, 3, 1, 2, 5],
            "mentor": ["no"] * 6 + ["yes"],
        }
    )
    after = pd.DataFrame(
        {
            "respondent_id": [6, 5, 4, 3, 2, 1, 7],
            "skill": [4, 3, 4, 3, 4, 3, 1],
            "mentor": ["yes"] * 7,
        }
    )
    out = ev.compare_paired_survey(
        before, after, scale_questions=["skill"], binary_questions=["mentor"]
    ).set_index("question")
    assert out.loc["skill", "n"] == 6  # ids 7 and 9 are unpaired
    ref = stats.wilcoxon([3, 4, 3, 4, 3, 4], [1, 2, 2, 3, 1, 2])  # after, before by id
    assert out.loc["skill", "p_value"] == pytest.approx(ref.pvalue)
    assert out.loc["mentor", "estimate"] == pytest.approx(1.0)
    # All 6 pairs changed no -> yes: the interval keeps a width (Wald would give [1, 1]).
    assert out.loc["mentor", "ci_upper"] == 1.0 and out.loc["mentor", "ci_lower"] < 1.0
    assert math.isnan(out.loc["skill", "ci_lower"])


# ---- 4. evaluation framework -----------------------------------------------------------------

FRAMEWORK = [
    {
        "question": "Did the programme spend within its allocation?",
        "evidence": "spend_pct_of_allocation",
        "label": "Spend as % of allocation",
        "rule": {"op": "<=", "value": 100},
        "decimals": 1,
    },
    {
        "question": "Did recycling improve more in participating councils?",
        "evidence": "did_recycling.estimate",
        "rule": {"op": ">", "value": 0},
        "met": "Yes: {value:.1f} points more than comparison councils.",
        "not_met": "No: {value:.1f} points relative to comparison councils.",
        "judgement_met": "Achieved",
        "judgement_not_met": "Not achieved",
    },
    {
        "question": "Was the change statistically significant?",
        "evidence": "did_recycling.p_value",
        "rule": {"op": "<", "value": 0.05},
    },
    {
        "question": "Did most participants attend?",
        "evidence": "survey.attendance_pct",
        "rule": {"op": "between", "value": [50, 100]},
    },
    {
        "question": "Was the resident survey repeated?",
        "evidence": "resident_change",
        "rule": {"op": ">", "value": 0},
    },
]


def evidence():
    did = ev.estimate_did(two_by_two(), treated=["T1", "T2"], start="2018/19", inference="cluster")
    return {
        "spend_pct_of_allocation": 100.0,
        "did_recycling": did,
        "survey": {"attendance_pct": 49.5},
        "resident_change": float("nan"),
    }


def test_framework_findings_are_computed_from_evidence():
    out = ev.evaluate_framework(FRAMEWORK, evidence())
    assert list(out.columns) == ["question", "evidence", "finding", "judgement", "value"]
    assert out["judgement"].tolist() == [
        "Met",
        "Achieved",
        out["judgement"][2],
        "Not met",
        "Not assessed",
    ]
    assert out["finding"][0] == "Spend as % of allocation is 100.0, which is at most 100.0."
    assert out["finding"][1] == "Yes: 4.0 points more than comparison councils."
    assert out["evidence"][1] == "did_recycling.estimate"
    assert out["finding"][3] == ("survey.attendance_pct is 49.50, which is not between 50 and 100.")
    p = evidence()["did_recycling"].p_value
    assert out["judgement"][2] == ("Met" if p < 0.05 else "Not met")


def test_framework_changes_with_the_data():
    changed = evidence() | {"spend_pct_of_allocation": 100.1}
    out = ev.evaluate_framework(FRAMEWORK[:1], changed)
    assert out["judgement"][0] == "Not met"
    assert "which is not at most" in out["finding"][0]


def test_framework_reports_every_problem():
    bad = [
        {"question": "Q1", "evidence": "nope", "rule": {"op": ">", "value": 1}},
        {"question": "Q2", "evidence": "did_recycling.__class__", "rule": {"op": "~=", "value": 1}},
        {
            "question": "Q3",
            "evidence": "spend_pct_of_allocation",
            "rule": {"op": ">", "value": 1},
            "judgment_met": "typo",
        },
    ]
    with pytest.raises(ParameterError) as err:
        ev.evaluate_framework(bad, evidence())
    text = str(err.value)
    assert "framework item 1: evidence 'nope' not found" in text
    assert "framework item 2: rule must be" in text
    assert "'__class__' is not a field" in text
    assert "framework item 3: unknown key 'judgment_met'" in text


def test_resolve_evidence_follows_dots_and_names_the_missing_part():
    evidence = {"did": {"p_value": 0.03}, "a.b": 1}
    assert ev.resolve_evidence(evidence, "did.p_value") == 0.03
    assert ev.resolve_evidence(evidence, "a.b") == 1
    with pytest.raises(AnalysisError, match="no evidence named 'nope'"):
        ev.resolve_evidence(evidence, "nope.x")
    with pytest.raises(AnalysisError, match="'se' is not a field of 'did'"):
        ev.resolve_evidence(evidence, "did.se")


def test_framework_templates_cannot_reach_attributes():
    item = {
        "question": "Q",
        "evidence": "spend_pct_of_allocation",
        "rule": {"op": ">", "value": 1},
        "met": "{value.__class__}",
    }
    with pytest.raises(ParameterError, match="not allowed"):
        ev.evaluate_framework([item], evidence())


def test_framework_compares_strings_for_equality():
    item = {
        "question": "Is the budget Green?",
        "evidence": "rag",
        "rule": {"op": "==", "value": "Green"},
    }
    assert ev.evaluate_framework([item], {"rag": "Green"})["judgement"][0] == "Met"
    assert ev.evaluate_framework([item], {"rag": "Red"})["judgement"][0] == "Not met"
    greater = dict(item, rule={"op": ">", "value": 3})
    with pytest.raises(ParameterError, match="cannot compare"):
        ev.evaluate_framework([greater], {"rag": "Red"})
