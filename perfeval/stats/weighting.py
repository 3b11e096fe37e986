"""Survey weighting: raking to population margins and the design effect of unequal weights.

* :func:`rake_weights` - weights that reproduce known population margins (age, sex, area ...) by
  iterative proportional fitting (Deming & Stephan 1940; R survey's ``rake``), with optional
  trimming, and a :class:`RakingReport` of convergence and the margins achieved.
* :func:`post_stratify_weights` - post-stratification to the population shares or counts of one
  (possibly crossed) variable (R survey's ``postStratify``).
* :func:`weighting_design_effect` - Kish's design effect of the weights and so the effective base.

Both weighting functions return, with the weights, a :class:`Calibration` (``report.calibration``):
what the variance after weighting needs - the starting weights, the calibrated weights and the
calibration design matrix (one indicator column per margin category). Pass it to
:func:`perfeval.stats.survey.estimate` as ``calibration=`` with the weights as its ``weight``
column, and the standard errors use the calibration residuals (Deville & Saerndal 1992; Lumley
2010, ch. 7), as R's ``survey`` does after ``rake``, ``postStratify`` and ``calibrate``. Without it
``estimate`` treats the weights as fixed and says so in its result's ``attrs["variance"]``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.stats._respondents import validated_weights

__all__ = [
    "Calibration",
    "RakingReport",
    "calibration_residuals",
    "post_stratify_weights",
    "rake_weights",
    "weighting_design_effect",
]


@dataclass(frozen=True, eq=False)
class Calibration:
    """What the variance of an estimate needs to know about weights calibrated to margins.

    Calibration (raking, post-stratification) makes the weights depend on the sample, so a
    standard error that treats them as fixed is wrong - usually too large for variables related
    to the margins. The linearised variance of a calibration estimator replaces each
    respondent's linearised value ``u_i`` by its residual from the design-weighted regression on
    the calibration variables, ``e_i = u_i - x_i'B`` with ``B = (X'W0X)^-1 X'W0 u``, multiplied
    by the calibrated weight (Deville & Saerndal 1992, JASA 87, 376-382; Saerndal, Swensson &
    Wretman 1992, section 6.6; Lumley 2010, Complex Surveys, ch. 7 - the residuals R's
    ``survey::svyrecvar`` takes for ``calibrate`` designs).

    Attributes
    ----------
    method : str
        ``"raking"`` or ``"post-stratification"``.
    variables : tuple of str
        The margin variables.
    design_weights : numpy.ndarray
        The starting weights ``w0`` (before calibration), one per respondent.
    weights : numpy.ndarray
        The calibrated weights.
    model_matrix : numpy.ndarray
        ``(n, k)`` calibration design matrix: one 0/1 column per margin category.
    fixed_total : bool
        True when the margins were population counts (the weighted total is fixed); False when
        they were shares, so the weights sum to the starting total, which is itself estimated
        (its variance then enters a total's standard error; a mean's is unaffected).
    """

    method: str
    variables: tuple[str, ...]
    design_weights: np.ndarray
    weights: np.ndarray
    model_matrix: np.ndarray
    fixed_total: bool

    def describe(self) -> str:
        """One clause naming the calibration, e.g. ``"raking to 2 margins (age, sex)"``."""
        if self.method == "post-stratification":
            return f"post-stratification on {' x '.join(self.variables)}"
        return (
            f"raking to {len(self.variables)} margin{'s' if len(self.variables) != 1 else ''} "
            f"({', '.join(self.variables)})"
        )


def calibration_residuals(calibration: Calibration, values: np.ndarray) -> np.ndarray:
    """Residuals of linearised values from the design-weighted regression on the margins.

    ``values`` is ``(n,)`` or ``(n, G)``: per-respondent linearised values ``u`` (e.g. ``y`` for
    a total, ``(y - mean) / sum(w)`` for a mean). Returns ``e = u - X B`` with
    ``B = (X' W0 X)^+ X' W0 u`` (least squares weighted by the starting weights ``w0``; the
    pseudo-inverse because the indicators of several margins are collinear). Multiplying by the
    calibrated weights gives the values whose design-based variance is the calibration
    estimator's (Deville & Saerndal 1992; Lumley 2010, section 7.2; R survey's
    ``qr.resid(qr(X sqrt(w0)), u sqrt(w0)) / sqrt(w0)``).
    """
    x, w0 = calibration.model_matrix, calibration.design_weights
    u = np.asarray(values, dtype=float)
    column = u.ndim == 1
    u2 = u[:, None] if column else u
    gram = x.T @ (w0[:, None] * x)  # k x k, singular when several margins: pseudo-inverse
    coefficients = np.linalg.pinv(gram, rcond=1e-10, hermitian=True) @ (x.T @ (w0[:, None] * u2))
    residual = u2 - x @ coefficients
    return residual[:, 0] if column else residual


def weighting_design_effect(weights: Sequence[float] | np.ndarray | pd.Series) -> float:
    """Kish's design effect due to unequal weights, ``1 + CV^2 = n * sum(w^2) / (sum w)^2``.

    Kish, L. (1965) Survey Sampling, section 11.7; Kish (1992) "Weighting for unequal P_i",
    J. Official Statistics 8, 183-200. The effective base is ``n / deff``.

    Parameters
    ----------
    weights : array-like
        Positive, finite weights of the respondents.

    Returns
    -------
    float
        The design effect (>= 1; exactly 1 for equal weights).

    Raises
    ------
    AnalysisError
        If there are no weights or any is missing, infinite, zero or negative.
    """
    w = np.asarray(weights, dtype=float)
    if w.size == 0 or not np.all(np.isfinite(w) & (w > 0)):
        bad = int((~(np.isfinite(w) & (w > 0))).sum())
        raise AnalysisError(
            f"weighting_design_effect needs positive, finite weights; got "
            f"{w.size} weight(s) of which {bad} missing, infinite or <= 0."
        )
    return float(w.size * np.sum(w**2) / np.sum(w) ** 2)


@dataclass(frozen=True)
class RakingReport:
    """What happened when weights were raked: convergence, trimming and the margins achieved."""

    converged: bool
    iterations: int
    max_margin_error: float
    tolerance: float
    trim: float | None
    trimmed: int
    design_effect: float
    effective_base: float
    margins: pd.DataFrame
    calibration: Calibration | None = None

    def __str__(self) -> str:
        state = "converged" if self.converged else "DID NOT CONVERGE"
        trimmed = f"; {self.trimmed} weight(s) capped at {self.trim} x mean" if self.trim else ""
        return (
            f"Raking {state} after {self.iterations} iteration(s): largest margin error "
            f"{self.max_margin_error:.2e} (tolerance {self.tolerance:.0e}){trimmed}; "
            f"design effect {self.design_effect:.3f}, "
            f"effective base {self.effective_base:,.0f}."
        )


def _raking_targets(margins: pd.DataFrame, total_weight: float) -> dict[str, pd.Series]:
    """Population targets per raking variable, in weight units, from shares or counts."""
    needed = {"variable", "category"}
    kind = (
        "share" if "share" in margins.columns else "count" if "count" in margins.columns else None
    )
    if not needed <= set(margins.columns) or kind is None:
        raise ParameterError(
            [
                f"margins must have columns 'variable', 'category' and 'share' "
                f"(fractions summing to 1) or 'count'; "
                f"got {list(margins.columns)!r}"
            ]
        )
    problems, targets = [], {}
    for variable, rows in margins.groupby("variable", sort=False):
        values = pd.to_numeric(rows[kind], errors="coerce")
        if values.isna().any() or (values <= 0).any() or rows["category"].duplicated().any():
            problems.append(f"margin {variable!r}: every category needs one positive {kind}")
            continue
        targets[variable] = pd.Series(
            values.to_numpy(dtype=float), index=rows["category"].to_numpy()
        )
    sums = {v: t.sum() for v, t in targets.items()}
    if kind == "share":
        problems += [
            f"margin {v!r}: shares sum to {s:.6g}, not 1; rescale them"
            for v, s in sums.items()
            if abs(s - 1) > 1e-6
        ]
        targets = {v: t * total_weight for v, t in targets.items()}
    elif sums and max(sums.values()) - min(sums.values()) > 1e-6 * max(sums.values()):
        problems.append(f"margin counts must have the same total for every variable; got {sums!r}")
    if problems:
        raise ParameterError(problems)
    return targets


def _raking_codes(df: pd.DataFrame, targets: dict[str, pd.Series]) -> dict[str, np.ndarray]:
    """Each respondent's category position in each margin; all problems reported together."""
    problems, codes = [], {}
    for variable, target in targets.items():
        if variable not in df.columns:
            problems.append(f"raking variable {variable!r} is not a column of the data")
            continue
        series = df[variable]
        position = pd.Index(target.index).get_indexer(series)
        if series.isna().any():
            problems.append(
                f"{variable!r}: {int(series.isna().sum())} respondent(s) have no "
                f"value; impute or drop them before raking"
            )
        unknown = sorted(map(repr, series[(position < 0) & series.notna().to_numpy()].unique()))
        if unknown:
            problems.append(
                f"{variable!r}: value(s) {', '.join(unknown[:10])} are not categories "
                f"of the margin (check spelling and type, e.g. '1' versus 1)"
            )
        empty = [c for i, c in enumerate(target.index) if not (position == i).any()]
        if empty:
            problems.append(
                f"{variable!r}: no respondents in margin categories {empty!r}; merge "
                f"them with a neighbouring category"
            )
        codes[variable] = position
    if problems:
        raise AnalysisError("Cannot rake the weights:\n" + "\n".join(f"  - {p}" for p in problems))
    return codes


