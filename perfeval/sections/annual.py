"""The State of the Nation's sections, and the parts the end-of-year review shares with it.

Each section is one function of the prepared report (:func:`prepare`, an :class:`AnnualReport`)
that returns a :class:`~perfeval.present.section.Section`: its sentences, charts (with text
alternative and caption), tables (with row header and note) and lists, in reading order, and the
key figures it computes, offered for the notebook to record::

    report = annual.prepare(data, params)
    s = annual.headlines(report)
    s.record("headline_shares")
    display(s)

Every word about the data (the data-honesty note, captions, sources) comes from the tables
actually loaded (:mod:`perfeval.data.notes`); a section whose data are absent is one plain
sentence saying so, with no chart and no table, and the report goes on. The small pure helpers
(``describe_*``, ``*_table``) compute one sentence or table each. The end-of-year review's own
sections are in :mod:`perfeval.sections.review`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from perfeval.core.formatting import join_words, plural, round_half_up
from perfeval.core.periods import parse_period, period_sort_key
from perfeval.data import notes
from perfeval.data.loader import Dataset, authority_names, council_name
from perfeval.present import charts, narrative
from perfeval.present.html import format_number, parameters_table, symbol_legend
from perfeval.present.section import Section
from perfeval.sections import common, survey
from perfeval.stats import budget as money
from perfeval.stats import indicators as engine
from perfeval.stats import rag as rag_rule
from perfeval.stats import scorecard
from perfeval.stats.comparators import summarise_values
from perfeval.stats.indicator_table import ANNUAL_DESCRIPTION, annual_indicator_table
from perfeval.stats.scorecard import MIN_COMPARATORS, group_members
from perfeval.stats.trend import TREND_METHOD

REAL_OR_SYNTHETIC = {
    True: "Synthetic (generated, not real performance)",
    False: "Real published figures",
}
#: The tables each report draws on beyond the indicator register, in the order its data note
#: and tables table name them (the survey only when a wave is reported).
REPORT_TABLES = {
    "state_of_the_nation": (
        "targets",
        "survey_responses",
        "budget",
        "net_expenditure",
        "population",
        "authorities",
        "comparator_groups",
        "actions",
        "risks",
    ),
    "end_of_year_review": (
        "targets",
        "commentary",
        "actions",
        "authorities",
        "comparator_groups",
    ),
}
#: Caption of the chart of indicators by status against target.
RAG_CAPTION = (
    "Indicators by status against target (✔ Green on or better than target, ▲ Amber "
    "within tolerance, ✖ Red beyond tolerance)."
)
#: Columns of the recorded trend tests.
TREND_TEST_COLUMNS = ["indicator", "n", "s", "p_value", "slope", "judgement"]
TREND_TESTS_DESCRIPTION = (
    "Mann-Kendall trend test and Sen's slope of this council's values of each key indicator"
)


@dataclass(frozen=True, eq=False)
class AnnualReport:
    """What the sections of an annual report share, built once (:func:`prepare`).

    Compared by identity (``eq=False``): its fields are data frames.

    Attributes
    ----------
    data : Dataset
        The loaded data folder.
    params : mapping
        The validated parameters of the run (``council``, ``year``, ``comparator_group``, ...).
    context : mapping
        The report context of :func:`report_context` (council name, data note, sources, ...).
    card : DataFrame
        The council's scorecard: every indicator's latest value, target, RAG, direction, rank.
    shares : DataFrame
        The headline counts of :func:`perfeval.stats.scorecard.headline_shares`: the same
        indicators and years as ``card``, each count with its base.
    method_notes : tuple of str
        The sentences of the report's "Method" list, in the order the report uses the methods.
    commentary : bool
        Whether the tables show the indicator owners' commentary (the end-of-year review, when the
        data folder holds commentary for the council).
    """

    data: Dataset
    params: Mapping[str, Any]
    context: Mapping[str, Any]
    card: pd.DataFrame
    shares: pd.DataFrame
    method_notes: tuple[str, ...]
    commentary: bool = False

    @property
    def council(self) -> str:
        """The council's code."""
        return str(self.params["council"])

    @property
    def year(self) -> str:
        """The financial year reported, e.g. ``2024/25``."""
        return str(self.params["year"])

    @property
    def group(self) -> str:
        """The comparator group's name."""
        return str(self.params["comparator_group"])

    @property
    def council_name(self) -> str:
        """The council's name."""
        return str(self.context["council_name"])


def report_scorecard(data: Dataset, params: Mapping[str, Any]) -> pd.DataFrame:
    """The scorecard of a report's council, year and comparator group, ranked by its quartile
    convention and tie rule (:func:`perfeval.stats.scorecard.build_scorecard`)."""
    return scorecard.build_scorecard(
        data,
        params["council"],
        params["year"],
        params["comparator_group"],
        quartile_method=params.get("quartile_method", "inclusive"),
        ties=params.get("ties", "competition"),
    )


def prepare(data: Dataset, params: Mapping[str, Any]) -> AnnualReport:
    """The State of the Nation's shared state: context, scorecard (with commentary) and shares.

    Parameters
    ----------
    data : Dataset
    params : mapping
        The validated parameters (``council``, ``year``, ``comparator_group``, ...).

    Returns
    -------
    AnnualReport
    """
    council = params["council"]
    context = report_context(data, dict(params))
    card = scorecard.add_commentary(report_scorecard(data, params), data, council)
    return AnnualReport(
        data=data,
        params=params,
        context=context,
        card=card,
        shares=scorecard.headline_shares(card),
        method_notes=tuple(context["method_notes"]),
    )


