"""Tests of a council's workspace: perfeval.toml, finding it, its defaults, perfeval init and
perfeval new, and the column documentation that init and docs/data-model.md share.

Fast tests need no kernel; the one marked ``notebook`` runs ``perfeval new``, ``perfeval run``
and ``perfeval verify`` on a real kernel in a workspace on the bundled sample data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from fakes import use_fake_kernels
from perfeval.core import paths
from perfeval.core.exceptions import ParameterError
from perfeval.data import columns
from perfeval.data.loader import SPECS, load_dataset
from perfeval.run.batch import plan_batch, run_batch
from perfeval.run.checkdata import check_data, describe_check
from perfeval.run.cli import main
from perfeval.run.parameters import (
    get_schema,
    load_notebook_schema,
    load_parameter_file,
    schema_from_metadata,
    validate_parameters,
)
from perfeval.run.provenance import KEY_FIGURE_MIME, key_figure_payload
from perfeval.run.runner import (
    parameters_digest,
    report_slug,
    resolve_path_parameters,
    run_defaults,
)
from perfeval.run.scaffold import init_workspace, new_notebook
from perfeval.run.workspace import (
    CONFIG_FILE,
    ENV_VARIABLE,
    MAX_CONFIG_BYTES,
    find_workspace,
    gather_parameters,
    locate_workspace,
    read_workspace,
    resolve_notebook_in,
)

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "tests" / "notebooks"


@pytest.fixture(autouse=True)
def no_workspace_from_the_environment(monkeypatch):
    monkeypatch.delenv(ENV_VARIABLE, raising=False)


def _config(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_FILE).write_text(text, encoding="utf-8")
    return folder / CONFIG_FILE


# -- perfeval.toml --------------------------------------------------------------------------------


def test_a_config_is_read_with_paths_relative_to_its_folder(tmp_path):
    config = _config(
        tmp_path / "ws",
        '[workspace]\ncouncil = "E07000133"\n'
        'comparator_group = "melton_nearest_15"\n'
        'data = "../shared/data"\noutputs = "reports"\n',
    )
    ws = read_workspace(config)
    assert ws.root == tmp_path / "ws" and ws.config_file == config
    assert (ws.council, ws.comparator_group) == ("E07000133", "melton_nearest_15")
    assert ws.data_dir == tmp_path / "shared" / "data"
    assert ws.outputs_dir == tmp_path / "ws" / "reports"
    assert ws.notebooks_dir == tmp_path / "ws" / "notebooks"  # the defaults of the other keys
    assert ws.params_dir == tmp_path / "ws" / "params"
    assert ws.defaults() == {
        "council": "E07000133",
        "comparator_group": "melton_nearest_15",
        "data_dir": str(tmp_path / "shared" / "data"),
    }


def test_empty_data_means_the_bundled_sample_and_blank_council_sets_no_default(tmp_path):
    ws = read_workspace(_config(tmp_path, '[workspace]\ncouncil = ""\ndata = ""\n'))
    assert ws.data_dir is None and ws.defaults() == {"data_dir": ""}


def test_every_problem_of_a_config_is_named_with_the_file_and_the_key(tmp_path):
    config = _config(
        tmp_path, '[workspace]\ncouncil = "Rutland"\ncomparator_groop = "x"\noutputs = 5\n[extra]\n'
    )
    with pytest.raises(ParameterError) as caught:
        read_workspace(config)
    problems = caught.value.problems
    assert f"{config}: unknown key 'extra' in the file" in problems[0]
    assert any(
        f"{config}: unknown key 'comparator_groop' in [workspace] (did you mean "
        f"'comparator_group'?)" in p
        for p in problems
    )
    assert any(
        f"{config}: [workspace] council = 'Rutland' is not an ONS GSS code" in p for p in problems
    )
    assert any(
        f"{config}: [workspace] outputs must be text in quotes" in p and "got int '5'" in p
        for p in problems
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("[workspace\n", "not valid TOML"),
        ("council = 'E06000017'\n", "no [workspace] table"),
        ('[workspace]\noutputs = "."\n', "outputs is the workspace folder itself"),
        ('[workspace]\noutputs = "data/out"\n', "outputs ("),
        ('[workspace]\ncouncil = "E0600001\\n7"\n', "must be one line"),
        (
            "[workspace]\nx = " + "[" * 20000 + "]" * 20000 + "\n",
            "nests arrays or tables too deeply",
        ),
    ],
)
def test_malformed_configs_are_refused(tmp_path, text, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        read_workspace(_config(tmp_path, text))


def test_a_config_larger_than_the_limit_or_not_utf8_is_refused_unread(tmp_path):
    config = _config(tmp_path, "[workspace]\n")
    config.write_bytes(b"[workspace]\n#" + b"x" * MAX_CONFIG_BYTES)
    with pytest.raises(ParameterError, match="more than 65,536"):
        read_workspace(config)
    config.write_bytes(b'[workspace]\ncouncil = "\xe9"\n')
    with pytest.raises(ParameterError, match="is not UTF-8 text"):
        read_workspace(config)


# -- finding the workspace ------------------------------------------------------------------------


def test_the_workspace_is_found_from_the_current_folder_upwards(tmp_path, monkeypatch):
    _config(tmp_path / "ws", "[workspace]\n")
    deep = tmp_path / "ws" / "notebooks" / "drafts"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_workspace().root == tmp_path / "ws"
    assert find_workspace(start=tmp_path / "ws" / "notebooks").root == tmp_path / "ws"


def test_an_explicit_workspace_or_the_environment_wins_and_must_hold_a_config(
    tmp_path, monkeypatch
):
    _config(tmp_path / "a", "[workspace]\n")
    _config(tmp_path / "b", "[workspace]\n")
    monkeypatch.chdir(tmp_path / "a")
    assert find_workspace(explicit=tmp_path / "b").root == tmp_path / "b"
    assert find_workspace(explicit=tmp_path / "b" / CONFIG_FILE).root == tmp_path / "b"
    monkeypatch.setenv(ENV_VARIABLE, str(tmp_path / "b"))
    assert find_workspace().root == tmp_path / "b"
    with pytest.raises(
        ParameterError, match=f"--workspace '{tmp_path}': no perfeval.toml there; .*perfeval init"
    ):
        find_workspace(explicit=tmp_path)


def test_no_workspace_is_a_clear_error_saying_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert locate_workspace() is None
    with pytest.raises(ParameterError) as caught:
        find_workspace()
    assert caught.value.problems == [
        f"no perfeval workspace in {tmp_path} or any folder above "
        f"it; run `perfeval init DIR` or pass --workspace"
    ]


def test_this_repository_is_itself_a_workspace_on_the_bundled_sample():
    ws = find_workspace(start=REPO / "tests")
    assert ws.root == REPO and ws.data_dir is None
    assert (ws.council, ws.comparator_group) == ("E06000017", "rutland_nearest_15")
    assert ws.outputs_dir == REPO / "outputs"


# -- what a workspace gives a run -----------------------------------------------------------------


def test_parameters_come_from_bundled_file_then_workspace_then_its_file_then_overrides(tmp_path):
    ws = read_workspace(
        _config(
            tmp_path, '[workspace]\ncouncil = "E06000005"\ncomparator_group = "g"\ndata = "mine"\n'
        )
    )
    names = [p.name for p in get_schema("state_of_the_nation")]
    bundled = load_parameter_file(paths.BUNDLED_PARAMS_DIR / "state_of_the_nation.yaml")
    values = gather_parameters("state_of_the_nation", names, ws, overrides={"trend_years": 4})
    assert values == bundled | {
        "council": "E06000005",
        "comparator_group": "g",
        "data_dir": str(tmp_path / "mine"),
        "trend_years": 4,
    }
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "state_of_the_nation.yaml").write_text(
        "year: '2023/24'\ncouncil: E06000017\n"
    )
    own = gather_parameters("state_of_the_nation", names, ws)
    assert own == {
        "council": "E06000017",
        "comparator_group": "g",
        "data_dir": str(tmp_path / "mine"),
        "year": "2023/24",
    }, "the workspace's own file replaces the bundled one and wins over perfeval.toml"
    given = tmp_path / "given.yaml"
    given.write_text("year: '2022/23'\n")
    assert (
        gather_parameters("state_of_the_nation", names, ws, param_file=given)["year"] == "2022/23"
    )
    assert "comparator_group" not in gather_parameters("value_for_money", ["council", "year"], ws)


BUILT_IN = sorted(p.stem for p in paths.BUNDLED_NOTEBOOKS_DIR.glob("*.ipynb"))


@pytest.mark.parametrize("stem", BUILT_IN)
def test_a_built_in_reports_default_run_here_keeps_its_plain_folder_name(stem):
    """``make report`` writes outputs/state_of_the_nation/E06000017_2024-25/: the defaults of
    every built-in report in this repository's workspace add no hash to the folder's name."""
    ws = find_workspace(start=REPO)
    values = gather_parameters(stem, [p.name for p in get_schema(stem)], ws)
    resolved = resolve_path_parameters(validate_parameters(stem, values, data_checks=False))
    assert re.fullmatch(
        r"E06000017_20\d\d-\d\d(-\d\d|_Q\d|_wave-\d{4})?",
        report_slug(resolved, run_defaults(stem, ws)),
    )


def test_a_notebook_name_is_the_workspaces_first_then_the_built_in_one(tmp_path):
    ws = read_workspace(_config(tmp_path, "[workspace]\n"))
    assert resolve_notebook_in("state_of_the_nation", ws) == (
        (paths.BUNDLED_NOTEBOOKS_DIR / "state_of_the_nation.ipynb").resolve(),
        "built-in",
    )
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "notebooks" / "state_of_the_nation.ipynb")
    assert resolve_notebook_in("state_of_the_nation", ws) == (
        tmp_path / "notebooks" / "state_of_the_nation.ipynb",
        "workspace",
    )
    assert resolve_notebook_in("nope", ws) is None


def _fake_execute(source, output, values, progress, kernel):
    """Stand-in for the kernel: the notebook 'runs' by recording its year."""
    nb = nbformat.read(source, as_version=4)
    nb.cells[-2].outputs = [
        nbformat.v4.new_output(
            "display_data", data={KEY_FIGURE_MIME: key_figure_payload("year", values["year"])}
        )
    ]
    nbformat.write(nb, output)


def test_a_batch_in_a_workspace_takes_its_defaults_and_publishes_in_its_outputs(
    tmp_path, monkeypatch
):
    use_fake_kernels(monkeypatch, _fake_execute)
    (tmp_path / "data").mkdir()
    ws = read_workspace(
        _config(tmp_path, f'[workspace]\ndata = "data"\nnotebooks = {json.dumps(str(NOTEBOOKS))}\n')
    )
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "hello.yaml").write_text("name: Melton\n")
    sets = plan_batch("hello", over=["year=2021,2022"], workspace=ws)
    assert sets == [
        {"data_dir": str(tmp_path / "data"), "name": "Melton", "year": "2021"},
        {"data_dir": str(tmp_path / "data"), "name": "Melton", "year": "2022"},
    ]
    result = run_batch("hello", sets, workers=1, progress=False, workspace=ws)
    assert result.ok, result.summary()
    hashed = parameters_digest({"name": "Melton"})  # not data_dir: it is the workspace's default
    assert [Path(o.output_dir) for o in result.outcomes] == [
        tmp_path / "outputs" / "hello" / f"{year}_{hashed}" for year in ("2021", "2022")
    ]


# -- the column documentation ---------------------------------------------------------------------


def test_every_column_of_every_table_is_documented_with_an_example():
    assert columns.undocumented_columns() == []
    for spec in SPECS:
        assert all(
            doc.description and doc.example for doc in columns.COLUMN_DOCS[spec.name].values()
        ), spec.name


def test_docs_data_model_holds_the_generated_tables_section():
    text = (REPO / "docs" / "data-model.md").read_text(encoding="utf-8")
    section = text.split(columns.TABLES_BEGIN)[1].split(columns.TABLES_END)[0]
    assert section.strip() == columns.describe_tables().strip(), (
        "docs/data-model.md is out of date: replace the text between the markers with the "
        "output of `python -m perfeval.data.columns`"
    )
    for spec in SPECS:
        for column in spec.columns:
            assert f"| `{column}` |" in section.split(f"### {spec.filename}")[1].split("###")[0]


def test_a_folder_of_templates_loads_without_a_problem(tmp_path):
    for spec in SPECS:  # renamed as the council does, but for the national reference tables
        name = columns.template_file_name(spec) if spec.reference else spec.filename
        (tmp_path / name).write_text(columns.template_csv(spec), encoding="utf-8")
    data = load_dataset(tmp_path)
    own = [spec.name for spec in SPECS if not spec.reference]
    assert all(len(data.tables[name]) == 1 for name in own)
    assert {spec.name for spec in SPECS if spec.reference} == {
        name for name, origin in data.origins.items() if origin == "reference"
    }, "a reference table's template must not replace perfeval's national copy"
    for spec in SPECS:  # each template, alone in place of the national copy, loads too
        if spec.reference:
            (tmp_path / spec.filename).write_text(columns.template_csv(spec), encoding="utf-8")
    assert load_dataset(tmp_path).authorities["code"].tolist() == ["E07000133"]


# -- perfeval init --------------------------------------------------------------------------------


def test_init_writes_config_templates_readme_params_and_folders(tmp_path):
    ws = init_workspace(
        tmp_path / "melton", council="E07000133", comparator_group="melton_nearest_15"
    )
    assert ws.data_dir == tmp_path / "melton" / "data"
    assert (ws.council, ws.comparator_group) == ("E07000133", "melton_nearest_15")
    assert sorted(p.name for p in (ws.root / "data").glob("*.csv")) == sorted(
        columns.template_file_name(spec) for spec in SPECS
    )
    readme = (ws.root / "data" / "README.md").read_text()
    assert all(f"`{column}`" in readme for spec in SPECS for column in spec.columns)
    # the templates are not read: a fresh folder lacks the required tables and says what to do
    checked = check_data(ws.data_dir)
    assert not checked.ok
    assert "put your rows in indicators.example.csv and rename it indicators.csv" in "\n".join(
        describe_check(checked)
    )
    for spec in SPECS:
        if not spec.reference:
            (ws.data_dir / columns.template_file_name(spec)).rename(ws.data_dir / spec.filename)
    assert "E07000133" in set(load_dataset(ws.data_dir).comparator_groups["authority"])
    checked = check_data(ws.data_dir)
    assert checked.ok, describe_check(checked)
    for copy in (ws.root / "params").glob("*.yaml"):
        values = load_parameter_file(copy)
        assert not {"council", "comparator_group", "data_dir"} & set(values), copy.name
        validate_parameters(copy.stem, values, data_checks=False)
    assert sorted(p.stem for p in (ws.root / "params").glob("*.yaml")) == sorted(
        p.stem for p in paths.BUNDLED_NOTEBOOKS_DIR.glob("*.ipynb")
    )
    assert [p.name for p in ws.notebooks_dir.iterdir()] == ["README.md"]
    assert ws.outputs_dir.is_dir() and list(ws.outputs_dir.iterdir()) == []


def test_init_with_sample_data_points_at_the_bundled_sample(tmp_path):
    ws = init_workspace(tmp_path / "ws", sample_data=True)
    assert ws.data_dir is None and ws.council == "E06000017"
    assert 'data = ""' in ws.config_file.read_text()


def test_init_never_overwrites_and_writes_nothing_when_it_refuses(tmp_path):
    init_workspace(tmp_path / "ws")
    with pytest.raises(ParameterError, match="is a perfeval workspace already"):
        init_workspace(tmp_path / "ws")
    other = tmp_path / "other"
    (other / "data").mkdir(parents=True)
    (other / "data" / "budget.example.csv").write_text("mine\n")
    with pytest.raises(
        ParameterError,
        match="already holds data/budget.example.csv; perfeval init never overwrites",
    ):
        init_workspace(other)
    assert sorted(p.name for p in other.rglob("*")) == ["budget.example.csv", "data"]
    assert (other / "data" / "budget.example.csv").read_text() == "mine\n"


def test_init_refuses_a_council_that_is_not_a_gss_code(tmp_path, capsys):
    assert main(["init", str(tmp_path / "ws"), "--council", "Melton"]) == 2
    assert "--council 'Melton' is not an ONS GSS code" in capsys.readouterr().err
    assert not (tmp_path / "ws").exists()


def test_the_init_command_prints_the_workspace_and_what_to_do_next(tmp_path, capsys):
    assert main(["init", str(tmp_path / "ws"), "--sample-data"]) == 0
    out = capsys.readouterr().out
    assert f"Workspace: {tmp_path / 'ws' / CONFIG_FILE}" in out
    assert "perfeval run state_of_the_nation" in out


# -- a council's own notebook ---------------------------------------------------------------------


def _declared(**changes):
    spec = {
        "name": "indicator",
        "type": "str",
        "default": "NI192",
        "help": "An indicator",
        "check": "indicator",
    }
    return {"perfeval": {"parameters": [spec | changes]}}


def test_a_schema_declared_in_metadata_validates_like_a_built_in_one():
    params = schema_from_metadata(
        {
            "perfeval": {
                "parameters": [
                    {
                        "name": "n",
                        "type": "int",
                        "default": 3,
                        "min": 1,
                        "max": 5,
                        "help": "A count",
                    },
                    {
                        "name": "colour",
                        "type": "str",
                        "default": "red",
                        "allowed": ["red", "green"],
                    },
                ]
            }
        }
    )
    assert [(p.name, p.type, p.default, p.min, p.max) for p in params] == [
        (
            "n",
            "int",
            3,
            1,
            5,
        ),
        ("colour", "str", "red", None, None),
    ]
    assert params[1].choices == ("red", "green")
    assert schema_from_metadata({"kernelspec": {}}) is None


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"colour": 1}, "unknown key 'colour'"),
        ({"check": "nope"}, "check 'nope' is not one of council"),
        ({"default": ["NI192"]}, "the default is not valid"),
        ({"allowed": "NI192"}, "'allowed' must be a list"),
        ({"min": "1"}, "'min' must be a number"),
    ],
)
def test_a_wrong_declaration_names_the_notebook_and_the_parameter(changes, message):
    with pytest.raises(ParameterError, match=re.escape(message)) as caught:
        schema_from_metadata(_declared(**changes), "nb.ipynb")
    assert caught.value.problems[0].startswith("nb.ipynb, parameter 1 (indicator): ")


def test_a_named_check_runs_the_data_aware_check(tmp_path):
    nb = nbformat.v4.new_notebook(metadata=_declared())
    nbformat.write(nb, tmp_path / "t_declared.ipynb")
    assert load_notebook_schema(tmp_path / "t_declared.ipynb")
    assert validate_parameters("t_declared", {"indicator": "NI192"}) == {"indicator": "NI192"}
    with pytest.raises(ParameterError, match="unknown indicator code"):
        validate_parameters("t_declared", {"indicator": "ZZ99"})


def test_new_writes_a_clean_notebook_that_declares_its_parameters_and_a_params_file(tmp_path):
    ws = init_workspace(tmp_path / "ws", sample_data=True)
    path = new_notebook(ws, "waste_review")
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    declared = {p["name"]: p["default"] for p in nb.metadata["perfeval"]["parameters"]}
    assert tagged[0].source.splitlines() == [f"{k} = {json.dumps(v)}" for k, v in declared.items()]
    assert 'validate_notebook_namespace("waste_review", globals())' in code[2].source
    assert any("record(" in c.source for c in code)
    assert load_parameter_file(ws.params_dir / "waste_review.yaml") == {
        "year": "2023/24",
        "indicator": "NI192",
    }
    with pytest.raises(ParameterError, match="exists already"):
        new_notebook(ws, "waste_review")
    with pytest.raises(ParameterError, match="is a built-in report"):
        new_notebook(ws, "state_of_the_nation")
    with pytest.raises(ParameterError, match="use lower-case letters"):
        new_notebook(ws, "../evil")


def test_new_needs_a_workspace(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["new", "waste_review"]) == 2
    assert "no perfeval workspace in" in capsys.readouterr().err


@pytest.mark.notebook
def test_a_new_notebook_runs_verifies_and_is_listed_in_the_index(tmp_path, monkeypatch, capsys):
    assert main(["init", str(tmp_path / "ws"), "--sample-data"]) == 0
    monkeypatch.chdir(tmp_path / "ws")
    assert main(["new", "waste_review"]) == 0
    assert main(["params", "waste_review"]) == 0
    assert "indicator         str" in capsys.readouterr().out
    assert main(["run", "waste_review", "--no-progress"]) == 0, capsys.readouterr().err
    folder = tmp_path / "ws" / "outputs" / "waste_review" / "E06000017_2023-24"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["notebook"]["path"] == str(tmp_path / "ws" / "notebooks" / "waste_review.ipynb")
    assert manifest["key_figures"]["comparison"]["kind"] == "table"
    assert (
        "waste_review/E06000017_2023-24/waste_review.html"
        in (tmp_path / "ws" / "outputs" / "index.html").read_text()
    )
    capsys.readouterr()
    assert main(["verify", str(folder / "manifest.json")]) == 0, capsys.readouterr().out
    assert main(["run", "waste_review", "--no-progress", "-p", "comparator_group", "nope"]) == 2
    assert "comparator_group = 'nope': 'nope' is not a group" in capsys.readouterr().err
