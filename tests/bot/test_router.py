"""What the gateway does with a message before and after Rasa: limits, outages (the handoff's
modes: tests/bot/test_handoff.py)."""

from __future__ import annotations

import asyncio

import pytest

from tests.gateway import Browser


@pytest.fixture
async def tab(start_gateway, fake_rasa):
    gateway = await start_gateway((fake_rasa.url,), rate_per_minute=5, max_text_chars=50)
    browser = Browser(gateway.url)
    await browser.open()
    browser.gateway = gateway
    yield browser
    await browser.close()


async def test_a_flood_gets_one_polite_answer(tab, fake_rasa):
    for n in range(9):
        await tab.send(type="message", text=f"spam {n}")
    texts = [(await tab.receive())["text"] for _ in range(6)]
    assert texts[:5] == [f"echo: spam {n}" for n in range(5)]
    assert "faster than I can answer" in texts[5]
    await asyncio.sleep(0.3)
    assert len(fake_rasa.turns) == 5


async def test_too_long_and_outage_are_answered_in_the_chats_language(tab, fake_rasa):
    await tab.send(type="language", language="zh-Hant")
    assert (await tab.receive())["text"].startswith("echo: /change_language")
    await tab.send(type="message", text="x" * 51)
    assert "最多 50 個字元" in (await tab.receive())["text"]
    await tab.send(type="message", text="fail")
    assert "暫時無法回覆" in (await tab.receive())["text"]
    assert [t.text for t in fake_rasa.turns][-1] == "fail"


async def test_an_ambiguous_number_asks_which_one(tab, fake_rasa):
    await tab.send(type="message", text="buttons")
    await tab.receive()
    await tab.send(type="message", text="3")  # the third line, or "3 months"?
    which = await tab.receive()
    assert which["text"].startswith("Which one do you mean?")
    assert [b["title"] for b in which["buttons"]] == ["3 months", "12 months"]
    await tab.send(type="choice", token=which["buttons"][0]["token"])
    assert (await tab.receive())["text"] == 'echo: /pick{"n":"3"}'
    assert [t.text for t in fake_rasa.turns] == ["buttons", '/pick{"n":"3"}']


async def test_metrics_need_the_scrapers_token(start_gateway, fake_rasa):
    import aiohttp

    closed = await start_gateway((fake_rasa.url,))
    gateway = await start_gateway((fake_rasa.url,), metrics_token="scrape-me")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{closed.url}/metrics") as response:
            assert response.status == 404
        async with http.get(f"{gateway.url}/metrics") as response:
            assert response.status == 401
        async with http.get(f"{gateway.url}/metrics",
                            headers={"Authorization": "Bearer scrape-me"}) as response:
            assert response.status == 200
            assert "cardcare_gateway_delivery_failures" in await response.text()
