"""Tests of the perfeval command line (perfeval.run.cli).

The notebook is "executed" by a fake that records the sum of values.csv, so these tests start no
kernel; tests/run/test_runner.py runs the real thing.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_output

from fakes import refuse_kernels, use_fake_kernels
from perfeval.run import cli
from perfeval.run.cli import main, parse_cli_value
from perfeval.run.provenance import KEY_FIGURE_MIME, key_figure_payload
from perfeval.run.runner import parameters_digest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
HELLO = NOTEBOOKS / "hello.ipynb"


@pytest.fixture
def executed(monkeypatch):
    """Replace the kernel with a fake; returns the list of parameter dicts it was run with."""
    runs: list[dict] = []

    def fake_execute(source, output, values, progress, kernel):
        runs.append(dict(values))
        nb = nbformat.read(source, as_version=4)
        total = float(pd.read_csv(Path(values["data_dir"]) / "values.csv")["value"].sum())
        nb.cells[-2].outputs = [
            new_output("display_data", data={KEY_FIGURE_MIME: key_figure_payload("total", total)})
        ]
        nbformat.write(nb, output)

    use_fake_kernels(monkeypatch, fake_execute)
    return runs


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "values.csv").write_text("area,value\nA,1\nB,2\n")
    return folder


@pytest.mark.parametrize(
    "raw, value",
    [
        ("2024", 2024),
        ("0.5", 0.5),
        ("true", True),
        ("[E06000017, E07000026]", ["E06000017", "E07000026"]),
        ("E06000017", "E06000017"),
        ("2024/25", "2024/25"),
        ("{a: 1}", "{a: 1}"),
        ("[unclosed", "[unclosed"),
    ],
)
def test_cli_values_are_read_as_yaml_scalars(raw, value):
    assert parse_cli_value(raw) == value


def test_cli_value_for_a_str_parameter_is_kept_exactly_as_typed():
    assert parse_cli_value("1.10", "str") == "1.10"
    assert parse_cli_value("true", "str") == "true"


def test_misspelt_parameter_exits_2_before_executing_and_names_valid_names(
    tmp_path, monkeypatch, capsys, data
):
    params = tmp_path / "p.yaml"
    params.write_text(f"data_dir: {data}\n")
    refuse_kernels(monkeypatch)
    status = main(
        [
            "run",
            str(HELLO),
            "--params",
            str(params),
            "-p",
            "yera",
            "2024",
            "--outputs-root",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert "unknown parameter 'yera' (did you mean 'year'?)" in err
    assert "valid names are: name, year, ratio, colour, message, data_dir" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_tagged_parameter_file_exits_2_naming_the_line(tmp_path, capsys, monkeypatch):
    params = tmp_path / "p.yaml"
    params.write_text("name: x\nyear: !!python/object/apply:os.getpid []\n")
    refuse_kernels(monkeypatch)
    assert main(["run", str(HELLO), "--params", str(params)]) == 2
    assert f"{params}, line 2: YAML tag" in capsys.readouterr().err


def test_run_prints_report_and_manifest_and_p_overrides_the_file(tmp_path, capsys, data, executed):
    params = tmp_path / "p.yaml"
    params.write_text(f"data_dir: {data}\nname: from-file\nyear: 2025\n")
    status = main(
        [
            "run",
            str(HELLO),
            "--params",
            str(params),
            "-p",
            "year",
            "2031",
            "-p",
            "name",
            "1.10",
            "--outputs-root",
            str(tmp_path / "out"),
            "--no-progress",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert executed[0]["year"] == 2031 and executed[0]["name"] == "1.10"
    values = {"name": "1.10", "data_dir": str(data)}  # the parameters that are not defaults
    report = tmp_path / "out" / "hello" / f"2031_{parameters_digest(values)}"
    assert f"Report:   {report / 'hello.html'}" in out
    assert f"Manifest: {report / 'manifest.json'} (1 key figures)" in out


def _workspace(root: Path, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "perfeval.toml").write_text("[workspace]\n" + text)
    return root


def test_verify_exits_0_when_reproduced_and_1_naming_a_changed_file(
    tmp_path, capsys, data, executed, monkeypatch
):
    ws = _workspace(tmp_path / "ws", f"notebooks = {json.dumps(str(NOTEBOOKS))}\n")
    monkeypatch.chdir(ws)  # tests/notebooks plays the workspace's notebooks
    assert main(["run", "hello", "-p", "data_dir", str(data), "-p", "year", "2024"]) == 0
    manifest = (
        ws
        / "outputs"
        / "hello"
        / f"2024_{parameters_digest({'data_dir': str(data)})}"
        / "manifest.json"
    )
    assert main(["verify", str(manifest), "--data-dir", str(data)]) == 0
    assert "every key figure reproduced exactly" in capsys.readouterr().out
    (data / "values.csv").write_text("area,value\nA,1\nB,3\n")
    assert main(["verify", str(manifest), "--data-dir", str(data)]) == 1
    out = capsys.readouterr().out
    assert "data_dir/values.csv: changed" in out and "total: published 3.0, re-run 4.0" in out
    assert json.loads(manifest.read_text())["key_figures"]["total"]["value"] == 3.0


def test_output_dir_outside_the_outputs_root_exits_2_naming_outputs_root(
    tmp_path, capsys, data, monkeypatch
):
    refuse_kernels(monkeypatch)
    status = main(
        [
            "run",
            str(HELLO),
            "-p",
            "data_dir",
            str(data),
            "--output-dir",
            "../../x",
            "--outputs-root",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert status == 2 and "is not inside the outputs root" in err and "--outputs-root DIR" in err


def test_run_uses_the_workspace_outputs_defaults_and_its_parameter_file(
    tmp_path, capsys, data, executed, monkeypatch
):
    ws = _workspace(
        tmp_path / "ws",
        f'data = {json.dumps(str(data))}\noutputs = "reports"\n'
        f"notebooks = {json.dumps(str(NOTEBOOKS))}\n",
    )
    (ws / "params").mkdir()
    (ws / "params" / "hello.yaml").write_text("name: Melton\n")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "hello", "--workspace", str(ws), "--no-progress"]) == 0
    assert executed[-1] == {
        "name": "Melton",
        "year": 2024,
        "ratio": 0.5,
        "colour": "green",
        "message": "",
        "data_dir": str(data),
    }
    assert f"Report:   {ws / 'reports' / 'hello'}" in capsys.readouterr().out
    assert main(["--workspace", str(ws), "run", "hello", "--params", str(ws / "none.yaml")]) == 2
    assert "cannot read parameter file" in capsys.readouterr().err


def test_run_outside_any_workspace_without_an_outputs_root_exits_2(tmp_path, capsys, monkeypatch):
    refuse_kernels(monkeypatch)
    monkeypatch.delenv("PERFEVAL_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(HELLO)]) == 2
    err = capsys.readouterr().err
    assert (
        f"no perfeval workspace in {tmp_path} or any folder above it; run `perfeval init "
        f"DIR` or pass --workspace"
        in err
        and "Traceback" not in err
    )


@pytest.mark.parametrize(
    "raised, shown",
    [
        (KeyboardInterrupt(), "interrupted (Ctrl+C)."),
        (KeyboardInterrupt("SIGTERM"), "interrupted (SIGTERM)."),
    ],
)
def test_an_interruption_exits_130_saying_what_stopped_it(monkeypatch, capsys, raised, shown):
    def interrupted(args):
        raise raised

    monkeypatch.setattr(cli, "_params", interrupted)
    assert main(["params", "hello"]) == 130
    assert (
        f"perfeval params: {shown} Any previous report was left unchanged."
        in capsys.readouterr().err
    )


def test_failed_run_exits_1_with_the_message_and_no_traceback(tmp_path, capsys, data, monkeypatch):
    def failing(source, output, values, progress, kernel):
        raise RuntimeError("kernel died")

    use_fake_kernels(monkeypatch, failing)
    status = main(
        ["run", str(HELLO), "-p", "data_dir", str(data), "--outputs-root", str(tmp_path / "out")]
    )
    err = capsys.readouterr().err
    assert status == 1
    assert "hello.ipynb could not be run: RuntimeError: kernel died" in err
    assert "Traceback" not in err


def test_params_lists_the_schema(capsys):
    assert main(["params", str(HELLO)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Parameters of hello:")
    assert "colour    str    'green'  one of 'red', 'amber', 'green'" in out


def test_unknown_notebook_exits_2(capsys):
    assert main(["params", "no_such_report"]) == 2
    assert "notebook 'no_such_report' not found" in capsys.readouterr().err


def test_unreadable_manifest_exits_2(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "missing.json")]) == 2
    assert "not a readable perfeval manifest" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys):
    assert main(["run"]) == 2
    assert main(["frobnicate"]) == 2
