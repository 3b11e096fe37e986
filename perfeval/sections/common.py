"""Sections every report family shares: the opening data note and the method and provenance.

Each returns a :class:`~perfeval.present.section.Section`; ``context`` is the report context of
:func:`perfeval.sections.annual.report_context` (council name, data note, sources, tables used,
parameters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from perfeval.core.formatting import join_words
from perfeval.present import charts, narrative
from perfeval.present.section import Section
from perfeval.stats.rag import AMBER, GREEN, RED

__all__ = ["opening_section", "method_section", "describe_against_target", "counted_states"]


def counted_states(counts: pd.DataFrame) -> str:
    """The counts of :func:`perfeval.stats.scorecard.target_counts` (or ``direction_counts``)
    in words, every state listed: ``"9 on target (Green), 10 within tolerance (Amber), 6 beyond
    tolerance (Red), 1 no data and 2 no target"``."""
    rag = {GREEN, AMBER, RED}
    return join_words(
        f"{int(n):,} {words}" + (f" ({state})" if state in rag else "")
        for n, words, state in zip(counts["numerator"], counts["measure"], counts["state"])
    )


def describe_against_target(
    counts: pd.DataFrame, *, what: str = "indicators", owner: str = "", scope: str = ""
) -> str:
    """The headline count against target: its base, then every state, adding up to the base.

    The one sentence State of the Nation, the end-of-year review and the quarterly report use,
    with the words of :data:`perfeval.stats.scorecard.TARGET_WORDS`.

    Parameters
    ----------
    counts : DataFrame
        From :func:`perfeval.stats.scorecard.target_counts` (``state``, ``measure``,
        ``numerator``, ``denominator``).
    what : str
        What is counted, in the plural (``"indicators"``, ``"quarterly and monthly
        indicators"``); made singular for one.
    owner : str
        Whose they are, with its possessive (``"Rutland's "``), or ``""``.
    scope : str
        Which values are counted, after the base (``", each at its latest value up to
        2024/25"``), or ``""``.

    Returns
    -------
    str
        E.g. ``"Of Melton's 4 indicators, each at its latest value up to 2024/25: 0 on target
        (Green), 4 within tolerance (Amber), 0 beyond tolerance (Red), 0 no data and 0 no
        target."``; ``"No indicators to assess against target."`` when none is counted.
    """
    total = int(counts["numerator"].sum())
    if total == 0:
        return f"No {what} to assess against target{scope}."
    return f"Of {owner}{narrative.counted(total, what)}{scope}: {counted_states(counts)}."


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
