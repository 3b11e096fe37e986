"""Delivery: the improvement actions and the risk register (issue #17), in the sections the
quarterly monitoring report and State of the Nation share, and the helpers the end-of-year review
uses for its exceptions' actions.

The rules are :mod:`perfeval.stats.actions` (open, overdue, due this quarter) and
:mod:`perfeval.stats.risks` (scores, bands, heat map, risks that rose, are past review or above
target); the heat map is :func:`perfeval.present.charts_risks.plot_heat_map`. Every rule takes the
report date (:func:`report_date`: the last day of the quarter reported, or of the financial year),
never today's clock. Both registers are optional: a section whose register is absent, or holds no
row of the council, is one sentence saying so::

    s = delivery.actions_due(report)
    s.record("actions_by_service", "actions_overdue")
    display(s)

``report`` is any prepared report with ``data`` and ``params`` (``council``, ``year`` and, for
the quarterly report, ``quarter``): :class:`perfeval.sections.monitoring.QuarterlyReport` or
:class:`perfeval.sections.annual.AnnualReport`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from perfeval.core.formatting import format_number, plural
from perfeval.core.periods import Period, parse_period
from perfeval.data import notes
from perfeval.data.loader import Dataset, council_name
from perfeval.present import charts_risks
from perfeval.present.section import Section
from perfeval.stats import actions as act
from perfeval.stats import risks as rk

__all__ = [
    "report_date",
    "report_bands",
    "describe_day",
    "count_words",
    "council_register",
    "describe_absent_register",
    "with_synthetic_label",
    "actions_due",
    "risk_register",
    "risks_to_watch",
    "service_delivery",
    "service_table",
    "method_notes",
    "summary",
]

#: How each register is named in a sentence.
REGISTER_WORDS = {
    "actions": "actions register (actions.csv)",
    "risks": "risk register (risks.csv)",
}
PRIORITY_WORDS = {"H": "High", "M": "Medium", "L": "Low"}
#: How many of a service's risks the service table names.
TOP_RISKS_PER_SERVICE = 2
SERVICE_NOTE = (
    "Each action and risk is counted in its own service or, where that is blank, in the service "
    "of its first linked PI; an action or risk with neither is under 'not stated'. Top risks: the "
    "service's corporate risks with the highest residual score (likelihood x impact), at most "
    f"{TOP_RISKS_PER_SERVICE}."
)


# --------------------------------------------------------------------------- small helpers


def report_date(params: Mapping[str, Any]) -> pd.Timestamp:
    """The date the registers are judged on: the last day of the quarter reported (``quarter``
    given) or of the financial year (``2025-03-31`` for ``2024/25``)."""
    year = parse_period(str(params["year"]))
    quarter = params.get("quarter")
    period = Period("quarter", year.fy, int(quarter)) if quarter else year
    return pd.Timestamp(act.period_end(period))


def report_bands(params: Mapping[str, Any]) -> tuple[rk.Band, ...]:
    """The council's risk bands: the ``risk_bands`` parameter read by
    :func:`perfeval.stats.risks.parse_bands` (:data:`perfeval.stats.risks.DEFAULT_BANDS` when the
    parameters have none, as a stand-in report's may not).

    Raises
    ------
    ParameterError
        When an item is not ``name: lowest-highest`` or the bands leave a gap or overlap.
    """
    items = params.get("risk_bands")
    return rk.DEFAULT_BANDS if items is None else rk.parse_bands(items)


def describe_day(day: Any) -> str:
    """A date the UK way without a leading zero: ``1 December 2024`` ("" for a blank)."""
    if day is None or pd.isna(day):
        return ""
    stamp = pd.Timestamp(day)
    return f"{stamp.day} {stamp:%B %Y}"


def count_words(n: int, noun: str, plural_noun: str | None = None) -> str:
    """``1 action``, ``2 actions`` (:func:`perfeval.core.formatting.plural`)."""
    return plural(n, noun, plural_noun)


def council_register(data: Dataset, table: str, council: str) -> pd.DataFrame:
    """The council's rows of the ``actions`` or ``risks`` table (empty when it is absent, or
    when ``data`` is a stand-in without the table)."""
    frame = getattr(data, table, None)
    if frame is None:
        return pd.DataFrame()
    return notes.council_rows(frame, council).reset_index(drop=True)


def describe_absent_register(data: Dataset, council: str, table: str, cannot: str) -> str:
    """The sentence of a section whose register is absent: what the report cannot say."""
    return (
        f"No {REGISTER_WORDS[table]} is in {notes.folder_words(data)} for "
        f"{council_name(data, council)}, so this report cannot {cannot}."
    )


def with_synthetic_label(caption: str, data: Dataset, rows: pd.DataFrame) -> str:
    """A caption with the rows' synthetic label in brackets, when they carry one."""
    label = notes.synthetic_label(data, rows)
    return f"{caption} ({label})" if label else caption


