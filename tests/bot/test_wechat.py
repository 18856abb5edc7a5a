"""WeChat: wechatpy's signatures, crypto and parsing in the real gateway, a fake WeChat on both
sides (the platform pushing messages, the API receiving customer-service messages)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.settings import WeChatSettings
from tests.fakes.wechat import FakeWeChatAPI, WeChatPlatform
from tests.gateway import failed_deliveries

TOKEN = "wechat-server-token"
APP_ID = "wxFAKEAPPID"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OPENID = "oUSER_test_0001"


@pytest.fixture
async def api():
    async with FakeWeChatAPI(app_id=APP_ID) as fake:
        yield fake


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as client:
        yield client


def wechat_settings(api: FakeWeChatAPI, aes: bool = False) -> WeChatSettings:
    return WeChatSettings(token=TOKEN, app_id=APP_ID, app_secret=api.app_secret,
                          aes_key=AES_KEY if aes else None, api_url=api.url)


async def platform_for(start_gateway, fake_rasa, api, mode="plain", **overrides):
    gateway = await start_gateway((fake_rasa.url,),
                                  wechat=wechat_settings(api, aes=mode != "plain"), **overrides)
    return WeChatPlatform(TOKEN, APP_ID, AES_KEY if mode != "plain" else None, mode,
                          f"{gateway.url}/wechat"), gateway


async def test_the_echostr_handshake(start_gateway, fake_rasa, api, session):
    platform, _ = await platform_for(start_gateway, fake_rasa, api)
    good = await platform.handshake("8372649182", session=session)
    assert (good.status, good.body) == (200, "8372649182")
    for forge in ("signature", "stale_timestamp"):
        assert (await platform.handshake("1", session=session, forge=forge)).status == 403


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
async def test_a_text_is_answered_passively_in_every_mode(start_gateway, fake_rasa, api,
                                                          session, mode):
    platform, _ = await platform_for(start_gateway, fake_rasa, api, mode)
    result = await platform.push(platform.xml_text(OPENID, "查询余额", 1001), session=session)
    assert result.text == "echo: 查询余额" and result.attempts == 1
    assert result.encrypted == (mode != "plain")
    [turn] = fake_rasa.turns
    assert (turn.sender, turn.channel, turn.message_id) == (f"wechat:{OPENID}", "wechat", "1001")


@pytest.mark.parametrize(("mode", "forge"), [("plain", "signature"), ("plain", "stale_timestamp"),
                                             ("safe", "signature"), ("safe", "msg_signature")])
async def test_forged_pushes_are_rejected_and_nothing_happens(start_gateway, fake_rasa, api,
                                                              session, mode, forge):
    platform, _ = await platform_for(start_gateway, fake_rasa, api, mode)
    result = await platform.push(platform.xml_text(OPENID, "balance", 1002), session=session,
                                 forge=forge, retries=1)
    assert result.status == 403
    await asyncio.sleep(0.2)
    assert fake_rasa.turns == [] and api.sent == []


async def test_a_slow_answer_becomes_a_customer_service_message(start_gateway, fake_rasa, api,
                                                                session):
    platform, _ = await platform_for(start_gateway, fake_rasa, api, wechat_passive_s=0.5)
    result = await platform.push(platform.xml_text(OPENID, "slow 1.5 hello", 1003),
                                 session=session)
    assert result.body == b"success" and result.attempts == 1
    assert await api.wait_for_sent(OPENID, 1) == ["echo: slow 1.5 hello"]


async def test_wechats_retries_are_processed_once_and_answered_once(start_gateway, fake_rasa,
                                                                    api, session):
    platform, _ = await platform_for(start_gateway, fake_rasa, api)
    # WeChat gives up on a request after its timeout and sends the same message again.
    result = await platform.push(platform.xml_text(OPENID, "slow 1.2 block my card", 1004),
                                 session=session, timeout=0.5, retries=3)
    # The retry is answered "success" at once: the answer will come as a pushed message.
    assert result.attempts == 2 and result.body == b"success"
    assert await api.wait_for_sent(OPENID, 1) == ["echo: slow 1.2 block my card"]
    await asyncio.sleep(0.5)
    assert fake_rasa.texts(f"wechat:{OPENID}") == ["slow 1.2 block my card"]
    assert len(api.sent) == 1


async def test_events_subscribe_menu_voice_and_media(start_gateway, fake_rasa, api, session):
    platform, _ = await platform_for(start_gateway, fake_rasa, api)
    welcome = platform.xml_event(OPENID, "subscribe", create_time=1_700_000_000)
    assert (await platform.push(welcome, session=session)).text == "echo: /start"
    assert (await platform.push(welcome, session=session)).body == b"success"  # a retry
    click = platform.xml_event(OPENID, "CLICK", key="intent:check_balance")
    assert (await platform.push(click, session=session)).text == "echo: /check_balance"
    voice = platform.xml_voice(OPENID, "我的卡丢了", 2001)
    assert (await platform.push(voice, session=session)).text == "echo: 我的卡丢了"
    image = await platform.push(platform.xml_image(OPENID, 2002), session=session)
    assert "我只能阅读文字消息" in image.text  # WeChat says the user reads Simplified Chinese
    unsubscribe = platform.xml_event(OPENID, "unsubscribe")
    assert (await platform.push(unsubscribe, session=session)).body == b"success"
    assert fake_rasa.texts(f"wechat:{OPENID}") == ["/start", "/check_balance", "我的卡丢了"]


async def test_choices_are_numbered_lines_and_typed_answers_choose(start_gateway, fake_rasa,
                                                                  api, session):
    platform, _ = await platform_for(start_gateway, fake_rasa, api)
    question = await platform.push(platform.xml_text(OPENID, "buttons", 3001), session=session)
    assert question.text == ("Which plan?\n\n1. 3 months\n2. 6 months\n3. 12 months\n"
                             "(Reply with a number, or type your answer.)")
    answer = await platform.push(platform.xml_text(OPENID, "2", 3002), session=session)
    assert answer.text == 'echo: /pick{"n":"6"}'


async def test_one_access_token_for_every_instance(start_gateway, fake_rasa, api, session):
    first, _ = await platform_for(start_gateway, fake_rasa, api, wechat_passive_s=0.1)
    second, _ = await platform_for(start_gateway, fake_rasa, api, wechat_passive_s=0.1)
    pushes = [p.push(p.xml_text(f"oUSER_{n}", "slow 0.3 hi", 4000 + n), session=session)
              for n, p in enumerate([first, second] * 4)]
    await asyncio.gather(*pushes)
    for n in range(8):
        await api.wait_for_sent(f"oUSER_{n}", 1)
    assert api.token_fetches == 1


async def test_an_expired_token_is_refreshed_once(start_gateway, fake_rasa, api, session):
    platform, _ = await platform_for(start_gateway, fake_rasa, api, wechat_passive_s=0.1)
    await platform.push(platform.xml_text(OPENID, "slow 0.3 one", 5001), session=session)
    await api.wait_for_sent(OPENID, 1)
    api.expire_token()
    await platform.push(platform.xml_text(OPENID, "slow 0.3 two", 5002), session=session)
    assert await api.wait_for_sent(OPENID, 2) == ["echo: slow 0.3 one", "echo: slow 0.3 two"]
    assert api.token_fetches == 2


async def test_a_closed_window_is_recorded_not_retried(start_gateway, fake_rasa, api, session,
                                                        redis_clean):
    platform, _ = await platform_for(start_gateway, fake_rasa, api, wechat_passive_s=0.1)
    api.close_window(OPENID)
    await platform.push(platform.xml_text(OPENID, "slow 0.3 hi", 6001), session=session)
    [record] = await failed_deliveries(redis_clean)
    assert record[b"reason"].startswith(b"window_closed")
    assert api.sent == []


async def test_texts_that_would_break_xml_or_the_byte_limit(start_gateway, fake_rasa, api,
                                                            session):
    platform, _ = await platform_for(start_gateway, fake_rasa, api)
    tricky = await platform.push(platform.xml_text(OPENID, "a ]]> b", 7001), session=session)
    assert tricky.text is not None and tricky.text.startswith("echo: a ]]")
    long = await platform.push(platform.xml_text(OPENID, "long 40", 7002), session=session)
    assert len(long.text.encode()) <= 2048
    rest = await api.wait_for_sent(OPENID, 1)
    assert all(len(part.encode()) <= 2048 for part in rest)
    assert len((long.text + "\n" + "\n".join(rest)).split("\n")) == 40


async def test_the_users_wechat_language_is_the_hint(start_gateway, fake_rasa, api, session):
    platform, _ = await platform_for(start_gateway, fake_rasa, api)
    api.set_language(OPENID, "zh_TW")
    welcome = platform.xml_event(OPENID, "subscribe")
    assert (await platform.push(welcome, session=session)).text == "echo: /start"
    await platform.push(platform.xml_text(OPENID, "你好", 8001), session=session)
    assert [t.metadata for t in fake_rasa.turns] == [{"language_hint": "zh-Hant"}] * 2
