"""End-to-end: the reports hold for a council other than Rutland (issue #12, acceptance).

A shire district's own data folder (:func:`district.build_district_folder`: Melton and its 15
nearest districts; NI 192 and Revenue Outturn real figures; three made-up PIs, MB03 collected by
Melton alone; no survey, budget, commentary, deflators or adult social care) is built in a
temporary folder, and State of the Nation, the end-of-year review and value for money are run on
it. The published pages are read as a reader would: every sentence speaks of Melton and its
group only, no section claims data the folder lacks, each absent section says so in one
sentence, and no comparator median is drawn from fewer than three councils.
"""

from __future__ import annotations

import html as html_lib
import re

import pandas as pd
import pytest

from district import GROUP, HOME, SYNTHETIC_PIS, build_district_folder, district_group
from perfeval.core.exceptions import ParameterError
from perfeval.core.paths import SAMPLE_DATA_DIR
from perfeval.run.parameters import validate_parameters
from report_pages import check_clean_page, run_default, sections, table_rows, text_of

pytestmark = pytest.mark.notebook

KEY_INDICATORS = ["NI192", "MB01", "MB02", "MB03"]
NO_SURVEY = (
    "No resident survey results are in the data folder for Melton, so this report has "
    "no Resident views."
)
NO_BUDGET = (
    "No budget monitoring figures are in the data folder for Melton, so this report has "
    "no budget against forecast outturn."
)
NO_COMMENTARY = (
    "No commentary is in the data folder for Melton, so the tables below have no "
    "owner's commentary."
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return build_district_folder(tmp_path_factory.mktemp("data") / "melton")


@pytest.fixture(scope="module")
def sotn(folder, tmp_path_factory):
    # the bundled parameter file names Rutland's survey waves: a district without a survey gives ''
    return run_default(
        "state_of_the_nation",
        tmp_path_factory.mktemp("outputs"),
        council=HOME,
        comparator_group=GROUP,
        data_dir=str(folder),
        survey_wave="",
        key_indicators=KEY_INDICATORS,
    )


@pytest.fixture(scope="module")
def eoy(folder, tmp_path_factory):
    return run_default(
        "end_of_year_review",
        tmp_path_factory.mktemp("outputs"),
        council=HOME,
        comparator_group=GROUP,
        data_dir=str(folder),
    )


@pytest.fixture(scope="module")
def vfm(folder, tmp_path_factory):
    return run_default(
        "value_for_money",
        tmp_path_factory.mktemp("outputs"),
        council=HOME,
        data_dir=str(folder),
        year="2017/18",  # districts' Revenue Outturn ends there (SOURCES.md §7)
        vfm_indicators=["NI192"],
    )


def page_of(result) -> str:
    return result.html.read_text(encoding="utf-8")


def reader_text(page: str) -> str:
    """Everything a reader (or a screen reader) gets: visible text and the charts' text."""
    body = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    alts = " ".join(html_lib.unescape(a) for a in re.findall(r'alt="([^"]*)"', body))
    return f"{text_of(body)} {alts}"


def sentences(page: str) -> list[str]:
    """The report's sentences: paragraphs, list items, captions and chart text alternatives
    (table cells and the parameter listing are not sentences)."""
    parts = re.findall(r"<(p|li|figcaption|caption)[^>]*>(.*?)</\1>", page, flags=re.S)
    texts = [text_of(inner) for _, inner in parts]
    texts += [html_lib.unescape(a) for a in re.findall(r'alt="([^"]*)"', page)]
    return [s.strip() for text in texts for s in re.split(r"(?<=\.)\s+", text) if s.strip()]


def other_councils(folder) -> list[str]:
    """Names of every authority in the lookup that is not Melton or one of its 15 neighbours."""
    authorities = pd.read_csv(folder / "authorities.csv", dtype=str)
    population = pd.read_csv(folder / "population.csv", dtype=str)
    members = set(district_group(authorities, population))
    return sorted(authorities.loc[~authorities["code"].isin(members), "name"])


def names_outside_group(text: str, folder) -> list[str]:
    authorities = pd.read_csv(folder / "authorities.csv", dtype=str).set_index("code")["name"]
    groups = pd.read_csv(folder / "comparator_groups.csv", dtype=str)
    for name in sorted(authorities[groups["authority"]], key=len, reverse=True):
        text = text.replace(name, " ")  # "Derbyshire Dales" is in the group; "Derby" is not
    return [
        name
        for name in other_councils(folder)
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)
    ]


