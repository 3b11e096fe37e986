"""The end-of-year review's sections: exceptions, outturns, data quality.

Built from the monitoring pieces (:mod:`perfeval.sections.monitoring`: exceptions, commentary,
data-quality register) and the annual report's shared state (:class:`~perfeval.sections.annual.
AnnualReport`); the position among comparable councils is the State of the Nation's
:func:`~perfeval.sections.annual.benchmarking`. Each function returns a
:class:`~perfeval.present.section.Section` and offers the key figures it computes::

    report = review.prepare(data, params)
    s = review.exceptions(report)
    s.record("exceptions")
    display(s)

These sections live beside :mod:`perfeval.sections.annual` rather than in it because
:mod:`~perfeval.sections.monitoring` imports ``annual`` (the budget section): importing
``monitoring`` from ``annual`` would make a cycle, which the import contract forbids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from perfeval.data.loader import Dataset
from perfeval.present import charts, narrative
from perfeval.present.html import symbol_legend
from perfeval.present.section import Section
from perfeval.sections import annual, monitoring
from perfeval.stats import scorecard

__all__ = ["prepare", "exceptions", "outturns", "data_quality"]


def prepare(data: Dataset, params: Mapping[str, Any]) -> annual.AnnualReport:
    """The review's shared state: context, the scorecard with the owners' commentary for the
    year (only the services asked for), its headline shares and the method notes.

    Parameters
    ----------
    data : Dataset
    params : mapping
        The validated parameters (``council``, ``year``, ``comparator_group``, ``services``).

    Returns
    -------
    AnnualReport
        With ``commentary`` True when the data folder holds commentary for the council.
    """
    council, year = params["council"], params["year"]
    context = annual.report_context(data, dict(params), report="end_of_year_review")
    card = monitoring.filter_services(
        monitoring.attach_commentary(
            scorecard.build_scorecard(data, council, year, params["comparator_group"]),
            data,
            council,
            year,
        ),
        params["services"],
    )
    return annual.AnnualReport(
        data=data,
        params=params,
        context=context,
        card=card,
        shares=scorecard.headline_shares(card, year),
        method_notes=(
            *context["method_notes"],
            monitoring.EXCEPTIONS_METHOD,
            monitoring.DATA_QUALITY_METHOD,
        ),
        commentary=monitoring.has_commentary(data, council),
    )


def exceptions(report: annual.AnnualReport) -> Section:
    """Exceptions: indicators red against target or worse than the year before (sentence, chart
    by kind, table with the owners' commentary where there is any). Offers ``exceptions``."""
    card, year = report.card, report.year
    found = monitoring.select_exceptions(card)
    counts = monitoring.count_exceptions(found)
    return (
        Section()
        .text(monitoring.describe_exceptions(found, card, year))
        .text(monitoring.describe_commentary(report.data, report.council))
        .figure(
            charts.plot_category_counts(
                counts, title=f"Exceptions by kind, latest outturn to {year}"
            ),
            alt=narrative.describe_counts(counts, what="exceptions"),
            caption="Indicators red against target and worse than the year before, red "
            "only, and worse only.",
        )
        .table(
            monitoring.exceptions_table(found, commentary=report.commentary),
            caption=monitoring.exceptions_caption(year, commentary=report.commentary),
            row_header="Indicator",
            note=monitoring.EXCEPTIONS_METHOD,
        )
        .offer(
            "exceptions",
            found[["indicator", "period", "rag", "dot", "exception"]],
            f"Indicators red against target or worse than the year before, latest "
            f"outturn to {year}",
        )
    )


def outturns(report: annual.AnnualReport) -> Section:
    """Every indicator's outturn against target: headline sentence, RAG chart and the table of
    outturns. Offers ``rag_counts``, ``headline_shares`` and ``outturns``."""
    card, year = report.card, report.year
    counts = annual.rag_counts(card)
    return (
        Section()
        .text(narrative.describe_headlines(report.shares, council=report.council_name, year=year))
        .figure(
            charts.plot_category_counts(
                counts, title=f"Status against target, latest outturn to {year}"
            ),
            alt=narrative.describe_counts(counts, what="indicators"),
            caption=annual.RAG_CAPTION,
        )
        .table(
            monitoring.outturn_table(card, commentary=report.commentary),
            caption=monitoring.outturn_caption(year, commentary=report.commentary),
            row_header="Indicator",
            note=annual.rag_note(),
        )
        .offer("rag_counts", annual.rag_counts_table(counts))
        .offer("headline_shares", report.shares, f"Headline shares of PIs with a value for {year}")
        .offer(
            "outturns",
            card[["indicator", "period", "value", "target", "rag", "dot", "quartile"]],
            f"Every PI's latest annual outturn to {year} with target, RAG, direction and quartile",
        )
    )


def data_quality(report: annual.AnnualReport) -> Section:
    """Data quality: every value the review relies on that is missing, estimated, provisional or
    revised (sentence, chart by kind, register). Offers ``data_quality``."""
    data, year = report.data, report.year
    flags = monitoring.data_quality_register(
        data.indicator_values, data.indicators, report.card, report.council, year
    )
    counts = monitoring.count_data_quality(flags)
    return (
        Section()
        .text(monitoring.describe_data_quality(flags, year))
        .figure(
            charts.plot_category_counts(
                counts, title="Values that need care, by kind", xlabel="Number of values"
            ),
            alt=narrative.describe_counts(counts, what="values that need care"),
            caption="Values this review relies on that are missing, estimated, "
            "provisional or revised.",
        )
        .table(
            monitoring.data_quality_table(flags),
            row_header="Indicator",
            caption=f"Data-quality register, {year}: missing, estimated, provisional and "
            "revised values",
            note=f"{monitoring.DATA_QUALITY_METHOD} {symbol_legend()}",
        )
        .offer(
            "data_quality",
            flags[["indicator", "period", "issue", "used_for"]],
            f"Values relied on for {year} that are missing, estimated, provisional or revised",
        )
    )
