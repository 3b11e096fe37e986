"""Make a council's workspace (``perfeval init``) and a report notebook of its own
(``perfeval new``).

:func:`init_workspace` writes ``perfeval.toml``, a ``data/`` folder with a template CSV file for
every table the loader reads and a README documenting every column (both from
:mod:`perfeval.data.columns`), ``params/`` with copies of the built-in reports' default parameter
files, an empty ``notebooks/`` with a README, and ``outputs/``. It never overwrites anything:
it refuses a folder that is a workspace already, or that holds any file it would write.

:func:`new_notebook` writes ``notebooks/<name>.ipynb``: a heading, the imports, the
``parameters`` cell, the validation cell, one section (load the data, a table with a computed
sentence, a key figure recorded) and the method and provenance cell, all with perfeval's public
functions, and its parameters declared in its own metadata; and ``params/<name>.yaml``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from perfeval.core import paths
from perfeval.core.exceptions import ParameterError
from perfeval.run.workspace import CONFIG_FILE, Workspace, is_gss_code, read_workspace

__all__ = [
    "init_workspace",
    "new_notebook",
    "workspace_config_text",
    "NOTEBOOK_NAME",
    "SAMPLE_COUNCIL",
    "SAMPLE_GROUP",
]

#: The sample data's home council and comparator group (the defaults of ``perfeval init``).
SAMPLE_COUNCIL = "E06000017"
SAMPLE_GROUP = "rutland_nearest_15"
#: What a report notebook of a workspace may be called: a lower-case Python-like name.
NOTEBOOK_NAME = re.compile(r"[a-z][a-z0-9_]{0,60}")
_MAX_GROUP = 200
_WORKSPACE_DEFAULTS = ("council", "comparator_group", "data_dir")


def _toml_string(text: str) -> str:
    """``text`` as a TOML basic string (JSON's escapes are TOML's, once non-ASCII is kept)."""
    return json.dumps(text, ensure_ascii=False)


def workspace_config_text(council: str, comparator_group: str, data: str) -> str:
    """The ``perfeval.toml`` that :func:`init_workspace` writes, with a comment on every key.

    Parameters
    ----------
    council : str
        The home council's ONS GSS code.
    comparator_group : str
        Its comparator group.
    data : str
        The data folder, relative to the file; ``""`` for the bundled sample data.
    """
    import perfeval

    return "\n".join(
        [
            f"# A perfeval workspace, made by `perfeval init` (perfeval {perfeval.__version__}).",
            "# perfeval finds this file from the folder you work in upwards, as git finds a",
            "# repository. Paths are relative to this file's folder.",
            "",
            "[workspace]",
            "# The home council (ONS GSS code): every report's default `council`.",
            f"council = {_toml_string(council)}",
            "# Its comparator group (a group in comparator_groups.csv): the default",
            "# `comparator_group`.",
            f"comparator_group = {_toml_string(comparator_group)}",
            '# The data folder: the default `data_dir`. "" = the sample data bundled with',
            "# perfeval (Rutland and its comparators).",
            f"data = {_toml_string(data)}",
            "# Where reports are published (one folder per report, and index.html).",
            'outputs = "outputs"',
            "# Your council's own report notebooks (`perfeval new NAME` makes one).",
            'notebooks = "notebooks"',
            "# Default parameter files: `perfeval run NAME` reads params/NAME.yaml.",
            'params = "params"',
            "",
            "[outputs]",
            "# true: every run also writes the report as a Word document, <stem>.docx, beside",
            "# its HTML (for committee papers); `perfeval run --docx` does it for one run.",
            "docx = false",
            "",
        ]
    )


def _check_choices(council: str, comparator_group: str) -> None:
    problems = []
    if not is_gss_code(council):
        problems.append(
            f"--council {council[:40]!r} is not an ONS GSS code; give the home "
            f"council's code, e.g. E07000133 (Melton) or E06000017 (Rutland)"
        )
    if (
        not comparator_group.strip()
        or len(comparator_group) > _MAX_GROUP
        or any(ord(c) < 32 for c in comparator_group)
    ):
        problems.append(
            f"--comparator-group {comparator_group[:40]!r}: give the name of a "
            f"group in comparator_groups.csv, one line of at most {_MAX_GROUP} "
            f"characters"
        )
    if problems:
        raise ParameterError(problems)


def _params_copy(source: Path) -> str:
    """A bundled default parameter file for a workspace: a header, then the file with the
    parameters the workspace sets (council, comparator group, data folder) commented out."""
    lines = [
        f"# Default parameters of the built-in report {source.stem} in this workspace,",
        "# copied from perfeval's own.",
        f"# `perfeval run {source.stem}` reads this file: edit it, or give another with",
        "# --params FILE. council, comparator_group and data_dir come from perfeval.toml;",
        "# uncomment them here to set them for this report only.",
        "",
    ]
    for line in source.read_text(encoding="utf-8").splitlines():
        name = line.split(":", 1)[0].strip()
        lines.append(f"# {line}" if name in _WORKSPACE_DEFAULTS and ":" in line else line)
    return "\n".join(lines) + "\n"


_NOTEBOOKS_README = """# Your council's own report notebooks

