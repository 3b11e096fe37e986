"""Batch benchmark: State of the Nation for N councils and years, two ways.

``--mode perfeval`` runs them with :func:`perfeval.run.batch.run_batch` (warm kernels,
``--workers``);
``--mode plain`` runs each with the plain command-line tools a team would otherwise script:
``papermill`` then ``jupyter nbconvert --to html``, one after another. Both write the key figures
of every report to ``--json`` so the suite can check that they agree.

The bundled comparator group ``rutland_nearest_15`` has 16 councils, and the notebook needs the
council to be in the group; the N distinct reports are the 16 members for 2024/25, then 2023/24,
then 2022/23, the first N of those 48 (Westmorland and Furness, E06000064, has Revenue Outturn
figures since the data refresh, and its Money section names the years it has none).

Usage::

    .venv/bin/python bench/bench_batch.py --mode perfeval --n 40 --workers 2 --out DIR --json F
    .venv/bin/python bench/bench_batch.py --mode plain --n 8 --out DIR --json F
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "perfeval" / "bundled" / "notebooks" / "state_of_the_nation.ipynb"
YEARS = ("2024/25", "2023/24", "2022/23")


def parameter_sets(n: int) -> list[dict[str, str]]:
    """The first ``n`` (council, year) reports: every group member for each year in turn."""
    from perfeval.run.batch import plan_batch

    sets = list(plan_batch(NOTEBOOK, over=[f"year={','.join(YEARS)}", "council=all"]))
    if n > len(sets):
        raise SystemExit(f"--n {n}: only {len(sets)} distinct valid reports in the bundled data")
    return sets[:n]


def run_perfeval(sets: list[dict], out: Path, workers: int) -> dict[str, dict]:
    """Run the batch; return key figures by report slug."""
    from perfeval.run.batch import run_batch

    result = run_batch(NOTEBOOK, sets, outputs_root=out, workers=workers, progress=False)
    if not result.ok:
        raise SystemExit(result.summary())
    return {
        Path(o.output_dir).name: json.loads((Path(o.output_dir) / "manifest.json").read_text())[
            "key_figures"
        ]
        for o in result.outcomes
    }


def run_plain(sets: list[dict], out: Path) -> dict[str, dict]:
    """papermill + nbconvert command-line calls, one report after another."""
    import nbformat

    from perfeval.run.provenance import collect_key_figures
    from perfeval.run.runner import report_slug

    bin_dir = Path(sys.executable).parent
    figures = {}
    for values in sets:
        slug = report_slug(values)
        executed = out / f"{slug}.ipynb"
        command = [
            str(bin_dir / "papermill"),
            str(NOTEBOOK),
            str(executed),
            "-k",
            "python3",
            "--cwd",
            str(NOTEBOOK.parent),
            "--no-progress-bar",
        ]
        for name, value in values.items():
            command += ["-p", name, str(value)]
        subprocess.run(command, check=True, capture_output=True)
        subprocess.run(
            [str(bin_dir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            check=True,
            capture_output=True,
        )
        figures[slug] = collect_key_figures(nbformat.read(executed, as_version=4))
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["perfeval", "plain"], required=True)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    sets = parameter_sets(args.n)
    clock = time.perf_counter()
    if args.mode == "perfeval":
        figures = run_perfeval(sets, args.out, args.workers)
    else:
        figures = run_plain(sets, args.out)
    seconds = time.perf_counter() - clock
    args.json.write_text(
        json.dumps(
            {"seconds": seconds, "reports": len(sets), "key_figures": figures}, allow_nan=False
        )
    )


if __name__ == "__main__":
    main()
