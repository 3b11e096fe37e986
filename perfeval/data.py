"""The one loader layer: read a data directory, validate every table, report every problem.

``load_dataset(path)`` reads the tidy CSV tables described in ``docs/data-model.md``. Each table has
a declarative :class:`TableSpec` (columns, types, allowed values, ranges, unique key, references to
other tables). All problems in all files are collected and raised together as one
:class:`~perfeval.exceptions.DataValidationError` naming file, line and column, so a user fixes the
data once. UK statistical symbols (``[c]``, ``[x]``, ``[z]``, ``[low]``, ``[u]``, ``..``, ``-``) are
read as missing values with the symbol kept in a ``<column>_symbol`` column, never as zero.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from perfeval.exceptions import AnalysisError, DataValidationError, Problem
from perfeval.paths import resolve_data_dir
from perfeval.periods import is_valid_period, parse_period

#: Symbols that stand in place of a number, with their meaning (GSS guidance on symbols).
SYMBOLS: dict[str, str] = {
    "[c]": "confidential (suppressed)",
    "[x]": "not available",
    "[z]": "not applicable",
    "[low]": "base too small to publish",
    "[u]": "low reliability",
    "..": "not available",
    "-": "nil or not applicable",
}
#: Shorthand flags that may follow a number (``41.2 [p]``); kept in the ``status`` column.
STATUS_FLAGS: dict[str, str] = {"[p]": "provisional", "[r]": "revised", "[e]": "estimated"}
STATUSES = ("final", "provisional", "estimated", "revised")
#: How an indicator's periods make its year (the register's optional ``measure`` column): a
#: ``cumulative`` total (a count, spend), an ``average`` level (a rate, a percentage) or a
#: ``snapshot`` (a position at a date, whose year is the year-end position).
MEASURE_KINDS = ("cumulative", "average", "snapshot")
AUTHORITY_TYPES = ("district", "county", "unitary", "metropolitan", "london_borough")
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n", ""}


@dataclass(frozen=True)
class Column:
    """How one column is read and checked.

    ``kind`` is one of ``str``, ``float``, ``int``, ``bool``, ``period`` (any period label) or
    ``year`` (a financial-year label). ``symbols`` allows statistical symbols in a numeric column.
    """

    kind: str = "str"
    required: bool = True
    allow_blank: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    exclusive_minimum: bool = False
    symbols: bool = False


@dataclass(frozen=True)
class TableSpec:
    """A data table: its file name, columns, unique key and references to other tables."""

    name: str
    columns: dict[str, Column]
    key: tuple[str, ...] = ()
    references: tuple[tuple[str, str, str], ...] = ()  # (column, other table, other column)
    required: bool = True

    @property
    def filename(self) -> str:
        """The table's file name in a data directory (``<name>.csv``)."""
        return f"{self.name}.csv"


def _text(**kw) -> Column:
    return Column("str", **kw)


def _num(**kw) -> Column:
    return Column("float", **kw)


