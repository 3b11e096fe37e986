"""Charts of the actions and risks registers (issue #17): the 5 x 5 risk heat map and the
completion of a plan over time.

The heat map names every cell's band in words beside its count, so the band is never carried by
colour alone, and each cell's text is black or white, whichever contrasts more with the cell
(at least :data:`MIN_CONTRAST`, the WCAG AA ratio for normal text). Figures are built with the
object-oriented matplotlib API, as in :mod:`perfeval.present.charts`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap, to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from perfeval.core.exceptions import AnalysisError
from perfeval.present import charts
from perfeval.stats.risks import (
    DEFAULT_BANDS,
    IMPACT_WORDS,
    LIKELIHOOD_WORDS,
    SCALE,
    Band,
    band_of,
    check_bands,
)

__all__ = ["band_colours", "contrast_ratio", "plot_completion", "plot_heat_map", "text_colour"]

#: The colours of the bands, lowest band to highest: light turquoise to the palette's dark pink.
BAND_RAMP = ("#DDF1EF", "#FBE3C6", "#F8A56F", "#C0395F", charts.PALETTE["dark_pink"])
#: The least contrast between a cell's text and its colour (WCAG 2 AA, normal text).
MIN_CONTRAST = 4.5
LIKELIHOOD_LABEL = "Likelihood (1 rare - 5 almost certain)"
IMPACT_LABEL = "Impact (1 negligible - 5 severe)"


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a colour (0 black to 1 white)."""
    channels = np.array(to_rgb(colour))
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ np.array([0.2126, 0.7152, 0.0722]))


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two colours, 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with ``background``."""
    return max(("#000000", "#FFFFFF"), key=lambda text: contrast_ratio(text, background))


def band_colours(bands: Sequence[Band] = DEFAULT_BANDS) -> dict[str, str]:
    """A colour for each band, lightest for the lowest scores (:data:`BAND_RAMP`).

    Parameters
    ----------
    bands : sequence of (name, lowest, highest)
        Checked with :func:`perfeval.stats.risks.check_bands`.

    Returns
    -------
    dict
        Band name -> hex colour.
    """
    ordered = check_bands(bands)
    ramp = LinearSegmentedColormap.from_list("bands", list(BAND_RAMP))
    places = np.linspace(0, 1, len(ordered)) if len(ordered) > 1 else np.array([0.0])
    return {name: to_hex(ramp(place)) for (name, _, _), place in zip(ordered, places)}


def _check_counts(counts: pd.DataFrame) -> None:
    """AnalysisError unless ``counts`` has impacts 1-5 as rows and likelihoods 1-5 as columns."""
    if set(counts.index) != set(SCALE) or set(counts.columns) != set(SCALE):
        raise AnalysisError(
            "the heat map needs a 5 x 5 table of counts with impact 1-5 as rows and likelihood "
            f"1-5 as columns (perfeval.stats.risks.heat_map_counts); got rows "
            f"{list(counts.index)} and columns {list(counts.columns)}"
        )


def plot_heat_map(
    counts: pd.DataFrame,
    bands: Sequence[Band] = DEFAULT_BANDS,
    title: str = "Risks by likelihood and impact",
) -> Figure:
    """The 5 x 5 risk heat map: every cell labelled with its count and its band in words.

    Parameters
    ----------
    counts : DataFrame
        :func:`perfeval.stats.risks.heat_map_counts` (impact rows, likelihood columns).
    bands : sequence of (name, lowest, highest)
        The bands of the score likelihood x impact.
    title : str
        The chart's title.

    Returns
    -------
    Figure

    Raises
    ------
    AnalysisError
        When ``counts`` is not a 5 x 5 table of impact by likelihood.
    ParameterError
        When the bands are not valid.
    """
    _check_counts(counts)
    colours = band_colours(bands)
    fig, ax = charts.new_figure(7.0, 6.0)
    for impact in SCALE:
        for likelihood in SCALE:
            band = band_of(impact * likelihood, bands)
            fill = colours[band]
            ax.add_patch(
                Rectangle(
                    (likelihood - 0.5, impact - 0.5), 1, 1, facecolor=fill, edgecolor="white", lw=2
                )
            )
            count = int(counts.loc[impact, likelihood])
            ax.text(
                likelihood,
                impact,
                f"{count}\n{band}",
                ha="center",
                va="center",
                color=text_colour(fill),
                fontsize=11,
                linespacing=1.4,
            )
    ax.set_xlim(0.5, 5.5)
    ax.set_ylim(0.5, 5.5)
    ax.set_aspect("equal")
    ax.set_xticks(list(SCALE), [f"{n}\n{LIKELIHOOD_WORDS[n]}" for n in SCALE], fontsize=8)
    ax.set_yticks(list(SCALE), [f"{n} {IMPACT_WORDS[n]}" for n in SCALE], fontsize=8)
    ax.set_xlabel(LIKELIHOOD_LABEL)
    ax.set_ylabel(IMPACT_LABEL)
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(False)
    ax.spines[["left", "bottom"]].set_visible(False)
    ax.tick_params(length=0)
    return fig


def plot_completion(series: pd.Series, title: str = "Actions complete over time") -> Figure:
    """The share of a plan's actions complete at the end of each period: a line with markers,
    each point labelled with its percentage, the y axis 0-100 %.

    Parameters
    ----------
    series : Series
        Percent complete (0-100) indexed by period label, in time order, e.g.
        ``completion_over_time(...).set_index("period")["percent"]``; a missing value is a gap.
    title : str
        The chart's title.

    Returns
    -------
    Figure

    Raises
    ------
    AnalysisError
        When the series is empty or holds a value outside 0-100.
    """
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    if len(values) == 0:
        raise AnalysisError("there are no periods to chart; pass at least one period's share")
    outside = (values < 0) | (values > 100)
    if outside.any():
        raise AnalysisError(
            f"completion must be a percentage from 0 to 100; got {values[outside].tolist()}"
        )
    fig, ax = charts.new_figure(8.0, 4.0)
    x = np.arange(len(values))
    ax.plot(x, values, color=charts.HOME_COLOUR, marker="o", linewidth=2)
    for xx, value in zip(x, values):
        if not np.isnan(value):
            ax.annotate(
                f"{value:.0f}%",
                (xx, value),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=8,
                annotation_clip=False,
            )
    ax.set_xticks(x, [str(label) for label in series.index], fontsize=8)
    ax.set_xlim(-0.5, len(values) - 0.5)
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.set_ylabel("Actions complete (%)")
    ax.set_title(title, loc="left", fontsize=11)
    return fig
