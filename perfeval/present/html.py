"""Accessible, self-contained HTML for report tables and figures.

Every table a report publishes goes through :func:`html_table`: a ``<caption>``, column headers
marked up as ``<th scope="col">``, an optional row-header column, numbers right aligned, all text
HTML-escaped (commentary and names come from data files and may contain ``<`` or ``&``). Every
chart goes through :func:`figure_html`: an embedded PNG (no external files, no scripts) with a text
alternative generated from the data and a visible caption.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from perfeval.core.formatting import format_number, round_half_up  # noqa: F401 - re-exported
from perfeval.data.loader import STATUS_FLAGS, SYMBOLS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Symbols used in published tables and what they mean (shown as a footnote legend).
SYMBOL_LEGEND = dict(SYMBOLS)
#: Flags that may follow a number (``6.9 [p]``) and what they mean.
FLAG_LEGEND = dict(STATUS_FLAGS)

#: A number as a report formats it: sign, pound sign, thousands separators, decimals, a ``%`` or
#: ``k``/``m``/``bn`` suffix, and an optional flag such as `` [p]``.
_NUMBER_TEXT = re.compile(r"[-+\u2212]?£?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:%|k|m|bn)?"
                          r"(?:\s*\[[a-z]+\])?")


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.10g}" if abs(value) < 1e15 else str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _is_numeric_column(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _is_number_text_column(column: pd.Series) -> bool:
    """True when every non-blank cell is a formatted number (``£1,199``, ``55.7%``, ``6.9 [p]``)
    or a statistical symbol, and at least one is a number: such a column is right aligned."""
    texts = [text for text in (_cell_text(value).strip() for value in column) if text]
    numbers = [text for text in texts if _NUMBER_TEXT.fullmatch(text)]
    return bool(numbers) and len(numbers) + sum(t in SYMBOL_LEGEND for t in texts) == len(texts)


def html_table(frame: pd.DataFrame | None, caption: str, *, row_header: str | None = None,
               numeric: Sequence[str] | None = None, note: str | None = None,
               table_id: str | None = None) -> str:
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
    table_id : str, optional
        An ``id`` for the table element.

    Returns
    -------
    str
        An HTML fragment; for a frame with no rows, a sentence saying the table is empty (an
        empty table tells a screen-reader user nothing).
    """
    if frame is None:
        return ""
    if frame.empty:
        return f'<p class="table-empty">{html.escape(caption.rstrip("."))}: no rows to show.</p>'
    numeric = set(numeric) if numeric is not None else {
        c for c in frame.columns
        if _is_numeric_column(frame[c]) or _is_number_text_column(frame[c])}
    ident = f' id="{html.escape(table_id)}"' if table_id else ""
    num_class = ' class="num"'
    head = "".join(f'<th scope="col"{num_class if c in numeric else ""}>'
                   f"{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False, name=None):
        cells = []
        for column, value in zip(frame.columns, record):
            text = html.escape(_cell_text(value))
            css = ' class="num"' if column in numeric else ' class="text"'
            if column == row_header:
                cells.append(f'<th scope="row">{text}</th>')
            else:
                cells.append(f"<td{css}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    foot = f'<p class="table-note">{html.escape(note)}</p>' if note else ""
    return (f'<div class="table-wrap"><table{ident}><caption>{html.escape(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{foot}</div>")


def figure_png_base64(fig: Figure) -> str:
    """The figure as a base64 PNG (deterministic: no software/date metadata); closes it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight",
                metadata={"Software": None})
    try:
        import matplotlib.pyplot as plt
        plt.close(fig)
    except Exception:  # a Figure created without pyplot has nothing to close
        pass
    return base64.b64encode(buffer.getvalue()).decode("ascii")


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
    data = figure_png_base64(fig)
    return (f'<figure class="chart"><img src="data:image/png;base64,{data}" '
            f'alt="{html.escape(alt, quote=True)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def parameters_table(params: dict[str, object]) -> pd.DataFrame:
    """The parameters of a run as a two-column display table, ``Parameter`` and ``Value``.

    Values are shown as a reader would write them: lists joined with commas, an empty list or
    text as ``(none)``, and an empty ``data_dir`` as ``(bundled sample data)``. The exact values
    are in the report's ``manifest.json``.
    """
    def shown(name: str, value: object) -> str:
        if name == "data_dir" and value == "":
            return "(bundled sample data)"
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        return str(value) if value != "" else "(none)"

    return pd.DataFrame({"Parameter": list(params),
                         "Value": [shown(k, v) for k, v in params.items()]})


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
    return HTML(f'<p class="{html.escape(css_class)}">{html.escape(sentence)}</p>')


def show_list(items: Sequence[str], *, heading: str | None = None) -> HTML:
    """A bulleted list of computed sentences, escaped."""
    head = f"<p><strong>{html.escape(heading)}</strong></p>" if heading else ""
    body = "".join(f"<li>{html.escape(item)}</li>" for item in items)
    return HTML(f"{head}<ul>{body}</ul>" if items else f"{head}<p>None.</p>")
