"""Charts of the resident survey report: margins, headline shares, change, groups and bases.

Each takes the tables :mod:`perfeval.sections.survey` computes (shares are fractions 0-1, drawn
as percentages) and returns a matplotlib figure. Only published (disclosure-controlled) rows are
drawn: a suppressed estimate never reaches a chart.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure

from perfeval.present import charts

__all__ = [
    "TOTAL_LABEL",
    "SIGNIFICANCE_MARKS",
    "breakdown_label",
    "question_label",
    "plot_margins",
    "plot_headline_shares",
    "plot_wave_change",
    "plot_breakdown",
    "plot_bases",
]

#: The row of a breakdown table that holds all respondents.
TOTAL_LABEL = "All respondents"
#: Marks that carry a significant difference from the rest in text as well as in a chart.
SIGNIFICANCE_MARKS = {"significantly higher": "▲", "significantly lower": "▼"}


def breakdown_label(column: str) -> str:
    """A breakdown column as words: ``age_band`` -> ``Age band``."""
    return column.replace("_", " ").capitalize()


#: Characters per line of a question's wording on a chart's axis and in a small panel's title.
AXIS_WRAP, PANEL_WRAP = 44, 34


def question_label(
    code: str, wording: Mapping[str, str] | None = None, width: int = AXIS_WRAP
) -> str:
    """A question as a chart labels it: its codebook wording wrapped to lines of at most
    ``width`` characters (``textwrap``), or the code only when the codebook gives no wording."""
    text = (wording or {}).get(code)
    if not isinstance(text, str) or not text.strip():
        return str(code)
    return "\n".join(textwrap.wrap(text.strip(), width, break_long_words=False))


def _fit_rows_to_labels(fig: Figure, labels: list[str], width: float = 8.0) -> Figure:
    """Make a one-row-per-label chart tall enough for its wrapped labels (0.17 in a line, at
    least the 0.45 in a row :func:`perfeval.present.charts.plot_intervals` allows)."""
    per_row = [max(0.45, 0.17 * (label.count("\n") + 1) + 0.12) for label in labels]
    fig.set_size_inches(width, sum(per_row) + 1.6)
    return fig


def plot_margins(controlled: pd.DataFrame, wave: str) -> Figure:
    """Grouped bars: population target, unweighted and weighted sample share per category."""
    frame = pd.DataFrame(
        {
            "category": [
                f"{v.replace('_', ' ')}: {c}"
                for v, c in zip(controlled["variable"], controlled["category"])
            ],
            "Population target (%)": controlled["target_share"] * 100,
            "Sample, unweighted (%)": controlled["sample_share"] * 100,
            "Sample, weighted (%)": controlled["weighted_share"] * 100,
        }
    )
    return charts.plot_grouped_bars(
        frame,
        category="category",
        title=f"Sample against population, wave {wave}",
        series=["Population target (%)", "Sample, unweighted (%)", "Sample, weighted (%)"],
        ylabel="Share of population or sample (%)",
    )


def plot_headline_shares(
    shown: pd.DataFrame, *, wave: str, level: float, wording: Mapping[str, str] | None = None
) -> Figure:
    """Each published question's weighted share positive with its interval, each question
    labelled by its wording (:func:`question_label`).

    Parameters
    ----------
    shown : DataFrame
        The published rows of the headline table (``question``, ``estimate``, ``ci_low``,
        ``ci_high``; ``wording`` when ``wording`` is not given).
    wave : str
        The wave, for the title.
    level : float
        The intervals' confidence level, for the legend.
    wording : mapping, optional
        Each question's codebook wording; default the table's ``wording`` column.
    """
    if wording is None and "wording" in shown.columns:
        wording = dict(zip(shown["question"], shown["wording"]))
    labels = [question_label(q, wording) for q in shown["question"]]
    fig = charts.plot_intervals(
        shown.assign(
            label=labels,
            value=shown["estimate"],
            low=shown["ci_low"],
            high=shown["ci_high"],
        ),
        title=f"Share giving a positive answer, {wave}",
        xlabel="Share giving a positive answer (%)",
        level=level,
    )
    return _fit_rows_to_labels(fig, labels)


def plot_wave_change(
    shown: pd.DataFrame,
    *,
    wave: str,
    comparison_wave: str,
    level: float,
    wording: Mapping[str, str] | None = None,
) -> Figure:
    """Each tested question's change in share positive between two waves, with its interval,
    each question labelled by its wording (:func:`question_label`).

    Parameters
    ----------
    shown : DataFrame
        The tested rows of the change table (``question``, ``difference``, ``ci_low``,
        ``ci_high``).
    wave, comparison_wave : str
        The later and the earlier wave, for the title.
    level : float
        The intervals' level before Holm's adjustment, for the legend.
    wording : mapping, optional
        Each question's codebook wording.
    """
    labels = [question_label(q, wording) for q in shown["question"]]
    fig = charts.plot_intervals(
        shown.assign(
            label=labels,
            value=shown["difference"],
            low=shown["ci_low"],
            high=shown["ci_high"],
        ),
        title=f"Change in share positive, {comparison_wave} to {wave}",
        xlabel="Change (percentage points)",
        level=level,
        reference=0.0,
        reference_label="No change",
        decimals=1,
        signed=True,
    )
    return _fit_rows_to_labels(fig, labels)


def plot_breakdown(
    table: pd.DataFrame,
    *,
    level: float,
    columns: int = 5,
    wording: Mapping[str, str] | None = None,
) -> Figure:
    """One small panel per question, titled with its wording wrapped to the panel
    (:func:`question_label`): each published group's share with its interval bar, and the share
    for all respondents as a dashed line; groups significantly different from the rest are
    marked with an open diamond (and ▲/▼ in the table)."""
    questions = list(dict.fromkeys(table["question"]))
    titles = {q: question_label(q, wording, PANEL_WRAP) for q in questions}
    lines = max((t.count("\n") + 1 for t in titles.values()), default=1)
    groups = [g for g in dict.fromkeys(table["group"]) if g != TOTAL_LABEL]
    rows = -(-len(questions) // columns)
    fig = Figure(
        figsize=(2.3 * columns + 1.5, (0.3 * len(groups) + 1.0 + 0.16 * lines) * rows + 0.8),
        layout="constrained",
    )
    axes = fig.subplots(rows, columns, squeeze=False, sharey=True)
    y = {g: i for i, g in enumerate(reversed(groups))}
    for ax, question in zip(axes.flat, questions):
        charts.style_axes(ax)
        part = table[(table["question"] == question) & table["published"]]
        shown = part[part["group"] != TOTAL_LABEL]
        ys = shown["group"].map(y).to_numpy(float)
        est = shown["estimate"].to_numpy(float) * 100
        ax.errorbar(
            est,
            ys,
            xerr=[
                est - shown["ci_low"].to_numpy(float) * 100,
                shown["ci_high"].to_numpy(float) * 100 - est,
            ],
            fmt="o",
            color=charts.HOME_COLOUR,
            capsize=2,
            markersize=4,
        )
        marked = shown["finding"].isin(list(SIGNIFICANCE_MARKS)).to_numpy()
        ax.scatter(
            est[marked],
            ys[marked],
            marker="D",
            s=40,
            facecolors="none",
            edgecolors=charts.PALETTE["dark_pink"],
            zorder=4,
        )
        total = part.loc[part["group"] == TOTAL_LABEL, "estimate"]
        if not total.empty:
            ax.axvline(
                float(total.iloc[0]) * 100, color=charts.MEDIAN_COLOUR, linestyle="--", linewidth=1
            )
        ax.set_title(titles[question], loc="left", fontsize=8)
        ax.set_xlim(0, 100)
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", visible=False)
    axes.flat[0].set_yticks(list(y.values()), list(y.keys()))
    for ax in list(axes.flat)[len(questions) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"Share positive by {breakdown_label(table['breakdown'].iloc[0]).lower()} (%): "
        f"points with {level:.0%} intervals; dashed line all respondents; open diamond "
        f"significantly different from the rest",
        x=0.01,
        ha="left",
        fontsize=9,
    )
    return fig


def plot_bases(summary: pd.DataFrame) -> Figure:
    """Grouped bars per wave: respondents and effective base after weighting."""
    frame = summary.assign(
        **{"Respondents": summary["respondents"], "Effective base": summary["effective_base"]}
    )
    return charts.plot_grouped_bars(
        frame,
        category="wave",
        series=["Respondents", "Effective base"],
        title="Respondents and effective base by wave",
        ylabel="Respondents",
    )
