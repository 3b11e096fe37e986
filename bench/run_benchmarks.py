"""Run perfeval's benchmarks, each against a floor measured in the same run (``make bench``).

Each benchmark, what it measures, and its floor or baseline:

- ``single_report``: ``perfeval run state_of_the_nation`` (kernel, papermill, HTML, Excel,
  manifest) against ``bench/floor_state_of_the_nation.py``, the same perfeval section calls and
  charts in plain Python; the key figures must agree.
- ``batch``: ``perfeval batch`` of N reports (``--workers 2``) against plain ``papermill`` +
  ``jupyter nbconvert`` command lines, one report after another, on the first K of the same
  reports (K < N to keep the suite short: the comparison is seconds per report); the key figures
  of the shared reports must agree.
- ``national_assess``: ``bench/bench_national_assess.py`` against plain pandas merge / shift /
  rank on the same table.
- ``survey_estimates``: ``bench/bench_survey_estimates.py`` against weighted shares by plain
  ``groupby`` (no standard errors); the estimates agree.
- ``site`` (two rows, ``site_full`` and ``site_update``): ``bench/bench_site.py``, ``perfeval
  site`` for the bundled council built in full (goal under 60 s; floor: the content alone) and
  updated after one value changes (goal under 10 s; floor: the full build); no file is rewritten
  when nothing changed and the update rewrites only the pages that show the value.

Every command runs in a child process; its peak memory is the largest resident set of any one
process it started (the report kernel, say), not their sum; for national_assess it is the peak
of the data and perfeval's steps, taken before the floor runs in the same process. Results go to
``--out``
(default ``outputs/bench/``): ``bench.json`` (machine, then per benchmark: seconds, peak memory,
floor seconds, ratio, goal, checks) and ``bench.md`` (the same as a table). ``--quick`` runs
tiny sizes, for CI: the numbers then say nothing about speed, only that the code still works.

Exit status 1 when a check (same key figures, same estimates) fails; missed speed goals are
reported, not failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PY = sys.executable
BIN = Path(PY).parent

_MEASURE = """
import json, resource, subprocess, sys, time
clock = time.perf_counter()
done = subprocess.run(sys.argv[2:], capture_output=True, text=True)
seconds = time.perf_counter() - clock
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
with open(sys.argv[1], "w") as out:
    json.dump({"seconds": seconds, "peak_mb": peak, "returncode": done.returncode,
               "stderr": done.stderr[-3000:]}, out)
"""


def measure(command: list[str]) -> dict:
    """Run ``command`` in a child process; return its wall seconds and peak memory in MB.

    Raises
    ------
    RuntimeError
        If the command fails (with the end of its stderr).
    """
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        subprocess.run([PY, "-c", _MEASURE, report.name, *command], check=True)
        result = json.loads(Path(report.name).read_text())
    if result["returncode"] != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result['stderr']}")
    return result


def machine_info() -> dict:
    """What the numbers were measured on."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(memory, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _same_figures(a: dict, b: dict) -> bool:
    """Key figures agree in kind and value (descriptions aside)."""
    return {k: (v["kind"], v["value"]) for k, v in a.items()} == {
        k: (v["kind"], v["value"]) for k, v in b.items()
    }


def bench_single_report(work: Path, repeats: int) -> dict:
    """``perfeval run`` of State of the Nation against the plain-Python floor.

    Both are run ``repeats`` times, alternately (so a change in the machine's load touches both),
    and compared by their medians.
    """
    params = ROOT / "perfeval" / "bundled" / "params" / "state_of_the_nation.yaml"
    floor_json = work / "floor.json"
    out = work / "single"
    floors, runs = [], []
    for _ in range(repeats):
        floors.append(
            measure(
                [
                    PY,
                    str(BENCH / "floor_state_of_the_nation.py"),
                    "--params",
                    str(params),
                    "--json",
                    str(floor_json),
                ]
            )
        )
        runs.append(
            measure(
                [
                    str(BIN / "perfeval"),
                    "run",
                    "state_of_the_nation",
                    "--params",
                    str(params),
                    "--outputs-root",
                    str(out),
                    "--no-progress",
                ]
            )
        )
    manifest = json.loads(next(out.glob("state_of_the_nation/*/manifest.json")).read_text())
    same = _same_figures(json.loads(floor_json.read_text()), manifest["key_figures"])
    seconds = statistics.median(r["seconds"] for r in runs)
    floor_seconds = statistics.median(f["seconds"] for f in floors)
    return {
        "name": "single_report",
        "seconds": seconds,
        "peak_memory_mb": max(r["peak_mb"] for r in runs),
        "runs_seconds": [round(r["seconds"], 3) for r in runs],
        "floor_runs_seconds": [round(f["seconds"], 3) for f in floors],
        "floor": f"plain-Python script, same perfeval calls and charts (median of {repeats})",
        "floor_seconds": floor_seconds,
        "ratio": seconds / floor_seconds,
        "goal": "ratio <= 1.25",
        "goal_met": seconds / floor_seconds <= 1.25,
        "check": "key figures equal the floor's",
        "check_passed": same,
    }


