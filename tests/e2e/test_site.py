"""The performance portal end to end (#18): built once from the bundled data (beside a published
end-of-year review) and once from the district folder without survey, budget, actions or risks,
then every page opened in headless Chromium as ``test_browser.py`` opens the reports.

Checked: axe-core WCAG 2.2 A/AA with zero violations on every page, no console error or network
request, every relative link and image resolves, the page under its own Content-Security-Policy
(the filter script runs through its hash), filtering by keyboard with scripts on and through the
pre-built pages with scripts off; the figures equal the review's key figures; a second build
rewrites no file; a changed value rewrites only the pages that show it; ``perfeval site --batch``
on two councils.
"""

from __future__ import annotations

import html
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd
import pytest
from test_browser import CHROMIUM, MISSING, axe_violations, open_page

from district import GROUP, HOME, build_district_folder
from perfeval.core.formatting import format_value
from perfeval.core.paths import SAMPLE_DATA_DIR
from perfeval.site.build import build_site
from perfeval.site.cli import main as perfeval_main
from perfeval.stats.scorecard import unit_symbol
from report_pages import run_default, table_rows

pytestmark = [
    pytest.mark.notebook,
    pytest.mark.slow,  # about three minutes on 2 busy cores: every page through axe-core
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium on the PATH (.ci/run installs Debian's chromium; locally: "
        "apt-get install chromium)",
    ),
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]

RUTLAND, YEAR, RUTLAND_GROUP = "E06000017", "2024/25", "rutland_nearest_15"


@pytest.fixture(scope="module")
def rutland(tmp_path_factory):
    """The bundled council's site, beside its published end-of-year review."""
    root = tmp_path_factory.mktemp("site-outputs")
    review = run_default("end_of_year_review", root)
    result = build_site(None, RUTLAND, YEAR, RUTLAND_GROUP, root)
    return {"root": root, "review": review, "result": result, "site": result.folder}


@pytest.fixture(scope="module")
def melton(tmp_path_factory):
    """The district folder's site (no survey, budget, actions or risks)."""
    folder = build_district_folder(tmp_path_factory.mktemp("data") / "melton")
    root = tmp_path_factory.mktemp("melton-outputs")
    result = build_site(folder, HOME, YEAR, GROUP, root)
    return {"root": root, "result": result, "site": result.folder, "data": folder}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        for name in ("href", "src"):
            if found.get(name):
                self.targets.append(found[name])


def broken_links(site: Path) -> list[str]:
    """Every relative link or image of every page that does not resolve to a file."""
    broken = []
    for page in sorted(site.rglob("*.html")):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for target in parser.targets:
            parts = urlsplit(target)
            assert not parts.scheme and not parts.netloc, f"{page}: {target} is not relative"
            if parts.path and not (page.parent / unquote(parts.path)).resolve().is_file():
                broken.append(f"{page.relative_to(site)} -> {target}")
    return broken


