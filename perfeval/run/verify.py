"""Verify a published report: check what was published, then re-run it and compare.

A manifest may come from anyone, so :func:`verify_report` trusts nothing in it:

1. The manifest is read with a size limit and checked against the published JSON schema
   (``manifest.schema.json``, shipped in the package and in ``docs/``) before any of it is used;
   a manifest that fails is one :class:`~perfeval.core.exceptions.VerificationError`.
2. Every file the manifest lists in ``report_files`` is hashed in the manifest's folder: an
   edited HTML page, Excel workbook, PDF or executed notebook is named.
3. The notebook run is never a path from the manifest: only its file name is taken, and the
   trusted notebook of that name is used, looked up as a run looks it up: the workspace's
   ``notebooks/``, then perfeval's built-in notebooks (:func:`trusted_notebooks`); the first
   whose sha256 is the manifest's is run. If none matches, nothing is imported or executed.
4. Every input folder and path parameter must resolve (symbolic links resolved) inside the
   workspace, its data folder, the data shipped inside perfeval (``perfeval/bundled/``) or a
   folder the auditor named (``--data-dir``); anything else is refused before anything is
   read, and a folder's symbolic links are followed only into those folders.
5. The re-run (in a scratch folder; the published report is not touched) is compared with the
   manifest: every parameter, every input file's hash, every key figure exactly.
"""

from __future__ import annotations

import importlib.resources
import itertools
import json
import math
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfeval.core import paths
from perfeval.core.exceptions import DataValidationError, PerfevalError, VerificationError
from perfeval.core.quoting import short_repr
from perfeval.run.manifest import compare_inputs
from perfeval.run.parameters import is_path_parameter
from perfeval.run.provenance import hash_inputs, package_versions, sha256_file
from perfeval.run.runner import run_report
from perfeval.run.workspace import (
    CONFIG_FILE,
    Workspace,
    locate_workspace,
    notebook_folders,
    read_workspace,
)

__all__ = [
    "VerifyResult",
    "verify_report",
    "compare_key_figures",
    "table_key_column",
    "KEY_COLUMNS",
    "read_manifest",
    "load_manifest_schema",
    "check_manifest",
    "trusted_notebook",
    "trusted_notebooks",
    "notebook_file_name",
    "check_report_files",
    "MANIFEST_SCHEMA_FILE",
    "MAX_MANIFEST_BYTES",
    "MAX_NESTING",
]

MANIFEST_SCHEMA_FILE = "manifest.schema.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
"""The largest manifest read (64 MiB); a real one is a few hundred kilobytes at most."""
MAX_NESTING = 32
"""The deepest nesting of lists and objects accepted in a manifest (a real one has 6)."""
NOTEBOOK_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\.ipynb")
_MAX_PROBLEMS_SHOWN = 5
_FIX = (
    "give the manifest.json that perfeval run wrote beside the report (its format is "
    "manifest.schema.json, shipped with perfeval and in its docs/)"
)


# ---------------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of verifying a published report.

    Attributes
    ----------
    manifest_path : Path
        The manifest that was verified.
    notebook_problem : str or None
        Why the notebook was not run: the workspace has no notebook of that name, or its sha256
        differs from the manifest's.
    refused_inputs : list of str
        One line per input or path parameter that is outside the allowed folders (or missing),
        and per symbolic link leading out of them; none was read.
    report_file_changes : list of str
        One line per published file that differs from its hash in the manifest or is missing.
    input_changes : list of str
        One line per input file changed, added or removed since publication.
    parameter_differences : list of str
        One line per parameter whose re-run value differs from the published one.
    figure_differences : list of str
        One line per key figure (or table cell) that the re-run did not reproduce exactly.
    run_error : str or None
        The error message if the re-run failed.
    ran : bool
        True if the notebook was re-run.
    notes : list of str
        What does not fail verification: package versions, files in the report folder that
        the manifest does not list, a ``--data-dir`` substitution.
    """

    manifest_path: Path
    notebook_problem: str | None = None
    refused_inputs: list[str] = field(default_factory=list)
    report_file_changes: list[str] = field(default_factory=list)
    input_changes: list[str] = field(default_factory=list)
    parameter_differences: list[str] = field(default_factory=list)
    figure_differences: list[str] = field(default_factory=list)
    run_error: str | None = None
    ran: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def notebook_changed(self) -> bool:
        """True if the workspace's notebook is missing or differs from the one that produced
        the report."""
        return self.notebook_problem is not None

    @property
    def ok(self) -> bool:
        """True when every published file is as published, the notebook and inputs are
        unchanged, and the re-run reproduced every parameter and key figure."""
        return self.ran and not (
            self.notebook_problem
            or self.refused_inputs
            or self.report_file_changes
            or self.input_changes
            or self.parameter_differences
            or self.figure_differences
            or self.run_error
        )

    def summary(self) -> str:
        """A plain-text account of the verification, for people."""
        verdict = (
            "every published file matches its manifest and every key figure reproduced exactly."
            if self.ok
            else "FAILED."
        )
        lines = [f"Verification of {self.manifest_path}: {verdict}"]
        if self.notebook_problem:
            lines.append(self.notebook_problem)
        for title, items in (
            ("Inputs refused (nothing was read from them):", self.refused_inputs),
            ("Published files that differ from the manifest:", self.report_file_changes),
            ("Input files changed since publication:", self.input_changes),
            ("Parameters that differ (published, re-run):", self.parameter_differences),
            ("Key figures not reproduced:", self.figure_differences),
        ):
            if items:
                lines += [title] + [f"  - {item}" for item in items]
        if self.run_error:
            lines += ["The re-run failed:", self.run_error]
        elif not self.ran:
            lines.append(
                "Nothing was run: the notebook was not executed and no schema module was imported."
            )
        if self.notes:
            lines += ["Notes (do not affect the result):"] + [f"  - {n}" for n in self.notes]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Key figures


def _same(a: Any, b: Any) -> bool:
    """Exact equality of JSON values: 1, 1.0 and True are all different."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


