"""The report as a Word document (``<stem>.docx``), from the same sections as the HTML.

:func:`notebook_blocks` reads an executed notebook (prepared for publication: code, stderr,
key-figure outputs and the title heading taken out) into blocks in reading order: headings and
paragraphs from its markdown cells (simple markdown: ``#`` headings, paragraphs, bulleted and
numbered lists, with ``**bold**``, ``*italic*`` and ```code``` markers removed); every displayed
:class:`perfeval.present.section.Section` from its JSON description (:data:`SECTION_MIME`:
sentences, charts with alt text and caption, tables, lists), and any other output from perfeval's
own simple HTML (``show_text``, ``show_table``, a DataFrame), its PNG or its plain text.
:func:`write_docx` writes them after a title block, ending with the legend of statistical symbols.

The document follows Word's accessibility checker: the title in the document properties and as
Heading 1, then Heading 2 and 3 with no skipped level; every picture with alt text (``descr`` on
its ``wp:docPr``) and a caption under it; every table with a caption above it, a header row that
repeats across pages (``w:tblHeader``) and no empty cell (an en dash, with a note saying what it
means); language en-GB. The page is A4 and no picture is wider than the text.
:func:`perfeval.run.docxcheck.docx_problems` checks the rest of what Word and LibreOffice need
to open the file (well-formed parts, content types, relationships, unique drawing ids, table
grids, styles and numbering that exist). The same inputs give the same bytes: the core
properties are dated with the run's date and the zip entries carry that date too
(:func:`perfeval.run.publish.zip_bytes`).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal

import perfeval
from perfeval.core.exceptions import RunError
from perfeval.present.section import SECTION_MIME, SECTION_VERSION, Bullets, Chart, Table, Text
from perfeval.run.publish import ReportInfo, data_status, long_date, symbol_items, zip_bytes

__all__ = [
    "Heading",
    "DocBlock",
    "EMPTY_CELL",
    "EMPTY_CELL_NOTE",
    "plain_inline",
    "markdown_blocks",
    "html_blocks",
    "section_blocks",
    "output_blocks",
    "notebook_blocks",
    "even_heading_levels",
    "build_document",
    "write_docx",
]

#: What a table cell with nothing to show holds in the Word document (never an empty cell).
EMPTY_CELL = "\u2013"
#: The note added under a table that has such a cell.
EMPTY_CELL_NOTE = f"{EMPTY_CELL} marks a cell with nothing to show."
#: The page: A4 portrait (the UK's paper, and the PDF report's) with 2.54 cm margins;
#: python-docx's template is US Letter with 3.17 cm side margins (15.24 cm of text width).
_PAGE_CM = (21.0, 29.7)
_MARGIN_CM = 2.54
_LANGUAGE = "en-GB"
_GENERIC_ALT = "A chart from the notebook; it was shown without a text alternative."


@dataclass(frozen=True)
class Heading:
    """A heading of the document, level 1 (the title) to 6."""

    text: str
    level: int
    kind: Literal["heading"] = "heading"


DocBlock = Heading | Text | Chart | Table | Bullets


# ---------------------------------------------------------------------------------------------
# Markdown cells

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_MD_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_MD_MARKERS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\3(?![\w*])")


def plain_inline(text: str) -> str:
    """Markdown or HTML inline text as plain text: links as their text, emphasis and code
    markers and tags removed, entities decoded, white space collapsed."""
    text = _MD_LINK.sub(lambda m: m.group(1) or m.group(2), text)
    text = text.replace("`", "")
    previous = None
    while previous != text:
        previous, text = text, _MD_MARKERS.sub(lambda m: m.group(2) or m.group(4), text)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"\s+", " ", text).strip()


def markdown_blocks(source: str) -> list[DocBlock]:
    """The blocks of a markdown cell: headings, paragraphs (lines joined) and lists."""
    blocks: list[DocBlock] = []
    lines: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if lines and plain_inline(" ".join(lines)):
            blocks.append(Text(plain_inline(" ".join(lines))))
        if items:
            blocks.append(Bullets(tuple(items)))
        lines.clear()
        items.clear()

    for line in source.splitlines():
        heading, item = _MD_HEADING.match(line), _MD_ITEM.match(line)
        if heading:
            flush()
            blocks.append(Heading(plain_inline(heading.group(2)), len(heading.group(1))))
        elif item:
            if lines:
                flush()
            items.append(plain_inline(item.group(1)))
        elif not line.strip():
            flush()
        elif items and line.startswith((" ", "\t")):
            items[-1] = plain_inline(f"{items[-1]} {line}")
        else:
            if items:
                flush()
            lines.append(line)
    flush()
    return blocks


# ---------------------------------------------------------------------------------------------
# HTML outputs (perfeval's show_* fragments, DataFrames)


class _FragmentParser(HTMLParser):
    """Reads the simple HTML of perfeval's fragments into blocks (see :func:`html_blocks`)."""

    _BLOCKS = {
        "p",
        "pre",
        "li",
        "caption",
        "figcaption",
        "th",
        "td",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[DocBlock] = []
        self._text: list[str] = []
        self._css = ""
        self._skip = 0
        self._items: list[str] | None = None
        self._table: dict[str, Any] | None = None
        self._cell: dict[str, Any] | None = None
        self._figure: dict[str, str] | None = None

    def _collected(self) -> str:
        text = re.sub(r"\s+", " ", "".join(self._text)).strip()
        self._text = []
        return text

    def _loose(self) -> None:
        text = self._collected()
        if text:
            self.blocks.append(Text(text))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag in ("style", "script"):
            self._skip += 1
        elif self._table is not None:
            self._table_start(tag, found)
        elif tag in self._BLOCKS or tag in ("ul", "ol", "figure"):
            self._loose()
            self._css = found.get("class", "")
            if tag in ("ul", "ol"):
                self._items = []
            elif tag == "figure":
                self._figure = {"png": "", "alt": "", "caption": ""}
        elif tag == "table":
            self._loose()
            self._table = {"caption": "", "head": [], "body": [], "in_head": False, "row": None}
        elif tag == "img":
            self._image(found)
        elif tag == "br":
            self._text.append(" ")

    def _image(self, found: Mapping[str, str]) -> None:
        src = found.get("src", "")
        if not src.startswith("data:image/png;base64,"):
            return
        png = src.split(",", 1)[1]
        if self._figure is not None:
            self._figure.update(png=png, alt=found.get("alt", ""))
        else:
            self.blocks.append(Chart(png, found.get("alt") or _GENERIC_ALT, ""))

    def _table_start(self, tag: str, found: Mapping[str, str]) -> None:
        table = self._table
        assert table is not None
        if tag == "thead":
            table["in_head"] = True
        elif tag == "tbody":
            table["in_head"] = False
        elif tag == "tr":
            table["row"] = []
        elif tag in ("th", "td"):
            self._text = []
            self._cell = {
                "header": tag == "th",
                "scope": found.get("scope", ""),
                "num": "num" in found.get("class", "").split(),
            }
        elif tag == "caption":
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)
        elif self._table is not None:
            self._table_end(tag)
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = self._collected()
            if text:
                self.blocks.append(Heading(text.replace("\u00b6", "").strip(), int(tag[1])))
        elif tag == "li" and self._items is not None:
            self._items.append(self._collected())
        elif tag in ("ul", "ol") and self._items is not None:
            self.blocks.append(Bullets(tuple(i for i in self._items if i)))
            self._items = None
        elif tag == "figcaption" and self._figure is not None:
            self._figure["caption"] = self._collected()
        elif tag == "figure" and self._figure is not None:
            figure, self._figure = self._figure, None
            if figure["png"]:
                self.blocks.append(
                    Chart(
                        figure["png"],
                        figure["alt"] or figure["caption"] or _GENERIC_ALT,
                        figure["caption"],
                    )
                )
        elif tag in ("p", "pre"):
            self._paragraph(self._collected())

    def _paragraph(self, text: str) -> None:
        if not text:
            return
        last = self.blocks[-1] if self.blocks else None
        if "table-note" in self._css.split() and isinstance(last, Table):
            self.blocks[-1] = replace(last, note=" ".join(filter(None, (last.note, text))))
        else:
            self.blocks.append(Text(text, self._css.split()[0] if self._css else "finding"))

    def _table_end(self, tag: str) -> None:
        table = self._table
        assert table is not None
        if tag in ("th", "td") and self._cell is not None and table["row"] is not None:
            table["row"].append({**self._cell, "text": self._collected()})
            self._cell = None
        elif tag == "tr" and table["row"] is not None:
            all_headers = all(cell["header"] and cell["scope"] != "row" for cell in table["row"])
            head = table["in_head"] or (not table["head"] and not table["body"] and all_headers)
            table["head" if head else "body"].append(table["row"])
            table["row"] = None
        elif tag == "caption":
            table["caption"] = self._collected()
        elif tag == "table":
            self._table = None
            self.blocks.append(_table_from_rows(table))

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._text.append(data)

    def close(self) -> None:
        super().close()
        self._loose()


def _table_from_rows(table: Mapping[str, Any]) -> Table:
    """A :class:`Table` from parsed rows: the header rows merged column by column (a
    DataFrame's index name row joins its column row), body cells that are ``<th>`` make the
    first column the row header."""
    body = [[cell["text"] for cell in row] for row in table["body"]]
    width = max([len(row) for row in table["head"] + table["body"]] or [0])
    columns = []
    for position in range(width):
        parts = [
            row[position]["text"]
            for row in table["head"]
            if position < len(row) and row[position]["text"]
        ]
        columns.append(" ".join(parts))
    rows = tuple(tuple(row + [""] * (width - len(row))) for row in body)
    row_header = (
        (columns[0] or None)
        if table["body"] and width and all(row and row[0]["header"] for row in table["body"])
        else None
    )
    numeric = tuple(
        any(row[p]["num"] for row in table["body"] if p < len(row)) for p in range(width)
    )
    return Table(
        columns=tuple(columns),
        rows=rows,
        caption=table["caption"],
        row_header=row_header,
        numeric=numeric,
    )


def html_blocks(fragment: str) -> list[DocBlock]:
    """The blocks of an HTML fragment as perfeval's ``show_*`` functions and pandas write it:
    headings, paragraphs (``class="table-note"`` joins the table before it), lists, tables
    (caption, header rows, row headers), figures (PNG, alt, figcaption) and loose text."""
    parser = _FragmentParser()
    parser.feed(fragment)
    parser.close()
    return parser.blocks


