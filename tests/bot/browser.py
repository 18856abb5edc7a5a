"""Headless Chromium for browser tests: Debian's chromium driven by Playwright, and where shots go.

Not a test module.  Playwright cannot download its own browser builds here, so it drives the
Debian package that ``tools/install-browser`` installs (with the CJK fonts, without which Chinese
renders as empty boxes in screenshots)::

    async with chromium_page() as page:
        await page.goto(url)
        await page.screenshot(path=screenshot_dir() / "chat-phone.png")

Under the chat page's Content-Security-Policy (no 'unsafe-eval') ``page.wait_for_function`` with
a string fails; wait on locators instead (``page.get_by_test_id("bot-message").nth(1).wait_for()``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# Nothing but the page under test may touch the network (only loopback is ours), and nothing may
# stall a test: no background fetches, component or sync updates, first-run dialogs, or GPU
# probing.  --no-sandbox because tests run as root, where Chromium's sandbox refuses to start.
ARGS = (
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-gpu",
    "--disable-sync",
)


@asynccontextmanager
async def chromium_page(
    viewport: tuple[int, int] = (360, 640), locale: str = "en-US"
) -> AsyncIterator[Page]:
    """Launches headless Chromium with a fresh context and yields one page in it.

    Args:
        viewport: Width and height in CSS pixels; the default is a small phone.
        locale: What the page sees as ``navigator.languages`` and Accept-Language.

    Yields:
        The page; the browser is closed when the block exits.

    Raises:
        pytest.fail.Exception: Chromium is not installed (fails rather than skips, so a machine
            without it cannot pass the browser tests by skipping them).
    """
    if not CHROMIUM.exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: run `tools/install-browser` as root.",
                    pytrace=False)
    width, height = viewport
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(ARGS)
        )
        try:
            context = await browser.new_context(
                viewport={"width": width, "height": height}, locale=locale
            )
            yield await context.new_page()
        finally:
            await browser.close()


def screenshot_dir() -> Path:
    """Returns ``results/screenshots/`` at the project root (git-ignored), creating it."""
    path = ROOT / "results" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
