"""Plain-English sentences computed from the data, for report text and chart text alternatives.

A report's narrative numbers are computed, never typed: each function here turns a small table
into one sentence that says what it shows, for when, and compared with what.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd

from perfeval.core.formatting import format_number, plural
from perfeval.stats.scorecard import MIN_COMPARATORS


def percent(share: float, decimals: int = 0) -> str:
    """A 0-1 share as a percentage string rounded half up (``0.665`` -> ``"67%"``), exactly as
    :func:`perfeval.present.html.format_number` rounds, so a sentence and a table never disagree."""
    if share is None or math.isnan(share):
        return "n/a"
    value = Decimal(repr(float(share))).scaleb(2)
    return format_number(float(value), decimals, "%")


def describe_headlines(shares: pd.DataFrame, *, council: str, year: str) -> str:
    """One sentence from :func:`perfeval.stats.scorecard.headline_shares`.

    E.g. "In 2024/25, Rutland met 5 of 21 targets (24%); 7 of 21 indicators improved on the
    previous year (33%); 8 of 19 were in the top two quartiles of the comparator group (42%)."
    """
    row = shares.set_index("measure")

    def part(measure: str, template: str) -> str:
        if measure not in row.index or row.loc[measure, "denominator"] == 0:
            return ""
        r = row.loc[measure]
        return template.format(
            n=int(r["numerator"]), d=int(r["denominator"]), p=percent(r["share"])
        )

    parts = [
        part("on target", "met {n} of {d} targets ({p})"),
        part("improved", "{n} of {d} indicators improved on the previous year ({p})"),
        part(
            "in top two quartiles",
            "{n} of {d} were in the top two quartiles of the comparator group ({p})",
        ),
    ]
    parts = [p for p in parts if p]
    if not parts:
        return f"In {year}, no indicators of {council} could be assessed."
    return f"In {year}, {council} " + "; ".join(parts) + "."


def describe_trend(
    title: str,
    unit: str,
    periods: list[str],
    home: list[float],
    median: list[float],
    *,
    decimals: int = 1,
) -> str:
    """Text alternative for a trend: first and last value, and the comparator median at the end.

    E.g. "Recycling rate (%) went from 38.0% in 2019/20 to 44.0% in 2024/25; the comparator
    median in 2024/25 was 41.0%."
    """
    pairs = [(p, h, m) for p, h, m in zip(periods, home, median)]
    known = [(p, h) for p, h, _ in pairs if h is not None and not math.isnan(h)]
    if not known:
        return f"{title}: no values for this council in the period shown."
    (first_p, first_v), (last_p, last_v) = known[0], known[-1]
    verb = "rose" if last_v > first_v else "fell" if last_v < first_v else "stayed"
    text = (
        f"{title} {verb} from {format_number(first_v, decimals, unit)} in {first_p} to "
        f"{format_number(last_v, decimals, unit)} in {last_p}"
        if verb != "stayed"
        else f"{title} stayed at {format_number(last_v, decimals, unit)} from {first_p} to {last_p}"
    )
    end_median = [m for p, _, m in pairs if p == last_p]
    if end_median and end_median[0] is not None and not math.isnan(end_median[0]):
        end_text = format_number(end_median[0], decimals, unit)
        text += f"; the comparator median in {last_p} was {end_text}"
    return text + "."


def describe_comparison(
    title: str,
    unit: str,
    period: str,
    values: pd.DataFrame,
    home: str,
    *,
    decimals: int = 1,
    higher_is: str = "higher",
) -> str:
    """Text alternative for a comparator bar chart: home value, its rank and the median.

    ``values`` has columns ``code``, ``name``, ``value``; ranks count from the highest value.
    The median is quoted only from at least :data:`perfeval.stats.scorecard.MIN_COMPARATORS`
    values (a median of one council is that council).
    """
    data = values.dropna(subset=["value"]).sort_values("value", ascending=False, kind="mergesort")
    if home not in set(data["code"]):
        return f"{title}, {period}: no value for this council; {len(data)} comparators shown."
    position = int((data["value"] > data.loc[data["code"] == home, "value"].iloc[0]).sum()) + 1
    value = float(data.loc[data["code"] == home, "value"].iloc[0])
    name = data.loc[data["code"] == home, "name"].iloc[0]
    median = (
        f"the median was {format_number(float(data['value'].median()), decimals, unit)}"
        if len(data) >= MIN_COMPARATORS
        else f"no median is quoted from fewer than {MIN_COMPARATORS} councils"
    )
    return (
        f"{title}, {period}: {name} {format_number(value, decimals, unit)}, "
        f"{ordinal(position)} {higher_is} of {len(data)} councils; {median}."
    )


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def counted(n: int, what: str) -> str:
    """``n`` and a plural phrase in agreement: ``counted(1, "indicators with a status")`` is
    ``1 indicator with a status``; ``counted(3, ...)`` keeps the plural (``3 indicators ...``).

    The phrase's noun is its first word ending in "s" ("evaluation questions", "quarterly and
    monthly indicators"); for one it loses that "s" ("categories" becomes "category").
    """
    words = what.split(" ")
    if int(n) == 1:
        for i, word in enumerate(words):
            if word.endswith("s") and not word.endswith("ss"):
                words[i] = word[:-3] + "y" if word.endswith("ies") else word[:-1]
                break
    return f"{int(n):,} " + " ".join(words)


def describe_counts(counts: pd.Series, *, what: str) -> str:
    """ "Of 27 indicators with a status: 5 Green, 12 Amber, 10 Red." from a count series
    (``what`` in the plural; "Of 1 indicator with a status: ..." for one)."""
    total = int(counts.sum())
    listed = ", ".join(f"{int(v)} {k}" for k, v in counts.items())
    return f"Of {counted(total, what)}: {listed}."


def describe_positions(positions: pd.DataFrame) -> str:
    """Text alternative for the percentile-rank chart: counts per quartile band, best and worst."""
    if positions.empty:
        return "No indicator could be ranked against the comparator group."
    ranks = positions["percentile_rank"]
    bands = pd.cut(
        ranks, [-0.1, 25, 50, 75, 100.1], labels=["bottom", "third", "second", "top"], right=False
    )
    counts = bands.value_counts()
    best = positions.loc[ranks.idxmax(), "label"]
    worst = positions.loc[ranks.idxmin(), "label"]
    top = int(counts.get("top", 0))
    verb = "is" if top == 1 else "are"
    return (
        f"Of {plural(len(positions), 'ranked indicator')}, {top} {verb} in the top quartile "
        f"band, {counts.get('second', 0)} in the second, {counts.get('third', 0)} in the third "
        f"and {counts.get('bottom', 0)} in the bottom band. Best placed: {best}; "
        f"lowest placed: {worst}."
    )


def describe_trend_tests(tests: pd.DataFrame) -> str:
    """One sentence on the key indicators' long-run trends (from
    :func:`perfeval.stats.scorecard.trend_tests`), naming those with a clear trend or too few
    values.

    E.g. "Over the years shown, of 5 key indicators with enough years to test, 1 has improved
    steadily (Recycling rate (%)); the other 4 show no clear trend (Mann-Kendall test, 5% level).
    Too few years with a value to detect a trend: Carers' quality of life (score)."

    "Too few values" (:data:`perfeval.stats.trend.TOO_FEW_VALUES`) covers a series too short to test
    and one too short for any result to be significant (e.g. 4 values at the 5% level), so the
    sentence says "too few years with a value to detect a trend", not "to test".
    """
    judged = tests["judgement"]
    untested = list(tests.loc[judged == "Too few values", "label"])
    tested = len(tests) - len(untested)
    phrases = {
        "Improving": "improved steadily",
        "Worsening": "worsened steadily",
        "Rising": "risen steadily",
        "Falling": "fallen steadily",
    }
    parts = []
    for judgement, phrase in phrases.items():
        labels = list(tests.loc[judged == judgement, "label"])
        if labels:
            parts.append(
                f"{len(labels)} {'has' if len(labels) == 1 else 'have'} {phrase} "
                f"({'; '.join(labels)})"
            )
    clear = int(judged.isin(list(phrases)).sum())
    if tested == 0:
        text = "No key indicator has enough years with a value to detect a trend"
    elif not parts:
        text = (
            "Over the years shown, the one key indicator with enough years to test shows "
            "no clear trend (Mann-Kendall test, 5% level): its changes are"
            if tested == 1
            else f"Over the years shown, none of the {tested} key indicators with enough "
            "years to test shows a clear trend (Mann-Kendall test, 5% level): their "
            "changes are"
        ) + " within what year-to-year variation would give"
    else:
        text = (
            f"Over the years shown, of {plural(tested, 'key indicator')} with enough years "
            "to test, " + "; ".join(parts)
        )
        if tested > clear:
            rest = tested - clear
            text += f"; the other {rest} show{'s' if rest == 1 else ''} no clear trend"
        text += " (Mann-Kendall test, 5% level)"
    if untested and tested:
        text += f". Too few years with a value to detect a trend: {'; '.join(untested)}"
    return text + "."


def describe_issue_count(count: int) -> str:
    """Sentence: how many indicators are listed as issues to consider, in agreement.

    E.g. "1 indicator is red against target, worse than the previous year, or in the bottom
    quartile of the comparator group."; "No indicator is ..." for none.
    """
    reasons = (
        "red against target, worse than the previous year, or in the bottom quartile of "
        "the comparator group."
    )
    if count == 0:
        return f"No indicator is {reasons}"
    return (
        f"{count:,} indicator{'' if count == 1 else 's'} {'is' if count == 1 else 'are'} {reasons}"
    )
