"""Time the indicator assessment (RAG, direction of travel, quartiles) on a national-scale table.

Generates a seeded synthetic long table of ``authorities x indicators x years x 4 quarters``
(default 300 x 200 x 15 x 4 = 3.6 million rows) with about 2 % of values missing, targets for
every row, and runs :func:`perfeval.stats.indicators.assess_against_target`,
:func:`~perfeval.stats.indicators.direction_of_travel` (same quarter last year) and
:func:`~perfeval.stats.indicators.benchmark`. Prints the seconds each step took and the peak memory.

Usage::

    .venv/bin/python bench/bench_national_assess.py            # full scale
    .venv/bin/python bench/bench_national_assess.py --scale 0.01
    .venv/bin/python bench/bench_national_assess.py --keys str  # key columns as strings

Key columns are categorical by default (as ``pd.read_csv(..., dtype="category")`` gives); with
``--keys str`` each call hashes the labels itself, which costs extra time.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np
import pandas as pd

from perfeval.stats.indicators import assess_against_target, benchmark, direction_of_travel


def make_register(n_indicators: int, rng: np.random.Generator) -> pd.DataFrame:
    """A synthetic register: mixed polarity and tolerance types."""
    return pd.DataFrame(
        {
            "code": [f"PI{i:04d}" for i in range(n_indicators)],
            "polarity": rng.choice(["higher", "lower", "neutral"], n_indicators, p=[0.6, 0.3, 0.1]),
            "frequency": "quarterly",
            "tolerance": rng.choice([0.05, 2.0, np.nan], n_indicators),
            "tolerance_type": rng.choice(["relative", "absolute"], n_indicators),
            "no_change_threshold": rng.choice([0.0, 0.5], n_indicators),
        }
    )


def make_tables(
    n_auth: int, n_ind: int, n_years: int, keys: str, seed: int = 20240401
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Seeded synthetic values, targets and register: one row per authority, indicator, quarter."""
    rng = np.random.default_rng(seed)
    authorities = [f"E{7000000 + a:08d}" for a in range(n_auth)]
    periods = [
        f"{2009 + y}/{(2010 + y) % 100:02d} Q{q}" for y in range(n_years) for q in (1, 2, 3, 4)
    ]
    register = make_register(n_ind, rng)
    n_per = len(periods)
    n = n_auth * n_ind * n_per
    a = np.repeat(np.arange(n_auth), n_ind * n_per)
    i = np.tile(np.repeat(np.arange(n_ind), n_per), n_auth)
    p = np.tile(np.arange(n_per), n_auth * n_ind)
    shuffle = rng.permutation(n)
    a, i, p = a[shuffle], i[shuffle], p[shuffle]
    level = rng.uniform(10, 90, n_ind)[i]
    value = np.round(level + rng.normal(0, 5, n), 1)
    missing = rng.random(n) < 0.02
    value[missing] = np.nan
    symbol = np.where(missing, "[x]", None)

    def column(codes, labels):
        cat = pd.Categorical.from_codes(codes, categories=labels)
        return (
            cat
            if keys == "category"
            else pd.Series(np.asarray(labels, dtype=object)[codes], dtype="str")
        )

    values = pd.DataFrame(
        {
            "authority": column(a, authorities),
            "indicator": column(i, list(register["code"])),
            "period": column(p, periods),
            "value": value,
            "value_symbol": pd.Categorical(symbol),
        }
    )
    targets = pd.DataFrame(
        {
            "authority": values["authority"],
            "indicator": values["indicator"],
            "period": values["period"],
            "target": np.round(level + rng.normal(0, 2, n), 1),
        }
    )
    return values, targets, register


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def floor_steps(values: pd.DataFrame, targets: pd.DataFrame) -> float:
    """The floor: the same three jobs in their plainest pandas form, without polarity,
    tolerances, symbols, validation or tie rules (a merge and a comparison; a group shift; a
    group rank). Returns the wall seconds."""
    wall = time.perf_counter()
    keys = ["authority", "indicator", "period"]
    merged = values.merge(targets, on=keys, how="left")
    _ = merged["value"] >= merged["target"]
    ordered = values.sort_values(keys)
    _ = ordered["value"] - ordered.groupby(["authority", "indicator"], observed=True)[
        "value"
    ].shift(4)
    _ = values.groupby(["indicator", "period"], observed=True)["value"].rank(pct=True)
    return time.perf_counter() - wall


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, build the tables, time each step and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="fraction of the 300 authorities x 200 indicators (default 1)",
    )
    parser.add_argument("--years", type=int, default=15)
    parser.add_argument("--keys", choices=["category", "str"], default="category")
    parser.add_argument(
        "--json", metavar="FILE", help="also write seconds, floor seconds and the shares as JSON"
    )
    args = parser.parse_args(argv)
    n_auth = max(2, round(300 * args.scale**0.5))
    n_ind = max(2, round(200 * args.scale**0.5))
    values, targets, register = make_tables(n_auth, n_ind, args.years, args.keys)
    data_mb = peak_rss_mb()
    print(
        f"rows: {len(values):,} ({n_auth} authorities x {n_ind} indicators x "
        f"{args.years} years x 4 quarters), key columns: {args.keys}"
    )
    steps = {
        "RAG against target": lambda: assess_against_target(values, targets, register),
        "direction of travel": lambda: direction_of_travel(
            values, register, compare="same_period_last_year"
        ),
        "quartiles": lambda: benchmark(values, register),
    }
    results, total_wall, total_cpu = [], 0.0, 0.0
    print(f"{'step':<22}{'wall s':>8}{'CPU s':>8}")
    for name, run in steps.items():
        wall, cpu = time.perf_counter(), time.process_time()
        results.append(run())
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        total_wall, total_cpu = total_wall + wall, total_cpu + cpu
        print(f"{name:<22}{wall:8.2f}{cpu:8.2f}")
    print(f"{'total':<22}{total_wall:8.2f}{total_cpu:8.2f}")
    rag, dot, bench = results
    peak = peak_rss_mb()
    print(f"peak memory (RSS): {peak:,.0f} MB (after building the data: {data_mb:,.0f} MB)")
    shares = {
        "green": round(float((rag["rag"] == "Green").mean()), 3),
        "improved": round(float((dot["dot"] == "Improved").mean()), 3),
        "quartile_1": round(float((bench["quartile"] == 1).mean()), 3),
    }
    print(
        "Green share:",
        shares["green"],
        "| improved share:",
        shares["improved"],
        "| quartile 1 share:",
        shares["quartile_1"],
    )
    if args.json:
        floor = floor_steps(values, targets)
        print(f"floor (plain pandas merge, shift, rank): {floor:.2f} s")
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(
                {
                    "seconds": total_wall,
                    "cpu_seconds": total_cpu,
                    "floor_seconds": floor,
                    "peak_mb": peak,
                    "rows": len(values),
                    "shares": shares,
                },
                out,
            )


if __name__ == "__main__":
    main()
