"""Survey estimates a statistician would sign: the sample design, design-based results and
comparisons.

The module turns respondent-level survey data (one row per respondent) into results:

* :func:`estimate` - weighted means, proportions and totals, overall or by one or two breakdowns,
  with design-based standard errors (Taylor linearisation, as R's ``survey`` package computes them
  with ``svymean`` / ``svytotal`` / ``svyby``; one- or two-stage designs; after raking or
  post-stratification with the calibration residuals when given the weighting's
  :class:`~perfeval.stats.weighting.Calibration`; or JK1 / bootstrap replicate weights),
  confidence intervals with the design degrees of freedom (proportions as R's ``svyciprop``),
  unweighted and effective bases, and ``attrs["variance"]`` saying how the errors were computed.
* :func:`replicate_weights`, :func:`jk1_replicate_weights` - replicate-weight designs
  (:class:`ReplicateWeights`).
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
from dataclasses import dataclass, field

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
from perfeval.stats.weighting import (
    Calibration,
    RakingReport,
    calibration_residuals,
    rake_weights,
    weighting_design_effect,
)

__all__ = [
    "ADJUSTMENTS",
    "CI_METHODS",
    "COMPARISON_METHOD",
    "REPLICATE_METHODS",
    "RESULT_COLUMNS",
    "SINGLE_PSU_RULES",
    "STATISTICS",
    "compare_groups_with_rest",
    "compare_waves",
    "estimate",
    "jk1_replicate_weights",
    "replicate_weights",
    "ReplicateWeights",
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
    "df",
    "design_effective_base",
)

_DENSE_KEY_LIMIT = 20_000_000


# --------------------------------------------------------------------------------------------
# Sample design
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SecondStage:
    """The second sampling stage of a two-stage design: what its variance term needs."""

    ssu: np.ndarray  # (n,) SSU code of each row, 0..S-1, SSUs nested within PSUs
    psu_of_ssu: np.ndarray  # (S,) PSU code of each SSU
    n_ssu: np.ndarray  # (P,) number of sampled SSUs in each PSU
    fpc_factor: np.ndarray  # (P,) (M_j - m_j) / M_j; 1 without a second-stage fpc
    first_fraction: np.ndarray  # (P,) n_h / N_h, the first-stage sampling fraction


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
    second_stage: _SecondStage | None = None
    description: str = "each respondent sampled independently"


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


def _stage_columns(columns: str | Sequence[str] | None, argument: str) -> list[str]:
    """The column of each sampling stage: ``"dnum"`` or ``["dnum", "snum"]`` (at most two)."""
    if columns is None:
        return []
    named = [columns] if isinstance(columns, str) else list(columns)
    if len(named) > 2 or not named:
        raise ParameterError(
            [
                f"{argument} must name one column, or two for a two-stage design (first stage, "
                f"second stage); got {columns!r}. Designs of three or more stages are not "
                f"supported: give the first two stages (the first stage alone gives the usual "
                f"'ultimate cluster' variance) or use replicate weights (replicates=)."
            ]
        )
    return named


def _design_columns(
    weight: str | None,
    strata: str | None,
    cluster: str | Sequence[str] | None,
    fpc: str | Sequence[str] | None,
) -> dict[str, str | None]:
    """The design columns a call names, keyed by argument, for :func:`_check_columns`."""
    named: dict[str, str | None] = {"weight": weight, "strata": strata}
    for argument, columns in (("cluster", cluster), ("fpc", fpc)):
        stages = _stage_columns(columns, argument)
        named.update({argument if i == 0 else f"{argument}[{i}]": c for i, c in enumerate(stages)})
    return named


def _second_stage(
    df: pd.DataFrame,
    column: str,
    fpc: str | None,
    psu: np.ndarray,
    n_psu_of_each: np.ndarray,
    first_fraction: np.ndarray,
    single_psu: str,
) -> _SecondStage:
    """The second stage of a two-stage design: SSUs nested within PSUs, and their fpc."""
    code, _ = _codes_without_missing(df, column, "cluster[1]")
    ssu, _ = pd.factorize(psu * (int(code.max()) + 1) + code)
    psu_of_ssu = np.zeros(int(ssu.max()) + 1, dtype=np.int64)
    psu_of_ssu[ssu] = psu
    n_ssu = np.bincount(psu_of_ssu, minlength=len(n_psu_of_each))
    factor = np.ones(len(n_psu_of_each))
    if fpc is not None:
        values = numeric_column(df, fpc, "fpc[1]")
        per_psu = pd.Series(values).groupby(psu).agg(["min", "max"])
        if (
            np.isnan(values).any()
            or (values <= 0).any()
            or (per_psu["min"] != per_psu["max"]).any()
        ):
            raise AnalysisError(
                f"second-stage fpc column {fpc!r} must be positive and the same on every row of "
                f"a PSU (the number of second-stage units in that PSU's population)."
            )
        population = per_psu["min"].to_numpy()
        if (population <= 1).all():  # sampling fractions, as R reads fpc values <= 1
            population = n_ssu / population
        if (population < n_ssu).any():
            raise AnalysisError(
                f"second-stage fpc column {fpc!r} is smaller than the number of sampled "
                f"second-stage units in {int((population < n_ssu).sum())} PSU(s); it must be "
                f"the number of units in the PSU's population."
            )
        factor = (population - n_ssu) / population
    lonely = np.flatnonzero((n_ssu == 1) & (factor > 1e-7) & (first_fraction > 0))
    if single_psu == "fail" and len(lonely):
        raise AnalysisError(
            f"{len(lonely)} PSU(s) have only one sampled second-stage unit ({column!r}), so "
            f"the second-stage variance cannot be estimated there (R: 'has only one PSU at "
            f"stage 2'). Give the second-stage fpc (a PSU fully enumerated has no second-stage "
            f"variance), or pass single_psu='certainty' or 'adjust' (no second-stage "
            f"contribution from that PSU, as R)."
        )
    return _SecondStage(ssu.astype(np.int64), psu_of_ssu, n_ssu, factor, first_fraction)


def _describe_design(
    df: pd.DataFrame,
    *,
    weight: str | None,
    strata: str | None,
    cluster: str | Sequence[str] | None,
    fpc: str | Sequence[str] | None,
    single_psu: str,
) -> _Design:
    """Reduce the design columns of ``df`` to the codes the variance estimator uses."""
    if single_psu not in SINGLE_PSU_RULES:
        raise ParameterError([f"single_psu must be one of {SINGLE_PSU_RULES}; got {single_psu!r}"])
    if len(df) == 0:
        raise AnalysisError("The survey data has no rows; there is nothing to estimate.")
    clusters, fpcs = _stage_columns(cluster, "cluster"), _stage_columns(fpc, "fpc")
    if len(fpcs) > max(len(clusters), 1):
        raise ParameterError(
            [
                f"fpc names {len(fpcs)} stages but cluster names {len(clusters)}; "
                "give one fpc per stage"
            ]
        )
    if strata is not None:
        stratum, labels = _codes_without_missing(df, strata, "strata")
    else:
        stratum, labels = np.zeros(len(df), dtype=np.int64), pd.Index(["(all)"])
    n_strata = len(labels)
    psu = stratum_of_psu = None
    if clusters:
        psu, stratum_of_psu = _encode_psus(df, clusters[0], stratum)
        n_psu = np.bincount(stratum_of_psu, minlength=n_strata)
    else:
        n_psu = np.bincount(stratum, minlength=n_strata)
    fpc_factor = np.ones(n_strata)
    if fpcs:
        population = _population_psus(df, fpcs[0], stratum, n_psu, labels)
        fpc_factor = (population - n_psu) / population
    second = None
    if len(clusters) == 2 and fpcs and psu is not None and stratum_of_psu is not None:
        second = _second_stage(
            df,
            clusters[1],
            fpcs[1] if len(fpcs) == 2 else None,
            psu,
            stratum_of_psu,
            (1 - fpc_factor)[stratum_of_psu],
            single_psu,
        )
    if weight is not None:
        weights = validated_weights(df, weight)
    elif fpcs:  # as R: weights implied by the fpc (N_h / n_h, times M_j / m_j at stage 2)
        weights = (population / n_psu)[stratum]
        if second is not None and len(fpcs) == 2 and psu is not None:
            weights = weights / (1 - second.fpc_factor)[psu]
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
        second_stage=second,
        description=_design_sentence(strata, clusters, fpcs, n_psu),
    )


def _design_sentence(
    strata: str | None, clusters: list[str], fpcs: list[str], n_psu: np.ndarray
) -> str:
    """How the design was treated, in words, for ``attrs["variance"]``."""
    parts = [f"{len(n_psu)} strata" if strata is not None else ""]
    if clusters:
        parts.append(f"{int(n_psu.sum())} PSUs ({clusters[0]})")
    if len(clusters) == 2:
        parts.append(
            f"second stage {clusters[1]}"
            + (
                " with its fpc"
                if len(fpcs) == 2
                else " sampled with replacement within PSUs"
                if fpcs
                else " not used: without a first-stage fpc the PSUs are treated as sampled "
                "with replacement (the ultimate-cluster variance)"
            )
        )
    if fpcs:
        parts.append("first-stage fpc")
    return "; ".join(p for p in parts if p) or "each respondent sampled independently"


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


CI_METHODS = ("wilson", "logit", "beta", "t")
REPLICATE_METHODS = ("JK1", "bootstrap")


@dataclass(frozen=True)
class ReplicateWeights:
    """A replicate-weight design: the columns of replicate weights and how to combine them.

    The variance of an estimate is ``scale * sum_r rscale_r (theta_r - centre)^2`` over the
    replicates ``r``, where ``theta_r`` is the estimate with the r-th replicate weights and the
    centre is the mean of the replicates (``mse=False``, R's default) or the full-sample
    estimate (``mse=True``) - R survey's ``svrepdesign`` / ``svrVar`` (Lumley 2010, ch. 2.8;
    Wolter 2007, ch. 4-5). Make one with :func:`replicate_weights` or
    :func:`jk1_replicate_weights`.

    Attributes
    ----------
    columns : tuple of str
        The replicate weight columns of the data.
    method : {"JK1", "bootstrap"}
        The replication method.
    scale : float
        Overall multiplier: ``(R - 1) / R`` for JK1 (times the fpc factor ``1 - n/N`` when
        given), ``1 / (R - 1)`` for the bootstrap (R's ``svrepdesign``).
    rscales : tuple of float
        Per-replicate multipliers (all 1 for JK1 and the bootstrap).
    mse : bool
        Centre on the full-sample estimate (True) or on the mean of the replicates (False).
    """

    columns: tuple[str, ...]
    method: str
    scale: float
    rscales: tuple[float, ...] = field(default=())
    mse: bool = False

    def describe(self) -> str:
        """In words, e.g. ``"JK1 jackknife with 15 replicates"``."""
        name = "JK1 jackknife" if self.method == "JK1" else "bootstrap"
        centre = "the full-sample estimate" if self.mse else "the mean of the replicates"
        return f"{name} with {len(self.columns)} replicate weights, centred on {centre}"


def replicate_weights(
    columns: Sequence[str],
    method: str,
    *,
    fpc_factor: float = 1.0,
    mse: bool = False,
) -> ReplicateWeights:
    """Describe replicate weights supplied with the data (e.g. by a statistics agency).

    Parameters
    ----------
    columns : list of str
        The replicate weight columns (full replicate weights, not multipliers).
    method : {"JK1", "bootstrap"}
        ``"JK1"``: delete-one-PSU jackknife of an unstratified design, scale ``(R-1)/R``;
        ``"bootstrap"``: bootstrap replicate weights, scale ``1/(R-1)`` (R survey's
        ``svrepdesign(type="JK1")`` and ``type="bootstrap"``). Other methods (BRR, Fay, JKn,
        successive difference) are refused: their scale factors differ and a wrong one would
        be a silent approximation.
    fpc_factor : float
        ``1 - n/N`` for JK1 without replacement (R's ``fpc``); 1 (default) otherwise.
    mse : bool
        Centre on the full-sample estimate rather than the replicates' mean.

    Returns
    -------
    ReplicateWeights

    Raises
    ------
    ParameterError
        If the method is not supported, fewer than two columns are given or ``fpc_factor`` is
        not in [0, 1].
    """
    names = tuple(columns)
    problems = []
    if method not in REPLICATE_METHODS:
        problems.append(
            f"replicate method {method!r} is not supported; perfeval computes JK1 and "
            f"bootstrap replicate variances ({REPLICATE_METHODS}). For BRR, Fay, JKn or "
            f"successive-difference weights use R's survey::svrepdesign with the agency's "
            f"scale factors, or give the design (strata, cluster, fpc) for linearisation."
        )
    if len(names) < 2 or len(set(names)) != len(names):
        problems.append(f"replicate weights need at least two distinct columns; got {names!r}")
    if not 0 <= fpc_factor <= 1:
        problems.append(f"fpc_factor must be between 0 and 1 (1 - n/N); got {fpc_factor!r}")
    if problems:
        raise ParameterError(problems)
    r = len(names)
    scale = fpc_factor * (r - 1) / r if method == "JK1" else 1 / (r - 1)
    return ReplicateWeights(names, method, scale, (1.0,) * r, mse)


def jk1_replicate_weights(
    df: pd.DataFrame,
    *,
    cluster: str | None = None,
    weight: str | None = None,
    fpc: str | None = None,
    mse: bool = False,
    prefix: str = "jk1_",
) -> tuple[pd.DataFrame, ReplicateWeights]:
    """JK1 (delete-one-PSU) jackknife replicate weights of an unstratified design.

    Replicate ``r`` drops PSU ``r`` and multiplies the other PSUs' weights by ``n/(n-1)``; the
    variance scale is ``(1 - n/N) (n - 1)/n`` with the fpc, ``(n - 1)/n`` without (R survey's
    ``as.svrepdesign(design, type="JK1")``, ``jk1weights``; Wolter 2007, section 4.2).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per respondent.
    cluster : str, optional
        PSU column; without it each respondent is a PSU.
    weight : str, optional
        Sampling weights; default 1.
    fpc : str, optional
        Number of PSUs in the population (constant), or the sampling fraction if <= 1.
    mse, prefix
        Centre of the variance (see :class:`ReplicateWeights`) and the replicate columns'
        name prefix.

    Returns
    -------
    replicates : pandas.DataFrame
        One column per replicate (``jk1_1`` ...), aligned with ``df.index``; join it to ``df``.
    design : ReplicateWeights

    Raises
    ------
    AnalysisError
        If a column is missing or invalid, there are fewer than two PSUs, or the fpc varies.
    """
    _check_columns(df, {"cluster": cluster, "weight": weight, "fpc": fpc})
    w = validated_weights(df, weight) if weight is not None else np.ones(len(df))
    if cluster is not None:
        psu, _ = _codes_without_missing(df, cluster, "cluster")
    else:
        psu = np.arange(len(df))
    n = int(psu.max()) + 1
    if n < 2:
        raise AnalysisError("JK1 replicate weights need at least two PSUs; the data has one.")
    factor = 1.0
    if fpc is not None:
        values = np.unique(numeric_column(df, fpc, "fpc"))
        if len(values) != 1 or not values[0] > 0:
            raise AnalysisError(
                f"fpc column {fpc!r} must hold one positive value (PSUs in the population) for "
                f"JK1 replicate weights; it holds {len(values)} distinct values."
            )
        population = n / values[0] if values[0] <= 1 else values[0]
        if population < n:
            raise AnalysisError(
                f"fpc column {fpc!r} says the population has {population:g} PSUs but the "
                f"sample has {n}."
            )
        factor = (population - n) / population
    matrix = np.where(psu[:, None] == np.arange(n)[None, :], 0.0, n / (n - 1)) * w[:, None]
    names = [f"{prefix}{r + 1}" for r in range(n)]
    table = pd.DataFrame(matrix, index=df.index, columns=names)
    return table, replicate_weights(names, "JK1", fpc_factor=factor, mse=mse)


def _quantile(level: float, df: np.ndarray) -> np.ndarray:
    """``t`` quantile for a two-sided interval on ``df`` degrees of freedom (NaN when df < 1)."""
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(df >= 1, stats.t.ppf(0.5 + level / 2, np.maximum(df, 1)), np.nan)


def _proportion_intervals(
    p: np.ndarray,
    variance: np.ndarray,
    df: np.ndarray,
    base: np.ndarray,
    kish: np.ndarray,
    level: float,
    ci_method: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Interval of a proportion under a complex design, as R survey's ``svyciprop`` computes it.

    The design-based effective sample size is ``n_eff = p (1 - p) / var(p)`` from the same
    (linearised or replicate) variance as the SE column, with ``df`` the design degrees of
    freedom (R's ``degf``: PSUs minus strata). Methods (R ``survey`` R/svyttest.R,
    ``svyciprop``; Lumley 2010, section 2.4.1):

    * ``"wilson"``: the Wilson score interval on ``n_eff`` with the ``t_df`` quantile
      (Kott & Carr 1997; Dean & Pagano 2015, J. Survey Statistics and Methodology 3, 484-503);
    * ``"logit"``: ``expit(logit(p) +/- t_df se / (p (1 - p)))`` - the Wald interval of the
      intercept of a quasibinomial ``svyglm``, R's default;
    * ``"beta"``: Korn & Graubard (1998, Survey Methodology 24, 193-201): Clopper-Pearson
      limits ``qbeta(a/2, x, n* - x + 1)`` and ``qbeta(1 - a/2, x + 1, n* - x)`` on
      ``n* = n_eff (t_{n-1} / t_df)^2``, ``x = p n*``, ``n`` the unweighted base;
    * ``"t"``: ``p +/- t_df se``, clipped to [0, 1].

    At 0% or 100%, or with zero variance, ``n_eff`` is undefined (R returns NaN); the Kish
    effective base ``(sum w)^2 / sum w^2`` is used instead, and the logit interval (undefined
    there) becomes the Korn-Graubard one. Returns low, high, ``n_eff`` and the method used per
    row.
    """
    alpha = 1 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        interior = (p > 0) & (p < 1) & (variance > 0)
        n_eff = np.where(interior, p * (1 - p) / variance, kish)
        t = _quantile(level, df)
        method = np.full(p.shape, ci_method, dtype=object)
        if ci_method == "t":
            se = np.sqrt(variance)
            return np.clip(p - t * se, 0, 1), np.clip(p + t * se, 0, 1), n_eff, method
        if ci_method == "wilson":
            t2 = t * t
            centre = p + t2 / (2 * n_eff)
            half = t / (2 * n_eff) * np.sqrt(4 * n_eff * p * (1 - p) + t2)
            denominator = 1 + t2 / n_eff
            return (centre - half) / denominator, (centre + half) / denominator, n_eff, method
        low, high = np.full(p.shape, np.nan), np.full(p.shape, np.nan)
        if ci_method == "logit":
            logit = np.log(p / (1 - p))
            half = t * np.sqrt(variance) / (p * (1 - p))
            low = np.where(interior, 1 / (1 + np.exp(-(logit - half))), np.nan)
            high = np.where(interior, 1 / (1 + np.exp(-(logit + half))), np.nan)
        beta_rows = ~interior if ci_method == "logit" else np.ones(p.shape, dtype=bool)
        method[beta_rows] = "beta"
        ratio = stats.t.ppf(alpha / 2, np.maximum(base - 1, 1)) / stats.t.ppf(
            alpha / 2, np.maximum(df, 1)
        )
        n_star = n_eff * np.where(df >= 1, ratio, np.nan) ** 2
        x = p * n_star
        lower = np.where(
            x > 0, stats.beta.ppf(alpha / 2, np.maximum(x, 1e-300), n_star - x + 1), 0.0
        )
        upper = np.where(
            n_star - x > 0,
            stats.beta.ppf(1 - alpha / 2, x + 1, np.maximum(n_star - x, 1e-300)),
            1.0,
        )
        valid = np.isfinite(n_star) & (n_star > 0)
        low = np.where(beta_rows, np.where(valid, lower, np.nan), low)
        high = np.where(beta_rows, np.where(valid, upper, np.nan), high)
    return low, high, n_eff, method


def _domain_degf(
    domain: np.ndarray, n_groups: int, design: _Design, counts: np.ndarray
) -> np.ndarray:
    """Design degrees of freedom of each domain: its PSUs minus its strata (R's ``degf`` of the
    domain's subset design: ``length(unique(psu)) - length(unique(strata))`` among its rows).

    ``counts`` is the ``(n_groups, H)`` number of the domain's respondents in each stratum.
    """
    strata = (counts > 0).sum(axis=1)
    if design.psu is None:  # each respondent its own PSU
        return (counts.sum(axis=1) - strata).astype(float)
    if _dense_psu_sums_fit(n_groups, design):
        members = _sum_by_psu(domain, np.ones(len(domain)), n_groups, design)
        psus = (members > 0).sum(axis=1)
    else:
        n_psus = len(_clusters(design)[1])
        pairs = np.unique(domain[domain < n_groups] * n_psus + design.psu[domain < n_groups])
        psus = np.bincount(pairs // n_psus, minlength=n_groups)
    return (psus - strata).astype(float)


def _second_stage_variance(z: np.ndarray, stage: _SecondStage) -> float:
    """Second-stage term of a two-stage design's variance (Cochran 1977, eq. 10.8 and 11.24;
    R survey's ``multistage``): ``sum_j (n_h/N_h) (1 - m_j/M_j) m_j/(m_j - 1) sum_k
    (Z_jk - mean_j Z)^2`` over PSUs ``j`` and their sampled SSUs ``k``; a PSU with one SSU
    contributes nothing (checked in :func:`_second_stage`)."""
    n_psus = len(stage.n_ssu)
    totals = np.bincount(stage.ssu, weights=z, minlength=len(stage.psu_of_ssu))
    s1 = np.bincount(stage.psu_of_ssu, weights=totals, minlength=n_psus)
    s2 = np.bincount(stage.psu_of_ssu, weights=totals**2, minlength=n_psus)
    m = stage.n_ssu.astype(float)
    squares = s2 - s1**2 / np.maximum(m, 1)
    squares = np.where(squares > 1e-10 * s2, squares, 0.0)
    scale = np.where(m > 1, stage.fpc_factor * m / np.maximum(m - 1, 1), 0.0)
    return float((stage.first_fraction * scale * squares).sum())


def _variance_of_values(z: np.ndarray, design: _Design) -> np.ndarray:
    """Design-based variance of each column of ``(n, G)`` linearised values: the stage-one
    variance of :func:`_variance_from_moments` plus, for two-stage designs, the second-stage
    term."""
    zeros = np.zeros(len(z), dtype=np.int64)
    out = np.empty(z.shape[1])
    for g in range(z.shape[1]):
        s1, s2 = _moments_of_linearised(z[:, g], zeros, 1, design)
        out[g] = _variance_from_moments(s1, s2, design)[0]
        if design.second_stage is not None:
            out[g] += _second_stage_variance(z[:, g], design.second_stage)
    return out


def _calibrated_variance(
    y: np.ndarray,
    domain: np.ndarray,
    n_groups: int,
    design: _Design,
    statistic: str,
    estimate: np.ndarray,
    wsum: np.ndarray,
    calibration: Calibration | None,
) -> np.ndarray:
    """Variance from per-respondent linearised values, with calibration residuals if given.

    ``u = y`` in the domain for a total and ``(y - mean) / sum w`` for a mean (Woodruff 1971);
    after calibration ``u`` is replaced by its residual from the design-weighted regression on
    the calibration variables (:func:`perfeval.stats.weighting.calibration_residuals`;
    Deville & Saerndal 1992) and times the calibrated weight. A total under margins given as
    shares (weights summing to the estimated starting total N0) adds ``(T / N0) w0``, the
    linearised value of N0 (Lumley 2010, section 7.3).
    """
    variance = np.empty(n_groups)
    chunk = max(1, _DENSE_KEY_LIMIT // (4 * max(len(y), 1)))  # (n, chunk) arrays at a time
    for first in range(0, n_groups, chunk):
        groups = np.arange(first, min(first + chunk, n_groups))
        member = (domain >= groups[0]) & (domain <= groups[-1])
        rows, columns = np.flatnonzero(member), domain[member] - groups[0]
        u = np.zeros((len(y), len(groups)))
        if statistic == "total":
            u[rows, columns] = y[rows]
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                u[rows, columns] = (y[rows] - estimate[groups][columns]) / wsum[groups][columns]
        if calibration is None:
            variance[groups] = _variance_of_values(design.weights[:, None] * u, design)
            continue
        z = design.weights[:, None] * calibration_residuals(calibration, u)
        if statistic == "total" and not calibration.fixed_total:
            share = estimate[groups] / design.weights.sum()
            z += calibration.design_weights[:, None] * share[None, :]
        variance[groups] = _variance_of_values(z, design)
    return variance


def _replicate_estimates(
    y: np.ndarray,
    domain: np.ndarray,
    n_groups: int,
    matrix: np.ndarray,
    statistic: str,
) -> np.ndarray:
    """``(G, R)`` domain estimates with each replicate's weights."""
    out = np.empty((n_groups, matrix.shape[1]))
    for r in range(matrix.shape[1]):
        w = matrix[:, r]
        total = np.bincount(domain, weights=w * y, minlength=n_groups + 1)[:-1]
        if statistic == "total":
            out[:, r] = total
        else:
            weight = np.bincount(domain, weights=w, minlength=n_groups + 1)[:-1]
            with np.errstate(invalid="ignore", divide="ignore"):
                out[:, r] = np.where(weight > 0, total / weight, np.nan)
    return out


def _replicate_matrix(df: pd.DataFrame, replicates: ReplicateWeights) -> np.ndarray:
    """The replicate weights as an ``(n, R)`` array, checked finite and non-negative."""
    _check_columns(df, {f"replicates[{i}]": c for i, c in enumerate(replicates.columns)})
    matrix = np.column_stack(
        [numeric_column(df, c, "replicate weight") for c in replicates.columns]
    )
    if not np.isfinite(matrix).all() or (matrix < 0).any():
        raise AnalysisError(
            "replicate weight columns must be finite and non-negative for every respondent; "
            f"found {int((~np.isfinite(matrix)).sum())} missing or infinite and "
            f"{int((matrix < 0).sum())} negative value(s)."
        )
    return matrix


def _replicate_variance(
    y: np.ndarray,
    domain: np.ndarray,
    n_groups: int,
    matrix: np.ndarray,
    replicates: ReplicateWeights,
    statistic: str,
    estimate: np.ndarray,
) -> np.ndarray:
    """``scale * sum_r rscale_r (theta_r - centre)^2`` (R survey's ``svrVar``)."""
    thetas = _replicate_estimates(y, domain, n_groups, matrix, statistic)
    centre = estimate[:, None] if replicates.mse else thetas.mean(axis=1, keepdims=True)
    rscales = np.asarray(replicates.rscales or (1.0,) * matrix.shape[1])
    return replicates.scale * ((thetas - centre) ** 2 * rscales[None, :]).sum(axis=1)


def _replicate_degf(matrix: np.ndarray) -> float:
    """R survey's ``degf`` of a replicate design: rank of the replicate weights minus one."""
    return float(np.linalg.matrix_rank(matrix, tol=1e-5) - 1)


def _domain_estimates(
    y: np.ndarray,
    valid: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    design: _Design,
    statistic: str,
    level: float,
    indicator: bool,
    ci_method: str,
    calibration: Calibration | None = None,
    replicates: tuple[ReplicateWeights, np.ndarray] | None = None,
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
    if replicates is not None:
        variance = _replicate_variance(
            y, domain, n_groups, replicates[1], replicates[0], statistic, estimate
        )
        df = np.full(n_groups, _replicate_degf(replicates[1]))
    else:
        if calibration is not None or design.second_stage is not None:
            variance = _calibrated_variance(
                y, domain, n_groups, design, statistic, estimate, wsum, calibration
            )
        else:
            s1, s2 = _ratio_moments(
                y, domain, cell, n_groups, design, statistic, sums, estimate, indicator
            )
            variance = _variance_from_moments(s1, s2, design)
        df = _domain_degf(domain, n_groups, design, sums["n"])
    variance = np.where(base > 0, variance, np.nan)
    se = np.sqrt(variance)
    if statistic == "proportion":
        low, high, n_eff, method = _proportion_intervals(
            estimate, variance, df, base, effective, level, ci_method
        )
    else:
        quantile = _quantile(level, df)
        low, high = estimate - quantile * se, estimate + quantile * se
        n_eff, method = np.full(n_groups, np.nan), np.full(n_groups, "t", dtype=object)
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
    table["df"] = df
    table["design_effective_base"] = n_eff
    return table


def estimate(
    df: pd.DataFrame,
    variable: str | Sequence[str],
    *,
    statistic: str = "mean",
    weight: str | None = None,
    strata: str | None = None,
    cluster: str | Sequence[str] | None = None,
    fpc: str | Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    positive: Collection[Hashable] | None = None,
    level: float = 0.95,
    single_psu: str = "fail",
    ci_method: str = "wilson",
    calibration: Calibration | None = None,
    replicates: ReplicateWeights | None = None,
) -> pd.DataFrame:
    """Estimate a survey mean, proportion or total, overall or by group, with design-based errors.

    Standard errors are by Taylor linearisation for stratified and clustered samples, treating
    PSUs as sampled with replacement within strata unless ``fpc`` is given (the "ultimate cluster"
    estimator of R's ``survey`` package: ``svymean``, ``svytotal``; Lumley 2010, Complex Surveys,
    ch. 2-3; Wolter 2007, ch. 6). A two-stage design (``cluster=[psu, ssu]`` with
    ``fpc=[fpc1, fpc2]``) adds the second-stage variance, scaled by the first-stage sampling
    fraction (Cochran 1977, section 10.8; R's ``svydesign(id=~psu+ssu, fpc=~fpc1+fpc2)``).
    Weights calibrated by :func:`~perfeval.stats.weighting.rake_weights` or
    :func:`~perfeval.stats.weighting.post_stratify_weights` get the calibration estimator's
    variance when their ``calibration`` is passed (residuals from the regression on the
    margins, Deville & Saerndal 1992; Lumley 2010, ch. 7, as R after ``rake``/``postStratify``);
    without it the weights are treated as fixed and ``attrs["variance"]`` says so. With
    ``replicates`` the variance is the replicate variance instead (JK1 or bootstrap; R's
    ``svrepdesign``). By-group results are *domain* estimates over the full design, as
    ``svyby`` computes them. Respondents with a missing answer are excluded the same way (a
    domain of valid answers, like ``na.rm=TRUE``).

    Confidence intervals use the design degrees of freedom ``df`` (R's ``degf``: PSUs minus
    strata among the domain's respondents, each respondent a PSU without clusters; for
    replicate weights the rank of the replicate weights minus one) and the ``t`` quantile. Means
    and totals: ``estimate +/- t_df * se``. Proportions: ``ci_method`` as R's ``svyciprop``
    (:func:`_proportion_intervals`) on the design-based effective sample size
    ``p (1 - p) / se^2``, so the interval and the SE column come from the same variance.

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
        weighs 1, or - when ``fpc`` is given - N_h / n_h (times M_j / m_j at a second stage) as
        R's ``svydesign`` does.
    strata : str, optional
        Column of (first-stage) strata.
    cluster : str or list of two str, optional
        Column of primary sampling units (PSUs), taken as nested within strata; or
        ``[psu, ssu]`` for a two-stage design, SSUs nested within PSUs. More stages are refused.
    fpc : str or list of two str, optional
        Column of population sizes as in R's ``svydesign``: the stratum population size for a
        stratified simple random sample, the number of PSUs in the stratum (or population) for a
        cluster design; for two stages ``[fpc1, fpc2]``, ``fpc2`` the number of SSUs in the
        PSU's population. Values all <= 1 are read as sampling fractions. Without a first-stage
        fpc a second stage adds nothing (the with-replacement "ultimate cluster" variance).
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
        contributes no variance whatever the rule. At a second stage, a PSU with one sampled
        SSU fails under ``"fail"`` and otherwise contributes no second-stage variance.
    ci_method : {"wilson", "logit", "beta", "t"}
        Interval for proportions (R ``svyciprop``'s ``"wilson"``, ``"logit"``, ``"beta"``
        (Korn-Graubard) and ``"mean"``). Means and totals always use ``"t"``.
    calibration : perfeval.stats.weighting.Calibration, optional
        From :func:`~perfeval.stats.weighting.rake_weights` (``report.calibration``) or
        :func:`~perfeval.stats.weighting.post_stratify_weights`, for the same rows as ``df``;
        ``weight`` must name the calibrated weights.
    replicates : ReplicateWeights, optional
        Replicate weights (:func:`replicate_weights`, :func:`jk1_replicate_weights`) whose
        columns are in ``df``; then ``strata``, ``cluster``, ``fpc`` and ``calibration`` must
        not be given (the replicates carry the design).

    Returns
    -------
    pandas.DataFrame
        One row per group (group columns first, in sorted order), with ``estimate``, ``se``,
        ``ci_low``, ``ci_high``, ``base`` (respondents with a valid answer, unweighted),
        ``effective_base`` (Kish: ``(sum w)^2 / sum w^2``), ``weighted_base`` (sum of weights),
        ``count`` (for proportions: respondents answering positively, unweighted),
        ``ci_method`` (per row: for a proportion at 0% or 100% the logit interval is replaced
        by the Korn-Graubard one), ``df`` (degrees of freedom of the interval) and
        ``design_effective_base`` (proportions: ``p (1 - p) / se^2``, or the Kish base at 0% or
        100%; the base of the interval). A group with no valid answers has base 0 and a
        missing estimate. ``attrs["group_columns"]`` lists the group columns,
        ``attrs["table_columns"]`` is ``["variable"]`` when several variables were given (each
        is a separate table) and ``attrs["variance"]`` says in a sentence how the SE column and
        the intervals were computed (including whether weights were treated as fixed).

    Raises
    ------
    ParameterError
        If ``statistic``, ``level``, ``by``, ``positive``, ``single_psu``, ``ci_method`` or the
        combination of design arguments is not allowed.
    AnalysisError
        If a column is missing, weights are missing or not positive, the answers are of the wrong
        type, the fpc is inconsistent, a stratum has one PSU and ``single_psu="fail"``, or the
        calibration does not belong to these rows and weights.
    """
    variables = [variable] if isinstance(variable, str) else list(variable)
    by_columns = _as_by_columns(by)
    _check_estimate_arguments(statistic, positive, level)
    _check_variance_arguments(ci_method, strata, cluster, fpc, calibration, replicates)
    _check_columns(
        df,
        {
            **_design_columns(weight, strata, cluster, fpc),
            **{f"variable[{i}]": v for i, v in enumerate(variables)},
            **{f"by[{i}]": c for i, c in enumerate(by_columns)},
        },
    )
    if not variables:
        raise ParameterError(["variable must name at least one column"])
    design = _describe_design(
        df, weight=weight, strata=strata, cluster=cluster, fpc=fpc, single_psu=single_psu
    )
    if calibration is not None:
        _check_calibration(calibration, design, weight)
    replicate = None if replicates is None else (replicates, _replicate_matrix(df, replicates))
    group, groups = _encode_groups(df, by_columns)
    tables = []
    for name in variables:
        y, valid = _response_values(df, name, statistic, positive)
        indicator = statistic == "proportion" or positive is not None
        table = _domain_estimates(
            y,
            valid,
            group,
            len(groups),
            design,
            "proportion" if statistic == "mean" and positive is not None else statistic,
            level,
            indicator=indicator,
            ci_method=ci_method,
            calibration=calibration,
            replicates=replicate,
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
    result.attrs["variance"] = _variance_sentence(
        design, weight, calibration, replicates, result.attrs["statistic"], ci_method
    )
    return result


def _check_variance_arguments(
    ci_method: str,
    strata: str | None,
    cluster: str | Sequence[str] | None,
    fpc: str | Sequence[str] | None,
    calibration: Calibration | None,
    replicates: ReplicateWeights | None,
) -> None:
    problems = []
    if ci_method not in CI_METHODS:
        problems.append(f"ci_method must be one of {CI_METHODS}; got {ci_method!r}")
    if replicates is not None and any(x is not None for x in (strata, cluster, fpc)):
        problems.append(
            "replicates= carries the sample design: do not also give strata, cluster or fpc "
            "(the replicate variance would ignore them)"
        )
    if replicates is not None and calibration is not None:
        problems.append(
            "calibration= with replicates= is not supported: each replicate would have to be "
            "re-raked (R's rake on a svrepdesign). Rake with the linearised design instead, "
            "or pass replicate weights that were each calibrated by the data supplier"
        )
    if replicates is not None and not isinstance(replicates, ReplicateWeights):
        problems.append(
            "replicates must be a ReplicateWeights (from replicate_weights() or "
            f"jk1_replicate_weights()); got {type(replicates).__name__}"
        )
    if problems:
        raise ParameterError(problems)


def _check_calibration(calibration: Calibration, design: _Design, weight: str | None) -> None:
    """The calibration must be of these respondents, and ``weight`` its calibrated weights."""
    if len(calibration.weights) != len(design.weights):
        raise AnalysisError(
            f"calibration= was made for {len(calibration.weights)} respondents but the data "
            f"has {len(design.weights)}; pass the report of the raking of these same rows."
        )
    if weight is None or not np.allclose(calibration.weights, design.weights, rtol=1e-9, atol=0.0):
        raise AnalysisError(
            f"the weight column {weight!r} is not the calibrated weights that calibration= "
            f"describes; pass the raked (or post-stratified) weights as weight=."
        )


def _variance_sentence(
    design: _Design,
    weight: str | None,
    calibration: Calibration | None,
    replicates: ReplicateWeights | None,
    statistic: str,
    ci_method: str,
) -> str:
    """How the SE column and the intervals were computed, in a sentence (``attrs``)."""
    if replicates is not None:
        how = f"Standard errors from the {replicates.describe()}"
        df = "the rank of the replicate weights minus one"
    else:
        how = f"Standard errors by Taylor linearisation ({design.description})"
        df = "PSUs minus strata"
        if calibration is not None:
            how += f", allowing for the calibration ({calibration.describe()})"
        elif weight is not None:
            how += (
                "; the weights are treated as fixed (no calibration given: if they were raked "
                "or post-stratified the standard errors are usually too large)"
            )
    interval = {
        "wilson": "Wilson score intervals",
        "logit": "logit intervals",
        "beta": "Korn-Graubard (beta) intervals",
        "t": "estimate +/- t x SE intervals",
    }[ci_method if statistic == "proportion" else "t"]
    tail = (
        " on the effective sample size p(1 - p)/SE^2 (the Kish base at 0% or 100%)"
        if statistic == "proportion" and ci_method != "t"
        else ""
    )
    return (
        f"{how}. Intervals: {interval}{tail}, t quantile on the design degrees of freedom ({df})."
    )


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
    difference: np.ndarray,
    se: np.ndarray,
    level: float,
    adjust: str | None,
    df: float = math.inf,
) -> dict[str, np.ndarray]:
    """Two-sided test of each difference of means against zero, with its Holm-levelled interval.

    ``difference +/- q(ci_level) * se`` with ``q`` the normal quantile, or the ``t`` quantile on
    ``df`` design degrees of freedom when finite (one design: PSUs minus strata, as R's
    ``svyttest``), so the interval excludes zero exactly when the (adjusted) test rejects.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        z = difference / se
    p = 2 * stats.t.sf(np.abs(z), df)
    p = np.where(np.isnan(z), np.nan, p)
    levels = _holm_levels(p, level, adjust)
    quantile = stats.t.ppf(0.5 + levels / 2, df)
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
    cluster: str | Sequence[str] | None = None,
    fpc: str | Sequence[str] | None = None,
    positive: Collection[Hashable] | None = None,
    level: float = 0.95,
    adjust: str | None = "holm",
    single_psu: str = "fail",
    calibration: Calibration | None = None,
) -> pd.DataFrame:
    """Test each group against the rest of the sample (respondents in the other groups).

    The difference ``group - rest`` is computed on the full design and its standard error by
    linearising the difference itself, ``z_i = z_group,i - z_rest,i`` (Taylor linearisation as
    in :func:`estimate`), so the covariance between group and rest - which exists when both
    share PSUs - is taken into account rather than assuming independence. For means that
    difference has the interval ``difference +/- t * se`` and the two-sided t-test, ``t`` on the
    design degrees of freedom (PSUs minus strata, each respondent a PSU without clusters; as
    R's ``svyttest``). For
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
    df, variable, weight, strata, cluster, fpc, positive, level, single_psu, calibration
        As for :func:`estimate` (with ``calibration`` the difference's linearised values are
        replaced by their calibration residuals, so ``se`` allows for the raking).
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
            **_design_columns(weight, strata, cluster, fpc),
            **{f"by[{i}]": c for i, c in enumerate(by_columns)},
        },
    )
    design = _describe_design(
        df, weight=weight, strata=strata, cluster=cluster, fpc=fpc, single_psu=single_psu
    )
    if calibration is not None:
        _check_calibration(calibration, design, weight)
    group, groups = _encode_groups(df, by_columns)
    y, valid = _response_values(df, variable, statistic, positive)
    known = valid & (group < len(groups))
    rows = [
        _difference_from_rest(y, known, group == g, design, calibration) for g in range(len(groups))
    ]
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
        units = len(design.stratum_of_psu) if design.stratum_of_psu is not None else len(df)
        tested = _test_differences(
            columns["difference"].to_numpy(),
            columns["se"].to_numpy(),
            level,
            adjust,
            df=float(units - len(design.n_psu)),
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
    y: np.ndarray,
    known: np.ndarray,
    in_group: np.ndarray,
    design: _Design,
    calibration: Calibration | None = None,
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
    z = np.where(known, z, 0.0)
    if calibration is not None:
        z = w * calibration_residuals(calibration, z / w)
    variance = _variance_of_values(z[:, None], design)[0]
    return (
        mean_mine,
        mean_rest,
        int(mine.sum()),
        int(rest.sum()),
        mean_mine - mean_rest,
        math.sqrt(variance),
        *effective,
    )
