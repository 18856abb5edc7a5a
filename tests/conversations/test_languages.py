"""End-to-end: every intent in every language over Rasa's REST channel, with the real action
server; the reply must be the expected response in the user's language and script."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from actions.i18n import response_text
from cardcare.conversation import LANGUAGE_HINT_KEY, LANGUAGES, subject
from cardcare.dev.chat import send
from tests.conversations.scripts import EXPECTED_RESPONSES, MESSAGES, VERIFY_FIRST

pytestmark = pytest.mark.model


def texts(stack: Any, sender: str, message: str) -> list[str]:
    return [m["text"] for m in send(stack.config.rasa_url, sender, message) if m.get("text")]


def expected(domain: dict, responses: str | tuple[str, ...], language: str) -> list[str]:
    # The REST channel splits a text on blank lines into several messages.
    names = (responses,) if isinstance(responses, str) else responses
    return [part for name in names
            for part in response_text(domain, name, language).split("\n\n") if part]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("intent", sorted(EXPECTED_RESPONSES))
def test_each_intent_is_answered_in_the_users_language(stack, domain, language, intent):
    sender = f"e2e-{language}-{intent}-{uuid.uuid4().hex[:6]}"
    if intent in ("affirm", "deny"):
        # "yes"/"no" answer something: the conversation has started in its language.
        texts(stack, sender, MESSAGES[language]["greet"])
    reply = texts(stack, sender, MESSAGES[language][intent])
    assert reply == expected(domain, EXPECTED_RESPONSES[intent], language)


@pytest.mark.parametrize(
    ("first", "first_reply", "then", "then_reply", "language"),
    [
        ("xin chào bạn", "utter_greet", "ok", "utter_anything_else", "vi"),
        # Shared characters keep a Traditional conversation Traditional...
        ("唔該晒你嘅幫忙", "utter_you_are_welcome", "你好", "utter_greet", "zh-Hant"),
        # ...and a word of Latin script keeps a Chinese one Chinese.
        ("唔該晒你嘅幫忙", "utter_you_are_welcome", "ok", "utter_anything_else", "zh-Hant"),
    ],
)
def test_language_sticks_when_a_message_does_not_tell(
    stack, domain, first, first_reply, then, then_reply, language
):
    sender = f"e2e-sticky-{uuid.uuid4().hex[:6]}"
    assert texts(stack, sender, first) == expected(domain, first_reply, language)
    assert texts(stack, sender, then) == expected(domain, then_reply, language)


def test_chinese_in_shared_characters_turns_an_english_conversation_chinese(stack, domain):
    sender = f"e2e-to-zh-{uuid.uuid4().hex[:6]}"
    assert texts(stack, sender, "hello there") == expected(domain, "utter_greet", "en")
    assert texts(stack, sender, "你好") in (expected(domain, "utter_greet", "zh-Hans"),
                                          expected(domain, "utter_greet", "zh-Hant"))


def test_the_reply_language_follows_the_message(stack, domain):
    sender = f"e2e-follow-{uuid.uuid4().hex[:6]}"
    assert texts(stack, sender, "hello there") == expected(domain, "utter_greet", "en")
    assert texts(stack, sender, "我的信用卡丢了") == expected(domain, VERIFY_FIRST, "zh-Hans")


def test_switching_language_explicitly(stack, domain):
    sender = f"e2e-switch-{uuid.uuid4().hex[:6]}"
    assert texts(stack, sender, "我想问一下") != []
    assert texts(stack, sender, "can you speak Vietnamese") == expected(
        domain, "utter_language_changed", "vi")
    assert texts(stack, sender, "ok") == expected(domain, "utter_anything_else", "vi")


def test_language_command_offers_the_four_languages(stack):
    sender = f"e2e-cmd-{uuid.uuid4().hex[:6]}"
    send(stack.config.rasa_url, sender, "xin chào")
    [message] = send(stack.config.rasa_url, sender, "/language")
    titles = [b["title"] for b in message["buttons"]]
    assert titles == ["English", "简体中文", "繁體中文", "Tiếng Việt"]
    reply = texts(stack, sender, message["buttons"][2]["payload"])
    assert reply == ["好的，接下來我會用繁體中文回覆您。"] or reply[0].startswith("好的")


def test_a_channel_language_hint_settles_an_ambiguous_first_message(stack, domain):
    import json
    import urllib.request

    sender = f"e2e-hint-{uuid.uuid4().hex[:6]}"
    body = json.dumps({"sender": sender, "message": "你好",
                       "metadata": {LANGUAGE_HINT_KEY: "zh-Hant"}})
    request = urllib.request.Request(f"{stack.config.rasa_url}/webhooks/rest/webhook",
                                     data=body.encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        reply = [m["text"] for m in json.loads(response.read()) if m.get("text")]
    assert reply == expected(domain, "utter_greet", "zh-Hant")


def test_two_misunderstandings_in_a_row_offer_a_person(stack, domain):
    # "/nlu_fallback" is what NLU yields for a message it cannot classify (Rasa's
    # FallbackClassifier); sending it directly makes the dialogue part deterministic.
    sender = f"e2e-fallback-{uuid.uuid4().hex[:6]}"
    texts(stack, sender, "xin chào bạn")
    first = send(stack.config.rasa_url, sender, "/nlu_fallback")
    second = send(stack.config.rasa_url, sender, "/nlu_fallback")
    assert [m["text"] for m in first] == [response_text(domain, "utter_rephrase", "vi")]
    assert second[0]["text"] == response_text(domain, "utter_offer_human", "vi")
    assert [b["payload"] for b in second[0]["buttons"]] == ["/human_agent", "/deny"]


def test_conversations_are_stored_in_redis(stack, redis_client):
    sender = f"e2e-redis-{uuid.uuid4().hex[:6]}"
    send(stack.config.rasa_url, sender, "xin chào bạn")
    keys = [k.decode() for k in redis_client.keys(f"*{sender}*")]
    # Rasa's REST channel files its senders under rest:, apart from the gateway's chats.
    assert keys == [f"cardcare:tracker:{subject('rest', sender)}"]
    assert b'"language"' in redis_client.get(keys[0])
