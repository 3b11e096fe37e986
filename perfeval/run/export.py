"""Export an executed report notebook to its self-contained HTML page.

What the page leaves out is decided on the notebook, before nbconvert sees it, by nbconvert
preprocessors (the supported hook): :class:`PublicationPreprocessor` drops cells tagged
``remove-cell``, stderr streams, key-figure and section-description outputs, scripts and widget
outputs, stray object reprs, and the title's heading (the title block shows it). Code and prompts
are hidden by the exporter's own ``exclude_input``/``exclude_*_prompt`` options; the page itself
(head, title block, legend of symbols, provenance footer) is the jinja template
``perfeval/templates/perfeval_report/index.html.j2``, which extends nbconvert's classic template.

Two things are done on the rendered page, because they depend on every heading of the page,
including headings inside HTML outputs, with the ids nbconvert's markdown renderer gave them, and
nbconvert has no hook over the page's outline: the heading levels are evened out (no skipped
level) and the contents list linking every h2 is put where the template marks it. The finished
page is then checked: no script, its Content-Security-Policy, nothing loaded from the internet.
"""

from __future__ import annotations

import copy
import html as html_lib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import perfeval
from perfeval.core.exceptions import RunError
from perfeval.run.parameters import is_path_parameter
from perfeval.run.provenance import is_key_figure_output
from perfeval.run.publish import (
    CONTENT_SECURITY_POLICY,
    ReportInfo,
    describe_report,
    long_date,
    symbol_items,
)

__all__ = [
    "TEMPLATES_DIR",
    "TEMPLATE_NAME",
    "export_html",
    "prepare_for_publication",
    "report_title",
]

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
TEMPLATE_NAME = "perfeval_report"
_REMOVE_CELL_TAGS = frozenset({"remove-cell", "remove_cell"})
_UNSAFE_MIME = (
    "application/javascript",
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
)
_OBJECT_REPR = re.compile(r"\s*<[^<>]*>\s*")
_H1_LINE = re.compile(r"^\s{0,3}#\s+.+$\n?", re.MULTILINE)
_HEADING = re.compile(r"<h([1-6])(\s[^>]*)?>(.*?)</h\1\s*>", re.I | re.S)
_CONTENTS_MARKER = "<!-- perfeval:contents -->"


# ---------------------------------------------------------------------------------------------
# The title


def report_title(nb: Any, notebook_name: str) -> str:
    """The report title: the notebook's first heading, else its file name in words."""
    return _first_heading(nb) or Path(notebook_name).stem.replace("_", " ").title()


def _first_heading(nb: Any) -> str | None:
    for cell in nb.cells:
        heading = _cell_heading(cell)
        if heading is not None:
            return heading
    return None


