"""Run a report notebook with validated parameters and publish it with its provenance.

:func:`run_report` resolves the notebook and the paths, validates the parameters before anything
is executed, runs the notebook with papermill on this Python's kernel (:mod:`perfeval.run.kernels`;
the dataset loaded to check the parameters is handed to the kernel, so it is parsed once), then
hands over: the self-contained HTML report (:mod:`perfeval.run.export`), the supporting tables in
Excel and ODS (and, when asked, a Word document and a PDF: :mod:`perfeval.run.publish`,
:mod:`perfeval.run.ods`, :mod:`perfeval.run.docx`) and ``manifest.json`` (parameters, input
hashes, versions, git state, key figures: :mod:`perfeval.run.manifest`), then rewrites the outputs
root's ``index.html``. SIGTERM and SIGINT are handled in :mod:`perfeval.run.signals`. Everything is
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
import datetime as dt
import json
import re
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfeval.core.exceptions import ParameterError, PerfevalError, RunError
from perfeval.core.periods import LATEST_WAVE
from perfeval.run.docx import write_docx
from perfeval.run.export import (
    TEMPLATES_DIR,
    export_html,
    prepare_for_publication,
    report_title,
)
from perfeval.run.kernels import KERNEL_NAME
from perfeval.run.manifest import (
    MANIFEST_NAME,
    build_manifest,
    compare_inputs,
    hash_input_roots,
    input_file_hashes,
    input_roots,
    write_manifest,
)
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
    sha256_file,
)
from perfeval.run.publish import (
    check_status,
    describe_report,
    find_chromium,
    print_pdf,
    write_index,
    write_workbook,
)
from perfeval.run.signals import Interruptions
from perfeval.run.workspace import (
    Workspace,
    find_workspace,
    notebook_folders,
    resolve_notebook_in,
    workspace_defaults,
)

# export_html, input_file_hashes, compare_inputs, KERNEL_NAME, TEMPLATES_DIR and FAILED_DIR live
# in perfeval.run.export, .manifest, .kernels and .outputs; they are re-exported here for the
# callers that import them from the runner.
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
SLUG_PARAMETERS = ("council", "year", "quarter", "wave", "as_at")
SLUG_HASH_LENGTH = 8


def _readable_slug(values: Mapping[str, Any]) -> str:
    parts = [
        str(values[name]) for name in ("council", "year") if values.get(name) not in (None, "")
    ]
    if values.get("quarter") not in (None, ""):
        parts.append(f"Q{values['quarter']}")
    if values.get("wave") not in (None, "", LATEST_WAVE):  # "latest" follows from the year
        parts.append(f"wave-{values['wave']}")
    if values.get("as_at") not in (None, ""):
        parts.append(str(values["as_at"]))  # a report dated by a day: the action plan review
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
    present (``E06000017_2024-25``), with ``Q<quarter>``, ``wave-<wave>`` and the ``as_at`` date
    (``E06000017_2024-12-31``) added when those parameters exist, else ``default``. When
    ``defaults`` are given, every other parameter whose value differs from its default adds a
    short hash of those values (``E06000017_2017-18_3f9a0c2e``), so that two reports that differ
    in any parameter never share a folder, while a run with the defaults keeps the plain name.

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


# ---------------------------------------------------------------------------------------------
# Execution and safe publication


def _execute_notebook(
    source: Path, output: Path, values: Mapping[str, Any], progress: bool, kernel: Any
) -> None:
    """Run ``source`` with papermill on ``kernel`` and leave the kernel running.

    ``kernel`` is a :class:`perfeval.run.kernels.WarmKernel`: launched in the notebook's folder by
    :func:`run_report`, or reset to it by a batch. While it finishes starting, the modules that
    publishing needs are imported here, then papermill waits for it to be ready. The dataset this
    process loaded to check the parameters is handed to the kernel (:func:`_offer_dataset`), so
    that the notebook's ``load_dataset`` does not read the same CSV files again.
    """
    import papermill

    _import_publishing_modules()
    kernel.ready()
    with _offer_dataset(values, output.parent, kernel):
        papermill.execute_notebook(
            str(source),
            str(output),
            parameters=dict(values),
            kernel_name=KERNEL_NAME,
            progress_bar=progress,
            request_save_on_cell_execute=True,
            **kernel.engine_kwargs(),
        )


@contextlib.contextmanager
def _offer_dataset(values: Mapping[str, Any], tmp: Path, kernel: Any) -> Iterator[None]:
    """While the block runs, let the kernel's :func:`perfeval.data.loader.load_dataset` use the
    dataset of ``values["data_dir"]`` that this process has loaded (and cached) already.

    The dataset is pickled into a new 0700 folder inside the run's temporary folder ``tmp`` and
    the kernel's ``PERFEVAL_DATASET_CACHE`` names the file; the kernel uses it only when the
    folder's files still have the stamp they had when it was loaded (else it loads them itself).
    Pickle is acceptable only because this run writes the file into its own private folder and
    this run's kernel reads it; the folder is removed when the block ends. A folder with
    problems, or a notebook without ``data_dir``, is not offered: the notebook loads it itself.
    """
    from perfeval.data.loader import DATASET_CACHE_ENV, write_dataset_cache
    from perfeval.run.schemas import dataset_for

    data = None
    if "data_dir" in values:  # else the parameters' checks did not load it: nothing to offer
        with contextlib.suppress(PerfevalError):
            data = dataset_for(dict(values))
    if data is None:
        yield
        return
    private = Path(tempfile.mkdtemp(prefix=".dataset-", dir=tmp))  # mode 0700
    try:
        file = private / "dataset.pickle"
        write_dataset_cache(data, file)
        kernel.run_code(f"__import__('os').environ[{DATASET_CACHE_ENV!r}] = {str(file)!r}")
        yield
    finally:  # the variable may stay: a later load finds no file there and reads the folder
        shutil.rmtree(private, ignore_errors=True)


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
        write_docx(tmp / f"{stem}.docx", prepare_for_publication(executed), info)
        names.append(f"{stem}.docx")
    if publication.chromium:
        print_pdf(tmp / f"{stem}.html", tmp / f"{stem}.pdf", chromium=publication.chromium)
        names.append(f"{stem}.pdf")
    report_files = {name: sha256_file(tmp / name) for name in names}
    manifest = build_manifest(
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
    write_manifest(tmp, manifest)


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
    input_hashes = hash_input_roots(roots)  # the inputs as this run reads them
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
    root: Path, target: Path, label: str, build: Any, interruptions: Interruptions
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
    roots = input_roots(values)
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
    with Interruptions() as interruptions, contextlib.ExitStack() as locked:
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
