"""Sections every report family shares: the opening data note and the method and provenance.

Each returns a :class:`~perfeval.present.section.Section`; ``context`` is the report context of
:func:`perfeval.sections.annual.report_context` (council name, data note, sources, tables used,
parameters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from perfeval.present import charts, narrative
from perfeval.present.section import Section

__all__ = ["opening_section", "method_section"]


def opening_section(context: Mapping[str, Any], *, subtitle: str | None = None) -> Section:
    """The report's opening: an optional subtitle line, then the data note (which tables are real
    published figures, which synthetic, which absent)."""
    section = Section()
    if subtitle:
        section.text(subtitle, css_class="subtitle")
    return section.text(context["data_note"], css_class="data-note")


def method_section(
    context: Mapping[str, Any], method_notes: Sequence[str], *, tables_used: bool = True
) -> Section:
    """Method, data sources and provenance: the method notes, the indicators by kind of data (a
    chart and its table), the tables the report used (when ``tables_used``) and the parameters.

    Parameters
    ----------
    context : mapping
        The report context (``source_counts``, ``sources``, ``tables``, ``tables_caption``,
        ``parameters``).
    method_notes : sequence of str
        One sentence per method used, in the order the report uses them.
    tables_used : bool
        Show the table of the data tables the report read and where each came from.
    """
    counts = context["source_counts"]
    section = Section().bullets(method_notes, heading="Method")
    section.figure(
        charts.plot_category_counts(counts, title="Indicators by kind of data"),
        alt=narrative.describe_counts(counts, what="indicators"),
        caption="How many indicators are real published figures and how many are synthetic.",
    )
    section.table(
        context["sources"],
        caption="Indicator sources: which indicators are real "
        "published figures and which are synthetic",
        row_header="Indicators",
    )
    if tables_used:
        section.table(context["tables"], caption=context["tables_caption"], row_header="Table")
    return section.table(
        context["parameters"], caption="Parameters of this run", row_header="Parameter"
    )
