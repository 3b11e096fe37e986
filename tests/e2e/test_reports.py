"""End-to-end: every report notebook runs through `perfeval run` with its default parameters.

One session-scoped run per notebook (each run starts a kernel, so they are few); the assertions
read the published HTML and manifest as a reader and an auditor would.
"""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from perfeval.core.paths import BUNDLED_NOTEBOOKS_DIR, BUNDLED_PARAMS_DIR, SAMPLE_DATA_DIR
from perfeval.run.parameters import load_parameter_file
from perfeval.run.runner import run_report
from report_pages import (
    check_clean_page,
    check_sections,
    section_cells,
    sections,
    table_rows,
    text_of,
)

pytestmark = pytest.mark.notebook

SOTN_SECTIONS = [
    "Headlines",
    "Performance against target",
    "Benchmarking against comparable councils",
    "Resident views",
    "Money",
    "National and local trends",
    "Issues to consider for next year's priorities",
    "Method, data sources and provenance",
]


@pytest.fixture(scope="module")
def sotn(tmp_path_factory):
    root = tmp_path_factory.mktemp("outputs")
    params = load_parameter_file(BUNDLED_PARAMS_DIR / "state_of_the_nation.yaml")
    return run_report(
        BUNDLED_NOTEBOOKS_DIR / "state_of_the_nation.ipynb",
        params,
        outputs_root=root,
        progress=False,
    )


#: Each section cell of the annual notebooks: one section function, what it records, display.
SECTION_CELL = re.compile(
    r"s = (annual|review|common|delivery|benchmark)\.[a-z_]+\((report|report\.context[^)]*)\)\n"
    r"(s\.record\(\"[a-z_]+\"(, \"[a-z_]+\")*\)\n)?display\(s\)"
)


@pytest.mark.parametrize("stem", ["state_of_the_nation", "end_of_year_review"])
def test_annual_notebook_sections_are_one_call_each(stem):
    """Issue #16: apart from the imports and the parameters, no code cell is longer than six
    lines; each report section is one section function, its records and its display."""
    code = section_cells(stem)
    assert not [source for source in code if len(source.splitlines()) > 6]
    opening, *body, method = code
    assert opening.splitlines()[-1] == "display(common.opening_section(report.context))"
    assert method == "display(common.method_section(report.context, report.method_notes))"
    assert body and all(SECTION_CELL.fullmatch(source) for source in body), body


def test_sotn_report_has_every_section_with_a_chart_and_a_table(sotn):
    check_sections(sotn.html.read_text(encoding="utf-8"), SOTN_SECTIONS)


def test_sotn_report_has_no_code_errors_or_scripts(sotn):
    check_clean_page(sotn.html.read_text(encoding="utf-8"))


def test_sotn_delivery_paragraph_counts_actions_and_names_the_high_risks(sotn):
    """The sample's registers judged at 31 March 2025: 20 actions, 8 complete, 7 of the 10 open
    past their due date; 3 of 12 corporate risks high."""
    page = sotn.html.read_text(encoding="utf-8")
    found = sections(page)
    assert list(found).index("Delivery") == list(found).index("National and local trends") + 1
    text = text_of(found["Delivery"])
    assert (
        "Of 20 improvement actions in the register, 8 are complete and 7 of the 10 still open "
        "are late (past their due date) at 31 March 2025." in text
    )
    assert "3 of the 12 corporate risks have a high residual score" in text
    assert "Cyber attack on council systems (R05)" in text
    figures = {r["measure"]: r["count"] for r in table_rows(sotn.key_figures["delivery_summary"])}
    assert figures["actions overdue"] == 7 and figures["high residual score"] == 3


def test_sotn_report_labels_synthetic_data_and_names_sources(sotn):
    page = sotn.html.read_text(encoding="utf-8")
    assert "SYNTHETIC" in page
    assert "Defra ENV18" in page and "Oflog" in page