def sources_table(data: Dataset) -> pd.DataFrame:
    """Indicators grouped by source, saying which are real and which are synthetic."""
    register = data.indicators
    synthetic = notes.synthetic_flags(register)
    rows = (
        register.assign(kind=synthetic.map(REAL_OR_SYNTHETIC))
        .groupby(["kind", "source"], sort=True)["code"]
        .agg(", ".join)
        .reset_index()
    )
    return pd.DataFrame(
        {"Indicators": rows["code"], "Source": rows["source"], "Kind": rows["kind"]}
    )


def group_method(data: Dataset, group: str) -> str:
    """How a comparator group was chosen (its ``method`` column), or "" when not stated."""
    rows = data.comparator_groups[data.comparator_groups["group"] == group]
    stated = [
        m for m in notes.optional_column(rows, "method", "").fillna("").astype(str) if m.strip()
    ]
    return stated[0].strip().rstrip(".") if stated else ""


def tables_used(data: Dataset, report: str, params: dict[str, Any]) -> list[str]:
    """The tables a report draws on with these parameters (:data:`REPORT_TABLES`).

    The resident survey is left out when the council has one but no wave is reported
    (``survey_wave = ""``): the report does not use it. A council with no survey keeps it, so the
    note says that it is absent.
    """
    tables = list(REPORT_TABLES[report])
    survey = notes.council_rows(data.survey_responses, params["council"])
    if not params.get("survey_wave") and not survey.empty:
        return [t for t in tables if t != "survey_responses"]
    return tables


def report_context(
    data: Dataset, params: dict[str, Any], *, report: str = "state_of_the_nation"
) -> dict[str, Any]:
    """Title block, data-honesty note, comparator description, method notes, sources, parameters.

    Parameters
    ----------
    data : Dataset
    params : dict
        The run's parameters (``council``, ``year``, ``comparator_group``, ...).
    report : str
        The report (a key of :data:`REPORT_TABLES`): which tables its note and tables table name.
    """
    council, group = params["council"], params["comparator_group"]
    name = council_name(data, council)
    members = group_members(data, group)
    method = group_method(data, group)
    others = [council_name(data, m) for m in members if m != council]
    synthetic = notes.synthetic_flags(data.indicators)
    uses = tables_used(data, report, params)
    chosen = f" {method}." if method else ""
    return {
        "council_name": name,
        "subtitle": f"{name} ({council}), financial year {params['year']}.",
        "data_note": notes.data_honesty_note(data, council, uses),
        "group_sentence": (
            f"Comparator group '{group}': {len(others)} councils.{chosen} "
            f"Members: {', '.join(others)}."
        ),
        "method_notes": [
            rag_rule.RAG_METHOD,
            engine.DOT_METHOD,
            engine.quartile_method_note(
                params.get("quartile_method", "inclusive"), params.get("ties", "competition")
            ),
            "Latest available: each indicator uses the council's latest annual "
            f"value in or before {params['year']}; its period is shown beside it.",
            "Headlines count the same indicators and years as the table against target, each "
            "indicator once: on target (Green), within tolerance (Amber), beyond tolerance "
            "(Red), no data, no target and not rated (neutral polarity) add up to all of "
            "them; improved, unchanged and worse to those with a previous year's value; the "
            "top two quartiles are counted among those ranked.",
            f"Medians, ranks and quartiles are drawn only from at least "
            f"{MIN_COMPARATORS} councils with a value.",
            f"Comparator group: {method}."
            if method
            else "Comparator group: comparator_groups.csv does not say how it was chosen.",
        ],
        "sources": sources_table(data),
        "source_counts": synthetic.map(REAL_OR_SYNTHETIC).value_counts().sort_index(),
        "tables": notes.tables_table(data, council, uses),
        "tables_caption": (
            f"Tables this report uses: where each came from and what kind of data "
            f"it holds; for a table of councils' own data, Rows counts {name}'s "
            "rows"
        ),
        "parameters": parameters_table(params),
    }


# --------------------------------------------------------------------------- headlines
#: The headline measures the chart of shares shows (the table shows every count).
CHARTED_MEASURES = ("on target", "improved", scorecard.TOP_TWO_QUARTILES)


def counted_scope(card: pd.DataFrame, year: str) -> str:
    """Which values a headline count counts, with how many from each year: ``", each with a
    value for 2024/25"`` or ``", each at its latest value up to 2024/25 (23 for 2024/25 and 2
    for 2022/23)"``."""
    periods = scorecard.periods_counted(card)
    if list(periods.index) in ([year], []):
        return f", each with a value for {year}"
    years = join_words(f"{int(n):,} for {p}" for p, n in periods.items())
    return f", each at its latest value up to {year} ({years})"


def describe_headlines(card: pd.DataFrame, *, council: str, year: str) -> str:
    """The headline sentences of :func:`headline_sentences` as one paragraph."""
    return " ".join(headline_sentences(card, council=council, year=year))


