"""The one loader layer: read a data directory, validate every table, report every problem.

``load_dataset(path)`` reads the tidy CSV tables described in ``docs/data-model.md``. Each table has
a declarative :class:`TableSpec` (columns, types, allowed values, ranges, unique key, references to
other tables). All problems in all files are collected and raised together as one
:class:`~perfeval.core.exceptions.DataValidationError` naming file, line and column, so a user fixes
the data once. UK statistical symbols (``[c]``, ``[x]``, ``[z]``, ``[low]``, ``[u]``, ``..``,
``-``) are read as missing values with the symbol kept in a ``<column>_symbol`` column, never as
zero. Dates (the actions and risks registers) are ISO ``2025-03-31``, read as Timestamps; cells
linking rows (``linked_pis``) hold ``;``-separated codes, each checked.

Data files are untrusted input. What the reports cannot represent is a problem, never a guess or
a crash: text that is not UTF-8, numbers that are not finite, periods outside the plausible years,
cells and files over the size limits of :class:`LoadLimits`, and paths that cannot be read. Line
numbers are physical lines of the file (a quoted cell holding line breaks spans several).

Each problem carries a kind, the offending value and the fix, so that a mistake repeated on
1,650 rows is reported as one line (:func:`perfeval.core.exceptions.describe_problems`). National
reference data (the authority lookup, ONS population, GDP deflators) ship with perfeval in
:data:`REFERENCE_DATA_DIR` and are read when a data folder has none of its own.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import errno
import io
import math
import os
import re
import stat
import threading
from collections import Counter
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from perfeval.core.exceptions import (
    AnalysisError,
    DataValidationError,
    ParameterError,
    PeriodError,
    Problem,
)
from perfeval.core.paths import BUNDLED_DIR, resolve_data_dir
from perfeval.core.periods import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_YEAR,
    MIN_YEAR,
    Period,
    parse_period_form,
)

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
#: An improvement action's recorded status (actions.csv); complete and cancelled actions are closed.
ACTION_STATUSES = ("not started", "on track", "at risk", "overdue", "complete", "cancelled")
#: An action's priority: high, medium or low.
PRIORITIES = ("H", "M", "L")
#: Which register a risk is in (risks.csv; blank = corporate).
RISK_REGISTERS = ("corporate", "service")
#: How a risk's residual score moved since its last review.
RISK_DIRECTIONS = ("risen", "fallen", "unchanged", "new")
#: The separator of the codes in a list cell (``linked_pis``: ``NI192; PL01``).
LIST_SEPARATOR = ";"
#: How a date is written in a data file, as the messages say it.
DATE_FIX = "write dates as 2025-03-31 (year-month-day)"
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n", ""}


@dataclass(frozen=True)
class Column:
    """How one column is read and checked.

    ``kind`` is one of ``str``, ``float``, ``int``, ``bool``, ``period`` (any period label),
    ``year`` (a financial-year label) or ``date`` (an ISO date ``2025-03-31``, read as a
    Timestamp). ``symbols`` allows statistical symbols in a numeric column; ``minimum`` and
    ``maximum`` bound a number.
    """

    kind: str = "str"
    required: bool = True
    allow_blank: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    exclusive_minimum: bool = False
    symbols: bool = False
    maximum: float | None = None


@dataclass(frozen=True)
class TableSpec:
    """A data table: its file name, columns, unique key and references to other tables.

    ``required`` tables must be in every data directory. A ``reference`` table is national
    reference data that ships with perfeval (in :data:`REFERENCE_DATA_DIR`), read from there when
    a data directory has none. ``list_references`` are columns holding ``;``-separated codes
    (``linked_pis``), each of which must be in the other table's column, and, when the flag is
    set, belong to the same authority as the row.
    """

    name: str
    columns: dict[str, Column]
    key: tuple[str, ...] = ()
    references: tuple[tuple[str, str, str], ...] = ()  # (column, other table, other column)
    required: bool = True
    reference: bool = False
    # (column, other table, other column, same authority)
    list_references: tuple[tuple[str, str, str, bool], ...] = ()

    @property
    def filename(self) -> str:
        """The table's file name in a data directory (``<name>.csv``)."""
        return f"{self.name}.csv"


def _text(**kw) -> Column:
    return Column("str", **kw)


def _num(**kw) -> Column:
    return Column("float", **kw)


def _date(**kw) -> Column:
    return Column("date", **kw)


def _optional(kind: str = "str", **kw) -> Column:
    """An optional column whose cells may be blank."""
    return Column(kind, required=False, allow_blank=True, **kw)


def _scale() -> Column:
    """A likelihood or impact on the 5 x 5 risk grid: a whole number 1 to 5."""
    return Column("int", minimum=1, maximum=5)


SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        "authorities",
        {
            "code": _text(),
            "name": _text(),
            "type": _text(allowed=AUTHORITY_TYPES),
            "region": _text(allow_blank=True),
            "area_km2": _num(required=False, minimum=0, exclusive_minimum=True),
            "current": Column("bool", required=False),
        },
        key=("code",),
        required=False,
        reference=True,
    ),
    TableSpec(
        "population",
        {
            "authority": _text(),
            "year": Column("year"),
            "population": _num(minimum=0, exclusive_minimum=True),
            "source": _text(required=False, allow_blank=True),
        },
        key=("authority", "year"),
        references=(("authority", "authorities", "code"),),
        required=False,
        reference=True,
    ),
    TableSpec(
        "comparator_groups",
        {
            "group": _text(),
            "authority": _text(),
            "method": _text(required=False, allow_blank=True),
        },
        key=("group", "authority"),
        references=(("authority", "authorities", "code"),),
    ),
    TableSpec(
        "indicators",
        {
            "code": _text(),
            "title": _text(),
            "unit": _text(),
            "polarity": _text(allowed=("higher", "lower", "neutral")),
            "frequency": _text(allowed=("annual", "quarterly", "monthly")),
            "service": _text(allow_blank=True),
            "owner": _text(allow_blank=True),
            "tolerance": _num(minimum=0),
            "tolerance_type": _text(allowed=("relative", "absolute")),
            "no_change_threshold": _num(minimum=0),
            "decimals": Column("int", minimum=0),
            "source": _text(allow_blank=True),
            "synthetic": Column("bool", required=False),
            "measure": _text(required=False, allow_blank=True, allowed=MEASURE_KINDS),
        },
        key=("code",),
    ),
    TableSpec(
        "indicator_values",
        {
            "authority": _text(),
            "indicator": _text(),
            "period": Column("period"),
            "value": _num(symbols=True),
            "numerator": _num(required=False, minimum=0, symbols=True),
            "denominator": _num(required=False, minimum=0, symbols=True),
            "status": _text(required=False, allow_blank=True, allowed=STATUSES),
            "note": _text(required=False, allow_blank=True),
        },
        key=("authority", "indicator", "period"),
        references=(("authority", "authorities", "code"), ("indicator", "indicators", "code")),
    ),
    TableSpec(
        "targets",
        {
            "authority": _text(),
            "indicator": _text(),
            "period": Column("period"),
            "target": _num(),
            "synthetic": Column("bool", required=False),
        },
        key=("authority", "indicator", "period"),
        required=False,
        references=(("authority", "authorities", "code"), ("indicator", "indicators", "code")),
    ),
    TableSpec(
        "commentary",
        {
            "authority": _text(),
            "indicator": _text(),
            "period": Column("period"),
            "commentary": _text(allow_blank=True),
        },
        key=("authority", "indicator", "period"),
        required=False,
        references=(("authority", "authorities", "code"), ("indicator", "indicators", "code")),
    ),
    TableSpec(
        "budget",
        {
            "authority": _text(),
            "service": _text(),
            "period": Column("period"),
            "budget": _num(symbols=True),
            "forecast_outturn": _num(symbols=True),
            "actual": _num(symbols=True),
            "synthetic": Column("bool", required=False),
        },
        key=("authority", "service", "period"),
        required=False,
        references=(("authority", "authorities", "code"),),
    ),
    TableSpec(
        "net_expenditure",
        {
            "authority": _text(),
            "period": Column("year"),
            "service": _text(),
            "net_current_expenditure": _num(symbols=True),
        },
        key=("authority", "period", "service"),
        required=False,
        references=(("authority", "authorities", "code"),),
    ),
    TableSpec(
        "deflators",
        {
            "year": Column("year"),
            "deflator": _num(minimum=0, exclusive_minimum=True),
            "source": _text(required=False, allow_blank=True),
        },
        key=("year",),
        required=False,
        reference=True,
    ),
    # Survey tables carry the authority whose survey it is, so that a report never shows
    # another council's survey.
    TableSpec(
        "survey_codebook",
        {
            "authority": _text(),
            "survey": _text(),
            "question": _text(),
            "wording": _text(),
            "code": Column("int"),
            "label": _text(),
            "positive": Column("bool"),
            "excluded": Column("bool"),
        },
        key=("authority", "survey", "question", "code"),
        required=False,
        references=(("authority", "authorities", "code"),),
    ),
    TableSpec(
        "survey_responses",
        {
            "authority": _text(),
            "survey": _text(),
            "wave": _text(),
            "respondent_id": _text(),
            "weight": _num(minimum=0, exclusive_minimum=True),
        },
        key=("authority", "survey", "wave", "respondent_id"),
        required=False,
        references=(("authority", "authorities", "code"),),
    ),
    TableSpec(
        "survey_population_margins",
        {
            "authority": _text(),
            "survey": _text(),
            "variable": _text(),
            "category": _text(),
            "share": _num(minimum=0),
            "synthetic": Column("bool", required=False),
        },
        key=("authority", "survey", "variable", "category"),
        required=False,
        references=(("authority", "authorities", "code"),),
    ),
    TableSpec(
        "programme_strands",
        {
            "programme": _text(),
            "strand": _text(),
            "allocation": _num(minimum=0),
            "spend": _num(minimum=0, symbols=True),
            "participants": Column("int", minimum=0),
            "sessions": Column("int", minimum=0),
            "synthetic": Column("bool"),
        },
        key=("programme", "strand"),
        required=False,
    ),
    TableSpec(
        "programme_members",
        {
            "programme": _text(),
            "authority": _text(),
            "role": _text(allowed=("participating", "comparison")),
            "synthetic": Column("bool"),
        },
        key=("programme", "authority"),
        required=False,
        references=(("authority", "authorities", "code"),),
    ),
    TableSpec(
        "programme_participant_survey",
        {
            "programme": _text(),
            "respondent_id": _text(),
            "wave": _text(allowed=("before", "after")),
            "confidence": Column("int", minimum=1, allow_blank=True),
            "understanding": Column("int", minimum=1, allow_blank=True),
            "uses_performance_data": _text(allowed=("yes", "no"), allow_blank=True),
            "has_development_plan": _text(allowed=("yes", "no"), allow_blank=True),
            "synthetic": Column("bool"),
        },
        key=("programme", "respondent_id", "wave"),
        required=False,
    ),
    # Improvement actions and the risk register (issue #17): a council's own, linked to its PIs.
    TableSpec(
        "actions",
        {
            "authority": _text(),
            "action_id": _text(),
            "title": _text(),
            "how": _text(),
            "owner": _text(),
            "service": _optional(),
            "priority": _text(allowed=PRIORITIES),
            "start": _date(),
            "due": _date(),
            "revised_due": _optional("date"),
            "status": _text(allowed=ACTION_STATUSES),
            "percent_complete": _optional("float", minimum=0, maximum=100),
            "completed": _optional("date"),
            "last_update": _optional(),
            "last_update_date": _optional("date"),
            "linked_pis": _optional(),
            "linked_risks": _optional(),
            "plan": _text(),
            "synthetic": Column("bool", required=False),
        },
        key=("authority", "action_id"),
        references=(("authority", "authorities", "code"),),
        required=False,
        list_references=(
            ("linked_pis", "indicators", "code", False),
            ("linked_risks", "risks", "risk_id", True),
        ),
    ),
    TableSpec(
        "risks",
        {
            "authority": _text(),
            "risk_id": _text(),
            "title": _text(),
            "owner": _text(),
            "category": _text(),
            "register": _optional(allowed=RISK_REGISTERS),
            "service": _optional(),
            "cause": _optional(),
            "consequence": _optional(),
            "inherent_likelihood": _scale(),
            "inherent_impact": _scale(),
            "controls": _optional(),
            "residual_likelihood": _scale(),
            "residual_impact": _scale(),
            "target_score": _optional("int", minimum=1, maximum=25),
            "direction": _optional(allowed=RISK_DIRECTIONS),
            "review_date": _date(),
            "next_review": _optional("date"),
            "linked_pis": _optional(),
            "linked_actions": _optional(),
            "synthetic": Column("bool", required=False),
        },
        key=("authority", "risk_id"),
        references=(("authority", "authorities", "code"),),
        required=False,
        list_references=(
            ("linked_pis", "indicators", "code", False),
            ("linked_actions", "actions", "action_id", True),
        ),
    ),
)
SPEC_BY_NAME = {spec.name: spec for spec in SPECS}
#: perfeval's own copies of national reference data (GDP deflators, the authority lookup, ONS
#: population), read when a data directory lacks the table; see the README there.
REFERENCE_DATA_DIR = BUNDLED_DIR / "reference"
#: Where a :class:`Dataset`'s table came from (:attr:`Dataset.origins`).
ORIGINS = ("folder", "reference", "absent")