def rake_weights(
    df: pd.DataFrame,
    margins: pd.DataFrame,
    *,
    weight: str | None = None,
    max_iter: int = 100,
    tol: float = 1e-6,
    trim: float | None = None,
    on_nonconvergence: str = "raise",
) -> tuple[pd.Series, RakingReport]:
    """Rake weights to population margins by iterative proportional fitting, optionally trimmed.

    Raking (Deming & Stephan 1940, Ann. Math. Statist. 11, 427-444; R survey's ``rake``) scales
    the weights in turn so that the weighted distribution of each variable matches its
    population margin, repeating until every margin is met. With ``trim=k`` weights above
    ``k`` times the mean weight are capped after each cycle and the raking continues, so the
    result meets the margins with no weight above the cap ("trim and re-rake").

    Parameters
    ----------
    df : pandas.DataFrame
        One row per respondent; must hold every raking variable, with no missing values.
    margins : pandas.DataFrame
        Columns ``variable``, ``category`` and either ``share`` (fractions summing to 1 per
        variable; the raked weights then sum to the starting total, i.e. the number of
        respondents when ``weight`` is None) or ``count`` (population counts, with the same
        total for every variable; the weights then sum to that total).
    weight : str, optional
        Column of starting (design) weights; default all 1.
    max_iter : int
        Most raking cycles (one cycle adjusts every variable once).
    tol : float
        Converged when every achieved share is within ``tol`` of its target share (and, with
        trimming, no weight exceeds the cap by more than a fraction ``tol``).
    trim : float, optional
        Cap weights at ``trim`` x the mean weight (must be > 1), e.g. 5.
    on_nonconvergence : {"raise", "warn"}
        Raise :class:`AnalysisError` (default) or warn with ``RuntimeWarning`` and return the
        last weights with ``report.converged`` False.

    Returns
    -------
    weights : pandas.Series
        Raked weights, named ``"raked_weight"``, aligned with ``df.index``.
    report : RakingReport
        Convergence, iterations, largest margin error, number trimmed, design effect, a
        table of target and achieved shares, and ``calibration`` (a :class:`Calibration`) for
        :func:`perfeval.stats.survey.estimate`'s ``calibration=``, so that standard errors
        allow for the raking. With ``trim`` the capped weights meet the margins but are not
        an exact raking solution; the residual variance is then the usual approximation for
        bounded calibration (as R's ``calibrate`` with ``bounds``).

    Raises
    ------
    ParameterError
        If the margins table or the settings are malformed.
    AnalysisError
        If respondents cannot be matched to the margins, or raking does not converge and
        ``on_nonconvergence="raise"``.
    """
    _check_raking_settings(max_iter, tol, trim, on_nonconvergence)
    w = validated_weights(df, weight) if weight is not None else np.ones(len(df))
    targets = _raking_targets(margins, float(w.sum()))
    codes = _raking_codes(df, targets)
    total = float(next(iter(targets.values())).sum())
    converged, iteration, error, cap = False, 0, np.inf, np.inf
    while iteration < max_iter and not converged:
        iteration += 1
        for variable, target in targets.items():
            w = (
                w
                * (
                    target.to_numpy()
                    / np.bincount(codes[variable], weights=w, minlength=len(target))
                )[codes[variable]]
            )
        if trim is not None:
            cap = trim * w.mean()
            w = np.minimum(w, cap)
        error = _largest_margin_error(w, codes, targets, total)
        converged = error <= tol and (trim is None or w.max() <= cap * (1 + tol))
    report = _raking_report(w, codes, targets, total, converged, iteration, error, tol, trim, cap)
    calibration = Calibration(
        "raking",
        tuple(targets),
        validated_weights(df, weight) if weight is not None else np.ones(len(df)),
        w,
        _indicator_matrix(codes, targets),
        fixed_total="count" in margins.columns and "share" not in margins.columns,
    )
    report = dataclasses.replace(report, calibration=calibration)
    if not converged:
        message = (
            f"{report} Increase max_iter, relax tol, loosen trim, or merge sparse "
            f"categories of the margins."
        )
        if on_nonconvergence == "raise":
            raise AnalysisError(message)
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    return pd.Series(w, index=df.index, name="raked_weight"), report


