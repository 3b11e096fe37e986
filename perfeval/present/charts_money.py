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

__all__ = ["plot_real_terms"]


def plot_real_terms(trend: pd.DataFrame, *, council_name: str, base_year: str) -> Figure:
    """Line chart of net spend per head in real terms by year.

    Parameters
    ----------
    trend : DataFrame
        period, home_real and median_real, one row per year in order (as from
        :func:`perfeval.sections.vfm.real_terms_trend`).
    council_name : str
        The home council's name, for the legend.
    base_year : str
        The price base, for the axis label and title.

    Returns
    -------
    Figure
        Home council solid with circles, comparison median dashed with squares.
    """
    fig, ax = charts.new_figure(8, 4.5)
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
    ax.set_ylabel(f"Net spend per head, {base_year} prices (£)")
    ax.set_title(
        f"Net current expenditure per head in real terms ({base_year} prices)",
        loc="left",
        fontsize=11,
    )
    ax.legend(frameon=False)
    return fig