@dataclass
class Dataset:
    """Every table of a data directory, validated, as pandas DataFrames.

    Attributes are named after the files (``indicator_values`` for ``indicator_values.csv``).
    Optional tables that are absent are empty frames with the spec's columns. ``files`` lists the
    files read, for provenance (a reference table's file is perfeval's copy). ``origins`` says
    where each table came from: ``"folder"`` (the data directory), ``"reference"`` (perfeval's
    national reference copy, :data:`REFERENCE_DATA_DIR`, because the folder has none) or
    ``"absent"`` (neither: an empty frame).
    """

    root: Path
    tables: dict[str, pd.DataFrame]
    files: list[Path] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)

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
            f"See docs/data-model.md for the expected columns."
        )


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


# --------------------------------------------------------------------------- limits
@dataclass(frozen=True)
class LoadLimits:
    """What the loader accepts from a data file beyond its columns' rules.

    Attributes
    ----------
    first_year, last_year : int
        First calendar years of the earliest and latest financial years a period may fall in
        (default 1990/91 to 2100/01, for years, quarters and months alike).
    max_cell_chars : int
        The longest cell, in characters (default 100,000: far above any sensible comment, well
        below a run-away quoted cell that swallows the rest of the file).
    max_file_bytes : int
        The largest file, in bytes (default 512 MiB), checked before the file is read.
    """

    first_year: int = FIRST_YEAR
    last_year: int = LAST_YEAR
    max_cell_chars: int = 100_000
    max_file_bytes: int = 512 * 2**20

    def __post_init__(self) -> None:
        whole = {
            name: isinstance(getattr(self, name), int) and not isinstance(getattr(self, name), bool)
            for name in ("first_year", "last_year", "max_cell_chars", "max_file_bytes")
        }
        problems = [
            f"{name} must be a whole number; got {getattr(self, name)!r}"
            for name in ("first_year", "last_year")
            if not whole[name]
        ]
        if not problems and not MIN_YEAR <= self.first_year <= self.last_year <= MAX_YEAR:
            problems.append(
                f"first_year and last_year must satisfy {MIN_YEAR} <= first_year <= "
                f"last_year <= {MAX_YEAR}; got {self.first_year!r} and "
                f"{self.last_year!r}"
            )
        problems += [
            f"{name} must be a whole number of at least 1; got {getattr(self, name)!r}"
            for name in ("max_cell_chars", "max_file_bytes")
            if not whole[name] or getattr(self, name) < 1
        ]
        if problems:
            raise ParameterError(problems, notebook="LoadLimits")


#: The limits :func:`load_dataset` applies when given none.
DEFAULT_LIMITS = LoadLimits()
#: How much of a cell a message quotes.
QUOTE_CHARS = 40
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what the csv reader (newline="") ends a line on
_CSV_LIMIT_LOCK = threading.Lock()
_REMEDY = {
    errno.ELOOP: "is a symbolic link loop (the link leads back to itself); point it at the real "
    "{what} or replace it with the {what} itself",
    errno.EACCES: "cannot be read (permission denied); give your user read access to the {what} "
    "or copy it somewhere you can read",
    errno.ENOTDIR: "is not reachable: part of the path is a file, not a folder; check the path",
}
_REMEDY[errno.EPERM] = _REMEDY[errno.EACCES]
RESAVE_UTF8 = (
    'Re-save it as UTF-8: in Excel, File > Save As > "CSV UTF-8 (Comma delimited)"; '
    'in LibreOffice, File > Save As > Text CSV with "Character set: Unicode (UTF-8)"'
)


def quote_cell(value: object, limit: int = QUOTE_CHARS) -> str:
    """``repr`` of a cell for a message, cut to its first ``limit`` characters and ``...``.

    Parameters
    ----------
    value : object
        The cell (or code, or column name) to quote.
    limit : int
        The most characters quoted.

    Returns
    -------
    str
        ``'short'`` as it is, ``'a long comment that goes on and on and on'...`` when cut.
    """
    text = value if isinstance(value, str) else str(_plain(value))
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}..."


def short_name(name: str, limit: int = QUOTE_CHARS) -> str:
    """A column name (from a file's header) cut to ``limit`` characters, for a Problem's column."""
    return name if len(name) <= limit else f"{name[:limit]}..."


def cell_problem(
    file: str, row: int | None, column: str | None, kind: str, value: object, summary: str, fix: str
) -> Problem:
    """A problem about one cell's value, worded ``'<value>' <summary>; <fix>``.

    Parameters
    ----------
    file, row, column
        Where the cell is.
    kind : str
        The stable key of the kind of problem (problems of one kind and value group together).
    value : object
        The cell as written (quoted at most :data:`QUOTE_CHARS` characters).
    summary : str
        What is wrong, true of every cell with this value (``"is not allowed"``).
    fix : str
        How to fix it (``"use one of ['higher', 'lower']"``).

    Returns
    -------
    Problem
    """
    return Problem(
        file,
        f"{quote_cell(value)} {summary}; {fix}",
        row=row,
        column=column,
        kind=kind,
        value=short_name(str(_plain(value))),
        summary=summary,
        fix=fix,
    )


