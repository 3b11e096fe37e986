"""Assess performance indicators: RAG against target, direction of travel, benchmarking.

Every function here is pure (frames in, frames out) and vectorised, so a national table of millions
of rows is assessed in seconds. Inputs follow ``docs/data-model.md``: the register ``indicators``
(``code``, ``polarity``, ``tolerance``, ``tolerance_type``, ``no_change_threshold`` ...), the long
table ``indicator_values`` (``authority``, ``indicator``, ``period``, ``value``, optional
``value_symbol``) and ``targets`` (``authority``, ``indicator``, ``period``, ``target``).

The rules, in words a report can quote, are in the ``*_METHOD`` constants. Decisions worth
knowing: a blank tolerance is 5 % relative (``DEFAULT_TOLERANCE``); a zero target with a relative
tolerance has no amber band; neutral-polarity indicators get no RAG ("Not applicable"), no
direction ("Not comparable", though the change is shown) and no rank; quartiles follow
``QUARTILE_METHOD`` (competition ranking, Excel QUARTILE.INC-equivalent boundaries) unless
``quartile_method`` and ``ties`` choose otherwise (:func:`quartile_method_note`).

The RAG rule itself (states, symbols, tolerance defaults, ``RAG_METHOD``) is in
:mod:`perfeval.stats.rag`; target profiling and year-end forecasts are in
:mod:`perfeval.stats.profiling`. Both are re-exported here until 0.3.

Performance note: key columns (``authority``, ``indicator``, ``period``) are encoded to integers
once per call; when they are ``category`` dtype this is free, otherwise each distinct label is
hashed once. Period labels are parsed once per distinct label, never per row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from perfeval.core.exceptions import AnalysisError, PeriodError
from perfeval.core.periods import Period, parse_period
from perfeval.data.loader import STATUS_FLAGS, SYMBOLS, require_columns
from perfeval.stats.intervals import none_where

# moved to perfeval.stats.profiling; re-exported until 0.3
from perfeval.stats.profiling import (
    AT_RISK,
    FORECAST_METHOD,
    FORECAST_STATES,
    FREQUENCIES,
    OFF_TRACK,
    ON_TRACK,
    PROFILE_METHODS,
    YearEndForecast,
    assess_forecast,
    assess_year_to_date,
    bounded_period_targets,
    estimate_seasonal_shares,
    forecast_year_end,
    profile_annual_target,
    year_to_date_values,
)

# moved to perfeval.stats.rag; re-exported until 0.3
from perfeval.stats.rag import (
    AMBER,
    DEFAULT_TOLERANCE,
    DEFAULT_TOLERANCE_TYPE,
    FLOAT_SLACK,
    GREEN,
    NO_DATA,
    NO_TARGET,
    NOT_APPLICABLE,
    POLARITIES,
    POLARITY_SIGNS,
    RAG_METHOD,
    RAG_STATES,
    RAG_SYMBOLS,
    RED,
    TOLERANCE_TYPES,
    comparison_slack,
    rag_codes,
    require_choice,
    tolerance_band,
)

__all__ = [
    "COMPARISONS",
    "DEFAULT_NO_CHANGE_THRESHOLD",
    "DOT_METHOD",
    "DOT_STATES",
    "DOT_SYMBOLS",
    "IMPROVED",
    "NOT_COMPARABLE",
    "NO_CHANGE",
    "QUARTILE_METHOD",
    "QUARTILE_METHODS",
    "TIES",
    "SYMBOL_MEANINGS",
    "WORSE",
    "assess_against_target",
    "average_performance_score",
    "benchmark",
    "comparison_period",
    "count_share",
    "describe_share",
    "describe_symbol",
    "direction_of_travel",
    "indicator_settings",
    "percentile_rank",
    "at_median",
    "in_top_two_quartiles",
    "quartile_method_note",
    "quartile_position",
    "rank_within_groups",
    "share_in_top_two_quartiles",
    "summarise_headlines",
    # moved to perfeval.stats.profiling; re-exported until 0.3
    "AT_RISK",
    "FORECAST_METHOD",
    "FORECAST_STATES",
    "FREQUENCIES",
    "OFF_TRACK",
    "ON_TRACK",
    "PROFILE_METHODS",
    "YearEndForecast",
    "assess_forecast",
    "assess_year_to_date",
    "bounded_period_targets",
    "estimate_seasonal_shares",
    "forecast_year_end",
    "profile_annual_target",
    "year_to_date_values",
    # moved to perfeval.stats.rag; re-exported until 0.3
    "AMBER",
    "DEFAULT_TOLERANCE",
    "DEFAULT_TOLERANCE_TYPE",
    "FLOAT_SLACK",
    "GREEN",
    "NOT_APPLICABLE",
    "NO_DATA",
    "NO_TARGET",
    "POLARITIES",
    "RAG_METHOD",
    "RAG_STATES",
    "RAG_SYMBOLS",
    "RED",
    "TOLERANCE_TYPES",
]

# --- settings and their defaults --------------------------------------------------------------

#: Direction-of-travel threshold used when ``no_change_threshold`` is blank: any change counts.
DEFAULT_NO_CHANGE_THRESHOLD = 0.0

COMPARISONS = ("previous", "same_period_last_year")

# --- vocabularies ------------------------------------------------------------------------------

IMPROVED, NO_CHANGE, WORSE, NOT_COMPARABLE = "Improved", "No change", "Worse", "Not comparable"
#: Every state ``dot`` can take.
DOT_STATES = (IMPROVED, NO_CHANGE, WORSE, NOT_COMPARABLE)
DOT_SYMBOLS = {IMPROVED: "↑", NO_CHANGE: "→", WORSE: "↓", NOT_COMPARABLE: "·"}

#: Meaning of each statistical symbol and status flag (the loader's vocabulary,
#: :data:`perfeval.data.loader.SYMBOLS` and :data:`perfeval.data.loader.STATUS_FLAGS`), used to say
#: why a value is missing.
SYMBOL_MEANINGS = {**SYMBOLS, **STATUS_FLAGS}

DOT_METHOD = (
    "Direction of travel compares each value with the value for the previous period of the same "
    "kind (or the same quarter or month a year earlier), taking polarity into account. A change "
    "no larger than the indicator's no-change threshold (in its units) is 'No change'. When "
    "either value is missing, or the indicator has neutral polarity (a change is neither better "
    "nor worse), the result is 'Not comparable'; the numeric change is still shown when both "
    "values exist."
)
_KEYS = ("authority", "indicator", "period")


# --- small shared helpers ----------------------------------------------------------------------


def _encode(column: pd.Series, name: str) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (int64) and distinct labels of a key column; free for categoricals."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes, labels = column.cat.codes.to_numpy().astype(np.int64), column.cat.categories
    else:
        codes, uniques = pd.factorize(column)
        codes, labels = codes.astype(np.int64), pd.Index(uniques)
    if (codes < 0).any():
        rows = np.flatnonzero(codes < 0)[:5].tolist()
        raise AnalysisError(
            f"column {name!r} is blank in row(s) {rows} (0-based); every row "
            f"needs an authority, indicator and period"
        )
    return codes, labels


def _encode_onto(column: pd.Series, labels: pd.Index) -> np.ndarray:
    """Codes of ``column`` in an existing label index (-1 where the label is not there)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        recode = np.append(labels.get_indexer(column.cat.categories), -1)
        return recode[column.cat.codes.to_numpy()].astype(np.int64)
    return labels.get_indexer(column).astype(np.int64)