def headline_sentences(card: pd.DataFrame, *, council: str, year: str) -> list[str]:
    """The headline sentences: every state against target out of all the indicators (the
    indicators and years of the table against target), then direction of travel and quartiles,
    each with its base. The words are :data:`perfeval.stats.scorecard.TARGET_WORDS`.

    E.g. "Of Melton's 4 indicators, each at its latest value up to 2024/25 (3 for 2024/25 and 1
    for 2023/24): 0 on target (Green), 4 within tolerance (Amber), 0 beyond tolerance (Red), 0
    no data and 0 no target. Of 4 indicators with a previous year's value to compare, 2
    improved, 1 unchanged and 1 worse. Of 3 indicators ranked among the comparator group, 0 are
    in the top two quartiles."
    """
    target = describe_target(card, council=council, year=year)
    directions = scorecard.direction_counts(card["dot"])
    compared = int(directions["denominator"].iloc[0])
    direction = (
        f"Of {narrative.counted(compared, 'indicators')} with a previous year's value to "
        f"compare, {common.counted_states(directions)}."
        if compared
        else "No indicator has a previous year's value to compare."
    )
    quartile = card["quartile"].dropna()
    top = int((quartile <= 2).sum())
    median = ""
    if "top_two_quartiles" in card.columns:  # the exclusive convention counts the median
        counted = card.loc[card["quartile"].notna(), "top_two_quartiles"]  # council in neither
        top, middle = int(counted.fillna(False).astype(bool).sum()), int(counted.isna().sum())
        median = (
            f" ({narrative.counted(middle, 'indicators')} at the group's median "
            f"{'is' if middle == 1 else 'are'} counted in neither half)"
            if middle
            else ""
        )
    ranked = (
        f"Of {narrative.counted(len(quartile), 'indicators')} ranked among the comparator "
        f"group, {top:,} {'is' if top == 1 else 'are'} in the top two quartiles{median}."
        if len(quartile)
        else f"No indicator is ranked among the comparator group (fewer than "
        f"{MIN_COMPARATORS} councils with a value)."
    )
    return [target, direction, ranked]


def headline_label(measure: str) -> str:
    """A headline measure as its table row names it: the words, and the RAG state for the three
    RAG states (``on target (Green)``), as the sentence says it."""
    if measure == scorecard.TOP_TWO_QUARTILES:
        return "in the top two quartiles"
    state = {w: s for s, w in scorecard.TARGET_WORDS.items()}.get(measure)
    return (
        f"{measure} ({state})"
        if state in (rag_rule.GREEN, rag_rule.AMBER, rag_rule.RED)
        else measure
    )


def headline_table(shares: pd.DataFrame) -> pd.DataFrame:
    """The headline counts as shown: measure, indicators, out of (the base), share."""
    return pd.DataFrame(
        {
            "Measure": [headline_label(m) for m in shares["measure"]],
            "Indicators": shares["numerator"].astype(int).to_numpy(),
            "Out of": shares["denominator"].astype(int).to_numpy(),
            "Share": [narrative.percent(s) for s in shares["share"]],
        }
    )


def headlines(report: AnnualReport) -> Section:
    """Headlines: every indicator's state against target, direction of travel and quartile, each
    count with its base, for the indicators and years of the table against target.

    Offers ``headline_shares``.
    """
    shares, name, year = report.shares, report.council_name, report.year
    sentence = describe_headlines(report.card, council=name, year=year)
    charted = shares[shares["measure"].isin(CHARTED_MEASURES)].reset_index(drop=True)
    return (
        Section()
        .text(sentence)
        .table(
            headline_table(shares),
            row_header="Measure",
            caption=f"Headline measures, {name}: each indicator's latest value up to {year}",
        )
        .figure(
            charts.plot_share_bars(charted, title=f"Headline measures, latest values to {year}"),
            alt=sentence,
            caption=f"Share of indicators on target, improved on the previous year and in the "
            f"top two quartiles, each indicator's latest value up to {year}.",
        )
        .offer(
            "headline_shares",
            shares,
            f"Headline counts of every PI's latest value up to {year}, each with its base",
        )
    )


# --------------------------------------------------------------------------- against target
def rag_note() -> str:
    """The note under a table of indicators against target: the RAG rule and the symbols."""
    return f"{rag_rule.RAG_METHOD} {symbol_legend()}; [p] provisional, [e] estimated, [r] revised."


def rag_counts(card: pd.DataFrame) -> pd.Series:
    """How many indicators are in each RAG state (every state, in :data:`RAG_STATES` order)."""
    return scorecard.count_by_state(card, "rag", list(rag_rule.RAG_STATES))


def rag_counts_table(counts: pd.Series) -> pd.DataFrame:
    """The RAG counts as recorded: columns ``rag`` and ``indicators``."""
    return counts.rename_axis("rag").reset_index(name="indicators")


def describe_target(card: pd.DataFrame, *, council: str, year: str) -> str:
    """The count against target of :func:`describe_headlines` alone (the RAG section's
    sentence), so the two sections say the same counts in the same words."""
    return common.describe_against_target(
        scorecard.target_counts(card["rag"]), owner=f"{council}'s ", scope=counted_scope(card, year)
    )


def performance(report: AnnualReport) -> Section:
    """Performance against target: indicators by RAG status (chart) and every indicator's latest
    value against its target with direction of travel (table). Offers ``rag_counts`` and
    ``indicator_table``."""
    counts, year = rag_counts(report.card), report.year
    sentence = describe_target(report.card, council=report.council_name, year=year)
    return (
        Section()
        .text(sentence)
        .figure(
            charts.plot_category_counts(
                counts, title=f"Status against target, latest year to {year}"
            ),
            alt=sentence,
            caption=RAG_CAPTION,
        )
        .table(
            scorecard.performance_table(report.card),
            row_header="Indicator",
            caption=f"Every indicator's latest value up to {year} against its target, with "
            "direction of travel since the previous year",
            note=rag_note(),
        )
        .offer("rag_counts", rag_counts_table(counts))
        .offer("indicator_table", annual_indicator_table(report.card), ANNUAL_DESCRIPTION)
    )


