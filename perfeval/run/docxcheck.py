"""Checks a Word document's package against what Word and LibreOffice need to open it.

python-docx writes the parts it knows about and leaves the rest to its caller: the alt text of
a picture, the uniqueness of drawing ids, the table grid of a table whose cells were merged or
added by hand, styles and list numbering that exist in the template, relationships and content
types of parts added later. Word calls a document that breaks one of these rules "unreadable
content" and offers to repair it; LibreOffice opens some of them with pictures or tables lost.
:func:`docx_problems` reads the bytes of a ``.docx`` and says, in one list, everything that
breaks the rules below (ECMA-376 Part 1, WordprocessingML, and Part 2, Open Packaging
Conventions):

- the zip: no two entries with the same name, ignoring case (OPC part names are
  case-insensitive), no absolute or backslashed names, no encryption, only stored or deflated
  entries, and ``[Content_Types].xml`` and ``_rels/.rels`` present;
- every XML part (``.xml``, ``.rels``) well-formed, with no document type declaration;
- ``[Content_Types].xml`` gives every part a content type (an ``Override`` or a ``Default`` for
  its extension) and overrides no part that is missing; the main part is a WordprocessingML
  document;
- every relationship id of a part is unique, every internal target exists, and every ``r:id``,
  ``r:embed`` or ``r:link`` in a part names one of its relationships;
- every ``w:drawing`` has one ``wp:docPr`` with an ``id`` unique in the document and a
  non-empty ``descr`` (its alt text);
- every table has a ``w:tblGrid`` with one ``w:gridCol`` per column (cells counted with their
  ``w:gridSpan``), and every table cell ends with a paragraph;
- every paragraph, run and table style used is defined in ``word/styles.xml``, and every list
  numbering used (``w:numId``) is defined in ``word/numbering.xml``;
- the body ends with its section properties (``w:sectPr``), and no picture is wider than the
  space between the page's margins (LibreOffice draws it over the margin, Word over the edge).
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from lxml import etree

__all__ = ["docx_problems", "MAIN_CONTENT_TYPE"]

#: The content type of the main part of a Word document (not a template, not macro-enabled).
MAIN_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
)

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_PR = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOCUMENT = _R + "/officeDocument"
_NS = {"w": _W, "wp": _WP, "ct": _CT, "pr": _PR}
_REFERENCE_ATTRIBUTES = tuple(f"{{{_R}}}{name}" for name in ("id", "embed", "link"))
_EMU_PER_TWIP = 635
_STORY = ("word/document.xml", "word/header", "word/footer", "word/footnotes", "word/endnotes")


def docx_problems(data: bytes) -> list[str]:
    """Everything in a ``.docx`` that would stop Word or LibreOffice opening it as written.

    Parameters
    ----------
    data : bytes
        The document's bytes.

    Returns
    -------
    list of str
        One line per problem, naming the part (and the element) and what is wrong; empty when
        the document keeps every rule of this module's docstring.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        return [f"the file is not a zip archive ({err}); a .docx is one"]
    with archive:
        problems = zip_problems(archive.infolist())
        parts = {
            info.filename: archive.read(info)
            for info in archive.infolist()
            if not info.filename.endswith("/") and not info.flag_bits & 0x1
        }
    trees, malformed = parse_xml_parts(parts)
    problems += malformed
    problems += content_type_problems(set(parts), trees.get("[Content_Types].xml"))
    problems += relationship_problems(set(parts), trees)
    problems += drawing_problems(_story_trees(trees))
    for name, tree in _story_trees(trees).items():
        problems += table_problems(name, tree)
    problems += style_problems(trees)
    problems += numbering_problems(trees)
    if "word/document.xml" in trees:
        problems += body_problems(trees["word/document.xml"])
        problems += picture_width_problems(trees["word/document.xml"])
    return problems


# ---------------------------------------------------------------------------------------------
# The zip and its XML parts


