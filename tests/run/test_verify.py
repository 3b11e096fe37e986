"""Tests of perfeval.run.verify, written as an attacker would: a manifest comes from anyone.

Reports are published with the fake kernel of tests/fakes.py (fast, no processes) from the tiny
notebook tests/notebooks/hello.ipynb, which plays the workspace's notebook (``notebooks_dir``);
``tmp_path`` plays the workspace root. The attacks on the notebook are run without any fake: if
verify ran the attacker's notebook or imported the schema module beside it, a real kernel would
start and the marker file would appear.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import openpyxl
import pytest
from jsonschema import Draft202012Validator
from nbformat.v4 import new_code_cell, new_notebook

from fakes import record_values_total, refuse_kernels, use_fake_kernels
from perfeval.core import paths
from perfeval.core.exceptions import DataValidationError, VerificationError
from perfeval.run import provenance, verify
from perfeval.run.cli import main
from perfeval.run.parameters import load_folder_schemas
from perfeval.run.provenance import hash_inputs, sha256_file
from perfeval.run.runner import run_report
from perfeval.run.verify import (
    MAX_NESTING,
    check_manifest,
    load_manifest_schema,
    read_manifest,
    trusted_notebook,
    trusted_notebooks,
    verify_report,
)

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
HELLO = NOTEBOOKS / "hello.ipynb"
load_folder_schemas(NOTEBOOKS)


@pytest.fixture
def fake_kernel(monkeypatch):
    record_values_total.sources.clear()
    use_fake_kernels(monkeypatch, record_values_total)
    return record_values_total.sources


@pytest.fixture
def published(tmp_path, fake_kernel):
    """A report of hello published from data inside the workspace ``tmp_path/ws``."""
    data = tmp_path / "ws" / "data"
    data.mkdir(parents=True)
    (data / "values.csv").write_text("area,value\nA,1.5\nB,2\n")
    result = run_report(HELLO, {"data_dir": str(data)}, outputs_root=tmp_path / "ws" / "out")
    fake_kernel.clear()
    return result


def _verify(result, **kwargs):
    kwargs.setdefault("notebooks_dir", NOTEBOOKS)
    kwargs.setdefault("workspace", result.output_dir.parents[2])
    return verify_report(result.manifest_path, **kwargs)


def _rewrite(manifest_path: Path, change) -> dict:
    manifest = json.loads(manifest_path.read_text())
    change(manifest)
    manifest_path.write_text(json.dumps(manifest))
    return manifest


def test_a_fresh_report_verifies(published, fake_kernel):
    result = _verify(published)
    assert result.ok and result.ran, result.summary()
    assert fake_kernel == [HELLO]
    assert (
        "every published file matches its manifest and every key figure reproduced "
        "exactly" in result.summary()
    )


# -- the notebook is the workspace's, never the manifest's path -----------------------------------


def _foreign_folder(folder: Path, name: str, marker: Path) -> Path:
    """A folder holding a notebook ``name`` and a perfeval_schemas.py that each create
    ``marker`` when run or imported."""
    folder.mkdir()
    code = f"open({str(marker)!r}, 'a').write('ran')"
    (folder / "perfeval_schemas.py").write_text(
        f"{code}\nfrom perfeval.run.parameters import Param, register_schema\n"
        f"register_schema({Path(name).stem!r}, [Param('data_dir', str, '', 'x')])\n"
    )
    parameters = new_code_cell('data_dir = ""')
    parameters.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[parameters, new_code_cell(code)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, folder / name)
    return folder / name


@pytest.mark.parametrize(
    "name", ["evil.ipynb", "hello.ipynb"], ids=["name-not-in-workspace", "workspace-name-other-sha"]
)
def test_a_foreign_notebook_and_its_schema_module_never_run(published, tmp_path, name):
    marker = tmp_path / "pwned"
    evil = _foreign_folder(tmp_path / "evil", name, marker)

    def point_at_evil(manifest):
        manifest["notebook"] = {"path": str(evil), "sha256": sha256_file(evil)}

    _rewrite(published.manifest_path, point_at_evil)
    result = _verify(published)  # no fake kernel: running anything would really run it
    assert not marker.exists(), "the attacker's code ran"
    assert not result.ok and not result.ran and result.notebook_changed
    if name == "hello.ipynb":
        assert (
            "The notebook hello.ipynb has changed since the report was produced"
            in result.notebook_problem
        )
    else:
        assert "The workspace has no notebook evil.ipynb" in result.notebook_problem
    assert "nothing was run" in result.notebook_problem
    assert "Nothing was run" in result.summary() and str(tmp_path / "evil") not in result.summary()


def test_a_foreign_path_with_the_workspace_notebooks_sha_runs_the_workspace_notebook(
    published, tmp_path, fake_kernel
):
    marker = tmp_path / "pwned"
    evil = _foreign_folder(tmp_path / "evil", "hello.ipynb", marker)
    _rewrite(
        published.manifest_path,
        lambda m: m["notebook"].update(path=str(evil), sha256=sha256_file(HELLO)),
    )
    result = _verify(published)
    assert result.ok, result.summary()
    assert fake_kernel == [HELLO] and not marker.exists()


def test_a_notebook_path_that_is_not_a_notebook_file_name_is_refused(published):
    _rewrite(published.manifest_path, lambda m: m["notebook"].update(path="/x/../../evil.py"))
    with pytest.raises(VerificationError, match="notebook.path"):
        _verify(published)


def test_trusted_notebook_takes_only_plain_names_from_the_notebooks_folder(tmp_path):
    assert trusted_notebook("hello.ipynb", NOTEBOOKS) == HELLO
    for name in ("../notebooks/hello.ipynb", "/etc/passwd", ".hidden.ipynb", "hello.py"):
        with pytest.raises(VerificationError, match="not a notebook file name"):
            trusted_notebook(name, NOTEBOOKS)
    with pytest.raises(VerificationError, match="The workspace has no notebook hello.ipynb"):
        trusted_notebook("hello.ipynb", tmp_path)


def test_the_default_notebooks_folders_are_the_workspaces_then_the_built_in_ones(published):
    workspace = published.output_dir.parents[2]
    (workspace / "perfeval.toml").write_text("[workspace]\n")  # no notebooks/hello.ipynb
    result = verify_report(published.manifest_path, workspace=workspace)
    assert (
        f"looked in {workspace / 'notebooks'} and {paths.BUNDLED_NOTEBOOKS_DIR})"
        in result.notebook_problem
        and not result.ran
    )


def test_the_first_trusted_notebook_with_the_manifests_sha_is_the_one_run(
    published, tmp_path, fake_kernel
):
    mine = tmp_path / "mine"
    mine.mkdir()
    edited = nbformat.read(HELLO, as_version=4)
    edited.cells.append(new_code_cell("1"))
    nbformat.write(edited, mine / "hello.ipynb")  # a hello.ipynb of another sha comes first
    assert trusted_notebooks("hello.ipynb", [mine, NOTEBOOKS]) == [mine / "hello.ipynb", HELLO]
    result = _verify(published, notebooks_dir=[mine, NOTEBOOKS])
    assert result.ok, result.summary()
    assert fake_kernel == [HELLO]
    changed = _verify(published, notebooks_dir=[mine])
    assert (
        "The notebook hello.ipynb has changed since the report was produced"
        in changed.notebook_problem
        and "Check out the commit" in changed.notebook_problem
    )


def test_a_changed_built_in_notebook_says_which_perfeval_to_install(tmp_path):
    built_in = paths.BUNDLED_NOTEBOOKS_DIR / "state_of_the_nation.ipynb"
    _, problem = verify._check_notebook(
        built_in.name, "0" * 64, [paths.BUNDLED_NOTEBOOKS_DIR], "0.0.1"
    )
    assert "Install perfeval 0.0.1 (which produced the report; this is perfeval " in problem


def test_the_bundled_data_and_the_workspaces_own_data_folder_are_allowed_inputs(tmp_path):
    elsewhere = tmp_path / "share" / "data"
    elsewhere.mkdir(parents=True)
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "perfeval.toml").write_text(
        f"[workspace]\ndata = {json.dumps(str(elsewhere))}\n"
    )
    roots = verify._trusted_roots(verify._as_workspace(tmp_path / "ws"))
    inputs = {"data_dir": str(paths.SAMPLE_DATA_DIR), "lookup_file": str(elsewhere)}
    assert verify._refused_inputs({}, inputs, roots) == []
    assert verify._refused_inputs({}, {"data_dir": str(tmp_path / "share")}, roots) != []


# -- inputs only inside the workspace or --data-dir -----------------------------------------------


@pytest.fixture
def listed(monkeypatch):
    """Every folder listed and file hashed during the test."""
    seen: list[str] = []
    scandir, sha = os.scandir, provenance.sha256_file

    def spy_scandir(path="."):
        seen.append(str(path))
        return scandir(path)

    def spy_sha(path):
        seen.append(str(path))
        return sha(path)

    monkeypatch.setattr(os, "scandir", spy_scandir)
    monkeypatch.setattr(provenance, "sha256_file", spy_sha)
    monkeypatch.setattr(verify, "sha256_file", spy_sha)
    return seen


def test_inputs_and_path_parameters_at_etc_are_refused_and_nothing_there_is_read(
    published, listed, monkeypatch
):
    def point_at_etc(manifest):
        manifest["inputs"]["data_dir"] = "/etc"
        manifest["parameters"].update(data_dir="/etc", lookup_file="/etc/passwd")

    _rewrite(published.manifest_path, point_at_etc)
    attempts = refuse_kernels(monkeypatch)
    result = _verify(published)
    assert not result.ok and not result.ran and attempts == []
    refused = "\n".join(result.refused_inputs)
    for label, path in (
        ("inputs.data_dir", "/etc"),
        ("parameters.data_dir", "/etc"),
        ("parameters.lookup_file", "/etc/passwd"),
    ):
        assert f"{label} = {path!r}: is outside the workspace" in refused
    assert all("--data-dir" in line for line in result.refused_inputs)
    assert [p for p in listed if p.startswith(("/etc", "/proc"))] == []


@pytest.mark.parametrize(
    "value, why",
    [
        (["/etc"], "a path parameter must be text"),
        ("../../../../etc", "not an absolute path"),
        ("/no/such/folder", "does not exist here"),
        ("/proc/self/root/etc", "outside the workspace"),
    ],
)
def test_odd_path_parameters_are_refused(published, monkeypatch, value, why):
    _rewrite(published.manifest_path, lambda m: m["parameters"].update(data_dir=value))
    refuse_kernels(monkeypatch)
    result = _verify(published)
    assert not result.ran and any(
        line.startswith("parameters.data_dir") and why in line for line in result.refused_inputs
    ), result.refused_inputs


def test_a_symlink_in_the_data_folder_to_etc_is_refused_and_not_followed(
    published, listed, monkeypatch
):
    data = Path(published.manifest["inputs"]["data_dir"])
    os.symlink("/etc", data / "settings")
    os.symlink("/etc/passwd", data / "passwd.csv")
    refuse_kernels(monkeypatch)
    result = _verify(published)
    assert not result.ok and not result.ran
    refused = "\n".join(result.refused_inputs)
    assert (
        f"{data / 'settings'}: is a symbolic link to /etc, outside the folders allowed" in refused
    )
    assert f"{data / 'passwd.csv'}: is a symbolic link to /etc/passwd" in refused
    assert [p for p in listed if p.startswith(("/etc", "/proc"))] == []


def test_a_symlink_loop_in_the_data_folder_ends_and_a_link_inside_is_followed(
    published, fake_kernel
):
    data = Path(published.manifest["inputs"]["data_dir"])
    os.symlink(data, data / "loop")
    assert _verify(published).ok, "the loop is not followed (and adds no file)"
    lookups = data.parent / "lookups"
    lookups.mkdir()
    (lookups / "codes.csv").write_text("code\n")
    os.symlink(lookups, data / "lookups")
    result = _verify(published)
    assert result.refused_inputs == [] and result.input_changes == [
        f"data_dir/{lookups / 'codes.csv'}: added"
    ], "a link inside the workspace is followed"


def test_hash_inputs_within_names_every_escaping_link_and_keeps_ordinary_output(tmp_path):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "a.csv").write_text("1")
    (tmp_path / "in" / "sub" / "b.csv").write_text("2")
    (tmp_path / "in" / ".hidden").write_text("3")
    plain = hash_inputs(tmp_path / "in")
    assert plain == hash_inputs(tmp_path / "in", within=[tmp_path / "in"])
    assert list(plain) == ["a.csv", "sub/b.csv"]
    (tmp_path / "out").mkdir()
    os.symlink(tmp_path / "out", tmp_path / "in" / "x")
    os.symlink(tmp_path / "in", tmp_path / "in" / "sub" / "loop")
    with pytest.raises(DataValidationError) as caught:
        hash_inputs(tmp_path / "in", within=[tmp_path / "in"])
    assert [p.file for p in caught.value.problems] == [str(tmp_path / "in" / "x")]
    assert hash_inputs(tmp_path / "in") == plain, "a loop is walked once; the runner follows"


def test_data_dir_reruns_on_the_auditors_copy_and_compares_its_files(
    published, tmp_path, fake_kernel
):
    data = Path(published.manifest["inputs"]["data_dir"])
    copy = tmp_path / "auditor" / "copy"
    shutil.copytree(data, copy)
    shutil.rmtree(data)
    assert "does not exist here" in _verify(published).refused_inputs[0]
    result = _verify(published, data_dirs=[copy])
    assert result.ok, result.summary()
    assert fake_kernel == [HELLO]
    assert f"data_dir: re-run on your copy {copy} (--data-dir)" in "\n".join(result.notes)
    (copy / "values.csv").write_text("area,value\nA,1.5\nB,3\n")
    changed = _verify(published, data_dirs=[copy])
    assert not changed.ok and changed.parameter_differences == []
    assert [c.split(":")[0] for c in changed.input_changes] == ["data_dir/values.csv"]
    assert changed.figure_differences == ["total: published 3.5, re-run 4.5"]


def test_a_data_dir_that_is_not_a_folder_is_an_error(published, tmp_path):
    with pytest.raises(VerificationError, match="--data-dir .* does not exist"):
        _verify(published, data_dirs=[tmp_path / "nope"])


# -- what was published ---------------------------------------------------------------------------


def test_an_edited_html_page_is_caught_and_named(published):
    page = published.html.read_text()
    published.html.write_text(page.replace("Hello", "Goodbye", 1))
    result = _verify(published)
    assert not result.ok
    assert [line.split(":")[0] for line in result.report_file_changes] == ["hello.html"]
    assert "hello.html: differs from the published file" in result.summary()


def test_an_edited_excel_cell_is_caught_and_named(published):
    book = openpyxl.load_workbook(published.excel)
    sheet = book.worksheets[-1]
    sheet.cell(row=sheet.max_row, column=sheet.max_column).value = 999
    book.save(published.excel)
    result = _verify(published)
    assert not result.ok
    assert [line.split(":")[0] for line in result.report_file_changes] == ["hello.xlsx"]


def test_missing_and_linked_published_files_are_named_and_extra_files_noted(published):
    published.notebook.unlink()
    real = published.output_dir.parent / "real.html"
    published.html.rename(real)
    os.symlink(real, published.html)
    (published.output_dir / "extra.txt").write_text("not published")
    result = _verify(published)
    changes = "\n".join(result.report_file_changes)
    assert "hello.ipynb: missing from" in changes
    assert "hello.html: is not a regular file" in changes
    assert "extra.txt: in the report folder but not listed in the manifest" in result.notes


def test_a_file_not_listed_in_the_manifest_is_a_note_only(published):
    (published.output_dir / "notes.txt").write_text("mine")
    result = _verify(published)
    assert result.ok and "notes.txt: in the report folder but not listed" in result.summary()


# -- parameters -----------------------------------------------------------------------------------


def test_every_parameter_that_differs_is_named(published):
    def change(manifest):
        del manifest["parameters"]["colour"]
        manifest["parameters"]["ratio"] = 1
        manifest["parameters"]["year"] = "2024" + " " * 500

    _rewrite(published.manifest_path, change)
    result = _verify(published)
    assert not result.ok and result.figure_differences == []
    assert result.parameter_differences[:2] == [
        "colour: published (not published), re-run 'green'",
        "ratio: published 1, re-run 1.0",
    ]
    assert result.parameter_differences[2].startswith("year: published '2024   ")
    assert result.parameter_differences[2].endswith(", re-run 2024")
    assert len(result.parameter_differences[2]) < 120, "a short prefix, not the whole value"
    assert "Parameters that differ (published, re-run):" in result.summary()


# -- malformed manifests --------------------------------------------------------------------------


def _valid_manifest(published) -> dict:
    return json.loads(published.manifest_path.read_text())


def _deep(depth: int) -> dict:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


MALFORMED = {
    "empty": (b"", "not valid JSON"),
    "not-json": (b"{'notebook': 1}", "not valid JSON"),
    "not-utf8": (b"\xff\xfe{}", "not UTF-8"),
    "a-list": (b"[1, 2]", "the manifest: expected an object, found [1, 2]"),
    "notebook-a-string": (
        b'{"notebook": "x", "parameters": {}, "key_figures": {}, "input_files": {}}',
        "notebook: expected an object, found 'x'",
    ),
    "nan": (b'{"duration_seconds": NaN}', "contains NaN"),
    "infinity": (b'{"duration_seconds": -Infinity}', "contains -Infinity"),
    "overflow": (b'{"duration_seconds": 1e999}', "too large to be a finite number"),
    "huge-int": (b'{"duration_seconds": ' + b"9" * 5000 + b"}", "not valid JSON"),
    "twice": (b'{"notebook": {}, "notebook": {}}', "'notebook' appears twice"),
    "deep": (b"[" * 100_000 + b"]" * 100_000, "nests lists or objects more than"),
    "deep-valid-json": (
        json.dumps({"key_figures": _deep(MAX_NESTING + 5)}).encode(),
        "nests lists or objects more than",
    ),
}


@pytest.mark.parametrize("content, message", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_manifest_is_one_verification_error(tmp_path, content, message):
    path = tmp_path / "manifest.json"
    path.write_bytes(content)
    with pytest.raises(VerificationError, match="not a readable perfeval manifest") as caught:
        verify_report(path, notebooks_dir=NOTEBOOKS, workspace=tmp_path)
    assert message in str(caught.value)
    assert len(str(caught.value)) < 1500


WRONG_FIELDS = {
    "key-figures-a-list": (
        lambda m: m.update(key_figures=[]),
        "key_figures: expected an object, found []",
    ),
    "sha-not-hex": (
        lambda m: m["notebook"].update(sha256="z" * 64),
        "notebook.sha256: expected a sha256: 64 lowercase hex digits",
    ),
    "report-file-path": (
        lambda m: m["report_files"].update({"../../x.html": "0" * 64}),
        "report_files: the name '../../x.html' is not a plain file name",
    ),
    "report-file-dotdot": (
        lambda m: m["report_files"].update({"..": "0" * 64}),
        "report_files: the name '..' is not a plain file name",
    ),
    "unknown-field": (
        lambda m: m.update(run_this="rm -rf /"),
        "the manifest: unexpected field(s) 'run_this'",
    ),
    "missing-field": (
        lambda m: m.pop("report_files"),
        "the manifest: missing field(s) report_files",
    ),
    "huge-string": (
        lambda m: m["parameters"].update(name="A" * 5_000_000),
        "parameters.name: expected at most 10000 characters, found 5000000 "
        "characters starting 'AAAA",
    ),
    "table-without-data": (
        lambda m: m["key_figures"]["total"].update(kind="table"),
        "key_figures.total.value: expected an object",
    ),
    "cell-negative": (
        lambda m: m["key_figures"]["total"].update(cell=-1),
        "key_figures.total.cell: expected a number of at least 0, found -1",
    ),
    "version-2": (lambda m: m.update(manifest_version=2), "manifest_version: expected 1, found 2"),
    "path-parameter-object": (
        lambda m: m["parameters"].update(data_dir={"a": "/etc"}),
        "parameters.data_dir: expected a number or text",
    ),
}


@pytest.mark.parametrize("change, message", WRONG_FIELDS.values(), ids=WRONG_FIELDS.keys())
def test_a_manifest_with_wrong_fields_names_the_field(published, monkeypatch, change, message):
    refuse_kernels(monkeypatch)
    _rewrite(published.manifest_path, change)
    with pytest.raises(VerificationError) as caught:
        _verify(published)
    assert message in str(caught.value)
    assert len(str(caught.value)) < 1500, "never the whole value"


def test_a_manifest_larger_than_the_limit_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(verify, "MAX_MANIFEST_BYTES", 1000)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"padding": "x" * 2000}))
    with pytest.raises(VerificationError, match="larger than"):
        read_manifest(path)


@pytest.mark.parametrize("where", ["missing", "folder"])
def test_a_manifest_that_is_not_a_file_is_refused(tmp_path, where):
    path = tmp_path / "manifest.json"
    if where == "folder":
        path.mkdir()
    with pytest.raises(VerificationError, match="not a readable perfeval manifest"):
        read_manifest(path)


@pytest.mark.parametrize(
    "content", [MALFORMED[k][0] for k in ("not-json", "a-list", "nan", "notebook-a-string", "deep")]
)
def test_the_cli_prints_a_bad_manifest_without_a_traceback_and_exits_2(tmp_path, capsys, content):
    path = tmp_path / "manifest.json"
    path.write_bytes(content)
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("perfeval verify: ") and "not a readable perfeval manifest" in err
    assert "Traceback" not in err


def _cli_workspace(published) -> str:
    """The published report's workspace as perfeval.toml describes it: tests/notebooks plays
    its notebooks folder."""
    root = published.output_dir.parents[2]
    (root / "perfeval.toml").write_text(
        f'[workspace]\nnotebooks = {json.dumps(str(NOTEBOOKS))}\noutputs = "out"\n'
    )
    return str(root)


def test_the_cli_refuses_etc_and_names_data_dir(published, capsys, monkeypatch):
    refuse_kernels(monkeypatch)
    _rewrite(published.manifest_path, lambda m: m["inputs"].update(data_dir="/etc"))
    assert (
        main(["verify", str(published.manifest_path), "--workspace", _cli_workspace(published)])
        == 1
    )
    out = capsys.readouterr().out
    assert "inputs.data_dir = '/etc'" in out and "--data-dir" in out


def test_the_cli_reruns_on_a_data_dir_copy(published, capsys, monkeypatch, tmp_path, fake_kernel):
    monkeypatch.chdir(_cli_workspace(published))
    copy = tmp_path / "copy"
    shutil.copytree(published.manifest["inputs"]["data_dir"], copy)
    assert (
        main(
            [
                "verify",
                str(published.manifest_path),
                "--data-dir",
                str(copy),
                "--data-dir",
                str(tmp_path),
            ]
        )
        == 0
    ), capsys.readouterr()
    assert f"re-run on your copy {copy}" in capsys.readouterr().out


# -- the schema -----------------------------------------------------------------------------------


def test_the_schema_in_docs_is_the_one_in_the_package_and_is_a_valid_schema():
    docs = REPO / "docs" / "manifest.schema.json"
    package = Path(verify.__file__).parents[1] / verify.MANIFEST_SCHEMA_FILE
    assert docs.read_bytes() == package.read_bytes()
    Draft202012Validator.check_schema(load_manifest_schema())
    assert load_manifest_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_a_freshly_built_manifest_validates(published):
    manifest = _valid_manifest(published)
    assert check_manifest(manifest) == []
    assert set(manifest) == set(load_manifest_schema()["required"])


@pytest.mark.notebook
def test_a_real_report_validates_and_verifies(tmp_path):
    """The bundled State of the Nation report on a real kernel: its manifest (tables, text,
    numbers) matches the schema and verify reproduces it."""
    from perfeval.run.parameters import load_parameter_file

    params = load_parameter_file(paths.BUNDLED_PARAMS_DIR / "state_of_the_nation.yaml")
    result = run_report("state_of_the_nation", params, outputs_root=tmp_path)
    assert check_manifest(result.manifest) == []
    assert {f["kind"] for f in result.manifest["key_figures"].values()} >= {"table", "number"}
    checked = verify_report(result.manifest_path)
    assert checked.ok, checked.summary()


# -- the indicator table, row by row --------------------------------------------------------------


def _indicator_table(rows):
    return {
        "kind": "table",
        "value": {
            "columns": ["Code", "Indicator", "Value", "Target", "Against target (RAG)"],
            "data": [list(row) for row in rows],
        },
    }


NI192 = ("NI192", "Household waste recycled", 55.7, 50.9, "Green")
HB01 = ("HB01", "Days to process benefit claims", 15.3, 14.9, "Amber")


def test_a_changed_rag_is_reported_by_indicator_with_its_name():
    published = {"indicator_table": _indicator_table([NI192, HB01])}
    rerun = {"indicator_table": _indicator_table([NI192[:3] + (60.0, "Amber"), HB01])}
    assert verify.compare_key_figures(published, rerun) == [
        "indicator_table: NI192 (Household waste recycled): RAG was Green, now Amber",
        "indicator_table: NI192 (Household waste recycled): Target was 50.9, now 60.0",
    ]


def test_rows_are_matched_by_code_not_position_and_added_or_dropped_ones_named():
    published = {"indicator_table": _indicator_table([NI192, HB01])}
    reordered = {"indicator_table": _indicator_table([HB01, NI192])}
    assert verify.compare_key_figures(published, reordered) == [
        "indicator_table: the same rows in a different order"
    ]
    new = ("CT01", "Council tax collected", 97.1, 98.0, "Red")
    changed = {"indicator_table": _indicator_table([HB01, new])}
    assert verify.compare_key_figures(published, changed) == [
        "indicator_table: CT01 (Council tax collected): new in the re-run",
        "indicator_table: NI192 (Household waste recycled): in the published table, not in the "
        "re-run",
    ]


def test_a_table_without_a_unique_key_is_compared_cell_by_cell_in_order():
    twice = _indicator_table([NI192, NI192])
    other = _indicator_table([NI192, NI192[:4] + ("Red",)])
    assert verify.table_key_column(twice["value"]) is None
    assert verify.compare_key_figures({"t": twice}, {"t": other}) == [
        "t: row 1, column 'Against target (RAG)': published 'Green', re-run 'Red'"
    ]


def _record_indicator_table(source, output, values, progress, kernel) -> None:
    """Stand-in kernel: records an indicator table from ``pis.csv`` (code, title, value,
    target) in the data folder, Green when the value reaches the target, else Amber."""
    import pandas as pd
    from nbformat.v4 import new_output

    from perfeval.present.keyfigures import KEY_FIGURE_MIME, key_figure_payload

    pis = pd.read_csv(Path(values["data_dir"]) / "pis.csv")
    table = pd.DataFrame(
        {
            "Code": pis["code"],
            "Indicator": pis["title"],
            "Value": pis["value"],
            "Target": pis["target"],
            "Against target (RAG)": [
                "Green" if v >= t else "Amber" for v, t in zip(pis["value"], pis["target"])
            ],
        }
    )
    nb = nbformat.read(source, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    payload = key_figure_payload("indicator_table", table)
    code[-1].outputs = [new_output("display_data", data={KEY_FIGURE_MIME: payload})]
    nbformat.write(nb, output)


@pytest.fixture
def published_pis(tmp_path, monkeypatch):
    """hello published by the stand-in above from a two-PI pis.csv in the workspace."""
    use_fake_kernels(monkeypatch, _record_indicator_table)
    data = tmp_path / "ws" / "data"
    data.mkdir(parents=True)
    (data / "values.csv").write_text("area,value\nA,1.5\n")
    (data / "pis.csv").write_text(
        "code,title,value,target\n"
        "NI192,Household waste recycled,55.7,50.9\n"
        "HB01,Days to process benefit claims,15.3,14.9\n"
    )
    return run_report(HELLO, {"data_dir": str(data)}, outputs_root=tmp_path / "ws" / "out")


def test_verify_reports_a_rag_changed_by_the_data_by_indicator(published_pis):
    pis = Path(published_pis.manifest["parameters"]["data_dir"]) / "pis.csv"
    pis.write_text(pis.read_text().replace("55.7,50.9", "55.7,60.0"))
    result = _verify(published_pis)
    assert not result.ok
    assert [line.split(":")[0] for line in result.input_changes] == ["data_dir/pis.csv"]
    assert (
        "indicator_table: NI192 (Household waste recycled): RAG was Green, now Amber"
        in result.figure_differences
    )
    assert "  - indicator_table: NI192 (Household waste recycled): RAG was Green, now Amber" in (
        result.summary().splitlines()
    )


def test_verify_reports_a_rag_edited_in_the_manifest_by_indicator(published_pis):
    def edit(manifest):
        rows = manifest["key_figures"]["indicator_table"]["value"]["data"]
        assert rows[1][:1] + rows[1][4:] == ["HB01", "Green"]
        rows[1][4] = "Red"

    _rewrite(published_pis.manifest_path, edit)
    result = _verify(published_pis)
    assert result.figure_differences == [
        "indicator_table: HB01 (Days to process benefit claims): RAG was Red, now Green"
    ]
    assert not result.ok and not result.input_changes and not result.report_file_changes


def test_a_table_whose_first_column_names_its_rows_is_compared_by_that_name():
    def counts(green, amber):
        data = [["Green", green], ["Amber", amber]]
        return {"kind": "table", "value": {"columns": ["rag", "indicators"], "data": data}}

    assert verify.compare_key_figures(
        {"rag_counts": counts(9, 10)}, {"rag_counts": counts(8, 11)}
    ) == [
        "rag_counts: Amber: indicators was 10, now 11",
        "rag_counts: Green: indicators was 9, now 8",
    ]
