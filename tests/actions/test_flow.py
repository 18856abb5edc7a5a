"""What every banking action shares: which chat it serves (``subject_of``)."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker

from actions.flow import subject_of


def tracker(sender: str, channel: str | None) -> Tracker:
    events = [{"event": "user", "text": "hi", "input_channel": channel}]
    return Tracker(sender, {}, {}, events, False, None, {}, "action_listen")


@pytest.mark.parametrize(
    ("sender", "channel", "expected"),
    [
        ("42", "rest", "rest:42"),  # Rasa's REST channel: make chat, the tests
        ("42", None, "rest:42"),  # no channel recorded: REST, as before
        ("telegram:42", "telegram", "telegram:42"),  # the gateway's sender is the subject
        ("wechat:oAbC-12_x", "wechat", "wechat:oAbC-12_x"),
        ("web:u.1@x", "web", "web:u.1@x"),
        ("42", "telegram", "telegram:42"),
    ],
)
def test_the_subject_is_the_channel_and_user(sender, channel, expected):
    assert subject_of(tracker(sender, channel)) == expected


def test_a_sender_naming_another_channel_cannot_take_its_subject():
    subject = subject_of(tracker("telegram:42", "rest"))
    assert subject.startswith("rest:") and subject != "rest:telegram:42"
    assert subject != subject_of(tracker("telegram:42", "telegram"))


@pytest.mark.parametrize("sender", ["a b", "x" * 129, "名字", "rest:a b"])
def test_a_sender_id_no_channel_issues_is_hashed(sender):
    subject = subject_of(tracker(sender, "rest"))
    assert subject.startswith("rest:") and len(subject) == len("rest:") + 32
    assert subject == subject_of(tracker(sender, "rest"))  # the same chat every turn


def test_a_channel_without_an_adapter_keeps_its_subject():
    assert subject_of(tracker("42", "socketio")) == "socketio:42"
