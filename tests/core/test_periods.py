"""Tests for perfeval.core.periods: UK financial years (April-March), their quarters and months.

Worked facts a reader can check with a calendar: financial year 2023/24 runs 1 April 2023 to
31 March 2024; Q1 = April-June, Q4 = January-March (of 2024); January 2024 (``2024-01``) is month 10
of 2023/24.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfeval.core.exceptions import PerfevalError, PeriodError
from perfeval.core.periods import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_YEAR,
    MIN_YEAR,
    Period,
    financial_year_label,
    is_valid_period,
    months_of,
    normalise_financial_year,
    parse_period,
    parse_period_form,
    period_sort_key,
    quarters_of,
)


# --------------------------------------------------------------------------- parse and label
@pytest.mark.parametrize(
    "label, expected",
    [
        ("2023/24", Period("year", 2023, 0)),
        ("1999/00", Period("year", 1999, 0)),  # across a century
        ("2023/24 Q1", Period("quarter", 2023, 1)),
        ("2023/24 Q4", Period("quarter", 2023, 4)),
        ("2023-04", Period("month", 2023, 1)),  # April is month 1 of the financial year
        ("2023-12", Period("month", 2023, 9)),
        ("2024-01", Period("month", 2023, 10)),  # January belongs to the year that began in April
        ("2024-03", Period("month", 2023, 12)),
    ],
)
def test_parse_and_label_round_trip(label, expected):
    assert parse_period(label) == expected
    assert expected.label == label == str(expected)


def test_surrounding_whitespace_is_ignored():
    assert parse_period("  2023/24 Q2 ").label == "2023/24 Q2"


@pytest.mark.parametrize(
    "month, fy",
    [
        ("2024-01", "2023/24"),
        ("2024-02", "2023/24"),
        ("2024-03", "2023/24"),
        ("2024-04", "2024/25"),
        ("2023-12", "2023/24"),
        ("2000-01", "1999/00"),
    ],
)
def test_month_falls_in_the_financial_year_that_began_the_april_before(month, fy):
    assert parse_period(month).financial_year.label == fy


@pytest.mark.parametrize(
    "label, quarter",
    [
        ("2023-04", 1),
        ("2023-06", 1),
        ("2023-07", 2),
        ("2023-12", 3),
        ("2024-01", 4),
        ("2024-03", 4),
        ("2023/24 Q3", 3),
        ("2023/24", None),
    ],
)
def test_quarter_of_a_period(label, quarter):
    assert parse_period(label).quarter == quarter


@pytest.mark.parametrize(
    "label, start",
    [
        ("2023/24", date(2023, 4, 1)),
        ("2023/24 Q1", date(2023, 4, 1)),
        ("2023/24 Q3", date(2023, 10, 1)),
        ("2023/24 Q4", date(2024, 1, 1)),
        ("2024-02", date(2024, 2, 1)),
    ],
)
def test_start_date(label, start):
    assert parse_period(label).start == start


def test_calendar_month():
    assert parse_period("2024-01").calendar_month == (2024, 1)
    assert parse_period("2023-04").calendar_month == (2023, 4)


# --------------------------------------------------------------------------- moving in time
@pytest.mark.parametrize(
    "label, previous",
    [
        ("2023/24", "2022/23"),
        ("2000/01", "1999/00"),
        ("2023/24 Q1", "2022/23 Q4"),  # across a year boundary
        ("2023/24 Q3", "2023/24 Q2"),
        ("2023-04", "2023-03"),  # April -> March: a different financial year
        ("2024-01", "2023-12"),  # January -> December: the same financial year
    ],
)
def test_previous(label, previous):
    assert parse_period(label).previous().label == previous


@pytest.mark.parametrize(
    "label, last_year",
    [
        ("2023/24", "2022/23"),
        ("2024/25 Q1", "2023/24 Q1"),
        ("2024/25 Q4", "2023/24 Q4"),
        ("2024-01", "2023-01"),
        ("2023-04", "2022-04"),
    ],
)
def test_same_period_last_year(label, last_year):
    assert parse_period(label).same_period_last_year().label == last_year


@pytest.mark.parametrize(
    "label, steps, expected",
    [
        ("2023/24 Q3", 2, "2024/25 Q1"),
        ("2023/24 Q1", -5, "2021/22 Q4"),
        ("2023-11", 3, "2024-02"),
        ("2024-03", 1, "2024-04"),
        ("2023-04", 12, "2024-04"),
        ("2023/24", -3, "2020/21"),
    ],
)
def test_shift(label, steps, expected):
    assert parse_period(label).shift(steps).label == expected


# --------------------------------------------------------------------------- order
def test_time_order_with_months_then_quarter_then_year_at_the_same_end():
    shuffled = [
        "2023/24",
        "2024-03",
        "2023/24 Q4",
        "2023-05",
        "2023/24 Q1",
        "2023-06",
        "2022/23",
        "2023-04",
        "2023-07",
    ]
    expected = [
        "2022/23",
        "2023-04",
        "2023-05",
        "2023-06",
        "2023/24 Q1",
        "2023-07",
        "2024-03",
        "2023/24 Q4",
        "2023/24",
    ]
    assert sorted(shuffled, key=period_sort_key) == expected
    assert [p.label for p in sorted(parse_period(x) for x in shuffled)] == expected


def test_comparisons():
    assert parse_period("2023/24 Q4") < parse_period("2024/25 Q1")
    assert parse_period("2024-03") <= parse_period("2023/24")
    assert parse_period("2023/24") > parse_period("2023/24 Q4")
    assert parse_period("2023/24") != parse_period("2023/24 Q4")
    with pytest.raises(TypeError):
        parse_period("2023/24") < "2024/25"  # noqa: B015


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "label, fragments",
    [
        ("2023-24", ["'2023-24' is not understood", "'2023/24'", "'2023/24 Q1'", "'2023-04'"]),
        ("2023/25", ["consecutive", "'2023/24'"]),
        ("2023/24 Q5", ["not understood"]),
        ("2023-13", ["not understood"]),
        ("2023-00", ["not understood"]),
        ("FY2023", ["not understood"]),
        ("2023/24Q1", ["not understood"]),
        ("", ["not understood"]),
    ],
)
def test_bad_labels_raise_a_helpful_period_error(label, fragments):
    with pytest.raises(PeriodError) as info:
        parse_period(label)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, PerfevalError)


@pytest.mark.parametrize(
    "label, valid",
    [("2023/24", True), ("2023-04", True), ("2023-24", False), (None, False), (2023, False)],
)
def test_is_valid_period(label, valid):
    assert is_valid_period(label) is valid


# --------------------------------------------------------------------------- helpers
@pytest.mark.parametrize(
    "label, expected",
    [
        ("2023-24", "2023/24"),
        ("1999-00", "1999/00"),
        (" 2023-24 ", "2023/24"),
        ("2023/24", "2023/24"),
        ("2011-12", "2011/12"),
    ],
)
def test_normalise_financial_year(label, expected):
    assert normalise_financial_year(label) == expected


@pytest.mark.parametrize("label", ["2023-25", "2023/25", "23-24", "2023"])
def test_normalise_financial_year_rejects_what_is_not_a_year(label):
    with pytest.raises(PeriodError):
        normalise_financial_year(label)


@pytest.mark.parametrize(
    "first, label", [(2023, "2023/24"), (1999, "1999/00"), ("2009", "2009/10")]
)
def test_financial_year_label(first, label):
    assert financial_year_label(first) == label


def test_quarters_of():
    assert quarters_of("2023/24") == ["2023/24 Q1", "2023/24 Q2", "2023/24 Q3", "2023/24 Q4"]


def test_months_of_runs_april_to_march():
    assert months_of("2023/24") == [
        "2023-04",
        "2023-05",
        "2023-06",
        "2023-07",
        "2023-08",
        "2023-09",
        "2023-10",
        "2023-11",
        "2023-12",
        "2024-01",
        "2024-02",
        "2024-03",
    ]


def test_quarters_and_months_of_a_bad_label():
    with pytest.raises(PeriodError):
        quarters_of("2023-24")
    with pytest.raises(PeriodError):
        months_of("2023/25")


# --------------------------------------------------------------------------- properties
first_years = st.integers(min_value=1000, max_value=9998)
year_labels = first_years.map(lambda y: f"{y}/{(y + 1) % 100:02d}")
quarter_labels = st.tuples(year_labels, st.integers(1, 4)).map(lambda t: f"{t[0]} Q{t[1]}")
month_labels = st.tuples(st.integers(1001, 9998), st.integers(1, 12)).map(
    lambda t: f"{t[0]}-{t[1]:02d}"
)
labels = st.one_of(year_labels, quarter_labels, month_labels)


@given(labels)
def test_label_of_parse_is_the_label(label):
    assert parse_period(label).label == label


@given(labels, st.integers(-400, 400))
def test_shift_there_and_back(label, steps):
    period = parse_period(label)
    assert period.shift(steps).shift(-steps) == period


@given(labels)
def test_previous_is_one_step_back_and_earlier(label):
    period = parse_period(label)
    assert period.previous().shift(1) == period
    assert period.previous() < period


@given(month_labels)
def test_a_month_lies_inside_its_financial_year_and_quarter(label):
    month = parse_period(label)
    year = month.financial_year
    quarter = Period("quarter", month.fy, month.quarter)
    assert year.start <= quarter.start <= month.start < year.shift(1).start
    assert label in months_of(year.label)
    assert quarter.label in quarters_of(year.label)


# --------------------------------------------------------------------------- ranges of years
@pytest.mark.parametrize(
    "label", ["1990/91", "1990/91 Q1", "1990-04", "2100/01", "2100/01 Q4", "2101-03"]
)  # March 2101 is the last month of 2100/01
def test_labels_inside_a_range_parse(label):
    assert parse_period(label, first_year=1990, last_year=2100).label == label
    assert is_valid_period(label, first_year=1990, last_year=2100)


@pytest.mark.parametrize(
    "label, year",
    [
        ("1989/90", "1989/90"),
        ("1989/90 Q4", "1989/90"),
        ("1990-03", "1989/90"),  # March 1990 ends 1989/90
        ("2101/02", "2101/02"),
        ("2101-04", "2101/02"),
        ("1066/67", "1066/67"),
    ],
)
def test_labels_outside_a_range_name_their_year_and_the_range(label, year):
    with pytest.raises(PeriodError) as info:
        parse_period(label, first_year=1990, last_year=2100)
    assert f"falls in financial year {year}, outside the years allowed: 1990/91 to 2100/01" in str(
        info.value
    )
    assert not is_valid_period(label, first_year=1990, last_year=2100)
    assert is_valid_period(label)  # without a range, any representable year is a period


@pytest.mark.parametrize("label", ["9999/00", "9999/00 Q4", "0999/00", "1000-03", "0000-04"])
def test_years_no_period_can_represent_are_refused_even_without_a_range(label):
    # 9999/00 Q4 would start in January 10000; 0999/00 has no four-digit label
    with pytest.raises(PeriodError, match="outside the years allowed: 1000/01 to 9998/99"):
        parse_period(label)
    assert not is_valid_period(label)


def test_the_form_alone_is_parsed_for_any_four_digit_year():
    assert parse_period_form("9999/00 Q2") == Period("quarter", 9999, 2)
    assert parse_period_form("1066/67").financial_year.label == "1066/67"
    with pytest.raises(PeriodError, match="not understood"):
        parse_period_form("1066-67")


def test_the_default_plausible_range_is_1990_91_to_2100_01():
    assert (FIRST_YEAR, LAST_YEAR) == (1990, 2100)
    assert (MIN_YEAR, MAX_YEAR) == (1000, 9998)


@given(st.one_of(labels, st.text(max_size=12)), st.integers(900, 10100), st.integers(900, 10100))
def test_is_valid_period_is_exactly_parse_period_not_raising(label, first, last):
    try:
        period = parse_period(label, first_year=first, last_year=last)
    except PeriodError:
        assert not is_valid_period(label, first_year=first, last_year=last)
    else:
        assert is_valid_period(label, first_year=first, last_year=last)
        assert max(first, MIN_YEAR) <= period.fy <= min(last, MAX_YEAR)
        assert period.start.year >= period.fy  # every accepted period has a date
