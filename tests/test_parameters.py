"""Tests of perfeval.run.parameters: schemas, validation, coercion and parameter files."""

from __future__ import annotations

import math
import os
import types
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfeval.core.exceptions import DataValidationError, ParameterError
from perfeval.run.parameters import (Param, check_against_data, describe_schema, get_schema,
                                 load_folder_schemas,
                                 load_parameter_file, register_schema, validate_notebook_namespace,
                                 validate_parameters)

STEM = "t_parameters"


def _council_known(value, values):
    return None if value in ("E06000017", "E07000026") else f"{value!r} is not in the data"


register_schema(STEM, [
    Param("council", str, "E06000017", "ONS code of the council", check=_council_known),
    Param("year", int, 2024, "Calendar year", min=2000, max=2100),
    Param("ratio", float, 0.5, "A fraction", min=0.0, max=1.0),
    Param("colour", "str", "green", "RAG colour", choices=["red", "amber", "green"]),
    Param("draft", bool, False, "Mark the report as a draft"),
    Param("comparators", list[str], [], "Extra councils", choices=["E06000017", "E07000026"]),
    Param("data_dir", str, "", "Folder of CSV tables"),
])


def _problems(values: dict) -> list[str]:
    with pytest.raises(ParameterError) as caught:
        validate_parameters(STEM, values)
    return caught.value.problems


def test_defaults_fill_every_missing_parameter_in_schema_order():
    assert validate_parameters(STEM, {"year": 2030}) == {
        "council": "E06000017", "year": 2030, "ratio": 0.5, "colour": "green", "draft": False,
        "comparators": [], "data_dir": ""}


def test_lossless_coercions_from_command_line_strings_and_yaml_numbers():
    resolved = validate_parameters(STEM, {"year": "2030", "ratio": 1, "draft": "true",
                                          "comparators": ("E07000026",)})
    assert resolved["year"] == 2030 and type(resolved["year"]) is int
    assert resolved["ratio"] == 1.0 and type(resolved["ratio"]) is float
    assert resolved["draft"] is True
    assert resolved["comparators"] == ["E07000026"]


def test_int_becomes_str_for_a_str_parameter_but_a_float_does_not():
    register_schema("t_str", [Param("label", str, "x")])
    assert validate_parameters("t_str", {"label": 2024}) == {"label": "2024"}
    problems = pytest.raises(ParameterError, validate_parameters, "t_str", {"label": 1.10})
    assert "put quotes around it" in str(problems.value)


def test_a_list_for_a_str_parameter_is_told_to_give_one_value():
    (problem,) = _problems({"council": ["E06000017"]})
    assert problem == ("council (str): expected a string, got list ['E06000017'] (give one "
                       "value, not a list)")


@pytest.mark.parametrize("value", [2.5, True, "2.5", "twenty", None])
def test_lossy_or_wrong_values_for_an_int_are_rejected_with_expected_and_found(value):
    (problem,) = _problems({"year": value})
    assert problem.startswith("year (int): expected a whole number")
    assert repr(value) in problem


def test_every_problem_is_reported_at_once():
    problems = _problems({"yera": 2024, "ratio": "lots", "year": 1999, "colour": "blue",
                          "comparators": ["E06000017", "E99999999"]})
    assert len(problems) == 5
    text = "\n".join(problems)
    assert "unknown parameter 'yera'" in text
    assert "ratio (float): expected a finite number, got str 'lots'" in text
    assert "year (int): 1999 is out of range; allowed: 2000 to 2100" in text
    assert "colour (str): 'blue' is not allowed; choose one of 'red', 'amber', 'green'" in text
    assert "'E99999999' is not allowed" in text


def test_unknown_name_gets_did_you_mean_and_the_list_of_valid_names():
    (problem,) = _problems({"yera": 2024})
    assert "(did you mean 'year'?)" in problem
    assert "valid names are: council, year, ratio, colour, draft, comparators, data_dir" in problem


def test_unknown_name_without_a_close_match_gets_no_suggestion():
    (problem,) = _problems({"zzz": 1})
    assert "did you mean" not in problem


def test_error_message_names_the_notebook():
    with pytest.raises(ParameterError, match=f"Invalid parameters for {STEM}:"):
        validate_parameters(STEM, {"yera": 1})


