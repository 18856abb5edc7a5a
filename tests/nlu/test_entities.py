import pytest

from nlu.entities import extract


def found(text: str) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for entity in extract(text):
        result.setdefault(entity["entity"], []).append(entity["value"])
    return result


def test_offsets_point_into_the_original_text():
    text = "尾號1234嗰張卡上個月碌咗HK$500"
    for entity in extract(text):
        assert text[entity["start"]:entity["end"]] == entity["text"]
    assert found(text) == {"card_last4": ["1234"], "period": ["last_month"],
                           "amount": ["500"], "currency": ["HKD"]}


@pytest.mark.parametrize(
    "text",
    ["card ending 4821", "ending in 4821", "last 4 digits 4821", "尾号4821", "尾數4821",
     "末四碼4821", "thẻ đuôi 4821", "4 số cuối 4821", "the duoi 4821", "4821结尾的卡"],
)
def test_card_last4(text):
    assert found(text).get("card_last4") == ["4821"]


def test_a_full_card_number_is_not_a_card_ending():
    assert "card_last4" not in found("my card 4111111111111111")


def test_amount_months_and_card_in_one_vietnamese_message():
    assert found("thẻ đuôi 5678 trả góp 12 tháng 3tr") == {
        "card_last4": ["5678"], "months": ["12"], "amount": ["3000000"], "currency": ["VND"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("English please", "en"),
        ("说中文", "zh-Hans"),
        ("講中文", "zh-Hant"),
        ("講廣東話", "zh-Hant"),
        ("nói tiếng Việt", "vi"),
        ("noi tieng viet di", "vi"),
        ("can you reply in chinese", "zh-Hans"),
        ("đổi sang tiếng Trung", "zh-Hans"),
        ("換成英文", "en"),
    ],
)
def test_target_language(text, expected):
    assert found(text)["target_language"] == [expected]


@pytest.mark.parametrize(("text", "unlock"), [
    ("unlock my card", True), ("can you unfreeze it", True), ("turn my card back on", True),
    ("lock my card for now", False), ("freeze it please", False), ("block it temporarily", False),
    ("幫我解鎖", True), ("卡解冻一下", True), ("先锁卡", False), ("暫停張卡", False),
    ("mở khóa thẻ", True), ("mo khoa the giup e", True), ("khoá thẻ tạm thời", False),
    # An unlock to come, said while asking to lock.
    ("please lock my card for now, I'll unlock it later", False),
    ("freeze it until I find my wallet, then I'll unfreeze it myself", False),
    ("先帮我冻结，之后再解冻", False), ("请帮我再解锁一次", True),
    ("khóa tạm thẻ giúp mình, tìm được thì mình mở khóa sau", False),
    ("khoa the tam thoi den khi nao tim duoc thi mo lai", False),
    ("my card is locked, can you unlock it", True),
])
def test_asking_to_undo_a_lock(text, unlock):
    ways = [e["value"] for e in extract(text) if e["entity"] == "lock_way"]
    assert ways == (["unlock"] if unlock else [])
