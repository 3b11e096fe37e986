"""Charts for the reports: accessible palette, meaning never carried by colour alone.

Colours follow the Government Analysis Function's categorical palette (dark blue, turquoise, dark
pink, orange, ...), chosen for colour-blind safety. Wherever colour separates things, a second
carrier does too: marker shape, line style, a direct label, or the RAG word. Functions return
matplotlib Figures built with the object-oriented API (no ``pyplot`` state, nothing shown); pass
them to :func:`perfeval.tables.show_figure` with a text alternative.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from perfeval.scorecard import MIN_COMPARATORS

#: Analysis Function categorical palette (https://analysisfunction.civilservice.gov.uk/policy-store/data-visualisation-colours-in-charts/).
PALETTE = {
    "dark_blue": "#12436D", "turquoise": "#28A197", "dark_pink": "#801650",
    "orange": "#F46A25", "dark_grey": "#3D3D3D", "light_purple": "#A285D1",
}
HOME_COLOUR = PALETTE["dark_blue"]
OTHER_COLOUR = "#A0A0A0"
MEDIAN_COLOUR = PALETTE["orange"]
#: RAG colours with the word and a symbol that carry the same meaning without colour.
RAG_STYLE = {
    "Green": ("#00703C", "✔"), "Amber": ("#B25B00", "▲"), "Red": ("#D4351C", "✖"),
}


def new_figure(width: float = 8.0, height: float = 4.5) -> tuple[Figure, Axes]:
    """A figure with one axes, in the house style (no top/right spines, light grid)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    style_axes(ax)
    return fig, ax