def labelled(titles: pd.Series, ids: pd.Series) -> list[str]:
    """``Title (ID)`` for each row: the register's words, the code in brackets."""
    return [f"{t} ({i})" for t, i in zip(titles.astype(str), ids.astype(str))]


def pi_label(register: pd.DataFrame, code: str) -> str:
    """A PI as ``Title (CODE)`` from the indicator register (the code alone when unknown)."""
    titles = dict(zip(register["code"].astype(str), register["title"].astype(str)))
    return f"{titles[code]} ({code})" if code in titles else code


# --------------------------------------------------------------------------- actions


def describe_actions_due(totals: Mapping[str, int], on: pd.Timestamp, quarter: str) -> str:
    """One sentence: overdue and due-this-quarter actions, of the open actions (the base)."""
    opened = int(totals["open"])
    if not opened:
        return (
            f"At {describe_day(on)} no action is open: "
            f"{count_words(int(totals['total']), 'action')} in all, "
            f"{format_number(int(totals['complete']), 0)} complete."
        )
    return (
        f"At {describe_day(on)}, {format_number(int(totals['overdue']), 0)} of "
        f"{count_words(opened, 'open action')} "
        f"{'is' if int(totals['overdue']) == 1 else 'are'} overdue and "
        f"{format_number(int(totals['due_this_quarter']), 0)} "
        f"{'is' if int(totals['due_this_quarter']) == 1 else 'are'} due by the end of {quarter}; "
        f"the register holds {count_words(int(totals['total']), 'action')} in all, "
        f"{format_number(int(totals['complete']), 0)} complete and "
        f"{format_number(int(totals['cancelled']), 0)} cancelled."
    )


def summary_display(summary: pd.DataFrame) -> pd.DataFrame:
    """Display table of :func:`perfeval.stats.actions.action_summary` by service and owner."""
    return pd.DataFrame(
        {
            "Service": summary["service"].to_numpy(),
            "Owner": summary["owner"].to_numpy(),
            "Open": summary["open"].to_numpy(),
            "Overdue": summary["overdue"].to_numpy(),
            "Due this quarter": summary["due_this_quarter"].to_numpy(),
            "Complete": summary["complete"].to_numpy(),
            "All actions": summary["total"].to_numpy(),
        }
    )


def due_words(rows: pd.DataFrame) -> list[str]:
    """Each action's effective due date, with the original when it was revised."""
    due = act.effective_due(rows)
    original = pd.to_datetime(rows["due"])
    revised = notes.optional_column(rows, "revised_due", None).notna()
    return [
        f"{describe_day(d)} (revised from {describe_day(o)})" if r else describe_day(d)
        for d, o, r in zip(due, original, revised)
    ]


def actions_listed(actions: pd.DataFrame, on: pd.Timestamp) -> pd.DataFrame:
    """The open actions overdue or due this quarter, overdue first then by due date, with
    ``effective_due``, ``overdue``, ``due_this_quarter`` and ``disagreement`` (the sentence
    saying how the recorded status and the rule disagree, "" when they agree)."""
    late, due = act.overdue(actions, on), act.due_this_quarter(actions, on)
    disagree = act.status_disagreements(actions, on)["disagreement"]
    rows = actions.assign(
        effective_due=act.effective_due(actions),
        overdue=late,
        due_this_quarter=due,
        disagreement=disagree.reindex(actions.index).fillna(""),
    )[late | due]
    return rows.sort_values(
        ["overdue", "effective_due", "action_id"], ascending=[False, True, True], kind="mergesort"
    ).reset_index(drop=True)


