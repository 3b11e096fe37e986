"""What the portal's pages show: the council's scorecard and each PI's whole story, as frames.

Nothing here is computed twice: the scorecard is :func:`perfeval.stats.scorecard.build_scorecard`
(the end-of-year review's), the SPC variation and assurance are the quarterly report's
(:func:`perfeval.sections.monitoring.spc_overview` for quarterly and monthly PIs, the same
:func:`perfeval.stats.spc.xmr` on the annual values for annual ones), the priority is the
performance clinic group (:func:`perfeval.stats.actions.clinic_list`), the comparator position
over time is :func:`perfeval.stats.indicators.benchmark` for every year, and the funnel plot is
:func:`perfeval.stats.funnel.assess_units`. This module only selects and joins; every frame it
returns is what a page shows, so its hash is the page's data input (:mod:`perfeval.site.store`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from perfeval.core.periods import parse_period, period_sort_key
from perfeval.data.loader import Dataset, council_name
from perfeval.data.notes import council_rows, optional_column, synthetic_flags, table_origin
from perfeval.sections import monitoring
from perfeval.sections.benchmark import value_scale
from perfeval.stats import actions as act
from perfeval.stats import funnel, scorecard, spc
from perfeval.stats import indicators as engine
from perfeval.stats import risks as risk_rules

__all__ = [
    "SiteContent",
    "PiStory",
    "NOT_LISTED",
    "PRIORITIES",
    "build_content",
    "site_scorecard",
    "slug",
]

#: The priority of a PI not on the performance clinic list.
NOT_LISTED = "not on the clinic list"
#: Priorities in the order the filters list them: the clinic groups, then the rest.
PRIORITIES = (*act.CLINIC_GROUPS, NOT_LISTED)
#: Value statuses that are a data-quality flag (besides a missing value).
FLAGGED_STATUSES = ("provisional", "estimated", "revised")


def slug(text: str) -> str:
    """``text`` as a file name: lower case, letters and digits, words joined by ``-``.

    >>> slug("Waste and environment")
    'waste-and-environment'
    """
    words = "".join(c if c.isalnum() else " " for c in str(text).lower()).split()
    return "-".join(words) or "none"


@dataclass(frozen=True)
class PiStory:
    """Everything a PI's page shows.

    Attributes
    ----------
    row : pandas.Series
        The PI's row of the site scorecard (:func:`site_scorecard`).
    register : pandas.Series
        The PI's row of the indicator register (definition, owner, source, frequency).
    history : DataFrame
        Every value of the council for the PI, in time order: ``period``, ``value``,
        ``value_symbol``, ``status``, ``note``, ``target``.
    spc : DataFrame or None
        The :func:`perfeval.stats.spc.xmr` result the variation and assurance come from.
    positions : DataFrame
        Comparator position by year: ``period``, ``value``, ``rank``, ``n_ranked``,
        ``quartile``, ``comparator_median``.
    commentary : DataFrame
        ``period``, ``commentary``.
    quality : DataFrame
        The history rows with a data-quality flag, with ``issue``.
    actions, risks : DataFrame or None
        Linked actions and risks; None when the data folder has no such table for the council.
    funnel : DataFrame or None
        :func:`perfeval.stats.funnel.assess_units` for the latest year with numerators and
        denominators, one row per comparator council; None without them.
    """

    row: pd.Series
    register: pd.Series
    history: pd.DataFrame
    spc: pd.DataFrame | None
    positions: pd.DataFrame
    commentary: pd.DataFrame
    quality: pd.DataFrame
    actions: pd.DataFrame | None
    risks: pd.DataFrame | None
    funnel: pd.DataFrame | None


@dataclass(frozen=True)
class SiteContent:
    """The portal's content for one council and year.

    ``card`` is :func:`site_scorecard`; ``stories`` one :class:`PiStory` per PI, by code;
    ``budget`` budget against forecast outturn by service at the latest quarter of the year
    with figures (None when the folder has none for the council); ``budget_as_at`` that
    quarter; ``actions``/``risks`` the council's registers (None when absent);
    ``shares`` :func:`perfeval.stats.scorecard.headline_shares`.
    """

    council: str
    council_name: str
    year: str
    group: str
    card: pd.DataFrame
    shares: pd.DataFrame
    stories: dict[str, PiStory]
    budget: pd.DataFrame | None
    budget_as_at: str | None
    actions: pd.DataFrame | None
    risks: pd.DataFrame | None
    synthetic_tables: tuple[str, ...]


def _spc_words(result: pd.DataFrame | None) -> tuple[str, str]:
    if result is None:
        return "Not charted (no values)", monitoring.ASSURANCE_WORDS[None]
    return (
        monitoring.VARIATION_WORDS[spc.classify_variation(result)],
        monitoring.ASSURANCE_WORDS[spc.classify_assurance(result)],
    )


def annual_spc(history: pd.DataFrame, polarity: str, target: float) -> pd.DataFrame | None:
    """XmR chart of a PI's annual values (Making Data Count, :func:`perfeval.stats.spc.xmr`),
    judged against the latest target; None when the PI has no value."""
    series = history.set_index("period")["value"].astype(float)
    if not series.notna().any():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", spc.ProvisionalLimitsWarning)
        return spc.xmr(
            series,
            improvement=monitoring.IMPROVEMENT[polarity],
            target=None if pd.isna(target) else float(target),
        )


def spc_results(data: Dataset, card: pd.DataFrame, council: str, year: str) -> dict:
    """Each PI's XmR result: the quarterly report's (to the end of Q4 of ``year``) for quarterly
    and monthly PIs, the annual values' for the others (None for a PI with no value)."""
    position = monitoring.assess_in_year(data, council, year, 4)
    in_year = [c for c in card["indicator"] if c in set(position.get("indicator", []))]
    results: dict[str, pd.DataFrame | None] = {}
    if in_year:
        results.update(monitoring.spc_overview(data, council, in_year, year, 4, position)["charts"])
    for row in card.itertuples(index=False):
        if row.indicator not in in_year:
            history = annual_history(data, council, row.indicator, year)
            results[row.indicator] = annual_spc(history, row.polarity, row.target)
        results.setdefault(row.indicator, None)
    return results


