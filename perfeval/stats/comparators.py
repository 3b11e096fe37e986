"""Open comparator groups: nearest neighbours on standardised measures.

CIPFA's nearest-neighbour model is proprietary, so perfeval builds its comparator groups openly in
the same spirit: each candidate authority is described by a few published measures, each measure is
standardised to a z-score across the candidate pool (optionally after taking logarithms, for
skewed measures such as population), and the ``k`` candidates with the smallest Euclidean distance
to the home authority form its group (standardised Euclidean distance, as CIPFA describes its
model in "CIPFA's Nearest Neighbours Model (England)", 2019 technical note).

It also holds the one rule for summarising a group of councils' values (:func:`summarise_values`):
a median and quartiles are drawn only from at least :data:`MIN_COMPARATORS` councils with a value,
on every path that draws or quotes one (scorecard medians, trend medians, the England band).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError

#: Fewest councils with a value from which a median, rank or quartile is drawn or quoted: a
#: "median" of one council is that council, and of two their mean.
MIN_COMPARATORS = 3
#: The columns of :func:`summarise_values`.
SUMMARY_COLUMNS = ("median", "lower_quartile", "upper_quartile", "n")


def standardise_measures(
    frame: pd.DataFrame, measures: Sequence[str], log_measures: Sequence[str] = ()
) -> pd.DataFrame:
    """Z-scores of ``measures`` across the rows of ``frame`` (logs first for ``log_measures``).

    Parameters
    ----------
    frame : DataFrame
        One row per candidate authority.
    measures : sequence of str
        Numeric columns to standardise.
    log_measures : sequence of str
        Subset of ``measures`` to take natural logarithms of before standardising.

    Returns
    -------
    DataFrame
        Same index, one column per measure: (x - mean) / standard deviation (ddof=0).
    """
    missing = [m for m in measures if m not in frame.columns]
    if missing:
        raise AnalysisError(
            f"measures {missing} are not columns of the candidate table "
            f"(columns: {list(frame.columns)})"
        )
    stray = [m for m in log_measures if m not in measures]
    if stray:
        raise AnalysisError(
            f"log_measures {stray} must also be listed in measures {list(measures)}"
        )
    values = frame[list(measures)].astype(float)
    for column in log_measures:
        if (values[column] <= 0).any():
            raise AnalysisError(f"measure {column!r} has values <= 0 and cannot be logged")
        values[column] = np.log(values[column])
    spread = values.std(ddof=0).replace(0.0, 1.0)
    return (values - values.mean()) / spread


def nearest_neighbours(
    frame: pd.DataFrame,
    home: str,
    measures: Sequence[str],
    k: int = 15,
    *,
    code_column: str = "code",
    log_measures: Sequence[str] = (),
) -> pd.DataFrame:
    """The ``k`` authorities nearest to ``home`` by standardised Euclidean distance.

    Parameters
    ----------
    frame : DataFrame
        Candidate authorities (the home authority included), one row each, with ``code_column``
        and the numeric ``measures``; rows with a missing measure are dropped.
    home : str
        Code of the home authority.
    measures, log_measures : sequence of str
        See :func:`standardise_measures`.
    k : int
        Number of neighbours (the home authority is not counted).

    Returns
    -------
    DataFrame
        Columns ``code`` and ``distance``, nearest first; ties broken by code so the result is
        deterministic.

    Raises
    ------
    AnalysisError
        If ``home`` is not among the candidates or ``k`` is not positive.
    """
    if k < 1:
        raise AnalysisError(f"k must be a positive number of neighbours, got {k!r}")
    repeated = frame[code_column][frame[code_column].duplicated()].unique().tolist()
    if repeated:
        raise AnalysisError(
            f"authority code(s) {repeated} appear more than once among the "
            "candidates; give one row per authority"
        )
    pool = frame.dropna(subset=list(measures)).set_index(code_column)
    if home not in pool.index:
        raise AnalysisError(
            f"home authority {home!r} is not among the candidates with all of "
            f"the measures {list(measures)}"
        )
    scores = standardise_measures(pool, measures, log_measures)
    # Rounded so that distances equal in exact arithmetic tie, and ties fall to the code order.
    distance = np.sqrt(((scores - scores.loc[home]) ** 2).sum(axis=1)).round(12)
    result = pd.DataFrame({"code": distance.index.astype(str), "distance": distance.to_numpy()})
    result = result[result["code"] != home].sort_values(["distance", "code"], kind="mergesort")
    return result.head(k).reset_index(drop=True)


def summarise_values(
    values: Sequence[float] | pd.Series, *, minimum: int = MIN_COMPARATORS
) -> dict[str, float]:
    """Median, lower and upper quartile of councils' values, only from ``minimum`` or more.

    Quartiles by linear interpolation between order statistics (Hyndman and Fan 1996, type 7;
    Excel ``QUARTILE.INC``, R's default, LG Inform's quartiles), the same convention as the
    quartile of a rank (:data:`perfeval.stats.indicators.QUARTILE_METHOD`). Missing values are
    not counted.

    Parameters
    ----------
    values : sequence of float
        One value per council (NaN where a council has none).
    minimum : int
        Fewest values from which the median and quartiles are given (at least 1).

    Returns
    -------
    dict
        ``median``, ``lower_quartile``, ``upper_quartile`` (NaN with fewer than ``minimum``
        values) and ``n``, the number of values counted.

    Raises
    ------
    AnalysisError
        If ``minimum`` is below 1.
    """
    if minimum < 1:
        raise AnalysisError(f"minimum must be at least 1 council; got {minimum!r}")
    known = np.asarray(pd.Series(values, dtype=float).dropna(), dtype=float)
    if len(known) < minimum:
        nan = float("nan")
        return {"median": nan, "lower_quartile": nan, "upper_quartile": nan, "n": len(known)}
    q1, median, q3 = np.quantile(known, [0.25, 0.5, 0.75], method="linear")
    return {
        "median": float(median),
        "lower_quartile": float(q1),
        "upper_quartile": float(q3),
        "n": len(known),
    }


def summarise_groups(
    values: pd.DataFrame, by: Sequence[str], *, minimum: int = MIN_COMPARATORS
) -> pd.DataFrame:
    """:func:`summarise_values` of the ``value`` column for each group of ``by`` columns.

    Parameters
    ----------
    values : DataFrame
        Long table with the ``by`` columns and ``value`` (one row per council).
    by : sequence of str
        Columns to group by, e.g. ``["indicator", "period"]``.
    minimum : int
        As for :func:`summarise_values`.

    Returns
    -------
    DataFrame
        The ``by`` columns and :data:`SUMMARY_COLUMNS`, one row per group.
    """
    rows = [
        {
            **dict(zip(by, key if isinstance(key, tuple) else (key,))),
            **summarise_values(group["value"], minimum=minimum),
        }
        for key, group in values.groupby(list(by), observed=True, sort=True)
    ]
    return pd.DataFrame(rows, columns=[*by, *SUMMARY_COLUMNS])
