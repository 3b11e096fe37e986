"""Improvement actions linked to PIs (issue #17): open, overdue and due-this-quarter actions, the
"PI responded" rule, completion over time and the performance clinic list.

Every function is pure and takes the report date as an argument: nothing here reads today's clock.
The actions table follows the agreed ``actions.csv`` columns (``action_id``, ``status``, ``due``,
optional ``revised_due``, ``completed``, ``linked_pis`` ...); dates may be :class:`datetime.date`
objects, Timestamps or ISO text. The rules, in words a report can quote, are in
:data:`OVERDUE_METHOD`, :data:`RESPONSE_METHOD` and :data:`CLINIC_METHOD`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError
from perfeval.core.periods import Period, parse_period
from perfeval.data.loader import require_columns
from perfeval.data.notes import optional_column
from perfeval.stats import indicators as engine
from perfeval.stats import rag as rag_rule
from perfeval.stats.registers import (
    coded_text,
    date_column,
    named_rows,
    report_timestamp,
)

#: Every status an action can have, in the order a report lists them.
STATUSES = ("not started", "on track", "at risk", "overdue", "complete", "cancelled")
COMPLETE, CANCELLED, OVERDUE = "complete", "cancelled", "overdue"
#: Statuses of a closed action; every other status is open.
CLOSED = (COMPLETE, CANCELLED)
#: The separator of the ids in a ``linked_pis`` or ``linked_risks`` cell.
ID_SEPARATOR = ";"
#: The group an action with a blank service or owner is counted in.
NOT_STATED = "not stated"

OVERDUE_METHOD = (
    "An action is open unless its status is complete or cancelled. Its due date is the revised "
    "due date when one is given, else the original due date. An open action is overdue on the "
    "report date when its due date is before the report date, whatever its recorded status says; "
    "an action recorded as overdue is counted as overdue too. An action due on the report date "
    "itself is not overdue. An open action is due this quarter when its due date falls on or "
    "after the report date and within the financial quarter (April-June = Q1, July-September = "
    "Q2, October-December = Q3, January-March = Q4) that contains the report date."
)

RESPONDED, NO_CHANGE, WORSE, TOO_EARLY = "responded", "no change", "worse", "too early to tell"
NOT_COMPLETED = "action not completed"
NO_BASELINE = "no value before completion"
NEUTRAL = "not judged (neutral polarity)"
#: Every result of :func:`pi_response`.
RESPONSE_STATES = (RESPONDED, NO_CHANGE, WORSE, TOO_EARLY, NO_BASELINE, NEUTRAL, NOT_COMPLETED)
#: Frequencies compared by :func:`pi_response`, finest first.
RESPONSE_KINDS = ("month", "quarter", "year")

RESPONSE_METHOD = (
    "Whether a PI responded to a completed action: the PI's first value for a period that starts "
    "after the completion date is compared with its last value for a period that ended on or "
    "before the completion date, at the same frequency (monthly with monthly, quarterly with "
    "quarterly, annual with annual; the finest frequency with a value on both sides is used). "
    "The register's polarity says which way is better. 'Responded' when the later value is "
    "better by more than the PI's tolerance (a relative tolerance is taken of the earlier value; "
    "without a tolerance, better by any amount); 'no change' when the difference is within the "
    "tolerance; 'worse' otherwise. 'Too early to tell' when no value for a period after "
    "completion exists yet; 'no value before completion' when there is nothing to compare with. "
    "Actions not completed are not judged, nor are PIs of neutral polarity."
)

RED_AND_WORSENING, RED_ONLY, WORSENING = "red and worsening", "red", "worsening"
#: The groups of the clinic list, in rank order.
CLINIC_GROUPS = (RED_AND_WORSENING, RED_ONLY, WORSENING)

CLINIC_METHOD = (
    "The performance clinic list for the coming year holds every PI that is Red against its "
    "target or whose direction of travel is Worse. It is ranked: Red and worsening first, then "
    "Red, then worsening; within each group by the share of the tolerance missed, largest first, "
    "then by indicator code. The share of the tolerance missed is how far the value is worse "
    "than its target divided by the width of the amber band (tolerance x |target| for a relative "
    "tolerance, the tolerance itself for an absolute one; a blank tolerance means 5 % relative, "
    "as in the RAG rule); it is negative for a value better than its target. A PI without a "
    "target has no share and comes last in its group; with a band of zero width any shortfall "
    "ranks first. When the tolerance band cannot be worked out (the scorecard does not carry it "
    "and no indicator register is given), PIs are ranked by code within each group."
)


# --- ids and dates -----------------------------------------------------------------------------


def split_ids(cell: object) -> tuple[str, ...]:
    """The codes in a ``;``-separated cell, spaces around each ignored, blanks and repeats dropped.

    Parameters
    ----------
    cell : object
        A ``linked_pis``, ``linked_risks`` or ``linked_actions`` cell (``"NI192; NI191"``);
        a blank or missing cell has no codes.

    Returns
    -------
    tuple of str
        In the order written (``("NI192", "NI191")``).
    """
    if not isinstance(cell, str):
        if cell is None or (pd.api.types.is_scalar(cell) and pd.isna(cell)):
            return ()
        cell = str(cell)
    parts = (part.strip() for part in cell.split(ID_SEPARATOR))
    return tuple(dict.fromkeys(part for part in parts if part))


def financial_quarter(day: date | pd.Timestamp) -> Period:
    """The financial quarter containing ``day`` (April-June = Q1 ... January-March = Q4).

    Parameters
    ----------
    day : date or Timestamp

    Returns
    -------
    Period
        A quarter (``2024/25 Q4`` for 31 March 2025, ``2025/26 Q1`` for 1 April 2025).
    """
    fy = day.year if day.month >= 4 else day.year - 1
    return Period("quarter", fy, (day.month - 4) % 12 // 3 + 1)


def period_end(period: Period) -> date:
    """The last day of a period (31 March 2025 for ``2024/25`` and ``2024/25 Q4``)."""
    return period.shift(1).start - timedelta(days=1)


def _status(frame: pd.DataFrame) -> pd.Series:
    """Each action's status, stripped and in lower case."""
    require_columns(frame, ("status",), "the actions table")
    return coded_text(frame, "status")


