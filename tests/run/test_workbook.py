"""The supporting tables follow the Analysis Function's "Releasing statistics in spreadsheets":
checked by opening the Excel file (openpyxl) and the ODS copy (odfpy) back."""

from __future__ import annotations

import math
import re

import openpyxl
import pandas as pd
import pytest
from odf.opendocument import load as load_ods
from odf.table import Table, TableCell

from perfeval.run.ods import write_ods
from perfeval.run.provenance import key_figure_payload
from perfeval.run.publish import (
    MISSING_CELL,
    ReportInfo,
    cell_value,
    plain_header,
    symbol_items,
    workbook_sheets,
    write_workbook,
)
from perfeval.stats.indicator_table import annual_indicator_table

INFO = ReportInfo(
    title="State of the Nation",
    notebook="sotn.ipynb",
    published="2025-05-01",
    council="E06000017",
    council_name="Rutland",
    period="2024/25",
    sources=["Defra ENV18 (published figures)"],
    indicator_names={"NI192": "Household waste recycled", "LC01": "Leisure centre visits"},
)


def _card() -> pd.DataFrame:
    base = {
        "service": "Environment",
        "polarity": "higher",
        "period": "2024/25",
        "value_symbol": None,
        "status": "final",
        "note": "",
        "rag": "Green",
        "dot": "Improved",
        "rank": 2,
        "n_ranked": 16,
        "quartile": 1,
        "comparator_median": 40.0,
    }
    return pd.DataFrame(
        [
            {**base, "indicator": "NI192", "title": "Household waste recycled", "unit": "%",
             "decimals": 1, "value": 55.65, "target": 50.9},
            {**base, "indicator": "LC01", "title": "Leisure centre visits", "unit": "number",
             "decimals": 0, "value": 6512.5, "target": math.nan, "status": "provisional",
             "rag": "No target", "comparator_median": 4234.4},
            {**base, "indicator": "HS02", "title": "Homelessness cases", "unit": "%",
             "decimals": 1, "value": math.nan, "value_symbol": "[x]", "target": 48.1,
             "rag": "No data", "rank": math.nan, "n_ranked": math.nan, "quartile": math.nan},
        ]
    )  # fmt: skip


def _figures() -> dict:
    outturns = pd.DataFrame(
        {
            "indicator": ["NI192", "LC01"],
            "ytd_value": [0.4782608695652174, 6513.0],
            "rag": ["Green", None],
            "note": ["", "late"],
            "on_target": [True, False],
        }
    )
    payloads = [
        key_figure_payload("indicator_table", annual_indicator_table(_card()), "Every PI"),
        key_figure_payload("outturns", outturns),
        key_figure_payload("total", 3),
    ]
    return {p["name"]: p for p in payloads}


@pytest.fixture
def book(tmp_path):
    return openpyxl.load_workbook(write_workbook(tmp_path / "r.xlsx", _figures(), INFO))


def _table(ws):
    """The one Excel table of a sheet: its header and data rows."""
    (ref,) = [t.ref for t in ws.tables.values()]
    rows = [[cell for cell in row] for row in ws[ref]]
    return rows[0], rows[1:]


def test_cover_contents_and_notes_come_first_then_one_sheet_per_table(book):
    assert book.sheetnames == ["Cover", "Contents", "Notes", "indicator_table", "outturns"]
    cover = [row[0] for row in book["Cover"].iter_rows(values_only=True)]
    assert cover[0] == "State of the Nation: supporting tables" and None not in cover
    assert "This workbook has 2 tables; the Contents worksheet lists them." in cover
    header, rows = _table(book["Contents"])
    assert [c.value for c in header] == ["Worksheet", "Table", "Rows"]
    assert [[c.value for c in row] for row in rows] == [
        ["indicator_table", "Every PI", 3],
        ["outturns", "Outturns", 2],
    ]
    link = rows[0][0].hyperlink
    assert "'indicator_table'!A1" in (link.location or link.target or "")


def test_every_sheet_has_a_title_in_a1_no_merged_cells_and_one_marked_table(book):
    for ws in book.worksheets:
        assert isinstance(ws["A1"].value, str) and ws["A1"].value.strip(), ws.title
        assert ws["A1"].font.b, ws.title
        assert not ws.merged_cells.ranges, ws.title
        assert len(ws.tables) == (0 if ws.title == "Cover" else 1), ws.title


def test_no_table_has_a_blank_cell_and_every_symbol_used_is_explained_in_notes(book):
    explained = {row[0].value for row in _table(book["Notes"])[1]}
    assert {symbol for symbol, _ in symbol_items()} <= explained
    for ws in book.worksheets[1:]:
        header, rows = _table(ws)
        for row in rows:
            for cell in row:
                assert cell.value is not None and cell.value != "", (ws.title, cell.coordinate)
                if isinstance(cell.value, str) and re.fullmatch(r"\[[a-z]+\]", cell.value):
                    assert cell.value in explained, cell.value


