"""Numbers as people read them: rounded half up, thousands separators, units attached.

Every number perfeval prints, in tables, sentences, charts, Excel and Word alike, goes through
:func:`format_number`, so a share reads the same everywhere. A PI's value goes through
:func:`format_value` (the PI's own decimals, its unit once, its flag beside it); counts of things
through :func:`plural`; parameter values and lists through :func:`format_parameter` and
:func:`join_words`, so no Python ``repr`` (``['NI192']``, ``True``, ``None``) reaches a reader.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from numbers import Number
from typing import SupportsFloat, cast

__all__ = [
    "round_half_up",
    "format_number",
    "format_value",
    "plural",
    "join_words",
    "format_parameter",
    "label_with_unit",
]

#: Flags that qualify a value (provisional, estimated, revised, ...): letters in square brackets.
_FLAG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz")


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


def format_value(value: object, decimals: int, unit: str = "", flag: str | None = None) -> str:
    """A PI's value as a report shows it: the PI's own decimals, its unit once, its flag after.

    Parameters
    ----------
    value : number or None
        The value; NaN or None gives an empty string (the caller shows the symbol instead).
    decimals : int
        The PI's register decimals (``0`` gives ``15``, never ``15.00``).
    unit : str
        The unit symbol as :func:`format_number` attaches it (``%``, ``£``, or a word).
    flag : str, optional
        The value's flag, e.g. ``"p"`` (provisional) or ``"[e]"``; written ``[p]`` after the
        number, separated by a space, as the Analysis Function's guidance on symbols shows it.
        Empty, None or NaN means no flag.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If ``decimals`` is negative or ``flag`` is not a few letters.
    """
    if int(decimals) < 0:
        raise ValueError(
            f"format_value(): decimals must be 0 or more; got {decimals!r}. Use the PI's "
            "register decimals."
        )
    number = format_number(value, int(decimals), unit)
    mark = _flag_mark(flag)
    if not number:
        return ""
    return f"{number} {mark}" if mark else number


def _flag_mark(flag: object) -> str:
    """``"p"``, ``"[p]"`` or ``" [P] "`` as ``"[p]"``; empty, None and NaN as ``""``."""
    if flag is None or (isinstance(flag, float) and math.isnan(flag)):
        return ""
    letters = str(flag).strip().strip("[]").strip().lower()
    if not letters:
        return ""
    if not set(letters) <= _FLAG_CHARS or len(letters) > 3:
        raise ValueError(
            f"format_value(): a flag is up to three letters such as 'p' or '[e]'; got "
            f"{flag!r}. Check the flag column of the values table."
        )
    return f"[{letters}]"


def plural(n: int, word: str, plural_word: str | None = None) -> str:
    """``n`` and ``word`` in agreement: ``1 indicator``, ``2 indicators``, ``1,204 actions``.

    Parameters
    ----------
    n : int
        How many.
    word : str
        The singular noun (``"indicator"``).
    plural_word : str, optional
        The plural when it is not ``word + "s"`` (``"councils"`` is regular; ``"categories"``
        is not).

    Returns
    -------
    str
    """
    count = int(n)
    noun = word if count == 1 else (plural_word or f"{word}s")
    return f"{count:,} {noun}"


def join_words(items: Iterable[object], conjunction: str = "and") -> str:
    """Items as a person lists them: ``"a"``, ``"a and b"``, ``"a, b and c"``; ``""`` for none."""
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def format_parameter(value: object) -> str:
    """A run parameter as a reader would write it, never a Python ``repr``.

    Lists and tuples are joined in words (``NI192, NI195 and ASC1``), an empty list, empty text
    or None is ``(none)``, ``True``/``False`` are ``yes``/``no``, numbers are shown as written.

    Parameters
    ----------
    value : object
        The parameter's value, as resolved for the run.

    Returns
    -------
    str
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return join_words(format_parameter(v) for v in items) or "(none)"
    if isinstance(value, dict):
        return "; ".join(f"{k} = {format_parameter(v)}" for k, v in value.items()) or "(none)"
    if value is None or value == "":
        return "(none)"
    return str(value)


def label_with_unit(label: str, unit: str) -> str:
    """``label`` with ``(unit)`` after it, unless the label already names that unit.

    ``("Recycling rate", "%")`` gives ``Recycling rate (%)``; ``("Quality of life (score)",
    "score")`` stays as it is, so no unit is written twice; a unit of ``""`` or ``"number"``
    adds nothing.
    """
    unit = str(unit or "").strip()
    if not unit or unit == "number":
        return label
    if label.rstrip().endswith(f"({unit})"):
        return label
    return f"{label} ({unit})"
