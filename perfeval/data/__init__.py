"""Data: the one loader of a council's folder, its column documentation and notes made from it.

:mod:`perfeval.data.loader` reads and validates the tables (every problem with file, physical line
and column); :mod:`perfeval.data.columns` documents each column; :mod:`perfeval.data.notes` says
what the data is (published or synthetic, which optional columns are absent);
:mod:`perfeval.data.requirements` says which tables each report needs. Imports only
:mod:`perfeval.core`.

The loader's main names are re-exported here (``from perfeval.data import load_dataset``).
"""

from perfeval.data.loader import (
    AUTHORITY_TYPES,
    MEASURE_KINDS,
    SPEC_BY_NAME,
    SPECS,
    STATUS_FLAGS,
    STATUSES,
    SYMBOLS,
    Column,
    Dataset,
    LoadLimits,
    TableSpec,
    authority_names,
    council_name,
    load_dataset,
    read_dataset,
    require_columns,
)

__all__ = [
    "AUTHORITY_TYPES",
    "MEASURE_KINDS",
    "SPEC_BY_NAME",
    "SPECS",
    "STATUS_FLAGS",
    "STATUSES",
    "SYMBOLS",
    "Column",
    "Dataset",
    "LoadLimits",
    "TableSpec",
    "authority_names",
    "council_name",
    "load_dataset",
    "read_dataset",
    "require_columns",
]
