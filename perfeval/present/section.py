"""The Section: one part of a report, built once and shown in every output format.

A section holds, in reading order, sentences, charts (with their text alternative and caption),
tables (with the column that heads each row and a note), bulleted lists and caveats, plus the key
figures it offers for the manifest. Report-section functions (:mod:`perfeval.sections`) build one;
the notebook records the figures it wants and displays it::

    s = annual.headlines(report)
    s.record("headline_shares")
    display(s)

Displayed, a section gives Jupyter two representations (:meth:`Section._repr_mimebundle_`): HTML
rendered through one template (``perfeval/templates/section.html.j2``), which the HTML report and
the PDF show, and a JSON description of the same blocks (:data:`SECTION_MIME`, every number
already formatted as the HTML shows it and every chart as the same PNG) from which the run side
writes the Word document (:mod:`perfeval.run.docx`) without importing the sections. Jupyter and
nbconvert show only the HTML.
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from perfeval.core.exceptions import RecordError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "Section",
    "Text",
    "Chart",
    "Table",
    "Bullets",
    "SECTION_MIME",
    "SECTION_VERSION",
    "render_blocks",
    "table_block",
    "chart_block",
]

#: The MIME type of a section's JSON description in the executed notebook.
SECTION_MIME = "application/vnd.perfeval.section+json"
#: Version of that description; :mod:`perfeval.run.docx` refuses another.
SECTION_VERSION = 1


@dataclass(frozen=True)
class Text:
    """A computed sentence (or short paragraph); ``css_class`` ``finding``, ``data-note``,
    ``caveat``."""

    text: str
    css_class: str = "finding"
    kind: Literal["text"] = "text"


@dataclass(frozen=True)
class Chart:
    """A chart as a PNG (base64), its text alternative and its visible caption."""

    png: str
    alt: str
    caption: str
    kind: Literal["chart"] = "chart"


@dataclass(frozen=True)
class Table:
    """A table with every cell already text, as the reader sees it.

    ``numeric`` flags the right-aligned columns; ``row_header`` names the column whose cells head
    their rows. ``caption`` says what the table shows; ``note`` is printed under it.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str
    row_header: str | None = None
    numeric: tuple[bool, ...] = ()
    note: str | None = None
    kind: Literal["table"] = "table"


@dataclass(frozen=True)
class Bullets:
    """A bulleted list of computed sentences, with an optional lead-in heading."""

    items: tuple[str, ...]
    heading: str | None = None
    kind: Literal["bullets"] = "bullets"


Block = Text | Chart | Table | Bullets


#: A number as a report formats it: sign, pound sign, thousands separators, decimals, a ``%`` or
#: ``k``/``m``/``bn`` suffix, and an optional flag such as `` [p]``.
NUMBER_TEXT = re.compile(
    r"[-+\u2212]?£?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:%|k|m|bn)?"
    r"(?:\s*\[[a-z]+\])?"
)


def cell_text(value: object) -> str:
    """A table cell as shown: blank for None and NaN, integers and floats with thousands
    separators (format numbers first to fix their decimals), anything else as ``str``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.10g}" if abs(value) < 1e15 else str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _is_numeric_column(column: pd.Series) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _is_number_text_column(column: pd.Series) -> bool:
    """True when every non-blank cell is a formatted number (``£1,199``, ``55.7%``, ``6.9 [p]``)
    or a statistical symbol, and at least one is a number: such a column is right aligned."""
    from perfeval.data.loader import SYMBOLS

    symbols = dict(SYMBOLS)
    texts = [text for text in (cell_text(value).strip() for value in column) if text]
    numbers = [text for text in texts if NUMBER_TEXT.fullmatch(text)]
    return bool(numbers) and len(numbers) + sum(t in symbols for t in texts) == len(texts)


def table_block(
    frame: pd.DataFrame,
    caption: str,
    *,
    row_header: str | None = None,
    numeric: Sequence[str] | None = None,
    note: str | None = None,
) -> Table:
    """A :class:`Table` of ``frame`` (its index ignored; format numbers first).

    ``numeric`` lists the columns to right-align; by default the numeric columns and the text
    columns whose cells are all formatted numbers or statistical symbols (``£1,199``, ``[x]``).

    Raises
    ------
    RecordError
        If ``row_header`` is not one of the frame's columns.
    """
    columns = [str(c) for c in frame.columns]
    if row_header is not None and row_header not in columns:
        raise RecordError(
            f"table {caption!r}: the row header {row_header!r} is not one of its "
            f"columns ({', '.join(columns)}); name the column whose cells head "
            f"the rows"
        )
    flags = tuple(
        (str(c) in set(numeric))
        if numeric is not None
        else (_is_numeric_column(frame[c]) or _is_number_text_column(frame[c]))
        for c in frame.columns
    )
    rows = tuple(
        tuple(cell_text(v) for v in record) for record in frame.itertuples(index=False, name=None)
    )
    return Table(
        columns=tuple(columns),
        rows=rows,
        caption=caption,
        row_header=row_header,
        numeric=flags,
        note=note or None,
    )


def figure_png(fig: Figure) -> str:
    """The figure as a base64 PNG (deterministic: no software or date metadata); closes it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    try:
        import matplotlib.pyplot as plt

        plt.close(fig)
    except Exception:  # noqa: BLE001 - a Figure made without pyplot has nothing to close
        pass
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def chart_block(fig: Figure, alt: str, caption: str) -> Chart:
    """A :class:`Chart` of a matplotlib figure (which is closed).

    Raises
    ------
    RecordError
        If the text alternative is empty: every chart needs one (WCAG 1.1.1).
    """
    if not alt or not alt.strip():
        raise RecordError(
            f"chart {caption!r} has no text alternative; pass alt= with what the "
            f"chart shows and its message"
        )
    return Chart(png=figure_png(fig), alt=alt, caption=caption)


