"""perfeval.data.notes: what a report says about its data, from tiny hand-made tables.

Council A has a register of one real and two synthetic indicators, synthetic targets and no
budget (only council B has one); the deflators are perfeval's reference copy. Every expected
sentence can be checked by reading the tables below.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from perfeval.core.paths import SAMPLE_DATA_DIR
from perfeval.data import notes
from perfeval.data.loader import Dataset, load_dataset

REGISTER = pd.DataFrame(
    {
        "code": ["R1", "S1", "S2"],
        "title": ["Real", "Made up", "Made up too"],
        "source": ["Defra ENV18", "Synthetic", "Synthetic"],
        "synthetic": [False, True, True],
    }
)
AUTHORITIES = pd.DataFrame({"code": ["A", "B"], "name": ["Ayton", "Beeby"]})


def tiny(**tables: pd.DataFrame) -> Dataset:
    base = {
        "authorities": AUTHORITIES,
        "indicators": REGISTER,
        "targets": pd.DataFrame(
            {
                "authority": ["A", "A", "B"],
                "indicator": ["R1", "S1", "R1"],
                "period": ["2024/25"] * 3,
                "target": [1.0, 2.0, 3.0],
                "synthetic": [True, True, False],
            }
        ),
        "budget": pd.DataFrame(
            {
                "authority": ["B"],
                "service": ["Waste"],
                "period": ["2024/25 Q1"],
                "synthetic": [True],
            }
        ),
        "commentary": pd.DataFrame(columns=["authority", "indicator", "period", "commentary"]),
        "deflators": pd.DataFrame(
            {"year": ["2017/18"], "deflator": [100.0], "source": ["HM Treasury GDP deflators"]}
        ),
        "net_expenditure": pd.DataFrame({"authority": ["A", "B"], "period": ["2017/18"] * 2}),
    }
    origins = {
        "authorities": "folder",
        "indicators": "folder",
        "targets": "folder",
        "budget": "folder",
        "commentary": "absent",
        "deflators": "reference",
        "net_expenditure": "folder",
    }
    return Dataset(root=Path("/councils/ayton"), tables={**base, **tables}, origins=origins)


# --------------------------------------------------------------------------- columns and rows
def test_optional_column_gives_the_column_or_its_meaning_when_absent():
    frame = pd.DataFrame({"a": [1, 2]}, index=[5, 9])
    assert notes.optional_column(frame, "a", 0).tolist() == [1, 2]
    filled = notes.optional_column(frame, "note", "")
    assert filled.tolist() == ["", ""] and filled.index.tolist() == [5, 9]


def test_flags_read_booleans_and_words_and_treat_blanks_as_false():
    assert notes.flags(pd.Series([True, False, None], dtype=object)).tolist() == [
        True,
        False,
        False,
    ]
    words = pd.Series(["True", "false", "", None, "yes", "no"])
    assert notes.flags(words).tolist() == [True, False, False, False, True, False]
    assert notes.synthetic_flags(pd.DataFrame({"x": [1]})).tolist() == [False]


def test_council_rows_are_the_councils_and_a_table_without_authority_belongs_to_none():
    frame = pd.DataFrame({"authority": ["A", "B", "A"], "v": [1, 2, 3]})
    assert notes.council_rows(frame, "A")["v"].tolist() == [1, 3]
    assert notes.council_rows(frame.drop(columns="authority"), "A").empty


def test_only_perfevals_own_sample_is_the_sample():
    assert notes.is_sample_data(load_dataset())
    assert not notes.is_sample_data(tiny())
    assert notes.folder_words(tiny()) == "the data folder"
    assert notes.folder_words(load_dataset()) == "the bundled sample data"
    assert load_dataset().root.resolve() == SAMPLE_DATA_DIR.resolve()


def test_table_source_names_the_source_column_the_known_sample_source_or_the_file():
    data = tiny()
    assert notes.table_source(data, "deflators") == "HM Treasury GDP deflators"
    assert notes.table_source(data, "net_expenditure") == "net_expenditure.csv in the data folder"
    sample = load_dataset()
    assert notes.table_source(sample, "net_expenditure") == "MHCLG Revenue Outturn Summary (RS)"
    assert notes.table_source(sample, "budget") == "budget.csv in the bundled sample data"


def test_table_origin_comes_from_the_datasets_origins():
    assert notes.table_origin(tiny(), "deflators") == notes.REFERENCE
    assert notes.table_origin(tiny(), "survey_responses") == notes.ABSENT  # not listed


# --------------------------------------------------------------------------- words
def test_join_words_and_listed_codes():
    assert notes.join_words(["a"]) == "a" and notes.join_words(["a", "b", "c"]) == "a, b and c"
    assert notes.join_words([]) == ""
    assert notes.listed_codes(["X1", "X2"]) == "X1, X2"
    assert notes.listed_codes([f"X{i}" for i in range(11)]) == "listed in the sources table"


def test_describe_indicators_counts_real_and_synthetic_codes():
    assert notes.describe_indicators(tiny(), "A") == (
        "1 of 3 indicators (R1) has real published figures; the other 2 (S1, S2) are SYNTHETIC "
        "(generated), not Ayton's real performance."
    )
    real = tiny(indicators=REGISTER.assign(synthetic=False))
    assert notes.describe_indicators(real, "A") == (
        "All 3 indicators are real published figures (R1, S1, S2); see the sources table."
    )
    unlabelled = tiny(indicators=REGISTER.drop(columns="synthetic"))
    assert notes.describe_indicators(unlabelled, "A").startswith("All 3 indicators are real")
    made_up = tiny(indicators=REGISTER.assign(synthetic=True))
    assert notes.describe_indicators(made_up, "A") == (
        "All 3 indicators (R1, S1, S2) are SYNTHETIC (generated), not Ayton's real performance."
    )


def test_synthetic_label_says_what_kind_of_rows_they_are():
    data = tiny()
    assert notes.synthetic_label(data, data.targets) == "partly synthetic data"
    assert notes.synthetic_label(data, data.targets.iloc[:2]) == "synthetic data"
    assert notes.synthetic_label(data, data.net_expenditure) == ""
    sample = load_dataset()
    assert notes.synthetic_label(sample, sample.budget) == "synthetic sample data"


def test_data_honesty_note_speaks_of_the_councils_own_rows_and_the_tables_it_lacks():
    note = notes.data_honesty_note(
        tiny(), "A", ["targets", "budget", "commentary", "deflators", "net_expenditure"]
    )
    assert note == (
        "Data honesty: 1 of 3 indicators (R1) has real published figures; the other 2 (S1, S2) "
        "are SYNTHETIC (generated), not Ayton's real performance. Also SYNTHETIC: all targets. "
        "Not in the data folder for Ayton: budget monitoring figures and commentary; the report "
        "says so where they would be. From perfeval's national reference data, as the data "
        "folder has none: GDP deflators."
    )
    # B's budget is B's: for B it is there, synthetic, and its targets are not
    assert "Also SYNTHETIC: all budget monitoring figures." in notes.data_honesty_note(
        tiny(), "B", ["targets", "budget"]
    )


def test_tables_table_says_where_each_table_came_from_and_counts_the_councils_rows():
    table = notes.tables_table(
        tiny(), "A", ["targets", "budget", "deflators", "net_expenditure"]
    ).set_index("Table")
    assert table.loc["targets.csv"].tolist() == ["targets", "The data folder", "2", "Synthetic"]
    assert table.loc["budget.csv", "Rows"] == "0" and table.loc["budget.csv", "Kind"] == ""
    assert table.loc["deflators.csv", "Where from"] == "perfeval's national reference data"
    assert table.loc["net_expenditure.csv", "Rows"] == "2"  # shared: every council's rows
    assert table.loc["net_expenditure.csv", "Kind"] == "Real (not labelled synthetic)"


@pytest.mark.parametrize("table", sorted(notes.OWN_TABLES))
def test_own_tables_are_read_for_the_council_only(table):
    frame = pd.DataFrame({"authority": ["A", "B"], "synthetic": [False, True]})
    data = tiny(**{table: frame})
    assert notes.own_rows(data, table, "A")["authority"].tolist() == ["A"]
