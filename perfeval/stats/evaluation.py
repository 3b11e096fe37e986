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
import itertools
import math
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.core.formatting import format_number, plural
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

INFERENCE_METHODS = ("randomisation", "wild_bootstrap", "cluster")
"""How the difference-in-differences p-value and interval are computed (see estimate_did)."""
WILD_WEIGHTS = ("rademacher", "webb")
#: Below this many participating councils the wild cluster bootstrap and cluster-robust
#: standard errors are known to mislead (MacKinnon & Webb 2017, 2018).
FEW_TREATED = 10
DID_METHOD = (
    "Difference-in-differences with council and year fixed effects (two-way fixed effects "
    "regression of the indicator on participation after the start, one effect per council and "
    "one per year); the estimate is the change in participating councils minus the change in "
    "comparison councils."
)


@dataclass(frozen=True)
class DidResult:
    """A difference-in-differences estimate with council and year fixed effects.

    Attributes
    ----------
    estimate : float
        The coefficient of participating x after (units of the indicator).
    se : float
        Its cluster-robust standard error (by council, CR1).
    ci_lower, ci_upper : float
        Interval at ``level`` from ``inference`` (test inversion for randomisation and the wild
        bootstrap); infinite when no value can be rejected.
    p_value : float
        Two-sided p-value of "no effect" from ``inference``.
    level : float
    n_obs, n_treated, n_comparison : int
        Observations and councils in each group.
    means : DataFrame
        Group means: index ("Comparison", "Participating"), columns ("Before", "After",
        "Change").
    inference : str
        "randomisation", "wild_bootstrap" or "cluster".
    draws : int
        Assignments (randomisation) or bootstrap samples (wild bootstrap) used; 0 for cluster.
    exact : bool
        True when every assignment or every Rademacher sign pattern was enumerated.
    smallest_p : float
        The smallest p-value the inference can give (randomisation: 1 / number of
        assignments); 0 when not limited.
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
    inference: str = "cluster"
    draws: int = 0
    exact: bool = False
    smallest_p: float = 0.0
    method: str = DID_METHOD
    caveats: tuple[str, ...] = ()

    @property
    def significant(self) -> bool:
        """True when the p-value is below ``1 - level``."""
        return math.isfinite(self.p_value) and self.p_value < 1 - self.level


def did_panel(
    values: pd.DataFrame,
    treated: Iterable[str],
    start: str,
    outcome: str,
    unit: str,
    period: str,
    comparison: Iterable[str] | None,
) -> pd.DataFrame:
    """The council-period rows of a difference-in-differences, with ``treated``, ``post``, ``y``.

    Raises
    ------
    AnalysisError
        If a column is missing, or participating or comparison councils have no values before
        or after ``start``.
    """
    missing = [c for c in (unit, period, outcome) if c not in values.columns]
    if missing:
        raise AnalysisError(
            f"the outcome table is missing column(s) {missing}; it has {list(values.columns)}"
        )
    treated = set(map(str, treated))
    panel = values[[unit, period, outcome]].dropna(subset=[outcome]).copy()
    panel[unit] = panel[unit].astype(str)
    panel[period] = panel[period].astype(str)
    if comparison is not None:
        panel = panel[panel[unit].isin(treated | set(map(str, comparison)))]
    panel["treated"] = panel[unit].isin(treated).astype("float64")
    start_key = period_sort_key(start)
    after = {p: float(period_sort_key(p) >= start_key) for p in panel[period].unique()}
    panel["post"] = panel[period].map(after)
    panel["y"] = pd.to_numeric(panel[outcome]).astype("float64")
    cells = panel.groupby(["treated", "post"]).size()
    if len(cells) < 4:
        raise AnalysisError(
            f"difference-in-differences needs values for participating and comparison councils "
            f"both before and after {start!r}; found only {len(cells)} of the 4 groups. Check "
            f"the treated codes, the start period and the periods in the data."
        )
    return panel.reset_index(drop=True)


@dataclass(frozen=True)
class FixedEffectsPanel:
    """A panel prepared for two-way fixed-effects regressions (arrays, one row per value).

    ``basis`` is an orthonormal basis of the council and period dummies, so that
    ``x - basis @ (basis.T @ x)`` is ``x`` with both fixed effects removed (Frisch-Waugh-Lovell).
    ``members`` is the n x councils indicator matrix used to sum scores by council.
    ``dof`` is the CR1 small-sample factor ``G/(G-1) x (n-1)/(n-k)``, k counting the fixed
    effects and the one coefficient, as statsmodels computes it with dummies.
    """

    y: np.ndarray
    d: np.ndarray
    unit_index: np.ndarray
    period_index: np.ndarray
    units: tuple[str, ...]
    periods: tuple[str, ...]
    treated_units: np.ndarray
    post_periods: np.ndarray
    basis: np.ndarray
    members: np.ndarray
    dof: float

    def residualise(self, x: np.ndarray) -> np.ndarray:
        """``x`` (a vector or columns) with council and period means removed."""
        return x - self.basis @ (self.basis.T @ x)


def fixed_effects_panel(panel: pd.DataFrame, unit: str, period: str) -> FixedEffectsPanel:
    """Arrays and the fixed-effects basis of a :func:`did_panel` table.

    Raises
    ------
    AnalysisError
        If the panel has fewer than 3 councils.
    """
    units = tuple(sorted(panel[unit].unique()))
    periods = tuple(sorted(panel[period].unique(), key=period_sort_key))
    if len(units) < 3:
        raise AnalysisError(
            f"difference-in-differences with fixed effects needs at least 3 councils; the "
            f"panel has {len(units)} ({list(units)})."
        )
    u = panel[unit].map({c: i for i, c in enumerate(units)}).to_numpy()
    t = panel[period].map({p: i for i, p in enumerate(periods)}).to_numpy()
    n = len(panel)
    dummies = np.zeros((n, len(units) + len(periods) - 1))
    dummies[np.arange(n), u] = 1.0
    later = t > 0
    dummies[np.arange(n)[later], len(units) + t[later] - 1] = 1.0
    q, r = np.linalg.qr(dummies)
    q = q[:, np.abs(np.diag(r)) > 1e-10]
    members = np.zeros((n, len(units)))
    members[np.arange(n), u] = 1.0
    treated = panel.groupby(unit)["treated"].first().reindex(units).to_numpy() == 1
    post = panel.groupby(period)["post"].first().reindex(periods).to_numpy() == 1
    g, k = len(units), q.shape[1] + 1
    return FixedEffectsPanel(
        y=panel["y"].to_numpy(dtype="float64"),
        d=(panel["treated"] * panel["post"]).to_numpy(dtype="float64"),
        unit_index=u,
        period_index=t,
        units=units,
        periods=periods,
        treated_units=treated,
        post_periods=post,
        basis=q,
        members=members,
        dof=g / (g - 1) * (n - 1) / max(n - k, 1),
    )


def cluster_t(
    dt: np.ndarray, yt: np.ndarray, members: np.ndarray, dof: float
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficient and CR1 standard error of one residualised regressor, column by column.

    ``dt`` and ``yt`` are the regressor and the outcome with the fixed effects removed (vectors
    or n x P columns, broadcast against each other). The coefficient is ``dt'yt / dt'dt``; the
    variance ``dof x sum_g (sum_{i in g} dt_i e_i)^2 / (dt'dt)^2`` (Cameron & Miller 2015,
    "A practitioner's guide to cluster-robust inference", J Human Resources 50:317, eq. 11).
    """
    ss = (dt * dt).sum(axis=0)
    beta = (dt * yt).sum(axis=0) / ss
    scores = members.T @ (dt * (yt - dt * beta))
    return beta, np.sqrt(dof * (scores * scores).sum(axis=0)) / ss


