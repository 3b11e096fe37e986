"""Quoting values in messages: never the whole of a long or huge value.

Every message perfeval writes about an input (a parameter, a manifest field, a cell) quotes at most
a short prefix of the value, so a 2 MB string or a billion-laughs list makes a short message, and
the work of quoting is bounded too.
"""

from __future__ import annotations

import math
import reprlib
from typing import Any

__all__ = ["short_repr", "shorten", "CONTAINERS"]


def shorten(text: str, limit: int = 60) -> str:
    """Return ``text`` as it is, or its first ``limit`` characters, "..." and its full length.

    Parameters
    ----------
    text : str
        Text for an error message (a code, a name, an error from elsewhere).
    limit : int
        Most characters of ``text`` kept.

    Returns
    -------
    str
        E.g. ``"aaaa... (2,000,000 characters)"``.
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


class _BoundedRepr(reprlib.Repr):
    """reprlib with a fixed amount of work: a few items of a few levels, short strings, and
    integers too long to print described by their number of digits."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.maxlevel, self.maxstring, self.maxother = 3, limit, limit
        self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = self.maxdict = 8

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 4 * self.maxstring:
            return f"<an integer of about {int(x.bit_length() * math.log10(2)):,} digits>"
        return super().repr_int(x, level)


#: The container types quoted by their first items and their length.
CONTAINERS = (list, tuple, dict, set, frozenset)


def short_repr(value: Any, limit: int = 60) -> str:
    """Return the repr of ``value`` for an error message, cut to about ``limit`` characters.

    A long string keeps its first ``limit`` characters, then "..." and its length; a long list,
    tuple, dict or set its first items, "..." and its number of items; a huge integer is
    described by its number of digits. The work done is bounded too, so a list that holds
    itself, or a billion shared references, is quoted as quickly as a short one.

    Parameters
    ----------
    value : object
        The value to quote.
    limit : int
        About how many characters of the repr are kept.

    Returns
    -------
    str
        E.g. ``"'aaaa...' (2,000,000 characters)"`` or ``"[['lol', 'lol', ... (9 items)"``.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        quoted = repr(value[:limit])
        return f"{quoted[:-1]}...{quoted[-1]} ({len(value):,} characters)"
    bounded = _BoundedRepr(limit)
    if isinstance(value, CONTAINERS):
        text = bounded.repr(value)
        if "..." not in text and len(text) <= limit:
            return text
        cut = text if len(text) <= limit else text[:limit].rstrip(".") + "..."
        return f"{cut} ({len(value):,} {'item' if len(value) == 1 else 'items'})"
    if isinstance(value, int) and not isinstance(value, bool):
        return bounded.repr_int(value, 1)
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a value's own repr must not hide the real problem
        return f"<a {type(value).__name__} that cannot be shown>"
    return shorten(text, limit)
