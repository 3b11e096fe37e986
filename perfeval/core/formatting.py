"""Numbers as people read them: rounded half up, thousands separators, units attached.

Every number perfeval prints, in tables, sentences, charts, Excel and Word alike, goes through
:func:`format_number`, so a share reads the same everywhere.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from numbers import Number
from typing import SupportsFloat, cast

__all__ = ["round_half_up", "format_number"]


def round_half_up(value: float, decimals: int) -> Decimal:
    """``value`` rounded to ``decimals`` places, halves away from zero, as people round.

    Works on the shortest decimal that represents the float (``repr``), so 2.675 rounds to 2.68
    and 62.5 to 63, where binary floating point (``round``, ``format``) gives 2.67 and 62. Every
    number perfeval prints is rounded this way, in tables and sentences alike.
    """
    return Decimal(repr(float(value))).quantize(
        Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP
    )


def _as_float(value: object) -> float:
    """``float(value)`` for whatever ``float`` accepts (numbers, numpy scalars, numeric text);
    ``float`` itself raises for anything else, as before."""
    return float(cast(SupportsFloat, value))


def format_number(
    value: object, decimals: int = 1, unit: str = "", *, trim_zeros: bool = False
) -> str:
    """Format a number for a report: thousands separators, fixed decimals (rounded half up by
    :func:`round_half_up`), unit attached.

    Parameters
    ----------
    value : number or None
        The value; NaN or None gives an empty string (the caller shows the symbol instead).
    decimals : int
        Decimal places.
    unit : str
        ``%`` is attached without a space, ``£`` goes in front, other units follow after a space.
    trim_zeros : bool
        Drop trailing zeros after the decimal point (``40.0`` as ``40``, ``5.60`` as ``5.6``),
        for numbers in sentences; tables keep fixed decimals so columns line up.

    Returns
    -------
    str
    """
    if value is None or (isinstance(value, Number) and math.isnan(_as_float(value))):
        return ""
    number = f"{round_half_up(_as_float(value), decimals):,.{int(decimals)}f}"
    if trim_zeros and "." in number:
        number = number.rstrip("0").rstrip(".")
    if number.startswith("-") and not number.strip("-0.,"):
        number = number[1:]  # -0.04 to one decimal place is 0.0, not -0.0
    if unit == "%":
        return f"{number}%"
    if unit == "£":
        return f"£{number}" if not number.startswith("-") else f"-£{number[1:]}"
    if unit in ("", "number"):
        return number
    return f"{number} {unit}"
