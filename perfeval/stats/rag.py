"""The RAG rule: a value against its target, polarity-aware, with an amber tolerance band.

Shared by :mod:`perfeval.stats.indicators` (every value of a long table against its target) and
:mod:`perfeval.stats.profiling` (year to date against a profiled target, a year-end forecast
against the annual target), so both rate the same way and neither imports the other. The rule, in
words a report can quote, is :data:`RAG_METHOD`; the states are :data:`RAG_STATES`, each with a
non-colour symbol in :data:`RAG_SYMBOLS`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError

__all__ = [
    "AMBER",
    "DEFAULT_TOLERANCE",
    "DEFAULT_TOLERANCE_TYPE",
    "FLOAT_SLACK",
    "GREEN",
    "NOT_APPLICABLE",
    "NO_DATA",
    "NO_TARGET",
    "POLARITIES",
    "POLARITY_SIGNS",
    "RAG_METHOD",
    "RAG_STATES",
    "RAG_SYMBOLS",
    "RED",
    "TOLERANCE_TYPES",
    "comparison_slack",
    "rag_codes",
    "rag_state",
    "require_choice",
    "tolerance_band",
]

#: Amber tolerance used when an indicator's ``tolerance`` is blank: 5 % of the target.
DEFAULT_TOLERANCE = 0.05
#: Tolerance type used when ``tolerance`` is blank (the register's ``tolerance_type`` is then
#: ignored) or when only ``tolerance_type`` is blank.
DEFAULT_TOLERANCE_TYPE = "relative"
#: Relative slack for comparisons, so that a value printed as exactly on the target (or exactly
#: on the edge of the amber band, or exactly at the no-change threshold) counts as on it despite
#: binary floating point (0.63 - 0.7 is -0.07000000000000006). The slack is
#: ``FLOAT_SLACK * (1 + |value| + |target|)``.
FLOAT_SLACK = 1e-9

POLARITIES = ("higher", "lower", "neutral")
TOLERANCE_TYPES = ("relative", "absolute")
#: The sign that turns a difference (value - target) into 'better by', for each polarity.
POLARITY_SIGNS = {"higher": 1.0, "lower": -1.0, "neutral": 0.0}

GREEN, AMBER, RED = "Green", "Amber", "Red"
NO_DATA, NO_TARGET, NOT_APPLICABLE = "No data", "No target", "Not applicable"
#: Every state ``rag`` can take, in report order (RAG first).
RAG_STATES = (GREEN, AMBER, RED, NO_DATA, NO_TARGET, NOT_APPLICABLE)
#: A non-colour symbol for each state, so that RAG is never carried by colour alone.
RAG_SYMBOLS = {GREEN: "✔", AMBER: "▲", RED: "✖", NO_DATA: "?", NO_TARGET: "–", NOT_APPLICABLE: "○"}

RAG_METHOD = (
    "Each value is compared with its target for the same authority, indicator and period, taking "
    "the indicator's polarity into account. Green: on or better than target. Amber: worse than "
    "target but within the tolerance band. Red: worse than target by more than the band. The "
    "band is tolerance x |target| for a relative tolerance and the tolerance itself (in the "
    "indicator's units) for an absolute one; a blank tolerance means 5 % relative. With a zero "
    "target and a relative tolerance the band is zero, so such a value is Green or Red. A value "
    "exactly on the target is Green and exactly on the edge of the band is Amber. Indicators with "
    "neutral polarity are 'Not applicable'; otherwise values without a target are 'No target' "
    "and missing values with a target 'No data' (with the reason from the statistical symbol)."
)


def require_choice(value: object, allowed: Sequence[str], name: str) -> None:
    """Check that an argument is one of the allowed strings.

    Parameters
    ----------
    value : object
        What was passed.
    allowed : sequence of str
        The values accepted.
    name : str
        The argument's name, for the message.

    Raises
    ------
    AnalysisError
        If ``value`` is not in ``allowed``; the message lists what is allowed.
    """
    if value not in allowed:
        raise AnalysisError(f"{name} must be one of {list(allowed)}; got {value!r}")


def comparison_slack(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Absolute comparison slack: ``FLOAT_SLACK x (1 + |a| + |b|)`` (NaN where either is NaN).

    Parameters
    ----------
    a, b : numpy.ndarray
        The two sides of a comparison (value and target, or value and earlier value).

    Returns
    -------
    numpy.ndarray
        How far apart ``a`` and ``b`` may be and still count as equal.
    """
    slack = np.abs(a)
    slack += np.abs(b)
    slack += 1.0
    slack *= FLOAT_SLACK
    return slack