def listed_display(rows: pd.DataFrame) -> pd.DataFrame:
    """Display table of :func:`actions_listed`."""
    return pd.DataFrame(
        {
            "Action": labelled(rows["title"], rows["action_id"]),
            "Service": rows["service"].fillna(act.NOT_STATED).to_numpy(),
            "Owner": rows["owner"].to_numpy(),
            "Priority": [PRIORITY_WORDS.get(str(p), str(p)) for p in rows["priority"]],
            "Due": due_words(rows),
            "Recorded status": rows["status"].to_numpy(),
            "On the report date": ["overdue" if o else "due this quarter" for o in rows["overdue"]],
            "Note": rows["disagreement"].to_numpy(),
        }
    )


#: The columns of the actions by service and owner published as a key figure.
SUMMARY_FIGURE_COLUMNS = [
    "service",
    "owner",
    "total",
    "complete",
    "open",
    "overdue",
    "due_this_quarter",
    "cancelled",
]
#: The columns of the listed actions published as a key figure.
LISTED_FIGURE_COLUMNS = [
    "action_id",
    "service",
    "owner",
    "priority",
    "effective_due",
    "status",
    "overdue",
    "due_this_quarter",
]


def actions_due(report: Any) -> Section:
    """Actions overdue and due this quarter, by service and owner, and the actions themselves
    (:data:`perfeval.stats.actions.OVERDUE_METHOD`). Offers ``actions_by_service`` and
    ``actions_overdue``; one sentence when the council has no actions register."""
    data, council = report.data, str(report.params["council"])
    frame = council_register(data, "actions", council)
    if frame.empty:
        return (
            Section()
            .text(
                describe_absent_register(
                    data, council, "actions", "say which actions are overdue or due this quarter"
                )
            )
            .offer("actions_by_service", pd.DataFrame(columns=SUMMARY_FIGURE_COLUMNS))
            .offer("actions_overdue", pd.DataFrame(columns=LISTED_FIGURE_COLUMNS))
        )
    on = report_date(report.params)
    quarter = act.financial_quarter(on).label
    filled = act.fill_services(frame, data.indicators)
    summary = act.action_summary(filled, on)
    totals = act.action_summary(filled, on, by=()).iloc[0]
    listed = actions_listed(filled, on)
    return (
        Section()
        .text(describe_actions_due(totals, on, quarter))
        .table(
            summary_display(summary),
            caption=with_synthetic_label(
                f"Actions by service and owner at {describe_day(on)}: open, overdue and due "
                f"by the end of {quarter}",
                data,
                frame,
            ),
            row_header="Service",
            note=f"{act.OVERDUE_METHOD} A blank service is the service of the action's first "
            "linked PI.",
        )
        .table(
            listed_display(listed),
            caption=f"Open actions overdue or due by the end of {quarter}, overdue first",
            row_header="Action",
            note="Where the recorded status and the rule disagree, the note says how; the "
            "rule decides what is counted.",
        )
        .offer(
            "actions_by_service",
            summary,
            f"Actions by service and owner at {on:%Y-%m-%d}: total, complete, open, overdue, "
            "due this quarter and cancelled",
        )
        .offer(
            "actions_overdue",
            listed[LISTED_FIGURE_COLUMNS],
            f"Open actions overdue or due by the end of {quarter}, at {on:%Y-%m-%d}",
        )
    )


# --------------------------------------------------------------------------- risks


def corporate_risks(
    data: Dataset, council: str, bands: Sequence[rk.Band] = rk.DEFAULT_BANDS
) -> pd.DataFrame:
    """The council's corporate risks, scored and banded with ``bands``
    (:func:`perfeval.stats.risks.scored_register`)."""
    frame = rk.in_register(council_register(data, "risks", council))
    return rk.scored_register(frame, bands).reset_index(drop=True)


