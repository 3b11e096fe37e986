"""Data files are untrusted input: the loader refuses what the reports cannot represent.

Each test copies ``tests/data/minimal/`` (see ``tests/data/README.md``) to a temporary folder,
breaks one file in one way, and checks the one problem reported: the file, the physical line
(the header is line 1; a quoted cell holding line breaks spans several lines), the column, and the
fix the message gives. Nothing here may end in anything but a loaded ``Dataset`` or a
``DataValidationError``.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import pathlib
import shutil
from pathlib import Path

import pytest

from perfeval.core.exceptions import DataValidationError, ParameterError, Problem
from perfeval.core.paths import resolve_data_dir
from perfeval.data.loader import DEFAULT_LIMITS, QUOTE_CHARS, SPEC_BY_NAME, LoadLimits, load_dataset

MINIMAL = Path(__file__).parents[1] / "data" / "minimal"
IV_HEADER = "authority,indicator,period,value,numerator,denominator,status,note\n"
EXCEL = 'in Excel, File > Save As > "CSV UTF-8 (Comma delimited)"'
LIBREOFFICE = '"Character set: Unicode (UTF-8)"'


# --------------------------------------------------------------------------- helpers
def copy_minimal(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(MINIMAL, root)
    return root


def with_table(tmp_path: Path, table: str, content: str | bytes) -> Path:
    """A copy of minimal/ whose ``table`` holds ``content`` (text is written as UTF-8, as is)."""
    root = copy_minimal(tmp_path)
    raw = content.encode("utf-8") if isinstance(content, str) else content
    (root / f"{table}.csv").write_bytes(raw)
    return root


def the_problem(root: Path, limits: LoadLimits | None = None) -> Problem:
    """The one problem loading ``root`` reports."""
    with pytest.raises(DataValidationError) as info:
        load_dataset(root, limits=limits)
    problems = info.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def where(problem: Problem) -> tuple[str, int | None, str | None]:
    return problem.file, problem.row, problem.column


def minimal_rows(table: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((MINIMAL / f"{table}.csv").read_text(encoding="utf-8"))))


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


# --------------------------------------------------------------------------- 1. finite numbers
NUMERIC_CELLS = [
    (name, column)
    for name, spec in SPEC_BY_NAME.items()
    if (MINIMAL / spec.filename).exists() and minimal_rows(name)[1:]
    for column, rule in spec.columns.items()
    if rule.kind in ("float", "int") and column in minimal_rows(name)[0]
]


def test_every_numeric_column_of_the_minimal_set_is_covered():
    assert len(NUMERIC_CELLS) >= 15
    assert ("indicator_values", "value") in NUMERIC_CELLS
    assert ("survey_codebook", "code") in NUMERIC_CELLS  # a whole-number column


@pytest.mark.parametrize("table, column", NUMERIC_CELLS, ids=[f"{t}.{c}" for t, c in NUMERIC_CELLS])
def test_infinity_is_refused_in_every_numeric_column(tmp_path, table, column):
    rows = minimal_rows(table)
    rows[1][rows[0].index(column)] = "inf"
    problem = the_problem(with_table(tmp_path, table, csv_text(rows)))
    assert where(problem) == (f"{table}.csv", 2, column)
    assert problem.message.startswith("'inf' is not a finite number; write the value")


@pytest.mark.parametrize(
    "text",
    ["inf", "-Infinity", "+INF", "1e309", "-1e400", "nan", "NaN", "-nan", "9" * 400, " infinity "],
)
def test_non_finite_numbers_are_refused_with_the_fix(tmp_path, text):
    root = with_table(
        tmp_path,
        "indicator_values",
        IV_HEADER + f"E06000017,NI192,2022/23,40.5,,,,\nE06000017,NI192,2023/24,{text},,,,\n",
    )
    problem = the_problem(root)
    assert where(problem) == ("indicator_values.csv", 3, "value")
    assert (
        "is not a finite number; write the value, or a symbol such as [x] for not available"
        in problem.message
    )


def test_a_column_without_symbols_does_not_suggest_one(tmp_path):
    root = with_table(
        tmp_path, "targets", "authority,indicator,period,target\nE06000017,NI192,2023/24,1e309\n"
    )
    problem = the_problem(root)
    assert where(problem) == ("targets.csv", 2, "target")
    assert problem.message == (
        "'1e309' is not a finite number; write the value (this column "
        "takes numbers only, no symbols)"
    )


def test_the_largest_finite_numbers_still_load(tmp_path):
    root = with_table(
        tmp_path,
        "indicator_values",
        IV_HEADER + "E06000017,NI192,2023/24,1.7e308,,,,\nE06000017,PL01,2023/24 Q1,-1e308,,,,\n",
    )
    assert list(load_dataset(root).indicator_values["value"]) == [1.7e308, -1e308]


# --------------------------------------------------------------------------- 2. period range
@pytest.mark.parametrize(
    "label, year",
    [
        ("1066/67", "1066/67"),
        ("1989/90", "1989/90"),
        ("1990-03", "1989/90"),
        ("2101/02 Q1", "2101/02"),
        ("2101-04", "2101/02"),
        ("9999/00", "9999/00"),
        ("9999/00 Q4", "9999/00"),
    ],
)
def test_periods_outside_the_plausible_years_are_refused(tmp_path, label, year):
    root = with_table(
        tmp_path, "indicator_values", IV_HEADER + f"E06000017,NI192,{label},40.5,,,,\n"
    )
    problem = the_problem(root)
    assert where(problem) == ("indicator_values.csv", 2, "period")
    assert problem.message == (
        f"{label!r} falls in financial year {year}, outside the years a data file may hold "
        "(1990/91 to 2100/01); correct the year, or widen the range with load_dataset(path, "
        "limits=LoadLimits(first_year=..., last_year=...))"
    )


@pytest.mark.parametrize("label", ["1990/91", "1990-04", "2100/01 Q4", "2101-03"])
def test_the_edges_of_the_plausible_years_load(tmp_path, label):
    root = with_table(
        tmp_path, "indicator_values", IV_HEADER + f"E06000017,NI192,{label},40.5,,,,\n"
    )
    assert list(load_dataset(root).indicator_values["period"]) == [label]


def test_a_financial_year_column_is_range_checked_too(tmp_path):
    root = with_table(
        tmp_path, "population", "authority,year,population\nE06000017,1066/67,41000\n"
    )
    problem = the_problem(root)
    assert where(problem) == ("population.csv", 2, "year")
    assert "outside the years a data file may hold (1990/91 to 2100/01)" in problem.message


def test_the_range_is_widened_with_load_limits(tmp_path):
    root = with_table(
        tmp_path, "indicator_values", IV_HEADER + "E06000017,NI192,1985/86,40.5,,,,\n"
    )
    assert "(1990/91 to 2100/01)" in the_problem(root).message
    wide = load_dataset(root, limits=LoadLimits(first_year=1980))
    assert list(wide.indicator_values["period"]) == ["1985/86"]
    narrow = LoadLimits(first_year=1986, last_year=2030)
    assert "(1986/87 to 2030/31)" in the_problem(root, narrow).message


def test_load_limits_are_frozen_with_module_defaults():
    assert DEFAULT_LIMITS == LoadLimits(
        first_year=1990, last_year=2100, max_cell_chars=100_000, max_file_bytes=512 * 2**20
    )
    with pytest.raises(AttributeError):
        DEFAULT_LIMITS.first_year = 1900  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"first_year": 2030, "last_year": 2020}, "first_year <= last_year"),
        ({"first_year": 999}, f"{1000} <= first_year"),
        ({"last_year": 9999}, "last_year <= 9998"),
        ({"max_cell_chars": 0}, "max_cell_chars must be a whole number of at least 1; got 0"),
        ({"max_file_bytes": 1.5}, "max_file_bytes must be a whole number of at least 1; got 1.5"),
        ({"first_year": "1990"}, "first_year must be a whole number; got '1990'"),
    ],
)
def test_impossible_load_limits_are_refused(kwargs, fragment):
    with pytest.raises(ParameterError, match="LoadLimits") as info:
        LoadLimits(**kwargs)
    assert fragment in str(info.value)


def test_limits_must_be_load_limits():
    with pytest.raises(
        ParameterError, match="limits must be a perfeval.data.loader.LoadLimits or None; got dict"
    ):
        load_dataset(MINIMAL, limits={"first_year": 1980})  # type: ignore[arg-type]


# --------------------------------------------------------------------------- 3. UTF-8 only
def test_a_utf8_file_with_one_windows_1252_word_is_refused_not_guessed(tmp_path):
    text = (MINIMAL / "authorities.csv").read_text(encoding="utf-8")
    raw = text.replace("Harborough", "Market Harborough – Leics").encode("utf-8")  # real UTF-8
    raw = raw.replace(b"Rutland", "Rütland".encode("cp1252"))  # one word from Windows
    problem = the_problem(with_table(tmp_path, "authorities", raw))
    offset = raw.index(b"\xfc")
    assert where(problem) == ("authorities.csv", 2, "name")
    assert problem.message.startswith(
        f"is not valid UTF-8: byte offset {offset} (line 2) holds fc (hex), which is not UTF-8 text"
    )
    assert EXCEL in problem.message and LIBREOFFICE in problem.message


def test_the_bad_byte_is_found_on_its_physical_line_after_a_multi_line_cell(tmp_path):
    raw = (
        b"authority,indicator,period,commentary\n"
        b'E06000017,NI192,2022/23,"Two\nlines"\n'
        b"E06000017,NI192,2023/24,saving "
    ) + b"\xa32m\n"
    problem = the_problem(with_table(tmp_path, "commentary", raw))
    offset = raw.index(b"\xa3")
    assert where(problem) == ("commentary.csv", 4, "commentary")
    assert f"byte offset {offset} (line 4) holds a3 (hex)" in problem.message


def test_the_byte_offset_counts_a_byte_order_mark(tmp_path):
    raw = b"\xef\xbb\xbf" + "authority,indicator,period,comméntary\n".encode("cp1252")
    problem = the_problem(with_table(tmp_path, "commentary", raw))
    offset = raw.index(b"\xe9")
    assert where(problem) == ("commentary.csv", 1, None)
    assert f"byte offset {offset} (line 1, the header) holds e9 (hex)" in problem.message


def test_a_multi_byte_character_cut_short_at_the_end_of_the_file(tmp_path):
    raw = (MINIMAL / "commentary.csv").read_bytes() + b"E06000017,NI192,2022/23," + b"\xc2"
    problem = the_problem(with_table(tmp_path, "commentary", raw))
    assert where(problem) == ("commentary.csv", 3, "commentary")
    assert "holds c2 (hex)" in problem.message


def test_a_nul_character_is_refused_where_it_is(tmp_path):
    text = (MINIMAL / "commentary.csv").read_text(encoding="utf-8")
    text += 'E06000017,NI192,2022/23,"two\nlines"\nE06000017,NI192,2021/22,bad\x00byte\n'
    problem = the_problem(with_table(tmp_path, "commentary", text))
    offset = text.encode("utf-8").index(b"\x00")
    assert where(problem) == ("commentary.csv", 5, "commentary")
    assert problem.message.startswith(
        f"holds a NUL character (byte 00) at byte offset {offset} (line 5), which no CSV text holds"
    )
    assert EXCEL in problem.message and LIBREOFFICE in problem.message


def test_utf_16_without_a_byte_order_mark_is_refused_by_its_nul_bytes(tmp_path):
    raw = (MINIMAL / "targets.csv").read_text(encoding="utf-8").encode("utf-16-le")
    problem = the_problem(with_table(tmp_path, "targets", raw))
    assert where(problem) == ("targets.csv", 1, None)
    assert "byte offset 1 (line 1, the header)" in problem.message
    assert 'probably saved as UTF-16 ("Unicode Text")' in problem.message


# --------------------------------------------------------------------------- 4. sizes
def long_comment(chars: int) -> str:
    return f'authority,indicator,period,commentary\nE06000017,NI192,2023/24,"{"x" * chars}"\n'


def test_a_cell_at_the_limit_loads_and_one_over_it_is_refused(tmp_path):
    at = load_dataset(with_table(tmp_path / "at", "commentary", long_comment(100_000)))
    assert len(at.commentary.loc[2, "commentary"]) == 100_000
    problem = the_problem(with_table(tmp_path / "over", "commentary", long_comment(100_001)))
    assert where(problem) == ("commentary.csv", 2, "commentary")
    assert problem.message == (
        "a cell of 100,001 characters is longer than the limit of 100,000; is a closing quote "
        "missing? Shorten it, or raise the limit with load_dataset(path, "
        "limits=LoadLimits(max_cell_chars=...))"
    )


def test_a_cell_beyond_the_csv_modules_own_limit_is_a_problem_not_a_csv_error(tmp_path):
    root = with_table(tmp_path, "commentary", long_comment(131_073 + 10))
    before = csv.field_size_limit()
    problem = the_problem(root)
    assert where(problem) == ("commentary.csv", 2, "commentary")
    assert "a cell of 131,083 characters" in problem.message
    assert csv.field_size_limit() == before  # the process-wide setting is put back
    raised = load_dataset(root, limits=LoadLimits(max_cell_chars=200_000))
    assert len(raised.commentary.loc[2, "commentary"]) == 131_083
    assert csv.field_size_limit() == before


def test_a_missing_closing_quote_is_one_oversized_cell_on_the_line_it_opens(tmp_path):
    rows = "".join(
        f"E06000017,NI192,{y}/{(y + 1) % 100:02d},comment {y}\n" for y in range(1990, 2090)
    )
    text = (
        "authority,indicator,period,commentary\n"
        'E06000017,NI192,2023/24,"The quote never closes\n' + rows
    )
    problem = the_problem(
        with_table(tmp_path, "commentary", text), LoadLimits(max_cell_chars=1_000)
    )
    assert where(problem) == ("commentary.csv", 2, "commentary")
    assert "is a closing quote missing?" in problem.message


def test_the_file_size_limit_is_checked_before_reading(tmp_path, monkeypatch):
    text = (MINIMAL / "indicator_values.csv").read_text(encoding="utf-8")
    long_note = f"E06000017,NI192,2021/22,1,,,,{'n' * 900}\n"  # the largest file of the folder
    root = with_table(tmp_path, "indicator_values", text + long_note)
    size = (root / "indicator_values.csv").stat().st_size
    assert all(
        p.stat().st_size < size for p in root.glob("*.csv") if p.name != "indicator_values.csv"
    )
    real_read = pathlib.Path.read_bytes

    def read_bytes(path):
        assert path.name != "indicator_values.csv", "the oversized file was read"
        return real_read(path)

    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    problem = the_problem(root, LoadLimits(max_file_bytes=size - 1))
    assert where(problem) == ("indicator_values.csv", None, None)
    assert problem.message == (
        f"is {size:,} bytes, more than the limit of {size - 1:,}; split the table, or raise the "
        "limit with load_dataset(path, limits=LoadLimits(max_file_bytes=...))"
    )
    monkeypatch.undo()
    assert len(load_dataset(root, limits=LoadLimits(max_file_bytes=size)).indicator_values) == 9


# --------------------------------------------------------------------------- 5. physical lines
def test_the_index_is_the_physical_line_each_row_starts_on(tmp_path):
    text = (
        IV_HEADER
        + 'E06000017,NI192,2022/23,40.5,,,,"a note\nover three\nlines"\n'  # lines 2-4
        + "\n"  # line 5, blank
        + "E06000017,NI192,2023/24,41.2,,,,\n"  # line 6
        + 'E06000005,NI192,2023/24,38.0,,,,"two\r\nlines"\r\n'  # lines 7-8
        + "E07000131,NI192,2023/24,0,,,,\n"
    )  # line 9
    data = load_dataset(with_table(tmp_path, "indicator_values", text))
    assert list(data.indicator_values.index) == [2, 6, 7, 9]
    assert data.indicator_values.loc[9, "authority"] == "E07000131"


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_every_problem_names_the_physical_line_after_a_multi_line_cell(tmp_path, ending):
    lines = [
        IV_HEADER.strip(),
        'E06000017,NI192,2022/23,40.5,,,,"a note' + ending + 'on two lines"',  # lines 2-3
        "E06000017,NI192,2023/24,lots,,,,",  # line 4
        "E06000017,NI192,2022/23,41.0,,,,",  # line 5
        "E06000017,NI999,2023/24 Q1,52,,,,",  # line 6
        "E06000017,NI192,2023/24,41.2,,,",
    ]  # line 7
    root = with_table(tmp_path, "indicator_values", ending.join(lines) + ending)
    with pytest.raises(DataValidationError) as info:
        load_dataset(root)
    found = {(p.row, p.column): p.message for p in info.value.problems}
    assert set(found) == {(7, None)}  # a ragged row stops the table before its cells are read
    lines[-1] += ","
    root = with_table(tmp_path / "fixed", "indicator_values", ending.join(lines) + ending)
    with pytest.raises(DataValidationError) as info:
        load_dataset(root)
    found = {(p.row, p.column): p.message for p in info.value.problems}
    assert set(found) == {(4, "value"), (5, "period"), (6, "indicator"), (7, "period")}
    assert "already on line 2" in found[(5, "period")]
    assert "already on line 4" in found[(7, "period")]


# --------------------------------------------------------------------------- 6. unreadable paths
def symlink_loop(folder: Path, name: str) -> Path:
    (folder / name).symlink_to(folder / f"{name}.other")
    (folder / f"{name}.other").symlink_to(folder / name)
    return folder / name


def test_a_data_dir_that_is_a_symlink_loop(tmp_path):
    loop = symlink_loop(tmp_path, "data")
    assert resolve_data_dir(loop) == loop  # resolving does not raise
    problem = the_problem(loop)
    assert where(problem) == (str(loop), None, None)
    assert problem.message.startswith(
        "is a symbolic link loop (the link leads back to itself); point it at the real folder"
    )


def test_a_data_dir_that_does_not_exist(tmp_path):
    problem = the_problem(tmp_path / "no_such_folder")
    assert where(problem) == (str(tmp_path / "no_such_folder"), None, None)
    assert "is not a directory (nothing is there); give data_dir as the folder" in problem.message


def test_a_data_dir_that_is_a_dangling_link_names_where_it_leads(tmp_path):
    (tmp_path / "data").symlink_to(tmp_path / "gone")
    problem = the_problem(tmp_path / "data")
    assert where(problem) == (str(tmp_path / "gone"), None, None)
    assert "is not a directory (nothing is there)" in problem.message


def test_a_table_behind_a_dangling_link_inside_the_data_dir(tmp_path):
    root = copy_minimal(tmp_path)
    (root / "targets.csv").unlink()
    (root / "targets.csv").symlink_to(tmp_path / "elsewhere.csv")
    problem = the_problem(root)
    assert where(problem) == ("targets.csv", None, None)
    assert problem.message == (
        f"is a symbolic link to {str(tmp_path / 'elsewhere.csv')!r}, "
        "which does not exist; fix the link or remove it"
    )


def deny(monkeypatch, function_owner, name: str, denied: Path) -> None:
    """Make ``function_owner.name`` raise PermissionError for ``denied`` (tests run as root,
    whom file permissions do not stop)."""
    real = getattr(function_owner, name)

    def refusing(path, *args, **kwargs):
        if Path(path) == denied:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(function_owner, name, refusing)


def test_a_data_dir_that_cannot_be_read(tmp_path, monkeypatch):
    root = copy_minimal(tmp_path)
    deny(monkeypatch, os, "scandir", root)
    problem = the_problem(root)
    assert where(problem) == (str(root), None, None)
    assert problem.message.startswith(
        "cannot be read (permission denied); give your user read access to the folder"
    )


def test_a_table_that_cannot_be_read(tmp_path, monkeypatch):
    root = copy_minimal(tmp_path)
    deny(monkeypatch, pathlib.Path, "read_bytes", root / "targets.csv")
    problem = the_problem(root)
    assert where(problem) == ("targets.csv", None, None)
    assert problem.message.startswith(
        "cannot be read (permission denied); give your user read access to the file"
    )


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="file permissions do not stop root"
)
def test_a_table_without_read_permission(tmp_path):
    root = copy_minimal(tmp_path)
    (root / "targets.csv").chmod(0)
    problem = the_problem(root)
    assert where(problem) == ("targets.csv", None, None)
    assert "permission denied" in problem.message


def test_a_table_that_is_a_folder(tmp_path):
    root = copy_minimal(tmp_path)
    (root / "commentary.csv").unlink()
    (root / "commentary.csv").mkdir()
    problem = the_problem(root)
    assert where(problem) == ("commentary.csv", None, None)
    assert problem.message == "is a folder, not a file; put the CSV table itself here"


def test_a_table_that_is_a_symlink_loop(tmp_path):
    root = copy_minimal(tmp_path)
    (root / "budget.csv").unlink()
    symlink_loop(root, "budget.csv")
    problem = the_problem(root)
    assert where(problem) == ("budget.csv", None, None)
    assert (
        "is a symbolic link loop (the link leads back to itself); point it at the real file"
        in problem.message
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_table_that_is_a_pipe_is_refused_without_waiting_on_it(tmp_path):
    root = copy_minimal(tmp_path)
    (root / "commentary.csv").unlink()
    os.mkfifo(root / "commentary.csv")
    problem = the_problem(root)
    assert where(problem) == ("commentary.csv", None, None)
    assert problem.message.startswith("is not an ordinary file")


# --------------------------------------------------------------------------- 7. short quotes
HUGE = "y" * 50_000
QUOTED = f"{'y' * QUOTE_CHARS!r}..."


@pytest.mark.parametrize(
    "table, text, column",
    [
        ("indicator_values", IV_HEADER + f"E06000017,NI192,2023/24,{HUGE},,,,\n", "value"),
        ("indicator_values", IV_HEADER + f"E06000017,NI192,{HUGE},41,,,,\n", "period"),
        ("indicator_values", IV_HEADER + f"E06000017,{HUGE},2023/24,41,,,,\n", "indicator"),
        ("indicator_values", IV_HEADER + f"E06000017,NI192,2023/24,41,,,{HUGE},\n", "status"),
        (
            "targets",
            f"authority,indicator,period,target,synthetic\nE06000017,NI192,2023/24,4,{HUGE}\n",
            "synthetic",
        ),
        (
            "survey_codebook",
            "authority,survey,question,wording,code,label,positive,excluded\n"
            f"E06000017,residents,Q01,W,{HUGE},L,true,false\n",
            "code",
        ),
    ],
)
def test_messages_quote_only_the_start_of_a_huge_cell(tmp_path, table, text, column):
    problem = the_problem(with_table(tmp_path, table, text))
    assert where(problem) == (f"{table}.csv", 2, column)
    assert problem.message.startswith(QUOTED)
    assert len(str(problem)) < 400


def test_a_repeated_key_of_huge_cells_is_quoted_short(tmp_path):
    row = f"E06000017,residents,2024,{HUGE},1.0,16-34,1,1\n"
    text = "authority,survey,wave,respondent_id,weight,age_band,Q01,Q02\n" + row + row
    problem = the_problem(with_table(tmp_path, "survey_responses", text))
    assert where(problem) == ("survey_responses.csv", 3, "respondent_id")
    assert f"'{'y' * QUOTE_CHARS}...'" in problem.message and len(problem.message) < 400


def test_a_huge_repeated_header_is_named_short(tmp_path):
    text = (
        f"authority,survey,variable,category,share,{HUGE},{HUGE}\n"
        "E06000017,residents,age_band,16-34,0.3,a,b\n"
    )
    problem = the_problem(with_table(tmp_path, "survey_population_margins", text))
    assert where(problem) == ("survey_population_margins.csv", None, f"{'y' * QUOTE_CHARS}...")
    assert len(str(problem)) < 400