def treatment_assignments(
    treated: np.ndarray, draws: int, rng: np.random.Generator
) -> tuple[np.ndarray, bool]:
    """Sets of councils that could have taken part, as councils x assignments booleans.

    The first column is the actual assignment. Every set of the same size is listed when there
    are at most ``draws`` of them (exact randomisation inference); otherwise ``draws - 1`` sets
    are drawn at random without regard to the actual one (Monte Carlo; MacKinnon & Webb 2020).
    """
    g, g1 = len(treated), int(treated.sum())
    if math.comb(g, g1) <= draws:
        sets = np.zeros((g, math.comb(g, g1)), dtype=bool)
        for j, chosen in enumerate(itertools.combinations(range(g), g1)):
            sets[list(chosen), j] = True
        actual = np.flatnonzero((sets == treated[:, None]).all(axis=0))[0]
        order = [actual, *[j for j in range(sets.shape[1]) if j != actual]]
        return sets[:, order], True
    picks = np.argsort(rng.random((draws - 1, g)), axis=1)[:, :g1]
    sets = np.zeros((g, draws), dtype=bool)
    sets[:, 0] = treated
    sets[picks, np.arange(1, draws)[:, None]] = True
    return sets, False


def wild_weights(
    n_clusters: int, draws: int, kind: str, rng: np.random.Generator
) -> tuple[np.ndarray, bool]:
    """Wild bootstrap weights, clusters x draws: Rademacher (+-1) or Webb's six-point weights.

    Rademacher weights are enumerated in full (every sign pattern) when ``2^G <= draws``,
    as in wildboottest and fwildclusterboot; Webb (2014, Queen's Economics Department WP 1315)
    weights take +-sqrt(1/2), +-1, +-sqrt(3/2) with equal probability.
    """
    if kind not in WILD_WEIGHTS:
        raise ParameterError([f"wild bootstrap weights must be one of {list(WILD_WEIGHTS)}"])
    if kind == "rademacher" and 2**n_clusters <= draws:
        patterns = itertools.product([-1.0, 1.0], repeat=n_clusters)
        return np.array(list(patterns)).T, True
    if kind == "rademacher":
        return rng.choice([-1.0, 1.0], size=(n_clusters, draws)), False
    points = np.sqrt(np.array([3, 2, 1, 1, 2, 3]) / 2) * np.array([-1, -1, -1, 1, 1, 1])
    return rng.choice(points, size=(n_clusters, draws)), False


