"""The ``perfeval`` console script with the ``site`` command added (the composition point).

``perfeval.run`` never imports the site, so the command's parser and handlers are built here,
above both: :func:`build_parser` is :func:`perfeval.run.cli.build_parser` plus ``site``, and
:func:`main` is :func:`perfeval.run.cli.main` with the ``site`` handler. Every other command is
exactly ``perfeval.run.cli``'s.

::

    perfeval site [--council CODE] [--year YEAR] [--comparator-group NAME] [--data-dir DIR]
                  [--outputs-root DIR] [--base-url URL]
                  [--batch [--councils all|CODE,CODE] [--workers N]]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from perfeval.core.exceptions import ParameterError
from perfeval.run import cli as run_cli

__all__ = ["build_parser", "main", "console_main", "site_settings"]

#: The report whose default parameters (year, council, comparator group) the site follows, so
#: the site shows the same period as the end-of-year review.
DEFAULTS_FROM = "end_of_year_review"


def add_site_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``perfeval site`` to the subcommands of the ``perfeval`` parser."""
    site = commands.add_parser(
        "site",
        help="build the performance portal: a static, accessible site of every PI "
        "(outputs/site/, or one per council with --batch)",
    )
    site.add_argument("--council", metavar="CODE", help="home council (default: the workspace's)")
    site.add_argument(
        "--year",
        metavar="YEAR",
        help="financial year, e.g. 2024/25 (default: the end-of-year review's)",
    )
    site.add_argument(
        "--comparator-group", metavar="NAME", help="comparator group (default: the workspace's)"
    )
    site.add_argument("--data-dir", metavar="DIR", help="data folder (default: the workspace's)")
    site.add_argument(
        "--outputs-root",
        metavar="DIR",
        help="outputs folder; the site goes in its site/ folder (default: the workspace's)",
    )
    site.add_argument(
        "--base-url",
        metavar="URL",
        help="where the site is published, for absolute addresses in sitemap.xml "
        "(default: relative)",
    )
    site.add_argument(
        "--batch",
        action="store_true",
        help="one site per council of the comparator group, on the batch's warm workers, "
        "and an index across them (outputs/sites/)",
    )
    site.add_argument(
        "--councils",
        metavar="all|CODE,CODE",
        default="all",
        help="with --batch: the councils (default: every member of the group)",
    )
    site.add_argument(
        "--workers",
        metavar="N",
        type=int,
        default=2,
        help="with --batch: workers at once (default 2)",
    )
    site.add_argument(
        "--workspace", metavar="DIR", default=argparse.SUPPRESS, help=run_cli.WORKSPACE_HELP
    )
    return site


def build_parser() -> argparse.ArgumentParser:
    """The ``perfeval`` parser with ``site``."""
    parser = run_cli.build_parser()
    add_site_parser(run_cli.subcommands(parser))
    return parser


def site_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The site's council, year, comparator group, data folder and outputs root: the options
    given, else the workspace's, else the end-of-year review's defaults."""
    from perfeval.run.parameters import validate_parameters
    from perfeval.run.workspace import gather_parameters, locate_workspace

    workspace = locate_workspace(explicit=getattr(args, "workspace", None))
    overrides = {
        name: value
        for name, value in (
            ("council", args.council),
            ("year", args.year),
            ("comparator_group", args.comparator_group),
            ("data_dir", args.data_dir),
        )
        if value is not None
    }
    names = ("council", "year", "comparator_group", "data_dir")
    values = gather_parameters(DEFAULTS_FROM, names, workspace, overrides=overrides)
    checked = validate_parameters(DEFAULTS_FROM, values)
    if args.outputs_root is not None:
        root = Path(args.outputs_root)
    elif workspace is not None:
        root = workspace.outputs_dir
    else:
        raise ParameterError(["no workspace here and no --outputs-root: say where the site goes"])
    return {
        "council": checked["council"],
        "year": checked["year"],
        "group": checked["comparator_group"],
        "data_dir": checked["data_dir"] or None,
        "outputs_root": root,
    }


def _site(args: argparse.Namespace) -> int:
    settings = site_settings(args)
    if args.batch:
        from perfeval.site.multi import build_sites, pick_councils

        councils = pick_councils(settings, args.councils)
        settings.pop("council")
        result = build_sites(
            councils=councils, workers=args.workers, base_url=args.base_url, **settings
        )
        for outcome in result.outcomes:
            code = outcome.arguments["council"]
            print(f"{code}: {'built' if outcome.ok else 'FAILED: ' + str(outcome.error)}")
        print(f"Index of the sites: {result.index}")
        return run_cli.EXIT_OK if result.ok else run_cli.EXIT_FAILED
    from perfeval.site.build import build_site

    built = build_site(base_url=args.base_url, **settings)
    print(
        f"Site: {built.home} ({len(built.written)} files written, {len(built.kept)} unchanged, "
        f"{len(built.removed)} removed, {built.seconds:.1f} s)"
    )
    return run_cli.EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``perfeval`` command (every command of :mod:`perfeval.run.cli`, and ``site``)."""
    return run_cli.main(argv, parser=build_parser(), handlers={"site": _site})


def console_main() -> None:
    """The ``perfeval`` console script."""
    run_cli.console_main(main)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