def row_problem(
    file: str,
    row: int | None,
    column: str | None,
    kind: str,
    summary: str,
    fix: str,
    detail: str | None = None,
) -> Problem:
    """A problem about a row whose value is not what groups it (a blank, a number out of range,
    a repeated key): worded ``<detail or summary>; <fix>``."""
    return Problem(
        file,
        f"{detail or summary}; {fix}",
        row=row,
        column=column,
        kind=kind,
        summary=summary,
        fix=fix,
    )


# --------------------------------------------------------------------------- reading
def stat_problem(path: Path, name: str, what: str) -> tuple[os.stat_result | None, Problem | None]:
    """The path's status, or a problem saying why it cannot be reached.

    Parameters
    ----------
    path : Path
        The data folder or a table's file.
    name : str
        How the problem names it (the folder's path, or the file name).
    what : {"folder", "file"}
        What the path should be, in the advice.

    Returns
    -------
    (stat_result or None, Problem or None)
        ``(None, None)`` when nothing is there at all (the caller knows whether that is fine).
    """
    try:
        return path.stat(), None
    except FileNotFoundError:
        if not path.is_symlink():
            return None, None
        try:
            target = repr(os.readlink(path))  # a path, not a cell: quoted whole
        except OSError:
            target = "a path"
        return None, Problem(
            name,
            f"is a symbolic link to {target}, which does not exist; fix the link or remove it",
            kind="dangling_link",
            summary="is a symbolic link to a path that does not exist",
            fix="fix the link or remove it",
        )
    except OSError as err:
        return None, unreachable_problem(
            name, err, what, "cannot be read ({reason}); check the path and permissions"
        )


def unreachable_problem(name: str, err: OSError, what: str, otherwise: str) -> Problem:
    """The problem for a path the system refused to read: what is wrong and the remedy for the
    error (a link loop, no permission, ...), or ``otherwise`` with the system's reason."""
    template = otherwise if err.errno is None else _REMEDY.get(err.errno, otherwise)
    remedy = template.format(what=what, reason=err.strerror or err)
    summary, _, fix = remedy.partition("; ")
    return Problem(name, remedy, kind="unreachable", summary=summary, fix=fix)


def check_data_dir(root: Path) -> Problem | None:
    """A problem when the data folder is missing, not a folder, a link loop or unreadable."""
    name = str(root)
    info, problem = stat_problem(root, name, "folder")
    if problem is not None:
        return problem
    if info is None:
        return Problem(
            name,
            "is not a directory (nothing is there); give data_dir as the folder "
            "holding the CSV tables",
            kind="not_a_folder",
            summary="is not a directory (nothing is there)",
            fix="give data_dir as the folder holding the CSV tables",
        )
    if not stat.S_ISDIR(info.st_mode):
        return Problem(
            name,
            "is not a directory; give data_dir as the folder holding the CSV tables",
            kind="not_a_folder",
            summary="is not a directory",
            fix="give data_dir as the folder holding the CSV tables",
        )
    try:
        with os.scandir(root) as entries:
            next(entries, None)
    except OSError as err:
        return unreachable_problem(
            name, err, "folder", "cannot be listed ({reason}); check its permissions"
        )
    return None


def check_table_file(path: Path, info: os.stat_result, limits: LoadLimits) -> Problem | None:
    """A problem when a table's path is not an ordinary file or is larger than the limit."""
    if stat.S_ISDIR(info.st_mode):
        return Problem(
            path.name,
            "is a folder, not a file; put the CSV table itself here",
            kind="not_a_file",
            summary="is a folder, not a file",
            fix="put the CSV table itself here",
        )
    if not stat.S_ISREG(info.st_mode):
        return Problem(
            path.name,
            "is not an ordinary file (a device, pipe or socket); save the table as a CSV file here",
            kind="not_a_file",
            summary="is not an ordinary file (a device, pipe or socket)",
            fix="save the table as a CSV file here",
        )
    if info.st_size > limits.max_file_bytes:
        return Problem(
            path.name,
            f"is {info.st_size:,} bytes, more than the limit of "
            f"{limits.max_file_bytes:,}; split the table, or raise the limit "
            "with load_dataset(path, limits=LoadLimits(max_file_bytes=...))",
            kind="file_too_large",
            summary=f"is larger than the limit of {limits.max_file_bytes:,} bytes",
            fix="split the table, or raise the limit with load_dataset(path, "
            "limits=LoadLimits(max_file_bytes=...))",
        )
    return None


def count_line_breaks(text: str) -> int:
    """Line breaks in ``text`` as the csv reader counts them (``\\r\\n``, ``\\r`` or ``\\n``)."""
    return len(_LINE_BREAK.findall(text))


def read_records(text: str) -> tuple[list[tuple[int, list[str]]], tuple[int, str] | None]:
    """Each CSV record of ``text`` with the physical line it starts on (the first line is 1).

    A quoted cell may hold line breaks, so a record can span several lines; a blank line is an
    empty record. The csv module's own cap on a cell's length (131,072 characters, process-wide)
    is lifted while reading, so that the loader applies its own limit and names the cell; a lock
    keeps concurrent readers from undoing each other's setting.

    Returns
    -------
    (list of (int, list of str), (int, str) or None)
        The records, or none and where and why the csv module stopped.
    """
    with _CSV_LIMIT_LOCK:
        previous = csv.field_size_limit()
        csv.field_size_limit(max(previous, min(len(text) + 1, 2**31 - 1)))
        try:
            reader = csv.reader(io.StringIO(text, newline=""))
            records = list(reader)
            if reader.line_num == len(records):  # one line each: the usual case, read fast
                return list(zip(range(1, len(records) + 1), records)), None
            return _records_with_lines(text), None
        except csv.Error as err:
            return [], (reader.line_num, str(err))
        finally:
            csv.field_size_limit(previous)


