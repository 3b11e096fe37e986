"""The supporting tables as an OpenDocument spreadsheet (``<stem>.ods``), beside the Excel file.

The same sheets as :func:`perfeval.run.publish.write_workbook`: ``Cover`` (the same lines in
column A), ``Contents`` (sheet, table, rows) and one sheet per table key figure, named the same,
headers in row 1 and a missing value as ``[x]``, so that a council without Excel (or one that
publishes in open formats, as the Government Analysis Function asks) has the same tables. pandas
writes it with odfpy; the zip entries are dated with the run's date, so the same key figures
give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from perfeval.run.publish import (
    MISSING_CELL,
    ReportInfo,
    cover_lines,
    sheet_names,
    table_rows,
    unique_headers,
    zip_bytes,
)

__all__ = ["ods_sheets", "write_ods"]


def _cell(value: Any) -> Any:
    """A value as the Excel sheet has it: missing as ``[x]``, lists and mappings as JSON."""
    if value is None:
        return MISSING_CELL
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def ods_sheets(key_figures: Mapping[str, Mapping[str, Any]], info: ReportInfo) -> dict[str, Any]:
    """The sheets of the spreadsheet, by name, in order, each a DataFrame: ``Cover`` and
    ``Contents`` first, then one per key figure of kind ``table``."""
    import pandas as pd

    tables = {name: figure for name, figure in key_figures.items() if figure.get("kind") == "table"}
    sheets: dict[str, Any] = {}
    contents = []
    for sheet, (name, figure) in zip(sheet_names(list(tables)), tables.items()):
        columns, rows = table_rows(figure["value"])
        sheets[sheet] = pd.DataFrame(
            [[_cell(v) for v in row] for row in rows], columns=unique_headers(columns), dtype=object
        )
        contents.append((sheet, figure.get("description") or name.replace("_", " "), len(rows)))
    cover = pd.DataFrame([[text] for text, _ in cover_lines(info, contents)], dtype=object)
    listed = pd.DataFrame(contents, columns=["Sheet", "Table", "Rows"])
    return {"Cover": cover, "Contents": listed} | sheets


def write_ods(
    path: str | Path, key_figures: Mapping[str, Mapping[str, Any]], info: ReportInfo
) -> Path:
    """Write the report's supporting tables as an OpenDocument spreadsheet.

    Parameters
    ----------
    path : str or Path
        The ``.ods`` file to write.
    key_figures : mapping
        The manifest's ``key_figures`` (name -> {kind, value, description, ...}).
    info : ReportInfo
        What the report is, for the cover sheet.

    Returns
    -------
    Path
        The file written; the same key figures and info always give the same bytes.
    """
    import pandas as pd

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="odf") as writer:
        for name, frame in ods_sheets(key_figures, info).items():
            frame.to_excel(writer, sheet_name=name, index=False, header=name != "Cover")
    path = Path(path)
    path.write_bytes(zip_bytes(buffer.getvalue(), dt.date.fromisoformat(info.published[:10])))
    return path