@pytest.mark.parametrize("report", ["sotn", "eoy", "vfm"])
def test_the_district_reports_build_and_speak_of_the_district_and_its_group_only(
    report, request, folder
):
    page = page_of(request.getfixturevalue(report))
    check_clean_page(page)
    text = reader_text(page)
    assert "Melton" in text
    assert "Rutland" not in text
    assert not names_outside_group(text, folder)
    assert "bundled" not in text.lower() and "sample data" not in text.lower()
    assert "adult social care" not in text.lower() and "Oflog" not in text


@pytest.mark.parametrize("report", ["sotn", "eoy", "vfm"])
def test_no_sentence_claims_a_survey_budget_or_commentary_the_folder_lacks(report, request):
    page = page_of(request.getfixturevalue(report))
    for sentence in sentences(page):
        lower = sentence.lower()
        if re.search(r"survey|budget|commentary", lower):
            # a sentence may say that the data are absent, or speak of them conditionally
            assert re.search(r"\bno\b|not in|where the data folder holds", lower), (
                f"claims what the folder lacks: {sentence!r}"
            )


def test_state_of_the_nation_says_in_one_sentence_what_is_absent(sotn):
    found = sections(page_of(sotn))
    views = text_of(found["Resident views"])
    assert NO_SURVEY in views and "<img" not in found["Resident views"]
    assert "<table" not in found["Resident views"]
    assert NO_BUDGET in text_of(found["Money"])
    # the spend per head comparison is there: Melton's own Revenue Outturn file, named as such
    assert "Sources: net_expenditure.csv in the data folder" in text_of(found["Money"])
    assert table_rows(sotn.key_figures["budget_outturn"]) == []


def test_the_data_honesty_note_names_the_synthetic_pis_and_ni192_as_published(sotn, eoy):
    for result in (sotn, eoy):
        note = text_of(re.search(r'<p class="data-note">(.*?)</p>', page_of(result)).group(1))
        assert "1 of 4 indicators (NI192) has real published figures" in note
        assert "the other 3 (MB01, MB02, MB03) are SYNTHETIC" in note
        assert "Also SYNTHETIC: all targets." in note
    sotn_note = re.search(r'<p class="data-note">(.*?)</p>', page_of(sotn)).group(1)
    assert (
        "Not in the data folder for Melton: resident survey results, budget monitoring figures, "
        "improvement actions and the risk register" in text_of(sotn_note)
    )


def test_the_sources_and_tables_tables_say_where_each_table_came_from(sotn):
    method = text_of(sections(page_of(sotn))["Method, data sources and provenance"])
    assert "NI192 Defra ENV18" in method and "Real published figures" in method
    assert (
        "MB01, MB02, MB03 Synthetic: made up for the district test folder (not real "
        "performance) Synthetic (generated, not real performance)"
    ) in method
    assert "survey_responses.csv resident survey results Not in the data folder 0" in method
    assert "budget.csv budget monitoring figures Not in the data folder 0" in method
    assert "targets.csv targets The data folder" in method


def test_no_comparator_median_rank_or_quartile_comes_from_fewer_than_three_councils(sotn):
    trends = table_rows(sotn.key_figures["key_indicator_trends"])
    assert trends, "the key indicators have trends"
    for row in trends:
        assert (row["median"] is None) == (row["n_comparators"] < 3), row
    local = [r for r in trends if r["indicator"] == "MB03"]
    assert local and all(r["n_comparators"] == 1 and r["median"] is None for r in local)
    found = sections(page_of(sotn))
    trend_text = text_of(found["National and local trends"])
    assert (
        "No comparator median is drawn where fewer than 3 councils of the group have a "
        "value: Fly-tipping incidents cleared within 2 working days (%)"
    ) in trend_text
    bench = text_of(found["Benchmarking against comparable councils"])
    assert (
        "1 of 4 indicators are not ranked because fewer than 3 councils of the group have a "
        "value for the same year: Fly-tipping incidents cleared within 2 working days"
    ) in bench
    assert "Fly-tipping" not in text_of(
        found["Benchmarking against comparable councils"].split("<table")[1]
    )


def after_heading(section: str) -> str:
    """A section's text after its heading (and the heading's ¶ anchor)."""
    return text_of(section.split("</h2>", 1)[-1]).strip()