def _records_with_lines(text: str) -> list[tuple[int, list[str]]]:
    """:func:`read_records` for a text whose records may span lines (the caller holds the lock)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records, start = [], 1
    for record in reader:
        records.append((start, record))
        start = reader.line_num + 1
    return records


def first_cell_column(text: str, pattern: str) -> str | None:
    """The header name of the column of the first cell (below the header) matching ``pattern``."""
    records = read_records(text)[0]
    for _, record in records:
        bad = [i for i, cell in enumerate(record) if re.search(pattern, cell)]
        if bad:
            header = records[0][1]
            inside = record is not header and bad[0] < len(header)
            return short_name(header[bad[0]].strip()) if inside else None
    return None


def encoding_problem(name: str, raw: bytes, err: UnicodeDecodeError, skipped: int) -> Problem:
    """The problem for bytes that are not UTF-8: line, byte offset, the bytes, how to re-save.

    ``raw`` is the file's bytes after a byte-order mark of ``skipped`` bytes. The column is found
    by reading the file with each undecodable byte kept as a lone surrogate (which no UTF-8 text
    holds) and finding the first cell that holds one.
    """
    line = count_line_breaks(raw[: err.start].decode("utf-8")) + 1
    column = first_cell_column(raw.decode("utf-8", errors="surrogateescape"), "[\udc80-\udcff]")
    shown = raw[err.start : min(err.end, err.start + 8)].hex(" ")
    utf16 = raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    likely = 'UTF-16 ("Unicode Text")' if utf16 else "Windows-1252 (ANSI)"
    return Problem(
        name,
        f"is not valid UTF-8: byte offset {err.start + skipped:,} "
        f"({_line_words(line)}) holds {shown} (hex), which is not UTF-8 text; the "
        f"file was probably saved as {likely}. {RESAVE_UTF8}",
        row=line,
        column=column,
        kind="not_utf8",
        summary=f"is not valid UTF-8 (probably saved as {likely})",
        fix=RESAVE_UTF8,
    )


def nul_problem(name: str, text: str, skipped: int) -> Problem | None:
    """The problem for a NUL character (byte 00), which no CSV text holds: the file is UTF-16
    ("Unicode text") or not text at all. None when there is none."""
    at = text.find("\x00")
    if at < 0:
        return None
    line = count_line_breaks(text[:at]) + 1
    offset = len(text[:at].encode("utf-8")) + skipped
    return Problem(
        name,
        f"holds a NUL character (byte 00) at byte offset {offset:,} "
        f"({_line_words(line)}), which no CSV text holds; the file was probably "
        f'saved as UTF-16 ("Unicode Text") or is not text. {RESAVE_UTF8}',
        row=line,
        column=first_cell_column(text, "\x00"),
        kind="nul_character",
        summary="holds a NUL character (probably saved as UTF-16)",
        fix=RESAVE_UTF8,
    )


def _line_words(line: int) -> str:
    return "line 1, the header" if line == 1 else f"line {line}"


def decode_utf8(name: str, raw: bytes) -> tuple[str | None, list[Problem]]:
    """The text of UTF-8 bytes (a leading byte-order mark dropped), or the encoding problem."""
    skipped = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    body = raw[skipped:]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        return None, [encoding_problem(name, body, err, skipped)]
    problem = nul_problem(name, text, skipped)
    return (text, []) if problem is None else (None, [problem])


def read_csv_text(path: Path) -> tuple[str | None, list[Problem]]:
    """The text of a CSV file, which must be UTF-8 (with or without a byte-order mark).

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    (str or None, list of Problem)
        The text, or None with the problem: unreadable, empty, or not UTF-8 (no other encoding
        is guessed: a guess turns ``Rütland`` into ``RÃ¼tland`` without a word).
    """
    try:
        raw = path.read_bytes()
    except OSError as err:
        return None, [
            unreachable_problem(
                path.name, err, "file", "cannot be read ({reason}); check the path and permissions"
            )
        ]
    text, problems = decode_utf8(path.name, raw)
    if text is not None and not text.strip():
        return None, [
            Problem(
                path.name,
                "is empty; give it a header row and data rows",
                kind="empty_file",
                summary="is empty",
                fix="give it a header row and data rows",
            )
        ]
    return text, problems


def sniff_delimiter_problem(name: str, header: list[str]) -> Problem | None:
    """A problem when the header looks semicolon- or tab-separated rather than comma-separated."""
    if len(header) != 1:
        return None
    for delimiter, label in ((";", "semicolons"), ("\t", "tabs")):
        if delimiter in header[0]:
            return Problem(
                name,
                f"the header is separated by {label}, not commas; save the file "
                "as CSV (comma delimited)",
                row=1,
                kind="delimiter",
                summary=f"is separated by {label}, not commas",
                fix="save the file as CSV (comma delimited)",
            )
    return None


def split_records(name: str, text: str) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """Every record but blank lines (line 1 is kept, blank or not) with the line it starts on,
    or the problem if the csv module could not read the text."""
    records, stopped = read_records(text)
    if stopped is not None:
        line, reason = stopped
        return [], [
            Problem(
                name,
                f"cannot be read as CSV ({reason}); check the quotes on this "
                "line and the lines before it",
                row=line,
                kind="csv_syntax",
                summary="cannot be read as CSV",
                fix="check the quotes on this line and the lines before it",
            )
        ]
    return [(start, record) for start, record in records if record or start == 1], []


def shape_problems(
    name: str, records: list[tuple[int, list[str]]], limits: LoadLimits, text_chars: int
) -> list[Problem]:
    """A problem for each record whose field count differs from the header's, and each cell over
    the length limit (a missing closing quote makes one cell of the rest of the file); no cell
    is measured when the whole text of ``text_chars`` characters is within the limit."""
    width = len(records[0][1])
    fix = "complete the row, or quote the cells that hold commas"
    problems = [
        Problem(
            name,
            f"has {len(record)} fields but the header has {width} (a "
            f"truncated row or an unquoted comma?); {fix}",
            row=start,
            kind="field_count",
            value=f"{len(record)} fields",
            summary=f"has a different number of fields from the header ({width})",
            fix=fix,
        )
        for start, record in records[1:]
        if len(record) != width
    ]
    if text_chars <= limits.max_cell_chars:
        return problems
    return problems + [
        oversized_cell(name, start, records[0][1], i, len(cell), limits)
        for start, record in records
        for i, cell in enumerate(record)
        if len(cell) > limits.max_cell_chars
    ]


def oversized_cell(
    name: str, line: int, header: list[str], index: int, length: int, limits: LoadLimits
) -> Problem:
    """The problem for a cell longer than ``limits.max_cell_chars``."""
    column = short_name(header[index].strip()) if line > 1 and index < len(header) else None
    return Problem(
        name,
        f"a cell of {length:,} characters is longer than the limit of "
        f"{limits.max_cell_chars:,}; is a closing quote missing? Shorten it, or "
        "raise the limit with load_dataset(path, "
        "limits=LoadLimits(max_cell_chars=...))",
        row=line,
        column=column,
        kind="cell_too_long",
        summary=f"holds a cell longer than the limit of {limits.max_cell_chars:,} characters",
        fix="is a closing quote missing? Shorten it, or raise the limit with "
        "load_dataset(path, limits=LoadLimits(max_cell_chars=...))",
    )


def read_table(
    path: Path, spec: TableSpec, limits: LoadLimits = DEFAULT_LIMITS
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read one CSV file as strings, checking its shape: encoding, delimiter, header, ragged rows,
    cell lengths. The frame's index is the physical line each row starts on."""
    text, problems = read_csv_text(path)
    if text is None:
        return None, problems
    records, problems = split_records(path.name, text)
    if problems:
        return None, problems
    if not records or not records[0][1]:
        return None, [
            Problem(
                path.name,
                "line 1 is blank; delete the blank line, so that the header is line 1",
                row=1,
                kind="blank_header",
                summary="line 1 is blank",
                fix="delete the blank line, so that the header is line 1",
            )
        ]
    delimiter_problem = sniff_delimiter_problem(path.name, records[0][1])
    if delimiter_problem:
        return None, [delimiter_problem]
    problems = shape_problems(path.name, records, limits, len(text))
    if problems:
        return None, problems
    frame = pd.DataFrame(
        [record for _, record in records[1:]],
        columns=[c.strip() for c in records[0][1]],
        dtype=object,
    )
    frame.index = pd.Index([start for start, _ in records[1:]], dtype="int64")
    return frame, []


# --------------------------------------------------------------------------- checking
def check_columns(frame: pd.DataFrame, spec: TableSpec) -> list[Problem]:
    """Missing required columns (with a did-you-mean for renamed ones) and duplicated headers."""
    problems = []
    present = list(frame.columns)
    counts = Counter(present)
    for name in [c for c in dict.fromkeys(present) if counts[c] > 1][:1]:
        problems.append(
            Problem(
                spec.filename,
                "the header repeats this column",
                column=short_name(name),
                kind="repeated_column",
                summary="the header repeats this column",
                fix="rename or remove one of the two columns",
            )
        )
    extra = [c for c in present if c not in spec.columns and len(c) <= 2 * QUOTE_CHARS]
    missing = [
        name for name, column in spec.columns.items() if column.required and name not in present
    ]
    renames = {
        name: close[0]
        for name in missing
        if (close := difflib.get_close_matches(name, extra, n=1, cutoff=0.6))
    }
    if len(missing) == 1:
        problems.append(missing_column_problem(spec, missing[0], renames.get(missing[0])))
    elif missing:
        problems.append(missing_columns_problem(spec, missing, renames))
    return problems


def missing_column_problem(spec: TableSpec, name: str, rename: str | None) -> Problem:
    """The problem for one required column missing, with a did-you-mean for a renamed one."""
    expected = f"(expected columns: {list(spec.columns)})"
    fix = f"rename {rename!r} to {name!r}" if rename else f"add the column {expected}"
    message = (
        f"required column is missing; did you mean to {fix}? {expected}"
        if rename
        else f"required column is missing; {fix}"
    )
    return Problem(
        spec.filename,
        message,
        column=name,
        kind="missing_column",
        summary="required column is missing",
        fix=fix,
    )


def missing_columns_problem(spec: TableSpec, names: list[str], renames: dict[str, str]) -> Problem:
    """One problem for several required columns missing (a different table's file, or a header
    that is not the first line?), naming them all."""
    listed = ", ".join(repr(n) for n in names)
    fix = "; ".join(
        [f"rename {old!r} to {new!r}" for new, old in renames.items()]
        + [f"add the columns (expected columns: {list(spec.columns)})"]
    )
    summary = f"required columns are missing: {listed}"
    return Problem(
        spec.filename, f"{summary}; {fix}", kind="missing_columns", summary=summary, fix=fix
    )


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


def parse_numbers(
    name: str, column: str, number_text: pd.Series, *, symbols: bool = True
) -> tuple[pd.Series, list[Problem]]:
    """Finite numbers from text (thousands separators allowed); a problem for each cell that is
    not one. ``inf``, ``nan``, ``1e309`` and the like are refused: no table means them, and
    they break the arithmetic of every report."""
    text = number_text.str.strip()
    grouped = text.str.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?").fillna(False).astype(bool)
    cleaned = text.where(~grouped, text.str.replace(",", "", regex=False))
    values = pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce").astype(float)
    unread = cleaned.ne("") & ~np.isfinite(values)
    spelled = pd.Series(
        [names_non_finite(text) for text in cleaned[unread]],
        index=cleaned.index[unread],
        dtype=bool,
    )
    non_finite = unread & (values.notna() | spelled.reindex(cleaned.index, fill_value=False))
    advice = (
        "write the value, or a symbol such as [x] for not available"
        if symbols
        else "write the value (this column takes numbers only, no symbols)"
    )
    problems = [
        cell_problem(
            name, int(i), column, "not_finite", number_text[i], "is not a finite number", advice
        )
        for i in non_finite[non_finite].index
    ]
    problems += [
        cell_problem(
            name,
            int(i),
            column,
            "not_a_number",
            number_text[i],
            "is not a number",
            number_fix(number_text[i], symbols=symbols),
        )
        for i in unread[unread & ~non_finite].index
    ]
    return values.where(~unread), sorted(problems, key=_row_order)


def _row_order(problem: Problem) -> int:
    """Sort key putting a file's problems in row order (problems without a row first)."""
    return -1 if problem.row is None else problem.row


def number_fix(text: str, *, symbols: bool) -> str:
    """How to write a cell that is not a number: the decimal point for a decimal comma, else
    the forms a number may take."""
    if re.fullmatch(r"[-+]?\d+,\d{1,2}", text.strip()):
        return f"write {text.strip().replace(',', '.')!r} (a decimal point, not a comma)"
    return "use digits, a decimal point, commas only between groups of three digits" + (
        ", or a statistical symbol such as [x]" if symbols else ""
    )


