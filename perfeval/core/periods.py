"""Reporting periods: UK financial years, quarters and months.

Three labels are understood, and only these, so that a period is never ambiguous:

========================  ==============  =========================================
kind                      label           meaning
========================  ==============  =========================================
financial year            ``2023/24``     1 April 2023 to 31 March 2024
quarter of a year         ``2023/24 Q1``  Q1 = April-June ... Q4 = January-March
calendar month            ``2023-04``     April 2023 (falls in financial year 2023/24)
========================  ==============  =========================================

Published tables often write a financial year as ``2023-24``; that form clashes with months
(``2011-12`` is also December 2011), so data files must use ``2023/24`` and
:func:`normalise_financial_year` converts at import time.

Years: a label names a financial year between 1000/01 and 9998/99 (:data:`MIN_YEAR` to
:data:`MAX_YEAR`, the years whose dates and four-digit labels exist for every period of the year).
A narrower range of plausible years, :data:`FIRST_YEAR` to :data:`LAST_YEAR` (1990/91 to
2100/01), is what data files may hold; pass ``first_year``/``last_year`` to :func:`parse_period` or
:func:`is_valid_period` to check a label against a range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import total_ordering

from perfeval.core.exceptions import PeriodError

#: ``survey_wave = "latest"``: the council's latest wave at or before the report year.
LATEST_WAVE = "latest"
#: ``previous_wave = "previous"``: the wave before the one reported.
PREVIOUS_WAVE = "previous"

_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})/(\d{2}) Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DASHED_YEAR = re.compile(r"^(\d{4})-(\d{2})$")

#: The first years of the earliest and latest financial years a label can name: every period of
#: these years has a date and a four-digit label (a month of 9999/00 would fall in the year 10000).
MIN_YEAR, MAX_YEAR = 1000, 9998
#: The plausible reporting years, 1990/91 to 2100/01: the default range of years in data files.
FIRST_YEAR, LAST_YEAR = 1990, 2100


@total_ordering
@dataclass(frozen=True)
class Period:
    """A financial year, quarter or month.

    Attributes
    ----------
    kind : {"year", "quarter", "month"}
    fy : int
        First calendar year of the financial year (2023 for 2023/24).
    index : int
        0 for a year, 1-4 for a quarter, 1-12 for a month counted from April (April = 1).
    """

    kind: str
    fy: int
    index: int = 0

    @property
    def label(self) -> str:
        """The canonical label, e.g. ``2023/24``, ``2023/24 Q1`` or ``2023-04``."""
        year = f"{self.fy}/{(self.fy + 1) % 100:02d}"
        if self.kind == "year":
            return year
        if self.kind == "quarter":
            return f"{year} Q{self.index}"
        calendar_year, month = self.calendar_month
        return f"{calendar_year}-{month:02d}"

    @property
    def calendar_month(self) -> tuple[int, int]:
        """(calendar year, month 1-12) of a month period."""
        month = (self.index + 2) % 12 + 1
        return (self.fy if self.index <= 9 else self.fy + 1), month

    @property
    def financial_year(self) -> Period:
        """The financial year this period falls in."""
        return Period("year", self.fy)

    @property
    def quarter(self) -> int | None:
        """Quarter of the financial year (1-4), or None for a whole year."""
        if self.kind == "quarter":
            return self.index
        if self.kind == "month":
            return (self.index - 1) // 3 + 1
        return None

    @property
    def start(self) -> date:
        """First day of the period."""
        if self.kind == "year":
            return date(self.fy, 4, 1)
        first_month = self.index if self.kind == "month" else 3 * (self.index - 1) + 1
        year, month = Period("month", self.fy, first_month).calendar_month
        return date(year, month, 1)

    def shift(self, steps: int) -> Period:
        """The period ``steps`` periods of the same kind later (earlier when negative)."""
        per_year = {"year": 1, "quarter": 4, "month": 12}[self.kind]
        if self.kind == "year":
            return Period("year", self.fy + steps)
        position = self.fy * per_year + (self.index - 1) + steps
        return Period(self.kind, position // per_year, position % per_year + 1)

    def previous(self) -> Period:
        """The period immediately before this one (of the same kind)."""
        return self.shift(-1)

    def same_period_last_year(self) -> Period:
        """The same quarter or month one year earlier (the previous year for a year)."""
        return Period(self.kind, self.fy - 1, self.index)

    def _key(self) -> tuple[float, int]:
        per_year = {"year": 1, "quarter": 4, "month": 12}[self.kind]
        end_fraction = 1.0 if self.kind == "year" else self.index / per_year
        return (self.fy + end_fraction, {"month": 0, "quarter": 1, "year": 2}[self.kind])

    def __lt__(self, other: Period) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        return self.label


def parse_period(
    label: str, *, first_year: int | None = None, last_year: int | None = None
) -> Period:
    """Parse a period label into a :class:`Period`.

    Parameters
    ----------
    label : str
        ``2023/24`` (financial year), ``2023/24 Q1`` (quarter) or ``2023-04`` (month).
    first_year, last_year : int, optional
        The range of financial years allowed, by first calendar year (``first_year=1990`` allows
        1990/91 and the quarters and months in it onwards). Without them any year from
        :data:`MIN_YEAR` to :data:`MAX_YEAR` is allowed.

    Returns
    -------
    Period

    Raises
    ------
    PeriodError
        If the label is not one of the three forms, the two years of a financial year are not
        consecutive (``2023/25``), or its financial year is outside the range.
    """
    period = parse_period_form(label)
    return check_year_range(
        period,
        label,
        MIN_YEAR if first_year is None else max(first_year, MIN_YEAR),
        MAX_YEAR if last_year is None else min(last_year, MAX_YEAR),
    )


def parse_period_form(label: str) -> Period:
    """The period a label's form names, whatever its year (``9999/00`` included).

    For validators that report a year out of range in their own words; everything else should
    use :func:`parse_period`, which also refuses years no period arithmetic can handle.

    Parameters
    ----------
    label : str
        As for :func:`parse_period`.

    Returns
    -------
    Period

    Raises
    ------
    PeriodError
        If the label is not one of the three forms, or the two years of a financial year are not
        consecutive.
    """
    text = str(label).strip()
    for pattern, kind in ((_QUARTER, "quarter"), (_YEAR, "year")):
        match = pattern.match(text)
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            if (first + 1) % 100 != second:
                raise PeriodError(
                    f"period {label!r}: the years of a financial year must be consecutive, "
                    f"e.g. '{first}/{(first + 1) % 100:02d}'"
                )
            index = int(match.group(3)) if kind == "quarter" else 0
            return Period(kind, first, index)
    match = _MONTH.match(text)
    if match and 1 <= int(match.group(2)) <= 12:
        year, month = int(match.group(1)), int(match.group(2))
        fy = year if month >= 4 else year - 1
        return Period("month", fy, (month - 4) % 12 + 1)
    raise PeriodError(
        f"period {label!r} is not understood: use a financial year '2023/24', "
        f"a quarter '2023/24 Q1' or a month '2023-04'"
    )


def check_year_range(period: Period, label: object, first_year: int, last_year: int) -> Period:
    """The period itself when its financial year lies in ``first_year`` to ``last_year``.

    Parameters
    ----------
    period : Period
        A parsed period.
    label : object
        The label it was parsed from, quoted in the message.
    first_year, last_year : int
        First calendar years of the earliest and latest financial years allowed.

    Returns
    -------
    Period

    Raises
    ------
    PeriodError
        Naming the label, its financial year and the range allowed.
    """
    if first_year <= period.fy <= last_year:
        return period
    raise PeriodError(
        f"period {label!r} falls in financial year {period.fy}/{(period.fy + 1) % 100:02d}, "
        f"outside the years allowed: {financial_year_label(first_year)} to "
        f"{financial_year_label(last_year)}"
    )


def is_valid_period(
    label: object, *, first_year: int | None = None, last_year: int | None = None
) -> bool:
    """True when ``label`` parses as a period (in the range, when one is given).

    Parameters
    ----------
    label : object
        A period label.
    first_year, last_year : int, optional
        As for :func:`parse_period`.

    Returns
    -------
    bool
        Exactly when :func:`parse_period` with the same arguments does not raise.
    """
    try:
        parse_period(str(label), first_year=first_year, last_year=last_year)
    except PeriodError:
        return False
    return True


def normalise_financial_year(label: str) -> str:
    """Convert a published ``2023-24`` financial-year label to perfeval's ``2023/24``.

    Only for importing tables known to hold financial years (a dashed label is ambiguous with a
    month in general). Labels already in ``2023/24`` form are returned unchanged.
    """
    text = str(label).strip()
    match = _DASHED_YEAR.match(text)
    if match and (int(match.group(1)) + 1) % 100 == int(match.group(2)):
        return f"{match.group(1)}/{match.group(2)}"
    return parse_period(text).label


def financial_year_label(first_year: int) -> str:
    """Label of the financial year starting in April of ``first_year`` (2023 -> ``2023/24``)."""
    return Period("year", int(first_year)).label


def quarters_of(year: str) -> list[str]:
    """The four quarter labels of a financial year label, in order."""
    fy = parse_period(year).fy
    return [Period("quarter", fy, q).label for q in range(1, 5)]


def months_of(year: str) -> list[str]:
    """The twelve month labels of a financial year label, April first."""
    fy = parse_period(year).fy
    return [Period("month", fy, m).label for m in range(1, 13)]


def period_sort_key(label: str) -> tuple[float, int]:
    """Sort key placing periods in time order (a year sorts after its last quarter and month)."""
    return parse_period(label)._key()
