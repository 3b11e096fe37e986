"""The ``perfeval`` command: run, describe and verify reports.

::

    perfeval run NOTEBOOK [--params FILE] [-p NAME VALUE ...] [--output-dir DIR]
                          [--outputs-root DIR] [--status TEXT] [--pdf] [--no-progress]
                          [--wait SECONDS]
    perfeval batch NOTEBOOK [--params FILE ...] [--over NAME=all|V1,V2 ...] [-p NAME VALUE ...]
                            [--workers N] [--executor local|dask] [--scheduler ADDRESS]
                            [--outputs-root DIR] [--status TEXT] [--no-progress]
    perfeval params NOTEBOOK
    perfeval verify MANIFEST [--data-dir DIR ...]
    perfeval check-data [DIR]

NOTEBOOK is a path or the stem of a notebook in the repository's ``notebooks/``. Exit status: 0
success, 1 the run failed (for batch: any report failed) or verification did not match,
2 invalid parameters or usage (for verify: a file that is not a valid manifest), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import yaml

from perfeval.exceptions import ParameterError, PerfevalError
from perfeval.parameters import describe_schema, get_schema, load_folder_schemas, \
    load_parameter_file

__all__ = ["main", "console_main", "build_parser", "parse_cli_value"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``perfeval`` command."""
    parser = argparse.ArgumentParser(prog="perfeval", description="Run, describe and verify "
                                     "perfeval report notebooks.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run a report notebook and publish HTML, Excel "
                              "and manifest (and PDF with --pdf)")
    run.add_argument("notebook", metavar="NOTEBOOK", help="notebook path or stem in notebooks/")
    run.add_argument("--params", metavar="FILE", help="YAML file of parameter values")
    run.add_argument("-p", "--param", nargs=2, action="append", default=[],
                     metavar=("NAME", "VALUE"),
                     help="set one parameter (overrides --params); VALUE is read as YAML, "
                          "e.g. 2024, true, [a, b]")
    run.add_argument("--output-dir", metavar="DIR",
                     help="report folder, relative to the outputs root "
                          "(default: NOTEBOOK/<council>_<year>)")
    run.add_argument("--outputs-root", metavar="DIR",
                     help="folder that holds all reports (default: the repository's outputs/)")
    run.add_argument("--status", metavar="TEXT", default=None,
                     help="status shown in the title block, e.g. Draft or Final (default: Draft)")
    run.add_argument("--pdf", action="store_true",
                     help="also print the report to A4 PDF with headless Chromium (optional; "
                          "needs Chromium installed)")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument("--wait", metavar="SECONDS", type=float, default=0.0,
                     help="when another run is publishing the same report folder, wait up to "
                          "SECONDS for it to end (default 0: stop at once and say so)")
    _add_batch_parser(commands)
    _add_check_data_parser(commands)
    params = commands.add_parser("params", help="list a notebook's parameters")
    params.add_argument("notebook", metavar="NOTEBOOK")
    verify = commands.add_parser("verify", help="check a report's published files, re-run it "
                                 "and compare its parameters, inputs and key figures")
    verify.add_argument("manifest", metavar="MANIFEST", help="the report's manifest.json")
    verify.add_argument("--data-dir", metavar="DIR", action="append", default=[],
                        help="a folder the re-run may read besides this workspace; the first "
                             "is your copy of the report's data and is used as data_dir "
                             "(repeat for more folders)")
    return parser