def _check_raking_settings(
    max_iter: int, tol: float, trim: float | None, on_nonconvergence: str
) -> None:
    problems = []
    if not (isinstance(max_iter, int) and max_iter >= 1):
        problems.append(f"max_iter must be a whole number >= 1; got {max_iter!r}")
    if not (isinstance(tol, (int, float)) and tol > 0):
        problems.append(f"tol must be > 0; got {tol!r}")
    if trim is not None and not (isinstance(trim, (int, float)) and trim > 1):
        problems.append(
            f"trim must be a multiple of the mean weight > 1 (e.g. 5) or None; got {trim!r}"
        )
    if on_nonconvergence not in ("raise", "warn"):
        problems.append(f"on_nonconvergence must be 'raise' or 'warn'; got {on_nonconvergence!r}")
    if problems:
        raise ParameterError(problems)


def _largest_margin_error(
    w: np.ndarray, codes: dict[str, np.ndarray], targets: dict[str, pd.Series], total: float
) -> float:
    """Largest absolute gap between an achieved and a target share, over all margins."""
    return (
        max(
            float(np.max(np.abs(np.bincount(codes[v], weights=w, minlength=len(t)) - t.to_numpy())))
            for v, t in targets.items()
        )
        / total
    )


def _raking_report(
    w: np.ndarray,
    codes: dict[str, np.ndarray],
    targets: dict[str, pd.Series],
    total: float,
    converged: bool,
    iterations: int,
    error: float,
    tol: float,
    trim: float | None,
    cap: float,
) -> RakingReport:
    rows = []
    for variable, target in targets.items():
        achieved = np.bincount(codes[variable], weights=w, minlength=len(target))
        rows += [
            {
                "variable": variable,
                "category": c,
                "target_share": t / total,
                "achieved_share": a / total,
            }
            for c, t, a in zip(target.index, target, achieved)
        ]
    table = pd.DataFrame(rows)
    table["error"] = table["achieved_share"] - table["target_share"]
    deff = weighting_design_effect(w)
    trimmed = int(np.sum(w >= cap * (1 - 1e-12))) if trim is not None else 0
    return RakingReport(
        converged, iterations, float(error), tol, trim, trimmed, deff, len(w) / deff, table
    )


