"""Survey benchmark: 40 questions x 10 breakdowns on generated respondents.

Generates a seeded stratified, clustered survey (default 500,000 respondents: 20 strata, 2,000
PSUs, design weights; 40 questions on a 1-5 agreement scale with about 3 % missing answers; 10
breakdown columns of 2 to 12 categories, as ``category`` dtype) and estimates the share agreeing
(4 or 5) for every question by every breakdown with :func:`perfeval.stats.survey.estimate`
(proportions
with Taylor-linearised standard errors and confidence intervals). The floor computes only the
weighted point estimates with a plain pandas ``groupby``; the two must agree to 1e-9.

With ``--calibrated`` the weights are also raked to the sex, age band and area margins
(:func:`perfeval.stats.weighting.rake_weights`) and every question is estimated by ward with the
raking's calibration passed to ``estimate`` (standard errors from the calibration residuals, the
slower per-respondent path), timed as ``calibrated_seconds``.

Usage::

    .venv/bin/python bench/bench_survey_estimates.py [--respondents N] [--calibrated] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

QUESTIONS = [f"q{i:02d}" for i in range(40)]
BREAKDOWNS = {
    "sex": 2,
    "age_band": 6,
    "ward": 12,
    "tenure": 4,
    "ethnic_group": 5,
    "disability": 2,
    "employment": 5,
    "household": 4,
    "deprivation": 10,
    "area": 3,
}


def make_survey(n: int, seed: int = 20250101) -> pd.DataFrame:
    """Seeded respondents with a stratified cluster design, answers and breakdowns."""
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 20, n)
    psu = stratum * 100 + rng.integers(0, 100, n)
    frame = {"stratum": stratum, "psu": psu, "weight": rng.uniform(0.5, 3.0, n)}
    for name, k in BREAKDOWNS.items():
        frame[name] = pd.Categorical.from_codes(
            rng.integers(0, k, n), [f"{name}_{i}" for i in range(k)]
        )
    lean = rng.normal(0, 0.6, n)
    for i, q in enumerate(QUESTIONS):
        answer = np.clip(np.round(3 + lean + rng.normal(0.2 * (i % 5 - 2), 1.0, n)), 1, 5)
        answer[rng.random(n) < 0.03] = np.nan
        frame[q] = answer
    return pd.DataFrame(frame)


def run_estimates(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every question by every breakdown with perfeval.stats.survey.estimate."""
    from perfeval.stats.survey import estimate

    return {
        by: estimate(
            df,
            QUESTIONS,
            statistic="proportion",
            positive=[4, 5],
            weight="weight",
            strata="stratum",
            cluster="psu",
            by=by,
        )
        for by in BREAKDOWNS
    }


def run_calibrated(df: pd.DataFrame) -> pd.DataFrame:
    """Every question by ward after raking to three margins, with calibration-aware SEs."""
    from perfeval.stats.survey import estimate
    from perfeval.stats.weighting import rake_weights

    margins = pd.concat(
        pd.DataFrame(
            {
                "variable": name,
                "category": df[name].cat.categories,
                "share": 1 / len(df[name].cat.categories),
            }
        )
        for name in ("sex", "age_band", "area")
    )
    weights, report = rake_weights(df, margins, weight="weight")
    return estimate(
        df.assign(raked=weights.to_numpy()),
        QUESTIONS,
        statistic="proportion",
        positive=[4, 5],
        weight="raked",
        strata="stratum",
        cluster="psu",
        by="ward",
        calibration=report.calibration,
    )


def run_floor(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Weighted shares agreeing only (no standard errors), with a plain groupby."""
    answers = df[QUESTIONS]
    valid_w = answers.notna().mul(df["weight"], axis=0)
    yes_w = answers.isin([4, 5]).mul(df["weight"], axis=0)
    out = {}
    for by in BREAKDOWNS:
        share = (
            yes_w.groupby(df[by], observed=False).sum()
            / valid_w.groupby(df[by], observed=False).sum()
        )
        out[by] = share
    return out


def max_difference(full: dict[str, pd.DataFrame], floor: dict[str, pd.DataFrame]) -> float:
    """Largest absolute difference between the two sets of point estimates."""
    worst = 0.0
    for by, table in full.items():
        wide = table.pivot(index=by, columns="variable", values="estimate")
        diff = wide[QUESTIONS].to_numpy(float) - floor[by][QUESTIONS].to_numpy(float)
        worst = max(worst, float(np.nanmax(np.abs(diff))))
    return worst


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=500_000)
    parser.add_argument("--calibrated", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    df = make_survey(args.respondents)
    clock = time.perf_counter()
    full = run_estimates(df)
    seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    floor = run_floor(df)
    floor_seconds = time.perf_counter() - clock
    result = {
        "seconds": seconds,
        "floor_seconds": floor_seconds,
        "max_difference": max_difference(full, floor),
        "cells": int(sum(len(t) for t in full.values())),
    }
    if args.calibrated:
        clock = time.perf_counter()
        calibrated = run_calibrated(df)
        result["calibrated_seconds"] = time.perf_counter() - clock
        result["calibrated_cells"] = len(calibrated)
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
