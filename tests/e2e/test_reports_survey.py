"""End-to-end: the survey report with its default parameters, and with a high min_cell.

Module-scoped runs (each starts a kernel); the assertions read the published HTML and manifest.
"""

from __future__ import annotations

import re

import pytest

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

SECTIONS = [
    "About the survey",
    "Headline measures",
    "Change since the last survey",
    "Differences between groups of residents",
    "Method and caveats",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return run_default("survey_report", tmp_path_factory.mktemp("outputs"))


@pytest.fixture(scope="module")
def single_wave(tmp_path_factory):
    return run_default("survey_report", tmp_path_factory.mktemp("outputs"), comparison_wave="")


@pytest.fixture(scope="module")
def after_the_year(tmp_path_factory):
    """A 2023/24 report of the 2024 wave, named by the parameter: after the report year."""
    return run_default(
        "survey_report",
        tmp_path_factory.mktemp("outputs"),
        year="2023/24",
        wave="2024",
        comparison_wave="2022",
    )


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    return run_default("survey_report", tmp_path_factory.mktemp("outputs"), min_cell=200)


def test_every_section_has_a_chart_with_text_alternative_and_a_table(report):
    page = report.html.read_text(encoding="utf-8")
    check_sections(page, SECTIONS, min_alt=40)
    found = sections(page)
    assert len(re.findall(r"<img", found["Differences between groups of residents"])) == 4


def test_report_has_no_scripts_errors_or_code(report):
    check_clean_page(report.html.read_text(encoding="utf-8"))


def test_report_is_labelled_synthetic(report):
    page = text_of(report.html.read_text(encoding="utf-8"))
    assert "SYNTHETIC: this resident survey is generated sample data" in page
    assert "Synthetic sample survey." in page


def test_headline_percentages_come_with_their_bases(report):
    page = text_of(report.html.read_text(encoding="utf-8"))
    headline = table_rows(report.key_figures["headline_shares"])
    assert len(headline) == 10 and all(r["symbol"] == "" for r in headline)
    for row in headline:
        assert f"(base {int(row['base']):,})" in page
    weighting = table_rows(report.key_figures["weighting"])
    assert [w["wave"] for w in weighting] == ["2024", "2022"] and all(
        w["converged"] for w in weighting
    )
    method = text_of(sections(report.html.read_text(encoding="utf-8"))["Method and caveats"])
    about = text_of(sections(report.html.read_text(encoding="utf-8"))["About the survey"])
    deff = f"the design effect due to weighting is {weighting[0]['design_effect']:.2f}"
    assert deff in method and "the raking converged after 3 iterations" in method
    assert "iteration" not in about and "margin error" not in page  # method details stay there


def test_default_run_applies_low_and_suppression_symbols_to_small_groups(report):
    rows = table_rows(report.key_figures["breakdowns"])
    assert {r["breakdown"] for r in rows} == {"age_band", "sex", "ward", "disability"}
    low = [r for r in rows if r["symbol"] == "[low]"]
    assert low and all(r["estimate"] is None and r["base"] < 50 for r in low)
    for row in (r for r in rows if r["symbol"] == "[c]"):
        assert all(row[k] is None for k in ("estimate", "ci_low", "ci_high", "base", "difference"))


def test_high_min_cell_replaces_small_groups_by_c_in_the_html_and_key_figures(report, strict):
    default_rows = {
        (r["breakdown"], r["group"], r["question"]): r
        for r in table_rows(report.key_figures["breakdowns"])
    }
    strict_rows = {
        (r["breakdown"], r["group"], r["question"]): r
        for r in table_rows(strict.key_figures["breakdowns"])
    }
    page = text_of(strict.html.read_text(encoding="utf-8"))
    small = [key for key, r in default_rows.items() if r["symbol"] == "" and r["base"] < 200]
    assert small, "the default run should publish some groups of fewer than 200 respondents"
    for key in small:
        row, published = strict_rows[key], default_rows[key]
        assert row["symbol"] == "[c]", key
        assert all(
            row[k] is None
            for k in ("estimate", "ci_low", "ci_high", "base", "difference", "p_adjusted")
        ), key
        shown = f"% (base {int(published['base']):,})"
        assert shown in text_of(report.html.read_text(encoding="utf-8")), key
        assert shown not in page, f"suppressed {key} still shown as {shown}"
    margins = {r["category"]: r for r in table_rows(strict.key_figures["margins"])}
    assert margins["16-34"]["symbol"] == "[c]" and margins["16-34"]["base"] is None
    assert "[c]" in page and "fewer than 200 respondents" in page


def test_without_a_comparison_wave_the_change_section_says_so_and_records_no_change(single_wave):
    page = sections(single_wave.html.read_text(encoding="utf-8"))
    change = text_of(page["Change since the last survey"])
    assert (
        "No comparison wave was chosen (comparison_wave is empty), so no change is tested."
        in change
    )
    assert "<img" not in page["Change since the last survey"]
    assert list(single_wave.key_figures) == [
        "weighting",
        "margins",
        "headline_shares",
        "breakdowns",
    ]
    assert [w["wave"] for w in table_rows(single_wave.key_figures["weighting"])] == ["2024"]


def test_survey_report_sections_are_one_call_each():
    """Issue #16: apart from the imports and the parameters, no code cell is longer than six
    lines; each section is built by one perfeval.sections.survey call and displayed, with no
    definition, loop or branch in the notebook."""
    body = section_cells("survey_report")
    assert len(body) == 6
    assert not [source for source in body if len(source.splitlines()) > 6]
    assert all("survey_report." in source and "display(" in source for source in body), body
    assert not any(re.search(r"^\s*(def|for|if|while|with)\b", source, re.M) for source in body)


def test_the_default_wave_is_the_latest_at_or_before_the_report_year(report):
    opening = text_of(report.html.read_text(encoding="utf-8"))
    assert (
        "residents survey, wave 2024 (the latest at or before the report year 2024/25), "
        "compared with 2022." in opening
    )
    assert report.html.parent.name == "E06000017_2024-25"


def test_a_wave_after_the_report_year_is_said_in_the_opening(after_the_year):
    page = after_the_year.html.read_text(encoding="utf-8")
    subtitle = text_of(re.search(r'<p class="subtitle">(.*?)</p>', page, flags=re.S).group(1))
    assert subtitle == (
        "Rutland (E06000017): residents survey, wave 2024, compared with 2022. This report uses "
        "the 2024 wave, labelled with a year after 2023, the year in which the report year "
        "2023/24 begins, because the wave parameter names it; the latest wave at or before the "
        "report year is 2022."
    )
    assert [w["wave"] for w in table_rows(after_the_year.key_figures["weighting"])] == [
        "2024",
        "2022",
    ]
