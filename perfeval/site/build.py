"""Build the performance portal for one council and year, rebuilding only what changed.

:func:`plan_pages` lists every page of the site with the inputs it shows and a function that
draws it; :func:`build_site` hashes each page's inputs (:func:`perfeval.site.store.input_hash`),
draws only the pages whose hash differs from the manifest's or whose files were changed on disk,
writes each file atomically, removes the files of pages that are gone, and writes the manifest
last. A build that fails leaves the previous site as it was, apart from pages it had finished,
which are complete.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfeval.core.exceptions import RunError
from perfeval.data.loader import Dataset, load_dataset
from perfeval.run.publish import index_entries
from perfeval.site import pages, store
from perfeval.site.content import SiteContent, build_content, slug
from perfeval.site.store import (
    bytes_hash,
    input_hash,
    read_manifest,
    unchanged,
    write_bytes_atomically,
    write_manifest,
)
from perfeval.stats import scorecard

__all__ = ["Page", "SiteResult", "plan_pages", "build_site", "SITE_FOLDER"]

#: The site's folder inside the outputs root.
SITE_FOLDER = "site"
#: Years of the comparator trend chart on each PI page.
TREND_YEARS = 10


@dataclass(frozen=True)
class Page:
    """One page of the site: its path, the inputs it shows (hashed) and how to draw its files."""

    path: str
    inputs: Any
    draw: Callable[[], Mapping[str, bytes]]


@dataclass(frozen=True)
class SiteResult:
    """What a build did: the site folder, the files written, kept and removed, and the time."""

    folder: Path
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def home(self) -> Path:
        """The site's home page."""
        return self.folder / "index.html"


def _report_links(
    entries: list[dict[str, Any]], outputs_root: Path, site: Path
) -> list[dict[str, str]]:
    """The reports page's rows, their links relative to the site folder."""
    rows = []
    for e in entries:
        links = e["links"]
        if "HTML" not in links:
            continue

        def rel(name: str, links: Mapping[str, str] = links) -> str:
            return os.path.relpath(outputs_root / links[name], site).replace(os.sep, "/")

        rows.append(
            {
                "title": f"{e['title']}: {e['council']}",
                "period": str(e["period"] or ""),
                "status": str(e["status"] or ""),
                "date": str(e["produced"]),
                "html": rel("HTML"),
                "manifest": rel("Manifest"),
            }
        )
    return rows


def plan_pages(data: Dataset, content: SiteContent, reports: list[dict[str, str]]) -> list[Page]:
    """Every page of the site with its inputs: the home page, one pre-built page per filter
    value, one page per PI (with its charts and CSV), one per service, the services list and
    the reports page."""
    card = content.card
    shared = {
        "card": card,
        "shares": content.shares,
        "absent": pages.absent_sentences(content),
        "data": pages.data_sentence(content),
    }
    plan = [Page("index.html", shared, lambda: {"index.html": pages.home_page(content)})]
    for kind, _ in pages.FILTER_KINDS:
        for value_slug, label, _count in pages.filter_values(card, kind):
            path = pages.filter_page(kind, value_slug)
            rows = pages.filter_rows(card, kind, value_slug)
            plan.append(
                Page(
                    path,
                    {
                        "rows": rows,
                        "filters": pages.filter_groups(card),
                        "absent": shared["absent"],
                    },
                    _draw(path, pages.filtered_page, content, kind, value_slug, label),
                )
            )
    for code, story in content.stories.items():
        trends = scorecard.comparator_trends(
            data, content.council, content.group, [code], content.year, TREND_YEARS
        )
        inputs = {
            "row": story.row,
            "register": story.register,
            "history": story.history,
            "spc": story.spc,
            "positions": story.positions,
            "commentary": story.commentary,
            "actions": story.actions,
            "risks": story.risks,
            "funnel": story.funnel,
            "trends": trends,
        }
        plan.append(Page(f"pi/{code}.html", inputs, _pi_draw(story, content, trends)))
    for service in sorted(set(card["service"])):
        path = f"service/{slug(service)}.html"
        inputs = {
            "rows": card[card["service"] == service],
            "budget": None
            if content.budget is None
            else content.budget[content.budget["service"] == service],
            "actions": content.actions,
            "risks": content.risks,
            "as_at": content.budget_as_at,
        }
        plan.append(Page(path, inputs, _draw(path, pages.service_page, content, service)))
    plan.append(
        Page(
            "services.html",
            card[["indicator", "service", "rag"]],
            lambda: {"services.html": pages.services_page(content)},
        )
    )
    plan.append(
        Page(
            "reports.html", reports, lambda: {"reports.html": pages.reports_page(content, reports)}
        )
    )
    return plan


def _draw(
    path: str, function: Callable[..., bytes], *args: Any
) -> Callable[[], Mapping[str, bytes]]:
    return lambda: {path: function(*args)}