def effective_due(frame: pd.DataFrame) -> pd.Series:
    """Each action's effective due date: ``revised_due`` when given, else ``due``.

    Parameters
    ----------
    frame : DataFrame
        The actions table (``due``; optional ``revised_due``).

    Returns
    -------
    Series
        Timestamps named ``effective_due`` (NaT when neither date is given).

    Raises
    ------
    AnalysisError
        When ``due`` is absent or a cell is not a date.
    """
    due = date_column(frame, "due", "action_id")
    revised = date_column(frame, "revised_due", "action_id", required=False)
    return revised.fillna(due).rename("effective_due")


def is_open(frame: pd.DataFrame) -> pd.Series:
    """Whether each action is open: its status is neither ``complete`` nor ``cancelled``.

    Parameters
    ----------
    frame : DataFrame
        The actions table (``status``).

    Returns
    -------
    Series of bool
    """
    return (~_status(frame).isin(CLOSED)).rename("open")


def overdue(frame: pd.DataFrame, on: date | pd.Timestamp | str) -> pd.Series:
    """Whether each action is overdue on the report date (:data:`OVERDUE_METHOD`).

    Open and its effective due date before ``on``, or open and recorded as ``overdue``. An
    action due on ``on`` itself is not overdue; a complete or cancelled one never is.

    Parameters
    ----------
    frame : DataFrame
        The actions table (``status``, ``due``; optional ``revised_due``).
    on : date, Timestamp or str
        The report date.

    Returns
    -------
    Series of bool
    """
    day = report_timestamp(on)
    late = effective_due(frame).lt(day) | _status(frame).eq(OVERDUE)
    return (is_open(frame) & late).rename("overdue")


