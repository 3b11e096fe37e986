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

from perfeval.present import charts
from perfeval.stats import rag as rag_rule

__all__ = ["plot_ytd_gap", "plot_xmr_panels"]


def plot_ytd_gap(position: pd.DataFrame, *, title: str) -> Figure:
    """Bars of each PI's year to date against profile (% better or worse), labelled with RAG.

    Bars right of zero are better than the profiled target; each bar carries the RAG symbol and
    word, so colour is never the only carrier.

    Parameters
    ----------
    position : DataFrame
        :func:`perfeval.sections.monitoring.assess_in_year` (``indicator``, ``title``, ``rag``,
        ``gap_pct``); rows without a gap are left out.
    title : str
        The chart's title.
    """
    rows = position[position["gap_pct"].notna()]
    fig, ax = charts.new_figure(8.5, 0.42 * len(rows) + 1.6)
    y = np.arange(len(rows))[::-1]
    colours = [charts.RAG_STYLE.get(r, (charts.OTHER_COLOUR,))[0] for r in rows["rag"]]
    ax.barh(y, rows["gap_pct"], color=colours)
    ax.axvline(0, color="black", linewidth=1)
    for yy, gap, rag in zip(y, rows["gap_pct"], rows["rag"]):
        ax.text(
            gap,
            yy,
            f" {rag_rule.RAG_SYMBOLS.get(rag, '')} {rag} ({gap:+.1f}%) ",
            va="center",
            ha="left" if gap >= 0 else "right",
            fontsize=8,
        )
    ax.set_yticks(y, [f"{t} ({c})" for t, c in zip(rows["title"], rows["indicator"])], fontsize=8)
    span = float(np.nanmax(np.abs(rows["gap_pct"]))) if len(rows) else 1.0
    ax.set_xlim(-span * 1.8 - 1, span * 1.8 + 1)
    ax.set_xlabel("Year to date against profiled target (% better + / worse -)")
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(axis="y", visible=False)
    return fig


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
            title=f"{row['title']} ({code}): {row['variation'].lower()}; "
            f"{row['assurance'].lower()}",
            unit=row["unit"],
            labels=list(result.index),
            ax=ax,
        )
        ax.title.set_fontsize(9)
    return fig
