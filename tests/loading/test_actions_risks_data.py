"""The actions and risks registers (issue #17) in the data layer: loading, validation, check-data.

Fixtures: ``tests/data/registers/`` holds a small valid ``actions.csv`` (3 actions) and
``risks.csv`` (2 risks) for the council of ``tests/data/minimal/`` (Rutland, E06000017), linked to
minimal's indicators; they are copied into a copy of minimal/ (which itself has no registers, as
most folders have none). ``tests/data/bad_registers/`` is the bad-input catalogue of the two
tables: each file ``<table>__<case>.csv`` is a copy of ``registers/<table>.csv`` with one fault.
Line numbers are physical lines of the file, the header being line 1.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from district import build_district_folder
from folders import minimal_folder
from perfeval.core.exceptions import DataValidationError, group_problems
from perfeval.core.paths import SAMPLE_DATA_DIR
from perfeval.data.columns import describe_tables
from perfeval.data.loader import (
    SPEC_BY_NAME,
    LoadLimits,
    load_dataset,
    parse_iso_date,
    read_dataset,
)
from perfeval.run.cli import main
from perfeval.run.scaffold import init_workspace
from perfeval.stats import actions as action_rules
from perfeval.stats import risks as risk_rules
from perfeval.stats.scorecard import build_scorecard

HERE = Path(__file__).parents[1]
REGISTERS = HERE / "data" / "registers"
BAD = HERE / "data" / "bad_registers"
ACTIONS_HEADER = (REGISTERS / "actions.csv").read_text(encoding="utf-8").splitlines()[0]
RISKS_HEADER = (REGISTERS / "risks.csv").read_text(encoding="utf-8").splitlines()[0]


def registers_folder(tmp_path: Path, **tables: str) -> Path:
    """A copy of minimal/ with the two registers of registers/; a keyword replaces a table's text
    (``actions="..."``) or, given as ``None``, leaves the table out."""
    root = minimal_folder(tmp_path)
    for name in ("actions", "risks"):
        text = tables.get(name, (REGISTERS / f"{name}.csv").read_text(encoding="utf-8"))
        if text is not None:
            (root / f"{name}.csv").write_text(text, encoding="utf-8")
    return root


def with_fixture(tmp_path: Path, fixture: str) -> Path:
    table = fixture.split("__")[0]
    return registers_folder(tmp_path, **{table: (BAD / fixture).read_text(encoding="utf-8")})


def problems_in(root: Path) -> list:
    with pytest.raises(DataValidationError) as info:
        load_dataset(root)
    return info.value.problems


# --------------------------------------------------------------------------- valid registers
@pytest.fixture(scope="module")
def registers(tmp_path_factory):
    return load_dataset(registers_folder(tmp_path_factory.mktemp("registers")))


def test_the_registers_load_as_tables_with_their_rows_and_origins(registers):
    assert registers.actions["action_id"].tolist() == ["A01", "A02", "A03"]
    assert registers.risks["risk_id"].tolist() == ["R01", "R02"]
    assert registers.origins["actions"] == registers.origins["risks"] == "folder"
    assert {"actions.csv", "risks.csv"} <= {p.name for p in registers.files}
    assert registers.actions.index.tolist() == [2, 3, 4]  # the physical lines


def test_dates_are_timestamps_and_blank_dates_are_missing(registers):
    actions = registers.actions
    assert str(actions["due"].dtype) == "datetime64[ns]"
    assert actions.loc[2, "completed"] == pd.Timestamp("2023-09-15")
    assert actions.loc[3, "revised_due"] == pd.Timestamp("2024-03-31")
    assert actions["completed"].isna().tolist() == [False, True, True]
    assert pd.isna(registers.risks.loc[3, "next_review"])


def test_scales_are_numbers_lists_are_text_and_synthetic_is_a_flag(registers):
    risks = registers.risks
    assert risks["residual_likelihood"].tolist() == [3.0, 2.0]
    assert risks["target_score"].tolist() == [6.0, 4.0]
    assert registers.actions.loc[3, "linked_risks"] == "R01;R02"
    assert action_rules.split_ids(registers.actions.loc[3, "linked_pis"]) == ("PL01", "NI192")
    assert registers.actions["synthetic"].tolist() == [True, True, True]


def test_the_statistics_take_the_loaded_frames_as_they_are(registers):
    on = "2024-01-31"  # A02 is due (revised) 31 March 2024: open and not yet overdue
    assert action_rules.overdue(registers.actions, on).tolist() == [False, False, False]
    assert action_rules.overdue(registers.actions, "2024-04-01").tolist() == [False, True, False]
    scored = risk_rules.scored_register(registers.risks)
    assert scored["residual_score"].tolist() == [9, 8]
    assert risk_rules.above_target(registers.risks).tolist() == [True, True]
    assert risk_rules.past_review(registers.risks, on).tolist() == [False, False]
    assert risk_rules.past_review(registers.risks, "2024-03-02").tolist() == [True, False]


def test_absent_registers_are_empty_frames_with_the_spec_columns(tmp_path):
    data = load_dataset(registers_folder(tmp_path, actions=None, risks=None))
    for name in ("actions", "risks"):
        frame = data.tables[name]
        assert frame.empty and list(frame.columns) == list(SPEC_BY_NAME[name].columns)
        assert data.origins[name] == "absent"
    assert str(data.actions["due"].dtype) == "datetime64[ns]"
    assert action_rules.overdue(data.actions, "2025-03-31").empty


def test_the_district_folder_without_registers_still_loads(tmp_path):
    data = load_dataset(build_district_folder(tmp_path / "melton"))
    assert data.actions.empty and data.risks.empty
    assert data.origins["actions"] == data.origins["risks"] == "absent"


def test_linked_risks_are_not_checked_without_a_risk_register(tmp_path):
    data = load_dataset(registers_folder(tmp_path, risks=None))
    assert data.actions.loc[3, "linked_risks"] == "R01;R02"


def test_optional_columns_may_be_left_out(tmp_path):
    text = "authority,action_id,title,how,owner,priority,start,due,status,plan\n"
    text += "E06000017,A01,Do it,Somehow,Head of Waste,M,2024-04-01,2024-06-30,on track,Plan\n"
    data = load_dataset(registers_folder(tmp_path, actions=text, risks=None))
    assert data.actions.loc[2, "due"] == pd.Timestamp("2024-06-30")


# --------------------------------------------------------------------------- bad inputs
# (fixture in tests/data/bad_registers, file named in the problem, line, column, message part)
CATALOGUE = [
    # the acceptance of #17: unknown PI, due before start, likelihood 6, missing owner
    (
        "actions__unknown_pi.csv",
        "actions.csv",
        3,
        "linked_pis",
        "'NI999' is not a code in indicators.csv; add it to indicators.csv or correct it",
    ),
    ("risks__unknown_pi.csv", "risks.csv", 3, "linked_pis", "'PL99' is not a code in indicators"),
    (
        "actions__due_before_start.csv",
        "actions.csv",
        2,
        "due",
        "2023-03-31 is before the start date 2023-04-01; correct the dates: the due date must "
        "be on or after the start date",
    ),
    (
        "actions__revised_due_before_start.csv",
        "actions.csv",
        3,
        "revised_due",
        "2023-03-31 is before the start date 2023-04-01",
    ),
    (
        "risks__likelihood_6.csv",
        "risks.csv",
        2,
        "residual_likelihood",
        "6 is out of range: must be from 1 to 5",
    ),
    ("risks__impact_0.csv", "risks.csv", 3, "inherent_impact", "0 is out of range"),
    ("risks__half_a_likelihood.csv", "risks.csv", 3, "residual_likelihood", "whole number"),
    ("risks__target_score_30.csv", "risks.csv", 2, "target_score", "must be from 1 to 25"),
    ("actions__missing_owner.csv", "actions.csv", 4, "owner", "is blank; a value is required"),
    ("risks__missing_owner.csv", "risks.csv", 3, "owner", "is blank; a value is required"),
    ("actions__missing_title.csv", "actions.csv", 3, "title", "is blank"),
    # dates
    (
        "actions__day_first_date.csv",
        "actions.csv",
        3,
        "start",
        "'01/04/2023' is not a date perfeval understands; write '2023-04-01' if it means day 1 "
        "of month 4; write dates as 2025-03-31",
    ),
    (
        "risks__bad_review_date.csv",
        "risks.csv",
        3,
        "review_date",
        "'15 Jan 2024' is not a date perfeval understands; write dates as 2025-03-31",
    ),
    ("actions__not_a_calendar_day.csv", "actions.csv", 4, "due", "is not a day of the calendar"),
    ("actions__date_after_2101.csv", "actions.csv", 4, "due", "outside the years"),
    (
        "actions__completed_before_start.csv",
        "actions.csv",
        2,
        "completed",
        "2023-03-15 is before the start date",
    ),
    (
        "actions__complete_without_date.csv",
        "actions.csv",
        2,
        "completed",
        "is blank, but the status is 'complete'; write the date it was completed",
    ),
    # links and keys
    (
        "actions__unknown_linked_risk.csv",
        "actions.csv",
        3,
        "linked_risks",
        "'R09' is not a risk_id of E06000017 in risks.csv",
    ),
    (
        "risks__unknown_linked_action.csv",
        "risks.csv",
        2,
        "linked_actions",
        "'A07' is not an action_id of E06000017 in actions.csv",
    ),
    (
        "actions__unknown_authority.csv",
        "actions.csv",
        4,
        "authority",
        "'E06000099' is not a code in authorities.csv",
    ),
    (
        "actions__duplicate_id.csv",
        "actions.csv",
        4,
        "action_id",
        "duplicate {'authority': 'E06000017', 'action_id': 'A01'}: the same key is already on "
        "line 2",
    ),
    ("risks__duplicate_id.csv", "risks.csv", 4, "risk_id", "already on line 2"),
    # vocabularies
    ("actions__unknown_priority.csv", "actions.csv", 2, "priority", "use one of ['H', 'M', 'L']"),
    ("actions__unknown_status.csv", "actions.csv", 3, "status", "'in progress' is not allowed"),
    ("actions__percent_over_100.csv", "actions.csv", 3, "percent_complete", "from 0 to 100"),
    ("risks__unknown_direction.csv", "risks.csv", 2, "direction", "'up' is not allowed"),
    ("risks__unknown_register.csv", "risks.csv", 2, "register", "'strategic' is not allowed"),
    # a quoted cell over three lines before the fault: the fault is on physical line 6
    (
        "actions__line_break_before_a_fault.csv",
        "actions.csv",
        6,
        "status",
        "'canceled' is not allowed",
    ),
]


@pytest.mark.parametrize("fixture, file, line, column, message", CATALOGUE)
def test_bad_input_is_reported_with_file_line_and_column(
    tmp_path, fixture, file, line, column, message
):
    problems = problems_in(with_fixture(tmp_path, fixture))
    assert [(p.file, p.row, p.column) for p in problems] == [(file, line, column)], problems
    assert message in problems[0].message, problems[0].message
    assert problems[0].kind and problems[0].fix


def test_every_bad_register_fixture_is_in_the_catalogue():
    assert {p.name for p in BAD.glob("*.csv")} == {case[0] for case in CATALOGUE}
    assert all((REGISTERS / f"{name.split('__')[0]}.csv").is_file() for name, *_ in CATALOGUE)


def test_the_error_message_names_file_line_and_column(tmp_path):
    with pytest.raises(DataValidationError) as info:
        load_dataset(with_fixture(tmp_path, "risks__likelihood_6.csv"))
    assert (
        "risks.csv, line 2, column 'residual_likelihood': 6 is out of range: must be from 1 to "
        "5; correct the value"
    ) in str(info.value)


@pytest.mark.parametrize("fixture", sorted(case[0] for case in CATALOGUE))
def test_check_data_lists_each_bad_input_with_file_line_column_and_fix(tmp_path, capsys, fixture):
    root = with_fixture(tmp_path, fixture)
    status = main(["check-data", str(root)])
    out = capsys.readouterr().out
    (group,) = group_problems(problems_in(root))
    assert status == 1 and "1 problem found:" in out
    line = next(x for x in out.splitlines() if group.first.file in x and group.first.fix in x)
    assert f"column {group.first.column!r}" in line
    assert re.search(rf"\bline {group.first.row}\b", line), line


def test_a_mistake_on_many_rows_is_one_grouped_line(tmp_path, capsys):
    rows = [
        f"E06000017,A{n:02d},Act,How,,,M,2024-04-01,2024-06-30,,on track,,,,,,,Plan,true"
        for n in range(1, 41)
    ]
    root = registers_folder(tmp_path, actions="\n".join([ACTIONS_HEADER, *rows]) + "\n", risks=None)
    assert len(problems_in(root)) == 40
    main(["check-data", str(root)])
    out = capsys.readouterr().out
    assert "40 rows in actions.csv, column 'owner' (lines 2-41): is blank" in out, out


def test_every_problem_of_a_register_is_reported_at_once(tmp_path):
    text = "\n".join(
        [
            ACTIONS_HEADER,
            "E06000017,A01,Act,How,,,X,2024-04-01,2024-03-30,,done,,,,,NI999,R77,Plan,true",
        ]
    )
    problems = problems_in(registers_folder(tmp_path, actions=text + "\n", risks=None))
    # R77 is not judged: the folder has no risk register to look it up in
    assert sorted(p.column for p in problems) == [
        "due",
        "linked_pis",
        "owner",
        "priority",
        "status",
    ]


def test_a_linked_risk_must_be_the_same_councils(tmp_path):
    risks = (REGISTERS / "risks.csv").read_text(encoding="utf-8")
    risks = risks.replace("E06000017,R02,", "E06000005,R02,")  # Darlington's R02
    problems = problems_in(registers_folder(tmp_path, risks=risks))
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [
        ("actions.csv", 3, "linked_risks", "R02"),
        ("risks.csv", 3, "linked_actions", "A02"),  # A02 is Rutland's, not Darlington's
    ]


def test_a_register_with_a_header_and_no_rows_loads_empty(tmp_path):
    data = load_dataset(registers_folder(tmp_path, actions=ACTIONS_HEADER + "\n", risks=None))
    assert data.actions.empty and data.origins["actions"] == "folder"
    assert str(data.actions["start"].dtype) == "datetime64[ns]"


def test_a_register_without_its_authority_column_is_one_problem_not_a_crash(tmp_path):
    actions = (REGISTERS / "actions.csv").read_text(encoding="utf-8")
    problems = problems_in(
        registers_folder(tmp_path, actions=actions.replace("authority", "la", 1))
    )
    # nothing is looked up from a table whose columns are wrong, nor judged against it
    assert [(p.file, p.column, p.kind) for p in problems] == [
        ("actions.csv", "authority", "missing_column")
    ]


def test_a_table_with_problems_keeps_its_rows_for_check_data(tmp_path):
    data, problems = read_dataset(with_fixture(tmp_path, "actions__due_before_start.csv"))
    assert len(problems) == 1 and len(data.actions) == 3


def test_dates_keep_to_the_load_limits():
    narrow = LoadLimits(first_year=2010, last_year=2030)
    assert parse_iso_date("2031-03-31", narrow)[0] == pd.Timestamp("2031-03-31")
    day, (summary, fix) = parse_iso_date("2032-04-01", narrow)
    assert day is None and "2010 to 2031" in summary and "LoadLimits" in fix
    assert parse_iso_date(" 2025-03-31", narrow)[0] is None  # callers strip; this is not ISO


# --------------------------------------------------------------------------- the bundled sample
@pytest.fixture(scope="module")
def sample():
    return load_dataset(SAMPLE_DATA_DIR)


def test_the_sample_has_synthetic_labelled_registers_for_rutland(sample):
    actions, risks = sample.actions, sample.risks
    assert 15 <= len(actions) <= 25 and 10 <= len(risks) <= 14
    for frame in (actions, risks):
        assert set(frame["authority"]) == {"E06000017"} and frame["synthetic"].all()
    assert actions["plan"].nunique() == 3
    assert set(risks["register"].replace("", "corporate")) == {"corporate"}
    assert risks["category"].nunique() >= 4


def test_the_sample_registers_give_each_rule_something_to_show(sample):
    """As at the quarterly report's date (2024/25 Q3 ends 31 December 2024): overdue actions
    (two recorded so, two open past their date though recorded on track or at risk), actions
    due on the quarter's last day, a revised due date, risks in every band, above target, past
    review and risen (the rows are written out in scripts/build_sample_data.py)."""
    on = "2024-12-31"
    actions, risks = sample.actions.set_index("action_id"), sample.risks.set_index("risk_id")
    assert actions.index[action_rules.overdue(actions, on)].tolist() == [
        "A05",
        "A13",
        "A18",
        "A20",
    ]
    assert actions.index[action_rules.due_this_quarter(actions, on)].tolist() == [
        "A04",
        "A12",
        "A19",
    ]
    assert action_rules.status_disagreements(actions.reset_index(), on)["action_id"].tolist() == [
        "A13",
        "A20",
    ]
    assert actions.loc["A06", "revised_due"] == pd.Timestamp("2025-03-31")
    assert set(action_rules.STATUSES) <= set(actions["status"])
    assert (actions["last_update_date"].dropna() <= pd.Timestamp(on)).all()
    bands = risk_rules.scored_register(risks)["residual_band"].value_counts().to_dict()
    assert bands == {"medium": 6, "high": 3, "low": 3}
    assert risks.index[risk_rules.above_target(risks)].tolist() == [
        "R01",
        "R02",
        "R03",
        "R05",
        "R08",
        "R10",
    ]
    assert risks.index[risk_rules.past_review(risks, on)].tolist() == ["R02", "R03", "R05", "R10"]
    assert risks.index[risk_rules.rose(risks)].tolist() == ["R01", "R02", "R03", "R10"]


def test_the_sample_completed_actions_show_every_pi_response(sample):
    complete = sample.actions[sample.actions["status"] == "complete"]
    judged = action_rules.pi_responses(complete, sample.indicator_values, sample.indicators)
    assert judged.set_index(["action_id", "indicator"])["response"].to_dict() == {
        ("A01", "PL01"): action_rules.RESPONDED,
        ("A02", "WS01"): action_rules.RESPONDED,
        ("A03", "CS02"): action_rules.NO_CHANGE,
        ("A09", "HB01"): action_rules.RESPONDED,
        ("A09", "HB02"): action_rules.NO_CHANGE,
        ("A10", "HB01"): action_rules.WORSE,
        ("A11", "CT01"): action_rules.TOO_EARLY,
        ("A16", "HR01"): action_rules.NO_CHANGE,
        ("A17", "HR01"): action_rules.WORSE,
    }


def test_the_sample_improvement_plan_is_for_a_pi_red_in_2024_25(sample):
    card = build_scorecard(sample, "E06000017", "2024/25", "rutland_nearest_15")
    plan = sample.actions[sample.actions["plan"].str.contains("improvement plan")]
    (code,) = {c for cell in plan["linked_pis"] for c in action_rules.split_ids(cell)}
    assert card.set_index("indicator").loc[code, "rag"] == "Red"


def test_check_data_on_the_sample_lists_the_two_registers(capsys):
    assert main(["check-data"]) == 0
    out = capsys.readouterr().out
    read = next(line for line in out.splitlines() if line.startswith("Tables read"))
    assert re.search(r"actions\.csv \(\d+ rows\)", read) and re.search(r"risks\.csv \(\d+", read)


def test_the_documentation_describes_the_registers_rules():
    text = describe_tables()
    section = text.split("### actions.csv (optional)")[1].split("###")[0]
    assert "Each `;`-separated code of `linked_pis` must be a `code` of indicators.csv" in section
    assert "| `start` | date | required |" in section
    risks = text.split("### risks.csv (optional)")[1]
    assert "| `residual_likelihood` | whole number 1 to 5 | required |" in risks


# --------------------------------------------------------------------------- new workspaces
def test_a_new_workspace_has_templates_of_both_registers_that_load(tmp_path):
    ws = init_workspace(tmp_path / "melton", council="E07000133", comparator_group="g")
    data_dir = ws.root / "data"
    for name in ("actions", "risks"):
        template = (data_dir / f"{name}.example.csv").read_text(encoding="utf-8")
        assert template.splitlines()[0].split(",") == list(SPEC_BY_NAME[name].columns)
    readme = (data_dir / "README.md").read_text(encoding="utf-8")
    assert "### actions.csv (optional)" in readme and "### risks.csv (optional)" in readme
    for template in data_dir.glob("*.example.csv"):  # renamed, as the council does
        if not SPEC_BY_NAME[template.name.split(".")[0]].reference:
            template.rename(data_dir / template.name.replace(".example", ""))
    data = load_dataset(data_dir)
    assert data.actions.loc[2, "linked_risks"] == "R01" and data.risks.loc[2, "risk_id"] == "R01"
    assert data.actions.loc[2, "completed"] == pd.Timestamp("2025-02-28")
