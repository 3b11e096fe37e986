"""Run a report notebook with validated parameters and publish it with its provenance.

:func:`run_report` validates the parameters before anything is executed, runs the notebook with
papermill on this Python's kernel, exports a self-contained HTML report in the same process, writes
the supporting tables in Excel and ODS (and, when asked, a Word document and a PDF:
:mod:`perfeval.run.publish`, :mod:`perfeval.run.ods`, :mod:`perfeval.run.docx`) and
``manifest.json`` (parameters, input hashes, versions, git state, key figures), then rewrites the
outputs root's ``index.html``. Everything is
written into a temporary folder inside the outputs root and moved into place only on success, so
a failed, interrupted or killed run never harms the previous report. One run at a time publishes
a report folder (another stops with a RunError, or waits when asked), every run first clears
what dead runs left behind, and a full or read-only disk is a RunError saying so
(:mod:`perfeval.run.outputs`). :func:`verify_report` re-runs a
published report and says exactly what differs.

Layout under the outputs root (the workspace's outputs folder by default; a folder name adds a
short hash of the parameters that differ from their defaults: :func:`report_slug`)::

    index.html                                       every report built, with links
    <notebook stem>/<council>_<year>/<stem>.ipynb    executed notebook
                                    /<stem>.html     the report
                                    /<stem>.xlsx     Excel supporting tables
                                    /<stem>.ods      the same tables, OpenDocument
                                    /<stem>.docx     the report in Word (with --docx)
                                    /<stem>.pdf      the report as A4 PDF (with --pdf)
                                    /manifest.json   provenance
    _failed/<stem>-<timestamp>.ipynb                 executed notebook of a failed run
    .locks/, .tmp-*/                                 runs' locks and temporary folders

``manifest.json`` holds: ``manifest_version``; ``perfeval_version``; ``notebook`` (``path``,
``sha256``); ``report`` (``title``, ``council``, ``council_name``, ``period``, ``status``,
``published``: what the title block shows); ``parameters`` (resolved, paths absolute);
``inputs`` (parameter -> absolute path hashed: ``data_dir``, ``""`` meaning the bundled sample
data, and every path parameter naming an existing file); ``input_files``
(``"<parameter>/<relative path>"`` -> sha256, sorted); ``report_files`` (sha256 of the executed
notebook, the HTML, the Excel and ODS files, and the Word document and the PDF if any);
``versions``; ``git`` (``commit``, ``dirty``, or null); ``started``/``finished`` (UTC, ISO
8601); ``duration_seconds``; ``key_figures`` (name -> ``kind``, ``value``, ``description``,
``cell`` = index of the recording cell in the executed notebook).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import html as html_lib
import json
import re
import shutil
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import perfeval
from perfeval.core import paths
from perfeval.core.exceptions import ParameterError, RunError
from perfeval.run.docx import write_docx
from perfeval.run.kernels import KERNEL_NAME
from perfeval.run.ods import write_ods
from perfeval.run.outputs import (
    FAILED_DIR,
    clear_leftovers,
    describe_os_error,
    find_disk_error,
    hold_report,
    publication_error,
    swap_in,
    temporary_folder,
)
from perfeval.run.parameters import (
    check_against_data,
    get_schema,
    is_path_parameter,
    load_schemas_for,
    validate_parameters,
)
from perfeval.run.provenance import (
    collect_key_figures,
    describe_provenance,
    git_state,
    hash_inputs,
    is_key_figure_output,
    package_versions,
    sha256_file,
)
from perfeval.run.publish import (
    CONTENT_SECURITY_POLICY,
    ReportInfo,
    check_status,
    describe_report,
    find_chromium,
    long_date,
    print_pdf,
    symbol_items,
    write_index,
    write_workbook,
)
from perfeval.run.workspace import (
    Workspace,
    find_workspace,
    notebook_folders,
    resolve_notebook_in,
    workspace_defaults,
)

__all__ = [
    "RunResult",
    "run_report",
    "resolve_notebook",
    "notebook_origin",
    "resolve_path_parameters",
    "resolve_output_dir",
    "report_slug",
    "parameters_digest",
    "run_defaults",
    "export_html",
    "input_file_hashes",
    "compare_inputs",
    "KERNEL_NAME",
    "TEMPLATES_DIR",
    "FAILED_DIR",
]

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
TEMPLATE_NAME = "perfeval_report"
MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
_REPORT_FIELDS = ("title", "council", "council_name", "period", "status", "published")
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


@dataclass(frozen=True)
class RunResult:
    """What a successful run produced.

    Attributes
    ----------
    output_dir : Path
        The report folder.
    notebook, html, manifest_path : Path
        The executed notebook, the HTML report and ``manifest.json`` inside it.
    manifest : dict
        The manifest as written.
    excel : Path
        The Excel supporting tables (``<stem>.xlsx``).
    pdf : Path or None
        The PDF (``<stem>.pdf``) when the run printed one.
    ods : Path
        The same supporting tables as an OpenDocument spreadsheet (``<stem>.ods``).
    docx : Path or None
        The Word document (``<stem>.docx``) when the run wrote one.
    """

    output_dir: Path
    notebook: Path
    html: Path
    manifest_path: Path
    manifest: dict[str, Any]
    excel: Path | None = None
    pdf: Path | None = None
    ods: Path | None = None
    docx: Path | None = None

    @property
    def key_figures(self) -> dict[str, Any]:
        """The key figures recorded by the notebook, by name."""
        return self.manifest["key_figures"]


def resolve_notebook(notebook: str | Path, workspace: Workspace | None = None) -> Path:
    """Return the absolute path of a report notebook given as a path or by name.

    A name (a stem such as ``state_of_the_nation``, with or without ``.ipynb``) is looked for in
    the workspace's ``notebooks/`` first, then among perfeval's built-in notebooks
    (:func:`perfeval.run.workspace.notebook_folders`); a path is taken as it is.

    Parameters
    ----------
    notebook : str or Path
        A notebook path or name.
    workspace : Workspace, optional
        The workspace whose notebooks come first.

    Raises
    ------
    ParameterError
        If no such notebook exists; the message lists the notebooks of each folder looked in.
    """
    given = Path(notebook).expanduser()
    candidates = [given, given.with_suffix(".ipynb")] if given.suffix != ".ipynb" else [given]
    for candidate in candidates:
        if candidate.is_file() and candidate.suffix == ".ipynb":
            return candidate.resolve()
    if given.parent == Path(".") and given.name:
        found = resolve_notebook_in(
            given.stem if given.suffix == ".ipynb" else given.name, workspace
        )
        if found is not None:
            return found[0]
    looked = "; ".join(
        f"{origin} notebooks in {folder}: "
        f"{', '.join(sorted(p.stem for p in folder.glob('*.ipynb'))) or 'none'}"
        for origin, folder in notebook_folders(workspace)
    )
    raise ParameterError(
        [
            f"notebook {str(notebook)!r} not found (looked for a file, then for a "
            f"name among the notebooks); available: {looked}"
        ]
    )


def notebook_origin(nb_path: Path, workspace: Workspace | None = None) -> str:
    """Where a resolved notebook comes from: ``"workspace"`` (the workspace's ``notebooks/``),
    ``"built-in"`` (perfeval's own) or ``"path"`` (anywhere else)."""
    for origin, folder in notebook_folders(workspace):
        if nb_path.parent == folder.resolve():
            return origin
    return "path"


def resolve_path_parameters(values: Mapping[str, Any], base: Path | None = None) -> dict[str, Any]:
    """Return ``values`` with path-like parameters made absolute.

    A parameter is path-like when it is ``data_dir`` or its name ends in ``_dir``, ``_file`` or
    ``_path``. Relative paths are taken from ``base`` (default: the current directory), because
    the notebook runs in its own folder. ``""`` means "the default" and is left as it is.
    """
    base = Path.cwd() if base is None else base
    resolved = dict(values)
    for name, value in values.items():
        if is_path_parameter(name) and isinstance(value, str) and value.strip():
            resolved[name] = str((base / Path(value).expanduser()).resolve())
    return resolved


#: The parameters that make the readable part of a report folder's name.
SLUG_PARAMETERS = ("council", "year", "quarter", "wave")
SLUG_HASH_LENGTH = 8


def _readable_slug(values: Mapping[str, Any]) -> str:
    parts = [
        str(values[name]) for name in ("council", "year") if values.get(name) not in (None, "")
    ]
    if values.get("quarter") not in (None, ""):
        parts.append(f"Q{values['quarter']}")
    if values.get("wave") not in (None, ""):
        parts.append(f"wave-{values['wave']}")
    return re.sub(r"[^A-Za-z0-9._-]+", "-", "_".join(parts)).strip("-.")


def parameters_digest(values: Mapping[str, Any]) -> str:
    """A short hash (:data:`SLUG_HASH_LENGTH` hex digits of sha256) of parameter values, the same
    for the same names and values in any order."""
    import hashlib

    text = json.dumps(dict(values), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:SLUG_HASH_LENGTH]


def report_slug(values: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> str:
    """Return the report folder name for a set of parameters.

    The readable part is ``<council>_<year>`` from the parameters ``council`` and ``year`` when
    present (``E06000017_2024-25``), with ``Q<quarter>`` and ``wave-<wave>`` added when those
    parameters exist, else ``default``. When ``defaults`` are given, every other parameter whose
    value differs from its default adds a short hash of those values
    (``E06000017_2017-18_3f9a0c2e``), so that two reports that differ in any parameter never
    share a folder, while a run with the defaults keeps the plain name.

    Parameters
    ----------
    values : mapping
        The run's parameter values (resolved).
    defaults : mapping, optional
        The values the run would have had without being told (the notebook's defaults and the
        workspace's); None: the readable part only.

    Returns
    -------
    str
    """
    slug = _readable_slug(values) or "default"
    if defaults is None:
        return slug
    changed = {
        name: value
        for name, value in values.items()
        if name not in SLUG_PARAMETERS
        and (name not in defaults or not _same_value(value, defaults[name]))
    }
    return f"{slug}_{parameters_digest(changed)}" if changed else slug


def _same_value(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def resolve_output_dir(
    stem: str,
    values: Mapping[str, Any],
    output_dir: str | Path | None,
    outputs_root: Path,
    defaults: Mapping[str, Any] | None = None,
) -> Path:
    """Return the report folder, checked to lie inside ``outputs_root``.

    ``output_dir`` may be relative (to ``outputs_root``) or absolute; by default it is
    ``<outputs_root>/<stem>/<slug>`` (:func:`report_slug` of ``values`` and ``defaults``).

    Raises
    ------
    ParameterError
        If the folder is outside the outputs root (naming ``--outputs-root``), is the root
        itself, its ``_failed`` folder or hidden (perfeval keeps its locks and temporary folders
        under names starting with a dot), lies inside another report's folder (re-running that
        report would take it away), or exists without being a perfeval report (it would be
        replaced).
    """
    target = outputs_root / (stem if output_dir is None else Path(output_dir).expanduser())
    if output_dir is None:
        target = target / report_slug(values, defaults)
    target = target.resolve()
    if not target.is_relative_to(outputs_root) or target == outputs_root:
        raise ParameterError(
            [
                f"output directory {str(output_dir)!r} resolves to {target}, which "
                f"is not inside the outputs root {outputs_root}; give a folder "
                f"inside it, e.g. {stem}/draft, or publish elsewhere with "
                f"--outputs-root DIR (then --output-dir is taken inside DIR)"
            ]
        )
    parts = target.relative_to(outputs_root).parts
    if parts[0] == FAILED_DIR or any(part.startswith(".") for part in parts):
        raise ParameterError(
            [
                f"output directory {target} is reserved for perfeval's own use "
                f"(its {FAILED_DIR} folder and names starting with '.'); choose "
                f"another folder"
            ]
        )
    enclosing = _enclosing_report(outputs_root, target)
    if enclosing is not None:
        raise ParameterError(
            [
                f"output directory {target} is inside the report {enclosing}, "
                f"whose folder is replaced whole when it is run again; choose a "
                f"folder outside it"
            ]
        )
    if target.exists() and (
        not target.is_dir() or (any(target.iterdir()) and not (target / MANIFEST_NAME).is_file())
    ):
        raise ParameterError(
            [
                f"output directory {target} exists and is not a perfeval report "
                f"(no {MANIFEST_NAME}); it would be replaced, so choose another "
                f"folder or remove it yourself"
            ]
        )
    return target


def _enclosing_report(root: Path, target: Path) -> Path | None:
    """The report folder (one holding a manifest) between ``root`` and ``target``, if any."""
    for folder in target.parents:
        if not folder.is_relative_to(root) or folder == root:
            return None
        if (folder / MANIFEST_NAME).is_file():
            return folder
    return None


def _input_roots(values: Mapping[str, Any]) -> dict[str, Path]:
    """The inputs to hash, by parameter: ``data_dir`` (a folder; ``""`` = the bundled data) and
    every path-like parameter naming an existing file."""
    roots: dict[str, Path] = {}
    for name, value in values.items():
        if name == "data_dir":
            roots[name] = paths.resolve_data_dir(value)
        elif is_path_parameter(name) and isinstance(value, str) and value and Path(value).is_file():
            roots[name] = Path(value)
    return roots


def input_file_hashes(values: Mapping[str, Any]) -> dict[str, str]:
    """sha256 of every input file of a run with these (resolved) parameter values, keyed
    ``"<parameter>/<relative path>"`` and sorted, as in a manifest's ``input_files``."""
    return _hash_input_roots(_input_roots(values))


def compare_inputs(published: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """One line per input file that was changed, removed or added since ``published`` (both are
    ``input_files`` mappings, as :func:`input_file_hashes` gives); empty when all agree."""
    changes = [
        f"{name}: changed (sha256 {published[name][:12]}... now {current[name][:12]}...)"
        for name in sorted(published.keys() & current.keys())
        if published[name] != current[name]
    ]
    changes += [f"{name}: removed" for name in sorted(published.keys() - current.keys())]
    changes += [f"{name}: added" for name in sorted(current.keys() - published.keys())]
    return changes


def _hash_input_roots(roots: Mapping[str, Path]) -> dict[str, str]:
    hashes: dict[str, str] = {}
    for name, root in roots.items():
        if not root.exists():
            continue
        files = hash_inputs(root) if root.is_dir() else {root.name: sha256_file(root)}
        hashes.update({f"{name}/{key}": digest for key, digest in files.items()})
    return dict(sorted(hashes.items()))


# ---------------------------------------------------------------------------------------------
# HTML export


def report_title(nb: Any, notebook_name: str) -> str:
    """The report title: the notebook's first heading, else its file name in words."""
    return _first_heading(nb) or Path(notebook_name).stem.replace("_", " ").title()


def _first_heading(nb: Any) -> str | None:
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        match = re.search(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", cell.source, re.MULTILINE)
        if match is None:
            match = re.search(r"<h[1-6][^>]*>(.*?)</h[1-6]>", cell.source, re.I | re.S)
        if match:
            return re.sub(r"<[^>]+>|[*_`]", "", match.group(1)).strip() or None
    return None


def _publishable_output(output: Any) -> bool:
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


def _prepare_for_publication(nb: Any) -> Any:
    """A copy of ``nb`` without stderr streams, key-figure and script outputs, stray object
    reprs, or cells tagged ``remove-cell``; the first level-1 heading is taken out, because the
    title block shows the title."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    nb.cells = [c for c in nb.cells if not _REMOVE_CELL_TAGS & set(c.metadata.get("tags", []))]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if _publishable_output(o)]
    _drop_title_heading(nb)
    return nb


def _drop_title_heading(nb: Any) -> None:
    """Take the title's ``# heading`` line out of the first markdown cell with a heading, when
    the title is a level-1 markdown heading (the title block shows it instead)."""
    import nbformat

    for cell in nb.cells:
        title = _first_heading(nbformat.v4.new_notebook(cells=[cell]))
        if cell.cell_type != "markdown" or title is None:
            continue
        match = _H1_LINE.search(cell.source)
        if (
            match
            and _first_heading(
                nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(match.group(0))])
            )
            == title
        ):
            cell.source = cell.source[: match.start()] + cell.source[match.end() :]
        return


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
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_raw=True,
    )
    if info is None:
        info = describe_report(
            report_title(nb, notebook_name), notebook_name, parameters, status=status
        )
    context = _template_context(info, notebook_name, parameters)
    context["provenance"] = dict(provenance or {})
    html, _ = exporter.from_notebook_node(
        _prepare_for_publication(nb), resources={"perfeval": context}
    )
    html = _add_contents(_fix_heading_levels(html))
    if re.search(r"<script\b", html, re.I):
        raise RunError(
            f"the HTML report of {notebook_name} would contain a <script>; remove the "
            f"output that produces it (interactive widgets cannot be published)"
        )
    if _page_policy(html) != CONTENT_SECURITY_POLICY:
        raise RunError(
            f"the HTML report of {notebook_name} lacks its Content-Security-Policy; "
            f"the template {TEMPLATES_DIR / TEMPLATE_NAME} must keep the "
            f'<meta http-equiv="Content-Security-Policy"> element'
        )
    external = re.search(
        r"<(?:img|link|iframe|source|video|audio)\b[^>]*?"
        r"(?:src|href)\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]+)",
        html,
        re.I,
    )
    if external:
        raise RunError(
            f"the HTML report of {notebook_name} would load {external.group(1)} from "
            f"the internet; save the file beside the data and show it from there"
        )
    return html


# ---------------------------------------------------------------------------------------------
# Execution and safe publication


class _Interruptions:
    """Within the ``with`` block SIGTERM stops the run as Ctrl+C (SIGINT) does, by raising
    KeyboardInterrupt, so cleanup runs; inside :meth:`held` both signals wait until the block
    ends, so the report folder is never left half swapped."""

    def __init__(self) -> None:
        self._active = threading.current_thread() is threading.main_thread()
        self._holding = False
        self._pending: int | None = None
        self._saved: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self._holding:
            self._pending = signum
            return
        raise KeyboardInterrupt(f"run stopped by {signal.Signals(signum).name}")

    def __enter__(self) -> _Interruptions:
        if self._active:
            self._saved[signal.SIGTERM] = signal.signal(signal.SIGTERM, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        old_int = signal.signal(signal.SIGINT, self._handle) if self._active else None
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
            if self._active:
                signal.signal(signal.SIGINT, old_int)
            if self._pending is not None:
                raise KeyboardInterrupt(f"run stopped by {signal.Signals(self._pending).name}")


def _execute_notebook(
    source: Path, output: Path, values: Mapping[str, Any], progress: bool, kernel: Any
) -> None:
    """Run ``source`` with papermill on ``kernel`` and leave the kernel running.

    ``kernel`` is a :class:`perfeval.run.kernels.WarmKernel`: launched in the notebook's folder by
    :func:`run_report`, or reset to it by a batch. While it finishes starting, the modules that
    publishing needs are imported here, then papermill waits for it to be ready.
    """
    import papermill

    _import_publishing_modules()
    kernel.ready()
    papermill.execute_notebook(
        str(source),
        str(output),
        parameters=dict(values),
        kernel_name=KERNEL_NAME,
        progress_bar=progress,
        request_save_on_cell_execute=True,
        **kernel.engine_kwargs(),
    )


def _launch_kernel(nb_path: Path) -> Any:
    """Start a kernel for ``nb_path`` in its folder, importing the notebook's modules while it
    starts; return at once (a :class:`perfeval.run.kernels.WarmKernel`, not yet ready)."""
    from perfeval.run.kernels import WarmKernel, read_notebook_imports

    kernel = WarmKernel(nb_path.parent, read_notebook_imports(nb_path))
    try:
        return kernel.launch()
    except Exception as err:  # jupyter_client raises many kinds (no kernel spec, no ports, ...)
        kernel.shutdown()
        raise RunError(
            f"could not start the {KERNEL_NAME} kernel for {nb_path.name}: "
            f"{type(err).__name__}: {err}; check that ipykernel is installed in this "
            f"environment (make install does it)"
        ) from err


def _import_publishing_modules() -> None:
    """Import nbconvert's HTML exporter, openpyxl, odfpy and python-docx now, while the kernel
    starts on the other core, rather than after the notebook has run."""
    import docx  # noqa: F401
    import odf.opendocument  # noqa: F401
    import openpyxl  # noqa: F401
    from nbconvert import HTMLExporter  # noqa: F401


def _failing_cell(source_nb: Any, err: Any) -> tuple[int | None, str]:
    """Index in the source notebook and first line of the cell that raised ``err``."""
    lines = [line for line in str(getattr(err, "source", "")).splitlines() if line.strip()]
    first = lines[0].strip() if lines else ""
    for index, cell in enumerate(source_nb.cells):
        if cell.cell_type == "code" and cell.source == getattr(err, "source", None):
            return index, first
    return getattr(err, "cell_index", None), first


def _keep_failed(tmp_notebook: Path, outputs_root: Path, stem: str) -> tuple[Path | None, str]:
    """Move the executed notebook of a failed run to ``_failed/``: where it went (None when there
    was none) and, when it could not be kept (a full or read-only disk), a sentence saying so."""
    if not tmp_notebook.is_file():
        return None, ""
    failed_dir = outputs_root / FAILED_DIR
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    destination = failed_dir / f"{stem}-{stamp}.ipynb"
    try:
        failed_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(str(tmp_notebook), destination)
    except OSError as err:
        with contextlib.suppress(OSError):
            destination.unlink(missing_ok=True)
        return None, (
            f"\nThe executed notebook could not be kept in {failed_dir}: {describe_os_error(err)}."
        )
    return destination, ""


def _run_error(
    err: Exception, nb_path: Path, failed: Path | None, target: Path, not_kept: str = ""
) -> RunError:
    """Wrap a failure as a RunError naming the failing cell (for an exception raised in the
    notebook) or the path and the disk problem (full, read-only), where the executed notebook
    was kept (or ``not_kept``: why it could not be), and that the previous report is intact."""
    import nbformat
    from papermill.exceptions import PapermillExecutionError

    index = getattr(err, "cell_index", None)
    disk = find_disk_error(err)
    if isinstance(err, PapermillExecutionError):  # an exception raised in a cell
        index, first = _failing_cell(nbformat.read(nb_path, as_version=4), err)
        head = (
            f"{nb_path.name} failed in cell {index} (In [{err.exec_count}], starting "
            f"{first!r}): {err.ename}: {err.evalue}"
        )
    elif isinstance(err, RunError):
        head = str(err)
    elif disk is not None:
        head = f"{nb_path.name} could not be published: {describe_os_error(disk)}."
    else:
        head = f"{nb_path.name} could not be run: {type(err).__name__}: {err}"
    where = f"\nThe executed notebook is kept at {failed}." if failed else not_kept
    kept = f"\nThe previous report in {target} (if any) is intact: it was not changed."
    return RunError(
        head + where + kept, cell_index=index, failed_notebook=str(failed) if failed else None
    )


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _build_manifest(
    nb_path: Path,
    values: dict[str, Any],
    roots: dict[str, Path],
    input_hashes: dict[str, str],
    started: dt.datetime,
    elapsed: float,
    key_figures: dict[str, Any],
    report_files: dict[str, str],
    info: ReportInfo,
) -> dict[str, Any]:
    return {
        "manifest_version": MANIFEST_VERSION,
        "perfeval_version": perfeval.__version__,
        "notebook": {"path": str(nb_path), "sha256": sha256_file(nb_path)},
        "report": {key: info.as_dict()[key] for key in _REPORT_FIELDS},
        "parameters": values,
        "inputs": {name: str(root) for name, root in roots.items()},
        "input_files": input_hashes,
        "report_files": report_files,
        "versions": package_versions(),
        "git": git_state(nb_path.parent),
        "started": started.isoformat(timespec="seconds"),
        "finished": _utc_now().isoformat(timespec="seconds"),
        "duration_seconds": round(elapsed, 3),
        "key_figures": key_figures,
    }


@dataclass(frozen=True)
class _Publication:
    """How to publish a run: the report status, the browser that prints the PDF (None for
    no PDF) and whether to write the Word document."""

    status: str
    chromium: str | None = None
    docx: bool = False


def _publish(
    tmp: Path,
    nb_path: Path,
    values: dict[str, Any],
    roots: dict[str, Path],
    input_hashes: dict[str, str],
    started: dt.datetime,
    clock: float,
    publication: _Publication,
) -> None:
    """Write the HTML report, the supporting tables (Excel and ODS), the Word document and the
    PDF (when asked for) and the manifest beside the executed notebook in ``tmp``."""
    import nbformat

    stem = nb_path.stem
    executed = nbformat.read(tmp / f"{stem}.ipynb", as_version=4)
    key_figures = collect_key_figures(executed)
    info = describe_report(
        report_title(executed, nb_path.name),
        nb_path.name,
        values,
        status=publication.status,
        published=started.date(),
    )
    html = export_html(
        executed,
        notebook_name=nb_path.name,
        parameters=values,
        info=info,
        provenance=describe_provenance(input_hashes, git_state(nb_path.parent)),
    )
    (tmp / f"{stem}.html").write_text(html, encoding="utf-8")
    write_workbook(tmp / f"{stem}.xlsx", key_figures, info)
    write_ods(tmp / f"{stem}.ods", key_figures, info)
    names = [f"{stem}.ipynb", f"{stem}.html", f"{stem}.xlsx", f"{stem}.ods"]
    if publication.docx:
        write_docx(tmp / f"{stem}.docx", _prepare_for_publication(executed), info)
        names.append(f"{stem}.docx")
    if publication.chromium:
        print_pdf(tmp / f"{stem}.html", tmp / f"{stem}.pdf", chromium=publication.chromium)
        names.append(f"{stem}.pdf")
    report_files = {name: sha256_file(tmp / name) for name in names}
    manifest = _build_manifest(
        nb_path,
        values,
        roots,
        input_hashes,
        started,
        time.monotonic() - clock,
        key_figures,
        report_files,
        info,
    )
    text = json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False)
    (tmp / MANIFEST_NAME).write_text(text + "\n", encoding="utf-8")


def _build_report(
    tmp: Path,
    nb_path: Path,
    values: dict[str, Any],
    roots: dict[str, Path],
    progress: bool,
    root: Path,
    target: Path,
    publication: _Publication,
    kernel: Any,
    own_kernel: bool,
) -> None:
    """Execute on ``kernel`` and publish into ``tmp``; a kernel of the run's own is stopped in the
    background once the notebook has run. On failure keep the executed notebook under
    ``_failed/`` and raise RunError (or KeyboardInterrupt when interrupted)."""
    started, clock = _utc_now(), time.monotonic()
    input_hashes = _hash_input_roots(roots)  # the inputs as this run reads them
    executed = tmp / f"{nb_path.stem}.ipynb"
    try:
        _execute_notebook(nb_path, executed, values, progress, kernel)
        if own_kernel:
            kernel.shutdown_in_background()
        _publish(tmp, nb_path, values, roots, input_hashes, started, clock, publication)
    except KeyboardInterrupt as err:
        failed, _ = _keep_failed(executed, root, nb_path.stem)
        kept = f"; the partial notebook is kept at {failed}" if failed else ""
        raise KeyboardInterrupt(f"{err or 'interrupted'}{kept}") from err
    except Exception as err:
        failed, not_kept = _keep_failed(executed, root, nb_path.stem)
        raise _run_error(err, nb_path, failed, target, not_kept) from err


def _lock_report_folder(
    stack: contextlib.ExitStack, root: Path, target: Path, wait: float, notebook: str
) -> None:
    """Take the lock of report folder ``target`` until ``stack`` closes, before any kernel is
    started or anything written (:func:`perfeval.run.outputs.hold_report`); a full or read-only
    disk becomes a RunError saying so."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        stack.enter_context(hold_report(root, target, wait=wait, notebook=notebook))
    except OSError as err:
        raise publication_error(err, target) from err


def _build_and_swap(
    root: Path, target: Path, label: str, build: Any, interruptions: _Interruptions
) -> dict[str, Any]:
    """Under the report folder's lock: clear what dead runs left, ``build(tmp)`` the report in a
    temporary folder of the outputs root, swap it into ``target`` (signals held meanwhile) and
    return its manifest. A full or read-only disk becomes a RunError saying so."""
    try:
        clear_leftovers(root, holding=target)
        with temporary_folder(root, label) as tmp:
            build(tmp)
            manifest = json.loads((tmp / MANIFEST_NAME).read_text(encoding="utf-8"))
            with interruptions.held():
                swap_in(tmp, target)
    except OSError as err:
        raise publication_error(err, target) from err
    return manifest


def _outputs_folder(outputs_root: str | Path | None, workspace: Workspace | None) -> Path:
    """Where reports go, absolute: ``outputs_root`` when given (relative to the current
    directory), else the workspace's outputs folder."""
    if outputs_root is not None:
        folder = Path(outputs_root)
    elif workspace is not None:
        folder = workspace.outputs_dir
    else:
        raise ParameterError(
            [
                "outputs_root: no outputs folder given and no workspace; pass outputs_root "
                "(--outputs-root DIR) or a workspace (`perfeval init DIR` makes one)"
            ]
        )
    return folder.expanduser().resolve()


def _check_wait(wait: Any) -> float:
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not wait >= 0:
        raise ParameterError(
            [
                f"wait: expected the seconds to wait for another run on the same "
                f"report folder, 0 or more (0 = do not wait); got {wait!r}"
            ]
        )
    return float(wait)


def run_defaults(stem: str, workspace: Workspace | None = None) -> dict[str, Any]:
    """The values a run of ``stem`` has for parameters it is not given: the notebook's defaults,
    with the workspace's council, comparator group and data folder (what :func:`report_slug`
    compares with). The notebook's schema must be registered."""
    schema = {p.name: p.default for p in get_schema(stem)}
    return schema | resolve_path_parameters(workspace_defaults(workspace, schema))


def run_report(
    notebook: str | Path,
    params: Mapping[str, Any] | None = None,
    *,
    output_dir: str | Path | None = None,
    outputs_root: str | Path | None = None,
    progress: bool | None = None,
    status: str | None = None,
    pdf: bool = False,
    docx: bool | None = None,
    kernel: Any = None,
    wait: float = 0.0,
    workspace: Workspace | None = None,
) -> RunResult:
    """Run a report notebook and publish its HTML report, supporting tables (Excel and ODS)
    and provenance manifest (and a Word document and a PDF when asked), then update the index
    of reports.

    Parameters
    ----------
    notebook : str or Path
        A notebook path, or the name of a notebook of the workspace (its ``notebooks/``) or of
        perfeval's built-in ones (see :func:`resolve_notebook`).
    params : mapping, optional
        Parameter values; validated against the notebook's schema before anything runs. With a
        workspace, ``council``, ``comparator_group`` and ``data_dir`` default to the
        workspace's.
    output_dir : str or Path, optional
        The report folder, relative to ``outputs_root`` or absolute inside it. Default
        ``<stem>/<council>_<year>``, with a short hash of the other parameters that differ from
        their defaults (see :func:`report_slug`).
    outputs_root : str or Path, optional
        Where reports go; default the workspace's outputs folder. Relative paths are taken from
        the current directory.
    progress : bool, optional
        Show papermill's progress bar; by default only when stderr is a terminal.
    status : str, optional
        The status shown in the title block, on the Excel cover and in the index: ``Draft``
        (default), ``Final`` or another short label.
    pdf : bool
        Also print the report to ``<stem>.pdf`` (A4, numbered pages) with headless Chromium
        (see :func:`perfeval.run.publish.find_chromium`).
    docx : bool, optional
        Also write the report as a Word document, ``<stem>.docx`` (:mod:`perfeval.run.docx`);
        by default when the workspace's ``perfeval.toml`` says ``[outputs] docx = true``.
    kernel : perfeval.run.kernels.WarmKernel, optional
        Run on this already started kernel (reset by the caller), and leave it running; used by
        :mod:`perfeval.run.batch` to pay the start-up once per worker. By default the run starts a
        kernel of its own (this Python's ``python3`` kernel, so the virtual environment's
        Python even when it is not activated) as soon as the parameters' names, types and
        ranges are right and it holds the report folder's lock, checks them against the data
        while the kernel starts, and stops it in the background while it writes the HTML.
    wait : float
        Seconds to wait, before starting anything, when another run is publishing the same
        report folder; by default none: the run stops at once with a RunError naming the folder
        and the other run (whose report would otherwise replace this one's, or the other way
        round).
    workspace : perfeval.run.workspace.Workspace, optional
        The workspace: its notebooks are found by name, its defaults apply and its outputs
        folder is the default outputs root. When neither it nor ``outputs_root`` is given, the
        workspace is found from the current folder (:func:`perfeval.run.workspace.find_workspace`);
        with ``outputs_root`` and no workspace, none is used.

    Returns
    -------
    RunResult

    Raises
    ------
    ParameterError
        Before anything is executed, if a parameter is unknown, invalid or fails its check, the
        notebook does not exist, the status is not a short label, the output folder is not
        allowed, or no outputs root is given and there is no workspace.
    RunError
        Before anything is executed, if a PDF is asked for and no Chromium is found, or another
        run is publishing the same folder (after ``wait`` seconds). If the notebook fails
        (naming the cell, the exception and where the failed notebook was kept under
        ``_failed/``) or cannot be published, e.g. on a full or read-only disk (naming the path
        and the problem). The previous report is left untouched.
    """
    if workspace is None and outputs_root is None:
        workspace = find_workspace()
    nb_path = resolve_notebook(notebook, workspace)
    stem = nb_path.stem
    load_schemas_for(nb_path)
    defaults = run_defaults(stem, workspace)
    given = workspace_defaults(workspace, defaults) | dict(params or {})
    checked = validate_parameters(stem, given, data_checks=False)
    values = resolve_path_parameters(checked)
    publication = _Publication(
        status=check_status(status),
        chromium=find_chromium() if pdf else None,
        docx=_check_docx(docx, workspace),
    )
    wait = _check_wait(wait)
    root = _outputs_folder(outputs_root, workspace)
    target = resolve_output_dir(stem, values, output_dir, root, defaults)
    roots = _input_roots(values)
    if "data_dir" in roots and not roots["data_dir"].is_dir():
        raise ParameterError(
            [
                f"data_dir: {str(roots['data_dir'])!r} is not a folder; give the "
                f"folder that holds the CSV tables"
            ],
            notebook=stem,
        )
    progress = sys.stderr.isatty() if progress is None else progress
    own_kernel = kernel is None
    with _Interruptions() as interruptions, contextlib.ExitStack() as locked:
        _lock_report_folder(locked, root, target, wait, nb_path.name)
        if own_kernel:
            kernel = _launch_kernel(nb_path)
        try:
            check_against_data(stem, checked)
            manifest = _build_and_swap(
                root,
                target,
                stem,
                lambda tmp: _build_report(
                    tmp,
                    nb_path,
                    values,
                    roots,
                    progress,
                    root,
                    target,
                    publication,
                    kernel,
                    own_kernel,
                ),
                interruptions,
            )
        finally:
            if own_kernel:
                kernel.shutdown()
    _update_index(root)
    return RunResult(
        output_dir=target,
        notebook=target / f"{stem}.ipynb",
        html=target / f"{stem}.html",
        manifest_path=target / MANIFEST_NAME,
        manifest=manifest,
        excel=target / f"{stem}.xlsx",
        pdf=target / f"{stem}.pdf" if pdf else None,
        ods=target / f"{stem}.ods",
        docx=target / f"{stem}.docx" if publication.docx else None,
    )


def _check_docx(docx: Any, workspace: Workspace | None) -> bool:
    """Whether to write the Word document: ``docx`` when given, else the workspace's
    ``[outputs] docx`` (False without a workspace)."""
    if docx is None:
        return bool(workspace is not None and workspace.docx)
    if not isinstance(docx, bool):
        raise ParameterError(
            [
                f"docx: expected True or False (write the Word document or "
                f"not), or None for the workspace's default; got {docx!r}"
            ]
        )
    return docx


def _update_index(root: Path) -> None:
    """Rewrite ``index.html`` of the outputs root; the report is published already, so a
    failure here is a warning, not a failed run."""
    try:
        write_index(root)
    except (OSError, RunError) as err:
        problem = describe_os_error(err) if isinstance(err, OSError) else str(err)
        warnings.warn(
            f"the report is published, but the index of reports "
            f"{root / 'index.html'} was not updated ({problem}); the next run updates "
            f"it",
            stacklevel=3,
        )