#: The columns of the heat map published as a key figure.
HEAT_MAP_FIGURE_COLUMNS = ["impact", "likelihood", "score", "band", "count"]


def describe_no_corporate_risks(data: Dataset, council: str, cannot: str) -> str:
    """The sentence when the council has no risk register, or one without corporate risks."""
    if council_register(data, "risks", council).empty:
        return describe_absent_register(data, council, "risks", cannot)
    return (
        f"The risk register of {council_name(data, council)} has no corporate risks (every "
        f"risk is in a service register), so this report cannot {cannot}."
    )


def band_counts(
    scored: pd.DataFrame, bands: Sequence[rk.Band] = rk.DEFAULT_BANDS
) -> dict[str, int]:
    """How many risks are in each residual band, highest band first."""
    return {
        name: int(scored["residual_band"].eq(name).sum())
        for name, _, _ in reversed(rk.check_bands(bands))
    }


def describe_bands(counts: Mapping[str, int]) -> str:
    """``3 high, 6 medium and 3 low``."""
    parts = [f"{format_number(n, 0)} {name}" for name, n in counts.items()]
    return notes.join_words(parts)


def _is_past(n: int) -> str:
    """``is past its review date`` or ``are past their review date``, agreeing with ``n``."""
    return "is past its review date" if n == 1 else "are past their review date"


def _is_above(n: int) -> str:
    """``is above its target score`` or ``are above their target score``."""
    return "is above its target score" if n == 1 else "are above their target score"


def describe_register(
    scored: pd.DataFrame, on: pd.Timestamp, bands: Sequence[rk.Band] = rk.DEFAULT_BANDS
) -> str:
    """One sentence: the corporate register's size, bands and the risks that need attention."""
    rose = int(rk.rose(scored).sum())
    past = int(rk.past_review(scored, on).sum())
    above = int(scored["above_target"].sum())
    return (
        f"At {describe_day(on)} the corporate risk register holds "
        f"{count_words(len(scored), 'risk')}: {describe_bands(band_counts(scored, bands))} "
        f"by residual score; {format_number(rose, 0)} rose since the last review, "
        f"{format_number(past, 0)} {_is_past(past)} and {format_number(above, 0)} "
        f"{_is_above(above)}."
    )


def describe_heat_map(counts: pd.DataFrame, bands: Sequence[rk.Band] = rk.DEFAULT_BANDS) -> str:
    """The heat map's text alternative: the risks in each band and every occupied cell."""
    cells = rk.heat_map_cells(counts, bands)
    taken = cells[cells["count"] > 0]
    by_band = {
        name: int(cells.loc[cells["band"] == name, "count"].sum())
        for name, _, _ in reversed(rk.check_bands(bands))
    }
    where = "; ".join(
        f"Impact {i} {rk.IMPACT_WORDS[i]} and likelihood {li} {rk.LIKELIHOOD_WORDS[li]}: "
        f"{count_words(n, 'risk')} ({band})"
        for i, li, band, n in zip(
            taken["impact"], taken["likelihood"], taken["band"], taken["count"]
        )
    )
    return (
        f"Heat map of {count_words(int(cells['count'].sum()), 'corporate risk')} by residual "
        f"impact (rows) and likelihood (columns): {describe_bands(by_band)}. {where}."
    )


def heat_map_table(
    counts: pd.DataFrame, bands: Sequence[rk.Band] = rk.DEFAULT_BANDS
) -> pd.DataFrame:
    """The heat map as a table: impact rows (5 severe first), likelihood columns, each cell its
    count and band in words (``2 (high)``)."""
    rows = {
        "Impact": [f"{i} {rk.IMPACT_WORDS[i]}" for i in counts.index],
        **{
            f"Likelihood {li} {rk.LIKELIHOOD_WORDS[li]}": [
                f"{int(counts.loc[i, li])} ({rk.band_of(int(i) * int(li), bands)})"
                for i in counts.index
            ]
            for li in counts.columns
        },
    }
    return pd.DataFrame(rows)


