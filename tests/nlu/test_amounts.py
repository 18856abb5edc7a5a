import pytest

from nlu.amounts import find_amounts
from nlu.normalize import normalize


def amounts(text: str, vietnamese: bool = False) -> list[tuple[str, str | None]]:
    norm = normalize(text).text
    return [(a.text_value, a.currency) for a in find_amounts(norm, vietnamese)]


@pytest.mark.parametrize(
    ("text", "vietnamese", "expected"),
    [
        ("HK$500", False, [("500", "HKD")]),
        ("五百蚊", False, [("500", "HKD")]),
        ("1.2万", False, [("12000", None)]),
        ("1.2萬", False, [("12000", None)]),
        ("三千五百块", False, [("3500", None)]),
        ("3千塊", False, [("3000", None)]),
        ("NT$3,000", False, [("3000", "TWD")]),
        ("¥299", False, [("299", None)]),
        ("300人民币", False, [("300", "CNY")]),
        ("2tr", True, [("2000000", "VND")]),
        ("1tr5", True, [("1500000", "VND")]),
        ("1 triệu 2", True, [("1200000", "VND")]),
        ("150.000đ", True, [("150000", "VND")]),
        ("50 nghìn", True, [("50000", "VND")]),
        ("500k", True, [("500000", "VND")]),
        ("USD 45.50", False, [("45.5", "USD")]),
        ("$1.2k", False, [("1200", None)]),
        ("20 USD", False, [("20", "USD")]),
        ("碌咗HK$500兩次", False, [("500", "HKD")]),
        ("¥299的那笔", False, [("299", None)]),
        # Written in words, as people say them.
        ("刷了三千五", False, [("3500", None)]),
        ("上個月碌咗兩萬五", False, [("25000", None)]),
        ("chuyển năm triệu", True, [("5000000", "VND")]),
        ("chi nam tram nghin o grab", True, [("500000", "VND")]),
        ("ba triệu rưỡi", True, [("3500000", "VND")]),
        ("hai mươi lăm triệu", True, [("25000000", "VND")]),
        ("i spent two grand on a tv", False, [("2000", None)]),
        ("five hundred dollars at Costco", False, [("500", None)]),
        ("fifteen hundred bucks", False, [("1500", None)]),
        ("a grand", False, [("1000", None)]),
    ],
)
def test_amounts_with_currencies_and_scales(text, vietnamese, expected):
    assert amounts(text, vietnamese) == expected


@pytest.mark.parametrize("text", ["分12期", "尾号1234", "12 tháng", "card ending 4821", "6 months",
                                  "分十二期", "năm 2023 mình mở thẻ", "ba mình dùng thẻ này",
                                  "one of my cards", "two months ago"])
def test_bare_numbers_are_not_amounts(text):
    assert amounts(text) == []
