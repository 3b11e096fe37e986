"""The site folder: a manifest of each page's input hash, atomic writes, and pruning.

A page (or image, or CSV download) is rebuilt only when the hash of its inputs changes
(:func:`input_hash`: the rows of data it shows, the version of the code and templates that draw
it, and the build's parameters). ``site-manifest.json`` in the site folder records, for every
file, that hash and the hash of the bytes written. A file whose input hash is unchanged and whose
bytes on disk still match is left alone (its modification time does not change); a file no longer
part of the site is removed. Every write goes to a temporary file in the same folder and is
renamed into place (:func:`perfeval.run.outputs.write_text_atomically` for text), and the
manifest is written last, so a build that fails part way leaves every page either as it was or
complete, and the next build redoes what the failed one did not record.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from perfeval.core.exceptions import RunError
from perfeval.core.paths import PACKAGE_DIR
from perfeval.run.outputs import describe_os_error

__all__ = [
    "MANIFEST_NAME",
    "input_hash",
    "code_version",
    "read_manifest",
    "write_manifest",
    "write_bytes_atomically",
    "unchanged",
    "prune",
    "bytes_hash",
]

MANIFEST_NAME = "site-manifest.json"
#: The code and templates a page depends on, besides its data (their sources are hashed).
CODE_FILES = (
    "site/*.py",
    "templates/site/*",
    "present/charts.py",
    "present/section.py",
    "templates/section.html.j2",
)


def _canonical(value: Any) -> Any:
    """``value`` as plain JSON data for hashing: frames as their columns and rows."""
    if isinstance(value, pd.DataFrame):
        return {
            "columns": [str(c) for c in value.columns],
            "rows": json.loads(
                value.to_json(orient="values", date_format="iso", double_precision=15)
            ),
        }
    if isinstance(value, pd.Series):
        return _canonical(value.to_frame().T.reset_index(drop=True))
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def bytes_hash(data: bytes) -> str:
    """The SHA-256 of ``data`` in hex."""
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=1)
def code_version() -> str:
    """The hash of perfeval's version and the sources of the code and templates that draw the
    site (:data:`CODE_FILES`): a change to any of them rebuilds every page."""
    from perfeval import __version__

    digest = hashlib.sha256(__version__.encode())
    for pattern in CODE_FILES:
        for path in sorted(PACKAGE_DIR.glob(pattern)):
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def input_hash(inputs: Any, parameters: Mapping[str, Any]) -> str:
    """The hash of a page's inputs: the data it shows, the code version and the parameters.

    Parameters
    ----------
    inputs : DataFrame, Series, mapping, sequence or scalar
        What the page shows (frames are hashed by their columns and values).
    parameters : mapping
        The build's parameters (council, year, comparator group, links elsewhere).
    """
    text = json.dumps(
        {
            "inputs": _canonical(inputs),
            "parameters": _canonical(parameters),
            "code": code_version(),
        },
        sort_keys=True,
        allow_nan=True,
    )
    return bytes_hash(text.encode("utf-8"))


def read_manifest(site: Path) -> dict[str, dict[str, str]]:
    """The manifest of a site folder: relative path -> ``{"inputs": hash, "bytes": hash}``
    (empty for a new folder or an unreadable manifest, which rebuilds everything)."""
    try:
        document = json.loads((site / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = document.get("files") if isinstance(document, dict) else None
    return dict(files) if isinstance(files, dict) else {}


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    Raises
    ------
    RunError
        If the folder cannot be written (the message says why and how to fix it).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as err:
        raise RunError(f"cannot write {path}: {describe_os_error(err)}") from err


def write_manifest(
    site: Path, files: Mapping[str, Mapping[str, str]], facts: Mapping[str, Any]
) -> None:
    """Write ``site-manifest.json``: the build's facts and every file's hashes."""
    document = {**facts, "files": {k: dict(files[k]) for k in sorted(files)}}
    write_bytes_atomically(
        site / MANIFEST_NAME, (json.dumps(document, indent=1, sort_keys=True) + "\n").encode()
    )


def unchanged(
    site: Path, relative: str, inputs: str, manifest: Mapping[str, Mapping[str, str]]
) -> bool:
    """True when ``relative`` was built from the same inputs and its bytes on disk are the ones
    recorded (a file edited or deleted by hand is rebuilt)."""
    entry = manifest.get(relative)
    if not entry or entry.get("inputs") != inputs:
        return False
    try:
        return bytes_hash((site / relative).read_bytes()) == entry.get("bytes")
    except OSError:
        return False


def prune(site: Path, old: Iterable[str], keep: Iterable[str]) -> list[str]:
    """Remove the files of the previous build that this build no longer has; return them."""
    kept = set(keep)
    removed = []
    for relative in sorted(set(old) - kept):
        path = site / relative
        if path.is_file() and path.resolve().is_relative_to(site.resolve()):
            path.unlink()
            removed.append(relative)
    return removed
