"""The indicator-by-indicator table an author quotes and an auditor checks: one row per PI.

:func:`annual_indicator_table` turns the scorecard
(:func:`perfeval.stats.scorecard.build_scorecard`) into the table published as the key figure
``indicator_table`` by State of the Nation and the end-of-year review;
:func:`in_year_indicator_table` does the same for the quarterly report's year-to-date position.
Each is a plain table in the manner of the Government Analysis Function's guidance (2021,
"Releasing statistics in spreadsheets",
https://analysisfunction.civilservice.gov.uk/policy-store/releasing-statistics-in-spreadsheets/):

* plain-English column headers, the indicator's name beside its code;
* every value stored at the precision a reader sees: rounded half up to the PI's register
  decimals (:func:`perfeval.core.formatting.round_half_up`), whole numbers stored as integers;
* no blank cell: a missing value keeps its UK statistical symbol (``[x]``, ``[c]``, ...), never 0,
  with the reason in words; a cell that cannot apply (no target for a neutral PI, no rank for
  a PI with no value) holds ``[z]`` (not applicable) or ``[x]`` (not available), and a rank from
  fewer than :data:`~perfeval.stats.scorecard.MIN_COMPARATORS` councils ``[low]``;
* a value's flag in words and symbol (``[p] provisional``).

The column ``Code`` identifies a row; ``perfeval verify`` compares two tables row by row on it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from perfeval.core.formatting import round_half_up
from perfeval.data.loader import STATUS_FLAGS
from perfeval.stats.indicators import describe_symbol
from perfeval.stats.scorecard import MIN_COMPARATORS

__all__ = [
    "KEY_COLUMN",
    "DECIMALS_COLUMN",
    "MEASURED_COLUMNS",
    "NOT_AVAILABLE",
    "NOT_APPLICABLE",
    "TOO_FEW",
    "ANNUAL_COLUMNS",
    "ANNUAL_DESCRIPTION",
    "IN_YEAR_DESCRIPTION",
    "IN_YEAR_COLUMNS",
    "stored_value",
    "value_status",
    "missing_reason",
    "annual_indicator_table",
    "in_year_indicator_table",
]

#: The column that identifies a row (the PI's code).
KEY_COLUMN = "Code"
#: The column giving each row's decimal places: the spreadsheets format that row's measured
#: cells (:data:`MEASURED_COLUMNS`) with exactly that many decimals.
DECIMALS_COLUMN = "Decimal places"
#: Columns holding a number in the PI's own unit, stored to the row's decimal places.
MEASURED_COLUMNS = (
    "Value",
    "Target",
    "Comparator median",
    "Value (year to date)",
    "Profiled target to date",
    "Year-end forecast",
    "Annual target",
)
NOT_AVAILABLE, NOT_APPLICABLE, TOO_FEW = "[x]", "[z]", "[low]"

ANNUAL_COLUMNS = [
    "Code",
    "Indicator",
    "Service",
    "Unit",
    "Period",
    "Value",
    "Decimal places",
    "Value status",
    "Why there is no value",
    "Target",
    "Against target (RAG)",
    "Direction of travel",
    "Rank (1 = best)",
    "Councils ranked",
    "Quartile (1 = best)",
    "Comparator median",
]
IN_YEAR_COLUMNS = [
    "Code",
    "Indicator",
    "Service",
    "Unit",
    "Measured",
    "Latest period in the year to date",
    "Value (year to date)",
    "Decimal places",
    "Why there is no value",
    "Profiled target to date",
    "Against profiled target (RAG)",
    "Year-end forecast",
    "Annual target",
    "Year-end forecast against annual target",
]
#: What the annual and the quarterly table are (the key figure's description, the sheet's title).
ANNUAL_DESCRIPTION = (
    "Every indicator's latest annual value with its period, flag, target, status against target "
    "(RAG), direction of travel, rank and quartile among the comparator group"
)
IN_YEAR_DESCRIPTION = (
    "Every quarterly and monthly indicator's year to date against its profiled target, with its "
    "year-end forecast against the annual target"
)
_STATUS_SYMBOLS = {meaning: symbol for symbol, meaning in STATUS_FLAGS.items()}


def stored_value(value: Any, decimals: int, *, missing: str = NOT_AVAILABLE) -> int | float | str:
    """``value`` rounded half up to ``decimals`` places, as a reader sees it: an ``int`` for 0
    decimals (``6513``, never ``6513.0``), else a ``float``; ``missing`` when there is none.

    Examples
    --------
    >>> stored_value(2.675, 2), stored_value(62.5, 0), stored_value(float("nan"), 1)
    (2.68, 63, '[x]')
    """
    if value is None or pd.isna(value):
        return missing
    rounded = round_half_up(float(value), int(decimals))
    return int(rounded) if int(decimals) == 0 else float(rounded)


def value_status(status: Any) -> str:
    """A value's status in words and symbol: ``Final``, ``[p] provisional``, ``[e] estimated``,
    ``[r] revised`` (a blank or unknown status reads as given, ``Final`` when blank)."""
    if not isinstance(status, str) or not status.strip() or status.strip() == "final":
        return "Final"
    word = status.strip().lower()
    symbol = _STATUS_SYMBOLS.get(word)
    return f"{symbol} {word}" if symbol else word


def missing_reason(value: Any, symbol: Any, note: Any) -> str:
    """Why a PI has no value: the symbol's meaning (``[x] not available``) and the data's note
    after a colon (the note's own opening words left out when they repeat the meaning);
    ``[z]`` (not applicable) when the value is there."""
    if value is not None and not pd.isna(value):
        return NOT_APPLICABLE
    reason = describe_symbol(symbol)
    text = note.strip() if isinstance(note, str) else ""
    if not text:
        return reason
    meaning = reason.split("] ", 1)[-1]
    if text.lower().startswith(meaning.lower()):  # "Not available: ..." after "[x] not available"
        text = text[len(meaning) :].lstrip(" :;,-")
    return f"{reason}: {text}" if text else reason


def _position(value: Any, n_ranked: Any, polarity: Any, has_value: bool) -> int | float | str:
    """A rank or quartile as stored: the number (a half for a mid-rank tie, e.g. 2.5); ``[z]``
    for a neutral PI (nothing is better); ``[x]`` without a value; ``[low]`` when fewer than
    MIN_COMPARATORS councils are ranked."""
    if value is not None and not pd.isna(value):
        return int(value) if float(value).is_integer() else float(value)
    if polarity == "neutral":
        return NOT_APPLICABLE
    if not has_value:
        return NOT_AVAILABLE
    if not pd.isna(n_ranked) and int(n_ranked) < MIN_COMPARATORS:
        return TOO_FEW
    return NOT_AVAILABLE


def _count(value: Any, polarity: Any) -> int | str:
    if value is not None and not pd.isna(value):
        return int(value)
    return NOT_APPLICABLE if polarity == "neutral" else NOT_AVAILABLE


def _target(value: Any, decimals: int, polarity: Any) -> int | float | str:
    return stored_value(
        value, decimals, missing=NOT_APPLICABLE if polarity == "neutral" else NOT_AVAILABLE
    )


def _value(value: Any, decimals: int, symbol: Any) -> int | float | str:
    """The value as stored, or its own statistical symbol (``[x]`` when it has none)."""
    has_symbol = isinstance(symbol, str) and symbol.strip()
    return stored_value(value, decimals, missing=symbol.strip() if has_symbol else NOT_AVAILABLE)


def _text(value: Any) -> str:
    return (
        NOT_AVAILABLE if value is None or pd.isna(value) or not str(value).strip() else str(value)
    )


def annual_indicator_table(card: pd.DataFrame) -> pd.DataFrame:
    """The indicator-by-indicator table of an annual scorecard, one row per PI in card order.

    Parameters
    ----------
    card : DataFrame
        From :func:`perfeval.stats.scorecard.build_scorecard` (columns ``indicator``, ``title``,
        ``service``, ``unit``, ``polarity``, ``decimals``, ``period``, ``value``,
        ``value_symbol``, ``status``, ``note``, ``target``, ``rag``, ``dot``, ``rank``,
        ``n_ranked``, ``quartile``, ``comparator_median``).

    Returns
    -------
    DataFrame
        Columns :data:`ANNUAL_COLUMNS`, object dtype, no missing cell (see the module's rules).
    """
    rows = []
    for pi in card.to_dict("records"):
        decimals, polarity = int(pi["decimals"]), pi["polarity"]
        has_value = not pd.isna(pi["value"])
        rows.append(
            [
                pi["indicator"],
                _text(pi["title"]),
                _text(pi["service"]),
                _text(pi["unit"]),
                _text(pi["period"]),
                _value(pi["value"], decimals, pi.get("value_symbol")),
                decimals,
                value_status(pi.get("status")) if has_value else NOT_APPLICABLE,
                missing_reason(pi["value"], pi.get("value_symbol"), pi.get("note")),
                _target(pi["target"], decimals, polarity),
                _text(pi["rag"]),
                _text(pi["dot"]),
                _position(pi["rank"], pi["n_ranked"], polarity, has_value),
                _count(pi["n_ranked"], polarity),
                _position(pi["quartile"], pi["n_ranked"], polarity, has_value),
                stored_value(pi["comparator_median"], decimals, missing=_median_symbol(pi)),
            ]
        )
    return pd.DataFrame(rows, columns=ANNUAL_COLUMNS, dtype=object)


def _median_symbol(pi: dict[str, Any]) -> str:
    """Why there is no comparator median: fewer than MIN_COMPARATORS councils with a value."""
    n = pi.get("n_ranked")
    if n is None or pd.isna(n) or pi["polarity"] == "neutral":
        return NOT_AVAILABLE
    return TOO_FEW if int(n) < MIN_COMPARATORS else NOT_AVAILABLE


def in_year_indicator_table(position: pd.DataFrame) -> pd.DataFrame:
    """The indicator-by-indicator table of the quarterly report: each quarterly and monthly PI's
    year to date against its profiled target and its year-end forecast.

    Parameters
    ----------
    position : DataFrame
        From :func:`perfeval.sections.monitoring.assess_in_year` (columns ``indicator``,
        ``title``, ``service``, ``unit``, ``decimals``, ``frequency``, ``kind``,
        ``last_period``, ``ytd_value``, ``ytd_target``, ``rag``, ``forecast``,
        ``annual_target``, ``forecast_state``, ``note``).

    Returns
    -------
    DataFrame
        Columns :data:`IN_YEAR_COLUMNS`, object dtype, no missing cell.
    """
    rows = []
    for pi in position.to_dict("records"):
        decimals = int(pi["decimals"])
        has_value = not pd.isna(pi["ytd_value"])
        note = pi.get("note") if not has_value else None
        rows.append(
            [
                pi["indicator"],
                _text(pi["title"]),
                _text(pi["service"]),
                _text(pi["unit"]),
                f"{pi['frequency']}, {pi['kind']}",
                _text(pi["last_period"]),
                stored_value(pi["ytd_value"], decimals),
                decimals,
                NOT_APPLICABLE if has_value else _text(note),
                stored_value(pi["ytd_target"], decimals),
                _text(pi["rag"]),
                stored_value(pi["forecast"], decimals),
                stored_value(pi["annual_target"], decimals),
                _text(pi["forecast_state"]),
            ]
        )
    return pd.DataFrame(rows, columns=IN_YEAR_COLUMNS, dtype=object)
