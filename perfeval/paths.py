"""Where things are: paths resolved from the package root, never from the working directory.

papermill and nbconvert change the working directory, so every default path is built from
``ROOT`` (the repository checkout that holds the ``perfeval`` package).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"
NOTEBOOKS_DIR = ROOT / "notebooks"
PARAMS_DIR = ROOT / "params"
OUTPUTS_DIR = ROOT / "outputs"


def resolve_data_dir(data_dir: str | Path | None) -> Path:
    """The data directory to read: ``data_dir`` itself, or the bundled ``data/`` when empty.

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
        return DATA_DIR
    path = Path(data_dir)
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13) or no home
        return path.absolute()
