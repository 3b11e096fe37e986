"""Report sections of the action plan review (``notebooks/action_plan_review.ipynb``, issue #17).

The progress of one plan of a council's ``actions.csv`` against its due dates on a report date
(``as_at``): how many actions are complete, on track, at risk, overdue and cancelled; the plan
as councils publish it (No, action, how, who, when, priority, status); what slipped and why; and
the share of the plan complete at the end of each quarter. The rules are those of
:mod:`perfeval.stats.actions` (:data:`~perfeval.stats.actions.OVERDUE_METHOD`), applied on the
report date passed in, never on today's clock.

:func:`prepare_plan_review` selects the plan's actions once into a frozen :class:`PlanReport`;
each section is one function returning a :class:`~perfeval.present.section.Section`::

    report = plans.prepare_plan_review(data, params)
    s = plans.plan_table(report)
    s.record("plan_table")
    display(s)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError
from perfeval.core.formatting import format_number
from perfeval.core.periods import Period
from perfeval.data import notes
from perfeval.data.loader import Dataset, council_name
from perfeval.present.charts_risks import plot_completion
from perfeval.present.html import parameters_table
from perfeval.present.narrative import percent
from perfeval.present.section import Section
from perfeval.sections.common import opening_section
from perfeval.stats import actions as rules
from perfeval.stats.registers import date_column, report_timestamp

__all__ = [
    "PRIORITY_WORDS",
    "POSITIONS",
    "COMPLETION_METHOD",
    "SLIPPED_METHOD",
    "STATUS_METHOD",
    "PlanReport",
    "plan_actions",
    "prepare_plan_review",
    "short_date",
    "long_date",
    "plan_data_note",
    "plan_opening",
    "action_positions",
    "position_counts",
    "describe_summary",
    "summary_display",
    "plan_summary",
    "when_text",
    "status_text",
    "plan_record",
    "plan_display",
    "describe_disagreements",
    "plan_table",
    "slipped_record",
    "slipped_display",
    "describe_slipped",
    "what_slipped",
    "plan_quarters",
    "describe_completion",
    "completion_display",
    "completion",
    "method_notes",
    "method_and_provenance",
]

#: The priority codes of actions.csv in words (the word carries the priority, never a colour).
PRIORITY_WORDS = {"H": "High", "M": "Medium", "L": "Low"}
#: Where each action stands on the report date, in the order the summary lists them: closed
#: (complete, cancelled), open and overdue by the rule, else its recorded status.
POSITIONS = ("complete", "on track", "at risk", "overdue", "not started", "cancelled")
#: The text shown when an action has no progress note.
NO_UPDATE = "no update recorded"

COMPLETION_METHOD = (
    "Completion over time: the share of the plan's actions that are not cancelled whose status "
    "is complete and whose completion date is on or before the last day of each financial "
    "quarter, from the quarter of the earliest start date to the quarter containing the report "
    "date. A cancelled action is left out of the base."
)
SLIPPED_METHOD = (
    "What slipped: every action whose due date was revised (a revised due date is recorded), "
    "whatever its status now, and every action overdue on the report date. The reason given is "
    "the action's latest progress note and its date, as recorded in actions.csv; 'no update "
    "recorded' when there is none."
)
STATUS_METHOD = (
    "Status: the status recorded in actions.csv. Where it disagrees with the overdue rule on the "
    "report date (an open action past its due date not recorded as overdue, or an action "
    "recorded as overdue whose due date has not passed), the rule's verdict is added in brackets "
    "and the note under the plan table says why."
)


@dataclass(frozen=True, eq=False)
class PlanReport:
    """What the sections of the action plan review share: the data, the run's parameters, the
    council and its name, the plan, the report date and the plan's actions (in table order)."""

    data: Dataset
    params: Mapping[str, Any]
    council: str
    name: str
    plan: str
    as_at: pd.Timestamp
    actions: pd.DataFrame


