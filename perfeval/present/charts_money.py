"""Charts drawn only by the value-for-money report.

Like :mod:`perfeval.present.charts`, each function returns a matplotlib Figure built with the
object-oriented API, and never lets colour alone carry meaning (line style and marker shape
separate the series too).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from perfeval.present import charts
from perfeval.stats.budget import SPEND_TITLE

__all__ = ["plot_real_terms"]


def plot_real_terms(
    trend: pd.DataFrame, *, council_name: str, base_year: str, spend_title: str = SPEND_TITLE
) -> Figure:
    """Line chart of spend per head in real terms by year (the years with a real value; a year
    with no GDP deflator yet is left to the table, in cash).

    Parameters
    ----------
    trend : DataFrame
        period, home_real and median_real, one row per year in order (as from
        :func:`perfeval.sections.vfm.real_terms_trend`).
    council_name : str
        The home council's name, for the legend.
    base_year : str
        The price base, for the axis label and title.
    spend_title : str
        What the spend is, for the title (e.g. "Total service expenditure").

    Returns
    -------
    Figure
        Home council solid with circles, comparison median dashed with squares.
    """
    fig, ax = charts.new_figure(8, 4.5)
    trend = trend.dropna(subset=["home_real", "median_real"], how="all")
    x = np.arange(len(trend))
    ax.plot(
        x, trend["home_real"], color=charts.HOME_COLOUR, marker="o", linewidth=2, label=council_name
    )
    ax.plot(
        x,
        trend["median_real"],
        color=charts.MEDIAN_COLOUR,
        linestyle="--",
        marker="s",
        label="Comparison median",
    )
    ax.set_xticks(x, trend["period"].tolist())
    ax.set_ylabel(f"Spend per head, {base_year} prices (£)")
    ax.set_title(
        f"{spend_title} per head in real terms ({base_year} prices)",
        loc="left",
        fontsize=11,
    )
    ax.legend(frameon=False)
    return fig
