"""Telegram: the real python-telegram-bot against a fake Bot API, through the real gateway."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from bot.settings import TelegramSettings
from tests.fakes.telegram import (
    FakeTelegram,
    callback_update,
    document_update,
    edited_text_update,
    location_update,
    photo_update,
    sticker_update,
    text_update,
    voice_update,
)
from tests.gateway import failed_deliveries

SECRET = "webhook-secret_0123456789"
CHAT = 4242


@pytest.fixture
async def telegram():
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def gateway(start_gateway, fake_rasa, telegram):
    return await start_gateway((fake_rasa.url,), telegram=TelegramSettings(
        token=telegram.token, webhook_secret=SECRET, api_url=telegram.url))


async def post(gateway, update, secret: str | None = SECRET, body: bytes | None = None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    async with aiohttp.ClientSession() as session, session.post(
            f"{gateway.url}/telegram/webhook", headers=headers,
            data=body if body is not None else json.dumps(update)) as response:
        return response.status


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
async def test_a_forged_or_missing_secret_is_rejected_and_nothing_happens(
        gateway, telegram, fake_rasa, secret):
    assert await post(gateway, text_update(1, CHAT, "what's my balance"), secret) == 403
    await asyncio.sleep(0.2)
    assert fake_rasa.turns == [] and telegram.messages(CHAT) == []


async def test_a_duplicate_delivery_is_processed_once(gateway, telegram, fake_rasa):
    update = text_update(7, CHAT, "hello", language_code="zh-hk")
    assert await post(gateway, update) == 200
    assert await post(gateway, update) == 200
    [reply] = await telegram.wait_for_messages(CHAT, 1)
    await asyncio.sleep(0.2)
    assert reply["text"] == "echo: hello" and len(telegram.messages(CHAT)) == 1
    [turn] = fake_rasa.turns
    # The message id is the bot's id and the update's: stable across retries, unique per bot.
    assert (turn.sender, turn.channel, turn.message_id) == (
        f"telegram:{CHAT}", "telegram", "123456:7")
    assert turn.metadata == {"language_hint": "zh-Hant"}


async def test_rasas_last_language_is_the_hint_that_outlives_a_rasa_session(
        gateway, telegram, fake_rasa):
    await post(gateway, text_update(1, CHAT, "speak vi", language_code="en"))
    await telegram.wait_for_messages(CHAT, 1)
    await post(gateway, text_update(2, CHAT, "ok", language_code="en"))
    await telegram.wait_for_messages(CHAT, 2)
    assert [t.metadata for t in fake_rasa.turns] == [{"language_hint": "en"},
                                                     {"language_hint": "vi"}]


async def test_a_button_round_trip(gateway, telegram, fake_rasa):
    await post(gateway, text_update(1, CHAT, "buttons"))
    [question] = await telegram.wait_for_messages(CHAT, 1)
    rows = question["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in rows] == ["3 months", "6 months", "12 months"]
    data = rows[2][0]["callback_data"]
    assert len(data.encode()) <= 64 and "pick" not in data
    await post(gateway, callback_update(2, CHAT, data))
    [_, answer] = await telegram.wait_for_messages(CHAT, 2)
    assert answer["text"] == 'echo: /pick{"n":"12"}'
    assert len(telegram.calls_to("answerCallbackQuery")) == 1  # the spinner stops


async def test_a_429_is_retried_after_retry_after(gateway, telegram):
    telegram.rate_limit_next(CHAT, retry_after=1)
    await post(gateway, text_update(1, CHAT, "hello"))
    [reply] = await telegram.wait_for_messages(CHAT, 1, timeout=10)
    assert reply["text"] == "echo: hello"
    first, second = telegram.calls_to("sendMessage", CHAT)
    assert second.time - first.time >= 1.0


@pytest.mark.parametrize("make", [photo_update, voice_update, sticker_update, document_update,
                                  location_update])
async def test_non_text_gets_a_polite_answer_in_the_users_language(gateway, telegram,
                                                                  fake_rasa, make):
    update = make(1, CHAT)
    update["message"]["from"]["language_code"] = "vi"
    await post(gateway, update)
    [reply] = await telegram.wait_for_messages(CHAT, 1)
    assert reply["text"].startswith("Xin lỗi, tôi chỉ đọc được tin nhắn văn bản")
    assert fake_rasa.turns == []


async def test_an_edited_message_is_handled(gateway, telegram, fake_rasa):
    await post(gateway, edited_text_update(3, CHAT, "my balance please"))
    [reply] = await telegram.wait_for_messages(CHAT, 1)
    assert reply["text"] == "echo: my balance please"


async def test_a_long_reply_is_split_at_line_breaks(gateway, telegram):
    await post(gateway, text_update(1, CHAT, "long 100"))  # 100 lines of 100 characters
    parts = await telegram.wait_for_messages(CHAT, 3)
    assert all(len(p["text"]) <= 4096 for p in parts)
    lines = [line for p in parts for line in p["text"].split("\n")]
    assert len(lines) == 100 and all(len(line) == 100 for line in lines)


async def test_an_unreadable_update_is_acknowledged_not_retried_forever(gateway, fake_rasa):
    assert await post(gateway, None, body=b"{not json") == 200
    assert await post(gateway, None, body=b"[1, 2]") == 200
    assert fake_rasa.turns == []


async def test_group_chats_are_not_served(gateway, telegram, fake_rasa):
    update = text_update(1, CHAT, "balance")
    update["message"]["chat"] = {"id": -100123, "type": "group", "title": "friends"}
    await post(gateway, update)
    await asyncio.sleep(0.2)
    assert fake_rasa.turns == [] and telegram.calls_to("sendMessage") == []


async def test_a_user_who_blocked_the_bot_is_recorded_not_retried(gateway, telegram,
                                                                 redis_clean):
    telegram.block(CHAT)
    await post(gateway, text_update(1, CHAT, "hello"))
    [record] = await failed_deliveries(redis_clean)
    assert record[b"subject"] == f"telegram:{CHAT}".encode()
    assert record[b"reason"].startswith(b"forbidden")
    assert len(telegram.calls_to("sendMessage", CHAT)) == 1


async def test_long_polling_for_development(start_gateway, fake_rasa, telegram):
    await start_gateway((fake_rasa.url,), telegram=TelegramSettings(
        token=telegram.token, webhook_secret=None, mode="polling", api_url=telegram.url))
    await telegram.push_update(text_update(11, CHAT, "hi from polling"))
    [reply] = await telegram.wait_for_messages(CHAT, 1, timeout=10)
    assert reply["text"] == "echo: hi from polling"


async def test_an_oversized_body_is_refused_before_it_is_read(gateway, fake_rasa):
    update = text_update(1, CHAT, "x" * 100_000)
    assert await post(gateway, update) == 413
    assert fake_rasa.turns == []
