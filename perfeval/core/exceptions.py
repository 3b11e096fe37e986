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
    """Problems of one kind in one column of one file: with the same value, or (merged by
    :func:`merge_many_values`) with several values of the same kind."""

    problems: tuple[Problem, ...]

    @property
    def first(self) -> Problem:
        """The first problem of the group (the one reported when the group is one problem)."""
        return self.problems[0]

    @property
    def rows(self) -> list[int]:
        """The lines the group's problems are on, sorted, each once."""
        return sorted({p.row for p in self.problems if p.row is not None})

    @property
    def values(self) -> list[str]:
        """The offending values, each once, in the order found."""
        return list(dict.fromkeys(p.value for p in self.problems if p.value is not None))

    def describe(self) -> str:
        """One line: the value(s), how many rows, the file, column and lines, what is wrong, the
        fix.

        A group of one problem is that problem as :class:`Problem` prints it.
        """
        first = self.first
        if len(self.problems) == 1:
            return str(first)
        rows = self.rows
        counted = count_words(len(rows) or len(self.problems), "row" if rows else "time")
        where = first.file + (f", column {first.column!r}" if first.column is not None else "")
        lines = f" ({describe_lines(rows)})" if rows else ""
        return (
            f"{self._values_in()}{counted} {'of' if self.values else 'in'} {where}{lines}: "
            f"{self._what()}"
        )

    def _values_in(self) -> str:
        """``'a' in `` or ``'a', 'b', 'c' and 7 more values in `` (nothing without values)."""
        values = self.values
        shown = ", ".join(repr(v) for v in values[:VALUES_SHOWN])
        more = len(values) - VALUES_SHOWN
        return (
            f"{shown}{' and ' + count_words(more, 'more value') if more > 0 else ''} in "
            if values
            else ""
        )

    def _what(self) -> str:
        """What is wrong and the fix (the first value's fix, when each value has its own)."""
        first = self.first
        if first.summary is None:
            return first.message
        fixes = list(dict.fromkeys(p.fix for p in self.problems if p.fix))
        if len(fixes) > 1:
            return f"{first.summary}; {fixes[0]} for {first.value!r}, and likewise for the others"
        return f"{first.summary}; {fixes[0]}" if fixes else first.summary


#: How many of a merged group's values a line names (the rest are counted).
VALUES_SHOWN = 3


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
        key = (
            problem.file,
            problem.column,
            problem.kind,
            problem.value if problem.kind is not None else problem.message,
        )
        groups.setdefault(key, []).append(problem)
    return [ProblemGroup(tuple(found)) for found in groups.values()]


def merge_many_values(
    groups: list[ProblemGroup], *, most: int = VALUES_SHOWN
) -> list[ProblemGroup]:
    """Groups of one kind in one column of one file merged into one, when more than ``most``
    values share it (every year of a table written ``2016-17``, 300 unknown codes): one line per
    kind of problem, naming the first values.

    Parameters
    ----------
    groups : list of ProblemGroup
        From :func:`group_problems`.
    most : int
        The most values of one kind still listed as lines of their own.

    Returns
    -------
    list of ProblemGroup
        In the order of the first problem of each.
    """

    def kind_of(group: ProblemGroup) -> tuple:
        first = group.first
        return (first.file, first.column, first.kind, first.summary)

    families: dict[tuple, list[ProblemGroup]] = {}
    for group in groups:
        key = (
            kind_of(group)
            if group.first.kind is not None and group.first.value is not None
            else (id(group),)
        )
        families.setdefault(key, []).append(group)
    merged = {
        id(found[0]): ProblemGroup(tuple(p for g in found for p in g.problems))
        for found in families.values()
        if len(found) > most
    }
    dropped = {id(g) for found in families.values() if len(found) > most for g in found[1:]}
    return [merged.get(id(g), g) for g in groups if id(g) not in dropped]


def describe_problems(problems: list[Problem], *, limit: int = 50) -> list[str]:
    """One line per group of problems (:func:`group_problems`, with many values of one kind
    merged by :func:`merge_many_values`), at most ``limit`` lines.

    Parameters
    ----------
    problems : list of Problem
    limit : int
        The most lines; the groups left out are counted on a last line.

    Returns
    -------
    list of str
    """
    groups = merge_many_values(group_problems(problems))
    lines = [group.describe() for group in groups[:limit]]
    if len(groups) > limit:
        left = groups[limit:]
        lines.append(
            f"... and {count_words(len(left), 'more kind')} of problem "
            f"({count_words(sum(len(g.problems) for g in left), 'problem')})"
        )
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

    def __init__(
        self, message: str, *, cell_index: int | None = None, failed_notebook: str | None = None
    ) -> None:
        self.cell_index = cell_index
        self.failed_notebook = failed_notebook
        super().__init__(message)


class VerificationError(PerfevalError):
    """Raised when a re-run of a report does not reproduce the figures in its manifest."""
