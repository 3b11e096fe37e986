"""Tests for perfeval.stats.weighting: raking to population margins and the Kish design effect.

Hand examples whose raked weights can be checked on paper, and properties of iterative
proportional fitting that hold whatever the data (Deming & Stephan 1940; Bishop, Fienberg &
Holland 1975, ch. 3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.stats.weighting import rake_weights, weighting_design_effect


def test_rake_hand_example_with_independent_margins():
    # 10 respondents in each sex x age cell; margins sex M 0.4 / F 0.6, age young 0.7 / old 0.3.
    # The raked weight of a cell is 40 * p_sex * p_age / 10, e.g. (M, young) = 40*0.4*0.7/10 = 1.12.
    data = pd.DataFrame(
        {"sex": ["M"] * 20 + ["F"] * 20, "age": (["young"] * 10 + ["old"] * 10) * 2}
    )
    margins = pd.DataFrame(
        {
            "variable": ["sex", "sex", "age", "age"],
            "category": ["M", "F", "young", "old"],
            "share": [0.4, 0.6, 0.7, 0.3],
        }
    )
    weights, report = rake_weights(data, margins)
    expected = {("M", "young"): 1.12, ("M", "old"): 0.48, ("F", "young"): 1.68, ("F", "old"): 0.72}
    for (sex, age), value in expected.items():
        assert weights[(data.sex == sex) & (data.age == age)].tolist() == pytest.approx(
            [value] * 10
        )
    assert report.converged and report.iterations <= 2 and report.max_margin_error < 1e-12
    assert weights.sum() == pytest.approx(40)


def test_rake_meets_margins_and_keeps_the_sample_odds_ratio():
    # IPF meets the margins and preserves the cross-product ratio of the starting table
    # (Deming & Stephan 1940; Bishop, Fienberg & Holland 1975, ch. 3).
    cells = {("M", "young"): 30, ("M", "old"): 10, ("F", "young"): 15, ("F", "old"): 45}
    data = pd.DataFrame([{"sex": s, "age": a} for (s, a), k in cells.items() for _ in range(k)])
    margins = pd.DataFrame(
        {
            "variable": ["sex", "sex", "age", "age"],
            "category": ["M", "F", "young", "old"],
            "count": [4800, 5200, 3000, 7000],
        }
    )
    weights, report = rake_weights(data, margins, tol=1e-9)
    table = weights.groupby([data.sex, data.age]).sum()
    assert table.groupby(level="sex").sum().to_dict() == pytest.approx(
        {"M": 4800, "F": 5200}, rel=1e-8
    )
    assert table.groupby(level="age").sum().to_dict() == pytest.approx(
        {"young": 3000, "old": 7000}, rel=1e-8
    )
    odds = table["M", "young"] * table["F", "old"] / (table["M", "old"] * table["F", "young"])
    assert odds == pytest.approx(30 * 45 / (10 * 15))
    assert report.converged and report.iterations > 1
    assert report.design_effect == pytest.approx(weighting_design_effect(weights))
    assert report.margins["error"].abs().max() <= 1e-9


def test_rake_with_trimming_caps_weights_and_still_meets_margins():
    cells = {("M", "young"): 2, ("M", "old"): 30, ("F", "young"): 30, ("F", "old"): 38}
    data = pd.DataFrame([{"sex": s, "age": a} for (s, a), k in cells.items() for _ in range(k)])
    margins = pd.DataFrame(
        {
            "variable": ["sex", "sex", "age", "age"],
            "category": ["M", "F", "young", "old"],
            "share": [0.5, 0.5, 0.5, 0.5],
        }
    )
    untrimmed, _ = rake_weights(data, margins)
    trimmed, report = rake_weights(data, margins, trim=3, max_iter=500)
    assert untrimmed.max() > 3 * untrimmed.mean()
    assert trimmed.max() <= 3 * trimmed.mean() * (1 + 1e-6)
    assert report.trimmed >= 1 and report.converged
    assert trimmed.groupby(data.sex).sum().to_dict() == pytest.approx({"M": 50, "F": 50}, abs=1e-3)
    assert report.design_effect < weighting_design_effect(untrimmed)


def test_rake_nonconvergence_raises_or_warns():
    cells = {("M", "young"): 30, ("M", "old"): 10, ("F", "young"): 15, ("F", "old"): 45}
    data = pd.DataFrame([{"sex": s, "age": a} for (s, a), k in cells.items() for _ in range(k)])
    margins = pd.DataFrame(
        {
            "variable": ["sex", "sex", "age", "age"],
            "category": ["M", "F", "young", "old"],
            "share": [0.48, 0.52, 0.3, 0.7],
        }
    )
    with pytest.raises(AnalysisError, match="DID NOT CONVERGE after 1 iteration"):
        rake_weights(data, margins, max_iter=1)
    with pytest.warns(RuntimeWarning, match="DID NOT CONVERGE"):
        _, report = rake_weights(data, margins, max_iter=1, on_nonconvergence="warn")
    assert not report.converged and report.max_margin_error > 1e-6


def test_rake_reports_every_problem_with_the_margins_at_once():
    data = pd.DataFrame({"sex": ["M", "F", "X", None], "age": ["young", "old", "old", "young"]})
    margins = pd.DataFrame(
        {
            "variable": ["sex", "sex", "age", "age", "age"],
            "category": ["M", "F", "young", "old", "very old"],
            "share": [0.5, 0.5, 0.4, 0.4, 0.2],
        }
    )
    with pytest.raises(AnalysisError) as caught:
        rake_weights(data, margins)
    message = str(caught.value)
    assert "'sex': 1 respondent(s) have no value" in message
    assert "'X'" in message and "no respondents in margin categories ['very old']" in message
    with pytest.raises(ParameterError, match="shares sum to 0.9"):
        rake_weights(data.dropna(), margins.assign(share=[0.5, 0.4, 0.4, 0.4, 0.2]))


def test_weighting_design_effect_is_kish():
    assert weighting_design_effect([2.0, 2.0, 2.0]) == 1.0
    assert weighting_design_effect([1.0, 3.0]) == pytest.approx(2 * 10 / 16)
    w = np.array([0.5, 1.0, 1.5, 4.0])
    assert weighting_design_effect(w) == pytest.approx(1 + w.var() / w.mean() ** 2)
    with pytest.raises(AnalysisError, match="1 missing, infinite or <= 0"):
        weighting_design_effect([1.0, 0.0, 2.0])


def test_rake_checks_the_starting_weights():
    data = pd.DataFrame({"sex": ["M", "F", "F"], "w": [1.0, 0.0, np.nan]})
    margins = pd.DataFrame({"variable": "sex", "category": ["M", "F"], "share": [0.5, 0.5]})
    with pytest.raises(AnalysisError, match="found 1 missing and 1 zero, negative or infinite"):
        rake_weights(data, margins, weight="w")
    with pytest.raises(AnalysisError, match="must be numeric"):
        rake_weights(data.assign(w="1"), margins, weight="w")


def test_post_stratify_hand_example_and_its_calibration():
    # Cells A (weights 1, 1, 2) and B (weight 3); population A 8, B 6: A x 2, B x 2.
    from perfeval.stats.weighting import post_stratify_weights

    data = pd.DataFrame({"cell": ["A", "A", "A", "B"], "w": [1.0, 1.0, 2.0, 3.0]})
    population = pd.DataFrame({"cell": ["A", "B"], "count": [8, 6]})
    weights, calibration = post_stratify_weights(data, population, "cell", weight="w")
    assert weights.tolist() == pytest.approx([2.0, 2.0, 4.0, 6.0])
    assert calibration.method == "post-stratification" and calibration.fixed_total
    assert calibration.model_matrix.tolist() == [[1, 0], [1, 0], [1, 0], [0, 1]]
    assert calibration.design_weights.tolist() == [1.0, 1.0, 2.0, 3.0]
    assert calibration.describe() == "post-stratification on cell"
    crossed = data.assign(sex=["F", "M", "F", "F"])
    table = pd.DataFrame(
        {"cell": ["A", "A", "B"], "sex": ["F", "M", "F"], "share": [0.5, 0.2, 0.3]}
    )
    weights, calibration = post_stratify_weights(crossed, table, ["cell", "sex"], weight="w")
    assert weights.sum() == pytest.approx(7.0) and not calibration.fixed_total
    assert weights[crossed.sex == "M"].sum() == pytest.approx(0.2 * 7)


def test_post_stratify_refuses_missing_cells_and_columns():
    from perfeval.stats.weighting import post_stratify_weights

    data = pd.DataFrame({"cell": ["A", "C"]})
    with pytest.raises(AnalysisError, match="not categories of the margin"):
        post_stratify_weights(data, pd.DataFrame({"cell": ["A", "B"], "count": [1, 2]}), "cell")
    with pytest.raises(ParameterError, match="'count' \\(population counts\\) or 'share'"):
        post_stratify_weights(data, pd.DataFrame({"cell": ["A", "C"]}), "cell")