def _cell_heading(cell: Any) -> str | None:
    """The text of a markdown cell's first heading (markdown ``#`` or HTML ``<hN>``), or None."""
    if cell.cell_type != "markdown":
        return None
    match = re.search(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", cell.source, re.MULTILINE)
    if match is None:
        match = re.search(r"<h[1-6][^>]*>(.*?)</h[1-6]>", cell.source, re.I | re.S)
    if match:
        return re.sub(r"<[^>]+>|[*_`]", "", match.group(1)).strip() or None
    return None


# ---------------------------------------------------------------------------------------------
# What the page leaves out: preprocessing the notebook


def _publishable_output(output: Any) -> bool:
    """Whether an output is shown, with scripts and widget data taken out of it (in place)."""
    if output.get("output_type") == "stream":
        return output.get("name") != "stderr"
    if is_key_figure_output(output):
        return False
    data = output.get("data")
    if data is not None:
        for mime in _UNSAFE_MIME:
            data.pop(mime, None)
        if "text/html" in data:
            data["text/html"] = re.sub(
                r"<script\b.*?</script\s*>", "", "".join(data["text/html"]), flags=re.I | re.S
            )
        if set(data) == {"text/plain"} and _OBJECT_REPR.fullmatch("".join(data["text/plain"])):
            return False  # a stray repr such as <Figure size 800x450 with 1 Axes>
        return bool(data)
    return True


def _drop_title_heading(nb: Any) -> None:
    """Take the title's ``# heading`` line out of the first markdown cell with a heading, when
    the title is a level-1 markdown heading (the title block shows it instead)."""
    import nbformat

    for cell in nb.cells:
        title = _cell_heading(cell)
        if title is None:
            continue
        match = _H1_LINE.search(cell.source)
        if match and _cell_heading(nbformat.v4.new_markdown_cell(match.group(0))) == title:
            cell.source = cell.source[: match.start()] + cell.source[match.end() :]
        return


def _publication_preprocessor() -> Any:
    """nbconvert's Preprocessor for the published page (imported late: nbconvert is slow to
    import, and :mod:`perfeval.run.runner` imports it while the kernel starts)."""
    from nbconvert.preprocessors import Preprocessor

    class PublicationPreprocessor(Preprocessor):
        """Leave out of the page what readers must not see (see the module's docstring)."""

        def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
            nb.metadata.pop("widgets", None)
            nb.cells = [
                c for c in nb.cells if not _REMOVE_CELL_TAGS & set(c.metadata.get("tags", []))
            ]
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs = [o for o in cell.outputs if _publishable_output(o)]
            _drop_title_heading(nb)
            return nb, resources

    return PublicationPreprocessor()


def prepare_for_publication(nb: Any) -> Any:
    """A copy of ``nb`` without stderr streams, key-figure and script outputs, stray object
    reprs, or cells tagged ``remove-cell``; the first level-1 heading is taken out, because the
    title block shows the title. The notebook the HTML page and the Word document are made from.
    """
    published, _ = _publication_preprocessor().preprocess(copy.deepcopy(nb), {})
    return published


# ---------------------------------------------------------------------------------------------
# The rendered page's outline (no nbconvert hook: see the module's docstring)


def _fix_heading_levels(page: str) -> str:
    """Headings in order with no skipped level: each is at most one level below the heading
    before it (an h4 straight after an h2 becomes an h3)."""
    previous = 0

    def fix(match: re.Match) -> str:
        nonlocal previous
        level = min(int(match.group(1)), previous + 1)
        previous = level
        return f"<h{level}{match.group(2) or ''}>{match.group(3)}</h{level}>"

    return _HEADING.sub(fix, page)


def _heading_text(inner: str) -> str:
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", inner))
    return re.sub(r"\s+", " ", text.replace("\u00b6", "")).strip()


def _add_contents(page: str) -> str:
    """Give every h2 an id and put a contents list linking them where the template marks it."""
    taken = set(re.findall(r'\bid="([^"]+)"', page))
    items: list[tuple[str, str]] = []

    def anchor(match: re.Match) -> str:
        attrs, inner = match.group(2) or "", match.group(3)
        if match.group(1) != "2":
            return match.group(0)
        found = re.search(r'\bid="([^"]+)"', attrs)
        ident = html_lib.unescape(found.group(1)) if found else None
        if ident is None:
            base = re.sub(r"[^A-Za-z0-9]+", "-", _heading_text(inner)).strip("-") or "section"
            ident, n = base, 1
            while ident in taken:
                n += 1
                ident = f"{base}-{n}"
            taken.add(ident)
            attrs = f' id="{ident}"{attrs}'
        items.append((ident, _heading_text(inner)))
        return f"<h2{attrs}>{inner}</h2>"

    page = _HEADING.sub(anchor, page)
    links = "".join(
        f'<li><a href="#{html_lib.escape(ident)}">{html_lib.escape(text)}</a></li>'
        for ident, text in items
    )
    nav = (
        (
            f'<nav class="contents" aria-labelledby="contents-heading">\n<h2 id="contents-heading">'
            f"Contents</h2>\n<ol>{links}</ol>\n</nav>"
        )
        if items
        else ""
    )
    return page.replace(_CONTENTS_MARKER, nav, 1)


# ---------------------------------------------------------------------------------------------
# The template's context and the checks of the finished page


def _css_string(text: str) -> str:
    """``text`` as the inside of a double-quoted CSS string that cannot end the style element."""
    text = re.sub(r"\s+", " ", str(text))
    return "".join(c if c.isalnum() or c in " .,;:()/-_'&" else f"\\{ord(c):x} " for c in text)


def _template_context(
    info: ReportInfo, notebook_name: str, parameters: Mapping[str, Any]
) -> dict[str, Any]:
    shown = {k: v for k, v in parameters.items() if not is_path_parameter(k)}
    running = " - ".join(
        part for part in (info.title, info.council_label, info.period, info.status) if part
    )
    return {
        "title": info.title,
        "notebook": notebook_name,
        "version": perfeval.__version__,
        "date": info.published,
        "published": long_date(info.published),
        "status": info.status,
        "council": info.council_label,
        "period": info.period,
        "parameters": shown,
        "symbols": symbol_items(),
        "running_head": _css_string(running),
        "csp": CONTENT_SECURITY_POLICY,
    }


def _page_policy(page: str) -> str | None:
    """The Content-Security-Policy a page's ``<meta http-equiv>`` sets (None without one)."""
    for tag in re.findall(r"<meta\b[^>]*>", page, re.I):
        if re.search(r"http-equiv=[\"']?Content-Security-Policy", tag, re.I):
            content = re.search(r'content="([^"]*)"', tag)
            return html_lib.unescape(content.group(1)) if content else None
    return None


def check_page(page: str, notebook_name: str) -> None:
    """Refuse a page that would run a script, lacks its Content-Security-Policy, or would load
    something from the internet.

    Raises
    ------
    RunError
        Naming what was found and how to fix it.
    """
    if re.search(r"<script\b", page, re.I):
        raise RunError(
            f"the HTML report of {notebook_name} would contain a <script>; remove the "
            f"output that produces it (interactive widgets cannot be published)"
        )
    if _page_policy(page) != CONTENT_SECURITY_POLICY:
        raise RunError(
            f"the HTML report of {notebook_name} lacks its Content-Security-Policy; "
            f"the template {TEMPLATES_DIR / TEMPLATE_NAME} must keep the "
            f'<meta http-equiv="Content-Security-Policy"> element'
        )
    external = re.search(
        r"<(?:img|link|iframe|source|video|audio)\b[^>]*?"
        r"(?:src|href)\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]+)",
        page,
        re.I,
    )
    if external:
        raise RunError(
            f"the HTML report of {notebook_name} would load {external.group(1)} from "
            f"the internet; save the file beside the data and show it from there"
        )


def _exporter() -> Any:
    """nbconvert's HTML exporter with perfeval's template, code and prompts hidden, and the
    publication preprocessor registered."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_raw=True,
    )
    exporter.register_preprocessor(_publication_preprocessor(), enabled=True)
    return exporter


def export_html(
    nb: Any,
    *,
    notebook_name: str,
    parameters: Mapping[str, Any],
    status: str | None = None,
    info: ReportInfo | None = None,
    provenance: Mapping[str, str] | None = None,
) -> str:
    """Return the HTML report of an executed notebook.

    Code, prompts, stderr streams, key-figure outputs, stray object reprs and cells tagged
    ``remove-cell`` are left out. The page is self-contained (no ``<script>``, no resources
    loaded from the internet), in British English (``lang="en-GB"``), titled with the
    notebook's first heading, with a Content-Security-Policy that lets the browser load and run
    nothing but inline styles and ``data:`` images. It opens with a title block (title,
    council, period, publication date, status) and a contents list linking every h2 section;
    headings run h1, h2, h3 with no skipped level; it ends with the legend of statistical
    symbols and a footer naming the notebook and the parameters that are not paths. Print CSS
    sets A4 pages numbered "Page n of m", and keeps tables and figures whole where they fit.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (not modified).
    notebook_name : str
        The source notebook's file name, shown in the footer.
    parameters : mapping
        The resolved parameters; those that are not paths are shown in the footer.
    status : str, optional
        The report status shown in the title block (default ``Draft``); ignored when ``info``
        is given.
    info : ReportInfo, optional
        What the report is (see :func:`perfeval.run.publish.describe_report`); by default worked
        out from the notebook and the parameters, dated today.
    provenance : mapping, optional
        Extra footer lines (e.g. the input data fingerprint and code version, from
        :func:`perfeval.run.provenance.describe_provenance`).

    Raises
    ------
    RunError
        If the page would still contain a script or load something from the internet.
    """
    if info is None:
        info = describe_report(
            report_title(nb, notebook_name), notebook_name, parameters, status=status
        )
    context = _template_context(info, notebook_name, parameters)
    context["provenance"] = dict(provenance or {})
    # nbconvert preprocesses a copy: `nb` is not modified
    page, _ = _exporter().from_notebook_node(nb, resources={"perfeval": context})
    page = _add_contents(_fix_heading_levels(page))
    check_page(page, notebook_name)
    return page