def visible_text(path: Path) -> str:
    text = re.sub(r"<(style|script)>.*?</\1>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)))


@pytest.mark.parametrize("which", ["rutland", "melton"])
def test_every_page_passes_axe_with_no_console_error_and_every_link_resolves(
    which, request, browser
):
    site = request.getfixturevalue(which)["site"]
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    assert broken_links(site) == []
    failures = []
    printed = {site / "index.html", sorted((site / "pi").glob("*.html"))[0]}
    for path in pages:
        page, problems = open_page(browser, path)
        try:
            violations = axe_violations(page)
            if path in printed:
                page.emulate_media(media="print")  # the print styles too, as the reports'
                violations += [f"print: {v}" for v in axe_violations(page)]
        finally:
            page.close()
        failures += [f"{path.relative_to(site)}: {v}" for v in violations + problems]
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("which", ["rutland", "melton"])
def test_pages_under_their_policy_show_images_and_run_only_the_filter_script(
    which, request, browser
):
    site = request.getfixturevalue(which)["site"]
    first_pi = sorted((site / "pi").glob("*.html"))[0]
    for path in (site / "index.html", first_pi):
        page, problems = open_page(browser, path, bypass_csp=False)
        try:
            violations = page.evaluate("window.__cspViolations")
            images = page.evaluate("[...document.images].map(i => i.naturalWidth)")
            form_shown = page.locator("#filter-form").count() and page.is_visible("#filter-form")
        finally:
            page.close()
        assert violations == [] and problems == [], violations + problems
        assert all(width > 0 for width in images), images
        assert bool(form_shown) == (path.name == "index.html")


def _tab_to(page, selector: str, limit: int = 300) -> None:
    """Press Tab until the element matching ``selector`` has the focus (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"{selector} is not reachable with the Tab key")


def test_filtering_by_keyboard_with_scripts_on(rutland, browser):
    page, problems = open_page(browser, rutland["site"] / "index.html", bypass_csp=False)
    try:
        total = page.locator("#scorecard tbody tr").count()
        red = page.locator('#scorecard tbody tr[data-status="red"]').count()
        _tab_to(page, "#select-status")
        while page.evaluate("document.activeElement.value") != "red":
            page.keyboard.press("ArrowDown")
        shown = page.locator("#scorecard tbody tr:not([hidden])").count()
        status = page.inner_text("#filter-count")
        _tab_to(page, "#filter-reset")
        page.keyboard.press("Enter")
        page.wait_for_function(
            f"document.querySelectorAll('#scorecard tbody tr:not([hidden])').length === {total}"
        )
    finally:
        page.close()
    assert problems == []
    assert 0 < red == shown < total
    assert status == f"Showing {red} of {total} indicators."


def test_filtering_with_scripts_off_uses_the_pre_built_pages(rutland, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto((rutland["site"] / "index.html").resolve().as_uri())
        assert not page.is_visible("#filter-form")
        red = page.locator('#scorecard tbody tr[data-status="red"]').count()
        _tab_to(page, 'a[href="filter/status-red.html"]')
        with page.expect_navigation():
            page.keyboard.press("Enter")
        rows = page.locator("#scorecard tbody tr")
        count = rows.count()
        statuses = {rows.nth(i).get_attribute("data-status") for i in range(count)}
        title = page.inner_text("h1")
    finally:
        context.close()
    assert count == red > 0 and statuses == {"red"}
    assert title == "Status against target: Red"


def _home_rows(site: Path) -> dict[str, dict[str, str]]:
    """The home scorecard's cells by indicator code."""
    page = (site / "index.html").read_text(encoding="utf-8")
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = {}
    header = ["indicator", "service", "period", "value", "target", "status", "direction",
              "variation", "assurance", "rank", "quartile", "priority"]  # fmt: skip
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]  # fmt: skip
        code = re.search(r"\(([A-Z0-9]+)\)$", cells[0]).group(1)
        rows[code] = dict(zip(header, cells))
    return rows


def test_the_site_figures_equal_the_review_key_figures(rutland):
    figures = rutland["review"].manifest["key_figures"]
    register = pd.read_csv(SAMPLE_DATA_DIR / "indicators.csv").set_index("code")
    shown = _home_rows(rutland["site"])
    outturns = table_rows(figures["outturns"])
    assert sorted(shown) == sorted(r["indicator"] for r in outturns)
    for r in outturns:
        cells, pi = shown[r["indicator"]], register.loc[r["indicator"]]
        assert cells["period"] == r["period"]
        if r["value"] is None:  # a missing value shows its symbol, as the reports' tables do
            assert re.fullmatch(r"(\[[a-z]+\]|\.\.|-)?", cells["value"]), r
        else:
            expected = format_value(r["value"], int(pi["decimals"]), unit_symbol(pi["unit"]))
            assert cells["value"].split(" [")[0] == expected, r
        target = (
            ""
            if r["target"] is None
            else format_value(r["target"], int(pi["decimals"]), unit_symbol(pi["unit"]))
        )
        assert cells["target"] == target, r
        assert cells["status"].endswith(r["rag"]) and cells["direction"].endswith(r["dot"]), r
        assert cells["quartile"] == ("" if r["quartile"] is None else str(r["quartile"])), r
    text = visible_text(rutland["site"] / "index.html")
    for row in table_rows(figures["rag_counts"]):
        if row["indicators"]:
            assert f"{row['rag']} ({row['indicators']})" in text, row
    review_link = rutland["review"].html.relative_to(rutland["root"]).as_posix()
    assert f'href="../{review_link}"' in (rutland["site"] / "reports.html").read_text()


