"""What a report's data are, in words: the data-honesty note, source phrases and the tables table.

Every word a report says about its data is built here from the tables actually loaded: which
indicators are real published figures and which are synthetic (the register's ``synthetic``
column), which tables the data folder lacks, which came from perfeval's national reference data
(:attr:`perfeval.data.loader.Dataset.origins`), and whose rows are whose (a table with an
``authority`` column is read for the report's council only). Nothing here assumes that the data
are perfeval's sample: the word "bundled" is used only when the data folder is
:data:`perfeval.core.paths.SAMPLE_DATA_DIR` itself (:func:`is_sample_data`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from perfeval.core.paths import SAMPLE_DATA_DIR
from perfeval.data.loader import Dataset, council_name

#: Where a table came from (:attr:`perfeval.data.loader.Dataset.origins`).
FOLDER, REFERENCE, ABSENT = "folder", "reference", "absent"
#: Each table in words, as a sentence names it.
TABLE_WORDS = {
    "authorities": "the authority lookup",
    "population": "population estimates",
    "comparator_groups": "comparator groups",
    "indicators": "the indicator register",
    "indicator_values": "indicator values",
    "targets": "targets",
    "commentary": "commentary",
    "budget": "budget monitoring figures",
    "net_expenditure": "net expenditure",
    "deflators": "GDP deflators",
    "survey_responses": "resident survey results",
    "survey_codebook": "the survey codebook",
    "survey_population_margins": "survey population margins",
    "actions": "improvement actions",
    "risks": "the risk register",
}
#: Tables whose rows each belong to one council (read for the report's council only).
OWN_TABLES = (
    "targets",
    "commentary",
    "budget",
    "survey_responses",
    "survey_codebook",
    "survey_population_margins",
    "actions",
    "risks",
)
#: Publications of the sample's tables that carry no ``source`` column of their own.
SAMPLE_SOURCES = {"net_expenditure": "MHCLG Revenue Outturn Summary (RS)"}
#: At most this many indicator codes are listed in a note (more: "listed in the sources table").
MAX_CODES_LISTED = 10
_TRUE_WORDS = {"true", "1", "yes", "y"}


# --------------------------------------------------------------------------- columns and rows
def optional_column(frame: pd.DataFrame, column: str, default: object) -> pd.Series:
    """``frame[column]``, or ``default`` on every row when the (optional) column is absent.

    Parameters
    ----------
    frame : DataFrame
        A table as loaded; optional columns of its spec may be missing from the file.
    column : str
        The column.
    default : object
        The value meant by an absent column (e.g. ``False`` for ``synthetic``, ``""`` for
        ``note``).

    Returns
    -------
    Series
        Aligned with ``frame``'s index.
    """
    if column in frame.columns:
        return frame[column]
    return pd.Series([default] * len(frame), index=frame.index, dtype=object)


def flags(values: pd.Series) -> pd.Series:
    """Cells of a true/false column as booleans (blank, missing and unknown words are false).

    A column the loader has converted is boolean already; one it keeps as text (an extra
    ``synthetic`` column of a table whose spec has none) holds words such as ``True``.
    """
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(False).astype(bool)
    words = values.astype(object).where(values.notna(), "")
    return words.map(lambda v: v is True or str(v).strip().lower() in _TRUE_WORDS).astype(bool)


def synthetic_flags(frame: pd.DataFrame) -> pd.Series:
    """Each row's ``synthetic`` flag as a boolean (all false when the table has no such column)."""
    return flags(optional_column(frame, "synthetic", False))


def council_rows(frame: pd.DataFrame, council: str) -> pd.DataFrame:
    """The rows of a table that belong to ``council`` (its ``authority`` column).

    A table without an ``authority`` column cannot say whose rows it holds, so none of them is
    taken to be the council's: one council's survey, budget or commentary never appears in
    another's report.
    """
    if "authority" not in frame.columns:
        return frame.iloc[0:0]
    return frame[frame["authority"] == council]


def is_sample_data(data: Dataset) -> bool:
    """True when the data folder is perfeval's own sample (``data_dir = ""``)."""
    try:
        return Path(data.root).resolve() == SAMPLE_DATA_DIR.resolve()
    except OSError:
        return False


def table_origin(data: Dataset, table: str) -> str:
    """Where a table came from: :data:`FOLDER`, :data:`REFERENCE` or :data:`ABSENT`."""
    return data.origins.get(table, ABSENT)


def table_source(data: Dataset, table: str, rows: pd.DataFrame | None = None) -> str:
    """The publication a table's figures come from, for a caption.

    The distinct values of the table's ``source`` column (of ``rows`` when given), else the
    sample's known publication when the data folder is the sample, else the file's name and
    where it came from ("net_expenditure.csv in the data folder").
    """
    frame = getattr(data, table) if rows is None else rows
    if "source" in frame.columns:
        named = [s for s in dict.fromkeys(frame["source"].dropna().astype(str)) if s.strip()]
        if named:
            return "; ".join(named)
    if is_sample_data(data) and table in SAMPLE_SOURCES:
        return SAMPLE_SOURCES[table]
    if table_origin(data, table) == REFERENCE:
        return f"{table}.csv in perfeval's national reference data"
    return f"{table}.csv in {folder_words(data)}"


