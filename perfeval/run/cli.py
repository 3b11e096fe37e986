"""The ``perfeval`` command: make a workspace, run, describe and verify reports.

::

    perfeval init DIR [--council CODE] [--comparator-group NAME] [--sample-data]
    perfeval new NAME
    perfeval run NOTEBOOK [--params FILE] [-p NAME VALUE ...] [--output-dir DIR]
                          [--outputs-root DIR] [--status TEXT] [--pdf] [--docx | --no-docx]
                          [--no-progress] [--wait SECONDS]
    perfeval batch NOTEBOOK [--params FILE ...] [--over NAME=all|V1,V2 ...] [-p NAME VALUE ...]
                            [--workers N] [--executor local|dask] [--scheduler ADDRESS]
                            [--outputs-root DIR] [--status TEXT] [--docx | --no-docx]
                            [--no-progress]
    perfeval params NOTEBOOK
    perfeval verify MANIFEST [--data-dir DIR ...]
    perfeval check-data [DIR]

Every command takes ``--workspace DIR``; without it the workspace is the first folder holding
``perfeval.toml`` from the current folder upwards (:mod:`perfeval.run.workspace`). NOTEBOOK is a
path or the name of a report: the workspace's ``notebooks/NAME.ipynb``, else the built-in one.
Without ``--params`` a run reads the workspace's ``params/NAME.yaml``, else the built-in defaults;
the workspace's council, comparator group and data folder are the defaults of those parameters.
Exit status: 0 success, 1 the run failed (for batch: any report failed) or verification did not
match, 2 invalid parameters or usage (for verify: a file that is not a valid manifest), 130
interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, Literal, overload

from perfeval.core.exceptions import ParameterError, PerfevalError
from perfeval.run.parameters import describe_schema, get_schema, load_schemas_for
from perfeval.run.workspace import Workspace, find_workspace, gather_parameters, locate_workspace

__all__ = ["main", "console_main", "build_parser", "parse_cli_value", "subcommands"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``perfeval`` command."""
    parser = argparse.ArgumentParser(
        prog="perfeval",
        description="Make a council's workspace; "
        "run, describe and verify perfeval report notebooks.",
    )
    parser.add_argument("--workspace", metavar="DIR", default=None, help=WORKSPACE_HELP)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_init_parsers(commands)
    run = commands.add_parser(
        "run",
        help="run a report notebook and publish HTML, Excel, "
        "ODS and manifest (and Word with --docx, PDF with --pdf)",
    )
    run.add_argument("notebook", metavar="NOTEBOOK", help=NOTEBOOK_HELP)
    run.add_argument(
        "--params",
        metavar="FILE",
        help="YAML file of parameter values (default: "
        "the workspace's params/NOTEBOOK.yaml, else the built-in one)",
    )
    run.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set one parameter (overrides --params); VALUE is read as YAML, "
        "e.g. 2024, true, [a, b]",
    )
    run.add_argument(
        "--output-dir",
        metavar="DIR",
        help="report folder, relative to the outputs root (default: "
        "NOTEBOOK/<council>_<year>, and a short hash of any other parameter "
        "that is not its default)",
    )
    run.add_argument(
        "--outputs-root",
        metavar="DIR",
        help="folder that holds all reports (default: the workspace's outputs folder)",
    )
    run.add_argument(
        "--status",
        metavar="TEXT",
        default=None,
        help="status shown in the title block, e.g. Draft or Final (default: Draft)",
    )
    run.add_argument(
        "--pdf",
        action="store_true",
        help="also print the report to A4 PDF with headless Chromium (optional; "
        "needs Chromium installed)",
    )
    _add_docx_option(run, "the report as a Word document, <stem>.docx, beside the HTML")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument(
        "--wait",
        metavar="SECONDS",
        type=float,
        default=0.0,
        help="when another run is publishing the same report folder, wait up to "
        "SECONDS for it to end (default 0: stop at once and say so)",
    )
    _add_batch_parser(commands)
    _add_check_data_parser(commands)
    params = commands.add_parser("params", help="list a notebook's parameters")
    params.add_argument("notebook", metavar="NOTEBOOK", help=NOTEBOOK_HELP)
    verify = commands.add_parser(
        "verify",
        help="check a report's published files, re-run it "
        "and compare its parameters, inputs and key figures",
    )
    verify.add_argument("manifest", metavar="MANIFEST", help="the report's manifest.json")
    verify.add_argument(
        "--data-dir",
        metavar="DIR",
        action="append",
        default=[],
        help="a folder the re-run may read besides this workspace; the first "
        "is your copy of the report's data and is used as data_dir "
        "(repeat for more folders)",
    )
    for command in (run, params, verify):
        _add_workspace_option(command)
    return parser