def style_axes(ax: Axes) -> None:
    """House style for one axes."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)


def axis_label(title: str, unit: str) -> str:
    """Axis label with its unit, e.g. ``Recycling rate (%)``."""
    return f"{title} ({unit})" if unit and unit != "number" else title


def plot_category_counts(counts: pd.Series, *, title: str, xlabel: str = "Number of indicators",
                         colours: dict[str, str] | None = None) -> Figure:
    """Horizontal bars of counts per category, each bar labelled with its category and count.

    Parameters
    ----------
    counts : Series
        Count per category label (in display order, top first).
    colours : dict, optional
        Colour per category; categories in :data:`RAG_STYLE` get their RAG colour and symbol.
    """
    labels = [f"{RAG_STYLE[c][1]} {c}" if c in RAG_STYLE else str(c) for c in counts.index]
    colour_of = colours or {}
    bar_colours = [colour_of.get(c, RAG_STYLE.get(c, (PALETTE["dark_blue"],))[0])
                   for c in counts.index]
    fig, ax = new_figure(7.5, 0.55 * len(counts) + 1.2)
    positions = np.arange(len(counts))[::-1]
    ax.barh(positions, counts.to_numpy(), color=bar_colours)
    ax.set_yticks(positions, labels)
    for y, value in zip(positions, counts.to_numpy()):
        ax.text(value, y, f" {value:g}", va="center")
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.8)
    return fig


def plot_share_bars(shares: pd.DataFrame, *, title: str) -> Figure:
    """Horizontal bars of headline shares (0-100 %), each labelled "n of N (x %)".

    ``shares`` has columns ``measure``, ``numerator``, ``denominator`` and ``share`` (0-1).
    """
    fig, ax = new_figure(7.5, 0.6 * len(shares) + 1.2)
    positions = np.arange(len(shares))[::-1]
    percent = shares["share"].to_numpy(dtype=float) * 100
    ax.barh(positions, np.nan_to_num(percent), color=PALETTE["dark_blue"])
    ax.set_yticks(positions, shares["measure"].tolist())
    for y, row, pct in zip(positions, shares.itertuples(), percent):
        text = "no data" if math.isnan(pct) else f" {row.numerator:g} of {row.denominator:g} ({pct:.0f}%)"
        ax.text(0 if math.isnan(pct) else pct, y, text, va="center")
    ax.set_xlim(0, 115)
    ax.set_xlabel("Share of indicators (%)")
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(axis="y", visible=False)
    return fig


def plot_comparator_bars(values: pd.DataFrame, *, home: str, title: str, unit: str = "",
                         value_label: str = "Value") -> Figure:
    """Bars for each council (sorted), the home council in dark blue and labelled, median dashed.

    ``values`` has columns ``name`` and ``value`` (and ``code``); the home council is the row
    whose ``code`` equals ``home``. The median line is drawn only from at least
    :data:`perfeval.scorecard.MIN_COMPARATORS` councils with a value.
    """
    data = values.dropna(subset=["value"]).sort_values("value", kind="mergesort")
    is_home = data["code"].eq(home).to_numpy()
    fig, ax = new_figure(8, 0.32 * len(data) + 1.5)
    positions = np.arange(len(data))
    ax.barh(positions, data["value"], color=np.where(is_home, HOME_COLOUR, OTHER_COLOUR),
            hatch=None)
    names = [f"{n} (home)" if h else n for n, h in zip(data["name"], is_home)]
    ax.set_yticks(positions, names)
    for label, h in zip(ax.get_yticklabels(), is_home):
        label.set_fontweight("bold" if h else "normal")
    if len(data) >= MIN_COMPARATORS:  # a median of one or two councils is not drawn
        median = float(data["value"].median())
        ax.axvline(median, color=MEDIAN_COLOUR, linestyle="--", linewidth=1.5,
                   label=f"Median {median:,.1f}")
        ax.legend(loc="lower right", frameon=False)
    ax.set_xlabel(axis_label(value_label, unit))
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.8)
    return fig


def plot_percentile_positions(positions: pd.DataFrame, *, title: str) -> Figure:
    """Dot plot of the home council's percentile rank per indicator (100 = best) with quartiles.

    ``positions`` has columns ``label`` and ``percentile_rank``; quartile boundaries at 25, 50 and
    75 are drawn and named so the quartile is readable without colour.
    """
    data = positions.sort_values("percentile_rank", kind="mergesort")
    fig, ax = new_figure(10, 0.28 * len(data) + 1.8)
    y = np.arange(len(data))
    ax.scatter(data["percentile_rank"], y, color=HOME_COLOUR, marker="D", zorder=3)
    ax.set_yticks(y, data["label"].tolist(), fontsize=8)
    for boundary in (25, 50, 75):
        ax.axvline(boundary, color="#888888", linestyle=":", linewidth=1)
    bands = ax.secondary_xaxis("top")
    bands.set_xticks([12.5, 37.5, 62.5, 87.5], ["Bottom quartile", "Third quartile",
                                                "Second quartile", "Top quartile"], fontsize=8)
    bands.tick_params(length=0)
    ax.set_xlim(-2, 102)
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.set_xlabel("Percentile rank among comparators (100 = best, polarity aligned)")
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(axis="y", visible=False)
    return fig


def plot_small_multiples(trends: pd.DataFrame, *, title: str, columns: int = 3) -> Figure:
    """One small panel per indicator: home council (solid, circles) vs comparator median (dashed).

    ``trends`` has columns ``label`` (panel title, with unit), ``period``, ``home`` and
    ``median``, periods in time order within each label.
    """
    labels = list(dict.fromkeys(trends["label"]))
    rows = math.ceil(len(labels) / columns)
    fig = Figure(figsize=(3.2 * columns, 2.5 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax, label in zip(axes.flat, labels):
        style_axes(ax)
        panel = trends[trends["label"] == label]
        x = np.arange(len(panel))
        ax.plot(x, panel["home"], color=HOME_COLOUR, marker="o", linewidth=2, label="This council")
        ax.plot(x, panel["median"], color=MEDIAN_COLOUR, linestyle="--", marker="s",
                markersize=4, label="Comparator median")
        ticks = x[:: max(1, len(x) // 3)]
        ax.set_xticks(ticks, [panel["period"].iloc[i] for i in ticks], fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(label, fontsize=8, loc="left", wrap=True)
    for ax in list(axes.flat)[len(labels):]:
        ax.set_visible(False)
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside upper right", frameon=False, ncols=2)
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    return fig


def plot_intervals(frame: pd.DataFrame, *, title: str, xlabel: str, level: float,
                   scale: float = 100.0, reference: float | None = None,
                   reference_label: str = "") -> Figure:
    """Points with interval bars, one row per ``label``, each point labelled with its value.

    ``frame`` has ``label``, ``value``, ``low`` and ``high`` (fractions when ``scale`` = 100,
    e.g. survey estimates and their confidence interval at ``level``). ``reference`` draws a
    dashed vertical line (e.g. zero change) named in the legend.
    """
    data = frame.iloc[::-1]
    fig, ax = new_figure(8, 0.45 * len(data) + 1.6)
    y = np.arange(len(data))
    value = data["value"].to_numpy(float) * scale
    ax.errorbar(value, y, xerr=[value - data["low"].to_numpy(float) * scale,
                                data["high"].to_numpy(float) * scale - value],
                fmt="o", color=HOME_COLOUR, capsize=3, label=f"Estimate with {level:.0%} interval")
    for yy, v in zip(y, value):
        ax.text(v, yy + 0.2, f"{v:.0f}", ha="center", fontsize=8)
    if reference is not None:
        ax.axvline(reference * scale, color=MEDIAN_COLOUR, linestyle="--", label=reference_label)
    ax.set_yticks(y, data["label"].tolist())
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncols=2, frameon=False, fontsize=8)
    ax.grid(axis="y", visible=False)
    return fig


def plot_grouped_bars(frame: pd.DataFrame, *, category: str, series: Sequence[str],
                      title: str, ylabel: str) -> Figure:
    """Grouped vertical bars (e.g. budget and forecast by service), series told apart by hatch."""
    fig, ax = new_figure(9, 4.8)
    x = np.arange(len(frame))
    width = 0.8 / len(series)
    colours = list(PALETTE.values())
    hatches = ["", "//", "..", "xx"]
    for i, name in enumerate(series):
        ax.bar(x + (i - (len(series) - 1) / 2) * width, frame[name], width,
               color=colours[i % len(colours)], hatch=hatches[i % len(hatches)],
               edgecolor="white", label=name)
    ax.set_xticks(x, frame[category].tolist(), rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(frameon=False)
    return fig