# --------------------------------------------------------------------------- benchmarking
def describe_unranked(card: pd.DataFrame) -> str:
    """Sentence on the indicators with too few councils to rank ("" when every one is ranked).

    Neutral indicators (no better direction) and indicators without a value are not counted:
    they have no rank whatever the group.
    """
    valued = card[card["value"].notna() & card["polarity"].ne("neutral")]
    few = valued[valued["n_ranked"].fillna(0) < MIN_COMPARATORS]
    if valued.empty or len(few) == len(valued):
        return (
            f"Fewer than {MIN_COMPARATORS} councils of the comparator group have a value for "
            "any indicator, so no rank, quartile or median is shown."
        )
    if few.empty:
        return ""
    return (
        f"{len(few)} of {len(valued)} indicators are not ranked because fewer than "
        f"{MIN_COMPARATORS} councils of the group have a value for the same year: "
        f"{'; '.join(few['title'])}."
    )


def top_two_quartiles_share(shares: pd.DataFrame) -> float | None:
    """The share of indicators in the top two quartiles, or None when the measure is absent."""
    measures = shares.set_index("measure")["share"]
    return (
        measures.loc["in top two quartiles"] if "in top two quartiles" in measures.index else None
    )


def benchmarking(report: AnnualReport) -> Section:
    """Position among the comparator group: the group, percentile ranks (chart), ranks and
    quartiles (table); a sentence says why some or all indicators are not ranked.

    Offers ``percentile_positions`` (with its description) and ``share_top_two_quartiles``.
    """
    card, group = report.card, report.group
    positions = scorecard.home_positions(card)
    table = scorecard.benchmark_table(card)
    figure = (
        charts.plot_percentile_positions(
            positions, title="Position among comparator councils (100 = best)"
        )
        if not positions.empty
        else None
    )
    return (
        Section()
        .text(report.context["group_sentence"])
        .text(describe_unranked(card))
        .figure(
            figure,
            alt=narrative.describe_positions(positions),
            caption=f"Percentile rank of {report.council_name} among {group} for each "
            "indicator (latest year).",
        )
        .table(
            table if not table.empty else None,
            row_header="Indicator",
            caption=f"Rank and quartile among the comparator group ({group})",
            note=engine.quartile_method_note(
                report.params.get("quartile_method", "inclusive"),
                report.params.get("ties", "competition"),
            ),
        )
        .offer(
            "percentile_positions",
            positions,
            "Percentile rank among the comparator group (100 = best)",
        )
        .offer("share_top_two_quartiles", top_two_quartiles_share(report.shares))
    )


# --------------------------------------------------------------------------- resident views
def resident_views(report: AnnualReport) -> Section:
    """Resident views from the council's own survey: sentence, chart and table, or one sentence
    when no wave is reported (:func:`perfeval.sections.survey.resident_views`). Offers
    ``resident_views``."""
    p = report.params
    views = survey.resident_views(
        report.data,
        council=report.council,
        survey=p["survey"],
        wave=p["survey_wave"],
        previous_wave=p["previous_wave"],
        year=report.year,
    )
    return (
        Section()
        .text(views["sentence"])
        .figure(views["figure"], alt=views["alt"], caption=views["caption"])
        .table(
            views["display"], caption=views["caption"], row_header="Question", note=views["note"]
        )
        .offer("resident_views", views["table"])
    )


# --------------------------------------------------------------------------- trends
def describe_missing_medians(trends: pd.DataFrame) -> str:
    """Sentence naming the years whose comparator median is not drawn ("" when none is missing)."""
    missing = trends[trends["median"].isna()]
    if missing.empty:
        return ""
    where = "; ".join(
        f"{label} ({', '.join(group['period'])})"
        for label, group in missing.groupby("label", sort=False)
    )
    return (
        f"No comparator median is drawn where fewer than {MIN_COMPARATORS} councils of the "
        f"group have a value: {where}."
    )


def describe_no_trends(indicators: Sequence[str], *, name: str, year: str, years: int) -> str:
    """Sentence for a trends section where no key indicator has a value in the years shown."""
    return (
        f"None of the key indicators ({', '.join(indicators)}) has a value for {name} or its "
        f"comparator group in the {years} years to {year}, so there are no trends to show."
    )


def describe_trend_gaps(trends: pd.DataFrame, indicators: Sequence[str]) -> str:
    """Sentences on what the trend charts do not show: missing medians (by year) and key
    indicators without a value in the years shown ("" when nothing is missing)."""
    silent = [code for code in indicators if code not in set(trends["indicator"])]
    missing_values = f"No values in the years shown for: {', '.join(silent)}." if silent else ""
    return f"{describe_missing_medians(trends)} {missing_values}".strip()


def describe_trend_lines(trends: pd.DataFrame, register: pd.DataFrame) -> str:
    """One sentence per key indicator on its values and the comparator median, each with the
    indicator's decimals (the charts' text alternative, before the England sentences)."""
    decimals = register.set_index("code")["decimals"]
    return " ".join(
        narrative.describe_trend(
            label,
            "",
            list(g["period"]),
            list(g["home"]),
            list(g["median"]),
            decimals=int(decimals.get(g["indicator"].iloc[0], 1)),
        )
        for label, g in trends.groupby("label", sort=False)
    )


