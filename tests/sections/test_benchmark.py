"""Unit tests of perfeval.sections.benchmark (State of the Nation's funnel plots, #15 item 5),
on small hand-made data checkable by hand, on the bundled data and on the district folder."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from district import GROUP, HOME, build_district_folder
from money_data import charts, dataset, tables, texts
from perfeval.data.loader import load_dataset
from perfeval.sections import benchmark
from perfeval.sections.annual import AnnualReport

CODES = list("ABCDEFGH")
AUTHORITIES = pd.DataFrame(
    {
        "code": [*CODES, "Z"],
        "name": [f"Council {c}" for c in CODES] + ["Zed District"],
        "type": ["unitary"] * 8 + ["district"],
        "region": ["R"] * 9,
        "current": [True] * 9,
    }
)
REGISTER = pd.DataFrame(
    {
        "code": ["HC1", "PP"],
        "title": ["Households owed a prevention duty", "Residents satisfied"],
        "unit": ["per 1,000 households", "%"],
        "polarity": ["lower", "higher"],
        "frequency": ["annual"] * 2,
        "tolerance": [0.0] * 2,
        "tolerance_type": ["absolute"] * 2,
        "no_change_threshold": [0.0] * 2,
        "decimals": [1, 1],
        "source": ["MHCLG H-CLIC (synthetic test rows)", "Survey (synthetic test rows)"],
        "synthetic": [True, True],
    }
)
#: HC1 events and households; PP numerator and base, per council A..H.
HC1 = [(4, 2000), (30, 10000), (50, 12000), (20, 8000), (60, 15000), (45, 9000), (33, 11000),
       (70, 20000)]  # fmt: skip
PP = [(45, 100), (300, 600), (210, 500), (160, 400), (520, 1000), (150, 300), (99, 200),
      (410, 800)]  # fmt: skip
GROUP_MEMBERS = ["A", "B", "C", "D", "E"]


def values(pp_councils=CODES) -> pd.DataFrame:
    rows = []
    for code, (x, n) in zip(CODES, HC1):
        rows.append((code, "HC1", "2024/25", 1000 * x / n, x, n))
    for code, (x, n) in zip(CODES, PP):
        if code in pp_councils:
            rows.append((code, "PP", "2024/25", 100 * x / n, x, n))
    return pd.DataFrame(
        rows, columns=["authority", "indicator", "period", "value", "numerator", "denominator"]
    )


def report_of(data, council="A", group="g", name="Council A") -> AnnualReport:
    return AnnualReport(
        data=data,
        params={"council": council, "year": "2024/25", "comparator_group": group},
        context={"council_name": name},
        card=pd.DataFrame(),
        shares=pd.DataFrame(),
        method_notes=(),
    )


def hand_data(pp_councils=CODES):
    groups = pd.DataFrame({"group": "g", "authority": GROUP_MEMBERS, "method": "m"})
    return dataset(
        authorities=AUTHORITIES,
        indicators=REGISTER,
        indicator_values=values(pp_councils),
        comparator_groups=groups,
    )


def comparisons(section) -> pd.DataFrame:
    return section.figures["funnel_comparisons"][0].set_index("indicator")


# --- what the data holds ------------------------------------------------------------------------


def test_counted_rows_and_scales():
    rows = benchmark.counted_rows(values(), "2024/25")
    assert len(rows) == 16 and set(rows["indicator"]) == {"HC1", "PP"}
    assert benchmark.counted_rows(values().drop(columns=["numerator"]), "2024/25").empty
    assert benchmark.value_scale("%", rows) == 100
    assert benchmark.value_scale("per 1,000 households", rows) == 1000
    assert benchmark.value_scale("per 100,000", rows) == 100_000
    hc1 = rows[rows["indicator"] == "HC1"]
    assert benchmark.value_scale("rate", hc1) == 1000  # from value x denominator / numerator
    found = benchmark.funnel_indicators(hand_data(), "2024/25", "A")
    assert [(i.code, i.statistic, i.scale) for i in found] == [
        ("HC1", "rate", 1000.0),
        ("PP", "proportion", 100.0),
    ]
    assert benchmark.same_type_councils(hand_data(), "A") == (CODES, "unitary")


def test_pooled_values_by_hand():
    rows = benchmark.counted_rows(values(), "2024/25")
    hc1 = rows[rows["indicator"] == "HC1"]
    # 312 events in 87,000 households
    assert benchmark.pooled_value(hc1) == pytest.approx(312 / 87000)
    assert math.isnan(benchmark.pooled_value(hc1.iloc[0:0]))


# --- the comparisons -----------------------------------------------------------------------------


def test_home_council_compared_with_group_and_england():
    section = benchmark.funnel(report_of(hand_data()))
    table = comparisons(section)
    hc1, pp = table.loc["HC1"], table.loc["PP"]
    # HC1: 4 events in 2,000 households = 2.0 per 1,000; exact Poisson 95% for 4 events is
    # 1.0899 to 10.2416 events (Garwood 1936 tables), per 1,000 households / 2
    assert hc1["value"] == pytest.approx(2.0)
    assert (hc1["ci_low"], hc1["ci_high"]) == pytest.approx((0.54496, 5.12082), abs=1e-4)
    assert hc1["ci_method"] == "exact Poisson" and bool(hc1["small_count"])
    # group A-E: 164 / 47,000; England (all 8 unitary councils): 312 / 87,000
    assert hc1["comparator_value"] == pytest.approx(1000 * 164 / 47000)
    assert hc1["england_value"] == pytest.approx(1000 * 312 / 87000)
    assert hc1["vs_comparator"] == hc1["vs_england"] == "Not compared (fewer than 10 events)"
    assert hc1["funnel_councils"] == 8 and hc1["funnel_benchmark"] == pytest.approx(3.5862, 1e-4)
    # PP: 45 of 100; Wilson 95% = (p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)
    z, n, p = stats.norm.ppf(0.975), 100, 0.45
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    centre = p + z**2 / (2 * n)
    wilson = ((centre - half) / (1 + z**2 / n), (centre + half) / (1 + z**2 / n))
    assert (pp["ci_low"] / 100, pp["ci_high"] / 100) == pytest.approx(wilson, abs=1e-12)
    assert pp["ci_method"] == "Wilson" and not bool(pp["small_count"])
    # group: 1,235 / 2,600 = 47.5 %, within 35.6-54.8: Similar; England 1,894 / 3,900 = 48.6 %
    assert pp["comparator_value"] == pytest.approx(100 * 1235 / 2600)
    assert pp["vs_comparator"] == "Similar" and pp["vs_england"] == "Similar"


def test_a_rate_from_ten_or_more_events_has_byars_interval_and_a_verdict():
    data = hand_data()
    iv = data.indicator_values
    # A: 60 events in 10,000 households = 6.0 per 1,000, against England 368 / 95,000 = 3.87
    data.tables["indicator_values"] = iv.assign(
        numerator=iv["numerator"].where((iv["authority"] != "A") | (iv["indicator"] != "HC1"), 60),
        denominator=iv["denominator"].where(
            (iv["authority"] != "A") | (iv["indicator"] != "HC1"), 10000
        ),
    )
    row = comparisons(benchmark.funnel(report_of(data))).loc["HC1"]
    z = stats.norm.ppf(0.975)
    low = 60 * (1 - 1 / (9 * 60) - z / (3 * math.sqrt(60))) ** 3  # Byar (Breslow & Day 1987)
    high = 61 * (1 - 1 / (9 * 61) + z / (3 * math.sqrt(61))) ** 3
    assert row["ci_method"] == "Byar"
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low / 10, high / 10), rel=1e-9)
    assert not bool(row["small_count"])
    assert row["ci_low"] > row["england_value"]  # wholly above, and lower is better
    assert row["vs_england"] == "Worse"


def test_funnel_shows_the_group_when_the_data_does_not_cover_england():
    # PP only for A-E: 5 of 8 unitary councils (below 90 %), so no England value
    section = benchmark.funnel(report_of(hand_data(pp_councils=GROUP_MEMBERS)))
    pp = comparisons(section).loc["PP"]
    assert math.isnan(pp["england_value"]) and pp["vs_england"] == "No benchmark"
    assert pp["funnel_councils"] == 5
    assert pp["funnel_benchmark"] == pytest.approx(100 * 1235 / 2600)
    sentence = [t for t in texts(section) if t.startswith("Residents satisfied")][0]
    assert "the 5 councils of the comparator group with figures" in sentence
    assert "within the 95% limits around their value of 47.5%: similar to the benchmark" in (
        sentence
    )


def test_section_sentences_charts_and_table():
    section = benchmark.funnel(report_of(hand_data()))
    first, second = texts(section)
    assert first == (
        "Households owed a prevention duty (HC1), 2024/25: Council A 2.0 per 1,000 (95% "
        "interval 0.5 to 5.1 per 1,000, exact Poisson; 4 events in a denominator of 2,000; "
        "fewer than 10 events, so the value rests on small numbers). On the funnel plot of all "
        "8 unitary councils in England, whose limits allow for councils varying more than "
        "chance, it lies within the 95% limits around their value of 3.6 per 1,000: similar to "
        "the benchmark."
    )
    assert second.startswith("Residents satisfied (PP), 2024/25: Council A 45.0% (95% interval")
    assert len(charts(section)) == 2
    alt = charts(section)[0].alt
    assert alt.startswith(
        "Funnel plot of Households owed a prevention duty, 2024/25: 8 councils against their "
        "denominators, with 95% and 99.8% control limits around the benchmark ("
        "all unitary councils in England: 3.6 per 1,000)."
    )
    assert "Council A (2.0 per 1,000) is the starred point, similar to the benchmark." in alt
    (display,) = tables(section)
    assert list(display.columns[:4]) == ["Indicator", "Value", "95% interval", "Events"]
    assert "England (unitary councils)" in display.columns
    assert display.rows[0][3] == "4 (fewer than 10)"
    assert display.note.endswith(
        "England is every current council of the same type (unitary councils) in the authority "
        "table, shown only where the data has figures for at least 90% of them (– otherwise)."
    )
    assert section.blocks[-1].items[0].startswith("Funnel plot (Spiegelhalter 2005)")
    assert any("dispersion ratio" in item for item in section.blocks[-1].items)


def test_too_few_councils_draws_no_funnel():
    data = hand_data()
    iv = data.indicator_values
    data.tables["indicator_values"] = iv[
        (iv["indicator"] == "PP") & iv["authority"].isin(["A", "B"])
    ]
    section = benchmark.funnel(report_of(data))
    (sentence,) = texts(section)
    assert sentence.endswith(
        "Fewer than 3 councils have a numerator and a denominator, so no funnel plot is drawn."
    )
    assert not charts(section)


# --- no numerators and denominators --------------------------------------------------------------


def test_no_numerators_is_one_sentence_on_hand_made_data():
    data = hand_data()
    data.tables["indicator_values"] = values().drop(columns=["numerator", "denominator"])
    section = benchmark.funnel(report_of(data))
    assert texts(section) == [benchmark.no_funnel_sentence("2024/25")]
    assert [b.kind for b in section.blocks] == ["text"]
    assert section.figures["funnel_comparisons"][0].empty


def test_bundled_data_draws_the_real_homelessness_pi_against_england_with_both_judgements():
    section = benchmark.funnel(
        report_of(load_dataset(), "E06000017", "rutland_nearest_15", "Rutland")
    )
    (sentence,) = texts(section)
    table = section.figures["funnel_comparisons"][0]
    assert table["indicator"].tolist() == ["HO01"], "H-CLIC's TA1 has numerators and denominators"
    row = table.iloc[0]
    assert row["funnel_councils"] > 50 and "unitary councils in England" in sentence
    # Fingertips' interval comparison and the over-dispersed funnel can disagree; the page says
    # both and why, so a reader does not meet 'Better' in the table and 'similar' in the text.
    assert f"significantly {row['vs_england'].lower()} than England's" in sentence
    if row["overdispersion_phi"] > 1 and row["vs_england"] != row["funnel_comparison"]:
        assert "The two judgements differ because" in sentence


def test_district_folder_says_no_indicator_has_numerators(tmp_path):
    data = load_dataset(build_district_folder(tmp_path / "melton"))
    section = benchmark.funnel(report_of(data, HOME, GROUP, "Melton"))
    assert texts(section) == [benchmark.no_funnel_sentence("2024/25")]
    assert (
        "No indicator in the data folder has a numerator and a denominator for 2024/25"
        in (texts(section)[0])
    )


def test_district_folder_with_counts_draws_the_comparator_groups_funnel(tmp_path):
    folder = build_district_folder(tmp_path / "melton")
    path = folder / "indicator_values.csv"
    table = pd.read_csv(path, dtype=str)
    chosen = (table["indicator"] == "MB01") & (table["period"] == "2024/25")
    base = pd.Series(range(300, 300 + 40 * int(chosen.sum()), 40), index=table.index[chosen])
    count = (pd.to_numeric(table.loc[chosen, "value"]) / 100 * base).round().astype(int)
    table["numerator"], table["denominator"] = "", ""
    table.loc[chosen, "numerator"] = count.astype(str)
    table.loc[chosen, "denominator"] = base.astype(str)
    table.loc[chosen, "value"] = (100 * count / base).round(1).astype(str)
    table.to_csv(path, index=False)
    data = load_dataset(folder)
    section = benchmark.funnel(report_of(data, HOME, GROUP, "Melton"))
    (sentence,) = texts(section)
    members = len(data.comparator_groups.query("group == @GROUP"))
    assert sentence.startswith("Planning applications decided on time (MB01), 2024/25: Melton ")
    assert f"On the funnel plot of the {members} councils of the comparator group" in sentence
    row = comparisons(section).loc["MB01"]
    # the folder covers the group only, far fewer than 90 % of England's shire districts
    assert math.isnan(row["england_value"]) and row["vs_england"] == "No benchmark"
    assert row["funnel_councils"] == members and len(charts(section)) == 1
