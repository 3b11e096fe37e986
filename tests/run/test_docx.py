"""Tests of perfeval.run.docx: the report as a Word document, read back with python-docx.

Unit tests build documents from hand-made blocks and fragments; the tests marked ``notebook`` run
tests/notebooks/sections.ipynb (a Section of every kind, show_* fragments and a DataFrame) and
every bundled report through ``run_report(..., docx=True)`` and check what Word's accessibility
checker checks: headings in order, alt text and a caption on every picture, a repeating header
row on every table, no empty cells, the title block and properties, and en-GB; and that the
package keeps the rules Word and LibreOffice need to open it (:mod:`perfeval.run.docxcheck`),
each rule shown to catch a document broken on purpose. When LibreOffice is installed, a report's
document is converted to PDF and to text with it.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from matplotlib.figure import Figure

from perfeval.core.exceptions import ParameterError, RunError
from perfeval.core.paths import BUNDLED_NOTEBOOKS_DIR, BUNDLED_PARAMS_DIR
from perfeval.present.html import show_table
from perfeval.present.section import SECTION_MIME, Bullets, Chart, Section, Table, Text, figure_png
from perfeval.run.cli import build_parser, main
from perfeval.run.docx import (
    EMPTY_CELL,
    EMPTY_CELL_NOTE,
    Heading,
    build_document,
    even_heading_levels,
    html_blocks,
    markdown_blocks,
    output_blocks,
    plain_inline,
    section_blocks,
    write_docx,
)
from perfeval.run.docxcheck import docx_problems
from perfeval.run.parameters import load_folder_schemas, load_parameter_file
from perfeval.run.publish import ReportInfo, data_status
from perfeval.run.runner import run_report
from perfeval.run.verify import check_report_files
from perfeval.run.workspace import read_workspace

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SECTIONS, BROKEN = NOTEBOOKS / "sections.ipynb", NOTEBOOKS / "broken.ipynb"
load_folder_schemas(NOTEBOOKS)
INFO = ReportInfo(
    title="Test report",
    notebook="t.ipynb",
    published="2025-05-01",
    status="Final",
    council="E06000017",
    council_name="Rutland",
    period="2024-25",
    sources=["LG Inform (synthetic sample data)"],
)
#: A small chart as the sections carry it (base64 PNG).
PNG = figure_png(Figure(figsize=(1, 1)))


# -- reading a document back ----------------------------------------------------------------------


def _heading_level(paragraph) -> int | None:
    name = paragraph.style.name
    return int(name.split()[-1]) if name.startswith("Heading ") else None


def _body(document) -> list:
    return list(document.iter_inner_content())


def assert_accessible_docx(path: Path, title: str) -> docx.document.Document:
    """Check what Word's accessibility checker checks, and the title block; return the
    document."""
    assert docx_problems(path.read_bytes()) == [], (
        "the package keeps Word's and LibreOffice's rules"
    )
    document = docx.Document(str(path))
    body = _body(document)
    headings = [
        (_heading_level(p), p.text) for p in body if not hasattr(p, "rows") and _heading_level(p)
    ]
    assert headings[0] == (1, title), "the title comes first, as Heading 1"
    levels = [level for level, _ in headings]
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), f"a level is skipped: {levels}"
    assert headings[-1][1] == "Symbols used in tables"
    facts = [p.text for p in body[1:7] if not hasattr(p, "rows")]
    assert any(f.startswith("Published: ") for f in facts)
    assert any(f.startswith("Status: ") for f in facts)
    assert document.core_properties.title == title
    assert document.core_properties.language == "en-GB"
    lang = document.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:lang"))
    assert lang.get(qn("w:val")) == "en-GB"
    for shape in document.inline_shapes:
        assert shape._inline.docPr.get("descr", "").strip(), "every picture has alt text"
    pictures = [
        i for i, p in enumerate(body) if not hasattr(p, "rows") and p._p.xpath(".//wp:docPr")
    ]
    assert len(pictures) == len(document.inline_shapes)
    for i in pictures:
        assert body[i + 1].style.name == "Caption" and body[i + 1].text.strip()
    for i, block in enumerate(body):
        if not hasattr(block, "rows"):
            continue
        assert body[i - 1].style.name == "Caption" and body[i - 1].text.strip(), "caption above"
        first = block.rows[0]._tr.trPr
        assert first is not None and first.find(qn("w:tblHeader")) is not None
        assert block._tbl.tblPr.find(qn("w:tblCaption")) is not None
        assert all(cell.text.strip() for row in block.rows for cell in row.cells), "empty cell"
    return document


# -- markdown, HTML and sections into blocks ------------------------------------------------------


def test_inline_markdown_is_plain_text():
    assert (
        plain_inline("**Bold** and *italic*, `code` and [a link](https://x.org)")
        == "Bold and italic, code and a link"
    )
    assert (
        plain_inline("snake_case_name stays; 3 * 4 * 5 stays")
        == "snake_case_name stays; 3 * 4 * 5 stays"
    )
    assert plain_inline("A &amp; B <em>now</em>") == "A & B now"


def test_markdown_gives_headings_paragraphs_and_lists():
    blocks = markdown_blocks(
        "## Money\n\nFirst line\nsecond line.\n\n- one\n- *two*\n  more\n1. three\n\n### Detail"
    )
    assert blocks == [
        Heading("Money", 2),
        Text("First line second line."),
        Bullets(("one", "two more", "three")),
        Heading("Detail", 3),
    ]


def test_perfeval_table_fragment_keeps_caption_header_row_header_and_note():
    import pandas as pd

    frame = pd.DataFrame({"Area": ["North", "South"], "Visits": ["1,200", ""]})
    fragment = str(show_table(frame, "Visits by area", row_header="Area", note="Rounded."))
    [table] = html_blocks(fragment)
    assert table == Table(
        columns=("Area", "Visits"),
        rows=(("North", "1,200"), ("South", "")),
        caption="Visits by area",
        row_header="Area",
        numeric=(False, True),
        note="Rounded.",
    )


def test_dataframe_html_merges_its_index_name_into_the_header():
    import pandas as pd

    frame = pd.DataFrame({"value": [1.5, 2.0]}, index=pd.Index(["A", "B"], name="area"))
    [table] = html_blocks(frame.to_html())
    assert table.columns == ("area", "value") and table.rows == (("A", "1.5"), ("B", "2.0"))
    assert table.row_header == "area" and table.caption == ""


def test_html_figure_paragraphs_and_loose_text():
    fragment = (
        f'<style>p {{ color: red }}</style><p class="caveat">Careful &amp; slow.</p>'
        f'<figure><img src="data:image/png;base64,{PNG}" alt="A dot."><figcaption>One '
        f"dot</figcaption></figure>loose <b>text</b><ul><li>a</li><li>b</li></ul>"
    )
    assert html_blocks(fragment) == [
        Text("Careful & slow.", "caveat"),
        Chart(PNG, "A dot.", "One dot"),
        Text("loose text"),
        Bullets(("a", "b")),
    ]


def test_section_description_is_read_and_other_versions_refused():
    section = Section(heading="Part").text("A.").bullets(["x"]).caveat("C.")
    blocks = output_blocks(
        {
            "output_type": "display_data",
            "data": {SECTION_MIME: section.to_json(), "text/html": "<p>A.</p>"},
        }
    )
    assert blocks == [Heading("Part", 2), Text("A."), Bullets(("x",)), Text("C.", "caveat")]
    with pytest.raises(RunError, match="version 99"):
        section_blocks({"version": 99, "blocks": []})
    with pytest.raises(RunError, match="text, chart, table and bullets"):
        section_blocks({"version": 1, "blocks": [{"kind": "video"}]})


def test_heading_levels_are_evened_out_below_the_title():
    blocks = [Heading("a", 4), Text("x"), Heading("b", 2), Heading("c", 5), Heading("d", 1)]
    assert [b.level for b in even_heading_levels(blocks) if isinstance(b, Heading)] == [2, 2, 3, 1]


def test_data_status_names_published_and_synthetic_sources():
    assert (
        data_status(["A (synthetic sample data)", "B (synthetic sample data)"])
        == "synthetic sample data"
    )
    assert (
        data_status(["A (synthetic data)", "B (published figures)"])
        == "published figures and synthetic data"
    )
    assert data_status([]) is None


# -- the document ---------------------------------------------------------------------------------


def _sample_blocks() -> list:
    return [
        Heading("Results", 2),
        Text("Two areas."),
        Chart(PNG, "A dot.", "One dot"),
        Table(
            columns=("", "Visits"),
            rows=(("North", "1,200"), ("South", "")),
            caption="Visits",
            row_header=None,
            numeric=(False, True),
        ),
        Table(columns=("A",), rows=(), caption="Nothing here."),
        Bullets((), "Exceptions"),
        Heading("Detail", 3),
    ]


def test_document_is_accessible_and_fills_empty_cells(tmp_path):
    path = tmp_path / "r.docx"
    document = build_document(_sample_blocks(), INFO)
    document.save(str(path))
    document = assert_accessible_docx(path, "Test report")
    texts = [p.text for p in document.paragraphs]
    assert texts[1:6] == [
        "Council: Rutland (E06000017)",
        "Period: 2024-25",
        "Published: 1 May 2025",
        "Status: Final",
        "Data: synthetic sample data",
    ]
    [table] = document.tables
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["Row label", "Visits"],
        ["North", "1,200"],
        ["South", EMPTY_CELL],
    ]
    assert EMPTY_CELL_NOTE in texts and "Nothing here: no rows to show." in texts
    assert texts[texts.index("Exceptions") + 1] == "None."
    assert document.inline_shapes[0]._inline.docPr.get("descr") == "A dot."


def test_title_block_says_when_the_data_folder_mixes_published_and_synthetic_data(tmp_path):
    info = replace(INFO, sources=["A (published figures)", "B (synthetic sample data)"])
    texts = [p.text for p in build_document([], info).paragraphs]
    assert (
        "Data: published figures and synthetic sample data in the data folder (the report's "
        "data note says which it uses)" in texts
    )


def test_same_notebook_gives_the_same_bytes_dated_with_the_run(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    cell = new_code_cell(
        "s",
        outputs=[
            new_output(
                "display_data",
                data={SECTION_MIME: Section().text("A.").to_json(), "text/html": "<p>A.</p>"},
            )
        ],
    )
    nb = nbformat.from_dict(new_notebook(cells=[new_markdown_cell("## Part\n\nText."), cell]))
    first = write_docx(tmp_path / "a.docx", nb, INFO).read_bytes()
    assert write_docx(tmp_path / "b.docx", nb, INFO).read_bytes() == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2025, 5, 1, 0, 0, 0)}
    assert docx.Document(io.BytesIO(first)).core_properties.created == dt.datetime(
        2025, 5, 1, tzinfo=dt.UTC
    )


def test_a_chart_that_is_not_a_png_is_a_run_error(tmp_path):
    with pytest.raises(RunError, match="not a PNG"):
        build_document([Chart(base64.b64encode(b"not a picture").decode(), "A.", "B")], INFO)


# -- the package: what Word and LibreOffice need to open it ---------------------------------------


def _sample_docx(*extra) -> bytes:
    buffer = io.BytesIO()
    build_document([*_sample_blocks(), *extra], INFO).save(buffer)
    return buffer.getvalue()


def _changed(data: bytes, part: str, pattern: str, replacement: str) -> bytes:
    """The document with the first match of ``pattern`` in ``part`` replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            content = source.read(entry)
            if entry.filename == part:
                text, found = re.subn(pattern, replacement, content.decode(), count=1)
                assert found, f"{pattern!r} is not in {part}"
                content = text.encode()
            target.writestr(entry, content)
    return out.getvalue()


def test_a_written_document_keeps_every_package_rule():
    assert docx_problems(_sample_docx(Chart(PNG, "Another dot.", "Two dots"))) == []


@pytest.mark.parametrize(
    "part, pattern, replacement, problem",
    [
        ("word/document.xml", "</w:document>", "", "word/document.xml is not well-formed XML"),
        ("word/document.xml", ' descr="A dot."', "", "drawing 1 ('Picture 1') has no alt text"),
        (
            "word/document.xml",
            'id="2" name="Picture 2"',
            'id="1" name="Picture 2"',
            "wp:docPr id '1' is used by 2 drawings",
        ),
        ("word/document.xml", "<w:gridCol [^>]*/>", "", "table 1 has 1 w:gridCol for 2 columns"),
        (
            "word/document.xml",
            "(<w:tc><w:tcPr>.*?</w:tcPr>)<w:p>.*?</w:p>",
            r"\1",
            "table 1 has a cell that does not end with a w:p",
        ),
        (
            "word/document.xml",
            'r:embed="rId9"',
            'r:embed="rId99"',
            "blip refers to relationship 'rId99'",
        ),
        ("word/document.xml", 'w:val="Caption"', 'w:val="Kaption"', "uses style 'Kaption'"),
        ("word/styles.xml", '<w:numId w:val="1"/>', '<w:numId w:val="99"/>', "numbering '99'"),
        ("word/document.xml", "</w:body>", "<w:p/></w:body>", "does not end with w:sectPr"),
        (
            "word/document.xml",
            '<wp:extent cx="[0-9]+"',
            '<wp:extent cx="9000000"',
            "picture 1 is 25.00 cm wide, wider than the 15.92 cm between the margins",
        ),
        (
            "word/_rels/document.xml.rels",
            'Target="media/image1.png"',
            'Target="media/image9.png"',
            "relationship 'rId9' points to word/media/image9.png, which is not in the package",
        ),
        (
            "[Content_Types].xml",
            '<Default Extension="png" ContentType="image/png"/>',
            "",
            "gives no content type to word/media/image1.png",
        ),
        (
            "[Content_Types].xml",
            "</Types>",
            '<Override PartName="/word/comments.xml" ContentType="application/xml"/></Types>',
            "overrides /word/comments.xml, which is not in the package",
        ),
    ],
)
def test_each_package_rule_catches_a_document_broken_on_purpose(
    part, pattern, replacement, problem
):
    broken = _changed(
        _sample_docx(Chart(PNG, "Another dot.", "Two dots")), part, pattern, replacement
    )
    problems = docx_problems(broken)
    assert any(problem in p for p in problems), problems


