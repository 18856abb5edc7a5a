"""How the fake Bot API reads a request and words an error: the wire format, not the methods."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

MAX_CALLBACK_DATA_BYTES = 64    # InlineKeyboardButtonLimit.MAX_CALLBACK_DATA, in bytes

# Parameters whose value is free text: PTB sends a string parameter raw and everything else as
# JSON, so "42" as a text must stay a string while "42" as a chat_id is the number 42.
TEXT_PARAMS = frozenset({
    "text", "caption", "callback_query_id", "url", "secret_token", "parse_mode", "action",
    "ip_address", "inline_message_id", "business_connection_id", "message_effect_id",
})


class ApiError(Exception):
    """An error answer: raised by a method, rendered by the request handler."""

    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


def decode(name: str, value: Any) -> Any:
    """A parameter's value as the Bot API reads it: JSON unless it is free text."""
    if not isinstance(value, str) or name in TEXT_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value            # "@channel" as chat_id, or any plain string


async def read_params(request: web.Request) -> dict[str, Any]:
    """The parameters of a call, from its query string and its form, multipart or JSON body.

    An uploaded file is recorded as its name, type and size.
    """
    raw: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        raw.update(await request.json() if request.can_read_body else {})
    else:
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                with value.file:    # aiohttp spools uploads to a temporary file left open
                    size = len(value.file.read())
                value = {"filename": value.filename, "content_type": value.content_type,
                         "size": size}
            raw[name] = value
    return {name: decode(name, value) for name, value in raw.items()}


def required(params: dict[str, Any], name: str) -> Any:
    """``params[name]``, or the 400 Telegram answers when it is missing."""
    value = params.get(name)
    if value is None or value == "":
        raise ApiError(400, f"Bad Request: {name} is empty")
    return value


def chat_key(chat_id: Any) -> int | str:
    """Chats are keyed as Telegram reads ``chat_id``: a number, or an ``@username``."""
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return str(chat_id)


def keyboard(markup: Any) -> dict[str, Any] | None:
    """The reply_markup to store: ``None`` removes it, as an empty inline keyboard does."""
    if not markup or markup == {"inline_keyboard": []}:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup
