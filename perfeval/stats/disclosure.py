"""Disclosure control of survey tables: what may be published, and how it is shown.

* :func:`apply_disclosure_control` - small cells suppressed as ``[c]`` (with secondary
  suppression, so that no suppressed figure can be worked out by subtraction from a total; ONS
  2021, Disclosure control guidance for tables produced from surveys), small bases shown as
  ``[low]`` and empty rows as ``[x]``.
* :func:`format_percentage_with_base` and :func:`format_publication_table` - a percentage never
  shown without its base, and a symbol in place of every figure that may not be published.

The symbols follow the Government Statistical Service guidance on symbols in tables
(:data:`SUPPRESSED`, :data:`LOW_BASE`, :data:`NOT_AVAILABLE`).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from decimal import Decimal

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.core.formatting import format_number

__all__ = [
    "LOW_BASE",
    "NON_SUBSTANTIVE",
    "NOT_AVAILABLE",
    "SUPPRESSED",
    "apply_disclosure_control",
    "format_percentage_with_base",
    "format_publication_table",
]

#: Confidential: too few respondents to show (primary or secondary suppression).
SUPPRESSED = "[c]"
#: Base too small to publish the estimate; the base itself is shown.
LOW_BASE = "[low]"
#: Not available: no respondents.
NOT_AVAILABLE = "[x]"

#: Group labels that are no substantive answer: suppressed first when a complementary cell is
#: needed, because hiding them loses no finding a reader would quote.
NON_SUBSTANTIVE = frozenset(
    {"Prefer not to say", "Don't know", "Not known", "Not stated", "Refused", "No answer"}
)


def format_percent(proportion: float, decimals: int = 0) -> str:
    """A 0-1 share as a percentage rounded half up on its decimal value (``0.285`` -> ``"29%"``)
    by :func:`perfeval.core.formatting.format_number`, as every sentence rounds it."""
    return format_number(float(Decimal(repr(float(proportion))).scaleb(2)), decimals, "%")


def _breakdowns(
    table: pd.DataFrame,
    group_columns: list[str],
    table_columns: list[str],
    total_label: Hashable | None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Sets of rows that add up to a total: (category row positions, total row positions).

    For each group column, the rows that share the values of the table columns and of the other
    group columns are one breakdown along that column.
    """
    sets = []
    split_by: list[str | None] = [*group_columns] if group_columns else [None]
    for column in split_by:
        others = table_columns + [c for c in group_columns if c != column]
        is_total = np.zeros(len(table), dtype=bool)
        if column is not None and total_label is not None:
            is_total = (table[column] == total_label).to_numpy(dtype=bool)
        keys = (
            table[others].astype(str).agg("\x1f".join, axis=1).to_numpy()
            if others
            else np.zeros(len(table))
        )
        for _, rows in pd.Series(np.arange(len(table))).groupby(keys):
            rows = rows.to_numpy()
            sets.append((rows[~is_total[rows]], rows[is_total[rows]]))
    return sets


def _least_informative(open_: np.ndarray, base: np.ndarray, substantive: np.ndarray) -> int:
    """The open cell whose suppression loses least information: a non-substantive answer
    ("Prefer not to say", "Don't know") before any substantive one, then the smallest base."""
    return int(open_[np.lexsort((base[open_], substantive[open_]))[0]])


def _secondary_suppression(
    base: np.ndarray,
    suppressed: np.ndarray,
    breakdowns: list[tuple[np.ndarray, np.ndarray]],
    min_cell: int,
    substantive: np.ndarray | None = None,
) -> np.ndarray:
    """Suppress more cells until no suppressed figure can be recovered from a total.

    Within each breakdown whose categories add up to a (published or publishable) total, the
    suppressed categories must be at least two and hold at least ``min_cell`` respondents
    between them; otherwise one more category is suppressed, and if none is left the total
    itself (complementary suppression; ONS 2021, Disclosure control guidance for tables
    produced from surveys; GSS/ONS Statistical Disclosure Control methodology). The
    complementary cell is the one that loses least information (:func:`_least_informative`):
    the guidance asks for the complementary cells with the least information value, which is
    why cell-suppression software minimises the suppressed total (Hundepool et al. 2012,
    Statistical Disclosure Control, Wiley, section 5.3, "information loss" with cost = cell
    frequency); a non-substantive answer (``substantive`` False) carries no finding a reader
    would quote, so it goes before any substantive answer, then the smallest base. Repeated
    across breakdowns until stable.
    """
    if substantive is None:
        substantive = np.ones(len(base), dtype=bool)
    suppressed = suppressed.copy()
    changed = True
    while changed:
        changed = False
        for categories, totals in breakdowns:
            while True:
                hidden = categories[suppressed[categories] & (base[categories] > 0)]
                if len(hidden) == 0 or (len(hidden) >= 2 and base[hidden].sum() >= min_cell):
                    break
                open_ = categories[~suppressed[categories] & (base[categories] > 0)]
                if len(open_):
                    suppressed[_least_informative(open_, base, substantive)] = changed = True
                    continue
                if len(totals) and not suppressed[totals].all():
                    suppressed[totals] = changed = True
                break
    return suppressed