def _p_randomisation(fe: FixedEffectsPanel, dt_sets: np.ndarray, dt: np.ndarray, yt: np.ndarray):
    """p(b): randomisation p-value of the sharp null 'effect = b' (t statistic, two-sided)."""

    def p_value(b: float) -> float:
        beta, se = cluster_t(dt_sets, (yt - b * dt)[:, None], fe.members, fe.dof)
        t = np.abs(beta / se)
        return float(np.mean(t >= t[0] * (1 - 1e-10)))

    return p_value


def _p_wild(
    fe: FixedEffectsPanel, dt: np.ndarray, yt: np.ndarray, weights: np.ndarray, t_hat: tuple
):
    """p(b): wild cluster restricted bootstrap p-value of 'effect = b' (WCR-C, CR1 t)."""
    v = weights[fe.unit_index]
    resid_y, resid_d = fe.residualise(yt[:, None] * v), fe.residualise(dt[:, None] * v)
    ss = float(dt @ dt)
    beta_hat, se_hat = t_hat

    def p_value(b: float) -> float:
        # bootstrap outcome: restricted residuals (null imposed) times each council's weight
        star = resid_y - b * resid_d
        beta = ((dt * (yt - b * dt)) @ v) / ss
        scores = fe.members.T @ (dt[:, None] * (star - dt[:, None] * beta))
        se = np.sqrt(fe.dof * (scores * scores).sum(axis=0)) / ss
        t_obs = abs((beta_hat - b) / se_hat)
        # strictly greater, as Roodman et al. (2019) and wildboottest count; the sign patterns
        # +-(1, ..., 1) reproduce the actual t and are ties, not exceedances
        return float(np.mean(np.abs(beta / se) > t_obs * (1 + 1e-10)))

    return p_value