def describe_no_england(trends: pd.DataFrame, england: str) -> str:
    """Sentence when no key indicator has an England median ("" when one has): the data does
    not cover England's authorities of the council's type."""
    if trends["england_median"].notna().any() or england == "England":
        return ""
    kind = england.removeprefix("England ")
    return (
        f"No {england} median is shown: in no year does the data hold a key indicator's values "
        f"for at least half of England's current {kind} authorities and at least "
        f"{MIN_COMPARATORS} of them."
    )


def england_words(data: Dataset, council: str) -> str:
    """``England unitary``, ``England district``, ...: whom the England figures cover (the
    authorities of the council's type), or ``England`` when its type is not known."""
    kind = scorecard.authority_type(data, council)
    return f"England {scorecard.AUTHORITY_TYPE_WORDS.get(kind, kind)}" if kind else "England"


def compared_word(value: float, median: float, decimals: int) -> str:
    """``above``, ``below`` or ``level with`` the median, as the numbers are shown (rounded)."""
    shown = round_half_up(value, decimals) - round_half_up(median, decimals)
    return "above" if shown > 0 else "below" if shown < 0 else "level with"


def describe_england(
    trends: pd.DataFrame, register: pd.DataFrame, *, name: str, england: str
) -> str:
    """One sentence per key indicator with an England median: the council's latest value with
    one against the England median and interquartile range, and how many councils they are
    drawn from ("" when the data covers no key indicator for England).

    E.g. "Rutland's 2023/24 value of Household waste recycled (%) was 47.1%, above the England
    unitary median of 40.2% (interquartile range 35.0% to 45.1%, 59 councils)."
    """
    both = trends[trends["home"].notna() & trends["england_median"].notna()]
    info = register.set_index("code")
    sentences = []
    for code, rows in both.groupby("indicator", sort=False):
        row = rows.iloc[-1]
        decimals, unit = int(info.loc[code, "decimals"]), str(info.loc[code, "unit"])

        def shown(v: float, d: int = decimals, u: str = unit) -> str:
            return format_number(float(v), d, u)

        sentences.append(
            f"{name}'s {row['period']} value of {info.loc[code, 'title']} was "
            f"{shown(row['home'])}, {compared_word(row['home'], row['england_median'], decimals)} "
            f"the {england} median of {shown(row['england_median'])} (interquartile range "
            f"{shown(row['england_lower_quartile'])} to {shown(row['england_upper_quartile'])}, "
            f"{plural(int(row['n_england']), 'council')})."
        )
    return " ".join(sentences)


def trends_section(
    data: Dataset, *, council: str, group: str, indicators: Sequence[str], year: str, years: int
) -> Section:
    """Key indicators over time against the comparator median and, where the data covers every
    authority of the council's type, the England median and interquartile range (charts, their
    values and a sentence), and the trend tests of the council's own values (sentence, table).

    A key indicator without a value in the years shown is named in the caption; when none has
    one, the section is one sentence. Offers ``key_indicator_trends`` and
    ``key_indicator_trend_tests``.
    """
    trends = scorecard.comparator_trends(data, council, group, indicators, year, years)
    section = Section().offer("key_indicator_trends", trends)
    name = council_name(data, council)
    if trends.empty:
        return section.text(
            describe_no_trends(indicators, name=name, year=year, years=years)
        ).offer(
            "key_indicator_trend_tests",
            pd.DataFrame(columns=TREND_TEST_COLUMNS),
            TREND_TESTS_DESCRIPTION,
        )
    gaps = describe_trend_gaps(trends, indicators)
    tests = scorecard.trend_tests(data, trends)
    england = england_words(data, council)
    register = data.indicators
    units = {f"{t} ({u})": str(u) for t, u in zip(register["title"], register["unit"])}
    has_england = bool(trends["england_median"].notna().any())
    drawn = (
        f"; the {england} median (dotted line, triangles) and interquartile range (shaded "
        f"band), where the data holds values for at least half of England's current "
        f"{england.removeprefix('England ')} authorities"
        if has_england
        else ""
    )
    national = describe_england(trends, register, name=name, england=england) or (
        describe_no_england(trends, england)
    )
    return (
        section.text(national)
        .figure(
            charts.plot_small_multiples(
                trends,
                title="Key indicators: this council against the comparator median"
                + (f" and the {england} median" if has_england else ""),
                units=units,
                england=england,
            ),
            alt=" ".join(t for t in (describe_trend_lines(trends, register), national, gaps) if t),
            caption=f"Key indicators over the last {years} years: this council (solid "
            f"line, circles) and the comparator median (dashed line, squares){drawn}. A year "
            f"without a value is a gap in the line. {gaps}".strip(),
        )
        .table(
            scorecard.trend_table(trends, register),
            caption="Values behind the trend charts",
            row_header="Indicator",
        )
        .text(narrative.describe_trend_tests(tests))
        .table(
            scorecard.trend_tests_table(tests),
            row_header="Indicator",
            note=TREND_METHOD,
            caption="Has each key indicator really risen or fallen? Trend tests of this "
            "council's values",
        )
        .offer("key_indicator_trend_tests", tests[TREND_TEST_COLUMNS], TREND_TESTS_DESCRIPTION)
    )


def trends(report: AnnualReport) -> Section:
    """National and local trends of the report's key indicators (:func:`trends_section`)."""
    p = report.params
    return trends_section(
        report.data,
        council=report.council,
        group=report.group,
        indicators=p["key_indicators"],
        year=report.year,
        years=p["trend_years"],
    )


# --------------------------------------------------------------------------- issues
def issue_items(issues: pd.DataFrame) -> list[str]:
    """One line per listed indicator: title, period and the reasons it is listed."""
    return [
        f"{t} ({p}): {r}." for t, p, r in zip(issues["title"], issues["period"], issues["reasons"])
    ]


