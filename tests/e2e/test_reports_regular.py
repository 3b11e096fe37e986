"""End-to-end: the end-of-year review and quarterly monitoring run through `run_report` with their
default parameters; the assertions read the published HTML and manifest as a reader and an
auditor would. One module-scoped run per notebook (each run starts a kernel)."""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil

import pytest

from perfeval.core.exceptions import ParameterError
from perfeval.core.paths import BUNDLED_NOTEBOOKS_DIR, BUNDLED_PARAMS_DIR, SAMPLE_DATA_DIR
from perfeval.run.parameters import load_parameter_file, validate_parameters
from perfeval.run.runner import run_report
from report_pages import (
    check_clean_page,
    check_sections,
    run_default,
    section_cells,
    sections,
    table_rows,
    text_of,
)

pytestmark = pytest.mark.notebook

EOY_SECTIONS = [
    "Exceptions: red and worsening indicators",
    "Every indicator's outturn against target",
    "Position among comparable councils",
    "Data quality",
    "Method, data sources and provenance",
]
QM_SECTIONS = [
    "Exceptions: indicators forecast to miss their year-end target",
    "Performance against profiled targets, year to date",
    "Statistical process control",
    "Finance and performance by service",
    "Actions and risks",
    "Method, data sources and provenance",
]
EOY_FIGURES = [
    "exceptions",
    "rag_counts",
    "headline_shares",
    "outturns",
    "percentile_positions",
    "exception_actions",
    "performance_clinic",
    "data_quality",
]
QM_FIGURES = [
    "forecast_states",
    "in_year_position",
    "spc_summary",
    "budget_position",
    "finance_and_pi_rag",
    "service_actions_and_risks",
    "actions_by_service",
    "actions_overdue",
    "risk_heat_map",
    "risk_summary",
    "risks_rose_or_overdue",
    "risks_above_target",
]


@pytest.fixture(scope="module")
def eoy(tmp_path_factory):
    return run_default("end_of_year_review", tmp_path_factory.mktemp("outputs"))


@pytest.fixture(scope="module")
def qm(tmp_path_factory):
    return run_default("quarterly_monitoring", tmp_path_factory.mktemp("outputs"))


@pytest.mark.parametrize("report, names", [("eoy", EOY_SECTIONS), ("qm", QM_SECTIONS)])
def test_every_section_has_a_chart_with_a_text_alternative_and_a_table(report, names, request):
    check_sections(request.getfixturevalue(report).html.read_text(encoding="utf-8"), names)


@pytest.mark.parametrize("report", ["eoy", "qm"])
def test_reports_have_no_code_errors_scripts_or_external_resources(report, request):
    page = request.getfixturevalue(report).html.read_text(encoding="utf-8")
    check_clean_page(page)
    assert "SYNTHETIC" in page


@pytest.mark.parametrize("report, names", [("eoy", EOY_FIGURES), ("qm", QM_FIGURES)])
def test_key_figures_are_recorded_as_tables(report, names, request):
    figures = request.getfixturevalue(report).key_figures
    for name in names:
        assert figures[name]["kind"] == "table" and figures[name]["value"]["data"], name


def test_end_of_year_review_puts_exceptions_first_with_escaped_commentary(eoy):
    page = eoy.html.read_text(encoding="utf-8")
    exceptions = sections(page)[EOY_SECTIONS[0]]
    rows = table_rows(eoy.key_figures["exceptions"])
    assert rows and all(r["rag"] == "Red" or r["dot"] == "Worse" for r in rows)
    kinds = [r["exception"] for r in rows]
    assert kinds == sorted(kinds, key=["Red and worse", "Red", "Worse"].index)
    # every exception's title is listed in the section's table
    outturns = {r["indicator"]: r for r in table_rows(eoy.key_figures["outturns"])}
    assert len(outturns) == 31 and len(rows) == sum(
        r["rag"] == "Red" or r["dot"] == "Worse" for r in outturns.values()
    )
    # commentary from commentary.csv holds '&': it is escaped, not raw
    assert "rose &amp; the food waste trial" in page and "rose & the food" not in page
    assert "Seasonal respiratory illness" in exceptions


