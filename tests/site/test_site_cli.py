"""``perfeval site``: the composed console script, the site's settings, and the batch's calls on
warm kernels."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import pytest

from perfeval.core.exceptions import ParameterError
from perfeval.run import batch
from perfeval.run import cli as run_cli
from perfeval.site import cli

ROOT = Path(__file__).resolve().parents[2]


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    return set(run_cli.subcommands(parser).choices)


def test_the_console_script_is_the_composed_one_with_every_run_command_and_site():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["perfeval"] == "perfeval.site.cli:console_main"
    assert _commands(cli.build_parser()) == _commands(run_cli.build_parser()) | {"site"}
    assert "site" not in _commands(run_cli.build_parser()), "the run side knows nothing of it"


def test_another_command_behaves_as_before_through_the_composed_main(capsys):
    assert (
        cli.main(["params", "end_of_year_review"])
        == run_cli.main(["params", "end_of_year_review"])
        == 0
    )
    out = capsys.readouterr().out
    half = len(out) // 2
    assert out[:half] == out[half:], "the same output from both mains"


def test_the_site_follows_the_workspace_and_the_review_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    args = cli.build_parser().parse_args(["site", "--outputs-root", str(tmp_path)])
    settings = cli.site_settings(args)
    assert settings == {
        "council": "E06000017",
        "year": "2024/25",
        "group": "rutland_nearest_15",
        "data_dir": None,
        "outputs_root": tmp_path,
    }


def test_a_bad_year_is_refused_before_anything_is_built(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    status = cli.main(["site", "--year", "1999/00", "--outputs-root", str(tmp_path)])
    assert status == 2
    assert "year" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_call_code_refuses_what_is_not_module_function():
    with pytest.raises(ParameterError, match="module:function"):
        batch.call_code("shutil.copyfile", {})
    assert batch.call_code("shutil:copyfile", {"src": "a"}).startswith(
        "getattr(__import__('importlib').import_module('shutil'), 'copyfile')"
    )


def test_run_calls_runs_each_call_on_a_warm_kernel_and_records_a_failure(tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("made in a kernel", encoding="utf-8")
    calls = [
        {"src": str(source), "dst": str(tmp_path / "b.txt")},
        {"src": str(tmp_path / "missing.txt"), "dst": str(tmp_path / "c.txt")},
    ]
    outcomes = batch.run_calls("shutil:copyfile", calls, workers=1, cwd=tmp_path)
    assert [o.ok for o in outcomes] == [True, False]
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "made in a kernel"
    assert "FileNotFoundError" in outcomes[1].error


def test_the_composed_command_starts_without_heavy_imports():
    """The console script imports the site's command only; the site itself is imported when
    ``perfeval site`` runs, so every other command starts as light as before."""
    import subprocess
    import sys

    code = (
        "import sys, perfeval.site.cli\n"
        "print(sorted(m for m in ('pandas', 'nbformat', 'matplotlib', 'papermill')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
