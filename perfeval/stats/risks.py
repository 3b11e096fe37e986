"""Risk registers (issue #17): scores and bands on the 5 x 5 grid, the heat map counts, and the
risks that rose, are past their review date or above their target score.

Every function is pure and takes the report date as an argument where a date matters. The table
follows the agreed ``risks.csv`` columns (``risk_id``, ``inherent_likelihood``,
``inherent_impact``, ``residual_likelihood``, ``residual_impact``, optional ``target_score``,
``direction``, ``next_review``, ``register`` ...). The convention, in words a report can quote, is
:data:`SCORE_METHOD`; bands are configurable and always named in words, never colour alone.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError, ParameterError
from perfeval.data.loader import require_columns
from perfeval.data.notes import optional_column
from perfeval.stats.registers import coded_text, date_column, named_rows, report_timestamp

#: A band: its name, lowest and highest score (inclusive).
Band = tuple[str, int, int]

#: The default bands of the residual and inherent scores.
DEFAULT_BANDS: tuple[Band, ...] = (("low", 1, 4), ("medium", 5, 12), ("high", 15, 25))
#: The 1-5 scales, with the word for each point.
LIKELIHOOD_WORDS = {1: "rare", 2: "unlikely", 3: "possible", 4: "likely", 5: "almost certain"}
IMPACT_WORDS = {1: "negligible", 2: "minor", 3: "moderate", 4: "major", 5: "severe"}
SCALE = (1, 2, 3, 4, 5)
#: Every score likelihood x impact can take on the 5 x 5 grid (13, 14, 17 ... cannot occur).
POSSIBLE_SCORES = tuple(sorted({likelihood * impact for likelihood in SCALE for impact in SCALE}))
#: The two scores of a risk.
WHICH = ("inherent", "residual")
DIRECTIONS = ("risen", "fallen", "unchanged", "new")
RISEN = "risen"
CORPORATE = "corporate"

SCORE_METHOD = (
    "Each risk is scored as likelihood x impact on a 5 x 5 grid, both from 1 to 5 (likelihood 1 "
    "rare to 5 almost certain; impact 1 negligible to 5 severe), so scores run from 1 to 25. "
    "The inherent score is before controls, the residual score after them. Scores are banded "
    "{bands}. A risk is above target when its residual score exceeds its target score (a risk "
    "exactly at target is not), past its review date when its next review date is before the "
    "report date, and rose when its direction since the last review is 'risen'."
)


# --- bands -------------------------------------------------------------------------------------


def describe_bands(bands: Sequence[Band] = DEFAULT_BANDS) -> str:
    """The bands in words: ``1-4 low, 5-12 medium and 15-25 high``."""
    parts = [f"{low}-{high} {name}" for name, low, high in sorted(bands, key=lambda b: b[1])]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def score_method(bands: Sequence[Band] = DEFAULT_BANDS) -> str:
    """:data:`SCORE_METHOD` with the bands in use."""
    return SCORE_METHOD.format(bands=describe_bands(bands))


def _band_shape_problems(bands: object) -> list[str]:
    """What is wrong with the shape of each band (name, lowest, highest)."""
    if isinstance(bands, str) or not isinstance(bands, Sequence) or not bands:
        return [f"bands must be a non-empty list of (name, lowest, highest); got {bands!r}"]
    problems = []
    for band in bands:
        if isinstance(band, str) or not isinstance(band, Sequence) or len(band) != 3:
            problems.append(f"band {band!r} must be (name, lowest score, highest score)")
            continue
        name, low, high = band
        if not isinstance(name, str) or not name.strip():
            problems.append(f"band {band!r} needs a name in words (e.g. 'high')")
        if not all(
            isinstance(x, int | np.integer) and not isinstance(x, bool) for x in (low, high)
        ):
            problems.append(
                f"band {name!r}: lowest and highest must be whole numbers; got {band!r}"
            )
        elif low > high:
            problems.append(f"band {name!r} starts at {low}, after it ends at {high}; swap them")
    return problems


def check_bands(bands: Sequence[Band]) -> tuple[Band, ...]:
    """Check that every score that can occur (:data:`POSSIBLE_SCORES`) falls in exactly one band.

    Parameters
    ----------
    bands : sequence of (name, lowest, highest)
        E.g. :data:`DEFAULT_BANDS`; lowest and highest are inclusive whole numbers.

    Returns
    -------
    tuple of (name, lowest, highest)
        The bands, ordered from the lowest scores up.

    Raises
    ------
    ParameterError
        Listing every malformed band, repeated name, score in no band (a gap) and score in two
        bands (an overlap).
    """
    problems = _band_shape_problems(bands)
    if problems:
        raise ParameterError(problems)
    names = [name for name, _, _ in bands]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"band name {name!r} is used more than once; give each band its own name")
    gaps = [s for s in POSSIBLE_SCORES if not any(lo <= s <= hi for _, lo, hi in bands)]
    if gaps:
        problems.append(
            f"score(s) {gaps} fall in no band (a gap in {describe_bands(bands)}); widen a band "
            "to cover them"
        )
    for s in POSSIBLE_SCORES:
        holding = [name for name, lo, hi in bands if lo <= s <= hi]
        if len(holding) > 1:
            problems.append(
                f"score {s} falls in more than one band ({holding}: an overlap); make each band "
                "start after the one before it ends"
            )
    if problems:
        raise ParameterError(problems)
    return tuple(sorted((tuple(b) for b in bands), key=lambda b: b[1]))  # type: ignore[misc]


#: How a council writes one band as a report parameter: ``"low: 1-4"``.
BAND_ITEM_FORMAT = "name: lowest-highest"
_BAND_ITEM = re.compile(r"^\s*([^:]*?)\s*:\s*(\d+)\s*-\s*(\d+)\s*$")


def band_items(bands: Sequence[Band] = DEFAULT_BANDS) -> list[str]:
    """The bands as report parameter items: ``["low: 1-4", "medium: 5-12", "high: 15-25"]``."""
    return [f"{name}: {low}-{high}" for name, low, high in bands]


#: The default of the ``risk_bands`` report parameter (:data:`DEFAULT_BANDS` as text items).
DEFAULT_BAND_ITEMS: tuple[str, ...] = tuple(band_items(DEFAULT_BANDS))


def _parse_band_item(item: object) -> Band | str:
    """One ``"name: lowest-highest"`` item as a band, or what is wrong with it."""
    found = _BAND_ITEM.match(item) if isinstance(item, str) else None
    if found is None or not found.group(1):
        return (
            f"band {item!r} is not written '{BAND_ITEM_FORMAT}'; write it like 'high: 15-25' "
            "(a name, a colon, then the lowest and highest score joined by '-')"
        )
    return (found.group(1), int(found.group(2)), int(found.group(3)))


def parse_bands(items: Iterable[str]) -> tuple[Band, ...]:
    """Read a council's risk bands from report parameter items and check them.

    Parameters
    ----------
    items : iterable of str
        One band per item, written ``"name: lowest-highest"`` (inclusive scores), e.g.
        ``["low: 1-4", "medium: 5-12", "high: 15-25"]`` (:data:`DEFAULT_BAND_ITEMS`); spaces
        around the parts are ignored.

    Returns
    -------
    tuple of (name, lowest, highest)
        The bands, ordered from the lowest scores up (:func:`check_bands`).

    Raises
    ------
    ParameterError
        Naming every item not written ``name: lowest-highest`` and, once all are readable, every
        gap, overlap, repeated name or band that ends before it starts (:func:`check_bands`).
    """
    if isinstance(items, str):
        raise ParameterError(
            [f"risk bands must be a list of items like 'high: 15-25'; got the text {items!r}"]
        )
    parsed = [_parse_band_item(item) for item in items]
    problems = [p for p in parsed if isinstance(p, str)]
    if problems:
        raise ParameterError(problems)
    if not parsed:
        raise ParameterError([f"give at least one risk band, e.g. {list(DEFAULT_BAND_ITEMS)}"])
    return check_bands([b for b in parsed if not isinstance(b, str)])


def top_band(bands: Sequence[Band] = DEFAULT_BANDS) -> str:
    """The name of the band of the highest scores (``high`` by default)."""
    return check_bands(bands)[-1][0]


def band_of(score: int, bands: Sequence[Band] = DEFAULT_BANDS) -> str:
    """The name of the band a score falls in.

    Parameters
    ----------
    score : int
        A score likelihood x impact (1-25).
    bands : sequence of (name, lowest, highest)
        Checked with :func:`check_bands`.

    Returns
    -------
    str

    Raises
    ------
    AnalysisError
        When the score is in no band (e.g. 13, which the grid cannot give, or 30).
    ParameterError
        When the bands are not valid.
    """
    for name, low, high in check_bands(bands):
        if low <= score <= high:
            return name
    raise AnalysisError(
        f"score {score!r} falls in no band of {describe_bands(bands)}; a score is likelihood x "
        "impact, each 1-5"
    )


# --- scores ------------------------------------------------------------------------------------


def _scale_values(values: object, name: str) -> np.ndarray:
    """``values`` as whole numbers 1-5, or AnalysisError naming the values outside the scale."""
    raw = np.array(values, dtype=object)
    numbers = pd.to_numeric(pd.Series(raw.ravel()), errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(numbers) | (numbers != np.round(numbers)) | (numbers < 1) | (numbers > 5)
    if bad.any():
        words = LIKELIHOOD_WORDS if name == "likelihood" else IMPACT_WORDS
        raise AnalysisError(
            f"{name} must be a whole number from 1 ({words[1]}) to 5 ({words[5]}); "
            f"got {list(raw.ravel()[bad][:5])}"
        )
    return numbers.astype(int).reshape(raw.shape)


def score(likelihood: object, impact: object) -> int | np.ndarray:
    """Risk score = likelihood x impact, each a whole number from 1 to 5 (:data:`SCORE_METHOD`).

    Parameters
    ----------
    likelihood, impact : int or array-like of int
        1 (rare / negligible) to 5 (almost certain / severe).

    Returns
    -------
    int or ndarray of int
        1-25; an array when given arrays.

    Raises
    ------
    AnalysisError
        When a value is not a whole number from 1 to 5 (likelihood 6, 0, 2.5, blank).
    """
    product = _scale_values(likelihood, "likelihood") * _scale_values(impact, "impact")
    return int(product) if np.ndim(product) == 0 else product


def _grid_problems(frame: pd.DataFrame, which: str) -> list[str]:
    """The rows whose likelihood or impact (of ``which`` score) is not a whole number 1-5."""
    problems = []
    for axis in ("likelihood", "impact"):
        column = f"{which}_{axis}"
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = ~numbers.isin(SCALE)
        if bad.any():
            ids = optional_column(frame, "risk_id", "?")[bad]
            problems.append(
                f"{column} must be a whole number 1-5 on every row; risk(s) {named_rows(ids)} "
                f"have {frame[column][bad].iloc[0]!r} ..."
            )
    return problems


def grid_scores(frame: pd.DataFrame, which: str = "residual") -> pd.Series:
    """Each risk's inherent or residual score (likelihood x impact).

    Parameters
    ----------
    frame : DataFrame
        The risks table.
    which : {"inherent", "residual"}

    Returns
    -------
    Series of int
        Named ``<which>_score``.

    Raises
    ------
    ParameterError
        When ``which`` is neither.
    AnalysisError
        When a column is missing or a value is not a whole number 1-5, naming the risks.
    """
    _check_which(which)
    require_columns(frame, (f"{which}_likelihood", f"{which}_impact"), "the risks table")
    problems = _grid_problems(frame, which)
    if problems:
        raise AnalysisError("; ".join(problems) + ". Fix risks.csv and run again.")
    likelihood = pd.to_numeric(frame[f"{which}_likelihood"]).astype(int)
    impact = pd.to_numeric(frame[f"{which}_impact"]).astype(int)
    return (likelihood * impact).rename(f"{which}_score")


def _check_which(which: str) -> None:
    """ParameterError unless ``which`` is ``inherent`` or ``residual``."""
    if which not in WHICH:
        raise ParameterError([f"which must be one of {list(WHICH)}; got {which!r}"])


def _bands_of(scores: pd.Series, bands: Sequence[Band]) -> pd.Series:
    """The band name of each score (bands already checked)."""
    names = {s: name for name, low, high in bands for s in POSSIBLE_SCORES if low <= s <= high}
    return scores.map(names)


def _target_scores(frame: pd.DataFrame) -> pd.Series:
    """``target_score`` as numbers (NaN where blank or absent)."""
    target = pd.to_numeric(optional_column(frame, "target_score", None), errors="coerce")
    return target.astype(float)


def scored_register(frame: pd.DataFrame, bands: Sequence[Band] = DEFAULT_BANDS) -> pd.DataFrame:
    """The risks with their scores, bands and whether each is above its target score.

    Parameters
    ----------
    frame : DataFrame
        The risks table.
    bands : sequence of (name, lowest, highest)
        Checked with :func:`check_bands`.

    Returns
    -------
    DataFrame
        A copy with ``inherent_score``, ``residual_score`` (1-25), ``inherent_band``,
        ``residual_band`` and ``above_target`` (residual score > target score; False without a
        target) added.

    Raises
    ------
    AnalysisError
        Listing every likelihood or impact that is not a whole number 1-5, by risk.
    ParameterError
        When the bands are not valid.
    """
    checked = check_bands(bands)
    problems = [p for which in WHICH for p in _grid_problems_or_missing(frame, which)]
    if problems:
        raise AnalysisError("; ".join(problems) + ". Fix risks.csv and run again.")
    inherent, residual = grid_scores(frame, "inherent"), grid_scores(frame, "residual")
    return frame.assign(
        inherent_score=inherent,
        residual_score=residual,
        inherent_band=_bands_of(inherent, checked),
        residual_band=_bands_of(residual, checked),
        above_target=residual.gt(_target_scores(frame)),
    )


def _grid_problems_or_missing(frame: pd.DataFrame, which: str) -> list[str]:
    """Missing columns or bad values of one score, as messages."""
    columns = [f"{which}_likelihood", f"{which}_impact"]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        return [f"the risks table is missing column(s) {missing}"]
    return _grid_problems(frame, which)


def _residual_scores(frame: pd.DataFrame) -> pd.Series:
    """``residual_score`` when the frame is scored, else worked out."""
    if "residual_score" in frame.columns:
        return pd.to_numeric(frame["residual_score"]).astype(float)
    return grid_scores(frame, "residual")


# --- the heat map ------------------------------------------------------------------------------


def heat_map_counts(frame: pd.DataFrame, which: str = "residual") -> pd.DataFrame:
    """How many risks sit in each cell of the 5 x 5 grid.

    Parameters
    ----------
    frame : DataFrame
        The risks table.
    which : {"residual", "inherent"}
        The score to map.

    Returns
    -------
    DataFrame
        Index ``impact`` 5 down to 1 (the way the grid is drawn), columns ``likelihood`` 1 to 5,
        integer counts (0 where no risk sits).
    """
    grid_scores(frame, which)  # checks the values
    likelihood = pd.to_numeric(frame[f"{which}_likelihood"]).astype(int)
    impact = pd.to_numeric(frame[f"{which}_impact"]).astype(int)
    counts = pd.DataFrame(
        0,
        index=pd.Index(SCALE[::-1], name="impact"),
        columns=pd.Index(SCALE, name="likelihood"),
    )
    for (i, li), n in Counter(zip(impact, likelihood)).items():
        counts.loc[i, li] = n
    return counts


def heat_map_cells(counts: pd.DataFrame, bands: Sequence[Band] = DEFAULT_BANDS) -> pd.DataFrame:
    """The heat map as a tidy table: one row per cell, highest impact and likelihood first.

    Parameters
    ----------
    counts : DataFrame
        From :func:`heat_map_counts`.
    bands : sequence of (name, lowest, highest)

    Returns
    -------
    DataFrame
        ``impact``, ``likelihood``, ``score``, ``band`` and ``count``.
    """
    checked = check_bands(bands)
    rows = [
        {
            "impact": int(i),
            "likelihood": int(li),
            "score": int(i) * int(li),
            "band": band_of(int(i) * int(li), checked),
            "count": int(counts.loc[i, li]),
        }
        for i in sorted(counts.index, reverse=True)
        for li in sorted(counts.columns, reverse=True)
    ]
    return pd.DataFrame(rows, columns=["impact", "likelihood", "score", "band", "count"])


# --- rules on a report date ----------------------------------------------------------------------


def past_review(frame: pd.DataFrame, on: date | pd.Timestamp | str) -> pd.Series:
    """Whether each risk is past its review date: ``next_review`` before the report date.

    A risk reviewed on the report date itself, or without a next review date, is not.

    Parameters
    ----------
    frame : DataFrame
        The risks table (optional ``next_review``).
    on : date, Timestamp or str
        The report date.

    Returns
    -------
    Series of bool
    """
    day = report_timestamp(on)
    return (
        date_column(frame, "next_review", "risk_id", required=False).lt(day).rename("past_review")
    )


def rose(frame: pd.DataFrame) -> pd.Series:
    """Whether each risk's direction since the last review is ``risen``."""
    return coded_text(frame, "direction").eq(RISEN).rename("rose")


