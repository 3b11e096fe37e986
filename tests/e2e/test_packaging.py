"""Project hygiene: dependency lists agree, notebooks are committed clean and match their
schemas."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

from perfeval.core.paths import BUNDLED_NOTEBOOKS_DIR, BUNDLED_PARAMS_DIR
from perfeval.run.parameters import get_schema, load_parameter_file

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(BUNDLED_NOTEBOOKS_DIR.glob("*.ipynb"))


def requirement_names(requirements: list[str]) -> dict[str, str]:
    """{normalised name: lower bound} from PEP 508 / conda requirement strings."""
    found = {}
    for item in requirements:
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:>=\s*([0-9.]+))?", item)
        found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = requirement_names(project["dependencies"] + project["optional-dependencies"]["dev"])
    conda = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    from_pip = [
        d
        for item in conda
        if isinstance(item, dict)
        for d in item.get("pip", [])
        if not d.startswith("-e")
    ]
    listed = requirement_names(
        [d for d in conda if isinstance(d, str) and d not in ("pip",)] + from_pip
    )
    listed.pop("python")
    assert listed == wanted


def test_there_are_notebooks():
    assert "state_of_the_nation" in {nb.stem for nb in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_committed_without_outputs_and_with_stable_metadata(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a code cell has outputs; strip them"
            assert cell.execution_count is None, f"{path.name}: execution counts left in"
    assert set(nb.metadata) <= {"kernelspec", "language_info"}, nb.metadata.keys()
    assert nb.metadata["kernelspec"]["name"] == "python3"


def parameters_cell(nb) -> tuple[int, dict]:
    """Index of the code cell tagged 'parameters' among code cells, and its assigned values."""
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [i for i, c in enumerate(code_cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell must be tagged 'parameters'"
    tree = ast.parse(code_cells[tagged[0]].source)
    values = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
    }
    return tagged[0], values


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_follows_the_imports_and_matches_the_schema(path):
    nb = nbformat.read(path, as_version=4)
    index, values = parameters_cell(nb)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    before = code_cells[:index]
    assert all(
        all(
            line.startswith(("import ", "from ", "#")) or not line.strip()
            for line in c.source.splitlines()
        )
        for c in before
    ), "only imports may come before the parameters cell"
    after = code_cells[index + 1].source
    assert f'validate_notebook_namespace("{path.stem}", globals())' in after
    schema = {p.name: p.default for p in get_schema(path.stem)}
    assert values == schema, "the parameters cell's defaults must equal the schema's"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_has_a_default_parameter_file_with_known_names(path):
    params = load_parameter_file(BUNDLED_PARAMS_DIR / f"{path.stem}.yaml")
    schema = {p.name for p in get_schema(path.stem)}
    assert set(params) <= schema, f"unknown names in params/{path.stem}.yaml"


def test_the_wheel_carries_the_bundled_files_the_templates_and_the_manifest_schema():
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["perfeval"]
    assert {"bundled/**/*", "templates/**/*", "manifest.schema.json"} <= set(package_data)


def test_nothing_perfeval_runs_uses_the_folder_above_the_package():
    """The names of the old layout (ROOT, OUTPUTS_DIR, ...) stay importable for one release,
    but no module of perfeval uses them: paths come from the workspace."""
    import re as _re

    old = _re.compile(
        r"paths\.(ROOT|OUTPUTS_DIR|NOTEBOOKS_DIR|PARAMS_DIR|DATA_DIR)\b|"
        r"from perfeval\.paths import[^\n]*\b(ROOT|OUTPUTS_DIR|NOTEBOOKS_DIR|"
        r"PARAMS_DIR|DATA_DIR)\b"
    )
    users = [
        module.name
        for module in sorted((ROOT / "perfeval").glob("*.py"))
        if module.name != "paths.py" and old.search(module.read_text(encoding="utf-8"))
    ]
    assert users == []
