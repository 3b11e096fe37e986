"""Where things are: paths resolved from the package, never from the working directory.

papermill and nbconvert change the working directory, so every default path is built from the
package's own folder. What ships inside perfeval (and so inside its wheel) is under ``bundled/``:
the built-in report notebooks, their default parameter files and the sample data.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_DIR = PACKAGE_DIR / "bundled"
#: The built-in report notebooks and their default parameter files.
BUNDLED_NOTEBOOKS_DIR = BUNDLED_DIR / "notebooks"
BUNDLED_PARAMS_DIR = BUNDLED_DIR / "params"
#: The sample data (Rutland and its comparators): what ``data_dir = ""`` reads.
SAMPLE_DATA_DIR = BUNDLED_DIR / "sample_data"

ROOT = PACKAGE_DIR.parent
NOTEBOOKS_DIR = BUNDLED_NOTEBOOKS_DIR
PARAMS_DIR = BUNDLED_PARAMS_DIR
DATA_DIR = SAMPLE_DATA_DIR
OUTPUTS_DIR = ROOT / "outputs"


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
        return DATA_DIR
    path = Path(data_dir)
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13) or no home
        return path.absolute()