def issues(report: AnnualReport) -> Section:
    """Issues to consider for next year's priorities: indicators red against target, worse than
    last year or in the bottom quartile (why, as a chart; which, as a list and a table).
    Offers ``issues_to_consider``."""
    listed = scorecard.issues_to_consider(report.card)
    reasons = scorecard.count_reasons(listed)
    return (
        Section()
        .text(narrative.describe_issue_count(len(listed)))
        .figure(
            charts.plot_category_counts(
                reasons, title="Why indicators are listed (an indicator can have several reasons)"
            ),
            alt=narrative.describe_counts(reasons, what="reasons across the listed indicators"),
            caption="Number of listed indicators that are red against target, worse "
            "than last year, or in the bottom quartile.",
        )
        .bullets(issue_items(listed), heading="Indicators to consider, most concerns first")
        .table(
            scorecard.issues_table(listed),
            row_header="Indicator",
            caption="Indicators that are red, declining or in the bottom quartile",
        )
        .offer("issues_to_consider", listed[["indicator", "period", "reasons"]])
    )


# --------------------------------------------------------------------------- money
def describe_no_spend(data: Dataset) -> str:
    """Sentence for a spend section with no spend figures for the group, naming the line of
    net_expenditure.csv the report needs (:data:`perfeval.stats.budget.SPEND_LINE`)."""
    return (
        f"No {money.SPEND_TITLE.lower()} figures (the {money.SPEND_LINE} line of "
        f"net_expenditure.csv, or the older {money.NET_SPEND}) are in "
        f"{notes.folder_words(data)} for the councils of the comparator group, so this "
        "report has no spend per head."
    )


def spend_display_table(
    spend: pd.DataFrame, council: str, measure: money.SpendMeasure = money.SPEND
) -> pd.DataFrame:
    """The spend per head comparison as shown: council (this one marked), the measure's
    spend (£000), population and spend per head (£)."""
    return pd.DataFrame(
        {
            "Council": [
                f"{n} (this council)" if c == council else n
                for c, n in zip(spend["authority"], spend["name"])
            ],
            f"{measure.title} (£000)": [
                format_number(v, 0) for v in spend["net_current_expenditure"]
            ],
            "Population": [format_number(v, 0) for v in spend["population"]],
            "Spend per head (£)": [format_number(v, 0, "£") for v in spend["spend_per_head"]],
        }
    )


SPEND_COLUMNS = ["authority", "spend_per_head", "rank", "difference_from_median"]


#: Numbers of years in words, as a sentence says them ("seven years before this report").
YEARS_IN_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def years_apart(n: int) -> str:
    """``one year``, ``seven years``, ``12 years``: a gap in years as a sentence says it."""
    count = YEARS_IN_WORDS[n] if 0 <= n < len(YEARS_IN_WORDS) else f"{n:,}"
    return f"{count} year{'' if n == 1 else 's'}"


def describe_spend_year(spend_year: str, year: str, population_years: Sequence[str]) -> str:
    """Which year the spend figures are for and how far that is from the report year, with the
    population year behind "per head".

    E.g. "These figures are for 2017/18, the latest year in the data, seven years before this
    report (2024/25); spend per head uses population for 2020/21."
    """
    gap = parse_period(year).fy - parse_period(spend_year).fy
    when = (
        f"{spend_year}, the report year"
        if gap == 0
        else f"{spend_year}, the latest year in the data, {years_apart(gap)} before this "
        f"report ({year})"
    )
    used = join_words(population_years) or "no year"
    return f"These figures are for {when}; spend per head uses population for {used}."


def spend_left_out(data: Dataset, group: str, spend: pd.DataFrame, spend_year: str) -> str:
    """Sentence naming the councils of the group left out of the spend comparison, with the
    reason ("" when none is): no figures for that year (a council created since, or one whose
    return is missing). A council with figures but no population stops the report earlier
    (:func:`perfeval.stats.budget.compute_spend_per_head`), so it is never left out silently."""
    shown = set(spend.dropna(subset=["spend_per_head"])["authority"])
    names = authority_names(data)
    missing = [names.get(m, m) for m in group_members(data, group) if m not in shown]
    if not missing:
        return ""
    return f"Left out of the comparison: {join_words(missing)} (no figures for {spend_year})."


def spend_section(data: Dataset, *, council: str, group: str, year: str) -> Section:
    """Spend per head of the council against its comparator group: sentence, chart, table.

    Spend is the folder's measure (:func:`perfeval.stats.budget.choose_spend_measure`: total
    service expenditure, or net current expenditure for a folder with only that line, which the
    sentence then says).

    The figures are the latest year with figures for the group at or before the report year;
    the sentence says which year that is and how far from the report year, the population year
    behind "per head", and which councils of the group are left out and why. Offers
    ``net_spend_per_head`` (empty when the folder has no figures for the group; the sentence
    then says so).
    """
    measure = money.choose_spend_measure(data.net_expenditure)
    spend, spend_year = spend_per_head_comparison(data, council, group, measure.line, year=year)
    if spend_year is None:
        return (
            Section()
            .text(describe_no_spend(data))
            .offer("net_spend_per_head", pd.DataFrame(columns=SPEND_COLUMNS))
        )
    bars = pd.DataFrame(
        {"code": spend["authority"], "name": spend["name"], "value": spend["spend_per_head"]}
    )
    population_years = sorted(
        set(spend["population_year"].dropna().astype(str)), key=period_sort_key
    )
    sentence = " ".join(
        part
        for part in (
            narrative.describe_comparison(
                f"{measure.title} per head",
                "£",
                spend_year,
                bars,
                council,
                decimals=0,
                higher_is="highest",
            ),
            describe_spend_year(spend_year, year, population_years),
            spend_left_out(data, group, spend, spend_year),
            measure.fallback_note(),
        )
        if part
    )
    caption = spend_caption(data, spend, spend_year, measure)
    return (
        Section()
        .text(sentence)
        .figure(
            charts.plot_comparator_bars(
                bars,
                home=council,
                title=f"{measure.title} per head, {spend_year}",
                unit="£",
                value_label=f"{measure.title} per head",
            ),
            alt=sentence,
            caption=caption,
        )
        .table(spend_display_table(spend, council, measure), caption=caption, row_header="Council")
        .offer("net_spend_per_head", spend[SPEND_COLUMNS])
    )


