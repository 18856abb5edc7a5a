"""Builders of Telegram updates, shaped exactly as the Bot API delivers them (webhook, getUpdates).

Each returns a fresh JSON-ready dict with its ``update_id``. The sender is a private-chat user
whose user id equals ``chat_id``, as in a one-to-one chat with the bot. File ids are made up
but stable, so a test can compare them.
"""

from __future__ import annotations

import time
from typing import Any

BOT_USER: dict[str, Any] = {
    "id": 123456, "is_bot": True, "first_name": "CardCare Test", "username": "cardcare_test_bot",
    "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False,
}


def user(chat_id: int, *, language_code: str = "en", first_name: str = "Test") -> dict[str, Any]:
    """The ``from`` of a private chat's messages: a human whose id is the chat's."""
    return {"id": chat_id, "is_bot": False, "first_name": first_name,
            "language_code": language_code}


def chat(chat_id: int | str, *, first_name: str = "Test") -> dict[str, Any]:
    """The ``chat`` object: private for a positive id, a supergroup or channel otherwise."""
    if isinstance(chat_id, str):
        # "@name" addresses a public channel; Telegram answers with its numeric id.
        return {"id": -1001000000001, "type": "channel", "title": chat_id.lstrip("@"),
                "username": chat_id.lstrip("@")}
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": "Test group"}
    return {"id": chat_id, "type": "private", "first_name": first_name}


def _message(update_id: int, chat_id: int, *, language_code: str, first_name: str,
             message_id: int | None = None, **content: Any) -> dict[str, Any]:
    return {
        "message_id": update_id if message_id is None else message_id,
        "from": user(chat_id, language_code=language_code, first_name=first_name),
        "chat": chat(chat_id, first_name=first_name),
        "date": int(time.time()),
        **content,
    }


def _text(text: str) -> dict[str, Any]:
    """``text`` plus the ``bot_command`` entity Telegram adds for a leading ``/command``."""
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split()[0] if text.split() else text
        content["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    return content


def text_update(update_id: int, chat_id: int, text: str, language_code: str = "en",
                first_name: str = "Test", *, message_id: int | None = None) -> dict[str, Any]:
    """A user's text message (``message_id`` defaults to ``update_id``)."""
    return {"update_id": update_id,
            "message": _message(update_id, chat_id, language_code=language_code,
                                first_name=first_name, message_id=message_id, **_text(text))}


def edited_text_update(update_id: int, chat_id: int, text: str, language_code: str = "en",
                       first_name: str = "Test", *, message_id: int = 1) -> dict[str, Any]:
    """The user edited their earlier message ``message_id`` to ``text``."""
    message = _message(update_id, chat_id, language_code=language_code, first_name=first_name,
                       message_id=message_id, **_text(text))
    message["edit_date"] = message["date"]
    return {"update_id": update_id, "edited_message": message}


def callback_update(update_id: int, chat_id: int, data: str, message_id: int = 1,
                    language_code: str = "en", *, message_text: str = "Choose:",
                    first_name: str = "Test") -> dict[str, Any]:
    """The user pressed an inline button with ``data`` under the bot's message ``message_id``."""
    bot_message = {"message_id": message_id, "from": BOT_USER,
                   "chat": chat(chat_id, first_name=first_name), "date": int(time.time()),
                   "text": message_text}
    return {"update_id": update_id, "callback_query": {
        "id": f"{chat_id}{update_id:08d}",
        "from": user(chat_id, language_code=language_code, first_name=first_name),
        "message": bot_message,
        # Telegram's opaque per-chat token; PTB requires it.
        "chat_instance": f"ci{abs(chat_id)}",
        "data": data,
    }}


def _file(kind: str, update_id: int) -> dict[str, str]:
    return {"file_id": f"{kind}-{update_id}", "file_unique_id": f"u{kind}{update_id}"}


def photo_update(update_id: int, chat_id: int, caption: str | None = None,
                 language_code: str = "en") -> dict[str, Any]:
    """A photo; Telegram sends one PhotoSize per resolution, smallest first."""
    sizes = [{**_file(f"photo{side}", update_id), "width": side, "height": side,
              "file_size": side * 40} for side in (90, 320, 800)]
    content: dict[str, Any] = {"photo": sizes}
    if caption is not None:
        content["caption"] = caption
    return {"update_id": update_id, "message": _message(
        update_id, chat_id, language_code=language_code, first_name="Test", **content)}


def voice_update(update_id: int, chat_id: int, duration: int = 3,
                 language_code: str = "en") -> dict[str, Any]:
    """A voice note (OGG/Opus, as Telegram records them)."""
    voice = {**_file("voice", update_id), "duration": duration, "mime_type": "audio/ogg",
             "file_size": duration * 4000}
    return {"update_id": update_id, "message": _message(
        update_id, chat_id, language_code=language_code, first_name="Test", voice=voice)}


def sticker_update(update_id: int, chat_id: int, emoji: str = "👍",
                   language_code: str = "en") -> dict[str, Any]:
    """A static sticker."""
    sticker = {**_file("sticker", update_id), "type": "regular", "width": 512, "height": 512,
               "is_animated": False, "is_video": False, "emoji": emoji, "file_size": 20000}
    return {"update_id": update_id, "message": _message(
        update_id, chat_id, language_code=language_code, first_name="Test", sticker=sticker)}


def document_update(update_id: int, chat_id: int, file_name: str = "statement.pdf",
                    mime_type: str = "application/pdf",
                    language_code: str = "en") -> dict[str, Any]:
    """A file sent as a document."""
    document = {**_file("document", update_id), "file_name": file_name, "mime_type": mime_type,
                "file_size": 52000}
    return {"update_id": update_id, "message": _message(
        update_id, chat_id, language_code=language_code, first_name="Test", document=document)}


def location_update(update_id: int, chat_id: int, latitude: float = 10.7769,
                    longitude: float = 106.7009, language_code: str = "en") -> dict[str, Any]:
    """A shared location (default: Ho Chi Minh City)."""
    location = {"latitude": latitude, "longitude": longitude}
    return {"update_id": update_id, "message": _message(
        update_id, chat_id, language_code=language_code, first_name="Test", location=location)}