def test_data_aware_check_reports_its_message_with_the_value():
    (problem,) = _problems({"council": "E09999999"})
    assert problem == "council = 'E09999999': 'E09999999' is not in the data"


def test_checks_wait_until_types_and_ranges_are_right():
    calls = []
    register_schema("t_checks", [
        Param("data_dir", str, ""),
        Param("n", int, 1, check=lambda v, vals: calls.append(vals) or "never fine"),
    ])
    with pytest.raises(ParameterError) as caught:
        validate_parameters("t_checks", {"n": "x"})
    assert calls == [] and len(caught.value.problems) == 1
    with pytest.raises(ParameterError, match="n = 2: never fine"):
        validate_parameters("t_checks", {"n": 2})
    assert calls == [{"data_dir": "", "n": 2}]


def test_data_checks_can_be_run_later_when_everything_else_is_right():
    resolved = validate_parameters(STEM, {"council": "E09999999"}, data_checks=False)
    assert resolved["council"] == "E09999999"
    with pytest.raises(ParameterError) as caught:
        check_against_data(STEM, resolved)
    assert caught.value.problems == ["council = 'E09999999': 'E09999999' is not in the data"]
    check_against_data(STEM, validate_parameters(STEM, {}, data_checks=False))


def test_deferred_data_checks_still_run_with_an_unknown_name_so_all_problems_come_at_once():
    with pytest.raises(ParameterError) as caught:
        validate_parameters(STEM, {"council": "E09999999", "yera": 1}, data_checks=False)
    assert len(caught.value.problems) == 2
    assert "council = 'E09999999': 'E09999999' is not in the data" in caught.value.problems


def test_a_check_that_cannot_read_the_data_becomes_a_problem_not_a_crash():
    def unreadable(value, values):
        raise DataValidationError([])

    register_schema("t_unreadable", [Param("council", str, "x", check=unreadable)])
    with pytest.raises(ParameterError, match="council = 'x': could not be checked"):
        validate_parameters("t_unreadable", {})


