"""Every report, opened in headless Chromium: WCAG 2.2 A/AA checks with axe-core, no console
errors, nothing fetched from the network, a screenshot for review, and its PDF; and every page
under its own Content-Security-Policy: no violation, charts shown, rendered as without it.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``.ci/run``), driven by Playwright for
Python (``playwright install`` is never run); axe-core is the ``axe.min.js`` shipped inside the
``axe-playwright-python`` wheel, injected from the local file. Without Chromium or Playwright the
tests are skipped with the reason. Every notebook in ``notebooks/`` that has a parameter file in
``params/`` is built once per session (with ``--pdf``); screenshots of the first screen go to
``outputs/screenshots/<stem>.png``.

The pages' policy forbids scripts, so the axe-core checks open them with Playwright's
``bypass_csp`` (axe is injected as a script); the policy tests open them without it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from perfeval.core.paths import BUNDLED_NOTEBOOKS_DIR, BUNDLED_PARAMS_DIR
from perfeval.run.parameters import load_parameter_file
from perfeval.run.runner import run_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    import axe_playwright_python
    from playwright.sync_api import sync_playwright  # noqa: F401 - installed, else MISSING

    AXE_JS = Path(axe_playwright_python.__file__).with_name("axe.min.js")
    MISSING = None if AXE_JS.is_file() else f"{AXE_JS} is missing"
except ImportError as err:
    MISSING = f"Playwright or axe-playwright-python is not installed ({err})"

pytestmark = [
    pytest.mark.notebook,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium on the PATH (.ci/run installs "
        "Debian's chromium; locally: apt-get install chromium)",
    ),
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
REPORTS = sorted(
    nb.stem
    for nb in BUNDLED_NOTEBOOKS_DIR.glob("*.ipynb")
    if (BUNDLED_PARAMS_DIR / f"{nb.stem}.yaml").is_file()
)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "outputs" / "screenshots"


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Every report built once, with its PDF, into one outputs root: {stem: RunResult}."""
    root = tmp_path_factory.mktemp("browser-outputs")
    return {
        stem: run_report(
            BUNDLED_NOTEBOOKS_DIR / f"{stem}.ipynb",
            load_parameter_file(BUNDLED_PARAMS_DIR / f"{stem}.yaml"),
            outputs_root=root,
            progress=False,
            pdf=True,
        )
        for stem in REPORTS
    }


CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", e => window.__cspViolations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || "(inline)"}`));
"""


def open_page(browser, path: Path, *, bypass_csp: bool = True):
    """Open a local file, recording console errors, page errors and any network request (and,
    without ``bypass_csp``, the page's Content-Security-Policy violations in
    ``window.__cspViolations``)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp)
    if not bypass_csp:
        page.add_init_script(CSP_LISTENER)
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on(
        "request",
        lambda r: (
            problems.append(f"request: {r.url}")
            if not r.url.startswith(("file:", "data:"))
            else None
        ),
    )
    page.goto(path.resolve().as_uri(), wait_until="load")
    return page, problems


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} - "
        + "; ".join(", ".join(n["target"]) for n in v["nodes"][:5])
        for v in result["violations"]
    ]


@pytest.mark.parametrize("stem", REPORTS)
def test_report_meets_wcag_22_aa_with_no_console_errors(built, browser, stem):
    page, problems = open_page(browser, built[stem].html)
    try:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{stem}.png"))
        violations = axe_violations(page)
        assert page.locator("h1").count() == 1
        assert page.locator("nav.contents a").count() == page.locator("main h2").count() >= 2
        page.emulate_media(media="print")
        print_violations = axe_violations(page)
    finally:
        page.close()
    assert violations == [], "\n".join(violations)
    assert print_violations == [], "\n".join(print_violations)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("stem", REPORTS)
def test_report_pdf_is_a4_with_numbered_pages(built, stem):
    pdf = built[stem].pdf.read_bytes()
    assert pdf.startswith(b"%PDF-")
    boxes = set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf))
    assert boxes and all(
        abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes
    ), boxes
    assert built[stem].manifest["report_files"][f"{stem}.pdf"]


def test_index_page_lists_every_report_and_meets_wcag_22_aa(built, browser):
    index = next(iter(built.values())).output_dir.parent.parent / "index.html"
    page, problems = open_page(browser, index)
    try:
        violations = axe_violations(page)
        links = page.locator("tbody th a").all_inner_texts()
    finally:
        page.close()
    assert violations == [], "\n".join(violations)
    assert problems == [], "\n".join(problems)
    assert len(links) == len(built)


def _under_policy(browser, path: Path) -> tuple[list[str], list[str], list[dict], bytes, bytes]:
    """Open ``path`` under its policy: (violations, console problems, images, screenshot), and
    the screenshot of the same page with the policy bypassed."""
    page, problems = open_page(browser, path, bypass_csp=False)
    try:
        violations = page.evaluate("window.__cspViolations")
        images = page.evaluate(
            "[...document.images].map(i => ({src: i.src.slice(0, 22), "
            "complete: i.complete, width: i.naturalWidth}))"
        )
        shot = page.screenshot(full_page=True)
    finally:
        page.close()
    page, _ = open_page(browser, path, bypass_csp=True)
    try:
        bypassed = page.screenshot(full_page=True)
    finally:
        page.close()
    return violations, problems, images, shot, bypassed


@pytest.mark.parametrize("stem", REPORTS)
def test_report_under_its_csp_shows_its_charts_with_no_violation(built, browser, stem):
    violations, problems, images, shot, bypassed = _under_policy(browser, built[stem].html)
    assert violations == [] and problems == [], violations + problems
    assert images, "every report has charts"
    assert all(
        i["src"] == "data:image/png;base64," and i["complete"] and i["width"] > 0 for i in images
    ), images
    assert shot == bypassed, "the page renders the same with and without its policy"


def test_index_page_under_its_csp_has_no_violation(built, browser):
    index = next(iter(built.values())).output_dir.parent.parent / "index.html"
    violations, problems, _, shot, bypassed = _under_policy(browser, index)
    assert violations == [] and problems == [] and shot == bypassed


def test_the_policy_is_enforced_a_script_in_a_report_is_refused(built, browser, tmp_path):
    """The checks above can fail: the same page with a script and an image from elsewhere
    added is refused both, and says so."""
    stem = REPORTS[0]
    page_text = built[stem].html.read_text(encoding="utf-8")
    hostile = tmp_path / "hostile.html"
    hostile.write_text(
        page_text.replace(
            "</main>",
            '<script>document.title = "ran"</script><img alt="x" src="file:///etc/x.png"></main>',
            1,
        ),
        encoding="utf-8",
    )
    page, problems = open_page(browser, hostile, bypass_csp=False)
    try:
        violations = page.evaluate("window.__cspViolations")
        title = page.title()
    finally:
        page.close()
    assert title != "ran"
    assert any(v.startswith("script-src") for v in violations), violations
    assert any(v.startswith("img-src") for v in violations), violations
    assert any("Content Security Policy" in p for p in problems), problems