def due_this_quarter(frame: pd.DataFrame, on: date | pd.Timestamp | str) -> pd.Series:
    """Whether each action is due this quarter (:data:`OVERDUE_METHOD`).

    Open, and its effective due date on or after ``on`` and no later than the last day of the
    financial quarter containing ``on``. An action recorded as ``overdue`` but due later this
    quarter is both overdue and due this quarter (:func:`status_disagreements` lists it).

    Parameters
    ----------
    frame : DataFrame
        The actions table.
    on : date, Timestamp or str
        The report date.

    Returns
    -------
    Series of bool
    """
    day = report_timestamp(on)
    end = pd.Timestamp(period_end(financial_quarter(day)))
    due = effective_due(frame)
    return (is_open(frame) & due.ge(day) & due.le(end)).rename("due_this_quarter")


def status_disagreements(frame: pd.DataFrame, on: date | pd.Timestamp | str) -> pd.DataFrame:
    """The actions whose recorded status disagrees with the overdue rule on the report date.

    Two kinds: an open action past its effective due date but not recorded as ``overdue``, and
    an action recorded as ``overdue`` whose effective due date is not yet past.

    Parameters
    ----------
    frame : DataFrame
        The actions table (``action_id``, ``status``, ``due``; optional ``revised_due``).
    on : date, Timestamp or str
        The report date.

    Returns
    -------
    DataFrame
        The disagreeing rows, in table order, with ``effective_due``, ``rule_status``
        (``"overdue"`` or ``"not overdue"``) and ``disagreement`` (a sentence) added.
    """
    day = report_timestamp(on)
    status, due = _status(frame), effective_due(frame)
    past = is_open(frame) & due.lt(day)
    recorded = status.eq(OVERDUE)
    rows = frame.assign(effective_due=due, rule_status=np.where(past, OVERDUE, "not overdue"))
    rows = rows[past != recorded]
    why = [
        _disagreement(d, s, rule)
        for d, s, rule in zip(rows["effective_due"], status[rows.index], rows["rule_status"])
    ]
    return rows.assign(disagreement=why)


def _disagreement(due: pd.Timestamp, status: str, rule: str) -> str:
    """The sentence saying how a recorded status and the overdue rule disagree."""
    when = f"{due.day} {due:%B %Y}" if pd.notna(due) else None
    if rule == OVERDUE:
        return f"past its due date of {when} but recorded as {status!r}"
    return f"recorded as 'overdue' but {'due ' + when if when else 'has no due date'}"


# --- summaries and links -----------------------------------------------------------------------


