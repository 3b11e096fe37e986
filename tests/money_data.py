"""Tiny hand-made datasets and Section helpers shared by the value-for-money and
programme-evaluation unit tests (tests/sections/test_vfm.py, tests/sections/test_programme.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from perfeval.data.loader import Dataset
from perfeval.present.section import Chart, Section, Table


# --------------------------------------------------------------------------- tiny datasets
def dataset(**tables: pd.DataFrame) -> Dataset:
    return Dataset(root=Path("."), tables=tables)


AUTHORITIES = pd.DataFrame(
    {
        "code": ["A", "B", "C", "D", "E"],
        "name": ["Ayton", "Beeby", "Ceeford", "Deeham", "Eston"],
        "type": ["unitary", "unitary", "unitary", "unitary", "district"],
        "region": ["R"] * 5,
        "current": [True, True, True, False, True],
    }
)
REGISTER = pd.DataFrame(
    {
        "code": ["UP", "DOWN", "FLAT"],
        "title": ["Up is good", "Down is good", "Neutral"],
        "unit": ["%", "days", "%"],
        "polarity": ["higher", "lower", "neutral"],
        "frequency": ["annual"] * 3,
        "tolerance": [0.0] * 3,
        "tolerance_type": ["absolute"] * 3,
        "no_change_threshold": [0.0] * 3,
        "decimals": [1, 1, 1],
        "source": ["s"] * 3,
        "synthetic": [False, True, False],
    }
)


def values(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["authority", "indicator", "period", "value"])


# --------------------------------------------------------------------------- section helpers
def texts(section: Section) -> list[str]:
    return [b.text for b in section.blocks if b.kind == "text"]


def tables(section: Section) -> list[Table]:
    return [b for b in section.blocks if isinstance(b, Table)]


def charts(section: Section) -> list[Chart]:
    return [b for b in section.blocks if isinstance(b, Chart)]


def column(table: Table, name: str) -> list[str]:
    return [row[table.columns.index(name)] for row in table.rows]
