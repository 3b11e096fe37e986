"""A second council's data folder, for testing that reports hold for a council other than Rutland.

:func:`build_district_folder` writes the folder a shire district would bring on its first day:
the real published figures of the bundled sample (authorities, ONS population, NI 192 household
recycling, Revenue Outturn net expenditure) for the district and its 15 nearest districts, and
three made-up PIs with targets, labelled synthetic: MB01 and MB02 for every council of the group,
MB03 a local PI that only the district collects (so it has no comparator median, rank or
quartile). There is no survey, no budget, no commentary, no deflators, no programme tables and no
adult social care (districts do not run it). Tests copy
nothing from ``../shared``: every real figure comes from the bundled sample tables, which are
built from ``data/sources/`` with their sources and licences.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from perfeval.core.paths import SAMPLE_DATA_DIR
from perfeval.stats.comparators import nearest_neighbours

SAMPLE = SAMPLE_DATA_DIR
HOME = "E07000133"  # Melton Borough Council, a rural shire district in Leicestershire
GROUP = "melton_nearest_15"
YEARS = [f"{y}/{str(y + 1)[-2:]}" for y in range(2016, 2025)]
SYNTHETIC_PIS = pd.DataFrame(
    [
        # code, title, unit, polarity, service, tolerance, tolerance_type, decimals, level, trend
        (
            "MB01",
            "Planning applications decided on time",
            "%",
            "higher",
            "Planning",
            2.0,
            "absolute",
            1,
            84.0,
            1.0,
        ),
        (
            "MB02",
            "Days to process new Housing Benefit claims",
            "days",
            "lower",
            "Benefits",
            0.1,
            "relative",
            0,
            21.0,
            -0.6,
        ),
        (
            "MB03",
            "Fly-tipping incidents cleared within 2 working days",
            "%",
            "higher",
            "Waste and environment",
            2.0,
            "absolute",
            1,
            90.0,
            0.4,
        ),
    ],
    columns=[
        "code",
        "title",
        "unit",
        "polarity",
        "service",
        "tolerance",
        "tolerance_type",
        "decimals",
        "level",
        "trend",
    ],
)
_SYNTHETIC_SOURCE = "Synthetic: made up for the district test folder (not real performance)"
#: Made-up PIs that only the home district collects (a local indicator: nobody to compare with).
LOCAL_ONLY = ("MB03",)


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE / name, dtype=str, keep_default_na=False)


def district_group(
    authorities: pd.DataFrame, population: pd.DataFrame, home: str = HOME
) -> list[str]:
    """The home district and its 15 nearest current districts on log population and density."""
    pool = authorities[(authorities["type"] == "district") & (authorities["current"] == "True")]
    pool = pool.merge(
        population[population["year"] == "2020/21"], left_on="code", right_on="authority"
    )
    pool = pool.assign(
        population=pool["population"].astype(float),
        density=pool["population"].astype(float) / pool["area_km2"].astype(float),
    )
    near = nearest_neighbours(
        pool, home, ["population", "density"], k=15, log_measures=["population", "density"]
    )
    return [home] + near["code"].tolist()


def _register() -> pd.DataFrame:
    real = _read("indicators.csv")
    real = real[real["code"] == "NI192"]
    made_up = SYNTHETIC_PIS.assign(
        frequency="annual",
        owner="Head of " + SYNTHETIC_PIS["service"],
        no_change_threshold=0.0,
        source=_SYNTHETIC_SOURCE,
        synthetic="True",
        measure="average",
    )
    columns = list(real.columns)
    return pd.concat([real, made_up[columns].astype(str)], ignore_index=True)


def _synthetic_values(members: list[str], rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for pi in SYNTHETIC_PIS.itertuples():
        for member in members[:1] if pi.code in LOCAL_ONLY else members:
            offset = rng.normal(0, 3)
            for step, year in enumerate(YEARS):
                value = pi.level + offset + pi.trend * step + rng.normal(0, 1.5)
                value = min(value, 100.0) if pi.unit == "%" else max(value, 1.0)
                rows.append((member, pi.code, year, round(value, pi.decimals)))
    return pd.DataFrame(rows, columns=["authority", "indicator", "period", "value"])


def _targets(values: pd.DataFrame, home: str) -> pd.DataFrame:
    own = values[(values["authority"] == home) & values["period"].isin(YEARS[-4:])]
    own = own[own["value"] != "[x]"]
    register = _register().set_index("code")
    step = own["indicator"].map(
        lambda code: 1.0 if register.loc[code, "polarity"] == "higher" else -1.0
    )
    target = (pd.to_numeric(own["value"]) + step).round(1)
    return pd.DataFrame(
        {
            "authority": own["authority"],
            "indicator": own["indicator"],
            "period": own["period"],
            "target": target,
            "synthetic": "True",
        }
    )


def build_district_folder(dest: Path, home: str = HOME, *, seed: int = 20261201) -> Path:
    """Write a shire district's data folder into ``dest`` (created) and return it.

    Parameters
    ----------
    dest : Path
        The folder to write; made if missing.
    home : str
        The district's ONS code (default Melton, E07000133).
    seed : int
        Seed of the made-up PI values, so the folder is the same every time.

    Returns
    -------
    Path
        ``dest``, holding ``authorities``, ``population``, ``comparator_groups``, ``indicators``,
        ``indicator_values``, ``targets`` and ``net_expenditure`` tables only.
    """
    dest.mkdir(parents=True, exist_ok=True)
    authorities, population = _read("authorities.csv"), _read("population.csv")
    members = district_group(authorities, population, home)
    method = (
        "Open nearest-neighbour group: the 15 current shire districts closest to the home "
        "district by standardised Euclidean distance on log mid-2020 population and log "
        "population density"
    )
    groups = pd.DataFrame({"group": GROUP, "authority": members, "method": method})
    real_values = _read("indicator_values.csv")
    real_values = real_values[
        (real_values["indicator"] == "NI192") & real_values["authority"].isin(members)
    ]
    made_up = _synthetic_values(members, np.random.default_rng(seed)).astype(str)
    values = pd.concat(
        [real_values[["authority", "indicator", "period", "value"]], made_up], ignore_index=True
    )
    net = _read("net_expenditure.csv")
    tables = {
        "authorities": authorities,
        "population": population,
        "comparator_groups": groups,
        "indicators": _register(),
        "indicator_values": values,
        "targets": _targets(values, home),
        "net_expenditure": net[net["authority"].isin(members)],
    }
    for name, frame in tables.items():
        frame.to_csv(dest / f"{name}.csv", index=False)
    return dest