def plan_actions(actions: pd.DataFrame, council: str, plan: str) -> pd.DataFrame:
    """The actions of one council's plan, in table order.

    Parameters
    ----------
    actions : DataFrame
        ``actions.csv`` as loaded (``authority``, ``plan``, ...).
    council : str
        ONS GSS code of the council.
    plan : str
        The plan's name as written in the ``plan`` column (spaces around ignored).

    Returns
    -------
    DataFrame
        The matching rows (none when the council has no such plan).
    """
    if actions.empty or not {"authority", "plan"} <= set(actions.columns):
        return actions.iloc[0:0]
    mine = actions["authority"].astype(str).eq(council)
    named = actions["plan"].astype(str).str.strip().eq(plan.strip())
    return actions[mine & named]


def prepare_plan_review(data: Dataset, params: Mapping[str, Any]) -> PlanReport:
    """The plan's actions and the report date, selected once for every section.

    Parameters
    ----------
    data : Dataset
    params : mapping
        The validated parameters: ``council``, ``plan``, ``as_at`` (``YYYY-MM-DD``).

    Returns
    -------
    PlanReport

    Raises
    ------
    AnalysisError
        When the council has no action in the plan (the parameter check says which plans it has).
    ParameterError
        When ``as_at`` is not a date.
    """
    council, plan = params["council"], params["plan"]
    chosen = plan_actions(data.actions, council, plan)
    if chosen.empty:
        raise AnalysisError(
            f"actions.csv has no action of {council} in the plan {plan!r}; give a plan named in "
            "the 'plan' column of the council's actions"
        )
    return PlanReport(
        data=data,
        params=params,
        council=council,
        name=council_name(data, council),
        plan=plan.strip(),
        as_at=report_timestamp(params["as_at"]),
        actions=chosen,
    )


# ------------------------------------------------------------------------------ words
def short_date(day: pd.Timestamp) -> str:
    """A date as a table shows it: ``31 Mar 2025`` ("" for a missing date)."""
    return "" if pd.isna(day) else f"{day.day} {day:%b %Y}"


def long_date(day: pd.Timestamp) -> str:
    """A date as a sentence says it: ``31 March 2025``."""
    return f"{day.day} {day:%B %Y}"


def _iso(days: pd.Series) -> list[str | None]:
    """Dates as ISO text for the record (None where missing)."""
    return [None if pd.isna(d) else d.date().isoformat() for d in days]


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def plan_data_note(data: Dataset, actions: pd.DataFrame, plan: str, name: str) -> str:
    """Data-honesty note: where the plan's actions come from and whether they are synthetic."""
    where = f"actions.csv in {notes.folder_words(data)}"
    label = notes.synthetic_label(data, actions)
    if not label:
        return (
            f"Data: the {_count(len(actions), 'action')} of {plan} are {name}'s register as "
            f"recorded in {where} (not labelled synthetic)."
        )
    return (
        f"Data honesty: the {_count(len(actions), 'action')} of {plan} are "
        f"{label.replace('synthetic', 'SYNTHETIC')} "
        f"({where}), generated for demonstration: they are not {name}'s real plan or progress."
    )


def plan_opening(report: PlanReport) -> Section:
    """The opening: which plan, whose, on which date, and the data-honesty note."""
    subtitle = f"{report.plan}: {report.name} ({report.council}), as at {long_date(report.as_at)}."
    note = plan_data_note(report.data, report.actions, report.plan, report.name)
    return opening_section({"data_note": note}, subtitle=subtitle)


# ------------------------------------------------------------------------------ summary
def action_positions(actions: pd.DataFrame, on: pd.Timestamp | str) -> pd.Series:
    """Where each action stands on the report date: one of :data:`POSITIONS`.

    Complete and cancelled actions keep their status; an open action overdue by the rule
    (:func:`perfeval.stats.actions.overdue`) is ``overdue``; every other open action keeps its
    recorded status (``not started``, ``on track`` or ``at risk``).

    Parameters
    ----------
    actions : DataFrame
        The plan's actions (``status``, ``due``; optional ``revised_due``).
    on : Timestamp or str
        The report date.

    Returns
    -------
    Series of str
    """
    status = actions["status"].astype(str).str.strip().str.lower()
    late = rules.overdue(actions, on)
    return status.mask(late, rules.OVERDUE).rename("position")


