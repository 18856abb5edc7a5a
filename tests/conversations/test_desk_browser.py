"""The human handoff through the whole product: a Telegram user (the real python-telegram-bot
against the fake Bot API) talks to the real stack; the desk runs as its own process; agents use
it in headless Chromium.  Screenshots go to ``results/screenshots/desk-*.png``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Page, expect

from bot.settings import TelegramSettings
from cardcare.handoff_log import LeftMessages, Ratings
from cardcare.service_hours import ServiceHours
from desk.accounts import Accounts
from tests.bot.browser import chromium_page, screenshot_dir
from tests.conftest import TEST_REDIS_URL
from tests.conversations.test_channels import (
    _CHATS,
    SECRET,
    TelegramUser,
    code_for,
    customer,
    reset_bank,
)
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "desk-test-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def desk_process(redis_clean, tmp_path) -> Iterator[str]:
    """``python -m desk serve`` as its own process, on the tests' Redis."""
    port = _free_port()
    log = (tmp_path / "desk.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "desk", "serve"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "REDIS_URL": TEST_REDIS_URL, "DESK_PORT": str(port)})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise AssertionError((tmp_path / "desk.log").read_text()) from None
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


async def sign_in(page: Page, url: str, username: str) -> None:
    await page.goto(url)
    await page.locator("#username").fill(username)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#login-button").click()
    await expect(page.locator("#desk")).to_be_visible()


async def telegram_reply(user: TelegramUser, before: int, containing: str = "",
                         timeout: float = 20) -> list[dict]:
    """What the bot sent the Telegram user after their first ``before`` messages, once a
    message ``containing`` the text has arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = user.telegram.messages(user.chat)[before:]
        if any(containing in m["text"] for m in sent):
            return sent
        await asyncio.sleep(0.1)
    raise AssertionError(f"no message with {containing!r} reached the Telegram user: "
                         f"{user.telegram.messages(user.chat)[before:]}")


async def test_a_vietnamese_fraud_chat_reaches_a_vietnamese_agent_and_comes_back(
        stack, start_gateway, client, desk_process):
    reset_bank(stack)
    accounts = Accounts(client)
    await accounts.create("linh", PASSWORD, "Linh", "agent", ["vi", "en"], ["cards"])
    await accounts.create("wang", PASSWORD, "Wang", "agent", ["zh-Hans", "zh-Hant"],
                          ["cards", "general"])
    await accounts.create("sam", PASSWORD, "Sam", "supervisor", ["en"], ["general"])
    shots = screenshot_dir()
    async with FakeTelegram() as telegram, aiohttp.ClientSession() as http:
        gateway = await start_gateway(
            (stack.config.rasa_url,), rasa_token=stack.config.gateway_token,
            telegram=TelegramSettings(token=telegram.token, webhook_secret=SECRET,
                                      api_url=telegram.url))
        user = TelegramUser(stack, gateway.url, telegram, http, client, next(_CHATS))

        # The cardholder reports fraud: verified, card blocked, case opened, then queued.
        assert "xác" in (await user.says("có giao dịch lạ trên thẻ, tôi muốn báo gian lận"))
        await user.says("so dt cua minh 0912345678")
        chosen = await user.says(code_for(stack, user.subject))
        assert "Shopee" in chosen, chosen
        await user.says(tap="Shopee")
        await user.says(tap="Xong")
        before = len(telegram.messages(user.chat))
        opened = await user.says("đồng ý")
        assert "FRD-" in opened and "chuyên viên" in opened, opened
        await telegram_reply(user, before, "vị trí số 1")
        card = next(c for c in customer(stack, "cus_lan")["cards"]
                    if c["card_id"] == "card_lan_visa")
        assert card["status"] == "blocked"
        # While waiting, a message for the agent, with a card number the desk must not show.
        await user.says("so the cua toi la 4111 1111 1111 1111")

        async with chromium_page(viewport=(1366, 768), locale="zh-CN") as wang_page:
            await sign_in(wang_page, desk_process, "wang")
            await expect(wang_page.locator("#queue")).to_contain_text("No chats waiting")
            await wang_page.screenshot(path=shots / "desk-chinese-agent-no-vietnamese-chat.png")

        async with chromium_page(viewport=(1366, 768), locale="vi-VN") as page:
            await sign_in(page, desk_process, "linh")
            item = page.locator('.queue-item[data-language="vi"][data-priority="urgent"]')
            await expect(item).to_have_count(1)
            await page.screenshot(path=shots / "desk-queue-vietnamese-fraud.png")
            before = len(telegram.messages(user.chat))
            await item.locator("button.claim").click()
            await expect(page.locator("#chat")).to_be_visible()
            await expect(page.locator("#transcript .entry-user").last).to_contain_text("1111")
            transcript = await page.locator("#transcript").inner_text()
            assert "4111 1111 1111 1111" not in transcript
            assert "0912345678" not in transcript and code_for(stack, user.subject) not in \
                transcript
            facts = await page.locator("#summary-facts li").all_inner_texts()
            assert any("fraud case FRD-" in f for f in facts), facts
            await telegram_reply(user, before, "Linh")
            await page.screenshot(path=shots / "desk-chat-transcript-summary.png")

            before = len(telegram.messages(user.chat))
            await page.locator("#reply-text").fill("Chào chị Lan, em đã nhận được hồ sơ.")
            await page.locator("#reply-text").press("Enter")
            reply = await telegram_reply(user, before, "Linh: ")
            assert reply[-1]["text"] == "Linh: Chào chị Lan, em đã nhận được hồ sơ."

            before = len(telegram.messages(user.chat))
            await page.locator("#close-chat").click()
            closed = await telegram_reply(user, before, "Linh")
            buttons = [b["text"] for row in closed[-1]["reply_markup"]["inline_keyboard"]
                       for b in row]
            assert buttons == ["1", "2", "3", "4", "5"] and "Linh" in closed[-1]["text"]
            assert "Cảm ơn" in await user.says(tap="5")
            [rating] = await Ratings(client).all()
            assert (rating["agent"], rating["score"], rating["language"]) == ("linh", "5", "vi")
            await page.screenshot(path=shots / "desk-after-close.png")
        # The bot has the chat again, and nothing half-finished resumes.
        assert "Shopee" not in await user.says("xin chào")

        async with chromium_page(viewport=(1366, 768)) as page:
            await sign_in(page, desk_process, "sam")
            await expect(page.locator("#supervisor-csat")).to_contain_text("5")
            await page.screenshot(path=shots / "desk-supervisor.png", full_page=True)


async def test_outside_service_hours_a_ticket_is_left_while_the_card_still_gets_blocked(
        stack, start_gateway, client):
    reset_bank(stack)
    async with FakeTelegram() as telegram, aiohttp.ClientSession() as http:
        gateway = await start_gateway(
            (stack.config.rasa_url,), rasa_token=stack.config.gateway_token,
            telegram=TelegramSettings(token=telegram.token, webhook_secret=SECRET,
                                      api_url=telegram.url),
            handoff_hours=ServiceHours.parse("en=03:00-03:00@UTC"))  # never open
        user = TelegramUser(stack, gateway.url, telegram, http, client, next(_CHATS))
        await user.says("I lost my credit card")
        await user.verifies("my number is +1 415 555 0101")
        assert "permanently blocked" in await user.says(tap="4821")
        await user.says("no thanks")
        before = len(telegram.messages(user.chat))
        await user.says("I want to talk to a person")
        await telegram_reply(user, before, "available 03:00–03:00 (UTC)")
        left = await user.says("Please call me about the replacement, I travel on Monday.")
        assert "reference M-" in left
    [message] = await LeftMessages(client).open()
    assert message.reason == "lost_card" and message.language == "en"
    assert message.reference in left
    state = customer(stack, "cus_emma")
    assert {c["card_id"]: c["status"] for c in state["cards"]}["card_emma_visa"] == "blocked"
