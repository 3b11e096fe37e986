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

    ``row`` is the 1-based physical line of the file on which the record starts (the header is
    line 1, the first data row line 2; after a quoted cell holding line breaks this is the line
    a text editor shows, which differs from a spreadsheet's row number); ``None`` when the problem
    concerns the whole file or a whole column.

    The other fields let many problems of one kind be reported as one line
    (:func:`describe_problems`); they are optional, so ``Problem(file, message, row, column)``
    keeps working:

    ``kind``
        A stable short key for the kind of problem (``"period_form"``, ``"unknown_code"``).
    ``value``
        The offending cell, cut short (problems with the same value group together).
    ``summary``
        What is wrong, said of every row of a group (``"is not a period perfeval understands"``).
    ``fix``
        How to fix it, in a few words (``"write '2016/17'"``).
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    kind: str | None = None
    value: str | None = None
    summary: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", line {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ProblemGroup:
    """Problems of one kind, with the same value, in one column of one file."""

    problems: tuple[Problem, ...]

    @property
    def first(self) -> Problem:
        """The first problem of the group (the one reported when the group is one problem)."""
        return self.problems[0]

    @property
    def rows(self) -> list[int]:
        """The lines the group's problems are on, sorted, each once."""
        return sorted({p.row for p in self.problems if p.row is not None})

    def describe(self) -> str:
        """One line: the value, how many rows, the file, column and lines, what is wrong, the fix.

        A group of one problem is that problem as :class:`Problem` prints it.
        """
        first = self.first
        if len(self.problems) == 1:
            return str(first)
        rows = self.rows
        what = first.summary if first.summary is not None else first.message
        if first.summary is not None and first.fix:
            what += f"; {first.fix}"
        counted = count_words(len(rows) or len(self.problems), "row" if rows else "time")
        head = f"{first.value!r} in {counted} of " if first.value is not None else f"{counted} in "
        where = first.file + (f", column {first.column!r}" if first.column is not None else "")
        lines = f" ({describe_lines(rows)})" if rows else ""
        return f"{head}{where}{lines}: {what}"


def count_words(count: int, noun: str) -> str:
    """``count`` with thousands separators and the noun in agreement: ``1 row``, ``1,650 rows``.

    Parameters
    ----------
    count : int
    noun : str
        The singular (its plural adds ``s``).

    Returns
    -------
    str
    """
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def describe_lines(rows: list[int], *, runs_shown: int = 3) -> str:
    """Line numbers in few words: ``line 4``, ``lines 2-1651``, ``lines 4, 9, 12-15 and 30 more``.

    Consecutive lines are shown as a range; when there are more than ``runs_shown + 1`` ranges,
    the first ``runs_shown`` are shown and the other lines counted.

    Parameters
    ----------
    rows : list of int
        Line numbers, sorted, each once.
    runs_shown : int
        How many ranges are shown before the rest are counted.

    Returns
    -------
    str
    """
    runs: list[list[int]] = []
    for row in rows:
        if runs and row == runs[-1][1] + 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    text = [f"{a}" if a == b else f"{a}-{b}" for a, b in runs]
    noun = "line" if len(rows) == 1 else "lines"
    if len(runs) <= runs_shown + 1:
        listed = text[0] if len(text) == 1 else f"{', '.join(text[:-1])} and {text[-1]}"
        return f"{noun} {listed}"
    rest = sum(b - a + 1 for a, b in runs[runs_shown:])
    return f"{noun} {', '.join(text[:runs_shown])} and {rest:,} more"


def group_problems(problems: list[Problem]) -> list[ProblemGroup]:
    """Problems grouped by file, column, kind and value, in the order they were found.

    Problems without a ``kind`` (from code that sets none) group only with problems of the
    same file, column and message.

    Parameters
    ----------
    problems : list of Problem

    Returns
    -------
    list of ProblemGroup
    """
    groups: dict[tuple, list[Problem]] = {}
    for problem in problems:
        key = (problem.file, problem.column, problem.kind,
               problem.value if problem.kind is not None else problem.message)
        groups.setdefault(key, []).append(problem)
    return [ProblemGroup(tuple(found)) for found in groups.values()]


def describe_problems(problems: list[Problem], *, limit: int = 50) -> list[str]:
    """One line per group of problems (:func:`group_problems`), at most ``limit`` lines.

    Parameters
    ----------
    problems : list of Problem
    limit : int
        The most lines; the groups left out are counted on a last line.

    Returns
    -------
    list of str
    """
    groups = group_problems(problems)
    lines = [group.describe() for group in groups[:limit]]
    if len(groups) > limit:
        left = groups[limit:]
        lines.append(f"... and {count_words(len(left), 'more kind')} of problem "
                     f"({count_words(sum(len(g.problems) for g in left), 'problem')})")
    return lines


class DataValidationError(PerfevalError):
    """Raised when one or more input data files fail validation; lists every problem found.

    The message groups problems of one kind (:func:`describe_problems`): a mistake repeated on
    1,650 rows is one line; ``problems`` keeps every problem.
    """

    def __init__(self, problems: list[Problem], *, limit: int = 50) -> None:
        self.problems = list(problems)
        lines = [f"{count_words(len(self.problems), 'problem')} found in the input data:"]
        lines += [f"  - {line}" for line in describe_problems(self.problems, limit=limit)]
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
