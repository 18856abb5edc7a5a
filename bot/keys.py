"""Every Redis key and channel the gateway uses, defined once.

All start with ``cardcare:gw:`` so that they never meet Rasa's (``cardcare:tracker:``,
``cardcare:lock:``) or the action server's (``cardcare:bank-session:``) on a shared Redis.
"""

from __future__ import annotations

PREFIX = "cardcare:gw:"


def dedup(channel: str, message_id: str) -> str:
    """Set once per delivery: a retry of the same delivery finds it."""
    return f"{PREFIX}dedup:{channel}:{message_id}"


def inbox(subject: str) -> str:
    """The conversation's messages not yet handled, oldest first."""
    return f"{PREFIX}inbox:{subject}"


def doing(subject: str) -> str:
    """The message being handled (kept until done, so a crash does not lose it)."""
    return f"{PREFIX}doing:{subject}"


def lease(subject: str) -> str:
    """Held by the one worker that handles the conversation's messages right now."""
    return f"{PREFIX}lease:{subject}"


def attempts(subject: str, message_id: str) -> str:
    """How often a message was taken up again after a worker died with it."""
    return f"{PREFIX}attempts:{subject}:{message_id}"


# Conversations with messages waiting, scored by the oldest one's arrival.
PENDING = f"{PREFIX}pending"


def choices(subject: str) -> str:
    """The question the bot asked last with choices, and those choices."""
    return f"{PREFIX}choices:{subject}"


def tokens(subject: str) -> str:
    """Button tokens of the conversation → what they stand for (a hash)."""
    return f"{PREFIX}tokens:{subject}"


def language(subject: str) -> str:
    """The language Rasa last answered the conversation in."""
    return f"{PREFIX}language:{subject}"


def rate(subject: str, window: int) -> str:
    """Messages of the conversation in one rate-limit window."""
    return f"{PREFIX}rate:{subject}:{window}"


def passive_result(channel: str, message_id: str) -> str:
    """The answer to a message whose request may still be waiting to reply with it."""
    return f"{PREFIX}result:{channel}:{message_id}"


def passive_claim(channel: str, message_id: str) -> str:
    """Who delivers that answer: the waiting request ("passive") or a later push ("push")."""
    return f"{PREFIX}claim:{channel}:{message_id}"


def instance_events(instance: str) -> str:
    """Pub/sub channel of one gateway instance: answers its waiting requests are waiting for."""
    return f"{PREFIX}events:{instance}"


def web_events(user_id: str) -> str:
    """Pub/sub channel of one web chat user: whichever instance holds their socket listens."""
    return f"{PREFIX}web:{user_id}"


def history(subject: str) -> str:
    """The web chat's recent messages, shown again when the page reloads."""
    return f"{PREFIX}history:{subject}"


def secret_answer(subject: str) -> str:
    """Set while the bot waits for a verification answer: the user's next message is kept
    masked whole in the history."""
    return f"{PREFIX}secret-answer:{subject}"


# Deliveries that failed for good (a Redis stream of ids and reasons, never texts).
FAILED_DELIVERIES = f"{PREFIX}failed-deliveries"


def wechat_token(app_id: str) -> str:
    """The official account's access token, shared by every instance."""
    return f"{PREFIX}wechat:access-token:{app_id}"


def wechat_token_lock(app_id: str) -> str:
    """Held by the one instance fetching a new access token."""
    return f"{PREFIX}wechat:access-token-lock:{app_id}"


def wechat_quota(openid: str) -> str:
    """Customer-service messages still allowed to a user since their last message."""
    return f"{PREFIX}wechat:quota:{openid}"


def wechat_language(openid: str) -> str:
    """The user's WeChat language (from the user-info API), cached."""
    return f"{PREFIX}wechat:language:{openid}"