# ---------------------------------------------------------------------------------------------
# Sections and other outputs


def _section_block(item: Mapping[str, Any]) -> DocBlock:
    kind = item.get("kind")
    if kind == "text":
        return Text(str(item["text"]), str(item.get("css_class") or "finding"))
    if kind == "chart":
        return Chart(str(item["png"]), str(item["alt"]), str(item.get("caption") or ""))
    if kind == "table":
        return Table(
            columns=tuple(map(str, item["columns"])),
            rows=tuple(tuple(map(str, row)) for row in item["rows"]),
            caption=str(item.get("caption") or ""),
            row_header=item.get("row_header"),
            numeric=tuple(bool(f) for f in item.get("numeric") or ()),
            note=item.get("note"),
        )
    if kind == "bullets":
        return Bullets(tuple(map(str, item["items"])), item.get("heading"))
    raise KeyError(kind)


def section_blocks(description: Mapping[str, Any]) -> list[DocBlock]:
    """The blocks of a section's JSON description (:data:`SECTION_MIME`), its heading first.

    Raises
    ------
    RunError
        If the description is of another version or has a block this writer does not know.
    """
    version = description.get("version")
    if version != SECTION_VERSION:
        raise RunError(
            f"a section in the notebook is described in version {version!r}, but "
            f"the Word writer reads version {SECTION_VERSION}; run the report with "
            f"the perfeval that wrote it, or reinstall perfeval"
        )
    heading = description.get("heading")
    blocks: list[DocBlock] = [Heading(str(heading), 2)] if heading else []
    for item in description.get("blocks") or []:
        try:
            blocks.append(_section_block(item))
        except (KeyError, TypeError, ValueError) as err:
            raise RunError(
                f"a section in the notebook has a block the Word writer cannot read "
                f"({str(item)[:80]!r}: {type(err).__name__} {err}); its kinds are "
                f"text, chart, table and bullets"
            ) from err
    return blocks


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def output_blocks(output: Mapping[str, Any]) -> list[DocBlock]:
    """The blocks of one code-cell output: a section's description, else its HTML, else its
    PNG, else its plain text; a stdout stream as a paragraph; nothing for anything else."""
    if output.get("output_type") == "stream":
        text = _joined(output.get("text", "")).strip()
        return [Text(text, "output")] if text else []
    data = output.get("data") or {}
    if SECTION_MIME in data:
        return section_blocks(data[SECTION_MIME])
    if "text/html" in data:
        return html_blocks(_joined(data["text/html"]))
    if "image/png" in data:
        return [Chart(_joined(data["image/png"]).strip(), _GENERIC_ALT, "")]
    text = _joined(data.get("text/plain", "")).strip()
    return [Text(text, "output")] if text else []


def notebook_blocks(nb: Any) -> list[DocBlock]:
    """The blocks of a notebook prepared for publication, in reading order."""
    blocks: list[DocBlock] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            blocks += markdown_blocks(_joined(cell.source))
        elif cell.cell_type == "code":
            for output in cell.get("outputs", []):
                blocks += output_blocks(output)
    return blocks