def test_sotn_headline_sentence_comes_from_the_recorded_figures(sotn):
    from perfeval.stats.scorecard import TARGET_WORDS

    shares = sotn.key_figures["headline_shares"]
    table = shares["value"] if "value" in shares else shares
    page = html_lib.unescape(sotn.html.read_text(encoding="utf-8"))
    rows = {r[0]: r for r in table["data"]}
    on_target, rated = (
        rows["on target"],
        sum(rows[w][1] for w in TARGET_WORDS.values() if w in rows),
    )
    assert f"Of Rutland's {on_target[2]} indicators" in page and f"{on_target[1]} on target" in page
    assert rated == on_target[2]  # every indicator in exactly one state: the counts add up


def test_sotn_trend_tests_are_recorded_and_their_sentence_is_computed_from_them(sotn):
    from perfeval.stats.trend import TREND_METHOD
    from report_pages import sections, text_of

    tests = sotn.key_figures["key_indicator_trend_tests"]["value"]
    assert tests["columns"] == ["indicator", "n", "s", "p_value", "slope", "judgement"]
    judgements = [row[-1] for row in tests["data"]]
    section = text_of(sections(sotn.html.read_text(encoding="utf-8"))["National and local trends"])
    assert "Trend tests of this council's values" in section and TREND_METHOD[:60] in section
    tested = sum(j != "Too few values" for j in judgements)
    clear = [j for j in judgements if j in ("Improving", "Worsening", "Rising", "Falling")]
    assert (
        (f"none of the {tested} key indicators" in section)
        if not clear
        else (f"of {tested} key indicators with enough years to test" in section)
    )


def test_sotn_manifest_records_inputs_parameters_and_versions(sotn):
    manifest = sotn.manifest
    hashes = manifest["input_files"]
    assert re.fullmatch(r"[0-9a-f]{64}", hashes["data_dir/indicator_values.csv"])
    # every file of the data folder is an input, README included; the real extracts the sample is
    # built from (data/sources/ in the repository) are not part of it
    assert "data_dir/README.md" in hashes and not any("sources/" in name for name in hashes)
    assert manifest["parameters"]["council"] == "E06000017"
    assert "pandas" in str(manifest)


def test_misspelt_parameter_fails_before_execution(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "perfeval.run.cli",
            "run",
            str(BUNDLED_NOTEBOOKS_DIR / "state_of_the_nation.ipynb"),
            "--params",
            str(BUNDLED_PARAMS_DIR / "state_of_the_nation.yaml"),
            "-p",
            "yera",
            "2024",
            "--output-dir",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "yera" in result.stderr and "year" in result.stderr and "council" in result.stderr
    assert not (tmp_path / "out").exists()


REGRESSION_FIGURES = (
    "headline_shares",
    "rag_counts",
    "indicator_table",
    "net_spend_per_head",
    "budget_outturn",
    "issues_to_consider",
    "delivery_summary",
)
EXPECTED = Path(__file__).parents[1] / "expected" / "state_of_the_nation.json"


def test_sotn_key_figures_match_the_committed_expected_values(sotn):
    """Back-test: a change in a published number must be a decision, not an accident.

    To accept new figures on purpose: PERFEVAL_UPDATE_EXPECTED=1 pytest tests/e2e/test_reports.py
    and commit tests/expected/state_of_the_nation.json with the reason in the message.
    """
    figures = {name: sotn.key_figures[name]["value"] for name in REGRESSION_FIGURES}
    if os.environ.get("PERFEVAL_UPDATE_EXPECTED"):
        EXPECTED.write_text(
            json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    assert figures == json.loads(EXPECTED.read_text(encoding="utf-8"))


def test_free_text_from_data_is_escaped_in_the_report(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SAMPLE_DATA_DIR, data, ignore=shutil.ignore_patterns("sources"))
    authorities = (data / "authorities.csv").read_text(encoding="utf-8")
    hostile = '"<script>alert(1)</script> & Co"'
    (data / "authorities.csv").write_text(
        authorities.replace(",Darlington,", f",{hostile},"), encoding="utf-8"
    )
    params = load_parameter_file(BUNDLED_PARAMS_DIR / "state_of_the_nation.yaml") | {
        "data_dir": str(data)
    }
    result = run_report(
        BUNDLED_NOTEBOOKS_DIR / "state_of_the_nation.ipynb",
        params,
        outputs_root=tmp_path / "out",
        progress=False,
    )
    page = result.html.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
