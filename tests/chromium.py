"""What the browser tests share: Debian's chromium driven by Playwright (never `playwright install`), skipped
with the reason when either is missing, and one browser a test module."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Playwright already adds --headless, --no-first-run, --disable-background-networking and a fresh profile.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage"]


def sync_api():
    """Playwright's sync API, or the calling test module skipped with the reason."""
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (`make browser-deps` installs it with apt; "
                    "it could not be installed here)", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")


@pytest.fixture(scope="module")
def browser():
    """One headless chromium for the test module."""
    with sync_api().sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()