def even_heading_levels(blocks: Iterable[DocBlock], *, after: int = 1) -> list[DocBlock]:
    """Headings in order with no skipped level: each at most one below the heading before it
    (the first at most one below ``after``, the title's level), as the HTML report does."""
    previous, result = after, []
    for block in blocks:
        if isinstance(block, Heading):
            block = replace(block, level=max(1, min(block.level, previous + 1)))
            previous = block.level
        result.append(block)
    return result


# ---------------------------------------------------------------------------------------------
# Writing the document


def _set_language(document: Any) -> None:
    """en-GB as the language of every run (the default run properties of the styles part) and
    of the theme's fonts (the settings part)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    for attribute in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attribute), _LANGUAGE)
    theme = document.settings.element.find(qn("w:themeFontLang"))
    if theme is not None:
        theme.set(qn("w:val"), _LANGUAGE)


def _set_properties(document: Any, info: ReportInfo) -> None:
    """The document's title, subject, author, language and dates (the run's date)."""
    day = dt.date.fromisoformat(info.published[:10])
    moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    props = document.core_properties
    props.title = info.title
    props.subject = " - ".join(p for p in (info.council_label, info.period) if p)
    props.author = props.last_modified_by = "perfeval"
    props.language = _LANGUAGE
    props.created = props.modified = moment
    props.revision = 1
    props.comments = f"Produced by perfeval {perfeval.__version__} from {info.notebook}."


def _set_page(document: Any) -> None:
    """Every section on A4 portrait with :data:`_MARGIN_CM` margins."""
    from docx.shared import Cm

    for section in document.sections:
        section.page_width, section.page_height = Cm(_PAGE_CM[0]), Cm(_PAGE_CM[1])
        for side in ("left", "right", "top", "bottom"):
            setattr(section, f"{side}_margin", Cm(_MARGIN_CM))


def _text_width(document: Any) -> int:
    """The width between the margins of the document's last section, in EMU."""
    section = document.sections[-1]
    return int(section.page_width - section.left_margin - section.right_margin)


