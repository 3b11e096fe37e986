"""End-to-end: the value-for-money and programme-evaluation reports with their default parameters.

One module-scoped run per notebook; the assertions read the published HTML and manifest.
"""

from __future__ import annotations

import ast
import json

import pytest

from perfeval.core.paths import BUNDLED_NOTEBOOKS_DIR
from report_pages import check_clean_page, check_sections, run_default, sections, text_of

pytestmark = pytest.mark.notebook

VFM_SECTIONS = [
    "The comparison set and the performance score",
    "Performance against spend",
    "Above or below what spend would predict",
    "Spend per head in real terms",
]
PROGRAMME_SECTIONS = [
    "What the money bought",
    "Did outcomes move?",
    "What participants said",
    "Evaluation framework",
]


@pytest.fixture(scope="module")
def vfm(tmp_path_factory):
    return run_default("value_for_money", tmp_path_factory.mktemp("outputs"))


@pytest.fixture(scope="module")
def programme(tmp_path_factory):
    return run_default("programme_evaluation", tmp_path_factory.mktemp("outputs"))


@pytest.mark.parametrize(
    "report, names", [("vfm", VFM_SECTIONS), ("programme", PROGRAMME_SECTIONS)]
)
def test_every_section_has_a_chart_with_text_alternative_and_a_table(report, names, request):
    check_sections(
        request.getfixturevalue(report).html.read_text(encoding="utf-8"), names, min_alt=40
    )


@pytest.mark.parametrize("report", ["vfm", "programme"])
def test_reports_end_with_the_parameters_of_the_run(report, request):
    found = sections(request.getfixturevalue(report).html.read_text(encoding="utf-8"))
    assert list(found)[-2:] == ["Parameters of this run", "Symbols used in tables"]
    assert "<caption>Parameters of this run</caption>" in found["Parameters of this run"]
    assert "(bundled sample data)" in found["Parameters of this run"]


@pytest.mark.parametrize("report", ["vfm", "programme"])
def test_reports_have_no_scripts_errors_or_code(report, request):
    check_clean_page(request.getfixturevalue(report).html.read_text(encoding="utf-8"))


def test_vfm_highlights_the_home_council_and_states_caveats(vfm):
    page = text_of(vfm.html.read_text(encoding="utf-8"))
    assert "Rutland (this council)" in page
    assert "association, not cause" in page and "does not allow for need" in page
    assert "real published figures only" in page
    assert "2023/24 prices" in page and "HM Treasury" in page  # the latest deflator
    # the Revenue Outturn runs a year past the deflators: 2024/25 is in cash only, said so
    assert "There is no GDP deflator for 2024/25 in the data yet, so that year is shown" in page
    assert "In 2022/23, Rutland had an average performance score of" in page
    assert (
        "Net current expenditure per head" not in page
    )  # the measure is total service expenditure


def test_vfm_records_key_figures_consistent_with_the_text(vfm):
    figures = vfm.key_figures
    for name in (
        "vfm_table",
        "vfm_slope_points_per_pound",
        "vfm_r_squared",
        "vfm_councils",
        "home_residual",
        "home_score_components",
        "real_terms_spend_per_head",
    ):
        assert name in figures, name
    table = figures["vfm_table"]["value"]
    assert len(table["data"]) == figures["vfm_councils"]["value"] >= 40
    residual = figures["home_residual"]["value"]
    page = text_of(vfm.html.read_text(encoding="utf-8"))
    assert f"{abs(residual):.1f} score points {'above' if residual > 0 else 'below'}" in page


def test_programme_report_is_labelled_synthetic_and_records_key_figures(programme):
    page = text_of(programme.html.read_text(encoding="utf-8"))
    assert "SYNTHETIC" in page and "illustrative" in page
    figures = programme.key_figures
    for name in (
        "funding_by_strand",
        "spend_pct_of_allocation",
        "cost_per_participant",
        "did_results",
        "participant_survey",
        "evaluation_framework",
    ):
        assert name in figures, name
    spend_pct = figures["spend_pct_of_allocation"]["value"]
    assert f"({spend_pct:.1f}%)" in page
    framework = figures["evaluation_framework"]["value"]
    assert len(framework["data"]) == 7
    assert "parallel trends" in page


def test_programme_did_table_gives_estimate_interval_and_pre_trends(programme):
    did = programme.key_figures["did_results"]["value"]
    row = dict(zip(did["columns"], did["data"][0]))
    assert row["indicator"] == "NI192"
    assert row["ci_lower"] < row["estimate"] < row["ci_upper"]
    assert row["n_treated"] == 9 and row["n_comparison"] > 9
    assert row["inference"] == "randomisation" and row["draws"] == 9999
    assert row["pre_trends"] in ("evidenced", "not evidenced")
    assert f"parallel trends are {row['pre_trends']}" in row["pre_trend_finding"]
    assert "event_study" in programme.key_figures


@pytest.mark.parametrize(
    "stem, module, alias",
    [("value_for_money", "vfm", "vfm"), ("programme_evaluation", "programme", "evaluation")],
)
def test_notebook_sections_are_one_call_each(stem, module, alias):
    """Issue #16: apart from the imports and the parameters, no code cell is longer than six
    lines, and every report section is displayed from one call of the report's own section module
    (perfeval.sections.vfm or .programme; the closing parameters table from .appendix), not of
    the old two-report perfeval.sections.money. No imported name is also a parameter (the
    programme notebook's ``programme`` parameter would replace the module of that name)."""
    notebook = json.loads((BUNDLED_NOTEBOOKS_DIR / f"{stem}.ipynb").read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    imported = {
        (node.module, name.name): name.asname or name.name
        for node in ast.parse("".join(code[0]["source"])).body
        if isinstance(node, ast.ImportFrom)
        for name in node.names
    }
    assert imported[("perfeval.sections", module)] == alias
    assert imported[("perfeval.sections", "appendix")] == "appendix"
    assert ("perfeval.sections", "money") not in imported
    (parameters,) = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    assigned = {
        target.id
        for node in ast.parse("".join(parameters["source"])).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert not assigned & set(imported.values()), assigned & set(imported.values())
    body = [cell for cell in code[1:] if "parameters" not in cell["metadata"].get("tags", [])]
    long = {
        i: "".join(c["source"])
        for i, c in enumerate(body)
        if len("".join(c["source"]).splitlines()) > 6
    }
    assert not long, long
    sources = ["".join(c["source"]) for c in body]
    assert all(f"{alias}." in source and "display(" in source for source in sources[:-1]), sources
    assert sources[-1] == "display(appendix.parameters_section(params))"
    assert not any("def " in source or "for " in source for source in sources)
