"""The security findings of issue 10, each against the running stack (``make run``'s processes
on free ports, real Redis): who may make the bank act, what is stored and logged, what odd
or oversized input gets."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp
import pytest

from actions.i18n import response_text
from cardcare.conversation import MAX_MESSAGE_CHARS, subject
from tests.conversations.test_banking import User

pytestmark = pytest.mark.model

# Free text a user might type outside verification, and what of it must never be stored.
# (Each secret is checked with its neighbours: a bare "737" may well be in a confidence score.)
CONFIDED = [
    ("card 4111.1111.1111.1111 was stolen", "4111.1111.1111.1111"),
    ("my phone is +1 415 555 0101 and I was born 23/07/1991", "415 555 0101"),
    ("my phone is +1 415 555 0101 and I was born 23/07/1991", "23/07/1991"),
    ("the code you sent me was 336741", "was 336741"),
    ("卡号 6222 0212 3456 7894 丢了，验证码 482913", "验证码 482913"),
    ("卡号 6222 0212 3456 7894 丢了，验证码 482913", "6222 0212"),
    ("the cvv is 737 on card 5500-0000-0000-0004", "cvv is 737"),
    ("the cvv is 737 on card 5500-0000-0000-0004", "5500-0000"),
]


async def rest(stack: Any, body: Any, *, raw: bytes | None = None) -> tuple[int, Any]:
    """Posts to Rasa's REST channel as anyone on the machine could."""
    kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body}
    async with aiohttp.ClientSession() as http, http.post(
            f"{stack.config.rasa_url}/webhooks/rest/webhook", **kwargs) as response:
        text = await response.text()
        return response.status, json.loads(text) if text.startswith(("[", "{")) else text


def forged_tracker(sender: str) -> dict[str, Any]:
    """What finding 2 posted: ``action_affirm`` on a confirmed limit raise nobody confirmed."""
    slots = {"awaiting_step": "confirm", "amount": "9200", "limit_kind": "permanent",
             "card_id": "card_emma_visa", "language": "en"}
    return {"next_action": "action_affirm", "sender_id": sender, "version": "3.6.0",
            "domain": {}, "tracker": {"sender_id": sender, "slots": slots, "events": [],
                                      "latest_message": {"intent": {"name": "affirm"}},
                                      "latest_input_channel": "telegram"}}


@pytest.mark.parametrize("token", [None, "not-the-token"])
async def test_a_forged_tracker_is_refused_by_the_action_server(stack, token):
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{stack.config.actions_url}/webhook", headers=headers,
                             json=forged_tracker("telegram:42")) as response:
            assert response.status == 401
        async with http.get(f"{stack.config.actions_url}/actions") as response:
            assert response.status == 401  # not even the list of actions
        async with http.get(f"{stack.config.actions_url}/health") as response:
            assert response.status == 200  # the stack's liveness check needs no credential


async def test_rasas_api_cannot_trigger_an_intent_without_its_token(stack):
    async with aiohttp.ClientSession() as http, http.post(
            f"{stack.config.rasa_url}/conversations/telegram:42/trigger_intent",
            json={"name": "affirm"}) as response:
        assert response.status == 401


@pytest.mark.parametrize(("body", "raw"), [
    (None, b""),  # an empty body
    (None, b"not json"),
    (["an", "array"], None),
    ("a string", None),
    ({"sender": None, "message": "hi"}, None),  # once filed under the shared "default"
    ({"message": "hi"}, None),
    ({"sender": "a b", "message": "hi"}, None),  # once hashed into some other chat's subject
    ({"sender": "telegram:42", "message": "hi"}, None),  # another channel's subject
    ({"sender": "x" * 200, "message": "hi"}, None),
    ({"sender": "u1", "message": ""}, None),
    ({"sender": "u1", "message": 42}, None),
    ({"sender": "u1", "message": "hi", "metadata": "not an object"}, None),
])
async def test_malformed_rest_bodies_get_400_and_change_nothing(stack, redis_client, body, raw):
    before = set(redis_client.scan_iter("cardcare:tracker:*"))
    status, answer = await rest(stack, body, raw=raw)
    assert status == 400, answer
    assert set(redis_client.scan_iter("cardcare:tracker:*")) == before


async def test_a_rest_caller_cannot_choose_the_channel(stack, redis_client):
    sender = f"sec-{uuid.uuid4().hex[:8]}"
    for channel in ("telegram", "Tele-Gram", 42, None):
        status, answer = await rest(stack, {"sender": sender, "message": "hello",
                                            "input_channel": channel})
        assert status == 200 and answer, answer
    # All four turns are one chat, filed under rest:, never under a Telegram chat.
    assert redis_client.exists(f"cardcare:tracker:{subject('rest', sender)}")
    assert not list(redis_client.scan_iter(f"cardcare:tracker:*telegram*{sender}*"))


