import pytest

from nlu.language import identify


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("how much do I owe", "en"),
        ("Netflix charged me twice", "en"),
        ("my card was declined at 全聯", "en"),
        ("我的信用卡被盗刷了", "zh-Hans"),
        ("我想 check 一下余额", "zh-Hans"),
        ("我張卡俾人盜刷咗", "zh-Hant"),
        ("想問下幾時找數", "zh-Hant"),
        ("請問帳單怎麼繳", "zh-Hant"),
        ("thẻ visa bị khóa", "vi"),
        ("toi muon khoa the", "vi"),
        ("the cua minh bi khoa roi", "vi"),
        ("ko dc", "vi"),
        ("shopee tru tien 2 lan", "vi"),
        ("cam on", "vi"),
        ("12 tháng", "vi"),
    ],
)
def test_identifies_language(text, expected):
    assert identify(text).code == expected


def test_shared_han_characters_leave_the_variant_open():
    guess = identify("你好")
    assert guess.code == "zh-Hans"
    assert set(guess.candidates) == {"zh-Hans", "zh-Hant"}
    assert guess.confidence < 0.7


def test_short_latin_words_leave_english_and_vietnamese_open():
    assert set(identify("ok").candidates) == {"en", "vi"}


def test_no_letters_is_undetermined():
    assert identify("1234").confidence == 0.0