def site_scorecard(
    data: Dataset,
    council: str,
    year: str,
    group: str,
    results: dict | None = None,
    card: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The scorecard of the end-of-year review with SPC variation and assurance and priority.

    Returns
    -------
    DataFrame
        :func:`perfeval.stats.scorecard.build_scorecard` with ``owner``, ``variation``,
        ``assurance``, ``priority`` (the clinic group, or :data:`NOT_LISTED`) and
        ``service_slug``.
    """
    if card is None:
        card = scorecard.build_scorecard(data, council, year, group)
    results = spc_results(data, card, council, year) if results is None else results
    words = [_spc_words(results.get(code)) for code in card["indicator"]]
    clinic = act.clinic_list(card, data.indicators).set_index("indicator")["clinic_group"]
    owners = data.indicators.set_index("code")["owner"]
    return card.assign(
        owner=card["indicator"].map(owners).fillna("").to_numpy(),
        variation=[w[0] for w in words],
        assurance=[w[1] for w in words],
        priority=card["indicator"].map(clinic).fillna(NOT_LISTED).to_numpy(),
        service_slug=[slug(s) for s in card["service"]],
    )


def annual_history(data: Dataset, council: str, code: str, year: str) -> pd.DataFrame:
    """The council's annual values of a PI to ``year`` with their targets, in time order."""
    return _history(data, council, code, year, annual_only=True)


def full_history(data: Dataset, council: str, code: str, year: str) -> pd.DataFrame:
    """Every value of a PI for the council to the end of ``year`` (years, quarters and
    months), with the target of the same period, in time order."""
    return _history(data, council, code, year, annual_only=False)


def _history(
    data: Dataset, council: str, code: str, year: str, *, annual_only: bool
) -> pd.DataFrame:
    values = data.indicator_values
    rows = scorecard.with_optional_columns(
        values[(values["authority"] == council) & (values["indicator"] == code)]
    )
    if annual_only:
        rows = scorecard.annual_rows(rows)
    last = parse_period(year).fy
    rows = rows[[parse_period(p).fy <= last for p in rows["period"].astype(str)]]
    targets = council_rows(data.targets, council)
    targets = targets[targets["indicator"] == code].set_index("period")["target"]
    out = pd.DataFrame(
        {
            "period": rows["period"].astype(str).to_numpy(),
            "value": rows["value"].to_numpy(dtype=float),
            "value_symbol": rows["value_symbol"].to_numpy(dtype=object),
            "status": rows["status"].fillna("final").astype(str).to_numpy(),
            "note": rows["note"].fillna("").astype(str).to_numpy(),
        }
    )
    out["target"] = out["period"].map(targets).astype(float)
    order = sorted(range(len(out)), key=lambda i: period_sort_key(out["period"].iloc[i]))
    return out.iloc[order].reset_index(drop=True)


def quality_flags(history: pd.DataFrame) -> pd.DataFrame:
    """The values of a history that are missing, provisional, estimated or revised, with the
    issue in words (``missing`` with the symbol's meaning, or the status)."""
    missing = history["value"].isna()
    flagged = history[missing | history["status"].isin(FLAGGED_STATUSES)]
    issue = [
        f"missing: {engine.describe_symbol(s)}" if pd.isna(v) else str(st)
        for v, s, st in zip(flagged["value"], flagged["value_symbol"], flagged["status"])
    ]
    return flagged.assign(issue=issue).reset_index(drop=True)


def comparator_positions(data: Dataset, members: Sequence[str], council: str) -> pd.DataFrame:
    """The council's rank, quartile and the comparator median of every PI in every year
    (:func:`perfeval.stats.indicators.benchmark`, ranks blanked below
    :data:`perfeval.stats.scorecard.MIN_COMPARATORS` councils, as the scorecard does)."""
    annual = scorecard.annual_rows(data.indicator_values)
    rows = annual[annual["authority"].isin(list(members))]
    bench = scorecard.too_few_ranked(engine.benchmark(rows, data.indicators, group=list(members)))
    medians = scorecard.comparator_medians(bench)
    mine = bench[bench["authority"] == council]
    mine = mine.merge(medians, on=["indicator", "period"], how="left")
    columns = ["indicator", "period", "value", "rank", "n_ranked", "quartile", "comparator_median"]
    return mine[columns].reset_index(drop=True)


def _register_rows(data: Dataset, table: str, council: str) -> pd.DataFrame | None:
    """The council's rows of an optional register, or None when the folder has none."""
    if table_origin(data, table) == "absent":
        return None
    rows = council_rows(getattr(data, table), council)
    return None if rows.empty else rows


def linked_risks(risks: pd.DataFrame, code: str) -> pd.DataFrame:
    """The risks whose ``linked_pis`` name the PI, scored
    (:func:`perfeval.stats.risks.scored_register`)."""
    links = [act.split_ids(cell) for cell in optional_column(risks, "linked_pis", None)]
    picked = risks[[code in linked for linked in links]]
    return risk_rules.scored_register(picked) if not picked.empty else picked


def service_risk_rows(risks: pd.DataFrame, card: pd.DataFrame, service: str) -> pd.DataFrame:
    """The risks of a service: those whose ``service`` is it, or that are linked to one of its
    PIs (``linked_pis``, ``;``-separated), in register order."""
    codes = set(card.loc[card["service"] == service, "indicator"])
    services = optional_column(risks, "service", "").fillna("").astype(str)
    links = [set(act.split_ids(cell)) for cell in optional_column(risks, "linked_pis", None)]
    mine = [s == service or bool(codes & linked) for s, linked in zip(services, links)]
    return risks[mine]


def funnel_units(data: Dataset, members: Sequence[str], code: str, polarity: str, year: str):
    """Funnel plot of a PI's latest year (to ``year``) with numerators and denominators across
    the comparator group: :func:`perfeval.stats.funnel.assess_units` against the group's pooled
    proportion (a percentage PI) or rate; None when no year has them for three councils."""
    values = data.indicator_values
    if not {"numerator", "denominator"} <= set(values.columns):
        return None
    rows = scorecard.annual_rows(values)
    rows = rows[(rows["indicator"] == code) & rows["authority"].isin(list(members))]
    rows = rows[rows["numerator"].notna() & rows["denominator"].notna()]
    if rows.empty:
        return None
    last = parse_period(year).fy
    rows = rows.loc[[parse_period(p).fy <= last for p in rows["period"].astype(str)]]
    counts = rows.groupby("period").size()
    usable = counts[counts >= scorecard.MIN_COMPARATORS]
    if usable.empty:
        return None
    period = max(usable.index, key=period_sort_key)
    units = rows[rows["period"] == period][["authority", "period", "numerator", "denominator"]]
    benchmark = float(units["numerator"].sum() / units["denominator"].sum())
    assessed = funnel.assess_units(
        units.reset_index(drop=True), benchmark, statistic="proportion", polarity=polarity
    )
    unit = str(data.indicators.set_index("code").loc[code, "unit"])
    shown = rows[rows["period"] == period]
    scale = value_scale(unit, shown.assign(value=pd.to_numeric(shown["value"], errors="coerce")))
    per = "" if scale == 100 else f" per {scale:,.0f}"
    return assessed.assign(benchmark=benchmark, scale=scale, per=per)


def _story(
    data: Dataset,
    content_args: tuple[str, str, Sequence[str]],
    row: pd.Series,
    result: pd.DataFrame | None,
    positions: pd.DataFrame,
    registers: tuple[pd.DataFrame | None, pd.DataFrame | None],
) -> PiStory:
    council, year, members = content_args
    code = row["indicator"]
    register = data.indicators.set_index("code").loc[code]
    history = full_history(data, council, code, year)
    written = council_rows(data.commentary, council)
    actions, risks = registers
    return PiStory(
        row=row,
        register=register,
        history=history,
        spc=result,
        positions=positions[positions["indicator"] == code].drop(columns="indicator"),
        commentary=written[written["indicator"] == code][["period", "commentary"]].reset_index(
            drop=True
        ),
        quality=quality_flags(history),
        actions=None if actions is None else act.actions_for_pis(actions, [code]),
        risks=None if risks is None else linked_risks(risks, code),
        funnel=funnel_units(data, members, code, row["polarity"], year),
    )


def latest_budget_quarter(data: Dataset, council: str, year: str) -> str | None:
    """The latest quarter of ``year`` with budget rows for the council (None when none)."""
    own = council_rows(data.budget, council)
    quarters = [q for q in range(1, 5) if monitoring.quarter_label(year, q) in set(own["period"])]
    return monitoring.quarter_label(year, quarters[-1]) if quarters else None


def build_content(data: Dataset, council: str, year: str, group: str) -> SiteContent:
    """Everything the portal shows for one council and year (see :class:`SiteContent`)."""
    card = scorecard.build_scorecard(data, council, year, group)
    results = spc_results(data, card, council, year)
    card = site_scorecard(data, council, year, group, results, card)
    members = scorecard.group_members(data, group)
    positions = comparator_positions(data, members, council)
    registers = (_register_rows(data, "actions", council), _register_rows(data, "risks", council))
    stories = {
        row["indicator"]: _story(
            data, (council, year, members), row, results.get(row["indicator"]), positions, registers
        )
        for _, row in card.iterrows()
    }
    as_at = latest_budget_quarter(data, council, year)
    budget = None
    if as_at is not None:
        budget = monitoring.quarter_budget_monitoring(data, council, year, int(as_at[-1]))
    synthetic = tuple(
        name
        for name in ("indicators", "targets", "budget", "actions", "risks")
        if name in data.tables and synthetic_flags(getattr(data, name)).any()
    )
    return SiteContent(
        council=council,
        council_name=council_name(data, council),
        year=year,
        group=group,
        card=card,
        shares=scorecard.headline_shares(card),
        stories=stories,
        budget=budget,
        budget_as_at=as_at,
        actions=registers[0],
        risks=registers[1],
        synthetic_tables=synthetic,
    )
