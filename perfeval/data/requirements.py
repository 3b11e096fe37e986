"""What each report needs from a data folder: required tables, and each section's own.

Every built-in report declares the tables (and columns, and kinds of rows) it cannot run without,
and, for each of its sections, what that section needs to say anything. A council's own report
declares its own with :func:`register_requirements`. Then:

- :func:`missing_requirements` lists what a folder lacks for a report to run at all (the runner
  refuses such a run before anything is executed, naming what is missing);
- :func:`describe_coverage` says, one line per report, which reports and sections a folder can
  feed (``perfeval check-data`` prints it).

A table perfeval ships as national reference data (authorities, population, deflators; see
:data:`perfeval.data.loader.REFERENCE_DATA_DIR`) is always there: the loader reads perfeval's copy
when the folder has none. The needs below were read off each notebook and the perfeval functions it
calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from perfeval.core.exceptions import ParameterError
from perfeval.core.periods import is_valid_period, parse_period
from perfeval.data.loader import SPEC_BY_NAME, Dataset

__all__ = [
    "Need",
    "Section",
    "ReportRequirements",
    "register_requirements",
    "requirements_for",
    "registered_reports",
    "missing_requirements",
    "describe_unmet_requirements",
    "describe_coverage",
    "missing_sections",
]


@dataclass(frozen=True)
class Need:
    """A table a report or section needs, with rows, and optionally columns and kinds of rows.

    Attributes
    ----------
    table : str
        The table's name (``budget`` for ``budget.csv``).
    columns : tuple of str
        Columns it needs beyond those every such table has (the loader checks those).
    rows : callable, optional
        True when the table holds the kind of rows needed (``rows_text`` says which).
    rows_text : str
        What ``rows`` asks for, in words: "quarterly or monthly values".
    """

    table: str
    columns: tuple[str, ...] = ()
    rows: Callable[[pd.DataFrame], bool] | None = None
    rows_text: str = ""

    @property
    def filename(self) -> str:
        """The table's file name."""
        return f"{self.table}.csv"


@dataclass(frozen=True)
class Section:
    """A report section and what it needs besides the report's required tables.

    ``lacking`` names the tables in a message when all of them are missing ("survey tables").
    """

    title: str
    needs: tuple[Need, ...] = ()
    lacking: str = ""


@dataclass(frozen=True)
class ReportRequirements:
    """What one report needs: a title, the tables it cannot run without, and its sections."""

    stem: str
    title: str
    required: tuple[Need, ...] = ()
    sections: tuple[Section, ...] = field(default_factory=tuple)


_REQUIREMENTS: dict[str, ReportRequirements] = {}


def _as_need(item: str | Need) -> Need:
    """A Need from a table name (``"budget"``) or a Need."""
    if isinstance(item, Need):
        return item
    if isinstance(item, str) and item:
        return Need(item)
    raise ParameterError(
        [
            f"a requirement must be a table name such as 'budget' or a "
            f"perfeval.data.requirements.Need; got {item!r:.60}"
        ]
    )


def register_requirements(
    stem: str,
    *,
    title: str | None = None,
    required: Iterable[str | Need] = (),
    sections: Mapping[str, Iterable[str | Need]] | None = None,
    lacking: Mapping[str, str] | None = None,
) -> ReportRequirements:
    """Declare what a report needs from a data folder (replacing any earlier declaration).

    A council's own notebook calls it from its ``perfeval_schemas.py``, beside
    ``register_schema``; ``perfeval run`` then refuses a folder without the required tables, and
    ``perfeval check-data`` lists the report.

    Parameters
    ----------
    stem : str
        The notebook's stem (``"my_report"`` for ``notebooks/my_report.ipynb``).
    title : str, optional
        The report's name in messages; by default the stem with spaces.
    required : iterable of str or Need
        Tables (names such as ``"budget"``, or :class:`Need` for columns and kinds of rows) the
        report cannot run without. The loader already requires ``comparator_groups``,
        ``indicators`` and ``indicator_values``.
    sections : mapping of str to iterable of str or Need, optional
        Each section's title, in report order, with what it needs besides ``required``.
    lacking : mapping of str to str, optional
        For a section, the words naming its tables when all are missing ("survey tables").

    Returns
    -------
    ReportRequirements

    Raises
    ------
    ParameterError
        When a table is not one perfeval reads (see ``docs/data-model.md``), naming the tables.
    """
    lacking = dict(lacking or {})
    declared = ReportRequirements(
        stem=stem,
        title=title or stem.replace("_", " ").capitalize(),
        required=tuple(_as_need(item) for item in required),
        sections=tuple(
            Section(name, tuple(_as_need(item) for item in needs), lacking.get(name, ""))
            for name, needs in (sections or {}).items()
        ),
    )
    unknown = sorted({need.table for need in _all_needs(declared)} - set(SPEC_BY_NAME))
    if unknown:
        raise ParameterError(
            [f"{stem}: {unknown} are not tables perfeval reads; tables: {sorted(SPEC_BY_NAME)}"],
            notebook=stem,
        )
    _REQUIREMENTS[stem] = declared
    return declared


