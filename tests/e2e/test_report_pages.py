"""The page checks used by the end-to-end report tests do fail on a bad page."""

from __future__ import annotations

import pytest

from report_pages import check_clean_page, check_sections

GOOD = (
    '<h2>A</h2><table></table><img alt="A chart that says what it shows, at length.">'
    '<h2>B</h2><table></table><img alt="Another chart that says what it shows here.">'
)


def test_a_good_page_passes():
    check_sections(GOOD, ["A", "B"], min_alt=20)
    check_clean_page(GOOD)


@pytest.mark.parametrize(
    "page, names",
    [
        (GOOD, ["A", "C"]),  # missing section
        (GOOD, ["B", "A"]),  # out of order
        (GOOD.replace("<table></table>", "", 1), ["A"]),  # no table
        (GOOD.replace('alt="A chart that says what it shows, at length."', 'alt=""'), ["A"]),
    ],
)
def test_a_bad_page_fails_the_section_check(page, names):
    with pytest.raises(AssertionError):
        check_sections(page, names)


@pytest.mark.parametrize(
    "extra",
    [
        "<script>x()</script>",
        "Traceback (most recent call last)",
        "import pandas",
        '<img src="https://cdn.example/x.png">',
    ],
)
def test_a_bad_page_fails_the_clean_check(extra):
    with pytest.raises(AssertionError):
        check_clean_page(GOOD + extra)
