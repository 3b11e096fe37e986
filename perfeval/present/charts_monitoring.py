"""Charts of the quarterly monitoring report: year to date against profile, and XmR panels.

Each takes the frames :mod:`perfeval.sections.monitoring` computes and returns a matplotlib
figure; the word for every state is on the chart, so colour is never the only carrier.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from perfeval.core.formatting import format_number
from perfeval.present import charts
from perfeval.stats import rag as rag_rule

__all__ = ["POINTS", "format_gap", "plot_ytd_gap", "plot_xmr_panels"]


#: The unit of a difference between two percentages.
POINTS = "percentage points"


def format_gap(gap: float, gap_unit: str) -> str:
    """A difference from target as a report writes it: ``"+1.2 percentage points"`` when
    ``gap_unit`` is :data:`POINTS`, else ``"-14.2%"``; one decimal, rounded half up, ``+`` for
    better; ``""`` when missing."""
    if pd.isna(gap):
        return ""
    number = format_number(gap, 1)
    sign = "+" if number.strip("0.") and not number.startswith("-") else ""
    return f"{sign}{number} {POINTS}" if gap_unit == POINTS else f"{sign}{number}%"


#: The two panels of :func:`plot_ytd_gap`: which PIs, and the x-axis label.
GAP_PANELS = (
    (True, "Percentages: percentage points better (+) or worse (-) than profile"),
    (False, "Other measures: % better (+) or worse (-) than profile"),
)


def plot_ytd_gap(position: pd.DataFrame, *, title: str) -> Figure:
    """Bars of each PI's year to date against profile, labelled with RAG, in two panels:
    percentages in percentage points, other measures in % of the target.

    Bars right of zero are better than the profiled target; each bar carries the RAG symbol and
    word and the difference with its unit, so colour is never the only carrier. A panel with no
    PI is left out; the two never share an axis, as their units differ.

    Parameters
    ----------
    position : DataFrame
        :func:`perfeval.sections.monitoring.assess_in_year` (``title``, ``unit``, ``rag``,
        ``gap``); rows without a gap are left out.
    title : str
        The chart's title.
    """
    rows = position[position["gap"].notna()]
    in_points = rows["gap_unit"] == POINTS
    panels = [(rows[in_points == points], label) for points, label in GAP_PANELS]
    panels = [(group, label) for group, label in panels if len(group)] or [(rows, GAP_PANELS[1][1])]
    heights = [0.42 * len(group) + 1.2 for group, _ in panels]
    fig = Figure(figsize=(8.5, sum(heights) + 0.6), layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False, height_ratios=heights).flat
    for ax, (group, label) in zip(axes, panels):
        _gap_bars(ax, group, label)
    fig.suptitle(title, x=0.02, ha="left", fontsize=11)
    return fig


def _gap_bars(ax: Any, rows: pd.DataFrame, label: str) -> None:
    """One panel of :func:`plot_ytd_gap`."""
    y = np.arange(len(rows))[::-1]
    colours = [charts.RAG_STYLE.get(r, (charts.OTHER_COLOUR,))[0] for r in rows["rag"]]
    ax.barh(y, rows["gap"], color=colours)
    ax.axvline(0, color="black", linewidth=1)
    for yy, gap, rag, unit in zip(y, rows["gap"], rows["rag"], rows["gap_unit"]):
        short = format_gap(gap, unit).replace(POINTS, "points")
        ax.text(  # on the other side of zero from the bar, so it never runs off the axes
            0,
            yy,
            f" {rag_rule.RAG_SYMBOLS.get(rag, '')} {rag} ({short}) ",
            va="center",
            ha="right" if gap >= 0 else "left",
            fontsize=8,
        )
    ax.set_yticks(y, list(rows["title"]), fontsize=8)
    span = float(np.nanmax(np.abs(rows["gap"]))) if len(rows) else 1.0
    ax.set_xlim(-span * 1.15 - 0.1, span * 1.15 + 0.1)
    ax.set_xlabel(label, fontsize=9)
    ax.grid(axis="y", visible=False)


def plot_xmr_panels(overview: Mapping[str, Any]) -> Figure | None:
    """One XmR chart per PI, stacked in one figure, each titled with its variation and assurance
    (None when no PI could be charted).

    Parameters
    ----------
    overview : dict
        Output of :func:`perfeval.sections.monitoring.spc_overview` (``charts``: indicator ->
        XmR result; ``summary``: one row per charted PI with ``title``, ``unit``,
        ``variation`` and ``assurance``).
    """
    results, summary = overview["charts"], overview["summary"].set_index("indicator")
    if not results:
        return None
    fig = Figure(figsize=(10, 3.4 * max(len(results), 1)), layout="constrained")
    axes = fig.subplots(max(len(results), 1), 1, squeeze=False).flat
    for ax, (code, result) in zip(axes, results.items()):
        row = summary.loc[code]
        charts.plot_xmr(
            result,
            title=f"{row['title']}: {row['variation'].lower()}; {row['assurance'].lower()}",
            unit=row["unit"],
            labels=list(result.index),
            ax=ax,
        )
        ax.title.set_fontsize(9)
    return fig
