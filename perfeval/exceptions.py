"""The one exception hierarchy of perfeval.

Every error perfeval raises on purpose is a :class:`PerfevalError`, so a caller (a notebook, the
command line, a test) can catch them all at once; the subclasses say which kind of thing was wrong.
Messages name the thing (file, row, column, parameter), what was expected, what was found, and how
to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass


class PerfevalError(Exception):
    """Raised when perfeval cannot do what was asked; the base of every perfeval error."""


@dataclass(frozen=True)
class Problem:
    """One problem found while validating a data file.

    ``row`` is the 1-based line number in the file as a spreadsheet user sees it (the header is
    line 1, the first data row is line 2); ``None`` when the problem concerns the whole file or a
    whole column.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", line {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        return f"{where}: {self.message}"


class DataValidationError(PerfevalError):
    """Raised when one or more input data files fail validation; lists every problem found."""

    def __init__(self, problems: list[Problem], *, limit: int = 50) -> None:
        self.problems = list(problems)
        shown = self.problems[:limit]
        lines = [f"{len(self.problems)} problem(s) found in the input data:"]
        lines += [f"  - {p}" for p in shown]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more")
        lines.append("Fix the file(s) named above and run again.")
        super().__init__("\n".join(lines))


class PeriodError(PerfevalError, ValueError):
    """Raised when a period label is not a financial year, quarter or month perfeval understands."""


class ParameterError(PerfevalError, ValueError):
    """Raised when report parameters are unknown, of the wrong type or out of range."""

    def __init__(self, problems: list[str], *, notebook: str | None = None) -> None:
        self.problems = list(problems)
        head = f"Invalid parameters for {notebook}:" if notebook else "Invalid parameters:"
        super().__init__("\n".join([head] + [f"  - {p}" for p in self.problems]))


class AnalysisError(PerfevalError, ValueError):
    """Raised when an analysis is asked for something the data cannot support (e.g. no rows)."""


class RecordError(PerfevalError, TypeError):
    """Raised when a key figure cannot be recorded: no name, or a value with no JSON form."""


class RunError(PerfevalError):
    """Raised when a report run fails; carries the failing cell and where the failed notebook is."""

    def __init__(self, message: str, *, cell_index: int | None = None,
                 failed_notebook: str | None = None) -> None:
        self.cell_index = cell_index
        self.failed_notebook = failed_notebook
        super().__init__(message)


class VerificationError(PerfevalError):
    """Raised when a re-run of a report does not reproduce the figures in its manifest."""
