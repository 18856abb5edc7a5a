"""The gateway's configuration, read once from the environment in ``main()``.

Every secret comes from the environment and has no default: a channel whose secrets are
missing is off, and a channel that is on but misses one fails at startup naming the variable.
Every API base URL is a setting too, so that tests point the real libraries at local fakes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from cardcare.conversation import MAX_MESSAGE_CHARS
from cardcare.service_hours import HoursError, ServiceHours


class SettingsError(ValueError):
    """The environment does not describe a gateway that can start; says which variable."""


@dataclass(frozen=True)
class TelegramSettings:
    """A Telegram bot (BotFather's token) and how updates reach us."""

    token: str
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token on every webhook call.
    webhook_secret: str | None
    # "webhook" in production; "polling" for development without a public URL.
    mode: str = "webhook"
    api_url: str = "https://api.telegram.org"
    # The public URL of /telegram/webhook; when set, the gateway registers it at startup.
    webhook_url: str | None = None


@dataclass(frozen=True)
class WeChatSettings:
    """A WeChat official account (公众号): its server token, app id and secret, AES key."""

    token: str
    app_id: str
    app_secret: str
    # 43 characters; set for compatible and safe mode, absent for plaintext mode.
    aes_key: str | None = None
    api_url: str = "https://api.weixin.qq.com"


@dataclass(frozen=True)
class Settings:
    """Everything the gateway process needs."""

    redis_url: str
    rasa_urls: tuple[str, ...]
    # The bearer token Rasa's gateway channel (cardcare.gateway_input) checks.
    rasa_token: str
    host: str = "127.0.0.1"
    port: int = 8080
    telegram: TelegramSettings | None = None
    wechat: WeChatSettings | None = None
    # Signs the web chat's identity cookie; the web chat is off without it.
    web_secret: str | None = None
    # A scraper's bearer token for /metrics; without it there is no /metrics.
    metrics_token: str | None = None
    # A turn of Rasa takes 0.05-1 s; a bank call may add a few seconds.  Past this the user
    # gets an apology rather than silence.
    rasa_timeout_s: float = 30.0
    # WeChat drops a passive reply after 5 s; keep a margin for the network.
    wechat_passive_s: float = 4.0
    # Messages per user per minute before the gateway asks them to slow down: a person
    # types a few a minute, a script hundreds.
    rate_per_minute: int = 30
    # The longest text passed on to Rasa.  NLU cost grows with the square of the length;
    # a real question, even a long story, fits well under this.  Rasa caps at the same length.
    max_text_chars: int = MAX_MESSAGE_CHARS
    # Largest request body accepted (a Telegram update or WeChat XML is a few KB).
    max_body_bytes: int = 64 * 1024
    # How long a per-conversation lease lasts without renewal: long enough for a slow turn
    # between renewals, short enough that a crashed instance's conversations move on soon.
    lease_s: float = 15.0
    instance: str = ""
    # When people are at the desk, per language (``HANDOFF_HOURS``); unnamed languages 24/7.
    handoff_hours: ServiceHours = field(default_factory=lambda: ServiceHours({}))
    # How often waiting users' places are checked (and left chats dropped, away agents'
    # chats requeued).
    handoff_watch_s: float = 5.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Reads ``GATEWAY_*``, ``REDIS_URL``, ``RASA_*``, ``TELEGRAM_*``, ``WECHAT_*``, ``WEB_*``.

        Raises:
            SettingsError: a required variable is missing or malformed (named in the message).
        """
        env = os.environ if env is None else env

        def need(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise SettingsError(f"{name} is not set")
            return value

        def number(name: str, default: float) -> float:
            try:
                return float(env.get(name) or default)
            except ValueError as error:
                raise SettingsError(f"{name} must be a number") from error

        telegram = None
        if env.get("TELEGRAM_BOT_TOKEN"):
            mode = env.get("TELEGRAM_MODE", "webhook")
            if mode not in ("webhook", "polling"):
                raise SettingsError("TELEGRAM_MODE must be webhook or polling")
            secret = env.get("TELEGRAM_WEBHOOK_SECRET") or None
            if mode == "webhook" and not secret:
                raise SettingsError("TELEGRAM_WEBHOOK_SECRET is not set (needed in webhook mode)")
            telegram = TelegramSettings(
                token=need("TELEGRAM_BOT_TOKEN"), webhook_secret=secret, mode=mode,
                api_url=env.get("TELEGRAM_API_URL") or TelegramSettings.api_url,
                webhook_url=env.get("TELEGRAM_WEBHOOK_URL") or None)
        wechat = None
        if env.get("WECHAT_TOKEN") or env.get("WECHAT_APP_ID"):
            aes_key = env.get("WECHAT_AES_KEY") or None
            if aes_key is not None and len(aes_key) != 43:
                raise SettingsError("WECHAT_AES_KEY must be the 43-character EncodingAESKey")
            wechat = WeChatSettings(
                token=need("WECHAT_TOKEN"), app_id=need("WECHAT_APP_ID"),
                app_secret=need("WECHAT_APP_SECRET"), aes_key=aes_key,
                api_url=env.get("WECHAT_API_URL") or WeChatSettings.api_url)
        try:
            hours = ServiceHours.parse(env.get("HANDOFF_HOURS"))
        except HoursError as error:
            raise SettingsError(str(error)) from None
        rasa_urls = tuple(u.strip().rstrip("/") for u in
                          (env.get("RASA_URLS") or "http://127.0.0.1:5005").split(",") if u.strip())
        return cls(
            redis_url=need("REDIS_URL"), rasa_urls=rasa_urls,
            rasa_token=need("CARDCARE_GATEWAY_TOKEN"),
            host=env.get("GATEWAY_HOST") or cls.host,
            port=int(number("GATEWAY_PORT", cls.port)),
            telegram=telegram, wechat=wechat, web_secret=env.get("WEB_CHAT_SECRET") or None,
            metrics_token=env.get("GATEWAY_METRICS_TOKEN") or None,
            rate_per_minute=int(number("GATEWAY_RATE_PER_MINUTE", cls.rate_per_minute)),
            max_text_chars=int(number("GATEWAY_MAX_TEXT_CHARS", cls.max_text_chars)),
            instance=env.get("GATEWAY_INSTANCE") or "",
            handoff_hours=hours,
        )
