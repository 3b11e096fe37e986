"""The parameter schema of every report notebook, in one place.

Every notebook uses the same names for the same meanings: ``council`` (ONS GSS code of the home
council), ``year`` (financial year such as ``"2024/25"``), ``comparator_group`` (a group in
``comparator_groups.csv``) and ``data_dir`` (folder of CSV tables; ``""`` = the bundled sample
data). Data-aware checks (the council exists, the year has data) read the data directory once per
process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from perfeval.data import Dataset, load_dataset
from perfeval.exceptions import PerfevalError
from perfeval.parameters import Param, register_schema
from perfeval.paths import resolve_data_dir
from perfeval.periods import is_valid_period, parse_period

DEFAULT_COUNCIL = "E06000017"
DEFAULT_YEAR = "2024/25"
DEFAULT_GROUP = "rutland_nearest_15"


@lru_cache(maxsize=4)
def _cached_dataset(root: str, stamp: tuple) -> Dataset:
    return load_dataset(root)


def dataset_for(values: dict[str, Any]) -> Dataset:
    """The dataset named by ``values["data_dir"]`` (cached while its files are unchanged)."""
    root = resolve_data_dir(values.get("data_dir", ""))
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                         for p in Path(root).glob("*.csv"))) if Path(root).is_dir() else ()
    return _cached_dataset(str(root), stamp)


def _with_dataset(check):
    """Wrap a data-aware check so that unreadable data is reported as a parameter problem."""
    def wrapped(value: Any, values: dict[str, Any]) -> str | None:
        try:
            data = dataset_for(values)
        except PerfevalError as err:
            first = str(err).splitlines()[1].strip(" -") if "\n" in str(err) else str(err)
            return f"the data in data_dir cannot be used ({first}); run load_dataset to see all"
        return check(value, values, data)
    return wrapped


def check_data_dir(value: str, values: dict[str, Any]) -> str | None:
    """The data directory must exist (``""`` means the bundled data)."""
    root = resolve_data_dir(value)
    if not root.is_dir():
        return f"{value!r} is not a folder; give the folder that holds the CSV tables"
    return None


@_with_dataset
def check_council(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """The council must be a code in authorities.csv."""
    codes = set(data.authorities["code"])
    if value not in codes:
        return (f"{value!r} is not an authority code in authorities.csv; use an ONS GSS code "
                f"such as {DEFAULT_COUNCIL!r} (Rutland)")
    return None


def check_financial_year(value: str, values: dict[str, Any]) -> str | None:
    """The year must be a financial-year label such as 2024/25."""
    if not is_valid_period(value) or parse_period(value).kind != "year":
        return f"{value!r} is not a financial year; write it as '2024/25'"
    return None


@_with_dataset
def check_year_has_data(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """The year must be a financial year for which the council has indicator values."""
    problem = check_financial_year(value, values)
    if problem:
        return problem
    council = values.get("council")
    mine = data.indicator_values[data.indicator_values["authority"] == council]
    years = sorted({parse_period(p).financial_year.label for p in mine["period"].unique()})
    if value not in years:
        shown = ", ".join(years[-6:]) if years else "none"
        return f"{value!r} has no indicator values for {council}; years with data: {shown}"
    return None


@_with_dataset
def check_comparator_group(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """The group must exist in comparator_groups.csv and include the council."""
    groups = data.comparator_groups
    known = sorted(set(groups["group"]))
    if value not in known:
        return f"{value!r} is not a group in comparator_groups.csv; known groups: {known}"
    members = set(groups.loc[groups["group"] == value, "authority"])
    if values.get("council") not in members:
        return f"group {value!r} does not include the council {values.get('council')!r}"
    return None


@_with_dataset
def check_survey_wave(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """A survey wave must be a wave of the resident survey ('' allowed for an optional wave)."""
    waves = sorted(set(data.survey_responses["wave"]))
    if value == "" or value in waves:
        return None
    return f"{value!r} is not a wave in survey_responses.csv; waves: {waves}"


@_with_dataset
def check_indicator_codes(value: list[str], values: dict[str, Any], data: Dataset) -> str | None:
    """Every code must be in the indicator register."""
    unknown = [code for code in value if code not in set(data.indicators["code"])]
    return f"unknown indicator code(s) {unknown}; see indicators.csv" if unknown else None


def common_parameters(*, year_check=check_year_has_data) -> list[Param]:
    """The four parameters every report shares."""
    return [
        Param("council", "str", DEFAULT_COUNCIL,
              "ONS GSS code of the home council (e.g. E06000017 for Rutland)", check=check_council),
        Param("year", "str", DEFAULT_YEAR, "Financial year reported on, e.g. 2024/25",
              check=year_check),
        Param("comparator_group", "str", DEFAULT_GROUP,
              "Comparator group from comparator_groups.csv (must include the council)",
              check=check_comparator_group),
        Param("data_dir", "str", "", "Folder of CSV tables; empty = the bundled sample data",
              check=check_data_dir),
    ]


register_schema("state_of_the_nation", common_parameters() + [
    Param("key_indicators", "list[str]", ["NI192", "HB01", "PL01", "HR01", "CT01", "ASC3"],
          "Indicators shown as trends against the comparator median", check=check_indicator_codes),
    Param("trend_years", "int", 6, "Number of financial years shown in trend charts", min=2, max=20),
    Param("survey_wave", "str", "2024", "Resident survey wave reported (a wave in survey_responses.csv)",
          check=check_survey_wave),
    Param("previous_wave", "str", "2022", "Earlier wave to test change against ('' for none)",
          check=check_survey_wave),
])