def _add_batch_parser(commands: Any) -> None:
    batch = commands.add_parser("batch", help="run many reports of one notebook (a council "
                                "each, say) on warm workers; carries on past failures")
    batch.add_argument("notebook", metavar="NOTEBOOK", help="notebook path or stem in notebooks/")
    batch.add_argument("--params", metavar="FILE", nargs="+", default=[],
                       help="YAML parameter file(s); each is the base of its own report(s)")
    batch.add_argument("--over", metavar="NAME=VALUES", action="append", default=[],
                       help="one report per value: council=all (the comparator group's "
                            "members) or council=E06000017,E06000005; repeat to multiply")
    batch.add_argument("-p", "--param", nargs=2, action="append", default=[],
                       metavar=("NAME", "VALUE"), help="set one parameter in every report")
    batch.add_argument("--workers", type=int, default=2,
                       help="local workers, each with its own kernel (default 2)")
    batch.add_argument("--executor", choices=["local", "dask"], default="local",
                       help="local workers (default) or a Dask cluster (--scheduler)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="Dask scheduler address for --executor dask, e.g. tcp://host:8786")
    batch.add_argument("--outputs-root", metavar="DIR",
                       help="folder that holds all reports (default: the repository's outputs/)")
    batch.add_argument("--status", metavar="TEXT", default=None,
                       help="status shown in every report's title block (default: Draft)")
    batch.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _add_check_data_parser(commands: Any) -> None:
    check = commands.add_parser("check-data", help="check a data folder without running "
                                "anything: problems grouped one line per kind, and which reports "
                                "and sections it can feed (exit 1 when it has problems)")
    check.add_argument("dir", metavar="DIR", nargs="?", default="",
                       help="the data folder (default: the bundled sample data)")


def parse_cli_value(raw: str, param_type: str | None = None) -> Any:
    """Return the value of ``-p NAME VALUE``.

    For a ``str`` parameter the text is kept exactly as typed (``1.10`` stays ``"1.10"``);
    otherwise it is read as a YAML scalar or flow list, like ``papermill -p``: ``2024`` is an
    int, ``0.5`` a float, ``true`` a bool, ``[a, b]`` a list. Anything else stays text.
    The YAML is read with the limits of a parameter file (see
    :func:`perfeval.parameters.parse_value_text`), so an alias bomb is refused with a
    :class:`~perfeval.exceptions.ParameterError`.
    """
    from perfeval.parameters import parse_value_text

    return parse_value_text(raw, param_type)


def _collect_values(args: argparse.Namespace, stem: str) -> dict[str, Any]:
    values = load_parameter_file(args.params) if args.params else {}
    try:
        types = {p.name: p.type for p in get_schema(stem)}
    except ParameterError:
        types = {}
    for name, raw in args.param:
        values[name] = parse_cli_value(raw, types.get(name))
    return values


def _run(args: argparse.Namespace) -> int:
    from perfeval.runner import resolve_notebook, run_report

    nb_path = resolve_notebook(args.notebook)
    load_folder_schemas(nb_path.parent)
    values = _collect_values(args, nb_path.stem)
    result = run_report(nb_path, values, output_dir=args.output_dir,
                        outputs_root=args.outputs_root,
                        progress=False if args.no_progress else None,
                        status=args.status, pdf=args.pdf, wait=args.wait)
    print(f"Report:   {result.html}")
    print(f"Excel:    {result.excel}")
    if result.pdf:
        print(f"PDF:      {result.pdf}")
    print(f"Manifest: {result.manifest_path} ({len(result.key_figures)} key figures)")
    return EXIT_OK


def _batch(args: argparse.Namespace) -> int:
    from perfeval.batch import plan_batch, run_batch
    from perfeval.runner import resolve_notebook

    nb_path = resolve_notebook(args.notebook)
    load_folder_schemas(nb_path.parent)
    try:
        types = {p.name: p.type for p in get_schema(nb_path.stem)}
    except ParameterError:
        types = {}
    overrides = {name: parse_cli_value(raw, types.get(name)) for name, raw in args.param}
    sets = plan_batch(nb_path, param_files=args.params, over=args.over, overrides=overrides)
    result = run_batch(nb_path, sets, outputs_root=args.outputs_root, workers=args.workers,
                       executor=args.executor, scheduler=args.scheduler,
                       progress=False if args.no_progress else None, status=args.status)
    print(result.summary())
    return EXIT_OK if result.ok else EXIT_FAILED


def _params(args: argparse.Namespace) -> int:
    from perfeval.runner import resolve_notebook

    nb_path = resolve_notebook(args.notebook)
    load_folder_schemas(nb_path.parent)
    print(describe_schema(nb_path.stem))
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from perfeval.exceptions import VerificationError
    from perfeval.verify import verify_report

    try:
        result = verify_report(args.manifest, data_dirs=args.data_dir)
    except VerificationError as err:  # not a manifest, or a --data-dir that is not a folder
        print(f"perfeval verify: {err}", file=sys.stderr)
        return EXIT_USAGE
    print(result.summary())
    return EXIT_OK if result.ok else EXIT_FAILED


def _check_data(args: argparse.Namespace) -> int:
    from perfeval.checkdata import check_data, describe_check

    check = check_data(args.dir)
    print("\n".join(describe_check(check)))
    return check.exit_status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``perfeval`` command and return its exit status.

    Errors perfeval raises on purpose are printed to stderr without a traceback.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    handlers = {"run": _run, "batch": _batch, "params": _params, "verify": _verify,
                "check-data": _check_data}
    try:
        return handlers[args.command](args)
    except ParameterError as err:
        print(f"perfeval {args.command}: {err}", file=sys.stderr)
        return EXIT_USAGE
    except PerfevalError as err:
        print(f"perfeval {args.command}: {err}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt as err:
        print(f"perfeval {args.command}: interrupted ({err or 'Ctrl+C'}). Any previous report "
              f"was left unchanged.", file=sys.stderr)
        return EXIT_INTERRUPTED


def console_main() -> None:
    """The ``perfeval`` console script: :func:`main` in a process of its own.

    jsonschema, which nbformat imports to validate notebooks, imports the optional package
    ``rfc3987_syntax`` when it is installed (jupyterlab's jupyter-events installs it), and that
    builds a Lark grammar at import: about one second of every ``perfeval`` command. It only
    serves jsonschema's "iri" format checks, which nbformat never asks for, so the command's
    process marks it as unavailable before anything imports jsonschema. (Only here, in a process
    the command owns; a program that imports perfeval keeps its own modules.)
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    console_main()