def _mtimes(site: Path) -> dict[str, int]:
    return {
        p.relative_to(site).as_posix(): p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()
    }


def test_a_second_build_with_no_changed_input_rewrites_no_file(rutland):
    site = rutland["site"]
    before = _mtimes(site)
    again = build_site(None, RUTLAND, YEAR, RUTLAND_GROUP, rutland["root"])
    after = _mtimes(site)
    assert again.written == [] and again.removed == []
    assert {k: v for k, v in after.items() if k != "site-manifest.json"} == {
        k: v for k, v in before.items() if k != "site-manifest.json"
    }


def test_a_changed_value_rewrites_only_the_pages_that_show_it(rutland, tmp_path):
    data = shutil.copytree(SAMPLE_DATA_DIR, tmp_path / "data")
    values = (data / "indicator_values.csv").read_text(encoding="utf-8")
    changed = values.replace("E06000017,HB01,2024/25,15.3,", "E06000017,HB01,2024/25,15.4,", 1)
    assert changed != values
    copy = rutland["root"] / "site-copy"
    shutil.copytree(rutland["site"], copy)
    same = build_site(data, RUTLAND, YEAR, RUTLAND_GROUP, rutland["root"], folder=copy)
    assert same.written == [], "a copy of the bundled data builds the same site"
    (data / "indicator_values.csv").write_text(changed, encoding="utf-8")
    update = build_site(data, RUTLAND, YEAR, RUTLAND_GROUP, rutland["root"], folder=copy)
    written = set(update.written)
    assert {
        "index.html",
        "pi/HB01.html",
        "pi/HB01.csv",
        "service/revenues-and-benefits.html",
    } <= written
    pages = {p for p in written if p.endswith(".html")}
    allowed = {"index.html", "pi/HB01.html", "service/revenues-and-benefits.html"} | {
        p for p in pages if p.startswith("filter/")
    }
    assert pages <= allowed, pages - allowed
    filtered = _home_rows(copy)
    assert filtered["HB01"]["value"] == "15.4"
    for page in (p for p in pages if p.startswith("filter/")):
        assert "pi/HB01.html" in (copy / page).read_text(encoding="utf-8"), page
    assert not any(p.startswith("pi/") and "HB01" not in p for p in written)


def test_the_district_site_leaves_out_what_its_folder_lacks(melton):
    site = melton["site"]
    text = visible_text(site / "index.html")
    assert (
        "The data folder has no budget monitoring, improvement actions or a risk register for "
        "Melton, so this site leaves them out." in text
    )
    service = visible_text(site / "service" / "planning.html")
    assert "The data folder has no budget monitoring for Melton." in service
    assert "Rutland" not in text and "E06000017" not in text
    pi = visible_text(site / "pi" / "MB03.html")
    assert "It is not ranked among the comparators: 1 council of the group has a value" in pi


def test_perfeval_site_batch_builds_two_councils_and_an_index(tmp_path, capsys):
    status = perfeval_main(
        ["site", "--batch", "--councils", f"{RUTLAND},E06000005", "--outputs-root", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert status == 0, out
    index = tmp_path / "sites" / "index.html"
    assert (tmp_path / "sites" / RUTLAND / "index.html").is_file()
    assert (tmp_path / "sites" / "E06000005" / "index.html").is_file()
    assert broken_links(tmp_path / "sites") == []
    text = visible_text(index)
    assert "2 councils of the comparator group rutland_nearest_15" in text
