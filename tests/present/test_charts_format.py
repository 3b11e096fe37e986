"""Chart axes as a reader reads them: units once, whole-number ticks where an axis counts
things, medians with the PI's decimals (#14 item 6)."""

import pandas as pd

from perfeval.present import charts, narrative


def _tick_values(axis) -> list[float]:
    low, high = axis.get_view_interval()
    return [t for t in axis.get_majorticklocs() if low <= t <= high]


def test_an_axis_that_counts_indicators_has_whole_number_ticks():
    counts = pd.Series([1, 2, 0], index=["Green", "Amber", "Red"])
    fig = charts.plot_category_counts(counts, title="RAG status, 2024/25")
    fig.canvas.draw()
    ticks = _tick_values(fig.axes[0].xaxis)
    assert ticks, "the count axis has ticks"
    assert all(float(t).is_integer() for t in ticks), ticks


def test_an_axis_label_never_repeats_the_unit():
    assert charts.axis_label("Recycling rate", "%") == "Recycling rate (%)"
    assert charts.axis_label("Quality of life (score)", "score") == "Quality of life (score)"
    values = pd.DataFrame(
        {"code": ["A", "B", "C"], "name": ["Ay", "Bee", "Cee"], "value": [1.0, 2.0, 3.0]}
    )
    fig = charts.plot_comparator_bars(
        values, home="A", title="t", unit="rate", value_label="Rough sleeping (rate)"
    )
    assert fig.axes[0].get_xlabel() == "Rough sleeping (rate)"


def test_the_median_in_the_legend_has_the_pis_decimals():
    values = pd.DataFrame(
        {"code": ["A", "B", "C"], "name": ["Ay", "Bee", "Cee"], "value": [1000.0, 2500.0, 3000.0]}
    )
    fig = charts.plot_comparator_bars(values, home="A", title="t", unit="£", decimals=0)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["Median 2,500"]


def test_counted_phrases_agree_with_one():
    assert narrative.counted(1, "indicators with a status") == "1 indicator with a status"
    assert narrative.counted(1, "evaluation questions") == "1 evaluation question"
    assert narrative.counted(1, "quarterly and monthly indicators") == (
        "1 quarterly and monthly indicator"
    )
    assert narrative.counted(1, "categories") == "1 category"
    assert narrative.counted(2, "evaluation questions") == "2 evaluation questions"
    counts = pd.Series([1, 0, 0], index=["Green", "Amber", "Red"])
    assert narrative.describe_counts(counts, what="indicators") == (
        "Of 1 indicator: 1 Green, 0 Amber, 0 Red."
    )
