"""The WeChat fakes agree with wechatpy 1.8.18 and with WeChat's documented behaviour."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import xmltodict
from aiohttp import web
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import (
    ClickEvent,
    SubscribeEvent,
    SubscribeScanEvent,
    UnsubscribeEvent,
    ViewEvent,
)
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.messages import ImageMessage, TextMessage, VoiceMessage
from wechatpy.utils import check_signature

from tests.fakes._server import LoopbackServer
from tests.fakes._wechat_platform import Mode
from tests.fakes.wechat import BadReply, FakeWeChatAPI, HandshakeResult, WeChatPlatform

TOKEN = "cardcare_wx_token"
APP_ID = "wx1234567890abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"   # 43 characters, as the console issues
OPENID = "o_user_1"

Respond = Callable[[web.Request, str | None], Awaitable[web.StreamResponse]]


class Callback(LoopbackServer):
    """A minimal reference gateway: checks what WeChat sends, then answers as the test says."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[bytes] = []
        self.stall_first = 0        # this many requests hang until the test ends
        self.respond: Respond = answer("success")
        self._release = asyncio.Event()

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/wx", self._handle)
        return app

    async def _on_stop(self) -> None:
        self._release.set()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        try:
            check_signature(TOKEN, query["signature"], query["timestamp"], query["nonce"])
        except InvalidSignatureException:
            return web.Response(status=403)
        if abs(time.time() - int(query["timestamp"])) > 300:
            return web.Response(status=403, text="stale")
        if request.method == "GET":
            return web.Response(text=query["echostr"])
        body = await request.read()
        self.bodies.append(body)
        if len(self.bodies) <= self.stall_first:
            await self._release.wait()
        xml: str | None = body.decode()
        if query.get("encrypt_type") == "aes":
            try:
                xml = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
                    body, query["msg_signature"], query["timestamp"], query["nonce"])
            except InvalidSignatureException:
                return web.Response(status=403)
        return await self.respond(request, xml)


def answer(text: str) -> Respond:
    """A respond function answering ``text`` verbatim."""

    async def respond(request: web.Request, xml: str | None) -> web.Response:
        return web.Response(text=text)

    return respond


def reply_with(content: str, *, encrypt: bool = False, to: str | None = None) -> Respond:
    """A respond function answering a text reply made by wechatpy, optionally encrypted."""

    async def respond(request: web.Request, xml: str | None) -> web.Response:
        message = parse_message(xml)
        if to is not None:
            message.source = to
        rendered = create_reply(content, message).render()
        if encrypt:
            rendered = WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message(
                rendered, request.query["nonce"], request.query["timestamp"])
        return web.Response(text=rendered, content_type="application/xml")

    return respond


@pytest.fixture
async def callback() -> AsyncIterator[Callback]:
    async with Callback() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


def platform(callback: Callback, mode: Mode = "plain") -> WeChatPlatform:
    return WeChatPlatform(TOKEN, APP_ID, None if mode == "plain" else AES_KEY, mode,
                          f"{callback.url}/wx")


# the XML builders ----------------------------------------------------------------------------

def test_wechatpy_parses_every_builder() -> None:
    wx = WeChatPlatform(TOKEN, APP_ID)
    text = parse_message(wx.xml_text(OPENID, "查询账单 ]]> ok", 24123456789012345,
                                     create_time=1700000000))
    assert isinstance(text, TextMessage)
    assert (text.content, text.id, text.source, text.target, text.time) == (
        "查询账单 ]]> ok", 24123456789012345, OPENID, "gh_test", 1700000000)
    voice = parse_message(wx.xml_voice(OPENID, "khóa thẻ", 2))
    assert isinstance(voice, VoiceMessage) and voice.recognition == "khóa thẻ"
    assert isinstance(parse_message(wx.xml_image(OPENID, 3)), ImageMessage)
    assert isinstance(parse_message(wx.xml_event(OPENID, "subscribe")), SubscribeEvent)
    scan = parse_message(wx.xml_event(OPENID, "subscribe", "qrscene_branch42"))
    assert isinstance(scan, SubscribeScanEvent) and scan.scene_id == "branch42"
    assert isinstance(parse_message(wx.xml_event(OPENID, "unsubscribe")), UnsubscribeEvent)
    click = parse_message(wx.xml_event(OPENID, "CLICK", "MENU_BILL"))
    assert isinstance(click, ClickEvent) and click.key == "MENU_BILL" and click.id == 0
    view = parse_message(wx.xml_event(OPENID, "VIEW", "https://bank.example/cards"))
    assert isinstance(view, ViewEvent) and view.url == "https://bank.example/cards"


# pushes --------------------------------------------------------------------------------------

