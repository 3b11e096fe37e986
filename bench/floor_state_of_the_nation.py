"""The floor for the single-report benchmark: State of the Nation as a plain Python script.

It calls the same section functions as ``notebooks/state_of_the_nation.ipynb``, in the same
order (:data:`SECTIONS`): the same validation and data loading, then each
:class:`~perfeval.present.section.Section` built (its charts rendered to PNG) and rendered to
HTML (its tables rendered) - with no kernel, no papermill and no HTML export. It writes the key
figures the notebook records, from the same sections' offered figures, as the JSON payloads of
:func:`perfeval.present.keyfigures.key_figure_payload`, so the benchmark can check that the floor
did the same work. :data:`SECTIONS` is read from the notebook's cells, so a new section or key
figure there is followed here; the benchmark fails if the key figures differ.

Usage::

    .venv/bin/python bench/floor_state_of_the_nation.py [--params FILE] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import perfeval
from perfeval.data.loader import load_dataset
from perfeval.present.keyfigures import key_figure_payload
from perfeval.present.section import Section
from perfeval.run.parameters import validate_parameters
from perfeval.sections import annual, benchmark, common, delivery
from perfeval.sections.annual import AnnualReport

#: The bundled notebook the floor follows.
NOTEBOOK = Path(perfeval.__file__).parent / "bundled" / "notebooks" / "state_of_the_nation.ipynb"

#: A notebook cell of the house shape: ``s = family.section(report)`` then ``s.record("a", ...)``,
#: or ``display(family.section(...))`` for a section that records nothing.
_BUILD = re.compile(r"^s = (\w+)\.(\w+)\(report\)$", re.M)
_RECORD = re.compile(r"^s\.record\((.*)\)$", re.M)
_DISPLAY = re.compile(r"^display\((\w+)\.(\w+)\((.*)\)\)$", re.M)

_FAMILIES = {"annual": annual, "benchmark": benchmark, "common": common, "delivery": delivery}


def _family(name: str) -> Any:
    if name not in _FAMILIES:
        raise SystemExit(f"{NOTEBOOK.name}: section family {name!r} is not imported by the floor")
    return _FAMILIES[name]


def _display_call(family: str, function: str, arguments: str) -> Callable[[AnnualReport], Section]:
    """A ``display(common.x(report.context, ...))`` cell as a function of the report."""
    names = [part.strip() for part in arguments.split(",") if part.strip()]
    if not all(re.fullmatch(r"report(\.\w+)?", name) for name in names):
        cell = f"display({family}.{function}({arguments}))"
        raise SystemExit(f"{NOTEBOOK.name}: the floor cannot follow {cell}")
    make = getattr(_family(family), function)

    def call(report: AnnualReport) -> Section:
        values = [report if n == "report" else getattr(report, n.split(".", 1)[1]) for n in names]
        return make(*values)

    return call


def notebook_sections(
    path: Path = NOTEBOOK,
) -> list[tuple[Callable[[AnnualReport], Section], tuple[str, ...]]]:
    """The notebook's section cells in order, each with the key figures its cell records.

    Read from the notebook itself, so the floor cannot drift from it: each code cell after
    ``annual.prepare`` is either ``s = family.section(report)`` with ``s.record(...)`` or
    ``display(family.section(...))``.
    """
    cells = json.loads(path.read_text())["cells"]
    sections: list[tuple[Callable[[AnnualReport], Section], tuple[str, ...]]] = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        built, shown = _BUILD.search(source), _DISPLAY.search(source)
        if built:
            recorded = _RECORD.search(source)
            names = tuple(re.findall(r'"(\w+)"', recorded.group(1))) if recorded else ()
            sections.append((getattr(_family(built.group(1)), built.group(2)), names))
        elif shown:
            sections.append((_display_call(*shown.groups()), ()))
    return sections


#: The notebook's sections in order, each with the key figures its cell records.
SECTIONS = notebook_sections()


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
