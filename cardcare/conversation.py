"""Names every CardCare process agrees on: chat subjects, languages, verification slots, masks.

The gateway (``bot/``), Rasa's tracker store and the action server (``actions/``) each run in
their own process and must spell these the same way, so they are defined here once.  This
module imports nothing but the standard library: every process can load it.
"""

from __future__ import annotations

import re
from typing import Final

# The channels a chat can come from.  ``rest`` is Rasa's own REST channel (`make chat`, tests).
CHANNELS: Final = ("telegram", "wechat", "web", "rest")

# The languages CardCare answers in, as the ``language`` slot spells them.
LANGUAGES: Final = ("en", "zh-Hans", "zh-Hant", "vi")
DEFAULT_LANGUAGE: Final = "en"
# Message metadata key under which a channel passes the user's language setting (one of
# LANGUAGES), used only where a message itself does not tell the language.
LANGUAGE_HINT_KEY: Final = "language_hint"

# Verification: the form, and the slots whose answers are secrets (phone, birth date, code).
VERIFY_FORM: Final = "verify_form"
IDENTITY_DETAILS_SLOT: Final = "identity_details"
OTP_CODE_SLOT: Final = "otp_code"
VERIFICATION_SLOTS: Final = frozenset({IDENTITY_DETAILS_SLOT, OTP_CODE_SLOT})
# What the tracker store archived out of a long session, digested for a handoff
# (``cardcare.escalation.Digest``): the store writes it, the action server reads it.
EARLIER_SLOT: Final = "earlier"

# The longest message a turn takes.  Longer ones are not understood but answered "please
# split it" (the gateway says so itself; Rasa's channels replace the text with this intent so
# a direct caller gets the same answer and the NLU never runs on megabytes).
MAX_MESSAGE_CHARS: Final = 2000
MESSAGE_TOO_LONG_INTENT: Final = "message_too_long"

# Set (true) on a bot message that asks for a verification answer, so that whatever keeps the
# user's next message outside Rasa (the web chat's history) keeps it masked whole.
ASKS_SECRET_KEY: Final = "asks_secret"

# What stands in for a secret wherever one would have been stored or shown.
MASK_CHAR: Final = "•"
MASK: Final = MASK_CHAR * 6

# A user id as channels issue them: Telegram's numeric ids, WeChat's openids, web chat ids.
_USER_ID = re.compile(r"[A-Za-z0-9_.@-]{1,128}")


class SubjectError(ValueError):
    """A channel or user id that cannot name a chat."""


def is_user_id(value: str) -> bool:
    """Whether ``value`` is shaped like a user id some channel issues (what ``subject`` takes)."""
    return _USER_ID.fullmatch(value) is not None


def subject(channel: str, user_id: str | int) -> str:
    """The identity of one chat, ``<channel>:<user id>``: the Rasa sender and the bank's subject.

    Raises:
        SubjectError: the channel is unknown or the user id has characters no channel uses
            (so two different chats can never map to one subject).
    """
    user = str(user_id)
    if channel not in CHANNELS:
        raise SubjectError(f"unknown channel {channel!r}")
    if not is_user_id(user):
        raise SubjectError("a user id is 1-128 characters of A-Z a-z 0-9 _ . @ -")
    return f"{channel}:{user}"


def parse_subject(value: str) -> tuple[str, str]:
    """``"telegram:42"`` → ``("telegram", "42")``.

    Raises:
        SubjectError: ``value`` is not a subject as ``subject`` writes it.
    """
    channel, sep, user = value.partition(":")
    if not sep:
        raise SubjectError(f"not a subject: {value!r}")
    return channel, subject(channel, user).partition(":")[2]
