"""Helpers the end-to-end report tests share: run a notebook with its default parameters and
read the published page the way a reader does (sections by heading, visible text, key tables)."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path
from typing import Any

from perfeval.parameters import load_parameter_file
from perfeval.paths import NOTEBOOKS_DIR, PARAMS_DIR
from perfeval.runner import RunResult, run_report


def run_default(stem: str, root: Path, **overrides: Any) -> RunResult:
    """Run ``notebooks/<stem>.ipynb`` with ``params/<stem>.yaml`` (plus overrides) under ``root``."""
    params = {**load_parameter_file(PARAMS_DIR / f"{stem}.yaml"), **overrides}
    return run_report(NOTEBOOKS_DIR / f"{stem}.ipynb", params, outputs_root=root, progress=False)


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