def names_non_finite(text: str) -> bool:
    """True when Python reads ``text`` as infinity or not-a-number (``inf``, ``-Infinity``,
    ``nan``, ``1e309``)."""
    try:
        return not math.isfinite(float(text))
    except (ValueError, OverflowError):
        return False


def check_numeric(
    frame: pd.DataFrame,
    spec: TableSpec,
    column: str,
    rule: Column,
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
    values, problems = parse_numbers(name, column, number_text, symbols=rule.symbols)
    if not rule.symbols:
        problems = [
            p
            if cells[p.row] not in SYMBOLS
            else cell_problem(
                name,
                p.row,
                column,
                "symbol_not_allowed",
                cells[p.row],
                "is a statistical symbol, but this column must hold a number",
                "write the number, or leave the row out",
            )
            for p in problems
        ]
    missing = values.isna() & (number_text.str.strip() == "")
    if rule.required and not rule.allow_blank and not rule.symbols:
        problems += [
            row_problem(
                name, int(i), column, "blank", "is blank; a number is required", "write the number"
            )
            for i in missing[missing].index
        ]
    problems += check_range(name, column, values, rule)
    if rule.kind == "int":
        fractional = values.notna() & (values != values.round())
        problems += [
            row_problem(
                name,
                int(i),
                column,
                "not_whole",
                "must be a whole number",
                "write a whole number",
                detail=f"{quote_cell(cells[i])} must be a whole number",
            )
            for i in fractional[fractional].index
        ]
    frame[column] = values
    return frame, problems


def check_range(name: str, column: str, values: pd.Series, rule: Column) -> list[Problem]:
    """A problem for each value below the column's minimum (or at it, when exclusive) or above
    its maximum."""
    if rule.minimum is None and rule.maximum is None:
        return []
    low = pd.Series(False, index=values.index)
    if rule.minimum is not None:
        low = values <= rule.minimum if rule.exclusive_minimum else values < rule.minimum
    high = values > rule.maximum if rule.maximum is not None else False
    summary = f"is out of range: must be {range_words(rule)}"
    out = low | high
    return [
        row_problem(
            name,
            int(i),
            column,
            "out_of_range",
            summary,
            "correct the value",
            detail=f"{float(values[i]):g} {summary}",
        )
        for i in out[out].index
    ]


def range_words(rule: Column) -> str:
    """A column's range in words: ``at least 0``, ``greater than 0``, ``from 1 to 5``."""
    if rule.minimum is not None and rule.maximum is not None and not rule.exclusive_minimum:
        return f"from {rule.minimum:g} to {rule.maximum:g}"
    words = []
    if rule.minimum is not None:
        relation = "greater than" if rule.exclusive_minimum else "at least"
        words.append(f"{relation} {rule.minimum:g}")
    if rule.maximum is not None:
        words.append(f"at most {rule.maximum:g}")
    return " and ".join(words)


def check_text(
    frame: pd.DataFrame,
    spec: TableSpec,
    column: str,
    rule: Column,
    limits: LoadLimits = DEFAULT_LIMITS,
) -> list[Problem]:
    """Blank required cells, values outside the allowed set, malformed periods."""
    name = spec.filename
    cells = frame[column].fillna("").astype(str).str.strip()
    frame[column] = cells
    problems = []
    if not rule.allow_blank:
        blank = cells == ""
        problems += [
            row_problem(
                name, int(i), column, "blank", "is blank; a value is required", "fill it in"
            )
            for i in blank[blank].index
        ]
    if rule.allowed is not None:
        bad = (cells != "") & ~cells.isin(rule.allowed)
        problems += [
            cell_problem(
                name,
                int(i),
                column,
                "not_allowed",
                cells[i],
                "is not allowed",
                allowed_fix(cells[i], rule.allowed),
            )
            for i in bad[bad].index
        ]
    if rule.kind in ("period", "year"):
        problems += check_periods(
            name, column, cells, financial_year_only=rule.kind == "year", limits=limits
        )
    return problems


def allowed_fix(text: str, allowed: tuple[str, ...]) -> str:
    """``use one of [...]``, led by the allowed value that differs only in case, if any."""
    same = [a for a in allowed if a.lower() == text.lower()]
    lead = f"write {same[0]!r}: " if same else ""
    return f"{lead}use one of {list(allowed)}"


def check_periods(
    name: str,
    column: str,
    cells: pd.Series,
    *,
    financial_year_only: bool,
    limits: LoadLimits = DEFAULT_LIMITS,
) -> list[Problem]:
    """A problem for each malformed or implausible period label (checked once per label)."""
    problems = []
    for label in cells[cells != ""].unique():
        found = period_problem(label, financial_year_only=financial_year_only, limits=limits)
        if found is not None:
            rows = cells.index[cells == label]
            problems += [cell_problem(name, int(i), column, "period", label, *found) for i in rows]
    return problems


def period_problem(
    label: str, *, financial_year_only: bool, limits: LoadLimits
) -> tuple[str, str] | None:
    """What is wrong with a period label in a data file, and the fix; or None.

    The label must be one of the three forms (:func:`perfeval.core.periods.parse_period_form`), a
    financial year where only years are allowed, and fall in the years ``limits`` allow (which lie
    within the years :func:`perfeval.core.periods.parse_period` accepts, so every label loaded
    parses).

    Returns
    -------
    (str, str) or None
        What is wrong (said of the label) and how to fix it; ``write '2016/17'`` when the label
        is a common other way of writing a period (:func:`suggest_period`).
    """
    suggestion = suggest_period(label)
    try:
        period = parse_period_form(label)
    except PeriodError:
        hint = (
            "use a financial year '2023/24', a quarter '2023/24 Q1' or a month '2023-04'"
            if not financial_year_only
            else "use a financial year such as '2023/24'"
        )
        fix = f"write {suggestion!r}" if suggestion else hint
        return "is not a period perfeval understands", fix
    if financial_year_only and period.kind != "year":
        return (
            "must be a financial year",
            "write the financial year, such as '2023/24' (a table of years has no quarters "
            "or months)",
        )
    if not limits.first_year <= period.fy <= limits.last_year:
        first, last = Period("year", limits.first_year), Period("year", limits.last_year)
        return (
            f"falls in financial year {period.financial_year.label}, outside the years a "
            f"data file may hold ({first.label} to {last.label})",
            "correct the year, or widen the range with load_dataset(path, "
            "limits=LoadLimits(first_year=..., last_year=...))",
        )
    return None


_OTHER_PERIOD_FORMS = (
    # 2016-17, 2016/2017, 2016-2017, 2016_17, FY2016/17: a year as published tables write it
    re.compile(r"^(?:FY\s*)?(?P<y>\d{4})\s*[-/_]\s*(?P<yy>\d{2}|\d{4})$", re.I),
    # 2016-17 Q1, 2016/2017 Q1, 2016/17 q1, 2016/17-Q1
    re.compile(r"^(?P<y>\d{4})\s*[-/]\s*(?P<yy>\d{2}|\d{4})\s*[-_ ]?\s*Q(?P<q>[1-4])$", re.I),
    # Q1 2016/17, Q1 2016-17
    re.compile(r"^Q(?P<q>[1-4])\s+(?P<y>\d{4})\s*[-/]\s*(?P<yy>\d{2}|\d{4})$", re.I),
)


def suggest_period(label: str) -> str | None:
    """perfeval's form of a period written another common way, or None.

    ``2016-17``, ``2016/2017`` and ``FY2016-17`` become ``2016/17``; ``2016-17 Q1`` and
    ``Q1 2016/17`` become ``2016/17 Q1``. Only consecutive years are rewritten. The caller decides
    whether the label means something already (``2011-12`` is also the month December 2011).

    Parameters
    ----------
    label : str

    Returns
    -------
    str or None
        None when the label has none of these forms, its years are not consecutive, or it is
        perfeval's form already.
    """
    text = str(label).strip()
    for pattern in _OTHER_PERIOD_FORMS:
        match = pattern.match(text)
        if not match:
            continue
        year, second, quarter = int(match["y"]), match["yy"], match.groupdict().get("q")
        following = year + 1 if len(second) == 4 else (year + 1) % 100
        if int(second) != following:
            return None
        suggestion = f"{year}/{(year + 1) % 100:02d}" + (f" Q{quarter}" if quarter else "")
        return suggestion if suggestion != text else None
    return None


def check_bool(frame: pd.DataFrame, spec: TableSpec, column: str) -> list[Problem]:
    """Parse true/false, yes/no, 1/0 (blank = false) in place."""
    original = frame[column].fillna("").astype(str).str.strip()
    cells = original.str.lower()
    bad = ~cells.isin(_TRUE | _FALSE)
    frame[column] = cells.isin(_TRUE)
    return [
        cell_problem(
            spec.filename,
            int(i),
            column,
            "not_boolean",
            original[i],
            "is not true or false",
            "write true or false (or yes/no, 1/0)",
        )
        for i in bad[bad].index
    ]


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def check_dates(
    frame: pd.DataFrame, spec: TableSpec, column: str, limits: LoadLimits = DEFAULT_LIMITS
) -> list[Problem]:
    """Parse an ISO date column (``2025-03-31``) in place to Timestamps (NaT where blank or not
    a date); a problem for each cell that is not a date of the years ``limits`` allow.

    Blank cells are :func:`check_text`'s business (run first). Only the ISO form is read: a
    ``03/04/2025`` means 3 April in the UK and 4 March elsewhere, so it is a problem whose fix
    writes the UK reading in ISO form.
    """
    cells = frame[column].fillna("").astype(str).str.strip()
    parsed = {label: parse_iso_date(label, limits) for label in cells[cells != ""].unique()}
    problems = []
    for label, (_, found) in parsed.items():
        if found is not None:
            rows = cells.index[cells == label]
            problems += [
                cell_problem(spec.filename, int(i), column, "not_a_date", label, *found)
                for i in rows
            ]
    days = cells.map(lambda label: parsed.get(label, (None, None))[0])
    frame[column] = pd.to_datetime(days, errors="coerce").astype("datetime64[ns]")
    return problems


def parse_iso_date(
    label: str, limits: LoadLimits = DEFAULT_LIMITS
) -> tuple[pd.Timestamp | None, tuple[str, str] | None]:
    """A date cell read: the day, or None with what is wrong and the fix.

    Parameters
    ----------
    label : str
        The cell, stripped (``2025-03-31``).
    limits : LoadLimits
        Its year must lie from ``limits.first_year`` to ``limits.last_year + 1`` (the years a
        period may fall in).

    Returns
    -------
    (Timestamp or None, (str, str) or None)
    """
    match = _ISO_DATE.fullmatch(label)
    if match is None:
        uk = _DAY_FIRST.fullmatch(label)
        fix = DATE_FIX
        if uk is not None:
            iso = f"{uk[3]}-{int(uk[2]):02d}-{int(uk[1]):02d}"
            fix = f"write {iso!r} if it means day {int(uk[1])} of month {int(uk[2])}; {DATE_FIX}"
        return None, ("is not a date perfeval understands", fix)
    year, month, day = (int(part) for part in match.groups())
    if not limits.first_year <= year <= limits.last_year + 1:
        return None, (
            f"is outside the years a data file may hold ({limits.first_year} to "
            f"{limits.last_year + 1})",
            "correct the year, or widen the range with load_dataset(path, "
            "limits=LoadLimits(first_year=..., last_year=...))",
        )
    try:
        return pd.Timestamp(year, month, day), None
    except ValueError:
        return None, ("is not a day of the calendar", f"correct the day or month; {DATE_FIX}")


def _plain(value: object) -> object:
    """A numpy scalar as the plain Python value (so messages read 2.0, not np.float64(2.0))."""
    return value.item() if hasattr(value, "item") else value


def check_key(frame: pd.DataFrame, spec: TableSpec) -> list[Problem]:
    """A problem for each row repeating the table's unique key, naming the first occurrence."""
    if not spec.key or any(k not in frame.columns for k in spec.key):
        return []
    key = list(spec.key)
    duplicated = frame.duplicated(key, keep="first")
    if not duplicated.any():
        return []
    lines = pd.Series(frame.index, index=frame.index)
    first = lines.groupby([frame[k] for k in key], dropna=False, sort=False).transform("min")
    problems = []
    for i in duplicated[duplicated].index:
        shown = {k: _short_value(frame.at[i, k]) for k in key}
        problems.append(
            row_problem(
                spec.filename,
                int(i),
                spec.key[-1],
                "duplicate_key",
                f"repeats the key ({', '.join(key)}) of an earlier line",
                "remove the repeated rows or correct their key",
                detail=f"duplicate {shown}: the same key is already on line {int(first[i])}",
            )
        )
    return problems


def _short_value(value: object) -> object:
    """A key value for a message: plain, and a long text cut to its first characters."""
    value = _plain(value)
    return (
        value
        if not isinstance(value, str) or len(value) <= QUOTE_CHARS
        else f"{value[:QUOTE_CHARS]}..."
    )


def validate_table(
    frame: pd.DataFrame, spec: TableSpec, limits: LoadLimits = DEFAULT_LIMITS
) -> tuple[pd.DataFrame, list[Problem]]:
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
            found = check_text(frame, spec, column, rule, limits)
            if rule.kind == "date":
                found += check_dates(frame, spec, column, limits)
        problems += found
    problems += check_key(frame, spec) + check_rows(frame, spec)
    if spec.columns.get("status", Column()).allowed == STATUSES and "status" in frame.columns:
        frame["status"] = frame["status"].fillna("").replace("", "final")
    return frame, problems


# --------------------------------------------------------------------------- rules within a row
def check_rows(frame: pd.DataFrame, spec: TableSpec) -> list[Problem]:
    """The rules between the columns of one row, for the tables that have them (actions: dates
    in order, a completed action's date)."""
    rules = _ROW_RULES.get(spec.name)
    return sorted(rules(frame, spec), key=_row_order) if rules else []


def dates_before(
    frame: pd.DataFrame, spec: TableSpec, column: str, earliest: str, what: str
) -> list[Problem]:
    """A problem for each row whose ``column`` date is before its ``earliest`` date (both read;
    rows where either is blank or not a date are not judged)."""
    if column not in frame.columns or earliest not in frame.columns:
        return []
    later, first = frame[column], frame[earliest]
    before = later.notna() & first.notna() & (later < first)
    fix = f"correct the dates: {what} must be on or after the {earliest} date"
    return [
        row_problem(
            spec.filename,
            int(i),
            column,
            "date_before_start",
            f"is before the {earliest} date",
            fix,
            detail=f"{later[i]:%Y-%m-%d} is before the {earliest} date {first[i]:%Y-%m-%d}",
        )
        for i in before[before].index
    ]


def check_action_rows(frame: pd.DataFrame, spec: TableSpec) -> list[Problem]:
    """An action's due, revised due and completion dates are not before its start, and an action
    whose status is ``complete`` has the date it was completed."""
    problems = (
        dates_before(frame, spec, "due", "start", "the due date")
        + dates_before(frame, spec, "revised_due", "start", "a revised due date")
        + dates_before(frame, spec, "completed", "start", "the completion date")
    )
    completed = frame["completed"] if "completed" in frame.columns else None
    raw = frame["status"] if "status" in frame.columns else pd.Series("", index=frame.index)
    undated = raw.eq("complete") & (completed.isna() if completed is not None else True)
    fix = "write the date it was completed (as 2025-03-31), or correct the status"
    return problems + [
        row_problem(
            spec.filename,
            int(i),
            "completed",
            "complete_without_date",
            "is blank, but the status is 'complete'",
            fix,
        )
        for i in undated[undated].index
    ]


_ROW_RULES = {"actions": check_action_rows}


def check_references(
    tables: dict[str, pd.DataFrame],
    broken: AbstractSet[str] = frozenset(),
    origins: dict[str, str] | None = None,
) -> list[Problem]:
    """A problem for each row whose code does not exist in the table it refers to.

    References into a ``broken`` table (missing, unreadable, or missing columns) are not
    checked: its problems are already reported and every code would look unknown. Nor are
    references from a table that came from perfeval's reference copy (``origins``, table name to
    ``"folder"`` or ``"reference"``): it covers every council, the folder's tables only its own.
    """
    origins = origins or {}
    problems = []
    for spec in SPECS:
        frame = tables.get(spec.name)
        if frame is None or frame.empty or origins.get(spec.name) == "reference":
            continue
        for column, other, other_column in spec.references:
            if other not in tables or other in broken or column not in frame.columns:
                continue
            known = set(tables[other][other_column])
            unknown = ~frame[column].isin(known) & (frame[column] != "")
            summary = f"is not a {other_column} in {other}.csv"
            for code in frame.loc[unknown, column].unique():
                fix = reference_fix(code, known, other, origins.get(other, "folder"))
                rows = frame.index[unknown & (frame[column] == code)]
                problems += [
                    cell_problem(spec.filename, int(i), column, "unknown_code", code, summary, fix)
                    for i in rows
                ]
        problems += check_list_references(spec, frame, tables, broken, origins)
    return problems


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def split_codes(cell: object) -> list[str]:
    """The codes of a list cell (``"NI192; PL01"``), spaces around each dropped, blanks left out."""
    return [part.strip() for part in str(cell).split(LIST_SEPARATOR) if part.strip()]


def check_list_references(
    spec: TableSpec,
    frame: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    broken: AbstractSet[str],
    origins: dict[str, str],
) -> list[Problem]:
    """A problem for each code of a ``;``-separated cell (``linked_pis``) that is not in the table
    it refers to, naming the unknown code; a code that must be the same authority's (a linked
    risk or action) is looked up among that authority's rows. Not checked when the other table
    is broken or absent (a folder may have actions and no risk register)."""
    problems: list[Problem] = []
    if spec.name in broken:  # its cells were not read: the problems say why
        return problems
    for column, other, other_column, same_authority in spec.list_references:
        target = tables.get(other)
        if column not in frame.columns or target is None or other in broken:
            continue
        if origins.get(other) == "absent" or other_column not in target.columns:
            continue
        by = "authority" if same_authority and "authority" in frame.columns else None
        known = set(zip(target[by], target[other_column])) if by else set(target[other_column])
        for i, cell in frame[column].items():
            for code in split_codes(cell):
                owner = frame.at[i, "authority"] if by else None
                if ((owner, code) if by else code) in known:
                    continue
                summary = (
                    f"is not {_article(other_column)} {other_column} of {owner} in {other}.csv"
                    if by
                    else f"is not a {other_column} in {other}.csv"
                )
                fix = reference_fix(code, set(target[other_column]), other, "folder")
                problems.append(
                    cell_problem(spec.filename, int(i), column, "unknown_code", code, summary, fix)
                )
    return problems


def reference_fix(code: str, known: set[str], other: str, origin: str) -> str:
    """How to fix a code absent from ``other``: the known code it differs from only in case,
    spaces or punctuation (``NI 192`` for ``NI192``), then where to add it (perfeval's
    reference copy is not edited: the folder needs its own table)."""
    same = {_code_form(k): k for k in known}.get(_code_form(code))
    lead = f"did you mean {same!r}? " if same is not None else ""
    if origin == "reference":
        return (
            f"{lead}correct it, or add {other}.csv to the data folder with it (the folder "
            f"has none, so perfeval's national reference copy was used)"
        )
    return f"{lead}add it to {other}.csv or correct it"


def _code_form(code: object) -> str:
    """A code without case, spaces or punctuation, to find the code a user meant."""
    return re.sub(r"[\W_]+", "", str(code)).upper()


def check_survey(
    tables: dict[str, pd.DataFrame],
    broken: AbstractSet[str] = frozenset(),
    faulty: AbstractSet[str] = frozenset(),
) -> list[Problem]:
    """Survey answers must be codes of the authority's codebook for that survey; every codebook
    question must be a column of survey_responses.csv.

    Not checked when either table is ``broken`` or the codebook is ``faulty`` (has problems of
    its own, so that its codes are in doubt): those problems are already reported, and every
    answer would look wrong.
    """
    responses, codebook = tables.get("survey_responses"), tables.get("survey_codebook")
    if responses is None or codebook is None or responses.empty or codebook.empty:
        return []
    if {"survey_responses", "survey_codebook"} & set(broken) or "survey_codebook" in faulty:
        return []
    problems = []
    for question, book in codebook.groupby("question", sort=False):
        column = short_name(question)
        if question not in responses.columns:
            problems.append(
                Problem(
                    "survey_responses.csv",
                    "question in survey_codebook.csv has "
                    "no column of answers; add the column "
                    "of answers, or remove the question "
                    "from survey_codebook.csv",
                    column=column,
                    kind="question_without_column",
                    summary="question in survey_codebook.csv has no column of answers",
                    fix="add the column of answers, or remove the question from "
                    "survey_codebook.csv",
                )
            )
            continue
        answers = pd.to_numeric(responses[question].replace("", np.nan), errors="coerce")
        text = responses[question].fillna("").astype(str).str.strip()
        for (authority, survey), codes in book.groupby(["authority", "survey"])["code"]:
            mine = (responses["authority"] == authority) & (responses["survey"] == survey)
            known = sorted(set(codes.dropna()))
            bad = mine & (text != "") & (answers.isna() | ~answers.isin(known))
            listed = ", ".join(f"{c:g}" for c in known[:20]) + (", ..." if len(known) > 20 else "")
            summary = (
                f"is not a response code of {column} in survey_codebook.csv (codes: [{listed}])"
            )
            problems += [
                cell_problem(
                    "survey_responses.csv",
                    int(i),
                    column,
                    "unknown_answer",
                    text[i],
                    summary,
                    "use one of the codes, or add the code to survey_codebook.csv",
                )
                for i in bad[bad].index
            ]
        responses[question] = answers.astype("Float64").astype(float)
    return problems


# --------------------------------------------------------------------------- across tables
def check_across_tables(
    tables: dict[str, pd.DataFrame],
    broken: AbstractSet[str] = frozenset(),
    faulty: AbstractSet[str] = frozenset(),
    origins: dict[str, str] | None = None,
) -> list[Problem]:
    """What a first day with perfeval trips on between tables, each with its fix.

    Councils of a comparator group, or with targets, commentary, budget or survey rows of
    their own, without a population (spend per head needs it); surveys answered with no
    codebook; programme tables naming a programme without strands; an annual indicator's
    values, targets or commentary on a "month" that is really a year written ``2011-12``.
    Tables with problems of their own (``broken`` or ``faulty``) are not checked against others.
    """
    skip = set(broken) | set(faulty)
    return (
        population_coverage(tables, skip, (origins or {}).get("population", "folder"))
        + surveys_without_codebook(tables, skip)
        + programmes_without_strands(tables, skip)
        + years_written_as_months(tables, skip)
    )


#: Tables whose councils a report is about (or compares with): each needs a population.
POPULATION_USERS = ("comparator_groups", "targets", "commentary", "budget", "survey_responses")


def population_coverage(
    tables: dict[str, pd.DataFrame], skip: set[str], origin: str
) -> list[Problem]:
    """A problem at the first row of each council, in each table of :data:`POPULATION_USERS`,
    that has no row in population.csv (unknown codes are reported as such, not here)."""
    if {"population", "authorities"} & skip:
        return []
    with_population = set(tables["population"]["authority"])
    known = set(tables["authorities"]["code"])
    fix = (
        "correct the code, or add a population.csv to the data folder with it (the folder "
        "has none, and perfeval's ONS mid-2020 estimates have no row for it)"
        if origin == "reference"
        else "add its population to population.csv, or remove population.csv "
        "to use perfeval's ONS mid-2020 estimates"
    )
    problems = []
    for name in POPULATION_USERS:
        frame = tables.get(name)
        if name in skip or frame is None or frame.empty or "authority" not in frame.columns:
            continue
        lacking = frame[frame["authority"].isin(known - with_population)]
        first = lacking.groupby("authority", sort=False).head(1)
        problems += [
            cell_problem(
                f"{name}.csv",
                int(i),
                "authority",
                "no_population",
                code,
                "has no row in population.csv",
                fix,
            )
            for i, code in first["authority"].items()
        ]
    return problems


def surveys_without_codebook(tables: dict[str, pd.DataFrame], skip: set[str]) -> list[Problem]:
    """A problem at the first response of each council's survey that has no questions in
    survey_codebook.csv (its answers cannot be read)."""
    responses, codebook = tables.get("survey_responses"), tables.get("survey_codebook")
    if {"survey_responses", "survey_codebook"} & skip or responses is None or responses.empty:
        return []
    books = set(zip(codebook["authority"], codebook["survey"])) if codebook is not None else set()
    pairs = pd.Series(list(zip(responses["authority"], responses["survey"])), index=responses.index)
    lacking = responses[~pairs.isin(books)].groupby(["authority", "survey"], sort=False).head(1)
    return [
        cell_problem(
            "survey_responses.csv",
            int(i),
            "survey",
            "survey_without_codebook",
            row["survey"],
            f"(of {row['authority']}) has no questions in survey_codebook.csv",
            "add its questions and codes to survey_codebook.csv, with the same "
            "authority and survey",
        )
        for i, row in lacking.iterrows()
    ]


def programmes_without_strands(tables: dict[str, pd.DataFrame], skip: set[str]) -> list[Problem]:
    """A problem at the first row of each programme, in the programme's members and participant
    survey, that has no strands in programme_strands.csv."""
    strands = tables.get("programme_strands")
    if "programme_strands" in skip or strands is None or strands.empty:
        return []
    known = set(strands["programme"])
    problems = []
    for name in ("programme_members", "programme_participant_survey"):
        frame = tables.get(name)
        if name in skip or frame is None or frame.empty:
            continue
        first = frame[~frame["programme"].isin(known)].groupby("programme", sort=False).head(1)
        problems += [
            cell_problem(
                f"{name}.csv",
                int(i),
                "programme",
                "unknown_programme",
                code,
                "is not a programme in programme_strands.csv",
                reference_fix(code, known, "programme_strands", "folder"),
            )
            for i, code in first["programme"].items()
        ]
    return problems


def years_written_as_months(tables: dict[str, pd.DataFrame], skip: set[str]) -> list[Problem]:
    """A problem for each row of an annual indicator whose period is a month that is really a
    financial year written with a dash (``2011-12`` reads as December 2011)."""
    register = tables.get("indicators")
    if "indicators" in skip or register is None or register.empty:
        return []
    annual = set(register.loc[register["frequency"] == "annual", "code"])
    problems = []
    for name in ("indicator_values", "targets", "commentary"):
        frame = tables.get(name)
        if name in skip or frame is None or frame.empty:
            continue
        for label in frame.loc[frame["indicator"].isin(annual), "period"].unique():
            suggestion = suggest_period(label)
            if suggestion is None or parse_period_form(label).kind != "month":
                continue
            rows = frame.index[(frame["period"] == label) & frame["indicator"].isin(annual)]
            month = parse_period_form(label).start.strftime("%B %Y")
            problems += [
                cell_problem(
                    f"{name}.csv",
                    int(i),
                    "period",
                    "year_as_month",
                    label,
                    f"reads as the month {month}, but the indicator is annual",
                    f"write {suggestion!r} for the financial year",
                )
                for i in rows
            ]
    return problems


_EMPTY_DTYPES = {"float": float, "int": float, "date": "datetime64[ns]"}


def empty_table(spec: TableSpec) -> pd.DataFrame:
    """An empty frame with the spec's columns, for an optional table that is absent."""
    return pd.DataFrame(
        {
            name: pd.Series(dtype=_EMPTY_DTYPES.get(c.kind, object))
            for name, c in spec.columns.items()
        }
    )


def load_dataset(path: str | Path | None = None, *, limits: LoadLimits | None = None) -> Dataset:
    """Read and validate every table of a data directory.

    Data files are untrusted: anything that cannot be read, or that the reports cannot represent
    (text that is not UTF-8, numbers that are not finite, periods outside the plausible years,
    cells or files over the size limits), is a problem, never a crash or a silent guess. Tables
    are then checked against each other (codes that exist, councils with a population, surveys
    with a codebook: :func:`check_across_tables`).

    Only ``comparator_groups``, ``indicators`` and ``indicator_values`` must be in the folder.
    When it has no ``authorities``, ``population`` or ``deflators`` table, perfeval's national
    reference copy (:data:`REFERENCE_DATA_DIR`) is read instead; ``Dataset.origins`` says which
    tables came from where. Which reports and sections a folder can feed is
    :mod:`perfeval.data.requirements`' business.

    Parameters
    ----------
    path : str, Path or None
        The data directory; ``None`` or ``""`` means the bundled sample data.
    limits : LoadLimits, optional
        The range of years and the size limits; :data:`DEFAULT_LIMITS` when None.

    Returns
    -------
    Dataset
        The validated tables; numeric columns are floats, symbol cells are NaN with the symbol in
        ``<column>_symbol``; each frame's index is the physical line of the file on which the
        row starts (the header is line 1; a quoted cell holding line breaks spans several lines).

    Raises
    ------
    DataValidationError
        Listing every problem found, each with file, line and column; its message groups the
        problems of one kind (one line for a mistake repeated on many rows).
    """
    cached = read_cached_dataset(path, limits)
    if cached is not None:
        return cached
    data, problems = read_dataset(path, limits=limits)
    if problems:
        raise DataValidationError(problems)
    return data


# --------------------------------------------------------------------------- one load per run
#: The environment variable naming the dataset this run loaded already
#: (:func:`write_dataset_cache`).
DATASET_CACHE_ENV = "PERFEVAL_DATASET_CACHE"


def dataset_stamp(root: Path) -> tuple:
    """What a dataset was read from: the folder's path, then name, modification time and size of
    each table file of the folder and of perfeval's reference copy (:data:`REFERENCE_DATA_DIR`,
    read for the tables the folder lacks); a file that cannot be stat'ed is stamped with its
    error number. Two equal stamps mean the same files, unchanged."""
    stamp: list[tuple] = [("folder", str(root))]
    for folder in (root, REFERENCE_DATA_DIR):
        for file in sorted(folder.glob("*.csv")) if folder.is_dir() else ():
            try:
                info = file.stat()
            except OSError as err:
                stamp.append((str(file), "unreadable", err.errno))
                continue
            stamp.append((str(file), info.st_mtime_ns, info.st_size))
    return tuple(stamp)


def write_dataset_cache(data: Dataset, file: Path, limits: LoadLimits | None = None) -> None:
    """Save a dataset loaded without problems to ``file`` (new, readable by its owner only), with
    the stamp of the files it was read from and the limits it was checked with, so that
    :func:`load_dataset` in the same run's kernel need not read the CSV files again.

    ``file`` must lie in a folder that only this run can write (the runner makes a 0700 folder
    inside the run's temporary folder): the cache is a pickle, and unpickling runs code, so it is
    safe only because this run writes the file and this run's kernel reads it.
    """
    import pickle

    limits = DEFAULT_LIMITS if limits is None else limits
    payload = pickle.dumps((dataset_stamp(data.root), limits, data), pickle.HIGHEST_PROTOCOL)
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(payload)


def _private_to_me(file: Path) -> bool:
    """Whether ``file`` and its folder belong to this user and nobody else may read or write them
    (as :func:`write_dataset_cache` and the runner make them); always true where there are no
    POSIX owners (Windows)."""
    if not hasattr(os, "getuid"):
        return True
    for info in (file.stat(), file.parent.stat()):
        if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
            return False
    return True


def read_cached_dataset(path: str | Path | None, limits: LoadLimits | None) -> Dataset | None:
    """The dataset this run saved (:func:`write_dataset_cache`, named by
    :data:`DATASET_CACHE_ENV`) when it was read from exactly the files ``path`` holds now and
    checked with the same limits; None otherwise (no cache, another folder, a file changed,
    added or removed, the cache unreadable, or it or its folder open to other users), and the
    caller loads the folder itself.
    """
    import pickle

    file = os.environ.get(DATASET_CACHE_ENV)
    if not file or not isinstance(limits, (LoadLimits, type(None))):
        return None
    try:
        root = resolve_data_dir(path)
        if not _private_to_me(Path(file)):
            return None
        with open(file, "rb") as handle:
            # trusted: written by this run into its own 0700 folder (see write_dataset_cache)
            stamp, cached_limits, data = pickle.load(handle)  # noqa: S301
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
        return None
    same_limits = cached_limits == (DEFAULT_LIMITS if limits is None else limits)
    if not same_limits or not isinstance(data, Dataset) or stamp != dataset_stamp(root):
        return None
    return data


def read_dataset(
    path: str | Path | None = None, *, limits: LoadLimits | None = None
) -> tuple[Dataset, list[Problem]]:
    """Every table of a data directory, read and checked, with the problems found.

    :func:`load_dataset` without raising the problems, for ``perfeval check-data``, which says
    what a folder with problems can feed once they are fixed. A table that could not be read
    (or lacks a required column) is an empty frame here; tables with other problems hold their
    rows, as read.

    Parameters
    ----------
    path : str, Path or None
        As for :func:`load_dataset`.
    limits : LoadLimits, optional
        As for :func:`load_dataset`.

    Returns
    -------
    (Dataset, list of Problem)

    Raises
    ------
    DataValidationError
        Only when the folder itself cannot be read (no table can be).
    ParameterError
        When ``limits`` is not a LoadLimits.
    """
    limits = DEFAULT_LIMITS if limits is None else limits
    if not isinstance(limits, LoadLimits):
        raise ParameterError(
            [
                f"limits must be a perfeval.data.loader.LoadLimits or None; got "
                f"{type(limits).__name__} {limits!r:.60}"
            ]
        )
    root = resolve_data_dir(path)
    problem = check_data_dir(root)
    if problem is not None:
        raise DataValidationError([problem])
    tables, problems, files, origins, broken, faulty = {}, [], [], {}, set(), set()
    for spec in SPECS:
        frame, found, read = load_table(root, spec, limits)
        if read is None and not found and spec.reference:  # perfeval's own: default limits
            frame, found, read = load_table(REFERENCE_DATA_DIR, spec, DEFAULT_LIMITS)
        problems += found
        files += [read] if read is not None else []
        origins[spec.name] = table_origin(read, root)
        if frame is None or check_columns(frame, spec):
            broken.add(spec.name)
        if found:
            faulty.add(spec.name)
        tables[spec.name] = empty_table(spec) if frame is None else frame
    problems += (
        check_references(tables, broken, origins)
        + check_survey(tables, broken, faulty)
        + check_across_tables(tables, broken, faulty, origins)
    )
    tables |= {name: empty_table(SPEC_BY_NAME[name]) for name in broken}
    return Dataset(root=root, tables=tables, files=files, origins=origins), problems


def table_origin(read: Path | None, root: Path) -> str:
    """``"folder"`` when the table was read from ``root``, ``"reference"`` when from perfeval's
    reference copy, ``"absent"`` when from neither."""
    if read is None:
        return "absent"
    return "folder" if read.parent == root else "reference"


def load_table(
    root: Path, spec: TableSpec, limits: LoadLimits
) -> tuple[pd.DataFrame | None, list[Problem], Path | None]:
    """One table of a data directory, read and validated.

    Returns
    -------
    (DataFrame or None, list of Problem, Path or None)
        The frame (None when unreadable, or absent and required; an empty frame when absent and
        optional), its problems, and the file read (None when it was not read).
    """
    file = root / spec.filename
    info, problem = stat_problem(file, spec.filename, "file")
    if problem is None and info is not None:
        problem = check_table_file(file, info, limits)
    if problem is not None:
        return None, [problem], None
    if info is None:
        return absent_table(root, spec)
    frame, problems = read_table(file, spec, limits)
    if frame is None:
        return None, problems, file
    frame, problems = validate_table(frame, spec, limits)
    return frame, problems, file


def absent_table(root: Path, spec: TableSpec) -> tuple[pd.DataFrame | None, list[Problem], None]:
    """An absent table: an empty frame when optional, else the problem saying it is missing."""
    if not spec.required:
        return empty_table(spec), [], None
    example = f"{spec.name}.example.csv"
    fix = (
        f"put your rows in {example} and rename it {spec.filename}"
        if (root / example).is_file()
        else "add it (see docs/data-model.md)"
    )
    return (
        None,
        [
            Problem(
                spec.filename,
                f"is missing from {root}; every data directory needs it; {fix}",
                kind="missing_file",
                summary="is missing",
                fix=fix,
            )
        ],
        None,
    )
