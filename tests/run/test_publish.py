"""Publishing: house-style HTML, Excel supporting tables, PDF errors and the index of reports.

Unit tests use hand-made key figures and manifests; one end-to-end run of State of the Nation
checks that the workbook beside the report holds exactly the manifest's key figures.
"""

from __future__ import annotations

import html as html_lib
import json
import math
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from fakes import refuse_kernels
from perfeval.core.exceptions import ParameterError, RunError
from perfeval.core.paths import BUNDLED_NOTEBOOKS_DIR, BUNDLED_PARAMS_DIR
from perfeval.present.html import html_table
from perfeval.run import export
from perfeval.run.cli import main
from perfeval.run.export import export_html
from perfeval.run.parameters import load_parameter_file
from perfeval.run.publish import (
    CONTENT_SECURITY_POLICY,
    MISSING_CELL,
    ReportInfo,
    check_status,
    describe_report,
    find_chromium,
    index_entries,
    index_html,
    sheet_names,
    workbook_sheets,
    write_index,
    write_workbook,
)
from perfeval.run.runner import run_report

INFO = ReportInfo(
    title="State of the Nation",
    notebook="sotn.ipynb",
    published="2025-05-01",
    status="Final",
    council="E06000017",
    council_name="Rutland",
    period="2024/25",
    parameters={"year": "2024/25"},
    sources=["Defra ENV18 (published figures)"],
)


def same_values(rows: list[list], expected: list[list]) -> bool:
    """Cell by cell equality; floats to 15 significant digits (openpyxl writes 16, and Excel
    itself works to 15), an empty string as an empty cell (Excel has no empty-string value),
    everything else exactly."""

    def same(a, b) -> bool:
        if isinstance(b, float) and isinstance(a, (int, float)):
            return math.isclose(a, b, rel_tol=1e-15)
        if b == "" and a is None:
            return True
        return a == b and type(a) is type(b)

    return len(rows) == len(expected) and all(
        len(r) == len(e) and all(same(a, b) for a, b in zip(r, e)) for r, e in zip(rows, expected)
    )


def table_cells(ws) -> tuple[list, list[list]]:
    """Header row and data rows of a sheet's Excel table, with [x] read back as missing."""
    (ref,) = [table.ref for table in ws.tables.values()]
    rows = [[cell.value for cell in row] for row in ws[ref]]
    back = [[None if value == MISSING_CELL else value for value in row] for row in rows[1:]]
    return rows[0], back


# -- Excel ----------------------------------------------------------------------------------------


def test_sheet_names_are_short_unique_and_legal():
    names = sheet_names(["a" * 40, "a" * 40, "A" * 40, "rag/status?", "Cover", "history", ""])
    assert all(len(name) <= 31 for name in names)
    assert len({name.lower() for name in names}) == len(names)
    assert names[0] == "a" * 31 and names[1] == "a" * 29 + "_2" and names[2] == "A" * 29 + "_3"
    assert names[3] == "rag_status_"
    assert names[4] == "Cover_2" and names[5] == "history_2" and names[6] == "Table"