def rag_codes(
    value: np.ndarray, target: np.ndarray, sign: np.ndarray, band: np.ndarray
) -> np.ndarray:
    """Index into :data:`RAG_STATES` of each value (vectorised core of the RAG rule).

    ``better_by = (value - target) x sign``: Green if >= 0, Amber if >= -band, else Red (each
    with :data:`FLOAT_SLACK`); Not applicable for sign 0, No target for a NaN target, No data for
    a NaN value (see :data:`RAG_METHOD`).

    Parameters
    ----------
    value, target : numpy.ndarray
        Float values and their targets (NaN where missing).
    sign : numpy.ndarray
        :data:`POLARITY_SIGNS` of each value's polarity.
    band : numpy.ndarray
        Width of the amber band, from :func:`tolerance_band`.

    Returns
    -------
    numpy.ndarray
        int8 codes 0 to 5, in the order of :data:`RAG_STATES`.
    """
    better_by = value - target
    better_by *= sign
    floor = -comparison_slack(value, target)
    codes = (better_by < floor).view(np.int8).copy()  # 0 Green, 1 worse than target
    floor -= band
    codes += (better_by < floor).view(np.int8)  # 2 Red: worse beyond the band
    np.putmask(codes, np.isnan(value), 3)
    np.putmask(codes, np.isnan(target), 4)
    np.putmask(codes, sign == 0, 5)
    return codes


def tolerance_band(target: np.ndarray, tolerance: np.ndarray, relative: np.ndarray) -> np.ndarray:
    """Width of the amber band in the indicator's units: tolerance x |target| or tolerance.

    Parameters
    ----------
    target : numpy.ndarray
        The targets.
    tolerance : numpy.ndarray
        A fraction of the target where ``relative``, otherwise in the indicator's units.
    relative : numpy.ndarray
        Boolean: whether each tolerance is relative.

    Returns
    -------
    numpy.ndarray
    """
    return np.where(relative, tolerance * np.abs(target), tolerance)


def rag_state(
    value: float, target: float, polarity: str, tolerance: float | None, tolerance_type: str | None
) -> str:
    """RAG state of one value against one target (:data:`RAG_METHOD`, the rule of
    :func:`perfeval.stats.indicators.assess_against_target`).

    Parameters
    ----------
    value, target : float
        NaN where missing.
    polarity : {"higher", "lower", "neutral"}
    tolerance : float, optional
        Blank means :data:`DEFAULT_TOLERANCE` of type :data:`DEFAULT_TOLERANCE_TYPE`.
    tolerance_type : {"relative", "absolute"}, optional

    Returns
    -------
    str
        One of :data:`RAG_STATES`.

    Raises
    ------
    AnalysisError
        If the polarity or tolerance type is unknown, or the tolerance is negative.
    """
    require_choice(polarity, POLARITIES, "polarity")
    if tolerance is None or pd.isna(tolerance):
        tolerance, tolerance_type = DEFAULT_TOLERANCE, DEFAULT_TOLERANCE_TYPE
    tolerance_type = tolerance_type or DEFAULT_TOLERANCE_TYPE
    require_choice(tolerance_type, TOLERANCE_TYPES, "tolerance_type")
    if float(tolerance) < 0:
        raise AnalysisError(
            f"tolerance must be >= 0 (a fraction for relative, units for "
            f"absolute); got {tolerance!r}"
        )
    value_a, target_a = np.array([value], dtype=float), np.array([target], dtype=float)
    relative = np.array([tolerance_type == "relative"])
    band = tolerance_band(target_a, np.array([float(tolerance)]), relative)
    return RAG_STATES[rag_codes(value_a, target_a, np.array([POLARITY_SIGNS[polarity]]), band)[0]]