def position_counts(actions: pd.DataFrame, on: pd.Timestamp | str) -> dict[str, int]:
    """How many actions stand in each position on the report date, with the total.

    Returns
    -------
    dict
        ``total`` then every position of :data:`POSITIONS`; the positions add up to the total.
    """
    positions = action_positions(actions, on)
    return {"total": len(actions), **{p: int(positions.eq(p).sum()) for p in POSITIONS}}


def describe_summary(counts: Mapping[str, int], plan: str, on: pd.Timestamp) -> str:
    """Sentence: the plan's actions by position on the report date, with the base."""
    total = counts["total"]
    listed = ", ".join(
        f"{counts[p]} {p}" + (f" on {long_date(on)}" if p == rules.OVERDUE else "")
        for p in POSITIONS[:-1]
    )
    counted = total - counts["cancelled"]
    share = f" ({percent(counts['complete'] / counted)})" if counted else ""
    return (
        f"{plan} has {_count(total, 'action')}: {listed} and {counts['cancelled']} cancelled. "
        f"{counts['complete']} of the {counted} not cancelled{share} are complete "
        f"(base: every action of the plan in actions.csv, {total})."
    )


def summary_display(counts: Mapping[str, int]) -> pd.DataFrame:
    """Display table of :func:`position_counts`: one row per position, then the total."""
    total = counts["total"]
    rows = [(p.capitalize(), counts[p]) for p in POSITIONS] + [("All actions", total)]
    return pd.DataFrame(
        {
            "Position on the report date": [r[0] for r in rows],
            "Actions": [r[1] for r in rows],
            "Share of all actions": [percent(r[1] / total) if total else "" for r in rows],
        }
    )


def plan_summary(report: PlanReport) -> Section:
    """The summary sentence and table of counts. Offers ``plan_summary_counts``."""
    counts = position_counts(report.actions, report.as_at)
    return (
        Section()
        .text(describe_summary(counts, report.plan, report.as_at))
        .table(
            summary_display(counts),
            caption=f"Actions of {report.plan} by position on {long_date(report.as_at)}",
            row_header="Position on the report date",
            note="Overdue counts every open action past its due date (revised when given) and "
            "every action recorded as overdue; the other open actions are shown by their "
            "recorded status.",
        )
        .offer(
            "plan_summary_counts",
            counts,
            f"Actions of the plan by position on {report.as_at.date().isoformat()}",
        )
    )


# ------------------------------------------------------------------------------ the plan
def when_text(due: pd.Timestamp, revised: pd.Timestamp) -> str:
    """The When cell: the effective due date, and the original one when it was revised
    (``31 Mar 2025 (revised from 31 Dec 2024)``)."""
    if pd.isna(revised) or revised == due:
        return short_date(due)
    return f"{short_date(revised)} (revised from {short_date(due)})"


def status_text(recorded: str, rule: str) -> str:
    """The Status cell: the recorded status, with the overdue rule's verdict in brackets where
    they disagree (``rule`` is ``"overdue"`` or ``"not overdue"``, "" where they agree)."""
    shown = recorded.strip().capitalize() or "Not stated"
    if rule == rules.OVERDUE:
        return f"{shown} (overdue by the rule)"
    if rule:
        return f"{shown} (due date not yet passed)"
    return shown


def plan_record(actions: pd.DataFrame, on: pd.Timestamp | str) -> pd.DataFrame:
    """The plan table for the record: one row per action in table order.

    Returns
    -------
    DataFrame
        ``action_id``, ``title``, ``how``, ``owner``, ``priority``, ``start``, ``due``,
        ``revised_due``, ``effective_due`` (ISO dates), ``status`` (recorded), ``position``
        (:func:`action_positions`), ``rule_disagrees`` (bool), ``percent_complete``,
        ``last_update`` and ``last_update_date``.
    """
    disagree = rules.status_disagreements(actions, on)
    return pd.DataFrame(
        {
            "action_id": actions["action_id"].astype(str),
            "title": actions["title"].astype(str),
            "how": actions["how"].astype(str),
            "owner": actions["owner"].astype(str),
            "priority": actions["priority"].astype(str).str.strip().str.upper(),
            "start": _iso(date_column(actions, "start", "action_id")),
            "due": _iso(date_column(actions, "due", "action_id")),
            "revised_due": _iso(date_column(actions, "revised_due", "action_id", required=False)),
            "effective_due": _iso(rules.effective_due(actions)),
            "status": actions["status"].astype(str).str.strip().str.lower(),
            "position": action_positions(actions, on),
            "rule_disagrees": actions.index.isin(disagree.index),
            "percent_complete": notes.optional_column(actions, "percent_complete", np.nan),
            "last_update": _text(actions, "last_update"),
            "last_update_date": _iso(
                date_column(actions, "last_update_date", "action_id", required=False)
            ),
        }
    ).reset_index(drop=True)


