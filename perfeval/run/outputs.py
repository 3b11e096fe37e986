"""The outputs root as perfeval writes into it: one run at a time per report folder, a folder
swap that a crash cannot leave undone, the leftovers of dead runs cleared, disk errors in words.

What perfeval keeps for itself in the outputs root is hidden (its name starts with a dot), so the
index of reports and a file browser pass over it::

    .locks/report-<hash>.lock     held by the run that publishes one report folder
    .locks/report-<hash>.owner    who holds it: process, host, since when, which notebook
    .locks/tmp-<token>.lock       held while the temporary folder .tmp-<label>-<token> is in use
    .locks/index.lock             held while index.html is rewritten
    .tmp-<label>-<token>/         a report being built (moved into place when complete)
    <parent>/.<name>.old-<n>/     the previous report <parent>/<name>, during the swap only
    .index-<random>               index.html being written (moved into place when complete)

A lock is an operating-system lock on an open file (:mod:`filelock`; ``flock`` on Linux), so it
ends with its process however the process ends, even by SIGKILL or a power cut. A lock that can be
taken therefore belongs to no live run, and what it guarded is a leftover: :func:`clear_leftovers`
removes those, and puts a previous report back when its run died between the two renames of the
swap. It never touches the folders of a live run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from perfeval.core.exceptions import RunError

__all__ = [
    "LOCKS_DIR",
    "FAILED_DIR",
    "INDEX_WAIT",
    "report_lock_file",
    "hold_report",
    "hold_index",
    "temporary_folder",
    "write_text_atomically",
    "swap_in",
    "report_problems",
    "recover_report",
    "clear_leftovers",
    "disk_problem",
    "find_disk_error",
    "describe_os_error",
    "publication_error",
]

LOCKS_DIR = ".locks"
FAILED_DIR = "_failed"
#: Seconds a run waits for another run's rewrite of index.html (a rewrite takes well under one).
INDEX_WAIT = 60.0
MANIFEST_NAME = "manifest.json"
_TMP = re.compile(r"^\.tmp-.+-(?P<token>[0-9a-f]{32})$")
_OLD = re.compile(r"^\.(?P<name>.+)\.old-(?P<n>\d+)$")
_INDEX_TMP = re.compile(r"^\.index-\w+$")
_DISK_ERRORS = {
    errno.ENOSPC: "the disk is full (no space left on the device)",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied (the folder is read-only for this user)",
    errno.EPERM: "permission denied (the folder is read-only for this user)",
}
_FIXES = {
    errno.ENOSPC: "free some space on that disk",
    errno.EDQUOT: "free some space within your quota",
    errno.EROFS: "give a writable folder with --outputs-root",
    errno.EACCES: "make the folder writable for you, or give another with --outputs-root",
    errno.EPERM: "make the folder writable for you, or give another with --outputs-root",
}


# ---------------------------------------------------------------------------------------------
# Locks


def _lock_file(root: Path, name: str) -> Path:
    return root / LOCKS_DIR / f"{name}.lock"


def report_lock_file(root: Path, target: Path) -> Path:
    """The lock file of report folder ``target``: ``.locks/report-<hash>.lock``, the hash being
    of ``target``'s path relative to ``root`` (so the name is short and safe whatever the
    folder is called, and the lock stays put while the folder itself is swapped)."""
    relative = target.relative_to(root).as_posix()
    return _lock_file(root, "report-" + hashlib.sha256(relative.encode()).hexdigest()[:24])


def _new_lock(path: Path) -> FileLock:
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path))


def _try_lock(path: Path) -> FileLock | None:
    """``path``'s lock, taken without waiting; None when a live process holds it."""
    lock = _new_lock(path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return None
    return lock


def _owner_text(owner_file: Path) -> str:
    """Who holds a report lock, from its ``.owner`` file, in words."""
    try:
        owner = json.loads(owner_file.read_text(encoding="utf-8"))
        return (
            f"{owner['notebook']} run by process {owner['pid']} on {owner['host']} since "
            f"{owner['since']}"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


def _write_owner(owner_file: Path, notebook: str) -> None:
    since = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    text = json.dumps(
        {"pid": os.getpid(), "host": socket.gethostname(), "since": since, "notebook": notebook}
    )
    write_text_atomically(owner_file, text)


def write_text_atomically(path: Path, text: str, *, prefix: str | None = None) -> None:
    """Write ``text`` to ``path`` (UTF-8, mode 644) through a hidden temporary file beside it
    (``prefix``, default ``.<name>-``) and :func:`os.replace`, so a reader sees the old file or
    the new one, never half of one; on failure the temporary file is removed."""
    handle, tmp = tempfile.mkstemp(prefix=prefix or f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def hold_report(
    root: Path, target: Path, *, wait: float = 0.0, notebook: str = "a report"
) -> Iterator[None]:
    """Hold the lock of report folder ``target`` within the ``with`` block.

    Parameters
    ----------
    root : Path
        The outputs root (absolute); the lock is kept in its ``.locks`` folder.
    target : Path
        The report folder, inside ``root``.
    wait : float
        Seconds to wait for another run that holds the lock; 0 (the default) stops at once.
    notebook : str
        What this run is, for the message another run shows while it waits for this one.

    Raises
    ------
    RunError
        If another run still holds the lock after ``wait`` seconds; the message names the
        folder and the other run.
    OSError
        If the lock file cannot be created (a full or read-only disk: see
        :func:`publication_error`).
    """
    path = report_lock_file(root, target)
    lock = _new_lock(path)
    owner = path.with_suffix(".owner")
    try:
        lock.acquire(timeout=max(float(wait), 0.0))
    except Timeout as err:
        waited = f" and did not finish within {wait:g} s" if wait > 0 else ""
        raise RunError(
            f"another perfeval run is publishing the report folder {target} "
            f"({_owner_text(owner)}){waited}; nothing was written and that folder "
            f"is left to the other run. Wait for it to end and run again, or give "
            f"--wait SECONDS to wait for it."
        ) from err
    try:
        _write_owner(owner, notebook)
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def hold_index(root: Path, *, wait: float = INDEX_WAIT) -> Iterator[None]:
    """Hold the lock of ``root``'s ``index.html`` within the ``with`` block.

    Raises
    ------
    RunError
        If another process is still rewriting the index after ``wait`` seconds.
    """
    lock = _new_lock(_lock_file(root, "index"))
    try:
        lock.acquire(timeout=wait)
    except Timeout as err:
        raise RunError(
            f"another process has been rewriting {root / 'index.html'} for more than "
            f"{wait:g} s; run again once it has finished"
        ) from err
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def temporary_folder(root: Path, label: str) -> Iterator[Path]:
    """A new hidden folder ``root/.tmp-<label>-<token>``, marked as in use (its lock is held)
    until the ``with`` block ends, then removed with whatever is still in it."""
    token = uuid.uuid4().hex
    lock_path = _lock_file(root, f"tmp-{token}")
    lock = _new_lock(lock_path)
    lock.acquire(timeout=0)  # a new token: nobody else can hold it
    folder = root / f".tmp-{label}-{token}"
    try:
        folder.mkdir()
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            lock_path.unlink()
        lock.release()


# ---------------------------------------------------------------------------------------------
# The swap and its recovery


def swap_in(new: Path, target: Path) -> None:
    """Move the complete report folder ``new`` to ``target``, replacing the report there.

    The previous report is renamed aside (``.<name>.old-<n>``), ``new`` renamed into place, then
    the previous report removed. Run it under the folder's lock (:func:`hold_report`): two swaps
    of one folder at once would collide. If the second rename fails the previous report is put
    back; if the process dies between the two renames, :func:`recover_report` puts it back.

    Raises
    ------
    OSError
        If a rename fails; the previous report is then back in place (or, if even that failed,
        a :class:`~perfeval.core.exceptions.RunError` says where it is).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{time.time_ns()}")
        os.rename(target, old)
    try:
        os.rename(new, target)
    except OSError as err:
        if old is not None:
            try:
                os.rename(old, target)
            except OSError as again:
                raise RunError(
                    f"the new report could not be moved to {target} ({err}) and the "
                    f"previous report could not be moved back from {old} ({again}); "
                    f"it is complete there: the next perfeval run puts it back, or "
                    f"rename it to {target.name} yourself"
                ) from err
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def report_problems(folder: Path) -> list[str]:
    """What is wrong with the report in ``folder``: its ``manifest.json`` unreadable, or a file
    listed in its ``report_files`` missing or with another sha256; empty for a whole report."""
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
        files = dict(manifest["report_files"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        return [f"{folder / MANIFEST_NAME}: not a readable manifest ({type(err).__name__})"]
    problems = []
    for name, digest in sorted(files.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif _sha256(path) != digest:
            problems.append(f"{path}: sha256 differs from the manifest")
    return problems


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _old_copies(target: Path) -> list[Path]:
    """The ``.<name>.old-<n>`` folders beside ``target``, newest first."""
    found = []
    with contextlib.suppress(OSError):
        for entry in target.parent.iterdir():
            match = _OLD.match(entry.name)
            if match and match["name"] == target.name and entry.is_dir():
                found.append((int(match["n"]), entry))
    return [entry for _, entry in sorted(found, reverse=True)]


def recover_report(target: Path) -> list[Path]:
    """Finish the swap of ``target`` that a dead run left undone; run under its lock.

    When ``target`` is missing and a previous copy beside it is a whole report (see
    :func:`report_problems`), the newest such copy is renamed back to ``target``; every other
    copy is removed. Returns the folders restored or removed.
    """
    olds = _old_copies(target)
    done = []
    if not target.exists():
        whole = next((old for old in olds if not report_problems(old)), None)
        if whole is not None:
            os.rename(whole, target)
            olds.remove(whole)
            done.append(whole)
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)
        done.append(old)
    return done


def _walk_old_targets(root: Path) -> set[Path]:
    """Every report folder with an ``.old-<n>`` copy beside it, anywhere under ``root``
    (perfeval's own hidden folders and ``_failed`` are not looked into)."""
    targets = set()
    for folder, dirs, _ in os.walk(root):
        here = Path(folder)
        for name in dirs:
            match = _OLD.match(name)
            if match:
                targets.add(here / match["name"])
        dirs[:] = [
            d for d in dirs if not d.startswith(".") and not (here == root and d == FAILED_DIR)
        ]
    return targets


def _clear_dead_temporary(root: Path, folder: Path) -> list[Path]:
    """Remove the temporary folder ``folder`` if no live run holds its lock."""
    match = _TMP.match(folder.name)
    if match is None:
        return []  # not a temporary folder of a run: nothing of ours to clear
    lock_path = _lock_file(root, f"tmp-{match['token']}")
    lock = _try_lock(lock_path)
    if lock is None:
        return []  # a live run is building its report there
    try:
        shutil.rmtree(folder, ignore_errors=True)
        lock_path.unlink(missing_ok=True)
    finally:
        lock.release()
    return [folder]


def _clear_dead_index_files(root: Path) -> list[Path]:
    lock = _try_lock(_lock_file(root, "index"))
    if lock is None:
        return []
    try:
        stale = [entry for entry in root.iterdir() if _INDEX_TMP.match(entry.name)]
        for entry in stale:
            entry.unlink(missing_ok=True)
        return stale
    finally:
        lock.release()


def clear_leftovers(root: Path, *, holding: Path | None = None) -> list[Path]:
    """Remove what dead runs left in the outputs root ``root``, and finish their swaps.

    Removes every ``.tmp-*`` folder and ``.index-*.html`` file whose lock can be taken, and for
    every report folder with ``.old-<n>`` copies beside it whose lock can be taken, runs
    :func:`recover_report`. ``holding`` is the report folder whose lock the caller already holds
    (recovered without taking it again). A live run's folders are never touched; a folder that
    cannot be removed (a read-only disk) is left for a later run.

    Returns
    -------
    list of Path
        The folders and files removed or restored.
    """
    done: list[Path] = []
    temporaries: list[Path] = []
    with contextlib.suppress(OSError):
        temporaries = [entry for entry in root.iterdir() if _TMP.match(entry.name)]
    for folder in temporaries:
        with contextlib.suppress(OSError):
            done += _clear_dead_temporary(root, folder)
    with contextlib.suppress(OSError):
        done += _clear_dead_index_files(root)
    for target in sorted(_walk_old_targets(root) | ({holding} if holding else set())):
        with contextlib.suppress(OSError):
            done += _recover_if_dead(root, target, holding)
    return done


def _recover_if_dead(root: Path, target: Path, holding: Path | None) -> list[Path]:
    if target == holding:
        return recover_report(target)
    lock = _try_lock(report_lock_file(root, target))
    if lock is None:
        return []  # a live run is swapping that folder
    try:
        return recover_report(target)
    finally:
        lock.release()


# ---------------------------------------------------------------------------------------------
# Disk errors


def disk_problem(err: OSError) -> str | None:
    """What a full or read-only disk error means in words (None for other errors)."""
    if isinstance(err, PermissionError) and err.errno not in _DISK_ERRORS:
        return _DISK_ERRORS[errno.EACCES]
    return None if err.errno is None else _DISK_ERRORS.get(err.errno)


def find_disk_error(err: BaseException | None) -> OSError | None:
    """The first full- or read-only-disk :class:`OSError` in ``err`` and the exceptions it was
    raised from or during, or None."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, OSError) and disk_problem(err):
            return err
        err = err.__cause__ or err.__context__
    return None


def describe_os_error(err: OSError) -> str:
    """``err`` in words for a person: the path, what happened (a full or read-only disk said
    so), and for those how to fix it."""
    where = f" {err.filename}" if err.filename else ""
    problem = disk_problem(err)
    if problem is None:
        return f"could not write{where}: {err.strerror or err}"
    code = errno.errorcode.get(err.errno, err.errno) if err.errno else type(err).__name__
    return f"could not write{where}: {problem} ({code}); {_fixes(err)} and run again"


def publication_error(err: OSError, target: Path) -> RunError:
    """A :class:`~perfeval.core.exceptions.RunError` for ``err``, raised while publishing the report
    folder ``target``: which path, what happened, how to fix it (:func:`describe_os_error`), and
    that the previous report there is intact."""
    return RunError(
        f"the report {target} could not be published: {describe_os_error(err)}."
        f"\nThe previous report in {target} (if any) is intact."
    )


def _fixes(err: OSError) -> str:
    fallback = _FIXES[errno.EACCES]
    return fallback if err.errno is None else _FIXES.get(err.errno, fallback)