def _pi_draw(story, content, trends) -> Callable[[], Mapping[str, bytes]]:
    return lambda: pages.pi_page(story, content, trends)


#: Fewest pages to draw for which the build draws on several processes (a pool costs a second).
PARALLEL_FROM = 12
_PLAN: list[Page] = []


def _draw_planned(index: int) -> Mapping[str, bytes]:
    """Draw page ``index`` of the plan (in a forked worker, which has the plan in memory)."""
    return _PLAN[index].draw()


def draw_pages(plan: list[Page], workers: int) -> Iterator[tuple[Page, Mapping[str, bytes]]]:
    """Each page of ``plan`` with its files, drawn on ``workers`` forked processes when there
    are at least :data:`PARALLEL_FROM` pages and the platform can fork, else here."""
    import multiprocessing

    if (
        workers < 2
        or len(plan) < PARALLEL_FROM
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        for page in plan:
            yield page, page.draw()
        return
    _PLAN[:] = plan
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for page, files in zip(plan, pool.imap(_draw_planned, range(len(plan)))):
                yield page, files
    finally:
        _PLAN.clear()


def _write_page(
    site: Path, page: Page, digest: str, files: Mapping[str, bytes]
) -> dict[str, dict[str, str]]:
    entries = {}
    for relative, data in files.items():
        write_bytes_atomically(site / relative, data)
        entries[relative] = {"inputs": digest, "bytes": bytes_hash(data), "page": page.path}
    return entries


def _page_files(
    manifest: Mapping[str, Mapping[str, str]], page_path: str
) -> dict[str, dict[str, str]]:
    return {k: dict(v) for k, v in manifest.items() if v.get("page") == page_path}


def build_site(
    data_dir: str | Path | None,
    council: str,
    year: str,
    group: str,
    outputs_root: str | Path,
    *,
    folder: str | Path | None = None,
    base_url: str | None = None,
    data: Dataset | None = None,
    workers: int = 2,
) -> SiteResult:
    """Build (or update) the performance portal of ``council`` for ``year``.

    Parameters
    ----------
    data_dir : str, Path or None
        The data folder (None or ``""``: the bundled sample data).
    council, year, group : str
        The home council's code, the financial year (``2024/25``) and the comparator group.
    outputs_root : str or Path
        The outputs folder: the reports page lists the reports published in it.
    folder : str or Path, optional
        The site folder; default ``<outputs_root>/site``.
    base_url : str, optional
        Where the site will be published, for absolute addresses in ``sitemap.xml`` (relative
        without it).
    data : Dataset, optional
        Already loaded data (else ``data_dir`` is loaded).
    workers : int
        Processes that draw the pages when many change (1: all in this process).

    Returns
    -------
    SiteResult

    Raises
    ------
    DataValidationError
        If the data folder has problems (every one listed).
    AnalysisError
        If the council or comparator group is not in the data.
    RunError
        If the site folder cannot be written.
    """
    clock = time.monotonic()
    root = Path(outputs_root).expanduser().resolve()
    site = Path(folder).expanduser().resolve() if folder is not None else root / SITE_FOLDER
    data = load_dataset(data_dir or None) if data is None else data
    content = build_content(data, council, year, group)
    reports = _report_links(index_entries(root), root, site) if root.is_dir() else []
    parameters = {"council": council, "year": year, "group": group, "base_url": base_url or ""}
    try:
        site.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RunError(
            f"the site folder {site} cannot be made: {err.strerror}; choose another --outputs-root"
        ) from err
    old = read_manifest(site)
    files: dict[str, dict[str, str]] = {}
    written: list[str] = []
    kept: list[str] = []
    to_draw, digests = [], {}
    for page in plan_pages(data, content, reports):
        digests[page.path] = digest = input_hash(page.inputs, parameters)
        previous = _page_files(old, page.path)
        if previous and all(unchanged(site, rel, digest, old) for rel in previous):
            files.update(previous)
            kept.extend(previous)
        else:
            to_draw.append(page)
    for page, drawn in draw_pages(to_draw, workers):
        new = _write_page(site, page, digests[page.path], drawn)
        files.update(new)
        written.extend(new)
    html_pages = sorted(k for k in files if k.endswith(".html"))
    sitemap = pages.sitemap(html_pages, base_url)
    _keep_or_write(site, "sitemap.xml", sitemap, old, files, written, kept)
    removed = store.prune(site, old, files)
    write_manifest(
        site,
        files,
        {
            "council": council,
            "year": year,
            "comparator_group": group,
            "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    )
    return SiteResult(site, written, kept, removed, time.monotonic() - clock)


def _keep_or_write(site, relative, data, old, files, written, kept) -> None:
    digest = bytes_hash(data)
    if unchanged(site, relative, digest, old):
        kept.append(relative)
    else:
        write_bytes_atomically(site / relative, data)
        written.append(relative)
    files[relative] = {"inputs": digest, "bytes": digest, "page": relative}
