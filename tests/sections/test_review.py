"""Unit tests for perfeval.sections.review (the end-of-year review) on tiny hand-made frames
(expected values worked by hand)."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from perfeval.core.exceptions import AnalysisError
from perfeval.sections import monitoring
from perfeval.sections import review as r

YEAR = "2024/25"


def card_rows(rows):
    """A minimal scorecard: indicator, title, unit, service, decimals, period, value, status,
    target, rag, rag_label, dot, dot_label, quartile, comparison_period, value_symbol."""
    columns = ["indicator", "service", "period", "rag", "dot"]
    frame = pd.DataFrame(rows, columns=columns)
    n = len(frame)
    return frame.assign(
        title=[f"Title {c}" for c in frame["indicator"]],
        unit="%",
        decimals=1,
        value=np.arange(1, n + 1, dtype=float),
        value_symbol=None,
        status="final",
        target=10.0,
        rag_label=frame["rag"],
        dot_label=frame["dot"],
        quartile=pd.array([1] * n, dtype="Int64"),
        comparison_period="2023/24",
    )


# --------------------------------------------------------------------------- end-of-year review


def test_filter_services_keeps_named_services_and_all_when_empty():
    card = card_rows(
        [
            ("A", "Waste", YEAR, "Red", "Worse"),
            ("B", "Planning", YEAR, "Green", "Worse"),
            ("C", "Waste", YEAR, "Green", "Improved"),
        ]
    )
    assert r.filter_services(card, ["Waste"])["indicator"].tolist() == ["A", "C"]
    assert len(r.filter_services(card, [])) == 3


def test_filter_services_names_an_unknown_service():
    card = card_rows([("A", "Waste", YEAR, "Red", "Worse")])
    with pytest.raises(AnalysisError, match=r"\['Wast'\].*'Waste'"):
        r.filter_services(card, ["Wast"])


def exceptions_card():
    return card_rows(
        [
            ("X", "S", YEAR, "Red", "Worse"),
            ("Y", "S", YEAR, "Red", "Improved"),
            ("Z", "S", YEAR, "Green", "Worse"),
            ("W", "S", YEAR, "Green", "Improved"),
            ("V", "S", YEAR, "Red", "Worse"),
            ("U", "S", YEAR, "Amber", "No change"),
        ]
    )


def test_select_exceptions_red_and_worse_first_then_red_then_worse():
    exceptions = r.select_exceptions(exceptions_card())
    assert exceptions["indicator"].tolist() == ["X", "V", "Y", "Z"]
    assert exceptions["exception"].tolist() == ["Red and worse", "Red and worse", "Red", "Worse"]


def test_count_and_describe_exceptions():
    card = exceptions_card()
    exceptions = r.select_exceptions(card)
    assert r.count_exceptions(exceptions).to_dict() == {"Red and worse": 2, "Red": 1, "Worse": 1}
    text = r.describe_exceptions(exceptions, card, YEAR)
    assert text.startswith(
        "4 of 6 indicators reviewed for 2024/25 are exceptions: 2 red and "
        "worse than the year before, 1 red only and 1 worse only."
    )
    assert text.endswith("Red and worse: Title X; Title V.")


def test_describe_exceptions_when_there_are_none():
    card = card_rows([("W", "S", YEAR, "Green", "Improved")])
    text = r.describe_exceptions(r.select_exceptions(card), card, YEAR)
    assert text.startswith("None of the 1 indicators")


def test_exceptions_and_outturn_tables_carry_why_quartile_and_commentary():
    card = exceptions_card().assign(commentary=["<b>late</b> & over", None, None, None, None, None])
    table = r.exceptions_table(r.select_exceptions(card))
    assert table.columns[1] == "Why listed"
    assert table["Commentary"].tolist()[0] == "<b>late</b> & over"  # escaped by show_table
    assert table["Commentary"].tolist()[1] == ""
    full = r.outturn_table(card)
    assert full["Quartile (1 = best)"].tolist() == ["1"] * 6
    assert full["Service"].tolist() == ["S"] * 6 and len(full) == 6


def commentary_data(rows):
    """A data set with only the tables the commentary functions read."""
    return SimpleNamespace(
        root=".",
        origins={},
        commentary=pd.DataFrame(rows, columns=["authority", "indicator", "period", "commentary"]),
        authorities=pd.DataFrame({"code": ["E1", "E2"], "name": ["Ayton", "Beeby"]}),
    )


def test_a_council_without_commentary_gets_a_sentence_and_tables_without_the_column():
    data = commentary_data([("E2", "X", YEAR, "Beeby's own words")])
    assert not r.has_commentary(data, "E1") and r.has_commentary(data, "E2")
    assert r.describe_commentary(data, "E1") == (
        "No commentary is in the data folder for Ayton, "
        "so the tables below have no owner's commentary."
    )
    assert r.describe_commentary(data, "E2") == ""
    card = r.attach_commentary(exceptions_card(), data, "E1", YEAR)
    assert card["commentary"].isna().all()  # never Beeby's commentary in Ayton's review
    assert "Commentary" not in r.exceptions_table(r.select_exceptions(card), commentary=False)
    assert "Commentary" not in r.outturn_table(card, commentary=False)
    assert r.exceptions_caption(YEAR, commentary=False) == (
        "Exceptions: indicators red against target or worse than the year before (latest outturn "
        "to 2024/25)"
    )
    assert r.exceptions_caption(YEAR, commentary=True).endswith(", with the owner's commentary")
    assert "commentary" not in r.outturn_caption(YEAR, commentary=False)
    assert r.outturn_caption(YEAR, commentary=True).endswith(
        "quartile among comparators and commentary"
    )


def test_data_quality_register_reads_values_without_status_or_note_columns():
    card = card_rows([("A", "S", YEAR, "Red", "Worse")])
    values = pd.DataFrame(
        {
            "authority": ["E1", "E1"],
            "indicator": ["A", "A"],
            "period": [YEAR, "2024/25 Q1"],
            "value": [np.nan, 3.0],
        }
    )
    register = pd.DataFrame({"code": ["A"], "title": ["Title A"]})
    flags = r.data_quality_register(values, register, card, "E1", YEAR)
    assert flags[["period", "issue", "note"]].values.tolist() == [[YEAR, "missing", ""]]


def test_attach_commentary_falls_back_to_the_report_year_for_lagged_outturns():
    card = card_rows(
        [
            ("A", "S", YEAR, "Green", "Improved"),
            ("B", "S", "2023/24", "Green", "Worse"),
            ("C", "S", YEAR, "Red", "Worse"),
            ("D", "S", "2023/24", "Red", "Worse"),
        ]
    )
    commentary = pd.DataFrame(
        {
            "authority": ["K", "K", "K", "K", "OTHER"],
            "indicator": ["A", "B", "D", "D", "C"],
            "period": [YEAR, YEAR, "2023/24", YEAR, YEAR],
            "commentary": ["a now", "b now", "d then", "d now", "not ours"],
        }
    )
    out = r.attach_commentary(card, SimpleNamespace(commentary=commentary), "K", YEAR)
    assert out["commentary"].tolist()[:2] == ["a now", "Written for 2024/25: b now"]
    assert pd.isna(out["commentary"].iloc[2])
    assert out["commentary"].iloc[3] == "d then"


def dq_inputs():
    values = pd.DataFrame(
        {
            "authority": ["K"] * 7 + ["OTHER"],
            "indicator": ["A", "A", "A", "A", "A", "B", "C", "A"],
            "period": ["2023/24", YEAR, "2024/25 Q1", "2024/25 Q2", "2022/23 Q1", YEAR, YEAR, YEAR],
            "value": [10.0, 12.0, 3.0, np.nan, 4.0, np.nan, np.nan, 1.0],
            "status": [
                "revised",
                "provisional",
                "estimated",
                "final",
                "estimated",
                "final",
                "final",
                "estimated",
            ],
            "note": ["after audit", "", "", "", "", "system down", "", ""],
            "value_symbol": [None, None, None, "[c]", None, "[x]", "[x]", None],
        }
    )
    register = pd.DataFrame({"code": ["B", "A", "C"], "title": ["Bee", "Ay", "See"]})
    card = card_rows([("A", "S", YEAR, "Red", "Worse"), ("B", "S", YEAR, "No data", "Worse")])
    return values, register, card


def test_data_quality_register_lists_outturns_comparisons_and_in_year_values():
    values, register, card = dq_inputs()
    flags = r.data_quality_register(values, register, card, "K", YEAR)
    # register order puts B first; A's periods in time order (a year after its quarters)
    assert list(zip(flags["indicator"], flags["period"], flags["issue"], flags["used_for"])) == [
        ("B", YEAR, "missing", r.OUTTURN),
        ("A", "2023/24", "revised", r.COMPARISON),
        ("A", "2024/25 Q1", "estimated", r.IN_YEAR),
        ("A", "2024/25 Q2", "missing", r.IN_YEAR),
        ("A", YEAR, "provisional", r.OUTTURN),
    ]
    assert flags["reason"].tolist()[0] == "[x] not available"
    assert flags["reason"].tolist()[3] == "[c] confidential (suppressed)"
    assert flags["note"].tolist()[:2] == ["system down", "after audit"]


def test_count_and_describe_data_quality():
    values, register, card = dq_inputs()
    flags = r.data_quality_register(values, register, card, "K", YEAR)
    assert r.count_data_quality(flags).to_dict() == {
        "missing": 2,
        "estimated": 1,
        "provisional": 1,
        "revised": 1,
    }
    assert r.describe_data_quality(flags, YEAR) == (
        "5 values this review relies on for 2024/25 need care (2 missing, 1 estimated, "
        "1 provisional, 1 revised); 2 of them are outturns shown in the review."
    )
    assert r.describe_data_quality(flags.iloc[0:0], YEAR).startswith("Every value")
    table = r.data_quality_table(flags)
    assert table["Indicator"].iloc[0] == "Bee (B)" and table["Value"].iloc[0] == ""


def test_the_reviews_old_names_in_monitoring_still_work_with_a_warning():
    """The review's pieces lived in perfeval.sections.monitoring (perfeval.monitoring before the
    layers); the old names give the same objects until 0.3, and say where they went."""
    for name in sorted(monitoring.MOVED_TO_REVIEW):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            old = getattr(monitoring, name)
        assert old is getattr(r, name), name
        assert any(f"perfeval.sections.review.{name}" in str(w.message) for w in caught), name
    assert monitoring.MOVED_TO_REVIEW <= set(r.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        monitoring.nonesuch  # noqa: B018
