"""Charts of the programme-evaluation report: spend by strand in pounds, the event study of a
difference-in-differences, and the participant survey's answers that went up, stayed and went
down. Meaning is never carried by colour alone (hatches, markers, line styles and words)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from perfeval.core.formatting import format_number
from perfeval.present import charts

__all__ = ["pounds_axis", "plot_funding_by_strand", "plot_event_study", "plot_paired_changes"]


def pounds_axis(value: float, _position: object = None) -> str:
    """A £ tick label with thousands separators: ``£120,000``, ``-£5,000``."""
    return format_number(value, 0, "£")


def plot_funding_by_strand(summary: pd.DataFrame, *, title: str) -> Figure:
    """Allocation (plain bars) and spend (hatched bars) by strand, the value axis in pounds.

    Parameters
    ----------
    summary : DataFrame
        :func:`perfeval.stats.evaluation.summarise_funding` without its total row: ``strand``,
        ``allocation``, ``spend``.
    title : str
    """
    frame = summary.rename(columns={"allocation": "Allocation", "spend": "Spend"})
    fig = charts.plot_grouped_bars(
        frame, category="strand", series=["Allocation", "Spend"], title=title, ylabel="Pounds"
    )
    fig.axes[0].yaxis.set_major_formatter(FuncFormatter(pounds_axis))
    return fig


def plot_event_study(
    table: pd.DataFrame, *, title: str, ylabel: str, level: float, start: str
) -> Figure:
    """Difference between participating and comparison councils in each period, relative to
    the last period before the programme, with its interval (an event-study chart).

    Points before the programme are open circles, after it filled squares; the interval is a
    vertical bar; a solid horizontal line marks no difference and a dotted vertical line the
    programme start, labelled in words. The reference period is drawn at 0 without a bar and
    named in the axis label.

    Parameters
    ----------
    table : DataFrame
        :class:`perfeval.stats.evaluation.EventStudy` ``table``: period, estimate, ci_lower,
        ci_upper, post, reference.
    title, ylabel : str
    level : float
        Level of the intervals, for the legend.
    start : str
        First period of the programme.
    """
    fig, ax = charts.new_figure(8, 4.8)
    x = np.arange(len(table))
    before, after = ~table["post"].to_numpy(), table["post"].to_numpy()
    ax.axhline(0, color="black", linewidth=1)
    low = (table["estimate"] - table["ci_lower"]).to_numpy()
    high = (table["ci_upper"] - table["estimate"]).to_numpy()
    share = f"{format_number(100 * level, 0)}% interval"
    for mask, marker, face, label in (
        (before, "o", "white", "Before the programme"),
        (after, "s", charts.PALETTE["dark_blue"], "After the programme"),
    ):
        ax.errorbar(
            x[mask],
            table["estimate"].to_numpy()[mask],
            yerr=[low[mask], high[mask]],
            fmt=marker,
            markerfacecolor=face,
            color=charts.PALETTE["dark_blue"],
            ecolor=charts.PALETTE["dark_grey"],
            capsize=3,
            label=f"{label} (with {share})",
        )
    first_post = int(np.argmax(after))
    ax.axvline(first_post - 0.5, color="black", linestyle=":", linewidth=1.2)
    ax.text(
        first_post - 0.45,
        1.0,
        f"Programme starts ({start})",
        transform=ax.get_xaxis_transform(),
        va="top",
        fontsize=8,
    )
    ax.set_xticks(x, table["period"].tolist(), rotation=30, ha="right", fontsize=8)
    reference = table.loc[table["reference"], "period"].iloc[0]
    ax.set_xlabel(f"Year (difference measured against {reference}, shown at 0)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8, loc="upper right")
    charts.style_axes(ax)
    return fig


def plot_paired_changes(table: pd.DataFrame, *, title: str) -> Figure:
    """Horizontal stacked bars: the share of participants whose answer went down (hatched),
    stayed the same (dotted) and went up (plain), one bar per question, shares labelled.

    Parameters
    ----------
    table : DataFrame
        ``label``, ``lower``, ``same``, ``higher`` (percentages summing to 100).
    title : str
    """
    fig, ax = charts.new_figure(8, 1.2 + 0.7 * len(table))
    y = np.arange(len(table))[::-1]
    left = np.zeros(len(table))
    parts = (
        ("lower", "Lower after", charts.PALETTE["dark_pink"], "//"),
        ("same", "The same", charts.OTHER_COLOUR, ".."),
        ("higher", "Higher after", charts.PALETTE["turquoise"], ""),
    )
    for column, label, colour, hatch in parts:
        values = table[column].to_numpy(dtype=float)
        ax.barh(y, values, left=left, color=colour, hatch=hatch, edgecolor="white", label=label)
        for yi, start, width in zip(y, left, values):
            if width >= 6:
                ax.text(
                    start + width / 2,
                    yi,
                    format_number(width, 0, "%"),
                    ha="center",
                    va="center",
                    fontsize=8,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
                )
        left = left + values
    ax.set_yticks(y, table["label"].tolist(), fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Participants (%)")
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    charts.style_axes(ax)
    return fig
