"""The supporting tables as an OpenDocument spreadsheet (``<stem>.ods``), beside the Excel file.

The same sheets as :func:`perfeval.run.publish.write_workbook`, drawn from the same layout
(:func:`perfeval.run.publish.workbook_sheets`): ``Cover``, ``Contents``, ``Notes`` and one sheet
per table key figure, each with its title in A1, its lines of text below, then the table with
plain-English headers, numbers rounded as shown and a symbol in place of any blank cell, so a
council without Excel (or one that publishes in open formats, as the Government Analysis
Function asks) has the same tables cell for cell. pandas writes it with odfpy; the zip entries
are dated with the run's date, so the same key figures give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from perfeval.run.publish import ReportInfo, WorkbookSheet, workbook_sheets, zip_bytes

__all__ = ["ods_sheets", "sheet_frame", "write_ods"]


def sheet_frame(sheet: WorkbookSheet) -> Any:
    """One sheet as the rows of a DataFrame (no header): the title, the lines, the table's
    header row and its rows; cells right of a line of text are left empty, as in Excel."""
    import pandas as pd

    width = max(len(sheet.headers), 1)
    text = [[line] + [None] * (width - 1) for line in [sheet.title, *sheet.lines]]
    table = [list(sheet.headers)] + [list(row) for row in sheet.rows] if sheet.headers else []
    return pd.DataFrame(text + table, dtype=object)


def ods_sheets(key_figures: Mapping[str, Mapping[str, Any]], info: ReportInfo) -> dict[str, Any]:
    """The sheets of the spreadsheet, by name, in order, each a DataFrame of its rows:
    ``Cover``, ``Contents`` and ``Notes`` first, then one per key figure of kind ``table``."""
    return {sheet.name: sheet_frame(sheet) for sheet in workbook_sheets(key_figures, info)}


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
            frame.to_excel(writer, sheet_name=name, index=False, header=False)
    path = Path(path)
    path.write_bytes(zip_bytes(buffer.getvalue(), dt.date.fromisoformat(info.published[:10])))
    return path