WORKSPACE_HELP = (
    "the workspace folder (holding perfeval.toml); default: $PERFEVAL_WORKSPACE, "
    "else the first such folder from the current folder upwards"
)
NOTEBOOK_HELP = (
    "notebook path, or the name of a report: the workspace's notebooks/NAME.ipynb, "
    "else the built-in one"
)


def _add_workspace_option(command: argparse.ArgumentParser) -> None:
    """``--workspace`` after the command too (``perfeval run x --workspace DIR``); given there,
    it wins over one given before the command."""
    command.add_argument(
        "--workspace", metavar="DIR", default=argparse.SUPPRESS, help=WORKSPACE_HELP
    )


def _add_init_parsers(commands: Any) -> None:
    init = commands.add_parser(
        "init",
        help="make a council's workspace: perfeval.toml, data/ "
        "templates with a README of every column, params/, notebooks/, "
        "outputs/",
    )
    init.add_argument("dir", metavar="DIR", help="the workspace folder (created if needed)")
    init.add_argument(
        "--council",
        metavar="CODE",
        default=None,
        help="the home council's ONS GSS code (default: the sample data's, E06000017 Rutland)",
    )
    init.add_argument(
        "--comparator-group",
        metavar="NAME",
        default=None,
        help="its comparator group in comparator_groups.csv (default: the sample "
        "data's, rutland_nearest_15)",
    )
    init.add_argument(
        "--sample-data",
        action="store_true",
        help='read the sample data bundled with perfeval (data = ""), so that '
        "reports run at once; data/ still gets the templates",
    )
    new = commands.add_parser(
        "new",
        help="make a report notebook of the workspace's own: "
        "notebooks/NAME.ipynb and params/NAME.yaml",
    )
    new.add_argument("name", metavar="NAME", help="the report's name, e.g. waste_review")
    _add_workspace_option(new)


def _add_docx_option(parser: Any, what: str) -> None:
    """``--docx/--no-docx``: write ``what`` too; by default as the workspace's [outputs] docx."""
    parser.add_argument(
        "--docx",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"also write {what} (default: the workspace's [outputs] docx in perfeval.toml, "
        "else no); --no-docx overrides the workspace",
    )


def _add_batch_parser(commands: Any) -> None:
    batch = commands.add_parser(
        "batch",
        help="run many reports of one notebook (a council "
        "each, say) on warm workers; carries on past failures",
    )
    batch.add_argument("notebook", metavar="NOTEBOOK", help=NOTEBOOK_HELP)
    batch.add_argument(
        "--params",
        metavar="FILE",
        nargs="+",
        default=[],
        help="YAML parameter file(s); each is the base of its own report(s) "
        "(default: the workspace's params/NOTEBOOK.yaml, else the built-in "
        "one)",
    )
    batch.add_argument(
        "--over",
        metavar="NAME=VALUES",
        action="append",
        default=[],
        help="one report per value: council=all (the comparator group's "
        "members) or council=E06000017,E06000005; repeat to multiply",
    )
    batch.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set one parameter in every report",
    )
    batch.add_argument(
        "--workers", type=int, default=2, help="local workers, each with its own kernel (default 2)"
    )
    batch.add_argument(
        "--executor",
        choices=["local", "dask"],
        default="local",
        help="local workers (default) or a Dask cluster (--scheduler)",
    )
    batch.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler address for --executor dask, e.g. tcp://host:8786",
    )
    batch.add_argument(
        "--outputs-root",
        metavar="DIR",
        help="folder that holds all reports (default: the workspace's outputs folder)",
    )
    batch.add_argument(
        "--status",
        metavar="TEXT",
        default=None,
        help="status shown in every report's title block (default: Draft)",
    )
    _add_docx_option(batch, "every report as a Word document, <stem>.docx, beside its HTML")
    batch.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _add_workspace_option(batch)


def _add_check_data_parser(commands: Any) -> None:
    check = commands.add_parser(
        "check-data",
        help="check a data folder without running "
        "anything: problems grouped one line per kind, and which reports "
        "and sections it can feed (exit 1 when it has problems)",
    )
    check.add_argument(
        "dir",
        metavar="DIR",
        nargs="?",
        default="",
        help="the data folder (default: the workspace's data folder, else the bundled sample data)",
    )
    _add_workspace_option(check)