def bench_batch(work: Path, n: int, k: int, workers: int) -> dict:
    """``perfeval batch`` of ``n`` reports against ``k`` plain papermill + nbconvert runs."""
    results = {}
    for mode, count in (("perfeval", n), ("plain", k)):
        target = work / f"batch-{mode}.json"
        measured = measure(
            [
                PY,
                str(BENCH / "bench_batch.py"),
                "--mode",
                mode,
                "--n",
                str(count),
                "--workers",
                str(workers),
                "--out",
                str(work / f"batch-{mode}"),
                "--json",
                str(target),
            ]
        )
        results[mode] = json.loads(target.read_text()) | {"peak_mb": measured["peak_mb"]}
    ours, plain = results["perfeval"], results["plain"]
    shared = plain["key_figures"].keys() & ours["key_figures"].keys()
    same = len(shared) == plain["reports"] and all(
        _same_figures(plain["key_figures"][s], ours["key_figures"][s]) for s in shared
    )
    per_report = ours["seconds"] / ours["reports"]
    plain_per_report = plain["seconds"] / plain["reports"]
    return {
        "name": "batch",
        "seconds": ours["seconds"],
        "peak_memory_mb": ours["peak_mb"],
        "reports": ours["reports"],
        "workers": workers,
        "seconds_per_report": per_report,
        "floor": f"plain papermill + nbconvert CLI loop ({plain['reports']} reports)",
        "floor_seconds": plain["seconds"],
        "floor_seconds_per_report": plain_per_report,
        "ratio": per_report / plain_per_report,
        "speedup": plain_per_report / per_report,
        "goal": "speedup >= 3",
        "goal_met": plain_per_report / per_report >= 3,
        "check": "key figures equal the plain runs'",
        "check_passed": same,
    }


def bench_national_assess(work: Path, scale: float) -> dict:
    """The existing national-scale assessment script, against its plain-pandas floor."""
    target = work / "national.json"
    measured = measure(
        [PY, str(BENCH / "bench_national_assess.py"), "--scale", str(scale), "--json", str(target)]
    )
    result = json.loads(target.read_text())
    # the peak of the data and perfeval's three steps, measured before the floor runs in the
    # same process (the process's own peak, floor included, is kept beside it)
    return {
        "name": "national_assess",
        "seconds": result["seconds"],
        "peak_memory_mb": result["peak_mb"],
        "process_peak_mb": measured["peak_mb"],
        "rows": result["rows"],
        "floor": "plain pandas merge, shift, rank",
        "floor_seconds": result["floor_seconds"],
        "ratio": result["seconds"] / result["floor_seconds"],
        "goal": "under 3 s and 1 GB",
        "goal_met": result["seconds"] < 3 and result["peak_mb"] < 1024,
        "check": "shares computed",
        "check_passed": bool(result["shares"]),
    }


def bench_survey(work: Path, respondents: int) -> dict:
    """40 questions x 10 breakdowns with perfeval.stats.survey.estimate against a plain groupby."""
    target = work / "survey.json"
    measured = measure(
        [
            PY,
            str(BENCH / "bench_survey_estimates.py"),
            "--respondents",
            str(respondents),
            "--json",
            str(target),
        ]
    )
    result = json.loads(target.read_text())
    return {
        "name": "survey_estimates",
        "seconds": result["seconds"],
        "peak_memory_mb": measured["peak_mb"],
        "respondents": respondents,
        "floor": "weighted shares by plain groupby, no standard errors",
        "floor_seconds": result["floor_seconds"],
        "ratio": result["seconds"] / result["floor_seconds"],
        "goal": "under 10 s",
        "goal_met": result["seconds"] < 10,
        "check": "estimates equal the floor's to 1e-9",
        "check_passed": result["max_difference"] < 1e-9,
    }


