"""Accessible, self-contained HTML for report tables and figures.

Every table a report publishes is rendered by the section template
(``perfeval/templates/section.html.j2``, through :mod:`perfeval.present.section`): a
``<caption>``, column headers marked up as ``<th scope="col">``, an optional row-header column,
numbers right aligned, all text HTML-escaped (commentary and names come from data files and may
contain ``<`` or ``&``). Every chart is an embedded PNG (no external files, no scripts) with a text
alternative generated from the data and a visible caption. The ``show_*`` functions here are the
one-block forms of a :class:`~perfeval.present.section.Section`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from perfeval.core.formatting import format_number, format_parameter, round_half_up  # noqa: F401 - re-exported
from perfeval.data.loader import STATUS_FLAGS, SYMBOLS
from perfeval.present.section import Bullets, Chart, Text, figure_png, render_blocks, table_block

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Symbols used in published tables and what they mean (shown as a footnote legend).
SYMBOL_LEGEND = dict(SYMBOLS)
#: Flags that may follow a number (``6.9 [p]``) and what they mean.
FLAG_LEGEND = dict(STATUS_FLAGS)


def html_table(
    frame: pd.DataFrame | None,
    caption: str,
    *,
    row_header: str | None = None,
    numeric: Sequence[str] | None = None,
    note: str | None = None,
) -> str:
    """An accessible HTML table of ``frame`` (index ignored), with every cell escaped.

    Parameters
    ----------
    frame : DataFrame or None
        Cells are shown as ``str(value)``; format numbers first (e.g. with :func:`format_number`)
        to control decimals and units. NaN cells are blank. None (a section whose data are
        absent, whose sentence says so) gives an empty string.
    caption : str
        Says what the table shows, for when and from which source.
    row_header : str, optional
        Column whose cells head their rows (``<th scope="row">``), e.g. the indicator name.
    numeric : sequence of str, optional
        Columns to right-align; by default the numeric-dtype columns and the text columns whose
        cells are all formatted numbers or statistical symbols (``£1,199``, ``55.7%``, ``[x]``).
    note : str, optional
        A note printed under the table (e.g. the symbol legend or a caveat).

    Returns
    -------
    str
        An HTML fragment; for a frame with no rows, a sentence saying the table is empty (an
        empty table tells a screen-reader user nothing).
    """
    if frame is None:
        return ""
    return render_blocks(
        [table_block(frame, caption, row_header=row_header, numeric=numeric, note=note)]
    )


def figure_png_base64(fig: Figure) -> str:
    """The figure as a base64 PNG (deterministic: no software/date metadata); closes it."""
    return figure_png(fig)


def figure_html(fig: Figure | None, alt: str, caption: str) -> str:
    """A ``<figure>`` with the chart embedded as PNG, its text alternative and a caption.

    Parameters
    ----------
    fig : matplotlib Figure or None
        The chart; it is closed after rendering so it is not displayed twice. None (a section
        with no data to chart, whose sentence says so) gives an empty string.
    alt : str
        Text alternative stating what the chart shows and its message, generated from the data.
    caption : str
        Visible caption (usually the chart's one-sentence message and its source).

    Returns
    -------
    str
        An HTML fragment.
    """
    if fig is None:
        return ""
    return render_blocks([Chart(png=figure_png(fig), alt=alt, caption=caption)])


def parameters_table(params: dict[str, object]) -> pd.DataFrame:
    """The parameters of a run as a two-column display table, ``Parameter`` and ``Value``.

    Values are shown as a reader would write them
    (:func:`~perfeval.core.formatting.format_parameter`: lists joined in words, yes/no, an empty
    list or text as ``(none)``), and an empty ``data_dir`` as ``(bundled sample data)``. The exact
    values are in the report's ``manifest.json``.
    """

    def shown(name: str, value: object) -> str:
        if name == "data_dir" and value == "":
            return "(bundled sample data)"
        return format_parameter(value)

    return pd.DataFrame(
        {"Parameter": list(params), "Value": [shown(k, v) for k, v in params.items()]}
    )


def symbol_legend(symbols: Sequence[str] | None = None) -> str:
    """Footnote text explaining the statistical symbols (all, or those given)."""
    used = [s for s in SYMBOL_LEGEND if symbols is None or s in set(symbols)]
    return "; ".join(f"{s} {SYMBOL_LEGEND[s]}" for s in used)


class HTML:
    """A fragment of HTML that Jupyter displays as HTML (and nbconvert exports as is)."""

    def __init__(self, fragment: str) -> None:
        self.fragment = fragment

    def _repr_html_(self) -> str:
        return self.fragment

    def __str__(self) -> str:
        return self.fragment


def show_table(frame: pd.DataFrame | None, caption: str, **kwargs) -> HTML:
    """:func:`html_table` wrapped for display as the last expression of a notebook cell."""
    return HTML(html_table(frame, caption, **kwargs))


def show_figure(fig: Figure | None, alt: str, caption: str) -> HTML:
    """:func:`figure_html` wrapped for display as the last expression of a notebook cell."""
    return HTML(figure_html(fig, alt, caption))


def show_text(sentence: str, *, css_class: str = "finding") -> HTML:
    """A computed sentence for the report, escaped, as a paragraph (nothing for ``""``: a
    sentence that only applies sometimes, such as why some indicators are not ranked)."""
    if not sentence:
        return HTML("")
    return HTML(render_blocks([Text(sentence, css_class)]))


def show_list(items: Sequence[str], *, heading: str | None = None) -> HTML:
    """A bulleted list of computed sentences, escaped."""
    return HTML(render_blocks([Bullets(tuple(items), heading)]))
