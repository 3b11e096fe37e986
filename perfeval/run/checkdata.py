"""``perfeval check-data [DIR]``: validate a data folder without running a report.

:func:`check_data` reads every table of the folder as a report would (:mod:`perfeval.data.loader`),
checks the tables against each other, and says which reports and sections the folder can feed
(:mod:`perfeval.data.requirements`). :func:`describe_check` words the result: the tables read, any
national reference data used in place of a missing table, the problems grouped one line per kind
(a mistake repeated on 1,650 rows is one line, with its lines, column and fix), then one line per
report. Nothing is executed and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from perfeval.core.exceptions import DataValidationError, Problem, count_words, describe_problems
from perfeval.core.paths import SAMPLE_DATA_DIR
from perfeval.data.loader import SPECS, Dataset, LoadLimits, read_dataset
from perfeval.data.requirements import describe_coverage

__all__ = ["DataCheck", "check_data", "describe_check", "REFERENCE_TABLE_WORDS"]

#: What each national reference table is, for the line saying which were used.
REFERENCE_TABLE_WORDS = {
    "authorities": "the authority lookup (mySociety, ONS codes)",
    "population": "ONS mid-2020 population estimates",
    "deflators": "GDP deflators (HM Treasury / ONS)",
}
#: The most groups of problems listed (the rest are counted).
MAX_PROBLEM_LINES = 100


@dataclass(frozen=True)
class DataCheck:
    """The result of checking one data folder.

    Attributes
    ----------
    root : Path
        The folder checked.
    problems : tuple of Problem
        Every problem found (empty when the folder is fit to use).
    dataset : Dataset or None
        The tables as read (None when the folder itself cannot be read); with problems, a
        table that could not be read is an empty frame.
    """

    root: Path
    problems: tuple[Problem, ...]
    dataset: Dataset | None

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    @property
    def exit_status(self) -> int:
        """0 when the folder is fit to use, 1 when it has problems."""
        return 0 if self.ok else 1


def check_data(path: str | Path | None = None, *, limits: LoadLimits | None = None) -> DataCheck:
    """Read and check every table of a data folder, without raising on its problems.

    Parameters
    ----------
    path : str, Path or None
        The data folder; ``None`` or ``""`` means the bundled sample data.
    limits : LoadLimits, optional
        The loader's limits (:class:`perfeval.data.loader.LoadLimits`).

    Returns
    -------
    DataCheck
    """
    try:
        dataset, problems = read_dataset(path, limits=limits)
    except DataValidationError as err:  # the folder itself: missing, not a folder, unreadable
        return DataCheck(
            root=Path(err.problems[0].file), problems=tuple(err.problems), dataset=None
        )
    return DataCheck(root=dataset.root, problems=tuple(problems), dataset=dataset)


def describe_folder(root: Path) -> str:
    """The folder's path, saying so when it is perfeval's bundled sample data."""
    return f"{root} (the bundled sample data)" if root == SAMPLE_DATA_DIR else str(root)


def describe_tables(dataset: Dataset) -> list[str]:
    """Which tables were read from the folder (with their rows), which came from perfeval's
    national reference data, and which optional tables are absent: at most three lines."""
    names = [spec.name for spec in SPECS]
    own = [
        f"{name}.csv ({len(dataset.tables[name]):,} rows)"
        for name in names
        if dataset.origins.get(name) == "folder"
    ]
    reference = [
        f"{name}.csv, {REFERENCE_TABLE_WORDS.get(name, 'reference data')}"
        for name in names
        if dataset.origins.get(name) == "reference"
    ]
    absent = [f"{name}.csv" for name in names if dataset.origins.get(name) == "absent"]
    lines = [f"Tables read from the folder: {', '.join(own) or 'none'}."]
    if reference:
        lines.append(
            "National reference data used, as the folder has none of its own "
            "(perfeval's copy; put the table in the folder to use your own): "
            f"{'; '.join(reference)}."
        )
    if absent:
        lines.append(f"Not in the folder (optional): {', '.join(absent)}.")
    return lines


def describe_problems_found(check: DataCheck) -> list[str]:
    """The problems, one line per kind (file, lines, column and fix), or that there are none."""
    if check.ok:
        return ["No problems found."]
    lines = [f"{count_words(len(check.problems), 'problem')} found:"]
    lines += [
        f"  - {line}" for line in describe_problems(list(check.problems), limit=MAX_PROBLEM_LINES)
    ]
    return lines + ["Fix the file(s) named above and run perfeval check-data again."]


def describe_check(check: DataCheck) -> list[str]:
    """What ``perfeval check-data`` prints: the folder, its tables, the problems grouped one line
    per kind, then which reports and sections the folder can feed.

    Parameters
    ----------
    check : DataCheck
        From :func:`check_data`.

    Returns
    -------
    list of str
        The lines, without line ends.
    """
    lines = [f"Data folder: {describe_folder(check.root)}"]
    if check.dataset is None:
        return lines + describe_problems_found(check)
    lines += describe_tables(check.dataset) + describe_problems_found(check)
    heading = (
        "Reports this folder can feed:"
        if check.ok
        else "Reports this folder can feed once the problems are fixed (a table that could "
        "not be read counts as empty):"
    )
    return lines + [heading] + [f"  - {line}" for line in describe_coverage(check.dataset)]
