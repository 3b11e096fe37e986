"""Tests of perfeval.run.runner and perfeval.run.provenance.

Most tests replace the kernel with a fake executor (fast, no kernel). The tests marked
``notebook`` run the tiny notebooks in tests/notebooks/ on a real kernel: a good report, a failing
one, one stopped with SIGTERM, a verify, and a plain papermill run with a misspelt parameter.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from fakes import NoKernel, record_values_total, refuse_kernels, use_fake_kernels
from folders import minimal_folder
from perfeval.core import paths
from perfeval.core.exceptions import ParameterError, RecordError, RunError, VerificationError
from perfeval.data.loader import load_dataset
from perfeval.run import runner
from perfeval.run.parameters import load_folder_schemas
from perfeval.run.provenance import (
    KEY_FIGURE_MIME,
    collect_key_figures,
    git_state,
    hash_inputs,
    key_figure_payload,
    package_versions,
    record,
    sha256_file,
)
from perfeval.run.runner import (
    export_html,
    notebook_origin,
    parameters_digest,
    report_slug,
    resolve_notebook,
    resolve_output_dir,
    resolve_path_parameters,
    run_report,
)
from perfeval.run.verify import compare_key_figures, verify_report
from perfeval.run.workspace import Workspace, read_workspace

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
HELLO, BROKEN, SLEEPY = (NOTEBOOKS / f"{n}.ipynb" for n in ("hello", "broken", "sleepy"))
load_folder_schemas(NOTEBOOKS)


def _write_values(folder: Path, rows: str = "A,1.5\nB,2\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "values.csv").write_text("area,value\n" + rows)
    return folder


@pytest.fixture
def fake_kernel(monkeypatch):
    return use_fake_kernels(monkeypatch, record_values_total)


@pytest.fixture
def no_kernel(monkeypatch):
    return refuse_kernels(monkeypatch)


def _leftovers(root: Path) -> list[Path]:
    """What a run must not leave behind: hidden folders and files (temporary folders, previous
    copies of a report, a half-written index) and temporary-folder locks; the report and index
    locks stay in .locks."""
    return [
        p
        for p in root.rglob("*")
        if (p.name.startswith(".") and p.relative_to(root).parts[0] != ".locks")
        or p.match(".locks/tmp-*")
    ]


def _written(root: Path) -> list[str]:
    """What is in the outputs root: after a run stopped before its notebook ran, only the
    folder of the report locks (taken before the kernel starts)."""
    return sorted(p.name for p in root.iterdir())


# -- validation before execution ------------------------------------------------------------------


def test_unknown_parameter_fails_before_any_execution_or_output(tmp_path, no_kernel):
    root = tmp_path / "outputs"
    with pytest.raises(ParameterError) as caught:
        run_report(HELLO, {"yera": 2024}, outputs_root=root)
    assert "unknown parameter 'yera' (did you mean 'year'?)" in str(caught.value)
    assert "valid names are: name, year, ratio, colour, message, data_dir" in str(caught.value)
    assert no_kernel == [] and not root.exists()


def test_type_and_range_errors_are_listed_together_before_execution(tmp_path, no_kernel):
    with pytest.raises(ParameterError) as caught:
        run_report(
            HELLO, {"year": "soon", "ratio": 7, "colour": "blue"}, outputs_root=tmp_path / "out"
        )
    assert len(caught.value.problems) == 3 and no_kernel == []


def test_missing_data_dir_fails_before_execution(tmp_path, no_kernel):
    with pytest.raises(ParameterError, match="data_dir: .*absent.* is not a folder"):
        run_report(HELLO, {"data_dir": str(tmp_path / "absent")}, outputs_root=tmp_path / "out")


@pytest.mark.parametrize(
    "output_dir",
    [
        "../escape",
        "hello/../../escape",
        "/etc/perfeval",
        ".",
        "_failed/x",
        ".tmp-x",
        ".locks",
        "hello/.2024.old-1",
        "a/.hidden/b",
    ],
)
def test_output_dir_outside_the_outputs_root_or_reserved_is_rejected(
    tmp_path, no_kernel, output_dir
):
    _write_values(tmp_path / "data")
    with pytest.raises(ParameterError, match="output directory"):
        run_report(
            HELLO,
            {"data_dir": str(tmp_path / "data")},
            output_dir=output_dir,
            outputs_root=tmp_path / "outputs",
        )
    assert not (tmp_path / "escape").exists() and no_kernel == []


def test_a_failing_data_check_stops_the_kernel_it_started_and_runs_nothing(tmp_path, monkeypatch):
    executed = []
    kernels = use_fake_kernels(monkeypatch, lambda *args: executed.append(args))
    with pytest.raises(ParameterError, match="name = ' ': must not be blank"):
        run_report(HELLO, {"name": " "}, outputs_root=tmp_path / "out")
    assert len(kernels) == 1 and kernels[0].stops == 1, "launched while checking, then stopped"
    assert executed == [] and _written(tmp_path / "out") == [".locks"]


def test_the_runs_own_kernel_is_stopped_before_the_report_is_written(
    tmp_path, fake_kernel, monkeypatch
):
    events = []
    monkeypatch.setattr(NoKernel, "shutdown_in_background", lambda self: events.append("stop"))
    export = runner.export_html
    monkeypatch.setattr(
        runner, "export_html", lambda *args, **kw: events.append("export") or export(*args, **kw)
    )
    run_report(
        HELLO, {"data_dir": str(_write_values(tmp_path / "data"))}, outputs_root=tmp_path / "out"
    )
    assert events == ["stop", "export"]
    assert fake_kernel[0].stops == 1, "and shutdown() waited for it at the end"


def test_a_kernel_given_by_the_caller_is_left_running(tmp_path, fake_kernel):
    mine = NoKernel()
    run_report(
        HELLO,
        {"data_dir": str(_write_values(tmp_path / "data"))},
        outputs_root=tmp_path / "out",
        kernel=mine,
    )
    assert fake_kernel == [] and mine.stops == 0


def test_existing_folder_that_is_not_a_report_is_never_replaced(tmp_path):
    root = tmp_path / "outputs"
    (root / "mine").mkdir(parents=True)
    (root / "mine" / "notes.txt").write_text("precious")
    with pytest.raises(ParameterError, match="exists and is not a perfeval report"):
        resolve_output_dir("hello", {}, "mine", root)
    (root / "old").mkdir()
    (root / "old" / "manifest.json").write_text("{}")
    assert resolve_output_dir("hello", {}, "old", root) == root / "old"


def test_a_report_folder_inside_another_report_is_refused(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "manifest.json").write_text("{}")
    with pytest.raises(
        ParameterError, match="is inside the report .*mine, whose folder is replaced whole"
    ):
        resolve_output_dir("hello", {}, "mine/sub/deeper", tmp_path)
    assert resolve_output_dir("hello", {}, "mine", tmp_path) == tmp_path / "mine"


def test_default_output_dir_is_stem_then_council_and_year(tmp_path):
    target = resolve_output_dir("sotn", {"council": "E06000017", "year": "2024/25"}, None, tmp_path)
    assert target == tmp_path / "sotn" / "E06000017_2024-25"


def test_a_report_folder_name_hashes_every_other_parameter_that_is_not_its_default():
    defaults = {
        "council": "E06000017",
        "year": "2017/18",
        "comparison": "type",
        "data_dir": "",
        "vfm_indicators": ["NI192", "ASC2"],
    }
    assert report_slug(defaults, defaults) == "E06000017_2017-18"
    other_year = report_slug(defaults | {"year": "2016/17"}, defaults)
    assert other_year == "E06000017_2016-17", "council, year, quarter and wave are readable"
    group = report_slug(defaults | {"comparison": "rutland_nearest_15"}, defaults)
    assert re.fullmatch(r"E06000017_2017-18_[0-9a-f]{8}", group)
    data = report_slug(defaults | {"data_dir": "/data/ours"}, defaults)
    indicators = report_slug(defaults | {"vfm_indicators": ["NI192"]}, defaults)
    assert len({group, data, indicators, report_slug(defaults, defaults)}) == 4
    both = defaults | {"comparison": "g", "data_dir": "/d"}
    assert report_slug(both, defaults) == report_slug(dict(reversed(both.items())), defaults)
    assert report_slug(both, defaults).endswith(
        parameters_digest({"comparison": "g", "data_dir": "/d"})
    )


def test_a_value_for_money_run_with_another_comparison_gets_its_own_folder(tmp_path):
    defaults = {"council": "E06000017", "year": "2017/18", "comparison": "type"}
    first = resolve_output_dir("value_for_money", defaults, None, tmp_path, defaults)
    other = resolve_output_dir(
        "value_for_money", defaults | {"comparison": "rutland_nearest_15"}, None, tmp_path, defaults
    )
    assert first == tmp_path / "value_for_money" / "E06000017_2017-18"
    assert other.parent == first.parent and other != first


@pytest.mark.parametrize(
    "values, slug",
    [
        ({"council": "E06000017", "year": "2024/25"}, "E06000017_2024-25"),
        ({"year": 2024}, "2024"),
        ({"council": "", "ratio": 1}, "default"),
        ({"council": "../../etc"}, "etc"),
        ({"council": "E06000017", "year": "2024/25", "quarter": 3}, "E06000017_2024-25_Q3"),
        (
            {"council": "E06000017", "year": "2024/25", "wave": "2024"},
            "E06000017_2024-25_wave-2024",
        ),
    ],
)
def test_report_slug(values, slug):
    assert report_slug(values) == slug


def test_path_parameters_become_absolute_from_the_given_base_and_empty_stays_empty(tmp_path):
    values = {"data_dir": "data", "lookup_file": "x/y.csv", "out_path": "", "council": "data"}
    resolved = resolve_path_parameters(values, base=tmp_path)
    assert resolved == {
        "data_dir": str(tmp_path / "data"),
        "lookup_file": str(tmp_path / "x" / "y.csv"),
        "out_path": "",
        "council": "data",
    }


def _workspace(root: Path, text: str = "") -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    (root / "perfeval.toml").write_text("[workspace]\n" + text)
    return read_workspace(root / "perfeval.toml")


def test_notebook_is_found_by_name_in_the_workspace_then_among_the_built_in_ones(tmp_path):
    ws = _workspace(tmp_path)
    (tmp_path / "notebooks").mkdir()
    nbformat.write(new_notebook(), tmp_path / "notebooks" / "annual.ipynb")
    assert resolve_notebook("annual", ws) == tmp_path / "notebooks" / "annual.ipynb"
    assert resolve_notebook("annual.ipynb", ws) == tmp_path / "notebooks" / "annual.ipynb"
    built_in = (paths.BUNDLED_NOTEBOOKS_DIR / "state_of_the_nation.ipynb").resolve()
    assert resolve_notebook("state_of_the_nation", ws) == built_in
    assert resolve_notebook("state_of_the_nation") == built_in
    assert notebook_origin(built_in, ws) == "built-in"
    assert notebook_origin(tmp_path / "notebooks" / "annual.ipynb", ws) == "workspace"
    with pytest.raises(
        ParameterError,
        match="'anual' not found.*workspace notebooks in "
        ".*: annual; built-in notebooks in .*: "
        "action_plan_review, end_of_year_review",
    ):
        resolve_notebook("anual", ws)
    nbformat.write(new_notebook(), tmp_path / "notebooks" / "state_of_the_nation.ipynb")
    assert (
        resolve_notebook("state_of_the_nation", ws)
        == tmp_path / "notebooks" / "state_of_the_nation.ipynb"
    ), "the workspace's comes first"


def test_without_an_outputs_root_a_run_needs_a_workspace(tmp_path, monkeypatch, no_kernel):
    monkeypatch.delenv("PERFEVAL_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParameterError, match="no perfeval workspace in .*perfeval init DIR"):
        run_report(HELLO, {})
    assert list(tmp_path.iterdir()) == []


def test_a_run_in_a_workspace_publishes_in_its_outputs_with_its_defaults(
    tmp_path, fake_kernel, monkeypatch
):
    _write_values(tmp_path / "ws" / "data")
    ws = _workspace(tmp_path / "ws", 'data = "data"\noutputs = "reports"\n')
    result = run_report(HELLO, {"year": 2030}, workspace=ws)
    assert result.output_dir == tmp_path / "ws" / "reports" / "hello" / "2030"
    assert result.manifest["parameters"]["data_dir"] == str(tmp_path / "ws" / "data")
    monkeypatch.chdir(tmp_path / "ws")
    found = run_report(HELLO, {"year": 2031})  # the workspace of the current folder
    assert found.output_dir == tmp_path / "ws" / "reports" / "hello" / "2031"


# -- publication: layout, manifest, safe replacement ----------------------------------------------


def test_run_writes_report_folder_and_manifest(tmp_path, fake_kernel, monkeypatch):
    data = _write_values(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    result = run_report(HELLO, {"data_dir": "data", "year": "2030"}, outputs_root="outputs")
    folder = tmp_path / "outputs" / "hello" / f"2030_{parameters_digest({'data_dir': str(data)})}"
    assert result.output_dir == folder, "the data folder is not hello's default: it is hashed"
    assert sorted(p.name for p in folder.iterdir()) == [
        "hello.html",
        "hello.ipynb",
        "hello.ods",
        "hello.xlsx",
        "manifest.json",
    ]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["parameters"]["data_dir"] == str(data)
    assert manifest["parameters"]["year"] == 2030
    assert manifest["notebook"] == {"path": str(HELLO), "sha256": sha256_file(HELLO)}
    assert manifest["inputs"] == {"data_dir": str(data)}
    assert manifest["input_files"] == {
        "data_dir/values.csv": hashlib.sha256((data / "values.csv").read_bytes()).hexdigest()
    }
    assert manifest["key_figures"]["total"]["value"] == 3.5
    assert manifest["report_files"]["hello.html"] == sha256_file(folder / "hello.html")
    assert manifest["duration_seconds"] >= 0 and manifest["started"] <= manifest["finished"]
    assert _leftovers(tmp_path / "outputs") == []


def test_a_new_run_replaces_the_previous_report(tmp_path, fake_kernel):
    data = _write_values(tmp_path / "data")
    first = run_report(HELLO, {"data_dir": str(data)}, outputs_root=tmp_path / "out")
    _write_values(data, "A,10\n")
    second = run_report(HELLO, {"data_dir": str(data)}, outputs_root=tmp_path / "out")
    assert second.output_dir == first.output_dir
    assert json.loads(second.manifest_path.read_text())["key_figures"]["total"]["value"] == 10.0
    assert _leftovers(tmp_path / "out") == []


def test_interrupted_run_keeps_previous_report_and_partial_notebook(
    tmp_path, fake_kernel, monkeypatch
):
    data = _write_values(tmp_path / "data")
    root = tmp_path / "out"
    previous = run_report(HELLO, {"data_dir": str(data)}, outputs_root=root)
    before = {p.name: p.read_bytes() for p in previous.output_dir.iterdir()}

    def interrupted(source, output, values, progress, kernel):
        nbformat.write(nbformat.read(source, as_version=4), output)
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "_execute_notebook", interrupted)
    with pytest.raises(KeyboardInterrupt, match="partial notebook is kept at .*_failed"):
        run_report(HELLO, {"data_dir": str(data)}, outputs_root=root)
    assert {p.name: p.read_bytes() for p in previous.output_dir.iterdir()} == before
    assert len(list((root / "_failed").glob("hello-*.ipynb"))) == 1
    assert _leftovers(root) == []


def test_publication_failure_keeps_the_executed_notebook_and_the_previous_report(
    tmp_path, fake_kernel, monkeypatch
):
    data = _write_values(tmp_path / "data")
    root = tmp_path / "out"
    previous = run_report(HELLO, {"data_dir": str(data)}, outputs_root=root)
    before = previous.manifest_path.read_bytes()

    def twice(source, output, values, progress, kernel):
        nb = nbformat.read(source, as_version=4)
        nb.cells[-2].outputs = [
            new_output("display_data", data={KEY_FIGURE_MIME: key_figure_payload("total", n)})
            for n in (1, 2)
        ]
        nbformat.write(nb, output)

    monkeypatch.setattr(runner, "_execute_notebook", twice)
    with pytest.raises(RunError, match="'total' is recorded twice") as caught:
        run_report(HELLO, {"data_dir": str(data)}, outputs_root=root)
    assert Path(caught.value.failed_notebook).parent == root / "_failed"
    assert previous.manifest_path.read_bytes() == before and _leftovers(root) == []


def test_verify_reports_changed_inputs_and_figures(tmp_path, fake_kernel):
    data = _write_values(tmp_path / "data")
    published = run_report(HELLO, {"data_dir": str(data)}, outputs_root=tmp_path / "out")
    trusted = {"notebooks_dir": NOTEBOOKS, "workspace": tmp_path}  # tests/notebooks: notebooks/
    assert verify_report(published.manifest_path, **trusted).ok
    _write_values(data, "A,1.5\nB,2.5\n")
    (data / "extra.csv").write_text("x\n")
    result = verify_report(published.manifest_path, **trusted)
    assert not result.ok
    assert result.input_changes[0].startswith("data_dir/values.csv: changed")
    assert result.input_changes[1] == "data_dir/extra.csv: added"
    assert result.figure_differences == ["total: published 3.5, re-run 4.0"]
    assert "data_dir/values.csv: changed" in result.summary()
    assert json.loads(published.manifest_path.read_text())["key_figures"]["total"]["value"] == 3.5


def test_verify_rejects_a_file_that_is_not_a_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text("[1, 2]")
    with pytest.raises(VerificationError, match="not a readable perfeval manifest"):
        verify_report(tmp_path / "manifest.json")


# -- HTML export ----------------------------------------------------------------------------------


def _executed_notebook():
    code = new_code_cell("record('x', 1)\nsecret_code_marker = 1", execution_count=3)
    code.outputs = [
        new_output("stream", name="stderr", text="SECRET-STDERR warning\n"),
        new_output("stream", name="stdout", text="visible stdout\n"),
        new_output("display_data", data={KEY_FIGURE_MIME: key_figure_payload("x", 12345.678)}),
        new_output(
            "display_data", data={"application/javascript": "alert(1)", "text/plain": "js fallback"}
        ),
        new_output("display_data", data={"text/html": "<b>ok</b><script>alert(2)</script>"}),
        new_output(
            "execute_result",
            data={"text/html": pd.DataFrame({"v": [1.5]}).to_html()},
            execution_count=3,
        ),
    ]
    removed = new_code_cell("print('gone')")
    removed.metadata["tags"] = ["remove-cell"]
    removed.outputs = [new_output("stream", name="stdout", text="REMOVED-CELL\n")]
    return new_notebook(
        cells=[new_markdown_cell("Intro\n\n# The **State** of the Nation\n"), code, removed]
    )


def test_html_is_self_contained_and_shows_no_code_stderr_or_key_figure_data():
    html = export_html(
        _executed_notebook(),
        notebook_name="sotn.ipynb",
        parameters={"year": "2024/25", "data_dir": "/secret/path"},
    )
    assert '<html lang="en-GB">' in html and '<meta charset="utf-8"' in html
    assert "<title>The State of the Nation</title>" in html and "<main" in html
    assert "<script" not in html.lower() and "alert(" not in html
    assert "SECRET-STDERR" not in html and "secret_code_marker" not in html
    assert KEY_FIGURE_MIME not in html and "12345.678" not in html
    assert "In&nbsp;[" not in html and "REMOVED-CELL" not in html
    assert "visible stdout" in html and "<b>ok</b>" in html and "<table" in html
    assert "http://" not in html and "https://" not in html and "<link" not in html
    assert "2024/25" in html and "/secret/path" not in html
    assert "@page { size: A4" in html


def test_parameter_values_are_escaped_in_the_footer():
    html = export_html(
        new_notebook(cells=[new_markdown_cell("# T")]),
        notebook_name="t.ipynb",
        parameters={"name": "<script>alert(1)</script>"},
    )
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_export_refuses_an_image_from_the_internet():
    nb = new_notebook(cells=[new_markdown_cell("# T\n\n![logo](https://example.org/logo.png)")])
    with pytest.raises(RunError, match="would load https://example.org/logo.png"):
        export_html(nb, notebook_name="t.ipynb", parameters={})


# -- key figures and provenance -------------------------------------------------------------------


def test_key_figure_payload_is_json_safe():
    frame = pd.DataFrame(
        {"rate": [np.float64(41.2), np.nan], "n": np.array([3, 4])},
        index=pd.Index(["E06000017", "E07000026"], name="council"),
    )
    table = key_figure_payload("t", frame, "Rates by council")
    assert table == {
        "name": "t",
        "kind": "table",
        "description": "Rates by council",
        "value": {
            "columns": ["rate", "n"],
            "index": ["E06000017", "E07000026"],
            "data": [[41.2, 3], [None, 4]],
        },
    }
    json.dumps(table, allow_nan=False)
    assert "index" not in key_figure_payload("t", pd.DataFrame({"a": [1]}))["value"]
    assert key_figure_payload("n", np.int64(7))["value"] == 7
    assert key_figure_payload("n", np.float64("nan"))["kind"] == "missing"
    assert key_figure_payload("b", np.bool_(True))["value"] is True


def test_record_checks_its_arguments_and_is_silent_outside_a_kernel(capsys):
    assert record("ok", 1.5) is None
    assert capsys.readouterr() == ("", "")
    with pytest.raises(RecordError, match="cannot record a value of type object"):
        record("bad", object())
    with pytest.raises(RecordError, match="non-empty string name"):
        record("", 1)


def test_duplicate_key_figure_names_are_an_error_naming_both_cells():
    cells = [new_code_cell("a"), new_code_cell("b")]
    for cell in cells:
        cell.outputs = [
            new_output("display_data", data={KEY_FIGURE_MIME: key_figure_payload("same", 1)})
        ]
    with pytest.raises(RunError, match="'same' is recorded twice \\(cells 0 and 1\\)"):
        collect_key_figures(new_notebook(cells=cells))


def test_compare_key_figures_is_exact_and_names_table_cells():
    table = {
        "kind": "table",
        "value": {"columns": ["v"], "index": ["A", "B"], "data": [[1.0], [2.0]]},
    }
    changed = {
        "kind": "table",
        "value": {"columns": ["v"], "index": ["A", "B"], "data": [[1.0], [2.0000000001]]},
    }
    assert compare_key_figures({"t": table}, {"t": table}) == []
    assert compare_key_figures({"t": table}, {"t": changed}) == [
        "t: row 'B', column 'v': published 2.0, re-run 2.0000000001"
    ]
    assert compare_key_figures(
        {"n": {"kind": "number", "value": 1}}, {"n": {"kind": "number", "value": 1.0}}
    ) == ["n: published 1, re-run 1.0"]
    assert compare_key_figures({"a": table}, {"b": table}) == [
        "a: missing from the re-run",
        "b: new in the re-run",
    ]


def test_hash_inputs_is_sorted_relative_and_skips_hidden_files(tmp_path):
    (tmp_path / "b.csv").write_text("b")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.csv").write_text("a")
    (tmp_path / ".cache").write_text("x")
    hashes = hash_inputs(tmp_path)
    assert list(hashes) == ["b.csv", "sub/a.csv"]
    assert hashes["b.csv"] == hashlib.sha256(b"b").hexdigest()


def test_git_state_is_none_outside_a_checkout_or_without_git(tmp_path, monkeypatch):
    assert git_state(tmp_path) is None
    monkeypatch.setenv("PATH", str(tmp_path))
    assert git_state(REPO) is None


def test_package_versions_include_python_and_the_analysis_stack():
    versions = package_versions()
    assert versions["python"].count(".") == 2
    assert versions["pandas"] == pd.__version__ and versions["numpy"] == np.__version__


# -- real kernel ----------------------------------------------------------------------------------

HOSTILE = "\"; import os; os.system('touch {marker}') #\nline two \\\" ''' \"\"\" \\n end"


@pytest.fixture(scope="module")
def hello_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hello")
    _write_values(tmp / "data")
    marker = tmp / "pwned"
    message = HOSTILE.format(marker=marker)
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        result = run_report(
            HELLO,
            {"data_dir": "data", "name": "Rutland", "year": "2030", "message": message},
            outputs_root=tmp / "outputs",
        )
    finally:
        os.chdir(cwd)
    return tmp, result, message, marker


@pytest.mark.notebook
def test_real_run_manifest_has_key_figures_and_coerced_parameters(hello_run):
    tmp, result, _, _ = hello_run
    manifest = json.loads(result.manifest_path.read_text())
    changed = {name: manifest["parameters"][name] for name in ("data_dir", "name", "message")}
    assert result.output_dir == tmp / "outputs" / "hello" / f"2030_{parameters_digest(changed)}"
    assert manifest["parameters"]["data_dir"] == str(tmp / "data")
    figures = manifest["key_figures"]
    assert figures["total"] == {
        "kind": "number",
        "value": 3.5,
        "description": "Sum of values.csv",
        "cell": 5,
    }
    assert figures["table"]["value"] == {
        "columns": ["value"],
        "index": ["A", "B"],
        "data": [[1.5], [2.0]],
    }
    assert figures["year_type"]["value"] == "int", "the kernel received year as an int"
    git = manifest["git"]
    assert git is None or (len(git["commit"]) == 40 and isinstance(git["dirty"], bool))
    assert manifest["versions"]["papermill"] and manifest["perfeval_version"]


@pytest.mark.notebook
def test_a_real_run_leaves_no_kernel_running(hello_run):
    import psutil

    assert [
        p for p in psutil.Process().children(recursive=True) if "ipykernel" in " ".join(p.cmdline())
    ] == []


@pytest.mark.notebook
def test_hostile_parameter_string_arrives_verbatim_and_runs_nothing(hello_run):
    _, result, message, marker = hello_run
    assert result.key_figures["message"]["value"] == message
    assert not marker.exists()


@pytest.mark.notebook
def test_real_html_report_hides_code_stderr_and_key_figures(hello_run):
    _, result, _, _ = hello_run
    html = result.html.read_text()
    assert "<title>Hello test report</title>" in html and 'lang="en-GB"' in html
    assert "Hello Rutland, 2030" in html and "<table" in html
    assert "<script" not in html.lower() and "SECRET-STDERR-TEXT" not in html
    assert "validate_notebook_namespace" not in html and KEY_FIGURE_MIME not in html
    assert "Sum of values.csv" not in html


@pytest.mark.notebook
def test_verify_passes_on_a_fresh_report_and_names_a_changed_data_file(hello_run):
    tmp, result, _, _ = hello_run
    trusted = {"notebooks_dir": NOTEBOOKS, "workspace": tmp}  # tests/notebooks plays notebooks/
    assert verify_report(result.manifest_path, **trusted).ok
    values = tmp / "data" / "values.csv"
    original = values.read_text()
    try:
        values.write_text("area,value\nA,1.5\nB,2.25\n")
        changed = verify_report(result.manifest_path, **trusted)
    finally:
        values.write_text(original)
    assert not changed.ok
    assert [c.split(":")[0] for c in changed.input_changes] == ["data_dir/values.csv"]
    assert "total: published 3.5, re-run 3.75" in changed.figure_differences
    assert (
        "table: row 'B', column 'value': published 2.0, re-run 2.25" in changed.figure_differences
    )


@pytest.mark.notebook
def test_failed_run_keeps_previous_report_and_names_the_cell(tmp_path):
    root = tmp_path / "outputs"
    good = run_report(BROKEN, {"fail": False}, outputs_root=root)
    before = {p.name: p.read_bytes() for p in good.output_dir.iterdir()}
    with pytest.raises(RunError) as caught:
        run_report(BROKEN, {"fail": True}, outputs_root=root)
    error = caught.value
    assert error.cell_index == 4
    assert "broken.ipynb failed in cell 4" in str(error) and "'if fail:'" in str(error)
    assert "ValueError: deliberate failure for the test" in str(error)
    failed = Path(error.failed_notebook)
    assert failed.parent == root / "_failed" and failed.name.startswith("broken-")
    assert "deliberate failure" in failed.read_text()
    assert {p.name: p.read_bytes() for p in good.output_dir.iterdir()} == before
    assert _leftovers(root) == []


@pytest.mark.notebook
def test_sigterm_during_a_run_leaves_the_previous_report_intact(tmp_path):
    root = tmp_path / "outputs"
    previous = run_report(SLEEPY, {"seconds": 0}, outputs_root=root)
    before = {p.name: p.read_bytes() for p in previous.output_dir.iterdir()}
    marker = tmp_path / "sleeping"
    command = [
        str(Path(sys.executable).parent / "perfeval"),
        "run",
        str(SLEEPY),
        "-p",
        "seconds",
        "120",
        "-p",
        "marker_file",
        str(marker),
        "--outputs-root",
        str(root),
        "--no-progress",
    ]
    env = {**os.environ, "PATH": "/usr/bin:/bin"}  # the venv is not activated
    proc = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 90
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the notebook never started sleeping"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "interrupted (run stopped by SIGTERM; the partial notebook is kept at" in stderr
    assert "Any previous report was left unchanged." in stderr
    assert {p.name: p.read_bytes() for p in previous.output_dir.iterdir()} == before
    (kept,) = (root / "_failed").glob("sleepy-*.ipynb")
    status = {
        cell.source.splitlines()[-1]: cell.metadata.papermill.status
        for cell in nbformat.read(kept, as_version=4).cells
        if cell.cell_type == "code"
    }
    # saved as it stood when stopped (not as at the last periodic save): validation done
    assert status['params = validate_notebook_namespace("sleepy", globals())'] == "completed"
    assert _leftovers(root) == []


@pytest.mark.notebook
def test_plain_papermill_run_with_a_misspelt_parameter_fails_in_the_validation_cell(tmp_path):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as caught:
        papermill.execute_notebook(
            str(HELLO),
            str(tmp_path / "out.ipynb"),
            parameters={"yera": 2024},
            kernel_name="python3",
            cwd=str(NOTEBOOKS),
            progress_bar=False,
        )
    assert caught.value.ename == "ParameterError"
    assert "unknown parameter 'yera' (did you mean 'year'?)" in caught.value.evalue


def test_a_kernel_that_cannot_start_is_a_run_error_naming_the_fix(tmp_path, monkeypatch):
    from perfeval.run import kernels

    monkeypatch.setattr(runner, "KERNEL_NAME", "no_such_kernel")
    monkeypatch.setattr(kernels, "KERNEL_NAME", "no_such_kernel")
    with pytest.raises(
        RunError,
        match="could not start the no_such_kernel kernel for "
        "hello.ipynb: NoSuchKernel: .*check that ipykernel is "
        "installed",
    ):
        run_report(
            HELLO,
            {"data_dir": str(_write_values(tmp_path / "data"))},
            outputs_root=tmp_path / "out",
        )
    assert _written(tmp_path / "out") == [".locks"] and kernels._ALL == []


# -- the dataset loaded once per run ---------------------------------------------------------------

LOADS = NOTEBOOKS / "dataset" / "loads.ipynb"


def test_the_kernel_uses_the_dataset_the_run_loaded_instead_of_parsing_the_csv_files(tmp_path):
    data_dir = minimal_folder(tmp_path)
    result = run_report(LOADS, {"data_dir": str(data_dir)}, outputs_root=tmp_path / "out")
    assert result.key_figures["parses"]["value"] == 0, "parsed once, by the runner, not again"
    assert result.key_figures["indicators"]["value"] == len(load_dataset(data_dir).indicators)
    assert not list((tmp_path / "out").rglob("*.pickle")), "the handed-over file is gone"


def test_without_the_hand_over_the_kernel_parses_the_csv_files(tmp_path, monkeypatch):
    """The control for the test above: its notebook does count the parses."""
    monkeypatch.setattr(runner, "_offer_dataset", lambda *args: contextlib.nullcontext())
    data_dir = minimal_folder(tmp_path)
    result = run_report(LOADS, {"data_dir": str(data_dir)}, outputs_root=tmp_path / "out")
    assert result.key_figures["parses"]["value"] >= 1


def test_the_warm_kernel_engine_is_registered_once_through_papermills_public_registry():
    from papermill.engines import papermill_engines

    from perfeval.run import kernels

    kernels._register_engine()
    engine = papermill_engines.get_engine(kernels.ENGINE_NAME)
    kernels._register_engine()
    assert papermill_engines.get_engine(kernels.ENGINE_NAME) is engine
    assert engine.__name__ == "WarmKernelEngine"