def fill_services(actions: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    """The actions with a blank ``service`` filled with the service of the first linked PI.

    Parameters
    ----------
    actions : DataFrame
        The actions table (optional ``service``, ``linked_pis``).
    register : DataFrame
        The indicator register (``code``, ``service``).

    Returns
    -------
    DataFrame
        A copy; an action with neither a service nor a linked PI in the register keeps a blank.
    """
    require_columns(register, ("code", "service"), "the indicator register")
    service_of = dict(zip(register["code"].astype(str).str.strip(), register["service"]))
    first_pi = [
        next(iter(split_ids(cell)), None) for cell in optional_column(actions, "linked_pis", None)
    ]
    given = optional_column(actions, "service", None)
    blank = given.isna() | given.astype(str).str.strip().eq("")
    inferred = pd.Series([service_of.get(code) for code in first_pi], index=actions.index)
    return actions.assign(service=given.where(~blank, inferred))


def action_summary(
    frame: pd.DataFrame,
    on: date | pd.Timestamp | str,
    by: Sequence[str] = ("service", "owner"),
    *,
    register: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How many actions there are, complete, open, overdue, due this quarter and cancelled on the
    report date, by group (:data:`OVERDUE_METHOD`).

    Parameters
    ----------
    frame : DataFrame
        The actions table.
    on : date, Timestamp or str
        The report date.
    by : sequence of str
        The columns to group by (``("service", "owner")``; ``()`` for one row of totals). A
        blank group is counted as :data:`NOT_STATED`.
    register : DataFrame, optional
        The indicator register: when given, a blank service is the service of the action's first
        linked PI (:func:`fill_services`).

    Returns
    -------
    DataFrame
        One row per group, sorted by group: the ``by`` columns, then ``total``, ``complete``,
        ``open``, ``overdue``, ``due_this_quarter`` and ``cancelled`` (integers).
    """
    actions = frame if register is None else fill_services(frame, register)
    status = _status(actions)
    counts = pd.DataFrame(
        {
            "total": 1,
            "complete": status.eq(COMPLETE),
            "open": is_open(actions),
            "overdue": overdue(actions, on),
            "due_this_quarter": due_this_quarter(actions, on),
            "cancelled": status.eq(CANCELLED),
        },
        index=actions.index,
    ).astype(int)
    if not by:
        return counts.sum().to_frame().T.reset_index(drop=True)
    groups = {column: _group_labels(actions, column) for column in by}
    summary = counts.assign(**groups).groupby(list(by), sort=True)[list(counts.columns)].sum()
    return summary.reset_index()


def _group_labels(frame: pd.DataFrame, column: str) -> pd.Series:
    """A grouping column as text, blank or absent cells :data:`NOT_STATED`."""
    text = optional_column(frame, column, None).astype(object)
    blank = text.isna() | text.astype(str).str.strip().eq("")
    return text.astype(str).str.strip().where(~blank, NOT_STATED)


def actions_for_pis(actions: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """The actions linked to each of the given PIs, through ``linked_pis``.

    Parameters
    ----------
    actions : DataFrame
        The actions table (``action_id``, optional ``linked_pis``).
    codes : sequence of str
        Indicator codes (e.g. the red or worsening PIs).

    Returns
    -------
    DataFrame
        One row per (PI, linked action): ``indicator`` then the action's columns, in the order of
        ``codes`` and then of the table. A PI with no action has no row
        (:func:`pis_without_actions` names them).
    """
    require_columns(actions, ("action_id",), "the actions table")
    links = [split_ids(cell) for cell in optional_column(actions, "linked_pis", None)]
    rows = [
        (code, position)
        for code in codes
        for position, linked in enumerate(links)
        if code in linked
    ]
    picked = actions.iloc[[position for _, position in rows]].reset_index(drop=True)
    picked.insert(0, "indicator", [code for code, _ in rows])
    return picked


def pis_without_actions(actions: pd.DataFrame, codes: Sequence[str]) -> list[str]:
    """The given PI codes no action is linked to, in the order given."""
    linked = {
        code for cell in optional_column(actions, "linked_pis", None) for code in split_ids(cell)
    }
    return [code for code in codes if code not in linked]


# --- did the PI respond? -----------------------------------------------------------------------


def completion_date(action_row: pd.Series) -> pd.Timestamp | None:
    """The date a completed action was completed, or None when the action is not complete.

    Raises
    ------
    AnalysisError
        When the action is complete but its ``completed`` date is blank or not a date.
    """
    if str(action_row.get("status", "")).strip().lower() != COMPLETE:
        return None
    found = date_column(action_row.to_frame().T, "completed", "action_id", required=False).iloc[0]
    if pd.isna(found):
        raise AnalysisError(
            f"action {action_row.get('action_id')!r} is complete but has no completion date; "
            "fill its 'completed' column (YYYY-MM-DD) in actions.csv"
        )
    return found


def _pi_values(values: pd.DataFrame, code: str, authority: object) -> pd.DataFrame:
    """One PI's values (of the action's council, when both tables name it), with each period's
    kind, start and end."""
    require_columns(values, ("indicator", "period", "value"), "the indicator values")
    rows = values[values["indicator"].astype(str).eq(code)]
    if authority is not None and "authority" in values.columns and pd.notna(authority):
        rows = rows[rows["authority"].eq(authority)]
    rows = rows[pd.to_numeric(rows["value"], errors="coerce").notna()]
    periods = [parse_period(str(label)) for label in rows["period"]]
    return pd.DataFrame(
        {
            "period": [p.label for p in periods],
            "kind": [p.kind for p in periods],
            "start": pd.to_datetime([p.start for p in periods]),
            "end": pd.to_datetime([period_end(p) for p in periods]),
            "value": pd.to_numeric(rows["value"]).to_numpy(dtype=float),
        }
    )


def _sides(
    pi: pd.DataFrame, done: pd.Timestamp
) -> dict[str, tuple[pd.Series | None, pd.Series | None]]:
    """For each kind of period: the last row ended on or before ``done`` and the first row
    starting after it (None when there is none)."""
    sides = {}
    for kind in RESPONSE_KINDS:
        rows = pi[pi["kind"] == kind]
        before = rows[rows["end"] <= done].sort_values("end")
        after = rows[rows["start"] > done].sort_values("start")
        sides[kind] = (
            before.iloc[-1] if len(before) else None,
            after.iloc[0] if len(after) else None,
        )
    return sides


def _tolerance(setting: pd.Series, before: float) -> float:
    """The PI's tolerance in its units around ``before`` (0 when the register gives none)."""
    tolerance = pd.to_numeric(pd.Series([setting.get("tolerance")]), errors="coerce").iloc[0]
    if pd.isna(tolerance):
        return 0.0
    kind = (
        str(setting.get("tolerance_type") or "").strip().lower() or rag_rule.DEFAULT_TOLERANCE_TYPE
    )
    return float(tolerance) * abs(before) if kind == "relative" else float(tolerance)


def judge_response(before: float, after: float, polarity: str, tolerance: float) -> str:
    """:data:`RESPONDED`, :data:`NO_CHANGE` or :data:`WORSE` for a PI's values either side of an
    action's completion (:data:`RESPONSE_METHOD`).

    Parameters
    ----------
    before, after : float
        The last value before completion and the first value after it.
    polarity : {"higher", "lower", "neutral"}
        Which way is better.
    tolerance : float
        The change, in the PI's units, that still counts as no change (0: any change counts).

    Returns
    -------
    str
    """
    sign = {"higher": 1.0, "lower": -1.0}.get(polarity)
    if sign is None:
        return NEUTRAL
    better_by = (after - before) * sign
    slack = rag_rule.FLOAT_SLACK * (1 + abs(before) + abs(after))
    if abs(better_by) <= tolerance + slack:
        return NO_CHANGE
    return RESPONDED if better_by > 0 else WORSE


RESPONSE_COLUMNS = [
    "action_id",
    "indicator",
    "frequency",
    "before_period",
    "before_value",
    "after_period",
    "after_value",
    "change",
    "response",
]


def pi_response(
    action_row: pd.Series, values: pd.DataFrame, register: pd.DataFrame
) -> pd.DataFrame:
    """Whether each PI linked to an action responded after the action was completed
    (:data:`RESPONSE_METHOD`).

    Parameters
    ----------
    action_row : Series
        One row of the actions table (``action_id``, ``status``, ``completed``, ``linked_pis``;
        ``authority`` picks the council's values when ``values`` has several councils).
    values : DataFrame
        The long indicator values (``indicator``, ``period``, ``value``; optional
        ``authority``).
    register : DataFrame
        The indicator register (``code``, ``polarity``; optional ``tolerance``,
        ``tolerance_type``).

    Returns
    -------
    DataFrame
        One row per linked PI, columns :data:`RESPONSE_COLUMNS`: the frequency compared (blank
        when none), the periods and values either side of completion, ``change`` (after - before)
        and ``response`` (one of :data:`RESPONSE_STATES`).

    Raises
    ------
    AnalysisError
        When a linked PI is not in the register, or a complete action has no completion date.
    """
    done = completion_date(action_row)
    settings = register.assign(code=register["code"].astype(str).str.strip()).set_index("code")
    rows = []
    for code in split_ids(action_row.get("linked_pis")):
        if code not in settings.index:
            raise AnalysisError(
                f"action {action_row.get('action_id')!r} is linked to PI {code!r}, which is not "
                "in the indicator register; correct linked_pis in actions.csv or add the PI"
            )
        row = {"action_id": action_row.get("action_id"), "indicator": code}
        if done is None:
            rows.append({**row, "response": NOT_COMPLETED})
            continue
        pi = _pi_values(values, code, action_row.get("authority"))
        rows.append({**row, **_compare_sides(_sides(pi, done), settings.loc[code])})
    return pd.DataFrame(rows, columns=RESPONSE_COLUMNS)


def _compare_sides(sides: dict, setting: pd.Series) -> dict[str, object]:
    """The comparison at the finest frequency with values on both sides of completion."""
    if all(after is None for _, after in sides.values()):
        return {"response": TOO_EARLY}
    both = [
        kind for kind, (before, after) in sides.items() if before is not None and after is not None
    ]
    if not both:
        return {"response": NO_BASELINE}
    before, after = sides[both[0]]
    polarity = str(setting.get("polarity", "")).strip().lower()
    response = judge_response(
        before["value"], after["value"], polarity, _tolerance(setting, before["value"])
    )
    return {
        "frequency": both[0],
        "before_period": before["period"],
        "before_value": before["value"],
        "after_period": after["period"],
        "after_value": after["value"],
        "change": after["value"] - before["value"],
        "response": response,
    }


def pi_responses(
    actions: pd.DataFrame, values: pd.DataFrame, register: pd.DataFrame
) -> pd.DataFrame:
    """:func:`pi_response` for every action of the table, one row per (action, linked PI)."""
    frames = [pi_response(row, values, register) for _, row in actions.iterrows()]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=RESPONSE_COLUMNS)
    return pd.concat(frames, ignore_index=True)