SPECS: tuple[TableSpec, ...] = (
    TableSpec("authorities", {
        "code": _text(), "name": _text(), "type": _text(allowed=AUTHORITY_TYPES),
        "region": _text(allow_blank=True), "area_km2": _num(required=False, minimum=0,
                                                            exclusive_minimum=True),
        "current": Column("bool", required=False),
    }, key=("code",)),
    TableSpec("population", {
        "authority": _text(), "year": Column("year"),
        "population": _num(minimum=0, exclusive_minimum=True),
        "source": _text(required=False, allow_blank=True),
    }, key=("authority", "year"), references=(("authority", "authorities", "code"),)),
    TableSpec("comparator_groups", {
        "group": _text(), "authority": _text(), "method": _text(required=False, allow_blank=True),
    }, key=("group", "authority"), references=(("authority", "authorities", "code"),)),
    TableSpec("indicators", {
        "code": _text(), "title": _text(), "unit": _text(),
        "polarity": _text(allowed=("higher", "lower", "neutral")),
        "frequency": _text(allowed=("annual", "quarterly", "monthly")),
        "service": _text(allow_blank=True), "owner": _text(allow_blank=True),
        "tolerance": _num(minimum=0), "tolerance_type": _text(allowed=("relative", "absolute")),
        "no_change_threshold": _num(minimum=0), "decimals": Column("int", minimum=0),
        "source": _text(allow_blank=True), "synthetic": Column("bool", required=False),
        "measure": _text(required=False, allow_blank=True, allowed=MEASURE_KINDS),
    }, key=("code",)),
    TableSpec("indicator_values", {
        "authority": _text(), "indicator": _text(), "period": Column("period"),
        "value": _num(symbols=True),
        "numerator": _num(required=False, minimum=0, symbols=True),
        "denominator": _num(required=False, minimum=0, symbols=True),
        "status": _text(required=False, allow_blank=True, allowed=STATUSES),
        "note": _text(required=False, allow_blank=True),
    }, key=("authority", "indicator", "period"),
        references=(("authority", "authorities", "code"), ("indicator", "indicators", "code"))),
    TableSpec("targets", {
        "authority": _text(), "indicator": _text(), "period": Column("period"),
        "target": _num(), "synthetic": Column("bool", required=False),
    }, key=("authority", "indicator", "period"),
        references=(("authority", "authorities", "code"), ("indicator", "indicators", "code"))),
    TableSpec("commentary", {
        "authority": _text(), "indicator": _text(), "period": Column("period"),
        "commentary": _text(allow_blank=True),
    }, key=("authority", "indicator", "period"), required=False,
        references=(("authority", "authorities", "code"), ("indicator", "indicators", "code"))),
    TableSpec("budget", {
        "authority": _text(), "service": _text(), "period": Column("period"),
        "budget": _num(symbols=True), "forecast_outturn": _num(symbols=True),
        "actual": _num(symbols=True), "synthetic": Column("bool", required=False),
    }, key=("authority", "service", "period"), required=False,
        references=(("authority", "authorities", "code"),)),
    TableSpec("net_expenditure", {
        "authority": _text(), "period": Column("year"), "service": _text(),
        "net_current_expenditure": _num(symbols=True),
    }, key=("authority", "period", "service"), required=False,
        references=(("authority", "authorities", "code"),)),
    TableSpec("deflators", {
        "year": Column("year"), "deflator": _num(minimum=0, exclusive_minimum=True),
        "source": _text(required=False, allow_blank=True),
    }, key=("year",), required=False),
    TableSpec("survey_codebook", {
        "survey": _text(), "question": _text(), "wording": _text(), "code": Column("int"),
        "label": _text(), "positive": Column("bool"), "excluded": Column("bool"),
    }, key=("survey", "question", "code"), required=False),
    TableSpec("survey_responses", {
        "survey": _text(), "wave": _text(), "respondent_id": _text(),
        "weight": _num(minimum=0, exclusive_minimum=True),
    }, key=("survey", "wave", "respondent_id"), required=False),
    TableSpec("survey_population_margins", {
        "survey": _text(), "variable": _text(), "category": _text(),
        "share": _num(minimum=0), "synthetic": Column("bool", required=False),
    }, key=("survey", "variable", "category"), required=False),
    TableSpec("programme_strands", {
        "programme": _text(), "strand": _text(), "allocation": _num(minimum=0),
        "spend": _num(minimum=0, symbols=True), "participants": Column("int", minimum=0),
        "sessions": Column("int", minimum=0), "synthetic": Column("bool"),
    }, key=("programme", "strand"), required=False),
    TableSpec("programme_members", {
        "programme": _text(), "authority": _text(),
        "role": _text(allowed=("participating", "comparison")), "synthetic": Column("bool"),
    }, key=("programme", "authority"), required=False,
        references=(("authority", "authorities", "code"),)),
    TableSpec("programme_participant_survey", {
        "programme": _text(), "respondent_id": _text(), "wave": _text(allowed=("before", "after")),
        "confidence": Column("int", minimum=1, allow_blank=True),
        "understanding": Column("int", minimum=1, allow_blank=True),
        "uses_performance_data": _text(allowed=("yes", "no"), allow_blank=True),
        "has_development_plan": _text(allowed=("yes", "no"), allow_blank=True),
        "synthetic": Column("bool"),
    }, key=("programme", "respondent_id", "wave"), required=False),
)
SPEC_BY_NAME = {spec.name: spec for spec in SPECS}