def _text(frame: pd.DataFrame, column: str) -> list[str]:
    """An optional text column, stripped, blank where missing."""
    return [
        "" if pd.isna(v) else str(v).strip()
        for v in notes.optional_column(frame, column, None).astype(object)
    ]


def plan_display(actions: pd.DataFrame, on: pd.Timestamp | str) -> pd.DataFrame:
    """The plan in the shape councils publish: No, Action, How, Who, When, Priority, Status,
    % complete, Latest update."""
    due = date_column(actions, "due", "action_id")
    revised = date_column(actions, "revised_due", "action_id", required=False)
    rule = rules.status_disagreements(actions, on)["rule_status"].reindex(actions.index).fillna("")
    done = pd.to_numeric(
        notes.optional_column(actions, "percent_complete", np.nan), errors="coerce"
    )
    updates = _text(actions, "last_update")
    return pd.DataFrame(
        {
            "No": actions["action_id"].astype(str).to_numpy(),
            "Action": actions["title"].astype(str).to_numpy(),
            "How": actions["how"].astype(str).to_numpy(),
            "Who": actions["owner"].astype(str).to_numpy(),
            "When": [when_text(d, r) for d, r in zip(due, revised)],
            "Priority": [
                PRIORITY_WORDS.get(str(p).strip().upper(), str(p)) for p in actions["priority"]
            ],
            "Status": [status_text(s, r) for s, r in zip(actions["status"].astype(str), rule)],
            "% complete": [format_number(p, 0, "%") for p in done],
            "Latest update": [u or NO_UPDATE for u in updates],
        }
    )


def describe_disagreements(actions: pd.DataFrame, on: pd.Timestamp) -> str:
    """The note under the plan table: where the recorded status and the overdue rule disagree."""
    found = rules.status_disagreements(actions, on)
    if found.empty:
        return (
            f"Every recorded status agrees with the overdue rule on {long_date(on)}. When is the "
            "due date, revised where a revised date is recorded."
        )
    listed = "; ".join(f"{a}: {why}" for a, why in zip(found["action_id"], found["disagreement"]))
    return (
        f"Status is as recorded; on {long_date(on)} the overdue rule disagrees for "
        f"{_count(len(found), 'action')} ({listed}). When is the due date, revised where a "
        "revised date is recorded."
    )


def plan_table(report: PlanReport) -> Section:
    """The plan table in the councils' shape, with the note on status disagreements. Offers
    ``plan_table``."""
    return (
        Section()
        .table(
            plan_display(report.actions, report.as_at),
            caption=f"{report.plan}: actions, owners, due dates and status on "
            f"{long_date(report.as_at)}",
            row_header="No",
            note=describe_disagreements(report.actions, report.as_at),
        )
        .offer(
            "plan_table",
            plan_record(report.actions, report.as_at),
            f"Every action of the plan with its due dates, recorded status and position on "
            f"{report.as_at.date().isoformat()}",
        )
    )


