"""Where perfeval's own files are: resolved from the package, never from the working directory.

What ships inside perfeval (and so inside its wheel) is under ``bundled/``: the built-in report
notebooks, their default parameter files and the sample data. Everything that belongs to a
council (its data, parameters, notebooks and reports) is in its workspace, found from the folder
the user works in: see :mod:`perfeval.run.workspace`.

``ROOT``, ``OUTPUTS_DIR``, ``NOTEBOOKS_DIR``, ``PARAMS_DIR`` and ``DATA_DIR`` are the names of an
earlier layout, when perfeval only ran from its own checkout. They stay importable for one release
(with a :class:`DeprecationWarning`) and nothing perfeval runs uses them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

__all__ = [
    "PACKAGE_DIR",
    "BUNDLED_DIR",
    "BUNDLED_NOTEBOOKS_DIR",
    "BUNDLED_PARAMS_DIR",
    "SAMPLE_DATA_DIR",
    "resolve_data_dir",
]

PACKAGE_DIR = Path(__file__).resolve().parents[1]
BUNDLED_DIR = PACKAGE_DIR / "bundled"
#: The built-in report notebooks and their default parameter files.
BUNDLED_NOTEBOOKS_DIR = BUNDLED_DIR / "notebooks"
BUNDLED_PARAMS_DIR = BUNDLED_DIR / "params"
#: The sample data (Rutland and its comparators): what ``data_dir = ""`` reads.
SAMPLE_DATA_DIR = BUNDLED_DIR / "sample_data"

_DEPRECATED = {
    "ROOT": (
        PACKAGE_DIR.parent,
        "the folder above the package (a checkout's top folder; in a wheel install, site-packages)",
        "perfeval.run.workspace.find_workspace().root",
    ),
    "OUTPUTS_DIR": (
        PACKAGE_DIR.parent / "outputs",
        "outputs/ beside the package",
        "perfeval.run.workspace.find_workspace().outputs_dir",
    ),
    "NOTEBOOKS_DIR": (
        BUNDLED_NOTEBOOKS_DIR,
        "the built-in notebooks",
        "perfeval.core.paths.BUNDLED_NOTEBOOKS_DIR",
    ),
    "PARAMS_DIR": (
        BUNDLED_PARAMS_DIR,
        "the built-in parameter files",
        "perfeval.core.paths.BUNDLED_PARAMS_DIR",
    ),
    "DATA_DIR": (SAMPLE_DATA_DIR, "the bundled sample data", "perfeval.core.paths.SAMPLE_DATA_DIR"),
}


def __getattr__(name: str) -> Path:
    """The deprecated names of the earlier layout, with a warning naming their replacement."""
    if name in _DEPRECATED:
        value, meaning, replacement = _DEPRECATED[name]
        warnings.warn(
            f"perfeval.core.paths.{name} ({meaning}) is deprecated and will be removed "
            f"in the next release; use {replacement}",
            DeprecationWarning,
            stacklevel=2,
        )
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def resolve_data_dir(data_dir: str | Path | None) -> Path:
    """The data directory to read: ``data_dir`` itself, or the bundled sample data when empty.

    Parameters
    ----------
    data_dir : str, Path or None
        A directory path; ``""`` or ``None`` means the bundled sample data.

    Returns
    -------
    Path
        An absolute path (relative paths are taken from the current directory), with symbolic
        links resolved; a path that cannot be resolved (a symbolic link loop, a ``~user`` that
        does not exist) is returned absolute but unresolved, for the loader to report what is
        wrong with it.
    """
    if data_dir is None or str(data_dir).strip() == "":
        return SAMPLE_DATA_DIR
    path = Path(data_dir)
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13) or no home
        return path.absolute()