def invert_test(p_value, estimate: float, scale: float, alpha: float) -> tuple[float, float]:
    """The interval of values b that a test does not reject at ``alpha``: ``p(b) >= alpha``.

    Each end is found by bisection between the estimate and a value that is rejected, reached
    by doubling ``scale`` steps (up to 2^20 of them); an end that is never rejected is infinite
    (Roodman, Nielsen, MacKinnon & Webb 2019, "Fast and wild", Stata J 19:4, section 3.5).
    """
    ends = []
    for side in (-1.0, 1.0):
        inside, step = estimate, scale
        while p_value(estimate + side * step) >= alpha:
            inside, step = estimate + side * step, step * 2
            if step > scale * 2**20:
                ends.append(side * math.inf)
                break
        else:
            outside = estimate + side * step
            for _ in range(40):
                middle = (inside + outside) / 2
                if p_value(middle) >= alpha:
                    inside = middle
                else:
                    outside = middle
                if abs(outside - inside) < 1e-4 * scale:
                    break
            ends.append((inside + outside) / 2)
    return ends[0], ends[1]


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
    inference: str = "randomisation",
    draws: int = 9999,
    seed: int = 20240401,
    weights: str = "rademacher",
    interval: bool = True,
) -> DidResult:
    """Estimate a programme's effect on one indicator by difference-in-differences.

    Method: two-way fixed-effects OLS, ``y_ct = a_c + g_t + b D_ct + e_ct``, with one effect
    per council (``a_c``) and per period (``g_t``) and ``D_ct = 1`` for participating councils
    from ``start`` on; ``b`` is the estimate (Angrist & Pischke 2009, *Mostly Harmless
    Econometrics*, ch. 5). With every council observed every period it equals the difference of
    the before-after changes in group means. Its standard error is cluster-robust by council
    (CR1). The p-value and interval come from ``inference``:

    - ``"randomisation"`` (default): randomisation inference over councils (Fisher's exact
      test of the sharp null; MacKinnon & Webb 2020, "Randomization inference for
      difference-in-differences with few treated clusters", J Econometrics 218:435): the
      cluster-robust t statistic is recomputed for every set of councils of the same size that
      could have taken part (all of them when there are at most ``draws``, else ``draws``
      random sets), and p is the share at least as extreme as the actual one. Exact whatever
      the number of participating councils, if councils are exchangeable; the smallest
      possible p is 1 / (number of sets).
    - ``"wild_bootstrap"``: wild cluster restricted bootstrap (WCR; Cameron, Gelbach & Miller
      2008, REStat 90:414; Roodman et al. 2019, "Fast and wild", Stata J 19:4) with
      Rademacher or Webb weights by council, the null imposed. It under-rejects badly with
      few participating councils (MacKinnon & Webb 2017, J Applied Econometrics 32:233).
    - ``"cluster"``: t(G - 1) from the cluster-robust standard error, which over-rejects with
      few participating councils (same sources).

    Intervals for the first two invert the test (the values b not rejected at ``1 - level``).
    The same ``seed`` gives the same p-value and interval.

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
    inference : {"randomisation", "wild_bootstrap", "cluster"}
    draws : int
        Randomisation sets or bootstrap samples (at least 99).
    seed : int
        Seed of the random draws.
    weights : {"rademacher", "webb"}
        Wild bootstrap weights.
    interval : bool
        False leaves the interval missing (no test inversion), for simulations that need only
        the p-value.

    Returns
    -------
    DidResult

    Raises
    ------
    ParameterError
        For an unknown inference, a level outside (0, 1) or fewer than 99 draws.
    AnalysisError
        If a group has no values before or after the start, or there are fewer than 3 councils.
    """
    _check_did_options(level, inference, draws)
    panel = did_panel(values, treated, start, outcome, unit, period, comparison)
    fe = fixed_effects_panel(panel, unit, period)
    found = did_inference(
        fe,
        level=level,
        inference=inference,
        draws=draws,
        seed=seed,
        weights=weights,
        interval=interval,
    )
    n_treated = int(fe.treated_units.sum())
    n_comparison = len(fe.units) - n_treated
    return DidResult(
        **found,
        level=level,
        n_obs=len(panel),
        n_treated=n_treated,
        n_comparison=n_comparison,
        means=_did_means(panel),
        inference=inference,
        caveats=did_caveats(
            n_treated,
            n_comparison,
            inference,
            found["smallest_p"],
            1 - level,
            draws=found["draws"],
            exact=found["exact"],
        ),
    )


def did_inference(
    fe: FixedEffectsPanel,
    *,
    level: float = 0.95,
    inference: str = "randomisation",
    draws: int = 9999,
    seed: int = 20240401,
    weights: str = "rademacher",
    interval: bool = True,
) -> dict[str, Any]:
    """The estimate, CR1 standard error, p-value and interval of :func:`estimate_did` on a
    prepared panel (the arrays only, so that a simulation can call it many times).

    Returns
    -------
    dict
        estimate, se, p_value, ci_lower, ci_upper, draws, exact, smallest_p (see
        :class:`DidResult`).
    """
    dt, yt = fe.residualise(fe.d), fe.residualise(fe.y)
    beta, se = (float(x) for x in cluster_t(dt, yt, fe.members, fe.dof))
    alpha, rng = 1 - level, np.random.default_rng(seed)
    used, exact, smallest = 0, False, 0.0
    if inference == "cluster":
        from scipy import stats

        g = len(fe.units)
        crit = float(stats.t.ppf(1 - alpha / 2, g - 1))
        p = float(2 * stats.t.sf(abs(beta / se), g - 1))
        lower, upper = beta - crit * se, beta + crit * se
    else:
        if inference == "randomisation":
            sets, exact = treatment_assignments(fe.treated_units, draws, rng)
            d_sets = sets[fe.unit_index] & fe.post_periods[fe.period_index][:, None]
            p_of = _p_randomisation(fe, fe.residualise(d_sets.astype("float64")), dt, yt)
            used, smallest = sets.shape[1], 1 / sets.shape[1]
        else:
            v, exact = wild_weights(len(fe.units), draws, weights, rng)
            p_of, used = _p_wild(fe, dt, yt, v, (beta, se)), v.shape[1]
        p = p_of(0.0)
        lower, upper = invert_test(p_of, beta, se, alpha) if interval else (np.nan, np.nan)
    return {
        "estimate": beta,
        "se": se,
        "p_value": p,
        "ci_lower": float(lower),
        "ci_upper": float(upper),
        "draws": used,
        "exact": exact,
        "smallest_p": smallest,
    }


