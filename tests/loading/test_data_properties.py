"""Property-based tests of the loader: any valid file loads, symbols are never read as numbers,
and no file, however malformed, makes it fail with anything but a DataValidationError."""

from __future__ import annotations

import csv
import io
import math
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from perfeval.core.exceptions import DataValidationError
from perfeval.data.loader import SPEC_BY_NAME, SYMBOLS, load_dataset

MINIMAL = Path(__file__).parents[1] / "data" / "minimal"
AUTHORITIES = ["E06000017", "E06000005", "E07000131"]

cell = st.one_of(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda v: (repr(v), v, None)),
    st.integers(min_value=0, max_value=10**7).map(lambda v: (f"{v:,}", float(v), None)),
    st.sampled_from(sorted(SYMBOLS)).map(lambda s: (s, math.nan, s)),
)
period = st.one_of(
    st.integers(2000, 2030).map(lambda y: f"{y}/{(y + 1) % 100:02d}"),
    st.tuples(st.integers(2000, 2030), st.integers(1, 4)).map(
        lambda t: f"{t[0]}/{(t[0] + 1) % 100:02d} Q{t[1]}"
    ),
    st.tuples(st.integers(2000, 2030), st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}"),
)


def indicator_of(label: str) -> str:
    """An indicator of minimal/indicators.csv whose frequency is the period's: NI192 (annual),
    PL01 (quarterly), HB01 (monthly); a month for an annual indicator that reads as a year
    (``2000-01``) is refused."""
    return "PL01" if " Q" in label else "HB01" if "-" in label else "NI192"


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(AUTHORITIES), period, cell),
        min_size=1,
        max_size=30,
        unique_by=lambda r: (r[0], r[1]),
    )
)
def test_any_valid_values_file_loads_with_symbols_kept_as_missing(rows):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "data"
        shutil.copytree(MINIMAL, root)
        with open(root / "indicator_values.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["authority", "indicator", "period", "value"])
            for authority, label, (text, _, _) in rows:
                writer.writerow([authority, indicator_of(label), label, text])
        values = load_dataset(root).indicator_values
    assert len(values) == len(rows)
    for (_, _, (_, number, symbol)), (_, loaded) in zip(rows, values.iterrows()):
        if symbol is None:
            assert loaded["value"] == number
            assert not isinstance(loaded["value_symbol"], str)
        else:
            assert math.isnan(loaded["value"]) and loaded["value_symbol"] == symbol


# --------------------------------------------------------------------------- untrusted input
# Whatever a data file holds, loading ends in a Dataset or a DataValidationError whose every
# problem names a file of the folder (and, for a problem about a row, a line of that file).
FUZZED_TABLES = [
    "authorities",
    "indicators",
    "indicator_values",
    "targets",
    "commentary",
    "budget",
    "population",
    "survey_codebook",
    "survey_responses",
]
TABLE_FILES = {f"{name}.csv" for name in SPEC_BY_NAME}
#: Problems about a whole file or a whole column, which name no line.
ROWLESS = (
    "is empty",
    "is missing from",
    "required column is missing",
    "required columns are missing",
    "the header repeats this column",
    "has no column of answers",
)
TRICKY = [
    "inf",
    "-Infinity",
    "1e309",
    "nan",
    "9" * 320,
    "-0",
    "[x]",
    "[c]",
    "..",
    "-",
    "41.2 [p]",
    "1,000",
    "40,5",
    '"',
    '""',
    '"quoted, with comma"',
    "\n",
    "\r\n",
    "\r",
    "\x00",
    "\ufeff",
    "true",
    "maybe",
    "2023/24",
    "2023/24 Q1",
    "2024-01",
    "1066/67",
    "9999/00 Q4",
    "2024-13",
    "E06000017",
    "NI192",
    "Q01",
    "residents",
    " ",
    "",
]
fuzz_cell = st.one_of(
    st.sampled_from(TRICKY),
    st.floats().map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.text(max_size=12),
)


def minimal_rows(table: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((MINIMAL / f"{table}.csv").read_text(encoding="utf-8"))))


def fuzz_rows(table: str) -> st.SearchStrategy:
    """Rows for ``table``: any number of cells, as many cells as the header, or a valid row with
    a cell or two replaced (so that the checks of every column are reached); each row written
    by a CSV writer or not."""
    header, *valid = minimal_rows(table)
    width = len(header)
    mutated = st.tuples(
        st.sampled_from(valid),
        st.dictionaries(st.integers(0, width - 1), fuzz_cell, min_size=1, max_size=2),
    ).map(lambda t: [t[1].get(i, cell) for i, cell in enumerate(t[0])])
    cells = st.one_of(
        st.lists(fuzz_cell, max_size=12),
        st.lists(fuzz_cell, min_size=width, max_size=width),
        mutated,
    )
    return st.lists(st.tuples(cells, st.booleans()), min_size=1, max_size=6)


fuzzed_rows = st.sampled_from(FUZZED_TABLES).flatmap(
    lambda table: st.tuples(st.just(table), fuzz_rows(table))
)


def encode_row(cells: list[str], quoted: bool) -> str:
    """A row as a CSV writer writes it, or the cells joined by commas whatever they hold."""
    if not quoted:
        return ",".join(cells) + "\n"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def physical_lines(raw: bytes) -> int:
    return len(re.findall(rb"\r\n|\r|\n", raw)) + 1


def assert_loads_or_reports(root: Path, fuzzed: str, raw: bytes) -> None:
    try:
        load_dataset(root)
    except DataValidationError as err:
        assert err.problems
        for problem in err.problems:
            assert problem.file in TABLE_FILES, problem
            assert len(str(problem)) < 1000, problem
            if problem.row is None:
                assert any(kind in problem.message for kind in ROWLESS), problem
            elif problem.file == fuzzed:
                assert 1 <= problem.row <= physical_lines(raw), problem


def fuzzed_folder(folder: str, table: str, raw: bytes) -> Path:
    root = Path(folder) / "data"
    shutil.copytree(MINIMAL, root)
    (root / f"{table}.csv").write_bytes(raw)
    return root


@settings(max_examples=60, deadline=None)
@given(
    table=st.sampled_from(FUZZED_TABLES),
    raw=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=200).map(lambda t: t.encode("utf-8")),
        st.tuples(
            st.sampled_from(FUZZED_TABLES), st.integers(0, 400), st.binary(max_size=200)
        ).map(  # a valid start, then anything
            lambda t: (MINIMAL / f"{t[0]}.csv").read_bytes()[: t[1]] + t[2]
        ),
    ),
)
def test_random_bytes_as_a_table_load_or_are_reported(table, raw):
    with tempfile.TemporaryDirectory() as folder:
        assert_loads_or_reports(fuzzed_folder(folder, table, raw), f"{table}.csv", raw)


@settings(max_examples=80, deadline=None)
@given(fuzzed_rows)
def test_malformed_rows_appended_to_a_valid_table_load_or_are_reported(table_and_rows):
    table, rows = table_and_rows
    text = "".join(encode_row(cells, quoted) for cells, quoted in rows)
    raw = (MINIMAL / f"{table}.csv").read_bytes() + text.encode("utf-8")
    with tempfile.TemporaryDirectory() as folder:
        assert_loads_or_reports(fuzzed_folder(folder, table, raw), f"{table}.csv", raw)