def _fact(document: Any, label: str, value: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.add_run(f"{label}: ").bold = True
    paragraph.add_run(value)


def _data_line(sources: Sequence[str]) -> str | None:
    """The title block's line on the data: published figures, synthetic or both (then the
    report's own data note says which of them it uses)."""
    status = data_status(sources)
    if status is None or " and " not in status:
        return status
    return f"{status} in the data folder (the report's data note says which it uses)"


def _add_title_block(document: Any, info: ReportInfo) -> None:
    """The title (Heading 1) and the facts the HTML title block shows, with the data's
    status (published or synthetic)."""
    document.add_heading(info.title, level=1)
    facts = (
        ("Council", info.council_label),
        ("Period", info.period),
        ("Published", long_date(info.published)),
        ("Status", info.status),
        ("Data", _data_line(info.sources)),
    )
    for label, value in facts:
        if value:
            _fact(document, label, value)


def _keep_with_next(paragraph: Any) -> None:
    paragraph.paragraph_format.keep_with_next = True


def _add_chart(document: Any, block: Chart) -> None:
    """The picture (alt text in ``descr``, at most as wide as the text) and its caption under
    it."""
    try:
        png = base64.b64decode(block.png, validate=False)
        shape = document.add_picture(io.BytesIO(png))
    except Exception as err:  # python-docx raises several kinds for an unreadable image
        raise RunError(
            f"the chart {block.caption or block.alt[:60]!r} could not be put in the "
            f"Word document ({type(err).__name__}: {err}); it is not a PNG"
        ) from err
    width = _text_width(document)
    if shape.width > width:
        shape.height = int(shape.height * width / shape.width)
        shape.width = width
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", block.alt)
    doc_pr.set("title", block.caption or block.alt[:80])
    _keep_with_next(document.paragraphs[-1])
    document.add_paragraph(block.caption or block.alt, style="Caption")


def _header_texts(columns: Sequence[str]) -> list[str]:
    return [
        c.strip() or ("Row label" if i == 0 else f"Column {i + 1}") for i, c in enumerate(columns)
    ]


def _mark_header_row(row: Any) -> None:
    """Mark a table row as a header row that repeats at the top of every page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), "true")
        tr_pr.append(element)


def _set_table_caption(table: Any, caption: str) -> None:
    """The table's caption in its properties (``w:tblCaption``, read by screen readers)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement("w:tblCaption")
    element.set(qn("w:val"), caption[:255])
    tbl_pr = table._tbl.tblPr
    layout = tbl_pr.find(qn("w:tblLayout"))
    # w:tblCaption comes late in CT_TblPr's sequence: after the layout, margins and look
    after = next(
        (
            tbl_pr.find(qn(t))
            for t in ("w:tblLook", "w:tblCellMar", "w:tblLayout")
            if tbl_pr.find(qn(t)) is not None
        ),
        layout,
    )
    if after is None:
        tbl_pr.append(element)
    else:
        after.addnext(element)


def _write_cell(cell: Any, text: str, *, bold: bool, right: bool) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph = cell.paragraphs[0]
    paragraph.add_run(text).bold = bold or None
    if right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _add_table(document: Any, block: Table, caption: str) -> None:
    """Caption above, header row repeated on every page, row headers in bold, numbers right
    aligned, no empty cell (:data:`EMPTY_CELL`, explained in the note under the table)."""
    if not block.rows:
        document.add_paragraph(f"{caption.rstrip('.')}: no rows to show.")
        return
    _keep_with_next(document.add_paragraph(caption, style="Caption"))
    columns = _header_texts(block.columns)
    numeric = list(block.numeric) + [False] * (len(columns) - len(block.numeric))
    table = document.add_table(rows=len(block.rows) + 1, cols=len(columns))
    table.style = "Table Grid"
    _set_table_caption(table, caption)
    rows = table.rows
    _mark_header_row(rows[0])
    for cell, text, right in zip(rows[0].cells, columns, numeric):
        _write_cell(cell, text, bold=True, right=right)
    header = block.columns.index(block.row_header) if block.row_header in block.columns else None
    empty = False
    for row, values in zip(rows[1:], block.rows):
        for position, (cell, text) in enumerate(zip(row.cells, values)):
            empty = empty or not text.strip()
            _write_cell(
                cell, text.strip() or EMPTY_CELL, bold=position == header, right=numeric[position]
            )
    note = " ".join(filter(None, (block.note, EMPTY_CELL_NOTE if empty else None)))
    if note:
        document.add_paragraph(note)


def _add_bullets(document: Any, block: Bullets) -> None:
    if block.heading:
        paragraph = document.add_paragraph()
        paragraph.add_run(block.heading).bold = True
        _keep_with_next(paragraph)
    for item in block.items or ("None.",):
        document.add_paragraph(item, style="List Bullet" if block.items else None)


def _add_symbol_legend(document: Any) -> None:
    """The legend of statistical symbols and flags, as the HTML report ends with it."""
    document.add_heading("Symbols used in tables", level=2)
    document.add_paragraph(
        "A symbol stands in a table in place of a number that cannot be "
        "shown; a flag after a number qualifies it. A zero is always a real "
        f"zero. In this document {EMPTY_CELL} marks a cell with nothing to "
        "show."
    )
    for symbol, meaning in symbol_items():
        document.add_paragraph(f"{symbol}: {meaning}", style="List Bullet")


def _add_block(document: Any, block: DocBlock, table_number: int) -> None:
    if isinstance(block, Heading):
        document.add_heading(block.text, level=min(block.level, 9))
    elif isinstance(block, Text):
        document.add_paragraph(block.text)
    elif isinstance(block, Chart):
        _add_chart(document, block)
    elif isinstance(block, Table):
        _add_table(document, block, block.caption or f"Table {table_number}")
    else:
        _add_bullets(document, block)


def build_document(blocks: Sequence[DocBlock], info: ReportInfo) -> Any:
    """A python-docx ``Document`` of the report: title block, ``blocks`` (their headings
    evened out below the title), the symbol legend and a line naming the notebook."""
    import docx

    document = docx.Document()
    _set_language(document)
    _set_properties(document, info)
    _set_page(document)
    _add_title_block(document, info)
    tables = 0
    for block in even_heading_levels(blocks):
        tables += isinstance(block, Table)
        _add_block(document, block, tables)
    _add_symbol_legend(document)
    document.add_paragraph(
        f"Produced by perfeval {perfeval.__version__} from {info.notebook} "
        f"on {long_date(info.published)}."
    )
    return document


def write_docx(path: str | Path, nb: Any, info: ReportInfo) -> Path:
    """Write the report's Word document.

    Parameters
    ----------
    path : str or Path
        The ``.docx`` file to write.
    nb : nbformat.NotebookNode
        The executed notebook, prepared for publication (as the HTML export prepares it: the
        title heading, code, stderr and key-figure outputs taken out).
    info : ReportInfo
        What the report is, for the title block and the document properties.

    Returns
    -------
    Path
        The file written; the same notebook and info always give the same bytes.

    Raises
    ------
    RunError
        If a section is of another version, or a chart is not a readable PNG.
    """
    buffer = io.BytesIO()
    build_document(notebook_blocks(nb), info).save(buffer)
    path = Path(path)
    path.write_bytes(zip_bytes(buffer.getvalue(), dt.date.fromisoformat(info.published[:10])))
    return path
