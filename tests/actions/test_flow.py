"""What every banking action shares: which chat it serves (``subject_of``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rasa_sdk import Tracker

from actions.flow import MAX_AMOUNT, UnusableAmount, amount_of, months_of, subject_of
from actions.periods import date_range
from cardcare.conversation import SubjectError


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
    with pytest.raises(SubjectError):
        subject_of(tracker("telegram:42", "rest"))


@pytest.mark.parametrize("sender", ["a b", "x" * 129, "名字", "rest:a b", ""])
def test_a_sender_id_no_channel_issues_names_no_chat(sender):
    with pytest.raises(SubjectError):
        subject_of(tracker(sender, "rest"))


def test_a_channel_without_an_adapter_keeps_its_own_namespace():
    assert subject_of(tracker("42", "cmdline")) == "cmdline:42"


@pytest.mark.parametrize("channel", ["Telegram", "tele gram", "telegram:", "x" * 33])
def test_a_channel_name_is_taken_as_it_is_or_refused(channel):
    with pytest.raises(SubjectError):
        subject_of(tracker("42", channel))


@pytest.mark.parametrize("value", ["NaN", "nan", "inf", "-Infinity", "1e30", "1" * 30, "-5",
                                   "0", "abc", "", "12.345"])
def test_amounts_no_bank_takes_are_refused(value):
    with pytest.raises(UnusableAmount):
        amount_of(value)


@pytest.mark.parametrize(("value", "expected"), [
    ("5000", Decimal("5000")), ("1E+3", Decimal("1000")), ("12.5", Decimal("12.50")),
    (9200, Decimal("9200")), ("9999999999999.99", MAX_AMOUNT)])
def test_amounts_are_plain_digits_and_cents(value, expected):
    assert amount_of(value) == expected and "E" not in str(amount_of(value))


@pytest.mark.parametrize(("value", "expected"), [
    ("12", 12), (12, 12), (" 6 ", 6), ("²", None), ("NaN", None), ("1e3", None), ("-3", None),
    ("9999", None), (None, None), ("", None)])
def test_months_are_plain_small_numbers(value, expected):
    assert months_of(value) == expected


@pytest.mark.parametrize("value", [12, 3.5, ["last_month"], {"a": 1}, "last_99999_days"])
def test_a_period_no_extractor_writes_is_no_period(value):
    assert date_range(value, date(2026, 12, 4)) == (None, None)


@pytest.mark.parametrize(("key", "start", "end"), [
    # Saturday 5 December 2026: last week is 23-29 November.
    ("last_week", date(2026, 11, 23), date(2026, 11, 29)),
    ("week_before_last", date(2026, 11, 16), date(2026, 11, 22)),
    ("last_month", date(2026, 11, 1), date(2026, 11, 30)),
    ("month_before_last", date(2026, 10, 1), date(2026, 10, 31)),
])
def test_periods_before_last(key, start, end):
    assert date_range(key, date(2026, 12, 5)) == (start, end)


def test_the_month_before_last_across_new_year():
    assert date_range("month_before_last", date(2027, 1, 20)) == (date(2026, 11, 1),
                                                                  date(2026, 11, 30))