# ------------------------------------------------------------------------------ what slipped
def slipped_record(actions: pd.DataFrame, on: pd.Timestamp | str) -> pd.DataFrame:
    """The actions that slipped (:data:`SLIPPED_METHOD`), in table order.

    Returns
    -------
    DataFrame
        ``action_id``, ``title``, ``owner``, ``due``, ``revised_due``, ``effective_due`` (ISO
        dates), ``revised`` and ``overdue`` (bool), ``days_overdue`` (days past the effective due
        date on the report date; 0 when not past it), ``why`` (the latest update, or
        :data:`NO_UPDATE`) and ``why_date`` (its date).
    """
    day = report_timestamp(on)
    due = date_column(actions, "due", "action_id")
    revised = date_column(actions, "revised_due", "action_id", required=False)
    effective = rules.effective_due(actions)
    was_revised = revised.notna() & revised.ne(due)
    late = rules.overdue(actions, day)
    keep = (was_revised | late).to_numpy()
    past = (day - effective).dt.days.clip(lower=0).where(late, 0).astype(int)
    record = pd.DataFrame(
        {
            "action_id": actions["action_id"].astype(str).to_numpy(),
            "title": actions["title"].astype(str).to_numpy(),
            "owner": actions["owner"].astype(str).to_numpy(),
            "due": _iso(due),
            "revised_due": _iso(revised),
            "effective_due": _iso(effective),
            "revised": was_revised.to_numpy(),
            "overdue": late.to_numpy(),
            "days_overdue": past.to_numpy(),
            "why": [u or NO_UPDATE for u in _text(actions, "last_update")],
            "why_date": _iso(date_column(actions, "last_update_date", "action_id", required=False)),
        }
    )
    return record[keep].reset_index(drop=True)


def _how_slipped(row: pd.Series) -> str:
    """The Slipped cell: revised from when to when, and how long overdue."""
    parts = []
    if row["revised"]:
        parts.append(
            f"Revised from {short_date(pd.Timestamp(row['due']))} to "
            f"{short_date(pd.Timestamp(row['revised_due']))}"
        )
    if row["overdue"]:
        days = int(row["days_overdue"])
        parts.append(
            f"Overdue: {_count(days, 'day')} past {short_date(pd.Timestamp(row['effective_due']))}"
            if days
            else "Recorded as overdue"
        )
    return "; ".join(parts)


def slipped_display(slipped: pd.DataFrame) -> pd.DataFrame:
    """Display table of :func:`slipped_record`: No, Action, Who, Slipped, Why (latest update)."""
    return pd.DataFrame(
        {
            "No": slipped["action_id"],
            "Action": slipped["title"],
            "Who": slipped["owner"],
            "Slipped": [_how_slipped(row) for _, row in slipped.iterrows()],
            "Why (latest update)": [
                why
                if pd.isna(date) or why == NO_UPDATE
                else f"{why} ({short_date(pd.Timestamp(date))})"
                for why, date in zip(slipped["why"], slipped["why_date"])
            ],
        }
    )


def describe_slipped(slipped: pd.DataFrame, total: int, on: pd.Timestamp) -> str:
    """Sentence: how many actions slipped, how many were revised and how many are overdue."""
    if slipped.empty:
        return (
            f"None of the plan's {_count(total, 'action')} has had its due date revised or is "
            f"overdue on {long_date(on)}."
        )
    revised, late = int(slipped["revised"].sum()), int(slipped["overdue"].sum())
    silent = int(slipped["why"].eq(NO_UPDATE).sum())
    return (
        f"{len(slipped)} of the plan's {_count(total, 'action')} slipped: "
        f"{revised} had {'its' if revised == 1 else 'their'} due date revised and {late} "
        f"{'is' if late == 1 else 'are'} overdue on {long_date(on)}"
        + (
            f"; {silent} {'has' if silent == 1 else 'have'} no update saying why."
            if silent
            else "."
        )
    )


def what_slipped(report: PlanReport) -> Section:
    """What slipped and why: the sentence and the table (none when nothing slipped). Offers
    ``slipped_actions``."""
    slipped = slipped_record(report.actions, report.as_at)
    section = Section().text(describe_slipped(slipped, len(report.actions), report.as_at))
    if not slipped.empty:
        section.table(
            slipped_display(slipped),
            caption=f"Actions of {report.plan} whose due date was revised or that are overdue "
            f"on {long_date(report.as_at)}, with the reason given",
            row_header="No",
            note="Why: the latest progress note recorded for the action, with its date.",
        )
    return section.offer(
        "slipped_actions",
        slipped,
        f"Actions revised or overdue on {report.as_at.date().isoformat()}, with the latest update",
    )


