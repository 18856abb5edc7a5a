"""FakeTelegram answers the real python-telegram-bot 22.8 as the Bot API does."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter

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

CHAT = 4242


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    # PTB appends the token to base_url (telegram/_bot.py `_parse_base_url`).
    async with telegram.Bot(tg.token, base_url=f"{tg.url}/bot") as real_bot:
        yield real_bot


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


async def test_get_me_initialises_the_bot(tg: FakeTelegram, bot: telegram.Bot) -> None:
    assert bot.username == "cardcare_test_bot"
    assert tg.calls[0].method == "getMe" and tg.calls[0].status == 200


async def test_send_message_with_a_keyboard(tg: FakeTelegram, bot: telegram.Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Số dư", callback_data="/check_balance"),
                                    InlineKeyboardButton("锁卡", callback_data="/block_card")]])
    first = await bot.send_message(CHAT, "Chọn một mục 你好", reply_markup=markup)
    second = await bot.send_message(CHAT, "42")     # text that looks like JSON stays text

    assert second.message_id > first.message_id
    assert first.chat.id == CHAT and first.text == "Chọn một mục 你好"
    assert first.reply_markup == markup
    assert tg.sent_texts(CHAT) == ["Chọn một mục 你好", "42"]
    assert tg.messages(CHAT)[0]["reply_markup"] == markup.to_dict()
    assert "reply_markup" not in tg.messages(CHAT)[1]
    assert tg.calls_to("sendMessage")[0].params["chat_id"] == CHAT


async def test_text_length_is_checked_as_telegram_does(tg: FakeTelegram, bot: telegram.Bot) -> None:
    await bot.send_message(CHAT, "x" * 4096)
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(BadRequest, match="empty"):
        await bot.send_message(CHAT, "  ")
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(CHAT, "pick", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("x", callback_data="khóa thẻ " * 8)]]))
    assert len(tg.sent_texts(CHAT)) == 1


async def test_rate_limit_raises_retry_after(tg: FakeTelegram, bot: telegram.Bot,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")     # PTB 22's future type, without a warning
    tg.rate_limit_next(CHAT, retry_after=3)
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(CHAT, "hi")
    assert raised.value.retry_after == dtm.timedelta(seconds=3)
    await bot.send_message(CHAT, "hi")
    assert tg.sent_texts(CHAT) == ["hi"]
    assert [call.status for call in tg.calls_to("sendMessage", CHAT)] == [429, 200]


async def test_attempt_times_show_whether_a_retry_waited(tg: FakeTelegram, bot: telegram.Bot,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    tg.rate_limit_next(CHAT, retry_after=1)
    try:
        await bot.send_message(CHAT, "hi")
    except RetryAfter as error:      # the back-off an adapter is expected to do
        await asyncio.sleep(error.retry_after.total_seconds())
        await bot.send_message(CHAT, "hi")
    first, second = tg.calls_to("sendMessage", CHAT)
    assert second.time - first.time >= 1


async def test_blocked_user_is_forbidden(tg: FakeTelegram, bot: telegram.Bot) -> None:
    tg.block(CHAT)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(CHAT, "hi")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(CHAT, "typing")
    tg.unblock(CHAT)
    await bot.send_message(CHAT, "hi")


async def test_wrong_token_and_unknown_method(tg: FakeTelegram,
                                              http: aiohttp.ClientSession) -> None:
    wrong = telegram.Bot("999:WRONG", base_url=f"{tg.url}/bot")
    with pytest.raises(InvalidToken, match="rejected by the server"):
        await wrong.initialize()    # PTB's wording for the 401 "Unauthorized"
    await wrong.shutdown()
    assert tg.calls[-1].status == 401
    async with http.post(f"{tg.url}/bot{tg.token}/sendTelepathy") as answer:
        assert answer.status == 404
        assert await answer.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_transient_server_error(tg: FakeTelegram, bot: telegram.Bot) -> None:
    tg.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError):
        await bot.send_message(CHAT, "hi")
    await bot.send_message(CHAT, "hi")
    assert tg.sent_texts(CHAT) == ["hi"]


async def test_json_and_multipart_bodies_are_read(tg: FakeTelegram,
                                                  http: aiohttp.ClientSession) -> None:
    url = f"{tg.url}/bot{tg.token}/SENDMESSAGE"     # Telegram ignores the method's case
    async with http.post(url, json={"chat_id": CHAT, "text": "json",
                                    "reply_markup": {"inline_keyboard": []}}) as answer:
        body = await answer.json()
    assert body["ok"] is True and body["result"]["text"] == "json"
    form = aiohttp.FormData({"chat_id": str(CHAT), "text": "multipart"})
    form.add_field("document", b"%PDF", filename="a.pdf", content_type="application/pdf")
    async with http.post(url, data=form) as answer:
        assert answer.status == 200
    assert tg.sent_texts(CHAT) == ["json", "multipart"]
    assert tg.calls[-1].params["document"] == {"filename": "a.pdf",
                                               "content_type": "application/pdf", "size": 4}


async def test_callback_answer_chat_action_and_keyboard_edit(tg: FakeTelegram,
                                                             bot: telegram.Bot) -> None:
    assert await bot.answer_callback_query("cbq-1") is True
    assert await bot.send_chat_action(CHAT, "typing") is True
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="/affirm")]])
    sent = await bot.send_message(CHAT, "Sure?", reply_markup=markup)

    edited = await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=None)
    assert edited.reply_markup is None and "reply_markup" not in tg.messages(CHAT)[0]
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=None)
    with pytest.raises(BadRequest, match="not found"):
        await bot.edit_message_reply_markup(CHAT, 999, reply_markup=markup)


async def test_webhook_is_recorded_and_validated(tg: FakeTelegram, bot: telegram.Bot) -> None:
    assert await bot.set_webhook("https://bot.example.com/tg", secret_token="s3cr3t_TOKEN-1",
                                 allowed_updates=["message", "callback_query"])
    assert tg.webhook is not None
    assert tg.webhook.url == "https://bot.example.com/tg"
    assert tg.webhook.secret_token == "s3cr3t_TOKEN-1"
    assert tg.webhook.allowed_updates == ("message", "callback_query")
    assert (await bot.get_webhook_info()).url == "https://bot.example.com/tg"
    with pytest.raises(Conflict):
        await bot.get_updates()
    with pytest.raises(BadRequest, match=r"(?i)https url"):
        await bot.set_webhook("http://127.0.0.1:8080/tg")
    with pytest.raises(BadRequest, match=r"(?i)secret token"):
        await bot.set_webhook("https://bot.example.com/tg", secret_token="not ok!")
    assert await bot.delete_webhook()
    assert tg.webhook is None


async def test_get_updates_long_polls_and_confirms(tg: FakeTelegram, bot: telegram.Bot) -> None:
    await tg.push_update(text_update(1, CHAT, "xin chào", language_code="vi"))
    await tg.push_update(callback_update(2, CHAT, "/block_card"))
    updates = await bot.get_updates(timeout=1)
    assert [u.update_id for u in updates] == [1, 2]
    assert updates[1].callback_query.data == "/block_card"

    started = time.monotonic()
    assert await bot.get_updates(offset=3, timeout=0) == ()     # 1 and 2 are confirmed now
    waiting = asyncio.create_task(bot.get_updates(offset=3, timeout=30))
    await tg.wait_for_poller()
    await tg.push_update(text_update(3, CHAT, "still there?"))
    assert [u.update_id for u in await waiting] == [3]
    assert time.monotonic() - started < tg.poll_timeout_cap     # woken, not timed out


async def test_a_second_poller_ends_the_first_with_conflict(tg: FakeTelegram,
                                                            bot: telegram.Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=30))
    await tg.wait_for_poller()
    async with telegram.Bot(tg.token, base_url=f"{tg.url}/bot") as other:
        second = asyncio.create_task(other.get_updates(timeout=30))
        with pytest.raises(Conflict, match="terminated by other getUpdates"):
            await first
        await tg.push_update(text_update(1, CHAT, "hi"))
        assert len(await second) == 1


async def test_wait_for_messages(tg: FakeTelegram, bot: telegram.Bot) -> None:
    async def reply_later() -> None:
        await bot.send_message(CHAT, "one")
        await bot.send_message(CHAT, "two")

    task = asyncio.create_task(reply_later())
    messages = await tg.wait_for_messages(CHAT, 2, timeout=5)
    await task
    assert [m["text"] for m in messages] == ["one", "two"]
    with pytest.raises(AssertionError, match="expected 3 messages"):
        await tg.wait_for_messages(CHAT, 3, timeout=0.05)


BUILDERS: dict[str, tuple[Callable[[], dict[str, Any]], Callable[[Update], object]]] = {
    "text": (lambda: text_update(1, CHAT, "/start now", language_code="zh-hans"),
             lambda u: (u.message.text, u.effective_user.language_code,
                        u.message.entities[0].type)),
    "edited": (lambda: edited_text_update(2, CHAT, "fixed", message_id=7),
               lambda u: (u.edited_message.text, u.edited_message.message_id,
                          u.edited_message.edit_date is not None)),
    "callback": (lambda: callback_update(3, CHAT, "/block_card", message_id=9),
                 lambda u: (u.callback_query.data, u.callback_query.message.message_id,
                            u.callback_query.from_user.id)),
    "photo": (lambda: photo_update(4, CHAT, caption="my card"),
              lambda u: (u.message.photo[-1].width, u.message.caption)),
    "voice": (lambda: voice_update(5, CHAT, duration=4),
              lambda u: (u.message.voice.duration.total_seconds()
                         if isinstance(u.message.voice.duration, dtm.timedelta)
                         else u.message.voice.duration, u.message.voice.mime_type)),
    "sticker": (lambda: sticker_update(6, CHAT), lambda u: (u.message.sticker.emoji,)),
    "document": (lambda: document_update(7, CHAT),
                 lambda u: (u.message.document.file_name, u.message.document.mime_type)),
    "location": (lambda: location_update(8, CHAT, latitude=21.0285, longitude=105.8542),
                 lambda u: (u.message.location.latitude, u.message.location.longitude)),
}
EXPECTED: dict[str, tuple[object, ...]] = {
    "text": ("/start now", "zh-hans", "bot_command"), "edited": ("fixed", 7, True),
    "callback": ("/block_card", 9, CHAT), "photo": (800, "my card"), "voice": (4, "audio/ogg"),
    "sticker": ("👍",), "document": ("statement.pdf", "application/pdf"),
    "location": (21.0285, 105.8542),
}


@pytest.mark.parametrize("kind", list(BUILDERS))
async def test_ptb_parses_every_builder(kind: str, bot: telegram.Bot,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    build, read = BUILDERS[kind]
    update = Update.de_json(build(), bot)
    assert read(update) == EXPECTED[kind]
    assert update.effective_chat.id == CHAT
    # Fields PTB does not know land in api_kwargs: none means the shape is Telegram's own.
    assert update.api_kwargs == {}
    message = update.effective_message
    assert message is not None and message.api_kwargs == {}