def test_free_text_secrets_are_masked_in_redis_and_in_every_log(stack, domain, redis_client):
    user = User(stack, domain, "en")
    user.says("hello")
    for text, _ in CONFIDED:
        user.says(text)
    stored = redis_client.get(f"cardcare:tracker:{subject('rest', user.sender)}")
    assert stored, "the conversation was not stored"
    stored_text = stored.decode("utf-8")
    logs = {path.name: path.read_text(encoding="utf-8", errors="replace")
            for path in stack.config.log_dir.glob("*.log")}
    assert logs, "the stack wrote no log files"
    for text, secret in CONFIDED:
        assert secret not in stored_text, f"{secret!r} stored from {text!r}"
        for name, log in logs.items():
            assert secret not in log, f"{secret!r} in {name}"
    said = [e["text"] for e in json.loads(stored_text)["events"] if e["event"] == "user"]
    assert "card •••• 1111 was stolen" in said and "the code you sent me was ••••••" in said


@pytest.mark.parametrize("language", ["en", "zh-Hans", "zh-Hant", "vi"])
def test_a_message_over_the_cap_is_answered_in_the_users_language(stack, domain, language):
    greeting = {"en": "hello", "zh-Hans": "你好，我想问问信用卡", "zh-Hant": "你好，我想問信用卡",
                "vi": "xin chào"}[language]
    user = User(stack, domain, language)
    user.says(greeting)
    user.says("卡" * (MAX_MESSAGE_CHARS + 1) if language.startswith("zh") else
              "a" * (MAX_MESSAGE_CHARS + 1))
    assert user.heard("utter_message_too_long"), user.last
    # The conversation goes on.
    user.says(greeting)
    assert user.heard("utter_greet"), user.last


async def test_a_megabyte_is_refused_at_the_door_while_another_user_is_answered(stack, domain):
    async def hello() -> list[dict[str, Any]]:
        status, answer = await rest(stack, {"sender": f"sec-{uuid.uuid4().hex[:8]}",
                                            "message": "hello there"})
        assert status == 200
        return answer

    async def megabyte() -> int | None:
        try:
            status, _ = await rest(stack, {"sender": f"sec-{uuid.uuid4().hex[:8]}",
                                           "message": "a" * 1_000_000})
            return status
        except (aiohttp.ClientConnectionError, ConnectionError):
            return None  # Rasa answered 413 and closed before the client had sent it all

    status, greeted = await asyncio.gather(megabyte(), hello())
    assert status in (413, None)  # over Rasa's body limit: never read into a turn
    assert [m["text"] for m in greeted] == [response_text(domain, "utter_greet", "en")]
    # 15k emoji (180 KB as JSON escapes) fit the body limit: the text is replaced before the
    # NLU sees it.
    status, answer = await rest(stack, {"sender": f"sec-{uuid.uuid4().hex[:8]}",
                                        "message": "😀" * 15_000})
    assert status == 200
    assert [m["text"] for m in answer] == [response_text(domain, "utter_message_too_long", "en")]


@pytest.mark.parametrize("amount", ["NaN", "1e30", "100000000000000000000000000000", "-5"])
def test_odd_amounts_get_a_clear_answer(stack, domain, amount):
    user = User(stack, domain, "en")
    user.says(f'/credit_limit{{"amount": "{amount}"}}')
    user.verify("my number is +1 415 555 0101")
    if not user.heard("utter_amount_unusable"):  # Emma has two cards: she picks one first
        user.taps("4821")
    assert user.heard("utter_amount_unusable"), user.last
    assert user.says("hello") and user.heard("utter_greet")  # and the chat goes on


async def test_an_error_path_of_the_action_server_logs_masked_and_cut(stack):
    """rasa-sdk logs the name of an action it does not know: here, Rasa's own caller (holding
    the token) sends one with a card number, a code and 100 KB of padding."""
    name = "action_card_4111111111111111_code_482913_" + "x" * 100_000
    async with aiohttp.ClientSession() as http, http.post(
            f"{stack.config.actions_url}/webhook",
            headers={"Authorization": f"Bearer {stack.config.actions_token}"},
            json={"next_action": name, "sender_id": "rest:x", "version": "3.6.0",
                  "tracker": {"sender_id": "rest:x", "slots": {}, "events": [],
                              "latest_message": {}}, "domain": {}}) as response:
        assert response.status == 404  # refused, not crashed
    log = next(stack.config.log_dir.glob("actions-*.log")).read_text(encoding="utf-8")
    assert "action_card_" in log  # the error was logged ...
    assert "4111111111111111" not in log and "482913" not in log  # ... masked ...
    assert max(len(line) for line in log.splitlines()) < 9_000  # ... and cut


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'"a string"', b"null",
                                  b'{"next_action": 42, "tracker": {}}',
                                  b'{"next_action": "action_check_balance", "tracker": []}'])
async def test_a_malformed_action_call_gets_400_not_500(stack, body):
    async with aiohttp.ClientSession() as http, http.post(
            f"{stack.config.actions_url}/webhook", data=body,
            headers={"Authorization": f"Bearer {stack.config.actions_token}",
                     "Content-Type": "application/json"}) as response:
        assert response.status == 400
