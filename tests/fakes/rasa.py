"""A stand-in for Rasa's gateway channel (``cardcare.gateway_input``), for gateway tests.

The gateway's ordering, dedup, routing and rendering are what those tests check, so Rasa is
replaced by a loopback server that speaks the same contract (bearer token, body, reply
shape), records every turn with its start and end, and answers predictably:

* ``slow <seconds> ...``: answers after that long;
* ``buttons``: a question with three choices (payloads ``/pick{"n":"1"}`` ...);
* ``yesno``: a yes/no question (``/affirm`` and ``/deny``);
* ``secret``: asks for a verification code (tagged ``asks_secret``, as ``cardcare.nlg`` does);
* ``fail``: answers 500, as Rasa does when a turn failed;
* ``silent``: answers nothing (Rasa's empty list);
* ``long <lines>``: that many lines of 100 characters;
* ``handoff <reason>``: hands over to a person as the action server does (a text, then the
  escalation as a custom message: ``cardcare.escalation``), with a masked transcript;
* ``speak <language>``: answers in that language, as Rasa does when a message tells it;
* anything else: ``echo: <text>`` in the language of the hint, or ``en``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from cardcare.escalation import HANDOFF_KEY, Escalation, Reason, Summary
from cardcare.escalation import Turn as Turn_

TOKEN = "gateway-test-token"


@dataclass
class Turn:
    """One turn as the fake saw it."""

    sender: str
    channel: str
    text: str
    message_id: str | None
    metadata: dict[str, Any]
    started: float
    ended: float = 0.0


@dataclass
class FakeRasa:
    """``async with FakeRasa() as rasa``: ``rasa.url`` serves the gateway webhook."""

    token: str = TOKEN
    turns: list[Turn] = field(default_factory=list)
    overlaps: list[str] = field(default_factory=list)
    _busy: set[str] = field(default_factory=set)
    _runner: web.AppRunner | None = None
    url: str = ""

    async def __aenter__(self) -> FakeRasa:
        app = web.Application()
        app.router.add_post("/webhooks/gateway/webhook", self._turn)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    def texts(self, sender: str) -> list[str]:
        """What reached Rasa for one conversation, in order of arrival."""
        return [t.text for t in self.turns if t.sender == sender]

    async def _turn(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "unauthorised"}, status=401)
        body = await request.json()
        turn = Turn(body["sender"], body["input_channel"], body["message"],
                    body.get("message_id"), body.get("metadata") or {}, time.monotonic())
        self.turns.append(turn)
        if turn.sender in self._busy:
            self.overlaps.append(turn.sender)  # the gateway let two turns of a chat overlap
        self._busy.add(turn.sender)
        try:
            return await self._answer(turn)
        finally:
            self._busy.discard(turn.sender)
            turn.ended = time.monotonic()

    async def _answer(self, turn: Turn) -> web.Response:
        language = turn.metadata.get("language_hint") or "en"
        words = turn.text.split()
        if words[:1] == ["speak"]:
            language = words[1]
        if words[:1] == ["slow"]:
            await asyncio.sleep(float(words[1]))
        if turn.text == "silent":
            return web.json_response([])
        if turn.text == "fail":
            return web.json_response({"error": "turn failed"}, status=500)
        if words[:1] == ["long"]:
            text = "\n".join(f"{n:04d} " + "x" * 95 for n in range(int(words[1])))
            return web.json_response([{"recipient_id": turn.sender, "language": language,
                                       "text": text}])
        if turn.text == "buttons":
            return web.json_response([{"recipient_id": turn.sender, "language": language,
                                       "text": "Which plan?", "buttons": [
                {"title": f"{n} months", "payload": f'/pick{{"n":"{n}"}}'}
                for n in (3, 6, 12)]}])
        if turn.text == "secret":
            return web.json_response([{"recipient_id": turn.sender, "language": language,
                                       "text": "Your code?", "asks_secret": True}])
        if words[:1] == ["handoff"]:
            escalation = Escalation(Reason(words[1]), Summary(
                language, verified=True, intents=("report_fraud",),
                entities={"card_last4": "4821"}, facts=("Card ending 4821 blocked",)),
                (Turn_("user", "my card was stolen", time.time() - 60),
                 Turn_("bot", "The card ending 4821 is blocked.", time.time() - 59)))
            return web.json_response([
                {"recipient_id": turn.sender, "language": language,
                 "text": "I'm passing you to a colleague."},
                {"recipient_id": turn.sender, "language": language,
                 "custom": {HANDOFF_KEY: escalation.to_dict()}}])
        if turn.text == "yesno":
            return web.json_response([{"recipient_id": turn.sender, "language": language,
                                       "text": "Block it?", "buttons": [
                {"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]}])
        return web.json_response([{"recipient_id": turn.sender, "language": language,
                                   "text": f"echo: {turn.text}"}])