def describe_symbol(symbol: object) -> str:
    """Why a value is missing, from its statistical symbol.

    Parameters
    ----------
    symbol : str or None
        The ``value_symbol`` of a missing value.

    Returns
    -------
    str
        ``"[x] not available"`` for a known symbol (:data:`SYMBOL_MEANINGS`),
        ``"value missing ([q])"`` for an unknown one and ``"value missing"`` for none or blank.
    """
    if not isinstance(symbol, str) or not symbol.strip():
        return "value missing"
    meaning = SYMBOL_MEANINGS.get(symbol.strip())
    return f"{symbol.strip()} {meaning}" if meaning else f"value missing ({symbol.strip()})"


def _symbol_reasons(
    values: pd.DataFrame, rows: np.ndarray, prefix: str = ""
) -> tuple[np.ndarray, list[str]]:
    """For the given rows: index into the returned texts saying why the value is missing.

    Text 0 is the plain 'value missing'; the others describe each distinct ``value_symbol``.
    """
    if "value_symbol" not in values.columns:
        return np.zeros(len(rows), dtype=np.int64), [f"{prefix}value missing"]
    column = values["value_symbol"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes, symbols = column.cat.codes.to_numpy()[rows], column.cat.categories
    else:
        codes, symbols = pd.factorize(column.to_numpy(dtype=object)[rows])
    texts = [f"{prefix}value missing"] + [prefix + describe_symbol(str(s)) for s in symbols]
    return codes.astype(np.int64) + 1, texts


def _categorical(codes: np.ndarray, categories: Sequence[str]) -> pd.Categorical:
    """A categorical from integer codes (-1 = missing); repeated category texts are merged."""
    unique = pd.Index(list(categories), dtype=object).unique()
    recode = np.append(unique.get_indexer(list(categories)), -1)
    return pd.Categorical.from_codes(recode[codes], categories=unique)


def _labelled(states: pd.Categorical, symbols: dict[str, str]) -> pd.Categorical:
    """'✔ Green' style labels: the symbol and the word, as a categorical of the same codes."""
    return pd.Categorical.from_codes(
        states.codes, categories=[f"{symbols[s]} {s}" for s in states.categories]
    )


# --- the indicator register --------------------------------------------------------------------


def _numeric_setting(register: pd.DataFrame, column: str, problems: list[str]) -> np.ndarray:
    """A non-negative numeric register column as floats (NaN when blank or absent)."""
    if column not in register.columns:
        return np.full(len(register), np.nan)
    raw = register[column]
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero((np.isnan(numbers) & raw.notna().to_numpy()) | (numbers < 0))
    for i in bad[:10]:
        problems.append(
            f"indicator {register['code'].iloc[i]!r}: {column} must be a number "
            f">= 0 or blank; found {raw.iloc[i]!r}"
        )
    return numbers


def _text_setting(
    register: pd.DataFrame, column: str, allowed: Sequence[str], problems: list[str]
) -> pd.Series:
    """A lower-cased, stripped text register column; blanks kept as missing."""
    if column not in register.columns:
        return pd.Series([None] * len(register), dtype=object)
    text = register[column].astype(object).where(register[column].notna())
    text = text.map(lambda v: v.strip().lower() if isinstance(v, str) else None).astype(object)
    for i in np.flatnonzero(text.notna().to_numpy() & ~text.isin(allowed).to_numpy())[:10]:
        problems.append(
            f"indicator {register['code'].iloc[i]!r}: {column} must be one of "
            f"{list(allowed)}; found {register[column].iloc[i]!r}"
        )
    return text


def indicator_settings(register: pd.DataFrame) -> pd.DataFrame:
    """The assessment settings of every indicator, with blanks replaced by the documented defaults.

    Parameters
    ----------
    register : pandas.DataFrame
        The indicator register (``code``, ``polarity``; optional ``tolerance``,
        ``tolerance_type``, ``no_change_threshold``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code`` with columns ``polarity``, ``sign`` (1 higher, -1 lower, 0 neutral),
        ``tolerance``, ``tolerance_type`` and ``no_change_threshold``.

    Raises
    ------
    AnalysisError
        Listing every missing column, duplicate code, unknown polarity or tolerance type and
        negative or non-numeric tolerance or threshold.
    """
    require_columns(register, ("code", "polarity"), "indicator register")
    problems: list[str] = []
    codes = register["code"].astype(str).str.strip()
    for code in codes[codes.duplicated()].unique()[:10]:
        problems.append(f"indicator code {code!r} appears more than once in the register")
    polarity = _text_setting(register, "polarity", POLARITIES, problems)
    for i in np.flatnonzero(polarity.isna().to_numpy())[:10]:
        problems.append(
            f"indicator {codes.iloc[i]!r}: polarity is blank; use one of {list(POLARITIES)}"
        )
    kind = _text_setting(register, "tolerance_type", TOLERANCE_TYPES, problems)
    tolerance = _numeric_setting(register, "tolerance", problems)
    threshold = _numeric_setting(register, "no_change_threshold", problems)
    if problems:
        raise AnalysisError(
            "indicator register problems:\n  - "
            + "\n  - ".join(problems)
            + "\nFix indicators.csv and run again."
        )
    blank = np.isnan(tolerance)
    kind = np.where(
        blank | kind.isna().to_numpy(), DEFAULT_TOLERANCE_TYPE, kind.to_numpy(dtype=object)
    )
    return pd.DataFrame(
        {
            "polarity": polarity.to_numpy(dtype=object),
            "sign": polarity.map(POLARITY_SIGNS).to_numpy(dtype=float),
            "tolerance": np.where(blank, DEFAULT_TOLERANCE, tolerance),
            "tolerance_type": kind,
            "no_change_threshold": np.where(
                np.isnan(threshold), DEFAULT_NO_CHANGE_THRESHOLD, threshold
            ),
        },
        index=pd.Index(codes.to_numpy(dtype=object), name="code"),
    )


def _used(codes: np.ndarray, labels: pd.Index) -> np.ndarray:
    """Which labels of a (possibly categorical) key column occur in its rows."""
    return np.bincount(codes, minlength=len(labels)) > 0


def _settings_for(indicators: pd.Index, register: pd.DataFrame, used: np.ndarray) -> pd.DataFrame:
    """Settings rows aligned to ``indicators`` (the distinct indicator codes of a table).

    Only the ``used`` codes must be in the register (a categorical column may carry unused
    categories); unused unknown codes get an arbitrary register row, never read.
    """
    settings = indicator_settings(register)
    position = settings.index.get_indexer(pd.Index(indicators).astype(str).str.strip())
    unknown = (position < 0) & used
    if unknown.any():
        names = [str(c) for c in np.asarray(indicators)[unknown][:10]]
        raise AnalysisError(
            f"indicator(s) {names} are not in the indicator register; add "
            f"them to indicators.csv or drop their rows"
        )
    return settings.iloc[np.maximum(position, 0)].reset_index()


# --- RAG against target ------------------------------------------------------------------------


def _align_targets(
    values: pd.DataFrame,
    targets: pd.DataFrame | None,
    keys: tuple[np.ndarray, ...],
    labels: tuple[pd.Index, ...],
) -> np.ndarray:
    """The target for each row of ``values`` (NaN when there is none); targets keys unique."""
    if targets is None or len(targets) == 0:
        return np.full(len(values), np.nan)
    require_columns(targets, (*_KEYS, "target"), "targets")
    t_codes = [_encode_onto(targets[k], lab) for k, lab in zip(_KEYS, labels)]
    found = (t_codes[0] >= 0) & (t_codes[1] >= 0) & (t_codes[2] >= 0)
    target = pd.to_numeric(targets["target"], errors="coerce").to_numpy(dtype=float)
    if not found.all():
        t_codes, target, targets = [c[found] for c in t_codes], target[found], targets[found]
    sizes = [len(lab) for lab in labels]
    find = _row_finder(
        _combine(t_codes, sizes), int(np.prod(sizes, dtype=np.int64)), targets, "targets"
    )
    return np.append(target, np.nan)[find(_combine(keys, sizes))]  # row -1 -> the NaN


def assess_against_target(
    values: pd.DataFrame, targets: pd.DataFrame | None, register: pd.DataFrame
) -> pd.DataFrame:
    """RAG status of each value against its target, polarity-aware (see ``RAG_METHOD``).

    Parameters
    ----------
    values : pandas.DataFrame
        Long table ``authority, indicator, period, value`` (optional ``value_symbol`` and any
        other columns, which are kept).
    targets : pandas.DataFrame or None
        ``authority, indicator, period, target``; a target is matched on all three keys. Targets
        for rows not in ``values`` are ignored. ``None`` means no targets.
    register : pandas.DataFrame
        The indicator register.

    Returns
    -------
    pandas.DataFrame
        ``values`` with added columns ``target`` (float), ``difference`` (value - target),
        ``tolerance_band`` (amber band width in the indicator's units), ``rag`` (one of
        ``RAG_STATES``, categorical), ``rag_label`` (``"✔ Green"``, ``"▲ Amber"``, ``"✖ Red"``
        ...) and ``rag_reason`` (why there is no RAG, e.g. ``"[x] not available"``; missing for
        Green, Amber and Red).

    Raises
    ------
    AnalysisError
        On missing columns, indicators not in the register, an invalid register, or duplicate
        (authority, indicator, period) keys in ``targets``.
    """
    require_columns(values, (*_KEYS, "value"), "values")
    encoded = [_encode(values[k], k) for k in _KEYS]
    keys, labels = tuple(e[0] for e in encoded), tuple(e[1] for e in encoded)
    settings = _settings_for(labels[1], register, _used(keys[1], labels[1]))
    value = pd.to_numeric(values["value"], errors="coerce").to_numpy(dtype=float)
    target = _align_targets(values, targets, keys, labels)
    sign = settings["sign"].to_numpy()[keys[1]]
    relative = (settings["tolerance_type"].to_numpy() == "relative")[keys[1]]
    band = tolerance_band(target, settings["tolerance"].to_numpy()[keys[1]], relative)
    rag = _categorical(rag_codes(value, target, sign, band), RAG_STATES)
    return _with_columns(
        values,
        target=target,
        difference=value - target,
        tolerance_band=band,
        rag=rag,
        rag_label=_labelled(rag, RAG_SYMBOLS),
        rag_reason=_rag_reasons(values, rag.codes),
    )


def _with_columns(frame: pd.DataFrame, **columns: object) -> pd.DataFrame:
    """``frame.assign(**columns)`` without copying the new arrays (built here, used nowhere
    else): on millions of rows ``assign`` spends longer copying them than computing them. The
    input frame is not changed (a shallow copy; pandas' copy-on-write guards its columns)."""
    out = frame.copy(deep=False)
    for name, column in columns.items():
        out[name] = pd.Series(column, index=frame.index, copy=False)
    return out


def _rag_reasons(values: pd.DataFrame, states: np.ndarray) -> pd.Categorical:
    """Why a row has no RAG: neutral polarity, no target, or the missing value's symbol."""
    fixed = ["neutral polarity: a change is neither better nor worse", "no target for this period"]
    codes = np.full(len(states), -1, dtype=np.int64)
    codes[states == 5] = 0
    codes[states == 4] = 1
    missing = np.flatnonzero(states == 3)
    symbol_codes, symbol_texts = _symbol_reasons(values, missing)
    codes[missing] = symbol_codes + len(fixed)
    return _categorical(codes, fixed + symbol_texts)


# --- keys and row look-up ----------------------------------------------------------------------


def _combine(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> np.ndarray:
    """One int64 key from several non-negative integer codes (mixed radix)."""
    key = np.array(codes[0], dtype=np.int64)
    for code, size in zip(codes[1:], sizes[1:]):
        key *= size
        key += code
    return key


def _dense(size: int, rows: int) -> bool:
    """Whether a dense look-up table of ``size`` entries is affordable for ``rows`` rows."""
    return size <= max(4 * rows, 1 << 20)


def _raise_duplicates(keys: np.ndarray, frame: pd.DataFrame, name: str) -> None:
    """Raise AnalysisError naming rows that share an (authority, indicator, period) key."""
    duplicated = pd.Index(keys).duplicated(keep=False)
    examples = frame.loc[duplicated, list(_KEYS)].drop_duplicates().head(5)
    raise AnalysisError(
        f"{name}: {int(duplicated.sum())} rows share an (authority, indicator, period) key, "
        f"e.g. {examples.astype(str).to_dict('records')}; keep one row per key"
    )


def _row_finder(keys: np.ndarray, size: int, frame: pd.DataFrame, name: str):
    """A function mapping wanted keys to their row in ``keys`` (-1 when absent or wanted is -1).

    Raises AnalysisError when ``keys`` are not unique. Small key spaces use a dense table with
    one spare slot at the end holding -1, so that a wanted key of -1 finds -1.
    """
    if not _dense(size, len(keys)):
        index = pd.Index(keys)
        if not index.is_unique:
            _raise_duplicates(keys, frame, name)
        return lambda wanted: np.where(wanted >= 0, index.get_indexer(wanted), -1)
    table = np.full(size + 1, -1, dtype=np.int32 if len(keys) < 2**31 else np.int64)
    positions = np.arange(len(keys), dtype=table.dtype)
    table[keys] = positions
    if (table[keys] != positions).any():
        _raise_duplicates(keys, frame, name)
    return lambda wanted: table[wanted]


# --- direction of travel -----------------------------------------------------------------------


def _parse_labels(labels: pd.Index, used: np.ndarray | None = None) -> list[Period]:
    """Parse each distinct period label once; AnalysisError naming the bad labels.

    Labels not ``used`` (unused categories) that do not parse become a placeholder period.
    """
    parsed, bad = [], []
    for i, label in enumerate(labels):
        try:
            parsed.append(parse_period(str(label)))
        except PeriodError:
            parsed.append(Period("year", -9999 - i))  # unique, never matched
            if used is None or used[i]:
                bad.append(str(label))
    if bad:
        raise AnalysisError(
            f"period label(s) {bad[:10]} not understood: use '2023/24', '2023/24 Q1' or '2023-04'"
        )
    return parsed


def comparison_period(label: str, compare: str = "previous") -> str:
    """The period a value is compared with for direction of travel.

    Parameters
    ----------
    label : str
        A period label.
    compare : {"previous", "same_period_last_year"}
        The previous period of the same kind (2023/24 Q1 -> 2022/23 Q4) or the same quarter or
        month a year earlier (2023/24 Q1 -> 2022/23 Q1). For a year both give the previous year.

    Returns
    -------
    str
    """
    require_choice(compare, COMPARISONS, "compare")
    period = parse_period(label)
    other = period.previous() if compare == "previous" else period.same_period_last_year()
    return other.label


def _dot_codes(
    change: np.ndarray, sign: np.ndarray, threshold: np.ndarray, slack: np.ndarray
) -> np.ndarray:
    """Index into DOT_STATES: No change within the threshold, else by the sign of the change."""
    codes = np.full(len(change), 2, dtype=np.int8)
    np.putmask(codes, change * sign > 0, 0)
    threshold = threshold + slack
    np.putmask(codes, np.abs(change) <= threshold, 1)
    np.putmask(codes, np.isnan(change) | (sign == 0), 3)
    return codes


def _comparison_rows(
    values: pd.DataFrame, keys: list[np.ndarray], labels: list[pd.Index], compare: str
) -> tuple[np.ndarray, pd.Index]:
    """Row of each value's comparison period (-1 when absent) and each label's comparison label.

    Labels are parsed once each; rows are found through one integer key per row.
    """
    periods = _parse_labels(labels[2], _used(keys[2], labels[2]))
    canonical = pd.Index([p.label for p in periods])
    if not canonical.is_unique:
        raise AnalysisError(
            "period labels differ only in spacing or form, e.g. "
            f"{list(labels[2][canonical.duplicated(keep=False)][:4])}; "
            "write each period one way"
        )
    other_labels = pd.Index(
        [
            (p.previous() if compare == "previous" else p.same_period_last_year()).label
            for p in periods
        ]
    )
    other = canonical.get_indexer(other_labels)[keys[2]]
    sizes = [len(lab) for lab in labels]
    find = _row_finder(_combine(keys, sizes), int(np.prod(sizes, dtype=np.int64)), values, "values")
    wanted = _combine([keys[0], keys[1], np.maximum(other, 0)], sizes)
    wanted[other < 0] = -1
    return find(wanted), other_labels


def direction_of_travel(
    values: pd.DataFrame, register: pd.DataFrame, *, compare: str = "previous"
) -> pd.DataFrame:
    """Direction of travel of each value, polarity-aware (see ``DOT_METHOD``).

    Parameters
    ----------
    values : pandas.DataFrame
        Long table ``authority, indicator, period, value`` (optional ``value_symbol``; other
        columns are kept). Keys must be unique.
    register : pandas.DataFrame
        The indicator register (polarity and ``no_change_threshold`` are used).
    compare : {"previous", "same_period_last_year"}
        Compare with the previous period of the same kind or the same period a year earlier.

    Returns
    -------
    pandas.DataFrame
        ``values`` with added columns ``comparison_period`` (label, categorical),
        ``comparison_value``, ``change`` (value - comparison value), ``dot`` (one of
        ``DOT_STATES``), ``dot_label`` (``"↑ Improved"`` ...) and ``dot_reason`` (why a row is
        not comparable; missing otherwise).

    Raises
    ------
    AnalysisError
        On missing columns, unknown indicators, bad period labels or duplicate keys.
    """
    require_choice(compare, COMPARISONS, "compare")
    require_columns(values, (*_KEYS, "value"), "values")
    encoded = [_encode(values[k], k) for k in _KEYS]
    keys, labels = [e[0] for e in encoded], [e[1] for e in encoded]
    settings = _settings_for(labels[1], register, _used(keys[1], labels[1]))
    rows, other_labels = _comparison_rows(values, keys, labels, compare)
    value = pd.to_numeric(values["value"], errors="coerce").to_numpy(dtype=float)
    before = np.append(value, np.nan)[rows]  # row -1 -> the NaN
    change = value - before
    sign = settings["sign"].to_numpy()[keys[1]]
    threshold = settings["no_change_threshold"].to_numpy()[keys[1]]
    dot = _categorical(
        _dot_codes(change, sign, threshold, comparison_slack(value, before)), DOT_STATES
    )
    categories = other_labels.unique()
    return _with_columns(
        values,
        comparison_period=pd.Categorical.from_codes(
            categories.get_indexer(other_labels)[keys[2]], categories=categories
        ),
        comparison_value=before,
        change=change,
        dot=dot,
        dot_label=_labelled(dot, DOT_SYMBOLS),
        dot_reason=_dot_reasons(values, dot.codes, sign, rows, np.isnan(value)),
    )


def _dot_reasons(
    values: pd.DataFrame,
    dot_codes: np.ndarray,
    sign: np.ndarray,
    rows: np.ndarray,
    missing_now: np.ndarray,
) -> pd.Categorical:
    """Why a row is not comparable: neutral polarity, no comparison row, or a missing value.

    ``rows`` is the row of each value's comparison period (-1 when not in the data).
    """
    fixed = [
        "neutral polarity: a change is neither better nor worse",
        "comparison period not in the data",
    ]
    codes = np.full(len(dot_codes), -1, dtype=np.int64)
    now = np.flatnonzero((dot_codes == 3) & (sign != 0) & missing_now)
    now_codes, now_texts = _symbol_reasons(values, now)
    then = np.flatnonzero((dot_codes == 3) & (sign != 0) & ~missing_now)
    then_codes, then_texts = _symbol_reasons(values, rows[then], "comparison period: ")
    codes[then] = np.where(rows[then] < 0, 1, then_codes + len(fixed) + len(now_texts))
    codes[now] = now_codes + len(fixed)
    codes[(dot_codes == 3) & (sign == 0)] = 0
    return _categorical(codes, fixed + now_texts + then_texts)


# --- benchmarking ------------------------------------------------------------------------------


def _stable_argsort(keys: np.ndarray) -> np.ndarray:
    """Stable argsort of non-negative integer keys, by 16-bit radix passes when they fit."""
    top = int(keys.max()) if len(keys) else 0
    if top < 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    if top < 1 << 32:
        order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
        return order[np.argsort((keys[order] >> 16).astype(np.uint16), kind="stable")]
    return np.argsort(keys, kind="stable")


#: Tie rules of :func:`rank_within_groups`: tied scores share the best rank of the run
#: (standard competition ranking, '1224', Excel RANK.EQ) or its mean (fractional ranking,
#: '1 2.5 2.5 4', Excel RANK.AVG).
TIES = ("competition", "mid-rank")
#: Quartile conventions of :func:`quartile_position` and :func:`percentile_rank`: Hyndman & Fan
#: (1996) type 7 (Excel QUARTILE.INC, PERCENTRANK.INC) and type 6 (QUARTILE.EXC, PERCENTRANK.EXC).
QUARTILE_METHODS = ("inclusive", "exclusive")


def _check_option(name: str, value: str, allowed: Sequence[str]) -> str:
    """``value`` if it is one of ``allowed``, else an AnalysisError naming the choices."""
    if value not in allowed:
        raise AnalysisError(
            f"{name} must be one of {list(allowed)}; got {value!r}. Set the report's "
            f"{name} parameter to one of them"
        )
    return value


def rank_within_groups(
    groups: np.ndarray, scores: np.ndarray, *, ties: str = "competition"
) -> tuple[np.ndarray, np.ndarray]:
    """Rank of each score within its group, 1 = highest score.

    Parameters
    ----------
    groups : numpy.ndarray
        Non-negative integer group code of each item.
    scores : numpy.ndarray
        Score of each item, higher is better; no NaN.
    ties : {"competition", "mid-rank"}
        ``"competition"`` (default): tied scores share the best rank of their run ('1224', Excel
        RANK.EQ). ``"mid-rank"``: they share the mean of the ranks they span ('1 2.5 2.5 4',
        Excel RANK.AVG; the fractional ranking of Kendall & Gibbons 1990, ch. 3), so the ranks of
        a group always sum to n (n + 1) / 2.

    Returns
    -------
    rank, size : numpy.ndarray
        Rank of each item (integers for competition, floats for mid-rank) and the size of its
        group.

    Raises
    ------
    AnalysisError
        For an unknown ``ties``.
    """
    _check_option("ties", ties, TIES)
    order = np.argsort(scores)[::-1]
    order = order[_stable_argsort(groups[order])]
    g, s = groups[order], scores[order]
    index = np.int32 if len(order) < 2**31 else np.int64
    first_in_run = np.ones(len(order), dtype=bool)
    first_in_run[1:] = (g[1:] != g[:-1]) | (s[1:] != s[:-1])
    run_start = np.where(first_in_run, np.arange(len(order), dtype=index), 0)
    np.maximum.accumulate(run_start, out=run_start)
    size = np.bincount(groups)
    group_start = (np.cumsum(size) - size).astype(index)
    run_start -= group_start[g]
    run_start += 1
    if ties == "mid-rank":
        run_id = np.cumsum(first_in_run) - 1
        run_length = np.bincount(run_id)[run_id]
        mid = run_start + (run_length - 1) / 2.0
        rank_mid = np.empty(len(order), dtype=float)
        rank_mid[order] = mid
        return rank_mid, size[groups]
    rank = np.empty(len(order), dtype=index)
    rank[order] = run_start
    return rank, size[groups]


def _doubled_position(
    rank: np.ndarray, n: np.ndarray, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """The position p of a rank as an exact fraction ``top / bottom`` of integers.

    Ranks are whole or halves (mid-rank), so 2 x rank is an integer. Type 7 (inclusive):
    p = (rank - 1) / (n - 1); type 6 (exclusive): p = rank / (n + 1).
    """
    twice = np.rint(2 * np.asarray(rank, dtype=float)).astype(np.int64)
    n = np.asarray(n, dtype=np.int64)
    if method == "inclusive":
        return twice - 2, 2 * np.maximum(n - 1, 1)
    return twice, 2 * (n + 1)


def quartile_position(rank: np.ndarray, n: np.ndarray, *, method: str = "inclusive") -> np.ndarray:
    """Quartile (1 = best ... 4) of rank ``rank`` among ``n``: ceil(4 p), between 1 and 4.

    The position p of the rank is (rank - 1) / (n - 1) under ``method="inclusive"`` (Hyndman &
    Fan 1996 type 7, Excel QUARTILE.INC: the best is at 0 and the worst at 1) and
    rank / (n + 1) under ``"exclusive"`` (type 6, QUARTILE.EXC). Either way this is the same as
    comparing each value with the group's quartile boundaries of that type, a value exactly on a
    boundary counting in the better quartile. Computed in integers, so exact; ranks may be
    halves (mid-rank ties). Returns 0 where ``n < 2`` (no quartile).

    Raises
    ------
    AnalysisError
        For an unknown ``method``.
    """
    _check_option("quartile_method", method, QUARTILE_METHODS)
    top, bottom = _doubled_position(rank, n, method)
    quartile = np.clip(-((-4 * top) // bottom), 1, 4)
    return np.where(np.asarray(n) < 2, 0, quartile)


def at_median(rank: np.ndarray, n: np.ndarray, *, method: str = "inclusive") -> np.ndarray:
    """Whether rank ``rank`` among ``n`` sits exactly at the group's median (p = 1/2).

    Only possible with an odd number ranked, or with ties whose mid-rank is the middle. Both
    types give the same median, so ``method`` only checks the name.
    """
    _check_option("quartile_method", method, QUARTILE_METHODS)
    top, bottom = _doubled_position(rank, n, method)
    return (2 * top == bottom) & (np.asarray(n) >= 2)


def in_top_two_quartiles(
    rank: np.ndarray, n: np.ndarray, *, method: str = "inclusive"
) -> np.ndarray:
    """1.0 where a rank is in the top two quartiles, 0.0 where in the bottom two, NaN where
    neither is counted.

    Under ``method="inclusive"`` the median council is in quartile 2 and so counts in the top
    two, as the quartile boundary rule gives: with an odd number of councils more than half are
    in the top two (3 of 5, 8 of 15), so with random ranks the expected share is
    (n + 1) / (2 n), 60 % at n = 5. Under ``"exclusive"`` a council exactly at the median is in
    neither half (NaN: left out of the share's numerator and denominator), so with random ranks
    and no ties the expected share is exactly 50 % for every n. NaN where ``n < 2``.
    """
    quartile = quartile_position(rank, n, method=method)
    top = np.where(quartile <= 2, 1.0, 0.0)
    neither = quartile == 0
    if method == "exclusive":
        neither = neither | at_median(rank, n, method=method)
    return np.where(neither, np.nan, top)


def percentile_rank(rank: np.ndarray, n: np.ndarray, *, method: str = "inclusive") -> np.ndarray:
    """Percentile rank 100 x (1 - p), 100 best: p = (rank-1)/(n-1) (``"inclusive"``, 100 for
    the best and 0 for the worst, as Excel PERCENTRANK.INC) or rank/(n+1) (``"exclusive"``,
    PERCENTRANK.EXC: strictly between 0 and 100); NaN where ``n < 2``.

    Raises
    ------
    AnalysisError
        For an unknown ``method``.
    """
    _check_option("quartile_method", method, QUARTILE_METHODS)
    rank = np.asarray(rank, dtype=float)
    count = np.asarray(n, dtype=float)
    if method == "inclusive":
        position, spread = rank - 1.0, count - 1.0
    else:
        position, spread = rank.copy(), count + 1.0
    spread = np.where(count < 2, np.nan, spread)
    return 100.0 - (position / spread) * 100.0


def quartile_method_note(quartile_method: str = "inclusive", ties: str = "competition") -> str:
    """The ranking and quartile rule in words a report can quote, for the chosen convention.

    Parameters
    ----------
    quartile_method : {"inclusive", "exclusive"}
        Hyndman & Fan (1996) type 7 (Excel QUARTILE.INC) or type 6 (QUARTILE.EXC).
    ties : {"competition", "mid-rank"}
        How tied values are ranked (:func:`rank_within_groups`).

    Returns
    -------
    str
        Says how councils are ranked, how a rank becomes a percentile rank and a quartile, and
        how "top two quartiles" behaves: the median council's share under the convention.
    """
    _check_option("quartile_method", quartile_method, QUARTILE_METHODS)
    _check_option("ties", ties, TIES)
    tie_words = {
        "competition": "tied values share the best rank (standard competition ranking, "
        "'1224', as Excel's RANK.EQ), which lifts every tied council",
        "mid-rank": "tied values share the mean of the ranks they span (mid-rank, "
        "'1 2.5 2.5 4', as Excel's RANK.AVG)",
    }[ties]
    if quartile_method == "inclusive":
        position = (
            "The percentile position is p = (rank - 1) / (n - 1) and the percentile rank "
            "100 x (1 - p), so 100 is the best. The quartile is ceil(4p), at least 1: quartile "
            "1 (best) when p <= 0.25, 2 when p <= 0.5, 3 when p <= 0.75, otherwise 4. This is "
            "the same as comparing each value with the group's quartile boundaries by linear "
            "interpolation (Excel QUARTILE.INC, Hyndman and Fan 1996 type 7), a value exactly "
            "on a boundary counting in the better quartile."
        )
        median = (
            "Under this convention the council at the median of an odd-sized group counts in "
            "the top two quartiles, so more than half of the councils are in them (3 of 5, 8 of "
            "15) and a council ranked at random would be in the top two quartiles 60 % of the "
            "time in a group of 5; the exclusive convention (quartile_method: exclusive) counts "
            "the median council in neither half."
        )
    else:
        position = (
            "The percentile position is p = rank / (n + 1) and the percentile rank "
            "100 x (1 - p), so the best of n councils has 100 x n / (n + 1). The quartile is "
            "ceil(4p): quartile 1 (best) when p <= 0.25, 2 when p <= 0.5, 3 when p <= 0.75, "
            "otherwise 4, as comparing each value with the group's quartile boundaries by Excel "
            "QUARTILE.EXC (Hyndman and Fan 1996 type 6)."
        )
        median = (
            "A council exactly at the group's median is counted in neither the top two nor the "
            "bottom two quartiles (nor in the share's total), so a council ranked at random "
            "would be in the top two quartiles half the time in a group of any size."
        )
    return (
        f"Authorities are ranked within the comparator group for each indicator and period, best "
        f"first (polarity-aware); {tie_words}. Only authorities with a value are ranked. "
        f"{position} {median} The reports give no rank, quartile or median where fewer than 3 "
        "authorities have a value. Neutral-polarity indicators are not ranked."
    )


#: The default rule (inclusive quartiles, competition ranking) in words.
QUARTILE_METHOD = quartile_method_note()


def _nullable(numbers: np.ndarray, mask: np.ndarray) -> pd.arrays.IntegerArray:
    """A nullable Int64 array (missing where ``mask``)."""
    return pd.arrays.IntegerArray(np.where(mask, 0, numbers).astype(np.int64), mask)


def benchmark(
    values: pd.DataFrame,
    register: pd.DataFrame,
    *,
    group: Sequence[str] | None = None,
    quartile_method: str = "inclusive",
    ties: str = "competition",
) -> pd.DataFrame:
    """Rank, percentile rank and quartile of each authority per indicator and period.

    Parameters
    ----------
    values : pandas.DataFrame
        Long table ``authority, indicator, period, value`` (other columns are kept).
    register : pandas.DataFrame
        The indicator register (polarity is used).
    group : sequence of str, optional
        Authority codes of the comparator group. ``None`` ranks among all authorities with data.
    quartile_method : {"inclusive", "exclusive"}
        Hyndman & Fan (1996) type 7 (Excel QUARTILE.INC, default) or type 6 (QUARTILE.EXC) for
        the percentile rank and quartile (:func:`quartile_position`, :func:`percentile_rank`).
    ties : {"competition", "mid-rank"}
        Tied values share the best rank (default) or the mean of their ranks
        (:func:`rank_within_groups`).

    Returns
    -------
    pandas.DataFrame
        The rows of ``values`` for the group's authorities with added columns ``rank``
        (1 = best; nullable Int64, or Float64 under mid-rank), ``n_ranked`` (authorities with a
        value for the indicator and period), ``percentile_rank`` (0-100, 100 = best),
        ``quartile`` (1 = best ... 4) and ``top_two_quartiles`` (nullable boolean: whether the
        value counts in the top two quartiles, missing where it counts in neither,
        :func:`in_top_two_quartiles`). Missing values and neutral indicators are not ranked
        (missing); percentile rank and quartile are missing when fewer than 2 authorities are
        ranked. Method: :func:`quartile_method_note`.

    Raises
    ------
    AnalysisError
        On missing columns, unknown indicators, duplicate keys, a group with no authority in
        the data, or an unknown ``quartile_method`` or ``ties``.
    """
    _check_option("quartile_method", quartile_method, QUARTILE_METHODS)
    _check_option("ties", ties, TIES)
    require_columns(values, (*_KEYS, "value"), "values")
    frame = values
    if group is not None:
        members = [str(code).strip() for code in group]
        in_group = values["authority"].isin(members).to_numpy()
        if not in_group.any():
            raise AnalysisError(
                f"none of the comparator group's authorities {members[:10]} "
                f"has rows in the values; check the group codes"
            )
        frame = values[in_group]
    encoded = [_encode(frame[k], k) for k in _KEYS]
    keys, sizes = [e[0] for e in encoded], [len(e[1]) for e in encoded]
    _row_finder(_combine(keys, sizes), int(np.prod(sizes, dtype=np.int64)), frame, "values")
    settings = _settings_for(encoded[1][1], register, _used(keys[1], encoded[1][1]))
    sign = settings["sign"].to_numpy()[keys[1]]
    score = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float) * sign
    ranked = ~np.isnan(score) & (sign != 0)
    unranked_group = sizes[1] * sizes[2]  # one extra group collects the rows not ranked
    groups = np.where(ranked, keys[1] * sizes[2] + keys[2], unranked_group)
    rank, size = rank_within_groups(groups, np.where(ranked, score, 0.0), ties=ties)
    quartile = np.where(ranked, quartile_position(rank, size, method=quartile_method), 0)
    top = np.where(ranked, in_top_two_quartiles(rank, size, method=quartile_method), np.nan)
    return _with_columns(
        frame,
        rank=(
            _nullable(rank, ~ranked)
            if ties == "competition"
            else pd.array(np.where(ranked, rank, np.nan), dtype="Float64")
        ),
        n_ranked=_nullable(size, ~ranked),
        percentile_rank=np.where(
            ranked, percentile_rank(rank, size, method=quartile_method), np.nan
        ),
        quartile=_nullable(quartile, quartile == 0),
        top_two_quartiles=pd.array(none_where(np.isnan(top), top == 1), dtype="boolean"),
    )


def share_in_top_two_quartiles(
    bench: pd.DataFrame, authority: str, period: str
) -> dict[str, float]:
    """Share of an authority's quartile-ranked indicators that are in quartile 1 or 2.

    Parameters
    ----------
    bench : pandas.DataFrame
        Output of :func:`benchmark`.
    authority, period : str
        The authority code and period label.

    Returns
    -------
    dict
        ``{"numerator", "denominator", "share"}``: indicators in the top two quartiles,
        indicators counted, and their ratio (NaN when there are none). With the
        ``top_two_quartiles`` column of :func:`benchmark` an indicator at the median under the
        exclusive convention is counted in neither (:func:`in_top_two_quartiles`); without it,
        quartile 1 or 2 of the indicators with a quartile.
    """
    require_columns(bench, ("authority", "period", "quartile"), "benchmark table")
    rows = bench[(bench["authority"] == authority) & (bench["period"] == period)]
    if "top_two_quartiles" in rows.columns:
        counted = rows["top_two_quartiles"].dropna().astype(bool)
        return count_share(int(counted.sum()), len(counted))
    quartile = rows["quartile"].dropna()
    return count_share(int((quartile <= 2).sum()), len(quartile))


def average_performance_score(bench: pd.DataFrame, *, period: str | None = None) -> pd.DataFrame:
    """Average performance score of each authority: mean percentile rank across its indicators.

    Percentile ranks are polarity-aligned (100 = best) and neutral indicators carry none, so
    they are excluded; indicators without a value are excluded too.

    Parameters
    ----------
    bench : pandas.DataFrame
        Output of :func:`benchmark`.
    period : str, optional
        Only this period; by default every period separately.

    Returns
    -------
    pandas.DataFrame
        Columns ``authority``, ``period``, ``n_indicators`` and ``average_performance_score``
        (0-100), one row per authority and period with at least one percentile rank, sorted by
        period then authority.
    """
    require_columns(bench, ("authority", "period", "percentile_rank"), "benchmark table")
    rows = bench[bench["percentile_rank"].notna()]
    if period is not None:
        rows = rows[rows["period"] == period]
    score = (
        rows.groupby(["period", "authority"], observed=True, sort=True)["percentile_rank"]
        .agg(n_indicators="count", average_performance_score="mean")
        .reset_index()
    )
    return score[["authority", "period", "n_indicators", "average_performance_score"]]


# --- headline shares ---------------------------------------------------------------------------


def count_share(numerator: int, denominator: int) -> dict[str, float]:
    """``{"numerator", "denominator", "share"}`` with share = numerator / denominator (NaN if 0)."""
    share = numerator / denominator if denominator else float("nan")
    return {"numerator": int(numerator), "denominator": int(denominator), "share": share}


def describe_share(
    numerator: int,
    denominator: int,
    *,
    what: str = "indicators",
    outcome: str = "improved",
    decimals: int = 0,
) -> str:
    """A sentence fragment such as ``"27 of 41 indicators improved (66 %)"``.

    The percentage is rounded half up from the exact fraction (integer arithmetic), so it is
    the same on every machine.
    """
    if denominator == 0:
        return f"no {what} could be assessed"
    scale = 10**decimals
    scaled = (2 * 100 * scale * numerator + denominator) // (2 * denominator)
    percent = f"{scaled / scale:.{decimals}f}"
    return f"{numerator} of {denominator} {what} {outcome} ({percent} %)"


_HEADLINES = (
    ("rag", "on target", (GREEN,), (GREEN, AMBER, RED)),
    ("rag", "within tolerance", (AMBER,), (GREEN, AMBER, RED)),
    ("rag", "off target", (RED,), (GREEN, AMBER, RED)),
    ("dot", "improved", (IMPROVED,), (IMPROVED, NO_CHANGE, WORSE)),
    ("dot", "no change", (NO_CHANGE,), (IMPROVED, NO_CHANGE, WORSE)),
    ("dot", "worse", (WORSE,), (IMPROVED, NO_CHANGE, WORSE)),
)


def summarise_headlines(
    assessment: pd.DataFrame, *, authority: str | None = None, period: str | None = None
) -> pd.DataFrame:
    """Headline counts and shares: on target, off target, improved, worse, top two quartiles.

    Each row of ``assessment`` counts once, so filter it to one authority and period (or pass
    them here). A share's denominator is the rows with a state of its family: RAG measures
    count Green + Amber + Red; direction measures Improved + No change + Worse; the quartile
    measure rows with a quartile. Measures whose column (``rag``, ``dot``, ``quartile``) is
    absent are left out.

    Parameters
    ----------
    assessment : pandas.DataFrame
        Output of :func:`assess_against_target`, :func:`direction_of_travel` and/or
        :func:`benchmark` (chained or separately).
    authority, period : str, optional
        Keep only this authority / period first.

    Returns
    -------
    pandas.DataFrame
        Columns ``measure``, ``numerator``, ``denominator`` and ``share`` (0-1; NaN when the
        denominator is 0).
    """
    rows = assessment
    if authority is not None:
        rows = rows[rows["authority"] == authority]
    if period is not None:
        rows = rows[rows["period"] == period]
    records = []
    for column, measure, hits, among in _HEADLINES:
        if column in rows.columns:
            states = rows[column].astype(object)
            records.append(
                {
                    "measure": measure,
                    **count_share(int(states.isin(hits).sum()), int(states.isin(among).sum())),
                }
            )
    if "quartile" in rows.columns:
        quartile = rows["quartile"].dropna()
        records.append(
            {
                "measure": "in top two quartiles",
                **count_share(int((quartile <= 2).sum()), len(quartile)),
            }
        )
    return pd.DataFrame(records, columns=["measure", "numerator", "denominator", "share"])