def parse_cli_value(raw: str, param_type: str | None = None) -> Any:
    """Return the value of ``-p NAME VALUE``.

    For a ``str`` parameter the text is kept exactly as typed (``1.10`` stays ``"1.10"``);
    otherwise it is read as a YAML scalar or flow list, like ``papermill -p``: ``2024`` is an
    int, ``0.5`` a float, ``true`` a bool, ``[a, b]`` a list. Anything else stays text.
    The YAML is read with the limits of a parameter file (see
    :func:`perfeval.run.parameters.parse_value_text`), so an alias bomb is refused with a
    :class:`~perfeval.core.exceptions.ParameterError`.
    """
    from perfeval.run.parameters import parse_value_text

    return parse_value_text(raw, param_type)


@overload
def _workspace(args: argparse.Namespace, required: Literal[True]) -> Workspace: ...


@overload
def _workspace(args: argparse.Namespace, required: bool) -> Workspace | None: ...


def _workspace(args: argparse.Namespace, required: bool) -> Workspace | None:
    """The workspace of this command: ``--workspace``, else found from the current folder;
    None when there is none and the command can do without (``required`` False)."""
    explicit = getattr(args, "workspace", None)
    return find_workspace(explicit=explicit) if required else locate_workspace(explicit=explicit)


def _parameter_types(stem: str) -> dict[str, str]:
    try:
        return {p.name: p.type for p in get_schema(stem)}
    except ParameterError:
        return {}


def _collect_values(
    args: argparse.Namespace, stem: str, workspace: Workspace | None
) -> dict[str, Any]:
    types = _parameter_types(stem)
    overrides = {name: parse_cli_value(raw, types.get(name)) for name, raw in args.param}
    return gather_parameters(stem, types, workspace, param_file=args.params, overrides=overrides)


def _run(args: argparse.Namespace) -> int:
    from perfeval.run.runner import notebook_origin, resolve_notebook, run_report

    workspace = _workspace(args, required=args.outputs_root is None)
    nb_path = resolve_notebook(args.notebook, workspace)
    load_schemas_for(nb_path)
    values = _collect_values(args, nb_path.stem, workspace)
    result = run_report(
        nb_path,
        values,
        output_dir=args.output_dir,
        outputs_root=args.outputs_root,
        progress=False if args.no_progress else None,
        status=args.status,
        pdf=args.pdf,
        docx=args.docx,
        wait=args.wait,
        workspace=workspace,
    )
    print(f"Notebook: {nb_path} ({notebook_origin(nb_path, workspace)})")
    print(f"Report:   {result.html}")
    print(f"Excel:    {result.excel}")
    print(f"ODS:      {result.ods}")
    if result.docx:
        print(f"Word:     {result.docx}")
    if result.pdf:
        print(f"PDF:      {result.pdf}")
    print(f"Manifest: {result.manifest_path} ({len(result.key_figures)} key figures)")
    return EXIT_OK


def _batch(args: argparse.Namespace) -> int:
    from perfeval.run.batch import plan_batch, run_batch
    from perfeval.run.runner import resolve_notebook

    workspace = _workspace(args, required=args.outputs_root is None)
    nb_path = resolve_notebook(args.notebook, workspace)
    load_schemas_for(nb_path)
    types = _parameter_types(nb_path.stem)
    overrides = {name: parse_cli_value(raw, types.get(name)) for name, raw in args.param}
    sets = plan_batch(
        nb_path, param_files=args.params, over=args.over, overrides=overrides, workspace=workspace
    )
    result = run_batch(
        nb_path,
        sets,
        outputs_root=args.outputs_root,
        workers=args.workers,
        executor=args.executor,
        scheduler=args.scheduler,
        progress=False if args.no_progress else None,
        status=args.status,
        docx=args.docx,
        workspace=workspace,
    )
    print(result.summary())
    return EXIT_OK if result.ok else EXIT_FAILED


def _params(args: argparse.Namespace) -> int:
    from perfeval.run.runner import resolve_notebook

    nb_path = resolve_notebook(args.notebook, _workspace(args, required=False))
    load_schemas_for(nb_path)
    print(describe_schema(nb_path.stem))
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from perfeval.core.exceptions import VerificationError
    from perfeval.run.verify import verify_report

    try:
        result = verify_report(
            args.manifest, data_dirs=args.data_dir, workspace=_workspace(args, required=False)
        )
    except VerificationError as err:  # not a manifest, or a --data-dir that is not a folder
        print(f"perfeval verify: {err}", file=sys.stderr)
        return EXIT_USAGE
    print(result.summary())
    return EXIT_OK if result.ok else EXIT_FAILED


