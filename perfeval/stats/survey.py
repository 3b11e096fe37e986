"""Survey estimates a statistician would sign: the sample design, design-based results and
comparisons.

The module turns respondent-level survey data (one row per respondent) into results:

* :func:`estimate` - weighted means, proportions and totals, overall or by one or two breakdowns,
  with design-based standard errors (Taylor linearisation, as R's ``survey`` package computes them
  with ``svymean`` / ``svytotal`` / ``svyby``), confidence intervals, unweighted and effective
  bases.
* :func:`compare_waves` and :func:`compare_groups_with_rest` - is a difference real? Newcombe's
  interval for proportions (a z-test for means), significant when the interval excludes zero,
  with a Holm adjustment of the intervals' level when many are tested at once, and a
  plain-language finding (:data:`COMPARISON_METHOD`).

Weighting to population margins is in :mod:`perfeval.stats.weighting` (:func:`rake_weights`,
:func:`weighting_design_effect`) and what may be published in :mod:`perfeval.stats.disclosure`
(:func:`apply_disclosure_control`, ``[low]`` and ``[c]``); both are re-exported here until 0.3.

Conventions
-----------
* Proportions are fractions between 0 and 1; format them for display with
  :func:`perfeval.stats.disclosure.format_percentage_with_base`.
* A respondent whose answer is missing (NaN/None/NA) is excluded from that question's estimate: the
  estimate is over valid answers only. Exclusion is done as a *domain* estimate over the full design
  (like ``na.rm=TRUE`` in R's ``survey``), so standard errors still reflect the whole sample design.
  Recode "don't know" and similar non-answers to missing first if they are to be excluded.
* Respondents whose breakdown value is missing belong to no group and appear in no by-group row.
* PSU (cluster) identifiers are taken to be nested within strata (R's ``nest=TRUE``).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests

from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.stats import intervals
from perfeval.stats._respondents import numeric_column, validated_weights

# moved to perfeval.stats.disclosure; re-exported until 0.3
from perfeval.stats.disclosure import (
    LOW_BASE,
    NOT_AVAILABLE,
    SUPPRESSED,
    apply_disclosure_control,
    format_percentage_with_base,
    format_publication_table,
)

# moved to perfeval.stats.weighting; re-exported until 0.3
from perfeval.stats.weighting import RakingReport, rake_weights, weighting_design_effect

__all__ = [
    "ADJUSTMENTS",
    "COMPARISON_METHOD",
    "RESULT_COLUMNS",
    "SINGLE_PSU_RULES",
    "STATISTICS",
    "compare_groups_with_rest",
    "compare_waves",
    "estimate",
    # moved to perfeval.stats.disclosure; re-exported until 0.3
    "LOW_BASE",
    "NOT_AVAILABLE",
    "SUPPRESSED",
    "apply_disclosure_control",
    "format_percentage_with_base",
    "format_publication_table",
    # moved to perfeval.stats.weighting; re-exported until 0.3
    "RakingReport",
    "rake_weights",
    "weighting_design_effect",
]

STATISTICS = ("mean", "proportion", "total")
SINGLE_PSU_RULES = ("fail", "adjust", "certainty")
ADJUSTMENTS = ("holm", None)

RESULT_COLUMNS = (
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "base",
    "effective_base",
    "weighted_base",
    "count",
    "ci_method",
)

_DENSE_KEY_LIMIT = 20_000_000


# --------------------------------------------------------------------------------------------
# Sample design
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Design:
    """A sample design reduced to integer codes: what the variance formula needs."""

    weights: np.ndarray  # (n,) positive weights
    weights_squared: np.ndarray  # (n,) weights ** 2, computed once
    stratum: np.ndarray  # (n,) stratum code of each row, 0..H-1
    psu: np.ndarray | None  # (n,) PSU code 0..P-1, or None when each row is its own PSU
    stratum_of_psu: np.ndarray | None  # (P,) stratum code of each PSU
    n_psu: np.ndarray  # (H,) number of sampled PSUs per stratum
    fpc_factor: np.ndarray  # (H,) (N_h - n_h) / N_h; 1 without an fpc
    single_psu: str
    is_complex: bool  # strata, cluster or fpc given


def _clusters(design: _Design) -> tuple[np.ndarray, np.ndarray]:
    """The PSU code of each row and the stratum of each PSU, of a design with clusters."""
    if design.psu is None or design.stratum_of_psu is None:
        raise AnalysisError(
            "the survey design has no clusters (each respondent is its own PSU), "
            "so there are no PSU totals to sum; this is a bug in perfeval, "
            "please report it"
        )
    return design.psu, design.stratum_of_psu


def _check_columns(df: pd.DataFrame, named: dict[str, str | None]) -> None:
    missing = [
        f"{argument}={column!r}"
        for argument, column in named.items()
        if column is not None and column not in df.columns
    ]
    if missing:
        raise AnalysisError(
            f"Column(s) not found in the survey data: {', '.join(missing)}. "
            f"Available columns: {list(df.columns)!r}. Check the spelling or the parameters file."
        )


def _codes_without_missing(
    df: pd.DataFrame, column: str, argument: str
) -> tuple[np.ndarray, pd.Index]:
    codes, labels = pd.factorize(df[column], sort=True)
    missing = int((codes < 0).sum())
    if missing:
        raise AnalysisError(
            f"{argument} column {column!r} has {missing} missing value(s); every respondent needs "
            f"a {argument} to compute design-based standard errors. Fill them in the data."
        )
    return codes.astype(np.int64), pd.Index(labels)


def _population_psus(
    df: pd.DataFrame, fpc: str, stratum: np.ndarray, n_psu: np.ndarray, labels: pd.Index
) -> np.ndarray:
    """Population number of PSUs per stratum from an ``fpc`` column, as R's svydesign reads it."""
    values = numeric_column(df, fpc, "fpc")
    if np.isnan(values).any() or (values <= 0).any():
        raise AnalysisError(
            f"fpc column {fpc!r} must be positive for every respondent; found "
            f"{int(np.isnan(values).sum())} missing and {int((values <= 0).sum())} non-positive."
        )
    per_stratum = pd.Series(values).groupby(stratum).agg(["min", "max"])
    varying = per_stratum.index[per_stratum["min"] != per_stratum["max"]]
    if len(varying):
        raise AnalysisError(
            f"fpc column {fpc!r} must be constant within each stratum; it varies in stratum "
            f"{labels[varying[0]]!r}. Give the stratum's population size on every row."
        )
    first = per_stratum["min"].reindex(range(len(n_psu))).to_numpy()
    if (first <= 1).all():  # sampling fractions, as R treats fpc values <= 1
        return n_psu / first
    if (first < 1).any():
        raise AnalysisError(
            f"fpc column {fpc!r} mixes sampling fractions (<= 1) and population sizes (> 1); "
            f"use population sizes throughout."
        )
    too_small = np.flatnonzero(first < n_psu)
    if len(too_small):
        h = too_small[0]
        raise AnalysisError(
            f"fpc column {fpc!r} says stratum {labels[h]!r} has {first[h]:g} units in the "
            f"population but {n_psu[h]} were sampled. fpc must be the population size of the "
            f"stratum (number of PSUs in the population for a cluster design)."
        )
    return first