async def test_plain_push_and_reply(callback: Callback, http: aiohttp.ClientSession) -> None:
    callback.respond = reply_with("您好")
    wx = platform(callback)
    xml = wx.xml_text(OPENID, "你好", 1)
    result = await wx.push(xml, session=http)
    assert (result.status, result.text, result.attempts) == (200, "您好", 1)
    assert not result.encrypted
    assert callback.bodies == [xml.encode()]


async def test_safe_push_is_what_wechatpy_decrypts(callback: Callback,
                                                   http: aiohttp.ClientSession) -> None:
    callback.respond = reply_with("Xin chào", encrypt=True)
    wx = platform(callback, "safe")
    result = await wx.push(wx.xml_text(OPENID, "chào", 7), session=http)
    assert set(xmltodict.parse(callback.bodies[0])["xml"]) == {"ToUserName", "Encrypt"}
    assert (result.text, result.encrypted) == ("Xin chào", True)
    assert result.reply is not None and result.reply["ToUserName"] == OPENID


async def test_compatible_push_carries_both(callback: Callback,
                                            http: aiohttp.ClientSession) -> None:
    callback.respond = reply_with("plain is fine here")
    wx = platform(callback, "compatible")
    result = await wx.push(wx.xml_text(OPENID, "hello", 8), session=http)
    fields = xmltodict.parse(callback.bodies[0])["xml"]
    assert fields["Content"] == "hello" and "Encrypt" in fields
    assert result.text == "plain is fine here"


async def test_no_reply_and_rejected_replies(callback: Callback,
                                             http: aiohttp.ClientSession) -> None:
    wx = platform(callback, "safe")
    xml = wx.xml_text(OPENID, "hi", 9)
    for ack in ("success", ""):
        callback.respond = answer(ack)
        assert (await wx.push(xml, session=http)).reply is None
    callback.respond = reply_with("in the clear")
    with pytest.raises(BadReply, match="must be encrypted"):
        await wx.push(xml, session=http)
    callback.respond = reply_with("to someone else", encrypt=True, to="o_other")
    with pytest.raises(BadReply, match="not from"):
        await wx.push(xml, session=http)

    async def tampered(request: web.Request, xml: str | None) -> web.Response:
        answer = await reply_with("x", encrypt=True)(request, xml)
        body = xmltodict.parse(answer.text)
        body["xml"]["MsgSignature"] = "f" * 40
        return web.Response(text=xmltodict.unparse(body))

    callback.respond = tampered
    with pytest.raises(BadReply, match="MsgSignature"):
        await wx.push(xml, session=http)
    callback.respond = answer('{"reply": "hi"}')
    with pytest.raises(BadReply, match="not a reply"):
        await wx.push(xml, session=http)


async def test_a_slow_callback_gets_the_same_push_again(callback: Callback,
                                                        http: aiohttp.ClientSession) -> None:
    callback.stall_first = 1
    callback.respond = reply_with("late but here")
    wx = platform(callback)
    result = await wx.push(wx.xml_text(OPENID, "hi", 10), session=http, timeout=0.3)
    assert (result.attempts, result.text) == (2, "late but here")
    assert callback.bodies[0] == callback.bodies[1]
    assert [a.error for a in wx.attempts] == ["timeout", None]
    assert wx.attempts[1].time - wx.attempts[0].time >= 0.3


async def test_a_silent_callback_gets_three_tries(callback: Callback,
                                                  http: aiohttp.ClientSession) -> None:
    callback.stall_first = 99
    wx = platform(callback, "safe")
    result = await wx.push(wx.xml_text(OPENID, "hi", 11), session=http, timeout=0.3)
    assert (result.status, result.attempts, len(callback.bodies)) == (None, 3, 3)


async def test_forgeries_are_refused_by_a_checking_callback(callback: Callback,
                                                            http: aiohttp.ClientSession) -> None:
    wx = platform(callback, "safe")
    xml = wx.xml_text(OPENID, "hi", 12)
    for forgery in ("signature", "msg_signature", "stale_timestamp"):
        assert (await wx.push(xml, session=http, forge=forgery)).status == 403, forgery
    with pytest.raises(ValueError):
        await platform(callback).push(xml, session=http, forge="msg_signature")


async def test_handshake(callback: Callback, http: aiohttp.ClientSession) -> None:
    wx = platform(callback, "safe")
    assert await wx.handshake("8372649182", session=http) == HandshakeResult(200, "8372649182")
    assert (await wx.handshake("1", session=http, forge="signature")).status == 403


# the API server ------------------------------------------------------------------------------

@pytest.fixture
async def api() -> AsyncIterator[FakeWeChatAPI]:
    async with FakeWeChatAPI(APP_ID, "s3cret") as fake:
        yield fake