def test_workbook_holds_each_table_as_shown_with_headers_formats_and_rag(tmp_path):
    figures = {
        "count": {"kind": "number", "value": 3, "description": "Not a table"},
        "scorecard": {
            "kind": "table",
            "description": "Scorecard, 2024/25",
            "value": {
                "columns": ["indicator", "value", "rag", "year"],
                "data": [
                    ["NI192", 1234.5678, "Red", 2024],
                    ['=HYPERLINK("x")', None, "Green", 2025],
                    ["HB01", 12.0, "Amber", 2025],
                ],
            },
        },
        "by_council": {
            "kind": "table",
            "description": None,
            "value": {
                "columns": ["rate"],
                "index": ["E06000017", "E07000026"],
                "data": [[41.2], [None]],
            },
        },
    }
    path = write_workbook(tmp_path / "r.xlsx", figures, INFO)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Cover", "Contents", "Notes", "scorecard", "by_council"]
    ws = wb["scorecard"]
    assert ws["A1"].value == "Scorecard, 2024/25" and ws["A1"].font.b
    header, rows = table_cells(ws)
    assert header == ["Indicator", "Value", "RAG", "Year"]
    # stored as shown: three decimals at most, rounded half up
    assert rows == [
        ["NI192", 1234.568, "Red", 2024],
        ['=HYPERLINK("x")', None, "Green", 2025],
        ["HB01", 12.0, "Amber", 2025],
    ]
    top = 2 + 2  # the title, two lines, then the header row
    assert ws.cell(top + 2, 1).data_type == "s"  # text, not a formula
    assert all(cell.font.b for cell in ws[top]) and ws.freeze_panes == f"A{top + 1}"
    assert ws.cell(top + 1, 2).number_format == "#,##0.000"
    assert ws.cell(top + 1, 4).number_format == "0"
    assert not ws.merged_cells.ranges and len(ws.tables) == 1
    rules = {rule.formula[0] for rng in ws.conditional_formatting for rule in rng.rules}
    assert rules == {'"Red"', '"Amber"', '"Green"'}
    header, rows = table_cells(wb["by_council"])
    assert header == ["Row label", "Rate"] and rows == [["E06000017", 41.2], ["E07000026", None]]
    _, contents = table_cells(wb["Contents"])
    assert contents == [["scorecard", "Scorecard, 2024/25", 3], ["by_council", "By council", 2]]


def test_cover_names_the_report_and_the_notes_sheet_explains_the_symbols(tmp_path):
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "r.xlsx", {}, INFO))
    lines = [row[0] for row in wb["Cover"].iter_rows(values_only=True)]
    assert lines[0] == "State of the Nation: supporting tables"
    assert "Council: Rutland (E06000017)" in lines and "Period: 2024/25" in lines
    assert "Status: Final" in lines and "Published: 1 May 2025" in lines
    assert "Defra ENV18 (published figures)" in lines
    assert None not in lines, "no blank rows on the cover"
    assert wb["Cover"].max_column == 1
    notes = [list(row) for row in wb["Notes"].iter_rows(values_only=True)]
    assert ["[x]", "not available"] in notes and ["[p]", "provisional"] in notes


# -- house-style HTML -----------------------------------------------------------------------------


def _notebook():
    table = html_table(__import__("pandas").DataFrame({"Area": ["A"], "Value": ["£1,234"]}), "T")
    cell = new_code_cell("x")
    cell.outputs = [
        new_output("display_data", data={"text/html": table}),
        new_output(
            "execute_result", data={"text/plain": "<Figure size 640x480>"}, execution_count=1
        ),
    ]
    return new_notebook(
        cells=[
            new_markdown_cell("# Annual review\n\nWhy this report."),
            new_markdown_cell("## First part\n\n#### Too deep"),
            cell,
            new_markdown_cell("## Second part"),
        ]
    )


def test_page_has_title_block_contents_ordered_headings_and_symbol_legend():
    page = export_html(
        _notebook(),
        notebook_name="review.ipynb",
        parameters={"council": "E06000017", "year": "2024/25", "quarter": 2, "data_dir": ""},
        status="Final",
    )
    assert page.count("<h1") == 1 and "<h1>Annual review</h1>" in page
    facts = html_lib.unescape(re.sub(r"<[^>]+>", " ", page.split("</header>")[0]))
    assert re.search(r"Council\s+Rutland \(E06000017\)", facts)
    assert re.search(r"Period\s+2024/25 Q2", facts) and re.search(r"Status\s+Final", facts)
    levels = [int(level) for level in re.findall(r"<h([1-6])\b", page)]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels
    nav = page.split('<nav class="contents"')[1].split("</nav>")[0]
    h2_ids = re.findall(r'<h2 id="([^"]+)"', page.split("</nav>")[1])
    assert re.findall(r'href="#([^"]+)"', nav) == h2_ids
    assert h2_ids == ["First-part", "Second-part", "symbols"]
    assert "[low]" in page and "base too small to publish" in page
    assert (
        '<th class="num" scope="col">Value</th>' in page and '<td class="num">£1,234</td>' in page
    )
    assert "&lt;Figure size" not in page, "stray object reprs are left out"
    assert 'content: "Page " counter(page) " of " counter(pages)' in page


