"""Programme evaluation: what the money bought and whether outcomes moved.

Four parts, as in a county improvement partnership's evaluation report:

1. **Funding**: allocation and spend by strand, outputs, cost per participant and per session
   (:func:`summarise_funding`).
2. **Outcomes**: difference-in-differences for chosen indicators, participating councils against
   comparison councils, before and after the programme (:func:`estimate_did`,
   :func:`estimate_did_for_indicators`), with a check of pre-programme trends
   (:func:`check_pre_trends`) and a parallel-trends chart (:func:`plot_parallel_trends`).
3. **Participant surveys** before and after, paired by participant: Wilcoxon signed-rank for
   scales (:func:`compare_paired_scale`) and McNemar for yes/no questions, with Newcombe's
   paired interval for the change in the share answering yes (:func:`compare_paired_binary`).
4. **Evaluation framework**: questions from a YAML parameter file, each answered by a rule applied
   to a computed result (:func:`evaluate_framework`). Rules are data (an operator and a
   threshold), never code, so a parameter file cannot run anything.
"""

from __future__ import annotations

import dataclasses
import math
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.core.periods import period_sort_key
from perfeval.stats.intervals import newcombe_paired_difference


def format_p_value(p: float) -> str:
    """Write a p-value for a reader: ``p = 0.031``, or ``p < 0.001`` when smaller."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


# --------------------------------------------------------------------------------------------
# 1. Funding
# --------------------------------------------------------------------------------------------

_FUNDING_COLUMNS = [
    "strand",
    "allocation",
    "allocation_share_pct",
    "spend",
    "spend_share_pct",
    "spend_minus_allocation",
    "spend_pct_of_allocation",
    "participants",
    "sessions",
    "cost_basis",
    "cost_per_participant",
    "cost_per_session",
    "note",
]


def _funding_frame(strands: pd.DataFrame | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(strands)) if not isinstance(strands, pd.DataFrame) else strands.copy()
    problems = [
        f"funding strands need a {c!r} column/key (found {list(frame.columns)})"
        for c in ("strand", "allocation")
        if c not in frame.columns
    ]
    if problems:
        raise ParameterError(problems)
    for column in ("spend", "participants", "sessions"):
        if column not in frame.columns:
            frame[column] = np.nan
    numbers = ["allocation", "spend", "participants", "sessions"]
    for column in numbers:
        converted = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        bad = converted.isna() & frame[column].notna()
        problems += [
            f"strand {s!r}: {column} must be a number, got {v!r}"
            for s, v in zip(frame.loc[bad, "strand"], frame.loc[bad, column])
        ]
        problems += [
            f"strand {s!r}: {column} must not be negative, got {v!r}"
            for s, v in zip(frame.loc[converted < 0, "strand"], converted[converted < 0])
        ]
        frame[column] = converted
    problems += [
        f"strand {s!r}: allocation is missing"
        for s in frame.loc[frame["allocation"].isna(), "strand"]
    ]
    problems += [
        f"strand {s!r} is listed more than once"
        for s in frame.loc[frame["strand"].duplicated(), "strand"]
    ]
    if problems:
        raise ParameterError(problems)
    return frame


def _per_unit(cost: pd.Series, units: pd.Series) -> pd.Series:
    return cost / units.where(units > 0)


def summarise_funding(strands: pd.DataFrame | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Allocation, spend, shares and unit costs by programme strand, with a total row.

    Shares are of the programme total (``100 x strand / total``); ``spend_minus_allocation`` is
    positive when a strand spent more than allocated. Unit costs are ``cost / participants`` and
    ``cost / sessions``, where the cost is the spend; when no spend is given at all the
    allocation is used instead and ``cost_basis`` says so. A strand with no participants (or no
    sessions) gets a missing unit cost and a note, not an infinite one.

    Parameters
    ----------
    strands : DataFrame or list of mappings
        One entry per strand with ``strand`` and ``allocation`` (£), and optionally ``spend``
        (£), ``participants`` and ``sessions``. A list of mappings is what a YAML parameter file
        gives.

    Returns
    -------
    DataFrame
        strand, allocation, allocation_share_pct, spend, spend_share_pct,
        spend_minus_allocation, spend_pct_of_allocation, participants, sessions, cost_basis,
        cost_per_participant, cost_per_session, note; the last row is "Total".

    Raises
    ------
    ParameterError
        Listing every missing, non-numeric, negative or duplicated entry.
    """
    frame = _funding_frame(strands)
    total = frame[["allocation", "spend", "participants", "sessions"]].sum(min_count=1)
    total_row = pd.DataFrame([{"strand": "Total", **total.to_dict()}])
    out = pd.concat(
        [frame[["strand", "allocation", "spend", "participants", "sessions"]], total_row],
        ignore_index=True,
    )
    has_spend = frame["spend"].notna().any()
    cost = out["spend"] if has_spend else out["allocation"]
    out["cost_basis"] = "spend" if has_spend else "allocation"
    out["allocation_share_pct"] = 100.0 * out["allocation"] / total["allocation"]
    out["spend_share_pct"] = 100.0 * out["spend"] / total["spend"] if total["spend"] else np.nan
    out["spend_minus_allocation"] = out["spend"] - out["allocation"]
    out["spend_pct_of_allocation"] = (
        100.0 * out["spend"] / out["allocation"].where(out["allocation"] > 0)
    )
    out["cost_per_participant"] = _per_unit(cost, out["participants"])
    out["cost_per_session"] = _per_unit(cost, out["sessions"])
    out["note"] = [
        _funding_note(r, is_total=i == len(out) - 1) for i, r in enumerate(out.itertuples())
    ]
    return out[_FUNDING_COLUMNS]