def test_duplicate_part_names_and_a_file_that_is_not_a_zip_are_problems():
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_sample_docx())) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            target.writestr(entry, source.read(entry))
        target.writestr("Word/Document.xml", source.read("word/document.xml"))
    assert "the zip holds 2 entries named 'word/document.xml'" in docx_problems(out.getvalue())[0]
    assert docx_problems(b"PK not a zip")[0].startswith("the file is not a zip archive")


def test_pictures_are_scaled_to_the_text_width_of_an_a4_page():
    from docx.shared import Cm
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2400, 600), "white").save(buffer, format="PNG", dpi=(100, 100))
    wide = base64.b64encode(buffer.getvalue()).decode()  # 24 cm by 6 cm at 100 dpi
    document = build_document([Chart(wide, "A wide chart.", "Wide")], INFO)
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    text_width = section.page_width - section.left_margin - section.right_margin
    [shape] = document.inline_shapes
    assert shape.width == text_width and abs(text_width - Cm(15.92)) < Cm(0.01)
    assert shape.height == pytest.approx(text_width / 4, rel=0.01)  # the 4:1 shape is kept


# -- configuration and command line ---------------------------------------------------------------


def test_workspace_outputs_docx_default(tmp_path):
    config = tmp_path / "perfeval.toml"
    config.write_text('[workspace]\ndata = ""\n')
    assert read_workspace(config).docx is False
    config.write_text('[workspace]\ndata = ""\n[outputs]\ndocx = true\n')
    assert read_workspace(config).docx is True
    config.write_text('[workspace]\ndata = ""\n[outputs]\ndocx = "yes"\ndoc = true\n')
    with pytest.raises(ParameterError) as caught:
        read_workspace(config)
    assert "[outputs] docx must be true or false" in str(caught.value)
    assert "unknown key 'doc' in [outputs] (did you mean 'docx'?)" in str(caught.value)


