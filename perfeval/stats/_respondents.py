"""Checks of respondent-level survey columns, shared by estimation and weighting.

:mod:`perfeval.stats.survey` and :mod:`perfeval.stats.weighting` both read weight columns; the
checks live here, below both, so that neither needs to import the other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError


def numeric_column(df: pd.DataFrame, column: str, argument: str) -> np.ndarray:
    """The values of a numeric column as floats (NaN where missing).

    Parameters
    ----------
    df : pandas.DataFrame
        Respondent-level data.
    column : str
        The column to read.
    argument : str
        The argument that named the column (``"weight"``, ``"fpc"`` ...), for the message.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    AnalysisError
        If the column is not numeric (booleans are not accepted).
    """
    series = df[column]
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise AnalysisError(
            f"{argument} column {column!r} must be numeric; found dtype {series.dtype}. "
            f"Convert it (e.g. pd.to_numeric) before estimating or weighting."
        )
    return series.to_numpy(dtype=float, na_value=np.nan)


def validated_weights(df: pd.DataFrame, weight: str) -> np.ndarray:
    """The weight of every respondent, checked positive and finite.

    Parameters
    ----------
    df : pandas.DataFrame
        Respondent-level data.
    weight : str
        The weight column.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    AnalysisError
        If the column is not numeric, or any weight is missing, zero, negative or infinite.
    """
    values = numeric_column(df, weight, "weight")
    missing = int(np.isnan(values).sum())
    bad = int((~np.isnan(values) & ~(np.isfinite(values) & (values > 0))).sum())
    if missing or bad:
        raise AnalysisError(
            f"Weight column {weight!r} must hold a positive, finite weight for every respondent; "
            f"found {missing} missing and {bad} zero, negative or infinite value(s) "
            f"out of {len(values)} rows. Fix the weights (or drop those respondents) and re-run."
        )
    return values