def _funding_note(row, *, is_total: bool) -> str:
    notes = []
    if row.participants == 0:
        notes.append("no participants recorded, so no cost per participant")
    if row.sessions == 0:
        notes.append("no sessions recorded, so no cost per session")
    if is_total and not pd.isna(row.participants):
        notes.append("people taking part in more than one strand are counted in each")
    return "; ".join(notes).capitalize()


# --------------------------------------------------------------------------------------------
# 2. Difference-in-differences
# --------------------------------------------------------------------------------------------

COV_TYPES = ("cluster", "HC1", "nonrobust")
DID_METHOD = (
    "Difference-in-differences by OLS of y on treated, post and treated x post; the "
    "estimate is the treated x post coefficient, which equals (treated after - treated "
    "before) - (comparison after - comparison before) in group means."
)


@dataclass(frozen=True)
class DidResult:
    """A difference-in-differences estimate.

    Attributes
    ----------
    estimate, se, ci_lower, ci_upper, p_value : float
        The treated x post coefficient (in units of the indicator), its standard error,
        confidence interval at ``level`` and two-sided p-value.
    level : float
    n_obs, n_treated, n_comparison : int
        Observations and councils in each group.
    means : DataFrame
        Group means: index ("Comparison", "Participating"), columns ("Before", "After",
        "Change").
    cov_type : str
        "cluster" (by council), "HC1" or "nonrobust".
    method : str
    caveats : tuple of str
    """

    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    p_value: float
    level: float
    n_obs: int
    n_treated: int
    n_comparison: int
    means: pd.DataFrame
    cov_type: str
    method: str = DID_METHOD
    caveats: tuple[str, ...] = ()

    def finding(self, label: str = "the indicator") -> str:
        """A plain-language sentence on the estimate and whether it is significant."""
        side = "higher" if self.estimate > 0 else "lower"
        if not math.isfinite(self.p_value):
            return (
                f"After the programme, the change in {label} was {abs(self.estimate):.3g} "
                f"{side} in participating councils than in comparison councils; its "
                f"uncertainty cannot be estimated from these data ({self.cov_type} standard "
                f"error unavailable)."
            )
        significant = self.p_value < 1 - self.level
        verdict = (
            "a statistically significant difference"
            if significant
            else "not a statistically significant difference"
        )
        return (
            f"After the programme, the change in {label} was {abs(self.estimate):.3g} "
            f"{side} in participating councils than in comparison councils "
            f"({self.level:.0%} interval {self.ci_lower:.3g} to {self.ci_upper:.3g}; "
            f"{format_p_value(self.p_value)}): {verdict}."
        )


@dataclass(frozen=True)
class PreTrendResult:
    """Check of pre-programme trends: difference in slopes, participating minus comparison.

    Attributes
    ----------
    slope_difference, se, p_value : float
        Difference in the per-period slope before the programme, its SE and p-value (missing
        when there are fewer than two periods before the programme).
    n_pre_periods : int
    differs : bool or None
        True when the slopes differ significantly at ``1 - level``; None when not testable.
    caveat : str
    """

    slope_difference: float
    se: float
    p_value: float
    n_pre_periods: int
    differs: bool | None
    caveat: str


def did_panel(
    values: pd.DataFrame,
    treated: Iterable[str],
    start: str,
    outcome: str,
    unit: str,
    period: str,
    comparison: Iterable[str] | None,
) -> pd.DataFrame:
    missing = [c for c in (unit, period, outcome) if c not in values.columns]
    if missing:
        raise AnalysisError(
            f"the outcome table is missing column(s) {missing}; it has {list(values.columns)}"
        )
    treated = set(map(str, treated))
    panel = values[[unit, period, outcome]].dropna(subset=[outcome]).copy()
    panel[unit] = panel[unit].astype(str)
    if comparison is not None:
        panel = panel[panel[unit].isin(treated | set(map(str, comparison)))]
    panel["treated"] = panel[unit].isin(treated).astype("float64")
    start_key = period_sort_key(start)
    panel["post"] = [float(period_sort_key(str(p)) >= start_key) for p in panel[period]]
    panel["y"] = pd.to_numeric(panel[outcome]).astype("float64")
    cells = panel.groupby(["treated", "post"]).size()
    if len(cells) < 4:
        raise AnalysisError(
            f"difference-in-differences needs values for participating and comparison councils "
            f"both before and after {start!r}; found only {len(cells)} of the 4 groups. Check "
            f"the treated codes, the start period and the periods in the data."
        )
    return panel


