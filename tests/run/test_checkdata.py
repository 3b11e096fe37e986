"""``perfeval check-data``: problems grouped one line per kind, cross-table checks, coverage.

Folders are copies of ``tests/data/minimal/`` with one change each (see ``tests/data/README.md``),
the bundled sample data, and the shire district's folder that ``tests/district.py`` builds (Melton
and its 15 nearest districts: no survey, budget, commentary or deflators).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from district import build_district_folder
from folders import minimal_folder
from perfeval.core.exceptions import (
    DataValidationError,
    Problem,
    describe_lines,
    describe_problems,
    group_problems,
)
from perfeval.core.paths import SAMPLE_DATA_DIR
from perfeval.data.loader import REFERENCE_DATA_DIR, load_dataset
from perfeval.run.checkdata import check_data, describe_check
from perfeval.run.cli import main

HERE = Path(__file__).parents[1]
MINIMAL = HERE / "data" / "minimal"
BAD = HERE / "data" / "bad"
#: bad/ fixtures that load (an extra column, a byte-order mark, a header with no rows).
LOADS_FINE = {
    "authorities__extra_unknown_column.csv",
    "authorities__utf8_bom.csv",
    "commentary__header_only.csv",
    "indicator_values__header_only.csv",
}
IV_HEADER = "authority,indicator,period,value\n"


copy_minimal = minimal_folder


def run_check_data(capsys, *args: str) -> tuple[int, list[str]]:
    status = main(["check-data", *args])
    return status, capsys.readouterr().out.splitlines()


def problem_lines(lines: list[str]) -> list[str]:
    """The lines listing problems (between "N problems found:" and "Fix the file(s)")."""
    start = next(
        i for i, line in enumerate(lines) if re.fullmatch(r"[\d,]+ problems? found:", line)
    )
    end = next(i for i, line in enumerate(lines) if line.startswith("Fix the file(s)"))
    return [line[4:] for line in lines[start + 1 : end]]


def problems_in(root: Path) -> list[Problem]:
    with pytest.raises(DataValidationError) as info:
        load_dataset(root)
    return info.value.problems


# --------------------------------------------------------------------------- grouping
@pytest.fixture(scope="module")
def dashed_folder(tmp_path_factory) -> Path:
    """1,650 rows with the period written '2016-17': 330 made-up PIs x the 5 authorities."""
    root = copy_minimal(tmp_path_factory.mktemp("dashed"))
    register = pd.read_csv(MINIMAL / "indicators.csv", dtype=str, keep_default_na=False)
    codes = [f"T{n:03d}" for n in range(1, 331)]
    register = pd.concat([register.iloc[[0] * len(codes)].assign(code=codes)], ignore_index=True)
    register.to_csv(root / "indicators.csv", index=False)
    authorities = pd.read_csv(MINIMAL / "authorities.csv", dtype=str)["code"]
    rows = [f"{a},{c},2016-17,40.5\n" for c in codes for a in authorities]
    (root / "indicator_values.csv").write_text(IV_HEADER + "".join(rows), encoding="utf-8")
    for name in ("targets", "commentary"):
        (root / f"{name}.csv").unlink()
    return root


def test_a_period_written_2016_17_on_1650_rows_is_one_line_with_count_lines_column_and_fix(
    dashed_folder, capsys
):
    assert len(problems_in(dashed_folder)) == 1_650
    status, lines = run_check_data(capsys, str(dashed_folder))
    assert status == 1
    assert problem_lines(lines) == [
        "'2016-17' in 1,650 rows of indicator_values.csv, column 'period' (lines 2-1651): is not "
        "a period perfeval understands; write '2016/17'"
    ]
    assert "1,650 problems found:" in lines


def test_the_error_message_is_the_grouped_summary_and_keeps_every_problem(dashed_folder):
    with pytest.raises(DataValidationError) as info:
        load_dataset(dashed_folder)
    assert len(info.value.problems) == 1_650
    assert str(info.value).splitlines() == [
        "1,650 problems found in the input data:",
        "  - '2016-17' in 1,650 rows of indicator_values.csv, column 'period' (lines 2-1651): is "
        "not a period perfeval understands; write '2016/17'",
        "Fix the file(s) named above and run again.",
    ]


@pytest.mark.parametrize(
    "rows, words",
    [
        ([4], "line 4"),
        ([4, 9], "lines 4 and 9"),
        (list(range(2, 1652)), "lines 2-1651"),
        ([4, 9, *range(12, 16), *range(20, 50)], "lines 4, 9, 12-15 and 20-49"),
        ([4, 9, *range(12, 16), *range(20, 50), 60], "lines 4, 9, 12-15 and 31 more"),
    ],
)
def test_lines_are_compressed_into_ranges_and_a_count(rows, words):
    assert describe_lines(rows) == words


def test_problems_group_by_file_column_kind_and_value_and_single_ones_print_whole():
    def bad(row, value, column="period"):
        return Problem(
            "x.csv",
            f"{value!r} is bad; fix it",
            row,
            column,
            kind="k",
            value=value,
            summary="is bad",
            fix="fix it",
        )

    problems = [
        bad(2, "a"),
        bad(3, "b"),
        bad(4, "a"),
        bad(5, "a", column="other"),
        Problem("y.csv", "no kind", 7),
        Problem("y.csv", "no kind", 9),
    ]
    assert [len(g.problems) for g in group_problems(problems)] == [2, 1, 1, 2]
    assert describe_problems(problems) == [
        "'a' in 2 rows of x.csv, column 'period' (lines 2 and 4): is bad; fix it",
        "x.csv, line 3, column 'period': 'b' is bad; fix it",
        "x.csv, line 5, column 'other': 'a' is bad; fix it",
        "2 rows in y.csv (lines 7 and 9): no kind",
    ]


def test_many_values_of_one_kind_are_one_line_naming_the_first_values(district, tmp_path):
    # the district's own folder with every year written as published tables write it
    root = tmp_path / "dashed"
    shutil.copytree(district, root)
    values = (root / "indicator_values.csv").read_text(encoding="utf-8")
    (root / "indicator_values.csv").write_text(
        re.sub(r"(\d{4})/(\d{2})", r"\1-\2", values), encoding="utf-8"
    )
    rows = len(values.splitlines()) - 1
    assert describe_problems(problems_in(root)) == [
        f"'2015-16', '2016-17', '2017-18' and 7 more values in {rows} rows of "
        f"indicator_values.csv, column 'period' (lines 2-{rows + 1}): is not a period perfeval "
        "understands; write '2015/16' for '2015-16', and likewise for the others"
    ]


def test_up_to_three_values_of_one_kind_keep_a_line_each():
    problems = [
        Problem(
            "x.csv",
            f"{v!r} is bad; fix {v}",
            row,
            "c",
            kind="k",
            value=v,
            summary="is bad",
            fix=f"fix {v}",
        )
        for row, v in enumerate(["a", "a", "b", "c", "c"], start=2)
    ]
    assert len(describe_problems(problems)) == 3
    assert describe_problems(
        problems
        + [
            Problem(
                "x.csv",
                "'d' is bad; fix d",
                9,
                "c",
                kind="k",
                value="d",
                summary="is bad",
                fix="fix d",
            )
        ]
    ) == [
        "'a', 'b', 'c' and 1 more value in 6 rows of x.csv, column 'c' (lines 2-6 and 9): is "
        "bad; fix a for 'a', and likewise for the others"
    ]


def test_many_kinds_of_problem_are_cut_with_a_count():
    problems = [Problem("x.csv", f"problem {i}", i, kind=f"k{i}", fix="f") for i in range(2, 9)]
    lines = describe_problems(problems, limit=5)
    assert len(lines) == 6 and lines[-1] == "... and 2 more kinds of problem (2 problems)"


# --------------------------------------------------------------------------- the bad catalogue
@pytest.mark.parametrize(
    "fixture", sorted(p.name for p in BAD.glob("*.csv") if p.name not in LOADS_FINE)
)
def test_every_bad_fixture_is_one_grouped_line_per_problem_with_file_lines_column_and_fix(
    tmp_path, capsys, fixture
):
    table = fixture.split("__")[0]
    root = copy_minimal(tmp_path)
    (root / f"{table}.csv").write_bytes((BAD / fixture).read_bytes())
    groups = group_problems(problems_in(root))
    status, lines = run_check_data(capsys, str(root))
    assert status == 1
    shown = problem_lines(lines)
    assert len(shown) == len(groups)
    for line, group in zip(shown, groups):
        first = group.first
        assert first.kind and first.fix, first  # every problem the loader raises says its fix
        grouped = len(group.problems) > 1 and first.value is not None
        assert line.startswith(f"{first.value!r} in" if grouped else first.file)
        assert first.file in line and first.fix in line
        if first.column is not None:
            assert f"column {first.column!r}" in line
        for row in group.rows[:1]:
            assert re.search(rf"\blines? {row}\b", line), line


@pytest.mark.parametrize("fixture", sorted(LOADS_FINE))
def test_bad_fixtures_that_load_pass_the_check(tmp_path, capsys, fixture):
    root = copy_minimal(tmp_path)
    (root / f"{fixture.split('__')[0]}.csv").write_bytes((BAD / fixture).read_bytes())
    status, lines = run_check_data(capsys, str(root))
    assert status == 0 and "No problems found." in lines


def test_a_folder_with_problems_still_says_what_it_could_feed_once_fixed(tmp_path, capsys):
    root = copy_minimal(tmp_path)
    (root / "budget.csv").write_bytes((BAD / "budget__too_many_fields.csv").read_bytes())
    status, lines = run_check_data(capsys, str(root))
    heading = next(i for i, line in enumerate(lines) if line.startswith("Reports this folder"))
    assert status == 1 and "once the problems are fixed" in lines[heading]
    assert lines[heading + 1] == (
        "  - State of the Nation: every section but Money: budget (no rows in budget.csv) and "
        "Delivery (no actions or risks registers)"
    )


def test_a_folder_that_does_not_exist_is_one_problem(tmp_path, capsys):
    status, lines = run_check_data(capsys, str(tmp_path / "nowhere"))
    assert status == 1
    assert problem_lines(lines) == [
        f"{tmp_path / 'nowhere'}: is not a directory (nothing is "
        "there); give data_dir as the folder holding the CSV tables"
    ]
    assert not any(line.startswith("Reports this folder") for line in lines)


# --------------------------------------------------------------------------- whole folders
def test_the_bundled_sample_passes_and_feeds_every_section_of_every_report(capsys):
    status, lines = run_check_data(capsys)
    assert status == 0
    assert lines[0] == f"Data folder: {SAMPLE_DATA_DIR} (the bundled sample data)"
    assert "No problems found." in lines
    assert not any(line.startswith("National reference data used") for line in lines)
    coverage = lines[lines.index("Reports this folder can feed:") + 1 :]
    assert coverage == [
        f"  - {title}: every section"
        for title in (
            "State of the Nation",
            "End-of-year review",
            "Quarterly monitoring",
            "Survey report",
            "Value for money",
            "Programme evaluation",
            "Action plan review",
        )
    ]


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> Path:
    return build_district_folder(tmp_path_factory.mktemp("district") / "melton")


def test_the_district_folder_passes_and_the_coverage_names_what_is_missing(district, capsys):
    status, lines = run_check_data(capsys, str(district))
    assert status == 0 and "No problems found." in lines
    assert (
        "National reference data used, as the folder has none of its own (perfeval's copy; "
        "put the table in the folder to use your own): deflators.csv, GDP deflators "
        "(HM Treasury / ONS)."
    ) in lines
    coverage = lines[lines.index("Reports this folder can feed:") + 1 :]
    assert coverage == [
        "  - State of the Nation: every section but Resident views (no survey tables), "
        "Money: budget (no budget.csv) and Delivery (no actions or risks registers)",
        "  - End-of-year review: every section but Improvement actions for the exceptions "
        "(no actions.csv)",
        "  - Quarterly monitoring: cannot run (no budget.csv; no quarterly or monthly values in "
        "indicator_values.csv)",
        "  - Survey report: cannot run (no survey_responses.csv, survey_codebook.csv)",
        "  - Value for money: every section",
        "  - Programme evaluation: cannot run (no programme_strands.csv, programme_members.csv, "
        "programme_participant_survey.csv)",
        "  - Action plan review: cannot run (no actions.csv)",
    ]


def test_check_data_reads_nothing_but_the_folder_and_writes_nothing(district):
    before = sorted((p.name, p.stat().st_mtime_ns) for p in district.iterdir())
    check = check_data(district)
    assert check.ok and check.exit_status == 0
    assert describe_check(check)[0] == f"Data folder: {district}"
    assert sorted((p.name, p.stat().st_mtime_ns) for p in district.iterdir()) == before


# --------------------------------------------------------------------------- across tables
def only_problem(root: Path) -> Problem:
    problems = problems_in(root)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_targets_for_a_pi_not_in_the_register(tmp_path):
    problem = only_problem(
        copy_minimal(
            tmp_path,
            targets=(
                "authority,indicator,period,target\nE06000017,NI192,2023/24,45\n"
                "E06000017,XX01,2023/24,3\n"
            ),
        )
    )
    assert (problem.file, problem.row, problem.column, problem.kind) == (
        "targets.csv",
        3,
        "indicator",
        "unknown_code",
    )
    assert problem.message == (
        "'XX01' is not a code in indicators.csv; add it to indicators.csv or correct it"
    )


def test_commentary_for_a_pi_not_in_the_register(tmp_path):
    problem = only_problem(
        copy_minimal(
            tmp_path,
            commentary=(
                "authority,indicator,period,commentary\nE06000017,XX01,2023/24,Went well\n"
            ),
        )
    )
    assert (problem.file, problem.row, problem.column) == ("commentary.csv", 2, "indicator")


def test_values_for_an_unknown_pi_say_which_code_was_meant(tmp_path):
    problem = only_problem(
        copy_minimal(tmp_path, indicator_values=(IV_HEADER + "E06000017,NI 192,2023/24,41\n"))
    )
    assert (problem.file, problem.row, problem.column) == ("indicator_values.csv", 2, "indicator")
    assert problem.fix.startswith("did you mean 'NI192'?")


def test_a_group_member_not_in_authorities(tmp_path):
    problem = only_problem(
        copy_minimal(
            tmp_path,
            comparator_groups=(
                "group,authority,method\ntest_group,E06000017,m\ntest_group,E07000999,m\n"
            ),
        )
    )
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "comparator_groups.csv",
        3,
        "authority",
        "E07000999",
    )


def test_a_group_member_without_population(tmp_path):
    root = copy_minimal(
        tmp_path,
        population=(
            "authority,year,population\nE06000017,2023/24,41000\nE06000005,2023/24,108000\n"
        ),
    )
    problem = only_problem(root)
    assert (problem.file, problem.row, problem.column, problem.kind, problem.value) == (
        "comparator_groups.csv",
        4,
        "authority",
        "no_population",
        "E07000131",
    )
    assert problem.fix == (
        "add its population to population.csv, or remove population.csv to "
        "use perfeval's ONS mid-2020 estimates"
    )


def test_a_home_council_without_population(tmp_path):
    root = copy_minimal(
        tmp_path,
        population=(
            "authority,year,population\nE06000005,2023/24,108000\nE07000131,2023/24,98000\n"
        ),
    )
    problems = problems_in(root)
    assert {(p.file, p.row, p.value) for p in problems} == {
        ("comparator_groups.csv", 2, "E06000017"),
        ("targets.csv", 2, "E06000017"),
        ("commentary.csv", 2, "E06000017"),
        ("budget.csv", 2, "E06000017"),
        ("survey_responses.csv", 2, "E06000017"),
    }  # each table once, at its first row


def test_a_council_the_reference_population_lacks_is_told_to_bring_its_own(tmp_path):
    # Poole (E06000029) was merged into Bournemouth, Christchurch and Poole in 2019: in the
    # authority lookup, but the ONS mid-2020 estimates have no row for it
    root = copy_minimal(
        tmp_path,
        comparator_groups=(
            "group,authority,method\ntest_group,E06000017,m\ntest_group,E06000029,m\n"
        ),
    )
    for name in ("authorities", "population"):
        (root / f"{name}.csv").unlink()
    problem = only_problem(root)
    assert (problem.file, problem.row, problem.kind) == (
        "comparator_groups.csv",
        3,
        "no_population",
    )
    assert "perfeval's ONS mid-2020 estimates have no row for it" in problem.fix


def test_a_survey_answered_without_a_codebook(tmp_path):
    root = copy_minimal(tmp_path)
    responses = (root / "survey_responses.csv").read_text(encoding="utf-8")
    (root / "survey_responses.csv").write_text(
        responses + "E06000017,staff,2024,S01,1.0,16-34,1,1\n", encoding="utf-8"
    )
    problem = only_problem(root)
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "survey_responses.csv",
        14,
        "survey",
        "staff",
    )
    assert "has no questions in survey_codebook.csv" in problem.message


def test_another_councils_survey_answers_are_checked_against_its_own_codebook(tmp_path):
    root = copy_minimal(tmp_path)
    book = (root / "survey_codebook.csv").read_text(encoding="utf-8")
    (root / "survey_codebook.csv").write_text(
        book + "E06000005,residents,Q01,Satisfied?,1,Yes,true,false\n", encoding="utf-8"
    )
    responses = (root / "survey_responses.csv").read_text(encoding="utf-8")
    (root / "survey_responses.csv").write_text(
        responses + "E06000005,residents,2024,D01,1.0,16-34,2,\n", encoding="utf-8"
    )
    problem = only_problem(root)  # 2 is a code of Rutland's Q01, not of Darlington's
    assert (problem.file, problem.row, problem.column, problem.kind) == (
        "survey_responses.csv",
        14,
        "Q01",
        "unknown_answer",
    )
    assert "(codes: [1])" in problem.message


def test_programme_members_of_a_programme_without_strands(tmp_path):
    root = copy_minimal(
        tmp_path,
        programme_strands=(
            "programme,strand,allocation,spend,participants,sessions,synthetic\n"
            "pilot,training,1000,900,10,2,true\n"
        ),
        programme_members=(
            "programme,authority,role,synthetic\npilot,E06000017,participating,"
            "true\nPilot,E06000005,comparison,true\n"
        ),
    )
    problem = only_problem(root)
    assert (problem.file, problem.row, problem.column, problem.kind) == (
        "programme_members.csv",
        3,
        "programme",
        "unknown_programme",
    )
    assert problem.fix.startswith("did you mean 'pilot'?")


def test_an_annual_indicator_on_a_month_that_is_really_a_year(tmp_path):
    root = copy_minimal(
        tmp_path,
        indicator_values=(IV_HEADER + "E06000017,NI192,2011-12,38\nE06000017,HB01,2011-12,120\n"),
    )
    problem = only_problem(root)  # HB01 is monthly: December 2011 is right for it
    assert (problem.file, problem.row, problem.column, problem.kind) == (
        "indicator_values.csv",
        2,
        "period",
        "year_as_month",
    )
    assert problem.message == (
        "'2011-12' reads as the month December 2011, but the indicator is "
        "annual; write '2011/12' for the financial year"
    )


# --------------------------------------------------------------------------- reference data
@pytest.mark.parametrize("table", ["authorities", "population", "deflators"])
def test_the_reference_copies_are_the_sample_tables_they_were_taken_from(table):
    assert (REFERENCE_DATA_DIR / f"{table}.csv").read_bytes() == (
        SAMPLE_DATA_DIR / f"{table}.csv"
    ).read_bytes()
    assert f"`{table}.csv`" in (REFERENCE_DATA_DIR / "README.md").read_text(encoding="utf-8")


def test_check_data_without_a_folder_checks_the_workspace_data_folder(
    district, tmp_path, capsys, monkeypatch
):
    workspace = tmp_path / "melton-ws"
    workspace.mkdir()
    (workspace / "perfeval.toml").write_text(
        f'[workspace]\ncouncil = "E07000133"\ncomparator_group = "melton_nearest_15"\n'
        f'data = "{district}"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(workspace)
    status, lines = run_check_data(capsys)
    assert status == 0 and any(str(district) in line for line in lines)
    assert any("Survey report: cannot run" in line for line in lines)