@lru_cache(maxsize=1)
def _template() -> Any:
    import jinja2

    from perfeval.core.paths import PACKAGE_DIR

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PACKAGE_DIR / "templates")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    return env.get_template("section.html.j2")


def render_blocks(blocks: Sequence[Block], heading: str | None = None, level: int = 2) -> str:
    """The HTML of a list of blocks (and an optional heading), through the section template."""
    return _template().render(blocks=blocks, heading=heading, level=level).strip()


@dataclass
class Section:
    """One part of a report: blocks in reading order, caveats and the key figures it offers.

    Build it with the chaining methods (each returns the section)::

        Section().text(sentence).figure(fig, alt=sentence, caption=caption).table(frame, caption)

    ``heading`` is optional: the notebooks keep their headings in markdown cells, so that the
    outline is readable without running them; a section made outside a notebook may carry one.
    """

    heading: str | None = None
    blocks: list[Block] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    figures: dict[str, tuple[Any, str | None]] = field(default_factory=dict)

    # -- building --------------------------------------------------------------------------
    def text(self, sentence: str, *, css_class: str = "finding") -> Section:
        """Add a sentence (nothing for ``""``: a sentence that applies only sometimes)."""
        if sentence:
            self.blocks.append(Text(sentence, css_class))
        return self

    def figure(self, fig: Figure | None, *, alt: str, caption: str) -> Section:
        """Add a chart with its text alternative and caption (nothing for ``None``: no data to
        chart, which the section's sentence says)."""
        if fig is not None:
            self.blocks.append(chart_block(fig, alt, caption))
        return self

    def table(
        self,
        frame: pd.DataFrame | None,
        caption: str,
        *,
        row_header: str | None = None,
        numeric: Sequence[str] | None = None,
        note: str | None = None,
    ) -> Section:
        """Add a table (nothing for ``None``; a frame with no rows is said to be empty)."""
        if frame is not None:
            self.blocks.append(
                table_block(frame, caption, row_header=row_header, numeric=numeric, note=note)
            )
        return self

    def bullets(self, items: Sequence[str], *, heading: str | None = None) -> Section:
        """Add a bulleted list (an empty list reads "None.")."""
        self.blocks.append(Bullets(tuple(items), heading))
        return self

    def caveat(self, text: str) -> Section:
        """Add a caveat, shown after the section's blocks (nothing for ``""``)."""
        if text:
            self.caveats.append(text)
        return self

    def offer(self, name: str, value: Any, description: str | None = None) -> Section:
        """Offer a key figure the notebook may :meth:`record` under ``name``."""
        self.figures[name] = (value, description)
        return self

    def extend(self, other: Section) -> Section:
        """Append another section's blocks, caveats and offered figures to this one."""
        self.blocks.extend(other.blocks)
        self.caveats.extend(other.caveats)
        self.figures.update(other.figures)
        return self

    # -- key figures -----------------------------------------------------------------------
    def record(self, *names: str) -> Section:
        """Publish offered key figures for the manifest (all of them when no name is given).

        Raises
        ------
        RecordError
            If a name was not offered by the section (the error lists those that were).
        """
        from perfeval.present.keyfigures import record

        unknown = [n for n in names if n not in self.figures]
        if unknown:
            offered = ", ".join(self.figures) or "none"
            raise RecordError(
                f"this section offers no key figure {unknown[0]!r}; it offers: {offered}"
            )
        for name in names or tuple(self.figures):
            value, description = self.figures[name]
            record(name, value, description=description)
        return self

    # -- showing -------------------------------------------------------------------------
    def all_blocks(self) -> list[Block]:
        """The blocks followed by the caveats (as ``caveat`` sentences)."""
        return [*self.blocks, *(Text(c, "caveat") for c in self.caveats)]

    def to_html(self) -> str:
        """The section's HTML, rendered through the section template."""
        return render_blocks(self.all_blocks(), self.heading)

    def to_json(self) -> dict[str, Any]:
        """The JSON description of :data:`SECTION_MIME` (version :data:`SECTION_VERSION`)."""
        blocks = []
        for block in self.all_blocks():
            item = dict(block.__dict__)
            for key, value in item.items():
                if isinstance(value, tuple):
                    item[key] = [list(v) if isinstance(v, tuple) else v for v in value]
            blocks.append(item)
        return {"version": SECTION_VERSION, "heading": self.heading, "blocks": blocks}

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self.to_html(), SECTION_MIME: self.to_json()}

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return self.to_html()