def _check_did_options(level: float, inference: str, draws: int) -> None:
    problems = []
    if not 0 < level < 1:
        problems.append(f"level must be between 0 and 1 (e.g. 0.95), got {level!r}")
    if inference not in INFERENCE_METHODS:
        problems.append(f"inference must be one of {list(INFERENCE_METHODS)}, got {inference!r}")
    if int(draws) < 99:
        problems.append(f"draws must be at least 99 (9999 is usual), got {draws!r}")
    if problems:
        raise ParameterError(problems)


def _did_means(panel: pd.DataFrame) -> pd.DataFrame:
    means = panel.groupby(["treated", "post"])["y"].mean().unstack("post")
    means = means.rename(
        index={0.0: "Comparison", 1.0: "Participating"}, columns={0.0: "Before", 1.0: "After"}
    )
    means.index.name, means.columns.name = "group", None
    means["Change"] = means["After"] - means["Before"]
    return means


def did_caveats(
    n_treated: int,
    n_comparison: int,
    inference: str,
    smallest_p: float,
    alpha: float,
    *,
    draws: int = 0,
    exact: bool = True,
) -> tuple[str, ...]:
    """What a reader must know about a difference-in-differences, keyed to the number of
    participating councils (not the total): with few of them, cluster-robust p-values are too
    small and the wild bootstrap's too large (MacKinnon & Webb 2017, 2018), and randomisation
    inference cannot go below 1 / (number of possible sets of participating councils)."""
    councils = plural(n_treated, "participating council")
    caveats = [
        "The estimate is the programme's effect only if, without the programme, "
        "participating and comparison councils would have followed parallel trends.",
        "Councils chose to take part, so differences between the groups other than the "
        "programme may explain some of the change.",
    ]
    if inference == "randomisation":
        others = (
            "every other choice"
            if exact
            else f"{format_number(draws - 1, 0)} other choices, drawn at random,"
        )
        caveats.append(
            f"The p-value compares the actual {councils} with {others} of "
            f"{n_treated} of the {n_treated + n_comparison} councils, as if any of them could "
            "equally have taken part."
        )
        if smallest_p >= alpha:
            caveats.append(
                f"With {councils} among {n_treated + n_comparison}, the smallest p-value this "
                f"test can give is {format_number(smallest_p, 3)}, so no result can be "
                f"significant at the {format_number(100 * alpha, 0)}% level."
            )
    elif n_treated < FEW_TREATED:
        too = "too large" if inference == "wild_bootstrap" else "too small"
        method = (
            "wild bootstrap" if inference == "wild_bootstrap" else "cluster-robust standard error"
        )
        caveats.append(
            f"With only {councils}, the {method} gives p-values that tend to be {too}; "
            "randomisation inference over councils is more reliable here."
        )
    return tuple(caveats)


# --------------------------------------------------------------------------------------------
# Event study and pre-trends
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventStudy:
    """Differences between participating and comparison councils period by period, relative to
    the last period before the programme (two-way fixed effects; the reference is 0).

    ``table`` has columns period, relative (periods from the start: -1 is the reference),
    estimate, se, ci_lower, ci_upper (at ``level``), tost_lower, tost_upper (at ``1 - 2(1 -
    level)``, for equivalence), post (bool), reference (bool).
    """

    table: pd.DataFrame
    reference: str
    level: float
    n_treated: int
    n_comparison: int


