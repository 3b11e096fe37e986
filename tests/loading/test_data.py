"""Tests for perfeval.data.loader: the loader reads tidy CSV tables and reports every problem at
once.

Fixtures are hand-made files under ``tests/data/`` (see its README): ``minimal/`` is a small valid
data directory, ``bad/`` holds one faulty copy of a table per case. Line numbers are the physical
lines of the file, the header being line 1 (as a spreadsheet counts them, until a quoted cell
holds a line break), so every expected line below can be checked against the fixture by eye.
Untrusted input (encodings, non-finite numbers, sizes, paths) is tested in
``test_data_untrusted.py``.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from perfeval.core.exceptions import DataValidationError, PerfevalError, Problem
from perfeval.core.paths import SAMPLE_DATA_DIR, resolve_data_dir
from perfeval.data.loader import (
    AUTHORITY_TYPES,
    REFERENCE_DATA_DIR,
    SPEC_BY_NAME,
    STATUSES,
    SYMBOLS,
    Dataset,
    load_dataset,
)

HERE = Path(__file__).parents[1]
MINIMAL = HERE / "data" / "minimal"
BAD = HERE / "data" / "bad"


# --------------------------------------------------------------------------- helpers
def make_data_dir(tmp_path: Path, *bad_files: str, remove: tuple[str, ...] = ()) -> Path:
    """Copy minimal/ into tmp_path; each ``<table>__<case>.csv`` replaces ``<table>.csv``."""
    root = tmp_path / "data"
    shutil.copytree(MINIMAL, root)
    for name in bad_files:
        table = name.split("__")[0]
        (root / f"{table}.csv").write_bytes((BAD / name).read_bytes())
    for name in remove:
        (root / name).unlink()
    return root


def load_with(tmp_path: Path, *bad_files: str, remove: tuple[str, ...] = ()) -> Dataset:
    return load_dataset(make_data_dir(tmp_path, *bad_files, remove=remove))


def problems_of(tmp_path: Path, *bad_files: str, remove: tuple[str, ...] = ()) -> list[Problem]:
    with pytest.raises(DataValidationError) as info:
        load_with(tmp_path, *bad_files, remove=remove)
    return info.value.problems


def write_table(tmp_path: Path, table: str, text: str) -> Path:
    """A copy of minimal/ with ``table`` replaced by ``text`` (UTF-8)."""
    root = make_data_dir(tmp_path)
    (root / f"{table}.csv").write_text(text, encoding="utf-8")
    return root


IV_HEADER = "authority,indicator,period,value,numerator,denominator,status,note\n"


# --------------------------------------------------------------------------- the minimal set
@pytest.fixture(scope="module")
def minimal() -> Dataset:
    return load_dataset(MINIMAL)


def test_minimal_set_loads_every_table_with_its_rows(minimal):
    rows = {name: len(frame) for name, frame in minimal.tables.items()}
    assert rows == {
        "authorities": 5,
        "population": 5,
        "comparator_groups": 3,
        "indicators": 3,
        "indicator_values": 8,
        "targets": 3,
        "commentary": 1,
        "budget": 2,
        "net_expenditure": 2,
        "deflators": 15,
        "survey_codebook": 5,
        "survey_responses": 12,
        "survey_population_margins": 3,
        "programme_strands": 0,
        "programme_members": 0,
        "programme_participant_survey": 0,
        "actions": 0,
        "risks": 0,
    }
    assert sorted(p.name for p in minimal.files if p.parent == MINIMAL) == sorted(
        p.name for p in MINIMAL.glob("*.csv")
    )
    # minimal/ has no deflators.csv: perfeval's national reference copy is read and listed
    assert [p for p in minimal.files if p.parent != MINIMAL] == [
        REFERENCE_DATA_DIR / "deflators.csv"
    ]


def test_origins_say_which_tables_came_from_the_folder_the_reference_copy_or_nowhere(minimal):
    assert set(minimal.origins) == set(SPEC_BY_NAME)
    assert minimal.origins["deflators"] == "reference"
    assert minimal.origins["authorities"] == minimal.origins["indicator_values"] == "folder"
    assert {
        minimal.origins[name]
        for name in ("programme_strands", "programme_members", "programme_participant_survey")
    } == {"absent"}


def test_tables_are_attributes_and_unknown_names_say_what_exists(minimal):
    assert minimal.indicators is minimal.tables["indicators"]
    with pytest.raises(AttributeError, match="no table 'indicatorz'.*'indicators'"):
        minimal.indicatorz  # noqa: B018


def test_index_is_the_line_number(minimal):
    iv = minimal.indicator_values
    assert list(iv.index) == [2, 3, 4, 5, 6, 7, 8, 9]
    # Line 6 of indicator_values.csv: E06000017,PL01,2023/24 Q1,52
    assert tuple(iv.loc[6, ["authority", "indicator", "period"]]) == (
        "E06000017",
        "PL01",
        "2023/24 Q1",
    )
    assert iv.loc[6, "value"] == 52.0


def test_numeric_columns_are_floats_and_booleans_are_bools(minimal):
    iv = minimal.indicator_values
    for column in ("value", "numerator", "denominator"):
        assert iv[column].dtype == np.float64
    assert minimal.indicators["decimals"].tolist() == [1.0, 0.0, 0.0]
    assert minimal.indicators["synthetic"].tolist() == [True, True, True]
    assert minimal.survey_codebook["excluded"].tolist() == [False, False, True, False, False]
    assert minimal.authorities["current"].dtype == bool


def test_all_three_period_kinds_load(minimal):
    periods = set(minimal.indicator_values["period"])
    assert {"2022/23", "2023/24 Q1", "2024-01"} <= periods


def test_symbols_are_nan_never_zero_and_the_symbol_is_kept(minimal):
    iv = minimal.indicator_values
    # line 4: [x] not available; line 7: [c] confidential
    assert math.isnan(iv.loc[4, "value"]) and iv.loc[4, "value_symbol"] == "[x]"
    assert math.isnan(iv.loc[7, "value"]) and iv.loc[7, "value_symbol"] == "[c]"
    # budget.csv line 3: actual is [x]; the other numbers on the line are kept
    budget = minimal.budget
    assert math.isnan(budget.loc[3, "actual"]) and budget.loc[3, "actual_symbol"] == "[x]"
    assert budget.loc[3, "forecast_outturn"] == 420000.0


def test_a_real_zero_stays_zero_with_no_symbol(minimal):
    # indicator_values.csv line 9: E07000131,NI192,2023/24,0,0,15000
    iv = minimal.indicator_values
    assert iv.loc[9, "value"] == 0.0 and iv.loc[9, "numerator"] == 0.0
    assert pd.isna(iv.loc[9, "value_symbol"])
    # exactly two symbols in the value column, and no number was given a symbol
    assert iv["value_symbol"].notna().sum() == 2
    assert iv.loc[iv["value_symbol"].notna(), "value"].isna().all()


def test_provisional_suffix_keeps_the_number_and_sets_status(minimal):
    row = minimal.indicator_values.loc[3]  # E06000017,NI192,2023/24,41.2 [p]
    assert row["value"] == 41.2
    assert row["status"] == "provisional"
    assert pd.isna(row["value_symbol"])


def test_blank_status_becomes_final_and_given_status_is_kept(minimal):
    status = minimal.indicator_values["status"]
    assert status[2] == "final"  # blank in the file
    assert status[5] == "final"  # "final" in the file
    assert status[8] == "revised"  # "revised" in the file
    assert set(status) <= set(STATUSES)


@pytest.mark.parametrize(
    "suffix, status", [("[p]", "provisional"), ("[r]", "revised"), ("[e]", "estimated")]
)
def test_every_status_suffix(tmp_path, suffix, status):
    root = write_table(
        tmp_path, "indicator_values", IV_HEADER + f"E06000017,NI192,2023/24,41.2{suffix},,,,\n"
    )
    row = load_dataset(root).indicator_values.loc[2]
    assert (row["value"], row["status"]) == (41.2, status)


@pytest.mark.parametrize("symbol", list(SYMBOLS))
def test_every_statistical_symbol_reads_as_nan(tmp_path, symbol):
    root = write_table(
        tmp_path, "indicator_values", IV_HEADER + f"E06000017,NI192,2023/24,{symbol},,,,\n"
    )
    row = load_dataset(root).indicator_values.loc[2]
    assert math.isnan(row["value"])
    assert row["value_symbol"] == symbol


def test_symbols_allowed_in_count_columns_too(tmp_path):
    root = write_table(
        tmp_path, "indicator_values", IV_HEADER + "E06000017,NI192,2023/24,41.2,[c],20000,,\n"
    )
    row = load_dataset(root).indicator_values.loc[2]
    assert math.isnan(row["numerator"]) and row["numerator_symbol"] == "[c]"
    assert row["denominator"] == 20000.0


def test_thousands_separators_are_accepted(tmp_path):
    root = write_table(
        tmp_path,
        "indicator_values",
        IV_HEADER + 'E06000017,NI192,2023/24,41.2,"8,100","20,000",,\n',
    )
    row = load_dataset(root).indicator_values.loc[2]
    assert (row["numerator"], row["denominator"]) == (8100.0, 20000.0)


def test_whitespace_around_codes_is_trimmed(tmp_path):
    root = write_table(
        tmp_path, "indicator_values", IV_HEADER + " E06000017 , NI192 , 2023/24 , 41.2 ,,,,\n"
    )
    row = load_dataset(root).indicator_values.loc[2]
    assert (row["authority"], row["indicator"], row["period"], row["value"]) == (
        "E06000017",
        "NI192",
        "2023/24",
        41.2,
    )


def test_absent_optional_tables_are_empty_frames_with_the_spec_columns(tmp_path):
    ds = load_with(tmp_path, remove=("commentary.csv", "budget.csv", "targets.csv"))
    for name in ("commentary", "budget", "targets", "programme_strands"):
        frame = ds.tables[name]
        assert frame.empty and ds.origins[name] == "absent"
        assert list(frame.columns) == list(SPEC_BY_NAME[name].columns)


@pytest.mark.parametrize("table", ["authorities", "population", "deflators"])
def test_an_absent_national_table_is_read_from_perfevals_reference_copy(tmp_path, table):
    # minimal/population.csv names the City of London, which the reference lookup lacks: the
    # authorities case drops both (and the reference population is not checked against the
    # folder's five authorities: it covers every council)
    removed = {
        "authorities": ("authorities.csv", "population.csv"),
        "population": ("population.csv",),
        "deflators": (),
    }[table]
    ds = load_dataset(make_data_dir(tmp_path, remove=removed))
    assert ds.origins[table] == "reference"
    assert REFERENCE_DATA_DIR / f"{table}.csv" in ds.files
    lines = (REFERENCE_DATA_DIR / f"{table}.csv").read_text(encoding="utf-8").splitlines()
    assert len(ds.tables[table]) == len(lines) - 1


def test_the_folders_own_table_wins_over_the_reference_copy(minimal):
    assert minimal.origins["population"] == "folder"
    assert len(minimal.population) == 5  # the reference copy has 337 rows


def test_only_comparator_groups_the_register_and_values_are_required(tmp_path):
    optional = [
        f"{name}.csv"
        for name in SPEC_BY_NAME
        if name not in ("comparator_groups", "indicators", "indicator_values")
    ]
    root = make_data_dir(tmp_path, remove=tuple(n for n in optional if (MINIMAL / n).exists()))
    ds = load_dataset(root)
    assert {name for name, origin in ds.origins.items() if origin == "folder"} == {
        "comparator_groups",
        "indicators",
        "indicator_values",
    }
    for table in ("comparator_groups", "indicators", "indicator_values"):
        problems = problems_of(tmp_path / table, remove=(f"{table}.csv",))
        assert [(p.file, p.kind) for p in problems] == [(f"{table}.csv", "missing_file")]


def test_no_path_means_the_bundled_data_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_data_dir(None) == SAMPLE_DATA_DIR == resolve_data_dir("")


# --------------------------------------------------------------------------- bad-input catalogue
# (fixture in tests/data/bad, file named in the problem, line (header = 1), column, message part)
CATALOGUE = [
    (
        "authorities__missing_required_column.csv",
        "authorities.csv",
        None,
        "type",
        "required column is missing",
    ),
    ("authorities__unknown_type.csv", "authorities.csv", 4, "type", "'borough' is not allowed"),
    ("authorities__blank_name.csv", "authorities.csv", 3, "name", "is blank"),
    (
        "authorities__truncated_last_row.csv",
        "authorities.csv",
        6,
        None,
        "has 3 fields but the header has 6",
    ),
    (
        "indicators__renamed_column.csv",
        "indicators.csv",
        None,
        "polarity",
        "did you mean to rename 'polarty' to 'polarity'?",
    ),
    ("indicators__unknown_polarity.csv", "indicators.csv", 3, "polarity", "'down' is not allowed"),
    ("indicators__not_a_boolean.csv", "indicators.csv", 3, "synthetic", "is not true or false"),
    ("indicators__unknown_measure.csv", "indicators.csv", 4, "measure", "'total' is not allowed"),
    (
        "indicator_values__duplicate_key.csv",
        "indicator_values.csv",
        10,
        "period",
        "the same key is already on line 2",
    ),
    (
        "indicator_values__unknown_indicator.csv",
        "indicator_values.csv",
        6,
        "indicator",
        "'NI999' is not a code in indicators.csv",
    ),
    (
        "indicator_values__unknown_authority.csv",
        "indicator_values.csv",
        5,
        "authority",
        "'E06999999' is not a code in authorities.csv",
    ),
    (
        "indicator_values__non_numeric_value.csv",
        "indicator_values.csv",
        6,
        "value",
        "'n/a' is not a number",
    ),
    (
        "indicator_values__negative_count.csv",
        "indicator_values.csv",
        2,
        "numerator",
        "is out of range: must be at least 0",
    ),
    (
        "indicator_values__dashed_year.csv",
        "indicator_values.csv",
        5,
        "period",
        "'2023-24' is not a period perfeval understands",
    ),
    (
        "indicator_values__non_consecutive_year.csv",
        "indicator_values.csv",
        5,
        "period",
        "'2023/25' is not a period perfeval understands",
    ),
    (
        "indicator_values__month_13.csv",
        "indicator_values.csv",
        8,
        "period",
        "'2024-13' is not a period perfeval understands",
    ),
    (
        "indicator_values__unknown_status.csv",
        "indicator_values.csv",
        5,
        "status",
        "'draft' is not allowed",
    ),
    (
        "indicator_values__too_few_fields.csv",
        "indicator_values.csv",
        6,
        None,
        "has 7 fields but the header has 8",
    ),
    pytest.param(
        "indicator_values__blank_line.csv",
        "indicator_values.csv",
        7,
        "value",
        "'fifty-two' is not a number",
        id="indicator_values__blank_line.csv",
    ),
    pytest.param(
        "indicator_values__decimal_comma.csv",
        "indicator_values.csv",
        2,
        "value",
        "'40,5'",
        id="indicator_values__decimal_comma.csv",
    ),
    (
        "survey_codebook__duplicate_key.csv",
        "survey_codebook.csv",
        7,
        "code",
        "the same key is already on line 6",
    ),
    (
        "population__quarter_in_year_column.csv",
        "population.csv",
        3,
        "year",
        "'2023/24 Q1' must be a financial year",
    ),
    (
        "survey_responses__zero_weight.csv",
        "survey_responses.csv",
        4,
        "weight",
        "is out of range: must be greater than 0",
    ),
    (
        "survey_responses__negative_weight.csv",
        "survey_responses.csv",
        4,
        "weight",
        "is out of range: must be greater than 0",
    ),
    (
        "survey_responses__missing_weight.csv",
        "survey_responses.csv",
        4,
        "weight",
        "is blank; a number is required",
    ),
    (
        "survey_responses__code_not_in_codebook.csv",
        "survey_responses.csv",
        7,
        "Q01",
        "'7' is not a response code of Q01",
    ),
    (
        "survey_codebook__question_without_column.csv",
        "survey_responses.csv",
        None,
        "Q03",
        "has no column of answers",
    ),
    ("targets__semicolons.csv", "targets.csv", 1, None, "separated by semicolons"),
    (
        "targets__symbol_in_target.csv",
        "targets.csv",
        3,
        "target",
        "'[x]' is a statistical symbol, but this column must hold a number",
    ),
    (
        "targets__unknown_indicator.csv",
        "targets.csv",
        4,
        "indicator",
        "'PL99' is not a code in indicators.csv",
    ),
    ("budget__too_many_fields.csv", "budget.csv", 3, None, "has 7 fields but the header has 6"),
    ("commentary__empty.csv", "commentary.csv", None, None, "is empty"),
    ("commentary__bom_only.csv", "commentary.csv", None, None, "is empty"),
    (
        "commentary__blank_first_line.csv",
        "commentary.csv",
        1,
        None,
        "line 1 is blank; delete the blank line, so that the header is line 1",
    ),
    (
        "commentary__windows_1252.csv",
        "commentary.csv",
        1,
        None,
        "is not valid UTF-8: byte offset 46 (line 1, the header) holds a3 (hex)",
    ),
    (
        "authorities__one_windows_1252_word.csv",
        "authorities.csv",
        4,
        "name",
        "is not valid UTF-8: byte offset 168 (line 4) holds e4 (hex)",
    ),
    (
        "commentary__utf_16.csv",
        "commentary.csv",
        1,
        None,
        "byte offset 0 (line 1, the header) holds ff (hex), which is not UTF-8 text; the file was "
        'probably saved as UTF-16 ("Unicode Text")',
    ),
    (
        "indicator_values__infinite_value.csv",
        "indicator_values.csv",
        5,
        "value",
        "'1e309' is not a finite number; write the value, or a symbol such as [x]",
    ),
    (
        "targets__infinite_target.csv",
        "targets.csv",
        3,
        "target",
        "'-Infinity' is not a finite number; write the value",
    ),
    (
        "indicator_values__period_before_1990.csv",
        "indicator_values.csv",
        4,
        "period",
        "'1066/67' falls in financial year 1066/67, outside the years a data file may hold "
        "(1990/91 to 2100/01)",
    ),
    (
        "budget__period_after_2100.csv",
        "budget.csv",
        3,
        "period",
        "'9999/00 Q2' falls in financial year 9999/00, outside the years",
    ),
    (
        "commentary__cell_over_the_limit.csv",
        "commentary.csv",
        2,
        "commentary",
        "a cell of 131,100 characters is longer than the limit of 100,000",
    ),
    (
        "commentary__line_break_in_a_cell.csv",
        "commentary.csv",
        5,
        "period",
        "'2023-24' is not a period perfeval understands",
    ),
]

#: bad/ fixtures that must load without error (tested one by one below).
LOADS_FINE = {
    "authorities__extra_unknown_column.csv",
    "authorities__utf8_bom.csv",
    "commentary__header_only.csv",
    "indicator_values__header_only.csv",
}


def _fixture_name(case) -> str:
    return case.values[0] if hasattr(case, "values") else case[0]


@pytest.mark.parametrize("fixture, file, line, column, message", CATALOGUE)
def test_bad_input_is_reported_with_file_line_and_column(
    tmp_path, fixture, file, line, column, message
):
    problems = problems_of(tmp_path, fixture)
    matching = [
        p
        for p in problems
        if (p.file, p.row, p.column) == (file, line, column) and message in p.message
    ]
    assert matching, (
        f"expected {file}, line {line}, column {column!r}: ...{message}...; "
        f"got {[str(p) for p in problems]}"
    )
    # a single fault must not set off problems in other files
    assert {p.file for p in problems} == {file}


def test_a_bad_boolean_is_quoted_as_written(tmp_path):
    problems = problems_of(tmp_path, "indicators__not_a_boolean.csv")
    assert problems[0].message.startswith("'maybe' is not true or false")


@pytest.mark.parametrize(
    "fixture, fragment",
    [
        ("indicator_values__negative_count.csv", "-8100 is out of range: must be at least 0"),
        ("survey_responses__zero_weight.csv", "0 is out of range: must be greater than 0"),
        ("survey_codebook__duplicate_key.csv", "'question': 'Q02', 'code': 2"),
    ],
)
def test_numbers_in_messages_are_quoted_as_plain_numbers(tmp_path, fixture, fragment):
    message = problems_of(tmp_path, fixture)[0].message
    assert fragment in message and "np." not in message


def test_every_bad_fixture_is_in_the_catalogue():
    listed = {_fixture_name(case) for case in CATALOGUE} | LOADS_FINE
    on_disk = {p.name for p in BAD.glob("*.csv")}
    assert on_disk == listed
    for name in on_disk:
        assert (MINIMAL / f"{name.split('__')[0]}.csv").exists(), name


def test_a_missing_required_file_is_named(tmp_path):
    problems = problems_of(tmp_path, remove=("indicators.csv",))
    assert [(p.file, p.row, p.column) for p in problems] == [("indicators.csv", None, None)]
    assert "is missing" in problems[0].message


@pytest.mark.parametrize(
    "make_path",
    [lambda tmp: tmp / "no_such_folder", lambda tmp: make_data_dir(tmp) / "authorities.csv"],
    ids=["does-not-exist", "a-file"],
)
def test_a_data_path_that_is_not_a_directory(tmp_path, make_path):
    with pytest.raises(DataValidationError, match="is not a directory") as info:
        load_dataset(make_path(tmp_path))
    assert len(info.value.problems) == 1


def test_the_error_message_names_file_line_and_column(tmp_path):
    with pytest.raises(PerfevalError) as info:
        load_with(tmp_path, "indicator_values__non_numeric_value.csv")
    assert isinstance(info.value, DataValidationError)
    text = str(info.value)
    assert text.startswith("1 problem found in the input data:")
    assert "indicator_values.csv, line 6, column 'value': 'n/a' is not a number" in text


def test_all_problems_in_all_files_are_reported_together(tmp_path):
    problems = problems_of(
        tmp_path,
        "indicators__unknown_polarity.csv",
        "survey_responses__zero_weight.csv",
        "targets__semicolons.csv",
    )
    assert {(p.file, p.row, p.column) for p in problems} == {
        ("indicators.csv", 3, "polarity"),
        ("survey_responses.csv", 4, "weight"),
        ("targets.csv", 1, None),
    }


def test_all_problems_in_one_file_are_reported_together(tmp_path):
    root = write_table(
        tmp_path,
        "indicator_values",
        IV_HEADER
        + "E06000017,NI192,2023-24,41.2,,,,\n"  # line 2: dashed year
        + "E06000017,PL01,2023/24 Q1,lots,,,,\n"  # line 3: not a number
        + "E06000017,HB01,2024-01,120,-1,,,\n",
    )  # line 4: negative count
    with pytest.raises(DataValidationError) as info:
        load_dataset(root)
    assert {(p.row, p.column) for p in info.value.problems} == {
        (2, "period"),
        (3, "value"),
        (4, "numerator"),
    }


def test_reference_problems_are_reported_alongside_other_problems(tmp_path):
    problems = problems_of(
        tmp_path, "indicator_values__non_numeric_value.csv", "targets__unknown_indicator.csv"
    )
    assert {p.file for p in problems} == {"indicator_values.csv", "targets.csv"}


def test_duplicate_rows_each_name_the_first_line(tmp_path):
    line = "E06000017,NI192,2023/24,41.2,,,,\n"
    root = write_table(tmp_path, "indicator_values", IV_HEADER + line + line + line)
    with pytest.raises(DataValidationError) as info:
        load_dataset(root)
    assert [p.row for p in info.value.problems] == [3, 4]
    assert all("already on line 2" in p.message for p in info.value.problems)


def test_a_column_named_index_does_not_change_the_line_a_duplicate_names(tmp_path):
    # The first occurrence used to be found through reset_index(), which an "index" column
    # shadowed: the message said "already on line 1" (the header).
    root = write_table(
        tmp_path,
        "comparator_groups",
        "group,authority,method,index\ntest_group,E06000017,m,7\ntest_group,E06000017,m,8\n",
    )
    with pytest.raises(DataValidationError) as info:
        load_dataset(root)
    assert [(p.row, p.message) for p in info.value.problems] == [
        (
            3,
            "duplicate {'group': 'test_group', 'authority': 'E06000017'}: the same key is "
            "already on line 2; remove the repeated rows or correct their key",
        )
    ]


def test_line_numbers_are_physical_lines_when_a_cell_holds_a_line_break(tmp_path):
    # The quoted comment spans lines 2 and 3 of the file (one spreadsheet row); the bad period
    # is on line 4, where a text editor shows it (a spreadsheet would call it row 3).
    root = write_table(
        tmp_path,
        "commentary",
        "authority,indicator,period,commentary\n"
        'E06000017,NI192,2023/24,"First line.\nSecond line."\n'
        "E06000017,NI192,2023-24,Wrong period form\n",
    )
    with pytest.raises(DataValidationError) as info:
        load_dataset(root)
    assert [(p.row, p.column) for p in info.value.problems] == [(4, "period")]


# --------------------------------------------------------------------------- inputs that load
def test_an_extra_unknown_column_loads_and_is_kept(tmp_path, minimal):
    ds = load_with(tmp_path, "authorities__extra_unknown_column.csv")
    assert ds.authorities.loc[4, "website"] == "https://example.invalid/4"
    pd.testing.assert_frame_equal(ds.authorities.drop(columns="website"), minimal.authorities)


def test_a_utf8_byte_order_mark_is_ignored(tmp_path, minimal):
    assert (BAD / "authorities__utf8_bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    ds = load_with(tmp_path, "authorities__utf8_bom.csv")
    pd.testing.assert_frame_equal(ds.authorities, minimal.authorities)


def test_a_windows_1252_file_is_refused_not_guessed(tmp_path):
    # Guessing Windows-1252 read this file right, but turns the UTF-8 file with one Windows-1252
    # word (authorities__one_windows_1252_word.csv) into mojibake: no encoding is guessed.
    raw = (BAD / "commentary__windows_1252.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the fixture really is not UTF-8
    assert raw.index(b"\xa3") == 46  # the pound sign of "saving (£k)" in the header
    [problem] = problems_of(tmp_path, "commentary__windows_1252.csv")
    assert 'Excel, File > Save As > "CSV UTF-8 (Comma delimited)"' in problem.message


def test_a_header_only_table_loads_as_zero_rows_with_typed_columns(tmp_path):
    ds = load_with(tmp_path, "indicator_values__header_only.csv", "commentary__header_only.csv")
    iv = ds.indicator_values
    assert len(iv) == 0 and len(ds.commentary) == 0
    assert {"value", "value_symbol", "status", "numerator_symbol"} <= set(iv.columns)
    assert iv["value"].dtype == np.float64
    assert list(ds.commentary.columns) == list(SPEC_BY_NAME["commentary"].columns)


# --------------------------------------------------------------------------- bundled data smoke
def test_bundled_data_loads_and_keeps_its_invariants():
    ds = load_dataset()  # the bundled data/ folder
    assert "E06000017" in set(ds.authorities["code"])
    assert set(ds.authorities["type"]) <= set(AUTHORITY_TYPES)
    iv = ds.indicator_values
    ni192 = iv[iv["indicator"] == "NI192"]
    assert len(ni192) > 0 and ni192["value"].dtype == np.float64
    assert (ni192["authority"] == "E06000017").any()
    crossed = iv["value_symbol"] == "[x]"
    assert crossed.any()
    assert iv.loc[crossed, "value"].isna().all()
    assert iv.loc[iv["value_symbol"].notna(), "value"].isna().all()
    assert set(iv["status"]) <= set(STATUSES)
    assert not iv.duplicated(["authority", "indicator", "period"]).any()
    assert iv.index[0] == 2