def year_budget_monitoring(own: pd.DataFrame, year: str) -> pd.DataFrame:
    """A council's budget monitoring at the year's fourth quarter, from its own budget rows
    (empty when it has none in that year)."""
    in_year = [parse_period(p).fy == parse_period(year).fy for p in own["period"]]
    if not any(in_year):
        return pd.DataFrame()
    return money.monitor_budget(own, f"{year} Q4", budget_basis="annual")


def describe_no_budget(data: Dataset, council: str) -> str:
    """Sentence for a report whose data folder has no budget rows for the council at all."""
    return (
        f"No budget monitoring figures are in {notes.folder_words(data)} for "
        f"{council_name(data, council)}, so this report has no budget against forecast "
        "outturn."
    )


def budget_outturn(data: Dataset, *, council: str, year: str) -> Section:
    """The year's budget against forecast outturn by service at Q4: sentence, chart and table
    (one sentence when the folder has none). Offers ``budget_outturn``."""
    own = notes.council_rows(data.budget, council)
    parts = budget_section(
        year_budget_monitoring(own, year),
        f"{year} Q4",
        synthetic=notes.synthetic_label(data, own),
        absent=None if not own.empty else describe_no_budget(data, council),
    )
    return (
        Section()
        .text(parts["budget_sentence"])
        .figure(
            parts["budget_figure"], alt=parts["budget_sentence"], caption=parts["budget_caption"]
        )
        .table(
            parts["budget_display"],
            caption=parts["budget_caption"],
            row_header="Service",
            note=parts["budget_note"],
        )
        .offer("budget_outturn", parts["budget_table"])
    )


def money_summary(report: AnnualReport) -> Section:
    """Money: net spend per head against the comparator group, then the year's budget against
    forecast outturn (:func:`spend_section`, :func:`budget_outturn`); either part may be one
    sentence saying its data are absent. Offers ``net_spend_per_head`` and ``budget_outturn``."""
    return spend_section(
        report.data, council=report.council, group=report.group, year=report.year
    ).extend(budget_outturn(report.data, council=report.council, year=report.year))


def spend_per_head_comparison(
    data: Dataset,
    council: str,
    group: str,
    service: str = money.SPEND_LINE,
    *,
    year: str | None = None,
) -> tuple[pd.DataFrame, str | None]:
    """Net spend per head of each group member in the latest year with data (at or before
    ``year`` when given: a 2023/24 report never quotes 2024/25 spend), and that year.

    A council with no figure that year (e.g. one created after it) is left out of the comparison
    rather than stopping the report; the sentence then says it has no value. With fewer than
    :data:`~perfeval.stats.scorecard.MIN_COMPARATORS` councils with a value, the median and each
    council's difference from it are left blank. No rows for the group at all give an empty
    table and ``None`` for the year.
    """
    net = data.net_expenditure
    members = group_members(data, group)
    rows = net[
        (net["service"] == service)
        & net["authority"].isin(members)
        & net["net_current_expenditure"].notna()
    ]
    if year is not None:
        rows = rows[[parse_period(p).fy <= parse_period(year).fy for p in rows["period"]]]
    if rows.empty:
        return pd.DataFrame(), None
    latest = max(rows["period"], key=period_sort_key)
    per_head = money.compute_spend_per_head(rows[rows["period"] == latest], data.population)
    has_value = council in set(per_head.dropna(subset=["spend_per_head"])["authority"])
    compared = money.compare_with_group(per_head, members, home=council if has_value else None)
    if pd.isna(summarise_values(compared["spend_per_head"])["median"]):  # fewer than 3 councils
        compared = compared.assign(
            **{
                c: float("nan")
                for c in ("group_median", "difference_from_median", "difference_from_median_pct")
            }
        )
    extra = per_head.set_index("authority")[
        ["net_current_expenditure", "population", "population_year"]
    ]
    compared = compared.join(extra, on="authority")
    compared = compared.assign(name=compared["authority"].map(authority_names(data)))
    return compared, latest


def spend_caption(
    data: Dataset, spend: pd.DataFrame, year: str, measure: money.SpendMeasure = money.SPEND
) -> str:
    """Caption of the spend per head comparison: the measure, year, population year and
    sources, as used."""
    years = sorted(set(spend["population_year"].dropna().astype(str)), key=period_sort_key)
    used = data.population[
        data.population["authority"].isin(spend["authority"]) & data.population["year"].isin(years)
    ]
    return (
        f"{measure.title} per head, {year} (the latest year with figures for the group in "
        f"{notes.folder_words(data)}; population {', '.join(years)}). Spend is "
        f"{measure.words}, £000 cash, divided by population. Sources: "
        f"{notes.table_source(data, 'net_expenditure')}; "
        f"{notes.table_source(data, 'population', used)}."
    )