def zip_problems(entries: Iterable[zipfile.ZipInfo]) -> list[str]:
    """Problems of the zip itself: duplicate (case-insensitive) or unsafe names, encryption,
    compression other than stored or deflated, and missing package parts."""
    entries = list(entries)
    problems = [
        f"the zip holds {count} entries named {name!r} (part names ignore case); "
        f"write each part once"
        for name, count in Counter(e.filename.lower() for e in entries).items()
        if count > 1
    ]
    for entry in entries:
        name = entry.filename
        if name.startswith("/") or "\\" in name or ".." in name.split("/"):
            problems.append(f"zip entry {name!r}: a part name is relative, with '/' only")
        if entry.flag_bits & 0x1:
            problems.append(f"zip entry {name!r} is encrypted; Word and LibreOffice cannot read it")
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            problems.append(
                f"zip entry {name!r} is compressed with method {entry.compress_type}; "
                f"only stored (0) and deflated (8) are allowed"
            )
    names = {e.filename for e in entries}
    problems += [
        f"the package has no {required}; every .docx needs it"
        for required in ("[Content_Types].xml", "_rels/.rels")
        if required not in names
    ]
    return problems


def parse_xml_parts(parts: Mapping[str, bytes]) -> tuple[dict[str, Any], list[str]]:
    """Parse every ``.xml`` and ``.rels`` part; return the trees and a problem per part that is
    not well-formed or declares a document type (Word refuses DTDs)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    trees: dict[str, Any] = {}
    problems = []
    for name, content in parts.items():
        if not name.endswith((".xml", ".rels")):
            continue
        try:
            tree = etree.fromstring(content, parser)
        except etree.XMLSyntaxError as err:
            problems.append(f"{name} is not well-formed XML: {err}")
            continue
        if tree.getroottree().docinfo.doctype:
            problems.append(f"{name} declares a document type; Word refuses DTDs in a package")
        trees[name] = tree
    return trees, problems


def content_type_problems(names: set[str], types: Any) -> list[str]:
    """Problems of ``[Content_Types].xml``: a part with no content type, an override of a part
    that does not exist, and a main part that is not a Word document."""
    if types is None:
        return []
    defaults = {
        d.get("Extension", "").lower(): d.get("ContentType")
        for d in types.iterfind("ct:Default", _NS)
    }
    overrides = {
        o.get("PartName", "").lstrip("/").lower(): o.get("ContentType")
        for o in types.iterfind("ct:Override", _NS)
    }
    problems = [
        f"[Content_Types].xml gives no content type to {name}; add an Override for "
        f"/{name} or a Default for its extension"
        for name in sorted(names - {"[Content_Types].xml"})
        if name.lower() not in overrides
        and posixpath.basename(name).rpartition(".")[2].lower() not in defaults
    ]
    lowered = {n.lower() for n in names}
    problems += [
        f"[Content_Types].xml overrides /{name}, which is not in the package"
        for name in sorted(overrides)
        if name not in lowered
    ]
    main = overrides.get("word/document.xml")
    if "word/document.xml" in lowered and main != MAIN_CONTENT_TYPE:
        problems.append(
            f"[Content_Types].xml gives word/document.xml the content type {main!r}; "
            f"a Word document's is {MAIN_CONTENT_TYPE!r}"
        )
    return problems


# ---------------------------------------------------------------------------------------------
# Relationships


def _source_of(rels_name: str) -> str:
    """The part a relationships part belongs to: ``word/_rels/document.xml.rels`` ->
    ``word/document.xml``; ``_rels/.rels`` -> the package (``""``)."""
    folder, file = posixpath.split(rels_name)
    return posixpath.join(posixpath.dirname(folder), file.removesuffix(".rels"))


def _target_of(source: str, target: str) -> str:
    """The part name a relationship's internal target points to, relative to its source."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def relationship_problems(names: set[str], trees: Mapping[str, Any]) -> list[str]:
    """Problems of the relationships: duplicate ids, internal targets that are missing, a
    part whose ``r:id``, ``r:embed`` or ``r:link`` names no relationship, and a package with
    no main document."""
    problems: list[str] = []
    lowered = {n.lower() for n in names}
    for rels_name in sorted(n for n in trees if n.endswith(".rels")):
        source = _source_of(rels_name)
        if source and source.lower() not in lowered:
            problems.append(f"{rels_name} belongs to {source}, which is not in the package")
        relationships = list(trees[rels_name].iterfind("pr:Relationship", _NS))
        ids = Counter(r.get("Id") for r in relationships)
        problems += [
            f"{rels_name}: relationship id {i!r} is used {n} times" for i, n in ids.items() if n > 1
        ]
        for rel in relationships:
            if rel.get("TargetMode") == "External":
                continue
            target = _target_of(source, rel.get("Target", ""))
            if target.lower() not in lowered:
                problems.append(
                    f"{rels_name}: relationship {rel.get('Id')!r} points to {target}, "
                    f"which is not in the package"
                )
        if source in trees:
            problems += _dangling_references(source, trees[source], set(ids))
    package = trees.get("_rels/.rels")
    if package is not None and not any(
        r.get("Type") == _OFFICE_DOCUMENT for r in package.iterfind("pr:Relationship", _NS)
    ):
        problems.append("_rels/.rels has no officeDocument relationship to the main document")
    return problems


