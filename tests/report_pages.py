"""Helpers the end-to-end report tests share: run a notebook with its default parameters and
read the published page the way a reader does (sections by heading, visible text, key tables)."""

from __future__ import annotations

import html as html_lib
import json
import math
import re
from pathlib import Path
from typing import Any

from perfeval.core.paths import BUNDLED_NOTEBOOKS_DIR, BUNDLED_PARAMS_DIR
from perfeval.run.parameters import load_parameter_file
from perfeval.run.runner import RunResult, run_report


def run_default(stem: str, root: Path, **overrides: Any) -> RunResult:
    """Run ``notebooks/<stem>.ipynb`` with ``params/<stem>.yaml`` (plus overrides) under
    ``root``."""
    params = {**load_parameter_file(BUNDLED_PARAMS_DIR / f"{stem}.yaml"), **overrides}
    return run_report(
        BUNDLED_NOTEBOOKS_DIR / f"{stem}.ipynb", params, outputs_root=root, progress=False
    )


def sections(page: str) -> dict[str, str]:
    """HTML of each h2 section, by heading text."""
    out = {}
    for part in re.split(r"<h2[^>]*>", page)[1:]:
        title = html_lib.unescape(re.sub(r"<[^>]+>", "", part.split("</h2>")[0])).strip("¶ ")
        out[title] = part
    return out


def text_of(page: str) -> str:
    """The visible text of a page or fragment, whitespace folded."""
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def table_rows(figure: dict) -> list[dict]:
    """A recorded table key figure as a list of {column: value} rows."""
    value = figure["value"]
    return [dict(zip(value["columns"], row)) for row in value["data"]]


def check_sections(page: str, names: list[str], *, min_alt: int = 20) -> None:
    """Every named h2 section is present, in order, with a table and a chart whose text
    alternative has at least ``min_alt`` characters (the template may add h2s of its own)."""
    found = sections(page)
    missing = [name for name in names if name not in found]
    assert not missing, f"sections {missing} missing; found {list(found)}"
    order = [list(found).index(name) for name in names]
    assert order == sorted(order), f"sections out of order: {list(found)}"
    for name in names:
        assert "<table" in found[name], f"section {name!r} has no table"
        images = re.findall(r"<img[^>]*>", found[name])
        assert images, f"section {name!r} has no chart"
        for img in images:
            assert re.search(rf'alt="[^"]{{{min_alt},}}"', img), (
                f"chart in {name!r} lacks a text alternative"
            )


def check_clean_page(page: str) -> None:
    """No script, no error output, no code, nothing loaded from the internet."""
    assert "<script" not in page.lower()
    assert "Traceback" not in page and "Error" not in page
    assert "validate_notebook_namespace" not in page and "import " not in page
    assert not re.search(r"""(src|href)=["']https?://""", page), "no external resources"


def section_cells(stem: str) -> list[str]:
    """The source of each code cell of a built-in notebook past its imports, without the cell
    tagged ``parameters``: the cells issue #16 keeps to six lines, one section call each."""
    notebook = json.loads((BUNDLED_NOTEBOOKS_DIR / f"{stem}.ipynb").read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"][1:]
    return [
        "".join(cell["source"])
        for cell in code
        if "parameters" not in cell["metadata"].get("tags", [])
    ]


def figure_differences(actual: Any, expected: Any, path: str = "") -> list[str]:
    """Where two key-figure values differ, as paths (``"[3].ci_low"``), numbers compared to 1e-9.

    Golden figures are computed through BLAS and LAPACK, whose last bits can differ between
    machines; a published figure is at most 3 decimals, so a relative 1e-9 is far below anything a
    reader sees while any real change is caught.
    """
    if isinstance(expected, dict) and isinstance(actual, dict):
        if list(actual) != list(expected):
            return [f"{path or 'value'}: keys {list(actual)} != {list(expected)}"]
        return [
            d for k in expected for d in figure_differences(actual[k], expected[k], f"{path}.{k}")
        ]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(actual) != len(expected):
            return [f"{path or 'value'}: {len(actual)} items != {len(expected)}"]
        pairs = zip(actual, expected, strict=True)
        return [
            d for i, (a, e) in enumerate(pairs) for d in figure_differences(a, e, f"{path}[{i}]")
        ]
    numbers = (int, float)
    if isinstance(actual, bool) != isinstance(expected, bool):
        return [f"{path or 'value'}: {actual!r} != {expected!r}"]
    if (
        isinstance(actual, numbers)
        and isinstance(expected, numbers)
        and not isinstance(actual, bool)
        and not isinstance(expected, bool)
    ):
        if math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12):
            return []
    elif actual == expected:
        return []
    return [f"{path or 'value'}: {actual!r} != {expected!r}"]