def _fit_ols(y: np.ndarray, design: np.ndarray, groups: np.ndarray, cov_type: str):
    import statsmodels.api as sm

    if cov_type not in COV_TYPES:
        raise ParameterError([f"cov_type must be one of {list(COV_TYPES)}, got {cov_type!r}"])
    model = sm.OLS(y, design)
    if cov_type == "cluster":
        return model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    if cov_type == "HC1":
        return model.fit(cov_type="HC1")
    return model.fit()


def _clusters_suffice(panel: pd.DataFrame, unit: str, cov_type: str) -> bool:
    """Cluster-robust SEs need 2+ councils per group and more councils than coefficients (4)."""
    if cov_type != "cluster":
        return True
    sizes = panel.groupby("treated")[unit].nunique()
    return len(sizes) == 2 and sizes.min() >= 2 and sizes.sum() > 4


def _coef_inference(fit, index: int, level: float, usable: bool) -> tuple[float, ...]:
    """(se, ci_lower, ci_upper, p_value) of one coefficient; all missing when not usable."""
    with np.errstate(invalid="ignore"):
        se = float(fit.bse[index])
        lower, upper = np.asarray(fit.conf_int(alpha=1 - level))[index]
        p = float(fit.pvalues[index])
    if not usable or not math.isfinite(se):
        return (np.nan,) * 4
    return se, float(lower), float(upper), p


def estimate_did(
    values: pd.DataFrame,
    *,
    treated: Iterable[str],
    start: str,
    outcome: str = "value",
    unit: str = "authority",
    period: str = "period",
    comparison: Iterable[str] | None = None,
    level: float = 0.95,
    cov_type: str = "cluster",
) -> DidResult:
    """Estimate a programme's effect on one indicator by difference-in-differences.

    Method: OLS of ``y = b0 + b1 treated + b2 post + b3 treated x post`` on council-period
    values; ``b3`` is the estimate (Angrist & Pischke, *Mostly Harmless Econometrics*, ch. 5).
    It equals the difference of the before-after changes in group means. The default standard
    error is cluster-robust by council (Bertrand, Duflo & Mullainathan 2004), with t-based
    intervals on (clusters - 1) degrees of freedom.

    Parameters
    ----------
    values : DataFrame
        Long table of one indicator: ``unit``, ``period`` (period labels), ``outcome``.
    treated : iterable of str
        Codes of the participating councils.
    start : str
        First period of the programme; periods from ``start`` on are "after".
    outcome, unit, period : str
        Column names.
    comparison : iterable of str, optional
        Codes of the comparison councils; every other council in ``values`` when None.
    level : float
        Confidence level of the interval.
    cov_type : {"cluster", "HC1", "nonrobust"}

    Returns
    -------
    DidResult

    Raises
    ------
    AnalysisError
        If a group has no values before or after the start.
    """
    if not 0 < level < 1:
        raise ParameterError([f"level must be between 0 and 1 (e.g. 0.95), got {level!r}"])
    panel = did_panel(values, treated, start, outcome, unit, period, comparison)
    t, p = panel["treated"].to_numpy(), panel["post"].to_numpy()
    design = np.column_stack([np.ones_like(t), t, p, t * p])
    fit = _fit_ols(panel["y"].to_numpy(), design, panel[unit].to_numpy(), cov_type)
    se, lower, upper, p_value = _coef_inference(
        fit, 3, level, _clusters_suffice(panel, unit, cov_type)
    )
    n_treated = panel.loc[panel["treated"] == 1, unit].nunique()
    n_comparison = panel.loc[panel["treated"] == 0, unit].nunique()
    caveats = _did_caveats(n_treated, n_comparison, cov_type)
    if not math.isfinite(se):
        caveats += (
            f"The {cov_type} standard error cannot be estimated from so few councils "
            f"(it needs at least 2 in each group and 5 in all); use cov_type='HC1' or "
            f"'nonrobust', or add councils.",
        )
    return DidResult(
        estimate=float(fit.params[3]),
        se=se,
        ci_lower=lower,
        ci_upper=upper,
        p_value=p_value,
        level=level,
        n_obs=len(panel),
        n_treated=n_treated,
        n_comparison=n_comparison,
        means=_did_means(panel),
        cov_type=cov_type,
        caveats=caveats,
    )


def _did_means(panel: pd.DataFrame) -> pd.DataFrame:
    means = panel.pivot_table(index="treated", columns="post", values="y", aggfunc="mean")
    means = means.rename(
        index={0.0: "Comparison", 1.0: "Participating"}, columns={0.0: "Before", 1.0: "After"}
    )
    means.index.name, means.columns.name = "group", None
    means["Change"] = means["After"] - means["Before"]
    return means