def test_without_actions_or_risks_the_delivery_sections_say_so_in_one_sentence(sotn, eoy):
    """The district folder has no actions.csv or risks.csv (#17): State of the Nation's
    Delivery and the review's improvement actions say so; the clinic list needs neither."""
    delivery = sections(page_of(sotn))["Delivery"]
    assert "<table" not in delivery and "<img" not in delivery
    assert after_heading(delivery) == (
        "Neither an actions register (actions.csv) nor a risk register (risks.csv) is in the "
        "data folder for Melton, so this report says nothing about the delivery of improvement "
        "actions or the risks to it."
    )
    found = sections(page_of(eoy))
    actions = found["Improvement actions for the exceptions"]
    assert "<table" not in actions
    assert after_heading(actions).startswith(
        "No actions register (actions.csv) is in the data folder for Melton, so this report "
        "cannot say what is being done about the "
    )
    clinic = found["Performance clinic list for the coming year"]
    assert "<table" in clinic and ">Open actions<" not in clinic
    assert table_rows(sotn.key_figures["delivery_summary"]) == []
    assert table_rows(eoy.key_figures["exception_actions"]) == []
    assert "Whether a PI responded" not in text_of(found["Method, data sources and provenance"])


def test_end_of_year_review_has_no_commentary_column_and_says_why(eoy):
    found = sections(page_of(eoy))
    exceptions = found["Exceptions: red and worsening indicators"]
    assert NO_COMMENTARY in text_of(exceptions)
    for name in (
        "Exceptions: red and worsening indicators",
        "Every indicator's outturn against target",
    ):
        assert (
            ">Commentary<" not in found[name]
            and "commentary"
            not in text_of(re.findall(r"<caption>(.*?)</caption>", found[name])[0]).lower()
        )
    outturns = table_rows(eoy.key_figures["outturns"])
    assert sorted(r["indicator"] for r in outturns) == sorted(["NI192", *SYNTHETIC_PIS["code"]])
    local = {r["indicator"]: r for r in outturns}["MB03"]
    assert local["quartile"] is None  # only Melton collects it: nobody to be in a quartile of


def test_value_for_money_uses_the_reference_deflators_and_says_so(vfm):
    page = page_of(vfm)
    text = reader_text(page)
    assert "perfeval's national reference data, as the data folder has no deflators.csv" in text
    assert "HM Treasury" in text
    real = text_of(sections(page)["Spend per head in real terms"])
    assert "deflators: HM Treasury" in real and "2023/24 prices" in real
    assert "There are no total service expenditure figures for 2015/16, 2016/17." in real
    assert "no GDP deflator" not in real  # a district's spend ends at 2017/18
    assert "Data: real published figures only (indicators NI192: Defra ENV18" in text
    assert vfm.key_figures["vfm_councils"]["value"] == 16  # Melton and its 15 neighbours


def test_the_default_value_for_money_year_is_refused_for_a_district_naming_its_years(folder):
    # the default compares 2022/23, which a shire district's Revenue Outturn does not reach
    with pytest.raises(ParameterError) as info:
        validate_parameters("value_for_money", {"council": HOME, "data_dir": str(folder)})
    message = str(info.value)
    assert "'2022/23' has no TOTAL SERVICE EXPENDITURE figures in net_expenditure.csv" in message
    assert "years with them: 2010/11, 2011/12, 2012/13, 2013/14, 2014/15, 2017/18" in message


def test_the_district_folder_is_not_the_sample(folder):
    assert folder.resolve() != SAMPLE_DATA_DIR.resolve()
    assert not (folder / "survey_responses.csv").exists() and not (folder / "budget.csv").exists()


@pytest.fixture(scope="module")
def vfm_local(folder, tmp_path_factory):
    # MB03 is Melton's alone: no other council can be ranked with it
    return run_default(
        "value_for_money",
        tmp_path_factory.mktemp("outputs"),
        council=HOME,
        data_dir=str(folder),
        year="2017/18",
        vfm_indicators=["NI192", "MB03"],
    )


def test_value_for_money_with_an_indicator_only_the_council_has_says_so_and_goes_on(vfm_local):
    page = page_of(vfm_local)
    check_clean_page(page)
    found = sections(page)
    why = (
        "Fewer than 3 councils of the comparison set have a 2017/18 value for every indicator "
        "(NI192, MB03)"
    )
    for name in ("The comparison set and the performance score", "Performance against spend"):
        assert why in text_of(found[name]) and "<img" not in found[name], name
    assert "no council has a residual" in text_of(found["Above or below what spend would predict"])
    assert "<img" in found["Spend per head in real terms"]  # the report goes on
    assert vfm_local.key_figures["vfm_slope_points_per_pound"]["value"] is None
