"""What untrusted parameters can cost: file size, YAML aliases and nesting, value sizes, and the
length of every error message (issue #13: a billion-laughs file made a 312 MB message)."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from fakes import refuse_kernels
from perfeval.core.exceptions import ParameterError
from perfeval.core.paths import BUNDLED_PARAMS_DIR
from perfeval.run.cli import main, parse_cli_value
from perfeval.run.parameters import (
    MAX_LIST_ITEMS,
    MAX_PARAMETER_FILE_BYTES,
    MAX_TEXT_LENGTH,
    MAX_YAML_ALIASES,
    MAX_YAML_DEPTH,
    Param,
    load_parameter_file,
    register_schema,
    short_repr,
    validate_notebook_namespace,
    validate_parameters,
)

HELLO = Path(__file__).resolve().parents[1] / "notebooks" / "hello.ipynb"
STEM = "t_parameter_limits"
SHORT = 2048  # bytes: the longest message any of these inputs may produce

register_schema(
    STEM,
    [
        Param("council", str, "E06000017", "ONS code of the council"),
        Param("year", int, 2024, "Calendar year", min=2000, max=2100),
        Param("codes", list[str], ["NI192"], "Indicator codes"),
        Param("colour", str, "green", "RAG colour", choices=["red", "amber", "green"]),
    ],
)


def billion_laughs(levels: int = 9, repeats: int = 9) -> str:
    """The classic alias bomb: each level repeats the one below ``repeats`` times."""
    lines = ["lol0: &lol0 lol"]
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*lol{level - 1}"] * repeats)
        lines.append(f"lol{level}: &lol{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def refusal(path) -> str:
    with pytest.raises(ParameterError) as caught:
        load_parameter_file(path)
    return str(caught.value)


def problems(values: dict) -> str:
    with pytest.raises(ParameterError) as caught:
        validate_parameters(STEM, values)
    return str(caught.value)


# -- YAML aliases, size and nesting ----------------------------------------------------------------


def test_billion_laughs_is_refused_quickly_in_little_memory_with_a_short_message(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs())
    tracemalloc.start()
    started = time.perf_counter()
    try:
        message = refusal(path)
    finally:
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    # A guard against expansion, not a speed goal: an expanded bomb would run for hours.
    assert elapsed < 10 and peak < 50 * 1024 * 1024
    assert len(message.encode()) < SHORT
    assert f"{path}, line " in message and "once alias *lol" in message
    assert "write each value out once" in message


def test_many_aliases_of_a_small_value_are_refused_at_the_alias_that_passes_the_limit(tmp_path):
    aliases = ", ".join(["*x"] * (MAX_YAML_ALIASES + 1))
    path = tmp_path / "p.yaml"
    path.write_text(f"one: &x E06000017\ncodes: [\n  {aliases}]\n")
    message = refusal(path)
    assert f"line 3: more than {MAX_YAML_ALIASES} aliases (*x is one)" in message


def test_an_alias_inside_the_value_it_names_is_refused(tmp_path):
    (tmp_path / "p.yaml").write_text("codes: &a [NI192, *a]\n")
    assert "line 1: alias *a is inside the value it names" in refusal(tmp_path / "p.yaml")


def test_a_small_anchor_and_alias_still_load(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("codes: &mine [NI192, HB01]\nother: *mine\ncouncil: &c E06000017\nhome: *c\n")
    assert load_parameter_file(path) == {
        "codes": ["NI192", "HB01"],
        "other": ["NI192", "HB01"],
        "council": "E06000017",
        "home": "E06000017",
    }


def test_every_bundled_parameter_file_is_well_inside_the_limits():
    files = sorted(BUNDLED_PARAMS_DIR.glob("*.yaml"))
    assert files
    for path in files:
        assert isinstance(load_parameter_file(path), dict)


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * (MAX_YAML_DEPTH + 1) + "x" + "]" * (MAX_YAML_DEPTH + 1) + "\n",
        "a: " + "[" * 100_000 + "\n",
        "- " * 5_000 + "x\n",
        "a:\n" + "".join(" " * level + "- \n" for level in range(1, 60)),
    ],
    ids=["flow", "flow-unclosed", "block-sequence", "block-indented"],
)
def test_deep_nesting_is_refused_without_recursing_through_it(tmp_path, text):
    (tmp_path / "p.yaml").write_text(text)
    message = refusal(tmp_path / "p.yaml")
    assert f"nested more than {MAX_YAML_DEPTH} levels deep" in message
    assert len(message.encode()) < SHORT


def test_nesting_made_deep_by_aliases_is_refused_too(tmp_path):
    lines = ["l0: &l0 [x]"] + [f"l{i}: &l{i} [*l{i - 1}]" for i in range(1, MAX_YAML_DEPTH + 1)]
    (tmp_path / "p.yaml").write_text("\n".join(lines) + "\n")
    message = refusal(tmp_path / "p.yaml")
    assert f"nested more than {MAX_YAML_DEPTH} levels deep once alias *l" in message


def test_a_file_of_too_many_values_is_refused_before_they_are_all_read(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("".join(f"k{i}: {i}\n" for i in range(50_000)))
    message = refusal(path)
    # The refusal names line 5000 of 50,000: reading stopped there (speed is benchmarked).
    assert "line 5000: more than 10,000 values" in message and len(message.encode()) < SHORT


# -- file size -------------------------------------------------------------------------------------


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:  # sparse: 2 MiB of size, no data written
        handle.truncate(2 * MAX_PARAMETER_FILE_BYTES)
    opened = []
    monkeypatch.setattr(type(path), "open", lambda self, *a, **k: opened.append(self))
    message = refusal(path)
    assert opened == [], "the file must not even be opened"
    assert f"is {2 * MAX_PARAMETER_FILE_BYTES:,} bytes" in message
    assert f"at most {MAX_PARAMETER_FILE_BYTES:,}" in message and "--params" in message


def test_a_file_that_grows_past_the_limit_after_stat_is_refused_by_a_bounded_read(
    tmp_path, monkeypatch
):
    path = tmp_path / "p.yaml"
    path.write_text("year: 2024\n")
    real_open = type(path).open
    reads = []

    class Growing:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def read(self, size=-1):
            reads.append(size)
            return b"#" * (size if size >= 0 else 10 * MAX_PARAMETER_FILE_BYTES)

    monkeypatch.setattr(type(path), "open", lambda self, *a, **k: Growing(real_open(self, *a, **k)))
    message = refusal(path)
    assert reads == [MAX_PARAMETER_FILE_BYTES + 1]
    assert f"is more than {MAX_PARAMETER_FILE_BYTES:,} bytes" in message


def test_a_file_just_under_the_limit_is_read(tmp_path):
    path = tmp_path / "p.yaml"
    comment = "# " + "x" * 77 + "\n"
    path.write_text("year: 2024\n" + comment * ((MAX_PARAMETER_FILE_BYTES - 100) // 80))
    assert path.stat().st_size <= MAX_PARAMETER_FILE_BYTES
    assert load_parameter_file(path) == {"year": 2024}


# -- values that YAML cannot build
# -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, found",
    [
        ("year: 2024-13-45\n", "month must be in 1..12"),
        ("year: " + "1" * 5_000 + "\n", "Exceeds the limit (4300 digits)"),
        ("[a, b]: 1\n", "a list cannot be a name"),
        ("base: &b {year: 2024}\nmine: {<<: *b}\n", "merge keys ('<<') are not allowed"),
        (
            "year: !<tag:yaml.org,2002:str> 2024\n",
            "YAML tag 'tag:yaml.org,2002:str' is not allowed",
        ),
    ],
    ids=["bad-date", "huge-int", "list-key", "merge-key", "verbatim-tag"],
)
def test_values_yaml_cannot_build_are_refused_at_their_line_not_a_crash(tmp_path, text, found):
    (tmp_path / "p.yaml").write_text(text)
    message = refusal(tmp_path / "p.yaml")
    assert found in message and ", line " in message and len(message.encode()) < SHORT


# -- huge values, names and their messages
# ------------------------------------------------------------


def test_a_huge_string_is_refused_with_a_short_message_naming_the_parameter():
    message = problems({"council": "E" * 2_000_000})
    assert len(message.encode()) < SHORT
    assert (
        "council (str): 'EEEE" in message and "...' (2,000,000 characters) is too long" in message
    )
    assert f"at most {MAX_TEXT_LENGTH:,} characters" in message


def test_a_huge_string_for_a_number_is_refused_with_a_short_message():
    message = problems({"year": "9" * 2_000_000})
    assert len(message.encode()) < SHORT and "year (int): '9999" in message


def test_a_huge_list_is_refused_with_a_short_message_naming_the_parameter():
    message = problems({"codes": ["NI192"] * (MAX_LIST_ITEMS + 1)})
    assert len(message.encode()) < SHORT
    assert "codes (list[str]): ['NI192', " in message
    assert f"({MAX_LIST_ITEMS + 1:,} items) has too many items" in message
    assert "give only the items the report needs" in message


def test_a_huge_item_of_a_list_is_refused_with_a_short_message():
    message = problems({"codes": ["NI192", "x" * 100_000]})
    assert len(message.encode()) < SHORT and "codes (list[str]): an item is too long" in message


def test_values_at_the_limits_are_accepted():
    resolved = validate_parameters(
        STEM, {"council": "E" * MAX_TEXT_LENGTH, "codes": ["NI192"] * MAX_LIST_ITEMS}
    )
    assert len(resolved["council"]) == MAX_TEXT_LENGTH and len(resolved["codes"]) == MAX_LIST_ITEMS


def test_a_huge_unknown_name_is_cut_and_gets_no_suggestion():
    message = problems({"c" * 1_000_000: 1})
    assert len(message.encode()) < SHORT
    assert "unknown parameter 'cccc" in message and "(1,000,000 characters)" in message
    assert "valid names are: council, year, codes, colour" in message


def test_thousands_of_unknown_names_are_counted_not_listed():
    message = problems({f"name{i}": i for i in range(5_000)})
    assert len(message.encode()) < SHORT
    assert "and 4,990 more unknown parameter names; give only the valid names" in message


def test_a_container_given_for_a_scalar_is_quoted_by_type_and_length():
    nested = ["lol"] * 9
    for _ in range(8):
        nested = [nested] * 9  # 9**9 shared references: a billion-laughs value from code
    message = problems({"council": nested, "colour": {"k" * 10_000: 1}})
    assert len(message.encode()) < SHORT
    assert "council (str): expected a string, got list [[[[" in message and "(9 items)" in message
    assert "colour (str): expected a string, got dict {'kkkk" in message and "(1 item)" in message


def test_a_value_not_among_the_choices_is_cut():
    message = problems({"colour": "r" * 5_000})
    assert len(message.encode()) < SHORT
    assert "colour (str): 'rrrr" in message and "(5,000 characters) is not allowed" in message
    assert "choose one of 'red', 'amber', 'green'" in message


def test_a_value_that_contains_itself_from_a_notebook_is_quoted_briefly():
    loop: list = []
    loop.append(loop)
    namespace = {"council": "E06000017", "year": 2024, "codes": loop, "colour": "red"}
    with pytest.raises(ParameterError) as caught:
        validate_notebook_namespace(STEM, namespace)
    assert "codes (list[str]): every item must be a string" in str(caught.value)
    assert len(str(caught.value).encode()) < SHORT


def test_a_data_check_quotes_a_long_value_briefly():
    register_schema(
        "t_limits_check",
        [Param("council", str, "x", check=lambda v, values: f"{short_repr(v)} is not known")],
    )
    with pytest.raises(ParameterError) as caught:
        validate_parameters("t_limits_check", {"council": "z" * MAX_TEXT_LENGTH})
    text = str(caught.value)
    assert len(text.encode()) < SHORT and text.count("zzzz...'") == 2


def test_the_bundled_checks_quote_long_values_briefly():
    codes = [f"XX{i:04d}" for i in range(MAX_LIST_ITEMS)]
    council = "E" * MAX_TEXT_LENGTH
    with pytest.raises(ParameterError) as caught:
        validate_parameters(
            "state_of_the_nation",
            {"council": council, "key_indicators": codes, "survey_wave": "w" * MAX_TEXT_LENGTH},
        )
    text = str(caught.value)
    assert len(text.encode()) < 2 * SHORT
    assert "unknown indicator code(s) ['XX0000', " in text and "(1,000 items)" in text
    assert "is not an authority code" in text and "(10,000 characters)" in text


# -- short_repr ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("abc", "'abc'"),
        ("a" * 2_000_000, "'" + "a" * 60 + "...' (2,000,000 characters)"),
        (["XX9"], "['XX9']"),
        (10**10_000, "<an integer of about 10,000 digits>"),
        (2024, "2024"),
        (None, "None"),
    ],
    ids=["short-text", "long-text", "short-list", "huge-int", "int", "none"],
)
def test_short_repr_keeps_short_values_and_cuts_long_ones(value, expected):
    assert short_repr(value) == expected


def test_short_repr_of_a_huge_shared_structure_is_quick():
    nested = ["lol"] * 9
    for _ in range(12):
        nested = [nested] * 9
    started = time.perf_counter()
    text = short_repr(nested)
    # 9**13 items if walked: a guard against walking it, not a speed goal.
    assert time.perf_counter() - started < 5 and len(text) < 100


# -- the command line ------------------------------------------------------------------------------

BOMB = (
    "[&a [lol, lol, lol, lol, lol, lol, lol, lol, lol], &b [*a, *a, *a, *a, *a, *a, *a, *a, "
    "*a], &c [*b, *b, *b, *b, *b, *b, *b, *b, *b], [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, "
    "*c, *c, *c, *c]]"
)


def test_a_command_line_alias_bomb_is_refused_with_a_short_message():
    with pytest.raises(ParameterError) as caught:
        parse_cli_value(BOMB, "list[str]")
    text = str(caught.value)
    assert "more than 10,000 values once alias *c" in text and len(text.encode()) < SHORT


def test_perfeval_run_with_an_alias_bomb_exits_2_before_running(capsys, monkeypatch, tmp_path):
    refuse_kernels(monkeypatch)
    status = main(["run", str(HELLO), "-p", "year", BOMB, "--outputs-root", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2 and "once alias *c" in err and len(err.encode()) < SHORT


@pytest.mark.parametrize("raw", ["2024-13-45", "1" * 5_000], ids=["bad-date", "huge-int"])
def test_command_line_values_yaml_cannot_build_stay_text(raw):
    assert parse_cli_value(raw) == raw


def test_huge_command_line_values_are_refused_briefly_before_running(capsys, monkeypatch, tmp_path):
    assert parse_cli_value("[" + "a, " * 100_000 + "]", "list[str]").startswith("[a, a")
    refuse_kernels(monkeypatch)
    status = main(
        [
            "run",
            str(HELLO),
            "-p",
            "message",
            "m" * 100_000,
            "-p",
            "colour",
            "[" + "red, " * 5_000 + "]",
            "-p",
            "n" * 100_000,
            "1",
            "--outputs-root",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert status == 2 and len(err.encode()) < SHORT, err
    assert "message (str): 'mmmm" in err and "(100,000 characters) is too long" in err
    assert "colour (str): '[red, red" in err and "unknown parameter 'nnnn" in err
    assert not (tmp_path / "out").exists()
