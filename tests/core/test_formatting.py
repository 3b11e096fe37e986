"""One number format: a PI's own decimals, its unit once, its flag; counts in agreement;
parameters in words (#14 item 6)."""

import math

import pytest

from perfeval.core.formatting import (
    format_parameter,
    format_value,
    join_words,
    label_with_unit,
    plural,
)


def test_a_value_has_its_pis_decimals_and_never_more():
    assert format_value(15.0, 0) == "15"
    assert format_value(6513.0, 0) == "6,513"
    assert format_value(44.25, 1, "%") == "44.3%"
    assert format_value(2.675, 2, "£") == "£2.68"


def test_a_flag_goes_after_the_number_in_square_brackets_however_it_is_written():
    assert format_value(6513.0, 0, "", "p") == "6,513 [p]"
    assert format_value(8.0, 1, "", "[e]") == "8.0 [e]"
    assert format_value(38.04, 1, "%", " R ") == "38.0% [r]"
    assert format_value(5.0, 1, "", "") == "5.0"
    assert format_value(5.0, 1, "", math.nan) == "5.0"


def test_a_missing_value_is_empty_so_the_caller_shows_its_symbol():
    assert format_value(None, 1, "%", "p") == ""
    assert format_value(math.nan, 0) == ""


def test_a_bad_flag_or_negative_decimals_says_what_to_fix():
    with pytest.raises(ValueError, match="flag is up to three letters"):
        format_value(1.0, 1, "", "provisional!")
    with pytest.raises(ValueError, match="decimals must be 0 or more"):
        format_value(1.0, -1)


def test_plural_agrees_with_the_count():
    assert plural(1, "indicator") == "1 indicator"
    assert plural(0, "indicator") == "0 indicators"
    assert plural(1204, "action") == "1,204 actions"
    assert plural(2, "category", "categories") == "2 categories"


def test_lists_are_joined_in_words():
    assert join_words([]) == ""
    assert join_words(["NI192"]) == "NI192"
    assert join_words(["NI192", "HB01"]) == "NI192 and HB01"
    assert join_words(["a", "b", "c"], "or") == "a, b or c"


def test_a_parameter_is_shown_as_a_reader_writes_it_never_as_a_repr():
    assert format_parameter(["NI192"]) == "NI192"
    assert format_parameter(["NI192", "ASC2", "ASC3"]) == "NI192, ASC2 and ASC3"
    assert format_parameter([]) == "(none)"
    assert format_parameter("") == "(none)"
    assert format_parameter(None) == "(none)"
    assert format_parameter(True) == "yes"
    assert format_parameter(False) == "no"
    assert format_parameter(2024) == "2024"
    assert format_parameter({"wave": 2024, "rake": False}) == "wave = 2024; rake = no"


def test_a_unit_is_written_once():
    assert label_with_unit("Recycling rate", "%") == "Recycling rate (%)"
    assert label_with_unit("Carers' quality of life (score)", "score") == (
        "Carers' quality of life (score)"
    )
    assert label_with_unit("Households", "number") == "Households"
    assert label_with_unit("Households", "") == "Households"