@dataclass
class Dataset:
    """Every table of a data directory, validated, as pandas DataFrames.

    Attributes are named after the files (``indicator_values`` for ``indicator_values.csv``).
    Optional tables that are absent are empty frames with the spec's columns. ``files`` lists the
    files read, for provenance.
    """

    root: Path
    tables: dict[str, pd.DataFrame]
    files: list[Path] = field(default_factory=list)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(f"Dataset has no table {name!r}; tables: {sorted(tables)}")


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Check that a table handed to an analysis has the columns it needs.

    Parameters
    ----------
    frame : DataFrame
        The table.
    columns : iterable of str
        Columns the analysis needs.
    what : str
        The table's name in the message (e.g. ``"the monitoring table"``).

    Raises
    ------
    AnalysisError
        Naming every missing column and the columns the table has.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AnalysisError(
            f"{what} is missing column(s) {missing}; it has {list(frame.columns)}. "
            f"See docs/data-model.md for the expected columns.")


def authority_names(data: Dataset) -> pd.Series:
    """Authority name by code, from authorities.csv.

    Parameters
    ----------
    data : Dataset
        From :func:`load_dataset`.

    Returns
    -------
    Series
        Names indexed by authority code.
    """
    return data.authorities.set_index("code")["name"]


def council_name(data: Dataset, code: str) -> str:
    """The council's name from authorities.csv (the code itself if it has none).

    Parameters
    ----------
    data : Dataset
        From :func:`load_dataset`.
    code : str
        Authority code (ONS GSS code).

    Returns
    -------
    str
    """
    return str(authority_names(data).get(code, code))


# --------------------------------------------------------------------------- reading
def read_csv_text(path: Path) -> tuple[str | None, list[Problem]]:
    """The text of a CSV file (UTF-8, with or without BOM; Windows-1252 accepted as fallback)."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        return None, [Problem(path.name, f"cannot be read ({err.strerror}); check the path and "
                                         "permissions")]
    if not raw.strip():
        return None, [Problem(path.name, "is empty; it needs a header row and data rows")]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), []


def sniff_delimiter_problem(name: str, header: str) -> Problem | None:
    """A problem when the header looks semicolon- or tab-separated rather than comma-separated."""
    if "," in header:
        return None
    for delimiter, label in ((";", "semicolons"), ("\t", "tabs")):
        if delimiter in header:
            return Problem(name, f"the header is separated by {label}, not commas; save the file "
                                 "as CSV (comma delimited)", row=1)
    return None


def read_table(path: Path, spec: TableSpec) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read one CSV file as strings, checking its shape: delimiter, header, ragged rows."""
    text, problems = read_csv_text(path)
    if text is None:
        return None, problems
    header = text.splitlines()[0] if text.splitlines() else ""
    delimiter_problem = sniff_delimiter_problem(path.name, header)
    if delimiter_problem:
        return None, [delimiter_problem]
    rows = list(csv.reader(io.StringIO(text)))
    width = len(rows[0])
    numbered = [(number, row) for number, row in enumerate(rows[1:], start=2) if row]
    for number, row in numbered:
        if len(row) != width:
            problems.append(Problem(path.name, f"has {len(row)} fields but the header has {width}"
                                               " (a truncated row or an unquoted comma?)",
                                    row=number))
    if problems:
        return None, problems
    frame = pd.DataFrame([row for _, row in numbered], columns=[c.strip() for c in rows[0]],
                         dtype=object)
    frame.index = pd.Index([number for number, _ in numbered], dtype="int64")  # spreadsheet lines
    return frame, []


