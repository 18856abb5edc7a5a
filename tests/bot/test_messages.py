"""The channel-neutral shapes: round trips through JSON, merging bubbles, splitting to limits."""

from __future__ import annotations

from bot.messages import BotMessage, Button, Inbound, Kind, merged, split


def test_inbound_round_trips_and_names_its_subject():
    inbound = Inbound(channel="telegram", user_id="42", kind=Kind.CHOICE, value="tok",
                      message_id="7", language_hint="vi", origin="a1")
    assert Inbound.from_dict(inbound.to_dict()) == inbound
    assert inbound.subject == "telegram:42"


def test_texts_are_merged_up_to_a_question_with_buttons():
    buttons = (Button("Yes", "t1"), Button("No", "t2"))
    messages = [BotMessage("Verified.", language="en"), BotMessage("Card blocked.", language="en"),
                BotMessage("Send a new one?", buttons, language="en"),
                BotMessage("Anything else?", language="en")]
    assert merged(messages) == [
        BotMessage("Verified.\n\nCard blocked.\n\nSend a new one?", buttons, language="en"),
        BotMessage("Anything else?", language="en")]


def test_split_keeps_lines_whole_and_respects_the_measure():
    text = "\n".join(f"line {n} " + "字" * 30 for n in range(100))
    parts = split(text, 2048, lambda s: len(s.encode()))
    assert all(len(p.encode()) <= 2048 for p in parts) and len(parts) > 1
    assert "\n".join(parts) == text


def test_split_cuts_an_overlong_line_at_a_space():
    words = " ".join(["word"] * 2000)
    parts = split(words, 4096)
    assert all(len(p) <= 4096 for p in parts)
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in parts)
    assert " ".join(parts) == words