# --- progress of a plan ------------------------------------------------------------------------


def completion_over_time(frame: pd.DataFrame, periods: Sequence[str | Period]) -> pd.DataFrame:
    """The cumulative share of a plan's actions completed by the end of each period.

    The denominator is every action not cancelled; an action counts as complete at a period's
    end when its status is ``complete`` and its completion date is on or before that day.

    Parameters
    ----------
    frame : DataFrame
        The actions of one plan (``status``, ``completed``).
    periods : sequence of str or Period
        Quarters or months (``"2024/25 Q1"``, ``"2024-04"``), in the order to report.

    Returns
    -------
    DataFrame
        One row per period: ``period`` (label), ``end`` (its last day), ``completed``, ``total``
        and ``percent`` (0-100; NaN when no action is counted).

    Raises
    ------
    AnalysisError
        When a complete action has no completion date.
    """
    status = _status(frame)
    done = date_column(frame, "completed", "action_id", required=False)
    undated = status.eq(COMPLETE) & done.isna()
    if undated.any():
        raise AnalysisError(
            f"complete action(s) {named_rows(optional_column(frame, 'action_id', '?')[undated])} "
            "have no completion date; fill 'completed' (YYYY-MM-DD) in actions.csv"
        )
    total = int(status.ne(CANCELLED).sum())
    rows = []
    for period in periods:
        parsed = period if isinstance(period, Period) else parse_period(period)
        end = pd.Timestamp(period_end(parsed))
        completed = int((status.eq(COMPLETE) & done.le(end)).sum())
        percent = 100.0 * completed / total if total else float("nan")
        rows.append(
            {
                "period": parsed.label,
                "end": end,
                "completed": completed,
                "total": total,
                "percent": percent,
            }
        )
    return pd.DataFrame(rows, columns=["period", "end", "completed", "total", "percent"])