# ------------------------------------------------------------------------------ completion
def plan_quarters(actions: pd.DataFrame, on: pd.Timestamp | str) -> list[Period]:
    """The financial quarters from that of the plan's earliest start to that of the report date.

    Raises
    ------
    AnalysisError
        When the report date is before the plan's earliest start.
    """
    first = date_column(actions, "start", "action_id").min()
    day = report_timestamp(on)
    if day < first:
        raise AnalysisError(
            f"the report date {day.date().isoformat()} is before the plan's first start "
            f"({first.date().isoformat()}); give an as_at on or after it"
        )
    quarter, last = rules.financial_quarter(first), rules.financial_quarter(day)
    quarters = [quarter]
    while quarters[-1] != last:
        quarters.append(quarters[-1].shift(1))
    return quarters


def describe_completion(series: pd.DataFrame) -> str:
    """Sentence: the share complete at the first and the last quarter end."""
    first, last = series.iloc[0], series.iloc[-1]
    if not last["total"]:
        return "Every action of the plan was cancelled, so no share complete is shown."
    return (
        f"By the end of {last['period']}, {last['completed']} of the {last['total']} actions not "
        f"cancelled ({format_number(last['percent'], 0, '%')}) were complete, up from "
        f"{first['completed']} ({format_number(first['percent'], 0, '%')}) at the end of "
        f"{first['period']}."
    )


def completion_display(series: pd.DataFrame) -> pd.DataFrame:
    """Display table of the completion series: quarter, its end, complete, base, share."""
    return pd.DataFrame(
        {
            "Quarter": series["period"],
            "Quarter ends": [short_date(d) for d in series["end"]],
            "Actions complete": series["completed"],
            "Actions not cancelled": series["total"],
            "Share complete": [format_number(p, 0, "%") for p in series["percent"]],
        }
    )


def completion(report: PlanReport) -> Section:
    """Completion over time by quarter: sentence, line chart and its table. Offers
    ``completion_series``."""
    series = rules.completion_over_time(report.actions, plan_quarters(report.actions, report.as_at))
    sentence = describe_completion(series)
    section = Section().text(sentence)
    if series["total"].iloc[-1]:
        section.figure(
            plot_completion(
                series.set_index("period")["percent"], title=f"{report.plan}: actions complete"
            ),
            alt="Line chart of the share of the plan's actions complete at the end of each "
            f"quarter, {series['period'].iloc[0]} to {series['period'].iloc[-1]}. " + sentence,
            caption=f"Share of the actions of {report.plan} not cancelled that were complete at "
            "the end of each financial quarter, from the quarter of the first start to the "
            f"quarter containing the report date ({long_date(report.as_at)}). Source: "
            f"actions.csv in {notes.folder_words(report.data)}.",
        )
    return section.table(
        completion_display(series),
        caption=f"Actions of {report.plan} complete at the end of each quarter",
        row_header="Quarter",
    ).offer(
        "completion_series",
        series.assign(end=_iso(series["end"])),
        "Actions complete (cumulative) and the share of those not cancelled, by quarter end",
    )


# ------------------------------------------------------------------------------ method
def method_notes(report: PlanReport) -> list[str]:
    """The rules this report applies, in the order it uses them."""
    return [
        f"Report date: {long_date(report.as_at)} (the as_at parameter); every rule is applied "
        "on it, not on the date the report was run.",
        rules.OVERDUE_METHOD,
        STATUS_METHOD,
        SLIPPED_METHOD,
        COMPLETION_METHOD,
        "Priority: H, M and L in actions.csv are shown as High, Medium and Low.",
    ]


def _source_sentence(report: PlanReport) -> str:
    """Where the actions come from: the file, the council's rows and the plan's."""
    own = notes.council_rows(report.data.actions, report.council)
    plans = sorted(set(own["plan"].astype(str).str.strip()))
    return (
        f"Source: actions.csv in {notes.folder_words(report.data)}: {len(own)} actions of "
        f"{report.name} in {_count(len(plans), 'plan')} ({'; '.join(plans)}), of which "
        f"{len(report.actions)} in {report.plan}."
    )


def method_and_provenance(report: PlanReport, params: Mapping[str, Any] | None = None) -> Section:
    """The rules stated, the source of the actions and the parameters of this run."""
    values = dict(report.params if params is None else params)
    return (
        Section()
        .bullets(method_notes(report), heading="Method")
        .text(_source_sentence(report))
        .table(parameters_table(values), caption="Parameters of this run", row_header="Parameter")
    )