def risk_register(report: Any) -> Section:
    """The corporate risk register: sentence, accessible 5 x 5 heat map, its counts as a table
    and the summary counts (:func:`perfeval.stats.risks.score_method`). Offers
    ``risk_heat_map`` and ``risk_summary``; one sentence when there is no risk register. The
    bands are the council's (:func:`report_bands`)."""
    data, council = report.data, str(report.params["council"])
    on, bands = report_date(report.params), report_bands(report.params)
    scored = (
        pd.DataFrame()
        if council_register(data, "risks", council).empty
        else corporate_risks(data, council, bands)
    )
    if scored.empty:
        return (
            Section()
            .text(describe_no_corporate_risks(data, council, "summarise the risks to delivery"))
            .offer("risk_heat_map", pd.DataFrame(columns=HEAT_MAP_FIGURE_COLUMNS))
            .offer("risk_summary", pd.DataFrame(columns=["measure", "count"]))
        )
    counts = rk.heat_map_counts(scored)
    return (
        Section()
        .text(describe_register(scored, on, bands))
        .figure(
            charts_risks.plot_heat_map(
                counts, bands, title="Corporate risks by residual likelihood and impact"
            ),
            alt=describe_heat_map(counts, bands),
            caption="Corporate risks by residual likelihood (across) and impact (up): each "
            "cell gives its number of risks and its band in words.",
        )
        .table(
            heat_map_table(counts, bands),
            caption=with_synthetic_label(
                f"Corporate risks in each cell of the 5 x 5 grid at {describe_day(on)}: number "
                "of risks (band)",
                data,
                scored,
            ),
            row_header="Impact",
            note=rk.score_method(bands),
        )
        .table(
            rk.risk_summary(scored, on, bands).rename(
                columns={"measure": "Measure", "count": "Risks"}
            ),
            caption=f"Corporate risk register at {describe_day(on)}: risks by residual band "
            "and those that need attention",
            row_header="Measure",
        )
        .offer(
            "risk_heat_map",
            rk.heat_map_cells(counts, bands),
            "Corporate risks in each cell of the 5 x 5 grid (residual impact and likelihood), "
            "with the cell's score and band",
        )
        .offer(
            "risk_summary",
            rk.risk_summary(scored, on, bands),
            f"Corporate risks by residual band, and those that rose, are past review or above "
            f"target, at {on:%Y-%m-%d}",
        )
    )


def score_words(scores: pd.Series, bands: pd.Series) -> list[str]:
    """``16 (high)`` for each risk."""
    return [f"{int(s)} ({b})" for s, b in zip(scores, bands)]


def watch_reasons(rose: bool, past: bool, next_review: Any) -> str:
    """Why a risk is listed: rose, past its review date (with the date), or both."""
    reasons = ["rose since the last review"] if rose else []
    if past:
        reasons.append(f"past its review date ({describe_day(next_review)})")
    return "; ".join(reasons)


def watched_display(rows: pd.DataFrame) -> pd.DataFrame:
    """Display table of the risks that rose or are past their review date."""
    return pd.DataFrame(
        {
            "Risk": labelled(rows["title"], rows["risk_id"]),
            "Owner": rows["owner"].to_numpy(),
            "Residual score": score_words(rows["residual_score"], rows["residual_band"]),
            "Last review": [describe_day(d) for d in rows["review_date"]],
            "Why listed": [
                watch_reasons(r, p, n)
                for r, p, n in zip(rows["rose"], rows["past_review"], rows["next_review"])
            ],
        }
    )


def above_display(rows: pd.DataFrame) -> pd.DataFrame:
    """Display table of the risks above their target score."""
    target = pd.to_numeric(rows["target_score"])
    return pd.DataFrame(
        {
            "Risk": labelled(rows["title"], rows["risk_id"]),
            "Owner": rows["owner"].to_numpy(),
            "Residual score": score_words(rows["residual_score"], rows["residual_band"]),
            "Target score": [format_number(t, 0) for t in target],
            "Above target by": [
                format_number(s - t, 0) for s, t in zip(rows["residual_score"], target)
            ],
        }
    )


