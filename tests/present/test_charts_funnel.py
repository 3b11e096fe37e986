"""Tests of the funnel plot (perfeval.present.charts_funnel, #15 item 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from perfeval.core.exceptions import AnalysisError
from perfeval.present import charts_funnel as cf
from perfeval.stats.funnel import assess_units, funnel_limits

# Six councils of 100 people around a benchmark of 50 %: at n = 100 the exact binomial 95%
# limits are about 40 % and 60 % and the 99.8% limits about 35 % and 65 % (binomial(100, 0.5)
# quantiles 40, 60 and 35, 65), so 62 is above the 95% limit only, 70 above both, 37 below the
# 95% limit only, 30 below both, and 50 and 55 within.
COUNTS = {"A": 50, "B": 62, "C": 70, "D": 37, "E": 30, "F": 55}


def units() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "authority": list(COUNTS),
            "name": [f"Council {c}" for c in COUNTS],
            "numerator": list(COUNTS.values()),
            "denominator": [100] * 6,
        }
    )
    return assess_units(frame, 0.5, polarity="higher")


def limits() -> pd.DataFrame:
    return funnel_limits(np.arange(20, 400, 5), 0.5)


def test_point_classes_and_counts_outside_each_limit():
    assert cf.point_classes(units()).tolist() == [
        "within",
        "above_95",
        "above_998",
        "below_95",
        "below_998",
        "within",
    ]
    assert cf.limits_outside(units()) == {
        "above_95": 2,
        "below_95": 2,
        "above_998": 1,
        "below_998": 1,
        "assessed": 6,
    }


def test_alt_text_counts_councils_outside_each_limit_and_names_the_home_council():
    alt = cf.funnel_alt_text(
        units(),
        what="Residents satisfied, 2024/25",
        benchmark="all councils: 50.0%",
        home_name="Council B",
        home_value="62.0%",
        home_comparison="Better",
    )
    assert alt == (
        "Funnel plot of Residents satisfied, 2024/25: 6 councils against their denominators, "
        "with 95% and 99.8% control limits around the benchmark (all councils: 50.0%). "
        "4 councils lie outside the 95% limits (2 above, 2 below) and 2 outside the 99.8% "
        "limits (1 above, 1 below). Council B (62.0%) is the starred point, significantly "
        "better than the benchmark."
    )
    within = units().iloc[[0, 5]]
    assert "No council lies outside the 95% limits (0 above, 0 below)" in cf.funnel_alt_text(
        within, what="x", benchmark="y"
    )
    one = units().iloc[[0, 1]]
    assert "1 council lies outside the 95% limits (1 above, 0 below)" in cf.funnel_alt_text(
        one, what="x", benchmark="y"
    )


def test_verdicts_read_as_phrases():
    assert cf.verdict("Worse") == "significantly worse than the benchmark"
    assert cf.verdict("Similar") == "similar to the benchmark"
    assert cf.verdict("Not compared") == "not compared with the benchmark"


def test_funnel_chart_draws_limits_points_by_position_and_the_home_council():
    fig = cf.funnel_chart(
        units(),
        limits(),
        title="Residents satisfied, 2024/25",
        unit="%",
        home="B",
        value_label="Residents satisfied",
        scale=100,
        benchmark_label="England",
    )
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert labels == [
        "England 50.0%",
        "95% limits",
        "99.8% limits",
        "Within the 95% limits",
        "Below the 95% limit",
        "Above the 99.8% limit",
        "Below the 99.8% limit",
        "Council B (home council)",
    ]  # B is the only council above the 95% limit alone, drawn as the home star
    assert ax.get_ylabel() == "Residents satisfied (%)"
    assert [t.get_text() for t in ax.texts] == ["Council B"]
    assert ax.get_xscale() == "linear"  # all denominators are 100
    line_styles = {line.get_label(): line.get_linestyle() for line in ax.get_lines()}
    assert line_styles["95% limits"] == "--" and line_styles["99.8% limits"] == "-"
    # the upper 99.8% limit at n = 100 is drawn on the percentage scale, near 65
    upper = ax.get_lines()[3].get_ydata()
    assert 64 < np.interp(100, np.arange(20, 400, 5), upper) < 66


def test_log_axis_when_denominators_differ_widely_and_errors():
    wide = assess_units(
        pd.DataFrame({"authority": ["A", "B"], "numerator": [5, 5000], "denominator": [10, 10000]}),
        0.5,
    )
    fig = cf.funnel_chart(wide, funnel_limits(np.geomspace(8, 12000, 50).round(), 0.5), title="t")
    assert fig.axes[0].get_xscale() == "log"
    with pytest.raises(AnalysisError, match="home council 'Z' is not among"):
        cf.funnel_chart(units(), limits(), title="t", home="Z")
    with pytest.raises(AnalysisError, match="missing position_998"):
        cf.funnel_chart(units().drop(columns=["position_998"]), limits(), title="t")
