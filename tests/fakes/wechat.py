"""Loopback fakes of WeChat for an official account: its API server, and its callback pushes.

``FakeWeChatAPI`` is ``api.weixin.qq.com`` (access tokens, 客服 sends) that the gateway calls;
``WeChatPlatform`` is WeChat calling the gateway's callback URL, the way it does::

    async with FakeWeChatAPI() as api:
        platform = WeChatPlatform(TOKEN, api.app_id, AES_KEY, "safe", callback_url)
        result = await platform.push(platform.xml_text("o_user", "你好", 1), session=http)
        assert result.text == "..." or await api.wait_for_sent("o_user", 1)
"""

from tests.fakes._wechat_api import ApiCall, FakeWeChatAPI
from tests.fakes._wechat_platform import (
    ACCOUNT_ID,
    Attempt,
    BadReply,
    HandshakeResult,
    PushResult,
    WeChatPlatform,
)

__all__ = [
    "ACCOUNT_ID", "ApiCall", "Attempt", "BadReply", "FakeWeChatAPI", "HandshakeResult",
    "PushResult", "WeChatPlatform",
]