def estimate_event_study(
    values: pd.DataFrame,
    *,
    treated: Iterable[str],
    start: str,
    outcome: str = "value",
    unit: str = "authority",
    period: str = "period",
    comparison: Iterable[str] | None = None,
    level: float = 0.95,
) -> EventStudy:
    """Leads and lags of a programme's effect (an event study), by two-way fixed effects.

    Method: OLS of ``y_ct = a_c + g_t + sum_k d_k (participating_c x [t = k]) + e_ct`` over
    every period ``k`` except the last one before ``start`` (the reference), with cluster-robust
    standard errors by council and t(G - 1) intervals (Freyaldenhoven et al. 2021, "Visualization,
    identification, and estimation in the linear panel event-study design", NBER WP 29170;
    Angrist & Pischke 2009, section 5.2). All participating councils start together, so ``d_k``
    for a period before the start is a pre-programme difference (a lead) and after it the
    effect in that period (a lag). Beside each interval at ``level`` is the ``1 - 2 alpha``
    interval used by the two one-sided tests of equivalence (:func:`check_pre_trends`).

    Parameters
    ----------
    values, treated, start, outcome, unit, period, comparison, level
        As for :func:`estimate_did`.

    Returns
    -------
    EventStudy

    Raises
    ------
    AnalysisError
        As :func:`estimate_did`.
    """
    import statsmodels.api as sm
    from scipy import stats

    panel = did_panel(values, treated, start, outcome, unit, period, comparison)
    fe = fixed_effects_panel(panel, unit, period)
    pre = [i for i, post in enumerate(fe.post_periods) if not post]
    reference = pre[-1]
    others = [k for k in range(len(fe.periods)) if k != reference]
    treated_row = fe.treated_units[fe.unit_index]
    leads = np.column_stack([(treated_row & (fe.period_index == k)) * 1.0 for k in others])
    design = np.column_stack([leads, fe.basis])
    fit = sm.OLS(fe.y, design).fit(cov_type="cluster", cov_kwds={"groups": fe.unit_index})
    g = len(fe.units)
    # statsmodels' cluster factor uses the design's columns; the basis spans the same space
    coef, se = np.asarray(fit.params)[: len(others)], np.asarray(fit.bse)[: len(others)]
    alpha = 1 - level
    crit = float(stats.t.ppf(1 - alpha / 2, g - 1))
    crit_tost = float(stats.t.ppf(1 - alpha, g - 1))
    rows = [
        {
            "period": fe.periods[k],
            "relative": k - reference - 1,
            "estimate": float(b),
            "se": float(s),
            "ci_lower": float(b - crit * s),
            "ci_upper": float(b + crit * s),
            "tost_lower": float(b - crit_tost * s),
            "tost_upper": float(b + crit_tost * s),
        }
        for k, b, s in zip(others, coef, se)
    ]
    rows.append(
        {"period": fe.periods[reference], "relative": -1, "estimate": 0.0, "se": 0.0}
        | {c: 0.0 for c in ("ci_lower", "ci_upper", "tost_lower", "tost_upper")}
    )
    table = pd.DataFrame(rows).sort_values("relative").reset_index(drop=True)
    table["post"] = table["period"].map(dict(zip(fe.periods, fe.post_periods))).astype(bool)
    table["reference"] = table["period"] == fe.periods[reference]
    n_treated = int(fe.treated_units.sum())
    return EventStudy(table, fe.periods[reference], level, n_treated, g - n_treated)


@dataclass(frozen=True)
class PreTrendResult:
    """Equivalence check of pre-programme trends (two one-sided tests).

    Attributes
    ----------
    evidenced : bool or None
        True when every pre-programme difference's ``1 - 2 alpha`` interval lies within
        ``+-margin_units``; False when not; None when there is no period to check (only one
        before the programme).
    margin : float
        The equivalence margin in standard deviations (the parameter).
    margin_units : float
        The margin in the indicator's units: ``margin x`` the standard deviation of the
        indicator across councils in the reference period.
    spread : float
        That standard deviation.
    reference : str
        The last period before the programme.
    n_pre_periods : int
        Periods before the programme, the reference included.
    lowest, highest : float
        The lowest lower end and highest upper end of the pre-programme intervals.
    largest_difference : float
        The pre-programme difference furthest from 0 (signed).
    level : float
        The confidence level; the intervals are at ``1 - 2 (1 - level)``.
    """

    evidenced: bool | None
    margin: float
    margin_units: float
    spread: float
    reference: str
    n_pre_periods: int
    lowest: float
    highest: float
    largest_difference: float
    level: float

    @property
    def tost_level(self) -> float:
        """Level of the equivalence intervals, ``1 - 2 (1 - level)`` (0.90 for 0.95)."""
        return 1 - 2 * (1 - self.level)