def _policy(page: str) -> str:
    """The page's Content-Security-Policy, read from its one <meta http-equiv> element, which
    must come before its first <style>."""
    metas = re.findall(r'<meta[^>]*http-equiv="Content-Security-Policy"[^>]*>', page)
    assert len(metas) == 1, metas
    assert page.index(metas[0]) < page.index("<style"), "the policy must cover the styles"
    return html_lib.unescape(re.search(r'content="([^"]*)"', metas[0]).group(1))


def test_report_and_index_pages_allow_only_inline_styles_and_data_images():
    assert CONTENT_SECURITY_POLICY == (
        "default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    page = export_html(_notebook(), notebook_name="review.ipynb", parameters={})
    assert _policy(page) == CONTENT_SECURITY_POLICY
    assert _policy(index_html([])) == CONTENT_SECURITY_POLICY


def test_a_page_without_the_policy_is_refused(monkeypatch):
    context = export._template_context
    monkeypatch.setattr(
        export, "_template_context", lambda *args: context(*args) | {"csp": "default-src *"}
    )
    with pytest.raises(RunError, match="lacks its Content-Security-Policy"):
        export_html(_notebook(), notebook_name="review.ipynb", parameters={})


def test_status_must_be_a_short_label():
    assert check_status(None) == "Draft" and check_status(" Final ") == "Final"
    with pytest.raises(ParameterError, match="status"):
        check_status("x" * 41)


# -- PDF and index --------------------------------------------------------------------------------


def test_pdf_without_chromium_is_a_clear_error_before_anything_runs(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("PERFEVAL_CHROMIUM", raising=False)
    with pytest.raises(RunError, match="apt-get install chromium"):
        find_chromium()
    refuse_kernels(monkeypatch)
    status = main(["run", "state_of_the_nation", "--pdf", "--outputs-root", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 1 and "Chromium" in err and "Traceback" not in err
    assert not list(tmp_path.glob("state_of_the_nation*"))


def _manifest(folder, stem, **report):
    folder.mkdir(parents=True)
    (folder / f"{stem}.html").write_text("<html></html>")
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "notebook": {"path": f"/x/{stem}.ipynb"},
                "finished": "2025-05-01T10:00:00+00:00",
                "parameters": {"council": "E06000017", "year": "2024/25", "data_dir": "/secret"},
                "report": report,
            }
        )
    )


def test_index_lists_reports_with_links_to_the_files_that_exist(tmp_path):
    _manifest(
        tmp_path / "sotn" / "a",
        "sotn",
        title="State <of> the Nation",
        status="Final",
        council="E06000017",
        council_name="Rutland",
        period="2024/25",
    )
    (tmp_path / "sotn" / "a" / "sotn.xlsx").write_bytes(b"x")
    _manifest(tmp_path / "_failed" / "b", "broken")
    (tmp_path / "other" / "c").mkdir(parents=True)
    (tmp_path / "other" / "c" / "manifest.json").write_text("not json")
    entries = index_entries(tmp_path)
    assert [e["folder"] for e in entries] == ["sotn/a"]
    assert entries[0]["links"] == {
        "HTML": "sotn/a/sotn.html",
        "Excel": "sotn/a/sotn.xlsx",
        "Manifest": "sotn/a/manifest.json",
    }
    page = write_index(tmp_path).read_text()
    assert '<html lang="en-GB">' in page and "State &lt;of&gt; the Nation" in page
    assert "Rutland (E06000017)" in page and "Final" in page and "/secret" not in page
    assert 'href="sotn/a/sotn.xlsx"' in page and ".pdf" not in page and "<script" not in page


def test_index_lists_reports_at_any_depth_and_never_perfevals_own_folders(tmp_path):
    for folder in ("mine", "sotn/E06000017_2024-25", "drafts/2025/may", "_drafts/x"):
        _manifest(tmp_path / folder, "sotn")
    for hidden in (
        ".tmp-sotn-" + "a" * 32,
        "sotn/.E06000017_2024-25.old-1",
        ".locks/x",
        "_failed/y",
        "mine/.hidden",
    ):
        _manifest(tmp_path / hidden, "sotn")
    assert [e["folder"] for e in index_entries(tmp_path)] == [
        "_drafts/x",
        "drafts/2025/may",
        "mine",
        "sotn/E06000017_2024-25",
    ]
    page = write_index(tmp_path).read_text()
    assert 'href="mine/sotn.html"' in page and "4 report(s)" in page
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".index")] == []