def bench_site(work: Path) -> list[dict]:
    """``perfeval site`` for the bundled council: a full build, then a one-value update
    (``bench/bench_site.py``); the floor of the full build is the content alone, of the update
    the full build."""
    target = work / "site.json"
    measured = measure([PY, str(BENCH / "bench_site.py"), "--json", str(target)])
    result = json.loads(target.read_text())
    check = "no rewrite unchanged; one value rewrites only its pages"
    full = {
        "name": "site_full",
        "seconds": result["full_seconds"],
        "peak_memory_mb": measured["peak_mb"],
        "files": result["files"],
        "cpu_seconds": result["full_cpu_seconds"],
        "floor": "the site's content alone (data and statistics, no page drawn)",
        "floor_seconds": result["floor_seconds"],
        "ratio": result["full_seconds"] / result["floor_seconds"],
        "goal": "under 60 s",
        "goal_met": result["full_seconds"] < 60,
        "check": check,
        "check_passed": result["check_passed"],
    }
    update = {
        "name": "site_update",
        "seconds": result["update_seconds"],
        "peak_memory_mb": measured["peak_mb"],
        "written": result["update_written"],
        "cpu_seconds": result["update_cpu_seconds"],
        "floor": "the full build",
        "floor_seconds": result["full_seconds"],
        "ratio": result["update_seconds"] / result["full_seconds"],
        "goal": "under 10 s",
        "goal_met": result["update_seconds"] < 10,
        "check": check,
        "check_passed": result["check_passed"],
    }
    return [full, update]


def write_markdown(report: dict, path: Path) -> None:
    """``bench.md``: the machine, then one table row per benchmark."""
    m = report["machine"]
    lines = [
        "# perfeval benchmarks"
        + (" (quick: sizes too small to judge speed)" if report["quick"] else ""),
        "",
        f"{m['date']}; {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gb']} GB, "
        f"Python {m['python']}, load average at start {m['load_average_at_start']}.",
        "",
        "| benchmark | seconds | peak MB | floor | floor s | ratio | goal | check |",
        "|---|---:|---:|---|---:|---:|---|---|",
    ]
    for b in report["benchmarks"]:
        goal = "" if not b.get("goal") else f"{b['goal']}: {'met' if b['goal_met'] else 'NOT met'}"
        if b["name"] == "batch":
            goal = f"{b['speedup']:.1f}x ({goal})"
        lines.append(
            f"| {b['name']} | {b['seconds']:.2f} | {b['peak_memory_mb']:.0f} | "
            f"{b['floor']} | {b['floor_seconds']:.2f} | {b['ratio']:.2f} | {goal} | "
            f"{b['check']}: {'ok' if b['check_passed'] else 'FAILED'} |"
        )
    lines += ["", f"Whole suite: {report['suite_seconds']:.0f} s."]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the suite; write bench.json and bench.md; return 1 if a check failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench")
    parser.add_argument("--only", nargs="+", help="run only these benchmarks")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    clock = dt.datetime.now()
    report = {"machine": machine_info(), "quick": args.quick, "benchmarks": []}
    suite = {
        "single_report": lambda w: bench_single_report(w, 1 if args.quick else 3),
        "batch": lambda w: bench_batch(w, *((2, 1, 2) if args.quick else (40, 8, 2))),
        "national_assess": lambda w: bench_national_assess(w, 0.001 if args.quick else 1.0),
        "survey_estimates": lambda w: bench_survey(w, 20_000 if args.quick else 500_000),
        "site": bench_site,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="perfeval-bench-"))
    try:
        for name, run in suite.items():
            if args.only and name not in args.only:
                continue
            results = run(work)
            for result in results if isinstance(results, list) else [results]:
                report["benchmarks"].append(result)
                print(
                    f"{result['name']}: {result['seconds']:.2f} s (floor "
                    f"{result['floor_seconds']:.2f} s, ratio {result['ratio']:.2f}), "
                    f"check {'ok' if result['check_passed'] else 'FAILED'}",
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report["suite_seconds"] = (dt.datetime.now() - clock).total_seconds()
    (args.out / "bench.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    write_markdown(report, args.out / "bench.md")
    print(
        f"Wrote {args.out / 'bench.json'} and {args.out / 'bench.md'} "
        f"({report['suite_seconds']:.0f} s)"
    )
    return 0 if all(b["check_passed"] for b in report["benchmarks"]) else 1


if __name__ == "__main__":
    sys.exit(main())
