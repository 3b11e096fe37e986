"""``perfeval site --batch``: one portal per council of a comparator group, and an index.

Each council's site is built by :func:`perfeval.site.build.build_site` on the warm kernels that
``perfeval batch`` uses (:func:`perfeval.run.batch.run_calls`), into ``<outputs>/sites/<code>/``;
``<outputs>/sites/index.html`` then lists every council's site. A council whose site fails is
named with the reason and the others go on; its previous site is left as it was.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfeval.core.exceptions import ParameterError
from perfeval.core.formatting import plural
from perfeval.data.loader import load_dataset
from perfeval.run.batch import CallOutcome, run_calls
from perfeval.site.store import bytes_hash, read_manifest, write_bytes_atomically

__all__ = ["SITES_FOLDER", "SitesResult", "pick_councils", "build_one", "build_sites", "index_page"]

#: The folder of the batch's sites inside the outputs root.
SITES_FOLDER = "sites"
#: What every kernel imports once at start-up.
WARMUP = "import perfeval.site.build\nimport perfeval.site.multi"


@dataclass(frozen=True)
class SitesResult:
    """The outcome of each council's build and the index page."""

    outcomes: list[CallOutcome]
    index: Path

    @property
    def ok(self) -> bool:
        """True when every council's site was built."""
        return all(o.ok for o in self.outcomes)


def pick_councils(settings: dict[str, Any], which: str) -> list[str]:
    """The councils of a batch: ``all`` (the comparator group's members) or a comma-separated
    list, each of which must be a member.

    Raises
    ------
    ParameterError
        Naming the codes that are not in the group, and the group's members.
    """
    from perfeval.stats.scorecard import group_members

    members = group_members(load_dataset(settings["data_dir"]), settings["group"])
    if which.strip().lower() == "all":
        return members
    chosen = [c.strip() for c in which.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in members]
    if unknown or not chosen:
        raise ParameterError(
            [
                f"--councils: {', '.join(unknown) or '(none)'} not in the comparator group "
                f"{settings['group']}; its members are {', '.join(members)}"
            ]
        )
    return chosen


def build_one(
    council: str,
    year: str,
    group: str,
    data_dir: str | None,
    outputs_root: str,
    base_url: str | None,
) -> None:
    """Build one council's site into ``<outputs_root>/sites/<council>/`` (the kernel's call)."""
    from perfeval.site.build import build_site

    folder = Path(outputs_root) / SITES_FOLDER / council
    build_site(
        data_dir, council, year, group, outputs_root, folder=folder, base_url=base_url, workers=1
    )  # the batch runs one council per kernel already


def build_sites(
    *,
    councils: Sequence[str],
    year: str,
    group: str,
    data_dir: str | Path | None,
    outputs_root: str | Path,
    workers: int = 2,
    base_url: str | None = None,
) -> SitesResult:
    """Build a site per council on ``workers`` warm kernels, then the index across them."""
    root = Path(outputs_root).expanduser().resolve()
    (root / SITES_FOLDER).mkdir(parents=True, exist_ok=True)
    calls = [
        {
            "council": code,
            "year": year,
            "group": group,
            "data_dir": None if not data_dir else str(Path(data_dir).resolve()),
            "outputs_root": str(root),
            "base_url": base_url,
        }
        for code in councils
    ]
    outcomes = run_calls(
        "perfeval.site.multi:build_one", calls, workers=workers, cwd=root, warmup=WARMUP
    )
    index = root / SITES_FOLDER / "index.html"
    page = index_page(root / SITES_FOLDER, load_dataset(data_dir or None), outcomes, year, group)
    if not (index.is_file() and bytes_hash(index.read_bytes()) == bytes_hash(page)):
        write_bytes_atomically(index, page)
    return SitesResult(outcomes, index)


def index_page(
    folder: Path, data: Any, outcomes: Sequence[CallOutcome], year: str, group: str
) -> bytes:
    """``sites/index.html``: every council's site, with whether this batch built it."""
    from perfeval.data.loader import council_name
    from perfeval.site.pages import render_page

    items = []
    for outcome in outcomes:
        code = outcome.arguments["council"]
        name = html.escape(council_name(data, code))
        built = read_manifest(folder / code) != {}
        if built:
            link = f'<a href="{html.escape(code)}/index.html">{name} ({html.escape(code)})</a>'
        else:
            link = f"{name} ({html.escape(code)})"
        state = "" if outcome.ok else f": not rebuilt ({html.escape(str(outcome.error))})"
        items.append(f"<li>{link}{state}</li>")
    return render_page(
        "listing.html.j2",
        title=f"Performance portals {year}",
        current=None,
        crumbs=[],
        intro=[
            f"{plural(len(outcomes), 'council')} of the comparator group {group}, each with "
            f"its own performance portal for {year}."
        ],
        body="<ul>" + "".join(items) + "</ul>",
        script=None,
        site_name=f"Performance portals: {group}",
        root="",
        nav=False,
        footer="Each portal is built by perfeval from the same data and functions as its reports.",
    )