def test_cli_docx_flag_defaults_to_the_workspace():
    parser = build_parser()
    assert parser.parse_args(["run", "x"]).docx is None
    assert parser.parse_args(["run", "x", "--docx"]).docx is True
    assert parser.parse_args(["run", "x", "--no-docx"]).docx is False


def test_run_report_refuses_a_docx_that_is_not_true_or_false(tmp_path):
    with pytest.raises(ParameterError, match="docx: expected True or False"):
        run_report(SECTIONS, {}, outputs_root=tmp_path, docx="yes", progress=False)


# -- end to end -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sections_runs(tmp_path_factory):
    return [
        run_report(
            SECTIONS, {}, outputs_root=tmp_path_factory.mktemp("outputs"), progress=False, docx=True
        )
        for _ in range(2)
    ]


@pytest.mark.notebook
def test_sections_notebook_gives_an_accessible_word_document(sections_runs):
    result = sections_runs[0]
    assert result.docx == result.output_dir / "sections.docx"
    document = assert_accessible_docx(result.docx, "Sections test report")
    body = _body(document)
    headings = [p.text for p in body if not hasattr(p, "rows") and _heading_level(p)]
    assert headings == [
        "Sections test report",
        "Headline figures",
        "Detail skipped a level",
        "Summary",
        "Symbols used in tables",
    ]
    texts = [p.text for p in document.paragraphs]
    assert "Rutland: the North has the largest share of visits." in texts
    assert "The figures are synthetic." in texts and "A sentence shown with show_text." in texts
    assert "first point with code" in texts and "Data: " in " ".join(texts)
    assert [t.rows[0].cells[0].text for t in document.tables] == ["Area", "Year", "area"]
    visits = document.tables[0]
    assert [c.text for c in visits.rows[2].cells] == ["South", EMPTY_CELL, "41.0%"]
    assert len(document.inline_shapes) == 1