# --- performance clinics -----------------------------------------------------------------------


def tolerance_missed(card: pd.DataFrame, register: pd.DataFrame | None = None) -> pd.Series:
    """The share of the tolerance band each PI misses its target by (:data:`CLINIC_METHOD`).

    Parameters
    ----------
    card : DataFrame
        The scorecard (``value``, ``target``, ``polarity``, ``indicator``; its
        ``tolerance_band`` when it carries one).
    register : DataFrame, optional
        The indicator register, for the band when the card does not carry it.

    Returns
    -------
    Series of float
        (target - value) x polarity sign / band: above 1 beyond the band (Red), 0 to 1 within
        it, negative when better than target; inf for a shortfall against a zero band; NaN
        without a target, for a neutral PI, or when no band can be worked out.
    """
    value = pd.to_numeric(card["value"], errors="coerce").to_numpy(dtype=float)
    target = pd.to_numeric(card["target"], errors="coerce").to_numpy(dtype=float)
    sign = card["polarity"].astype(str).str.strip().str.lower().map({"higher": 1.0, "lower": -1.0})
    missed = (target - value) * sign.to_numpy(dtype=float)
    band = _band(card, register, target)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(band > 0, missed / band, np.where(missed > 0, np.inf, 0.0))
    share = np.where(np.isnan(missed) | np.isnan(band), np.nan, share)
    return pd.Series(share, index=card.index, name="tolerance_missed")