#: Columns that identify a table's rows, in the order looked for: the first present whose values
#: are all different keys the comparison (the indicator table's ``Code``, a scorecard's
#: ``indicator``).
KEY_COLUMNS = ("Code", "indicator", "code", "Indicator code")
#: Columns naming the row's thing, shown beside its key: ``NI192 (Household waste ...)``.
NAME_COLUMNS = ("Indicator", "title", "Title", "name", "Name")


def _shown(value: Any) -> str:
    """A cell as a person reads it in a difference: text as written, anything else as JSON."""
    return value if isinstance(value, str) else short_repr(value)


def _column_word(column: Any) -> str:
    """``RAG`` for a column of RAG statuses (``Against target (RAG)``, ``rag``), else the
    column's own header."""
    text = str(column)
    return "RAG" if text.lower() == "rag" or "(RAG)" in text else text


def table_key_column(table: Mapping[str, Any]) -> int | None:
    """The position of the column that identifies the rows of a recorded table, or None.

    A table recorded with an index is keyed by it (None here); otherwise the first of
    :data:`KEY_COLUMNS` whose values are all present and different, else the first column when
    its values are all different texts (``rag_counts``: Green, Amber, ...).
    """
    if "index" in table:
        return None
    columns = list(table.get("columns") or [])
    rows = table.get("data") or []

    def unique(position: int) -> bool:
        keys = [row[position] for row in rows]
        return None not in keys and len({json.dumps(k) for k in keys}) == len(keys)

    for name in KEY_COLUMNS:
        if name in columns and unique(columns.index(name)):
            return columns.index(name)
    if columns and rows and all(isinstance(row[0], str) for row in rows) and unique(0):
        return 0
    return None


def _row_labels(table: Mapping[str, Any], key: int) -> dict[str, str]:
    """Each row's key (as JSON) and its label: the key, with the row's name when there is one."""
    columns = list(table["columns"])
    name = next((columns.index(c) for c in NAME_COLUMNS if c in columns), None)
    labels = {}
    for row in table["data"]:
        label = str(row[key])
        if name is not None and name != key and isinstance(row[name], str):
            label = f"{label} ({row[name]})"
        labels[json.dumps(row[key])] = label
    return labels


def _compare_keyed_rows(
    name: str, old: Mapping[str, Any], new: Mapping[str, Any], key: int
) -> list[str]:
    """Row by row on the key column: each changed cell as ``NI192 (title): RAG was Green, now
    Amber``; rows only in one of the tables named."""
    columns = list(old["columns"])
    old_rows = {json.dumps(row[key]): row for row in old["data"]}
    new_rows = {json.dumps(row[key]): row for row in new["data"]}
    labels = _row_labels(new, key) | _row_labels(old, key)
    lines = [
        f"{name}: {labels[k]}: in the published table, not in the re-run"
        for k in old_rows
        if k not in new_rows
    ]
    lines += [f"{name}: {labels[k]}: new in the re-run" for k in new_rows if k not in old_rows]
    for k, old_row in old_rows.items():
        if k in new_rows:
            lines += [
                f"{name}: {labels[k]}: {_column_word(column)} was {_shown(a)}, now {_shown(b)}"
                for column, a, b in zip(columns, old_row, new_rows[k])
                if not _same(a, b)
            ]
    if not lines and list(old_rows) != list(new_rows):
        lines.append(f"{name}: the same rows in a different order")
    return lines


