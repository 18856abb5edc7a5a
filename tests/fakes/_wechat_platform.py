"""WeChat's side of an official account's callback URL: signed, encrypted, retried pushes.

Signatures and encryption come from wechatpy itself (``WeChatSigner``, ``PrpCrypto``,
``WeChatCrypto``), so what this sends is what a wechatpy-based gateway must accept; the wire
details are in research/stack-facts.md 2.1-2.3.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
import xmltodict
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import WeChatSigner

Mode = Literal["plain", "compatible", "safe"]
Forgery = Literal["signature", "msg_signature", "stale_timestamp"]

ACCOUNT_ID = "gh_test"
STALE_AGE_S = 24 * 3600         # older than any replay window a gateway could sensibly allow
MAX_REPLY_BYTES = 2048          # a passive reply's Content (stack-facts 2.5)
_FORGED = "0" * 40              # a well-formed SHA-1 that is never the right one


class BadReply(AssertionError):
    """The callback answered something WeChat would not deliver; the user would see
    「该公众号暂时无法提供服务，请稍后再试」 instead."""


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt of a push.

    Attributes:
        time: ``time.monotonic()`` when it was sent.
        status: the HTTP status, or ``None`` when no answer came in time or the connection failed.
        error: why there was no answer (``"timeout"``, or the connection error), else ``None``.
    """

    time: float
    status: int | None
    error: str | None


@dataclass(frozen=True)
class PushResult:
    """How the callback answered a push.

    Attributes:
        status: the last attempt's HTTP status; ``None`` when every attempt went unanswered.
        body: the raw answer.
        reply_xml: the reply's XML, decrypted if it came encrypted; ``None`` for ``success``,
            an empty answer or a status other than 200.
        reply: the reply's fields (``MsgType``, ``Content``...), ``None`` as for ``reply_xml``.
        attempts: how many times the push was sent (1 unless the callback was too slow).
        encrypted: whether the reply came encrypted.
    """

    status: int | None
    body: bytes
    reply_xml: str | None
    reply: dict[str, Any] | None
    attempts: int
    encrypted: bool = False

    @property
    def text(self) -> str | None:
        """The Content of a text reply, else ``None``."""
        if self.reply is None or self.reply.get("MsgType") != "text":
            return None
        return self.reply.get("Content") or ""


@dataclass(frozen=True)
class HandshakeResult:
    """The answer to the echostr check: the callback must echo ``echostr`` verbatim."""

    status: int
    body: str


def _sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _cdata(value: str) -> str:
    # "]]>" cannot appear inside CDATA; XML's way out is to split the section around it.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _xml(fields: list[tuple[str, str | int]]) -> str:
    inner = "".join(f"<{name}>{value if isinstance(value, int) else _cdata(value)}</{name}>"
                    for name, value in fields)
    return f"<xml>{inner}</xml>"