#: The columns of the risks needing attention published as key figures.
WATCH_FIGURE_COLUMNS = ["risk_id", "residual_score", "residual_band", "rose", "past_review"]
ABOVE_FIGURE_COLUMNS = ["risk_id", "residual_score", "target_score"]


def risks_to_watch(report: Any) -> Section:
    """The corporate risks that rose or are past their review date, and those above their
    target score (two tables, highest residual score first). Offers ``risks_rose_or_overdue``
    and ``risks_above_target``; one sentence when there is no risk register. The bands are the
    council's (:func:`report_bands`)."""
    data, council = report.data, str(report.params["council"])
    on, bands = report_date(report.params), report_bands(report.params)
    found = (
        pd.DataFrame()
        if council_register(data, "risks", council).empty
        else corporate_risks(data, council, bands)
    )
    if found.empty:
        cannot = "list the risks that rose or are above their target"
        return (
            Section()
            .text(describe_no_corporate_risks(data, council, cannot))
            .offer("risks_rose_or_overdue", pd.DataFrame(columns=WATCH_FIGURE_COLUMNS))
            .offer("risks_above_target", pd.DataFrame(columns=ABOVE_FIGURE_COLUMNS))
        )
    scored = rk.top_risks(found, n=len(found))
    flagged = scored.assign(rose=rk.rose(scored), past_review=rk.past_review(scored, on))
    watched = flagged[flagged["rose"] | flagged["past_review"]]
    above = flagged[flagged["above_target"]]
    return (
        Section()
        .text(
            f"Of {count_words(len(scored), 'corporate risk')}, "
            f"{format_number(len(watched), 0)} rose since the last review or "
            f"{_is_past(len(watched))} at {describe_day(on)}, and "
            f"{format_number(len(above), 0)} {_is_above(len(above))}."
        )
        .table(
            watched_display(watched),
            caption="Corporate risks that rose since the last review or are past their review "
            "date, highest residual score first",
            row_header="Risk",
            note="Past its review date: the next review date is before the report date.",
        )
        .table(
            above_display(above),
            caption="Corporate risks above their target score, highest residual score first",
            row_header="Risk",
            note="Above target: the residual score (likelihood x impact after controls) "
            "exceeds the target score; a risk exactly at target is not listed.",
        )
        .offer(
            "risks_rose_or_overdue",
            watched[WATCH_FIGURE_COLUMNS].reset_index(drop=True),
            f"Corporate risks that rose or are past their review date at {on:%Y-%m-%d}",
        )
        .offer(
            "risks_above_target",
            above[ABOVE_FIGURE_COLUMNS].reset_index(drop=True),
            "Corporate risks whose residual score exceeds their target score",
        )
    )


# --------------------------------------------------------------------------- by service


def _service_labels(frame: pd.DataFrame, register: pd.DataFrame) -> pd.Series:
    """Each row's service, or its first linked PI's; :data:`NOT_STATED` when neither."""
    filled = act.fill_services(frame, register)["service"]
    blank = filled.isna() | filled.astype(str).str.strip().eq("")
    return filled.astype(object).where(~blank, act.NOT_STATED)


def top_risk_words(risks: pd.DataFrame) -> str:
    """``Title (R01), 16 high; ...`` for a service's top risks ("" when none)."""
    top = rk.top_risks(risks, n=TOP_RISKS_PER_SERVICE)
    return "; ".join(
        f"{t} ({i}), {int(s)} {b}"
        for t, i, s, b in zip(
            top["title"], top["risk_id"], top["residual_score"], top["residual_band"]
        )
    )


