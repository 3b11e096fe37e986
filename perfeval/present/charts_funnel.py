"""The funnel plot (Spiegelhalter 2005): councils' rates or proportions against their
denominators, with the 95% and 99.8% control limits around a benchmark.

:func:`funnel_chart` draws it from the two tables :mod:`perfeval.stats.funnel` computes: the
councils (:func:`~perfeval.stats.funnel.assess_units`: ``value``, the denominator, and
``position_95`` / ``position_998``) and the limits on a grid of denominators
(:func:`~perfeval.stats.funnel.funnel_limits`). :func:`funnel_alt_text` is its text alternative:
what is plotted, the benchmark, how many councils lie outside each limit and where the home
council is. A council's position is carried by marker shape as well as colour (circle within the
95% limits, triangle between the 95% and 99.8% limits pointing up or down, square beyond the
99.8% limits) and named in the legend; the limits are told apart by line style (dashed 95%,
solid 99.8%). Nothing here computes a statistic.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from perfeval.core.exceptions import AnalysisError
from perfeval.core.formatting import format_number, join_words, plural
from perfeval.present import charts
from perfeval.stats.funnel import ABOVE, BELOW, BETTER, HIGHER, LOWER, SIMILAR, WORSE

__all__ = [
    "POSITION_STYLE",
    "funnel_alt_text",
    "funnel_chart",
    "limits_outside",
    "point_classes",
    "verdict",
]

#: Marker, colour and legend words of each class of point: within the 95% limits, between the
#: 95% and 99.8% limits (above or below), beyond the 99.8% limits (above or below).
POSITION_STYLE: Mapping[str, tuple[str, str, str]] = {
    "within": ("o", charts.OTHER_COLOUR, "Within the 95% limits"),
    "above_95": ("^", charts.PALETTE["turquoise"], "Above the 95% limit"),
    "below_95": ("v", charts.PALETTE["turquoise"], "Below the 95% limit"),
    "above_998": ("s", charts.PALETTE["dark_pink"], "Above the 99.8% limit"),
    "below_998": ("s", charts.PALETTE["dark_pink"], "Below the 99.8% limit"),
    "not assessed": ("x", charts.PALETTE["dark_grey"], "Not assessed"),
}
_NEEDED = ("value", "position_95", "position_998")


def _check(units: pd.DataFrame, limits: pd.DataFrame, denominator: str) -> None:
    """Raise an AnalysisError naming any column the chart needs and the tables lack."""
    missing = [c for c in (*_NEEDED, denominator) if c not in units.columns]
    missing_limits = [
        c
        for c in ("denominator", "target", "lower_95", "upper_95", "lower_998", "upper_998")
        if c not in limits.columns
    ]
    if missing or missing_limits:
        raise AnalysisError(
            "the funnel chart needs the councils of perfeval.stats.funnel.assess_units and the "
            "limits of funnel_limits at the default levels (95% and 99.8%); missing "
            f"{join_words(missing + missing_limits)}"
        )


def point_classes(units: pd.DataFrame) -> np.ndarray:
    """Each council's class in :data:`POSITION_STYLE`, from its 95% and 99.8% positions.

    Parameters
    ----------
    units : DataFrame
        With ``position_95`` and ``position_998`` (``"above"``, ``"within"``, ``"below"``,
        ``"not assessed"``), as :func:`perfeval.stats.funnel.assess_units` gives them.

    Returns
    -------
    numpy.ndarray of str
    """
    p95 = units["position_95"].astype(object).to_numpy()
    p998 = units["position_998"].astype(object).to_numpy()
    return np.select(
        [p998 == ABOVE, p998 == BELOW, p95 == ABOVE, p95 == BELOW, p95 == "within"],
        ["above_998", "below_998", "above_95", "below_95", "within"],
        "not assessed",
    ).astype(object)


def limits_outside(units: pd.DataFrame) -> dict[str, int]:
    """How many councils lie above and below each limit.

    Returns
    -------
    dict
        ``above_95``, ``below_95``, ``above_998``, ``below_998`` (a council beyond the 99.8%
        limit is also beyond the 95% one, so it counts in both) and ``assessed``.
    """
    p95 = units["position_95"].astype(object)
    p998 = units["position_998"].astype(object)
    return {
        "above_95": int((p95 == ABOVE).sum()),
        "below_95": int((p95 == BELOW).sum()),
        "above_998": int((p998 == ABOVE).sum()),
        "below_998": int((p998 == BELOW).sum()),
        "assessed": int(p95.isin([ABOVE, BELOW, "within"]).sum()),
    }


def funnel_chart(
    units: pd.DataFrame,
    limits: pd.DataFrame,
    *,
    title: str,
    unit: str = "",
    home: str | None = None,
    value_label: str = "Value",
    denominator_label: str = "Denominator",
    scale: float = 1.0,
    decimals: int = 1,
    benchmark_label: str = "Benchmark",
    key: str = "authority",
    denominator: str = "denominator",
    names: Mapping[str, str] | None = None,
) -> Figure:
    """A funnel plot: each council's value against its denominator, with 95% and 99.8% limits.

    Parameters
    ----------
    units : DataFrame
        One row per council, from :func:`perfeval.stats.funnel.assess_units`: ``value`` (on the
        statistic's scale: a proportion 0-1, a rate per person or a ratio), the ``denominator``
        column, ``position_95`` and ``position_998``; ``key`` names the councils and an optional
        ``name`` column their names.
    limits : DataFrame
        From :func:`perfeval.stats.funnel.funnel_limits` on a grid of denominators spanning the
        councils' (e.g. ``np.geomspace``): ``denominator``, ``target``, ``lower_95``,
        ``upper_95``, ``lower_998``, ``upper_998``.
    title : str
        The chart's title.
    unit : str
        The unit of the values once scaled (``%``, ``per 100,000``), for the axis and legend.
    home : str, optional
        The home council's ``key``: drawn as a large star, labelled by name, and named in the
        legend.
    value_label, denominator_label : str
        Axis labels (the unit is added to the value's once).
    scale : float
        Multiplies values, limits and the benchmark for display (100 for a percentage, 100,000
        for a rate per 100,000 people).
    decimals : int
        Decimal places of the benchmark in the legend.
    benchmark_label : str
        What the benchmark is (``England``, ``Comparator group``), for the legend.
    key, denominator : str
        Column names of the council code and denominator in ``units``.
    names : mapping, optional
        Code -> name, used when ``units`` has no ``name`` column.

    Returns
    -------
    matplotlib.figure.Figure
        Denominator on a logarithmic axis when the denominators span more than a factor of 20.

    Raises
    ------
    AnalysisError
        When a column is missing or ``home`` is not among the councils.
    """
    _check(units, limits, denominator)
    if home is not None and home not in set(units[key]):
        raise AnalysisError(
            f"home council {home!r} is not among the funnel plot's councils; pass one of "
            f"{join_words(sorted(map(str, units[key]))[:10])} or None"
        )
    fig, ax = charts.new_figure(8, 5.5)
    grid = limits.sort_values("denominator")
    x = grid["denominator"].to_numpy(dtype=float)
    target = float(grid["target"].iloc[0]) * scale
    ax.axhline(
        target,
        color="black",
        linewidth=1.2,
        label=f"{benchmark_label} {format_number(target, decimals, unit)}",
    )
    for level, style, width in (("95", "--", 1.0), ("998", "-", 1.3)):
        words = "95%" if level == "95" else "99.8%"
        ax.plot(
            x,
            grid[f"upper_{level}"] * scale,
            color=charts.PALETTE["dark_grey"],
            linestyle=style,
            linewidth=width,
            label=f"{words} limits",
        )
        ax.plot(
            x,
            grid[f"lower_{level}"] * scale,
            color=charts.PALETTE["dark_grey"],
            linestyle=style,
            linewidth=width,
        )
    classes = point_classes(units)
    is_home = (units[key] == home).to_numpy() if home is not None else np.zeros(len(units), bool)
    for name, (marker, colour, words) in POSITION_STYLE.items():
        chosen = (classes == name) & ~is_home
        if chosen.any():
            ax.scatter(
                units.loc[chosen, denominator],
                units.loc[chosen, "value"] * scale,
                marker=marker,
                color=colour,
                edgecolor="black",
                linewidth=0.5,
                s=42,
                label=words,
                zorder=3,
            )
    if home is not None:
        row = units.loc[is_home].iloc[0]
        label = _name_of(row, key, names)
        ax.scatter(
            [row[denominator]],
            [row["value"] * scale],
            marker="*",
            s=280,
            color=charts.PALETTE["orange"],
            edgecolor="black",
            label=f"{label} (home council)",
            zorder=4,
        )
        ax.annotate(
            label,
            (row[denominator], row["value"] * scale),
            xytext=(8, 8),
            textcoords="offset points",
            fontweight="bold",
        )
    spread = units[denominator].astype(float)
    spread = spread[spread > 0]
    if len(spread) and spread.max() / spread.min() > 20:
        ax.set_xscale("log")
    ax.set_xlabel(denominator_label)
    ax.set_ylabel(charts.axis_label(value_label, unit))
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize="small", frameon=False
    )
    return fig


def _name_of(row: pd.Series, key: str, names: Mapping[str, str] | None) -> str:
    """A council's name: the ``name`` column, else ``names``, else its code."""
    if "name" in row.index and isinstance(row["name"], str) and row["name"]:
        return row["name"]
    return str((names or {}).get(row[key], row[key]))


def funnel_alt_text(
    units: pd.DataFrame,
    *,
    what: str,
    benchmark: str,
    home_name: str | None = None,
    home_value: str | None = None,
    home_comparison: str | None = None,
) -> str:
    """The funnel plot's text alternative: what is plotted and how many councils lie outside
    each limit, and where the home council is.

    Parameters
    ----------
    units : DataFrame
        The councils as :func:`funnel_chart` takes them.
    what : str
        What is plotted, e.g. ``"Households owed a duty, per 1,000 households, 2024/25"``.
    benchmark : str
        The benchmark in words with its value, e.g. ``"England, 12.3 per 1,000"``.
    home_name, home_value, home_comparison : str, optional
        The home council's name, its value as written, and its comparison (``"Better"``,
        ``"Similar"``, ...), for the last sentence.

    Returns
    -------
    str
    """
    counts = limits_outside(units)
    sentences = [
        f"Funnel plot of {what}: {plural(counts['assessed'], 'council')} against their "
        f"denominators, with 95% and 99.8% control limits around the benchmark ({benchmark})."
    ]
    outside_95 = counts["above_95"] + counts["below_95"]
    outside_998 = counts["above_998"] + counts["below_998"]
    sentences.append(
        f"{_count(outside_95)} outside the 95% limits ({counts['above_95']} above, "
        f"{counts['below_95']} below) and {_count(outside_998, lead=False)} outside the "
        f"99.8% limits ({counts['above_998']} above, {counts['below_998']} below)."
    )
    if home_name is not None:
        where = f" ({home_value})" if home_value else ""
        judged = f", {verdict(home_comparison)}" if home_comparison else ""
        sentences.append(f"{home_name}{where} is the starred point{judged}.")
    return " ".join(sentences)


def verdict(comparison: str) -> str:
    """Fingertips' word as a phrase: ``"Better"`` -> ``"significantly better than the
    benchmark"``, ``"Similar"`` -> ``"similar to the benchmark"``, anything else
    ``"not compared with the benchmark"``."""
    return {
        BETTER: "significantly better than the benchmark",
        WORSE: "significantly worse than the benchmark",
        SIMILAR: "similar to the benchmark",
        HIGHER: "significantly higher than the benchmark",
        LOWER: "significantly lower than the benchmark",
    }.get(comparison, "not compared with the benchmark")


def _count(n: int, *, lead: bool = True) -> str:
    """``"3 councils lie"`` / ``"1 council lies"`` / ``"No council lies"``; ``lead=False`` gives
    the bare count for the second half of a sentence."""
    if not lead:
        return str(n)
    if n == 0:
        return "No council lies"
    return f"{plural(n, 'council')} {'lies' if n == 1 else 'lie'}"