def _encode_psus(
    df: pd.DataFrame, cluster: str, stratum: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """PSU code of each row, PSUs nested within strata (R's ``nest=TRUE``), and each PSU's
    stratum."""
    cluster_code, _ = _codes_without_missing(df, cluster, "cluster")
    psu, _ = pd.factorize(stratum * (int(cluster_code.max()) + 1) + cluster_code)
    stratum_of_psu = np.zeros(int(psu.max()) + 1, dtype=np.int64)
    stratum_of_psu[psu] = stratum
    return psu.astype(np.int64), stratum_of_psu


def _describe_design(
    df: pd.DataFrame,
    *,
    weight: str | None,
    strata: str | None,
    cluster: str | None,
    fpc: str | None,
    single_psu: str,
) -> _Design:
    """Reduce the design columns of ``df`` to the codes the variance estimator uses."""
    if single_psu not in SINGLE_PSU_RULES:
        raise ParameterError([f"single_psu must be one of {SINGLE_PSU_RULES}; got {single_psu!r}"])
    if len(df) == 0:
        raise AnalysisError("The survey data has no rows; there is nothing to estimate.")
    if strata is not None:
        stratum, labels = _codes_without_missing(df, strata, "strata")
    else:
        stratum, labels = np.zeros(len(df), dtype=np.int64), pd.Index(["(all)"])
    n_strata = len(labels)
    psu = stratum_of_psu = None
    if cluster is not None:
        psu, stratum_of_psu = _encode_psus(df, cluster, stratum)
        n_psu = np.bincount(stratum_of_psu, minlength=n_strata)
    else:
        n_psu = np.bincount(stratum, minlength=n_strata)
    fpc_factor = np.ones(n_strata)
    if fpc is not None:
        population = _population_psus(df, fpc, stratum, n_psu, labels)
        fpc_factor = (population - n_psu) / population
    if weight is not None:
        weights = validated_weights(df, weight)
    elif fpc is not None:  # as R: weights implied by the fpc (N_h / n_h)
        weights = (population / n_psu)[stratum]
    else:
        weights = np.ones(len(df))
    _check_single_psu_strata(n_psu, fpc_factor, labels, single_psu)
    return _Design(
        weights,
        weights**2,
        stratum,
        psu,
        stratum_of_psu,
        n_psu,
        fpc_factor,
        single_psu,
        is_complex=any(x is not None for x in (strata, cluster, fpc)),
    )


def _check_single_psu_strata(
    n_psu: np.ndarray, fpc_factor: np.ndarray, labels: pd.Index, single_psu: str
) -> None:
    lonely = np.flatnonzero((n_psu == 1) & (fpc_factor > 1e-7))
    if single_psu == "fail" and len(lonely):
        names = ", ".join(repr(labels[h]) for h in lonely[:10])
        raise AnalysisError(
            f"{len(lonely)} stratum/strata have only one sampled PSU ({names}), so their "
            f"variance cannot be estimated. Merge each with a similar stratum, or pass "
            f"single_psu='adjust' (centre it at the overall mean, like R's "
            f"options(survey.lonely.psu='adjust')) or single_psu='certainty'."
        )


# --------------------------------------------------------------------------------------------
# Variance by Taylor linearisation
# --------------------------------------------------------------------------------------------


def _cell_codes(domain: np.ndarray, design: _Design) -> np.ndarray:
    """Code of each respondent's (domain, stratum) cell: ``domain * H + stratum``."""
    n_strata = len(design.n_psu)
    return domain * n_strata + design.stratum if n_strata > 1 else domain


def _sum_by_cell(
    cell: np.ndarray, n_groups: int, n_strata: int, values: np.ndarray | None = None
) -> np.ndarray:
    """Sum ``values`` (or count rows) by (domain, stratum) cell: a (n_groups, H) array.

    Cells of the extra domain ``n_groups`` (respondents in no domain) are dropped.
    """
    sums = np.bincount(cell, weights=values, minlength=(n_groups + 1) * n_strata)
    return sums.reshape(n_groups + 1, n_strata)[:-1]


def _sum_by_psu(
    domain: np.ndarray, values: np.ndarray, n_groups: int, design: _Design
) -> np.ndarray:
    """Sum ``values`` by (domain, PSU): a dense (n_groups, P) array, zero where a PSU has no
    member."""
    psu, stratum_of_psu = _clusters(design)
    n_psus = len(stratum_of_psu)
    sums = np.bincount(domain * n_psus + psu, weights=values, minlength=(n_groups + 1) * n_psus)
    return sums.reshape(n_groups + 1, n_psus)[:-1]


def _moments_over_psus(totals: np.ndarray, design: _Design) -> tuple[np.ndarray, np.ndarray]:
    """Sum and sum of squares of (n_groups, P) PSU totals within each stratum: two (n_groups, H)."""
    n_groups, n_strata = totals.shape[0], len(design.n_psu)
    _, stratum_of_psu = _clusters(design)
    cell = (np.arange(n_groups)[:, None] * n_strata + stratum_of_psu[None, :]).ravel()
    moments = [
        np.bincount(cell, weights=values.ravel(), minlength=n_groups * n_strata)
        for values in (totals, totals**2)
    ]
    return moments[0].reshape(n_groups, n_strata), moments[1].reshape(n_groups, n_strata)


def _dense_psu_sums_fit(n_groups: int, design: _Design) -> bool:
    return (n_groups + 1) * len(_clusters(design)[1]) <= _DENSE_KEY_LIMIT


def _moments_of_linearised(
    z: np.ndarray, domain: np.ndarray, n_groups: int, design: _Design
) -> tuple[np.ndarray, np.ndarray]:
    """Sum and sum of squares, over each stratum's PSUs, of each domain's PSU totals of ``z``."""
    n_strata = len(design.n_psu)
    if design.psu is None:
        cell = _cell_codes(domain, design)
        return (
            _sum_by_cell(cell, n_groups, n_strata, z),
            _sum_by_cell(cell, n_groups, n_strata, z * z),
        )
    if _dense_psu_sums_fit(n_groups, design):
        return _moments_over_psus(_sum_by_psu(domain, z, n_groups, design), design)
    psu, stratum_of_psu = _clusters(design)
    n_psus = len(stratum_of_psu)  # very many (group, PSU) pairs: sum only those present
    units, inverse = np.unique(domain * n_psus + psu, return_inverse=True)
    totals = np.bincount(inverse, weights=z)
    cell = (units // n_psus) * n_strata + stratum_of_psu[units % n_psus]
    return (
        _sum_by_cell(cell, n_groups, n_strata, totals),
        _sum_by_cell(cell, n_groups, n_strata, totals**2),
    )


def _variance_from_moments(s1: np.ndarray, s2: np.ndarray, design: _Design) -> np.ndarray:
    """Design-based variance of each domain estimator from moments of its linearised PSU totals.

    ``s1[g, h]`` and ``s2[g, h]`` are the sum and the sum of squares, over the ``n_h`` sampled
    PSUs of stratum ``h``, of domain ``g``'s PSU totals ``Z_hj`` of linearised (influence)
    values (a PSU with no member of the domain has ``Z_hj = 0``). The variance is the
    with-replacement ("ultimate cluster") estimator, with the finite population correction
    ``1 - n_h/N_h`` when given,
    ``v = sum_h (1 - n_h/N_h) n_h/(n_h - 1) sum_j (Z_hj - mean_h Z)^2`` and
    ``sum_j (Z_hj - mean_h Z)^2 = s2 - s1^2 / n_h`` (Cochran 1977, Sampling Techniques,
    eq. 11.30; Wolter 2007, Introduction to Variance Estimation, ch. 6; the formula of R survey's
    ``svyrecvar``). Sums of squares below 1e-10 of ``s2`` are rounding noise and set to zero.
    """
    n_h = design.n_psu.astype(float)
    centre = s1 / n_h
    lonely = n_h == 1
    if design.single_psu == "adjust":
        # R survey's lonely.psu = "adjust" (R/multistage.R, onestrat): a lonely PSU is not
        # centred on its stratum, i.e. it is centred at zero, the population mean of linearised
        # values of a mean or proportion.
        centre = np.where(lonely, 0.0, centre)
    squares = s2 - 2 * centre * s1 + n_h * centre**2
    squares = np.where(squares > 1e-10 * s2, squares, 0.0)
    scale = design.fpc_factor * np.where(
        lonely, 0.0 if design.single_psu == "certainty" else 1.0, n_h / np.maximum(n_h - 1, 1)
    )
    return (scale * squares).sum(axis=1)


# --------------------------------------------------------------------------------------------
# Responses and groups
# --------------------------------------------------------------------------------------------


def _as_by_columns(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    columns = [by] if isinstance(by, str) else list(by)
    if len(columns) > 2 or len(set(columns)) != len(columns):
        raise ParameterError(
            [
                f"by must be None, a column name or a list of up to two distinct "
                f"column names; got {by!r}"
            ]
        )
    return columns


def _encode_groups(df: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Code each row's group 0..G-1 (G when a breakdown value is missing); one row per observed
    group."""
    if not by:
        return np.zeros(len(df), dtype=np.int64), pd.DataFrame(index=range(1))
    combined = np.zeros(len(df), dtype=np.int64)
    known = np.ones(len(df), dtype=bool)
    uniques, sizes = [], []
    for column in by:
        codes, labels = pd.factorize(df[column], sort=True)
        known &= codes >= 0
        combined = combined * max(len(labels), 1) + codes
        uniques.append(labels)
        sizes.append(max(len(labels), 1))
    present = np.flatnonzero(np.bincount(combined[known], minlength=math.prod(sizes)))
    lookup = np.full(math.prod(sizes), len(present), dtype=np.int64)
    lookup[present] = np.arange(len(present))
    group = np.where(known, lookup[np.where(known, combined, 0)], len(present))
    columns, rest = {}, present
    for column, labels, size in zip(reversed(by), reversed(uniques), reversed(sizes)):
        columns[column] = pd.Series(labels.take(rest % size)).reset_index(drop=True)
        rest = rest // size
    return group, pd.DataFrame({column: columns[column] for column in by})


def _indicator_values(
    series: pd.Series, positive: Collection[Hashable], variable: str
) -> np.ndarray:
    codes = list(positive)
    if not codes:
        raise ParameterError([f"positive must list at least one response code for {variable!r}"])
    numeric_codes = all(
        isinstance(c, (int, float, np.number)) and not isinstance(c, bool) for c in codes
    )
    numeric_series = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(
        series
    )
    if numeric_codes and numeric_series:
        hit = np.isin(series.to_numpy(dtype=float, na_value=np.nan), np.asarray(codes, dtype=float))
    else:
        hit = series.isin(codes).to_numpy(dtype=bool)
    if not hit.any() and series.notna().any():
        if pd.api.types.is_numeric_dtype(series) != numeric_codes:
            raise ParameterError(
                [
                    f"none of the positive codes {codes!r} occur in column {variable!r} (dtype "
                    f"{series.dtype}); the codes and the answers look like different types "
                    f"(e.g. '1' versus 1). Give the codes as they appear in the data."
                ]
            )
    return hit.astype(float)


def _response_values(
    df: pd.DataFrame, variable: str, statistic: str, positive: Collection[Hashable] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Return each respondent's value (0 where invalid) and whether the answer is valid."""
    series = df[variable]
    valid = series.notna().to_numpy(dtype=bool)
    if positive is not None:
        values = _indicator_values(series, positive, variable)
    elif pd.api.types.is_bool_dtype(series):
        values = series.fillna(False).to_numpy(dtype=float)
    else:
        values = numeric_column(df, variable, "variable")
        if statistic == "proportion" and not np.isin(values[valid], (0.0, 1.0)).all():
            raise AnalysisError(
                f"statistic='proportion' needs column {variable!r} to hold 0/1 or True/False, "
                f"or a positive= list of the response codes that count; found other values "
                f"such as {np.unique(values[valid & ~np.isin(values, (0.0, 1.0))])[:5].tolist()}."
            )
        if np.isinf(values).any():
            raise AnalysisError(f"Column {variable!r} holds infinite values; fix them first.")
    return np.where(valid, values, 0.0), valid


def _check_estimate_arguments(statistic: str, positive: object, level: float) -> None:
    problems = []
    if statistic not in STATISTICS:
        problems.append(f"statistic must be one of {STATISTICS}; got {statistic!r}")
    if statistic == "mean" and positive is not None:
        problems.append(
            "positive= turns the answers into a yes/no indicator: ask for "
            "statistic='proportion' (a share) or statistic='total' (a count)"
        )
    if isinstance(positive, (str, bytes)):
        problems.append(
            f"positive must be a collection of codes such as [{positive!r}], not a single string"
        )
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        problems.append(
            f"level must be a confidence level between 0 and 1, e.g. 0.95; got {level!r}"
        )
    if problems:
        raise ParameterError(problems)


# --------------------------------------------------------------------------------------------
# Estimation
# --------------------------------------------------------------------------------------------


def _normal_quantile(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def _wilson_interval(p: np.ndarray, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion ``p`` on ``n`` (here the effective base).

    :func:`perfeval.stats.intervals.wilson_interval` on the effective count ``p * n`` (Wilson 1927;
    for weighted data n is the Kish (1965) effective sample size ``(sum w)^2 / sum w^2``, the
    approach evaluated by Dean & Pagano 2015, J. Survey Statistics and Methodology 3, 484-503).
    ``n = 0`` gives a missing interval.
    """
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore"):
        count = np.where(n > 0, np.clip(p, 0, 1) * n, np.nan)
    low, high = intervals.wilson_interval(count, np.where(n > 0, n, np.nan), level)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def _ratio_moments(
    y: np.ndarray,
    domain: np.ndarray,
    cell: np.ndarray,
    n_groups: int,
    design: _Design,
    statistic: str,
    sums: dict[str, np.ndarray],
    estimate: np.ndarray,
    indicator: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Moments of the linearised values of a total or ratio mean, by (domain, stratum).

    A total ``sum w y`` has linearised value ``w y``; a mean ``sum w y / sum w`` has
    ``w (y - mean) / sum w`` (Woodruff 1971, JASA 66, 411-414). These are linear in ``w y`` and
    ``w``, so a PSU's total is ``(T - mean * S) / sum w`` from its sums ``T`` of ``w y`` and
    ``S`` of ``w``; without clusters (each respondent a PSU) the moments follow from cell sums of
    ``w y``, ``w``, ``w^2 y^2``, ``w^2 y`` and ``w^2``. Either way no per-respondent pass is
    needed beyond a few sums.
    """
    n_strata = len(design.n_psu)
    mean = np.nan_to_num(estimate)[:, None]
    total_weight = sums["w"].sum(axis=1, keepdims=True)
    total_weight = np.where(total_weight > 0, total_weight, 1.0)
    if design.psu is not None and not _dense_psu_sums_fit(n_groups, design):
        z = sums["wy_rows"]
        if statistic != "total":
            mean_of = np.append(mean[:, 0], 0.0)[domain]
            z = (z - design.weights * mean_of) / np.append(total_weight[:, 0], 1.0)[domain]
        return _moments_of_linearised(z, domain, n_groups, design)
    if design.psu is not None:
        totals = _sum_by_psu(domain, sums["wy_rows"], n_groups, design)
        if statistic != "total":
            weight_sums = _sum_by_psu(domain, design.weights, n_groups, design)
            totals = (totals - mean * weight_sums) / total_weight
        return _moments_over_psus(totals, design)
    w2y = design.weights_squared * y
    w2y_cells = _sum_by_cell(cell, n_groups, n_strata, w2y)
    w2y2_cells = w2y_cells if indicator else _sum_by_cell(cell, n_groups, n_strata, w2y * y)
    if statistic == "total":
        return sums["wy"], w2y2_cells
    s1 = (sums["wy"] - mean * sums["w"]) / total_weight
    s2 = (w2y2_cells - 2 * mean * w2y_cells + mean**2 * sums["w2"]) / total_weight**2
    return s1, s2


def _domain_estimates(
    y: np.ndarray,
    valid: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    design: _Design,
    statistic: str,
    level: float,
    indicator: bool,
) -> pd.DataFrame:
    """Estimates, standard errors and bases for every domain (group x valid answer) at once.

    ``group`` codes each respondent's group, with ``n_groups`` for "no group"; a respondent
    with an invalid answer is moved to that bin too, so each step is one vectorised pass.
    """
    domain = np.where(valid, group, n_groups)
    cell, n_strata = _cell_codes(domain, design), len(design.n_psu)
    wy = design.weights * y
    sums = {
        "n": _sum_by_cell(cell, n_groups, n_strata),
        "w": _sum_by_cell(cell, n_groups, n_strata, design.weights),
        "w2": _sum_by_cell(cell, n_groups, n_strata, design.weights_squared),
        "wy": _sum_by_cell(cell, n_groups, n_strata, wy),
        "wy_rows": wy,
    }
    base, wsum, w2sum, total = (sums[k].sum(axis=1) for k in ("n", "w", "w2", "wy"))
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = total if statistic == "total" else np.where(wsum > 0, total / wsum, np.nan)
        effective = np.where(w2sum > 0, wsum**2 / w2sum, 0.0)
    s1, s2 = _ratio_moments(y, domain, cell, n_groups, design, statistic, sums, estimate, indicator)
    se = np.where(base > 0, np.sqrt(_variance_from_moments(s1, s2, design)), np.nan)
    quantile = _normal_quantile(level)
    if statistic == "proportion" and not design.is_complex:
        low, high = _wilson_interval(estimate, effective, level)
        method = "wilson"
    else:
        low, high = estimate - quantile * se, estimate + quantile * se
        if statistic == "proportion":
            low, high = np.clip(low, 0, 1), np.clip(high, 0, 1)
        method = "normal"
    table = pd.DataFrame(
        {
            "estimate": estimate,
            "se": se,
            "ci_low": low,
            "ci_high": high,
            "base": base,
            "effective_base": effective,
            "weighted_base": wsum,
        }
    )
    if indicator:
        counts = np.bincount(domain, weights=y, minlength=n_groups + 1)[:-1]
        table["count"] = counts.astype(np.int64)
    table["ci_method"] = method
    return table


def estimate(
    df: pd.DataFrame,
    variable: str | Sequence[str],
    *,
    statistic: str = "mean",
    weight: str | None = None,
    strata: str | None = None,
    cluster: str | None = None,
    fpc: str | None = None,
    by: str | Sequence[str] | None = None,
    positive: Collection[Hashable] | None = None,
    level: float = 0.95,
    single_psu: str = "fail",
) -> pd.DataFrame:
    """Estimate a survey mean, proportion or total, overall or by group, with design-based errors.

    Standard errors are by Taylor linearisation for stratified and clustered samples, treating
    PSUs as sampled with replacement within strata unless ``fpc`` is given (the "ultimate cluster"
    estimator of R's ``survey`` package: ``svymean``, ``svytotal``; Lumley 2010, Complex Surveys,
    ch. 2-3; Wolter 2007, ch. 6). By-group results are *domain* estimates over the full design,
    as ``svyby`` computes them, not estimates from a subset of the design. Respondents with a
    missing answer are excluded the same way (a domain of valid answers, like ``na.rm=TRUE``).

    Confidence intervals: for a proportion from data without design information (no strata,
    cluster or fpc) the Wilson score interval on the effective base (Wilson 1927; Kish 1965;
    Dean & Pagano 2015);
    otherwise ``estimate +/- z * se`` with the normal quantile ``z`` (as R's ``confint`` on
    ``svymean``), clipped to [0, 1] for proportions.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per respondent.
    variable : str or list of str
        Column with the answers. For ``"mean"`` and ``"total"`` it must be numeric; for
        ``"proportion"`` it must be 0/1 or boolean unless ``positive`` is given. A list of
        columns (questions sharing the same coding) gives one table with a leading ``variable``
        column; the design and breakdown are then encoded once, which is much faster than one
        call per question on large data. (Breakdown and design columns of ``category`` dtype
        are also encoded faster than text columns.)
    statistic : {"mean", "proportion", "total"}
        ``"proportion"`` gives a fraction 0-1; ``"total"`` a population total (with ``positive``:
        the estimated number of people giving one of those answers).
    weight : str, optional
        Column of survey weights (all present, finite and > 0). Without it every respondent
        weighs 1, or - when ``fpc`` is given - N_h / n_h as R's ``svydesign`` does.
    strata : str, optional
        Column of strata.
    cluster : str, optional
        Column of primary sampling units (PSUs), taken as nested within strata.
    fpc : str, optional
        Column of population sizes as in R's ``svydesign``: the stratum population size for a
        stratified simple random sample, the number of PSUs in the stratum (or population) for a
        cluster design. Values all <= 1 are read as sampling fractions.
    by : str or list of str, optional
        Up to two breakdown columns. Rows with a missing breakdown value are in no group.
    positive : collection, optional
        Response codes that count as "yes"; the proportion is of respondents whose answer is in
        ``positive`` among those with a valid (non-missing) answer.
    level : float
        Confidence level of the interval (default 0.95).
    single_psu : {"fail", "adjust", "certainty"}
        What to do with a stratum with only one PSU (R's ``survey.lonely.psu``): ``"fail"``
        (default, as R) raises; ``"adjust"`` centres its PSU total at zero, as R does (for a
        mean or proportion this is the overall mean; for a total it is conservative);
        ``"certainty"`` gives it no variance. A stratum the fpc says was fully sampled
        contributes no variance whatever the rule.

    Returns
    -------
    pandas.DataFrame
        One row per group (group columns first, in sorted order), with ``estimate``, ``se``,
        ``ci_low``, ``ci_high``, ``base`` (respondents with a valid answer, unweighted),
        ``effective_base`` (Kish: ``(sum w)^2 / sum w^2``), ``weighted_base`` (sum of weights),
        ``count`` (for proportions: respondents answering positively, unweighted) and
        ``ci_method``. A group with no valid answers has base 0 and a missing estimate.
        ``attrs["group_columns"]`` lists the group columns and ``attrs["table_columns"]`` is
        ``["variable"]`` when several variables were given (each is a separate table).

    Raises
    ------
    ParameterError
        If ``statistic``, ``level``, ``by``, ``positive`` or ``single_psu`` is not allowed.
    AnalysisError
        If a column is missing, weights are missing or not positive, the answers are of the wrong
        type, the fpc is inconsistent, or a stratum has one PSU and ``single_psu="fail"``.
    """
    variables = [variable] if isinstance(variable, str) else list(variable)
    by_columns = _as_by_columns(by)
    _check_estimate_arguments(statistic, positive, level)
    _check_columns(
        df,
        {
            "weight": weight,
            "strata": strata,
            "cluster": cluster,
            "fpc": fpc,
            **{f"variable[{i}]": v for i, v in enumerate(variables)},
            **{f"by[{i}]": c for i, c in enumerate(by_columns)},
        },
    )
    if not variables:
        raise ParameterError(["variable must name at least one column"])
    design = _describe_design(
        df, weight=weight, strata=strata, cluster=cluster, fpc=fpc, single_psu=single_psu
    )
    group, groups = _encode_groups(df, by_columns)
    tables = []
    for name in variables:
        y, valid = _response_values(df, name, statistic, positive)
        table = _domain_estimates(
            y,
            valid,
            group,
            len(groups),
            design,
            statistic,
            level,
            indicator=statistic == "proportion" or positive is not None,
        )
        parts = [groups, table] if by_columns else [table]
        if not isinstance(variable, str):
            parts.insert(0, pd.DataFrame({"variable": [name] * len(table)}))
        tables.append(pd.concat(parts, axis=1))
    result = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
    result.attrs["group_columns"] = by_columns
    result.attrs["table_columns"] = [] if isinstance(variable, str) else ["variable"]
    result.attrs["statistic"] = (
        "proportion"
        if statistic == "proportion" or (positive is not None and statistic == "mean")
        else statistic
    )
    return result


# --------------------------------------------------------------------------------------------
# Comparisons
# --------------------------------------------------------------------------------------------


def _holm_levels(p: np.ndarray, level: float, adjust: str | None) -> np.ndarray:
    """The confidence level of each comparison's interval under Holm's (1979) step-down rule.

    With ``m`` comparisons and ``alpha = 1 - level``, the one with the k-th smallest p-value is
    tested at ``alpha / (m - k + 1)`` until the first that is not significant, at rank k0; it
    and every later one get the level of rank k0. So an interval at the row's level excludes
    zero exactly when Holm rejects "no difference" (the simultaneous-interval reading of Holm's
    procedure; Strassburger & Bretz 2008, Stat Med 27:4914-4927). Untested rows (missing p)
    and ``adjust=None`` or a single comparison keep ``level``.
    """
    levels = np.full(p.shape, float(level))
    tested = np.flatnonzero(~np.isnan(p))
    m = len(tested)
    if adjust != "holm" or m < 2:
        return levels
    alpha = 1 - level
    order = tested[np.argsort(p[tested], kind="stable")]
    thresholds = alpha / (m - np.arange(m))
    failed = np.flatnonzero(p[order] >= thresholds)
    stop = failed[0] if failed.size else m
    ranks = np.minimum(np.arange(m), stop)
    levels[order] = 1 - alpha / (m - ranks)
    return levels


def _adjusted_p_values(p: np.ndarray, adjust: str | None) -> np.ndarray:
    """Holm (1979) step-down adjustment of the tested (non-missing) p-values."""
    adjusted = p.copy()
    tested = ~np.isnan(p)
    if adjust == "holm" and tested.sum() > 1:
        adjusted[tested] = multipletests(p[tested], method="holm")[1]
    return adjusted


def _describe_findings(
    difference: np.ndarray, significant: np.ndarray, words: tuple[str, str, str], untested: str
) -> list[str]:
    higher, lower, same = words
    return [
        untested if np.isnan(d) else higher if s and d > 0 else lower if s and d < 0 else same
        for d, s in zip(difference, significant)
    ]


#: Smallest p-value the Newcombe inversion resolves: the level 1 - 1e-15 is the largest below 1
#: in floating point with room to spare; a smaller p-value is reported as this bound.
_SMALLEST_P = 1e-15


def _newcombe_p_value(x1: float, n1: float, x2: float, n2: float) -> float:
    """The p-value that matches Newcombe's interval: 1 minus the level at which it reaches 0.

    Newcombe's interval (1998, Stat Med 17:873, method 10) widens as the level rises, so for
    a difference ``d != 0`` there is one level at which its limit nearest zero is zero; below
    it the interval excludes zero. ``1 - that level`` is the smallest significance level at
    which the difference is significant, found by Brent's root search on ``log(alpha)``;
    p = 1 when ``d = 0``, missing when a base is 0, at least :data:`_SMALLEST_P`.
    """
    if not (n1 > 0 and n2 > 0) or np.isnan(x1) or np.isnan(x2):
        return np.nan
    d = x1 / n1 - x2 / n2
    if d == 0:
        return 1.0

    def nearest_limit(log_alpha: float) -> float:
        interval = intervals.newcombe_difference(x1, n1, x2, n2, 1 - math.exp(log_alpha))
        return float(interval.low if d > 0 else -interval.high)

    lowest, highest = math.log(_SMALLEST_P), math.log(1 - 1e-9)
    if nearest_limit(lowest) >= 0:
        return _SMALLEST_P
    if nearest_limit(highest) <= 0:
        return 1.0
    return math.exp(optimize.brentq(nearest_limit, lowest, highest, xtol=1e-10))


def _newcombe_intervals(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, levels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's interval of each row at that row's level (one call per distinct level)."""
    low, high = np.full(levels.shape, np.nan), np.full(levels.shape, np.nan)
    for value in np.unique(levels):
        rows = levels == value
        interval = intervals.newcombe_difference(x1[rows], n1[rows], x2[rows], n2[rows], value)
        low[rows], high[rows] = interval.low, interval.high
    return low, high


def _test_proportions(
    x1: np.ndarray,
    n1: np.ndarray,
    x2: np.ndarray,
    n2: np.ndarray,
    se: np.ndarray,
    level: float,
    adjust: str | None,
) -> dict[str, np.ndarray]:
    """Newcombe's interval for each ``x1/n1 - x2/n2`` (effective counts and bases), Holm-levelled.

    ``significant`` is "the interval at ``ci_level`` excludes 0"; ``p_value`` is the matching
    inverted p-value (:func:`_newcombe_p_value`) and ``z`` its signed normal deviate.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        difference = np.where((n1 > 0) & (n2 > 0), x1 / n1 - x2 / n2, np.nan)
    p = np.array([_newcombe_p_value(*row) for row in zip(x1, n1, x2, n2)], dtype=float)
    levels = _holm_levels(p, level, adjust)
    low, high = _newcombe_intervals(x1, n1, x2, n2, levels)
    return {
        "difference": difference,
        "se": se,
        "ci_low": low,
        "ci_high": high,
        "ci_level": levels,
        "ci_method": intervals.none_where(np.isnan(difference), "newcombe"),
        "z": np.sign(difference) * stats.norm.isf(p / 2),
        "p_value": p,
        "p_adjusted": _adjusted_p_values(p, adjust),
        "significant": np.asarray(
            intervals.DifferenceInterval(difference, low, high, level, "newcombe").significant
        ),
    }


def _test_differences(
    difference: np.ndarray, se: np.ndarray, level: float, adjust: str | None
) -> dict[str, np.ndarray]:
    """Two-sided z-test of each difference of means against zero, with its Holm-levelled interval.

    ``difference +/- z(ci_level) * se``, so the interval excludes zero exactly when the
    (adjusted) test rejects.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        z = difference / se
    p = 2 * stats.norm.sf(np.abs(z))
    p = np.where(np.isnan(z), np.nan, p)
    levels = _holm_levels(p, level, adjust)
    quantile = stats.norm.ppf(0.5 + levels / 2)
    low, high = difference - quantile * se, difference + quantile * se
    return {
        "difference": difference,
        "se": se,
        "ci_low": low,
        "ci_high": high,
        "ci_level": levels,
        "ci_method": intervals.none_where(np.isnan(z), "normal"),
        "z": z,
        "p_value": p,
        "p_adjusted": _adjusted_p_values(p, adjust),
        "significant": np.asarray(
            intervals.DifferenceInterval(difference, low, high, level, "normal").significant
        ),
    }


def _check_comparison_arguments(level: float, adjust: str | None) -> None:
    problems = []
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        problems.append(f"level must be between 0 and 1, e.g. 0.95; got {level!r}")
    if adjust not in ADJUSTMENTS:
        problems.append(f"adjust must be 'holm' or None; got {adjust!r}")
    if problems:
        raise ParameterError(problems)


def _compared_statistic(earlier: pd.DataFrame, later: pd.DataFrame, statistic: str | None) -> str:
    """``statistic`` if given, else what :func:`estimate` recorded in both tables, else "mean"."""
    if statistic is None:
        recorded = {earlier.attrs.get("statistic"), later.attrs.get("statistic")}
        statistic = recorded.pop() if len(recorded) == 1 and None not in recorded else "mean"
    if statistic not in STATISTICS:
        raise ParameterError(
            [
                f"statistic must be one of {STATISTICS!r} or None (read from the "
                f"tables made by estimate()); got {statistic!r}"
            ]
        )
    return statistic


COMPARISON_METHOD = (
    "A difference of two proportions has Newcombe's hybrid score interval (Newcombe 1998, Stat "
    "Med 17:873-890, method 10) on effective bases (each share's effective count p x n_eff out "
    "of n_eff); a difference of means has difference +/- z x se. A difference is significant "
    "when its interval excludes zero; the p-value shown is the one that matches the interval "
    "(1 minus the confidence level at which the interval just reaches zero). With several "
    "comparisons, Holm's step-down adjustment (Holm 1979) is applied to the intervals: the "
    "comparison with the k-th smallest of m p-values has a 1 - alpha/(m - k + 1) interval, up "
    "to the first that is not significant, whose level the rest share; so a difference is "
    "significant after adjustment exactly when its adjusted interval excludes zero."
)


def compare_waves(
    earlier: pd.DataFrame,
    later: pd.DataFrame,
    *,
    on: str | Sequence[str] | None = None,
    level: float = 0.95,
    adjust: str | None = "holm",
    statistic: str | None = None,
) -> pd.DataFrame:
    """Test the change between two independent survey waves, group by group.

    The waves are taken to be independent samples (different respondents). For proportions
    the interval for ``later - earlier`` is Newcombe's hybrid score interval (Newcombe, R. G.
    1998, Stat Med 17:873-890, method 10; :func:`perfeval.stats.intervals.newcombe_difference`) on
    effective bases: each wave contributes the effective count ``estimate * effective_base``
    out of ``effective_base`` (``base`` when the table has no effective base), the same
    footing as each wave's own Wilson interval. It stays within [-1, 1] and keeps a width when
    a wave is at 0% or 100%. ``p_value`` is the p-value that matches it: 1 minus the level at
    which the interval just reaches zero. For means and totals the interval is
    ``difference +/- z * se`` with ``se = sqrt(se_earlier^2 + se_later^2)`` and the two-sided
    z-test. Either way a change is significant exactly when its interval excludes zero.

    With ``adjust="holm"`` and more than one row tested, the p-values are Holm-adjusted
    (Holm 1979, Scand. J. Statist. 6, 65-70) and so is each interval's level (``ci_level``):
    the row with the k-th smallest of m p-values gets ``1 - alpha / (m - k + 1)`` up to the
    first row Holm does not reject, whose level all later rows share. So "significant after
    adjustment" is "the adjusted interval excludes zero" (see :data:`COMPARISON_METHOD`).

    Parameters
    ----------
    earlier, later : pandas.DataFrame
        Results of :func:`estimate` for the same question and breakdown in each wave
        (``estimate``, ``se``, ``base`` and, for weighted proportions, ``effective_base``).
    on : str or list of str, optional
        Columns to match rows on; by default the ``variable`` and group columns recorded by
        :func:`estimate` in ``attrs``, or else the columns other than the result columns.
    level : float
        Confidence level; ``alpha = 1 - level`` is the family-wise error rate under Holm.
    adjust : {"holm", None}
        Multiple-testing adjustment across rows.
    statistic : {"proportion", "mean", "total"}, optional
        What the estimates are; by default what :func:`estimate` recorded in the tables'
        ``attrs``, else ``"mean"``. Pass ``"proportion"`` for tables that lost their ``attrs``.

    Returns
    -------
    pandas.DataFrame
        Group columns, ``estimate_earlier``, ``estimate_later``, ``base_earlier``, ``base_later``,
        ``difference``, ``se``, ``ci_low``, ``ci_high``, ``ci_level``, ``ci_method``
        (``"newcombe"`` or ``"normal"``), ``z``, ``p_value``, ``p_adjusted``, ``significant``
        and ``finding`` ("significant increase", "significant decrease", "no significant
        change", or "not tested: not in both waves").

    Raises
    ------
    ParameterError
        If ``level``, ``adjust`` or ``statistic`` is not allowed.
    AnalysisError
        If a table lacks ``estimate``/``se``/``base`` or the group columns.
    """
    _check_comparison_arguments(level, adjust)
    statistic = _compared_statistic(earlier, later, statistic)
    keys = _comparison_keys(earlier, later, on)
    left, right = (_wave_columns(table, keys) for table in (earlier, later))
    if keys:
        merged = left.merge(right, on=keys, how="outer", suffixes=("_earlier", "_later"), sort=True)
    else:
        merged = left.add_suffix("_earlier").join(right.add_suffix("_later"))
    column = {
        name: merged[name].to_numpy(dtype=float)
        for name in merged.columns
        if name.endswith(("_earlier", "_later")) and name not in keys
    }
    se = np.hypot(column["se_earlier"], column["se_later"])
    if statistic == "proportion":
        n1, n2 = column["effective_base_later"], column["effective_base_earlier"]
        tested = _test_proportions(
            column["estimate_later"] * n1,
            n1,
            column["estimate_earlier"] * n2,
            n2,
            se,
            level,
            adjust,
        )
    else:
        tested = _test_differences(
            column["estimate_later"] - column["estimate_earlier"], se, level, adjust
        )
    result = merged.assign(**tested)
    result["finding"] = _describe_findings(
        tested["difference"],
        tested["significant"],
        ("significant increase", "significant decrease", "no significant change"),
        "not tested: not in both waves",
    )
    return result.drop(
        columns=["se_earlier", "se_later", "effective_base_earlier", "effective_base_later"]
    )


def _wave_columns(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """A wave's keys, estimate, se, base and effective base (the base when it has none)."""
    columns = table[keys + ["estimate", "se", "base"]]
    effective = table["effective_base"] if "effective_base" in table.columns else table["base"]
    return columns.assign(effective_base=effective.to_numpy(dtype=float))


def _comparison_keys(
    earlier: pd.DataFrame, later: pd.DataFrame, on: str | Sequence[str] | None
) -> list[str]:
    if on is not None:
        keys = [on] if isinstance(on, str) else list(on)
    elif "group_columns" in earlier.attrs:
        keys = list(earlier.attrs.get("table_columns", [])) + list(earlier.attrs["group_columns"])
    else:
        keys = [c for c in earlier.columns if c not in RESULT_COLUMNS]
    for name, table in (("earlier", earlier), ("later", later)):
        missing = [c for c in keys + ["estimate", "se", "base"] if c not in table.columns]
        if missing:
            raise AnalysisError(
                f"The {name} table lacks column(s) {missing!r}; pass the result of estimate() "
                f"for each wave, and on= naming the group columns."
            )
    return keys


def compare_groups_with_rest(
    df: pd.DataFrame,
    variable: str,
    by: str | Sequence[str],
    *,
    statistic: str = "mean",
    weight: str | None = None,
    strata: str | None = None,
    cluster: str | None = None,
    fpc: str | None = None,
    positive: Collection[Hashable] | None = None,
    level: float = 0.95,
    adjust: str | None = "holm",
    single_psu: str = "fail",
) -> pd.DataFrame:
    """Test each group against the rest of the sample (respondents in the other groups).

    The difference ``group - rest`` is computed on the full design and its standard error by
    linearising the difference itself, ``z_i = z_group,i - z_rest,i`` (Taylor linearisation as
    in :func:`estimate`), so the covariance between group and rest - which exists when both
    share PSUs - is taken into account rather than assuming independence. For means that
    difference has the interval ``difference +/- z * se`` and the two-sided z-test. For
    proportions (``statistic="proportion"``, or ``positive`` given) the interval is Newcombe's
    hybrid score interval (Newcombe 1998, Stat Med 17:873-890, method 10) on the Kish effective
    bases of group and rest (effective counts ``p * n_eff``), which treats group and rest as
    independent samples (exact without clusters; ``se`` is still the design-based one), and
    ``p_value`` is the p-value that matches it, as in :func:`compare_waves`. A difference is
    significant exactly when its interval excludes zero; with more than one group the p-values
    are Holm-adjusted (Holm 1979) and so is each interval's level (``ci_level``), as described
    in :func:`compare_waves`. "The rest" is the respondents with a valid answer and a known
    (non-missing) group other than this one.

    Parameters
    ----------
    df, variable, weight, strata, cluster, fpc, positive, level, single_psu
        As for :func:`estimate`.
    by : str or list of str
        The breakdown whose groups are compared (up to two columns).
    statistic : {"mean", "proportion"}
        What is compared.
    adjust : {"holm", None}
        Multiple-testing adjustment across the groups.

    Returns
    -------
    pandas.DataFrame
        One row per group: group columns, ``estimate``, ``estimate_rest``, ``base``,
        ``base_rest``, ``effective_base``, ``effective_base_rest``, ``difference``, ``se``,
        ``ci_low``, ``ci_high``, ``ci_level``, ``ci_method`` (``"newcombe"`` or ``"normal"``),
        ``z``, ``p_value``, ``p_adjusted``, ``significant`` and ``finding`` ("significantly higher",
        "significantly lower", "no significant difference", or "not tested: no answers").

    Raises
    ------
    ParameterError, AnalysisError
        As for :func:`estimate`; also if ``statistic="total"``.
    """
    if statistic == "total":
        raise ParameterError(
            [
                "compare_groups_with_rest compares means or proportions; a group's "
                "total against the rest's total is not a like-for-like comparison"
            ]
        )
    _check_comparison_arguments(level, adjust)
    by_columns = _as_by_columns(by)
    if not by_columns:
        raise ParameterError(["by must name the breakdown column(s) whose groups are compared"])
    _check_estimate_arguments(statistic, positive, level)
    _check_columns(
        df,
        {
            "variable": variable,
            "weight": weight,
            "strata": strata,
            "cluster": cluster,
            "fpc": fpc,
            **{f"by[{i}]": c for i, c in enumerate(by_columns)},
        },
    )
    design = _describe_design(
        df, weight=weight, strata=strata, cluster=cluster, fpc=fpc, single_psu=single_psu
    )
    group, groups = _encode_groups(df, by_columns)
    y, valid = _response_values(df, variable, statistic, positive)
    known = valid & (group < len(groups))
    rows = [_difference_from_rest(y, known, group == g, design) for g in range(len(groups))]
    columns = pd.DataFrame(
        rows,
        columns=[
            "estimate",
            "estimate_rest",
            "base",
            "base_rest",
            "difference",
            "se",
            "effective_base",
            "effective_base_rest",
        ],
    )
    if statistic == "proportion" or positive is not None:
        n1, n2 = (
            columns[c].to_numpy(dtype=float) for c in ("effective_base", "effective_base_rest")
        )
        tested = _test_proportions(
            columns["estimate"].to_numpy(dtype=float) * n1,
            n1,
            columns["estimate_rest"].to_numpy(dtype=float) * n2,
            n2,
            columns["se"].to_numpy(dtype=float),
            level,
            adjust,
        )
    else:
        tested = _test_differences(
            columns["difference"].to_numpy(), columns["se"].to_numpy(), level, adjust
        )
    result = pd.concat(
        [groups, columns.drop(columns=["difference", "se"]), pd.DataFrame(tested)], axis=1
    )
    result["finding"] = _describe_findings(
        tested["difference"],
        tested["significant"],
        ("significantly higher", "significantly lower", "no significant difference"),
        "not tested: no answers",
    )
    result.attrs["group_columns"] = by_columns
    return result


def _difference_from_rest(
    y: np.ndarray, known: np.ndarray, in_group: np.ndarray, design: _Design
) -> tuple[float, ...]:
    """Mean of a group and of the rest, their bases, the difference with its linearised
    standard error, and the Kish effective bases of group and rest."""
    w = design.weights
    mine, rest = known & in_group, known & ~in_group
    w_mine, w_rest = w[mine].sum(), w[rest].sum()
    effective = [
        s**2 / s2 if s2 > 0 else 0.0
        for s, s2 in (
            (w_mine, design.weights_squared[mine].sum()),
            (w_rest, design.weights_squared[rest].sum()),
        )
    ]
    if w_mine == 0 or w_rest == 0:
        return (np.nan, np.nan, int(mine.sum()), int(rest.sum()), np.nan, np.nan, *effective)
    mean_mine, mean_rest = (w * y)[mine].sum() / w_mine, (w * y)[rest].sum() / w_rest
    z = np.where(mine, w * (y - mean_mine) / w_mine, -w * (y - mean_rest) / w_rest)
    variance = _variance_from_moments(
        *_moments_of_linearised(z, np.where(known, 0, 1), 1, design), design
    )[0]
    return (
        mean_mine,
        mean_rest,
        int(mine.sum()),
        int(rest.sum()),
        mean_mine - mean_rest,
        math.sqrt(variance),
        *effective,
    )
