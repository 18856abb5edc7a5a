"""A whole banking conversation on each channel, through the real gateway and the real stack.

The user talks through the real python-telegram-bot (fake Bot API), wechatpy's crypto (fake
WeChat), or the web chat's socket; the gateway passes it to the running Rasa, whose action
server calls the sandbox bank.  Each conversation ends in the bank's state.  Buttons are
tapped on Telegram and the web; on WeChat, and for the typed answers, they are typed.
"""

from __future__ import annotations

import itertools
import json
import re
import urllib.request
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from bot.settings import TelegramSettings, WeChatSettings
from cardcare.conversation import MASK
from tests.fakes.telegram import FakeTelegram, callback_update, text_update
from tests.fakes.wechat import FakeWeChatAPI, WeChatPlatform
from tests.gateway import Browser, idle

pytestmark = pytest.mark.model

SECRET = "telegram-e2e-secret"
WX_TOKEN, WX_APP, WX_AES = "wx-e2e-token", "wxE2EAPPID", "E2E" * 14 + "x"


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def reset_bank(stack: Any) -> None:
    request = urllib.request.Request(f"{stack.config.bank_base_url}/sandbox/reset", data=b"{}",
                                     method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()


def code_for(stack: Any, subject: str) -> str:
    outbox = get_json(f"{stack.config.bank_base_url}/sandbox/outbox?subject={subject}")
    return re.search(r"\b(\d{6})\b", outbox["messages"][-1]["body"]).group(1)


def customer(stack: Any, customer_id: str) -> dict[str, Any]:
    return get_json(f"{stack.config.bank_base_url}/sandbox/customers/{customer_id}")


# A new chat for every test: Rasa keeps each conversation for the whole session.
_CHATS = itertools.count(730_000)


class TelegramUser:
    """A Telegram user of the gateway: writes or taps, and reads what the bot sent back."""

    def __init__(self, stack: Any, gateway_url: str, telegram: FakeTelegram,
                 http: aiohttp.ClientSession, client: aioredis.Redis, chat: int) -> None:
        self.stack, self.url, self.telegram, self.http, self.client = (
            stack, gateway_url, telegram, http, client)
        self.chat, self.updates = chat, iter(range(1, 1000))

    @property
    def subject(self) -> str:
        return f"telegram:{self.chat}"

    async def says(self, text: str | None = None, tap: str | None = None) -> str:
        """Sends text (or taps the latest button containing ``tap``); the answer's texts and
        button titles."""
        before = len(self.telegram.messages(self.chat))
        if tap is not None:
            [data] = [b["callback_data"] for m in self.telegram.messages(self.chat)[::-1]
                      for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
                      for b in row if tap in b["text"]][:1]
            body = callback_update(next(self.updates), self.chat, data)
        else:
            body = text_update(next(self.updates), self.chat, text or "")
        async with self.http.post(f"{self.url}/telegram/webhook", json=body, headers={
                "X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
            assert response.status == 200
        await idle(self.client, self.subject)
        return "\n".join(part for m in self.telegram.messages(self.chat)[before:]
                         for part in [m["text"], *(b["text"] for row in (
                             m.get("reply_markup") or {}).get("inline_keyboard", [])
                             for b in row)])

    async def verifies(self, identity: str) -> str:
        await self.says(identity)
        return await self.says(code_for(self.stack, self.subject))


@pytest.fixture
async def telegram_user(stack, start_gateway, client):
    """A Telegram user talking to the real stack through a gateway, the bank at its seed."""
    reset_bank(stack)
    async with FakeTelegram() as telegram, aiohttp.ClientSession() as http:
        gateway = await start_gateway(
            (stack.config.rasa_url,), rasa_token=stack.config.gateway_token,
            telegram=TelegramSettings(token=telegram.token, webhook_secret=SECRET,
                                      api_url=telegram.url))
        yield TelegramUser(stack, gateway.url, telegram, http, client, next(_CHATS))


async def test_telegram_lost_card_blocked_and_replaced(stack, telegram_user):
    assert "confirm it's you" in await telegram_user.says("I lost my credit card")
    answer = await telegram_user.verifies("my number is +1 415 555 0101")
    assert "Platinum Rewards •••• 4821" in answer, answer  # a button per card
    blocked = await telegram_user.says(tap="4821")
    assert "permanently blocked" in blocked
    await telegram_user.says("yes please")
    state = customer(stack, "cus_emma")
    assert {c["card_id"]: c["status"] for c in state["cards"]}["card_emma_visa"] == "blocked"
    assert len(state["replacement_orders"]) == 1
    assert telegram_user.subject in state["linked_subjects"]


async def test_wechat_lost_card_in_simplified_chinese_with_typed_choices(stack, start_gateway,
                                                                         client):
    reset_bank(stack)
    async with FakeWeChatAPI(app_id=WX_APP) as api, aiohttp.ClientSession() as http:
        gateway = await start_gateway(
            (stack.config.rasa_url,), rasa_token=stack.config.gateway_token,
            wechat=WeChatSettings(token=WX_TOKEN, app_id=WX_APP, app_secret=api.app_secret,
                                  aes_key=WX_AES, api_url=api.url))
        platform = WeChatPlatform(WX_TOKEN, WX_APP, WX_AES, "safe", f"{gateway.url}/wechat")
        openid, ids = "oWANG_e2e", iter(range(9001, 9100))

        async def say(text: str) -> str:
            pushed = len(api.sent_to(openid))
            result = await platform.push(platform.xml_text(openid, text, next(ids)),
                                         session=http)
            await idle(client, f"wechat:{openid}")
            return "\n".join([result.text or "", *api.sent_to(openid)[pushed:]])

        assert "确认您的身份" in await say("我的信用卡丢了")
        await say("卡号后四位3306，生日1990-08-23")
        blocked = await say(code_for(stack, f"wechat:{openid}"))
        assert "1. " in blocked and "2. " in blocked  # the replacement question, numbered
        await say("1")
    state = customer(stack, "cus_wang")
    assert next(c["status"] for c in state["cards"] if c["card_id"].endswith("3306")
                or "wang" in c["card_id"]) == "blocked"
    assert len(state["replacement_orders"]) == 1


async def test_web_chat_repayment_plan_with_typed_answers_in_vietnamese(stack, start_gateway,
                                                                       client):
    reset_bank(stack)
    gateway = await start_gateway((stack.config.rasa_url,), rasa_token=stack.config.gateway_token)
    tab = Browser(gateway.url)
    await tab.open(language="vi")
    try:
        subject = None

        async def say(text: str) -> str:
            await tab.send(type="message", text=text)
            return "\n".join(part for m in await tab.answer()
                             for part in [m["text"], *(b["title"] for b in m["buttons"])])

        await say("minh bi mat viec, thang nay khong tra no the duoc")
        subject = await tab.subject(client)
        await say("so dt cua minh 0903111222")
        code = code_for(stack, subject)
        offers = await say(code)
        assert "12 tháng" in offers, offers
        assert "12" in await say("12")  # typed: the 12-month offer, not "did you mean"
        await say("dong y")
        # The page's history, kept for a reload, holds the verification answers masked whole.
        await tab.ws.close()
        history = await tab.open(language="vi")
        said = [m["text"] for m in history["messages"] if m["from"] == "user"]
        assert code not in json.dumps(history) and "0903111222" not in json.dumps(history)
        assert said[1:3] == [MASK, MASK] and said[3] == "12", said
    finally:
        await tab.close()
    [plan] = customer(stack, "cus_khoa")["repayment_plans"]
    assert plan["months"] == 12


TYPED = [
    # language, customer, request, identity, typed card (or None), typed kind, typed yes
    ("en", "cus_emma", "please raise my credit limit to 9200 dollars",
     "my number is +1 415 555 0101", "the Visa", "permanent", "yes"),
    ("zh-Hans", "cus_wang", "我想把信用额度提高到60000元", "卡号后四位3306，生日1990-08-23",
     None, "固定", "好的"),
    ("zh-Hant", "cus_wong", "我想將信用額提高到 80000 蚊", "9087 30/06/1979", None, "永久", "係"),
    ("vi", "cus_lan", "tang han muc the len 60 trieu giup minh", "so dt cua minh 0912345678",
     None, "co dinh", "dong y"),
]


@pytest.mark.parametrize(("language", "customer_id", "request_text", "identity", "card", "kind",
                          "yes"), TYPED, ids=[t[0] for t in TYPED])
async def test_typed_answers_to_choices_in_four_languages(stack, telegram_user, language,
                                                         customer_id, request_text, identity,
                                                         card, kind, yes):
    await telegram_user.says(request_text)
    asked = await telegram_user.verifies(identity)
    if card is not None:
        asked = await telegram_user.says(card)
    assert "30" in asked, asked  # "permanently, or temporarily for 30 days?"
    confirm = await telegram_user.says(kind)
    assert "?" in confirm or "？" in confirm, confirm  # the confirmation, not "did you mean"
    await telegram_user.says(yes)
    [request] = customer(stack, customer_id)["limit_requests"]
    assert request["kind"] == "permanent"


@pytest.mark.parametrize(("token", "body", "status"), [
    (None, {"sender": "telegram:1", "message": "hi", "input_channel": "telegram"}, 401),
    ("wrong", {"sender": "telegram:1", "message": "hi", "input_channel": "telegram"}, 401),
    ("ok", {"sender": "web:1", "message": "hi", "input_channel": "telegram"}, 400),
    ("ok", {"sender": "telegram:1", "message": "hi", "input_channel": "Tele-Gram"}, 400),
    ("ok", {"sender": "telegram:a b", "message": "hi", "input_channel": "telegram"}, 400),
    ("ok", {"sender": "telegram:1", "message": "", "input_channel": "telegram"}, 400),
    ("ok", ["not", "an", "object"], 400),
])
async def test_only_the_gateway_reaches_rasas_gateway_channel(stack, token, body, status):
    headers = {} if token is None else {
        "Authorization": f"Bearer {stack.config.gateway_token if token == 'ok' else token}"}
    async with aiohttp.ClientSession() as http, http.post(
            f"{stack.config.rasa_url}/webhooks/gateway/webhook", json=body,
            headers=headers) as response:
        assert response.status == status


async def test_rasas_http_api_needs_its_token(stack):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{stack.config.rasa_url}/conversations/telegram:1/tracker") as r:
            assert r.status == 401
        async with http.get(f"{stack.config.rasa_url}/conversations/telegram:1/tracker",
                            params={"token": stack.config.rasa_api_token}) as r:
            assert r.status == 200


async def test_the_rest_channel_cannot_borrow_a_verified_telegram_chat(stack, telegram_user):
    await telegram_user.says("what's my balance")
    assert "Current balance" in await telegram_user.verifies("my number is +1 415 555 0101")
    rest = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    user_id = telegram_user.subject.partition(":")[2]
    async with aiohttp.ClientSession() as http:
        async with http.post(rest, json={"sender": telegram_user.subject, "input_channel":
                                         "telegram", "message": "what's my balance"}) as response:
            assert response.status == 400  # no REST chat has another channel's subject
        async with http.post(rest, json={"sender": user_id, "input_channel": "telegram",
                                         "message": "what's my balance"}) as response:
            answer = " ".join(m.get("text") or "" for m in await response.json())
    assert "Current balance" not in answer and "confirm it's you" in answer, answer
