"""Rasa's input channel for the gateway (``bot/``): REST with a credential, and no other caller.

Rasa's own ``rest`` channel takes the channel name and sender from whoever posts to it, and
Rasa's ``--auth-token`` does not cover channel webhooks.  The gateway is the only process that
may speak for Telegram, WeChat and web chat users, so this channel:

* refuses a request without the gateway's bearer token (compared in constant time);
* accepts only a sender that is the subject of the named channel (``telegram:42`` with
  ``input_channel: telegram``), so a caller cannot file a message under another chat;
* passes the channel's message id on, so the actions' idempotency keys are stable;
* answers each bot message whole (not split at blank lines) with the language it was written
  in (``cardcare.nlg``), which the gateway needs for its own texts;
* answers 500 when the turn failed, instead of Rasa's REST channel's empty 200, so the
  gateway can tell "nothing to say" from "broken" and apologise.

Configured in ``credentials.yml`` as ``cardcare.gateway_input.GatewayInput`` with ``token``.

``LocalRestInput`` is Rasa's REST channel for trying CardCare from a terminal (`make chat`,
the tests), kept from borrowing a gateway chat: its messages are always of channel ``rest``
and its senders are filed under ``rest:``, so ``{"sender": "telegram:42", "input_channel":
"telegram"}`` reaches neither that Telegram chat's conversation nor its verified session.
It answers 400 to a body Rasa's channel would crash on or misfile (not a JSON object, no
text, a sender no channel issues).

Both channels hand Rasa a text longer than ``MAX_MESSAGE_CHARS`` as the intent
``message_too_long``: the user is asked to split it, and the NLU never runs on megabytes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from cardcare.bearer import bearer_matches
from cardcare.conversation import (
    ASKS_SECRET_KEY,
    CHANNELS,
    MAX_MESSAGE_CHARS,
    MESSAGE_TOO_LONG_INTENT,
    SubjectError,
    is_user_id,
    parse_subject,
)

log = structlog.get_logger(__name__)
# The gateway's channels; ``rest`` stays Rasa's own.
GATEWAY_CHANNELS = tuple(c for c in CHANNELS if c != "rest")
REST_PREFIX = "rest:"


def capped(text: str) -> str:
    """``text``, or the too-long intent when it is over the cap."""
    return f"/{MESSAGE_TOO_LONG_INTENT}" if len(text) > MAX_MESSAGE_CHARS else text


class TaggedCollector(CollectingOutputChannel):
    """Collects bot messages whole, each with the ``language`` its response was written in."""

    @classmethod
    def name(cls) -> str:
        """Rasa's name for this output channel (``channel:`` variations are not used)."""
        return "gateway"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Collects ``message``, keeping the tags ``cardcare.nlg`` added (Rasa's collector
        keeps only the keys it knows)."""
        language = message.pop("language", None)
        asks_secret = bool(message.pop(ASKS_SECRET_KEY, False))
        before = len(self.messages)
        await super().send_response(recipient_id, message)
        for collected in self.messages[before:]:
            collected["language"] = language
            if asks_secret:
                collected[ASKS_SECRET_KEY] = True

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """One message per response: the channel adapters split only where they must."""
        await self._persist_message(self._message(recipient_id, text=text))


class GatewayInput(InputChannel):
    """``POST /webhooks/gateway/webhook`` for the gateway, with a bearer token."""

    def __init__(self, token: str) -> None:
        if not token or token.startswith("${"):
            raise ValueError("GatewayInput needs a token: set CARDCARE_GATEWAY_TOKEN")
        self.token = token

    @classmethod
    def name(cls) -> str:
        """Also the URL prefix: ``/webhooks/gateway/``."""
        return "gateway"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GatewayInput:
        """Reads ``token`` from credentials.yml (which reads it from the environment)."""
        return cls(str((credentials or {}).get("token") or ""))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The webhook; the health route answers without the token (it tells nothing)."""
        hook = Blueprint("gateway_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not bearer_matches(request.headers.get("Authorization"), self.token):
                return response.json({"error": "unauthorised"}, status=401)
            body = request.json if isinstance(request.json, dict) else None
            problem = _problem(body)
            if problem:
                return response.json({"error": problem}, status=400)
            assert body is not None
            collector = TaggedCollector()
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            message_id = body.get("message_id")
            try:
                await on_new_message(UserMessage(
                    capped(body["message"]), collector, body["sender"],
                    input_channel=body["input_channel"],
                    message_id=message_id if isinstance(message_id, str) else None,
                    metadata=metadata))
            except Exception as error:  # the turn failed; the gateway apologises
                log.error("gateway.turn.failed", error_type=type(error).__name__)
                return response.json({"error": "turn failed", "messages": collector.messages},
                                     status=500)
            return response.json(collector.messages)

        return hook


def _message_problem(body: Any) -> str | None:
    """What is wrong with the part both channels share: a JSON object with a text."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not isinstance(body.get("message"), str) or not body["message"].strip():
        return "message must be a non-empty string"
    return None


def _problem(body: dict[str, Any] | None) -> str | None:
    """What is wrong with a webhook body, or None."""
    if problem := _message_problem(body):
        return problem
    assert body is not None
    channel, sender = body.get("input_channel"), body.get("sender")
    if channel not in GATEWAY_CHANNELS or not isinstance(sender, str):
        return f"input_channel must be one of {', '.join(GATEWAY_CHANNELS)}, with a sender"
    try:
        if parse_subject(sender)[0] != channel:
            return "sender must be a subject of input_channel"
    except SubjectError:
        return "sender must be a subject: <channel>:<user id>"
    return None


def _rest_problem(body: Any) -> str | None:
    """What is wrong with a REST channel body, or None."""
    if problem := _message_problem(body):
        return problem
    sender = body.get("sender")
    if not isinstance(sender, str) or not is_user_id(sender.removeprefix(REST_PREFIX)):
        return "sender must be 1-128 characters of A-Z a-z 0-9 _ . @ -"
    if "metadata" in body and not isinstance(body["metadata"], (dict, type(None))):
        return "metadata must be a JSON object"
    return None


class LocalRestInput(RestInput):
    """Rasa's REST channel (still ``/webhooks/rest/webhook``), confined to channel ``rest``."""

    @classmethod
    def name(cls) -> str:
        """The same name, URL and output as Rasa's REST channel."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's routes, behind a check of the body (Rasa's own would answer 500 or misfile)."""
        hook = super().blueprint(on_new_message)

        @hook.on_request
        async def check_body(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            try:
                body = request.json
            except Exception:  # Sanic's own error for a body that is not JSON at all
                body = None
            problem = _rest_problem(body)
            return response.json({"error": problem}, status=400) if problem else None

        return hook

    async def _extract_sender(self, req: Request) -> str | None:
        sender = str(req.json["sender"])  # checked by ``check_body``
        # The tracker key, too, lives in the rest: namespace, apart from every gateway chat.
        return sender if sender.startswith(REST_PREFIX) else f"{REST_PREFIX}{sender}"

    def _extract_message(self, req: Request) -> str:
        return capped(str(req.json["message"]))

    def _extract_input_channel(self, req: Request) -> str:
        return "rest"
