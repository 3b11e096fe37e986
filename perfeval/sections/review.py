"""The end-of-year performance review (June): exceptions, outturns, data quality.

Every PI's outturn against target with commentary, built on :mod:`perfeval.stats.scorecard` (the
same scorecard as State of the Nation, so the two always agree), with exceptions first (red and
worsening PIs) and a data-quality register of every missing, estimated, provisional and revised
value the review relies on. The review's shared state is the annual report's
(:class:`~perfeval.sections.annual.AnnualReport`, made once by :func:`prepare`); the position
among comparable councils is the State of the Nation's :func:`~perfeval.sections.annual.
benchmarking`. Each section function returns a :class:`~perfeval.present.section.Section` and
offers the key figures it computes::

    report = review.prepare(data, params)
    s = review.exceptions(report)
    s.record("exceptions")
    display(s)

The pieces they are built from (selecting and counting exceptions, the owners' commentary, the
data-quality register) are small pure functions here too: the review is their only user. These
sections live beside :mod:`perfeval.sections.annual` rather than in it to keep ``annual`` to the
State of the Nation; the quarterly report (:mod:`perfeval.sections.monitoring`) shares none of
them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError
from perfeval.core.formatting import format_number
from perfeval.core.periods import parse_period, period_sort_key
from perfeval.data import notes
from perfeval.data.loader import Dataset, council_name
from perfeval.present import charts, narrative
from perfeval.present.html import symbol_legend
from perfeval.present.section import Section
from perfeval.sections import annual, delivery
from perfeval.stats import actions as act
from perfeval.stats import indicators as engine
from perfeval.stats import rag as rag_rule
from perfeval.stats import scorecard
from perfeval.stats.indicator_table import ANNUAL_DESCRIPTION, annual_indicator_table
from perfeval.stats.indicators import describe_symbol

__all__ = [
    "prepare",
    "exceptions",
    "outturns",
    "data_quality",
    "improvement_actions",
    "clinic",
    "RED_AND_WORSE",
    "RED_ONLY",
    "WORSE_ONLY",
    "EXCEPTION_CATEGORIES",
    "DATA_QUALITY_ISSUES",
    "OUTTURN",
    "COMPARISON",
    "IN_YEAR",
    "EXCEPTIONS_METHOD",
    "DATA_QUALITY_METHOD",
    "filter_services",
    "attach_commentary",
    "has_commentary",
    "describe_commentary",
    "exceptions_caption",
    "outturn_caption",
    "select_exceptions",
    "count_exceptions",
    "describe_exceptions",
    "exceptions_table",
    "outturn_table",
    "commentary_texts",
    "data_quality_register",
    "count_data_quality",
    "describe_data_quality",
    "data_quality_table",
]

RED_AND_WORSE, RED_ONLY, WORSE_ONLY = "Red and worse", "Red", "Worse"
#: Exception categories, most serious first.
EXCEPTION_CATEGORIES = (RED_AND_WORSE, RED_ONLY, WORSE_ONLY)
#: Kinds of data-quality issue, in report order.
DATA_QUALITY_ISSUES = ("missing", "estimated", "provisional", "revised")
OUTTURN, COMPARISON, IN_YEAR = (
    "Outturn",
    "Comparison value for direction of travel",
    "In-year (quarterly or monthly) value",
)

EXCEPTIONS_METHOD = (
    "Exceptions: an indicator is listed when its latest outturn is Red against target or its "
    "direction of travel is Worse than the year before; red and worse first, then red only, then "
    "worse only, each in register order."
)
DATA_QUALITY_METHOD = (
    "Data quality: every value the review relies on (the outturn shown, the earlier value behind "
    "its direction of travel, and the quarterly or monthly values within the year) is listed when "
    "it is missing (with the reason its statistical symbol gives), estimated, provisional or "
    "revised. Estimated, provisional and revised outturns are marked [e], [p] and [r] in the "
    "tables; their assessments may change when final figures arrive."
)


def filter_services(card: pd.DataFrame, services: Sequence[str]) -> pd.DataFrame:
    """The scorecard rows of the given services (all rows when ``services`` is empty).

    Raises
    ------
    AnalysisError
        If a service is not in the scorecard, naming the services that are.
    """
    if not services:
        return card.reset_index(drop=True)
    known = sorted(set(card["service"]))
    unknown = [s for s in services if s not in known]
    if unknown:
        raise AnalysisError(
            f"service(s) {unknown} are not in the indicator register; services: {known}"
        )
    return card[card["service"].isin(list(services))].reset_index(drop=True)


def attach_commentary(card: pd.DataFrame, data: Dataset, council: str, year: str) -> pd.DataFrame:
    """The scorecard with each PI's commentary (``commentary`` column).

    Commentary written for the outturn's own period comes first
    (:func:`perfeval.stats.scorecard.add_commentary`). When the latest outturn is older than the
    report year (published data lag) the owner's commentary for the report year is shown instead,
    prefixed "Written for <year>: " so the reader knows it is about a later period.
    """
    out = scorecard.add_commentary(card, data, council)
    written = notes.council_rows(data.commentary, council)
    by_indicator = written[written["period"] == year].set_index("indicator")["commentary"]
    fallback = (
        out["commentary"].isna()
        & out["period"].ne(year)
        & out["indicator"].isin(by_indicator.index)
    )
    out.loc[fallback, "commentary"] = [
        f"Written for {year}: {by_indicator[code]}" for code in out.loc[fallback, "indicator"]
    ]
    return out


def has_commentary(data: Dataset, council: str) -> bool:
    """True when commentary.csv holds commentary of the council (on any indicator or period)."""
    return not notes.council_rows(data.commentary, council).empty


def describe_commentary(data: Dataset, council: str) -> str:
    """One sentence when the data folder has no commentary of the council ("" when it has)."""
    if has_commentary(data, council):
        return ""
    return (
        f"No commentary is in {notes.folder_words(data)} for {council_name(data, council)}, "
        "so the tables below have no owner's commentary."
    )


def exceptions_caption(year: str, *, commentary: bool) -> str:
    """Caption of the exceptions table (naming the owner's commentary only when there is some)."""
    return (
        f"Exceptions: indicators red against target or worse than the year before (latest "
        f"outturn to {year})" + (", with the owner's commentary" if commentary else "")
    )


def outturn_caption(year: str, *, commentary: bool) -> str:
    """Caption of the outturn table (naming the commentary only when there is some)."""
    return (
        f"Every indicator's latest outturn up to {year} against target, with direction of "
        f"travel since the previous year, quartile among comparators"
        + (" and commentary" if commentary else "")
    )


def select_exceptions(card: pd.DataFrame) -> pd.DataFrame:
    """PIs that are Red against target or worse than last year, most serious first.

    Adds ``exception``: "Red and worse", "Red" or "Worse". Rows are ordered by that category
    (in :data:`EXCEPTION_CATEGORIES` order), then as in ``card`` (register order).
    """
    red = card["rag"].astype(object).eq(rag_rule.RED).to_numpy()
    worse = card["dot"].astype(object).eq(engine.WORSE).to_numpy()
    category = np.select([red & worse, red, worse], list(EXCEPTION_CATEGORIES), default="")
    rows = card.assign(exception=category)[red | worse]
    order = rows["exception"].map({c: i for i, c in enumerate(EXCEPTION_CATEGORIES)})
    return (
        rows.assign(_order=order)
        .sort_values("_order", kind="mergesort")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def count_exceptions(exceptions: pd.DataFrame) -> pd.Series:
    """How many exceptions are in each category (every category listed)."""
    return scorecard.count_by_state(exceptions, "exception", EXCEPTION_CATEGORIES)


def describe_exceptions(exceptions: pd.DataFrame, card: pd.DataFrame, year: str) -> str:
    """One sentence: how many PIs are exceptions, of how many, and which are red and worse."""
    counts = count_exceptions(exceptions)
    if exceptions.empty:
        return (
            f"None of the {len(card)} indicators reviewed for {year} is red against target "
            "or worse than the year before."
        )
    both = exceptions.loc[exceptions["exception"] == RED_AND_WORSE, "title"].tolist()
    text = (
        f"{len(exceptions)} of {len(card)} indicators reviewed for {year} are exceptions: "
        f"{counts[RED_AND_WORSE]} red and worse than the year before, {counts[RED_ONLY]} red "
        f"only and {counts[WORSE_ONLY]} worse only."
    )
    if both:
        text += " Red and worse: " + "; ".join(both) + "."
    return text


def exceptions_table(exceptions: pd.DataFrame, *, commentary: bool = True) -> pd.DataFrame:
    """Display table of the exceptions with why each is listed and (when ``commentary``) the
    owner's commentary."""
    table = scorecard.performance_table(exceptions)
    table.insert(1, "Why listed", exceptions["exception"].to_numpy())
    table["Service"] = exceptions["service"].to_numpy()
    if commentary:
        table["Commentary"] = commentary_texts(exceptions)
    return table


def outturn_table(card: pd.DataFrame, *, commentary: bool = True) -> pd.DataFrame:
    """Display table of every PI: outturn, target, RAG, direction, quartile and (when
    ``commentary``) the owner's commentary."""
    table = scorecard.performance_table(card)
    table.insert(1, "Service", card["service"].to_numpy())
    table["Quartile (1 = best)"] = scorecard.quartile_texts(card)
    if commentary:
        table["Commentary"] = commentary_texts(card)
    return table


def commentary_texts(card: pd.DataFrame) -> list[str]:
    """Each row's commentary, blank when it has none."""
    return notes.optional_column(card, "commentary", "").fillna("").astype(str).tolist()


def data_quality_register(
    values: pd.DataFrame, register: pd.DataFrame, card: pd.DataFrame, council: str, year: str
) -> pd.DataFrame:
    """Every value the review relies on that is missing, estimated, provisional or revised.

    A value is relied on when it belongs to one of the scorecard's indicators and is the
    outturn shown, the comparison value behind its direction of travel, or any quarterly or
    monthly value within the report year.

    Parameters
    ----------
    values : DataFrame
        The long ``indicator_values`` table (``authority, indicator, period, value``, optional
        ``status``, ``note``, ``value_symbol``).
    register : DataFrame
        The indicator register (for titles).
    card : DataFrame
        The (possibly service-filtered) scorecard from
        :func:`perfeval.stats.scorecard.build_scorecard`.
    council, year : str

    Returns
    -------
    DataFrame
        ``indicator, title, period, value, issue`` (one of :data:`DATA_QUALITY_ISSUES`),
        ``reason`` (the symbol and its meaning for a missing value, else the status), ``note``
        and ``used_for`` (outturn, comparison value, or in-year value), in register then period
        order.
    """
    mine = values[(values["authority"] == council) & values["indicator"].isin(card["indicator"])]
    labels = {label: parse_period(label) for label in mine["period"].astype(str).unique()}
    fy = parse_period(year).fy
    outturns = set(zip(card["indicator"], card["period"].astype(str)))
    compared = set(zip(card["indicator"], card["comparison_period"].astype(str)))
    keys = list(zip(mine["indicator"], mine["period"].astype(str)))
    in_year = np.array(
        [labels[p].fy == fy and labels[p].kind != "year" for _, p in keys], dtype=bool
    )
    used = np.array([k in outturns or k in compared for k in keys], dtype=bool)
    status = notes.optional_column(mine, "status", "final").astype(object)
    flagged = mine["value"].isna().to_numpy() | status.isin(DATA_QUALITY_ISSUES[1:]).to_numpy()
    rows = mine[flagged & (in_year | used)]
    issue = np.where(rows["value"].isna(), "missing", status[rows.index].astype(str))
    symbols = notes.optional_column(rows, "value_symbol", None)
    reason = [describe_symbol(s) if i == "missing" else i for i, s in zip(issue, symbols)]
    titles = register.set_index("code")["title"]
    row_keys = list(zip(rows["indicator"], rows["period"].astype(str)))
    out = pd.DataFrame(
        {
            "indicator": rows["indicator"].to_numpy(),
            "title": rows["indicator"].map(titles).to_numpy(),
            "period": rows["period"].astype(str).to_numpy(),
            "value": rows["value"].to_numpy(dtype=float),
            "issue": issue,
            "reason": reason,
            "note": notes.optional_column(rows, "note", "").fillna("").to_numpy(),
            "used_for": [
                OUTTURN if k in outturns else COMPARISON if k in compared else IN_YEAR
                for k in row_keys
            ],
        }
    )
    order = {code: i for i, code in enumerate(register["code"])}
    out["_o"], out["_p"] = out["indicator"].map(order), [period_sort_key(p) for p in out["period"]]
    return (
        out.sort_values(["_o", "_p"], kind="mergesort")
        .drop(columns=["_o", "_p"])
        .reset_index(drop=True)
    )


def count_data_quality(flags: pd.DataFrame) -> pd.Series:
    """How many flagged values are missing, estimated, provisional and revised."""
    return scorecard.count_by_state(flags, "issue", DATA_QUALITY_ISSUES)


def describe_data_quality(flags: pd.DataFrame, year: str) -> str:
    """One sentence: how many values the review relies on are flagged, by kind."""
    if flags.empty:
        return (
            f"Every value this review relies on for {year} is final: none is missing, "
            "estimated, provisional or revised."
        )
    counts = count_data_quality(flags)
    parts = ", ".join(f"{int(n)} {kind}" for kind, n in counts.items() if n)
    outturns = int((flags["used_for"] == OUTTURN).sum())
    return (
        f"{len(flags)} values this review relies on for {year} need care ({parts}); "
        f"{outturns} of them are outturns shown in the review."
    )


def data_quality_table(flags: pd.DataFrame) -> pd.DataFrame:
    """Display table of the data-quality register."""
    return pd.DataFrame(
        {
            "Indicator": [f"{t} ({c})" for t, c in zip(flags["title"], flags["indicator"])],
            "Period": flags["period"].to_numpy(),
            "Value": [format_number(v, 2) if pd.notna(v) else "" for v in flags["value"]],
            "Issue": flags["issue"].to_numpy(),
            "Reason": flags["reason"].to_numpy(),
            "Used for": flags["used_for"].to_numpy(),
            "Note": flags["note"].to_numpy(),
        }
    )


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
    card = filter_services(
        attach_commentary(annual.report_scorecard(data, params), data, council, year),
        params["services"],
    )
    return annual.AnnualReport(
        data=data,
        params=params,
        context=context,
        card=card,
        shares=scorecard.headline_shares(card),
        method_notes=(
            *context["method_notes"],
            EXCEPTIONS_METHOD,
            *([act.RESPONSE_METHOD] if has_actions(data, council) else []),
            act.CLINIC_METHOD,
            DATA_QUALITY_METHOD,
        ),
        commentary=has_commentary(data, council),
    )


def exceptions(report: annual.AnnualReport) -> Section:
    """Exceptions: indicators red against target or worse than the year before (sentence, chart
    by kind, table with the owners' commentary where there is any). Offers ``exceptions``."""
    card, year = report.card, report.year
    found = select_exceptions(card)
    counts = count_exceptions(found)
    return (
        Section()
        .text(describe_exceptions(found, card, year))
        .text(describe_commentary(report.data, report.council))
        .figure(
            charts.plot_category_counts(
                counts, title=f"Exceptions by kind, latest outturn to {year}"
            ),
            alt=narrative.describe_counts(counts, what="exceptions"),
            caption="Indicators red against target and worse than the year before, red "
            "only, and worse only.",
        )
        .table(
            exceptions_table(found, commentary=report.commentary),
            caption=exceptions_caption(year, commentary=report.commentary),
            row_header="Indicator",
            note=EXCEPTIONS_METHOD,
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
    outturns. Offers ``rag_counts``, ``headline_shares``, ``outturns`` and ``indicator_table``."""
    card, year = report.card, report.year
    counts = annual.rag_counts(card)
    sentence = annual.describe_headlines(card, council=report.council_name, year=year)
    return (
        Section()
        .text(sentence)
        .table(
            annual.headline_table(report.shares),
            row_header="Measure",
            caption=f"Headline measures, {report.council_name}: each indicator's latest "
            f"outturn up to {year}",
        )
        .figure(
            charts.plot_category_counts(
                counts, title=f"Status against target, latest outturn to {year}"
            ),
            alt=annual.describe_target(card, council=report.council_name, year=year),
            caption=annual.RAG_CAPTION,
        )
        .table(
            outturn_table(card, commentary=report.commentary),
            caption=outturn_caption(year, commentary=report.commentary),
            row_header="Indicator",
            note=annual.rag_note(),
        )
        .offer("rag_counts", annual.rag_counts_table(counts))
        .offer(
            "headline_shares",
            report.shares,
            f"Headline counts of every PI's latest outturn up to {year}, each with its base",
        )
        .offer(
            "outturns",
            card[["indicator", "period", "value", "target", "rag", "dot", "quartile"]],
            f"Every PI's latest annual outturn to {year} with target, RAG, direction and quartile",
        )
        .offer("indicator_table", annual_indicator_table(card), ANNUAL_DESCRIPTION)
    )


def data_quality(report: annual.AnnualReport) -> Section:
    """Data quality: every value the review relies on that is missing, estimated, provisional or
    revised (sentence, chart by kind, register). Offers ``data_quality``."""
    data, year = report.data, report.year
    flags = data_quality_register(
        data.indicator_values, data.indicators, report.card, report.council, year
    )
    counts = count_data_quality(flags)
    return (
        Section()
        .text(describe_data_quality(flags, year))
        .figure(
            charts.plot_category_counts(
                counts, title="Values that need care, by kind", xlabel="Number of values"
            ),
            alt=narrative.describe_counts(counts, what="values that need care"),
            caption="Values this review relies on that are missing, estimated, "
            "provisional or revised.",
        )
        .table(
            data_quality_table(flags),
            row_header="Indicator",
            caption=f"Data-quality register, {year}: missing, estimated, provisional and "
            "revised values",
            note=f"{DATA_QUALITY_METHOD} {symbol_legend()}",
        )
        .offer(
            "data_quality",
            flags[["indicator", "period", "issue", "used_for"]],
            f"Values relied on for {year} that are missing, estimated, provisional or revised",
        )
    )


# --------------------------------------------------------------------------- actions (#17)

NO_ACTION = "no action recorded"
#: The columns of the exceptions' actions published as a key figure.
EXCEPTION_ACTION_COLUMNS = [
    "indicator",
    "exception",
    "action_id",
    "status",
    "effective_due",
    "completed",
    "response",
    "before_period",
    "before_value",
    "after_period",
    "after_value",
]


def has_actions(data: Dataset, council: str) -> bool:
    """True when the folder's actions register holds actions of the council."""
    return not delivery.council_register(data, "actions", council).empty


def values_to(values: pd.DataFrame, council: str, on: pd.Timestamp) -> pd.DataFrame:
    """The council's indicator values for periods ended on or before the report date: what the
    review could know at the year end."""
    mine = notes.council_rows(values, council)
    ends = [pd.Timestamp(act.period_end(parse_period(str(p)))) for p in mine["period"]]
    return mine[[end <= on for end in ends]]


def exception_actions(
    found: pd.DataFrame,
    actions: pd.DataFrame,
    values: pd.DataFrame,
    register: pd.DataFrame,
    on: pd.Timestamp,
) -> pd.DataFrame:
    """Each exception's linked actions and whether its PI responded after each completed one
    (:data:`perfeval.stats.actions.RESPONSE_METHOD`).

    Parameters
    ----------
    found : DataFrame
        The exceptions (:func:`select_exceptions`), most serious first.
    actions : DataFrame
        The council's actions.
    values : DataFrame
        The council's indicator values known at the report date (:func:`values_to`).
    register : DataFrame
        The indicator register (polarity and tolerance).
    on : Timestamp
        The report date.

    Returns
    -------
    DataFrame
        One row per (exception, action), in exception order, then the actions' order; a PI
        without an action has one row with ``action_id`` blank and ``response``
        :data:`NO_ACTION`. Columns :data:`EXCEPTION_ACTION_COLUMNS` plus ``title``
        (the action's), ``overdue``, ``decimals`` and ``unit`` (the PI's).
    """
    rows = []
    for pi in found.itertuples(index=False):
        linked = act.actions_for_pis(actions, [pi.indicator])
        base = {"indicator": pi.indicator, "exception": pi.exception}
        base |= {"decimals": pi.decimals, "unit": pi.unit}
        if linked.empty:
            rows.append({**base, "response": NO_ACTION})
            continue
        late = act.overdue(linked, on)
        for (_, action), is_late in zip(linked.iterrows(), late):
            judged = act.pi_response(action, values, register)
            judged = judged[judged["indicator"] == pi.indicator].iloc[0]
            rows.append(
                {
                    **base,
                    **{k: judged[k] for k in act.RESPONSE_COLUMNS[2:]},
                    "action_id": action["action_id"],
                    "title": action["title"],
                    "status": action["status"],
                    "effective_due": act.effective_due(linked).loc[_],
                    "completed": action.get("completed"),
                    "overdue": bool(is_late),
                }
            )
    columns = [*EXCEPTION_ACTION_COLUMNS, "title", "overdue", "decimals", "unit"]
    return pd.DataFrame(rows, columns=columns)


def status_words(row: Any) -> str:
    """An action's status as the table shows it: complete with its date, or open with its due
    date and, when the rule says so, overdue."""
    if row.response == NO_ACTION:
        return ""
    if row.status == act.COMPLETE:
        return f"complete ({delivery.describe_day(row.completed)})"
    due = f"{row.status}, due {delivery.describe_day(row.effective_due)}"
    return due + ("; overdue" if row.overdue and row.status != act.OVERDUE else "")


def response_words(row: Any) -> str:
    """Whether the PI responded, with the two values compared (their periods in brackets)."""
    if pd.isna(row.before_period) or pd.isna(row.after_period):
        return str(row.response)
    unit = scorecard.unit_symbol(row.unit)
    before = format_number(row.before_value, int(row.decimals), unit)
    after = format_number(row.after_value, int(row.decimals), unit)
    return f"{row.response}: {before} ({row.before_period}) to {after} ({row.after_period})"


def exception_actions_table(rows: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    """Display table of :func:`exception_actions`: PI title with code, why listed, the action
    (or "no action recorded"), its status and whether the PI responded."""
    return pd.DataFrame(
        {
            "Indicator": [delivery.pi_label(register, c) for c in rows["indicator"]],
            "Why listed": rows["exception"].to_numpy(),
            "Action": [
                NO_ACTION if pd.isna(i) else f"{t} ({i})"
                for t, i in zip(rows["title"], rows["action_id"])
            ],
            "Status": [status_words(r) for r in rows.itertuples(index=False)],
            "Did the PI respond?": [
                "" if r.response == NO_ACTION else response_words(r)
                for r in rows.itertuples(index=False)
            ],
        }
    )


def describe_exception_actions(rows: pd.DataFrame) -> str:
    """One sentence: how many exceptions have actions, and how their PIs responded."""
    exceptions = rows["indicator"].nunique()
    without = int((rows["response"] == NO_ACTION).sum())
    acted = rows[rows["response"] != NO_ACTION]
    text = (
        f"{exceptions - without} of {delivery.count_words(exceptions, 'exception')} "
        f"{'has' if exceptions - without == 1 else 'have'} improvement actions recorded "
        f"({delivery.count_words(len(acted), 'action')}, "
        f"{format_number(int((acted['status'] == act.COMPLETE).sum()), 0)} complete); "
        f"{format_number(without, 0)} {'has' if without == 1 else 'have'} no action recorded."
    )
    done = acted[acted["status"] == act.COMPLETE]
    if len(done):
        counts = done["response"].value_counts()
        parts = [f"{int(counts[r])} {r}" for r in act.RESPONSE_STATES if r in counts]
        text += (
            f" How the PI moved after the {delivery.count_words(len(done), 'completed action')}: "
            + notes.join_words(parts)
            + "."
        )
    return text


def improvement_actions(report: annual.AnnualReport) -> Section:
    """Improvement actions for the exceptions: for every red or worsening PI, its actions (or "no
    action recorded"), their status and whether the PI responded after they were completed
    (:data:`perfeval.stats.actions.RESPONSE_METHOD`). Offers ``exception_actions``; one
    sentence when the folder has no actions register for the council."""
    data, council = report.data, report.council
    actions = delivery.council_register(data, "actions", council)
    found = select_exceptions(report.card)
    if actions.empty or found.empty:
        cannot = f"say what is being done about the {delivery.count_words(len(found), 'exception')}"
        return (
            Section()
            .text(
                delivery.describe_absent_register(data, council, "actions", cannot)
                if actions.empty
                else f"No indicator is an exception for {report.year}, so no improvement "
                "action is listed."
            )
            .offer("exception_actions", pd.DataFrame(columns=EXCEPTION_ACTION_COLUMNS))
        )
    on = delivery.report_date(report.params)
    rows = exception_actions(
        found, actions, values_to(data.indicator_values, council, on), data.indicators, on
    )
    return (
        Section()
        .text(describe_exception_actions(rows))
        .table(
            exception_actions_table(rows, data.indicators),
            caption=delivery.with_synthetic_label(
                f"The exceptions' improvement actions, their status at "
                f"{delivery.describe_day(on)} and whether the PI responded",
                data,
                actions,
            ),
            row_header="Indicator",
            note=f"{act.RESPONSE_METHOD} Values are those for periods ended by "
            f"{delivery.describe_day(on)}.",
        )
        .offer(
            "exception_actions",
            rows[EXCEPTION_ACTION_COLUMNS],
            f"Improvement actions of the PIs red or worse to {report.year}, their status at "
            f"{on:%Y-%m-%d} and whether the PI responded",
        )
    )


def share_words(share: float) -> str:
    """The share of the tolerance missed as a percentage ("" without one)."""
    if pd.isna(share):
        return ""
    if np.isinf(share):
        return "beyond a zero tolerance"
    return f"{format_number(100 * share, 0)}%"


def open_action_counts(actions: pd.DataFrame, codes: Sequence[str]) -> list[int]:
    """How many open actions are linked to each PI."""
    if actions.empty:
        return [0 for _ in codes]
    linked = act.actions_for_pis(actions, list(codes))
    open_ = linked[act.is_open(linked).to_numpy()] if len(linked) else linked
    counts = open_["indicator"].value_counts() if len(open_) else pd.Series(dtype=int)
    return [int(counts.get(code, 0)) for code in codes]


def clinic_table(listed: pd.DataFrame, actions: pd.DataFrame | None) -> pd.DataFrame:
    """Display table of the performance clinic list: rank, PI, why listed, outturn, target,
    share of tolerance missed and (when there is an actions register) its open actions."""
    shown = scorecard.performance_table(listed)
    table = pd.DataFrame(
        {
            "Rank": listed["clinic_rank"].to_numpy(),
            "Indicator": [f"{t} ({c})" for t, c in zip(listed["title"], listed["indicator"])],
            "Why listed": listed["clinic_group"].to_numpy(),
            "Period": shown["Period"].to_numpy(),
            "Value": shown["Value"].to_numpy(),
            "Target": shown["Target"].to_numpy(),
            "Share of tolerance missed": [share_words(v) for v in listed["tolerance_missed"]],
        }
    )
    if actions is not None:
        table["Open actions"] = open_action_counts(actions, listed["indicator"].tolist())
    return table


def describe_clinic(listed: pd.DataFrame, year: str) -> str:
    """One sentence: how many PIs are on the clinic list, by group, and the first."""
    following = parse_period(year).shift(1).label
    if listed.empty:
        return (
            f"No indicator is red or worsening in {year}: the clinic list for {following} is empty."
        )
    counts = listed["clinic_group"].value_counts()
    parts = [f"{int(counts.get(g, 0))} {g}" for g in act.CLINIC_GROUPS]
    first = listed.iloc[0]
    return (
        f"{delivery.count_words(len(listed), 'indicator')} "
        f"{'is' if len(listed) == 1 else 'are'} on the performance clinic list for {following} "
        f"({notes.join_words(parts)}); first: {first['title']} ({first['indicator']})."
    )


def clinic(report: annual.AnnualReport) -> Section:
    """The performance clinic list for the coming year: the red or worsening PIs in the order
    of :data:`perfeval.stats.actions.CLINIC_METHOD`, the rule stated under the table. Offers
    ``performance_clinic``."""
    data = report.data
    listed = act.clinic_list(report.card, data.indicators)
    actions = delivery.council_register(data, "actions", report.council)
    following = parse_period(report.year).shift(1).label
    return (
        Section()
        .text(describe_clinic(listed, report.year))
        .table(
            clinic_table(listed, None if actions.empty else actions),
            caption=f"Performance clinic list for {following}: indicators red against target "
            f"or worsening in {report.year}, most in need of attention first",
            row_header="Indicator",
            note=act.CLINIC_METHOD,
        )
        .offer(
            "performance_clinic",
            listed[["clinic_rank", "indicator", "clinic_group", "tolerance_missed"]],
            f"Performance clinic list for {following}, ranked as the method says",
        )
    )