def _compare_tables(
    name: str, old: Mapping[str, Any], new: Mapping[str, Any], limit: int = 10
) -> list[str]:
    for part in ("columns", "index"):
        if not _same(old.get(part), new.get(part)):
            return [
                f"{name}: table {part} differ: published {short_repr(old.get(part))}, "
                f"re-run {short_repr(new.get(part))}"
            ]
    key = table_key_column(old)
    if key is not None and table_key_column(new) == key:
        cells = _compare_keyed_rows(name, old, new, key)
    elif len(old["data"]) != len(new["data"]):
        return [
            f"{name}: published table has {len(old['data'])} rows, re-run has {len(new['data'])}"
        ]
    else:
        labels = old.get("index") or list(range(len(old["data"])))
        cells = [
            f"{name}: row {label!r}, column {column!r}: published {a!r}, re-run {b!r}"
            for label, old_row, new_row in zip(labels, old["data"], new["data"])
            for column, a, b in zip(old["columns"], old_row, new_row)
            if not _same(a, b)
        ]
    if len(cells) > limit:
        cells = cells[:limit] + [f"{name}: ... and {len(cells) - limit} more cells differ"]
    return cells


def compare_key_figures(published: Mapping[str, Any], rerun: Mapping[str, Any]) -> list[str]:
    """Return one line per difference between two sets of key figures (empty when identical).

    Numbers and text are compared exactly; tables column labels, index and every cell. A
    table with a key column (:func:`table_key_column`: the indicator table's ``Code``) is
    compared row by row on it, so a change reads by indicator: ``indicator_table: NI192
    (Household waste ...): RAG was Green, now Amber``; a row added or dropped is named, not
    counted. Other tables are compared cell by cell in order (``row 'B', column 'v': published
    2.0, re-run 2.25``).
    """
    differences = [f"{name}: missing from the re-run" for name in published if name not in rerun]
    differences += [f"{name}: new in the re-run" for name in rerun if name not in published]
    for name in published.keys() & rerun.keys():
        old, new = published[name], rerun[name]
        if old.get("kind") == new.get("kind") == "table":
            differences += _compare_tables(name, old["value"], new["value"])
        elif not _same(old.get("value"), new.get("value")) or old.get("kind") != new.get("kind"):
            differences.append(
                f"{name}: published {short_repr(old.get('value'))}, "
                f"re-run {short_repr(new.get('value'))}"
            )
    return sorted(differences)


def compare_parameters(
    published: Mapping[str, Any], rerun: Mapping[str, Any], *, ignore: Iterable[str] = ()
) -> list[str]:
    """One line per parameter whose value differs between the published and the re-run
    parameters (name, published value, re-run value, each shortened); ``ignore`` names
    parameters left out (a ``--data-dir`` substitution)."""
    missing = object()
    skipped = set(ignore)
    lines = []
    for name in sorted((published.keys() | rerun.keys()) - skipped):
        old, new = published.get(name, missing), rerun.get(name, missing)
        if old is missing or new is missing or not _same(old, new):
            shown_old = "(not published)" if old is missing else short_repr(old)
            shown_new = "(not in the re-run)" if new is missing else short_repr(new)
            lines.append(f"{name}: published {shown_old}, re-run {shown_new}")
    return lines