def check_pre_trends(
    study: EventStudy,
    values: pd.DataFrame,
    *,
    margin: float = 0.25,
    unit: str = "authority",
    period: str = "period",
    outcome: str = "value",
) -> PreTrendResult:
    """Judge parallel pre-programme trends by equivalence, not by a failure to reject.

    Method: two one-sided tests (TOST; Schuirmann 1987) on each pre-programme difference of an
    event study (:func:`estimate_event_study`): trends are *evidenced* as parallel only if every
    lead's ``1 - 2 alpha`` interval lies inside ``+-margin`` (intersection-union, so the whole
    judgement has size alpha; Berger & Hsu 1996). A non-significant test of difference is never
    enough (Hartman & Hidalgo 2018, "An equivalence approach to balance and placebo tests", AJPS
    62:1000; Bilinski & Hatfield 2018, "Nothing to see here? Non-inferiority approaches to
    parallel trends", arXiv:1805.03273). The margin is in standard deviations of the indicator
    across councils in the reference period, so one parameter serves every indicator.

    Parameters
    ----------
    study : EventStudy
    values : DataFrame
        The indicator values the study used (for the standard deviation).
    margin : float
        Equivalence margin in standard deviations; must be positive.
    unit, period, outcome : str
        Column names of ``values``.

    Returns
    -------
    PreTrendResult

    Raises
    ------
    ParameterError
        If the margin is not a positive number.
    """
    if not (isinstance(margin, (int, float)) and math.isfinite(margin) and margin > 0):
        raise ParameterError(
            [
                f"the equivalence margin must be a positive number of standard deviations "
                f"(e.g. 0.25), got {margin!r}"
            ]
        )
    table = study.table
    leads = table[~table["post"] & ~table["reference"]]
    in_reference = values[values[period].astype(str) == study.reference]
    spread = float(pd.to_numeric(in_reference[outcome]).std(ddof=1))
    margin_units = margin * spread
    if leads.empty:
        return PreTrendResult(
            None,
            margin,
            margin_units,
            spread,
            study.reference,
            1,
            np.nan,
            np.nan,
            np.nan,
            study.level,
        )
    lowest, highest = float(leads["tost_lower"].min()), float(leads["tost_upper"].max())
    largest = float(leads["estimate"].iloc[int(leads["estimate"].abs().argmax())])
    return PreTrendResult(
        evidenced=bool(-margin_units < lowest and highest < margin_units),
        margin=margin,
        margin_units=margin_units,
        spread=spread,
        reference=study.reference,
        n_pre_periods=len(leads) + 1,
        lowest=lowest,
        highest=highest,
        largest_difference=largest,
        level=study.level,
    )


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
        Wilcoxon: share giving a higher answer minus share giving a lower one. McNemar: change
        in the proportion answering yes, (no->yes - yes->no) / n.
    statistic, p_value : float
        Missing when nobody changed their answer (no test is possible).
    n : int
        Complete pairs used.
    finding : str
        A plain-language sentence.
    details : dict
        Wilcoxon: n_improved, n_same, n_worsened, rank_sum_up, rank_sum_down, mean_change.
        McNemar: the 2x2 counts yes_yes, yes_no, no_yes, no_no.
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


def paired_change_counts(diff: np.ndarray) -> dict[str, int]:
    """How many paired answers went up, stayed the same and went down."""
    return {
        "n_improved": int((diff > 0).sum()),
        "n_same": int((diff == 0).sum()),
        "n_worsened": int((diff < 0).sum()),
    }


def describe_paired_counts(counts: Mapping[str, int], n: int) -> str:
    """``"34 of 59 participants (58%) gave a higher answer after the programme, 20 (34%) the
    same and 5 (8%) a lower one"``; shares rounded half up."""

    def share(k: int) -> str:
        return format_number(100 * k / n, 0, "%")

    up, same, down = counts["n_improved"], counts["n_same"], counts["n_worsened"]
    return (
        f"{up} of {plural(n, 'participant')} ({share(up)}) gave a higher answer after the "
        f"programme, {same} ({share(same)}) the same and {down} ({share(down)}) a lower one"
    )