A report notebook here runs exactly like a built-in one: `perfeval run NAME` (for
`notebooks/NAME.ipynb`) validates its parameters before anything runs, publishes HTML, Excel and
`manifest.json` under `outputs/`, lists it in `outputs/index.html`, and `perfeval verify` and
`perfeval batch` work on it. A notebook here called like a built-in report
(`state_of_the_nation.ipynb`, say) replaces the built-in one in this workspace.

`perfeval new NAME` makes a working one to start from. A notebook's parameters are declared
either in its own metadata (`"perfeval": {"parameters": [...]}`: name, type, default, help,
allowed values, and a data check by name; `perfeval new` writes one) or in a
`perfeval_schemas.py` beside the notebooks that calls `perfeval.run.parameters.register_schema`.
`perfeval params NAME` lists them.

Commit notebooks without outputs (in JupyterLab: Kernel > Restart Kernel and Clear All Outputs).
"""


def _workspace_files(council: str, comparator_group: str, sample_data: bool) -> dict[str, str]:
    """Every file of a new workspace: relative path -> text."""
    from perfeval.data.columns import data_readme, template_csv, template_file_name
    from perfeval.data.loader import SPECS

    files = {
        "data/README.md": data_readme(data_is_sample=sample_data),
        "notebooks/README.md": _NOTEBOOKS_README,
    }
    files |= {f"data/{template_file_name(spec)}": template_csv(spec) for spec in SPECS}
    files |= {
        f"params/{source.name}": _params_copy(source)
        for source in sorted(paths.BUNDLED_PARAMS_DIR.glob("*.yaml"))
    }
    # last, so that a folder whose writing was cut short is never taken for a workspace
    return files | {
        CONFIG_FILE: workspace_config_text(council, comparator_group, "" if sample_data else "data")
    }


def _refuse_existing(folder: Path, names: list[str]) -> None:
    if (folder / CONFIG_FILE).exists():
        raise ParameterError(
            [
                f"{folder} is a perfeval workspace already ({CONFIG_FILE} is "
                f"there); nothing was changed. Edit it, or give a new folder"
            ]
        )
    present = [name for name in names if (folder / name).exists()]
    if present:
        shown = ", ".join(present[:5]) + (
            f" and {len(present) - 5} more" if len(present) > 5 else ""
        )
        raise ParameterError(
            [
                f"{folder} already holds {shown}; perfeval init never overwrites "
                f"a file, so nothing was changed. Give a new or empty folder"
            ]
        )


def init_workspace(
    folder: str | Path,
    *,
    council: str = SAMPLE_COUNCIL,
    comparator_group: str = SAMPLE_GROUP,
    sample_data: bool = False,
) -> Workspace:
    """Make a council's workspace in ``folder`` (created if needed).

    Parameters
    ----------
    folder : str or Path
        The workspace folder; it may exist, but may not hold any file this writes.
    council : str
        The home council's ONS GSS code (default the sample data's, Rutland).
    comparator_group : str
        Its comparator group (default the sample data's).
    sample_data : bool
        Point the workspace at the sample data bundled with perfeval (``data = ""``), so that
        reports run at once; ``data/`` still gets the templates, for when your data are ready.

    Returns
    -------
    Workspace
        The new workspace, as :func:`perfeval.run.workspace.read_workspace` reads it.

    Raises
    ------
    ParameterError
        If the council is not a GSS code, the group is blank, the folder is a workspace
        already or holds a file this would write (nothing is written then), or it cannot be
        written (naming the path).
    """
    _check_choices(council, comparator_group)
    folder = Path(folder).expanduser().absolute()
    files = _workspace_files(council, comparator_group, sample_data)
    _refuse_existing(folder, list(files))
    try:
        for name in ("data", "params", "notebooks", "outputs"):
            (folder / name).mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            with open(folder / name, "x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
    except OSError as err:
        raise ParameterError(
            [
                f"cannot write the workspace in {folder}: "
                f"{err.strerror or err} ({err.filename or folder})"
            ]
        ) from err
    return read_workspace(folder / CONFIG_FILE)


# ---------------------------------------------------------------------------------------------
# A report notebook of the workspace's own


def _title(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


def _declared_parameters(workspace: Workspace) -> list[dict[str, Any]]:
    """The new notebook's parameters, as its metadata declares them."""
    return [
        {
            "name": "council",
            "type": "str",
            "default": workspace.council or SAMPLE_COUNCIL,
            "help": "ONS GSS code of the home council",
            "check": "council",
        },
        {
            "name": "year",
            "type": "str",
            "default": "2023/24",
            "help": "Financial year reported on, e.g. 2023/24",
            "check": "year_has_data",
        },
        {
            "name": "comparator_group",
            "type": "str",
            "default": workspace.comparator_group or SAMPLE_GROUP,
            "help": "Comparator group from comparator_groups.csv (must include the council)",
            "check": "comparator_group",
        },
        {
            "name": "data_dir",
            "type": "str",
            "default": "",
            "help": "Folder of CSV tables; empty = the bundled sample data",
            "check": "data_dir",
        },
        {
            "name": "indicator",
            "type": "str",
            "default": "NI192",
            "help": "The indicator compared with the comparator group (a code in indicators.csv)",
            "check": "indicator",
        },
    ]


_IMPORTS = """\
from IPython.display import display

from perfeval.stats import indicators as engine
from perfeval.data.loader import authority_names, load_dataset
from perfeval.present.narrative import describe_comparison
from perfeval.run.parameters import load_notebook_schema, validate_notebook_namespace
from perfeval.run.provenance import record
from perfeval.present.html import parameters_table, show_list, show_table, show_text"""

_SECTION = """\
groups, values = data.comparator_groups, data.indicator_values
members = list(groups.loc[groups["group"] == comparator_group, "authority"])
this_year = values[(values["indicator"] == indicator) & (values["period"] == year)]
ranked = engine.benchmark(this_year, data.indicators, group=members).sort_values("rank")
about = data.indicators.set_index("code").loc[indicator]
comparison = ranked.assign(code=ranked["authority"],
                           name=ranked["authority"].map(authority_names(data)))
record("comparison", comparison[["authority", "value", "rank", "quartile"]],
       description=f"{indicator} in {year}: every council of {comparator_group}, its rank "
                   f"(1 = best) and quartile")
display(show_text(describe_comparison(about["title"], about["unit"], year, comparison, council,
                                      decimals=int(about["decimals"]), higher_is="highest")))
display(show_table(comparison[["name", "value", "rank", "quartile"]].rename(columns={
    "name": "Council", "value": f"Value ({about['unit']})", "rank": "Rank (1 = best)",
    "quartile": "Quartile"}), caption=f"{about['title']}, {year}: the councils of "
    f"{comparator_group}", row_header="Council"))"""

_METHOD = """\
display(show_list([engine.QUARTILE_METHOD, f"Comparator group {comparator_group}: "
                   f"{len(members)} councils, from comparator_groups.csv."], heading="Method"))
display(show_table(parameters_table(params), caption="Parameters of this run",
                   row_header="Parameter"))"""


def _notebook(name: str, workspace: Workspace) -> Any:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    declared = _declared_parameters(workspace)
    parameters = new_code_cell(
        "\n".join(f"{p['name']} = {json.dumps(p['default'])}" for p in declared)
    )
    parameters.metadata["tags"] = ["parameters"]
    cells = [
        new_markdown_cell(
            f"# {_title(name)}\n\nA report of the council's own: how the council "
            f"compares with its comparator group on one indicator. Replace this "
            f"section with your own, keeping its pattern: one perfeval call, one "
            f"table or chart, one computed sentence saying what it means."
        ),
        new_code_cell(_IMPORTS),
        parameters,
        new_code_cell(
            f'load_notebook_schema("{name}.ipynb")  # the parameters declared in '
            f'this notebook\'s metadata\nparams = validate_notebook_namespace("{name}", '
            f'globals())\ndata = load_dataset(params["data_dir"])'
        ),
        new_markdown_cell("## How the council compares"),
        new_code_cell(_SECTION),
        new_markdown_cell("## Method, data sources and provenance"),
        new_code_cell(_METHOD),
        new_markdown_cell(
            "### Recap\n\nThe manifest saved beside this report lists the input "
            "files' checksums, the parameters, the package versions and every key "
            "figure, so that an auditor can re-run it with `perfeval verify`."
        ),
    ]
    nb = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            "perfeval": {"parameters": declared},
        },
    )
    nbformat.validate(nb)
    return nb