class WeChatPlatform:
    """WeChat pushing users' messages and events to one official account's callback URL.

    Args:
        token: the Token configured in the console; signs every push.
        app_id: the account's AppID, sealed into every encrypted message.
        encoding_aes_key: the 43-character EncodingAESKey; required unless ``mode`` is plain.
        mode: 明文 ``"plain"``, 兼容 ``"compatible"`` or 安全 ``"safe"``.
        callback_url: where WeChat POSTs (and GETs the handshake).
        account_id: the account's original id, the ToUserName of every push.
    """

    def __init__(self, token: str, app_id: str, encoding_aes_key: str | None = None,
                 mode: Mode = "plain", callback_url: str = "", *,
                 account_id: str = ACCOUNT_ID) -> None:
        if mode not in ("plain", "compatible", "safe"):
            raise ValueError(f"mode must be plain, compatible or safe, not {mode!r}")
        if mode != "plain" and encoding_aes_key is None:
            raise ValueError(f"{mode} mode needs an encoding_aes_key")
        self.token, self.app_id, self.mode = token, app_id, mode
        self.callback_url, self.account_id = callback_url, account_id
        self.attempts: list[Attempt] = []
        self._crypto = (WeChatCrypto(token, encoding_aes_key, app_id)
                        if encoding_aes_key is not None else None)

    # what WeChat sends --------------------------------------------------------------------------

    def _envelope(self, openid: str, msg_type: str,
                  create_time: int | None) -> list[tuple[str, str | int]]:
        return [("ToUserName", self.account_id), ("FromUserName", openid),
                ("CreateTime", int(time.time()) if create_time is None else create_time),
                ("MsgType", msg_type)]

    def xml_text(self, openid: str, content: str, msg_id: int, *,
                 create_time: int | None = None) -> str:
        """A user's text message."""
        return _xml([*self._envelope(openid, "text", create_time), ("Content", content),
                     ("MsgId", msg_id)])

    def xml_voice(self, openid: str, recognition: str, msg_id: int, *,
                  create_time: int | None = None) -> str:
        """A voice message with WeChat's speech recognition result (when enabled)."""
        return _xml([*self._envelope(openid, "voice", create_time),
                     ("MediaId", f"media-voice-{msg_id}"), ("Format", "amr"),
                     ("Recognition", recognition), ("MsgId", msg_id)])

    def xml_image(self, openid: str, msg_id: int, *, create_time: int | None = None) -> str:
        """An image message."""
        return _xml([*self._envelope(openid, "image", create_time),
                     ("PicUrl", f"http://mmbiz.qpic.cn/fake/{msg_id}"),
                     ("MediaId", f"media-image-{msg_id}"), ("MsgId", msg_id)])

    def xml_event(self, openid: str, event: str, key: str | None = None,
                  create_time: int | None = None) -> str:
        """An event, spelled as WeChat does: ``subscribe``, ``unsubscribe``, ``CLICK``, ``VIEW``.

        ``key`` becomes the EventKey: the menu key of CLICK, the URL of VIEW, ``qrscene_<id>``
        for a subscribe through a parametric QR code (which also carries a Ticket).
        """
        fields = [*self._envelope(openid, "event", create_time), ("Event", event)]
        if key is not None:
            fields.append(("EventKey", key))
            if key.startswith("qrscene_"):
                fields.append(("Ticket", f"ticket-{key}"))
        return _xml(fields)

    # delivering it ------------------------------------------------------------------------------

    def _signed_request(self, xml: str, forge: Forgery | None) -> tuple[dict[str, str], str]:
        """The query and body of a push, encrypted per the mode and forged if asked."""
        if forge == "msg_signature" and self.mode == "plain":
            raise ValueError("a plain-mode push has no msg_signature to forge")
        age = STALE_AGE_S if forge == "stale_timestamp" else 0
        timestamp, nonce = str(int(time.time()) - age), str(secrets.randbelow(10**10))
        openid = xmltodict.parse(xml)["xml"]["FromUserName"]
        signature = _FORGED if forge == "signature" else _sign(self.token, timestamp, nonce)
        query = {"signature": signature, "timestamp": timestamp, "nonce": nonce, "openid": openid}
        if self._crypto is None or self.mode == "plain":
            return query, xml
        encrypt = PrpCrypto(self._crypto.key).encrypt(xml, self.app_id).decode()
        query["encrypt_type"] = "aes"
        query["msg_signature"] = (_FORGED if forge == "msg_signature"
                                  else _sign(self.token, timestamp, nonce, encrypt))
        if self.mode == "safe":
            return query, _xml([("ToUserName", self.account_id), ("Encrypt", encrypt)])
        plain = xml.rstrip()
        if not plain.endswith("</xml>"):
            raise ValueError("the message must be an <xml> document")
        return query, plain[:-len("</xml>")] + f"<Encrypt>{_cdata(encrypt)}</Encrypt></xml>"

    async def push(self, xml: str, *, session: aiohttp.ClientSession, timeout: float = 5.0,
                   retries: int = 3, forge: Forgery | None = None) -> PushResult:
        """POSTs ``xml`` to the callback as WeChat does, resending on silence.

        WeChat: "五秒内收不到响应会断掉连接，并且重新发起请求，总共重试三次" — so each attempt
        waits ``timeout`` seconds, and the very same request goes out up to ``retries`` times
        in all. A refused connection counts as silence too.

        Args:
            xml: the plaintext message, e.g. from ``xml_text``.
            session: the test's HTTP session.
            timeout: seconds to wait for each answer (WeChat: 5).
            retries: attempts in all (WeChat: 3).
            forge: send a bad ``signature`` or ``msg_signature``, or a validly signed timestamp
                a day old (``stale_timestamp``), to test that the callback refuses it.

        Returns:
            The answer; see ``PushResult``.

        Raises:
            BadReply: a 200 answer WeChat would reject: not ``success``, empty or reply XML;
                an encrypted reply with a bad MsgSignature or AppID; a plaintext reply in safe
                mode; a reply not from the account to this user; a text over 2048 bytes.
            ValueError: ``forge="msg_signature"`` in plain mode.
        """
        query, body = self._signed_request(xml, forge)
        openid = query["openid"]
        for attempt in range(1, retries + 1):
            sent = time.monotonic()
            try:
                async with session.post(self.callback_url, params=query, data=body.encode(),
                                        headers={"Content-Type": "text/xml"},
                                        timeout=aiohttp.ClientTimeout(total=timeout)) as answer:
                    status, raw = answer.status, await answer.read()
            except asyncio.TimeoutError:
                self.attempts.append(Attempt(sent, None, "timeout"))
                continue
            except aiohttp.ClientConnectionError as error:
                self.attempts.append(Attempt(sent, None, repr(error)))
                continue
            self.attempts.append(Attempt(sent, status, None))
            if status != 200:
                return PushResult(status, raw, None, None, attempt)
            return self._read_reply(raw, openid, attempt)
        return PushResult(None, b"", None, None, retries)

    def _read_reply(self, raw: bytes, openid: str, attempts: int) -> PushResult:
        if raw in (b"", b"success"):    # WeChat's two ways to acknowledge without a reply
            return PushResult(200, raw, None, None, attempts)
        try:
            fields = xmltodict.parse(raw.decode("utf-8"))["xml"]
        except Exception as error:      # expat, UnicodeDecodeError, or a root other than <xml>
            raise BadReply(f"not a reply WeChat understands: {raw[:200]!r}") from error
        reply_xml, encrypted = raw.decode("utf-8"), "Encrypt" in fields
        if encrypted:
            reply_xml = self._decrypt_reply(fields)
            fields = xmltodict.parse(reply_xml)["xml"]
        elif self.mode == "safe":
            raise BadReply("safe mode: the reply must be encrypted")
        self._check_reply(fields, openid)
        return PushResult(200, raw, reply_xml, dict(fields), attempts, encrypted)

    def _decrypt_reply(self, envelope: dict[str, Any]) -> str:
        if self._crypto is None or self.mode == "plain":
            raise BadReply("plain mode: WeChat cannot decrypt an encrypted reply")
        try:
            return self._crypto.decrypt_message(envelope, envelope.get("MsgSignature"),
                                                envelope.get("TimeStamp"), envelope.get("Nonce"))
        except InvalidSignatureException as error:
            raise BadReply("the reply's MsgSignature does not match") from error
        except InvalidAppIdException as error:
            raise BadReply("the reply is sealed for another AppID") from error
        except Exception as error:      # wechatpy's decrypt fails oddly on garbage (facts 2.10)
            raise BadReply(f"the reply does not decrypt: {error!r}") from error

    def _check_reply(self, fields: dict[str, Any], openid: str) -> None:
        if fields.get("ToUserName") != openid or fields.get("FromUserName") != self.account_id:
            raise BadReply(f"the reply goes from {fields.get('FromUserName')!r} to "
                           f"{fields.get('ToUserName')!r}, not from {self.account_id!r} "
                           f"to {openid!r}")
        if not fields.get("MsgType"):
            raise BadReply("the reply has no MsgType")
        if len((fields.get("Content") or "").encode("utf-8")) > MAX_REPLY_BYTES:
            raise BadReply(f"the reply's Content is over {MAX_REPLY_BYTES} bytes")

    async def handshake(self, echostr: str, *, session: aiohttp.ClientSession,
                        forge: Literal["signature", "stale_timestamp"] | None = None,
                        timeout: float = 5.0) -> HandshakeResult:
        """GETs the callback as WeChat does when the URL is saved in the console.

        The echostr is never encrypted for an official account, whatever the mode.
        """
        age = STALE_AGE_S if forge == "stale_timestamp" else 0
        timestamp, nonce = str(int(time.time()) - age), str(secrets.randbelow(10**10))
        signature = _FORGED if forge == "signature" else _sign(self.token, timestamp, nonce)
        query = {"signature": signature, "timestamp": timestamp, "nonce": nonce,
                 "echostr": echostr}
        async with session.get(self.callback_url, params=query,
                               timeout=aiohttp.ClientTimeout(total=timeout)) as answer:
            return HandshakeResult(answer.status, await answer.text())
