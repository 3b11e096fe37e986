"""Build the programme-evaluation and real-terms tables of the bundled data (deterministic).

Writes four files into ``perfeval/bundled/sample_data/`` (or the folder given as the first
argument):

* ``deflators.csv``: REAL figures. HM Treasury, *GDP deflators at market prices, and money GDP*
  (December 2025 Quarterly National Accounts release), calendar-year series 2024 = 100, as
  committed in charlescoverdale/greenbook ``inst/extdata/gdp_deflator.csv`` (commit
  21a380d10474d976961980b246ccf9fa5b2c0e5a). The financial-year index is derived here as
  ``0.75 x calendar year Y + 0.25 x calendar year Y+1`` (April-March spans nine months of one
  calendar year and three of the next); the ``method`` column says so on every row.
* ``programme_strands.csv``, ``programme_members.csv``, ``programme_participant_survey.csv``:
  SYNTHETIC. An illustrative improvement-partnership programme for Leicester, Leicestershire and
  Rutland starting in 2019/20. The strand allocations (total £505,000) are the programme design
  used as the example; spend, participants, sessions and every survey answer are generated with
  a fixed seed. Only membership of the comparison group is derived from real data (East Midlands
  collection authorities with a complete NI 192 series).

Re-running gives byte-identical files: ``python scripts/build_programme_data.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from perfeval.data.loader import load_dataset  # noqa: E402

SEED = 20250520
PROGRAMME = "llr_improvement_partnership"

#: HM Treasury GDP deflator at market prices, calendar years, 2024 = 100 (December 2025 QNA),
#: copied from charlescoverdale/greenbook inst/extdata/gdp_deflator.csv @ 21a380d1.
CALENDAR_DEFLATOR = {
    2009: 68.217,
    2010: 69.1217,
    2011: 70.834,
    2012: 71.9294,
    2013: 73.4795,
    2014: 74.6524,
    2015: 75.1536,
    2016: 76.4554,
    2017: 77.6367,
    2018: 79.1606,
    2019: 81.1085,
    2020: 85.2137,
    2021: 85.6358,
    2022: 90.5005,
    2023: 96.2507,
    2024: 100.0,
}
DEFLATOR_SOURCE = (
    "HM Treasury / ONS, GDP deflators at market prices, and money GDP (December "
    "2025 QNA), calendar-year series 2024 = 100; via charlescoverdale/greenbook "
    "inst/extdata/gdp_deflator.csv @ 21a380d10474d976961980b246ccf9fa5b2c0e5a; "
    "OGL v3.0"
)
DEFLATOR_METHOD = "financial year = 0.75 x calendar year Y + 0.25 x calendar year Y+1"

#: Strand design of the example programme (allocations in £; total £505,000).
STRANDS = [
    ("Communications", 60_000, 0, 0),
    ("Performance Management", 108_000, 70, 14),
    ("Middle Management Development", 140_000, 96, 24),
    ("Member Development", 125_000, 120, 20),
    ("Learning for the future", 22_000, 40, 6),
    ("Contingency", 50_000, 0, 0),
]
PARTICIPATING = [
    "E06000016",
    "E06000017",
    "E07000129",
    "E07000130",
    "E07000131",
    "E07000132",
    "E07000133",
    "E07000134",
    "E07000135",
]


def build_deflators() -> pd.DataFrame:
    """Financial-year deflators from the calendar-year series (real, derived)."""
    years = sorted(CALENDAR_DEFLATOR)[:-1]
    rows = [
        {
            "year": f"{y}/{(y + 1) % 100:02d}",
            "deflator": round(0.75 * CALENDAR_DEFLATOR[y] + 0.25 * CALENDAR_DEFLATOR[y + 1], 4),
            "source": DEFLATOR_SOURCE,
            "method": DEFLATOR_METHOD,
            "synthetic": "false",
        }
        for y in years
    ]
    return pd.DataFrame(rows)


def build_strands(rng: np.random.Generator) -> pd.DataFrame:
    """Allocation (design), spend, participants and sessions (generated) per strand."""
    rows = []
    for strand, allocation, participants, sessions in STRANDS:
        share = 0.35 if strand == "Contingency" else rng.uniform(0.86, 1.04)
        rows.append(
            {
                "programme": PROGRAMME,
                "strand": strand,
                "allocation": allocation,
                "spend": int(round(allocation * share, -2)),
                "participants": int(participants + rng.integers(-6, 7)) if participants else 0,
                "sessions": sessions,
                "synthetic": "true",
            }
        )
    return pd.DataFrame(rows)


def build_members(data) -> pd.DataFrame:
    """Participating councils (design) and comparison councils (rule on real NI 192 data)."""
    authorities = data.authorities
    ni192 = data.indicator_values[data.indicator_values["indicator"] == "NI192"]
    periods = ni192["period"].nunique()
    complete = ni192.groupby("authority")["period"].nunique()
    complete = set(complete[complete == periods].index)
    region = authorities[
        (authorities["region"] == "East Midlands")
        & authorities["type"].isin(["district", "unitary"])
    ]
    comparison = sorted(set(region["code"]) & complete - set(PARTICIPATING))
    rows = [
        {"programme": PROGRAMME, "authority": code, "role": "participating", "synthetic": "true"}
        for code in PARTICIPATING
    ]
    rows += [
        {"programme": PROGRAMME, "authority": code, "role": "comparison", "synthetic": "true"}
        for code in comparison
    ]
    return pd.DataFrame(rows)


def build_survey(rng: np.random.Generator, n: int = 64) -> pd.DataFrame:
    """Paired before/after answers of programme participants (generated)."""
    rows = []
    for i in range(1, n + 1):
        rid = f"P{i:03d}"
        confidence = int(rng.integers(1, 5))
        understanding = int(rng.integers(2, 6))
        uses_data = rng.random() < 0.45
        plan = rng.random() < 0.30
        rows.append(
            {
                "respondent_id": rid,
                "wave": "before",
                "confidence": confidence,
                "understanding": understanding,
                "uses_performance_data": uses_data,
                "has_development_plan": plan,
            }
        )
        if rng.random() < 0.12:
            continue  # left the programme before the follow-up survey
        rows.append(
            {
                "respondent_id": rid,
                "wave": "after",
                "confidence": int(np.clip(confidence + rng.choice([-1, 0, 1, 1, 2]), 1, 5)),
                "understanding": int(np.clip(understanding + rng.choice([-1, 0, 0, 1]), 1, 5)),
                "uses_performance_data": uses_data or rng.random() < 0.35,
                "has_development_plan": plan or rng.random() < 0.25,
            }
        )
    frame = pd.DataFrame(rows)
    for column in ("uses_performance_data", "has_development_plan"):
        frame[column] = np.where(frame[column], "yes", "no")
    frame.insert(0, "programme", PROGRAMME)
    frame["synthetic"] = "true"
    return frame


def main(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    data = load_dataset(ROOT / "perfeval" / "bundled" / "sample_data")
    tables = {
        "deflators": build_deflators(),
        "programme_strands": build_strands(rng),
        "programme_members": build_members(data),
        "programme_participant_survey": build_survey(rng),
    }
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
        print(f"wrote {out / f'{name}.csv'} ({len(frame)} rows)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "perfeval" / "bundled" / "sample_data")
