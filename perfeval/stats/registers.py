"""Helpers shared by the actions and risks registers (issue #17): report dates, date columns and
the text of coded cells.

Dates in ``actions.csv`` and ``risks.csv`` arrive as :class:`datetime.date` objects, pandas
Timestamps or ISO ``YYYY-MM-DD`` text, depending on the loader; every rule here turns them into
Timestamps at midnight, so that "before the report date" means the calendar day before.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.data.loader import require_columns
from perfeval.data.notes import optional_column

#: How many offending rows a message names before counting the rest.
ROWS_NAMED = 5


def report_timestamp(on: date | pd.Timestamp | str) -> pd.Timestamp:
    """The report date as a Timestamp at midnight.

    Parameters
    ----------
    on : date, Timestamp or str
        The report date (``2025-03-31``); never today's clock, always passed in.

    Returns
    -------
    Timestamp

    Raises
    ------
    ParameterError
        When ``on`` is blank or not a date.
    """
    try:
        stamp = pd.Timestamp(on)
    except (TypeError, ValueError) as err:
        raise ParameterError(
            [f"report date must be a date such as '2025-03-31'; got {on!r}"]
        ) from err
    if pd.isna(stamp):
        raise ParameterError([f"report date must be a date such as '2025-03-31'; got {on!r}"])
    return stamp.normalize()


def named_rows(ids: pd.Series) -> str:
    """The first :data:`ROWS_NAMED` ids, quoted, and how many more (``'A01', 'A02' and 3 more``)."""
    shown = ", ".join(repr(str(i)) for i in ids.iloc[:ROWS_NAMED])
    more = len(ids) - ROWS_NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def date_column(
    frame: pd.DataFrame, column: str, id_column: str, *, required: bool = True
) -> pd.Series:
    """A date column as Timestamps (NaT where blank).

    Parameters
    ----------
    frame : DataFrame
        The actions or risks table.
    column : str
        The date column.
    id_column : str
        The id column named in messages (``action_id``, ``risk_id``).
    required : bool
        When False an absent column is all blank.

    Returns
    -------
    Series
        ``datetime64`` values aligned with ``frame``.

    Raises
    ------
    AnalysisError
        When the column is required and absent, or a cell is not a date.
    """
    if required:
        require_columns(frame, (column,), f"the table with {id_column}")
    raw = optional_column(frame, column, None)
    blank = raw.isna() | raw.astype(str).str.strip().eq("")
    parsed = pd.to_datetime(raw.where(~blank), errors="coerce", format="mixed")
    bad = parsed.isna() & ~blank
    if bad.any():
        ids = optional_column(frame, id_column, "?")[bad]
        raise AnalysisError(
            f"column {column!r} holds values that are not dates ({named_rows(ids)}: "
            f"{raw[bad].iloc[0]!r} ...); write dates as YYYY-MM-DD"
        )
    return parsed.dt.normalize()


def coded_text(frame: pd.DataFrame, column: str, default: str = "") -> pd.Series:
    """A coded text column (status, direction, register) stripped and in lower case; an absent
    column or a blank cell is ``default``."""
    text = optional_column(frame, column, default).fillna(default).astype(str).str.strip()
    return text.str.lower().mask(text.eq(""), default)