def _dangling_references(part: str, tree: Any, ids: set[Any]) -> list[str]:
    problems = []
    for element in tree.iter():
        for attribute in _REFERENCE_ATTRIBUTES:
            value = element.get(attribute)
            if value is not None and value not in ids:
                problems.append(
                    f"{part}: {etree.QName(element).localname} refers to relationship "
                    f"{value!r}, which {part}'s relationships do not define"
                )
    return problems


# ---------------------------------------------------------------------------------------------
# WordprocessingML


def _story_trees(trees: Mapping[str, Any]) -> dict[str, Any]:
    """The parts that hold text, drawings and tables: the document, headers, footers, notes."""
    return {name: tree for name, tree in trees.items() if name.startswith(_STORY)}


def drawing_problems(stories: Mapping[str, Any]) -> list[str]:
    """Problems of the drawings: a ``w:drawing`` without exactly one ``wp:docPr``, a docPr
    ``id`` used twice in the document (across all its parts), or no alt text (``descr``)."""
    problems = []
    seen: Counter[str] = Counter()
    for name, tree in sorted(stories.items()):
        for number, drawing in enumerate(tree.iterfind(".//w:drawing", _NS), start=1):
            properties = drawing.findall(".//wp:docPr", _NS)
            if len(properties) != 1:
                problems.append(
                    f"{name}: drawing {number} has {len(properties)} wp:docPr elements; "
                    f"it needs exactly one"
                )
                continue
            doc_pr = properties[0]
            seen[doc_pr.get("id", "")] += 1
            if not doc_pr.get("descr", "").strip():
                problems.append(
                    f"{name}: drawing {number} ({doc_pr.get('name')!r}) has no alt text; "
                    f"set descr on its wp:docPr"
                )
    problems += [
        f"wp:docPr id {i!r} is used by {n} drawings; each needs its own id"
        if i
        else f"{n} drawing(s) have a wp:docPr with no id"
        for i, n in seen.items()
        if n > 1 or not i
    ]
    return problems


def _span(cell: Any) -> int:
    span = cell.find("w:tcPr/w:gridSpan", _NS)
    return int(span.get(f"{{{_W}}}val", "1")) if span is not None else 1


def table_problems(part: str, tree: Any) -> list[str]:
    """Problems of the tables of one part: a missing ``w:tblGrid``, fewer or more
    ``w:gridCol`` than the widest row has columns, and a cell that does not end with a
    paragraph."""
    problems = []
    for number, table in enumerate(tree.iterfind(".//w:tbl", _NS), start=1):
        rows = table.findall("w:tr", _NS)
        columns = max((sum(_span(c) for c in row.findall("w:tc", _NS)) for row in rows), default=0)
        grid = table.find("w:tblGrid", _NS)
        if grid is None:
            problems.append(f"{part}: table {number} has no w:tblGrid")
        elif len(grid.findall("w:gridCol", _NS)) != columns:
            problems.append(
                f"{part}: table {number} has {len(grid.findall('w:gridCol', _NS))} "
                f"w:gridCol for {columns} columns; give every column one"
            )
        cells = [c for row in rows for c in row.findall("w:tc", _NS)]
        if any(len(c) == 0 or etree.QName(c[-1]).localname != "p" for c in cells):
            problems.append(f"{part}: table {number} has a cell that does not end with a w:p")
    return problems


