"""Loopback fakes of the outside services the bot talks to, for tests with no network.

Each fake is a real HTTP server on 127.0.0.1 at a free port, so the real client libraries
(python-telegram-bot, wechatpy's crypto, our aiohttp calls) run unchanged against it.
``tests/fakes_selftest`` checks that the fakes answer as the real services do.
"""

from tests.fakes.telegram import (
    BOT_USER,
    Call,
    FakeTelegram,
    Webhook,
    callback_update,
    document_update,
    edited_text_update,
    location_update,
    photo_update,
    sticker_update,
    text_update,
    voice_update,
)
from tests.fakes.wechat import (
    ACCOUNT_ID,
    ApiCall,
    Attempt,
    BadReply,
    FakeWeChatAPI,
    HandshakeResult,
    PushResult,
    WeChatPlatform,
)

__all__ = [
    "ACCOUNT_ID",
    "BOT_USER",
    "ApiCall",
    "Attempt",
    "BadReply",
    "Call",
    "FakeTelegram",
    "FakeWeChatAPI",
    "HandshakeResult",
    "PushResult",
    "WeChatPlatform",
    "Webhook",
    "callback_update",
    "document_update",
    "edited_text_update",
    "location_update",
    "photo_update",
    "sticker_update",
    "text_update",
    "voice_update",
]