# --------------------------------------------------------------------------- checking
def check_columns(frame: pd.DataFrame, spec: TableSpec) -> list[Problem]:
    """Missing required columns (with a did-you-mean for renamed ones) and duplicated headers."""
    problems = []
    present = list(frame.columns)
    for name in [c for c in present if present.count(c) > 1][:1]:
        problems.append(Problem(spec.filename, "the header repeats this column", column=name))
    extra = [c for c in present if c not in spec.columns]
    for name, column in spec.columns.items():
        if column.required and name not in present:
            close = difflib.get_close_matches(name, extra, n=1, cutoff=0.6)
            hint = f"; did you mean to rename {close[0]!r} to {name!r}?" if close else ""
            problems.append(Problem(spec.filename, f"required column is missing{hint} "
                                                   f"(expected columns: {list(spec.columns)})",
                                    column=name))
    return problems


def split_symbols(cells: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Split cells into numeric text, statistical symbol and status flag.

    ``"41.2 [p]"`` gives ("41.2", NA, "provisional"); ``"[x]"`` gives ("", "[x]", NA).
    """
    text = cells.fillna("").astype(str).str.strip()
    symbol = text.where(text.isin(list(SYMBOLS)))
    flag_pattern = r"\s*(\[[pre]\])$"
    flag = text.str.extract(flag_pattern, expand=False)
    number = text.str.replace(flag_pattern, "", regex=True).where(symbol.isna(), "")
    status = flag.map(STATUS_FLAGS)
    return number, symbol, status


def parse_numbers(name: str, column: str, number_text: pd.Series) -> tuple[pd.Series, list[Problem]]:
    """Numbers from text (thousands separators allowed); a problem for each cell that is not."""
    text = number_text.str.strip()
    grouped = text.str.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?").fillna(False).astype(bool)
    cleaned = text.where(~grouped, text.str.replace(",", "", regex=False))
    values = pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce")
    bad = cleaned.ne("") & values.isna()
    problems = [Problem(name, f"{number_text[i]!r} is not a number (use digits, a decimal point, "
                              f"commas only between groups of three digits, or a statistical "
                              f"symbol such as [x])", row=int(i), column=column)
                for i in bad[bad].index]
    return values.astype(float), problems


def check_numeric(frame: pd.DataFrame, spec: TableSpec, column: str, rule: Column,
                  ) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert a numeric column in place; symbols go to ``<column>_symbol`` when allowed."""
    name = spec.filename
    cells = frame[column]
    if rule.symbols:
        number_text, symbol, status = split_symbols(cells)
        frame[f"{column}_symbol"] = symbol.astype(object)
        if column == "value" and "status" in frame.columns:
            frame["status"] = frame["status"].where(status.isna(), status)
        elif column == "value":
            frame["status"] = status.astype(object)
    else:
        number_text = cells.fillna("").astype(str).str.strip()
        symbols_used = number_text.isin(list(SYMBOLS))
        number_text = number_text.mask(symbols_used, "\x00")
    values, problems = parse_numbers(name, column, number_text)
    if not rule.symbols:
        problems = [p if cells[p.row] not in SYMBOLS else
                    Problem(name, f"{cells[p.row]!r} is a statistical symbol, but this column "
                                  "must hold a number", row=p.row, column=column)
                    for p in problems]
    missing = values.isna() & (number_text.str.strip() == "")
    if rule.required and not rule.allow_blank and not rule.symbols:
        problems += [Problem(name, "is blank; a number is required", row=int(i), column=column)
                     for i in missing[missing].index]
    problems += check_minimum(name, column, values, rule)
    if rule.kind == "int":
        fractional = values.notna() & (values != values.round())
        problems += [Problem(name, f"{cells[i]!r} must be a whole number", row=int(i),
                             column=column) for i in fractional[fractional].index]
    frame[column] = values
    return frame, problems


def check_minimum(name: str, column: str, values: pd.Series, rule: Column) -> list[Problem]:
    """A problem for each value below the column's minimum (or at it, when exclusive)."""
    if rule.minimum is None:
        return []
    low = values <= rule.minimum if rule.exclusive_minimum else values < rule.minimum
    relation = "greater than" if rule.exclusive_minimum else "at least"
    return [Problem(name, f"{float(values[i]):g} is out of range: must be {relation} {rule.minimum:g}",
                    row=int(i), column=column) for i in low[low].index]


def check_text(frame: pd.DataFrame, spec: TableSpec, column: str, rule: Column) -> list[Problem]:
    """Blank required cells, values outside the allowed set, malformed periods."""
    name = spec.filename
    cells = frame[column].fillna("").astype(str).str.strip()
    frame[column] = cells
    problems = []
    if not rule.allow_blank:
        blank = cells == ""
        problems += [Problem(name, "is blank; a value is required", row=int(i), column=column)
                     for i in blank[blank].index]
    if rule.allowed is not None:
        bad = (cells != "") & ~cells.isin(rule.allowed)
        problems += [Problem(name, f"{cells[i]!r} is not allowed; use one of {list(rule.allowed)}",
                             row=int(i), column=column) for i in bad[bad].index]
    if rule.kind in ("period", "year"):
        problems += check_periods(name, column, cells, financial_year_only=rule.kind == "year")
    return problems


def check_periods(name: str, column: str, cells: pd.Series, *,
                  financial_year_only: bool) -> list[Problem]:
    """A problem for each malformed period label (checked once per distinct label)."""
    problems = []
    for label in cells[cells != ""].unique():
        if not is_valid_period(label):
            hint = ("use a financial year '2023/24', a quarter '2023/24 Q1' or a month '2023-04'"
                    if not financial_year_only else "use a financial year such as '2023/24'")
            message = f"{label!r} is not a period perfeval understands; {hint}"
        elif financial_year_only and parse_period(label).kind != "year":
            message = f"{label!r} must be a financial year such as '2023/24'"
        else:
            continue
        rows = cells.index[cells == label]
        problems += [Problem(name, message, row=int(i), column=column) for i in rows]
    return problems


def check_bool(frame: pd.DataFrame, spec: TableSpec, column: str) -> list[Problem]:
    """Parse true/false, yes/no, 1/0 (blank = false) in place."""
    original = frame[column].fillna("").astype(str).str.strip()
    cells = original.str.lower()
    bad = ~cells.isin(_TRUE | _FALSE)
    frame[column] = cells.isin(_TRUE)
    return [Problem(spec.filename, f"{original[i]!r} is not true or false (use true or false)",
                    row=int(i), column=column) for i in bad[bad].index]


def _plain(value: object) -> object:
    """A numpy scalar as the plain Python value (so messages read 2.0, not np.float64(2.0))."""
    return value.item() if hasattr(value, "item") else value


def check_key(frame: pd.DataFrame, spec: TableSpec) -> list[Problem]:
    """A problem for each row repeating the table's unique key, naming the first occurrence."""
    if not spec.key or any(k not in frame.columns for k in spec.key):
        return []
    duplicated = frame.duplicated(list(spec.key), keep="first")
    problems = []
    if duplicated.any():
        first = frame.drop_duplicates(list(spec.key)).reset_index().set_index(list(spec.key))
        for i in duplicated[duplicated].index:
            key = tuple(_plain(v) for v in frame.loc[i, list(spec.key)])
            where = first.loc[key if len(key) > 1 else key[0], "index"]
            problems.append(Problem(spec.filename, f"duplicate {dict(zip(spec.key, key))}: the same"
                                                   f" key is already on line {int(where)}",
                                    row=int(i), column=spec.key[-1]))
    return problems


def validate_table(frame: pd.DataFrame, spec: TableSpec) -> tuple[pd.DataFrame, list[Problem]]:
    """Check and convert every column of one table; returns the typed frame and its problems."""
    problems = check_columns(frame, spec)
    if problems:
        return frame, problems
    frame = frame.loc[:, ~frame.columns.duplicated()].copy()
    for column, rule in spec.columns.items():
        if column not in frame.columns:
            continue
        if rule.kind in ("float", "int"):
            frame, found = check_numeric(frame, spec, column, rule)
        elif rule.kind == "bool":
            found = check_bool(frame, spec, column)
        else:
            found = check_text(frame, spec, column, rule)
        problems += found
    problems += check_key(frame, spec)
    if "status" in spec.columns and "status" in frame.columns:
        frame["status"] = frame["status"].fillna("").replace("", "final")
    return frame, problems


def check_references(tables: dict[str, pd.DataFrame], broken: set[str] = frozenset()
                     ) -> list[Problem]:
    """A problem for each code that does not exist in the table it refers to.

    References into a ``broken`` table (missing, unreadable, or missing columns) are not
    checked: its problems are already reported and every code would look unknown.
    """
    problems = []
    for spec in SPECS:
        frame = tables.get(spec.name)
        if frame is None or frame.empty:
            continue
        for column, other, other_column in spec.references:
            if other not in tables or other in broken or column not in frame.columns:
                continue
            known = set(tables[other][other_column])
            unknown = ~frame[column].isin(known) & (frame[column] != "")
            for code in frame.loc[unknown, column].unique():
                rows = frame.index[unknown & (frame[column] == code)]
                problems.append(Problem(
                    spec.filename, f"{code!r} is not a {other_column} in {other}.csv "
                                   f"({len(rows)} row(s); first shown); add it there or correct it",
                    row=int(rows[0]), column=column))
    return problems


def check_survey(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Survey answers must be codes of the codebook; every codebook question must be a column."""
    responses, codebook = tables.get("survey_responses"), tables.get("survey_codebook")
    if responses is None or codebook is None or responses.empty or codebook.empty:
        return []
    problems = []
    for question, codes in codebook.groupby("question")["code"]:
        if question not in responses.columns:
            problems.append(Problem("survey_responses.csv", "question in survey_codebook.csv has "
                                                            "no column of answers",
                                    column=question))
            continue
        answers = pd.to_numeric(responses[question].replace("", np.nan), errors="coerce")
        text = responses[question].fillna("").astype(str).str.strip()
        bad = (text != "") & (answers.isna() | ~answers.isin(set(codes)))
        problems += [Problem("survey_responses.csv", f"{text[i]!r} is not a response code of "
                                                     f"{question} in survey_codebook.csv "
                                                     f"(codes: {sorted(int(c) for c in set(codes))})",
                             row=int(i), column=question) for i in bad[bad].index[:20]]
        responses[question] = answers.astype("Float64").astype(float)
    return problems


def empty_table(spec: TableSpec) -> pd.DataFrame:
    """An empty frame with the spec's columns, for an optional table that is absent."""
    return pd.DataFrame({name: pd.Series(dtype=float if c.kind in ("float", "int") else object)
                         for name, c in spec.columns.items()})


def load_dataset(path: str | Path | None = None) -> Dataset:
    """Read and validate every table of a data directory.

    Parameters
    ----------
    path : str, Path or None
        The data directory; ``None`` or ``""`` means the bundled sample data in ``data/``.

    Returns
    -------
    Dataset
        The validated tables; numeric columns are floats, symbol cells are NaN with the symbol in
        ``<column>_symbol``; each frame's index is the file's line number.

    Raises
    ------
    DataValidationError
        Listing every problem found, each with file, line and column.
    """
    root = resolve_data_dir(path)
    if not root.is_dir():
        raise DataValidationError([Problem(str(root), "is not a directory; give data_dir as the "
                                                      "folder holding the CSV tables")])
    tables, problems, files, broken = {}, [], [], set()
    for spec in SPECS:
        file = root / spec.filename
        if not file.exists():
            if spec.required:
                problems.append(Problem(spec.filename, f"is missing from {root}; every data "
                                                       "directory needs it (see docs/data-model.md)"))
                broken.add(spec.name)
            tables[spec.name] = empty_table(spec)
            continue
        files.append(file)
        frame, found = read_table(file, spec)
        problems += found
        if frame is None:
            tables[spec.name] = empty_table(spec)
            broken.add(spec.name)
            continue
        frame, found = validate_table(frame, spec)
        if check_columns(frame, spec):
            broken.add(spec.name)
        problems += found
        tables[spec.name] = frame
    problems += check_references(tables, broken) + check_survey(tables)
    if problems:
        raise DataValidationError(problems)
    return Dataset(root=root, tables=tables, files=files)
