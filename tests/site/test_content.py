"""The portal's content on small hand-made frames and a hand-made folder with numerators."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from perfeval.core.paths import PACKAGE_DIR
from perfeval.data import load_dataset
from perfeval.site import content, pages

MINIMAL = PACKAGE_DIR.parent / "tests" / "data" / "minimal"


def test_slug():
    assert content.slug("Waste and environment") == "waste-and-environment"
    assert content.slug("Children's social care") == "children-s-social-care"
    assert content.slug("") == "none"


def test_quality_flags_name_missing_and_flagged_values():
    history = pd.DataFrame(
        {
            "period": ["2022/23", "2023/24", "2024/25", "2024/25 Q1"],
            "value": [1.0, float("nan"), 2.0, 3.0],
            "value_symbol": [None, "[x]", None, None],
            "status": ["final", "final", "provisional", "revised"],
            "note": ["", "", "", ""],
            "target": [float("nan")] * 4,
        }
    )
    flags = content.quality_flags(history)
    assert list(flags["period"]) == ["2023/24", "2024/25", "2024/25 Q1"]
    assert flags["issue"].iloc[0].startswith("missing: ")
    assert list(flags["issue"].iloc[1:]) == ["provisional", "revised"]


def test_annual_spc_is_none_without_values_and_judged_against_the_target():
    empty = pd.DataFrame({"period": ["2023/24"], "value": [float("nan")]})
    assert content.annual_spc(empty, "higher", 50.0) is None
    history = pd.DataFrame({"period": [f"{y}/{str(y + 1)[-2:]}" for y in range(2016, 2025)],
                            "value": [50.0, 51, 49, 50, 52, 48, 50, 51, 49]})  # fmt: skip
    result = content.annual_spc(history, "higher", 80.0)
    assert result.attrs["spc"]["assurance"] == "consistent_fail"  # 80 is far above the limits


@pytest.fixture
def funnel_folder(tmp_path):
    """The minimal folder with a third council and NI192 numerators and denominators for 2022/23
    for all three: 8,100 of 20,000 (40.5%), 4,000 of 10,000 (40%) and 2,250 of 5,000 (45%)."""
    folder = shutil.copytree(MINIMAL, tmp_path / "data")
    groups = (folder / "comparator_groups.csv").read_text(encoding="utf-8")
    (folder / "comparator_groups.csv").write_text(
        groups + "test_group,E06000037,hand-made for tests\n", encoding="utf-8"
    )
    authorities = (folder / "authorities.csv").read_text(encoding="utf-8")
    if "E06000037" not in authorities:
        (folder / "authorities.csv").write_text(
            authorities + "E06000037,West Berkshire,unitary,South East,704.0,True\n",
            encoding="utf-8",
        )
    population = (folder / "population.csv").read_text(encoding="utf-8")
    if "E06000037" not in population:
        (folder / "population.csv").write_text(
            population + "E06000037,2023/24,161000,synthetic\n", encoding="utf-8"
        )
    values = (folder / "indicator_values.csv").read_text(encoding="utf-8")
    values = values.replace(
        "E06000005,NI192,2022/23,[x],,,,not published", "E06000005,NI192,2022/23,40.0,4000,10000,,"
    )
    values += "E06000037,NI192,2022/23,45.0,2250,5000,,\n"
    (folder / "indicator_values.csv").write_text(values, encoding="utf-8")
    return folder


def test_funnel_units_pool_the_group_and_the_pi_page_draws_the_funnel(funnel_folder):
    data = load_dataset(funnel_folder)
    members = ["E06000017", "E06000005", "E06000037"]
    units = content.funnel_units(data, members, "NI192", "higher", "2023/24")
    assert units is not None and set(units["authority"]) == set(members)
    assert units["benchmark"].iloc[0] == pytest.approx((8100 + 4000 + 2250) / 35000)
    assert sorted(units["value"]) == pytest.approx([0.40, 0.405, 0.45])
    assert content.funnel_units(data, members[:2], "NI192", "higher", "2023/24") is None, (
        "two councils"
    )
    site = content.build_content(data, "E06000017", "2023/24", "test_group")
    files = pages.pi_page(
        site.stories["NI192"],
        site,
        pd.DataFrame(columns=["indicator", "label", "period", "home", "median", "n_comparators"]),
    )
    assert "img/NI192-funnel.png" in files
    page = files["pi/NI192.html"].decode()
    assert (
        "On the funnel plot of 2022/23 (3 comparator councils, against their pooled value of 41.0%)"
        in page
    )
    assert 'alt="Funnel plot of NI192, 2022/23: 3 councils' in page


def test_a_services_risks_are_its_own_and_those_linked_to_its_pis():
    risks = pd.DataFrame(
        {
            "risk_id": ["R1", "R2", "R3", "R4"],
            "service": ["Planning", "", None, "Waste"],
            "linked_pis": [None, "PL01; HB01", "HB01", "PL02"],
        }
    )
    card = pd.DataFrame(
        {"indicator": ["PL01", "PL02", "HB01"], "service": ["Planning", "Planning", "Benefits"]}
    )
    assert list(content.service_risk_rows(risks, card, "Planning")["risk_id"]) == ["R1", "R2", "R4"]
    assert list(content.service_risk_rows(risks, card, "Benefits")["risk_id"]) == ["R2", "R3"]
    assert content.service_risk_rows(risks.drop(columns="linked_pis"), card, "Benefits").empty