def test_end_of_year_review_data_quality_lists_missing_estimated_provisional_revised(eoy):
    rows = table_rows(eoy.key_figures["data_quality"])
    issues = {(r["indicator"], r["period"]): r["issue"] for r in rows}
    assert issues[("HS02", "2024/25")] == "missing"
    assert issues[("ENV01", "2024/25")] == "estimated"
    assert issues[("CO01", "2024/25")] == "provisional"
    assert issues[("HB01", "2023/24")] == "revised"  # the comparison behind HB01's direction
    section = html_lib.unescape(sections(eoy.html.read_text(encoding="utf-8"))["Data quality"])
    assert "[x] not available" in section


def test_quarterly_monitoring_forecasts_and_profiles_every_sub_annual_pi(qm):
    rows = table_rows(qm.key_figures["in_year_position"])
    assert len(rows) == 12
    assert {r["last_period"] for r in rows} == {"2024/25 Q3", "2024-12"}
    assert {r["forecast_state"] for r in rows} <= {"On track", "At risk", "Off track"}
    page = html_lib.unescape(qm.html.read_text(encoding="utf-8"))
    counts = {r["forecast"]: r["indicators"] for r in table_rows(qm.key_figures["forecast_states"])}
    assert (
        f"{counts['On track']} on track, {counts['At risk']} at risk and "
        f"{counts['Off track']} off track."
    ) in page


def test_quarterly_monitoring_spc_and_finance(qm):
    spc = table_rows(qm.key_figures["spc_summary"])
    assert [r["indicator"] for r in spc] == ["HB01", "PL01", "HR01", "WS01", "CS02"]
    assert all(r["lpl"] < r["mean"] < r["upl"] for r in spc)
    assert spc[3]["last_period"] == "2024-12"
    joined = {r["service"]: r for r in table_rows(qm.key_figures["finance_and_pi_rag"])}
    assert joined["Adult social care"]["forecast_rag"] in ("Red", "Amber", "Green")
    assert joined["Planning"]["pis"] == 3  # PL01-PL03 beside Planning's variance
    section = html_lib.unescape(sections(qm.html.read_text(encoding="utf-8"))[QM_SECTIONS[3]])
    assert "Overspend: " in section or "Underspend: " in section


def test_quarterly_monitoring_says_exactly_what_it_means(qm):
    """#14 item 5 and #15 item 6 on the bundled data: percentage points for percentages, SPC
    limits within a measure's range (PL01's 104.8% shown at 100%, said under the table), every
    target an SPC sentence quotes in the SPC table, titles not codes, forecasts with intervals,
    and no 'none red' for a service without quarterly PIs."""
    page = html_lib.unescape(qm.html.read_text(encoding="utf-8"))
    found = {name: text_of(html) for name, html in sections(page).items()}
    spc = {r["indicator"]: r for r in table_rows(qm.key_figures["spc_summary"])}
    assert spc["PL01"]["upl"] == 100 and spc["PL01"]["upl_calculated"] > 100
    assert all(r["lpl"] >= 0 for r in spc.values())
    text = found[QM_SECTIONS[2]]
    assert "104.8%" not in text.replace("(calculated 104.8%)", "")
    assert "upper limit shown at 100.0% (calculated 104.8%)" in text
    sentences, table = text.split("SPC summary at", 1)
    cells = table.split()
    quoted = re.findall(r"target of ([\d.,]*\d%?)", sentences)
    assert len(quoted) >= 6 and all(number in cells for number in quoted), quoted
    assert "the quarterly target of 2.24 (the annual target of 8.97 over 4 quarters)" in text
    assert not re.search(r"\((HB01|PL01|HR01|WS01|CS02)\)", text), "titles, not codes"
    ytd = found[QM_SECTIONS[1]]
    assert "-5.2 percentage points" in ytd  # Other planning applications, a percentage
    assert "-14.2%" in ytd  # Working days lost, days: % of the target
    rows = table_rows(qm.key_figures["in_year_position"])
    with_interval = [r for r in rows if r["forecast_lower"] is not None]
    assert len(with_interval) >= len(rows) - 1  # HO01, a year-end position, has none
    assert all(r["forecast_lower"] <= r["forecast"] <= r["forecast_upper"] for r in with_interval)
    assert all(r["forecast_upper"] <= 100 for r in rows if r["indicator"].startswith("PL"))
    finance = found[QM_SECTIONS[3]]
    assert "None of them has a PI red" not in finance
    assert "Adult social care has no quarterly or monthly indicator to set beside the budget" in (
        finance
    )