def compare_paired_scale(
    before: Any,
    after: Any,
    *,
    question: str = "score",
    alpha: float = 0.05,
    label: str | None = None,
) -> PairedTestResult:
    """Compare paired scale answers before and after: who gave a higher, the same and a lower
    answer, with the Wilcoxon signed-rank test.

    Method: the differences ``after - before`` are counted as up, unchanged and down; the test
    is ``scipy.stats.wilcoxon`` with Pratt's treatment of zeros (Pratt 1959, "Remarks on zeros
    and ties in the Wilcoxon signed rank procedures", JASA 54:655; Conover 1999, *Practical
    Nonparametric Statistics*, 3rd ed., section 5.7): unchanged answers are ranked with the
    others and their ranks then dropped, so that many unchanged answers make a change harder to
    find rather than being ignored. Two-sided; exact without zeros or ties in small samples,
    else the normal approximation with ties corrected (as scipy chooses). The
    direction is that of the larger signed rank sum. No median change is reported: with answers
    on a 1-5 scale it is usually 0 or 1 and says nothing about the rest.

    Parameters
    ----------
    before, after : array-like
        Numeric answers, paired by position (element i is the same participant); pairs with a
        missing answer are dropped.
    question : str
        Name of the question for the finding.
    alpha : float
        Significance level for the finding.
    label : str, optional
        How the finding names the question (its wording); ``question`` when None.

    Returns
    -------
    PairedTestResult
        ``estimate`` is the share who gave a higher answer minus the share who gave a lower one
        (between -1 and 1); ``details`` holds n_improved, n_same, n_worsened, rank_sum_up,
        rank_sum_down (Pratt ranks) and mean_change.
    """
    from scipy import stats

    name = label or question
    b, a = _complete_pairs(before, after)
    diff = (pd.to_numeric(a) - pd.to_numeric(b)).astype("float64").to_numpy()
    n = len(diff)
    if n == 0:
        raise AnalysisError(f"{question}: no complete before-and-after pairs to compare.")
    counts = paired_change_counts(diff)
    ranks = stats.rankdata(np.abs(diff))  # Pratt: zeros take the lowest ranks, then drop out
    up, down = float(ranks[diff > 0].sum()), float(ranks[diff < 0].sum())
    details = {**counts, "rank_sum_up": up, "rank_sum_down": down, "mean_change": diff.mean()}
    estimate = (counts["n_improved"] - counts["n_worsened"]) / n
    test = "Wilcoxon signed-rank (Pratt)"
    if counts["n_same"] == n:
        return PairedTestResult(
            question,
            test,
            estimate,
            np.nan,
            np.nan,
            n,
            f"{name}: every one of the {plural(n, 'participant')} gave the same answer "
            "before and after, so there is nothing to test.",
            details,
        )
    res = stats.wilcoxon(diff, zero_method="pratt")
    p = float(res.pvalue)
    verdict = (
        f"a statistically significant {'rise' if up > down else 'fall'}"
        if p < alpha
        else "no statistically significant change"
    )
    finding = (
        f"{name}: {describe_paired_counts(counts, n)} (Wilcoxon signed-rank test, "
        f"{format_p_value(p)}): {verdict}."
    )
    return PairedTestResult(question, test, estimate, float(res.statistic), p, n, finding, details)


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
    label: str | None = None,
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
    label : str, optional
        How the finding names the question (its wording); ``question`` when None.

    Returns
    -------
    PairedTestResult
        ``estimate`` is the change in the proportion answering yes, (c - b) / n, with its
        interval in ``ci_lower`` and ``ci_upper``.
    """
    from statsmodels.stats.contingency_tables import mcnemar

    name = label or question
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
        f"{format_number(100 * (1 - alpha), 0)}% interval "
        f"{format_number(100 * change.low, 1)} to {format_number(100 * change.high, 1)} points"
    )
    if up + down == 0:
        return PairedTestResult(
            question,
            "McNemar",
            estimate,
            np.nan,
            np.nan,
            n,
            f"{name}: none of the {plural(n, 'participant')} changed their answer "
            f"({interval}), so there is nothing to test.",
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
        f"a statistically significant {'rise' if up > down else 'fall'}"
        if res.pvalue < alpha
        else "no statistically significant change"
    )
    finding = (
        f"{name}: {up} of {plural(n, 'participant')} changed from no to yes and {down} "
        f"from yes to no, so the share answering yes "
        f"{'rose' if estimate > 0 else 'fell'} by "
        f"{format_number(100 * abs(estimate), 1, 'percentage points')} ({interval}; "
        f"{test}, {format_p_value(res.pvalue)}): {verdict} in the share answering yes."
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
    labels: Mapping[str, str] | None = None,
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
    labels : mapping, optional
        The wording of each question for the findings; a question not in it is named by its
        column.

    Returns
    -------
    DataFrame
        question, test, estimate, ci_lower, ci_upper (Newcombe's paired interval for yes/no
        questions, missing for scales), statistic, p_value, n, finding, n_higher, n_same,
        n_lower (:func:`paired_directions`); one row per question.
    """
    questions = list(scale_questions) + list(binary_questions)
    for name, frame in (("before", before), ("after", after)):
        missing = [c for c in [id_column, *questions] if c not in frame.columns]
        if missing:
            raise AnalysisError(f"the {name} survey table is missing column(s) {missing}.")

    def word(q: str) -> str:
        return (labels or {}).get(q, q)

    paired = before[[id_column, *questions]].merge(
        after[[id_column, *questions]], on=id_column, suffixes=("_before", "_after")
    )
    results = [
        compare_paired_scale(
            paired[f"{q}_before"], paired[f"{q}_after"], question=q, alpha=alpha, label=word(q)
        )
        for q in scale_questions
    ]
    results += [
        compare_paired_binary(
            paired[f"{q}_before"], paired[f"{q}_after"], question=q, alpha=alpha, label=word(q)
        )
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
    rows = [{c: getattr(r, c) for c in columns} | paired_directions(r) for r in results]
    return pd.DataFrame(rows, columns=[*columns, "n_higher", "n_same", "n_lower"])


def paired_directions(result: PairedTestResult) -> dict[str, int]:
    """How many participants answered higher (or changed from no to yes), the same, and lower
    (or changed from yes to no) after the programme."""
    d = result.details
    if "n_improved" in d:
        return {"n_higher": d["n_improved"], "n_same": d["n_same"], "n_lower": d["n_worsened"]}
    return {
        "n_higher": d["no_yes"],
        "n_same": d["yes_yes"] + d["no_no"],
        "n_lower": d["yes_no"],
    }


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
