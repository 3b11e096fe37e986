"""The portal's page helpers on small hand-made frames."""

from __future__ import annotations

import base64
import hashlib

import pandas as pd

from perfeval.run.publish import CONTENT_SECURITY_POLICY
from perfeval.site import pages


def test_the_policy_is_the_reports_with_local_images_and_the_script_by_its_hash():
    policy = pages.site_csp()
    digest = base64.b64encode(hashlib.sha256(pages.FILTER_SCRIPT.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1]
    assert "img-src 'self' data:" in policy
    for part in CONTENT_SECURITY_POLICY.split("; "):
        if not part.startswith("img-src"):
            assert part in policy


def test_headline_counts_carry_their_bases():
    shares = pd.DataFrame(
        {
            "measure": ["on target", "improved", "in top two quartiles", "no data"],
            "numerator": [9, 11, 1, 0],
            "denominator": [31, 25, 1, 0],
            "share": [9 / 31, 11 / 25, 1.0, float("nan")],
        }
    )
    assert pages.headline_items(shares, "2024/25") == [
        "9 of 31 indicators in the scorecard to 2024/25: on target (29%).",
        "11 of 25 indicators with a previous value to compare: improved (44%).",
        "1 of 1 indicator ranked among at least 3 comparator councils: in top two quartiles "
        "(100%).",
        "0 of 0 indicators in the scorecard to 2024/25: no data.",
    ]


CARD = pd.DataFrame(
    {
        "indicator": ["A1", "A2", "B1"],
        "service": ["Waste", "Waste", "Benefits"],
        "service_slug": ["waste", "waste", "benefits"],
        "rag": ["Red", "Green", "Red"],
        "priority": ["red", "not on the clinic list", "red and worsening"],
    }
)


def test_filter_values_are_in_a_readers_order_with_counts_and_keep_the_right_rows():
    assert pages.filter_values(CARD, "service") == [
        ("benefits", "Benefits", 1),
        ("waste", "Waste", 2),
    ]
    assert pages.filter_values(CARD, "status") == [("green", "Green", 1), ("red", "Red", 2)]
    assert [v[1] for v in pages.filter_values(CARD, "priority")] == [
        "red and worsening",
        "red",
        "not on the clinic list",
    ]
    assert list(pages.filter_rows(CARD, "status", "red")["indicator"]) == ["A1", "B1"]
    assert list(pages.filter_rows(CARD, "service", "waste")["indicator"]) == ["A1", "A2"]
    assert (
        pages.filter_page("priority", "red-and-worsening")
        == "filter/priority-red-and-worsening.html"
    )


def test_values_show_decimals_unit_flag_or_symbol():
    assert pages.value_text(15.25, 1, "days", status="provisional") == "15.3 [p]"
    assert pages.value_text(55.7, 1, "%") == "55.7%"
    assert pages.value_text(float("nan"), 1, "%", symbol="[x]") == "[x]"
    assert pages.value_text(float("nan"), 1, "%") == ""
    assert pages.rank_text(7, 15) == "7 of 15" and pages.rank_text(pd.NA, 15) == ""


def test_why_a_pi_has_no_rank():
    row = pd.Series(
        {
            "rank": pd.NA,
            "n_ranked": 1,
            "polarity": "higher",
            "value": 90.0,
            "period": "2024/25",
            "quartile": pd.NA,
        }
    )
    assert pages.position_sentence(row, "g") == (
        "It is not ranked among the comparators: 1 council of the group has a value for "
        "2024/25, fewer than 3."
    )
    assert "no better direction" in pages.position_sentence(
        row.copy().replace("higher", "neutral"), "g"
    )
    ranked = row.copy()
    ranked[["rank", "n_ranked", "quartile"]] = [7, 15, 2]
    assert pages.position_sentence(ranked, "g") == (
        "In 2024/25 it ranked 7 of 15 among the comparator group g (quartile 2, 1 = best)."
    )


def test_the_sitemap_is_relative_or_under_the_base_url():
    relative = pages.sitemap(["pi/A1.html", "index.html"], None).decode()
    assert "<loc>index.html</loc><url><loc>pi/A1.html</loc>" in relative.replace("</url>", "")
    absolute = pages.sitemap(["index.html"], "https://example.org/performance/").decode()
    assert "<loc>https://example.org/performance/index.html</loc>" in absolute
