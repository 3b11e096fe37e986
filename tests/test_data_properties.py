"""Property-based tests of the loader: any valid file loads, symbols are never read as numbers."""

from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from perfeval.data import SYMBOLS, load_dataset

MINIMAL = Path(__file__).parent / "data" / "minimal"
AUTHORITIES = ["E06000017", "E06000005", "E07000131"]

cell = st.one_of(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda v: (repr(v), v, None)),
    st.integers(min_value=0, max_value=10**7).map(lambda v: (f"{v:,}", float(v), None)),
    st.sampled_from(sorted(SYMBOLS)).map(lambda s: (s, math.nan, s)),
)
period = st.one_of(
    st.integers(2000, 2030).map(lambda y: f"{y}/{(y + 1) % 100:02d}"),
    st.tuples(st.integers(2000, 2030), st.integers(1, 4)).map(
        lambda t: f"{t[0]}/{(t[0] + 1) % 100:02d} Q{t[1]}"),
    st.tuples(st.integers(2000, 2030), st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}"),
)


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(AUTHORITIES), period, cell), min_size=1,
                     max_size=30, unique_by=lambda r: (r[0], r[1])))
def test_any_valid_values_file_loads_with_symbols_kept_as_missing(rows):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "data"
        shutil.copytree(MINIMAL, root)
        with open(root / "indicator_values.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["authority", "indicator", "period", "value"])
            for authority, label, (text, _, _) in rows:
                writer.writerow([authority, "NI192", label, text])
        values = load_dataset(root).indicator_values
    assert len(values) == len(rows)
    for (_, _, (_, number, symbol)), (_, loaded) in zip(rows, values.iterrows()):
        if symbol is None:
            assert loaded["value"] == number
            assert not isinstance(loaded["value_symbol"], str)
        else:
            assert math.isnan(loaded["value"]) and loaded["value_symbol"] == symbol