def new_notebook(workspace: Workspace, name: str) -> Path:
    """Write ``notebooks/<name>.ipynb`` and ``params/<name>.yaml`` in the workspace.

    Parameters
    ----------
    workspace : Workspace
        The workspace.
    name : str
        The report's name: lower-case letters, digits and ``_``, starting with a letter.

    Returns
    -------
    Path
        The new notebook.

    Raises
    ------
    ParameterError
        If the name is not such a name, is a built-in report's, or the notebook or its
        parameter file exists already (nothing is written then).
    """
    if not NOTEBOOK_NAME.fullmatch(name):
        raise ParameterError(
            [
                f"report name {name[:60]!r}: use lower-case letters, digits and "
                f"_, starting with a letter, e.g. waste_review"
            ]
        )
    if (paths.BUNDLED_NOTEBOOKS_DIR / f"{name}.ipynb").is_file():
        raise ParameterError(
            [
                f"{name!r} is a built-in report; choose another name (a notebook "
                f"of that name in {workspace.notebooks_dir} would replace it)"
            ]
        )
    notebook = workspace.notebooks_dir / f"{name}.ipynb"
    params = workspace.params_dir / f"{name}.yaml"
    present = [str(p) for p in (notebook, params) if p.exists()]
    if present:
        raise ParameterError(
            [
                f"{' and '.join(present)} exists already; perfeval new never "
                f"overwrites a file. Choose another name"
            ]
        )
    import nbformat

    text = nbformat.writes(_notebook(name, workspace)) + "\n"
    try:
        for folder in (workspace.notebooks_dir, workspace.params_dir):
            folder.mkdir(parents=True, exist_ok=True)
        with open(notebook, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        with open(params, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(
                f"# Default parameters of the report {name} (notebooks/{name}.ipynb), "
                f"made by `perfeval new`.\n# `perfeval run {name}` reads this file. "
                f"council, comparator_group and data_dir come from perfeval.toml.\n"
                f'year: "2023/24"\nindicator: NI192\n'
            )
    except OSError as err:
        raise ParameterError(
            [f"cannot write {err.filename or notebook}: {err.strerror or err}"]
        ) from err
    return notebook
