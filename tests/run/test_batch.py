"""Tests of perfeval.run.batch and perfeval.run.kernels.

Planning is tested without a kernel. The tests marked ``notebook`` run real kernels: the tiny
``hello`` notebook of tests/notebooks/ for the batch mechanics (failures, summary, index, no kernel
left behind, the Dask executor on a loopback LocalCluster), and the State of the Nation report
for the promise that matters: a report built in a batch, on a reused kernel, has exactly the key
figures and the same outputs as a standalone ``perfeval run``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import psutil
import pytest

from fakes import NoKernel, record_values_total, use_fake_kernels
from perfeval.core.exceptions import ParameterError, RunError
from perfeval.run import batch, kernels
from perfeval.run.batch import expand_over, parse_over, plan_batch, run_batch, run_remote
from perfeval.run.cli import build_parser, main
from perfeval.run.kernels import WarmKernel, notebook_imports, read_notebook_imports
from perfeval.run.parameters import load_folder_schemas
from perfeval.run.runner import report_slug, run_report
from perfeval.run.workspace import read_workspace

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
HELLO = NOTEBOOKS / "hello.ipynb"
load_folder_schemas(NOTEBOOKS)
RUTLAND_GROUP = [
    "E06000017",
    "E06000005",
    "E06000037",
    "E06000046",
    "E06000013",
    "E06000001",
    "E06000003",
    "E06000019",
    "E06000055",
    "E06000040",
    "E06000064",
    "E06000036",
    "E06000012",
    "E06000020",
    "E06000022",
    "E06000008",
]


def batch_sha256(path: Path) -> str:
    from perfeval.run.provenance import sha256_file

    return sha256_file(path)


def _values_dir(folder: Path, rows: str = "A,1.5\nB,2\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "values.csv").write_text("area,value\n" + rows)
    return folder


def _kernel_children() -> list[psutil.Process]:
    return [
        p for p in psutil.Process().children(recursive=True) if "ipykernel" in " ".join(p.cmdline())
    ]


def _outputs(nb_path: Path) -> list:
    """Every code cell's outputs without metadata, object addresses masked."""
    nb = nbformat.read(nb_path, as_version=4)
    text = json.dumps(
        [
            [{k: v for k, v in o.items() if k != "metadata"} for o in c.outputs]
            for c in nb.cells
            if c.cell_type == "code"
        ],
        sort_keys=True,
    )
    return json.loads(re.sub(r" at 0x[0-9a-f]+", " at 0x?", text))


# -- planning (no kernel) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("council=all", ("council", None)),
        ("council=E06000017, E06000005", ("council", ["E06000017", "E06000005"])),
        ("year=2024/25", ("year", ["2024/25"])),
    ],
)
def test_parse_over(text, expected):
    assert parse_over(text) == expected


@pytest.mark.parametrize("text", ["council", "=a,b", "council=", "council=,", "2x=a"])
def test_parse_over_rejects_malformed_options_with_an_example(text):
    with pytest.raises(ParameterError, match="NAME=all or NAME=VALUE1,VALUE2"):
        parse_over(text)


def test_council_all_means_the_comparator_groups_members_in_file_order():
    sets = expand_over("state_of_the_nation", {"year": "2023/24"}, [("council", None)])
    assert [s["council"] for s in sets] == RUTLAND_GROUP
    assert all(s["year"] == "2023/24" for s in sets)


def test_several_over_options_multiply_the_last_varying_fastest():
    sets = expand_over("hello", {"name": "x"}, [("year", ["2021", "2022"]), ("colour", None)])
    assert [(s["year"], s["colour"]) for s in sets] == [
        ("2021", "red"),
        ("2021", "amber"),
        ("2021", "green"),
        ("2022", "red"),
        ("2022", "amber"),
        ("2022", "green"),
    ]


def test_all_needs_a_parameter_with_a_fixed_list_of_values():
    with pytest.raises(ParameterError, match="no fixed list of values"):
        expand_over("hello", {}, [("name", None)])
    with pytest.raises(ParameterError, match="has no parameter 'town'"):
        expand_over("hello", {}, [("town", None)])