def _band(card: pd.DataFrame, register: pd.DataFrame | None, target: np.ndarray) -> np.ndarray:
    """The amber band width of each scorecard row (NaN when it cannot be worked out)."""
    if "tolerance_band" in card.columns:
        return pd.to_numeric(card["tolerance_band"], errors="coerce").to_numpy(dtype=float)
    if register is None:
        return np.full(len(card), np.nan)
    settings = engine.indicator_settings(register)
    found = settings.reindex(card["indicator"].astype(str).str.strip())
    relative = found["tolerance_type"].eq("relative").to_numpy()
    tolerance = found["tolerance"].to_numpy(dtype=float)
    return np.where(relative, tolerance * np.abs(target), tolerance)


def clinic_list(card: pd.DataFrame, register: pd.DataFrame | None = None) -> pd.DataFrame:
    """The performance clinic list for the coming year (:data:`CLINIC_METHOD`).

    Parameters
    ----------
    card : DataFrame
        The scorecard of :func:`perfeval.stats.scorecard.build_scorecard` (``indicator``,
        ``rag``, ``dot``, ``value``, ``target``, ``polarity``).
    register : DataFrame, optional
        The indicator register, for the tolerance band (the scorecard does not carry it);
        without it (and without a ``tolerance_band`` column) PIs are ranked by code within each
        group.

    Returns
    -------
    DataFrame
        The Red or worsening rows of ``card`` in clinic order, with ``clinic_group`` (one of
        :data:`CLINIC_GROUPS`), ``tolerance_missed`` and ``clinic_rank`` (1 = most in need).
    """
    require_columns(
        card, ("indicator", "rag", "dot", "value", "target", "polarity"), "the scorecard"
    )
    red = card["rag"].astype(object).eq(rag_rule.RED)
    worse = card["dot"].astype(object).eq(engine.WORSE)
    group = np.select([red & worse, red, worse], [0, 1, 2], default=-1)
    listed = card.assign(_group=group, tolerance_missed=tolerance_missed(card, register))[
        group >= 0
    ]
    listed = listed.sort_values(
        ["_group", "tolerance_missed", "indicator"],
        ascending=[True, False, True],
        na_position="last",
        kind="mergesort",
    ).reset_index(drop=True)
    listed.insert(
        len(listed.columns) - 1, "clinic_group", [CLINIC_GROUPS[g] for g in listed["_group"]]
    )
    return listed.drop(columns="_group").assign(clinic_rank=np.arange(1, len(listed) + 1))
