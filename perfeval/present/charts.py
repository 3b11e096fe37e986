"""Charts for the reports: accessible palette, meaning never carried by colour alone.

Colours follow the Government Analysis Function's categorical palette (dark blue, turquoise, dark
pink, orange, ...), chosen for colour-blind safety. Wherever colour separates things, a second
carrier does too: marker shape, line style, a direct label, or the RAG word. Functions return
matplotlib Figures built with the object-oriented API (no ``pyplot`` state, nothing shown); pass
them to :func:`perfeval.present.html.show_figure` with a text alternative.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from perfeval.core.exceptions import AnalysisError
from perfeval.core.formatting import format_number, label_with_unit
from perfeval.core.periods import parse_period, period_sort_key
from perfeval.stats.budget import QUADRANTS
from perfeval.stats.comparators import summarise_values
from perfeval.stats.evaluation import did_panel
from perfeval.stats.spc import point_label, xmr_setting

if TYPE_CHECKING:
    from perfeval.stats.budget import VfmResult

#: Analysis Function categorical palette (https://analysisfunction.civilservice.gov.uk/policy-store/data-visualisation-colours-in-charts/).
PALETTE = {
    "dark_blue": "#12436D",
    "turquoise": "#28A197",
    "dark_pink": "#801650",
    "orange": "#F46A25",
    "dark_grey": "#3D3D3D",
    "light_purple": "#A285D1",
}
HOME_COLOUR = PALETTE["dark_blue"]
OTHER_COLOUR = "#A0A0A0"
MEDIAN_COLOUR = PALETTE["orange"]
#: RAG colours with the word and a symbol that carry the same meaning without colour.
RAG_STYLE = {
    "Green": ("#00703C", "✔"),
    "Amber": ("#B25B00", "▲"),
    "Red": ("#D4351C", "✖"),
}


def _figure_of(ax: Axes) -> Figure:
    """The figure ``ax`` is drawn in: the top-level figure when ``ax`` lies in a subfigure."""
    fig = ax.figure
    return fig if isinstance(fig, Figure) else fig.figure


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
    """Axis label with its unit once, e.g. ``Recycling rate (%)``; a title that already ends in
    ``(unit)`` is kept as it is (never ``Quality of life (score) (score)``)."""
    return label_with_unit(title, unit)


def count_ticks(axis: Axis) -> None:
    """Whole-number ticks on an axis that counts things (indicators, councils, actions): never
    2.5 indicators."""
    axis.set_major_locator(MaxNLocator(integer=True))


def plot_category_counts(
    counts: pd.Series,
    *,
    title: str,
    xlabel: str = "Number of indicators",
    colours: dict[str, str] | None = None,
) -> Figure:
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
    bar_colours = [
        colour_of.get(c, RAG_STYLE.get(c, (PALETTE["dark_blue"],))[0]) for c in counts.index
    ]
    fig, ax = new_figure(7.5, 0.55 * len(counts) + 1.2)
    positions = np.arange(len(counts))[::-1]
    ax.barh(positions, counts.to_numpy(), color=bar_colours)
    ax.set_yticks(positions, labels)
    for y, value in zip(positions, counts.to_numpy()):
        ax.text(value, y, f" {value:g}", va="center")
    count_ticks(ax.xaxis)
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
        text = (
            "no data"
            if math.isnan(pct)
            else f" {row.numerator:g} of {row.denominator:g} ({pct:.0f}%)"
        )
        ax.text(0 if math.isnan(pct) else pct, y, text, va="center")
    ax.set_xlim(0, 115)
    ax.set_xlabel("Share of indicators (%)")
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(axis="y", visible=False)
    return fig


def plot_comparator_bars(
    values: pd.DataFrame,
    *,
    home: str,
    title: str,
    unit: str = "",
    value_label: str = "Value",
    decimals: int = 1,
) -> Figure:
    """Bars for each council (sorted), the home council in dark blue and labelled, median dashed.

    ``values`` has columns ``name`` and ``value`` (and ``code``); the home council is the row
    whose ``code`` equals ``home``. The median line is drawn only from at least
    :data:`perfeval.stats.comparators.MIN_COMPARATORS` councils with a value, and named in the
    legend with ``decimals`` places (the PI's own), rounded as the tables round. The axis label
    is ``value_label`` with ``unit`` once (:func:`axis_label`).
    """
    data = values.dropna(subset=["value"]).sort_values("value", kind="mergesort")
    is_home = data["code"].eq(home).to_numpy()
    fig, ax = new_figure(8, 0.32 * len(data) + 1.5)
    positions = np.arange(len(data))
    ax.barh(
        positions, data["value"], color=np.where(is_home, HOME_COLOUR, OTHER_COLOUR), hatch=None
    )
    names = [f"{n} (home)" if h else n for n, h in zip(data["name"], is_home)]
    ax.set_yticks(positions, names)
    for label, h in zip(ax.get_yticklabels(), is_home):
        label.set_fontweight("bold" if h else "normal")
    median = summarise_values(data["value"])["median"]  # none from one or two councils
    if not math.isnan(median):
        ax.axvline(
            median,
            color=MEDIAN_COLOUR,
            linestyle="--",
            linewidth=1.5,
            label=f"Median {format_number(median, decimals)}",
        )
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
    bands.set_xticks(
        [12.5, 37.5, 62.5, 87.5],
        ["Bottom quartile", "Third quartile", "Second quartile", "Top quartile"],
        fontsize=8,
    )
    bands.tick_params(length=0)
    ax.set_xlim(-2, 102)
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.set_xlabel("Percentile rank among comparators (100 = best, polarity aligned)")
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(axis="y", visible=False)
    return fig


#: Characters per line of a small multiple's title: at 8 points a 3.2 inch panel holds about
#: 48, so a title wrapped at 34 stays inside its own panel (tested from the text extents).
PANEL_TITLE_WIDTH = 34
ENGLAND_COLOUR = PALETTE["turquoise"]


def wrap_title(title: str, width: int = PANEL_TITLE_WIDTH) -> str:
    """A panel title broken into lines of at most ``width`` characters (words kept whole)."""
    return "\n".join(textwrap.wrap(title, width=width, break_long_words=False)) or title


def year_axis(periods: Iterable[str]) -> tuple[np.ndarray, list[str]]:
    """Every financial year from the first to the last of ``periods`` (a real time axis: a
    year with no value keeps its place), as start years and labels."""
    years = sorted({parse_period(p).fy for p in periods})
    span = np.arange(years[0], years[-1] + 1) if years else np.array([], dtype=int)
    return span, [f"{y}/{(y + 1) % 100:02d}" for y in span]


def _on_years(panel: pd.DataFrame, column: str, span: np.ndarray) -> np.ndarray:
    """``column`` of a panel at each year of ``span`` (NaN where a year has no row: a gap)."""
    by_year = dict(zip((parse_period(p).fy for p in panel["period"]), panel[column]))
    return np.array([by_year.get(int(y), np.nan) for y in span], dtype=float)


def _draw_panel(ax: Axes, panel: pd.DataFrame, span: np.ndarray, england: str) -> None:
    """One indicator's lines: England band and median (when the data has them), comparator
    median, this council; a missing year is a gap in each line."""
    if "england_median" in panel.columns and panel["england_median"].notna().any():
        ax.fill_between(
            span,
            _on_years(panel, "england_lower_quartile", span),
            _on_years(panel, "england_upper_quartile", span),
            color=ENGLAND_COLOUR,
            alpha=0.18,
            linewidth=0,
            label=f"{england} interquartile range",
        )
        ax.plot(
            span,
            _on_years(panel, "england_median", span),
            color=ENGLAND_COLOUR,
            linestyle=":",
            marker="^",
            markersize=4,
            label=f"{england} median",
        )
    ax.plot(
        span,
        _on_years(panel, "median", span),
        color=MEDIAN_COLOUR,
        linestyle="--",
        marker="s",
        markersize=4,
        label="Comparator median",
    )
    ax.plot(
        span,
        _on_years(panel, "home", span),
        color=HOME_COLOUR,
        marker="o",
        linewidth=2,
        label="This council",
    )


def plot_small_multiples(
    trends: pd.DataFrame,
    *,
    title: str,
    columns: int = 3,
    units: Mapping[str, str] | None = None,
    england: str = "England",
) -> Figure:
    """One small panel per indicator: this council (solid, circles), the comparator median
    (dashed, squares) and, where the data has them, the England median (dotted, triangles) and
    interquartile range (shaded band) of authorities of the council's type, as LG Inform draws
    them.

    The time axis is a real one: every year from the first to the last shown keeps its place,
    and a year without a value is a gap in the line. Titles are wrapped to stay inside their
    panel (:func:`wrap_title`); each panel's unit is on its value axis.

    Parameters
    ----------
    trends : DataFrame
        From :func:`perfeval.stats.scorecard.comparator_trends`: ``label`` (panel title),
        ``period``, ``home``, ``median`` and optionally ``england_median``,
        ``england_lower_quartile`` and ``england_upper_quartile``.
    title : str
        The figure's title.
    columns : int
        Panels per row.
    units : mapping, optional
        Unit of each label, for its value axis (``%``, ``days``, ``score``).
    england : str
        What the England figures are, for the legend (e.g. ``England unitary``).
    """
    labels = list(dict.fromkeys(trends["label"]))
    rows = max(1, math.ceil(len(labels) / columns))
    fig = Figure(figsize=(3.2 * columns, 2.7 * rows + 0.8), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False)
    span, names = year_axis(trends["period"])
    step = max(1, math.ceil(len(span) / 3))
    shown = list(range(len(span) - 1, -1, -step))[::-1]  # the latest year always labelled
    for ax, label in zip(axes.flat, labels):
        style_axes(ax)
        _draw_panel(ax, trends[trends["label"] == label], span, england)
        ax.set_xticks(span[shown], [names[i] for i in shown], fontsize=7)
        if len(span):
            ax.set_xlim(span[0] - 0.4, span[-1] + 0.4)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_ylabel((units or {}).get(label, ""), fontsize=7)
        ax.set_title(wrap_title(label), fontsize=8, loc="left")
    for ax in list(axes.flat)[len(labels) :]:
        ax.set_visible(False)
    handles: dict[str, Artist] = {}
    for ax in list(axes.flat)[: len(labels)]:
        for handle, name in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(name, handle)
    rank = {"This council": 0, "Comparator median": 1, f"{england} median": 2}
    order = sorted(handles, key=lambda name: rank.get(name, 3))
    fig.legend(
        [handles[n] for n in order],
        order,
        loc="outside lower center",
        frameon=False,
        ncols=4,
        fontsize=8,
    )
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    return fig


def plot_intervals(
    frame: pd.DataFrame,
    *,
    title: str,
    xlabel: str,
    level: float,
    scale: float = 100.0,
    reference: float | None = None,
    reference_label: str = "",
) -> Figure:
    """Points with interval bars, one row per ``label``, each point labelled with its value.

    ``frame`` has ``label``, ``value``, ``low`` and ``high`` (fractions when ``scale`` = 100,
    e.g. survey estimates and their confidence interval at ``level``). ``reference`` draws a
    dashed vertical line (e.g. zero change) named in the legend.
    """
    data = frame.iloc[::-1]
    fig, ax = new_figure(8, 0.45 * len(data) + 1.6)
    y = np.arange(len(data))
    value = data["value"].to_numpy(float) * scale
    ax.errorbar(
        value,
        y,
        xerr=[
            value - data["low"].to_numpy(float) * scale,
            data["high"].to_numpy(float) * scale - value,
        ],
        fmt="o",
        color=HOME_COLOUR,
        capsize=3,
        label=f"Estimate with {level:.0%} interval",
    )
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


def plot_grouped_bars(
    frame: pd.DataFrame, *, category: str, series: Sequence[str], title: str, ylabel: str
) -> Figure:
    """Grouped vertical bars (e.g. budget and forecast by service), series told apart by hatch."""
    fig, ax = new_figure(9, 4.8)
    x = np.arange(len(frame))
    width = 0.8 / len(series)
    colours = list(PALETTE.values())
    hatches = ["", "//", "..", "xx"]
    for i, name in enumerate(series):
        ax.bar(
            x + (i - (len(series) - 1) / 2) * width,
            frame[name],
            width,
            color=colours[i % len(colours)],
            hatch=hatches[i % len(hatches)],
            edgecolor="white",
            label=name,
        )
    ax.set_xticks(x, frame[category].tolist(), rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(frameon=False)
    return fig


# ---------------------------------------------------------------------------------------------
# Statistical process control (XmR), Making Data Count style

POINT_STYLES = {  # colour (NHSRplotthedots' ptd_spc_colours) and marker: never colour alone
    "common_cause": ("#a6a6a6", "o", "Common cause"),
    "special_cause_improvement": ("#00b0f0", "^", "Special cause: improvement"),
    "special_cause_concern": ("#e46c0a", "X", "Special cause: concern"),
    "special_cause_neutral": ("#490092", "D", "Special cause: neutral"),
}


def _draw_period_lines(ax: Axes, result: pd.DataFrame, x: np.ndarray) -> None:
    for k, rows in enumerate(result.groupby(result["period"].to_numpy()).indices.values()):
        xs = x[rows][[0, -1]]
        first = rows[0]
        ax.plot(
            xs,
            [result["mean"].iloc[first]] * 2,
            color="black",
            lw=1.5,
            label="Mean" if k == 0 else "_nolegend_",
        )
        for column in ("lpl", "upl"):
            ax.plot(
                xs,
                [result[column].iloc[first]] * 2,
                color="#595959",
                lw=1.2,
                ls="--",
                label="Process limits" if (k == 0 and column == "lpl") else "_nolegend_",
            )


def plot_xmr(
    result: pd.DataFrame,
    *,
    title: str,
    unit: str = "",
    labels: Sequence[str] | None = None,
    target: float | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Draw an XmR chart in Making Data Count style.

    Grey circles are common cause, blue triangles improvement, orange crosses concern and purple
    diamonds neutral special causes; solid mean and dashed process limits per period; an optional
    dotted red target line. Uses matplotlib's object-oriented API only (no pyplot, no show).

    Parameters
    ----------
    result : pandas.DataFrame
        The output of :func:`xmr`.
    title : str
        Chart title: one sentence giving the message.
    unit : str, default ""
        Y-axis label.
    labels : sequence of str, optional
        X tick labels, one per row; defaults to the result's index (1..n for a plain index).
    target : float, optional
        Target line; defaults to the target given to :func:`xmr`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.

    Returns
    -------
    matplotlib.figure.Figure
    """
    target = xmr_setting(result, "target", target)
    fig = Figure(figsize=(8, 4.5), layout="constrained") if ax is None else _figure_of(ax)
    ax = fig.add_subplot() if ax is None else ax
    x = np.arange(len(result))
    ax.plot(x, result["value"], color=POINT_STYLES["common_cause"][0], lw=1, zorder=1)
    _draw_period_lines(ax, result, x)
    for point_type, (colour, marker, name) in POINT_STYLES.items():
        rows = (result["point_type"] == point_type).to_numpy()
        if rows.any():
            ax.scatter(
                x[rows],
                result["value"][rows],
                color=colour,
                marker=marker,
                s=45,
                zorder=3,
                label=name,
            )
    if target is not None:
        ax.axhline(target, color="#de1b1b", ls=":", lw=1.5, label="Target")
    _label_axes(ax, result, labels, title, unit)
    return fig


def _label_axes(
    ax: Axes, result: pd.DataFrame, labels: Sequence[str] | None, title: str, unit: str
) -> None:
    if labels is None:
        labels = [point_label(result, i).removeprefix("Point ") for i in range(len(result))]
    if len(labels) != len(result):
        raise AnalysisError(
            f"plot_xmr(): labels has {len(labels)} item(s) but the chart has "
            f"{len(result)} point(s); give one label per point."
        )
    step = max(1, math.ceil(len(labels) / 12))
    rotate = len(labels) > 8
    ax.set_xticks(
        range(0, len(labels), step),
        [str(s) for s in labels][::step],
        rotation=45 if rotate else 0,
        ha="right" if rotate else "center",
    )
    ax.set_title(title)
    ax.set_ylabel(unit)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small", frameon=False)


# ---------------------------------------------------------------------------------------------
# Value for money


def plot_value_for_money(
    result: VfmResult,
    *,
    title: str,
    home: str | None = None,
    names: Mapping[str, str] | None = None,
    score_label: str = "Average performance score",
    spend_label: str = "Net spend per head (£)",
    ax: Axes | None = None,
) -> Figure:
    """Scatter of performance score against spend per head, with quadrants and fitted line.

    The home council is drawn with a larger star marker (not colour alone) and labelled by name;
    dashed median lines divide the quadrants, each labelled in words; the fitted OLS line is
    solid with its confidence band shaded.

    Parameters
    ----------
    result : VfmResult
        Output of :func:`value_for_money`.
    title : str
        A one-sentence title giving the message.
    home : str, optional
        Home council code; defaults to ``result.home``.
    names : mapping, optional
        Authority code -> name, for the home council's label (the code is used otherwise).
    score_label, spend_label : str
        Axis labels.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure is created when None.

    Returns
    -------
    matplotlib.figure.Figure
    """
    home = home if home is not None else result.home
    if ax is None:
        fig = Figure(figsize=(8, 6.5), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = _figure_of(ax)
    t, line = result.table, result.line
    others = t[t["authority"] != home]
    ax.fill_between(
        line["spend_per_head"],
        line["ci_lower"],
        line["ci_upper"],
        color="0.85",
        label=f"{result.level:.0%} confidence band for the line",
    )
    ax.plot(
        line["spend_per_head"],
        line["fitted"],
        color="0.3",
        linestyle="-",
        label="Fitted line (OLS)",
    )
    ax.axvline(result.median_spend, color="0.5", linestyle="--", linewidth=1)
    ax.axhline(
        result.median_score,
        color="0.5",
        linestyle="--",
        linewidth=1,
        label="Median spend and median score",
    )
    ax.scatter(
        others["spend_per_head"],
        others["score"],
        marker="o",
        color=PALETTE["dark_blue"],
        edgecolor="black",
        s=40,
        label="Other councils",
        zorder=3,
    )
    if home is not None and (t["authority"] == home).any():
        row = t.loc[t["authority"] == home].iloc[0]
        name = (names or {}).get(home, home)
        ax.scatter(
            [row["spend_per_head"]],
            [row["score"]],
            marker="*",
            s=260,
            color=PALETTE["orange"],
            edgecolor="black",
            label=f"{name} (home council)",
            zorder=4,
        )
        ax.annotate(
            name,
            (row["spend_per_head"], row["score"]),
            xytext=(8, 8),
            textcoords="offset points",
            fontweight="bold",
        )
    _label_quadrants(ax)
    ax.margins(x=0.1, y=0.12)
    ax.set(xlabel=spend_label, ylabel=score_label, title=title)
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize="small", frameon=False
    )
    return fig


def _label_quadrants(ax: Axes) -> None:
    places = {
        QUADRANTS[0]: (0.02, 0.98, "left", "top"),
        QUADRANTS[1]: (0.98, 0.98, "right", "top"),
        QUADRANTS[2]: (0.02, 0.02, "left", "bottom"),
        QUADRANTS[3]: (0.98, 0.02, "right", "bottom"),
    }
    for text, (x, y, ha, va) in places.items():
        ax.text(
            x,
            y,
            text,
            transform=ax.transAxes,
            ha=ha,
            va=va,
            fontsize="small",
            style="italic",
            color="0.25",
        )


# ---------------------------------------------------------------------------------------------
# Programme evaluation


def plot_parallel_trends(
    values: pd.DataFrame,
    *,
    treated: Iterable[str],
    start: str,
    title: str,
    outcome: str = "value",
    unit: str = "authority",
    period: str = "period",
    comparison: Iterable[str] | None = None,
    outcome_label: str = "Value",
    treated_label: str = "Participating councils",
    comparison_label: str = "Comparison councils",
    ax: Axes | None = None,
) -> Figure:
    """Line chart of group means by period, with the programme start marked.

    Participating councils are a solid line with circle markers, comparison councils a dashed
    line with square markers (line style and marker differ, not colour alone); a dotted vertical
    line marks the start, labelled in words.

    Parameters
    ----------
    values, treated, start, outcome, unit, period, comparison
        As for :func:`estimate_did`.
    title : str
        A one-sentence title giving the message.
    outcome_label, treated_label, comparison_label : str
        Axis and legend labels.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    panel = did_panel(values, treated, start, outcome, unit, period, comparison)
    panel[period] = panel[period].astype(str)
    means = panel.pivot_table(index=period, columns="treated", values="y", aggfunc="mean")
    order = sorted(means.index, key=period_sort_key)
    means = means.reindex(order)
    if ax is None:
        fig = Figure(figsize=(8, 5), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = _figure_of(ax)
    x = np.arange(len(order))
    ax.plot(
        x, means[1.0], linestyle="-", marker="o", color=PALETTE["dark_blue"], label=treated_label
    )
    ax.plot(
        x,
        means[0.0],
        linestyle="--",
        marker="s",
        color=PALETTE["dark_grey"],
        label=comparison_label,
    )
    first_post = next(
        i for i, p in enumerate(order) if period_sort_key(p) >= period_sort_key(start)
    )
    ax.axvline(first_post - 0.5, color="black", linestyle=":", linewidth=1.2)
    ax.annotate(
        f"Programme starts ({start})",
        (first_post - 0.5, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(4, -4),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize="small",
    )
    ax.set_xticks(x, order)
    ax.set(title=title, xlabel="Period", ylabel=outcome_label)
    ax.legend(loc="best", fontsize="small")
    return fig
