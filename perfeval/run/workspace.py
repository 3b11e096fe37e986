"""A council's workspace: its data, parameters, notebooks and reports, apart from perfeval.

A workspace is a folder holding ``perfeval.toml`` (``perfeval init DIR`` makes one)::

    [workspace]
    council = "E07000133"                   # the home council: the default `council`
    comparator_group = "melton_nearest_15"  # the default `comparator_group`
    data = "data"                           # the default `data_dir`; "" = perfeval's sample data
    outputs = "outputs"                     # where reports are published
    notebooks = "notebooks"                 # the council's own report notebooks
    params = "params"                       # default parameter files, <report>.yaml

    [outputs]
    docx = false                            # also write each report as <stem>.docx (Word)

Every key, and the ``[outputs]`` table, may be left out: the folders then have the names shown,
a report's ``council`` and ``comparator_group`` keep the report's own defaults, and a Word
document is written only when ``perfeval run --docx`` asks for one. Paths are relative to the
file's folder. perfeval finds the workspace as git finds a repository:
``--workspace DIR`` (or the environment variable ``PERFEVAL_WORKSPACE``), else the first folder
holding ``perfeval.toml`` from the current folder upwards (:func:`find_workspace`). Everything a
run needs from it is read once into a frozen :class:`Workspace` and passed on; nothing is read
from where perfeval is installed except its own bundled notebooks, parameters and sample data.

The file is input a council edits by hand, so it is read with a size limit and checked key by
key: an unknown key, a value of the wrong type or a council code that is not a GSS code is
refused with the file and the key named.

A report's parameters come, lowest first, from: the notebook's defaults; the bundled default
parameter file (when the workspace has none for the report); the workspace's council,
comparator group and data folder; the workspace's ``params/<report>.yaml`` or the file given
with ``--params``; ``-p NAME VALUE`` (:func:`gather_parameters`).
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfeval.core import paths
from perfeval.core.exceptions import ParameterError

__all__ = [
    "Workspace",
    "CONFIG_FILE",
    "ENV_VARIABLE",
    "MAX_CONFIG_BYTES",
    "WORKSPACE_KEYS",
    "OUTPUT_KEYS",
    "read_workspace",
    "find_workspace",
    "locate_workspace",
    "resolve_notebook_in",
    "notebook_folders",
    "default_parameter_file",
    "workspace_defaults",
    "gather_parameters",
    "is_gss_code",
]

CONFIG_FILE = "perfeval.toml"
ENV_VARIABLE = "PERFEVAL_WORKSPACE"
MAX_CONFIG_BYTES = 64 * 1024
"""The largest ``perfeval.toml`` read (64 KiB); the one ``perfeval init`` writes is under 1 KiB."""
#: The keys of the ``[workspace]`` table and what each holds.
WORKSPACE_KEYS = {
    "council": 'the home council\'s ONS GSS code, e.g. "E07000133" ("" = each report\'s own '
    "default)",
    "comparator_group": "the comparator group, a group in comparator_groups.csv",
    "data": 'the data folder ("" = the sample data bundled with perfeval)',
    "outputs": "the folder reports are published in",
    "notebooks": "the folder of the council's own report notebooks",
    "params": "the folder of default parameter files, <report>.yaml",
}
#: The keys of the optional ``[outputs]`` table (true or false) and what each asks for.
OUTPUT_KEYS = {
    "docx": "also write each report as a Word document, <stem>.docx, beside its HTML "
    "(perfeval run --docx does it for one run)",
}
_DEFAULT_FOLDERS = {
    "data": "data",
    "outputs": "outputs",
    "notebooks": "notebooks",
    "params": "params",
}
_GSS_CODE = re.compile(r"[EWSN][0-9]{8}")
_MAX_TEXT = 1000


def is_gss_code(text: str) -> bool:
    """True when ``text`` has the form of an ONS GSS code: E, W, S or N and 8 digits
    (``E06000017``)."""
    return bool(_GSS_CODE.fullmatch(text))


@dataclass(frozen=True)
class Workspace:
    """A council's workspace, as read from its ``perfeval.toml``.

    Attributes
    ----------
    root : Path
        The folder holding the configuration file.
    config_file : Path
        ``perfeval.toml`` itself.
    council, comparator_group : str
        Defaults of the parameters of the same names (``""``: the notebook's own default).
    data_dir : Path or None
        The default ``data_dir``; None for the sample data bundled with perfeval.
    outputs_dir, notebooks_dir, params_dir : Path
        Where reports are published, the council's own notebooks, and default parameter files.
    docx : bool
        ``[outputs] docx``: every run also writes the report as a Word document.
    """

    root: Path
    config_file: Path
    council: str
    comparator_group: str
    data_dir: Path | None
    outputs_dir: Path
    notebooks_dir: Path
    params_dir: Path
    docx: bool = False

    @property
    def data_dir_parameter(self) -> str:
        """The ``data_dir`` parameter this workspace gives: its data folder, or ``""`` for the
        bundled sample data."""
        return "" if self.data_dir is None else str(self.data_dir)

    def defaults(self) -> dict[str, str]:
        """The parameter defaults this workspace sets: ``council`` and ``comparator_group`` when
        not blank, and always ``data_dir``."""
        values = {"council": self.council, "comparator_group": self.comparator_group}
        return {name: value for name, value in values.items() if value} | {
            "data_dir": self.data_dir_parameter
        }


# ---------------------------------------------------------------------------------------------
# Reading perfeval.toml


def _read_config_text(config_file: Path) -> str:
    """The text of ``config_file``: a regular file of at most MAX_CONFIG_BYTES, UTF-8."""

    def refused(why: str) -> ParameterError:
        return ParameterError(
            [
                f"{config_file}: {why}; a workspace's {CONFIG_FILE} is a short "
                f"TOML file (perfeval init writes one)"
            ]
        )

    try:
        info = config_file.stat()
        if not stat.S_ISREG(info.st_mode):
            raise refused("is not a regular file")
        if info.st_size > MAX_CONFIG_BYTES:
            raise refused(f"is {info.st_size:,} bytes, more than {MAX_CONFIG_BYTES:,}")
        with config_file.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as err:
        raise ParameterError(
            [
                f"{config_file}: cannot be read ({err.strerror or err}); check "
                f"the path and its permissions"
            ]
        ) from err
    if len(data) > MAX_CONFIG_BYTES:
        raise refused(f"is more than {MAX_CONFIG_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise refused(f"is not UTF-8 text (byte {err.start})") from err


def _unknown_key(config_file: Path, where: str, key: Any, known: Iterable[str]) -> str:
    known = list(known)
    close = difflib.get_close_matches(str(key)[:100], known, n=1) if isinstance(key, str) else []
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    shown = repr(key) if len(repr(key)) <= 60 else repr(key)[:57] + "..."
    return f"{config_file}: unknown key {shown} in {where}{hint}; the keys are {', '.join(known)}"


def _text_value(config_file: Path, key: str, value: Any) -> tuple[str | None, str | None]:
    """(the value, None) or (None, the problem) for a key that holds text."""
    where = f"{config_file}: [workspace] {key}"
    if not isinstance(value, str):
        return None, (
            f"{where} must be text in quotes ({WORKSPACE_KEYS[key]}); got "
            f"{type(value).__name__} {str(value)[:40]!r}"
        )
    if len(value) > _MAX_TEXT or any(ord(c) < 32 for c in value):
        return None, (
            f"{where} must be one line of at most {_MAX_TEXT} characters; got {value[:40]!r}..."
        )
    if key == "council" and value and not is_gss_code(value):
        return None, (
            f"{where} = {value[:40]!r} is not an ONS GSS code; write the home "
            f'council\'s code, e.g. "E07000133" (Melton) or "E06000017" (Rutland)'
        )
    return value, None


def _output_flags(
    config_file: Path, document: Mapping[str, Any]
) -> tuple[dict[str, bool], list[str]]:
    """The ``[outputs]`` table's flags (each False when left out) and its problems."""
    table = document.get("outputs", {})
    if not isinstance(table, dict):
        return {}, [
            f"{config_file}: outputs must be a table, [outputs], holding "
            f"{', '.join(f'{k} = true or false' for k in OUTPUT_KEYS)}"
        ]
    problems = [
        _unknown_key(config_file, "[outputs]", key, OUTPUT_KEYS)
        for key in table
        if key not in OUTPUT_KEYS
    ]
    problems += [
        f"{config_file}: [outputs] {key} must be true or false ({OUTPUT_KEYS[key]}); "
        f"got {type(table[key]).__name__} {str(table[key])[:40]!r}"
        for key in OUTPUT_KEYS
        if key in table and not isinstance(table[key], bool)
    ]
    return {key: table.get(key) is True for key in OUTPUT_KEYS}, problems


def _check_table(config_file: Path, document: Mapping[str, Any]) -> list[str]:
    problems = [
        _unknown_key(config_file, "the file", key, ["workspace", "outputs"])
        for key in document
        if key not in ("workspace", "outputs")
    ]
    table = document.get("workspace")
    if not isinstance(table, dict):
        return problems + [
            f"{config_file}: no [workspace] table; start the file with a line "
            f"[workspace] followed by the keys {', '.join(WORKSPACE_KEYS)}"
        ]
    return problems + [
        _unknown_key(config_file, "[workspace]", key, WORKSPACE_KEYS)
        for key in table
        if key not in WORKSPACE_KEYS
    ]


def _folder(root: Path, text: str) -> Path:
    path = Path(text).expanduser()
    return (path if path.is_absolute() else root / path).resolve()


def _overlap_problems(
    config_file: Path, outputs: Path, others: Mapping[str, Path | None]
) -> list[str]:
    """The outputs folder may not be the workspace itself, nor hold or lie in another folder of
    it (``others``, None for one not set; a report folder is replaced whole when re-run)."""
    if outputs == config_file.parent:
        return [
            f"{config_file}: [workspace] outputs is the workspace folder itself; give a "
            f'folder of its own, e.g. "outputs"'
        ]
    return [
        f"{config_file}: [workspace] outputs ({outputs}) and {key} ({folder}) overlap; "
        f'reports need a folder of their own, e.g. outputs = "outputs"'
        for key, folder in others.items()
        if folder is not None and (outputs.is_relative_to(folder) or folder.is_relative_to(outputs))
    ]


def read_workspace(config_file: str | Path) -> Workspace:
    """Read and check a workspace's ``perfeval.toml``.

    Parameters
    ----------
    config_file : str or Path
        The file.

    Returns
    -------
    Workspace
        Its folders made absolute (relative paths are taken from the file's folder).

    Raises
    ------
    ParameterError
        Listing every problem at once: the file cannot be read, is larger than
        :data:`MAX_CONFIG_BYTES`, is not UTF-8 or not TOML (with the line), has an unknown key
        (with a did-you-mean), a value that is not text (in ``[outputs]``: not true or
        false), a council that is not a GSS code, an
        outputs folder that overlaps another folder of the workspace, or nests too deeply.
    """
    config_file = Path(config_file).expanduser().absolute()
    text = _read_config_text(config_file)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ParameterError([f"{config_file}: not valid TOML: {str(err)[:300]}"]) from err
    except RecursionError as err:  # tomllib reads nested arrays and tables recursively
        raise ParameterError(
            [
                f"{config_file}: nests arrays or tables too deeply; the "
                f"[workspace] keys are plain text"
            ]
        ) from err
    problems = _check_table(config_file, document)
    found = document.get("workspace")
    table: dict[str, Any] = found if isinstance(found, dict) else {}
    values: dict[str, str] = {}
    for key in WORKSPACE_KEYS:
        value, problem = _text_value(
            config_file, key, table.get(key, _DEFAULT_FOLDERS.get(key, ""))
        )
        problems += [problem] if problem else []
        values[key] = value or ""
    root = config_file.parent
    folders = {
        key: _folder(root, values[key] or _DEFAULT_FOLDERS[key])
        for key in ("outputs", "notebooks", "params")
    }
    data_dir = _folder(root, values["data"]) if values["data"].strip() else None
    flags, flag_problems = _output_flags(config_file, document)
    problems += flag_problems
    others = {"notebooks": folders["notebooks"], "params": folders["params"], "data": data_dir}
    problems += _overlap_problems(config_file, folders["outputs"], others) if not problems else []
    if problems:
        raise ParameterError(problems)
    return Workspace(
        root=root.resolve(),
        config_file=config_file,
        council=values["council"],
        comparator_group=values["comparator_group"],
        data_dir=data_dir,
        outputs_dir=folders["outputs"],
        notebooks_dir=folders["notebooks"],
        params_dir=folders["params"],
        docx=flags.get("docx", False),
    )


# ---------------------------------------------------------------------------------------------
# Finding the workspace


def _config_in(given: str | Path, what: str) -> Path:
    """The configuration file named by ``--workspace`` or the environment variable: a folder
    holding ``perfeval.toml``, or the file itself."""
    path = Path(given).expanduser()
    if path.is_dir():
        path = path / CONFIG_FILE
    if not path.is_file():
        raise ParameterError(
            [
                f"{what} {str(given)!r}: no {CONFIG_FILE} there; give the folder "
                f"of a workspace, or make one with `perfeval init {given}`"
            ]
        )
    return path


def _search_upwards(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
    return None


def locate_workspace(
    start: str | Path | None = None, explicit: str | Path | None = None
) -> Workspace | None:
    """The workspace to use, or None when there is none.

    Parameters
    ----------
    start : str or Path, optional
        Where the search upwards begins; default the current folder.
    explicit : str or Path, optional
        ``--workspace DIR``: that folder (or its ``perfeval.toml``), and no search.

    Returns
    -------
    Workspace or None
        From ``explicit``, else the environment variable ``PERFEVAL_WORKSPACE``, else the first
        folder holding ``perfeval.toml`` from ``start`` upwards; None when none holds one.

    Raises
    ------
    ParameterError
        If ``explicit`` or the environment variable names a folder without ``perfeval.toml``,
        or the file found is not a valid workspace configuration (:func:`read_workspace`).
    """
    if explicit is not None and str(explicit) != "":
        return read_workspace(_config_in(explicit, "--workspace"))
    if os.environ.get(ENV_VARIABLE, "").strip():
        return read_workspace(_config_in(os.environ[ENV_VARIABLE], ENV_VARIABLE))
    found = _search_upwards(Path.cwd() if start is None else Path(start).absolute())
    return None if found is None else read_workspace(found)


def find_workspace(
    start: str | Path | None = None, explicit: str | Path | None = None
) -> Workspace:
    """The workspace to use, as :func:`locate_workspace` finds it; one must exist.

    Raises
    ------
    ParameterError
        As :func:`locate_workspace`, and when there is no workspace in ``start`` or any folder
        above it (saying how to make one).
    """
    workspace = locate_workspace(start, explicit)
    if workspace is None:
        where = Path.cwd() if start is None else Path(start).absolute()
        raise ParameterError(
            [
                f"no perfeval workspace in {where} or any folder above it; run "
                f"`perfeval init DIR` or pass --workspace"
            ]
        )
    return workspace


# ---------------------------------------------------------------------------------------------
# What a workspace gives a run


def notebook_folders(workspace: Workspace | None) -> list[tuple[str, Path]]:
    """Where a report notebook is looked for by name, in order: the workspace's ``notebooks/``
    (``"workspace"``), then perfeval's built-in notebooks (``"built-in"``)."""
    folders = [("workspace", workspace.notebooks_dir)] if workspace is not None else []
    return folders + [("built-in", paths.BUNDLED_NOTEBOOKS_DIR)]


def resolve_notebook_in(name: str, workspace: Workspace | None) -> tuple[Path, str] | None:
    """The notebook called ``name`` (a stem) and where it was found (``"workspace"`` or
    ``"built-in"``), or None."""
    for origin, folder in notebook_folders(workspace):
        candidate = folder / f"{name}.ipynb"
        if candidate.is_file():
            return candidate.resolve(), origin
    return None


def default_parameter_file(stem: str, workspace: Workspace | None) -> tuple[Path, bool] | None:
    """The default parameter file of report ``stem`` and whether it is the workspace's own:
    the workspace's ``params/<stem>.yaml`` if it exists, else the bundled one, else None."""
    if workspace is not None and (workspace.params_dir / f"{stem}.yaml").is_file():
        return workspace.params_dir / f"{stem}.yaml", True
    bundled = paths.BUNDLED_PARAMS_DIR / f"{stem}.yaml"
    return (bundled, False) if bundled.is_file() else None


def workspace_defaults(workspace: Workspace | None, names: Iterable[str]) -> dict[str, str]:
    """The defaults the workspace sets for the parameters ``names`` of a notebook (its council,
    comparator group and data folder, for the notebooks that have those parameters)."""
    if workspace is None:
        return {}
    wanted = set(names)
    return {name: value for name, value in workspace.defaults().items() if name in wanted}


def gather_parameters(
    stem: str,
    names: Iterable[str],
    workspace: Workspace | None,
    *,
    param_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The parameter values a report runs with, before validation.

    Lowest first: the bundled default parameter file of ``stem`` (only when neither
    ``param_file`` is given nor the workspace has its own), the workspace's defaults
    (:func:`workspace_defaults`), ``param_file`` or else the workspace's ``params/<stem>.yaml``,
    then ``overrides``. Parameters given nowhere take the notebook's defaults when validated.

    Parameters
    ----------
    stem : str
        The report notebook's stem.
    names : iterable of str
        The notebook's parameter names (the workspace gives defaults only to those it has).
    workspace : Workspace or None
        The workspace, or None outside any.
    param_file : str or Path, optional
        ``--params FILE``.
    overrides : mapping, optional
        ``-p NAME VALUE`` values.

    Returns
    -------
    dict

    Raises
    ------
    ParameterError
        If a parameter file cannot be read (:func:`perfeval.run.parameters.load_parameter_file`).
    """
    from perfeval.run.parameters import load_parameter_file

    values: dict[str, Any] = {}
    default = default_parameter_file(stem, workspace)
    if param_file is None and default is not None and not default[1]:
        values |= load_parameter_file(default[0])
    values |= workspace_defaults(workspace, names)
    if param_file is not None:
        values |= load_parameter_file(param_file)
    elif default is not None and default[1]:
        values |= load_parameter_file(default[0])
    return values | dict(overrides or {})