def service_delivery(
    data: Dataset, council: str, on: pd.Timestamp, bands: Sequence[rk.Band] = rk.DEFAULT_BANDS
) -> pd.DataFrame:
    """Each service's open and overdue actions and its top corporate risks (their bands from
    ``bands``).

    Returns
    -------
    DataFrame
        ``service``, ``open_actions``, ``overdue_actions``, ``risks`` (corporate risks),
        ``top_risks`` (words) and ``top_risk_score``, one row per service named by either
        register, sorted by service; empty when both registers are absent.
    """
    columns = ["service", "open_actions", "overdue_actions", "risks", "top_risks", "top_risk_score"]
    actions = council_register(data, "actions", council)
    risks = (
        pd.DataFrame()
        if council_register(data, "risks", council).empty
        else corporate_risks(data, council, bands)
    )
    has_risks = not risks.empty
    if actions.empty and not has_risks:
        return pd.DataFrame(columns=columns)
    register = data.indicators
    if has_risks:
        risks = risks.assign(service=_service_labels(risks, register))
    counts = (
        pd.DataFrame(
            {
                "service": _service_labels(actions, register),
                "open_actions": act.is_open(actions).astype(int) if len(actions) else [],
                "overdue_actions": act.overdue(actions, on).astype(int) if len(actions) else [],
            }
        )
        .groupby("service")[["open_actions", "overdue_actions"]]
        .sum()
    )
    services = sorted(set(counts.index) | set(risks["service"] if has_risks else ()))
    rows = []
    for service in services:
        mine = risks[risks["service"] == service] if has_risks else risks
        rows.append(
            {
                "service": service,
                "open_actions": int(counts["open_actions"].get(service, 0)),
                "overdue_actions": int(counts["overdue_actions"].get(service, 0)),
                "risks": len(mine),
                "top_risks": top_risk_words(mine) if len(mine) else "",
                "top_risk_score": int(mine["residual_score"].max()) if len(mine) else None,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def service_table(joined: pd.DataFrame, delivery: pd.DataFrame) -> pd.DataFrame:
    """Display table: each service's budget status and red PIs beside its open and overdue
    actions and top risks (every service of either table; blanks where one has none)."""
    budget = joined.set_index("service") if len(joined) else pd.DataFrame()
    mine = delivery.set_index("service")
    services = list(dict.fromkeys([*budget.index, *mine.index]))

    def cell(frame: pd.DataFrame, service: str, column: str) -> Any:
        found = frame.at[service, column] if service in frame.index else None
        return None if found is None or pd.isna(found) else found

    return pd.DataFrame(
        {
            "Service": services,
            "Budget status": [
                f"{cell(budget, s, 'forecast_direction')}: {cell(budget, s, 'forecast_rag')}"
                if cell(budget, s, "forecast_rag") is not None
                else ""
                for s in services
            ],
            "PIs ✖ Red": [cell(budget, s, "pis_red") for s in services],
            "Open actions": [cell(mine, s, "open_actions") or 0 for s in services],
            "Overdue actions": [cell(mine, s, "overdue_actions") or 0 for s in services],
            "Top risks (residual score)": [cell(mine, s, "top_risks") or "" for s in services],
        }
    )


def method_notes(
    data: Dataset, council: str, bands: Sequence[rk.Band] = rk.DEFAULT_BANDS
) -> list[str]:
    """The rules of the registers the council has, for a report's method notes: the overdue
    rule when it has actions, the score convention (with ``bands``) when it has risks."""
    notes_ = []
    if not council_register(data, "actions", council).empty:
        notes_.append(act.OVERDUE_METHOD)
    if not council_register(data, "risks", council).empty:
        notes_.append(rk.score_method(bands))
    return notes_


# --------------------------------------------------------------------------- State of the Nation


def delivery_counts(
    data: Dataset, council: str, on: pd.Timestamp, bands: Sequence[rk.Band] = rk.DEFAULT_BANDS
) -> pd.DataFrame:
    """The delivery figures: actions in all, complete, open, overdue; corporate risks, and those
    in the top band of ``bands`` (``high residual score`` by default)."""
    rows: list[tuple[str, int]] = []
    actions = council_register(data, "actions", council)
    if not actions.empty:
        totals = act.action_summary(actions, on, by=()).iloc[0]
        rows += [
            ("actions", int(totals["total"])),
            ("actions complete", int(totals["complete"])),
            ("actions open", int(totals["open"])),
            ("actions overdue", int(totals["overdue"])),
            ("actions cancelled", int(totals["cancelled"])),
        ]
    scored = (
        pd.DataFrame()
        if council_register(data, "risks", council).empty
        else corporate_risks(data, council, bands)
    )
    if not scored.empty:
        top = rk.top_band(bands)
        rows += [
            ("corporate risks", len(scored)),
            (f"{top} residual score", int(scored["residual_band"].eq(top).sum())),
        ]
    return pd.DataFrame(rows, columns=["measure", "count"])


def describe_delivery(
    data: Dataset, council: str, on: pd.Timestamp, bands: Sequence[rk.Band] = rk.DEFAULT_BANDS
) -> str:
    """The Delivery paragraph: actions complete and late, then the risks of the top band (high,
    by default) by name."""
    figures = dict(delivery_counts(data, council, on, bands).itertuples(index=False, name=None))
    parts = []
    if "actions" in figures:
        parts.append(
            f"Of {count_words(figures['actions'], 'improvement action')} in the register, "
            f"{format_number(figures['actions complete'], 0)} "
            f"{'is' if figures['actions complete'] == 1 else 'are'} complete and "
            f"{format_number(figures['actions overdue'], 0)} of the "
            f"{format_number(figures['actions open'], 0)} still open "
            f"{'is' if figures['actions overdue'] == 1 else 'are'} late (past "
            f"{'its' if figures['actions open'] == 1 else 'their'} due date) at "
            f"{describe_day(on)}."
        )
    if "corporate risks" in figures:
        scored = corporate_risks(data, council, bands)
        top = rk.top_band(bands)
        high = rk.top_risks(scored[scored["residual_band"] == top], n=len(scored))
        names = notes.join_words(labelled(high["title"], high["risk_id"]))
        parts.append(
            f"{format_number(len(high), 0)} of the {count_words(len(scored), 'corporate risk')} "
            f"{'has' if len(high) == 1 else 'have'} a {top} residual score"
            + (f": {names}." if len(high) else ".")
        )
    return " ".join(parts)


def summary(report: Any) -> Section:
    """State of the Nation's Delivery paragraph: actions complete and late, high risks, with the
    figures as a table; one sentence when the folder has neither register. Offers
    ``delivery_summary``. The bands are the council's (:func:`report_bands`)."""
    data, council = report.data, str(report.params["council"])
    on, bands = report_date(report.params), report_bands(report.params)
    figures = delivery_counts(data, council, on, bands)
    no_actions = council_register(data, "actions", council).empty
    if no_actions and council_register(data, "risks", council).empty:
        return (
            Section()
            .offer("delivery_summary", figures)
            .text(
                f"Neither an actions register (actions.csv) nor a risk register (risks.csv) is in "
                f"{notes.folder_words(data)} for {council_name(data, council)}, so this report "
                "says nothing about the delivery of improvement actions or the risks to it."
            )
        )
    absent = []
    if no_actions:
        absent.append(
            describe_absent_register(
                data, council, "actions", "say how many improvement actions are complete or late"
            )
        )
    if "corporate risks" not in set(figures["measure"]):
        absent.append(describe_no_corporate_risks(data, council, "name the high risks"))
    if figures.empty:
        return Section().offer("delivery_summary", figures).text(" ".join(absent))
    used = pd.concat(
        [council_register(data, t, council) for t in ("actions", "risks")], ignore_index=True
    )
    return (
        Section()
        .text(" ".join([describe_delivery(data, council, on, bands), *absent]))
        .table(
            figures.rename(columns={"measure": "Measure", "count": "Number"}),
            caption=with_synthetic_label(f"Delivery at {describe_day(on)}", data, used),
            row_header="Measure",
            note=f"{act.OVERDUE_METHOD} {rk.score_method(bands)}",
        )
        .offer(
            "delivery_summary",
            figures,
            f"Improvement actions and corporate risks at {on:%Y-%m-%d}",
        )
    )
