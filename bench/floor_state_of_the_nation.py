"""The floor for the single-report benchmark: State of the Nation as a plain Python script.

It calls the same section functions as ``notebooks/state_of_the_nation.ipynb``, in the same
order (:data:`SECTIONS`): the same validation and data loading, then each
:class:`~perfeval.present.section.Section` built (its charts rendered to PNG) and rendered to
HTML (its tables rendered) - with no kernel, no papermill and no HTML export. It writes the key
figures the notebook records, from the same sections' offered figures, as the JSON payloads of
:func:`perfeval.present.keyfigures.key_figure_payload`, so the benchmark can check that the floor
did the same work. When the notebook records another figure or calls another section, change
:data:`SECTIONS` with it: the benchmark fails if the key figures differ.

Usage::

    .venv/bin/python bench/floor_state_of_the_nation.py [--params FILE] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from perfeval.data.loader import load_dataset
from perfeval.present.keyfigures import key_figure_payload
from perfeval.present.section import Section
from perfeval.run.parameters import validate_parameters
from perfeval.sections import annual, benchmark, common, delivery
from perfeval.sections.annual import AnnualReport

#: The notebook's sections in order, each with the key figures its cell records.
SECTIONS: list[tuple[Callable[[AnnualReport], Section], tuple[str, ...]]] = [
    (lambda report: common.opening_section(report.context), ()),
    (annual.headlines, ("headline_shares",)),
    (annual.performance, ("rag_counts",)),
    (annual.benchmarking, ("share_top_two_quartiles",)),
    (benchmark.funnel, ("funnel_comparisons",)),
    (annual.resident_views, ("resident_views",)),
    (annual.money_summary, ("net_spend_per_head", "budget_outturn")),
    (annual.trends, ("key_indicator_trends", "key_indicator_trend_tests")),
    (delivery.summary, ("delivery_summary",)),
    (annual.issues, ("issues_to_consider",)),
    (lambda report: common.method_section(report.context, report.method_notes), ()),
]


def build(params: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Build and render every section of the report.

    Returns
    -------
    tuple
        The key figures by name, as the notebook records them (payloads of
        :func:`key_figure_payload`), and each section's HTML.
    """
    p = validate_parameters("state_of_the_nation", params)
    report = annual.prepare(load_dataset(p["data_dir"]), p)
    figures: dict[str, dict[str, Any]] = {}
    pages: list[str] = []
    for make, names in SECTIONS:
        section = make(report)
        pages.append(section.to_html())
        for name in names:
            value, description = section.figures[name]
            figures[name] = key_figure_payload(name, value, description)
    return figures, pages


def main(argv: list[str] | None = None) -> None:
    """Build the report's sections; write the key figures as JSON when asked."""
    import yaml

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--params", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    params = yaml.safe_load(args.params.read_text()) if args.params else {}
    figures, pages = build(params or {})
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, sort_keys=True, allow_nan=False))
    print(
        f"{len(figures)} key figures, {sum(map(len, pages)):,} characters of HTML", file=sys.stderr
    )


if __name__ == "__main__":
    main()