def _init(args: argparse.Namespace) -> int:
    from perfeval.run.scaffold import SAMPLE_COUNCIL, SAMPLE_GROUP, init_workspace

    workspace = init_workspace(
        args.dir,
        council=args.council or SAMPLE_COUNCIL,
        comparator_group=args.comparator_group or SAMPLE_GROUP,
        sample_data=args.sample_data,
    )
    data = (
        "the sample data bundled with perfeval"
        if workspace.data_dir is None
        else f"{workspace.data_dir} (templates <table>.example.csv: put your rows in each and "
        f"rename it <table>.csv)"
    )
    print(f"Workspace: {workspace.config_file}")
    print(f"Council:   {workspace.council}, comparator group {workspace.comparator_group}")
    print(f"Data:      {data}")
    print(
        "Next:      "
        + (
            f"cd {args.dir} && perfeval run state_of_the_nation"
            if workspace.data_dir is None
            else f"put your tables in {workspace.data_dir} (see its README.md), then "
            f"cd {args.dir} && perfeval check-data data"
        )
    )
    return EXIT_OK


def _new(args: argparse.Namespace) -> int:
    from perfeval.run.scaffold import new_notebook

    workspace = _workspace(args, required=True)
    notebook = new_notebook(workspace, args.name)
    print(f"Notebook:   {notebook}")
    print(f"Parameters: {workspace.params_dir / (args.name + '.yaml')}")
    print(f"Next:       perfeval run {args.name}")
    return EXIT_OK


def _check_data(args: argparse.Namespace) -> int:
    from perfeval.run.checkdata import check_data, describe_check

    folder = args.dir
    if folder == "":  # the workspace's data folder, else the bundled sample
        workspace = _workspace(args, required=False)
        folder = workspace.data_dir_parameter if workspace is not None else ""
    check = check_data(folder)
    print("\n".join(describe_check(check)))
    return check.exit_status


def subcommands(parser: argparse.ArgumentParser) -> Any:
    """The subcommands action of a parser from :func:`build_parser`, so that a module above the
    run side (``perfeval.site.cli``) can add a command of its own with ``add_parser``."""
    for action in parser._actions:  # argparse keeps no public handle on its subparsers
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise ValueError("the parser has no subcommands; make it with build_parser()")


def main(
    argv: Sequence[str] | None = None,
    *,
    parser: argparse.ArgumentParser | None = None,
    handlers: dict[str, Any] | None = None,
) -> int:
    """Run the ``perfeval`` command and return its exit status.

    Errors perfeval raises on purpose are printed to stderr without a traceback. ``parser`` and
    ``handlers`` (command name -> function of the parsed arguments returning the exit status)
    let a module above the run side add commands: the parser it extended from
    :func:`build_parser` and the handlers of its own commands, besides these.
    """
    parser = build_parser() if parser is None else parser
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    handlers = {
        "run": _run,
        "batch": _batch,
        "params": _params,
        "verify": _verify,
        "init": _init,
        "new": _new,
        "check-data": _check_data,
        **(handlers or {}),
    }
    try:
        return handlers[args.command](args)
    except ParameterError as err:
        print(f"perfeval {args.command}: {err}", file=sys.stderr)
        return EXIT_USAGE
    except PerfevalError as err:
        print(f"perfeval {args.command}: {err}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt as err:
        print(
            f"perfeval {args.command}: interrupted ({str(err) or 'Ctrl+C'}). Any previous "
            f"report was left unchanged.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED


def console_main(entry: Any = None) -> None:
    """The ``perfeval`` console script: :func:`main` (or ``entry``, a main that adds commands,
    as ``perfeval.site.cli.main`` does) in a process of its own.

    jsonschema, which nbformat imports to validate notebooks, imports the optional package
    ``rfc3987_syntax`` when it is installed (jupyterlab's jupyter-events installs it), and that
    builds a Lark grammar at import: about one second of every ``perfeval`` command. It only
    serves jsonschema's "iri" format checks, which nbformat never asks for, so the command's
    process marks it as unavailable before anything imports jsonschema. (Only here, in a process
    the command owns; a program that imports perfeval keeps its own modules.)
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    sys.exit((main if entry is None else entry)())


if __name__ == "__main__":  # pragma: no cover
    console_main()