# -- end to end -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sotn(tmp_path_factory):
    root = tmp_path_factory.mktemp("outputs")
    params = load_parameter_file(BUNDLED_PARAMS_DIR / "state_of_the_nation.yaml")
    return run_report(
        BUNDLED_NOTEBOOKS_DIR / "state_of_the_nation.ipynb",
        params,
        outputs_root=root,
        progress=False,
        status="Final",
    )


@pytest.mark.notebook
def test_sotn_workbook_values_equal_the_manifest_key_figures(sotn):
    wb = openpyxl.load_workbook(sotn.excel)
    tables = {
        name: fig["value"] for name, fig in sotn.key_figures.items() if fig["kind"] == "table"
    }
    assert len(tables) >= 5 and wb.sheetnames[3:] == sheet_names(list(tables))
    info = describe_report("State of the Nation", "x.ipynb", sotn.manifest["parameters"])
    for sheet in workbook_sheets(sotn.key_figures, info):
        if sheet.name in tables:
            header, rows = table_cells(wb[sheet.name])
            assert header == sheet.headers, sheet.name
            shown = [[None if v == MISSING_CELL else v for v in row] for row in sheet.rows]
            assert same_values(rows, shown), sheet.name
    # the indicator table is a sheet, its values those of the manifest (already as shown)
    header, rows = table_cells(wb["indicator_table"])
    indicator_table = tables["indicator_table"]
    assert header == indicator_table["columns"]
    assert same_values(
        rows, [[None if v == MISSING_CELL else v for v in row] for row in indicator_table["data"]]
    )


@pytest.mark.notebook
def test_sotn_run_records_the_title_block_and_updates_the_index(sotn):
    report = sotn.manifest["report"]
    assert report["council_name"] == "Rutland" and report["period"] == "2024/25"
    assert report["status"] == "Final" and report["title"] == "State of the Nation"
    assert sotn.manifest["report_files"]["state_of_the_nation.xlsx"]
    index = (sotn.output_dir.parent.parent / "index.html").read_text()
    assert 'href="state_of_the_nation/E06000017_2024-25/state_of_the_nation.html"' in index
    page = sotn.html.read_text()
    assert "<h1>State of the Nation</h1>" in page and ">Final</span>" in page


def test_data_facts_label_a_council_s_own_synthetic_pis_and_read_a_register_without_the_column(
    tmp_path,
):
    from perfeval.run.publish import _data_facts

    folder = tmp_path / "data"
    shutil.copytree(Path(__file__).parents[1] / "data" / "minimal", folder)
    name, sources = _data_facts({"data_dir": str(folder), "council": "E06000017"})
    assert name == "Rutland" and sources == ["synthetic test data (synthetic data)"]
    register = pd.read_csv(folder / "indicators.csv").drop(columns="synthetic")
    register.to_csv(folder / "indicators.csv", index=False)
    assert _data_facts({"data_dir": str(folder), "council": "E06000017"})[1] == [
        "synthetic test data (published figures)"
    ]
