"""Site benchmark: ``perfeval site`` for the bundled council, a full build then a one-value update.

Copies the bundled sample data to a temporary folder, builds the site into an empty folder
(``full_seconds``), builds it again with nothing changed (``unchanged_seconds``: no file may be
written), changes one value (Rutland's HB01 outturn for 2024/25) and builds again
(``update_seconds``); the update may rewrite only the pages that show HB01 (its page, CSV and
charts, the home page, its service's page and the filtered lists it is in). The CPU seconds of
each build (this process and the drawing processes) are recorded too: on a machine shared with
other work they say what the build costs when the wall time cannot. The floor is the
content alone (:func:`perfeval.site.content.build_content`: loading the data and every
statistic, no page drawn).

Usage::

    .venv/bin/python bench/bench_site.py [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

from perfeval.core.paths import SAMPLE_DATA_DIR
from perfeval.data import load_dataset
from perfeval.site.build import build_site
from perfeval.site.content import build_content

COUNCIL, YEAR, GROUP = "E06000017", "2024/25", "rutland_nearest_15"
OLD, NEW = "E06000017,HB01,2024/25,15.3,", "E06000017,HB01,2024/25,15.4,"
ALLOWED_PAGES = ("index.html", "pi/HB01.html", "service/revenues-and-benefits.html")


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and its finished children (the drawing pool)."""
    me, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def run(work: Path) -> dict:
    """Time the three builds and the floor; say whether the update kept to HB01's pages."""
    data = shutil.copytree(SAMPLE_DATA_DIR, work / "data")
    clock = time.perf_counter()
    build_content(load_dataset(data), COUNCIL, YEAR, GROUP)
    floor = time.perf_counter() - clock
    cpu = [cpu_seconds()]
    full = build_site(data, COUNCIL, YEAR, GROUP, work / "outputs")
    cpu.append(cpu_seconds())
    same = build_site(data, COUNCIL, YEAR, GROUP, work / "outputs")
    values = data / "indicator_values.csv"
    values.write_text(values.read_text(encoding="utf-8").replace(OLD, NEW, 1), encoding="utf-8")
    cpu.append(cpu_seconds())
    update = build_site(data, COUNCIL, YEAR, GROUP, work / "outputs")
    cpu.append(cpu_seconds())
    pages = [p for p in update.written if p.endswith(".html")]
    stray = [p for p in pages if p not in ALLOWED_PAGES and not p.startswith("filter/")]
    return {
        "full_seconds": full.seconds,
        "files": len(full.written),
        "unchanged_seconds": same.seconds,
        "unchanged_written": same.written,
        "update_seconds": update.seconds,
        "update_written": update.written,
        "floor_seconds": floor,
        "full_cpu_seconds": cpu[1] - cpu[0],
        "update_cpu_seconds": cpu[3] - cpu[2],
        "check_passed": not same.written and "pi/HB01.html" in pages and not stray,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="perfeval-bench-site-"))
    try:
        result = run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main()