def apply_disclosure_control(
    table: pd.DataFrame,
    *,
    base_column: str = "base",
    count_column: str | None = None,
    min_base: int = 50,
    min_cell: int = 10,
    group_columns: Sequence[str] | None = None,
    table_columns: Sequence[str] | None = None,
    total_label: Hashable | None = None,
    non_substantive: Collection[Hashable] = NON_SUBSTANTIVE,
) -> pd.DataFrame:
    """Remove every figure that must not be published and mark it with a statistical symbol.

    Rules, applied in this order:

    1. ``[c]`` (primary suppression): a row with fewer than ``min_cell`` respondents (base > 0).
       With ``count_column``, also a row whose count of positive answers, or of other answers,
       is between 1 and ``min_cell - 1``.
    2. ``[c]`` (secondary suppression): within each breakdown - rows that add up to a total -
       if the suppressed rows are fewer than two or hold fewer than ``min_cell`` respondents
       between them, one more row is suppressed (and, if none is left, the total row), so a
       suppressed figure cannot be worked out by subtracting published ones from the total.
       The row chosen is the one that loses least information: a non-substantive answer
       (``non_substantive``, e.g. "Prefer not to say") before any substantive one, then the
       smallest base. With two group columns each dimension is protected in turn until stable.
    3. ``[low]``: a row with a base below ``min_base`` is not published, but its base is shown.
    4. ``[x]``: a row with no respondents (base 0).

    In a ``[c]`` row every column except the group columns is blanked (set missing), base
    included; in a ``[low]`` or ``[x]`` row everything but the group columns and the base. The
    suppressed values are therefore not in the returned table at all.

    Parameters
    ----------
    table : pandas.DataFrame
        A results table such as :func:`~perfeval.stats.survey.estimate` returns, one row per
        group.
    base_column : str
        Unweighted number of respondents behind each row.
    count_column : str, optional
        Unweighted number of positive answers (``count`` from
        :func:`~perfeval.stats.survey.estimate`), to protect small numerators and complements too.
    min_base : int
        Smallest base whose estimate is published (default 50).
    min_cell : int
        Smallest number of respondents that may be shown (default 10).
    group_columns : list of str, optional
        Breakdown columns; default ``table.attrs["group_columns"]`` (set by
        :func:`~perfeval.stats.survey.estimate`), or none, meaning all rows form one breakdown.
    table_columns : list of str, optional
        Columns that separate independent tables stacked in one frame, e.g. ``["variable"]`` for
        several questions; default ``table.attrs["table_columns"]`` or none.
    total_label : hashable, optional
        Value of a group column that marks a total row (e.g. ``"All respondents"``).
    non_substantive : collection of hashable
        Group labels that are no substantive answer (default :data:`NON_SUBSTANTIVE`), chosen
        first as complementary cells.

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with suppressed values removed, plus ``symbol`` (``""``, ``"[c]"``,
        ``"[low]"`` or ``"[x]"``), ``suppression`` (``"primary"`` for a small cell,
        ``"secondary"`` for a cell hidden to protect one, else ``""``) and ``published`` (True
        when the estimate may be shown).

    Raises
    ------
    ParameterError
        If the thresholds are not sensible or a named column is missing.
    AnalysisError
        If a base is missing or negative.
    """
    groups = list(
        group_columns if group_columns is not None else table.attrs.get("group_columns", [])
    )
    tables = list(
        table_columns if table_columns is not None else table.attrs.get("table_columns", [])
    )
    _check_disclosure_arguments(
        table, base_column, count_column, groups + tables, min_base, min_cell
    )
    base = pd.to_numeric(table[base_column], errors="coerce").to_numpy(dtype=float)
    if np.isnan(base).any() or (base < 0).any():
        raise AnalysisError(
            f"Column {base_column!r} must give every row's number of respondents; "
            f"{int(np.isnan(base).sum() + (base < 0).sum())} row(s) are "
            f"missing or negative."
        )
    small = (base > 0) & (base < min_cell)
    if count_column is not None:
        count = table[count_column].to_numpy(dtype=float)
        rest = base - count
        small |= ((count > 0) & (count < min_cell)) | ((rest > 0) & (rest < min_cell))
    substantive = (
        ~table[groups].isin(list(non_substantive)).any(axis=1).to_numpy(dtype=bool)
        if groups
        else np.ones(len(table), dtype=bool)
    )
    confidential = _secondary_suppression(
        base, small, _breakdowns(table, groups, tables, total_label), min_cell, substantive
    )
    low = ~confidential & (base > 0) & (base < min_base)
    empty = ~confidential & (base == 0)
    hide = [c for c in table.columns if c not in groups + tables]
    whole_numbers = [
        c
        for c in hide
        if pd.api.types.is_integer_dtype(table[c]) or pd.api.types.is_bool_dtype(table[c])
    ]
    result = table.astype({c: "float64" for c in whole_numbers})  # so a value can be blanked
    result.loc[confidential, hide] = np.nan
    result.loc[low | empty, [c for c in hide if c != base_column]] = np.nan
    result["symbol"] = np.select(
        [confidential, low, empty], [SUPPRESSED, LOW_BASE, NOT_AVAILABLE], ""
    )
    result["suppression"] = np.select([small, confidential], ["primary", "secondary"], "")
    result["published"] = ~(confidential | low | empty)
    return result