# --------------------------------------------------------------------------- words
def join_words(items: Sequence[str]) -> str:
    """``["a", "b", "c"]`` as ``"a, b and c"``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def listed_codes(codes: Sequence[str], *, limit: int = MAX_CODES_LISTED) -> str:
    """Indicator codes for a note: all of them, or "listed in the sources table" when many."""
    return ", ".join(codes) if len(codes) <= limit else "listed in the sources table"


def folder_words(data: Dataset) -> str:
    """How the text names the data folder: "the bundled sample data" or "the data folder"."""
    return "the bundled sample data" if is_sample_data(data) else "the data folder"


def describe_indicators(data: Dataset, council: str) -> str:
    """Sentence: how many indicators are real published figures and which are synthetic.

    E.g. "1 of 4 indicators (NI192) has real published figures; the other 3 (MB01, MB02, MB03)
    are SYNTHETIC (generated), not Melton's real performance."
    """
    register = data.indicators
    synthetic = synthetic_flags(register).to_numpy()
    real = register.loc[~synthetic, "code"].tolist()
    made_up = register.loc[synthetic, "code"].tolist()
    whose = f"{council_name(data, council)}'s"
    kind = (
        "SYNTHETIC sample data generated for demonstration, not the council's real performance"
        if is_sample_data(data)
        else f"SYNTHETIC (generated), not {whose} real performance"
    )
    if not made_up:
        return (
            f"All {len(real)} indicators are real published figures ({listed_codes(real)}); "
            "see the sources table."
        )
    if not real:
        return f"All {len(made_up)} indicators ({listed_codes(made_up)}) are {kind}."
    return (
        f"{len(real)} of {len(register)} indicators ({listed_codes(real)}) "
        f"{'has' if len(real) == 1 else 'have'} real published figures; the other "
        f"{len(made_up)} ({listed_codes(made_up)}) {'is' if len(made_up) == 1 else 'are'} "
        f"{kind}."
    )


def synthetic_label(data: Dataset, rows: pd.DataFrame) -> str:
    """What kind of data labelled rows are, for a caption: "synthetic sample data" (the sample's),
    "synthetic data", "partly synthetic data", or "" when no row is labelled synthetic."""
    synthetic = synthetic_flags(rows)
    if not synthetic.any():
        return ""
    if not synthetic.all():
        return "partly synthetic data"
    return "synthetic sample data" if is_sample_data(data) else "synthetic data"


def _synthetic_phrase(rows: pd.DataFrame, words: str) -> str | None:
    """ "all targets" / "12 of 40 targets" when rows are labelled synthetic, else None."""
    synthetic = synthetic_flags(rows)
    if not synthetic.any():
        return None
    return f"all {words}" if synthetic.all() else f"{int(synthetic.sum())} of {len(rows)} {words}"


def own_rows(data: Dataset, table: str, council: str) -> pd.DataFrame:
    """The rows a report uses of a table: the council's own rows of a table of councils' own data
    (:data:`OWN_TABLES`), every row of a shared table (population, net expenditure, ...)."""
    frame = getattr(data, table)
    return council_rows(frame, council) if table in OWN_TABLES else frame


def data_honesty_note(data: Dataset, council: str, uses: Sequence[str]) -> str:
    """The data-honesty note at the top of a report, built from the tables it uses.

    Parameters
    ----------
    data : Dataset
    council : str
        The report's council.
    uses : sequence of str
        Tables the report draws on beyond the indicator register, in the order the note names
        them (e.g. ``["targets", "budget", "survey_responses", "net_expenditure"]``).

    Returns
    -------
    str
        E.g. "Data honesty: 1 of 4 indicators (NI192) has real published figures; the other 3
        (MB01, MB02, MB03) are SYNTHETIC (generated), not Melton's real performance. Also
        SYNTHETIC: all targets. Not in the data folder for Melton: resident survey results and
        budget monitoring; the report says so where they would be."
    """
    name = council_name(data, council)
    parts = ["Data honesty: " + describe_indicators(data, council)]
    synthetic, missing, reference = [], [], []
    for table in uses:
        rows = own_rows(data, table, council)
        words = TABLE_WORDS.get(table, table)
        if table_origin(data, table) == REFERENCE:
            reference.append(words)
        if rows.empty:
            missing.append(words)
            continue
        phrase = _synthetic_phrase(rows, words)
        if phrase:
            synthetic.append(phrase)
    if synthetic:
        parts.append(f"Also SYNTHETIC: {join_words(synthetic)}.")
    if missing:
        parts.append(
            f"Not in {folder_words(data)} for {name}: {join_words(missing)}; the report "
            "says so where they would be."
        )
    if reference:
        parts.append(
            f"From perfeval's national reference data, as {folder_words(data)} has "
            f"none: {join_words(reference)}."
        )
    return " ".join(parts)


def tables_table(data: Dataset, council: str, uses: Sequence[str]) -> pd.DataFrame:
    """Display table: each table a report uses, where it came from and what kind of data it is.

    Returns
    -------
    DataFrame
        ``Table`` (file name), ``Holds``, ``Where from`` (the data folder, perfeval's national
        reference data, or not there), ``Rows`` (the council's own rows of a table of councils'
        own data, :data:`OWN_TABLES`; every row of a shared table) and ``Kind`` (synthetic, real,
        or how many rows are synthetic).
    """
    where = {
        FOLDER: folder_words(data).capitalize(),
        REFERENCE: "perfeval's national reference data",
        ABSENT: f"Not in {folder_words(data)}",
    }
    rows = []
    for table in uses:
        used = own_rows(data, table, council)
        synthetic = synthetic_flags(used)
        kind = (
            ""
            if used.empty
            else "Synthetic"
            if synthetic.all()
            else f"{int(synthetic.sum())} of {len(used)} rows synthetic"
            if synthetic.any()
            else "Real (not labelled synthetic)"
        )
        rows.append(
            {
                "Table": f"{table}.csv",
                "Holds": TABLE_WORDS.get(table, table),
                "Where from": where[table_origin(data, table)],
                "Rows": f"{len(used):,}",
                "Kind": kind,
            }
        )
    return pd.DataFrame(rows)
