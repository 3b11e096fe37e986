"""The parameter schema of every report notebook, in one place.

Every notebook uses the same names for the same meanings: ``council`` (ONS GSS code of the home
council), ``year`` (financial year such as ``"2024/25"``), ``comparator_group`` (a group in
``comparator_groups.csv``) and ``data_dir`` (folder of CSV tables; ``""`` = the bundled sample
data). Data-aware checks (the council exists, the year has data) read the data directory once per
process. Their messages quote a value with :func:`~perfeval.core.quoting.short_repr`, so a long
value never makes a long message.

These declarations import :mod:`perfeval.run.declarations` only; :mod:`perfeval.run.parameters`
imports them to look them up, validate values and describe them.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perfeval.core.exceptions import (
    DataValidationError,
    ParameterError,
    PerfevalError,
    count_words,
    describe_problems,
)
from perfeval.core.paths import resolve_data_dir
from perfeval.core.periods import (
    FIRST_YEAR,
    LAST_YEAR,
    LATEST_WAVE,
    PREVIOUS_WAVE,
    financial_year_label,
    is_valid_period,
    parse_period,
)
from perfeval.core.quoting import short_repr, shorten
from perfeval.run.declarations import Check, Field, Param, Record, register_schema

if TYPE_CHECKING:
    from perfeval.data.loader import Dataset


DEFAULT_COUNCIL = "E06000017"
DEFAULT_YEAR = "2024/25"
DEFAULT_GROUP = "rutland_nearest_15"


@lru_cache(maxsize=4)
def _cached_dataset(root: str, stamp: tuple) -> Dataset | PerfevalError:
    """The folder's dataset, or the error loading it (kept too, so that the many checks that
    read one broken folder load it once)."""
    # imported here: perfeval.data.loader imports pandas, needed only once a check reads the data
    from perfeval.data.loader import load_dataset

    try:
        return load_dataset(root)
    except PerfevalError as err:
        return err


def folder_stamp(root: Path) -> tuple:
    """Name, modification time and size of each table file of ``root``, to tell whether the
    folder changed; a file that cannot be read (a symbolic link loop) is stamped with its error,
    and :func:`~perfeval.data.loader.load_dataset` says what is wrong with it."""
    stamp: list[tuple[str, object, object]] = []
    for path in sorted(root.glob("*.csv")) if root.is_dir() else ():
        try:
            info = path.stat()
        except OSError as err:
            stamp.append((path.name, "unreadable", err.errno))
            continue
        stamp.append((path.name, info.st_mtime_ns, info.st_size))
    return tuple(stamp)


def dataset_for(values: dict[str, Any]) -> Dataset:
    """The dataset named by ``values["data_dir"]`` (cached while its files are unchanged).

    Raises
    ------
    DataValidationError
        When the folder has problems (every problem, grouped; the same error each time).
    """
    root = resolve_data_dir(values.get("data_dir", ""))
    found = _cached_dataset(str(root), folder_stamp(Path(root)))
    if isinstance(found, PerfevalError):
        raise found
    return found


def _with_dataset(check):
    """Wrap a data-aware check so that it gets the dataset of ``data_dir``.

    When the folder cannot be used, the ``data_dir`` parameter's own check says why, once
    (:func:`check_data_dir`), so the wrapped check is skipped; a schema without ``data_dir``
    (whose checks read the bundled sample data) reports it here.
    """

    def wrapped(value: Any, values: dict[str, Any]) -> str | None:
        try:
            data = dataset_for(values)
        except PerfevalError as err:
            return None if "data_dir" in values else describe_unusable_data(err)
        return check(value, values, data)

    return wrapped


def describe_unusable_data(err: PerfevalError, folder: str = "") -> str:
    """Why the data cannot be used, in one message: the grouped problems, then where to see all."""
    if isinstance(err, DataValidationError):
        shown = f"{count_words(len(err.problems), 'problem')}: " + "; ".join(
            describe_problems(err.problems, limit=5)
        )
    else:
        shown = str(err)
    command = f"perfeval check-data {folder}".rstrip()
    return (
        f"the data in data_dir cannot be used ({shorten(shown, 700)}); run `{command}` to "
        f"see every problem"
    )


def check_data_dir(value: str, values: dict[str, Any]) -> str | None:
    """The data directory must exist (``""`` means the bundled data), and its data load."""
    root = resolve_data_dir(value)
    if not root.is_dir():
        return f"{short_repr(value)} is not a folder; give the folder that holds the CSV tables"
    try:
        dataset_for({"data_dir": value})
    except PerfevalError as err:
        return describe_unusable_data(err, shorten(str(value), 200))
    return None


@_with_dataset
def check_council(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """The council must be a code in authorities.csv."""
    codes = set(data.authorities["code"])
    if value not in codes:
        return (
            f"{short_repr(value)} is not an authority code in authorities.csv; use an ONS GSS "
            f"code such as {DEFAULT_COUNCIL!r} (Rutland)"
        )
    return None


def check_financial_year(value: str, values: dict[str, Any]) -> str | None:
    """The year must be a financial-year label such as 2024/25, in the years a data file may
    hold (:data:`~perfeval.core.periods.FIRST_YEAR` to :data:`~perfeval.core.periods.LAST_YEAR`,
    as the loader's)."""
    if (
        not is_valid_period(value, first_year=FIRST_YEAR, last_year=LAST_YEAR)
        or parse_period(value).kind != "year"
    ):
        if is_valid_period(value) and parse_period(value).kind == "year":
            return (
                f"{short_repr(value)} is outside the years a data file may hold "
                f"({financial_year_label(FIRST_YEAR)} to {financial_year_label(LAST_YEAR)})"
            )
        return f"{short_repr(value)} is not a financial year; write it as '2024/25'"
    return None


def check_year_among(
    value: str, values: dict[str, Any], years: list[str], missing: str, *, shown: int | None = None
) -> str | None:
    """A financial-year label that is one of ``years``; else ``missing`` with the years listed.

    ``missing`` is the message after the quoted value, e.g. ``"has no rows in x.csv; years"``;
    ``shown`` limits the listing to the latest years.
    """
    problem = check_financial_year(value, values)
    if problem:
        return problem
    if value in years:
        return None
    listed = years[-shown:] if shown else years
    return f"{short_repr(value)} {missing}: {', '.join(listed) or 'none'}"


@_with_dataset
def check_year_has_data(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """The year must be a financial year for which the council has indicator values."""
    council = values.get("council")
    mine = data.indicator_values[data.indicator_values["authority"] == council]
    years = sorted({parse_period(p).financial_year.label for p in mine["period"].unique()})
    return check_year_among(
        value,
        values,
        years,
        f"has no indicator values for {shorten(str(council))}; years with data",
        shown=6,
    )


@_with_dataset
def check_comparator_group(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """The group must exist in comparator_groups.csv and include the council."""
    groups = data.comparator_groups
    known = sorted(set(groups["group"]))
    if value not in known:
        return f"{short_repr(value)} is not a group in comparator_groups.csv; known groups: {known}"
    members = set(groups.loc[groups["group"] == value, "authority"])
    if values.get("council") not in members:
        return (
            f"group {short_repr(value)} does not include the council "
            f"{short_repr(values.get('council'))}"
        )
    return None


def council_survey_rows(data: Dataset, table: str, values: dict[str, Any]) -> Any:
    """The rows of a survey table for the council and survey of ``values`` (``council`` and
    ``survey``): one council's survey is never another's."""
    frame = getattr(data, table)
    if "authority" not in frame.columns:
        return frame.iloc[0:0]
    return frame[
        (frame["authority"] == values.get("council")) & (frame["survey"] == values.get("survey"))
    ]


def council_waves(data: Dataset, values: dict[str, Any]) -> list[str]:
    """The waves with respondents of the council's survey named in ``values``."""
    return sorted(set(council_survey_rows(data, "survey_responses", values)["wave"]))


def _no_such_wave(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """None when ``value`` is a wave of the council's survey; else what is wrong and the fix."""
    waves = council_waves(data, values)
    if value in waves:
        return None
    survey, council = short_repr(values.get("survey")), shorten(str(values.get("council")))
    if not waves:
        return (
            f"{short_repr(value)} is not a wave: survey_responses.csv has no respondents of "
            f"survey {survey} for {council}; give '' for no survey results"
        )
    return (
        f"{short_repr(value)} is not a wave of survey {survey} for {council} in "
        f"survey_responses.csv; waves: {waves}"
    )


@_with_dataset
def check_survey_wave(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """'' (no resident survey section), 'latest' (the latest wave at or before the report year,
    if the council has one) or a wave of the council's survey."""
    return None if value in ("", LATEST_WAVE) else _no_such_wave(value, values, data)


@_with_dataset
def check_previous_wave(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """'' (no comparison), 'previous' (the wave before the one reported, if any) or another wave
    of the council's survey; not checked (and not used) when no wave is reported
    (``survey_wave = ""``), nor when the council has no survey at all (``survey_wave``'s own
    check says so)."""
    if (
        value in ("", PREVIOUS_WAVE)
        or not values.get("survey_wave")
        or not council_waves(data, values)
    ):
        return None
    if value == values.get("survey_wave"):
        return (
            f"{short_repr(value)} is the wave reported (survey_wave); choose an earlier wave "
            "or '' for no comparison"
        )
    return _no_such_wave(value, values, data)


@_with_dataset
def check_indicator_codes(value: list[str], values: dict[str, Any], data: Dataset) -> str | None:
    """At least one code, and every code in the indicator register."""
    if not value:
        return "give at least one indicator code, e.g. [NI192]; see indicators.csv"
    unknown = [code for code in value if code not in set(data.indicators["code"])]
    return (
        f"unknown indicator code(s) {short_repr(unknown)}; see indicators.csv" if unknown else None
    )


def common_parameters(*, year_check: Check = check_year_has_data) -> list[Param]:
    """The four parameters every report shares (``year_check`` replaces the year's data check)."""
    return [
        Param(
            "council",
            "str",
            DEFAULT_COUNCIL,
            "ONS GSS code of the home council (e.g. E06000017 for Rutland)",
            check=check_council,
        ),
        Param(
            "year",
            "str",
            DEFAULT_YEAR,
            "Financial year reported on, e.g. 2024/25",
            check=year_check,
            period=True,
        ),
        Param(
            "comparator_group",
            "str",
            DEFAULT_GROUP,
            "Comparator group from comparator_groups.csv (must include the council)",
            check=check_comparator_group,
        ),
        Param(
            "data_dir",
            "str",
            "",
            "Folder of CSV tables; empty = the bundled sample data",
            check=check_data_dir,
        ),
    ]


#: The default risk bands (:data:`perfeval.stats.risks.DEFAULT_BAND_ITEMS`), written here so that
#: declaring the schemas does not import the statistics (and pandas).
DEFAULT_RISK_BANDS = ["low: 1-4", "medium: 5-12", "high: 15-25"]


def check_risk_bands(value: list[str], values: dict[str, Any]) -> str | None:
    """Every item must read ``name: lowest-highest`` and the bands must put every score the 5 x 5
    grid can give in exactly one band (:func:`perfeval.stats.risks.parse_bands`)."""
    # imported here: the statistics import pandas, needed only once a value is checked
    from perfeval.stats.risks import parse_bands

    try:
        parse_bands(value)
    except ParameterError as err:
        return (
            f"not usable risk bands: {'; '.join(err.problems)}. Write one "
            "item per band, e.g. ['low: 1-4', 'medium: 5-12', 'high: 15-25']"
        )
    return None


#: The bands of the risk scores, shared by every report that shows the risk register.
RISK_BANDS = Param(
    "risk_bands",
    "list[str]",
    DEFAULT_RISK_BANDS,
    "Bands of the risk scores (likelihood x impact, 1-25), one 'name: lowest-highest' item "
    "each, lowest first; every score the 5 x 5 grid can give must fall in exactly one band",
    check=check_risk_bands,
)


#: The quartile convention of the benchmarking (:data:`perfeval.stats.indicators.QUARTILE_METHODS`,
#: written here so that declaring the schemas does not import the statistics).
QUARTILE_METHOD = Param(
    "quartile_method",
    "str",
    "inclusive",
    "Quartile convention: 'inclusive' (Excel QUARTILE.INC, Hyndman and Fan type 7; the median "
    "council of an odd-sized group counts in the top two quartiles) or 'exclusive' "
    "(QUARTILE.EXC, type 6; the median council counts in neither half)",
    choices=("inclusive", "exclusive"),
)
#: How tied values are ranked (:data:`perfeval.stats.indicators.TIES`).
TIES = Param(
    "ties",
    "str",
    "competition",
    "Tied values share the best rank ('competition', 1224, Excel RANK.EQ) or the mean of "
    "their ranks ('mid-rank', 1 2.5 2.5 4, Excel RANK.AVG)",
    choices=("competition", "mid-rank"),
)


register_schema(
    "state_of_the_nation",
    common_parameters()
    + [
        Param(
            "key_indicators",
            "list[str]",
            ["NI192", "HB01", "PL01", "HR01", "CT01", "ASC3"],
            "Indicators shown as trends against the comparator median",
            check=check_indicator_codes,
        ),
        Param(
            "trend_years",
            "int",
            6,
            "Number of financial years shown in trend charts",
            min=2,
            max=20,
        ),
        Param(
            "survey",
            "str",
            "residents",
            "Resident survey reported (a survey of the council in survey_responses.csv)",
        ),
        Param(
            "survey_wave",
            "str",
            LATEST_WAVE,
            "Wave of the council's survey reported: 'latest' (the latest at or before the report "
            "year), a wave, or '' for none (no Resident views section)",
            check=check_survey_wave,
        ),
        Param(
            "previous_wave",
            "str",
            PREVIOUS_WAVE,
            "Earlier wave to test change against: 'previous' (the wave before the one reported), "
            "a wave, or '' for none (unused when survey_wave is '')",
            check=check_previous_wave,
        ),
        RISK_BANDS,
        QUARTILE_METHOD,
        TIES,
    ],
)


@_with_dataset
def check_services(value: list[str], values: dict[str, Any], data: Dataset) -> str | None:
    """Every service must be a service in the indicator register ([] means all services)."""
    known = sorted(set(data.indicators["service"]))
    unknown = [service for service in value if service not in known]
    return (
        f"unknown service(s) {short_repr(unknown)}; services in indicators.csv: {known}"
        if unknown
        else None
    )


register_schema(
    "end_of_year_review",
    common_parameters()
    + [
        Param(
            "services",
            "list[str]",
            [],
            "Only these services' indicators (as in indicators.csv); [] = every service",
            check=check_services,
        ),
        RISK_BANDS,
        QUARTILE_METHOD,
        TIES,
    ],
)


@_with_dataset
def check_quarter_has_data(value: int, values: dict[str, Any], data: Dataset) -> str | None:
    """The council must have a quarterly or monthly value in the quarter reported."""
    year = values.get("year", "")
    if check_financial_year(year, values):
        return None  # the year's own check reports the problem
    mine = data.indicator_values[data.indicator_values["authority"] == values.get("council")]
    fy = parse_period(year).fy
    quarters = {
        parse_period(p).quarter
        for p in mine["period"].unique()
        if parse_period(p).kind != "year" and parse_period(p).fy == fy
    }
    if value not in quarters:
        shown = sorted(q for q in quarters if q) or "none"
        return (
            f"{short_repr(value)} has no quarterly or monthly values for "
            f"{shorten(str(values.get('council')))} in {year}; quarters with data: {shown}"
        )
    return None


@_with_dataset
def check_sub_annual_indicators(
    value: list[str], values: dict[str, Any], data: Dataset
) -> str | None:
    """At least one code; every code a quarterly or monthly indicator of the register."""
    register = data.indicators.set_index("code")["frequency"]
    sub_annual = sorted(code for code, f in register.items() if f in ("quarterly", "monthly"))
    bad = [code for code in value if code not in sub_annual]
    if not value:
        return f"give at least one quarterly or monthly indicator, e.g. {sub_annual[:3]}"
    return (
        f"{short_repr(bad)} are not quarterly or monthly indicators in indicators.csv; "
        f"choose from {sub_annual}"
        if bad
        else None
    )


register_schema(
    "quarterly_monitoring",
    common_parameters()
    + [
        Param(
            "quarter",
            "int",
            3,
            "Quarter of the financial year reported (1 = April to June)",
            min=1,
            max=4,
            check=check_quarter_has_data,
        ),
        Param(
            "profile_method",
            "str",
            "seasonal",
            "How annual targets are split into quarters and months: 'even' or 'seasonal' (from "
            "past years)",
            choices=("even", "seasonal"),
        ),
        Param(
            "spc_indicators",
            "list[str]",
            ["HB01", "PL01", "HR01", "WS01", "CS02"],
            "Quarterly or monthly indicators shown as SPC (XmR) charts",
            check=check_sub_annual_indicators,
        ),
        RISK_BANDS,
    ],
)


# --------------------------------------------------------------------------- value for money
def _without_group(params: list[Param], **year: Any) -> list[Param]:
    """The common parameters minus ``comparator_group`` (these reports choose their councils
    otherwise), with the ``year`` parameter's default, description or check replaced if given."""
    import dataclasses

    return [
        dataclasses.replace(p, **year) if p.name == "year" and year else p
        for p in params
        if p.name != "comparator_group"
    ]


@_with_dataset
def check_spend_year(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """The year must be a financial year with the spend the report compares in
    net_expenditure.csv: the ``TOTAL SERVICE EXPENDITURE`` line, or ``NET CURRENT EXPENDITURE``
    for a folder with no total service expenditure at all
    (:func:`perfeval.stats.budget.choose_spend_measure`); a year with service lines only has
    nothing to compare."""
    from perfeval.stats.budget import choose_spend_measure

    net = data.net_expenditure
    line = choose_spend_measure(net).line
    rows = net[(net["service"] == line) & net["net_current_expenditure"].notna()]
    years = sorted(set(rows["period"]), key=lambda y: parse_period(y).fy)
    return check_year_among(
        value, values, years, f"has no {line} figures in net_expenditure.csv; years with them"
    )


@_with_dataset
def check_comparison(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """'type' or a group in comparator_groups.csv."""
    groups = sorted(set(data.comparator_groups["group"]))
    if value == "type" or value in groups:
        return None
    return f"{short_repr(value)} is neither 'type' nor a group in comparator_groups.csv ({groups})"


@_with_dataset
def check_deflator_year(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """The price base year must have a deflator in deflators.csv."""
    return check_year_among(
        value,
        values,
        sorted(set(data.deflators["year"])),
        "has no deflator in deflators.csv; years",
    )


register_schema(
    "value_for_money",
    _without_group(
        common_parameters(),
        default="2022/23",
        check=check_spend_year,
        description="Financial year compared (a year with total service expenditure in "
        "net_expenditure.csv and values for the score's indicators), e.g. 2022/23",
    )
    + [
        Param(
            "comparison",
            "str",
            "type",
            "Councils compared: 'type' (all current councils of the council's type) or a group in "
            "comparator_groups.csv",
            check=check_comparison,
        ),
        Param(
            "vfm_indicators",
            "list[str]",
            ["NI192", "ASC2", "ASC3", "ASC5"],
            "Indicators averaged into the performance score (not neutral ones)",
            check=check_indicator_codes,
        ),
        Param(
            "price_base_year",
            "str",
            "2023/24",
            "Financial year whose prices real terms are in (a year in deflators.csv; the "
            "default is the latest there)",
            check=check_deflator_year,
            period=True,
        ),
        Param(
            "confidence_level",
            "float",
            0.95,
            "Confidence level of the fitted line's intervals",
            min=0.5,
            max=0.99,
        ),
    ],
)


# ---------------------------------------------------------------------- programme evaluation
@_with_dataset
def check_programme(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """The programme must have strands in programme_strands.csv."""
    known = sorted(set(data.programme_strands["programme"]))
    return (
        None
        if value in known
        else (
            f"{short_repr(value)} is not a programme in programme_strands.csv; programmes: {known}"
        )
    )


FRAMEWORK_OPERATORS = ("==", "!=", "<", "<=", ">", ">=")
"""How an evaluation question compares its evidence with its threshold."""
FRAMEWORK_FIELDS = ("question", "evidence", "operator", "threshold")


def _threshold_from_text(text: str) -> bool | int | float | str:
    """A threshold written as text in the one-line form: true/false, a number (commas allowed,
    as in 1,500) or else the text itself."""
    word = text.strip()
    if word.lower() in ("true", "false"):
        return word.lower() == "true"
    number = word.replace(",", "")
    for convert in (int, float):
        try:
            value = convert(number)
        except ValueError:
            continue
        if math.isfinite(value):
            return value
    return word


def framework_item_from_line(line: str) -> dict[str, Any]:
    """Read an evaluation question written in the older one-line form
    ``"question | evidence | operator | threshold"`` as the mapping the report receives.

    Parameters
    ----------
    line : str
        E.g. ``"Did the programme spend within its allocation? |
        funding_total.spend_pct_of_allocation | <= | 100"``.

    Returns
    -------
    dict
        ``question``, ``evidence``, ``operator`` and ``threshold`` (true/false, a number or text).

    Raises
    ------
    ValueError
        When the line does not have four non-empty parts, or uses the operator ``between``
        (which the mapping form does not have).
    """
    parts = [part.strip() for part in line.split("|")]
    if len(parts) != 4 or not all(parts):
        raise ValueError(
            f"expected 'question | evidence | operator | threshold', got "
            f"{short_repr(line)}; or write the item as a mapping with "
            f"{', '.join(FRAMEWORK_FIELDS)}"
        )
    question, evidence, operator, threshold = parts
    if operator == "between":
        raise ValueError(
            f"operator 'between' in {short_repr(line)} is no longer available; "
            f"write two questions instead, one with '>=' the low end and one with "
            f"'<=' the high end"
        )
    return {
        "question": question,
        "evidence": evidence,
        "operator": operator,
        "threshold": _threshold_from_text(threshold),
    }


FRAMEWORK_ITEM = Record(
    (
        Field("question", "str", "The question the report answers"),
        Field(
            "evidence",
            "str",
            "The computed result answering it, e.g. funding_total.participants, "
            "did_NI192.significant_increase or survey_confidence.p_value",
        ),
        Field(
            "operator",
            "str",
            "How the evidence is compared with the threshold",
            choices=FRAMEWORK_OPERATORS,
        ),
        Field("threshold", "scalar", "What the evidence is compared with"),
    ),
    from_text=framework_item_from_line,
)
"""The fields of one evaluation question (``evaluation_framework``)."""


def _question(question: str, evidence: str, operator: str, threshold: Any) -> dict[str, Any]:
    return {
        "question": question,
        "evidence": evidence,
        "operator": operator,
        "threshold": threshold,
    }


DEFAULT_FRAMEWORK = [
    _question(
        "Did the programme spend within its allocation?",
        "funding_total.spend_pct_of_allocation",
        "<=",
        100,
    ),
    _question(
        "Did the programme reach at least 300 participant places?",
        "funding_total.participants",
        ">=",
        300,
    ),
    _question(
        "Was the cost per participant place under £1,500?",
        "funding_total.cost_per_participant",
        "<",
        1500,
    ),
    _question(
        "Did participants' confidence rise significantly?",
        "survey_confidence.significant_increase",
        "==",
        True,
    ),
    _question(
        "Did more participants use performance data after the programme?",
        "survey_uses_performance_data.significant_increase",
        "==",
        True,
    ),
    _question(
        "Did the recycling rate (NI 192) rise more in participating than in comparison councils?",
        "did_NI192.significant_increase",
        "==",
        True,
    ),
    _question(
        "Is it evidenced that participating and comparison councils were on parallel trends "
        "before the programme?",
        "did_NI192.pre_trends_evidenced",
        "==",
        True,
    ),
]

INFERENCE_CHOICES = ("randomisation", "wild_bootstrap", "cluster")
"""How the programme evaluation's difference-in-differences p-values and intervals are computed
(:data:`perfeval.stats.evaluation.INFERENCE_METHODS`)."""

DEFAULT_QUESTION_LABELS = [
    "confidence: Confidence (1 low to 5 high)",
    "understanding: Understanding (1 low to 5 high)",
    "uses_performance_data: Uses performance data in their work",
    "has_development_plan: Has a development plan",
]


def check_question_labels(value: list[str], values: dict[str, Any]) -> str | None:
    """Each item reads ``question: wording``, each question once."""
    seen, bad = set(), []
    for item in value:
        question, colon, wording = str(item).partition(":")
        if not colon or not question.strip() or not wording.strip() or question in seen:
            bad.append(short_repr(item))
        seen.add(question)
    if bad:
        return (
            f"each item must read 'question: wording', each question once; not usable: "
            f"{', '.join(bad)}"
        )
    return None


register_schema(
    "programme_evaluation",
    _without_group(
        common_parameters(),
        default="2023/24",
        description="Last financial year of outcome data used, e.g. 2023/24",
    )
    + [
        Param(
            "programme",
            "str",
            "llr_improvement_partnership",
            "Programme in programme_strands.csv and programme_members.csv",
            check=check_programme,
        ),
        Param(
            "programme_start",
            "str",
            "2019/20",
            "First financial year of the programme",
            check=check_financial_year,
            period=True,
        ),
        Param(
            "did_indicators",
            "list[str]",
            ["NI192"],
            "Indicators evaluated by difference-in-differences (the first is charted)",
            check=check_indicator_codes,
        ),
        Param(
            "scale_questions",
            "list[str]",
            ["confidence", "understanding"],
            "Participant survey questions on a 1-5 scale (Wilcoxon signed-rank)",
        ),
        Param(
            "binary_questions",
            "list[str]",
            ["uses_performance_data", "has_development_plan"],
            "Participant survey yes/no questions (McNemar)",
        ),
        Param(
            "survey_question_labels",
            "list[str]",
            DEFAULT_QUESTION_LABELS,
            "How each participant survey question is named in the report, one 'question: "
            "wording' item each (a question not listed is named by its column)",
            check=check_question_labels,
        ),
        Param(
            "confidence_level",
            "float",
            0.95,
            "Confidence level of the intervals",
            min=0.5,
            max=0.99,
        ),
        Param(
            "inference",
            "str",
            "randomisation",
            "How the difference-in-differences p-value and interval are computed: randomisation "
            "over councils (holds with few participating councils), wild_bootstrap (wild "
            "cluster restricted bootstrap) or cluster (cluster-robust t)",
            choices=INFERENCE_CHOICES,
        ),
        Param(
            "bootstrap_draws",
            "int",
            9999,
            "Random sets of councils (randomisation) or bootstrap samples (wild_bootstrap); "
            "every set is used when there are fewer",
            min=99,
            max=99999,
        ),
        Param(
            "seed",
            "int",
            20240401,
            "Seed of the random draws: the same seed gives the same p-values and intervals",
            min=0,
            max=2**32 - 1,
        ),
        Param(
            "equivalence_margin",
            "float",
            0.25,
            "Parallel pre-programme trends are evidenced only if every pre-programme "
            "difference's interval lies within this many standard deviations of the indicator "
            "(across councils, last year before the programme)",
            min=0.01,
            max=2.0,
        ),
        Param(
            "evaluation_framework",
            "list[dict]",
            DEFAULT_FRAMEWORK,
            "Evaluation questions, each answered by comparing a computed result (evidence) with "
            "a threshold; the older one-line form 'question | evidence | operator | threshold' "
            "is read too",
            item=FRAMEWORK_ITEM,
        ),
    ],
)


# --------------------------------------------------------------------------- survey report
SURVEY_DESIGN_COLUMNS = ("authority", "survey", "wave", "respondent_id", "weight", "synthetic")


def council_surveys(data: Dataset, council: str) -> list[str]:
    """The council's surveys that have respondents and a codebook."""

    def surveys(table: str) -> set[str]:
        frame = getattr(data, table)
        if "authority" not in frame.columns:
            return set()
        return set(frame.loc[frame["authority"] == council, "survey"])

    return sorted(surveys("survey_responses") & surveys("survey_codebook"))


@_with_dataset
def check_survey_name(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """The council must have respondents of the survey in survey_responses.csv and its
    questions in the codebook."""
    known = council_surveys(data, str(values.get("council")))
    return (
        None
        if value in known
        else (
            f"{short_repr(value)} is not a survey of {shorten(str(values.get('council')))} with "
            f"respondents and a codebook; its surveys: {known}"
        )
    )


def _wave_problem(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    return _no_such_wave(value, values, data)


@_with_dataset
def check_wave_of_survey(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """'latest' (the latest wave at or before the report year) or a wave of the chosen survey."""
    return None if value == LATEST_WAVE else _wave_problem(value, values, data)


@_with_dataset
def check_comparison_wave(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """'' (no comparison), 'previous' (the wave before the one reported) or another wave of the
    chosen survey."""
    if value in ("", PREVIOUS_WAVE):
        return None
    if value == values.get("wave"):
        return (
            f"{short_repr(value)} is the wave reported; choose an earlier wave or '' for no "
            f"comparison"
        )
    return _wave_problem(value, values, data)


@_with_dataset
def check_breakdowns(value: list[str], values: dict[str, Any], data: Dataset) -> str | None:
    """Each breakdown must be a respondent characteristic column of survey_responses.csv."""
    questions = set(data.survey_codebook["question"])
    known = [
        c
        for c in data.survey_responses.columns
        if c not in SURVEY_DESIGN_COLUMNS and c not in questions
    ]
    bad = [c for c in value if c not in known]
    return (
        f"{short_repr(bad)} are not respondent characteristics; choose from {known}"
        if bad
        else None
    )


register_schema(
    "survey_report",
    common_parameters(year_check=check_financial_year)
    + [
        Param(
            "survey",
            "str",
            "residents",
            "Survey in survey_responses.csv and survey_codebook.csv",
            check=check_survey_name,
        ),
        Param(
            "wave",
            "str",
            LATEST_WAVE,
            "Survey wave reported: 'latest' (the latest at or before the report year) or a wave",
            check=check_wave_of_survey,
        ),
        Param(
            "comparison_wave",
            "str",
            PREVIOUS_WAVE,
            "Earlier wave to test change against: 'previous' (the wave before the one "
            "reported), a wave, or '' for none",
            check=check_comparison_wave,
        ),
        Param(
            "breakdowns",
            "list[str]",
            ["age_band", "sex", "ward", "disability"],
            "Respondent characteristics whose groups are compared with the rest",
            check=check_breakdowns,
        ),
        Param(
            "min_base",
            "int",
            50,
            "Smallest base (respondents answering) whose estimate is "
            "published; smaller are shown as [low]",
            min=1,
            max=1000,
        ),
        Param(
            "min_cell",
            "int",
            10,
            "Smallest number of respondents in a cell that may be shown; "
            "smaller are suppressed as [c]",
            min=1,
            max=1000,
        ),
        Param("level", "float", 0.95, "Confidence level of intervals and tests", min=0.8, max=0.99),
        Param("rake", "bool", True, "Re-rake the weights to survey_population_margins.csv"),
    ],
)


# ---------------------------------------------------------------------- action plan review
#: The bundled sample's plan and report date: its registers are as at the end of 2024/25 Q3.
DEFAULT_PLAN = "Corporate plan 2024-27"
DEFAULT_AS_AT = "2024-12-31"


def council_plans(data: Dataset, council: Any) -> list[str]:
    """The plans named in the council's rows of actions.csv, sorted (spaces around ignored)."""
    actions = data.actions
    if actions.empty or not {"authority", "plan"} <= set(actions.columns):
        return []
    mine = actions.loc[actions["authority"].astype(str) == str(council), "plan"]
    return sorted({str(p).strip() for p in mine.dropna() if str(p).strip()})


def plan_rows(data: Dataset, values: dict[str, Any]) -> Any:
    """The council's actions of the plan named in ``values`` (``council`` and ``plan``)."""
    actions = data.actions
    if actions.empty or not {"authority", "plan"} <= set(actions.columns):
        return actions.iloc[0:0]
    mine = actions["authority"].astype(str) == str(values.get("council"))
    named = actions["plan"].astype(str).str.strip() == str(values.get("plan", "")).strip()
    return actions[mine & named]


@_with_dataset
def check_plan(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """The plan must be named in the ``plan`` column of the council's actions in actions.csv."""
    plans = council_plans(data, values.get("council"))
    if value.strip() in plans:
        return None
    council = shorten(str(values.get("council")))
    if not plans:
        return (
            f"{short_repr(value)} is not a plan: actions.csv has no actions of {council}; add "
            "the council's actions (see docs/data-model.md) or choose another council"
        )
    return (
        f"{short_repr(value)} is not a plan of {council} in actions.csv (the 'plan' column); "
        f"plans: {plans}"
    )


def check_iso_date(value: str, values: dict[str, Any]) -> str | None:
    """The value must be a calendar date written ``YYYY-MM-DD``."""
    import datetime as dt
    import re

    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            dt.date.fromisoformat(value.strip())
            return None
        except ValueError:
            pass
    return (
        f"{short_repr(value)} is not a date; write the report date as YYYY-MM-DD, e.g. 2024-12-31"
    )


@_with_dataset
def _check_as_at_against_plan(value: str, values: dict[str, Any], data: Dataset) -> str | None:
    """The report date must be on or after the plan's first start and its latest completion."""
    import pandas as pd  # loaded already with the dataset

    rows = plan_rows(data, values)
    if rows.empty:  # the plan's own check says why
        return None
    first = pd.to_datetime(rows["start"]).min()
    day = pd.Timestamp(value.strip())
    if day < first:
        return (
            f"{short_repr(value)} is before the plan's first start ({first.date().isoformat()}); "
            "there is nothing to review yet: give a date on or after it"
        )
    if "completed" not in rows.columns:
        return None
    done = rows.assign(completed=pd.to_datetime(rows["completed"])).dropna(subset=["completed"])
    if len(done) and done["completed"].max() > day:
        latest = done.loc[done["completed"].idxmax()]
        return (
            f"{short_repr(value)} is before action {latest['action_id']}'s completion on "
            f"{latest['completed'].date().isoformat()}: actions.csv records the plan after that "
            "date, so its statuses cannot be read as at this one; give a date on or after "
            f"{done['completed'].max().date().isoformat()}"
        )
    return None


def check_as_at(value: str, values: dict[str, Any]) -> str | None:
    """A ``YYYY-MM-DD`` date, on or after the plan's first start and its latest completion."""
    return check_iso_date(value, values) or _check_as_at_against_plan(value, values)


register_schema(
    "action_plan_review",
    [
        Param(
            "council",
            "str",
            DEFAULT_COUNCIL,
            "ONS GSS code of the council whose plan is reviewed (e.g. E06000017 for Rutland)",
            check=check_council,
        ),
        Param(
            "plan",
            "str",
            DEFAULT_PLAN,
            "Plan reviewed: a name in the 'plan' column of the council's actions in actions.csv",
            check=check_plan,
        ),
        Param(
            "as_at",
            "str",
            DEFAULT_AS_AT,
            "Report date (YYYY-MM-DD): overdue and due dates are judged on it, not on today",
            check=check_as_at,
        ),
        Param(
            "data_dir",
            "str",
            "",
            "Folder of CSV tables; empty = the bundled sample data",
            check=check_data_dir,
        ),
    ],
)