def _defined_styles(styles: Any) -> set[str]:
    return {s.get(f"{{{_W}}}styleId") for s in styles.iterfind("w:style", _NS)}


def style_problems(trees: Mapping[str, Any]) -> list[str]:
    """Paragraph, run and table styles used in the text but not defined in the styles part."""
    styles = trees.get("word/styles.xml")
    defined = _defined_styles(styles) if styles is not None else set()
    problems = []
    for name, tree in sorted(_story_trees(trees).items()):
        used = {
            element.get(f"{{{_W}}}val")
            for tag in ("pStyle", "rStyle", "tblStyle")
            for element in tree.iterfind(f".//w:{tag}", _NS)
        }
        problems += [
            f"{name} uses style {style!r}, which word/styles.xml does not define"
            for style in sorted(used - defined)
        ]
    return problems


def numbering_problems(trees: Mapping[str, Any]) -> list[str]:
    """List numbering (``w:numId``) used in the text or the styles but not defined in the
    numbering part, and numbering instances whose abstract numbering is missing."""
    numbering = trees.get("word/numbering.xml")
    nums = numbering.findall("w:num", _NS) if numbering is not None else []
    defined = {n.get(f"{{{_W}}}numId") for n in nums}
    abstract = (
        {a.get(f"{{{_W}}}abstractNumId") for a in numbering.iterfind("w:abstractNum", _NS)}
        if numbering is not None
        else set()
    )
    problems = [
        f"word/numbering.xml: list {n.get(f'{{{_W}}}numId')!r} uses abstract numbering "
        f"{ref.get(f'{{{_W}}}val')!r}, which is not defined"
        for n in nums
        for ref in n.iterfind("w:abstractNumId", _NS)
        if ref.get(f"{{{_W}}}val") not in abstract
    ]
    parts = _story_trees(trees) | {k: v for k, v in trees.items() if k == "word/styles.xml"}
    for name, tree in sorted(parts.items()):
        used = {e.get(f"{{{_W}}}val") for e in tree.iterfind(".//w:numPr/w:numId", _NS)}
        problems += [
            f"{name} uses list numbering {num!r}, which word/numbering.xml does not define"
            for num in sorted(used - defined - {"0"}, key=str)
        ]
    return problems


def body_problems(document: Any) -> list[str]:
    """The body must end with its section properties (page size, margins)."""
    body = document.find("w:body", _NS)
    if body is None:
        return ["word/document.xml has no w:body"]
    if len(body) == 0 or etree.QName(body[-1]).localname != "sectPr":
        return ["word/document.xml: the body does not end with w:sectPr"]
    return []


def text_width_emu(document: Any) -> int | None:
    """The width between the margins of the document's last section, in EMU (English Metric
    Units, 914,400 an inch), or None when its section properties do not give it."""
    section = document.find("w:body/w:sectPr", _NS)
    size = section.find("w:pgSz", _NS) if section is not None else None
    margins = section.find("w:pgMar", _NS) if section is not None else None
    if size is None or margins is None:
        return None
    twips = [int(e.get(f"{{{_W}}}{a}", "0")) for e, a in ((size, "w"), (margins, "left"))]
    right = int(margins.get(f"{{{_W}}}right", "0"))
    return (twips[0] - twips[1] - right) * _EMU_PER_TWIP


def picture_width_problems(document: Any) -> list[str]:
    """Pictures in line with the text that are wider than the space between the margins."""
    width = text_width_emu(document)
    if width is None:
        return []
    problems = []
    for number, extent in enumerate(document.iterfind(".//wp:inline/wp:extent", _NS), start=1):
        cx = int(extent.get("cx", "0"))
        if cx > width:
            problems.append(
                f"word/document.xml: picture {number} is {cx / 360000:.2f} cm wide, wider than "
                f"the {width / 360000:.2f} cm between the margins; scale it to fit"
            )
    return problems