async def fetch_token(api: FakeWeChatAPI, http: aiohttp.ClientSession,
                      **overrides: str) -> dict[str, Any]:
    params = {"grant_type": "client_credential", "appid": APP_ID, "secret": "s3cret", **overrides}
    async with http.get(f"{api.base_url}token", params=params) as answer:
        assert answer.status == 200     # WeChat reports errors in the body, never the status
        return await answer.json()


async def send(api: FakeWeChatAPI, http: aiohttp.ClientSession, token: str, content: str,
               openid: str = OPENID) -> dict[str, Any]:
    body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
    async with http.post(f"{api.base_url}message/custom/send", params={"access_token": token},
                         data=json.dumps(body, ensure_ascii=False).encode()) as answer:
        assert answer.status == 200
        return await answer.json()


async def test_token_fetch(api: FakeWeChatAPI, http: aiohttp.ClientSession) -> None:
    assert await fetch_token(api, http) == {"access_token": "FAKE_AT_1", "expires_in": 7200}
    assert (await fetch_token(api, http, appid="wxWRONG"))["errcode"] == 40013
    assert (await fetch_token(api, http, secret="nope"))["errcode"] == 40125
    assert api.token_fetches == 1


async def test_custom_send_and_token_lifecycle(api: FakeWeChatAPI,
                                               http: aiohttp.ClientSession) -> None:
    old = (await fetch_token(api, http))["access_token"]
    assert await send(api, http, old, "您好，Xin chào") == {"errcode": 0, "errmsg": "ok"}
    assert api.sent == [(OPENID, "您好，Xin chào")]
    new = (await fetch_token(api, http))["access_token"]
    assert (await send(api, http, old, "x"))["errcode"] == 40001
    assert (await send(api, http, new, "x"))["errcode"] == 0
    api.expire_token()
    assert (await send(api, http, new, "x"))["errcode"] == 42001
    sends = [call.errcode for call in api.calls if call.path.endswith("send")]
    assert sends == [0, 40001, 0, 42001]


async def test_a_grace_period_keeps_the_old_token(http: aiohttp.ClientSession) -> None:
    async with FakeWeChatAPI(APP_ID, "s3cret", old_token_grace_s=60) as api:
        old = (await fetch_token(api, http))["access_token"]
        await fetch_token(api, http)
        assert (await send(api, http, old, "x"))["errcode"] == 0


async def test_window_quota_and_size(api: FakeWeChatAPI, http: aiohttp.ClientSession) -> None:
    token = (await fetch_token(api, http))["access_token"]
    assert (await send(api, http, token, "卡" * 683))["errcode"] == 45002     # 2049 bytes
    assert (await send(api, http, token, "卡" * 682 + "ab"))["errcode"] == 0  # 2048 bytes
    api.set_quota(OPENID, 1)
    assert (await send(api, http, token, "one"))["errcode"] == 0
    assert (await send(api, http, token, "two"))["errcode"] == 45047
    api.close_window("o_gone")
    answer = await send(api, http, token, "hi", openid="o_gone")
    assert answer == {"errcode": 45015,
                      "errmsg": "response out of time limit or subscription is canceled"}
    api.open_window(OPENID)
    assert (await send(api, http, token, "three"))["errcode"] == 0


async def test_wait_for_sent(api: FakeWeChatAPI, http: aiohttp.ClientSession) -> None:
    token = (await fetch_token(api, http))["access_token"]
    task = asyncio.create_task(send(api, http, token, "later"))
    assert await api.wait_for_sent(OPENID, 1, timeout=5) == ["later"]
    await task
    with pytest.raises(AssertionError, match="expected 2 texts"):
        await api.wait_for_sent(OPENID, 2, timeout=0.05)


async def test_wechatpy_client_speaks_to_the_fake(api: FakeWeChatAPI) -> None:
    from wechatpy import WeChatClient
    from wechatpy.exceptions import WeChatClientException

    class LocalClient(WeChatClient):     # facts 2.9: the token URL ignores API_BASE_URL
        API_BASE_URL = api.base_url

        def fetch_access_token(self) -> dict[str, Any]:
            return self._fetch_access_token(url=f"{api.base_url}token", params={
                "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})

    client = LocalClient(APP_ID, "s3cret", timeout=3, auto_retry=False)
    result = await asyncio.to_thread(client.message.send_text, OPENID, "你好")
    assert result == {"errcode": 0, "errmsg": "ok"} and api.sent == [(OPENID, "你好")]
    api.close_window(OPENID)
    with pytest.raises(WeChatClientException) as raised:
        await asyncio.to_thread(client.message.send_text, OPENID, "again")
    assert raised.value.errcode == 45015