def test_headers_are_plain_english_and_names_stand_beside_codes(book):
    for ws in book.worksheets[1:]:
        header, _ = _table(ws)
        for cell in header:
            assert "_" not in cell.value and not cell.value.islower(), cell.value
    header, rows = _table(book["outturns"])
    assert [c.value for c in header] == [
        "Indicator code",
        "Indicator name",
        "Year to date value",
        "RAG",
        "Note",
        "On target",
    ]
    assert [c.value for c in rows[0]][:2] == ["NI192", "Household waste recycled"]
    header, rows = _table(book["indicator_table"])
    assert [c.value for c in header][:2] == ["Code", "Indicator"]


def test_values_are_stored_at_the_precision_shown_with_each_pis_own_decimals(book):
    header, rows = _table(book["indicator_table"])
    at = {c.value: i for i, c in enumerate(header)}
    ni192, lc01, hs02 = rows
    assert ni192[at["Value"]].value == 55.7 and ni192[at["Value"]].number_format == "#,##0.0"
    assert lc01[at["Value"]].value == 6513 and lc01[at["Value"]].number_format == "#,##0"
    assert lc01[at["Comparator median"]].number_format == "#,##0"
    assert lc01[at["Target"]].value == MISSING_CELL and lc01[at["Value status"]].value == (
        "[p] provisional"
    )
    assert hs02[at["Value"]].value == "[x]"  # the symbol kept, never 0
    _, rows = _table(book["outturns"])
    share = rows[0][2]
    assert share.value == 0.478 and share.number_format == "#,##0.000"  # not 0.4782608695652174
    assert [rows[0][5].value, rows[1][5].value] == ["Yes", "No"]
    assert [rows[0][4].value, rows[1][3].value] == ["[z]", MISSING_CELL]


def _ods_cells(path):
    """Each sheet of an ODS file as rows of (text, number-columns-spanned) per cell."""
    document = load_ods(str(path))
    sheets = {}
    for table in document.spreadsheet.getElementsByType(Table):
        rows = []
        for row in table.childNodes:
            cells = [
                (str(cell), cell.getAttribute("numbercolumnsspanned"))
                for cell in row.getElementsByType(TableCell)
            ]
            rows.append(cells)
        sheets[table.getAttribute("name")] = rows
    return sheets


def test_the_ods_copy_has_the_same_sheets_cell_for_cell_and_no_merged_cells(tmp_path):
    xlsx = write_workbook(tmp_path / "r.xlsx", _figures(), INFO)
    ods = write_ods(tmp_path / "r.ods", _figures(), INFO)
    excel = pd.read_excel(xlsx, sheet_name=None, engine="openpyxl", header=None)
    opened = pd.read_excel(ods, sheet_name=None, engine="odf", header=None)
    assert list(opened) == list(excel) == [s.name for s in workbook_sheets(_figures(), INFO)]
    for name, frame in excel.items():
        pd.testing.assert_frame_equal(opened[name], frame, check_dtype=False, obj=name)
    cells = _ods_cells(ods)
    assert cells["indicator_table"][0][0][0].startswith("Every PI")
    assert all(
        span in (None, "", "1") for sheet in cells.values() for row in sheet for _, span in row
    )


@pytest.mark.parametrize(
    ("column", "header"),
    [
        ("ytd_value", "Year to date value"),
        ("rag", "RAG"),
        ("n_ranked", "Number ranked"),
        ("share_pct", "Share (%)"),
        ("Rank (1 = best)", "Rank (1 = best)"),
        ("Councils ranked", "Councils ranked"),
    ],
)
def test_plain_header(column, header):
    assert plain_header(column) == header


def test_cell_value_never_leaves_a_cell_blank_and_rounds_half_up():
    assert [cell_value(None), cell_value(""), cell_value(True)] == [MISSING_CELL, "[z]", "Yes"]
    assert cell_value(2.675, 2) == 2.68 and cell_value(62.5, 0) == 63
    assert cell_value(["NI192", "NI195"]) == "NI192 and NI195"


def test_a_table_with_no_rows_is_a_sheet_that_says_so_without_an_empty_table(tmp_path):
    figures = {
        "budget_outturn": key_figure_payload("budget_outturn", pd.DataFrame()),
        "none_yet": key_figure_payload("none_yet", pd.DataFrame({"service": []})),
    }
    book = openpyxl.load_workbook(write_workbook(tmp_path / "r.xlsx", figures, INFO))
    for name in ("budget_outturn", "none_yet"):
        ws = book[name]
        assert not ws.tables and ws.max_column == 1
        assert ws["A2"].value.startswith("This worksheet has no table")
    _, rows = _table(book["Contents"])
    assert [[c.value for c in row] for row in rows][0] == ["budget_outturn", "Budget outturn", 0]
