"""End-to-end fixtures shared by the browser tests of the reports and of the site."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium per test worker, for every module that opens pages.

    Defined once here: Playwright's sync API runs one event loop per thread, so a second
    ``sync_playwright()`` in the same worker (a copy of this fixture imported into another
    module is a second fixture) fails with "using Playwright Sync API inside the asyncio loop".
    """
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM, FLAGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()
