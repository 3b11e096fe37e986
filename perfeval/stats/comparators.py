"""Open comparator groups: nearest neighbours on standardised measures.

CIPFA's nearest-neighbour model is proprietary, so perfeval builds its comparator groups openly in
the same spirit: each candidate authority is described by a few published measures, each measure is
standardised to a z-score across the candidate pool (optionally after taking logarithms, for
skewed measures such as population), and the ``k`` candidates with the smallest Euclidean distance
to the home authority form its group (standardised Euclidean distance, as CIPFA describes its
model in "CIPFA's Nearest Neighbours Model (England)", 2019 technical note).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError


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