def _check_disclosure_arguments(
    table: pd.DataFrame,
    base_column: str,
    count_column: str | None,
    groups: list[str],
    min_base: int,
    min_cell: int,
) -> None:
    problems = [
        f"column {c!r} is not in the table (columns: {list(table.columns)!r})"
        for c in [base_column, count_column, *groups]
        if c is not None and c not in table.columns
    ]
    if not (isinstance(min_cell, int) and min_cell >= 1):
        problems.append(f"min_cell must be a whole number >= 1; got {min_cell!r}")
    if not (isinstance(min_base, int) and min_base >= 1):
        problems.append(f"min_base must be a whole number >= 1; got {min_base!r}")
    if problems:
        raise ParameterError(problems)


def format_percentage_with_base(
    proportion: float | None, base: float | None, *, decimals: int = 0, symbol: str = ""
) -> str:
    """Format a proportion as a percentage with its unweighted base, e.g. ``"45% (base 312)"``.

    A percentage is never shown without its base. A statistical symbol replaces the number:
    ``"[c]"`` is shown alone (its base is confidential too); ``"[low]"`` and ``"[x]"`` with the
    base, e.g. ``"[low] (base 32)"``.

    Parameters
    ----------
    proportion : float or None
        Fraction between 0 and 1; ignored when ``symbol`` is given.
    base : float or None
        Unweighted number of respondents.
    decimals : int
        Decimal places of the percentage.
    symbol : str
        Statistical symbol from :func:`apply_disclosure_control` (``""`` when published).

    Returns
    -------
    str

    Raises
    ------
    AnalysisError
        If a percentage (or ``[low]``) is asked for without a valid base, or a published
        proportion is missing or outside 0-1.
    """
    if symbol == SUPPRESSED:
        return SUPPRESSED
    if base is None or pd.isna(base) or base < 0:
        raise AnalysisError(
            f"A percentage must be shown with its base, but the base is {base!r}; "
            f"pass the unweighted number of respondents."
        )
    base_text = f"(base {int(round(base)):,})"
    if symbol:
        return f"{symbol} {base_text}"
    if proportion is None or pd.isna(proportion) or not 0 <= proportion <= 1:
        raise AnalysisError(
            f"Cannot format proportion {proportion!r} as a percentage: expected a "
            f"fraction between 0 and 1, or a symbol such as '[x]' when missing."
        )
    return f"{format_percent(proportion, decimals)} {base_text}"


def format_publication_table(
    controlled: pd.DataFrame, *, decimals: int = 0, group_columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Display table of a disclosure-controlled proportion table: group labels and text only.

    Parameters
    ----------
    controlled : pandas.DataFrame
        Output of :func:`apply_disclosure_control` on a table of proportions.
    decimals : int
        Decimal places of percentages.
    group_columns : list of str, optional
        Label columns to keep; default ``controlled.attrs["table_columns"]`` followed by
        ``controlled.attrs["group_columns"]``.

    Returns
    -------
    pandas.DataFrame
        Group columns, ``result`` (e.g. ``"45% (base 312)"`` or ``"[c]"``) and
        ``confidence_interval`` (e.g. ``"41% to 49%"`` or the symbol).

    Raises
    ------
    ParameterError
        If ``controlled`` has not been through :func:`apply_disclosure_control`.
    """
    if "symbol" not in controlled.columns:
        raise ParameterError(
            [
                "format_publication_table needs the output of "
                "apply_disclosure_control (no 'symbol' column found)"
            ]
        )
    groups = list(
        group_columns
        if group_columns is not None
        else controlled.attrs.get("table_columns", []) + controlled.attrs.get("group_columns", [])
    )
    display = controlled[groups].copy()
    display["result"] = [
        format_percentage_with_base(p, b, decimals=decimals, symbol=s)
        for p, b, s in zip(controlled["estimate"], controlled["base"], controlled["symbol"])
    ]
    display["confidence_interval"] = [
        s if s else f"{format_percent(lo, decimals)} to {format_percent(hi, decimals)}"
        for lo, hi, s in zip(controlled["ci_low"], controlled["ci_high"], controlled["symbol"])
    ]
    return display