@pytest.mark.notebook
def test_two_runs_give_the_same_docx_bytes_and_verify_checks_it(sections_runs):
    first, second = sections_runs
    assert first.docx.read_bytes() == second.docx.read_bytes()
    assert "sections.docx" in first.manifest["report_files"]
    first.docx.write_bytes(first.docx.read_bytes() + b"\0")
    changes, _ = check_report_files(first.output_dir, first.manifest["report_files"])
    assert [line.split(":")[0] for line in changes] == ["sections.docx"]


@pytest.mark.notebook
def test_perfeval_run_docx_writes_the_document_and_says_where(tmp_path, capsys):
    assert (
        main(["run", str(SECTIONS), "--outputs-root", str(tmp_path), "--docx", "--no-progress"])
        == 0
    )
    printed = capsys.readouterr().out
    word = tmp_path / "sections" / "E06000017_2024-25" / "sections.docx"
    assert f"Word:     {word}" in printed and "sections.ods" in printed
    assert_accessible_docx(word, "Sections test report")


@pytest.mark.notebook
def test_the_workspace_default_writes_the_document_unless_the_run_says_no(tmp_path):
    config = tmp_path / "perfeval.toml"
    config.write_text('[workspace]\ndata = ""\n[outputs]\ndocx = true\n')
    workspace = read_workspace(config)
    assert run_report(SECTIONS, {}, workspace=workspace, progress=False).docx.is_file()
    again = run_report(SECTIONS, {}, workspace=workspace, progress=False, docx=False)
    assert again.docx is None and not (again.output_dir / "sections.docx").exists()


@pytest.mark.notebook
def test_a_failed_run_leaves_no_word_document_behind(tmp_path):
    with pytest.raises(RunError):
        run_report(BROKEN, {}, outputs_root=tmp_path, progress=False, docx=True)
    assert not [p for p in tmp_path.rglob("*") if p.suffix in (".docx", ".ods")]


@pytest.mark.notebook
@pytest.mark.parametrize("stem", sorted(p.stem for p in BUNDLED_NOTEBOOKS_DIR.glob("*.ipynb")))
def test_every_bundled_report_gives_an_accessible_word_document(stem, tmp_path):
    params = load_parameter_file(BUNDLED_PARAMS_DIR / f"{stem}.yaml")
    result = run_report(
        BUNDLED_NOTEBOOKS_DIR / f"{stem}.ipynb",
        params,
        outputs_root=tmp_path,
        progress=False,
        docx=True,
    )
    document = assert_accessible_docx(result.docx, result.manifest["report"]["title"])
    assert len(document.tables) >= 1 and len(document.paragraphs) > 10


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _soffice_convert(document: Path, to: str, folder: Path) -> Path:
    """Convert with headless LibreOffice in a profile of its own (so runs never share one)."""
    completed = subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(folder),
            str(document),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    converted = folder / f"{document.stem}.{to.split(':')[0]}"
    assert converted.is_file(), (
        f"LibreOffice did not convert: {completed.stdout} {completed.stderr}"
    )
    return converted


@pytest.mark.notebook
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_a_reports_document_and_prints_it_to_pdf(sections_runs, tmp_path):
    """Issue #16: the document opens in LibreOffice. LibreOffice converts the sections report's
    .docx to PDF (pages and the chart in it) and to text (the title, a sentence and a table's
    cells survive). CI does not install LibreOffice, so there this test is skipped; install
    ``libreoffice-writer-nogui`` (Debian, Ubuntu) to run it."""
    document = sections_runs[0].docx
    pdf = _soffice_convert(document, "pdf", tmp_path).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) >= 1
    assert len(re.findall(rb"/Subtype\s*/Image", pdf)) >= 1, "the chart is in the PDF"
    text = _soffice_convert(document, "txt:Text (encoded):UTF8", tmp_path).read_text("utf-8-sig")
    lines = [line.strip() for line in text.splitlines()]
    assert lines[0] == "Sections test report"
    assert "Rutland: the North has the largest share of visits." in lines
    assert "South" in lines and EMPTY_CELL in lines