def test_nan_and_infinity_are_not_accepted_for_a_float():
    register_schema("t_float", [Param("x", float, 0.0)])
    for bad in (math.nan, math.inf, "nan"):
        with pytest.raises(ParameterError, match="expected a finite number"):
            validate_parameters("t_float", {"x": bad})


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_int_parameters_accept_ints_and_their_decimal_text(n):
    register_schema("t_int_prop", [Param("n", int, 0)])
    assert validate_parameters("t_int_prop", {"n": n}) == {"n": n}
    assert validate_parameters("t_int_prop", {"n": str(n)}) == {"n": n}


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_parameters_keep_the_exact_value_through_text(x):
    register_schema("t_float_prop", [Param("x", float, 0.0)])
    assert validate_parameters("t_float_prop", {"x": repr(x)}) == {"x": x}


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "n", "type": dict, "default": {}}, "type must be one of"),
    ({"name": "n", "type": int, "default": "x"}, "the default is not valid"),
    ({"name": "n", "type": str, "default": "x", "min": 1}, "min/max apply only"),
    ({"name": "2n", "type": str, "default": "x"}, "must be a Python identifier"),
])
def test_mistakes_in_a_schema_are_caught_when_it_is_written(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Param(**kwargs)


def test_duplicate_names_in_a_schema_are_rejected():
    with pytest.raises(ValueError, match="defined twice: a"):
        register_schema("t_dup", [Param("a", int, 1), Param("a", int, 2)])


def test_unregistered_notebook_names_the_stem_and_how_to_fix():
    with pytest.raises(ParameterError, match="no parameter schema is registered for notebook "
                                             "'no_such_notebook'.*perfeval/run/schemas.py"):
        get_schema("no_such_notebook")


def test_describe_schema_lists_name_type_default_allowed_and_description():
    text = describe_schema(STEM)
    lines = text.splitlines()
    assert lines[1].split() == ["name", "type", "default", "allowed", "description"]
    year_line = next(line for line in lines if line.startswith("year "))
    assert year_line.split()[:3] == ["year", "int", "2024"] and "2000 to 2100" in year_line
    assert "one of 'red', 'amber', 'green'" in text and "Calendar year" in text


# -- validate_notebook_namespace -----------------------------------------------------------------

def _namespace(**user) -> dict:
    namespace = {"__name__": "__main__", "_i1": "x = 1", "In": [""], "Out": {},
                 "get_ipython": lambda: None, "exit": object(), "quit": object(),
                 "os": os, "Path": Path, "validate": validate_parameters}
    defaults = {"council": "E06000017", "year": 2024, "ratio": 0.5, "colour": "green",
                "draft": False, "comparators": [], "data_dir": ""}
    namespace.update({**defaults, **user})
    return namespace


def test_namespace_validation_skips_modules_functions_classes_and_ipython_names():
    namespace = _namespace(year="2030")
    params = validate_notebook_namespace(STEM, namespace)
    assert params["year"] == 2030
    assert namespace["year"] == 2030, "coerced values are written back for later cells"


def test_namespace_validation_fails_on_a_name_injected_by_plain_papermill():
    with pytest.raises(ParameterError, match="unknown parameter 'yera'.*did you mean 'year'"):
        validate_notebook_namespace(STEM, _namespace(yera=2024))


def test_namespace_validation_reports_a_parameter_missing_from_the_parameters_cell():
    namespace = _namespace()
    del namespace["draft"]
    with pytest.raises(ParameterError, match="'draft' is in the schema but not defined"):
        validate_notebook_namespace(STEM, namespace)


def test_namespace_validation_ignores_a_previous_params_dict_on_rerun():
    namespace = _namespace(params={"year": 2024}, _private=1, helper=types.SimpleNamespace)
    assert validate_notebook_namespace(STEM, namespace)["year"] == 2024


# -- parameter files -------------------------------------------------------------------------------

def test_parameter_file_is_read_as_a_mapping(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("council: E06000017\nyear: 2024\ncomparators: [E07000026]\n")
    assert load_parameter_file(path) == {"council": "E06000017", "year": 2024,
                                         "comparators": ["E07000026"]}


def test_empty_parameter_file_means_all_defaults(tmp_path):
    (tmp_path / "p.yaml").write_text("# nothing set\n")
    assert load_parameter_file(tmp_path / "p.yaml") == {}


def test_python_object_tag_is_rejected_with_file_and_line_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(f"year: 2024\ncouncil: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ParameterError) as caught:
        load_parameter_file(path)
    assert f"{path}, line 2: YAML tag" in str(caught.value)
    assert "python/object/apply:os.system" in str(caught.value)
    assert not marker.exists()


def test_even_harmless_tags_are_rejected(tmp_path):
    (tmp_path / "p.yaml").write_text("year: !!str 2024\n")
    with pytest.raises(ParameterError, match="line 1: YAML tag"):
        load_parameter_file(tmp_path / "p.yaml")


def test_invalid_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("year: 2024\ncouncil: [E06000017\nratio: 1\n")
    with pytest.raises(ParameterError, match=r"bad\.yaml, line \d: not valid YAML"):
        load_parameter_file(path)


def test_repeated_key_is_rejected_naming_both_lines(tmp_path):
    (tmp_path / "p.yaml").write_text("year: 2023\ncouncil: x\nyear: 2024\n")
    with pytest.raises(ParameterError, match="'year' is given twice \\(lines 1 and 3\\)"):
        load_parameter_file(tmp_path / "p.yaml")


@pytest.mark.parametrize("text, found", [("- 2024\n- 2025\n", "list"), ("2024\n", "int")])
def test_a_file_that_is_not_a_mapping_is_rejected(tmp_path, text, found):
    (tmp_path / "p.yaml").write_text(text)
    with pytest.raises(ParameterError, match=f"expected a mapping.*got a {found}"):
        load_parameter_file(tmp_path / "p.yaml")


def test_missing_parameter_file_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="cannot read parameter file"):
        load_parameter_file(tmp_path / "absent.yaml")


def test_folder_schema_module_registers_its_notebooks(tmp_path):
    (tmp_path / "perfeval_schemas.py").write_text(
        "from perfeval.run.parameters import Param, register_schema\n"
        "register_schema('t_folder_nb', [Param('year', int, 2024)])\n")
    assert load_folder_schemas(tmp_path) is True
    assert validate_parameters("t_folder_nb", {}) == {"year": 2024}
    assert load_folder_schemas(tmp_path / "elsewhere") is False