def _did_caveats(n_treated: int, n_comparison: int, cov_type: str) -> tuple[str, ...]:
    caveats = [
        "The estimate is the programme's effect only if, without the programme, "
        "participating and comparison councils would have followed parallel trends.",
        "Councils chose to take part, so differences between the groups other than the "
        "programme may explain some of the change.",
    ]
    if cov_type == "cluster" and n_treated + n_comparison < 30:
        caveats.append(
            f"With only {n_treated + n_comparison} councils, cluster-robust standard "
            f"errors are approximate; treat the interval and p-value with caution."
        )
    return tuple(caveats)


def check_pre_trends(
    values: pd.DataFrame,
    *,
    treated: Iterable[str],
    start: str,
    outcome: str = "value",
    unit: str = "authority",
    period: str = "period",
    comparison: Iterable[str] | None = None,
    level: float = 0.95,
    cov_type: str = "cluster",
) -> PreTrendResult:
    """Test whether participating and comparison councils trended alike before the programme.

    Method: on the periods before ``start`` only, OLS of ``y = b0 + b1 treated + b2 t +
    b3 treated x t``, where ``t`` counts periods in time order (0, 1, 2, ...); ``b3`` is the
    difference in slopes per period. A significant ``b3`` (p < 1 - level) warns that the
    parallel-trends assumption behind difference-in-differences may fail.

    Parameters
    ----------
    values, treated, start, outcome, unit, period, comparison, level, cov_type
        As for :func:`estimate_did`.

    Returns
    -------
    PreTrendResult
        Not testable (missing values, ``differs=None``) with fewer than two periods before.
    """
    panel = did_panel(values, treated, start, outcome, unit, period, comparison)
    pre = panel[panel["post"] == 0].copy()
    order = sorted(pre[period].astype(str).unique(), key=period_sort_key)
    if len(order) < 2:
        return PreTrendResult(
            np.nan,
            np.nan,
            np.nan,
            len(order),
            None,
            "Only one period before the programme, so whether the groups "
            "were trending alike cannot be checked.",
        )
    position = {label: i for i, label in enumerate(order)}
    t = pre[period].astype(str).map(position).to_numpy(dtype="float64")
    g = pre["treated"].to_numpy()
    design = np.column_stack([np.ones_like(t), g, t, g * t])
    fit = _fit_ols(pre["y"].to_numpy(), design, pre[unit].to_numpy(), cov_type)
    diff = float(fit.params[3])
    se, _, _, p = _coef_inference(fit, 3, level, _clusters_suffice(pre, unit, cov_type))
    if not math.isfinite(p):
        return PreTrendResult(
            diff,
            se,
            p,
            len(order),
            None,
            f"The difference in pre-programme slopes ({diff:+.3g} per period) "
            f"cannot be tested with {cov_type} standard errors from so few "
            f"councils.",
        )
    differs = bool(p < 1 - level)
    return PreTrendResult(
        diff, se, p, len(order), differs, _pre_trend_caveat(diff, p, differs, len(order))
    )


def _pre_trend_caveat(diff: float, p: float, differs: bool, n_periods: int) -> str:
    if differs:
        return (
            f"Before the programme the participating councils' trend differed from the "
            f"comparison councils' by {diff:+.3g} per period ({format_p_value(p)}); the "
            f"difference-in-differences estimate may reflect that earlier divergence rather "
            f"than the programme."
        )
    return (
        f"No significant difference in pre-programme trends ({diff:+.3g} per period, "
        f"{format_p_value(p)}); with {n_periods} periods before the programme this check has "
        f"limited power."
    )


