"""A terminal conversation with the running stack, through Rasa's REST channel.

Buttons are shown numbered; typing the number sends the button's payload, as a tap would.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any


def send(rasa_url: str, sender: str, text: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Sends one user message and returns the bot's messages.

    Raises:
        ConnectionError: the Rasa server is not reachable.
    """
    body = json.dumps({"sender": sender, "message": text}).encode("utf-8")
    request = urllib.request.Request(
        f"{rasa_url}/webhooks/rest/webhook", data=body,
        headers={"Content-Type": "application/json"}, method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return list(json.loads(response.read().decode("utf-8")))
    except (urllib.error.URLError, OSError) as error:
        raise ConnectionError(f"Cannot reach Rasa at {rasa_url}: {error}") from error


def render(messages: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """Formats bot messages for a terminal; returns the text and the button payloads."""
    lines: list[str] = []
    payloads: list[str] = []
    for message in messages:
        if message.get("text"):
            lines.append(f"CardCare: {message['text']}")
        for button in message.get("buttons") or []:
            payloads.append(str(button.get("payload", "")))
            lines.append(f"   [{len(payloads)}] {button.get('title')}")
    return "\n".join(lines), payloads


def run(rasa_url: str) -> int:
    """Reads lines from the terminal until EOF or /quit."""
    sender = f"chat-{uuid.uuid4().hex[:8]}"
    print(f"Talking to CardCare at {rasa_url} as {sender}. Type /quit to leave, /language "
          "to change language. Write in English, 中文, 粵語 or tiếng Việt.")
    payloads: list[str] = []
    while True:
        try:
            text = input("You: ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not text:
            continue
        if text in ("/quit", "/exit"):
            return 0
        if text.isdigit() and 1 <= int(text) <= len(payloads):
            text = payloads[int(text) - 1]
        try:
            output, payloads = render(send(rasa_url, sender, text))
        except ConnectionError as error:
            print(f"{error}\nIs the stack running? Start it with `make run` in another terminal.")
            return 1
        print(output or "CardCare: (no answer)")