def _all_needs(report: ReportRequirements) -> list[Need]:
    return list(report.required) + [n for section in report.sections for n in section.needs]


def requirements_for(stem: str) -> ReportRequirements | None:
    """What report ``stem`` declared it needs, or None when it declared nothing."""
    return _REQUIREMENTS.get(stem)


def registered_reports() -> list[str]:
    """The stems of every report that declared its needs, in the order they did."""
    return list(_REQUIREMENTS)


# --------------------------------------------------------------------------- checking
def unmet_need(need: Need, data: Dataset) -> str | None:
    """What the folder lacks for ``need``, in words ("no budget.csv"), or None when it is met.

    Parameters
    ----------
    need : Need
    data : Dataset
        From :func:`perfeval.data.loader.load_dataset`.

    Returns
    -------
    str or None
        ``no X.csv`` (absent), ``no rows in X.csv``, ``no column 'c' in X.csv`` or
        ``no <rows_text> in X.csv``.
    """
    frame = data.tables.get(need.table)
    if frame is None or data.origins.get(need.table) == "absent":
        return f"no {need.filename}"
    if frame.empty:
        return f"no rows in {need.filename}"
    missing = [c for c in need.columns if c not in frame.columns]
    if missing:
        columns = ", ".join(repr(c) for c in missing)
        return f"no column{'s' if len(missing) > 1 else ''} {columns} in {need.filename}"
    if need.rows is not None and not need.rows(frame):
        return f"no {need.rows_text or 'rows of the kind needed'} in {need.filename}"
    return None


def missing_requirements(stem: str, dataset: Dataset) -> list[str]:
    """What ``dataset`` lacks for report ``stem`` to run at all; empty when it can run.

    Parameters
    ----------
    stem : str
        The report's notebook stem.
    dataset : Dataset
        From :func:`perfeval.data.loader.load_dataset`.

    Returns
    -------
    list of str
        One phrase per unmet requirement (``"no survey_responses.csv"``); empty also when the
        report declared no requirements.
    """
    report = requirements_for(stem)
    if report is None:
        return []
    return [found for need in report.required if (found := unmet_need(need, dataset))]


def describe_unmet_requirements(stem: str, dataset: Dataset) -> str | None:
    """Why report ``stem`` cannot run on ``dataset``, with what to do; None when it can.

    Parameters
    ----------
    stem : str
    dataset : Dataset

    Returns
    -------
    str or None
        E.g. ``"Survey report cannot run on this data folder (no survey_responses.csv,
        survey_codebook.csv); ..."``.
    """
    report = requirements_for(stem)
    missing = missing_requirements(stem, dataset)
    if report is None or not missing:
        return None
    return (
        f"{report.title} cannot run on this data folder ({join_unmet(missing)}); "
        f"add what is missing (see docs/data-model.md) or choose a data_dir that has it. "
        f"`perfeval check-data {dataset.root}` says what each report needs and which this "
        f"folder can feed"
    )


def missing_sections(stem: str, dataset: Dataset) -> list[tuple[str, list[str]]]:
    """The sections of report ``stem`` that ``dataset`` cannot feed, each with what it lacks.

    Parameters
    ----------
    stem : str
    dataset : Dataset

    Returns
    -------
    list of (str, list of str)
        Section title and its unmet needs, in report order.
    """
    report = requirements_for(stem)
    if report is None:
        return []
    found = [
        (section, [u for need in section.needs if (u := unmet_need(need, dataset))])
        for section in report.sections
    ]
    return [(section.title, lacks) for section, lacks in found if lacks]


def join_unmet(lacks: list[str], lacking: str = "") -> str:
    """Unmet needs in one phrase: absent tables together (``no a.csv, b.csv``), then the rest;
    ``no <lacking>`` when ``lacking`` is given and every need is an absent table."""
    absent = [
        phrase[3:]
        for phrase in lacks
        if phrase.startswith("no ") and phrase.endswith(".csv") and " " not in phrase[3:]
    ]
    if lacking and len(absent) == len(lacks):
        return f"no {lacking}"
    rest = [phrase for phrase in lacks if phrase[3:] not in absent]
    return "; ".join(([f"no {', '.join(absent)}"] if absent else []) + rest)


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def describe_report_coverage(stem: str, dataset: Dataset) -> str:
    """One line saying whether report ``stem`` can run on ``dataset`` and which sections it
    feeds: ``State of the Nation: every section but Money: budget (no budget.csv)``."""
    report = requirements_for(stem)
    if report is None:
        return f"{stem}: declares no requirements"
    missing = missing_requirements(stem, dataset)
    if missing:
        return f"{report.title}: cannot run ({join_unmet(missing)})"
    sections = {s.title: s for s in report.sections}
    unfed = [
        f"{title} ({join_unmet(lacks, sections[title].lacking)})"
        for title, lacks in missing_sections(stem, dataset)
    ]
    if not report.sections:
        return f"{report.title}: can run"
    if len(unfed) == len(report.sections):
        return f"{report.title}: can run, but no section has its data ({'; '.join(unfed)})"
    return f"{report.title}: every section" + (f" but {_and_list(unfed)}" if unfed else "")