def test_quarter_five_is_rejected_before_execution(tmp_path):
    params = load_parameter_file(BUNDLED_PARAMS_DIR / "quarterly_monitoring.yaml") | {"quarter": 5}
    with pytest.raises(ParameterError, match="quarter"):
        validate_parameters("quarterly_monitoring", params)
    with pytest.raises(ParameterError, match=r"quarter.*5 is out of range"):
        run_report(
            BUNDLED_NOTEBOOKS_DIR / "quarterly_monitoring.ipynb",
            params,
            outputs_root=tmp_path,
            progress=False,
        )
    assert not any(tmp_path.iterdir()), "nothing may be written when the parameters are invalid"


def test_quarterly_monitoring_sections_are_one_call_each():
    """Issue #16: apart from the imports and the parameters, no code cell is longer than six
    lines; each section is built by one perfeval.sections.monitoring call and displayed, with no
    definition, loop or branch in the notebook."""
    body = section_cells("quarterly_monitoring")
    assert len(body) == 9
    assert not [source for source in body if len(source.splitlines()) > 6]
    assert all(
        re.search(r"\b(monitoring|delivery)\.", source) and "display(" in source for source in body
    ), body
    assert not any(re.search(r"^\s*(def|for|if|while|with)\b", source, re.M) for source in body)


def test_end_of_year_review_sections_are_one_call_each():
    """Issue #16: apart from the imports and the parameters, no code cell of the end-of-year
    review is longer than six lines; each section is one call of perfeval.sections.review (or the
    shared annual and common sections) and is displayed; the review's pieces no longer come from
    the quarterly report's module."""
    notebook = json.loads(
        (BUNDLED_NOTEBOOKS_DIR / "end_of_year_review.ipynb").read_text(encoding="utf-8")
    )
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert "from perfeval.sections import annual, common, review" in "".join(code[0]["source"])
    body = [
        "".join(cell["source"])
        for cell in code[1:]
        if "parameters" not in cell["metadata"].get("tags", [])
    ]
    assert not [source for source in body if len(source.splitlines()) > 6]
    assert all("display(" in source for source in body), body
    assert [s.split("(")[0].split()[-1] for s in body if s.startswith("s = ")] == [
        "review.exceptions",
        "review.outturns",
        "annual.benchmarking",
        "review.improvement_actions",
        "review.clinic",
        "review.data_quality",
    ]
    assert not any("monitoring" in source for source in body)
    assert not any(re.search(r"^\s*(def|for|if|while|with)\b", source, re.M) for source in body)


# ------------------------------------------------------------------------ actions and risks (#17)


def test_quarterly_actions_and_risks_on_the_bundled_registers(qm):
    """The sample's registers as at 31 December 2024 (sample_data/README.md): 4 of 10 open
    actions overdue, 3 due on the quarter's last day; 12 corporate risks, 3 high, 6 above
    target, 4 past review, 4 risen."""
    page = qm.html.read_text(encoding="utf-8")
    section = sections(page)["Actions and risks"]
    text = text_of(section)
    assert (
        "At 31 December 2024, 4 of 10 open actions are overdue and 3 are due by the end of "
        "2024/25 Q3" in text
    )
    assert "3 high, 6 medium and 3 low by residual score" in text
    overdue = table_rows(qm.key_figures["actions_overdue"])
    assert sum(r["overdue"] for r in overdue) == 4
    assert sum(r["due_this_quarter"] for r in overdue) == 3
    cells = table_rows(qm.key_figures["risk_heat_map"])
    assert len(cells) == 25 and sum(c["count"] for c in cells) == 12
    summary = {r["measure"]: r["count"] for r in table_rows(qm.key_figures["risk_summary"])}
    assert summary["above their target score"] == 6 and summary["past their review date"] == 4
    # the heat map's text alternative states the counts; its table carries the band words
    alts = [html_lib.unescape(a) for a in re.findall(r'alt="([^"]*)"', section)]
    assert any(a.startswith("Heat map of 12 corporate risks") and "3 high" in a for a in alts)
    assert "Likelihood 4 likely" in text and "(high)" in text
    # PI titles and risk titles, not codes alone
    assert "Adult social care demand exceeds the budget (R02)" in text
    finance = text_of(sections(page)["Finance and performance by service"])
    assert "Top risks (residual score)" in finance
    by_service = {r["service"]: r for r in table_rows(qm.key_figures["service_actions_and_risks"])}
    assert by_service["Organisation"]["overdue_actions"] == 3


