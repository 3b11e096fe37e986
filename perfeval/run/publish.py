"""Publishing a report beyond its HTML: Excel supporting tables, PDF and the index of reports.

(The Word document and the OpenDocument spreadsheet are written by :mod:`perfeval.run.docx` and
:mod:`perfeval.run.ods`, from what this module describes.)

* :func:`describe_report` gathers what the title block, the Excel cover sheet and the index show
  (title, council, period, status, publication date, sources) into a :class:`ReportInfo`.
* :func:`write_workbook` writes the supporting tables: a cover sheet, a contents sheet and one
  sheet per table key figure, laid out as the Government Analysis Function's guidance on
  releasing statistics in spreadsheets asks (headers in row 1, no merged cells, no blank rows or
  cells inside a table, frozen header row, number formats, RAG words kept as words).
* :func:`print_pdf` prints the HTML report to A4 PDF with headless Chromium (optional).
* :func:`write_index` writes ``index.html`` in the outputs root, listing every report built there.

Every page perfeval publishes (the reports and the index) carries :data:`CONTENT_SECURITY_POLICY`:
it loads nothing and runs nothing, and only inline styles and ``data:`` images (the charts) are
allowed, so a browser refuses anything else that might slip into a page.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from perfeval.core.exceptions import ParameterError, PerfevalError, RunError
from perfeval.core.formatting import format_parameter, plural, round_half_up
from perfeval.run.outputs import FAILED_DIR, hold_index, write_text_atomically
from perfeval.run.parameters import is_path_parameter

__all__ = [
    "DEFAULT_STATUS",
    "ReportInfo",
    "describe_report",
    "check_status",
    "symbol_items",
    "long_date",
    "sheet_names",
    "write_workbook",
    "find_chromium",
    "print_pdf",
    "chromium_command",
    "index_entries",
    "index_html",
    "write_index",
    "MISSING_CELL",
    "CHROMIUM_ENV",
    "CONTENT_SECURITY_POLICY",
    "csp_meta",
    "data_status",
    "zip_bytes",
    "cover_lines",
    "table_rows",
    "unique_headers",
    "plain_header",
    "cell_value",
    "notes_rows",
    "table_sheet",
    "workbook_sheets",
    "WorkbookSheet",
    "FRONT_SHEETS",
    "NOT_APPLICABLE_CELL",
]

DEFAULT_STATUS = "Draft"
#: What an Excel cell shows for a value that is missing in the key figure (never a blank cell).
MISSING_CELL = "[x]"
#: Environment variable naming the Chromium (or Chrome) executable used for PDF output.
CHROMIUM_ENV = "PERFEVAL_CHROMIUM"
_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_MAX_STATUS = 40
#: The Content-Security-Policy of every published page: nothing loaded or run, only inline
#: styles and ``data:`` images (the charts); no ``<base>``, no form submission.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def csp_meta() -> str:
    """The ``<meta http-equiv="Content-Security-Policy">`` element of a published page (it must
    come before the page's ``<style>``)."""
    return (
        f'<meta http-equiv="Content-Security-Policy" '
        f'content="{html.escape(CONTENT_SECURITY_POLICY)}">'
    )


# ---------------------------------------------------------------------------------------------
# What the report is


@dataclass(frozen=True)
class ReportInfo:
    """What a report is: shown in its title block, on the Excel cover sheet and in the index.

    Attributes
    ----------
    title : str
        The report title (the notebook's first heading).
    notebook : str
        The source notebook's file name.
    published : str
        Publication date (the run date), ISO 8601.
    status : str
        ``Draft``, ``Final`` or another short status given to the run.
    council, council_name : str or None
        The ``council`` parameter (ONS code) and its name from ``authorities.csv``.
    period : str or None
        The period reported: ``year``, with ``Q<quarter>`` when there is a ``quarter``.
    parameters : dict
        The parameters that are not paths.
    sources : list of str
        The sources of the indicator data, each marked published or synthetic.
    indicator_names : dict
        Each indicator's name by code, from the register: the spreadsheets write it beside a
        code.
    """

    title: str
    notebook: str
    published: str
    status: str = DEFAULT_STATUS
    council: str | None = None
    council_name: str | None = None
    period: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    indicator_names: dict[str, str] = field(default_factory=dict)

    @property
    def council_label(self) -> str | None:
        """``Rutland (E06000017)``, or the code alone when the name is not known."""
        if not self.council:
            return None
        name = self.council_name
        return f"{name} ({self.council})" if name and name != self.council else self.council

    def as_dict(self) -> dict[str, Any]:
        """The info as plain JSON data (for the manifest)."""
        return asdict(self)


def check_status(status: str | None) -> str:
    """Return the report status, ``Draft`` when None.

    Raises
    ------
    ParameterError
        If the status is empty, longer than 40 characters or spans lines.
    """
    if status is None:
        return DEFAULT_STATUS
    text = str(status).strip()
    if not text or len(text) > _MAX_STATUS or "\n" in text:
        raise ParameterError(
            [
                f"status: expected a short label such as 'Draft' or 'Final' (at "
                f"most {_MAX_STATUS} characters, one line), got {status!r}"
            ]
        )
    return text


def period_label(parameters: Mapping[str, Any]) -> str | None:
    """The period a report covers: ``year``, followed by ``Q<quarter>`` when given."""
    year = parameters.get("year")
    if not year:
        return None
    quarter = parameters.get("quarter")
    return f"{year} Q{quarter}" if quarter not in (None, "") else str(year)


def _data_facts(parameters: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    """The council's name and the indicator sources, from the run's data (None, [] when the
    data cannot be read: the title block then shows the code alone)."""
    if "data_dir" not in parameters:
        return None, []
    from perfeval.run.schemas import dataset_for

    try:
        data = dataset_for(dict(parameters))
    except (PerfevalError, OSError):
        return None, []
    names = data.authorities.set_index("code")["name"]
    code = parameters.get("council")
    name = str(names.get(code, code)) if code else None
    from perfeval.data.notes import is_sample_data, synthetic_flags

    register = data.indicators
    made_up = "synthetic sample data" if is_sample_data(data) else "synthetic data"
    kinds = synthetic_flags(register).map({True: made_up, False: "published figures"})
    pairs = sorted(set(zip(register["source"].astype(str), kinds)))
    return name, [f"{source} ({kind})" for source, kind in pairs]


def _indicator_names(parameters: Mapping[str, Any]) -> dict[str, str]:
    """Each indicator's name by code from the run's register ({} when the data cannot be read);
    read through the same cache as :func:`_data_facts`."""
    if "data_dir" not in parameters:
        return {}
    from perfeval.run.schemas import dataset_for

    try:
        register = dataset_for(dict(parameters)).indicators
    except (PerfevalError, OSError):
        return {}
    return {str(code): str(title) for code, title in zip(register["code"], register["title"])}


def describe_report(
    title: str,
    notebook: str,
    parameters: Mapping[str, Any],
    *,
    status: str | None = None,
    published: dt.date | None = None,
) -> ReportInfo:
    """Return the :class:`ReportInfo` of a run.

    The council's name and the sources come from the run's own data (``data_dir``), read through
    the same cache that parameter validation used, so this costs no second read.

    Parameters
    ----------
    title : str
        The report title.
    notebook : str
        The source notebook's file name.
    parameters : mapping
        The resolved run parameters.
    status : str, optional
        The report status; default ``Draft``.
    published : date, optional
        Publication date; default today.
    """
    name, sources = _data_facts(parameters)
    council = parameters.get("council")
    return ReportInfo(
        title=title,
        notebook=notebook,
        published=(published or dt.date.today()).isoformat(),
        status=check_status(status),
        council=str(council) if council else None,
        council_name=name,
        period=period_label(parameters),
        parameters={k: v for k, v in parameters.items() if not is_path_parameter(k)},
        sources=sources,
        indicator_names=_indicator_names(parameters),
    )


def symbol_items() -> list[tuple[str, str]]:
    """Every statistical symbol and flag used in tables, with its meaning, in legend order."""
    # imported here: perfeval.present.html imports pandas, which the runner needs only later
    from perfeval.present.html import FLAG_LEGEND, SYMBOL_LEGEND

    return list(SYMBOL_LEGEND.items()) + list(FLAG_LEGEND.items())


def data_status(sources: Sequence[str]) -> str | None:
    """Whether the report's data are published figures or synthetic, from its sources (each
    ending ``(published figures)``, ``(synthetic data)`` or ``(synthetic sample data)``, as
    :func:`describe_report` gives them): ``"synthetic sample data"``, ``"published figures and
    synthetic data"``, ...; None when no source says."""
    kinds = sorted(
        {match.group(1) for source in sources if (match := re.search(r"\(([^()]+)\)\s*$", source))}
    )
    if not kinds:
        return None
    return kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]


def zip_bytes(data: bytes, day: dt.date) -> bytes:
    """A zip archive (``.docx``, ``.ods``) rewritten so that the same content gives the same
    bytes: every entry dated ``day`` at midnight, in the same order, deflated, except an ODS
    ``mimetype`` entry, which stays first and stored, as the OpenDocument format requires."""
    import io
    import zipfile

    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            stored = entry.filename == "mimetype"
            info = zipfile.ZipInfo(
                entry.filename, date_time=(day.year, day.month, day.day, 0, 0, 0)
            )
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()


def long_date(iso: str) -> str:
    """``2025-05-01`` as ``1 May 2025`` (GOV.UK style)."""
    day = dt.date.fromisoformat(iso[:10])
    return f"{day.day} {day:%B %Y}"


# ---------------------------------------------------------------------------------------------
# Excel supporting tables
#
# Laid out as the Government Analysis Function's "Releasing statistics in spreadsheets" (2021)
# asks, and as its reference implementation gptables lays them out: a cover sheet, a contents
# sheet and a notes sheet (the symbol legend) before the tables; on every sheet the title in A1
# and a few lines of text in column A above the table; one table a sheet, marked as an Excel
# table, with plain-English headers; numbers stored as shown (rounded half up to the decimals
# the cell's number format shows); a symbol, never a blank cell, where there is no value; no
# merged cells. :func:`workbook_sheets` builds that layout once; the Excel writer
# (:func:`write_workbook`) and the OpenDocument writer (:mod:`perfeval.run.ods`) both draw it,
# so the two files hold the same sheets cell for cell. (gptables writes Excel only, through
# XlsxWriter, so it could not give the ODS copy the same sheets; perfeval follows its rules.)

_INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_RESERVED_SHEETS = {"cover", "contents", "notes", "history"}
_RAG_FILLS = {
    "Red": ("F4CDC6", "2A0B06"),
    "Amber": ("FCD6C3", "6E3619"),
    "Green": ("CCE2D8", "005A30"),
}
#: Headers of numbers written without a thousands separator: a year, wave, period or code
#: (``Year``, ``Comparison period``), not ``Year to date value``.
_PLAIN_NUMBER_HEADERS = re.compile(r"(^|\s)(year|wave|period|code)s?$", re.I)
#: What a cell shows for an empty text in a key figure (a note with nothing to say).
NOT_APPLICABLE_CELL = "[z]"
#: Words for the abbreviations of recorded column names (``ytd_value`` as ``Year to date
#: value``).
_HEADER_WORDS = {
    "ytd": "year to date",
    "pct": "(%)",
    "n": "number",
    "rag": "RAG",
    "dot": "direction of travel",
    "lpl": "lower process limit",
    "upl": "upper process limit",
    "pi": "PI",
    "pis": "PIs",
    "id": "ID",
    "ons": "ONS",
    "fy": "financial year",
}
#: Sheet names of the three sheets before the tables.
FRONT_SHEETS = ("Cover", "Contents", "Notes")


@dataclass(frozen=True)
class WorkbookSheet:
    """One sheet of the supporting tables, as both spreadsheet writers draw it.

    Attributes
    ----------
    name : str
        The sheet name.
    title : str
        Cell A1.
    lines : list of str
        Column A below the title, one a row, before the table.
    headers : list of str
        The table's header row (empty for a sheet without a table: the cover).
    rows : list of list
        The table's cells: numbers (rounded as shown), text; never None or empty.
    formats : list of list
        Each cell's Excel number format (None for text).
    """

    name: str
    title: str
    lines: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    formats: list[list[str | None]] = field(default_factory=list)

    @property
    def header_row(self) -> int:
        """The 1-based row of the table's headers (the row after the title and lines)."""
        return 2 + len(self.lines)


def sheet_names(names: Sequence[str], *, reserved: Sequence[str] = FRONT_SHEETS) -> list[str]:
    """Excel sheet names for ``names``: at most 31 characters, none of ``[]:*?/\\``, unique
    without regard to case, and different from the ``reserved`` names and from ``History``."""
    taken = {name.lower() for name in reserved} | _RESERVED_SHEETS
    result = []
    for name in names:
        base = _INVALID_SHEET_CHARS.sub("_", str(name)).strip("' ") or "Table"
        candidate, counter = base[:31], 1
        while candidate.lower() in taken:
            counter += 1
            suffix = f"_{counter}"
            candidate = base[: 31 - len(suffix)] + suffix
        taken.add(candidate.lower())
        result.append(candidate)
    return result


def plain_header(column: Any) -> str:
    """A recorded column name as a plain-English header: ``ytd_value`` as ``Year to date
    value``, ``rag`` as ``RAG``, ``n_ranked`` as ``Number ranked``; a header already in words
    (``Rank (1 = best)``) is kept as it is."""
    text = str(column).strip()
    if "_" not in text and not (text.islower() and text.isidentifier()):
        return text
    words = [_HEADER_WORDS.get(word.lower(), word) for word in re.split(r"[_\s]+", text) if word]
    sentence = " ".join(words)
    return sentence[:1].upper() + sentence[1:]


def unique_headers(columns: Sequence[Any]) -> list[str]:
    """Column headers as non-empty text, unique without regard to case (Excel tables need it)."""
    headers, seen = [], set()
    for position, column in enumerate(columns, start=1):
        text = str(column).strip() if column not in (None, "") else f"Column {position}"
        candidate, counter = text, 1
        while candidate.lower() in seen:
            counter += 1
            candidate = f"{text} ({counter})"
        seen.add(candidate.lower())
        headers.append(candidate)
    return headers


def table_rows(table: Mapping[str, Any]) -> tuple[list[Any], list[list[Any]]]:
    """Columns and rows of a recorded table, its index (when recorded) as the first column."""
    columns, rows = list(table["columns"]), [list(row) for row in table["data"]]
    if "index" in table:
        columns = ["Row label"] + columns
        rows = [[label] + row for label, row in zip(table["index"], rows)]
    return columns, rows


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _decimals_of(value: float) -> int:
    """Decimal places of a float as written (``repr``), 0 for a whole number."""
    text = repr(float(value))
    return 0 if "e" in text or "." not in text else len(text.split(".")[1].rstrip("0"))


def _format(decimals: int, header: str) -> str:
    """``#,##0.0`` with ``decimals`` zeros; no thousands separator for years, periods, codes."""
    pattern = "0" if _PLAIN_NUMBER_HEADERS.search(header) else "#,##0"
    return pattern + ("." + "0" * decimals if decimals else "")


def _column_decimals(values: Sequence[Any]) -> int:
    """The decimals shown for a column of numbers: its floats' own, at most 3."""
    floats = [v for v in values if isinstance(v, float)]
    return min(max((_decimals_of(v) for v in floats), default=0), 3)


def cell_value(value: Any, decimals: int | None = None) -> Any:
    """A recorded value as a spreadsheet cell holds it: missing as ``[x]``, empty text as
    ``[z]``, True/False as Yes/No, a list in words, a float rounded half up to ``decimals``
    (an ``int`` when that is 0); other values as they are."""
    if value is None:
        return MISSING_CELL
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        return value if value.strip() else NOT_APPLICABLE_CELL
    if isinstance(value, (list, tuple, dict)):
        return format_parameter(value)
    if isinstance(value, float) and decimals is not None:
        rounded = round_half_up(value, decimals)
        return int(rounded) if decimals == 0 else float(rounded)
    return value


def _row_decimals(columns: Sequence[Any], rows: Sequence[Sequence[Any]]) -> list[int | None]:
    """Each row's own decimal places, from the indicator table's ``Decimal places`` column
    (:data:`perfeval.stats.indicator_table.DECIMALS_COLUMN`); None without that column."""
    from perfeval.stats.indicator_table import DECIMALS_COLUMN

    if DECIMALS_COLUMN not in columns:
        return [None] * len(rows)
    at = list(columns).index(DECIMALS_COLUMN)
    return [int(row[at]) if _is_number(row[at]) else None for row in rows]


def _with_names(
    columns: list[Any], rows: list[list[Any]], names: Mapping[str, str]
) -> tuple[list[Any], list[list[Any]]]:
    """A table with a column of indicator codes (``indicator``) and no name column gets the
    register's name beside each code (``Indicator code``, ``Indicator name``), as the guidance
    asks."""
    if "indicator" not in columns or not names or {"title", "Indicator"} & set(columns):
        return columns, rows
    at = columns.index("indicator")
    codes = [row[at] for row in rows]
    if not all(isinstance(code, str) and code in names for code in codes):
        return columns, rows
    columns = columns[:at] + ["Indicator code", "Indicator name"] + columns[at + 1 :]
    rows = [row[: at + 1] + [names[row[at]]] + row[at + 1 :] for row in rows]
    return columns, rows


def table_sheet(
    name: str, figure: Mapping[str, Any], info: ReportInfo, names: Mapping[str, str]
) -> WorkbookSheet:
    """The sheet of one table key figure: title, what the sheet holds, the table as shown."""
    from perfeval.stats.indicator_table import MEASURED_COLUMNS

    columns, rows = _with_names(*table_rows(figure["value"]), names)
    headers = unique_headers([plain_header(c) for c in columns])
    by_row = _row_decimals(columns, rows)
    cells: list[list[Any]] = [[] for _ in rows]
    formats: list[list[str | None]] = [[] for _ in rows]
    for c, header in enumerate(headers):
        shown = _column_decimals([row[c] for row in rows])
        measured = columns[c] in MEASURED_COLUMNS
        for r, row in enumerate(rows):
            own = by_row[r]
            decimals = own if measured and own is not None else shown
            value = cell_value(row[c], decimals)
            cells[r].append(value)
            formats[r].append(_format(decimals, header) if _is_number(value) else None)
    title = figure.get("description") or plain_header(name)
    if not rows or not headers:
        return WorkbookSheet(
            name,
            title,
            [
                "This worksheet has no table: the report has no rows for it (the report says "
                "why, such as a table missing from the data folder)."
            ],
        )
    lines = [
        f"This worksheet contains one table of {plural(len(rows), 'row')}, from {info.title}"
        + (f", {info.council_label}" if info.council_label else "")
        + (f", {info.period}." if info.period else "."),
        "Where a cell has no value it holds a symbol; the Notes worksheet says what each "
        "symbol means. Numbers are stored as shown, rounded half up.",
    ]
    return WorkbookSheet(name, title, lines, headers, cells, formats)


def cover_lines(info: ReportInfo, contents: list[tuple[str, str, int]]) -> list[tuple[str, bool]]:
    """The cover sheet, one line per row of column A: (text, is_heading)."""
    lines = [(f"{info.title}: supporting tables", True)]
    lines += [
        (f"{label}: {value}", False)
        for label, value in (
            ("Council", info.council_label),
            ("Period", info.period),
            ("Status", info.status),
            ("Published", long_date(info.published)),
        )
        if value
    ]
    lines += [
        ("About these tables", True),
        (
            f"Produced by perfeval from {info.notebook}. Each table worksheet holds one table "
            f"of the report's key figures; its values are those in manifest.json beside "
            f"this workbook, rounded half up to the decimal places shown.",
            False,
        ),
        (
            f"This workbook has {plural(len(contents), 'table')}; the Contents worksheet "
            "lists them.",
            False,
        ),
        (
            f"No cell of a table is left blank: {MISSING_CELL} marks a value that is not "
            f"available and {NOT_APPLICABLE_CELL} one that does not apply; the Notes worksheet "
            "explains every symbol.",
            False,
        ),
        (
            "Red, Amber and Green statuses are written as words; the cell colour only adds "
            "to the word.",
            False,
        ),
    ]
    if info.parameters:
        lines.append(
            (
                "Parameters: "
                + "; ".join(f"{k} = {format_parameter(v)}" for k, v in info.parameters.items()),
                False,
            )
        )
    lines += [("Sources", True)] + [
        (source, False) for source in info.sources or ["See the report's method section."]
    ]
    return lines


def notes_rows() -> list[list[str]]:
    """The Notes worksheet's table: every symbol and flag used in tables, with its meaning,
    then how numbers and statuses are written."""
    rows = [[symbol, meaning] for symbol, meaning in symbol_items()]
    rows += [
        [
            "Red, Amber, Green",
            "Status against target: Green met, Amber within tolerance, Red "
            "beyond tolerance; written as words, the cell colour only adds to the word",
        ],
        [
            "Decimal places",
            "An indicator's value and target are stored rounded half up to the "
            "indicator's own decimal places (the Decimal places column of the indicator table)",
        ],
    ]
    return rows


def workbook_sheets(
    key_figures: Mapping[str, Mapping[str, Any]], info: ReportInfo
) -> list[WorkbookSheet]:
    """Every sheet of the supporting tables, in order: Cover, Contents, Notes, then one per key
    figure of kind ``table`` (named after the figure, at most 31 characters, unique)."""
    tables = {name: figure for name, figure in key_figures.items() if figure.get("kind") == "table"}
    names = dict(info.indicator_names)
    sheets = [
        table_sheet(sheet, figure, info, names)
        for sheet, figure in zip(sheet_names(list(tables)), tables.values())
    ]
    contents = [(s.name, s.title, len(s.rows)) for s in sheets]
    cover = cover_lines(info, contents)
    notes = notes_rows()
    front = [
        WorkbookSheet("Cover", cover[0][0], [text for text, _ in cover[1:]]),
        WorkbookSheet(
            "Contents",
            "Contents",
            [
                f"This worksheet contains one table: the {plural(len(contents), 'table')} of "
                "this workbook, each linked to its worksheet."
            ],
            ["Worksheet", "Table", "Rows"],
            [list(row) for row in contents] or [[MISSING_CELL, "No tables", 0]],
            [[None, None, "#,##0"] for _ in contents] or [[None, None, "#,##0"]],
        ),
        WorkbookSheet(
            "Notes",
            "Notes",
            [
                "This worksheet contains one table: the symbols used in the tables and their "
                "meaning."
            ],
            ["Symbol or note", "Meaning"],
            notes,
            [[None, None] for _ in notes],
        ),
    ]
    return front + sheets


def _set_cell(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write one value; text always as text (never a formula)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _add_rag_formatting(ws: Any, ref: str, rows: list[list[Any]]) -> None:
    """Fill cells equal to Red, Amber or Green (the word stays; colour only adds to it)."""
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Font, PatternFill

    words = {value for row in rows for value in row if isinstance(value, str)}
    for word, (fill, text) in _RAG_FILLS.items():
        if word in words:
            ws.conditional_formatting.add(
                ref,
                CellIsRule(
                    operator="equal",
                    formula=[f'"{word}"'],
                    font=Font(color=text),
                    fill=PatternFill(start_color=fill, end_color=fill, fill_type="solid"),
                ),
            )


def _draw_sheet(ws: Any, sheet: WorkbookSheet, number: int) -> None:
    """Title in A1 (bold, large), the lines below it, then the table as an Excel table with
    bold headers, number formats, a frozen header row and RAG colours."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableStyleInfo

    _set_cell(ws, 1, 1, sheet.title).font = Font(bold=True, size=15)
    for r, line in enumerate(sheet.lines, start=2):
        _set_cell(ws, r, 1, line)
    if not sheet.headers:
        ws.column_dimensions["A"].width = 110
        return
    top = sheet.header_row
    for c, header in enumerate(sheet.headers, start=1):
        _set_cell(ws, top, c, header).font = Font(bold=True)
    for r, (row, formats) in enumerate(zip(sheet.rows, sheet.formats), start=top + 1):
        for c, (value, number_format) in enumerate(zip(row, formats), start=1):
            cell = _set_cell(ws, r, c, value)
            if number_format:
                cell.number_format = number_format
    for c, header in enumerate(sheet.headers, start=1):
        width = max([len(header)] + [len(str(row[c - 1])) for row in sheet.rows])
        ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 10), 60)
    ws.freeze_panes = f"A{top + 1}"
    last = f"{get_column_letter(len(sheet.headers))}{top + len(sheet.rows)}"
    ws.add_table(
        Table(
            displayName=f"Table_{number}",
            ref=f"A{top}:{last}",
            tableStyleInfo=TableStyleInfo(name="TableStyleLight1", showRowStripes=False),
        )
    )
    _add_rag_formatting(ws, f"A{top + 1}:{last}", sheet.rows)


def write_workbook(
    path: str | Path, key_figures: Mapping[str, Mapping[str, Any]], info: ReportInfo
) -> Path:
    """Write the report's supporting tables as an Excel workbook.

    Sheets (:func:`workbook_sheets`): ``Cover`` (title, council, period, status, date, notes,
    sources, all in column A), ``Contents`` (a linked table of the tables), ``Notes`` (the
    symbols and their meaning) and one sheet per key figure of kind ``table``. Each has its
    title in A1 and a line or two below it; each table is an Excel table with plain-English
    headers, its numbers stored as shown (rounded half up to the decimals of their number
    format; the indicator table's values to each indicator's own decimals), a symbol instead of
    any blank cell, a frozen header row and RAG colours on the words Red, Amber and Green. No
    merged cells, no blank rows inside a table.

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` file to write.
    key_figures : mapping
        The manifest's ``key_figures`` (name -> {kind, value, description, ...}).
    info : ReportInfo
        What the report is, for the cover sheet.

    Returns
    -------
    Path
        The file written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for number, sheet in enumerate(workbook_sheets(key_figures, info)):
        ws = wb.create_sheet(sheet.name)
        _draw_sheet(ws, sheet, number)
        if sheet.name == "Contents":
            for r, row in enumerate(sheet.rows, start=sheet.header_row + 1):
                if row[0] != MISSING_CELL:
                    link = ws.cell(row=r, column=1)
                    link.hyperlink = f"#'{row[0]}'!A1"
                    link.font = Font(color="1D70B8", underline="single")
    wb.properties.title = f"{info.title}: supporting tables"
    wb.properties.creator = "perfeval"
    wb.properties.language = "en-GB"
    path = Path(path)
    wb.save(path)
    return path


# ---------------------------------------------------------------------------------------------
# PDF


def find_chromium() -> str:
    """Return the Chromium (or Chrome) executable used for PDF output.

    ``$PERFEVAL_CHROMIUM`` when set, else the first of ``chromium``, ``chromium-browser``,
    ``google-chrome``, ``google-chrome-stable`` on the PATH.

    Raises
    ------
    RunError
        If none is found (with how to install one), or ``$PERFEVAL_CHROMIUM`` is not a program.
    """
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        found = shutil.which(given)
        if found is None:
            raise RunError(
                f"{CHROMIUM_ENV}={given!r} is not an executable program; point it at "
                f"Chromium or Chrome, or unset it to search the PATH"
            )
        return found
    for name in _CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise RunError(
        "--pdf needs Chromium or Chrome to print the report, and none was found on "
        f"the PATH (looked for {', '.join(_CHROMIUM_NAMES)}). Install it (Debian or "
        f"Ubuntu: sudo apt-get install chromium) or set {CHROMIUM_ENV} to its path; "
        "or run without --pdf (the HTML report prints to A4 from any browser)."
    )


def chromium_command(
    chromium: str, html_path: Path, pdf_path: Path, profile_dir: Path
) -> list[str]:
    """The headless Chromium command that prints ``html_path`` to ``pdf_path``: no network
    services, a throw-away profile, and no browser header or footer (the page's own CSS
    ``@page`` rules set A4 and the page numbers)."""
    return [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        f"--user-data-dir={profile_dir}",
        f"--print-to-pdf={pdf_path}",
        "--no-pdf-header-footer",
        html_path.resolve().as_uri(),
    ]


def print_pdf(
    html_path: str | Path,
    pdf_path: str | Path,
    *,
    chromium: str | None = None,
    timeout: float = 180,
) -> Path:
    """Print an HTML report to an A4 PDF with headless Chromium.

    Parameters
    ----------
    html_path, pdf_path : str or Path
        The report and the PDF to write.
    chromium : str, optional
        The browser executable; default :func:`find_chromium`.
    timeout : float
        Seconds to wait for the browser.

    Raises
    ------
    RunError
        If no browser is found, it fails or times out, or it writes no PDF.
    """
    html_path, pdf_path = Path(html_path), Path(pdf_path)
    chromium = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="perfeval-chromium-") as profile:
        command = chromium_command(chromium, html_path, pdf_path, Path(profile))
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as err:
            raise RunError(
                f"Chromium did not print {html_path.name} within {timeout:g} s; "
                f"try again, or run without --pdf"
            ) from err
        except OSError as err:
            raise RunError(f"Chromium ({chromium}) could not be started: {err}") from err
    if not pdf_path.is_file() or not pdf_path.read_bytes()[:5] == b"%PDF-":
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise RunError(
            f"Chromium ({chromium}) did not write a PDF of {html_path.name} (exit "
            f"status {done.returncode}){': ' + tail if tail else ''}"
        )
    return pdf_path


# ---------------------------------------------------------------------------------------------
# Index of reports


def _entry(manifest_path: Path, root: Path) -> dict[str, Any] | None:
    """What the index shows of one report (None for an unreadable manifest)."""
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        stem = Path(manifest["notebook"]["path"]).stem
        parameters = dict(manifest["parameters"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    folder = manifest_path.parent
    report = manifest.get("report") or {}
    council = report.get("council") or parameters.get("council")
    if report.get("council_name") and report["council_name"] != council:
        council = f"{report['council_name']} ({council})"
    files = {
        label: folder / name
        for label, name in (
            ("HTML", f"{stem}.html"),
            ("Word", f"{stem}.docx"),
            ("Excel", f"{stem}.xlsx"),
            ("ODS", f"{stem}.ods"),
            ("PDF", f"{stem}.pdf"),
            ("Manifest", manifest_path.name),
        )
    }
    return {
        "title": report.get("title") or stem.replace("_", " ").capitalize(),
        "council": council,
        "period": report.get("period") or parameters.get("year"),
        "status": report.get("status"),
        "produced": str(manifest.get("finished", ""))[:10],
        "parameters": {k: v for k, v in parameters.items() if not is_path_parameter(k)},
        "folder": folder.relative_to(root).as_posix(),
        "links": {
            label: path.relative_to(root).as_posix()
            for label, path in files.items()
            if path.is_file()
        },
    }


def _manifest_paths(root: Path) -> list[Path]:
    """Every report's ``manifest.json`` under ``root``, at any depth, sorted by folder; hidden
    folders (perfeval's locks and temporary folders, a previous report during its swap) and
    ``_failed`` are not looked into."""
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [
            d for d in dirs if not d.startswith(".") and not (here == root and d == FAILED_DIR)
        ]
        if here != root and "manifest.json" in files:
            found.append(here / "manifest.json")
    return sorted(found)


def index_entries(outputs_root: str | Path) -> list[dict[str, Any]]:
    """Every report under ``outputs_root``, sorted by report folder: ``<stem>/<slug>/`` as
    ``perfeval run`` makes them, and any folder given with ``--output-dir``, at the top of the
    root (``mine/``) or deeper; never perfeval's hidden folders or ``_failed``."""
    root = Path(outputs_root).resolve()
    entries = [_entry(path, root) for path in _manifest_paths(root)]
    return [entry for entry in entries if entry is not None]


_INDEX_STYLE = """
body { margin: 0; color: #0b0c0c; background: #fff; line-height: 1.5;
       font-family: Arial, "Helvetica Neue", Helvetica, sans-serif; }
main { max-width: 75rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 2rem; line-height: 1.25; }
a { color: #1d70b8; } a:focus { outline: 3px solid #fd0; background: #fd0; color: #0b0c0c; }
table { border-collapse: collapse; font-size: 0.95rem; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.5rem; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 0.35rem 0.6rem; text-align: left;
         vertical-align: top; }
thead th { border-bottom: 2px solid #0b0c0c; }
ul { margin: 0; padding-left: 1.1rem; }
td a, th a { display: inline-block; min-height: 24px; line-height: 24px; }
ul.files { list-style: none; padding: 0; }
ul.files li { display: inline-block; margin: 0 0.75rem 0.25rem 0; }
.muted { color: #505a5f; }
"""


def _index_row(entry: Mapping[str, Any]) -> str:
    e = html.escape
    links = entry["links"]
    title = (
        f'<a href="{e(links["HTML"])}">{e(entry["title"])}</a>'
        if "HTML" in links
        else e(entry["title"])
    )
    files = "".join(
        f'<li><a href="{e(href)}">{e(label)}<span class="visually-hidden"> of '
        f"{e(entry['title'])}, {e(entry['folder'])}</span></a></li>"
        for label, href in links.items()
    )
    params = "".join(
        f"<li>{e(str(k))} = {e(format_parameter(v))}</li>" for k, v in entry["parameters"].items()
    )
    return (
        f'<tr><th scope="row">{title}<br><span class="muted">{e(entry["folder"])}</span></th>'
        f"<td>{e(str(entry['council'] or ''))}</td><td>{e(str(entry['period'] or ''))}</td>"
        f"<td>{e(str(entry['status'] or ''))}</td><td>{e(entry['produced'])}</td>"
        f'<td><ul>{params}</ul></td><td><ul class="files">{files}</ul></td></tr>'
    )


def index_html(entries: Sequence[Mapping[str, Any]], *, generated: str | None = None) -> str:
    """The index page: one accessible, self-contained HTML table of the reports built."""
    generated = generated or dt.date.today().isoformat()
    hidden = (
        ".visually-hidden { position: absolute !important; width: 1px; height: 1px; "
        "overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }"
    )
    body = (
        f"<table><caption>{len(entries)} report(s), by report and folder</caption><thead>"
        '<tr><th scope="col">Report</th><th scope="col">Council</th><th scope="col">Period'
        '</th><th scope="col">Status</th><th scope="col">Produced</th><th scope="col">'
        'Parameters</th><th scope="col">Files</th></tr></thead><tbody>'
        + "".join(_index_row(entry) for entry in entries)
        + "</tbody></table>"
        if entries
        else "<p>No reports have been built yet.</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        f"{csp_meta()}\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>perfeval reports</title>\n<style>{_INDEX_STYLE}{hidden}</style>\n</head>\n"
        "<body>\n<main>\n<h1>perfeval reports</h1>\n"
        f"<p>Reports built in this folder, updated {_time_element(generated)}. Each report "
        "has its HTML page, its supporting tables (Excel and OpenDocument), a Word document "
        "and a PDF when they were asked for, and its "
        "manifest (parameters, input checksums, versions and key figures).</p>\n"
        f"{body}\n</main>\n</body>\n</html>\n"
    )


def _time_element(iso: str) -> str:
    """An escaped ``<time>`` element for an ISO date."""
    return f'<time datetime="{html.escape(iso)}">{html.escape(long_date(iso))}</time>'


def write_index(outputs_root: str | Path) -> Path:
    """Write ``index.html`` in ``outputs_root`` listing every report there; returns its path.

    One process at a time rewrites it (under the root's index lock, see
    :mod:`perfeval.run.outputs`), reading the manifests once it holds the lock, so the last writer
    lists every report published before it. The file is replaced atomically
    (``.index-*.html``, then :func:`os.replace`), so a reader never sees half a page.

    Raises
    ------
    OSError
        If the index cannot be written (a full or read-only disk); the old index is kept.
    RunError
        If another process has been rewriting the index for a minute.
    """
    root = Path(outputs_root).resolve()
    target = root / "index.html"
    with hold_index(root):
        write_text_atomically(target, index_html(index_entries(root)), prefix=".index-")
    return target