def test_plan_takes_each_parameter_file_as_a_base_and_overrides_everywhere(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("year: 2021\nname: first\n")
    second.write_text("year: 2022\nname: second\n")
    sets = plan_batch(HELLO, param_files=[first, second], overrides={"ratio": 0.25})
    assert sets == [
        {"year": 2021, "name": "first", "ratio": 0.25},
        {"year": 2022, "name": "second", "ratio": 0.25},
    ]


def test_plan_gives_reports_that_differ_only_in_another_parameter_their_own_folders():
    # colour is not in the readable part of the folder name: the short hash keeps them apart
    sets = plan_batch(HELLO, over=["colour=red,green"])
    defaults = {"colour": "green", "year": 2024}
    folders = sorted(report_slug(defaults | values, defaults) for values in sets)
    assert len(sets) == 2 and folders[0] == "2024" and folders[1].startswith("2024_")


def test_a_worker_refuses_a_notebook_that_differs_from_the_clients(tmp_path):
    outcome, files = run_remote(
        {"notebook": str(HELLO), "notebook_sha256": "0" * 64, "values": {}, "warmup": ""}
    )
    assert not outcome.ok and files == {}
    assert "differs from the client's" in outcome.error


def test_the_client_refuses_a_report_built_from_other_data(tmp_path):
    data = _values_dir(tmp_path / "data")
    manifest = {"input_files": {"data_dir/values.csv": "f" * 64}}
    problem = batch._data_mismatch({"data_dir": str(data)}, manifest)
    assert "differ from the client's in 1 file(s), first data_dir/values.csv" in problem


def test_batch_arguments_are_checked_before_anything_runs(tmp_path):
    with pytest.raises(ParameterError, match="executor must be one of local, dask"):
        run_batch(HELLO, [{}], outputs_root=tmp_path, executor="spark")
    with pytest.raises(ParameterError, match="workers must be a whole number"):
        run_batch(HELLO, [{}], outputs_root=tmp_path, workers=0)
    with pytest.raises(ParameterError, match="needs the scheduler's address"):
        run_batch(HELLO, [{}], outputs_root=tmp_path, executor="dask")


# -- the Word document: --docx, --no-docx and the workspace's default (fake kernels) ----------


class ResettableNoKernel(NoKernel):
    """A batch worker's warm kernel stand-in: a batch resets its kernel before each report."""

    def __init__(self) -> None:
        super().__init__()
        self.resets = 0

    def is_alive(self) -> bool:
        return True

    def reset(self, cwd=None) -> None:
        self.resets += 1


@pytest.fixture
def fake_batch_kernels(monkeypatch):
    """Batches whose workers 'run' a notebook by recording the sum of its data as key figure
    ``total`` (:func:`fakes.record_values_total`), with no kernel process."""
    use_fake_kernels(monkeypatch, record_values_total)
    workers: list[ResettableNoKernel] = []

    def thread_kernel(cwd, warmup=""):
        workers.append(ResettableNoKernel())
        return workers[-1]

    monkeypatch.setattr(kernels, "thread_kernel", thread_kernel)
    monkeypatch.setattr(kernels, "discard_thread_kernel", lambda: None)
    return workers


def _docx_workspace(folder: Path, default: bool):
    """A workspace whose perfeval.toml says ``[outputs] docx = <default>``."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "perfeval.toml"
    config.write_text(f'[workspace]\ndata = ""\n[outputs]\ndocx = {str(default).lower()}\n')
    return read_workspace(config)


def _words(result) -> list[bool]:
    return [(Path(o.output_dir) / "hello.docx").is_file() for o in result.outcomes]


@pytest.mark.parametrize(
    "default, asked, written",
    [(True, None, True), (True, False, False), (False, None, False), (False, True, True)],
)
def test_batch_writes_word_documents_as_asked_else_as_the_workspace_says(
    tmp_path, fake_batch_kernels, default, asked, written
):
    workspace = _docx_workspace(tmp_path / "ws", default)
    data = _values_dir(tmp_path / "data")
    sets = [{"year": year, "data_dir": str(data)} for year in (2021, 2022)]
    result = run_batch(HELLO, sets, workspace=workspace, docx=asked, workers=1, progress=False)
    assert result.ok, result.summary()
    assert _words(result) == [written, written]
    assert all(Path(o.output_dir).is_relative_to(workspace.outputs_dir) for o in result.outcomes)
    assert len(fake_batch_kernels) == 2 and all(k.resets == 1 for k in fake_batch_kernels)


def test_batch_refuses_a_docx_that_is_not_true_or_false_before_anything_runs(
    tmp_path, fake_batch_kernels
):
    with pytest.raises(ParameterError, match="docx: expected True or False"):
        run_batch(HELLO, [{}], outputs_root=tmp_path / "out", docx="yes", progress=False)
    assert fake_batch_kernels == [] and not (tmp_path / "out").exists()


def test_cli_batch_docx_flag_defaults_to_the_workspace():
    parser = build_parser()
    assert parser.parse_args(["batch", "x"]).docx is None
    assert parser.parse_args(["batch", "x", "--docx"]).docx is True
    assert parser.parse_args(["batch", "x", "--no-docx"]).docx is False


def test_cli_batch_no_docx_overrides_the_workspace_and_docx_writes_them(
    tmp_path, fake_batch_kernels, capsys
):
    _docx_workspace(tmp_path / "ws", True)
    data = _values_dir(tmp_path / "data")
    args = ["--workspace", str(tmp_path / "ws"), "batch", str(HELLO), "-p", "data_dir", str(data)]
    args += ["--workers", "1", "--no-progress"]
    outputs = tmp_path / "ws" / "outputs" / "hello"
    assert main(args + ["--over", "year=2021", "--no-docx"]) == 0
    assert "1 of 1 reports published" in capsys.readouterr().out
    assert not list(outputs.rglob("*.docx")) and list(outputs.rglob("hello.html"))
    assert main(args + ["--over", "year=2022"]) == 0
    assert [p.parent.name[:5] for p in outputs.rglob("*.docx")] == ["2022_"]  # <year>_<hash>


def test_a_dask_worker_writes_the_word_document_the_client_asked_for(tmp_path, fake_batch_kernels):
    data = _values_dir(tmp_path / "data")
    task = {
        "notebook": str(HELLO),
        "values": {"year": 2021, "data_dir": str(data)},
        "warmup": "",
        "notebook_sha256": batch_sha256(HELLO),
    }
    for asked in (True, False):
        outcome, files = run_remote(task | {"docx": asked})
        assert outcome.ok, outcome.error
        assert ("hello.docx" in files) is asked and "hello.html" in files


def test_the_dask_executor_carries_the_docx_choice_to_the_workers(tmp_path, fake_batch_kernels):
    distributed = pytest.importorskip("distributed")
    workspace = _docx_workspace(tmp_path / "ws", True)
    data = _values_dir(tmp_path / "data")
    sets = [{"year": year, "data_dir": str(data)} for year in (2021, 2022)]
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=False,
            protocol="tcp",
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        for asked, written in ((None, True), (False, False)):  # None: the workspace's default
            result = run_batch(
                HELLO,
                sets,
                workspace=workspace,
                executor="dask",
                scheduler=client,
                docx=asked,
                progress=False,
            )
            assert result.ok, result.summary()
            # published from what the workers sent: with False the folders are swapped in anew
            assert _words(result) == [written, written]


def _interrupted_after_two(root: Path):
    """Stand-in for the local executor: one report published, one stopped, then Ctrl+C."""

    def run_local(tasks, workers, done):
        folder = root / "hello" / "2021"
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(
            json.dumps({"notebook": {"path": str(HELLO)}, "parameters": {"year": 2021}})
        )
        done(0, batch.ReportOutcome(tasks[0]["values"], str(folder), None, 1.0, "w"))
        done(1, batch.ReportOutcome(tasks[1]["values"], None, "stopped", 1.0, "w"))
        raise KeyboardInterrupt

    return run_local


def test_an_interrupted_batch_says_what_it_published_and_what_it_did_not_get_to(
    tmp_path, monkeypatch, capsys
):
    root = tmp_path / "out"
    monkeypatch.setattr(batch, "_run_local", _interrupted_after_two(root))
    with pytest.raises(KeyboardInterrupt) as caught:
        run_batch(
            HELLO,
            [{"year": y} for y in (2021, 2022, 2023, 2024)],
            outputs_root=root,
            progress=False,
        )
    assert str(caught.value) == (
        f"batch stopped after 2 of 4 reports; published 1: hello/2021; failed or stopped 1: "
        f"year=2022; not run 2: year=2023, year=2024; the index {root / 'index.html'} lists "
        f"the published ones"
    )
    assert 'href="hello/2021/manifest.json"' in (root / "index.html").read_text()
    shutil.rmtree(root)
    args = [
        "batch",
        str(HELLO),
        "--over",
        "year=2021,2022,2023,2024",
        "--outputs-root",
        str(root),
        "--no-progress",
    ]
    assert main(args) == 130
    err = capsys.readouterr().err
    assert "interrupted (batch stopped after 2 of 4 reports; published 1: hello/2021;" in err


def test_a_long_interruption_report_is_cut_short():
    root = Path("/out")
    outcomes = [batch.ReportOutcome({}, f"/out/r/{n}", None, 0, "w") for n in range(35)]
    text = batch.interruption_report(
        outcomes + [None], [{"values": {}}] * 36, root, None, "stopped"
    )
    assert (
        "published 35: r/0, r/1," in text
        and "r/29 and 5 more; failed or stopped 0; "
        "not run 1: (defaults); the index /out/index.html could not be updated"
        in text
    )


def test_notebook_imports_are_the_top_level_imports_of_code_cells():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("import os\nx = 1\nfrom a.b import c as d\n"),
            nbformat.v4.new_code_cell("%matplotlib inline\nimport never"),
            nbformat.v4.new_markdown_cell("import markdown"),
            nbformat.v4.new_code_cell("def f():\n    import inner\nimport os"),
        ]
    )
    assert notebook_imports(nb) == "import os\nfrom a.b import c as d"


def test_notebook_imports_read_from_the_file_as_plain_json(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os\nimport sys\n")])
    nbformat.write(nb, tmp_path / "n.ipynb")
    assert (
        read_notebook_imports(tmp_path / "n.ipynb")
        == notebook_imports(nb)
        == "import os\nimport sys"
    )


# -- real kernels ---------------------------------------------------------------------------------


@pytest.mark.notebook
def test_a_reset_gives_the_next_report_a_fresh_kernel_state(tmp_path):
    with WarmKernel(tmp_path, "import matplotlib") as kernel:
        kernel.run_code(
            "import matplotlib, warnings\nleft_over = 1\n"
            "matplotlib.rcParams['lines.linewidth'] = 9\n"
            "import os; os.chdir('/')"
        )
        kernel.reset()
        kernel.run_code(
            f"import os, matplotlib\n"
            f"assert 'left_over' not in globals()\n"
            f"assert matplotlib.rcParams['lines.linewidth'] != 9\n"
            f"assert os.getcwd() == {str(tmp_path.resolve())!r}\n"
            f"assert get_ipython().execution_count == 1"
        )
        with pytest.raises(RunError, match="NameError: name 'left_over' is not defined"):
            kernel.run_code("left_over")
        pid = kernel.pid
        assert psutil.pid_exists(pid)
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


@pytest.mark.notebook
def test_a_launched_kernel_imports_while_starting_without_defining_names(tmp_path):
    kernel = WarmKernel(tmp_path, "import json as preloaded\nimport not_a_module_at_all")
    try:
        kernel.launch().ready()
        kernel.run_code(
            "import sys\n"
            "assert 'json' in sys.modules and 'preloaded' not in globals()\n"
            "from perfeval import kernels\n"
            "assert 'not_a_module_at_all' in kernels._SNAPSHOT['preload_error']\n"
            "assert get_ipython().execution_count == 1"
        )
        pid = kernel.pid
        stopping = kernel.shutdown_in_background()
    finally:
        kernel.shutdown()
    assert not stopping.is_alive()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


@pytest.mark.notebook
def test_batch_goes_on_past_a_failed_report_and_summarises(tmp_path):
    good, empty = _values_dir(tmp_path / "good"), tmp_path / "empty"
    empty.mkdir()
    sets = [
        {"year": 2021, "data_dir": str(good), "name": "one"},
        {"year": 2022, "data_dir": str(empty)},
        {"year": 2023, "data_dir": str(good), "name": "three"},
    ]
    result = run_batch(HELLO, sets, outputs_root=tmp_path / "out", workers=2, progress=False)
    assert [o.ok for o in result.outcomes] == [True, False, True]
    assert "FileNotFoundError" in result.failed[0].error
    assert result.summary().startswith("2 of 3 reports published, 1 failed")
    assert "FAILED year=2022" in result.summary()
    for outcome, values in zip(result.outcomes[::2], sets[::2]):
        manifest = json.loads((Path(outcome.output_dir) / "manifest.json").read_text())
        alone = run_report(HELLO, values, outputs_root=tmp_path / "alone", progress=False)
        assert manifest["key_figures"] == alone.key_figures
        assert _outputs(Path(outcome.output_dir) / "hello.ipynb") == _outputs(alone.notebook)
    assert result.index == (tmp_path / "out" / "index.html")
    assert result.index.is_file()
    assert _kernel_children() == []


@pytest.mark.notebook
def test_cli_batch_exit_status_says_whether_every_report_was_published(tmp_path, capsys):
    good = _values_dir(tmp_path / "good")
    args = [
        "batch",
        str(HELLO),
        "-p",
        "data_dir",
        str(good),
        "--outputs-root",
        str(tmp_path / "out"),
        "--workers",
        "1",
        "--no-progress",
    ]
    assert main(args + ["--over", "year=2021,2022"]) == 0
    assert "2 of 2 reports published, 0 failed" in capsys.readouterr().out
    assert main(args + ["--over", "year=2021,1999"]) == 1
    out = capsys.readouterr().out
    assert "1 of 2 reports published, 1 failed" in out and "1999" in out
    assert main(args + ["--over", "year"]) == 2


@pytest.mark.notebook
def test_dask_executor_gathers_reports_from_a_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    good = _values_dir(tmp_path / "good")
    sets = [{"year": year, "data_dir": str(good)} for year in (2021, 2022, 2023)]
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            protocol="tcp",
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = run_batch(
            HELLO,
            sets,
            outputs_root=tmp_path / "out",
            executor="dask",
            scheduler=client,
            progress=False,
        )
    assert result.ok, result.summary()
    alone = run_report(HELLO, sets[0], outputs_root=tmp_path / "alone", progress=False)
    folders = []
    for outcome, year in zip(result.outcomes, (2021, 2022, 2023)):
        folder = Path(outcome.output_dir)  # <year>_<hash of data_dir>: not the default data
        assert folder.parent == (tmp_path / "out" / "hello").resolve()
        assert folder.name.startswith(f"{year}_")
        assert {p.name for p in folder.iterdir()} >= {"hello.ipynb", "hello.html", "manifest.json"}
        folders.append(folder)
    manifest = json.loads((folders[0] / "manifest.json").read_text())
    assert manifest["key_figures"] == alone.key_figures
    assert _kernel_children() == []


@pytest.mark.notebook
def test_state_of_the_nation_in_a_batch_equals_standalone_runs(tmp_path):
    """Two councils on one reused kernel: the second report runs after the first on the same
    kernel, and both match standalone runs exactly."""
    sets = plan_batch("state_of_the_nation", over=["council=E06000005,E06000017"])
    result = run_batch(
        "state_of_the_nation", sets, outputs_root=tmp_path / "batch", workers=1, progress=False
    )
    assert result.ok, result.summary()
    assert len({o.worker for o in result.outcomes}) == 1
    for outcome, values in zip(result.outcomes, sets):
        alone = run_report(
            "state_of_the_nation", values, outputs_root=tmp_path / "alone", progress=False
        )
        folder = Path(outcome.output_dir)
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["key_figures"] == alone.key_figures
        assert _outputs(folder / "state_of_the_nation.ipynb") == _outputs(alone.notebook)
