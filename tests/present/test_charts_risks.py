"""Tests for perfeval.present.charts_risks: the heat map says every cell's count and band in
words, with readable text; the completion chart is a 0-100 % line with markers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from perfeval.core.exceptions import AnalysisError, ParameterError  # noqa: E402
from perfeval.present import charts_risks as cr  # noqa: E402
from perfeval.stats import risks as rk  # noqa: E402


def counts_with(cells: dict[tuple[int, int], int]) -> pd.DataFrame:
    """A heat map count table with the given (impact, likelihood) cells filled in."""
    counts = pd.DataFrame(
        0, index=pd.Index([5, 4, 3, 2, 1], name="impact"), columns=pd.Index([1, 2, 3, 4, 5])
    )
    for (impact, likelihood), n in cells.items():
        counts.loc[impact, likelihood] = n
    return counts


def cell_texts(fig) -> dict[tuple[float, float], object]:
    ax = fig.axes[0]
    return {tuple(t.get_position()): t for t in ax.texts}


def test_every_cell_is_labelled_with_its_count_and_band_word():
    fig = cr.plot_heat_map(counts_with({(5, 4): 2, (1, 1): 3}), rk.DEFAULT_BANDS, "Corporate risks")
    texts = cell_texts(fig)
    assert len(texts) == 25
    assert texts[(4, 5)].get_text() == "2\nhigh"  # likelihood 4 x impact 5 = 20
    assert texts[(1, 1)].get_text() == "3\nlow"
    assert texts[(3, 3)].get_text() == "0\nmedium"  # 9, no risk
    assert texts[(5, 3)].get_text() == "0\nhigh"  # 15
    assert texts[(4, 3)].get_text() == "0\nmedium"  # 12


def test_heat_map_axes_are_labelled_with_the_scales():
    ax = cr.plot_heat_map(
        rk.heat_map_counts(
            pd.DataFrame({"risk_id": ["R1"], "residual_likelihood": [2], "residual_impact": [3]})
        )
    ).axes[0]
    assert ax.get_xlabel() == "Likelihood (1 rare - 5 almost certain)"
    assert ax.get_ylabel() == "Impact (1 negligible - 5 severe)"
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "5\nalmost certain"
    assert ax.get_title(loc="left") == "Risks by likelihood and impact"


def test_cell_text_contrasts_enough_with_its_colour():
    four = (("low", 1, 3), ("medium", 4, 9), ("high", 10, 16), ("very high", 20, 25))
    for bands in (rk.DEFAULT_BANDS, four, (("all", 1, 25),)):
        fig = cr.plot_heat_map(counts_with({}), bands)
        ax = fig.axes[0]
        fills = {
            (p.get_x() + 0.5, p.get_y() + 0.5): p.get_facecolor()
            for p in ax.patches
            if isinstance(p, Rectangle)
        }
        assert len(fills) == 25
        for position, text in cell_texts(fig).items():
            ratio = cr.contrast_ratio(text.get_color(), matplotlib.colors.to_hex(fills[position]))
            assert ratio >= cr.MIN_CONTRAST, (bands, position, ratio)


def test_bands_get_distinct_colours_lightest_for_the_lowest():
    colours = cr.band_colours(rk.DEFAULT_BANDS)
    assert len(set(colours.values())) == 3
    luminance = [cr.relative_luminance(colours[name]) for name in ("low", "medium", "high")]
    assert luminance == sorted(luminance, reverse=True)


def test_contrast_ratio_of_black_on_white_is_21():
    assert cr.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert cr.text_colour("#FFFFFF") == "#000000"
    assert cr.text_colour("#801650") == "#FFFFFF"


def test_heat_map_refuses_a_table_that_is_not_5_by_5():
    with pytest.raises(AnalysisError, match="5 x 5 table"):
        cr.plot_heat_map(counts_with({}).drop(columns=5))


def test_heat_map_refuses_bands_with_a_gap():
    with pytest.raises(ParameterError, match="fall in no band"):
        cr.plot_heat_map(counts_with({}), (("low", 1, 4), ("high", 6, 25)))


def test_completion_chart_is_a_line_with_markers_on_a_0_to_100_axis():
    series = pd.Series([25.0, 50.0, 50.0, 75.0], index=["2024/25 Q1", "Q2", "Q3", "Q4"])
    fig = cr.plot_completion(series, "Corporate plan: actions complete")
    ax = fig.axes[0]
    (line,) = ax.get_lines()
    assert line.get_marker() == "o"
    assert line.get_ydata().tolist() == [25.0, 50.0, 50.0, 75.0]
    assert ax.get_ylim() == (0.0, 100.0)
    assert ax.yaxis.get_major_formatter()(50, 0) == "50%"
    assert [t.get_text() for t in ax.texts] == ["25%", "50%", "50%", "75%"]
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "2024/25 Q1"
    assert ax.get_title(loc="left") == "Corporate plan: actions complete"


def test_completion_chart_refuses_an_empty_series_or_a_share_over_100():
    with pytest.raises(AnalysisError, match="no periods"):
        cr.plot_completion(pd.Series([], dtype=float))
    with pytest.raises(AnalysisError, match="0 to 100"):
        cr.plot_completion(pd.Series([0.5, 120.0], index=["a", "b"]))
