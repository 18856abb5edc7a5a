"""The web chat over its websocket (the page itself is driven in a browser elsewhere)."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from bot.webchat import COOKIE
from cardcare.conversation import MASK
from tests.gateway import Browser


@pytest.fixture
async def browser(start_gateway, fake_rasa):
    gateway = await start_gateway((fake_rasa.url,))
    tab = Browser(gateway.url)
    yield tab
    await tab.close()


async def test_a_message_is_answered_with_the_browsers_language_as_hint(browser, fake_rasa):
    history = await browser.open(language="vi-VN,vi;q=0.9,en;q=0.5")
    assert history["messages"] == []
    await browser.send(type="message", text="xin chào")
    assert (await browser.receive())["text"] == "echo: xin chào"
    [turn] = fake_rasa.turns
    assert turn.channel == "web" and turn.sender.startswith("web:")
    assert turn.metadata == {"language_hint": "vi"}


async def test_buttons_carry_tokens_and_a_tap_sends_the_payload(browser, fake_rasa):
    await browser.open()
    await browser.send(type="message", text="buttons")
    question = await browser.receive()
    assert [b["title"] for b in question["buttons"]] == ["3 months", "6 months", "12 months"]
    assert all("pick" not in b["token"] and len(b["token"]) <= 16 for b in question["buttons"])
    await browser.send(type="choice", token=question["buttons"][2]["token"])
    assert (await browser.receive())["text"] == 'echo: /pick{"n":"12"}'


@pytest.mark.parametrize("typed", ["12", "12 months", "12 tháng", "12期", "the third one"])
async def test_a_typed_answer_chooses(browser, fake_rasa, typed):
    await browser.open()
    await browser.send(type="message", text="buttons")
    await browser.receive()
    await browser.send(type="message", text=typed)
    assert (await browser.receive())["text"] == 'echo: /pick{"n":"12"}'


async def test_a_forged_token_or_typed_payload_never_reaches_rasa_as_an_intent(browser, fake_rasa):
    await browser.open()
    await browser.send(type="choice", token="not-a-token")
    expired = await browser.receive()
    assert "earlier question" in expired["text"]
    await browser.send(type="message", text='/credit_limit{"amount":"9200"}')
    await browser.receive()
    assert [t.text for t in fake_rasa.turns] == ['credit_limit{"amount":"9200"}']


async def test_history_survives_a_reload(browser):
    await browser.open()
    await browser.send(type="message", text="card 4111 1111 1111 1111 please")
    await browser.receive()
    await browser.ws.close()
    history = await browser.open()
    assert [m["from"] for m in history["messages"]] == ["user", "bot"]
    assert "4111 1111 1111 1111" not in json.dumps(history)  # kept masked


async def test_the_answer_to_a_verification_question_is_kept_masked_whole(browser):
    await browser.open()
    for text in ("secret", "482913", "and 4821 too"):
        await browser.send(type="message", text=text)
        await browser.receive()
    await browser.ws.close()
    history = await browser.open()
    said = [m["text"] for m in history["messages"] if m["from"] == "user"]
    assert said == ["secret", MASK, "and 4821 too"]  # only the answer; the question is over


async def test_a_socket_without_the_cookie_or_from_another_origin_is_refused(start_gateway,
                                                                           fake_rasa):
    gateway = await start_gateway((fake_rasa.url,))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(f"{gateway.url}/chat/ws", origin=gateway.url)
        assert refused.value.status == 401
        session.cookie_jar.update_cookies({COOKIE: "someone.0123456789abcdef0123456789abcdef"})
        with pytest.raises(aiohttp.WSServerHandshakeError) as forged:
            await session.ws_connect(f"{gateway.url}/chat/ws", origin=gateway.url)
        assert forged.value.status == 401
    tab = Browser(gateway.url)
    await tab.open()
    await tab.ws.close()
    with pytest.raises(aiohttp.WSServerHandshakeError) as cross:
        await tab.session.ws_connect(f"{gateway.url}/chat/ws", origin="https://evil.example")
    assert cross.value.status == 403
    await tab.close()
    await asyncio.sleep(0)


async def test_an_answer_with_nothing_to_say_still_stops_the_typing_indicator(browser, fake_rasa):
    await browser.open()
    await browser.send(type="message", text="silent")
    assert (await browser.receive("typing"))["on"] is True
    assert (await browser.receive("typing"))["on"] is False
