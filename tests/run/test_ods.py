"""Tests of perfeval.run.ods: the supporting tables as an OpenDocument spreadsheet, read back
with pandas' odf reader and compared sheet by sheet with the Excel workbook."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from perfeval.run.ods import ods_sheets, write_ods
from perfeval.run.parameters import load_folder_schemas
from perfeval.run.provenance import key_figure_payload
from perfeval.run.publish import MISSING_CELL, ReportInfo, index_entries, write_workbook
from perfeval.run.runner import run_report
from perfeval.run.verify import check_report_files

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
load_folder_schemas(NOTEBOOKS)
INFO = ReportInfo(
    title="Test report",
    notebook="t.ipynb",
    published="2025-05-01",
    council="E06000017",
    council_name="Rutland",
    period="2024-25",
    sources=["LG Inform (synthetic sample data)"],
)


def _figures() -> dict:
    visits = pd.DataFrame(
        {"Visits": [1200, None], "Share": [55.7, 41.0], "RAG": ["Red", "Green"]},
        index=pd.Index(["North", "South"], name="Area"),
    )
    payloads = [
        key_figure_payload("visits_by_area", visits, "Visits by area"),
        key_figure_payload("north_share", 55.7),
        key_figure_payload("a/b:c", pd.DataFrame({"x": ["[c]"]})),
    ]
    return {payload["name"]: payload for payload in payloads}


def assert_ods_matches_excel(ods: Path, xlsx: Path) -> dict[str, pd.DataFrame]:
    """Every sheet of the ODS equals the Excel sheet of the same name, in the same order."""
    assert openpyxl.load_workbook(xlsx).sheetnames == list(
        pd.read_excel(ods, sheet_name=None, engine="odf", header=None)
    )
    excel = pd.read_excel(xlsx, sheet_name=None, engine="openpyxl", header=None)
    opened = pd.read_excel(ods, sheet_name=None, engine="odf", header=None)
    for name, frame in excel.items():
        pd.testing.assert_frame_equal(opened[name], frame, check_dtype=False, obj=name)
    return opened


def test_sheets_are_those_of_the_workbook_with_missing_values_marked(tmp_path):
    figures = _figures()
    sheets = ods_sheets(figures, INFO)
    assert list(sheets) == ["Cover", "Contents", "Notes", "visits_by_area", "a_b_c"]
    visits = sheets["visits_by_area"]
    assert visits.iloc[0, 0] == "Visits by area"  # the title in A1
    assert visits.iloc[3].tolist() == ["Row label", "Visits", "Share", "RAG"]  # the header row
    assert visits.iloc[5, 1] == MISSING_CELL
    opened = assert_ods_matches_excel(
        write_ods(tmp_path / "r.ods", figures, INFO),
        write_workbook(tmp_path / "r.xlsx", figures, INFO),
    )
    assert opened["Cover"].iloc[0, 0] == "Test report: supporting tables"
    assert opened["Contents"].iloc[3].tolist() == ["visits_by_area", "Visits by area", 2]
    assert ["[x]", "not available"] in opened["Notes"].values.tolist()


def test_no_tables_gives_cover_contents_and_notes_only(tmp_path):
    assert_ods_matches_excel(
        write_ods(tmp_path / "r.ods", {}, INFO), write_workbook(tmp_path / "r.xlsx", {}, INFO)
    )


def test_same_figures_give_the_same_bytes_and_a_valid_package(tmp_path):
    first = write_ods(tmp_path / "a.ods", _figures(), INFO).read_bytes()
    assert write_ods(tmp_path / "b.ods", _figures(), INFO).read_bytes() == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        entries = archive.infolist()
        assert entries[0].filename == "mimetype"
        assert entries[0].compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        assert {e.date_time for e in entries} == {(2025, 5, 1, 0, 0, 0)}


@pytest.mark.notebook
def test_every_run_writes_the_ods_beside_the_excel_file_and_lists_it(tmp_path):
    result = run_report(NOTEBOOKS / "sections.ipynb", {}, outputs_root=tmp_path, progress=False)
    assert result.ods == result.excel.with_suffix(".ods") and result.docx is None
    assert not (result.output_dir / "sections.docx").exists()
    opened = assert_ods_matches_excel(result.ods, result.excel)
    assert list(opened) == ["Cover", "Contents", "Notes", "visits_by_area", "totals"]
    assert opened["totals"].iloc[-1].tolist() == ["2024-25", MISSING_CELL]
    assert "sections.ods" in result.manifest["report_files"]
    assert check_report_files(result.output_dir, result.manifest["report_files"]) == ([], [])
    [entry] = index_entries(tmp_path)
    assert entry["links"]["ODS"].endswith("/sections.ods") and "Word" not in entry["links"]