def estimate_did_for_indicators(
    values: pd.DataFrame,
    indicators: Sequence[str],
    *,
    treated: Iterable[str],
    start: str,
    outcome: str = "value",
    unit: str = "authority",
    period: str = "period",
    comparison: Iterable[str] | None = None,
    level: float = 0.95,
    cov_type: str = "cluster",
) -> pd.DataFrame:
    """Difference-in-differences and pre-trend check for several indicators.

    Parameters
    ----------
    values : DataFrame
        The ``indicator_values`` table (with an ``indicator`` column).
    indicators : sequence of str
        Indicator codes to evaluate.
    treated, start, outcome, unit, period, comparison, level, cov_type
        As for :func:`estimate_did`.

    Returns
    -------
    DataFrame
        indicator, estimate, se, ci_lower, ci_upper, p_value, n_obs, n_treated, n_comparison,
        pre_trend_difference, pre_trend_p_value, pre_trends_differ, finding, caveat.
    """
    if "indicator" not in values.columns:
        raise AnalysisError(
            "the values table needs an 'indicator' column to evaluate several "
            "indicators; for one indicator use estimate_did."
        )
    treated, rows = list(treated), []
    unknown = sorted(set(indicators) - set(values["indicator"].astype(str)))
    if unknown:
        raise AnalysisError(f"indicator(s) {unknown} have no values in the table.")
    kwargs: dict[str, Any] = dict(
        treated=treated,
        start=start,
        outcome=outcome,
        unit=unit,
        period=period,
        comparison=comparison,
        level=level,
        cov_type=cov_type,
    )
    for code in indicators:
        subset = values[values["indicator"].astype(str) == code]
        did, pre = estimate_did(subset, **kwargs), check_pre_trends(subset, **kwargs)
        rows.append(
            {
                "indicator": code,
                "estimate": did.estimate,
                "se": did.se,
                "ci_lower": did.ci_lower,
                "ci_upper": did.ci_upper,
                "p_value": did.p_value,
                "n_obs": did.n_obs,
                "n_treated": did.n_treated,
                "n_comparison": did.n_comparison,
                "pre_trend_difference": pre.slope_difference,
                "pre_trend_p_value": pre.p_value,
                "pre_trends_differ": pre.differs,
                "finding": did.finding(code),
                "caveat": pre.caveat,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# 3. Paired participant surveys
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedTestResult:
    """A before-and-after comparison of paired answers.

    Attributes
    ----------
    question : str
    test : str
        "Wilcoxon signed-rank" or "McNemar (exact)" / "McNemar (chi-square)".
    estimate : float
        Wilcoxon: median of (after - before). McNemar: change in the proportion answering yes,
        (no->yes - yes->no) / n.
    statistic, p_value : float
        Missing when nobody changed their answer (no test is possible).
    n : int
        Complete pairs used.
    finding : str
        A plain-language sentence.
    details : dict
        Wilcoxon: n_changed, rank_sum_up, rank_sum_down, mean_change. McNemar: the 2x2 counts
        yes_yes, yes_no, no_yes, no_no.
    ci_lower, ci_upper : float
        McNemar: Newcombe's (1998b) paired interval for the change in the proportion answering
        yes, at level ``1 - alpha``. Missing for Wilcoxon.
    """

    question: str
    test: str
    estimate: float
    statistic: float
    p_value: float
    n: int
    finding: str
    details: dict = field(default_factory=dict)
    ci_lower: float = float("nan")
    ci_upper: float = float("nan")


def _complete_pairs(before: Any, after: Any) -> tuple[pd.Series, pd.Series]:
    b = pd.Series(list(before) if not isinstance(before, pd.Series) else before.to_list())
    a = pd.Series(list(after) if not isinstance(after, pd.Series) else after.to_list())
    if len(a) != len(b):
        raise AnalysisError(
            f"before and after must be paired answers of equal length; got "
            f"{len(b)} before and {len(a)} after. Pair them by participant first "
            f"(see compare_paired_survey)."
        )
    keep = b.notna() & a.notna()
    return b[keep].reset_index(drop=True), a[keep].reset_index(drop=True)


def compare_paired_scale(
    before: Any, after: Any, *, question: str = "score", alpha: float = 0.05
) -> PairedTestResult:
    """Compare paired scale answers before and after with the Wilcoxon signed-rank test.

    Method: ``scipy.stats.wilcoxon`` on the differences ``after - before`` (zero differences
    dropped, Wilcoxon's method; exact or normal-approximation p-value as scipy chooses), two-sided.
    The estimate is the median change over all complete pairs; the direction in the finding comes
    from the larger of the signed rank sums.

    Parameters
    ----------
    before, after : array-like
        Numeric answers, paired by position (element i is the same participant); pairs with a
        missing answer are dropped.
    question : str
        Name of the question for the finding.
    alpha : float
        Significance level for the finding.

    Returns
    -------
    PairedTestResult
    """
    from scipy import stats

    b, a = _complete_pairs(before, after)
    diff = (pd.to_numeric(a) - pd.to_numeric(b)).astype("float64").to_numpy()
    if len(diff) == 0:
        raise AnalysisError(f"{question}: no complete before-and-after pairs to compare.")
    nonzero = diff[diff != 0]
    ranks = stats.rankdata(np.abs(nonzero))
    up, down = float(ranks[nonzero > 0].sum()), float(ranks[nonzero < 0].sum())
    details = {
        "n_changed": int(len(nonzero)),
        "rank_sum_up": up,
        "rank_sum_down": down,
        "mean_change": float(diff.mean()),
    }
    median = float(np.median(diff))
    if len(nonzero) == 0:
        return PairedTestResult(
            question,
            "Wilcoxon signed-rank",
            median,
            np.nan,
            np.nan,
            len(diff),
            f"{question}: no participant's answer changed "
            f"(n = {len(diff)} pairs), so there is nothing to test.",
            details,
        )
    res = stats.wilcoxon(diff)
    direction = "rose" if up > down else "fell"
    verdict = (
        f"a statistically significant change ({format_p_value(res.pvalue)})"
        if res.pvalue < alpha
        else f"not a statistically significant change ({format_p_value(res.pvalue)})"
    )
    finding = (
        f"{question}: answers {direction} after the programme (median change "
        f"{median:+.3g}; n = {len(diff)} pairs, Wilcoxon signed-rank): {verdict}."
    )
    return PairedTestResult(
        question,
        "Wilcoxon signed-rank",
        median,
        float(res.statistic),
        float(res.pvalue),
        len(diff),
        finding,
        details,
    )


_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def _as_yes_no(values: pd.Series, question: str) -> pd.Series:
    def convert(v: Any) -> bool:
        text = str(v).strip().lower()
        if isinstance(v, (bool, np.bool_)) or text in _YES | _NO or text in ("1.0", "0.0"):
            return text in _YES or text == "1.0"
        raise AnalysisError(
            f"{question}: yes/no answers must be yes/no, true/false or 1/0; "
            f"got {v!r}. Recode the answer or mark it missing."
        )

    return values.map(convert).astype(bool)


def compare_paired_binary(
    before: Any,
    after: Any,
    *,
    question: str = "answer",
    exact: bool | None = None,
    alpha: float = 0.05,
) -> PairedTestResult:
    """Compare paired yes/no answers before and after with McNemar's test and Newcombe's interval.

    Method: McNemar's test on the discordant pairs (yes->no = b, no->yes = c), via
    ``statsmodels.stats.contingency_tables.mcnemar``: the exact binomial test when
    ``b + c < 25`` (or ``exact=True``), otherwise the chi-square statistic
    ``(|b - c| - 1)^2 / (b + c)`` with continuity correction. Beside it, the change in the share
    answering yes, ``(c - b) / n``, has Newcombe's interval for paired proportions (Newcombe,
    R. G. 1998, "Improved confidence intervals for the difference between binomial proportions
    based on paired data", Stat Med 17:2635-2650, method 10;
    :func:`perfeval.stats.intervals.newcombe_paired_difference`) at level ``1 - alpha``: unlike
    ``d +/- z se`` it stays within [-1, 1] and keeps a width when nobody changed. The finding
    is McNemar's; the two seldom disagree, and only for a p-value close to ``alpha``.

    Parameters
    ----------
    before, after : array-like
        Answers paired by position: booleans, 1/0 or "yes"/"no" (any case); pairs with a
        missing answer are dropped.
    question : str
        Name of the question for the finding.
    exact : bool, optional
        Force the exact (True) or chi-square (False) version; automatic when None.
    alpha : float
        Significance level for the finding.

    Returns
    -------
    PairedTestResult
        ``estimate`` is the change in the proportion answering yes, (c - b) / n, with its
        interval in ``ci_lower`` and ``ci_upper``.
    """
    from statsmodels.stats.contingency_tables import mcnemar

    b_raw, a_raw = _complete_pairs(before, after)
    b, a = _as_yes_no(b_raw, question), _as_yes_no(a_raw, question)
    n = len(b)
    if n == 0:
        raise AnalysisError(f"{question}: no complete before-and-after pairs to compare.")
    counts = {
        "yes_yes": int((b & a).sum()),
        "yes_no": int((b & ~a).sum()),
        "no_yes": int((~b & a).sum()),
        "no_no": int((~b & ~a).sum()),
    }
    down, up = counts["yes_no"], counts["no_yes"]
    estimate = (up - down) / n
    # After is the first answer of Newcombe's table, so the difference is after - before.
    change = newcombe_paired_difference(
        counts["yes_yes"], up, down, counts["no_no"], level=1 - alpha
    )
    interval = (
        f"{1 - alpha:.0%} interval {100 * change.low:+.1f} to {100 * change.high:+.1f} "
        f"points, Newcombe"
    )
    if up + down == 0:
        return PairedTestResult(
            question,
            "McNemar",
            estimate,
            np.nan,
            np.nan,
            n,
            f"{question}: nobody changed their answer (n = {n} pairs; "
            f"{interval}), so there is nothing to test.",
            counts,
            float(change.low),
            float(change.high),
        )
    use_exact = (up + down < 25) if exact is None else exact
    res = mcnemar(
        [[counts["yes_yes"], down], [up, counts["no_no"]]], exact=use_exact, correction=True
    )
    test = "McNemar (exact)" if use_exact else "McNemar (chi-square)"
    verdict = (
        "a statistically significant change"
        if res.pvalue < alpha
        else "not a statistically significant change"
    )
    finding = (
        f"{question}: {up} participant(s) changed from no to yes and {down} from yes to "
        f"no; the share answering yes changed by {100 * estimate:+.1f} percentage points "
        f"({interval}; n = {n} pairs, {test}, {format_p_value(res.pvalue)}): {verdict}."
    )
    return PairedTestResult(
        question,
        test,
        estimate,
        float(res.statistic),
        float(res.pvalue),
        n,
        finding,
        counts,
        float(change.low),
        float(change.high),
    )


def compare_paired_survey(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    id_column: str = "respondent_id",
    scale_questions: Sequence[str] = (),
    binary_questions: Sequence[str] = (),
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Pair two survey waves by participant and test each question.

    Parameters
    ----------
    before, after : DataFrame
        One row per participant per wave, with ``id_column`` and one column per question.
        Participants in only one wave are left out.
    id_column : str
    scale_questions : sequence of str
        Questions answered on a scale (Wilcoxon signed-rank).
    binary_questions : sequence of str
        Yes/no questions (McNemar).
    alpha : float
        Significance level of the findings (1 - the report's confidence level).

    Returns
    -------
    DataFrame
        question, test, estimate, ci_lower, ci_upper (Newcombe's paired interval for yes/no
        questions, missing for scales), statistic, p_value, n, finding; one row per question.
    """
    questions = list(scale_questions) + list(binary_questions)
    for name, frame in (("before", before), ("after", after)):
        missing = [c for c in [id_column, *questions] if c not in frame.columns]
        if missing:
            raise AnalysisError(f"the {name} survey table is missing column(s) {missing}.")
    paired = before[[id_column, *questions]].merge(
        after[[id_column, *questions]], on=id_column, suffixes=("_before", "_after")
    )
    results = [
        compare_paired_scale(paired[f"{q}_before"], paired[f"{q}_after"], question=q, alpha=alpha)
        for q in scale_questions
    ]
    results += [
        compare_paired_binary(paired[f"{q}_before"], paired[f"{q}_after"], question=q, alpha=alpha)
        for q in binary_questions
    ]
    columns = [
        "question",
        "test",
        "estimate",
        "ci_lower",
        "ci_upper",
        "statistic",
        "p_value",
        "n",
        "finding",
    ]
    return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in results], columns=columns)


# --------------------------------------------------------------------------------------------
# 4. Evaluation framework
# --------------------------------------------------------------------------------------------

OPERATORS = {
    ">": "more than",
    ">=": "at least",
    "<": "less than",
    "<=": "at most",
    "==": "equal to",
    "!=": "different from",
    "between": "between",
}
_ITEM_KEYS = {
    "question",
    "evidence",
    "rule",
    "label",
    "met",
    "not_met",
    "judgement_met",
    "judgement_not_met",
    "decimals",
}
_TEMPLATE_FIELDS = {"value", "threshold", "label"}


class _SafeFormatter(string.Formatter):
    """Formats only the named fields value, threshold and label: no attribute or index access."""

    def get_field(self, field_name, args, kwargs):
        if field_name not in _TEMPLATE_FIELDS:
            raise ParameterError(
                [
                    f"finding template field {{{field_name}}} is not allowed; use "
                    f"{sorted(_TEMPLATE_FIELDS)}"
                ]
            )
        return kwargs[field_name], field_name


def _check_item(i: int, item: Any, evidence: Mapping[str, Any]) -> list[str]:
    where = f"framework item {i + 1}"
    if not isinstance(item, Mapping):
        return [f"{where}: must be a mapping with question, evidence and rule, got {item!r}"]
    problems = [
        f"{where}: unknown key {k!r} (allowed: {sorted(_ITEM_KEYS)})"
        for k in item
        if k not in _ITEM_KEYS
    ]
    problems += [
        f"{where}: {k!r} is required" for k in ("question", "evidence", "rule") if k not in item
    ]
    rule = item.get("rule")
    if "rule" in item:
        if not isinstance(rule, Mapping) or rule.get("op") not in OPERATORS or "value" not in rule:
            problems.append(
                f"{where}: rule must be {{op: one of {list(OPERATORS)}, value: ...}}, got {rule!r}"
            )
        elif rule["op"] == "between" and not (
            isinstance(rule["value"], (list, tuple)) and len(rule["value"]) == 2
        ):
            problems.append(
                f"{where}: a 'between' rule needs value: [low, high], got {rule['value']!r}"
            )
    if "evidence" in item:
        try:
            resolve_evidence(evidence, str(item["evidence"]))
        except AnalysisError as err:
            problems.append(
                f"{where}: evidence {item['evidence']!r} not found ({err}); "
                f"computed evidence: {sorted(evidence)}"
            )
    return problems


def resolve_evidence(evidence: Mapping[str, Any], key: str) -> Any:
    """Look up an evidence value by key, following dots into mappings and result objects.

    ``"did_recycling.p_value"`` gives ``evidence["did_recycling"].p_value`` when that entry is a
    result dataclass (only its declared fields are reachable), or ``["p_value"]`` when it is a
    mapping or Series. A key present in full (dots included) is used as it is.

    Raises
    ------
    AnalysisError
        Naming the part of the key that was not found.
    """
    if key in evidence:
        return evidence[key]
    head, *rest = key.split(".")
    if head not in evidence:
        raise AnalysisError(f"no evidence named {head!r}")
    value = evidence[head]
    for part in rest:
        if isinstance(value, (Mapping, pd.Series)) and part in value:
            value = value[part]
        elif dataclasses.is_dataclass(value) and part in {
            f.name for f in dataclasses.fields(value)
        }:
            value = getattr(value, part)
        else:
            raise AnalysisError(f"{part!r} is not a field of {head!r}")
    return value


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, (float, np.floating)) and math.isnan(value))


def _apply_rule(value: Any, op: str, threshold: Any) -> bool:
    if op == "between":
        low, high = threshold
        return bool(low <= value <= high)
    checks = {
        ">": lambda: value > threshold,
        ">=": lambda: value >= threshold,
        "<": lambda: value < threshold,
        "<=": lambda: value <= threshold,
        "==": lambda: value == threshold,
        "!=": lambda: value != threshold,
    }
    return bool(checks[op]())


def _show(value: Any, decimals: int | None) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if not isinstance(value, (int, float, np.number)):
        return str(value)
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 2
    return f"{value:,.{decimals}f}"


def _judge_item(item: Mapping[str, Any], evidence: Mapping[str, Any]) -> dict[str, Any]:
    key, rule = str(item["evidence"]), item["rule"]
    label = str(item.get("label", key))
    value = resolve_evidence(evidence, key)
    if _is_missing(value):
        return {
            "question": item["question"],
            "evidence": label,
            "value": value,
            "finding": f"No value for {label}, so the question cannot be answered.",
            "judgement": "Not assessed",
        }
    decimals = item.get("decimals")
    threshold = rule["value"]
    shown = (
        " and ".join(_show(t, decimals) for t in threshold)
        if rule["op"] == "between"
        else _show(threshold, decimals)
    )
    try:
        met = _apply_rule(value, rule["op"], threshold)
    except TypeError as err:
        raise ParameterError(
            [
                f"question {item['question']!r}: cannot compare evidence "
                f"{key!r} = {value!r} with {threshold!r}"
            ]
        ) from err
    words = OPERATORS[rule["op"]]
    if (
        isinstance(value, (bool, np.bool_))
        and isinstance(threshold, bool)
        and rule["op"]
        in (
            "==",
            "!=",
        )
    ):
        # a yes/no finding in words ("significant increase: yes"), never "True, which is equal to
        # True"
        looked_for = threshold if rule["op"] == "==" else not threshold
        default = (
            f"{label}: {_show(value, None)}, which is what the question looks for."
            if met
            else f"{label}: {_show(value, None)}; the question looks for {_show(looked_for, None)}."
        )
    else:
        default = (
            f"{label} is {_show(value, decimals)}, "
            f"{'which is' if met else 'which is not'} {words} {shown}."
        )
    template = item.get("met" if met else "not_met")
    finding = (
        _SafeFormatter().format(str(template), value=value, threshold=threshold, label=label)
        if template
        else default
    )
    judgement = (
        item.get("judgement_met", "Met") if met else item.get("judgement_not_met", "Not met")
    )
    return {
        "question": item["question"],
        "evidence": label,
        "value": value,
        "finding": finding,
        "judgement": judgement,
    }


def evaluate_framework(framework: list[dict], evidence: dict[str, Any]) -> pd.DataFrame:
    """Answer each evaluation question by applying its rule to computed evidence.

    Each framework item (typically from a YAML parameter file) is a mapping::

        question: Did the programme spend within its allocation?
        evidence: spend_pct_of_allocation      # a key of ``evidence`` (dots reach into results)
        label: Spend as % of allocation        # optional; how the evidence is described
        rule: {op: "<=", value: 100}           # op: > >= < <= == != between ([low, high])
        met: "Yes: spend was {value:.1f}% of the allocation."    # optional finding templates
        not_met: "No: spend was {value:.1f}% of the allocation." # fields: value, threshold, label
        judgement_met: Achieved                # optional; default "Met" / "Not met"
        judgement_not_met: Not achieved
        decimals: 1                            # optional; decimals in the default finding

    No code from the file is evaluated: a rule is an operator name and a threshold, and a
    template may only use the fields ``value``, ``threshold`` and ``label``. Missing or NaN
    evidence gives the judgement "Not assessed".

    Parameters
    ----------
    framework : list of dict
        The framework items.
    evidence : dict
        Computed results by name: numbers, strings, mappings, or result dataclasses such as
        :class:`DidResult`.

    Returns
    -------
    DataFrame
        question, evidence, finding, judgement, value; one row per item, in order.

    Raises
    ------
    ParameterError
        Listing every malformed item and every evidence key that was not computed.
    """
    if not isinstance(framework, list):
        raise ParameterError(
            [f"the evaluation framework must be a list of items, got {type(framework).__name__}"]
        )
    problems = [p for i, item in enumerate(framework) for p in _check_item(i, item, evidence)]
    if problems:
        raise ParameterError(problems)
    rows = [_judge_item(item, evidence) for item in framework]
    return pd.DataFrame(rows, columns=["question", "evidence", "finding", "judgement", "value"])
