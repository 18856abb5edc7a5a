"""Settings from the environment: channels on only with their secrets, failures named."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError

BASE = {"REDIS_URL": "redis://127.0.0.1:6379/0", "CARDCARE_GATEWAY_TOKEN": "t"}


def test_channels_are_off_without_their_secrets():
    settings = Settings.from_env(BASE)
    assert settings.telegram is None and settings.wechat is None and settings.web_secret is None
    assert settings.rasa_urls == ("http://127.0.0.1:5005",)


def test_every_api_base_url_is_a_setting():
    settings = Settings.from_env({
        **BASE, "TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": "s",
        "TELEGRAM_API_URL": "http://127.0.0.1:1", "WECHAT_TOKEN": "w", "WECHAT_APP_ID": "a",
        "WECHAT_APP_SECRET": "b", "WECHAT_API_URL": "http://127.0.0.1:2",
        "RASA_URLS": "http://127.0.0.1:5005, http://127.0.0.1:5006/"})
    assert settings.telegram.api_url == "http://127.0.0.1:1"
    assert settings.wechat.api_url == "http://127.0.0.1:2"
    assert settings.rasa_urls == ("http://127.0.0.1:5005", "http://127.0.0.1:5006")


@pytest.mark.parametrize(("env", "named"), [
    ({}, "REDIS_URL"),
    ({"REDIS_URL": "redis://x"}, "CARDCARE_GATEWAY_TOKEN"),
    ({**BASE, "TELEGRAM_BOT_TOKEN": "1:x"}, "TELEGRAM_WEBHOOK_SECRET"),
    ({**BASE, "WECHAT_TOKEN": "w", "WECHAT_APP_ID": "a"}, "WECHAT_APP_SECRET"),
    ({**BASE, "WECHAT_TOKEN": "w", "WECHAT_APP_ID": "a", "WECHAT_APP_SECRET": "b",
      "WECHAT_AES_KEY": "short"}, "WECHAT_AES_KEY"),
    ({**BASE, "GATEWAY_PORT": "eighty"}, "GATEWAY_PORT"),
])
def test_a_missing_or_malformed_variable_is_named(env, named):
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)