def test_end_of_year_review_lists_the_exceptions_actions_and_the_clinic_list(eoy):
    page = eoy.html.read_text(encoding="utf-8")
    found = sections(page)
    actions = text_of(found["Improvement actions for the exceptions"])
    assert "no action recorded" in actions
    assert "Working days lost to sickness absence per FTE employee (HR01)" in actions
    rows = table_rows(eoy.key_figures["exception_actions"])
    responses = {(r["indicator"], r["action_id"]): r["response"] for r in rows}
    assert responses[("PL01", "A01")] == "responded"
    assert responses[("HB01", "A10")] == "worse"
    assert responses[("CT01", "A11")] == "too early to tell"
    assert "Whether a PI responded to a completed action" in text_of(
        found["Method, data sources and provenance"]
    )
    clinic = text_of(found["Performance clinic list for the coming year"])
    assert "performance clinic list for 2025/26" in clinic
    assert "The performance clinic list for the coming year holds every PI" in clinic
    ranked = table_rows(eoy.key_figures["performance_clinic"])
    groups = [r["clinic_group"] for r in ranked]
    assert groups == sorted(groups, key=["red and worsening", "red", "worsening"].index)


@pytest.fixture(scope="module")
def qm_without_registers(tmp_path_factory):
    data = tmp_path_factory.mktemp("data") / "sample"
    shutil.copytree(
        SAMPLE_DATA_DIR, data, ignore=shutil.ignore_patterns("sources", "actions.csv", "risks.csv")
    )
    return run_default(
        "quarterly_monitoring", tmp_path_factory.mktemp("outputs"), data_dir=str(data)
    )


def test_quarterly_monitoring_without_registers_says_so_and_goes_on(qm_without_registers):
    page = qm_without_registers.html.read_text(encoding="utf-8")
    check_clean_page(page)
    found = sections(page)
    section = found["Actions and risks"]
    assert "<table" not in section and "<img" not in section
    text = text_of(section)
    assert "No actions register (actions.csv) is in the data folder for Rutland" in text
    assert "No risk register (risks.csv) is in the data folder for Rutland" in text
    finance = text_of(found["Finance and performance by service"])
    assert "Top risks" not in finance and "None of them" not in finance
    figures = qm_without_registers.key_figures
    for name in QM_FIGURES[5:]:
        assert figures[name]["kind"] == "table" and not figures[name]["value"]["data"], name


def test_quarterly_monitoring_refuses_a_folder_without_budget_before_running(tmp_path):
    """The integrated finance and performance report needs budget.csv (perfeval.data.requirements):
    a folder without it is refused at validation, naming the file, and nothing runs."""
    data = tmp_path / "sample"
    shutil.copytree(
        SAMPLE_DATA_DIR,
        data,
        ignore=shutil.ignore_patterns("sources", "actions.csv", "risks.csv", "budget.csv"),
    )
    params = load_parameter_file(BUNDLED_PARAMS_DIR / "quarterly_monitoring.yaml")
    outputs = tmp_path / "outputs"
    with pytest.raises(ParameterError, match=r"no budget\.csv"):
        run_report(
            BUNDLED_NOTEBOOKS_DIR / "quarterly_monitoring.ipynb",
            params | {"data_dir": str(data)},
            outputs_root=outputs,
            progress=False,
        )
    assert not list(outputs.rglob("*.html")) and not list(outputs.rglob("manifest.json"))