def describe_coverage(dataset: Dataset) -> list[str]:
    """One line per report that declared its needs: which reports and sections ``dataset`` feeds.

    Parameters
    ----------
    dataset : Dataset
        From :func:`perfeval.data.loader.load_dataset`.

    Returns
    -------
    list of str
        E.g. ``"State of the Nation: every section but Resident views (no survey tables) and
        Money: budget (no budget.csv)"`` and ``"Survey report: cannot run (no
        survey_responses.csv, survey_codebook.csv)"``.
    """
    return [describe_report_coverage(stem, dataset) for stem in registered_reports()]


# --------------------------------------------------------------------------- kinds of rows
def has_sub_annual_periods(frame: pd.DataFrame) -> bool:
    """True when a table with a ``period`` column has a quarter or a month (labels that are not
    periods, in a folder with problems, are not counted)."""
    return any(
        is_valid_period(p) and parse_period(p).kind != "year" for p in frame["period"].unique()
    )


def has_group_of_three(frame: pd.DataFrame) -> bool:
    """True when comparator_groups has a group of at least three councils (a median or a
    quartile of fewer says nothing)."""
    return bool((frame.groupby("group")["authority"].nunique() >= 3).any())


def has_two_waves(frame: pd.DataFrame) -> bool:
    """True when a council's survey in survey_responses has at least two waves."""
    return bool((frame.groupby(["authority", "survey"])["wave"].nunique() >= 2).any())


SUB_ANNUAL_VALUES = Need(
    "indicator_values", rows=has_sub_annual_periods, rows_text="quarterly or monthly values"
)
TARGETS = Need("targets")
GROUP_OF_THREE = Need(
    "comparator_groups",
    rows=has_group_of_three,
    rows_text="comparator group of at least three councils",
)
SURVEY = (Need("survey_responses"), Need("survey_codebook"))
SPEND = (Need("net_expenditure"), Need("population"))
PROGRAMME = (
    Need("programme_strands"),
    Need("programme_members"),
    Need("programme_participant_survey"),
)
#: The improvement actions and the risk register (#17): optional tables that feed a section of
#: the quarterly, end-of-year and State of the Nation reports when a folder has them.
ACTIONS = Need("actions")
REGISTERS = (ACTIONS, Need("risks"))
REGISTERS_LACKING = "actions or risks registers"

register_requirements(
    "state_of_the_nation",
    title="State of the Nation",
    sections={
        "Headlines": [],
        "Performance against target": [TARGETS],
        "Benchmarking": [GROUP_OF_THREE],
        "Resident views": SURVEY,
        "Money: spend per head": SPEND,
        "Money: budget": [Need("budget")],
        "National and local trends": [],
        "Delivery": REGISTERS,
        "Issues": [],
        "Method": [],
    },
    lacking={"Resident views": "survey tables", "Delivery": REGISTERS_LACKING},
)
register_requirements(
    "end_of_year_review",
    title="End-of-year review",
    sections={
        "Exceptions": [],
        "Outturn against target": [TARGETS],
        "Position among comparable councils": [GROUP_OF_THREE],
        "Improvement actions for the exceptions": [ACTIONS],
        "Performance clinic list for the coming year": [],
        "Data quality": [],
        "Method": [],
    },
)
register_requirements(
    "quarterly_monitoring",
    title="Quarterly monitoring",
    required=[Need("budget"), SUB_ANNUAL_VALUES],
    sections={
        "Exceptions: forecast to miss target": [TARGETS],
        "Performance against profiled targets": [TARGETS],
        "Statistical process control": [],
        "Finance and performance by service": [],
        "Actions and risks": REGISTERS,
        "Method": [],
    },
    lacking={"Actions and risks": REGISTERS_LACKING},
)
register_requirements(
    "survey_report",
    title="Survey report",
    required=SURVEY,
    sections={
        "About the survey (weighting to population margins)": [Need("survey_population_margins")],
        "Headline measures": [],
        "Change since the last survey": [
            Need("survey_responses", rows=has_two_waves, rows_text="second wave of a survey")
        ],
        "Differences between groups of residents": [],
        "Method and caveats": [],
    },
)
register_requirements(
    "value_for_money",
    title="Value for money",
    required=SPEND,
    sections={
        "Comparison set and performance score": [],
        "Performance against spend": [],
        "Above or below what spend would predict": [],
        "Spend per head in real terms": [Need("deflators")],
    },
)
register_requirements(
    "programme_evaluation",
    title="Programme evaluation",
    required=PROGRAMME,
    sections={
        "What the money bought": [],
        "Did outcomes move?": [],
        "What participants said": [],
        "Evaluation framework": [],
    },
)
register_requirements(
    "action_plan_review",
    title="Action plan review",
    required=[ACTIONS],
    sections={
        "Summary": [],
        "The plan": [],
        "What slipped and why": [],
        "Completion over time": [],
        "Method and provenance": [],
    },
)