def _version_notes(published: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    return [
        f"{name} {short_repr(published.get(name))} when published, {current.get(name)} now"
        for name in sorted(published.keys() | current.keys())
        if published.get(name) != current.get(name)
    ]


# ---------------------------------------------------------------------------------------------
# Reading and checking the manifest


def _not_a_manifest(manifest_path: Path, detail: str) -> VerificationError:
    return VerificationError(
        f"{manifest_path} is not a readable perfeval manifest: {detail}; {_FIX}"
    )


def _read_bounded(manifest_path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes."""
    try:
        if not stat.S_ISREG(manifest_path.stat().st_mode):
            raise _not_a_manifest(manifest_path, "it is not a regular file")
        with open(manifest_path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise _not_a_manifest(
            manifest_path, f"{type(err).__name__}: {err.strerror or err}"
        ) from err
    if len(data) > limit:
        raise _not_a_manifest(
            manifest_path, f"it is larger than {limit // (1024 * 1024)} MiB (MAX_MANIFEST_BYTES)"
        )
    return data


def _refuse_constant(name: str) -> float:
    raise ValueError(
        f"it contains {name}, which is not JSON (a manifest never holds NaN or infinite numbers)"
    )


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]!r} is too large to be a finite number")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the field {short_repr(key)} appears twice in one object")
        found[key] = value
    return found


def _nesting_depth(value: Any) -> int:
    """The deepest nesting of lists and objects in a JSON value (0 for a scalar), counted
    level by level without recursion, and only up to :data:`MAX_NESTING` + 1."""
    depth, level = 0, [value]
    while depth <= MAX_NESTING:
        containers = [item for item in level if isinstance(item, (list, dict))]
        if not containers:
            break
        depth += 1
        level = [
            child
            for item in containers
            for child in (item.values() if isinstance(item, dict) else item)
        ]
    return depth


def _parse_manifest(manifest_path: Path, data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except UnicodeDecodeError as err:
        raise _not_a_manifest(manifest_path, f"it is not UTF-8 text (byte {err.start})") from err
    except RecursionError as err:
        raise _not_a_manifest(
            manifest_path, f"it nests lists or objects more than {MAX_NESTING} deep"
        ) from err
    except ValueError as err:  # json.JSONDecodeError is a ValueError, as are the hooks' errors
        raise _not_a_manifest(manifest_path, f"it is not valid JSON ({err})") from err
    if _nesting_depth(value) > MAX_NESTING:
        raise _not_a_manifest(
            manifest_path, f"it nests lists or objects more than {MAX_NESTING} deep"
        )
    return value


def load_manifest_schema() -> dict[str, Any]:
    """Return the JSON schema of a manifest (draft 2020-12), as shipped in the package.

    The same file is published as ``docs/manifest.schema.json``.
    """
    resource = importlib.resources.files("perfeval").joinpath(MANIFEST_SCHEMA_FILE)
    return json.loads(resource.read_text(encoding="utf-8"))


_TYPE_WORDS = {
    "object": "an object",
    "array": "a list",
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}


def _field_name(path: Iterable[Any]) -> str:
    """``notebook.path``, ``key_figures['total'].value``, ``parameters.key_indicators[2]``."""
    name = ""
    for part in path:
        if isinstance(part, int):
            name += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,60}", part):
            name += f".{part}" if name else part
        else:
            name += f"[{short_repr(part)}]"
    return name or "the manifest"


def _expected(error: Any) -> str:
    """What the schema asked for, in words."""
    rule, wanted = error.validator, error.validator_value
    if rule == "pattern":
        return error.schema.get("description") or f"text matching {wanted}"
    if rule == "type":
        types = [wanted] if isinstance(wanted, str) else wanted
        return " or ".join(_TYPE_WORDS.get(t, t) for t in types)
    if rule == "enum":
        return f"one of {', '.join(map(repr, wanted))}"
    words = {
        "const": "{!r}",
        "maxLength": "at most {} characters",
        "minLength": "at least {} characters",
        "maxItems": "at most {} items",
        "maxProperties": "at most {} fields",
        "minProperties": "at least {} field(s)",
        "minimum": "a number of at least {}",
        "maximum": "a number of at most {}",
    }
    if rule not in words:
        return f"a value allowed by the schema's {rule!r} rule"
    return words[rule].format(wanted)


def _found(error: Any) -> str:
    value = error.instance
    if isinstance(value, str) and error.validator in ("maxLength", "minLength"):
        return f"{len(value)} characters starting {short_repr(value[:40])}"
    if isinstance(value, (list, dict)) and error.validator in (
        "maxItems",
        "maxProperties",
        "minProperties",
    ):
        return f"{len(value)}"
    return short_repr(value)


def _describe_error(error: Any) -> str:
    """One line for one schema violation: which field, what was expected, what was found."""
    where = _field_name(error.absolute_path)
    instance = error.instance
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in instance]
        return f"{where}: missing field(s) {', '.join(missing)}"
    if error.validator == "additionalProperties" and error.validator_value is False:
        known = error.schema.get("properties", {})
        extra = [short_repr(name) for name in instance if name not in known]
        return f"{where}: unexpected field(s) {', '.join(extra[:5])} (allowed: {', '.join(known)})"
    if "propertyNames" in error.relative_schema_path:
        return f"{where}: the name {short_repr(instance)} is not {_expected(error)}"
    return f"{where}: expected {_expected(error)}, found {_found(error)}"


def check_manifest(manifest: Any, schema: Mapping[str, Any] | None = None) -> list[str]:
    """Return one line per way ``manifest`` breaks the manifest schema (empty when it is
    valid): field, what was expected, a short prefix of what was found. The first 100
    violations are looked at (a "missing field(s)" line names every missing field at once).

    Parameters
    ----------
    manifest : any
        A parsed manifest.
    schema : mapping, optional
        The schema; by default :func:`load_manifest_schema`.
    """
    from jsonschema import Draft202012Validator  # imported here: only verification needs it

    validator = Draft202012Validator(load_manifest_schema() if schema is None else schema)
    lines = [
        _describe_error(error) for error in itertools.islice(validator.iter_errors(manifest), 100)
    ]
    return list(dict.fromkeys(lines))


def read_manifest(manifest_path: str | Path) -> dict[str, Any]:
    """Read a report's ``manifest.json`` and check it against the manifest schema.

    Parameters
    ----------
    manifest_path : str or Path
        The manifest.

    Returns
    -------
    dict
        The manifest, valid against ``manifest.schema.json``.

    Raises
    ------
    VerificationError
        If the file is missing, not a regular file, larger than :data:`MAX_MANIFEST_BYTES`,
        not UTF-8 JSON, holds NaN, infinite numbers or a field twice in one object, nests
        deeper than :data:`MAX_NESTING`, or breaks the schema (naming the fields).
    """
    manifest_path = Path(manifest_path)
    manifest = _parse_manifest(manifest_path, _read_bounded(manifest_path, MAX_MANIFEST_BYTES))
    problems = check_manifest(manifest)
    if problems:
        shown = problems[:_MAX_PROBLEMS_SHOWN]
        more = ["... and more"] if len(problems) > _MAX_PROBLEMS_SHOWN else []
        raise _not_a_manifest(
            manifest_path, "it does not match the manifest schema (" + "; ".join(shown + more) + ")"
        )
    return manifest


# ---------------------------------------------------------------------------------------------
# What was published


def check_report_files(
    folder: Path, report_files: Mapping[str, str], manifest_name: str = "manifest.json"
) -> tuple[list[str], list[str]]:
    """Compare the files of a report folder with the hashes its manifest lists.

    Parameters
    ----------
    folder : Path
        The report folder (the manifest's folder).
    report_files : mapping
        Plain file name -> sha256, as in a manifest's ``report_files``.
    manifest_name : str
        The manifest's own file name, which is not listed.

    Returns
    -------
    tuple of (list of str, list of str)
        One line per listed file that is missing, not a regular file (a symbolic link is not
        followed) or differs; and the names of files in the folder the manifest does not list.
    """
    changes = []
    for name, published in sorted(report_files.items()):
        path = folder / name
        try:
            mode = path.lstat().st_mode
        except OSError:
            changes.append(f"{name}: missing from {folder}")
            continue
        if not stat.S_ISREG(mode):
            changes.append(
                f"{name}: is not a regular file (a link, folder or device), so it "
                f"was not read; a published file must be the file itself"
            )
            continue
        current = sha256_file(path)
        if current != published:
            changes.append(
                f"{name}: differs from the published file (sha256 "
                f"{published[:12]}... in the manifest, {current[:12]}... now)"
            )
    unlisted = sorted(set(os.listdir(folder)) - set(report_files) - {manifest_name})
    return changes, unlisted


# ---------------------------------------------------------------------------------------------
# The notebook


def notebook_file_name(notebook_path: str) -> str:
    """The file name at the end of a manifest's ``notebook.path`` (``/`` or ``\\`` separated).

    Raises
    ------
    VerificationError
        If it is not a plain notebook file name (a letter or digit, then letters, digits,
        ``_``, ``.`` or ``-``, ending in ``.ipynb``).
    """
    name = re.split(r"[\\/]", notebook_path)[-1]
    if not NOTEBOOK_FILE_NAME.fullmatch(name):
        raise VerificationError(
            f"the manifest's notebook.path ends in {short_repr(name)}, which is "
            f"not a notebook file name such as state_of_the_nation.ipynb; "
            f"{_FIX}"
        )
    return name


def _folders(notebooks_dir: str | Path | Sequence[str | Path]) -> list[Path]:
    if isinstance(notebooks_dir, (str, Path)):
        return [Path(notebooks_dir)]
    return [Path(folder) for folder in notebooks_dir]


def _looked_in(folders: Sequence[Path]) -> str:
    return " and ".join(str(folder) for folder in folders)


def trusted_notebooks(name: str, notebooks_dir: str | Path | Sequence[str | Path]) -> list[Path]:
    """Every trusted notebook called ``name``: the file of that name in each folder, in order.

    Parameters
    ----------
    name : str
        A notebook file name (see :func:`notebook_file_name`); never a path.
    notebooks_dir : str, Path or sequence of them
        The trusted notebooks folders: the workspace's ``notebooks/``, then perfeval's built-in
        notebooks (the order a run looks a name up in).

    Returns
    -------
    list of Path
        Absolute paths; empty when no folder has the notebook.

    Raises
    ------
    VerificationError
        If ``name`` is not a plain notebook file name.
    """
    if not NOTEBOOK_FILE_NAME.fullmatch(name):
        raise VerificationError(
            f"{short_repr(name)} is not a notebook file name such as state_of_the_nation.ipynb"
        )
    return [
        (folder / name).resolve() for folder in _folders(notebooks_dir) if (folder / name).is_file()
    ]


def trusted_notebook(name: str, notebooks_dir: str | Path | Sequence[str | Path]) -> Path:
    """Return the first trusted notebook called ``name`` (see :func:`trusted_notebooks`).

    Raises
    ------
    VerificationError
        If ``name`` is not a plain notebook file name, or no folder has such a notebook.
    """
    found = trusted_notebooks(name, notebooks_dir)
    if not found:
        raise VerificationError(_no_notebook(name, _folders(notebooks_dir)))
    return found[0]


def _no_notebook(name: str, folders: Sequence[Path]) -> str:
    return (
        f"The workspace has no notebook {name} (looked in {_looked_in(folders)}), so "
        f"nothing was run; verify a report of a notebook of this workspace or of "
        f"perfeval's built-in ones"
    )


def _changed_notebook(
    name: str, nb_path: Path, current: str, published_sha: str, published_version: str
) -> str:
    how = (
        f"Install perfeval {published_version[:40]} (which produced the report; this is "
        f"perfeval {perfeval_version()}) and verify again."
        if nb_path.is_relative_to(paths.BUNDLED_NOTEBOOKS_DIR.resolve())
        else "Check out the commit named in the manifest's git field and verify again."
    )
    return (
        f"The notebook {name} has changed since the report was produced ({nb_path} has "
        f"sha256 {current[:12]}..., the manifest {published_sha[:12]}...), so nothing was "
        f"run. {how}"
    )


def _check_notebook(
    name: str, published_sha: str, notebooks_dirs: Sequence[Path], published_version: str = "?"
) -> tuple[Path | None, str | None]:
    """The trusted notebook and None, or None and why it cannot be run: the first notebook of
    that name whose sha256 is the manifest's, looked for in ``notebooks_dirs`` in order."""
    try:
        candidates = trusted_notebooks(name, notebooks_dirs)
    except VerificationError as err:
        return None, str(err)
    if not candidates:
        return None, _no_notebook(name, notebooks_dirs)
    for nb_path in candidates:
        if sha256_file(nb_path) == published_sha:
            return nb_path, None
    first = candidates[0]
    return None, _changed_notebook(
        name, first, sha256_file(first), published_sha, published_version
    )


def perfeval_version() -> str:
    """This perfeval's version."""
    import perfeval

    return perfeval.__version__


# ---------------------------------------------------------------------------------------------
# Inputs


def _trusted_roots(workspace: Workspace | Path | None) -> list[Path]:
    """The folders inputs may be read from without ``--data-dir``, resolved: the workspace, its
    data folder when it is elsewhere, and the data shipped with perfeval (the sample data that
    ``data_dir = ""`` reads, and any national reference data)."""
    roots: list[Path] = []
    if isinstance(workspace, Workspace):
        roots.append(workspace.root.resolve())
        if workspace.data_dir is not None:
            roots.append(workspace.data_dir.resolve())
    elif workspace is not None:
        roots.append(Path(workspace).resolve())
    return roots + [paths.BUNDLED_DIR.resolve()]


def _data_dir_roots(data_dirs: Sequence[Path]) -> list[Path]:
    """Each ``--data-dir`` folder, resolved.

    Raises
    ------
    VerificationError
        If a ``--data-dir`` folder does not exist or is not a folder.
    """
    roots = []
    for folder in data_dirs:
        try:
            resolved = Path(folder).expanduser().resolve(strict=True)
        except (OSError, RuntimeError, ValueError) as err:
            raise VerificationError(
                f"--data-dir {str(folder)!r} does not exist; give the "
                f"folder that holds your copy of the data"
            ) from err
        if not resolved.is_dir():
            raise VerificationError(
                f"--data-dir {str(folder)!r} is not a folder; give the "
                f"folder that holds your copy of the data"
            )
        roots.append(resolved)
    return roots


def _refusal(label: str, value: Any, allowed: Sequence[Path]) -> str | None:
    """Why the path ``value`` (the manifest's ``label``) may not be read, or None if it
    resolves to an existing file or folder inside an allowed root."""
    hint = (
        "to re-run on your own copy of the data, give its folder with --data-dir DIR "
        "(allowed now: " + ", ".join(str(root) for root in allowed[:4]) + ")"
    )
    if not isinstance(value, str):
        return f"{label} = {short_repr(value)}: a path parameter must be text; nothing was read"
    if not Path(value).is_absolute():
        return (
            f"{label} = {short_repr(value, 300)}: not an absolute path (a manifest's paths "
            f"are); {hint}"
        )
    try:
        resolved = Path(value).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return f"{label} = {short_repr(value, 300)}: does not exist here; {hint}"
    if not any(resolved.is_relative_to(root) for root in allowed):
        where = "is" if str(resolved) == value else f"resolves to {short_repr(str(resolved), 300)},"
        return (
            f"{label} = {short_repr(value, 300)}: {where} outside the workspace and the folders "
            f"given with --data-dir; {hint}"
        )
    if not (resolved.is_dir() or stat.S_ISREG(resolved.stat().st_mode)):
        return f"{label} = {short_repr(value, 300)}: is not a file or folder; nothing was read"
    return None


def _refused_inputs(
    parameters: Mapping[str, Any], inputs: Mapping[str, str], allowed: Sequence[Path]
) -> list[str]:
    """One line per input root and per path parameter that may not be read."""
    checks = [(f"inputs.{name}", value) for name, value in inputs.items()]
    checks += [
        (f"parameters.{name}", value)
        for name, value in parameters.items()
        if is_path_parameter(name) and value != ""
    ]
    return [
        reason for label, value in checks if (reason := _refusal(label, value, allowed)) is not None
    ]


def _hash_allowed_inputs(
    inputs: Mapping[str, str], allowed: Sequence[Path]
) -> tuple[dict[str, str], list[str]]:
    """sha256 of every input file, keyed as a manifest's ``input_files``, following symbolic
    links only into ``allowed``; and one line per link refused (then nothing is hashed)."""
    listed: dict[str, dict[str, str]] = {}
    refused: list[str] = []
    for name, value in inputs.items():
        root = Path(value)
        try:
            listed[name] = (
                hash_inputs(root, within=allowed)
                if root.is_dir()
                else {root.name: sha256_file(root)}
            )
        except DataValidationError as err:
            refused += [f"inputs.{name}: {problem}" for problem in err.problems]
    hashes = {
        f"{name}/{key}": digest for name, files in listed.items() for key, digest in files.items()
    }
    return dict(sorted(hashes.items())), refused


def _substitute_data_dir(parameters: dict[str, Any], inputs: dict[str, str], copy: Path) -> str:
    """Point ``data_dir`` (parameter and input) at the auditor's ``copy``; return the note."""
    published = parameters.get("data_dir", inputs.get("data_dir"))
    if "data_dir" not in parameters and "data_dir" not in inputs:
        return (
            f"--data-dir {copy}: the report has no data_dir parameter, so the folder only "
            f"allows inputs inside it"
        )
    if "data_dir" in parameters:
        parameters["data_dir"] = str(copy)
    inputs["data_dir"] = str(copy)
    shown = "the bundled data" if published == "" else short_repr(published, 300)
    return f"data_dir: re-run on your copy {copy} (--data-dir) instead of {shown}"


# ---------------------------------------------------------------------------------------------
# Verification


def _rerun(
    nb_path: Path, parameters: Mapping[str, Any], manifest: Mapping[str, Any], substituted: bool
) -> dict[str, Any]:
    """Re-run the notebook in a scratch folder and compare; the fields of VerifyResult it
    fills."""
    with tempfile.TemporaryDirectory(prefix="perfeval-verify-") as scratch:
        try:
            rerun = run_report(nb_path, parameters, outputs_root=scratch, progress=False)
        except PerfevalError as err:
            return {"ran": True, "run_error": str(err)}
    ignore = ("data_dir",) if substituted else ()
    return {
        "ran": True,
        "parameter_differences": compare_parameters(
            parameters, rerun.manifest["parameters"], ignore=ignore
        ),
        "figure_differences": compare_key_figures(manifest["key_figures"], rerun.key_figures),
    }


def _as_workspace(workspace: Workspace | str | Path | None) -> Workspace | Path | None:
    """The workspace verify trusts: the one given (a folder holding ``perfeval.toml`` is read
    as a workspace; another folder is a bare root inputs may lie in), else the one found from
    the current folder, else None."""
    if workspace is None:
        return locate_workspace()
    if isinstance(workspace, Workspace):
        return workspace
    config = Path(workspace) / CONFIG_FILE
    return read_workspace(config) if config.is_file() else Path(workspace)


def verify_report(
    manifest_path: str | Path,
    *,
    data_dirs: Sequence[str | Path] = (),
    notebooks_dir: str | Path | Sequence[str | Path] | None = None,
    workspace: Workspace | str | Path | None = None,
) -> VerifyResult:
    """Check a published report against its manifest, then re-run it and compare.

    Nothing in the manifest is trusted. It is checked against ``manifest.schema.json`` first;
    the published files are hashed; the notebook run is the trusted notebook of the manifest's
    file name (the workspace's, then perfeval's built-in one, as a run looks it up) whose
    sha256 matches; inputs are read only inside the workspace, its data folder, perfeval's
    bundled data or ``data_dirs``. The re-run goes to a scratch folder (the published report is
    not touched); every parameter, input file and key figure is compared exactly, tables cell
    by cell.

    Parameters
    ----------
    manifest_path : str or Path
        The ``manifest.json`` of a published report.
    data_dirs : sequence of str or Path
        Folders the re-run may read besides the workspace (``perfeval verify --data-dir``).
        The first is also the auditor's copy of the data: the re-run uses it as ``data_dir``
        and its files are compared with the manifest's ``input_files``.
    notebooks_dir : str, Path or sequence of them, optional
        The trusted notebooks folder(s), in order; default the workspace's ``notebooks/`` then
        perfeval's built-in notebooks (:func:`perfeval.run.workspace.notebook_folders`).
    workspace : Workspace, str or Path, optional
        The workspace (or a folder: read as a workspace when it holds ``perfeval.toml``, else
        only a root inputs may lie in); default the workspace found from the current folder,
        if any.

    Returns
    -------
    VerifyResult
        ``result.ok`` is True only if every published file matches, the notebook and inputs are
        unchanged, and the re-run reproduced every parameter and key figure.

    Raises
    ------
    VerificationError
        If the manifest is not a valid perfeval manifest, or a ``data_dirs`` folder does not
        exist.
    ParameterError
        If the workspace's ``perfeval.toml`` is not valid.
    """
    manifest_path = Path(manifest_path)
    manifest = read_manifest(manifest_path)
    name = notebook_file_name(manifest["notebook"]["path"])
    trusted = _as_workspace(workspace)
    copies = _data_dir_roots([Path(d) for d in data_dirs])
    allowed = _trusted_roots(trusted) + copies
    folders = (
        _folders(notebooks_dir)
        if notebooks_dir is not None
        else [
            folder
            for _, folder in notebook_folders(trusted if isinstance(trusted, Workspace) else None)
        ]
    )
    changes, unlisted = check_report_files(
        manifest_path.parent, manifest["report_files"], manifest_path.name
    )
    notes = [f"{n}: in the report folder but not listed in the manifest" for n in unlisted]
    parameters, inputs = dict(manifest["parameters"]), dict(manifest["inputs"])
    if copies:
        notes.append(_substitute_data_dir(parameters, inputs, copies[0]))
    nb_path, notebook_problem = _check_notebook(
        name, manifest["notebook"]["sha256"], folders, manifest["perfeval_version"]
    )
    refused = _refused_inputs(parameters, inputs, allowed)
    input_changes: list[str] = []
    if not refused:
        current, refused = _hash_allowed_inputs(inputs, allowed)
        if not refused:
            input_changes = compare_inputs(manifest["input_files"], current)
    notes += _version_notes(manifest["versions"], package_versions())
    rerun = (
        _rerun(nb_path, parameters, manifest, substituted=bool(data_dirs))
        if nb_path is not None and not refused
        else {}
    )
    return VerifyResult(
        manifest_path=manifest_path,
        notebook_problem=notebook_problem,
        refused_inputs=refused,
        report_file_changes=changes,
        input_changes=input_changes,
        notes=notes,
        **rerun,
    )