def budget_display_columns(monitoring: pd.DataFrame) -> dict[str, list[str]]:
    """Budget, forecast outturn and variance (£000) and variance (%) as display text.

    Parameters
    ----------
    monitoring : DataFrame
        With ``annual_budget``, ``forecast_outturn``, ``forecast_variance`` (£) and
        ``forecast_variance_pct``, as :func:`perfeval.stats.budget.monitor_budget` returns them.

    Returns
    -------
    dict
        Column heading -> formatted cells, blank where a value is missing.
    """

    def text(column: str, scale: float, decimals: int, unit: str = "") -> list[str]:
        return [
            format_number(v / scale, decimals, unit) if pd.notna(v) else ""
            for v in monitoring[column]
        ]

    return {
        "Budget (£000)": text("annual_budget", 1e3, 0),
        "Forecast outturn (£000)": text("forecast_outturn", 1e3, 0),
        "Variance (£000)": text("forecast_variance", 1e3, 0),
        "Variance (%)": text("forecast_variance_pct", 1, 1, "%"),
    }


def variance_direction(variance: float) -> str:
    """``overspend`` for a forecast above budget, ``underspend`` below it, ``on budget`` at it."""
    return "overspend" if variance > 0 else "underspend" if variance < 0 else "on budget"


def describe_largest_variance(monitoring: pd.DataFrame) -> str:
    """Sentence naming the service whose forecast is furthest from its budget, by size (an
    underspend of £345k is larger than an overspend of £25k), and whether it is an over- or
    underspend; ``""`` when every service is on budget or no variance is known.

    Parameters
    ----------
    monitoring : DataFrame
        From :func:`perfeval.stats.budget.monitor_budget` (``service``, ``forecast_variance``).

    Returns
    -------
    str
        E.g. ``" The largest variance is in Education services: a forecast underspend of
        £345k."`` (with a leading space, to follow the totals sentence).
    """
    variances = monitoring["forecast_variance"].astype(float)
    if variances.isna().all() or (variances.fillna(0) == 0).all():
        return ""
    largest = monitoring.loc[variances.abs().idxmax()]
    amount = float(largest["forecast_variance"])
    return (
        f" The largest variance is in {largest['service']}: a forecast "
        f"{variance_direction(amount)} of {format_number(abs(amount) / 1e3, 0, '£')}k."
    )


def budget_section(
    monitoring: pd.DataFrame, as_at: str, *, synthetic: str = "", absent: str | None = None
) -> dict[str, Any]:
    """Budget against forecast outturn by service at a quarter: table, chart and sentence.

    Parameters
    ----------
    monitoring : DataFrame
        From :func:`perfeval.stats.budget.monitor_budget`; empty when there is nothing to show.
    as_at : str
        The quarter, e.g. ``2024/25 Q4``.
    synthetic : str
        What kind of data the budget rows are, for the caption (e.g. ``"synthetic sample
        data"``, from :func:`perfeval.data.notes.synthetic_label`); ``""`` says nothing.
    absent : str, optional
        The sentence when the data folder has no budget rows for the council at all (else an
        empty ``monitoring`` means none for the quarter's year).
    """
    if monitoring.empty:  # no chart to draw: figure None shows nothing (tables.figure_html)
        return {
            "budget_table": pd.DataFrame(),
            "budget_display": None,
            "budget_sentence": absent or f"No budget monitoring data for {as_at}.",
            "budget_caption": f"Budget and forecast outturn by service as at {as_at}",
            "budget_note": "",
            "budget_figure": None,
        }
    total_budget = float(monitoring["annual_budget"].sum())
    total_forecast = float(monitoring["forecast_outturn"].sum())
    variance = total_forecast - total_budget
    share = format_number(abs(variance) / total_budget * 100, 1, "%")
    sentence = (
        f"At {as_at} the forecast outturn is "
        f"{format_number(total_forecast / 1e6, 2, '£')}m against a budget of "
        f"{format_number(total_budget / 1e6, 2, '£')}m, "
        + (
            "on budget."
            if variance == 0
            else f"a forecast {variance_direction(variance)} of "
            f"{format_number(abs(variance) / 1e6, 2, '£')}m ({share} of the budget)."
        )
        + describe_largest_variance(monitoring)
    )
    display = pd.DataFrame(
        {
            "Service": monitoring["service"].to_numpy(),
            **budget_display_columns(monitoring),
            "Status": [
                f"{d}: {r}"
                for d, r in zip(monitoring["forecast_direction"], monitoring["forecast_rag"])
            ],
        }
    )
    chart_data = monitoring.assign(
        **{
            "Budget (£m)": monitoring["annual_budget"] / 1e6,
            "Forecast outturn (£m)": monitoring["forecast_outturn"] / 1e6,
        }
    )
    return {
        "budget_table": monitoring[
            ["service", "annual_budget", "forecast_outturn", "forecast_variance", "forecast_rag"]
        ],
        "budget_display": display,
        "budget_sentence": sentence,
        "budget_caption": (
            f"Budget and forecast outturn by service as at {as_at}"
            + (f" ({synthetic})." if synthetic else ".")
        ),
        "budget_note": money.describe_variance_rule(),
        "budget_figure": charts.plot_grouped_bars(
            chart_data,
            category="service",
            series=["Budget (£m)", "Forecast outturn (£m)"],
            title=f"Budget and forecast outturn by service, {as_at}",
            ylabel="£ million",
        ),
    }
