"""Provenance: key figures collected from a run, input file hashes, versions and git state.

A notebook publishes each figure a reader may quote with :func:`record`. The figure travels in the
executed notebook as a display output of the MIME type :data:`KEY_FIGURE_MIME`, which Jupyter does
not render; the runner collects those outputs into the report's ``manifest.json``
(:func:`collect_key_figures`) and strips them from the HTML. An auditor's re-run compares them
exactly, tables cell by cell.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
import stat
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from perfeval.core.exceptions import DataValidationError, Problem
from perfeval.present.keyfigures import (
    KEY_FIGURE_MIME,
    collect_key_figures,
    is_key_figure_output,
    key_figure_payload,
    record,
    to_json_safe,
)

__all__ = [
    "KEY_FIGURE_MIME",
    "record",
    "key_figure_payload",
    "to_json_safe",
    "collect_key_figures",
    "is_key_figure_output",
    "sha256_file",
    "hash_inputs",
    "package_versions",
    "git_state",
]

_PACKAGES = (
    "perfeval",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbclient",
    "nbformat",
    "ipykernel",
    "jupyter_client",
    "pyyaml",
    "jinja2",
    "openpyxl",
)


def sha256_file(path: str | Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _link_target(link: Path, within: Sequence[Path] | None, problems: list[Problem]) -> Path | None:
    """The resolved target of a symbolic link found while walking an input folder; None for a
    broken link or a loop, and (with a problem) for a target outside ``within``."""
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):  # broken, or a loop (RuntimeError before Python 3.13)
        return None
    if within is not None and not any(target.is_relative_to(root) for root in within):
        problems.append(
            Problem(
                str(link),
                f"is a symbolic link to {target}, outside the "
                f"folders allowed ({', '.join(map(str, within))}); it was not "
                f"followed. Copy the file itself into the folder, or allow "
                f"its folder (perfeval verify --data-dir)",
            )
        )
        return None
    return target


def _walk_folder(
    folder: Path,
    within: Sequence[Path] | None,
    seen: set[Path],
    files: list[Path],
    problems: list[Problem],
) -> None:
    """Add the regular files under ``folder`` to ``files``, skipping hidden names. A symbolic
    link is followed only to a target inside ``within`` (anywhere when None), and a folder
    is walked once, so a link loop ends."""
    try:
        with os.scandir(folder) as found:
            entries = sorted(found, key=lambda e: e.name)
    except PermissionError:  # unreadable: skipped, as pathlib's rglob skips it
        return
    for entry in entries:
        if _is_hidden(entry.name):
            continue
        path = Path(entry.path)
        if entry.is_symlink():
            target = _link_target(path, within, problems)
            if target is not None and target.is_dir() and target not in seen:
                seen.add(target)
                _walk_folder(path, within, seen, files, problems)
            elif target is not None and _is_regular_file(target):
                files.append(path)
        elif entry.is_dir(follow_symlinks=False):
            real = path.resolve()
            if real not in seen:
                seen.add(real)
                _walk_folder(path, within, seen, files, problems)
        elif entry.is_file(follow_symlinks=False):
            files.append(path)


def _files_under(path: Path, within: Sequence[str | Path] | None = None) -> list[Path]:
    """The input files of ``path``: itself when it is a file, else every regular file under
    it (hidden names skipped), sorted.

    Raises
    ------
    DataValidationError
        When ``within`` is given and symbolic links under ``path`` lead outside it (every such
        link is named; none is followed).
    """
    if not path.is_dir():
        return [path]
    files: list[Path] = []
    problems: list[Problem] = []
    roots = None if within is None else [Path(root).resolve() for root in within]
    _walk_folder(path, roots, {path.resolve()}, files, problems)
    if problems:
        raise DataValidationError(problems)
    return sorted(files)


def hash_inputs(
    paths: str | Path | Iterable[str | Path],
    *,
    root: str | Path | None = None,
    within: Sequence[str | Path] | None = None,
) -> dict[str, str]:
    """Return the SHA-256 of every input file, keyed by relative POSIX path, sorted.

    Parameters
    ----------
    paths : path or iterable of paths
        Files and/or directories; directories are walked recursively, skipping hidden files and
        folders (names starting with ``.``), special files (pipes, devices) and symbolic links
        that are broken or loop back. Each folder is read once.
    root : path, optional
        Keys are relative to ``root``. By default: the directory itself when ``paths`` is a single
        directory, else each file's own folder (so the key is its file name).
    within : sequence of paths, optional
        Folders that symbolic links may lead into; a link to anywhere else is not followed and
        is an error (for hashing inputs someone else named, as ``perfeval verify`` does). By
        default links are followed anywhere.

    Returns
    -------
    dict
        ``{relative path: sha256 hex digest}`` in sorted key order.

    Raises
    ------
    FileNotFoundError
        If a given path does not exist.
    DataValidationError
        If ``within`` is given and a symbolic link leads outside it; every such link is named
        and nothing is read.
    """
    items = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    if root is None and len(items) == 1 and items[0].is_dir():
        root = items[0]
    for item in items:
        if not item.exists():
            raise FileNotFoundError(f"input {str(item)!r} does not exist")
    listed = [
        (item, file)
        for item in items
        for file in _files_under(item, None if within is None else list(within))
    ]
    hashes: dict[str, str] = {}
    for item, file in listed:
        base = Path(root) if root is not None else item.parent
        key = (
            file.resolve().relative_to(base.resolve()).as_posix()
            if file.resolve().is_relative_to(base.resolve())
            else file.resolve().as_posix()
        )
        hashes[key] = sha256_file(file)
    return dict(sorted(hashes.items()))


def package_versions() -> dict[str, str | None]:
    """Return the versions of Python and of the packages a report depends on (``None`` when a
    package is not installed)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_state(root: str | Path) -> dict[str, Any] | None:
    """Return ``{"commit": sha, "dirty": bool}`` for the git checkout containing ``root``.

    ``dirty`` is True when tracked files have uncommitted changes (untracked files such as report
    outputs do not count). Returns ``None`` when ``root`` is not in a git checkout, has no commit
    yet, or git is not installed; it never raises.
    """
    commit = _git(Path(root), "rev-parse", "HEAD")
    if not commit:
        return None
    status = _git(Path(root), "status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def fingerprint_inputs(hashes: dict[str, str]) -> str:
    """One sha256 over the sorted (file, sha256) pairs: names the exact data a report used.

    Printed on the report, so that a paper copy can be matched to its manifest; any change to
    any input file changes it.
    """
    digest = hashlib.sha256()
    for name in sorted(hashes):
        digest.update(f"{name}\0{hashes[name]}\n".encode())
    return digest.hexdigest()


def describe_provenance(hashes: dict[str, str], git: dict[str, Any] | None) -> dict[str, str]:
    """Short provenance lines for a report footer: data fingerprint and code version."""
    lines = {"Input data": f"{len(hashes)} files, fingerprint {fingerprint_inputs(hashes)[:16]}"}
    if git and git.get("commit"):
        dirty = " with uncommitted changes" if git.get("dirty") else ""
        lines["Code version"] = f"git commit {str(git['commit'])[:12]}{dirty}"
    return lines
