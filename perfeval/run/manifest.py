"""A report's ``manifest.json``: what it was made from, with what, and what it found.

:func:`build_manifest` assembles the manifest of a run (its layout is described in
:mod:`perfeval.run.runner`); :func:`write_manifest` writes it. The inputs of a run are hashed by
:func:`input_file_hashes` (and compared with a published report's by :func:`compare_inputs`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import perfeval
from perfeval.core import paths
from perfeval.run.outputs import MANIFEST_NAME
from perfeval.run.parameters import is_path_parameter
from perfeval.run.provenance import git_state, hash_inputs, package_versions, sha256_file
from perfeval.run.publish import ReportInfo

__all__ = [
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "build_manifest",
    "write_manifest",
    "input_roots",
    "input_file_hashes",
    "hash_input_roots",
    "compare_inputs",
]

MANIFEST_VERSION = 1
_REPORT_FIELDS = ("title", "council", "council_name", "period", "status", "published")


def input_roots(values: Mapping[str, Any]) -> dict[str, Path]:
    """The inputs to hash, by parameter: ``data_dir`` (a folder; ``""`` = the bundled data) and
    every path-like parameter naming an existing file."""
    roots: dict[str, Path] = {}
    for name, value in values.items():
        if name == "data_dir":
            roots[name] = paths.resolve_data_dir(value)
        elif is_path_parameter(name) and isinstance(value, str) and value and Path(value).is_file():
            roots[name] = Path(value)
    return roots


def hash_input_roots(roots: Mapping[str, Path]) -> dict[str, str]:
    """sha256 of every file under ``roots`` (as :func:`input_roots` gives), keyed
    ``"<parameter>/<relative path>"`` and sorted; a root that does not exist is left out."""
    hashes: dict[str, str] = {}
    for name, root in roots.items():
        if not root.exists():
            continue
        files = hash_inputs(root) if root.is_dir() else {root.name: sha256_file(root)}
        hashes.update({f"{name}/{key}": digest for key, digest in files.items()})
    return dict(sorted(hashes.items()))


def input_file_hashes(values: Mapping[str, Any]) -> dict[str, str]:
    """sha256 of every input file of a run with these (resolved) parameter values, keyed
    ``"<parameter>/<relative path>"`` and sorted, as in a manifest's ``input_files``."""
    return hash_input_roots(input_roots(values))


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


def build_manifest(
    nb_path: Path,
    values: dict[str, Any],
    roots: Mapping[str, Path],
    input_hashes: dict[str, str],
    started: dt.datetime,
    elapsed: float,
    key_figures: dict[str, Any],
    report_files: dict[str, str],
    info: ReportInfo,
) -> dict[str, Any]:
    """The manifest of a run of ``nb_path`` (see :mod:`perfeval.run.runner` for its fields).

    Parameters
    ----------
    nb_path : Path
        The source notebook.
    values : dict
        The resolved parameters.
    roots : mapping
        The inputs hashed, by parameter (:func:`input_roots`).
    input_hashes : dict
        Their files' sha256 (:func:`hash_input_roots`).
    started : datetime
        When the run started (UTC).
    elapsed : float
        Seconds the run took.
    key_figures : dict
        The key figures the notebook recorded.
    report_files : dict
        sha256 of each file of the report folder, by name.
    info : ReportInfo
        What the title block shows.

    Returns
    -------
    dict
    """
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
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "duration_seconds": round(elapsed, 3),
        "key_figures": key_figures,
    }


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> Path:
    """Write ``manifest`` as ``folder/manifest.json`` (strict JSON: no NaN) and return its path."""
    text = json.dumps(manifest, indent=2, ensure_ascii=False, allow_nan=False)
    path = folder / MANIFEST_NAME
    path.write_text(text + "\n", encoding="utf-8")
    return path
