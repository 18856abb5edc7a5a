"""The web chat page in a real headless Chromium, talking to the real stack through the gateway.

Screenshots are kept under ``results/screenshots/`` (phone and laptop sizes): Chinese and
Vietnamese must render, not as boxes.  The page's CSP forbids eval, so the test waits on
locators, never on ``wait_for_function``.
"""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Page

from tests.bot.browser import chromium_page, screenshot_dir

pytestmark = pytest.mark.model


async def answered(page: Page, before: int, timeout: float = 30) -> list[str]:
    """The bot's new messages once more than ``before`` are shown and typing has stopped."""
    bubbles = page.get_by_test_id("bot-message")
    for _ in range(int(timeout * 10)):
        if await bubbles.count() > before and await page.get_by_test_id("typing").is_hidden():
            return (await bubbles.all_inner_texts())[before:]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no answer after {before} messages: {await bubbles.all_inner_texts()}")


async def test_a_newcomer_chats_in_two_languages_and_taps_a_button(stack, start_gateway):
    gateway = await start_gateway((stack.config.rasa_url,), rasa_token=stack.config.gateway_token)
    async with chromium_page(viewport=(360, 640), locale="zh-TW") as page:
        await page.goto(f"{gateway.url}/chat")
        assert await page.get_by_test_id("language").input_value() == "zh-Hant"
        input_box = page.get_by_test_id("input")
        count = 0

        async def say(text: str) -> list[str]:
            nonlocal count
            await input_box.fill(text)
            await input_box.press("Enter")
            new = await answered(page, count)
            count += len(new)
            return new

        first = await say("我張信用卡唔見咗")
        assert "確認您的身分" in first[0], first  # Traditional, as the phone is set
        await page.get_by_test_id("language").select_option("vi")
        switched = await answered(page, count)
        count += len(switched)
        assert any("tiếng Việt" in t or "Tiếng Việt" in t for t in switched), switched
        await say("ko, thoi")
        await say("/language")  # the language menu, as buttons
        choice = page.locator("[data-testid=choice]:enabled").filter(has_text="English")
        title = await choice.inner_text()
        await choice.focus()
        await page.keyboard.press("Enter")  # the keyboard works as well as a tap
        tapped = await answered(page, count)
        assert (await page.get_by_test_id("user-message").all_inner_texts())[-1] == title
        # The page followed the conversation into English, its own texts too.
        assert await page.get_by_test_id("language").input_value() == "en"
        assert await input_box.get_attribute("placeholder") == "Type your message…"
        shots = screenshot_dir()
        await page.screenshot(path=str(shots / "webchat-phone.png"))
        await page.set_viewport_size({"width": 1280, "height": 800})
        await page.screenshot(path=str(shots / "webchat-laptop.png"))
    assert tapped and "English" in tapped[0], tapped