def _indicator_matrix(codes: dict[str, np.ndarray], targets: dict[str, pd.Series]) -> np.ndarray:
    """The calibration design matrix: one 0/1 column per category of every margin."""
    columns = [
        (codes[variable][:, None] == np.arange(len(target))[None, :]).astype(float)
        for variable, target in targets.items()
    ]
    return np.hstack(columns)


def post_stratify_weights(
    df: pd.DataFrame,
    population: pd.DataFrame,
    by: str | Sequence[str],
    *,
    weight: str | None = None,
) -> tuple[pd.Series, Calibration]:
    """Post-stratify weights: scale each cell's weights to its population share or count.

    Post-stratification (Holt & Smith 1979, JRSS A 142, 33-46; R survey's ``postStratify``;
    Lumley 2010, section 7.1) multiplies the weights of the respondents in cell ``c`` by
    ``N_c / sum_c w``, so the weighted sample matches the population distribution of the
    post-strata exactly. Cells are the categories of one variable or the crossed categories of
    several.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per respondent, with the post-stratification column(s), none missing.
    population : pandas.DataFrame
        The ``by`` column(s) and either ``count`` (population counts; the weights then sum to
        the population total) or ``share`` (fractions summing to 1; the weights keep the
        starting total). One row per cell; every cell of the sample must be present.
    by : str or list of str
        The post-stratification column(s).
    weight : str, optional
        Column of starting (design) weights; default all 1.

    Returns
    -------
    weights : pandas.Series
        Post-stratified weights named ``"poststratified_weight"``, aligned with ``df.index``.
    calibration : Calibration
        For :func:`perfeval.stats.survey.estimate`'s ``calibration=``.

    Raises
    ------
    ParameterError
        If ``population`` lacks the columns or a cell is listed twice or not positive.
    AnalysisError
        If a sample cell is not in ``population`` or a population cell has no respondents.
    """
    columns = [by] if isinstance(by, str) else list(by)
    kind = "count" if "count" in population.columns else "share"
    missing = [c for c in columns + [kind] if c not in population.columns]
    if missing:
        raise ParameterError(
            [
                f"population must have the column(s) {columns!r} and 'count' (population "
                f"counts) or 'share' (fractions summing to 1); missing {missing!r}"
            ]
        )
    absent = [c for c in columns if c not in df.columns]
    if absent:
        raise AnalysisError(f"Post-stratification column(s) {absent!r} are not in the data.")
    label = "cell"
    cells = pd.DataFrame(
        {
            "variable": label,
            "category": _cell_labels(population, columns),
            kind: population[kind].to_numpy(),
        }
    )
    sample = df.assign(**{label: _cell_labels(df, columns)})
    weights, report = rake_weights(sample, cells, weight=weight, max_iter=2, tol=1e-9)
    calibration = report.calibration
    assert calibration is not None  # rake_weights always sets it
    calibration = dataclasses.replace(
        calibration, method="post-stratification", variables=tuple(columns)
    )
    return weights.rename("poststratified_weight"), calibration


def _cell_labels(table: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One label per row for the crossed categories of ``columns`` (the value itself for one)."""
    if len(columns) == 1:
        return table[columns[0]].to_numpy()
    return np.array([" x ".join(map(str, row)) for row in table[columns].itertuples(index=False)])