def above_target(frame: pd.DataFrame) -> pd.Series:
    """Whether each risk's residual score exceeds its target score (a risk exactly at target is
    not above it; a risk without a target never is)."""
    return _residual_scores(frame).gt(_target_scores(frame)).rename("above_target")


def in_register(frame: pd.DataFrame, register: str = CORPORATE) -> pd.DataFrame:
    """The risks of one register (``corporate``, the default of a blank cell, or ``service``)."""
    return frame[coded_text(frame, "register", CORPORATE).eq(register.strip().lower())]


def top_risks(frame: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The ``n`` risks with the highest residual score, ties by ``risk_id``.

    Parameters
    ----------
    frame : DataFrame
        The risks table (scored or not).
    n : int
        How many (0 or more).

    Returns
    -------
    DataFrame
        The rows, highest residual score first, with ``residual_score``.

    Raises
    ------
    ParameterError
        When ``n`` is not a whole number of 0 or more.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ParameterError([f"n (how many top risks) must be a whole number >= 0; got {n!r}"])
    require_columns(frame, ("risk_id",), "the risks table")
    scored = (
        frame
        if "residual_score" in frame.columns
        else frame.assign(residual_score=grid_scores(frame, "residual"))
    )
    ordered = scored.sort_values(
        ["residual_score", "risk_id"], ascending=[False, True], kind="mergesort"
    )
    return ordered.head(int(n))


def risk_summary(
    frame: pd.DataFrame, on: date | pd.Timestamp | str, bands: Sequence[Band] = DEFAULT_BANDS
) -> pd.DataFrame:
    """How many risks there are, in each residual band, that rose, are past their review date and
    are above their target score on the report date (:data:`SCORE_METHOD`).

    Parameters
    ----------
    frame : DataFrame
        The risks table (one register: see :func:`in_register`).
    on : date, Timestamp or str
        The report date.
    bands : sequence of (name, lowest, highest)

    Returns
    -------
    DataFrame
        ``measure`` and ``count``: ``risks``, one row per band (highest band first, named
        ``<band> residual score``), ``rose since the last review``, ``past their review date``
        and ``above their target score``.
    """
    scored = scored_register(frame, bands)
    checked = check_bands(bands)
    rows = [("risks", len(scored))]
    rows += [
        (f"{name} residual score", int(scored["residual_band"].eq(name).sum()))
        for name, _, _ in reversed(checked)
    ]
    rows += [
        ("rose since the last review", int(rose(scored).sum())),
        ("past their review date", int(past_review(scored, on).sum())),
        ("above their target score", int(scored["above_target"].sum())),
    ]
    return pd.DataFrame(rows, columns=["measure", "count"])
